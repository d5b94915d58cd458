// C ABI: versions, the thread-local last error, struct_size checks and argument conversion.
#include "capi_internal.hpp"

#include <retold/version.h>

#include <cmath>
#include <cstring>

namespace retold::capi {

// The C codes are the C++ ones negated (retold.h promises it; the guard relies on it).
static_assert(RETOLD_EINVALID == -static_cast<int>(errc::invalid_argument));
static_assert(RETOLD_EUTF8 == -static_cast<int>(errc::invalid_utf8));
static_assert(RETOLD_ENOTFOUND == -static_cast<int>(errc::not_found));
static_assert(RETOLD_EINCOMPATIBLE == -static_cast<int>(errc::incompatible));
static_assert(RETOLD_EIO == -static_cast<int>(errc::io));
static_assert(RETOLD_ECORRUPTED == -static_cast<int>(errc::corrupted_state));
static_assert(RETOLD_ENOMEM == -static_cast<int>(errc::out_of_memory));
static_assert(RETOLD_ETOOLARGE == -static_cast<int>(errc::too_large));
static_assert(RETOLD_EDUPLICATE == -static_cast<int>(errc::duplicate_id));
static_assert(RETOLD_EPARSE == -static_cast<int>(errc::parse));
static_assert(RETOLD_ECONFLICT == -static_cast<int>(errc::conflict));
static_assert(RETOLD_EINTERNAL == -static_cast<int>(errc::internal));
static_assert(static_cast<int>(decided_by::combined) == RETOLD_DECISION_COMBINED);
static_assert(static_cast<int>(shingle_kind::character) == RETOLD_SHINGLE_CHARACTER);
static_assert(static_cast<int>(minhash_scheme::multiply_shift) == RETOLD_MINHASH_MULTIPLY_SHIFT);
static_assert(static_cast<int>(embedding_mode::none) == RETOLD_EMBEDDING_NONE);
static_assert(static_cast<int>(vector_index_kind::ivf) == RETOLD_VECTOR_INDEX_IVF);
static_assert(static_cast<int>(match_decision::automatic) == RETOLD_MATCH_AUTOMATIC);
static_assert(static_cast<int>(match_decision::model) == RETOLD_MATCH_MODEL);
static_assert(static_cast<int>(match_decision::rule) == RETOLD_MATCH_RULE);
static_assert(static_cast<int>(decided_by::model) == RETOLD_DECISION_MODEL);

namespace {

// The last error of this thread. `fallback` is used when the message itself could not be
// allocated, so retold_last_error() always has something to say.
struct last_error_state {
  int code = RETOLD_OK;
  std::string message;
  const char* fallback = nullptr;
};

last_error_state& last_error() noexcept {
  thread_local last_error_state state;
  return state;
}

}  // namespace

int set_error(int code, std::string_view where, std::string_view message) noexcept {
  last_error_state& st = last_error();
  st.code = code;
  try {
    st.message.assign(where);
    st.message.append(": ");
    st.message.append(message);
    st.fallback = nullptr;
  } catch (...) {
    st.fallback = "out of memory while recording an error message";
  }
  return code;
}

const retold::deduplicator& dedup_of(const retold_dedup* handle) {
  const dedup_handle* h = body_of(handle);
  if (h == nullptr) fail(RETOLD_EINVALID, "dedup is NULL");
  if (h->magic != dedup_handle::live_magic)
    fail(RETOLD_EINVALID, "dedup is not a live retold_dedup handle (freed or of another type)");
  return h->dedup;
}

retold::deduplicator& dedup_of(retold_dedup* h) {
  return const_cast<retold::deduplicator&>(dedup_of(static_cast<const retold_dedup*>(h)));
}

const retold::signature& signature_of(const retold_signature* handle) {
  const signature_handle* h = body_of(handle);
  if (h == nullptr) fail(RETOLD_EINVALID, "signature is NULL");
  if (h->magic != signature_handle::live_magic)
    fail(RETOLD_EINVALID, "signature is not a live retold_signature handle (freed or of another type)");
  return h->sig;
}

std::string_view text_view(const char* text, std::uint64_t len, const char* what) {
  if (text == nullptr) {
    if (len != 0) fail(RETOLD_EINVALID, std::string(what) + " is NULL but its length is " + std::to_string(len));
    return {};
  }
  return {text, static_cast<std::size_t>(len)};
}

// Converts and checks one C document (its struct_size too). The views borrow the caller's memory.
retold::document to_document(const retold_document* p, const std::string& what) {
  require(p, what.c_str());
  const retold_document d = read_struct(p, what.c_str(), retold_document{});
  retold::document doc;
  if (d.id == nullptr) fail(RETOLD_EINVALID, what + ".id is NULL");
  doc.id = d.id;
  doc.text = text_view(d.text, d.text_len, "document text");
  doc.title = text_view(d.title, d.title_len, "document title");
  // Misuse (RETOLD_EINVALID) is reported before anything about the contents (RETOLD_EUTF8).
  if (d.vector_dim != 0 && d.vector == nullptr)
    fail(RETOLD_EINVALID, what + " ('" + std::string(doc.id) + "'): vector is NULL but vector_dim is " +
                              std::to_string(d.vector_dim));
  if (d.source != nullptr) {
    doc.source = d.source;
    std::size_t bad = 0;
    // Sources come back out as strings (clusters, members), so they must be text too.
    if (!retold::is_valid_utf8(doc.source, &bad))
      fail(RETOLD_EUTF8, "source of document '" + std::string(doc.id) + "' is not valid UTF-8 (byte " +
                             std::to_string(bad) + ")");
  }
  doc.timestamp = d.timestamp;
  if (d.vector_dim != 0) doc.vector = std::span<const float>(d.vector, d.vector_dim);
  return doc;
}

std::string_view cstring(const char* s, const char* what) {
  if (s == nullptr) fail(RETOLD_EINVALID, std::string(what) + " is NULL");
  return s;
}

retold_scores to_c(const retold::pair_scores& s) noexcept {
  retold_scores c{};
  c.jaccard = s.jaccard;
  c.cosine = s.cosine;
  c.score = s.score;
  c.has_cosine = s.has_cosine ? 1 : 0;
  c.decision = static_cast<std::int32_t>(s.decision);
  return c;
}

void check_struct_size(const char* what, const char* type_name, std::uint64_t size, std::size_t min_size,
                       std::size_t known, std::size_t align, const unsigned char* bytes) {
  const std::string init = std::string(" (set it to sizeof(") + type_name + "), e.g. with its _INIT macro)";
  if (size < min_size)
    fail(RETOLD_EINVALID, std::string(what) + ": " + type_name + " size " + std::to_string(size) +
                              " is smaller than the smallest this library accepts, " + std::to_string(min_size) +
                              init);
  if (size % align != 0)
    fail(RETOLD_EINVALID, std::string(what) + ": " + type_name + " size " + std::to_string(size) +
                              " is not a multiple of its alignment " + std::to_string(align) + init);
  if (size > (std::uint64_t{1} << 20))
    fail(RETOLD_EINVALID, std::string(what) + ": " + type_name + " size " + std::to_string(size) +
                              " is implausibly large" + init);
  if (bytes != nullptr && size > known) {
    for (std::size_t i = known; i < size; ++i)
      if (bytes[i] != 0)
        fail(RETOLD_EINVALID, std::string(what) + ": " + type_name + " size " + std::to_string(size) +
                                  " is larger than this library's " + std::to_string(known) + " and byte " +
                                  std::to_string(i) +
                                  " past its fields is set: the caller uses a field this library version does not have");
  }
}

}  // namespace retold::capi

using retold::capi::guard;

extern "C" {

uint32_t retold_version(void) { return RETOLD_VERSION_NUMBER; }

const char* retold_version_string(void) { return RETOLD_VERSION_STRING; }

uint32_t retold_abi_version(void) { return RETOLD_C_ABI_VERSION; }

const char* retold_last_error(void) {
  auto& st = retold::capi::last_error();
  return st.fallback ? st.fallback : st.message.c_str();
}

int retold_last_error_code(void) { return retold::capi::last_error().code; }

void retold_error_clear(void) {
  auto& st = retold::capi::last_error();
  st.code = RETOLD_OK;
  st.message.clear();
  st.fallback = nullptr;
}

const char* retold_error_name(int code) {
  switch (code) {
    case RETOLD_OK: return "ok";
    case RETOLD_EINVALID: return "invalid_argument";
    case RETOLD_EUTF8: return "invalid_utf8";
    case RETOLD_ENOTFOUND: return "not_found";
    case RETOLD_EINCOMPATIBLE: return "incompatible";
    case RETOLD_EIO: return "io";
    case RETOLD_ECORRUPTED: return "corrupted_state";
    case RETOLD_ENOMEM: return "out_of_memory";
    case RETOLD_ETOOLARGE: return "too_large";
    case RETOLD_EDUPLICATE: return "duplicate_id";
    case RETOLD_EPARSE: return "parse";
    case RETOLD_ECONFLICT: return "conflict";
    case RETOLD_EBUFSIZE: return "buffer_too_small";
    case RETOLD_EINTERNAL: return "internal";
    default: return "unknown";
  }
}

}  // extern "C"
