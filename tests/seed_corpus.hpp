// tests/seed_corpus.hpp - reads seeds/corpus.jsonl and seeds/expected_clusters.json for tests.
//
// The library does not parse JSON (the CLI does, with simdjson); the tests carry this small reader
// for the flat objects of the seed files: string, number, and arrays of strings.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace retold::test {

struct seed_doc {
  std::string id, source, title, text;
  std::int64_t timestamp = 0;
};

struct seed_story {
  std::string name, representative;
  std::vector<std::string> members, paraphrase_members;
};

class json_cursor {
 public:
  explicit json_cursor(const std::string& s) : s_(s) {}
  void ws() { while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_; }
  bool peek(char c) { ws(); return i_ < s_.size() && s_[i_] == c; }
  void expect(char c) {
    ws();
    if (i_ >= s_.size() || s_[i_] != c) throw std::runtime_error(std::string("json: expected ") + c);
    ++i_;
  }
  std::string string() {
    expect('"');
    std::string out;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c != '\\') { out += c; continue; }
      char e = s_[i_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          unsigned cp = std::stoul(s_.substr(i_, 4), nullptr, 16);
          i_ += 4;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(i_, 2, "\\u") == 0) {
            unsigned lo = std::stoul(s_.substr(i_ + 2, 4), nullptr, 16);
            i_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: out += e;
      }
    }
    expect('"');
    return out;
  }
  std::vector<std::string> string_array() {
    std::vector<std::string> v;
    expect('[');
    while (!peek(']')) {
      v.push_back(string());
      if (peek(',')) expect(',');
    }
    expect(']');
    return v;
  }
  // Skips any value (used for fields the tests do not need).
  void skip() {
    ws();
    if (peek('"')) { string(); return; }
    if (peek('[') || peek('{')) {
      char open = s_[i_], close = open == '[' ? ']' : '}';
      expect(open);
      while (!peek(close)) {
        if (open == '{') { string(); expect(':'); }
        skip();
        if (peek(',')) expect(',');
      }
      expect(close);
      return;
    }
    while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']') ++i_;
  }
  std::size_t pos() const { return i_; }

 private:
  static void append_utf8(std::string& o, unsigned cp) {
    if (cp < 0x80) o += char(cp);
    else if (cp < 0x800) { o += char(0xC0 | cp >> 6); o += char(0x80 | (cp & 63)); }
    else if (cp < 0x10000) { o += char(0xE0 | cp >> 12); o += char(0x80 | (cp >> 6 & 63)); o += char(0x80 | (cp & 63)); }
    else { o += char(0xF0 | cp >> 18); o += char(0x80 | (cp >> 12 & 63)); o += char(0x80 | (cp >> 6 & 63)); o += char(0x80 | (cp & 63)); }
  }
  const std::string& s_;
  std::size_t i_ = 0;
};

// "2024-03-05T09:05:00Z" -> seconds since the epoch.
inline std::int64_t parse_iso8601(const std::string& t) {
  int y, mo, d, h, mi, s;
  if (std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6)
    throw std::runtime_error("bad timestamp " + t);
  y -= mo <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * 86400 + h * 3600 + mi * 60 + s;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<seed_doc> load_seed_corpus(const std::string& path = RETOLD_SEEDS_DIR "/corpus.jsonl") {
  std::vector<seed_doc> docs;
  std::istringstream lines(read_file(path));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json_cursor c(line);
    seed_doc d;
    c.expect('{');
    while (!c.peek('}')) {
      const std::string key = c.string();
      c.expect(':');
      if (key == "id") d.id = c.string();
      else if (key == "source") d.source = c.string();
      else if (key == "title") d.title = c.string();
      else if (key == "text") d.text = c.string();
      else if (key == "timestamp") d.timestamp = parse_iso8601(c.string());
      else c.skip();
      if (c.peek(',')) c.expect(',');
    }
    docs.push_back(std::move(d));
  }
  return docs;
}

struct seed_truth {
  std::vector<std::string> source_priority;
  std::vector<seed_story> stories;
};

inline seed_truth load_seed_truth(const std::string& path = RETOLD_SEEDS_DIR "/expected_clusters.json") {
  const std::string text = read_file(path);
  json_cursor c(text);
  seed_truth t;
  c.expect('{');
  while (!c.peek('}')) {
    const std::string key = c.string();
    c.expect(':');
    if (key == "source_priority") {
      t.source_priority = c.string_array();
    } else if (key == "stories") {
      c.expect('[');
      while (!c.peek(']')) {
        seed_story s;
        c.expect('{');
        while (!c.peek('}')) {
          const std::string k = c.string();
          c.expect(':');
          if (k == "name") s.name = c.string();
          else if (k == "representative") s.representative = c.string();
          else if (k == "members") s.members = c.string_array();
          else if (k == "paraphrase_members") s.paraphrase_members = c.string_array();
          else c.skip();
          if (c.peek(',')) c.expect(',');
        }
        c.expect('}');
        t.stories.push_back(std::move(s));
        if (c.peek(',')) c.expect(',');
      }
      c.expect(']');
    } else {
      c.skip();
    }
    if (c.peek(',')) c.expect(',');
  }
  return t;
}

}  // namespace retold::test
