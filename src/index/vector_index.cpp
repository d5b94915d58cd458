// FAISS-backed vector index (see include/retold/vector_index.hpp).
//
// FAISS holds the vectors (IndexFlatIP, IndexIVFFlat, IndexIVFScalarQuantizer) and does range
// search and removal; the hot paths do not go through its distance code. Debian's FAISS 1.7.3 is
// a generic build (scalar reference inner product, reference BLAS behind sgemm), which dominated
// every profile. So IVF training (our spherical k-means), cell assignment at add time, flat scans
// and IVF-Flat list scans all use index/dot_kernels (AVX-512 / AVX2 / generic, picked at run
// time); FAISS only scans SQ8 codes.
#include <retold/error.hpp>
#include <retold/vector_index.hpp>

#include "index/dot_kernels.hpp"
#include "index/vector_index_kmeans.hpp"
#include "util/parallel.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/invlists/DirectMap.h>
#include <faiss/invlists/InvertedLists.h>

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>

namespace retold {
namespace {

using idx_t = faiss::Index::idx_t;
constexpr std::uint64_t reserved_key = std::numeric_limits<std::uint64_t>::max();

idx_t to_id(std::uint64_t key) noexcept {
  idx_t id;
  std::memcpy(&id, &key, sizeof id);
  return id;
}
std::uint64_t to_key(idx_t id) noexcept {
  std::uint64_t key;
  std::memcpy(&key, &id, sizeof key);
  return key;
}

// FAISS parallelizes each call with OpenMP. Our calls carry one query (or a block of < 20 rows),
// where a thread team only adds wake-up and barrier cost; on a loaded 2-core machine the spinning
// team made an IVF build 7x slower (58 s -> 8 s for 100k vectors with one thread). Callers that
// want parallelism run several queries on their own threads (the deduplicator does), so every
// FAISS call runs with a team of one. omp_set_num_threads affects only the calling thread, and
// the previous value is restored.
class single_thread_faiss {
 public:
  single_thread_faiss() : prev_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~single_thread_faiss() { omp_set_num_threads(prev_); }
  single_thread_faiss(const single_thread_faiss&) = delete;
  single_thread_faiss& operator=(const single_thread_faiss&) = delete;

 private:
  int prev_;
};

// About 4 sqrt(n) cells, at least 16 vectors per cell. Measured on 24k real embeddings
// (retold_eval --explore): at equal nprobe, 4 sqrt(n) cells gave higher recall than sqrt(n)
// (0.958 vs 0.946 at nprobe 16) and scanned 3-4x fewer vectors per query.
std::uint32_t auto_nlist(std::size_t n) {
  const auto r = static_cast<std::size_t>(std::lround(4.0 * std::sqrt(static_cast<double>(n))));
  return static_cast<std::uint32_t>(std::clamp<std::size_t>(std::min(r, n / 16), 1, 65536));
}

void sort_matches(std::vector<vector_match>& m) {
  std::sort(m.begin(), m.end(), [](const vector_match& a, const vector_match& b) {
    return a.cosine != b.cosine ? a.cosine > b.cosine : a.key < b.key;
  });
}

}  // namespace

void validate(const vector_index_options& o) {
  auto bad = [](const std::string& m) { throw error(errc::invalid_argument, "vector_index_options: " + m); };
  if (o.dimension == 0 || o.dimension > 65536) bad("dimension must be in 1..65536");
  if (o.kind != vector_index_kind::automatic && o.kind != vector_index_kind::flat && o.kind != vector_index_kind::ivf)
    bad("unknown kind");
  if (o.kind == vector_index_kind::flat && o.scalar_quantization)
    bad("scalar_quantization needs kind ivf or automatic (the flat index stores float32)");
  if (o.nprobe == 0) bad("nprobe must be >= 1");
  if (o.ivf_min_size == 0) bad("ivf_min_size must be >= 1");
}

struct vector_index::impl {
  vector_index_options opts;
  std::uint32_t d;
  // Exactly one of these holds the vectors.
  std::unique_ptr<faiss::IndexFlatIP> flat;  // rows addressed by position
  std::vector<std::uint64_t> flat_keys;      // position -> key
  std::unique_ptr<faiss::IndexFlatIP> quantizer;
  std::unique_ptr<faiss::IndexIVF> ivf;      // ids are the keys themselves
  std::size_t trained_at = 0;
  std::uint32_t nlist = 0;
  // key -> flat position (while flat); key -> 0 (while IVF: membership only)
  std::unordered_map<std::uint64_t, std::uint64_t> where;

  explicit impl(const vector_index_options& o) : opts(o), d(o.dimension), flat(new faiss::IndexFlatIP(o.dimension)) {}

  std::size_t ivf_trigger() const {
    switch (opts.kind) {
      case vector_index_kind::flat: return std::numeric_limits<std::size_t>::max();
      case vector_index_kind::ivf: return std::max<std::size_t>(64, 16 * std::size_t{opts.nlist});
      default: return opts.ivf_min_size;
    }
  }

  void normalize_rows(std::span<const float> rows, std::vector<float>& out) const {
    out.assign(rows.begin(), rows.end());
    const std::size_t n = rows.size() / d;
    for (std::size_t i = 0; i < n; ++i) {
      Eigen::Map<Eigen::VectorXf> x(out.data() + i * d, d);
      const float nr = x.norm();
      if (nr > 0.0f) x /= nr;
    }
  }

  // All stored vectors (decoded) and their keys, in key order: a training then depends only on
  // what is stored, not on the history of adds and removals (which orders the cells' lists).
  void dump(std::vector<float>& x, std::vector<std::uint64_t>& keys) const {
    struct where_row {
      std::uint64_t key;
      std::size_t list, offset;  // flat: list 0, offset = row
    };
    std::vector<where_row> rows;
    rows.reserve(where.size());
    if (!ivf) {
      for (std::size_t r = 0; r < flat_keys.size(); ++r) rows.push_back({flat_keys[r], 0, r});
    } else {
      for (std::size_t l = 0; l < ivf->nlist; ++l) {
        const std::size_t ls = ivf->invlists->list_size(l);
        const idx_t* ids = ivf->invlists->get_ids(l);
        for (std::size_t o = 0; o < ls; ++o) rows.push_back({to_key(ids[o]), l, o});
        ivf->invlists->release_ids(l, ids);
      }
    }
    std::sort(rows.begin(), rows.end(), [](const where_row& a, const where_row& b) { return a.key < b.key; });
    x.resize(rows.size() * d);
    keys.resize(rows.size());
    const float* xb = ivf ? nullptr : flat->get_xb();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      keys[i] = rows[i].key;
      if (ivf)
        ivf->reconstruct_from_offset(static_cast<std::int64_t>(rows[i].list), static_cast<std::int64_t>(rows[i].offset),
                                     x.data() + i * d);
      else
        std::memcpy(x.data() + i * d, xb + rows[i].offset * d, sizeof(float) * d);
    }
  }

  // (Re)builds an IVF over `x` (already normalized, key order) with `keys`.
  void build_ivf(const std::vector<float>& x, const std::vector<std::uint64_t>& keys, unsigned threads) {
    const std::size_t n = keys.size();
    const auto nl = static_cast<std::uint32_t>(
        std::min<std::size_t>(opts.nlist ? opts.nlist : auto_nlist(n), std::max<std::size_t>(1, n)));
    vector_index_training t;
    t.trained_at = n;
    t.centroids = detail::spherical_kmeans(x.data(), n, d, nl, opts.seed, threads);
    ivf_parts parts = make_ivf(t, x.data(), std::min<std::size_t>(n, 65536));
    add_ivf_rows(*parts.index, *parts.quantizer, x.data(), keys.data(), n, threads);
    install(std::move(parts));  // only now: a failure above leaves the index as it was
  }

  struct ivf_parts {
    std::unique_ptr<faiss::IndexFlatIP> quantizer;  // the centroids; the index points to it
    std::unique_ptr<faiss::IndexIVF> index;
    std::uint32_t nlist = 0;
    std::size_t trained_at = 0;
  };

  void install(ivf_parts&& p) noexcept {
    ivf.reset();  // it points to the old quantizer
    quantizer = std::move(p.quantizer);
    ivf = std::move(p.index);
    nlist = p.nlist;
    trained_at = p.trained_at;
  }

  // An empty IVF over the training's centroids. Its scalar quantizer (if any) is fitted on the
  // first `train_n` rows of `train_x`, or taken from the training when train_x is null.
  ivf_parts make_ivf(const vector_index_training& t, const float* train_x, std::size_t train_n) const {
    const auto nl = static_cast<std::uint32_t>(t.centroids.size() / d);
    auto q = std::make_unique<faiss::IndexFlatIP>(d);
    q->add(nl, t.centroids.data());
    std::unique_ptr<faiss::IndexIVF> index;
    faiss::IndexIVFScalarQuantizer* sq = nullptr;
    if (opts.scalar_quantization) {
      auto owned = std::make_unique<faiss::IndexIVFScalarQuantizer>(q.get(), d, nl, faiss::ScalarQuantizer::QT_8bit,
                                                                     faiss::METRIC_INNER_PRODUCT, false);
      sq = owned.get();
      index = std::move(owned);
    } else {
      index = std::make_unique<faiss::IndexIVFFlat>(q.get(), d, nl, faiss::METRIC_INNER_PRODUCT);
    }
    index->own_fields = false;
    index->cp.seed = static_cast<int>(opts.seed & 0x7fffffff);
    if (train_x) {
      // The quantizer already holds nlist centroids, so train() only fits the scalar quantizer.
      index->train(static_cast<idx_t>(train_n), train_x);
    } else {
      if (sq) sq->sq.trained = t.quantizer;
      index->is_trained = true;
    }
    index->set_direct_map_type(faiss::DirectMap::Hashtable);
    index->nprobe = std::min<std::size_t>(opts.nprobe, nl);
    return {std::move(q), std::move(index), nl, static_cast<std::size_t>(t.trained_at)};
  }

  // Adds rows to the IVF with cells assigned by our kernels against the centroids (blocks of
  // rows in parallel): FAISS's own assignment goes row by row through the scalar reference
  // kernel of Debian's generic build, which dominated nightly runs. A row's cell is the first
  // centroid of highest inner product, computed exactly as search_batch() scores the probes.
  void add_ivf_rows(faiss::IndexIVF& index, const faiss::IndexFlatIP& centroids, const float* x,
                    const std::uint64_t* keys, std::size_t n, unsigned threads) const {
    const auto nl = static_cast<std::size_t>(centroids.ntotal);
    const auto& kern = detail::kernels();
    constexpr std::size_t block = 64;
    std::vector<idx_t> cells(n), ids(n);
    detail::parallel_for((n + block - 1) / block, std::max(1u, threads), [&](std::size_t bi) {
      const std::size_t i0 = bi * block, b = std::min(block, n - i0);
      std::vector<float> scores(b * nl);
      kern.block(x + i0 * d, b, d, centroids.get_xb(), nl, d, d, scores.data(), nl);
      for (std::size_t r = 0; r < b; ++r) {
        const float* s = scores.data() + r * nl;
        cells[i0 + r] = static_cast<idx_t>(std::max_element(s, s + nl) - s);
        ids[i0 + r] = to_id(keys[i0 + r]);
      }
    });
    index.add_core(static_cast<idx_t>(n), x, ids.data(), cells.data());
  }

  void switch_to_ivf_with(const float* extra, const std::uint64_t* extra_keys, std::size_t m, unsigned threads) {
    std::vector<float> x;
    std::vector<std::uint64_t> keys;
    dump(x, keys);
    x.insert(x.end(), extra, extra + m * d);
    keys.insert(keys.end(), extra_keys, extra_keys + m);
    if (!std::is_sorted(keys.begin(), keys.end())) {  // key order, whatever the order of the adds
      std::vector<std::size_t> order(keys.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
      std::vector<float> sx(x.size());
      std::vector<std::uint64_t> sk(keys.size());
      for (std::size_t i = 0; i < order.size(); ++i) {
        sk[i] = keys[order[i]];
        std::memcpy(sx.data() + i * d, x.data() + order[i] * d, sizeof(float) * d);
      }
      x.swap(sx);
      keys.swap(sk);
    }
    build_ivf(x, keys, threads);
    flat.reset(new faiss::IndexFlatIP(d));
    flat_keys.clear();
    flat_keys.shrink_to_fit();
  }

  // Whether m more rows switch to IVF (while flat) or retrain it (automatic nlist, 4x growth).
  bool retrains_with(std::size_t m) const noexcept {
    const std::size_t after = where.size() + m;
    return ivf ? opts.nlist == 0 && after >= 4 * trained_at : after >= ivf_trigger();
  }

  void add_rows(const std::uint64_t* keys, const float* x, std::size_t m, unsigned threads) {
    const std::size_t base = flat_keys.size();
    if (retrains_with(m)) {
      switch_to_ivf_with(x, keys, m, threads);  // first IVF, or retrained for the larger collection
    } else if (ivf) {
      add_ivf_rows(*ivf, *quantizer, x, keys, m, threads);
    } else {
      flat->add(static_cast<idx_t>(m), x);
      for (std::size_t i = 0; i < m; ++i) flat_keys.push_back(keys[i]);
    }
    // While flat the value is the row position; under IVF it is unused (membership only).
    for (std::size_t i = 0; i < m; ++i) where.emplace(keys[i], ivf ? 0 : base + i);
  }

  bool remove_one(std::uint64_t key) {
    auto it = where.find(key);
    if (it == where.end()) return false;
    if (ivf) {
      const idx_t id = to_id(key);
      faiss::IDSelectorArray sel(1, &id);
      ivf->remove_ids(sel);
    } else {
      // Move the last row into the hole: O(d).
      const std::size_t pos = it->second, last = flat_keys.size() - 1;
      auto& codes = flat->codes;
      const std::size_t cs = flat->code_size;
      if (pos != last) {
        std::memcpy(codes.data() + pos * cs, codes.data() + last * cs, cs);
        flat_keys[pos] = flat_keys[last];
        where[flat_keys[pos]] = pos;
      }
      codes.resize(last * cs);
      flat->ntotal = static_cast<idx_t>(last);
      flat_keys.pop_back();
    }
    where.erase(key);
    return true;
  }

  std::vector<float> normalized_query(std::span<const float> q) const {
    if (q.size() != d)
      throw error(errc::incompatible, "vector_index: query has " + std::to_string(q.size()) +
                                          " dimensions, index has " + std::to_string(d));
    std::vector<float> v(q.begin(), q.end());
    Eigen::Map<Eigen::VectorXf> x(v.data(), d);
    const float nr = x.norm();
    if (nr > 0.0f && std::isfinite(nr)) x /= nr;
    return v;
  }

  std::uint64_t key_of(idx_t label) const { return ivf ? to_key(label) : flat_keys[static_cast<std::size_t>(label)]; }
};

vector_index::vector_index(vector_index_options opts) {
  validate(opts);
  p_ = std::make_unique<impl>(opts);
}
vector_index::~vector_index() = default;
vector_index::vector_index(vector_index&&) noexcept = default;
vector_index& vector_index::operator=(vector_index&&) noexcept = default;

void vector_index::add(std::uint64_t key, std::span<const float> v) { add_batch({&key, 1}, v, 1); }

namespace {
// The checks add_batch() and restore() make before anything is added.
void check_new_rows(const std::unordered_map<std::uint64_t, std::uint64_t>& stored, std::uint32_t d,
                    std::span<const std::uint64_t> keys, std::span<const float> rows) {
  if (keys.size() == 1 && rows.size() != d)
    throw error(errc::incompatible, "vector_index: vector has " + std::to_string(rows.size()) +
                                        " dimensions, index has " + std::to_string(d));
  if (rows.size() != keys.size() * std::size_t{d})
    throw error(errc::invalid_argument, "vector_index::add_batch: " + std::to_string(rows.size()) +
                                            " floats for " + std::to_string(keys.size()) + " keys of dimension " +
                                            std::to_string(d));
  std::unordered_map<std::uint64_t, char> seen;
  if (keys.size() > 1) seen.reserve(keys.size());
  for (std::uint64_t k : keys) {
    if (k == reserved_key) throw error(errc::invalid_argument, "vector_index: key UINT64_MAX is reserved");
    if (stored.count(k) || (keys.size() > 1 && !seen.emplace(k, 0).second))
      throw error(errc::duplicate_id, "vector_index: key " + std::to_string(k) + " is already stored");
  }
  for (float f : rows)
    if (!std::isfinite(f)) throw error(errc::invalid_argument, "vector_index: vector has a non-finite component");
}
}  // namespace

void vector_index::add_batch(std::span<const std::uint64_t> keys, std::span<const float> rows, unsigned threads) {
  auto& p = *p_;
  if (keys.empty()) {
    if (!rows.empty()) throw error(errc::invalid_argument, "vector_index::add_batch: rows without keys");
    return;
  }
  check_new_rows(p.where, p.d, keys, rows);
  std::vector<float> x;
  p.normalize_rows(rows, x);
  const single_thread_faiss one;
  try {
    p.add_rows(keys.data(), x.data(), keys.size(), threads);
  } catch (const faiss::FaissException& e) {
    throw error(errc::internal, std::string("vector_index: FAISS failed: ") + e.what());
  }
}

bool vector_index::retrains_on_add(std::size_t more) const noexcept { return more > 0 && p_->retrains_with(more); }

vector_index_training vector_index::training() const {
  const auto& p = *p_;
  vector_index_training t;
  if (!p.ivf) return t;
  t.trained_at = p.trained_at;
  const float* c = p.quantizer->get_xb();
  t.centroids.assign(c, c + std::size_t{p.nlist} * p.d);
  if (const auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(p.ivf.get())) t.quantizer = sq->sq.trained;
  return t;
}

void vector_index::restore(const vector_index_training& t, std::span<const std::uint64_t> keys,
                           std::span<const float> rows, unsigned threads) {
  auto& p = *p_;
  auto bad = [](const std::string& m) { throw error(errc::invalid_argument, "vector_index::restore: " + m); };
  if (!p.where.empty()) bad("the index is not empty");
  if (t.centroids.empty()) {
    if (t.trained_at != 0 || !t.quantizer.empty()) bad("a flat training has no size or quantizer");
    add_batch(keys, rows, threads);
    return;
  }
  if (p.opts.kind == vector_index_kind::flat) bad("a flat index cannot take an IVF training");
  if (t.centroids.size() % p.d != 0 || t.centroids.size() / p.d > 65536)
    bad(std::to_string(t.centroids.size()) + " centroid values do not make rows of dimension " + std::to_string(p.d));
  if (t.trained_at == 0) bad("an IVF training needs the size it was trained at");
  // QT_8bit keeps a minimum and a range per dimension.
  if (p.opts.scalar_quantization != !t.quantizer.empty() ||
      (!t.quantizer.empty() && t.quantizer.size() != 2 * std::size_t{p.d}))
    bad("the scalar quantizer parameters do not fit the options");
  for (float f : t.centroids)
    if (!std::isfinite(f)) bad("non-finite centroid");
  for (float f : t.quantizer)
    if (!std::isfinite(f)) bad("non-finite quantizer parameter");
  check_new_rows(p.where, p.d, keys, rows);
  std::vector<float> x;
  p.normalize_rows(rows, x);
  const single_thread_faiss one;
  try {
    auto parts = p.make_ivf(t, nullptr, 0);
    if (!keys.empty()) p.add_ivf_rows(*parts.index, *parts.quantizer, x.data(), keys.data(), keys.size(), threads);
    p.install(std::move(parts));
    p.flat.reset(new faiss::IndexFlatIP(p.d));
    p.flat_keys.clear();
  } catch (const faiss::FaissException& e) {
    throw error(errc::internal, std::string("vector_index: FAISS failed: ") + e.what());
  }
  for (std::uint64_t k : keys) p.where.emplace(k, 0);
}

bool vector_index::remove(std::uint64_t key) {
  const single_thread_faiss one;
  return p_->remove_one(key);
}

std::size_t vector_index::remove_batch(std::span<const std::uint64_t> keys) {
  auto& p = *p_;
  if (!p.ivf) {
    std::size_t n = 0;
    for (auto k : keys) n += p.remove_one(k);
    return n;
  }
  const single_thread_faiss one;
  std::vector<idx_t> ids;
  for (auto k : keys)
    if (p.where.erase(k)) ids.push_back(to_id(k));
  if (!ids.empty()) {
    faiss::IDSelectorArray sel(ids.size(), ids.data());
    p.ivf->remove_ids(sel);
  }
  return ids.size();
}

bool vector_index::contains(std::uint64_t key) const noexcept { return p_->where.count(key) != 0; }

std::vector<vector_match> vector_index::range_search(std::span<const float> q, float min_cosine) const {
  const auto& p = *p_;
  const std::vector<float> v = p.normalized_query(q);
  std::vector<vector_match> out;
  if (p.where.empty()) return out;
  // FAISS keeps inner products strictly above the radius; go a hair lower and filter exactly.
  const float radius = std::nextafter(min_cosine, -std::numeric_limits<float>::infinity());
  faiss::RangeSearchResult res(1);
  const single_thread_faiss one;
  try {
    if (p.ivf)
      p.ivf->range_search(1, v.data(), radius, &res);
    else
      p.flat->range_search(1, v.data(), radius, &res);
  } catch (const faiss::FaissException& e) {
    throw error(errc::internal, std::string("vector_index: FAISS range search failed: ") + e.what());
  }
  for (std::size_t i = res.lims[0]; i < res.lims[1]; ++i)
    if (res.distances[i] >= min_cosine) out.push_back({p.key_of(res.labels[i]), res.distances[i]});
  sort_matches(out);
  return out;
}

std::vector<vector_match> vector_index::search(std::span<const float> q, std::size_t k) const {
  p_->normalized_query(q);  // dimension check with search()'s message
  return std::move(search_batch(q, k, 1)[0]);
}

namespace {

// Keeps the k best (score, label) pairs. The order is total (cosine descending, then label
// ascending), so the k best of a set are the same whatever order it is pushed in: partial
// results of several threads merge to exactly the single-thread result.
struct top_k {
  std::size_t k;
  std::vector<std::pair<float, idx_t>> heap;  // min-heap on (score, -label)
  static bool worse(const std::pair<float, idx_t>& a, const std::pair<float, idx_t>& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  }
  void push(float s, idx_t label) {
    if (heap.size() < k) {
      heap.emplace_back(s, label);
      std::push_heap(heap.begin(), heap.end(), worse);
    } else if (s > heap.front().first || (s == heap.front().first && label < heap.front().second)) {
      std::pop_heap(heap.begin(), heap.end(), worse);
      heap.back() = {s, label};
      std::push_heap(heap.begin(), heap.end(), worse);
    }
  }
};

constexpr std::size_t query_group = 16;   // queries scored together against centroids / flat rows
constexpr std::size_t row_block = 512;    // stored rows scored per kernel call

}  // namespace

std::vector<std::vector<vector_match>> vector_index::search_batch(std::span<const float> queries, std::size_t k,
                                                                  unsigned threads) const {
  const auto& p = *p_;
  if (queries.size() % p.d != 0)
    throw error(errc::incompatible, "vector_index::search_batch: " + std::to_string(queries.size()) +
                                        " floats is not a whole number of " + std::to_string(p.d) + "-d queries");
  const std::size_t d = p.d;
  const std::size_t nq = queries.size() / d;
  std::vector<std::vector<vector_match>> out(nq);
  k = std::min(k, p.where.size());
  if (k == 0 || nq == 0) return out;
  std::vector<float> qn;
  p.normalize_rows(queries, qn);
  const auto& kern = detail::kernels();
  const std::size_t groups = (nq + query_group - 1) / query_group;
  auto finish = [&](std::size_t q, const top_k& best) {
    auto& o = out[q];
    o.reserve(best.heap.size());
    for (const auto& [score, label] : best.heap) o.push_back({p.key_of(label), score});
    sort_matches(o);
  };

  if (!p.ivf) {
    // Flat: every query against every stored row, a group of queries per kernel call.
    const float* xb = p.flat->get_xb();
    const auto n = static_cast<std::size_t>(p.flat->ntotal);
    detail::parallel_for(groups, std::max(1u, threads), [&](std::size_t g) {
      const std::size_t g0 = g * query_group, gn = std::min(query_group, nq - g0);
      std::vector<top_k> best(gn, top_k{k, {}});
      std::vector<float> scores(gn * row_block);
      for (std::size_t s0 = 0; s0 < n; s0 += row_block) {
        const std::size_t sn = std::min(row_block, n - s0);
        kern.block(qn.data() + g0 * d, gn, d, xb + s0 * d, sn, d, d, scores.data(), sn);
        for (std::size_t q = 0; q < gn; ++q)
          for (std::size_t j = 0; j < sn; ++j) best[q].push(scores[q * sn + j], static_cast<idx_t>(s0 + j));
      }
      for (std::size_t q = 0; q < gn; ++q) finish(g0 + q, best[q]);
    });
    return out;
  }

  // IVF, step 1: the nprobe cells of every query, by its inner products with all centroids.
  const auto nl = static_cast<std::size_t>(p.quantizer->ntotal);
  const std::size_t nprobe = std::min<std::size_t>(p.ivf->nprobe, nl);
  std::vector<idx_t> assign(nq * nprobe);
  std::vector<float> cell_dis(nq * nprobe);
  detail::parallel_for(groups, std::max(1u, threads), [&](std::size_t g) {
    const std::size_t g0 = g * query_group, gn = std::min(query_group, nq - g0);
    std::vector<float> scores(gn * nl);
    kern.block(qn.data() + g0 * d, gn, d, p.quantizer->get_xb(), nl, d, d, scores.data(), nl);
    for (std::size_t q = 0; q < gn; ++q) {
      top_k cells{nprobe, {}};
      for (std::size_t c = 0; c < nl; ++c) cells.push(scores[q * nl + c], static_cast<idx_t>(c));
      std::sort(cells.heap.begin(), cells.heap.end(), top_k::worse);
      for (std::size_t r = 0; r < nprobe; ++r) {
        assign[(g0 + q) * nprobe + r] = r < cells.heap.size() ? cells.heap[r].second : -1;
        cell_dis[(g0 + q) * nprobe + r] = r < cells.heap.size() ? cells.heap[r].first : 0.0f;
      }
    }
  });

  if (p.opts.scalar_quantization) {
    // SQ8 codes: FAISS's scanner decodes them; one FAISS call per query group.
    detail::parallel_for(groups, std::max(1u, threads), [&](std::size_t g) {
      const std::size_t g0 = g * query_group, gn = std::min(query_group, nq - g0);
      std::vector<float> dist(gn * k);
      std::vector<idx_t> lab(gn * k);
      const single_thread_faiss one;
      try {
        p.ivf->search_preassigned(static_cast<idx_t>(gn), qn.data() + g0 * d, static_cast<idx_t>(k),
                                  assign.data() + g0 * nprobe, cell_dis.data() + g0 * nprobe, dist.data(),
                                  lab.data(), false);
      } catch (const faiss::FaissException& e) {
        throw error(errc::internal, std::string("vector_index: FAISS search failed: ") + e.what());
      }
      for (std::size_t q = 0; q < gn; ++q) {
        top_k best{k, {}};
        for (std::size_t i = 0; i < k; ++i)
          if (lab[q * k + i] != -1) best.push(dist[q * k + i], lab[q * k + i]);
        finish(g0 + q, best);
      }
    });
    return out;
  }

  // Step 2 (IVF-Flat): invert the assignment, so each probed cell is read once for all the
  // queries of the batch that probe it; a cell's rows are scored against those queries with one
  // blocked kernel call per row block. Threads take whole cells and keep their own top-k per
  // query; the partial results merge exactly (top_k's order is total).
  std::vector<std::size_t> first(nl + 1, 0);
  for (idx_t c : assign)
    if (c >= 0) ++first[static_cast<std::size_t>(c) + 1];
  for (std::size_t c = 0; c < nl; ++c) first[c + 1] += first[c];
  std::vector<std::uint32_t> probing(first[nl]);
  {
    std::vector<std::size_t> fill(first.begin(), first.end() - 1);
    for (std::size_t q = 0; q < nq; ++q)
      for (std::size_t r = 0; r < nprobe; ++r)
        if (const idx_t c = assign[q * nprobe + r]; c >= 0) probing[fill[static_cast<std::size_t>(c)]++] = static_cast<std::uint32_t>(q);
  }
  const unsigned workers = std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(std::min<std::size_t>(nl, 64))));
  std::vector<std::vector<top_k>> partial(workers);
  std::atomic<std::size_t> next_cell{0};
  const auto* lists = p.ivf->invlists;
  detail::parallel_for(workers, workers, [&](std::size_t w) {
    auto& best = partial[w];
    best.assign(nq, top_k{k, {}});
    std::vector<float> qbuf, scores;
    for (std::size_t c = next_cell++; c < nl; c = next_cell++) {
      const std::size_t m = first[c + 1] - first[c];
      const std::size_t ls = m ? lists->list_size(c) : 0;
      if (ls == 0) continue;
      const std::uint32_t* who = probing.data() + first[c];
      qbuf.resize(m * d);
      for (std::size_t i = 0; i < m; ++i) std::memcpy(qbuf.data() + i * d, qn.data() + std::size_t{who[i]} * d, d * sizeof(float));
      faiss::InvertedLists::ScopedCodes codes(lists, c);
      faiss::InvertedLists::ScopedIds ids(lists, c);
      const auto* rows = reinterpret_cast<const float*>(codes.get());
      for (std::size_t r0 = 0; r0 < ls; r0 += row_block) {
        const std::size_t rn = std::min(row_block, ls - r0);
        scores.resize(m * rn);
        kern.block(qbuf.data(), m, d, rows + r0 * d, rn, d, d, scores.data(), rn);
        for (std::size_t i = 0; i < m; ++i) {
          top_k& b = best[who[i]];
          const float* s = scores.data() + i * rn;
          for (std::size_t j = 0; j < rn; ++j) b.push(s[j], ids[r0 + j]);
        }
      }
    }
  });
  for (std::size_t q = 0; q < nq; ++q) {
    top_k& b = partial[0][q];
    for (unsigned w = 1; w < workers; ++w)
      for (const auto& [score, label] : partial[w][q].heap) b.push(score, label);
    finish(q, b);
  }
  return out;
}

std::size_t vector_index::size() const noexcept { return p_->where.size(); }
std::uint32_t vector_index::dimension() const noexcept { return p_->d; }
vector_index_kind vector_index::active_kind() const noexcept {
  return p_->ivf ? vector_index_kind::ivf : vector_index_kind::flat;
}
std::uint32_t vector_index::active_nlist() const noexcept { return p_->ivf ? p_->nlist : 0; }
const vector_index_options& vector_index::options() const noexcept { return p_->opts; }
void vector_index::set_nprobe(std::uint32_t nprobe) {
  if (nprobe == 0) throw error(errc::invalid_argument, "vector_index::set_nprobe: nprobe must be >= 1");
  p_->opts.nprobe = nprobe;
  if (p_->ivf) p_->ivf->nprobe = std::min<std::size_t>(nprobe, p_->nlist);
}
std::size_t vector_index::memory_bytes() const noexcept {
  const auto& p = *p_;
  std::size_t b = p.where.size() * 32;
  if (p.ivf) {
    const std::size_t code = p.opts.scalar_quantization ? p.d : p.d * sizeof(float);
    b += p.where.size() * (code + sizeof(idx_t) + 16) + std::size_t{p.nlist} * p.d * sizeof(float);
  } else {
    b += p.flat->codes.size() + p.flat_keys.size() * sizeof(std::uint64_t);
  }
  return b;
}

}  // namespace retold
