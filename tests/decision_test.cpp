// The match decision and the evidence sketches it reads: a deduplicator builds a document's sketch
// only while the model decides (or for prepare()), and a document stored without one is decided by
// the rule when a later load selects the model (match_decision in include/retold/dedup.hpp).
#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/verify.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("retold_decision_test_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

// A news-like text of `words` words from a fixed vocabulary, with names and numbers, seeded.
std::string article(unsigned seed, std::size_t words) {
  static const char* vocab[] = {"the", "council", "said", "on", "Tuesday", "that", "its", "budget", "for",
                                "roads", "would", "rise", "by", "percent", "after", "a", "vote", "in",
                                "which", "members", "of", "Parliament", "backed", "plan", "to", "repair",
                                "bridges", "across", "region", "Minister", "Halvorsen", "told", "reporters",
                                "work", "begins", "next", "spring", "and", "costs", "million", "euros"};
  constexpr std::size_t n = sizeof vocab / sizeof vocab[0];
  std::string s;
  std::uint64_t x = 0x9E3779B97F4A7C15ULL * (seed + 1);
  for (std::size_t i = 0; i < words; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (!s.empty()) s += ' ';
    if (x % 11 == 0) s += std::to_string(x % 9000 + 100);
    else s += vocab[(x >> 8) % n];
  }
  return s;
}

// `text` with every `every`-th word replaced: a light edit (Jaccard of word 5-grams well below
// copy_jaccard, above the rule's jaccard_threshold for every >= 12).
std::string edited(const std::string& text, std::size_t every) {
  std::string out;
  std::size_t word = 0, start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (!out.empty()) out += ' ';
    out += (++word % every == 0) ? "altered" + std::to_string(word) : text.substr(start, end - start);
    start = end + 1;
  }
  return out;
}

retold::document doc(const std::string& id, const std::string& text) {
  retold::document d;
  d.id = id;
  d.text = text;
  return d;
}

retold::deduplicator_options lexical() {
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::none;
  return o;  // decision automatic: the rule, in lexical mode
}

}  // namespace

// A lexical state (no sketches) loaded with decision=model: pairs with its old documents are
// decided by the rule, pairs of documents added since by the model; explain() reports both
// without failing; the choices survive another save and load.
TEST(DecisionSketch, LexicalStateLoadedWithTheModelDecidesOldPairsByTheRule) {
  const fs::path dir = temp_dir("lexical-then-model");
  const std::string a = article(1, 400), c = article(2, 400), far = article(3, 400);
  const std::string b = edited(a, 14), d = edited(c, 14);
  {
    retold::deduplicator lex(lexical());
    lex.add(doc("a", a));
    lex.add(doc("far", far));
    // The rule decides the lexical run itself: the light edit joins by its Jaccard.
    const auto r = lex.query(b);
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(r.front().id, "a");
    EXPECT_EQ(r.front().scores.decision, retold::decided_by::jaccard);
    EXPECT_LT(r.front().scores.jaccard, lex.options().copy_jaccard);
    lex.save(dir);
  }
  retold::deduplicator_options model = lexical();
  model.decision = retold::match_decision::model;
  {
    auto m = retold::deduplicator::load(dir, model);
    ASSERT_EQ(m.options().decision, retold::match_decision::model);
    // b is sketched now (the model decides), a is not: the rule decides the pair, and b joins a
    // (the model with an empty sketch used to reject it).
    const auto rb = m.add(doc("b", b));
    ASSERT_FALSE(rb.new_story);
    ASSERT_TRUE(rb.leader.has_value());
    EXPECT_EQ(rb.leader->id, "a");
    EXPECT_EQ(rb.leader->scores.decision, retold::decided_by::jaccard);
    EXPECT_LT(rb.leader->scores.jaccard, m.options().copy_jaccard);
    EXPECT_NE(m.cluster_of("far"), m.cluster_of("a"));
    // Two documents added under the model: sketched, so the model decides their pair (its score
    // is the model's probability; the rule's would be the Jaccard, without embeddings).
    m.add(doc("c", c));
    m.add(doc("d", d));
    // explain(): the rule for the unsketched pair, the model for the sketched one; both report
    // the model's features and its probability over the evidence there is.
    const auto e_ab = m.explain("a", "b");
    EXPECT_EQ(e_ab.scores.decision, retold::decided_by::jaccard);
    EXPECT_DOUBLE_EQ(e_ab.scores.score, e_ab.scores.jaccard);
    EXPECT_FALSE(e_ab.features.empty());
    EXPECT_TRUE(e_ab.probability >= 0.0 && e_ab.probability <= 1.0) << e_ab.probability;
    const auto e_cd = m.explain("c", "d");
    EXPECT_LT(e_cd.scores.jaccard, m.options().copy_jaccard);
    EXPECT_GE(e_cd.scores.jaccard, m.options().scoring.jaccard_threshold) << "the rule would accept it";
    EXPECT_DOUBLE_EQ(e_cd.scores.score, e_cd.probability);
    EXPECT_EQ(e_cd.scores.accepted(), e_cd.probability >= retold::match_model::builtin().threshold);
    EXPECT_NE(e_cd.scores.decision, retold::decided_by::jaccard);
    EXPECT_GT(e_cd.probability, e_ab.probability) << "the sketched pair has its words, names and numbers";
    m.save(dir);
  }
  // Saved and loaded again with the model: the same stories, and the old pair still by the rule.
  auto again = retold::deduplicator::load(dir, model);
  EXPECT_EQ(again.cluster_of("b"), again.cluster_of("a"));
  EXPECT_NE(again.cluster_of("far"), again.cluster_of("a"));
  EXPECT_EQ(again.explain("a", "b").scores.decision, retold::decided_by::jaccard);
  const auto e_cd = again.explain("c", "d");
  EXPECT_DOUBLE_EQ(e_cd.scores.score, e_cd.probability);
  fs::remove_all(dir);
}

// prepare() builds the sketch whatever the decision of the deduplicator that prepares: a document
// prepared by a lexical run and added to one deciding by the model is decided by the model.
TEST(DecisionSketch, PreparedDocumentsCarryTheirSketchFromALexicalRun) {
  const std::string c = article(5, 400), d = edited(c, 14);
  const retold::deduplicator lex(lexical());
  const auto pc = lex.prepare(doc("c", c));
  const auto pd = lex.prepare(doc("d", d));
  retold::deduplicator_options model = lexical();
  model.decision = retold::match_decision::model;
  retold::deduplicator m(model);
  const auto results = m.add_prepared(std::vector<retold::prepared_document>{pc, pd});
  ASSERT_EQ(results.size(), 2u);
  const auto e = m.explain("c", "d");
  EXPECT_LT(e.scores.jaccard, m.options().copy_jaccard);
  EXPECT_DOUBLE_EQ(e.scores.score, e.probability) << "the model decided";
  EXPECT_NE(e.scores.decision, retold::decided_by::jaccard);
}

// The same documents added by the rule and by the model, then both queried by the rule: the
// lexical deduplicator without sketches holds less memory and finds the same stories.
TEST(DecisionSketch, RuleRunHoldsNoSketches) {
  retold::deduplicator lex(lexical());
  retold::deduplicator_options model = lexical();
  model.decision = retold::match_decision::model;
  retold::deduplicator m(model);
  for (unsigned i = 0; i < 20; ++i) {
    const std::string t = article(10 + i, 300);
    lex.add(doc("x" + std::to_string(i), t));
    m.add(doc("x" + std::to_string(i), t));
  }
  // The sketches hold about 1 KB of values per 300-word article.
  EXPECT_GT(m.stats().memory_bytes, lex.stats().memory_bytes + 20 * 500);
  EXPECT_EQ(lex.clusters().size(), m.clusters().size());
}
