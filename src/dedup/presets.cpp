// The match presets (presets.hpp). The values were chosen on the training parts of the evaluation
// data and measured on held-out parts (docs/cli.md, "Match presets", gives the figures and the
// command: retold_dedup_eval --preset NAME).
#include <retold/error.hpp>
#include <retold/presets.hpp>

#include <string>

namespace retold {

namespace {

// copies: a pair is the same article when its estimated word 5-shingle Jaccard reaches this.
// Cosine and the combination are switched off (thresholds of 1: only identical texts pass them).
constexpr double copies_jaccard = 0.5;
// stories: the match model's probability threshold (the default, retellings, is the model's own).
constexpr double stories_threshold = 0.4;

}  // namespace

void apply_match_preset(deduplicator_options& o, match_preset preset) {
  const deduplicator_options defaults;
  switch (preset) {
    case match_preset::copies:
      o.decision = match_decision::rule;
      o.match_threshold = 0.0;
      o.scoring = scoring_rule{};
      o.scoring.jaccard_threshold = copies_jaccard;
      o.scoring.cosine_threshold = 1.0;
      o.scoring.combined_weight_jaccard = 1.0;
      o.scoring.combined_threshold = 1.0;
      o.copy_jaccard = defaults.copy_jaccard;
      return;
    case match_preset::retellings:
      o.decision = defaults.decision;
      o.match_threshold = defaults.match_threshold;
      o.scoring = defaults.scoring;
      o.copy_jaccard = defaults.copy_jaccard;
      return;
    case match_preset::stories:
      o.decision = match_decision::automatic;
      o.match_threshold = stories_threshold;
      o.scoring = defaults.scoring;
      o.copy_jaccard = defaults.copy_jaccard;
      return;
  }
  throw error(errc::invalid_argument,
              "apply_match_preset: unknown preset " + std::to_string(static_cast<unsigned>(preset)));
}

const char* match_preset_name(match_preset preset) noexcept {
  switch (preset) {
    case match_preset::copies: return "copies";
    case match_preset::retellings: return "retellings";
    case match_preset::stories: return "stories";
  }
  return "unknown";
}

std::optional<match_preset> parse_match_preset(std::string_view name) noexcept {
  for (auto p : {match_preset::copies, match_preset::retellings, match_preset::stories})
    if (name == match_preset_name(p)) return p;
  return std::nullopt;
}

}  // namespace retold
