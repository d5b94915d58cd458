// Unit tests for LSH parameter choice and the LSH index (insert, remove, query, top-k),
// including a randomized comparison against a brute-force model of banded LSH.
#include <retold/error.hpp>
#include <retold/lsh.hpp>
#include <retold/minhash.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <map>
#include <random>
#include <vector>

using retold::errc;
using retold::lsh_index;
using retold::lsh_match;
using retold::lsh_params;
using retold::minhash_config;
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

// A base set and a variant sharing about `keep` of its elements.
std::vector<std::uint64_t> variant(const std::vector<std::uint64_t>& base, double keep,
                                   std::mt19937_64& rng) {
  std::vector<std::uint64_t> v;
  std::uniform_real_distribution<double> u(0, 1);
  for (auto x : base) v.push_back(u(rng) < keep ? x : rng());
  return v;
}

std::vector<std::uint64_t> random_set(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) x = rng();
  return v;
}

}  // namespace

TEST(LshParams, ChoiceFollowsTheThreshold) {
  for (double t : {0.3, 0.5, 0.7, 0.9}) {
    const lsh_params p = retold::choose_lsh_params(t, 128);
    EXPECT_GE(p.bands, 1u);
    EXPECT_GE(p.rows, 1u);
    EXPECT_LE(p.bands * p.rows, 128u);
    // The S-curve rises around the threshold.
    EXPECT_LT(retold::lsh_candidate_probability(p, t - 0.25), 0.25) << t;
    EXPECT_GT(retold::lsh_candidate_probability(p, std::min(0.99, t + 0.15)), 0.75) << t;
  }
  // Weighting false negatives more gives a more permissive banding.
  const lsh_params fn_heavy = retold::choose_lsh_params(0.5, 128, 0.1, 0.9);
  const lsh_params fp_heavy = retold::choose_lsh_params(0.5, 128, 0.9, 0.1);
  EXPECT_GT(retold::lsh_candidate_probability(fn_heavy, 0.5),
            retold::lsh_candidate_probability(fp_heavy, 0.5));
}

TEST(LshParams, InvalidArguments) {
  EXPECT_EQ(code_of([] { retold::choose_lsh_params(0.0, 128); }), errc::invalid_argument);
  EXPECT_EQ(code_of([] { retold::choose_lsh_params(1.0, 128); }), errc::invalid_argument);
  EXPECT_EQ(code_of([] { retold::choose_lsh_params(0.5, 0); }), errc::invalid_argument);
  EXPECT_EQ(code_of([] { retold::choose_lsh_params(0.5, 128, -1, 1); }), errc::invalid_argument);
  EXPECT_EQ(code_of([] { retold::choose_lsh_params(0.5, 128, 0, 0); }), errc::invalid_argument);
  EXPECT_EQ(code_of([] { lsh_index i(minhash_config{}, lsh_params{0, 4}); }), errc::invalid_argument);
  EXPECT_EQ(code_of([] { lsh_index i(minhash_config{}, lsh_params{20, 7}); }), errc::invalid_argument);
}

TEST(LshIndex, FindsNearDuplicatesVerifiedAndSorted) {
  std::mt19937_64 rng(5);
  const minhasher mh;
  lsh_index index(mh.config(), retold::choose_lsh_params(0.5, 128));
  const auto base = random_set(rng, 400);
  index.insert(1, mh.compute(base));
  index.insert(2, mh.compute(variant(base, 0.95, rng)));
  index.insert(3, mh.compute(variant(base, 0.8, rng)));
  for (std::uint64_t k = 10; k < 1010; ++k) index.insert(k, mh.compute(random_set(rng, 400)));
  EXPECT_EQ(index.size(), 1003u);

  const signature q = mh.compute(base);
  const auto res = index.query(q, 0.5);
  ASSERT_EQ(res.size(), 3u);
  EXPECT_EQ(res[0].key, 1u);
  EXPECT_DOUBLE_EQ(res[0].similarity, 1.0);
  EXPECT_EQ(res[1].key, 2u);
  EXPECT_EQ(res[2].key, 3u);
  for (const auto& m : res)
    EXPECT_DOUBLE_EQ(m.similarity, retold::estimate_jaccard(q.values(), index.values_of(m.key)));
  EXPECT_TRUE(std::is_sorted(res.begin(), res.end(), [](const lsh_match& a, const lsh_match& b) {
    return a.similarity > b.similarity;
  }));
  // A higher threshold drops the weaker variant.
  EXPECT_EQ(index.query(q, 0.8).size(), 2u);
  const auto top = index.query_top_k(q.values(), 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].key, 1u);
  EXPECT_EQ(top[1].key, 2u);
  EXPECT_TRUE(index.query_top_k(q, 0).empty());
}

TEST(LshIndex, ErrorsAndContracts) {
  const minhasher mh;
  lsh_index index(mh.config(), lsh_params{16, 8});
  const signature s = mh.compute(std::vector<std::uint64_t>{1, 2, 3});
  index.insert(7, s);
  EXPECT_EQ(code_of([&] { index.insert(7, s); }), errc::duplicate_id);
  minhash_config other;
  other.seed = 1;
  const signature t = minhasher(other).compute(std::vector<std::uint64_t>{1, 2, 3});
  EXPECT_EQ(code_of([&] { index.insert(8, t); }), errc::incompatible);
  EXPECT_EQ(code_of([&] { (void)index.query(t, 0.5); }), errc::incompatible);
  std::vector<std::uint32_t> short_values(10);
  EXPECT_EQ(code_of([&] { index.insert(9, short_values); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)index.query(s, 1.5); }), errc::invalid_argument);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_FALSE(index.contains(8));
  EXPECT_TRUE(index.values_of(8).empty());
  EXPECT_EQ(index.params(), (lsh_params{16, 8}));
  EXPECT_EQ(index.config(), mh.config());
}

TEST(LshIndex, RemoveAndReinsert) {
  std::mt19937_64 rng(6);
  const minhasher mh;
  lsh_index index(mh.config(), lsh_params{32, 4});
  const auto set = random_set(rng, 100);
  const signature s = mh.compute(set);
  index.insert(1, s);
  index.insert(2, s);
  EXPECT_EQ(index.query(s, 0.9).size(), 2u);
  EXPECT_TRUE(index.remove(1));
  EXPECT_FALSE(index.remove(1));
  EXPECT_FALSE(index.contains(1));
  EXPECT_TRUE(index.values_of(1).empty());
  const auto res = index.query(s, 0.9);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0].key, 2u);
  index.insert(1, s);  // the key can be used again, the slot is reused
  EXPECT_EQ(index.query(s, 0.9).size(), 2u);
  index.clear();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.query(s, 0.0).empty());
}

TEST(LshIndex, EmptySignaturesAreStoredButNeverMatch) {
  const minhasher mh;
  lsh_index index(mh.config(), lsh_params{16, 8});
  const signature e = mh.compute({});
  index.insert(1, e);
  index.insert(2, e);
  EXPECT_TRUE(index.contains(1));
  EXPECT_TRUE(index.query(e, 0.0).empty());
  EXPECT_TRUE(index.query_top_k(e.values(), 5).empty());
  EXPECT_TRUE(index.remove(1));
  EXPECT_EQ(index.size(), 1u);
}

TEST(LshIndex, MoveKeepsContents) {
  const minhasher mh;
  lsh_index a(mh.config(), lsh_params{16, 8});
  const signature s = mh.compute(std::vector<std::uint64_t>{4, 5, 6});
  a.insert(3, s);
  lsh_index b(std::move(a));
  EXPECT_TRUE(b.contains(3));
  EXPECT_EQ(b.query(s, 1.0).size(), 1u);
}

// Random inserts and removes, many documents sharing bands (long probe runs, backward-shift
// deletion), checked after every step against a brute-force model: a stored document is a
// result iff some band is identical and its estimated Jaccard >= threshold.
TEST(LshIndex, MatchesBruteForceModelUnderChurn) {
  std::mt19937_64 rng(7);
  minhash_config cfg;
  cfg.num_hashes = 64;
  const minhasher mh(cfg);
  const lsh_params params{16, 4};
  lsh_index index(cfg, params);
  std::vector<std::vector<std::uint64_t>> bases;
  for (int i = 0; i < 8; ++i) bases.push_back(random_set(rng, 60));
  std::map<std::uint64_t, signature> model;
  auto shares_band = [&](std::span<const std::uint32_t> a, std::span<const std::uint32_t> b) {
    for (std::uint32_t j = 0; j < params.bands; ++j)
      if (std::equal(a.begin() + j * params.rows, a.begin() + (j + 1) * params.rows,
                     b.begin() + j * params.rows))
        return true;
    return false;
  };
  for (int step = 0; step < 3000; ++step) {
    const std::uint64_t key = rng() % 400;
    if (model.count(key) && rng() % 2) {
      EXPECT_TRUE(index.remove(key));
      model.erase(key);
    } else if (!model.count(key)) {
      const signature s = mh.compute(variant(bases[rng() % bases.size()], 0.85, rng));
      index.insert(key, s);
      model.emplace(key, s);
    }
    if (step % 50 != 0) continue;
    ASSERT_EQ(index.size(), model.size());
    const signature q = mh.compute(variant(bases[rng() % bases.size()], 0.85, rng));
    std::vector<std::pair<std::uint64_t, double>> expected;
    for (const auto& [k, s] : model) {
      const double sim = retold::estimate_jaccard(q, s);
      if (shares_band(q.values(), s.values()) && sim >= 0.5) expected.emplace_back(k, sim);
    }
    std::sort(expected.begin(), expected.end(), [](auto& a, auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    const auto got = index.query(q, 0.5);
    ASSERT_EQ(got.size(), expected.size()) << "step " << step;
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].key, expected[i].first);
      EXPECT_DOUBLE_EQ(got[i].similarity, expected[i].second);
    }
  }
  for (const auto& [k, s] : model) {
    EXPECT_TRUE(index.contains(k));
    EXPECT_TRUE(std::equal(s.values().begin(), s.values().end(), index.values_of(k).begin()));
  }
}

TEST(LshIndex, RecallOfChosenParams) {
  // Pairs well above the threshold are found (S-curve: P(candidate | 0.8) ~ 1 for t = 0.5).
  std::mt19937_64 rng(8);
  const minhasher mh;
  lsh_index index(mh.config(), retold::choose_lsh_params(0.5, 128));
  std::vector<std::vector<std::uint64_t>> bases;
  for (std::uint64_t k = 0; k < 300; ++k) {
    bases.push_back(random_set(rng, 300));
    index.insert(k, mh.compute(bases.back()));
  }
  int found = 0;
  for (std::uint64_t k = 0; k < 300; ++k) {
    const auto res = index.query(mh.compute(variant(bases[k], 0.9, rng)), 0.5);
    found += std::any_of(res.begin(), res.end(), [&](const lsh_match& m) { return m.key == k; });
  }
  EXPECT_GE(found, 297);
}

// Const members may run concurrently (documented contract): many threads querying one index.
TEST(LshIndex, ConcurrentQueries) {
  std::mt19937_64 rng(9);
  const minhasher mh;
  lsh_index index(mh.config(), retold::choose_lsh_params(0.5, 128));
  std::vector<signature> sigs;
  for (std::uint64_t k = 0; k < 500; ++k) {
    sigs.push_back(mh.compute(random_set(rng, 200)));
    index.insert(k, sigs.back());
  }
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (std::uint64_t k = static_cast<std::uint64_t>(t); k < 500; k += 2) {
        const auto res = index.query(sigs[k], 0.9);
        if (res.empty() || res[0].key != k) ++wrong;
        if (index.values_of(k).size() != 128) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

// Thousands of byte-identical documents share every band: long probe runs, removal from the
// middle of them (backward shift), and results that list them all.
TEST(LshIndex, ManyIdenticalDocuments) {
  const minhasher mh;
  lsh_index index(mh.config(), lsh_params{16, 8});
  const signature s = mh.compute(std::vector<std::uint64_t>{10, 20, 30, 40, 50});
  for (std::uint64_t k = 0; k < 3000; ++k) index.insert(k, s);
  EXPECT_EQ(index.query(s, 1.0).size(), 3000u);
  for (std::uint64_t k = 0; k < 3000; k += 2) EXPECT_TRUE(index.remove(k));
  const auto res = index.query(s, 1.0);
  ASSERT_EQ(res.size(), 1500u);
  for (std::size_t i = 0; i < res.size(); ++i) EXPECT_EQ(res[i].key, 2 * i + 1);
}

// ---- band keys computed once (lsh_band_keys)

namespace {

std::vector<std::uint32_t> copy_of(const signature& s) { return {s.values().begin(), s.values().end()}; }

bool same_matches(const std::vector<lsh_match>& a, const std::vector<lsh_match>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].key != b[i].key || a[i].similarity != b[i].similarity) return false;
  return true;
}

}  // namespace

TEST(LshBandKeys, InsertAndQueryWithKeysEqualThePlainCalls) {
  std::mt19937_64 rng(11);
  const minhash_config cfg;
  const minhasher mh(cfg);
  const lsh_params params{50, 2};
  lsh_index plain(cfg, params), keyed(cfg, params);
  // Families of near-duplicates, some removed and reinserted, so collisions and reused slots occur.
  std::vector<std::vector<std::uint32_t>> sigs;
  for (int fam = 0; fam < 40; ++fam) {
    const auto base = random_set(rng, 300);
    for (int m = 0; m < 6; ++m) sigs.push_back(copy_of(mh.compute(variant(base, 0.4 + 0.1 * m, rng))));
  }
  for (std::size_t k = 0; k < sigs.size(); ++k) {
    const auto keys = keyed.band_keys(sigs[k]);
    ASSERT_EQ(keys.fingerprints().size(), params.bands);
    EXPECT_TRUE(same_matches(keyed.query(sigs[k], keys, 0.2), plain.query(sigs[k], 0.2))) << k;
    plain.insert(k, sigs[k]);
    keyed.insert(k, sigs[k], keys);
    if (k % 7 == 3) {  // churn: remove an earlier one and put it back
      ASSERT_TRUE(plain.remove(k - 2));
      ASSERT_TRUE(keyed.remove(k - 2));
      plain.insert(k - 2, sigs[k - 2]);
      keyed.insert(k - 2, sigs[k - 2], keyed.band_keys(sigs[k - 2]));
    }
  }
  ASSERT_EQ(plain.size(), keyed.size());
  EXPECT_EQ(plain.memory_bytes(), keyed.memory_bytes());
  std::size_t hits = 0;
  for (const auto& s : sigs) {
    const auto a = plain.query(s, 0.3), b = keyed.query(s, keyed.band_keys(s), 0.3);
    EXPECT_TRUE(same_matches(a, b));
    hits += a.size();
  }
  EXPECT_GT(hits, sigs.size());  // the families do find each other
  // Removing through the keyed index leaves nothing behind: every document is gone from every band.
  for (std::size_t k = 0; k < sigs.size(); ++k) ASSERT_TRUE(keyed.remove(k));
  for (const auto& s : sigs) EXPECT_TRUE(keyed.query(s, keyed.band_keys(s), 0.0).empty());
}

TEST(LshBandKeys, ServeEveryIndexWithTheSameParams) {
  std::mt19937_64 rng(5);
  const minhash_config cfg;
  const minhasher mh(cfg);
  lsh_index a(cfg, {50, 2}), b(cfg, {50, 2});
  const auto s = copy_of(mh.compute(random_set(rng, 200)));
  const auto keys = a.band_keys(s);
  b.insert(1, s, keys);
  a.insert(2, s, keys);
  ASSERT_EQ(b.query(s, keys, 0.9).size(), 1u);
  EXPECT_EQ(b.query(s, keys, 0.9)[0].key, 1u);
  EXPECT_EQ(a.query(s, 0.9)[0].key, 2u);
  const auto again = b.band_keys(s);
  EXPECT_TRUE(std::equal(keys.fingerprints().begin(), keys.fingerprints().end(), again.fingerprints().begin(),
                         again.fingerprints().end()));
}

TEST(LshBandKeys, KeysOfOtherValuesOrParamsAreRefusedAndChangeNothing) {
  std::mt19937_64 rng(9);
  const minhash_config cfg;
  const minhasher mh(cfg);
  lsh_index idx(cfg, {50, 2}), other(cfg, {32, 4});
  const auto s1 = copy_of(mh.compute(random_set(rng, 200)));
  const auto s2 = copy_of(mh.compute(random_set(rng, 200)));
  const auto k1 = idx.band_keys(s1);
  idx.insert(1, s1, k1);
  const std::size_t bytes = idx.memory_bytes();
  EXPECT_EQ(code_of([&] { idx.insert(2, s2, k1); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { idx.insert(2, s2, other.band_keys(s2)); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { idx.insert(2, s2, retold::lsh_band_keys{}); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)idx.query(s2, k1, 0.5); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)idx.query(s1, other.band_keys(s1), 0.5); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)idx.query(s1, k1, 1.5); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)idx.band_keys(std::vector<std::uint32_t>(3)); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { idx.insert(1, s1, k1); }), errc::duplicate_id);
  EXPECT_EQ(idx.size(), 1u);
  EXPECT_FALSE(idx.contains(2));
  EXPECT_EQ(idx.memory_bytes(), bytes);
  // The message says what was wrong.
  try {
    idx.insert(2, s2, k1);
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_NE(std::string(e.what()).find("another signature"), std::string::npos) << e.what();
  }
}

// ---- band tables (sorted arrays with gaps, load up to 0.85, growth by 1.25x)

namespace {

// Every stored key whose signature shares at least one band with `q` and has a positive
// Jaccard estimate: what query(q, 0.0) must return, by brute force over `model`.
std::vector<std::uint64_t> brute_candidates(const std::map<std::uint64_t, std::vector<std::uint32_t>>& model,
                                            std::span<const std::uint32_t> q, const lsh_params& p) {
  std::vector<std::uint64_t> out;
  for (const auto& [key, s] : model) {
    bool shared = false;
    for (std::uint32_t j = 0; j < p.bands && !shared; ++j)
      shared = std::equal(q.begin() + j * p.rows, q.begin() + (j + 1) * p.rows, s.begin() + j * p.rows);
    if (shared && retold::estimate_jaccard(q, s) > 0.0) out.push_back(key);
  }
  return out;
}

std::vector<std::uint64_t> keys_of(std::vector<lsh_match> m) {
  std::vector<std::uint64_t> k;
  for (const auto& x : m) k.push_back(x.key);
  std::sort(k.begin(), k.end());
  return k;
}

}  // namespace

// Tens of thousands of documents over a small value alphabet (so bands collide often and runs
// are long), inserted through many rehashes, a third removed (backward shifts), more inserted
// into the freed slots: every query returns exactly the documents that share a band.
TEST(LshBandTables, CandidatesAreExactThroughGrowthAndRemoval) {
  std::mt19937_64 rng(21);
  minhash_config cfg;
  cfg.num_hashes = 16;
  const lsh_params params{8, 2};
  lsh_index index(cfg, params);
  std::map<std::uint64_t, std::vector<std::uint32_t>> model;
  auto random_values = [&] {
    std::vector<std::uint32_t> v(16);
    for (auto& x : v) x = static_cast<std::uint32_t>(rng() % 24);  // 576 values per band
    return v;
  };
  auto check = [&](const char* when) {
    ASSERT_EQ(index.size(), model.size()) << when;
    for (int q = 0; q < 40; ++q) {
      const auto v = q % 2 ? random_values() : model.begin()->second;
      EXPECT_EQ(keys_of(index.query(v, 0.0)), brute_candidates(model, v, params)) << when << ", query " << q;
    }
  };
  std::uint64_t next_key = 0;
  for (int i = 0; i < 20000; ++i) {
    auto v = random_values();
    index.insert(next_key, v);
    model.emplace(next_key++, std::move(v));
    if (i == 100 || i == 2000) check("growing");
  }
  check("after inserts");
  for (std::uint64_t k = 0; k < next_key; k += 3) {
    EXPECT_TRUE(index.remove(k));
    model.erase(k);
  }
  EXPECT_FALSE(index.remove(0));
  check("after removals");
  for (int i = 0; i < 8000; ++i) {
    auto v = random_values();
    index.insert(next_key, v);
    model.emplace(next_key++, std::move(v));
  }
  check("after reinserts");
  for (const auto& [k, v] : model) ASSERT_TRUE(std::equal(v.begin(), v.end(), index.values_of(k).begin())) << k;
}

// Thousands of copies share every band's fingerprint, so each band table holds one probe run of
// 5000 entries (the first band's fingerprint near 2^32, which a table indexed by the top bits would
// place at its end): they are all found, removable from the middle of the run, and the tables stay
// within a small factor of their load.
TEST(LshBandTables, EntriesPiledAtTheEndOfTheTable) {
  const minhasher mh;
  const lsh_params params{16, 8};
  lsh_index index(mh.config(), params);
  signature s;
  std::vector<std::uint32_t> v;
  for (std::uint64_t seed = 0;; ++seed) {
    s = mh.compute(std::vector<std::uint64_t>{seed, seed + 1, seed + 2});
    v.assign(s.values().begin(), s.values().end());
    if (index.band_keys(v).fingerprints()[0] >= 0xFF000000u) break;
    ASSERT_LT(seed, 100000u);
  }
  for (std::uint64_t k = 0; k < 5000; ++k) index.insert(k, s);
  EXPECT_EQ(index.query(s, 1.0).size(), 5000u);
  for (std::uint64_t k = 1; k < 5000; k += 2) EXPECT_TRUE(index.remove(k));
  const auto left = keys_of(index.query(s, 1.0));
  ASSERT_EQ(left.size(), 2500u);
  for (std::size_t i = 0; i < left.size(); ++i) EXPECT_EQ(left[i], 2 * i);
  // A stranger sharing no band is no candidate.
  EXPECT_TRUE(index.query(mh.compute(std::vector<std::uint64_t>{7, 8, 9, 10}), 0.0).empty());
  // One long run does not make a table grow like a rehash per insert would: against 5000
  // documents spread over the tables, at most 2 x 5000 entries of 8 bytes more per band.
  std::mt19937_64 rng(23);
  lsh_index spread(mh.config(), params);
  for (std::uint64_t k = 0; k < 5000; ++k) spread.insert(k, mh.compute(random_set(rng, 50)));
  for (std::uint64_t k = 1; k < 5000; k += 2) EXPECT_TRUE(spread.remove(k));
  EXPECT_LT(index.memory_bytes(), spread.memory_bytes() + params.bands * 2 * 5000 * 8);
}

// reserve(n) makes the next n inserts allocation-free; reserved or grown by inserts, a band table
// is a power of two at a load of at most 0.7 (and more than 0.35). Bytes per band entry are measured as the
// difference between 50 and 10 bands over the same documents (everything else is the same).
TEST(LshBandTables, TablesRunAtTheirLoad) {
  std::mt19937_64 rng(22);
  const minhasher mh;
  constexpr std::size_t n = 20000;
  std::vector<signature> sigs;
  for (std::size_t k = 0; k < n; ++k) sigs.push_back(mh.compute(random_set(rng, 40)));
  auto bytes = [&](std::uint32_t bands, bool reserve) {
    lsh_index index(mh.config(), lsh_params{bands, 2});
    if (reserve) index.reserve(n);
    const std::size_t reserved = index.memory_bytes();
    for (std::size_t k = 0; k < n; ++k) index.insert(k, sigs[k]);
    if (reserve) {
      EXPECT_EQ(index.memory_bytes(), reserved) << "an insert after reserve() allocated";
    }
    return static_cast<double>(index.memory_bytes());
  };
  const double reserved = (bytes(50, true) - bytes(10, true)) / (40.0 * n);
  EXPECT_GE(reserved, 8.0 / 0.7);
  EXPECT_LE(reserved, 2 * 8.0 / 0.7);
  const double grown = (bytes(50, false) - bytes(10, false)) / (40.0 * n);
  EXPECT_GE(grown, 8.0 / 0.7);
  EXPECT_LE(grown, 2 * 8.0 / 0.7);
  lsh_index a(mh.config(), lsh_params{50, 2}), b(mh.config(), lsh_params{50, 2});
  a.reserve(n);
  for (std::size_t k = 0; k < n; ++k) {
    a.insert(k, sigs[k]);
    b.insert(k, sigs[k]);
  }
  for (std::size_t k = 0; k < n; k += 97) EXPECT_EQ(keys_of(a.query(sigs[k], 0.0)), keys_of(b.query(sigs[k], 0.0)));
}
