// FAISS-backed vector index (see include/retold/vector_index.hpp).
//
// FAISS holds the vectors (IndexFlatIP, IndexIVFFlat, IndexIVFScalarQuantizer) and does range
// search and removal; the hot paths do not go through its distance code. Debian's FAISS 1.7.3 is
// a generic build (scalar reference inner product, reference BLAS behind sgemm), which dominated
// every profile. So IVF training (our spherical k-means), cell assignment at add time, flat scans
// and IVF-Flat list scans all use index/dot_kernels (AVX-512 / AVX2 / generic, picked at run
// time); FAISS only scans SQ8 codes.
//
// Over caller rows (vector_index(options, source)) no vector is stored here: the flat structure
// is a key list, the IVF its centroids (a FAISS IndexFlatIP) and a key list per cell, and every
// scan gathers the rows it needs from the source into a small buffer before the same kernels
// score them. The deduplicator keeps its vectors once that way; vector_index_builder trains and
// fills the next such index on its own thread from a snapshot of keys.
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
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

vector_row_source::~vector_row_source() = default;

struct vector_index::impl {
  vector_index_options opts;
  std::uint32_t d;
  // Exactly one of these holds the vectors (none of them over caller rows).
  std::unique_ptr<faiss::IndexFlatIP> flat;  // rows addressed by position (null over caller rows)
  std::vector<std::uint64_t> flat_keys;      // position -> key
  std::unique_ptr<faiss::IndexFlatIP> quantizer;
  std::unique_ptr<faiss::IndexIVF> ivf;      // ids are the keys themselves (null over caller rows)
  std::size_t trained_at = 0;
  std::uint32_t nlist = 0;
  // key -> flat position (while flat); key -> 0 (while IVF: membership only); over caller rows
  // under IVF: key -> its cell.
  std::unordered_map<std::uint64_t, std::uint64_t> where;
  // Over caller rows: where the vectors are, and under IVF the keys of each cell.
  const vector_row_source* source = nullptr;
  std::vector<std::vector<std::uint64_t>> lists;

  explicit impl(const vector_index_options& o) : opts(o), d(o.dimension), flat(new faiss::IndexFlatIP(o.dimension)) {}
  impl(const vector_index_options& o, const vector_row_source& src) : opts(o), d(o.dimension), source(&src) {}

  bool ext() const noexcept { return source != nullptr; }
  bool is_ivf() const noexcept { return ext() ? quantizer != nullptr : ivf != nullptr; }

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
    return after >= next_training_at();
  }
  std::size_t next_training_at() const noexcept {
    if (!is_ivf()) return ivf_trigger();
    return opts.nlist == 0 && trained_at <= std::numeric_limits<std::size_t>::max() / 4
               ? 4 * trained_at
               : std::numeric_limits<std::size_t>::max();
  }

  // ---- over caller rows
  const float* row(std::uint64_t key) const noexcept { return source->row(key); }

  // The cell of each of the n rows of `keys`: the first centroid of highest inner product with
  // the row normalized exactly as search_batch() normalizes a query, so a row's cell is the first
  // cell it probes as a query (search_batch can report it, and add_stored then skips this).
  std::vector<std::uint32_t> assign_ext(const std::uint64_t* keys, std::size_t n, unsigned threads) const {
    const auto nl = static_cast<std::size_t>(quantizer->ntotal);
    const auto& kern = detail::kernels();
    constexpr std::size_t block = 64;
    std::vector<std::uint32_t> cells(n);
    detail::parallel_for((n + block - 1) / block, std::max(1u, threads), [&](std::size_t bi) {
      const std::size_t i0 = bi * block, b = std::min(block, n - i0);
      std::vector<float> x(b * d), scores(b * nl);
      for (std::size_t r = 0; r < b; ++r) std::memcpy(x.data() + r * d, row(keys[i0 + r]), sizeof(float) * d);
      std::vector<float> xn;
      normalize_rows(x, xn);
      kern.block(xn.data(), b, d, quantizer->get_xb(), nl, d, d, scores.data(), nl);
      for (std::size_t r = 0; r < b; ++r) {
        const float* sc = scores.data() + r * nl;
        cells[i0 + r] = static_cast<std::uint32_t>(std::max_element(sc, sc + nl) - sc);
      }
    });
    return cells;
  }

  void push_ext(const std::uint64_t* keys, std::size_t n, unsigned threads, const std::uint32_t* known = nullptr) {
    if (quantizer) {
      const auto cells = known ? std::vector<std::uint32_t>(known, known + n) : assign_ext(keys, n, threads);
      for (std::size_t i = 0; i < n; ++i) {
        lists[cells[i]].push_back(keys[i]);
        where.emplace(keys[i], cells[i]);
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        where.emplace(keys[i], flat_keys.size());
        flat_keys.push_back(keys[i]);
      }
    }
  }

  // Replaces everything by an IVF under `t` holding `keys`.
  void install_ext(const vector_index_training& t, std::vector<std::uint64_t> keys, unsigned threads) {
    const auto nl = static_cast<std::uint32_t>(t.centroids.size() / d);
    auto q = std::make_unique<faiss::IndexFlatIP>(d);
    q->add(nl, t.centroids.data());
    std::unordered_map<std::uint64_t, std::uint64_t> w;
    std::vector<std::vector<std::uint64_t>> l(nl);
    std::swap(quantizer, q);
    try {
      const auto cells = assign_ext(keys.data(), keys.size(), threads);
      w.reserve(keys.size());
      for (std::size_t i = 0; i < keys.size(); ++i) {
        l[cells[i]].push_back(keys[i]);
        w.emplace(keys[i], cells[i]);
      }
    } catch (...) {
      std::swap(quantizer, q);  // as it was
      throw;
    }
    lists.swap(l);
    where.swap(w);
    nlist = nl;
    trained_at = static_cast<std::size_t>(t.trained_at);
    flat_keys.clear();
    flat_keys.shrink_to_fit();
  }

  static vector_index_training train_ext(const vector_index_options& o, const vector_row_source& src,
                                         std::vector<std::uint64_t> keys, std::size_t at, unsigned threads) {
    std::sort(keys.begin(), keys.end());  // key order: a training depends on what is stored only
    const std::size_t n = keys.size();
    const auto nl = static_cast<std::uint32_t>(std::clamp<std::size_t>(o.nlist ? o.nlist : auto_nlist(at), 1, n));
    vector_index_training t;
    t.trained_at = at;
    t.centroids = detail::spherical_kmeans([&](std::size_t i) { return src.row(keys[i]); }, n, o.dimension, nl,
                                           o.seed, threads);
    return t;
  }

  void add_ext(const std::uint64_t* keys, std::size_t m, unsigned threads, const std::uint32_t* known = nullptr) {
    if (retrains_with(m)) {
      std::vector<std::uint64_t> all;
      all.reserve(where.size() + m);
      for (const auto& [k, v] : where) all.push_back(k);
      all.insert(all.end(), keys, keys + m);
      std::sort(all.begin(), all.end());
      const auto t = train_ext(opts, *source, all, all.size(), threads);
      install_ext(t, std::move(all), threads);
    } else {
      push_ext(keys, m, threads, known);
    }
  }

  bool remove_ext(std::uint64_t key) {
    auto it = where.find(key);
    if (it == where.end()) return false;
    auto& l = quantizer ? lists[it->second] : flat_keys;
    if (quantizer) {
      auto at = std::find(l.begin(), l.end(), key);
      *at = l.back();
      l.pop_back();
    } else {
      const std::size_t pos = it->second;
      if (pos + 1 != l.size()) {
        l[pos] = l.back();
        where[l[pos]] = pos;
      }
      l.pop_back();
    }
    where.erase(key);
    return true;
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

  std::uint64_t key_of(idx_t label) const {
    return is_ivf() ? to_key(label) : flat_keys[static_cast<std::size_t>(label)];
  }
};

vector_index::vector_index(vector_index_options opts) {
  validate(opts);
  p_ = std::make_unique<impl>(opts);
}
vector_index::vector_index(vector_index_options opts, const vector_row_source& source) {
  validate(opts);
  if (opts.scalar_quantization)
    throw error(errc::invalid_argument,
                "vector_index_options: scalar_quantization stores codes of its own, an index over caller rows stores none");
  p_ = std::make_unique<impl>(opts, source);
}
vector_index::~vector_index() = default;
vector_index::vector_index(vector_index&&) noexcept = default;
vector_index& vector_index::operator=(vector_index&&) noexcept = default;

void vector_index::add(std::uint64_t key, std::span<const float> v) { add_batch({&key, 1}, v, 1); }

namespace {
void refuse_caller_rows(bool ext, const char* what) {
  if (ext)
    throw error(errc::invalid_argument, std::string("vector_index::") + what +
                                            ": this index reads its rows from a vector_row_source (use add_stored)");
}
// add_stored's checks: keys as check_new_rows, rows from the source finite.
void check_new_keys(const std::unordered_map<std::uint64_t, std::uint64_t>& stored, std::uint32_t d,
                    const vector_row_source& src, std::span<const std::uint64_t> keys) {
  std::unordered_map<std::uint64_t, char> seen;
  if (keys.size() > 1) seen.reserve(keys.size());
  for (std::uint64_t k : keys) {
    if (k == reserved_key) throw error(errc::invalid_argument, "vector_index: key UINT64_MAX is reserved");
    if (stored.count(k) || (keys.size() > 1 && !seen.emplace(k, 0).second))
      throw error(errc::duplicate_id, "vector_index: key " + std::to_string(k) + " is already stored");
    const float* r = src.row(k);
    if (r == nullptr) throw error(errc::invalid_argument, "vector_index: the source has no row for key " + std::to_string(k));
    for (std::uint32_t i = 0; i < d; ++i)
      if (!std::isfinite(r[i]))
        throw error(errc::invalid_argument, "vector_index: the row of key " + std::to_string(k) + " has a non-finite component");
  }
}
}  // namespace

void vector_index::add_stored(std::span<const std::uint64_t> keys, unsigned threads) {
  auto& p = *p_;
  if (!p.ext()) throw error(errc::invalid_argument, "vector_index::add_stored: this index stores its own rows (use add_batch)");
  if (keys.empty()) return;
  check_new_keys(p.where, p.d, *p.source, keys);
  const single_thread_faiss one;
  p.add_ext(keys.data(), keys.size(), threads);
}

void vector_index::add_stored(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> cells, unsigned threads) {
  auto& p = *p_;
  if (!p.ext()) throw error(errc::invalid_argument, "vector_index::add_stored: this index stores its own rows (use add_batch)");
  if (keys.empty()) return;
  if (cells.size() != keys.size())
    throw error(errc::invalid_argument, "vector_index::add_stored: " + std::to_string(cells.size()) + " cells for " +
                                            std::to_string(keys.size()) + " keys");
  for (std::uint32_t c : cells)
    if (p.quantizer && c >= p.nlist)
      throw error(errc::invalid_argument, "vector_index::add_stored: cell " + std::to_string(c) + " of " + std::to_string(p.nlist));
  check_new_keys(p.where, p.d, *p.source, keys);
  const single_thread_faiss one;
  p.add_ext(keys.data(), keys.size(), threads, p.quantizer ? cells.data() : nullptr);
}

bool vector_index::reads_caller_rows() const noexcept { return p_->ext(); }
std::size_t vector_index::next_training_at() const noexcept { return p_->next_training_at(); }

vector_index_training vector_index::train(const vector_index_options& opts, const vector_row_source& source,
                                          std::span<const std::uint64_t> keys, std::size_t at, unsigned threads) {
  validate(opts);
  auto bad = [](const std::string& m) { throw error(errc::invalid_argument, "vector_index::train: " + m); };
  if (opts.kind == vector_index_kind::flat) bad("a flat index has no training");
  if (opts.scalar_quantization) bad("scalar_quantization is not trained over caller rows");
  if (keys.empty()) bad("no keys");
  if (at < keys.size()) bad("size " + std::to_string(at) + " is below the " + std::to_string(keys.size()) + " keys given");
  check_new_keys({}, opts.dimension, source, keys);
  return impl::train_ext(opts, source, std::vector<std::uint64_t>(keys.begin(), keys.end()), at, threads);
}

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
  refuse_caller_rows(p.ext(), "add_batch");
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
  if (!p.is_ivf()) return t;
  t.trained_at = p.trained_at;
  const float* c = p.quantizer->get_xb();
  t.centroids.assign(c, c + std::size_t{p.nlist} * p.d);
  if (p.ivf)
    if (const auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(p.ivf.get())) t.quantizer = sq->sq.trained;
  return t;
}

void vector_index::restore(const vector_index_training& t, std::span<const std::uint64_t> keys,
                           std::span<const float> rows, unsigned threads) {
  auto& p = *p_;
  auto bad = [](const std::string& m) { throw error(errc::invalid_argument, "vector_index::restore: " + m); };
  if (!p.where.empty()) bad("the index is not empty");
  if (p.ext() && !rows.empty()) bad("an index over caller rows takes no rows");
  if (t.centroids.empty()) {
    if (t.trained_at != 0 || !t.quantizer.empty()) bad("a flat training has no size or quantizer");
    if (p.ext()) add_stored(keys, threads);
    else add_batch(keys, rows, threads);
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
  if (p.ext()) {
    check_new_keys(p.where, p.d, *p.source, keys);
    const single_thread_faiss one;
    p.install_ext(t, std::vector<std::uint64_t>(keys.begin(), keys.end()), threads);
    return;
  }
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
  if (p_->ext()) return p_->remove_ext(key);
  const single_thread_faiss one;
  return p_->remove_one(key);
}

std::size_t vector_index::remove_batch(std::span<const std::uint64_t> keys) {
  auto& p = *p_;
  if (p.ext()) {
    std::size_t n = 0;
    for (auto k : keys) n += p.remove_ext(k);
    return n;
  }
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
  if (p.ext()) {
    // Over caller rows: the probed cells (all rows while flat), scored exactly.
    const auto& kern = detail::kernels();
    auto consider = [&](std::uint64_t key) {
      const float c = kern.dot(v.data(), p.row(key), p.d);
      if (c >= min_cosine) out.push_back({key, c});
    };
    if (!p.quantizer) {
      for (std::uint64_t key : p.flat_keys) consider(key);
    } else {
      const auto nl = static_cast<std::size_t>(p.quantizer->ntotal);
      std::vector<float> scores(nl);
      kern.block(v.data(), 1, p.d, p.quantizer->get_xb(), nl, p.d, p.d, scores.data(), nl);
      std::vector<std::uint32_t> cells(nl);
      for (std::size_t c = 0; c < nl; ++c) cells[c] = static_cast<std::uint32_t>(c);
      const std::size_t np = std::min<std::size_t>(p.opts.nprobe, nl);
      std::partial_sort(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(np), cells.end(),
                        [&](std::uint32_t a, std::uint32_t b) { return scores[a] != scores[b] ? scores[a] > scores[b] : a < b; });
      for (std::size_t r = 0; r < np; ++r)
        for (std::uint64_t key : p.lists[cells[r]]) consider(key);
    }
    sort_matches(out);
    return out;
  }
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
  return search_batch(queries, k, threads, nullptr);
}

std::vector<std::vector<vector_match>> vector_index::search_batch(std::span<const float> queries, std::size_t k,
                                                                  unsigned threads, std::vector<std::uint32_t>& cells) const {
  return search_batch(queries, k, threads, &cells);
}

std::vector<std::vector<vector_match>> vector_index::search_batch(std::span<const float> queries, std::size_t k,
                                                                  unsigned threads, std::vector<std::uint32_t>* cells_out) const {
  const auto& p = *p_;
  if (cells_out) cells_out->clear();
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

  if (!p.is_ivf()) {
    // Flat: every query against every stored row, a group of queries per kernel call.
    const float* xb = p.ext() ? nullptr : p.flat->get_xb();
    const auto n = p.ext() ? p.flat_keys.size() : static_cast<std::size_t>(p.flat->ntotal);
    detail::parallel_for(groups, std::max(1u, threads), [&](std::size_t g) {
      const std::size_t g0 = g * query_group, gn = std::min(query_group, nq - g0);
      std::vector<top_k> best(gn, top_k{k, {}});
      std::vector<float> scores(gn * row_block), gathered(p.ext() ? row_block * d : 0);
      for (std::size_t s0 = 0; s0 < n; s0 += row_block) {
        const std::size_t sn = std::min(row_block, n - s0);
        const float* block_rows = xb ? xb + s0 * d : gathered.data();
        if (!xb && gn <= 2) {  // in place, as for IVF cells above
          for (std::size_t j = 0; j < sn; ++j)
            for (std::size_t q = 0; q < gn; ++q)
              scores[q * sn + j] = kern.dot(qn.data() + (g0 + q) * d, p.row(p.flat_keys[s0 + j]), d);
        } else {
          if (!xb)
            for (std::size_t j = 0; j < sn; ++j)
              std::memcpy(gathered.data() + j * d, p.row(p.flat_keys[s0 + j]), sizeof(float) * d);
          kern.block(qn.data() + g0 * d, gn, d, block_rows, sn, d, d, scores.data(), sn);
        }
        for (std::size_t q = 0; q < gn; ++q)
          for (std::size_t j = 0; j < sn; ++j) best[q].push(scores[q * sn + j], static_cast<idx_t>(s0 + j));
      }
      for (std::size_t q = 0; q < gn; ++q) finish(g0 + q, best[q]);
    });
    return out;
  }

  // IVF, step 1: the nprobe cells of every query, by its inner products with all centroids.
  const auto nl = static_cast<std::size_t>(p.quantizer->ntotal);
  const std::size_t nprobe = std::min<std::size_t>(p.ext() ? p.opts.nprobe : p.ivf->nprobe, nl);
  std::vector<idx_t> assign(nq * nprobe);
  std::vector<float> cell_dis(nq * nprobe);
  if (cells_out) cells_out->assign(nq, 0);
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
      if (cells_out && !cells.heap.empty()) (*cells_out)[g0 + q] = static_cast<std::uint32_t>(cells.heap[0].second);
    }
  });

  if (!p.ext() && p.opts.scalar_quantization) {
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
  const auto* lists = p.ext() ? nullptr : p.ivf->invlists;
  detail::parallel_for(workers, workers, [&](std::size_t w) {
    auto& best = partial[w];
    best.assign(nq, top_k{k, {}});
    std::vector<float> qbuf, scores, gathered;
    for (std::size_t c = next_cell++; c < nl; c = next_cell++) {
      const std::size_t m = first[c + 1] - first[c];
      const std::size_t ls = m ? (lists ? lists->list_size(c) : p.lists[c].size()) : 0;
      if (ls == 0) continue;
      const std::uint32_t* who = probing.data() + first[c];
      qbuf.resize(m * d);
      for (std::size_t i = 0; i < m; ++i) std::memcpy(qbuf.data() + i * d, qn.data() + std::size_t{who[i]} * d, d * sizeof(float));
      if (!lists) {
        // Over caller rows: the cell's rows gathered a block at a time, or, for one or two
        // queries (online adds and queries), scored in place: the copy would cost as much as the
        // dot products. dot() equals the block kernel's entries bit for bit.
        const std::vector<std::uint64_t>& keys = p.lists[c];
        if (m <= 2) {
          constexpr std::size_t ahead = 4;  // rows prefetched ahead: they are scattered
          auto prefetch = [&](std::size_t j) {
            const char* r = reinterpret_cast<const char*>(p.row(keys[j]));
            for (std::size_t b = 0; b < d * sizeof(float); b += 64) __builtin_prefetch(r + b);
          };
          for (std::size_t j = 0; j < std::min(ahead, ls); ++j) prefetch(j);
          for (std::size_t j = 0; j < ls; ++j) {
            if (j + ahead < ls) prefetch(j + ahead);
            const float* r = p.row(keys[j]);
            for (std::size_t i = 0; i < m; ++i) best[who[i]].push(kern.dot(qbuf.data() + i * d, r, d), to_id(keys[j]));
          }
          continue;
        }
        gathered.resize(std::min(ls, row_block) * d);
        for (std::size_t r0 = 0; r0 < ls; r0 += row_block) {
          const std::size_t rn = std::min(row_block, ls - r0);
          for (std::size_t j = 0; j < rn; ++j) std::memcpy(gathered.data() + j * d, p.row(keys[r0 + j]), sizeof(float) * d);
          scores.resize(m * rn);
          kern.block(qbuf.data(), m, d, gathered.data(), rn, d, d, scores.data(), rn);
          for (std::size_t i = 0; i < m; ++i) {
            top_k& b = best[who[i]];
            const float* sc = scores.data() + i * rn;
            for (std::size_t j = 0; j < rn; ++j) b.push(sc[j], to_id(keys[r0 + j]));
          }
        }
        continue;
      }
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
  return p_->is_ivf() ? vector_index_kind::ivf : vector_index_kind::flat;
}
std::uint32_t vector_index::active_nlist() const noexcept { return p_->is_ivf() ? p_->nlist : 0; }
const vector_index_options& vector_index::options() const noexcept { return p_->opts; }
void vector_index::set_nprobe(std::uint32_t nprobe) {
  if (nprobe == 0) throw error(errc::invalid_argument, "vector_index::set_nprobe: nprobe must be >= 1");
  p_->opts.nprobe = nprobe;
  if (p_->ivf) p_->ivf->nprobe = std::min<std::size_t>(nprobe, p_->nlist);
}
std::size_t vector_index::memory_bytes() const noexcept {
  const auto& p = *p_;
  std::size_t b = p.where.size() * 32;
  if (p.ext()) {
    b += p.where.size() * sizeof(std::uint64_t) + p.lists.size() * sizeof(p.lists[0]) +
         (p.quantizer ? std::size_t{p.nlist} * p.d * sizeof(float) : 0);
  } else if (p.ivf) {
    const std::size_t code = p.opts.scalar_quantization ? p.d : p.d * sizeof(float);
    b += p.where.size() * (code + sizeof(idx_t) + 16) + std::size_t{p.nlist} * p.d * sizeof(float);
  } else {
    b += p.flat->codes.size() + p.flat_keys.size() * sizeof(std::uint64_t);
  }
  return b;
}

// ---- vector_index_builder

struct vector_index_builder::impl {
  vector_index_options opts;
  const vector_row_source* source;
  std::size_t at;
  std::optional<vector_index_training> known;
  std::vector<std::uint64_t> first_keys;

  struct op {
    bool add;
    std::vector<std::uint64_t> keys;
  };
  std::mutex m;
  std::condition_variable cv;  // the worker waits for work; the owner waits for `trained`/`done`
  std::deque<op> queue;        // guarded by m
  bool stop = false, finishing = false, trained = false, done = false, spent = false;  // guarded by m
  vector_index_training training;  // written once before `trained` is set
  std::exception_ptr failure;       // guarded by m
  std::optional<vector_index> index;
  std::thread worker;

  void run() {
    try {
      vector_index_training t = known ? std::move(*known) : vector_index::train(opts, *source, first_keys, at, 1);
      {
        const std::lock_guard g(m);
        training = std::move(t);
        trained = true;
      }
      cv.notify_all();
      vector_index idx(opts, *source);
      idx.restore(training, first_keys, {}, 1);
      first_keys = {};
      for (;;) {
        op next;
        {
          std::unique_lock g(m);
          cv.wait(g, [&] { return stop || finishing || !queue.empty(); });
          if (stop) return;
          if (queue.empty()) break;  // finishing, and everything applied
          next = std::move(queue.front());
          queue.pop_front();
        }
        if (next.add) idx.add_stored(next.keys, 1);
        else idx.remove_batch(next.keys);
      }
      index.emplace(std::move(idx));
    } catch (...) {
      const std::lock_guard g(m);
      failure = std::current_exception();
      trained = true;
    }
    {
      const std::lock_guard g(m);
      done = true;
    }
    cv.notify_all();
  }

  void check_usable() {
    const std::lock_guard g(m);
    if (spent) throw error(errc::invalid_argument, "vector_index_builder: finish() was called already");
  }
  [[noreturn]] void rethrow_failure() {
    try {
      std::rethrow_exception(failure);
    } catch (const error&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw error(errc::out_of_memory, "vector_index_builder: out of memory while building the next index");
    } catch (const std::exception& e) {
      throw error(errc::internal, std::string("vector_index_builder: ") + e.what());
    }
  }
};

vector_index_builder::vector_index_builder(const vector_index_options& opts, const vector_row_source& source,
                                           std::vector<std::uint64_t> keys, std::size_t at)
    : p_(std::make_unique<impl>()) {
  { vector_index probe(opts, source); }  // the constructor's checks, thrown here
  p_->opts = opts;
  p_->source = &source;
  p_->at = at;
  p_->first_keys = std::move(keys);
  p_->worker = std::thread([p = p_.get()] { p->run(); });
}

vector_index_builder::vector_index_builder(const vector_index_options& opts, const vector_row_source& source,
                                           vector_index_training training, std::vector<std::uint64_t> keys)
    : p_(std::make_unique<impl>()) {
  { vector_index probe(opts, source); }
  p_->opts = opts;
  p_->source = &source;
  p_->at = static_cast<std::size_t>(training.trained_at);
  p_->known = std::move(training);
  p_->first_keys = std::move(keys);
  p_->worker = std::thread([p = p_.get()] { p->run(); });
}

vector_index_builder::~vector_index_builder() {
  {
    const std::lock_guard g(p_->m);
    p_->stop = true;
  }
  p_->cv.notify_all();
  if (p_->worker.joinable()) p_->worker.join();
}

void vector_index_builder::add(std::vector<std::uint64_t> keys) {
  p_->check_usable();
  if (keys.empty()) return;
  {
    const std::lock_guard g(p_->m);
    p_->queue.push_back({true, std::move(keys)});
  }
  p_->cv.notify_all();
}

void vector_index_builder::remove(std::vector<std::uint64_t> keys) {
  p_->check_usable();
  if (keys.empty()) return;
  {
    const std::lock_guard g(p_->m);
    p_->queue.push_back({false, std::move(keys)});
  }
  p_->cv.notify_all();
}

const vector_index_training& vector_index_builder::training() const {
  std::unique_lock g(p_->m);
  p_->cv.wait(g, [&] { return p_->trained; });
  if (p_->failure) p_->rethrow_failure();
  return p_->training;
}

std::size_t vector_index_builder::trained_for() const noexcept { return p_->at; }

vector_index vector_index_builder::finish() {
  p_->check_usable();
  {
    std::unique_lock g(p_->m);
    p_->finishing = true;
    p_->cv.notify_all();
    p_->cv.wait(g, [&] { return p_->done; });
  }
  p_->worker.join();
  {
    const std::lock_guard g(p_->m);
    p_->spent = true;
  }
  if (p_->failure) p_->rethrow_failure();
  return std::move(*p_->index);
}

}  // namespace retold
