// tools/retold/commands.hpp - the retold subcommands: what each one's flags hold (filled in by
// the CLI wiring in main.cpp) and the function that runs it. Each run_* returns the exit status
// (common.hpp) or throws retold::error / strict_failure, which main() maps to one.
#pragma once

#include "common.hpp"

#include <retold/verify.hpp>

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace retold::cli {

struct dedup_flags {
  common_input_flags input;
  std::string state;
  std::string output = "-";
  std::string summary_file;
  std::size_t min_members = 1;
  bool changed_only = false;
  bool quiet = false;
  bool json = false;
  bool strict = false;
  bool no_progress = false;
  double log_interval = 10;
  std::size_t max_errors = 20;
  std::size_t batch_size = 4096;
  double retention_days = 0;
  double window_days = 0;
  unsigned threads = 0;
  std::string embedding = "builtin";
  std::uint32_t dimension = 0;
  std::vector<std::string> source_priority;
  scoring_rule scoring;
  std::string decision = "auto";  // --decision: auto, model or rule
  double match_threshold = 0;     // --match-threshold: 0 = the model's default
  bool dry_run = false;
  bool print_clusters = false;
  std::string vector_index = "auto";
  std::size_t ivf_min_size = 0;
  std::uint32_t nprobe = 0;
  std::uint32_t embedding_dimension = 0;
  std::size_t vector_candidates = 0;
  std::string wait_lock;  // --wait-lock[=SECONDS]: "" refuse at once, "forever", or seconds
  std::string match;      // --match: copies, retellings or stories (presets.hpp); "" = not given
  std::uint32_t snippet_bytes = 240;
  bool keep_text = false;  // --keep-text: structural, when creating a state
  std::string report;     // --report FILE: the night's HTML page (cmd_report.cpp)
};

/// `retold dedup` (cmd_dedup.cpp). `app` is its subcommand, asked which flags were given.
int run_dedup(dedup_flags& f, CLI::App* app);

struct query_flags {
  common_input_flags input;
  std::string state;
  std::string text;
  std::string id;
  std::size_t top_k = 10;
  bool all = false;
  std::string output = "-";
};

/// `retold query` (cmd_query.cpp).
int run_query(query_flags& f, CLI::App* app);

struct state_flags {
  std::string state;
  bool json = false;
  std::string output = "-";
  std::size_t min_members = 1;
};

/// `retold stats` and `retold export` (cmd_stats_export.cpp).
int run_stats(state_flags& f);
int run_export(state_flags& f);

struct report_flags {
  std::string state;
  std::string output = "report.html";
  std::string summary_file;  // a `dedup --summary` JSON file: the night shown on the page
  std::string title;
  std::size_t max_stories = 500;
  std::size_t max_singles = 2000;
};

/// `retold report` (cmd_report.cpp).
int run_report(report_flags& f);

struct night_summary;
/// Reads a `retold dedup --summary` JSON file. errc::io / errc::invalid_argument naming it.
night_summary read_night_summary(const std::string& path);

}  // namespace retold::cli
