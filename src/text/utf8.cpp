#include <retold/text.hpp>

#include "text/detail/utf8.hpp"

#include <cstring>

namespace retold {

bool is_valid_utf8(std::string_view text, std::size_t* error_offset) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {  // skip ASCII eight bytes at a time
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    char32_t cp;
    const int len = detail::decode_utf8(p + i, n - i, cp);
    if (len < 0) {
      if (error_offset) *error_offset = i;
      return false;
    }
    i += static_cast<std::size_t>(len);
  }
  return true;
}

}  // namespace retold
