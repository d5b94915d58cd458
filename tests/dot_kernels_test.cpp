// Tests of the run-time dispatched inner-product kernels (src/index/dot_kernels.hpp).
#include "index/dot_kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

namespace {

using retold::detail::dot_kernel_set;
using retold::detail::kernels_for;
using retold::detail::simd_level;

std::vector<const dot_kernel_set*> supported() {
  std::vector<const dot_kernel_set*> out;
  for (auto l : {simd_level::generic, simd_level::avx2, simd_level::avx512})
    if (const auto* k = kernels_for(l)) out.push_back(k);
  return out;
}

std::vector<float> random_floats(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(n);
  for (auto& x : v) x = g(rng);
  return v;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(DotKernels, GenericIsAlwaysAvailableAndTheChosenSetIsSupported) {
  ASSERT_NE(kernels_for(simd_level::generic), nullptr);
  const auto& chosen = retold::detail::kernels();
  EXPECT_NE(kernels_for(chosen.level), nullptr);
  if (std::getenv("RETOLD_SIMD") == nullptr) {
    // Without a cap the best supported set is chosen.
    EXPECT_EQ(chosen.level, supported().back()->level) << chosen.name;
  }
  for (const auto* k : supported()) std::printf("supported kernel set: %s\n", std::string(k->name).c_str());
}

TEST(DotKernels, DotMatchesDoublePrecisionForEveryLengthAndOffset) {
  const auto a = random_floats(1100, 1), b = random_floats(1100, 2);
  for (const auto* k : supported()) {
    for (std::size_t d : {1u, 2u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 65u, 100u, 255u, 256u, 257u,
                          384u, 768u, 1024u}) {
      for (std::size_t off : {0u, 1u, 3u}) {  // unaligned starts
        double ref = 0, mag = 0;
        for (std::size_t i = 0; i < d; ++i) {
          ref += double(a[off + i]) * b[off + i];
          mag += std::fabs(double(a[off + i]) * b[off + i]);
        }
        const float got = k->dot(a.data() + off, b.data() + off, d);
        EXPECT_NEAR(got, ref, 1e-5 * mag + 1e-6) << k->name << " d=" << d << " off=" << off;
      }
    }
    EXPECT_EQ(k->dot(a.data(), b.data(), 0), 0.0f) << k->name;
  }
}

TEST(DotKernels, BlockEntriesAreBitIdenticalToDotWhateverTheBlockShape) {
  for (const auto* k : supported()) {
    for (std::size_t d : {5u, 16u, 37u, 256u}) {
      const std::size_t ldq = d + 3, ldx = d + 1;  // strides wider than d
      for (std::size_t nq = 1; nq <= 9; ++nq) {
        for (std::size_t n : {1u, 2u, 3u, 7u, 12u}) {
          const auto q = random_floats(nq * ldq, 10 * nq + d), x = random_floats(n * ldx, 20 * n + d);
          const std::size_t ldo = n + 2;
          std::vector<float> out(nq * ldo, -7.0f);
          k->block(q.data(), nq, ldq, x.data(), n, ldx, d, out.data(), ldo);
          for (std::size_t i = 0; i < nq; ++i) {
            for (std::size_t j = 0; j < n; ++j)
              ASSERT_TRUE(same_bits(out[i * ldo + j], k->dot(q.data() + i * ldq, x.data() + j * ldx, d)))
                  << k->name << " d=" << d << " nq=" << nq << " n=" << n << " at " << i << "," << j;
            EXPECT_EQ(out[i * ldo + n], -7.0f) << "wrote past the row";  // padding untouched
            EXPECT_EQ(out[i * ldo + n + 1], -7.0f);
          }
        }
      }
    }
  }
}

TEST(DotKernels, SetsAgreeWithEachOtherWithinRounding) {
  const auto a = random_floats(256 * 50, 5);
  const auto sets = supported();
  for (std::size_t r = 1; r < 50; ++r) {
    const float* x = a.data();
    const float* y = a.data() + r * 256;
    const float base = sets.front()->dot(x, y, 256);
    for (const auto* k : sets) EXPECT_NEAR(k->dot(x, y, 256), base, 1e-4f) << k->name;
  }
}

}  // namespace
