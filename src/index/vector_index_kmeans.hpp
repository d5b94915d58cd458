// Spherical k-means for IVF training (internal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace retold::detail {

/// k unit-norm centroids (k * d floats, row-major) of the n unit-norm rows of `x`, by spherical
/// k-means (assignment by inner product) with `iters` Lloyd iterations on a seeded sample of
/// m = min(n, max(k, min(k * points_per_centroid, max_sample))) rows. The assignment step runs
/// on up to `threads` threads (started and joined within the call). Deterministic for a given
/// seed and input order, whatever the thread count. Requires 1 <= k <= n.
std::vector<float> spherical_kmeans(const float* x, std::size_t n, std::size_t d, std::size_t k,
                                    std::uint64_t seed, unsigned threads = 1, std::size_t points_per_centroid = 32,
                                    std::size_t max_sample = 65536, int iters = 8);
/// The same over rows given by `row(i)` (i < n, d floats each), for rows that are not contiguous
/// (an index over caller rows): only the sampled rows are read.
std::vector<float> spherical_kmeans(const std::function<const float*(std::size_t)>& row, std::size_t n, std::size_t d,
                                    std::size_t k, std::uint64_t seed, unsigned threads = 1,
                                    std::size_t points_per_centroid = 32, std::size_t max_sample = 65536,
                                    int iters = 8);

}  // namespace retold::detail
