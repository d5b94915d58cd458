// tools/retold/main.cpp - the retold command-line tool: the command line (every subcommand's
// options, wired to the flag structs of commands.hpp) and the mapping from errors to exit
// statuses. The subcommands themselves live in cmd_*.cpp.
#include "commands.hpp"

#include <retold/error.hpp>
#include <retold/version.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <fcntl.h>
#include <new>
#include <unistd.h>

using namespace retold;
using namespace retold::cli;

namespace {

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

// A process started with standard input, output or error closed would hand that descriptor
// to the first file it opens (the state's lock file read as "standard input", the stories
// written into it). Such descriptors are opened on /dev/null instead: a closed standard input
// then reads as empty, which `dedup` reports (exit_no_input).
void open_missing_std_fds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int got = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (got >= 0 && got != fd) {
      ::dup2(got, fd);
      ::close(got);
    }
  }
}

// Appended to the help of every option whose value a saved state keeps between nights.
const std::string kept = " [kept: with an existing --state, the saved value applies unless this option is given]";

}  // namespace

int main(int argc, char** argv) {
  open_missing_std_fds();
  CLI::App app{"retold " RETOLD_VERSION_STRING
               ": find the same news story told again (MinHash + embeddings), night after night"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "retold " RETOLD_VERSION_STRING, "Print the version and exit");
  auto* version = app.add_subcommand("version", "Print the library version and exit");

  // dedup
  dedup_flags df;
  auto* dedup = app.add_subcommand("dedup", "Add documents, group retellings into stories, write the stories as JSONL");
  dedup->footer("Options marked [kept] are saved with --state: a later night that does not give them uses the "
                "saved value, not the default shown here.\n"
                "Exit status: 0 done (also when records were skipped), 1 error, 2 a bad record under --strict, "
                "3 another writer holds --state, 4 no document read from standard input (nothing saved).");
  add_input_flags(dedup, df.input);
  dedup->add_option("--state", df.state, "State directory: loaded if present, saved back atomically at the end");
  dedup->add_option("-o,--output", df.output,
                    "Where to write the stories as JSONL ('-': stdout, 'none': nowhere; with --json, "
                    "--summary - or --print-clusters only to an explicit FILE)")
      ->capture_default_str();
  dedup->add_option("--min-members", df.min_members, "Only write stories with at least this many members")
      ->capture_default_str();
  dedup->add_flag("--changed-only", df.changed_only, "Only write stories that received a document in this run");
  dedup->add_option("--summary", df.summary_file,
                    "Also write the JSON summary to this file ('-': stdout, as with --json, but the text "
                    "summary still goes to stderr)");
  dedup->add_flag("--json", df.json,
                  "Print the summary as one JSON document on stdout instead of text on stderr; the stories "
                  "then go only to an explicit -o FILE");
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
                    "After adding, evict documents older than this many days before the newest timestamp read "
                    "(0: keep everything)" + kept)
      ->capture_default_str();
  dedup->add_option("--window-days", df.window_days,
                    "Only documents at most this many days apart can match (0: no window)" + kept)
      ->capture_default_str();
  dedup->add_option("--match", df.match,
                    "What counts as one story: copies (the same article, edited), retellings (one report retold "
                    "in other words: the default), stories (follow-ups and independent reports of one event "
                    "too); --decision and the thresholds given beside it refine it (docs/cli.md)" + kept)
      ->check(CLI::IsMember({"copies", "retellings", "stories"}))
      ->default_str("retellings");
  dedup->add_option("--snippet-bytes", df.snippet_bytes,
                    "Bytes of each document's opening kept with the state for export, query and report (0: none)" +
                        kept)
      ->capture_default_str();
  dedup->add_flag("--keep-text", df.keep_text,
                  "When creating a state: keep each document's normalized full text too (the report then shows "
                  "the longest passage a retelling shares with its leader; more memory)");
  dedup->add_option("--report", df.report, "Also write the night's HTML report to this file (retold report)");
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
                    "Nearest neighbours examined per document (library default 16)" + kept);
  dedup->add_option("--source-priority", df.source_priority,
                    "Outlets preferred as story representative, best first: one value, comma-separated "
                    "(A,B,C), or the option repeated" + kept)
      ->delimiter(',')
      ->type_name("OUTLETS")
      ->allow_extra_args(false);  // a bare word after the list is an input file, not an outlet
  dedup->add_option("--decision", df.decision,
                    "How candidates are decided: model (the learned match model), rule (the thresholds below), "
                    "auto (model with the built-in embedder, else rule)" + kept)
      ->check(CLI::IsMember({"auto", "model", "rule"}))
      ->capture_default_str();
  dedup->add_option("--match-threshold", df.match_threshold,
                    "Model decision: accept when P(same story) >= this (0 = the model's default, chosen for "
                    "precision on English news; lower finds more retellings)" + kept)
      ->check(CLI::Range(0.0, 0.999))
      ->capture_default_str();
  dedup->add_option("--jaccard-threshold", df.scoring.jaccard_threshold, "Rule decision: estimated Jaccard that alone accepts a pair" + kept)
      ->capture_default_str();
  dedup->add_option("--cosine-threshold", df.scoring.cosine_threshold, "Embedding cosine that alone accepts a pair" + kept)
      ->capture_default_str();
  dedup->add_option("--combined-threshold", df.scoring.combined_threshold,
                    "Threshold on w*jaccard + (1-w)*cosine" + kept)
      ->capture_default_str();
  dedup->add_option("--combined-weight", df.scoring.combined_weight_jaccard, "The weight w of Jaccard in the combination" + kept)
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

  // report
  report_flags rf;
  auto* report = app.add_subcommand("report", "Write one self-contained HTML page showing a state's stories");
  report->add_option("--state", rf.state, "State directory")->required();
  report->add_option("-o,--output", rf.output, "The HTML file ('-': stdout)")->capture_default_str();
  report->add_option("--summary", rf.summary_file,
                     "The night's JSON summary (retold dedup --summary FILE), shown at the top");
  report->add_option("--title", rf.title, "Page title (default: retold report)");
  report->add_option("--max-stories", rf.max_stories, "Stories with retellings shown in full, largest first")
      ->capture_default_str();
  report->add_option("--max-singles", rf.max_singles, "Single-report stories listed, latest first")
      ->capture_default_str();

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
    if (report->parsed()) return run_report(rf);
    if (version->parsed()) {
      std::printf("retold %s\n", RETOLD_VERSION_STRING);  // the same line as --version
      return exit_ok;
    }
  } catch (const strict_failure& e) {
    std::fprintf(stderr, "retold: error: %s\n", e.what());
    return exit_strict;
  } catch (const error& e) {
    std::fprintf(stderr, "retold: error (%s): %s\n", errc_name(e.code()), e.what());
    return e.code() == errc::conflict ? exit_conflict : exit_error;  // conflict: nothing changed, try again
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "retold: error: out of memory\n");
    return exit_error;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "retold: error: %s\n", e.what());
    return exit_error;
  }
  return exit_ok;
}
