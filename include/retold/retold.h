/*
 * retold/retold.h - the stable C ABI of retold, version 1 (shared library libretold_c.so.1).
 *
 * Pure C99, usable from C, C++, and any FFI (Python ctypes, Go cgo, Rust, Node.js koffi). It
 * wraps retold::deduplicator (retold/dedup.hpp): add news reports, find retellings of a text, and
 * keep them as stories (clusters) with stable ids. docs/c_api.md is the full contract.
 *
 * Conventions (libgit2's):
 *  - Every function that can fail returns an `int` status: RETOLD_OK (0) on success or one of the
 *    pinned negative RETOLD_E* codes below. After a failure, retold_last_error() gives a message
 *    naming what was wrong (the id, the file, the byte offset, the struct). No C++ exception ever
 *    crosses this boundary.
 *  - Handles are opaque and distinct: retold_dedup, retold_signature, retold_prepared. They are
 *    created by `int retold_x_new(retold_x **out, ...)` (out first; *out is NULL on failure) and
 *    released by `retold_x_free()`, which accepts NULL.
 *  - Structs that can grow: every struct passed through the ABI (except the frozen
 *    retold_scores) starts with `uint32_t struct_size`, which the CALLER sets to sizeof(the
 *    struct) as its header declares it: use the *_INIT macro, or retold_dedup_options_init().
 *    The library checks it on entry:
 *      . smaller than the struct was in ABI 1.0: refused (RETOLD_EINVALID naming the struct);
 *      . at least the 1.0 size but smaller than this library's (a program built against an
 *        older header): accepted; fields past it take their defaults when read and are not
 *        written when filled;
 *      . larger than this library's (a program built against a newer header): accepted when
 *        every byte past the fields this library knows is zero in a struct it reads (refused
 *        otherwise: the caller asked for something this library cannot do); in a struct it
 *        fills, the bytes past its fields are zeroed.
 *    Fields are only ever appended, so a struct_size says which fields both sides know.
 *    Arrays the library allocates (list items, story members, explanation features) are laid out
 *    with the element size the caller put in the list struct (item_size, member_size,
 *    feature_size), so `items[i]` indexes them with the caller's own sizeof. Arrays the caller
 *    passes (add_batch documents and results) have the stride of their element 0's struct_size.
 *  - Results come either in caller-allocated buffers (capacity in, count out; RETOLD_EBUFSIZE
 *    with the needed count when the buffer is too small) or in caller-owned list structs whose
 *    contents the library allocates and a *_dispose() function frees. Every pointer parameter
 *    states who owns it.
 *  - Texts are UTF-8 given as (pointer, byte length) and need not be NUL-terminated; ids, sources
 *    and paths are NUL-terminated UTF-8 strings. Invalid UTF-8 gives RETOLD_EUTF8.
 *  - Only fixed-width <stdint.h> integer types, double, and pointers appear in the ABI (and `int`
 *    for the status). Booleans are uint32_t 0 or 1 (other values are refused).
 *
 * Example (error handling shortened):
 *
 *   retold_dedup_options opts;
 *   const char *priority[] = {"Reuters", "AP"};
 *   retold_dedup *d = NULL;
 *   retold_document doc = RETOLD_DOCUMENT_INIT;
 *   retold_add_result r = RETOLD_ADD_RESULT_INIT;
 *   retold_match_list m = RETOLD_MATCH_LIST_INIT;
 *   uint64_t i;
 *   retold_dedup_options_init(&opts, sizeof opts);     (the library's defaults)
 *   opts.source_priority = priority;
 *   opts.source_priority_count = 2;
 *   if (retold_dedup_new(&d, &opts) != RETOLD_OK) fprintf(stderr, "%s\n", retold_last_error());
 *   doc.id = "unn-1"; doc.text = body; doc.text_len = strlen(body);
 *   doc.source = "UNN"; doc.timestamp = 1709631600;
 *   if (retold_dedup_add(d, &doc, &r) == RETOLD_OK && !r.new_story) printf("story %llu\n",
 *       (unsigned long long)r.cluster_id);
 *   if (retold_dedup_query(d, text, strlen(text), NULL, &m) == RETOLD_OK)
 *     for (i = 0; i < m.count; ++i) printf("%s %.2f\n", m.items[i].id, m.items[i].scores.score);
 *   retold_match_list_dispose(&m);
 *   retold_dedup_free(d);
 *
 * Thread safety: the library keeps no global mutable state, only per-thread messages (the last
 * error, the strings of add results).
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

/* The ABI generation of this header: the SOVERSION of libretold_c (libretold_c.so.1). It moves
   only when the ABI breaks; additions within a generation keep it. */
#define RETOLD_C_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------------ */
/* Status codes. Pinned: never renumbered. -1 .. -29 and -99 are retold::errc (error.hpp) negated,
   one to one; -30 .. -98 are reserved for codes that exist only in the C ABI. */

typedef enum retold_status {
  RETOLD_OK = 0,
  RETOLD_EINVALID = -1,      /* an argument is NULL, empty, or out of range; a struct_size this
                                library does not accept; misuse of the API */
  RETOLD_EUTF8 = -2,         /* a text or id is not valid UTF-8 (the message names the offset) */
  RETOLD_ENOTFOUND = -3,     /* an id, story or saved state that does not exist */
  RETOLD_EINCOMPATIBLE = -4, /* signature, vector or state made by another configuration; a load
                                that would change a structural option */
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

/* The ABI generation of the loaded library (RETOLD_C_ABI_VERSION of its header). Thread-safe. */
RETOLD_C_API uint32_t retold_abi_version(void);

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

/* Where document embeddings come from (retold_dedup_options.embedding_mode). Pinned values. */
typedef enum retold_embedding_mode {
  RETOLD_EMBEDDING_BUILTIN = 0,  /* the built-in TF-IDF embedder (no model download) */
  RETOLD_EMBEDDING_EXTERNAL = 1, /* the caller passes a vector of external_dimension floats */
  RETOLD_EMBEDDING_NONE = 2      /* lexical (MinHash) matching only */
} retold_embedding_mode;

/* Shingle unit (retold_dedup_options.shingle_kind). Pinned values. */
typedef enum retold_shingle_kind {
  RETOLD_SHINGLE_WORD = 0,
  RETOLD_SHINGLE_CHARACTER = 1
} retold_shingle_kind;

/* MinHash hash family (retold_dedup_options.minhash_scheme). Pinned values. */
typedef enum retold_minhash_scheme {
  RETOLD_MINHASH_ONE_PERMUTATION = 1, /* one-permutation hashing, densified (the default) */
  RETOLD_MINHASH_MULTIPLY_SHIFT = 2   /* num_hashes independent multiply-shift hashes */
} retold_minhash_scheme;

/* Structure of the vector index (retold_dedup_options.vector_index_kind). Pinned values. */
typedef enum retold_vector_index_kind {
  RETOLD_VECTOR_INDEX_AUTOMATIC = 0, /* exact (flat) until ivf_min_size vectors, then IVF */
  RETOLD_VECTOR_INDEX_FLAT = 1,      /* exact inner product over every vector */
  RETOLD_VECTOR_INDEX_IVF = 2        /* inverted file: approximate, for millions of vectors */
} retold_vector_index_kind;

/* How a candidate pair is decided (retold_dedup_options.decision). Pinned values. */
typedef enum retold_match_decision {
  RETOLD_MATCH_AUTOMATIC = 0, /* the model with the built-in embedder, else the threshold rule */
  RETOLD_MATCH_MODEL = 1,     /* the learned match model; score = P(same story) */
  RETOLD_MATCH_RULE = 2       /* the threshold rule (jaccard/cosine/combined thresholds) */
} retold_match_decision;

/*
 * Configuration of a deduplicator: every field of retold::deduplicator_options (dedup.hpp
 * documents each one and its range), flattened. Initialize it with retold_dedup_options_init(),
 * which writes the library's defaults (real values, no placeholders), then change what you need.
 *
 * Fields marked S are structural: fixed when a state is created and saved with it. The others
 * (runtime) may be changed when a state is loaded (retold_dedup_load and RETOLD_OPTION_*).
 * The struct and the strings it points to are borrowed for the duration of the call only.
 */
typedef struct retold_dedup_options {
  uint32_t struct_size;               /* sizeof(retold_dedup_options) */
  /* normalization (S) */
  uint32_t casefold;                  /* S: NFKC + Unicode case folding (default 1) */
  uint32_t fold_punctuation;          /* S: punctuation and symbols separate tokens (default 1) */
  uint32_t strip_boilerplate;         /* S: drop agency credit lines and labels (default 1) */
  uint32_t replace_invalid_utf8;      /* S: bad bytes become U+FFFD instead of EUTF8 (default 0) */
  uint32_t keep_text;                 /* S: store normalized texts, for explain's terms (0) */
  /* shingles and MinHash (S) */
  uint32_t shingle_kind;              /* S: retold_shingle_kind (default word) */
  uint32_t shingle_size;              /* S: words (or code points) per shingle (default 5) */
  uint32_t num_hashes;                /* S: MinHash signature length 1..65536 (default 128) */
  uint32_t minhash_scheme;            /* S: retold_minhash_scheme */
  uint64_t minhash_seed;              /* S */
  /* LSH (S) */
  uint32_t lsh_bands;                 /* S: 0 with lsh_rows 0 = tuned to lsh_threshold */
  uint32_t lsh_rows;                  /* S */
  double lsh_threshold;               /* S: Jaccard the banding targets, in (0, 1) (0.2) */
  /* embeddings (S) */
  uint32_t embedding_mode;            /* S: retold_embedding_mode */
  uint32_t external_dimension;        /* S: floats per caller vector; required (> 0) in EXTERNAL */
  uint32_t embedder_dimension;        /* S: built-in embedder output dimension 1..65536 (256) */
  uint32_t embedder_word_ngram_max;   /* S: word n-grams 1..this (0: no word terms) (1) */
  uint32_t embedder_char_ngram_min;   /* S: character n-grams of each word, min..max code points; */
  uint32_t embedder_char_ngram_max;   /* S:   min 0 disables them (default 4..4) */
  uint32_t embedder_sublinear_tf;     /* S: 1 + ln(count) instead of count (default 1) */
  uint32_t embedder_df_buckets_log2;  /* S: log2 of document-frequency counters, 10..28 (20) */
  double embedder_word_weight;        /* S: weights per kind of term (float precision) (1) */
  double embedder_number_weight;      /* S: a word containing an ASCII digit (2) */
  double embedder_char_weight;        /* S: character n-grams (1) */
  double embedder_word_ngram_weight;  /* S: word n-grams of order >= 2 (1) */
  uint64_t embedder_seed;             /* S: seed of the term hashes */
  /* vector index (S) */
  uint32_t vector_index_kind;         /* S: retold_vector_index_kind */
  uint32_t vector_index_nlist;        /* S: IVF cells; 0 = about 4 sqrt(n), retrained as n grows */
  uint32_t vector_index_nprobe;       /* S: IVF cells scanned per query (default 16) */
  uint32_t vector_index_scalar_quantization; /* S: IVF stores 8-bit codes (default 0) */
  uint64_t vector_index_ivf_min_size; /* S: AUTOMATIC switches to IVF at this size (20000) */
  uint64_t vector_index_seed;         /* S: seed of the k-means training */
  /* evidence sketch (S): values kept per document, each 0..255 */
  uint32_t sketch_words;              /* S (64) */
  uint32_t sketch_bigrams;            /* S (64) */
  uint32_t sketch_numbers;            /* S (16) */
  uint32_t sketch_names;              /* S (32) */
  uint32_t sketch_title_words;        /* S (16) */
  uint32_t sketch_trigrams;           /* S (64) */
  uint64_t sketch_seed;               /* S: the built-in embedder's seed by default */
  /* runtime */
  uint64_t vector_candidates;         /* nearest neighbours examined per document (16) */
  uint32_t decision;                  /* retold_match_decision (default automatic) */
  uint32_t threads;                   /* add_batch workers; 0 = one per hardware thread */
  double match_threshold;             /* model decision: accept when P >= this; 0 = the model's
                                         own threshold */
  double jaccard_threshold;           /* the threshold rule (retold/verify.hpp), each in [0, 1] */
  double cosine_threshold;
  double combined_weight_jaccard;
  double combined_threshold;
  double copy_jaccard;                /* a document at least this close (estimated Jaccard) to
                                         any member joins that member's story even if the
                                         leader is further (copies of copies), in [0, 1] */
  int64_t time_window_seconds;        /* 0 = no window; else only documents this close match */
  uint64_t max_document_bytes;        /* larger texts give RETOLD_ETOOLARGE (default 1 MiB) */
  uint64_t source_priority_count;     /* number of entries in source_priority */
  const char *const *source_priority; /* representative policy: preferred outlets, best first;
                                         NULL when source_priority_count is 0 */
  /* appended after the first 1.0 draft (a struct_size that ends before them is accepted: they
     take their defaults) */
  int64_t retention_seconds;          /* runtime: the caller's retention, saved with the state so
                                         the next run applies the same (0 = none); the library
                                         never evicts by itself (retold_dedup_evict_before) */
  uint32_t snippet_bytes;             /* runtime: each document's opening kept with the state
                                         (retold_cluster_member.snippet), at most this many bytes;
                                         0 = none; applies to documents added from then on (240) */
} retold_dedup_options;

/*
 * Writes the library's defaults into `opts` (the first `struct_size` bytes; pass
 * sizeof(retold_dedup_options)) and sets opts->struct_size. RETOLD_EINVALID for a NULL `opts`
 * or a struct_size below the 1.0 size. Thread-safe (touches only `opts`).
 */
RETOLD_C_API int retold_dedup_options_init(retold_dedup_options *opts, uint32_t struct_size);

/*
 * Sets the match fields of `opts` (decision, match_threshold, the four thresholds of the rule,
 * copy_jaccard; RETOLD_OPTION_MATCH) to those of the preset `name`: "copies" (the same article,
 * edited), "retellings" (the defaults), "stories" (also follow-ups of the same event). Every other
 * field is left alone. RETOLD_EINVALID for an unknown name (the message lists the known ones).
 * Thread-safe (touches only `opts`).
 */
RETOLD_C_API int retold_dedup_options_apply_preset(retold_dedup_options *opts, const char *name);

/*
 * Bits naming the runtime fields of retold_dedup_options, for retold_dedup_load()'s
 * `override_fields`. Pinned values; new bits are only added.
 */
#define RETOLD_OPTION_VECTOR_CANDIDATES ((uint64_t)1 << 0)
#define RETOLD_OPTION_DECISION ((uint64_t)1 << 1)
#define RETOLD_OPTION_THREADS ((uint64_t)1 << 2)
#define RETOLD_OPTION_MATCH_THRESHOLD ((uint64_t)1 << 3)
#define RETOLD_OPTION_JACCARD_THRESHOLD ((uint64_t)1 << 4)
#define RETOLD_OPTION_COSINE_THRESHOLD ((uint64_t)1 << 5)
#define RETOLD_OPTION_COMBINED_WEIGHT_JACCARD ((uint64_t)1 << 6)
#define RETOLD_OPTION_COMBINED_THRESHOLD ((uint64_t)1 << 7)
#define RETOLD_OPTION_COPY_JACCARD ((uint64_t)1 << 8)
#define RETOLD_OPTION_TIME_WINDOW_SECONDS ((uint64_t)1 << 9)
#define RETOLD_OPTION_MAX_DOCUMENT_BYTES ((uint64_t)1 << 10)
#define RETOLD_OPTION_SOURCE_PRIORITY ((uint64_t)1 << 11) /* source_priority and its count */
#define RETOLD_OPTION_RETENTION_SECONDS ((uint64_t)1 << 12)
#define RETOLD_OPTION_SNIPPET_BYTES ((uint64_t)1 << 13)
/* The four thresholds of the rule. */
#define RETOLD_OPTION_SCORING                                                 \
  (RETOLD_OPTION_JACCARD_THRESHOLD | RETOLD_OPTION_COSINE_THRESHOLD |         \
   RETOLD_OPTION_COMBINED_WEIGHT_JACCARD | RETOLD_OPTION_COMBINED_THRESHOLD)
/* What retold_dedup_options_apply_preset() sets. */
#define RETOLD_OPTION_MATCH                                                   \
  (RETOLD_OPTION_DECISION | RETOLD_OPTION_MATCH_THRESHOLD | RETOLD_OPTION_SCORING | \
   RETOLD_OPTION_COPY_JACCARD)
/* Every runtime field this header knows. Only ever gains bits (a library accepts the bits of every
   header of its ABI generation). */
#define RETOLD_OPTION_ALL_RUNTIME ((uint64_t)0x3FFF)

/* ------------------------------------------------------------------------------------------ */
/* Documents and results */

/*
 * One incoming report. Every pointer is borrowed for the duration of the call: the library
 * copies what it keeps before returning.
 */
typedef struct retold_document {
  uint32_t struct_size;    /* sizeof(retold_document) */
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

#define RETOLD_DOCUMENT_INIT {(uint32_t)sizeof(retold_document), 0u, 0, 0, 0u, 0, 0u, 0, 0, 0}

/* What accepted a pair (retold_scores.decision). Pinned values. */
typedef enum retold_decision {
  RETOLD_DECISION_REJECTED = 0,
  RETOLD_DECISION_JACCARD = 1,  /* estimated Jaccard alone: a copy or a light edit */
  RETOLD_DECISION_COSINE = 2,   /* threshold rule: embedding cosine alone, a retelling */
  RETOLD_DECISION_COMBINED = 3, /* threshold rule: the weighted combination */
  RETOLD_DECISION_MODEL = 4     /* the learned match model's probability reached its threshold */
} retold_decision;

/*
 * The scores of one pair of documents. Plain data, embedded in other structs, so FROZEN: it has
 * no struct_size and never changes; new per-pair values go into the structs that hold it.
 */
typedef struct retold_scores {
  double jaccard;      /* MinHash estimate of the Jaccard similarity of the shingle sets */
  double cosine;       /* cosine of the embeddings (0 when has_cosine is 0) */
  double score;        /* the ranking number in [0, 1]: the match model's probability, or the
                          threshold rule's score */
  int32_t has_cosine;  /* 1 when both documents had embeddings */
  int32_t decision;    /* retold_decision */
} retold_scores;

/*
 * What adding one document did, written by the library into caller memory (set struct_size;
 * RETOLD_ADD_RESULT_INIT). The strings are owned by the library, per thread: valid until this
 * thread's next retold_dedup_add() or retold_dedup_add_batch() call (copy them to keep them).
 */
typedef struct retold_add_result {
  uint32_t struct_size;  /* sizeof(retold_add_result), set by the caller */
  int32_t status;        /* add_batch: RETOLD_OK, or the code why this document was skipped */
  int32_t new_story;     /* 1 when the document opened a story, 0 when it joined one */
  int32_t has_leader;    /* 1 when it joined: leader_id and leader_scores say what it matched */
  uint64_t cluster_id;   /* the story it joined or opened (0 when skipped) */
  uint64_t candidates;   /* candidates examined (both indexes, after the time window) */
  retold_scores leader_scores;
  const char *leader_id; /* the member that decided (the story's leader, or the member it copies);
                            NULL when has_leader is 0 */
  const char *error;     /* add_batch, status != RETOLD_OK: why, naming the document; else NULL */
} retold_add_result;

#define RETOLD_ADD_RESULT_INIT \
  {(uint32_t)sizeof(retold_add_result), 0, 0, 0, 0u, 0u, {0.0, 0.0, 0.0, 0, 0}, 0, 0}

/* Query parameters. Borrowed for the duration of the call. */
typedef struct retold_query_options {
  uint32_t struct_size;      /* sizeof(retold_query_options) */
  uint32_t top_k;            /* at most this many matches, best first (default 10) */
  uint32_t include_rejected; /* 1: also return candidates the decision rejected */
  uint32_t has_timestamp;    /* 1: apply the configured time window around `timestamp` */
  int64_t timestamp;
  double min_score;          /* only matches with scores.score >= min_score (0: no floor); with
                                include_rejected, a caller's own threshold on the score */
} retold_query_options;

#define RETOLD_QUERY_OPTIONS_INIT {(uint32_t)sizeof(retold_query_options), 10u, 0u, 0u, 0, 0.0}

/* Writes RETOLD_QUERY_OPTIONS_INIT's defaults into `opts` (the first `struct_size` bytes; pass
   sizeof(retold_query_options)), for callers that cannot use the macro (FFI). RETOLD_EINVALID for
   NULL or a struct_size below the 1.0 size. Thread-safe (touches only `opts`). */
RETOLD_C_API int retold_query_options_init(retold_query_options *opts, uint32_t struct_size);

/* One stored document similar to a query. Filled by the library: struct_size is the list's
   item_size. `id` is owned by the list that holds the match. */
typedef struct retold_match {
  uint32_t struct_size;
  const char *id;
  uint64_t cluster_id;
  retold_scores scores;
} retold_match;

/*
 * Query results. The caller owns the struct (e.g. on its stack) and initializes it with
 * RETOLD_MATCH_LIST_INIT; the library allocates `items` (item_size bytes apart) and everything
 * they point to, which stay valid until retold_match_list_dispose().
 */
typedef struct retold_match_list {
  uint32_t struct_size;  /* sizeof(retold_match_list), set by the caller */
  uint32_t item_size;    /* sizeof(retold_match), set by the caller: the stride of items */
  retold_match *items;
  uint64_t count;
  void *internal_;       /* library bookkeeping: do not touch */
} retold_match_list;

#define RETOLD_MATCH_LIST_INIT \
  {(uint32_t)sizeof(retold_match_list), (uint32_t)sizeof(retold_match), 0, 0u, 0}

/* Frees what the library allocated in `list` and empties it (items NULL, count 0), keeping
   struct_size and item_size so the list can be filled again. NULL and empty lists are fine.
   A list is not synchronized: dispose it in one thread once no thread reads it. */
RETOLD_C_API void retold_match_list_dispose(retold_match_list *list);

/* A member of a story, with its scores against the story's leader when it joined. Filled by the
   library: struct_size is the list's member_size. Strings are owned by the list. */
typedef struct retold_cluster_member {
  uint32_t struct_size;
  const char *id;
  const char *source;  /* "" when the document had none */
  int64_t timestamp;
  retold_scores scores;
  /* appended after the first 1.0 draft (not written for a member_size that ends before them) */
  const char *title;   /* the title as given, whitespace runs made single spaces, invalid UTF-8
                          replaced, at most 1024 bytes; "" when none or saved before format 4 */
  const char *snippet; /* the opening of the text, cleaned like the title, at most snippet_bytes
                          bytes as they were when it was added; "" with snippet_bytes 0 */
} retold_cluster_member;

/* One story. Filled by the library: struct_size is the list's item_size. Pointers are owned by
   the list that holds it. */
typedef struct retold_cluster {
  uint32_t struct_size;
  uint64_t id;                          /* stable story id (1, 2, ...; never reused) */
  const char *representative;           /* chosen by the representative policy */
  const char *leader;                   /* the first document; every member matched it */
  const retold_cluster_member *members; /* leader first, then in order of joining; member_size
                                           bytes apart */
  uint64_t member_count;
} retold_cluster;

/* Stories; ownership as retold_match_list. Initialize with RETOLD_CLUSTER_LIST_INIT. */
typedef struct retold_cluster_list {
  uint32_t struct_size; /* sizeof(retold_cluster_list), set by the caller */
  uint32_t item_size;   /* sizeof(retold_cluster), set by the caller: the stride of items */
  uint32_t member_size; /* sizeof(retold_cluster_member), set by the caller: stride of members */
  retold_cluster *items;
  uint64_t count;
  void *internal_;      /* library bookkeeping: do not touch */
} retold_cluster_list;

#define RETOLD_CLUSTER_LIST_INIT                                                           \
  {(uint32_t)sizeof(retold_cluster_list), (uint32_t)sizeof(retold_cluster),               \
   (uint32_t)sizeof(retold_cluster_member), 0, 0u, 0}

/* Frees what the library allocated in `list` and empties it, keeping the sizes. NULL and empty
   lists are fine. Same threading rule as retold_match_list_dispose(). */
RETOLD_C_API void retold_cluster_list_dispose(retold_cluster_list *list);

/* One feature of the evidence behind a decision (include/retold/verify.hpp: match_feature): its
   stable name ("word_containment", ...; static storage), its value, and how far it moved the
   learned match model's log-odds. Filled by the library: struct_size is feature_size. */
typedef struct retold_feature {
  uint32_t struct_size;
  const char *name;
  double value;
  double contribution;
} retold_feature;

/* Why two stored documents match or not. Ownership as retold_match_list; initialize with
   RETOLD_EXPLANATION_INIT. */
typedef struct retold_explanation {
  uint32_t struct_size;            /* sizeof(retold_explanation), set by the caller */
  uint32_t feature_size;           /* sizeof(retold_feature), set by the caller: stride of features */
  retold_scores scores;
  double probability;              /* the match model's P(same story), whatever the decision */
  const retold_feature *features;  /* the evidence, feature_count entries feature_size apart */
  uint64_t feature_count;
  const char *const *shared_terms; /* distinctive shared words (needs keep_text) */
  uint64_t shared_term_count;
  const char *shared_passage;      /* longest shared run of words ("" without keep_text) */
  void *internal_;                 /* library bookkeeping: do not touch */
} retold_explanation;

#define RETOLD_EXPLANATION_INIT                                                              \
  {(uint32_t)sizeof(retold_explanation), (uint32_t)sizeof(retold_feature),                  \
   {0.0, 0.0, 0.0, 0, 0}, 0.0, 0, 0u, 0, 0u, 0, 0}

/* Frees what the library allocated in `e` and empties it, keeping the sizes. NULL is fine. Same
   threading rule as retold_match_list_dispose(). */
RETOLD_C_API void retold_explanation_dispose(retold_explanation *e);

/* Counters and timings for monitoring, written by the library into caller memory (set
   struct_size; RETOLD_STATS_INIT). */
typedef struct retold_stats {
  uint32_t struct_size;              /* sizeof(retold_stats), set by the caller */
  uint64_t documents;                /* stored now */
  uint64_t clusters;                 /* live stories */
  uint64_t multi_member_clusters;    /* stories that found at least one retelling */
  uint64_t documents_added_total;    /* including removed and evicted ones */
  uint64_t documents_removed_total;
  uint64_t memory_bytes;             /* estimate of the state held in memory */
  uint64_t frequency_documents;      /* documents in the built-in embedder's frequencies */
  /* wall-clock seconds inside add calls by stage, summed since created or loaded */
  double add_features_seconds;       /* normalize, shingle, sign, extract terms (parallel) */
  double add_embed_seconds;          /* built-in embedding (parallel) */
  double add_candidates_seconds;     /* LSH and vector index queries (parallel) */
  double add_verify_cluster_seconds; /* scoring, leader clustering, storing (in input order) */
  double add_index_add_seconds;      /* adding vectors to the vector index, IVF (re)training */
} retold_stats;

#define RETOLD_STATS_INIT \
  {(uint32_t)sizeof(retold_stats), 0u, 0u, 0u, 0u, 0u, 0u, 0u, 0.0, 0.0, 0.0, 0.0, 0.0}

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
 * into it (caller memory, struct_size set by the caller). Nothing is stored on failure:
 * RETOLD_EINVALID (missing or too long id, bad struct_size), RETOLD_EUTF8, RETOLD_ETOOLARGE,
 * RETOLD_EDUPLICATE, RETOLD_EINCOMPATIBLE (vector of the wrong dimension, or none in EXTERNAL
 * mode). Exclusive.
 */
RETOLD_C_API int retold_dedup_add(retold_dedup *dedup, const retold_document *doc,
                                  retold_add_result *result);

/*
 * Adds `count` documents in order, as if retold_dedup_add() were called on each, computing
 * their features on options.threads workers. `docs` is an array whose stride is
 * docs[0].struct_size (every element must carry the same struct_size). A bad document does not
 * stop the batch: its results[i].status says why it was skipped. `results` is NULL or a caller
 * array of `count` entries whose stride is results[0].struct_size (set at least that one; the
 * library writes struct_size into every entry). `out_added` (optional) receives how many were
 * stored. Returns RETOLD_OK when the batch ran (even if some documents were skipped), or an
 * error when the arguments are wrong (nothing is stored then). Exclusive (the feature
 * computation runs outside the exclusive section).
 */
RETOLD_C_API int retold_dedup_add_batch(retold_dedup *dedup, const retold_document *docs,
                                        uint64_t count, retold_add_result *results,
                                        uint64_t *out_added);

/*
 * Stored documents most similar to `text` (nothing is stored). `opts` may be NULL (defaults).
 * `out` is a caller struct (RETOLD_MATCH_LIST_INIT) the library fills; release it with
 * retold_match_list_dispose(), also after a failure (it is then empty). Shared.
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
 * The representative of the story of document `id`, read from one consistent snapshot, copied
 * NUL-terminated into the caller's `buf` of `capacity` bytes. `out_len` (required) receives the
 * length without the NUL; when capacity <= that length, nothing is copied and RETOLD_EBUFSIZE is
 * returned (allocate *out_len + 1 bytes and call again; `buf` may be NULL with capacity 0 to ask
 * for the length). RETOLD_ENOTFOUND for an unknown id. Shared.
 */
RETOLD_C_API int retold_dedup_representative_of(const retold_dedup *dedup, const char *id,
                                                char *buf, uint64_t capacity, uint64_t *out_len);

/*
 * One story into `out` (count 1; RETOLD_CLUSTER_LIST_INIT); release with
 * retold_cluster_list_dispose(). RETOLD_ENOTFOUND for an unknown story id. Shared.
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
 * Scores and evidence of two stored documents into `out` (RETOLD_EXPLANATION_INIT); release
 * with retold_explanation_dispose(). RETOLD_ENOTFOUND for an unknown id. Shared.
 */
RETOLD_C_API int retold_dedup_explain(const retold_dedup *dedup, const char *id_a,
                                      const char *id_b, retold_explanation *out);

/* Statistics into caller memory (struct_size set by the caller). Shared. */
RETOLD_C_API int retold_dedup_stats(const retold_dedup *dedup, retold_stats *out);

/*
 * The options in force (structural ones as created or loaded; lsh_bands/lsh_rows as chosen).
 * The caller sets out->struct_size first (retold_dedup_options_init() does). out->source_priority
 * points into memory owned by `dedup`, valid until it is freed. Shared.
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
 * failure), with the saved options except the runtime fields named in `override_fields`
 * (RETOLD_OPTION_* bits), which are taken from `overrides`. Every field whose bit is not set
 * keeps its SAVED value, whatever `overrides` holds there, so a nightly job sets only what it
 * means to change:
 *
 *   retold_dedup_options o;
 *   retold_dedup_options_init(&o, sizeof o);
 *   o.time_window_seconds = 3 * 86400;
 *   rc = retold_dedup_load(&d, "/var/lib/retold", &o, RETOLD_OPTION_TIME_WINDOW_SECONDS);
 *
 * `overrides` may be NULL only when override_fields is 0 (everything as saved). Unknown bits,
 * or overridden values out of range, give RETOLD_EINVALID; structural fields cannot be
 * overridden (they have no bit). RETOLD_ENOTFOUND when `dir` holds no state, RETOLD_ECORRUPTED
 * for a damaged one. Thread-safe (the new handle is independent).
 */
RETOLD_C_API int retold_dedup_load(retold_dedup **out, const char *dir,
                                   const retold_dedup_options *overrides, uint64_t override_fields);

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

/* ------------------------------------------------------------------------------------------ */
/* Prepared documents (added in ABI 1.1): features computed in one place, added in another */

/*
 * Opaque, immutable handle: the features of one document as a deduplicator's configuration
 * computes them (signature, LSH band keys, evidence sketch, embedder terms or the normalized
 * caller vector, title, snippet, id, timestamp, source), with a fingerprint of that
 * configuration. It holds no text. A distributed run prepares documents where they are read,
 * moves the serialized bytes and adds them elsewhere (docs/scaling.md). May be shared freely
 * between threads.
 */
typedef struct retold_prepared retold_prepared;

/*
 * The features of `doc` with `dedup`'s configuration (nothing stored). *out is a new caller-owned
 * handle (release with retold_prepared_free()); NULL on failure, which is what
 * retold_dedup_add() would report for the document: RETOLD_EINVALID, RETOLD_EUTF8,
 * RETOLD_ETOOLARGE, RETOLD_EINCOMPATIBLE. Takes no lock: runs concurrently with everything.
 */
RETOLD_C_API int retold_dedup_prepare(retold_prepared **out, const retold_dedup *dedup,
                                      const retold_document *doc);

/* Releases a prepared document. NULL is a no-op. Must not race other calls on the same handle. */
RETOLD_C_API void retold_prepared_free(retold_prepared *prepared);

/*
 * The portable serialized form (magic "RTPREP01", format version, configuration fingerprint,
 * the fields little-endian, XXH3 checksum) into the caller's `buf` of `capacity` bytes.
 * `out_len` (required) receives the size; RETOLD_EBUFSIZE when capacity is smaller (buf may be
 * NULL with capacity 0 to ask). Thread-safe.
 */
RETOLD_C_API int retold_prepared_serialize(const retold_prepared *prepared, uint8_t *buf,
                                           uint64_t capacity, uint64_t *out_len);

/*
 * Parses bytes written by retold_prepared_serialize() (borrowed) into a new caller-owned handle.
 * RETOLD_ECORRUPTED naming what was wrong for bad magic, a truncated or damaged blob (checksum),
 * or inconsistent fields; RETOLD_EINCOMPATIBLE for another format version. Thread-safe.
 */
RETOLD_C_API int retold_prepared_deserialize(retold_prepared **out, const uint8_t *bytes,
                                             uint64_t len);

/*
 * The LSH band keys of the document's signature into the caller's `buf` of `capacity` uint32_t:
 * buf[i] is band i's key, as the deduplicator's LSH index buckets it (two documents are LSH
 * candidates exactly when they share a (band, key) and their estimated Jaccard reaches
 * lsh_threshold). `out_count` (required) receives the number of bands, 0 for a document without
 * shingles (never banded); RETOLD_EBUFSIZE when capacity is smaller. Thread-safe.
 */
RETOLD_C_API int retold_prepared_band_keys(const retold_prepared *prepared, uint32_t *buf,
                                           uint64_t capacity, uint64_t *out_count);

/*
 * Adds `count` prepared documents (an array of handles, borrowed) in order: the stories, scores
 * and results are exactly those retold_dedup_add_batch() gives for the same documents. `results`
 * and `out_added` as in retold_dedup_add_batch() (a duplicate id is skipped with its status).
 * Refused whole, with nothing stored: RETOLD_EINCOMPATIBLE when a document was prepared with
 * another configuration, RETOLD_EINVALID for a NULL or foreign handle. Exclusive.
 */
RETOLD_C_API int retold_dedup_add_prepared_batch(retold_dedup *dedup,
                                                 const retold_prepared *const *docs,
                                                 uint64_t count, retold_add_result *results,
                                                 uint64_t *out_added);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RETOLD_RETOLD_H */
