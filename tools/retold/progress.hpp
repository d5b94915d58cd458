// tools/retold/progress.hpp - the progress display of `retold dedup` on standard error.
#pragma once

#include "common.hpp"

#include <cstdint>

namespace retold::cli {

/// A bar on a terminal, a log line every `log_interval` seconds otherwise. The fraction done is
/// the bytes of input the adder has consumed (not what the reader thread has read ahead) over
/// the bytes of all input files; unknown (no bar) when standard input is among them.
/// Used from one thread.
class progress_display {
 public:
  /// `bytes_total`: the size of all inputs, 0 when unknown.
  progress_display(bool enabled, double log_interval, std::uint64_t bytes_total);

  /// `docs` documents and `bytes_done` bytes of input processed so far; `final` prints
  /// regardless of the interval (and ends the bar's line).
  void update(std::uint64_t docs, std::uint64_t bytes_done, bool final = false);

 private:
  bool enabled_, tty_;
  double interval_;
  std::uint64_t bytes_total_;
  clock_type::time_point start_ = clock_type::now();
  double last_ = 0;
};

}  // namespace retold::cli
