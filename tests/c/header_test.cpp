// tests/c/header_test.cpp - retold.h must compile as strict C++ (-std=c++11 and -std=c++20,
// -Wall -Wextra -pedantic -Werror) with C linkage, and its macros must work as initializers.
#include <retold/retold.h>

#include <cstdio>
#include <type_traits>

static_assert(std::is_standard_layout<retold_dedup_options>::value, "options must be plain C data");
static_assert(std::is_trivially_copyable<retold_document>::value, "documents must be plain C data");
static_assert(sizeof(retold_scores) == 32, "retold_scores layout is part of the ABI");

int main() {
  retold_dedup_options opts = RETOLD_DEDUP_OPTIONS_INIT;
  retold_query_options query = RETOLD_QUERY_OPTIONS_INIT;
  retold_document doc = RETOLD_DOCUMENT_INIT;
  (void)query;
  (void)doc;
  retold_dedup* dedup = nullptr;
  const int rc = retold_dedup_new(&dedup, &opts);
  retold_dedup_free(dedup);
  if (rc != RETOLD_OK) {
    std::fprintf(stderr, "retold_dedup_new: %s\n", retold_last_error());
    return 1;
  }
  return retold_version() == RETOLD_VERSION_NUMBER ? 0 : 1;
}
