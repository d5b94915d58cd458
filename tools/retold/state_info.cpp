// tools/retold/state_info.cpp - facts about a loaded state (state_info.hpp).
#include "state_info.hpp"

#include "common.hpp"
#include "input.hpp"

#include <retold/presets.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

namespace retold::cli {

state_facts facts_of(const deduplicator& d, const std::string& dir) {
  state_facts f;
  for (const auto& c : d.clusters(1))
    for (const auto& m : c.members) {
      if (m.timestamp == 0) continue;
      if (f.timestamps++ == 0) f.first_timestamp = f.last_timestamp = m.timestamp;
      f.first_timestamp = std::min(f.first_timestamp, m.timestamp);
      f.last_timestamp = std::max(f.last_timestamp, m.timestamp);
    }
  struct stat st {};
  if (!dir.empty() && ::stat((std::filesystem::path(dir) / "MANIFEST").c_str(), &st) == 0) f.saved_at = st.st_mtime;
  return f;
}

const char* embedding_name(const deduplicator_options& o) noexcept {
  return o.embedding == embedding_mode::builtin ? "builtin" : o.embedding == embedding_mode::external ? "external" : "none";
}

const char* decision_name(match_decision d) noexcept {
  return d == match_decision::model ? "model" : d == match_decision::rule ? "rule" : "auto";
}

std::optional<std::string> preset_of(const deduplicator_options& o) {
  for (auto p : {match_preset::copies, match_preset::retellings, match_preset::stories}) {
    deduplicator_options c = o;
    apply_match_preset(c, p);
    if (c.decision == o.decision && c.match_threshold == o.match_threshold && c.copy_jaccard == o.copy_jaccard &&
        c.scoring.jaccard_threshold == o.scoring.jaccard_threshold &&
        c.scoring.cosine_threshold == o.scoring.cosine_threshold &&
        c.scoring.combined_weight_jaccard == o.scoring.combined_weight_jaccard &&
        c.scoring.combined_threshold == o.scoring.combined_threshold)
      return std::string(match_preset_name(p));
  }
  return std::nullopt;
}

void append_runtime_options_json(std::string& js, const deduplicator_options& o) {
  const auto preset = preset_of(o);
  js += "{\"match\":";
  js += preset ? "\"" + *preset + "\"" : std::string("\"custom\"");
  js += ",\"decision\":\"" + std::string(decision_name(o.decision)) + "\"";
  js += ",\"match_threshold\":" + fmt_double(o.match_threshold);
  js += ",\"jaccard_threshold\":" + fmt_double(o.scoring.jaccard_threshold);
  js += ",\"cosine_threshold\":" + fmt_double(o.scoring.cosine_threshold);
  js += ",\"combined_weight\":" + fmt_double(o.scoring.combined_weight_jaccard);
  js += ",\"combined_threshold\":" + fmt_double(o.scoring.combined_threshold);
  js += ",\"copy_jaccard\":" + fmt_double(o.copy_jaccard);
  js += ",\"time_window_seconds\":" + std::to_string(o.time_window_seconds);
  js += ",\"retention_seconds\":" + std::to_string(o.retention_seconds);
  js += ",\"source_priority\":[";
  for (std::size_t i = 0; i < o.representative.source_priority.size(); ++i) {
    if (i) js += ',';
    append_json_string(js, o.representative.source_priority[i]);
  }
  js += "],\"max_document_bytes\":" + std::to_string(o.max_document_bytes);
  js += ",\"vector_candidates\":" + std::to_string(o.vector_candidates);
  js += ",\"snippet_bytes\":" + std::to_string(o.snippet_bytes);
  js += ",\"keep_text\":" + std::string(o.keep_text ? "true" : "false") + "}";
}

std::string runtime_options_text(const deduplicator_options& o) {
  auto days = [](std::int64_t s) { return s ? fmt_double(s / 86400.0, 2) + " days" : std::string("none"); };
  const auto preset = preset_of(o);
  std::string sp;
  for (const auto& s : o.representative.source_priority) sp += (sp.empty() ? "" : ",") + s;
  std::string t;
  t += "match:                  " + (preset ? *preset : std::string("custom (no preset)")) + "\n";
  t += "decision:               " + std::string(decision_name(o.decision)) +
       (o.match_threshold > 0 ? ", match threshold " + fmt_double(o.match_threshold, 3) : ", model's threshold") + "\n";
  t += "rule thresholds:        jaccard " + fmt_double(o.scoring.jaccard_threshold, 3) + ", cosine " +
       fmt_double(o.scoring.cosine_threshold, 3) + ", combined " + fmt_double(o.scoring.combined_threshold, 3) +
       " (weight " + fmt_double(o.scoring.combined_weight_jaccard, 2) + ")\n";
  t += "copy jaccard:           " + fmt_double(o.copy_jaccard, 3) + "\n";
  t += "time window:            " + days(o.time_window_seconds) + "\n";
  t += "retention:              " + days(o.retention_seconds) + "\n";
  t += "source priority:        " + (sp.empty() ? std::string("none") : sp) + "\n";
  t += "max document bytes:     " + human_count(o.max_document_bytes) + "\n";
  t += "vector candidates:      " + std::to_string(o.vector_candidates) + "\n";
  t += "snippet bytes:          " + std::to_string(o.snippet_bytes) + (o.keep_text ? " (full texts kept too)" : "") + "\n";
  return t;
}

}  // namespace retold::cli
