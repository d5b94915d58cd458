// Tests of the built-in TF-IDF embedder (include/retold/embed.hpp).
#include <retold/embed.hpp>
#include <retold/error.hpp>

#include "features/detail/embed_simd.hpp"
#include "features/detail/hash_mix.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace {

using retold::tfidf_embedder;
using retold::tfidf_embedder_options;

float norm(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += double(x) * x;
  return static_cast<float>(std::sqrt(s));
}

float dot(const std::vector<float>& a, const std::vector<float>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0f);
}

std::size_t shared_terms(const retold::term_counts& a, const retold::term_counts& b) {
  std::vector<std::uint64_t> out;
  std::set_intersection(a.terms.begin(), a.terms.end(), b.terms.begin(), b.terms.end(), std::back_inserter(out));
  return out.size();
}

TEST(Embed, ExtractIsSortedUniqueAndCountsEveryFeature) {
  const tfidf_embedder e;  // words + char 4-grams of " word "
  const auto tc = e.extract("the cat saw the cat");
  ASSERT_EQ(tc.terms.size(), tc.counts.size());
  EXPECT_TRUE(std::is_sorted(tc.terms.begin(), tc.terms.end()));
  EXPECT_EQ(std::adjacent_find(tc.terms.begin(), tc.terms.end()), tc.terms.end());
  // 5 words; " the " and " cat " and " saw " have 2 four-grams each: 5 * 2 = 10 grams.
  const float total = std::accumulate(tc.counts.begin(), tc.counts.end(), 0.0f);
  EXPECT_FLOAT_EQ(total, 15.0f);
  // distinct: 3 words + 6 grams
  EXPECT_EQ(tc.terms.size(), 9u);
  EXPECT_EQ(*std::max_element(tc.counts.begin(), tc.counts.end()), 2.0f);
}

TEST(Embed, ExtractIgnoresExtraSpacesAndIsDeterministic) {
  const tfidf_embedder e;
  EXPECT_EQ(e.extract("alpha beta"), e.extract("  alpha   beta "));
  EXPECT_EQ(e.extract("alpha beta"), tfidf_embedder().extract("alpha beta"));
  EXPECT_TRUE(e.extract("").terms.empty());
  tfidf_embedder_options o;
  o.seed = 99;
  EXPECT_EQ(shared_terms(e.extract("alpha beta"), tfidf_embedder(o).extract("alpha beta")), 0u);
}

TEST(Embed, CharacterGramsLinkMorphologicalAndAccentVariants) {
  const tfidf_embedder e;
  // "café" (non-ASCII path) and "cafe" (ASCII path) share the gram " caf".
  EXPECT_GE(shared_terms(e.extract("café"), e.extract("cafe")), 1u);
  EXPECT_GE(shared_terms(e.extract("negotiations"), e.extract("negotiators")), 5u);
  // Urdu: inflected forms share grams.
  EXPECT_GE(shared_terms(e.extract("پاکستانی"), e.extract("پاکستان")), 3u);
}

TEST(Embed, WordNgramsAreOptional) {
  tfidf_embedder_options o;
  o.char_ngram_min = 0;
  o.word_ngram_max = 2;
  const tfidf_embedder e(o);
  const auto tc = e.extract("a b c");
  EXPECT_EQ(tc.terms.size(), 5u);  // 3 words + 2 bigrams
  EXPECT_EQ(shared_terms(e.extract("a b"), e.extract("b a")), 2u);  // words only, not the bigram
}

TEST(Embed, EmbeddingIsUnitNormAndSimilarTextsAreCloser) {
  tfidf_embedder e;
  const std::string a = "the central bank raised interest rates by half a point on tuesday";
  const std::string b = "on tuesday the central bank raised its interest rate by 0 5 points";
  const std::string c = "the football club signed a new striker from brazil for the season";
  for (const auto& t : {a, b, c}) e.observe(e.extract(t));
  const auto va = e.embed(e.extract(a)), vb = e.embed(e.extract(b)), vc = e.embed(e.extract(c));
  EXPECT_NEAR(norm(va), 1.0f, 1e-5f);
  EXPECT_NEAR(dot(va, va), 1.0f, 1e-5f);
  EXPECT_GT(dot(va, vb), dot(va, vc) + 0.2f);
  EXPECT_GT(dot(va, vb), 0.4f);
  const auto empty = e.embed(e.extract(""));
  EXPECT_EQ(norm(empty), 0.0f);
}

TEST(Embed, IdfFollowsObservedDocumentsAndForgetUndoesObserve) {
  tfidf_embedder e;
  const auto common = e.extract("news");
  const auto rare = e.extract("zanzibar");
  const auto before = e.serialize();
  EXPECT_EQ(e.idf(common.terms[0]), e.idf(rare.terms[0]));
  for (int i = 0; i < 10; ++i) e.observe(e.extract("news of the day " + std::to_string(i)));
  EXPECT_EQ(e.documents_observed(), 10u);
  EXPECT_LT(e.idf(common.terms[0]), e.idf(rare.terms[0]));
  for (int i = 0; i < 10; ++i) e.forget(e.extract("news of the day " + std::to_string(i)));
  EXPECT_EQ(e.documents_observed(), 0u);
  EXPECT_EQ(e.serialize(), before);
  e.forget(common);  // never observed: counters stay at zero
  EXPECT_EQ(e.serialize(), before);
}

TEST(Embed, NumbersWeighMore) {
  tfidf_embedder_options plain;
  plain.number_weight = 1.0f;
  plain.char_ngram_min = 0;
  tfidf_embedder_options boosted = plain;
  boosted.number_weight = 3.0f;
  const std::string a = "storm kills 12 people", b = "storm kills 40 people";
  const tfidf_embedder p(plain), q(boosted);
  const float cp = dot(p.embed(p.extract(a)), p.embed(p.extract(b)));
  const float cq = dot(q.embed(q.extract(a)), q.embed(q.extract(b)));
  EXPECT_LT(cq, cp - 0.1f);
}

TEST(Embed, EmbedIntoChecksSizeAndMatchesEmbed) {
  tfidf_embedder e;
  const auto tc = e.extract("some words here");
  std::vector<float> out(e.dimension());
  e.embed_into(tc, out);
  EXPECT_EQ(out, e.embed(tc));
  std::vector<float> small(3);
  try {
    e.embed_into(tc, small);
    FAIL();
  } catch (const retold::error& err) {
    EXPECT_EQ(err.code(), retold::errc::invalid_argument);
  }
}

TEST(Embed, SerializeRoundTripsAndRejectsDamage) {
  tfidf_embedder_options o;
  o.dimension = 64;
  o.word_ngram_max = 2;
  o.df_buckets_log2 = 12;
  tfidf_embedder e(o);
  for (const char* t : {"one two three", "two three four", "five six"}) e.observe(e.extract(t));
  const auto bytes = e.serialize();
  const auto back = tfidf_embedder::deserialize(bytes);
  EXPECT_EQ(back.options(), o);
  EXPECT_EQ(back.documents_observed(), 3u);
  const auto tc = e.extract("two three five");
  EXPECT_EQ(back.embed(tc), e.embed(tc));
  EXPECT_EQ(back.serialize(), bytes);

  auto code_of = [](std::vector<std::uint8_t> b) {
    try {
      (void)tfidf_embedder::deserialize(b);
    } catch (const retold::error& err) {
      return err.code();
    }
    return retold::errc::ok;
  };
  auto flipped = bytes;
  flipped[40] ^= 1;
  EXPECT_EQ(code_of(flipped), retold::errc::corrupted_state);
  EXPECT_EQ(code_of({bytes.begin(), bytes.end() - 1}), retold::errc::corrupted_state);
  EXPECT_EQ(code_of({bytes.begin(), bytes.begin() + 5}), retold::errc::corrupted_state);
  auto other = bytes;
  other[0] = 'X';
  EXPECT_EQ(code_of(other), retold::errc::corrupted_state);
  // A future format version with a valid checksum is incompatible, not corrupted.
  auto future = bytes;
  future[8] = 2;
  const std::uint64_t sum = XXH3_64bits(future.data(), future.size() - 8);
  for (int i = 0; i < 8; ++i) future[future.size() - 8 + i] = static_cast<std::uint8_t>(sum >> (8 * i));
  EXPECT_EQ(code_of(future), retold::errc::incompatible);
}

// Counts come from callers too (term_counts is public, and prepared blobs carry them): a count
// beyond every integer type must not reach a float-to-integer conversion (undefined behaviour,
// found by fuzz_prepared), and an infinite one is refused rather than turning the vector to NaN.
TEST(Embed, HugeAndNonFiniteCounts) {
  const retold::tfidf_embedder e;
  retold::term_counts tc = e.extract("a court ruled on the appeal of the ban on tuesday");
  ASSERT_GE(tc.terms.size(), 2u);
  const auto base = e.embed(tc);
  tc.counts[0] = 8e32f;  // huge: weighs 1 + ln(8e32) under sublinear tf, finite
  const auto huge = e.embed(tc);
  for (float x : huge) ASSERT_TRUE(std::isfinite(x));
  EXPECT_NE(huge, base);
  tc.counts[0] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(e.embed(tc), retold::error);
  tc.counts[0] = std::numeric_limits<float>::quiet_NaN();  // contributes nothing
  for (float x : e.embed(tc)) EXPECT_TRUE(std::isfinite(x));
}

TEST(Embed, ValidatesOptions) {
  auto code_of = [](tfidf_embedder_options o) {
    try {
      tfidf_embedder e(o);
    } catch (const retold::error& err) {
      return err.code();
    }
    return retold::errc::ok;
  };
  tfidf_embedder_options o;
  o.dimension = 0;
  EXPECT_EQ(code_of(o), retold::errc::invalid_argument);
  o = {};
  o.char_ngram_min = 5;
  o.char_ngram_max = 3;
  EXPECT_EQ(code_of(o), retold::errc::invalid_argument);
  o = {};
  o.word_ngram_max = 0;
  o.char_ngram_min = 0;
  EXPECT_EQ(code_of(o), retold::errc::invalid_argument);
  o = {};
  o.df_buckets_log2 = 40;
  EXPECT_EQ(code_of(o), retold::errc::invalid_argument);
  o = {};
  o.number_weight = -1;
  EXPECT_EQ(code_of(o), retold::errc::invalid_argument);
  // A weight too large for float arithmetic made every embedding inf/NaN (found by fuzz_state in a
  // saved state); the largest allowed one still gives a finite unit vector.
  o = {};
  o.char_weight = 1e30f;
  EXPECT_EQ(code_of(o), retold::errc::invalid_argument);
  o = {};
  o.word_weight = o.number_weight = o.char_weight = o.word_ngram_weight = 1e6f;
  o.sublinear_tf = false;
  ASSERT_EQ(code_of(o), retold::errc::ok);
  {
    tfidf_embedder e(o);
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "repeat 12345 word ";
    const auto terms = e.extract(text);
    e.observe(terms);
    const auto v = e.embed(terms);
    double norm = 0;
    for (float x : v) {
      ASSERT_TRUE(std::isfinite(x));
      norm += double{x} * x;
    }
    EXPECT_NEAR(norm, 1.0, 1e-3);
  }
  EXPECT_EQ(code_of({}), retold::errc::ok);
}

TEST(Embed, CosineHandlesUnnormalizedZeroAndMismatchedVectors) {
  const std::vector<float> a{3, 4}, b{6, 8}, c{-4, 3}, z{0, 0};
  EXPECT_NEAR(retold::cosine(a, b), 1.0f, 1e-6f);
  EXPECT_NEAR(retold::cosine(a, c), 0.0f, 1e-6f);
  EXPECT_EQ(retold::cosine(a, z), 0.0f);
  EXPECT_EQ(retold::cosine(a, std::vector<float>{1, 2, 3}), 0.0f);
  std::vector<float> v{3, 4};
  retold::l2_normalize(v);
  EXPECT_NEAR(v[0], 0.6f, 1e-6f);
  EXPECT_NEAR(v[1], 0.8f, 1e-6f);
}

}  // namespace

// Document frequencies past the first 4,096 are looked up in chunks filled on first use: every
// value equals float(std::log1p(df)), across chunk boundaries, past the table's end (2^24) and
// when threads fill chunks at the same moment.
TEST(Embed, IdfOfLargeDocumentFrequenciesIsExact) {
  tfidf_embedder e;
  const auto term = e.extract("news").terms[0];
  auto expected = [&](std::uint64_t docs, std::uint64_t df) {
    return static_cast<float>(std::log1p(static_cast<double>(docs))) -
           static_cast<float>(std::log1p(static_cast<double>(df))) + 1.0f;
  };
  // observe() counts each entry of terms: one document that lists the term k times adds k.
  std::uint64_t df = 0, docs = 0;
  auto raise_to = [&](std::uint64_t target) {
    while (df < target) {
      const std::uint64_t step = std::min<std::uint64_t>(target - df, std::uint64_t{1} << 20);
      retold::term_counts t;
      t.terms.assign(step, term);
      t.counts.assign(step, 1.0f);
      e.observe(t);
      df += step;
      ++docs;
    }
  };
  for (std::uint64_t target : {4095ull, 4096ull, 4097ull, 8191ull, 8192ull, 12345ull, 1000003ull,
                               (1ull << 24) - 1, 1ull << 24, (1ull << 24) + 3}) {
    raise_to(target);
    EXPECT_EQ(e.idf(term), expected(docs, df)) << "df " << df;
  }
}

TEST(Embed, IdfTableFilledConcurrentlyAgrees) {
  // Terms whose frequencies fall in chunks no other test touched (2^21 and up).
  std::vector<tfidf_embedder> embedders;
  std::vector<float> want;
  for (int k = 0; k < 8; ++k) {
    tfidf_embedder e;
    const auto term = e.extract("w" + std::to_string(k)).terms[0];
    retold::term_counts t;
    const std::uint64_t df = (std::uint64_t{1} << 21) + 4096 * static_cast<std::uint64_t>(k) + 17;
    t.terms.assign(df, term);
    t.counts.assign(df, 1.0f);
    e.observe(t);
    want.push_back(static_cast<float>(std::log1p(1.0)) - static_cast<float>(std::log1p(static_cast<double>(df))) + 1.0f);
    embedders.push_back(std::move(e));
  }
  std::vector<std::vector<float>> got(4, std::vector<float>(8));
  std::vector<std::thread> threads;
  for (int th = 0; th < 4; ++th)
    threads.emplace_back([&, th] {
      for (int k = 0; k < 8; ++k) {
        const auto& e = embedders[static_cast<std::size_t>(k)];
        got[static_cast<std::size_t>(th)][static_cast<std::size_t>(k)] = e.idf(e.extract("w" + std::to_string(k)).terms[0]);
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

namespace {

// Deterministic normalized texts over what extract() distinguishes: ASCII words, words with
// digits (number terms), multi-byte words (Cyrillic, Greek, Arabic, CJK, combining marks), words
// longer than eight bytes (the eight-byte scan's tail), repeats and runs of spaces.
std::vector<std::string> golden_texts() {
  static const char* const words[] = {
      "the", "minister", "said", "kyiv", "2024", "a1b", "9", "covid19", "x", "internationalisation",
      "\xD0\xBA\xD0\xB8\xD1\x97\xD0\xB2", "\xD0\xBC\xD0\xB8\xD0\xBD\xD0\xB8\xD1\x81\xD1\x82\xD1\x80\xD0\xB0",
      "\xCE\xB1\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1", "\xD8\xA7\xD9\x84\xD8\xB5\xD9\x86\xD8\xAF\xD9\x88\xD9\x82",
      "\xE4\xB8\xAD\xE5\x9B\xBD", "e\xCC\x81te\xCC\x81", "\xD9\xA1\xD9\xA0", "12345678", "abcdefg7", "abcdefgh9ij"};
  constexpr std::size_t n_words = sizeof words / sizeof words[0];
  std::uint64_t x = 88172645463325252ULL;  // xorshift: the same texts on every platform
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<std::string> texts;
  for (int t = 0; t < 200; ++t) {
    std::string s;
    const std::size_t n = next() % (t % 10 == 0 ? 900 : 80);
    for (std::size_t i = 0; i < n; ++i) {
      if (i) s += (next() % 17 == 0) ? "  " : " ";
      if (next() % 3 == 0) s.append("w").append(std::to_string(next() % 3000));
      else s += words[next() % n_words];
    }
    texts.push_back(std::move(s));
  }
  return texts;
}

std::uint64_t fnv(std::uint64_t h, const void* p, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001B3ULL;
  return h;
}

}  // namespace

// The terms, counts and embedding bits of fixed texts, for the default options and for word
// n-grams with 3..5 character grams: pinned, because the learned match model and saved states
// depend on them. The golden values were computed by the build before the extract() and
// embed_into() speed changes (commit a92d95d, x86-64); any change to them is a format change.
TEST(Embed, TermsAndEmbeddingBitsArePinned) {
  const auto texts = golden_texts();
  tfidf_embedder_options wide;
  wide.word_ngram_max = 3;
  wide.char_ngram_min = 3;
  wide.char_ngram_max = 5;
  wide.dimension = 128;
  struct config {
    tfidf_embedder_options opts;
    std::uint64_t terms, bits;
  };
  const config configs[] = {{tfidf_embedder_options{}, 0xb0db5d95dddcd5b9ULL, 0xb4806e92908e48e0ULL},
                            {wide, 0xece5c94a1296ddc9ULL, 0x75868bff6012bbc8ULL}};
  for (const auto& c : configs) {
    tfidf_embedder e(c.opts);
    std::vector<retold::term_counts> tcs;
    for (const auto& t : texts) tcs.push_back(e.extract(t));
    for (std::size_t i = 0; i < tcs.size(); i += 2) e.observe(tcs[i]);  // uneven document frequencies
    std::uint64_t th = 0xcbf29ce484222325ULL, vh = 0xcbf29ce484222325ULL;
    for (const auto& tc : tcs) {
      th = fnv(th, tc.terms.data(), tc.terms.size() * sizeof(std::uint64_t));
      th = fnv(th, tc.counts.data(), tc.counts.size() * sizeof(float));
      const auto v = e.embed(tc);
      vh = fnv(vh, v.data(), v.size() * sizeof(float));
    }
    EXPECT_EQ(th, c.terms) << "dimension " << c.opts.dimension;
#if defined(__x86_64__)  // float bits pinned as x86-64 computes them (no FMA contraction there)
    EXPECT_EQ(vh, c.bits) << "dimension " << c.opts.dimension;
#endif
  }
}

// The AVX-512 projection (where the CPU has it) and the scalar one give the same bits, on every
// case the vector kernel hands back to scalar code: counts other than 1 (fractional, huge, zero,
// negative, NaN), document frequencies past the first log table chunk, term lists that are not a
// multiple of 8 long or span several blocks of 512 (and blocks done by the plain loop after one
// that fell back too often), other dimensions and kind weights.
TEST(Embed, VectorAndScalarProjectionsAgreeBitForBit) {
  if (!retold::detail::embed_simd_enabled()) GTEST_SKIP() << "no AVX-512 here (or RETOLD_SIMD set): one path only";
  const auto texts = golden_texts();
  for (const std::uint32_t dim : {256u, 7u, 1000u}) {
    tfidf_embedder_options o;
    o.dimension = dim;
    o.word_ngram_max = 2;
    o.number_weight = 3.5f;
    o.word_ngram_weight = 0.25f;
    tfidf_embedder e(o);
    std::vector<retold::term_counts> tcs;
    for (const auto& t : texts) tcs.push_back(e.extract(t));
    for (std::size_t i = 0; i < tcs.size(); i += 3) e.observe(tcs[i]);
    for (int r = 0; r < 5000; ++r) e.observe(tcs[1]);  // df > 4,096: past the kernel's table
    const auto same_both_ways = [&](const retold::term_counts& tc) {
      retold::detail::set_embed_simd(true);
      const auto v = e.embed(tc);
      retold::detail::set_embed_simd(false);
      const auto s = e.embed(tc);
      retold::detail::set_embed_simd(true);
      ASSERT_EQ(v.size(), s.size());
      ASSERT_EQ(std::memcmp(v.data(), s.data(), v.size() * sizeof(float)), 0)
          << "dimension " << dim << ", " << tc.terms.size() << " terms";
    };
    for (const auto& tc : tcs) same_both_ways(tc);  // as extracted: mostly the vector lanes
    std::uint64_t x = 12345;
    for (auto& tc : tcs) {
      for (auto& c : tc.counts) {  // half the counts changed: lanes fall back, blocks go plain
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        switch ((x >> 33) % 10) {
          case 0: c = 0.0f; break;
          case 1: c = -2.0f; break;
          case 2: c = 2.5f; break;
          case 3: c = std::numeric_limits<float>::quiet_NaN(); break;
          case 4: c = 3e9f; break;
          default: break;
        }
      }
    }
    for (const auto& tc : tcs) same_both_ways(tc);
  }
}

namespace {

// extract() with the default options written the plain way (std::map, one gram at a time): the
// oracle for the faster code paths below.
retold::term_counts reference_extract(std::string_view text, std::uint64_t seed) {
  std::map<std::uint64_t, double> m;
  const std::uint64_t cseed = seed ^ (0x9E3779B97F4A7C15ULL * (0x100 + 4));
  std::size_t b = 0;
  while (b <= text.size()) {
    std::size_t e = text.find(' ', b);
    if (e == std::string_view::npos) e = text.size();
    if (e > b) {
      const std::string_view tok = text.substr(b, e - b);
      const bool digit = std::any_of(tok.begin(), tok.end(), [](char c) { return c >= '0' && c <= '9'; });
      m[(XXH3_64bits_withSeed(tok.data(), tok.size(), seed) & ~3ULL) | (digit ? 1 : 0)] += 1;
      const std::string p = " " + std::string(tok) + " ";
      std::vector<std::size_t> off;
      for (std::size_t i = 0; i < p.size(); ++i)
        if ((static_cast<unsigned char>(p[i]) & 0xC0) != 0x80) off.push_back(i);
      off.push_back(p.size());
      for (std::size_t i = 0; i + 4 < off.size(); ++i) {
        const std::size_t len = off[i + 4] - off[i];
        std::uint64_t h;
        if (len <= 8) {
          std::uint64_t x = 0;
          for (std::size_t k = 0; k < len; ++k) x |= std::uint64_t{static_cast<unsigned char>(p[off[i] + k])} << (8 * k);
          h = retold::detail::fmix64(x ^ cseed ^ (0x9E3779B97F4A7C15ULL * (len + 1)));
        } else {
          h = XXH3_64bits_withSeed(p.data() + off[i], len, cseed);
        }
        m[(h & ~3ULL) | 2] += 1;
      }
    }
    b = e + 1;
  }
  retold::term_counts r;
  for (const auto& [t, c] : m) {
    r.terms.push_back(t);
    r.counts.push_back(static_cast<float>(c));  // exact: every count here is below 2^24
  }
  return r;
}

}  // namespace

// The fast extraction (in-place and padded grams, 8 at a time or not, tokens found 16 bytes at a
// time) against the oracle, on the golden texts and on texts whose tokens touch both ends, with
// the vector code on and off.
TEST(Embed, ExtractMatchesThePlainDefinition) {
  const tfidf_embedder e;
  auto texts = golden_texts();
  texts.push_back("ab");
  texts.push_back("abcdefghijklmnopqrstu");
  texts.push_back(" \xD0\xBA\xD0\xB8\xD1\x97\xD0\xB2x");
  texts.push_back("a b c d e f g h i j k l m n o p q r s t u v w x y z 0123456789abcdef");
  for (bool simd : {true, false}) {
    retold::detail::set_embed_simd(simd);
    for (const auto& t : texts) {
      const auto want = reference_extract(t, e.options().seed);
      ASSERT_EQ(e.extract(t), want) << "simd " << simd << ": " << t.substr(0, 60);
      // a copy in an allocation of its own size (under ASan a read past its end fails)
      const std::string owned(t);
      ASSERT_EQ(e.extract(std::string_view(owned)), want);
    }
  }
  retold::detail::set_embed_simd(true);
}

// Four-letter tokens whose middle 4-gram (the token itself) hashes to the same top 16 bits, the
// bits extract() orders by before its insertions: ~1,200 of them in one run, the insertions exceed
// their budget and the stable-sort fallback finishes. The result is still the plain definition's.
TEST(Embed, ExtractOfCraftedCollidingGramsIsExact) {
  const tfidf_embedder e;
  const std::uint64_t key = e.options().seed ^ (0x9E3779B97F4A7C15ULL * (0x100 + 4)) ^ (0x9E3779B97F4A7C15ULL * 5);
  std::string text;
  for (std::uint64_t a = 0x21; a < 0x7F; ++a)
    for (std::uint64_t b = 0x21; b < 0x7F; ++b)
      for (std::uint64_t c = 0x21; c < 0x7F; ++c)
        for (std::uint64_t d = 0x21; d < 0x7F; ++d) {
          if (retold::detail::fmix64((a | b << 8 | c << 16 | d << 24) ^ key) >> 48 != 0x5A5A) continue;
          if (!text.empty()) text += ' ';
          for (const std::uint64_t ch : {a, b, c, d}) text += static_cast<char>(ch);
        }
  ASSERT_GT(text.size(), 4000u);
  EXPECT_EQ(e.extract(text), reference_extract(text, e.options().seed));
}

// A text large enough (5.6 MB of mostly one-letter tokens) that its counts could pass 2^24 by
// extract()'s bound: the distinct tokens then go in table order; the terms and counts stay the
// plain definition's.
TEST(Embed, ExtractOfAHugeTextIsExact) {
  const tfidf_embedder e;
  std::string text;
  std::uint64_t x = 99;
  for (std::size_t t = 0; t < 2900000; ++t) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    if (t) text += ' ';
    const int len = t % 16 == 0 ? 5 : 1;
    for (int i = 0; i < len; ++i) text += static_cast<char>('a' + (x >> (8 + 4 * i)) % 7);
  }
  EXPECT_EQ(e.extract(text), reference_extract(text, e.options().seed));
}
