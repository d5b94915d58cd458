// src/dedup/id_table.hpp - document id -> slot for the deduplicator (internal).
//
// The ids themselves live once, in the deduplicator's slot -> id vector; this table holds only a
// 32-bit hash of each id and its slot (8 bytes per entry, open addressing with linear probing at
// a load of at most 0.7, backward-shift deletion). It replaced a std::unordered_map<std::string,
// std::uint32_t>, which held a second copy of every id in a heap node of its own plus a bucket
// array: about 72 bytes per document against 11-23 here.
#pragma once

#include "store/mapped_array.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace retold::detail {

/// Not synchronized (the deduplicator's lock guards it). `ids` passed to the members is the
/// deduplicator's slot -> id vector: every slot in the table must have its id there.
class id_table {
 public:
  static constexpr std::uint32_t none = UINT32_MAX;

  std::size_t size() const noexcept { return used_; }
  std::size_t memory_bytes() const noexcept { return table_.memory_bytes(); }

  /// The slot whose id is `id`, or none.
  std::uint32_t find(std::string_view id, const std::vector<std::string>& ids) const noexcept {
    if (table_.empty()) return none;
    const std::uint32_t tag = tag_of(id);
    for (std::size_t i = tag & mask_; table_[i].slot1; i = (i + 1) & mask_)
      if (table_[i].tag == tag && ids[table_[i].slot1 - 1] == id) return table_[i].slot1 - 1;
    return none;
  }

  /// Room for `n` entries: inserts up to n cannot fail. std::bad_alloc leaves the table as it was.
  void reserve(std::size_t n) {
    if (n * 10 <= table_.size() * 7) return;
    std::size_t cap = std::max<std::size_t>(16, table_.size());
    while (cap * 7 < n * 10) cap *= 2;
    mapped_array<entry> fresh(cap);
    const std::size_t mask = cap - 1;
    for (std::size_t k = 0; k < table_.size(); ++k)
      if (table_[k].slot1) {
        std::size_t i = table_[k].tag & mask;
        while (fresh[i].slot1) i = (i + 1) & mask;
        fresh[i] = table_[k];
      }
    table_ = std::move(fresh);
    mask_ = mask;
  }

  /// Adds `slot`, whose id (ids[slot]) must not be in the table. May grow the table (call
  /// reserve(size() + 1) first for an insert that cannot fail).
  void insert(std::uint32_t slot, const std::vector<std::string>& ids) {
    reserve(used_ + 1);
    const std::uint32_t tag = tag_of(ids[slot]);
    std::size_t i = tag & mask_;
    while (table_[i].slot1) i = (i + 1) & mask_;
    table_[i] = entry{tag, slot + 1};
    ++used_;
  }

  /// Removes `slot` (ids[slot] must still hold its id); false if it is not in the table.
  bool erase(std::uint32_t slot, const std::vector<std::string>& ids) noexcept {
    if (table_.empty()) return false;
    const std::uint32_t tag = tag_of(ids[slot]);
    std::size_t i = tag & mask_;
    while (table_[i].slot1 && table_[i].slot1 != slot + 1) i = (i + 1) & mask_;
    if (!table_[i].slot1) return false;
    std::size_t hole = i, j = i;
    for (;;) {
      j = (j + 1) & mask_;
      if (!table_[j].slot1) break;
      const std::size_t home = table_[j].tag & mask_;
      // An entry may move back to the hole unless its home lies cyclically in (hole, j].
      const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
      if (!stays) {
        table_[hole] = table_[j];
        hole = j;
      }
    }
    table_[hole] = entry{0, 0};
    --used_;
    return true;
  }

 private:
  struct entry {
    std::uint32_t tag;    // low half of the id's XXH3; its low bits are the home position
    std::uint32_t slot1;  // slot + 1; 0: empty
  };
  static std::uint32_t tag_of(std::string_view id) noexcept {
    return static_cast<std::uint32_t>(XXH3_64bits(id.data(), id.size()));
  }

  mapped_array<entry> table_;  // a power of two positions, or none
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

}  // namespace retold::detail
