// What the state keeps for people (cluster_member::title and ::snippet, snippet_bytes), its save
// format 4 and the loading of format-3 states, the match presets, and the incompatible error that
// names the option. The CLI's use of them is tested by test_cli.py.
#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/presets.hpp>
#include <retold/text.hpp>

#include "../seed_corpus.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace retold;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("retold_readable_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

// A document (the designated-initializer form warns about the members it leaves out).
document doc(std::string_view id, std::string_view text, std::string_view title = {}, std::int64_t timestamp = 0,
             std::string_view source = {}) {
  document d;
  d.id = id;
  d.text = text;
  d.title = title;
  d.timestamp = timestamp;
  d.source = source;
  return d;
}

cluster_member member_of(const deduplicator& d, const std::string& id) {
  for (const auto& m : d.cluster(d.cluster_of(id)).members)
    if (m.id == id) return m;
  ADD_FAILURE() << "no member " << id;
  return {};
}

const std::string body =
    "PARIS, March 5 (Reuters) -  France has invited\n\nthe foreign and defense ministers of Ukraine's main allies "
    "to take part in a video call on Thursday to demonstrate a \"united front\" and develop concrete proposals.";

}  // namespace

TEST(ReadableState, TitleAndSnippetAreKeptCleanedAndBounded) {
  deduplicator_options o;
  o.snippet_bytes = 60;
  deduplicator d(o);
  d.add(doc("a", body, "  France invites\tallies  ", 7, "Reuters"));
  const auto m = member_of(d, "a");
  EXPECT_EQ(m.title, "France invites allies");
  EXPECT_LE(m.snippet.size(), 60u);
  EXPECT_EQ(m.snippet, "PARIS, March 5 (Reuters) - France has invited the foreign");  // at a word boundary
  EXPECT_EQ(m.source, "Reuters");
  EXPECT_EQ(m.timestamp, 7);
}

TEST(ReadableState, SnippetIsCutAtACharacterBoundaryAndStaysValidUtf8) {
  // Ten 2-byte letters with no space: a word boundary is impossible, a character boundary is not.
  const std::string cyrillic = "\xD0\x9A\xD0\xB8\xD1\x97\xD0\xB2\xD0\x9A\xD0\xB8\xD1\x97\xD0\xB2\xD0\x9A\xD0\xB8";
  for (std::uint32_t n = 1; n <= 21; ++n) {
    deduplicator_options o;
    o.snippet_bytes = n;
    deduplicator d(o);
    d.add(doc("k", cyrillic + " tail", {}, 0, {}));
    const auto s = member_of(d, "k").snippet;
    EXPECT_LE(s.size(), n);
    EXPECT_EQ(s.size(), std::min<std::size_t>(n / 2 * 2, 20)) << n;
    EXPECT_TRUE(is_valid_utf8(s)) << n;
  }
}

// Every cut of a text of words, punctuation and runs of whitespace: the snippet is the text with
// whitespace runs made one space, cut to at most n bytes (no trailing space) and then back to its
// last space when that lies in the second half. Runs of plain ASCII are copied whole, so this
// checks the cut inside a run, at its end and at a space, for every n.
TEST(ReadableState, SnippetOfPlainTextIsItsCleanedPrefixAtEveryLength) {
  const std::string text = "  Ministers met,\tagain; on\n\nTuesday (twice)   in  Brussels-Nord. A \"deal\" was near!";
  std::string cleaned;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool space = text[i] == ' ' || text[i] == '\t' || text[i] == '\n';
    if (!space) cleaned += text[i];
    else if (!cleaned.empty() && cleaned.back() != ' ') cleaned += ' ';
  }
  ASSERT_EQ(cleaned, "Ministers met, again; on Tuesday (twice) in Brussels-Nord. A \"deal\" was near!");
  deduplicator_options o;
  o.embedding = embedding_mode::none;
  for (std::uint32_t n = 1; n <= cleaned.size() + 2; ++n) {
    o.snippet_bytes = n;
    deduplicator d(o);
    d.add(doc("p", text, {}, 0, {}));
    std::string want = cleaned;
    if (want.size() > n) {
      want.resize(n);
      if (want.back() == ' ') want.pop_back();
      const std::size_t space = want.rfind(' ');
      if (space != std::string::npos && space > n / 2) want.resize(space);
    }
    EXPECT_EQ(member_of(d, "p").snippet, want) << n;
  }
}

TEST(ReadableState, InvalidBytesAreReplacedAndZeroKeepsNoSnippet) {
  deduplicator_options o;
  o.normalize.replace_invalid_utf8 = true;
  deduplicator d(o);
  d.add(doc("bad", "caf\xC3 ok", "t\xFFt", 0, {}));
  const auto m = member_of(d, "bad");
  EXPECT_EQ(m.snippet, "caf\xEF\xBF\xBD ok");
  EXPECT_EQ(m.title, "t\xEF\xBF\xBDt");

  o.snippet_bytes = 0;
  deduplicator none(o);
  none.add(doc("x", body, "T", 0, {}));
  EXPECT_EQ(member_of(none, "x").snippet, "");
  EXPECT_EQ(member_of(none, "x").title, "T");  // titles do not depend on snippet_bytes
}

TEST(ReadableState, SavedAndLoadedWithTheRuntimeFields) {
  temp_dir dir;
  deduplicator_options o;
  o.snippet_bytes = 100;
  o.retention_seconds = 30 * 86400;
  {
    deduplicator d(o);
    d.add(doc("a", body, "France invites allies", 1, "Reuters"));
    d.save(dir.path);
  }
  const auto d = deduplicator::load(dir.path);
  EXPECT_EQ(d.options().snippet_bytes, 100u);
  EXPECT_EQ(d.options().retention_seconds, 30 * 86400);
  const auto m = member_of(d, "a");
  EXPECT_EQ(m.title, "France invites allies");
  EXPECT_FALSE(m.snippet.empty());
  EXPECT_LE(m.snippet.size(), 100u);
  // Both are runtime fields: a load may change them.
  const auto changed = deduplicator::load(dir.path, [](deduplicator_options& s) {
    s.snippet_bytes = 0;
    s.retention_seconds = 0;
  });
  EXPECT_EQ(changed.options().snippet_bytes, 0u);
  EXPECT_EQ(member_of(changed, "a").snippet, m.snippet);  // kept snippets stay
}

TEST(ReadableState, AFormat3StateLoadsWithEmptyTitlesAndSnippets) {
  temp_dir dir;
  fs::copy(RETOLD_FORMAT3_STATE, dir.path, fs::copy_options::recursive);
  auto d = deduplicator::load(dir.path);
  ASSERT_EQ(d.stats().documents, 3u);
  EXPECT_EQ(d.options().snippet_bytes, 240u);  // the default applies from now on
  EXPECT_EQ(d.options().retention_seconds, 0);
  for (const auto& m : d.cluster(1).members) {
    EXPECT_EQ(m.title, "");
    EXPECT_EQ(m.snippet, "");
    EXPECT_FALSE(m.source.empty());
  }
  d.add(doc("new", body, "New", 0, {}));
  EXPECT_EQ(member_of(d, "new").title, "New");
  d.save(dir.path);
  const auto again = deduplicator::load(dir.path);
  EXPECT_EQ(member_of(again, "new").title, "New");
  EXPECT_EQ(member_of(again, "reuters-2024-03-05-france-video-call").title, "");
}

// The bytes a file holds (empty when missing).
std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// save() streams each part into its file (never holding the state's bytes at once); the files
// must still be exactly those the in-memory save of commit a1e5ce4 wrote. A load followed by a
// save into a fresh directory reproduces a state byte for byte (same generation 1), so the
// fixture written by that commit must come back unchanged, every part and the MANIFEST.
TEST(ReadableState, AFormat4StateSavesBackByteForByte) {
  temp_dir dir;
  const fs::path from = dir.path / "from", to = dir.path / "to";  // a load writes its LOCK file
  fs::create_directories(from);
  fs::copy(RETOLD_FORMAT4_STATE, from, fs::copy_options::recursive);
  const auto d = deduplicator::load(from);
  ASSERT_EQ(d.stats().documents, 6u);
  d.save(to);
  std::size_t compared = 0;
  for (const auto& entry : fs::directory_iterator(RETOLD_FORMAT4_STATE)) {
    const auto name = entry.path().filename();
    const std::string want = file_bytes(entry.path()), got = file_bytes(to / name);
    ASSERT_FALSE(want.empty()) << name;
    EXPECT_EQ(got.size(), want.size()) << name;
    EXPECT_TRUE(got == want) << name << " differs from the fixture";
    ++compared;
  }
  EXPECT_EQ(compared, 7u);  // MANIFEST and six parts
}

TEST(ReadableState, IncompatibleLoadNamesTheOptionAndBothValues) {
  temp_dir dir;
  deduplicator_options o;
  o.embedder.dimension = 64;
  {
    deduplicator d(o);
    d.add(doc("a", body, {}, 0, {}));
    d.save(dir.path);
  }
  try {
    (void)deduplicator::load(dir.path, [](deduplicator_options& s) { s.embedder.dimension = 128; });
    FAIL() << "a different embedder dimension loaded";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::incompatible);
    EXPECT_NE(std::string(e.what()).find("embedder.dimension: the state has 64, given 128"), std::string::npos) << e.what();
  }
  deduplicator_options given;
  given.shingles.n = 3;
  try {
    (void)deduplicator::load(dir.path, given);
    FAIL() << "different shingles loaded";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("shingles.n: the state has 5, given 3"), std::string::npos) << e.what();
  }
  // The match decision is a runtime field: a load may change it (a preset, --decision).
  const auto rule = deduplicator::load(dir.path, [](deduplicator_options& s) { apply_match_preset(s, match_preset::copies); });
  EXPECT_EQ(rule.options().decision, match_decision::rule);
}

TEST(MatchPresets, RetellingsIsTheDefault) {
  deduplicator_options o;
  apply_match_preset(o, match_preset::copies);
  apply_match_preset(o, match_preset::retellings);
  const deduplicator_options def;
  EXPECT_EQ(o.decision, def.decision);
  EXPECT_EQ(o.match_threshold, def.match_threshold);
  EXPECT_EQ(o.copy_jaccard, def.copy_jaccard);
  EXPECT_EQ(o.scoring.jaccard_threshold, def.scoring.jaccard_threshold);
  EXPECT_EQ(o.scoring.cosine_threshold, def.scoring.cosine_threshold);
  EXPECT_EQ(o.scoring.combined_threshold, def.scoring.combined_threshold);
  EXPECT_EQ(o.scoring.combined_weight_jaccard, def.scoring.combined_weight_jaccard);
}

TEST(MatchPresets, NamesParseAndOtherFieldsAreLeftAlone) {
  for (auto p : {match_preset::copies, match_preset::retellings, match_preset::stories}) {
    const auto back = parse_match_preset(match_preset_name(p));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, p);
  }
  EXPECT_FALSE(parse_match_preset("Copies").has_value());
  EXPECT_FALSE(parse_match_preset("").has_value());
  EXPECT_STREQ(match_preset_name(static_cast<match_preset>(9)), "unknown");
  deduplicator_options o;
  o.time_window_seconds = 3 * 86400;
  o.representative.source_priority = {"AP"};
  EXPECT_THROW(apply_match_preset(o, static_cast<match_preset>(9)), error);
  apply_match_preset(o, match_preset::stories);
  EXPECT_EQ(o.time_window_seconds, 3 * 86400);
  EXPECT_EQ(o.representative.source_priority.size(), 1u);
  EXPECT_GT(o.match_threshold, 0.0);
  EXPECT_LT(o.match_threshold, match_model::builtin().threshold);  // merges more than retellings
  apply_match_preset(o, match_preset::copies);
  EXPECT_EQ(o.decision, match_decision::rule);
  EXPECT_NO_THROW(deduplicator{o});
}

TEST(MatchPresets, OnTheSeedsCopiesKeepsRetellingsApartAndStoriesMergesAtLeastAsMuch) {
  const auto docs = retold::test::load_seed_corpus();
  auto run = [&](match_preset p) {
    deduplicator_options o;
    apply_match_preset(o, p);
    auto d = std::make_unique<deduplicator>(o);
    for (const auto& x : docs)
      d->add(doc(x.id, x.text, x.title, x.timestamp, x.source));
    return d;
  };
  const auto copies = run(match_preset::copies), retellings = run(match_preset::retellings),
             stories = run(match_preset::stories);
  auto together = [](const deduplicator& d, const char* a, const char* b) { return d.cluster_of(a) == d.cluster_of(b); };
  // A trimmed copy (estimated 5-shingle Jaccard about 0.77) is one story under every preset.
  for (const auto* d : {copies.get(), retellings.get(), stories.get()})
    EXPECT_TRUE(together(*d, "ctk-2024-03-04-czech-shells", "praguemonitor-2024-03-04-czech-shells"));
  // A retelling in other words (Jaccard about 0.33) is its own story only under copies.
  EXPECT_FALSE(together(*copies, "reuters-2024-03-05-france-video-call", "unn-2024-03-05-video-call"));
  EXPECT_TRUE(together(*retellings, "reuters-2024-03-05-france-video-call", "unn-2024-03-05-video-call"));
  EXPECT_TRUE(together(*stories, "reuters-2024-03-05-france-video-call", "unn-2024-03-05-video-call"));
  EXPECT_LE(stories->stats().clusters, retellings->stats().clusters);
  EXPECT_LT(retellings->stats().clusters, copies->stats().clusters);
}

TEST(ReadableState, TitlesStayRightWhileManyDocumentsAreRemoved) {
  deduplicator d;
  for (int i = 0; i < 3000; ++i) {
    const std::string n = std::to_string(i);
    d.add(doc(std::string("d").append(n), std::string("report number ").append(n).append(" of a long night, with words"),
              std::string("title of report ").append(n), i, {}));
  }
  EXPECT_EQ(d.evict_before(2000), 2000u);  // the buffer compacts along the way
  for (int i = 2000; i < 3000; i += 7) {
    const std::string n = std::to_string(i);
    const auto m = member_of(d, std::string("d").append(n));
    EXPECT_EQ(m.title, std::string("title of report ").append(n));
    EXPECT_EQ(m.snippet, std::string("report number ").append(n).append(" of a long night, with words"));
  }
  d.add(doc("late", "a late report", "late", 0, {}));
  EXPECT_EQ(member_of(d, "late").title, "late");
}
