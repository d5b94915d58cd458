// tests/fuzz/fuzz_text.cpp - normalization, tokenization, shingling and MinHash of arbitrary bytes.
//
// Input: 8 option bytes, then the text.
//   [0] bits: casefold, fold_punctuation, strip_boilerplate, replace_invalid_utf8, shingle kind
//   [1] shingle n (1..8; 0xFF: about 2^32, then one more byte)    [2..3] num_hashes (1..512, or 4096 when all bits are set)
//   [4] scheme              [5..7] seed bits
// Checks, besides "no crash, no sanitizer report": invalid UTF-8 is reported exactly when
// is_valid_utf8() says so, the normalized text is well formed (valid UTF-8, single spaces, no
// leading/trailing space), normalize_into() agrees with normalize(), the shingle count follows
// shingle.hpp, the signature has num_hashes values, is empty exactly for no shingles, matches
// itself, and survives serialize/deserialize.
#include "fuzz_util.hpp"

#include <retold/error.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retold_fuzz::bytes in(data, size);
  const std::uint8_t bits = in.u8();
  retold::normalize_options nopts;
  nopts.casefold = bits & 1;
  nopts.fold_punctuation = bits & 2;
  nopts.strip_boilerplate = bits & 4;
  nopts.replace_invalid_utf8 = bits & 8;
  retold::shingle_options sopts;
  sopts.kind = (bits & 16) ? retold::shingle_kind::character : retold::shingle_kind::word;
  const std::uint8_t nb = in.u8();
  sopts.n = nb == 0xFF ? 0xFFFFFFFFu - in.u8() : 1 + nb % 8;  // huge n: one whole-text shingle
  const std::uint16_t h = in.u16();
  retold::minhash_config mcfg;
  // 4096, not the allowed maximum 65536: densification costs about k^2 / (filled bins), so a
  // one-shingle text at 65536 takes seconds (a known cost, reported, not a crash).
  mcfg.num_hashes = h == 0xFFFF ? 4096 : 1 + h % 512;
  mcfg.scheme = (in.u8() & 1) ? retold::minhash_scheme::multiply_shift : retold::minhash_scheme::one_permutation;
  mcfg.seed = in.u16() | (static_cast<std::uint64_t>(in.u8()) << 40);
  const std::string_view text = in.rest();

  const std::string stripped = retold::strip_boilerplate(text);
  FUZZ_CHECK(stripped.size() <= text.size() + 1);

  std::size_t bad = 0;
  const bool valid = retold::is_valid_utf8(text, &bad);
  if (!valid) FUZZ_CHECK(bad < text.size());

  std::string norm;
  try {
    norm = retold::normalize(text, nopts);
  } catch (const retold::error& e) {
    FUZZ_CHECK(e.code() == retold::errc::invalid_utf8);
    FUZZ_CHECK(!nopts.replace_invalid_utf8 && !valid);
    return 0;
  }
  FUZZ_CHECK(valid || nopts.replace_invalid_utf8);
  FUZZ_CHECK(retold::is_valid_utf8(norm));
  if (!norm.empty()) FUZZ_CHECK(norm.front() != ' ' && norm.back() != ' ');
  FUZZ_CHECK(norm.find("  ") == std::string::npos);
  std::string into = "left over";
  retold::normalize_into(text, into, nopts);
  FUZZ_CHECK(into == norm);

  const auto tokens = retold::tokenize(norm);
  for (auto t : tokens) FUZZ_CHECK(!t.empty() && t.find(' ') == std::string_view::npos);

  const auto shingles = retold::shingle_hashes(norm, sopts);
  if (sopts.kind == retold::shingle_kind::word) {
    const std::size_t want = tokens.empty() ? 0 : tokens.size() < sopts.n ? 1 : tokens.size() - sopts.n + 1;
    FUZZ_CHECK(shingles.size() == want);
  } else {
    FUZZ_CHECK(norm.empty() == shingles.empty());
  }
  std::vector<std::uint64_t> appended = {42};
  retold::shingle_hashes(norm, sopts, appended);
  FUZZ_CHECK(appended.size() == shingles.size() + 1 &&
             std::equal(shingles.begin(), shingles.end(), appended.begin() + 1));

  const retold::minhasher mh(mcfg);
  const retold::signature sig = mh.compute(shingles);
  FUZZ_CHECK(sig.values().size() == mcfg.num_hashes);
  FUZZ_CHECK(sig.empty() == shingles.empty());
  FUZZ_CHECK(retold::estimate_jaccard(sig, sig) == (sig.empty() ? 0.0 : 1.0));
  std::vector<std::uint32_t> raw(mcfg.num_hashes);
  mh.compute_into(shingles, raw);
  FUZZ_CHECK(std::equal(raw.begin(), raw.end(), sig.values().begin()));
  const auto ser = sig.serialize();
  FUZZ_CHECK(ser.size() == retold::signature::serialized_size(mcfg.num_hashes));
  FUZZ_CHECK(retold::signature::deserialize(ser) == sig);
  return 0;
}
