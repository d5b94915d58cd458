// retold/dedup.hpp - the one object an ingest backend holds: retold::deduplicator.
//
// Pipeline for every added document:
//   text -> normalize (+ boilerplate stripping) -> word shingles -> MinHash signature -> LSH index
//        -> term counts -> TF-IDF embedding (or the caller's own vector) -> vector index (FAISS)
//   candidates from both indexes -> scoring_rule (verify.hpp) -> leader clustering (cluster.hpp)
// and save()/load() persist all of it (store).
//
// Thread safety: a deduplicator may be shared by any number of threads. Queries and other const
// members run concurrently with each other (shared lock); add, add_batch, remove, evict and load
// take the exclusive lock, so they serialize with everything else. The expensive per-document work
// of add_batch (normalize, shingle, sign, embed) runs outside the exclusive section on
// options.threads worker threads. The vector index's retraining (at 4x growth) runs on a thread
// of its own: it starts at the segment close that brings the stored count to 3/4 of the next
// training size, trains on the vectors live then, and is swapped in at the close that reaches
// that size (if it is not done by then, that add waits for it), so results never depend on
// timing. Measured with bench/e2e_online at 300k documents: the slowest add (the swap) 159 ms,
// where the retraining used to stall its caller for 24.6 s (docs/performance.md).
#pragma once

#include <retold/cluster.hpp>
#include <retold/embed.hpp>
#include <retold/error.hpp>
#include <retold/export.hpp>
#include <retold/lsh.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/sketch.hpp>
#include <retold/text.hpp>
#include <retold/vector_index.hpp>
#include <retold/verify.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retold {

/// One incoming report. All members are borrowed views: the deduplicator copies what it keeps
/// before add() returns, so the caller's buffers only need to live for the duration of the call.
struct document {
  std::string_view id;             ///< unique, non-empty, at most 1024 bytes
  std::string_view text;           ///< UTF-8 body (the title, if any, is matched together with it)
  std::string_view title;          ///< optional headline
  std::int64_t timestamp = 0;      ///< seconds since the Unix epoch, UTC
  std::string_view source;         ///< outlet, used by the representative policy
  std::span<const float> vector;   ///< optional caller embedding (required in embedding_mode::external)
};

/// Where document embeddings come from.
enum class embedding_mode : std::uint8_t {
  builtin = 0,   ///< the built-in tfidf_embedder (no model download)
  external = 1,  ///< the caller supplies a vector of options.external_dimension floats per document
  none = 2,      ///< lexical matching only
};

/// How a candidate pair is decided.
///
/// The model reads each document's evidence sketch (sketch.hpp), which costs more to build than
/// the MinHash signature; a deduplicator builds it only for documents added while the model
/// decides (and prepare() always). A document stored without one (added while the rule decided,
/// e.g. a lexical run with `automatic`; loaded from a version-2 state; or a text without words)
/// is still matched when a later load selects `model`: every pair it is part of is decided by the
/// rule `scoring` (pair_scores::decision jaccard / cosine / combined / rejected, score the rule's),
/// pairs of two sketched documents by the model. explain() of such a pair reports the model's
/// features and probability over the evidence there is (the sketch's parts count as empty) and
/// the rule's scores and decision.
enum class match_decision : std::uint8_t {
  automatic = 0,  ///< `model` with the built-in embedder (whose cosines it was fitted on), else `rule`
  model = 1,      ///< the learned match_model over the pair's evidence (verify.hpp); score = probability
  rule = 2,       ///< the threshold rule `scoring` (Jaccard, cosine, their combination)
};

/// Everything configurable. Structural fields (normalization, shingles, minhash, embedding mode,
/// embedder, dimensions) are fixed when a state is created and saved with it; the rest may be
/// changed at load time (see deduplicator::load).
struct deduplicator_options {
  normalize_options normalize{.strip_boilerplate = true};
  shingle_options shingles{};
  minhash_config minhash{};
  lsh_params lsh{};                        ///< bands == 0: chosen by choose_lsh_params(lsh_threshold,
                                           ///< num_hashes, 0.25, 0.75), misses weighing 3x
  double lsh_threshold = 0.2;              ///< Jaccard the LSH banding is tuned to surface
  embedding_mode embedding = embedding_mode::builtin;
  tfidf_embedder_options embedder{};
  std::uint32_t external_dimension = 0;    ///< required (> 0) for embedding_mode::external
  vector_index_options vector_index{};     ///< its dimension is set by the deduplicator
  std::size_t vector_candidates = 16;      ///< nearest neighbours examined per document
  match_decision decision = match_decision::automatic;  ///< runtime: the learned model, or `scoring`;
                                           ///< also whether sketches are built (see match_decision)
  double match_threshold = 0.0;            ///< runtime, model decision: accept when P(same story) >= this;
                                           ///< 0 = the model's default (match_model::builtin().threshold,
                                           ///< chosen for precision on English news); lower finds more
                                           ///< retellings (e.g. Urdu agency copy), higher merges less
  sketch_options sketch{};                 ///< structural: the per-document evidence sketch (sketch.hpp)
  scoring_rule scoring{};                  ///< runtime: the threshold rule of match_decision::rule
  double copy_jaccard = 0.9;               ///< runtime: a document at least this close (estimated
                                           ///< Jaccard) to any member joins that member's story
                                           ///< even if the leader is further: copies of copies
                                           ///< (joining requires matching the leader otherwise)
  std::int64_t time_window_seconds = 0;    ///< runtime: 0 = no window; else only documents whose
                                           ///< timestamps differ by at most this can match
  representative_policy representative{};  ///< runtime
  std::size_t max_document_bytes = 1 << 20;///< runtime: larger texts are refused (errc::too_large)
  bool keep_text = false;                  ///< store texts so explain() can show shared terms
  std::uint32_t snippet_bytes = 240;       ///< runtime: each document's opening kept with the state
                                           ///< (cluster_member::snippet), at most this many bytes;
                                           ///< 0 = none. Applies to documents added from then on
  std::int64_t retention_seconds = 0;      ///< runtime: the caller's retention (0 = none), saved with
                                           ///< the state so the next run applies the same; the
                                           ///< deduplicator never evicts by itself (evict_before)
  unsigned threads = 0;                    ///< runtime: add_batch workers; 0 = hardware threads
};

/// One verified similar document.
struct match {
  std::string id;                 ///< the stored document
  std::uint64_t cluster_id = 0;   ///< its story
  pair_scores scores;             ///< jaccard, cosine, score, which rule decided
};

/// What add() did with a document.
struct add_result {
  errc status = errc::ok;         ///< add_batch only: ok, or why this document was skipped
  std::string error;              ///< message when status != ok
  std::uint64_t cluster_id = 0;   ///< the story it joined or opened (0 when skipped)
  bool new_story = false;         ///< true when it opened a story
  std::optional<match> leader;    ///< when it joined: the member that decided (the story's leader,
                                  ///< or the member it copies, see copy_jaccard) and the scores
  std::size_t candidates = 0;     ///< candidates examined (both indexes, after the time window)
};

/// A member of a story with its scores against the story's leader at the time it joined.
struct cluster_member {
  std::string id;
  std::int64_t timestamp = 0;
  std::string source;
  pair_scores scores;  ///< the leader's own entry has score 1 and decision jaccard
  /// The document's title as given, whitespace runs made single spaces, invalid UTF-8 replaced
  /// by U+FFFD, at most 1024 bytes (cut at a character boundary). Empty for documents of states
  /// saved before format 4.
  std::string title;
  /// The opening of the document's text, cleaned like the title, at most
  /// deduplicator_options::snippet_bytes bytes as they were when it was added, cut at a word
  /// boundary when one is in the second half, else at a character boundary. Empty with
  /// snippet_bytes 0 and for documents of states saved before format 4.
  std::string snippet;
};

/// One story.
struct cluster_info {
  std::uint64_t id = 0;
  std::string representative;           ///< chosen by options.representative
  std::string leader;                   ///< the first document; every member matched it
  std::vector<cluster_member> members;  ///< leader first, then in order of joining
};

/// Why two stored documents match or not.
struct explanation {
  pair_scores scores;
  /// The evidence and each feature's contribution to the model's log-odds (see match_model),
  /// whichever decision is configured; the model's probability is `probability`.
  std::vector<feature_contribution> features;
  double probability = 0.0;
  std::vector<std::string> shared_terms;  ///< distinctive shared words (needs keep_text)
  std::string shared_passage;             ///< longest shared run of words (needs keep_text)
};

/// Wall-clock seconds spent in each stage of add() / add_batch(), summed since the deduplicator
/// was created or loaded (not saved). The stages of a call run one after another, each on up to
/// `threads` threads, so together they are the time spent inside add calls.
struct add_stage_seconds {
  double features = 0;        ///< normalize, shingle, MinHash signature, term extraction (parallel)
  double embed = 0;           ///< built-in embedding (parallel)
  double candidates = 0;      ///< LSH queries, vector index search, within-batch candidates (parallel)
  double verify_cluster = 0;  ///< scoring candidates, leader clustering, storing (in input order)
  double index_add = 0;       ///< adding vectors to the vector index, including IVF (re)training
};

/// Counters for monitoring. Plain value.
struct deduplicator_stats {
  std::size_t documents = 0;
  std::size_t clusters = 0;
  std::size_t multi_member_clusters = 0;
  std::uint64_t documents_added_total = 0;  ///< including removed and evicted ones
  std::uint64_t documents_removed_total = 0;
  std::size_t memory_bytes = 0;             ///< estimate of the state held in memory
  /// Documents whose terms are in the built-in embedder's document frequencies (0 in other
  /// modes). Frequencies are refreshed in epochs so that an embedding depends only on how many
  /// documents came before it, never on batching: the newest documents (at most 256 until 4,096
  /// are stored, then at most 4,096) wait for the next refresh.
  std::uint64_t frequency_documents = 0;
  add_stage_seconds add_seconds;            ///< where add calls spent their time
};

/// What deduplicator::save() may write over.
enum class save_mode : std::uint8_t {
  update = 0,   ///< only the state this deduplicator loaded or last saved there (or none): a save
                ///< over another writer's newer generation is refused (errc::conflict)
  replace = 1,  ///< whatever the directory holds is replaced (still atomically)
};

/// Query parameters.
struct query_options {
  std::size_t top_k = 10;                ///< at most this many matches, best first
  bool accepted_only = true;             ///< false: also return rejected candidates with scores
  std::optional<std::int64_t> timestamp; ///< when set and a time window is configured, applies it
};

/// The features of one document as a deduplicator's configuration computes them (normalized,
/// shingled, signed, banded, sketched; its terms for the built-in embedder or its normalized
/// vector in embedding_mode::external), with the id, timestamp, source, title and snippet it is
/// stored with: everything add_prepared() needs, and nothing of the text. Made by
/// deduplicator::prepare(); moved between processes as bytes (serialize / parse), so that a
/// distributed run (retold.dask, docs/scaling.md) moves features, not texts.
///
/// It carries a fingerprint of the configuration that made it (normalization, shingles, MinHash,
/// LSH banding, embedding mode and embedder, dimension, sketch, keep_text, snippet_bytes); a
/// deduplicator refuses a prepared document of another configuration (errc::incompatible).
/// Frequencies of the built-in embedder are NOT part of it: the embedding is computed when the
/// document is added, with the frequencies of the deduplicator it is added to, as add() does.
///
/// Value type: copyable and movable; every const member is thread-safe. A moved-from
/// prepared_document may only be destroyed or assigned to. Spans and views returned by the
/// accessors are valid while the object lives unchanged.
class RETOLD_API prepared_document {
 public:
  /// Format version of serialize(); parse() refuses others (errc::incompatible).
  static constexpr std::uint32_t format_version = 1;

  prepared_document(const prepared_document& other);
  prepared_document& operator=(const prepared_document& other);
  prepared_document(prepared_document&&) noexcept;
  prepared_document& operator=(prepared_document&&) noexcept;
  ~prepared_document();

  std::string_view id() const noexcept;
  std::int64_t timestamp() const noexcept;
  std::string_view source() const noexcept;
  /// The MinHash signature (minhash.num_hashes values).
  std::span<const std::uint32_t> signature() const noexcept;
  /// The LSH band keys of the signature, one 32-bit fingerprint per band (band i at index i), as
  /// the deduplicator's LSH index buckets them: two documents are LSH candidates of each other
  /// exactly when they share (band index, key) for some band and their estimated Jaccard reaches
  /// lsh_threshold. Empty when the signature is empty (a text without shingles is never banded).
  std::span<const std::uint32_t> band_keys() const noexcept;
  /// The normalized caller vector (embedding_mode::external); empty otherwise (the built-in
  /// embedding is computed when the document is added).
  std::span<const float> vector() const noexcept;
  /// The configuration fingerprint (see the class comment).
  std::uint64_t config_fingerprint() const noexcept;

  /// The portable form: "RTPREP01" | u32 format version | u64 configuration fingerprint | the
  /// fields, little-endian | u64 XXH3 of all preceding bytes. About 2 KB for a news article
  /// without the built-in embedder (signature 4 bytes a hash, band keys 4 a band, the sketch);
  /// the built-in embedder's terms add 12 bytes per distinct term (~14 KB for a 3 KB article).
  /// Thread-safe.
  std::vector<std::uint8_t> serialize() const;
  /// Inverse of serialize(). errc::corrupted_state naming what was wrong for a truncated, damaged
  /// (checksum) or inconsistent blob (e.g. band keys without a signature, embedder terms not
  /// sorted ascending and unique or with a count outside (0, 2^32]), errc::incompatible for
  /// another format version. Never reads past `bytes`. Thread-safe.
  static prepared_document parse(std::span<const std::uint8_t> bytes);

  struct data;  // defined in src/dedup/prepared.cpp

 private:
  friend class deduplicator;
  explicit prepared_document(std::unique_ptr<data> d);
  std::unique_ptr<data> d_;
};

/// Finds retellings online and keeps them as stories.
///
/// Ownership: the deduplicator owns all state it holds; results are returned by value. Movable,
/// not copyable. A moved-from deduplicator may only be destroyed or assigned to.
class RETOLD_API deduplicator {
 public:
  /// Throws errc::invalid_argument naming the offending option.
  explicit deduplicator(deduplicator_options options = {});
  ~deduplicator();
  deduplicator(deduplicator&&) noexcept;
  deduplicator& operator=(deduplicator&&) noexcept;
  deduplicator(const deduplicator&) = delete;
  deduplicator& operator=(const deduplicator&) = delete;

  /// Adds one document against everything stored, assigns it to a story and returns what happened.
  /// Errors (nothing is stored when one is thrown): invalid_argument (empty id, id too long, empty
  /// text after normalization is allowed and gives a singleton story), invalid_utf8 (with byte
  /// offset), too_large, duplicate_id, incompatible (vector of the wrong dimension, or a missing
  /// vector in external mode). Exclusive lock.
  add_result add(const document& doc);

  /// Adds documents in order; the result is identical to calling add() on each in order, whatever
  /// options.threads is and however documents are split into calls (or into runs with save() and
  /// load() between them), with the IVF vector index too: new documents are compared with the
  /// latest ones (up to 4096, the open segment) by exact cosine, and join the vector index
  /// together. Once the index is an IVF (approximate), the 4096 live documents before the open
  /// segment are compared by exact cosine as well, so a document always sees its last 4,096 to
  /// 8,191 predecessors exactly (retellings mostly follow their source closely) and older ones
  /// through the IVF; query() and query_vector() see the same. A bad document does not stop the
  /// batch: its result has status != ok and nothing of it is stored. Exclusive lock (feature
  /// extraction runs before taking it).
  std::vector<add_result> add_batch(std::span<const document> docs);

  /// The features of `doc` with this deduplicator's configuration, for add_prepared() here or in
  /// a deduplicator of the same configuration (another process: serialize()). Pure: nothing is
  /// stored and no lock is taken (only the immutable configuration is read), so any number of
  /// threads may prepare at once, also while others add. Throws what add() would throw for the
  /// document before storing anything: invalid_argument, invalid_utf8, too_large, incompatible
  /// (vector of the wrong dimension, or a missing vector in external mode).
  prepared_document prepare(const document& doc) const;

  /// Adds prepared documents in order; the result is exactly what add_batch() of the same
  /// documents gives (same stories, scores, ids), however they are split into calls. A duplicate
  /// id is skipped with its result's status, as in add_batch. Throws, with nothing stored,
  /// errc::incompatible when a document was prepared with another configuration (the message
  /// names it and its position), errc::corrupted_state when its band keys do not belong to its
  /// signature. Exclusive lock.
  std::vector<add_result> add_prepared(std::span<const prepared_document> docs);

  /// Stored documents most similar to `text` (nothing is stored). In embedding_mode::external a
  /// text has no vector, so the query is lexical only (use query_vector). Shared lock.
  std::vector<match> query(std::string_view text, const query_options& options = {}) const;
  /// As query(), but by a caller vector only (cosine); needs an embedding mode with vectors.
  std::vector<match> query_vector(std::span<const float> vector, const query_options& options = {}) const;

  /// Removes a document. Returns false when the id is unknown. Its story keeps its id; when the
  /// leader is removed the next member leads. Exclusive lock.
  bool remove(std::string_view id);
  /// Removes every document with timestamp < cutoff (retention). Returns how many. Exclusive lock.
  std::size_t evict_before(std::int64_t cutoff);

  /// True when `id` is stored. Shared lock.
  bool contains(std::string_view id) const;
  /// Story of a stored document; errc::not_found otherwise. Shared lock.
  std::uint64_t cluster_of(std::string_view id) const;
  /// One story; errc::not_found for an unknown id. Shared lock.
  cluster_info cluster(std::uint64_t cluster_id) const;
  /// The representative of a stored document's story (options().representative), read under one
  /// shared lock: a concurrent remove or add cannot make it answer for another story or fail
  /// half way. errc::not_found for an unknown id.
  std::string representative_of(std::string_view id) const;
  /// All stories (with min_members = 2 only those that found a retelling), by increasing id.
  std::vector<cluster_info> clusters(std::size_t min_members = 1) const;
  /// The stories clusters(min_members) returns, in the same order, handed to `visit` one at a
  /// time instead of all at once (at 1M documents the whole list takes ~0.3 GB; the CLI writes
  /// each as it comes). `visit` may keep the cluster_info (move from it). Shared lock held
  /// throughout: `visit` must not call this deduplicator (a member taking the exclusive lock
  /// would deadlock); what it throws stops the walk and is rethrown.
  void for_each_cluster(std::size_t min_members, const std::function<void(cluster_info&&)>& visit) const;
  /// Scores of two stored documents. errc::not_found for an unknown id. Shared lock.
  explanation explain(std::string_view id_a, std::string_view id_b) const;

  /// Counters and timings (a snapshot, by value). Walks the stories: O(stories). Shared lock.
  deduplicator_stats stats() const;
  /// The options in force (structural ones as created or loaded).
  const deduplicator_options& options() const noexcept;

  /// Writes the whole state into `dir` (created if missing) atomically: a crash at any point leaves
  /// either the previous state or the new one. errc::io on failure (the previous state is kept).
  ///
  /// Two writers never silently drop each other's work: the deduplicator remembers, per
  /// directory, the generation it loaded from or last saved there, and a save checks it under the
  /// directory's exclusive lock. errc::conflict, with nothing written, when `dir` now holds another
  /// generation (another process or deduplicator saved in between: load again and re-add), or a
  /// state this deduplicator never loaded (a fresh deduplicator does not replace an existing
  /// state), or part files without a readable MANIFEST. save(dir, save_mode::replace) overwrites
  /// whatever is there. Either way the directory is afterwards this deduplicator's: its next save
  /// there expects the generation just written. The directory is identified by device and inode,
  /// so another path to it is the same state.
  ///
  /// Memory: the parts are serialized and written one after another, each through a buffer of
  /// about 1 MiB, so a save needs little beyond the state itself (it used to build every part's
  /// bytes in memory first: as much again as the state's size on disk).
  ///
  /// Shared lock, held while the parts are serialized and written to the files (disk I/O under
  /// the shared lock, up to the page cache, and the wait for another process's save of `dir` to
  /// finish), released before the fsyncs: queries go on while saving; adds, removes and evictions
  /// wait until the files are written. Saves of one deduplicator are serialized.
  void save(const std::filesystem::path& dir) const;
  /// As save(dir), choosing what the save may write over.
  void save(const std::filesystem::path& dir, save_mode mode) const;

  /// Loads a state written by save(). Runtime fields of `overrides` (scoring, time window,
  /// representative policy, max size, threads) replace the saved ones; its structural fields
  /// must be left at their defaults or equal the saved ones (errc::incompatible otherwise).
  /// errc::not_found when `dir` holds no state, errc::corrupted_state naming the file for a
  /// truncated or damaged one. The loaded deduplicator continues exactly where the saved one
  /// stopped: the vector index is rebuilt with its saved training (no k-means), so documents
  /// added next get the stories they would have got without the save. States of format version
  /// 1 load too (their index is trained afresh). The generation read is remembered for save().
  /// Memory: the part files are read, checked and parsed one at a time, each freed once parsed,
  /// so a load needs the state it builds plus the largest part's bytes (documents.rtd). The
  /// directory's shared lock (which a save of it waits for) is held until the load returns.
  static deduplicator load(const std::filesystem::path& dir,
                           const std::optional<deduplicator_options>& overrides = std::nullopt);

  /// Edits the saved options before a load builds the deduplicator (see the overload below).
  using options_adjuster = std::function<void(deduplicator_options&)>;
  /// As load() above, but `adjust` (when set) receives the saved options and may change their
  /// runtime fields; the fields it leaves alone keep their saved values, so a nightly job passes
  /// only what it means to change. It is called once, on the calling thread, before anything is
  /// built; what it throws propagates. errc::incompatible when it changed a structural field.
  static deduplicator load(const std::filesystem::path& dir, const options_adjuster& adjust);

  /// Signature and embedding of a text computed alone with this deduplicator's configuration
  /// (nothing stored). The embedding is empty in embedding_mode::none or external. Shared lock.
  signature compute_signature(std::string_view text) const;
  std::vector<float> compute_embedding(std::string_view text) const;

  struct impl;  // defined in src/dedup/

 private:
  explicit deduplicator(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace retold
