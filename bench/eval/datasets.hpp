// Readers of the evaluation datasets (formats: ../shared/data/README.md). The data stays where it
// is: nothing here copies it anywhere, the tool only prints aggregate figures.
#pragma once

#include <cstdint>
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

/// One COUNTER document with its fields kept apart (what a deduplicator is fed).
struct counter_document {
  std::string id;              ///< file name without extension: "NNNN" (agency source) or "NNNNp" (derived)
  int pair = 0;                ///< NNNN
  bool is_source = false;      ///< the agency (APP) report of the pair
  std::string classification;  ///< WD / PD / ND, the same on both documents of a pair
  std::string title;           ///< <headline>
  std::string text;            ///< <body>
  std::string newspaper;       ///< attribute newspaper ("APP" for sources)
  std::string newsdate;        ///< attribute newsdate as written (dd.mm.yy)
  std::int64_t timestamp = -1; ///< newsdate as seconds since the epoch (UTC midnight; 31.09 rolls over to 01.10); -1 when unparsable
};
/// The 600 documents of the 300 pairs, by pair then source first.
std::vector<counter_document> read_counter_documents(const std::filesystem::path& data);

}  // namespace retold_eval
