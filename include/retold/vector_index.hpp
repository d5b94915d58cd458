// retold/vector_index.hpp - nearest neighbours by cosine over dense vectors (FAISS inside).
//
// Vectors are L2-normalized on insertion, so inner product is cosine. Two structures, chosen by
// size (vector_index_kind::automatic) or forced:
//  - flat: exact inner product over every stored vector. No training, exact results, O(n * d)
//    per query. Used for small collections, where it is also the fastest.
//  - ivf: an inverted file. k-means (spherical, deterministic from `seed`) splits the space into
//    `nlist` cells; a query scans the `nprobe` cells whose centroids are closest. Approximate: a
//    neighbour in an unvisited cell is missed. Optionally stores 8-bit scalar-quantized codes
//    (4x less memory than float32).
// With automatic, the index is flat until it holds ivf_min_size vectors, then it is rebuilt as
// IVF; with an automatic nlist (0) the IVF is retrained whenever the collection has grown 4x
// since the last training, so cells stay about sqrt(n) / 4 vectors large. A training sees the
// stored vectors in key order, so it depends on what is stored, not on the order of adds. The defaults were measured
// (docs/evaluation.md, bench/bench_embed.cpp).
//
// An index either keeps its own L2-normalized copies (vector_index(options)) or reads the caller's
// rows in place (vector_index(options, source), a vector_row_source): then it stores keys only,
// so a caller that keeps its vectors anyway (the deduplicator) holds each vector once. Over caller
// rows the next training can also be made elsewhere while the index answers: vector_index::train
// on a snapshot of keys, or vector_index_builder, which does that and fills the new index on a
// thread of its own, to be swapped in when the caller decides (at a fixed size, for determinism).
//
// FAISS (1.7.3, the Debian build) stays behind this interface.
#pragma once

#include <retold/export.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace retold {

/// Which structure holds the vectors. Values are pinned (saved state, C ABI).
enum class vector_index_kind : std::uint8_t { automatic = 0, flat = 1, ivf = 2 };

/// Configuration. Plain value.
struct vector_index_options {
  /// Length of every vector (1 .. 65536).
  std::uint32_t dimension = 256;
  vector_index_kind kind = vector_index_kind::automatic;
  /// automatic: switch from flat to IVF when the collection reaches this size.
  std::size_t ivf_min_size = 20000;
  /// IVF cells; 0 chooses about 4 sqrt(n) (at least 16 vectors per cell) at each (re)training.
  std::uint32_t nlist = 0;
  /// IVF cells scanned per query (clamped to nlist).
  std::uint32_t nprobe = 16;
  /// Store IVF vectors as 8-bit scalar-quantized codes (the flat structure always stores
  /// float32; with kind == flat this option is refused as invalid_argument).
  bool scalar_quantization = false;
  /// Seed of the k-means training.
  std::uint64_t seed = 1;
};

/// Throws errc::invalid_argument naming the field when an option is out of range.
RETOLD_API void validate(const vector_index_options& opts);

/// One neighbour: the caller's key and its cosine with the query.
struct vector_match {
  std::uint64_t key;
  float cosine;
  friend bool operator==(const vector_match&, const vector_match&) = default;
};

/// What an IVF learned at its last (re)training: with it, restore() rebuilds from the same
/// vectors an index that answers exactly like this one and retrains at the same moment, without
/// running k-means again (the deduplicator saves it with its state). Plain value.
struct vector_index_training {
  std::uint64_t trained_at = 0;  ///< collection size at the last training; 0 while flat
  std::vector<float> centroids;  ///< cells x dimension(), row after row; empty while flat
  std::vector<float> quantizer;  ///< scalar quantizer parameters (scalar_quantization only)
};

/// Rows kept by the caller, which an index built with vector_index(options, source) reads
/// instead of keeping copies of its own (one copy of each vector: the deduplicator's).
/// Implemented by the caller; the index holds a non-owning reference, so the source must outlive
/// every index (and vector_index_builder) that reads it.
class RETOLD_API vector_row_source {
 public:
  virtual ~vector_row_source();
  /// The row of `key`: dimension() floats, L2-normalized by the caller (the index takes them as
  /// they are: its cosines are inner products with the normalized query). Must stay valid and
  /// unchanged from the moment the key is given to an index until the last index holding it is
  /// destroyed or gives it up (including an index being built on another thread). Called
  /// concurrently from any thread that uses such an index, so it must be safe for that.
  virtual const float* row(std::uint64_t key) const noexcept = 0;
};

/// A collection of keyed vectors searchable by cosine. Movable, not copyable. Not internally
/// synchronized: const members may run concurrently with each other; add/remove need exclusive
/// access. Keys are any uint64 except UINT64_MAX (reserved).
class RETOLD_API vector_index {
 public:
  /// errc::invalid_argument on invalid options.
  explicit vector_index(vector_index_options opts = {});
  /// An index over caller rows: it stores keys only (flat: a key list; IVF: the centroids and a
  /// key list per cell) and reads each vector from `source` when it scans or trains, so a vector
  /// is held once. Add keys with add_stored() (add()/add_batch() are refused); restore() takes
  /// empty rows. errc::invalid_argument on invalid options or with scalar_quantization (codes
  /// would be a second copy). `source` is not owned and must outlive the index.
  vector_index(vector_index_options opts, const vector_row_source& source);
  ~vector_index();
  vector_index(vector_index&&) noexcept;
  vector_index& operator=(vector_index&&) noexcept;
  vector_index(const vector_index&) = delete;
  vector_index& operator=(const vector_index&) = delete;

  /// Stores an L2-normalized copy of `v` under `key`. errc::incompatible when v.size() differs
  /// from dimension(), errc::duplicate_id when the key is stored, errc::invalid_argument for the
  /// reserved key or a non-finite component. May rebuild the index (automatic switch to IVF,
  /// IVF retraining). Invalid input is refused before anything is added.
  void add(std::uint64_t key, std::span<const float> v);
  /// Adds keys.size() vectors stored row after row in `rows` (rows.size() == keys.size() *
  /// dimension(), errc::invalid_argument otherwise). All are checked before any is added.
  /// `threads` (>= 1; 0 counts as 1) bounds the threads used for cell assignment and IVF
  /// (re)training: up to threads - 1 std::threads are started and joined within the call. The
  /// resulting index is the same whatever the thread count.
  void add_batch(std::span<const std::uint64_t> keys, std::span<const float> rows, unsigned threads = 1);
  /// True when add_batch() of `more` new keys would (re)train: the automatic switch to IVF, or
  /// an automatic-nlist retraining after 4x growth. A caller can then build the replacement
  /// elsewhere while this one keeps answering: a new index given every vector in one add_batch
  /// trains as this one would (with scalar quantization it trains on the exact vectors, where
  /// this one would train on its decoded codes). Const.
  bool retrains_on_add(std::size_t more) const noexcept;
  /// The size at which the next (re)training is due: ivf_min_size (or 16 x nlist) while flat,
  /// 4 x the last training's size with an automatic nlist, SIZE_MAX when no training will come.
  std::size_t next_training_at() const noexcept;
  /// Index over caller rows only: adds `keys`, reading their rows from the source (same checks
  /// as add_batch: errc::duplicate_id, errc::invalid_argument for the reserved key or a row with
  /// a non-finite value; nothing is added then). May (re)train as add_batch does. `threads` as
  /// in add_batch. errc::invalid_argument on an index that stores its own rows.
  void add_stored(std::span<const std::uint64_t> keys, unsigned threads = 1);
  /// add_stored() with each key's cell given (`cells[i]` for keys[i]), as search_batch() reported
  /// it for that very row under the training in force: the assignment is then skipped. Ignored
  /// while flat or when this add retrains. errc::invalid_argument when the sizes differ or a cell
  /// is out of range (a cell from another training is the caller's error: the row is then
  /// filed under a worse centroid, and found less often).
  void add_stored(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> cells, unsigned threads);
  /// True for an index built over a vector_row_source.
  bool reads_caller_rows() const noexcept;
  /// The training an index with `opts` would adopt when it reaches `at` vectors, computed from
  /// the rows of `keys` (any order: they are taken in key order) read from `source`, without
  /// changing any index: nlist = opts.nlist or about 4 sqrt(at) (at most keys.size()), the
  /// centroids by seeded spherical k-means, trained_at = at. Give it to restore() to build the
  /// index. This is what lets a caller train on a snapshot elsewhere (vector_index_builder)
  /// while its index keeps answering. errc::invalid_argument for no keys, at < keys.size(),
  /// opts.kind == flat or scalar_quantization; `threads` as in add_batch. Reentrant.
  static vector_index_training train(const vector_index_options& opts, const vector_row_source& source,
                                     std::span<const std::uint64_t> keys, std::size_t at, unsigned threads = 1);
  /// The training in force (empty centroids while flat). Copies centroids: O(cells x dimension).
  vector_index_training training() const;
  /// Fills an empty index with keys/rows (as add_batch, same checks) under a training taken from
  /// an index with the same options by training(), instead of training anew. Empty centroids
  /// mean a flat index: then this is add_batch. errc::invalid_argument when the index is not
  /// empty or the training does not fit the options (dimension, quantizer, non-finite values).
  /// An index over caller rows takes empty `rows` (the source's are used). Exclusive access.
  void restore(const vector_index_training& training, std::span<const std::uint64_t> keys,
               std::span<const float> rows, unsigned threads = 1);
  /// Removes `key`; false when it was not stored.
  bool remove(std::uint64_t key);
  /// Removes every stored key of `keys`; returns how many were removed.
  std::size_t remove_batch(std::span<const std::uint64_t> keys);
  bool contains(std::uint64_t key) const noexcept;

  /// Every stored vector whose cosine with `q` is >= min_cosine (up to the IVF approximation),
  /// sorted by cosine descending, then key ascending. `q` need not be normalized.
  /// errc::incompatible on a dimension mismatch.
  std::vector<vector_match> range_search(std::span<const float> q, float min_cosine) const;
  /// The k stored vectors closest to `q` (fewer when the index is smaller), same order.
  std::vector<vector_match> search(std::span<const float> q, std::size_t k) const;
  /// search() for queries.size() / dimension() queries stored row after row. Built for nightly
  /// scale: the probed IVF cells of the whole batch are inverted so each cell is read once for
  /// all the queries that probe it, and scored with SIMD kernels chosen for this CPU. The result
  /// of a query is the same as search() and does not depend on the other queries of the batch
  /// or on `threads` (>= 1; 0 counts as 1: up to threads - 1 std::threads are started and joined
  /// within the call). errc::incompatible when queries.size() is not a multiple of dimension().
  /// Same thread safety as search().
  std::vector<std::vector<vector_match>> search_batch(std::span<const float> queries, std::size_t k,
                                                      unsigned threads = 1) const;
  /// search_batch() that also fills `cells` with each query's best cell (the one an IVF would
  /// store that row in, as add_stored assigns it; left empty while flat, when k == 0 or when
  /// the index is empty), for add_stored(keys, cells, threads) later.
  std::vector<std::vector<vector_match>> search_batch(std::span<const float> queries, std::size_t k, unsigned threads,
                                                      std::vector<std::uint32_t>& cells) const;

  std::size_t size() const noexcept;
  std::uint32_t dimension() const noexcept;
  /// flat or ivf: the structure in use now (never automatic).
  vector_index_kind active_kind() const noexcept;
  /// IVF cells in use (0 while flat).
  std::uint32_t active_nlist() const noexcept;
  const vector_index_options& options() const noexcept;
  /// Changes the number of IVF cells scanned per query (>= 1; errc::invalid_argument for 0): the
  /// recall/speed knob, safe to turn at any time. Exclusive access.
  void set_nprobe(std::uint32_t nprobe);
  /// Approximate bytes held by stored vectors (none over caller rows), the lists and the key map.
  std::size_t memory_bytes() const noexcept;

 private:
  std::vector<std::vector<vector_match>> search_batch(std::span<const float> queries, std::size_t k, unsigned threads,
                                                      std::vector<std::uint32_t>* cells) const;
  struct impl;
  std::unique_ptr<impl> p_;
};

/// Builds the next index over caller rows on a thread of its own, while the caller's current
/// index keeps answering: it trains (vector_index::train) on a snapshot of keys, fills a new
/// index with them (restore), then applies the adds and removals queued since, in the order they
/// were queued. The index finish() returns is therefore a function of the snapshot, the training
/// size and the queued operations only, never of timing. Not copyable or movable. Its methods
/// are for one owner thread (they are not synchronized with each other); the worker thread is
/// internal. The source must outlive the builder, and rows of queued keys must stay valid until
/// finish() returns or the builder is destroyed.
class RETOLD_API vector_index_builder {
 public:
  /// Starts training for size `at` on the rows of `keys` (then the index holds `keys`).
  /// Options as vector_index(opts, source) checks them (errc::invalid_argument, thrown here).
  vector_index_builder(const vector_index_options& opts, const vector_row_source& source,
                       std::vector<std::uint64_t> keys, std::size_t at);
  /// Starts filling an index with `keys` under a training known already (as restore()).
  vector_index_builder(const vector_index_options& opts, const vector_row_source& source,
                       vector_index_training training, std::vector<std::uint64_t> keys);
  /// Stops the worker (queued work is dropped) and joins it.
  ~vector_index_builder();
  vector_index_builder(const vector_index_builder&) = delete;
  vector_index_builder& operator=(const vector_index_builder&) = delete;

  /// Queues keys to add (after everything queued before). Never blocks on the training.
  void add(std::vector<std::uint64_t> keys);
  /// Queues keys to remove (absent keys are ignored).
  void remove(std::vector<std::uint64_t> keys);
  /// The training the new index uses: waits until it is computed. Rethrows the worker's error
  /// (as retold::error) if training failed. Unlike the other members, safe to call from another
  /// thread concurrently with them, and still valid after finish() (the reference lives as long
  /// as the builder).
  const vector_index_training& training() const;
  /// The size the training was made for (`at`, or the known training's trained_at). No wait.
  std::size_t trained_for() const noexcept;
  /// Waits until every queued operation is applied and returns the index; the builder is
  /// spent afterwards (further calls: errc::invalid_argument). Rethrows the worker's error.
  vector_index finish();

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace retold
