// Boilerplate stripping into a caller's buffer (strip_boilerplate() in retold/text.hpp returns a
// new string): normalize_into() reuses one per thread instead of allocating per document.
#pragma once

#include <string>
#include <string_view>

namespace retold::detail {

/// strip_boilerplate(text) written into `out` (cleared first; its capacity is kept). `out` must
/// not alias `text`. Thread-safe for distinct `out`.
void strip_boilerplate_into(std::string_view text, std::string& out);

}  // namespace retold::detail
