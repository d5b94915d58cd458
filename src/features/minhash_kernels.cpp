#include "features/detail/minhash_kernels.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define RETOLD_SIMD_CLONES __attribute__((target_clones("default", "avx2", "arch=x86-64-v4")))
#else
#define RETOLD_SIMD_CLONES
#endif

namespace retold::detail {
namespace {

constexpr std::uint32_t k_empty = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t k_oph_salt = 0x6f6e652d7065726dULL;       // "one-perm"
constexpr std::uint64_t k_densify_salt = 0x64656e7369667921ULL;   // "densify!"
constexpr std::uint64_t k_mshift_salt = 0x6d756c2d73686674ULL;

inline std::uint32_t fastrange32(std::uint32_t x, std::uint32_t k) noexcept {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(x) * k) >> 32);
}

// Optimal densification (Shrivastava 2017): an empty bin i probes bins h(i, 1), h(i, 2), ...
// (the same sequence for every set) and copies the value of the first bin that was non-empty
// before densification. Two sets agree on bin i with probability J, as for a filled bin.
void densify(std::span<std::uint32_t> out, std::uint64_t seed) noexcept {
  const auto k = static_cast<std::uint32_t>(out.size());
  std::uint32_t filled_count = 0;
  for (std::uint32_t v : out) filled_count += (v != k_empty);
  if (filled_count == 0 || filled_count == k) return;

  std::uint64_t small[64];
  std::vector<std::uint64_t> big;
  std::uint64_t* filled = small;
  const std::size_t words = (k + 63) / 64;
  if (words > 64) {
    big.assign(words, 0);
    filled = big.data();
  } else {
    std::memset(small, 0, sizeof small);
  }
  for (std::uint32_t i = 0; i < k; ++i)
    if (out[i] != k_empty) filled[i >> 6] |= std::uint64_t{1} << (i & 63);
  auto is_filled = [&](std::uint32_t j) { return (filled[j >> 6] >> (j & 63)) & 1; };

  const std::uint64_t s = fmix64(seed ^ k_densify_salt);
  // P(no hit after max_attempts) <= (1 - 1/k)^(32k) < e^-32; then a deterministic scan keeps
  // the result a function of (i, filled bins) only.
  const std::uint64_t max_attempts = 32ULL * k;
  for (std::uint32_t i = 0; i < k; ++i) {
    if (is_filled(i)) continue;
    bool done = false;
    for (std::uint64_t attempt = 1; attempt <= max_attempts; ++attempt) {
      const std::uint64_t r = fmix64(s ^ ((static_cast<std::uint64_t>(i) << 32) | attempt));
      const std::uint32_t j = fastrange32(static_cast<std::uint32_t>(r >> 32), k);
      if (is_filled(j)) {
        out[i] = out[j];
        done = true;
        break;
      }
    }
    if (!done) {
      for (std::uint32_t d = 1; d < k; ++d) {
        const std::uint32_t j = (i + d) % k;
        if (is_filled(j)) {
          out[i] = out[j];
          break;
        }
      }
    }
  }
}

}  // namespace

void oph_signature(std::span<const std::uint64_t> hashes, std::uint64_t seed,
                   std::span<std::uint32_t> out) noexcept {
  const auto k = static_cast<std::uint32_t>(out.size());
  std::uint32_t* o = out.data();
  std::fill(o, o + k, k_empty);
  const std::uint64_t s = fmix64(seed ^ k_oph_salt);
  for (const std::uint64_t h : hashes) {
    const std::uint64_t x = fmix64(h ^ s);
    const std::uint32_t bin = fastrange32(static_cast<std::uint32_t>(x >> 32), k);
    std::uint32_t v = static_cast<std::uint32_t>(x);
    v -= (v == k_empty);  // k_empty is reserved for "no value"
    o[bin] = v < o[bin] ? v : o[bin];
  }
  densify(out, seed);
}

RETOLD_SIMD_CLONES
void multiply_shift_signature(std::span<const std::uint64_t> hashes, std::uint64_t seed,
                              const std::uint64_t* a, const std::uint64_t* b,
                              std::span<std::uint32_t> out) {
  const std::size_t k = out.size();
  std::uint32_t* o = out.data();
  std::fill(o, o + k, k_empty);
  if (hashes.empty()) return;
  thread_local std::vector<std::uint64_t> xs;
  xs.resize(hashes.size());
  const std::uint64_t s = fmix64(seed ^ k_mshift_salt);
  for (std::size_t j = 0; j < hashes.size(); ++j)
    xs[j] = static_cast<std::uint32_t>(fmix64(hashes[j] ^ s));
  const std::size_t n = xs.size();
  const std::uint64_t* x = xs.data();

  // Blocks of 16 functions kept in registers while all shingles stream past.
  constexpr std::size_t B = 16;
  std::size_t i0 = 0;
  for (; i0 + B <= k; i0 += B) {
    std::uint64_t ab[B], bb[B];
    std::uint32_t acc[B];
    for (std::size_t j = 0; j < B; ++j) {
      ab[j] = a[i0 + j];
      bb[j] = b[i0 + j];
      acc[j] = k_empty;
    }
    for (std::size_t t = 0; t < n; ++t) {
      const std::uint64_t xt = x[t];
      for (std::size_t j = 0; j < B; ++j) {
        const auto v = static_cast<std::uint32_t>((ab[j] * xt + bb[j]) >> 32);
        acc[j] = v < acc[j] ? v : acc[j];
      }
    }
    for (std::size_t j = 0; j < B; ++j) o[i0 + j] = acc[j];
  }
  for (std::size_t i = i0; i < k; ++i) {
    std::uint32_t m = k_empty;
    for (std::size_t t = 0; t < n; ++t) {
      const auto v = static_cast<std::uint32_t>((a[i] * x[t] + b[i]) >> 32);
      m = v < m ? v : m;
    }
    o[i] = m;
  }
  for (std::size_t i = 0; i < k; ++i) o[i] -= (o[i] == k_empty);  // reserved for "no value"
}

}  // namespace retold::detail
