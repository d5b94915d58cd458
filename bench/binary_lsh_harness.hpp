// bench/binary_lsh_harness.hpp - what bench_binary_lsh measures its methods with (the methods
// are in binary_lsh_methods.hpp, main in bench_binary_lsh.cpp): the signed corpus and its cache,
// the truth pairs, timers, the scoring of one pass of queries and the table row it gives.
// Single-threaded use (make_corpus starts its own helper thread).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace retold_bench::binary_lsh {

/// The signatures of every document (the deduplicator's default MinHash of title + "\n\n" + text)
/// and the story each belongs to.
struct corpus {
  std::size_t n = 0;
  std::uint32_t h = 128;
  std::vector<std::uint32_t> sigs;      // n * h
  std::vector<std::uint64_t> story_of;  // n
  std::span<const std::uint32_t> sig(std::size_t i) const { return {sigs.data() + i * h, h}; }
};

/// Generates the documents (corpus_gen.hpp, with a share `graded` of graded copies) and signs
/// them: text in this thread (the generator is sequential), signing of each chunk split over two
/// threads. A corpus's first k documents do not depend on `docs`.
corpus make_corpus(std::size_t docs, std::uint64_t seed, double graded);

/// The signed corpus is cached in the work directory (the signatures and story ids, raw, host
/// byte order: a scratch file of this benchmark, not a retold format), so that a second run at
/// 1M does not spend minutes generating text again on a loaded machine.
std::filesystem::path cache_path(const std::string& work, std::size_t docs, std::uint64_t seed, double graded);
/// False when there is no cache of that shape (c.h must be set); `c` is then unspecified.
bool read_cache(const std::filesystem::path& path, corpus& c, std::size_t docs);
/// Best effort: a cache that cannot be written is skipped.
void write_cache(const std::filesystem::path& path, const corpus& c);

inline constexpr double k_verify = 0.2;  // the deduplicator's verification threshold (lsh_threshold)
inline constexpr int k_strata = 4;       // Jaccard [0.2,0.4) [0.4,0.6) [0.6,0.8) [0.8,1]
inline int stratum(double j) { return std::min(k_strata - 1, static_cast<int>((j - 0.2) / 0.2)); }

/// Every pair of documents of one story whose full-signature Jaccard estimate is >= k_verify.
struct truth {
  // mates[q]: (document, Jaccard) of every other document of q's story with Jaccard >= 0.2
  std::vector<std::vector<std::pair<std::uint32_t, float>>> mates;
  std::size_t pairs = 0;
  std::size_t per_stratum[k_strata] = {};
};
truth make_truth(const corpus& c);

/// CPU seconds of the calling thread.
double thread_cpu_seconds();
double wall_seconds();
/// Heap bytes in use (mallinfo2): taken before and after a build, the index's memory.
std::size_t heap_in_use();
double median(std::vector<double> v);

/// The command line.
struct options {
  std::size_t docs = 100000, queries = 10000;
  int reps = 3;
  double budget = 12;
  std::uint64_t seed = 1;
  double graded = 0.10;
  std::string work = "/tmp/retold_binary";
  std::vector<std::string> only;
  bool wanted(const std::string& name) const;
};

/// What every method runs against (borrowed; outlives the method's run).
struct context {
  const options& o;
  const corpus& c;
  const truth& t;
  const std::vector<std::uint32_t>& sample;  // the query documents, a uniform sample
  double pass_budget = 0;                    // seconds a first pass over the sample may take
};

/// What one pass over the queries gives: the verified results (query, document) and the raw
/// candidate count.
struct query_outcome {
  std::vector<std::vector<std::uint32_t>> verified;  // per query, excluding itself
  std::size_t candidates = 0;
};

/// One row of the table.
struct result_row {
  std::string name, what;
  double insert_s = 0, query_us = 0, cand_per_query = 0;
  std::size_t queries = 0, memory = 0, memory_with_sigs = 0;
  double recall = 0, recall_stratum[k_strata] = {};
  std::size_t outside = 0;
  std::size_t file_bytes = 0;
  double save_s = 0, load_s = 0;
  bool persisted = false;
};

/// Fills the timing and quality fields of `row` from a method's runs: the medians of its build
/// (`insert_s`, CPU s) and query (`query_us`, CPU us a query) times, and the recall, per stratum
/// and outside the story, of the first pass `out` over the first `queries` of the sample.
void finish_row(result_row& row, const context& x, const std::vector<double>& insert_s,
                const std::vector<double>& query_us, std::size_t queries, const query_outcome& out);

/// Prints `r` as a Markdown table row, with its insert and query times as ratios to `base`'s.
void print_row(const result_row& r, const result_row& base);

}  // namespace retold_bench::binary_lsh
