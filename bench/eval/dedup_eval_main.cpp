// retold_dedup_eval: the deduplicator-level figures of dedup_eval.hpp alone, with default options.
//
//   retold_dedup_eval --data ../shared/data [--explore] [--preset copies|retellings|stories]
//
// retold_eval calls evaluate_deduplicator() for the evaluation table; this driver is for running
// those figures quickly while changing the deduplicator. Prints aggregate figures and notes only.
#include "dedup_eval.hpp"

#include <retold/presets.hpp>

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
  CLI::App app{"retold_dedup_eval: retold::deduplicator end to end on COUNTER and BBC"};
  std::string data = "../shared/data";
  bool explore = false, rule = false;
  app.add_option("--data", data, "dataset root (README.md there describes the formats)");
  app.add_flag("--explore", explore, "also print per-class COUNTER breakdowns and BBC merges of distinct stories");
  double match_threshold = 0;
  app.add_option("--match-threshold", match_threshold, "the model's probability threshold (0: its default)");
  app.add_flag("--rule-decision", rule, "decide with the threshold rule (options.scoring) instead of the match model")
      ->group("");  // hidden: for comparison with the pre-model decision
  std::string preset;
  app.add_option("--preset", preset, "apply this match preset (presets.hpp) before the flags above")
      ->check(CLI::IsMember({"copies", "retellings", "stories"}));
  double jaccard_threshold = 0;
  app.add_option("--jaccard-threshold", jaccard_threshold, "rule decision: the Jaccard threshold (after the preset)");
  CLI11_PARSE(app, argc, argv);
  retold::deduplicator_options opts;
  if (!preset.empty()) apply_match_preset(opts, *retold::parse_match_preset(preset));
  if (rule) opts.decision = retold::match_decision::rule;
  if (app.count("--match-threshold") || preset.empty()) opts.match_threshold = match_threshold;
  if (app.count("--jaccard-threshold")) opts.scoring.jaccard_threshold = jaccard_threshold;
  std::ostringstream notes;
  std::vector<retold_eval::dedup_figure> rows;
  try {
    rows = retold_eval::evaluate_deduplicator(data, opts, explore, notes);
  } catch (const std::exception& e) {
    std::cerr << "retold_dedup_eval: " << e.what() << "\n";
    return 2;
  }
  auto fmt = [](double v, int d) {
    if (std::isnan(v)) return std::string("-");
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", d, v);
    return std::string(b);
  };
  std::cout << "| dataset | metric | value | floor | target |\n|---|---|---|---|---|\n";
  for (const auto& r : rows)
    std::cout << "| " << r.dataset << " | " << r.metric << " | " << fmt(r.value, r.decimals) << " | " << fmt(r.floor, r.decimals)
              << " | " << r.target << " |\n";
  std::cout << "\n" << notes.str();
  return 0;
}
