// tools/retold/cmd_dedup.cpp - `retold dedup`, the nightly job.
//
// It loads a state directory (if any), streams the day's documents through the deduplicator in
// batches, writes the stories as JSONL and saves the state back atomically. Reading and parsing
// run on their own thread while add_batch (which spreads the per-document feature work over
// --threads workers) consumes the previous batch, so both cores stay busy; add_batch's result
// does not depend on the batch size or the thread count, so neither does the output.
#include "commands.hpp"
#include "input.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "report_html.hpp"
#include "state_info.hpp"
#include "state_lock.hpp"

#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/presets.hpp>
#include <retold/version.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>
#include <unordered_set>

namespace retold::cli {
namespace {

// ---- a small bounded queue between the reader thread and the adder

struct batch {
  std::vector<input_record> records;
  std::size_t count = 0;
  std::vector<bad_record> bad;
  std::uint64_t bytes_end = 0;  ///< input bytes up to the end of this batch's last record
  bool end = false;
};

template <class T>
class bounded_queue {
 public:
  explicit bounded_queue(std::size_t cap) : cap_(cap) {}
  void push(T v) {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return q_.size() < cap_ || closed_; });
    q_.push_back(std::move(v));
    cv_.notify_all();
  }
  std::optional<T> pop() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return v;
  }
  std::optional<T> try_pop() {
    std::lock_guard lk(m_);
    if (q_.empty()) return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return v;
  }
  void close() {
    std::lock_guard lk(m_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> q_;
  std::size_t cap_;
  bool closed_ = false;
};

// Days as seconds, refused when not a finite number >= 0 and capped at INT64_MAX (a double out of
// int64 range cast to int64 is undefined behaviour).
std::int64_t days_to_seconds(double days, const char* flag) {
  if (!(days >= 0) || !std::isfinite(days))
    throw error(errc::invalid_argument, std::string(flag) + " must be a finite number >= 0");
  const double s = days * 86400.0;
  return s >= 9.2e18 ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(s);
}

// --wait-lock: nullopt (not given: refuse at once), infinity ("forever"), or the seconds given.
std::optional<double> wait_lock_seconds(const std::string& v) {
  if (v.empty()) return std::nullopt;
  if (v == "forever") return std::numeric_limits<double>::infinity();
  char* end = nullptr;
  const double s = std::strtod(v.c_str(), &end);
  if (end == v.c_str() || *end != '\0' || !(s >= 0))
    throw error(errc::invalid_argument, "--wait-lock takes a number of seconds (--wait-lock=SECONDS), got '" + v +
                                            "' (write --wait-lock=N, or put --wait-lock after the input files)");
  return s;
}

struct skipped_counts {
  std::map<std::string, std::uint64_t> by_reason;
  std::uint64_t total = 0;
  std::uint64_t unparsed = 0;  ///< of total: records the reader refused (never reached add_batch)
  std::size_t printed = 0;
};

struct stage_times {
  double load = 0, read_parse = 0, wait_input = 0, add = 0, evict = 0, output = 0, save = 0, total = 0;
};

bool is_stdout(const std::string& path) { return path.empty() || path == "-"; }

}  // namespace

int run_dedup(dedup_flags& f, CLI::App* app) {
  const auto t_start = clock_type::now();
  const bool stdin_implicit = f.input.inputs.empty();
  input_options in = finish_input_flags(f.input);
  const bool reads_stdin = std::count(f.input.inputs.begin(), f.input.inputs.end(), "-") > 0;
  stage_times times;

  // Standard output carries one thing: the stories (JSONL, the default), the readable listing
  // (--print-clusters) or the JSON summary (--json, --summary -). The stories then go only to an
  // explicit -o FILE.
  const bool summary_on_stdout = f.json || f.summary_file == "-";
  const bool output_given = app->count("--output") > 0;
  if (summary_on_stdout && f.print_clusters)
    throw error(errc::invalid_argument,
                "--json (or --summary -) and --print-clusters both write to standard output; use one, or "
                "--summary FILE");
  if (summary_on_stdout && output_given && is_stdout(f.output))
    throw error(errc::invalid_argument,
                "--json (or --summary -) writes the summary to standard output: write the stories with -o FILE");
  if (f.print_clusters && output_given && is_stdout(f.output))
    throw error(errc::invalid_argument,
                "--print-clusters writes the listing to standard output: write the stories with -o FILE");
  const bool write_stories = f.output != "none" && (output_given || (!f.print_clusters && !summary_on_stdout));

  // The match preset first, then the decision flags given beside it refine it.
  auto given = [&](const char* flag) { return app->count(flag) > 0; };
  deduplicator_options opts;
  std::optional<match_preset> preset;
  if (!f.match.empty()) {
    preset = parse_match_preset(f.match);
    if (!preset) throw error(errc::invalid_argument, "--match: unknown preset '" + f.match + "'");
    apply_match_preset(opts, *preset);
  }
  if (given("--jaccard-threshold")) opts.scoring.jaccard_threshold = f.scoring.jaccard_threshold;
  if (given("--cosine-threshold")) opts.scoring.cosine_threshold = f.scoring.cosine_threshold;
  if (given("--combined-threshold")) opts.scoring.combined_threshold = f.scoring.combined_threshold;
  if (given("--combined-weight")) opts.scoring.combined_weight_jaccard = f.scoring.combined_weight_jaccard;
  opts.scoring.validate();
  if (given("--decision"))
    opts.decision = f.decision == "model" ? match_decision::model
                  : f.decision == "rule"  ? match_decision::rule
                                          : match_decision::automatic;
  if (given("--match-threshold")) opts.match_threshold = f.match_threshold;
  opts.time_window_seconds = days_to_seconds(f.window_days, "--window-days");
  opts.retention_seconds = days_to_seconds(f.retention_days, "--retention-days");
  opts.snippet_bytes = f.snippet_bytes;
  opts.keep_text = f.keep_text;
  opts.representative.source_priority = f.source_priority;
  opts.max_document_bytes = in.max_doc_bytes;
  opts.threads = f.threads;
  if (f.embedding == "external") {
    opts.embedding = embedding_mode::external;
    if (f.dimension == 0) throw error(errc::invalid_argument, "--embedding external needs --dimension");
    opts.external_dimension = f.dimension;
    in.want_vector = in.require_vector = true;
    in.vector_dimension = f.dimension;
  } else if (f.embedding == "none") {
    opts.embedding = embedding_mode::none;
  }
  // Vector index and embedder shape: fixed when the state is created (saved with it).
  if (f.vector_index == "flat") opts.vector_index.kind = vector_index_kind::flat;
  if (f.vector_index == "ivf") opts.vector_index.kind = vector_index_kind::ivf;
  if (f.ivf_min_size) opts.vector_index.ivf_min_size = f.ivf_min_size;
  if (f.nprobe) opts.vector_index.nprobe = f.nprobe;
  if (f.embedding_dimension) opts.embedder.dimension = f.embedding_dimension;
  if (f.vector_candidates) opts.vector_candidates = f.vector_candidates;
  if (f.batch_size == 0) throw error(errc::invalid_argument, "--batch-size must be > 0");

  // A run that will save holds the writer lock from before the load until after the save, so a
  // second writer is refused (or waits) instead of saving over this one's documents.
  std::optional<state_writer_lock> writer_lock;
  if (!f.state.empty() && !f.dry_run) writer_lock.emplace(f.state, wait_lock_seconds(f.wait_lock));

  // Load yesterday's state, or start a new one.
  auto t = clock_type::now();
  std::optional<deduplicator> dd;
  bool loaded = false;
  if (!f.state.empty()) {
    // Options given on this command line replace the saved ones; the others keep their saved
    // values (a night that forgets --window-days keeps the window of the nights before it).
    // Structural flags are passed when given, so a different value is refused (incompatible).
    auto adjust = [&](deduplicator_options& saved) {
      if (preset) apply_match_preset(saved, *preset);
      if (given("--jaccard-threshold")) saved.scoring.jaccard_threshold = opts.scoring.jaccard_threshold;
      if (given("--cosine-threshold")) saved.scoring.cosine_threshold = opts.scoring.cosine_threshold;
      if (given("--combined-threshold")) saved.scoring.combined_threshold = opts.scoring.combined_threshold;
      if (given("--combined-weight")) saved.scoring.combined_weight_jaccard = opts.scoring.combined_weight_jaccard;
      saved.scoring.validate();
      if (given("--decision")) saved.decision = opts.decision;
      if (given("--match-threshold")) saved.match_threshold = opts.match_threshold;
      if (given("--window-days")) saved.time_window_seconds = opts.time_window_seconds;
      if (given("--retention-days")) saved.retention_seconds = opts.retention_seconds;
      if (given("--snippet-bytes")) saved.snippet_bytes = opts.snippet_bytes;
      if (given("--keep-text")) saved.keep_text = true;  // structural: refused when the state has none
      if (given("--source-priority")) saved.representative.source_priority = opts.representative.source_priority;
      if (given("--max-doc-bytes")) saved.max_document_bytes = opts.max_document_bytes;
      if (given("--vector-candidates")) saved.vector_candidates = opts.vector_candidates;
      saved.threads = opts.threads;  // a property of this machine and run, not of the state
      if (given("--embedding")) {
        saved.embedding = opts.embedding;
        saved.external_dimension = opts.external_dimension;
      }
      if (given("--vector-index")) saved.vector_index.kind = opts.vector_index.kind;
      if (given("--ivf-min-size")) saved.vector_index.ivf_min_size = opts.vector_index.ivf_min_size;
      if (given("--nprobe")) saved.vector_index.nprobe = opts.vector_index.nprobe;
      if (given("--embedding-dimension")) saved.embedder.dimension = opts.embedder.dimension;
    };
    try {
      dd.emplace(deduplicator::load(f.state, deduplicator::options_adjuster(adjust)));
      loaded = true;
    } catch (const error& e) {
      if (e.code() != errc::not_found) throw;
    }
  }
  if (!dd) dd.emplace(opts);
  times.load = seconds_since(t);
  if (loaded && dd->options().embedding == embedding_mode::external && !in.want_vector) {
    in.want_vector = in.require_vector = true;
    in.vector_dimension = dd->options().external_dimension;
  }
  const auto before = dd->stats();

  input_progress progress_state;
  record_reader reader(f.input.inputs, in, &progress_state);
  progress_display progress(!f.quiet && !f.no_progress, f.log_interval, progress_state.bytes_total);
  if (reads_stdin && !f.quiet && ::isatty(0) == 1)
    std::fputs("retold: reading documents from standard input (a terminal; end with Ctrl-D)\n", stderr);

  // Reader thread: parses batches ahead of the adder (two in flight at most).
  bounded_queue<std::unique_ptr<batch>> full(2), empty(4);
  std::exception_ptr reader_error;
  double reader_busy = 0;
  std::atomic<bool> stop{false};
  std::thread reader_thread([&] {
    try {
      for (;;) {
        auto b = empty.try_pop();
        std::unique_ptr<batch> cur = b ? std::move(*b) : std::make_unique<batch>();
        cur->bad.clear();
        const auto t0 = clock_type::now();
        cur->count = reader.next_batch(cur->records, f.batch_size, cur->bad);
        reader_busy += seconds_since(t0);
        cur->bytes_end = progress_state.bytes_done.load(std::memory_order_relaxed);
        cur->end = cur->count == 0 && cur->bad.empty();
        const bool end = cur->end;
        full.push(std::move(cur));
        if (end || stop.load()) return;
      }
    } catch (...) {
      reader_error = std::current_exception();
      auto cur = std::make_unique<batch>();
      cur->end = true;
      full.push(std::move(cur));
    }
  });
  struct joiner {
    std::thread& th;
    std::atomic<bool>& stop;
    bounded_queue<std::unique_ptr<batch>>& full;
    ~joiner() {
      stop = true;
      while (th.joinable()) {
        // Drain so a blocked reader can finish.
        if (full.try_pop()) continue;
        th.join();
      }
    }
  } join_reader{reader_thread, stop, full};

  skipped_counts skipped;
  auto report_bad = [&](const std::string& file, std::uint64_t line, const std::string& reason,
                        const std::string& message) {
    if (f.strict)
      throw strict_failure(file + ":" + std::to_string(line) + ": " + reason + ": " + message +
                           " (--strict: stopping; the state was not saved)");
    ++skipped.total;
    ++skipped.by_reason[reason];
    if (!f.quiet && skipped.printed < f.max_errors) {
      std::fprintf(stderr, "retold: %s:%llu: skipped (%s): %s\n", file.c_str(), static_cast<unsigned long long>(line),
                   reason.c_str(), message.c_str());
      if (++skipped.printed == f.max_errors)
        std::fprintf(stderr, "retold: further skipped lines are only counted (--max-errors %zu)\n", f.max_errors);
    }
  };

  // read_ok: records parsed and handed to add_batch (some of which it may refuse).
  std::uint64_t read_ok = 0, added = 0, new_stories = 0, retellings = 0, bytes_consumed = 0;
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();
  std::unordered_set<std::uint64_t> touched;
  std::vector<document> docs;
  for (;;) {
    t = clock_type::now();
    auto popped = full.pop();
    times.wait_input += seconds_since(t);
    std::unique_ptr<batch> b = std::move(*popped);
    if (b->end) break;
    for (const auto& bad : b->bad) {
      report_bad(reader.file_name(bad.file_index), bad.line, bad.reason, bad.message);
      ++skipped.unparsed;
    }
    read_ok += b->count;
    docs.resize(b->count);
    for (std::size_t i = 0; i < b->count; ++i) {
      const auto& r = b->records[i];
      docs[i] = document{r.id, r.text, r.title, r.timestamp, r.source, {}};
      if (in.want_vector) docs[i].vector = r.vector;
    }
    t = clock_type::now();
    auto results = dd->add_batch(docs);
    times.add += seconds_since(t);
    for (std::size_t i = 0; i < b->count; ++i) {
      const auto& res = results[i];
      const auto& r = b->records[i];
      if (res.status != errc::ok) {
        report_bad(reader.file_name(r.file_index), r.line, errc_name(res.status), res.error);
        continue;
      }
      ++added;
      if (res.new_story) {
        ++new_stories;
      } else {
        ++retellings;
      }
      if (f.changed_only) touched.insert(res.cluster_id);
      if (r.has_timestamp) newest = std::max(newest, r.timestamp);
    }
    // Progress counts what add_batch has consumed, not what the reader has read ahead of it.
    bytes_consumed = b->bytes_end;
    empty.push(std::move(b));
    progress.update(read_ok, bytes_consumed);
  }
  reader_thread.join();
  if (reader_error) std::rethrow_exception(reader_error);
  progress.update(read_ok, bytes_consumed, true);
  times.read_parse = reader_busy;
  const std::uint64_t documents_read = read_ok + skipped.unparsed;

  // Nothing read at all. From standard input that is almost always a mistake (a cron job whose
  // file name went missing, or was taken as an option's value): say so and change nothing.
  // An empty file named on the command line is only worth a warning.
  if (documents_read == 0) {
    if (reads_stdin) {
      std::fprintf(stderr,
                   "retold: error (no_input): no document was read from standard input%s; nothing was written "
                   "or saved. Name the input files after the options, or feed the documents on standard "
                   "input.\n",
                   stdin_implicit ? " (no input file was named)" : "");
      return exit_no_input;
    }
    std::string names;
    for (std::uint32_t i = 0; i < f.input.inputs.size(); ++i) names += (i ? ", " : "") + reader.file_name(i);
    std::fprintf(stderr, "retold: warning: no document was read from %s\n", names.c_str());
  }

  // A night that added nothing because every document was already stored was most likely run
  // twice: say so, it is otherwise easy to miss in a cron log.
  if (const auto dup = skipped.by_reason.find(errc_name(errc::duplicate_id));
      added == 0 && dup != skipped.by_reason.end() && dup->second > 0)
    std::fprintf(stderr,
                 "retold: warning: 0 documents added, %s duplicates of documents already stored: was this input "
                 "already run against this state?\n",
                 human_count(dup->second).c_str());

  // Retention (the state's, unless given tonight): relative to the newest timestamp of tonight's
  // documents.
  const std::int64_t retention_seconds = dd->options().retention_seconds;
  std::size_t evicted = 0;
  if (retention_seconds > 0) {
    t = clock_type::now();
    if (newest == std::numeric_limits<std::int64_t>::min()) {
      if (!f.quiet) std::fputs("retold: --retention-days: no timestamped document read, nothing evicted\n", stderr);
    } else {
      // Saturating: newest - retention would overflow for timestamps near INT64_MIN.
      const std::int64_t cutoff = newest < std::numeric_limits<std::int64_t>::min() + retention_seconds
                                      ? std::numeric_limits<std::int64_t>::min()
                                      : newest - retention_seconds;
      evicted = dd->evict_before(cutoff);
    }
    times.evict = seconds_since(t);
  }

  t = clock_type::now();
  std::size_t written = 0;
  if (f.print_clusters) print_readable(*dd, f.min_members);
  if (write_stories) {
    output_sink out(f.output);
    written = write_clusters(*dd, out, f.min_members, f.changed_only ? &touched : nullptr);
  }
  times.output = seconds_since(t);

  const bool saved = !f.state.empty() && !f.dry_run;
  if (saved) {
    t = clock_type::now();
    dd->save(f.state);
    times.save = seconds_since(t);
  }
  times.total = seconds_since(t_start);
  const auto after = dd->stats();

  // ---- summary
  std::string js = "{";
  append_record_head(js, "summary");
  js += ",\"command\":\"dedup\",\"version\":\"" RETOLD_VERSION_STRING "\"";
  js += ",\"state\":";
  append_json_string(js, f.state);
  js += ",\"state_loaded\":" + std::string(loaded ? "true" : "false");
  js += ",\"match\":\"" + preset_of(dd->options()).value_or("custom") + "\"";
  js += ",\"state_saved\":" + std::string(saved ? "true" : "false");
  js += ",\"documents_read\":" + std::to_string(documents_read);
  js += ",\"documents_added\":" + std::to_string(added);
  js += ",\"new_stories\":" + std::to_string(new_stories);
  js += ",\"retellings\":" + std::to_string(retellings);
  js += ",\"evicted\":" + std::to_string(evicted);
  js += ",\"clusters_written\":" + std::to_string(written);
  js += ",\"skipped\":{\"total\":" + std::to_string(skipped.total) + ",\"by_reason\":{";
  bool first = true;
  for (const auto& [k, v] : skipped.by_reason) {
    if (!first) js += ',';
    first = false;
    append_json_string(js, k);
    js += ":" + std::to_string(v);
  }
  js += "}}";
  js += ",\"state_documents\":" + std::to_string(after.documents);
  js += ",\"state_documents_before\":" + std::to_string(before.documents);
  js += ",\"state_clusters\":" + std::to_string(after.clusters);
  js += ",\"state_multi_member_clusters\":" + std::to_string(after.multi_member_clusters);
  js += ",\"state_memory_bytes\":" + std::to_string(after.memory_bytes);
  js += ",\"threads\":" + std::to_string(f.threads ? f.threads : std::max(1u, std::thread::hardware_concurrency()));
  js += ",\"stage_seconds\":{\"load_state\":" + fmt_double(times.load, 3) +
        ",\"read_parse\":" + fmt_double(times.read_parse, 3) + ",\"wait_for_input\":" + fmt_double(times.wait_input, 3) +
        ",\"add_batch\":" + fmt_double(times.add, 3) + ",\"evict\":" + fmt_double(times.evict, 3) +
        ",\"write_clusters\":" + fmt_double(times.output, 3) + ",\"save_state\":" + fmt_double(times.save, 3) +
        ",\"total\":" + fmt_double(times.total, 3) + "}";
  const add_stage_seconds& st = after.add_seconds;
  js += ",\"add_stage_seconds\":{\"features\":" + fmt_double(st.features, 3) +
        ",\"embed\":" + fmt_double(st.embed, 3) + ",\"candidates\":" + fmt_double(st.candidates, 3) +
        ",\"verify_cluster\":" + fmt_double(st.verify_cluster, 3) + ",\"index_add\":" + fmt_double(st.index_add, 3) +
        "}";
  js += ",\"peak_rss_bytes\":" + std::to_string(peak_rss_bytes()) + "}\n";

  if (!f.report.empty()) {
    report_request req;
    req.state_dir = f.state;
    req.title = "retold report: the night";
    night_summary n;
    n.documents_read = documents_read;
    n.documents_added = added;
    n.new_stories = new_stories;
    n.retellings = retellings;
    n.evicted = evicted;
    n.skipped = skipped.total;
    n.skipped_by_reason = skipped.by_reason;
    n.state_saved = saved;
    n.stage_seconds = {{"load_state", times.load},   {"read_parse", times.read_parse}, {"add_batch", times.add},
                       {"evict", times.evict},       {"write_clusters", times.output}, {"save_state", times.save},
                       {"total", times.total}};
    req.night = std::move(n);
    output_sink page(f.report);
    page.buffer() = render_report(*dd, req);
    page.commit();
  }
  if (!f.summary_file.empty() && !is_stdout(f.summary_file)) {
    output_sink s(f.summary_file);
    s.buffer() = js;
    s.commit();
  }
  if (summary_on_stdout) {
    output_sink s("-");
    s.buffer() = js;
    s.commit();
  }
  if (!f.json && !f.quiet) {
    std::fprintf(stderr,
                 "retold dedup: %s documents read, %s added: %s new stories, %s retellings; %s skipped\n",
                 human_count(documents_read).c_str(), human_count(added).c_str(),
                 human_count(new_stories).c_str(), human_count(retellings).c_str(), human_count(skipped.total).c_str());
    if (!skipped.by_reason.empty()) {
      std::string r;
      for (const auto& [k, v] : skipped.by_reason) r += (r.empty() ? "" : ", ") + k + " " + human_count(v);
      std::fprintf(stderr, "  skipped: %s\n", r.c_str());
    }
    const std::string state_note = f.state.empty() ? ""
                                   : std::string(loaded ? ", loaded" : ", new") +
                                         (saved ? (loaded ? " and saved" : ", saved") : ", not saved (--dry-run)");
    std::fprintf(stderr, "  state: %s documents in %s stories (%s with retellings)%s%s\n",
                 human_count(after.documents).c_str(), human_count(after.clusters).c_str(),
                 human_count(after.multi_member_clusters).c_str(),
                 evicted ? (", " + human_count(evicted) + " evicted").c_str() : "", state_note.c_str());
    std::fprintf(stderr,
                 "  time: load %.2fs, read+parse %.2fs (own thread), add %.2fs, evict %.2fs, write %.2fs, "
                 "save %.2fs, total %.2fs; peak memory %.1f MiB\n",
                 times.load, times.read_parse, times.add, times.evict, times.output, times.save, times.total,
                 static_cast<double>(peak_rss_bytes()) / (1 << 20));
    std::fprintf(stderr,
                 "  add stages: features %.2fs, embed %.2fs, candidates %.2fs, verify+cluster %.2fs, "
                 "index add %.2fs\n",
                 st.features, st.embed, st.candidates, st.verify_cluster, st.index_add);
  }
  return exit_ok;
}

}  // namespace retold::cli
