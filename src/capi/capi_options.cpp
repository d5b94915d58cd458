// C ABI: retold_dedup_options <-> retold::deduplicator_options, defaults, presets, and the runtime
// overrides of a load.
#include "capi_internal.hpp"

#include <retold/presets.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace retold::capi {

namespace {

std::string field(const char* name) { return std::string("options.") + name; }

bool to_bool(std::uint32_t v, const char* name) {
  if (v > 1) fail(RETOLD_EINVALID, field(name) + " is " + std::to_string(v) + ", expected 0 or 1");
  return v == 1;
}

// C++ weights are float: a double that does not survive the narrowing is refused, not rounded away.
float to_float(double v, const char* name) {
  if (!std::isfinite(v) || std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max()))
    fail(RETOLD_EINVALID, field(name) + " is not a finite float");
  return static_cast<float>(v);
}

std::size_t to_size(std::uint64_t v, const char* name) {
  if (v > std::numeric_limits<std::size_t>::max()) fail(RETOLD_EINVALID, field(name) + " does not fit in size_t");
  return static_cast<std::size_t>(v);
}

void check_unit(double v, const char* name) {
  if (!(v >= 0.0 && v <= 1.0)) fail(RETOLD_EINVALID, field(name) + " must be in [0, 1]");
}

retold::match_decision to_decision(std::uint32_t v) {
  switch (v) {
    case RETOLD_MATCH_AUTOMATIC: return retold::match_decision::automatic;
    case RETOLD_MATCH_MODEL: return retold::match_decision::model;
    case RETOLD_MATCH_RULE: return retold::match_decision::rule;
    default: fail(RETOLD_EINVALID, field("decision") + " " + std::to_string(v) + " is not a retold_match_decision");
  }
}

std::vector<std::string> to_sources(const retold_dedup_options& o) {
  std::vector<std::string> out;
  if (o.source_priority_count == 0) return out;
  if (o.source_priority == nullptr)
    fail(RETOLD_EINVALID, "options.source_priority is NULL but source_priority_count is " +
                              std::to_string(o.source_priority_count));
  if (o.source_priority_count > (std::uint64_t{1} << 24))
    fail(RETOLD_EINVALID, "options.source_priority_count " + std::to_string(o.source_priority_count) + " is too large");
  out.reserve(static_cast<std::size_t>(o.source_priority_count));
  for (std::uint64_t i = 0; i < o.source_priority_count; ++i) {
    if (o.source_priority[i] == nullptr)
      fail(RETOLD_EINVALID, "options.source_priority[" + std::to_string(i) + "] is NULL");
    out.emplace_back(o.source_priority[i]);
  }
  return out;
}

// The library's defaults as a C struct (source_priority empty).
retold_dedup_options default_c_options() { return to_c(retold::deduplicator_options{}, {}); }

}  // namespace

retold_dedup_options to_c(const retold::deduplicator_options& o, const std::vector<const char*>& source_priority) {
  retold_dedup_options c{};
  c.struct_size = sizeof(retold_dedup_options);
  c.casefold = o.normalize.casefold;
  c.fold_punctuation = o.normalize.fold_punctuation;
  c.strip_boilerplate = o.normalize.strip_boilerplate;
  c.replace_invalid_utf8 = o.normalize.replace_invalid_utf8;
  c.keep_text = o.keep_text;
  c.shingle_kind = static_cast<std::uint32_t>(o.shingles.kind);
  c.shingle_size = o.shingles.n;
  c.num_hashes = o.minhash.num_hashes;
  c.minhash_scheme = static_cast<std::uint32_t>(o.minhash.scheme);
  c.minhash_seed = o.minhash.seed;
  c.lsh_bands = o.lsh.bands;
  c.lsh_rows = o.lsh.rows;
  c.lsh_threshold = o.lsh_threshold;
  c.embedding_mode = static_cast<std::uint32_t>(o.embedding);
  c.external_dimension = o.external_dimension;
  const retold::tfidf_embedder_options& e = o.embedder;
  c.embedder_dimension = e.dimension;
  c.embedder_word_ngram_max = e.word_ngram_max;
  c.embedder_char_ngram_min = e.char_ngram_min;
  c.embedder_char_ngram_max = e.char_ngram_max;
  c.embedder_sublinear_tf = e.sublinear_tf;
  c.embedder_df_buckets_log2 = e.df_buckets_log2;
  c.embedder_word_weight = e.word_weight;
  c.embedder_number_weight = e.number_weight;
  c.embedder_char_weight = e.char_weight;
  c.embedder_word_ngram_weight = e.word_ngram_weight;
  c.embedder_seed = e.seed;
  c.vector_index_kind = static_cast<std::uint32_t>(o.vector_index.kind);
  c.vector_index_nlist = o.vector_index.nlist;
  c.vector_index_nprobe = o.vector_index.nprobe;
  c.vector_index_scalar_quantization = o.vector_index.scalar_quantization;
  c.vector_index_ivf_min_size = o.vector_index.ivf_min_size;
  c.vector_index_seed = o.vector_index.seed;
  c.sketch_words = o.sketch.words;
  c.sketch_bigrams = o.sketch.bigrams;
  c.sketch_numbers = o.sketch.numbers;
  c.sketch_names = o.sketch.names;
  c.sketch_title_words = o.sketch.title_words;
  c.sketch_trigrams = o.sketch.trigrams;
  c.sketch_seed = o.sketch.seed;
  c.vector_candidates = o.vector_candidates;
  c.decision = static_cast<std::uint32_t>(o.decision);
  c.threads = o.threads;
  c.match_threshold = o.match_threshold;
  c.jaccard_threshold = o.scoring.jaccard_threshold;
  c.cosine_threshold = o.scoring.cosine_threshold;
  c.combined_weight_jaccard = o.scoring.combined_weight_jaccard;
  c.combined_threshold = o.scoring.combined_threshold;
  c.copy_jaccard = o.copy_jaccard;
  c.time_window_seconds = o.time_window_seconds;
  c.max_document_bytes = o.max_document_bytes;
  c.retention_seconds = o.retention_seconds;
  c.snippet_bytes = o.snippet_bytes;
  c.source_priority_count = source_priority.size();
  c.source_priority = source_priority.empty() ? nullptr : source_priority.data();
  return c;
}

retold::deduplicator_options to_cpp(const retold_dedup_options* opts) {
  retold::deduplicator_options d;
  if (opts == nullptr) return d;
  const retold_dedup_options o = read_struct(opts, "options", default_c_options());

  d.normalize.casefold = to_bool(o.casefold, "casefold");
  d.normalize.fold_punctuation = to_bool(o.fold_punctuation, "fold_punctuation");
  d.normalize.strip_boilerplate = to_bool(o.strip_boilerplate, "strip_boilerplate");
  d.normalize.replace_invalid_utf8 = to_bool(o.replace_invalid_utf8, "replace_invalid_utf8");
  d.keep_text = to_bool(o.keep_text, "keep_text");

  switch (o.shingle_kind) {
    case RETOLD_SHINGLE_WORD: d.shingles.kind = retold::shingle_kind::word; break;
    case RETOLD_SHINGLE_CHARACTER: d.shingles.kind = retold::shingle_kind::character; break;
    default: fail(RETOLD_EINVALID, field("shingle_kind") + " " + std::to_string(o.shingle_kind) + " is not a retold_shingle_kind");
  }
  d.shingles.n = o.shingle_size;
  d.minhash.num_hashes = o.num_hashes;
  switch (o.minhash_scheme) {
    case RETOLD_MINHASH_ONE_PERMUTATION: d.minhash.scheme = retold::minhash_scheme::one_permutation; break;
    case RETOLD_MINHASH_MULTIPLY_SHIFT: d.minhash.scheme = retold::minhash_scheme::multiply_shift; break;
    default: fail(RETOLD_EINVALID, field("minhash_scheme") + " " + std::to_string(o.minhash_scheme) + " is not a retold_minhash_scheme");
  }
  d.minhash.seed = o.minhash_seed;
  if ((o.lsh_bands == 0) != (o.lsh_rows == 0))
    fail(RETOLD_EINVALID, "options.lsh_bands and options.lsh_rows must both be 0 (automatic) or both be set");
  d.lsh.bands = o.lsh_bands;
  d.lsh.rows = o.lsh_rows;
  d.lsh_threshold = o.lsh_threshold;

  switch (o.embedding_mode) {
    case RETOLD_EMBEDDING_BUILTIN: d.embedding = retold::embedding_mode::builtin; break;
    case RETOLD_EMBEDDING_EXTERNAL:
      d.embedding = retold::embedding_mode::external;
      if (o.external_dimension == 0)
        fail(RETOLD_EINVALID, "options.external_dimension must be > 0 with RETOLD_EMBEDDING_EXTERNAL");
      break;
    case RETOLD_EMBEDDING_NONE: d.embedding = retold::embedding_mode::none; break;
    default:
      fail(RETOLD_EINVALID, field("embedding_mode") + " " + std::to_string(o.embedding_mode) + " is not a retold_embedding_mode");
  }
  if (o.embedding_mode != RETOLD_EMBEDDING_EXTERNAL && o.external_dimension != 0)
    fail(RETOLD_EINVALID, "options.external_dimension is " + std::to_string(o.external_dimension) +
                              " but embedding_mode is not RETOLD_EMBEDDING_EXTERNAL (the built-in embedder's is "
                              "embedder_dimension)");
  d.external_dimension = o.external_dimension;
  retold::tfidf_embedder_options& e = d.embedder;
  e.dimension = o.embedder_dimension;
  e.word_ngram_max = o.embedder_word_ngram_max;
  e.char_ngram_min = o.embedder_char_ngram_min;
  e.char_ngram_max = o.embedder_char_ngram_max;
  e.sublinear_tf = to_bool(o.embedder_sublinear_tf, "embedder_sublinear_tf");
  e.df_buckets_log2 = o.embedder_df_buckets_log2;
  e.word_weight = to_float(o.embedder_word_weight, "embedder_word_weight");
  e.number_weight = to_float(o.embedder_number_weight, "embedder_number_weight");
  e.char_weight = to_float(o.embedder_char_weight, "embedder_char_weight");
  e.word_ngram_weight = to_float(o.embedder_word_ngram_weight, "embedder_word_ngram_weight");
  e.seed = o.embedder_seed;

  switch (o.vector_index_kind) {
    case RETOLD_VECTOR_INDEX_AUTOMATIC: d.vector_index.kind = retold::vector_index_kind::automatic; break;
    case RETOLD_VECTOR_INDEX_FLAT: d.vector_index.kind = retold::vector_index_kind::flat; break;
    case RETOLD_VECTOR_INDEX_IVF: d.vector_index.kind = retold::vector_index_kind::ivf; break;
    default:
      fail(RETOLD_EINVALID, field("vector_index_kind") + " " + std::to_string(o.vector_index_kind) +
                                " is not a retold_vector_index_kind");
  }
  d.vector_index.nlist = o.vector_index_nlist;
  d.vector_index.nprobe = o.vector_index_nprobe;
  d.vector_index.scalar_quantization = to_bool(o.vector_index_scalar_quantization, "vector_index_scalar_quantization");
  d.vector_index.ivf_min_size = to_size(o.vector_index_ivf_min_size, "vector_index_ivf_min_size");
  d.vector_index.seed = o.vector_index_seed;

  d.sketch.words = o.sketch_words;
  d.sketch.bigrams = o.sketch_bigrams;
  d.sketch.numbers = o.sketch_numbers;
  d.sketch.names = o.sketch_names;
  d.sketch.title_words = o.sketch_title_words;
  d.sketch.trigrams = o.sketch_trigrams;
  d.sketch.seed = o.sketch_seed;

  // The runtime fields go through the same code as a load's overrides.
  apply_overrides(d, &o, RETOLD_OPTION_ALL_RUNTIME);
  return d;
}

void apply_overrides(retold::deduplicator_options& saved, const retold_dedup_options* overrides, std::uint64_t fields) {
  if (fields & ~RETOLD_OPTION_ALL_RUNTIME)
    fail(RETOLD_EINVALID, "override_fields has bits " + std::to_string(fields & ~RETOLD_OPTION_ALL_RUNTIME) +
                              " that name no runtime option (RETOLD_OPTION_*)");
  if (fields == 0) return;
  if (overrides == nullptr)
    fail(RETOLD_EINVALID, "overrides is NULL but override_fields is " + std::to_string(fields));
  const retold_dedup_options o = read_struct(overrides, "overrides", default_c_options());
  // Checked on a copy, so a bad value leaves `saved` untouched.
  retold::deduplicator_options d = saved;
  auto has = [&](std::uint64_t bit) { return (fields & bit) != 0; };
  if (has(RETOLD_OPTION_VECTOR_CANDIDATES)) d.vector_candidates = to_size(o.vector_candidates, "vector_candidates");
  if (has(RETOLD_OPTION_DECISION)) d.decision = to_decision(o.decision);
  if (has(RETOLD_OPTION_THREADS)) d.threads = o.threads;
  if (has(RETOLD_OPTION_MATCH_THRESHOLD)) {
    if (!(o.match_threshold >= 0.0 && o.match_threshold < 1.0))
      fail(RETOLD_EINVALID, "options.match_threshold must be in [0, 1) (0: the model's default)");
    d.match_threshold = o.match_threshold;
  }
  if (has(RETOLD_OPTION_JACCARD_THRESHOLD)) d.scoring.jaccard_threshold = o.jaccard_threshold;
  if (has(RETOLD_OPTION_COSINE_THRESHOLD)) d.scoring.cosine_threshold = o.cosine_threshold;
  if (has(RETOLD_OPTION_COMBINED_WEIGHT_JACCARD)) d.scoring.combined_weight_jaccard = o.combined_weight_jaccard;
  if (has(RETOLD_OPTION_COMBINED_THRESHOLD)) d.scoring.combined_threshold = o.combined_threshold;
  if (fields & RETOLD_OPTION_SCORING) d.scoring.validate();
  if (has(RETOLD_OPTION_COPY_JACCARD)) {
    check_unit(o.copy_jaccard, "copy_jaccard");
    d.copy_jaccard = o.copy_jaccard;
  }
  if (has(RETOLD_OPTION_TIME_WINDOW_SECONDS)) {
    if (o.time_window_seconds < 0) fail(RETOLD_EINVALID, "options.time_window_seconds must be >= 0");
    d.time_window_seconds = o.time_window_seconds;
  }
  if (has(RETOLD_OPTION_MAX_DOCUMENT_BYTES)) d.max_document_bytes = to_size(o.max_document_bytes, "max_document_bytes");
  if (has(RETOLD_OPTION_SOURCE_PRIORITY)) d.representative.source_priority = to_sources(o);
  if (has(RETOLD_OPTION_RETENTION_SECONDS)) {
    if (o.retention_seconds < 0) fail(RETOLD_EINVALID, "options.retention_seconds must be >= 0");
    d.retention_seconds = o.retention_seconds;
  }
  if (has(RETOLD_OPTION_SNIPPET_BYTES)) d.snippet_bytes = o.snippet_bytes;
  saved = std::move(d);
}

}  // namespace retold::capi

using retold::capi::fail;
using retold::capi::guard;
using retold::capi::require;

extern "C" {

int retold_dedup_options_init(retold_dedup_options* opts, uint32_t struct_size) {
  return guard("retold_dedup_options_init", [&] {
    require(opts, "opts");
    retold::capi::check_size_of<retold_dedup_options>("opts", struct_size, nullptr);
    retold::capi::write_prefix(opts, struct_size, retold::capi::default_c_options());
    return RETOLD_OK;
  });
}

int retold_query_options_init(retold_query_options* opts, uint32_t struct_size) {
  return guard("retold_query_options_init", [&] {
    require(opts, "opts");
    retold::capi::check_size_of<retold_query_options>("opts", struct_size, nullptr);
    const retold_query_options defaults = RETOLD_QUERY_OPTIONS_INIT;
    retold::capi::write_prefix(opts, struct_size, defaults);
    return RETOLD_OK;
  });
}

int retold_dedup_options_apply_preset(retold_dedup_options* opts, const char* name) {
  return guard("retold_dedup_options_apply_preset", [&] {
    require(opts, "opts");
    const std::string_view n = retold::capi::cstring(name, "name");
    const auto preset = retold::parse_match_preset(n);
    if (!preset)
      fail(RETOLD_EINVALID, "unknown match preset '" + std::string(n) + "' (known: copies, retellings, stories)");
    // Only the match fields change: the rest of the caller's struct (as far as it reaches) stays.
    retold::capi::check_size_of<retold_dedup_options>("opts", opts->struct_size, nullptr);
    retold::deduplicator_options d;
    retold::apply_match_preset(d, *preset);
    const retold_dedup_options p = retold::capi::to_c(d, {});
    opts->decision = p.decision;
    opts->match_threshold = p.match_threshold;
    opts->jaccard_threshold = p.jaccard_threshold;
    opts->cosine_threshold = p.cosine_threshold;
    opts->combined_weight_jaccard = p.combined_weight_jaccard;
    opts->combined_threshold = p.combined_threshold;
    opts->copy_jaccard = p.copy_jaccard;
    return RETOLD_OK;
  });
}

}  // extern "C"
