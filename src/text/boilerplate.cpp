// Boilerplate stripping: section-label lines and agency credit sentences. Byte-oriented (ASCII
// case-insensitive matching), so it never fails on invalid UTF-8 and never rewrites kept text.
#include <retold/text.hpp>

#include <array>
#include <string>
#include <string_view>

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

}  // namespace

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

}  // namespace retold
