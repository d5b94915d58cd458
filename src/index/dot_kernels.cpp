// Run-time dispatched inner-product kernels (see dot_kernels.hpp).
//
// Every kernel computes one dot product as a fixed chain: lane-wise fused (or, generic: plain)
// multiply-adds over consecutive chunks of the two rows into one accumulator, the tail chunk
// masked, then a fixed horizontal reduction. The blocked kernels interleave several such chains
// (4 queries x 2 rows) for throughput but never change the order within a chain, which is what
// makes block entries bit-identical to dot().
#include "index/dot_kernels.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RETOLD_X86_KERNELS 1
#endif

namespace retold::detail {
namespace {

// ---- generic: 8 partial sums in a fixed order (vectorizable without reassociation) ----------

float dot_generic(const float* a, const float* b, std::size_t d) noexcept {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8)
    for (std::size_t l = 0; l < 8; ++l) acc[l] += a[i + l] * b[i + l];
  for (std::size_t l = 0; i + l < d; ++l) acc[l] += a[i + l] * b[i + l];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

void block_generic(const float* q, std::size_t nq, std::size_t ldq, const float* x, std::size_t n, std::size_t ldx,
                   std::size_t d, float* out, std::size_t ldo) noexcept {
  for (std::size_t i = 0; i < nq; ++i)
    for (std::size_t j = 0; j < n; ++j) out[i * ldo + j] = dot_generic(q + i * ldq, x + j * ldx, d);
}

#ifdef RETOLD_X86_KERNELS

// ---- AVX2 + FMA: 8 lanes ---------------------------------------------------------------------

__attribute__((target("avx2,fma"))) inline __m256i avx2_tail_mask(std::size_t rem) noexcept {
  alignas(32) static const int table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table + 8 - rem));
}

__attribute__((target("avx2,fma"))) inline float avx2_sum(__m256 v) noexcept {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

__attribute__((target("avx2,fma"))) float dot_avx2(const float* a, const float* b, std::size_t d) noexcept {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
  if (i < d) {
    const __m256i m = avx2_tail_mask(d - i);
    acc = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc);
  }
  return avx2_sum(acc);
}

// nq_block queries (1..4) against 2 rows at a time.
template <int NQ>
__attribute__((target("avx2,fma"))) void block_avx2_q(const float* q, std::size_t ldq, const float* x, std::size_t n,
                                                      std::size_t ldx, std::size_t d, float* out,
                                                      std::size_t ldo) noexcept {
  const std::size_t full = d & ~std::size_t{7};
  const bool tail = full < d;
  const __m256i m = avx2_tail_mask(tail ? d - full : 8);
  std::size_t j = 0;
  for (; j + 2 <= n; j += 2) {
    const float* x0 = x + j * ldx;
    const float* x1 = x0 + ldx;
    __m256 a0[NQ], a1[NQ];
    for (int r = 0; r < NQ; ++r) a0[r] = a1[r] = _mm256_setzero_ps();
    for (std::size_t i = 0; i < full; i += 8) {
      const __m256 v0 = _mm256_loadu_ps(x0 + i), v1 = _mm256_loadu_ps(x1 + i);
      for (int r = 0; r < NQ; ++r) {
        const __m256 w = _mm256_loadu_ps(q + r * ldq + i);
        a0[r] = _mm256_fmadd_ps(w, v0, a0[r]);
        a1[r] = _mm256_fmadd_ps(w, v1, a1[r]);
      }
    }
    if (tail) {
      const __m256 v0 = _mm256_maskload_ps(x0 + full, m), v1 = _mm256_maskload_ps(x1 + full, m);
      for (int r = 0; r < NQ; ++r) {
        const __m256 w = _mm256_maskload_ps(q + r * ldq + full, m);
        a0[r] = _mm256_fmadd_ps(w, v0, a0[r]);
        a1[r] = _mm256_fmadd_ps(w, v1, a1[r]);
      }
    }
    for (int r = 0; r < NQ; ++r) {
      out[r * ldo + j] = avx2_sum(a0[r]);
      out[r * ldo + j + 1] = avx2_sum(a1[r]);
    }
  }
  if (j < n)
    for (int r = 0; r < NQ; ++r) out[r * ldo + j] = dot_avx2(q + r * ldq, x + j * ldx, d);
}

__attribute__((target("avx2,fma"))) void block_avx2(const float* q, std::size_t nq, std::size_t ldq, const float* x,
                                                    std::size_t n, std::size_t ldx, std::size_t d, float* out,
                                                    std::size_t ldo) noexcept {
  std::size_t i = 0;
  for (; i + 4 <= nq; i += 4) block_avx2_q<4>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo);
  switch (nq - i) {
    case 3: block_avx2_q<3>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo); break;
    case 2: block_avx2_q<2>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo); break;
    case 1: block_avx2_q<1>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo); break;
    default: break;
  }
}

// ---- AVX-512F: 16 lanes ----------------------------------------------------------------------

// Fixed-order horizontal sum: 128-bit lanes 2,3 onto 0,1, lane 1 onto 0, then within the lane.
// Only masked (zeroing) shuffles: GCC 12's unmasked ones and its casts to 256 bits go through
// _mm256_undefined_*, which trips -Wmaybe-uninitialized.
__attribute__((target("avx512f,avx2,fma"))) inline float avx512_sum(__m512 v) noexcept {
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0xEE));
  v = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x01));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(0xFFFF, v, 0x4E));
  v = _mm512_add_ps(v, _mm512_maskz_permute_ps(0xFFFF, v, 0xB1));
  return _mm512_cvtss_f32(v);
}

__attribute__((target("avx512f,avx2,fma"))) float dot_avx512(const float* a, const float* b, std::size_t d) noexcept {
  __m512 acc = _mm512_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
  if (i < d) {
    const auto m = static_cast<__mmask16>((1u << (d - i)) - 1);
    acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc);
  }
  return avx512_sum(acc);
}

template <int NQ>
__attribute__((target("avx512f,avx2,fma"))) void block_avx512_q(const float* q, std::size_t ldq, const float* x,
                                                       std::size_t n, std::size_t ldx, std::size_t d, float* out,
                                                       std::size_t ldo) noexcept {
  const std::size_t full = d & ~std::size_t{15};
  const bool tail = full < d;
  const auto m = static_cast<__mmask16>(tail ? (1u << (d - full)) - 1 : 0xffffu);
  std::size_t j = 0;
  for (; j + 2 <= n; j += 2) {
    const float* x0 = x + j * ldx;
    const float* x1 = x0 + ldx;
    __m512 a0[NQ], a1[NQ];
    for (int r = 0; r < NQ; ++r) a0[r] = a1[r] = _mm512_setzero_ps();
    for (std::size_t i = 0; i < full; i += 16) {
      const __m512 v0 = _mm512_loadu_ps(x0 + i), v1 = _mm512_loadu_ps(x1 + i);
      for (int r = 0; r < NQ; ++r) {
        const __m512 w = _mm512_loadu_ps(q + r * ldq + i);
        a0[r] = _mm512_fmadd_ps(w, v0, a0[r]);
        a1[r] = _mm512_fmadd_ps(w, v1, a1[r]);
      }
    }
    if (tail) {
      const __m512 v0 = _mm512_maskz_loadu_ps(m, x0 + full), v1 = _mm512_maskz_loadu_ps(m, x1 + full);
      for (int r = 0; r < NQ; ++r) {
        const __m512 w = _mm512_maskz_loadu_ps(m, q + r * ldq + full);
        a0[r] = _mm512_fmadd_ps(w, v0, a0[r]);
        a1[r] = _mm512_fmadd_ps(w, v1, a1[r]);
      }
    }
    for (int r = 0; r < NQ; ++r) {
      out[r * ldo + j] = avx512_sum(a0[r]);
      out[r * ldo + j + 1] = avx512_sum(a1[r]);
    }
  }
  if (j < n)
    for (int r = 0; r < NQ; ++r) out[r * ldo + j] = dot_avx512(q + r * ldq, x + j * ldx, d);
}

__attribute__((target("avx512f,avx2,fma"))) void block_avx512(const float* q, std::size_t nq, std::size_t ldq, const float* x,
                                                     std::size_t n, std::size_t ldx, std::size_t d, float* out,
                                                     std::size_t ldo) noexcept {
  std::size_t i = 0;
  for (; i + 4 <= nq; i += 4) block_avx512_q<4>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo);
  switch (nq - i) {
    case 3: block_avx512_q<3>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo); break;
    case 2: block_avx512_q<2>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo); break;
    case 1: block_avx512_q<1>(q + i * ldq, ldq, x, n, ldx, d, out + i * ldo, ldo); break;
    default: break;
  }
}

#endif  // RETOLD_X86_KERNELS

constexpr dot_kernel_set generic_set{simd_level::generic, "generic", &dot_generic, &block_generic};
#ifdef RETOLD_X86_KERNELS
constexpr dot_kernel_set avx2_set{simd_level::avx2, "avx2", &dot_avx2, &block_avx2};
constexpr dot_kernel_set avx512_set{simd_level::avx512, "avx512", &dot_avx512, &block_avx512};
#endif

const dot_kernel_set& choose() noexcept {
  simd_level cap = simd_level::avx512;
  if (const char* env = std::getenv("RETOLD_SIMD")) {
    if (std::strcmp(env, "generic") == 0) cap = simd_level::generic;
    else if (std::strcmp(env, "avx2") == 0) cap = simd_level::avx2;
  }
  for (int l = static_cast<int>(cap); l > 0; --l)
    if (const dot_kernel_set* k = kernels_for(static_cast<simd_level>(l))) return *k;
  return generic_set;
}

}  // namespace

const dot_kernel_set* kernels_for(simd_level level) noexcept {
  switch (level) {
    case simd_level::generic: return &generic_set;
#ifdef RETOLD_X86_KERNELS
    case simd_level::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &avx2_set : nullptr;
    case simd_level::avx512: return __builtin_cpu_supports("avx512f") ? &avx512_set : nullptr;
#endif
    default: return nullptr;
  }
}

const dot_kernel_set& kernels() noexcept {
  static const dot_kernel_set& chosen = choose();
  return chosen;
}

}  // namespace retold::detail
