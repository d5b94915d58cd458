// tools/retold/cmd_stats_export.cpp - `retold stats` and `retold export`: read a saved state,
// take no writer lock.
#include "commands.hpp"
#include "input.hpp"
#include "output.hpp"
#include "state_info.hpp"

#include <retold/dedup.hpp>

#include <cstdio>

namespace retold::cli {

int run_stats(state_flags& f) {
  const auto t = clock_type::now();
  const deduplicator d = deduplicator::load(f.state);
  const double load_s = seconds_since(t);
  const auto s = d.stats();
  const auto& o = d.options();
  const state_facts facts = facts_of(d, f.state);
  if (f.json) {
    std::string js = "{";
    append_record_head(js, "stats");
    js += ",\"state\":";
    append_json_string(js, f.state);
    js += ",\"documents\":" + std::to_string(s.documents) + ",\"clusters\":" + std::to_string(s.clusters) +
          ",\"multi_member_clusters\":" + std::to_string(s.multi_member_clusters) +
          ",\"documents_added_total\":" + std::to_string(s.documents_added_total) +
          ",\"documents_removed_total\":" + std::to_string(s.documents_removed_total) +
          ",\"memory_bytes\":" + std::to_string(s.memory_bytes) + ",\"embedding\":\"" + embedding_name(o) + "\"" +
          ",\"jaccard_threshold\":" + fmt_double(o.scoring.jaccard_threshold) +
          ",\"cosine_threshold\":" + fmt_double(o.scoring.cosine_threshold) +
          ",\"combined_threshold\":" + fmt_double(o.scoring.combined_threshold) +
          ",\"time_window_seconds\":" + std::to_string(o.time_window_seconds);
    js += ",\"options\":";
    append_runtime_options_json(js, o);
    js += ",\"timestamp_range\":";
    if (facts.timestamps) {
      js += "{\"first\":" + std::to_string(facts.first_timestamp) + ",\"last\":" + std::to_string(facts.last_timestamp) +
            ",\"first_time\":\"" + format_iso8601(facts.first_timestamp) + "\",\"last_time\":\"" +
            format_iso8601(facts.last_timestamp) + "\"}";
    } else {
      js += "null";
    }
    js += ",\"last_save\":";
    if (facts.saved_at) {
      js += "{\"unix\":" + std::to_string(*facts.saved_at) + ",\"time\":\"" + format_iso8601(*facts.saved_at) + "\"}";
    } else {
      js += "null";
    }
    js += ",\"load_seconds\":" + fmt_double(load_s, 3) + "}\n";
    std::fputs(js.c_str(), stdout);
  } else {
    std::printf("state:                  %s\n", f.state.c_str());
    std::printf("last save:              %s\n",
                facts.saved_at ? (format_iso8601(*facts.saved_at) + " (MANIFEST written)").c_str() : "unknown");
    std::printf("documents:              %s\n", human_count(s.documents).c_str());
    std::printf("stories:                %s (%s with retellings)\n", human_count(s.clusters).c_str(),
                human_count(s.multi_member_clusters).c_str());
    std::printf("timestamps:             %s\n",
                facts.timestamps ? (format_iso8601(facts.first_timestamp) + " .. " + format_iso8601(facts.last_timestamp))
                                       .c_str()
                                 : "none");
    std::printf("added / removed total:  %s / %s\n", human_count(s.documents_added_total).c_str(),
                human_count(s.documents_removed_total).c_str());
    std::printf("memory (estimate):      %.1f MiB\n", static_cast<double>(s.memory_bytes) / (1 << 20));
    std::printf("embedding:              %s\n", embedding_name(o));
    std::fputs(runtime_options_text(o).c_str(), stdout);
    std::printf("load time:              %.3f s\n", load_s);
  }
  return exit_ok;
}

int run_export(state_flags& f) {
  const deduplicator d = deduplicator::load(f.state);
  output_sink out(f.output);
  write_clusters(d, out, f.min_members, nullptr);
  return exit_ok;
}

}  // namespace retold::cli
