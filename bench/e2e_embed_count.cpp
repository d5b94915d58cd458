// A fixed amount of built-in embedding work, for instruction counts (callgrind repeats them exactly
// on a loaded machine, where timings do not):
//
//   valgrind --tool=callgrind --toggle-collect='*embed_passes*' build/bench/e2e_embed_count [passes]
//
// Embeds the documents of bench_embed's BM_embed_extract_and_embed (256 synthetic 500-word
// documents, Zipf(1.1) over 50,000 pseudo-words, all observed once) `passes` times (default 4)
// with the default options, and prints the documents embedded, the mean number of distinct terms
// and an FNV-1a hash of every term, count and embedding bit: two builds that print the same hash computed the same embeddings.
// Instructions per document = the collected Ir / (256 x passes). Also prints the process CPU time
// of that work per document (alternate two builds' runs to compare them on a shared machine).
#include <retold/embed.hpp>

#include "embed_docs.hpp"

#include <cmath>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

using retold_bench::make_embed_docs;

std::uint64_t fnv(std::uint64_t h, const void* p, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001B3ULL;
  return h;
}

// The measured work (callgrind's --toggle-collect names it): extract + embed of every document.
__attribute__((noinline)) void embed_passes(const retold::tfidf_embedder& e, const std::vector<std::string>& docs, int passes,
                                            retold::term_counts& tc, std::vector<float>& v) {
  for (int p = 0; p < passes; ++p)
    for (const auto& d : docs) {
      e.extract_into(d, tc);
      e.embed_into(tc, v);
    }
}

// Not measured: the hash of every document's terms, counts and embedding bits.
std::uint64_t output_hash(const retold::tfidf_embedder& e, const std::vector<std::string>& docs, std::size_t& terms) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  terms = 0;
  retold::term_counts tc;
  std::vector<float> v(e.dimension());
  for (const auto& d : docs) {
    e.extract_into(d, tc);
    e.embed_into(tc, v);
    terms += tc.terms.size();
    h = fnv(h, tc.terms.data(), tc.terms.size() * sizeof(std::uint64_t));
    h = fnv(h, tc.counts.data(), tc.counts.size() * sizeof(float));
    h = fnv(h, v.data(), v.size() * sizeof(float));
  }
  return h;
}

}  // namespace

int main(int argc, char** argv) {
  const int passes = argc > 1 ? std::atoi(argv[1]) : 4;
  if (passes < 1) {
    std::fprintf(stderr, "usage: e2e_embed_count [passes >= 1]\n");
    return 2;
  }
  const auto docs = make_embed_docs(256, 500, 7);
  retold::tfidf_embedder e;
  for (const auto& d : docs) e.observe(e.extract(d));
  retold::term_counts tc;
  std::vector<float> v(e.dimension());
  timespec t0{}, t1{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
  embed_passes(e, docs, passes, tc, v);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
  const double cpu_us = (double(t1.tv_sec - t0.tv_sec) * 1e9 + double(t1.tv_nsec - t0.tv_nsec)) / 1e3;
  std::size_t terms = 0;
  const std::uint64_t h = output_hash(e, docs, terms);
  const double n = double(docs.size()) * passes;
  std::printf("documents %.0f  distinct terms per document %.1f  hash %016llx  cpu %.2f us/doc (%.0f docs/s)\n", n,
              double(terms) / double(docs.size()), static_cast<unsigned long long>(h), cpu_us / n, n / (cpu_us / 1e6));
  return 0;
}
