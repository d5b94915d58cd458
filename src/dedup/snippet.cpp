// readable_excerpt() (snippet.hpp).
#include "dedup/snippet.hpp"

#include <retold/text.hpp>

#include <algorithm>

namespace retold::detail {

namespace {

bool is_plain(unsigned char c) noexcept { return c > 0x20 && c < 0x7F; }
bool is_space(unsigned char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Length of the UTF-8 sequence that starts at text[i], or 0 when it is invalid there.
std::size_t sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto c = static_cast<unsigned char>(text[i]);
  const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  return is_valid_utf8(text.substr(i, n)) ? n : 0;
}

}  // namespace

std::string readable_excerpt(std::string_view text, std::size_t max_bytes) {
  std::string out;
  if (max_bytes == 0) return out;
  out.reserve(std::min(text.size(), max_bytes));
  bool pending_space = false, cut = false;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    // Plain ASCII outside spaces, the common case, is copied as it is (same result as below), a
    // whole run (a word and its punctuation) at a time: appending byte by byte was most of the
    // cost of a lexical run's snippets.
    if (is_plain(c)) {
      if (out.size() + pending_space + 1 > max_bytes) {
        cut = true;
        break;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      std::size_t j = i + 1;
      while (j < text.size() && is_plain(static_cast<unsigned char>(text[j]))) ++j;
      const std::size_t take = std::min(j - i, max_bytes - out.size());
      out.append(text.data() + i, take);
      if (take < j - i) {
        cut = true;
        break;
      }
      i = j;
      continue;
    }
    if (is_space(c)) {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    std::size_t n = sequence_length(text, i);
    const std::string_view piece = n ? text.substr(i, n) : std::string_view("\xEF\xBF\xBD");
    if (n == 0) n = 1;  // skip the bad byte, write U+FFFD
    if (out.size() + pending_space + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += piece;
    i += n;
  }
  if (cut) {
    const std::size_t space = out.rfind(' ');
    if (space != std::string::npos && space > max_bytes / 2) out.resize(space);
  }
  return out;
}

void text_arena::reserve_for(std::size_t bytes) {
  if (bytes_.capacity() < bytes_.size() + bytes) bytes_.reserve(std::max(bytes_.size() + bytes, 2 * bytes_.capacity()));
  if (entries_.capacity() < entries_.size() + 1) entries_.reserve(std::max<std::size_t>(16, 2 * entries_.capacity()));
}

void text_arena::push(std::string_view title, std::string_view snippet) {
  reserve_for(title.size() + snippet.size());
  entries_.push_back({bytes_.size(), static_cast<std::uint32_t>(title.size()), static_cast<std::uint32_t>(snippet.size())});
  bytes_.append(title).append(snippet);
}

std::string_view text_arena::title(std::size_t slot) const noexcept {
  const entry& e = entries_[slot];
  return std::string_view(bytes_).substr(e.begin, e.title_len);
}

std::string_view text_arena::snippet(std::size_t slot) const noexcept {
  const entry& e = entries_[slot];
  return std::string_view(bytes_).substr(e.begin + e.title_len, e.snippet_len);
}

void text_arena::clear_slot(std::size_t slot) {
  entry& e = entries_[slot];
  garbage_ += std::size_t{e.title_len} + e.snippet_len;
  e = entry{};
  if (garbage_ < 4096 || garbage_ * 2 < bytes_.size()) return;
  std::string kept;
  kept.reserve(bytes_.size() - garbage_);
  for (entry& x : entries_) {
    const std::size_t n = std::size_t{x.title_len} + x.snippet_len;
    const std::size_t from = x.begin;
    x.begin = kept.size();
    kept.append(bytes_, from, n);
  }
  bytes_.swap(kept);
  garbage_ = 0;
}

}  // namespace retold::detail
