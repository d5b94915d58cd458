#include "datasets.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace retold_eval {
namespace fs = std::filesystem;
namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::size_t b = 0;
  for (;;) {
    const std::size_t e = line.find(sep, b);
    out.push_back(line.substr(b, e == std::string::npos ? std::string::npos : e - b));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// RFC 4180 CSV: quoted fields may hold separators, doubled quotes and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < s.size() && s[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
    } else {
      field.push_back(c);
      any = true;
    }
  }
  if (any && !(rows.back().empty() && field.empty())) rows.back().push_back(std::move(field));
  while (!rows.empty() && rows.back().empty()) rows.pop_back();
  return rows;
}

std::string xml_unescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    const std::size_t semi = s.find(';', i);
    if (semi == std::string::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    const std::string ent = s.substr(i + 1, semi - i - 1);
    std::uint32_t cp = 0;
    if (ent == "amp") cp = '&';
    else if (ent == "lt") cp = '<';
    else if (ent == "gt") cp = '>';
    else if (ent == "quot") cp = '"';
    else if (ent == "apos") cp = '\'';
    else if (!ent.empty() && ent[0] == '#')
      cp = static_cast<std::uint32_t>(ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X') ? std::stoul(ent.substr(2), nullptr, 16)
                                                                                          : std::stoul(ent.substr(1)));
    if (cp == 0) {
      out.push_back('&');
      continue;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    i = semi;
  }
  return out;
}

std::string between(const std::string& s, const std::string& open, const std::string& close) {
  const std::size_t b = s.find(open);
  if (b == std::string::npos) return {};
  const std::size_t from = s.find('>', b) + 1;
  const std::size_t e = s.find(close, from);
  return s.substr(from, e == std::string::npos ? std::string::npos : e - from);
}

std::string attribute(const std::string& s, const std::string& name) {
  const std::size_t b = s.find(name + "=\"");
  if (b == std::string::npos) return {};
  const std::size_t from = b + name.size() + 2;
  return s.substr(from, s.find('"', from) - from);
}

}  // namespace

std::vector<text_pair> read_msrp(const fs::path& data) {
  std::string all = slurp(data / "msrp" / "msr_paraphrase_train.txt");
  if (all.rfind("\xEF\xBB\xBF", 0) == 0) all.erase(0, 3);
  std::vector<text_pair> out;
  const auto lines = lines_of(all);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split(lines[i], '\t');
    if (f.size() < 5) continue;
    out.push_back({f[3], f[4], std::stod(f[0]), "", f[1] + "-" + f[2]});
  }
  return out;
}

std::vector<text_pair> read_sts(const fs::path& data, const std::string& which) {
  std::vector<text_pair> out;
  for (const auto& line : lines_of(slurp(data / "stsbenchmark" / ("sts-" + which + ".csv")))) {
    const auto f = split(line, '\t');
    if (f.size() < 7) continue;
    out.push_back({f[5], f[6], std::stod(f[4]), f[0], f[3]});
  }
  return out;
}

std::vector<text_pair> read_semeval(const fs::path& data) {
  const auto rows = parse_csv(slurp(data / "semeval2022" / "training_set.csv"));
  if (rows.empty()) return {};
  const auto& h = rows[0];
  auto col = [&](const std::string& name) {
    const auto it = std::find(h.begin(), h.end(), name);
    if (it == h.end()) throw std::runtime_error("semeval2022: no column " + name);
    return static_cast<std::size_t>(it - h.begin());
  };
  const std::size_t id = col("pair_id"), l1 = col("lang1"), l2 = col("lang2"), t1 = col("text1"), t2 = col("text2"),
                    ov = col("Overall");
  const std::regex original("[0-9]+_[0-9]+");
  std::vector<text_pair> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& f = rows[r];
    if (f.size() < h.size()) continue;
    if (!std::regex_match(f[id], original)) continue;
    out.push_back({f[t1], f[t2], std::stod(f[ov]), f[l1] + "-" + f[l2], f[id]});
  }
  return out;
}

// The (agency source, derived story) file pairs of COUNTER in pair order: NNNN.xml and NNNNp.xml
// (one is NNNNP.xml); a source without its derived story is left out.
static std::vector<std::pair<fs::path, fs::path>> counter_files(const fs::path& data) {
  const fs::path dir = data / "counter" / "COUNTER";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".xml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<std::pair<fs::path, fs::path>> out;
  for (const auto& p : files) {
    const std::string stem = p.stem().string();
    if (stem.size() != 4) continue;
    fs::path derived = dir / (stem + "p.xml");
    if (!fs::exists(derived)) derived = dir / (stem + "P.xml");
    if (!fs::exists(derived)) continue;
    out.emplace_back(p, derived);
  }
  return out;
}

std::vector<text_pair> read_counter(const fs::path& data) {
  auto read_doc = [](const fs::path& p, std::string* cls) {
    const std::string s = slurp(p);
    if (cls) *cls = attribute(s, "classification");
    return xml_unescape(between(s, "<headline", "</headline>")) + "\n" + xml_unescape(between(s, "<body", "</body>"));
  };
  std::vector<text_pair> out;
  for (const auto& [p, derived] : counter_files(data)) {
    const std::string stem = p.stem().string();
    text_pair tp;
    tp.a = read_doc(p, &tp.group);
    tp.b = read_doc(derived, nullptr);
    tp.label = (tp.group == "WD" || tp.group == "PD") ? 1 : 0;
    tp.id = stem;
    out.push_back(std::move(tp));
  }
  return out;
}

namespace {
// "dd.mm.yy" (20yy) -> seconds since the epoch at UTC midnight; -1 when malformed.
std::int64_t parse_newsdate(const std::string& s) {
  int d = 0, m = 0, y = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%2d.%2d.%2d%c", &d, &m, &y, &tail) != 3) return -1;
  if (d < 1 || d > 31 || m < 1 || m > 12) return -1;
  y += 2000;
  // Days from civil (H. Hinnant's algorithm).
  y -= m <= 2;
  const int era = y / 400, yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (static_cast<std::int64_t>(era) * 146097 + doe - 719468) * 86400;
}
}  // namespace

std::vector<counter_document> read_counter_documents(const fs::path& data) {
  auto read_doc = [](const fs::path& p, bool source) {
    const std::string s = slurp(p);
    counter_document d;
    d.id = p.stem().string();
    d.pair = std::stoi(d.id.substr(0, 4));
    d.is_source = source;
    d.classification = attribute(s, "classification");
    d.newspaper = attribute(s, "newspaper");
    d.newsdate = attribute(s, "newsdate");
    d.timestamp = parse_newsdate(d.newsdate);
    d.title = xml_unescape(between(s, "<headline", "</headline>"));
    d.text = xml_unescape(between(s, "<body", "</body>"));
    return d;
  };
  std::vector<counter_document> out;
  for (const auto& [p, derived] : counter_files(data)) {
    out.push_back(read_doc(p, true));
    out.push_back(read_doc(derived, false));
  }
  return out;
}

std::vector<document> read_bbc(const fs::path& data) {
  std::vector<document> out;
  const fs::path root = data / "bbc" / "bbc";
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& p : files) {
    document d;
    d.id = p.parent_path().filename().string() + "/" + p.stem().string();
    d.text = slurp(p);
    d.title = d.text.substr(0, d.text.find('\n'));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace retold_eval
