// Unit tests for the deduplicator's id -> slot table (src/dedup/id_table.hpp): random inserts
// and removals checked against std::unordered_map, ids whose hashes share a home position.
#include "dedup/id_table.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using retold::detail::id_table;

// 60k operations over 20k ids: after each batch, every id (live, removed, never seen) is found
// exactly when the model has it, at the model's slot.
TEST(IdTable, MatchesAMapUnderChurn) {
  std::mt19937_64 rng(5);
  id_table t;
  std::vector<std::string> ids;  // slot -> id ("" once removed), as the deduplicator keeps them
  std::unordered_map<std::string, std::uint32_t> model;
  for (int step = 0; step < 60000; ++step) {
    const std::string id = "doc-" + std::to_string(rng() % 20000);
    const auto it = model.find(id);
    if (it == model.end()) {
      ASSERT_EQ(t.find(id, ids), id_table::none) << id;
      ids.push_back(id);
      t.insert(static_cast<std::uint32_t>(ids.size() - 1), ids);
      model.emplace(id, static_cast<std::uint32_t>(ids.size() - 1));
    } else if (rng() % 3 == 0) {
      ASSERT_TRUE(t.erase(it->second, ids));
      ids[it->second].clear();
      model.erase(it);
    }
    if (step % 5000 != 4999) continue;
    ASSERT_EQ(t.size(), model.size());
    for (int k = 0; k < 20000; ++k) {
      const std::string q = "doc-" + std::to_string(k);
      const auto m = model.find(q);
      ASSERT_EQ(t.find(q, ids), m == model.end() ? id_table::none : m->second) << q;
    }
  }
  EXPECT_EQ(t.find("never", ids), id_table::none);
  // 8 bytes per entry at a load of at least 0.35.
  EXPECT_LE(t.memory_bytes(), 8 * model.size() / 0.35 + 4096);
}

// reserve() makes the inserts it made room for allocation-free; erasing an absent slot is false.
TEST(IdTable, ReserveAndAbsentErase) {
  id_table t;
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back("x" + std::to_string(i));
  t.reserve(1000);
  const std::size_t held = t.memory_bytes();
  for (std::uint32_t i = 0; i < 1000; ++i) t.insert(i, ids);
  EXPECT_EQ(t.memory_bytes(), held);
  ids.push_back("x-not-inserted");
  EXPECT_FALSE(t.erase(1000, ids));
  EXPECT_EQ(t.size(), 1000u);
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_EQ(t.find(ids[i], ids), i);
}
