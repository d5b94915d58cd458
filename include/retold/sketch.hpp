// retold/sketch.hpp - the per-document evidence sketch behind the learned match decision.
//
// A MinHash signature answers "how many 5-word runs do these two texts share"; a retelling often
// shares few of them and still keeps the words, names and numbers of its source. The sketch keeps,
// per document, small uniform samples of what a retelling must keep, so that verification
// (verify.hpp: pair_evidence) can measure it for any candidate pair without the texts:
//   - words:    the `words` smallest 32-bit hashes of the distinct normalized words (a bottom-k
//               sample; the hash is the top half of the built-in embedder's word term hash, so the
//               embedder's document frequencies weight it by rarity at scoring time);
//   - bigrams:  the `bigrams` smallest hashes of distinct adjacent word pairs;
//   - trigrams: the `trigrams` smallest hashes of distinct runs of three words (a retelling keeps
//               passages of its source, a follow-up report of the same story does not);
//   - numbers:  the `numbers` smallest hashes of the numbers in the raw text, decimal digits of
//               any script folded to ASCII, a '.' or ',' between two digits kept inside one number
//               and dropped ("1,000" and "1000" agree; "3.2" is 32, not 3 and 2);
//   - names:    the `names` smallest hashes of capitalised words (scripts with case) and of words
//               of caseless scripts (Arabic, Urdu, Devanagari, CJK, ...), case-folded like the text;
//               their rarity decides at scoring time which of them count as names;
//   - title:    the `title_words` smallest hashes of the distinct words of the title;
// plus the number of distinct shingles (the MinHash set size: Jaccard -> containment) and of
// distinct words. Two samples taken with the same hash are comparable exactly below the smaller
// of their two largest values, which gives unbiased overlap and containment estimates.
//
// Memory: 14 bytes + 4 per value kept + the vector's 24 bytes; at the defaults at most 1,088 bytes
// of values (news articles reach the caps; a 20-word sentence keeps about 80 values).
#pragma once

#include <retold/export.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace retold {

/// How many values of each kind a sketch keeps, and the hash seed. Structural: saved with a
/// deduplicator's state. Plain value.
struct sketch_options {
  std::uint32_t words = 64;        ///< 0 .. 255
  std::uint32_t bigrams = 64;      ///< 0 .. 255
  std::uint32_t numbers = 16;      ///< 0 .. 255
  std::uint32_t names = 32;        ///< 0 .. 255
  std::uint32_t title_words = 16;  ///< 0 .. 255
  std::uint32_t trigrams = 64;     ///< 0 .. 255
  /// Seed of the word hashes: the built-in embedder's seed, so that sketch words can be looked up
  /// in its document frequencies (tfidf_embedder_options::seed).
  std::uint64_t seed = 0x72657430656d6264ULL;
  friend bool operator==(const sketch_options&, const sketch_options&) = default;
};

/// Throws errc::invalid_argument naming the field when a count is above 255.
RETOLD_API void validate(const sketch_options& opts);

/// The kinds of values a sketch holds, in storage order.
enum class sketch_part : std::uint8_t { words = 0, bigrams = 1, numbers = 2, names = 3, title = 4, trigrams = 5 };
inline constexpr std::size_t sketch_parts = 6;

/// One document's sketch. Value type; const members are thread-safe.
struct doc_sketch {
  std::uint32_t shingles = 0;  ///< distinct shingles of the signature's set
  std::uint32_t words = 0;     ///< distinct normalized words
  std::uint8_t counts[sketch_parts] = {0, 0, 0, 0, 0, 0};  ///< values kept per part
  std::vector<std::uint32_t> values;  ///< the parts one after another, each sorted ascending

  /// The sorted values of one part (a view into `values`: valid while the sketch is unchanged).
  std::span<const std::uint32_t> part(sketch_part p) const noexcept;
  /// Bytes held, for memory accounting.
  std::size_t memory_bytes() const noexcept { return sizeof(doc_sketch) + values.capacity() * 4; }
  friend bool operator==(const doc_sketch&, const doc_sketch&) = default;
};

/// Builds the sketch of one document. `raw_text` is the text as received (numbers and capitals
/// are read from it), `normalized` its normalize() output (words and bigrams), `title` the raw
/// headline (may be empty), `shingle_count` the number of distinct shingles signed (count_distinct
/// in shingle.hpp gives it). Pure and thread-safe: its working buffers are per thread and keep the
/// capacity of the largest document the thread has seen (about 14 bytes per word). Invalid UTF-8
/// in raw_text or title is skipped byte by byte (normalize() is the place that reports it).
RETOLD_API doc_sketch make_sketch(std::string_view raw_text, std::string_view normalized, std::string_view title,
                                  std::uint32_t shingle_count, const sketch_options& opts = {});

/// The 32-bit sketch hash of one normalized word (also the top half of the embedder's word term
/// hash with the same seed). Thread-safe.
RETOLD_API std::uint32_t sketch_word_hash(std::string_view normalized_word, std::uint64_t seed) noexcept;

/// Appends a sketch to `out` in a fixed little-endian layout (u32 shingles, u32 words, 6 x u8
/// counts, values as u32); the inverse is parse_sketch. Thread-safe.
RETOLD_API void serialize_sketch(const doc_sketch& s, std::vector<std::uint8_t>& out);
/// Reads one sketch at `pos` of `bytes`, advancing `pos`. errc::corrupted_state when truncated,
/// when a count exceeds `opts`, or when a part is not sorted.
RETOLD_API doc_sketch parse_sketch(std::span<const std::uint8_t> bytes, std::size_t& pos, const sketch_options& opts);

}  // namespace retold
