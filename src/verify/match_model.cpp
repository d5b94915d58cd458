// The evidence of a candidate pair and the learned match decision (verify.hpp).
#include <retold/verify.hpp>

#include "features/detail/hash_mix.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace retold {
namespace {

// Weighted overlap of two bottom-k samples of one part. A sample that holds fewer values than its
// cap is the whole set; otherwise it is exact only up to its largest value, so both samples are
// compared below the smaller of those bounds, where each is exactly its set's values.
struct overlap {
  double shared = 0, a = 0, b = 0;
};

template <class W>
overlap sample_overlap(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b, std::uint32_t cap, W&& weight) {
  constexpr std::uint32_t all = std::numeric_limits<std::uint32_t>::max();
  const std::uint32_t ta = (cap != 0 && a.size() >= cap) ? a.back() : all;
  const std::uint32_t tb = (cap != 0 && b.size() >= cap) ? b.back() : all;
  const std::uint32_t t = std::min(ta, tb);
  overlap o;
  std::size_t i = 0, j = 0;
  while (i < a.size() && a[i] <= t && j < b.size() && b[j] <= t) {
    if (a[i] == b[j]) {
      const double w = weight(a[i]);
      o.shared += w, o.a += w, o.b += w;
      ++i, ++j;
    } else if (a[i] < b[j]) {
      o.a += weight(a[i++]);
    } else {
      o.b += weight(b[j++]);
    }
  }
  for (; i < a.size() && a[i] <= t; ++i) o.a += weight(a[i]);
  for (; j < b.size() && b[j] <= t; ++j) o.b += weight(b[j]);
  return o;
}

double ratio(double num, double den) noexcept { return den > 0 ? std::clamp(num / den, 0.0, 1.0) : 0.0; }

double sigmoid(double x) noexcept { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

void cosine_calibration::observe(double c) noexcept {
  if (!std::isfinite(c)) return;
  count += 1;
  const double d = c - mean;
  mean += d / count;
  m2 += d * (c - mean);
}

double cosine_calibration::stddev() const noexcept { return count > 1 ? std::sqrt(std::max(m2, 0.0) / (count - 1)) : 0.0; }

double cosine_calibration::z(double c) const noexcept {
  if (count < min_count) return 0.0;
  const double sd = std::max(stddev(), 1e-3);
  return std::clamp((c - mean) / sd, -8.0, 24.0);
}

std::uint64_t cosine_calibration::partner(std::uint64_t index, unsigned k) noexcept {
  if (index == 0) return 0;
  return detail::fmix64(index * partners + k + 0x63616c6962ULL) % index;
}

const char* match_feature_name(match_feature f) noexcept {
  switch (f) {
    case match_feature::jaccard: return "jaccard";
    case match_feature::containment: return "containment";
    case match_feature::cosine: return "cosine";
    case match_feature::cosine_z: return "cosine_z";
    case match_feature::word_overlap: return "word_overlap";
    case match_feature::word_containment: return "word_containment";
    case match_feature::bigram_containment: return "bigram_containment";
    case match_feature::numbers_agree: return "numbers_agree";
    case match_feature::numbers_differ: return "numbers_differ";
    case match_feature::names_agree: return "names_agree";
    case match_feature::title_overlap: return "title_overlap";
    case match_feature::length_ratio: return "length_ratio";
    case match_feature::short_text: return "short_text";
    case match_feature::trigram_containment: return "trigram_containment";
    case match_feature::newer_word_containment: return "newer_word_containment";
    case match_feature::newer_bigram_containment: return "newer_bigram_containment";
    case match_feature::newer_trigram_containment: return "newer_trigram_containment";
  }
  return "unknown";
}

pair_evidence compute_evidence(const doc_sketch& a, const doc_sketch& b, const sketch_options& so, double jaccard,
                               double cosine, bool has_cosine, const cosine_calibration& calibration,
                               const tfidf_embedder* df) noexcept {
  pair_evidence e;
  auto set = [&](match_feature f, double v) { e.values[static_cast<std::size_t>(f)] = std::isfinite(v) ? v : 0.0; };
  const double j = std::clamp(jaccard, 0.0, 1.0);
  set(match_feature::jaccard, j);
  {
    // |A n B| = J (|A| + |B|) / (1 + J); containment of the smaller set.
    const double na = a.shingles, nb = b.shingles;
    const double small = std::min(na, nb);
    set(match_feature::containment, small > 0 ? std::min(1.0, j * (na + nb) / ((1.0 + j) * small)) : 0.0);
  }
  if (has_cosine) {
    const double c = std::clamp(cosine, -1.0, 1.0);
    set(match_feature::cosine, c);
    set(match_feature::cosine_z, calibration.z(c));
  }
  // Rarity from the embedder's frequencies: its word terms are the sketch hash in their top half.
  auto idf = [&](std::uint32_t h) -> double {
    return df ? static_cast<double>(df->idf(std::uint64_t{h} << 32)) : 1.0;
  };
  double common = 0.0;
  if (df) {
    const double n = static_cast<double>(df->documents_observed());
    common = std::log1p(n) - std::log1p(0.05 * n) + 1.0;
  }
  const bool a_shorter = a.words <= b.words;
  const doc_sketch& s = a_shorter ? a : b;  // the shorter text
  const doc_sketch& l = a_shorter ? b : a;

  // Each overlap is measured once, with a (the newer) first; the shorter text's share is the
  // newer's or the older's depending on which is shorter.
  {
    const auto o = sample_overlap(a.part(sketch_part::words), b.part(sketch_part::words), so.words, idf);
    set(match_feature::word_overlap, ratio(o.shared, o.a + o.b - o.shared));
    set(match_feature::word_containment, ratio(o.shared, a_shorter ? o.a : o.b));
    set(match_feature::newer_word_containment, ratio(o.shared, o.a));
  }
  const auto unit = [](std::uint32_t) { return 1.0; };
  {
    const auto o = sample_overlap(a.part(sketch_part::bigrams), b.part(sketch_part::bigrams), so.bigrams, unit);
    set(match_feature::bigram_containment, ratio(o.shared, a_shorter ? o.a : o.b));
    set(match_feature::newer_bigram_containment, ratio(o.shared, o.a));
  }
  {
    const auto o = sample_overlap(a.part(sketch_part::trigrams), b.part(sketch_part::trigrams), so.trigrams, unit);
    set(match_feature::trigram_containment, ratio(o.shared, a_shorter ? o.a : o.b));
    set(match_feature::newer_trigram_containment, ratio(o.shared, o.a));
  }
  {
    const auto o = sample_overlap(a.part(sketch_part::numbers), b.part(sketch_part::numbers), so.numbers,
                                  [](std::uint32_t) { return 1.0; });
    if (o.a > 0 && o.b > 0) {
      set(match_feature::numbers_agree, ratio(o.shared, std::min(o.a, o.b)));
      set(match_feature::numbers_differ, o.shared == 0 ? 1.0 : 0.0);
    }
  }
  {
    auto name_weight = [&](std::uint32_t h) { return df ? std::max(0.0, idf(h) - common) : 1.0; };
    const auto sa = s.part(sketch_part::names), la = l.part(sketch_part::names);
    const auto o = sample_overlap(sa, la, so.names, name_weight);
    if (o.a > 0 && o.b > 0) set(match_feature::names_agree, ratio(o.shared, std::min(o.a, o.b)));
  }
  {
    const auto o = sample_overlap(a.part(sketch_part::title), b.part(sketch_part::title), so.title_words,
                                  [](std::uint32_t) { return 1.0; });
    if (o.a > 0 && o.b > 0) set(match_feature::title_overlap, ratio(o.shared, o.a + o.b - o.shared));
  }
  {
    const double ws = std::max<double>(1.0, s.words), wl = std::max<double>(1.0, l.words);
    set(match_feature::length_ratio, std::log(std::min(ws, wl) / std::max(ws, wl)));
    set(match_feature::short_text, 1.0 / (1.0 + ws / 40.0));
  }
  return e;
}

namespace {
// Walks one tree for `e`, calling step(feature, value change) at each split taken; returns the
// leaf's value.
template <class F>
double walk(const match_model& m, std::uint32_t root, const pair_evidence& e, F&& step) noexcept {
  std::uint32_t n = root;
  for (std::size_t guard = 0; guard < m.nodes.size(); ++guard) {
    const auto& nd = m.nodes[n];
    if (nd.feature < 0 || static_cast<std::size_t>(nd.feature) >= match_feature_count) return nd.value;
    const std::uint32_t next = e.values[static_cast<std::size_t>(nd.feature)] < nd.threshold ? nd.left : nd.right;
    if (next >= m.nodes.size()) return nd.value;
    step(static_cast<std::size_t>(nd.feature), m.nodes[next].value - nd.value);
    n = next;
  }
  return m.nodes[n].value;
}
}  // namespace

namespace {
// The builtin model laid out for evaluation: each tree as a complete binary tree of depth
// `depth` (a leaf above the last level is copied into both halves below it), so a pair goes down
// with one comparison per level and no branch on the data: node i's children are 2i+1 and 2i+2.
// Sums the trees in the same order with the same leaf values as walk(), so a probability from it
// is bit-identical to the generic walk's.
struct compiled_trees {
  static constexpr int max_depth = 4;
  static constexpr int inner = (1 << max_depth) - 1;
  struct tree {
    std::uint8_t feature[inner];
    double threshold[inner];
    double leaf[1 << max_depth];
  };
  int depth = 0;
  std::vector<tree> trees;
  bool usable = false;

  explicit compiled_trees(const match_model& m) {
    const std::size_t nn = m.nodes.size();
    // The depth of the deepest tree; any malformed tree (an index out of range, a cycle, a tree
    // deeper than max_depth) leaves the model to the generic walk.
    auto tree_depth = [&](auto&& self, std::uint32_t n, int d) -> int {
      if (n >= nn || d > max_depth) return max_depth + 1;
      const auto& nd = m.nodes[n];
      if (nd.feature < 0 || static_cast<std::size_t>(nd.feature) >= match_feature_count) return d;
      return std::max(self(self, nd.left, d + 1), self(self, nd.right, d + 1));
    };
    for (const std::uint32_t r : m.roots) {
      if (r >= nn) return;  // the generic walk skips such a root; keep its behaviour there
      depth = std::max(depth, tree_depth(tree_depth, r, 0));
    }
    if (depth > max_depth) return;
    trees.resize(m.roots.size());
    for (std::size_t t = 0; t < m.roots.size(); ++t) {
      tree& out = trees[t];
      for (int i = 0; i < inner; ++i) {
        out.feature[i] = 0;
        out.threshold[i] = 0.0;
      }
      // Fill position i of the complete tree from model node n.
      auto fill = [&](auto&& self, int i, std::uint32_t n, int d) -> void {
        const auto& nd = m.nodes[n];
        const bool leaf = nd.feature < 0 || static_cast<std::size_t>(nd.feature) >= match_feature_count;
        if (d == depth) {
          out.leaf[i - ((1 << depth) - 1)] = nd.value;
          return;
        }
        if (leaf) {  // copied down: both halves end in this leaf's value, whatever the comparison
          self(self, 2 * i + 1, n, d + 1);
          self(self, 2 * i + 2, n, d + 1);
          return;
        }
        out.feature[i] = static_cast<std::uint8_t>(nd.feature);
        out.threshold[i] = nd.threshold;
        self(self, 2 * i + 1, nd.left, d + 1);
        self(self, 2 * i + 2, nd.right, d + 1);
      };
      fill(fill, 0, m.roots[t], 0);
    }
    usable = true;
  }

  double log_odds(const match_model& m, const pair_evidence& e) const noexcept {
    const double* const v = e.values.data();
    double x = m.base;
    for (const tree& t : trees) {
      int i = 0;
      for (int d = 0; d < depth; ++d) i = 2 * i + 1 + static_cast<int>(!(v[t.feature[i]] < t.threshold[i]));
      x += m.learning_rate * t.leaf[i - ((1 << depth) - 1)];
    }
    return x;
  }
};

const compiled_trees& builtin_compiled() noexcept {
  static const compiled_trees c(match_model::builtin());
  return c;
}
}  // namespace

double match_model::probability(const pair_evidence& e) const noexcept {
  if (this == &builtin()) {  // the one model that cannot change after it was laid out
    const compiled_trees& c = builtin_compiled();
    if (c.usable) return sigmoid(c.log_odds(*this, e));
  }
  double x = base;
  for (std::uint32_t r : roots)
    if (r < nodes.size()) x += learning_rate * walk(*this, r, e, [](std::size_t, double) {});
  return sigmoid(x);
}

std::vector<feature_contribution> match_model::contributions(const pair_evidence& e) const {
  std::vector<feature_contribution> out(match_feature_count);
  for (std::size_t i = 0; i < match_feature_count; ++i) out[i] = {static_cast<match_feature>(i), e.values[i], 0.0};
  for (std::uint32_t r : roots)
    if (r < nodes.size())
      walk(*this, r, e, [&](std::size_t f, double change) { out[f].contribution += learning_rate * change; });
  return out;
}

const match_model& match_model::builtin() noexcept {
  static const match_model m = [] {
#include "verify/match_model_coefficients.inc"
    match_model r;
    r.base = model_base;
    r.learning_rate = model_learning_rate;
    r.threshold = model_threshold;
    r.nodes.assign(std::begin(model_nodes), std::end(model_nodes));
    r.roots.assign(std::begin(model_roots), std::end(model_roots));
    return r;
  }();
  return m;
}

}  // namespace retold
