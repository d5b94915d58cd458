// tools/retold/input.cpp - JSONL (simdjson On-Demand) and CSV record reading over zlib streams.
#include "input.hpp"

#include <retold/error.hpp>
#include <retold/text.hpp>

#include <simdjson.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace retold::cli {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool all_space(std::string_view s) {
  for (unsigned char c : s)
    if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v')) return false;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// A buffered line reader over a file: a gzip file (or standard input, or anything that cannot be
// peeked at) through zlib, a plain file with read() straight into buf_ (zlib's transparent mode
// copies every byte through its own buffer: 2% of a lexical run's instructions).
class line_source {
 public:
  line_source(const std::string& path, const std::string& shown) : shown_(shown) {
    int fd;
    if (path == "-") {
      fd = ::dup(0);
      if (fd < 0) throw error(errc::io, "cannot read standard input: " + std::string(std::strerror(errno)));
    } else {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw error(errc::io, "cannot open " + shown_ + ": " + std::strerror(errno));
      unsigned char magic[2] = {0, 0};
      // The gzip magic decides, as zlib's own detection does; a file pread cannot peek at (a
      // pipe) goes through zlib, which detects it while reading.
      if (::pread(fd, magic, 2, 0) >= 0 && !(magic[0] == 0x1f && magic[1] == 0x8b)) raw_fd_ = fd;
    }
    if (raw_fd_ < 0) {
      gz_ = ::gzdopen(fd, "rb");
      if (!gz_) {
        ::close(fd);
        throw error(errc::io, "cannot open " + shown_ + ": " + std::strerror(errno ? errno : ENOMEM));
      }
      ::gzbuffer(gz_, 1 << 20);
    }
    buf_.resize(1 << 20);
  }
  ~line_source() {
    if (gz_) ::gzclose(gz_);
    if (raw_fd_ >= 0) ::close(raw_fd_);
  }
  line_source(const line_source&) = delete;
  line_source& operator=(const line_source&) = delete;

  enum class status { ok, eof, too_long };

  // Reads the next physical line (without '\n' and a trailing '\r') into `line`. A line longer
  // than `max` is consumed and discarded (too_long). Throws on a read error or a damaged gzip.
  status next(std::string& line, std::size_t max) {
    line.clear();
    bool overflow = false;
    bool any = false;
    for (;;) {
      if (pos_ == end_) {
        if (!fill()) {
          if (!any) return status::eof;
          break;
        }
      }
      any = true;
      const char* start = buf_.data() + pos_;
      const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - pos_));
      const std::size_t n = nl ? static_cast<std::size_t>(nl - start) : end_ - pos_;
      if (!overflow) {
        if (line.size() + n > max) {
          overflow = true;
          line.clear();
        } else {
          line.append(start, n);
        }
      }
      pos_ += n;
      if (nl) {
        ++pos_;
        break;
      }
    }
    ++line_no_;
    if (overflow) return status::too_long;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return status::ok;
  }

  std::uint64_t line_number() const noexcept { return line_no_; }
  // Bytes of the underlying file consumed by the lines returned so far, not counting what sits
  // read ahead in buf_ (or in zlib's buffers). Exact for plain input; for gzip, the compressed
  // offset scaled by the share of the decompressed bytes consumed (an estimate).
  std::uint64_t offset() const {
    if (raw_fd_ >= 0) return raw_read_ - (end_ - pos_);
    const auto out = ::gztell(gz_);  // bytes handed to buf_ so far (decompressed)
    if (out <= 0) return 0;
    const auto delivered = static_cast<std::uint64_t>(out);
    const std::uint64_t unread = end_ - pos_;
    const std::uint64_t used = delivered > unread ? delivered - unread : 0;
    if (::gzdirect(gz_)) return used;
    const auto off = ::gzoffset(gz_);
    if (off <= 0) return 0;
    return static_cast<std::uint64_t>(static_cast<double>(off) * static_cast<double>(used) /
                                      static_cast<double>(delivered));
  }

 private:
  bool fill() {
    if (eof_) return false;
    if (raw_fd_ >= 0) {
      ssize_t got;
      do got = ::read(raw_fd_, buf_.data(), buf_.size());
      while (got < 0 && errno == EINTR);
      if (got < 0) throw error(errc::io, "cannot read " + shown_ + ": " + std::strerror(errno));
      if (got == 0) {
        eof_ = true;
        return false;
      }
      raw_read_ += static_cast<std::uint64_t>(got);
      pos_ = 0;
      end_ = static_cast<std::size_t>(got);
      return true;
    }
    const int got = ::gzread(gz_, buf_.data(), static_cast<unsigned>(buf_.size()));
    if (got < 0) {
      int code = 0;
      const char* msg = ::gzerror(gz_, &code);
      throw error(errc::io, "cannot read " + shown_ + ": " + (code == Z_ERRNO ? std::strerror(errno) : msg));
    }
    if (got == 0) {
      int code = 0;
      const char* msg = ::gzerror(gz_, &code);
      if (code != Z_OK && code != Z_STREAM_END)
        throw error(errc::io, "cannot read " + shown_ + " (damaged or truncated gzip?): " + msg);
      eof_ = true;
      return false;
    }
    pos_ = 0;
    end_ = static_cast<std::size_t>(got);
    return true;
  }

  std::string shown_;
  gzFile gz_ = nullptr;
  int raw_fd_ = -1;             // a plain file, read without zlib (then gz_ is null)
  std::uint64_t raw_read_ = 0;  // bytes read from raw_fd_ so far
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  bool eof_ = false;
  std::uint64_t line_no_ = 0;
};

struct skip {
  const char* reason;
  std::string message;
};

}  // namespace

bool parse_iso8601(std::string_view s, std::int64_t& out) {
  s = trim(s);
  std::size_t i = 0;
  auto digits = [&](int n, int& v) {
    if (i + static_cast<std::size_t>(n) > s.size()) return false;
    v = 0;
    for (int k = 0; k < n; ++k) {
      const char c = s[i + static_cast<std::size_t>(k)];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    i += static_cast<std::size_t>(n);
    return true;
  };
  auto expect = [&](char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  };
  int y, mo, d, h = 0, mi = 0, se = 0;
  if (!digits(4, y) || !expect('-') || !digits(2, mo) || !expect('-') || !digits(2, d)) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > mdays[mo - 1]) return false;
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return false;
  std::int64_t offset = 0;
  if (i < s.size()) {
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return false;
    ++i;
    if (!digits(2, h) || !expect(':') || !digits(2, mi)) return false;
    if (expect(':')) {
      if (!digits(2, se)) return false;
      if (expect('.') || expect(',')) {
        std::size_t frac = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac;
        if (frac == 0) return false;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return false;
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        const int sign = s[i] == '-' ? -1 : 1;
        ++i;
        int oh, om = 0;
        if (!digits(2, oh)) return false;
        if (expect(':')) {
          if (!digits(2, om)) return false;
        } else if (i < s.size()) {
          if (!digits(2, om)) return false;
        }
        if (oh > 23 || om > 59) return false;
        offset = sign * (oh * 3600 + om * 60);
      } else {
        return false;
      }
    }
    if (i != s.size()) return false;
  }
  out = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 + se -
        offset;
  return true;
}

std::string format_iso8601(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  std::int64_t secs = t - days * 86400;
  // civil_from_days (H. Hinnant)
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

void append_json_string(std::string& out, std::string_view s) {
  static const char hex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// ---------------------------------------------------------------------------------------------

struct record_reader::impl {
  std::vector<std::string> paths;
  std::vector<std::string> shown;
  input_options opts;
  input_progress* progress = nullptr;
  std::uint64_t bytes_before_current = 0;  // sizes of finished files

  std::size_t file = 0;
  std::unique_ptr<line_source> src;
  input_format current_format = input_format::jsonl;
  char current_delimiter = ',';
  bool at_header = false;
  // CSV column of each wanted field (-1: absent)
  int col_id = -1, col_text = -1, col_title = -1, col_ts = -1, col_source = -1, col_vector = -1;
  std::size_t csv_columns = 0;

  simdjson::dom::parser parser;
  std::string line;
  std::string csv_record;
  std::vector<std::string> fields;

  std::uint64_t file_size(const std::string& p) const {
    if (p == "-") return 0;
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  }

  void open_current() {
    const std::string& p = paths[file];
    src = std::make_unique<line_source>(p, shown[file]);
    current_format = opts.format;
    current_delimiter = opts.csv_delimiter;
    std::string base = p;
    if (ends_with(base, ".gz")) base.resize(base.size() - 3);
    if (current_format == input_format::automatic) {
      if (ends_with(base, ".csv")) {
        current_format = input_format::csv;
      } else if (ends_with(base, ".tsv")) {
        current_format = input_format::csv;
        current_delimiter = '\t';
      } else {
        current_format = input_format::jsonl;
      }
    }
    at_header = current_format == input_format::csv;
  }

  void close_current() {
    bytes_before_current += file_size(paths[file]);
    if (progress) progress->bytes_done.store(bytes_before_current, std::memory_order_relaxed);
    src.reset();
    ++file;
  }

  // ---- JSON

  std::optional<skip> parse_json(std::string& text_line, input_record& rec) {
    // The DOM parser dispatches at run time to the best SIMD kernel libsimdjson was built with
    // (the On-Demand front end would be fixed at compile time to our -march, i.e. the fallback).
    const std::size_t len = text_line.size();
    text_line.append(simdjson::SIMDJSON_PADDING, ' ');
    auto fail = [&](simdjson::error_code e, const std::string& where) -> std::optional<skip> {
      if (e == simdjson::UTF8_ERROR) {
        std::size_t at = 0;
        retold::is_valid_utf8(std::string_view(text_line.data(), len), &at);
        return skip{"invalid_utf8", "invalid UTF-8 at byte " + std::to_string(at) + " of the line"};
      }
      return skip{"malformed_json", where + std::string(simdjson::error_message(e))};
    };
    simdjson::dom::element doc;
    if (auto e = parser.parse(text_line.data(), len, false).get(doc)) return fail(e, "");
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) return skip{"malformed_json", "the line is not a JSON object"};
    using et = simdjson::dom::element_type;
    bool have_id = false, have_text = false, have_vector = false;
    for (const simdjson::dom::key_value_pair field : obj) {
      // Named copies, not a structured binding: clang before 16 cannot capture bindings in lambdas.
      const std::string_view key = field.key;
      const simdjson::dom::element val = field.value;
      const et type = val.type();
      if (type == et::NULL_VALUE) continue;
      auto get_str = [&](std::string& into, const std::string& what) -> std::optional<skip> {
        std::string_view v;
        if (val.get_string().get(v)) return skip{"wrong_type", "field '" + what + "' is not a string"};
        into.assign(v);
        return std::nullopt;
      };
      if (key == opts.id_field) {
        if (type == et::INT64) {
          rec.id = std::to_string(val.get_int64().value_unsafe());
        } else if (type == et::UINT64) {
          rec.id = std::to_string(val.get_uint64().value_unsafe());
        } else if (auto s = get_str(rec.id, opts.id_field)) {
          return s;
        }
        have_id = true;
      } else if (key == opts.text_field) {
        if (auto s = get_str(rec.text, opts.text_field)) return s;
        have_text = true;
      } else if (key == opts.title_field) {
        if (auto s = get_str(rec.title, opts.title_field)) return s;
      } else if (key == opts.source_field) {
        if (auto s = get_str(rec.source, opts.source_field)) return s;
      } else if (key == opts.timestamp_field) {
        if (type == et::INT64 || type == et::UINT64 || type == et::DOUBLE) {
          const double d = val.get_double().value_unsafe();
          if (!std::isfinite(d) || std::fabs(d) > 1e15)
            return skip{"bad_timestamp", "timestamp " + std::to_string(d) + " is out of range"};
          rec.timestamp = type == et::INT64 ? val.get_int64().value_unsafe() : static_cast<std::int64_t>(std::floor(d));
        } else if (type == et::STRING) {
          const std::string_view v = val.get_string().value_unsafe();
          if (!parse_iso8601(v, rec.timestamp))
            return skip{"bad_timestamp", "timestamp '" + std::string(v.substr(0, 64)) + "' is not ISO 8601"};
        } else {
          return skip{"bad_timestamp", "timestamp must be an ISO 8601 string or Unix seconds"};
        }
        rec.has_timestamp = true;
      } else if (opts.want_vector && key == opts.vector_field) {
        simdjson::dom::array arr;
        if (val.get_array().get(arr)) return skip{"bad_vector", "vector is not an array of numbers"};
        for (auto x_el : arr) {
          double x;
          if (x_el.get_double().get(x)) return skip{"bad_vector", "vector holds a non-number"};
          if (!std::isfinite(x)) return skip{"bad_vector", "vector holds a non-finite number"};
          rec.vector.push_back(static_cast<float>(x));
        }
        have_vector = true;
      }
    }
    if (!have_id) return skip{"missing_field", "no '" + opts.id_field + "' field"};
    if (!have_text) return skip{"missing_field", "no '" + opts.text_field + "' field"};
    if (opts.require_vector && !have_vector) return skip{"missing_field", "no '" + opts.vector_field + "' field"};
    return std::nullopt;
  }

  // ---- CSV

  // Splits one logical CSV record. False when a quoted field is malformed.
  bool split_csv(std::string_view rec, std::vector<std::string>& out) {
    out.clear();
    std::string cur;
    std::size_t i = 0;
    for (;;) {
      cur.clear();
      if (i < rec.size() && rec[i] == '"') {
        ++i;
        for (;;) {
          if (i >= rec.size()) return false;
          if (rec[i] == '"') {
            if (i + 1 < rec.size() && rec[i + 1] == '"') {
              cur.push_back('"');
              i += 2;
            } else {
              ++i;
              break;
            }
          } else {
            cur.push_back(rec[i++]);
          }
        }
        if (i < rec.size() && rec[i] != current_delimiter) return false;
      } else {
        const auto next = rec.find(current_delimiter, i);
        const std::size_t stop = next == std::string_view::npos ? rec.size() : next;
        cur.assign(rec.substr(i, stop - i));
        i = stop;
      }
      out.push_back(cur);
      if (i >= rec.size()) return true;
      ++i;  // the delimiter
      if (i == rec.size()) {
        out.emplace_back();
        return true;
      }
    }
  }

  static bool quotes_open(std::string_view s) {
    return std::count(s.begin(), s.end(), '"') % 2 == 1;
  }

  int column(const std::string& name) const {
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (fields[i] == name) return static_cast<int>(i);
    return -1;
  }

  std::optional<skip> parse_csv_fields(input_record& rec) {
    if (std::size_t at = 0; !retold::is_valid_utf8(csv_record, &at))
      return skip{"invalid_utf8", "invalid UTF-8 at byte " + std::to_string(at) + " of the record"};
    if (!split_csv(csv_record, fields)) return skip{"malformed_csv", "unbalanced or misplaced quote"};
    if (fields.size() != csv_columns)
      return skip{"malformed_csv", "has " + std::to_string(fields.size()) + " columns, the header has " +
                                       std::to_string(csv_columns)};
    rec.id = trim(fields[static_cast<std::size_t>(col_id)]);
    rec.text = std::move(fields[static_cast<std::size_t>(col_text)]);
    if (col_title >= 0) rec.title = std::move(fields[static_cast<std::size_t>(col_title)]);
    if (col_source >= 0) rec.source = std::move(fields[static_cast<std::size_t>(col_source)]);
    if (col_ts >= 0) {
      const std::string_view v = trim(fields[static_cast<std::size_t>(col_ts)]);
      if (!v.empty()) {
        std::int64_t t = 0;
        double d = 0;
        const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
        if (ec == std::errc{} && p == v.data() + v.size() && std::isfinite(d) && std::fabs(d) < 1e15) {
          t = static_cast<std::int64_t>(std::floor(d));
        } else if (!parse_iso8601(v, t)) {
          return skip{"bad_timestamp", "timestamp '" + std::string(v.substr(0, 64)) + "' is not ISO 8601 or a number"};
        }
        rec.timestamp = t;
        rec.has_timestamp = true;
      }
    }
    if (opts.want_vector && col_vector >= 0) {
      std::string_view v = trim(fields[static_cast<std::size_t>(col_vector)]);
      if (!v.empty() && v.front() == '[') v.remove_prefix(1);
      if (!v.empty() && v.back() == ']') v.remove_suffix(1);
      std::size_t i = 0;
      while (i < v.size()) {
        while (i < v.size() && (v[i] == ' ' || v[i] == ',' || v[i] == ';')) ++i;
        if (i >= v.size()) break;
        float x;
        const auto [p, ec] = std::from_chars(v.data() + i, v.data() + v.size(), x);
        if (ec != std::errc{} || !std::isfinite(x)) return skip{"bad_vector", "vector holds a non-number"};
        rec.vector.push_back(x);
        i = static_cast<std::size_t>(p - v.data());
      }
    }
    if (opts.require_vector && rec.vector.empty()) return skip{"missing_field", "no '" + opts.vector_field + "' value"};
    return std::nullopt;
  }

  // ---- checks common to both formats

  std::optional<skip> check(const input_record& rec) const {
    if (trim(rec.id).empty()) return skip{"missing_field", "empty '" + opts.id_field + "'"};
    if (rec.id.size() > opts.max_id_bytes)
      return skip{"too_large", "id of " + std::to_string(rec.id.size()) + " bytes exceeds " +
                                   std::to_string(opts.max_id_bytes)};
    if (all_space(rec.text)) return skip{"empty_text", "empty text"};
    if (rec.text.size() + rec.title.size() > opts.max_doc_bytes)
      return skip{"too_large", "text of " + std::to_string(rec.text.size() + rec.title.size()) +
                                   " bytes exceeds --max-doc-bytes " + std::to_string(opts.max_doc_bytes)};
    if (opts.vector_dimension > 0 && !rec.vector.empty() && rec.vector.size() != opts.vector_dimension)
      return skip{"bad_vector", "vector has " + std::to_string(rec.vector.size()) + " numbers, expected " +
                                    std::to_string(opts.vector_dimension)};
    return std::nullopt;
  }

  static void reset(input_record& rec) {
    rec.id.clear();
    rec.text.clear();
    rec.title.clear();
    rec.source.clear();
    rec.vector.clear();
    rec.timestamp = 0;
    rec.has_timestamp = false;
  }

  // Reads the next record of the current file into `rec`. Returns false at the end of the file.
  // A bad record is appended to `bad` and `rec_ok` set false.
  bool next_record(input_record& rec, bool& rec_ok, std::vector<bad_record>& bad) {
    rec_ok = false;
    for (;;) {
      const auto st = src->next(line, opts.max_line_bytes);
      if (st == line_source::status::eof) {
        if (current_format == input_format::csv && !csv_record.empty()) {
          bad.push_back({static_cast<std::uint32_t>(file), src->line_number(), "malformed_csv",
                         "quoted field not closed before the end of the file"});
          csv_record.clear();
        }
        return false;
      }
      const std::uint64_t ln = src->line_number();
      if (ln == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a UTF-8 byte-order mark
      if (st == line_source::status::too_long) {
        csv_record.clear();
        bad.push_back({static_cast<std::uint32_t>(file), ln, "too_large",
                       "line longer than --max-line-bytes " + std::to_string(opts.max_line_bytes)});
        return true;
      }
      reset(rec);
      rec.file_index = static_cast<std::uint32_t>(file);
      rec.line = ln;
      std::optional<skip> s;
      if (current_format == input_format::jsonl) {
        if (all_space(line)) continue;
        s = parse_json(line, rec);
      } else {
        if (csv_record.empty()) {
          if (line.empty()) continue;
          csv_start_line = ln;
          csv_record = line;
        } else {
          csv_record.push_back('\n');
          csv_record += line;
          if (csv_record.size() > opts.max_line_bytes) {
            bad.push_back({static_cast<std::uint32_t>(file), csv_start_line, "too_large",
                           "record longer than --max-line-bytes " + std::to_string(opts.max_line_bytes)});
            csv_record.clear();
            return true;
          }
        }
        if (quotes_open(csv_record)) continue;
        rec.line = csv_start_line;
        if (at_header) {
          at_header = false;
          const bool ok = simdjson::validate_utf8(csv_record.data(), csv_record.size()) && split_csv(csv_record, fields);
          csv_record.clear();
          if (ok) {
            for (auto& f : fields) f = std::string(trim(f));
            csv_columns = fields.size();
            col_id = column(opts.id_field);
            col_text = column(opts.text_field);
            col_title = column(opts.title_field);
            col_ts = column(opts.timestamp_field);
            col_source = column(opts.source_field);
            col_vector = column(opts.vector_field);
          }
          if (!ok || col_id < 0 || col_text < 0) {
            bad.push_back({static_cast<std::uint32_t>(file), rec.line, "missing_field",
                           !ok ? "unreadable CSV header; file skipped"
                               : "CSV header lacks the '" + (col_id < 0 ? opts.id_field : opts.text_field) +
                                     "' column; file skipped"});
            // Drain the rest of this file.
            while (src->next(line, opts.max_line_bytes) != line_source::status::eof) {
            }
            return false;
          }
          continue;
        }
        s = parse_csv_fields(rec);
        csv_record.clear();
      }
      if (!s) s = check(rec);
      if (s) {
        bad.push_back({static_cast<std::uint32_t>(file), rec.line, s->reason, std::move(s->message)});
        return true;
      }
      rec_ok = true;
      return true;
    }
  }

  std::uint64_t csv_start_line = 0;
};

record_reader::record_reader(std::vector<std::string> paths, input_options options, input_progress* progress)
    : impl_(std::make_unique<impl>()) {
  impl_->paths = std::move(paths);
  impl_->opts = std::move(options);
  impl_->progress = progress;
  for (const auto& p : impl_->paths) impl_->shown.push_back(p == "-" ? "<stdin>" : p);
  if (progress) {
    std::uint64_t total = 0;
    bool known = true;
    for (const auto& p : impl_->paths) {
      if (p == "-") known = false;
      total += impl_->file_size(p);
    }
    progress->bytes_total = known ? total : 0;
  }
}

record_reader::~record_reader() = default;

const std::string& record_reader::file_name(std::uint32_t file_index) const { return impl_->shown.at(file_index); }

std::size_t record_reader::next_batch(std::vector<input_record>& out, std::size_t max, std::vector<bad_record>& bad) {
  impl& s = *impl_;
  if (out.size() < max) out.resize(max);
  std::size_t n = 0;
  const std::size_t bad_before = bad.size();
  while (n < max && s.file < s.paths.size()) {
    if (!s.src) s.open_current();
    bool ok = false;
    if (!s.next_record(out[n], ok, bad)) {
      s.close_current();
      continue;
    }
    if (ok) ++n;
    // Hand bad records over promptly (for --strict) without waiting for a full batch.
    if (bad.size() - bad_before >= 256) break;
  }
  if (s.progress) {
    s.progress->records.fetch_add(n, std::memory_order_relaxed);
    if (s.src) s.progress->bytes_done.store(s.bytes_before_current + s.src->offset(), std::memory_order_relaxed);
  }
  return n;
}

}  // namespace retold::cli
