#include <retold/cluster.hpp>
#include <retold/error.hpp>

#include <gtest/gtest.h>

namespace {

using retold::leader_clustering;

TEST(ConnectedComponents, LabelsAreSmallestSlotAndIgnoreEdgeOrder) {
  std::vector<retold::slot_pair> edges = {{4, 2}, {2, 3}, {0, 1}};
  auto a = retold::connected_components(6, edges);
  EXPECT_EQ(a, (std::vector<std::uint32_t>{0, 0, 2, 2, 2, 5}));
  std::reverse(edges.begin(), edges.end());
  EXPECT_EQ(retold::connected_components(6, edges), a);
}

TEST(ConnectedComponents, ChainsTransitively) {
  // A~B and B~C merge A and C: the reason the deduplicator uses leader clustering instead.
  std::vector<retold::slot_pair> edges = {{0, 1}, {1, 2}};
  auto l = retold::connected_components(3, edges);
  EXPECT_EQ(l[0], l[2]);
}

TEST(ConnectedComponents, RejectsOutOfRangeEdge) {
  std::vector<retold::slot_pair> edges = {{0, 7}};
  try {
    retold::connected_components(3, edges);
    FAIL() << "no error";
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), retold::errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("7"), std::string::npos);
  }
}

TEST(Representative, EarliestThenSourcePriorityThenLongestThenId) {
  retold::representative_policy p{{"Reuters", "AP"}};
  std::vector<retold::member_facts> m = {
      {100, "UNN", 5000, "unn"}, {50, "Blog", 10, "blog"}, {50, "AP", 10, "ap"}, {50, "Reuters", 5, "rt"}};
  EXPECT_EQ(retold::choose_representative(m, p), 3u);  // earliest, and Reuters outranks AP and Blog
  m[3].timestamp = 51;
  EXPECT_EQ(retold::choose_representative(m, p), 2u);  // AP outranks an unlisted source
  m[2].source = "Other";
  EXPECT_EQ(retold::choose_representative(m, p), 2u);  // same rank, same length: smaller id "ap"
  m[2].text_length = 1;
  EXPECT_EQ(retold::choose_representative(m, p), 1u);  // the longer text wins before ids
  EXPECT_THROW(retold::choose_representative({}, p), retold::error);
}

TEST(LeaderClustering, IdsAreStableAndNeverReused) {
  leader_clustering c;
  EXPECT_EQ(c.open(0), 1u);
  EXPECT_EQ(c.open(1), 2u);
  c.join(2, 1);
  c.join(3, 1);
  EXPECT_EQ(c.cluster_of(3), 1u);
  EXPECT_EQ(c.leader_of(1), 0u);
  EXPECT_EQ(c.cluster_count(), 2u);
  // Removing the only member of story 2 ends it; its id is not given again.
  EXPECT_TRUE(c.remove(1));
  EXPECT_EQ(c.cluster_count(), 1u);
  EXPECT_EQ(c.open(4), 3u);
  EXPECT_FALSE(c.remove(1));
  // Removing the leader hands the story to its earliest remaining member.
  EXPECT_TRUE(c.remove(0));
  EXPECT_EQ(c.leader_of(1), 2u);
  EXPECT_EQ(std::vector<std::uint32_t>(c.members_of(1).begin(), c.members_of(1).end()),
            (std::vector<std::uint32_t>{2, 3}));
}

TEST(LeaderClustering, MisuseIsAnError) {
  leader_clustering c;
  c.open(0);
  EXPECT_THROW(c.open(0), retold::error);
  EXPECT_THROW(c.join(0, 1), retold::error);
  try {
    c.join(5, 42);
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), retold::errc::not_found);
  }
  EXPECT_EQ(c.cluster_of(99), leader_clustering::no_cluster);
  EXPECT_TRUE(c.members_of(42).empty());
}

TEST(LeaderClustering, RestoreRoundTripsAndRejectsInconsistentTables) {
  leader_clustering c;
  c.open(0);
  c.open(1);
  c.join(2, 2);
  c.join(3, 1);
  std::vector<std::uint64_t> assignment = {1, 2, 2, 1};
  leader_clustering r;
  r.restore(assignment, c.leaders(), c.next_id());
  EXPECT_EQ(r.leaders(), c.leaders());
  EXPECT_EQ(r.next_id(), 3u);
  EXPECT_EQ(r.cluster_of(3), 1u);
  EXPECT_EQ(r.open(4), 3u);

  std::vector<std::pair<std::uint64_t, std::uint32_t>> bad = {{1, 0}};  // story 2 has members, no leader
  EXPECT_THROW(r.restore(assignment, bad, 3), retold::error);
  std::vector<std::pair<std::uint64_t, std::uint32_t>> wrong_leader = {{1, 1}, {2, 2}};
  EXPECT_THROW(r.restore(assignment, wrong_leader, 3), retold::error);
}

}  // namespace
