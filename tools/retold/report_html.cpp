// tools/retold/report_html.cpp - the HTML page of `retold report` (report_html.hpp).
#include "report_html.hpp"

#include "common.hpp"
#include "input.hpp"
#include "output.hpp"
#include "state_info.hpp"

#include <retold/version.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <unordered_set>

namespace retold::cli {
namespace {

std::string esc(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 16);
  for (char c : s) switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  return o;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> w;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const std::size_t b = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > b) w.push_back(s.substr(b, i - b));
  }
  return w;
}

// The comparison key of a word: ASCII letters lowered, ASCII punctuation dropped, other bytes kept.
std::string key_of(const std::string& w) {
  std::string k;
  for (unsigned char c : w) {
    if (c < 0x80 && !std::isalnum(c)) continue;
    k += c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
  }
  return k;
}

std::string run_key(const std::vector<std::string>& keys, std::size_t i, std::size_t n) {
  std::string k;
  for (std::size_t j = i; j < i + n; ++j) k += keys[j] + '\x1f';
  return k;
}

// Marks the words of `keys` covered by an n-gram that is in `other`.
std::vector<bool> mark(const std::vector<std::string>& keys, const std::unordered_set<std::string>& other, std::size_t n) {
  std::vector<bool> m(keys.size(), false);
  for (std::size_t i = 0; i + n <= keys.size(); ++i)
    if (other.count(run_key(keys, i, n)))
      for (std::size_t j = i; j < i + n; ++j) m[j] = true;
  return m;
}

std::unordered_set<std::string> grams(const std::vector<std::string>& keys, std::size_t n) {
  std::unordered_set<std::string> g;
  for (std::size_t i = 0; i + n <= keys.size(); ++i) g.insert(run_key(keys, i, n));
  return g;
}

// The words as HTML, shared runs inside <mark>.
std::string highlighted(const std::vector<std::string>& words, const std::vector<bool>& in) {
  std::string o;
  bool open = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (in[i] && !open) {
      if (i) o += ' ';
      o += "<mark>";
      open = true;
    } else if (!in[i] && open) {
      o += "</mark> ";
      open = false;
    } else if (i) {
      o += ' ';
    }
    o += esc(words[i]);
  }
  if (open) o += "</mark>";
  return o;
}

std::string time_of(std::int64_t t) { return t ? format_iso8601(t) : std::string("-"); }

// A bar chart as inline SVG: `labels[i]` under a bar of height counts[i]; an optional vertical
// marker at fraction `marker` (0..1) of the width, labelled.
std::string histogram_svg(const std::string& id, const std::string& caption, const std::vector<std::string>& labels,
                          const std::vector<std::uint64_t>& counts, std::optional<double> marker,
                          const std::string& marker_label) {
  const double w = 640, h = 200, left = 44, bottom = 34, top = 14;
  const std::uint64_t peak = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  const double bw = (w - left - 8) / std::max<std::size_t>(1, counts.size());
  std::string o = "<figure class=\"hist\" id=\"" + id + "\"><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                  fmt_double(w, 0) + " " + fmt_double(h, 0) + "\" role=\"img\" aria-label=\"" + esc(caption) + "\">";
  o += "<line x1=\"" + fmt_double(left, 0) + "\" y1=\"" + fmt_double(h - bottom, 0) + "\" x2=\"" + fmt_double(w - 4, 0) +
       "\" y2=\"" + fmt_double(h - bottom, 0) + "\" class=\"axis\"/>";
  o += "<text x=\"" + fmt_double(left - 6, 0) + "\" y=\"" + fmt_double(top + 4, 0) + "\" class=\"tick\" text-anchor=\"end\">" +
       std::to_string(peak) + "</text>";
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const double bh = peak ? (h - bottom - top) * double(counts[i]) / double(peak) : 0;
    const double x = left + i * bw;
    o += "<rect class=\"bar\" x=\"" + fmt_double(x + 1, 1) + "\" y=\"" + fmt_double(h - bottom - bh, 1) + "\" width=\"" +
         fmt_double(std::max(1.0, bw - 2), 1) + "\" height=\"" + fmt_double(bh, 1) + "\"><title>" + esc(labels[i]) + ": " +
         std::to_string(counts[i]) + "</title></rect>";
    const bool show = counts.size() <= 12 || i % 2 == 0;
    if (show)
      o += "<text class=\"tick\" x=\"" + fmt_double(x + bw / 2, 1) + "\" y=\"" + fmt_double(h - bottom + 14, 0) +
           "\" text-anchor=\"middle\">" + esc(labels[i]) + "</text>";
  }
  if (marker) {
    const double x = left + *marker * (w - left - 8);
    o += "<line class=\"marker\" x1=\"" + fmt_double(x, 1) + "\" y1=\"" + fmt_double(top - 6, 0) + "\" x2=\"" +
         fmt_double(x, 1) + "\" y2=\"" + fmt_double(h - bottom, 0) + "\"/><text class=\"tick marker-label\" x=\"" +
         fmt_double(x + 4, 1) + "\" y=\"" + fmt_double(top + 4, 0) + "\">" + esc(marker_label) + "</text>";
  }
  o += "</svg><figcaption>" + esc(caption) + "</figcaption></figure>";
  return o;
}

const char* const page_style = R"CSS(
:root{--ink:#1d232b;--muted:#5b6673;--line:#d8dde3;--bg:#f6f7f9;--card:#fff;--accent:#2f6fb0;--mark:#ffe58a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg)}
header{background:#1f3550;color:#fff;padding:16px 24px}
header h1{margin:0 0 4px;font-size:20px}
header p{margin:0;color:#c9d6e4}
main{padding:16px 24px;max-width:1280px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:0 0 16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}
.card span{color:var(--muted);font-size:12px}
section.panel{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600;font-size:12px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.time{white-space:nowrap}
.hists{display:flex;flex-wrap:wrap;gap:16px}
figure.hist{margin:0;flex:1 1 420px;max-width:640px}
figure.hist svg{width:100%;height:auto;background:#fbfcfd;border:1px solid var(--line);border-radius:4px}
figcaption{color:var(--muted);font-size:12px}
.bar{fill:var(--accent)}
.axis{stroke:#8a96a3}
.marker{stroke:#c0392b;stroke-width:2;stroke-dasharray:4 3}
.tick{font-size:11px;fill:#5b6673}
.marker-label{fill:#c0392b}
.tools{margin:0 0 12px;display:flex;gap:12px;align-items:center}
.tools input[type=search]{padding:5px 8px;width:320px;border:1px solid var(--line);border-radius:4px}
article.story{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:6px;padding:10px 14px;margin:0 0 12px}
article.story h3{margin:0 0 2px;font-size:15px}
.meta{color:var(--muted);font-size:12px;margin:0 0 6px}
.rep{font-weight:600}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin:6px 0 10px}
.pair > div{background:#fafbfc;border:1px solid var(--line);border-radius:4px;padding:6px 8px}
.pair h4{margin:0 0 4px;font-size:12px;color:var(--muted);font-weight:600}
.passage{font-size:12px;color:var(--muted);margin:-4px 0 10px}
mark{background:var(--mark);padding:0 1px}
.decided{font-size:12px;color:var(--muted)}
.hidden{display:none}
footer{color:var(--muted);font-size:12px;padding:8px 24px 24px}
)CSS";

// Filters the stories by a search box; shows or hides the single-report list. No other script.
const char* const page_script = R"JS(
(function () {
  var box = document.getElementById('filter');
  var singles = document.getElementById('show-singles');
  var stories = Array.prototype.slice.call(document.querySelectorAll('.story'));
  function apply() {
    var q = box.value.trim().toLowerCase();
    var shown = 0;
    stories.forEach(function (s) {
      var single = s.classList.contains('single');
      var ok = (!q || s.textContent.toLowerCase().indexOf(q) >= 0) && (!single || singles.checked);
      s.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    document.getElementById('shown-count').textContent = String(shown);
  }
  box.addEventListener('input', apply);
  singles.addEventListener('change', apply);
  apply();
})();
)JS";

}  // namespace

shared_words find_shared_runs(const std::string& a, const std::string& b, std::size_t min_run) {
  shared_words s;
  s.words_a = split_words(a);
  s.words_b = split_words(b);
  std::vector<std::string> ka, kb;
  for (const auto& w : s.words_a) ka.push_back(key_of(w));
  for (const auto& w : s.words_b) kb.push_back(key_of(w));
  const std::size_t n = std::max<std::size_t>(1, min_run);
  s.in_a = mark(ka, grams(kb, n), n);
  s.in_b = mark(kb, grams(ka, n), n);
  return s;
}

std::string render_report(const deduplicator& d, const report_request& req) {
  const auto& opts = d.options();
  const auto stats = d.stats();
  const state_facts facts = facts_of(d, req.state_dir);
  auto all = d.clusters(1);

  std::vector<const cluster_info*> multi, singles;
  for (const auto& c : all) (c.members.size() > 1 ? multi : singles).push_back(&c);
  std::stable_sort(multi.begin(), multi.end(), [](auto* a, auto* b) { return a->members.size() > b->members.size(); });
  std::stable_sort(singles.begin(), singles.end(),
                   [](auto* a, auto* b) { return a->members.front().timestamp > b->members.front().timestamp; });
  const std::size_t multi_shown = std::min(multi.size(), req.max_stories);
  const std::size_t singles_shown = std::min(singles.size(), req.max_singles);

  // Histograms: the scores members joined with (leaders excluded), story sizes.
  const bool model = opts.decision != match_decision::rule && opts.embedding == embedding_mode::builtin;
  std::vector<std::uint64_t> score_bins(20, 0);
  std::uint64_t joined = 0;
  for (const auto* c : multi)
    for (std::size_t i = 1; i < c->members.size(); ++i) {
      const double v = std::clamp(c->members[i].scores.score, 0.0, 1.0);
      ++score_bins[std::min<std::size_t>(19, static_cast<std::size_t>(v * 20))];
      ++joined;
    }
  std::vector<std::string> score_labels;
  for (int i = 0; i < 20; ++i) score_labels.push_back(fmt_double(i * 0.05, 2));
  const std::vector<std::string> size_labels = {"1", "2", "3", "4", "5", "6-9", "10-19", "20-49", "50+"};
  std::vector<std::uint64_t> size_bins(size_labels.size(), 0);
  for (const auto& c : all) {
    const std::size_t n = c.members.size();
    const std::size_t b = n <= 5 ? n - 1 : n < 10 ? 5 : n < 20 ? 6 : n < 50 ? 7 : 8;
    ++size_bins[b];
  }
  const double threshold = model ? (opts.match_threshold > 0 ? opts.match_threshold : match_model::builtin().threshold)
                                 : opts.scoring.jaccard_threshold;
  const auto preset = preset_of(opts);

  std::string o;
  o.reserve(1 << 20);
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; img-src data:\">"
       "<title>" +
       esc(req.title) + "</title><style>" + page_style + "</style></head>\n";
  o += "<body data-stories-total=\"" + std::to_string(all.size()) + "\" data-stories-shown=\"" +
       std::to_string(multi_shown + singles_shown) + "\">\n";
  const std::time_t now = std::time(nullptr);
  o += "<header><h1>" + esc(req.title) + "</h1><p>state " + esc(req.state_dir.empty() ? "(none)" : req.state_dir) +
       " &middot; last save " + esc(facts.saved_at ? format_iso8601(*facts.saved_at) : "-") + " &middot; generated " +
       esc(format_iso8601(now)) + " by retold " RETOLD_VERSION_STRING "</p></header>\n<main>\n";

  o += "<div class=\"cards\">";
  auto card = [&](const std::string& id, const std::string& value, const std::string& what) {
    o += "<div class=\"card\" id=\"" + id + "\"><b>" + esc(value) + "</b><span>" + esc(what) + "</span></div>";
  };
  card("story-count", std::to_string(stats.clusters), "stories");
  card("multi-count", std::to_string(stats.multi_member_clusters), "with retellings");
  card("document-count", std::to_string(stats.documents), "documents");
  card("match-preset", preset ? *preset : "custom", "match");
  card("time-range", facts.timestamps ? format_iso8601(facts.first_timestamp).substr(0, 10) + " .. " +
                                            format_iso8601(facts.last_timestamp).substr(0, 10)
                                      : "-",
       "timestamps");
  o += "</div>\n";

  if (req.night) {
    const auto& n = *req.night;
    o += "<section class=\"panel\" id=\"night\"><h2>The night</h2><table><tr><th class=\"num\">read</th><th "
         "class=\"num\">added</th><th class=\"num\">new stories</th><th class=\"num\">joined a story</th><th "
         "class=\"num\">evicted</th><th class=\"num\">skipped</th><th>saved</th></tr><tr>";
    for (auto v : {n.documents_read, n.documents_added, n.new_stories, n.retellings, n.evicted, n.skipped})
      o += "<td class=\"num\">" + human_count(v) + "</td>";
    o += std::string("<td>") + (n.state_saved ? "yes" : "no") + "</td></tr></table>";
    if (!n.skipped_by_reason.empty()) {
      o += "<p>Skipped by reason: ";
      bool first = true;
      for (const auto& [k, v] : n.skipped_by_reason) {
        o += (first ? "" : ", ") + esc(k) + " " + human_count(v);
        first = false;
      }
      o += "</p>";
    }
    if (!n.stage_seconds.empty()) {
      o += "<p>Time: ";
      for (std::size_t i = 0; i < n.stage_seconds.size(); ++i)
        o += (i ? ", " : "") + esc(n.stage_seconds[i].first) + " " + fmt_double(n.stage_seconds[i].second, 2) + " s";
      o += "</p>";
    }
    o += "</section>\n";
  }

  o += "<section class=\"panel\" id=\"options\"><h2>Options in force</h2><pre>" + esc(runtime_options_text(opts)) +
       "</pre></section>\n";

  o += "<section class=\"panel\"><h2>Histograms</h2><div class=\"hists\">";
  o += histogram_svg("score-histogram",
                     std::string("Scores the ") + human_count(joined) + " retellings joined their stories with (" +
                         (model ? "P(same story) of the match model" : "the threshold rule's score") +
                         "); the dashed line is the threshold: a pile just right of it is where a higher "
                         "threshold would split stories",
                     score_labels, score_bins, threshold, (model ? "threshold " : "jaccard ") + fmt_double(threshold, 2));
  o += histogram_svg("size-histogram", "Stories by number of reports", size_labels, size_bins, std::nullopt, "");
  o += "</div></section>\n";

  o += "<div class=\"tools\"><input type=\"search\" id=\"filter\" placeholder=\"Filter stories by id, source, "
       "title or text\"><label><input type=\"checkbox\" id=\"show-singles\" checked> single-report stories</label>"
       "<span><span id=\"shown-count\">" +
       std::to_string(multi_shown + singles_shown) + "</span> shown</span></div>\n";

  o += "<section id=\"stories\"><h2>Stories with retellings (" + human_count(multi.size()) +
       (multi_shown < multi.size() ? ", the largest " + human_count(multi_shown) + " shown" : "") + ")</h2>\n";
  for (std::size_t k = 0; k < multi_shown; ++k) {
    const cluster_info& c = *multi[k];
    const cluster_member& leader = c.members.front();
    const cluster_member* rep = &leader;
    for (const auto& m : c.members)
      if (m.id == c.representative) rep = &m;
    o += "<article class=\"story\" id=\"story-" + std::to_string(c.id) + "\" data-story-id=\"" + std::to_string(c.id) +
         "\" data-size=\"" + std::to_string(c.members.size()) + "\"><h3>" +
         esc(rep->title.empty() ? rep->id : rep->title) + "</h3><p class=\"meta\">story " + std::to_string(c.id) + " &middot; " +
         std::to_string(c.members.size()) + " reports &middot; representative <span class=\"rep\">" + esc(rep->id) +
         "</span> (" + esc(rep->source.empty() ? "no source" : rep->source) + ", " + esc(time_of(rep->timestamp)) +
         ")</p>";
    o += "<table><tr><th>document</th><th>source</th><th>time</th><th>title</th><th>joined by</th></tr>";
    for (std::size_t i = 0; i < c.members.size(); ++i) {
      const auto& m = c.members[i];
      o += "<tr class=\"member\"><td>" + esc(m.id) + (m.id == c.representative ? " &#9733;" : "") + "</td><td>" +
           esc(m.source) + "</td><td class=\"time\">" + esc(time_of(m.timestamp)) + "</td><td>" + esc(m.title) + "</td><td class=\"decided\">" +
           (i == 0 ? std::string("leader") : esc(describe_decision(m.scores, opts.scoring))) + "</td></tr>";
    }
    o += "</table>";
    for (std::size_t i = 1; i < c.members.size(); ++i) {
      const auto& m = c.members[i];
      const auto sw = find_shared_runs(leader.snippet, m.snippet);
      o += "<div class=\"pair\" data-member=\"" + esc(m.id) + "\"><div><h4>leader " + esc(leader.id) + "</h4>" +
           (leader.snippet.empty() ? "<em>no snippet kept</em>" : highlighted(sw.words_a, sw.in_a)) + "</div><div><h4>" +
           esc(m.id) + " (" + esc(m.source) + ")</h4>" +
           (m.snippet.empty() ? "<em>no snippet kept</em>" : highlighted(sw.words_b, sw.in_b)) + "</div></div>";
      if (opts.keep_text) {
        try {
          const auto ex = d.explain(leader.id, m.id);
          if (!ex.shared_passage.empty())
            o += "<p class=\"passage\">longest shared passage (normalized full text): <mark>" + esc(ex.shared_passage) +
                 "</mark></p>";
        } catch (const error&) {
          // A member removed meanwhile: nothing to show.
        }
      }
    }
    o += "</article>\n";
  }
  o += "</section>\n";

  o += "<section class=\"panel\" id=\"singles\"><h2>Single-report stories (" + human_count(singles.size()) +
       (singles_shown < singles.size() ? ", the latest " + human_count(singles_shown) + " listed" : "") +
       ")</h2><table><tr><th>story</th><th>document</th><th>source</th><th>time</th><th>title</th></tr>";
  for (std::size_t k = 0; k < singles_shown; ++k) {
    const cluster_info& c = *singles[k];
    const auto& m = c.members.front();
    o += "<tr class=\"story single\" data-story-id=\"" + std::to_string(c.id) + "\"><td class=\"num\">" +
         std::to_string(c.id) + "</td><td>" + esc(m.id) + "</td><td>" + esc(m.source) + "</td><td class=\"time\">" +
         esc(time_of(m.timestamp)) + "</td><td>" + esc(m.title) + "</td></tr>";
  }
  o += "</table></section>\n</main>\n<footer>Highlighted: runs of four or more words found in both texts (case and "
       "punctuation ignored)" +
       std::string(opts.keep_text ? ", in the snippets; the longest shared passage is from the full texts (keep_text)"
                                  : ", in the snippets the state keeps (the first " + std::to_string(opts.snippet_bytes) +
                                        " bytes; full texts need keep_text)") +
       ".</footer>\n<script>" + page_script + "</script>\n</body></html>\n";
  return o;
}

}  // namespace retold::cli
