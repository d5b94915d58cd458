// Resource limits and edge inputs: each documented cap (docs/limits.md) and what happens at and
// just over it. UBSan runs these too, so the extreme timestamps check for overflow.
#include <retold/dedup.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using retold::errc;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

std::size_t peak_rss_bytes() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::size_t>(ru.ru_maxrss) * 1024;
}

retold::document doc(std::string_view id, std::string_view text, std::int64_t ts = 1700000000) {
  return {.id = id, .text = text, .title = {}, .timestamp = ts, .source = {}, .vector = {}};
}

template <class F>
void expect_error(F&& f, errc code, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected " << retold::errc_name(code);
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("retold_limits_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

const std::string kStory =
    "The city council approved the harbour budget on Tuesday after a long debate about the new ferry "
    "terminal, the dredging contract and the fees paid by cruise ships docking in the old port.";

}  // namespace

// Document size: max_document_bytes (1 MiB by default). A 100 MB text is refused before any
// copy or normalization: the peak RSS does not grow by anything like its size.
TEST(Limits, HundredMegabyteDocumentIsRefusedWithoutRunawayMemory) {
  const std::string huge(100u << 20, 'a');  // allocated (and touched) before the baseline
  retold::deduplicator d;
  d.add(doc("small", kStory));
  const std::size_t before = peak_rss_bytes();
  expect_error([&] { d.add(doc("huge", huge)); }, errc::too_large, "huge");
  // In a batch: that document is skipped with too_large, the others are stored.
  const std::string b1 = kStory + " One.";
  const std::vector<retold::document> batch = {doc("b1", b1), doc("huge", huge), doc("b2", "other text")};
  const auto r = d.add_batch(batch);
  EXPECT_EQ(r[0].status, errc::ok);
  EXPECT_EQ(r[1].status, errc::too_large);
  EXPECT_EQ(r[2].status, errc::ok);
  EXPECT_FALSE(d.contains("huge"));
  EXPECT_EQ(d.stats().documents, 3u);
  const std::size_t growth = peak_rss_bytes() - before;
  EXPECT_LT(growth, std::size_t{16} << 20) << "peak RSS grew by " << growth << " bytes";
  // The title counts too: text + title over the limit is refused.
  const std::string half(600u << 10, 'b');
  retold::document both = doc("text-and-title", half);
  both.title = half;
  expect_error([&] { d.add(both); }, errc::too_large, "text-and-title");
  // At the limit exactly it is accepted.
  retold::deduplicator_options o;
  o.max_document_bytes = 4096;
  retold::deduplicator small(o);
  std::string at_limit;
  while (at_limit.size() + 6 <= 4096) at_limit += "word" + std::to_string(at_limit.size() % 10) + " ";
  at_limit.resize(4096, 'x');
  EXPECT_NO_THROW(small.add(doc("at-limit", at_limit)));
  expect_error([&] { small.add(doc("over", at_limit + "y")); }, errc::too_large, "over");
}

// A million tiny documents in bounded time (embedding none: lexical only). Label `slow`
// (tests/CMakeLists.txt): the sanitizer run skips it; a sanitized build runs 20,000 if asked.
TEST(LimitsSlow, MillionTinyDocumentsInBoundedTime) {
  const std::size_t n = kSanitized ? 20000 : 1000000;
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::none;
  o.minhash.num_hashes = 64;
  retold::deduplicator d(o);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> ids, texts;
  std::vector<retold::document> batch;
  for (std::size_t start = 0; start < n; start += 10000) {
    ids.clear();
    texts.clear();
    batch.clear();
    for (std::size_t i = start; i < std::min(n, start + 10000); ++i) {
      ids.push_back("t" + std::to_string(i));
      texts.push_back("tiny note " + std::to_string(i));
    }
    for (std::size_t k = 0; k < ids.size(); ++k)
      batch.push_back(doc(ids[k], texts[k], 1700000000 + static_cast<std::int64_t>(start + k)));
    for (const auto& r : d.add_batch(batch)) ASSERT_EQ(r.status, errc::ok) << r.error;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(d.stats().documents, n);
  std::printf("%zu tiny documents in %.1f s, peak RSS %.0f MiB\n", n, secs, peak_rss_bytes() / 1048576.0);
  EXPECT_LT(secs, 120.0);
}

// A document of only punctuation normalizes to nothing: it is stored as its own story and never
// matches another empty document (two empty sets are not a copy of each other).
// Checked with both match decisions (the learned model and the threshold rule).
class LimitsPunctuation : public ::testing::TestWithParam<retold::match_decision> {};
INSTANTIATE_TEST_SUITE_P(Limits, LimitsPunctuation,
                         ::testing::Values(retold::match_decision::model, retold::match_decision::rule));
TEST_P(LimitsPunctuation, OnlyPunctuationDocumentsAreSingletons) {
  retold::deduplicator_options o;
  o.decision = GetParam();
  retold::deduplicator d(o);
  const auto a = d.add(doc("p1", "!!! ... ??? --- ,,, ;;; ((( ))) \"\"\" ''' ***"));
  const auto b = d.add(doc("p2", "?!?! ... !!!"));
  const auto c = d.add(doc("p3", "   \t\n  "));
  EXPECT_TRUE(a.new_story);
  EXPECT_TRUE(b.new_story) << "joined " << (b.leader ? b.leader->id : "");
  EXPECT_TRUE(c.new_story) << "joined " << (c.leader ? c.leader->id : "");
  EXPECT_NE(d.cluster_of("p1"), d.cluster_of("p2"));
  const auto q = d.query("!!!");
  EXPECT_TRUE(q.empty()) << q.front().id;
  // A real story is not pulled into them either.
  const auto real = d.add(doc("real", kStory));
  EXPECT_TRUE(real.new_story) << "joined " << (real.leader ? real.leader->id : "");
}

// Ids: non-empty, at most 1024 bytes (counted in bytes, not characters), and they survive a
// save and load at the limit.
TEST(Limits, IdAtAndOverTheLimit) {
  retold::deduplicator d;
  const std::string at(1024, 'i');
  std::string multibyte;
  while (multibyte.size() + 2 <= 1024) multibyte += "\xc3\xa9";  // é, 2 bytes: 1024 bytes, 512 chars
  EXPECT_NO_THROW(d.add(doc(at, kStory)));
  EXPECT_NO_THROW(d.add(doc(multibyte, "another text entirely about football")));
  expect_error([&] { d.add(doc(at + "i", "x")); }, errc::invalid_argument, "1024");
  expect_error([&] { d.add(doc(multibyte + "e", "x")); }, errc::invalid_argument, "1024");
  expect_error([&] { d.add(doc("", "x")); }, errc::invalid_argument, "id");
  EXPECT_EQ(d.stats().documents, 2u);
  const fs::path dir = temp_dir("ids");
  d.save(dir);
  const auto back = retold::deduplicator::load(dir);
  EXPECT_TRUE(back.contains(at));
  EXPECT_TRUE(back.contains(multibyte));
  fs::remove_all(dir);
}

// External vectors: NaN and infinity are refused (invalid_argument, naming the document), nothing
// stored; an all-zero vector is accepted (it has cosine 0 with everything, so it matches on
// Jaccard only); queries refuse non-finite vectors too.
TEST(Limits, ExternalVectorsNanInfinityAndZeros) {
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::external;
  o.external_dimension = 4;
  retold::deduplicator d(o);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const std::vector<float> with_nan = {1, nan, 0, 0}, with_inf = {1, 0, -inf, 0}, zeros = {0, 0, 0, 0},
                           ok = {1, 2, 3, 4}, huge = {3e38f, 3e38f, -3e38f, 1};
  auto vdoc = [&](std::string_view id, std::string_view text, const std::vector<float>& v) {
    retold::document x = doc(id, text);
    x.vector = v;
    return x;
  };
  expect_error([&] { d.add(vdoc("nan", kStory, with_nan)); }, errc::invalid_argument, "nan");
  expect_error([&] { d.add(vdoc("inf", kStory, with_inf)); }, errc::invalid_argument, "inf");
  EXPECT_EQ(d.stats().documents, 0u);
  EXPECT_NO_THROW(d.add(vdoc("zeros", kStory, zeros)));
  EXPECT_NO_THROW(d.add(vdoc("huge", "a different text about the weather in spring", huge)));
  const auto copy = d.add(vdoc("copy", kStory, ok));  // the same text: a Jaccard match
  EXPECT_FALSE(copy.new_story);
  ASSERT_TRUE(copy.leader);
  EXPECT_EQ(copy.leader->id, "zeros");
  EXPECT_TRUE(std::isfinite(copy.leader->scores.score));
  for (const auto& m : d.query_vector(huge)) EXPECT_TRUE(std::isfinite(m.scores.score)) << m.id;
  expect_error([&] { (void)d.query_vector(with_nan); }, errc::invalid_argument, "non-finite");
  expect_error([&] { (void)d.query_vector(with_inf); }, errc::invalid_argument, "non-finite");
  EXPECT_NO_THROW((void)d.query_vector(zeros));
  expect_error([&] { d.add(vdoc("short", kStory, {1, 2})); }, errc::incompatible, "dimension");
}

// The same id twice in one batch: the first is stored, the second skipped with duplicate_id.
TEST(Limits, SameIdTwiceInABatch) {
  retold::deduplicator d;
  const std::vector<retold::document> batch = {doc("twice", kStory), doc("other", "football scores of the weekend"),
                                               doc("twice", "a completely different text")};
  const auto r = d.add_batch(batch);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].status, errc::ok);
  EXPECT_EQ(r[1].status, errc::ok);
  EXPECT_EQ(r[2].status, errc::duplicate_id);
  EXPECT_NE(r[2].error.find("twice"), std::string::npos) << r[2].error;
  EXPECT_EQ(d.stats().documents, 2u);
  expect_error([&] { d.add(doc("twice", kStory)); }, errc::duplicate_id, "twice");
}

// Timestamps at the ends of int64 with a time window: no overflow (UBSan), and the window holds:
// INT64_MIN and INT64_MAX are far apart, each matches its own neighbours.
TEST(Limits, ExtremeTimestampsWithATimeWindow) {
  constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
  for (const std::int64_t window : {std::int64_t{1}, std::int64_t{86400}, hi}) {
    retold::deduplicator_options o;
    o.time_window_seconds = window;
    retold::deduplicator d(o);
    d.add(doc("lo", kStory, lo));
    const auto r = d.add(doc("hi", kStory, hi));
    // INT64_MAX - INT64_MIN is 2^64 - 1 seconds: outside every window, even INT64_MAX.
    EXPECT_TRUE(r.new_story) << "window " << window;
    const auto near_lo = d.add(doc("lo+1", kStory, lo + 1));
    EXPECT_FALSE(near_lo.new_story);
    const auto near_hi = d.add(doc("hi-1", kStory, hi - 1));
    EXPECT_FALSE(near_hi.new_story);
    retold::query_options q;
    q.timestamp = lo;
    for (const auto& m : d.query(kStory, q))
      EXPECT_TRUE(m.id == "lo" || m.id == "lo+1" || window == hi) << m.id;
    q.timestamp = hi;
    EXPECT_FALSE(d.query(kStory, q).empty());
    EXPECT_EQ(d.evict_before(lo), 0u);
    EXPECT_EQ(d.evict_before(hi), 3u);  // all but "hi"
    EXPECT_TRUE(d.contains("hi"));
  }
}
