// C ABI: prepared documents (retold::prepared_document) - prepare, serialize, parse, band keys,
// and adding a batch of them.
#include "capi_internal.hpp"
#include "capi_results.hpp"

#include <retold/text.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>
#include <utility>

using retold::capi::dedup_of;
using retold::capi::fail;
using retold::capi::guard;
using retold::capi::require;
using retold::capi::text_view;

namespace {

// The body behind retold_prepared (kept opaque to the ABI checker like the other handles).
struct prepared_handle {
  static constexpr std::uint32_t live_magic = 0x50525452u;  // "RTRP"
  std::uint32_t magic = live_magic;
  retold::prepared_document doc;
};

retold_prepared* to_handle(prepared_handle* h) noexcept { return reinterpret_cast<retold_prepared*>(h); }
prepared_handle* body_of(retold_prepared* h) noexcept { return reinterpret_cast<prepared_handle*>(h); }
const prepared_handle* body_of(const retold_prepared* h) noexcept { return reinterpret_cast<const prepared_handle*>(h); }

const retold::prepared_document& prepared_of(const retold_prepared* h, const std::string& what) {
  const prepared_handle* p = body_of(h);
  if (p == nullptr) fail(RETOLD_EINVALID, what + " is NULL");
  if (p->magic != prepared_handle::live_magic)
    fail(RETOLD_EINVALID, what + " is not a live retold_prepared handle (freed or of another type)");
  return p->doc;
}

template <class T>
T* element(T* base, std::size_t stride, std::size_t i) {
  using byte = std::conditional_t<std::is_const_v<T>, const unsigned char, unsigned char>;
  return reinterpret_cast<T*>(reinterpret_cast<byte*>(base) + i * stride);
}

}  // namespace

extern "C" {

int retold_dedup_prepare(retold_prepared** out, const retold_dedup* dedup, const retold_document* doc) {
  if (out) *out = nullptr;
  return guard("retold_dedup_prepare", [&] {
    require(out, "out");
    const auto& d = dedup_of(dedup);
    const retold::document cdoc = retold::capi::to_document(doc, "doc");
    *out = to_handle(new prepared_handle{prepared_handle::live_magic, d.prepare(cdoc)});
    return RETOLD_OK;
  });
}

void retold_prepared_free(retold_prepared* handle) {
  prepared_handle* p = body_of(handle);
  if (p == nullptr || p->magic != prepared_handle::live_magic) return;
  p->magic = 0;
  delete p;
}

int retold_prepared_serialize(const retold_prepared* prepared, uint8_t* buf, uint64_t capacity, uint64_t* out_len) {
  return guard("retold_prepared_serialize", [&] {
    const retold::prepared_document& p = prepared_of(prepared, "prepared");
    require(out_len, "out_len");
    if (buf == nullptr && capacity != 0) fail(RETOLD_EINVALID, "buf is NULL but capacity is " + std::to_string(capacity));
    const std::vector<std::uint8_t> bytes = p.serialize();
    *out_len = bytes.size();
    if (capacity < bytes.size())
      fail(RETOLD_EBUFSIZE, "the serialized prepared document has " + std::to_string(bytes.size()) +
                                " bytes, the buffer " + std::to_string(capacity));
    std::memcpy(buf, bytes.data(), bytes.size());
    return RETOLD_OK;
  });
}

int retold_prepared_deserialize(retold_prepared** out, const uint8_t* bytes, uint64_t len) {
  if (out) *out = nullptr;
  return guard("retold_prepared_deserialize", [&] {
    require(out, "out");
    if (bytes == nullptr && len != 0) fail(RETOLD_EINVALID, "bytes is NULL but len is " + std::to_string(len));
    const std::span<const std::uint8_t> view(bytes, static_cast<std::size_t>(len));
    *out = to_handle(new prepared_handle{prepared_handle::live_magic, retold::prepared_document::parse(view)});
    return RETOLD_OK;
  });
}

int retold_prepared_band_keys(const retold_prepared* prepared, uint32_t* buf, uint64_t capacity, uint64_t* out_count) {
  return guard("retold_prepared_band_keys", [&] {
    const retold::prepared_document& p = prepared_of(prepared, "prepared");
    require(out_count, "out_count");
    if (buf == nullptr && capacity != 0) fail(RETOLD_EINVALID, "buf is NULL but capacity is " + std::to_string(capacity));
    const auto keys = p.band_keys();
    *out_count = keys.size();
    if (capacity < keys.size())
      fail(RETOLD_EBUFSIZE, "the document has " + std::to_string(keys.size()) + " band keys, the buffer " +
                                std::to_string(capacity));
    std::copy(keys.begin(), keys.end(), buf);
    return RETOLD_OK;
  });
}

int retold_dedup_add_prepared_batch(retold_dedup* dedup, const retold_prepared* const* docs, uint64_t count,
                                    retold_add_result* results, uint64_t* out_added) {
  if (out_added) *out_added = 0;
  return guard("retold_dedup_add_prepared_batch", [&] {
    auto& d = dedup_of(dedup);
    if (count == 0) return RETOLD_OK;
    require(docs, "docs");
    if (count > PTRDIFF_MAX / sizeof(retold::prepared_document))
      fail(RETOLD_EINVALID, "count " + std::to_string(count) + " is larger than any array of prepared documents");
    std::size_t result_stride = 0;
    if (results) {
      result_stride = results->struct_size;
      retold::capi::check_size_of<retold_add_result>("results[0]", result_stride, nullptr);
    }
    // The C++ call takes values; a copy of each is a few KB, small next to adding it.
    std::vector<retold::prepared_document> batch;
    batch.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i)
      batch.push_back(prepared_of(docs[i], "docs[" + std::to_string(i) + "]"));
    const std::vector<retold::add_result> r = d.add_prepared(batch);
    std::optional<std::pair<int, std::string>> first;
    std::uint64_t added = 0;
    if (results) retold::capi::begin_result_strings();
    for (std::size_t k = 0; k < r.size(); ++k) {
      const std::string message = r[k].status == retold::errc::ok ? std::string()
                                                                    : "docs[" + std::to_string(k) + "]: " + r[k].error;
      if (r[k].status == retold::errc::ok)
        ++added;
      else if (!first)
        first.emplace(-static_cast<int>(r[k].status), message);
      if (results) {
        retold_add_result c = retold::capi::to_c(r[k], true);
        if (!message.empty()) c.error = retold::capi::keep_result_string(message);
        retold::capi::write_prefix(element(results, result_stride, k), result_stride, c);
      }
    }
    if (out_added) *out_added = added;
    if (first) retold::capi::set_error(first->first, "retold_dedup_add_prepared_batch", first->second);
    return RETOLD_OK;
  });
}

}  // extern "C"
