// bench/e2e_online.cpp - latency of online add() and query() on a state of nightly size.
//
//   e2e_online CORPUS.jsonl [--preload N] [--online M] [--readers R] [--threads T]
//
// An aggregator backend adds reports one at a time as they arrive while other threads query.
// This tool loads the first N documents of a JSONL corpus (bench/e2e_nightly_gen writes one) with
// add_batch, then adds the next M one by one with add(), timing every call, while R reader
// threads query the texts of upcoming documents in a loop. It prints latency percentiles of add()
// and query(), and the slowest adds (the calls that closed a segment into the vector index, or
// retrained the IVF, take the exclusive lock for longer and stall the readers too).
#include <retold/dedup.hpp>

#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

struct record {
  std::string id, text;
};

// The first `n` records (id, text) of a JSONL file.
std::vector<record> read_jsonl(const char* path, std::size_t n) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "e2e_online: cannot open %s\n", path);
    std::exit(2);
  }
  simdjson::dom::parser parser;
  std::vector<record> out;
  std::string line;
  std::size_t lineno = 0;
  while (out.size() < n && std::getline(in, line)) {
    ++lineno;
    simdjson::dom::element doc;
    std::string_view id, text;
    if (parser.parse(line).get(doc) || doc["id"].get(id) || doc["text"].get(text)) {
      std::fprintf(stderr, "e2e_online: %s:%zu: not a JSON object with string id and text\n", path, lineno);
      std::exit(2);
    }
    out.push_back({std::string(id), std::string(text)});
  }
  if (out.size() < n) {
    std::fprintf(stderr, "e2e_online: %s has %zu records, %zu wanted\n", path, out.size(), n);
    std::exit(2);
  }
  return out;
}

struct percentiles {
  double p50, p90, p99, p999, max;
};
percentiles summarize(std::vector<double> v) {
  if (v.empty()) return {0, 0, 0, 0, 0};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  return {at(0.50), at(0.90), at(0.99), at(0.999), v.back()};
}
void print_row(const char* what, std::size_t calls, const percentiles& p) {
  std::printf("%-22s %9zu %9.3f %9.3f %9.3f %9.3f %10.1f\n", what, calls, p.p50, p.p90, p.p99, p.p999, p.max);
}

std::size_t flag(int argc, char** argv, const char* name, std::size_t fallback) {
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return static_cast<std::size_t>(std::strtoull(argv[i + 1], nullptr, 10));
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: e2e_online CORPUS.jsonl [--preload N] [--online M] [--readers R] [--threads T]\n");
    return 2;
  }
  const std::size_t preload = flag(argc, argv, "--preload", 100000);
  const std::size_t online = flag(argc, argv, "--online", 10000);
  const std::size_t readers = flag(argc, argv, "--readers", 1);
  const auto threads = static_cast<unsigned>(flag(argc, argv, "--threads", 0));

  auto t = clock_type::now();
  const auto records = read_jsonl(argv[1], preload + online);
  std::printf("read %zu records in %.1f s\n", records.size(), ms_since(t) / 1000);

  retold::deduplicator_options o;
  o.threads = threads;
  retold::deduplicator d(o);
  t = clock_type::now();
  for (std::size_t i = 0; i < preload; i += 4096) {
    std::vector<retold::document> batch;
    for (std::size_t j = i; j < std::min(preload, i + 4096); ++j) {
      retold::document doc;
      doc.id = records[j].id;
      doc.text = records[j].text;
      batch.push_back(doc);
    }
    d.add_batch(batch);
  }
  std::printf("preloaded %zu documents with add_batch in %.1f s\n", preload, ms_since(t) / 1000);

  // Readers query the texts of documents not stored yet, round-robin, until the writer is done.
  std::atomic<bool> done{false};
  std::mutex merge;
  std::vector<double> query_ms;
  std::vector<std::thread> pool;
  for (std::size_t r = 0; r < readers; ++r)
    pool.emplace_back([&, r] {
      std::vector<double> mine;
      for (std::size_t k = r; !done.load(std::memory_order_relaxed); k += readers) {
        const auto& rec = records[preload + k % online];
        const auto q0 = clock_type::now();
        const auto matches = d.query(rec.text);
        mine.push_back(ms_since(q0));
        if (matches.size() > 1000) std::abort();  // keeps the call from being optimized away
      }
      const std::lock_guard lock(merge);
      query_ms.insert(query_ms.end(), mine.begin(), mine.end());
    });

  std::vector<double> add_ms(online);
  std::vector<std::pair<double, std::size_t>> slowest;
  t = clock_type::now();
  for (std::size_t i = 0; i < online; ++i) {
    const auto& rec = records[preload + i];
    retold::document doc;
    doc.id = rec.id;
    doc.text = rec.text;
    const auto a0 = clock_type::now();
    d.add(doc);
    add_ms[i] = ms_since(a0);
    slowest.emplace_back(add_ms[i], preload + i);
  }
  const double online_s = ms_since(t) / 1000;
  done = true;
  for (auto& th : pool) th.join();

  std::printf("online: %zu adds in %.1f s (%.0f adds/s) with %zu reader thread(s), %.0f queries/s\n", online, online_s,
              static_cast<double>(online) / online_s, readers, static_cast<double>(query_ms.size()) / online_s);
  std::printf("%-22s %9s %9s %9s %9s %9s %10s\n", "latency (ms)", "calls", "p50", "p90", "p99", "p99.9", "max");
  print_row("add()", add_ms.size(), summarize(add_ms));
  print_row("query() during adds", query_ms.size(), summarize(query_ms));
  std::sort(slowest.begin(), slowest.end(), std::greater<>());
  std::printf("slowest adds (ms @ documents stored before the call):");
  for (std::size_t i = 0; i < std::min<std::size_t>(5, slowest.size()); ++i)
    std::printf(" %.1f@%zu", slowest[i].first, slowest[i].second);
  std::printf("\n");
  const auto st = d.stats();
  std::printf("state: %zu documents, %zu stories; add stages (s): features %.2f, embed %.2f, candidates %.2f, "
              "verify+cluster %.2f, index add %.2f\n",
              st.documents, st.clusters, st.add_seconds.features, st.add_seconds.embed, st.add_seconds.candidates,
              st.add_seconds.verify_cluster, st.add_seconds.index_add);
  return 0;
}
