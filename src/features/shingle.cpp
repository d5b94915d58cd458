// Word shingles: each token is hashed once with XXH3 (tokens of up to 16 bytes as a zero-padded
// 16-byte block, so every short token takes the same branch-free XXH3 path; longer ones as they
// are; normalized tokens never contain a zero byte, so padding is unambiguous), and the hash of an n-gram is a rolling
// polynomial over its n token hashes (odd multiplier, mod 2^64) passed through a bijective
// mixer: O(1) per shingle whatever n is, no token vector, no allocation. For distinct token
// sequences the polynomial difference is uniform mod 2^64 (odd coefficients, uniform token
// hashes), so shingle hashes collide with probability ~2^-64 like a direct hash would.
// Character shingles hash the n-code-point substring itself with XXH3.
#include <retold/error.hpp>
#include <retold/shingle.hpp>

#include "features/detail/distinct.hpp"
#include "features/detail/hash_mix.hpp"

// Inline XXH3 (header-only mode of Debian's libxxhash-dev): no call per shingle.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <cstring>
#include <string>
#include <vector>

namespace retold {
namespace {

// The seed separates kinds and sizes, so a word 3-gram never equals a character 3-gram hash.
std::uint64_t shingle_seed(const shingle_options& opts) {
  return 0x5368696e676c6521ULL ^ (static_cast<std::uint64_t>(opts.kind) << 40) ^ opts.n;
}

// Ring of the last n values (token hashes or code point offsets); on the stack for the usual
// small n. at() is the slot of the oldest value, which advance() then makes the newest: no
// division per token.
class ring {
 public:
  explicit ring(std::uint32_t n) : n_(n), data_(small_.data()) {
    if (n_ > small_.size()) {
      big_.resize(n_);
      data_ = big_.data();
    }
  }
  std::uint64_t& at() { return data_[cursor_]; }
  void advance() { cursor_ = (cursor_ + 1 == n_) ? 0 : cursor_ + 1; }

 private:
  std::uint32_t n_;
  std::uint32_t cursor_ = 0;
  std::array<std::uint64_t, 32> small_{};
  std::vector<std::uint64_t> big_;
  std::uint64_t* data_;
};

// Offset of the next ' ' at or after pos, or len. Eight bytes at a time (tokens are short).
inline std::size_t find_space(const char* p, std::size_t pos, std::size_t len) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  while (pos + 8 <= len) {
    std::uint64_t w;
    std::memcpy(&w, p + pos, 8);
    w ^= 0x2020202020202020ULL;  // spaces become zero bytes
    const std::uint64_t zero = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
    if (zero) return pos + (static_cast<std::size_t>(__builtin_ctzll(zero)) >> 3);
    pos += 8;
  }
#endif
  while (pos < len && p[pos] != ' ') ++pos;
  return pos;
}

using detail::fmix64;

constexpr std::uint64_t k_roll = 0x9e3779b97f4a7c15ULL;  // odd

// XXH3 of a token of more than 16 bytes. Up to 128 bytes (every word of news text) this calls
// the length class XXH3_64bits_withSeed() dispatches to with the default secret, which it
// inlines, instead of the whole dispatcher, which it does not: the same value.
inline std::uint64_t long_token_hash(const char* p, std::size_t n, std::uint64_t seed) {
#if defined(XXH_VERSION_NUMBER) && XXH_VERSION_NUMBER >= 800 && XXH_VERSION_NUMBER < 900
  if (n <= 128)
    return XXH3_len_17to128_64b(reinterpret_cast<const xxh_u8*>(p), n, XXH3_kSecret,
                                sizeof(XXH3_kSecret), seed);
#endif
  return XXH3_64bits_withSeed(p, n, seed);
}

// XXH3 of a token: the zero-padded 16-byte block when it has at most 16 bytes.
inline std::uint64_t token_hash(const char* p, std::size_t n, std::uint64_t seed) {
  if (n > 16) return long_token_hash(p, n, seed);
  alignas(16) unsigned char block[16] = {};
  std::memcpy(block, p, n);
  return XXH3_64bits_withSeed(block, 16, seed);
}

#if defined(__SSE2__)
// Byte masks keeping the first i bytes of a 16-byte block.
struct prefix_masks {
  alignas(16) unsigned char m[17][16] = {};
  constexpr prefix_masks() {
    for (int i = 0; i <= 16; ++i)
      for (int j = 0; j < i; ++j) m[i][j] = 0xFF;
  }
};
constexpr prefix_masks k_prefix_masks;
#endif

void word_shingles(std::string_view s, std::uint32_t n, std::uint64_t seed,
                   std::vector<std::uint64_t>& out) {
  // A text of fewer than n bytes has fewer than n tokens: only the whole-text shingle, so the
  // ring and k_roll^n go unused and a huge n (a crafted saved state) costs no memory or time.
  ring token_hashes(static_cast<std::uint32_t>(std::min<std::size_t>(n, s.size() + 1)));  // zero-initialised
  std::uint64_t roll_n = 1;  // k_roll^n
  if (n <= s.size())
    for (std::uint32_t i = 0; i < n; ++i) roll_n *= k_roll;
  std::uint64_t sum = 0;  // sum over the last n tokens of h[t - j] * k_roll^j
  std::size_t count = 0, first_start = 0, last_end = 0;
  const char* p = s.data();
  const std::size_t len = s.size();
  std::size_t pos = 0;
  out.reserve(out.size() + len / 4 + 1);
  while (pos < len) {
    if (p[pos] == ' ') {
      ++pos;
      continue;
    }
    const std::size_t tstart = pos;
    std::size_t tend;
    std::uint64_t h;
#if defined(__SSE2__)
    if (tstart + 16 <= len) {
      // One 16-byte load finds the token end and is the padded block.
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + tstart));
      const unsigned spaces =
          static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))));
      const unsigned tlen = static_cast<unsigned>(__builtin_ctz(spaces | 0x10000u));
      if (tlen < 16) {
        alignas(16) unsigned char block[16];
        _mm_store_si128(reinterpret_cast<__m128i*>(block),
                        _mm_and_si128(v, _mm_load_si128(reinterpret_cast<const __m128i*>(
                                             k_prefix_masks.m[tlen]))));
        h = XXH3_64bits_withSeed(block, 16, seed);
        tend = tstart + tlen;
      } else if (tstart + 16 == len || p[tstart + 16] == ' ') {
        // Exactly 16 bytes (eight Cyrillic or Arabic letters): the block is the token itself.
        h = XXH3_64bits_withSeed(p + tstart, 16, seed);
        tend = tstart + 16;
      } else {
        tend = find_space(p, tstart + 17, len);
        h = long_token_hash(p + tstart, tend - tstart, seed);
      }
    } else
#endif
    {
      tend = find_space(p, tstart, len);
      h = token_hash(p + tstart, tend - tstart, seed);
    }
    if (count == 0) first_start = tstart;
    std::uint64_t& slot = token_hashes.at();  // holds token count - n (or 0)
    sum = sum * k_roll + h - slot * roll_n;
    slot = h;
    token_hashes.advance();
    ++count;
    if (count >= n) out.push_back(fmix64(sum ^ seed));
    last_end = tend;
    pos = tend + (tend < len);  // p[tend] is the space that ends the token: skip it here
  }
  // Fewer than n tokens: one shingle of the whole text, hashed directly.
  if (count > 0 && count < n)
    out.push_back(XXH3_64bits_withSeed(p + first_start, last_end - first_start, ~seed));
}

void char_shingles(std::string_view s, std::uint32_t n, std::uint64_t seed,
                   std::vector<std::uint64_t>& out) {
  ring starts(static_cast<std::uint32_t>(std::min<std::size_t>(n, s.size() + 1)));  // as in word_shingles
  std::size_t count = 0;  // code points seen
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t len = s.size();
  out.reserve(out.size() + len + 1);
  for (std::size_t pos = 0; pos < len; ++pos) {
    if ((p[pos] & 0xC0) == 0x80) continue;  // continuation byte
    std::uint64_t& slot = starts.at();       // start of code point count - n
    if (count >= n) {  // code point `count` starts here: the n-gram ending before it is complete
      out.push_back(XXH3_64bits_withSeed(p + slot, pos - slot, seed));
    }
    slot = pos;
    starts.advance();
    ++count;
  }
  if (count >= n) {
    const std::uint64_t from = starts.at();
    out.push_back(XXH3_64bits_withSeed(p + from, len - from, seed));
  } else if (count > 0) {
    out.push_back(XXH3_64bits_withSeed(p, len, seed));
  }
}

}  // namespace

void shingle_hashes(std::string_view normalized, const shingle_options& opts,
                    std::vector<std::uint64_t>& out) {
  if (opts.n == 0) throw error(errc::invalid_argument, "shingle_options.n must be at least 1");
  const std::uint64_t seed = shingle_seed(opts);
  switch (opts.kind) {
    case shingle_kind::word: word_shingles(normalized, opts.n, seed, out); return;
    case shingle_kind::character: char_shingles(normalized, opts.n, seed, out); return;
  }
  throw error(errc::invalid_argument,
              "shingle_options.kind is not a shingle_kind: " +
                  std::to_string(static_cast<int>(opts.kind)));
}

std::size_t count_distinct(std::span<const std::uint64_t> hashes) {
  thread_local detail::distinct_set<std::uint64_t> set;
  std::size_t count = 0;
  if (set.for_each_new(hashes.data(), hashes.size(), [&](std::uint64_t) { ++count; })) return count;
  std::vector<std::uint64_t> sorted(hashes.begin(), hashes.end());  // crafted collisions: sort a copy
  std::sort(sorted.begin(), sorted.end());
  return static_cast<std::size_t>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
}

std::vector<std::uint64_t> shingle_hashes(std::string_view normalized, const shingle_options& opts) {
  std::vector<std::uint64_t> out;
  shingle_hashes(normalized, opts, out);
  return out;
}

}  // namespace retold
