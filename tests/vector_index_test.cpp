// Tests of the FAISS-backed vector index (include/retold/vector_index.hpp).
#include <retold/error.hpp>
#include <retold/vector_index.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <set>
#include <string>

namespace {

using retold::vector_index;
using retold::vector_index_kind;
using retold::vector_index_options;

constexpr std::uint32_t dim = 32;

// n unit vectors in groups of 4 near-duplicates (cosine ~0.9 within a group).
std::vector<float> grouped(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> x(n * dim), centre(dim);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % 4 == 0)
      for (auto& c : centre) c = g(rng);
    double s = 0;
    for (std::size_t j = 0; j < dim; ++j) {
      x[i * dim + j] = centre[j] + 0.3f * g(rng);
      s += double(x[i * dim + j]) * x[i * dim + j];
    }
    for (std::size_t j = 0; j < dim; ++j) x[i * dim + j] /= static_cast<float>(std::sqrt(s));
  }
  return x;
}

std::span<const float> row(const std::vector<float>& x, std::size_t i) { return {x.data() + i * dim, dim}; }

float dot(std::span<const float> a, std::span<const float> b) {
  float s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

std::vector<std::uint64_t> keys_of(const std::vector<retold::vector_match>& m) {
  std::vector<std::uint64_t> k;
  for (const auto& x : m) k.push_back(x.key);
  return k;
}

vector_index_options opts(vector_index_kind kind) {
  vector_index_options o;
  o.dimension = dim;
  o.kind = kind;
  return o;
}

retold::errc code_of(auto&& f) {
  try {
    f();
  } catch (const retold::error& e) {
    return e.code();
  }
  return retold::errc::ok;
}

TEST(VectorIndex, FlatRangeSearchAndTopKAreExact) {
  const auto x = grouped(200, 1);
  vector_index idx(opts(vector_index_kind::flat));
  for (std::size_t i = 0; i < 200; ++i) idx.add(1000 + i, row(x, i));
  EXPECT_EQ(idx.size(), 200u);
  EXPECT_EQ(idx.active_kind(), vector_index_kind::flat);
  for (std::size_t q : {0u, 37u, 199u}) {
    std::vector<retold::vector_match> expect;
    for (std::size_t i = 0; i < 200; ++i) {
      const float c = dot(row(x, q), row(x, i));
      if (c >= 0.5f) expect.push_back({1000 + i, c});
    }
    const auto got = idx.range_search(row(x, q), 0.5f);
    ASSERT_EQ(got.size(), expect.size());
    std::sort(expect.begin(), expect.end(), [](auto& a, auto& b) { return a.cosine > b.cosine; });
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].key, expect[i].key);
      EXPECT_NEAR(got[i].cosine, expect[i].cosine, 1e-5f);
    }
    EXPECT_EQ(got.front().key, 1000 + q);
    const auto top = idx.search(row(x, q), 3);
    ASSERT_EQ(top.size(), 3u);
    EXPECT_EQ(top[0].key, 1000 + q);
    EXPECT_GE(top[0].cosine, top[1].cosine);
    EXPECT_GE(top[1].cosine, top[2].cosine);
  }
  EXPECT_EQ(idx.search(row(x, 0), 1000).size(), 200u);
}

TEST(VectorIndex, NormalizesInputsSoScaleDoesNotMatter) {
  vector_index idx(opts(vector_index_kind::flat));
  std::vector<float> v(dim, 0.0f), w(dim, 0.0f);
  v[0] = 5.0f;
  w[0] = 1.0f;
  w[1] = 1.0f;
  idx.add(1, v);
  const auto r = idx.range_search(w, 0.7f);  // cos = 1/sqrt(2)
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].cosine, std::sqrt(0.5f), 1e-6f);
  EXPECT_TRUE(idx.range_search(w, 0.71f).empty());
}

TEST(VectorIndex, RejectsBadInputWithoutChangingTheIndex) {
  vector_index idx(opts(vector_index_kind::automatic));
  std::vector<float> v(dim, 1.0f);
  idx.add(7, v);
  EXPECT_EQ(code_of([&] { idx.add(7, v); }), retold::errc::duplicate_id);
  EXPECT_EQ(code_of([&] { idx.add(8, std::vector<float>(dim + 1, 1.0f)); }), retold::errc::incompatible);
  EXPECT_EQ(code_of([&] { idx.add(UINT64_MAX, v); }), retold::errc::invalid_argument);
  auto nan = v;
  nan[3] = std::nanf("");
  EXPECT_EQ(code_of([&] { idx.add(9, nan); }), retold::errc::invalid_argument);
  const std::uint64_t keys[] = {10, 10};
  std::vector<float> two(2 * dim, 1.0f);
  EXPECT_EQ(code_of([&] { idx.add_batch(keys, two); }), retold::errc::duplicate_id);
  const std::uint64_t keys3[] = {11, 12, 13};
  EXPECT_EQ(code_of([&] { idx.add_batch(keys3, two); }), retold::errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)idx.range_search(std::vector<float>(3), 0.5f); }), retold::errc::incompatible);
  EXPECT_EQ(idx.size(), 1u);
  EXPECT_FALSE(idx.contains(10));
  EXPECT_TRUE(idx.contains(7));
}

TEST(VectorIndex, ValidatesOptions) {
  auto o = opts(vector_index_kind::flat);
  o.scalar_quantization = true;
  EXPECT_EQ(code_of([&] { vector_index idx(o); }), retold::errc::invalid_argument);
  o = opts(vector_index_kind::ivf);
  o.nprobe = 0;
  EXPECT_EQ(code_of([&] { vector_index idx(o); }), retold::errc::invalid_argument);
  o = opts(vector_index_kind::ivf);
  o.dimension = 0;
  EXPECT_EQ(code_of([&] { vector_index idx(o); }), retold::errc::invalid_argument);
}

TEST(VectorIndex, FlatRemovalKeepsTheOtherKeysFindable) {
  const auto x = grouped(40, 2);
  vector_index idx(opts(vector_index_kind::flat));
  for (std::size_t i = 0; i < 40; ++i) idx.add(i, row(x, i));
  EXPECT_TRUE(idx.remove(5));
  EXPECT_FALSE(idx.remove(5));
  EXPECT_EQ(idx.remove_batch(std::vector<std::uint64_t>{0, 39, 1234}), 2u);
  EXPECT_EQ(idx.size(), 37u);
  for (std::size_t i = 0; i < 40; ++i) {
    const auto top = idx.search(row(x, i), 1);
    ASSERT_EQ(top.size(), 1u);
    if (i == 5 || i == 0 || i == 39)
      EXPECT_NE(top[0].key, i);
    else
      EXPECT_EQ(top[0].key, i) << i;
  }
  idx.add(5, row(x, 5));  // a removed key can be added again
  EXPECT_EQ(idx.search(row(x, 5), 1)[0].key, 5u);
}

TEST(VectorIndex, SwitchesToIvfAtTheThresholdAndMatchesFlatWhenAllCellsAreProbed) {
  const std::size_t n = 1200;
  const auto x = grouped(n, 3);
  auto o = opts(vector_index_kind::automatic);
  o.ivf_min_size = 1000;
  o.nprobe = 1000;  // clamped to nlist: exhaustive, so results must equal exact search
  vector_index ivf(o);
  vector_index flat(opts(vector_index_kind::flat));
  for (std::size_t i = 0; i < n; ++i) {
    ivf.add(i, row(x, i));
    flat.add(i, row(x, i));
    if (i + 1 == 999) {
      EXPECT_EQ(ivf.active_kind(), vector_index_kind::flat);
    }
  }
  EXPECT_EQ(ivf.active_kind(), vector_index_kind::ivf);
  EXPECT_GT(ivf.active_nlist(), 1u);
  EXPECT_EQ(ivf.size(), n);
  for (std::size_t q = 0; q < n; q += 97) {
    EXPECT_EQ(keys_of(ivf.range_search(row(x, q), 0.6f)), keys_of(flat.range_search(row(x, q), 0.6f)));
    EXPECT_EQ(keys_of(ivf.search(row(x, q), 4)), keys_of(flat.search(row(x, q), 4)));
  }
}

TEST(VectorIndex, IvfWithFewProbesStillFindsNearDuplicates) {
  const std::size_t n = 4000;
  const auto x = grouped(n, 4);
  auto o = opts(vector_index_kind::ivf);
  o.nprobe = 8;
  vector_index idx(o);
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = i;
  idx.add_batch(keys, x);
  ASSERT_EQ(idx.active_kind(), vector_index_kind::ivf);
  std::size_t found = 0, total = 0;
  for (std::size_t q = 0; q < n; q += 13) {
    const auto r = keys_of(idx.range_search(row(x, q), 0.7f));
    const std::size_t g = q / 4 * 4;
    for (std::size_t j = g; j < g + 4; ++j) {
      if (dot(row(x, q), row(x, j)) < 0.7f) continue;
      ++total;
      found += std::count(r.begin(), r.end(), j);
    }
  }
  EXPECT_GE(double(found) / double(total), 0.95);
}

TEST(VectorIndex, IvfRemovalAndDeterminism) {
  const std::size_t n = 2000;
  const auto x = grouped(n, 5);
  auto o = opts(vector_index_kind::ivf);
  o.nprobe = 4;
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = (i * 7919) ^ 0xABCDEF;  // arbitrary keys
  vector_index a(o), b(o);
  a.add_batch(keys, x);
  b.add_batch(keys, x);
  for (std::size_t q = 0; q < n; q += 101) EXPECT_EQ(a.range_search(row(x, q), 0.3f), b.range_search(row(x, q), 0.3f));
  EXPECT_TRUE(a.remove(keys[10]));
  EXPECT_FALSE(a.remove(keys[10]));
  EXPECT_EQ(a.remove_batch(std::vector<std::uint64_t>{keys[11], keys[12], 42}), 2u);
  EXPECT_EQ(a.size(), n - 3);
  for (std::size_t i : {10u, 11u, 12u}) {
    const auto r = keys_of(a.range_search(row(x, i), 0.0f));
    EXPECT_EQ(std::count(r.begin(), r.end(), keys[i]), 0);
  }
  EXPECT_EQ(a.search(row(x, 13), 1)[0].key, keys[13]);
}

TEST(VectorIndex, ScalarQuantizedIvfKeepsCosinesClose) {
  const std::size_t n = 2000;
  const auto x = grouped(n, 6);
  auto o = opts(vector_index_kind::ivf);
  o.scalar_quantization = true;
  o.nprobe = 1000;
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = i;
  vector_index idx(o);
  idx.add_batch(keys, x);
  for (std::size_t q = 0; q < n; q += 173) {
    const auto top = idx.search(row(x, q), 4);
    ASSERT_FALSE(top.empty());
    EXPECT_EQ(top[0].key, q);
    for (const auto& m : top) EXPECT_NEAR(m.cosine, dot(row(x, q), row(x, m.key)), 0.02f);
  }
  vector_index moved = std::move(idx);
  EXPECT_EQ(moved.size(), n);
}

TEST(VectorIndex, AutomaticNlistRetrainsAsTheCollectionGrows) {
  auto o = opts(vector_index_kind::ivf);
  vector_index idx(o);
  const auto x = grouped(1200, 7);
  for (std::size_t i = 0; i < 1200; ++i) idx.add(i, row(x, i));
  // Trained at 64 vectors (nlist 64 / 16 = 4), retrained at 256 (16) and 1024 (min(4 sqrt(1024),
  // 1024 / 16) = 64).
  EXPECT_EQ(idx.active_nlist(), 64u);
  EXPECT_EQ(idx.size(), 1200u);
  EXPECT_EQ(idx.search(row(x, 1199), 1)[0].key, 1199u);
}

}  // namespace

namespace {

TEST(VectorIndex, SearchBatchAgreesWithSearchAndIgnoresItsNeighbours) {
  const std::size_t n = 1300;
  const auto x = grouped(n, 11);
  for (auto kind : {vector_index_kind::flat, vector_index_kind::automatic}) {
    auto o = opts(kind);
    o.ivf_min_size = 1000;
    vector_index idx(o);
    for (std::size_t i = 0; i < n; ++i) idx.add(i, row(x, i));
    // 37 queries: more than one padded group, then each alone: identical results.
    std::vector<float> queries(x.begin(), x.begin() + 37 * dim);
    const auto batch = idx.search_batch(queries, 5);
    ASSERT_EQ(batch.size(), 37u);
    for (std::size_t q = 0; q < 37; ++q) {
      const auto alone = idx.search_batch(row(x, q), 5);
      ASSERT_EQ(alone.size(), 1u);
      ASSERT_EQ(alone[0].size(), batch[q].size());
      for (std::size_t i = 0; i < batch[q].size(); ++i) {
        EXPECT_EQ(alone[0][i].key, batch[q][i].key);
        EXPECT_EQ(alone[0][i].cosine, batch[q][i].cosine);  // bit for bit
      }
      EXPECT_EQ(keys_of(batch[q]), keys_of(idx.search(row(x, q), 5)));
      EXPECT_EQ(batch[q].front().key, q);
    }
  }
  vector_index idx(opts(vector_index_kind::flat));
  EXPECT_TRUE(idx.search_batch(row(x, 0), 3)[0].empty());  // empty index
  idx.add(1, row(x, 1));
  EXPECT_THROW(idx.search_batch(std::vector<float>(dim + 1, 0.1f), 3), retold::error);
}

}  // namespace

namespace {

// Bit-for-bit equality of two result lists.
void expect_identical(const std::vector<retold::vector_match>& a, const std::vector<retold::vector_match>& b,
                      const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].key, b[i].key) << what << " rank " << i;
    EXPECT_EQ(a[i].cosine, b[i].cosine) << what << " rank " << i;
  }
}

TEST(VectorIndex, SearchBatchIsTheSameForAnyThreadCountAndMatchesSearch) {
  const std::size_t n = 6000;
  const auto x = grouped(n, 21);
  struct variant {
    const char* name;
    vector_index_kind kind;
    bool sq8;
  };
  for (const variant v : {variant{"flat", vector_index_kind::flat, false}, variant{"ivf", vector_index_kind::ivf, false},
                          variant{"ivf+sq8", vector_index_kind::ivf, true}}) {
    auto o = opts(v.kind);
    o.nlist = v.kind == vector_index_kind::ivf ? 40 : 0;
    o.nprobe = 6;
    o.scalar_quantization = v.sq8;
    vector_index idx(o);
    // Added in uneven batches with different thread counts.
    std::vector<std::uint64_t> keys(n);
    for (std::size_t i = 0; i < n; ++i) keys[i] = 7 * i + 3;
    std::size_t done = 0;
    unsigned t = 1;
    for (std::size_t step : {1u, 700u, 2500u, 2799u}) {
      idx.add_batch({keys.data() + done, step}, {x.data() + done * dim, step * dim}, t);
      done += step;
      t = t % 3 + 1;
    }
    ASSERT_EQ(idx.size(), n) << v.name;
    // 300 queries, many probing the same cells, so cells are shared between queries of a batch.
    std::vector<float> queries(x.begin(), x.begin() + 300 * dim);
    const auto one = idx.search_batch(queries, 8, 1);
    for (unsigned threads : {2u, 3u, 8u}) {
      const auto many = idx.search_batch(queries, 8, threads);
      ASSERT_EQ(many.size(), one.size());
      for (std::size_t q = 0; q < one.size(); ++q)
        expect_identical(one[q], many[q], std::string(v.name) + " threads=" + std::to_string(threads));
    }
    std::size_t self_first = 0;
    for (std::size_t q = 0; q < 300; ++q) {
      expect_identical(one[q], idx.search(row(x, q), 8), std::string(v.name) + " search()");
      self_first += !one[q].empty() && one[q].front().key == keys[q];
    }
    // SQ8 codes are approximate: a near-duplicate may outscore the query's own stored copy.
    EXPECT_GE(self_first, v.sq8 ? 280u : 300u) << v.name;
  }
}

TEST(VectorIndex, IvfBuiltWithMoreThreadsAnswersTheSame) {
  const std::size_t n = 5000;
  const auto x = grouped(n, 31);
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = i;
  auto o = opts(vector_index_kind::automatic);
  o.ivf_min_size = 1000;  // switch to IVF (k-means + assignment) inside the batch
  vector_index a(o), b(o);
  a.add_batch(keys, x, 1);
  b.add_batch(keys, x, 4);
  ASSERT_EQ(a.active_kind(), vector_index_kind::ivf);
  ASSERT_EQ(a.active_nlist(), b.active_nlist());
  std::vector<float> queries(x.begin(), x.begin() + 200 * dim);
  const auto ra = a.search_batch(queries, 5, 2), rb = b.search_batch(queries, 5, 1);
  for (std::size_t q = 0; q < 200; ++q) expect_identical(ra[q], rb[q], "query " + std::to_string(q));
}

}  // namespace

namespace {

// Answers of two indexes to the same queries, bit for bit.
void expect_same_answers(const vector_index& a, const vector_index& b, const std::vector<float>& x, std::size_t nq,
                         const std::string& what) {
  const std::vector<float> queries(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(nq * dim));
  const auto ra = a.search_batch(queries, 6), rb = b.search_batch(queries, 6);
  for (std::size_t q = 0; q < nq; ++q) expect_identical(ra[q], rb[q], what + " query " + std::to_string(q));
}

TEST(VectorIndex, TrainingDependsOnWhatIsStoredNotOnTheOrderOfAdds) {
  const std::size_t n = 3000;
  const auto x = grouped(n, 41);
  auto o = opts(vector_index_kind::automatic);
  o.ivf_min_size = 1000;
  o.nprobe = 3;
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = i;
  vector_index in_order(o), reversed(o);
  in_order.add_batch(keys, x);
  // The same vectors, added from the last to the first, in two batches.
  std::vector<std::uint64_t> rk(keys.rbegin(), keys.rend());
  std::vector<float> rx;
  for (std::uint64_t k : rk) rx.insert(rx.end(), x.begin() + static_cast<std::ptrdiff_t>(k * dim),
                                       x.begin() + static_cast<std::ptrdiff_t>((k + 1) * dim));
  reversed.add_batch({rk.data(), 500}, {rx.data(), 500 * dim});
  reversed.add_batch({rk.data() + 500, n - 500}, {rx.data() + 500 * dim, (n - 500) * dim});
  ASSERT_EQ(in_order.active_kind(), vector_index_kind::ivf);
  EXPECT_EQ(in_order.training().centroids, reversed.training().centroids);
  expect_same_answers(in_order, reversed, x, 200, "reversed adds");
}

TEST(VectorIndex, RestoreRebuildsAnIndexThatAnswersAndRetrainsLikeTheOriginal) {
  const std::size_t n = 5000, first = 1300;
  const auto x = grouped(n, 43);
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = 3 * i + 1;
  for (bool sq8 : {false, true}) {
    auto o = opts(vector_index_kind::automatic);
    o.ivf_min_size = 400;  // IVF at 400, retrained at 1600 and 6400 (auto nlist)
    o.nprobe = 2;
    o.scalar_quantization = sq8;
    const std::string what = sq8 ? "ivf+sq8" : "ivf";
    vector_index original(o);
    for (std::size_t done = 0; done < first; done += 100)
      original.add_batch({keys.data() + done, 100}, {x.data() + done * dim, 100 * dim});
    const auto t = original.training();
    ASSERT_EQ(original.active_kind(), vector_index_kind::ivf) << what;
    ASSERT_EQ(t.trained_at, 400u) << what;
    ASSERT_EQ(t.centroids.size(), std::size_t{original.active_nlist()} * dim) << what;
    EXPECT_EQ(t.quantizer.size(), sq8 ? 2u * dim : 0u) << what;

    vector_index restored(o);
    restored.restore(t, {keys.data(), first}, {x.data(), first * dim}, 2);
    EXPECT_EQ(restored.size(), first);
    EXPECT_EQ(restored.training().centroids, t.centroids) << what;
    expect_same_answers(original, restored, x, 300, what + " restored");
    // Both grow past 4x the training size and retrain, identically.
    for (auto* idx : {&original, &restored})
      idx->add_batch({keys.data() + first, n - first}, {x.data() + first * dim, (n - first) * dim});
    EXPECT_EQ(original.training().trained_at, n) << what;
    EXPECT_EQ(original.training().centroids, restored.training().centroids) << what;
    expect_same_answers(original, restored, x, 300, what + " after retraining");
  }
}

TEST(VectorIndex, RestoreRefusesMisuseAndBadTrainings) {
  const auto x = grouped(600, 47);
  std::vector<std::uint64_t> keys(600);
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = i;
  auto o = opts(vector_index_kind::automatic);
  o.ivf_min_size = 300;
  vector_index trained(o);
  trained.add_batch(keys, x);
  const auto good = trained.training();
  ASSERT_FALSE(good.centroids.empty());
  using retold::errc;
  // Not empty.
  EXPECT_EQ(code_of([&] { trained.restore(good, {}, {}); }), errc::invalid_argument);
  auto expect_refused = [&](retold::vector_index_training t, const vector_index_options& oo, const char* what) {
    vector_index fresh(oo);
    EXPECT_EQ(code_of([&] { fresh.restore(t, keys, x); }), errc::invalid_argument) << what;
    EXPECT_EQ(fresh.size(), 0u) << what;
  };
  auto t = good;
  t.centroids.pop_back();
  expect_refused(t, o, "ragged centroids");
  t = good;
  t.centroids[5] = std::nanf("");
  expect_refused(t, o, "NaN centroid");
  t = good;
  t.trained_at = 0;
  expect_refused(t, o, "no training size");
  t = good;
  t.quantizer.assign(2 * dim, 0.5f);
  expect_refused(t, o, "quantizer without scalar_quantization");
  auto sq = o;
  sq.scalar_quantization = true;
  expect_refused(good, sq, "scalar_quantization without quantizer");
  expect_refused(good, opts(vector_index_kind::flat), "IVF training into a flat index");
  t = {};
  t.trained_at = 5;
  expect_refused(t, o, "flat training with a size");
  // A flat training is add_batch.
  vector_index flat(opts(vector_index_kind::flat)), restored(opts(vector_index_kind::flat));
  flat.add_batch({keys.data(), 100}, {x.data(), 100 * dim});
  restored.restore(flat.training(), {keys.data(), 100}, {x.data(), 100 * dim});
  expect_same_answers(flat, restored, x, 50, "flat");
}

}  // namespace

namespace {

// Caller rows for an index that keeps none (vector_index(options, source)): key k is row k of x.
struct rows_of final : retold::vector_row_source {
  const std::vector<float>* x;
  explicit rows_of(const std::vector<float>& v) : x(&v) {}
  const float* row(std::uint64_t key) const noexcept override { return x->data() + key * dim; }
};

std::vector<std::uint64_t> iota_keys(std::size_t from, std::size_t to) {
  std::vector<std::uint64_t> k;
  for (std::size_t i = from; i < to; ++i) k.push_back(i);
  return k;
}

void expect_identical(const vector_index& a, const vector_index& b, const std::vector<float>& x, std::size_t queries,
                      const std::string& what) {
  std::vector<float> q(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(queries * dim));
  EXPECT_EQ(a.search_batch(q, 8, 2), b.search_batch(q, 8, 1)) << what;
  for (std::size_t i = 0; i < queries; i += 37) EXPECT_EQ(a.range_search(row(x, i), 0.5f), b.range_search(row(x, i), 0.5f)) << what;
}

TEST(VectorIndexCallerRows, AnswersLikeAnIndexWithItsOwnCopies) {
  const std::size_t n = 3000;
  const auto x = grouped(n, 61);
  const rows_of src(x);
  for (auto kind : {vector_index_kind::flat, vector_index_kind::automatic}) {
    auto o = opts(kind);
    o.ivf_min_size = 500;  // IVF at 500, retrained at 2000
    o.nprobe = 4;
    vector_index own(o), ext(o, src);
    EXPECT_TRUE(ext.reads_caller_rows());
    EXPECT_FALSE(own.reads_caller_rows());
    const auto keys = iota_keys(0, n);
    for (std::size_t done = 0; done < n; done += 250) {
      own.add_batch({keys.data() + done, 250}, {x.data() + done * dim, 250 * dim});
      ext.add_stored({keys.data() + done, 250}, 2);
    }
    ASSERT_EQ(ext.size(), n);
    ASSERT_EQ(ext.active_kind(), own.active_kind());
    ASSERT_EQ(ext.active_nlist(), own.active_nlist());
    if (kind != vector_index_kind::flat) ASSERT_EQ(ext.training().trained_at, 2000u);
    // The rows of `grouped` are unit-norm already; the own index renormalizes its copies, which
    // may move a last bit, so answers are compared by key with cosines within float rounding.
    std::size_t same = 0, queries = 0;
    for (std::size_t i = 0; i < n; i += 7, ++queries) {
      const auto a = own.search(row(x, i), 5), b = ext.search(row(x, i), 5);
      ASSERT_EQ(a.size(), b.size());
      same += keys_of(a) == keys_of(b);
      for (const auto& m : b) EXPECT_NEAR(m.cosine, dot(row(x, i), row(x, m.key)), 1e-5f);
      if (kind == vector_index_kind::flat) EXPECT_EQ(b.front().key, i);  // exact: itself first
    }
    EXPECT_GE(same, queries * 99 / 100) << static_cast<int>(kind);
    // The near-duplicates of each group come back from a range search.
    for (std::size_t i = 0; i < n; i += 101)
      for (std::size_t g = i / 4 * 4; g < i / 4 * 4 + 4; ++g)
        if (dot(row(x, i), row(x, g)) > 0.8f && kind == vector_index_kind::flat) {
          const auto r = keys_of(ext.range_search(row(x, i), 0.8f));
          EXPECT_NE(std::find(r.begin(), r.end(), g), r.end());
        }
    EXPECT_LT(ext.memory_bytes(), own.memory_bytes() / 2);
  }
}

TEST(VectorIndexCallerRows, RemovesRestoresAndRefusesMisuse) {
  const std::size_t n = 1200;
  const auto x = grouped(n, 67);
  const rows_of src(x);
  auto o = opts(vector_index_kind::automatic);
  o.ivf_min_size = 400;
  using retold::errc;
  vector_index ext(o, src);
  const auto keys = iota_keys(0, n);
  ext.add_stored(keys);
  ASSERT_EQ(ext.active_kind(), vector_index_kind::ivf);
  for (std::size_t k = 0; k < n; k += 3) EXPECT_TRUE(ext.remove(k));
  EXPECT_FALSE(ext.remove(0));
  EXPECT_EQ(ext.remove_batch(std::vector<std::uint64_t>{0, 1, 2}), 2u);
  EXPECT_EQ(ext.size(), n - n / 3 - 2);
  for (std::size_t i = 0; i < n; i += 11)
    for (const auto& m : ext.search(row(x, i), 10)) {
      EXPECT_NE(m.key % 3, 0u);
      EXPECT_GT(m.key, 2u);
    }
  // Flat removal moves the last key into the hole.
  vector_index flat(opts(vector_index_kind::flat), src);
  flat.add_stored(iota_keys(0, 10));
  EXPECT_TRUE(flat.remove(3));
  EXPECT_FALSE(flat.contains(3));
  EXPECT_EQ(flat.search(row(x, 9), 1).front().key, 9u);
  EXPECT_EQ(flat.search(row(x, 3), 9).size(), 9u);

  // restore() from the training: the same answers.
  vector_index restored(o, src);
  std::vector<std::uint64_t> live;
  for (std::size_t k = 3; k < n; ++k)
    if (k % 3) live.push_back(k);
  restored.restore(ext.training(), live, {});
  expect_identical(ext, restored, x, 300, "restored");

  // Misuse.
  EXPECT_EQ(code_of([&] { ext.add(5000, row(x, 1)); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { ext.add_batch(std::vector<std::uint64_t>{5000}, row(x, 1)); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { ext.add_stored(std::vector<std::uint64_t>{4}); }), errc::duplicate_id);
  EXPECT_EQ(code_of([&] { ext.add_stored(std::vector<std::uint64_t>{UINT64_MAX}); }), errc::invalid_argument);
  vector_index own(o);
  EXPECT_EQ(code_of([&] { own.add_stored(std::vector<std::uint64_t>{1}); }), errc::invalid_argument);
  auto sq = o;
  sq.scalar_quantization = true;
  EXPECT_EQ(code_of([&] { vector_index bad(sq, src); }), errc::invalid_argument);
  vector_index empty(o, src);
  EXPECT_EQ(code_of([&] { empty.restore(ext.training(), live, {x.data(), live.size() * dim}); }), errc::invalid_argument);
  std::vector<float> with_nan = x;
  with_nan[7 * dim + 3] = std::nanf("");
  const rows_of nan_src(with_nan);
  vector_index nan_ext(o, nan_src);
  EXPECT_EQ(code_of([&] { nan_ext.add_stored(iota_keys(0, 10)); }), errc::invalid_argument);
  EXPECT_EQ(nan_ext.size(), 0u);
  // train(): what it refuses.
  EXPECT_EQ(code_of([&] { (void)vector_index::train(o, src, {}, 10); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)vector_index::train(o, src, keys, 10); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)vector_index::train(opts(vector_index_kind::flat), src, keys, n); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { (void)vector_index::train(o, src, std::vector<std::uint64_t>{1, 1}, 10); }), errc::duplicate_id);
}

TEST(VectorIndexCallerRows, TrainingIsAFunctionOfTheKeysAndSize) {
  const auto x = grouped(2000, 71);
  const rows_of src(x);
  auto o = opts(vector_index_kind::automatic);
  auto keys = iota_keys(0, 1500);
  const auto a = vector_index::train(o, src, keys, 2000, 1);
  std::reverse(keys.begin(), keys.end());
  const auto b = vector_index::train(o, src, keys, 2000, 2);
  EXPECT_EQ(a.centroids, b.centroids);  // key order, whatever the order given or the threads
  EXPECT_EQ(a.trained_at, 2000u);
  EXPECT_EQ(a.centroids.size(), 125u * dim);  // 4 sqrt(2000), at most 16 vectors per cell: 125
  o.nlist = 20;
  EXPECT_EQ(vector_index::train(o, src, keys, 2000).centroids.size(), 20u * dim);
}

TEST(VectorIndexBuilder, BuildsWhatTheSameStepsBuildInPlace) {
  const std::size_t n = 4000;
  const auto x = grouped(n, 73);
  const rows_of src(x);
  auto o = opts(vector_index_kind::automatic);
  o.nprobe = 3;
  const auto snapshot = iota_keys(0, 1500);
  const std::vector<std::uint64_t> removed = {3, 10, 1499, 1600, 1650};
  for (bool known : {false, true}) {
    const auto t = vector_index::train(o, src, snapshot, 2000);
    std::optional<retold::vector_index_builder> b;
    if (known) b.emplace(o, src, t, snapshot);
    else b.emplace(o, src, snapshot, 2000);
    EXPECT_EQ(b->trained_for(), 2000u);
    b->add(iota_keys(1500, 1700));
    b->remove(removed);
    b->add(iota_keys(1700, n));
    EXPECT_EQ(b->training().centroids, t.centroids);
    vector_index built = b->finish();
    EXPECT_EQ(b->training().centroids, t.centroids);  // still there
    EXPECT_EQ(code_of([&] { b->add({1}); }), retold::errc::invalid_argument);
    EXPECT_EQ(code_of([&] { (void)b->finish(); }), retold::errc::invalid_argument);

    vector_index in_place(o, src);
    in_place.restore(t, snapshot, {});
    in_place.add_stored(iota_keys(1500, 1700));
    in_place.remove_batch(removed);
    in_place.add_stored(iota_keys(1700, n));
    ASSERT_EQ(built.size(), n - removed.size());
    EXPECT_EQ(built.training().centroids, in_place.training().centroids);
    EXPECT_EQ(built.next_training_at(), 8000u);
    expect_identical(built, in_place, x, 400, known ? "known training" : "trained by the builder");
  }
}

TEST(VectorIndexBuilder, ReportsErrorsAndStopsWhenDestroyed) {
  const auto x = grouped(3000, 79);
  const rows_of src(x);
  auto o = opts(vector_index_kind::automatic);
  {
    retold::vector_index_builder b(o, src, iota_keys(0, 3000), 3000);
    b.add(iota_keys(5, 6));  // a duplicate: finish() reports it
    EXPECT_EQ(code_of([&] { (void)b.finish(); }), retold::errc::duplicate_id);
  }
  { retold::vector_index_builder b(o, src, iota_keys(0, 3000), 3000); }  // destroyed while training
  EXPECT_EQ(code_of([&] { retold::vector_index_builder b(opts(vector_index_kind::flat), src, {}, 1); (void)b.finish(); }),
            retold::errc::invalid_argument);
  auto sq = o;
  sq.scalar_quantization = true;
  EXPECT_EQ(code_of([&] { retold::vector_index_builder b(sq, src, iota_keys(0, 10), 10); }), retold::errc::invalid_argument);
}

}  // namespace

namespace {

TEST(VectorIndexCallerRows, CellsReportedBySearchAreWhereAddStoredFilesTheRows) {
  const std::size_t n = 3000;
  const auto x = grouped(n, 83);
  const rows_of src(x);
  auto o = opts(vector_index_kind::automatic);
  o.ivf_min_size = 1000;
  vector_index a(o, src), b(o, src);
  a.add_stored(iota_keys(0, 1200));
  b.add_stored(iota_keys(0, 1200));
  ASSERT_EQ(a.active_kind(), vector_index_kind::ivf);
  // The next rows as queries: their own cells come back with the answers.
  const std::vector<float> q(x.begin() + 1200 * dim, x.begin() + 2000 * dim);
  std::vector<std::uint32_t> cells;
  const auto with_cells = a.search_batch(q, 6, 2, cells);
  EXPECT_EQ(with_cells, a.search_batch(q, 6, 1));
  ASSERT_EQ(cells.size(), 800u);
  for (auto c : cells) EXPECT_LT(c, a.active_nlist());
  a.add_stored(iota_keys(1200, 2000), cells, 2);
  b.add_stored(iota_keys(1200, 2000), 1);
  expect_identical(a, b, x, 600, "cells from search_batch");
  using retold::errc;
  EXPECT_EQ(code_of([&] { a.add_stored(iota_keys(2000, 2002), std::vector<std::uint32_t>{0}, 1); }), errc::invalid_argument);
  EXPECT_EQ(code_of([&] { a.add_stored(iota_keys(2000, 2001), std::vector<std::uint32_t>{a.active_nlist()}, 1); }),
            errc::invalid_argument);
  // Flat: no cells.
  vector_index flat(opts(vector_index_kind::flat), src);
  flat.add_stored(iota_keys(0, 10));
  (void)flat.search_batch(q, 3, 1, cells);
  EXPECT_TRUE(cells.empty());
}

}  // namespace
