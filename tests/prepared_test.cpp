// prepared_document, deduplicator::prepare and add_prepared: features computed in one place and
// added in another give exactly what add_batch gives; blobs round-trip, and damaged or foreign
// ones are refused with clear errors.
#include <retold/dedup.hpp>

#include "seed_corpus.hpp"
#include "store/state_file.hpp"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <functional>

#include <cmath>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using retold::errc;

retold::document doc(std::string_view id, std::string_view text, std::string_view title = {}, std::int64_t timestamp = 0,
                     std::string_view source = {}) {
  retold::document d;  // member by member: -Wmissing-field-initializers warns about braces
  d.id = id;
  d.text = text;
  d.title = title;
  d.timestamp = timestamp;
  d.source = source;
  return d;
}

// Every document's story, whether it opened it, what it matched and the scores, as one string per
// document: equal strings mean equal add results.
std::vector<std::string> describe(const std::vector<retold::add_result>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    std::ostringstream s;
    s << static_cast<int>(r.status) << ' ' << r.cluster_id << ' ' << r.new_story << ' ' << r.candidates;
    if (r.leader)
      s << ' ' << r.leader->id << ' ' << r.leader->scores.jaccard << ' ' << r.leader->scores.cosine << ' '
        << r.leader->scores.score << ' ' << static_cast<int>(r.leader->scores.decision);
    out.push_back(s.str());
  }
  return out;
}

std::vector<std::string> stories(const retold::deduplicator& d) {
  std::vector<std::string> out;
  for (const auto& c : d.clusters()) {
    std::string s = std::to_string(c.id) + " rep=" + c.representative + " :";
    for (const auto& m : c.members) s += ' ' + m.id + '/' + m.title + '/' + m.snippet;
    out.push_back(s);
  }
  return out;
}

struct corpus {
  std::vector<std::string> ids, texts, titles, sources;
  std::vector<std::vector<float>> vectors;
  std::vector<retold::document> docs;
};

// Generated news-like texts with planted copies, trims and edits, plus the seed corpus first.
corpus make_corpus(std::size_t n, std::uint64_t seed, std::uint32_t vector_dim = 0) {
  corpus c;
  for (const auto& s : retold::test::load_seed_corpus()) {
    c.ids.push_back(s.id);
    c.texts.push_back(s.text);
    c.titles.push_back(s.title);
    c.sources.push_back(s.source);
  }
  std::mt19937_64 rng(seed);
  std::vector<std::string> vocab;
  for (int w = 0; w < 2000; ++w) {
    std::string word;
    const int len = 3 + static_cast<int>(rng() % 7);
    for (int k = 0; k < len; ++k) word += static_cast<char>('a' + rng() % 26);
    vocab.push_back(word);
  }
  const std::size_t first = c.texts.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::string t;
    if (i > 5 && rng() % 3 == 0) {
      std::istringstream in(c.texts[first + rng() % i]);
      std::vector<std::string> words{std::istream_iterator<std::string>(in), {}};
      if (rng() % 2) words.resize(words.size() * 3 / 4);
      else for (auto& w : words) if (rng() % 12 == 0) w = vocab[rng() % vocab.size()];
      for (const auto& w : words) t += w + ' ';
    } else {
      const int len = 80 + static_cast<int>(rng() % 150);
      for (int w = 0; w < len; ++w) t += vocab[static_cast<std::size_t>(std::pow(double(rng() % 10000) / 10000.0, 2.0) * vocab.size())] + ' ';
    }
    c.ids.push_back("gen-" + std::to_string(i));
    c.texts.push_back(t);
    c.titles.push_back(i % 3 ? "Title " + std::to_string(i % 50) : "");
    c.sources.push_back(i % 4 ? "Outlet" + std::to_string(i % 7) : "Reuters");
  }
  for (std::size_t i = 0; i < c.texts.size(); ++i) {
    if (vector_dim) {
      std::vector<float> v(vector_dim);
      std::mt19937 vr(static_cast<unsigned>(c.texts[i].size() % 97));  // retellings get close vectors
      for (auto& x : v) x = static_cast<float>(vr() % 1000) / 500.0f - 1.0f + static_cast<float>(rng() % 100) / 200.0f;
      c.vectors.push_back(v);
    }
  }
  for (std::size_t i = 0; i < c.texts.size(); ++i) {
    retold::document d = doc(c.ids[i], c.texts[i], c.titles[i], static_cast<std::int64_t>(1700000000 + 600 * i), c.sources[i]);
    if (vector_dim) d.vector = c.vectors[i];
    c.docs.push_back(d);
  }
  return c;
}

// add_batch in one call against prepare -> serialize -> parse -> add_prepared in chunks.
void expect_prepared_equals_batch(const retold::deduplicator_options& o, const corpus& c) {
  retold::deduplicator direct(o);
  const auto want = describe(direct.add_batch(c.docs));

  const retold::deduplicator preparer(o);  // another instance: only the configuration matters
  std::vector<retold::prepared_document> prepared;
  for (const auto& d : c.docs) {
    const std::vector<std::uint8_t> blob = preparer.prepare(d).serialize();
    prepared.push_back(retold::prepared_document::parse(blob));
  }
  retold::deduplicator replay(o);
  std::vector<retold::add_result> got;
  for (std::size_t i = 0; i < prepared.size(); i += 700) {
    auto part = replay.add_prepared(std::span(prepared).subspan(i, std::min<std::size_t>(700, prepared.size() - i)));
    got.insert(got.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  EXPECT_EQ(describe(got), want);
  EXPECT_EQ(stories(replay), stories(direct));
  EXPECT_GT(direct.stats().multi_member_clusters, 10u);
}

TEST(Prepared, AddPreparedEqualsAddBatchWithTheBuiltInEmbedder) {
  retold::deduplicator_options o;  // the default: built-in embedder, the learned decision
  o.threads = 2;
  o.representative.source_priority = {"Reuters"};
  expect_prepared_equals_batch(o, make_corpus(5000, 3));  // crosses DF epochs and a segment
}

TEST(Prepared, AddPreparedEqualsAddBatchLexicalOnlyWithAWindow) {
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::none;
  o.time_window_seconds = 86400;
  o.keep_text = true;
  expect_prepared_equals_batch(o, make_corpus(1500, 5));
}

TEST(Prepared, AddPreparedEqualsAddBatchWithExternalVectors) {
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::external;
  o.external_dimension = 16;
  expect_prepared_equals_batch(o, make_corpus(1500, 9, 16));
}

TEST(Prepared, RoundTripKeepsEveryField) {
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::external;
  o.external_dimension = 4;
  const retold::deduplicator d(o);
  const float v[4] = {3, 0, 4, 0};
  retold::document a = doc("a-1", "Paris hosts the talks on Monday, officials said.", "Talks", 1234, "AFP");
  a.vector = v;
  const auto p = d.prepare(a);
  EXPECT_EQ(p.id(), "a-1");
  EXPECT_EQ(p.timestamp(), 1234);
  EXPECT_EQ(p.source(), "AFP");
  ASSERT_EQ(p.vector().size(), 4u);
  EXPECT_FLOAT_EQ(p.vector()[0], 0.6f);  // normalized, as add() stores it
  EXPECT_EQ(p.signature().size(), o.minhash.num_hashes);
  EXPECT_EQ(p.band_keys().size(), d.options().lsh.bands);
  const auto blob = p.serialize();
  const auto q = retold::prepared_document::parse(blob);
  EXPECT_EQ(q.serialize(), blob);
  EXPECT_EQ(q.config_fingerprint(), p.config_fingerprint());
  EXPECT_TRUE(std::equal(q.band_keys().begin(), q.band_keys().end(), p.band_keys().begin(), p.band_keys().end()));
  const retold::prepared_document copy = q;  // value type
  EXPECT_EQ(copy.serialize(), blob);
}

TEST(Prepared, BandKeysAreTheIndexBucketsAndEmptyWithoutShingles) {
  const retold::deduplicator d;
  const auto a = d.prepare(doc("a", "the minister said on tuesday that the talks would resume in geneva next week"));
  const auto b = d.prepare(doc("b", "the minister said on tuesday that the talks would resume in geneva next week"));
  EXPECT_TRUE(std::equal(a.band_keys().begin(), a.band_keys().end(), b.band_keys().begin(), b.band_keys().end()));
  EXPECT_TRUE(d.prepare(doc("e", "")).band_keys().empty());
}

TEST(Prepared, PrepareRefusesWhatAddRefuses) {
  const retold::deduplicator d;
  try {
    (void)d.prepare(doc("", "text"));
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
  }
  try {
    (void)d.prepare(doc("x", "bad \xff utf8"));
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_utf8);
  }
}

TEST(Prepared, DuplicateIdIsSkippedLikeAddBatch) {
  retold::deduplicator d;
  const std::vector<retold::prepared_document> p{d.prepare(doc("a", "one two three four five six")),
                                                  d.prepare(doc("a", "one two three four five six"))};
  const auto r = d.add_prepared(p);
  EXPECT_EQ(r[0].status, errc::ok);
  EXPECT_EQ(r[1].status, errc::duplicate_id);
  EXPECT_EQ(d.stats().documents, 1u);
}

TEST(Prepared, DamagedAndTruncatedBlobsAreCorruptedState) {
  const retold::deduplicator d;
  const auto blob = d.prepare(doc("a", "some words to sign and sketch for the test", "t", 5, "src")).serialize();
  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{20}, blob.size() / 2, blob.size() - 1}) {
    try {
      (void)retold::prepared_document::parse(std::span(blob).first(cut));
      ADD_FAILURE() << "truncated at " << cut;
    } catch (const retold::error& e) {
      EXPECT_EQ(e.code(), errc::corrupted_state) << cut;
      EXPECT_NE(std::string(e.what()).find("prepared document"), std::string::npos) << e.what();
    }
  }
  for (std::size_t at = 0; at < blob.size(); at += 7) {  // any flipped byte is caught
    auto bad = blob;
    bad[at] ^= 0x40;
    try {
      (void)retold::prepared_document::parse(bad);
      ADD_FAILURE() << "flipped byte " << at;
    } catch (const retold::error& e) {
      EXPECT_TRUE(e.code() == errc::corrupted_state || e.code() == errc::incompatible) << at;
    }
  }
  auto version = blob;
  version[8] = 9;  // format version 9
  try {
    (void)retold::prepared_document::parse(version);
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), errc::incompatible);
  }
}

// `blob` with its embedder terms and counts replaced by what `edit` makes of them, re-encoded with
// the library's own writer and given a valid checksum (computed as parse() checks it), so only
// the field checks can refuse it. Walks the layout serialize() writes.
std::vector<std::uint8_t> with_terms(const std::vector<std::uint8_t>& blob,
                                     const std::function<void(std::vector<std::uint64_t>&, std::vector<float>&)>& edit) {
  const std::size_t body = blob.size() - 8;
  retold::detail::byte_reader r(std::span<const std::uint8_t>(blob.data(), body), "test");
  r.skip(8 + 4 + 8);  // magic, format version, fingerprint
  (void)r.str();      // id
  (void)r.i64();      // timestamp
  for (int k = 0; k < 3; ++k) (void)r.str();  // source, title, snippet
  (void)r.u64();                                // text length
  (void)r.u32_array();                          // signature
  (void)r.u32_array();                          // band keys
  (void)r.bytes();                              // sketch
  const std::size_t terms_at = body - r.remaining();
  auto terms = r.u64_array();
  auto counts = r.f32_array();
  const std::size_t rest_at = body - r.remaining();
  edit(terms, counts);
  retold::detail::byte_writer w;
  w.buffer().assign(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(terms_at));
  w.u64_array(terms);
  w.f32_array(counts);
  w.buffer().insert(w.buffer().end(), blob.begin() + static_cast<std::ptrdiff_t>(rest_at), blob.begin() + static_cast<std::ptrdiff_t>(body));
  w.u64(XXH3_64bits(w.buffer().data(), w.buffer().size()));
  return std::move(w.buffer());
}

TEST(Prepared, EmbedderTermsMustBeSortedUniqueAndCounted) {
  retold::deduplicator d;  // the built-in embedder: the blob carries terms
  const auto blob =
      d.prepare(doc("a", "the minister said on tuesday that the talks would resume in geneva next week")).serialize();
  std::size_t n = 0;
  // The re-encoder itself changes nothing: an unedited blob comes back byte for byte and parses.
  const auto same = with_terms(blob, [&](auto& t, auto&) { n = t.size(); });
  ASSERT_EQ(same, blob);
  ASSERT_GT(n, 3u);
  (void)retold::prepared_document::parse(same);

  const auto expect_refused = [&](const std::vector<std::uint8_t>& bad, std::string_view why) {
    try {
      (void)retold::prepared_document::parse(bad);
      ADD_FAILURE() << "accepted a blob whose terms " << why;
    } catch (const retold::error& e) {
      EXPECT_EQ(e.code(), errc::corrupted_state) << e.what();
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  expect_refused(with_terms(blob, [](auto& t, auto& c) { std::swap(t[1], t[2]), std::swap(c[1], c[2]); }),
                 "embedder term 2 is smaller than the one before it");
  expect_refused(with_terms(blob, [](auto& t, auto&) { t[2] = t[1]; }), "embedder term 2 repeats the one before it");
  expect_refused(with_terms(blob, [](auto& t, auto& c) {  // one term listed twice, each with half its count
                   t.insert(t.begin() + 1, t[1]);
                   c[1] /= 2;
                   c.insert(c.begin() + 1, c[1]);
                 }),
                 "embedder term 2 repeats the one before it");
  expect_refused(with_terms(blob, [](auto&, auto& c) { c[0] = 0.0f; }), "embedder term 0 has count");
  expect_refused(with_terms(blob, [](auto&, auto& c) { c.back() = -1.0f; }), "has count -1");
  // Found by fuzz_prepared: the embedder converts counts to integers, 8e32 is out of range (UB).
  expect_refused(with_terms(blob, [](auto&, auto& c) { c[1] = 8e32f; }), "embedder term 1 has count");
  (void)retold::prepared_document::parse(with_terms(blob, [](auto&, auto& c) { c[1] = 4294967296.0f; }));
  EXPECT_EQ(d.stats().documents, 0u);
  EXPECT_EQ(d.add_prepared(std::vector{retold::prepared_document::parse(same)}).at(0).status, errc::ok);
}

TEST(Prepared, ABlobOfAnotherConfigurationIsRefusedWhole) {
  retold::deduplicator_options other;
  other.shingles.n = 3;
  const retold::deduplicator foreign(other);
  retold::deduplicator d;
  const std::vector<retold::prepared_document> p{d.prepare(doc("a", "one two three four five six seven")),
                                                  foreign.prepare(doc("b", "one two three four five six seven"))};
  try {
    (void)d.add_prepared(p);
    FAIL();
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), errc::incompatible);
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(d.stats().documents, 0u);  // nothing stored
  retold::deduplicator_options snippets;
  snippets.snippet_bytes = 10;
  EXPECT_NE(retold::deduplicator(snippets).prepare(doc("a", "x y z")).config_fingerprint(),
            d.prepare(doc("a", "x y z")).config_fingerprint());
}

}  // namespace
