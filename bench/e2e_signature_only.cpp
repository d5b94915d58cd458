// bench/e2e_signature_only.cpp - retold's own signature-only cost on a JSONL corpus: the floor a
// lexical `retold dedup` run is measured against (bench/e2e_lexical_vs_datasketch.py).
//
//   e2e_signature_only CORPUS.jsonl [--no-boilerplate]
//
// Reads every record (simdjson, as the CLI does), joins title and text as the deduplicator does,
// and computes what a lexical run must compute at the least: normalization (with boilerplate
// stripping unless --no-boilerplate), word 5-gram hashes and the 128-value one-permutation
// signature, with the deduplicator's default options. Nothing is indexed or written. Prints the
// document count, the compute CPU time alone (reading excluded) and documents per second; a checksum
// of the signatures keeps the work from being optimized away and lets two builds be compared.
#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

namespace {

// CPU time of this thread: on a shared machine wall time also counts other processes' turns.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::strcmp(argv[2], "--no-boilerplate") != 0)) {
    std::fprintf(stderr, "usage: e2e_signature_only CORPUS.jsonl [--no-boilerplate]\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "e2e_signature_only: cannot open %s\n", argv[1]);
    return 2;
  }
  const retold::deduplicator_options defaults;
  retold::normalize_options nopts = defaults.normalize;
  if (argc == 3) nopts.strip_boilerplate = false;
  const retold::minhasher hasher(defaults.minhash);

  simdjson::dom::parser parser;
  std::string line, combined, normalized;
  std::vector<std::uint64_t> shingles;
  std::vector<std::uint32_t> sig(defaults.minhash.num_hashes);
  std::uint64_t checksum = 0;
  std::size_t docs = 0, lineno = 0;
  double compute_seconds = 0;
  while (std::getline(in, line)) {
    ++lineno;
    simdjson::dom::element doc;
    std::string_view text, title;
    if (parser.parse(line).get(doc) || doc["text"].get(text)) {
      std::fprintf(stderr, "e2e_signature_only: %s:%zu: not a JSON object with a string text\n", argv[1], lineno);
      return 2;
    }
    if (doc["title"].get(title)) title = {};
    const double t0 = thread_cpu_seconds();
    std::string_view raw = text;
    if (!title.empty()) {
      combined.assign(title).append("\n\n").append(text);
      raw = combined;
    }
    try {
      retold::normalize_into(raw, normalized, nopts);
    } catch (const retold::error& e) {
      std::fprintf(stderr, "e2e_signature_only: %s:%zu: %s\n", argv[1], lineno, e.what());
      return 1;
    }
    shingles.clear();
    retold::shingle_hashes(normalized, defaults.shingles, shingles);
    hasher.compute_into(shingles, sig);
    compute_seconds += thread_cpu_seconds() - t0;
    for (std::uint32_t v : sig) checksum = (checksum ^ v) * 0x100000001B3ULL;
    ++docs;
  }
  std::printf("documents %zu  compute %.3f s  %.2f us/doc  %.0f docs/s  checksum %016llx\n", docs,
              compute_seconds, docs ? 1e6 * compute_seconds / static_cast<double>(docs) : 0.0,
              compute_seconds > 0 ? static_cast<double>(docs) / compute_seconds : 0.0,
              static_cast<unsigned long long>(checksum));
  return 0;
}
