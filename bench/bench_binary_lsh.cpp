// bench/bench_binary_lsh.cpp - the design's literal path, measured (issue 15): the same MinHash
// signatures as b-bit codes in FAISS binary indexes against retold's lsh_index.
//
//   bench_binary_lsh [--docs 100000] [--queries 10000] [--reps 3] [--budget 12] [--seed 1]
//                    [--graded 0.10] [--work /tmp/retold_binary] [--only NAME,NAME,...]
//
// Documents are generated in this process by bench/corpus_gen.hpp, the generator of
// bench/e2e_nightly_gen (--graded 0 gives that corpus document for document),
// plus a share (--graded, default 10%) of "graded copies": an earlier story with each general word
// replaced at a rate drawn uniformly in [0.02, 0.30], so that true pairs cover Jaccard 0.2 .. 0.9
// and not only the 0.7 .. 0.9 of agency copies (retellings share almost no 5-grams: they are the
// embedder's job). Each document is title + "\n\n" + text, normalized, cut into word 5-grams and
// signed with the deduplicator's default options (128 one-permutation values).
//
// The truth: every pair of documents of one story whose full-signature Jaccard estimate is
// >= 0.2 (the deduplicator's verification threshold). Pairs of different stories at >= 0.2 that an
// index returns are counted separately ("outside").
//
// Methods, each built from scratch on all documents, then queried with a uniform sample of the
// documents (each query's own entry excluded); every candidate is verified with the full
// signature's Jaccard estimate >= 0.2, as the deduplicator does:
//   lsh          retold::lsh_index, banding choose_lsh_params(0.2, 128, 0.25, 0.75) (resolve_lsh)
//   lsh6         retold::lsh_index banded for near-copies only: choose_lsh_params(0.6, 128, ...)
//   mhlsh        faiss::IndexBinaryMultiHash over lsh_index's own band fingerprints (50 bands x
//                32 bits = 1600-bit codes, one 32-bit hash per band): the same banding in FAISS
//   mh1/mh2      faiss::IndexBinaryMultiHash on 1-bit (128-bit codes) / 2-bit (256-bit) codes
//   hash1        faiss::IndexBinaryHash on 1-bit codes
//   flat1/flat2  faiss::IndexBinaryFlat range search (exact Hamming) at the radius that keeps 90%
//                or 99% of the true pairs of the sample: what the codes allow at best
// b-bit code: the lowest b bits of each of the 128 values, value i at bits [b i, b i + b).
// FAISS runs on one OpenMP thread and gets its queries in batches of 64 (its best case: the
// deduplicator would query one document at a time); lsh_index is queried one document at a time.
//
// Figures: insert = CPU seconds of this thread to add all documents (median of --reps builds);
// query = CPU microseconds per query including verification (median of --reps passes over the
// sample; a method whose pass would exceed --budget/--reps seconds runs on a prefix of the sample,
// the same prefix in every pass, and says how many queries it used); memory = heap bytes the
// index holds (mallinfo2 before and after building); persistence = lsh_index as the deduplicator
// saves it (the signature table as a checked state file, src/dedup/persist.cpp; load = read and
// rebuild the index by inserting) against faiss::write_index_binary / read_index_binary (the
// FAISS file holds only the codes: verification needs the signatures saved beside it).
// Times are wall seconds for persistence (it includes fsync), CPU seconds otherwise. A method
// whose first build takes longer than --budget is built once ("(1 build)" in its row). The signed
// corpus is cached in --work (checked against a fresh signing of its first documents), so a second
// run skips the generation (about 2 minutes at 1M). One run at 1M needs about 5 GiB of memory.
// The files: the corpus, truth, timers and table rows in binary_lsh_harness.{hpp,cpp}; the
// methods in binary_lsh_methods.{hpp,cpp}; here the command line and the run.
#include "binary_lsh_harness.hpp"
#include "binary_lsh_methods.hpp"
#include "corpus_gen.hpp"

#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/lsh.hpp>

#include <faiss/impl/FaissException.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

using namespace retold_bench::binary_lsh;

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: bench_binary_lsh [--docs N] [--queries Q] [--reps R] [--budget SECONDS] [--seed S]\n"
               "                        [--graded FRACTION] [--work DIR] [--only NAME,NAME,...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    char* end = nullptr;
    if (a == "--docs") o.docs = std::strtoull(v, &end, 10);
    else if (a == "--queries") o.queries = std::strtoull(v, &end, 10);
    else if (a == "--reps") o.reps = static_cast<int>(std::strtol(v, &end, 10));
    else if (a == "--budget") o.budget = std::strtod(v, &end);
    else if (a == "--seed") o.seed = std::strtoull(v, &end, 10);
    else if (a == "--graded") o.graded = std::strtod(v, &end);
    else if (a == "--work") { o.work = v; end = const_cast<char*>(v) + std::strlen(v); }
    else if (a == "--only") {
      std::string s = v;
      for (std::size_t p = 0; p <= s.size();) {
        const std::size_t q = std::min(s.find(',', p), s.size());
        if (q > p) o.only.push_back(s.substr(p, q - p));
        p = q + 1;
      }
      end = const_cast<char*>(v) + std::strlen(v);
    } else {
      std::fprintf(stderr, "bench_binary_lsh: unknown option %s\n", a.c_str());
      return usage();
    }
    if (!end || *end != '\0') {
      std::fprintf(stderr, "bench_binary_lsh: %s: not a number: %s\n", a.c_str(), v);
      return usage();
    }
  }
  if (o.docs < 2 || o.docs > (std::size_t{1} << 31) || o.queries == 0 || o.reps < 1 || !(o.budget > 0) ||
      !(o.graded >= 0 && o.graded <= 0.63)) {
    std::fprintf(stderr,
                 "bench_binary_lsh: need --docs in 2 .. 2^31, --queries >= 1, --reps >= 1, --budget > 0, "
                 "--graded in [0, 0.63]\n");
    return 2;
  }
  for (const auto& name : o.only) {
    static const char* const known[] = {"lsh", "lsh6", "mhlsh", "mh1", "mh2", "hash1", "flat1", "flat2"};
    if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return name == k; })) {
      std::fprintf(stderr, "bench_binary_lsh: --only: unknown method %s (lsh lsh6 mhlsh mh1 mh2 hash1 flat1 flat2)\n",
                   name.c_str());
      return 2;
    }
  }
  o.queries = std::min(o.queries, o.docs);
  omp_set_num_threads(1);
  std::error_code ec;
  std::filesystem::create_directories(o.work, ec);
  if (ec) {
    std::fprintf(stderr, "bench_binary_lsh: cannot create %s: %s\n", o.work.c_str(), ec.message().c_str());
    return 2;
  }

  try {
    double t0 = wall_seconds();
    const auto cache = cache_path(o.work, o.docs, o.seed, o.graded);
    corpus c;
    // A cache made by another build whose signing differs is caught by signing the first
    // documents again (a corpus's first k documents do not depend on its size).
    const auto cache_is_current = [&] {
      const corpus head = make_corpus(std::min<std::size_t>(o.docs, 512), o.seed, o.graded);
      return std::equal(head.sigs.begin(), head.sigs.end(), c.sigs.begin()) &&
             std::equal(head.story_of.begin(), head.story_of.end(), c.story_of.begin());
    };
    if (read_cache(cache, c, o.docs) && cache_is_current()) {
      std::fprintf(stderr, "corpus: %zu signatures read from %s\n", c.n, cache.c_str());
    } else {
      c = make_corpus(o.docs, o.seed, o.graded);
      std::fprintf(stderr, "corpus: %zu documents signed in %.1f s wall\n", c.n, wall_seconds() - t0);
      write_cache(cache, c);
    }
    t0 = wall_seconds();
    const truth t = make_truth(c);
    std::fprintf(stderr, "truth: %zu pairs at Jaccard >= %.1f (%zu / %zu / %zu / %zu by stratum) in %.1f s\n", t.pairs,
                 k_verify, t.per_stratum[0], t.per_stratum[1], t.per_stratum[2], t.per_stratum[3],
                 wall_seconds() - t0);

    // The query sample: uniform without replacement, in a fixed shuffled order so that a prefix
    // of it is a uniform sample too.
    std::vector<std::uint32_t> sample(c.n);
    std::iota(sample.begin(), sample.end(), 0u);
    retold_bench::rng pick(o.seed ^ 0x5A3D1Eull);
    for (std::size_t i = 0; i < o.queries; ++i)
      std::swap(sample[i], sample[i + pick.below(static_cast<std::uint32_t>(c.n - i))]);
    sample.resize(o.queries);
    std::size_t sample_mates = 0;
    for (std::uint32_t q : sample) sample_mates += t.mates[q].size();

    const retold::deduplicator_options defaults;
    const retold::lsh_params params = retold::choose_lsh_params(defaults.lsh_threshold, c.h, 0.25, 0.75);
    const std::size_t sig_bytes = c.n * c.h * sizeof(std::uint32_t);
    const double pass_budget = o.budget / o.reps;

    std::printf("## bench_binary_lsh: %zu documents, %zu queries (%zu true pairs in the sample), %d reps\n\n", c.n,
                o.queries, sample_mates, o.reps);
    std::printf("truth: %zu pairs of one story at Jaccard >= 0.2: %zu / %zu / %zu / %zu in [0.2,0.4) [0.4,0.6) "
                "[0.6,0.8) [0.8,1]\n\n",
                t.pairs, t.per_stratum[0], t.per_stratum[1], t.per_stratum[2], t.per_stratum[3]);
    std::printf("| method | configuration | queries | insert s (x lsh) | us/query (x lsh) | candidates/query | "
                "recall | J .2-.4 | J .4-.6 | J .6-.8 | J .8-1 | outside | index MiB | + signatures MiB | "
                "file MiB | save s | load s |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");

    const context x{o, c, t, sample, pass_budget};
    // ---- lsh_index: the deduplicator's banding, and (lsh6) the banding for Jaccard 0.6, the
    // near-copy-only job where b-bit codes do best, so that they meet lsh_index on that job too.
    // Always run: every other row is given as a ratio to it.
    const result_row base = run_lsh(x, "lsh", params);
    print_row(base, base);
    if (o.wanted("lsh6")) {
      const auto p6 = retold::choose_lsh_params(0.6, c.h, 0.25, 0.75);
      print_row(run_lsh(x, "lsh6", p6), base);
    }

    // ---- FAISS binary indexes
    for (const auto& m : faiss_methods(x, params))
      if (o.wanted(m.name)) print_row(run_faiss(x, m, params), base);
    std::printf("\nsignatures for verification (needed beside every FAISS index): %.1f MiB in memory, "
                "%.1f MiB on disk\n",
                static_cast<double>(sig_bytes) / 1048576.0, static_cast<double>(base.file_bytes) / 1048576.0);
  } catch (const retold::error& e) {
    std::fprintf(stderr, "bench_binary_lsh: %s\n", e.what());
    return 1;
  } catch (const faiss::FaissException& e) {
    std::fprintf(stderr, "bench_binary_lsh: FAISS: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_binary_lsh: %s\n", e.what());
    return 1;
  }
  return 0;
}
