// tools/retold/cmd_query.cpp - `retold query`: documents of a saved state similar to a text, to
// each document of an input, or the story of a stored document. Stores nothing.
#include "commands.hpp"
#include "input.hpp"
#include "output.hpp"

#include <retold/dedup.hpp>

#include <cstdio>

namespace retold::cli {

int run_query(query_flags& f, CLI::App* app) {
  const deduplicator d = deduplicator::load(f.state);
  query_options q;
  q.top_k = f.top_k;
  q.accepted_only = !f.all;
  output_sink out(f.output);
  if (!f.id.empty()) {
    const auto c = d.cluster(d.cluster_of(f.id));
    append_cluster(out.buffer(), c);
    out.commit();
    return exit_ok;
  }
  if (app->count("--text")) {
    std::string& o = out.buffer();
    o += '{';
    append_record_head(o, "matches");
    o += ',';
    const auto found = d.query(f.text, q);
    append_matches(o, d, found);
    o += "}\n";
    out.commit();
    if (found.empty() && !f.all) {
      // Short texts share few word 5-grams and carry little evidence, so they rarely pass.
      std::size_t words = 0;
      bool in_word = false;
      for (unsigned char c : f.text) {
        const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r';
        words += !space && !in_word;
        in_word = !space;
      }
      std::fprintf(stderr,
                   "retold: no stored document matched%s; --all lists the rejected candidates with their "
                   "scores\n",
                   words < 30 ? (" (the text has " + std::to_string(words) +
                                 " words: short texts carry little evidence and rarely pass)").c_str()
                              : "");
    }
    return exit_ok;
  }
  input_options in = finish_input_flags(f.input);
  record_reader reader(f.input.inputs, in, nullptr);
  std::vector<input_record> recs;
  std::vector<bad_record> bad;
  for (;;) {
    bad.clear();
    const std::size_t n = reader.next_batch(recs, 256, bad);
    for (const auto& b : bad)
      std::fprintf(stderr, "retold: %s:%llu: skipped (%s): %s\n", reader.file_name(b.file_index).c_str(),
                   static_cast<unsigned long long>(b.line), b.reason.c_str(), b.message.c_str());
    if (n == 0 && bad.empty()) break;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& r = recs[i];
      query_options qi = q;
      if (r.has_timestamp) qi.timestamp = r.timestamp;
      std::string& o = out.buffer();
      o += '{';
      append_record_head(o, "matches");
      o += ",\"id\":";
      append_json_string(o, r.id);
      o += ',';
      const std::string text = r.title.empty() ? r.text : r.title + "\n\n" + r.text;
      append_matches(o, d, d.query(text, qi));
      o += "}\n";
      out.maybe_flush();
    }
  }
  out.commit();
  return exit_ok;
}

}  // namespace retold::cli
