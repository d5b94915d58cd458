// retold_eval: quality of retold's hybrid similarity on real labelled data.
//
//   retold_eval --data ../shared/data [--out table.md] [--check-floors]
//
// Every document goes through the library's own pipeline: normalize() -> word shingles -> MinHash
// signature (estimated Jaccard) and tfidf_embedder (cosine). The embedder of each dataset observes
// all of that dataset's texts before embedding (unsupervised: document frequencies only, as a
// deduplicator learns them from its stream). Thresholds and weights are fitted on training
// splits only:
//  - MSRP has one file: a seeded 70/30 split of its pairs (seed 42); fitted on 70, reported on 30.
//  - STS-B: the Jaccard/cosine mixing weight is fitted on train (Spearman), reported on dev.
//  - SemEval-2022: no training split; the STS-B-fitted weight is applied as is.
//  - COUNTER: 2-fold cross-validation by pair number parity (fit on odd, test on even and back),
//    pooled. ARI clusters all 600 documents with the deduplicator default rule (below).
//  - The recommended deduplicator rule (scoring_rule) is fitted on MSRP-train70 + COUNTER-odd and
//    applied unchanged to BBC and to the COUNTER clustering.
// The datasets are read in place and never copied; only aggregate figures and a few ids/titles of
// BBC merges are printed.
#include "datasets.hpp"
#include "dedup_eval.hpp"
#include "match_eval.hpp"
#include "stats.hpp"

#include <retold/embed.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/text.hpp>
#include <retold/vector_index.hpp>
#include <retold/verify.hpp>

#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <unordered_map>

namespace fs = std::filesystem;
using namespace retold_eval;

namespace {

struct config {
  retold::shingle_options shingles{retold::shingle_kind::word, 5};
  retold::minhash_config minhash{};
  retold::tfidf_embedder_options embedder{};
};

struct doc_features {
  retold::signature sig;
  std::vector<float> emb;
  std::vector<std::uint64_t> shingle_set;  // word 5-shingles, sorted unique (exact Jaccard of BBC merges)
};

// The pipeline of the library over one collection of texts.
std::vector<doc_features> featurize(const std::vector<const std::string*>& texts, const config& cfg) {
  retold::normalize_options nopt;
  nopt.replace_invalid_utf8 = true;
  const retold::minhasher mh(cfg.minhash);
  retold::tfidf_embedder emb(cfg.embedder);
  std::vector<doc_features> out(texts.size());
  std::vector<retold::term_counts> terms(texts.size());
  std::string norm;
  std::vector<std::uint64_t> sh;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    retold::normalize_into(*texts[i], norm, nopt);
    sh.clear();
    retold::shingle_hashes(norm, cfg.shingles, sh);
    out[i].sig = mh.compute(sh);
    sh.clear();
    retold::shingle_hashes(norm, {retold::shingle_kind::word, 5}, sh);
    std::sort(sh.begin(), sh.end());
    sh.erase(std::unique(sh.begin(), sh.end()), sh.end());
    out[i].shingle_set = sh;
    terms[i] = emb.extract(norm);
    emb.observe(terms[i]);
  }
  for (std::size_t i = 0; i < texts.size(); ++i) out[i].emb = emb.embed(terms[i]);
  return out;
}

struct pair_score {
  double j = 0, c = 0;
};

std::vector<pair_score> score_pairs(const std::vector<text_pair>& pairs, const config& cfg) {
  // One collection per dataset; identical texts share an entry.
  std::unordered_map<std::string, std::size_t> index;
  std::vector<const std::string*> texts;
  auto add = [&](const std::string& t) {
    auto [it, fresh] = index.emplace(t, texts.size());
    if (fresh) texts.push_back(&t);
    return it->second;
  };
  std::vector<std::pair<std::size_t, std::size_t>> ids;
  for (const auto& p : pairs) {
    const std::size_t a = add(p.a);
    const std::size_t b = add(p.b);
    ids.emplace_back(a, b);
  }
  const auto f = featurize(texts, cfg);
  std::vector<pair_score> out;
  for (auto [a, b] : ids)
    out.push_back({retold::estimate_jaccard(f[a].sig, f[b].sig), retold::cosine(f[a].emb, f[b].emb)});
  return out;
}

std::vector<double> mix(const std::vector<pair_score>& s, double w) {
  std::vector<double> out;
  for (const auto& p : s) out.push_back(w * p.j + (1 - w) * std::max(0.0, p.c));
  return out;
}

// ---- fitting the scoring rule (retold::scoring_rule) on a training subset
enum class objective { accuracy, f1 };

std::vector<bool> apply(const retold::scoring_rule& r, const std::vector<pair_score>& s,
                        const std::vector<std::size_t>& rows) {
  std::vector<bool> out;
  for (auto i : rows) out.push_back(r.evaluate(s[i].j, s[i].c, true).accepted());
  return out;
}

// Exhaustive search over a grid of the four parameters of retold::scoring_rule, maximizing
// accuracy or F1 over `rows` (each row counted with its weight: pooled datasets can count equally).
retold::scoring_rule fit_rule(const std::vector<pair_score>& s, const std::vector<bool>& y,
                              const std::vector<std::size_t>& rows, objective obj,
                              const std::vector<double>* weights = nullptr) {
  std::vector<double> grid_j, grid_c, grid_w, grid_t;
  for (double v = 0.20; v < 0.96; v += 0.05) grid_j.push_back(v);
  grid_j.push_back(1.0);  // 1.0: only identical shingle sets
  for (double v = 0.30; v < 0.99; v += 0.025) grid_c.push_back(v);
  grid_c.push_back(1.0);
  for (double v = 0.0; v < 1.01; v += 0.1) grid_w.push_back(v);
  for (double v = 0.10; v < 0.96; v += 0.025) grid_t.push_back(v);
  grid_t.push_back(1.0);
  const std::size_t n = rows.size();
  std::vector<double> J(n), C(n), W(n);
  std::vector<char> Y(n);
  double positives = 0, total = 0;
  for (std::size_t k = 0; k < n; ++k) {
    J[k] = std::clamp(s[rows[k]].j, 0.0, 1.0);
    C[k] = std::clamp(s[rows[k]].c, 0.0, 1.0);
    Y[k] = y[rows[k]];
    W[k] = weights ? (*weights)[rows[k]] : 1.0;
    positives += Y[k] ? W[k] : 0.0;
    total += W[k];
  }
  double best = -1;
  retold::scoring_rule best_rule;
  std::vector<double> M(n);
  std::vector<char> base(n);
  for (double w : grid_w) {
    for (std::size_t k = 0; k < n; ++k) M[k] = w * J[k] + (1 - w) * C[k];
    for (double jt : grid_j)
      for (double ct : grid_c) {
        for (std::size_t k = 0; k < n; ++k) base[k] = J[k] >= jt || C[k] >= ct;
        for (double t : grid_t) {
          double tp = 0, fp = 0;
          for (std::size_t k = 0; k < n; ++k) {
            const bool p = base[k] || M[k] >= t;
            tp += (p && Y[k]) ? W[k] : 0.0;
            fp += (p && !Y[k]) ? W[k] : 0.0;
          }
          const double fn = positives - tp;
          const double v = obj == objective::accuracy ? (total - fp - fn) / total : 2.0 * tp / (2 * tp + fp + fn);
          if (v > best + 1e-12) {
            best = v;
            best_rule = retold::scoring_rule{jt, ct, w, t};
          }
        }
      }
  }
  return best_rule;
}

double fit_weight(const std::vector<pair_score>& s, const std::vector<double>& gold) {
  double best = -2, best_w = 0;
  for (double w = 0; w < 1.001; w += 0.05) {
    const double r = spearman(mix(s, w), gold);
    if (r > best + 1e-12) {
      best = r;
      best_w = w;
    }
  }
  return best_w;
}

// ---- clustering (connected components of accepted pairs) and ARI
// All-pairs estimated Jaccard and cosine of a collection.
struct sim_matrix {
  std::size_t n = 0;
  std::vector<float> j, c;
  float jac(std::size_t a, std::size_t b) const { return j[a * n + b]; }
  float cos(std::size_t a, std::size_t b) const { return c[a * n + b]; }
};
sim_matrix similarities(const std::vector<doc_features>& f) {
  sim_matrix m;
  m.n = f.size();
  m.j.assign(m.n * m.n, 1.0f);
  m.c.assign(m.n * m.n, 1.0f);
  for (std::size_t a = 0; a < m.n; ++a)
    for (std::size_t b = a + 1; b < m.n; ++b) {
      m.j[a * m.n + b] = m.j[b * m.n + a] = static_cast<float>(retold::estimate_jaccard(f[a].sig, f[b].sig));
      m.c[a * m.n + b] = m.c[b * m.n + a] = retold::cosine(f[a].emb, f[b].emb);
    }
  return m;
}

// Online leader clustering as the deduplicator does it (src/dedup): documents arrive in order;
// every earlier document is a candidate (exhaustive, where the deduplicator asks LSH and the
// vector index); a copy (Jaccard >= copy_jaccard) of an accepted candidate joins that candidate's
// story; otherwise the document joins the best-scoring story whose LEADER the rule accepts, or
// opens a new story. `docs` selects and orders the documents; labels are per position in `docs`.
std::vector<std::size_t> leader_cluster(const sim_matrix& m, const std::vector<std::size_t>& docs,
                                        const retold::scoring_rule& r, double copy_jaccard = 0.9) {
  std::vector<std::size_t> story(docs.size());
  std::vector<std::size_t> leader;  // story -> position of its leader
  std::vector<char> seen;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    std::size_t best = SIZE_MAX;
    double best_j = -1, best_score = -1;
    seen.assign(leader.size(), 0);
    for (std::size_t k = 0; k < i; ++k) {
      const double j = m.jac(docs[i], docs[k]), c = m.cos(docs[i], docs[k]);
      const auto s = r.evaluate(j, c, true);
      if (!s.accepted()) continue;
      seen[story[k]] = 1;
      if (j >= copy_jaccard && j > best_j) {
        best_j = j;
        best = story[k];
      }
    }
    if (best == SIZE_MAX) {
      for (std::size_t st = 0; st < leader.size(); ++st) {
        if (!seen[st]) continue;
        const auto s = r.evaluate(m.jac(docs[i], docs[leader[st]]), m.cos(docs[i], docs[leader[st]]), true);
        if (s.accepted() && s.score > best_score) {
          best_score = s.score;
          best = st;
        }
      }
    }
    if (best == SIZE_MAX) {
      best = leader.size();
      leader.push_back(i);
    }
    story[i] = best;
  }
  return story;
}

std::vector<std::size_t> cluster_all(const sim_matrix& m, const retold::scoring_rule& r) {
  std::vector<std::size_t> docs(m.n);
  std::iota(docs.begin(), docs.end(), 0);
  return leader_cluster(m, docs, r);
}


// The rule whose leader clustering of `docs` agrees best (ARI) with `truth` (per position).
retold::scoring_rule fit_rule_by_clustering(const sim_matrix& m, const std::vector<std::size_t>& docs,
                                            const std::vector<std::size_t>& truth) {
  double best = -2;
  retold::scoring_rule best_rule;
  for (double w : {0.0, 0.25, 0.5, 0.75})
    for (double jt : {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0})
      for (double ct = 0.3; ct < 0.91; ct += 0.025)
        for (double t : {0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 1.0}) {
          const retold::scoring_rule r{jt, ct, w, t};
          const double v = adjusted_rand_index(leader_cluster(m, docs, r), truth);
          if (v > best + 1e-12) {
            best = v;
            best_rule = r;
          }
        }
  return best_rule;
}

double exact_jaccard(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  std::size_t i = 0, j = 0, inter = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++inter;
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  const std::size_t uni = a.size() + b.size() - inter;
  return uni ? double(inter) / double(uni) : 1.0;
}

// ---- the report
struct row {
  std::string dataset, metric;
  double value;
  double floor;   // NaN: informational
  std::string target;
  int decimals;
};

std::string fmt(double v, int decimals) {
  if (std::isnan(v)) return "-";
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

std::size_t peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<std::size_t>(u.ru_maxrss) / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"retold_eval: hybrid similarity (MinHash Jaccard + TF-IDF embedding cosine) on labelled data"};
  std::string data = "../shared/data", out_path;
  bool check = false, explore = false;
  config cfg;
  std::uint32_t shingle_n = cfg.shingles.n;
  std::string shingle_kind = "word";
  app.add_option("--data", data, "dataset root (README.md there describes the formats)");
  app.add_option("--out", out_path, "also write the table (markdown) to this file");
  std::string dump_path;
  app.add_option("--dump-features", dump_path,
                 "write the evidence of every labelled pair as CSV (for tools/train_match_model.py) and exit");
  app.add_flag("--check-floors", check, "exit 1 when a figure falls below its regression floor");
  app.add_flag("--explore", explore, "also print candidate deduplicator rules and their figures (stderr)");
  app.add_option("--shingle-n", shingle_n, "shingle length for the Jaccard half");
  app.add_option("--shingle-kind", shingle_kind, "word or char");
  app.add_option("--dim", cfg.embedder.dimension, "embedding dimension");
  app.add_option("--word-ngrams", cfg.embedder.word_ngram_max, "word n-gram orders 1..N");
  app.add_option("--char-min", cfg.embedder.char_ngram_min, "smallest char n-gram (0: none)");
  app.add_option("--char-max", cfg.embedder.char_ngram_max, "largest char n-gram");
  app.add_option("--number-weight", cfg.embedder.number_weight, "weight of tokens with digits");
  app.add_option("--char-weight", cfg.embedder.char_weight, "weight of char n-grams");
  CLI11_PARSE(app, argc, argv);
  cfg.shingles.n = shingle_n;
  cfg.shingles.kind = shingle_kind == "char" ? retold::shingle_kind::character : retold::shingle_kind::word;

  const auto t0 = std::chrono::steady_clock::now();
  const fs::path root(data);
  if (!fs::exists(root / "README.md")) {
    std::cerr << "retold_eval: no datasets at " << root << " (expected README.md there)\n";
    return 2;
  }
  const double nan = std::nan("");
  std::vector<row> rows;
  std::ostringstream notes;

  // ---- the learned match decision: evidence of every labelled pair, held-out figures
  {
    const auto evidence = collect_evidence(root);
    if (!dump_path.empty()) {
      std::ofstream f(dump_path);
      write_evidence_csv(evidence, f);
      if (!f) {
        std::cerr << "retold_eval: cannot write " << dump_path << "\n";
        return 2;
      }
      std::cerr << "retold_eval: wrote the evidence of " << evidence.size() << " pairs to " << dump_path << "\n";
      return 0;
    }
    for (const auto& f : evaluate_model(evidence, retold::match_model::builtin(), notes))
      rows.push_back({f.dataset, f.metric, f.value, f.floor, f.target, f.decimals});
    const auto st = streaming_sts(root);
    rows.push_back({"STS-B dev, streamed through retold::deduplicator",
                    "Spearman x100 of the stored embeddings' cosine (frequencies as refreshed while adding; " +
                        std::to_string(st.frequency_documents) + " of " + std::to_string(st.documents) +
                        " documents covered at the end)",
                    st.spearman, nan, "", 1});
  }
  // ---- retold::deduplicator itself (its own candidates, decision and clustering), defaults; then
  // the threshold rule for contrast (informational)
  {
    for (const auto& f : evaluate_deduplicator(root, retold::deduplicator_options{}, explore, notes))
      rows.push_back({f.dataset, f.metric, f.value, f.floor, f.target, f.decimals});
    retold::deduplicator_options rule;
    rule.decision = retold::match_decision::rule;
    std::ostringstream rule_notes;
    for (const auto& f : evaluate_deduplicator(root, rule, false, rule_notes))
      if (f.dataset.find("lexical only") == std::string::npos)
        rows.push_back({f.dataset + ", threshold rule (--decision rule)", f.metric, f.value, nan, "", f.decimals});
  }

  // ---- MSRP: seeded 70/30 split
  const auto msrp = read_msrp(root);
  const auto msrp_s = score_pairs(msrp, cfg);
  std::vector<bool> msrp_y;
  for (const auto& p : msrp) msrp_y.push_back(p.label > 0.5);
  std::vector<std::size_t> perm(msrp.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), std::mt19937_64(42));
  const std::size_t cut = perm.size() * 7 / 10;
  std::vector<std::size_t> msrp_train(perm.begin(), perm.begin() + cut), msrp_test(perm.begin() + cut, perm.end());
  std::vector<bool> msrp_test_y;
  for (auto i : msrp_test) msrp_test_y.push_back(msrp_y[i]);
  const auto msrp_rule = fit_rule(msrp_s, msrp_y, msrp_train, objective::accuracy);
  const auto msrp_res = stats_of(apply(msrp_rule, msrp_s, msrp_test), msrp_test_y);
  rows.push_back({"MSRP (30% test of seeded split)", "accuracy", msrp_res.accuracy, 0.69, ">= 0.75", 3});
  rows.push_back({"MSRP (30% test of seeded split)", "F1", msrp_res.f1, 0.78, "", 3});

  // ---- STS-B: weight fitted on train, reported on dev
  auto sts_train = read_sts(root, "train");
  const auto sts_dev = read_sts(root, "dev");
  const std::size_t n_train = sts_train.size();
  std::vector<text_pair> sts_all = sts_train;
  sts_all.insert(sts_all.end(), sts_dev.begin(), sts_dev.end());
  const auto sts_s_all = score_pairs(sts_all, cfg);
  const std::vector<pair_score> sts_tr(sts_s_all.begin(), sts_s_all.begin() + n_train),
      sts_dv(sts_s_all.begin() + n_train, sts_s_all.end());
  std::vector<double> gold_tr, gold_dv, gold_news;
  for (const auto& p : sts_train) gold_tr.push_back(p.label);
  for (const auto& p : sts_dev) gold_dv.push_back(p.label);
  const double w_sts = fit_weight(sts_tr, gold_tr);
  const auto dv_scores = mix(sts_dv, w_sts);
  std::vector<double> news_scores, news_cos;
  for (std::size_t i = 0; i < sts_dev.size(); ++i)
    if (sts_dev[i].group == "main-news") {
      news_scores.push_back(dv_scores[i]);
      gold_news.push_back(sts_dev[i].label);
    }
  rows.push_back({"STS-B dev", "Spearman x100, all (" + std::to_string(sts_dev.size()) + ")",
                  100 * spearman(dv_scores, gold_dv), 75.5, ">= 75", 1});
  rows.push_back({"STS-B dev", "Spearman x100, news (" + std::to_string(gold_news.size()) + ")",
                  100 * spearman(news_scores, gold_news), 71.5, "", 1});
  rows.push_back({"STS-B dev", "Spearman x100, all, cosine only", 100 * spearman(mix(sts_dv, 0.0), gold_dv), nan, "", 1});
  notes << "- Jaccard weight fitted on STS-B train (Spearman): " << fmt(w_sts, 2) << "\n";

  // ---- SemEval-2022 (original rows), weight from STS-B train; sign flipped (Overall 1 = same story)
  const auto sem = read_semeval(root);
  const auto sem_s = score_pairs(sem, cfg);
  const auto sem_scores = mix(sem_s, w_sts);
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_lang;
  for (std::size_t i = 0; i < sem.size(); ++i) {
    const auto dash = sem[i].group.find('-');
    const std::string l1 = sem[i].group.substr(0, dash), l2 = sem[i].group.substr(dash + 1);
    if (l1 != l2) continue;
    by_lang[l1].first.push_back(sem_scores[i]);
    by_lang[l1].second.push_back(-sem[i].label);
  }
  const std::map<std::string, double> sem_floor = {{"en", 0.66}, {"de", 0.50}, {"es", 0.57}, {"tr", 0.71},
                                                   {"pl", 0.47}, {"ar", 0.26}, {"fr", 0.50}};
  for (const auto& [lang, v] : by_lang) {
    const auto fl = sem_floor.count(lang) ? sem_floor.at(lang) : nan;
    rows.push_back({"SemEval-2022 " + lang + "-" + lang + " (" + std::to_string(v.first.size()) + ")",
                    "Pearson with -Overall", pearson(v.first, v.second), fl, lang == "en" ? ">= 0.78" : "", 3});
  }

  // ---- COUNTER: 2-fold CV by parity; clustering of all 600 with the default rule
  const auto counter = read_counter(root);
  const auto counter_s = score_pairs(counter, cfg);
  std::vector<bool> counter_y;
  std::vector<std::size_t> odd, even;
  for (std::size_t i = 0; i < counter.size(); ++i) {
    counter_y.push_back(counter[i].label > 0.5);
    (std::stoi(counter[i].id) % 2 ? odd : even).push_back(i);
  }
  std::vector<bool> pred(counter.size());
  for (int fold = 0; fold < 2; ++fold) {
    const auto& tr = fold ? even : odd;
    const auto& te = fold ? odd : even;
    const auto r = fit_rule(counter_s, counter_y, tr, objective::f1);
    const auto p = apply(r, counter_s, te);
    for (std::size_t k = 0; k < te.size(); ++k) pred[te[k]] = p[k];
  }
  const auto counter_res = stats_of(pred, counter_y);
  rows.push_back({"COUNTER (2-fold CV)", "F1 derived vs non-derived", counter_res.f1, 0.81, ">= 0.90", 3});

  std::vector<const std::string*> counter_texts;
  std::vector<std::size_t> counter_truth;
  for (std::size_t i = 0; i < counter.size(); ++i) {
    counter_texts.push_back(&counter[i].a);
    counter_texts.push_back(&counter[i].b);
    counter_truth.push_back(2 * i);
    counter_truth.push_back(counter_y[i] ? 2 * i : 2 * i + 1);
  }
  const auto counter_f = featurize(counter_texts, cfg);
  const auto counter_m = similarities(counter_f);
  const auto bbc = read_bbc(root);
  std::vector<const std::string*> bbc_texts;
  for (const auto& d : bbc) bbc_texts.push_back(&d.text);
  const auto bbc_f = featurize(bbc_texts, cfg);
  const auto bbc_m = similarities(bbc_f);
  std::vector<bool> even_y;
  for (auto i : even) even_y.push_back(counter_y[i]);
  // Documents of the odd / even COUNTER pairs (source first, as the agency report comes first).
  std::vector<std::size_t> odd_docs, even_docs, odd_truth, even_truth;
  for (auto i : odd) {
    odd_docs.insert(odd_docs.end(), {2 * i, 2 * i + 1});
    odd_truth.insert(odd_truth.end(), {counter_truth[2 * i], counter_truth[2 * i + 1]});
  }
  for (auto i : even) {
    even_docs.insert(even_docs.end(), {2 * i, 2 * i + 1});
    even_truth.insert(even_truth.end(), {counter_truth[2 * i], counter_truth[2 * i + 1]});
  }

  // The deduplicator default: the rule fitted on MSRP train (English news sentence pairs judged
  // "same meaning"). Fitting on COUNTER clustering instead (--explore) gives a much lower cosine
  // threshold that suits the Urdu documents but merges distinct English stories in BBC.
  std::vector<std::pair<std::string, retold::scoring_rule>> candidates = {{"MSRP train (70%) accuracy", msrp_rule}};
  if (explore) {
    std::vector<pair_score> pooled = msrp_s;
    std::vector<bool> pooled_y = msrp_y;
    std::vector<double> pooled_w(msrp_s.size(), 0.5 / double(msrp_train.size()));
    std::vector<std::size_t> pooled_rows = msrp_train;
    for (auto i : odd) {
      pooled_rows.push_back(pooled.size());
      pooled.push_back(counter_s[i]);
      pooled_y.push_back(counter_y[i]);
      pooled_w.push_back(0.5 / double(odd.size()));
    }
    candidates.push_back({"COUNTER odd documents, clustering ARI", fit_rule_by_clustering(counter_m, odd_docs, odd_truth)});
    candidates.push_back({"MSRP+COUNTER balanced accuracy", fit_rule(pooled, pooled_y, pooled_rows, objective::accuracy, &pooled_w)});
    candidates.push_back({"COUNTER odd pair accuracy", fit_rule(counter_s, counter_y, odd, objective::accuracy)});
    candidates.push_back({"scoring_rule{} (verify.hpp defaults)", retold::scoring_rule{}});
    for (double ct : {0.45, 0.5, 0.55, 0.6, 0.65, 0.7})
      candidates.push_back({"fixed cosine " + fmt(ct, 2), retold::scoring_rule{0.5, ct, 0.5, 1.0}});
  }
  const auto dedup_rule = candidates.front().second;

  struct bbc_result {
    std::size_t groups = 0, kept = 0, merged = 0, not_near = 0;
    std::vector<std::string> samples;
  };
  auto bbc_check = [&](const retold::scoring_rule& rule) {
    bbc_result res;
    const auto label = cluster_all(bbc_m, rule);
    std::map<std::string_view, std::vector<std::size_t>> identical;
    for (std::size_t i = 0; i < bbc.size(); ++i) identical[bbc[i].text].push_back(i);
    for (const auto& [t, members] : identical) {
      if (members.size() < 2) continue;
      ++res.groups;
      bool same = true;
      for (auto m : members) same &= label[m] == label[members[0]];
      res.kept += same;
    }
    std::map<std::size_t, std::vector<std::size_t>> clusters;
    for (std::size_t i = 0; i < bbc.size(); ++i) clusters[label[i]].push_back(i);
    for (const auto& [l, members] : clusters) {
      std::set<std::string_view> distinct;
      for (auto m : members) distinct.insert(bbc[m].text);
      if (distinct.size() < 2) continue;
      ++res.merged;
      // Not near-duplicates: some member shares < 50% of its word 5-shingles with the first.
      std::size_t worst = members[0];
      double worst_j = 1;
      for (auto m : members) {
        const double j = exact_jaccard(bbc_f[m].shingle_set, bbc_f[members[0]].shingle_set);
        if (j < worst_j) {
          worst_j = j;
          worst = m;
        }
      }
      if (worst_j < 0.5) {
        ++res.not_near;
        if (res.samples.size() < 5)
          res.samples.push_back(bbc[members[0]].id + " \"" + bbc[members[0]].title.substr(0, 60) + "\" ~ " + bbc[worst].id +
                                " \"" + bbc[worst].title.substr(0, 60) + "\" (" + std::to_string(members.size()) +
                                " docs, exact 5-shingle Jaccard " + fmt(worst_j, 2) + ", cosine " +
                                fmt(retold::cosine(bbc_f[members[0]].emb, bbc_f[worst].emb), 2) + ")");
      }
    }
    return res;
  };
  auto rule_text = [](const retold::scoring_rule& r) {
    return "jaccard_threshold " + fmt(r.jaccard_threshold, 3) + ", cosine_threshold " + fmt(r.cosine_threshold, 3) +
           ", combined_weight_jaccard " + fmt(r.combined_weight_jaccard, 2) + ", combined_threshold " +
           fmt(r.combined_threshold, 3);
  };
  if (explore) {
    auto q = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      std::string o;
      for (double p : {0.1, 0.25, 0.5, 0.75, 0.9, 0.99})
        o += fmt(v.empty() ? 0 : v[std::min(v.size() - 1, std::size_t(p * double(v.size())))], 2) + " ";
      return o;
    };
    std::map<std::string, std::vector<double>> cj, cc;
    for (std::size_t i = 0; i < counter.size(); ++i) {
      cc[counter[i].group].push_back(counter_s[i].c);
      cj[counter[i].group].push_back(counter_s[i].j);
    }
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<std::size_t> pc(0, counter_f.size() - 1), pb(0, bbc_f.size() - 1);
    for (int k = 0; k < 20000; ++k) {
      const auto a = pc(rng), b = pc(rng);
      if (a / 2 == b / 2) continue;
      cc["random"].push_back(retold::cosine(counter_f[a].emb, counter_f[b].emb));
      cj["random"].push_back(retold::estimate_jaccard(counter_f[a].sig, counter_f[b].sig));
      const auto x = pb(rng), y = pb(rng);
      if (bbc[x].text == bbc[y].text) continue;
      cc["bbc-random"].push_back(retold::cosine(bbc_f[x].emb, bbc_f[y].emb));
    }
    std::vector<double> bbc_max;
    for (std::size_t a = 0; a < bbc_f.size(); a += 7) {
      double m = 0;
      for (std::size_t b = 0; b < bbc_f.size(); ++b)
        if (bbc[a].text != bbc[b].text) m = std::max(m, double(retold::cosine(bbc_f[a].emb, bbc_f[b].emb)));
      bbc_max.push_back(m);
    }
    cc["bbc-nearest-distinct"] = bbc_max;
    std::vector<double> mp, mn;
    for (std::size_t i = 0; i < msrp.size(); ++i) (msrp_y[i] ? mp : mn).push_back(msrp_s[i].c);
    cc["msrp-pos"] = mp;
    cc["msrp-neg"] = mn;
    std::cerr << "quantiles 10/25/50/75/90/99\n";
    for (auto& [g, v] : cc) std::cerr << "  cosine  " << g << ": " << q(v) << "\n";
    for (auto& [g, v] : cj) std::cerr << "  jaccard " << g << ": " << q(v) << "\n";
  }
  if (explore) {
    // A few BBC pairs of distinct texts per cosine band, to judge by title what a threshold merges.
    std::mt19937_64 rng(9);
    for (double lo : {0.40, 0.45, 0.50, 0.55, 0.60, 0.65}) {
      std::vector<std::pair<std::size_t, std::size_t>> band;
      for (std::size_t a = 0; a < bbc_m.n; ++a)
        for (std::size_t b = a + 1; b < bbc_m.n; ++b)
          if (bbc_m.cos(a, b) >= lo && bbc_m.cos(a, b) < lo + 0.05 && bbc[a].text != bbc[b].text) band.emplace_back(a, b);
      std::shuffle(band.begin(), band.end(), rng);
      std::cerr << "BBC pairs with cosine in [" << fmt(lo, 2) << ", " << fmt(lo + 0.05, 2) << "): " << band.size() << "\n";
      for (std::size_t k = 0; k < std::min<std::size_t>(6, band.size()); ++k)
        std::cerr << "    " << bbc[band[k].first].title.substr(0, 50) << "  ~  " << bbc[band[k].second].title.substr(0, 50) << "\n";
    }
  }
  if (explore) {
    for (const auto& [name, r] : candidates) {
      const auto b = bbc_check(r);
      std::cerr << "rule [" << name << "] " << rule_text(r) << "\n    MSRP test acc "
                << fmt(stats_of(apply(r, msrp_s, msrp_test), msrp_test_y).accuracy, 3) << ", COUNTER even F1 "
                << fmt(stats_of(apply(r, counter_s, even), even_y).f1, 3) << " acc "
                << fmt(stats_of(apply(r, counter_s, even), even_y).accuracy, 3) << ", COUNTER ARI "
                << fmt(adjusted_rand_index(cluster_all(counter_m, r), counter_truth), 3) << " (even docs "
                << fmt(adjusted_rand_index(leader_cluster(counter_m, even_docs, r), even_truth), 3) << "), BBC groups kept " << b.kept << "/"
                << b.groups << ", merges " << b.merged << " (not near-dup " << b.not_near << ")\n";
    }
  }

  rows.push_back({"COUNTER even pairs", "F1 with the dedup default rule", stats_of(apply(dedup_rule, counter_s, even), even_y).f1, nan,
                  "", 3});
  rows.push_back({"MSRP 30% test", "accuracy with the dedup default rule",
                  stats_of(apply(dedup_rule, msrp_s, msrp_test), msrp_test_y).accuracy, nan, "", 3});
  rows.push_back({"COUNTER (300 docs of even pairs, held out)", "ARI of the tool's own leader clustering (exhaustive candidates), threshold rule",
                  adjusted_rand_index(leader_cluster(counter_m, even_docs, dedup_rule), even_truth), 0.37, "", 3});
  rows.push_back({"COUNTER (all 600 docs)", "ARI of the tool's own leader clustering (exhaustive candidates), threshold rule",
                  adjusted_rand_index(cluster_all(counter_m, dedup_rule), counter_truth), 0.36, "", 3});
  {
    const auto b = bbc_check(dedup_rule);
    rows.push_back({"BBC (" + std::to_string(bbc.size()) + " articles)",
                    "exact-duplicate groups kept together (" + std::to_string(b.groups) + " groups), %",
                    b.groups ? 100.0 * double(b.kept) / double(b.groups) : 100.0, 100.0, "100%", 1});
    rows.push_back({"BBC", "clusters merging distinct texts", double(b.merged), nan, "", 0});
    rows.push_back({"BBC", "... of which not near-duplicates (5-shingle Jaccard < 0.5)", double(b.not_near), nan, "", 0});
    for (const auto& smp : b.samples) notes << "- BBC merge sample: " << smp << "\n";
  }

  // ---- the vector index on real embeddings: IVF recall against exact (flat) search
  {
    std::unordered_map<std::string_view, char> seen;
    std::vector<const std::string*> texts;
    auto take = [&](const std::string& t) {
      if (seen.emplace(t, 0).second) texts.push_back(&t);
    };
    for (const auto& p : msrp) take(p.a), take(p.b);
    for (const auto& p : sts_all) take(p.a), take(p.b);
    for (const auto& p : sem) take(p.a), take(p.b);
    for (const auto& p : counter) take(p.a), take(p.b);
    for (const auto& d : bbc) take(d.text);
    const auto f = featurize(texts, cfg);
    retold::vector_index_options fo;
    fo.dimension = cfg.embedder.dimension;
    fo.kind = retold::vector_index_kind::flat;
    auto io = fo;
    io.kind = retold::vector_index_kind::ivf;
    retold::vector_index flat(fo), ivf(io);
    std::vector<std::uint64_t> keys(f.size());
    std::vector<float> rows_x;
    for (std::size_t i = 0; i < f.size(); ++i) {
      keys[i] = i;
      rows_x.insert(rows_x.end(), f[i].emb.begin(), f[i].emb.end());
    }
    flat.add_batch(keys, rows_x);
    ivf.add_batch(keys, rows_x);
    const float t = static_cast<float>(dedup_rule.cosine_threshold);
    std::vector<std::size_t> queries(f.size());
    std::iota(queries.begin(), queries.end(), 0);
    std::shuffle(queries.begin(), queries.end(), std::mt19937_64(3));
    queries.resize(std::min<std::size_t>(queries.size(), 1000));
    std::vector<std::vector<std::uint64_t>> want;
    std::size_t total = 0;
    for (auto q : queries) {
      std::vector<std::uint64_t> k;
      for (const auto& m : flat.range_search(f[q].emb, t))
        if (m.key != q) k.push_back(m.key);
      std::sort(k.begin(), k.end());
      total += k.size();
      want.push_back(std::move(k));
    }
    if (explore) {
      // nlist/nprobe sweep: recall and query time on these real embeddings.
      const double root_n = std::sqrt(double(f.size()));
      for (double mult : {0.5, 1.0, 2.0, 4.0}) {
        auto o = io;
        o.nlist = static_cast<std::uint32_t>(mult * root_n);
        retold::vector_index v(o);
        v.add_batch(keys, rows_x);
        for (std::uint32_t nprobe : {2u, 4u, 8u, 16u, 32u}) {
          v.set_nprobe(nprobe);
          std::size_t found = 0;
          const auto t1 = std::chrono::steady_clock::now();
          for (std::size_t qi = 0; qi < queries.size(); ++qi)
            for (const auto& m : v.range_search(f[queries[qi]].emb, t))
              found += std::binary_search(want[qi].begin(), want[qi].end(), m.key);
          const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t1).count() /
                            double(queries.size());
          std::cerr << "ivf nlist " << o.nlist << " nprobe " << nprobe << ": recall " << fmt(double(found) / double(total), 3)
                    << ", " << fmt(us, 0) << " us/query\n";
        }
      }
      const auto t1 = std::chrono::steady_clock::now();
      for (auto q : queries) (void)flat.range_search(f[q].emb, t);
      std::cerr << "flat: " << fmt(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t1).count() /
                                       double(queries.size()), 0)
                << " us/query\n";
    }
    for (std::uint32_t nprobe : {8u, 16u, 32u}) {
      ivf.set_nprobe(nprobe);
      std::size_t found = 0;
      for (std::size_t qi = 0; qi < queries.size(); ++qi)
        for (const auto& m : ivf.range_search(f[queries[qi]].emb, t))
          found += std::binary_search(want[qi].begin(), want[qi].end(), m.key);
      rows.push_back({"vector index, " + std::to_string(f.size()) + " real embeddings (IVF nlist " +
                          std::to_string(ivf.active_nlist()) + ")",
                      "recall of cosine >= " + fmt(t, 3) + " neighbours, nprobe " + std::to_string(nprobe) + " (" +
                          std::to_string(total) + " pairs)",
                      total ? double(found) / double(total) : 1.0, nan, "", 3});
    }
  }

  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rows.push_back({"whole evaluation", "wall time, s", seconds, nan, "", 1});
  rows.push_back({"whole evaluation", "peak RSS, MiB", double(peak_rss_mib()), nan, "", 0});

  std::ostringstream table;
  table << "| dataset | metric | value | floor | target |\n|---|---|---|---|---|\n";
  std::vector<std::string> failures;
  for (const auto& r : rows) {
    table << "| " << r.dataset << " | " << r.metric << " | " << fmt(r.value, r.decimals) << " | " << fmt(r.floor, r.decimals)
          << " | " << r.target << " |\n";
    if (!std::isnan(r.floor) && !(r.value >= r.floor))
      failures.push_back(r.dataset + " / " + r.metric + ": " + fmt(r.value, r.decimals) + " < floor " + fmt(r.floor, r.decimals));
  }
  notes << "- MSRP rule fitted on the 70% train part: " << rule_text(msrp_rule) << "\n";
  notes << "- Deduplicator default rule (fitted on " << candidates.front().first << "): " << rule_text(dedup_rule) << "\n";
  notes << "- Configuration: " << (cfg.shingles.kind == retold::shingle_kind::word ? "word" : "char") << " " << cfg.shingles.n
        << "-shingles, MinHash " << cfg.minhash.num_hashes << "; embedder dim " << cfg.embedder.dimension << ", word n-grams 1.."
        << cfg.embedder.word_ngram_max << ", char n-grams " << cfg.embedder.char_ngram_min << ".." << cfg.embedder.char_ngram_max
        << ", number weight " << cfg.embedder.number_weight << "\n";
  const std::string report = table.str() + "\n" + notes.str();
  std::cout << report;
  if (!out_path.empty()) std::ofstream(out_path) << report;
  if (check && !failures.empty()) {
    for (const auto& f : failures) std::cerr << "retold_eval: below floor: " << f << "\n";
    return 1;
  }
  return 0;
}
