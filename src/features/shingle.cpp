// Shingles are substrings of the normalized text (one space between tokens), hashed in place
// with XXH3: no token vector, no per-shingle allocation.
#include <retold/error.hpp>
#include <retold/shingle.hpp>

// Inline XXH3 (header-only mode of Debian's libxxhash-dev): no call per shingle.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

namespace retold {
namespace {

// The seed separates kinds and sizes, so a word 3-gram never equals a character 3-gram hash.
std::uint64_t shingle_seed(const shingle_options& opts) {
  return 0x5368696e676c6521ULL ^ (static_cast<std::uint64_t>(opts.kind) << 40) ^ opts.n;
}

// Ring of the last n start offsets; on the stack for the usual small n.
class ring {
 public:
  explicit ring(std::uint32_t n) : n_(n) {
    if (n_ > small_.size()) big_.resize(n_);
  }
  std::size_t& operator[](std::size_t i) {
    return n_ <= small_.size() ? small_[i % n_] : big_[i % n_];
  }

 private:
  std::uint32_t n_;
  std::array<std::size_t, 32> small_{};
  std::vector<std::size_t> big_;
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

void word_shingles(std::string_view s, std::uint32_t n, std::uint64_t seed,
                   std::vector<std::uint64_t>& out) {
  ring starts(n);
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
    const std::size_t tend = find_space(p, pos, len);
    if (count == 0) first_start = tstart;
    starts[count] = tstart;
    ++count;
    if (count >= n) {
      const std::size_t from = starts[count];  // start of token count - n
      out.push_back(XXH3_64bits_withSeed(p + from, tend - from, seed));
    }
    last_end = tend;
    pos = tend;
  }
  if (count > 0 && count < n)
    out.push_back(XXH3_64bits_withSeed(p + first_start, last_end - first_start, seed));
}

void char_shingles(std::string_view s, std::uint32_t n, std::uint64_t seed,
                   std::vector<std::uint64_t>& out) {
  ring starts(n);
  std::size_t count = 0;  // code points seen
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t len = s.size();
  out.reserve(out.size() + len + 1);
  for (std::size_t pos = 0; pos < len; ++pos) {
    if ((p[pos] & 0xC0) == 0x80) continue;  // continuation byte
    if (count >= n) {  // code point `count` starts here: the n-gram ending before it is complete
      const std::size_t from = starts[count];
      out.push_back(XXH3_64bits_withSeed(p + from, pos - from, seed));
    }
    starts[count] = pos;
    ++count;
  }
  if (count >= n) {
    const std::size_t from = starts[count];
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

std::vector<std::uint64_t> shingle_hashes(std::string_view normalized, const shingle_options& opts) {
  std::vector<std::uint64_t> out;
  shingle_hashes(normalized, opts, out);
  return out;
}

}  // namespace retold
