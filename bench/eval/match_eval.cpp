// The learned match decision on the labelled pair datasets (match_eval.hpp).
#include "match_eval.hpp"

#include "stats.hpp"

#include <retold/dedup.hpp>
#include <retold/sketch.hpp>
#include <retold/text.hpp>

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <unordered_map>

namespace retold_eval {
namespace {

// One dataset's documents through the library's pipeline, as a deduplicator holds them: signature,
// sketch, embedding (document frequencies of the whole collection), and the cosine calibration
// fed in arrival order by the deduplicator's own partner rule.
struct collection {
  retold::tfidf_embedder embedder;
  retold::sketch_options sketch;
  retold::cosine_calibration calibration;
  std::vector<std::vector<std::uint32_t>> sigs;
  std::vector<retold::doc_sketch> sketches;
  std::vector<std::vector<float>> emb;
};

collection build(const std::vector<std::string>& texts, const std::vector<std::string>& titles) {
  collection c;
  retold::normalize_options nopt;
  nopt.replace_invalid_utf8 = true;
  nopt.strip_boilerplate = true;  // as the deduplicator's defaults
  const retold::minhasher mh{retold::minhash_config{}};
  const retold::shingle_options so{retold::shingle_kind::word, 5};
  std::vector<retold::term_counts> terms(texts.size());
  std::vector<std::uint64_t> sh;
  std::string norm, combined;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    // The deduplicator matches the title together with the body.
    combined = titles[i].empty() ? texts[i] : titles[i] + "\n\n" + texts[i];
    retold::normalize_into(combined, norm, nopt);
    sh.clear();
    retold::shingle_hashes(norm, so, sh);
    std::vector<std::uint32_t> sig(mh.config().num_hashes);
    mh.compute_into(sh, sig);
    c.sigs.push_back(std::move(sig));
    std::sort(sh.begin(), sh.end());
    const auto distinct = static_cast<std::uint32_t>(std::unique(sh.begin(), sh.end()) - sh.begin());
    c.sketches.push_back(retold::make_sketch(combined, norm, titles[i], distinct, c.sketch));
    terms[i] = c.embedder.extract(norm);
    c.embedder.observe(terms[i]);
  }
  for (std::size_t i = 0; i < texts.size(); ++i) c.emb.push_back(c.embedder.embed(terms[i]));
  for (std::uint64_t i = 1; i < texts.size(); ++i)
    for (unsigned k = 0; k < retold::cosine_calibration::partners; ++k)
      c.calibration.observe(retold::cosine(c.emb[i], c.emb[retold::cosine_calibration::partner(i, k)]));
  return c;
}

// The evidence of a pair whose `b` came after `a` (COUNTER: the newspaper story after its agency
// source; an edited copy after its original; sentence pairs in their file order), read as the
// deduplicator reads a new document against a stored one (compute_evidence: newer first).
evidence_row row_of(const collection& c, std::size_t a, std::size_t b) {
  evidence_row r;
  r.jaccard = retold::estimate_jaccard(c.sigs[a], c.sigs[b]);
  r.cosine = retold::cosine(c.emb[a], c.emb[b]);
  r.evidence = retold::compute_evidence(c.sketches[b], c.sketches[a], c.sketch, r.jaccard, r.cosine, true, c.calibration,
                                        &c.embedder);
  return r;
}

// Distinct texts of a pair dataset (identical texts share an entry), with their pair indices.
struct interned {
  std::vector<std::string> texts, titles;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
};
interned intern(const std::vector<text_pair>& pairs, bool first_line_title) {
  interned out;
  std::unordered_map<std::string, std::size_t> index;
  auto add = [&](const std::string& t) {
    auto [it, fresh] = index.emplace(t, out.texts.size());
    if (fresh) {
      if (first_line_title) {
        const auto nl = t.find('\n');
        out.titles.push_back(nl == std::string::npos ? std::string() : t.substr(0, nl));
        out.texts.push_back(nl == std::string::npos ? t : t.substr(nl + 1));
      } else {
        out.titles.emplace_back();
        out.texts.push_back(t);
      }
    }
    return it->second;
  };
  for (const auto& p : pairs) {
    const std::size_t a = add(p.a);
    const std::size_t b = add(p.b);
    out.pairs.emplace_back(a, b);
  }
  return out;
}

// Edited copies of a text, as agencies' clients make them: the first half of its words (a trimmed
// retelling), and every sixth word dropped with a credit line added (a light edit).
std::vector<std::string> edited_copies(const std::string& text) {
  std::vector<std::string> words;
  std::size_t b = 0;
  while (b < text.size()) {
    std::size_t e = text.find_first_of(" \n\t", b);
    if (e == std::string::npos) e = text.size();
    if (e > b) words.push_back(text.substr(b, e - b));
    b = e + 1;
  }
  std::string trimmed, edited;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i < (words.size() + 1) / 2) trimmed += (trimmed.empty() ? "" : " ") + words[i];
    if (i % 6 != 5) edited += (edited.empty() ? "" : " ") + words[i];
  }
  edited += " (Agency report)";
  return {trimmed, edited};
}

}  // namespace

std::vector<evidence_row> collect_evidence(const std::filesystem::path& data) {
  std::vector<evidence_row> rows;
  {  // MSRP: the same seeded 70/30 split as the rest of the evaluation
    const auto msrp = read_msrp(data);
    const auto in = intern(msrp, false);
    const auto c = build(in.texts, in.titles);
    std::vector<std::size_t> perm(msrp.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), std::mt19937_64(42));
    std::vector<char> train(msrp.size(), 0);
    for (std::size_t k = 0; k < perm.size() * 7 / 10; ++k) train[perm[k]] = 1;
    for (std::size_t i = 0; i < msrp.size(); ++i) {
      auto r = row_of(c, in.pairs[i].first, in.pairs[i].second);
      r.dataset = "msrp";
      r.split = train[i] ? "train" : "test";
      r.group = "news";
      r.label = r.raw_label = msrp[i].label;
      rows.push_back(std::move(r));
    }
  }
  for (const char* split : {"train", "dev"}) {  // STS-B: train and dev files
    const auto sts = read_sts(data, split);
    const auto in = intern(sts, false);
    const auto c = build(in.texts, in.titles);
    for (std::size_t i = 0; i < sts.size(); ++i) {
      auto r = row_of(c, in.pairs[i].first, in.pairs[i].second);
      r.dataset = "sts";
      r.split = std::string(split) == "train" ? "train" : "test";
      r.group = sts[i].group;
      r.raw_label = sts[i].label;
      r.label = std::clamp(sts[i].label / 5.0, 0.0, 1.0);
      rows.push_back(std::move(r));
    }
  }
  // Synthetic retellings of training articles (their texts only, no labels): the edited copies of
  // each text enter its collection, and each (text, copy) pair is a positive of group SYN.
  auto with_copies = [](interned& in, const std::vector<char>& is_train) {
    std::vector<std::pair<std::size_t, std::size_t>> syn;
    const std::size_t n = in.texts.size();
    for (std::size_t t = 0; t < n; ++t) {
      if (!is_train[t]) continue;
      for (auto& copy : edited_copies(in.texts[t])) {
        in.texts.push_back(std::move(copy));
        in.titles.emplace_back();  // a copied title would make title_overlap give the copies away
        syn.emplace_back(t, in.texts.size() - 1);
      }
    }
    return syn;
  };
  auto synthetic_rows = [&](const collection& c, const std::vector<std::pair<std::size_t, std::size_t>>& syn,
                            const char* dataset) {
    for (auto [a, b] : syn) {
      auto r = row_of(c, a, b);
      r.dataset = dataset;
      r.split = "train";
      r.group = "SYN";
      r.raw_label = r.label = 1;
      rows.push_back(std::move(r));
    }
  };
  {  // SemEval-2022 originals: half of the pairs (by a seeded hash of pair_id) may be fitted on
    const auto sem = read_semeval(data);
    auto in = intern(sem, false);
    auto sem_train = [&](std::size_t i) { return (XXH64(sem[i].id.data(), sem[i].id.size(), 2022) & 1) != 0; };
    std::vector<char> train_text(in.texts.size(), 0);
    for (std::size_t i = 0; i < sem.size(); ++i)
      if (sem_train(i)) train_text[in.pairs[i].first] = train_text[in.pairs[i].second] = 1;
    // A text of a test pair is never copied, even when a train pair shares it.
    for (std::size_t i = 0; i < sem.size(); ++i)
      if (!sem_train(i)) train_text[in.pairs[i].first] = train_text[in.pairs[i].second] = 0;
    const auto syn = with_copies(in, train_text);
    const auto c = build(in.texts, in.titles);
    synthetic_rows(c, syn, "semeval");
    for (std::size_t i = 0; i < sem.size(); ++i) {
      auto r = row_of(c, in.pairs[i].first, in.pairs[i].second);
      r.dataset = "semeval";
      r.split = sem_train(i) ? "train" : "test";
      r.group = sem[i].group;
      r.raw_label = sem[i].label;
      r.label = std::clamp((4.0 - sem[i].label) / 3.0, 0.0, 1.0);
      rows.push_back(std::move(r));
    }
  }
  {  // COUNTER: odd pairs train, even pairs test; title = the headline (first line)
    const auto counter = read_counter(data);
    auto in = intern(counter, true);
    auto parity = [&](std::size_t i) { return std::stoi(counter[i].id) % 2; };
    std::vector<char> train_text(in.texts.size(), 0);
    for (std::size_t i = 0; i < counter.size(); ++i)
      if (parity(i)) train_text[in.pairs[i].first] = train_text[in.pairs[i].second] = 1;
    const auto syn = with_copies(in, train_text);
    const auto c = build(in.texts, in.titles);
    synthetic_rows(c, syn, "counter");
    for (std::size_t i = 0; i < counter.size(); ++i) {
      auto r = row_of(c, in.pairs[i].first, in.pairs[i].second);
      r.dataset = "counter";
      r.split = parity(i) ? "train" : "test";
      r.group = counter[i].group;
      r.raw_label = r.label = counter[i].label;
      rows.push_back(std::move(r));
    }
    // Hard negatives: the documents of other pairs of the same parity most similar to a derived
    // story (what the deduplicator's candidate search puts in front of the decision).
    for (std::size_t i = 0; i < counter.size(); ++i) {
      const std::size_t d = in.pairs[i].second;
      std::vector<std::pair<float, std::size_t>> best;
      for (std::size_t k = 0; k < counter.size(); ++k) {
        if (k == i || parity(k) != parity(i)) continue;  // (synthetic copies are not candidates)
        for (std::size_t doc : {in.pairs[k].first, in.pairs[k].second})
          best.emplace_back(retold::cosine(c.emb[d], c.emb[doc]), doc);
      }
      std::partial_sort(best.begin(), best.begin() + std::min<std::size_t>(3, best.size()), best.end(),
                        [](const auto& x, const auto& y) { return x.first > y.first; });
      for (std::size_t k = 0; k < std::min<std::size_t>(3, best.size()); ++k) {
        auto r = row_of(c, best[k].second, d);
        r.dataset = "counter";
        r.split = parity(i) ? "train" : "test";
        r.group = "NEG";
        r.raw_label = r.label = 0;
        rows.push_back(std::move(r));
      }
    }
  }
  {  // BBC: no retellings between different articles (one newsroom; the byte-identical groups are
     // copies). Each article against its 3 nearest (cosine) articles of its topic folder that are
     // not near-duplicates (estimated 5-shingle Jaccard < 0.3), articles of one parity of their
     // number only: the follow-ups of a running story the deduplicator must keep apart. Group
     // FOLLOW, label 0; odd numbers "train", even "test". Not fitted on by default
     // (tools/train_match_model.py --with-bbc): see docs/evaluation.md.
    const auto bbc = read_bbc(data);
    std::vector<std::string> texts, titles;
    for (const auto& d : bbc) {
      const auto nl = d.text.find('\n');
      titles.push_back(d.title);
      texts.push_back(nl == std::string::npos ? std::string() : d.text.substr(nl + 1));
    }
    const auto c = build(texts, titles);
    auto topic = [&](std::size_t i) { return bbc[i].id.substr(0, bbc[i].id.find('/')); };
    auto parity = [&](std::size_t i) { return std::stoi(bbc[i].id.substr(bbc[i].id.find('/') + 1)) % 2; };
    std::set<std::pair<std::size_t, std::size_t>> seen;  // a pair found from both of its ends counts once
    for (std::size_t i = 0; i < bbc.size(); ++i) {
      std::vector<std::pair<float, std::size_t>> best;
      for (std::size_t k = 0; k < bbc.size(); ++k) {
        if (k == i || parity(k) != parity(i) || topic(k) != topic(i)) continue;
        if (retold::estimate_jaccard(c.sigs[i], c.sigs[k]) >= 0.3) continue;
        best.emplace_back(retold::cosine(c.emb[i], c.emb[k]), k);
      }
      const std::size_t n = std::min<std::size_t>(3, best.size());
      std::partial_sort(best.begin(), best.begin() + n, best.end(),
                        [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });
      for (std::size_t k = 0; k < n; ++k) {
        // The later file as the newer document, as the deduplicator meets them in file order.
        const std::size_t older = std::min(i, best[k].second), newer = std::max(i, best[k].second);
        if (!seen.emplace(older, newer).second) continue;
        auto r = row_of(c, older, newer);
        r.dataset = "bbc";
        r.split = parity(i) ? "train" : "test";
        r.group = "FOLLOW";
        r.raw_label = r.label = 0;
        rows.push_back(std::move(r));
      }
    }
  }
  return rows;
}

void write_evidence_csv(const std::vector<evidence_row>& rows, std::ostream& out) {
  out << "dataset,split,group,label,raw_label";
  for (std::size_t f = 0; f < retold::match_feature_count; ++f)
    out << "," << retold::match_feature_name(static_cast<retold::match_feature>(f));
  out << "\n";
  out.precision(9);
  for (const auto& r : rows) {
    out << r.dataset << "," << r.split << "," << r.group << "," << r.label << "," << r.raw_label;
    for (double v : r.evidence.values) out << "," << v;
    out << "\n";
  }
}

std::vector<match_figure> evaluate_model(const std::vector<evidence_row>& rows, const retold::match_model& m,
                                         std::ostream& notes) {
  const double nan = std::nan("");
  std::vector<match_figure> out;
  auto select = [&](const std::string& ds, const std::string& split, auto&& keep) {
    std::vector<const evidence_row*> v;
    for (const auto& r : rows)
      if (r.dataset == ds && r.split == split && keep(r)) v.push_back(&r);
    return v;
  };
  auto all = [](const evidence_row&) { return true; };
  auto decide = [&](const std::vector<const evidence_row*>& v, double t) {
    std::vector<bool> pred, truth;
    for (auto* r : v) {
      pred.push_back(m.probability(r->evidence) >= t);
      truth.push_back(r->label > 0.5);
    }
    return stats_of(pred, truth);
  };
  {  // MSRP: at the default threshold, and at the threshold best on the train part
    const auto test = select("msrp", "test", all), train = select("msrp", "train", all);
    const auto d = decide(test, m.threshold);
    out.push_back({"MSRP (30% test)", "accuracy, match model, default threshold", d.accuracy, 0.68, ">= 0.76", 3});
    out.push_back({"MSRP (30% test)", "F1, match model, default threshold", d.f1, 0.75, ">= 0.83", 3});
    double best_t = 0.5, best_acc = -1;
    for (double t = 0.05; t < 0.96; t += 0.01) {
      const double acc = decide(train, t).accuracy;
      if (acc > best_acc) best_acc = acc, best_t = t;
    }
    const auto f = decide(test, best_t);
    out.push_back({"MSRP (30% test)", "accuracy, match model, threshold fitted on MSRP train", f.accuracy, nan, "", 3});
    out.push_back({"MSRP (30% test)", "F1, match model, threshold fitted on MSRP train", f.f1, nan, "", 3});
    notes << "- MSRP accuracy-best threshold on the 70% train part: " << best_t << "\n";
  }
  {  // STS-B dev: Spearman of the match probability
    const auto dev = select("sts", "test", all);
    std::vector<double> p, g, pn, gn;
    for (auto* r : dev) {
      p.push_back(m.probability(r->evidence));
      g.push_back(r->raw_label);
      if (r->group == "main-news") pn.push_back(p.back()), gn.push_back(r->raw_label);
    }
    out.push_back({"STS-B dev", "Spearman x100 of the match probability, all (" + std::to_string(p.size()) + ")",
                   100 * spearman(p, g), 72.0, ">= 78", 1});
    out.push_back({"STS-B dev", "Spearman x100 of the match probability, news (" + std::to_string(pn.size()) + ")",
                   100 * spearman(pn, gn), nan, "", 1});
  }
  {  // SemEval-2022: the held-out half, same-language pairs, Pearson with -Overall
    std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> by_lang;
    std::map<std::string, std::vector<double>> cos_by_lang;
    for (auto* r : select("semeval", "test", all)) {
      const auto dash = r->group.find('-');
      if (dash == std::string::npos || r->group.substr(0, dash) != r->group.substr(dash + 1)) continue;
      auto& v = by_lang[r->group];
      v.first.push_back(m.probability(r->evidence));
      v.second.push_back(-r->raw_label);
      cos_by_lang[r->group].push_back(r->cosine);
    }
    {  // the embedding cosine alone on the same pairs, for comparison
      double sum = 0;
      int n = 0;
      for (auto& [lang, v] : by_lang) {
        const double pr = pearson(cos_by_lang[lang], v.second);
        if (lang == "en-en")
          out.push_back({"SemEval-2022 held-out half, en-en", "Pearson of the embedding cosine alone", pr, nan, "", 3});
        else
          sum += pr, ++n;
      }
      if (n)
        out.push_back({"SemEval-2022 held-out half", "mean Pearson of the embedding cosine alone, other same-language pairs",
                       sum / n, nan, "", 3});
    }
    double sum_other = 0;
    int n_other = 0;
    for (auto& [lang, v] : by_lang) {
      const double pr = pearson(v.first, v.second);
      const bool en = lang == "en-en";
      out.push_back({"SemEval-2022 held-out half, " + lang + " (" + std::to_string(v.first.size()) + ")",
                     "Pearson of the match probability with -Overall", pr, en ? 0.62 : nan, en ? ">= 0.75" : "", 3});
      if (!en) sum_other += pr, ++n_other;
    }
    if (n_other)
      out.push_back({"SemEval-2022 held-out half", "mean Pearson, other same-language pairs (" + std::to_string(n_other) +
                                                       " languages)",
                     sum_other / n_other, nan, ">= 0.65", 3});
  }
  {  // COUNTER: derived vs non-derived on the even (held-out) pairs; and with hard negatives
    const auto pairs = select("counter", "test", [](const evidence_row& r) { return r.group != "NEG"; });
    const auto d = decide(pairs, m.threshold);
    out.push_back({"COUNTER even pairs (held out)", "F1 derived vs non-derived, match model, default threshold", d.f1,
                   0.71, ">= 0.90", 3});
    out.push_back({"COUNTER even pairs (held out)", "accuracy, match model, default threshold", d.accuracy, nan, "", 3});
    const auto neg = select("counter", "test", [](const evidence_row& r) { return r.group == "NEG"; });
    std::size_t fp = 0;
    for (auto* r : neg) fp += m.probability(r->evidence) >= m.threshold;
    out.push_back({"COUNTER even pairs (held out)",
                   "hard negatives accepted (3 nearest other documents per derived story, " + std::to_string(neg.size()) + ")",
                   double(fp), nan, "", 0});
  }
  {  // BBC follow-ups: different articles of one newsroom, no retellings among them
    const auto follow = select("bbc", "test", all);
    std::size_t accepted = 0;
    for (auto* r : follow) accepted += m.probability(r->evidence) >= m.threshold;
    out.push_back({"BBC even-numbered articles (held out)",
                   "follow-up pairs accepted (3 nearest articles of the topic, estimated 5-shingle Jaccard < 0.3; " +
                       std::to_string(follow.size()) + " pairs)",
                   double(accepted), nan, "", 0});
    // Why no decision that grows with agreement can keep these apart and join COUNTER's partial
    // retellings: count the COUNTER derived pairs that some BBC pair (either half) matches or
    // exceeds on every agreement feature (the model's monotone ones: tools/train_match_model.py).
    using F = retold::match_feature;
    constexpr F agreement[] = {F::jaccard, F::containment, F::cosine, F::cosine_z, F::word_overlap, F::word_containment,
                               F::bigram_containment, F::numbers_agree, F::names_agree, F::trigram_containment,
                               F::newer_word_containment, F::newer_bigram_containment, F::newer_trigram_containment};
    std::vector<const evidence_row*> bbc;
    for (const auto& r : rows)
      if (r.dataset == "bbc") bbc.push_back(&r);
    for (const char* cls : {"WD", "PD"}) {
      std::size_t n = 0, dominated = 0;
      for (const auto& r : rows) {
        if (r.dataset != "counter" || r.group != cls) continue;
        ++n;
        dominated += std::any_of(bbc.begin(), bbc.end(), [&](const evidence_row* b) {
          return std::all_of(std::begin(agreement), std::end(agreement),
                             [&](F f) { return b->evidence[f] >= r.evidence[f]; });
        });
      }
      out.push_back({"COUNTER " + std::string(cls) + " pairs (all " + std::to_string(n) + ")",
                     "matched or exceeded on all 13 agreement features by a BBC follow-up pair", double(dominated), nan, "",
                     0});
    }
  }
  return out;
}

streaming_figure streaming_sts(const std::filesystem::path& data) {
  const auto dev = read_sts(data, "dev");
  retold::deduplicator_options o;
  o.normalize.replace_invalid_utf8 = true;
  o.decision = retold::match_decision::rule;  // the decision does not change stored embeddings
  retold::deduplicator d(o);
  std::unordered_map<std::string, std::string> id_of;
  std::vector<std::pair<std::string, std::string>> ids;
  std::vector<retold::document> batch;
  auto id_for = [&](const std::string& text) {
    auto [it, fresh] = id_of.emplace(text, "t" + std::to_string(id_of.size()));
    if (fresh) {
      retold::document doc;
      doc.id = it->second;
      doc.text = it->first;
      batch.push_back(std::move(doc));
    }
    return it->second;
  };
  for (const auto& p : dev) {
    const std::string a = id_for(p.a);
    const std::string b = id_for(p.b);
    ids.emplace_back(a, b);
  }
  d.add_batch(batch);
  std::vector<double> c, g;
  for (std::size_t i = 0; i < dev.size(); ++i) {
    c.push_back(d.explain(ids[i].first, ids[i].second).scores.cosine);
    g.push_back(dev[i].label);
  }
  streaming_figure f;
  f.spearman = 100 * spearman(c, g);
  f.frequency_documents = d.stats().frequency_documents;
  f.documents = batch.size();
  return f;
}

}  // namespace retold_eval
