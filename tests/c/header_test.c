/*
 * tests/c/header_test.c - retold.h must compile as strict C (-std=c99/-std=c11 -Wall -Wextra
 * -pedantic -Werror) and its macros must be usable as initializers. Built as one executable per
 * standard and run by CTest, so a header change that breaks C fails the build and the test.
 */
#include <retold/retold.h>
#include <retold/retold.h> /* include guard */

#include <stdio.h>

int main(void) {
  retold_dedup_options opts = RETOLD_DEDUP_OPTIONS_INIT;
  retold_query_options query = RETOLD_QUERY_OPTIONS_INIT;
  retold_document doc = RETOLD_DOCUMENT_INIT;
  retold_match_list matches = {0, 0, 0};
  retold_dedup *dedup = NULL;
  retold_signature *sig = NULL;
  retold_status status = RETOLD_OK;
  (void)query;
  (void)doc;
  retold_match_list_dispose(&matches);
  retold_signature_free(sig);
  status = (retold_status)retold_dedup_new(&dedup, &opts);
  retold_dedup_free(dedup);
  if (status != RETOLD_OK) {
    fprintf(stderr, "retold_dedup_new: %s\n", retold_last_error());
    return 1;
  }
  if (retold_version() != RETOLD_VERSION_NUMBER) {
    fprintf(stderr, "header %s, library %s\n", RETOLD_VERSION_STRING, retold_version_string());
    return 1;
  }
  return 0;
}
