/*
 * tests/c/capi_prepared_test.c - prepared documents through the C ABI, from plain C99:
 * prepare -> serialize -> deserialize round trip, band keys, add_prepared_batch giving exactly
 * what add_batch gives, truncated and damaged blobs (RETOLD_ECORRUPTED), a blob of another
 * configuration (RETOLD_EINCOMPATIBLE, nothing stored), and misuse (NULL handles and buffers).
 * Registered with CTest; exits non-zero when a check failed, printing each with the last error.
 */
#include "capi_check.h"

#include <retold/retold.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_DOCS 6

static const char *const TEXTS[N_DOCS] = {
    "The central bank of Examplestan raised its main interest rate by half a percentage point "
    "on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices.",
    "The central bank of Examplestan raised its main interest rate by half a percentage point "
    "on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices, Reuters said.",
    "Northfield United beat Harbor City 3-1 on Saturday to move top of the league table after "
    "two second-half goals from their new striker.",
    "Heavy rain is expected across the western provinces through Thursday, forecasters said, "
    "with flooding possible in low-lying river valleys.",
    "Northfield United beat Harbor City 3-1 on Saturday to move top of the league table after "
    "two second-half goals from their new striker, the club said.",
    "",
};
static const char *const IDS[N_DOCS] = {"rate-1", "rate-2", "ball-1", "rain-1", "ball-2", "empty-1"};
static const char *const SOURCES[N_DOCS] = {"UNN", "Reuters", "AP", "AFP", "BBC", "UNN"};

static retold_document make_doc(int i) {
  retold_document d = RETOLD_DOCUMENT_INIT;
  d.id = IDS[i];
  d.text = TEXTS[i];
  d.text_len = strlen(TEXTS[i]);
  if (TEXTS[i][0] != '\0') { /* the empty document has no title either: nothing to shingle */
    d.title = "Headline";
    d.title_len = 8;
  }
  d.source = SOURCES[i];
  d.timestamp = 1700000000 + 60 * i;
  return d;
}

/* Serializes into a malloc'd buffer (*len bytes); NULL on failure. */
static uint8_t *serialize(const retold_prepared *p, uint64_t *len) {
  uint8_t *buf;
  CHECK_RC(retold_prepared_serialize(p, NULL, 0, len), RETOLD_EBUFSIZE);
  buf = (uint8_t *)malloc((size_t)*len);
  if (buf == NULL) return NULL;
  CHECK_RC(retold_prepared_serialize(p, buf, *len, len), RETOLD_OK);
  return buf;
}

int main(void) {
  retold_dedup *direct = NULL, *replay = NULL, *preparer = NULL, *foreign = NULL;
  retold_document docs[N_DOCS];
  retold_add_result want[N_DOCS], got[N_DOCS];
  retold_prepared *prepared[N_DOCS];
  uint64_t want_cluster[N_DOCS];
  uint64_t added = 0, len = 0, n = 0, i;
  uint32_t keys[64];
  uint8_t *blob;
  retold_dedup_options opts, other;
  retold_prepared *p = NULL;

  CHECK_RC(retold_dedup_options_init(&opts, sizeof opts), RETOLD_OK);
  CHECK_RC(retold_dedup_new(&direct, &opts), RETOLD_OK);
  CHECK_RC(retold_dedup_new(&replay, &opts), RETOLD_OK);
  CHECK_RC(retold_dedup_new(&preparer, &opts), RETOLD_OK);
  for (i = 0; i < N_DOCS; ++i) {
    docs[i] = make_doc((int)i);
    want[i].struct_size = got[i].struct_size = (uint32_t)sizeof(retold_add_result);
  }

  /* add_batch on one deduplicator ... */
  CHECK_RC(retold_dedup_add_batch(direct, docs, N_DOCS, want, &added), RETOLD_OK);
  CHECK(added == N_DOCS);
  for (i = 0; i < N_DOCS; ++i) want_cluster[i] = want[i].cluster_id;
  CHECK(want_cluster[1] == want_cluster[0]); /* the copy joined */
  CHECK(want_cluster[4] == want_cluster[2]);

  /* ... and prepare on another, through bytes, add_prepared_batch on a third */
  for (i = 0; i < N_DOCS; ++i) {
    retold_prepared *tmp = NULL;
    prepared[i] = NULL;
    CHECK_RC(retold_dedup_prepare(&tmp, preparer, &docs[i]), RETOLD_OK);
    blob = serialize(tmp, &len);
    CHECK(blob != NULL && len > 64);
    if (blob != NULL) {
      CHECK_RC(retold_prepared_deserialize(&prepared[i], blob, len), RETOLD_OK);
      /* band keys survive the round trip */
      {
        uint64_t a = 0, b = 0;
        uint32_t ka[64], kb[64];
        CHECK_RC(retold_prepared_band_keys(tmp, ka, 64, &a), RETOLD_OK);
        CHECK_RC(retold_prepared_band_keys(prepared[i], kb, 64, &b), RETOLD_OK);
        CHECK(a == b && memcmp(ka, kb, (size_t)a * sizeof ka[0]) == 0);
        CHECK((a == 0) == (TEXTS[i][0] == '\0')); /* an empty text is never banded */
      }
      free(blob);
    }
    retold_prepared_free(tmp);
  }
  added = 0;
  CHECK_RC(retold_dedup_add_prepared_batch(replay, (const retold_prepared *const *)prepared, N_DOCS, got, &added),
           RETOLD_OK);
  CHECK(added == N_DOCS);
  for (i = 0; i < N_DOCS; ++i) {
    CHECK(got[i].status == RETOLD_OK);
    CHECK(got[i].cluster_id == want_cluster[i]);
    CHECK(got[i].new_story == want[i].new_story);
    CHECK(got[i].has_leader == want[i].has_leader);
    CHECK(got[i].candidates == want[i].candidates);
    CHECK(got[i].leader_scores.score == want[i].leader_scores.score);
  }
  /* the same ids again: skipped as duplicates, like add_batch */
  CHECK_RC(retold_dedup_add_prepared_batch(replay, (const retold_prepared *const *)prepared, 1, got, &added),
           RETOLD_OK);
  CHECK(added == 0 && got[0].status == RETOLD_EDUPLICATE);

  /* band keys: buffer rules */
  CHECK_RC(retold_prepared_band_keys(prepared[0], NULL, 0, &n), RETOLD_EBUFSIZE);
  CHECK(n > 0 && n <= 64);
  CHECK_RC(retold_prepared_band_keys(prepared[0], keys, 64, NULL), RETOLD_EINVALID);
  CHECK_RC(retold_prepared_band_keys(prepared[0], NULL, 5, &n), RETOLD_EINVALID);

  /* truncated and damaged blobs */
  blob = serialize(prepared[0], &len);
  if (blob != NULL) {
    uint64_t cut;
    for (cut = 0; cut < len; cut += len / 7 + 1) {
      CHECK_RC(retold_prepared_deserialize(&p, blob, cut), RETOLD_ECORRUPTED);
      CHECK(p == NULL);
    }
    CHECK_RC(retold_prepared_deserialize(&p, blob, len - 1), RETOLD_ECORRUPTED);
    blob[len / 2] ^= 0x10;
    CHECK_RC(retold_prepared_deserialize(&p, blob, len), RETOLD_ECORRUPTED);
    CHECK_MSG("checksum");
    blob[len / 2] ^= 0x10;
    blob[0] = 'X';
    CHECK_RC(retold_prepared_deserialize(&p, blob, len), RETOLD_ECORRUPTED);
    CHECK_MSG("magic");
    free(blob);
  }
  CHECK_RC(retold_prepared_deserialize(NULL, (const uint8_t *)"x", 1), RETOLD_EINVALID);
  CHECK_RC(retold_prepared_deserialize(&p, NULL, 3), RETOLD_EINVALID);

  /* a blob of another configuration: refused whole, nothing stored */
  other = opts;
  other.shingle_size = 3;
  CHECK_RC(retold_dedup_new(&foreign, &other), RETOLD_OK);
  {
    retold_document d = make_doc(3);
    retold_prepared *mixed[2] = {NULL, NULL};
    retold_dedup *fresh = NULL;
    retold_stats st;
    d.id = "foreign-1";
    CHECK_RC(retold_dedup_prepare(&mixed[1], foreign, &d), RETOLD_OK);
    mixed[0] = prepared[0];
    CHECK_RC(retold_dedup_new(&fresh, &opts), RETOLD_OK);
    CHECK_RC(retold_dedup_add_prepared_batch(fresh, (const retold_prepared *const *)mixed, 2, NULL, NULL),
             RETOLD_EINCOMPATIBLE);
    CHECK_MSG("foreign-1");
    memset(&st, 0, sizeof st);
    st.struct_size = (uint32_t)sizeof st;
    CHECK_RC(retold_dedup_stats(fresh, &st), RETOLD_OK);
    CHECK(st.documents == 0);
    /* NULL handles in the array */
    retold_prepared_free(mixed[1]);
    mixed[1] = NULL;
    CHECK_RC(retold_dedup_add_prepared_batch(fresh, (const retold_prepared *const *)mixed, 2, NULL, NULL),
             RETOLD_EINVALID);
    CHECK_MSG("docs[1]");
    retold_dedup_free(fresh);
    retold_prepared_free(NULL);
  }
  {
    retold_prepared *tmp = NULL;
    retold_prepared *list[1];
    retold_prepared_free(tmp);
    CHECK_RC(retold_dedup_prepare(NULL, preparer, &docs[0]), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_prepare(&tmp, NULL, &docs[0]), RETOLD_EINVALID);
    CHECK(tmp == NULL);
    CHECK_RC(retold_dedup_prepare(&tmp, preparer, NULL), RETOLD_EINVALID);
    {
      retold_document bad = make_doc(0);
      bad.text = "bad \xff";
      bad.text_len = 5;
      CHECK_RC(retold_dedup_prepare(&tmp, preparer, &bad), RETOLD_EUTF8);
    }
    CHECK_RC(retold_prepared_serialize(NULL, NULL, 0, &len), RETOLD_EINVALID);
    list[0] = prepared[0];
    CHECK_RC(retold_dedup_add_prepared_batch(NULL, (const retold_prepared *const *)list, 1, NULL, NULL),
             RETOLD_EINVALID);
    CHECK_RC(retold_dedup_add_prepared_batch(replay, NULL, 1, NULL, NULL), RETOLD_EINVALID);
    CHECK_RC(retold_dedup_add_prepared_batch(replay, NULL, 0, NULL, NULL), RETOLD_OK);
  }

  for (i = 0; i < N_DOCS; ++i) retold_prepared_free(prepared[i]);
  retold_dedup_free(direct);
  retold_dedup_free(replay);
  retold_dedup_free(preparer);
  retold_dedup_free(foreign);
  return capi_check_finish("capi_prepared_test");
}
