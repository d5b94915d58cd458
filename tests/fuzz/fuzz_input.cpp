// tests/fuzz/fuzz_input.cpp - the retold tool's JSONL and CSV readers (tools/retold/input.cpp).
//
// Input: 4 option bytes, then the file contents (plain, or gzip when the bytes say so: the
// reader decides by content).
//   [0] bits 0-1 format (automatic, jsonl, csv), bits 2-3 file suffix (.jsonl .csv .tsv .gz),
//       bit 4 want_vector, bit 5 require_vector, bit 6 small limits, bit 7 renamed fields
//   [1] csv delimiter choice    [2] vector_dimension (0..7)    [3] batch size (1..16)
// The whole file is read in batches. Checks: every good record satisfies the limits the reader
// promises (id non-empty and short, text+title within max_doc_bytes, valid UTF-8, vector
// dimension), lines never go backwards, bad records carry a reason; parse_iso8601 and
// format_iso8601 agree on what they accept; append_json_string writes what simdjson reads back.
#include "fuzz_util.hpp"

#include "input.hpp"

#include <retold/error.hpp>
#include <retold/text.hpp>

#include <simdjson.h>

#include <string>
#include <vector>

namespace {

void check_helpers(std::string_view s) {
  std::int64_t t = 0;
  if (retold::cli::parse_iso8601(s, t)) {
    std::int64_t back = 0;
    const std::string f = retold::cli::format_iso8601(t);
    FUZZ_CHECK(retold::cli::parse_iso8601(f, back));
    FUZZ_CHECK(back == t);
  }
  if (retold::is_valid_utf8(s)) {
    std::string json;
    retold::cli::append_json_string(json, s);
    simdjson::dom::parser parser;
    std::string_view got;
    const auto err = parser.parse(json).get_string().get(got);
    FUZZ_CHECK(!err);
    FUZZ_CHECK(got == s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retold_fuzz::bytes in(data, size);
  const std::uint8_t bits = in.u8();
  const std::uint8_t delim = in.u8();
  const std::uint8_t dim = in.u8();
  const std::size_t batch = 1 + in.u8() % 16;
  const std::string_view contents = in.rest();

  retold::cli::input_options o;
  o.format = static_cast<retold::cli::input_format>((bits & 3) % 3);
  static const char* const suffixes[] = {".jsonl", ".csv", ".tsv", ".jsonl.gz"};
  static const char delimiters[] = {',', '\t', ';', '|', '"', '\n'};
  o.csv_delimiter = delimiters[delim % sizeof delimiters];
  o.want_vector = bits & 16;
  o.require_vector = bits & 32;
  o.vector_dimension = dim % 8;
  if (bits & 64) {
    o.max_doc_bytes = 64;
    o.max_line_bytes = 128;
    o.max_id_bytes = 8;
  }
  if (bits & 128) {  // field names that collide with each other and with the defaults
    o.id_field = "text";
    o.text_field = "body";
    o.title_field = "";
    o.source_field = "text";
  }
  const auto path = retold_fuzz::scratch_dir() / (std::string("input") + suffixes[(bits >> 2) & 3]);
  retold_fuzz::write_file(path, contents);

  try {
    retold::cli::input_progress progress;
    retold::cli::record_reader reader({path.string()}, o, &progress);
    std::vector<retold::cli::input_record> records;
    std::vector<retold::cli::bad_record> bad;
    std::uint64_t last_line = 0;
    for (int rounds = 0;; ++rounds) {
      FUZZ_CHECK(rounds < 1 << 20);
      bad.clear();
      const std::size_t n = reader.next_batch(records, batch, bad);
      FUZZ_CHECK(n <= batch);
      if (n == 0 && bad.empty()) break;
      for (std::size_t i = 0; i < n; ++i) {
        const auto& r = records[i];
        FUZZ_CHECK(!r.id.empty() && r.id.size() <= o.max_id_bytes);
        FUZZ_CHECK(r.text.size() + r.title.size() <= o.max_doc_bytes);
        FUZZ_CHECK(retold::is_valid_utf8(r.id) && retold::is_valid_utf8(r.text) &&
                   retold::is_valid_utf8(r.title) && retold::is_valid_utf8(r.source));
        FUZZ_CHECK(r.line >= 1 && r.line >= last_line);
        last_line = r.line;
        if (!o.want_vector) FUZZ_CHECK(r.vector.empty());
        if (o.require_vector) FUZZ_CHECK(!r.vector.empty());
        if (o.vector_dimension > 0 && !r.vector.empty()) FUZZ_CHECK(r.vector.size() == o.vector_dimension);
        check_helpers(r.id);
      }
      for (const auto& b : bad) FUZZ_CHECK(!b.reason.empty() && b.line >= 1);
    }
    FUZZ_CHECK(reader.file_name(0) == path.string());
  } catch (const retold::error& e) {
    // A damaged gzip stream is an I/O error of the file; nothing else may escape.
    FUZZ_CHECK(e.code() == retold::errc::io || e.code() == retold::errc::parse);
  }
  check_helpers(contents.substr(0, 64));
  return 0;
}
