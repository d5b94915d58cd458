// retold/verify.hpp - the decision that turns candidate pairs into verified edges.
//
// Candidates come from two indexes (LSH over MinHash signatures, the vector index over
// embeddings). Each candidate pair is described by its evidence (pair_evidence: Jaccard and
// containment of the shingle sets, cosine and how unusual it is in this corpus, rarity-weighted
// word overlap, agreement of numbers and names, titles, lengths) and decided by the learned
// match_model: gradient-boosted trees fitted offline on the training parts of real labelled data
// (tools/train_match_model.py, docs/evaluation.md), whose probability is the match score. The
// earlier threshold rule (scoring_rule: Jaccard or cosine or their combination) stays available.
#pragma once

#include <retold/embed.hpp>
#include <retold/export.hpp>
#include <retold/sketch.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace retold {

/// Which part of the rule accepted a pair (or none). Values are pinned (C ABI, saved state).
enum class decided_by : std::uint8_t {
  rejected = 0,
  jaccard = 1,   ///< estimated Jaccard alone passed its threshold: a copy or a light edit
  cosine = 2,    ///< embedding cosine alone passed its threshold: a retelling
  combined = 3,  ///< neither alone, but the weighted combination did
  model = 4,     ///< the learned match_model's probability reached its threshold
};

/// Stable lowercase name of a decision ("jaccard", ...). Thread-safe; static string.
RETOLD_API const char* decided_by_name(decided_by d) noexcept;

/// The scores of one pair and the decision. Plain value.
struct pair_scores {
  double jaccard = 0.0;      ///< MinHash estimate of Jaccard similarity of the shingle sets
  double cosine = 0.0;       ///< cosine of the two embeddings (0 when has_cosine is false)
  bool has_cosine = false;   ///< false when embeddings are disabled or a vector is missing
  double score = 0.0;        ///< the single number used for ranking: the match model's probability
                             ///< (for a copy decided by Jaccard, at least its Jaccard: a copy scores 1),
                             ///< or scoring_rule::evaluate's score under the threshold rule
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

/// What is known about the random pairs of a corpus: the running mean and spread of the cosine
/// between each new document and a few earlier ones chosen by a fixed rule (the deduplicator
/// feeds it as it runs and saves it with its state). A language whose embeddings run closer or
/// further apart shifts the whole distribution; the z-score against it is comparable across
/// corpora. Plain value; not synchronized.
struct cosine_calibration {
  double count = 0, mean = 0, m2 = 0;  ///< Welford accumulators
  /// Pairs needed before z() is trusted; below it z() returns 0.
  static constexpr double min_count = 64;
  void observe(double cosine) noexcept;
  double stddev() const noexcept;
  /// (cosine - mean) / stddev, clamped to [-8, 24]; 0 until min_count pairs were seen.
  double z(double cosine) const noexcept;
  /// The k-th (0 .. partners-1) earlier document that document number `index` (>= 1) is paired
  /// with: a fixed pseudo-random index in [0, index), so the calibration depends only on the order
  /// documents arrive in.
  static constexpr unsigned partners = 4;
  RETOLD_API static std::uint64_t partner(std::uint64_t index, unsigned k) noexcept;
  friend bool operator==(const cosine_calibration&, const cosine_calibration&) = default;
};

/// The evidence features, in model order. Values are pinned (C ABI, saved explanations).
enum class match_feature : std::uint8_t {
  jaccard = 0,            ///< MinHash estimate of the shingle-set Jaccard
  containment = 1,        ///< share of the smaller shingle set found in the larger (from Jaccard and sizes)
  cosine = 2,             ///< embedding cosine (0 without embeddings)
  cosine_z = 3,           ///< cosine against the corpus's random pairs (cosine_calibration::z)
  word_overlap = 4,       ///< rarity-weighted (idf) Jaccard of the word samples
  word_containment = 5,   ///< rarity-weighted share of the shorter text's words in the longer
  bigram_containment = 6, ///< share of the shorter text's word pairs in the longer
  numbers_agree = 7,      ///< share of the numbers of the text with fewer numbers found in the other
  numbers_differ = 8,     ///< both texts have numbers and share none of them (1 or 0)
  names_agree = 9,        ///< rare-name-weighted share of the names of the shorter text in the longer
  title_overlap = 10,     ///< Jaccard of the title words (0 when either has no title)
  length_ratio = 11,      ///< ln(distinct words of the shorter / of the longer), <= 0
  short_text = 12,        ///< 1 / (1 + distinct words of the shorter / 40): 1 for a headline, ~0.1 for an article
  trigram_containment = 13, ///< share of the shorter text's runs of three words in the longer (kept passages)
  // Directional: how much of the newer text (the one being added or queried: compute_evidence's
  // `a`) comes from the older. A retelling is mostly its source's material; a follow-up report or
  // an independent report of the same event brings its own, whichever text is shorter.
  newer_word_containment = 14,    ///< rarity-weighted share of the newer text's words in the older
  newer_bigram_containment = 15,  ///< share of the newer text's word pairs in the older
  newer_trigram_containment = 16, ///< share of the newer text's runs of three words in the older
};
inline constexpr std::size_t match_feature_count = 17;

/// Stable snake_case name of a feature ("word_containment", ...). Thread-safe; static string.
RETOLD_API const char* match_feature_name(match_feature f) noexcept;

/// The evidence for one candidate pair. Plain value.
struct pair_evidence {
  std::array<double, match_feature_count> values{};
  double operator[](match_feature f) const noexcept { return values[static_cast<std::size_t>(f)]; }
};

/// Computes the evidence of a pair from what the deduplicator stores. `a` is the newer document
/// (the one being added or queried, or of two stored ones the later added), `b` the older: only
/// the newer_* features depend on the order. `jaccard` and `cosine` as in pair_scores (has_cosine false: the cosine features are 0). Word overlap is weighted by the
/// idf `frequencies` gives each sketch word (the built-in embedder's document frequencies, whose
/// word terms share the sketch's hash when both use the same seed); a name counts by how much
/// rarer it is than a word found in 5% of documents. With null `frequencies` (no built-in
/// embedder) every word weighs 1 and every capitalised or caseless-script word is a name.
/// Pure; thread-safe with other const uses of `frequencies`.
RETOLD_API pair_evidence compute_evidence(const doc_sketch& a, const doc_sketch& b, const sketch_options& sketch,
                                          double jaccard, double cosine, bool has_cosine,
                                          const cosine_calibration& calibration,
                                          const tfidf_embedder* frequencies) noexcept;

/// One feature's part in a decision: its value and how far it moved the log-odds (relative to a
/// typical training pair: coefficient * (value - training mean)).
struct feature_contribution {
  match_feature feature = match_feature::jaccard;
  double value = 0.0;
  double contribution = 0.0;
};

/// The learned decision: gradient-boosted regression trees on the log-odds,
///   P(same story) = 1 / (1 + exp(-(base + learning_rate * sum over trees of the leaf reached))),
/// fitted by tools/train_match_model.py on the training parts of the labelled data. Agreement
/// features are monotone (more agreement never lowers the probability). builtin() is the model
/// shipped with this build (src/verify/match_model_coefficients.inc, with the command that
/// reproduces it). Value type; const members are pure and thread-safe.
struct match_model {
  /// One tree node. A split sends a pair left when its feature's value < threshold; every node
  /// (leaves and splits) carries the value a leaf there would have, for explanations.
  struct node {
    std::int32_t feature = -1;  ///< a match_feature, or -1 for a leaf
    double threshold = 0.0;
    std::uint32_t left = 0, right = 0;  ///< indices into `nodes`
    double value = 0.0;
  };
  double base = 0.0;
  double learning_rate = 0.1;
  std::vector<node> nodes;
  std::vector<std::uint32_t> roots;  ///< the first node of each tree
  /// Default probability threshold: chosen on the training data for precision on English news.
  double threshold = 0.5;

  /// The model shipped with this build.
  RETOLD_API static const match_model& builtin() noexcept;
  /// P(same story) for this evidence, in (0, 1).
  RETOLD_API double probability(const pair_evidence& e) const noexcept;
  /// Every feature's value and its contribution to the log-odds, in feature order: along each
  /// tree's path, the change of node value at a split is credited to the split's feature, so the
  /// contributions add up to the log-odds minus that of a pair that reached no split (base plus
  /// the roots' values).
  RETOLD_API std::vector<feature_contribution> contributions(const pair_evidence& e) const;
};

}  // namespace retold
