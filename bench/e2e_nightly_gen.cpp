// bench/e2e_nightly_gen.cpp - writes a synthetic news corpus for the end-to-end nightly benchmark.
//
//   e2e_nightly_gen --docs 1000000 --out corpus.jsonl [--truth truth.tsv] [--seed 1]
//
// The documents are corpus_gen.hpp's (originals of news length, near-duplicates about 25%,
// retellings about 12%, over 30 days), written one JSON object a line. Deterministic for a given
// seed. The truth file lists "id<TAB>story" so recall can be checked.
#include "corpus_gen.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace {

void json_escape_append(std::string& out, const std::string& s) {
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
}

std::string iso(std::int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t docs = 1000000, seed = 1;
  std::string out_path = "-", truth_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--docs") docs = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--out") out_path = val();
    else if (a == "--truth") truth_path = val();
    else if (a == "--seed") seed = std::strtoull(val().c_str(), nullptr, 10);
    else {
      std::fprintf(stderr, "usage: e2e_nightly_gen [--docs N] [--out FILE] [--truth FILE] [--seed S]\n");
      return 2;
    }
  }
  FILE* out = out_path == "-" ? stdout : std::fopen(out_path.c_str(), "wb");
  FILE* truth = truth_path.empty() ? nullptr : std::fopen(truth_path.c_str(), "wb");
  if (!out || (!truth_path.empty() && !truth)) {
    std::perror("e2e_nightly_gen: cannot open output");
    return 1;
  }
  retold_bench::news_generator gen(seed, docs);
  retold_bench::news_doc doc;
  std::string line;
  line.reserve(1 << 14);
  std::uint64_t n_orig = 0, n_near = 0, n_retell = 0, bytes = 0;
  for (std::uint64_t d = 0; d < docs; ++d) {
    gen.next(doc);
    n_orig += doc.kind == retold_bench::doc_kind::original;
    n_near += doc.kind == retold_bench::doc_kind::near_duplicate;
    n_retell += doc.kind == retold_bench::doc_kind::retelling;
    line.clear();
    line += "{\"id\":\"" + doc.id + "\",\"source\":\"" + doc.source + "\",\"timestamp\":\"" + iso(doc.timestamp) +
            "\",\"title\":\"";
    json_escape_append(line, doc.title);
    line += "\",\"text\":\"";
    json_escape_append(line, doc.text);
    line += "\"}\n";
    bytes += line.size();
    std::fwrite(line.data(), 1, line.size(), out);
    if (truth) std::fprintf(truth, "%s\t%llu\n", doc.id.c_str(), static_cast<unsigned long long>(doc.story));
  }
  if (std::fflush(out) != 0 || (out != stdout && std::fclose(out) != 0)) {
    std::perror("e2e_nightly_gen: write failed");
    return 1;
  }
  if (truth) std::fclose(truth);
  std::fprintf(stderr,
               "e2e_nightly_gen: %llu documents (%llu originals, %llu near-duplicates, %llu retellings), %.2f GB\n",
               static_cast<unsigned long long>(docs), static_cast<unsigned long long>(n_orig),
               static_cast<unsigned long long>(n_near), static_cast<unsigned long long>(n_retell),
               static_cast<double>(bytes) / 1e9);
  return 0;
}
