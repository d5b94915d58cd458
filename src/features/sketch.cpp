// The per-document evidence sketch (sketch.hpp): bottom-k samples of words, bigrams, numbers,
// names and title words.
#include <retold/error.hpp>
#include <retold/sketch.hpp>
#include <retold/text.hpp>

#include "features/detail/hash_mix.hpp"

#include <utf8proc.h>
#include <xxhash.h>

#include <algorithm>
#include <string>

namespace retold {
namespace {

constexpr std::uint64_t number_seed = 0x6e756d6265727321ULL;
constexpr std::uint64_t bigram_mix = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t trigram_mix = 0xC2B2AE3D27D4EB4FULL;

// Sorts `v` and drops repeated values; returns how many distinct values there are.
std::size_t sort_unique(std::vector<std::uint32_t>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v.size();
}

// Leaves in `v` its `k` smallest distinct values, sorted (all of them when it has fewer). Selects
// before sorting: a news text has hundreds of bigrams and trigrams and keeps 64, so sorting only
// the smallest few (widening the window when repeats fill it) costs a fraction of a full sort.
void bottom_k_distinct(std::vector<std::uint32_t>& v, std::size_t k) {
  if (k == 0) {
    v.clear();
    return;
  }
  for (std::size_t m = 2 * k; m < v.size(); m *= 2) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m - 1), v.end());
    // The first m elements are the m smallest (as a multiset); when they hold k distinct values,
    // those are the k smallest distinct values of all of v.
    std::sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m));
    const auto end = std::unique(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m));
    if (static_cast<std::size_t>(end - v.begin()) >= k) {
      v.resize(k);
      return;
    }
  }
  sort_unique(v);
  if (v.size() > k) v.resize(k);
}

// The ASCII digit of a decimal digit code point of the common scripts, or -1.
int digit_value(utf8proc_int32_t cp) noexcept {
  if (cp >= '0' && cp <= '9') return cp - '0';
  static constexpr utf8proc_int32_t zeros[] = {0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66,
                                               0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0E50, 0x0ED0, 0x0F20, 0x1040,
                                               0xFF10};
  for (auto z : zeros)
    if (cp >= z && cp <= z + 9) return cp - z;
  return -1;
}

enum class cp_class { other, upper, lower, caseless, mark, digit };

cp_class classify(utf8proc_int32_t cp) noexcept {
  if (cp < 0x80) {
    if (cp >= 'A' && cp <= 'Z') return cp_class::upper;
    if (cp >= 'a' && cp <= 'z') return cp_class::lower;
    if (cp >= '0' && cp <= '9') return cp_class::digit;
    return cp_class::other;
  }
  if (digit_value(cp) >= 0) return cp_class::digit;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT: return cp_class::upper;
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LM: return cp_class::lower;
    case UTF8PROC_CATEGORY_LO: return cp_class::caseless;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF: return cp_class::mark;  // inside a word (Urdu ZWNJ, combining marks)
    default: return cp_class::other;
  }
}

// Numbers and name candidates of the raw text.
void scan_raw(std::string_view raw, std::uint64_t seed, std::vector<std::uint32_t>& numbers,
              std::vector<std::uint32_t>& names) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(raw.data());
  const auto n = static_cast<utf8proc_ssize_t>(raw.size());
  utf8proc_ssize_t i = 0;
  std::string digits;       // the number being read
  bool after_digit = false; // last code point was a digit (a separator may follow)
  char pending_sep = 0;     // '.' or ',' right after a digit
  std::size_t word_begin = 0;
  bool in_word = false;
  bool word_is_name = false;
  std::string folded;
  auto end_number = [&] {
    if (!digits.empty()) {
      numbers.push_back(static_cast<std::uint32_t>(XXH3_64bits_withSeed(digits.data(), digits.size(), number_seed) >> 32));
      digits.clear();
    }
    after_digit = false;
    pending_sep = 0;
  };
  auto end_word = [&](std::size_t end) {
    if (in_word && word_is_name) {
      const std::string_view w = raw.substr(word_begin, end - word_begin);
      bool ascii = true;
      for (char ch : w) ascii &= static_cast<unsigned char>(ch) < 0x80;
      if (ascii) {  // ASCII letters only (the scanner split at everything else): normalize() lower-cases
        folded.assign(w);
        for (char& ch : folded) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
      } else {
        try {
          folded = normalize(w);
        } catch (const error&) {
          folded.clear();
        }
      }
      // normalize() may split a word (it folds what the scanner kept); each piece is a name.
      std::size_t b = 0;
      while (b < folded.size()) {
        std::size_t e = folded.find(' ', b);
        if (e == std::string::npos) e = folded.size();
        if (e > b) names.push_back(sketch_word_hash(std::string_view(folded).substr(b, e - b), seed));
        b = e + 1;
      }
    }
    in_word = false;
    word_is_name = false;
  };
  while (i < n) {
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t len = 1;
    if (p[i] < 0x80) {
      cp = p[i];
    } else {
      len = utf8proc_iterate(p + i, n - i, &cp);
      if (len <= 0) {  // invalid byte: a separator
        end_number();
        end_word(static_cast<std::size_t>(i));
        i += 1;
        continue;
      }
    }
    const cp_class c = classify(cp);
    if (c == cp_class::digit) {
      end_word(static_cast<std::size_t>(i));
      pending_sep = 0;
      digits.push_back(static_cast<char>('0' + digit_value(cp)));
      after_digit = true;
    } else if ((cp == '.' || cp == ',') && after_digit && pending_sep == 0) {
      pending_sep = static_cast<char>(cp);  // kept only when a digit follows
      after_digit = false;
    } else {
      end_number();
      if (c == cp_class::upper || c == cp_class::lower || c == cp_class::caseless || (c == cp_class::mark && in_word)) {
        if (!in_word) {
          in_word = true;
          word_begin = static_cast<std::size_t>(i);
          word_is_name = c == cp_class::upper || c == cp_class::caseless;
        }
      } else {
        end_word(static_cast<std::size_t>(i));
      }
    }
    i += len;
  }
  end_number();
  end_word(raw.size());
}

template <class F>
void for_each_token(std::string_view normalized, F&& f) {
  std::size_t b = 0;
  while (b < normalized.size()) {
    std::size_t e = normalized.find(' ', b);
    if (e == std::string_view::npos) e = normalized.size();
    if (e > b) f(normalized.substr(b, e - b));
    b = e + 1;
  }
}

}  // namespace

void validate(const sketch_options& o) {
  auto check = [](std::uint32_t v, const char* name) {
    if (v > 255)
      throw error(errc::invalid_argument, std::string("sketch_options.") + name + " must be at most 255, got " +
                                              std::to_string(v));
  };
  check(o.words, "words");
  check(o.bigrams, "bigrams");
  check(o.numbers, "numbers");
  check(o.names, "names");
  check(o.title_words, "title_words");
  check(o.trigrams, "trigrams");
}

std::uint32_t sketch_word_hash(std::string_view w, std::uint64_t seed) noexcept {
  return static_cast<std::uint32_t>(XXH3_64bits_withSeed(w.data(), w.size(), seed) >> 32);
}

std::span<const std::uint32_t> doc_sketch::part(sketch_part p) const noexcept {
  std::size_t off = 0;
  const auto k = static_cast<std::size_t>(p);
  for (std::size_t i = 0; i < k; ++i) off += counts[i];
  if (off + counts[k] > values.size()) return {};
  return std::span<const std::uint32_t>(values).subspan(off, counts[k]);
}

doc_sketch make_sketch(std::string_view raw_text, std::string_view normalized, std::string_view title,
                       std::uint32_t shingle_count, const sketch_options& opts) {
  doc_sketch s;
  s.shingles = shingle_count;
  std::vector<std::uint32_t> words, bigrams, numbers, names, title_words, trigrams;
  std::uint32_t prev = 0, prev2 = 0;
  std::size_t seen = 0;
  for_each_token(normalized, [&](std::string_view tok) {
    const std::uint32_t h = sketch_word_hash(tok, opts.seed);
    words.push_back(h);
    if (seen >= 1)
      bigrams.push_back(static_cast<std::uint32_t>(
          detail::fmix64((std::uint64_t{prev} << 32 | h) ^ (opts.seed * bigram_mix)) >> 32));
    if (seen >= 2)
      trigrams.push_back(static_cast<std::uint32_t>(
          detail::fmix64(detail::fmix64((std::uint64_t{prev2} << 32 | prev) ^ (opts.seed * trigram_mix)) ^ h) >> 32));
    prev2 = prev;
    prev = h;
    ++seen;
  });
  s.words = static_cast<std::uint32_t>(sort_unique(words));  // the count, and the part sorted
  scan_raw(raw_text, opts.seed, numbers, names);
  if (!title.empty()) {
    std::string t;
    try {
      t = normalize(title, normalize_options{.replace_invalid_utf8 = true});
    } catch (const error&) {
      t.clear();
    }
    for_each_token(t, [&](std::string_view tok) { title_words.push_back(sketch_word_hash(tok, opts.seed)); });
  }
  std::vector<std::uint32_t>* parts[sketch_parts] = {&words, &bigrams, &numbers, &names, &title_words, &trigrams};
  const std::uint32_t caps[sketch_parts] = {opts.words,  opts.bigrams,     opts.numbers,
                                            opts.names,  opts.title_words, opts.trigrams};
  std::size_t total = 0;
  for (std::size_t k = 0; k < sketch_parts; ++k) {  // each part: its caps[k] smallest distinct values
    if (parts[k] != &words) bottom_k_distinct(*parts[k], caps[k]);
    if (parts[k]->size() > caps[k]) parts[k]->resize(caps[k]);
    total += parts[k]->size();
  }
  s.values.reserve(total);
  for (std::size_t k = 0; k < sketch_parts; ++k) {
    s.counts[k] = static_cast<std::uint8_t>(parts[k]->size());
    s.values.insert(s.values.end(), parts[k]->begin(), parts[k]->end());
  }
  return s;
}

void serialize_sketch(const doc_sketch& s, std::vector<std::uint8_t>& out) {
  auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  u32(s.shingles);
  u32(s.words);
  for (auto c : s.counts) out.push_back(c);
  for (auto v : s.values) u32(v);
}

doc_sketch parse_sketch(std::span<const std::uint8_t> b, std::size_t& pos, const sketch_options& opts) {
  auto fail = [&](const std::string& why) {
    throw error(errc::corrupted_state, "document sketch at byte " + std::to_string(pos) + ": " + why);
  };
  auto u32 = [&] {
    if (b.size() - pos < 4) fail("truncated");
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | b[pos + static_cast<std::size_t>(i)];
    pos += 4;
    return v;
  };
  if (pos > b.size()) fail("truncated");
  doc_sketch s;
  s.shingles = u32();
  s.words = u32();
  if (b.size() - pos < sketch_parts) fail("truncated");
  const std::uint32_t caps[sketch_parts] = {opts.words,  opts.bigrams,     opts.numbers,
                                            opts.names,  opts.title_words, opts.trigrams};
  std::size_t total = 0;
  for (std::size_t k = 0; k < sketch_parts; ++k) {
    s.counts[k] = b[pos++];
    if (s.counts[k] > caps[k]) fail("part " + std::to_string(k) + " holds more values than the options allow");
    total += s.counts[k];
  }
  if ((b.size() - pos) / 4 < total) fail("truncated");
  s.values.resize(total);
  for (auto& v : s.values) v = u32();
  std::size_t off = 0;
  for (std::size_t k = 0; k < sketch_parts; ++k) {
    for (std::size_t i = off + 1; i < off + s.counts[k]; ++i)
      if (s.values[i - 1] >= s.values[i]) fail("part " + std::to_string(k) + " is not sorted");
    off += s.counts[k];
  }
  return s;
}

}  // namespace retold
