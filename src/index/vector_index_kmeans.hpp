// Spherical k-means for IVF training (internal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace retold::detail {

/// k unit-norm centroids (k * d floats, row-major) of the n unit-norm rows of `x`, by spherical
/// k-means (assignment by inner product) on a seeded sample of min(n, max(k *
/// points_per_centroid, min(n, max_sample))) rows... in short: up to points_per_centroid rows per
/// centroid but never more than max_sample (unless k itself is larger); `iters` Lloyd iterations. Deterministic for a given seed and input order. Requires 1 <= k <= n.
std::vector<float> spherical_kmeans(const float* x, std::size_t n, std::size_t d, std::size_t k,
                                    std::uint64_t seed, std::size_t points_per_centroid = 32,
                                    std::size_t max_sample = 65536, int iters = 8);

}  // namespace retold::detail
