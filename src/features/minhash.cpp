// MinHash signatures: one-permutation hashing with optimal densification (default) and the
// classic k-hash multiply-add-shift family. See minhash.hpp for the estimator contract.
#include <retold/error.hpp>
#include <retold/minhash.hpp>

#include "features/detail/minhash_kernels.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace retold {
namespace {

constexpr std::uint32_t k_max_hashes = 65536;
constexpr char k_magic[4] = {'R', 'T', 'S', 'G'};
constexpr std::uint16_t k_format_version = 1;

void put_u16(std::vector<std::uint8_t>& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put_u32(std::vector<std::uint8_t>& b, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_u64(std::vector<std::uint8_t>& b, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
std::uint64_t get_le(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

bool valid_scheme(minhash_scheme s) {
  return s == minhash_scheme::one_permutation || s == minhash_scheme::multiply_shift;
}

}  // namespace

void validate(const minhash_config& cfg) {
  if (cfg.num_hashes == 0 || cfg.num_hashes > k_max_hashes)
    throw error(errc::invalid_argument, "minhash_config.num_hashes must be in 1..65536, got " +
                                            std::to_string(cfg.num_hashes));
  if (!valid_scheme(cfg.scheme))
    throw error(errc::invalid_argument, "minhash_config.scheme is not a minhash_scheme: " +
                                            std::to_string(static_cast<int>(cfg.scheme)));
}

// ---- signature

signature::signature() : signature(minhash_config{}) {}

signature::signature(const minhash_config& cfg) : config_(cfg) {
  validate(cfg);
  values_.assign(cfg.num_hashes, empty_value);
}

signature::signature(const minhash_config& cfg, std::vector<std::uint32_t> values)
    : config_(cfg), values_(std::move(values)) {
  validate(cfg);
  if (values_.size() != cfg.num_hashes)
    throw error(errc::invalid_argument, "signature has " + std::to_string(values_.size()) +
                                            " values but the config says num_hashes = " +
                                            std::to_string(cfg.num_hashes));
}

bool signature::empty() const noexcept {
  return std::all_of(values_.begin(), values_.end(),
                     [](std::uint32_t v) { return v == empty_value; });
}

void signature::serialize_into(std::vector<std::uint8_t>& out) const {
  out.reserve(out.size() + serialized_size(config_.num_hashes));
  out.insert(out.end(), k_magic, k_magic + 4);
  put_u16(out, k_format_version);
  out.push_back(static_cast<std::uint8_t>(config_.scheme));
  out.push_back(0);
  put_u32(out, config_.num_hashes);
  put_u64(out, config_.seed);
  for (std::uint32_t v : values_) put_u32(out, v);
}

std::vector<std::uint8_t> signature::serialize() const {
  std::vector<std::uint8_t> out;
  serialize_into(out);
  return out;
}

signature signature::deserialize(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 20 || std::memcmp(bytes.data(), k_magic, 4) != 0)
    throw error(errc::corrupted_state, "signature bytes do not start with the \"RTSG\" header (" +
                                           std::to_string(bytes.size()) + " bytes)");
  const auto version = static_cast<std::uint16_t>(get_le(bytes.data() + 4, 2));
  if (version != k_format_version)
    throw error(errc::incompatible,
                "signature format version " + std::to_string(version) + " is not supported (1)");
  minhash_config cfg;
  cfg.scheme = static_cast<minhash_scheme>(bytes[6]);
  if (!valid_scheme(cfg.scheme))
    throw error(errc::incompatible,
                "signature made with unknown MinHash scheme " + std::to_string(bytes[6]));
  cfg.num_hashes = static_cast<std::uint32_t>(get_le(bytes.data() + 8, 4));
  cfg.seed = get_le(bytes.data() + 12, 8);
  if (cfg.num_hashes == 0 || cfg.num_hashes > k_max_hashes)
    throw error(errc::corrupted_state,
                "signature header has num_hashes = " + std::to_string(cfg.num_hashes));
  if (bytes.size() != serialized_size(cfg.num_hashes))
    throw error(errc::corrupted_state, "signature of " + std::to_string(cfg.num_hashes) +
                                           " values needs " +
                                           std::to_string(serialized_size(cfg.num_hashes)) +
                                           " bytes, got " + std::to_string(bytes.size()));
  std::vector<std::uint32_t> values(cfg.num_hashes);
  for (std::uint32_t i = 0; i < cfg.num_hashes; ++i)
    values[i] = static_cast<std::uint32_t>(get_le(bytes.data() + 20 + 4 * std::size_t{i}, 4));
  return signature(cfg, std::move(values));
}

// ---- minhasher

minhasher::minhasher(minhash_config cfg) : config_(cfg) {
  validate(cfg);
  if (cfg.scheme == minhash_scheme::multiply_shift) {
    mul_.resize(cfg.num_hashes);
    add_.resize(cfg.num_hashes);
    std::uint64_t state = cfg.seed ^ 0x6d756c7469706c79ULL;
    for (std::uint32_t i = 0; i < cfg.num_hashes; ++i) {
      mul_[i] = detail::splitmix64(state);
      add_[i] = detail::splitmix64(state);
    }
  }
}

void minhasher::compute_into(std::span<const std::uint64_t> shingle_hashes,
                             std::span<std::uint32_t> out) const {
  if (out.size() != config_.num_hashes)
    throw error(errc::invalid_argument, "compute_into: output has " + std::to_string(out.size()) +
                                            " slots, config needs " +
                                            std::to_string(config_.num_hashes));
  switch (config_.scheme) {
    case minhash_scheme::one_permutation:
      detail::oph_signature(shingle_hashes, config_.seed, out);
      return;
    case minhash_scheme::multiply_shift:
      detail::multiply_shift_signature(shingle_hashes, config_.seed, mul_.data(), add_.data(), out);
      return;
  }
}

signature minhasher::compute(std::span<const std::uint64_t> shingle_hashes) const {
  std::vector<std::uint32_t> values(config_.num_hashes);
  compute_into(shingle_hashes, values);
  return signature(config_, std::move(values));
}

// ---- estimation

double estimate_jaccard(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b) noexcept {
  if (a.size() != b.size() || a.empty()) return 0.0;
  std::size_t equal = 0;
  const std::uint32_t* pa = a.data();
  const std::uint32_t* pb = b.data();
  const std::size_t n = a.size();
  for (std::size_t i = 0; i < n; ++i)
    equal += static_cast<std::size_t>((pa[i] == pb[i]) & (pa[i] != signature::empty_value));
  return static_cast<double>(equal) / static_cast<double>(n);
}

double estimate_jaccard(const signature& a, const signature& b) {
  if (!(a.config() == b.config()))
    throw error(errc::incompatible,
                "cannot compare MinHash signatures of different configurations (num_hashes " +
                    std::to_string(a.config().num_hashes) + " vs " +
                    std::to_string(b.config().num_hashes) + ", seed " +
                    std::to_string(a.config().seed) + " vs " + std::to_string(b.config().seed) +
                    ", scheme " + std::to_string(static_cast<int>(a.config().scheme)) + " vs " +
                    std::to_string(static_cast<int>(b.config().scheme)) + ")");
  return estimate_jaccard(a.values(), b.values());
}

}  // namespace retold
