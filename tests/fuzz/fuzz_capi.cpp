// tests/fuzz/fuzz_capi.cpp - sequences of C ABI 1.0 calls (retold.h) decoded from the input.
//
// Each op byte picks a call; the following bytes pick its arguments, hostile ones included: NULL
// handles and out-pointers, a handle of the other type, structs with a wrong struct_size (0, below
// the 1.0 size, not a multiple of the alignment, larger with a zero or a non-zero tail), list
// element sizes of every kind, unknown override bits, enum values and booleans out of range,
// out-of-range numbers and NaN/inf, invalid UTF-8, NULL with a length, buffers too small, batch
// counts no array can have, arrays whose elements disagree on their struct_size, lists filled
// again without dispose, presets with bad names, loads with override masks on a saved state.
// Never: a freed handle (use after free is not something an ABI can check), a buffer shorter than
// the size we claim for it (every struct lives in a padded<T> with kTail spare bytes and its
// struct_size never claims more), or a struct_size past what we allocated.
// Checks: every status is a pinned code and never RETOLD_EINTERNAL, a failure leaves *out NULL, a
// message and its code, what retold.h and docs/c_api.md say is refused is refused, structs the
// library fills get struct_size, zeroed bytes past the library's fields and nothing past the
// caller's size, a failed add stores nothing, a load keeps every saved option except the runtime
// fields its mask names, get_options() output is accepted by new(), presets touch only the match
// fields.
#include "fuzz_util.hpp"

#include <retold/retold.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using retold_fuzz::bytes;

bool pinned(int s) {
  return s == RETOLD_OK || (s <= RETOLD_EINVALID && s >= RETOLD_ECONFLICT) || s == RETOLD_EBUFSIZE;
}

// RETOLD_FUZZ_CAPI_TRACE=1 prints every op and status (to see what an input decodes to).
bool tracing() {
  static const bool on = std::getenv("RETOLD_FUZZ_CAPI_TRACE") != nullptr;
  return on;
}

int check(int s) {
  if (tracing()) std::fprintf(stderr, "  -> %d %s\n", s, s == RETOLD_OK ? "" : retold_last_error());
  if (!pinned(s)) {
    std::fprintf(stderr, "C ABI returned %d (%s): %s\n", s, retold_error_name(s), retold_last_error());
    FUZZ_CHECK(!"unexpected status");
  }
  FUZZ_CHECK(retold_last_error() != nullptr);
  if (s != RETOLD_OK) {
    FUZZ_CHECK(retold_last_error_code() == s);
    FUZZ_CHECK(retold_last_error()[0] != '\0');
  }
  return s;
}

// A struct with kTail spare bytes after it, so a struct_size up to sizeof(T) + kTail is true.
constexpr std::size_t kTail = 64;
template <class T>
struct padded {
  T v;
  unsigned char tail[kTail];
};

// The ABI 1.0 size of each struct (retold.h: fields appended since are named there).
template <class T>
constexpr std::size_t min_size() {
  if constexpr (std::is_same_v<T, retold_dedup_options>) return offsetof(retold_dedup_options, retention_seconds);
  if constexpr (std::is_same_v<T, retold_cluster_member>) return offsetof(retold_cluster_member, title);
  return sizeof(T);
}

// A struct_size (or element size) the caller claims for a T of which it has sizeof(T) + kTail
// bytes at `tail - sizeof(T)`. Mostly the right one; bytes past sizeof(T) are zero, or one is set.
template <class T>
std::uint32_t pick_size(bytes& in, unsigned char* tail) {
  std::memset(tail, 0, kTail);
  const std::uint8_t b = in.u8();
  switch (b % 16) {
    case 8: return 0;
    case 9: return static_cast<std::uint32_t>(min_size<T>() - alignof(T));  // just too small
    case 10: return static_cast<std::uint32_t>(min_size<T>());               // an ABI 1.0 caller
    case 11: return static_cast<std::uint32_t>(sizeof(T) + 8 * (1 + in.u8() % 7));  // newer, zero tail
    case 12: {  // newer, using a field this library does not know
      const std::uint32_t extra = 8 * (1 + in.u8() % 7);
      tail[in.u8() % extra] = static_cast<unsigned char>(1 + in.u8() % 255);
      return static_cast<std::uint32_t>(sizeof(T) + extra);
    }
    case 13: return static_cast<std::uint32_t>(sizeof(T) + 1 + in.u8() % 7);  // misaligned
    case 14: return static_cast<std::uint32_t>(in.u8() % (sizeof(T) + kTail + 1));
    default: return static_cast<std::uint32_t>(sizeof(T));
  }
}

// docs/c_api.md: below the 1.0 size or not a multiple of the alignment is refused; larger than
// the library's is refused when the library reads the struct and a byte past its fields is set.
template <class T>
bool size_refused(std::uint64_t size, const unsigned char* tail, bool read) {
  if (size < min_size<T>() || size % alignof(T) != 0) return true;
  if (read && size > sizeof(T))
    for (std::size_t i = 0; i < size - sizeof(T); ++i)
      if (tail[i] != 0) return true;
  return false;
}

// A struct the library filled with `size`: struct_size is `size`, the bytes from the library's end
// to `size` are zero, the bytes past `size` (sentinel 0xA5 before the call) are untouched.
void check_filled(const void* p, std::size_t known, std::uint64_t size) {
  const auto* b = static_cast<const unsigned char*>(p);
  std::uint32_t ss;
  std::memcpy(&ss, b, sizeof ss);
  FUZZ_CHECK(ss == size);
  for (std::size_t i = size; i < known; ++i) FUZZ_CHECK(b[i] == 0xA5);  // an older caller's struct ends here
  for (std::size_t i = known; i < size; ++i) FUZZ_CHECK(b[i] == 0);
  for (std::size_t i = std::max<std::size_t>(known, size); i < known + kTail; ++i) FUZZ_CHECK(b[i] == 0xA5);
}

double pick_double(bytes& in, double keep) {
  static const double table[] = {0.0, 0.2, 0.5, 0.9, 1.0, 1.5, -0.5,
                                 std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(), 1e-300, 0.999999};
  const std::uint8_t b = in.u8();
  if (b % 16 >= 12) return keep;
  return table[b % 16];
}

std::uint32_t pick_u32(bytes& in, std::initializer_list<std::uint32_t> table) {
  const std::uint8_t b = in.u8();
  if (b == 0xFF) return in.u32();
  return table.begin()[b % table.size()];
}
std::uint64_t pick_u64(bytes& in, std::initializer_list<std::uint64_t> table) {
  const std::uint8_t b = in.u8();
  if (b == 0xFF) return in.u64();
  return table.begin()[b % table.size()];
}

// Strings that outlive the calls that borrow them during one input.
struct arena {
  std::vector<std::string> strings;
  const char* keep(std::string s) {
    strings.push_back(std::move(s));
    return strings.back().c_str();
  }
};

// The source priority lists options may point at; count never exceeds the array.
const char* const kSources3[] = {"Reuters", "AP", "\xff\xfe bad utf8"};
const char* const kSourcesNull[] = {"Reuters", nullptr};

// The library's defaults, from retold_dedup_options_init().
const retold_dedup_options& defaults() {
  static const retold_dedup_options d = [] {
    retold_dedup_options o;
    std::memset(&o, 0x5A, sizeof o);
    FUZZ_CHECK(retold_dedup_options_init(&o, sizeof o) == RETOLD_OK);
    FUZZ_CHECK(o.struct_size == sizeof o);
    return o;
  }();
  return d;
}

// What the library reads of options `p` claiming `size` bytes: the caller's fields as far as the
// size reaches, defaults for the rest.
retold_dedup_options effective(const retold_dedup_options& p, std::uint32_t size) {
  retold_dedup_options e = defaults();
  std::memcpy(static_cast<void*>(&e), &p, std::min<std::size_t>(size, sizeof e));
  return e;
}

#define RETOLD_FUZZ_FOR_STRUCTURAL(X)                                                                       \
  X(casefold) X(fold_punctuation) X(strip_boilerplate) X(replace_invalid_utf8) X(keep_text) X(shingle_kind) \
  X(shingle_size) X(num_hashes) X(minhash_scheme) X(minhash_seed) X(lsh_bands) X(lsh_rows) X(lsh_threshold) \
  X(embedding_mode) X(external_dimension) X(embedder_dimension) X(embedder_word_ngram_max)                  \
  X(embedder_char_ngram_min) X(embedder_char_ngram_max) X(embedder_sublinear_tf) X(embedder_df_buckets_log2) \
  X(embedder_word_weight) X(embedder_number_weight) X(embedder_char_weight) X(embedder_word_ngram_weight)    \
  X(embedder_seed) X(vector_index_kind) X(vector_index_nlist) X(vector_index_nprobe)                        \
  X(vector_index_scalar_quantization) X(vector_index_ivf_min_size) X(vector_index_seed) X(sketch_words)      \
  X(sketch_bigrams) X(sketch_numbers) X(sketch_names) X(sketch_title_words) X(sketch_trigrams) X(sketch_seed)
// Runtime fields and their RETOLD_OPTION_* bit (source_priority is compared by content).
#define RETOLD_FUZZ_FOR_RUNTIME(X)                                                                           \
  X(vector_candidates, VECTOR_CANDIDATES) X(decision, DECISION) X(threads, THREADS)                          \
  X(match_threshold, MATCH_THRESHOLD) X(jaccard_threshold, JACCARD_THRESHOLD)                                \
  X(cosine_threshold, COSINE_THRESHOLD) X(combined_weight_jaccard, COMBINED_WEIGHT_JACCARD)                  \
  X(combined_threshold, COMBINED_THRESHOLD) X(copy_jaccard, COPY_JACCARD)                                    \
  X(time_window_seconds, TIME_WINDOW_SECONDS) X(max_document_bytes, MAX_DOCUMENT_BYTES)                      \
  X(retention_seconds, RETENTION_SECONDS) X(snippet_bytes, SNIPPET_BYTES)

template <class V>
bool same(V a, V b) {
  if constexpr (std::is_floating_point_v<V>)
    return (std::isnan(a) && std::isnan(b)) || a == b;
  else
    return a == b;
}

bool unit(double v) { return v >= 0.0 && v <= 1.0; }

// The runtime fields named by `mask` that retold.h says are out of range.
bool runtime_refused(const retold_dedup_options& o, std::uint64_t mask) {
  if ((mask & RETOLD_OPTION_DECISION) && o.decision > RETOLD_MATCH_RULE) return true;
  if ((mask & RETOLD_OPTION_JACCARD_THRESHOLD) && !unit(o.jaccard_threshold)) return true;
  if ((mask & RETOLD_OPTION_COSINE_THRESHOLD) && !unit(o.cosine_threshold)) return true;
  if ((mask & RETOLD_OPTION_COMBINED_WEIGHT_JACCARD) && !unit(o.combined_weight_jaccard)) return true;
  if ((mask & RETOLD_OPTION_COMBINED_THRESHOLD) && !unit(o.combined_threshold)) return true;
  if ((mask & RETOLD_OPTION_COPY_JACCARD) && !unit(o.copy_jaccard)) return true;
  if ((mask & RETOLD_OPTION_SOURCE_PRIORITY) && o.source_priority_count &&
      (o.source_priority == nullptr || o.source_priority == kSourcesNull))
    return true;
  return false;
}

// Structural options retold.h says are refused: booleans other than 0/1, unknown enum values,
// num_hashes outside 1..65536, lsh_threshold outside (0, 1), EXTERNAL without a dimension, the
// built-in embedder's dimension and buckets out of their ranges, sketch sizes past 255.
bool structural_refused(const retold_dedup_options& o) {
  for (std::uint32_t b : {o.casefold, o.fold_punctuation, o.strip_boilerplate, o.replace_invalid_utf8, o.keep_text,
                          o.embedder_sublinear_tf, o.vector_index_scalar_quantization})
    if (b > 1) return true;
  if (o.shingle_kind > RETOLD_SHINGLE_CHARACTER) return true;
  if (o.minhash_scheme != RETOLD_MINHASH_ONE_PERMUTATION && o.minhash_scheme != RETOLD_MINHASH_MULTIPLY_SHIFT)
    return true;
  if (o.embedding_mode > RETOLD_EMBEDDING_NONE || o.vector_index_kind > RETOLD_VECTOR_INDEX_IVF) return true;
  if (o.num_hashes == 0 || o.num_hashes > 65536) return true;
  if (!(o.lsh_threshold > 0.0 && o.lsh_threshold < 1.0)) return true;
  if (o.embedding_mode == RETOLD_EMBEDDING_EXTERNAL && o.external_dimension == 0) return true;
  if (o.embedding_mode == RETOLD_EMBEDDING_BUILTIN &&
      (o.embedder_dimension == 0 || o.embedder_dimension > 65536 || o.embedder_df_buckets_log2 < 10 ||
       o.embedder_df_buckets_log2 > 28))
    return true;
  for (std::uint32_t s : {o.sketch_words, o.sketch_bigrams, o.sketch_numbers, o.sketch_names, o.sketch_title_words,
                          o.sketch_trigrams})
    if (s > 255) return true;
  return false;
}

// Options decoded from the input, starting from the defaults with the smallest document-frequency
// table (2^10 counters: the default 2^20 makes every new() and save() cost milliseconds under
// the sanitizers). Byte `which`: 0x80 a struct_size from pick_size follows; low 3 bits 0: nothing
// else; 8, 16, 32, 64: groups of fields follow.
void make_options(bytes& in, padded<retold_dedup_options>& p) {
  retold_dedup_options& o = p.v;
  std::memcpy(&o, &defaults(), sizeof o);
  o.embedder_df_buckets_log2 = 10;
  std::memset(p.tail, 0, kTail);
  const std::uint8_t which = in.u8();
  if (which & 0x80) o.struct_size = pick_size<retold_dedup_options>(in, p.tail);
  if ((which & 7) == 0) return;  // the defaults
  if (which & 8) {               // booleans, sometimes out of range
    const std::uint8_t f = in.u8();
    std::uint32_t* bools[] = {&o.casefold, &o.fold_punctuation, &o.strip_boilerplate, &o.replace_invalid_utf8,
                              &o.keep_text, &o.embedder_sublinear_tf, &o.vector_index_scalar_quantization};
    for (int i = 0; i < 7; ++i) *bools[i] = (f >> i) & 1;
    if (f & 0x80) *bools[in.u8() % 7] = pick_u32(in, {2, 255, UINT32_MAX});
  }
  if (which & 16) {  // shingles, MinHash, LSH
    o.shingle_kind = pick_u32(in, {0, 0, 1, 2});
    o.shingle_size = in.u8() % 9;
    // Not 65536: valid, but densifying a short text at that size takes seconds (fuzz_text.cpp).
    o.num_hashes = pick_u32(in, {128, 0, 1, 8, 16, 64, 4096, 65537});
    o.minhash_scheme = pick_u32(in, {1, 2, 0, 3});
    o.minhash_seed = in.u8();
    o.lsh_bands = in.u8() % 40;
    o.lsh_rows = in.u8() % 40;
    o.lsh_threshold = pick_double(in, o.lsh_threshold);
  }
  if (which & 32) {  // embeddings, vector index, sketch
    o.embedding_mode = pick_u32(in, {0, 1, 2, 3});
    o.external_dimension = pick_u32(in, {0, 0, 1, 4, 16, 64});
    o.embedder_dimension = pick_u32(in, {256, 0, 1, 16, 64, 65537});
    o.embedder_word_ngram_max = pick_u32(in, {1, 0, 2, 3, 100});
    o.embedder_char_ngram_min = pick_u32(in, {4, 0, 1, 3, 5});
    o.embedder_char_ngram_max = pick_u32(in, {4, 0, 2, 6, 100});
    // Not 28: valid, but 2^28 counters per handle is too much memory per execution.
    o.embedder_df_buckets_log2 = pick_u32(in, {10, 20, 12, 9, 29, 0, 64});
    o.embedder_word_weight = pick_double(in, o.embedder_word_weight);
    o.embedder_number_weight = pick_double(in, o.embedder_number_weight);
    if (in.u8() % 8 == 0) o.embedder_char_weight = 1e300;  // not a float
    o.embedder_seed = in.u8();
    o.vector_index_kind = pick_u32(in, {0, 1, 2, 3});
    o.vector_index_nlist = pick_u32(in, {0, 1, 2, 4, UINT32_MAX});
    o.vector_index_nprobe = pick_u32(in, {16, 0, 1, 4, UINT32_MAX});
    o.vector_index_ivf_min_size = pick_u64(in, {20000, 0, 2, 8, 64});
    o.sketch_words = pick_u32(in, {64, 0, 1, 255, 256});
    o.sketch_names = pick_u32(in, {32, 0, 255, 256, UINT32_MAX});
  }
  if (which & 64) {  // runtime fields
    o.vector_candidates = pick_u64(in, {16, 0, 1, 4, 64, UINT64_MAX});
    o.decision = pick_u32(in, {0, 1, 2, 3, UINT32_MAX});
    o.threads = pick_u32(in, {0, 1, 2, 3, 1000, UINT32_MAX});
    o.match_threshold = pick_double(in, o.match_threshold);
    o.jaccard_threshold = pick_double(in, o.jaccard_threshold);
    o.cosine_threshold = pick_double(in, o.cosine_threshold);
    o.combined_weight_jaccard = pick_double(in, o.combined_weight_jaccard);
    o.combined_threshold = pick_double(in, o.combined_threshold);
    o.copy_jaccard = pick_double(in, o.copy_jaccard);
    o.time_window_seconds = static_cast<std::int64_t>(pick_u64(in, {0, 60, 86400, static_cast<std::uint64_t>(-1),
                                                                    static_cast<std::uint64_t>(INT64_MAX),
                                                                    static_cast<std::uint64_t>(INT64_MIN)}));
    o.max_document_bytes = pick_u64(in, {1 << 20, 0, 16, 4096, UINT64_MAX});
    o.retention_seconds = static_cast<std::int64_t>(pick_u64(in, {0, 86400, static_cast<std::uint64_t>(-1)}));
    o.snippet_bytes = pick_u32(in, {240, 0, 1, 4096, UINT32_MAX});
  }
  switch (in.u8() % 5) {
    case 0: break;
    case 1: o.source_priority = kSources3, o.source_priority_count = 2; break;
    case 2: o.source_priority = kSources3, o.source_priority_count = 3; break;
    case 3: o.source_priority = kSourcesNull, o.source_priority_count = 2; break;
    case 4: o.source_priority = nullptr, o.source_priority_count = in.u32() | 1; break;
  }
}

const char* make_id(bytes& in, arena& a, const std::vector<std::string>& ids) {
  const std::uint8_t b = in.u8();
  switch (b % 8) {
    case 0: return nullptr;
    case 1: return "";
    case 2: return a.keep(std::string(1025, 'x'));
    case 3: if (!ids.empty()) return a.keep(ids[in.u8() % ids.size()]); [[fallthrough]];
    default: {
      std::string s(in.str(24));
      s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
      return a.keep(std::move(s));
    }
  }
}

// A (pointer, length) text: usually bytes of the input, sometimes NULL with or without a length.
std::pair<const char*, std::uint64_t> make_text(bytes& in, arena& a) {
  const std::uint8_t b = in.u8();
  if (b % 16 == 0) return {nullptr, 0};
  if (b % 16 == 1) return {nullptr, 1 + in.u8()};
  const char* p = a.keep(std::string(in.str(b % 16 == 2 ? 255 : 160)));
  return {p, a.strings.back().size()};
}

// Result lists kept across ops, so they are filled again with and without dispose in between.
struct lists {
  padded<retold_match_list> match;
  padded<retold_cluster_list> clusters;
  padded<retold_explanation> explanation;
  lists() {
    match.v = RETOLD_MATCH_LIST_INIT;
    clusters.v = RETOLD_CLUSTER_LIST_INIT;
    explanation.v = RETOLD_EXPLANATION_INIT;
    std::memset(match.tail, 0xA5, kTail);
    std::memset(clusters.tail, 0xA5, kTail);
    std::memset(explanation.tail, 0xA5, kTail);
  }
  ~lists() {
    retold_match_list_dispose(&match.v);
    retold_cluster_list_dispose(&clusters.v);
    retold_explanation_dispose(&explanation.v);
  }
};

// What a successful save left in the state directory (for the load checks).
struct saved_state {
  retold_dedup_options options;
  std::vector<std::string> sources;
};

struct state {
  retold_dedup* dedups[2] = {nullptr, nullptr};
  retold_signature* sigs[2] = {nullptr, nullptr};
  std::vector<std::string> ids;  // ids that may be stored
  std::string state_dir;
  std::optional<saved_state> saved;
  lists l;
  ~state() {
    for (auto* d : dedups) retold_dedup_free(d);
    for (auto* s : sigs) retold_signature_free(s);
  }
};

retold_dedup* pick_dedup(bytes& in, state& st) {
  const std::uint8_t b = in.u8();
  if (b % 8 == 7) return nullptr;
  if (b % 8 == 6 && st.sigs[0]) return reinterpret_cast<retold_dedup*>(st.sigs[0]);  // wrong type
  return st.dedups[b & 1];
}

retold_signature* pick_sig(bytes& in, state& st) {
  const std::uint8_t b = in.u8();
  if (b % 8 == 7) return nullptr;
  if (b % 8 == 6 && st.dedups[0]) return reinterpret_cast<retold_signature*>(st.dedups[0]);  // wrong type
  return st.sigs[b & 1];
}

bool is_handle_misuse(const void* h, state& st, bool want_dedup) {
  if (h == nullptr) return true;
  for (auto* d : st.dedups)
    if (d && d == h) return !want_dedup;
  for (auto* s : st.sigs)
    if (s && s == h) return want_dedup;
  return true;
}

bool is_live_dedup(const retold_dedup* d, state& st) { return !is_handle_misuse(d, st, true); }

// The options of a live handle, with its source priority copied.
saved_state options_of(const retold_dedup* d) {
  saved_state s;
  s.options.struct_size = sizeof s.options;
  FUZZ_CHECK(check(retold_dedup_get_options(d, &s.options)) == RETOLD_OK);
  for (std::uint64_t i = 0; i < s.options.source_priority_count; ++i) {
    FUZZ_CHECK(s.options.source_priority[i] != nullptr);
    s.sources.emplace_back(s.options.source_priority[i]);
  }
  s.options.source_priority = nullptr;
  return s;
}

void make_doc(bytes& in, arena& a, state& st, std::vector<std::vector<float>>& vectors, retold_document& d) {
  d = RETOLD_DOCUMENT_INIT;
  const std::uint8_t b = in.u8();
  d.id = make_id(in, a, st.ids);
  std::tie(d.text, d.text_len) = make_text(in, a);
  if (b & 16) std::tie(d.title, d.title_len) = make_text(in, a);
  if (b & 32) d.source = a.keep(std::string(in.str(12)).c_str());
  d.timestamp = (b & 64) ? static_cast<std::int64_t>(in.u64()) : 1709600000 + in.u16() * 60;
  if (b & 128) {
    const std::uint8_t v = in.u8();
    if (v % 8 == 0) {
      d.vector_dim = 1 + in.u8();  // NULL with a dimension
    } else {
      vectors.emplace_back(v % 70, 0.0f);
      for (auto& x : vectors.back()) x = static_cast<float>(static_cast<std::int8_t>(in.u8())) / 16.0f;
      if (v % 8 == 1 && !vectors.back().empty()) vectors.back()[0] = std::numeric_limits<float>::quiet_NaN();
      d.vector = vectors.back().data();
      d.vector_dim = static_cast<std::uint32_t>(vectors.back().size());
    }
  }
}

// A document the shim must refuse whatever the deduplicator holds (retold.h: id required, NULL
// only with length 0, vector NULL only with dimension 0).
bool doc_refused(const retold_document& doc) {
  return doc.id == nullptr || (doc.text == nullptr && doc.text_len) || (doc.title == nullptr && doc.title_len) ||
         (doc.vector == nullptr && doc.vector_dim);
}

void check_add_result(const retold_add_result& r) {
  if (r.status != RETOLD_OK) {
    FUZZ_CHECK(pinned(r.status) && r.status != RETOLD_EINTERNAL);
    FUZZ_CHECK(r.error != nullptr && r.error[0] != '\0');
    FUZZ_CHECK(r.cluster_id == 0);
    return;
  }
  FUZZ_CHECK(r.cluster_id != 0);
  FUZZ_CHECK(r.error == nullptr);
  FUZZ_CHECK(r.new_story == 0 || r.new_story == 1);
  FUZZ_CHECK(r.has_leader == 0 || r.has_leader == 1);
  FUZZ_CHECK(!(r.new_story && r.has_leader));
  FUZZ_CHECK((r.leader_id != nullptr) == (r.has_leader == 1));
  if (r.has_leader) FUZZ_CHECK(r.leader_scores.score >= 0.0 && r.leader_scores.score <= 1.0);
}

// Checks a successful get_options() / options_init() into 0xA5-filled memory and that new()
// accepts what it wrote as it is.
void check_options_out(padded<retold_dedup_options>& p, std::uint32_t size) {
  check_filled(&p.v, sizeof p.v, size);
  const retold_dedup_options& o = p.v;
  if (size >= offsetof(retold_dedup_options, source_priority) + sizeof o.source_priority) {
    FUZZ_CHECK((o.source_priority == nullptr) == (o.source_priority_count == 0));
    for (std::uint64_t i = 0; i < o.source_priority_count; ++i) FUZZ_CHECK(o.source_priority[i] != nullptr);
  }
  retold_dedup* copy = nullptr;
  FUZZ_CHECK(check(retold_dedup_new(&copy, &o)) == RETOLD_OK);
  retold_dedup_free(copy);
}

int fill_clusters_and_check(const retold_dedup* d, state& st, bytes& in, bool one) {
  auto& l = st.l.clusters;
  const bool held = l.v.internal_ != nullptr;
  const retold_cluster_list before = l.v;
  int s;
  if (one) {
    const std::uint64_t id = in.u8() % 4 ? 1 + in.u8() % 8 : in.u64();
    s = check(retold_dedup_cluster(d, id, &l.v));
  } else {
    s = check(retold_dedup_clusters(d, pick_u64(in, {0, 1, 2, UINT64_MAX}), &l.v));
  }
  if (held) FUZZ_CHECK(s == RETOLD_EINVALID);  // filling a list that holds results would leak them
  if (s != RETOLD_OK) {
    if (held) FUZZ_CHECK(l.v.items == before.items && l.v.count == before.count && l.v.internal_ == before.internal_);
    else FUZZ_CHECK(l.v.count == 0 && l.v.items == nullptr);
    return s;
  }
  FUZZ_CHECK(!size_refused<retold_cluster_list>(l.v.struct_size, l.tail, false));
  FUZZ_CHECK(!size_refused<retold_cluster>(l.v.item_size, nullptr, false));
  FUZZ_CHECK(!size_refused<retold_cluster_member>(l.v.member_size, nullptr, false));
  if (one) FUZZ_CHECK(l.v.count == 1);
  const auto* base = reinterpret_cast<const unsigned char*>(l.v.items);
  for (std::uint64_t i = 0; i < l.v.count; ++i) {
    const unsigned char* item = base + i * l.v.item_size;
    retold_cluster c;
    std::memcpy(&c, item, sizeof c);
    FUZZ_CHECK(c.struct_size == l.v.item_size);
    for (std::size_t k = sizeof c; k < l.v.item_size; ++k) FUZZ_CHECK(item[k] == 0);
    FUZZ_CHECK(c.id != 0 && c.member_count >= 1 && c.members != nullptr && c.leader && c.representative);
    const auto* mb = reinterpret_cast<const unsigned char*>(c.members);
    for (std::uint64_t k = 0; k < c.member_count; ++k) {
      const unsigned char* m = mb + k * l.v.member_size;
      retold_cluster_member mem;
      std::memset(&mem, 0, sizeof mem);
      std::memcpy(&mem, m, std::min<std::size_t>(sizeof mem, l.v.member_size));
      FUZZ_CHECK(mem.struct_size == l.v.member_size);
      FUZZ_CHECK(mem.id != nullptr && mem.source != nullptr);
      if (l.v.member_size >= sizeof mem) FUZZ_CHECK(mem.title != nullptr && mem.snippet != nullptr);
      for (std::size_t j = sizeof mem; j < l.v.member_size; ++j) FUZZ_CHECK(m[j] == 0);
      if (k == 0) FUZZ_CHECK(std::strcmp(mem.id, c.leader) == 0);
    }
  }
  return s;
}

// Before a fill: maybe dispose (else the list may still hold results), maybe new sizes.
template <class L, class Dispose>
void prepare_list(bytes& in, padded<L>& l, Dispose dispose) {
  const std::uint8_t b = in.u8();
  if (b & 1) {
    dispose(&l.v);
    FUZZ_CHECK(l.v.internal_ == nullptr);
  }
  if (b & 2) {
    unsigned char scratch[kTail];
    l.v.struct_size = pick_size<L>(in, scratch);
    std::memset(l.tail, 0xA5, kTail);
  }
}

void one_op(bytes& in, state& st, arena& a) {
  std::vector<std::vector<float>> vectors;
  const std::uint8_t op = in.u8() % 20;
  if (tracing()) std::fprintf(stderr, "op %u\n", op);
  switch (op) {
    case 0: {  // new
      padded<retold_dedup_options> p;
      make_options(in, p);
      const std::uint8_t b = in.u8();
      retold_dedup** out = (b % 8 == 0) ? nullptr : &st.dedups[b & 1];
      if (out && *out) retold_dedup_free(*out), *out = nullptr;
      const bool null_opts = b & 8;
      const int s = check(retold_dedup_new(out, null_opts ? nullptr : &p.v));
      if (!out) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (out && s != RETOLD_OK) FUZZ_CHECK(*out == nullptr);
      if (out && s == RETOLD_OK) FUZZ_CHECK(*out != nullptr);
      if (!null_opts) {
        const retold_dedup_options e = effective(p.v, p.v.struct_size);
        const bool refused = size_refused<retold_dedup_options>(p.v.struct_size, p.tail, true) ||
                             structural_refused(e) || runtime_refused(e, RETOLD_OPTION_ALL_RUNTIME);
        if (refused) FUZZ_CHECK(s == RETOLD_EINVALID);
        if (s == RETOLD_OK) {  // what it was given is what it has
          const saved_state got = options_of(*out);
#define RETOLD_FUZZ_SAME_RUNTIME(f, bit) FUZZ_CHECK(same(got.options.f, e.f));
          RETOLD_FUZZ_FOR_RUNTIME(RETOLD_FUZZ_SAME_RUNTIME)
          FUZZ_CHECK(got.options.casefold == e.casefold && got.options.shingle_kind == e.shingle_kind &&
                     got.options.num_hashes == e.num_hashes && got.options.minhash_seed == e.minhash_seed &&
                     got.options.embedding_mode == e.embedding_mode &&
                     got.options.external_dimension == e.external_dimension &&
                     got.options.vector_index_kind == e.vector_index_kind);
          FUZZ_CHECK(got.sources.size() == e.source_priority_count);
        }
      }
      break;
    }
    case 1: {  // free
      const std::uint8_t b = in.u8();
      if (b & 2) {
        retold_signature_free(st.sigs[b & 1]);
        st.sigs[b & 1] = nullptr;
      } else {
        retold_dedup_free(st.dedups[b & 1]);
        st.dedups[b & 1] = nullptr;
      }
      retold_dedup_free(nullptr);
      retold_signature_free(nullptr);
      break;
    }
    case 2: {  // add
      retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      padded<retold_document> doc;
      make_doc(in, a, st, vectors, doc.v);
      std::memset(doc.tail, 0, kTail);
      if (b & 4) doc.v.struct_size = pick_size<retold_document>(in, doc.tail);
      padded<retold_add_result> r;
      std::memset(&r, 0xA5, sizeof r);
      r.v.struct_size = (b & 8) ? pick_size<retold_add_result>(in, r.tail) : sizeof r.v;
      std::memset(r.tail, 0xA5, kTail);
      const bool live = is_live_dedup(d, st);
      int32_t was = 0;
      const bool id_ok = live && doc.v.id != nullptr;
      if (id_ok) check(retold_dedup_contains(d, doc.v.id, &was));
      const int s = check(retold_dedup_add(d, (b & 1) ? nullptr : &doc.v, (b & 2) ? nullptr : &r.v));
      if (!live || (b & 1) || doc_refused(doc.v) || size_refused<retold_document>(doc.v.struct_size, doc.tail, true))
        FUZZ_CHECK(s == RETOLD_EINVALID);
      if (!(b & 2) && size_refused<retold_add_result>(r.v.struct_size, nullptr, false)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (s != RETOLD_OK && id_ok) {  // nothing is stored on failure
        int32_t now = -1;
        check(retold_dedup_contains(d, doc.v.id, &now));
        FUZZ_CHECK(now == was);
      }
      if (s == RETOLD_OK) {
        st.ids.emplace_back(doc.v.id);
        if (!(b & 2)) {
          check_filled(&r.v, sizeof r.v, r.v.struct_size);
          check_add_result(r.v);
        }
      }
      break;
    }
    case 3: {  // add_batch: arrays with the stride of element 0's struct_size
      retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      const std::size_t n = in.u8() % 6;
      padded<retold_document> first;  // only for its tail and the size pick
      const std::uint32_t doc_size = (b & 32) ? pick_size<retold_document>(in, first.tail) : sizeof(retold_document);
      const std::size_t doc_stride = std::max<std::size_t>(doc_size, sizeof(retold_document)) + kTail;
      std::vector<std::uint64_t> doc_buf((std::max<std::size_t>(n, 1) * doc_stride + 7) / 8 + 1, 0);
      auto* docs_bytes = reinterpret_cast<unsigned char*>(doc_buf.data());
      // Element i lives at i * doc_size (the stride the library uses); with doc_size below the
      // struct only element 0 is written (the call is refused before any other is read).
      auto doc_at = [&](std::size_t i) { return docs_bytes + i * doc_size; };
      std::vector<retold_document> docs(n);
      for (std::size_t i = 0; i < n; ++i) make_doc(in, a, st, vectors, docs[i]);
      const bool bad_size = size_refused<retold_document>(doc_size, first.tail, true);
      for (std::size_t i = 0; i < n; ++i) {
        if (bad_size && i > 0) break;
        docs[i].struct_size = doc_size;
        std::memcpy(doc_at(i), &docs[i], sizeof docs[i]);
        if (doc_size > sizeof(retold_document)) std::memcpy(doc_at(i) + sizeof(retold_document), first.tail, doc_size - sizeof(retold_document));
      }
      // A later element that disagrees on its struct_size: the whole call is refused.
      std::size_t odd = SIZE_MAX;
      if (!bad_size && n > 1 && (b & 64)) {
        odd = 1 + in.u8() % (n - 1);
        const std::uint32_t other = doc_size == sizeof(retold_document) ? doc_size + 8 : sizeof(retold_document);
        std::memcpy(doc_at(odd), &other, sizeof other);
      }
      // Results: element 0's struct_size is the stride; 0xA5 elsewhere (the library writes them).
      unsigned char res_tail[kTail];
      const std::uint32_t res_size = (b & 128) ? pick_size<retold_add_result>(in, res_tail) : sizeof(retold_add_result);
      const std::size_t res_stride = std::max<std::size_t>(res_size, sizeof(retold_add_result));
      std::vector<std::uint64_t> res_buf((std::max<std::size_t>(n, 1) * res_stride + kTail + 7) / 8 + 1, 0xA5A5A5A5A5A5A5A5ull);
      auto* res_bytes = reinterpret_cast<unsigned char*>(res_buf.data());
      std::memcpy(res_bytes, &res_size, sizeof res_size);
      std::uint64_t count = n;
      bool impossible = false;
      if (b % 8 == 1) {  // counts no caller array can have: refused before any element past 0 is read
        const std::uint64_t stride = std::max<std::uint64_t>(doc_size, 1);
        const std::uint64_t huge[] = {UINT64_MAX, std::uint64_t{1} << 63, std::uint64_t(PTRDIFF_MAX) / stride + 1};
        count = huge[in.u8() % 3];
        impossible = true;
        if (n == 0) {  // element 0 must still be there: the library reads its struct_size
          retold_document one = RETOLD_DOCUMENT_INIT;
          one.struct_size = doc_size;
          std::memcpy(docs_bytes, &one, sizeof one);
        }
      }
      const retold_document* docs_ptr = (n == 0 && !impossible) ? nullptr : reinterpret_cast<const retold_document*>(docs_bytes);
      if (b % 8 == 2) docs_ptr = nullptr;
      const bool no_results = (b & 8) || impossible;
      std::uint64_t added = 12345;
      const int s = check(retold_dedup_add_batch(d, docs_ptr, count, no_results ? nullptr : reinterpret_cast<retold_add_result*>(res_bytes),
                                                  (b & 16) ? nullptr : &added));
      if (impossible) FUZZ_CHECK(s != RETOLD_OK);
      if (!is_live_dedup(d, st)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (count > 0) {
        if (docs_ptr == nullptr || bad_size || odd != SIZE_MAX) FUZZ_CHECK(s == RETOLD_EINVALID);
        if (!no_results && size_refused<retold_add_result>(res_size, nullptr, false)) FUZZ_CHECK(s == RETOLD_EINVALID);
      }
      if (!(b & 16)) FUZZ_CHECK(s == RETOLD_OK ? added <= count : added == 0);
      if (s == RETOLD_OK && !impossible && !no_results) {
        std::uint64_t ok = 0;
        for (std::size_t i = 0; i < n; ++i) {
          retold_add_result r;
          const unsigned char* e = res_bytes + i * res_size;
          std::memcpy(&r, e, sizeof r);
          FUZZ_CHECK(r.struct_size == res_size);
          for (std::size_t k = sizeof r; k < res_size; ++k) FUZZ_CHECK(e[k] == 0);
          check_add_result(r);
          if (doc_refused(docs[i])) FUZZ_CHECK(r.status == RETOLD_EINVALID);
          if (r.status == RETOLD_OK) st.ids.emplace_back(docs[i].id), ++ok;
        }
        if (!(b & 16)) FUZZ_CHECK(added == ok);
        if (n > 0)  // nothing past the last entry is written
          for (std::size_t k = n * res_size; k < n * res_size + kTail; ++k) FUZZ_CHECK(res_bytes[k] == 0xA5);
      }
      break;
    }
    case 4: {  // query into the kept match list
      const retold_dedup* d = pick_dedup(in, st);
      auto [text, len] = make_text(in, a);
      padded<retold_query_options> q;
      q.v = RETOLD_QUERY_OPTIONS_INIT;
      const std::uint8_t b = in.u8();
      std::memset(q.tail, 0, kTail);
      if (b & 1) q.v.struct_size = pick_size<retold_query_options>(in, q.tail);
      q.v.top_k = pick_u32(in, {10, 0, 1, UINT32_MAX});
      q.v.include_rejected = in.u8() % 3;
      q.v.has_timestamp = in.u8() % 3;
      q.v.timestamp = static_cast<std::int64_t>(in.u64());
      q.v.min_score = pick_double(in, 0.0);
      auto& l = st.l.match;
      prepare_list(in, l, retold_match_list_dispose);
      if (b & 8) l.v.item_size = pick_size<retold_match>(in, l.tail), std::memset(l.tail, 0xA5, kTail);
      const bool held = l.v.internal_ != nullptr;
      const retold_match_list before = l.v;
      const bool null_opts = b & 2;
      const bool dispose_after = in.u8() & 1;
      const int s = check(retold_dedup_query(d, text, len, null_opts ? nullptr : &q.v, (b & 4) ? nullptr : &l.v));
      if ((b & 4) || held || !is_live_dedup(d, st) || (text == nullptr && len)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (!null_opts && (size_refused<retold_query_options>(q.v.struct_size, q.tail, true) ||
                         (q.v.struct_size >= sizeof q.v && (q.v.include_rejected > 1 || q.v.has_timestamp > 1 ||
                                                            !unit(q.v.min_score)))))
        FUZZ_CHECK(s == RETOLD_EINVALID);
      if (size_refused<retold_match_list>(l.v.struct_size, nullptr, false) ||
          size_refused<retold_match>(l.v.item_size, nullptr, false))
        if (!(b & 4)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (b & 4) break;
      if (s != RETOLD_OK) {
        if (held) FUZZ_CHECK(l.v.items == before.items && l.v.count == before.count && l.v.internal_ == before.internal_);
        else FUZZ_CHECK(l.v.count == 0 && l.v.items == nullptr);
        break;
      }
      if (!null_opts && q.v.top_k < l.v.count) FUZZ_CHECK(!"more matches than top_k");
      const auto* base = reinterpret_cast<const unsigned char*>(l.v.items);
      for (std::uint64_t i = 0; i < l.v.count; ++i) {
        const unsigned char* item = base + i * l.v.item_size;
        retold_match m;
        std::memcpy(&m, item, sizeof m);
        FUZZ_CHECK(m.struct_size == l.v.item_size);
        for (std::size_t k = sizeof m; k < l.v.item_size; ++k) FUZZ_CHECK(item[k] == 0);
        FUZZ_CHECK(m.id != nullptr && m.cluster_id != 0);
        FUZZ_CHECK(m.scores.score >= 0.0 && m.scores.score <= 1.0);
        if (!null_opts && q.v.min_score > 0.0) FUZZ_CHECK(m.scores.score >= q.v.min_score);
      }
      if (dispose_after) {  // dispose keeps the sizes
        const std::uint32_t ss = l.v.struct_size, is = l.v.item_size;
        retold_match_list_dispose(&l.v);
        retold_match_list_dispose(&l.v);
        FUZZ_CHECK(l.v.struct_size == ss && l.v.item_size == is && l.v.items == nullptr && l.v.count == 0);
      }
      retold_match_list_dispose(nullptr);
      break;
    }
    case 5: {  // query_vector into the kept match list
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      std::vector<float> v(in.u8() % 70, 0.25f);
      if (b & 2 && !v.empty()) v[0] = (b & 4) ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
      const float* vp = v.empty() ? nullptr : v.data();
      std::uint32_t dim = static_cast<std::uint32_t>(v.size());
      if (b & 1) vp = nullptr, dim = 1 + in.u8();
      auto& l = st.l.match;
      prepare_list(in, l, retold_match_list_dispose);
      const bool held = l.v.internal_ != nullptr;
      const int s = check(retold_dedup_query_vector(d, vp, dim, nullptr, &l.v));
      if ((vp == nullptr && dim) || held || !is_live_dedup(d, st)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (s == RETOLD_OK)
        for (std::uint64_t i = 0; i < l.v.count; ++i) {
          const auto* m = reinterpret_cast<const retold_match*>(reinterpret_cast<const unsigned char*>(l.v.items) + i * l.v.item_size);
          FUZZ_CHECK(m->id != nullptr && m->cluster_id != 0);
        }
      break;
    }
    case 6: {  // lookups by id
      const retold_dedup* d = pick_dedup(in, st);
      const char* id = make_id(in, a, st.ids);
      const std::uint8_t b = in.u8();
      int32_t has = -1;
      const int s1 = check(retold_dedup_contains(d, id, (b & 1) ? nullptr : &has));
      if ((b & 1) || id == nullptr || !is_live_dedup(d, st)) FUZZ_CHECK(s1 == RETOLD_EINVALID);
      if (s1 == RETOLD_OK) FUZZ_CHECK(has == 0 || has == 1);
      std::uint64_t cid = 0;
      const int s2 = check(retold_dedup_cluster_of(d, id, (b & 2) ? nullptr : &cid));
      if (s2 == RETOLD_OK) FUZZ_CHECK(cid != 0 && (s1 != RETOLD_OK || has == 1));
      if (s1 == RETOLD_OK && has == 0) FUZZ_CHECK(s2 != RETOLD_OK);
      char buf[16];
      std::uint64_t len = 0;
      const std::uint64_t cap = (b & 4) ? 0 : (b & 8) ? 4 : sizeof buf;
      const int s3 = check(retold_dedup_representative_of(d, id, cap ? buf : nullptr, cap, (b & 16) ? nullptr : &len));
      if (b & 16) FUZZ_CHECK(s3 == RETOLD_EINVALID);
      if (s3 == RETOLD_OK) FUZZ_CHECK(len < cap && std::strlen(buf) == len);
      if (s3 == RETOLD_EBUFSIZE) FUZZ_CHECK(len >= cap);
      break;
    }
    case 7: {  // remove / evict
      retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      if (b & 1) {
        const int s = check(retold_dedup_remove(d, make_id(in, a, st.ids)));
        if (!is_live_dedup(d, st)) FUZZ_CHECK(s == RETOLD_EINVALID);
      } else {
        std::uint64_t removed = 99;
        const int s = check(retold_dedup_evict_before(d, static_cast<std::int64_t>(pick_u64(in, {0, 1709600000, 1709700000,
                                                                                                 static_cast<std::uint64_t>(INT64_MAX),
                                                                                                 static_cast<std::uint64_t>(INT64_MIN)})),
                                                      (b & 2) ? nullptr : &removed));
        if (s == RETOLD_OK && !(b & 2)) FUZZ_CHECK(removed != 99 || st.ids.size() >= 99);
        if (!is_live_dedup(d, st)) FUZZ_CHECK(s == RETOLD_EINVALID);
      }
      break;
    }
    case 8: {  // save / save_replace
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      const auto base = retold_fuzz::scratch_dir();
      std::string dir = st.state_dir;
      switch (b % 4) {
        case 0: dir = (base / "capi-state").string(); break;
        case 1: dir = (base / "a-file").string(); retold_fuzz::write_file(dir, "not a directory"); break;
        case 2: dir = ""; break;
        case 3: break;
      }
      const char* p = (b & 4) ? nullptr : dir.c_str();
      const int s = check((b & 8) ? retold_dedup_save_replace(d, p) : retold_dedup_save(d, p));
      if ((b & 4) || dir.empty() || !is_live_dedup(d, st)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (s == RETOLD_OK) st.state_dir = dir, st.saved = options_of(d);
      break;
    }
    case 9: {  // load, with an override mask
      const std::uint8_t b = in.u8();
      padded<retold_dedup_options> p;
      make_options(in, p);
      static const std::uint64_t masks[] = {0,
                                            RETOLD_OPTION_TIME_WINDOW_SECONDS,
                                            RETOLD_OPTION_MATCH,
                                            RETOLD_OPTION_SCORING,
                                            RETOLD_OPTION_ALL_RUNTIME,
                                            RETOLD_OPTION_SOURCE_PRIORITY | RETOLD_OPTION_THREADS,
                                            RETOLD_OPTION_RETENTION_SECONDS | RETOLD_OPTION_SNIPPET_BYTES,
                                            RETOLD_OPTION_ALL_RUNTIME + 1,  // the first unknown bit
                                            std::uint64_t{1} << 63};
      const std::uint8_t mb = in.u8();
      std::uint64_t mask = mb == 0xFF ? in.u64() : (mb & 0x80) ? (std::uint64_t{1} << (mb % 14)) : masks[mb % 9];
      retold_dedup** out = (b % 8 == 0) ? nullptr : &st.dedups[b & 1];
      if (out && *out) retold_dedup_free(*out), *out = nullptr;
      const bool never_saved = (b & 16) || st.state_dir.empty();
      std::string dir = never_saved ? (retold_fuzz::scratch_dir() / "never-saved").string() : st.state_dir;
      const bool null_overrides = b & 32;
      const int s = check(retold_dedup_load(out, (b & 8) ? nullptr : dir.c_str(), null_overrides ? nullptr : &p.v, mask));
      if (!out || (b & 8)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (out && s != RETOLD_OK) FUZZ_CHECK(*out == nullptr);
      if (mask & ~RETOLD_OPTION_ALL_RUNTIME) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (mask && null_overrides) FUZZ_CHECK(s == RETOLD_EINVALID);
      const retold_dedup_options e = effective(p.v, p.v.struct_size);
      if (mask && !null_overrides &&
          (size_refused<retold_dedup_options>(p.v.struct_size, p.tail, true) || runtime_refused(e, mask)))
        FUZZ_CHECK(s == RETOLD_EINVALID);
      if (never_saved) FUZZ_CHECK(s != RETOLD_OK);
      if (s == RETOLD_OK && st.saved && !never_saved) {
        // Every field keeps its saved value except the runtime ones the mask names.
        const saved_state got = options_of(*out);
        const retold_dedup_options& sv = st.saved->options;
#define RETOLD_FUZZ_SAME_STRUCTURAL(f) FUZZ_CHECK(same(got.options.f, sv.f));
        RETOLD_FUZZ_FOR_STRUCTURAL(RETOLD_FUZZ_SAME_STRUCTURAL)
#define RETOLD_FUZZ_LOADED_RUNTIME(f, bit) \
  FUZZ_CHECK(same(got.options.f, (mask & RETOLD_OPTION_##bit) ? e.f : sv.f));
        RETOLD_FUZZ_FOR_RUNTIME(RETOLD_FUZZ_LOADED_RUNTIME)
        if (mask & RETOLD_OPTION_SOURCE_PRIORITY) {
          FUZZ_CHECK(got.sources.size() == e.source_priority_count);
          for (std::size_t i = 0; i < got.sources.size(); ++i) FUZZ_CHECK(got.sources[i] == e.source_priority[i]);
        } else {
          FUZZ_CHECK(got.sources == st.saved->sources);
        }
      }
      break;
    }
    case 10: {  // compute signature / embedding
      const retold_dedup* d = pick_dedup(in, st);
      auto [text, len] = make_text(in, a);
      const std::uint8_t b = in.u8();
      retold_signature** out = (b % 8 == 0) ? nullptr : &st.sigs[b & 1];
      // `d` may be this very signature (wrong type): free the slot's old one after the call.
      retold_signature* old = out ? *out : nullptr;
      if (out) *out = nullptr;
      const int s = check(retold_dedup_compute_signature(d, text, len, out));
      retold_signature_free(old);
      if (reinterpret_cast<const void*>(d) == old) d = nullptr;
      if (!out) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (out && s != RETOLD_OK) FUZZ_CHECK(*out == nullptr);
      float buf[64];
      std::uint64_t dim = 0;
      const std::uint64_t cap = (b & 16) ? 0 : (b & 32) ? 3 : 64;
      const int e = check(retold_dedup_compute_embedding(d, text, len, cap ? buf : nullptr, cap, (b & 64) ? nullptr : &dim));
      if (b & 64) FUZZ_CHECK(e == RETOLD_EINVALID);
      if (e == RETOLD_OK) FUZZ_CHECK(dim <= cap);
      if (e == RETOLD_EBUFSIZE) FUZZ_CHECK(dim > cap);
      if (e == RETOLD_OK) for (std::uint64_t i = 0; i < dim; ++i) FUZZ_CHECK(std::isfinite(buf[i]));
      break;
    }
    case 11: {  // signature handles
      const retold_signature* sg = pick_sig(in, st);
      const std::uint8_t b = in.u8();
      std::uint32_t vals[8];
      std::uint64_t count = 0;
      const std::uint64_t vcap = (b & 1) ? 0 : 8;
      const int v = check(retold_signature_values(sg, vcap ? vals : nullptr, vcap, &count));
      if (is_handle_misuse(sg, st, false)) FUZZ_CHECK(v == RETOLD_EINVALID);
      if (v == RETOLD_EBUFSIZE) FUZZ_CHECK(count > vcap);
      std::vector<std::uint8_t> ser(in.u8() % 2 ? 8 : 65536 * 4 + 64);
      std::uint64_t len = 0;
      const int s = check(retold_signature_serialize(sg, ser.data(), ser.size(), (b & 2) ? nullptr : &len));
      if (s == RETOLD_OK) {
        FUZZ_CHECK(len <= ser.size());
        retold_signature* back = nullptr;
        FUZZ_CHECK(check(retold_signature_deserialize(&back, ser.data(), len)) == RETOLD_OK);
        double j = -1;
        FUZZ_CHECK(check(retold_signature_jaccard(sg, back, &j)) == RETOLD_OK && j >= 0 && j <= 1);
        retold_signature_free(back);
      }
      // Deserialize input bytes into a slot.
      const std::string_view raw = in.str(255);
      retold_signature** out = (b & 4) ? nullptr : &st.sigs[(b >> 3) & 1];
      if (out && *out) retold_signature_free(*out), *out = nullptr;
      const int ds = check(retold_signature_deserialize(out, (b & 32) ? nullptr : reinterpret_cast<const std::uint8_t*>(raw.data()),
                                                        raw.size()));
      if (!out || ((b & 32) && !raw.empty())) FUZZ_CHECK(ds == RETOLD_EINVALID);
      if (out && ds != RETOLD_OK) FUZZ_CHECK(*out == nullptr);
      double j = 0;
      check(retold_signature_jaccard(pick_sig(in, st), pick_sig(in, st), (b & 64) ? nullptr : &j));
      break;
    }
    case 12: {  // stories and explanations into the kept lists
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      auto& cl = st.l.clusters;
      prepare_list(in, cl, retold_cluster_list_dispose);
      if (b & 16) cl.v.item_size = pick_size<retold_cluster>(in, cl.tail), std::memset(cl.tail, 0xA5, kTail);
      if (b & 32) cl.v.member_size = pick_size<retold_cluster_member>(in, cl.tail), std::memset(cl.tail, 0xA5, kTail);
      const bool clusters_bad = size_refused<retold_cluster_list>(cl.v.struct_size, nullptr, false) ||
                                size_refused<retold_cluster>(cl.v.item_size, nullptr, false) ||
                                size_refused<retold_cluster_member>(cl.v.member_size, nullptr, false);
      if (b & 1) {
        FUZZ_CHECK(check(retold_dedup_clusters(d, 0, nullptr)) == RETOLD_EINVALID);
      } else {
        const int s = fill_clusters_and_check(d, st, in, false);
        if (clusters_bad || !is_live_dedup(d, st)) FUZZ_CHECK(s == RETOLD_EINVALID);
      }
      prepare_list(in, cl, retold_cluster_list_dispose);
      const int s1 = fill_clusters_and_check(d, st, in, true);
      if (!is_live_dedup(d, st)) FUZZ_CHECK(s1 == RETOLD_EINVALID);
      auto& ex = st.l.explanation;
      prepare_list(in, ex, retold_explanation_dispose);
      if (b & 64) ex.v.feature_size = pick_size<retold_feature>(in, ex.tail), std::memset(ex.tail, 0xA5, kTail);
      const bool held = ex.v.internal_ != nullptr;
      const retold_explanation before = ex.v;
      const char* ida = make_id(in, a, st.ids);
      const char* idb = make_id(in, a, st.ids);
      const int s2 = check(retold_dedup_explain(d, ida, idb, (b & 8) ? nullptr : &ex.v));
      if ((b & 8) || held || !ida || !idb || !is_live_dedup(d, st) ||
          size_refused<retold_explanation>(ex.v.struct_size, nullptr, false) ||
          size_refused<retold_feature>(ex.v.feature_size, nullptr, false))
        FUZZ_CHECK(s2 == RETOLD_EINVALID);
      if (s2 != RETOLD_OK && !(b & 8)) {
        if (held) FUZZ_CHECK(ex.v.internal_ == before.internal_ && ex.v.features == before.features);
        else FUZZ_CHECK(ex.v.internal_ == nullptr && ex.v.features == nullptr && ex.v.feature_count == 0);
      }
      if (s2 == RETOLD_OK) {
        check_filled(&ex.v, sizeof ex.v, ex.v.struct_size);
        FUZZ_CHECK(ex.v.feature_size == before.feature_size);
        FUZZ_CHECK(ex.v.shared_passage != nullptr);
        FUZZ_CHECK(ex.v.probability >= 0.0 && ex.v.probability <= 1.0);
        FUZZ_CHECK((ex.v.shared_terms != nullptr) == (ex.v.shared_term_count != 0));
        for (std::uint64_t i = 0; i < ex.v.shared_term_count; ++i) FUZZ_CHECK(ex.v.shared_terms[i] != nullptr);
        const auto* fb = reinterpret_cast<const unsigned char*>(ex.v.features);
        for (std::uint64_t i = 0; i < ex.v.feature_count; ++i) {
          retold_feature f;
          std::memcpy(&f, fb + i * ex.v.feature_size, sizeof f);
          FUZZ_CHECK(f.struct_size == ex.v.feature_size && f.name != nullptr && f.name[0] != '\0');
          for (std::size_t k = sizeof f; k < ex.v.feature_size; ++k) FUZZ_CHECK(fb[i * ex.v.feature_size + k] == 0);
        }
      }
      retold_cluster_list_dispose(nullptr);
      retold_explanation_dispose(nullptr);
      break;
    }
    case 13: {  // stats and get_options with every struct_size
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      padded<retold_stats> sts;
      std::memset(&sts, 0xA5, sizeof sts);
      sts.v.struct_size = (b & 2) ? pick_size<retold_stats>(in, sts.tail) : sizeof sts.v;
      std::memset(sts.tail, 0xA5, kTail);
      const int s = check(retold_dedup_stats(d, (b & 1) ? nullptr : &sts.v));
      if ((b & 1) || !is_live_dedup(d, st) || size_refused<retold_stats>(sts.v.struct_size, nullptr, false))
        FUZZ_CHECK(s == RETOLD_EINVALID);
      if (s == RETOLD_OK) {
        check_filled(&sts.v, sizeof sts.v, sts.v.struct_size);
        const retold_stats& x = sts.v;
        FUZZ_CHECK(x.multi_member_clusters <= x.clusters && x.clusters <= x.documents);
        FUZZ_CHECK(x.documents <= x.documents_added_total);
        for (double t : {x.add_features_seconds, x.add_embed_seconds, x.add_candidates_seconds,
                         x.add_verify_cluster_seconds, x.add_index_add_seconds})
          FUZZ_CHECK(std::isfinite(t) && t >= 0.0);
      }
      padded<retold_dedup_options> o;
      std::memset(&o, 0xA5, sizeof o);
      o.v.struct_size = (b & 4) ? pick_size<retold_dedup_options>(in, o.tail) : sizeof o.v;
      std::memset(o.tail, 0xA5, kTail);
      const int g = check(retold_dedup_get_options(d, (b & 8) ? nullptr : &o.v));
      if ((b & 8) || !is_live_dedup(d, st) || size_refused<retold_dedup_options>(o.v.struct_size, nullptr, false))
        FUZZ_CHECK(g == RETOLD_EINVALID);
      if (g == RETOLD_OK) check_options_out(o, o.v.struct_size);
      break;
    }
    case 14: {  // options_init, query_options_init, versions and errors
      const std::uint8_t b = in.u8();
      padded<retold_dedup_options> o;
      std::memset(&o, 0xA5, sizeof o);
      unsigned char scratch[kTail];
      const std::uint32_t size = (b & 2) ? pick_size<retold_dedup_options>(in, scratch) : sizeof o.v;
      const int s1 = check(retold_dedup_options_init((b & 1) ? nullptr : &o.v, size));
      if ((b & 1) || size_refused<retold_dedup_options>(size, nullptr, false)) FUZZ_CHECK(s1 == RETOLD_EINVALID);
      if (s1 == RETOLD_OK) {
        check_filled(&o.v, sizeof o.v, size);
        // Every field as far as the size reaches (not the trailing padding) is the default.
        constexpr std::size_t fields_end = offsetof(retold_dedup_options, snippet_bytes) + sizeof(std::uint32_t);
        FUZZ_CHECK(std::memcmp(reinterpret_cast<const unsigned char*>(&o.v) + 4,
                               reinterpret_cast<const unsigned char*>(&defaults()) + 4,
                               std::min<std::size_t>(size, fields_end) - 4) == 0);
        // The defaults are real values: new() takes them as they are.
        if (size >= sizeof o.v && (b & 32)) check_options_out(o, size);
      } else if (!(b & 1)) {
        for (std::size_t i = 0; i < sizeof o; ++i) FUZZ_CHECK(reinterpret_cast<unsigned char*>(&o)[i] == 0xA5);
      }
      padded<retold_query_options> q;
      std::memset(&q, 0xA5, sizeof q);
      const std::uint32_t qsize = (b & 8) ? pick_size<retold_query_options>(in, scratch) : sizeof q.v;
      const int s2 = check(retold_query_options_init((b & 4) ? nullptr : &q.v, qsize));
      if ((b & 4) || size_refused<retold_query_options>(qsize, nullptr, false)) FUZZ_CHECK(s2 == RETOLD_EINVALID);
      if (s2 == RETOLD_OK) {
        check_filled(&q.v, sizeof q.v, qsize);
        const retold_query_options init = RETOLD_QUERY_OPTIONS_INIT;
        FUZZ_CHECK(q.v.top_k == init.top_k && q.v.include_rejected == init.include_rejected &&
                   q.v.has_timestamp == init.has_timestamp && q.v.timestamp == init.timestamp &&
                   q.v.min_score == init.min_score);
      }
      const int code = static_cast<int>(in.u32());
      FUZZ_CHECK(retold_error_name(code) != nullptr);
      if (!pinned(code) && code != RETOLD_EINTERNAL) FUZZ_CHECK(std::strcmp(retold_error_name(code), "unknown") == 0);
      FUZZ_CHECK(retold_version() == RETOLD_VERSION_NUMBER && retold_version_string() != nullptr);
      FUZZ_CHECK(retold_abi_version() == RETOLD_C_ABI_VERSION && RETOLD_C_ABI_VERSION == 1);
      if (b & 16) {
        retold_error_clear();
        FUZZ_CHECK(retold_last_error_code() == RETOLD_OK && retold_last_error()[0] == '\0');
      }
      break;
    }
    case 16: {  // presets: only the match fields change
      const std::uint8_t b = in.u8();
      padded<retold_dedup_options> p;
      make_options(in, p);
      static const char* const names[] = {"copies", "retellings", "stories", "", "Copies", "copies ",
                                          "retelling", "\xff\xfe", nullptr};
      const char* name = names[b % 9];
      if (b & 0x80) name = a.keep(std::string(in.str(16)));
      const bool known = name && (!std::strcmp(name, "copies") || !std::strcmp(name, "retellings") ||
                                  !std::strcmp(name, "stories"));
      padded<retold_dedup_options> before;
      std::memcpy(&before, &p, sizeof p);
      const bool null_opts = b & 0x40;
      const int s = check(retold_dedup_options_apply_preset(null_opts ? nullptr : &p.v, name));
      if (null_opts || !known || size_refused<retold_dedup_options>(p.v.struct_size, nullptr, false))
        FUZZ_CHECK(s == RETOLD_EINVALID);
      if (s != RETOLD_OK) {
        FUZZ_CHECK(std::memcmp(&p, &before, sizeof p) == 0);
        break;
      }
      retold_dedup_options expect;
      std::memcpy(&expect, &before.v, sizeof expect);
      expect.decision = p.v.decision;
      expect.match_threshold = p.v.match_threshold;
      expect.jaccard_threshold = p.v.jaccard_threshold;
      expect.cosine_threshold = p.v.cosine_threshold;
      expect.combined_weight_jaccard = p.v.combined_weight_jaccard;
      expect.combined_threshold = p.v.combined_threshold;
      expect.copy_jaccard = p.v.copy_jaccard;
      FUZZ_CHECK(std::memcmp(&expect, &p.v, sizeof expect) == 0);
      FUZZ_CHECK(std::memcmp(p.tail, before.tail, kTail) == 0);
      // A preset's values are valid; "retellings" is the defaults.
      FUZZ_CHECK(!runtime_refused(p.v, RETOLD_OPTION_MATCH) && p.v.decision <= RETOLD_MATCH_RULE);
      if (!std::strcmp(name, "retellings")) {
        const retold_dedup_options& d = defaults();
        FUZZ_CHECK(p.v.decision == d.decision && p.v.match_threshold == d.match_threshold &&
                   p.v.jaccard_threshold == d.jaccard_threshold && p.v.cosine_threshold == d.cosine_threshold &&
                   p.v.combined_weight_jaccard == d.combined_weight_jaccard &&
                   p.v.combined_threshold == d.combined_threshold && p.v.copy_jaccard == d.copy_jaccard);
      }
      if (b & 0x20) {  // the preset on the defaults makes a deduplicator
        retold_dedup_options o = defaults();
        FUZZ_CHECK(check(retold_dedup_options_apply_preset(&o, name)) == RETOLD_OK);
        retold_dedup* dd = nullptr;
        FUZZ_CHECK(check(retold_dedup_new(&dd, &o)) == RETOLD_OK);
        retold_dedup_free(dd);
      }
      break;
    }
    case 17: {  // a saved state reloaded into the other slot with overrides from a preset
      if (!st.saved || st.state_dir.empty()) break;
      const std::uint8_t b = in.u8();
      retold_dedup_options o;
      FUZZ_CHECK(check(retold_dedup_options_init(&o, sizeof o)) == RETOLD_OK);
      static const char* const names[] = {"copies", "retellings", "stories"};
      FUZZ_CHECK(check(retold_dedup_options_apply_preset(&o, names[b % 3])) == RETOLD_OK);
      o.time_window_seconds = (b & 8) ? 3 * 86400 : 0;
      const std::uint64_t mask = RETOLD_OPTION_MATCH | ((b & 16) ? RETOLD_OPTION_TIME_WINDOW_SECONDS : 0);
      retold_dedup** out = &st.dedups[(b >> 5) & 1];
      if (*out) retold_dedup_free(*out), *out = nullptr;
      const int s = check(retold_dedup_load(out, st.state_dir.c_str(), &o, mask));
      if (s != RETOLD_OK) {
        FUZZ_CHECK(*out == nullptr);
        break;
      }
      const saved_state got = options_of(*out);
      FUZZ_CHECK(got.options.decision == o.decision && got.options.copy_jaccard == o.copy_jaccard &&
                 got.options.jaccard_threshold == o.jaccard_threshold);
      FUZZ_CHECK(got.options.time_window_seconds == ((b & 16) ? o.time_window_seconds : st.saved->options.time_window_seconds));
      FUZZ_CHECK(got.options.num_hashes == st.saved->options.num_hashes && got.sources == st.saved->sources);
      break;
    }
    default: {  // a whole valid document, so the state grows beyond what hostile ops leave
      retold_dedup* d = st.dedups[in.u8() & 1];
      if (!d) break;
      std::string id = "doc-" + std::to_string(st.ids.size()) + "-" + std::to_string(in.u8());
      std::string text(in.str(255));
      retold_document doc = RETOLD_DOCUMENT_INIT;
      doc.id = id.c_str();
      doc.text = text.data();
      doc.text_len = text.size();
      doc.timestamp = 1709600000 + in.u16() * 60;
      retold_add_result r = RETOLD_ADD_RESULT_INIT;
      if (check(retold_dedup_add(d, &doc, &r)) == RETOLD_OK) st.ids.push_back(id), check_add_result(r);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bytes in(data, size);
  state st;
  arena a;
  a.strings.reserve(4096);  // c_str() pointers must stay put: never reallocate
  for (int ops = 0; ops < 48 && in.remaining() > 0; ++ops) {
    if (a.strings.size() > 4000) break;
    one_op(in, st, a);
  }
  std::error_code ec;
  if (!st.state_dir.empty()) std::filesystem::remove_all(st.state_dir, ec);
  return 0;
}
