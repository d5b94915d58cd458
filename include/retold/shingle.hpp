// retold/shingle.hpp - word and character n-gram shingles, hashed with XXH3.
//
// A shingle is n consecutive tokens (word shingles) or n consecutive code points (character
// shingles, spaces included) of a NORMALIZED text (text.hpp).
//
// Hashing (fixed: signatures made from these hashes are stored, so the values never change; a
// golden test guards them):
//  - word shingles: every token is hashed once with XXH3_64bits_withSeed (a token of at most 16
//    bytes as its zero-padded 16-byte block, a longer one as it is), and an n-gram's hash is a
//    rolling polynomial of its n token hashes (odd multiplier, mod 2^64) through a bijective
//    64-bit mixer. O(1) per shingle whatever n is; distinct token sequences collide with
//    probability about 2^-64.
//  - character shingles: XXH3_64bits_withSeed of the n-code-point substring.
// The seed depends on the kind and n, so different shingle configurations do not mix.
#pragma once

#include <retold/export.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace retold {

/// Unit of a shingle. Values are pinned (saved state, C ABI).
enum class shingle_kind : std::uint8_t { word = 0, character = 1 };

/// Plain value. n must be >= 1 (errc::invalid_argument otherwise).
struct shingle_options {
  shingle_kind kind = shingle_kind::word;
  std::uint32_t n = 5;
  friend bool operator==(const shingle_options&, const shingle_options&) = default;
};

/// 64-bit XXH3 hashes of the shingles of a NORMALIZED text, in text order, NOT deduplicated
/// (a repeated shingle appears once per occurrence; MinHash does not care, exact Jaccard must
/// sort+unique first). A text with fewer than n tokens (code points) yields exactly one shingle,
/// the hash of the whole text, so distinct short texts get distinct signatures; an empty text
/// yields nothing. Throws errc::invalid_argument when n == 0. Thread-safe.
RETOLD_API std::vector<std::uint64_t> shingle_hashes(std::string_view normalized,
                                                     const shingle_options& opts);

/// Same, but APPENDS to `out` (not cleared), so a hot loop can reuse one vector's capacity.
RETOLD_API void shingle_hashes(std::string_view normalized, const shingle_options& opts,
                               std::vector<std::uint64_t>& out);

/// The number of distinct values in `hashes` (shingle hashes, or any uniformly distributed
/// 64-bit hashes; other values are counted right too, only more slowly). Equal to the size of the
/// set of values, as sort + unique gives it, without sorting or changing the input: a per-thread
/// hash set, and a sort of a copy when crafted collisions make hashing slow, so the cost is
/// O(n) expected and O(n log n) at worst. Thread-safe (each thread has its own set).
RETOLD_API std::size_t count_distinct(std::span<const std::uint64_t> hashes);

}  // namespace retold
