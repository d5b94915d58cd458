// C ABI: versions, the thread-local last error, options structs and argument conversion.
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

const retold::deduplicator& dedup_of(const retold_dedup* h) {
  if (h == nullptr) fail(RETOLD_EINVALID, "dedup is NULL");
  if (h->magic != retold_dedup::live_magic)
    fail(RETOLD_EINVALID, "dedup is not a live retold_dedup handle (freed or of another type)");
  return h->dedup;
}

retold::deduplicator& dedup_of(retold_dedup* h) {
  return const_cast<retold::deduplicator&>(dedup_of(static_cast<const retold_dedup*>(h)));
}

const retold::signature& signature_of(const retold_signature* h) {
  if (h == nullptr) fail(RETOLD_EINVALID, "signature is NULL");
  if (h->magic != retold_signature::live_magic)
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

retold::deduplicator_options to_cpp(const retold_dedup_options* o) {
  retold::deduplicator_options d;
  if (o == nullptr) return d;
  if (o->version != RETOLD_DEDUP_OPTIONS_VERSION)
    fail(RETOLD_EINVALID, "options.version is " + std::to_string(o->version) + ", this library knows " +
                              std::to_string(RETOLD_DEDUP_OPTIONS_VERSION) +
                              " (initialize options with RETOLD_DEDUP_OPTIONS_INIT)");
  constexpr std::uint32_t known_flags = RETOLD_DEDUP_KEEP_TEXT | RETOLD_DEDUP_KEEP_BOILERPLATE |
                                        RETOLD_DEDUP_KEEP_CASE | RETOLD_DEDUP_REPLACE_INVALID_UTF8 |
                                        RETOLD_DEDUP_SCALAR_QUANTIZATION;
  if (o->flags & ~known_flags) fail(RETOLD_EINVALID, "options.flags has unknown bits " + std::to_string(o->flags & ~known_flags));
  d.keep_text = (o->flags & RETOLD_DEDUP_KEEP_TEXT) != 0;
  if (o->flags & RETOLD_DEDUP_KEEP_BOILERPLATE) d.normalize.strip_boilerplate = false;
  if (o->flags & RETOLD_DEDUP_KEEP_CASE) d.normalize.casefold = false;
  if (o->flags & RETOLD_DEDUP_REPLACE_INVALID_UTF8) d.normalize.replace_invalid_utf8 = true;
  if (o->flags & RETOLD_DEDUP_SCALAR_QUANTIZATION) d.vector_index.scalar_quantization = true;

  switch (o->shingle_kind) {
    case RETOLD_SHINGLE_WORD: d.shingles.kind = retold::shingle_kind::word; break;
    case RETOLD_SHINGLE_CHARACTER: d.shingles.kind = retold::shingle_kind::character; break;
    default: fail(RETOLD_EINVALID, "options.shingle_kind " + std::to_string(o->shingle_kind) + " is not a retold_shingle_kind");
  }
  if (o->shingle_size) d.shingles.n = o->shingle_size;
  if (o->num_hashes) d.minhash.num_hashes = o->num_hashes;
  switch (o->minhash_scheme) {
    case RETOLD_MINHASH_DEFAULT: break;
    case RETOLD_MINHASH_ONE_PERMUTATION: d.minhash.scheme = retold::minhash_scheme::one_permutation; break;
    case RETOLD_MINHASH_MULTIPLY_SHIFT: d.minhash.scheme = retold::minhash_scheme::multiply_shift; break;
    default: fail(RETOLD_EINVALID, "options.minhash_scheme " + std::to_string(o->minhash_scheme) + " is not a retold_minhash_scheme");
  }
  if (o->minhash_seed) d.minhash.seed = o->minhash_seed;
  if ((o->lsh_bands == 0) != (o->lsh_rows == 0))
    fail(RETOLD_EINVALID, "options.lsh_bands and options.lsh_rows must both be 0 (automatic) or both be set");
  d.lsh.bands = o->lsh_bands;
  d.lsh.rows = o->lsh_rows;

  // A negative double is the "default" placeholder; NaN is passed on so validation rejects it.
  auto set_double = [](double v, double& field) {
    if (!(v < 0.0)) field = v;
  };
  set_double(o->lsh_threshold, d.lsh_threshold);
  set_double(o->jaccard_threshold, d.scoring.jaccard_threshold);
  set_double(o->cosine_threshold, d.scoring.cosine_threshold);
  set_double(o->combined_weight_jaccard, d.scoring.combined_weight_jaccard);
  set_double(o->combined_threshold, d.scoring.combined_threshold);
  set_double(o->copy_jaccard, d.copy_jaccard);
  if (!(d.copy_jaccard >= 0.0 && d.copy_jaccard <= 1.0))
    fail(RETOLD_EINVALID, "options.copy_jaccard must be in [0, 1]");

  switch (o->embedding_mode) {
    case RETOLD_EMBEDDING_BUILTIN:
      d.embedding = retold::embedding_mode::builtin;
      if (o->embedding_dimension) d.embedder.dimension = o->embedding_dimension;
      break;
    case RETOLD_EMBEDDING_EXTERNAL:
      d.embedding = retold::embedding_mode::external;
      if (o->embedding_dimension == 0)
        fail(RETOLD_EINVALID, "options.embedding_dimension must be > 0 with RETOLD_EMBEDDING_EXTERNAL");
      d.external_dimension = o->embedding_dimension;
      break;
    case RETOLD_EMBEDDING_NONE:
      d.embedding = retold::embedding_mode::none;
      if (o->embedding_dimension)
        fail(RETOLD_EINVALID, "options.embedding_dimension must be 0 with RETOLD_EMBEDDING_NONE");
      break;
    default:
      fail(RETOLD_EINVALID, "options.embedding_mode " + std::to_string(o->embedding_mode) + " is not a retold_embedding_mode");
  }
  if (o->vector_candidates) d.vector_candidates = static_cast<std::size_t>(o->vector_candidates);
  switch (o->vector_index_kind) {
    case RETOLD_VECTOR_INDEX_AUTOMATIC: d.vector_index.kind = retold::vector_index_kind::automatic; break;
    case RETOLD_VECTOR_INDEX_FLAT: d.vector_index.kind = retold::vector_index_kind::flat; break;
    case RETOLD_VECTOR_INDEX_IVF: d.vector_index.kind = retold::vector_index_kind::ivf; break;
    default: fail(RETOLD_EINVALID, "options.vector_index_kind " + std::to_string(o->vector_index_kind) + " is not a retold_vector_index_kind");
  }
  if (o->vector_index_ivf_min_size) d.vector_index.ivf_min_size = static_cast<std::size_t>(o->vector_index_ivf_min_size);
  d.vector_index.nlist = o->vector_index_nlist;
  if (o->vector_index_nprobe) d.vector_index.nprobe = o->vector_index_nprobe;
  d.time_window_seconds = o->time_window_seconds;
  if (o->max_document_bytes) d.max_document_bytes = static_cast<std::size_t>(o->max_document_bytes);
  d.threads = o->threads;
  if (o->source_priority_count) {
    if (o->source_priority == nullptr)
      fail(RETOLD_EINVALID, "options.source_priority is NULL but source_priority_count is " +
                                std::to_string(o->source_priority_count));
    for (std::uint32_t i = 0; i < o->source_priority_count; ++i) {
      if (o->source_priority[i] == nullptr)
        fail(RETOLD_EINVALID, "options.source_priority[" + std::to_string(i) + "] is NULL");
      d.representative.source_priority.emplace_back(o->source_priority[i]);
    }
  }
  return d;
}

}  // namespace retold::capi

using retold::capi::guard;

extern "C" {

uint32_t retold_version(void) { return RETOLD_VERSION_NUMBER; }

const char* retold_version_string(void) { return RETOLD_VERSION_STRING; }

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

int retold_dedup_options_init(retold_dedup_options* opts, uint32_t version) {
  return guard("retold_dedup_options_init", [&] {
    retold::capi::require(opts, "opts");
    if (version != RETOLD_DEDUP_OPTIONS_VERSION)
      retold::capi::fail(RETOLD_EINVALID, "unknown options version " + std::to_string(version));
    const retold_dedup_options init = RETOLD_DEDUP_OPTIONS_INIT;
    std::memcpy(opts, &init, sizeof init);
    return RETOLD_OK;
  });
}

int retold_query_options_init(retold_query_options* opts, uint32_t version) {
  return guard("retold_query_options_init", [&] {
    retold::capi::require(opts, "opts");
    if (version != RETOLD_QUERY_OPTIONS_VERSION)
      retold::capi::fail(RETOLD_EINVALID, "unknown query options version " + std::to_string(version));
    const retold_query_options init = RETOLD_QUERY_OPTIONS_INIT;
    std::memcpy(opts, &init, sizeof init);
    return RETOLD_OK;
  });
}

}  // extern "C"
