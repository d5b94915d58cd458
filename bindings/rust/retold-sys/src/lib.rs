//! Raw declarations of retold's C ABI: `include/retold/retold.h`, shared library
//! `libretold_c.so.1`, one Rust item per C declaration, same names, same layout.
//!
//! Use the safe `retold` crate instead unless you need the C calls themselves. Everything the
//! header says about ownership, lifetime and thread safety holds here unchanged; in short:
//!
//! - every function that can fail returns a status (`RETOLD_OK` or a pinned negative
//!   `RETOLD_E*` code) and leaves a message in a per-thread buffer, [`retold_last_error`], valid
//!   until the next failing call **on the same thread**;
//! - handles ([`retold_dedup`], [`retold_signature`]) are opaque, created by `*_new` / `*_load` /
//!   `*_deserialize` and released by their `*_free` (NULL is fine), which must not race any
//!   other call on the same handle;
//! - a `retold_dedup` may be used from any number of threads at once (the library locks);
//!   a `retold_signature` is immutable; list structs are plain data owned by one caller and
//!   released with their `*_dispose`;
//! - every struct but `retold_scores` starts with `struct_size`, which the caller sets to
//!   `size_of::<T>()` (for lists also `item_size` etc.: the stride the library lays items out at);
//!   initialize options with [`retold_dedup_options_init`] / [`retold_query_options_init`], which
//!   write the library's real defaults.
//!
//! `tests/header.rs` parses `retold.h` and checks every function (name, parameter and return
//! types), every struct (field names and types, and the size and offsets a C compiler gives)
//! and every constant against this file.
#![allow(non_camel_case_types)]

// std::os::raw, not core::ffi: the core::ffi C types need rustc 1.64, Debian 12 has 1.63.
use std::marker::{PhantomData, PhantomPinned};
use std::os::raw::{c_char, c_int, c_void};

// ------------------------------------------------------------------------------------------
// Status codes (retold_status). Pinned: never renumbered.

/// `retold_status`: the type of the `RETOLD_OK` / `RETOLD_E*` values (a C enum, so `int`).
pub type retold_status = c_int;
pub const RETOLD_OK: retold_status = 0;
pub const RETOLD_EINVALID: retold_status = -1;
pub const RETOLD_EUTF8: retold_status = -2;
pub const RETOLD_ENOTFOUND: retold_status = -3;
pub const RETOLD_EINCOMPATIBLE: retold_status = -4;
pub const RETOLD_EIO: retold_status = -5;
pub const RETOLD_ECORRUPTED: retold_status = -6;
pub const RETOLD_ENOMEM: retold_status = -7;
pub const RETOLD_ETOOLARGE: retold_status = -8;
pub const RETOLD_EDUPLICATE: retold_status = -9;
pub const RETOLD_EPARSE: retold_status = -10;
pub const RETOLD_ECONFLICT: retold_status = -11;
pub const RETOLD_EBUFSIZE: retold_status = -30;
pub const RETOLD_EINTERNAL: retold_status = -99;

// ------------------------------------------------------------------------------------------
// Enums (C enums; the structs carry them as uint32_t / int32_t). Pinned values.

pub type retold_embedding_mode = c_int;
pub const RETOLD_EMBEDDING_BUILTIN: retold_embedding_mode = 0;
pub const RETOLD_EMBEDDING_EXTERNAL: retold_embedding_mode = 1;
pub const RETOLD_EMBEDDING_NONE: retold_embedding_mode = 2;

pub type retold_shingle_kind = c_int;
pub const RETOLD_SHINGLE_WORD: retold_shingle_kind = 0;
pub const RETOLD_SHINGLE_CHARACTER: retold_shingle_kind = 1;

pub type retold_minhash_scheme = c_int;
pub const RETOLD_MINHASH_ONE_PERMUTATION: retold_minhash_scheme = 1;
pub const RETOLD_MINHASH_MULTIPLY_SHIFT: retold_minhash_scheme = 2;

pub type retold_vector_index_kind = c_int;
pub const RETOLD_VECTOR_INDEX_AUTOMATIC: retold_vector_index_kind = 0;
pub const RETOLD_VECTOR_INDEX_FLAT: retold_vector_index_kind = 1;
pub const RETOLD_VECTOR_INDEX_IVF: retold_vector_index_kind = 2;

pub type retold_match_decision = c_int;
pub const RETOLD_MATCH_AUTOMATIC: retold_match_decision = 0;
pub const RETOLD_MATCH_MODEL: retold_match_decision = 1;
pub const RETOLD_MATCH_RULE: retold_match_decision = 2;

pub type retold_decision = c_int;
pub const RETOLD_DECISION_REJECTED: retold_decision = 0;
pub const RETOLD_DECISION_JACCARD: retold_decision = 1;
pub const RETOLD_DECISION_COSINE: retold_decision = 2;
pub const RETOLD_DECISION_COMBINED: retold_decision = 3;
pub const RETOLD_DECISION_MODEL: retold_decision = 4;

// ------------------------------------------------------------------------------------------
// #defines: the ABI generation and the runtime-option bits of retold_dedup_load

/// The ABI generation of this header: the SOVERSION of libretold_c (libretold_c.so.1).
pub const RETOLD_C_ABI_VERSION: u32 = 1;

pub const RETOLD_OPTION_VECTOR_CANDIDATES: u64 = 1 << 0;
pub const RETOLD_OPTION_DECISION: u64 = 1 << 1;
pub const RETOLD_OPTION_THREADS: u64 = 1 << 2;
pub const RETOLD_OPTION_MATCH_THRESHOLD: u64 = 1 << 3;
pub const RETOLD_OPTION_JACCARD_THRESHOLD: u64 = 1 << 4;
pub const RETOLD_OPTION_COSINE_THRESHOLD: u64 = 1 << 5;
pub const RETOLD_OPTION_COMBINED_WEIGHT_JACCARD: u64 = 1 << 6;
pub const RETOLD_OPTION_COMBINED_THRESHOLD: u64 = 1 << 7;
pub const RETOLD_OPTION_COPY_JACCARD: u64 = 1 << 8;
pub const RETOLD_OPTION_TIME_WINDOW_SECONDS: u64 = 1 << 9;
pub const RETOLD_OPTION_MAX_DOCUMENT_BYTES: u64 = 1 << 10;
/// source_priority and its count.
pub const RETOLD_OPTION_SOURCE_PRIORITY: u64 = 1 << 11;
pub const RETOLD_OPTION_RETENTION_SECONDS: u64 = 1 << 12;
pub const RETOLD_OPTION_SNIPPET_BYTES: u64 = 1 << 13;
/// The four thresholds of the rule.
pub const RETOLD_OPTION_SCORING: u64 = RETOLD_OPTION_JACCARD_THRESHOLD
    | RETOLD_OPTION_COSINE_THRESHOLD
    | RETOLD_OPTION_COMBINED_WEIGHT_JACCARD
    | RETOLD_OPTION_COMBINED_THRESHOLD;
/// What retold_dedup_options_apply_preset() sets.
pub const RETOLD_OPTION_MATCH: u64 =
    RETOLD_OPTION_DECISION | RETOLD_OPTION_MATCH_THRESHOLD | RETOLD_OPTION_SCORING | RETOLD_OPTION_COPY_JACCARD;
/// Every runtime field this header knows.
pub const RETOLD_OPTION_ALL_RUNTIME: u64 = 0x3FFF;

// ------------------------------------------------------------------------------------------
// Structs. Every one but retold_scores starts with `struct_size`, which the caller sets to the
// size of the struct as declared here (`size_of::<T>() as u32`). Borrowed pointers in inputs live
// for the call only; pointers in outputs are owned by the list that holds them (see *_dispose).

/// Configuration of a deduplicator: every field of `retold::deduplicator_options`, flattened.
/// Initialize with [`retold_dedup_options_init`] (the library's real defaults), then change what
/// you need. Fields marked S in retold.h are structural (fixed when a state is created). The
/// struct and the strings it points to are borrowed for the duration of a call.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_dedup_options {
    pub struct_size: u32,
    pub casefold: u32,
    pub fold_punctuation: u32,
    pub strip_boilerplate: u32,
    pub replace_invalid_utf8: u32,
    pub keep_text: u32,
    pub shingle_kind: u32,
    pub shingle_size: u32,
    pub num_hashes: u32,
    pub minhash_scheme: u32,
    pub minhash_seed: u64,
    pub lsh_bands: u32,
    pub lsh_rows: u32,
    pub lsh_threshold: f64,
    pub embedding_mode: u32,
    pub external_dimension: u32,
    pub embedder_dimension: u32,
    pub embedder_word_ngram_max: u32,
    pub embedder_char_ngram_min: u32,
    pub embedder_char_ngram_max: u32,
    pub embedder_sublinear_tf: u32,
    pub embedder_df_buckets_log2: u32,
    pub embedder_word_weight: f64,
    pub embedder_number_weight: f64,
    pub embedder_char_weight: f64,
    pub embedder_word_ngram_weight: f64,
    pub embedder_seed: u64,
    pub vector_index_kind: u32,
    pub vector_index_nlist: u32,
    pub vector_index_nprobe: u32,
    pub vector_index_scalar_quantization: u32,
    pub vector_index_ivf_min_size: u64,
    pub vector_index_seed: u64,
    pub sketch_words: u32,
    pub sketch_bigrams: u32,
    pub sketch_numbers: u32,
    pub sketch_names: u32,
    pub sketch_title_words: u32,
    pub sketch_trigrams: u32,
    pub sketch_seed: u64,
    pub vector_candidates: u64,
    pub decision: u32,
    pub threads: u32,
    pub match_threshold: f64,
    pub jaccard_threshold: f64,
    pub cosine_threshold: f64,
    pub combined_weight_jaccard: f64,
    pub combined_threshold: f64,
    pub copy_jaccard: f64,
    pub time_window_seconds: i64,
    pub max_document_bytes: u64,
    pub source_priority_count: u64,
    pub source_priority: *const *const c_char,
    pub retention_seconds: i64,
    pub snippet_bytes: u32,
}

/// One incoming report (`struct_size` = its size); every pointer is borrowed for the call.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_document {
    pub struct_size: u32,
    pub vector_dim: u32,
    pub id: *const c_char,
    pub text: *const c_char,
    pub text_len: u64,
    pub title: *const c_char,
    pub title_len: u64,
    pub source: *const c_char,
    pub timestamp: i64,
    pub vector: *const f32,
}

/// The scores of one pair of documents. Plain data, frozen (no struct_size).
#[repr(C)]
#[derive(Debug, Copy, Clone, Default, PartialEq)]
pub struct retold_scores {
    pub jaccard: f64,
    pub cosine: f64,
    pub score: f64,
    pub has_cosine: i32,
    pub decision: i32,
}

/// What adding one document did; the caller sets `struct_size`. `leader_id` and `error` are owned
/// by the library, per thread, valid until this thread's next add / add_batch call.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_add_result {
    pub struct_size: u32,
    pub status: i32,
    pub new_story: i32,
    pub has_leader: i32,
    pub cluster_id: u64,
    pub candidates: u64,
    pub leader_scores: retold_scores,
    pub leader_id: *const c_char,
    pub error: *const c_char,
}

/// Query parameters (initialize with [`retold_query_options_init`]); borrowed for the call.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_query_options {
    pub struct_size: u32,
    pub top_k: u32,
    pub include_rejected: u32,
    pub has_timestamp: u32,
    pub timestamp: i64,
    pub min_score: f64,
}

/// One stored document similar to a query; `id` is owned by the list.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_match {
    pub struct_size: u32,
    pub id: *const c_char,
    pub cluster_id: u64,
    pub scores: retold_scores,
}

/// Query results: the caller owns the struct and sets `struct_size` and `item_size`; the library
/// owns `items` (item_size bytes apart) until [`retold_match_list_dispose`].
#[repr(C)]
#[derive(Debug)]
pub struct retold_match_list {
    pub struct_size: u32,
    pub item_size: u32,
    pub items: *mut retold_match,
    pub count: u64,
    pub internal_: *mut c_void,
}

/// A member of a story; pointers owned by the list.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_cluster_member {
    pub struct_size: u32,
    pub id: *const c_char,
    pub source: *const c_char,
    pub timestamp: i64,
    pub scores: retold_scores,
    pub title: *const c_char,
    pub snippet: *const c_char,
}

/// One story; pointers owned by the list; `members` are the list's member_size apart.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_cluster {
    pub struct_size: u32,
    pub id: u64,
    pub representative: *const c_char,
    pub leader: *const c_char,
    pub members: *const retold_cluster_member,
    pub member_count: u64,
}

/// Stories; ownership as [`retold_match_list`] (the caller sets the three sizes), released by
/// [`retold_cluster_list_dispose`].
#[repr(C)]
#[derive(Debug)]
pub struct retold_cluster_list {
    pub struct_size: u32,
    pub item_size: u32,
    pub member_size: u32,
    pub items: *mut retold_cluster,
    pub count: u64,
    pub internal_: *mut c_void,
}

/// One feature of an explanation's evidence; `name` is static.
#[repr(C)]
#[derive(Debug, Copy, Clone)]
pub struct retold_feature {
    pub struct_size: u32,
    pub name: *const c_char,
    pub value: f64,
    pub contribution: f64,
}

/// Why two stored documents match or not (the caller sets `struct_size` and `feature_size`);
/// released by [`retold_explanation_dispose`].
#[repr(C)]
#[derive(Debug)]
pub struct retold_explanation {
    pub struct_size: u32,
    pub feature_size: u32,
    pub scores: retold_scores,
    pub probability: f64,
    pub features: *const retold_feature,
    pub feature_count: u64,
    pub shared_terms: *const *const c_char,
    pub shared_term_count: u64,
    pub shared_passage: *const c_char,
    pub internal_: *mut c_void,
}

/// Counters and per-stage timings; the caller sets `struct_size`.
#[repr(C)]
#[derive(Debug, Copy, Clone, Default)]
pub struct retold_stats {
    pub struct_size: u32,
    pub documents: u64,
    pub clusters: u64,
    pub multi_member_clusters: u64,
    pub documents_added_total: u64,
    pub documents_removed_total: u64,
    pub memory_bytes: u64,
    pub frequency_documents: u64,
    pub add_features_seconds: f64,
    pub add_embed_seconds: f64,
    pub add_candidates_seconds: f64,
    pub add_verify_cluster_seconds: f64,
    pub add_index_add_seconds: f64,
}

/// Opaque deduplicator handle (never constructed in Rust; only pointed to).
#[repr(C)]
pub struct retold_dedup {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Opaque, immutable MinHash signature handle.
#[repr(C)]
pub struct retold_signature {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Opaque, immutable prepared document: one document's features with the configuration
/// fingerprint that made them (`retold_dedup_prepare`).
#[repr(C)]
pub struct retold_prepared {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

// ------------------------------------------------------------------------------------------
// Functions. Not `unsafe extern` (edition 2024 syntax) so that rustc 1.63 builds this too.

extern "C" {
    pub fn retold_version() -> u32;
    pub fn retold_version_string() -> *const c_char;
    pub fn retold_abi_version() -> u32;
    pub fn retold_last_error() -> *const c_char;
    pub fn retold_last_error_code() -> c_int;
    pub fn retold_error_clear();
    pub fn retold_error_name(code: c_int) -> *const c_char;

    pub fn retold_dedup_options_init(opts: *mut retold_dedup_options, struct_size: u32) -> c_int;
    pub fn retold_dedup_options_apply_preset(opts: *mut retold_dedup_options, name: *const c_char) -> c_int;
    pub fn retold_query_options_init(opts: *mut retold_query_options, struct_size: u32) -> c_int;

    pub fn retold_match_list_dispose(list: *mut retold_match_list);
    pub fn retold_cluster_list_dispose(list: *mut retold_cluster_list);
    pub fn retold_explanation_dispose(e: *mut retold_explanation);

    pub fn retold_dedup_new(out: *mut *mut retold_dedup, opts: *const retold_dedup_options) -> c_int;
    pub fn retold_dedup_free(dedup: *mut retold_dedup);
    pub fn retold_dedup_add(
        dedup: *mut retold_dedup,
        doc: *const retold_document,
        result: *mut retold_add_result,
    ) -> c_int;
    pub fn retold_dedup_add_batch(
        dedup: *mut retold_dedup,
        docs: *const retold_document,
        count: u64,
        results: *mut retold_add_result,
        out_added: *mut u64,
    ) -> c_int;
    pub fn retold_dedup_query(
        dedup: *const retold_dedup,
        text: *const c_char,
        text_len: u64,
        opts: *const retold_query_options,
        out: *mut retold_match_list,
    ) -> c_int;
    pub fn retold_dedup_query_vector(
        dedup: *const retold_dedup,
        vector: *const f32,
        dim: u32,
        opts: *const retold_query_options,
        out: *mut retold_match_list,
    ) -> c_int;
    pub fn retold_dedup_remove(dedup: *mut retold_dedup, id: *const c_char) -> c_int;
    pub fn retold_dedup_evict_before(dedup: *mut retold_dedup, cutoff: i64, out_removed: *mut u64) -> c_int;
    pub fn retold_dedup_contains(dedup: *const retold_dedup, id: *const c_char, out: *mut i32) -> c_int;
    pub fn retold_dedup_cluster_of(dedup: *const retold_dedup, id: *const c_char, out_cluster_id: *mut u64) -> c_int;
    pub fn retold_dedup_representative_of(
        dedup: *const retold_dedup,
        id: *const c_char,
        buf: *mut c_char,
        capacity: u64,
        out_len: *mut u64,
    ) -> c_int;
    pub fn retold_dedup_cluster(dedup: *const retold_dedup, cluster_id: u64, out: *mut retold_cluster_list) -> c_int;
    pub fn retold_dedup_clusters(dedup: *const retold_dedup, min_members: u64, out: *mut retold_cluster_list) -> c_int;
    pub fn retold_dedup_explain(
        dedup: *const retold_dedup,
        id_a: *const c_char,
        id_b: *const c_char,
        out: *mut retold_explanation,
    ) -> c_int;
    pub fn retold_dedup_stats(dedup: *const retold_dedup, out: *mut retold_stats) -> c_int;
    pub fn retold_dedup_get_options(dedup: *const retold_dedup, out: *mut retold_dedup_options) -> c_int;
    pub fn retold_dedup_save(dedup: *const retold_dedup, dir: *const c_char) -> c_int;
    pub fn retold_dedup_save_replace(dedup: *const retold_dedup, dir: *const c_char) -> c_int;
    pub fn retold_dedup_load(
        out: *mut *mut retold_dedup,
        dir: *const c_char,
        overrides: *const retold_dedup_options,
        override_fields: u64,
    ) -> c_int;
    pub fn retold_dedup_compute_embedding(
        dedup: *const retold_dedup,
        text: *const c_char,
        text_len: u64,
        buf: *mut f32,
        capacity: u64,
        out_dim: *mut u64,
    ) -> c_int;

    pub fn retold_dedup_compute_signature(
        dedup: *const retold_dedup,
        text: *const c_char,
        text_len: u64,
        out: *mut *mut retold_signature,
    ) -> c_int;
    pub fn retold_signature_free(sig: *mut retold_signature);
    pub fn retold_signature_values(
        sig: *const retold_signature,
        buf: *mut u32,
        capacity: u64,
        out_count: *mut u64,
    ) -> c_int;
    pub fn retold_signature_serialize(
        sig: *const retold_signature,
        buf: *mut u8,
        capacity: u64,
        out_len: *mut u64,
    ) -> c_int;
    pub fn retold_signature_deserialize(out: *mut *mut retold_signature, bytes: *const u8, len: u64) -> c_int;
    pub fn retold_signature_jaccard(a: *const retold_signature, b: *const retold_signature, out: *mut f64) -> c_int;

    // Prepared documents (features computed in one place, added in another): the safe crate's
    // `Prepared` and `Deduplicator::prepare` / `add_prepared_batch`.
    pub fn retold_dedup_prepare(
        out: *mut *mut retold_prepared,
        dedup: *const retold_dedup,
        doc: *const retold_document,
    ) -> c_int;
    pub fn retold_prepared_free(prepared: *mut retold_prepared);
    pub fn retold_prepared_serialize(
        prepared: *const retold_prepared,
        buf: *mut u8,
        capacity: u64,
        out_len: *mut u64,
    ) -> c_int;
    pub fn retold_prepared_deserialize(out: *mut *mut retold_prepared, bytes: *const u8, len: u64) -> c_int;
    pub fn retold_prepared_band_keys(
        prepared: *const retold_prepared,
        buf: *mut u32,
        capacity: u64,
        out_count: *mut u64,
    ) -> c_int;
    pub fn retold_dedup_add_prepared_batch(
        dedup: *mut retold_dedup,
        docs: *const *const retold_prepared,
        count: u64,
        results: *mut retold_add_result,
        out_added: *mut u64,
    ) -> c_int;
}
