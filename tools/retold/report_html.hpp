// tools/retold/report_html.hpp - `retold report`: one self-contained HTML page (inline CSS, a
// little inline JavaScript, SVG histograms; no network, no external assets) showing a state's
// stories for a person: representative, members with source, time and scores, each retelling's
// text beside its leader's with the shared passages highlighted, histograms of match scores and
// story sizes, and the night's summary when there is one.
#pragma once

#include <retold/dedup.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace retold::cli {

/// What one `retold dedup` run did (its JSON summary, docs/cli.md), for the report's header.
struct night_summary {
  std::uint64_t documents_read = 0, documents_added = 0, new_stories = 0, retellings = 0, evicted = 0;
  std::uint64_t skipped = 0;
  std::map<std::string, std::uint64_t> skipped_by_reason;
  std::vector<std::pair<std::string, double>> stage_seconds;  ///< in the summary's order
  bool state_saved = false;
};

/// What to put on the page.
struct report_request {
  std::string title = "retold report";
  std::string state_dir;                  ///< shown, and where the last save time is read
  std::optional<night_summary> night;     ///< the night's summary, when the report is of a night
  std::size_t max_stories = 500;          ///< stories with retellings shown in full (largest first)
  std::size_t max_singles = 2000;         ///< single-report stories listed (most recent first)
};

/// The page as one string. Reads `d` under its shared lock (clusters, explain for keep_text
/// states); the page's story elements (class "story") number min(stories, the two caps).
std::string render_report(const deduplicator& d, const report_request& req);

/// Words of `a` and `b` that lie in a run of at least `min_run` words (compared case-folded,
/// ASCII punctuation ignored) found in both: per word of each text, true when shared. Words are
/// the text split at ASCII whitespace. Pure function.
struct shared_words {
  std::vector<std::string> words_a, words_b;
  std::vector<bool> in_a, in_b;
};
shared_words find_shared_runs(const std::string& a, const std::string& b, std::size_t min_run = 4);

}  // namespace retold::cli
