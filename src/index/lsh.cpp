// Banded LSH over MinHash signatures: flat signature storage + per-band open-addressing multimaps.
#include <retold/error.hpp>
#include <retold/lsh.hpp>

#include "features/detail/minhash_kernels.hpp"
#include "store/mapped_array.hpp"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace retold {
namespace {

constexpr std::uint32_t k_none = std::numeric_limits<std::uint32_t>::max();

std::size_t table_capacity_for(std::size_t n) {
  // Power of two with load <= 0.7 after n entries; at least 16.
  std::size_t cap = 16;
  while (cap * 7 < n * 10) cap *= 2;
  return cap;
}

// Whether `home` lies cyclically in (hole, j]: such an entry may not move back to `hole`.
inline bool stays(std::size_t home, std::size_t hole, std::size_t j) {
  return hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
}

// Multimap from a 32-bit band fingerprint to slots: linear probing, backward-shift deletion.
// Equal fingerprints sit in one probe run; a fingerprint collision between different band
// values only adds a candidate, which verification against the full signature then rejects.
class band_table {
 public:
  struct entry {
    std::uint32_t fp;
    std::uint32_t slot;  // k_none: empty
  };

  void reserve(std::size_t n) {
    if (n * 10 <= entries_.size() * 7) return;  // the common case, checked without a loop
    rehash(table_capacity_for(n));
  }
  void clear() noexcept {
    std::fill(entries_.begin(), entries_.end(), entry{0, k_none});
    used_ = 0;
  }
  std::size_t memory_bytes() const noexcept { return entries_.capacity() * sizeof(entry); }

  void insert(std::uint32_t fp, std::uint32_t slot) {
    if ((used_ + 1) * 10 > entries_.size() * 7) rehash(std::max<std::size_t>(16, entries_.size() * 2));
    place(fp, slot);
    ++used_;
  }

  bool erase(std::uint32_t fp, std::uint32_t slot) noexcept {
    if (entries_.empty()) return false;
    std::size_t i = fp & mask_;
    while (entries_[i].slot != k_none) {
      if (entries_[i].fp == fp && entries_[i].slot == slot) {
        std::size_t hole = i, j = i;
        for (;;) {
          j = (j + 1) & mask_;
          if (entries_[j].slot == k_none) break;
          if (!stays(entries_[j].fp & mask_, hole, j)) {
            entries_[hole] = entries_[j];
            hole = j;
          }
        }
        entries_[hole] = entry{0, k_none};
        --used_;
        return true;
      }
      i = (i + 1) & mask_;
    }
    return false;
  }

  /// Starts loading the probe position of `fp`: bands are independent, so the cache misses of
  /// all bands of a document overlap instead of queueing.
  void prefetch(std::uint32_t fp) const noexcept {
    if (!entries_.empty()) __builtin_prefetch(&entries_[fp & mask_]);
  }

  template <class F>
  void for_each(std::uint32_t fp, F&& f) const {
    if (entries_.empty()) return;
    std::size_t i = fp & mask_;
    while (entries_[i].slot != k_none) {
      if (entries_[i].fp == fp) f(entries_[i].slot);
      i = (i + 1) & mask_;
    }
  }

 private:
  void place(std::uint32_t fp, std::uint32_t slot) noexcept {
    std::size_t i = fp & mask_;
    while (entries_[i].slot != k_none) i = (i + 1) & mask_;
    entries_[i] = entry{fp, slot};
  }
  void rehash(std::size_t cap) {
    std::vector<entry> old = std::move(entries_);
    entries_.assign(cap, entry{0, k_none});
    mask_ = cap - 1;
    for (const entry& e : old)
      if (e.slot != k_none) place(e.fp, e.slot);
  }

  std::vector<entry> entries_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

// Map from the caller's 64-bit key to a slot: linear probing, backward-shift deletion.
class key_map {
 public:
  std::uint32_t find(std::uint64_t key) const noexcept {
    if (entries_.empty()) return k_none;
    std::size_t i = home(key);
    while (entries_[i].slot != k_none) {
      if (entries_[i].key == key) return entries_[i].slot;
      i = (i + 1) & mask_;
    }
    return k_none;
  }
  void insert(std::uint64_t key, std::uint32_t slot) {  // key must be absent
    if ((used_ + 1) * 10 > entries_.size() * 7) rehash(std::max<std::size_t>(16, entries_.size() * 2));
    place(key, slot);
    ++used_;
  }
  std::uint32_t erase(std::uint64_t key) noexcept {
    if (entries_.empty()) return k_none;
    std::size_t i = home(key);
    while (entries_[i].slot != k_none) {
      if (entries_[i].key == key) {
        const std::uint32_t slot = entries_[i].slot;
        std::size_t hole = i, j = i;
        for (;;) {
          j = (j + 1) & mask_;
          if (entries_[j].slot == k_none) break;
          if (!stays(home(entries_[j].key), hole, j)) {
            entries_[hole] = entries_[j];
            hole = j;
          }
        }
        entries_[hole] = entry{0, k_none};
        --used_;
        return slot;
      }
      i = (i + 1) & mask_;
    }
    return k_none;
  }
  void reserve(std::size_t n) {
    if (n * 10 <= entries_.size() * 7) return;  // the common case, checked without a loop
    rehash(table_capacity_for(n));
  }
  void clear() noexcept {
    std::fill(entries_.begin(), entries_.end(), entry{0, k_none});
    used_ = 0;
  }
  std::size_t memory_bytes() const noexcept { return entries_.capacity() * sizeof(entry); }

 private:
  struct entry {
    std::uint64_t key;
    std::uint32_t slot;
  };
  std::size_t home(std::uint64_t key) const noexcept { return detail::fmix64(key) & mask_; }
  void place(std::uint64_t key, std::uint32_t slot) noexcept {
    std::size_t i = home(key);
    while (entries_[i].slot != k_none) i = (i + 1) & mask_;
    entries_[i] = entry{key, slot};
  }
  void rehash(std::size_t cap) {
    std::vector<entry> old = std::move(entries_);
    entries_.assign(cap, entry{0, k_none});
    mask_ = cap - 1;
    for (const entry& e : old)
      if (e.slot != k_none) place(e.key, e.slot);
  }

  std::vector<entry> entries_;
  std::size_t mask_ = 0;
  std::size_t used_ = 0;
};

// Signature values, slot after slot, k per slot, in chunks of about 4 MiB that never move once
// allocated: a std::vector grew by doubling and copied them all (at 1M documents a 256 MiB copy
// beside the 256 MiB original). The first chunk grows by doubling up to the full chunk size, so
// a small index stays small.
class signature_rows {
 public:
  explicit signature_rows(std::uint32_t k = 1) : k_(k) {
    while (shift_ < 20 && (std::size_t{4} << (shift_ + 1)) * k_ <= (std::size_t{4} << 20)) ++shift_;
  }
  std::size_t rows() const noexcept { return rows_; }
  std::uint32_t* row(std::size_t slot) noexcept { return chunks_[slot >> shift_].data() + (slot & mask()) * k_; }
  const std::uint32_t* row(std::size_t slot) const noexcept {
    return chunks_[slot >> shift_].data() + (slot & mask()) * k_;
  }
  /// Room for `n` rows; std::bad_alloc leaves the rows as they were.
  void reserve(std::size_t n) {
    const std::size_t per_chunk = mask() + 1;
    if (n <= capacity()) return;
    if (chunks_.size() <= 1 && n <= per_chunk) {  // the first chunk: doubled, copied
      std::size_t rows = std::max<std::size_t>(16, 2 * capacity());
      rows = std::min(std::max(rows, n), per_chunk);
      detail::mapped_array<std::uint32_t> bigger(rows * k_);
      if (!chunks_.empty()) std::copy(chunks_[0].data(), chunks_[0].data() + rows_ * k_, bigger.data());
      if (chunks_.empty()) chunks_.push_back(std::move(bigger));
      else chunks_[0] = std::move(bigger);
      return;
    }
    if (!chunks_.empty() && chunks_[0].size() < per_chunk * k_) {  // the first chunk to full size
      detail::mapped_array<std::uint32_t> full(per_chunk * k_);
      std::copy(chunks_[0].data(), chunks_[0].data() + rows_ * k_, full.data());
      chunks_[0] = std::move(full);
    }
    const std::size_t need = (n + per_chunk - 1) / per_chunk;
    chunks_.reserve(need);
    while (chunks_.size() < need) chunks_.emplace_back(per_chunk * k_);
  }
  /// One more row (its values unset); std::bad_alloc leaves the rows as they were.
  void add_row() {
    reserve(rows_ + 1);
    ++rows_;
  }
  void pop_row() noexcept { --rows_; }
  /// No rows (the chunks are kept).
  void clear() noexcept { rows_ = 0; }
  std::size_t memory_bytes() const noexcept {
    std::size_t b = chunks_.capacity() * sizeof(chunks_[0]);
    for (const auto& c : chunks_) b += c.memory_bytes();
    return b;
  }

 private:
  std::size_t mask() const noexcept { return (std::size_t{1} << shift_) - 1; }
  std::size_t capacity() const noexcept {
    if (chunks_.empty()) return 0;
    return chunks_.size() == 1 ? chunks_[0].size() / k_ : chunks_.size() * (mask() + 1);
  }
  std::uint32_t k_;
  unsigned shift_ = 0;  // rows per chunk: 2^shift_, about 4 MiB of values
  std::size_t rows_ = 0;
  std::vector<detail::mapped_array<std::uint32_t>> chunks_;
};

// Band fingerprints of one document: on the stack for up to 64 bands.
class fps_buffer {
 public:
  explicit fps_buffer(std::uint32_t n) {
    if (n > 64) big_.resize(n);
  }
  std::uint32_t* data() noexcept { return big_.empty() ? small_ : big_.data(); }

 private:
  std::uint32_t small_[64];
  std::vector<std::uint32_t> big_;
};

bool all_empty(std::span<const std::uint32_t> v) {
  return std::all_of(v.begin(), v.end(), [](std::uint32_t x) { return x == signature::empty_value; });
}

bool by_similarity_then_key(const lsh_match& a, const lsh_match& b) {
  if (a.similarity != b.similarity) return a.similarity > b.similarity;
  return a.key < b.key;
}

}  // namespace

struct lsh_index::impl {
  minhash_config cfg;
  lsh_params params;
  std::uint32_t k;
  signature_rows values;                 // slot -> its k values
  std::vector<std::uint64_t> slot_keys;  // slot -> key
  std::vector<std::uint32_t> free_slots;
  key_map keys;
  std::vector<band_table> bands;
  std::size_t count = 0;

  /// Fingerprints of all bands of `v` into fps (params.bands entries), prefetching their slots.
  void band_fps(const std::uint32_t* v, std::uint32_t* fps) const noexcept {
    for (std::uint32_t j = 0; j < params.bands; ++j) {
      fps[j] = band_fp(v, j);
      bands[j].prefetch(fps[j]);
    }
  }

  std::uint32_t band_fp(const std::uint32_t* v, std::uint32_t band) const noexcept {
    const std::uint64_t h = XXH3_64bits_withSeed(v + std::size_t{band} * params.rows,
                                                 std::size_t{params.rows} * 4, band);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }

  /// Hash of a signature's values: ties a band-key set to the values it was made from.
  static std::uint64_t values_hash(std::span<const std::uint32_t> v) noexcept {
    return XXH3_64bits(v.data(), v.size_bytes());
  }

  void check_keys(std::span<const std::uint32_t> v, const lsh_band_keys& keys, const char* what) const {
    if (keys.params_ != params || keys.fps_.size() != params.bands)
      throw error(errc::invalid_argument,
                  std::string(what) + ": band keys made for bands " + std::to_string(keys.params_.bands) +
                      ", rows " + std::to_string(keys.params_.rows) + ", the index has bands " +
                      std::to_string(params.bands) + ", rows " + std::to_string(params.rows));
    if (keys.values_hash_ != values_hash(v))
      throw error(errc::invalid_argument,
                  std::string(what) + ": band keys were made from another signature's values");
  }

  void check_values(std::span<const std::uint32_t> v, const char* what) const {
    if (v.size() != k)
      throw error(errc::invalid_argument, std::string(what) + ": signature has " +
                                              std::to_string(v.size()) + " values, index needs " +
                                              std::to_string(k));
  }

  void check_config(const minhash_config& other, const char* what) const {
    if (!(other == cfg))
      throw error(errc::incompatible,
                  std::string(what) + ": signature configuration (num_hashes " +
                      std::to_string(other.num_hashes) + ", seed " + std::to_string(other.seed) +
                      ", scheme " + std::to_string(static_cast<int>(other.scheme)) +
                      ") differs from the index's (num_hashes " + std::to_string(cfg.num_hashes) +
                      ", seed " + std::to_string(cfg.seed) + ", scheme " +
                      std::to_string(static_cast<int>(cfg.scheme)) + ")");
  }

  /// `fps`: the band fingerprints of v (params.bands values), or null to compute them here.
  void insert(std::uint64_t key, std::span<const std::uint32_t> v, const std::uint32_t* fps) {
    if (keys.find(key) != k_none)
      throw error(errc::duplicate_id, "lsh_index::insert: key " + std::to_string(key) +
                                          " is already in the index");
    // Reserve everything that can throw before the first modification.
    keys.reserve(count + 1);
    for (auto& b : bands) b.reserve(count + 1);
    std::uint32_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      if (slot_keys.size() >= k_none - 1)
        throw error(errc::too_large, "lsh_index holds at most 2^32 - 2 signatures");
      slot = static_cast<std::uint32_t>(slot_keys.size());
      values.add_row();  // strong guarantee: nothing else changed yet
      try {
        slot_keys.push_back(key);
      } catch (...) {
        values.pop_row();
        throw;
      }
    }
    std::copy(v.begin(), v.end(), values.row(slot));
    slot_keys[slot] = key;
    keys.insert(key, slot);
    if (!all_empty(v)) {
      if (fps) {
        // Every band's probe position starts loading before the first store: the tables are far
        // larger than the caches, and the stores' misses then overlap instead of queueing (the
        // band inserts were the largest CPU cost of a lexical run, mostly waiting on memory).
        for (std::uint32_t j = 0; j < params.bands; ++j) bands[j].prefetch(fps[j]);
        for (std::uint32_t j = 0; j < params.bands; ++j) bands[j].insert(fps[j], slot);
      } else {
        const std::uint32_t* sv = values.row(slot);
        fps_buffer own(params.bands);
        band_fps(sv, own.data());
        for (std::uint32_t j = 0; j < params.bands; ++j) bands[j].insert(own.data()[j], slot);
      }
    }
    ++count;
  }

  bool remove(std::uint64_t key) {
    const std::uint32_t slot = keys.erase(key);
    if (slot == k_none) return false;
    std::uint32_t* sv = values.row(slot);
    if (!all_empty({sv, k})) {
      fps_buffer fps(params.bands);
      band_fps(sv, fps.data());
      for (std::uint32_t j = 0; j < params.bands; ++j) bands[j].erase(fps.data()[j], slot);
    }
    std::fill(sv, sv + k, signature::empty_value);
    free_slots.push_back(slot);
    --count;
    return true;
  }

  /// `fps`: the band fingerprints of v, or null to compute them here.
  std::vector<std::uint32_t> candidates(std::span<const std::uint32_t> v, const std::uint32_t* fps) const {
    std::vector<std::uint32_t> c;
    if (count == 0 || all_empty(v)) return c;
    fps_buffer own(fps ? 0 : params.bands);
    if (fps) {
      for (std::uint32_t j = 0; j < params.bands; ++j) bands[j].prefetch(fps[j]);
    } else {
      band_fps(v.data(), own.data());
      fps = own.data();
    }
    c.reserve(params.bands * 2);
    for (std::uint32_t j = 0; j < params.bands; ++j)
      bands[j].for_each(fps[j], [&](std::uint32_t slot) { c.push_back(slot); });
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    return c;
  }

  std::span<const std::uint32_t> stored(std::uint32_t slot) const noexcept {
    return {values.row(slot), k};
  }

  std::vector<lsh_match> query(std::span<const std::uint32_t> v, const std::uint32_t* fps,
                               double threshold) const {
    if (!(threshold >= 0.0 && threshold <= 1.0))
      throw error(errc::invalid_argument,
                  "lsh_index::query: threshold must be in [0, 1], got " + std::to_string(threshold));
    std::vector<lsh_match> out;
    const std::vector<std::uint32_t> cand = candidates(v, fps);
    if (cand.empty()) return out;
    out.reserve(cand.size());
    for (std::uint32_t slot : cand) {
      const double s = estimate_jaccard(v, stored(slot));
      if (s >= threshold && s > 0.0) out.push_back({slot_keys[slot], s});
    }
    std::sort(out.begin(), out.end(), by_similarity_then_key);
    return out;
  }
};

lsh_index::lsh_index(minhash_config cfg, lsh_params params) : impl_(std::make_unique<impl>()) {
  validate(cfg);
  if (params.bands == 0 || params.rows == 0 ||
      std::uint64_t{params.bands} * params.rows > cfg.num_hashes)
    throw error(errc::invalid_argument,
                "lsh_params: bands (" + std::to_string(params.bands) + ") and rows (" +
                    std::to_string(params.rows) + ") must be >= 1 with bands * rows <= num_hashes (" +
                    std::to_string(cfg.num_hashes) + ")");
  impl_->cfg = cfg;
  impl_->params = params;
  impl_->k = cfg.num_hashes;
  impl_->values = signature_rows(cfg.num_hashes);
  impl_->bands.resize(params.bands);
}

lsh_index::~lsh_index() = default;
lsh_index::lsh_index(lsh_index&&) noexcept = default;
lsh_index& lsh_index::operator=(lsh_index&&) noexcept = default;

void lsh_index::insert(std::uint64_t key, const signature& sig) {
  impl_->check_config(sig.config(), "lsh_index::insert");
  insert(key, sig.values());
}

void lsh_index::insert(std::uint64_t key, std::span<const std::uint32_t> values) {
  impl_->check_values(values, "lsh_index::insert");
  impl_->insert(key, values, nullptr);
}

void lsh_index::insert(std::uint64_t key, std::span<const std::uint32_t> values,
                       const lsh_band_keys& keys) {
  impl_->check_values(values, "lsh_index::insert");
  impl_->check_keys(values, keys, "lsh_index::insert");
  impl_->insert(key, values, keys.fps_.data());
}

lsh_band_keys lsh_index::band_keys(std::span<const std::uint32_t> values) const {
  impl_->check_values(values, "lsh_index::band_keys");
  lsh_band_keys keys;
  keys.params_ = impl_->params;
  keys.values_hash_ = impl::values_hash(values);
  keys.fps_.resize(impl_->params.bands);
  for (std::uint32_t j = 0; j < impl_->params.bands; ++j) keys.fps_[j] = impl_->band_fp(values.data(), j);
  return keys;
}

bool lsh_index::remove(std::uint64_t key) { return impl_->remove(key); }

void lsh_index::clear() noexcept {
  impl_->values.clear();
  impl_->slot_keys.clear();
  impl_->free_slots.clear();
  impl_->keys.clear();
  for (auto& b : impl_->bands) b.clear();
  impl_->count = 0;
}

void lsh_index::reserve(std::size_t n) {
  impl_->values.reserve(n);
  impl_->slot_keys.reserve(n);
  impl_->keys.reserve(n);
  for (auto& b : impl_->bands) b.reserve(n);
}

std::vector<lsh_match> lsh_index::query(const signature& sig, double threshold) const {
  impl_->check_config(sig.config(), "lsh_index::query");
  return query(sig.values(), threshold);
}

std::vector<lsh_match> lsh_index::query(std::span<const std::uint32_t> values,
                                        double threshold) const {
  impl_->check_values(values, "lsh_index::query");
  return impl_->query(values, nullptr, threshold);
}

std::vector<lsh_match> lsh_index::query(std::span<const std::uint32_t> values,
                                        const lsh_band_keys& keys, double threshold) const {
  impl_->check_values(values, "lsh_index::query");
  impl_->check_keys(values, keys, "lsh_index::query");
  return impl_->query(values, keys.fps_.data(), threshold);
}

std::vector<lsh_match> lsh_index::query_top_k(std::span<const std::uint32_t> values,
                                              std::size_t k) const {
  impl_->check_values(values, "lsh_index::query_top_k");
  std::vector<lsh_match> out;
  if (k == 0) return out;
  for (std::uint32_t slot : impl_->candidates(values, nullptr)) {
    const double s = estimate_jaccard(values, impl_->stored(slot));
    if (s > 0.0) out.push_back({impl_->slot_keys[slot], s});
  }
  if (out.size() > k) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end(),
                      by_similarity_then_key);
    out.resize(k);
  } else {
    std::sort(out.begin(), out.end(), by_similarity_then_key);
  }
  return out;
}

std::vector<lsh_match> lsh_index::query_top_k(const signature& sig, std::size_t k) const {
  impl_->check_config(sig.config(), "lsh_index::query_top_k");
  return query_top_k(sig.values(), k);
}

std::span<const std::uint32_t> lsh_index::values_of(std::uint64_t key) const noexcept {
  const std::uint32_t slot = impl_->keys.find(key);
  if (slot == k_none) return {};
  return impl_->stored(slot);
}

bool lsh_index::contains(std::uint64_t key) const noexcept { return impl_->keys.find(key) != k_none; }
std::size_t lsh_index::size() const noexcept { return impl_->count; }
const lsh_params& lsh_index::params() const noexcept { return impl_->params; }
const minhash_config& lsh_index::config() const noexcept { return impl_->cfg; }

std::size_t lsh_index::memory_bytes() const noexcept {
  std::size_t b = impl_->values.memory_bytes() + impl_->slot_keys.capacity() * 8 +
                  impl_->free_slots.capacity() * 4 + impl_->keys.memory_bytes();
  for (const auto& t : impl_->bands) b += t.memory_bytes();
  return b;
}

}  // namespace retold
