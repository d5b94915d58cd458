// tests/c/seed_clusters_cpp.cpp - clusters seeds/corpus.jsonl with the C++ API directly and
// prints the stories as JSON, so the Python binding's test can check that the same corpus
// clusters the same way through Python -> C ABI -> C++ (bindings/python/tests/test_seeds.py).
//
//   seed_clusters_cpp [hybrid|lexical] [SEEDS_DIR]
//
// hybrid: default options; lexical: embeddings off, Jaccard threshold 0.25, LSH threshold 0.2.
// Both use the golden file's source priority for representatives. Output: one JSON object
//   {"stories": [{"id": N, "leader": "...", "representative": "...", "members": ["..."]}]}
#include "seed_corpus.hpp"

#include <retold/dedup.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string mode = argc > 1 ? argv[1] : "hybrid";
  const std::string seeds = argc > 2 ? argv[2] : RETOLD_SEEDS_DIR;
  retold::deduplicator_options o;
  o.representative.source_priority = retold::test::load_seed_truth(seeds + "/expected_clusters.json").source_priority;
  if (mode == "lexical") {
    o.embedding = retold::embedding_mode::none;
    o.scoring.jaccard_threshold = 0.25;
    o.lsh_threshold = 0.2;
  } else if (mode != "hybrid") {
    std::cerr << "usage: seed_clusters_cpp [hybrid|lexical] [SEEDS_DIR]\n";
    return 2;
  }
  retold::deduplicator d(o);
  for (const auto& s : retold::test::load_seed_corpus(seeds + "/corpus.jsonl")) {
    retold::document doc;
    doc.id = s.id;
    doc.text = s.text;
    doc.title = s.title;
    doc.source = s.source;
    doc.timestamp = s.timestamp;
    d.add(doc);
  }
  std::string out = "{\"stories\": [";
  bool first = true;
  for (const auto& c : d.clusters()) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "  {\"id\": " + std::to_string(c.id) + ", \"leader\": " + json_string(c.leader) +
           ", \"representative\": " + json_string(c.representative) + ", \"members\": [";
    for (std::size_t i = 0; i < c.members.size(); ++i)
      out += (i ? ", " : "") + json_string(c.members[i].id);
    out += "]}";
  }
  out += "\n]}\n";
  std::cout << out;
  return 0;
} catch (const std::exception& e) {
  std::cerr << "seed_clusters_cpp: " << e.what() << "\n";
  return 1;
}
