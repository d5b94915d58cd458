// bench/binary_lsh_methods.cpp - see binary_lsh_methods.hpp.
#include "binary_lsh_methods.hpp"

#include <retold/dedup.hpp>
#include <retold/minhash.hpp>

#include "store/state_file.hpp"

#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/index_io.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace retold_bench::binary_lsh {

namespace {

// b-bit codes: the lowest `bits` bits of each value, value i at bit offset bits * i (little-endian
// bit order inside each byte, as FAISS's IndexBinaryMultiHash reads its hash bits). Eight bytes
// of padding at the end: FAISS reads hash bits with unaligned 64-bit loads that may run past the
// last code.
std::vector<std::uint8_t> make_codes(const corpus& c, int bits) {
  const std::size_t code_bytes = c.h * static_cast<std::size_t>(bits) / 8;
  std::vector<std::uint8_t> codes(c.n * code_bytes + 8, 0);
  const std::uint32_t mask = (1u << bits) - 1;
  for (std::size_t i = 0; i < c.n; ++i) {
    std::uint8_t* out = codes.data() + i * code_bytes;
    const auto s = c.sig(i);
    for (std::uint32_t k = 0; k < c.h; ++k) {
      const std::size_t bit = static_cast<std::size_t>(k) * bits;
      out[bit >> 3] |= static_cast<std::uint8_t>((s[k] & mask) << (bit & 7));
    }
  }
  return codes;
}

// Query codes of the sample, contiguous and padded like make_codes.
std::vector<std::uint8_t> gather(const std::vector<std::uint8_t>& codes, std::size_t code_bytes,
                                 const std::vector<std::uint32_t>& sample) {
  std::vector<std::uint8_t> q(sample.size() * code_bytes + 8, 0);
  for (std::size_t i = 0; i < sample.size(); ++i)
    std::memcpy(q.data() + i * code_bytes, codes.data() + std::size_t{sample[i]} * code_bytes, code_bytes);
  return q;
}

// The literal design path with no loss of signal: the lsh_index's own band fingerprints (one
// 32-bit value per band) as one code, so IndexBinaryMultiHash with one 32-bit hash per band is the
// same banding as lsh_index, held in FAISS's containers.
std::vector<std::uint8_t> band_codes(const corpus& c, const retold::lsh_index& shape) {
  const std::size_t code_bytes = shape.params().bands * sizeof(std::uint32_t);
  std::vector<std::uint8_t> codes(c.n * code_bytes + 8, 0);
  for (std::size_t i = 0; i < c.n; ++i) {
    const auto keys = shape.band_keys(c.sig(i));
    std::memcpy(codes.data() + i * code_bytes, keys.fingerprints().data(), code_bytes);
  }
  return codes;
}

}  // namespace

result_row run_lsh(const context& x, const std::string& name, const retold::lsh_params& p) {
  const options& o = x.o;
  const corpus& c = x.c;
  const std::vector<std::uint32_t>& sample = x.sample;
  const double pass_budget = x.pass_budget;
  const retold::deduplicator_options defaults;
  result_row row;
  row.name = name;
  row.what = "lsh_index " + std::to_string(p.bands) + "x" + std::to_string(p.rows);
  std::vector<double> ins, qs;
  query_outcome out;
  std::size_t nq = o.queries;
  int reps = o.reps;
  for (int rep = 0; rep < reps; ++rep) {
    const std::size_t before = heap_in_use();
    const double a = thread_cpu_seconds();
    retold::lsh_index idx(defaults.minhash, p);
    for (std::size_t i = 0; i < c.n; ++i) idx.insert(i, c.sig(i));
    ins.push_back(thread_cpu_seconds() - a);
    if (rep == 0 && reps > 1 && ins[0] > o.budget) {
      // One build costs more than the whole query budget: measure it once (said in the row).
      reps = 1;
      row.what += " (1 build)";
    }
    if (rep == 0) {
      row.memory = heap_in_use() - before;
      row.memory_with_sigs = row.memory;  // lsh_index holds the signatures it verifies with
      std::fprintf(stderr, "lsh: heap %zu bytes, memory_bytes() %zu\n", row.memory, idx.memory_bytes());
    }
    query_outcome cur;
    cur.verified.resize(nq);
    const double b = thread_cpu_seconds();
    std::size_t done = 0;
    for (; done < nq; ++done) {
      const std::uint32_t q = sample[done];
      for (const auto& m : idx.query(c.sig(q), k_verify))
        if (m.key != q) cur.verified[done].push_back(static_cast<std::uint32_t>(m.key));
      if (rep == 0 && (done & 63) == 63 && thread_cpu_seconds() - b > pass_budget) {
        ++done;
        break;
      }
    }
    qs.push_back(1e6 * (thread_cpu_seconds() - b) / static_cast<double>(done));
    if (rep == 0) {
      nq = done;
      cur.verified.resize(nq);
      // Raw candidates: documents sharing a band with the query, i.e. query at threshold 0
      // (the estimate is > 0 for every candidate but a 32-bit fingerprint collision).
      for (std::size_t i = 0; i < nq; ++i)
        for (const auto& m : idx.query(c.sig(sample[i]), 0.0)) cur.candidates += m.key != sample[i];
      out = std::move(cur);
    }
    if (rep == reps - 1) {
      // Persistence as the deduplicator does it: the signature table as one checked state file;
      // loading reads it and rebuilds the index.
      const auto path = std::filesystem::path(o.work) / "signatures.rtd";
      std::vector<double> sv, lv;
      // All saves first, then the index is released, so that a load never holds two copies.
      for (int round = 0; round < reps; ++round) {
        const double s0 = wall_seconds();
        retold::detail::byte_writer w;
        w.u64(c.n);
        w.u32(c.h);
        for (std::size_t i = 0; i < c.n; ++i)
          for (std::uint32_t x : idx.values_of(i)) w.u32(x);
        retold::detail::write_state_file(path, "dedup.sigs", 1, w.buffer());
        sv.push_back(wall_seconds() - s0);
      }
      { const retold::lsh_index released = std::move(idx); }
      for (int round = 0; round < reps; ++round) {
        const double l0 = wall_seconds();
        const auto payload = retold::detail::read_state_file(path, "dedup.sigs", 1);
        retold::detail::byte_reader rd(payload, path.string());
        const std::uint64_t n = rd.u64();
        const std::uint32_t h = rd.u32();
        if (n != c.n || h != c.h) rd.fail("signature table does not match");
        retold::lsh_index loaded(defaults.minhash, p);
        loaded.reserve(n);
        std::vector<std::uint32_t> sig(h);
        for (std::uint64_t i = 0; i < n; ++i) {
          for (auto& x : sig) x = rd.u32();
          loaded.insert(i, sig);
        }
        rd.expect_end();
        lv.push_back(wall_seconds() - l0);
        if (loaded.size() != c.n) throw std::runtime_error("reloaded lsh_index lost documents");
      }
      row.file_bytes = std::filesystem::file_size(path);
      row.save_s = median(sv);
      row.load_s = median(lv);
      row.persisted = true;
      std::filesystem::remove(path);
    }
  }
  finish_row(row, x, ins, qs, nq, out);
  return row;
}

std::vector<faiss_method> faiss_methods(const context& x, const retold::lsh_params& params) {
  const options& o = x.o;
  const corpus& c = x.c;
  const truth& t = x.t;
  const std::vector<std::uint32_t>& sample = x.sample;
std::vector<faiss_method> methods;
auto multi = [&](int bits, int nhash, int b, int nflip) {
  faiss_method m;
  m.name = "mh" + std::to_string(bits);
  m.bits = bits;
  m.what = "MultiHash " + std::to_string(nhash) + "x" + std::to_string(b) + " bits, nflip " + std::to_string(nflip);
  m.make = [=, d = static_cast<int>(c.h) * bits] {
    auto* idx = new faiss::IndexBinaryMultiHash(d, nhash, b);
    idx->nflip = nflip;
    return idx;
  };
  methods.push_back(std::move(m));
};
auto single = [&](int bits, int b, int nflip) {
  faiss_method m;
  m.name = "hash" + std::to_string(bits);
  m.bits = bits;
  m.what = "Hash " + std::to_string(b) + " bits, nflip " + std::to_string(nflip);
  m.make = [=, d = static_cast<int>(c.h) * bits] {
    auto* idx = new faiss::IndexBinaryHash(d, b);
    idx->nflip = nflip;
    return idx;
  };
  methods.push_back(std::move(m));
};
{
  faiss_method m;
  m.name = "mhlsh";
  m.bits = 0;
  m.what = "MultiHash " + std::to_string(params.bands) + "x32 bits over lsh_index's band fingerprints";
  m.make = [nb = static_cast<int>(params.bands)] {
    return new faiss::IndexBinaryMultiHash(32 * nb, nb, 32);
  };
  methods.push_back(std::move(m));
}
multi(1, 8, 16, 0);
multi(1, 8, 16, 1);
multi(1, 4, 32, 2);
multi(2, 16, 16, 0);
multi(2, 16, 16, 1);
multi(2, 32, 8, 0);
single(1, 16, 0);
single(1, 16, 2);

// Exact reference: IndexBinaryFlat range search at the Hamming radius that keeps 90% / 99% of
// the sample's true pairs (the radius is read off the true pairs' own code distances).
for (int bits : {1, 2}) {
  if (!o.wanted("flat" + std::to_string(bits))) continue;
  const auto codes = make_codes(c, bits);
  const std::size_t cb = c.h * static_cast<std::size_t>(bits) / 8;
  std::vector<int> dist;
  for (std::uint32_t q : sample)
    for (const auto& [d, j] : t.mates[q]) {
      int h = 0;
      for (std::size_t k = 0; k < cb; ++k)
        h += __builtin_popcount(codes[std::size_t{q} * cb + k] ^ codes[std::size_t{d} * cb + k]);
      dist.push_back(h);
    }
  std::sort(dist.begin(), dist.end());
  for (double keep : {0.90, 0.99}) {
    if (dist.empty()) break;
    const int r = dist[std::min(dist.size() - 1, static_cast<std::size_t>(keep * static_cast<double>(dist.size())))];
    faiss_method m;
    m.name = "flat" + std::to_string(bits);
    m.bits = bits;
    m.radius = r + 1;
    m.what = "Flat, Hamming < " + std::to_string(r + 1) + " (" + std::to_string(static_cast<int>(keep * 100)) +
             "% of true pairs)";
    m.make = [d = static_cast<int>(c.h) * bits] { return new faiss::IndexBinaryFlat(d); };
    methods.push_back(std::move(m));
  }
}

  return methods;
}

result_row run_faiss(const context& x, const faiss_method& m, const retold::lsh_params& params) {
  const options& o = x.o;
  const corpus& c = x.c;
  const std::vector<std::uint32_t>& sample = x.sample;
  const double pass_budget = x.pass_budget;
  const retold::deduplicator_options defaults;
  const std::size_t sig_bytes = c.n * c.h * sizeof(std::uint32_t);
  const retold::lsh_index shape(defaults.minhash, params);
  const auto codes = m.bits ? make_codes(c, m.bits) : band_codes(c, shape);
  const std::size_t cb = m.bits ? c.h * static_cast<std::size_t>(m.bits) / 8 : params.bands * 4;
  const auto qcodes = gather(codes, cb, sample);
  const int radius = m.radius ? m.radius : static_cast<int>(cb * 8) + 1;
  result_row row;
  row.name = m.name;
  row.what = m.what;
  std::vector<double> ins, qs;
  query_outcome out;
  std::size_t nq = o.queries;
  int reps = o.reps;
  for (int rep = 0; rep < reps; ++rep) {
    const std::size_t before = heap_in_use();
    const double a = thread_cpu_seconds();
    std::unique_ptr<faiss::IndexBinary> idx(m.make());
    idx->add(static_cast<faiss::IndexBinary::idx_t>(c.n), codes.data());
    ins.push_back(thread_cpu_seconds() - a);
    if (rep == 0 && reps > 1 && ins[0] > o.budget) {
      // One build costs more than the whole query budget: measure it once (said in the row).
      reps = 1;
      row.what += " (1 build)";
    }
    if (rep == 0) {
      row.memory = heap_in_use() - before;
      row.memory_with_sigs = row.memory + sig_bytes;
    }
    query_outcome cur;
    cur.verified.resize(nq);
    constexpr std::size_t k_batch = 64;
    const double b = thread_cpu_seconds();
    std::size_t done = 0;
    while (done < nq) {
      const std::size_t nb = std::min(k_batch, nq - done);
      faiss::RangeSearchResult res(static_cast<faiss::IndexBinary::idx_t>(nb));
      idx->range_search(static_cast<faiss::IndexBinary::idx_t>(nb), qcodes.data() + done * cb, radius, &res);
      for (std::size_t i = 0; i < nb; ++i) {
        const std::uint32_t q = sample[done + i];
        const auto qs_sig = c.sig(q);
        for (std::size_t e = res.lims[i]; e < res.lims[i + 1]; ++e) {
          const auto d = static_cast<std::uint32_t>(res.labels[e]);
          if (d == q) continue;
          ++cur.candidates;
          if (retold::estimate_jaccard(qs_sig, c.sig(d)) >= k_verify) cur.verified[done + i].push_back(d);
        }
      }
      done += nb;
      if (rep == 0 && thread_cpu_seconds() - b > pass_budget) break;
    }
    qs.push_back(1e6 * (thread_cpu_seconds() - b) / static_cast<double>(done));
    if (rep == 0) {
      nq = done;
      cur.verified.resize(nq);
      out = std::move(cur);
    }
    if (rep == reps - 1) {
      const auto path = std::filesystem::path(o.work) / (m.name + ".faissbin");
      std::vector<double> sv, lv;
      for (int round = 0; round < reps; ++round) {
        const double s0 = wall_seconds();
        faiss::write_index_binary(idx.get(), path.c_str());
        sv.push_back(wall_seconds() - s0);
      }
      idx.reset();  // a load never holds two copies
      for (int round = 0; round < reps; ++round) {
        const double l0 = wall_seconds();
        std::unique_ptr<faiss::IndexBinary> loaded(faiss::read_index_binary(path.c_str()));
        lv.push_back(wall_seconds() - l0);
        if (loaded->ntotal != static_cast<faiss::IndexBinary::idx_t>(c.n))
          throw std::runtime_error("reloaded FAISS index lost documents");
      }
      row.file_bytes = std::filesystem::file_size(path);
      row.save_s = median(sv);
      row.load_s = median(lv);
      row.persisted = true;
      std::filesystem::remove(path);
    }
  }
  finish_row(row, x, ins, qs, nq, out);
  return row;
}

}  // namespace retold_bench::binary_lsh
