// src/dedup/snippet.hpp - what the state keeps of a document for people to read (internal):
// its title and the opening of its text, cleaned and bounded (cluster_member::title, ::snippet).
#pragma once

#include "store/mapped_array.hpp"

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

/// Every slot's title and snippet in chunks of 4 MiB (a std::string per document costs its header
/// and a heap block on top of its bytes: about 0.6 KB per document with the default snippet,
/// against 16 bytes here). A slot's title and snippet sit together in one chunk, and chunks never
/// move once allocated, so growth never copies the texts (one growing buffer doubled: at 1M
/// documents a copy of some 270 MB beside the original); the first chunk grows by doubling from
/// 4 KiB, so a small state stays small. Slots are appended in order; a cleared slot's bytes are
/// reclaimed by compacting once they are half of the bytes held (amortized O(1) per clear). Not
/// synchronized: the deduplicator's lock guards it. Views returned are valid until the next
/// non-const call.
class text_arena {
 public:
  /// Bytes of a full chunk; a slot with more text gets a chunk of its own size.
  static constexpr std::size_t chunk_bytes = std::size_t{4} << 20;

  std::size_t size() const noexcept { return entries_.size(); }
  /// Makes the next push() of `bytes` bytes of text (and one more slot) allocation-free.
  void reserve_for(std::size_t bytes);
  /// Appends a slot. Does not allocate after reserve_for(title.size() + snippet.size()).
  void push(std::string_view title, std::string_view snippet);
  std::string_view title(std::size_t slot) const noexcept;
  std::string_view snippet(std::size_t slot) const noexcept;
  /// Empties a slot (its title and snippet become "").
  void clear_slot(std::size_t slot);
  std::size_t memory_bytes() const noexcept;

 private:
  struct entry {
    std::uint32_t chunk = 0, offset = 0;
    std::uint32_t title_len = 0, snippet_len = 0;
  };
  struct chunk {
    mapped_array<char> bytes;
    std::size_t used = 0;
  };
  std::vector<chunk> chunks_;
  std::vector<entry> entries_;
  std::size_t held_ = 0;  // bytes of text in the chunks, cleared slots' included
  std::size_t garbage_ = 0;
};

}  // namespace retold::detail
