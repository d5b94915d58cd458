// tests/fuzz/state_codec.hpp - how fuzz_state turns its input into a state directory, shared
// with the seed generator (make_state_seeds.cpp) so seeds are real saved states in that form.
//
// Input: byte 0 = flags, byte 1 = part versions, then chunks separated by kSeparator.
//   flags bit 0 clear, "payload" form: the chunks are the payloads of the six state parts in
//     load order (options, documents, signatures, vectors, embedder, clusters); the target writes
//     them with the real container code (headers, checksums, MANIFEST), so mutations reach the
//     payload parsers instead of dying at a checksum. Bit i of byte 1 set: part i is of the
//     previous format version (kFormatVersion - 1), else of the current one.
//   flags bit 0 set, "raw" form: each chunk is "<file name>\0<file bytes>", written as is (the
//     MANIFEST too), so the container and MANIFEST checks are fuzzed as well.
//   flags bit 1: load with default-option overrides instead of none.
//   flags bit 2: after a successful load, use the state (query, add, remove, save, load again).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace retold_fuzz {

/// The deduplicator's state format version (src/dedup/persist.cpp): parts are written at it.
inline constexpr std::uint32_t kFormatVersion = 4;

inline constexpr std::string_view kSeparator = "\xffRTFZ\xfe";

/// The six parts in the order deduplicator::load reads them (src/dedup/persist.cpp).
struct part_name {
  const char* name;
  const char* kind;
};
inline constexpr part_name kParts[6] = {
    {"options.rtd", "dedup.options"}, {"documents.rtd", "dedup.docs"},   {"signatures.rtd", "dedup.sigs"},
    {"vectors.rtd", "dedup.vectors"}, {"embedder.rtd", "dedup.embedder"}, {"clusters.rtd", "dedup.clusters"},
};

inline std::vector<std::string_view> split_chunks(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(kSeparator);
    if (at == std::string_view::npos) {
      out.push_back(s);
      return out;
    }
    out.push_back(s.substr(0, at));
    s.remove_prefix(at + kSeparator.size());
  }
}

inline std::string join_chunks(const std::vector<std::string>& chunks) {
  std::string out;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    if (i) out += kSeparator;
    out += chunks[i];
  }
  return out;
}

}  // namespace retold_fuzz
