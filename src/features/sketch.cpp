// The per-document evidence sketch (sketch.hpp): bottom-k samples of words, bigrams, numbers,
// names and title words.
#include <retold/error.hpp>
#include <retold/sketch.hpp>
#include <retold/text.hpp>

#include "features/detail/distinct.hpp"
#include "features/detail/hash_mix.hpp"

#include <utf8proc.h>
#define XXH_INLINE_ALL  // short inputs dominate: let the compiler inline XXH3
#include <xxhash.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <string>

namespace retold {
namespace {

constexpr std::uint64_t number_seed = 0x6e756d6265727321ULL;
constexpr std::uint64_t bigram_mix = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t trigram_mix = 0xC2B2AE3D27D4EB4FULL;

// The sketch word hash, inlined (the exported sketch_word_hash() is this function).
inline std::uint32_t word_hash(const char* p, std::size_t n, std::uint64_t seed) noexcept {
  return static_cast<std::uint32_t>(XXH3_64bits_withSeed(p, n, seed) >> 32);
}

// Per-thread buffers: a sketch is made per document in a hot loop, so the value lists and the
// hash set keep their capacity between calls instead of growing from empty each time.
struct scratch {
  std::vector<std::uint32_t> words;     // word hashes in text order
  std::vector<std::uint32_t> distinct;  // distinct word hashes, first-occurrence order
  detail::distinct_set<std::uint32_t> set;
  std::vector<std::uint32_t> pick;      // values below the selection threshold
  std::vector<std::uint32_t> numbers, names, title;
  std::vector<std::uint32_t> values;    // the parts one after another
  std::string digits, folded, title_norm;
};
thread_local scratch tl_scratch;

// Room for n values at v.data() (grows, never shrinks, so a reused buffer is not refilled).
inline std::uint32_t* room(std::vector<std::uint32_t>& v, std::size_t n) {
  if (v.size() < n) v.resize(std::max(n, 2 * v.size()));
  return v.data();
}

// Appends to `out` the `k` smallest distinct values of value(0) .. value(n - 1), sorted ascending
// (all of them when there are fewer); returns how many it appended. Sketch values are uniform
// 32-bit hashes, so one pass keeps only the values below a threshold that about 1.5k + 16 of them
// fall under, and only those are sorted: a news text has hundreds of bigrams and keeps 64. When
// repeats leave fewer than k distinct values below the threshold, it grows and the pass runs
// again (value() is called again, so it must be pure); the values below it are always all the
// smallest ones, so the result is exactly the k smallest. A threshold of 2^32 keeps everything,
// so the loop ends whatever the values are.
template <class Value>
std::size_t bottom_k_distinct(std::size_t n, std::size_t k, Value&& value, std::vector<std::uint32_t>& pick,
                              std::vector<std::uint32_t>& out) {
  if (k == 0 || n == 0) return 0;
  constexpr std::uint64_t all = std::uint64_t{1} << 32;
  std::uint64_t t = n <= 2 * k + 16 ? all : std::max<std::uint64_t>(1, ((k + k / 2 + 16) << 32) / n);
  std::uint32_t* buf = room(pick, n);
  std::size_t m = 0;
  for (;;) {
    m = 0;
    if (t >= all) {
      for (std::size_t i = 0; i < n; ++i) buf[i] = value(i);
      m = n;
    } else {
      for (std::size_t i = 0; i < n; ++i) {  // branch-free compaction
        const std::uint32_t x = value(i);
        buf[m] = x;
        m += x < t;
      }
    }
    std::sort(buf, buf + m);
    m = static_cast<std::size_t>(std::unique(buf, buf + m) - buf);
    if (m >= k || t >= all) break;
    // Too many repeats below t: grow it by what was missing (at least twice), towards 2^32.
    const std::uint64_t grow = m == 0 ? 4 : std::max<std::uint64_t>(2, (2 * k + m - 1) / m);
    t = t > all / grow ? all : t * grow;
  }
  m = std::min(m, k);
  out.insert(out.end(), buf, buf + m);
  return m;
}

// The distinct values of v[0 .. n), at out.data(); returns their number. A hash set
// (detail::distinct_set) instead of a sort; when crafted collisions make it give up, a sort.
std::size_t distinct_values(const std::uint32_t* v, std::size_t n, detail::distinct_set<std::uint32_t>& set,
                            std::vector<std::uint32_t>& out) {
  std::uint32_t* const o = room(out, n);
  std::size_t m = 0;
  if (set.for_each_new(v, n, [&](std::uint32_t x) { o[m++] = x; })) return m;
  std::copy(v, v + n, o);
  std::sort(o, o + n);
  return static_cast<std::size_t>(std::unique(o, o + n) - o);
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

enum class cp_class : std::uint8_t { other, upper, lower, caseless, mark, digit };

cp_class classify_general(utf8proc_int32_t cp) noexcept {
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

// classify_general() of every code point below U+0800 (ASCII and the two-byte scripts: Latin,
// Greek, Cyrillic, Armenian, Hebrew, Arabic, Syriac, Thaana, N'Ko), built once from it.
struct class_table {
  cp_class c[0x800];
  class_table() {
    for (utf8proc_int32_t cp = 0; cp < 0x800; ++cp) c[cp] = classify_general(cp);
  }
};
const class_table& classes() {
  static const class_table t;  // thread-safe initialisation
  return t;
}

inline cp_class classify(utf8proc_int32_t cp, const class_table& t) noexcept {
  return cp < 0x800 ? t.c[cp] : classify_general(cp);
}

inline bool is_ascii_letter(unsigned char b) noexcept { return static_cast<unsigned char>((b | 0x20) - 'a') < 26; }

// Numbers and name candidates of the raw text. ASCII letters after the first of a word change no
// state (the number before the word was ended by the first), so a run of them is skipped at once;
// two-byte code points are classified by table; the rest go through utf8proc.
void scan_raw(std::string_view raw, std::uint64_t seed, std::vector<std::uint32_t>& numbers,
              std::vector<std::uint32_t>& names, scratch& s) {
  const class_table& table = classes();
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(raw.data());
  const std::size_t n = raw.size();
  std::size_t i = 0;
  std::string& digits = s.digits;  // the number being read
  digits.clear();
  bool after_digit = false; // last code point was a digit (a separator may follow)
  char pending_sep = 0;     // '.' or ',' right after a digit
  std::size_t word_begin = 0;
  bool in_word = false;
  bool word_is_name = false;
  bool word_ascii = true;   // the word has only ASCII bytes
  std::string& folded = s.folded;
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
      if (word_ascii) {  // ASCII letters only (the scanner split at everything else): normalize() lower-cases
        char buf[64];
        if (w.size() <= sizeof buf) {
          for (std::size_t k = 0; k < w.size(); ++k) buf[k] = static_cast<char>(w[k] | 0x20);
          names.push_back(word_hash(buf, w.size(), seed));
        } else {
          folded.assign(w);
          for (char& ch : folded) ch = static_cast<char>(ch | 0x20);
          names.push_back(word_hash(folded.data(), folded.size(), seed));
        }
      } else {
        try {
          normalize_into(w, folded);
        } catch (const error&) {
          folded.clear();
        }
        // normalize() may split a word (it folds what the scanner kept); each piece is a name.
        std::size_t b = 0;
        while (b < folded.size()) {
          std::size_t e = folded.find(' ', b);
          if (e == std::string::npos) e = folded.size();
          if (e > b) names.push_back(word_hash(folded.data() + b, e - b, seed));
          b = e + 1;
        }
      }
    }
    in_word = false;
    word_is_name = false;
  };
  auto letter = [&](cp_class c, std::size_t at) {
    end_number();
    if (!in_word) {
      in_word = true;
      word_begin = at;
      word_is_name = c == cp_class::upper || c == cp_class::caseless;
      word_ascii = true;
    }
  };
  while (i < n) {
#if defined(__SSE2__)
    // Sixteen bytes of lower-case ASCII words and ASCII separators, outside a name and a number,
    // change nothing but whether a (not name) word is open at their end: skipped in one step.
    if (!word_is_name && digits.empty() && !after_digit && pending_sep == 0 && i + 16 <= n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      const auto in = [](__m128i x, char lo, char hi) {
        return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(static_cast<char>(lo - 1))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(static_cast<char>(hi + 1))));
      };
      const unsigned stop = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(in(v, 'A', 'Z'), in(v, '0', '9'))) |
                                                  _mm_movemask_epi8(v));  // upper case, digits, non-ASCII
      if (stop == 0) {
        const unsigned letters = static_cast<unsigned>(_mm_movemask_epi8(in(v, 'a', 'z')));
        if (letters >> 15) {
          if (letters != 0xFFFFu || !in_word) word_ascii = true;  // a word (not a name) begins in the block
          in_word = true;
        } else {
          in_word = false;
        }
        i += 16;
        continue;
      }
    }
#endif
    const unsigned b = p[i];
    if (b < 0x80) {
      const cp_class c = table.c[b];
      if (c == cp_class::upper || c == cp_class::lower) {
        letter(c, i);
        ++i;
#if defined(__SSE2__)
        while (i + 16 <= n) {
          const __m128i v = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), _mm_set1_epi8(0x20));
          const __m128i in = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('z' + 1)));
          const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(in));
          if (m != 0xFFFFu) {
            i += static_cast<std::size_t>(__builtin_ctz(~m));
            break;
          }
          i += 16;
        }
        if (i + 16 > n)
#endif
          while (i < n && is_ascii_letter(p[i])) ++i;
        continue;
      }
      if (c == cp_class::digit) {
        end_word(i);
        pending_sep = 0;
        digits.push_back(static_cast<char>(b));
        after_digit = true;
      } else if ((b == '.' || b == ',') && after_digit && pending_sep == 0) {
        pending_sep = static_cast<char>(b);  // kept only when a digit follows
        after_digit = false;
      } else {
        end_number();
        end_word(i);
      }
      ++i;
      continue;
    }
    utf8proc_int32_t cp = -1;
    std::size_t len = 2;
    if (b >= 0xC2 && b <= 0xDF && i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
      cp = static_cast<utf8proc_int32_t>(((b & 0x1F) << 6) | (p[i + 1] & 0x3F));
    } else {
      const utf8proc_ssize_t l = utf8proc_iterate(p + i, static_cast<utf8proc_ssize_t>(n - i), &cp);
      if (l <= 0) {  // invalid byte: a separator
        end_number();
        end_word(i);
        i += 1;
        continue;
      }
      len = static_cast<std::size_t>(l);
    }
    const cp_class c = classify(cp, table);
    if (c == cp_class::digit) {
      end_word(i);
      pending_sep = 0;
      digits.push_back(static_cast<char>('0' + digit_value(cp)));
      after_digit = true;
    } else if (c == cp_class::upper || c == cp_class::lower || c == cp_class::caseless ||
               (c == cp_class::mark && in_word)) {
      letter(c, i);
      word_ascii = false;
    } else {
      end_number();
      end_word(i);
    }
    i += len;
  }
  end_number();
  end_word(raw.size());
}

// Offset of the next ' ' at or after pos, or len.
inline std::size_t find_space(const char* p, std::size_t pos, std::size_t len) noexcept {
#if defined(__SSE2__)
  while (pos + 16 <= len) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + pos));
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))));
    if (m != 0) return pos + static_cast<std::size_t>(__builtin_ctz(m));
    pos += 16;
  }
#endif
  while (pos < len && p[pos] != ' ') ++pos;
  return pos;
}

template <class F>
void for_each_token(std::string_view normalized, F&& f) {
  const char* p = normalized.data();
  const std::size_t n = normalized.size();
  std::size_t b = 0;
  while (b < n) {
    const std::size_t e = find_space(p, b, n);
    if (e > b) f(p + b, e - b);
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
  scratch& sc = tl_scratch;
  const std::uint64_t seed = opts.seed;
  // Word hashes in text order (tokens are separated by single spaces: at most size / 2 + 1).
  std::uint32_t* const words = room(sc.words, normalized.size() / 2 + 1);
  std::size_t nw = 0;
  for_each_token(normalized, [&](const char* tok, std::size_t len) { words[nw++] = word_hash(tok, len, seed); });
  const std::size_t nd = distinct_values(words, nw, sc.set, sc.distinct);
  s.words = static_cast<std::uint32_t>(nd);
  sc.numbers.clear();
  sc.names.clear();
  scan_raw(raw_text, seed, sc.numbers, sc.names, sc);
  sc.title.clear();
  if (!title.empty()) {
    try {
      normalize_into(title, sc.title_norm, normalize_options{.replace_invalid_utf8 = true});
    } catch (const error&) {
      sc.title_norm.clear();
    }
    for_each_token(sc.title_norm, [&](const char* tok, std::size_t len) { sc.title.push_back(word_hash(tok, len, seed)); });
  }
  // Each part: its cap's smallest distinct values, sorted, in storage order.
  const std::uint64_t bigram_key = seed * bigram_mix, trigram_key = seed * trigram_mix;
  const auto bigram = [&](std::size_t i) {  // of words i, i + 1
    return static_cast<std::uint32_t>(detail::fmix64((std::uint64_t{words[i]} << 32 | words[i + 1]) ^ bigram_key) >> 32);
  };
  const auto trigram = [&](std::size_t i) {  // of words i, i + 1, i + 2
    return static_cast<std::uint32_t>(
        detail::fmix64(detail::fmix64((std::uint64_t{words[i]} << 32 | words[i + 1]) ^ trigram_key) ^ words[i + 2]) >> 32);
  };
  const auto of = [](const std::vector<std::uint32_t>& v) { return [&v](std::size_t i) { return v[i]; }; };
  std::vector<std::uint32_t>& values = sc.values;
  values.clear();
  const auto put = [&](sketch_part part, std::size_t n) { s.counts[static_cast<std::size_t>(part)] = static_cast<std::uint8_t>(n); };
  const std::uint32_t* const distinct = sc.distinct.data();
  put(sketch_part::words, bottom_k_distinct(nd, opts.words, [distinct](std::size_t i) { return distinct[i]; }, sc.pick, values));
  put(sketch_part::bigrams, bottom_k_distinct(nw >= 2 ? nw - 1 : 0, opts.bigrams, bigram, sc.pick, values));
  put(sketch_part::numbers, bottom_k_distinct(sc.numbers.size(), opts.numbers, of(sc.numbers), sc.pick, values));
  put(sketch_part::names, bottom_k_distinct(sc.names.size(), opts.names, of(sc.names), sc.pick, values));
  put(sketch_part::title, bottom_k_distinct(sc.title.size(), opts.title_words, of(sc.title), sc.pick, values));
  put(sketch_part::trigrams, bottom_k_distinct(nw >= 3 ? nw - 2 : 0, opts.trigrams, trigram, sc.pick, values));
  s.values.assign(values.begin(), values.end());  // capacity == size, as memory_bytes() counts it
  return s;
}

std::uint32_t sketch_word_hash(std::string_view w, std::uint64_t seed) noexcept { return word_hash(w.data(), w.size(), seed); }

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
