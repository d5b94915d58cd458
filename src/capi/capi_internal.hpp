// src/capi/capi_internal.hpp - what the C ABI shim files share (internal, never installed).
//
// Every exported function body runs inside retold::capi::guard(), the one place where C++
// exceptions become status codes and the thread-local last-error message.
#pragma once

#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/minhash.hpp>
#include <retold/retold.h>

#include "capi_struct_size.hpp"

#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace retold::capi {

// Handle bodies. retold.h declares retold_dedup and retold_signature as incomplete structs; the
// shim never defines them (so the library's debug info, which tools/ci/abi.sh reads, keeps them
// opaque) and casts between them and these bodies in one place each (to_handle / body_of). The
// magic field makes a handle of the wrong type (a cast mistake in a binding) fail loudly with
// RETOLD_EINVALID instead of corrupting memory; free() overwrites it.
struct dedup_handle {
  static constexpr std::uint32_t live_magic = 0x44445452u;  // "RTDD"
  std::uint32_t magic = live_magic;
  retold::deduplicator dedup;
  // The source-priority pointers get_options() hands out (they point into dedup.options(),
  // fixed for the handle's life).
  std::vector<const char*> source_priority;

  explicit dedup_handle(retold::deduplicator d);
};

struct signature_handle {
  static constexpr std::uint32_t live_magic = 0x47535452u;  // "RTSG"
  std::uint32_t magic = live_magic;
  retold::signature sig;
};

inline retold_dedup* to_handle(dedup_handle* h) noexcept { return reinterpret_cast<retold_dedup*>(h); }
inline retold_signature* to_handle(signature_handle* h) noexcept { return reinterpret_cast<retold_signature*>(h); }
inline dedup_handle* body_of(retold_dedup* h) noexcept { return reinterpret_cast<dedup_handle*>(h); }
inline const dedup_handle* body_of(const retold_dedup* h) noexcept { return reinterpret_cast<const dedup_handle*>(h); }
inline signature_handle* body_of(retold_signature* h) noexcept { return reinterpret_cast<signature_handle*>(h); }
inline const signature_handle* body_of(const retold_signature* h) noexcept {
  return reinterpret_cast<const signature_handle*>(h);
}

}  // namespace retold::capi

namespace retold::capi {

/// Thrown inside a guard for errors found by the shim itself (NULL pointers, bad versions...).
/// The guard turns it into its code; it never leaves the shim.
struct c_error {
  int code;
  std::string message;
};

/// Records `code`/`message` as this thread's last error and returns `code`. Never throws: when
/// the message cannot be stored (out of memory) a static one is used.
int set_error(int code, std::string_view where, std::string_view message) noexcept;

/// Runs `body` (returning a status) and converts every exception into a status code plus the
/// last-error message prefixed by `where` (the C function name).
template <class Body>
int guard(const char* where, Body&& body) noexcept {
  try {
    return body();
  } catch (const c_error& e) {
    return set_error(e.code, where, e.message);
  } catch (const retold::error& e) {
    const int c = static_cast<int>(e.code());
    return set_error(c > 0 ? -c : RETOLD_EINTERNAL, where, e.what());
  } catch (const std::bad_alloc&) {
    return set_error(RETOLD_ENOMEM, where, "out of memory");
  } catch (const std::exception& e) {
    return set_error(RETOLD_EINTERNAL, where, std::string("unexpected exception: ") + e.what());
  } catch (...) {
    return set_error(RETOLD_EINTERNAL, where, "unexpected non-standard exception");
  }
}

[[noreturn]] inline void fail(int code, std::string message) { throw c_error{code, std::move(message)}; }

/// Checks a pointer argument; `what` names it in the message.
template <class T>
T* require(T* p, const char* what) {
  if (p == nullptr) fail(RETOLD_EINVALID, std::string(what) + " is NULL");
  return p;
}

/// A live deduplicator handle, or RETOLD_EINVALID.
const retold::deduplicator& dedup_of(const retold_dedup* h);
retold::deduplicator& dedup_of(retold_dedup* h);
const retold::signature& signature_of(const retold_signature* h);

/// (pointer, length) text as a view; NULL is allowed only with length 0.
std::string_view text_view(const char* text, std::uint64_t len, const char* what);
/// One C document as C++ views (struct_size, id, text, title, vector and source checked), as
/// retold_dedup_add reads it. The views borrow the caller's memory.
retold::document to_document(const retold_document* p, const std::string& what);
/// A NUL-terminated, non-NULL string argument as a view.
std::string_view cstring(const char* s, const char* what);

/// C options (NULL: defaults) to C++ options: struct_size checked, every field checked
/// (booleans 0/1, enum values, ranges the shim owns); the C++ constructor validates the rest.
retold::deduplicator_options to_cpp(const retold_dedup_options* opts);
/// C++ options to C options (full size). `source_priority` is the pointer array the C struct
/// points to: it must outlive the result and point into `o` (NULL with an empty list).
retold_dedup_options to_c(const retold::deduplicator_options& o, const std::vector<const char*>& source_priority);
/// Copies into `saved` the runtime fields of `overrides` named by `fields` (RETOLD_OPTION_*
/// bits), leaving every other field as saved. RETOLD_EINVALID for unknown bits, bad values, or
/// a NULL `overrides` with bits set.
void apply_overrides(retold::deduplicator_options& saved, const retold_dedup_options* overrides, std::uint64_t fields);
/// C++ scores to C scores.
retold_scores to_c(const retold::pair_scores& s) noexcept;

}  // namespace retold::capi
