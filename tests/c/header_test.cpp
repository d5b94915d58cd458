// tests/c/header_test.cpp - retold.h must compile as strict C++ (-std=c++11 and -std=c++20,
// -Wall -Wextra -pedantic -Werror) with C linkage, and its macros must work as initializers.
#include <retold/retold.h>

#include <cstddef>
#include <cstdio>
#include <type_traits>

static_assert(std::is_standard_layout<retold_dedup_options>::value, "options must be plain C data");
static_assert(std::is_trivially_copyable<retold_document>::value, "documents must be plain C data");
static_assert(sizeof(retold_scores) == 32, "retold_scores is frozen: its layout is part of the ABI");
// Every growable struct starts with its size.
static_assert(offsetof(retold_dedup_options, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_document, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_add_result, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_query_options, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_match, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_match_list, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_cluster_member, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_cluster, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_cluster_list, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_feature, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_explanation, struct_size) == 0, "struct_size first");
static_assert(offsetof(retold_stats, struct_size) == 0, "struct_size first");

int main() {
  retold_dedup_options opts;
  retold_query_options query = RETOLD_QUERY_OPTIONS_INIT;
  retold_document doc = RETOLD_DOCUMENT_INIT;
  retold_add_result result = RETOLD_ADD_RESULT_INIT;
  retold_match_list matches = RETOLD_MATCH_LIST_INIT;
  retold_cluster_list clusters = RETOLD_CLUSTER_LIST_INIT;
  retold_explanation explanation = RETOLD_EXPLANATION_INIT;
  retold_stats stats = RETOLD_STATS_INIT;
  (void)query;
  (void)doc;
  (void)result;
  (void)stats;
  retold_match_list_dispose(&matches);
  retold_cluster_list_dispose(&clusters);
  retold_explanation_dispose(&explanation);
  if (retold_dedup_options_init(&opts, sizeof opts) != RETOLD_OK) return 1;
  retold_dedup* dedup = nullptr;
  const int rc = retold_dedup_new(&dedup, &opts);
  retold_dedup_free(dedup);
  if (rc != RETOLD_OK) {
    std::fprintf(stderr, "retold_dedup_new: %s\n", retold_last_error());
    return 1;
  }
  if (retold_abi_version() != RETOLD_C_ABI_VERSION) return 1;
  return retold_version() == RETOLD_VERSION_NUMBER ? 0 : 1;
}
