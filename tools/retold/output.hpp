// tools/retold/output.hpp - how the retold tool writes what it found: the output sink (stdout or
// a file renamed into place), stories and matches as JSONL, and the readable story listing.
#pragma once

#include <retold/dedup.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

namespace retold::cli {

/// A sink for output: stdout ("-" or empty), a device or FIFO written in place, or a regular file
/// written beside its final name and renamed into place on commit(), so a reader never sees half
/// a file. Destroyed without commit(), a temporary is removed. Not thread-safe.
class output_sink {
 public:
  /// Throws retold::error(errc::io) naming the file when it cannot be created.
  explicit output_sink(const std::string& path);
  ~output_sink();
  output_sink(const output_sink&) = delete;
  output_sink& operator=(const output_sink&) = delete;

  /// Text appended here is written by flush()/commit().
  std::string& buffer() { return buf_; }
  /// Writes the buffer once it holds 1 MiB or more.
  void maybe_flush();
  void flush();
  /// Flushes and, for a file, closes and renames it into place. Throws errc::io.
  void commit();

 private:
  std::string shown() const;
  std::string path_, tmp_;
  FILE* f_ = nullptr;
  bool direct_ = false;
  std::string buf_;
};

/// Version of every JSON record the tool writes ("format_version"; schemas in docs/cli.md).
/// Records without the field come from builds before 0.1.0. Moves when a field changes meaning
/// or goes away; new fields may appear without it moving.
inline constexpr int record_format_version = 1;

/// Appends "record":"<kind>","format_version":N (no braces).
void append_record_head(std::string& o, const char* kind);
/// Appends "score":..,"jaccard":..,["cosine":..,]"decided_by":".." (no braces).
void append_scores(std::string& o, const pair_scores& s);
/// Appends "id":..,"timestamp":..,"time":..,"source":..,"title":..,"snippet":.. of a member (no
/// braces; "time" is the timestamp as ISO 8601 UTC).
void append_member_fields(std::string& o, const cluster_member& m);
/// Appends one story as a JSON line (with its trailing newline).
void append_cluster(std::string& o, const cluster_info& c);
/// Appends "matches":[...] (no braces): each match with its story, scores and the stored
/// document's timestamp, source, title and snippet (looked up in `d`).
void append_matches(std::string& o, const deduplicator& d, const std::vector<match>& ms);

/// Writes the stories with at least `min_members` members (only those in `only`, when given)
/// and commits `out`; returns how many were written.
std::size_t write_clusters(const deduplicator& d, output_sink& out, std::size_t min_members,
                           const std::unordered_set<std::uint64_t>* only);

/// How a member joined its story, for people: the value that decided, named by its decision,
/// then both measures: "p=0.930 by model (jaccard 0.310, cosine 0.796)", "0.450 by jaccard
/// (jaccard 0.450, cosine 0.796)". Under the rule, `combined` is recomputed with `rule`'s weight.
std::string describe_decision(const pair_scores& s, const scoring_rule& rule);

/// The stories with retellings (and at least `min_members` members) listed readably on stdout,
/// the single-report stories counted.
void print_readable(const deduplicator& d, std::size_t min_members);

}  // namespace retold::cli
