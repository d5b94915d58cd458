// retold/minhash.hpp - MinHash signatures of shingle sets and Jaccard estimation.
//
// Two schemes, both producing num_hashes 32-bit values per set:
//  - one_permutation (default, chosen by measurement in bench/bench_features.cpp: about 1 us per
//    500-word document at 128 values against about 7 us for the vectorised multiply_shift and
//    57 us for the classic (a x + b) mod (2^61 - 1) loop, on the project's machines): each shingle
//    hash is mixed once with the seed; its high bits pick one of num_hashes bins and its low 32
//    bits are the value; each bin keeps its minimum. Empty bins are filled by optimal
//    densification (Shrivastava, ICML 2017), which keeps the estimator unbiased. Cost: O(1) per
//    shingle instead of O(num_hashes).
//  - multiply_shift: the classic num_hashes independent hash functions, each a 2-universal
//    multiply-add-shift h_i(x) = (a_i * x + b_i) >> 32 over the 32-bit mixed shingle hash,
//    written so the compiler vectorises the loop over i. O(num_hashes) per shingle.
// In both, P(values_a[i] == values_b[i]) = Jaccard(A, B), and the fraction of equal positions is
// the estimate, with standard error about sqrt(J (1 - J) / num_hashes).
//
// The value 0xFFFFFFFF (signature::empty_value) is never produced for a shingle: it marks the
// positions of the signature of an EMPTY set, and such positions never count as equal.
#pragma once

#include <retold/export.hpp>

#include <cstdint>
#include <span>
#include <vector>

namespace retold {

/// Which hash family made a signature. Values are pinned: they are serialized.
enum class minhash_scheme : std::uint8_t { one_permutation = 1, multiply_shift = 2 };

/// What a signature is made with. Signatures compare only when configs are equal. Plain value.
struct minhash_config {
  std::uint32_t num_hashes = 128;  ///< signature length, 1 .. 65536
  std::uint64_t seed = 0x7265746f6c64ULL;
  minhash_scheme scheme = minhash_scheme::one_permutation;
  friend bool operator==(const minhash_config&, const minhash_config&) = default;
};

/// Throws errc::invalid_argument naming the field when num_hashes is 0 or > 65536 or the scheme
/// is not one of minhash_scheme.
RETOLD_API void validate(const minhash_config& cfg);

/// A MinHash signature: num_hashes 32-bit values plus the config that made them. Value type
/// (copyable, movable); owns its values. Const members are thread-safe.
class RETOLD_API signature {
 public:
  /// Marks every position of the signature of an empty shingle set.
  static constexpr std::uint32_t empty_value = 0xFFFFFFFFu;

  /// The signature of the empty set under the default config.
  signature();
  /// The signature of the empty set under `cfg` (validated).
  explicit signature(const minhash_config& cfg);
  /// Wraps existing values; errc::invalid_argument unless values.size() == cfg.num_hashes.
  signature(const minhash_config& cfg, std::vector<std::uint32_t> values);

  const minhash_config& config() const noexcept { return config_; }
  /// The min-hash values; valid while this signature lives and is not assigned to.
  std::span<const std::uint32_t> values() const noexcept { return values_; }
  /// true for the signature of an empty shingle set (all positions empty_value).
  bool empty() const noexcept;

  /// Fixed little-endian layout, independent of the host:
  ///   "RTSG" | u16 format version (1) | u8 scheme | u8 reserved (0) | u32 num_hashes |
  ///   u64 seed | num_hashes x u32 values.             (20 + 4 * num_hashes bytes)
  std::vector<std::uint8_t> serialize() const;
  /// Appends the same bytes to `out`.
  void serialize_into(std::vector<std::uint8_t>& out) const;
  /// Inverse of serialize(). errc::corrupted_state on bad magic, truncated or trailing bytes,
  /// num_hashes 0; errc::incompatible on an unknown format version or scheme.
  static signature deserialize(std::span<const std::uint8_t> bytes);
  /// Size of serialize() for `num_hashes` values.
  static constexpr std::size_t serialized_size(std::uint32_t num_hashes) noexcept {
    return 20 + 4 * static_cast<std::size_t>(num_hashes);
  }

  friend bool operator==(const signature&, const signature&) = default;

 private:
  minhash_config config_;
  std::vector<std::uint32_t> values_;
};

/// Computes signatures for one config. Immutable after construction: every member is const and
/// safe to call from any number of threads at once; copying is cheap (a few KiB of tables).
class RETOLD_API minhasher {
 public:
  /// errc::invalid_argument on an invalid config (see validate()).
  explicit minhasher(minhash_config cfg = {});

  /// Signature of the set of `shingle_hashes` (duplicates and order do not matter). An empty
  /// span gives the empty signature (signature::empty()).
  signature compute(std::span<const std::uint64_t> shingle_hashes) const;
  /// Same values written into `out`, without allocating. errc::invalid_argument unless
  /// out.size() == config().num_hashes.
  void compute_into(std::span<const std::uint64_t> shingle_hashes,
                    std::span<std::uint32_t> out) const;

  const minhash_config& config() const noexcept { return config_; }

 private:
  minhash_config config_;
  std::vector<std::uint64_t> mul_;  // multiply_shift: a_i (odd), b_i
  std::vector<std::uint64_t> add_;
};

/// Estimated Jaccard similarity in [0, 1]: the fraction of positions with equal, non-empty
/// values. errc::incompatible when the configs differ (different seed, size or scheme: the
/// values would be meaningless to compare). Thread-safe.
RETOLD_API double estimate_jaccard(const signature& a, const signature& b);
/// Same on raw values assumed to come from one config; 0 when sizes differ or are 0. noexcept.
RETOLD_API double estimate_jaccard(std::span<const std::uint32_t> a,
                                   std::span<const std::uint32_t> b) noexcept;

}  // namespace retold
