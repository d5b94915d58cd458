/*
 * tests/c/capi_persistence_test.c - saving and loading through the C ABI from plain C99: a save
 * that loads back and goes on, loading with runtime overrides that leave every other field as
 * saved, missing and blocked directories, two writers (RETOLD_ECONFLICT) and damaged state files
 * (RETOLD_ECORRUPTED, never loaded).
 * Registered with CTest (capi.persistence_test); exits non-zero when a check failed.
 */
#define _XOPEN_SOURCE 700

#include "capi_check.h"
#include "capi_fixtures.h"

#include <retold/retold.h>

#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
  test_save_load();
  return capi_check_finish("capi_persistence_test");
}
