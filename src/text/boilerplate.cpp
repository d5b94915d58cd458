// Boilerplate stripping: section-label lines and agency credit sentences. Byte-oriented (ASCII
// case-insensitive matching), so it never fails on invalid UTF-8 and never rewrites kept text.
//
// One pass over the text: a 16-byte SSE2 scan finds each sentence's end and whether it holds
// the one word every story-note phrase contains; only such sentences (and those starting with
// "follow ") are read again, by an Aho-Corasick automaton over all the phrases that may occur
// anywhere in a sentence. Prefixes and suffixes are compared only at the sentence's two ends.
// (Before, every sentence was searched once per phrase: a third of a lexical run's
// instructions; docs/performance.md.)
#include <retold/text.hpp>

#include "text/detail/boilerplate.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace retold {
namespace {

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

// What the automaton reports for a sentence: which groups of contained phrases occur in it.
constexpr std::uint8_t k_note_found = 1;
constexpr std::uint8_t k_follow_found = 2;

// Aho-Corasick automaton over k_note_phrases and k_follow_phrases, as a complete transition
// table over byte classes: every byte that occurs in no phrase is one class (it leads back to
// the root), and an ASCII letter and its capital share a class. One table step per byte finds
// every phrase of both groups, whatever their number.
struct phrase_automaton {
  static constexpr std::uint8_t k_other = 0;  // bytes in no phrase
  std::array<std::uint8_t, 256> byte_class{};
  std::uint32_t classes = 1;
  std::vector<std::uint16_t> next;  // next[state * classes + class]
  std::vector<std::uint8_t> found;  // found[state]: groups of the phrases ending here

  phrase_automaton() {
    byte_class.fill(k_other);
    auto add_class = [&](char c) {
      const auto u = static_cast<unsigned char>(c);
      if (byte_class[u] != k_other) return;
      byte_class[u] = static_cast<std::uint8_t>(classes);
      if (c >= 'a' && c <= 'z') byte_class[u - 32] = static_cast<std::uint8_t>(classes);
      ++classes;
    };
    for (auto p : k_note_phrases) for (char c : p) add_class(c);
    for (auto p : k_follow_phrases) for (char c : p) add_class(c);

    // The trie (goto function), -1: no edge yet.
    std::vector<std::vector<std::int32_t>> go(1, std::vector<std::int32_t>(classes, -1));
    found.assign(1, 0);
    auto add_phrase = [&](std::string_view p, std::uint8_t group) {
      std::size_t s = 0;
      for (char c : p) {
        const std::uint8_t k = byte_class[static_cast<unsigned char>(c)];
        if (go[s][k] < 0) {
          go[s][k] = static_cast<std::int32_t>(go.size());
          go.emplace_back(classes, -1);
          found.push_back(0);
        }
        s = static_cast<std::size_t>(go[s][k]);
      }
      found[s] |= group;
    };
    for (auto p : k_note_phrases) add_phrase(p, k_note_found);
    for (auto p : k_follow_phrases) add_phrase(p, k_follow_found);

    // Breadth first: failure links, reports inherited along them, missing edges completed.
    next.assign(go.size() * classes, 0);
    std::vector<std::size_t> fail(go.size(), 0), queue;
    for (std::uint32_t k = 0; k < classes; ++k) {
      if (go[0][k] >= 0) {
        next[k] = static_cast<std::uint16_t>(go[0][k]);
        queue.push_back(static_cast<std::size_t>(go[0][k]));
      }
    }
    for (std::size_t qi = 0; qi < queue.size(); ++qi) {
      const std::size_t s = queue[qi];
      found[s] |= found[fail[s]];
      for (std::uint32_t k = 0; k < classes; ++k) {
        const std::uint16_t via_fail = next[fail[s] * classes + k];
        if (go[s][k] >= 0) {
          const auto t = static_cast<std::size_t>(go[s][k]);
          fail[t] = via_fail;
          next[s * classes + k] = static_cast<std::uint16_t>(t);
          queue.push_back(t);
        } else {
          next[s * classes + k] = via_fail;
        }
      }
    }
  }
};

const phrase_automaton& automaton() {
  static const phrase_automaton a;  // built once, thread-safe initialisation
  return a;
}

// A string of ASCII letters that every note phrase contains ("story"): a sentence without it
// cannot contain a note phrase, so the automaton runs only on the sentences that have it (and
// on those starting with "follow "). Found at start as the longest letters-only common
// substring of the phrases, so it follows any change of the list; empty (no prefilter, the
// automaton reads every sentence) if the phrases share none of at least 3 letters.
struct note_anchor {
  std::string text;
  note_anchor() {
    const std::string_view first = k_note_phrases[0];
    for (std::size_t len = first.size(); len >= 3 && text.empty(); --len)
      for (std::size_t at = 0; at + len <= first.size() && text.empty(); ++at) {
        const std::string_view cand = first.substr(at, len);
        bool letters = true;
        for (char c : cand) letters &= c >= 'a' && c <= 'z';
        if (!letters) continue;
        bool everywhere = true;
        for (auto p : k_note_phrases) everywhere &= p.find(cand) != std::string_view::npos;
        if (everywhere) text = cand;
      }
  }
};

const note_anchor& anchor() {
  static const note_anchor a;  // built once, thread-safe initialisation
  return a;
}

// The phrase groups that occur in line[from, to).
std::uint8_t phrases_in(std::string_view line, std::size_t from, std::size_t to, const phrase_automaton& a) {
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  const std::uint16_t* next = a.next.data();
  const std::uint8_t* found_at = a.found.data();
  const std::uint32_t classes = a.classes;
  std::uint32_t state = 0;
  std::uint8_t found = 0;
  for (std::size_t j = from; j < to; ++j) {
    state = next[state * classes + a.byte_class[p[j]]];
    found |= found_at[state];
  }
  return found;
}

inline bool is_end_mark(unsigned char c) { return c == '.' || c == '!' || c == '?'; }

// If line[j] (one of . ! ?) ends a sentence (followed, after closing quotes, by whitespace or
// the end of the line), the end of that sentence; else 0.
inline std::size_t end_after_mark(const unsigned char* p, std::size_t j, std::size_t n) {
  std::size_t e = j + 1;
  while (e < n && (p[e] == '"' || p[e] == '\'' || p[e] == ')')) ++e;
  return (e == n || is_space(static_cast<char>(p[e]))) ? e : 0;
}

struct sentence_scan {
  std::size_t end;   // one past the sentence (its punctuation and closing quotes included)
  bool has_anchor;   // the sentence contains note_anchor::text (case-insensitive)
};

// The sentence starting at `line[pos]`: up to and including ., ! or ? (plus closing quotes)
// that is followed by whitespace or the end of the line; and whether it contains the anchor.
// Sixteen bytes at a time: sentence marks and the anchor's first two letters are found with
// SSE2 compares, everything else is skipped.
sentence_scan scan_sentence(std::string_view line, std::size_t pos, std::string_view anchor_text) {
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  const std::size_t n = line.size();
  const bool use_anchor = anchor_text.size() >= 2;
  bool has_anchor = false;
  std::size_t j = pos;
#if defined(__SSE2__)
  const __m128i a0 = _mm_set1_epi8(use_anchor ? anchor_text[0] : 0);
  const __m128i a1 = _mm_set1_epi8(use_anchor ? anchor_text[1] : 0);
  const __m128i bit5 = _mm_set1_epi8(0x20);
  while (j + 17 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
    const __m128i ends = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')),
                                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('!'))),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('?')));
    auto mark = static_cast<unsigned>(_mm_movemask_epi8(ends));
    unsigned cand = 0;
    if (use_anchor && !has_anchor) {
      // Letters only in the anchor: b | 0x20 equals a lower-case letter exactly for it and its capital.
      const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j + 1));
      cand = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(
          _mm_cmpeq_epi8(_mm_or_si128(v, bit5), a0), _mm_cmpeq_epi8(_mm_or_si128(w, bit5), a1))));
    }
    while ((mark | cand) != 0) {
      const auto b = static_cast<unsigned>(__builtin_ctz(mark | cand));
      const unsigned bit = 1u << b;
      const std::size_t at = j + b;
      if ((cand & bit) && !has_anchor && istarts_with(line.substr(at), anchor_text)) has_anchor = true;
      if (mark & bit)
        if (const std::size_t e = end_after_mark(p, at, n)) return {e, has_anchor};
      mark &= ~bit;
      cand &= ~bit;
      if (has_anchor) cand = 0;
    }
    j += 16;
  }
#endif
  for (; j < n; ++j) {
    if (use_anchor && !has_anchor && istarts_with(line.substr(j), anchor_text)) has_anchor = true;
    if (is_end_mark(p[j]))
      if (const std::size_t e = end_after_mark(p, j, n)) return {e, has_anchor};
  }
  return {n, has_anchor};
}

// The credit prefixes by their first byte (lower-cased): most sentences start with none of them,
// and one that starts with a common letter ("This", "It", "A") is compared with the few
// prefixes of that letter only, not with all twenty.
struct first_byte_set {
  static_assert(k_credit_prefixes.size() <= 32, "one bit a prefix");
  std::array<std::uint32_t, 256> prefixes{};  // bit i: k_credit_prefixes[i] starts with this byte
  first_byte_set() {
    for (std::size_t i = 0; i < k_credit_prefixes.size(); ++i)
      prefixes[static_cast<unsigned char>(k_credit_prefixes[i][0])] |= std::uint32_t{1} << i;
  }
};

// `has_anchor`: the sentence contains the note anchor (when there is one), see scan_sentence.
bool is_credit_sentence(std::string_view s, bool has_anchor, const phrase_automaton& a, bool anchored) {
  s = trim(s);
  static const first_byte_set first;
  if (!s.empty())
    for (std::uint32_t m = first.prefixes[static_cast<unsigned char>(lower(s[0]))]; m != 0; m &= m - 1)
      if (istarts_with(s, k_credit_prefixes[static_cast<std::size_t>(__builtin_ctz(m))])) return true;
  const bool follow = istarts_with(s, "follow ");
  if (has_anchor || follow || !anchored) {
    // Every match of a phrase in the line part lies in the trimmed sentence and vice versa: a
    // phrase holds no sentence punctuation and no no-break space, and begins and ends with
    // neither whitespace nor anything trimming removes.
    const std::uint8_t found = phrases_in(s, 0, s.size(), a);
    if (found & k_note_found) return true;
    if ((found & k_follow_found) && follow) return true;
  }
  while (!s.empty() && (s.back() == '.' || s.back() == '!' || s.back() == '"')) s.remove_suffix(1);
  for (auto suffix : k_credit_suffixes)
    if (iends_with(s, suffix)) return true;
  return false;
}

// Appends `line` without its credit sentences (and the whitespace that followed them), trimmed,
// after a '\n' when `out` already holds text; nothing when nothing of it is kept.
void append_without_credits(std::string_view line, std::string& out, const phrase_automaton& a,
                            std::string_view anchor_text) {
  const std::size_t start = out.size();
  if (start != 0) out.push_back('\n');
  const std::size_t body = out.size();
  std::size_t pos = 0;
  while (pos < line.size()) {
    const sentence_scan sc = scan_sentence(line, pos, anchor_text);
    std::size_t next = sc.end;
    while (next < line.size() && is_space(line[next])) ++next;
    if (!is_credit_sentence(line.substr(pos, sc.end - pos), sc.has_anchor, a, !anchor_text.empty()))
      out.append(line.substr(pos, next - pos));
    pos = next;
  }
  const std::string_view kept(out.data() + body, out.size() - body);
  const std::string_view t = trim(kept);
  if (t.empty()) {
    out.resize(start);
    return;
  }
  const auto from = static_cast<std::size_t>(t.data() - out.data());
  if (from != body) out.erase(body, from - body);
  out.resize(body + t.size());
}

}  // namespace

std::string strip_boilerplate(std::string_view text) {
  std::string out;
  detail::strip_boilerplate_into(text, out);
  return out;
}

void detail::strip_boilerplate_into(std::string_view text, std::string& out) {
  const phrase_automaton& a = automaton();
  const std::string_view anchor_text = anchor().text;
  out.clear();
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(pos, nl - pos);
    const std::string_view t = trim(line);
    if (!t.empty() && !is_label_line(t) && !is_navigation_line(t)) append_without_credits(t, out, a, anchor_text);
    pos = nl + 1;
  }
}

}  // namespace retold
