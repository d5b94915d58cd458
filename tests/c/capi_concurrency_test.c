/*
 * tests/c/capi_concurrency_test.c - one retold_dedup shared by several threads through the C
 * ABI: writers add documents (one by one and in batches) while readers query, look up, list
 * stories, compute features and save. Checks that every call succeeds (or fails only the way
 * the contract allows), that nothing is lost, that copies still join their originals, and that
 * the last-error message is per thread.
 */
#define _XOPEN_SOURCE 700

#include <retold/retold.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WRITERS 2
#define READERS 3
#define PER_WRITER 60 /* originals per writer; each also adds a copy of every original */
#define WORDS 70

static retold_dedup *shared = NULL;
static int writers_done = 0; /* guarded by report_mutex */
static pthread_mutex_t report_mutex = PTHREAD_MUTEX_INITIALIZER;
static int failures = 0;
static char state_dir[64];

static void fail(const char *what, int rc) {
  pthread_mutex_lock(&report_mutex);
  fprintf(stderr, "FAILED: %s -> %d (%s): %s\n", what, rc, retold_error_name(rc), retold_last_error());
  ++failures;
  pthread_mutex_unlock(&report_mutex);
}

/* Deterministic text of document (writer, i): WORDS pseudo-random words of random letters, so
   two different documents share neither a 5-word shingle nor many character n-grams. */
static void make_text(unsigned writer, unsigned i, char *out, size_t cap) {
  unsigned long long x = 0x9e3779b97f4a7c15ULL ^ ((unsigned long long)(writer + 1) << 40) ^ ((unsigned long long)i << 8);
  size_t len = 0;
  int w;
  for (w = 0; w < WORDS && len + 12 < cap; ++w) {
    int letters, l;
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    letters = 4 + (int)((x >> 60) % 6u);
    if (w) out[len++] = ' ';
    for (l = 0; l < letters; ++l) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      out[len++] = (char)('a' + (x >> 33) % 26u);
    }
  }
  out[len] = '\0';
}

static void make_id(char *out, size_t cap, const char *kind, unsigned writer, unsigned i) {
  snprintf(out, cap, "%s-%u-%u", kind, writer, i);
}

static void *writer_main(void *arg) {
  const unsigned w = (unsigned)(size_t)arg;
  unsigned i;
  char text[1200], copy[1300], id[64], copy_id[64];
  for (i = 0; i < PER_WRITER; ++i) {
    retold_document doc = RETOLD_DOCUMENT_INIT;
    retold_add_result r = RETOLD_ADD_RESULT_INIT;
    int rc;
    make_text(w, i, text, sizeof text);
    make_id(id, sizeof id, "orig", w, i);
    doc.id = id;
    doc.text = text;
    doc.text_len = strlen(text);
    doc.timestamp = (int64_t)i;
    doc.source = "Writer";
    if (i % 3 == 2) {
      /* the original and its copy in one batch */
      retold_document docs[2];
      retold_add_result rs[2] = {RETOLD_ADD_RESULT_INIT, RETOLD_ADD_RESULT_INIT};
      uint64_t added = 0;
      snprintf(copy, sizeof copy, "%s and one more closing remark", text);
      make_id(copy_id, sizeof copy_id, "copy", w, i);
      docs[0] = doc;
      docs[1] = doc;
      docs[1].id = copy_id;
      docs[1].text = copy;
      docs[1].text_len = strlen(copy);
      rc = retold_dedup_add_batch(shared, docs, 2, rs, &added);
      if (rc != RETOLD_OK || added != 2) fail("add_batch", rc);
      else if (rs[1].cluster_id != rs[0].cluster_id) fail("batch copy did not join its original", 0);
      continue;
    }
    rc = retold_dedup_add(shared, &doc, &r);
    if (rc != RETOLD_OK) fail("add original", rc);
    snprintf(copy, sizeof copy, "%s and one more closing remark", text);
    make_id(copy_id, sizeof copy_id, "copy", w, i);
    doc.id = copy_id;
    doc.text = copy;
    doc.text_len = strlen(copy);
    {
      retold_add_result rc2 = RETOLD_ADD_RESULT_INIT;
      rc = retold_dedup_add(shared, &doc, &rc2);
      if (rc != RETOLD_OK) fail("add copy", rc);
      else if (rc2.cluster_id != r.cluster_id || rc2.new_story) fail("copy did not join its original", 0);
    }
  }
  return NULL;
}

static void *reader_main(void *arg) {
  const unsigned k = (unsigned)(size_t)arg;
  unsigned round = 0;
  char text[1200], id[64];
  float emb[256];
  uint64_t last_docs = 0;
  for (;;) {
    int done;
    pthread_mutex_lock(&report_mutex);
    done = writers_done;
    pthread_mutex_unlock(&report_mutex);
    if (done && round >= 5) break;
    const unsigned w = round % WRITERS;
    const unsigned i = (round * 7 + k) % PER_WRITER;
    retold_match_list m = RETOLD_MATCH_LIST_INIT;
    retold_stats st = RETOLD_STATS_INIT;
    int32_t has = 0;
    uint64_t cluster = 0, dim = 0;
    int rc;
    make_text(w, i, text, sizeof text);
    make_id(id, sizeof id, "orig", w, i);
    rc = retold_dedup_query(shared, text, strlen(text), NULL, &m);
    if (rc != RETOLD_OK) fail("query", rc);
    rc = retold_dedup_contains(shared, id, &has);
    if (rc != RETOLD_OK) fail("contains", rc);
    rc = retold_dedup_cluster_of(shared, id, &cluster);
    if (rc != RETOLD_OK && rc != RETOLD_ENOTFOUND) fail("cluster_of", rc);
    /* a stored document is found by its own text */
    if (has) {
      uint64_t j;
      int found = 0;
      retold_match_list again = RETOLD_MATCH_LIST_INIT;
      rc = retold_dedup_query(shared, text, strlen(text), NULL, &again);
      for (j = 0; rc == RETOLD_OK && j < again.count; ++j) found |= strcmp(again.items[j].id, id) == 0;
      if (rc != RETOLD_OK || !found) fail("stored document not found by its own text", rc);
      retold_match_list_dispose(&again);
    }
    retold_match_list_dispose(&m);
    rc = retold_dedup_stats(shared, &st);
    if (rc != RETOLD_OK) fail("stats", rc);
    if (st.documents < last_docs) fail("document count went down", 0);
    last_docs = st.documents;
    rc = retold_dedup_compute_embedding(shared, text, strlen(text), emb, 256, &dim);
    if (rc != RETOLD_OK || dim != 256) fail("compute_embedding", rc);
    if (round % 10 == 0) {
      retold_cluster_list all = RETOLD_CLUSTER_LIST_INIT;
      retold_signature *sig = NULL;
      rc = retold_dedup_clusters(shared, 2, &all);
      if (rc != RETOLD_OK) fail("clusters", rc);
      retold_cluster_list_dispose(&all);
      rc = retold_dedup_compute_signature(shared, text, strlen(text), &sig);
      if (rc != RETOLD_OK) fail("compute_signature", rc);
      retold_signature_free(sig);
    }
    if (k == 0 && round % 25 == 0) {
      rc = retold_dedup_save(shared, state_dir);
      if (rc != RETOLD_OK) fail("save while adding", rc);
    }
    ++round;
  }
  return NULL;
}

/* Each thread records its own error; after all did, each still sees its own message. */
static pthread_barrier_t barrier;
static void *error_main(void *arg) {
  const unsigned k = (unsigned)(size_t)arg;
  char id[64], expect[80];
  snprintf(id, sizeof id, "missing-in-thread-%u", k);
  snprintf(expect, sizeof expect, "'%s'", id);
  if (retold_dedup_remove(shared, id) != RETOLD_ENOTFOUND) fail("remove of a missing id", 0);
  pthread_barrier_wait(&barrier);
  if (strstr(retold_last_error(), expect) == NULL || retold_last_error_code() != RETOLD_ENOTFOUND)
    fail("last error is not per thread", 0);
  return NULL;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

int main(void) {
  pthread_t writers[WRITERS], readers[READERS], errs[4];
  retold_dedup_options o;
  retold_stats st = RETOLD_STATS_INIT;
  retold_dedup *loaded = NULL;
  unsigned w, i;
  int rc;
  char id[64], copy_id[64];

  snprintf(state_dir, sizeof state_dir, "/tmp/retold_capi_concurrency_%ld", (long)getpid());
  retold_dedup_options_init(&o, sizeof o);
  o.threads = 2;
  rc = retold_dedup_new(&shared, &o);
  if (rc != RETOLD_OK) {
    fail("new", rc);
    return 1;
  }
  for (i = 0; i < READERS; ++i) pthread_create(&readers[i], NULL, reader_main, (void *)(size_t)i);
  for (w = 0; w < WRITERS; ++w) pthread_create(&writers[w], NULL, writer_main, (void *)(size_t)w);
  for (w = 0; w < WRITERS; ++w) pthread_join(writers[w], NULL);
  pthread_mutex_lock(&report_mutex);
  writers_done = 1;
  pthread_mutex_unlock(&report_mutex);
  for (i = 0; i < READERS; ++i) pthread_join(readers[i], NULL);

  rc = retold_dedup_stats(shared, &st);
  if (rc != RETOLD_OK || st.documents != 2u * WRITERS * PER_WRITER || st.clusters != (uint64_t)WRITERS * PER_WRITER ||
      st.multi_member_clusters != (uint64_t)WRITERS * PER_WRITER) {
    fprintf(stderr, "documents %llu clusters %llu multi %llu\n", (unsigned long long)st.documents,
            (unsigned long long)st.clusters, (unsigned long long)st.multi_member_clusters);
    fail("final counts", rc);
  }
  for (w = 0; w < WRITERS; ++w)
    for (i = 0; i < PER_WRITER; ++i) {
      uint64_t a = 0, b = 0;
      make_id(id, sizeof id, "orig", w, i);
      make_id(copy_id, sizeof copy_id, "copy", w, i);
      if (retold_dedup_cluster_of(shared, id, &a) != RETOLD_OK || retold_dedup_cluster_of(shared, copy_id, &b) != RETOLD_OK ||
          a != b)
        fail("original and copy in one story", 0);
    }

  /* the state saved while adding is a consistent snapshot */
  rc = retold_dedup_load(&loaded, state_dir, NULL, 0);
  if (rc != RETOLD_OK) fail("load of the state saved while adding", rc);
  else {
    retold_stats ls = RETOLD_STATS_INIT;
    if (retold_dedup_stats(loaded, &ls) != RETOLD_OK || ls.documents > st.documents) fail("loaded snapshot", 0);
  }
  retold_dedup_free(loaded);
  nftw(state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

  pthread_barrier_init(&barrier, NULL, 4);
  for (i = 0; i < 4; ++i) pthread_create(&errs[i], NULL, error_main, (void *)(size_t)i);
  for (i = 0; i < 4; ++i) pthread_join(errs[i], NULL);
  pthread_barrier_destroy(&barrier);

  retold_dedup_free(shared);
  if (failures) {
    fprintf(stderr, "capi_concurrency_test: %d failures\n", failures);
    return 1;
  }
  printf("capi_concurrency_test: %u writers, %u readers, %llu documents: ok\n", WRITERS, READERS,
         (unsigned long long)st.documents);
  return 0;
}
