// bench/binary_lsh_harness.cpp - see binary_lsh_harness.hpp.
#include "binary_lsh_harness.hpp"

#include "corpus_gen.hpp"

#include <retold/dedup.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <unordered_map>

namespace retold_bench::binary_lsh {

corpus make_corpus(std::size_t docs, std::uint64_t seed, double graded) {
  const retold::deduplicator_options defaults;
  const retold::minhasher hasher(defaults.minhash);
  corpus c;
  c.n = docs;
  c.h = defaults.minhash.num_hashes;
  c.sigs.resize(docs * c.h);
  c.story_of.resize(docs);

  news_generator gen(seed, docs, graded);
  news_doc doc;
  constexpr std::size_t k_chunk = 4096;
  std::vector<std::string> texts(k_chunk);
  auto sign_range = [&](std::size_t base, std::size_t from, std::size_t to, std::size_t step) {
    std::string normalized;
    std::vector<std::uint64_t> shingles;
    for (std::size_t i = from; i < to; i += step) {
      retold::normalize_into(texts[i], normalized, defaults.normalize);
      shingles.clear();
      retold::shingle_hashes(normalized, defaults.shingles, shingles);
      hasher.compute_into(shingles, {c.sigs.data() + (base + i) * c.h, c.h});
    }
  };
  for (std::size_t base = 0; base < docs; base += k_chunk) {
    const std::size_t m = std::min(k_chunk, docs - base);
    for (std::size_t j = 0; j < m; ++j) {
      gen.next(doc);
      texts[j].assign(doc.title).append("\n\n").append(doc.text);
      c.story_of[base + j] = doc.story;
    }
    std::thread helper(sign_range, base, 1, m, 2);
    sign_range(base, 0, m, 2);
    helper.join();
  }
  return c;
}

std::filesystem::path cache_path(const std::string& work, std::size_t docs, std::uint64_t seed, double graded) {
  char name[96];
  std::snprintf(name, sizeof name, "corpus_%zu_s%llu_g%.3f.sigcache", docs, static_cast<unsigned long long>(seed),
                graded);
  return std::filesystem::path(work) / name;
}

constexpr std::uint64_t k_cache_magic = 0x31484341434e4942ull;  // "BINCACH1"

bool read_cache(const std::filesystem::path& path, corpus& c, std::size_t docs) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::uint64_t head[3] = {};
  bool ok = std::fread(head, sizeof head, 1, f) == 1 && head[0] == k_cache_magic && head[1] == docs &&
            head[2] == c.h;
  if (ok) {
    c.n = docs;
    c.sigs.resize(docs * c.h);
    c.story_of.resize(docs);
    ok = std::fread(c.sigs.data(), sizeof(std::uint32_t), c.sigs.size(), f) == c.sigs.size() &&
         std::fread(c.story_of.data(), sizeof(std::uint64_t), docs, f) == docs;
  }
  std::fclose(f);
  return ok;
}

void write_cache(const std::filesystem::path& path, const corpus& c) {
  const auto tmp = path.string() + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return;  // a cache only: running without one is fine
  const std::uint64_t head[3] = {k_cache_magic, c.n, c.h};
  bool ok = std::fwrite(head, sizeof head, 1, f) == 1 &&
            std::fwrite(c.sigs.data(), sizeof(std::uint32_t), c.sigs.size(), f) == c.sigs.size() &&
            std::fwrite(c.story_of.data(), sizeof(std::uint64_t), c.n, f) == c.n;
  ok = std::fclose(f) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  else std::filesystem::remove(tmp, ec);
}

truth make_truth(const corpus& c) {
  truth t;
  t.mates.resize(c.n);
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> by_story;
  by_story.reserve(c.n);
  for (std::size_t i = 0; i < c.n; ++i) by_story[c.story_of[i]].push_back(static_cast<std::uint32_t>(i));
  for (const auto& [story, docs] : by_story) {
    for (std::size_t a = 0; a < docs.size(); ++a)
      for (std::size_t b = a + 1; b < docs.size(); ++b) {
        const double j = retold::estimate_jaccard(c.sig(docs[a]), c.sig(docs[b]));
        if (j < k_verify) continue;
        t.mates[docs[a]].push_back({docs[b], static_cast<float>(j)});
        t.mates[docs[b]].push_back({docs[a], static_cast<float>(j)});
        ++t.pairs;
        ++t.per_stratum[stratum(j)];
      }
  }
  return t;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::size_t heap_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

bool options::wanted(const std::string& name) const {
  return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
}

namespace {

struct scoring {
  double recall = 0, per[k_strata] = {};
  std::size_t outside = 0;
};

scoring score(const corpus& c, const truth& t, const std::vector<std::uint32_t>& sample, const query_outcome& o) {
  std::size_t found = 0, total = 0, f_s[k_strata] = {}, t_s[k_strata] = {};
  scoring s;
  std::vector<std::uint32_t> got;
  for (std::size_t qi = 0; qi < o.verified.size(); ++qi) {
    const std::uint32_t q = sample[qi];
    got = o.verified[qi];
    std::sort(got.begin(), got.end());
    for (const auto& [d, j] : t.mates[q]) {
      const int st = stratum(j);
      ++total;
      ++t_s[st];
      if (std::binary_search(got.begin(), got.end(), d)) {
        ++found;
        ++f_s[st];
      }
    }
    for (std::uint32_t d : got)
      if (c.story_of[d] != c.story_of[q]) ++s.outside;
  }
  s.recall = total ? static_cast<double>(found) / static_cast<double>(total) : 0;
  for (int i = 0; i < k_strata; ++i) s.per[i] = t_s[i] ? static_cast<double>(f_s[i]) / static_cast<double>(t_s[i]) : -1;
  return s;
}

}  // namespace

void finish_row(result_row& row, const context& x, const std::vector<double>& insert_s,
                const std::vector<double>& query_us, std::size_t queries, const query_outcome& out) {
  row.insert_s = median(insert_s);
  row.query_us = median(query_us);
  row.queries = queries;
  row.cand_per_query = static_cast<double>(out.candidates) / static_cast<double>(queries);
  const scoring s = score(x.c, x.t, x.sample, out);
  row.recall = s.recall;
  std::copy(s.per, s.per + k_strata, row.recall_stratum);
  row.outside = s.outside;
}

void print_row(const result_row& r, const result_row& base) {
  std::printf("| %s | %s | %zu | %.2f (%.2fx) | %.1f (%.2fx) | %.1f | %.4f |", r.name.c_str(), r.what.c_str(), r.queries,
              r.insert_s, base.insert_s > 0 ? r.insert_s / base.insert_s : 0.0, r.query_us,
              base.query_us > 0 ? r.query_us / base.query_us : 0.0, r.cand_per_query, r.recall);
  for (int i = 0; i < k_strata; ++i) {
    if (r.recall_stratum[i] < 0) std::printf(" - |");
    else std::printf(" %.3f |", r.recall_stratum[i]);
  }
  std::printf(" %zu | %.1f | %.1f |", r.outside, static_cast<double>(r.memory) / 1048576.0,
              static_cast<double>(r.memory_with_sigs) / 1048576.0);
  if (r.persisted)
    std::printf(" %.1f | %.2f | %.2f |\n", static_cast<double>(r.file_bytes) / 1048576.0, r.save_s, r.load_s);
  else
    std::printf(" - | - | - |\n");
  std::fflush(stdout);
}

}  // namespace retold_bench::binary_lsh
