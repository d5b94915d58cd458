// prepared_document and deduplicator::prepare / add_prepared: the features of a document computed
// in one place (a Dask partition, another process) and added in another, with the result add_batch
// gives. A prepared document is doc_features plus what insert() stores of the document itself (id,
// timestamp, source); add_prepared() runs add_batch's stages 2-4 (add_features) over it, so the
// two paths cannot drift apart.
#include "dedup/deduplicator_impl.hpp"
#include "store/state_file.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>

namespace retold {

struct prepared_document::data {
  std::uint64_t fingerprint = 0;
  std::string id;
  std::string source;
  std::int64_t timestamp = 0;
  doc_features f;                  // status ok; f.band_keys is rebuilt by the deduplicator it joins
  std::vector<std::uint32_t> fps;  // the band keys (empty for an empty signature)
};

namespace {

constexpr char magic[8] = {'R', 'T', 'P', 'R', 'E', 'P', '0', '1'};
constexpr std::size_t max_id_bytes = 1024;
constexpr float max_term_count = 4294967296.0f;  // 2^32

bool all_empty(std::span<const std::uint32_t> v) {
  return std::all_of(v.begin(), v.end(), [](std::uint32_t x) { return x == signature::empty_value; });
}

// Sketch caps wide enough for any valid configuration: parse() has no configuration at hand;
// add_prepared() checks the counts against its own.
sketch_options widest_sketch() {
  sketch_options o;
  o.words = o.bigrams = o.numbers = o.names = o.title_words = o.trigrams = 255;
  return o;
}

}  // namespace

std::uint64_t deduplicator::impl::prepared_fingerprint() const {
  // Everything compute_features() reads from the options, and the LSH shape the band keys have.
  detail::byte_writer w;
  w.u32(prepared_document::format_version);
  w.u8(opts.normalize.casefold);
  w.u8(opts.normalize.fold_punctuation);
  w.u8(opts.normalize.strip_boilerplate);
  w.u8(opts.normalize.replace_invalid_utf8);
  w.u8(static_cast<std::uint8_t>(opts.shingles.kind));
  w.u32(opts.shingles.n);
  w.u32(opts.minhash.num_hashes);
  w.u64(opts.minhash.seed);
  w.u8(static_cast<std::uint8_t>(opts.minhash.scheme));
  w.u32(lsh.params().bands);
  w.u32(lsh.params().rows);
  w.u8(static_cast<std::uint8_t>(opts.embedding));
  w.u32(dim);
  if (opts.embedding == embedding_mode::builtin) {
    const auto& e = opts.embedder;
    w.u32(e.dimension);
    w.u32(e.word_ngram_max);
    w.u32(e.char_ngram_min);
    w.u32(e.char_ngram_max);
    w.u8(e.sublinear_tf);
    w.f32(e.word_weight);
    w.f32(e.number_weight);
    w.f32(e.char_weight);
    w.f32(e.word_ngram_weight);
    w.u32(e.df_buckets_log2);
    w.u64(e.seed);
  }
  const auto& k = opts.sketch;
  for (std::uint32_t v : {k.words, k.bigrams, k.numbers, k.names, k.title_words, k.trigrams}) w.u32(v);
  w.u64(k.seed);
  w.u8(opts.keep_text);
  w.u32(opts.snippet_bytes);
  const auto& b = w.buffer();
  return XXH3_64bits(b.data(), b.size());
}

// ---- prepared_document

prepared_document::prepared_document(std::unique_ptr<data> d) : d_(std::move(d)) {}
prepared_document::prepared_document(const prepared_document& other)
    : d_(other.d_ ? std::make_unique<data>(*other.d_) : nullptr) {}
prepared_document& prepared_document::operator=(const prepared_document& other) {
  if (this != &other) d_ = other.d_ ? std::make_unique<data>(*other.d_) : nullptr;
  return *this;
}
prepared_document::prepared_document(prepared_document&&) noexcept = default;
prepared_document& prepared_document::operator=(prepared_document&&) noexcept = default;
prepared_document::~prepared_document() = default;

std::string_view prepared_document::id() const noexcept { return d_->id; }
std::int64_t prepared_document::timestamp() const noexcept { return d_->timestamp; }
std::string_view prepared_document::source() const noexcept { return d_->source; }
std::span<const std::uint32_t> prepared_document::signature() const noexcept { return d_->f.signature; }
std::span<const std::uint32_t> prepared_document::band_keys() const noexcept { return d_->fps; }
std::span<const float> prepared_document::vector() const noexcept { return d_->f.vector; }
std::uint64_t prepared_document::config_fingerprint() const noexcept { return d_->fingerprint; }

std::vector<std::uint8_t> prepared_document::serialize() const {
  const data& d = *d_;
  const doc_features& f = d.f;
  detail::byte_writer w;
  for (char c : magic) w.u8(static_cast<std::uint8_t>(c));
  w.u32(format_version);
  w.u64(d.fingerprint);
  w.str(d.id);
  w.i64(d.timestamp);
  w.str(d.source);
  w.str(f.title);
  w.str(f.snippet);
  w.u64(f.text_length);
  w.u32_array(f.signature);
  w.u32_array(d.fps);
  std::vector<std::uint8_t> sketch;
  serialize_sketch(f.sketch, sketch);
  w.bytes(sketch);
  w.u64_array(f.terms.terms);
  w.f32_array(f.terms.counts);
  w.f32_array(f.vector);
  w.str(f.normalized);
  auto& out = w.buffer();
  const std::uint64_t sum = XXH3_64bits(out.data(), out.size());
  w.u64(sum);
  return std::move(out);
}

prepared_document prepared_document::parse(std::span<const std::uint8_t> bytes) {
  const std::string what = "prepared document";
  if (bytes.size() < sizeof magic + 4 + 8 + 8)
    throw error(errc::corrupted_state, what + ": truncated: " + std::to_string(bytes.size()) +
                                           " bytes, shorter than the header and checksum");
  if (std::memcmp(bytes.data(), magic, sizeof magic) != 0)
    throw error(errc::corrupted_state, what + ": bad magic (not a serialized prepared_document)");
  detail::byte_reader head(bytes.subspan(sizeof magic, 4), what);
  const std::uint32_t version = head.u32();
  if (version != format_version)
    throw error(errc::incompatible, what + ": format version " + std::to_string(version) + ", this library reads " +
                                        std::to_string(format_version));
  const std::size_t body = bytes.size() - 8;
  detail::byte_reader tail(bytes.subspan(body), what);
  if (tail.u64() != XXH3_64bits(bytes.data(), body))
    throw error(errc::corrupted_state, what + ": checksum mismatch (damaged or truncated)");

  auto d = std::make_unique<data>();
  doc_features& f = d->f;
  detail::byte_reader r(bytes.subspan(sizeof magic + 4, body - sizeof magic - 4), what);
  d->fingerprint = r.u64();
  d->id = r.str(max_id_bytes);
  if (d->id.empty()) r.fail("empty document id");
  std::size_t bad = 0;
  if (!is_valid_utf8(d->id, &bad)) r.fail("document id is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  d->timestamp = r.i64();
  d->source = r.str();
  if (!is_valid_utf8(d->source, &bad)) r.fail("source is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  f.title = r.str();
  f.snippet = r.str();
  f.text_length = static_cast<std::size_t>(r.u64());
  f.signature = r.u32_array();
  if (f.signature.empty()) r.fail("empty signature");
  d->fps = r.u32_array();
  if (all_empty(f.signature) != d->fps.empty())
    r.fail(d->fps.empty() ? "band keys missing for a non-empty signature" : "band keys for an empty signature");
  const std::vector<std::uint8_t> sketch = r.bytes();
  std::size_t pos = 0;
  f.sketch = parse_sketch(sketch, pos, widest_sketch());
  if (pos != sketch.size()) r.fail("sketch has " + std::to_string(sketch.size() - pos) + " trailing bytes");
  f.terms = detail::read_term_counts(r);
  f.vector = r.f32_array();
  for (float x : f.vector)
    if (!std::isfinite(x)) r.fail("non-finite vector value");
  f.normalized = r.str();
  r.expect_end();
  return prepared_document(std::move(d));
}

// ---- deduplicator

prepared_document deduplicator::prepare(const document& doc) const {
  const impl& s = *impl_;
  auto d = std::make_unique<prepared_document::data>();
  d->f = s.compute_features(doc, true);  // pure; the sketch always: it may be added to a model run
  if (d->f.status != errc::ok) throw error(d->f.status, d->f.error);
  d->fingerprint = s.prepared_fingerprint();
  d->id = std::string(doc.id);
  d->source = std::string(doc.source);
  d->timestamp = doc.timestamp;
  if (!all_empty(d->f.signature)) {
    const auto fps = d->f.band_keys.fingerprints();
    d->fps.assign(fps.begin(), fps.end());
  }
  d->f.band_keys = lsh_band_keys{};  // tied to this deduplicator's index; rebuilt where it is added
  return prepared_document(std::move(d));
}

std::vector<add_result> deduplicator::add_prepared(std::span<const prepared_document> docs) {
  impl& s = *impl_;
  const std::uint64_t mine = s.prepared_fingerprint();
  std::vector<document> views(docs.size());
  std::vector<doc_features> feats(docs.size());
  const sketch_options& caps = s.opts.sketch;
  const std::uint32_t limits[sketch_parts] = {caps.words, caps.bigrams, caps.numbers, caps.names, caps.title_words, caps.trigrams};
  // Every check before anything is stored: the batch is refused whole.
  for (std::size_t i = 0; i < docs.size(); ++i) {
    const prepared_document::data* p = docs[i].d_.get();
    const std::string where = "add_prepared: document " + std::to_string(i);
    if (p == nullptr) throw error(errc::invalid_argument, where + " is a moved-from prepared_document");
    const std::string named = where + " ('" + p->id + "')";
    if (p->fingerprint != mine)
      throw error(errc::incompatible, named + " was prepared with another configuration (fingerprint " +
                                          std::to_string(p->fingerprint) + ", this deduplicator's " +
                                          std::to_string(mine) +
                                          "): normalization, shingles, minhash, LSH, embedding, sketch, keep_text "
                                          "and snippet_bytes must be equal");
    const doc_features& in = p->f;
    // A blob with a valid checksum and fingerprint is still checked against the shapes this
    // configuration gives, so nothing below can index out of range.
    if (in.signature.size() != s.opts.minhash.num_hashes)
      throw error(errc::corrupted_state, named + ": signature has " + std::to_string(in.signature.size()) +
                                             " values, the configuration " + std::to_string(s.opts.minhash.num_hashes));
    const std::size_t want_vector = s.opts.embedding == embedding_mode::external ? s.dim : 0;
    if (in.vector.size() != want_vector)
      throw error(errc::corrupted_state, named + ": vector has " + std::to_string(in.vector.size()) +
                                             " values, the configuration " + std::to_string(want_vector));
    if (s.opts.embedding != embedding_mode::builtin && !in.terms.terms.empty())
      throw error(errc::corrupted_state, named + ": has embedder terms, but the built-in embedder is not in use");
    for (std::size_t k = 0; k < sketch_parts; ++k)
      if (in.sketch.counts[k] > limits[k])
        throw error(errc::corrupted_state, named + ": sketch part " + std::to_string(k) + " holds " +
                                               std::to_string(in.sketch.counts[k]) + " values, more than configured");
    if (!s.opts.keep_text && !in.normalized.empty())
      throw error(errc::corrupted_state, named + ": carries a text, but keep_text is off");
    feats[i] = in;
    feats[i].band_keys = s.lsh.band_keys(feats[i].signature);
    if (!p->fps.empty()) {
      const auto fps = feats[i].band_keys.fingerprints();
      if (!std::equal(fps.begin(), fps.end(), p->fps.begin(), p->fps.end()))
        throw error(errc::corrupted_state, named + ": its band keys do not belong to its signature");
    }
    views[i].id = p->id;
    views[i].timestamp = p->timestamp;
    views[i].source = p->source;
  }
  return s.add_features(views, feats, 0.0);
}


namespace detail {

term_counts read_term_counts(byte_reader& r) {
  term_counts t;
  t.terms = r.u64_array();
  t.counts = r.f32_array();
  if (t.terms.size() != t.counts.size()) r.fail("term and count arrays differ in length");
  // The embedder's term_counts contract (embed.hpp): terms sorted ascending and unique, as
  // extract() makes them. observe() counts every listed term once in the document frequencies,
  // so a repeated term would count one document twice (and forget() could not undo it); a
  // count <= 0 is skipped by embed_into() but still observed, and one past 2^32 (more
  // occurrences than any document holds) is refused too.
  for (std::size_t i = 1; i < t.terms.size(); ++i)
    if (t.terms[i] <= t.terms[i - 1])
      r.fail("embedder term " + std::to_string(i) +
             (t.terms[i] == t.terms[i - 1] ? " repeats the one before it"
                                           : " is smaller than the one before it (terms must be sorted ascending)"));
  for (std::size_t i = 0; i < t.counts.size(); ++i) {
    const float c = t.counts[i];
    if (!std::isfinite(c)) r.fail("non-finite term count");
    if (!(c > 0.0f) || c > max_term_count)
      r.fail("embedder term " + std::to_string(i) + " has count " + std::to_string(c) + " (must be in (0, 2^32])");
  }
  return t;
}

}  // namespace detail

}  // namespace retold
