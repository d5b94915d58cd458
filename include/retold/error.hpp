// retold/error.hpp - the single error model of the C++ API.
//
// Every failure in retold is thrown as retold::error (or std::bad_alloc for memory
// exhaustion). The code is pinned: the C ABI maps each errc one to one onto its
// negative RETOLD_E* status, so the numeric values here never change.
#pragma once

#include <retold/export.hpp>

#include <stdexcept>
#include <string>

namespace retold {

/// Error categories. Values are part of the C ABI (negated there): never renumber.
enum class errc : int {
  ok = 0,
  invalid_argument = 1,   ///< a parameter is out of range, empty where it must not be, ...
  invalid_utf8 = 2,       ///< text is not valid UTF-8 (the message names the byte offset)
  not_found = 3,          ///< an id that is not stored
  incompatible = 4,       ///< signatures/vectors/state made by another configuration
  io = 5,                 ///< the operating system refused a read, write, rename or fsync
  corrupted_state = 6,    ///< a state file failed its magic, version, size or checksum check
  out_of_memory = 7,      ///< allocation failed
  too_large = 8,          ///< input exceeds a configured limit (document size, batch, ...)
  duplicate_id = 9,       ///< a document id that is already stored
  parse = 10,             ///< malformed input record (JSON line, CSV row)
  conflict = 11,          ///< another writer changed the state directory since this one loaded
                          ///< or saved it (or it is being written now); the message says what
                          ///< to do: reload and re-apply, or save with save_mode::replace
  internal = 99,          ///< a bug in retold: please report it
};

/// Short stable name of a code ("invalid_utf8", ...). Thread-safe; the string is static.
RETOLD_API const char* errc_name(errc code) noexcept;

/// The one exception type retold throws. what() names what was wrong (the id, the file,
/// the byte offset) so a caller can log it as it is.
class RETOLD_API error : public std::runtime_error {
 public:
  error(errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  /// The category, for programmatic handling.
  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

}  // namespace retold
