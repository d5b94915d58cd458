// Statistics of the evaluation tools: ranks, Pearson, Spearman, binary classification figures.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <map>
#include <utility>
#include <numeric>
#include <vector>

namespace retold_eval {

/// Average ranks (ties share the mean of their positions).
inline std::vector<double> ranks(const std::vector<double>& x) {
  std::vector<std::size_t> o(x.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](auto a, auto b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < o.size();) {
    std::size_t j = i;
    while (j + 1 < o.size() && x[o[j + 1]] == x[o[i]]) ++j;
    for (std::size_t k = i; k <= j; ++k) r[o[k]] = 0.5 * double(i + j);
    i = j + 1;
  }
  return r;
}
inline double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = double(a.size());
  if (a.empty()) return 0.0;
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}
inline double spearman(const std::vector<double>& a, const std::vector<double>& b) { return pearson(ranks(a), ranks(b)); }

/// Adjusted Rand index of two labelings of the same items (1: identical partitions).
template <class Label>
double adjusted_rand_index(const std::vector<Label>& a, const std::vector<Label>& b) {
  std::map<std::pair<Label, Label>, double> nij;
  std::map<Label, double> ai, bj;
  for (std::size_t i = 0; i < a.size(); ++i) {
    nij[{a[i], b[i]}] += 1;
    ai[a[i]] += 1;
    bj[b[i]] += 1;
  }
  auto c2 = [](double x) { return x * (x - 1) / 2; };
  double sij = 0, sa = 0, sb = 0;
  for (auto& [k, v] : nij) sij += c2(v);
  for (auto& [k, v] : ai) sa += c2(v);
  for (auto& [k, v] : bj) sb += c2(v);
  const double expected = sa * sb / c2(double(a.size()));
  const double maxv = 0.5 * (sa + sb);
  return maxv == expected ? 1.0 : (sij - expected) / (maxv - expected);
}

struct binary_stats {
  double accuracy = 0, f1 = 0, precision = 0, recall = 0;
};
inline binary_stats stats_of(const std::vector<bool>& pred, const std::vector<bool>& truth) {
  std::size_t tp = 0, fp = 0, fn = 0, ok = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) {
    ok += pred[i] == truth[i];
    tp += pred[i] && truth[i];
    fp += pred[i] && !truth[i];
    fn += !pred[i] && truth[i];
  }
  binary_stats s;
  s.accuracy = pred.empty() ? 0 : double(ok) / double(pred.size());
  s.precision = tp + fp ? double(tp) / double(tp + fp) : 0;
  s.recall = tp + fn ? double(tp) / double(tp + fn) : 0;
  s.f1 = 2 * tp + fp + fn ? 2.0 * double(tp) / double(2 * tp + fp + fn) : 0;
  return s;
}

}  // namespace retold_eval
