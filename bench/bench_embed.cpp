// Microbenchmarks of the semantic half: the built-in embedder and the vector index.
//
//   build-sem/bench/bench_embed --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Documents are synthetic: 500 words drawn from a Zipf(1.1) vocabulary of 50,000 pseudo-words of
// 2..12 letters with some digits, which gives news-like term statistics (a few thousand distinct
// terms per document once character 4-grams are counted). Vectors for the index benchmarks are
// clustered (stories around random centres plus noise), like embeddings of a news stream.
#include <retold/embed.hpp>

#include "embed_docs.hpp"
#include <retold/vector_index.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <tuple>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using retold_bench::make_embed_docs;

const std::vector<std::string>& docs500() {
  static const auto d = make_embed_docs(256, 500, 7);
  return d;
}

retold::tfidf_embedder trained_embedder(const retold::tfidf_embedder_options& o = {}) {
  retold::tfidf_embedder e(o);
  for (const auto& d : docs500()) e.observe(e.extract(d));
  return e;
}

// Whole embedding path of one normalized document: extract + embed.
void BM_embed_extract_and_embed(benchmark::State& st) {
  retold::tfidf_embedder_options o;
  o.char_ngram_min = static_cast<std::uint32_t>(st.range(0));
  o.char_ngram_max = static_cast<std::uint32_t>(st.range(0));
  const auto e = trained_embedder(o);
  const auto& docs = docs500();
  retold::term_counts tc;
  std::vector<float> v(e.dimension());
  std::size_t i = 0;
  for (auto _ : st) {
    e.extract_into(docs[i++ % docs.size()], tc);
    e.embed_into(tc, v);
    benchmark::DoNotOptimize(v.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  st.SetLabel(o.char_ngram_min ? "words + char 4-grams (default)" : "words only");
}
BENCHMARK(BM_embed_extract_and_embed)->Arg(4)->Arg(0);

void BM_embed_extract_only(benchmark::State& st) {
  const retold::tfidf_embedder e;
  const auto& docs = docs500();
  retold::term_counts tc;
  std::size_t i = 0;
  for (auto _ : st) {
    e.extract_into(docs[i++ % docs.size()], tc);
    benchmark::DoNotOptimize(tc.terms.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}
BENCHMARK(BM_embed_extract_only);

void BM_embed_project_only(benchmark::State& st) {
  const auto e = trained_embedder();
  std::vector<retold::term_counts> tcs;
  for (const auto& d : docs500()) tcs.push_back(e.extract(d));
  std::vector<float> v(e.dimension());
  std::size_t i = 0;
  for (auto _ : st) {
    e.embed_into(tcs[i++ % tcs.size()], v);
    benchmark::DoNotOptimize(v.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}
BENCHMARK(BM_embed_project_only);

// The projection once the corpus is large: the 256 documents observed range(0) times each, so
// common terms have document frequencies of 10^4..10^5 (past the first 4,096 log1p values,
// where each term used to call std::log1p).
void BM_embed_project_large_df(benchmark::State& st) {
  retold::tfidf_embedder e;
  std::vector<retold::term_counts> tcs;
  for (const auto& d : docs500()) tcs.push_back(e.extract(d));
  for (std::int64_t r = 0; r < st.range(0); ++r)
    for (const auto& tc : tcs) e.observe(tc);
  std::vector<float> v(e.dimension());
  std::size_t i = 0;
  for (auto _ : st) {
    e.embed_into(tcs[i++ % tcs.size()], v);
    benchmark::DoNotOptimize(v.data());
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  st.SetLabel(std::to_string(e.documents_observed()) + " documents observed");
}
BENCHMARK(BM_embed_project_large_df)->Arg(1)->Arg(80)->Arg(400);

// Clustered unit vectors: `stories` centres, each row a centre plus noise.
std::vector<float> clustered(std::size_t n, std::size_t d, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  const std::size_t stories = std::max<std::size_t>(1, n / 4);
  std::vector<float> centres(stories * d);
  for (auto& c : centres) c = g(rng);
  std::uniform_int_distribution<std::size_t> pick(0, stories - 1);
  std::vector<float> x(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t s = pick(rng);
    for (std::size_t j = 0; j < d; ++j) x[i * d + j] = centres[s * d + j] + 0.8f * g(rng);
  }
  return x;
}

retold::vector_index build(std::size_t n, retold::vector_index_kind kind, bool sq, const std::vector<float>& x) {
  retold::vector_index_options o;
  o.kind = kind;
  o.scalar_quantization = sq;
  retold::vector_index idx(o);
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = i;
  idx.add_batch(keys, std::span<const float>(x.data(), n * o.dimension));
  return idx;
}

// Query cost: range search (cosine >= 0.5) of one vector against n stored vectors.
void BM_vector_index_range_query(benchmark::State& st) {
  const auto n = static_cast<std::size_t>(st.range(0));
  const auto kind = static_cast<retold::vector_index_kind>(st.range(1));
  const bool sq = st.range(2) != 0;
  const auto x = clustered(n + 256, 256, 11);
  const auto idx = build(n, kind, sq, x);
  std::size_t i = 0, found = 0;
  for (auto _ : st) {
    const auto r = idx.range_search(std::span<const float>(x.data() + (n + i++ % 256) * 256, 256), 0.5f);
    found += r.size();
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  st.counters["nlist"] = idx.active_nlist();
  st.counters["found_per_query"] = double(found) / double(st.iterations());
}
BENCHMARK(BM_vector_index_range_query)
    ->Args({10000, 1, 0})
    ->Args({100000, 1, 0})
    ->Args({100000, 2, 0})
    ->Args({100000, 2, 1})
    ->Unit(benchmark::kMicrosecond);

// Add cost: one vector at a time into an index already holding n vectors.
void BM_vector_index_add(benchmark::State& st) {
  const auto n = static_cast<std::size_t>(st.range(0));
  const auto kind = static_cast<retold::vector_index_kind>(st.range(1));
  const std::size_t extra = 1 << 16;
  const auto x = clustered(n + extra, 256, 13);
  auto idx = build(n, kind, false, x);
  std::size_t i = 0;
  for (auto _ : st) {
    const std::size_t r = n + i % extra;
    idx.add(static_cast<std::uint64_t>(r) + (i / extra) * (n + extra), std::span<const float>(x.data() + r * 256, 256));
    ++i;
  }
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}
BENCHMARK(BM_vector_index_add)->Args({100000, 1})->Args({100000, 2})->Unit(benchmark::kMicrosecond);

// ---- The nightly scale: n stored vectors, range queries at cosine >= 0.5.
//
// News-like vectors: 2,000 topics, stories around topics, documents around stories (same story:
// cosine about 0.7; same topic, other story: about 0.35; unrelated: about 0). Queries are new
// documents of stored stories. Recall is measured against exact search over the same data.
// Large sizes run only with RETOLD_BENCH_LARGE=1 (building 1M vectors takes minutes here).
struct news_vectors {
  std::size_t n, d = 256;
  std::vector<float> x, queries;
  static constexpr std::size_t nq = 200;
};

const news_vectors& news(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<news_vectors>> cache;
  auto& slot = cache[n];
  if (slot) return *slot;
  slot = std::make_unique<news_vectors>();
  auto& v = *slot;
  v.n = n;
  std::mt19937_64 rng(21);
  std::normal_distribution<float> g;
  const std::size_t topics = 2000, stories = std::max<std::size_t>(1, n / 3);
  std::vector<float> topic(topics * v.d), story(stories * v.d);
  for (auto& t : topic) t = g(rng);
  std::uniform_int_distribution<std::size_t> pt(0, topics - 1), ps(0, stories - 1);
  for (std::size_t s = 0; s < stories; ++s) {
    const std::size_t t = pt(rng);
    for (std::size_t j = 0; j < v.d; ++j) story[s * v.d + j] = topic[t * v.d + j] + g(rng);
  }
  auto doc = [&](std::vector<float>& out) {
    const std::size_t s = ps(rng);
    for (std::size_t j = 0; j < v.d; ++j) out.push_back(story[s * v.d + j] + 0.9f * g(rng));
  };
  v.x.reserve(n * v.d);
  for (std::size_t i = 0; i < n; ++i) doc(v.x);
  for (std::size_t i = 0; i < news_vectors::nq; ++i) doc(v.queries);
  return v;
}

retold::vector_index& nightly_index(std::size_t n, retold::vector_index_kind kind, bool sq) {
  static std::map<std::tuple<std::size_t, int, bool>, std::unique_ptr<retold::vector_index>> cache;
  auto& slot = cache[{n, int(kind), sq}];
  if (slot) return *slot;
  const auto& v = news(n);
  retold::vector_index_options o;
  o.kind = kind;
  o.scalar_quantization = sq;
  slot = std::make_unique<retold::vector_index>(o);
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = i;
  const auto t0 = std::chrono::steady_clock::now();
  slot->add_batch(keys, v.x);
  std::fprintf(stderr, "[build n=%zu kind=%d sq=%d: %.1f s, nlist %u]\n", n, int(kind), int(sq),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), slot->active_nlist());
  return *slot;
}

// Exact neighbours (cosine >= t) of every query: the flat index is exact.
const std::vector<std::vector<std::uint64_t>>& truth(std::size_t n, float t) {
  static std::map<std::size_t, std::vector<std::vector<std::uint64_t>>> cache;
  auto it = cache.find(n);
  if (it != cache.end()) return it->second;
  const auto& v = news(n);
  auto& flat = nightly_index(n, retold::vector_index_kind::flat, false);
  std::vector<std::vector<std::uint64_t>> out(news_vectors::nq);
  for (std::size_t q = 0; q < news_vectors::nq; ++q) {
    for (const auto& m : flat.range_search(std::span<const float>(v.queries.data() + q * v.d, v.d), t)) out[q].push_back(m.key);
    std::sort(out[q].begin(), out[q].end());
  }
  return cache[n] = std::move(out);
}

// args: n, kind (1 flat, 2 ivf), nprobe (IVF), scalar quantization
void BM_vector_index_nightly_range(benchmark::State& st) {
  const auto n = static_cast<std::size_t>(st.range(0));
  const auto kind = static_cast<retold::vector_index_kind>(st.range(1));
  const auto& v = news(n);
  auto& idx = nightly_index(n, kind, st.range(3) != 0);
  idx.set_nprobe(static_cast<std::uint32_t>(st.range(2)));
  const auto& t = truth(n, 0.5f);
  std::size_t found = 0, expected = 0, q = 0;
  for (auto _ : st) {
    const auto r = idx.range_search(std::span<const float>(v.queries.data() + (q % news_vectors::nq) * v.d, v.d), 0.5f);
    if (q < news_vectors::nq) {
      const auto& want = t[q];
      expected += want.size();
      for (const auto& m : r) found += std::binary_search(want.begin(), want.end(), m.key);
    }
    ++q;
  }
  st.counters["recall"] = expected ? double(found) / double(expected) : 1.0;
  st.counters["nlist"] = idx.active_nlist();
  st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
}

void register_nightly() {
  const bool large = std::getenv("RETOLD_BENCH_LARGE") != nullptr;
  std::vector<std::int64_t> sizes{100000};
  if (large) sizes.push_back(1000000);
  for (auto n : sizes) {
    benchmark::RegisterBenchmark("BM_vector_index_nightly_range", BM_vector_index_nightly_range)
        ->Args({n, 1, 1, 0})
        ->Args({n, 2, 4, 0})
        ->Args({n, 2, 8, 0})
        ->Args({n, 2, 16, 0})
        ->Args({n, 2, 32, 0})
        ->Args({n, 2, 16, 1})
        ->Unit(benchmark::kMicrosecond)
        ->MinTime(1.0);
  }
}
const int registered = (register_nightly(), 0);

}  // namespace
