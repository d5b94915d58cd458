'use strict';
// koffi declarations of the C ABI (include/retold/retold.h) and the shared library loader.
//
// Every struct mirrors its C declaration field by field, in order; every function is declared
// with its C prototype. Internal: use the classes exported by index.js.
//
// Thread safety: this module is loaded once per JavaScript isolate (the main thread and each
// worker_threads Worker get their own copy); koffi types are per isolate, the library is
// dlopen()ed once per process.

const fs = require('node:fs');
const path = require('node:path');
const koffi = require('koffi');

/** The shared library's file name with its SOVERSION: the binding speaks ABI 1 (retold.h 1.0). */
const SONAME = 'libretold_c.so.1';
const ABI_VERSION = 1;

/** Status codes (pinned in retold.h: never renumbered). */
const Status = Object.freeze({
  OK: 0,
  EINVALID: -1,
  EUTF8: -2,
  ENOTFOUND: -3,
  EINCOMPATIBLE: -4,
  EIO: -5,
  ECORRUPTED: -6,
  ENOMEM: -7,
  ETOOLARGE: -8,
  EDUPLICATE: -9,
  EPARSE: -10,
  ECONFLICT: -11,
  EBUFSIZE: -30,
  EINTERNAL: -99,
});

// Pinned enum values of retold.h.
const EMBEDDING = Object.freeze({ builtin: 0, external: 1, none: 2 });
const SHINGLE = Object.freeze({ word: 0, character: 1 });
const MINHASH_SCHEME = Object.freeze({ one_permutation: 1, multiply_shift: 2 });
const VECTOR_INDEX = Object.freeze({ automatic: 0, flat: 1, ivf: 2 });
const MATCH_DECISION = Object.freeze({ automatic: 0, model: 1, rule: 2 });
const DECISIONS = Object.freeze(['rejected', 'jaccard', 'cosine', 'combined', 'model']);

/** RETOLD_OPTION_* bits: the runtime fields retold_dedup_load() takes from its overrides. */
const OPTION_BITS = Object.freeze({
  vector_candidates: 1n << 0n,
  decision: 1n << 1n,
  threads: 1n << 2n,
  match_threshold: 1n << 3n,
  jaccard_threshold: 1n << 4n,
  cosine_threshold: 1n << 5n,
  combined_weight_jaccard: 1n << 6n,
  combined_threshold: 1n << 7n,
  copy_jaccard: 1n << 8n,
  time_window_seconds: 1n << 9n,
  max_document_bytes: 1n << 10n,
  source_priority: 1n << 11n, // with source_priority_count
  retention_seconds: 1n << 12n,
  snippet_bytes: 1n << 13n,
});

// ------------------------------------------------------------------------------ types
// Field by field as retold.h 1.0 declares them (tests/abi.test.js compares them with the header).

const DedupOptions = koffi.struct('retold_dedup_options', {
  struct_size: 'uint32_t',
  casefold: 'uint32_t',
  fold_punctuation: 'uint32_t',
  strip_boilerplate: 'uint32_t',
  replace_invalid_utf8: 'uint32_t',
  keep_text: 'uint32_t',
  shingle_kind: 'uint32_t',
  shingle_size: 'uint32_t',
  num_hashes: 'uint32_t',
  minhash_scheme: 'uint32_t',
  minhash_seed: 'uint64_t',
  lsh_bands: 'uint32_t',
  lsh_rows: 'uint32_t',
  lsh_threshold: 'double',
  embedding_mode: 'uint32_t',
  external_dimension: 'uint32_t',
  embedder_dimension: 'uint32_t',
  embedder_word_ngram_max: 'uint32_t',
  embedder_char_ngram_min: 'uint32_t',
  embedder_char_ngram_max: 'uint32_t',
  embedder_sublinear_tf: 'uint32_t',
  embedder_df_buckets_log2: 'uint32_t',
  embedder_word_weight: 'double',
  embedder_number_weight: 'double',
  embedder_char_weight: 'double',
  embedder_word_ngram_weight: 'double',
  embedder_seed: 'uint64_t',
  vector_index_kind: 'uint32_t',
  vector_index_nlist: 'uint32_t',
  vector_index_nprobe: 'uint32_t',
  vector_index_scalar_quantization: 'uint32_t',
  vector_index_ivf_min_size: 'uint64_t',
  vector_index_seed: 'uint64_t',
  sketch_words: 'uint32_t',
  sketch_bigrams: 'uint32_t',
  sketch_numbers: 'uint32_t',
  sketch_names: 'uint32_t',
  sketch_title_words: 'uint32_t',
  sketch_trigrams: 'uint32_t',
  sketch_seed: 'uint64_t',
  vector_candidates: 'uint64_t',
  decision: 'uint32_t',
  threads: 'uint32_t',
  match_threshold: 'double',
  jaccard_threshold: 'double',
  cosine_threshold: 'double',
  combined_weight_jaccard: 'double',
  combined_threshold: 'double',
  copy_jaccard: 'double',
  time_window_seconds: 'int64_t',
  max_document_bytes: 'uint64_t',
  source_priority_count: 'uint64_t',
  source_priority: 'const char **', // written from a JS array of strings; read back as an address
  retention_seconds: 'int64_t',
  snippet_bytes: 'uint32_t',
});

// Texts are declared as byte pointers so that Buffers pass by address, without a copy.
const Document = koffi.struct('retold_document', {
  struct_size: 'uint32_t',
  vector_dim: 'uint32_t',
  id: 'const char *',
  text: 'const uint8_t *',
  text_len: 'uint64_t',
  title: 'const uint8_t *',
  title_len: 'uint64_t',
  source: 'const char *',
  timestamp: 'int64_t',
  vector: 'const float *',
});

const Scores = koffi.struct('retold_scores', {
  jaccard: 'double',
  cosine: 'double',
  score: 'double',
  has_cosine: 'int32_t',
  decision: 'int32_t',
});

const AddResult = koffi.struct('retold_add_result', {
  struct_size: 'uint32_t',
  status: 'int32_t',
  new_story: 'int32_t',
  has_leader: 'int32_t',
  cluster_id: 'uint64_t',
  candidates: 'uint64_t',
  leader_scores: Scores,
  leader_id: 'const char *',
  error: 'const char *',
});

const QueryOptions = koffi.struct('retold_query_options', {
  struct_size: 'uint32_t',
  top_k: 'uint32_t',
  include_rejected: 'uint32_t',
  has_timestamp: 'uint32_t',
  timestamp: 'int64_t',
  min_score: 'double',
});

const Match = koffi.struct('retold_match', {
  struct_size: 'uint32_t',
  id: 'const char *',
  cluster_id: 'uint64_t',
  scores: Scores,
});

const MatchList = koffi.struct('retold_match_list', {
  struct_size: 'uint32_t',
  item_size: 'uint32_t',
  items: 'void *',
  count: 'uint64_t',
  internal_: 'void *',
});

const ClusterMember = koffi.struct('retold_cluster_member', {
  struct_size: 'uint32_t',
  id: 'const char *',
  source: 'const char *',
  timestamp: 'int64_t',
  scores: Scores,
  title: 'const char *',
  snippet: 'const char *',
});

const Cluster = koffi.struct('retold_cluster', {
  struct_size: 'uint32_t',
  id: 'uint64_t',
  representative: 'const char *',
  leader: 'const char *',
  members: 'void *',
  member_count: 'uint64_t',
});

const ClusterList = koffi.struct('retold_cluster_list', {
  struct_size: 'uint32_t',
  item_size: 'uint32_t',
  member_size: 'uint32_t',
  items: 'void *',
  count: 'uint64_t',
  internal_: 'void *',
});

const Feature = koffi.struct('retold_feature', {
  struct_size: 'uint32_t',
  name: 'const char *',
  value: 'double',
  contribution: 'double',
});

const Explanation = koffi.struct('retold_explanation', {
  struct_size: 'uint32_t',
  feature_size: 'uint32_t',
  scores: Scores,
  probability: 'double',
  features: 'void *',
  feature_count: 'uint64_t',
  shared_terms: 'void *',
  shared_term_count: 'uint64_t',
  shared_passage: 'const char *',
  internal_: 'void *',
});

const Stats = koffi.struct('retold_stats', {
  struct_size: 'uint32_t',
  documents: 'uint64_t',
  clusters: 'uint64_t',
  multi_member_clusters: 'uint64_t',
  documents_added_total: 'uint64_t',
  documents_removed_total: 'uint64_t',
  memory_bytes: 'uint64_t',
  frequency_documents: 'uint64_t',
  add_features_seconds: 'double',
  add_embed_seconds: 'double',
  add_candidates_seconds: 'double',
  add_verify_cluster_seconds: 'double',
  add_index_add_seconds: 'double',
});

// Opaque handles. koffi 3 represents pointers as BigInt addresses; the classes in index.js
// never hand them out, so a signature cannot reach a function that wants a deduplicator.
koffi.opaque('retold_dedup');
koffi.opaque('retold_signature');
koffi.opaque('retold_prepared');

/** struct_size values: this binding's sizeof of each struct (what the C *_INIT macros set). */
const SIZES = Object.freeze({
  options: DedupOptions.size,
  document: Document.size,
  addResult: AddResult.size,
  query: QueryOptions.size,
  match: Match.size,
  matchList: MatchList.size,
  member: ClusterMember.size,
  cluster: Cluster.size,
  clusterList: ClusterList.size,
  feature: Feature.size,
  explanation: Explanation.size,
  stats: Stats.size,
});

// ------------------------------------------------------------------------------ functions

const PROTOTYPES = [
  'uint32_t retold_version(void)',
  'const char *retold_version_string(void)',
  'uint32_t retold_abi_version(void)',
  'const char *retold_last_error(void)',
  'int retold_last_error_code(void)',
  'void retold_error_clear(void)',
  'const char *retold_error_name(int code)',
  'int retold_dedup_options_init(_Inout_ retold_dedup_options *opts, uint32_t struct_size)',
  'int retold_dedup_options_apply_preset(_Inout_ retold_dedup_options *opts, const char *name)',
  'int retold_query_options_init(_Inout_ retold_query_options *opts, uint32_t struct_size)',
  'void retold_match_list_dispose(retold_match_list *list)',
  'void retold_cluster_list_dispose(retold_cluster_list *list)',
  'void retold_explanation_dispose(retold_explanation *e)',
  'int retold_dedup_new(_Out_ retold_dedup **out, const retold_dedup_options *opts)',
  'void retold_dedup_free(retold_dedup *dedup)',
  'int retold_dedup_add(retold_dedup *dedup, const retold_document *doc, _Inout_ retold_add_result *result)',
  'int retold_dedup_add_batch(retold_dedup *dedup, const retold_document *docs, uint64_t count, _Inout_ retold_add_result *results, _Out_ uint64_t *out_added)',
  'int retold_dedup_query(const retold_dedup *dedup, const uint8_t *text, uint64_t text_len, const retold_query_options *opts, _Inout_ retold_match_list *out)',
  'int retold_dedup_query_vector(const retold_dedup *dedup, const float *vector, uint32_t dim, const retold_query_options *opts, _Inout_ retold_match_list *out)',
  'int retold_dedup_remove(retold_dedup *dedup, const char *id)',
  'int retold_dedup_evict_before(retold_dedup *dedup, int64_t cutoff, _Out_ uint64_t *out_removed)',
  'int retold_dedup_contains(const retold_dedup *dedup, const char *id, _Out_ int32_t *out)',
  'int retold_dedup_cluster_of(const retold_dedup *dedup, const char *id, _Out_ uint64_t *out_cluster_id)',
  'int retold_dedup_representative_of(const retold_dedup *dedup, const char *id, uint8_t *buf, uint64_t capacity, _Out_ uint64_t *out_len)',
  'int retold_dedup_cluster(const retold_dedup *dedup, uint64_t cluster_id, _Inout_ retold_cluster_list *out)',
  'int retold_dedup_clusters(const retold_dedup *dedup, uint64_t min_members, _Inout_ retold_cluster_list *out)',
  'int retold_dedup_explain(const retold_dedup *dedup, const char *id_a, const char *id_b, _Inout_ retold_explanation *out)',
  'int retold_dedup_stats(const retold_dedup *dedup, _Inout_ retold_stats *out)',
  'int retold_dedup_get_options(const retold_dedup *dedup, _Inout_ retold_dedup_options *out)',
  'int retold_dedup_save(const retold_dedup *dedup, const char *dir)',
  'int retold_dedup_save_replace(const retold_dedup *dedup, const char *dir)',
  'int retold_dedup_load(_Out_ retold_dedup **out, const char *dir, const retold_dedup_options *overrides, uint64_t override_fields)',
  'int retold_dedup_compute_embedding(const retold_dedup *dedup, const uint8_t *text, uint64_t text_len, float *buf, uint64_t capacity, _Out_ uint64_t *out_dim)',
  'int retold_dedup_compute_signature(const retold_dedup *dedup, const uint8_t *text, uint64_t text_len, _Out_ retold_signature **out)',
  'void retold_signature_free(retold_signature *sig)',
  'int retold_signature_values(const retold_signature *sig, uint32_t *buf, uint64_t capacity, _Out_ uint64_t *out_count)',
  'int retold_signature_serialize(const retold_signature *sig, uint8_t *buf, uint64_t capacity, _Out_ uint64_t *out_len)',
  'int retold_signature_deserialize(_Out_ retold_signature **out, const uint8_t *bytes, uint64_t len)',
  'int retold_signature_jaccard(const retold_signature *a, const retold_signature *b, _Out_ double *out)',
  // Prepared documents (ABI 1.1): declared so the header check passes; this binding does not wrap them yet.
  'int retold_dedup_prepare(_Out_ retold_prepared **out, const retold_dedup *dedup, const retold_document *doc)',
  'void retold_prepared_free(retold_prepared *prepared)',
  'int retold_prepared_serialize(const retold_prepared *prepared, uint8_t *buf, uint64_t capacity, _Out_ uint64_t *out_len)',
  'int retold_prepared_deserialize(_Out_ retold_prepared **out, const uint8_t *bytes, uint64_t len)',
  'int retold_prepared_band_keys(const retold_prepared *prepared, uint32_t *buf, uint64_t capacity, _Out_ uint64_t *out_count)',
  'int retold_dedup_add_prepared_batch(retold_dedup *dedup, retold_prepared **docs, uint64_t count, _Inout_ retold_add_result *results, _Out_ uint64_t *out_added)',
];

/**
 * Decodes `count` consecutive values of `type` at address `ptr` into an array. One element at a
 * time: koffi.decode(ptr, type, count) creates (and keeps) a new array type per call, which
 * would grow memory with every call.
 */
function decodeArray(ptr, type, count) {
  const n = Number(count);
  const out = new Array(n);
  const size = typeof type === 'string' ? koffi.sizeof(type) : type.size;
  for (let i = 0; i < n; i++) out[i] = koffi.decode(ptr, i * size, type);
  return out;
}

// ------------------------------------------------------------------------------ loading

let configuredPath = null;
let loaded = null;

/**
 * Where the library is looked for, in order: the path given to setLibraryPath(), $RETOLD_LIB,
 * $RETOLD_LIBRARY (each alone when set), then the system's search path (ld.so.cache,
 * LD_LIBRARY_PATH) by SONAME.
 */
function candidates() {
  if (configuredPath) return [configuredPath];
  for (const name of ['RETOLD_LIB', 'RETOLD_LIBRARY']) {
    const v = process.env[name];
    if (v) {
      // a build directory is accepted as well as the file
      if (fs.existsSync(v) && fs.statSync(v).isDirectory()) return [path.join(v, SONAME)];
      return [v];
    }
  }
  return [SONAME];
}

/** Loads the library (once per isolate) and returns { lib, fn, path }. */
function native() {
  if (loaded) return loaded;
  const errors = [];
  for (const candidate of candidates()) {
    let lib;
    try {
      lib = koffi.load(candidate);
    } catch (e) {
      errors.push(`${candidate}: ${e.message}`);
      continue;
    }
    const fn = {};
    try {
      for (const proto of PROTOTYPES) {
        const f = lib.func(proto);
        fn[f.info.name] = f;
      }
    } catch (e) {
      errors.push(`${candidate}: not the retold C ABI this binding expects (${e.message})`);
      continue;
    }
    const abi = fn.retold_abi_version();
    if (abi !== ABI_VERSION) {
      errors.push(`${candidate}: C ABI ${abi}, this binding speaks ABI ${ABI_VERSION}`);
      continue;
    }
    loaded = { lib, fn, path: candidate };
    return loaded;
  }
  const err = new Error(
    'retold: cannot load the C library libretold_c. Set RETOLD_LIB to the path of ' +
      `${SONAME} (or to the CMake build directory holding it), call setLibraryPath(), or ` +
      `install libretold_c on the system library path. Tried:\n  ${errors.join('\n  ')}`,
  );
  err.code = 'RETOLD_ENOLIBRARY';
  throw err;
}

/**
 * Sets the path of libretold_c.so.1 (a file, or a build directory holding it) before the first
 * call that needs the library. Throws once the library is loaded from another path.
 */
function setLibraryPath(p) {
  if (typeof p !== 'string' || p === '') throw new TypeError('setLibraryPath() needs a non-empty path string');
  let file = p;
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) file = path.join(p, SONAME);
  file = path.resolve(file);
  if (loaded) {
    if (path.resolve(loaded.path) === file) return;
    throw new Error(`retold: the library is already loaded from ${loaded.path}; setLibraryPath() must come first`);
  }
  configuredPath = file;
}

/** The path the library was (or will be) loaded from, for worker threads to load the same. */
function libraryPath() {
  return native().path;
}

module.exports = {
  koffi,
  native,
  decodeArray,
  setLibraryPath,
  libraryPath,
  SONAME,
  ABI_VERSION,
  SIZES,
  OPTION_BITS,
  Status,
  EMBEDDING,
  SHINGLE,
  MINHASH_SCHEME,
  VECTOR_INDEX,
  MATCH_DECISION,
  DECISIONS,
  types: {
    DedupOptions, Document, Scores, AddResult, QueryOptions, Match, MatchList, ClusterMember,
    Cluster, ClusterList, Explanation, Feature, Stats,
  },
};
