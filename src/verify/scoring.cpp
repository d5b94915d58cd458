#include <retold/error.hpp>
#include <retold/verify.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace retold {

const char* decided_by_name(decided_by d) noexcept {
  switch (d) {
    case decided_by::rejected: return "rejected";
    case decided_by::jaccard: return "jaccard";
    case decided_by::cosine: return "cosine";
    case decided_by::combined: return "combined";
    case decided_by::model: return "model";
  }
  return "unknown";
}

pair_scores scoring_rule::evaluate(double jaccard, double cosine, bool has_cosine) const noexcept {
  pair_scores s;
  s.jaccard = std::clamp(jaccard, 0.0, 1.0);
  s.has_cosine = has_cosine;
  s.cosine = has_cosine ? std::clamp(cosine, 0.0, 1.0) : 0.0;
  // Without an embedding the combination would only rescale Jaccard: it is not applied.
  const double combined = has_cosine
      ? combined_weight_jaccard * s.jaccard + (1.0 - combined_weight_jaccard) * s.cosine
      : 0.0;
  s.score = std::max({s.jaccard, s.cosine, combined});
  if (s.jaccard >= jaccard_threshold) {
    s.decision = decided_by::jaccard;
  } else if (has_cosine && s.cosine >= cosine_threshold) {
    s.decision = decided_by::cosine;
  } else if (has_cosine && combined >= combined_threshold) {
    s.decision = decided_by::combined;
  }
  return s;
}

void scoring_rule::validate() const {
  auto check = [](double v, const char* name) {
    if (!std::isfinite(v) || v < 0.0 || v > 1.0)
      throw error(errc::invalid_argument,
                  std::string("scoring_rule.") + name + " must be in [0, 1], got " + std::to_string(v));
  };
  check(jaccard_threshold, "jaccard_threshold");
  check(cosine_threshold, "cosine_threshold");
  check(combined_weight_jaccard, "combined_weight_jaccard");
  check(combined_threshold, "combined_threshold");
}

}  // namespace retold
