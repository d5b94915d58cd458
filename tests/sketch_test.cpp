// The evidence sketch (sketch.hpp), the pair evidence and the match model (verify.hpp).
#include <retold/error.hpp>
#include <retold/sketch.hpp>
#include <retold/text.hpp>
#include <retold/verify.hpp>

#include "features/detail/distinct.hpp"
#include "features/detail/hash_mix.hpp"

#include <gtest/gtest.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

// The sketch as it was made before the selection and scanning fast paths (commit a92d95d,
// src/features/sketch.cpp), kept verbatim as the reference the library must agree with.
namespace reference {

std::uint32_t sketch_word_hash(std::string_view w, std::uint64_t seed) noexcept {
  return static_cast<std::uint32_t>(XXH3_64bits_withSeed(w.data(), w.size(), seed) >> 32);
}

constexpr std::uint64_t number_seed = 0x6e756d6265727321ULL;
constexpr std::uint64_t bigram_mix = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t trigram_mix = 0xC2B2AE3D27D4EB4FULL;

// Sorts `v` and drops repeated values; returns how many distinct values there are.
std::size_t sort_unique(std::vector<std::uint32_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v.size();
}

// Leaves in `v` its `k` smallest distinct values, sorted (all of them when it has fewer). Selects
// before sorting: a news text has hundreds of bigrams and trigrams and keeps 64, so sorting only
// the smallest few (widening the window when repeats fill it) costs a fraction of a full sort.
void bottom_k_distinct(std::vector<std::uint32_t>& v, std::size_t k) {
  if (k == 0) {
    v.clear();
    return;
  }
  for (std::size_t m = 2 * k; m < v.size(); m *= 2) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m - 1), v.end());
    // The first m elements are the m smallest (as a multiset); when they hold k distinct values,
    // those are the k smallest distinct values of all of v.
    std::sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m));
    const auto end = std::unique(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m));
    if (static_cast<std::size_t>(end - v.begin()) >= k) {
      v.resize(k);
      return;
    }
  }
  sort_unique(v);
  if (v.size() > k) v.resize(k);
}

// The ASCII digit of a decimal digit code point of the common scripts, or -1.
int digit_value(utf8proc_int32_t cp) noexcept {
  if (cp >= '0' && cp <= '9') return cp - '0';
  static constexpr utf8proc_int32_t zeros[] = {0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66,
                                               0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040,
                                               0xFF10};
  for (auto z : zeros)
    if (cp >= z && cp <= z + 9) return cp - z;
  return -1;
}

enum class cp_class { other, upper, lower, caseless, mark, digit };

cp_class classify(utf8proc_int32_t cp) noexcept {
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') return cp_class::upper;
    if (cp >= 'a' && cp <= 'z') return cp_class::lower;
    if (cp >= '0' && cp <= '9') return cp_class::digit;
    return cp_class::other;
  }
  if (digit_value(cp) >= 0) return cp_class::digit;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT: return cp_class::upper;
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LM: return cp_class::lower;
    case UTF8PROC_CATEGORY_LO: return cp_class::caseless;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF: return cp_class::mark;  // inside a word (Urdu ZWNJ, combining marks)
    default: return cp_class::other;
  }
}

// Numbers and name candidates of the raw text.
void scan_raw(std::string_view raw, std::uint64_t seed, std::vector<std::uint32_t>& numbers,
              std::vector<std::uint32_t>& names) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(raw.data());
  const auto n = static_cast<utf8proc_ssize_t>(raw.size());
  utf8proc_ssize_t i = 0;
  std::string digits;       // the number being read
  bool after_digit = false; // last code point was a digit (a separator may follow)
  char pending_sep = 0;     // '.' or ',' right after a digit
  std::size_t word_begin = 0;
  bool in_word = false;
  bool word_is_name = false;
  std::string folded;
  auto end_number = [&] {
    if (!digits.empty()) {
      numbers.push_back(static_cast<std::uint32_t>(XXH3_64bits_withSeed(digits.data(), digits.size(), number_seed) >> 32));
      digits.clear();
    }
    after_digit = false;
    pending_sep = 0;
  };
  auto end_word = [&](std::size_t end) {
    if (in_word && word_is_name) {
      const std::string_view w = raw.substr(word_begin, end - word_begin);
      bool ascii = true;
      for (char ch : w) ascii &= static_cast<unsigned char>(ch) < 0x80;
      if (ascii) {  // ASCII letters only (the scanner split at everything else): normalize() lower-cases
        folded.assign(w);
        for (char& ch : folded) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      } else {
        try {
          folded = retold::normalize(w);
        } catch (const retold::error&) {
          folded.clear();
        }
      }
      // normalize() may split a word (it folds what the scanner kept); each piece is a name.
      std::size_t b = 0;
      while (b < folded.size()) {
        std::size_t e = folded.find(' ', b);
        if (e == std::string::npos) e = folded.size();
        if (e > b) names.push_back(sketch_word_hash(std::string_view(folded).substr(b, e - b), seed));
        b = e + 1;
      }
    }
    in_word = false;
    word_is_name = false;
  };
  while (i < n) {
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t len = 1;
    if (p[i] < 0x80) {
      cp = p[i];
    } else {
      len = utf8proc_iterate(p + i, n - i, &cp);
      if (len <= 0) {  // invalid byte: a separator
        end_number();
        end_word(static_cast<std::size_t>(i));
        i += 1;
        continue;
      }
    }
    const cp_class c = classify(cp);
    if (c == cp_class::digit) {
      end_word(static_cast<std::size_t>(i));
      pending_sep = 0;
      digits.push_back(static_cast<char>('0' + digit_value(cp)));
      after_digit = true;
    } else if ((cp == '.' || cp == ',') && after_digit && pending_sep == 0) {
      pending_sep = static_cast<char>(cp);  // kept only when a digit follows
      after_digit = false;
    } else {
      end_number();
      if (c == cp_class::upper || c == cp_class::lower || c == cp_class::caseless || (c == cp_class::mark && in_word)) {
        if (!in_word) {
          in_word = true;
          word_begin = static_cast<std::size_t>(i);
          word_is_name = c == cp_class::upper || c == cp_class::caseless;
        }
      } else {
        end_word(static_cast<std::size_t>(i));
      }
    }
    i += len;
  }
  end_number();
  end_word(raw.size());
}

template <class F>
void for_each_token(std::string_view normalized, F&& f) {
  std::size_t b = 0;
  while (b < normalized.size()) {
    std::size_t e = normalized.find(' ', b);
    if (e == std::string_view::npos) e = normalized.size();
    if (e > b) f(normalized.substr(b, e - b));
    b = e + 1;
  }
}

retold::doc_sketch make_sketch(std::string_view raw_text, std::string_view normalized, std::string_view title,
                       std::uint32_t shingle_count, const retold::sketch_options& opts) {
  retold::doc_sketch s;
  s.shingles = shingle_count;
  std::vector<std::uint32_t> words, bigrams, numbers, names, title_words, trigrams;
  std::uint32_t prev = 0, prev2 = 0;
  std::size_t seen = 0;
  for_each_token(normalized, [&](std::string_view tok) {
    const std::uint32_t h = sketch_word_hash(tok, opts.seed);
    words.push_back(h);
    if (seen >= 1)
      bigrams.push_back(static_cast<std::uint32_t>(
          retold::detail::fmix64((std::uint64_t{prev} << 32 | h) ^ (opts.seed * bigram_mix)) >> 32));
    if (seen >= 2)
      trigrams.push_back(static_cast<std::uint32_t>(
          retold::detail::fmix64(retold::detail::fmix64((std::uint64_t{prev2} << 32 | prev) ^ (opts.seed * trigram_mix)) ^ h) >> 32));
    prev2 = prev;
    prev = h;
    ++seen;
  });
  s.words = static_cast<std::uint32_t>(sort_unique(words));  // the count, and the part sorted
  scan_raw(raw_text, opts.seed, numbers, names);
  if (!title.empty()) {
    std::string t;
    try {
      t = retold::normalize(title, retold::normalize_options{.replace_invalid_utf8 = true});
    } catch (const retold::error&) {
      t.clear();
    }
    for_each_token(t, [&](std::string_view tok) { title_words.push_back(sketch_word_hash(tok, opts.seed)); });
  }
  std::vector<std::uint32_t>* parts[retold::sketch_parts] = {&words, &bigrams, &numbers, &names, &title_words, &trigrams};
  const std::uint32_t caps[retold::sketch_parts] = {opts.words,  opts.bigrams,     opts.numbers,
                                            opts.names,  opts.title_words, opts.trigrams};
  std::size_t total = 0;
  for (std::size_t k = 0; k < retold::sketch_parts; ++k) {  // each part: its caps[k] smallest distinct values
    if (parts[k] != &words) bottom_k_distinct(*parts[k], caps[k]);
    if (parts[k]->size() > caps[k]) parts[k]->resize(caps[k]);
    total += parts[k]->size();
  }
  s.values.reserve(total);
  for (std::size_t k = 0; k < retold::sketch_parts; ++k) {
    s.counts[k] = static_cast<std::uint8_t>(parts[k]->size());
    s.values.insert(s.values.end(), parts[k]->begin(), parts[k]->end());
  }
  return s;
}

}  // namespace reference


using retold::doc_sketch;
using retold::make_sketch;
using retold::match_feature;
using retold::sketch_part;

doc_sketch sketch_of(const std::string& raw, const std::string& title = "") {
  const std::string n = retold::normalize(raw);
  return make_sketch(raw, n, title, 100);
}

bool has(std::span<const std::uint32_t> part, std::uint32_t h) { return std::binary_search(part.begin(), part.end(), h); }

TEST(Sketch, PartsAreSortedUniqueAndCapped) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "word" + std::to_string(i) + " ";
  const auto s = sketch_of(text);
  const retold::sketch_options o;
  EXPECT_EQ(s.part(sketch_part::words).size(), o.words);
  EXPECT_EQ(s.part(sketch_part::bigrams).size(), o.bigrams);
  EXPECT_EQ(s.part(sketch_part::trigrams).size(), o.trigrams);
  EXPECT_EQ(s.words, 500u);
  for (std::size_t p = 0; p < retold::sketch_parts; ++p) {
    const auto v = s.part(static_cast<sketch_part>(p));
    EXPECT_TRUE(std::adjacent_find(v.begin(), v.end(), [](auto a, auto b) { return a >= b; }) == v.end()) << p;
  }
}

TEST(Sketch, NumbersAgreeAcrossSeparatorsAndScripts) {
  const auto a = sketch_of("The fund paid 1,000 euros, up 3.2 percent.");
  const auto b = sketch_of("The fund paid 1000 euros, up 3.2 percent.");
  const auto c = sketch_of("\xD8\xA7\xD9\x84\xD8\xB5\xD9\x86\xD8\xAF\xD9\x88\xD9\x82 \xD8\xAF\xD9\x81\xD8\xB9 \xD9\xA1\xD9\xA0\xD9\xA0\xD9\xA0");  // Arabic-Indic 1000
  const auto na = a.part(sketch_part::numbers), nb = b.part(sketch_part::numbers), nc = c.part(sketch_part::numbers);
  ASSERT_EQ(na.size(), 2u);
  EXPECT_TRUE(std::equal(na.begin(), na.end(), nb.begin(), nb.end()));
  ASSERT_EQ(nc.size(), 1u);
  EXPECT_TRUE(has(na, nc[0]));  // 1000 in Eastern Arabic digits is 1000
}

TEST(Sketch, NamesAreCapitalisedOrCaselessWordsFoldedLikeTheText) {
  const retold::sketch_options o;
  const auto s = sketch_of("Officials in Kyiv met NATO envoys; the minister of \xC3\x9C" "berlingen said so.");
  const auto names = s.part(sketch_part::names);
  for (const char* w : {"officials", "kyiv", "nato", "\xC3\xBC" "berlingen"})
    EXPECT_TRUE(has(names, retold::sketch_word_hash(w, o.seed))) << w;
  for (const char* w : {"in", "met", "envoys", "minister"}) EXPECT_FALSE(has(names, retold::sketch_word_hash(w, o.seed))) << w;
  // A caseless script: every word is a name candidate.
  const auto u = sketch_of("\xD9\x88\xD8\xB2\xDB\x8C\xD8\xB1\xD8\xA7\xD8\xB9\xD8\xB8\xD9\x85 \xD9\x86\xDB\x92");
  EXPECT_EQ(u.part(sketch_part::names).size(), 2u);
}

TEST(Sketch, SerializeParseRoundTripAndRefusals) {
  const retold::sketch_options o;
  const auto s = sketch_of("Kyiv said 25 drones were shot down overnight, officials said.", "Drones shot down");
  std::vector<std::uint8_t> bytes;
  retold::serialize_sketch(s, bytes);
  std::size_t pos = 0;
  EXPECT_EQ(retold::parse_sketch(bytes, pos, o), s);
  EXPECT_EQ(pos, bytes.size());
  auto truncated = bytes;
  truncated.pop_back();
  pos = 0;
  EXPECT_THROW(retold::parse_sketch(truncated, pos, o), retold::error);
  retold::sketch_options small = o;
  small.words = 2;
  pos = 0;
  EXPECT_THROW(retold::parse_sketch(bytes, pos, small), retold::error);  // more words than allowed
  auto unsorted = bytes;
  if (s.counts[0] >= 2) {
    std::swap_ranges(unsorted.begin() + 14, unsorted.begin() + 18, unsorted.begin() + 18);
    pos = 0;
    EXPECT_THROW(retold::parse_sketch(unsorted, pos, o), retold::error);
  }
}

TEST(Evidence, IdenticalAndDisjointTexts) {
  const std::string t = "The central bank of Examplestan raised its key rate to 4.5 percent on Tuesday, citing inflation.";
  const auto a = sketch_of(t, "Examplestan raises rates");
  const auto other = sketch_of("Bayern beat Lazio three nil in Munich on a cold night in the Champions League.");
  const retold::cosine_calibration cal;
  const retold::sketch_options o;
  const auto same = retold::compute_evidence(a, a, o, 1.0, 1.0, true, cal, nullptr);
  EXPECT_DOUBLE_EQ(same[match_feature::containment], 1.0);
  EXPECT_DOUBLE_EQ(same[match_feature::word_overlap], 1.0);
  EXPECT_DOUBLE_EQ(same[match_feature::word_containment], 1.0);
  EXPECT_DOUBLE_EQ(same[match_feature::trigram_containment], 1.0);
  EXPECT_DOUBLE_EQ(same[match_feature::numbers_agree], 1.0);
  EXPECT_DOUBLE_EQ(same[match_feature::title_overlap], 1.0);
  EXPECT_DOUBLE_EQ(same[match_feature::length_ratio], 0.0);
  const auto apart = retold::compute_evidence(a, other, o, 0.0, 0.05, true, cal, nullptr);
  EXPECT_LT(apart[match_feature::word_overlap], 0.15);
  EXPECT_DOUBLE_EQ(apart[match_feature::trigram_containment], 0.0);
  EXPECT_DOUBLE_EQ(apart[match_feature::title_overlap], 0.0);  // one has no title
  const auto& m = retold::match_model::builtin();
  EXPECT_GT(m.probability(same), m.threshold);
  EXPECT_LT(m.probability(apart), m.threshold);
}

TEST(Evidence, TrimmedCopyIsContained) {
  std::string full, half;
  for (int i = 0; i < 200; ++i) {
    const std::string w = "term" + std::to_string(i * 7919 % 1000) + " ";
    full += w;
    if (i < 100) half += w;
  }
  const auto a = sketch_of(full), b = sketch_of(half);
  const auto e = retold::compute_evidence(a, b, {}, 0.5, 0.8, true, {}, nullptr);
  EXPECT_GT(e[match_feature::word_containment], 0.9);
  EXPECT_GT(e[match_feature::bigram_containment], 0.9);
  EXPECT_LT(e[match_feature::word_overlap], 0.7);
  // The newer_* features read `a` as the newer text: the full text after its half brings new
  // material (about half of it found in the older), the half after the full text is all old.
  EXPECT_LT(e[match_feature::newer_word_containment], 0.7);
  EXPECT_LT(e[match_feature::newer_bigram_containment], 0.7);
  EXPECT_LT(e[match_feature::newer_trigram_containment], 0.7);
  const auto trimmed_later = retold::compute_evidence(b, a, {}, 0.5, 0.8, true, {}, nullptr);
  EXPECT_GT(trimmed_later[match_feature::newer_word_containment], 0.9);
  EXPECT_GT(trimmed_later[match_feature::newer_bigram_containment], 0.9);
  EXPECT_GT(trimmed_later[match_feature::newer_trigram_containment], 0.9);
  // Every other feature is the same in either order.
  for (std::size_t f = 0; f < retold::match_feature_count; ++f) {
    const auto feature = static_cast<match_feature>(f);
    if (feature == match_feature::newer_word_containment || feature == match_feature::newer_bigram_containment ||
        feature == match_feature::newer_trigram_containment)
      continue;
    EXPECT_EQ(e.values[f], trimmed_later.values[f]) << retold::match_feature_name(feature);
  }
}

TEST(MatchModel, MoreAgreementNeverLowersTheProbability) {
  const auto& m = retold::match_model::builtin();
  ASSERT_FALSE(m.roots.empty());
  const match_feature agree[] = {match_feature::jaccard,          match_feature::containment,
                                 match_feature::cosine,           match_feature::cosine_z,
                                 match_feature::word_overlap,     match_feature::word_containment,
                                 match_feature::bigram_containment, match_feature::numbers_agree,
                                 match_feature::names_agree,      match_feature::title_overlap,
                                 match_feature::trigram_containment, match_feature::newer_word_containment,
                                 match_feature::newer_bigram_containment, match_feature::newer_trigram_containment};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 2000; ++trial) {
    retold::pair_evidence e;
    for (auto& v : e.values) v = u(rng);
    e.values[static_cast<std::size_t>(match_feature::cosine_z)] = 12 * u(rng);
    e.values[static_cast<std::size_t>(match_feature::length_ratio)] = -2 * u(rng);
    e.values[static_cast<std::size_t>(match_feature::numbers_differ)] = u(rng) < 0.5 ? 0.0 : 1.0;
    const double p = m.probability(e);
    for (auto f : agree) {
      auto more = e;
      auto& v = more.values[static_cast<std::size_t>(f)];
      v += (f == match_feature::cosine_z ? 3.0 : 0.2);
      EXPECT_GE(m.probability(more), p - 1e-12) << retold::match_feature_name(f) << " trial " << trial;
    }
    // The contributions explain the log-odds.
    double sum = 0;
    for (const auto& c : m.contributions(e)) sum += c.contribution;
    double bias = m.base;
    for (auto r : m.roots) bias += m.learning_rate * m.nodes[r].value;
    EXPECT_NEAR(bias + sum, std::log(p / (1 - p)), 1e-9);
  }
}

TEST(MatchModel, BuiltinLayoutGivesTheGenericWalksProbabilityBitForBit) {
  // builtin() is evaluated from a complete-tree layout; a copy of it (any other model) takes the
  // generic walk. Both must give the same double, including at split thresholds and for NaN.
  const auto& m = retold::match_model::builtin();
  const retold::match_model copy = m;
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(-0.5, 1.5);
  std::vector<double> thresholds;
  for (const auto& n : m.nodes)
    if (n.feature >= 0) thresholds.push_back(n.threshold);
  ASSERT_FALSE(thresholds.empty());
  for (int trial = 0; trial < 20000; ++trial) {
    retold::pair_evidence e;
    for (auto& v : e.values) {
      const double r = u(rng);
      if (r < 0.0) v = thresholds[rng() % thresholds.size()];  // exactly on a split
      else v = 12 * r - 2;
    }
    if (trial % 97 == 0) e.values[rng() % e.values.size()] = std::nan("");
    const double a = m.probability(e), b = copy.probability(e);
    ASSERT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "trial " << trial << ": " << a << " vs " << b;
  }
  // A malformed model (a child index out of range) still evaluates through the generic walk.
  retold::match_model bad = m;
  for (auto& n : bad.nodes)
    if (n.feature >= 0) n.left = static_cast<std::uint32_t>(bad.nodes.size() + 5);
  retold::pair_evidence zero;
  const double p = bad.probability(zero);
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 1.0);
}


// ---- the library's sketch against the reference

// Random raw text over what the scanner and the selection react to: words of several scripts in
// every case, capitals, caseless scripts, combining marks and format characters, decimal digits of
// several scripts with '.' and ',' between them, punctuation, NBSP, invalid bytes, words longer
// than 64 bytes, and repeated runs (so that repeats fill the selection threshold).
std::string random_text(std::mt19937_64& rng, std::size_t pieces) {
  static const char* const parts[] = {
      "the", "minister", "said", "Kyiv", "NATO", "Officials", "iPhone", "McDonald", "a", "I", "x",
      "\xD0\x9A\xD0\xB8\xD1\x97\xD0\xB2",                    // Київ
      "\xD0\xBC\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x81\xD1\x82\xD1\x80",  // министр
      "\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1",              // Αθήνα
      "\xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xBF\xCF\x82",        // κόσμος
      "\xD8\xA7\xD9\x84\xD8\xB5\xD9\x86\xD8\xAF\xD9\x88\xD9\x82",  // Arabic
      "\xD9\x88\xD8\xB2\xDB\x8C\xD8\xB1\xE2\x80\x8C\xD8\xA7\xD8\xB9\xD8\xB8\xD9\x85",  // Urdu with ZWNJ
      "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D",                    // Hebrew
      "\xE0\xA4\xA8\xE0\xA4\xAF\xE0\xA5\x80",                // Devanagari with a vowel sign
      "\xE4\xB8\xAD\xE5\x9B\xBD",                            // CJK
      "\xC3\x9C" "berlingen", "stra\xC3\x9F" "e", "\xC4\xB0stanbul", "\xEF\xAC\x81" "nance",  // Ü, ß, İ, ﬁ
      "e\xCC\x81t\xC3\xA9", "\xCC\x81",                          // combining acute inside and alone
      "\xC2\xAD", "\xE2\x80\x8B",                               // soft hyphen, zero-width space
      "1,000", "1000", "3.2", "2024", "1,,2", "5.", ".5", "7,5,3", "12.30.4",
      "\xD9\xA1\xD9\xA0\xD9\xA0", "\xDB\xB2\xDB\xB3", "\xE0\xA5\xA8\xE0\xA5\xA6", "\xEF\xBC\x91",  // Arabic-Indic, Persian, Devanagari, fullwidth digits
      "abc1Def", "A1", "x9.9y", ",", ".", ";", "(", ")", "-", "'", "\"", "\xC2\xA0", "\xE2\x80\x94",
      "\xFF", "\xC3", "\xE2\x82", "\xED\xA0\x80", "\xF0\x9F\x98\x80",         // invalid bytes, a surrogate, an emoji
      "Supercalifragilisticexpialidociousandthensomemorelettersuntilitislongerthansixtyfour",
      "\n", "\n\n", "\t"};
  constexpr std::size_t n_parts = sizeof parts / sizeof parts[0];
  std::string out;
  std::vector<std::string> recent;
  for (std::size_t i = 0; i < pieces; ++i) {
    if (!recent.empty() && rng() % 40 == 0) {  // repeat a recent stretch
      out += recent[rng() % recent.size()];
      continue;
    }
    std::string piece = parts[rng() % n_parts];
    if (rng() % 5 == 0) piece += std::to_string(rng() % 1000);  // a word made distinct
    if (rng() % 7 == 0) piece = "w" + std::to_string(rng() % 50000);
    out += piece;
    if (rng() % 3 != 0) out += ' ';
    if (rng() % 10 == 0) recent.push_back(out.substr(out.size() - std::min<std::size_t>(out.size(), 60)));
  }
  return out;
}

void expect_same_sketch(const std::string& raw, const std::string& title, const retold::sketch_options& o,
                        const std::string& what) {
  const retold::normalize_options nopts{.replace_invalid_utf8 = true};
  const std::string norm = retold::normalize(raw, nopts);
  const std::uint32_t shingles = static_cast<std::uint32_t>(raw.size() % 1000);
  const retold::doc_sketch want = reference::make_sketch(raw, norm, title, shingles, o);
  const retold::doc_sketch got = make_sketch(raw, norm, title, shingles, o);
  ASSERT_EQ(got, want) << what;
  ASSERT_EQ(got.memory_bytes(), want.memory_bytes()) << what;
}

TEST(SketchReference, RandomTextsGiveTheReferenceSketch) {
  std::mt19937_64 rng(2026);
  retold::sketch_options small;
  small.words = 1;
  small.bigrams = 2;
  small.numbers = 0;
  small.names = 3;
  small.title_words = 1;
  small.trigrams = 5;
  retold::sketch_options big;
  big.words = big.bigrams = big.numbers = big.names = big.title_words = big.trigrams = 255;
  retold::sketch_options other_seed;
  other_seed.seed = 12345;
  const retold::sketch_options configs[] = {{}, small, big, other_seed};
  for (int trial = 0; trial < 3000; ++trial) {
    const std::size_t pieces = trial % 50 == 0 ? 4000 : static_cast<std::size_t>(rng() % (trial % 3 == 0 ? 900 : 60));
    const std::string raw = random_text(rng, pieces);
    const std::string title = trial % 4 == 0 ? std::string() : random_text(rng, rng() % 12);
    expect_same_sketch(raw, title, configs[trial % 4], "trial " + std::to_string(trial));
  }
}

TEST(SketchReference, RepeatedTextGrowsTheThresholdAndStaysExact) {
  // A few distinct bigrams repeated many times: the first selection pass finds fewer than k
  // distinct values below its threshold and has to widen it.
  for (const std::size_t distinct : {1u, 3u, 20u, 63u, 64u, 65u, 100u, 300u}) {
    std::string raw;
    for (int rep = 0; rep < 40; ++rep)
      for (std::size_t w = 0; w < distinct; ++w) raw += "Term" + std::to_string(w) + " " + std::to_string(w % 7) + ".5 ";
    expect_same_sketch(raw, "Repeated title", {}, "distinct " + std::to_string(distinct));
  }
  expect_same_sketch("", "", {}, "empty");
  expect_same_sketch("one", "", {}, "one word");
  expect_same_sketch("one two", "two", {}, "two words");
  expect_same_sketch("... , ;", "", {}, "no words");
  expect_same_sketch(std::string(5000, 'a'), "", {}, "one long word");
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SketchReference, SeedTextsGiveTheReferenceSketch) {
  const std::filesystem::path dir(RETOLD_SEEDS_DIR);
  if (!std::filesystem::exists(dir / "corpus.jsonl")) GTEST_SKIP() << "seeds not found at " << dir;
  std::ifstream in(dir / "corpus.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) expect_same_sketch(line, line.substr(0, 80), {}, "seed line " + std::to_string(++n));
  EXPECT_GT(n, 0);
  if (std::filesystem::exists(dir / "unn_seed.txt")) expect_same_sketch(read_file(dir / "unn_seed.txt"), "", {}, "unn_seed.txt");
}

TEST(SketchReference, WordHashIsXxh3TopHalf) {
  for (const char* w : {"", "a", "kyiv", "\xD0\xBA\xD0\xB8\xD1\x97\xD0\xB2", "a-much-longer-token-than-sixteen-bytes"})
    EXPECT_EQ(retold::sketch_word_hash(w, 77), static_cast<std::uint32_t>(XXH3_64bits_withSeed(w, std::strlen(w), 77) >> 32)) << w;
}

TEST(DistinctSet, CountsExactlyAndGivesUpOnCollisions) {
  retold::detail::distinct_set<std::uint32_t> set;
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<std::uint32_t> v(rng() % 3000);
    const std::uint32_t range = trial % 2 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(1 + rng() % 500);
    for (auto& x : v) x = static_cast<std::uint32_t>(rng() % range) * (trial % 2 ? 1u : 8388617u);
    if (!v.empty() && trial % 3 == 0) v[rng() % v.size()] = 0;  // 0 is a value like any other
    std::vector<std::uint32_t> got;
    ASSERT_TRUE(set.for_each_new(v.data(), v.size(), [&](std::uint32_t x) { got.push_back(x); })) << trial;
    std::vector<std::uint32_t> want = v;
    std::sort(want.begin(), want.end());
    want.erase(std::unique(want.begin(), want.end()), want.end());
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << trial;
  }
  // Values that all share their top bits probe ever longer: the set gives up, bounded.
  std::vector<std::uint32_t> crafted(20000);
  for (std::size_t i = 0; i < crafted.size(); ++i) crafted[i] = static_cast<std::uint32_t>(i + 1);
  std::size_t seen = 0;
  EXPECT_FALSE(set.for_each_new(crafted.data(), crafted.size(), [&](std::uint32_t) { ++seen; }));
  EXPECT_LT(seen, crafted.size());
  // And the next call starts from an empty set again.
  const std::uint32_t three[] = {5u << 28, 5u << 28, 6u << 28};
  seen = 0;
  EXPECT_TRUE(set.for_each_new(three, 3, [&](std::uint32_t) { ++seen; }));
  EXPECT_EQ(seen, 2u);
}

}  // namespace
