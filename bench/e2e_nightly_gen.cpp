// bench/e2e_nightly_gen.cpp - writes a synthetic news corpus for the end-to-end nightly benchmark.
//
//   e2e_nightly_gen --docs 1000000 --out corpus.jsonl [--truth truth.tsv] [--seed 1]
//
// Each story has its own topic words, named entities and numbers, and an original report of
// news length (about 3 KB, 350-550 words in sentences). Besides originals the corpus holds
//   - near-duplicates (about 25%): the original with a few words changed, a sentence dropped, a
//     credit line and a footer added (the agency-copy case, caught by MinHash);
//   - retellings (about 12%): the same facts with most general words replaced by synonyms,
//     sentences reordered and some dropped (the paraphrase case, caught by embeddings).
// Copies come within two days after their original; stories span 30 days. Deterministic for a
// given seed. The truth file lists "id<TAB>story" so recall can be checked.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

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

const char* const kSyllables[] = {"ka", "lo", "mi", "ser", "tan", "vo", "re", "di", "nu", "pa", "sto", "gri",
                                  "ben", "hal", "or", "ex", "um", "bra", "cel", "dor", "fin", "ga", "hu", "ja",
                                  "kel", "lim", "mor", "nis", "pol", "quo", "ras", "sil", "tor", "ur", "vel", "wen"};
constexpr int kSyl = sizeof(kSyllables) / sizeof(kSyllables[0]);

std::string make_word(rng& r, int min_syl, int max_syl) {
  const int n = min_syl + static_cast<int>(r.below(static_cast<std::uint32_t>(max_syl - min_syl + 1)));
  std::string w;
  for (int i = 0; i < n; ++i) w += kSyllables[r.below(kSyl)];
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

const char* const kSources[] = {"Reuters", "AP", "AFP", "dpa", "CTK", "UNN", "Ukrinform", "RFE/RL", "UNIAN",
                                "Kyiv Post", "Euronews", "Daily Wire Desk", "Metro Herald", "Evening Courier"};
constexpr int kSourceCount = sizeof(kSources) / sizeof(kSources[0]);

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
  rng r(seed);
  const vocabulary v(r, 30000);
  const std::int64_t t_begin = 1709251200;  // 2024-03-01T00:00:00Z
  const std::int64_t span = 30 * 86400;

  // Stories are kept in a small ring so copies of a story follow it within a few thousand
  // documents (and two days), as in a real news day.
  constexpr std::size_t kRing = 4096;
  std::vector<story> ring(kRing);
  std::vector<std::uint64_t> ring_id(kRing, 0);
  std::vector<std::uint32_t> copies(kRing, 0);
  std::uint64_t stories = 0;
  std::string line, text, truth_line;
  line.reserve(1 << 14);
  std::uint64_t n_orig = 0, n_near = 0, n_retell = 0, bytes = 0;

  for (std::uint64_t d = 0; d < docs; ++d) {
    const double u = r.unit();
    const std::int64_t now = t_begin + static_cast<std::int64_t>(static_cast<double>(span) * static_cast<double>(d) /
                                                                   static_cast<double>(docs));
    int kind = 0;  // 0 original, 1 near-duplicate, 2 retelling
    if (stories > 0 && u < 0.25) kind = 1;
    else if (stories > 0 && u < 0.37) kind = 2;
    std::size_t slot;
    if (kind == 0) {
      slot = stories % kRing;
      ring[slot] = make_story(r, v, now);
      ring_id[slot] = stories;
      copies[slot] = 0;
      ++stories;
    } else {
      const std::uint64_t back = r.below(static_cast<std::uint32_t>(std::min<std::uint64_t>(stories, 2000)));
      slot = (stories - 1 - back) % kRing;
    }
    const story& s = ring[slot];
    const std::uint32_t copy_no = kind ? ++copies[slot] : 0;
    text.clear();
    std::string title = s.title_words;
    if (kind == 0) {
      for (const auto& sen : s.sentences) append_sentence(text, sen, v, r, 0.0, 0.0);
      ++n_orig;
    } else if (kind == 1) {
      text += "(" + std::string(kSources[r.below(kSourceCount)]) + ") - ";
      const std::size_t drop = r.below(static_cast<std::uint32_t>(s.sentences.size()));
      for (std::size_t i = 0; i < s.sentences.size(); ++i)
        if (i != drop) append_sentence(text, s.sentences[i], v, r, 0.0, 0.02);
      text += "\n\nSubscribe to our channel for more news. Copyright " + std::string(kSources[r.below(kSourceCount)]) + ".";
      ++n_near;
    } else {
      std::vector<std::size_t> order(s.sentences.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[r.below(static_cast<std::uint32_t>(i))]);
      for (std::size_t i : order) {
        if (r.unit() < 0.25) continue;
        append_sentence(text, s.sentences[i], v, r, 0.6, 0.1);
      }
      title = "Report: " + title;
      ++n_retell;
    }
    const std::int64_t ts = kind ? std::max(now, s.time + static_cast<std::int64_t>(r.below(2 * 86400))) : now;
    const char* kinds[] = {"o", "n", "r"};
    const std::string id = "s" + std::to_string(ring_id[slot]) + "-" + kinds[kind] + std::to_string(copy_no);
    line.clear();
    line += "{\"id\":\"" + id + "\",\"source\":\"" + kSources[r.below(kSourceCount)] + "\",\"timestamp\":\"" + iso(ts) +
            "\",\"title\":\"";
    json_escape_append(line, title);
    line += "\",\"text\":\"";
    json_escape_append(line, text);
    line += "\"}\n";
    bytes += line.size();
    std::fwrite(line.data(), 1, line.size(), out);
    if (truth) std::fprintf(truth, "%s\t%llu\n", id.c_str(), static_cast<unsigned long long>(ring_id[slot]));
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
