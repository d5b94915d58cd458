// Unit tests for normalization, tokenization, UTF-8 validation and boilerplate stripping.
#include <retold/error.hpp>
#include <retold/text.hpp>

#include <gtest/gtest.h>

#include "seed_corpus.hpp"
#include "text/detail/utf8.hpp"

#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cstring>
#include <atomic>
#include <filesystem>
#include <thread>
#include <random>
#include <vector>
#include <fstream>
#include <sstream>
#include <string>

using retold::errc;
using retold::normalize;
using retold::normalize_options;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

errc code_of(std::string_view text, const normalize_options& opts = {}) {
  try {
    (void)normalize(text, opts);
  } catch (const retold::error& e) {
    return e.code();
  }
  return errc::ok;
}

std::string message_of(std::string_view text) {
  try {
    (void)normalize(text);
  } catch (const retold::error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST(Normalize, AsciiPunctuationAndCase) {
  EXPECT_EQ(normalize("Hello, World!  It's 2024."), "hello world it s 2024");
  EXPECT_EQ(normalize("  \t\n leading and trailing \r\n "), "leading and trailing");
  EXPECT_EQ(normalize("a--b__c...d"), "a b c d");
  EXPECT_EQ(normalize("COVID-19 vaccine: 95% effective"), "covid 19 vaccine 95 effective");
}

TEST(Normalize, EmptyAndSeparatorOnly) {
  EXPECT_EQ(normalize(""), "");
  EXPECT_EQ(normalize("   \n\t "), "");
  EXPECT_EQ(normalize("!!! ... --- «»"), "");
  EXPECT_EQ(normalize(std::string_view("\0\0", 2)), "");
}

TEST(Normalize, OptionsOff) {
  normalize_options keep;
  keep.casefold = false;
  keep.fold_punctuation = false;
  EXPECT_EQ(normalize("Hello,   World!", keep), "Hello, World!");
  normalize_options keep_case;
  keep_case.casefold = false;
  EXPECT_EQ(normalize("Hello, World! ＡＢＣ", keep_case), "Hello World ABC");
  normalize_options keep_punct;
  keep_punct.fold_punctuation = false;
  EXPECT_EQ(normalize("Hello, «World»!", keep_punct), "hello, «world»!");
}

TEST(Normalize, NfkcAndCaseFolding) {
  EXPECT_EQ(normalize("ﬁne ＡＢＣ１２３"), "fine abc123");
  EXPECT_EQ(normalize("Straße"), "strasse");
  EXPECT_EQ(normalize("STRASSE"), "strasse");
  EXPECT_EQ(normalize("GRÖSSE Größe"), "grösse grösse");
  // Precomposed and decomposed forms are the same text.
  EXPECT_EQ(normalize("Cafe\xCC\x81 CAFÉ"), "café café");
  EXPECT_EQ(normalize("Café"), normalize("Cafe\xCC\x81"));
  EXPECT_EQ(normalize("Ｋｙｉｖ"), "kyiv");
}

TEST(Normalize, TurkishDottedAndDotlessI) {
  EXPECT_EQ(normalize("İSTANBUL"), "istanbul");
  EXPECT_EQ(normalize("İstanbul"), normalize("istanbul"));
  EXPECT_EQ(normalize("I\xCC\x87stanbul"), "istanbul");  // I + combining dot above
  EXPECT_EQ(normalize("KIRMIZI"), normalize("kırmızı"));
  EXPECT_EQ(normalize("ışık IŞIK"), "işik işik");
  EXPECT_EQ(normalize("Çağrı Şükrü Öğe"), "çağri şükrü öğe");
}

TEST(Normalize, Cyrillic) {
  EXPECT_EQ(normalize("Привет, МИР!"), "привет мир");
  EXPECT_EQ(normalize("Ёлка — «ЗЕЛЁНАЯ»."), "ёлка зелёная");
  EXPECT_EQ(normalize("Київ, Україна"), "київ україна");
}

TEST(Normalize, UrduArabicScript) {
  // Arabic comma (U+060C) and Urdu full stop (U+06D4) separate words.
  EXPECT_EQ(normalize("پاکستان، زندہ باد۔"), "پاکستان زندہ باد");
  // Zero-width non-joiner inside a word is removed, not a word break.
  EXPECT_EQ(normalize("می\u200Cخواهم"), "میخواهم");
  // Arabic-Indic digits are digits: kept.
  EXPECT_EQ(normalize("سال ۲۰۲۴"), "سال ۲۰۲۴");
  // Presentation forms fold to the base letters (NFKC).
  EXPECT_EQ(normalize("\xEF\xBB\xBB"), normalize("لا"));
}

TEST(Normalize, NonAsciiSeparators) {
  EXPECT_EQ(normalize("a\u00A0b"), "a b");          // no-break space
  EXPECT_EQ(normalize("a\u2014b"), "a b");          // em dash
  EXPECT_EQ(normalize("\u201Cquoted\u201D."), "quoted");
  EXPECT_EQ(normalize("price\u20AC100"), "price 100");  // currency symbol
  EXPECT_EQ(normalize("x\u00ADy"), "xy");           // soft hyphen is dropped
}

TEST(Normalize, ExpandingCharactersDoNotOverflow) {
  // U+FDFA expands to 18 code points under NFKC; many of them in one word and next to ASCII.
  std::string s;
  for (int i = 0; i < 500; ++i) s += "\xEF\xB7\xBA";
  s += " tail words follow";
  const std::string out = normalize(s);
  EXPECT_GT(out.size(), s.size());
  EXPECT_NE(out.find(" tail words follow"), std::string::npos);
  EXPECT_EQ(normalize(out), out);
}

TEST(Normalize, Idempotent) {
  for (std::string_view t : {"Hello, World!", "İSTANBUL'da ışık", "Привет, МИР!", "پاکستان، زندہ باد۔",
                             "ﬁne Straße \xEF\xB7\xBA", "Cafe\xCC\x81 \u00BD \u2460"}) {
    const std::string once = normalize(t);
    EXPECT_EQ(normalize(once), once) << t;
  }
}

TEST(Normalize, InvalidUtf8IsAnErrorNamingTheOffset) {
  EXPECT_EQ(code_of("\xFF" "abc"), errc::invalid_utf8);
  EXPECT_NE(message_of("\xFF" "abc").find("offset 0"), std::string::npos);
  EXPECT_NE(message_of("abc d\xC3\x28" "ef").find("offset 5"), std::string::npos);
  EXPECT_NE(message_of("abc \xE2\x82").find("offset 4"), std::string::npos);  // truncated at end
  EXPECT_NE(message_of("ok \xD0\x9F\xD1\x80 x\xC0\xAF").find("offset 9"), std::string::npos);  // overlong
  EXPECT_EQ(code_of("\xED\xA0\x80"), errc::invalid_utf8);       // surrogate
  EXPECT_EQ(code_of("\xF4\x90\x80\x80"), errc::invalid_utf8);   // above U+10FFFF
  EXPECT_EQ(code_of("\x80"), errc::invalid_utf8);               // lone continuation
  // With boilerplate stripping the offset still refers to the caller's text.
  normalize_options strip;
  strip.strip_boilerplate = true;
  try {
    (void)normalize("Details\nabc \xFF", strip);
    FAIL() << "expected invalid_utf8";
  } catch (const retold::error& e) {
    EXPECT_EQ(e.code(), errc::invalid_utf8);
    EXPECT_NE(std::string(e.what()).find("offset 12"), std::string::npos) << e.what();
  }
}

TEST(Normalize, InvalidUtf8Replacement) {
  normalize_options r;
  r.replace_invalid_utf8 = true;
  EXPECT_EQ(normalize("ab\xFF" "cd", r), "ab cd");
  EXPECT_EQ(normalize("\xE2\x82 end", r), "end");
  EXPECT_EQ(normalize("Привет\xC3", r), "привет");
  r.fold_punctuation = false;
  // Maximal subparts: "\xE2\x82" is one replacement, "\xFF" another.
  EXPECT_EQ(normalize("a\xE2\x82\xFF" "b", r), "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
}

TEST(Normalize, HugeInput) {
  std::string big;
  const std::string unit = "The Quick brown fox, jumps over 12 lazy dogs! Ёлка İstanbul. ";
  while (big.size() < (8u << 20)) big += unit;
  const std::string out = normalize(big);
  EXPECT_EQ(out.substr(0, 30), "the quick brown fox jumps over");
  EXPECT_EQ(out.back(), 'l');
  EXPECT_EQ(out.find("  "), std::string::npos);
  // One huge non-ASCII "word" goes through the slow path as a single chunk.
  std::string word;
  for (int i = 0; i < 200000; ++i) word += "Ж";
  EXPECT_EQ(normalize(word).size(), word.size());
}

TEST(Tokenize, SplitsOnSpaces) {
  const std::string n = normalize("Hello, wide World 42");
  const auto t = retold::tokenize(n);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0], "hello");
  EXPECT_EQ(t[3], "42");
  EXPECT_TRUE(retold::tokenize("").empty());
  EXPECT_EQ(retold::tokenize("  a  b ").size(), 2u);
}

// The 32-byte ASCII step may consume the whole text: the byte after it (here 0xFF, not part of
// the view) must not be read. Found through the Node binding, whose texts are not NUL-terminated.
TEST(Utf8, AsciiTextOfWholeBlocksEndsAtItsLength) {
  for (std::size_t n : {32u, 64u, 96u, 896u}) {
    std::string buf(n, 'a');
    buf.push_back('\xFF');
    std::size_t off = 12345;
    EXPECT_TRUE(retold::is_valid_utf8(std::string_view(buf.data(), n), &off)) << n;
    EXPECT_FALSE(retold::is_valid_utf8(buf, &off));
    EXPECT_EQ(off, n);
  }
}

TEST(Utf8, Validation) {
  std::size_t off = 99;
  EXPECT_TRUE(retold::is_valid_utf8(""));
  EXPECT_TRUE(retold::is_valid_utf8("plain ascii text that is long enough for the fast path"));
  EXPECT_TRUE(retold::is_valid_utf8("Привет پاکستان İ 😀 \xF4\x8F\xBF\xBF"));
  EXPECT_FALSE(retold::is_valid_utf8("\xFF", &off));
  EXPECT_EQ(off, 0u);
  EXPECT_FALSE(retold::is_valid_utf8("0123456789abcdef\xC3", &off));
  EXPECT_EQ(off, 16u);
  EXPECT_FALSE(retold::is_valid_utf8("0123\xE0\x80\x80", &off));  // overlong 3-byte
  EXPECT_EQ(off, 4u);
  EXPECT_FALSE(retold::is_valid_utf8("ab\xED\xBF\xBF", &off));  // surrogate
  EXPECT_EQ(off, 2u);
  EXPECT_FALSE(retold::is_valid_utf8("ab\xF0\x8F\xBF\xBF", &off));  // overlong 4-byte
  EXPECT_EQ(off, 2u);
  EXPECT_FALSE(retold::is_valid_utf8("\xF5\x80\x80\x80"));
}

// The ASCII fast paths (32 and 8 bytes at a time) around every position: a bad byte anywhere in
// a 100-byte ASCII text is found at its offset, and a valid 2-, 3- or 4-byte sequence anywhere,
// even across a block boundary, is accepted.
TEST(Utf8, EveryOffsetAcrossTheAsciiFastPaths) {
  const std::string ascii(100, 'a');
  for (std::size_t at = 0; at < ascii.size(); ++at) {
    std::string bad = ascii;
    bad[at] = '\xFF';
    std::size_t off = 999;
    EXPECT_FALSE(retold::is_valid_utf8(bad, &off)) << at;
    EXPECT_EQ(off, at);
    for (const char* seq : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
      std::string good = ascii;
      good.insert(at, seq);
      EXPECT_TRUE(retold::is_valid_utf8(good)) << at;
      std::string cut = ascii;
      cut.insert(at, std::string(seq).substr(0, 1));  // a lead byte without its continuation
      EXPECT_FALSE(retold::is_valid_utf8(cut, &off)) << at;
      EXPECT_EQ(off, at);
    }
  }
}

TEST(Boilerplate, LabelsAndCreditLines) {
  const std::string raw =
      "KYIV (Reuters) - Ministers met on Thursday. This was reported by UNN with reference to "
      "Reuters, which saw the letter. They agreed on aid.\n\nDetails\n\nThe talks will go on.\n"
      "Recall:\nRead also: Something else entirely\n"
      "Reporting by Jane Doe; Editing by John Roe\n"
      "The Associated Press contributed to this report.";
  const std::string out = retold::strip_boilerplate(raw);
  EXPECT_EQ(out,
            "KYIV (Reuters) - Ministers met on Thursday. They agreed on aid.\nThe talks will go on.");
}

TEST(Boilerplate, PromotionAndStoryNotes) {
  const std::string raw =
      "The minister resigned on Friday.\n"
      "Example Daily will update this story as more details become available.\n"
      "Daily briefing on regional politics. Sign up for our newsletter.\n"
      "Follow Example Observer for continuing coverage of the talks.\n"
      "Subscribe to our channel on Telegram.";
  EXPECT_EQ(retold::strip_boilerplate(raw),
            "The minister resigned on Friday.\nDaily briefing on regional politics.");
  // Ordinary sentences that merely start alike stay.
  const std::string keep = "Follow-up talks are planned for May.\nFollow the money, he said.";
  EXPECT_EQ(retold::strip_boilerplate(keep), keep);
}

TEST(Boilerplate, KeepsOrdinaryText) {
  const std::string raw = "Details of the plan were not disclosed.\nRecall votes are rare.";
  EXPECT_EQ(retold::strip_boilerplate(raw), raw);
  EXPECT_EQ(retold::strip_boilerplate(""), "");
  EXPECT_EQ(retold::strip_boilerplate("\xFF\xFE bytes"), "\xFF\xFE bytes");
}

TEST(Boilerplate, SeedArticle) {
  const std::filesystem::path path = std::filesystem::path(RETOLD_SEEDS_DIR) / "unn_seed.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "seed article not found at " << path;
  const std::string raw = read_file(path);
  const std::string out = retold::strip_boilerplate(raw);
  EXPECT_EQ(out.find("This was reported by UNN"), std::string::npos);
  for (const char* label : {"\nDetails\n", "\nRecall\n", "\nOptional\n"}) {
    EXPECT_NE(raw.find(label), std::string::npos) << label;
    EXPECT_EQ(out.find(label), std::string::npos) << label;
  }
  EXPECT_NE(out.find("France has invited the foreign and defense ministers"), std::string::npos);
  EXPECT_NE(out.find("to strengthen support for Kyiv."), std::string::npos);
  EXPECT_NE(out.find("According to Reuters, the invitation was sent"), std::string::npos);
  EXPECT_NE(out.find("Three diplomats tell Reuters"), std::string::npos);
  EXPECT_NE(out.find("- reads the invitation used by Reuters."), std::string::npos);
  // Stripping removes little: the story itself stays.
  EXPECT_GT(out.size(), raw.size() * 9 / 10);

  normalize_options opts;
  opts.strip_boilerplate = true;
  const std::string n = normalize(raw, opts);
  EXPECT_EQ(n.find("this was reported by unn"), std::string::npos);
  EXPECT_NE(normalize(raw).find("this was reported by unn"), std::string::npos);
}

TEST(Normalize, RealDataWhenPresent) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(RETOLD_DEFAULT_DATA_DIR) / "counter" / "COUNTER";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "COUNTER data not found at " << dir;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml" || files >= 60) continue;
    const std::string raw = read_file(entry.path());
    normalize_options opts;
    opts.replace_invalid_utf8 = true;
    const std::string n = normalize(raw, opts);
    EXPECT_FALSE(n.empty()) << entry.path();
    EXPECT_TRUE(retold::is_valid_utf8(n)) << entry.path();
    EXPECT_EQ(normalize(n), n) << entry.path();
    ++files;
  }
  EXPECT_GT(files, 0);
}

// Normalization is local to the text between ASCII whitespace, so normalizing a whole text (long:
// the 16-byte SIMD path) must equal normalizing its whitespace-separated pieces one by one (short:
// the scalar path) and joining them. Random mixes of ASCII, typographic punctuation, Cyrillic,
// Turkish and combining marks at every alignment.
TEST(Normalize, BlockPathMatchesPiecewise) {
  const std::vector<std::string> atoms = {
      "a", "B", "z", "Q", "0", "9", ",", ".", "-", "'", "(", "\xE2\x80\x99", "\xE2\x80\x94",
      "\xE2\x80\x9C", "\xC2\xA0", "\xC2\xAB", "\xC3\xA9", "e\xCC\x81", "\xD0\x96", "\xD0\xB6",
      "\xC4\xB0", "\xC4\xB1", "I", "\xC3\x9F", "\xEF\xAC\x81", "\xD9\xBE", "\xE2\x80\x8C", "x",
      "y", "k", "s", "t", "7", "!", "?", "_", "\xEF\xBC\xA1"};
  std::mt19937_64 rng(11);
  for (int mode = 0; mode < 4; ++mode) {
    normalize_options opts;
    opts.casefold = mode & 1;
    opts.fold_punctuation = mode & 2;
    for (int t = 0; t < 400; ++t) {
      std::string text;
      const std::size_t len = rng() % 300;
      for (std::size_t k = 0; k < len; ++k) {
        const auto r = rng() % 100;
        if (r < 15) text += (r < 2) ? "\n" : (r < 4 ? "  " : " ");
        else if (r < 70) text += atoms[rng() % 10 < 7 ? rng() % 4 : rng() % atoms.size()];
        else text += atoms[rng() % atoms.size()];
      }
      std::string joined;
      std::size_t pos = 0;
      while (pos <= text.size()) {
        std::size_t sp = text.find_first_of(" \n", pos);
        if (sp == std::string::npos) sp = text.size();
        const std::string piece = normalize(text.substr(pos, sp - pos), opts);
        if (!piece.empty()) joined += (joined.empty() ? "" : " ") + piece;
        pos = sp + 1;
      }
      ASSERT_EQ(normalize(text, opts), joined) << "mode " << mode << " text: " << text;
    }
  }
}

// Words made of two-byte code points use a table built from utf8proc; adding a three-byte letter
// to the word sends it through utf8proc itself. Both must agree for every two-byte code point.
TEST(Normalize, TwoByteTableMatchesUtf8proc) {
  const std::string forcer = "\xE1\xB8\x81";  // U+1E01, a letter outside the table
  for (int mode = 0; mode < 4; ++mode) {
    normalize_options opts;
    opts.casefold = mode & 1;
    opts.fold_punctuation = mode & 2;
    const std::string forced_suffix = normalize(forcer, opts);
    for (char32_t cp = 0x80; cp < 0x800; ++cp) {
      const std::string c = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
      const std::string word = "x" + c + "y";
      const std::string fast = normalize(word, opts);
      const std::string general = normalize(word + forcer, opts);
      ASSERT_EQ(general, fast + forced_suffix) << "U+" << std::hex << static_cast<unsigned>(cp) << " mode " << mode;
    }
  }
}

// Random bytes: with replacement the output is always valid UTF-8 and normalized; without it,
// normalize either succeeds (the input was valid) or reports exactly the first invalid offset.
TEST(Normalize, RandomBytesNeverMisbehave) {
  std::mt19937_64 rng(13);
  const std::string pieces[] = {"a", " ", "Ж", "\xE2\x80\x94", "\xC3", "\xE2\x82", "\xFF", "\x80",
                                "\xF0\x9F\x98\x80", "\xED\xA0\x80", "İ", "\xCC\x81", "9", "."};
  for (int t = 0; t < 3000; ++t) {
    std::string text;
    const std::size_t len = rng() % 64;
    for (std::size_t k = 0; k < len; ++k) {
      if (rng() % 4 == 0) text += static_cast<char>(rng() & 0xFF);
      else text += pieces[rng() % std::size(pieces)];
    }
    normalize_options r;
    r.replace_invalid_utf8 = true;
    const std::string out = normalize(text, r);
    ASSERT_TRUE(retold::is_valid_utf8(out));
    ASSERT_EQ(out.find("  "), std::string::npos);
    ASSERT_TRUE(out.empty() || (out.front() != ' ' && out.back() != ' '));
    std::size_t bad = 0;
    const bool valid = retold::is_valid_utf8(text, &bad);
    try {
      const std::string strict = normalize(text);
      ASSERT_TRUE(valid);
      ASSERT_EQ(strict, out);
    } catch (const retold::error& e) {
      ASSERT_FALSE(valid);
      ASSERT_EQ(e.code(), errc::invalid_utf8);
      ASSERT_NE(std::string(e.what()).find("offset " + std::to_string(bad)), std::string::npos)
          << e.what() << " expected offset " << bad;
    }
  }
}

// normalize keeps per-thread scratch space and a lazily built table: concurrent calls must give
// the same results as sequential ones.
TEST(Normalize, ConcurrentCallsAgree) {
  const std::vector<std::string> inputs = {"Привет, МИР! İstanbul", "Straße ﬁne \xEF\xB7\xBA",
                                           "پاکستان، زندہ باد۔", "plain ASCII, text."};
  std::vector<std::string> expected;
  for (const auto& s : inputs) expected.push_back(normalize(s));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 2000; ++k) {
        const std::size_t i = static_cast<std::size_t>(k + t) % inputs.size();
        if (normalize(inputs[i]) != expected[i]) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// ---- boilerplate stripping against the reference
//
// The reference is the implementation that searched each sentence once per phrase, kept here
// verbatim: the one-pass automaton must give the same output byte for byte.
namespace reference_boilerplate {
// Lines consisting only of one of these (case-insensitive, optional trailing ':' or '.') are
// section labels of news sites (UNN's "Details" / "Recall" / "Optional", ...).
constexpr std::array<std::string_view, 27> k_labels = {
    "details",   "recall",      "optional",     "read also",  "also read",    "read more",
    "see also",  "related",     "related news", "related articles", "advertisement",
    "ad",        "advert",      "sponsored",    "share",      "share this",   "comments",
    "subscribe", "background",  "context",      "addendum",   "supplemented", "update",
    "updated",   "breaking",    "more",         "photo",
};

// Lines starting with one of these are navigation, not text.
constexpr std::array<std::string_view, 9> k_line_prefixes = {
    "read also:", "also read:", "read more:", "see also:", "related:",
    "follow us on", "subscribe to our", "photo:", "video:",
};

// Sentences starting with one of these are credit lines or promotion.
constexpr std::array<std::string_view, 20> k_credit_prefixes = {
    "this was reported by",  "this is reported by",  "it was reported by",
    "this was reported on",  "this is reported on",  "reporting by",
    "additional reporting by", "writing by",          "editing by",
    "compiled by",           "(reporting by",        "copyright",
    "all rights reserved",   "\xC2\xA9",  // the copyright sign
    "subscribe to",          "sign up for",          "sign up to",
    "follow us",             "click here",           "download our app",
};

// Sentences ending with one of these (before the final punctuation) are credit lines too.
constexpr std::array<std::string_view, 2> k_credit_suffixes = {
    "contributed to this report", "contributed reporting",
};

// Sentences containing one of these are notes about the story, not the story.
constexpr std::array<std::string_view, 4> k_note_phrases = {
    "will update this story", "this story will be updated", "this is a developing story",
    "this story is developing",
};

// "Follow <outlet> for ..." / "Follow <outlet> on ..." promotion sentences.
constexpr std::array<std::string_view, 8> k_follow_phrases = {
    " for continuing coverage", " for the latest", " for more", " for updates", " on telegram",
    " on facebook", " on twitter", " on instagram",
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && istarts_with(s.substr(s.size() - suffix.size()), suffix);
}

bool icontains(std::string_view s, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= s.size(); ++i)
    if (istarts_with(s.substr(i), needle)) return true;
  return false;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  // A no-break space (U+00A0) is common around labels pasted from web pages.
  while (s.size() >= 2 && s[0] == '\xC2' && s[1] == '\xA0') s.remove_prefix(2);
  while (s.size() >= 2 && s[s.size() - 2] == '\xC2' && s.back() == '\xA0') s.remove_suffix(2);
  return s;
}

bool is_label_line(std::string_view t) {
  if (!t.empty() && (t.back() == ':' || t.back() == '.')) t = trim(t.substr(0, t.size() - 1));
  if (t.empty() || t.size() > 24) return false;
  for (auto label : k_labels)
    if (t.size() == label.size() && istarts_with(t, label)) return true;
  return false;
}

bool is_navigation_line(std::string_view t) {
  for (auto prefix : k_line_prefixes)
    if (istarts_with(t, prefix)) return true;
  return false;
}

bool is_credit_sentence(std::string_view s) {
  s = trim(s);
  for (auto prefix : k_credit_prefixes)
    if (istarts_with(s, prefix)) return true;
  for (auto phrase : k_note_phrases)
    if (icontains(s, phrase)) return true;
  if (istarts_with(s, "follow "))
    for (auto phrase : k_follow_phrases)
      if (icontains(s, phrase)) return true;
  while (!s.empty() && (s.back() == '.' || s.back() == '!' || s.back() == '"')) s.remove_suffix(1);
  for (auto suffix : k_credit_suffixes)
    if (iends_with(s, suffix)) return true;
  return false;
}

// Length of the sentence starting at `line[pos]`: up to and including ., ! or ? (plus closing
// quotes) that is followed by whitespace or the end of the line.
std::size_t sentence_end(std::string_view line, std::size_t pos) {
  for (std::size_t j = pos; j < line.size(); ++j) {
    const char c = line[j];
    if (c != '.' && c != '!' && c != '?') continue;
    std::size_t k = j + 1;
    while (k < line.size() && (line[k] == '"' || line[k] == '\'' || line[k] == ')')) ++k;
    if (k == line.size() || is_space(line[k])) return k;
  }
  return line.size();
}

// Appends `line` without its credit sentences (and the whitespace that followed them).
void append_without_credits(std::string_view line, std::string& out) {
  std::string kept;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t end = sentence_end(line, pos);
    std::size_t next = end;
    while (next < line.size() && is_space(line[next])) ++next;
    if (!is_credit_sentence(line.substr(pos, end - pos))) kept.append(line.substr(pos, next - pos));
    pos = next;
  }
  const std::string_view t = trim(kept);
  if (t.empty()) return;
  if (!out.empty()) out.push_back('\n');
  out.append(t);
}

std::string strip_boilerplate(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    const std::string_view t = trim(line);
    if (!t.empty() && !is_label_line(t) && !is_navigation_line(t)) append_without_credits(t, out);
    pos = nl + 1;
  }
  return out;
}

}  // namespace reference_boilerplate

namespace {

// Phrases, their fragments and near misses, punctuation, quotes, spaces and line breaks in any
// case: the text boilerplate stripping decides on.
std::string adversarial_text(std::mt19937_64& rng, std::size_t atoms) {
  static const std::vector<std::string> pieces = {
      "this was reported by", "This is reported on", "it was reported by", "reporting by",
      "(Reporting by", "Additional reporting by", "Writing by", "editing by", "compiled by",
      "Copyright", "all rights reserved", "\xC2\xA9", "Subscribe to", "sign up for",
      "Sign up to", "Follow us", "click here", "Download our app", "contributed to this report",
      "contributed reporting", "will update this story", "This story will be updated",
      "this is a developing story", "this story is developing", "will update this stor",
      "this story will", "Follow ", "follow", "FOLLOW ", " for continuing coverage",
      " for the latest", " for more", " For more", " for updates", " on telegram",
      " on Facebook", " on twitter", " on instagram", " for", " on", "Details", "Recall",
      "read also:", "Read more:", "see also:", "Related:", "follow us on", "subscribe to our",
      "photo:", "video:", "Photo", "ad", "more", "Update", "UPDATED", "the minister said",
      "Kyiv", "talks", "x", "report", ".", ". ", "!", "?", "?\"", ".\"", ".'", ".)", "\"",
      "'", ")", ":", ";", ",", " ", "  ", "\t", "\r", "\n", "\n\n", "\xC2\xA0",
      "\xC2\xA0 ", "\xFF", "\xC3\xA9", "\xD0\x96\xD0\xB6", "Ministers met on Thursday.",
      "The Associated Press", "Example Daily", "as more details become available"};
  std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
  std::string s;
  for (std::size_t i = 0; i < atoms; ++i) s += pieces[pick(rng)];
  return s;
}

}  // namespace

TEST(Boilerplate, OnePassEqualsReferenceOnSeeds) {
  const auto docs = retold::test::load_seed_corpus();
  ASSERT_FALSE(docs.empty());
  std::size_t changed = 0;
  for (const auto& d : docs) {
    const std::string expected = reference_boilerplate::strip_boilerplate(d.text);
    EXPECT_EQ(retold::strip_boilerplate(d.text), expected) << d.id;
    changed += expected != d.text;
  }
  EXPECT_GT(changed, 0u);  // the seeds exercise the stripping, not only the pass-through
  const std::filesystem::path article = std::filesystem::path(RETOLD_SEEDS_DIR) / "unn_seed.txt";
  if (std::filesystem::exists(article)) {
    const std::string raw = read_file(article);
    EXPECT_EQ(retold::strip_boilerplate(raw), reference_boilerplate::strip_boilerplate(raw));
  }
}

TEST(Boilerplate, OnePassEqualsReferenceOnAdversarialText) {
  std::mt19937_64 rng(20261203);
  std::size_t stripped = 0;
  for (int round = 0; round < 20000; ++round) {
    const std::string s = adversarial_text(rng, 1 + static_cast<std::size_t>(round % 40));
    const std::string expected = reference_boilerplate::strip_boilerplate(s);
    const std::string got = retold::strip_boilerplate(s);
    ASSERT_EQ(got, expected) << "round " << round << " input [" << s << "]";
    stripped += expected.size() + 8 < s.size();
  }
  EXPECT_GT(stripped, 1000u);  // most rounds drop something: the generator reaches the rules
}

TEST(Boilerplate, OnePassEqualsReferenceOnRandomBytes) {
  std::mt19937_64 rng(7);
  const std::string alphabet = "aefhilnoprstuwy .!?\"')\n\t\xC2\xA0\xA9" "FOLW";
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int round = 0; round < 20000; ++round) {
    std::string s(static_cast<std::size_t>(round % 97), ' ');
    for (char& c : s) c = alphabet[pick(rng)];
    ASSERT_EQ(retold::strip_boilerplate(s), reference_boilerplate::strip_boilerplate(s)) << "[" << s << "]";
  }
}

TEST(Boilerplate, OnePassEqualsReferenceOnRealDataWhenPresent) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(RETOLD_DEFAULT_DATA_DIR) / "counter" / "COUNTER";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "COUNTER data not found at " << dir;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".xml" || files >= 200) continue;
    const std::string raw = read_file(entry.path());
    EXPECT_EQ(retold::strip_boilerplate(raw), reference_boilerplate::strip_boilerplate(raw)) << entry.path();
    ++files;
  }
  EXPECT_GT(files, 0);
}

namespace {

// ---- normalize() as it was before the in-place two-byte run (commit a92d95d,
// src/text/normalize.cpp), kept verbatim as the reference: the library must give the same bytes
// (and the same errors) on every input.
namespace reference_normalize {


// tables[casefold | fold_punctuation << 1][byte]: 0 = separator, k_non_ascii for bytes >= 0x80,
// else the output byte.
constexpr unsigned char k_non_ascii = 0xFF;
struct ascii_tables {
  std::array<std::array<unsigned char, 256>, 4> t{};
  constexpr ascii_tables() {
    for (int mode = 0; mode < 4; ++mode) {
      const bool casefold = mode & 1, fold_punct = mode & 2;
      for (int c = 128; c < 256; ++c) t[mode][c] = k_non_ascii;
      for (int c = 0; c < 128; ++c) {
        unsigned char v;
        if (c <= 0x20 || c == 0x7F) v = 0;  // controls and space
        else if (c >= 'A' && c <= 'Z') v = static_cast<unsigned char>(casefold ? c + 32 : c);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) v = static_cast<unsigned char>(c);
        else v = fold_punct ? 0 : static_cast<unsigned char>(c);
        t[mode][c] = v;
      }
    }
  }
};
constexpr ascii_tables k_tables;

constexpr utf8proc_option_t k_nfkc =
    static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_IGNORE);
constexpr utf8proc_option_t k_nfkc_casefold =
    static_cast<utf8proc_option_t>(k_nfkc | UTF8PROC_CASEFOLD);

// Turkish: dotted capital I and dotless small i both become plain "i" (as "I" does), so Turkish
// casing differences do not break matches. Applied before decomposition.
utf8proc_int32_t turkish_i(utf8proc_int32_t cp, void*) {
  return (cp == 0x130 || cp == 0x131) ? utf8proc_int32_t{'i'} : cp;
}

struct scratch {
  std::vector<utf8proc_int32_t> cps;
  std::string repaired;
};
thread_local scratch tl_scratch;  // its own, apart from the library's

// Output cursor over a pre-sized std::string (resized at the end). Spaces are written eagerly:
// a separator right after a token writes one ' ' (a trailing one is trimmed at the end), so the
// ASCII loop can run without branches on word boundaries.
struct emitter {
  std::string& out;
  std::size_t w = 0;
  bool in_token = false;  // the last byte written belongs to a token (no space after it yet)

  void ensure(std::size_t extra) {
    if (w + extra > out.size()) out.resize(std::max(out.size() * 2, w + extra));
  }
  void separate() {  // caller ensured 1 byte
    if (in_token) {
      out[w++] = ' ';
      in_token = false;
    }
  }
  void put_cp(char32_t cp) {  // caller ensured 4 bytes
    char* d = out.data() + w;
    if (cp < 0x80) {
      *d++ = static_cast<char>(cp);
    } else if (cp < 0x800) {
      *d++ = static_cast<char>(0xC0 | (cp >> 6));
      *d++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *d++ = static_cast<char>(0xE0 | (cp >> 12));
      *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *d++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *d++ = static_cast<char>(0xF0 | (cp >> 18));
      *d++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *d++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
    w = static_cast<std::size_t>(d - out.data());
    in_token = true;
  }
};

// Typographic punctuation and spaces that agency copy is full of, recognised without utf8proc
// (they are separators either way: this only keeps the words around them on the ASCII path).
// Returns the byte length of the separator at p, or 0.
std::size_t common_separator(const unsigned char* p, std::size_t avail, bool fold_punct) {
  if (avail >= 2 && p[0] == 0xC2) {
    if (p[1] == 0xA0) return 2;                                       // no-break space
    if (fold_punct && (p[1] == 0xAB || p[1] == 0xBB)) return 2;       // guillemets
    return 0;
  }
  if (avail >= 3 && p[0] == 0xE2 && p[1] == 0x80) {
    const unsigned c = p[2];
    if (c == 0x89 || c == 0xAF) return 3;                             // thin / narrow no-break space
    if (fold_punct && (c == 0x93 || c == 0x94 || c == 0x98 || c == 0x99 || c == 0x9C ||
                       c == 0x9D || c == 0xA2 || c == 0xA6))
      return 3;                                                       // dashes, quotes, bullet, ellipsis
  }
  return 0;
}

enum class cp_class { keep, drop, separate };

cp_class classify(utf8proc_int32_t cp, bool fold_punct) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_CF:
      return cp_class::drop;  // soft hyphen, ZWNJ/ZWJ inside words: not a word boundary
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
      return cp_class::separate;
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK: case UTF8PROC_CATEGORY_SO: case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CS:
      return fold_punct ? cp_class::separate : cp_class::keep;
    default:
      return cp_class::keep;  // letters, marks, numbers, unassigned (newer scripts)
  }
}

// ---- two-byte fast path
//
// Most non-ASCII news text (Latin-1 and Latin Extended, Greek, Cyrillic, Hebrew, Arabic and Urdu
// letters) is made of two-byte code points U+0080..U+07FF that NFKC + case folding map on their
// own, to at most two code points that are not combining marks. For those, the result of
// normalizing a word equals the concatenation of the per-code-point results, so a table built
// once with utf8proc replaces the per-word utf8proc calls. Anything else in a word (combining
// marks, three- and four-byte sequences, invalid bytes, expansions) sends the whole word down
// the general path.
struct two_byte_entry {
  enum kind_t : std::uint8_t { general = 0, keep, punct, space, drop };
  kind_t kind = general;
  std::uint8_t nbytes = 0;  // UTF-8 length of the mapped code points (keep / punct)
  char bytes[8] = {};       // the mapped code points, UTF-8 encoded: stored with one 8-byte copy
};
struct two_byte_table {
  two_byte_entry e[2][0x800];  // [casefold][code point]
  two_byte_table();
};

bool is_mark(utf8proc_int32_t cp) {
  const auto c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

two_byte_table::two_byte_table() {
  for (int fold = 0; fold < 2; ++fold) {
    const utf8proc_option_t options = fold ? k_nfkc_casefold : k_nfkc;
    for (utf8proc_int32_t cp = 0x80; cp < 0x800; ++cp) {
      two_byte_entry& t = e[fold][cp];
      if (fold && (cp == 0x130 || cp == 0x131)) {  // Turkish, see turkish_i()
        t.kind = two_byte_entry::keep;
        t.nbytes = 1;
        t.bytes[0] = 'i';
        continue;
      }
      if (is_mark(cp) || utf8proc_get_property(cp)->combining_class != 0) continue;
      unsigned char in[2] = {static_cast<unsigned char>(0xC0 | (cp >> 6)),
                             static_cast<unsigned char>(0x80 | (cp & 0x3F))};
      utf8proc_int32_t buf[8];
      utf8proc_ssize_t n = utf8proc_decompose_custom(in, 2, buf, 8, options, nullptr, nullptr);
      if (n < 0 || n > 8) continue;
      n = utf8proc_normalize_utf32(buf, n, options);
      if (n < 0 || n > 2) continue;
      if (n == 0) {
        t.kind = two_byte_entry::drop;
        continue;
      }
      bool ok = true;
      two_byte_entry::kind_t kind = two_byte_entry::keep;
      std::size_t nbytes = 0;
      for (utf8proc_ssize_t k = 0; k < n; ++k) {
        if (is_mark(buf[k])) ok = false;
        const cp_class with_fold = classify(buf[k], true), without = classify(buf[k], false);
        const two_byte_entry::kind_t kk =
            with_fold == cp_class::keep ? two_byte_entry::keep
            : with_fold == cp_class::drop ? two_byte_entry::drop
            : without == cp_class::keep ? two_byte_entry::punct
                                        : two_byte_entry::space;
        if (k == 0) kind = kk;
        else if (kk != kind) ok = false;  // mixed expansions take the general path
        nbytes += static_cast<std::size_t>(
            utf8proc_encode_char(buf[k], reinterpret_cast<utf8proc_uint8_t*>(t.bytes + nbytes)));
      }
      if (!ok || kind == two_byte_entry::drop) {
        t = two_byte_entry{};
        continue;
      }
      t.kind = kind;
      t.nbytes = static_cast<std::uint8_t>(nbytes);
    }
  }
}

const two_byte_table& two_byte() {
  static const two_byte_table table;  // built once, thread-safe initialisation
  return table;
}

// Tries the chunk on the two-byte table; false (and nothing emitted) if it needs the general path.
bool normalize_chunk_fast(const unsigned char* p, std::size_t len, emitter& em,
                          const retold::normalize_options& opts, const unsigned char* ascii) {
  const two_byte_entry* table = two_byte().e[opts.casefold ? 1 : 0];
  em.ensure(4 * len + 2);
  const std::size_t w0 = em.w;
  std::size_t i = 0;
  while (i < len) {
    const unsigned c = p[i];
    if (c < 0x80) {  // a word byte of this chunk (separators end chunks)
      em.put_cp(ascii[c]);
      ++i;
      continue;
    }
    if (c < 0xC2 || c > 0xDF || i + 1 >= len || (p[i + 1] & 0xC0) != 0x80) break;
    const two_byte_entry& t = table[((c & 0x1F) << 6) | (p[i + 1] & 0x3F)];
    if (t.kind == two_byte_entry::keep ||
        (t.kind == two_byte_entry::punct && !opts.fold_punctuation)) [[likely]] {
      std::memcpy(em.out.data() + em.w, t.bytes, 8);  // ensured: 4 bytes of room per input byte
      em.w += t.nbytes;
      em.in_token = true;
    } else if (t.kind == two_byte_entry::general) {
      break;
    } else if (t.kind != two_byte_entry::drop) {
      em.separate();
    }
    i += 2;
  }
  if (i == len) return true;
  em.w = w0;
  em.in_token = false;
  return false;
}

[[noreturn]] void throw_invalid(std::size_t offset) {
  throw retold::error(retold::errc::invalid_utf8, "invalid UTF-8 at byte offset " + std::to_string(offset));
}

// One chunk that contains at least one non-ASCII byte. `offset` is its position in the input,
// for error messages.
void normalize_chunk(const unsigned char* p, std::size_t len, std::size_t offset, emitter& em,
                     const retold::normalize_options& opts, const unsigned char* ascii) {
  if (normalize_chunk_fast(p, len, em, opts, ascii)) return;
  scratch& s = tl_scratch;
  // Validate first: utf8proc would reject invalid input without saying where.
  std::size_t i = 0;
  bool valid = true;
  while (i < len) {
    char32_t cp;
    const int l = retold::detail::decode_utf8(p + i, len - i, cp);
    if (l < 0) {
      if (!opts.replace_invalid_utf8) throw_invalid(offset + i);
      valid = false;
      break;
    }
    i += static_cast<std::size_t>(l);
  }
  if (!valid) {
    s.repaired.assign(reinterpret_cast<const char*>(p), i);
    while (i < len) {
      char32_t cp;
      const int l = retold::detail::decode_utf8(p + i, len - i, cp);
      if (l < 0) {
        s.repaired += "\xEF\xBF\xBD";
        i += static_cast<std::size_t>(-l);
      } else {
        s.repaired.append(reinterpret_cast<const char*>(p + i), static_cast<std::size_t>(l));
        i += static_cast<std::size_t>(l);
      }
    }
    p = reinterpret_cast<const unsigned char*>(s.repaired.data());
    len = s.repaired.size();
  }

  const utf8proc_option_t options = opts.casefold ? k_nfkc_casefold : k_nfkc;
  const utf8proc_custom_func custom = opts.casefold ? &turkish_i : nullptr;
  if (s.cps.size() < len + 16) s.cps.resize(len + 16);
  utf8proc_ssize_t n = 0;
  for (;;) {
    n = utf8proc_decompose_custom(p, static_cast<utf8proc_ssize_t>(len), s.cps.data(),
                                  static_cast<utf8proc_ssize_t>(s.cps.size()), options, custom,
                                  nullptr);
    if (n < 0) {
      throw retold::error(retold::errc::internal, std::string("utf8proc failed near byte offset ") +
                                      std::to_string(offset) + ": " + utf8proc_errmsg(n));
    }
    if (static_cast<std::size_t>(n) <= s.cps.size()) break;
    s.cps.resize(static_cast<std::size_t>(n) + 16);  // decomposition expanded: retry larger
  }
  n = utf8proc_normalize_utf32(s.cps.data(), n, options);
  if (n < 0) {
    throw retold::error(retold::errc::internal, std::string("utf8proc failed near byte offset ") +
                                    std::to_string(offset) + ": " + utf8proc_errmsg(n));
  }

  em.ensure(5 * static_cast<std::size_t>(n) + 1);
  utf8proc_int32_t prev = 0;
  for (utf8proc_ssize_t k = 0; k < n; ++k) {
    const utf8proc_int32_t cp = s.cps[static_cast<std::size_t>(k)];
    // "İ" typed as I + combining dot above folds to i + U+0307: drop the dot (Turkish).
    if (cp == 0x307 && opts.casefold && prev == 'i') continue;
    prev = cp;
    switch (classify(cp, opts.fold_punctuation)) {
      case cp_class::keep: em.put_cp(static_cast<char32_t>(cp)); break;
      case cp_class::drop: break;
      case cp_class::separate: em.separate(); break;
    }
  }
}

// End of the chunk starting at i: the first ASCII separator at or after i, or n.
std::size_t chunk_end(const unsigned char* p, std::size_t i, std::size_t n,
                      const unsigned char* table, bool fold_punct) {
#if defined(__SSE2__)
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i word;
    if (fold_punct) {
      const __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // A-Z -> a-z
      const __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)),
                                           _mm_cmplt_epi8(folded, _mm_set1_epi8('z' + 1)));
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                          _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
      word = _mm_or_si128(letter, digit);
    } else {
      word = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)),
                              _mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)));
    }
    // Bytes >= 0x80 are negative as signed chars: never "word" above, but they continue a chunk.
    const unsigned cont = static_cast<unsigned>(_mm_movemask_epi8(word) | _mm_movemask_epi8(v));
    if (cont != 0xFFFFu) return i + static_cast<std::size_t>(__builtin_ctz(~cont));
    i += 16;
  }
#else
  (void)fold_punct;
#endif
  while (i < n && table[p[i]] != 0) ++i;
  return i;
}

void normalize_into(std::string_view text, std::string& out, const retold::normalize_options& opts) {
  std::string stripped;
  if (opts.strip_boilerplate) {
    if (!opts.replace_invalid_utf8) {
      // Report offsets in the caller's text, not in the stripped copy.
      std::size_t bad = 0;
      if (!retold::is_valid_utf8(text, &bad)) throw_invalid(bad);
    }
    stripped = retold::strip_boilerplate(text);
    text = stripped;
  }
  const unsigned char* const table =
      k_tables.t[(opts.casefold ? 1 : 0) | (opts.fold_punctuation ? 2 : 0)].data();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();

  // Invariant: out.size() >= w + (n - i) + 16. ASCII input produces at most one output byte per
  // input byte, so the ASCII paths write through a raw pointer (16-byte stores included); a slow
  // chunk re-establishes the invariant after itself.
  out.clear();
  out.resize(n + 16);
  char* o = out.data();
  std::size_t w = 0;
  bool prev = false;  // the previous input byte was a word byte (its token is still open)
  std::size_t i = 0;

  // One ASCII byte, branch-free: separators become ' ' but only advance after a word byte.
  auto ascii_byte = [&](unsigned char v) {
    const bool word = v != 0;
    o[w] = static_cast<char>(word ? v : ' ');
    w += static_cast<std::size_t>(word || prev);
    prev = word;
    ++i;
  };
  // p[i] is not ASCII.
  auto non_ascii = [&] {
    if (const std::size_t sl = common_separator(p + i, n - i, opts.fold_punctuation)) {
      o[w] = ' ';
      w += prev;
      prev = false;
      i += sl;
      return;
    }
    // The whole chunk (from the start of the current word run to the next ASCII separator) goes
    // through utf8proc. Word bytes map one to one to output bytes, so the run's start is found
    // by stepping back over the output written since the last space.
    std::size_t start = i;
    if (prev) {
      std::size_t ws = w;
      while (ws > 0 && o[ws - 1] != ' ') --ws;
      start = i - (w - ws);
      w = ws;
    }
    const std::size_t end = chunk_end(p, i, n, table, opts.fold_punctuation);
    emitter em{out, w, false};
    normalize_chunk(p + start, end - start, start, em, opts, table);
    w = em.w;
    prev = em.in_token;
    i = end;
    if (out.size() - w < n - i + 16) out.resize(w + (n - i) + 16);
    o = out.data();
  };

#if defined(__SSE2__)
  // Sixteen ASCII bytes at a time: classify and case-fold with SSE2, then copy the kept runs.
  const bool casefold = opts.casefold, fold_punct = opts.fold_punctuation;
  alignas(16) char tmp[32] = {};
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v));
    if (high != 0) {
      const std::size_t stop = i + static_cast<std::size_t>(__builtin_ctz(high));
      while (i < stop) ascii_byte(table[p[i]]);
      non_ascii();
      continue;
    }
    const auto in = [&](char lo, char hi) {
      return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                           _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    const __m128i upper = in('A', 'Z');
    __m128i word;
    if (fold_punct) {
      word = _mm_or_si128(_mm_or_si128(upper, in('a', 'z')), in('0', '9'));
    } else {
      word = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(0x7F)),
                              _mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)));
    }
    const __m128i folded =
        casefold ? _mm_add_epi8(v, _mm_and_si128(upper, _mm_set1_epi8(0x20))) : v;
    const __m128i outv = _mm_or_si128(_mm_and_si128(word, folded),
                                      _mm_andnot_si128(word, _mm_set1_epi8(' ')));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(word));
    unsigned keep = (m | (m << 1) | static_cast<unsigned>(prev)) & 0xFFFFu;
    if (keep == 0xFFFFu) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + w), outv);
      w += 16;
    } else {
      _mm_store_si128(reinterpret_cast<__m128i*>(tmp), outv);
      while (keep != 0) {
        const unsigned a = static_cast<unsigned>(__builtin_ctz(keep));
        const unsigned len = static_cast<unsigned>(__builtin_ctz(~(keep >> a)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + w),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(tmp + a)));
        w += len;
        keep &= ~(((1u << len) - 1u) << a);
      }
    }
    prev = (m >> 15) & 1u;
    i += 16;
  }
#endif
  while (i < n) {
    const unsigned char v = table[p[i]];
    if (v == k_non_ascii) [[unlikely]] {
      non_ascii();
      continue;
    }
    ascii_byte(v);
  }
  if (w > 0 && o[w - 1] == ' ') --w;
  out.resize(w);
}

std::string normalize(std::string_view text, const retold::normalize_options& opts = {}) {
  std::string out;
  reference_normalize::normalize_into(text, out, opts);
  return out;
}

}  // namespace reference_normalize

}  // namespace

namespace {

std::string utf8_of(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// The library's normalize() and the reference give the same bytes, or the same error.
::testing::AssertionResult same_as_reference(const std::string& text, const normalize_options& opts) {
  std::string got, want, got_error, want_error;
  try {
    got = normalize(text, opts);
  } catch (const retold::error& e) {
    got_error = e.what();
  }
  try {
    want = reference_normalize::normalize(text, opts);
  } catch (const retold::error& e) {
    want_error = e.what();
  }
  if (got == want && got_error == want_error) return ::testing::AssertionSuccess();
  std::string hex;
  for (unsigned char c : text) {
    char b[4];
    std::snprintf(b, sizeof b, "%02X ", c);
    hex += b;
  }
  return ::testing::AssertionFailure() << "input bytes " << hex << "(casefold " << opts.casefold << ", fold_punctuation "
                                       << opts.fold_punctuation << ", replace " << opts.replace_invalid_utf8
                                       << "): got '" << got << "' [" << got_error << "], reference '" << want << "' ["
                                       << want_error << "]";
}

normalize_options mode_options(int mode) {
  normalize_options o;
  o.casefold = mode & 1;
  o.fold_punctuation = mode & 2;
  o.replace_invalid_utf8 = mode & 4;
  return o;
}

}  // namespace

// Every code point of the two-byte range (Latin-1 and Latin Extended, Greek, Cyrillic, Armenian,
// Hebrew, Arabic, Syriac, Thaana, N'Ko, ...) and of Devanagari, alone and in the contexts that
// change which path a word takes: ASCII around it, Cyrillic and Greek letters around it, a
// combining mark or a three-byte letter after it (the whole word then goes to utf8proc), NBSP and
// guillemets inside the word, Turkish I, a long run (the 16-byte loop), an invalid byte after it.
TEST(NormalizeReference, EveryTwoByteAndDevanagariCodePointInEveryContext) {
  std::vector<char32_t> cps;
  for (char32_t cp = 0x80; cp < 0x800; ++cp) cps.push_back(cp);
  for (char32_t cp = 0x900; cp < 0x980; ++cp) cps.push_back(cp);
  const std::string zhe = "\xD0\x96", zhe_small = "\xD0\xB6", alpha = "\xCE\xB1", alef = "\xD8\xA7";
  const std::string acute = "\xCC\x81", three = "\xE1\xB8\x81", nbsp = "\xC2\xA0", guil = "\xC2\xAB";
  for (int mode = 0; mode < 8; ++mode) {
    const normalize_options opts = mode_options(mode);
    for (const char32_t cp : cps) {
      const std::string c = utf8_of(cp);
      const std::string contexts[] = {
          c, "x" + c + "y", "X" + c, c + "Q", zhe + c + zhe_small, alpha + c + alpha, alef + c + alef,
          c + acute, zhe + c + acute, zhe + c + three, "abc" + c + zhe + acute, zhe + nbsp + c + acute,
          zhe + guil + c + three, c + "\xC4\xB0" + c, "I" + c + "\xCC\x87", c + c + c, "a " + c + " b, " + c + ".",
          std::string(20, 'k') + c + std::string(20, 'm') + c + zhe + c,
          zhe + zhe + zhe + zhe + zhe + zhe + zhe + zhe + c + zhe + zhe + zhe + zhe + zhe + zhe + zhe + zhe + " z",
          c + "\xFF" + zhe, zhe + c + "\xE2\x82" + " ok"};
      for (const auto& text : contexts) ASSERT_TRUE(same_as_reference(text, opts)) << "U+" << std::hex << static_cast<unsigned>(cp);
    }
  }
}

// Random texts over the scripts the in-place run serves and everything that interrupts it, long
// enough for the 16-byte loop, in every mode.
TEST(NormalizeReference, RandomMixedScriptTexts) {
  std::vector<std::string> atoms = {
      "a", "B", "z", "0", "7", " ", " ", " ", "  ", "\n", ",", ".", "-", "'", "(", "\"",
      "\xE2\x80\x99", "\xE2\x80\x94", "\xE2\x80\x9C", "\xE2\x80\xA6", "\xC2\xA0", "\xC2\xAB", "\xC2\xBB",
      "\xE2\x80\xAF", "\xC3\xA9", "\xC3\x89", "e\xCC\x81", "\xCC\x81", "\xC4\xB0", "\xC4\xB1", "I",
      "\xC3\x9F", "\xEF\xAC\x81", "\xC2\xAD", "\xE2\x80\x8C", "\xE2\x80\x8D", "\xD9\x8E", "\xD9\x91",
      "\xD8\xA7\xD9\x94", "\xE0\xA4\xA8\xE0\xA4\xBC", "\xE0\xA4\x95\xE0\xA5\x8D\xE0\xA4\xB7", "\xEF\xBC\xA1",
      "\xFF", "\xC3", "\xE2\x82", "\xED\xA0\x80", "\xF0\x9F\x98\x80", "\xD0\x81", "\xD1\x91", "\xC2\xB2",
      "\xC2\xBD", "\xCE\x90", "\xCF\x82", "\xD4\xB1", "\xD6\x87", "\xD7\xB0", "\xDB\x8C", "\xDF\x80"};
  // Letters of the blocks, upper and lower case.
  for (char32_t cp = 0x391; cp < 0x3CA; ++cp) atoms.push_back(utf8_of(cp));   // Greek
  for (char32_t cp = 0x400; cp < 0x460; ++cp) atoms.push_back(utf8_of(cp));   // Cyrillic
  for (char32_t cp = 0x5D0; cp < 0x5EB; ++cp) atoms.push_back(utf8_of(cp));   // Hebrew
  for (char32_t cp = 0x621; cp < 0x64B; ++cp) atoms.push_back(utf8_of(cp));   // Arabic
  for (char32_t cp = 0x660; cp < 0x66A; ++cp) atoms.push_back(utf8_of(cp));   // Arabic-Indic digits
  for (char32_t cp = 0x905; cp < 0x940; ++cp) atoms.push_back(utf8_of(cp));   // Devanagari
  std::mt19937_64 rng(2027);
  for (int mode = 0; mode < 8; ++mode) {
    const normalize_options opts = mode_options(mode);
    for (int t = 0; t < 1500; ++t) {
      std::string text;
      const std::size_t len = rng() % (t % 10 == 0 ? 2000 : 120);
      const std::size_t letters_from = 58;  // atoms before this index are the interrupting ones
      for (std::size_t k = 0; k < len; ++k) {
        const auto r = rng() % 100;
        if (r < 12) text += ' ';
        else if (r < 85) text += atoms[letters_from + rng() % (atoms.size() - letters_from)];
        else text += atoms[rng() % letters_from];
      }
      ASSERT_TRUE(same_as_reference(text, opts)) << "mode " << mode << " trial " << t;
    }
  }
}

TEST(NormalizeReference, SeedsAndRealDataWhenPresent) {
  namespace fs = std::filesystem;
  const fs::path seeds(RETOLD_SEEDS_DIR);
  std::vector<std::string> texts;
  if (fs::exists(seeds / "corpus.jsonl")) texts.push_back(read_file(seeds / "corpus.jsonl"));
  if (fs::exists(seeds / "unn_seed.txt")) texts.push_back(read_file(seeds / "unn_seed.txt"));
  const fs::path counter = fs::path(RETOLD_DEFAULT_DATA_DIR) / "counter" / "COUNTER";
  if (fs::is_directory(counter)) {
    int files = 0;
    for (const auto& entry : fs::directory_iterator(counter))
      if (entry.path().extension() == ".xml" && files++ < 60) texts.push_back(read_file(entry.path()));
  }
  if (texts.empty()) GTEST_SKIP() << "no seed or real texts found";
  for (int mode = 0; mode < 8; ++mode)
    for (const auto& text : texts) ASSERT_TRUE(same_as_reference(text, mode_options(mode))) << "mode " << mode;
}

// ---- the 16-byte block path (src/text/normalize.cpp, two_byte_block)

namespace {

// Runs of one script's letters, long enough for several 16-byte blocks: the block path takes them
// when every code point of a block is covered by its group's rules. Upper- and lower-case letters
// of the blocks the rules serve (Latin-1, Greek, Cyrillic, Armenian, Hebrew, Arabic).
const std::vector<std::pair<char32_t, char32_t>>& block_scripts() {
  static const std::vector<std::pair<char32_t, char32_t>> s = {
      {0xC0, 0x100}, {0x386, 0x3D0}, {0x400, 0x500}, {0x531, 0x588}, {0x5D0, 0x5EB}, {0x620, 0x6FF}};
  return s;
}

// Everything that makes a block fail or end early, or that a block must hand on whole: invalid
// bytes (a lone continuation byte, an overlong C0/C1 lead, a truncated sequence, F5-FF, a
// surrogate), three- and four-byte code points, combining marks after a letter, dropped and
// expanding two-byte code points, the separators recognised without utf8proc, Turkish I.
const std::vector<std::string>& block_interrupters() {
  static const std::vector<std::string> s = {
      "\x80", "\xBF", "\xC0\x80", "\xC1\xBF", "\xD0", "\xD0 ", "\xD0\xD0", "\xE2\x82", "\xF0\x9F\x98",
      "\xFF", "\xF5\x80\x80\x80", "\xED\xA0\x80", "\xE2\x80\x94", "\xE2\x80\x99", "\xE2\x80\xAF",
      "\xE1\xB8\x81", "\xE0\xA4\x95", "\xEF\xBC\xA1", "\xF0\x9F\x98\x80", "\xF0\x90\x8C\xB0",
      "\xCC\x81", "\xD9\x8E", "\xD6\xB0", "\xCD\x85", "\xC2\xAD", "\xC2\xA0", "\xC2\xAB", "\xC2\xBB",
      "\xC3\x9F", "\xC4\xB0", "\xC4\xB1", "\xC5\x89", "\xCE\x90", "\xCF\x82", "\xD9\xB5", "\xD6\x87",
      "\xC2\xB2", "\xC2\xBD", "I\xCC\x87", "\xE2\x80\x8D", "\xEF\xAC\x81", "\xEF\xB7\xBA", "\x7F",
      "\t", "\n\n", ", ", ". ", "-", "'"};
  return s;
}

}  // namespace

// Every two-byte code point and every interrupter at every offset 0..17 of a long run of each
// script's letters (so at every position of a block, including the last byte, where a lead byte
// makes the block stop at 15 bytes), with a word boundary before, inside and after the run.
TEST(NormalizeReference, BlockPathEveryCodePointAtEveryOffset) {
  std::vector<std::string> items;
  for (char32_t cp = 0x80; cp < 0x800; ++cp) items.push_back(utf8_of(cp));
  for (const auto& s : block_interrupters()) items.push_back(s);
  const std::string runs[] = {
      "\xD0\xB6\xD0\xB0\xD0\x96\xD1\x8F\xD0\xAF\xD1\x91\xD0\x81\xD0\xB9",  // жаЖяЯёЁй
      "\xD8\xA7\xD9\x84\xDA\xA9\xDB\x8C\xD9\x85\xD9\xA3\xD8\xB9\xD9\x80",  // Arabic, Persian, digit, tatweel
      "\xCE\xB1\xCE\x91\xCE\xAC\xCF\x89\xCE\xA9\xCE\xBB\xCE\x9B\xCF\x83",  // Greek, upper and lower
      "\xD7\x90\xD7\x91\xD7\xA9\xD5\xA1\xD4\xB1\xC3\xA9\xC3\x89\xC3\xBF"}; // Hebrew, Armenian, Latin-1
  for (int mode = 0; mode < 8; ++mode) {
    const normalize_options opts = mode_options(mode);
    for (const auto& run : runs) {
      for (std::size_t offset = 0; offset < 18; ++offset) {
        // `offset` bytes before the item: ASCII and whole two-byte letters of the run.
        std::string before = run + run + " ";
        before += std::string(offset % 2, 'k');
        before += run.substr(0, offset - offset % 2);
        for (const auto& item : items) {
          const std::string text = before + item + run + " " + run + "1." + run;
          ASSERT_TRUE(same_as_reference(text, opts)) << "offset " << offset;
        }
      }
    }
  }
}

// Random texts of one script at a time (words of its letters, upper and lower case, separators,
// digits, now and then an interrupter), so that most blocks take the block path and the rest
// fall back to the scalar run in every state.
TEST(NormalizeReference, BlockPathRandomSingleScriptTexts) {
  std::mt19937_64 rng(2031);
  const auto& scripts = block_scripts();
  const auto& stops = block_interrupters();
  const std::string seps[] = {" ", " ", " ", " ", ", ", ". ", "\n", "  ", " - ", "\xC2\xA0", "(", ")"};
  for (int mode = 0; mode < 8; ++mode) {
    const normalize_options opts = mode_options(mode);
    for (int t = 0; t < 400; ++t) {
      const auto [lo, hi] = scripts[static_cast<std::size_t>(t) % scripts.size()];
      const int interrupt_per_mille = t % 4 == 0 ? 0 : t % 4 == 1 ? 5 : t % 4 == 2 ? 30 : 150;
      std::string text;
      const std::size_t words = 1 + rng() % (t % 8 == 0 ? 600 : 60);
      for (std::size_t w = 0; w < words; ++w) {
        const std::size_t letters = 1 + rng() % 14;
        for (std::size_t k = 0; k < letters; ++k) {
          if (static_cast<int>(rng() % 1000) < interrupt_per_mille) text += stops[rng() % stops.size()];
          else if (rng() % 25 == 0) text += static_cast<char>('0' + rng() % 10);
          else text += utf8_of(lo + static_cast<char32_t>(rng() % (hi - lo)));
        }
        text += seps[rng() % std::size(seps)];
      }
      ASSERT_TRUE(same_as_reference(text, opts)) << "mode " << mode << " trial " << t;
    }
  }
}
