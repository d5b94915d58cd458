// bench/corpus_gen.hpp - the synthetic news corpus of the end-to-end benchmarks, shared by
// e2e_nightly_gen (which writes it as JSONL) and bench_binary_lsh (which signs it in memory), so
// both see the same documents from the same seed.
//
// Each story has its own topic words, named entities and numbers, and an original report of
// news length (about 3 KB, 350-550 words in sentences). Besides originals the corpus holds
//   - near-duplicates (about 25%): the original with a few words changed, a sentence dropped, a
//     credit line and a footer added (the agency-copy case, caught by MinHash);
//   - retellings (about 12%): the same facts with most general words replaced by synonyms,
//     sentences reordered and some dropped (the paraphrase case, caught by embeddings);
//   - graded copies (a share `graded`, 0 unless asked for; bench_binary_lsh only): an earlier
//     story with each general word replaced at a rate drawn uniformly in [0.02, 0.30].
// Copies come within two days after their original; stories span 30 days. Deterministic for a
// given seed, document count and `graded`; with graded == 0 the stream is e2e_nightly_gen's.
// Header-only (each benchmark is one executable); not thread-safe (one generator per thread).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace retold_bench {

/// splitmix64: fast, and the same stream on every platform (the corpus must not depend on the
/// standard library's distributions).
struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n).
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 32) * n >> 32); }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

namespace corpus_detail {

inline constexpr const char* syllables[] = {"ka",  "lo",  "mi",  "ser", "tan", "vo",  "re",  "di",  "nu",
                                            "pa",  "sto", "gri", "ben", "hal", "or",  "ex",  "um",  "bra",
                                            "cel", "dor", "fin", "ga",  "hu",  "ja",  "kel", "lim", "mor",
                                            "nis", "pol", "quo", "ras", "sil", "tor", "ur",  "vel", "wen"};
inline constexpr int syllable_count = sizeof(syllables) / sizeof(syllables[0]);

inline std::string make_word(rng& r, int min_syl, int max_syl) {
  const int n = min_syl + static_cast<int>(r.below(static_cast<std::uint32_t>(max_syl - min_syl + 1)));
  std::string w;
  for (int i = 0; i < n; ++i) w += syllables[r.below(syllable_count)];
  return w;
}

struct vocabulary {
  std::vector<std::string> words;     // general words, Zipf-ranked
  std::vector<std::string> synonyms;  // synonyms[i]: another word with the same role
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

// A token is a general word (index), or a story-specific string (topic word, entity, number).
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

inline story make_story(rng& r, const vocabulary& v, std::int64_t t0) {
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

inline void append_sentence(std::string& out, const sentence& sen, const vocabulary& v, rng& r, double synonym_rate,
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

}  // namespace corpus_detail

/// The outlets documents are credited to.
inline constexpr const char* news_sources[] = {"Reuters",   "AP",       "AFP",       "dpa",
                                               "CTK",       "UNN",      "Ukrinform", "RFE/RL",
                                               "UNIAN",     "Kyiv Post", "Euronews", "Daily Wire Desk",
                                               "Metro Herald", "Evening Courier"};
inline constexpr int news_source_count = sizeof(news_sources) / sizeof(news_sources[0]);

/// What a document is.
enum class doc_kind { original = 0, near_duplicate = 1, retelling = 2, graded_copy = 3 };

/// One generated document. `story` is the truth: documents of one story retell one report.
struct news_doc {
  std::string id;  ///< "s<story>-<o|n|r|g><copy number>"
  std::string source;
  std::string title;
  std::string text;
  std::int64_t timestamp = 0;  ///< Unix seconds, 2024-03-01 + up to 30 days
  std::uint64_t story = 0;
  doc_kind kind = doc_kind::original;
};

/// Generates `docs` documents one at a time (the stream is sequential: document d depends on
/// every draw before it). Owns its state; copyable.
class news_generator {
 public:
  /// `graded` in [0, 0.63]: the share of graded copies (0: e2e_nightly_gen's corpus).
  news_generator(std::uint64_t seed, std::uint64_t docs, double graded = 0.0)
      : r_(seed), v_(r_, 30000), docs_(docs), graded_(graded), ring_(ring_size), ring_id_(ring_size, 0),
        copies_(ring_size, 0) {}

  /// Fills `out` with the next document (reusing its strings' capacity).
  void next(news_doc& out) {
    using namespace corpus_detail;
    const std::uint64_t d = made_++;
    const double u = r_.unit();
    const std::int64_t now = t_begin + static_cast<std::int64_t>(static_cast<double>(span) * static_cast<double>(d) /
                                                                 static_cast<double>(docs_));
    doc_kind kind = doc_kind::original;
    if (stories_ > 0 && u < 0.25) kind = doc_kind::near_duplicate;
    else if (stories_ > 0 && u < 0.37) kind = doc_kind::retelling;
    else if (stories_ > 0 && u < 0.37 + graded_) kind = doc_kind::graded_copy;
    std::size_t slot;
    if (kind == doc_kind::original) {
      slot = stories_ % ring_size;
      ring_[slot] = make_story(r_, v_, now);
      ring_id_[slot] = stories_;
      copies_[slot] = 0;
      ++stories_;
    } else {
      const std::uint64_t back = r_.below(static_cast<std::uint32_t>(std::min<std::uint64_t>(stories_, 2000)));
      slot = (stories_ - 1 - back) % ring_size;
    }
    const story& s = ring_[slot];
    const std::uint32_t copy_no = kind != doc_kind::original ? ++copies_[slot] : 0;
    std::string& text = out.text;
    text.clear();
    out.title = s.title_words;
    switch (kind) {
      case doc_kind::original:
        for (const auto& sen : s.sentences) append_sentence(text, sen, v_, r_, 0.0, 0.0);
        break;
      case doc_kind::near_duplicate: {
        text.push_back('(');  // piece by piece: GCC 12 warns falsely (-Wrestrict) on "(" + ...
        text += news_sources[r_.below(news_source_count)];
        text += ") - ";
        const std::size_t drop = r_.below(static_cast<std::uint32_t>(s.sentences.size()));
        for (std::size_t i = 0; i < s.sentences.size(); ++i)
          if (i != drop) append_sentence(text, s.sentences[i], v_, r_, 0.0, 0.02);
        text += "\n\nSubscribe to our channel for more news. Copyright ";
        text += news_sources[r_.below(news_source_count)];
        text += ".";
        break;
      }
      case doc_kind::retelling: {
        std::vector<std::size_t> order(s.sentences.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        for (std::size_t i = order.size(); i > 1; --i)
          std::swap(order[i - 1], order[r_.below(static_cast<std::uint32_t>(i))]);
        for (std::size_t i : order) {
          if (r_.unit() < 0.25) continue;
          append_sentence(text, s.sentences[i], v_, r_, 0.6, 0.1);
        }
        out.title = "Report: " + out.title;
        break;
      }
      case doc_kind::graded_copy: {
        const double rate = 0.02 + 0.28 * r_.unit();
        for (const auto& sen : s.sentences) append_sentence(text, sen, v_, r_, 0.0, rate);
        break;
      }
    }
    out.timestamp = kind != doc_kind::original
                        ? std::max(now, s.time + static_cast<std::int64_t>(r_.below(2 * 86400)))
                        : now;
    static constexpr const char* kind_letter[] = {"o", "n", "r", "g"};
    // Piece by piece, like the credit line above.
    out.id.clear();
    out.id.push_back('s');
    out.id += std::to_string(ring_id_[slot]);
    out.id.push_back('-');
    out.id += kind_letter[static_cast<int>(kind)];
    out.id += std::to_string(copy_no);
    out.source = news_sources[r_.below(news_source_count)];
    out.story = ring_id_[slot];
    out.kind = kind;
  }

 private:
  static constexpr std::int64_t t_begin = 1709251200;  // 2024-03-01T00:00:00Z
  static constexpr std::int64_t span = 30 * 86400;
  // Stories are kept in a small ring so copies of a story follow it within a few thousand
  // documents (and two days), as in a real news day.
  static constexpr std::size_t ring_size = 4096;

  rng r_;
  corpus_detail::vocabulary v_;
  std::uint64_t docs_;
  double graded_;
  std::vector<corpus_detail::story> ring_;
  std::vector<std::uint64_t> ring_id_;
  std::vector<std::uint32_t> copies_;
  std::uint64_t stories_ = 0;
  std::uint64_t made_ = 0;
};

}  // namespace retold_bench
