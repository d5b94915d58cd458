// tools/retold/progress.cpp - the progress display of `retold dedup` (progress.hpp).
#include "progress.hpp"

#include <algorithm>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace retold::cli {

progress_display::progress_display(bool enabled, double log_interval, std::uint64_t bytes_total)
    : enabled_(enabled), tty_(::isatty(2) == 1), interval_(log_interval), bytes_total_(bytes_total) {}

void progress_display::update(std::uint64_t docs, std::uint64_t bytes_done, bool final) {
  if (!enabled_) return;
  const double now = seconds_since(start_);
  if (!final && now - last_ < (tty_ ? 0.25 : interval_)) return;
  last_ = now;
  const double rate = now > 0 ? static_cast<double>(docs) / now : 0;
  double frac = -1;
  if (bytes_total_ > 0)
    frac = std::min(1.0, static_cast<double>(bytes_done) / static_cast<double>(bytes_total_));
  std::string eta;
  if (frac > 0.001 && !final) eta = "  ETA " + human_duration(now / frac - now);
  char line[256];
  if (tty_) {
    std::string bar;
    if (frac >= 0) {
      const int width = 30, fill = static_cast<int>(frac * width);
      bar.assign(1, '[');
      bar.append(static_cast<std::size_t>(fill), '=');
      if (fill < width) bar.push_back('>');
      bar.append(static_cast<std::size_t>(std::max(0, width - fill - 1)), ' ');
      bar += "] " + fmt_double(frac * 100, 1) + "%  ";
    }
    std::snprintf(line, sizeof line, "\r\033[K%s%s docs  %s docs/s%s", bar.c_str(), human_count(docs).c_str(),
                  human_count(static_cast<std::uint64_t>(rate)).c_str(), eta.c_str());
    std::fputs(line, stderr);
    if (final) std::fputs("\n", stderr);
  } else {
    std::snprintf(line, sizeof line, "retold: %s documents, %s docs/s%s%s\n", human_count(docs).c_str(),
                  human_count(static_cast<std::uint64_t>(rate)).c_str(),
                  frac >= 0 ? (", " + fmt_double(frac * 100, 1) + "% of input").c_str() : "", eta.c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace retold::cli
