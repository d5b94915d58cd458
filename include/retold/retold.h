/*
 * retold/retold.h - the stable C ABI of retold (shared library libretold_c.so.0).
 *
 * Pure C99, usable from C, C++, and any FFI (Python ctypes, Go cgo, Rust). It wraps
 * retold::deduplicator (retold/dedup.hpp): add news reports, find retellings of a text, and keep
 * them as stories (clusters) with stable ids.
 *
 * Conventions (libgit2's):
 *  - Every function that can fail returns an `int` status: RETOLD_OK (0) on success or one of the
 *    pinned negative RETOLD_E* codes below. After a failure, retold_last_error() gives a message
 *    naming what was wrong (the id, the file, the byte offset). No C++ exception ever crosses
 *    this boundary.
 *  - Handles are opaque and distinct: retold_dedup, retold_signature. They are created by
 *    `int retold_x_new(retold_x **out, ...)` (out first; *out is NULL on failure) and released by
 *    `retold_x_free()`, which accepts NULL.
 *  - Options structs start with `version`; initialize them with the *_INIT macro or *_init()
 *    before setting fields, so a program built against this header keeps working when fields are
 *    added to a later version.
 *  - Results come either in caller-allocated buffers (capacity in, count out; RETOLD_EBUFSIZE
 *    with the needed count when the buffer is too small) or in caller-owned list structs whose
 *    contents the library allocates and a *_dispose() function frees. Every pointer parameter
 *    states who owns it.
 *  - Texts are UTF-8 given as (pointer, byte length) and need not be NUL-terminated; ids, sources
 *    and paths are NUL-terminated UTF-8 strings. Invalid UTF-8 gives RETOLD_EUTF8.
 *  - Only fixed-width <stdint.h> integer types appear in the ABI (and `int` for the status).
 *
 * Example (error handling shortened):
 *
 *   retold_dedup_options opts = RETOLD_DEDUP_OPTIONS_INIT;
 *   const char *priority[] = {"Reuters", "AP"};
 *   retold_dedup *d = NULL;
 *   retold_document doc = RETOLD_DOCUMENT_INIT;
 *   retold_add_result r;
 *   retold_match_list m = {0, 0, 0};
 *   opts.source_priority = priority;
 *   opts.source_priority_count = 2;
 *   if (retold_dedup_new(&d, &opts) != RETOLD_OK) fprintf(stderr, "%s\n", retold_last_error());
 *   doc.id = "unn-1"; doc.text = body; doc.text_len = strlen(body);
 *   doc.source = "UNN"; doc.timestamp = 1709631600;
 *   if (retold_dedup_add(d, &doc, &r) == RETOLD_OK && !r.new_story) printf("story %llu\n",
 *       (unsigned long long)r.cluster_id);
 *   if (retold_dedup_query(d, text, strlen(text), NULL, &m) == RETOLD_OK)
 *     for (uint64_t i = 0; i < m.count; ++i) printf("%s %.2f\n", m.items[i].id, m.items[i].scores.score);
 *   retold_match_list_dispose(&m);
 *   retold_dedup_free(d);
 *
 * Thread safety: the library keeps no global mutable state, only per-thread messages (the last
 * error, the messages of a batch's skipped documents).
 * A retold_dedup may be used by any number of threads at once: functions documented "shared"
 * (queries, lookups, save, statistics) run concurrently with each other; functions documented
 * "exclusive" (add, add_batch, remove, evict) serialize with every other call on the same handle.
 * retold_dedup_free() must not race with any other call on that handle. A retold_signature is
 * immutable and may be shared freely; list structs are plain data owned by one caller.
 */
#ifndef RETOLD_RETOLD_H
#define RETOLD_RETOLD_H

#include <stdint.h>

#include <retold/version.h>

#if defined(_WIN32)
#if defined(RETOLD_C_BUILDING)
#define RETOLD_C_API __declspec(dllexport)
#else
#define RETOLD_C_API __declspec(dllimport)
#endif
#else
#define RETOLD_C_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Status codes. Pinned: never renumbered. -1 .. -29 and -99 are retold::errc (error.hpp) negated,
   one to one; -30 .. -98 are reserved for codes that exist only in the C ABI. */

typedef enum retold_status {
  RETOLD_OK = 0,
  RETOLD_EINVALID = -1,      /* an argument is NULL, empty, or out of range; misuse of the API */
  RETOLD_EUTF8 = -2,         /* a text or id is not valid UTF-8 (the message names the offset) */
  RETOLD_ENOTFOUND = -3,     /* an id, story or saved state that does not exist */
  RETOLD_EINCOMPATIBLE = -4, /* signature, vector or state made by another configuration */
  RETOLD_EIO = -5,           /* the operating system refused a read, write or rename */
  RETOLD_ECORRUPTED = -6,    /* a saved state or serialized signature failed its checks */
  RETOLD_ENOMEM = -7,        /* out of memory */
  RETOLD_ETOOLARGE = -8,     /* an input exceeds a configured limit (max_document_bytes) */
  RETOLD_EDUPLICATE = -9,    /* a document id that is already stored */
  RETOLD_EPARSE = -10,       /* a malformed input record */
  RETOLD_ECONFLICT = -11,    /* another writer saved the state directory since this handle loaded
                                or saved it (reload and re-add, or retold_dedup_save_replace) */
  RETOLD_EBUFSIZE = -30,     /* a caller buffer is too small; the needed count was written */
  RETOLD_EINTERNAL = -99     /* a bug in retold: please report it with the message */
} retold_status;

/* ------------------------------------------------------------------------------------------ */
/* Versions and errors */

/*
 * The version of the loaded library as RETOLD_VERSION_NUMBER: (major << 16) | (minor << 8) |
 * patch. Compare with the RETOLD_VERSION_NUMBER macro of the header you compiled against: they
 * differ when the shared library was upgraded underneath the program. Thread-safe.
 */
RETOLD_C_API uint32_t retold_version(void);

/* The library version as "major.minor.patch". Static string owned by the library. Thread-safe. */
RETOLD_C_API const char *retold_version_string(void);

/*
 * The message of the most recent failing call made BY THIS THREAD ("" when none failed yet).
 * Successful calls leave it unchanged. The string is owned by the library and stays valid until
 * the next failing retold_* call on this thread (copy it to keep it). Never NULL. Thread-safe
 * (one message per thread).
 */
RETOLD_C_API const char *retold_last_error(void);

/* The status code of the most recent failing call made by this thread (RETOLD_OK when none). */
RETOLD_C_API int retold_last_error_code(void);

/* Resets this thread's last error to RETOLD_OK and "". */
RETOLD_C_API void retold_error_clear(void);

/*
 * Short stable name of a status code ("ok", "invalid_utf8", "buffer_too_small", ...; "unknown"
 * for a value that is not a code). Static string owned by the library. Thread-safe.
 */
RETOLD_C_API const char *retold_error_name(int code);

/* ------------------------------------------------------------------------------------------ */
/* Options */

/* Where document embeddings come from (retold_dedup_options.embedding_mode). */
typedef enum retold_embedding_mode {
  RETOLD_EMBEDDING_BUILTIN = 0,  /* the built-in TF-IDF embedder (no model download) */
  RETOLD_EMBEDDING_EXTERNAL = 1, /* the caller passes a vector of embedding_dimension floats */
  RETOLD_EMBEDDING_NONE = 2      /* lexical (MinHash) matching only */
} retold_embedding_mode;

/* Shingle unit (retold_dedup_options.shingle_kind). */
typedef enum retold_shingle_kind {
  RETOLD_SHINGLE_WORD = 0,
  RETOLD_SHINGLE_CHARACTER = 1
} retold_shingle_kind;

/* MinHash hash family (retold_dedup_options.minhash_scheme); 0 selects the default. */
typedef enum retold_minhash_scheme {
  RETOLD_MINHASH_DEFAULT = 0,
  RETOLD_MINHASH_ONE_PERMUTATION = 1,
  RETOLD_MINHASH_MULTIPLY_SHIFT = 2
} retold_minhash_scheme;

/* Bits of retold_dedup_options.flags; 0 gives the defaults. */
typedef enum retold_dedup_flag {
  RETOLD_DEDUP_KEEP_TEXT = 1u << 0,            /* store normalized texts (for explain's terms) */
  RETOLD_DEDUP_KEEP_BOILERPLATE = 1u << 1,     /* do not strip agency credit lines and labels */
  RETOLD_DEDUP_KEEP_CASE = 1u << 2,            /* no Unicode case folding */
  RETOLD_DEDUP_REPLACE_INVALID_UTF8 = 1u << 3, /* replace bad bytes by U+FFFD instead of EUTF8 */
  RETOLD_DEDUP_SCALAR_QUANTIZATION = 1u << 4   /* IVF vector index stores 8-bit codes */
} retold_dedup_flag;

/* Structure of the vector index (retold_dedup_options.vector_index_kind). */
typedef enum retold_vector_index_kind {
  RETOLD_VECTOR_INDEX_AUTOMATIC = 0, /* exact (flat) until ivf_min_size vectors, then IVF */
  RETOLD_VECTOR_INDEX_FLAT = 1,      /* exact inner product over every vector */
  RETOLD_VECTOR_INDEX_IVF = 2        /* inverted file: approximate, for millions of vectors */
} retold_vector_index_kind;

/* Value of a double field of retold_dedup_options meaning "the library's (tuned) default". */
#define RETOLD_DEFAULT_VALUE (-1.0)

#define RETOLD_DEDUP_OPTIONS_VERSION 1

/*
 * Configuration of a deduplicator. Integer fields set to 0 and double fields set to
 * RETOLD_DEFAULT_VALUE take the library's defaults (retold/dedup.hpp documents them), so a
 * caller sets only what it wants to change. Structural fields (marked S) are fixed when a state
 * is created and saved with it; the others may change when a state is loaded.
 * The struct and the strings it points to are borrowed for the duration of the call only.
 */
typedef struct retold_dedup_options {
  uint32_t version;               /* RETOLD_DEDUP_OPTIONS_VERSION */
  uint32_t flags;                 /* S: retold_dedup_flag bits */
  uint32_t shingle_kind;          /* S: retold_shingle_kind (default word) */
  uint32_t shingle_size;          /* S: words (or code points) per shingle; 0 = default (5) */
  uint32_t num_hashes;            /* S: MinHash signature length 1..65536; 0 = default (128) */
  uint32_t minhash_scheme;        /* S: retold_minhash_scheme */
  uint64_t minhash_seed;          /* S: 0 = default seed */
  uint32_t lsh_bands;             /* S: LSH banding; 0 with lsh_rows 0 = tuned to lsh_threshold */
  uint32_t lsh_rows;              /* S */
  double lsh_threshold;           /* S: Jaccard the banding targets, in (0, 1) */
  uint32_t embedding_mode;        /* S: retold_embedding_mode */
  uint32_t embedding_dimension;   /* S: builtin: 0 = default (256); external: required (> 0) */
  uint64_t vector_candidates;     /* nearest neighbours examined per document; 0 = default (16) */
  uint64_t vector_index_ivf_min_size; /* S: AUTOMATIC switches to IVF at this size; 0 = default */
  uint32_t vector_index_kind;     /* S: retold_vector_index_kind */
  uint32_t vector_index_nlist;    /* S: IVF cells; 0 = about sqrt(n), retrained as n grows */
  uint32_t vector_index_nprobe;   /* S: IVF cells scanned per query; 0 = default (16) */
  double jaccard_threshold;       /* scoring rule (retold/verify.hpp), each in [0, 1] */
  double cosine_threshold;
  double combined_weight_jaccard;
  double combined_threshold;
  double copy_jaccard;            /* a document at least this close (estimated Jaccard) to any
                                     member joins that member's story even if the leader is
                                     further (copies of copies), in [0, 1] */
  int64_t time_window_seconds;    /* 0 = no window; else only documents this close can match */
  uint64_t max_document_bytes;    /* larger texts give RETOLD_ETOOLARGE; 0 = default (1 MiB) */
  uint32_t threads;               /* add_batch workers; 0 = one per hardware thread */
  uint32_t source_priority_count; /* number of entries in source_priority */
  const char *const *source_priority; /* representative policy: preferred outlets, best first;
                                         NULL when source_priority_count is 0 */
} retold_dedup_options;

#define RETOLD_DEDUP_OPTIONS_INIT                                                        \
  {                                                                                      \
    RETOLD_DEDUP_OPTIONS_VERSION, 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0u, RETOLD_DEFAULT_VALUE, \
        0u, 0u, 0u, 0u, 0u, 0u, 0u, RETOLD_DEFAULT_VALUE, RETOLD_DEFAULT_VALUE,          \
        RETOLD_DEFAULT_VALUE, RETOLD_DEFAULT_VALUE, RETOLD_DEFAULT_VALUE, 0, 0u, 0u, 0u, \
        0                                                                                \
  }

/*
 * Initializes `opts` exactly as RETOLD_DEDUP_OPTIONS_INIT for the given struct `version` (pass
 * RETOLD_DEDUP_OPTIONS_VERSION). RETOLD_EINVALID for a NULL `opts` or an unknown version.
 * Thread-safe (touches only `opts`).
 */
RETOLD_C_API int retold_dedup_options_init(retold_dedup_options *opts, uint32_t version);

/* ------------------------------------------------------------------------------------------ */
/* Documents and results */

#define RETOLD_DOCUMENT_VERSION 1

/*
 * One incoming report. Every pointer is borrowed for the duration of the call: the library
 * copies what it keeps before returning.
 */
typedef struct retold_document {
  uint32_t version;        /* RETOLD_DOCUMENT_VERSION */
  uint32_t vector_dim;     /* floats in `vector`; 0 when there is none */
  const char *id;          /* NUL-terminated UTF-8, unique, 1..1024 bytes (required) */
  const char *text;        /* UTF-8 body, text_len bytes, not necessarily NUL-terminated */
  uint64_t text_len;
  const char *title;       /* optional headline (title_len bytes) or NULL */
  uint64_t title_len;
  const char *source;      /* optional NUL-terminated outlet name or NULL */
  int64_t timestamp;       /* seconds since the Unix epoch, UTC */
  const float *vector;     /* optional caller embedding (required in EXTERNAL mode) or NULL */
} retold_document;

#define RETOLD_DOCUMENT_INIT {RETOLD_DOCUMENT_VERSION, 0u, 0, 0, 0u, 0, 0u, 0, 0, 0}

/* What accepted a pair. Pinned values. */
typedef enum retold_decision {
  RETOLD_DECISION_REJECTED = 0,
  RETOLD_DECISION_JACCARD = 1,  /* estimated Jaccard alone: a copy or a light edit */
  RETOLD_DECISION_COSINE = 2,   /* threshold rule: embedding cosine alone, a retelling */
  RETOLD_DECISION_COMBINED = 3, /* threshold rule: the weighted combination */
  RETOLD_DECISION_MODEL = 4     /* the learned match model's probability (score) reached its threshold */
} retold_decision;

/* The scores of one pair of documents. Plain data. */
typedef struct retold_scores {
  double jaccard;      /* MinHash estimate of the Jaccard similarity of the shingle sets */
  double cosine;       /* cosine of the embeddings (0 when has_cosine is 0) */
  double score;        /* max(jaccard, cosine, combined) in [0, 1]: the ranking number */
  int32_t has_cosine;  /* 1 when both documents had embeddings */
  int32_t decision;    /* retold_decision */
} retold_scores;

/* What adding one document did. Plain data, written by the library into caller memory. */
typedef struct retold_add_result {
  int32_t status;        /* add_batch: RETOLD_OK, or the code why this document was skipped */
  int32_t new_story;     /* 1 when the document opened a story, 0 when it joined one */
  uint64_t cluster_id;   /* the story it joined or opened (0 when skipped) */
  uint64_t candidates;   /* candidates examined (both indexes, after the time window) */
  int32_t has_leader;    /* 1 when it joined: leader_scores are its scores against the leader */
  int32_t reserved;      /* 0 */
  retold_scores leader_scores;
  const char *error;     /* add_batch, status != RETOLD_OK: why, naming the document; else NULL.
                            Owned by the library, per thread: valid until this thread's next
                            retold_dedup_add_batch() call (copy it to keep it). */
} retold_add_result;

#define RETOLD_QUERY_OPTIONS_VERSION 1

/* Query parameters. Borrowed for the duration of the call. */
typedef struct retold_query_options {
  uint32_t version;          /* RETOLD_QUERY_OPTIONS_VERSION */
  uint32_t top_k;            /* at most this many matches, best first (default 10) */
  uint32_t include_rejected; /* 1: also return candidates the scoring rule rejected */
  uint32_t has_timestamp;    /* 1: apply the configured time window around `timestamp` */
  int64_t timestamp;
  double min_score;          /* only matches with scores.score >= min_score (0: no floor); with
                                include_rejected, a caller's own threshold on the score */
} retold_query_options;

#define RETOLD_QUERY_OPTIONS_INIT {RETOLD_QUERY_OPTIONS_VERSION, 10u, 0u, 0u, 0, 0.0}

/* Initializes `opts` as RETOLD_QUERY_OPTIONS_INIT. RETOLD_EINVALID on NULL or unknown version.
   Thread-safe (touches only `opts`). */
RETOLD_C_API int retold_query_options_init(retold_query_options *opts, uint32_t version);

/* One stored document similar to a query. `id` is owned by the list that holds the match. */
typedef struct retold_match {
  const char *id;
  uint64_t cluster_id;
  retold_scores scores;
} retold_match;

/*
 * Query results. The caller owns the struct (e.g. on its stack); the library allocates
 * `items` and everything they point to, which stay valid until retold_match_list_dispose().
 * A zero-initialized list ({0}) is empty and may be disposed.
 */
typedef struct retold_match_list {
  retold_match *items;
  uint64_t count;
  void *internal_; /* library bookkeeping: do not touch */
} retold_match_list;

/* Frees what the library allocated in `list` and zeroes it. NULL and empty lists are fine.
   A list is not synchronized: dispose it in one thread once no thread reads it. */
RETOLD_C_API void retold_match_list_dispose(retold_match_list *list);

/* A member of a story, with its scores against the story's leader when it joined. */
typedef struct retold_cluster_member {
  const char *id;      /* owned by the list */
  const char *source;  /* owned by the list; "" when the document had none */
  int64_t timestamp;
  retold_scores scores;
} retold_cluster_member;

/* One story. Pointers are owned by the list that holds it. */
typedef struct retold_cluster {
  uint64_t id;                          /* stable story id (1, 2, ...; never reused) */
  const char *representative;           /* chosen by the representative policy */
  const char *leader;                   /* the first document; every member matched it */
  const retold_cluster_member *members; /* leader first, then in order of joining */
  uint64_t member_count;
} retold_cluster;

/* Stories; ownership as retold_match_list. */
typedef struct retold_cluster_list {
  retold_cluster *items;
  uint64_t count;
  void *internal_; /* library bookkeeping: do not touch */
} retold_cluster_list;

/* Frees what the library allocated in `list` and zeroes it. NULL and empty lists are fine.
   Same threading rule as retold_match_list_dispose(). */
RETOLD_C_API void retold_cluster_list_dispose(retold_cluster_list *list);

/* Why two stored documents match or not. Ownership as retold_match_list. */
typedef struct retold_explanation {
  retold_scores scores;
  const char *const *shared_terms; /* distinctive shared words (needs RETOLD_DEDUP_KEEP_TEXT) */
  uint64_t shared_term_count;
  const char *shared_passage;      /* longest shared run of words ("" without KEEP_TEXT) */
  void *internal_;                 /* library bookkeeping: do not touch */
} retold_explanation;

/* Frees what the library allocated in `e` and zeroes it. NULL is fine. Same threading rule as
   retold_match_list_dispose(). */
RETOLD_C_API void retold_explanation_dispose(retold_explanation *e);

/* One feature of the evidence behind a decision (include/retold/verify.hpp: match_feature): its
   stable name ("word_containment", ...; static storage), its value, and how far it moved the
   learned match model's log-odds. Plain data. */
typedef struct retold_feature {
  const char *name;
  double value;
  double contribution;
} retold_feature;

/* The evidence of an explanation filled by retold_dedup_explain(): writes up to `capacity`
   features into `out` (NULL with capacity 0 asks for the count), the number available into
   `*count`, and the match model's probability into `*probability` (either may be NULL).
   RETOLD_EBUFSIZE when capacity < *count (the first `capacity` are written);
   RETOLD_EINVALID for a NULL or disposed explanation. Reads `e` only: thread-safe with other
   readers of the same explanation. */
RETOLD_C_API int retold_explanation_features(const retold_explanation *e, retold_feature *out, uint64_t capacity,
                                             uint64_t *count, double *probability);

/* Counters for monitoring. Plain data. */
typedef struct retold_stats {
  uint64_t documents;                /* stored now */
  uint64_t clusters;                 /* live stories */
  uint64_t multi_member_clusters;    /* stories that found at least one retelling */
  uint64_t documents_added_total;    /* including removed and evicted ones */
  uint64_t documents_removed_total;
  uint64_t memory_bytes;             /* estimate of the state held in memory */
} retold_stats;

/* ------------------------------------------------------------------------------------------ */
/* The deduplicator */

/* Opaque handle. Create with retold_dedup_new() or retold_dedup_load(). */
typedef struct retold_dedup retold_dedup;

/*
 * Creates an empty deduplicator. `opts` may be NULL for all defaults. On success *out is a new
 * handle owned by the caller (release with retold_dedup_free()); on failure *out is NULL.
 * RETOLD_EINVALID names the offending option. Thread-safe (handles are independent).
 */
RETOLD_C_API int retold_dedup_new(retold_dedup **out, const retold_dedup_options *opts);

/* Releases a handle and everything it holds. NULL is a no-op. Must not race other calls on it. */
RETOLD_C_API void retold_dedup_free(retold_dedup *dedup);

/*
 * Adds one document, assigns it to a story and, when `result` is not NULL, writes what happened
 * into it (caller memory). Nothing is stored on failure: RETOLD_EINVALID (missing or too long
 * id), RETOLD_EUTF8, RETOLD_ETOOLARGE, RETOLD_EDUPLICATE, RETOLD_EINCOMPATIBLE (vector of the
 * wrong dimension, or none in EXTERNAL mode). Exclusive.
 */
RETOLD_C_API int retold_dedup_add(retold_dedup *dedup, const retold_document *doc,
                                  retold_add_result *result);

/*
 * Adds `count` documents in order, as if retold_dedup_add() were called on each, computing
 * their features on options.threads workers. A bad document does not stop the batch: its
 * results[i].status says why it was skipped. `results` is NULL or a caller array of `count`
 * entries. `out_added` (optional) receives how many were stored. Returns RETOLD_OK when the
 * batch ran (even if some documents were skipped), or an error when the arguments are wrong.
 * Exclusive (the feature computation runs outside the exclusive section).
 */
RETOLD_C_API int retold_dedup_add_batch(retold_dedup *dedup, const retold_document *docs,
                                        uint64_t count, retold_add_result *results,
                                        uint64_t *out_added);

/*
 * Stored documents most similar to `text` (nothing is stored). `opts` may be NULL (defaults).
 * `out` is a caller struct the library fills; release it with retold_match_list_dispose(),
 * also after a failure (it is then empty). Shared.
 */
RETOLD_C_API int retold_dedup_query(const retold_dedup *dedup, const char *text, uint64_t text_len,
                                    const retold_query_options *opts, retold_match_list *out);

/*
 * As retold_dedup_query() but by an embedding of `dim` floats (borrowed) and cosine only.
 * RETOLD_EINCOMPATIBLE when embeddings are disabled or `dim` differs from the configured one.
 * Shared.
 */
RETOLD_C_API int retold_dedup_query_vector(const retold_dedup *dedup, const float *vector,
                                           uint32_t dim, const retold_query_options *opts,
                                           retold_match_list *out);

/* Removes a stored document. RETOLD_ENOTFOUND when `id` is unknown. Exclusive. */
RETOLD_C_API int retold_dedup_remove(retold_dedup *dedup, const char *id);

/*
 * Removes every document with timestamp < cutoff (retention). `out_removed` (optional)
 * receives how many. Exclusive.
 */
RETOLD_C_API int retold_dedup_evict_before(retold_dedup *dedup, int64_t cutoff,
                                           uint64_t *out_removed);

/* *out = 1 when `id` is stored, else 0. Shared. */
RETOLD_C_API int retold_dedup_contains(const retold_dedup *dedup, const char *id, int32_t *out);

/* The story of a stored document. RETOLD_ENOTFOUND for an unknown id. Shared. */
RETOLD_C_API int retold_dedup_cluster_of(const retold_dedup *dedup, const char *id,
                                         uint64_t *out_cluster_id);

/*
 * The representative of the story of document `id`, copied NUL-terminated into the caller's
 * `buf` of `capacity` bytes. `out_len` (required) receives the length without the NUL; when
 * capacity <= that length, nothing is copied and RETOLD_EBUFSIZE is returned (allocate
 * *out_len + 1 bytes and call again; `buf` may be NULL with capacity 0 to ask for the length).
 * RETOLD_ENOTFOUND for an unknown id. Shared.
 */
RETOLD_C_API int retold_dedup_representative_of(const retold_dedup *dedup, const char *id,
                                                char *buf, uint64_t capacity, uint64_t *out_len);

/*
 * One story into `out` (count 1); release with retold_cluster_list_dispose().
 * RETOLD_ENOTFOUND for an unknown story id. Shared.
 */
RETOLD_C_API int retold_dedup_cluster(const retold_dedup *dedup, uint64_t cluster_id,
                                      retold_cluster_list *out);

/*
 * All stories with at least `min_members` members (0 or 1: all; 2: those that found a
 * retelling), by increasing id; release with retold_cluster_list_dispose(). Shared.
 */
RETOLD_C_API int retold_dedup_clusters(const retold_dedup *dedup, uint64_t min_members,
                                       retold_cluster_list *out);

/*
 * Scores of two stored documents; release with retold_explanation_dispose().
 * RETOLD_ENOTFOUND for an unknown id. Shared.
 */
RETOLD_C_API int retold_dedup_explain(const retold_dedup *dedup, const char *id_a,
                                      const char *id_b, retold_explanation *out);

/* Statistics into caller memory. Shared. */
RETOLD_C_API int retold_dedup_stats(const retold_dedup *dedup, retold_stats *out);

/*
 * The options in force, with every default resolved to its value (no 0 / RETOLD_DEFAULT_VALUE
 * placeholders, lsh_bands/lsh_rows as chosen). The caller sets out->version first (use
 * retold_dedup_options_init()). out->source_priority points into memory owned by `dedup`,
 * valid until it is freed. Shared.
 */
RETOLD_C_API int retold_dedup_get_options(const retold_dedup *dedup, retold_dedup_options *out);

/*
 * Writes the whole state into directory `dir` (created if missing) atomically: a crash leaves
 * either the previous state or the new one. RETOLD_EIO on failure. RETOLD_ECONFLICT, with nothing
 * written, when `dir` holds a state other than the one this handle loaded from it or last saved
 * there: another writer's newer generation, or (for a handle that never loaded `dir`) any saved
 * state, so two writers never silently drop each other's documents. Shared: queries go on while
 * saving; adds wait. Saves of one handle are serialized.
 */
RETOLD_C_API int retold_dedup_save(const retold_dedup *dedup, const char *dir);

/*
 * As retold_dedup_save(), but replaces whatever state `dir` holds (still atomically) instead of
 * refusing with RETOLD_ECONFLICT. Shared.
 */
RETOLD_C_API int retold_dedup_save_replace(const retold_dedup *dedup, const char *dir);

/*
 * Loads a state written by retold_dedup_save() into a new handle *out (caller-owned; NULL on
 * failure). `overrides` NULL keeps every saved option. Otherwise its runtime fields (scoring
 * thresholds, copy_jaccard, time window, source priority, max_document_bytes, threads,
 * vector_candidates)
 * replace the saved ones, with placeholders meaning the library defaults, NOT the saved values
 * (as in the C++ API: the overrides are taken as a whole);
 * its structural fields must be placeholders or equal the saved ones (RETOLD_EINCOMPATIBLE).
 * RETOLD_ENOTFOUND when `dir` holds no state, RETOLD_ECORRUPTED for a damaged one. Thread-safe.
 */
RETOLD_C_API int retold_dedup_load(retold_dedup **out, const char *dir,
                                   const retold_dedup_options *overrides);

/*
 * The embedding this deduplicator would give `text` (nothing stored), into the caller's `buf`
 * of `capacity` floats. `out_dim` (required) receives the dimension: 0 in NONE or EXTERNAL
 * mode. RETOLD_EBUFSIZE when capacity < *out_dim (buf may be NULL with capacity 0 to ask).
 * Shared.
 */
RETOLD_C_API int retold_dedup_compute_embedding(const retold_dedup *dedup, const char *text,
                                                uint64_t text_len, float *buf, uint64_t capacity,
                                                uint64_t *out_dim);

/* ------------------------------------------------------------------------------------------ */
/* MinHash signatures */

/* Opaque, immutable handle: a signature with the configuration that made it. */
typedef struct retold_signature retold_signature;

/*
 * The MinHash signature this deduplicator would give `text` (nothing stored). *out is a new
 * caller-owned handle (release with retold_signature_free()); NULL on failure. Shared.
 */
RETOLD_C_API int retold_dedup_compute_signature(const retold_dedup *dedup, const char *text,
                                                uint64_t text_len, retold_signature **out);

/* Releases a signature. NULL is a no-op. Must not race other calls on the same signature. */
RETOLD_C_API void retold_signature_free(retold_signature *sig);

/*
 * The signature's values into the caller's `buf` of `capacity` uint32_t. `out_count` (required)
 * receives num_hashes; RETOLD_EBUFSIZE when capacity is smaller (buf may be NULL with capacity
 * 0 to ask). Thread-safe.
 */
RETOLD_C_API int retold_signature_values(const retold_signature *sig, uint32_t *buf,
                                         uint64_t capacity, uint64_t *out_count);

/*
 * The portable serialized form (fixed little-endian layout with magic, version, scheme, seed;
 * see retold/minhash.hpp) into the caller's `buf` of `capacity` bytes. `out_len` (required)
 * receives the size; RETOLD_EBUFSIZE when capacity is smaller. Thread-safe.
 */
RETOLD_C_API int retold_signature_serialize(const retold_signature *sig, uint8_t *buf,
                                            uint64_t capacity, uint64_t *out_len);

/*
 * Parses bytes written by retold_signature_serialize() into a new caller-owned handle.
 * RETOLD_ECORRUPTED for bad magic, truncated or trailing bytes; RETOLD_EINCOMPATIBLE for an
 * unknown format version or scheme. Thread-safe.
 */
RETOLD_C_API int retold_signature_deserialize(retold_signature **out, const uint8_t *bytes,
                                              uint64_t len);

/*
 * Estimated Jaccard similarity of two signatures into *out. RETOLD_EINCOMPATIBLE when they were
 * made with different configurations (seed, length or scheme). Thread-safe.
 */
RETOLD_C_API int retold_signature_jaccard(const retold_signature *a, const retold_signature *b,
                                          double *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RETOLD_RETOLD_H */
