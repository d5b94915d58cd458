// src/dedup/deduplicator_impl.hpp - the state behind retold::deduplicator (internal).
//
// Documents live in "slots": slot numbers are given in order of arrival and never reused while the
// deduplicator lives, so slot order is arrival order (the leader clustering and the saved state
// rely on that). Removed slots become tombstones; save() compacts them away and load() renumbers.
// The slot is the key in both indexes (LSH and the vector index).
#pragma once

#include <retold/dedup.hpp>

#include "dedup/snippet.hpp"
#include "store/state_file.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace retold {

/// Everything computed for one document before it touches shared state: pure, parallelizable.
struct doc_features {
  errc status = errc::ok;
  std::string error;
  std::vector<std::uint32_t> signature;  // num_hashes values
  lsh_band_keys band_keys;               // the signature's band fingerprints: hashed once, used by every LSH call
  term_counts terms;                     // builtin embedding mode only
  std::vector<float> vector;             // external: the caller's, L2-normalized; builtin: filled later
  std::size_t text_length = 0;
  doc_sketch sketch;                     // evidence for the match model (sketch.hpp)
  std::string normalized;                // kept only when options.keep_text
  std::string title, snippet;            // as stored (snippet.hpp: cleaned, bounded)
};

struct deduplicator::impl {
  explicit impl(deduplicator_options o);

  deduplicator_options opts;
  std::uint32_t dim = 0;  // embedding dimension, 0 in embedding_mode::none
  minhasher hasher;
  lsh_index lsh;
  std::optional<tfidf_embedder> embedder;
  std::optional<vector_index> vectors_index;
  leader_clustering stories;

  // Per-slot data (index = slot).
  std::vector<std::string> ids;  // empty string: tombstone
  std::vector<std::int64_t> timestamps;
  std::vector<std::string> sources;
  std::vector<std::uint32_t> text_lengths;
  std::vector<pair_scores> join_scores;  // scores against the leader when the document joined
  std::vector<float> vectors;            // slot * dim
  std::vector<std::string> texts;        // normalized text, only with keep_text
  detail::text_arena readable;           // per slot: cleaned title and opening of the text (snippet.hpp)
  std::vector<doc_sketch> sketches;      // per slot: the evidence sketch (empty for version-2 states)
  // Cosines of each new document with a few earlier ones (cosine_calibration::partner), in slot
  // order: what an unrelated pair of this corpus looks like. Saved with the state. Pairs are
  // scored with `calibration_in_force`, the accumulator's value when the open segment began (a
  // function of the document count only), so the scores of a segment's documents against the
  // stored ones do not depend on each other and are computed in parallel (segment_candidates).
  cosine_calibration calibration;
  cosine_calibration calibration_in_force;
  std::unordered_map<std::string, std::uint32_t> slot_of;

  // Document frequencies are refreshed in epochs (see embed_epoch_boundary): documents since the
  // last refresh wait here, so an embedding depends only on how many documents came before it,
  // never on how they were batched.
  std::vector<term_counts> pending_terms;
  bool coarse_epochs = false;  // a state saved before format 3: the old epoch schedule continues

  // The open segment (see add_batch): slots >= open_from are stored (LSH, vectors, stories) but
  // not yet in the vector index; candidates among them are found by exact cosine. The segment
  // closes, and its vectors join the index, when it holds max_segment slots or a DF epoch ends,
  // wherever the add calls happen to begin and end - so the result does not depend on how the
  // documents were split into calls or nights. Saved with the state.
  std::uint32_t open_from = 0;

  std::uint64_t added_total = 0;
  std::uint64_t removed_total = 0;
  add_stage_seconds add_seconds;  // guarded by mutex (written under the exclusive lock)

  // Readers take `mutex` shared. Writers (add, remove, evict) take `writer` first, then `mutex`
  // exclusively; holding `writer` alone keeps the state fixed, so a writer may step down to a
  // shared lock for long read-only work (building a retrained vector index) and let readers in.
  mutable std::shared_mutex mutex;
  std::mutex writer;

  // save()/load() (persist.cpp): the state this deduplicator last loaded or saved in each
  // directory, so that a save over anything else (another writer's generation) is refused with
  // errc::conflict. `save_mutex` serializes this deduplicator's own saves (snapshot, write, stamp)
  // so they never conflict with each other; it is taken before `mutex`, never after.
  std::mutex save_mutex;
  std::vector<detail::state_stamp> known_states;  // guarded by save_mutex

  // ---- the stages (all const ones are safe under the shared lock)
  doc_features compute_features(const document& doc) const;
  void embed_new(std::span<doc_features*> batch) const;    // parallel embedding of one epoch
  void note_observed(doc_features& f);                       // DF epoch bookkeeping, exclusive
  std::vector<match> candidates_for(std::span<const std::uint32_t> sig, std::span<const float> vec, const doc_sketch& sketch,
                                    std::optional<std::int64_t> timestamp, std::size_t limit,
                                    bool accepted_only) const;
  /// Scores a document (signature, vector, sketch) against a stored slot with the configured
  /// decision; `evidence_out`, when given, receives the pair's evidence.
  pair_scores score_slots(std::span<const std::uint32_t> sig, std::span<const float> vec, const doc_sketch& sketch,
                          std::uint32_t other, pair_evidence* evidence_out = nullptr) const;
  double model_threshold() const noexcept;
  /// True when candidates are decided by the learned model (see match_decision).
  bool uses_model() const noexcept;
  /// Candidates of one document of a segment: stored slots, and earlier positions in the segment.
  struct segment_candidate {
    std::vector<std::uint32_t> stored;       // sorted, unique
    std::vector<pair_scores> stored_scores;  // stored_scores[i]: the document against stored[i]
    std::vector<std::uint32_t> in_segment;
  };
  /// Most slots in a segment. Larger segments read the IVF cells fewer times (each probed cell
  /// once per segment: at 1M documents a segment of 1024 read ~1 GB, nearly the whole index);
  /// within-segment cosines are quadratic (4096: 8.4M dot products, ~0.1 s). 4096 is also the DF
  /// epoch length, so builtin-embedding segments are exactly the DF epochs.
  static constexpr std::size_t max_segment = 4096;
  /// Candidates of new documents `seg` (all joining the open segment, in this order).
  std::vector<segment_candidate> segment_candidates(std::span<doc_features* const> seg) const;
  /// Cosines of `rows` (n x dim) with every open-segment slot, n x (ids.size() - open_from).
  std::vector<float> cosines_with_open(const float* rows, std::size_t n) const;
  /// Moves the open segment's vectors into the vector index. Called with `writer` held and
  /// `lock` (on mutex) owned; when the index must be retrained, the replacement is built from our
  /// copies of the vectors under a shared lock (readers go on with the old index and the open
  /// segment), and swapped in under the exclusive lock again.
  void close_segment(std::unique_lock<std::shared_mutex>& lock);
  /// `known`: scores already computed against some stored slots (sorted by slot), see
  /// segment_candidate; the other candidates are scored here.
  add_result insert(const document& doc, doc_features& f, std::span<const std::uint32_t> candidates,
                    const segment_candidate* known = nullptr);  // exclusive
  void erase_slot(std::uint32_t slot);                        // exclusive
  std::uint32_t slot_or_throw(std::string_view id) const;
  cluster_info describe(std::uint64_t cluster_id) const;
  // The member of a story (slots in member order, non-empty) that options.representative picks.
  std::uint32_t representative_slot(std::span<const std::uint32_t> members) const;
  bool within_window(std::int64_t a, std::int64_t b) const noexcept;
  std::span<const float> vector_of(std::uint32_t slot) const noexcept;
  pair_scores self_scores() const noexcept;  // how a leader scores against itself
  unsigned worker_count(std::size_t jobs) const noexcept;
};

/// The number of documents whose frequencies are in force once `observed` documents have been
/// folded in: 1, 2, 4, ... 256, then every 256 up to 4096, then every 4096.
/// With `coarse` (states saved before format 3), the early epochs keep doubling up to 4096 (a
/// frequency lag of up to half the corpus); otherwise they double up to 256 and then come every
/// 256 documents until 4096 (a lag of at most 256 documents early on).
std::uint64_t embed_epoch_boundary(std::uint64_t observed, bool coarse = false) noexcept;

}  // namespace retold
