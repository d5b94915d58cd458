// src/dedup/deduplicator_impl.hpp - the state behind retold::deduplicator (internal).
//
// Documents live in "slots": slot numbers are given in order of arrival and never reused while the
// deduplicator lives, so slot order is arrival order (the leader clustering and the saved state
// rely on that). Removed slots become tombstones; save() compacts them away and load() renumbers.
// The slot is the key in both indexes (LSH and the vector index).
#pragma once

#include <retold/dedup.hpp>

#include "dedup/id_table.hpp"
#include "dedup/snippet.hpp"
#include "store/state_file.hpp"

#include <xxhash.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace retold {

namespace detail {

/// The deduplicator's one copy of every vector, slot after slot, in chunks that never move once
/// allocated: the vector index (and the next one, built on another thread) read the rows in place
/// through vector_row_source, and no growth ever copies them. Rows are append-only and never
/// change (a removed slot keeps its row until the state is compacted by save/load). Thread
/// safety: appends need exclusive access; row() may run concurrently with appends, for rows
/// appended before (the chunk directory has a fixed size and its entries are written once).
/// The std::vector-like members (size, capacity, reserve, end, insert) count floats, so the
/// insertion code reads as it did when this was a std::vector<float>.
class vector_store final : public vector_row_source {
 public:
  struct append_position {};
  /// Before the first row; 0 keeps the store empty.
  void set_dimension(std::uint32_t dim) noexcept {
    dim_ = dim;
    per_chunk_ = dim ? std::max<std::size_t>(1, (std::size_t{1} << 20) / dim) : 1;
  }
  std::uint32_t dimension() const noexcept { return dim_; }
  std::size_t rows() const noexcept { return rows_; }
  const float* row(std::uint64_t slot) const noexcept override {
    return chunk(static_cast<std::size_t>(slot) / per_chunk_) + (static_cast<std::size_t>(slot) % per_chunk_) * dim_;
  }
  /// Appends one row (dim floats). bad_alloc when a new chunk cannot be had (nothing changes);
  /// never fails after reserve() made room for it.
  void push(const float* v) {
    reserve_rows(rows_ + 1);
    std::copy(v, v + dim_, chunk(rows_ / per_chunk_) + (rows_ % per_chunk_) * dim_);
    ++rows_;
  }
  /// errc::too_large when the store cannot grow to `rows` rows (the chunk directory is full).
  void reserve_rows(std::size_t rows) {
    while (allocated_ * per_chunk_ < rows) {
      const std::size_t c = allocated_;
      if (c / dir_size >= dir_size) throw error(errc::too_large, "vector_store: more vectors than the store can hold");
      auto& entry = dir_[c / dir_size];
      if (!entry) entry = std::make_unique<chunk_ptr[]>(dir_size);
      // Left uninitialized (untouched pages cost nothing). Aligned to 2 MiB and marked for
      // transparent huge pages: an IVF scan reads rows scattered over the whole store, and with
      // 4 KiB pages nearly every row was a TLB miss.
      // Mapped, not malloc'ed: a freed chunk goes back to the system at once (glibc would keep
      // freed multi-MiB blocks in its heap after raising its mmap threshold).
      const std::size_t bytes = (per_chunk_ * dim_ * sizeof(float) + huge_page - 1) / huge_page * huge_page;
      void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (mem == MAP_FAILED) throw std::bad_alloc();
#ifdef __linux__
      (void)madvise(mem, bytes, MADV_HUGEPAGE);  // advice only: without it, ordinary pages
#endif
      entry[c % dir_size] = chunk_ptr(static_cast<float*>(mem), free_chunk{bytes});
      ++allocated_;
    }
  }

  std::size_t size() const noexcept { return rows_ * dim_; }
  std::size_t capacity() const noexcept { return allocated_ * per_chunk_ * dim_; }
  /// Room for at least one more row when `floats` exceeds size(): chunks are allocated one at a
  /// time (no doubling: a chunk is a few MiB).
  void reserve(std::size_t floats) { reserve_rows(std::min(dim_ ? (floats + dim_ - 1) / dim_ : 0, rows_ + 1)); }
  append_position end() const noexcept { return {}; }
  template <class It>
  void insert(append_position, It first, It last) {
    if (static_cast<std::size_t>(last - first) != dim_) throw error(errc::internal, "vector_store: a row of the wrong size");
    push(&*first);
  }

 private:
  static constexpr std::size_t dir_size = 1024;  // directory entries of dir_size chunks each
  static constexpr std::size_t huge_page = std::size_t{2} << 20;
  struct free_chunk {
    std::size_t bytes = 0;
    void operator()(float* p) const noexcept { munmap(p, bytes); }
  };
  using chunk_ptr = std::unique_ptr<float[], free_chunk>;
  float* chunk(std::size_t c) const noexcept { return dir_[c / dir_size][c % dir_size].get(); }
  std::uint32_t dim_ = 0;
  std::size_t per_chunk_ = 1;  // rows per chunk: about 4 MiB of floats
  std::size_t rows_ = 0, allocated_ = 0;
  std::array<std::unique_ptr<chunk_ptr[]>, dir_size> dir_;
};

}  // namespace detail

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
  // slot -> vector: the only copy (the vector index reads it in place, vector_row_source).
  // Declared before vectors_index and next_index, which read it, so it outlives both.
  detail::vector_store vectors;
  std::optional<vector_index> vectors_index;
  leader_clustering stories;

  // Per-slot data (index = slot).
  std::vector<std::string> ids;  // empty string: tombstone
  std::vector<std::int64_t> timestamps;
  std::vector<std::string> sources;
  std::vector<std::uint32_t> text_lengths;
  std::vector<pair_scores> join_scores;  // scores against the leader when the document joined
  // The next vector index, trained on another thread from a snapshot of keys while this one
  // answers (vector_index_builder): started by the segment close at which the live count reaches
  // retrain_start(due), swapped in by the close at which it reaches `due`
  // (vectors_index->next_training_at()), waiting there if it is not ready. Both points are
  // document counts, so results never depend on timing; a pending one is saved with the state.
  // Only over caller rows (not with scalar_quantization, which keeps the synchronous retraining).
  std::optional<vector_index_builder> next_index;
  // Slots below this were given to next_index (meaningful while it exists). Each add call hands
  // it the documents it stored (feed_next_index), so the builder keeps pace with the stream and
  // the add that swaps it in waits for one call's documents, not a whole segment's.
  std::uint32_t next_fed = 0;
  static std::size_t retrain_start(std::size_t due) noexcept { return due - due / 4; }
  // The IVF cell of each open-segment row as segment_candidates' search found it (XXH3 of the
  // row -> cell, under the index in force), so close_segment need not assign cells again.
  // Written by segment_candidates, which runs only inside add (exclusive lock); cleared when a
  // segment closes.
  mutable std::unordered_map<std::uint64_t, std::uint32_t> open_cells;
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
  detail::id_table slot_of;  // id -> slot of the live documents (the ids themselves are in `ids`)

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
  /// The document's features. The evidence sketch is built only when the decision in force reads
  /// it (uses_model()) or `with_sketch` asks for it (prepare(): the document may be added to a
  /// deduplicator that decides by the model).
  doc_features compute_features(const document& doc, bool with_sketch = false) const;
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
  /// out[i * ldo + j] = cosine of rows[i] with slot from + j, for i < n, from + j < to (tombstones
  /// included: callers skip them). One kernel call per run of rows contiguous in the store.
  void cosines_with_slots(const float* rows, std::size_t n, std::uint32_t from, std::uint32_t to, float* out,
                          std::size_t ldo) const;
  /// Live documents just before the open segment whose cosines are computed exactly, on top of
  /// what the vector index answers: retellings mostly follow their source within hours, and an
  /// IVF index misses some neighbours (at 100k generated documents, 25% of the planted
  /// retellings at nprobe 16, against 3% exact). With the open segment, a document sees its
  /// last 4,096 to 8,191 predecessors exactly. The window is a function of open_from and the
  /// live slots only, so it survives batching, save/load and compaction unchanged.
  static constexpr std::size_t recent_exact = 4096;
  /// The first slot of the exact window before the open segment: open_from when the vector
  /// index is exact (flat), else the slot where recent_exact live slots before open_from begin.
  std::uint32_t recent_from() const noexcept;
  /// The top `k` (cosine, slot) of each of `rows` (n x dim) among the live slots of
  /// [from, open_from), best first, ties to the smaller slot; `from` is recent_from() (its scan
  /// of the live slots is done once per call by the caller).
  std::vector<std::vector<std::pair<float, std::uint32_t>>> recent_nearest(const float* rows, std::size_t n,
                                                                           std::size_t k, std::uint32_t from) const;
  /// Moves the open segment's vectors into the vector index. Called with `writer` held and
  /// `lock` (on mutex) owned; when the index must be retrained, the replacement is built from our
  /// copies of the vectors under a shared lock (readers go on with the old index and the open
  /// segment), and swapped in under the exclusive lock again.
  void close_segment(std::unique_lock<std::shared_mutex>& lock);
  /// Queues the live slots from next_fed on to next_index, when there is one. Exclusive.
  void feed_next_index();
  /// `known`: scores already computed against some stored slots (sorted by slot), see
  /// segment_candidate; the other candidates are scored here.
  add_result insert(const document& doc, doc_features& f, std::span<const std::uint32_t> candidates,
                    const segment_candidate* known = nullptr);  // exclusive
  /// Stages 2-4 of add_batch (embedding, candidates, scoring and clustering) over features
  /// already computed: feats[i] belongs to docs[i], whose id, timestamp and source are stored.
  /// Takes the writer and exclusive locks itself; consumes feats.
  std::vector<add_result> add_features(std::span<const document> docs, std::vector<doc_features>& feats,
                                       double features_seconds);
  /// The configuration fingerprint of prepared_document (prepared.cpp): a hash of everything
  /// prepare() reads from the options.
  std::uint64_t prepared_fingerprint() const;
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

namespace detail {
/// Reads a document's embedder terms (u64 array, f32 array) as prepare() blobs and saved states
/// store them, refusing through `r.fail` (errc::corrupted_state) anything extract() could not
/// have made: arrays of different lengths, terms not sorted ascending and unique, counts not in
/// (0, 2^32]. Defined in prepared.cpp.
term_counts read_term_counts(byte_reader& r);
}  // namespace detail

}  // namespace retold
