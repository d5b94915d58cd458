// Spherical k-means (see vector_index_kmeans.hpp). FAISS's own Clustering would run its
// assignment through the system BLAS, which on Debian is the slow reference implementation; the
// assignment here uses index/dot_kernels, exactly as the index assigns cells afterwards.
#include "index/vector_index_kmeans.hpp"

#include "index/dot_kernels.hpp"
#include "util/parallel.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <functional>
#include <numeric>
#include <random>

namespace retold::detail {

std::vector<float> spherical_kmeans(const float* x, std::size_t n, std::size_t d, std::size_t k,
                                    std::uint64_t seed, unsigned threads, std::size_t points_per_centroid,
                                    std::size_t max_sample, int iters) {
  return spherical_kmeans([x, d](std::size_t i) { return x + i * d; }, n, d, k, seed, threads, points_per_centroid,
                          max_sample, iters);
}

std::vector<float> spherical_kmeans(const std::function<const float*(std::size_t)>& row, std::size_t n, std::size_t d,
                                    std::size_t k, std::uint64_t seed, unsigned threads,
                                    std::size_t points_per_centroid, std::size_t max_sample, int iters) {
  using mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  std::mt19937_64 rng(seed);
  // Seeded sample without replacement (partial Fisher-Yates), kept in input order so the result
  // does not depend on the shuffle beyond the chosen set.
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  const std::size_t m = std::min(n, std::max(k, std::min(k * points_per_centroid, max_sample)));
  for (std::size_t i = 0; i < m; ++i) {
    std::uniform_int_distribution<std::size_t> u(i, n - 1);
    std::swap(idx[i], idx[u(rng)]);
  }
  mat X(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(d));
  for (std::size_t i = 0; i < m; ++i)
    X.row(static_cast<Eigen::Index>(i)) = Eigen::Map<const Eigen::RowVectorXf>(row(idx[i]), static_cast<Eigen::Index>(d));
  // Initial centroids: the first k sampled rows (a random subset).
  mat C = X.topRows(static_cast<Eigen::Index>(k));
  std::vector<int> assign(m);
  const auto& kern = kernels();
  constexpr std::size_t block = 64;
  for (int it = 0; it < iters; ++it) {
    parallel_for((m + block - 1) / block, std::max(1u, threads), [&](std::size_t bi) {
      const std::size_t b0 = bi * block, rows = std::min(block, m - b0);
      std::vector<float> scores(rows * k);
      kern.block(X.data() + b0 * d, rows, d, C.data(), k, d, d, scores.data(), k);
      for (std::size_t r = 0; r < rows; ++r) {
        const float* s = scores.data() + r * k;
        assign[b0 + r] = static_cast<int>(std::max_element(s, s + k) - s);
      }
    });
    mat sum = mat::Zero(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(d));
    std::vector<std::size_t> count(k, 0);
    for (std::size_t i = 0; i < m; ++i) {
      sum.row(assign[i]) += X.row(static_cast<Eigen::Index>(i));
      ++count[static_cast<std::size_t>(assign[i])];
    }
    std::uniform_int_distribution<std::size_t> pick(0, m - 1);
    for (std::size_t c = 0; c < k; ++c) {
      const auto ci = static_cast<Eigen::Index>(c);
      const float nr = sum.row(ci).norm();
      if (count[c] == 0 || nr == 0.0f)
        C.row(ci) = X.row(static_cast<Eigen::Index>(pick(rng)));  // re-seed an empty cell
      else
        C.row(ci) = sum.row(ci) / nr;
    }
  }
  return std::vector<float>(C.data(), C.data() + C.size());
}

}  // namespace retold::detail
