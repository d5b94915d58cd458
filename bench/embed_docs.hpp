// Synthetic documents for the built-in embedder's benchmarks (bench_embed, e2e_embed_count): words
// drawn Zipf(1.1) from 50,000 pseudo-words (2-12 letters; one in 20 a number), so that both tools
// embed the same texts for the same seed.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace retold_bench {

/// `count` documents of `words` words each, a pure function of the arguments.
inline std::vector<std::string> make_embed_docs(std::size_t count, std::size_t words, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> vocab(50000);
  std::uniform_int_distribution<int> len(2, 12), letter(0, 25), digit(0, 9), coin(0, 19);
  for (auto& w : vocab) {
    const int l = len(rng);
    for (int i = 0; i < l; ++i) w.push_back(static_cast<char>('a' + letter(rng)));
    if (coin(rng) == 0) w = std::to_string(digit(rng) * 100 + digit(rng));
  }
  std::vector<double> weights(vocab.size());
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = 1.0 / std::pow(double(i + 1), 1.1);
  std::discrete_distribution<std::size_t> zipf(weights.begin(), weights.end());
  std::vector<std::string> docs(count);
  for (auto& d : docs) {
    for (std::size_t i = 0; i < words; ++i) {
      if (i) d.push_back(' ');
      d += vocab[zipf(rng)];
    }
  }
  return docs;
}

}  // namespace retold_bench
