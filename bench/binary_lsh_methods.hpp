// bench/binary_lsh_methods.hpp - the methods bench_binary_lsh compares (see the header comment
// of bench_binary_lsh.cpp): retold::lsh_index, and FAISS binary indexes over b-bit codes of the
// same signatures or over lsh_index's band fingerprints. Each is built from scratch on the whole
// corpus --reps times, queried with the sample, persisted and loaded, and measured into a row.
#pragma once

#include "binary_lsh_harness.hpp"

#include <retold/lsh.hpp>

#include <faiss/IndexBinary.h>

#include <functional>
#include <string>
#include <vector>

namespace retold_bench::binary_lsh {

/// retold::lsh_index banded by `p`: built, queried one document at a time, saved as the
/// deduplicator saves its signatures and loaded by rebuilding.
result_row run_lsh(const context& x, const std::string& name, const retold::lsh_params& p);

/// One FAISS configuration.
struct faiss_method {
  std::string name, what;
  int bits = 1;  // b-bit codes; 0: band_codes
  std::function<faiss::IndexBinary*()> make;
  int radius = 0;  // range_search radius (exclusive); 0: the whole code length + 1, every candidate
};

/// The FAISS configurations measured, in table order: MultiHash over the band fingerprints of
/// `params`, MultiHash and Hash on 1- and 2-bit codes, and (when --only wants them) Flat range
/// search at the radii that keep 90% / 99% of the sample's true pairs.
std::vector<faiss_method> faiss_methods(const context& x, const retold::lsh_params& params);

/// `m` built, queried in batches of 64, every candidate verified by the full signature, written
/// and read with faiss::write_index_binary / read_index_binary.
result_row run_faiss(const context& x, const faiss_method& m, const retold::lsh_params& params);

}  // namespace retold_bench::binary_lsh
