// retold/lsh.hpp - banded locality-sensitive hashing over MinHash signatures.
//
// A signature is cut into `bands` bands of `rows` values; two documents become candidates when
// any band is identical, which happens with probability 1 - (1 - J^rows)^bands (the S-curve).
// Every candidate is then verified against the full stored signature, so results carry the
// estimated Jaccard and never include a document below the requested threshold.
//
// Storage is flat: all signatures live in one contiguous array indexed by an internal slot, and
// each band has an open-addressing multimap from the band's 64-bit hash to slots (backward-shift
// deletion, so removal leaves no tombstones). Sized for millions of documents: at 1M documents
// with 25 bands of 5 rows, about 950 MiB (512 MiB of it the signatures themselves).
// Documents with an identical band share one probe run, so inserting or removing one of m
// byte-identical copies costs O(m) per band: fine for hundreds of copies, slow for many
// thousands (deduplicate exact copies before indexing if a feed repeats that much).
#pragma once

#include <retold/export.hpp>
#include <retold/minhash.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace retold {

/// Banding of a signature. bands * rows must not exceed num_hashes (the rest is unused).
struct lsh_params {
  std::uint32_t bands = 0;
  std::uint32_t rows = 0;
  friend bool operator==(const lsh_params&, const lsh_params&) = default;
};

/// The (bands, rows) with bands * rows <= num_hashes minimising
///   fp_weight * integral_0^t P(candidate | s) ds + fn_weight * integral_t^1 P(not candidate | s) ds
/// for Jaccard threshold t, with P(candidate | s) = 1 - (1 - s^rows)^bands (integrated
/// numerically). errc::invalid_argument when threshold is not in (0, 1), num_hashes is 0, or a
/// weight is negative, not finite or both are 0. Pure and thread-safe.
RETOLD_API lsh_params choose_lsh_params(double threshold, std::uint32_t num_hashes,
                                        double fp_weight = 0.5, double fn_weight = 0.5);

/// Probability that a pair with Jaccard `s` becomes a candidate under `p`.
RETOLD_API double lsh_candidate_probability(const lsh_params& p, double s) noexcept;

/// One verified result: the caller's key and the estimated Jaccard with the query.
struct lsh_match {
  std::uint64_t key;
  double similarity;
};

/// The band fingerprints of one signature under one lsh_params (one 32-bit value per band), made
/// by lsh_index::band_keys(). A document that is queried and inserted, in one index or several
/// with the same params, hashes its bands once instead of once per call. Each set remembers
/// the params and a hash of the values it was made from, and an index refuses a set that does
/// not belong to the values it is given (errc::invalid_argument), so a mismatched pair can never
/// leave stale band entries behind. Value type: owns its memory; copies are independent; const
/// members are safe to call concurrently.
class lsh_band_keys {
 public:
  /// Belongs to no signature: every index refuses it.
  lsh_band_keys() = default;
  /// The fingerprints, one per band (empty for a default-constructed set). Valid while *this is.
  std::span<const std::uint32_t> fingerprints() const noexcept { return fps_; }
  const lsh_params& params() const noexcept { return params_; }

 private:
  friend class lsh_index;
  lsh_params params_{};
  std::uint64_t values_hash_ = 0;
  std::vector<std::uint32_t> fps_;
};

/// LSH index of signatures keyed by caller-chosen 64-bit keys.
/// Thread safety: not internally synchronized. Const members (query, values_of, ...) may run
/// concurrently with each other; insert/remove/clear/reserve need exclusive access.
/// Move-only; owns all its memory. A moved-from index may only be destroyed or assigned to.
class RETOLD_API lsh_index {
 public:
  /// errc::invalid_argument on an invalid config, bands or rows 0, or bands * rows > num_hashes.
  lsh_index(minhash_config cfg, lsh_params params);
  ~lsh_index();
  lsh_index(lsh_index&&) noexcept;
  lsh_index& operator=(lsh_index&&) noexcept;
  lsh_index(const lsh_index&) = delete;
  lsh_index& operator=(const lsh_index&) = delete;

  /// Stores a copy of the signature under `key`. errc::duplicate_id if `key` is present,
  /// errc::incompatible if sig.config() != config(). An empty signature (empty shingle set) is
  /// stored (contains() is true) but never becomes a candidate of anything.
  void insert(std::uint64_t key, const signature& sig);
  /// Same with raw values of this index's config; errc::invalid_argument unless
  /// values.size() == config().num_hashes.
  void insert(std::uint64_t key, std::span<const std::uint32_t> values);
  /// Same with the values' band fingerprints already computed (band_keys(values)); the result
  /// is the same as insert(key, values). errc::invalid_argument also when `keys` was made for
  /// other params or other values.
  void insert(std::uint64_t key, std::span<const std::uint32_t> values, const lsh_band_keys& keys);
  /// Removes `key`; false if absent.
  bool remove(std::uint64_t key);
  /// Removes everything (keeps capacity).
  void clear() noexcept;
  /// Pre-sizes storage for `n` documents so inserts up to n do not rehash.
  void reserve(std::size_t n);

  /// Stored documents sharing a band with the query and whose estimated Jaccard is >= threshold
  /// (and > 0), sorted by similarity descending, then key ascending. A stored copy of the query itself
  /// (same key or not) is returned like any other document. errc::incompatible on a config
  /// mismatch, errc::invalid_argument on a wrong size or a threshold outside [0, 1].
  std::vector<lsh_match> query(const signature& sig, double threshold) const;
  std::vector<lsh_match> query(std::span<const std::uint32_t> values, double threshold) const;
  /// Same with the values' band fingerprints already computed (band_keys(values)); the result
  /// is the same as query(values, threshold). errc::invalid_argument also when `keys` was made
  /// for other params or other values.
  std::vector<lsh_match> query(std::span<const std::uint32_t> values, const lsh_band_keys& keys,
                               double threshold) const;
  /// The k candidates with the highest estimated Jaccard (> 0), same order. Only documents that
  /// share a band with the query are considered: this is approximate top-k.
  std::vector<lsh_match> query_top_k(std::span<const std::uint32_t> values, std::size_t k) const;
  std::vector<lsh_match> query_top_k(const signature& sig, std::size_t k) const;

  /// The band fingerprints of `values` under params() (they depend on nothing else, so they
  /// serve every index with the same params). errc::invalid_argument unless values.size() ==
  /// config().num_hashes. Reads only params() and config(), which never change: safe to call
  /// concurrently with any member, insert and remove included.
  lsh_band_keys band_keys(std::span<const std::uint32_t> values) const;

  /// The stored values of `key`; empty span if absent. Valid until the next mutation.
  std::span<const std::uint32_t> values_of(std::uint64_t key) const noexcept;
  bool contains(std::uint64_t key) const noexcept;
  std::size_t size() const noexcept;
  const lsh_params& params() const noexcept;
  const minhash_config& config() const noexcept;
  /// Bytes held by the index (signatures, key map, band tables), for capacity planning.
  std::size_t memory_bytes() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace retold
