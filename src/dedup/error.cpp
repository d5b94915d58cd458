#include <retold/error.hpp>

namespace retold {

const char* errc_name(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid_argument";
    case errc::invalid_utf8: return "invalid_utf8";
    case errc::not_found: return "not_found";
    case errc::incompatible: return "incompatible";
    case errc::io: return "io";
    case errc::corrupted_state: return "corrupted_state";
    case errc::out_of_memory: return "out_of_memory";
    case errc::too_large: return "too_large";
    case errc::duplicate_id: return "duplicate_id";
    case errc::parse: return "parse";
    case errc::conflict: return "conflict";
    case errc::internal: return "internal";
  }
  return "unknown";
}

}  // namespace retold
