// tools/retold/output.cpp - the output sink and record formatting of the retold tool (output.hpp).
#include "output.hpp"

#include "common.hpp"
#include "input.hpp"

#include <retold/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace retold::cli {

output_sink::output_sink(const std::string& path) : path_(path) {
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

output_sink::~output_sink() {
  if (f_ && f_ != stdout) {
    std::fclose(f_);
    if (!direct_) std::remove(tmp_.c_str());
  }
}

void output_sink::maybe_flush() {
  if (buf_.size() >= (1 << 20)) flush();
}

void output_sink::flush() {
  if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
    throw error(errc::io, "cannot write " + shown() + ": " + std::strerror(errno));
  buf_.clear();
}

void output_sink::commit() {
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

std::string output_sink::shown() const { return f_ == stdout ? "standard output" : path_; }

void append_record_head(std::string& o, const char* kind) {
  o += "\"record\":\"";
  o += kind;
  o += "\",\"format_version\":" + std::to_string(record_format_version);
}

void append_member_fields(std::string& o, const cluster_member& m) {
  o += "\"id\":";
  append_json_string(o, m.id);
  o += ",\"timestamp\":" + std::to_string(m.timestamp) + ",\"time\":\"" + format_iso8601(m.timestamp) + "\",\"source\":";
  append_json_string(o, m.source);
  o += ",\"title\":";
  append_json_string(o, m.title);
  o += ",\"snippet\":";
  append_json_string(o, m.snippet);
}

void append_scores(std::string& o, const pair_scores& s) {
  o += "\"score\":" + fmt_double(s.score) + ",\"jaccard\":" + fmt_double(s.jaccard);
  if (s.has_cosine) o += ",\"cosine\":" + fmt_double(s.cosine);
  o += ",\"decided_by\":\"";
  o += decided_by_name(s.decision);
  o += '"';
}

void append_cluster(std::string& o, const cluster_info& c) {
  o += '{';
  append_record_head(o, "story");
  o += ",\"cluster_id\":" + std::to_string(c.id) + ",\"size\":" + std::to_string(c.members.size()) +
       ",\"representative\":";
  append_json_string(o, c.representative);
  o += ",\"leader\":";
  append_json_string(o, c.leader);
  o += ",\"members\":[";
  for (std::size_t i = 0; i < c.members.size(); ++i) {
    const auto& m = c.members[i];
    if (i) o += ',';
    o += '{';
    append_member_fields(o, m);
    o += ',';
    append_scores(o, m.scores);
    o += '}';
  }
  o += "]}\n";
}

void append_matches(std::string& o, const deduplicator& d, const std::vector<match>& ms) {
  o += "\"matches\":[";
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (i) o += ',';
    cluster_member stored;
    stored.id = ms[i].id;
    for (auto& m : d.cluster(ms[i].cluster_id).members)
      if (m.id == ms[i].id) stored = std::move(m);
    o += '{';
    append_member_fields(o, stored);
    o += ",\"cluster_id\":" + std::to_string(ms[i].cluster_id) + ",";
    append_scores(o, ms[i].scores);
    o += '}';
  }
  o += ']';
}

std::size_t write_clusters(const deduplicator& d, output_sink& out, std::size_t min_members,
                           const std::unordered_set<std::uint64_t>* only) {
  std::size_t n = 0;
  // One story at a time: the whole list would be held at once otherwise (~0.3 GB at 1M documents).
  d.for_each_cluster(min_members, [&](const cluster_info& c) {
    if (only && !only->count(c.id)) return;
    append_cluster(out.buffer(), c);
    out.maybe_flush();
    ++n;
  });
  out.commit();
  return n;
}

std::string describe_decision(const pair_scores& s, const scoring_rule& rule) {
  // `score` is the ranking number (under the rule the largest of the three measures, so a pair
  // accepted on Jaccard can carry its cosine there): print the value of the test that passed.
  const double cosine = s.has_cosine ? std::max(0.0, s.cosine) : 0.0;
  std::string head;
  switch (s.decision) {
    case decided_by::model: head = "p=" + fmt_double(s.score, 3); break;
    case decided_by::jaccard: head = fmt_double(s.jaccard, 3); break;
    case decided_by::cosine: head = fmt_double(s.cosine, 3); break;
    case decided_by::combined:
      head = fmt_double(rule.combined_weight_jaccard * s.jaccard + (1 - rule.combined_weight_jaccard) * cosine, 3);
      break;
    case decided_by::rejected: head = fmt_double(s.score, 3); break;
  }
  std::string o = head + " by " + decided_by_name(s.decision) + " (jaccard " + fmt_double(s.jaccard, 3);
  if (s.has_cosine) o += ", cosine " + fmt_double(s.cosine, 3);
  return o + ")";
}

void print_readable(const deduplicator& d, std::size_t min_members) {
  const scoring_rule& rule = d.options().scoring;
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
                    i == 0 ? "leader" : describe_decision(m.scores, rule).c_str());
      o += line;
      if (!m.title.empty()) o += "      \"" + m.title + "\"\n";
    }
  }
  o += std::to_string(singles) + " single-report stories\n";
  std::fputs(o.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace retold::cli
