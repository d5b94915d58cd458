// tests/fuzz/fuzz_util.hpp - what the fuzz targets share: a byte consumer that turns the fuzz
// input into option values, and the check macro that turns a broken invariant into a crash
// libFuzzer records (also in the replay build, where abort() fails the CTest test).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace retold_fuzz {

/// Reads little-endian values from the front of the input; past the end everything is 0, so
/// every input decodes to something (the fuzzer never wastes executions on "too short").
class bytes {
 public:
  bytes(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  std::uint8_t u8() { return n_ ? (--n_, *p_++) : 0; }
  bool flag() { return u8() & 1; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() { return u16() | (static_cast<std::uint32_t>(u16()) << 16); }
  std::uint64_t u64() { return u32() | (static_cast<std::uint64_t>(u32()) << 32); }
  /// Up to `max` bytes, the length taken from one byte.
  std::string_view str(std::size_t max) {
    std::size_t len = u8();
    if (len > max) len = max;
    return take(len);
  }
  std::string_view take(std::size_t len) {
    if (len > n_) len = n_;
    std::string_view s(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    n_ -= len;
    return s;
  }
  std::string_view rest() { return take(n_); }
  std::size_t remaining() const noexcept { return n_; }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

/// A scratch directory private to this process, on tmpfs when there is one (state saves
/// fsync), removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path base = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    if (const char* t = std::getenv("RETOLD_FUZZ_TMPDIR")) base = t;
    auto d = base / ("retold-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    static struct cleanup {
      std::filesystem::path p;
      ~cleanup() {
        std::error_code ec;
        std::filesystem::remove_all(p, ec);
      }
    } c{d};
    return d;
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& p, std::string_view data) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  FUZZ_CHECK(f != nullptr);
  if (!data.empty()) FUZZ_CHECK(std::fwrite(data.data(), 1, data.size(), f) == data.size());
  FUZZ_CHECK(std::fclose(f) == 0);
}

}  // namespace retold_fuzz
