// retold/embed.hpp - the built-in embedder: hashed TF-IDF features projected to a dense vector.
//
// A document (NORMALIZED text, see text.hpp) becomes a bag of hashed terms: its words, optionally
// word n-grams, and the character n-grams of each word padded with a boundary mark (" word "),
// which carry morphology, transliteration variants and Urdu/Arabic affixes. Each term is weighted
//   w = tf' * idf * kind_weight,   tf' = 1 + ln(count) (sublinear) or count,
//   idf = ln((1 + N) / (1 + df)) + 1,
// where N and df are learned as the corpus grows (observe/forget) and kind_weight boosts tokens
// that contain a digit (numbers, dates, scores: what makes two news stories the same story).
// The weighted terms are projected to `dimension` floats by signed feature hashing (each term adds
// +-w to one bucket chosen by its hash: a sparse random projection costing O(1) per term, where a
// dense Gaussian projection would cost O(dimension) per term for the same expected distortion),
// and the result is L2-normalized, so cosine is a dot product.
//
// Document frequencies live in a fixed table of 2^df_buckets_log2 counters indexed by term hash
// (a count-min sketch with one row): memory is bounded whatever the vocabulary, and a rare term
// that shares a counter with a frequent one gets a lower idf. The defaults were chosen on real
// data (docs/evaluation.md).
#pragma once

#include <retold/export.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace retold {

/// A document's hashed terms with their counts: the embedder's sparse input. `terms` is sorted
/// ascending and unique; counts[i] belongs to terms[i]. The two low bits of a term hash encode
/// its kind (word, number word, character n-gram, word n-gram), so weights can be applied
/// without the text. Plain value type.
struct term_counts {
  std::vector<std::uint64_t> terms;
  std::vector<float> counts;
  friend bool operator==(const term_counts&, const term_counts&) = default;
};

/// Configuration of tfidf_embedder. Saved with the embedder's state; two embedders produce
/// comparable vectors only when their options are equal. Plain value.
struct tfidf_embedder_options {
  /// Output dimension (1 .. 65536).
  std::uint32_t dimension = 256;
  /// Word n-grams of order 1 .. word_ngram_max (1: words only; 0: no word terms).
  std::uint32_t word_ngram_max = 1;
  /// Character n-grams of each boundary-padded word, orders char_ngram_min .. char_ngram_max
  /// code points. char_ngram_min == 0 disables them. Default: 4-grams only.
  std::uint32_t char_ngram_min = 4;
  std::uint32_t char_ngram_max = 4;
  /// 1 + ln(count) instead of count.
  bool sublinear_tf = true;
  /// Multipliers per kind of term, each in [0, 1e6].
  float word_weight = 1.0f;
  float number_weight = 2.0f;  ///< a word containing an ASCII digit
  float char_weight = 1.0f;
  float word_ngram_weight = 1.0f;  ///< word n-grams of order >= 2
  /// log2 of the number of document-frequency counters (10 .. 28): 4 bytes each.
  std::uint32_t df_buckets_log2 = 20;
  /// Seed of the term hashes (XXH3).
  std::uint64_t seed = 0x72657430656d6264ULL;
  friend bool operator==(const tfidf_embedder_options&, const tfidf_embedder_options&) = default;
};

/// Throws errc::invalid_argument naming the field when an option is out of range.
RETOLD_API void validate(const tfidf_embedder_options& opts);

/// The built-in embedder. Value type (copyable, movable). Const members may run concurrently
/// with each other; observe/forget need exclusive access (the caller synchronizes).
class RETOLD_API tfidf_embedder {
 public:
  /// errc::invalid_argument on invalid options (see validate()).
  explicit tfidf_embedder(tfidf_embedder_options opts = {});

  std::uint32_t dimension() const noexcept { return opts_.dimension; }
  const tfidf_embedder_options& options() const noexcept { return opts_; }

  /// The hashed terms of a NORMALIZED text (tokens separated by single ASCII spaces; any other
  /// text is split on spaces as it is). Pure and thread-safe; depends only on options.
  term_counts extract(std::string_view normalized_text) const;
  /// Same, reusing `out`'s capacity. Per-thread scratch buffers (thread_local) hold the work.
  void extract_into(std::string_view normalized_text, term_counts& out) const;

  /// Adds one document to the document-frequency table (each distinct term counts once).
  /// Exclusive access.
  void observe(const term_counts& doc);
  /// Removes a document previously observed (eviction). Counters never go below zero.
  /// Exclusive access.
  void forget(const term_counts& doc);
  /// Number of documents observed minus forgotten.
  std::uint64_t documents_observed() const noexcept { return documents_; }

  /// The L2-normalized embedding of `doc` under the current document frequencies (all zeros
  /// for a document without terms). Thread-safe with other const members. Counts <= 0 (or NaN)
  /// contribute nothing; an infinite count is errc::invalid_argument.
  std::vector<float> embed(const term_counts& doc) const;
  /// Same into `out`; errc::invalid_argument unless out.size() == dimension().
  /// On x86-64 CPUs with AVX-512 the term weights are computed eight at a time (the environment
  /// variable RETOLD_SIMD=generic turns that off); the vector is the same bits either way.
  void embed_into(const term_counts& doc, std::span<float> out) const;

  /// The inverse document frequency the embedder currently gives `term` (for explanations).
  float idf(std::uint64_t term) const noexcept;

  /// Options and DF table in a fixed little-endian layout:
  ///   "RTEMBED1" | u32 format version (1) | options | u64 documents | u32 nonzero counters |
  ///   nonzero x (u32 index, u32 count) | u64 XXH3 checksum of all preceding bytes.
  std::vector<std::uint8_t> serialize() const;
  /// Inverse of serialize(). errc::corrupted_state on bad magic, size or checksum;
  /// errc::incompatible on an unknown format version.
  static tfidf_embedder deserialize(std::span<const std::uint8_t> bytes);

 private:
  tfidf_embedder_options opts_;
  std::vector<std::uint32_t> df_;
  std::uint64_t documents_ = 0;
  float log_documents_ = 0.0f;  // ln(1 + documents_), kept with it: idf() is called per sampled word
};

/// Cosine of two vectors of equal length (they need not be normalized); 0 when either is zero
/// or the lengths differ. Thread-safe.
RETOLD_API float cosine(std::span<const float> a, std::span<const float> b) noexcept;

/// Scales `v` to unit L2 norm in place (a zero vector stays zero). Thread-safe.
RETOLD_API void l2_normalize(std::span<float> v) noexcept;

}  // namespace retold
