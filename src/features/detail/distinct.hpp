// src/features/detail/distinct.hpp - counting the distinct values of a list of uniform hashes
// without sorting it (internal; used by the sketch and by count_distinct in shingle.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace retold::detail {

/// An open-addressing hash set over values that are already uniform hashes (sketch word hashes,
/// shingle hashes): a value's slot is its top bits, the table is at most half full, and linear
/// probing finds it. The slots carry the number of the call that filled them, so a new call starts
/// with an empty table without clearing it (one pass over the values, no memset). Crafted input
/// could make many values share their top bits; each call gives up after a bounded number of
/// probes (8 per value) and reports it, and the caller then counts by sorting, so the cost stays
/// O(n log n) whatever the input. Not thread-safe: one object per thread (thread_local).
template <class T>
class distinct_set {
 public:
  /// Calls on_new(x) for each value of v[0 .. n) the first time it occurs, in order. Returns false
  /// when it gave up (on_new may have been called for a prefix of the values).
  template <class F>
  bool for_each_new(const T* v, std::size_t n, F&& on_new) {
    if (n == 0) return true;
    int bits = 4;
    while ((std::size_t{1} << bits) < 2 * n && bits < static_cast<int>(8 * sizeof(T)) && bits < 40) ++bits;
    const std::size_t size = std::size_t{1} << bits;
    const std::size_t mask = size - 1;
    const int shift = static_cast<int>(8 * sizeof(T)) - bits;
    if (++gen_ == 0) {  // the call counter wrapped: every slot must look empty again
      stamps_.assign(stamps_.size(), 0);
      gen_ = 1;
    }
    if (stamps_.size() < size) {  // new slots carry stamp 0, which no call uses
      stamps_.resize(size, 0);
      values_.resize(size);
    }
    T* const values = values_.data();
    std::uint32_t* const stamps = stamps_.data();
    const std::uint32_t gen = gen_;
    std::size_t budget = 8 * n + 64;
    for (std::size_t j = 0; j < n; ++j) {
      const T x = v[j];
      std::size_t i = shift > 0 ? static_cast<std::size_t>(x >> shift) : 0;
      for (;;) {
        if (stamps[i] != gen) {
          stamps[i] = gen;
          values[i] = x;
          on_new(x);
          break;
        }
        if (values[i] == x) break;
        i = (i + 1) & mask;
        if (--budget == 0) return false;
      }
    }
    return true;
  }

 private:
  std::vector<T> values_;
  std::vector<std::uint32_t> stamps_;
  std::uint32_t gen_ = 0;
};

}  // namespace retold::detail
