// src/capi/capi_struct_size.hpp - the struct_size rules of retold.h in one place (internal).
//
// Every ABI struct starts with `uint32_t struct_size`, set by the caller to sizeof() as its header
// declares the struct. A caller built against an older header passes a smaller size (at least the
// ABI 1.0 size), a newer one a larger size. These helpers read caller structs into full-size
// values with defaults for the fields the caller does not have, write library values into caller
// memory without passing its end, and lay out arrays with the caller's element size.
#pragma once

#include <retold/retold.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace retold::capi {

/// What the library knows of one ABI struct: its name in messages and its size in ABI 1.0 (the
/// smallest struct_size accepted). A field appended after 1.0 makes `min_size` the offset of the
/// first such field, so older callers stay accepted. Specialized below for every ABI struct.
template <class T>
struct abi_struct;

#define RETOLD_CAPI_ABI_STRUCT(type, min)                \
  template <>                                            \
  struct abi_struct<type> {                              \
    static constexpr const char* name = #type;           \
    static constexpr std::size_t min_size = (min);       \
  }

RETOLD_CAPI_ABI_STRUCT(retold_dedup_options, offsetof(retold_dedup_options, retention_seconds));
RETOLD_CAPI_ABI_STRUCT(retold_document, sizeof(retold_document));
RETOLD_CAPI_ABI_STRUCT(retold_add_result, sizeof(retold_add_result));
RETOLD_CAPI_ABI_STRUCT(retold_query_options, sizeof(retold_query_options));
RETOLD_CAPI_ABI_STRUCT(retold_match, sizeof(retold_match));
RETOLD_CAPI_ABI_STRUCT(retold_match_list, sizeof(retold_match_list));
RETOLD_CAPI_ABI_STRUCT(retold_cluster_member, offsetof(retold_cluster_member, title));
RETOLD_CAPI_ABI_STRUCT(retold_cluster, sizeof(retold_cluster));
RETOLD_CAPI_ABI_STRUCT(retold_cluster_list, sizeof(retold_cluster_list));
RETOLD_CAPI_ABI_STRUCT(retold_feature, sizeof(retold_feature));
RETOLD_CAPI_ABI_STRUCT(retold_explanation, sizeof(retold_explanation));
RETOLD_CAPI_ABI_STRUCT(retold_stats, sizeof(retold_stats));

/// Checks a caller's struct_size (or element size) `size` for a struct the library knows as
/// `known` bytes with ABI 1.0 size `min_size` and alignment `align`. `what` names the argument in
/// the message. For a struct the library reads (`bytes` not NULL), a size beyond `known` must
/// come with zero bytes past `known`. Throws c_error(RETOLD_EINVALID) naming `type_name`.
void check_struct_size(const char* what, const char* type_name, std::uint64_t size, std::size_t min_size,
                       std::size_t known, std::size_t align, const unsigned char* bytes);

template <class T>
void check_size_of(const char* what, std::uint64_t size, const unsigned char* bytes) {
  check_struct_size(what, abi_struct<T>::name, size, abi_struct<T>::min_size, sizeof(T), alignof(T), bytes);
}

/// A caller struct the library reads: checked, then copied over `defaults` as far as the caller's
/// struct reaches. The result's struct_size is the library's.
template <class T>
T read_struct(const T* p, const char* what, const T& defaults) {
  const std::uint32_t size = p->struct_size;
  check_size_of<T>(what, size, reinterpret_cast<const unsigned char*>(p));
  T v = defaults;
  std::memcpy(static_cast<void*>(&v), p, std::min<std::size_t>(size, sizeof(T)));
  v.struct_size = static_cast<std::uint32_t>(sizeof(T));
  return v;
}

/// Writes `value` into caller memory `dest` of `size` bytes (already checked): the fields that
/// fit, zeros past the library's fields, and `size` as struct_size.
template <class T>
void write_prefix(void* dest, std::uint64_t size, T value) noexcept {
  value.struct_size = static_cast<std::uint32_t>(size);
  auto* d = static_cast<unsigned char*>(dest);
  std::memcpy(d, &value, std::min<std::size_t>(static_cast<std::size_t>(size), sizeof(T)));
  if (size > sizeof(T)) std::memset(d + sizeof(T), 0, static_cast<std::size_t>(size) - sizeof(T));
}

/// A caller struct the library fills (its struct_size set by the caller): checked, then written.
template <class T>
void write_struct(T* p, const char* what, const T& value) {
  const std::uint32_t size = p->struct_size;
  check_size_of<T>(what, size, nullptr);
  write_prefix(p, size, value);
}

/// Library-owned memory for `count` elements of `stride` bytes, aligned for any ABI struct.
class strided_buffer {
 public:
  strided_buffer() = default;
  strided_buffer(std::size_t count, std::size_t stride)
      : words_(std::make_unique<std::uint64_t[]>((count * stride + 7) / 8 + 1)), stride_(stride) {}
  void* at(std::size_t i) noexcept { return reinterpret_cast<unsigned char*>(words_.get()) + i * stride_; }
  void* data() noexcept { return words_.get(); }

 private:
  std::unique_ptr<std::uint64_t[]> words_;
  std::size_t stride_ = 0;
};

}  // namespace retold::capi
