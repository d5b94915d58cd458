// retold/text.hpp - Unicode normalization, tokenization and boilerplate stripping.
//
// The lexical pipeline starts here: raw UTF-8 -> normalize() -> a string of tokens separated by
// single ASCII spaces -> shingles (shingle.hpp) -> MinHash (minhash.hpp). Normalization is
// NFKC plus Unicode case folding (utf8proc), so "ﬁ", "ＦＩ" and "Fi" all become "fi", with
// punctuation and symbols turned into token separators and digits kept. ASCII text takes a
// table-driven fast path, and so do the two-byte scripts (Latin-1 and Latin Extended, Greek,
// Cyrillic, Armenian, Hebrew, Arabic, ...: a table built once from utf8proc); utf8proc itself only
// sees words that hold anything else (combining marks, three- and four-byte characters, expanding
// or dropped characters). Every path gives the bytes the general one would.
//
// All functions here are pure: they keep no state, allocate only their results and are safe to
// call from any number of threads at once.
#pragma once

#include <retold/export.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace retold {

/// What normalize() does. Plain value.
struct normalize_options {
  /// NFKC + Unicode case folding. Turkish: "İ" (U+0130), "I", "ı" (U+0131) and "i" all fold to
  /// "i", so text that differs only in Turkish casing (or in whether it was typed with a Turkish
  /// keyboard) matches. When false, only NFKC is applied and case is kept.
  bool casefold = true;
  /// Punctuation (P*), symbols (S*), separators (Z*) and controls become token separators;
  /// letters, marks and digits of every script are kept. Format characters (Cf: soft hyphen,
  /// zero-width joiners used inside Urdu/Persian words) are removed without splitting the word.
  /// When false, only whitespace and controls separate tokens and punctuation stays in them.
  bool fold_punctuation = true;
  /// Run strip_boilerplate() on the raw text first.
  bool strip_boilerplate = false;
  /// false: invalid UTF-8 throws retold::error(errc::invalid_utf8) whose message names the byte
  /// offset of the first bad byte. true: each maximal invalid subsequence is replaced by U+FFFD,
  /// which (being a symbol) then acts as a token separator when fold_punctuation is on.
  bool replace_invalid_utf8 = false;
};

/// Returns the normalized text: tokens separated by single ASCII spaces, no leading or trailing
/// space; empty when the text has no letters or digits. Throws errc::invalid_utf8 (see
/// normalize_options::replace_invalid_utf8). Thread-safe.
RETOLD_API std::string normalize(std::string_view text, const normalize_options& opts = {});

/// Same as normalize() but writes into `out` (cleared first), reusing its capacity: use this in
/// hot loops to avoid an allocation per document. `out` must not alias `text`. Thread-safe for
/// distinct `out` objects. With strip_boilerplate, each calling thread keeps one scratch buffer
/// of the longest text it has stripped (freed when the thread ends). Memory: the first call with
/// a given (casefold, fold_punctuation) pair builds that mode's 128 KiB lookup table for two-byte
/// code points, shared by all threads and kept for the life of the process (the defaults use one
/// mode; at most four tables, 512 KiB).
RETOLD_API void normalize_into(std::string_view text, std::string& out,
                               const normalize_options& opts = {});

/// Splits a normalized string into its tokens (split on ASCII space, empty tokens skipped).
/// The views point into `normalized`: the caller keeps it alive and unchanged while using them.
RETOLD_API std::vector<std::string_view> tokenize(std::string_view normalized);

/// Removes agency credit lines and section labels from raw text, keeping everything else as
/// written:
///  - lines that are only a section label ("Details", "Recall", "Optional", "Read also",
///    "Related", "Advertisement", ...; case-insensitive, an optional trailing colon);
///  - sentences that are credit lines ("This was reported by UNN with reference to Reuters, ...",
///    "It was reported by ...", "Reporting by ...; Editing by ...", "Additional reporting by",
///    "... contributed to this report"), promotion ("Subscribe to ...", "Sign up for ...",
///    "Follow <outlet> for the latest ...") and notes about the story ("... will update this
///    story ...").
/// Datelines such as "KYIV (Reuters) -" or "(APP)" are kept. Paragraphs left empty are dropped;
/// the result keeps one '\n' between remaining lines. Works on bytes, so invalid UTF-8 passes
/// through unchanged (normalize() reports it). Thread-safe.
RETOLD_API std::string strip_boilerplate(std::string_view text);

/// true if `text` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
/// Otherwise false and, when error_offset is not null, *error_offset = offset of the first byte
/// of the first invalid sequence. Thread-safe.
RETOLD_API bool is_valid_utf8(std::string_view text, std::size_t* error_offset = nullptr) noexcept;

}  // namespace retold
