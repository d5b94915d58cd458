// tools/retold/input.hpp - reading documents for the retold tool: JSONL and CSV, plain or gzip,
// from files or standard input, with every bad record reported by file and line.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace retold::cli {

enum class input_format { automatic, jsonl, csv };

/// How records are read. Plain value.
struct input_options {
  input_format format = input_format::automatic;
  std::string id_field = "id";
  std::string text_field = "text";
  std::string title_field = "title";
  std::string timestamp_field = "timestamp";
  std::string source_field = "source";
  std::string vector_field = "vector";
  char csv_delimiter = ',';          ///< automatic format: '\t' for .tsv files
  std::size_t max_doc_bytes = 1 << 20;    ///< text (+ title) larger than this is skipped
  std::size_t max_line_bytes = 64 << 20;  ///< a physical record longer than this is skipped
  std::size_t max_id_bytes = 1024;
  bool want_vector = false;          ///< parse the vector field (external embedding mode)
  bool require_vector = false;       ///< and skip records without one
  std::uint32_t vector_dimension = 0;///< when > 0, vectors of another length are skipped
};

/// One parsed document, owning its strings.
struct input_record {
  std::string id;
  std::string text;
  std::string title;
  std::string source;
  std::vector<float> vector;
  std::int64_t timestamp = 0;
  bool has_timestamp = false;
  std::uint32_t file_index = 0;
  std::uint64_t line = 0;  ///< 1-based line where the record starts
};

/// A record that was skipped.
struct bad_record {
  std::uint32_t file_index = 0;
  std::uint64_t line = 0;
  std::string reason;   ///< stable short code: malformed_json, missing_field, invalid_utf8, ...
  std::string message;  ///< human detail
};

/// Input position shared with the progress display (written by the reader, read by anyone).
struct input_progress {
  std::atomic<std::uint64_t> bytes_done{0};  ///< bytes of the (possibly compressed) files consumed
  std::atomic<std::uint64_t> records{0};
  std::uint64_t bytes_total = 0;             ///< 0 when unknown (stdin)
};

/// Reads records from a list of inputs in order ("-" is standard input). Not thread-safe: one
/// reader thread owns it. Throws retold::error(errc::io) when a file cannot be opened or read.
class record_reader {
 public:
  record_reader(std::vector<std::string> paths, input_options options, input_progress* progress);
  ~record_reader();
  record_reader(const record_reader&) = delete;
  record_reader& operator=(const record_reader&) = delete;

  /// Fills `out` (reusing its elements' capacity) with up to `max` good records and appends bad
  /// ones to `bad`; returns the number of good records. Returns 0 with no bad record at the end.
  std::size_t next_batch(std::vector<input_record>& out, std::size_t max, std::vector<bad_record>& bad);

  /// Name of input `file_index` as given ("-" shown as "<stdin>").
  const std::string& file_name(std::uint32_t file_index) const;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

/// Parses "2024-03-05T09:05:00Z", "2024-03-05 09:05", "2024-03-05T09:05:00.123+02:00",
/// "2024-03-05" (UTC unless an offset is given) into Unix seconds. False when malformed.
bool parse_iso8601(std::string_view s, std::int64_t& out);

/// Formats Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
std::string format_iso8601(std::int64_t t);

/// Appends `s` as a JSON string literal (quoted, escaped) to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace retold::cli
