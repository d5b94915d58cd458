// evaluate_deduplicator(): retold::deduplicator end to end on COUNTER and BBC (dedup_eval.hpp).
//
// Candidate recall through the public API: before each add(), query(title + "\n\n" + body,
// {top_k = all, accepted_only = false, timestamp}) returns every candidate the add will verify.
// deduplicator::query and add share the candidate generation (src/dedup/deduplicator.cpp:
// candidates_for vs segment_candidates for a one-document segment: the same LSH query at
// lsh_threshold, the top vector_candidates of the vector index plus the open segment by exact
// cosine, the same tie order, the same time window when a timestamp is given). What differs is
// handled here: query() takes one string, so the title is joined to the body exactly as add()
// joins them (same signature and embedding, hence the same candidates), but the match model's
// evidence sketch then has no title, so query()'s accept/reject can differ from the add's; the
// verdict counted as "accepted" is therefore the add's own, read with explain(doc, partner) right
// after the add. add() also verifies the LEADER of every story an accepted candidate belongs to,
// which query() does not report (counted separately). Every add is checked against its query
// (candidate count); a difference is reported in the notes.
#include "dedup_eval.hpp"

#include "stats.hpp"

#include "datasets.hpp"

#include <retold/shingle.hpp>
#include <retold/text.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace retold_eval {
namespace fs = std::filesystem;
namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

std::string fixed(double v, int decimals) {
  if (std::isnan(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

// Truncates to at most n bytes without cutting a UTF-8 sequence.
std::string clip(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  std::size_t e = n;
  while (e > 0 && (static_cast<unsigned char>(s[e]) & 0xC0) == 0x80) --e;
  return std::string(s.substr(0, e)) + "...";
}

double ari(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) { return adjusted_rand_index(a, b); }

std::vector<std::uint64_t> word5_set(std::string_view raw, const retold::normalize_options& n) {
  auto s = retold::shingle_hashes(retold::normalize(raw, n), {retold::shingle_kind::word, 5});
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

// Shingles common to two sorted, distinct sets.
std::size_t intersection_size(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  std::size_t i = 0, j = 0, inter = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) ++inter, ++i, ++j;
    else if (a[i] < b[j]) ++i;
    else ++j;
  }
  return inter;
}

// Share of `a`'s shingles found in `b`; 0 when `a` is empty.
double exact_share(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  return a.empty() ? 0.0 : double(intersection_size(a, b)) / double(a.size());
}

double exact_jaccard(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  const std::size_t inter = intersection_size(a, b);
  const std::size_t uni = a.size() + b.size() - inter;
  return uni ? double(inter) / double(uni) : 1.0;
}

// One input document as the deduplicator gets it.
struct input {
  std::string id, title, text, source;
  std::int64_t timestamp = 0;
};

// What happened to each input (by index into the inputs) in one deduplicator run, plus the
// candidates each add verified (from the query just before it).
struct run_result {
  std::vector<std::uint64_t> story;                     // per input; 0 when the add failed
  std::vector<std::vector<retold::match>> candidates;   // per input, every candidate with scores
  std::vector<std::size_t> add_candidates;              // add_result::candidates per input
  std::vector<retold::pair_scores> partner;             // per input: scores against `partner_of` right after its add
  std::vector<char> has_partner;
  std::size_t failed = 0, query_add_mismatch = 0;
  std::string first_failure, first_mismatch;
  double seconds = 0;
  std::unique_ptr<retold::deduplicator> dedup;
};

// probe: query before each add (the candidates it will verify). partner_of (when given, per
// input, SIZE_MAX for none): right after an add, explain(doc, partner) when the partner is stored,
// i.e. the scores the add itself computed for that pair (query() cannot give them: it has no title).
run_result run(const std::vector<input>& in, const std::vector<std::size_t>& order, const retold::deduplicator_options& opts,
               bool probe, const std::vector<std::size_t>* partner_of = nullptr) {
  run_result r;
  r.story.assign(in.size(), 0);
  r.candidates.resize(in.size());
  r.add_candidates.assign(in.size(), 0);
  r.partner.resize(in.size());
  r.has_partner.assign(in.size(), 0);
  const auto t0 = std::chrono::steady_clock::now();
  r.dedup = std::make_unique<retold::deduplicator>(opts);
  auto& d = *r.dedup;
  std::string joined;
  for (std::size_t i : order) {
    const input& x = in[i];
    if (probe) {
      joined.clear();
      if (!x.title.empty()) joined.append(x.title).append("\n\n");
      joined.append(x.text);
      r.candidates[i] = d.query(joined, {.top_k = std::numeric_limits<std::size_t>::max(), .accepted_only = false,
                                         .timestamp = x.timestamp});
    }
    try {
      const auto a = d.add({.id = x.id, .text = x.text, .title = x.title, .timestamp = x.timestamp, .source = x.source, .vector = {}});
      r.story[i] = a.cluster_id;
      r.add_candidates[i] = a.candidates;
      if (partner_of && (*partner_of)[i] < in.size() && d.contains(in[(*partner_of)[i]].id)) {
        r.partner[i] = d.explain(x.id, in[(*partner_of)[i]].id).scores;
        r.has_partner[i] = 1;
      }
      if (probe && a.candidates != r.candidates[i].size()) {
        if (!r.query_add_mismatch)
          r.first_mismatch = x.id + " (query " + std::to_string(r.candidates[i].size()) + ", add " +
                             std::to_string(a.candidates) + ")";
        ++r.query_add_mismatch;
      }
    } catch (const retold::error& e) {
      if (!r.failed) r.first_failure = x.id + ": " + e.what();
      ++r.failed;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// Labels for ARI: the story, or a unique label for a document that failed to add.
std::vector<std::uint64_t> labels_of(const run_result& r, const std::vector<std::size_t>& docs) {
  std::vector<std::uint64_t> out;
  std::uint64_t fresh = std::numeric_limits<std::uint64_t>::max();
  for (auto i : docs) out.push_back(r.story[i] ? r.story[i] : fresh--);
  return out;
}

bool is_derived_class(const std::string& c) { return c == "WD" || c == "PD"; }

// BBC figures over the articles `subset` (in this order): byte-identical groups within it kept in
// one story, stories merging distinct texts, and those of them whose worst member has exact word
// 5-shingle Jaccard < 0.5 with the leader.
struct bbc_counts {
  std::size_t groups = 0, kept = 0, merged = 0, not_near = 0;
};
bbc_counts bbc_figures(const std::vector<input>& bin, const std::vector<std::string>& texts,
                       const std::vector<std::vector<std::uint64_t>>& sets, const std::vector<std::size_t>& subset,
                       const retold::deduplicator_options& o) {
  const auto b = run(bin, subset, o, false);
  bbc_counts c;
  std::map<std::string_view, std::vector<std::size_t>> identical;
  for (auto i : subset) identical[texts[i]].push_back(i);
  for (const auto& [t, m] : identical) {
    if (m.size() < 2) continue;
    ++c.groups;
    bool same = b.story[m[0]] != 0;
    for (auto i : m) same &= b.story[i] == b.story[m[0]];
    c.kept += same;
  }
  std::unordered_map<std::string, std::size_t> idx;
  for (auto i : subset) idx.emplace(bin[i].id, i);
  for (const auto& story : b.dedup->clusters(2)) {
    std::set<std::string_view> distinct;
    for (const auto& m : story.members) distinct.insert(texts[idx.at(m.id)]);
    if (distinct.size() < 2) continue;
    ++c.merged;
    const std::size_t lead = idx.at(story.leader);
    double worst = 1;
    for (const auto& m : story.members) worst = std::min(worst, exact_jaccard(sets[idx.at(m.id)], sets[lead]));
    c.not_near += worst < 0.5;
  }
  return c;
}

}  // namespace

std::vector<dedup_figure> evaluate_deduplicator(const fs::path& data, const retold::deduplicator_options& given,
                                                bool explore, std::ostream& notes) {
  std::vector<dedup_figure> rows;
  retold::deduplicator_options base = given;
  base.normalize.replace_invalid_utf8 = true;

  // ---- COUNTER documents and the arrival order
  const auto cdocs = read_counter_documents(data);
  if (cdocs.empty()) throw std::runtime_error("COUNTER: no documents under " + (data / "counter").string());
  std::vector<input> cin;
  std::map<int, std::pair<std::size_t, std::size_t>> pair_docs;  // pair -> (source index, derived index)
  std::size_t undated = 0;
  std::string undated_ids;
  for (std::size_t i = 0; i < cdocs.size(); ++i) {
    const auto& c = cdocs[i];
    cin.push_back({c.id, c.title, c.text, c.newspaper, c.timestamp});
    (c.is_source ? pair_docs[c.pair].first : pair_docs[c.pair].second) = i;
  }
  // A malformed newsdate takes the date of the other document of its pair (one source has "0..14").
  for (auto& [p, sd] : pair_docs) {
    for (auto [me, other] : {std::pair{sd.first, sd.second}, std::pair{sd.second, sd.first}})
      if (cin[me].timestamp < 0) {
        ++undated;
        undated_ids += (undated_ids.empty() ? "" : ", ") + cin[me].id + " (\"" + cdocs[me].newsdate + "\")";
        cin[me].timestamp = std::max<std::int64_t>(cin[other].timestamp, 0);
      }
  }
  std::vector<std::size_t> corder(cin.size());
  std::iota(corder.begin(), corder.end(), 0);
  std::sort(corder.begin(), corder.end(), [&](std::size_t a, std::size_t b) {
    if (cin[a].timestamp != cin[b].timestamp) return cin[a].timestamp < cin[b].timestamp;
    if (cdocs[a].is_source != cdocs[b].is_source) return cdocs[a].is_source;
    return cdocs[a].pair < cdocs[b].pair;
  });
  std::size_t derived_first = 0, same_day = 0;
  for (auto& [p, sd] : pair_docs) {
    derived_first += cin[sd.second].timestamp < cin[sd.first].timestamp;
    same_day += cin[sd.second].timestamp == cin[sd.first].timestamp;
  }
  std::vector<std::size_t> partner_of(cin.size(), SIZE_MAX);
  for (auto& [p, sd] : pair_docs) partner_of[sd.first] = sd.second, partner_of[sd.second] = sd.first;
  std::vector<std::size_t> even_order;
  for (auto i : corder)
    if (cdocs[i].pair % 2 == 0) even_order.push_back(i);
  // Truth: a derived (WD/PD) pair is one story; every other document its own.
  std::vector<std::uint64_t> truth(cin.size());
  std::size_t n_derived = 0;
  for (std::size_t i = 0; i < cdocs.size(); ++i) {
    const bool derived = is_derived_class(cdocs[i].classification);
    truth[i] = derived ? std::uint64_t(cdocs[i].pair) * 2 : std::uint64_t(cdocs[i].pair) * 2 + (cdocs[i].is_source ? 0 : 1);
    n_derived += derived && cdocs[i].is_source;
  }
  auto truth_of = [&](const std::vector<std::size_t>& docs) {
    std::vector<std::uint64_t> t;
    for (auto i : docs) t.push_back(truth[i]);
    return t;
  };

  // ---- BBC articles in file order (topic folder, then number)
  const auto bbc = read_bbc(data);
  if (bbc.empty()) throw std::runtime_error("BBC: no articles under " + (data / "bbc").string());
  std::vector<input> bin;
  for (const auto& b : bbc) {
    const std::size_t nl = b.text.find('\n');
    bin.push_back({b.id, b.title, nl == std::string::npos ? std::string() : b.text.substr(nl + 1), "BBC", 0});
  }
  std::vector<std::size_t> border(bin.size());
  std::iota(border.begin(), border.end(), 0);
  std::map<std::string_view, std::vector<std::size_t>> identical;
  for (std::size_t i = 0; i < bbc.size(); ++i) identical[bbc[i].text].push_back(i);
  std::size_t groups = 0;
  for (const auto& [t, m] : identical) groups += m.size() > 1;
  std::vector<std::vector<std::uint64_t>> bbc_sets(bbc.size());  // word 5-shingles as the deduplicator sees the text
  for (std::size_t i = 0; i < bbc.size(); ++i)
    bbc_sets[i] = word5_set(bin[i].title + "\n\n" + bin[i].text, base.normalize);

  // How much of its source a partially derived COUNTER story reuses verbatim: the median share of
  // the newspaper story's word 5-shingles found in the agency report (exact sets, as the
  // deduplicator normalizes them). The yardstick for BBC's merges below.
  double pd_reuse = 0;
  {
    std::vector<double> shares;
    for (auto& [p, sd] : pair_docs)
      if (cdocs[sd.first].classification == "PD")
        shares.push_back(exact_share(word5_set(cin[sd.second].title + "\n\n" + cin[sd.second].text, base.normalize),
                                     word5_set(cin[sd.first].title + "\n\n" + cin[sd.first].text, base.normalize)));
    if (!shares.empty()) {
      std::nth_element(shares.begin(), shares.begin() + shares.size() / 2, shares.end());
      pd_reuse = shares[shares.size() / 2];
    }
  }

  const std::string n_derived_s = std::to_string(n_derived);
  const std::vector<std::pair<std::string, retold::embedding_mode>> modes = {
      {"", base.embedding}, {", lexical only (embedding_mode::none)", retold::embedding_mode::none}};
  for (const auto& [suffix, mode] : modes) {
    if (!suffix.empty() && base.embedding == retold::embedding_mode::none) break;
    const bool info = !suffix.empty();
    retold::deduplicator_options o = base;
    o.embedding = mode;
    const std::string tag = info ? " [lexical only]" : "";

    // ---- COUNTER, all 600
    const auto all = run(cin, corder, o, true, &partner_of);
    rows.push_back({"COUNTER (all " + std::to_string(cin.size()) + " docs), retold::deduplicator" + suffix,
                    "ARI vs truth (derived pair = one story)", ari(labels_of(all, corder), truth_of(corder)),
                    info ? nan_v : 0.52, info ? "" : ">= 0.75", 3});
    const auto even = run(cin, even_order, o, false);
    rows.push_back({"COUNTER (" + std::to_string(even_order.size()) + " docs of even pairs, held out), retold::deduplicator" + suffix,
                    "ARI vs truth", ari(labels_of(even, even_order), truth_of(even_order)), info ? nan_v : 0.58, "", 3});

    // Pairwise "same story" over the labelled pairs; candidate recall over the derived pairs.
    std::size_t tp = 0, fp = 0, fn = 0, cand = 0, acc = 0, via_leader = 0, query_disagrees = 0;
    std::size_t cross = 0;  // co-clustered documents of different pairs
    std::map<std::string, std::array<std::size_t, 4>> by_class;  // pairs, together, candidate, accepted
    std::vector<std::size_t> pos(cin.size());
    for (std::size_t k = 0; k < corder.size(); ++k) pos[corder[k]] = k;
    for (auto& [p, sd] : pair_docs) {
      const auto [s, dv] = sd;
      const bool together = all.story[s] && all.story[s] == all.story[dv];
      const bool derived = is_derived_class(cdocs[s].classification);
      tp += together && derived;
      fp += together && !derived;
      fn += !together && derived;
      // The later of the two (the derived one but for pairs dated the other way) meets the earlier.
      const std::size_t later = pos[s] > pos[dv] ? s : dv, earlier = later == s ? dv : s;
      bool is_cand = false, query_acc = false;
      for (const auto& m : all.candidates[later])
        if (m.id == cin[earlier].id) {
          is_cand = true;
          query_acc = m.scores.accepted();
        }
      // Accepted: as the add scored the pair (explain right after it), when it was a candidate.
      const bool is_acc = is_cand && all.has_partner[later] && all.partner[later].accepted();
      query_disagrees += is_cand && query_acc != is_acc;
      // Per class, and per half: odd pairs are where presets are chosen, even pairs are held out.
      auto& bc = by_class[cdocs[s].classification + (cdocs[s].pair % 2 ? " odd pairs (training)" : " even pairs (held out)")];
      ++bc[0];
      bc[1] += together;
      bc[2] += is_cand;
      bc[3] += is_acc;
      if (!derived) continue;
      cand += is_cand;
      acc += is_acc;
      via_leader += together && !is_cand;  // joined through a story's leader without being a candidate itself
    }
    {
      std::map<std::uint64_t, std::map<int, std::size_t>> members;  // story -> pair -> documents
      for (std::size_t i = 0; i < cin.size(); ++i)
        if (all.story[i]) ++members[all.story[i]][cdocs[i].pair];
      for (const auto& [st, pairs] : members) {
        std::size_t total = 0, within = 0;
        for (const auto& [p, n] : pairs) total += n, within += n * (n - 1) / 2;
        cross += total * (total - 1) / 2 - within;
      }
    }
    const double prec = tp + fp ? double(tp) / double(tp + fp) : 0, rec = tp + fn ? double(tp) / double(tp + fn) : 0;
    const std::string cds = "COUNTER (300 pairs, " + n_derived_s + " derived), retold::deduplicator" + suffix;
    rows.push_back({cds, "same-story precision (pairs put together that are derived)", prec, nan_v, "", 3});
    rows.push_back({cds, "same-story recall (derived pairs put together)", rec, nan_v, "", 3});
    rows.push_back({cds, "same-story F1", tp ? 2.0 * double(tp) / double(2 * tp + fp + fn) : 0, info ? nan_v : 0.72,
                    info ? "" : ">= 0.90", 3});
    rows.push_back({cds, "candidate recall: source among the verified candidates of its retelling", double(cand) / double(n_derived),
                    info ? nan_v : 0.95, "", 3});
    rows.push_back({cds, "... and accepted by the verification", double(acc) / double(n_derived), nan_v, "", 3});

    // ---- BBC
    retold::deduplicator_options ob = o;
    ob.time_window_seconds = 0;
    const auto b = run(bin, border, ob, false);
    std::size_t kept = 0;
    for (const auto& [t, m] : identical) {
      if (m.size() < 2) continue;
      bool same = b.story[m[0]] != 0;
      for (auto i : m) same &= b.story[i] == b.story[m[0]];
      kept += same;
    }
    std::unordered_map<std::string, std::size_t> bidx;
    for (std::size_t i = 0; i < bin.size(); ++i) bidx.emplace(bin[i].id, i);
    std::size_t merged = 0, not_near = 0, not_near_reusing = 0;
    std::vector<std::string> samples;
    for (const auto& story : b.dedup->clusters(2)) {
      std::set<std::string_view> distinct;
      for (const auto& m : story.members) distinct.insert(bbc[bidx.at(m.id)].text);
      if (distinct.size() < 2) continue;
      ++merged;
      const std::size_t lead = bidx.at(story.leader);
      std::size_t worst = lead;
      double worst_j = 1;
      for (const auto& m : story.members) {
        const std::size_t i = bidx.at(m.id);
        const double j = exact_jaccard(bbc_sets[i], bbc_sets[lead]);
        if (j < worst_j) worst_j = j, worst = i;
      }
      if (worst_j < 0.5) {
        ++not_near;
        not_near_reusing += exact_share(bbc_sets[worst], bbc_sets[lead]) >= pd_reuse;
        if (samples.size() < 5) {
          std::string how;
          for (const auto& m : story.members)
            if (m.id == bin[worst].id)
              how = "jaccard est. " + fixed(m.scores.jaccard, 2) + ", cosine " + fixed(m.scores.cosine, 2) + ", by " +
                    retold::decided_by_name(m.scores.decision);
          samples.push_back(bin[lead].id + " \"" + clip(bin[lead].title, 60) + "\" ~ " + bin[worst].id + " \"" +
                            clip(bin[worst].title, 60) + "\" (" + std::to_string(story.members.size()) +
                            " docs; exact 5-shingle Jaccard " + fixed(worst_j, 2) + "; joined with " +
                            (how.empty() ? "?" : how) + ")");
        }
      }
    }
    const std::string bds = "BBC (" + std::to_string(bbc.size()) + " articles), retold::deduplicator" + suffix;
    rows.push_back({bds, "exact-duplicate groups kept together (" + std::to_string(groups) + " groups), %",
                    groups ? 100.0 * double(kept) / double(groups) : 100.0, info ? nan_v : 100.0, info ? "" : "100%", 1});
    rows.push_back({bds, "stories merging distinct texts", double(merged), nan_v, "", 0});
    rows.push_back({bds, "... of which not near-duplicates (a member's exact word 5-shingle Jaccard with the leader < 0.5)",
                    double(not_near), nan_v, info ? "" : "<= 40", 0});
    rows.push_back({bds, "... of which the farthest member reuses verbatim at least as much of the leader as COUNTER's median "
                         "partially derived story does of its source (share of its word 5-shingles in the leader's >= " +
                         fixed(pd_reuse, 3) + ")",
                    double(not_near_reusing), nan_v, "", 0});

    // ---- notes
    notes << "- deduplicator" << tag << ": COUNTER 600 docs in " << fixed(all.seconds, 2) << " s (with a query before each add), "
          << "even pairs in " << fixed(even.seconds, 2) << " s, BBC in " << fixed(b.seconds, 2) << " s; "
          << n_derived - cand << " of " << n_derived << " derived pairs never reached verification";
    if (via_leader) notes << " (" << via_leader << " derived pairs joined through a story leader without being candidates)";
    notes << "; " << cross << " co-clustered document pairs span two different COUNTER pairs\n";
    if (all.failed + even.failed + b.failed)
      notes << "- deduplicator" << tag << ": " << all.failed + even.failed + b.failed << " adds failed, first: " << all.first_failure
            << even.first_failure << b.first_failure << "\n";
    if (query_disagrees)
      notes << "- deduplicator" << tag << ": for " << query_disagrees << " COUNTER pairs the query() verdict on the partner differs "
            << "from the add's (explain() right after the add): query() takes one string, so the title is not a title there\n";
    if (all.query_add_mismatch)
      notes << "- deduplicator" << tag << ": query() and add() saw different candidate counts for " << all.query_add_mismatch
            << " COUNTER documents, first " << all.first_mismatch << "\n";
    if (explore) {
      for (const auto& [cls, v] : by_class)
        notes << "- COUNTER" << tag << " " << cls << ": " << v[0] << " pairs, " << v[1] << " put in one story, " << v[2]
              << " reached verification, " << v[3] << " accepted\n";
      {
        // The 600-document run restricted to the even pairs (vs the separate run above).
        notes << "- COUNTER" << tag << ": ARI of the 600-document run restricted to the even pairs' documents "
              << fixed(ari(labels_of(all, even_order), truth_of(even_order)), 3) << "\n";
      }
      for (const auto& s : samples) notes << "- BBC merge" << tag << ": " << s << "\n";
      // Halves by article number, for choosing options on one and measuring on the other.
      std::vector<std::string> texts;
      for (const auto& a : bbc) texts.push_back(a.text);
      for (int half = 0; half < 2; ++half) {
        std::vector<std::size_t> subset;
        for (auto i : border) {
          const std::string& id = bin[i].id;
          const int number = std::atoi(id.substr(id.find('/') + 1).c_str());
          if (number % 2 == (half == 0 ? 1 : 0)) subset.push_back(i);
        }
        const auto c = bbc_figures(bin, texts, bbc_sets, subset, ob);
        notes << "- BBC" << tag << (half == 0 ? " odd-numbered articles (training): " : " even-numbered articles (held out): ")
              << subset.size() << " articles, " << c.kept << " of " << c.groups << " exact-duplicate groups kept together, "
              << c.merged << " stories merging distinct texts, " << c.not_near << " of them not near-duplicates\n";
      }
    }
  }
  notes << "- COUNTER arrival order: sorted by (newsdate, agency source before derived, pair number); timestamps are the "
           "newsdate at UTC midnight; "
        << same_day << " pairs share a date, " << derived_first << " derived stories are dated before their source (so arrive first)";
  if (undated) notes << "; " << undated << " malformed newsdate taken from its pair: " << undated_ids;
  notes << ". Sources are the newspaper attribute (APP for agency reports); title = headline, text = body.\n";
  notes << "- COUNTER even pairs: a separate deduplicator over the 300 documents of even-numbered pairs, same order.\n";
  notes << "- BBC: file order (topic folder alphabetically, then number), title = first line, text = the rest, timestamp 0, "
           "no time window; exact-duplicate groups are byte-identical files.\n";
  notes << "- Options as given except normalize.replace_invalid_utf8 = true (one BBC file has an invalid byte); "
           "time window "
        << base.time_window_seconds << " s for COUNTER.\n";
  return rows;
}

}  // namespace retold_eval
