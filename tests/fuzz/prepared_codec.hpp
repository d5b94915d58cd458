// tests/fuzz/prepared_codec.hpp - how fuzz_prepared turns its input into a prepared-document blob
// and the deduplicator it is added to, shared with the seed generator (make_seeds.cpp) so seeds
// are real blobs made by deduplicator::prepare() in that form.
//
// Input: byte 0 = configuration (index into prepared_configs(), modulo their number), byte 1 =
// flags, then the blob.
//   flags bit 0: the blob's trailing checksum is recomputed (XXH3, as prepared_document::parse
//     checks it), so mutations reach the field checks instead of dying at the checksum.
//   flags bit 1: the blob's configuration fingerprint is set to the chosen configuration's, so
//     mutated blobs reach add_prepared()'s checks instead of dying as incompatible.
//   flags bit 2: a valid document of the same configuration is added in the same batch, before
//     the blob's (a refused batch must store neither).
#pragma once

#include <retold/dedup.hpp>

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace retold_fuzz {

/// Byte offset of the configuration fingerprint in a blob ("RTPREP01", u32 format version).
inline constexpr std::size_t kPreparedFingerprintAt = 8 + 4;

/// Small configurations that between them reach every field of the format: the built-in
/// embedder's terms (with and without keep_text), none (character shingles, another MinHash
/// scheme), an external vector.
inline std::vector<retold::deduplicator_options> prepared_configs() {
  std::vector<retold::deduplicator_options> out;
  retold::deduplicator_options o;
  o.minhash.num_hashes = 16;
  o.embedder.dimension = 8;
  o.embedder.df_buckets_log2 = 10;
  out.push_back(o);  // 0: built-in embedder
  o.keep_text = true;
  o.snippet_bytes = 40;
  out.push_back(o);  // 1: built-in embedder, keep_text
  retold::deduplicator_options n;
  n.minhash.num_hashes = 8;
  n.embedding = retold::embedding_mode::none;
  n.shingles = {retold::shingle_kind::character, 3};
  n.minhash.scheme = retold::minhash_scheme::multiply_shift;
  out.push_back(n);  // 2: no embedding
  n.embedding = retold::embedding_mode::external;
  n.external_dimension = 4;
  n.shingles = {};
  out.push_back(n);  // 3: external vectors
  return out;
}

/// The blob as the target parses it: `blob` with the fingerprint and checksum patched as `flags`
/// say (only where the blob is long enough to have them).
inline std::vector<std::uint8_t> patch_blob(std::string_view blob, std::uint8_t flags, std::uint64_t fingerprint) {
  std::vector<std::uint8_t> b(blob.begin(), blob.end());
  if ((flags & 2) && b.size() >= kPreparedFingerprintAt + 8 + 8)
    for (int i = 0; i < 8; ++i) b[kPreparedFingerprintAt + i] = static_cast<std::uint8_t>(fingerprint >> (8 * i));
  if ((flags & 1) && b.size() >= 8) {
    const std::uint64_t sum = XXH3_64bits(b.data(), b.size() - 8);
    for (int i = 0; i < 8; ++i) b[b.size() - 8 + i] = static_cast<std::uint8_t>(sum >> (8 * i));
  }
  return b;
}

}  // namespace retold_fuzz
