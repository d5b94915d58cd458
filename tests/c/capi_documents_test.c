/*
 * tests/c/capi_documents_test.c - adding and asking through the C ABI from plain C99: single
 * documents (every refusal: invalid UTF-8, duplicates, bad handles and sizes, nothing stored
 * after one), lookups, stories and result lists (small buffers, reuse, dispose), explain, remove
 * and evict, batches (per-document statuses, strides), queries, embeddings, signatures, and
 * external vectors. Registered with CTest (capi.documents_test); exits non-zero when a check
 * failed.
 */
#include "capi_check.h"
#include "capi_fixtures.h"

#include <retold/retold.h>

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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


int main(void) {
  test_documents();
  test_batch();
  test_queries_and_features();
  test_external_vectors();
  return capi_check_finish("capi_documents_test");
}
