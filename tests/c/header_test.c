/*
 * tests/c/header_test.c - retold.h must compile as strict C (-std=c99/-std=c11 -Wall -Wextra
 * -pedantic -Werror) and its macros must be usable as initializers. Built as one executable per
 * standard and run by CTest, so a header change that breaks C fails the build and the test.
 */
#include <retold/retold.h>
#include <retold/retold.h> /* include guard */

#include <stdio.h>

int main(void) {
  retold_dedup_options opts;
  retold_query_options query = RETOLD_QUERY_OPTIONS_INIT;
  retold_document doc = RETOLD_DOCUMENT_INIT;
  retold_add_result result = RETOLD_ADD_RESULT_INIT;
  retold_match_list matches = RETOLD_MATCH_LIST_INIT;
  retold_cluster_list clusters = RETOLD_CLUSTER_LIST_INIT;
  retold_explanation explanation = RETOLD_EXPLANATION_INIT;
  retold_stats stats = RETOLD_STATS_INIT;
  retold_dedup *dedup = NULL;
  retold_signature *sig = NULL;
  retold_status status = RETOLD_OK;
  const uint64_t runtime = RETOLD_OPTION_MATCH | RETOLD_OPTION_SOURCE_PRIORITY;
  (void)query;
  (void)doc;
  (void)result;
  (void)stats;
  if ((runtime & ~RETOLD_OPTION_ALL_RUNTIME) != 0) return 1;
  retold_match_list_dispose(&matches);
  retold_cluster_list_dispose(&clusters);
  retold_explanation_dispose(&explanation);
  if (retold_dedup_options_init(&opts, (uint32_t)sizeof opts) != RETOLD_OK) return 1;
  retold_signature_free(sig);
  status = (retold_status)retold_dedup_new(&dedup, &opts);
  retold_dedup_free(dedup);
  if (status != RETOLD_OK) {
    fprintf(stderr, "retold_dedup_new: %s\n", retold_last_error());
    return 1;
  }
  if (retold_abi_version() != RETOLD_C_ABI_VERSION) {
    fprintf(stderr, "header ABI %d, library ABI %u\n", RETOLD_C_ABI_VERSION, (unsigned)retold_abi_version());
    return 1;
  }
  if (retold_version() != RETOLD_VERSION_NUMBER) {
    fprintf(stderr, "header %s, library %s\n", RETOLD_VERSION_STRING, retold_version_string());
    return 1;
  }
  return 0;
}
