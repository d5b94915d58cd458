// Readers of the evaluation datasets (formats: ../shared/data/README.md). The data stays where it
// is: nothing here copies it anywhere, the tool only prints aggregate figures.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace retold_eval {

/// A labelled pair of texts.
struct text_pair {
  std::string a, b;
  double label = 0;   ///< MSRP: 0/1; STS: 0..5; SemEval: Overall 1..4; COUNTER: 1 derived / 0 not
  std::string group;  ///< STS genre, SemEval "lang1-lang2", COUNTER classification (WD/PD/ND)
  std::string id;     ///< MSRP "#1 ID-#2 ID", SemEval pair_id, COUNTER NNNN
};

/// A labelled document of a collection.
struct document {
  std::string id;    ///< file name without extension
  std::string text;  ///< as read (BBC: headline line, then body)
  std::string title;
};

std::vector<text_pair> read_msrp(const std::filesystem::path& data);
std::vector<text_pair> read_sts(const std::filesystem::path& data, const std::string& split);  // "train"/"dev"
/// Original rows only (pair_id is digits_digits).
std::vector<text_pair> read_semeval(const std::filesystem::path& data);
/// The 300 pairs (source NNNN.xml, derived NNNNp.xml); headline + body per document.
std::vector<text_pair> read_counter(const std::filesystem::path& data);
/// All BBC articles; id is "topic/NNN".
std::vector<document> read_bbc(const std::filesystem::path& data);

}  // namespace retold_eval
