// Clustering quality of retold::deduplicator itself (its own candidate generation: LSH + vector
// index, its own verification and leader clustering) on the labelled datasets in ../shared/data.
// Unlike the pair figures of retold_eval, nothing here is re-implemented: every document goes
// through deduplicator::add() one at a time, and candidate recall is read through the public
// query() (which uses the same candidate generation as add; see dedup_eval.cpp).
#pragma once

#include <retold/dedup.hpp>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace retold_eval {

/// One row of the evaluation table.
struct dedup_figure {
  std::string dataset, metric;
  double value = 0;
  double floor = 0;     ///< NaN: informational
  std::string target;
  int decimals = 3;
};

/// Runs retold::deduplicator (options as given; the real evaluation passes the defaults) over
/// COUNTER (all 600 documents, and the 300 of even-numbered pairs alone) and BBC (2,225
/// articles), then repeats the three with embedding_mode::none as informational rows.
/// The options are used as given except: normalize.replace_invalid_utf8 is set (one BBC file has
/// an invalid byte; valid text is unaffected), and for BBC (no dates) every timestamp is 0 and
/// time_window_seconds is 0. Arrival orders and the details are written to `notes` (markdown
/// bullets); with `explore` also per-class COUNTER breakdowns and five BBC merges of texts that
/// are not near-duplicates (ids and truncated titles). Prints no document text otherwise.
/// Throws std::runtime_error when the data cannot be read.
std::vector<dedup_figure> evaluate_deduplicator(const std::filesystem::path& data, const retold::deduplicator_options& opts,
                                                bool explore, std::ostream& notes);

}  // namespace retold_eval
