// tools/retold/main.cpp - the retold command-line tool: dedup, query, stats, export.
//
// `retold dedup` is the nightly job: it loads a state directory (if any), streams the day's
// documents through the deduplicator in batches, writes the stories as JSONL and saves the state
// back atomically. Reading and parsing run on their own thread while add_batch (which spreads
// the per-document feature work over --threads workers) consumes the previous batch, so both
// cores stay busy; add_batch's result does not depend on the batch size or the thread count,
// so neither does the output.
#include "input.hpp"
#include "state_lock.hpp"

#include <retold/dedup.hpp>
#include <retold/error.hpp>
#include <retold/version.h>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>

namespace fs = std::filesystem;
using namespace retold;
using namespace retold::cli;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

std::uint64_t peak_rss_bytes() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

std::string human_count(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

std::string human_duration(double s) {
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, static_cast<int>(s) / 60 % 60);
  }
  return buf;
}

std::string fmt_double(double v, int prec = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

// A sink for JSONL output: stdout, or a file written beside its final name and renamed into place
// on commit(), so a reader never sees half a file.
class output_sink {
 public:
  explicit output_sink(const std::string& path) : path_(path) {
    std::error_code ec;
    const auto st = fs::status(path, ec);
    if (path.empty() || path == "-") {
      f_ = stdout;
    } else if (!ec && fs::exists(st) && !fs::is_regular_file(st)) {
      // A device, FIFO or socket (/dev/null, a pipe): written in place. Renaming a temporary
      // over it would replace the device node with a regular file.
      f_ = std::fopen(path.c_str(), "wb");
      if (!f_) throw error(errc::io, "cannot open " + path + ": " + std::strerror(errno));
      direct_ = true;
    } else {
      tmp_ = path + ".tmp." + std::to_string(::getpid());
      f_ = std::fopen(tmp_.c_str(), "wb");
      if (!f_) throw error(errc::io, "cannot create " + tmp_ + ": " + std::strerror(errno));
    }
    buf_.reserve(1 << 20);
  }
  ~output_sink() {
    if (f_ && f_ != stdout) {
      std::fclose(f_);
      if (!direct_) std::remove(tmp_.c_str());
    }
  }
  std::string& buffer() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (1 << 20)) flush();
  }
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
      throw error(errc::io, "cannot write " + shown() + ": " + std::strerror(errno));
    buf_.clear();
  }
  void commit() {
    flush();
    if (std::fflush(f_) != 0) throw error(errc::io, "cannot write " + shown() + ": " + std::strerror(errno));
    if (f_ != stdout) {
      const bool ok = std::fclose(f_) == 0;
      f_ = nullptr;
      if (direct_) {
        if (!ok) throw error(errc::io, "cannot write " + path_ + ": " + std::strerror(errno));
        return;
      }
      if (!ok || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        std::remove(tmp_.c_str());
        throw error(errc::io, "cannot write " + path_ + ": " + std::strerror(errno));
      }
    }
  }

 private:
  std::string shown() const { return f_ == stdout ? "standard output" : path_; }
  std::string path_, tmp_;
  FILE* f_ = nullptr;
  bool direct_ = false;
  std::string buf_;
};

void append_scores(std::string& o, const pair_scores& s) {
  o += "\"score\":" + fmt_double(s.score) + ",\"jaccard\":" + fmt_double(s.jaccard);
  if (s.has_cosine) o += ",\"cosine\":" + fmt_double(s.cosine);
  o += ",\"decided_by\":\"";
  o += decided_by_name(s.decision);
  o += '"';
}

void append_cluster(std::string& o, const cluster_info& c) {
  o += "{\"cluster_id\":" + std::to_string(c.id) + ",\"size\":" + std::to_string(c.members.size()) +
       ",\"representative\":";
  append_json_string(o, c.representative);
  o += ",\"leader\":";
  append_json_string(o, c.leader);
  o += ",\"members\":[";
  for (std::size_t i = 0; i < c.members.size(); ++i) {
    const auto& m = c.members[i];
    if (i) o += ',';
    o += "{\"id\":";
    append_json_string(o, m.id);
    o += ",\"timestamp\":" + std::to_string(m.timestamp) + ",\"source\":";
    append_json_string(o, m.source);
    o += ',';
    append_scores(o, m.scores);
    o += '}';
  }
  o += "]}\n";
}

// Writes the stories with at least `min_members` members (only those in `only`, when given).
std::size_t write_clusters(const deduplicator& d, output_sink& out, std::size_t min_members,
                           const std::unordered_set<std::uint64_t>* only) {
  std::size_t n = 0;
  for (const auto& c : d.clusters(min_members)) {
    if (only && !only->count(c.id)) continue;
    append_cluster(out.buffer(), c);
    out.maybe_flush();
    ++n;
  }
  out.commit();
  return n;
}

// ---- progress on standard error

class progress_display {
 public:
  progress_display(bool enabled, double log_interval, const input_progress* input)
      : enabled_(enabled), tty_(::isatty(2) == 1), interval_(log_interval), input_(input) {}

  void update(std::uint64_t docs, bool final = false) {
    if (!enabled_) return;
    const double now = seconds_since(start_);
    if (!final && now - last_ < (tty_ ? 0.25 : interval_)) return;
    last_ = now;
    const double rate = now > 0 ? static_cast<double>(docs) / now : 0;
    double frac = -1;
    if (input_ && input_->bytes_total > 0)
      frac = std::min(1.0, static_cast<double>(input_->bytes_done.load()) / static_cast<double>(input_->bytes_total));
    std::string eta;
    if (frac > 0.001 && !final) eta = "  ETA " + human_duration(now / frac - now);
    char line[256];
    if (tty_) {
      std::string bar;
      if (frac >= 0) {
        const int width = 30, fill = static_cast<int>(frac * width);
        bar = "[" + std::string(static_cast<std::size_t>(fill), '=') + (fill < width ? ">" : "") +
              std::string(static_cast<std::size_t>(std::max(0, width - fill - 1)), ' ') + "] " +
              fmt_double(frac * 100, 1) + "%  ";
      }
      std::snprintf(line, sizeof line, "\r\033[K%s%s docs  %s docs/s%s", bar.c_str(), human_count(docs).c_str(),
                    human_count(static_cast<std::uint64_t>(rate)).c_str(), eta.c_str());
      std::fputs(line, stderr);
      if (final) std::fputs("\n", stderr);
    } else {
      std::snprintf(line, sizeof line, "retold: %s documents, %s docs/s%s%s\n", human_count(docs).c_str(),
                    human_count(static_cast<std::uint64_t>(rate)).c_str(),
                    frac >= 0 ? (", " + fmt_double(frac * 100, 1) + "% of input").c_str() : "", eta.c_str());
      std::fputs(line, stderr);
    }
    std::fflush(stderr);
  }

 private:
  bool enabled_, tty_;
  double interval_;
  const input_progress* input_;
  clock_type::time_point start_ = clock_type::now();
  double last_ = 0;
};

// ---- a small bounded queue between the reader thread and the adder

struct batch {
  std::vector<input_record> records;
  std::size_t count = 0;
  std::vector<bad_record> bad;
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

// ---- options shared by subcommands

struct common_input_flags {
  std::vector<std::string> inputs;
  std::string format = "auto";
  input_options in;
  std::string delimiter = ",";
};

void add_input_flags(CLI::App* app, common_input_flags& f) {
  app->add_option("inputs", f.inputs, "JSONL or CSV files, gzip allowed (by content); '-' or none: standard input");
  app->add_option("--format", f.format, "Input format: auto (by extension: .csv, .tsv, else JSONL), jsonl, csv")
      ->check(CLI::IsMember({"auto", "jsonl", "csv"}));
  app->add_option("--id-field", f.in.id_field, "Name of the id field/column")->capture_default_str();
  app->add_option("--text-field", f.in.text_field, "Name of the text field/column")->capture_default_str();
  app->add_option("--title-field", f.in.title_field, "Name of the optional title field/column")->capture_default_str();
  app->add_option("--timestamp-field", f.in.timestamp_field,
                  "Name of the optional timestamp field (ISO 8601 string or Unix seconds)")
      ->capture_default_str();
  app->add_option("--source-field", f.in.source_field, "Name of the optional source (outlet) field")
      ->capture_default_str();
  app->add_option("--vector-field", f.in.vector_field,
                  "Name of the vector field (array of numbers; used with --embedding external)")
      ->capture_default_str();
  app->add_option("--csv-delimiter", f.delimiter, "CSV field delimiter (one character; 'tab' for TAB)")
      ->capture_default_str();
  app->add_option("--max-doc-bytes", f.in.max_doc_bytes,
                  "Skip documents whose text plus title exceed this many bytes")
      ->capture_default_str();
  app->add_option("--max-line-bytes", f.in.max_line_bytes, "Skip input lines (CSV records) longer than this")
      ->capture_default_str();
}

input_options finish_input_flags(common_input_flags& f) {
  if (f.inputs.empty()) f.inputs.push_back("-");
  f.in.format = f.format == "jsonl" ? input_format::jsonl : f.format == "csv" ? input_format::csv : input_format::automatic;
  if (f.delimiter == "tab" || f.delimiter == "\\t") f.delimiter = "\t";
  if (f.delimiter.size() != 1) throw error(errc::invalid_argument, "--csv-delimiter must be one character");
  f.in.csv_delimiter = f.delimiter[0];
  if (f.in.max_doc_bytes == 0) throw error(errc::invalid_argument, "--max-doc-bytes must be > 0");
  return f.in;
}

// ---- dedup

struct dedup_flags {
  common_input_flags input;
  std::string state;
  std::string output = "-";
  std::string summary_file;
  std::size_t min_members = 1;
  bool changed_only = false;
  bool quiet = false;
  bool json = false;
  bool strict = false;
  bool no_progress = false;
  double log_interval = 10;
  std::size_t max_errors = 20;
  std::size_t batch_size = 4096;
  double retention_days = 0;
  double window_days = 0;
  unsigned threads = 0;
  std::string embedding = "builtin";
  std::uint32_t dimension = 0;
  std::vector<std::string> source_priority;
  scoring_rule scoring;
  std::string decision = "auto";  // --decision: auto, model or rule
  double match_threshold = 0;     // --match-threshold: 0 = the model's default
  bool dry_run = false;
  bool print_clusters = false;
  std::string vector_index = "auto";
  std::size_t ivf_min_size = 0;
  std::uint32_t nprobe = 0;
  std::uint32_t embedding_dimension = 0;
  std::size_t vector_candidates = 0;
  std::string wait_lock;  // --wait-lock[=SECONDS]: "" refuse at once, "forever", or seconds
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

// A readable listing of the stories on stdout: multi-member stories in full, singletons counted.
void print_readable(const deduplicator& d, std::size_t min_members) {
  std::size_t singles = 0;
  std::string o;
  for (const auto& c : d.clusters(1)) {
    if (c.members.size() < std::max<std::size_t>(2, min_members)) {
      singles += c.members.size() == 1;
      continue;
    }
    o += "story " + std::to_string(c.id) + " (" + std::to_string(c.members.size()) +
         " reports), representative: " + c.representative + "\n";
    for (std::size_t i = 0; i < c.members.size(); ++i) {
      const auto& m = c.members[i];
      char line[512];
      std::snprintf(line, sizeof line, "  %-46s %-18s %s  %s\n", m.id.c_str(), m.source.c_str(),
                    format_iso8601(m.timestamp).c_str(),
                    i == 0 ? "leader"
                           : (fmt_double(m.scores.score, 3) + " by " + decided_by_name(m.scores.decision) +
                              " (jaccard " + fmt_double(m.scores.jaccard, 3) +
                              (m.scores.has_cosine ? ", cosine " + fmt_double(m.scores.cosine, 3) : std::string()) + ")")
                                 .c_str());
      o += line;
    }
  }
  o += std::to_string(singles) + " single-report stories\n";
  std::fputs(o.c_str(), stdout);
  std::fflush(stdout);
}

struct skipped_counts {
  std::map<std::string, std::uint64_t> by_reason;
  std::uint64_t total = 0;
  std::size_t printed = 0;
};

struct stage_times {
  double load = 0, read_parse = 0, wait_input = 0, add = 0, evict = 0, output = 0, save = 0, total = 0;
};

class strict_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

int run_dedup(dedup_flags& f, CLI::App* app) {
  const auto t_start = clock_type::now();
  input_options in = finish_input_flags(f.input);
  stage_times times;

  deduplicator_options opts;
  opts.scoring = f.scoring;
  opts.scoring.validate();
  opts.decision = f.decision == "model" ? match_decision::model
                : f.decision == "rule"  ? match_decision::rule
                                        : match_decision::automatic;
  opts.match_threshold = f.match_threshold;
  opts.time_window_seconds = days_to_seconds(f.window_days, "--window-days");
  const std::int64_t retention_seconds = days_to_seconds(f.retention_days, "--retention-days");
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
    auto given = [&](const char* flag) { return app->count(flag) > 0; };
    auto adjust = [&](deduplicator_options& saved) {
      if (given("--jaccard-threshold")) saved.scoring.jaccard_threshold = opts.scoring.jaccard_threshold;
      if (given("--cosine-threshold")) saved.scoring.cosine_threshold = opts.scoring.cosine_threshold;
      if (given("--combined-threshold")) saved.scoring.combined_threshold = opts.scoring.combined_threshold;
      if (given("--combined-weight")) saved.scoring.combined_weight_jaccard = opts.scoring.combined_weight_jaccard;
      saved.scoring.validate();
      if (given("--decision")) saved.decision = opts.decision;
      if (given("--match-threshold")) saved.match_threshold = opts.match_threshold;
      if (given("--window-days")) saved.time_window_seconds = opts.time_window_seconds;
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
  progress_display progress(!f.quiet && !f.no_progress, f.log_interval, &progress_state);

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

  std::uint64_t read_ok = 0, added = 0, new_stories = 0, retellings = 0;
  std::int64_t newest = std::numeric_limits<std::int64_t>::min();
  std::unordered_set<std::uint64_t> touched;
  std::vector<document> docs;
  for (;;) {
    t = clock_type::now();
    auto popped = full.pop();
    times.wait_input += seconds_since(t);
    std::unique_ptr<batch> b = std::move(*popped);
    if (b->end) break;
    for (const auto& bad : b->bad) report_bad(reader.file_name(bad.file_index), bad.line, bad.reason, bad.message);
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
    empty.push(std::move(b));
    progress.update(read_ok);
  }
  reader_thread.join();
  if (reader_error) std::rethrow_exception(reader_error);
  progress.update(read_ok, true);
  times.read_parse = reader_busy;

  // Retention: relative to the newest timestamp of tonight's documents.
  std::size_t evicted = 0;
  if (f.retention_days > 0) {
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
  if (f.output != "none" && !(f.print_clusters && !app->count("--output"))) {
    output_sink out(f.output);
    written = write_clusters(*dd, out, f.min_members, f.changed_only ? &touched : nullptr);
  }
  times.output = seconds_since(t);

  if (!f.state.empty() && !f.dry_run) {
    t = clock_type::now();
    dd->save(f.state);
    times.save = seconds_since(t);
  }
  times.total = seconds_since(t_start);
  const auto after = dd->stats();

  // ---- summary
  std::string js = "{\"command\":\"dedup\",\"version\":\"" RETOLD_VERSION_STRING "\"";
  js += ",\"state\":";
  append_json_string(js, f.state);
  js += ",\"state_loaded\":" + std::string(loaded ? "true" : "false");
  js += ",\"documents_read\":" + std::to_string(read_ok + skipped.total);
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

  if (!f.summary_file.empty()) {
    output_sink s(f.summary_file);
    s.buffer() = js;
    s.commit();
  }
  if (f.json) {
    std::fputs(js.c_str(), stderr);
  } else if (!f.quiet) {
    std::fprintf(stderr,
                 "retold dedup: %s documents read, %s added: %s new stories, %s retellings; %s skipped\n",
                 human_count(read_ok + skipped.total).c_str(), human_count(added).c_str(),
                 human_count(new_stories).c_str(), human_count(retellings).c_str(), human_count(skipped.total).c_str());
    if (!skipped.by_reason.empty()) {
      std::string r;
      for (const auto& [k, v] : skipped.by_reason) r += (r.empty() ? "" : ", ") + k + " " + human_count(v);
      std::fprintf(stderr, "  skipped: %s\n", r.c_str());
    }
    std::fprintf(stderr, "  state: %s documents in %s stories (%s with retellings)%s%s\n",
                 human_count(after.documents).c_str(), human_count(after.clusters).c_str(),
                 human_count(after.multi_member_clusters).c_str(),
                 evicted ? (", " + human_count(evicted) + " evicted").c_str() : "",
                 f.state.empty() ? "" : (loaded ? ", loaded and saved" : ", new, saved"));
    std::fprintf(stderr,
                 "  time: load %.2fs, read+parse %.2fs (own thread), add %.2fs, evict %.2fs, write %.2fs, "
                 "save %.2fs, total %.2fs; peak memory %.1f MiB\n",
                 times.load, times.read_parse, times.add, times.evict, times.output, times.save, times.total,
                 static_cast<double>(peak_rss_bytes()) / (1 << 20));
    const add_stage_seconds& st = after.add_seconds;
    std::fprintf(stderr,
                 "  add stages: features %.2fs, embed %.2fs, candidates %.2fs, verify+cluster %.2fs, "
                 "index add %.2fs\n",
                 st.features, st.embed, st.candidates, st.verify_cluster, st.index_add);
  }
  return 0;
}

// ---- query / stats / export

struct query_flags {
  common_input_flags input;
  std::string state;
  std::string text;
  std::string id;
  std::size_t top_k = 10;
  bool all = false;
  std::string output = "-";
};

void append_matches(std::string& o, const std::vector<match>& ms) {
  o += "\"matches\":[";
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (i) o += ',';
    o += "{\"id\":";
    append_json_string(o, ms[i].id);
    o += ",\"cluster_id\":" + std::to_string(ms[i].cluster_id) + ",";
    append_scores(o, ms[i].scores);
    o += '}';
  }
  o += ']';
}

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
    return 0;
  }
  if (app->count("--text")) {
    std::string& o = out.buffer();
    o += '{';
    append_matches(o, d.query(f.text, q));
    o += "}\n";
    out.commit();
    return 0;
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
      o += "{\"id\":";
      append_json_string(o, r.id);
      o += ',';
      const std::string text = r.title.empty() ? r.text : r.title + "\n\n" + r.text;
      append_matches(o, d.query(text, qi));
      o += "}\n";
      out.maybe_flush();
    }
  }
  out.commit();
  return 0;
}

struct state_flags {
  std::string state;
  bool json = false;
  std::string output = "-";
  std::size_t min_members = 1;
};

int run_stats(state_flags& f) {
  const auto t = clock_type::now();
  const deduplicator d = deduplicator::load(f.state);
  const double load_s = seconds_since(t);
  const auto s = d.stats();
  const auto& o = d.options();
  const char* mode = o.embedding == embedding_mode::builtin ? "builtin"
                     : o.embedding == embedding_mode::external ? "external" : "none";
  if (f.json) {
    std::string js = "{\"state\":";
    append_json_string(js, f.state);
    js += ",\"documents\":" + std::to_string(s.documents) + ",\"clusters\":" + std::to_string(s.clusters) +
          ",\"multi_member_clusters\":" + std::to_string(s.multi_member_clusters) +
          ",\"documents_added_total\":" + std::to_string(s.documents_added_total) +
          ",\"documents_removed_total\":" + std::to_string(s.documents_removed_total) +
          ",\"memory_bytes\":" + std::to_string(s.memory_bytes) + ",\"embedding\":\"" + mode + "\"" +
          ",\"jaccard_threshold\":" + fmt_double(o.scoring.jaccard_threshold) +
          ",\"cosine_threshold\":" + fmt_double(o.scoring.cosine_threshold) +
          ",\"combined_threshold\":" + fmt_double(o.scoring.combined_threshold) +
          ",\"time_window_seconds\":" + std::to_string(o.time_window_seconds) +
          ",\"load_seconds\":" + fmt_double(load_s, 3) + "}\n";
    std::fputs(js.c_str(), stdout);
  } else {
    std::printf("state:                  %s\n", f.state.c_str());
    std::printf("documents:              %s\n", human_count(s.documents).c_str());
    std::printf("stories:                %s (%s with retellings)\n", human_count(s.clusters).c_str(),
                human_count(s.multi_member_clusters).c_str());
    std::printf("added / removed total:  %s / %s\n", human_count(s.documents_added_total).c_str(),
                human_count(s.documents_removed_total).c_str());
    std::printf("memory (estimate):      %.1f MiB\n", static_cast<double>(s.memory_bytes) / (1 << 20));
    std::printf("embedding:              %s\n", mode);
    std::printf("thresholds:             jaccard %.3f, cosine %.3f, combined %.3f (weight %.2f)\n",
                o.scoring.jaccard_threshold, o.scoring.cosine_threshold, o.scoring.combined_threshold,
                o.scoring.combined_weight_jaccard);
    std::printf("time window:            %s\n",
                o.time_window_seconds ? (fmt_double(o.time_window_seconds / 86400.0, 2) + " days").c_str() : "none");
    std::printf("load time:              %.3f s\n", load_s);
  }
  return 0;
}

int run_export(state_flags& f) {
  const deduplicator d = deduplicator::load(f.state);
  output_sink out(f.output);
  write_clusters(d, out, f.min_members, nullptr);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"retold " RETOLD_VERSION_STRING
               ": find the same news story told again (MinHash + embeddings), night after night"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "retold " RETOLD_VERSION_STRING);

  // dedup
  dedup_flags df;
  auto* dedup = app.add_subcommand("dedup", "Add documents, group retellings into stories, write the stories as JSONL");
  add_input_flags(dedup, df.input);
  dedup->add_option("--state", df.state, "State directory: loaded if present, saved back atomically at the end");
  dedup->add_option("-o,--output", df.output, "Where to write the stories as JSONL ('-': stdout, 'none': nowhere)")
      ->capture_default_str();
  dedup->add_option("--min-members", df.min_members, "Only write stories with at least this many members")
      ->capture_default_str();
  dedup->add_flag("--changed-only", df.changed_only, "Only write stories that received a document in this run");
  dedup->add_option("--summary", df.summary_file, "Also write the JSON summary to this file ('-': stdout)");
  dedup->add_flag("--json", df.json, "Print the summary as JSON (on stderr) instead of text");
  dedup->add_flag("-q,--quiet", df.quiet, "No progress, no per-line messages, no text summary");
  dedup->add_flag("--no-progress", df.no_progress, "No progress display");
  dedup->add_option("--log-interval", df.log_interval, "Seconds between progress lines when stderr is not a terminal")
      ->capture_default_str();
  dedup->add_flag("--strict", df.strict, "Fail at the first bad record (nothing is saved) instead of skipping it");
  dedup->add_option("--max-errors", df.max_errors, "Print at most this many skipped-record messages")
      ->capture_default_str();
  dedup->add_option("--batch-size", df.batch_size, "Documents per add_batch call (does not change the result)")
      ->capture_default_str();
  dedup->add_option("--retention-days", df.retention_days,
                    "After adding, evict documents older than this many days before the newest timestamp read");
  dedup->add_option("--window-days", df.window_days,
                    "Only documents at most this many days apart can match (0: no window)")
      ->capture_default_str();
  dedup->add_option("--threads", df.threads, "Worker threads for feature computation (0: all cores)")
      ->capture_default_str();
  dedup->add_option("--embedding", df.embedding,
                    "Embedding mode when creating a state: builtin (TF-IDF), external (the vector field), none")
      ->check(CLI::IsMember({"builtin", "external", "none"}))
      ->capture_default_str();
  dedup->add_option("--dimension", df.dimension, "Vector length for --embedding external");
  dedup->add_option("--embedding-dimension", df.embedding_dimension,
                    "Length of the built-in TF-IDF embedding when creating a state (library default 256)");
  dedup->add_option("--vector-index", df.vector_index,
                    "Vector index when creating a state: auto (flat, IVF from --ivf-min-size on), flat, ivf")
      ->check(CLI::IsMember({"auto", "flat", "ivf"}))
      ->capture_default_str();
  dedup->add_option("--ivf-min-size", df.ivf_min_size, "auto: switch to IVF at this many vectors (library default 20000)");
  dedup->add_option("--nprobe", df.nprobe, "IVF cells scanned per query (library default 16)");
  dedup->add_option("--vector-candidates", df.vector_candidates,
                    "Nearest neighbours examined per document (library default 16)");
  dedup->add_option("--source-priority", df.source_priority,
                    "Outlets preferred as story representative, best first (comma-separated)")
      ->delimiter(',');
  dedup->add_option("--decision", df.decision,
                    "How candidates are decided: model (the learned match model), rule (the thresholds below), "
                    "auto (model with the built-in embedder, else rule)")
      ->check(CLI::IsMember({"auto", "model", "rule"}))
      ->capture_default_str();
  dedup->add_option("--match-threshold", df.match_threshold,
                    "Model decision: accept when P(same story) >= this (0 = the model's default, chosen for "
                    "precision on English news; lower finds more retellings)")
      ->check(CLI::Range(0.0, 0.999))
      ->capture_default_str();
  dedup->add_option("--jaccard-threshold", df.scoring.jaccard_threshold, "Rule decision: estimated Jaccard that alone accepts a pair")
      ->capture_default_str();
  dedup->add_option("--cosine-threshold", df.scoring.cosine_threshold, "Embedding cosine that alone accepts a pair")
      ->capture_default_str();
  dedup->add_option("--combined-threshold", df.scoring.combined_threshold,
                    "Threshold on w*jaccard + (1-w)*cosine")
      ->capture_default_str();
  dedup->add_option("--combined-weight", df.scoring.combined_weight_jaccard, "The weight w of Jaccard in the combination")
      ->capture_default_str();
  dedup->add_flag("--dry-run", df.dry_run, "Do not save the state back (and take no writer lock)");
  dedup->add_option("--wait-lock", df.wait_lock,
                    "When another run is writing the --state directory, wait for it (for ever, or at most "
                    "=SECONDS) instead of failing at once")
      ->expected(0, 1)
      ->default_str("forever");
  dedup->add_flag("--print-clusters", df.print_clusters,
                  "Print the stories with retellings readably on stdout (then JSONL only with an explicit -o)");

  // query
  query_flags qf;
  auto* query = app.add_subcommand("query", "Find stored documents similar to a text, or to each document of an input");
  add_input_flags(query, qf.input);
  query->add_option("--state", qf.state, "State directory written by 'retold dedup --state'")->required();
  query->add_option("--text", qf.text, "Query this text instead of reading documents");
  query->add_option("--id", qf.id, "Print the story of this stored document");
  query->add_option("-k,--top-k", qf.top_k, "Matches per query")->capture_default_str();
  query->add_flag("--all", qf.all, "Also list rejected candidates with their scores");
  query->add_option("-o,--output", qf.output, "Where to write the results as JSONL")->capture_default_str();

  // stats
  state_flags sf;
  auto* stats = app.add_subcommand("stats", "Print what a state directory holds");
  stats->add_option("--state", sf.state, "State directory")->required();
  stats->add_flag("--json", sf.json, "Machine-readable output");

  // export
  state_flags ef;
  auto* exp = app.add_subcommand("export", "Write the stories of a state directory as JSONL");
  exp->add_option("--state", ef.state, "State directory")->required();
  exp->add_option("-o,--output", ef.output, "Output file ('-': stdout)")->capture_default_str();
  exp->add_option("--min-members", ef.min_members, "Only stories with at least this many members")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  try {
    if (dedup->parsed()) return run_dedup(df, dedup);
    if (query->parsed()) return run_query(qf, query);
    if (stats->parsed()) return run_stats(sf);
    if (exp->parsed()) return run_export(ef);
  } catch (const strict_failure& e) {
    std::fprintf(stderr, "retold: error: %s\n", e.what());
    return 2;
  } catch (const error& e) {
    std::fprintf(stderr, "retold: error (%s): %s\n", errc_name(e.code()), e.what());
    return e.code() == errc::conflict ? 3 : 1;  // 3: another writer; nothing changed, try again
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "retold: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retold: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
