/*
 * tests/c/capi_check.h - the check macros of the plain C tests of the C ABI (one copy for every
 * capi_*_test.c). A failed check prints where it failed with the library's last error message and
 * counts; the program runs on, so one run reports every failure, and exits non-zero at the end
 * (capi_check_finish). Each test program is one translation unit with its own counters.
 */
#ifndef RETOLD_TESTS_CAPI_CHECK_H
#define RETOLD_TESTS_CAPI_CHECK_H

#include <retold/retold.h>

#include <stdio.h>
#include <string.h>

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

/* Prints the tally of `program` and returns its exit status: 1 when any check failed. */
static inline int capi_check_finish(const char *program) {
  if (failures) {
    fprintf(stderr, "%s: %d of %d checks FAILED\n", program, failures, checks);
    return 1;
  }
  printf("%s: all %d checks passed\n", program, checks);
  return 0;
}

#endif
