// tests/fuzz/fuzz_signature.cpp - retold::signature::deserialize of arbitrary bytes.
//
// Input: the serialized bytes. Expected outcomes: a signature, or retold::error with
// corrupted_state / incompatible (minhash.hpp). Checks: a signature that loads serializes back
// to the input bytes (but for the reserved byte), is self-consistent, and compares with itself.
#include "fuzz_util.hpp"

#include <retold/error.hpp>
#include <retold/minhash.hpp>

#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  try {
    const retold::signature s = retold::signature::deserialize(bytes);
    const auto back = s.serialize();
    // Byte 7 is the reserved byte: written 0, not checked on read (so it may be used later).
    FUZZ_CHECK(back.size() == size && std::equal(back.begin(), back.begin() + 7, data) &&
               std::equal(back.begin() + 8, back.end(), data + 8));
    FUZZ_CHECK(s.values().size() == s.config().num_hashes);
    retold::validate(s.config());
    const double j = retold::estimate_jaccard(s, s);
    FUZZ_CHECK(j == (s.empty() ? 0.0 : j));
    FUZZ_CHECK(j >= 0.0 && j <= 1.0);
    FUZZ_CHECK(retold::signature(s.config(), std::vector<std::uint32_t>(s.values().begin(), s.values().end())) == s);
  } catch (const retold::error& e) {
    FUZZ_CHECK(e.code() == retold::errc::corrupted_state || e.code() == retold::errc::incompatible);
  }
  return 0;
}
