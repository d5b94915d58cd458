/*
 * tests/c/capi_options_test.c - the C ABI's lifecycle and options from plain C99: versions and
 * error names, the thread-local last error, options_init and retold_dedup_new with every invalid
 * field (NULL handles and out-pointers, struct sizes this library does not accept), every option
 * reading back, presets, the struct_size growth rules and a caller built against an older, smaller
 * retold.h. Registered with CTest (capi.options_test); exits non-zero when a check failed.
 */
#include "capi_check.h"
#include "capi_fixtures.h"

#include <retold/retold.h>

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_versions_and_errors(void) {
  CHECK(retold_version() == (uint32_t)RETOLD_VERSION_NUMBER);
  CHECK(strcmp(retold_version_string(), RETOLD_VERSION_STRING) == 0);
  CHECK(retold_abi_version() == RETOLD_C_ABI_VERSION && RETOLD_C_ABI_VERSION == 1);
  CHECK(RETOLD_VERSION_NUMBER ==
        ((RETOLD_VERSION_MAJOR << 16) | (RETOLD_VERSION_MINOR << 8) | RETOLD_VERSION_PATCH));

  CHECK(strcmp(retold_error_name(RETOLD_OK), "ok") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EINVALID), "invalid_argument") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EUTF8), "invalid_utf8") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_ENOTFOUND), "not_found") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EINCOMPATIBLE), "incompatible") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EIO), "io") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_ECORRUPTED), "corrupted_state") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_ENOMEM), "out_of_memory") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_ETOOLARGE), "too_large") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EDUPLICATE), "duplicate_id") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EPARSE), "parse") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_ECONFLICT), "conflict") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EBUFSIZE), "buffer_too_small") == 0);
  CHECK(strcmp(retold_error_name(RETOLD_EINTERNAL), "internal") == 0);
  CHECK(strcmp(retold_error_name(12345), "unknown") == 0);
  CHECK(strcmp(retold_error_name(1), "unknown") == 0);

  /* pinned values: the ABI promise */
  CHECK(RETOLD_EINVALID == -1 && RETOLD_EUTF8 == -2 && RETOLD_ENOTFOUND == -3);
  CHECK(RETOLD_EINCOMPATIBLE == -4 && RETOLD_EIO == -5 && RETOLD_ECORRUPTED == -6);
  CHECK(RETOLD_ENOMEM == -7 && RETOLD_ETOOLARGE == -8 && RETOLD_EDUPLICATE == -9);
  CHECK(RETOLD_EPARSE == -10 && RETOLD_EBUFSIZE == -30 && RETOLD_EINTERNAL == -99);
  CHECK(RETOLD_ECONFLICT == -11);

  retold_error_clear();
  CHECK(strcmp(retold_last_error(), "") == 0);
  CHECK(retold_last_error_code() == RETOLD_OK);
  CHECK_RC(retold_dedup_remove(NULL, "x"), RETOLD_EINVALID);
  CHECK(retold_last_error_code() == RETOLD_EINVALID);
  CHECK_MSG("retold_dedup_remove");
  CHECK_MSG("dedup is NULL");
  /* a successful call leaves the message alone */
  CHECK(retold_version() != 0);
  CHECK_MSG("dedup is NULL");
  retold_error_clear();
  CHECK(retold_last_error()[0] == '\0');
}

static void test_options_init(void) {
  retold_dedup_options b;
  unsigned char raw[sizeof(retold_dedup_options) + 16];
  retold_query_options q = RETOLD_QUERY_OPTIONS_INIT;
  memset(&b, 0x7f, sizeof b);
  CHECK_RC(retold_dedup_options_init(&b, sizeof b), RETOLD_OK);
  /* the library's defaults, real values (dedup.hpp) */
  CHECK(b.struct_size == sizeof b);
  CHECK(b.casefold == 1 && b.fold_punctuation == 1 && b.strip_boilerplate == 1);
  CHECK(b.replace_invalid_utf8 == 0 && b.keep_text == 0);
  CHECK(b.shingle_kind == RETOLD_SHINGLE_WORD && b.shingle_size == 5 && b.num_hashes == 128);
  CHECK(b.minhash_scheme == RETOLD_MINHASH_ONE_PERMUTATION && b.minhash_seed != 0);
  CHECK(b.lsh_bands == 0 && b.lsh_rows == 0 && b.lsh_threshold == 0.2);
  CHECK(b.embedding_mode == RETOLD_EMBEDDING_BUILTIN && b.external_dimension == 0);
  CHECK(b.embedder_dimension == 256 && b.embedder_word_ngram_max == 1);
  CHECK(b.embedder_char_ngram_min == 4 && b.embedder_char_ngram_max == 4);
  CHECK(b.embedder_sublinear_tf == 1 && b.embedder_df_buckets_log2 == 20);
  CHECK(b.embedder_word_weight == 1.0 && b.embedder_number_weight == 2.0);
  CHECK(b.embedder_char_weight == 1.0 && b.embedder_word_ngram_weight == 1.0 && b.embedder_seed != 0);
  CHECK(b.vector_index_kind == RETOLD_VECTOR_INDEX_AUTOMATIC && b.vector_index_nlist == 0);
  CHECK(b.vector_index_nprobe == 16 && b.vector_index_scalar_quantization == 0);
  CHECK(b.vector_index_ivf_min_size == 20000 && b.vector_index_seed == 1);
  CHECK(b.sketch_words == 64 && b.sketch_bigrams == 64 && b.sketch_numbers == 16);
  CHECK(b.sketch_names == 32 && b.sketch_title_words == 16 && b.sketch_trigrams == 64);
  CHECK(b.sketch_seed == b.embedder_seed);
  CHECK(b.vector_candidates == 16 && b.decision == RETOLD_MATCH_AUTOMATIC && b.threads == 0);
  CHECK(b.match_threshold == 0.0 && b.jaccard_threshold == 0.30 && b.cosine_threshold == 0.525);
  CHECK(b.combined_weight_jaccard == 0.8 && b.combined_threshold == 0.325 && b.copy_jaccard == 0.9);
  CHECK(b.time_window_seconds == 0 && b.max_document_bytes == (1u << 20));
  CHECK(b.source_priority_count == 0 && b.source_priority == NULL);

  CHECK_RC(retold_dedup_options_init(NULL, sizeof b), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_options_init(&b, 0), RETOLD_EINVALID);
  CHECK_MSG("retold_dedup_options");
  CHECK_RC(retold_dedup_options_init(&b, 8), RETOLD_EINVALID); /* below the 1.0 size */
  CHECK_MSG("smaller");
  /* a newer caller's larger struct: the defaults, and zeros past the fields known here */
  memset(raw, 0x55, sizeof raw);
  CHECK_RC(retold_dedup_options_init((retold_dedup_options *)(void *)raw, sizeof raw), RETOLD_OK);
  {
    size_t k;
    int tail_zero = 1;
    for (k = sizeof(retold_dedup_options); k < sizeof raw; ++k) tail_zero &= raw[k] == 0;
    CHECK(tail_zero);
    CHECK(((retold_dedup_options *)(void *)raw)->struct_size == sizeof raw);
  }
  CHECK(q.struct_size == sizeof q && q.top_k == 10 && q.include_rejected == 0 && q.min_score == 0.0);
  {
    retold_query_options q2;
    memset(&q2, 0x5a, sizeof q2);
    CHECK_RC(retold_query_options_init(&q2, sizeof q2), RETOLD_OK);
    CHECK(memcmp(&q, &q2, sizeof q) == 0);
    CHECK_RC(retold_query_options_init(&q2, 4), RETOLD_EINVALID);
    CHECK_MSG("retold_query_options");
    CHECK_RC(retold_query_options_init(NULL, sizeof q2), RETOLD_EINVALID);
  }
}

/* retold_dedup_new must refuse `o` with `expected` and leave *out NULL. */
static void expect_new_fails(const retold_dedup_options *o, int expected, const char *needle, int line) {
  retold_dedup *d = (retold_dedup *)&d; /* garbage that must be overwritten */
  int rc = retold_dedup_new(&d, o);
  ++checks;
  if (rc != expected || d != NULL || strstr(retold_last_error(), needle) == NULL) {
    fprintf(stderr, "line %d: retold_dedup_new returned %d (%s), handle %p, message \"%s\"; expected %d "
            "mentioning \"%s\"\n", line, rc, retold_error_name(rc), (void *)d, retold_last_error(),
            expected, needle);
    ++failures;
  }
  retold_dedup_free(d == (retold_dedup *)&d ? NULL : d);
}

static void test_new_and_options(void) {
  retold_dedup *d = NULL;
  retold_dedup_options o;
  retold_dedup_options got;
  const char *priority[2];
  const char *bad_priority[2];
  priority[0] = "Wire";
  priority[1] = "Reuters";
  bad_priority[0] = "Wire";
  bad_priority[1] = NULL;

  CHECK_RC(retold_dedup_new(NULL, NULL), RETOLD_EINVALID);
  CHECK_MSG("out is NULL");
  retold_dedup_free(NULL); /* no-op */

  CHECK_RC(retold_dedup_new(&d, NULL), RETOLD_OK);
  CHECK(d != NULL);
  retold_dedup_options_init(&got, sizeof got);
  CHECK_RC(retold_dedup_get_options(d, &got), RETOLD_OK);
  /* the defaults in force, lsh as chosen */
  CHECK(got.shingle_size == 5 && got.num_hashes == 128);
  CHECK(got.minhash_scheme == RETOLD_MINHASH_ONE_PERMUTATION && got.minhash_seed != 0);
  CHECK(got.lsh_bands > 0 && got.lsh_rows > 0 && got.lsh_bands * got.lsh_rows <= got.num_hashes);
  CHECK(got.lsh_threshold > 0.0 && got.lsh_threshold < 1.0);
  CHECK(got.embedding_mode == RETOLD_EMBEDDING_BUILTIN && got.embedder_dimension == 256);
  CHECK(got.jaccard_threshold >= 0.0 && got.jaccard_threshold <= 1.0);
  CHECK(got.cosine_threshold >= 0.0 && got.cosine_threshold <= 1.0);
  CHECK(got.combined_weight_jaccard >= 0.0 && got.combined_threshold >= 0.0);
  CHECK(got.copy_jaccard >= 0.0 && got.copy_jaccard <= 1.0);
  CHECK(got.max_document_bytes == (1u << 20) && got.vector_candidates == 16);
  CHECK(got.vector_index_nprobe == 16 && got.vector_index_ivf_min_size > 0);
  CHECK(got.keep_text == 0 && got.source_priority_count == 0 && got.source_priority == NULL);
  /* misuse of get_options */
  CHECK_RC(retold_dedup_get_options(NULL, &got), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_get_options(d, NULL), RETOLD_EINVALID);
  got.struct_size = 0;
  CHECK_RC(retold_dedup_get_options(d, &got), RETOLD_EINVALID);
  CHECK_MSG("retold_dedup_options");
  retold_dedup_free(d);

  /* explicit values round-trip */
  retold_dedup_options_init(&o, sizeof o);
  o.keep_text = 1;
  o.casefold = 0;
  o.shingle_size = 3;
  o.num_hashes = 64;
  o.minhash_scheme = RETOLD_MINHASH_MULTIPLY_SHIFT;
  o.minhash_seed = 42;
  o.lsh_bands = 16;
  o.lsh_rows = 4;
  o.embedding_mode = RETOLD_EMBEDDING_EXTERNAL;
  o.external_dimension = 8;
  o.jaccard_threshold = 0.4;
  o.cosine_threshold = 0.9;
  o.combined_weight_jaccard = 0.0;
  o.combined_threshold = 0.8;
  o.copy_jaccard = 0.95;
  o.time_window_seconds = 3600;
  o.max_document_bytes = 5000;
  o.threads = 2;
  o.vector_index_kind = RETOLD_VECTOR_INDEX_FLAT;
  o.source_priority = priority;
  o.source_priority_count = 2;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  priority[0] = "changed after the call"; /* the library copied the strings */
  retold_dedup_options_init(&got, sizeof got);
  CHECK_RC(retold_dedup_get_options(d, &got), RETOLD_OK);
  CHECK(got.keep_text == 1 && got.casefold == 0 && got.strip_boilerplate == 1);
  CHECK(got.shingle_size == 3 && got.num_hashes == 64 && got.minhash_seed == 42);
  CHECK(got.minhash_scheme == RETOLD_MINHASH_MULTIPLY_SHIFT);
  CHECK(got.lsh_bands == 16 && got.lsh_rows == 4);
  CHECK(got.embedding_mode == RETOLD_EMBEDDING_EXTERNAL && got.external_dimension == 8);
  CHECK(got.jaccard_threshold == 0.4 && got.cosine_threshold == 0.9);
  CHECK(got.combined_weight_jaccard == 0.0 && got.combined_threshold == 0.8);
  CHECK(got.copy_jaccard == 0.95);
  CHECK(got.time_window_seconds == 3600 && got.max_document_bytes == 5000 && got.threads == 2);
  CHECK(got.vector_index_kind == RETOLD_VECTOR_INDEX_FLAT);
  CHECK(got.source_priority_count == 2);
  CHECK(got.source_priority != NULL && strcmp(got.source_priority[0], "Wire") == 0 &&
        strcmp(got.source_priority[1], "Reuters") == 0);
  retold_dedup_free(d);
  d = NULL;

  /* every way to get the options wrong */
  retold_dedup_options_init(&o, sizeof o);
  o.struct_size = 0;
  expect_new_fails(&o, RETOLD_EINVALID, "retold_dedup_options", __LINE__);
  o.struct_size = 2;
  expect_new_fails(&o, RETOLD_EINVALID, "retold_dedup_options", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.casefold = 2;
  expect_new_fails(&o, RETOLD_EINVALID, "casefold", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.embedder_sublinear_tf = 7;
  expect_new_fails(&o, RETOLD_EINVALID, "embedder_sublinear_tf", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.embedder_char_ngram_min = 5;
  o.embedder_char_ngram_max = 3;
  expect_new_fails(&o, RETOLD_EINVALID, "char_ngram", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.embedder_df_buckets_log2 = 40;
  expect_new_fails(&o, RETOLD_EINVALID, "df_buckets_log2", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.embedder_number_weight = 1e300;
  expect_new_fails(&o, RETOLD_EINVALID, "embedder_number_weight", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.sketch_words = 300;
  expect_new_fails(&o, RETOLD_EINVALID, "words", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.decision = 3;
  expect_new_fails(&o, RETOLD_EINVALID, "decision", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.match_threshold = 1.0;
  expect_new_fails(&o, RETOLD_EINVALID, "match_threshold", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.vector_index_scalar_quantization = 1;
  o.vector_index_kind = RETOLD_VECTOR_INDEX_FLAT;
  expect_new_fails(&o, RETOLD_EINVALID, "scalar_quantization", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.shingle_kind = 2;
  expect_new_fails(&o, RETOLD_EINVALID, "shingle_kind", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.minhash_scheme = 0; /* no placeholder: 1 or 2 */
  expect_new_fails(&o, RETOLD_EINVALID, "minhash_scheme", __LINE__);
  o.minhash_scheme = 3;
  expect_new_fails(&o, RETOLD_EINVALID, "minhash_scheme", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.num_hashes = 70000;
  expect_new_fails(&o, RETOLD_EINVALID, "num_hashes", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.lsh_bands = 8;
  expect_new_fails(&o, RETOLD_EINVALID, "lsh_rows", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.lsh_bands = 64;
  o.lsh_rows = 64; /* more than num_hashes */
  expect_new_fails(&o, RETOLD_EINVALID, "", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.lsh_threshold = 1.5;
  expect_new_fails(&o, RETOLD_EINVALID, "lsh_threshold", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.jaccard_threshold = 1.5;
  expect_new_fails(&o, RETOLD_EINVALID, "jaccard", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.cosine_threshold = NAN;
  expect_new_fails(&o, RETOLD_EINVALID, "cosine", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.copy_jaccard = 1.01;
  expect_new_fails(&o, RETOLD_EINVALID, "copy_jaccard", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.embedding_mode = 9;
  expect_new_fails(&o, RETOLD_EINVALID, "embedding_mode", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.embedding_mode = RETOLD_EMBEDDING_EXTERNAL;
  expect_new_fails(&o, RETOLD_EINVALID, "external_dimension", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.embedding_mode = RETOLD_EMBEDDING_NONE;
  o.external_dimension = 16;
  expect_new_fails(&o, RETOLD_EINVALID, "external_dimension", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.vector_index_kind = 5;
  expect_new_fails(&o, RETOLD_EINVALID, "vector_index_kind", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.time_window_seconds = -5;
  expect_new_fails(&o, RETOLD_EINVALID, "time_window", __LINE__);
  retold_dedup_options_init(&o, sizeof o);
  o.source_priority_count = 2;
  expect_new_fails(&o, RETOLD_EINVALID, "source_priority", __LINE__);
  o.source_priority = bad_priority;
  expect_new_fails(&o, RETOLD_EINVALID, "source_priority[1]", __LINE__);
}

/* Every option of retold::deduplicator_options reaches the library and reads back. */
static void test_every_option(void) {
  retold_dedup *d = NULL;
  retold_dedup_options o, got;
  float base[256], changed[256];
  uint64_t dim = 0;
  size_t k;
  int differs = 0;
  const char *priority[1];
  priority[0] = "AP";

  retold_dedup_options_init(&o, sizeof o);
  o.casefold = 0;
  o.fold_punctuation = 0;
  o.strip_boilerplate = 0;
  o.replace_invalid_utf8 = 1;
  o.keep_text = 1;
  o.shingle_kind = RETOLD_SHINGLE_CHARACTER;
  o.shingle_size = 7;
  o.num_hashes = 96;
  o.minhash_scheme = RETOLD_MINHASH_MULTIPLY_SHIFT;
  o.minhash_seed = 77;
  o.lsh_bands = 24;
  o.lsh_rows = 4;
  o.lsh_threshold = 0.3;
  o.embedder_dimension = 64;
  o.embedder_word_ngram_max = 2;
  o.embedder_char_ngram_min = 3;
  o.embedder_char_ngram_max = 5;
  o.embedder_sublinear_tf = 0;
  o.embedder_df_buckets_log2 = 12;
  o.embedder_word_weight = 1.5;
  o.embedder_number_weight = 3.0;
  o.embedder_char_weight = 0.5;
  o.embedder_word_ngram_weight = 0.25;
  o.embedder_seed = 99;
  o.vector_index_kind = RETOLD_VECTOR_INDEX_IVF;
  o.vector_index_nlist = 8;
  o.vector_index_nprobe = 4;
  o.vector_index_scalar_quantization = 1;
  o.vector_index_ivf_min_size = 1000;
  o.vector_index_seed = 5;
  o.sketch_words = 10;
  o.sketch_bigrams = 11;
  o.sketch_numbers = 12;
  o.sketch_names = 13;
  o.sketch_title_words = 14;
  o.sketch_trigrams = 15;
  o.sketch_seed = 16;
  o.vector_candidates = 7;
  o.decision = RETOLD_MATCH_RULE;
  o.threads = 1;
  o.match_threshold = 0.4;
  o.jaccard_threshold = 0.35;
  o.cosine_threshold = 0.6;
  o.combined_weight_jaccard = 0.7;
  o.combined_threshold = 0.45;
  o.copy_jaccard = 0.8;
  o.time_window_seconds = 7200;
  o.max_document_bytes = 9000;
  o.source_priority = priority;
  o.source_priority_count = 1;
  o.retention_seconds = 30 * 86400;
  o.snippet_bytes = 80;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  retold_dedup_options_init(&got, sizeof got);
  CHECK_RC(retold_dedup_get_options(d, &got), RETOLD_OK);
  got.source_priority = o.source_priority; /* points into the handle; compared below */
  CHECK(strcmp(priority[0], "AP") == 0);
  CHECK(memcmp(&o, &got, sizeof o) == 0); /* every field as given */
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), NULL, 0, &dim), RETOLD_EBUFSIZE);
  CHECK(dim == 64);
  retold_dedup_free(d);

  /* the embedder's options change the embedding (not only the dimension) */
  retold_dedup_options_init(&o, sizeof o);
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), base, 256, &dim), RETOLD_OK);
  retold_dedup_free(d);
  o.embedder_char_ngram_min = 0; /* words only */
  o.embedder_char_ngram_max = 0;
  o.embedder_number_weight = 5.0;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), changed, 256, &dim), RETOLD_OK);
  for (k = 0; k < 256; ++k) differs |= base[k] != changed[k];
  CHECK(differs);
  retold_dedup_free(d);
}

/* Presets set the match fields only. */
static void test_presets(void) {
  retold_dedup_options o, defaults;
  retold_dedup *d = NULL;
  retold_dedup_options_init(&defaults, sizeof defaults);
  retold_dedup_options_init(&o, sizeof o);
  o.time_window_seconds = 600;
  CHECK_RC(retold_dedup_options_apply_preset(&o, "copies"), RETOLD_OK);
  CHECK(o.decision == RETOLD_MATCH_RULE && o.jaccard_threshold == 0.5 && o.cosine_threshold == 1.0);
  CHECK(o.combined_weight_jaccard == 1.0 && o.combined_threshold == 1.0 && o.match_threshold == 0.0);
  CHECK(o.time_window_seconds == 600 && o.num_hashes == 128); /* the rest untouched */
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  retold_dedup_free(d);
  CHECK_RC(retold_dedup_options_apply_preset(&o, "stories"), RETOLD_OK);
  CHECK(o.decision == RETOLD_MATCH_AUTOMATIC && o.match_threshold > 0.0 && o.match_threshold < 1.0); /* presets.cpp tunes it */
  CHECK(o.jaccard_threshold == defaults.jaccard_threshold);
  CHECK_RC(retold_dedup_options_apply_preset(&o, "retellings"), RETOLD_OK);
  o.time_window_seconds = 0;
  CHECK(memcmp(&o, &defaults, sizeof o) == 0); /* retellings is the defaults */
  CHECK_RC(retold_dedup_options_apply_preset(&o, "Copies"), RETOLD_EINVALID);
  CHECK_MSG("copies, retellings, stories");
  CHECK_RC(retold_dedup_options_apply_preset(&o, NULL), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_options_apply_preset(NULL, "copies"), RETOLD_EINVALID);
  o.struct_size = 3;
  CHECK_RC(retold_dedup_options_apply_preset(&o, "copies"), RETOLD_EINVALID);
}

/* The struct_size rules with a caller newer than this library: larger structs whose unknown tail
   is zero are accepted; a set byte there is refused; larger output structs and element sizes
   are filled as far as the library knows, zeros after. */
struct newer_options {
  retold_dedup_options known;
  uint64_t future_field;
};
struct newer_document {
  retold_document known;
  uint64_t future_field;
};
struct newer_result {
  retold_add_result known;
  uint64_t future_field;
};
struct newer_match {
  retold_match known;
  uint64_t future_field;
};
struct newer_member {
  retold_cluster_member known;
  uint64_t future_a, future_b;
};
struct newer_stats {
  retold_stats known;
  double future_seconds;
};

/* A caller built against the first 1.0 draft of retold.h, before retention_seconds, snippet_bytes
   and the members' title and snippet were appended: its smaller structs are accepted, the fields
   it does not have take their defaults, and nothing is written past its structs. */
static void test_older_caller(void) {
  retold_dedup_options o;
  retold_dedup_options got;
  retold_dedup *d = NULL;
  retold_document doc;
  retold_cluster_list cl = RETOLD_CLUSTER_LIST_INIT;
  const size_t old_options = offsetof(retold_dedup_options, retention_seconds);
  const size_t old_member = offsetof(retold_cluster_member, title);
  unsigned char raw[sizeof(retold_dedup_options)];

  memset(raw, 0xcc, sizeof raw);
  CHECK_RC(retold_dedup_options_init((retold_dedup_options *)(void *)raw, (uint32_t)old_options), RETOLD_OK);
  CHECK(raw[old_options] == 0xcc && raw[sizeof raw - 1] == 0xcc); /* not written past its end */
  memcpy(&o, raw, sizeof o);
  o.time_window_seconds = 60;
  o.retention_seconds = 12345; /* garbage past the old struct: must be ignored */
  o.snippet_bytes = 7;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  retold_dedup_options_init(&got, sizeof got);
  CHECK_RC(retold_dedup_get_options(d, &got), RETOLD_OK);
  CHECK(got.time_window_seconds == 60 && got.retention_seconds == 0 && got.snippet_bytes == 240);
  /* get_options into the older struct: only its fields */
  memset(raw, 0xcc, sizeof raw);
  ((retold_dedup_options *)(void *)raw)->struct_size = (uint32_t)old_options;
  CHECK_RC(retold_dedup_get_options(d, (retold_dedup_options *)(void *)raw), RETOLD_OK);
  CHECK(raw[old_options] == 0xcc && ((retold_dedup_options *)(void *)raw)->time_window_seconds == 60);

  doc = make_doc("o1", RATE, "Wire", 1);
  doc.title = "Rates   up";
  doc.title_len = strlen(doc.title);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  doc = make_doc("o2", RATE_COPY, "Blog", 2);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  /* the current member: title and snippet */
  CHECK_RC(retold_dedup_clusters(d, 2, &cl), RETOLD_OK);
  CHECK(cl.count == 1);
  if (cl.count == 1) {
    const retold_cluster_member *m = cl.items[0].members;
    CHECK(strcmp(m[0].title, "Rates up") == 0 && strcmp(m[1].title, "") == 0);
    CHECK(strncmp(m[0].snippet, "The central bank of Examplestan", 31) == 0 && strlen(m[0].snippet) <= 240);
  }
  retold_cluster_list_dispose(&cl);
  /* the older member: laid out at its smaller stride, without them */
  cl.member_size = (uint32_t)old_member;
  CHECK_RC(retold_dedup_clusters(d, 2, &cl), RETOLD_OK);
  if (cl.count == 1) {
    const unsigned char *base = (const unsigned char *)(const void *)cl.items[0].members;
    const retold_cluster_member *second = (const retold_cluster_member *)(const void *)(base + old_member);
    CHECK(second->struct_size == old_member && strcmp(second->id, "o2") == 0 && second->timestamp == 2);
  }
  retold_cluster_list_dispose(&cl);
  cl.member_size = (uint32_t)old_member - 8; /* below the 1.0 size */
  CHECK_RC(retold_dedup_clusters(d, 2, &cl), RETOLD_EINVALID);
  CHECK_MSG("retold_cluster_member");
  cl.member_size = sizeof(retold_cluster_member);
  retold_dedup_free(d);

  /* snippet_bytes and retention_seconds as runtime options */
  retold_dedup_options_init(&o, sizeof o);
  o.snippet_bytes = 0;
  o.retention_seconds = -1;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_EINVALID);
  CHECK_MSG("retention_seconds");
  o.retention_seconds = 86400;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  doc = make_doc("s1", RATE, NULL, 1);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  CHECK_RC(retold_dedup_cluster(d, 1, &cl), RETOLD_OK);
  CHECK(cl.count == 1 && strcmp(cl.items[0].members[0].snippet, "") == 0);
  retold_cluster_list_dispose(&cl);
  retold_dedup_free(d);
}

static void test_struct_growth(void) {
  struct newer_options no;
  struct newer_document docs[3];
  struct newer_result results[3];
  struct newer_stats st;
  retold_query_options q = RETOLD_QUERY_OPTIONS_INIT;
  retold_match_list m = RETOLD_MATCH_LIST_INIT;
  retold_cluster_list cl = RETOLD_CLUSTER_LIST_INIT;
  retold_dedup *d = NULL;
  uint64_t added = 0, i;

  memset(&no, 0xee, sizeof no);
  CHECK_RC(retold_dedup_options_init(&no.known, sizeof no), RETOLD_OK);
  CHECK(no.future_field == 0 && no.known.struct_size == sizeof no);
  no.known.keep_text = 1;
  no.future_field = 1; /* asks for something this library cannot do */
  CHECK_RC(retold_dedup_new(&d, &no.known), RETOLD_EINVALID);
  CHECK_MSG("past its fields");
  CHECK(d == NULL);
  no.future_field = 0;
  CHECK_RC(retold_dedup_new(&d, &no.known), RETOLD_OK);

  /* documents and results with a larger stride */
  memset(docs, 0, sizeof docs);
  memset(results, 0x77, sizeof results);
  docs[0].known = make_doc("g1", RATE, "Wire", 1);
  docs[1].known = make_doc("g2", RATE_COPY, "Blog", 2);
  docs[2].known = make_doc("g3", FOOTBALL, NULL, 3);
  for (i = 0; i < 3; ++i) docs[i].known.struct_size = sizeof docs[0];
  docs[2].future_field = 9; /* this document asks for an unknown field: skipped */
  results[0].known.struct_size = sizeof results[0];
  CHECK_RC(retold_dedup_add_batch(d, &docs[0].known, 3, &results[0].known, &added), RETOLD_OK);
  CHECK(added == 2);
  CHECK(results[0].known.status == RETOLD_OK && results[0].known.new_story == 1);
  CHECK(results[1].known.status == RETOLD_OK && results[1].known.new_story == 0);
  CHECK(results[1].known.cluster_id == results[0].known.cluster_id);
  CHECK(results[2].known.status == RETOLD_EINVALID && strstr(results[2].known.error, "docs[2]") != NULL);
  for (i = 0; i < 3; ++i) CHECK(results[i].future_field == 0 && results[i].known.struct_size == sizeof results[0]);

  /* larger query options with a zero tail */
  {
    struct {
      retold_query_options known;
      uint64_t future_field;
    } nq;
    memset(&nq, 0, sizeof nq);
    nq.known = q;
    nq.known.struct_size = sizeof nq;
    CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), &nq.known, &m), RETOLD_OK);
    CHECK(m.count == 2);
    retold_match_list_dispose(&m);
    nq.future_field = 3;
    CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), &nq.known, &m), RETOLD_EINVALID);
    CHECK_MSG("retold_query_options");
  }

  /* a list with a larger item size: items are laid out at the caller's stride */
  m.item_size = sizeof(struct newer_match);
  CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), NULL, &m), RETOLD_OK);
  CHECK(m.count == 2);
  {
    const struct newer_match *items = (const struct newer_match *)(const void *)m.items;
    for (i = 0; i < m.count; ++i) {
      CHECK(items[i].known.struct_size == sizeof(struct newer_match) && items[i].future_field == 0);
      CHECK(strcmp(items[i].known.id, i == 0 ? "g1" : "g2") == 0 || strcmp(items[i].known.id, i == 0 ? "g2" : "g1") == 0);
    }
  }
  retold_match_list_dispose(&m);
  CHECK(m.item_size == sizeof(struct newer_match));

  cl.member_size = sizeof(struct newer_member);
  CHECK_RC(retold_dedup_clusters(d, 2, &cl), RETOLD_OK);
  CHECK(cl.count == 1);
  if (cl.count == 1) {
    const struct newer_member *members = (const struct newer_member *)(const void *)cl.items[0].members;
    CHECK(cl.items[0].member_count == 2 && cl.items[0].struct_size == sizeof(retold_cluster));
    CHECK(strcmp(members[0].known.id, "g1") == 0 && strcmp(members[1].known.id, "g2") == 0);
    CHECK(strcmp(members[1].known.source, "Blog") == 0 && members[1].known.timestamp == 2);
    CHECK(members[1].future_a == 0 && members[1].future_b == 0);
  }
  retold_cluster_list_dispose(&cl);
  cl.member_size = sizeof(retold_cluster_member) + 4; /* not a multiple of its alignment */
  CHECK_RC(retold_dedup_clusters(d, 2, &cl), RETOLD_EINVALID);
  CHECK_MSG("alignment");

  /* the lists themselves from a newer header: the bytes past this library's fields are zeroed */
  {
    struct {
      retold_match_list known;
      uint64_t future_field;
    } nm;
    struct {
      retold_cluster_list known;
      uint64_t future_field;
    } nc;
    retold_match_list m0 = RETOLD_MATCH_LIST_INIT;
    retold_cluster_list c0 = RETOLD_CLUSTER_LIST_INIT;
    memset(&nm, 0, sizeof nm);
    memset(&nc, 0, sizeof nc);
    nm.known = m0;
    nc.known = c0;
    nm.known.struct_size = sizeof nm;
    nc.known.struct_size = sizeof nc;
    nm.future_field = 0x5555;
    nc.future_field = 0x5555;
    CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), NULL, &nm.known), RETOLD_OK);
    CHECK(nm.known.count == 2 && nm.future_field == 0);
    retold_match_list_dispose(&nm.known);
    CHECK_RC(retold_dedup_clusters(d, 2, &nc.known), RETOLD_OK);
    CHECK(nc.known.count == 1 && nc.future_field == 0);
    retold_cluster_list_dispose(&nc.known);
  }

  /* stats into a larger struct: the tail is zeroed */
  memset(&st, 0x33, sizeof st);
  st.known.struct_size = sizeof st;
  CHECK_RC(retold_dedup_stats(d, &st.known), RETOLD_OK);
  CHECK(st.known.documents == 2 && st.future_seconds == 0.0 && st.known.struct_size == sizeof st);
  retold_dedup_free(d);
}


int main(void) {
  test_versions_and_errors();
  test_options_init();
  test_new_and_options();
  test_every_option();
  test_presets();
  test_struct_growth();
  test_older_caller();
  return capi_check_finish("capi_options_test");
}
