// retold/verify.hpp - the scoring rule that turns candidate pairs into verified edges.
//
// Candidates come from two indexes (LSH over MinHash signatures, the vector index over
// embeddings). Each candidate is scored with the estimated Jaccard of the two signatures and the
// cosine of the two embeddings; the rule below decides whether the pair is the same story. The
// defaults were chosen on the training splits of real labelled data (docs/evaluation.md).
#pragma once

#include <retold/export.hpp>

#include <cstdint>

namespace retold {

/// Which part of the rule accepted a pair (or none). Values are pinned (C ABI, saved state).
enum class decided_by : std::uint8_t {
  rejected = 0,
  jaccard = 1,   ///< estimated Jaccard alone passed its threshold: a copy or a light edit
  cosine = 2,    ///< embedding cosine alone passed its threshold: a retelling
  combined = 3,  ///< neither alone, but the weighted combination did
};

/// Stable lowercase name of a decision ("jaccard", ...). Thread-safe; static string.
RETOLD_API const char* decided_by_name(decided_by d) noexcept;

/// The scores of one pair and the decision. Plain value.
struct pair_scores {
  double jaccard = 0.0;      ///< MinHash estimate of Jaccard similarity of the shingle sets
  double cosine = 0.0;       ///< cosine of the two embeddings (0 when has_cosine is false)
  bool has_cosine = false;   ///< false when embeddings are disabled or a vector is missing
  double score = 0.0;        ///< the single number used for ranking: see scoring_rule::evaluate
  decided_by decision = decided_by::rejected;
  bool accepted() const noexcept { return decision != decided_by::rejected; }
};

/// The verification rule. A pair is the same story when
///   jaccard >= jaccard_threshold, or
///   cosine  >= cosine_threshold, or
///   combined_weight_jaccard * jaccard + (1 - combined_weight_jaccard) * cosine >= combined_threshold.
/// score = max(jaccard, cosine, combined), in [0, 1] (negative cosines count as 0).
/// Plain value; evaluate() is pure and thread-safe.
struct scoring_rule {
  // Fitted on the MSRP training split with the built-in embedder's defaults (docs/evaluation.md);
  // the cosine thresholds are tied to that embedder: other features or dimensions shift cosine.
  double jaccard_threshold = 0.30;
  double cosine_threshold = 0.525;
  double combined_weight_jaccard = 0.8;
  double combined_threshold = 0.325;

  /// Scores one pair. `has_cosine` false ignores `cosine`.
  RETOLD_API pair_scores evaluate(double jaccard, double cosine, bool has_cosine) const noexcept;
  /// errc::invalid_argument naming the field when a threshold is outside [0, 1] or not finite.
  RETOLD_API void validate() const;
};

}  // namespace retold
