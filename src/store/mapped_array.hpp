// src/store/mapped_array.hpp - fixed-size zero-filled arrays whose memory goes back to the system
// when they are freed (internal).
//
// The big per-document blocks (the LSH index's signature chunks, the text arena's chunks, the
// deduplicator's id table) are allocated here instead of through std::vector: a block of 1 MiB
// or more is mapped (anonymous mmap) and unmapped when freed, so a block replaced by a bigger one
// never stays in the heap (glibc raises its mmap threshold after freeing a mapped block and then
// keeps freed multi-MiB blocks of that size in the heap, where they count in the resident set
// until something reuses them). Pages that are never written are never resident. Smaller blocks
// come from calloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define RETOLD_MAPPED_ARRAY_MMAP 1
#endif

namespace retold::detail {

/// `n` zero-initialized elements of a trivially copyable T, fixed at construction. Owns its
/// memory; move-only; a moved-from array is empty. Not synchronized (like std::vector).
template <class T>
class mapped_array {
  static_assert(std::is_trivially_copyable_v<T>, "mapped_array holds trivially copyable values only");

 public:
  /// Blocks of this many bytes or more are mapped; smaller ones come from calloc.
  static constexpr std::size_t map_from_bytes = std::size_t{1} << 20;

  mapped_array() noexcept = default;
  /// `n` zeroed elements; std::bad_alloc when the memory cannot be had.
  explicit mapped_array(std::size_t n) {
    if (n == 0) return;
    if (n > SIZE_MAX / sizeof(T)) throw std::bad_alloc();
    const std::size_t bytes = n * sizeof(T);
#ifdef RETOLD_MAPPED_ARRAY_MMAP
    if (bytes >= map_from_bytes) {
      void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mem == MAP_FAILED) throw std::bad_alloc();
      p_ = static_cast<T*>(mem);
      n_ = n;
      mapped_ = true;
      return;
    }
#endif
    p_ = static_cast<T*>(std::calloc(n, sizeof(T)));
    if (!p_) throw std::bad_alloc();
    n_ = n;
  }
  ~mapped_array() { release(); }
  mapped_array(mapped_array&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)), mapped_(o.mapped_) {}
  mapped_array& operator=(mapped_array&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
      mapped_ = o.mapped_;
    }
    return *this;
  }
  mapped_array(const mapped_array&) = delete;
  mapped_array& operator=(const mapped_array&) = delete;

  T* data() noexcept { return p_; }
  const T* data() const noexcept { return p_; }
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  T& operator[](std::size_t i) noexcept { return p_[i]; }
  const T& operator[](std::size_t i) const noexcept { return p_[i]; }
  /// Bytes held (mapped or allocated; a mapped block's untouched pages are not resident).
  std::size_t memory_bytes() const noexcept { return n_ * sizeof(T); }

 private:
  void release() noexcept {
    if (!p_) return;
#ifdef RETOLD_MAPPED_ARRAY_MMAP
    if (mapped_) {
      munmap(p_, n_ * sizeof(T));
      p_ = nullptr;
      n_ = 0;
      return;
    }
#endif
    std::free(p_);
    p_ = nullptr;
    n_ = 0;
  }

  T* p_ = nullptr;
  std::size_t n_ = 0;
  bool mapped_ = false;
};

}  // namespace retold::detail
