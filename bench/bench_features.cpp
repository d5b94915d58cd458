// Microbenchmarks of the lexical feature pipeline: normalize, shingle, signature, and the whole
// raw text -> signature path, with the classic k-permutation MinHash as a baseline in the same
// process. Documents are synthetic, reproducible news-like texts of 500 words.
//
//   build-*/bench/bench_features --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// items_per_second is documents per second on one core.
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include "features/detail/minhash_kernels.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

enum class script { ascii, typographic, cyrillic, arabic };

// Deterministic news-like text: Zipf-ish word choice from a syllable-built vocabulary, sentences
// of 8..25 words, capitalised starts, commas, numbers, paragraphs. `typographic` adds curly quotes
// and dashes as real agency copy has; `cyrillic` uses a Cyrillic vocabulary, `arabic` an
// Arabic-script one (no letter case: sentences start with the article instead).
std::vector<std::string> make_docs(std::size_t count, std::size_t words, script s,
                                   std::uint64_t seed = 42) {
  std::mt19937_64 rng(seed);
  const std::vector<std::string> latin = {"ka", "ro", "mi", "ten", "sa", "lo", "ver", "an", "de",
                                          "po", "li", "tra", "ne", "su", "gor", "ha", "in", "fe"};
  const std::vector<std::string> cyr = {"ка", "ро", "ми", "тен", "са", "ло", "вер", "ан", "де",
                                        "по", "ли", "тра", "не", "су", "гор", "ха", "ин", "фе"};
  const std::vector<std::string> arb = {"كا", "رو", "مي", "تن", "سا", "لو", "فر", "ان", "دي",
                                        "بو", "لي", "ترا", "ني", "سو", "غور", "ها", "ين", "في"};
  const auto& syl = s == script::cyrillic ? cyr : s == script::arabic ? arb : latin;
  std::vector<std::string> vocab;
  for (int i = 0; i < 20000; ++i) {
    std::string w;
    const int n = 1 + static_cast<int>(rng() % 4);
    for (int j = 0; j < n; ++j) w += syl[rng() % syl.size()];
    vocab.push_back(w);
  }
  std::uniform_real_distribution<double> u(0, 1);
  auto pick = [&]() -> const std::string& {
    const double x = u(rng);
    return vocab[static_cast<std::size_t>(x * x * x * static_cast<double>(vocab.size()))];
  };
  auto capitalise = [&](std::string w) {
    if (s == script::cyrillic) return "Н" + w;  // an uppercase Cyrillic letter in front
    if (s == script::arabic) return "ال" + w;   // the article
    w[0] = static_cast<char>(w[0] - 32);
    return w;
  };
  std::vector<std::string> docs;
  for (std::size_t d = 0; d < count; ++d) {
    std::string doc;
    std::size_t left = words;
    int sentences = 0;
    while (left > 0) {
      std::size_t len = std::min<std::size_t>(left, 8 + rng() % 18);
      left -= len;
      const bool quoted = s == script::typographic && rng() % 3 == 0;
      if (quoted) doc += "\xE2\x80\x9C";  // left double quotation mark
      for (std::size_t i = 0; i < len; ++i) {
        std::string w = i == 0 ? capitalise(pick()) : pick();
        if (rng() % 40 == 0) w = std::to_string(rng() % 3000);
        doc += w;
        if (i + 1 < len) {
          if (rng() % 9 == 0) doc += ",";
          if (s == script::typographic && rng() % 25 == 0) doc += " \xE2\x80\x94";  // em dash
          if (s == script::typographic && rng() % 30 == 0) doc += "\xE2\x80\x99s";  // ’s
          doc += " ";
        }
      }
      doc += quoted ? ".\xE2\x80\x9D" : ".";
      doc += (++sentences % 5 == 0) ? "\n\n" : " ";
    }
    docs.push_back(std::move(doc));
  }
  return docs;
}

const std::vector<std::string>& docs(script s) {
  static const std::vector<std::string> ascii = make_docs(256, 500, script::ascii);
  static const std::vector<std::string> typo = make_docs(256, 500, script::typographic);
  static const std::vector<std::string> cyr = make_docs(256, 500, script::cyrillic);
  static const std::vector<std::string> arb = make_docs(256, 500, script::arabic);
  return s == script::ascii ? ascii : s == script::typographic ? typo : s == script::cyrillic ? cyr : arb;
}

std::size_t total_bytes(const std::vector<std::string>& d) {
  std::size_t b = 0;
  for (const auto& x : d) b += x.size();
  return b;
}

// ---- baseline: the classic scheme, k independent (a * x + b) mod (2^61 - 1) permutations over
// 32-bit shingle hashes, as a plain C loop (what datasketch computes, without numpy).
struct classic_minhash {
  static constexpr std::uint64_t p = (std::uint64_t{1} << 61) - 1;
  std::vector<std::uint64_t> a, b;
  explicit classic_minhash(std::size_t k, std::uint64_t seed = 1) : a(k), b(k) {
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i < k; ++i) {
      a[i] = 1 + rng() % (p - 1);
      b[i] = rng() % p;
    }
  }
  void compute(const std::vector<std::uint64_t>& hashes, std::uint32_t* out) const {
    const std::size_t k = a.size();
    std::uint64_t mins[1024];
    for (std::size_t i = 0; i < k; ++i) mins[i] = UINT64_MAX;
    for (const std::uint64_t h : hashes) {
      const std::uint64_t x = h & 0xFFFFFFFFu;
      for (std::size_t i = 0; i < k; ++i) {
        const std::uint64_t y = a[i] * x + b[i];          // wraps like numpy uint64
        std::uint64_t v = (y & p) + (y >> 61);            // mod Mersenne prime
        v = (v >= p ? v - p : v) & 0xFFFFFFFFu;
        mins[i] = v < mins[i] ? v : mins[i];
      }
    }
    for (std::size_t i = 0; i < k; ++i) out[i] = static_cast<std::uint32_t>(mins[i]);
  }
};

// ---- normalize

void BM_Normalize(benchmark::State& state, script s) {
  const auto& d = docs(s);
  std::string out;
  std::size_t i = 0;
  for (auto _ : state) {
    retold::normalize_into(d[i++ & 255], out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * total_bytes(d) / 256));
}
BENCHMARK_CAPTURE(BM_Normalize, ascii, script::ascii);
BENCHMARK_CAPTURE(BM_Normalize, typographic, script::typographic);
BENCHMARK_CAPTURE(BM_Normalize, cyrillic, script::cyrillic);
BENCHMARK_CAPTURE(BM_Normalize, arabic, script::arabic);

// ---- shingle

std::vector<std::string> normalized_docs(script s) {
  std::vector<std::string> out;
  for (const auto& d : docs(s)) out.push_back(retold::normalize(d));
  return out;
}

void BM_ShingleWord5(benchmark::State& state) {
  static const auto nd = normalized_docs(script::ascii);
  std::vector<std::uint64_t> h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.clear();
    retold::shingle_hashes(nd[i++ & 255], {retold::shingle_kind::word, 5}, h);
    benchmark::DoNotOptimize(h.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ShingleWord5);

void BM_ShingleChar5(benchmark::State& state) {
  static const auto nd = normalized_docs(script::ascii);
  std::vector<std::uint64_t> h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.clear();
    retold::shingle_hashes(nd[i++ & 255], {retold::shingle_kind::character, 5}, h);
    benchmark::DoNotOptimize(h.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_ShingleChar5);

// ---- signature over precomputed word 5-gram hashes (~496 per document)

const std::vector<std::vector<std::uint64_t>>& shingled_docs() {
  static const auto all = [] {
    std::vector<std::vector<std::uint64_t>> v;
    for (const auto& n : normalized_docs(script::ascii))
      v.push_back(retold::shingle_hashes(n, {retold::shingle_kind::word, 5}));
    return v;
  }();
  return all;
}

void BM_Signature(benchmark::State& state, retold::minhash_scheme scheme) {
  const auto& sd = shingled_docs();
  retold::minhash_config cfg;
  cfg.scheme = scheme;
  cfg.num_hashes = static_cast<std::uint32_t>(state.range(0));
  const retold::minhasher mh(cfg);
  std::vector<std::uint32_t> out(cfg.num_hashes);
  std::size_t i = 0;
  for (auto _ : state) {
    mh.compute_into(sd[i++ & 255], out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_Signature, one_permutation, retold::minhash_scheme::one_permutation)
    ->Arg(128)->Arg(256);
BENCHMARK_CAPTURE(BM_Signature, multiply_shift, retold::minhash_scheme::multiply_shift)
    ->Arg(128)->Arg(256);

void BM_SignatureBaselineClassic(benchmark::State& state) {
  const auto& sd = shingled_docs();
  const classic_minhash mh(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint32_t> out(static_cast<std::size_t>(state.range(0)));
  std::size_t i = 0;
  for (auto _ : state) {
    mh.compute(sd[i++ & 255], out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_SignatureBaselineClassic)->Arg(128)->Arg(256);

// ---- the whole path: raw text -> normalize -> word 5-grams -> 128-value signature

void BM_Pipeline(benchmark::State& state, script s, retold::minhash_scheme scheme) {
  const auto& d = docs(s);
  retold::minhash_config cfg;
  cfg.scheme = scheme;
  const retold::minhasher mh(cfg);
  std::string norm;
  std::vector<std::uint64_t> h;
  std::vector<std::uint32_t> out(cfg.num_hashes);
  std::size_t i = 0;
  for (auto _ : state) {
    retold::normalize_into(d[i++ & 255], norm);
    h.clear();
    retold::shingle_hashes(norm, {retold::shingle_kind::word, 5}, h);
    mh.compute_into(h, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_Pipeline, ascii_one_permutation, script::ascii,
                  retold::minhash_scheme::one_permutation);
BENCHMARK_CAPTURE(BM_Pipeline, typographic_one_permutation, script::typographic,
                  retold::minhash_scheme::one_permutation);
BENCHMARK_CAPTURE(BM_Pipeline, cyrillic_one_permutation, script::cyrillic,
                  retold::minhash_scheme::one_permutation);
BENCHMARK_CAPTURE(BM_Pipeline, arabic_one_permutation, script::arabic,
                  retold::minhash_scheme::one_permutation);
BENCHMARK_CAPTURE(BM_Pipeline, ascii_multiply_shift, script::ascii,
                  retold::minhash_scheme::multiply_shift);

void BM_PipelineBaselineClassic(benchmark::State& state) {
  const auto& d = docs(script::ascii);
  const classic_minhash mh(128);
  std::string norm;
  std::vector<std::uint64_t> h;
  std::vector<std::uint32_t> out(128);
  std::size_t i = 0;
  for (auto _ : state) {
    retold::normalize_into(d[i++ & 255], norm);
    h.clear();
    retold::shingle_hashes(norm, {retold::shingle_kind::word, 5}, h);
    mh.compute(h, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PipelineBaselineClassic);

}  // namespace
