// bench/e2e_signature_only.cpp - retold's own signature-only cost on a JSONL corpus: the floor a
// lexical `retold dedup` run is measured against (bench/e2e_lexical_vs_datasketch.py).
//
//   e2e_signature_only CORPUS.jsonl [--no-boilerplate] [--features]
//
// Reads every record (simdjson, as the CLI does), joins title and text as the deduplicator does,
// and computes what a lexical run must compute at the least: normalization (with boilerplate
// stripping unless --no-boilerplate), word 5-gram hashes and the 128-value one-permutation
// signature, with the deduplicator's default options. Nothing is indexed or written. Prints the
// document count, the compute CPU time alone (reading excluded) and documents per second; a checksum
// of the signatures keeps the work from being optimized away and lets two builds be compared.
//
// --features also computes, per document and timed apart, the rest of what a lexical run's
// compute_features does with those shingles: the distinct shingle count (count_distinct) and the
// evidence sketch (make_sketch), with a checksum of the serialized sketches. It prints both times
// and their ratio from the same run, so the sketch's share can be followed on a loaded machine.
#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/sketch.hpp>
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
  bool strip = true, features = false, bad = false;
  const char* corpus = nullptr;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--no-boilerplate") == 0) strip = false;
    else if (std::strcmp(argv[a], "--features") == 0) features = true;
    else if (!corpus && argv[a][0] != '-') corpus = argv[a];
    else bad = true;
  }
  if (!corpus || bad) {
    std::fprintf(stderr, "usage: e2e_signature_only CORPUS.jsonl [--no-boilerplate] [--features]\n");
    return 2;
  }
  std::ifstream in(corpus);
  if (!in) {
    std::fprintf(stderr, "e2e_signature_only: cannot open %s\n", corpus);
    return 2;
  }
  const retold::deduplicator_options defaults;
  retold::normalize_options nopts = defaults.normalize;
  if (!strip) nopts.strip_boilerplate = false;
  const retold::minhasher hasher(defaults.minhash);

  simdjson::dom::parser parser;
  std::string line, combined, normalized;
  std::vector<std::uint64_t> shingles;
  std::vector<std::uint32_t> sig(defaults.minhash.num_hashes);
  std::uint64_t checksum = 0, sketch_checksum = 0;
  std::size_t docs = 0, lineno = 0;
  double compute_seconds = 0, feature_seconds = 0;
  std::vector<std::uint8_t> sketch_bytes;
  while (std::getline(in, line)) {
    ++lineno;
    simdjson::dom::element doc;
    std::string_view text, title;
    if (parser.parse(line).get(doc) || doc["text"].get(text)) {
      std::fprintf(stderr, "e2e_signature_only: %s:%zu: not a JSON object with a string text\n", corpus, lineno);
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
      std::fprintf(stderr, "e2e_signature_only: %s:%zu: %s\n", corpus, lineno, e.what());
      return 1;
    }
    shingles.clear();
    retold::shingle_hashes(normalized, defaults.shingles, shingles);
    hasher.compute_into(shingles, sig);
    const double t1 = thread_cpu_seconds();
    compute_seconds += t1 - t0;
    for (std::uint32_t v : sig) checksum = (checksum ^ v) * 0x100000001B3ULL;
    if (features) {
      const double t2 = thread_cpu_seconds();
      const auto distinct = static_cast<std::uint32_t>(retold::count_distinct(shingles));
      const retold::doc_sketch sketch = retold::make_sketch(raw, normalized, title, distinct, defaults.sketch);
      feature_seconds += thread_cpu_seconds() - t2;
      sketch_bytes.clear();
      retold::serialize_sketch(sketch, sketch_bytes);
      for (std::uint8_t b : sketch_bytes) sketch_checksum = (sketch_checksum ^ b) * 0x100000001B3ULL;
    }
    ++docs;
  }
  std::printf("documents %zu  compute %.3f s  %.2f us/doc  %.0f docs/s  checksum %016llx\n", docs,
              compute_seconds, docs ? 1e6 * compute_seconds / static_cast<double>(docs) : 0.0,
              compute_seconds > 0 ? static_cast<double>(docs) / compute_seconds : 0.0,
              static_cast<unsigned long long>(checksum));
  if (features)
    std::printf("features (distinct count + sketch) %.3f s  %.2f us/doc  %.2fx the signature  sketch checksum %016llx\n",
                feature_seconds, docs ? 1e6 * feature_seconds / static_cast<double>(docs) : 0.0,
                compute_seconds > 0 ? feature_seconds / compute_seconds : 0.0,
                static_cast<unsigned long long>(sketch_checksum));
  return 0;
}
