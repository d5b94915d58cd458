// Internal UTF-8 decoding shared by validation and normalization.
#pragma once

#include <cstddef>
#include <cstdint>

namespace retold::detail {

/// Decodes one UTF-8 sequence at p (avail >= 1 bytes). On success returns its length (1..4) and
/// sets cp. On failure returns -(length of the maximal invalid subpart), at least 1, following the
/// Unicode "substitution of maximal subparts" practice (so one U+FFFD replaces each of them).
inline int decode_utf8(const unsigned char* p, std::size_t avail, char32_t& cp) noexcept {
  const unsigned c0 = p[0];
  if (c0 < 0x80) {
    cp = c0;
    return 1;
  }
  int len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  char32_t v;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    len = 2;
    v = c0 & 0x1F;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    len = 3;
    v = c0 & 0x0F;
    if (c0 == 0xE0) lo = 0xA0;        // overlong
    else if (c0 == 0xED) hi = 0x9F;   // surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    len = 4;
    v = c0 & 0x07;
    if (c0 == 0xF0) lo = 0x90;        // overlong
    else if (c0 == 0xF4) hi = 0x8F;   // above U+10FFFF
  } else {
    return -1;  // continuation byte, C0/C1 overlong lead, F5..FF
  }
  for (int k = 1; k < len; ++k) {
    if (static_cast<std::size_t>(k) >= avail) return -k;
    const unsigned c = p[k];
    const unsigned l = (k == 1) ? lo : 0x80u, h = (k == 1) ? hi : 0xBFu;
    if (c < l || c > h) return -k;
    v = (v << 6) | (c & 0x3F);
  }
  cp = v;
  return len;
}

}  // namespace retold::detail
