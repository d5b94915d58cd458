// tests/c/capi_guard_test.cpp - the one exception guard of the C shim (src/capi/capi_internal.hpp)
// and the struct_size rules (src/capi/capi_struct_size.hpp) with a struct that grew after 1.0 -
// turns every kind of exception into its status code and this thread's last error: retold::error
// of each code, std::bad_alloc, other std::exceptions, and non-standard throws. These paths cannot
// be reached through the public functions on demand, so the guard is tested directly (compiled
// with the shim's own capi_common.cpp). In ABI 1.0 no struct has grown yet, so a caller older than
// the library cannot be built from retold.h: a test struct with a field added after its 1.0 size
// stands in for one.
#include "capi_internal.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

// A struct as a later 1.x library would know it: `added_later` was appended after 1.0.
struct grown_struct {
  std::uint32_t struct_size;
  std::uint32_t a;
  std::uint64_t b;
  std::uint64_t added_later;
};

namespace retold::capi {
template <>
struct abi_struct<grown_struct> {
  static constexpr const char* name = "grown_struct";
  static constexpr std::size_t min_size = offsetof(grown_struct, added_later);
};
}  // namespace retold::capi

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

// A caller built before `added_later` existed passes the 1.0 size: its fields are read, the new
// one takes its default; when the library fills the struct, nothing past the caller's end is written.
TEST(CapiStructSize, AnOlderCallersSmallerStructIsReadWithDefaultsAndNeverOverrun) {
  struct {
    grown_struct s;
    unsigned char guard[8];
  } old_caller;
  std::memset(&old_caller, 0xab, sizeof old_caller);
  old_caller.s.struct_size = offsetof(grown_struct, added_later);
  old_caller.s.a = 7;
  old_caller.s.b = 8;
  const grown_struct defaults{sizeof(grown_struct), 1, 2, 99};
  int rc = guard("read", [&] {
    const grown_struct v = retold::capi::read_struct(&old_caller.s, "arg", defaults);
    EXPECT_EQ(v.a, 7u);
    EXPECT_EQ(v.b, 8u);
    EXPECT_EQ(v.added_later, 99u);  // not in the caller's struct: the default
    EXPECT_EQ(v.struct_size, sizeof(grown_struct));
    return RETOLD_OK;
  });
  EXPECT_EQ(rc, RETOLD_OK);

  rc = guard("write", [&] {
    retold::capi::write_struct(&old_caller.s, "out", grown_struct{0, 3, 4, 5});
    return RETOLD_OK;
  });
  EXPECT_EQ(rc, RETOLD_OK);
  EXPECT_EQ(old_caller.s.a, 3u);
  EXPECT_EQ(old_caller.s.b, 4u);
  EXPECT_EQ(old_caller.s.struct_size, offsetof(grown_struct, added_later));  // the caller's size stays
  unsigned char after[sizeof(grown_struct) - offsetof(grown_struct, added_later)];
  std::memcpy(after, reinterpret_cast<unsigned char*>(&old_caller.s) + offsetof(grown_struct, added_later), sizeof after);
  for (unsigned char c : after) EXPECT_EQ(c, 0xab);  // past the caller's end: untouched
}

TEST(CapiStructSize, SizesBelowTheFirstVersionOrMisalignedAreRefusedByName) {
  grown_struct s{};
  for (std::uint32_t bad : {0u, 4u, 8u, 12u}) {
    s.struct_size = bad;
    const int rc = guard("f", [&] { return (void)retold::capi::read_struct(&s, "opts", grown_struct{}), RETOLD_OK; });
    EXPECT_EQ(rc, RETOLD_EINVALID) << bad;
    EXPECT_NE(last().find("grown_struct"), std::string::npos) << last();
  }
}

TEST(CapiStructSize, ANewerCallersLargerStructNeedsAZeroTail) {
  struct {
    grown_struct s;
    std::uint64_t future;
  } newer{};
  newer.s.struct_size = sizeof newer;
  newer.s.a = 1;
  EXPECT_EQ(guard("f", [&] { return (void)retold::capi::read_struct(&newer.s, "opts", grown_struct{}), RETOLD_OK; }),
            RETOLD_OK);
  newer.future = 1;
  EXPECT_EQ(guard("f", [&] { return (void)retold::capi::read_struct(&newer.s, "opts", grown_struct{}), RETOLD_OK; }),
            RETOLD_EINVALID);
  EXPECT_NE(last().find("past its fields"), std::string::npos) << last();
  // filled: the library's fields, then zeros to the caller's end
  newer.future = 0xffff;
  EXPECT_EQ(guard("f", [&] { return retold::capi::write_struct(&newer.s, "out", grown_struct{0, 5, 6, 7}), RETOLD_OK; }),
            RETOLD_OK);
  EXPECT_EQ(newer.s.added_later, 7u);
  EXPECT_EQ(newer.future, 0u);
  EXPECT_EQ(newer.s.struct_size, sizeof newer);
}

}  // namespace
