// tools/retold/common.hpp - pieces shared by the retold subcommands: exit statuses, timing,
// human-readable numbers, and the input options every reading subcommand takes.
#pragma once

#include "input.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace retold::cli {

/// Exit statuses (docs/cli.md). Command-line mistakes exit with CLI11's own usage status.
enum exit_status : int {
  exit_ok = 0,
  exit_error = 1,     ///< unreadable input, damaged state, I/O failure
  exit_strict = 2,    ///< a bad record under --strict
  exit_conflict = 3,  ///< another writer holds the state directory
  exit_no_input = 4,  ///< dedup read no record at all and standard input was among its inputs
};

/// A bad record under --strict: exit_strict, nothing saved.
class strict_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// Peak resident set of this process so far.
std::uint64_t peak_rss_bytes();
/// 1234567 -> "1,234,567".
std::string human_count(std::uint64_t n);
/// Seconds as "42s", "3m07s", "2h05m".
std::string human_duration(double s);
/// `v` with `prec` decimals ("%.*f").
std::string fmt_double(double v, int prec = 4);

/// The input files and reading options shared by `dedup` and `query` (wired in main.cpp).
struct common_input_flags {
  std::vector<std::string> inputs;
  std::string format = "auto";
  input_options in;
  std::string delimiter = ",";
};

/// Checks the flags and turns them into input_options; an empty input list becomes "-".
/// Throws retold::error(errc::invalid_argument) naming the flag.
input_options finish_input_flags(common_input_flags& f);

}  // namespace retold::cli
