// tests/c/capi_guard_test.cpp - the one exception guard of the C shim (src/capi/capi_internal.hpp)
// turns every kind of exception into its status code and this thread's last error: retold::error
// of each code, std::bad_alloc, other std::exceptions, and non-standard throws. These paths cannot
// be reached through the public functions on demand, so the guard is tested directly (compiled
// with the shim's own capi_common.cpp).
#include "capi_internal.hpp"

#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

namespace {

using retold::capi::guard;

std::string last() { return retold_last_error(); }

TEST(CapiGuard, SuccessReturnsTheBodysStatusAndKeepsTheLastError) {
  retold_error_clear();
  EXPECT_EQ(guard("f", [] { return RETOLD_OK; }), RETOLD_OK);
  EXPECT_EQ(last(), "");
  EXPECT_EQ(retold_last_error_code(), RETOLD_OK);
}

TEST(CapiGuard, EveryRetoldErrorCodeMapsToItsNegation) {
  const std::pair<retold::errc, int> codes[] = {
      {retold::errc::invalid_argument, RETOLD_EINVALID}, {retold::errc::invalid_utf8, RETOLD_EUTF8},
      {retold::errc::not_found, RETOLD_ENOTFOUND},       {retold::errc::incompatible, RETOLD_EINCOMPATIBLE},
      {retold::errc::io, RETOLD_EIO},                    {retold::errc::corrupted_state, RETOLD_ECORRUPTED},
      {retold::errc::out_of_memory, RETOLD_ENOMEM},      {retold::errc::too_large, RETOLD_ETOOLARGE},
      {retold::errc::duplicate_id, RETOLD_EDUPLICATE},   {retold::errc::parse, RETOLD_EPARSE},
      {retold::errc::conflict, RETOLD_ECONFLICT},        {retold::errc::internal, RETOLD_EINTERNAL},
  };
  for (const auto& [code, expected] : codes) {
    const int rc = guard("retold_fn", [&]() -> int { throw retold::error(code, "what went wrong"); });
    EXPECT_EQ(rc, expected) << retold::errc_name(code);
    EXPECT_EQ(retold_last_error_code(), expected);
    EXPECT_EQ(last(), "retold_fn: what went wrong");
  }
  // errc::ok is not an error: thrown anyway, it is a bug, reported as internal
  EXPECT_EQ(guard("f", []() -> int { throw retold::error(retold::errc::ok, "odd"); }), RETOLD_EINTERNAL);
}

TEST(CapiGuard, BadAllocIsOutOfMemory) {
  EXPECT_EQ(guard("alloc", []() -> int { throw std::bad_alloc(); }), RETOLD_ENOMEM);
  EXPECT_EQ(last(), "alloc: out of memory");
  EXPECT_EQ(guard("alloc", []() -> int { throw std::bad_array_new_length(); }), RETOLD_ENOMEM);
}

TEST(CapiGuard, OtherExceptionsAreInternalErrors) {
  EXPECT_EQ(guard("g", []() -> int { throw std::out_of_range("index 7"); }), RETOLD_EINTERNAL);
  EXPECT_NE(last().find("index 7"), std::string::npos);
  EXPECT_EQ(guard("g", []() -> int { throw 42; }), RETOLD_EINTERNAL);
  EXPECT_NE(last().find("non-standard"), std::string::npos);
}

TEST(CapiGuard, ShimErrorsKeepTheirCode) {
  EXPECT_EQ(guard("h", []() -> int { retold::capi::fail(RETOLD_EBUFSIZE, "needs 12 bytes"); }), RETOLD_EBUFSIZE);
  EXPECT_EQ(last(), "h: needs 12 bytes");
  EXPECT_EQ(guard("h", [] { return retold::capi::require(static_cast<int*>(nullptr), "out") ? 0 : 1; }),
            RETOLD_EINVALID);
  EXPECT_EQ(last(), "h: out is NULL");
}

TEST(CapiGuard, TheGuardIsNoexcept) {
  auto throwing = []() -> int { throw std::runtime_error("x"); };
  static_assert(noexcept(guard("f", throwing)));
}

}  // namespace
