// retold/presets.hpp - named choices of what counts as one story.
//
// A preset sets the fields of deduplicator_options that decide whether two reports are the same
// story: `decision`, `match_threshold`, `scoring` and `copy_jaccard`. All of them are runtime
// fields, so a preset may be changed when a state is loaded. Nothing else is touched (the time
// window, the representative policy, structural options stay as they are). What each preset
// merges and keeps apart, measured on the evaluation data, is in docs/cli.md ("Match presets").
#pragma once

#include <retold/dedup.hpp>
#include <retold/export.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace retold {

/// What counts as one story.
enum class match_preset : std::uint8_t {
  copies = 0,      ///< the same article, edited: trimmed, credited, lightly reworded (5-shingle Jaccard rule)
  retellings = 1,  ///< one report retold, paraphrased or translated into other words: the default options
  stories = 2,     ///< also follow-ups and independent reports of the same event (the model, lower threshold)
};

/// Sets the match fields of `options` (decision, match_threshold, scoring, copy_jaccard) to those
/// of `preset`; every other field is left alone. apply_match_preset(o, match_preset::retellings)
/// gives exactly the defaults of deduplicator_options. Throws errc::invalid_argument for a value
/// outside the enum. Not synchronized: `options` is the caller's.
RETOLD_API void apply_match_preset(deduplicator_options& options, match_preset preset);

/// Stable lowercase name ("copies", "retellings", "stories"); "unknown" for a value outside the
/// enum. Static string, thread-safe.
RETOLD_API const char* match_preset_name(match_preset preset) noexcept;

/// The preset named `name` (exactly as match_preset_name spells it); nullopt otherwise.
/// Thread-safe.
RETOLD_API std::optional<match_preset> parse_match_preset(std::string_view name) noexcept;

}  // namespace retold
