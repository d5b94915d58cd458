// The evidence sketch (sketch.hpp), the pair evidence and the match model (verify.hpp).
#include <retold/error.hpp>
#include <retold/sketch.hpp>
#include <retold/text.hpp>
#include <retold/verify.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

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

}  // namespace
