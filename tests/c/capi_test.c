/*
 * tests/c/capi_test.c - the C ABI exercised from plain C99: every function, every error path,
 * and misuse (NULL handles and out-pointers, wrong buffer sizes, invalid UTF-8, struct sizes
 * this library does not accept, wrong handle types), the struct_size growth rules, every option,
 * presets, and loading with runtime overrides that leave every other field as saved. Registered with CTest; exits non-zero on the first run with a
 * failed check and prints every failure with the library's last error message.
 */
#define _XOPEN_SOURCE 700

#include <retold/retold.h>

#include <ftw.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    ++checks;                                                                              \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n  last error: %s\n", __FILE__, __LINE__, \
              #cond, retold_last_error());                                                 \
      ++failures;                                                                          \
    }                                                                                      \
  } while (0)

#define CHECK_RC(call, expected)                                                                  \
  do {                                                                                            \
    int rc_ = (call);                                                                             \
    ++checks;                                                                                     \
    if (rc_ != (expected)) {                                                                      \
      fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d (%s)\n  last error: %s\n",       \
              __FILE__, __LINE__, #call, rc_, retold_error_name(rc_), (int)(expected),            \
              retold_error_name(expected), retold_last_error());                                  \
      ++failures;                                                                                 \
    }                                                                                             \
  } while (0)

/* The last error message contains `needle` (messages must name what was wrong). */
#define CHECK_MSG(needle)                                                                   \
  do {                                                                                      \
    ++checks;                                                                               \
    if (strstr(retold_last_error(), (needle)) == NULL) {                                    \
      fprintf(stderr, "%s:%d: last error \"%s\" does not mention \"%s\"\n", __FILE__,      \
              __LINE__, retold_last_error(), (needle));                                     \
      ++failures;                                                                           \
    }                                                                                       \
  } while (0)

/* ---- texts: one story told three times, plus unrelated reports */
static const char *const RATE =
    "The central bank of Examplestan raised its main interest rate by half a percentage point "
    "on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor "
    "Ana Petrova told reporters in the capital after the board meeting that further increases "
    "could not be ruled out if the currency kept weakening against the dollar and the euro.";
static const char *const RATE_COPY =
    "The central bank of Examplestan raised its main interest rate by half a percentage point "
    "on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor "
    "Ana Petrova told reporters in the capital after the board meeting that further increases "
    "could not be ruled out if the currency kept weakening against the dollar and the euro. "
    "Analysts polled last week had expected the move.";
static const char *const FOOTBALL =
    "Riverside United beat Harbour City 3-1 in the cup semi-final on Saturday, with two late "
    "goals from the substitute striker sealing a place in the final for the first time since "
    "1998. The coach praised the young squad and said the club would now aim for the title.";
static const char *const WEATHER =
    "Forecasters expect heavy snow across the northern mountains over the weekend, with up to "
    "forty centimetres on the high passes, and warned drivers to carry chains. Temperatures in "
    "the lowlands will stay just above freezing until Wednesday, when a warmer front arrives.";

static retold_document make_doc(const char *id, const char *text, const char *source, int64_t ts) {
  retold_document d = RETOLD_DOCUMENT_INIT;
  d.id = id;
  d.text = text;
  d.text_len = text ? strlen(text) : 0;
  d.source = source;
  d.timestamp = ts;
  return d;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static int flip_byte(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)ftw;
  if (flag == FTW_F && sb->st_size > 0) {
    FILE *f = fopen(path, "r+b");
    if (f) {
      long at = (long)(sb->st_size / 2);
      int c;
      fseek(f, at, SEEK_SET);
      c = fgetc(f);
      fseek(f, at, SEEK_SET);
      fputc(c ^ 0x5a, f);
      fclose(f);
    }
  }
  return 0;
}

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

static void test_documents(void) {
  retold_dedup *d = NULL;
  retold_dedup_options o;
  const char *priority[1];
  retold_document doc;
  retold_add_result r = RETOLD_ADD_RESULT_INIT;
  char long_id[1100];
  int32_t yes = -1;
  uint64_t cluster = 0, rate_cluster = 0, n = 0;
  retold_stats st = RETOLD_STATS_INIT;

  retold_dedup_options_init(&o, sizeof o);
  priority[0] = "Wire";
  o.source_priority = priority;
  o.source_priority_count = 1;
  o.max_document_bytes = 2000;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);

  /* a first report opens a story */
  doc = make_doc("blog-rate", RATE, "Blog", 1000);
  memset(&r, 0xab, sizeof r);
  r.struct_size = sizeof r;
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);
  CHECK(r.status == RETOLD_OK && r.new_story == 1 && r.cluster_id != 0 && r.has_leader == 0);
  CHECK(r.leader_id == NULL && r.error == NULL && r.struct_size == sizeof r);
  rate_cluster = r.cluster_id;

  /* its copy joins it, decided against the leader */
  doc = make_doc("wire-rate", RATE_COPY, "Wire", 900);
  doc.title = "Examplestan raises rates";
  doc.title_len = strlen(doc.title);
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);
  CHECK(r.status == RETOLD_OK && r.new_story == 0 && r.cluster_id == rate_cluster);
  CHECK(r.has_leader == 1 && r.candidates >= 1);
  CHECK(r.leader_id != NULL && strcmp(r.leader_id, "blog-rate") == 0);
  CHECK(r.leader_scores.decision != RETOLD_DECISION_REJECTED);
  CHECK(r.leader_scores.score > 0.5 && r.leader_scores.score <= 1.0);
  CHECK(r.leader_scores.jaccard > 0.5 && r.leader_scores.has_cosine == 1);

  /* unrelated reports open their own stories; the result pointer is optional */
  doc = make_doc("football", FOOTBALL, NULL, 2000);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  doc = make_doc("weather", WEATHER, "Met", 3000);
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);
  CHECK(r.new_story == 1 && r.cluster_id != rate_cluster);

  /* an empty text is allowed: a singleton story */
  doc = make_doc("empty", "", NULL, 4000);
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);
  CHECK(r.new_story == 1);
  doc = make_doc("null-text", NULL, NULL, 4000);
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);

  /* every refusal, and nothing stored after one */
  doc = make_doc("blog-rate", WEATHER, NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_EDUPLICATE);
  CHECK_MSG("blog-rate");
  doc = make_doc("bad-utf8", "Valid start \xff\xfe then garbage", NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_EUTF8);
  CHECK_MSG("bad-utf8");
  CHECK_MSG("12"); /* the byte offset of the first bad byte */
  doc = make_doc("bad-utf8-overlong", "overlong \xc0\xaf slash", NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EUTF8);
  doc = make_doc("bad-utf8-surrogate", "surrogate \xed\xa0\x80 half", NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EUTF8);
  doc = make_doc("bad-utf8-truncated", "cut \xe2\x82", NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EUTF8);
  doc = make_doc("bad-title", RATE, NULL, 5);
  doc.title = "Title \x80";
  doc.title_len = strlen(doc.title);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EUTF8);
  doc = make_doc("bad-source", RATE, "Sour\xc3", 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EUTF8);
  CHECK_MSG("source");
  doc = make_doc("bad-id-\xff", RATE, NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EUTF8);
  doc = make_doc("", RATE, NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINVALID);
  CHECK_MSG("empty");
  memset(long_id, 'x', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  doc = make_doc(long_id, RATE, NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINVALID);
  CHECK_MSG("1024");
  doc = make_doc(NULL, RATE, NULL, 5);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINVALID);
  CHECK_MSG("id is NULL");
  doc = make_doc("null-with-length", NULL, NULL, 5);
  doc.text_len = 10;
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINVALID);
  doc = make_doc("null-title", RATE, NULL, 5);
  doc.title_len = 3;
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINVALID);
  doc = make_doc("bad-size", RATE, NULL, 5);
  doc.struct_size = 0;
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINVALID);
  CHECK_MSG("retold_document");
  doc = make_doc("bad-result-size", RATE, NULL, 5);
  r.struct_size = 4;
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_EINVALID); /* checked before anything is stored */
  CHECK_MSG("retold_add_result");
  r.struct_size = sizeof r;
  doc = make_doc("vector-null", RATE, NULL, 5);
  doc.vector_dim = 4;
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINVALID);
  {
    static char big[2100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    doc = make_doc("too-big", big, NULL, 5);
    CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_ETOOLARGE);
    CHECK_MSG("too-big");
  }
  doc = make_doc("orphan", RATE, NULL, 5);
  CHECK_RC(retold_dedup_add(NULL, &doc, NULL), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_add(d, NULL, NULL), RETOLD_EINVALID);
  CHECK_MSG("doc is NULL");

  CHECK_RC(retold_dedup_stats(d, &st), RETOLD_OK);
  CHECK(st.documents == 6 && st.clusters == 5 && st.multi_member_clusters == 1);
  CHECK(st.documents_added_total == 6 && st.documents_removed_total == 0 && st.memory_bytes > 0);
  /* the per-stage timings of add reach C */
  CHECK(st.frequency_documents <= st.documents);
  CHECK(st.add_features_seconds > 0.0 && st.add_embed_seconds > 0.0);
  CHECK(st.add_candidates_seconds >= 0.0 && st.add_verify_cluster_seconds > 0.0 && st.add_index_add_seconds >= 0.0);
  CHECK_RC(retold_dedup_stats(NULL, &st), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_stats(d, NULL), RETOLD_EINVALID);
  st.struct_size = 12;
  CHECK_RC(retold_dedup_stats(d, &st), RETOLD_EINVALID);
  CHECK_MSG("retold_stats");
  st.struct_size = sizeof st;

  /* lookups */
  CHECK_RC(retold_dedup_contains(d, "wire-rate", &yes), RETOLD_OK);
  CHECK(yes == 1);
  CHECK_RC(retold_dedup_contains(d, "bad-utf8", &yes), RETOLD_OK);
  CHECK(yes == 0);
  CHECK_RC(retold_dedup_contains(d, "not valid \xff", &yes), RETOLD_OK);
  CHECK(yes == 0);
  CHECK_RC(retold_dedup_contains(NULL, "x", &yes), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_contains(d, NULL, &yes), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_contains(d, "x", NULL), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_cluster_of(d, "wire-rate", &cluster), RETOLD_OK);
  CHECK(cluster == rate_cluster);
  CHECK_RC(retold_dedup_cluster_of(d, "nobody", &cluster), RETOLD_ENOTFOUND);
  CHECK_MSG("nobody");
  CHECK_RC(retold_dedup_cluster_of(d, NULL, &cluster), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_cluster_of(d, "wire-rate", NULL), RETOLD_EINVALID);

  /* representative: the wire copy is earlier, so it represents the story the blog leads */
  {
    char buf[64];
    uint64_t len = 0;
    CHECK_RC(retold_dedup_representative_of(d, "blog-rate", NULL, 0, &len), RETOLD_EBUFSIZE);
    CHECK(len == strlen("wire-rate"));
    CHECK_RC(retold_dedup_representative_of(d, "blog-rate", buf, len, &len), RETOLD_EBUFSIZE);
    CHECK_MSG("10"); /* the bytes needed */
    memset(buf, 0, sizeof buf);
    CHECK_RC(retold_dedup_representative_of(d, "blog-rate", buf, len + 1, &len), RETOLD_OK);
    CHECK(strcmp(buf, "wire-rate") == 0);
    CHECK_RC(retold_dedup_representative_of(d, "football", buf, sizeof buf, &len), RETOLD_OK);
    CHECK(strcmp(buf, "football") == 0 && len == 8);
    CHECK_RC(retold_dedup_representative_of(d, "nobody", buf, sizeof buf, &len), RETOLD_ENOTFOUND);
    CHECK_RC(retold_dedup_representative_of(d, "football", NULL, 5, &len), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_representative_of(d, "football", buf, sizeof buf, NULL), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_representative_of(NULL, "football", buf, sizeof buf, &len), RETOLD_EINVALID);
  }

  /* one story and all stories */
  {
    retold_cluster_list one = RETOLD_CLUSTER_LIST_INIT;
    retold_cluster_list all = RETOLD_CLUSTER_LIST_INIT;
    retold_cluster_list multi = RETOLD_CLUSTER_LIST_INIT;
    uint64_t i;
    uint64_t members = 0;
    CHECK_RC(retold_dedup_cluster(d, rate_cluster, &one), RETOLD_OK);
    CHECK(one.count == 1 && one.items != NULL);
    if (one.count == 1) {
      const retold_cluster *c = &one.items[0];
      CHECK(c->id == rate_cluster && c->member_count == 2);
      CHECK(strcmp(c->leader, "blog-rate") == 0);
      CHECK(strcmp(c->representative, "wire-rate") == 0);
      CHECK(strcmp(c->members[0].id, "blog-rate") == 0 && strcmp(c->members[0].source, "Blog") == 0);
      CHECK(c->members[0].timestamp == 1000 && c->members[0].scores.score == 1.0);
      CHECK(strcmp(c->members[1].id, "wire-rate") == 0 && strcmp(c->members[1].source, "Wire") == 0);
      CHECK(c->members[1].timestamp == 900);
      CHECK(c->members[1].scores.decision != RETOLD_DECISION_REJECTED);
    }
    retold_cluster_list_dispose(&one);
    CHECK(one.items == NULL && one.count == 0 && one.internal_ == NULL);
    CHECK(one.struct_size == sizeof one && one.item_size == sizeof(retold_cluster)); /* kept for reuse */
    retold_cluster_list_dispose(&one); /* twice is fine once disposed */
    retold_cluster_list_dispose(NULL);

    CHECK_RC(retold_dedup_cluster(d, 987654, &one), RETOLD_ENOTFOUND);
    CHECK_MSG("987654");
    CHECK(one.count == 0 && one.items == NULL);
    retold_cluster_list_dispose(&one);
    CHECK_RC(retold_dedup_cluster(d, 0, &one), RETOLD_ENOTFOUND);
    CHECK_RC(retold_dedup_cluster(NULL, rate_cluster, &one), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_cluster(d, rate_cluster, NULL), RETOLD_EINVALID);

    CHECK_RC(retold_dedup_clusters(d, 0, &all), RETOLD_OK);
    CHECK(all.count == 5);
    for (i = 0; i < all.count; ++i) {
      members += all.items[i].member_count;
      if (i > 0) CHECK(all.items[i].id > all.items[i - 1].id);
      /* the member without a source reads back as "" */
      if (strcmp(all.items[i].leader, "football") == 0) CHECK(strcmp(all.items[i].members[0].source, "") == 0);
    }
    CHECK(members == 6);
    CHECK_RC(retold_dedup_clusters(d, 2, &multi), RETOLD_OK);
    CHECK(multi.count == 1 && multi.items[0].id == rate_cluster);
    retold_cluster_list_dispose(&all);
    retold_cluster_list_dispose(&multi);
    CHECK_RC(retold_dedup_clusters(d, 100, &multi), RETOLD_OK);
    CHECK(multi.count == 0);
    retold_cluster_list_dispose(&multi);
    CHECK_RC(retold_dedup_clusters(NULL, 0, &all), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_clusters(d, 0, NULL), RETOLD_EINVALID);
  }

  /* explain */
  {
    retold_explanation e = RETOLD_EXPLANATION_INIT;
    CHECK_RC(retold_dedup_explain(d, "blog-rate", "wire-rate", &e), RETOLD_OK);
    CHECK(e.scores.decision != RETOLD_DECISION_REJECTED && e.scores.jaccard > 0.5);
    CHECK(e.shared_passage != NULL); /* "" without keep_text */
    CHECK(e.feature_count >= 14 && e.features != NULL && e.probability > 0.5 && e.probability < 1.0);
    {
      double sum = 0.0;
      uint64_t k;
      int has_cosine = 0;
      CHECK(e.features[0].name != NULL && strcmp(e.features[0].name, "jaccard") == 0 && e.features[0].value > 0.5);
      for (k = 0; k < e.feature_count; ++k) {
        CHECK(e.features[k].struct_size == sizeof(retold_feature));
        sum += e.features[k].contribution;
        has_cosine |= strcmp(e.features[k].name, "cosine") == 0 && e.features[k].value > 0.5;
      }
      CHECK(has_cosine && sum == sum); /* every contribution is a number */
    }
    /* filling it again without disposing would leak: refused */
    CHECK_RC(retold_dedup_explain(d, "blog-rate", "wire-rate", &e), RETOLD_EINVALID);
    CHECK_MSG("dispose");
    retold_explanation_dispose(&e);
    CHECK(e.internal_ == NULL && e.shared_terms == NULL && e.features == NULL && e.feature_count == 0);
    CHECK(e.struct_size == sizeof e && e.feature_size == sizeof(retold_feature));
    CHECK_RC(retold_dedup_explain(d, "blog-rate", "football", &e), RETOLD_OK);
    CHECK(e.scores.decision == RETOLD_DECISION_REJECTED && e.scores.score < 0.5);
    retold_explanation_dispose(&e);
    CHECK_RC(retold_dedup_explain(d, "blog-rate", "nobody", &e), RETOLD_ENOTFOUND);
    CHECK_MSG("nobody");
    retold_explanation_dispose(&e);
    CHECK_RC(retold_dedup_explain(d, NULL, "x", &e), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_explain(d, "x", NULL, &e), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_explain(d, "blog-rate", "wire-rate", NULL), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_explain(NULL, "blog-rate", "wire-rate", &e), RETOLD_EINVALID);
    e.feature_size = 3;
    CHECK_RC(retold_dedup_explain(d, "blog-rate", "wire-rate", &e), RETOLD_EINVALID);
    CHECK_MSG("retold_feature");
    retold_explanation_dispose(NULL);
  }

  /* remove and evict */
  CHECK_RC(retold_dedup_remove(d, "blog-rate"), RETOLD_OK);
  CHECK_RC(retold_dedup_contains(d, "blog-rate", &yes), RETOLD_OK);
  CHECK(yes == 0);
  CHECK_RC(retold_dedup_cluster_of(d, "wire-rate", &cluster), RETOLD_OK);
  CHECK(cluster == rate_cluster); /* the story keeps its id; the next member leads */
  CHECK_RC(retold_dedup_remove(d, "blog-rate"), RETOLD_ENOTFOUND);
  CHECK_MSG("blog-rate");
  CHECK_RC(retold_dedup_remove(d, NULL), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_evict_before(d, 2500, &n), RETOLD_OK);
  CHECK(n == 2); /* wire-rate (900), football (2000) */
  CHECK_RC(retold_dedup_evict_before(d, 2500, &n), RETOLD_OK);
  CHECK(n == 0);
  CHECK_RC(retold_dedup_evict_before(d, 0, NULL), RETOLD_OK);
  CHECK_RC(retold_dedup_evict_before(NULL, 0, &n), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_stats(d, &st), RETOLD_OK);
  CHECK(st.documents == 3 && st.documents_removed_total == 3 && st.documents_added_total == 6);
  retold_dedup_free(d);
}

static void test_batch(void) {
  retold_dedup *d = NULL;
  retold_dedup_options o;
  retold_document docs[7];
  retold_add_result r[7];
  uint64_t added = 99;
  int i;
  retold_dedup_options_init(&o, sizeof o);
  o.threads = 2;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  docs[0] = make_doc("a", RATE, "Blog", 1);
  docs[1] = make_doc("b", FOOTBALL, "Sport", 2);
  docs[2] = make_doc(NULL, WEATHER, NULL, 3);             /* refused by the shim */
  docs[3] = make_doc("c", "bad \xff utf8", NULL, 4);       /* refused by the library */
  docs[4] = make_doc("a", WEATHER, NULL, 5);               /* duplicate of docs[0] */
  docs[5] = make_doc("d", RATE_COPY, "Wire", 6);           /* joins docs[0] */
  docs[6] = make_doc("e", WEATHER, "Met", 7);
  memset(r, 0xcd, sizeof r);
  r[0].struct_size = sizeof r[0]; /* element 0 gives the stride */
  retold_error_clear();
  CHECK_RC(retold_dedup_add_batch(d, docs, 7, r, &added), RETOLD_OK);
  CHECK(added == 4);
  CHECK(r[0].status == RETOLD_OK && r[0].new_story == 1);
  CHECK(r[1].status == RETOLD_OK && r[1].new_story == 1 && r[1].cluster_id != r[0].cluster_id);
  CHECK(r[2].status == RETOLD_EINVALID && r[2].cluster_id == 0);
  CHECK(r[3].status == RETOLD_EUTF8 && r[3].cluster_id == 0);
  CHECK(r[4].status == RETOLD_EDUPLICATE && r[4].cluster_id == 0);
  CHECK(r[5].status == RETOLD_OK && r[5].new_story == 0 && r[5].cluster_id == r[0].cluster_id);
  CHECK(r[5].has_leader == 1 && r[5].leader_id != NULL && strcmp(r[5].leader_id, "a") == 0);
  for (i = 0; i < 7; ++i) CHECK(r[i].struct_size == sizeof r[i]);
  CHECK(r[6].status == RETOLD_OK && r[6].new_story == 1);
  /* every skipped document says why; the others have no message */
  CHECK(r[0].error == NULL && r[1].error == NULL && r[5].error == NULL && r[6].error == NULL);
  CHECK(r[2].error != NULL && strstr(r[2].error, "docs[2]") != NULL && strstr(r[2].error, "id is NULL") != NULL);
  CHECK(r[3].error != NULL && strstr(r[3].error, "docs[3]") != NULL && strstr(r[3].error, "'c'") != NULL);
  CHECK(r[4].error != NULL && strstr(r[4].error, "docs[4]") != NULL && strstr(r[4].error, "'a'") != NULL);
  /* the first skipped document's message is this thread's last error */
  CHECK(retold_last_error_code() == RETOLD_EINVALID);
  CHECK_MSG("docs[2]");

  /* the same batch again: everything is a duplicate now except the refused ones */
  CHECK_RC(retold_dedup_add_batch(d, docs, 7, NULL, &added), RETOLD_OK);
  CHECK(added == 0);
  CHECK_RC(retold_dedup_add_batch(d, docs, 0, NULL, &added), RETOLD_OK);
  CHECK(added == 0);
  CHECK_RC(retold_dedup_add_batch(d, NULL, 0, NULL, NULL), RETOLD_OK);
  CHECK_RC(retold_dedup_add_batch(d, NULL, 3, r, &added), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_add_batch(NULL, docs, 7, r, &added), RETOLD_EINVALID);
  /* element 0 sets the stride: a bad one, or an element of another size, refuses the call */
  docs[0].struct_size = 0;
  CHECK_RC(retold_dedup_add_batch(d, docs, 7, r, &added), RETOLD_EINVALID);
  CHECK_MSG("docs[0]");
  docs[0].struct_size = sizeof docs[0];
  docs[4].struct_size = sizeof docs[0] + 8;
  CHECK_RC(retold_dedup_add_batch(d, docs, 7, r, &added), RETOLD_EINVALID);
  CHECK_MSG("docs[4]");
  docs[4].struct_size = sizeof docs[0];
  r[0].struct_size = 0;
  CHECK_RC(retold_dedup_add_batch(d, docs, 7, r, &added), RETOLD_EINVALID);
  CHECK_MSG("results[0]");
  CHECK(added == 0);
  retold_dedup_free(d);
}

static void test_queries_and_features(void) {
  retold_dedup *d = NULL;
  retold_dedup *lexical = NULL;
  retold_dedup *small = NULL;
  retold_dedup_options o;
  retold_query_options q = RETOLD_QUERY_OPTIONS_INIT;
  retold_match_list m = RETOLD_MATCH_LIST_INIT;
  retold_document doc;
  float emb[256];
  float norm = 0.0f;
  uint64_t dim = 0, i;

  retold_dedup_options_init(&o, sizeof o);
  o.keep_text = 1;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  doc = make_doc("rate", RATE, "Blog", 1000);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  doc = make_doc("football", FOOTBALL, NULL, 2000);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  doc = make_doc("weather", WEATHER, NULL, 3000);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);

  /* by text */
  CHECK_RC(retold_dedup_query(d, RATE_COPY, strlen(RATE_COPY), NULL, &m), RETOLD_OK);
  CHECK(m.count == 1 && m.items != NULL);
  if (m.count >= 1) {
    CHECK(strcmp(m.items[0].id, "rate") == 0 && m.items[0].cluster_id != 0);
    CHECK(m.items[0].struct_size == sizeof(retold_match));
    CHECK(m.items[0].scores.score > 0.5 && m.items[0].scores.decision != RETOLD_DECISION_REJECTED);
  }
  retold_match_list_dispose(&m);
  CHECK(m.items == NULL && m.count == 0);
  retold_match_list_dispose(&m);
  retold_match_list_dispose(NULL);
  /* a query stores nothing */
  {
    retold_stats st = RETOLD_STATS_INIT;
    CHECK_RC(retold_dedup_stats(d, &st), RETOLD_OK);
    CHECK(st.documents == 3);
  }
  /* top_k and rejected candidates */
  q.include_rejected = 1;
  q.top_k = 10;
  CHECK_RC(retold_dedup_query(d, RATE_COPY, strlen(RATE_COPY), &q, &m), RETOLD_OK);
  CHECK(m.count >= 1);
  for (i = 1; i < m.count; ++i) CHECK(m.items[i].scores.score <= m.items[i - 1].scores.score);
  retold_match_list_dispose(&m);
  /* a caller's own threshold: rejected candidates above it, nothing under it */
  q.min_score = 0.05;
  CHECK_RC(retold_dedup_query(d, RATE_COPY, strlen(RATE_COPY), &q, &m), RETOLD_OK);
  CHECK(m.count >= 1);
  for (i = 0; i < m.count; ++i) CHECK(m.items[i].scores.score >= 0.05);
  retold_match_list_dispose(&m);
  q.min_score = 1.0; /* only the stored copy of the text itself scores 1 */
  CHECK_RC(retold_dedup_query(d, FOOTBALL, strlen(FOOTBALL), &q, &m), RETOLD_OK);
  CHECK(m.count == 1 && strcmp(m.items[0].id, "football") == 0);
  retold_match_list_dispose(&m);
  q.min_score = 1.5;
  CHECK_RC(retold_dedup_query(d, RATE_COPY, strlen(RATE_COPY), &q, &m), RETOLD_EINVALID);
  CHECK_MSG("min_score");
  q.min_score = 0.0;
  q.include_rejected = 0;
  q.top_k = 0;
  CHECK_RC(retold_dedup_query(d, RATE_COPY, strlen(RATE_COPY), &q, &m), RETOLD_OK);
  CHECK(m.count == 0);
  retold_match_list_dispose(&m);
  /* the time window applies only when configured: none here, so a far timestamp still matches */
  q.top_k = 10;
  q.has_timestamp = 1;
  q.timestamp = 999999999;
  CHECK_RC(retold_dedup_query(d, RATE_COPY, strlen(RATE_COPY), &q, &m), RETOLD_OK);
  CHECK(m.count == 1);
  retold_match_list_dispose(&m);
  /* a text that is only a prefix (not NUL-terminated at text_len) */
  CHECK_RC(retold_dedup_query(d, RATE, 100, NULL, &m), RETOLD_OK);
  retold_match_list_dispose(&m);
  CHECK_RC(retold_dedup_query(d, NULL, 0, NULL, &m), RETOLD_OK);
  CHECK(m.count == 0);
  retold_match_list_dispose(&m);
  /* errors leave the list empty */
  m.count = 77;
  CHECK_RC(retold_dedup_query(d, "bad \xff", 5, NULL, &m), RETOLD_EUTF8);
  CHECK(m.count == 0 && m.items == NULL);
  CHECK_RC(retold_dedup_query(d, NULL, 5, NULL, &m), RETOLD_EINVALID);
  q.struct_size = 0;
  CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), &q, &m), RETOLD_EINVALID);
  CHECK_MSG("retold_query_options");
  q.struct_size = sizeof q;
  m.item_size = 4;
  CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), NULL, &m), RETOLD_EINVALID);
  CHECK_MSG("retold_match");
  m.item_size = sizeof(retold_match);
  /* a list still holding results is refused (filling it would leak them) */
  CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), NULL, &m), RETOLD_OK);
  CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), NULL, &m), RETOLD_EINVALID);
  CHECK_MSG("dispose");
  retold_match_list_dispose(&m);
  CHECK_RC(retold_dedup_query(NULL, RATE, strlen(RATE), NULL, &m), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_query(d, RATE, strlen(RATE), NULL, NULL), RETOLD_EINVALID);

  /* embeddings: unit length, and the embedding of a stored text finds it by vector */
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), NULL, 0, &dim), RETOLD_EBUFSIZE);
  CHECK(dim == 256);
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), emb, 255, &dim), RETOLD_EBUFSIZE);
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), emb, 256, &dim), RETOLD_OK);
  for (i = 0; i < 256; ++i) norm += emb[i] * emb[i];
  CHECK(fabs(norm - 1.0f) < 1e-3);
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), NULL, 10, &dim), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), emb, 256, NULL), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_compute_embedding(d, "\xff", 1, emb, 256, &dim), RETOLD_EUTF8);
  CHECK_RC(retold_dedup_compute_embedding(NULL, RATE, strlen(RATE), emb, 256, &dim), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_query_vector(d, emb, 256, NULL, &m), RETOLD_OK);
  CHECK(m.count >= 1 && strcmp(m.items[0].id, "rate") == 0 && m.items[0].scores.cosine > 0.9);
  retold_match_list_dispose(&m);
  CHECK_RC(retold_dedup_query_vector(d, emb, 128, NULL, &m), RETOLD_EINCOMPATIBLE);
  CHECK_MSG("128");
  CHECK_RC(retold_dedup_query_vector(d, NULL, 256, NULL, &m), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_query_vector(NULL, emb, 256, NULL, &m), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_query_vector(d, emb, 256, NULL, NULL), RETOLD_EINVALID);
  emb[3] = NAN;
  CHECK_RC(retold_dedup_query_vector(d, emb, 256, NULL, &m), RETOLD_EINVALID);

  /* explain with KEEP_TEXT shows what the two texts share */
  doc = make_doc("rate-copy", RATE_COPY, "Wire", 1100);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  {
    retold_explanation e = RETOLD_EXPLANATION_INIT;
    CHECK_RC(retold_dedup_explain(d, "rate", "rate-copy", &e), RETOLD_OK);
    CHECK(e.shared_term_count > 0 && e.shared_terms != NULL);
    for (i = 0; i < e.shared_term_count; ++i) CHECK(e.shared_terms[i] != NULL && e.shared_terms[i][0] != '\0');
    CHECK(strstr(e.shared_passage, "examplestan") != NULL);
    retold_explanation_dispose(&e);
  }

  /* signatures */
  {
    retold_signature *s1 = NULL, *s2 = NULL, *s3 = NULL, *other = NULL, *back = NULL;
    uint32_t values[128];
    uint8_t bytes[20 + 4 * 128];
    uint64_t count = 0, len = 0;
    double j = -1.0;
    retold_dedup_options so;
    retold_dedup_options_init(&so, sizeof so);

    CHECK_RC(retold_dedup_compute_signature(d, RATE, strlen(RATE), &s1), RETOLD_OK);
    CHECK_RC(retold_dedup_compute_signature(d, RATE_COPY, strlen(RATE_COPY), &s2), RETOLD_OK);
    CHECK_RC(retold_dedup_compute_signature(d, FOOTBALL, strlen(FOOTBALL), &s3), RETOLD_OK);
    CHECK_RC(retold_signature_jaccard(s1, s2, &j), RETOLD_OK);
    CHECK(j > 0.5 && j <= 1.0);
    CHECK_RC(retold_signature_jaccard(s1, s3, &j), RETOLD_OK);
    CHECK(j < 0.1);
    CHECK_RC(retold_signature_jaccard(s1, s1, &j), RETOLD_OK);
    CHECK(j == 1.0);
    CHECK_RC(retold_signature_jaccard(s1, NULL, &j), RETOLD_EINVALID);
    CHECK_RC(retold_signature_jaccard(NULL, s1, &j), RETOLD_EINVALID);
    CHECK_RC(retold_signature_jaccard(s1, s2, NULL), RETOLD_EINVALID);

    CHECK_RC(retold_signature_values(s1, NULL, 0, &count), RETOLD_EBUFSIZE);
    CHECK(count == 128);
    CHECK_RC(retold_signature_values(s1, values, 127, &count), RETOLD_EBUFSIZE);
    CHECK_RC(retold_signature_values(s1, values, 128, &count), RETOLD_OK);
    CHECK_RC(retold_signature_values(s1, NULL, 4, &count), RETOLD_EINVALID);
    CHECK_RC(retold_signature_values(s1, values, 128, NULL), RETOLD_EINVALID);
    CHECK_RC(retold_signature_values(NULL, values, 128, &count), RETOLD_EINVALID);

    CHECK_RC(retold_signature_serialize(s1, NULL, 0, &len), RETOLD_EBUFSIZE);
    CHECK(len == sizeof bytes);
    CHECK_RC(retold_signature_serialize(s1, bytes, len - 1, &len), RETOLD_EBUFSIZE);
    CHECK_RC(retold_signature_serialize(s1, bytes, sizeof bytes, &len), RETOLD_OK);
    CHECK(memcmp(bytes, "RTSG", 4) == 0);
    CHECK_RC(retold_signature_serialize(s1, bytes, sizeof bytes, NULL), RETOLD_EINVALID);
    CHECK_RC(retold_signature_serialize(NULL, bytes, sizeof bytes, &len), RETOLD_EINVALID);
    CHECK_RC(retold_signature_deserialize(&back, bytes, sizeof bytes), RETOLD_OK);
    CHECK_RC(retold_signature_jaccard(s1, back, &j), RETOLD_OK);
    CHECK(j == 1.0);
    {
      uint32_t again[128];
      CHECK_RC(retold_signature_values(back, again, 128, &count), RETOLD_OK);
      CHECK(memcmp(again, values, sizeof values) == 0);
    }
    retold_signature_free(back);
    back = (retold_signature *)&back;
    CHECK_RC(retold_signature_deserialize(&back, bytes, sizeof bytes - 1), RETOLD_ECORRUPTED);
    CHECK(back == NULL);
    CHECK_RC(retold_signature_deserialize(&back, bytes, 3), RETOLD_ECORRUPTED);
    bytes[0] = 'X';
    CHECK_RC(retold_signature_deserialize(&back, bytes, sizeof bytes), RETOLD_ECORRUPTED);
    bytes[0] = 'R';
    bytes[4] = 9; /* unknown format version */
    CHECK_RC(retold_signature_deserialize(&back, bytes, sizeof bytes), RETOLD_EINCOMPATIBLE);
    CHECK_RC(retold_signature_deserialize(&back, NULL, 10), RETOLD_EINVALID);
    CHECK_RC(retold_signature_deserialize(NULL, bytes, sizeof bytes), RETOLD_EINVALID);

    /* a signature of another configuration is refused, not compared */
    so.num_hashes = 64;
    CHECK_RC(retold_dedup_new(&small, &so), RETOLD_OK);
    CHECK_RC(retold_dedup_compute_signature(small, RATE, strlen(RATE), &other), RETOLD_OK);
    CHECK_RC(retold_signature_jaccard(s1, other, &j), RETOLD_EINCOMPATIBLE);
    CHECK_RC(retold_dedup_compute_signature(d, "\xff", 1, &back), RETOLD_EUTF8);
    CHECK(back == NULL);
    CHECK_RC(retold_dedup_compute_signature(d, RATE, strlen(RATE), NULL), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_compute_signature(NULL, RATE, strlen(RATE), &back), RETOLD_EINVALID);

    /* a handle of the wrong type is refused, not trusted */
    CHECK_RC(retold_signature_jaccard((const retold_signature *)(const void *)d, s1, &j), RETOLD_EINVALID);
    CHECK_MSG("retold_signature");
    CHECK_RC(retold_dedup_contains((const retold_dedup *)(const void *)s1, "x", NULL), RETOLD_EINVALID);

    retold_signature_free(s1);
    retold_signature_free(s2);
    retold_signature_free(s3);
    retold_signature_free(other);
    retold_signature_free(NULL);
  }

  /* lexical only: no embeddings, and a vector is refused */
  retold_dedup_options_init(&o, sizeof o);
  o.embedding_mode = RETOLD_EMBEDDING_NONE;
  CHECK_RC(retold_dedup_new(&lexical, &o), RETOLD_OK);
  CHECK_RC(retold_dedup_compute_embedding(lexical, RATE, strlen(RATE), NULL, 0, &dim), RETOLD_OK);
  CHECK(dim == 0);
  emb[3] = 0.0f;
  CHECK_RC(retold_dedup_query_vector(lexical, emb, 256, NULL, &m), RETOLD_EINCOMPATIBLE);
  doc = make_doc("with-vector", RATE, NULL, 1);
  doc.vector = emb;
  doc.vector_dim = 256;
  CHECK_RC(retold_dedup_add(lexical, &doc, NULL), RETOLD_EINCOMPATIBLE);
  retold_dedup_free(lexical);
  retold_dedup_free(small);
  retold_dedup_free(d);
}

static void test_external_vectors(void) {
  retold_dedup *d = NULL;
  retold_dedup_options o;
  retold_document doc;
  retold_add_result r = RETOLD_ADD_RESULT_INIT;
  retold_match_list m = RETOLD_MATCH_LIST_INIT;
  float v1[4] = {1.0f, 0.0f, 0.0f, 0.0f};
  float v2[4] = {0.99f, 0.05f, 0.0f, 0.0f};
  float v3[4] = {0.0f, 0.0f, 1.0f, 0.0f};
  uint64_t dim = 7;

  retold_dedup_options_init(&o, sizeof o);
  o.embedding_mode = RETOLD_EMBEDDING_EXTERNAL;
  o.external_dimension = 4;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  doc = make_doc("v1", RATE, NULL, 1);
  doc.vector = v1;
  doc.vector_dim = 4;
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);
  /* a paraphrase: no shared words, but the caller's vectors agree */
  doc = make_doc("v2", FOOTBALL, NULL, 2);
  doc.vector = v2;
  doc.vector_dim = 4;
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);
  CHECK(r.new_story == 0 && r.leader_scores.decision == RETOLD_DECISION_COSINE);
  doc = make_doc("v3", WEATHER, NULL, 3);
  doc.vector = v3;
  doc.vector_dim = 4;
  CHECK_RC(retold_dedup_add(d, &doc, &r), RETOLD_OK);
  CHECK(r.new_story == 1);
  doc = make_doc("missing", WEATHER, NULL, 4);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINCOMPATIBLE);
  CHECK_MSG("missing");
  doc.vector = v3;
  doc.vector_dim = 3;
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_EINCOMPATIBLE);
  CHECK_RC(retold_dedup_query_vector(d, v1, 4, NULL, &m), RETOLD_OK);
  CHECK(m.count == 2 && strcmp(m.items[0].id, "v1") == 0 && strcmp(m.items[1].id, "v2") == 0);
  retold_match_list_dispose(&m);
  CHECK_RC(retold_dedup_compute_embedding(d, RATE, strlen(RATE), NULL, 0, &dim), RETOLD_OK);
  CHECK(dim == 0);
  retold_dedup_free(d);
}

static void test_save_load(void) {
  char dir[] = "/tmp/retold_capi_test_XXXXXX";
  char state[300], blocker[300], nested[400];
  retold_dedup *d = NULL, *back = NULL;
  retold_dedup_options o;
  retold_document doc;
  retold_stats a = RETOLD_STATS_INIT, b = RETOLD_STATS_INIT;
  uint64_t c1 = 0, c2 = 0;
  FILE *f;
  const char *priority[1];
  priority[0] = "Wire";

  if (mkdtemp(dir) == NULL) {
    fprintf(stderr, "mkdtemp failed\n");
    ++failures;
    return;
  }
  snprintf(state, sizeof state, "%s/state", dir);
  snprintf(blocker, sizeof blocker, "%s/file", dir);
  snprintf(nested, sizeof nested, "%s/file/state", dir);

  retold_dedup_options_init(&o, sizeof o);
  o.source_priority = priority;
  o.source_priority_count = 1;
  o.time_window_seconds = 86400;
  CHECK_RC(retold_dedup_new(&d, &o), RETOLD_OK);
  doc = make_doc("rate", RATE, "Blog", 1000);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  doc = make_doc("rate-copy", RATE_COPY, "Wire", 1100);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  doc = make_doc("football", FOOTBALL, NULL, 2000);
  CHECK_RC(retold_dedup_add(d, &doc, NULL), RETOLD_OK);
  CHECK_RC(retold_dedup_save(d, state), RETOLD_OK);
  CHECK_RC(retold_dedup_save(d, state), RETOLD_OK); /* overwriting is fine */

  CHECK_RC(retold_dedup_load(&back, state, NULL, 0), RETOLD_OK);
  CHECK(back != NULL);
  CHECK_RC(retold_dedup_stats(d, &a), RETOLD_OK);
  CHECK_RC(retold_dedup_stats(back, &b), RETOLD_OK);
  CHECK(a.documents == b.documents && a.clusters == b.clusters);
  CHECK_RC(retold_dedup_cluster_of(d, "rate-copy", &c1), RETOLD_OK);
  CHECK_RC(retold_dedup_cluster_of(back, "rate-copy", &c2), RETOLD_OK);
  CHECK(c1 == c2);
  {
    retold_dedup_options got;
    retold_dedup_options_init(&got, sizeof got);
    CHECK_RC(retold_dedup_get_options(back, &got), RETOLD_OK);
    CHECK(got.time_window_seconds == 86400 && got.source_priority_count == 1);
  }
  /* the loaded state goes on: a new copy joins the saved story */
  doc = make_doc("rate-copy-2", RATE_COPY, "Other", 1200);
  {
    retold_add_result r = RETOLD_ADD_RESULT_INIT;
    CHECK_RC(retold_dedup_add(back, &doc, &r), RETOLD_OK);
    CHECK(r.cluster_id == c2 && r.new_story == 0);
  }
  retold_dedup_free(back);
  back = NULL;

  /* runtime overrides: only the fields named are changed, everything else keeps its saved value */
  {
    retold_dedup_options ov;
    retold_dedup_options got;
    const char *other_priority[2];
    other_priority[0] = "AP";
    other_priority[1] = "AFP";
    retold_dedup_options_init(&ov, sizeof ov);
    ov.time_window_seconds = 60;
    ov.copy_jaccard = 0.5;      /* set in the struct, but its bit is not: stays as saved */
    ov.source_priority = NULL;  /* likewise: the saved priority stays */
    ov.source_priority_count = 0;
    CHECK_RC(retold_dedup_load(&back, state, &ov, RETOLD_OPTION_TIME_WINDOW_SECONDS), RETOLD_OK);
    retold_dedup_options_init(&got, sizeof got);
    CHECK_RC(retold_dedup_get_options(back, &got), RETOLD_OK);
    CHECK(got.time_window_seconds == 60);
    CHECK(got.copy_jaccard == 0.9);
    CHECK(got.source_priority_count == 1 && strcmp(got.source_priority[0], "Wire") == 0);
    retold_dedup_free(back);
    /* several at once, and the rest as saved */
    ov.source_priority = other_priority;
    ov.source_priority_count = 2;
    ov.threads = 1;
    ov.max_document_bytes = 4096;
    CHECK_RC(retold_dedup_load(&back, state, &ov,
                               RETOLD_OPTION_SOURCE_PRIORITY | RETOLD_OPTION_COPY_JACCARD | RETOLD_OPTION_THREADS |
                                   RETOLD_OPTION_MAX_DOCUMENT_BYTES),
             RETOLD_OK);
    CHECK_RC(retold_dedup_get_options(back, &got), RETOLD_OK);
    CHECK(got.time_window_seconds == 86400 && got.copy_jaccard == 0.5 && got.threads == 1);
    CHECK(got.max_document_bytes == 4096);
    CHECK(got.source_priority_count == 2 && strcmp(got.source_priority[1], "AFP") == 0);
    retold_dedup_free(back);
    /* the fields appended later have their own bits */
    retold_dedup_options_init(&ov, sizeof ov);
    ov.snippet_bytes = 16;
    ov.retention_seconds = 7 * 86400;
    CHECK_RC(retold_dedup_load(&back, state, &ov, RETOLD_OPTION_SNIPPET_BYTES | RETOLD_OPTION_RETENTION_SECONDS),
             RETOLD_OK);
    CHECK_RC(retold_dedup_get_options(back, &got), RETOLD_OK);
    CHECK(got.snippet_bytes == 16 && got.retention_seconds == 7 * 86400 && got.time_window_seconds == 86400);
    retold_dedup_free(back);
    /* a preset at load time: the match fields only */
    retold_dedup_options_init(&ov, sizeof ov);
    CHECK_RC(retold_dedup_options_apply_preset(&ov, "copies"), RETOLD_OK);
    CHECK_RC(retold_dedup_load(&back, state, &ov, RETOLD_OPTION_MATCH), RETOLD_OK);
    CHECK_RC(retold_dedup_get_options(back, &got), RETOLD_OK);
    CHECK(got.decision == RETOLD_MATCH_RULE && got.jaccard_threshold == 0.5 && got.cosine_threshold == 1.0);
    CHECK(got.time_window_seconds == 86400 && got.source_priority_count == 1);
    retold_dedup_free(back);
    back = (retold_dedup *)&back;
    /* what cannot be overridden: unknown bits, bad values, NULL with bits, a bad struct */
    CHECK_RC(retold_dedup_load(&back, state, &ov, (uint64_t)1 << 40), RETOLD_EINVALID);
    CHECK(back == NULL);
    CHECK_MSG("override_fields");
    CHECK_RC(retold_dedup_load(&back, state, NULL, RETOLD_OPTION_THREADS), RETOLD_EINVALID);
    CHECK_MSG("overrides is NULL");
    ov.copy_jaccard = 2.0;
    CHECK_RC(retold_dedup_load(&back, state, &ov, RETOLD_OPTION_COPY_JACCARD), RETOLD_EINVALID);
    CHECK_MSG("copy_jaccard");
    ov.copy_jaccard = 0.9;
    ov.time_window_seconds = -1;
    CHECK_RC(retold_dedup_load(&back, state, &ov, RETOLD_OPTION_TIME_WINDOW_SECONDS), RETOLD_EINVALID);
    ov.time_window_seconds = 0;
    ov.struct_size = 0;
    CHECK_RC(retold_dedup_load(&back, state, &ov, RETOLD_OPTION_THREADS), RETOLD_EINVALID);
    CHECK_MSG("retold_dedup_options");
    /* a structural field in the overrides is ignored (it has no bit) */
    retold_dedup_options_init(&ov, sizeof ov);
    ov.num_hashes = 64;
    CHECK_RC(retold_dedup_load(&back, state, &ov, RETOLD_OPTION_THREADS), RETOLD_OK);
    CHECK_RC(retold_dedup_get_options(back, &got), RETOLD_OK);
    CHECK(got.num_hashes == 128);
    retold_dedup_free(back);
    back = NULL;
  }

  /* failures */
  CHECK_RC(retold_dedup_load(&back, dir, NULL, 0), RETOLD_ENOTFOUND); /* no state there */
  CHECK_RC(retold_dedup_load(&back, "/nonexistent/retold/state", NULL, 0), RETOLD_ENOTFOUND);
  CHECK_RC(retold_dedup_load(&back, NULL, NULL, 0), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_load(&back, "", NULL, 0), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_load(NULL, state, NULL, 0), RETOLD_EINVALID);
  f = fopen(blocker, "w");
  if (f) {
    fputs("not a directory", f);
    fclose(f);
  }
  CHECK_RC(retold_dedup_save(d, nested), RETOLD_EIO); /* a file is in the way */
  CHECK_MSG("file");
  CHECK_RC(retold_dedup_save(d, NULL), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_save(d, ""), RETOLD_EINVALID);
  CHECK_RC(retold_dedup_save(NULL, state), RETOLD_EINVALID);

  /* two writers: a handle that never loaded `state` does not replace it; one whose generation is
     outdated is refused too; retold_dedup_save_replace overwrites on purpose */
  {
    retold_dedup *other = NULL, *second = NULL;
    retold_stats s = RETOLD_STATS_INIT;
    CHECK_RC(retold_dedup_new(&other, NULL), RETOLD_OK);
    CHECK_RC(retold_dedup_save(other, state), RETOLD_ECONFLICT);
    CHECK_MSG("did not load");
    CHECK_RC(retold_dedup_load(&second, state, NULL, 0), RETOLD_OK);
    doc = make_doc("second-writer", FOOTBALL, NULL, 3000);
    CHECK_RC(retold_dedup_add(second, &doc, NULL), RETOLD_OK);
    CHECK_RC(retold_dedup_save(second, state), RETOLD_OK);
    CHECK_RC(retold_dedup_save(d, state), RETOLD_ECONFLICT); /* d saved the generation before */
    CHECK_MSG("another writer");
    CHECK_RC(retold_dedup_save_replace(NULL, state), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_save_replace(d, NULL), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_save_replace(d, state), RETOLD_OK);
    CHECK_RC(retold_dedup_save(d, state), RETOLD_OK); /* d's own generation now */
    CHECK_RC(retold_dedup_load(&back, state, NULL, 0), RETOLD_OK);
    CHECK_RC(retold_dedup_stats(back, &s), RETOLD_OK);
    CHECK(s.documents == 3);
    retold_dedup_free(back);
    back = NULL;
    retold_dedup_free(second);
    retold_dedup_free(other);
  }

  /* damage every file of the state: refused as corrupted, never loaded */
  nftw(state, flip_byte, 16, FTW_PHYS);
  back = NULL;
  CHECK_RC(retold_dedup_load(&back, state, NULL, 0), RETOLD_ECORRUPTED);
  CHECK(back == NULL);
  retold_dedup_free(d);
  remove_tree(dir);
}

int main(void) {
  test_versions_and_errors();
  test_options_init();
  test_new_and_options();
  test_every_option();
  test_presets();
  test_struct_growth();
  test_older_caller();
  test_documents();
  test_batch();
  test_queries_and_features();
  test_external_vectors();
  test_save_load();
  if (failures) {
    fprintf(stderr, "capi_test: %d of %d checks FAILED\n", failures, checks);
    return 1;
  }
  printf("capi_test: all %d checks passed\n", checks);
  return 0;
}
