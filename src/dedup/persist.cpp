// deduplicator::save / load: the whole state as a set of checked files in one directory.
//
// What is stored is the data (options, documents, signatures, vectors, document frequencies,
// story assignments); the LSH and vector indexes are rebuilt from it on load, which keeps the
// format independent of index internals (and of the FAISS version). Since format version 2 the
// vector file also carries the open segment's start and the vector index's training (centroids),
// so the loaded index answers exactly like the saved one and the next night continues as if the
// run had never stopped. Version 1 states still load (the index is then trained afresh). Format 4
// adds each document's title and snippet (cluster_member) and options.snippet_bytes; documents of
// older states load with empty titles and snippets.
#include "dedup/deduplicator_impl.hpp"
#include "dedup/snippet.hpp"
#include "store/state_file.hpp"

#include <cmath>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace retold {

namespace {

constexpr std::uint32_t format_version = 4;
// vectors.rtd has a version of its own: 5 adds the pending training of the next vector index
// (trained on another thread, not yet swapped in). It is written only when such a training is
// pending; otherwise the file is version 4, as before. Versions 1-4 still load.
constexpr std::uint32_t vectors_format_version = 5;

void write_options(detail::byte_writer& w, const deduplicator_options& o) {
  w.u8(o.normalize.casefold);
  w.u8(o.normalize.fold_punctuation);
  w.u8(o.normalize.strip_boilerplate);
  w.u8(o.normalize.replace_invalid_utf8);
  w.u8(static_cast<std::uint8_t>(o.shingles.kind));
  w.u32(o.shingles.n);
  w.u32(o.minhash.num_hashes);
  w.u64(o.minhash.seed);
  w.u8(static_cast<std::uint8_t>(o.minhash.scheme));
  w.u32(o.lsh.bands);
  w.u32(o.lsh.rows);
  w.f64(o.lsh_threshold);
  w.u8(static_cast<std::uint8_t>(o.embedding));
  w.u32(o.external_dimension);
  w.u8(static_cast<std::uint8_t>(o.vector_index.kind));
  w.u64(o.vector_index.ivf_min_size);
  w.u32(o.vector_index.nlist);
  w.u32(o.vector_index.nprobe);
  w.u8(o.vector_index.scalar_quantization);
  w.u64(o.vector_index.seed);
  w.u64(o.vector_candidates);
  w.f64(o.scoring.jaccard_threshold);
  w.f64(o.scoring.cosine_threshold);
  w.f64(o.scoring.combined_weight_jaccard);
  w.f64(o.scoring.combined_threshold);
  w.f64(o.copy_jaccard);
  w.i64(o.time_window_seconds);
  w.u64(o.representative.source_priority.size());
  for (const auto& s : o.representative.source_priority) w.str(s);
  w.u64(o.max_document_bytes);
  w.u8(o.keep_text);
  w.u32(o.threads);
  // Version 3: the match decision and the evidence sketch.
  w.u8(static_cast<std::uint8_t>(o.decision));
  w.f64(o.match_threshold);
  w.u32(o.sketch.words);
  w.u32(o.sketch.bigrams);
  w.u32(o.sketch.numbers);
  w.u32(o.sketch.names);
  w.u32(o.sketch.title_words);
  w.u32(o.sketch.trigrams);
  w.u64(o.sketch.seed);
  // Version 4: the snippet length.
  w.u32(o.snippet_bytes);
  w.i64(o.retention_seconds);
}

deduplicator_options read_options(detail::byte_reader& r, std::uint32_t version) {
  deduplicator_options o;
  o.normalize.casefold = r.u8();
  o.normalize.fold_punctuation = r.u8();
  o.normalize.strip_boilerplate = r.u8();
  o.normalize.replace_invalid_utf8 = r.u8();
  const std::uint8_t kind = r.u8();
  if (kind > 1) r.fail("unknown shingle kind " + std::to_string(kind));  // else every add fails later
  o.shingles.kind = static_cast<shingle_kind>(kind);
  o.shingles.n = r.u32();
  o.minhash.num_hashes = r.u32();
  o.minhash.seed = r.u64();
  o.minhash.scheme = static_cast<minhash_scheme>(r.u8());
  o.lsh.bands = r.u32();
  o.lsh.rows = r.u32();
  o.lsh_threshold = r.f64();
  const std::uint8_t mode = r.u8();
  if (mode > 2) r.fail("unknown embedding mode " + std::to_string(mode));
  o.embedding = static_cast<embedding_mode>(mode);
  o.external_dimension = r.u32();
  o.vector_index.kind = static_cast<vector_index_kind>(r.u8());
  o.vector_index.ivf_min_size = r.u64();
  o.vector_index.nlist = r.u32();
  o.vector_index.nprobe = r.u32();
  o.vector_index.scalar_quantization = r.u8();
  o.vector_index.seed = r.u64();
  o.vector_candidates = r.u64();
  o.scoring.jaccard_threshold = r.f64();
  o.scoring.cosine_threshold = r.f64();
  o.scoring.combined_weight_jaccard = r.f64();
  o.scoring.combined_threshold = r.f64();
  o.copy_jaccard = r.f64();
  o.time_window_seconds = r.i64();
  const std::uint64_t sources = r.u64();
  if (sources > r.remaining()) r.fail("source priority list is longer than the file");
  for (std::uint64_t i = 0; i < sources; ++i) o.representative.source_priority.push_back(r.str());
  o.max_document_bytes = r.u64();
  o.keep_text = r.u8();
  o.threads = r.u32();
  if (version >= 3) {
    const std::uint8_t d = r.u8();
    if (d > 2) r.fail("unknown match decision " + std::to_string(d));
    o.decision = static_cast<match_decision>(d);
    o.match_threshold = r.f64();
    o.sketch.words = r.u32();
    o.sketch.bigrams = r.u32();
    o.sketch.numbers = r.u32();
    o.sketch.names = r.u32();
    o.sketch.title_words = r.u32();
    o.sketch.trigrams = r.u32();
    o.sketch.seed = r.u64();
  } else {
    // Saved before the learned decision existed: the state was built with the threshold rule.
    o.decision = match_decision::rule;
  }
  // Saved before snippets existed: none were kept, and the default applies from now on.
  if (version >= 4) {
    o.snippet_bytes = r.u32();
    o.retention_seconds = r.i64();
    if (o.retention_seconds < 0) r.fail("retention is negative");
  }
  return o;
}

void write_scores(detail::byte_writer& w, const pair_scores& s) {
  w.f64(s.jaccard);
  w.f64(s.cosine);
  w.u8(s.has_cosine);
  w.f64(s.score);
  w.u8(static_cast<std::uint8_t>(s.decision));
}

pair_scores read_scores(detail::byte_reader& r) {
  pair_scores s;
  s.jaccard = r.f64();
  s.cosine = r.f64();
  s.has_cosine = r.u8();
  s.score = r.f64();
  const std::uint8_t d = r.u8();
  if (d > 4) r.fail("unknown decision " + std::to_string(d));
  s.decision = static_cast<decided_by>(d);
  return s;
}

void write_terms(detail::byte_writer& w, const term_counts& t) {
  w.u64_array(t.terms);
  w.f32_array(t.counts);
}


// True when a and b differ in a field that is fixed when the state is created (everything but the
// runtime fields a load may change, and the derived LSH shape and index dimension).
bool structural_differs(const deduplicator_options& a, const deduplicator_options& b) {
  detail::byte_writer wa, wb;
  deduplicator_options ca = a, cb = b;
  for (auto* c : {&ca, &cb}) {  // blank the runtime fields, compare the rest byte for byte
    c->scoring = {};
    c->copy_jaccard = 0;
    c->time_window_seconds = 0;
    c->representative = {};
    c->max_document_bytes = 1;
    c->threads = 0;
    c->vector_candidates = 0;
    c->lsh = {};
    c->vector_index.dimension = 0;
    c->snippet_bytes = 0;
    c->retention_seconds = 0;
    c->decision = match_decision::automatic;
    c->match_threshold = 0;
  }
  write_options(wa, ca);
  write_options(wb, cb);
  return wa.buffer() != wb.buffer() || !(a.embedder == b.embedder);
}

const char* const structural_message =
    "load: the structural options given (normalization, shingles, minhash, embedding, vector index) differ "
    "from the saved state's";

// The structural fields by name, with their values as text, in write_options order.
std::vector<std::pair<std::string, std::string>> structural_fields(const deduplicator_options& o) {
  auto n = [](auto v) { return std::to_string(v); };
  auto b = [](bool v) { return std::string(v ? "true" : "false"); };
  const char* modes[] = {"builtin", "external", "none"};
  const char* kinds[] = {"automatic", "flat", "ivf"};
  const auto mode = static_cast<unsigned>(o.embedding), kind = static_cast<unsigned>(o.vector_index.kind);
  const auto& e = o.embedder;
  return {
      {"normalize.casefold", b(o.normalize.casefold)},
      {"normalize.fold_punctuation", b(o.normalize.fold_punctuation)},
      {"normalize.strip_boilerplate", b(o.normalize.strip_boilerplate)},
      {"normalize.replace_invalid_utf8", b(o.normalize.replace_invalid_utf8)},
      {"shingles.kind", n(static_cast<unsigned>(o.shingles.kind))},
      {"shingles.n", n(o.shingles.n)},
      {"minhash.num_hashes", n(o.minhash.num_hashes)},
      {"minhash.seed", n(o.minhash.seed)},
      {"minhash.scheme", n(static_cast<unsigned>(o.minhash.scheme))},
      {"lsh_threshold", n(o.lsh_threshold)},
      {"embedding", mode < 3 ? modes[mode] : n(mode)},
      {"external_dimension", n(o.external_dimension)},
      {"vector_index.kind", kind < 3 ? kinds[kind] : n(kind)},
      {"vector_index.ivf_min_size", n(o.vector_index.ivf_min_size)},
      {"vector_index.nlist", n(o.vector_index.nlist)},
      {"vector_index.nprobe", n(o.vector_index.nprobe)},
      {"vector_index.scalar_quantization", b(o.vector_index.scalar_quantization)},
      {"vector_index.seed", n(o.vector_index.seed)},
      {"keep_text", b(o.keep_text)},
      {"sketch.words", n(o.sketch.words)},
      {"sketch.bigrams", n(o.sketch.bigrams)},
      {"sketch.numbers", n(o.sketch.numbers)},
      {"sketch.names", n(o.sketch.names)},
      {"sketch.title_words", n(o.sketch.title_words)},
      {"sketch.trigrams", n(o.sketch.trigrams)},
      {"sketch.seed", n(o.sketch.seed)},
      {"embedder.dimension", n(e.dimension)},
      {"embedder.word_ngram_max", n(e.word_ngram_max)},
      {"embedder.char_ngram_min", n(e.char_ngram_min)},
      {"embedder.char_ngram_max", n(e.char_ngram_max)},
      {"embedder.sublinear_tf", b(e.sublinear_tf)},
      {"embedder.word_weight", n(e.word_weight)},
      {"embedder.number_weight", n(e.number_weight)},
      {"embedder.char_weight", n(e.char_weight)},
      {"embedder.word_ngram_weight", n(e.word_ngram_weight)},
      {"embedder.df_buckets_log2", n(e.df_buckets_log2)},
      {"embedder.seed", n(e.seed)},
  };
}

// The incompatible error for a load: names every structural field that differs, with the saved
// and the given value ("shingles.n: the state has 5, given 3").
error structural_error(const deduplicator_options& saved, const deduplicator_options& given, const std::string& advice) {
  const auto a = structural_fields(saved), g = structural_fields(given);
  std::string diff;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].second != g[i].second)
      diff += (diff.empty() ? "" : "; ") + a[i].first + ": the state has " + a[i].second + ", given " + g[i].second;
  return error(errc::incompatible, std::string(structural_message) + (diff.empty() ? "" : " (" + diff + ")") + advice);
}

// The fields a caller may change when loading; everything else must match the saved state.
void apply_runtime_overrides(deduplicator_options& saved, const deduplicator_options& o) {
  if (structural_differs(o, deduplicator_options{}) && structural_differs(o, saved))
    throw structural_error(saved, o, "; leave them at their defaults or equal to the saved ones");
  saved.scoring = o.scoring;
  saved.decision = o.decision;
  saved.match_threshold = o.match_threshold;
  saved.copy_jaccard = o.copy_jaccard;
  saved.time_window_seconds = o.time_window_seconds;
  saved.representative = o.representative;
  saved.max_document_bytes = o.max_document_bytes;
  saved.threads = o.threads;
  saved.vector_candidates = o.vector_candidates;
  saved.snippet_bytes = o.snippet_bytes;
  saved.retention_seconds = o.retention_seconds;
}

}  // namespace

void deduplicator::save(const std::filesystem::path& dir) const { save(dir, save_mode::update); }

void deduplicator::save(const std::filesystem::path& dir, save_mode mode) const {
  impl& state = *impl_;
  const impl& s = state;
  // Held through the write, so the stamp recorded below is of this deduplicator's latest save.
  std::lock_guard save_lock(state.save_mutex);
  // Held while the parts are serialized and written (each streams into its file through a
  // bounded buffer: the state's bytes are never all in memory at once), released before the
  // fsyncs: the files then hold all we need.
  std::shared_lock lock(s.mutex);
  // Slots are compacted: tombstones are dropped, live slots renumbered in arrival order.
  std::vector<std::uint32_t> live;
  live.reserve(s.slot_of.size());
  for (std::uint32_t slot = 0; slot < s.ids.size(); ++slot)
    if (!s.ids[slot].empty()) live.push_back(slot);

  using detail::byte_writer;
  using detail::payload_sink;
  auto options_part = [&](payload_sink& sink) {
    byte_writer opt(sink);
    write_options(opt, s.opts);
    opt.u64(s.added_total);
    opt.u64(s.removed_total);
    for (const cosine_calibration* c : {&s.calibration, &s.calibration_in_force}) {
      opt.f64(c->count);
      opt.f64(c->mean);
      opt.f64(c->m2);
    }
    opt.flush();
  };
  auto documents_part = [&](payload_sink& sink) {
    byte_writer docs(sink);
    docs.u64(live.size());
    for (std::uint32_t slot : live) {
      docs.str(s.ids[slot]);
      docs.i64(s.timestamps[slot]);
      docs.str(s.sources[slot]);
      docs.u32(s.text_lengths[slot]);
      write_scores(docs, s.join_scores[slot]);
      if (s.opts.keep_text) docs.str(s.texts[slot]);
      docs.str(s.readable.title(slot));  // version 4
      docs.str(s.readable.snippet(slot));
      serialize_sketch(slot < s.sketches.size() ? s.sketches[slot] : doc_sketch{}, docs.buffer());
    }
    docs.flush();
  };
  auto signatures_part = [&](payload_sink& sink) {
    byte_writer sigs(sink);
    sigs.u64(live.size());
    sigs.u32(s.opts.minhash.num_hashes);
    for (std::uint32_t slot : live) {
      const auto v = s.lsh.values_of(slot);
      for (std::uint32_t x : v) sigs.u32(x);
    }
    sigs.flush();
  };
  auto vectors_part = [&](payload_sink& sink) {
    byte_writer vecs(sink);
    vecs.u64(live.size());
    vecs.u32(s.dim);
    for (std::uint32_t slot : live)
      for (float x : s.vector_of(slot)) vecs.f32(x);
    // Version 2: the open segment (live slots from here on are not in the vector index yet) and
    // the index's training.
    std::uint64_t open_from = 0;
    while (open_from < live.size() && live[open_from] < s.open_from) ++open_from;
    vecs.u64(open_from);
    const vector_index_training t = s.vectors_index ? s.vectors_index->training() : vector_index_training{};
    vecs.u64(t.trained_at);
    vecs.f32_array(t.centroids);
    vecs.f32_array(t.quantizer);
    // Version 5: the next index's training, when one is pending (this waits for it to be
    // computed). Loading rebuilds the next index from it, so a save between two adds never
    // changes which training takes over, or when.
    if (s.next_index) {
      const vector_index_training& next = s.next_index->training();
      vecs.u64(next.trained_at);
      vecs.f32_array(next.centroids);
    }
    vecs.flush();
  };
  auto embedder_part = [&](payload_sink& sink) {
    byte_writer emb(sink);
    emb.u8(s.embedder.has_value());
    if (s.embedder) emb.bytes(s.embedder->serialize());
    emb.u64(s.pending_terms.size());
    for (const auto& t : s.pending_terms) write_terms(emb, t);
    emb.flush();
  };
  auto clusters_part = [&](payload_sink& sink) {
    std::vector<std::uint32_t> renumber(s.ids.size(), UINT32_MAX);
    for (std::uint32_t i = 0; i < live.size(); ++i) renumber[live[i]] = i;
    byte_writer cl(sink);
    cl.u64(s.stories.next_id());
    for (std::uint32_t slot : live) cl.u64(s.stories.cluster_of(slot));
    const auto leaders = s.stories.leaders();
    cl.u64(leaders.size());
    for (const auto& [id, leader] : leaders) {
      cl.u64(id);
      cl.u32(renumber[leader]);
    }
    cl.flush();
  };
  const detail::state_part_source parts[] = {
      {"options.rtd", "dedup.options", format_version, options_part},
      {"documents.rtd", "dedup.docs", format_version, documents_part},
      {"signatures.rtd", "dedup.sigs", format_version, signatures_part},
      {"vectors.rtd", "dedup.vectors", s.next_index ? vectors_format_version : format_version, vectors_part},
      {"embedder.rtd", "dedup.embedder", format_version, embedder_part},
      {"clusters.rtd", "dedup.clusters", format_version, clusters_part},
  };
  const detail::state_stamp written =
      detail::save_state_directory(dir, parts, {.replace = mode == save_mode::replace, .known = state.known_states},
                                   [&] { lock.unlock(); });
  auto& known = state.known_states;
  std::erase_if(known, [&](const detail::state_stamp& k) { return k.same_directory(written); });
  known.push_back(written);
}

deduplicator deduplicator::load(const std::filesystem::path& dir, const std::optional<deduplicator_options>& overrides) {
  if (!overrides) return load(dir, options_adjuster{});
  return load(dir, [&](deduplicator_options& saved) { apply_runtime_overrides(saved, *overrides); });
}

deduplicator deduplicator::load(const std::filesystem::path& dir, const options_adjuster& adjust) {
  const std::vector<detail::state_part> wanted = {
      {"options.rtd", "dedup.options", format_version, {}},   {"documents.rtd", "dedup.docs", format_version, {}},
      {"signatures.rtd", "dedup.sigs", format_version, {}},   {"vectors.rtd", "dedup.vectors", vectors_format_version, {}},
      {"embedder.rtd", "dedup.embedder", format_version, {}}, {"clusters.rtd", "dedup.clusters", format_version, {}},
  };
  // Each part is read (and checked) when its turn comes and freed once parsed, so a load holds
  // the state it builds and one part's bytes, never all of them (the parts are as large as the
  // state). The directory stays locked for reading until the last one is read.
  const detail::state_directory_reader directory(dir, wanted);
  std::vector<detail::state_part> parts(wanted.size());
  auto reader = [&](std::size_t i) {
    parts[i] = directory.read(i);
    return detail::byte_reader(parts[i].payload, (dir / parts[i].name).string());
  };
  // Ends the byte_reader of part i: nothing reads its payload afterwards.
  auto release = [&](std::size_t i) { std::vector<std::uint8_t>().swap(parts[i].payload); };

  auto ro = reader(0);
  deduplicator_options opts = read_options(ro, parts[0].version);
  const std::uint64_t added_total = ro.u64(), removed_total = ro.u64();
  cosine_calibration calibration, calibration_in_force;
  if (parts[0].version >= 3)
    for (cosine_calibration* c : {&calibration, &calibration_in_force}) {
      c->count = ro.f64();
      c->mean = ro.f64();
      c->m2 = ro.f64();
      if (!(c->count >= 0) || !std::isfinite(c->mean) || !(c->m2 >= 0)) ro.fail("cosine calibration is invalid");
    }
  ro.expect_end();
  release(0);

  // The embedder's own options travel inside its blob.
  auto re = reader(4);
  std::optional<tfidf_embedder> embedder;
  if (re.u8()) {
    const auto blob = re.bytes();
    try {
      embedder.emplace(tfidf_embedder::deserialize(blob));
    } catch (const error& e) {
      re.fail(std::string("embedder: ") + e.what());
    }
    opts.embedder = embedder->options();
  }
  if (adjust) {
    deduplicator_options adjusted = opts;
    adjust(adjusted);
    if (structural_differs(adjusted, opts)) throw structural_error(opts, adjusted, "");
    opts = std::move(adjusted);
  }

  std::unique_ptr<impl> st;
  try {
    st = std::make_unique<impl>(opts);
  } catch (const error& e) {
    ro.fail(std::string("saved options are invalid: ") + e.what());
  }
  impl& s = *st;
  if (embedder) s.embedder = std::move(embedder);
  s.coarse_epochs = parts[4].version < 3;  // saved before the finer early DF epochs
  const std::uint64_t pending = re.u64();
  if (pending > re.remaining()) re.fail("pending document count is larger than the file");
  for (std::uint64_t i = 0; i < pending; ++i) s.pending_terms.push_back(detail::read_term_counts(re));
  re.expect_end();
  release(4);
  if (s.embedder) {  // a save never leaves a whole epoch pending: it is folded in when it fills
    const std::uint64_t observed = s.embedder->documents_observed();
    if (pending >= embed_epoch_boundary(observed, s.coarse_epochs) - observed)
      re.fail(std::to_string(pending) + " pending documents fill the DF epoch after " + std::to_string(observed));
  }

  auto rd = reader(1);
  const std::uint64_t n = rd.u64();
  if (n > rd.remaining() || n >= UINT32_MAX) rd.fail("document count " + std::to_string(n) + " is impossible");
  s.ids.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    s.ids.push_back(rd.str(4096));
    if (s.ids.back().empty() || s.slot_of.find(s.ids.back(), s.ids) != detail::id_table::none)
      rd.fail("document " + std::to_string(i) + " has an empty or repeated id");
    s.slot_of.insert(static_cast<std::uint32_t>(i), s.ids);
    s.timestamps.push_back(rd.i64());
    s.sources.push_back(rd.str());
    s.text_lengths.push_back(rd.u32());
    s.join_scores.push_back(read_scores(rd));
    if (s.opts.keep_text) s.texts.push_back(rd.str());
    if (parts[1].version >= 4) {
      const std::string title = rd.str(detail::max_title_bytes);
      s.readable.push(title, rd.str(UINT32_MAX));
    } else {
      s.readable.push({}, {});
    }
    if (parts[1].version >= 3) {
      std::size_t pos = parts[1].payload.size() - rd.remaining();
      const std::size_t before = pos;
      try {
        s.sketches.push_back(parse_sketch(parts[1].payload, pos, s.opts.sketch));
      } catch (const error& e) {
        rd.fail(std::string("document ") + std::to_string(i) + ": " + e.what());
      }
      rd.skip(pos - before);
    } else {
      s.sketches.emplace_back();  // version 2: no evidence sketch (under the model, its pairs are decided by the rule: score_slots)
    }
  }
  rd.expect_end();
  release(1);
  s.calibration = calibration;
  s.calibration_in_force = calibration_in_force;

  auto rs = reader(2);
  if (rs.u64() != n || rs.u32() != s.opts.minhash.num_hashes) rs.fail("signature table does not match the documents");
  std::vector<std::uint32_t> sig(s.opts.minhash.num_hashes);
  s.lsh.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    for (auto& x : sig) x = rs.u32();
    s.lsh.insert(i, sig);
  }
  rs.expect_end();
  release(2);

  auto rv = reader(3);
  if (rv.u64() != n || rv.u32() != s.dim) rv.fail("vector table does not match the documents");
  if (s.dim) s.vectors.reserve_rows(n);
  {
    std::vector<float> row(s.dim);
    for (std::uint64_t i = 0; i < n && s.dim; ++i) {
      // Checked here for every row: those of the open segment reach the vector index (which
      // refuses them) only when the segment closes, inside a later add.
      for (float& x : row) {
        x = rv.f32();
        if (!std::isfinite(x)) rv.fail("vector of document " + std::to_string(i) + " has a non-finite value");
      }
      s.vectors.push(row.data());
    }
  }
  std::uint64_t open_from = n;  // version 1: everything in the index
  vector_index_training training;
  if (parts[3].version >= 2) {
    open_from = rv.u64();
    if (open_from > n) rv.fail("open segment starts at " + std::to_string(open_from) + " of " + std::to_string(n));
    training.trained_at = rv.u64();
    training.centroids = rv.f32_array();
    training.quantizer = rv.f32_array();
  }
  std::optional<vector_index_training> next_training;
  if (parts[3].version >= 5) {
    next_training.emplace();
    next_training->trained_at = rv.u64();
    next_training->centroids = rv.f32_array();
    if (!s.vectors_index || !s.vectors_index->reads_caller_rows() || next_training->centroids.empty())
      rv.fail("a pending vector index training that these options do not use");
  }
  rv.expect_end();
  release(3);
  s.open_from = static_cast<std::uint32_t>(open_from);
  if (s.vectors_index) {
    std::vector<std::uint64_t> keys(open_from);
    for (std::uint64_t i = 0; i < open_from; ++i) keys[i] = i;
    std::vector<float> rows;  // only for an index that keeps its own copies (scalar quantization)
    if (!s.vectors_index->reads_caller_rows()) {
      rows.reserve(open_from * s.dim);
      for (std::uint64_t i = 0; i < open_from; ++i) {
        const auto v = s.vector_of(static_cast<std::uint32_t>(i));
        rows.insert(rows.end(), v.begin(), v.end());
      }
    }
    try {
      // Version 1 has no training: restore() then adds the vectors, training afresh if needed.
      s.vectors_index->restore(training, keys, rows, s.worker_count(open_from / 64));
      // The pending next index holds every vector of the index (on its own thread).
      if (next_training) {
        if (next_training->trained_at != s.vectors_index->next_training_at())
          rv.fail("the pending vector index training is not for the size the index retrains at");
        s.next_index.emplace(s.opts.vector_index, s.vectors, std::move(*next_training), std::move(keys));
        s.next_fed = static_cast<std::uint32_t>(open_from);
      }
    } catch (const error& e) {
      if (e.code() != errc::invalid_argument) throw;
      rv.fail(std::string("vector index: ") + e.what());
    }
  }

  auto rc = reader(5);
  const std::uint64_t next_id = rc.u64();
  std::vector<std::uint64_t> assignment(n);
  for (auto& a : assignment) a = rc.u64();
  const std::uint64_t nleaders = rc.u64();
  if (nleaders > n) rc.fail("more stories than documents");
  std::vector<std::pair<std::uint64_t, std::uint32_t>> leaders(nleaders);
  for (auto& [id, slot] : leaders) {
    id = rc.u64();
    slot = rc.u32();
  }
  rc.expect_end();
  release(5);
  try {
    s.stories.restore(assignment, leaders, next_id);
  } catch (const error& e) {
    rc.fail(e.what());
  }
  for (std::uint64_t i = 0; i < n; ++i)
    if (s.stories.cluster_of(static_cast<std::uint32_t>(i)) == leader_clustering::no_cluster)
      rc.fail("document " + std::to_string(i) + " belongs to no story");
  s.added_total = added_total;
  s.removed_total = removed_total;
  s.known_states.push_back(directory.stamp());
  return deduplicator(std::move(st));
}

}  // namespace retold
