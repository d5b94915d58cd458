// readable_excerpt() (snippet.hpp).
#include "dedup/snippet.hpp"

#include <retold/text.hpp>

#include <algorithm>
#include <cstdint>
#include <new>

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
  if (entries_.capacity() < entries_.size() + 1) entries_.reserve(std::max<std::size_t>(16, 2 * entries_.capacity()));
  if (!chunks_.empty() && chunks_.back().bytes.size() - chunks_.back().used >= bytes) return;
  if (bytes > UINT32_MAX) throw std::bad_alloc();  // an entry's offset and lengths are 32-bit
  if (chunks_.capacity() < chunks_.size() + 1) chunks_.reserve(std::max<std::size_t>(4, 2 * chunks_.capacity()));
  if (chunks_.size() == 1 && chunks_[0].bytes.size() < chunk_bytes && chunks_[0].used + bytes <= chunk_bytes) {
    // The first chunk, doubled: its slots keep their offsets.
    std::size_t size = chunks_[0].bytes.size();
    while (size < chunks_[0].used + bytes) size *= 2;
    mapped_array<char> bigger(std::min(size, chunk_bytes));
    std::copy(chunks_[0].bytes.data(), chunks_[0].bytes.data() + chunks_[0].used, bigger.data());
    chunks_[0].bytes = std::move(bigger);
    return;
  }
  const std::size_t first = std::size_t{4} << 10;
  chunks_.push_back(chunk{mapped_array<char>(std::max(bytes, chunks_.empty() ? first : chunk_bytes)), 0});
}

void text_arena::push(std::string_view title, std::string_view snippet) {
  const std::size_t n = title.size() + snippet.size();
  reserve_for(n);
  chunk& c = chunks_.back();
  entries_.push_back({static_cast<std::uint32_t>(chunks_.size() - 1), static_cast<std::uint32_t>(c.used),
                      static_cast<std::uint32_t>(title.size()), static_cast<std::uint32_t>(snippet.size())});
  std::copy(title.begin(), title.end(), c.bytes.data() + c.used);
  std::copy(snippet.begin(), snippet.end(), c.bytes.data() + c.used + title.size());
  c.used += n;
  held_ += n;
}

std::string_view text_arena::title(std::size_t slot) const noexcept {
  const entry& e = entries_[slot];
  if (e.title_len == 0) return {};
  return std::string_view(chunks_[e.chunk].bytes.data() + e.offset, e.title_len);
}

std::string_view text_arena::snippet(std::size_t slot) const noexcept {
  const entry& e = entries_[slot];
  if (e.snippet_len == 0) return {};
  return std::string_view(chunks_[e.chunk].bytes.data() + e.offset + e.title_len, e.snippet_len);
}

void text_arena::clear_slot(std::size_t slot) {
  entry& e = entries_[slot];
  garbage_ += std::size_t{e.title_len} + e.snippet_len;
  e = entry{};
  if (garbage_ < 4096 || garbage_ * 2 < held_) return;
  // Compacted into fresh chunks (at most half the bytes held), then swapped in: a bad_alloc
  // leaves the arena as it was.
  text_arena kept;
  kept.entries_.reserve(entries_.size());
  for (std::size_t i = 0; i < entries_.size(); ++i) kept.push(title(i), snippet(i));
  *this = std::move(kept);
}

std::size_t text_arena::memory_bytes() const noexcept {
  std::size_t b = entries_.capacity() * sizeof(entry) + chunks_.capacity() * sizeof(chunk);
  for (const chunk& c : chunks_) b += c.bytes.memory_bytes();
  return b;
}

}  // namespace retold::detail
