// The learned match decision on the labelled pair datasets: the evidence of every pair through the
// library's own code (sketch.hpp, verify.hpp), a CSV dump of it for tools/train_match_model.py, and
// the held-out figures of the compiled-in model.
#pragma once

#include "datasets.hpp"

#include <retold/embed.hpp>
#include <retold/minhash.hpp>
#include <retold/shingle.hpp>
#include <retold/verify.hpp>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace retold_eval {

/// A figure of the evaluation table.
struct match_figure {
  std::string dataset, metric;
  double value;
  double floor;  ///< NaN: informational
  std::string target;
  int decimals;
};

/// One labelled pair with its evidence.
struct evidence_row {
  std::string dataset;  ///< msrp, sts, semeval, counter
  std::string split;    ///< train or test (the part a model may be fitted on, and the rest)
  std::string group;    ///< STS genre, SemEval languages, COUNTER WD/PD/ND, NEG (a hard negative), SYN (an edited copy)
  double label = 0;     ///< 0..1: MSRP 0/1, STS score/5, SemEval (4 - Overall)/3, COUNTER derived 1 / not 0
  double raw_label = 0; ///< the dataset's own label
  retold::pair_evidence evidence;
  double jaccard = 0, cosine = 0;
};

/// The evidence of every pair of MSRP (seeded 70/30 split), STS-B (train / dev), SemEval-2022
/// originals (half by a seeded hash of pair_id), and COUNTER (odd pairs train, even test; with the
/// three most similar documents of other pairs of the same parity as hard negatives). Training
/// articles of SemEval and COUNTER also get two edited copies each (the first half of the words;
/// every sixth word dropped and a credit line added), group SYN, label 1, split train.
std::vector<evidence_row> collect_evidence(const std::filesystem::path& data);

/// Writes the rows as CSV (header: dataset,split,group,label,raw_label,<feature names>).
void write_evidence_csv(const std::vector<evidence_row>& rows, std::ostream& out);

/// Held-out figures of `model` (test splits only).
std::vector<match_figure> evaluate_model(const std::vector<evidence_row>& rows, const retold::match_model& model,
                                         std::ostream& notes);

/// STS-B dev through retold::deduplicator as a stream: both texts of each pair are added in file
/// order, and the pair's cosine is that of the stored embeddings (document frequencies of the
/// documents before each one, as the deduplicator refreshes them). Spearman x100 with the gold
/// scores, and the number of documents the frequencies covered at the end.
struct streaming_figure {
  double spearman = 0;
  std::uint64_t frequency_documents = 0;
  std::size_t documents = 0;
};
streaming_figure streaming_sts(const std::filesystem::path& data);

}  // namespace retold_eval
