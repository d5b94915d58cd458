/*
 * tests/c/capi_fixtures.h - what the plain C tests of the C ABI share besides the check macros:
 * texts of one story told three times plus unrelated reports, and a document builder
 * (capi_fixtures.c, compiled into each test program).
 */
#ifndef RETOLD_TESTS_CAPI_FIXTURES_H
#define RETOLD_TESTS_CAPI_FIXTURES_H

#include <retold/retold.h>

#include <stdint.h>

/* A central-bank report, a longer agency copy of it, and two unrelated reports. */
extern const char *const RATE;
extern const char *const RATE_COPY;
extern const char *const FOOTBALL;
extern const char *const WEATHER;

/* A document viewing `id`, `text` and `source` (borrowed: they must outlive its use), no title,
   no vector. */
retold_document make_doc(const char *id, const char *text, const char *source, int64_t ts);

#endif
