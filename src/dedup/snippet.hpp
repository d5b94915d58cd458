// src/dedup/snippet.hpp - what the state keeps of a document for people to read (internal):
// its title and the opening of its text, cleaned and bounded (cluster_member::title, ::snippet).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace retold::detail {

/// Longest title the state keeps, in bytes.
inline constexpr std::size_t max_title_bytes = 1024;

/// `text` with every run of ASCII whitespace (space, tab, CR, LF, FF, VT) made one space and
/// leading/trailing whitespace dropped, each invalid UTF-8 sequence replaced by U+FFFD, cut to at
/// most `max_bytes` bytes: at the last space when that keeps more than half of `max_bytes`,
/// else at a character boundary. Pure function, thread-safe.
std::string readable_excerpt(std::string_view text, std::size_t max_bytes);

/// Every slot's title and snippet in one buffer (a std::string per document costs its header
/// and a heap block on top of its bytes: about 0.6 KB per document with the default snippet,
/// against 16 bytes here). Slots are appended in order; a cleared slot's bytes are reclaimed by
/// compacting once they are half of the buffer (amortized O(1) per clear). Not synchronized: the
/// deduplicator's lock guards it. Views returned are valid until the next non-const call.
class text_arena {
 public:
  std::size_t size() const noexcept { return entries_.size(); }
  /// Makes the next push() of `bytes` bytes of text (and one more slot) allocation-free.
  void reserve_for(std::size_t bytes);
  /// Appends a slot. Does not allocate after reserve_for(title.size() + snippet.size()).
  void push(std::string_view title, std::string_view snippet);
  std::string_view title(std::size_t slot) const noexcept;
  std::string_view snippet(std::size_t slot) const noexcept;
  /// Empties a slot (its title and snippet become "").
  void clear_slot(std::size_t slot);
  std::size_t memory_bytes() const noexcept { return bytes_.capacity() + entries_.capacity() * sizeof(entry); }

 private:
  struct entry {
    std::uint64_t begin = 0;
    std::uint32_t title_len = 0, snippet_len = 0;
  };
  std::string bytes_;
  std::vector<entry> entries_;
  std::size_t garbage_ = 0;
};

}  // namespace retold::detail
