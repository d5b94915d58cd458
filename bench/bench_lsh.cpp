// Microbenchmarks of the LSH index at 1 million documents: insert, query, remove+insert churn,
// with a node-based baseline (std::unordered_map buckets per band, as a straightforward
// implementation would have) in the same process.
//
//   build-*/bench/bench_lsh --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// items_per_second is documents (inserted or queried) per second on one core. Signatures are
// 128-value one-permutation MinHash of random 100-element sets; every tenth document is a
// near-duplicate (80% shared elements) of an earlier one. Banding: choose_lsh_params(0.5, 128).
#include <retold/lsh.hpp>
#include <retold/minhash.hpp>

#include <benchmark/benchmark.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::size_t k_docs = 1'000'000;
constexpr std::size_t k_queries = 20'000;
constexpr double k_threshold = 0.5;

struct corpus {
  retold::minhash_config cfg;
  retold::lsh_params params;
  std::vector<std::uint32_t> values;   // k_docs * num_hashes
  std::vector<std::uint32_t> queries;  // k_queries * num_hashes
  std::span<const std::uint32_t> doc(std::size_t i) const {
    return {values.data() + i * cfg.num_hashes, cfg.num_hashes};
  }
  std::span<const std::uint32_t> query(std::size_t i) const {
    return {queries.data() + i * cfg.num_hashes, cfg.num_hashes};
  }
};

std::vector<std::uint64_t> random_set(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) x = rng();
  return v;
}

std::vector<std::uint64_t> variant(const std::vector<std::uint64_t>& base, std::mt19937_64& rng) {
  std::vector<std::uint64_t> v = base;
  for (auto& x : v)
    if (rng() % 10 < 2) x = rng();
  return v;
}

const corpus& data() {
  static const corpus c = [] {
    corpus c;
    c.params = retold::choose_lsh_params(k_threshold, c.cfg.num_hashes);
    const retold::minhasher mh(c.cfg);
    std::mt19937_64 rng(2024);
    c.values.resize(k_docs * c.cfg.num_hashes);
    std::vector<std::vector<std::uint64_t>> recent;  // sets that later documents may copy
    for (std::size_t i = 0; i < k_docs; ++i) {
      std::vector<std::uint64_t> set;
      if (i % 10 == 9 && !recent.empty()) set = variant(recent[rng() % recent.size()], rng);
      else set = random_set(rng, 100);
      if (recent.size() < 4096) recent.push_back(set);
      else recent[rng() % recent.size()] = set;
      mh.compute_into(set, {c.values.data() + i * c.cfg.num_hashes, c.cfg.num_hashes});
    }
    // Queries: half near-duplicates of stored documents, half unrelated.
    c.queries.resize(k_queries * c.cfg.num_hashes);
    for (std::size_t q = 0; q < k_queries; ++q) {
      const auto set = q % 2 ? variant(recent[rng() % recent.size()], rng) : random_set(rng, 100);
      mh.compute_into(set, {c.queries.data() + q * c.cfg.num_hashes, c.cfg.num_hashes});
    }
    return c;
  }();
  return c;
}

const retold::lsh_index& full_index() {
  static const retold::lsh_index index = [] {
    const corpus& c = data();
    retold::lsh_index idx(c.cfg, c.params);
    for (std::size_t i = 0; i < k_docs; ++i) idx.insert(i, c.doc(i));
    return idx;
  }();
  return index;
}

// ---- retold::lsh_index

void BM_LshInsert1M(benchmark::State& state) {
  const corpus& c = data();
  for (auto _ : state) {
    retold::lsh_index idx(c.cfg, c.params);
    for (std::size_t i = 0; i < k_docs; ++i) idx.insert(i, c.doc(i));
    benchmark::DoNotOptimize(idx.size());
    state.PauseTiming();  // freeing 1M documents is not part of inserting them
    { retold::lsh_index gone = std::move(idx); }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_docs));
  state.counters["bands"] = c.params.bands;
  state.counters["rows"] = c.params.rows;
}
BENCHMARK(BM_LshInsert1M)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_LshQuery1M(benchmark::State& state) {
  const corpus& c = data();
  const retold::lsh_index& idx = full_index();
  std::size_t q = 0, results = 0;
  for (auto _ : state) {
    const auto res = idx.query(c.query(q++ % k_queries), k_threshold);
    results += res.size();
    benchmark::DoNotOptimize(res.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["results_per_query"] =
      static_cast<double>(results) / static_cast<double>(state.iterations());
  state.counters["index_MiB"] = static_cast<double>(idx.memory_bytes()) / (1 << 20);
}
BENCHMARK(BM_LshQuery1M);

void BM_LshQueryTop10_1M(benchmark::State& state) {
  const corpus& c = data();
  const retold::lsh_index& idx = full_index();
  std::size_t q = 0;
  for (auto _ : state) {
    const auto res = idx.query_top_k(c.query(q++ % k_queries), 10);
    benchmark::DoNotOptimize(res.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LshQueryTop10_1M);

void BM_LshRemoveInsert1M(benchmark::State& state) {
  // Steady-state churn on a 1M index: remove one document, insert it back under a new key.
  const corpus& c = data();
  static retold::lsh_index* idx = nullptr;
  static std::uint64_t next_key = k_docs;
  if (!idx) {
    idx = new retold::lsh_index(c.cfg, c.params);  // lives until exit, like full_index()
    for (std::size_t i = 0; i < k_docs; ++i) idx->insert(i, c.doc(i));
  }
  for (auto _ : state) {
    const std::uint64_t oldest = next_key - k_docs;  // live keys: [next_key - k_docs, next_key)
    const auto doc = c.doc(oldest % k_docs);
    idx->remove(oldest);
    idx->insert(next_key++, doc);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_LshRemoveInsert1M);

// ---- baseline: per-band std::unordered_map<band hash, std::vector<key>> and a map from key to
// its signature vector; same banding, same verification.

class baseline_lsh {
 public:
  baseline_lsh(std::uint32_t k, retold::lsh_params p) : k_(k), p_(p), bands_(p.bands) {}
  void insert(std::uint64_t key, std::span<const std::uint32_t> v) {
    sigs_.emplace(key, std::vector<std::uint32_t>(v.begin(), v.end()));
    for (std::uint32_t j = 0; j < p_.bands; ++j) bands_[j][band_hash(v, j)].push_back(key);
  }
  std::vector<retold::lsh_match> query(std::span<const std::uint32_t> v, double t) const {
    std::vector<std::uint64_t> cand;
    for (std::uint32_t j = 0; j < p_.bands; ++j) {
      const auto it = bands_[j].find(band_hash(v, j));
      if (it != bands_[j].end()) cand.insert(cand.end(), it->second.begin(), it->second.end());
    }
    std::sort(cand.begin(), cand.end());
    cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
    std::vector<retold::lsh_match> out;
    for (auto key : cand) {
      const double s = retold::estimate_jaccard(v, sigs_.at(key));
      if (s >= t) out.push_back({key, s});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.similarity != b.similarity ? a.similarity > b.similarity : a.key < b.key;
    });
    return out;
  }

 private:
  std::uint64_t band_hash(std::span<const std::uint32_t> v, std::uint32_t j) const {
    return XXH3_64bits_withSeed(v.data() + j * p_.rows, p_.rows * 4u, j);
  }
  std::uint32_t k_;
  retold::lsh_params p_;
  std::vector<std::unordered_map<std::uint64_t, std::vector<std::uint64_t>>> bands_;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> sigs_;
};

void BM_BaselineInsert1M(benchmark::State& state) {
  const corpus& c = data();
  for (auto _ : state) {
    auto* idx = new baseline_lsh(c.cfg.num_hashes, c.params);
    for (std::size_t i = 0; i < k_docs; ++i) idx->insert(i, c.doc(i));
    benchmark::DoNotOptimize(idx);
    state.PauseTiming();
    delete idx;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_docs));
}
BENCHMARK(BM_BaselineInsert1M)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_BaselineQuery1M(benchmark::State& state) {
  const corpus& c = data();
  static const baseline_lsh* idx = [&] {
    auto* b = new baseline_lsh(c.cfg.num_hashes, c.params);
    for (std::size_t i = 0; i < k_docs; ++i) b->insert(i, c.doc(i));
    return b;
  }();
  std::size_t q = 0;
  for (auto _ : state) {
    const auto res = idx->query(c.query(q++ % k_queries), k_threshold);
    benchmark::DoNotOptimize(res.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_BaselineQuery1M);

}  // namespace
