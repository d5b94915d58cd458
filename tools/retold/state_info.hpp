// tools/retold/state_info.hpp - what the tool tells a person about a loaded state: the runtime
// options in force (and the match preset they equal), the timestamp range, the last save.
#pragma once

#include <retold/dedup.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace retold::cli {

/// Facts read from a loaded state and its directory. Plain value.
struct state_facts {
  std::size_t timestamps = 0;  ///< documents whose timestamp is not 0 (0 means "none given")
  std::int64_t first_timestamp = 0, last_timestamp = 0;
  std::optional<std::int64_t> saved_at;  ///< Unix seconds the MANIFEST was last written
};

/// Walks every story of `d` (O(documents)); `dir` is the state directory it was loaded from.
state_facts facts_of(const deduplicator& d, const std::string& dir);

/// "builtin", "external" or "none".
const char* embedding_name(const deduplicator_options& o) noexcept;
/// "auto", "model" or "rule".
const char* decision_name(match_decision d) noexcept;
/// The name of the match preset whose fields `o` holds exactly, or nullopt ("custom").
std::optional<std::string> preset_of(const deduplicator_options& o);

/// Appends the runtime options as a JSON object (docs/cli.md, the stats record).
void append_runtime_options_json(std::string& js, const deduplicator_options& o);
/// The runtime options as aligned "name: value" lines, for `stats`.
std::string runtime_options_text(const deduplicator_options& o);

}  // namespace retold::cli
