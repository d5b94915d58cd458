// Inner-product kernels for the vector side (internal), chosen at run time by CPU.
//
// Why our own: Debian's FAISS 1.7.3 is a generic (SSE-less reference) build and our library is
// compiled for baseline x86-64, so neither FAISS nor Eigen uses the AVX2/AVX-512 units of the
// machines we run on. These kernels are compiled per instruction set with GCC target attributes
// and picked once per process with __builtin_cpu_supports.
//
// Reproducibility contract: within one kernel set, dot(a, b) and every entry of dot_block() for
// the same pair of rows are bit-identical, whatever the block shape, position or thread. So a
// score never depends on which other queries or rows were computed with it. Different kernel
// sets (generic, AVX2, AVX-512) sum in different orders and may differ in the last bits.
//
// Thread safety: all functions are pure; kernels() is safe to call from any thread.
#pragma once

#include <cstddef>
#include <string_view>

namespace retold::detail {

enum class simd_level { generic = 0, avx2 = 1, avx512 = 2 };

struct dot_kernel_set {
  simd_level level;
  std::string_view name;
  /// Inner product of two d-float rows.
  float (*dot)(const float* a, const float* b, std::size_t d) noexcept;
  /// out[i * ldo + j] = dot(q + i * ldq, x + j * ldx, d) for i < nq, j < n.
  void (*block)(const float* q, std::size_t nq, std::size_t ldq, const float* x, std::size_t n, std::size_t ldx,
                std::size_t d, float* out, std::size_t ldo) noexcept;
};

/// The best kernel set this CPU supports (RETOLD_SIMD=generic|avx2|avx512 in the environment
/// caps it, for comparisons). Chosen once; the reference stays valid for the process lifetime.
const dot_kernel_set& kernels() noexcept;
/// The kernel set of `level`, or nullptr when this CPU (or this compiler) cannot run it.
const dot_kernel_set* kernels_for(simd_level level) noexcept;

inline float dot(const float* a, const float* b, std::size_t d) noexcept { return kernels().dot(a, b, d); }

}  // namespace retold::detail
