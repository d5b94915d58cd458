// bench/bench_binary_lsh.cpp - the design's literal path, measured (issue 15): the same MinHash
// signatures as b-bit codes in FAISS binary indexes against retold's lsh_index.
//
//   bench_binary_lsh [--docs 100000] [--queries 10000] [--reps 3] [--budget 12] [--seed 1]
//                    [--graded 0.10] [--work /tmp/retold_binary] [--only NAME,NAME,...]
//
// Documents are generated in this process exactly as bench/e2e_nightly_gen does (same RNG, same
// stories, near-duplicates and retellings; --graded 0 gives that corpus document for document),
// plus a share (--graded, default 10%) of "graded copies": an earlier story with each general word
// replaced at a rate drawn uniformly in [0.02, 0.30], so that true pairs cover Jaccard 0.2 .. 0.9
// and not only the 0.7 .. 0.9 of agency copies (retellings share almost no 5-grams: they are the
// embedder's job). Each document is title + "\n\n" + text, normalized, cut into word 5-grams and
// signed with the deduplicator's default options (128 one-permutation values).
//
// The truth: every pair of documents of one story whose full-signature Jaccard estimate is
// >= 0.2 (the deduplicator's verification threshold). Pairs of different stories at >= 0.2 that an
// index returns are counted separately ("outside").
//
// Methods, each built from scratch on all documents, then queried with a uniform sample of the
// documents (each query's own entry excluded); every candidate is verified with the full
// signature's Jaccard estimate >= 0.2, as the deduplicator does:
//   lsh          retold::lsh_index, banding choose_lsh_params(0.2, 128, 0.25, 0.75) (resolve_lsh)
//   lsh6         retold::lsh_index banded for near-copies only: choose_lsh_params(0.6, 128, ...)
//   mhlsh        faiss::IndexBinaryMultiHash over lsh_index's own band fingerprints (50 bands x
//                32 bits = 1600-bit codes, one 32-bit hash per band): the same banding in FAISS
//   mh1/mh2      faiss::IndexBinaryMultiHash on 1-bit (128-bit codes) / 2-bit (256-bit) codes
//   hash1        faiss::IndexBinaryHash on 1-bit codes
//   flat1/flat2  faiss::IndexBinaryFlat range search (exact Hamming) at the radius that keeps 90%
//                or 99% of the true pairs of the sample: what the codes allow at best
// b-bit code: the lowest b bits of each of the 128 values, value i at bits [b i, b i + b).
// FAISS runs on one OpenMP thread and gets its queries in batches of 64 (its best case: the
// deduplicator would query one document at a time); lsh_index is queried one document at a time.
//
// Figures: insert = CPU seconds of this thread to add all documents (median of --reps builds);
// query = CPU microseconds per query including verification (median of --reps passes over the
// sample; a method whose pass would exceed --budget/--reps seconds runs on a prefix of the sample,
// the same prefix in every pass, and says how many queries it used); memory = heap bytes the
// index holds (mallinfo2 before and after building); persistence = lsh_index as the deduplicator
// saves it (the signature table as a checked state file, src/dedup/persist.cpp; load = read and
// rebuild the index by inserting) against faiss::write_index_binary / read_index_binary (the
// FAISS file holds only the codes: verification needs the signatures saved beside it).
// Times are wall seconds for persistence (it includes fsync), CPU seconds otherwise. A method
// whose first build takes longer than --budget is built once ("(1 build)" in its row). The signed
// corpus is cached in --work (checked against a fresh signing of its first documents), so a second
// run skips the generation (about 2 minutes at 1M). One run at 1M needs about 5 GiB of memory.
#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/lsh.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include "store/state_file.hpp"

#include <faiss/IndexBinary.h>
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/index_io.h>
#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

// ---------------------------------------------------------------- the corpus (as e2e_nightly_gen)

struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) * n >> 32); }
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

const char* const k_syllables[] = {"ka", "lo", "mi", "ser", "tan", "vo", "re", "di", "nu", "pa", "sto", "gri",
                                   "ben", "hal", "or", "ex", "um", "bra", "cel", "dor", "fin", "ga", "hu", "ja",
                                   "kel", "lim", "mor", "nis", "pol", "quo", "ras", "sil", "tor", "ur", "vel", "wen"};
constexpr int k_syl = sizeof(k_syllables) / sizeof(k_syllables[0]);

std::string make_word(rng& r, int min_syl, int max_syl) {
  const int n = min_syl + static_cast<int>(r.below(static_cast<std::uint32_t>(max_syl - min_syl + 1)));
  std::string w;
  for (int i = 0; i < n; ++i) w += k_syllables[r.below(k_syl)];
  return w;
}

struct vocabulary {
  std::vector<std::string> words;
  std::vector<std::string> synonyms;
  std::vector<double> cdf;
  vocabulary(rng& r, std::size_t n) {
    words.reserve(n);
    for (std::size_t i = 0; i < n; ++i) words.push_back(make_word(r, 1, i < 200 ? 2 : 4));
    for (std::size_t i = 0; i < n; ++i) synonyms.push_back(make_word(r, 2, 4));
    double acc = 0;
    cdf.reserve(n);
    for (std::size_t i = 0; i < n; ++i) cdf.push_back(acc += 1.0 / std::pow(static_cast<double>(i + 1), 1.05));
    for (auto& c : cdf) c /= acc;
  }
  std::uint32_t sample(rng& r) const {
    return static_cast<std::uint32_t>(std::lower_bound(cdf.begin(), cdf.end(), r.unit()) - cdf.begin());
  }
};

struct token {
  std::int32_t general = -1;
  std::string special;
};
using sentence = std::vector<token>;

struct story {
  std::vector<sentence> sentences;
  std::string title_words;
  std::int64_t time = 0;
};

const char* const k_sources[] = {"Reuters", "AP", "AFP", "dpa", "CTK", "UNN", "Ukrinform", "RFE/RL", "UNIAN",
                                 "Kyiv Post", "Euronews", "Daily Wire Desk", "Metro Herald", "Evening Courier"};
constexpr int k_source_count = sizeof(k_sources) / sizeof(k_sources[0]);

story make_story(rng& r, const vocabulary& v, std::int64_t t0) {
  story s;
  std::vector<std::string> topic, entities;
  for (int i = 0; i < 12; ++i) topic.push_back(make_word(r, 3, 5));
  for (int i = 0; i < 5; ++i) {
    std::string e = make_word(r, 2, 3);
    e[0] = static_cast<char>(e[0] - 'a' + 'A');
    entities.push_back(e);
  }
  const int target_words = 350 + static_cast<int>(r.below(200));
  int words = 0;
  while (words < target_words) {
    sentence sen;
    const int len = 10 + static_cast<int>(r.below(20));
    for (int i = 0; i < len; ++i) {
      const double u = r.unit();
      token t;
      if (u < 0.10) {
        t.special = topic[r.below(static_cast<std::uint32_t>(topic.size()))];
      } else if (u < 0.14) {
        t.special = entities[r.below(static_cast<std::uint32_t>(entities.size()))];
      } else if (u < 0.16) {
        t.special = std::to_string(r.below(100000));
      } else {
        t.general = static_cast<std::int32_t>(v.sample(r));
      }
      sen.push_back(std::move(t));
    }
    words += len;
    s.sentences.push_back(std::move(sen));
  }
  s.title_words = entities[0] + " " + topic[0] + " " + topic[1] + " " + v.words[v.sample(r)];
  s.time = t0;
  return s;
}

void append_sentence(std::string& out, const sentence& sen, const vocabulary& v, rng& r, double synonym_rate,
                     double edit_rate) {
  bool first = true;
  for (const auto& t : sen) {
    if (!first) out.push_back(' ');
    const std::size_t start = out.size();
    if (t.general >= 0) {
      const double u = r.unit();
      if (u < edit_rate) {
        out += v.words[v.sample(r)];
      } else if (u < edit_rate + synonym_rate) {
        out += v.synonyms[static_cast<std::size_t>(t.general)];
      } else {
        out += v.words[static_cast<std::size_t>(t.general)];
      }
    } else {
      out += t.special;
    }
    if (first && out[start] >= 'a' && out[start] <= 'z') out[start] = static_cast<char>(out[start] - 'a' + 'A');
    first = false;
  }
  out += ". ";
}

struct corpus {
  std::size_t n = 0;
  std::uint32_t h = 128;
  std::vector<std::uint32_t> sigs;      // n * h
  std::vector<std::uint64_t> story_of;  // n
  std::span<const std::uint32_t> sig(std::size_t i) const { return {sigs.data() + i * h, h}; }
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Generates the documents and signs them: text in this thread (the RNG is sequential), signing of
// each chunk split over two threads.
corpus make_corpus(std::size_t docs, std::uint64_t seed, double graded) {
  const retold::deduplicator_options defaults;
  const retold::minhasher hasher(defaults.minhash);
  corpus c;
  c.n = docs;
  c.h = defaults.minhash.num_hashes;
  c.sigs.resize(docs * c.h);
  c.story_of.resize(docs);

  rng r(seed);
  const vocabulary v(r, 30000);
  const std::int64_t t_begin = 1709251200;
  const std::int64_t span = 30 * 86400;
  constexpr std::size_t k_ring = 4096;
  std::vector<story> ring(k_ring);
  std::vector<std::uint64_t> ring_id(k_ring, 0);
  std::uint64_t stories = 0;

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
      const std::size_t d = base + j;
      const double u = r.unit();
      const std::int64_t now = t_begin + static_cast<std::int64_t>(static_cast<double>(span) * static_cast<double>(d) /
                                                                     static_cast<double>(docs));
      int kind = 0;  // 0 original, 1 near-duplicate, 2 retelling, 3 graded copy (not in e2e_nightly_gen)
      if (stories > 0 && u < 0.25) kind = 1;
      else if (stories > 0 && u < 0.37) kind = 2;
      else if (stories > 0 && u < 0.37 + graded) kind = 3;
      std::size_t slot;
      if (kind == 0) {
        slot = stories % k_ring;
        ring[slot] = make_story(r, v, now);
        ring_id[slot] = stories;
        ++stories;
      } else {
        const std::uint64_t back = r.below(static_cast<std::uint32_t>(std::min<std::uint64_t>(stories, 2000)));
        slot = (stories - 1 - back) % k_ring;
      }
      const story& s = ring[slot];
      std::string text;
      std::string title = s.title_words;
      if (kind == 0) {
        for (const auto& sen : s.sentences) append_sentence(text, sen, v, r, 0.0, 0.0);
      } else if (kind == 1) {
        text += "(" + std::string(k_sources[r.below(k_source_count)]) + ") - ";
        const std::size_t drop = r.below(static_cast<std::uint32_t>(s.sentences.size()));
        for (std::size_t i = 0; i < s.sentences.size(); ++i)
          if (i != drop) append_sentence(text, s.sentences[i], v, r, 0.0, 0.02);
        text += "\n\nSubscribe to our channel for more news. Copyright " +
                std::string(k_sources[r.below(k_source_count)]) + ".";
      } else if (kind == 2) {
        std::vector<std::size_t> order(s.sentences.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        for (std::size_t i = order.size(); i > 1; --i)
          std::swap(order[i - 1], order[r.below(static_cast<std::uint32_t>(i))]);
        for (std::size_t i : order) {
          if (r.unit() < 0.25) continue;
          append_sentence(text, s.sentences[i], v, r, 0.6, 0.1);
        }
        title = "Report: " + title;
      } else {
        const double rate = 0.02 + 0.28 * r.unit();
        for (const auto& sen : s.sentences) append_sentence(text, sen, v, r, 0.0, rate);
      }
      if (kind) (void)r.below(2 * 86400);  // the generator's timestamp draw, kept for the same stream
      (void)r.below(k_source_count);        // and its source draw
      texts[j].assign(title).append("\n\n").append(text);
      c.story_of[d] = ring_id[slot];
    }
    std::thread helper(sign_range, base, 1, m, 2);
    sign_range(base, 0, m, 2);
    helper.join();
  }
  return c;
}

// The signed corpus is cached in the work directory (the signatures and story ids, raw, host byte
// order: a scratch file of this benchmark, not a retold format), so that a second run at 1M does
// not spend minutes generating text again on a loaded machine.
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

// ---------------------------------------------------------------- the truth

constexpr double k_verify = 0.2;  // the deduplicator's verification threshold (lsh_threshold)
constexpr int k_strata = 4;       // Jaccard [0.2,0.4) [0.4,0.6) [0.6,0.8) [0.8,1]
int stratum(double j) { return std::min(k_strata - 1, static_cast<int>((j - 0.2) / 0.2)); }

struct truth {
  // mates[q]: (document, Jaccard) of every other document of q's story with Jaccard >= 0.2
  std::vector<std::vector<std::pair<std::uint32_t, float>>> mates;
  std::size_t pairs = 0;
  std::size_t per_stratum[k_strata] = {};
};

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

// ---------------------------------------------------------------- measuring

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

// What one pass over the queries gives: the verified results (query, document) and the raw
// candidate count.
struct query_outcome {
  std::vector<std::vector<std::uint32_t>> verified;  // per query, excluding itself
  std::size_t candidates = 0;
};

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

struct options {
  std::size_t docs = 100000, queries = 10000;
  int reps = 3;
  double budget = 12;
  std::uint64_t seed = 1;
  double graded = 0.10;
  std::string work = "/tmp/retold_binary";
  std::vector<std::string> only;
  bool wanted(const std::string& name) const {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  }
};

// b-bit codes: the lowest `bits` bits of each value, value i at bit offset bits * i (little-endian
// bit order inside each byte, as FAISS's IndexBinaryMultiHash reads its hash bits). Eight bytes
// of padding at the end: FAISS reads hash bits with unaligned 64-bit loads that may run past the
// last code.
std::vector<std::uint8_t> make_codes(const corpus& c, int bits) {
  const std::size_t code_bytes = c.h * static_cast<std::size_t>(bits) / 8;
  std::vector<std::uint8_t> codes(c.n * code_bytes + 8, 0);
  const std::uint32_t mask = (1u << bits) - 1;
  for (std::size_t i = 0; i < c.n; ++i) {
    std::uint8_t* out = codes.data() + i * code_bytes;
    const auto s = c.sig(i);
    for (std::uint32_t k = 0; k < c.h; ++k) {
      const std::size_t bit = static_cast<std::size_t>(k) * bits;
      out[bit >> 3] |= static_cast<std::uint8_t>((s[k] & mask) << (bit & 7));
    }
  }
  return codes;
}

// Query codes of the sample, contiguous and padded like make_codes.
std::vector<std::uint8_t> gather(const std::vector<std::uint8_t>& codes, std::size_t code_bytes,
                                 const std::vector<std::uint32_t>& sample) {
  std::vector<std::uint8_t> q(sample.size() * code_bytes + 8, 0);
  for (std::size_t i = 0; i < sample.size(); ++i)
    std::memcpy(q.data() + i * code_bytes, codes.data() + std::size_t{sample[i]} * code_bytes, code_bytes);
  return q;
}

// The literal design path with no loss of signal: the lsh_index's own band fingerprints (one
// 32-bit value per band) as one code, so IndexBinaryMultiHash with one 32-bit hash per band is the
// same banding as lsh_index, held in FAISS's containers.
std::vector<std::uint8_t> band_codes(const corpus& c, const retold::lsh_index& shape) {
  const std::size_t code_bytes = shape.params().bands * sizeof(std::uint32_t);
  std::vector<std::uint8_t> codes(c.n * code_bytes + 8, 0);
  for (std::size_t i = 0; i < c.n; ++i) {
    const auto keys = shape.band_keys(c.sig(i));
    std::memcpy(codes.data() + i * code_bytes, keys.fingerprints().data(), code_bytes);
  }
  return codes;
}

struct faiss_method {
  std::string name, what;
  int bits = 1;  // b-bit codes; 0: band_codes
  std::function<faiss::IndexBinary*()> make;
  int radius = 0;  // range_search radius (exclusive); 0: the whole code length + 1, every candidate
};

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

int usage() {
  std::fprintf(stderr,
               "usage: bench_binary_lsh [--docs N] [--queries Q] [--reps R] [--budget SECONDS] [--seed S]\n"
               "                        [--graded FRACTION] [--work DIR] [--only NAME,NAME,...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    char* end = nullptr;
    if (a == "--docs") o.docs = std::strtoull(v, &end, 10);
    else if (a == "--queries") o.queries = std::strtoull(v, &end, 10);
    else if (a == "--reps") o.reps = static_cast<int>(std::strtol(v, &end, 10));
    else if (a == "--budget") o.budget = std::strtod(v, &end);
    else if (a == "--seed") o.seed = std::strtoull(v, &end, 10);
    else if (a == "--graded") o.graded = std::strtod(v, &end);
    else if (a == "--work") { o.work = v; end = const_cast<char*>(v) + std::strlen(v); }
    else if (a == "--only") {
      std::string s = v;
      for (std::size_t p = 0; p <= s.size();) {
        const std::size_t q = std::min(s.find(',', p), s.size());
        if (q > p) o.only.push_back(s.substr(p, q - p));
        p = q + 1;
      }
      end = const_cast<char*>(v) + std::strlen(v);
    } else {
      std::fprintf(stderr, "bench_binary_lsh: unknown option %s\n", a.c_str());
      return usage();
    }
    if (!end || *end != '\0') {
      std::fprintf(stderr, "bench_binary_lsh: %s: not a number: %s\n", a.c_str(), v);
      return usage();
    }
  }
  if (o.docs < 2 || o.docs > (std::size_t{1} << 31) || o.queries == 0 || o.reps < 1 || !(o.budget > 0) ||
      !(o.graded >= 0 && o.graded <= 0.63)) {
    std::fprintf(stderr,
                 "bench_binary_lsh: need --docs in 2 .. 2^31, --queries >= 1, --reps >= 1, --budget > 0, "
                 "--graded in [0, 0.63]\n");
    return 2;
  }
  for (const auto& name : o.only) {
    static const char* const known[] = {"lsh", "lsh6", "mhlsh", "mh1", "mh2", "hash1", "flat1", "flat2"};
    if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return name == k; })) {
      std::fprintf(stderr, "bench_binary_lsh: --only: unknown method %s (lsh lsh6 mhlsh mh1 mh2 hash1 flat1 flat2)\n",
                   name.c_str());
      return 2;
    }
  }
  o.queries = std::min(o.queries, o.docs);
  omp_set_num_threads(1);
  std::error_code ec;
  std::filesystem::create_directories(o.work, ec);
  if (ec) {
    std::fprintf(stderr, "bench_binary_lsh: cannot create %s: %s\n", o.work.c_str(), ec.message().c_str());
    return 2;
  }

  try {
    double t0 = wall_seconds();
    const auto cache = cache_path(o.work, o.docs, o.seed, o.graded);
    corpus c;
    // A cache made by another build whose signing differs is caught by signing the first
    // documents again (a corpus's first k documents do not depend on its size).
    const auto cache_is_current = [&] {
      const corpus head = make_corpus(std::min<std::size_t>(o.docs, 512), o.seed, o.graded);
      return std::equal(head.sigs.begin(), head.sigs.end(), c.sigs.begin()) &&
             std::equal(head.story_of.begin(), head.story_of.end(), c.story_of.begin());
    };
    if (read_cache(cache, c, o.docs) && cache_is_current()) {
      std::fprintf(stderr, "corpus: %zu signatures read from %s\n", c.n, cache.c_str());
    } else {
      c = make_corpus(o.docs, o.seed, o.graded);
      std::fprintf(stderr, "corpus: %zu documents signed in %.1f s wall\n", c.n, wall_seconds() - t0);
      write_cache(cache, c);
    }
    t0 = wall_seconds();
    const truth t = make_truth(c);
    std::fprintf(stderr, "truth: %zu pairs at Jaccard >= %.1f (%zu / %zu / %zu / %zu by stratum) in %.1f s\n", t.pairs,
                 k_verify, t.per_stratum[0], t.per_stratum[1], t.per_stratum[2], t.per_stratum[3],
                 wall_seconds() - t0);

    // The query sample: uniform without replacement, in a fixed shuffled order so that a prefix
    // of it is a uniform sample too.
    std::vector<std::uint32_t> sample(c.n);
    std::iota(sample.begin(), sample.end(), 0u);
    rng pick(o.seed ^ 0x5A3D1Eull);
    for (std::size_t i = 0; i < o.queries; ++i)
      std::swap(sample[i], sample[i + pick.below(static_cast<std::uint32_t>(c.n - i))]);
    sample.resize(o.queries);
    std::size_t sample_mates = 0;
    for (std::uint32_t q : sample) sample_mates += t.mates[q].size();

    const retold::deduplicator_options defaults;
    const retold::lsh_params params = retold::choose_lsh_params(defaults.lsh_threshold, c.h, 0.25, 0.75);
    const std::size_t sig_bytes = c.n * c.h * sizeof(std::uint32_t);
    const double pass_budget = o.budget / o.reps;

    std::printf("## bench_binary_lsh: %zu documents, %zu queries (%zu true pairs in the sample), %d reps\n\n", c.n,
                o.queries, sample_mates, o.reps);
    std::printf("truth: %zu pairs of one story at Jaccard >= 0.2: %zu / %zu / %zu / %zu in [0.2,0.4) [0.4,0.6) "
                "[0.6,0.8) [0.8,1]\n\n",
                t.pairs, t.per_stratum[0], t.per_stratum[1], t.per_stratum[2], t.per_stratum[3]);
    std::printf("| method | configuration | queries | insert s (x lsh) | us/query (x lsh) | candidates/query | "
                "recall | J .2-.4 | J .4-.6 | J .6-.8 | J .8-1 | outside | index MiB | + signatures MiB | "
                "file MiB | save s | load s |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");

    // ---- lsh_index: the deduplicator's banding, and (lsh6) the banding for Jaccard 0.6, the
    // near-copy-only job where b-bit codes do best, so that they meet lsh_index on that job too.
    auto run_lsh = [&](const std::string& name, const retold::lsh_params& p) {
      result_row row;
      row.name = name;
      row.what = "lsh_index " + std::to_string(p.bands) + "x" + std::to_string(p.rows);
      std::vector<double> ins, qs;
      query_outcome out;
      std::size_t nq = o.queries;
      int reps = o.reps;
      for (int rep = 0; rep < reps; ++rep) {
        const std::size_t before = heap_in_use();
        const double a = thread_cpu_seconds();
        retold::lsh_index idx(defaults.minhash, p);
        for (std::size_t i = 0; i < c.n; ++i) idx.insert(i, c.sig(i));
        ins.push_back(thread_cpu_seconds() - a);
        if (rep == 0 && reps > 1 && ins[0] > o.budget) {
          // One build costs more than the whole query budget: measure it once (said in the row).
          reps = 1;
          row.what += " (1 build)";
        }
        if (rep == 0) {
          row.memory = heap_in_use() - before;
          row.memory_with_sigs = row.memory;  // lsh_index holds the signatures it verifies with
          std::fprintf(stderr, "lsh: heap %zu bytes, memory_bytes() %zu\n", row.memory, idx.memory_bytes());
        }
        query_outcome cur;
        cur.verified.resize(nq);
        const double b = thread_cpu_seconds();
        std::size_t done = 0;
        for (; done < nq; ++done) {
          const std::uint32_t q = sample[done];
          for (const auto& m : idx.query(c.sig(q), k_verify))
            if (m.key != q) cur.verified[done].push_back(static_cast<std::uint32_t>(m.key));
          if (rep == 0 && (done & 63) == 63 && thread_cpu_seconds() - b > pass_budget) {
            ++done;
            break;
          }
        }
        qs.push_back(1e6 * (thread_cpu_seconds() - b) / static_cast<double>(done));
        if (rep == 0) {
          nq = done;
          cur.verified.resize(nq);
          // Raw candidates: documents sharing a band with the query, i.e. query at threshold 0
          // (the estimate is > 0 for every candidate but a 32-bit fingerprint collision).
          for (std::size_t i = 0; i < nq; ++i)
            for (const auto& m : idx.query(c.sig(sample[i]), 0.0)) cur.candidates += m.key != sample[i];
          out = std::move(cur);
        }
        if (rep == reps - 1) {
          // Persistence as the deduplicator does it: the signature table as one checked state file;
          // loading reads it and rebuilds the index.
          const auto path = std::filesystem::path(o.work) / "signatures.rtd";
          std::vector<double> sv, lv;
          // All saves first, then the index is released, so that a load never holds two copies.
          for (int round = 0; round < reps; ++round) {
            const double s0 = wall_seconds();
            retold::detail::byte_writer w;
            w.u64(c.n);
            w.u32(c.h);
            for (std::size_t i = 0; i < c.n; ++i)
              for (std::uint32_t x : idx.values_of(i)) w.u32(x);
            retold::detail::write_state_file(path, "dedup.sigs", 1, w.buffer());
            sv.push_back(wall_seconds() - s0);
          }
          { const retold::lsh_index released = std::move(idx); }
          for (int round = 0; round < reps; ++round) {
            const double l0 = wall_seconds();
            const auto payload = retold::detail::read_state_file(path, "dedup.sigs", 1);
            retold::detail::byte_reader rd(payload, path.string());
            const std::uint64_t n = rd.u64();
            const std::uint32_t h = rd.u32();
            if (n != c.n || h != c.h) rd.fail("signature table does not match");
            retold::lsh_index loaded(defaults.minhash, p);
            loaded.reserve(n);
            std::vector<std::uint32_t> sig(h);
            for (std::uint64_t i = 0; i < n; ++i) {
              for (auto& x : sig) x = rd.u32();
              loaded.insert(i, sig);
            }
            rd.expect_end();
            lv.push_back(wall_seconds() - l0);
            if (loaded.size() != c.n) throw std::runtime_error("reloaded lsh_index lost documents");
          }
          row.file_bytes = std::filesystem::file_size(path);
          row.save_s = median(sv);
          row.load_s = median(lv);
          row.persisted = true;
          std::filesystem::remove(path);
        }
      }
      row.insert_s = median(ins);
      row.query_us = median(qs);
      row.queries = nq;
      row.cand_per_query = static_cast<double>(out.candidates) / static_cast<double>(nq);
      const scoring s = score(c, t, sample, out);
      row.recall = s.recall;
      std::copy(s.per, s.per + k_strata, row.recall_stratum);
      row.outside = s.outside;
      return row;
    };
    // Always run: every other row is given as a ratio to it.
    const result_row base = run_lsh("lsh", params);
    print_row(base, base);
    if (o.wanted("lsh6")) {
      const auto p6 = retold::choose_lsh_params(0.6, c.h, 0.25, 0.75);
      print_row(run_lsh("lsh6", p6), base);
    }

    // ---- FAISS binary indexes
    std::vector<faiss_method> methods;
    auto multi = [&](int bits, int nhash, int b, int nflip) {
      faiss_method m;
      m.name = "mh" + std::to_string(bits);
      m.bits = bits;
      m.what = "MultiHash " + std::to_string(nhash) + "x" + std::to_string(b) + " bits, nflip " + std::to_string(nflip);
      m.make = [=, d = static_cast<int>(c.h) * bits] {
        auto* idx = new faiss::IndexBinaryMultiHash(d, nhash, b);
        idx->nflip = nflip;
        return idx;
      };
      methods.push_back(std::move(m));
    };
    auto single = [&](int bits, int b, int nflip) {
      faiss_method m;
      m.name = "hash" + std::to_string(bits);
      m.bits = bits;
      m.what = "Hash " + std::to_string(b) + " bits, nflip " + std::to_string(nflip);
      m.make = [=, d = static_cast<int>(c.h) * bits] {
        auto* idx = new faiss::IndexBinaryHash(d, b);
        idx->nflip = nflip;
        return idx;
      };
      methods.push_back(std::move(m));
    };
    {
      faiss_method m;
      m.name = "mhlsh";
      m.bits = 0;
      m.what = "MultiHash " + std::to_string(params.bands) + "x32 bits over lsh_index's band fingerprints";
      m.make = [nb = static_cast<int>(params.bands)] {
        return new faiss::IndexBinaryMultiHash(32 * nb, nb, 32);
      };
      methods.push_back(std::move(m));
    }
    multi(1, 8, 16, 0);
    multi(1, 8, 16, 1);
    multi(1, 4, 32, 2);
    multi(2, 16, 16, 0);
    multi(2, 16, 16, 1);
    multi(2, 32, 8, 0);
    single(1, 16, 0);
    single(1, 16, 2);

    // Exact reference: IndexBinaryFlat range search at the Hamming radius that keeps 90% / 99% of
    // the sample's true pairs (the radius is read off the true pairs' own code distances).
    for (int bits : {1, 2}) {
      if (!o.wanted("flat" + std::to_string(bits))) continue;
      const auto codes = make_codes(c, bits);
      const std::size_t cb = c.h * static_cast<std::size_t>(bits) / 8;
      std::vector<int> dist;
      for (std::uint32_t q : sample)
        for (const auto& [d, j] : t.mates[q]) {
          int h = 0;
          for (std::size_t k = 0; k < cb; ++k)
            h += __builtin_popcount(codes[std::size_t{q} * cb + k] ^ codes[std::size_t{d} * cb + k]);
          dist.push_back(h);
        }
      std::sort(dist.begin(), dist.end());
      for (double keep : {0.90, 0.99}) {
        if (dist.empty()) break;
        const int r = dist[std::min(dist.size() - 1, static_cast<std::size_t>(keep * static_cast<double>(dist.size())))];
        faiss_method m;
        m.name = "flat" + std::to_string(bits);
        m.bits = bits;
        m.radius = r + 1;
        m.what = "Flat, Hamming < " + std::to_string(r + 1) + " (" + std::to_string(static_cast<int>(keep * 100)) +
                 "% of true pairs)";
        m.make = [d = static_cast<int>(c.h) * bits] { return new faiss::IndexBinaryFlat(d); };
        methods.push_back(std::move(m));
      }
    }

    for (const auto& m : methods) {
      if (!o.wanted(m.name)) continue;
      const retold::lsh_index shape(defaults.minhash, params);
      const auto codes = m.bits ? make_codes(c, m.bits) : band_codes(c, shape);
      const std::size_t cb = m.bits ? c.h * static_cast<std::size_t>(m.bits) / 8 : params.bands * 4;
      const auto qcodes = gather(codes, cb, sample);
      const int radius = m.radius ? m.radius : static_cast<int>(cb * 8) + 1;
      result_row row;
      row.name = m.name;
      row.what = m.what;
      std::vector<double> ins, qs;
      query_outcome out;
      std::size_t nq = o.queries;
      int reps = o.reps;
      for (int rep = 0; rep < reps; ++rep) {
        const std::size_t before = heap_in_use();
        const double a = thread_cpu_seconds();
        std::unique_ptr<faiss::IndexBinary> idx(m.make());
        idx->add(static_cast<faiss::IndexBinary::idx_t>(c.n), codes.data());
        ins.push_back(thread_cpu_seconds() - a);
        if (rep == 0 && reps > 1 && ins[0] > o.budget) {
          // One build costs more than the whole query budget: measure it once (said in the row).
          reps = 1;
          row.what += " (1 build)";
        }
        if (rep == 0) {
          row.memory = heap_in_use() - before;
          row.memory_with_sigs = row.memory + sig_bytes;
        }
        query_outcome cur;
        cur.verified.resize(nq);
        constexpr std::size_t k_batch = 64;
        const double b = thread_cpu_seconds();
        std::size_t done = 0;
        while (done < nq) {
          const std::size_t nb = std::min(k_batch, nq - done);
          faiss::RangeSearchResult res(static_cast<faiss::IndexBinary::idx_t>(nb));
          idx->range_search(static_cast<faiss::IndexBinary::idx_t>(nb), qcodes.data() + done * cb, radius, &res);
          for (std::size_t i = 0; i < nb; ++i) {
            const std::uint32_t q = sample[done + i];
            const auto qs_sig = c.sig(q);
            for (std::size_t e = res.lims[i]; e < res.lims[i + 1]; ++e) {
              const auto d = static_cast<std::uint32_t>(res.labels[e]);
              if (d == q) continue;
              ++cur.candidates;
              if (retold::estimate_jaccard(qs_sig, c.sig(d)) >= k_verify) cur.verified[done + i].push_back(d);
            }
          }
          done += nb;
          if (rep == 0 && thread_cpu_seconds() - b > pass_budget) break;
        }
        qs.push_back(1e6 * (thread_cpu_seconds() - b) / static_cast<double>(done));
        if (rep == 0) {
          nq = done;
          cur.verified.resize(nq);
          out = std::move(cur);
        }
        if (rep == reps - 1) {
          const auto path = std::filesystem::path(o.work) / (m.name + ".faissbin");
          std::vector<double> sv, lv;
          for (int round = 0; round < reps; ++round) {
            const double s0 = wall_seconds();
            faiss::write_index_binary(idx.get(), path.c_str());
            sv.push_back(wall_seconds() - s0);
          }
          idx.reset();  // a load never holds two copies
          for (int round = 0; round < reps; ++round) {
            const double l0 = wall_seconds();
            std::unique_ptr<faiss::IndexBinary> loaded(faiss::read_index_binary(path.c_str()));
            lv.push_back(wall_seconds() - l0);
            if (loaded->ntotal != static_cast<faiss::IndexBinary::idx_t>(c.n))
              throw std::runtime_error("reloaded FAISS index lost documents");
          }
          row.file_bytes = std::filesystem::file_size(path);
          row.save_s = median(sv);
          row.load_s = median(lv);
          row.persisted = true;
          std::filesystem::remove(path);
        }
      }
      row.insert_s = median(ins);
      row.query_us = median(qs);
      row.queries = nq;
      row.cand_per_query = static_cast<double>(out.candidates) / static_cast<double>(nq);
      const scoring s = score(c, t, sample, out);
      row.recall = s.recall;
      std::copy(s.per, s.per + k_strata, row.recall_stratum);
      row.outside = s.outside;
      print_row(row, base);
    }
    std::printf("\nsignatures for verification (needed beside every FAISS index): %.1f MiB in memory, "
                "%.1f MiB on disk\n",
                static_cast<double>(sig_bytes) / 1048576.0, static_cast<double>(base.file_bytes) / 1048576.0);
  } catch (const retold::error& e) {
    std::fprintf(stderr, "bench_binary_lsh: %s\n", e.what());
    return 1;
  } catch (const faiss::FaissException& e) {
    std::fprintf(stderr, "bench_binary_lsh: FAISS: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_binary_lsh: %s\n", e.what());
    return 1;
  }
  return 0;
}
