// Unit tests for word and character shingles.
#include <retold/error.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include <gtest/gtest.h>

#include "features/detail/hash_mix.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

using retold::shingle_hashes;
using retold::shingle_kind;
using retold::shingle_options;

namespace {
const shingle_options word5{shingle_kind::word, 5};
}

TEST(Shingle, WordCountsAndOverlap) {
  const auto h = shingle_hashes("a b c d e f g", word5);
  ASSERT_EQ(h.size(), 3u);
  // The second 5-gram of "a..g" is the only 5-gram of "b..f".
  EXPECT_EQ(h[1], shingle_hashes("b c d e f", word5).at(0));
  EXPECT_EQ(h[2], shingle_hashes("c d e f g", word5).at(0));
  EXPECT_NE(h[0], h[1]);
}

TEST(Shingle, EmptyTextHasNoShingles) {
  EXPECT_TRUE(shingle_hashes("", word5).empty());
  EXPECT_TRUE(shingle_hashes("", {shingle_kind::character, 3}).empty());
}

TEST(Shingle, ShortTextsGetOneDistinctShingle) {
  const auto a = shingle_hashes("hello world", word5);
  const auto b = shingle_hashes("hello there", word5);
  const auto c = shingle_hashes("hello", word5);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_NE(a[0], b[0]);
  EXPECT_NE(a[0], c[0]);
  const auto d = shingle_hashes("ab", {shingle_kind::character, 5});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0], shingle_hashes("ba", {shingle_kind::character, 5}).at(0));
}

TEST(Shingle, DuplicatesAreKeptInTextOrder) {
  const auto h = shingle_hashes("x x x", {shingle_kind::word, 1});
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], h[1]);
  EXPECT_EQ(h[1], h[2]);
}

TEST(Shingle, AppendOverloadAppends) {
  std::vector<std::uint64_t> out{42};
  shingle_hashes("a b c d e f", word5, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], 42u);
  EXPECT_EQ(out[1], shingle_hashes("a b c d e", word5).at(0));
}

TEST(Shingle, InvalidOptions) {
  try {
    (void)shingle_hashes("a b", {shingle_kind::word, 0});
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), retold::errc::invalid_argument);
  }
  EXPECT_THROW((void)shingle_hashes("a b", {static_cast<shingle_kind>(9), 2}), retold::error);
}

TEST(Shingle, CharacterShinglesCountCodePoints) {
  const shingle_options c3{shingle_kind::character, 3};
  EXPECT_EQ(shingle_hashes("abcd", c3).size(), 2u);
  const std::string ru = "привет";  // 6 code points, 12 bytes
  const auto h = shingle_hashes(ru, c3);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h[0], shingle_hashes("при", c3).at(0));
  EXPECT_EQ(h[3], shingle_hashes("вет", c3).at(0));
  // Spaces are characters too.
  EXPECT_EQ(shingle_hashes("ab cd", c3).size(), 3u);
  // Urdu with combining marks still splits on code points only.
  const std::string ur = retold::normalize("پاکستان زندہ باد");
  EXPECT_GT(shingle_hashes(ur, c3).size(), 10u);
}

TEST(Shingle, KindsAndSizesDoNotCollide) {
  const auto w1 = shingle_hashes("ab", {shingle_kind::word, 1});
  const auto c2 = shingle_hashes("ab", {shingle_kind::character, 2});
  const auto w2 = shingle_hashes("ab", {shingle_kind::word, 2});
  EXPECT_NE(w1.at(0), c2.at(0));
  EXPECT_NE(w1.at(0), w2.at(0));
}

TEST(Shingle, LargeN) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += (i ? " w" : "w") + std::to_string(i);
  EXPECT_EQ(shingle_hashes(text, {shingle_kind::word, 40}).size(), 61u);
  EXPECT_EQ(shingle_hashes(text, {shingle_kind::character, 100}).size(), text.size() - 99);
}

TEST(Shingle, DistinctShinglesOfARealisticText) {
  const std::string n = retold::normalize(
      "France has invited the ministers of Ukraine's main allies to a video call on Thursday, "
      "to show a united front and to develop concrete proposals to strengthen support for Kyiv.");
  const auto h = shingle_hashes(n, word5);
  EXPECT_EQ(h.size(), retold::tokenize(n).size() - 4);
  EXPECT_EQ(std::set<std::uint64_t>(h.begin(), h.end()).size(), h.size());
}

// Tokens near the end of the text are hashed on a different code path from tokens with 16 bytes
// after them; every window of a long text must hash like the same window as a text of its own.
TEST(Shingle, SameHashOnEveryCodePath) {
  const std::string long_text =
      "a bb ccc dddddddddddddddd eeeeeeeeeeeeeee fffffffffffffffff g hh iii "
      "привет мир ok 1234567890123456 x y z";
  const auto tokens = retold::tokenize(long_text);
  const auto all = shingle_hashes(long_text, {shingle_kind::word, 3});
  ASSERT_EQ(all.size(), tokens.size() - 2);
  for (std::size_t i = 0; i + 3 <= tokens.size(); ++i) {
    const std::string window = std::string(tokens[i]) + " " + std::string(tokens[i + 1]) + " " +
                               std::string(tokens[i + 2]);
    EXPECT_EQ(all[i], shingle_hashes(window, {shingle_kind::word, 3}).at(0)) << window;
  }
}

// Golden values: shingle hashes feed signatures that are stored and compared across machines,
// so they must never change silently.
TEST(Shingle, GoldenValues) {
  const auto w = shingle_hashes("the quick brown fox jumps over the lazy dog", word5);
  ASSERT_EQ(w.size(), 5u);
  const auto c = shingle_hashes("привет", {shingle_kind::character, 3});
  ASSERT_EQ(c.size(), 4u);
  const auto s = shingle_hashes("short text", word5);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(w[0], 0x63c17d845572d764ULL);
  EXPECT_EQ(w[4], 0x0bbca4284efd464bULL);
  EXPECT_EQ(c[0], 0xccc3a9daa08868b2ULL);
  EXPECT_EQ(s[0], 0xd9fa171cf1c033eeULL);
}

TEST(Shingle, CountDistinctEqualsSortUnique) {
  std::mt19937_64 rng(31);
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const int words = static_cast<int>(rng() % 2000);
    for (int i = 0; i < words; ++i) text.append("w").append(std::to_string(rng() % (trial % 2 ? 40 : 100000))).append(" ");
    const auto h = shingle_hashes(retold::normalize(text), word5);
    std::vector<std::uint64_t> sorted = h;
    std::sort(sorted.begin(), sorted.end());
    const auto want = static_cast<std::size_t>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
    ASSERT_EQ(retold::count_distinct(h), want) << trial;
  }
  EXPECT_EQ(retold::count_distinct({}), 0u);
  // Values that are not hashes (small integers: every one has the same top bits) are still counted
  // exactly, through the sort the hash set falls back to.
  std::vector<std::uint64_t> small;
  for (std::uint64_t i = 0; i < 30000; ++i) small.push_back(i % 20000);
  EXPECT_EQ(retold::count_distinct(small), 20000u);
  const std::vector<std::uint64_t> zeros(10, 0);
  EXPECT_EQ(retold::count_distinct(zeros), 1u);
}

// The word shingle hash spelled out directly from its definition (shingle.cpp's header comment):
// token hash = XXH3 of the zero-padded 16-byte block for tokens of up to 16 bytes, else XXH3 of
// the token; shingle = fmix64(sum of token hashes times powers of an odd multiplier ^ seed); fewer
// tokens than n: XXH3 of the whole span with ~seed. Tokens of every length 1..300 bytes (ASCII,
// two-byte letters, odd lengths), as the last token and with 1..20 bytes after them, hash the same
// on every code path of shingle_hashes (16-byte loads, exactly 16 bytes, the 17..128 length class
// called directly, longer tokens, the text's end).
TEST(Shingle, WordHashesFollowTheirDefinitionForEveryTokenLength) {
  const auto reference = [](std::string_view s, std::uint32_t n) {
    const std::uint64_t seed = 0x5368696e676c6521ULL ^ (static_cast<std::uint64_t>(shingle_kind::word) << 40) ^ n;
    const auto tokens = retold::tokenize(s);
    std::vector<std::uint64_t> th;
    for (const auto t : tokens) {
      if (t.size() > 16) {
        th.push_back(XXH3_64bits_withSeed(t.data(), t.size(), seed));
      } else {
        unsigned char block[16] = {};
        std::memcpy(block, t.data(), t.size());
        th.push_back(XXH3_64bits_withSeed(block, 16, seed));
      }
    }
    std::vector<std::uint64_t> out;
    if (tokens.empty()) return out;
    if (tokens.size() < n) {
      const char* first = tokens.front().data();
      const char* end = tokens.back().data() + tokens.back().size();
      out.push_back(XXH3_64bits_withSeed(first, static_cast<std::size_t>(end - first), ~seed));
      return out;
    }
    for (std::size_t j = 0; j + n <= th.size(); ++j) {
      std::uint64_t sum = 0;
      for (std::uint32_t k = 0; k < n; ++k) sum = sum * 0x9e3779b97f4a7c15ULL + th[j + k];
      out.push_back(retold::detail::fmix64(sum ^ seed));
    }
    return out;
  };
  const std::string letters[] = {"k", "\xD0\xB6", "\xD8\xB3", "\xE0\xA4\x95"};
  for (std::size_t len = 1; len <= 300; ++len) {
    for (const auto& letter : letters) {
      std::string token;
      while (token.size() < len) token += token.size() % 5 == 3 ? std::string("q") : letter;
      for (const std::uint32_t n : {1u, 2u, 5u}) {
        for (std::size_t after = 0; after <= 20; after += (after < 3 ? 1 : 6)) {
          std::string text = "aa " + token + " " + token + "x bb " + token;
          if (after > 0) text += " " + std::string(after - 1, 'z');
          if (after > 1) text += " c";
          ASSERT_EQ(shingle_hashes(text, {shingle_kind::word, n}), reference(text, n))
              << "token of " << token.size() << " bytes, n " << n << ", " << after << " after";
          // Not normalized: runs of spaces, and spaces at both ends.
          std::string spaced = " ";
          for (const char ch : text) spaced += ch == ' ' ? std::string(1 + after % 3, ' ') : std::string(1, ch);
          spaced += "  ";
          ASSERT_EQ(shingle_hashes(spaced, {shingle_kind::word, n}), reference(spaced, n))
              << "spaced, token of " << token.size() << " bytes, n " << n << ", " << after << " after";
        }
      }
    }
  }
}
