// src/features/detail/hash_mix.hpp - the one integer mixer shared by shingles, MinHash and the
// embedder (internal). Changing it changes every stored signature and embedding.
#pragma once

#include <cstdint>

namespace retold::detail {

/// MurmurHash3's 64-bit finalizer: a bijective mixer with full avalanche.
inline std::uint64_t fmix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace retold::detail
