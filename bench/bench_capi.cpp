// The C++ side of the Python-vs-C++ call overhead comparison (bench/e2e_python_overhead.py runs
// this and the same calls through the Python binding, and prints the ratio).
//
//   build/bench/bench_capi --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
//
// State: 200 synthetic documents of 80 pseudo-words (the generator below is mirrored exactly in
// e2e_python_overhead.py, so both sides query the same state). Calls: contains() of a stored id
// (the cheapest call: one hash lookup under a shared lock) and query() of a short 12-word text
// (normalize, shingle, sign, embed, both indexes, scoring).
#include <retold/dedup.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

// doc i: 80 words "w<k>", k from a 31-bit LCG seeded by i (same as the Python script).
std::string synthetic_text(std::uint32_t i) {
  std::uint64_t x = (std::uint64_t{i} + 1) * 2654435761u % 2147483648u;
  std::string out;
  for (int j = 0; j < 80; ++j) {
    x = (x * 1103515245u + 12345u) % 2147483648u;
    if (j) out += ' ';
    out += 'w';
    out += std::to_string(x % 30000);
  }
  return out;
}

constexpr const char* short_query = "central bank raises its main interest rate by half a point citing inflation";

retold::deduplicator& small_state() {
  static retold::deduplicator d = [] {
    retold::deduplicator dd;
    for (std::uint32_t i = 0; i < 200; ++i) {
      const std::string id = "doc-" + std::to_string(i);
      const std::string text = synthetic_text(i);
      retold::document doc;
      doc.id = id;
      doc.text = text;
      doc.timestamp = i;
      dd.add(doc);
    }
    return dd;
  }();
  return d;
}

void BM_cpp_contains(benchmark::State& state) {
  const auto& d = small_state();
  const std::string id = "doc-100";
  for (auto _ : state) benchmark::DoNotOptimize(d.contains(id));
}
BENCHMARK(BM_cpp_contains);

void BM_cpp_query_short(benchmark::State& state) {
  const auto& d = small_state();
  for (auto _ : state) benchmark::DoNotOptimize(d.query(short_query));
}
BENCHMARK(BM_cpp_query_short);

void BM_cpp_query_stored_text(benchmark::State& state) {
  const auto& d = small_state();
  const std::string text = synthetic_text(7);
  for (auto _ : state) benchmark::DoNotOptimize(d.query(text));
}
BENCHMARK(BM_cpp_query_stored_text);

}  // namespace
