// Normalization: an ASCII table-driven fast path; words containing non-ASCII bytes go through
// utf8proc (NFKC + case folding), one word ("chunk": a maximal run of bytes that are not ASCII
// separators) at a time, so NFKC sees every combining sequence whole.
#include <retold/error.hpp>
#include <retold/text.hpp>

#include "text/detail/utf8.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace retold {
namespace {

// tables[casefold | fold_punctuation << 1][c] for ASCII c: 0 = separator, else the output byte.
struct ascii_tables {
  std::array<std::array<unsigned char, 128>, 4> t{};
  constexpr ascii_tables() {
    for (int mode = 0; mode < 4; ++mode) {
      const bool casefold = mode & 1, fold_punct = mode & 2;
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
thread_local scratch tl_scratch;

// Output cursor over a pre-sized std::string (resized at the end), so the ASCII path writes
// through a raw pointer without per-byte capacity checks.
struct emitter {
  std::string& out;
  std::size_t w = 0;
  bool in_token = false;  // slow path: the last emitted code point belongs to the current token

  void ensure(std::size_t extra) {
    if (w + extra > out.size()) out.resize(std::max(out.size() * 2, w + extra));
  }
  void put_cp(char32_t cp) {  // caller ensured 5 bytes
    char* d = out.data() + w;
    if (!in_token) {
      if (w != 0) *d++ = ' ';
      in_token = true;
    }
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
  }
};

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

[[noreturn]] void throw_invalid(std::size_t offset) {
  throw error(errc::invalid_utf8, "invalid UTF-8 at byte offset " + std::to_string(offset));
}

// One chunk that contains at least one non-ASCII byte. `offset` is its position in the input,
// for error messages.
void normalize_chunk(const unsigned char* p, std::size_t len, std::size_t offset, emitter& em,
                     const normalize_options& opts) {
  scratch& s = tl_scratch;
  // Validate first: utf8proc would reject invalid input without saying where.
  std::size_t i = 0;
  bool valid = true;
  while (i < len) {
    char32_t cp;
    const int l = detail::decode_utf8(p + i, len - i, cp);
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
      const int l = detail::decode_utf8(p + i, len - i, cp);
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
      throw error(errc::internal, std::string("utf8proc failed near byte offset ") +
                                      std::to_string(offset) + ": " + utf8proc_errmsg(n));
    }
    if (static_cast<std::size_t>(n) <= s.cps.size()) break;
    s.cps.resize(static_cast<std::size_t>(n) + 16);  // decomposition expanded: retry larger
  }
  n = utf8proc_normalize_utf32(s.cps.data(), n, options);
  if (n < 0) {
    throw error(errc::internal, std::string("utf8proc failed near byte offset ") +
                                    std::to_string(offset) + ": " + utf8proc_errmsg(n));
  }

  em.ensure(5 * static_cast<std::size_t>(n) + 1);
  em.in_token = false;
  utf8proc_int32_t prev = 0;
  for (utf8proc_ssize_t k = 0; k < n; ++k) {
    const utf8proc_int32_t cp = s.cps[static_cast<std::size_t>(k)];
    // "İ" typed as I + combining dot above folds to i + U+0307: drop the dot (Turkish).
    if (cp == 0x307 && opts.casefold && prev == 'i') continue;
    prev = cp;
    switch (classify(cp, opts.fold_punctuation)) {
      case cp_class::keep: em.put_cp(static_cast<char32_t>(cp)); break;
      case cp_class::drop: break;
      case cp_class::separate: em.in_token = false; break;
    }
  }
}

}  // namespace

void normalize_into(std::string_view text, std::string& out, const normalize_options& opts) {
  std::string stripped;
  if (opts.strip_boilerplate) {
    if (!opts.replace_invalid_utf8) {
      // Report offsets in the caller's text, not in the stripped copy.
      std::size_t bad = 0;
      if (!is_valid_utf8(text, &bad)) throw_invalid(bad);
    }
    stripped = strip_boilerplate(text);
    text = stripped;
  }
  const auto& table = k_tables.t[(opts.casefold ? 1 : 0) | (opts.fold_punctuation ? 2 : 0)];
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();

  out.clear();
  out.resize(n + 16);
  emitter em{out};
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80 && table[c] == 0) {  // separator
      ++i;
      continue;
    }
    // A chunk: maximal run of ASCII word bytes and non-ASCII bytes.
    const std::size_t start = i;
    bool ascii = true;
    // Room for the rest of the input plus one space (a slow chunk may have grown the output).
    if (out.size() - em.w < n - i + 1) out.resize(em.w + (n - i) + 16);
    char* d = out.data() + em.w;
    if (em.w != 0) *d++ = ' ';
    // Optimistically copy as ASCII (cannot overflow: ASCII output <= input + 1 space); if a
    // non-ASCII byte appears, rewind and take the slow path for the whole chunk.
    while (i < n) {
      c = p[i];
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      const unsigned char v = table[c];
      if (v == 0) break;
      *d++ = static_cast<char>(v);
      ++i;
    }
    if (ascii) {
      em.w = static_cast<std::size_t>(d - out.data());
      continue;
    }
    while (i < n && (p[i] >= 0x80 || table[p[i]] != 0)) ++i;
    normalize_chunk(p + start, i - start, start, em, opts);
  }
  out.resize(em.w);
}

std::string normalize(std::string_view text, const normalize_options& opts) {
  std::string out;
  normalize_into(text, out, opts);
  return out;
}

std::vector<std::string_view> tokenize(std::string_view normalized) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  const std::size_t n = normalized.size();
  while (i < n) {
    if (normalized[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t j = normalized.find(' ', i);
    if (j == std::string_view::npos) j = n;
    tokens.push_back(normalized.substr(i, j - i));
    i = j;
  }
  return tokens;
}

}  // namespace retold
