#include "features/detail/minhash_kernels.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

// The multiply-shift kernel is compiled per instruction set with target attributes and chosen
// once per process with __builtin_cpu_supports, as src/index/dot_kernels.cpp does. Not with
// target_clones: GCC turns a clone set into an IFUNC whose resolver the dynamic loader runs while
// relocating the executable, before any sanitizer runtime is initialised, and under
// -fsanitize=thread that (instrumented) resolver crashes before main.
#if defined(__x86_64__) && defined(__GNUC__)
#define RETOLD_X86_KERNELS 1
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

namespace {

// The one body of every multiply-shift variant: inlined into each, so each is compiled (and
// vectorised) for its own instruction set. Integer arithmetic only: all variants give the same
// bits.
[[gnu::always_inline]] inline void multiply_shift_body(std::span<const std::uint64_t> hashes,
                                                       std::uint64_t seed, const std::uint64_t* a,
                                                       const std::uint64_t* b,
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

void multiply_shift_generic(std::span<const std::uint64_t> hashes, std::uint64_t seed,
                            const std::uint64_t* a, const std::uint64_t* b,
                            std::span<std::uint32_t> out) {
  multiply_shift_body(hashes, seed, a, b, out);
}

#ifdef RETOLD_X86_KERNELS
__attribute__((target("avx2"))) void multiply_shift_avx2(std::span<const std::uint64_t> hashes,
                                                         std::uint64_t seed, const std::uint64_t* a,
                                                         const std::uint64_t* b,
                                                         std::span<std::uint32_t> out) {
  multiply_shift_body(hashes, seed, a, b, out);
}

// x86-64-v4 (AVX-512 F/BW/CD/DQ/VL): vpmullq multiplies the 64-bit lanes directly.
__attribute__((target("arch=x86-64-v4"))) void multiply_shift_avx512(
    std::span<const std::uint64_t> hashes, std::uint64_t seed, const std::uint64_t* a,
    const std::uint64_t* b, std::span<std::uint32_t> out) {
  multiply_shift_body(hashes, seed, a, b, out);
}

bool cpu_has_x86_64_v4() noexcept {
#if defined(__clang__)
  // clang (14) has no ISA-level names in __builtin_cpu_supports: the level's AVX-512 subsets.
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
#else
  return __builtin_cpu_supports("x86-64-v4");
#endif
}
#endif  // RETOLD_X86_KERNELS

multiply_shift_kernel choose_multiply_shift() noexcept {
  int cap = 2;  // RETOLD_SIMD=generic|avx2|avx512 caps the choice, as for the dot kernels
  if (const char* env = std::getenv("RETOLD_SIMD")) {
    if (std::strcmp(env, "generic") == 0) cap = 0;
    else if (std::strcmp(env, "avx2") == 0) cap = 1;
  }
  for (int level = cap; level > 0; --level)
    if (const multiply_shift_kernel k = multiply_shift_kernel_for(level)) return k;
  return &multiply_shift_generic;
}

}  // namespace

multiply_shift_kernel multiply_shift_kernel_for(int level) noexcept {
  switch (level) {
    case 0: return &multiply_shift_generic;
#ifdef RETOLD_X86_KERNELS
    case 1: return __builtin_cpu_supports("avx2") ? &multiply_shift_avx2 : nullptr;
    case 2: return cpu_has_x86_64_v4() ? &multiply_shift_avx512 : nullptr;
#endif
    default: return nullptr;
  }
}

void multiply_shift_signature(std::span<const std::uint64_t> hashes, std::uint64_t seed,
                              const std::uint64_t* a, const std::uint64_t* b,
                              std::span<std::uint32_t> out) {
  static const multiply_shift_kernel chosen = choose_multiply_shift();
  chosen(hashes, seed, a, b, out);
}

}  // namespace retold::detail
