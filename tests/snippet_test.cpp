// Unit tests for the deduplicator's store of titles and snippets (src/dedup/snippet.hpp): slots
// over many chunks, a slot larger than a chunk, clearing and compaction, and what it holds.
#include "dedup/snippet.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using retold::detail::text_arena;

namespace {

std::string text_of(std::mt19937_64& rng, std::size_t n) {
  std::string s(n, ' ');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

void expect_same(const text_arena& a, const std::vector<std::pair<std::string, std::string>>& model) {
  ASSERT_EQ(a.size(), model.size());
  for (std::size_t i = 0; i < model.size(); ++i) {
    ASSERT_EQ(a.title(i), model[i].first) << "slot " << i;
    ASSERT_EQ(a.snippet(i), model[i].second) << "slot " << i;
  }
}

}  // namespace

// 40k slots of about 500 bytes (several 4 MiB chunks), one slot larger than a chunk, empty
// slots: every title and snippet reads back; what the arena holds is close to its bytes.
TEST(TextArena, SlotsReadBackAcrossChunks) {
  std::mt19937_64 rng(1);
  text_arena a;
  std::vector<std::pair<std::string, std::string>> model;
  std::size_t bytes = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string t = text_of(rng, rng() % 120), s = text_of(rng, rng() % 800);
    if (i == 777) s = text_of(rng, text_arena::chunk_bytes + 12345);  // its own chunk
    if (i % 1000 == 5) t.clear(), s.clear();
    bytes += t.size() + s.size();
    a.push(t, s);
    model.emplace_back(std::move(t), std::move(s));
  }
  expect_same(a, model);
  // Each chunk's unused tail is less than one slot; plus 16 bytes of entry per slot (doubled).
  EXPECT_LT(a.memory_bytes(), bytes + bytes / 50 + 40000 * 32 + text_arena::chunk_bytes);
  EXPECT_GE(a.memory_bytes(), bytes);
}

// reserve_for() makes the next push allocation-free: what the arena holds does not change.
TEST(TextArena, PushAfterReserveDoesNotAllocate) {
  std::mt19937_64 rng(2);
  text_arena a;
  for (int i = 0; i < 20000; ++i) {
    const std::string t = text_of(rng, 50), s = text_of(rng, rng() % 600);
    a.reserve_for(t.size() + s.size());
    const std::size_t held = a.memory_bytes();
    a.push(t, s);
    ASSERT_EQ(a.memory_bytes(), held) << i;
  }
}

// Clearing slots empties them; once the cleared bytes are half of the arena it compacts, and
// the live slots read back unchanged (also after more pushes).
TEST(TextArena, ClearedSlotsAreCompactedAway) {
  std::mt19937_64 rng(3);
  text_arena a;
  std::vector<std::pair<std::string, std::string>> model;
  for (int i = 0; i < 30000; ++i) {
    std::string t = text_of(rng, 40), s = text_of(rng, 400);
    a.push(t, s);
    model.emplace_back(std::move(t), std::move(s));
  }
  const std::size_t full = a.memory_bytes();
  for (std::size_t i = 0; i < model.size(); ++i)
    if (i % 4 != 0) {
      a.clear_slot(i);
      model[i] = {};
    }
  expect_same(a, model);
  EXPECT_LT(a.memory_bytes(), full * 3 / 4);  // compacted at least once
  for (int i = 0; i < 1000; ++i) {
    std::string t = text_of(rng, 30), s = text_of(rng, 300);
    a.push(t, s);
    model.emplace_back(std::move(t), std::move(s));
  }
  expect_same(a, model);
}
