// C ABI: MinHash signature handles.
#include "capi_internal.hpp"

#include <algorithm>
#include <cstring>

using retold::capi::fail;
using retold::capi::guard;
using retold::capi::require;
using retold::capi::signature_of;

extern "C" {

void retold_signature_free(retold_signature* handle) {
  retold::capi::signature_handle* sig = retold::capi::body_of(handle);
  if (sig == nullptr || sig->magic != retold::capi::signature_handle::live_magic) return;
  sig->magic = 0;
  delete sig;
}

int retold_signature_values(const retold_signature* sig, uint32_t* buf, uint64_t capacity, uint64_t* out_count) {
  return guard("retold_signature_values", [&] {
    const retold::signature& s = signature_of(sig);
    require(out_count, "out_count");
    if (buf == nullptr && capacity != 0) fail(RETOLD_EINVALID, "buf is NULL but capacity is " + std::to_string(capacity));
    const auto v = s.values();
    *out_count = v.size();
    if (capacity < v.size())
      fail(RETOLD_EBUFSIZE, "the signature has " + std::to_string(v.size()) + " values, the buffer " +
                                std::to_string(capacity));
    std::copy(v.begin(), v.end(), buf);
    return RETOLD_OK;
  });
}

int retold_signature_serialize(const retold_signature* sig, uint8_t* buf, uint64_t capacity, uint64_t* out_len) {
  return guard("retold_signature_serialize", [&] {
    const retold::signature& s = signature_of(sig);
    require(out_len, "out_len");
    if (buf == nullptr && capacity != 0) fail(RETOLD_EINVALID, "buf is NULL but capacity is " + std::to_string(capacity));
    const std::vector<std::uint8_t> bytes = s.serialize();
    *out_len = bytes.size();
    if (capacity < bytes.size())
      fail(RETOLD_EBUFSIZE, "the serialized signature has " + std::to_string(bytes.size()) + " bytes, the buffer " +
                                std::to_string(capacity));
    std::memcpy(buf, bytes.data(), bytes.size());
    return RETOLD_OK;
  });
}

int retold_signature_deserialize(retold_signature** out, const uint8_t* bytes, uint64_t len) {
  if (out) *out = nullptr;
  return guard("retold_signature_deserialize", [&] {
    require(out, "out");
    if (bytes == nullptr && len != 0) fail(RETOLD_EINVALID, "bytes is NULL but len is " + std::to_string(len));
    *out = retold::capi::to_handle(new retold::capi::signature_handle{
        retold::capi::signature_handle::live_magic,
        retold::signature::deserialize(std::span<const std::uint8_t>(bytes, len))});
    return RETOLD_OK;
  });
}

int retold_signature_jaccard(const retold_signature* a, const retold_signature* b, double* out) {
  return guard("retold_signature_jaccard", [&] {
    const retold::signature& sa = signature_of(a);
    const retold::signature& sb = signature_of(b);
    require(out, "out");
    *out = retold::estimate_jaccard(sa, sb);
    return RETOLD_OK;
  });
}

}  // extern "C"
