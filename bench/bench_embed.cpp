// Microbenchmarks of the semantic half: the built-in embedder and the vector index.
//
//   build-sem/bench/bench_embed --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Documents are synthetic: 500 words drawn from a Zipf(1.1) vocabulary of 50,000 pseudo-words of
// 2..12 letters with some digits, which gives news-like term statistics (a few thousand distinct
// terms per document once character 4-grams are counted). Vectors for the index benchmarks are
// clustered (stories around random centres plus noise), like embeddings of a news stream.
#include <retold/embed.hpp>
#include <retold/vector_index.hpp>

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

std::vector<std::string> make_docs(std::size_t count, std::size_t words, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> vocab(50000);
  std::uniform_int_distribution<int> len(2, 12), letter(0, 25), digit(0, 9), coin(0, 19);
  for (auto& w : vocab) {
    const int l = len(rng);
    for (int i = 0; i < l; ++i) w.push_back(static_cast<char>('a' + letter(rng)));
    if (coin(rng) == 0) w = std::to_string(digit(rng) * 100 + digit(rng));
  }
  std::vector<double> weights(vocab.size());
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / std::pow(double(i + 1), 1.1);
  std::discrete_distribution<std::size_t> zipf(weights.begin(), weights.end());
  std::vector<std::string> docs(count);
  for (auto& d : docs) {
    for (std::size_t i = 0; i < words; ++i) {
      if (i) d.push_back(' ');
      d += vocab[zipf(rng)];
    }
  }
  return docs;
}

const std::vector<std::string>& docs500() {
  static const auto d = make_docs(256, 500, 7);
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

}  // namespace
