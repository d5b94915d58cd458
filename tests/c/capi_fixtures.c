/*
 * tests/c/capi_fixtures.c - the texts and the document builder the plain C tests of the C ABI
 * share (capi_fixtures.h): one story told three times (RATE, RATE_COPY) plus unrelated reports.
 */
#include "capi_fixtures.h"

#include <string.h>

const char *const RATE =
    "The central bank of Examplestan raised its main interest rate by half a percentage point "
    "on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor "
    "Ana Petrova told reporters in the capital after the board meeting that further increases "
    "could not be ruled out if the currency kept weakening against the dollar and the euro.";
const char *const RATE_COPY =
    "The central bank of Examplestan raised its main interest rate by half a percentage point "
    "on Tuesday to 7.5 percent, citing persistent inflation in food and energy prices. Governor "
    "Ana Petrova told reporters in the capital after the board meeting that further increases "
    "could not be ruled out if the currency kept weakening against the dollar and the euro. "
    "Analysts polled last week had expected the move.";
const char *const FOOTBALL =
    "Riverside United beat Harbour City 3-1 in the cup semi-final on Saturday, with two late "
    "goals from the substitute striker sealing a place in the final for the first time since "
    "1998. The coach praised the young squad and said the club would now aim for the title.";
const char *const WEATHER =
    "Forecasters expect heavy snow across the northern mountains over the weekend, with up to "
    "forty centimetres on the high passes, and warned drivers to carry chains. Temperatures in "
    "the lowlands will stay just above freezing until Wednesday, when a warmer front arrives.";

retold_document make_doc(const char *id, const char *text, const char *source, int64_t ts) {
  retold_document d = RETOLD_DOCUMENT_INIT;
  d.id = id;
  d.text = text;
  d.text_len = text ? strlen(text) : 0;
  d.source = source;
  d.timestamp = ts;
  return d;
}
