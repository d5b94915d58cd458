#include <retold/error.hpp>
#include <retold/verify.hpp>

#include <gtest/gtest.h>

#include <limits>

namespace {

TEST(ScoringRule, EachBranchDecides) {
  retold::scoring_rule r;
  r.jaccard_threshold = 0.5;
  r.cosine_threshold = 0.7;
  r.combined_weight_jaccard = 0.5;
  r.combined_threshold = 0.5;
  EXPECT_EQ(r.evaluate(0.6, 0.0, false).decision, retold::decided_by::jaccard);
  EXPECT_EQ(r.evaluate(0.1, 0.75, true).decision, retold::decided_by::cosine);
  EXPECT_EQ(r.evaluate(0.4, 0.65, true).decision, retold::decided_by::combined);  // 0.525
  EXPECT_EQ(r.evaluate(0.2, 0.6, true).decision, retold::decided_by::rejected);   // 0.4
  // Without a cosine the combined rule must not rescue a low Jaccard.
  EXPECT_EQ(r.evaluate(0.45, 0.99, false).decision, retold::decided_by::rejected);
}

TEST(ScoringRule, ScoreIsTheLargestComponentAndClamped) {
  retold::scoring_rule r;
  auto s = r.evaluate(0.2, 0.9, true);
  EXPECT_DOUBLE_EQ(s.score, 0.9);
  s = r.evaluate(1.5, -0.3, true);
  EXPECT_DOUBLE_EQ(s.jaccard, 1.0);
  EXPECT_DOUBLE_EQ(s.cosine, 0.0);
  EXPECT_TRUE(s.accepted());
}

TEST(ScoringRule, ValidateNamesTheBadField) {
  retold::scoring_rule r;
  r.validate();
  r.cosine_threshold = std::numeric_limits<double>::quiet_NaN();
  try {
    r.validate();
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), retold::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("cosine_threshold"), std::string::npos);
  }
}

TEST(ScoringRule, NamesArePinned) {
  EXPECT_STREQ(retold::decided_by_name(retold::decided_by::combined), "combined");
  EXPECT_STREQ(retold::errc_name(retold::errc::invalid_utf8), "invalid_utf8");
}

}  // namespace
