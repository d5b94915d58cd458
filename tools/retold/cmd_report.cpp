// tools/retold/cmd_report.cpp - `retold report`: the HTML page of a state (report_html.hpp),
// with a night's JSON summary (`retold dedup --summary FILE`) when one is given. Takes no
// writer lock; writes the page atomically.
#include "commands.hpp"
#include "output.hpp"
#include "report_html.hpp"

#include <retold/dedup.hpp>
#include <retold/error.hpp>

#include <simdjson.h>

namespace retold::cli {

night_summary read_night_summary(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.load(path).get(doc))
    throw error(errc::io, "--summary " + path + ": " + simdjson::error_message(e));
  simdjson::dom::object obj;
  std::string_view command;
  if (doc.get_object().get(obj) || obj["command"].get_string().get(command) || command != "dedup")
    throw error(errc::invalid_argument, "--summary " + path + ": not the JSON summary of `retold dedup`");
  night_summary n;
  auto num = [&](const char* key, std::uint64_t& out) {
    std::uint64_t v = 0;
    if (!obj[key].get_uint64().get(v)) out = v;
  };
  num("documents_read", n.documents_read);
  num("documents_added", n.documents_added);
  num("new_stories", n.new_stories);
  num("retellings", n.retellings);
  num("evicted", n.evicted);
  bool saved = false;
  if (!obj["state_saved"].get_bool().get(saved)) n.state_saved = saved;
  simdjson::dom::object skipped, reasons, stages;
  if (!obj["skipped"].get_object().get(skipped)) {
    std::uint64_t v = 0;
    if (!skipped["total"].get_uint64().get(v)) n.skipped = v;
    if (!skipped["by_reason"].get_object().get(reasons))
      for (auto [k, val] : reasons) {
        std::uint64_t c = 0;
        if (!val.get_uint64().get(c)) n.skipped_by_reason[std::string(k)] = c;
      }
  }
  if (!obj["stage_seconds"].get_object().get(stages))
    for (auto [k, val] : stages) {
      double s = 0;
      if (!val.get_double().get(s)) n.stage_seconds.emplace_back(std::string(k), s);
    }
  return n;
}

int run_report(report_flags& f) {
  const deduplicator d = deduplicator::load(f.state);
  report_request req;
  req.state_dir = f.state;
  req.max_stories = f.max_stories;
  req.max_singles = f.max_singles;
  if (!f.summary_file.empty()) req.night = read_night_summary(f.summary_file);
  if (!f.title.empty()) req.title = f.title;
  output_sink out(f.output);
  out.buffer() = render_report(d, req);
  out.commit();
  return exit_ok;
}

}  // namespace retold::cli
