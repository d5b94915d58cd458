// Choosing (bands, rows) for a Jaccard threshold by integrating the LSH S-curve.
#include <retold/error.hpp>
#include <retold/lsh.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace retold {
namespace {

// Composite Simpson's rule with `intervals` (even) sub-intervals.
template <class F>
double simpson(F f, double a, double b, int intervals) {
  if (b <= a) return 0.0;
  const double h = (b - a) / intervals;
  double sum = f(a) + f(b);
  for (int i = 1; i < intervals; ++i) sum += f(a + i * h) * ((i & 1) ? 4.0 : 2.0);
  return sum * h / 3.0;
}

}  // namespace

double lsh_candidate_probability(const lsh_params& p, double s) noexcept {
  if (p.bands == 0 || p.rows == 0) return 0.0;
  if (s <= 0.0) return 0.0;
  if (s >= 1.0) return 1.0;
  return 1.0 - std::pow(1.0 - std::pow(s, p.rows), p.bands);
}

lsh_params choose_lsh_params(double threshold, std::uint32_t num_hashes, double fp_weight,
                             double fn_weight) {
  if (!(threshold > 0.0 && threshold < 1.0))
    throw error(errc::invalid_argument,
                "choose_lsh_params: threshold must be in (0, 1), got " + std::to_string(threshold));
  if (num_hashes == 0)
    throw error(errc::invalid_argument, "choose_lsh_params: num_hashes must be at least 1");
  if (!std::isfinite(fp_weight) || !std::isfinite(fn_weight) || fp_weight < 0 || fn_weight < 0 ||
      fp_weight + fn_weight <= 0)
    throw error(errc::invalid_argument,
                "choose_lsh_params: weights must be finite, >= 0 and not both 0 (fp_weight " +
                    std::to_string(fp_weight) + ", fn_weight " + std::to_string(fn_weight) + ")");
  constexpr int k_intervals = 64;
  lsh_params best{1, 1};
  double best_cost = std::numeric_limits<double>::infinity();
  for (std::uint32_t b = 1; b <= num_hashes; ++b) {
    for (std::uint32_t r = 1; std::uint64_t{b} * r <= num_hashes; ++r) {
      const lsh_params p{b, r};
      const double fp = simpson([&](double s) { return lsh_candidate_probability(p, s); }, 0.0,
                                threshold, k_intervals);
      const double fn = simpson([&](double s) { return 1.0 - lsh_candidate_probability(p, s); },
                                threshold, 1.0, k_intervals);
      const double cost = fp_weight * fp + fn_weight * fn;
      if (cost < best_cost - 1e-12) {
        best_cost = cost;
        best = p;
      }
    }
  }
  return best;
}

}  // namespace retold
