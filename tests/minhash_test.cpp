// Unit tests for MinHash signatures: determinism, serialization, config checks, and the
// statistical test that the Jaccard estimator is unbiased and within its standard error.
#include <retold/error.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include "features/detail/minhash_kernels.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <unordered_set>
#include <vector>

using retold::errc;
using retold::minhash_config;
using retold::minhash_scheme;
using retold::minhasher;
using retold::signature;

namespace {

errc code_of(auto&& f) {
  try {
    f();
  } catch (const retold::error& e) {
    return e.code();
  }
  return errc::ok;
}

std::vector<std::uint64_t> random_set(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) x = rng();
  return v;
}

class MinHashScheme : public ::testing::TestWithParam<minhash_scheme> {
 protected:
  minhash_config cfg() const {
    minhash_config c;
    c.scheme = GetParam();
    return c;
  }
};

}  // namespace

TEST_P(MinHashScheme, DeterministicAndOrderAndDuplicateInvariant) {
  std::mt19937_64 rng(1);
  auto set = random_set(rng, 300);
  const minhasher mh(cfg());
  const signature a = mh.compute(set);
  auto shuffled = set;
  shuffled.insert(shuffled.end(), set.begin(), set.begin() + 100);  // duplicates
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const signature b = mh.compute(shuffled);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.values().size(), 128u);
  EXPECT_FALSE(a.empty());
  EXPECT_DOUBLE_EQ(retold::estimate_jaccard(a, b), 1.0);
  for (auto v : a.values()) EXPECT_NE(v, signature::empty_value);
}

TEST_P(MinHashScheme, DisjointSetsEstimateNearZero) {
  std::mt19937_64 rng(2);
  const minhasher mh(cfg());
  const auto a = mh.compute(random_set(rng, 500));
  const auto b = mh.compute(random_set(rng, 500));
  EXPECT_LE(retold::estimate_jaccard(a, b), 0.02);
}

TEST_P(MinHashScheme, EmptyAndTinySets) {
  const minhasher mh(cfg());
  const signature e = mh.compute({});
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.values().size(), 128u);
  EXPECT_EQ(retold::estimate_jaccard(e, e), 0.0);
  const std::uint64_t one[] = {12345};
  const std::uint64_t other[] = {54321};
  const signature s1 = mh.compute(one);
  EXPECT_FALSE(s1.empty());
  EXPECT_EQ(retold::estimate_jaccard(s1, s1), 1.0);
  EXPECT_EQ(retold::estimate_jaccard(s1, e), 0.0);
  EXPECT_EQ(retold::estimate_jaccard(s1, mh.compute(other)), 0.0);
}

TEST_P(MinHashScheme, ComputeIntoMatchesCompute) {
  std::mt19937_64 rng(3);
  const auto set = random_set(rng, 77);
  minhash_config c = cfg();
  c.num_hashes = 200;  // not a multiple of any SIMD width
  const minhasher mh(c);
  std::vector<std::uint32_t> out(200);
  mh.compute_into(set, out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), mh.compute(set).values().begin()));
  std::vector<std::uint32_t> wrong(10);
  EXPECT_EQ(code_of([&] { mh.compute_into(set, wrong); }), errc::invalid_argument);
}

TEST_P(MinHashScheme, SerializationRoundTrip) {
  std::mt19937_64 rng(4);
  minhash_config c = cfg();
  c.num_hashes = 64;
  c.seed = 0x0102030405060708ULL;
  const signature s = minhasher(c).compute(random_set(rng, 100));
  const auto bytes = s.serialize();
  ASSERT_EQ(bytes.size(), signature::serialized_size(64));
  const signature back = signature::deserialize(bytes);
  EXPECT_EQ(back, s);
  EXPECT_EQ(back.config(), c);
  const signature empty_back = signature::deserialize(signature(c).serialize());
  EXPECT_TRUE(empty_back.empty());
}

INSTANTIATE_TEST_SUITE_P(Schemes, MinHashScheme,
                         ::testing::Values(minhash_scheme::one_permutation,
                                           minhash_scheme::multiply_shift),
                         [](const auto& info) {
                           return info.param == minhash_scheme::one_permutation
                                      ? std::string("one_permutation")
                                      : std::string("multiply_shift");
                         });

TEST(Signature, FixedLittleEndianLayout) {
  minhash_config c;
  c.num_hashes = 2;
  c.seed = 0x1122334455667788ULL;
  c.scheme = minhash_scheme::multiply_shift;
  const signature s(c, {0x01020304u, 0xA0B0C0D0u});
  const std::vector<std::uint8_t> expected = {
      'R', 'T', 'S', 'G', 1, 0, 2, 0, 2, 0, 0, 0,                 // magic, version, scheme, n
      0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,             // seed
      0x04, 0x03, 0x02, 0x01, 0xD0, 0xC0, 0xB0, 0xA0};            // values
  EXPECT_EQ(s.serialize(), expected);
}

TEST(Signature, CorruptedBytesAreRejected) {
  const signature s = minhasher().compute(std::vector<std::uint64_t>{1, 2, 3});
  auto bytes = s.serialize();
  auto with = [&](auto edit) {
    auto b = bytes;
    edit(b);
    return code_of([&] { (void)signature::deserialize(b); });
  };
  EXPECT_EQ(with([](auto& b) { b[0] = 'X'; }), errc::corrupted_state);
  EXPECT_EQ(with([](auto& b) { b.pop_back(); }), errc::corrupted_state);
  EXPECT_EQ(with([](auto& b) { b.push_back(0); }), errc::corrupted_state);
  EXPECT_EQ(with([](auto& b) { b.resize(10); }), errc::corrupted_state);
  EXPECT_EQ(with([](auto& b) { b[4] = 2; }), errc::incompatible);  // format version 2
  EXPECT_EQ(with([](auto& b) { b[6] = 7; }), errc::incompatible);  // unknown scheme
  EXPECT_EQ(with([](auto& b) { b[8] = b[9] = b[10] = b[11] = 0; }), errc::corrupted_state);
  EXPECT_EQ(code_of([] { (void)signature::deserialize({}); }), errc::corrupted_state);
}

TEST(Signature, ConfigValidationAndMismatch) {
  minhash_config bad;
  bad.num_hashes = 0;
  EXPECT_EQ(code_of([&] { minhasher m(bad); }), errc::invalid_argument);
  bad.num_hashes = 128;
  bad.scheme = static_cast<minhash_scheme>(0);
  EXPECT_EQ(code_of([&] { minhasher m(bad); }), errc::invalid_argument);
  EXPECT_EQ(code_of([] { signature s(minhash_config{}, std::vector<std::uint32_t>(3)); }),
            errc::invalid_argument);

  const std::vector<std::uint64_t> set = {1, 2, 3, 4, 5};
  const signature a = minhasher().compute(set);
  minhash_config other_seed;
  other_seed.seed = 7;
  minhash_config other_size;
  other_size.num_hashes = 64;
  minhash_config other_scheme;
  other_scheme.scheme = minhash_scheme::multiply_shift;
  for (const auto& c : {other_seed, other_size, other_scheme}) {
    const signature b = minhasher(c).compute(set);
    EXPECT_EQ(code_of([&] { (void)retold::estimate_jaccard(a, b); }), errc::incompatible);
  }
  // Different seeds are different permutations: the same set gives different values.
  EXPECT_NE(minhasher(other_seed).compute(set).values()[0], a.values()[0]);
  // Raw spans of different lengths compare as 0 instead of reading out of bounds.
  EXPECT_EQ(retold::estimate_jaccard(a.values(), a.values().first(10)), 0.0);
}

// The estimator test: for many random pairs of sets with known exact Jaccard J, the estimate
// must lie within 4 standard errors sqrt(J (1 - J) / k) for >= 99% of pairs, and the mean error
// must be near zero (within 4 standard errors of the mean).
struct estimator_stats {
  double within_4se = 0;
  double mean_error = 0;
  double mean_error_bound = 0;
  double rms_z = 0;
};

estimator_stats run_estimator_trial(minhash_scheme scheme, std::size_t min_union,
                                    std::size_t max_union, int pairs, std::uint64_t rng_seed,
                                    std::uint32_t num_hashes = 128) {
  std::mt19937_64 rng(rng_seed);
  std::uniform_real_distribution<double> jdist(0.05, 0.95);
  std::uniform_int_distribution<std::size_t> udist(min_union, max_union);
  int within = 0;
  double sum_err = 0, sum_var = 0, sum_z2 = 0;
  for (int p = 0; p < pairs; ++p) {
    const std::size_t u = udist(rng);
    const auto inter = static_cast<std::size_t>(std::lround(jdist(rng) * static_cast<double>(u)));
    const std::size_t a_only = (u - inter) / 2, b_only = u - inter - a_only;
    auto common = random_set(rng, inter);
    auto a = common, b = common;
    for (auto x : random_set(rng, a_only)) a.push_back(x);
    for (auto x : random_set(rng, b_only)) b.push_back(x);
    // Exact Jaccard of the same sets (random 64-bit elements: distinct with overwhelming odds).
    std::unordered_set<std::uint64_t> sa(a.begin(), a.end());
    std::size_t i = 0;
    for (auto x : b) i += sa.count(x);
    const double exact = static_cast<double>(i) / static_cast<double>(a.size() + b.size() - i);
    minhash_config c;
    c.scheme = scheme;
    c.num_hashes = num_hashes;
    c.seed = rng();  // a fresh permutation for every pair
    const minhasher mh(c);
    const double est = retold::estimate_jaccard(mh.compute(a), mh.compute(b));
    const double var = exact * (1 - exact) / c.num_hashes;
    const double err = est - exact;
    within += std::abs(err) <= 4 * std::sqrt(var);
    sum_err += err;
    sum_var += var;
    sum_z2 += err * err / var;
  }
  estimator_stats s;
  s.within_4se = static_cast<double>(within) / pairs;
  s.mean_error = sum_err / pairs;
  s.mean_error_bound = 4 * std::sqrt(sum_var) / pairs;
  s.rms_z = std::sqrt(sum_z2 / pairs);
  return s;
}

TEST(Estimator, UnbiasedAndWithinFourStandardErrors) {
  struct trial {
    minhash_scheme scheme;
    std::size_t lo, hi;
    std::uint32_t k;
    const char* name;
  };
  const trial trials[] = {
      {minhash_scheme::one_permutation, 200, 2000, 128, "one_permutation k=128, |A u B| 200..2000"},
      {minhash_scheme::one_permutation, 20, 200, 128,
       "one_permutation k=128, |A u B| 20..200 (densified)"},
      {minhash_scheme::one_permutation, 50, 1000, 100, "one_permutation k=100, |A u B| 50..1000"},
      {minhash_scheme::multiply_shift, 200, 2000, 128, "multiply_shift k=128, |A u B| 200..2000"},
  };
  for (const auto& t : trials) {
    const estimator_stats s = run_estimator_trial(t.scheme, t.lo, t.hi, 3000, 2024, t.k);
    std::printf("[estimator] %s: within 4 SE %.4f, mean error %+.5f (bound %.5f), RMS z %.3f\n",
                t.name, s.within_4se, s.mean_error, s.mean_error_bound, s.rms_z);
    EXPECT_GE(s.within_4se, 0.99) << t.name;
    EXPECT_LE(std::abs(s.mean_error), s.mean_error_bound) << t.name;
  }
}

TEST(Estimator, RealShinglesFromEditedText) {
  // Near-duplicate texts built from a word list: exact Jaccard of their word 5-gram sets vs the
  // estimate from their signatures.
  std::mt19937_64 rng(99);
  const char* words[] = {"ministers", "allies", "video", "call", "support", "kyiv", "paris",
                         "ammunition", "delivery", "defense", "border", "moldova", "talks",
                         "president", "invitation", "conference", "troops", "criticism"};
  int within = 0;
  double sum_err = 0;
  const int pairs = 400;
  const minhasher mh;
  for (int p = 0; p < pairs; ++p) {
    std::vector<std::string> doc;
    for (int w = 0; w < 400; ++w) doc.push_back(words[rng() % std::size(words)]);
    auto edited = doc;
    const int edits = static_cast<int>(rng() % 60);
    for (int e = 0; e < edits; ++e) edited[rng() % edited.size()] = words[rng() % std::size(words)];
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
      return s;
    };
    auto ha = retold::shingle_hashes(join(doc), {});
    auto hb = retold::shingle_hashes(join(edited), {});
    std::unordered_set<std::uint64_t> sa(ha.begin(), ha.end()), sb(hb.begin(), hb.end());
    std::size_t inter = 0;
    for (auto x : sb) inter += sa.count(x);
    const double exact = static_cast<double>(inter) / static_cast<double>(sa.size() + sb.size() - inter);
    const double est = retold::estimate_jaccard(mh.compute(ha), mh.compute(hb));
    const double se = std::sqrt(std::max(exact * (1 - exact), 1e-9) / 128);
    within += std::abs(est - exact) <= 4 * se + 1e-12;
    sum_err += est - exact;
  }
  std::printf("[estimator] word 5-grams of edited 400-word texts: within 4 SE %.4f, mean error %+.5f\n",
              static_cast<double>(within) / pairs, sum_err / pairs);
  EXPECT_GE(within, pairs * 99 / 100);
}

// Golden values: signatures are stored and compared across machines and releases (and the
// multiply-shift kernel is compiled for several instruction sets), so values must never change
// silently.
TEST(Signature, GoldenValues) {
  std::vector<std::uint64_t> set;
  for (std::uint64_t i = 0; i < 50; ++i) set.push_back(i * 0x9e3779b97f4a7c15ULL);
  minhash_config ms;
  ms.scheme = minhash_scheme::multiply_shift;
  const signature sa = minhasher().compute(set), sb = minhasher(ms).compute(set);
  const auto a = sa.values(), b = sb.values();
  EXPECT_EQ(a[0], 0xcd519adau);
  EXPECT_EQ(a[127], 0x875be136u);
  EXPECT_EQ(b[0], 0x0228459eu);
  EXPECT_EQ(b[127], 0x00e52296u);
}

// The vectorised multiply-shift kernel equals the scalar formula, for sizes around its blocks.
TEST(Signature, MultiplyShiftKernelMatchesScalar) {
  std::mt19937_64 rng(5);
  const auto set = random_set(rng, 37);
  for (std::size_t k : {1u, 15u, 16u, 17u, 128u, 133u}) {
    std::vector<std::uint64_t> a(k), b(k);
    for (std::size_t i = 0; i < k; ++i) {
      a[i] = rng();
      b[i] = rng();
    }
    std::vector<std::uint32_t> out(k);
    const std::uint64_t seed = 77;
    retold::detail::multiply_shift_signature(set, seed, a.data(), b.data(), out);
    // Every variant the CPU runs (generic, AVX2, AVX-512) gives the chosen one's bits.
    for (int level = 0; level <= 2; ++level) {
      const auto kernel = retold::detail::multiply_shift_kernel_for(level);
      if (!kernel) continue;
      std::vector<std::uint32_t> other(k);
      kernel(set, seed, a.data(), b.data(), other);
      EXPECT_EQ(other, out) << "k " << k << " level " << level;
    }
    // Scalar reference, with the kernel's input mixing (documented in minhash_kernels.cpp).
    const std::uint64_t s = retold::detail::fmix64(seed ^ 0x6d756c2d73686674ULL);
    for (std::size_t i = 0; i < k; ++i) {
      std::uint32_t m = 0xFFFFFFFFu;
      for (auto h : set) {
        const std::uint64_t x = static_cast<std::uint32_t>(retold::detail::fmix64(h ^ s));
        m = std::min(m, static_cast<std::uint32_t>((a[i] * x + b[i]) >> 32));
      }
      if (m == 0xFFFFFFFFu) m = 0xFFFFFFFEu;
      EXPECT_EQ(out[i], m) << "k " << k << " i " << i;
    }
  }
}
