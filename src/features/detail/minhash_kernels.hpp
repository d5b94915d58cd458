// Internal MinHash kernels (also used directly by bench/bench_features.cpp).
#pragma once

#include <cstdint>
#include <span>

#include "features/detail/hash_mix.hpp"

namespace retold::detail {


/// SplitMix64 step: deterministic parameter generation from a seed.
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// One-permutation hashing + optimal densification into out (size = num_hashes, >= 1).
void oph_signature(std::span<const std::uint64_t> hashes, std::uint64_t seed,
                   std::span<std::uint32_t> out) noexcept;

/// num_hashes multiply-add-shift functions h_i(x) = (a[i] * x + b[i]) >> 32 over the 32-bit
/// mixed shingle hash x; out[i] = min over shingles. Vectorised: the AVX-512 (x86-64-v4), AVX2
/// or generic variant, the best this CPU runs, chosen once per process (RETOLD_SIMD=generic|avx2
/// caps it). Every variant gives the same bits. Thread-safe.
void multiply_shift_signature(std::span<const std::uint64_t> hashes, std::uint64_t seed,
                              const std::uint64_t* a, const std::uint64_t* b,
                              std::span<std::uint32_t> out);

using multiply_shift_kernel = void (*)(std::span<const std::uint64_t> hashes, std::uint64_t seed,
                                       const std::uint64_t* a, const std::uint64_t* b,
                                       std::span<std::uint32_t> out);
/// The variant of multiply_shift_signature for `level` (0 generic, 1 AVX2, 2 AVX-512), or nullptr
/// when this CPU (or compiler) cannot run it. For tests and benchmarks.
multiply_shift_kernel multiply_shift_kernel_for(int level) noexcept;

}  // namespace retold::detail
