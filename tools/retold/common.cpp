// tools/retold/common.cpp - shared helpers of the retold subcommands (common.hpp).
#include "common.hpp"

#include <retold/error.hpp>

#include <cstdio>
#include <sys/resource.h>

namespace retold::cli {

std::uint64_t peak_rss_bytes() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

std::string human_count(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

std::string human_duration(double s) {
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) / 60 % 60);
  }
  return buf;
}

std::string fmt_double(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

input_options finish_input_flags(common_input_flags& f) {
  if (f.inputs.empty()) f.inputs.push_back("-");
  f.in.format = f.format == "jsonl" ? input_format::jsonl : f.format == "csv" ? input_format::csv : input_format::automatic;
  if (f.delimiter == "tab" || f.delimiter == "\\t") f.delimiter.assign(1, '\t');
  if (f.delimiter.size() != 1) throw error(errc::invalid_argument, "--csv-delimiter must be one character");
  f.in.csv_delimiter = f.delimiter[0];
  if (f.in.max_doc_bytes == 0) throw error(errc::invalid_argument, "--max-doc-bytes must be > 0");
  return f.in;
}

}  // namespace retold::cli
