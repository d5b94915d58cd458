// Normalization: an ASCII table-driven fast path; words containing non-ASCII bytes go through
// utf8proc (NFKC + case folding), one word ("chunk": a maximal run of bytes that are not ASCII
// separators) at a time, so NFKC sees every combining sequence whole.
#include <retold/error.hpp>
#include <retold/text.hpp>

#include "text/detail/boilerplate.hpp"
#include "text/detail/utf8.hpp"

#include <utf8proc.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <array>
#include <string>
#include <type_traits>
#include <vector>

namespace retold {
namespace {

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
thread_local scratch tl_scratch;

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
  // The main loop may write this entry in place without looking at the rest of the word: a word
  // character (keep, or punct when punctuation is kept) whose mapping is two bytes long, as its
  // input is. [fold_punctuation]. Such a word's output since its last space has as many bytes as
  // its input, which is what lets a later code point of the word that needs the general path find
  // where the word began and redo it whole.
  bool in_place[2] = {false, false};
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
      t.in_place[1] = kind == two_byte_entry::keep && nbytes == 2;
      t.in_place[0] = (kind == two_byte_entry::keep || kind == two_byte_entry::punct) && nbytes == 2;
    }
  }
}

const two_byte_table& two_byte() {
  static const two_byte_table table;  // built once, thread-safe initialisation
  return table;
}

// The in-place entries of one [casefold][fold_punctuation] mode for the main loop, indexed by the
// two input bytes themselves (as a host-order std::uint16_t: the main loop loads and stores them
// with memcpy): pairs[x] is the two output bytes when x is a two-byte sequence whose entry is in
// place, else 0 (an ASCII first byte, a malformed pair, the overlong C0 / C1 leads, anything for
// the general path). One load per code point tells both whether and what to write. 128 KiB, built
// on first use of the mode.
struct pair_table {
  std::uint16_t pairs[0x10000] = {};
  explicit pair_table(int mode) {
    const two_byte_entry* e = two_byte().e[mode & 1];
    const int fp = (mode >> 1) & 1;
    for (unsigned cp = 0x80; cp < 0x800; ++cp) {
      const two_byte_entry& t = e[cp];
      if (!t.in_place[fp]) continue;
      const unsigned char in[2] = {static_cast<unsigned char>(0xC0u | (cp >> 6)),
                                   static_cast<unsigned char>(0x80u | (cp & 0x3Fu))};
      std::uint16_t x, mapped;
      std::memcpy(&x, in, 2);
      std::memcpy(&mapped, t.bytes, 2);
      pairs[x] = mapped;
    }
  }
};

template <int Mode>
const std::uint16_t* pairs_of() {
  static const pair_table table(Mode);  // built once per mode, thread-safe initialisation
  return table.pairs;
}

const std::uint16_t* pairs_for(const normalize_options& opts) {
  switch ((opts.casefold ? 1 : 0) | (opts.fold_punctuation ? 2 : 0)) {
    case 0: return pairs_of<0>();
    case 1: return pairs_of<1>();
    case 2: return pairs_of<2>();
    default: return pairs_of<3>();
  }
}

#if defined(__SSE2__)
// ---- 16-byte blocks of two-byte letters
//
// The scalar run above branches at every word boundary, and word lengths are random: about one
// mispredicted branch per word, most of its time on Cyrillic or Arabic text. The main loop
// therefore takes 16 input bytes at once when each of them is an ASCII byte or part of a two-byte
// code point whose in-place mapping is given by one of a few rules. Rules are derived from the
// in-place entries per group of four lead bytes (C0-C3 Latin-1, CC-CF Greek, D0-D3 Cyrillic, D4-D7
// Armenian and Hebrew, D8-DB Arabic, ...): inside a group a code point is the byte index
// (lead & 3) << 6 | (continuation & 0x3F), and a rule is a run of indexes over which the mapping
// adds the same constants to the lead and continuation bytes (lower-case Cyrillic letters add
// nothing, upper-case А-П add 0x20 to the continuation byte, Р-Я add 1 to the lead and take 0x20
// from the continuation byte). A block whose code points are all covered by its group's rules is
// mapped with a fixed sequence of vector operations and no branch per word; any other block goes
// to the scalar run. The rules only restate table entries, so the output is the same byte for byte.
constexpr int k_same_rules = 2;  // rules that map code points to themselves (range test only)
constexpr int k_full_rules = 3;  // rules of any kind
struct block_group {
  bool usable = false;  // at least one rule
  alignas(16) unsigned char group[16] = {};                 // the group's first lead byte
  alignas(16) unsigned char same_lo[k_same_rules][16] = {};  // first index of the run
  alignas(16) unsigned char same_span[k_same_rules][16] = {};  // last - first
  alignas(16) unsigned char lo[k_full_rules][16] = {};
  alignas(16) unsigned char span[k_full_rules][16] = {};
  alignas(16) unsigned char dlead[k_full_rules][16] = {};
  alignas(16) unsigned char dcont[k_full_rules][16] = {};
};
struct block_table {
  block_group g[16];  // by (lead - 0xC0) >> 2; E0-FF: never usable
  explicit block_table(const std::uint16_t* pairs);
};

block_table::block_table(const std::uint16_t* pairs) {
  for (int grp = 0; grp < 8; ++grp) {
    struct run { int first, last, dl, dc; };
    std::vector<run> runs;
    for (int idx = 0; idx < 256; ++idx) {
      const unsigned char in[2] = {static_cast<unsigned char>(0xC0 + 4 * grp + (idx >> 6)),
                                   static_cast<unsigned char>(0x80 | (idx & 0x3F))};
      std::uint16_t x;
      std::memcpy(&x, in, 2);
      unsigned char out[2];
      std::memcpy(out, &pairs[x], 2);
      if (out[0] == 0 && out[1] == 0) continue;  // not in place
      const int dl = (out[0] - in[0]) & 0xFF, dc = (out[1] - in[1]) & 0xFF;
      if (!runs.empty() && runs.back().last == idx - 1 && runs.back().dl == dl && runs.back().dc == dc)
        runs.back().last = idx;
      else
        runs.push_back({idx, idx, dl, dc});
    }
    // The longest runs; single code points (the alternating upper / lower case of historic
    // Cyrillic letters, say) are left to the scalar run.
    std::stable_sort(runs.begin(), runs.end(),
                     [](const run& a, const run& b) { return a.last - a.first > b.last - b.first; });
    while (!runs.empty() && runs.back().last == runs.back().first) runs.pop_back();
    std::vector<run> same, full;
    for (const run& r : runs)
      if (r.dl == 0 && r.dc == 0 && same.size() < k_same_rules) same.push_back(r);
    for (const run& r : runs)
      if ((r.dl != 0 || r.dc != 0) && full.size() < k_full_rules) full.push_back(r);
    for (std::size_t k = same.size(); k < runs.size() && full.size() < k_full_rules; ++k)
      if (runs[k].dl == 0 && runs[k].dc == 0) full.push_back(runs[k]);  // identity runs left over
    block_group& bg = g[grp];
    if (same.empty() && full.empty()) continue;
    bg.usable = true;
    // Unused slots repeat a rule: the deltas are combined with OR, which a repeat leaves unchanged.
    const run pad = same.empty() ? full.front() : same.front();
    while (same.size() < k_same_rules) same.push_back(pad);
    while (full.size() < k_full_rules) full.push_back(pad);
    std::memset(bg.group, 0xC0 + 4 * grp, 16);
    for (int k = 0; k < k_same_rules; ++k) {
      std::memset(bg.same_lo[k], same[static_cast<std::size_t>(k)].first, 16);
      std::memset(bg.same_span[k], same[static_cast<std::size_t>(k)].last - same[static_cast<std::size_t>(k)].first, 16);
    }
    for (int k = 0; k < k_full_rules; ++k) {
      const run& r = full[static_cast<std::size_t>(k)];
      std::memset(bg.lo[k], r.first, 16);
      std::memset(bg.span[k], r.last - r.first, 16);
      std::memset(bg.dlead[k], r.dl, 16);
      std::memset(bg.dcont[k], r.dc, 16);
    }
  }
}

template <int Mode>
const block_group* blocks_of() {
  static const block_table table(pairs_of<Mode>());  // built once per mode
  return table.g;
}

const block_group* blocks_for(const normalize_options& opts) {
  switch ((opts.casefold ? 1 : 0) | (opts.fold_punctuation ? 2 : 0)) {
    case 0: return blocks_of<0>();
    case 1: return blocks_of<1>();
    case 2: return blocks_of<2>();
    default: return blocks_of<3>();
  }
}

// The 16 bytes v at p (`high`: the mask of their bytes >= 0x80, not zero) as a block of ASCII
// bytes and two-byte code points covered by `groups`. Returns the number of bytes it takes (16,
// or 15 when the last byte is a lead byte), or 0 if the block does not qualify. On success
// *mapped is v with every code point mapped (ASCII bytes unchanged).
inline unsigned two_byte_block(__m128i v, unsigned high, const unsigned char* p,
                               const block_group* groups, __m128i* mapped) {
  const unsigned cont = static_cast<unsigned>(
      _mm_movemask_epi8(_mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(0xC0)))));  // 80..BF
  unsigned lead = high & ~cont;
  const unsigned tail = lead >> 15;  // the last code point continues in the next block
  lead &= 0x7FFFu;
  if (lead == 0) {  // no code point starts here (at most a lead byte at the end)
    *mapped = v;
    return cont == 0 ? 16 - tail : 0;
  }
  const block_group& g = groups[(p[__builtin_ctz(lead)] - 0xC0u) >> 2];
  if (!g.usable) return 0;  // three- and four-byte sequences (typographic punctuation), E0-FF
  const auto load = [](const unsigned char* x) {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(x));
  };
  const __m128i before = _mm_slli_si128(v, 1);  // the byte before each byte (0 before the first)
  const __m128i idx = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(before, _mm_set1_epi8(3)), 6),
                                   _mm_and_si128(v, _mm_set1_epi8(0x3F)));
  const __m128i zero = _mm_setzero_si128();
  // idx - lo <= span, unsigned
  const auto in_run = [&](const unsigned char* lo, const unsigned char* span) {
    return _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(idx, load(lo)), load(span)), zero);
  };
  __m128i covered = _mm_or_si128(in_run(g.same_lo[0], g.same_span[0]), in_run(g.same_lo[1], g.same_span[1]));
  __m128i dcont = zero, dlead = zero;
  for (int k = 0; k < k_full_rules; ++k) {  // a constant count: unrolled
    const __m128i m = in_run(g.lo[k], g.span[k]);
    covered = _mm_or_si128(covered, m);
    dcont = _mm_or_si128(dcont, _mm_and_si128(m, load(g.dcont[k])));
    dlead = _mm_or_si128(dlead, _mm_and_si128(m, load(g.dlead[k])));
  }
  // A match counts only at a byte that follows a lead byte of the group, which (once the structure
  // check below holds) is a continuation byte. Runs are disjoint: at most one distinct rule matched.
  covered = _mm_and_si128(covered, _mm_cmpeq_epi8(_mm_and_si128(before, _mm_set1_epi8(static_cast<char>(0xFC))),
                                                  load(g.group)));
  // Every lead byte is followed by a continuation byte and every continuation byte follows a lead
  // byte (so each is one two-byte sequence), and each is covered.
  if ((lead << 1) != cont || static_cast<unsigned>(_mm_movemask_epi8(covered)) != cont) return 0;
  const __m128i delta = _mm_add_epi8(_mm_and_si128(dcont, covered),
                                     _mm_srli_si128(_mm_and_si128(dlead, covered), 1));
  *mapped = _mm_add_epi8(v, delta);
  return 16 - tail;
}
#endif

// Tries the chunk on the two-byte table; false (and nothing emitted) if it needs the general path.
bool normalize_chunk_fast(const unsigned char* p, std::size_t len, emitter& em,
                          const normalize_options& opts, const unsigned char* ascii) {
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
  throw error(errc::invalid_utf8, "invalid UTF-8 at byte offset " + std::to_string(offset));
}

// One chunk that contains at least one non-ASCII byte. `offset` is its position in the input,
// for error messages.
void normalize_chunk(const unsigned char* p, std::size_t len, std::size_t offset, emitter& em,
                     const normalize_options& opts, const unsigned char* ascii) {
  if (normalize_chunk_fast(p, len, em, opts, ascii)) return;
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

}  // namespace

void normalize_into(std::string_view text, std::string& out, const normalize_options& opts) {
  // Per thread, keeping the capacity of the longest text this thread has stripped: one
  // allocation per document less (the caller's text cannot alias it).
  thread_local std::string stripped;
  if (opts.strip_boilerplate) {
    if (!opts.replace_invalid_utf8) {
      // Report offsets in the caller's text, not in the stripped copy.
      std::size_t bad = 0;
      if (!is_valid_utf8(text, &bad)) throw_invalid(bad);
    }
    detail::strip_boilerplate_into(text, stripped);
    text = stripped;
  }
  const unsigned char* const table =
      k_tables.t[(opts.casefold ? 1 : 0) | (opts.fold_punctuation ? 2 : 0)].data();
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();

  // Invariant: out.size() >= w + (n - i) + 16. ASCII input produces at most one output byte per
  // input byte, so the ASCII paths write through a raw pointer (16-byte stores included); a slow
  // chunk re-establishes the invariant after itself. Every byte below w is written before it is
  // read, so the old contents need not be cleared: resize() zero-fills only the growth.
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
  // p[i] is not ASCII. Two-byte code points whose table entry is in place (most Cyrillic, Greek,
  // Hebrew and Arabic letters) are written here, one after another with the ASCII bytes between
  // them, without the per-word dispatch below; anything else goes to non_ascii().
  const std::uint16_t* const pairs = pairs_for(opts);
  // Stops at `limit` or soon after (at the end of the word running there). Returns false if it
  // stopped at a code point it cannot write.
  auto two_byte_run = [&](std::size_t limit) {
    // Locals, not the captured cursors: stores through `o` (a char pointer) could alias those, so
    // the compiler would reload them after every byte.
    std::size_t r = i, wr = w;
    bool open = prev;
    char* const dst = o;
    std::size_t last = r;  // end of the last two-byte code point written
    bool writable = true;
    const std::size_t end = std::min(limit, n - 1);
    while (r < end) {
      const unsigned c = p[r];
      if (c < 0x80) {
        const unsigned char v = table[c];
        const bool word = v != 0;
        // A separator well past the last two-byte code point: the text is back to ASCII words
        // (an accented word in English copy), which the 16-byte loop takes faster.
        if (!word && r - last > 8) break;
        dst[wr] = static_cast<char>(word ? v : ' ');
        wr += static_cast<std::size_t>(word || open);
        open = word;
        ++r;
        continue;
      }
      // A run of in-place code points. Input and output advance together, so one index (and
      // the fixed distance between them) serves both.
      const std::size_t to_out = wr - r;  // modulo 2^64: the output may be ahead of the input
      std::size_t q = r;
      do {
        std::uint16_t x;
        std::memcpy(&x, p + q, 2);
        const std::uint16_t t = pairs[x];
        if (t == 0) break;
        std::memcpy(dst + (q + to_out), &t, 2);
        q += 2;
      } while (q + 1 < n);
      if (q == r) {  // p[r] starts a code point the general path takes
        writable = false;
        break;
      }
      wr += q - r;
      open = true;
      r = last = q;
    }
    i = r;
    w = wr;
    prev = open;
    return writable && !(r == n - 1 && p[r] >= 0x80);
  };
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
  // At a non-ASCII byte: the in-place run first, then, if it stopped at a code point it cannot
  // write, the general dispatch.
  auto non_ascii_run = [&](std::size_t limit) {
    if (!two_byte_run(limit)) non_ascii();
  };

#if defined(__SSE2__)
  // Sixteen ASCII bytes at a time: classify and case-fold with SSE2, then copy the kept runs.
  const bool casefold = opts.casefold, fold_punct = opts.fold_punctuation;
  alignas(16) char tmp[32] = {};
  // Classifies, case-folds and writes the first `taken` bytes of v. Mapped: v holds the mapped
  // code points of a block as well (bytes >= 0x80, word bytes written as they are). The ASCII call
  // has both as constants, so the 16-byte ASCII loop is what it was before blocks.
  const auto emit = [&](__m128i v, auto taken, auto mapped) {
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
    if (mapped) word = _mm_or_si128(word, _mm_cmplt_epi8(v, _mm_setzero_si128()));
    const __m128i outv = _mm_or_si128(_mm_and_si128(word, folded),
                                      _mm_andnot_si128(word, _mm_set1_epi8(' ')));
    const unsigned all = (1u << taken) - 1u;
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(word)) & all;
    unsigned keep = (m | (m << 1) | static_cast<unsigned>(prev)) & all;
    if (keep == all) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(o + w), outv);
      w += taken;
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
    prev = (m >> (taken - 1)) & 1u;
    i += taken;
  };
  const block_group* const groups = blocks_for(opts);
  while (i + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const unsigned high = static_cast<unsigned>(_mm_movemask_epi8(v));
    if (high == 0) {
      emit(v, std::integral_constant<unsigned, 16>{}, std::false_type{});
      continue;
    }
    __m128i mapped;
    const unsigned taken = two_byte_block(v, high, p + i, groups, &mapped);
    if (taken != 0) {
      emit(mapped, taken, std::true_type{});
      continue;
    }
    // Not a block of covered code points: the ASCII bytes before the first non-ASCII one, then the
    // scalar run over the next 64 bytes or so (one uncovered letter does not keep the rest of the
    // text off the block path).
    const std::size_t stop = i + static_cast<std::size_t>(__builtin_ctz(high));
    while (i < stop) ascii_byte(table[p[i]]);
    non_ascii_run(i + 64);
  }
#endif
  while (i < n) {
    const unsigned char v = table[p[i]];
    if (v == k_non_ascii) [[unlikely]] {
      non_ascii_run(n);
      continue;
    }
    ascii_byte(v);
  }
  if (w > 0 && o[w - 1] == ' ') --w;
  out.resize(w);
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
