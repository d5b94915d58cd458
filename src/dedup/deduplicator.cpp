// The deduplicator: features -> candidates from both indexes -> scoring rule -> leader clustering.
#include "dedup/deduplicator_impl.hpp"
#include "index/dot_kernels.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace retold {

namespace {

constexpr std::size_t max_id_bytes = 1024;

std::uint32_t dimension_for(const deduplicator_options& o) {
  switch (o.embedding) {
    case embedding_mode::builtin: return o.embedder.dimension;
    case embedding_mode::external: return o.external_dimension;
    case embedding_mode::none: return 0;
  }
  throw error(errc::invalid_argument, "deduplicator_options.embedding: unknown mode");
}

void validate_options(const deduplicator_options& o) {
  validate(o.minhash);
  validate(o.sketch);
  o.scoring.validate();
  if (o.decision != match_decision::automatic && o.decision != match_decision::model && o.decision != match_decision::rule)
    throw error(errc::invalid_argument, "deduplicator_options.decision: unknown value");
  if (!(o.match_threshold >= 0.0 && o.match_threshold < 1.0))
    throw error(errc::invalid_argument, "deduplicator_options.match_threshold must be in [0, 1) (0: the model's default)");
  if (o.embedding == embedding_mode::external && o.external_dimension == 0)
    throw error(errc::invalid_argument, "deduplicator_options.external_dimension must be > 0 in external embedding mode");
  if (o.embedding == embedding_mode::builtin && o.embedder.dimension == 0)
    throw error(errc::invalid_argument, "deduplicator_options.embedder.dimension must be > 0");
  if (!(o.lsh_threshold > 0.0 && o.lsh_threshold < 1.0))
    throw error(errc::invalid_argument, "deduplicator_options.lsh_threshold must be in (0, 1)");
  if (!(o.copy_jaccard >= 0.0 && o.copy_jaccard <= 1.0))
    throw error(errc::invalid_argument, "deduplicator_options.copy_jaccard must be in [0, 1]");
  if (o.time_window_seconds < 0)
    throw error(errc::invalid_argument, "deduplicator_options.time_window_seconds must be >= 0");
  if (o.max_document_bytes == 0)
    throw error(errc::invalid_argument, "deduplicator_options.max_document_bytes must be > 0");
  if (o.retention_seconds < 0)
    throw error(errc::invalid_argument, "deduplicator_options.retention_seconds must be >= 0");
  if (o.shingles.n == 0) throw error(errc::invalid_argument, "deduplicator_options.shingles.n must be > 0");
}

lsh_params resolve_lsh(const deduplicator_options& o) {
  if (o.lsh.bands != 0) return o.lsh;
  // Candidates are verified against the full signature, so a false positive costs one comparison
  // while a false negative loses a match: weigh misses three times as heavily.
  return choose_lsh_params(o.lsh_threshold, o.minhash.num_hashes, 0.25, 0.75);
}

void normalize_in_place(std::span<float> v) noexcept {
  double n = 0;
  for (float x : v) n += double(x) * x;
  if (n <= 0) return;
  const float inv = static_cast<float>(1.0 / std::sqrt(n));
  for (float& x : v) x *= inv;
}

float dot(std::span<const float> a, std::span<const float> b) noexcept {
  return detail::dot(a.data(), b.data(), a.size());
}

using detail::parallel_for;

using stage_clock = std::chrono::steady_clock;
double seconds_since(stage_clock::time_point t) {
  return std::chrono::duration<double>(stage_clock::now() - t).count();
}

}  // namespace

std::uint64_t embed_epoch_boundary(std::uint64_t observed, bool coarse) noexcept {
  constexpr std::uint64_t epoch = 4096;
  const std::uint64_t early = coarse ? epoch : 256;  // doubling up to here, then steps of it
  if (observed < early) {
    std::uint64_t b = 1;
    while (b <= observed) b <<= 1;
    return b;
  }
  if (observed < epoch) return (observed / early + 1) * early;
  return (observed / epoch + 1) * epoch;
}

deduplicator::impl::impl(deduplicator_options o)
    : opts((validate_options(o), std::move(o))),
      dim(dimension_for(opts)),
      hasher(opts.minhash),
      lsh(opts.minhash, resolve_lsh(opts)) {
  opts.lsh = lsh.params();
  if (opts.embedding == embedding_mode::builtin) embedder.emplace(opts.embedder);
  if (dim > 0) {
    opts.vector_index.dimension = dim;
    vectors.set_dimension(dim);
    // One copy of each vector: the index reads ours (scalar quantization keeps codes of its own).
    if (opts.vector_index.scalar_quantization) vectors_index.emplace(opts.vector_index);
    else vectors_index.emplace(opts.vector_index, vectors);
  }
}

unsigned deduplicator::impl::worker_count(std::size_t jobs) const noexcept {
  unsigned w = opts.threads ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::min<std::size_t>(w, std::max<std::size_t>(jobs, 1)));
}

bool deduplicator::impl::within_window(std::int64_t a, std::int64_t b) const noexcept {
  if (opts.time_window_seconds == 0) return true;
  // In unsigned arithmetic: a - b overflows int64 for timestamps far apart (INT64_MAX, INT64_MIN).
  const std::uint64_t d = a > b ? static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b)
                                : static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a);
  return d <= static_cast<std::uint64_t>(opts.time_window_seconds);
}

pair_scores deduplicator::impl::self_scores() const noexcept {
  pair_scores self;
  self.jaccard = self.score = 1.0;
  self.has_cosine = dim > 0;
  self.cosine = dim ? 1.0 : 0.0;
  self.decision = decided_by::jaccard;
  return self;
}

std::span<const float> deduplicator::impl::vector_of(std::uint32_t slot) const noexcept {
  if (dim == 0) return {};
  return {vectors.row(slot), dim};
}

doc_features deduplicator::impl::compute_features(const document& doc, bool with_sketch) const {
  doc_features f;
  try {
    if (doc.id.empty()) throw error(errc::invalid_argument, "document id is empty");
    if (doc.id.size() > max_id_bytes)
      throw error(errc::invalid_argument, "document id is longer than 1024 bytes");
    std::size_t bad = 0;
    if (!is_valid_utf8(doc.id, &bad))
      throw error(errc::invalid_utf8, "document id is not valid UTF-8 (byte " + std::to_string(bad) + ")");
    const std::size_t size = doc.text.size() + doc.title.size();
    if (size > opts.max_document_bytes)
      throw error(errc::too_large, "document '" + std::string(doc.id) + "' has " + std::to_string(size) +
                                       " bytes of text, more than the limit of " +
                                       std::to_string(opts.max_document_bytes));
    // Working buffers per thread, keeping the capacity of the largest document the thread has
    // seen (at most max_document_bytes each): no allocation per document for them.
    thread_local std::string combined, normalized;
    thread_local std::vector<std::uint64_t> shingles;
    // Titles are matched together with the body: a retelling usually keeps the names in it.
    std::string_view raw = doc.text;
    if (!doc.title.empty()) {
      combined.assign(doc.title).append("\n\n").append(doc.text);
      raw = combined;
    }
    try {
      normalize_into(raw, normalized, opts.normalize);
    } catch (const error& e) {
      if (e.code() == errc::invalid_utf8)
        throw error(errc::invalid_utf8, "document '" + std::string(doc.id) + "': " + e.what());
      throw;
    }
    f.text_length = doc.text.size();
    shingles.clear();
    shingle_hashes(normalized, opts.shingles, shingles);
    f.signature.resize(opts.minhash.num_hashes);
    hasher.compute_into(shingles, f.signature);
    f.band_keys = lsh.band_keys(f.signature);
    // The sketch is evidence for the model alone: a run decided by the rule never reads it, and
    // it costs more than the signature (the raw scan for names and numbers, the word hashes).
    // Documents stored without one are decided by the rule if a later load selects the model
    // (score_slots); prepare() always builds it, as the document may be added anywhere.
    if (with_sketch || uses_model()) {
      const auto distinct = static_cast<std::uint32_t>(count_distinct(shingles));
      f.sketch = make_sketch(raw, normalized, doc.title, distinct, opts.sketch);
    }
    if (opts.embedding == embedding_mode::builtin) {
      if (!doc.vector.empty())
        throw error(errc::incompatible, "document '" + std::string(doc.id) + "' has a vector of dimension " +
                                            std::to_string(doc.vector.size()) +
                                            ", but the deduplicator uses the built-in embedder (embedding_mode::external takes caller vectors)");
      f.terms = embedder->extract(normalized);
    } else if (opts.embedding == embedding_mode::external) {
      if (doc.vector.empty())
        throw error(errc::incompatible, "document '" + std::string(doc.id) +
                                            "' has no vector, but the deduplicator uses external embeddings of dimension " +
                                            std::to_string(dim));
      if (doc.vector.size() != dim)
        throw error(errc::incompatible, "document '" + std::string(doc.id) + "' has a vector of dimension " +
                                            std::to_string(doc.vector.size()) + ", expected " + std::to_string(dim));
      for (float x : doc.vector)
        if (!std::isfinite(x))
          throw error(errc::invalid_argument, "document '" + std::string(doc.id) + "' has a non-finite vector value");
      f.vector.assign(doc.vector.begin(), doc.vector.end());
      normalize_in_place(f.vector);
    } else if (!doc.vector.empty()) {
      throw error(errc::incompatible, "document '" + std::string(doc.id) +
                                          "' has a vector, but the deduplicator has embeddings disabled");
    }
    if (opts.keep_text) f.normalized = normalized;
    f.title = detail::readable_excerpt(doc.title, detail::max_title_bytes);
    f.snippet = detail::readable_excerpt(doc.text, opts.snippet_bytes);
  } catch (const error& e) {
    f.status = e.code();
    f.error = e.what();
  }
  return f;
}

void deduplicator::impl::embed_new(std::span<doc_features*> batch) const {
  if (opts.embedding != embedding_mode::builtin) return;
  parallel_for(batch.size(), worker_count(batch.size() / 8), [&](std::size_t i) {
    doc_features& f = *batch[i];
    if (f.status != errc::ok) return;
    f.vector.resize(dim);
    embedder->embed_into(f.terms, f.vector);
  });
}

void deduplicator::impl::note_observed(doc_features& f) {
  if (opts.embedding != embedding_mode::builtin) return;
  pending_terms.push_back(std::move(f.terms));
  const std::uint64_t observed = embedder->documents_observed();
  if (observed + pending_terms.size() >= embed_epoch_boundary(observed, coarse_epochs)) {
    for (const auto& t : pending_terms) embedder->observe(t);
    pending_terms.clear();
  }
}

bool deduplicator::impl::uses_model() const noexcept {
  return opts.decision == match_decision::model ||
         (opts.decision == match_decision::automatic && opts.embedding == embedding_mode::builtin);
}

double deduplicator::impl::model_threshold() const noexcept {
  return opts.match_threshold > 0.0 ? opts.match_threshold : match_model::builtin().threshold;
}

pair_scores deduplicator::impl::score_slots(std::span<const std::uint32_t> sig, std::span<const float> vec,
                                            const doc_sketch& sketch, std::uint32_t other,
                                            pair_evidence* evidence_out) const {
  const double j = sig.empty() ? 0.0 : estimate_jaccard(sig, lsh.values_of(other));
  const bool has_cos = dim > 0 && !vec.empty();
  const double c = has_cos ? dot(vec, vector_of(other)) : 0.0;
  if (!uses_model() && !evidence_out) return opts.scoring.evaluate(j, c, has_cos);
  static const doc_sketch no_sketch;
  const doc_sketch& theirs = other < sketches.size() ? sketches[other] : no_sketch;
  const pair_evidence e = compute_evidence(sketch, theirs, opts.sketch, j, c, has_cos, calibration_in_force,
                                           embedder ? &*embedder : nullptr);
  if (evidence_out) *evidence_out = e;
  // A document without a sketch (stored while the rule decided, or by a version-2 state; or a
  // text without words) leaves the model without the evidence it was fitted on: the rule decides
  // such pairs, so a lexical state loaded with decision=model keeps matching its old documents.
  if (!uses_model() || sketch.words == 0 || theirs.words == 0) return opts.scoring.evaluate(j, c, has_cos);
  pair_scores s;
  s.jaccard = std::clamp(j, 0.0, 1.0);
  s.has_cosine = has_cos;
  s.cosine = has_cos ? std::clamp(c, 0.0, 1.0) : 0.0;
  s.score = match_model::builtin().probability(e);
  // A copy (or a light edit) is the same story whatever the rest of the evidence says.
  if (s.jaccard >= opts.copy_jaccard) {
    s.decision = decided_by::jaccard;
    s.score = std::max(s.score, s.jaccard);  // an exact copy scores 1
  } else if (s.score >= model_threshold()) s.decision = decided_by::model;
  return s;
}

std::vector<match> deduplicator::impl::candidates_for(std::span<const std::uint32_t> sig, std::span<const float> vec,
                                                      const doc_sketch& sketch,
                                                      std::optional<std::int64_t> timestamp, std::size_t limit,
                                                      bool accepted_only) const {
  std::vector<std::uint32_t> cand;
  if (!sig.empty())
    for (const auto& m : lsh.query(sig, opts.lsh_threshold)) cand.push_back(static_cast<std::uint32_t>(m.key));
  if (vectors_index && !vec.empty() && opts.vector_candidates > 0) {
    // The nearest vectors: the index's, the recent window's and the open segment's (not yet in
    // the index) by exact cosine; the top vector_candidates of them together, as add() sees them.
    std::vector<std::pair<float, std::uint32_t>> best;
    const std::uint32_t recent = recent_from();
    if (vectors_index->size() > 0)
      for (const auto& m : vectors_index->search(vec, opts.vector_candidates))
        if (m.key < recent) best.emplace_back(m.cosine, static_cast<std::uint32_t>(m.key));
    const auto recent_nn = recent_nearest(vec.data(), 1, opts.vector_candidates, recent);
    best.insert(best.end(), recent_nn[0].begin(), recent_nn[0].end());
    const std::vector<float> open_cos = cosines_with_open(vec.data(), 1);
    for (std::size_t j = 0; j < open_cos.size(); ++j)
      if (!ids[open_from + j].empty()) best.emplace_back(open_cos[j], static_cast<std::uint32_t>(open_from + j));
    auto better = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; };
    const std::size_t keep = std::min(best.size(), opts.vector_candidates);
    std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(keep), best.end(), better);
    for (std::size_t j = 0; j < keep; ++j) cand.push_back(best[j].second);
  }
  std::sort(cand.begin(), cand.end());
  cand.erase(std::unique(cand.begin(), cand.end()), cand.end());

  std::vector<match> out;
  for (std::uint32_t slot : cand) {
    if (slot >= ids.size() || ids[slot].empty()) continue;
    if (timestamp && !within_window(*timestamp, timestamps[slot])) continue;
    // A query by vector alone has no text to weigh: its cosine decides, by the rule.
    pair_scores s = sig.empty() ? opts.scoring.evaluate(0.0, dot(vec, vector_of(slot)), true)
                                : score_slots(sig, vec, sketch, slot);
    if (accepted_only && !s.accepted()) continue;
    out.push_back(match{ids[slot], stories.cluster_of(slot), s});
  }
  std::sort(out.begin(), out.end(), [&](const match& a, const match& b) {
    if (a.scores.score != b.scores.score) return a.scores.score > b.scores.score;
    return slot_of.find(a.id, ids) < slot_of.find(b.id, ids);
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

add_result deduplicator::impl::insert(const document& doc, doc_features& f, std::span<const std::uint32_t> cand,
                                      const segment_candidate* known) {
  add_result r;
  const std::string id(doc.id);
  if (slot_of.find(id, ids) != detail::id_table::none) {
    r.status = errc::duplicate_id;
    r.error = "document id '" + id + "' is already stored";
    return r;
  }
  std::span<const float> vec = f.vector;
  auto score = [&](std::uint32_t slot) {
    if (known) {
      const auto it = std::lower_bound(known->stored.begin(), known->stored.end(), slot);
      if (it != known->stored.end() && *it == slot)
        return known->stored_scores[static_cast<std::size_t>(it - known->stored.begin())];
    }
    return score_slots(f.signature, vec, f.sketch, slot);
  };

  // Every story a verified candidate belongs to is tried through its leader.
  std::vector<std::uint64_t> story_ids;
  std::uint64_t best_story = leader_clustering::no_cluster;
  pair_scores best_scores;
  std::uint32_t best_leader = 0;  // the member that decided: the leader, or the copied document
  for (std::uint32_t slot : cand) {
    if (slot >= ids.size() || ids[slot].empty() || !within_window(doc.timestamp, timestamps[slot])) continue;
    ++r.candidates;
    const pair_scores s = score(slot);
    if (!s.accepted()) continue;
    story_ids.push_back(stories.cluster_of(slot));
    // A copy of a member joins that member's story directly: it is as far from every other
    // story as the member itself, so this cannot chain unrelated reports together.
    if (s.jaccard >= opts.copy_jaccard && (best_story == leader_clustering::no_cluster || s.jaccard > best_scores.jaccard)) {
      best_story = stories.cluster_of(slot);
      best_scores = s;
      best_leader = slot;
    }
  }
  std::sort(story_ids.begin(), story_ids.end());
  story_ids.erase(std::unique(story_ids.begin(), story_ids.end()), story_ids.end());

  const bool copy_decided = best_story != leader_clustering::no_cluster;
  for (std::uint64_t sid : story_ids) {
    if (copy_decided) break;
    const std::uint32_t leader = *stories.leader_of(sid);
    if (!within_window(doc.timestamp, timestamps[leader])) continue;
    const pair_scores s = score(leader);
    if (s.accepted() && (best_story == leader_clustering::no_cluster || s.score > best_scores.score)) {
      best_story = sid;
      best_scores = s;
      best_leader = leader;
    }
  }

  // Nothing can fail from here on: reserve first so the commit below is all-or-nothing.
  const auto slot = static_cast<std::uint32_t>(ids.size());
  // Geometric growth: reserve(size + 1) would reallocate (and copy everything) on every insert.
  auto room_for = [](auto& v, std::size_t extra) {
    if (v.capacity() < v.size() + extra) v.reserve(std::max(v.size() + extra, 2 * v.capacity()));
  };
  room_for(ids, 1);
  room_for(timestamps, 1);
  room_for(sources, 1);
  room_for(text_lengths, 1);
  room_for(join_scores, 1);
  if (dim) room_for(vectors, dim);
  if (opts.keep_text) room_for(texts, 1);
  room_for(sketches, 1);
  slot_of.reserve(slot_of.size() + 1);
  readable.reserve_for(f.title.size() + f.snippet.size());
  // The vector joins the index when the open segment closes.
  if (f.band_keys.fingerprints().empty()) lsh.insert(slot, f.signature);
  else lsh.insert(slot, f.signature, f.band_keys);
  ids.push_back(id);
  timestamps.push_back(doc.timestamp);
  sources.emplace_back(doc.source);
  text_lengths.push_back(static_cast<std::uint32_t>(std::min<std::size_t>(f.text_length, UINT32_MAX)));
  if (dim) vectors.insert(vectors.end(), vec.begin(), vec.end());
  if (opts.keep_text) texts.push_back(std::move(f.normalized));
  sketches.push_back(std::move(f.sketch));
  readable.push(f.title, f.snippet);
  if (dim && slot > 0)
    for (unsigned k = 0; k < cosine_calibration::partners; ++k) {
      const auto other = static_cast<std::uint32_t>(cosine_calibration::partner(slot, k));
      if (!ids[other].empty()) calibration.observe(dot(vector_of(slot), vector_of(other)));
    }
  slot_of.insert(slot, ids);
  if (best_story == leader_clustering::no_cluster) {
    r.cluster_id = stories.open(slot);
    r.new_story = true;
    join_scores.push_back(self_scores());
  } else {
    stories.join(slot, best_story);
    r.cluster_id = best_story;
    r.leader = match{ids[best_leader], best_story, best_scores};
    join_scores.push_back(best_scores);
  }
  note_observed(f);
  ++added_total;
  return r;
}

void deduplicator::impl::erase_slot(std::uint32_t slot) {
  lsh.remove(slot);
  if (vectors_index) vectors_index->remove(slot);
  stories.remove(slot);
  slot_of.erase(slot, ids);
  ids[slot].clear();
  ids[slot].shrink_to_fit();
  sources[slot].clear();
  sources[slot].shrink_to_fit();
  if (opts.keep_text) {
    texts[slot].clear();
    texts[slot].shrink_to_fit();
  }
  if (slot < sketches.size()) sketches[slot] = doc_sketch{};
  readable.clear_slot(slot);
  ++removed_total;
}

std::uint32_t deduplicator::impl::slot_or_throw(std::string_view id) const {
  const std::uint32_t slot = slot_of.find(id, ids);
  if (slot == detail::id_table::none) throw error(errc::not_found, "no document with id '" + std::string(id) + "'");
  return slot;
}

std::uint32_t deduplicator::impl::representative_slot(std::span<const std::uint32_t> members) const {
  std::vector<member_facts> facts;
  facts.reserve(members.size());
  for (std::uint32_t slot : members)
    facts.push_back(member_facts{timestamps[slot], sources[slot], text_lengths[slot], ids[slot]});
  return members[choose_representative(facts, opts.representative)];
}

cluster_info deduplicator::impl::describe(std::uint64_t cluster_id) const {
  auto members = stories.members_of(cluster_id);
  if (members.empty()) throw error(errc::not_found, "no cluster with id " + std::to_string(cluster_id));
  cluster_info info;
  info.id = cluster_id;
  info.leader = ids[members.front()];
  for (std::uint32_t slot : members)
    info.members.push_back(
        cluster_member{ids[slot], timestamps[slot], sources[slot], join_scores[slot], std::string(readable.title(slot)),
                       std::string(readable.snippet(slot))});
  // The leader matches itself perfectly (it may have joined as a member and become leader when
  // its predecessor was removed; its stored scores are then against the old leader).
  info.members.front().scores = self_scores();
  info.representative = ids[representative_slot(members)];
  return info;
}

// ---- public surface

deduplicator::deduplicator(deduplicator_options options) : impl_(std::make_unique<impl>(std::move(options))) {}
deduplicator::deduplicator(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
deduplicator::~deduplicator() = default;
deduplicator::deduplicator(deduplicator&&) noexcept = default;
deduplicator& deduplicator::operator=(deduplicator&&) noexcept = default;

add_result deduplicator::add(const document& doc) {
  auto batch = add_batch(std::span<const document>(&doc, 1));
  add_result& r = batch.front();
  if (r.status != errc::ok) throw error(r.status, r.error);
  return std::move(r);
}

std::vector<add_result> deduplicator::add_batch(std::span<const document> docs) {
  impl& s = *impl_;
  std::vector<doc_features> feats(docs.size());
  // Stage 1, no lock needed: only immutable configuration is read.
  auto t = stage_clock::now();
  parallel_for(docs.size(), s.worker_count(docs.size() / 4),
               [&](std::size_t i) { feats[i] = s.compute_features(docs[i]); });
  const double features_seconds = seconds_since(t);
  return s.add_features(docs, feats, features_seconds);
}

// Stages 2-4 of add_batch over features already computed (stage 1: add_batch, or prepare()
// for add_prepared, prepared.cpp). `docs[i]` supplies the id, timestamp and source of feats[i].
std::vector<add_result> deduplicator::impl::add_features(std::span<const document> docs, std::vector<doc_features>& feats,
                                                         double features_seconds) {
  impl& s = *this;
  auto t = stage_clock::now();
  std::vector<add_result> results(docs.size());
  const std::lock_guard writing(s.writer);
  std::unique_lock lock(s.mutex);
  add_stage_seconds& timing = s.add_seconds;
  timing.features += features_seconds;
  std::size_t i = 0;
  while (i < docs.size()) {
    // The next documents join the open segment, up to its room: at most max_segment slots, and
    // never across a DF epoch boundary, so all its documents are embedded with the same
    // frequencies (those in force at its start).
    std::size_t end = i;
    std::vector<std::size_t> members;  // positions in docs of the valid documents joining
    const std::size_t open = s.ids.size() - s.open_from;
    std::uint64_t room = impl::max_segment - std::min(open, impl::max_segment);
    const std::uint64_t observed_before = s.embedder ? s.embedder->documents_observed() : 0;
    if (s.opts.embedding == embedding_mode::builtin)
      room = std::min<std::uint64_t>(room, embed_epoch_boundary(observed_before, s.coarse_epochs) - observed_before - s.pending_terms.size());
    if (room == 0) {  // cannot happen (a full segment is closed at once); kept as a guard
      if (open == 0) throw error(errc::internal, "add_batch: the DF epoch bookkeeping leaves no room for a document");
      s.close_segment(lock);
      continue;
    }
    while (end < docs.size() && members.size() < room) {
      if (feats[end].status == errc::ok) members.push_back(end);
      ++end;
    }
    std::vector<doc_features*> seg;
    for (std::size_t m : members) seg.push_back(&feats[m]);
    t = stage_clock::now();
    s.embed_new(seg);  // stage 2 (builtin embedder only), parallel
    timing.embed += seconds_since(t);

    // Stage 3, parallel: candidates of every new document among the stored documents (the open
    // segment's by exact cosine) and among the new documents before it - exactly the candidates
    // a one-by-one add would see.
    t = stage_clock::now();
    const auto cands = s.segment_candidates(seg);
    timing.candidates += seconds_since(t);
    t = stage_clock::now();

    // Stage 4, in input order: scoring, clustering, storing.
    std::vector<std::int64_t> slot_at(seg.size(), -1);
    std::size_t k = 0;
    bool stop = false;
    for (; i < end && !stop; ++i) {
      if (feats[i].status != errc::ok) {
        results[i].status = feats[i].status;
        results[i].error = std::move(feats[i].error);
        continue;
      }
      const std::size_t pos = k++;
      std::vector<std::uint32_t> cand = cands[pos].stored;
      for (std::uint32_t j : cands[pos].in_segment)
        if (slot_at[j] >= 0) cand.push_back(static_cast<std::uint32_t>(slot_at[j]));
      std::sort(cand.begin(), cand.end());
      cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
      try {
        results[i] = s.insert(docs[i], feats[i], cand, &cands[pos]);
      } catch (const error& e) {
        results[i] = add_result{};
        results[i].status = e.code();
        results[i].error = e.what();
      } catch (const std::bad_alloc&) {
        results[i] = add_result{};
        results[i].status = errc::out_of_memory;
        results[i].error = "out of memory while adding document '" + std::string(docs[i].id) + "'";
      }
      if (results[i].status == errc::ok) {
        slot_at[pos] = static_cast<std::int64_t>(s.ids.size() - 1);
      } else if (s.opts.embedding == embedding_mode::builtin) {
        // A document refused here (duplicate id) was counted in the DF epoch but not observed:
        // stop so the room is measured afresh.
        stop = true;
      }
    }
    timing.verify_cluster += seconds_since(t);
    s.feed_next_index();
    const bool epoch_ended = s.embedder && s.embedder->documents_observed() != observed_before;
    if (s.ids.size() - s.open_from >= impl::max_segment || epoch_ended) {
      t = stage_clock::now();
      s.close_segment(lock);
      timing.index_add += seconds_since(t);
    }
  }
  return results;
}

void deduplicator::impl::close_segment(std::unique_lock<std::shared_mutex>& lock) {
  const auto end = static_cast<std::uint32_t>(ids.size());
  auto live_keys = [&](std::uint32_t from) {
    std::vector<std::uint64_t> keys;
    for (std::uint32_t slot = from; slot < end; ++slot)
      if (!ids[slot].empty()) keys.push_back(slot);  // else removed
    return keys;
  };
  if (vectors_index && dim > 0 && !vectors_index->reads_caller_rows()) {
    // Scalar quantization: the index keeps codes of its own and retrains synchronously.
    auto rows_of = [&](const std::vector<std::uint64_t>& keys) {
      std::vector<float> rows;
      rows.reserve(keys.size() * dim);
      for (std::uint64_t k : keys) {
        const auto v = vector_of(static_cast<std::uint32_t>(k));
        rows.insert(rows.end(), v.begin(), v.end());
      }
      return rows;
    };
    const std::vector<std::uint64_t> joining = live_keys(open_from);
    if (vectors_index->retrains_on_add(joining.size())) {
      // Every live vector, in slot (key) order, into a new index that trains once on all of
      // them - seconds at nightly scale, so readers are let in meanwhile. No writer can run
      // (we hold `writer`), so what they see stays as it was: the old index and the open segment.
      lock.unlock();
      std::optional<vector_index> fresh;
      {
        const std::shared_lock readers_welcome(mutex);
        const auto keys = live_keys(0);
        fresh.emplace(opts.vector_index);
        fresh->add_batch(keys, rows_of(keys), worker_count(keys.size() / 64));
      }
      lock.lock();
      vectors_index.swap(fresh);
      open_from = end;
      calibration_in_force = calibration;
      lock.unlock();
      fresh.reset();  // the old index is freed outside the exclusive section too
      lock.lock();
      return;
    } else if (!joining.empty()) {
      vectors_index->add_batch(joining, rows_of(joining), worker_count(joining.size() / 64));
    }
  } else if (vectors_index && dim > 0) {
    std::vector<std::uint64_t> joining = live_keys(open_from);
    const std::size_t due = vectors_index->next_training_at();
    const std::size_t after = vectors_index->size() + joining.size();
    if (after >= due) {
      // The next index takes over at this document count, whatever the timing: built on its own
      // thread since the count reached retrain_start(due) (this add waits for it if it is not
      // done), or here when the two points fell into one segment. Readers go on meanwhile with
      // the old index and the open segment; no writer can run (we hold `writer`).
      lock.unlock();
      std::optional<vector_index> fresh;
      std::exception_ptr failed;
      {
        const std::shared_lock readers_welcome(mutex);
        try {
          if (next_index) {
            feed_next_index();
            std::vector<std::uint64_t> removed;  // given to it earlier, removed since
            for (std::uint32_t slot = 0; slot < end; ++slot)
              if (ids[slot].empty()) removed.push_back(slot);
            next_index->remove(std::move(removed));
            fresh.emplace(next_index->finish());
          } else {
            const auto keys = live_keys(0);
            const unsigned workers = worker_count(keys.size() / 64);
            fresh.emplace(opts.vector_index, vectors);
            // Trained for the size it is at (as an index retraining in place would be).
            fresh->restore(vector_index::train(opts.vector_index, vectors, keys, std::max(due, keys.size()), workers),
                           keys, {}, workers);
          }
        } catch (...) {
          failed = std::current_exception();
        }
      }
      lock.lock();
      open_cells.clear();
      next_index.reset();  // spent (or failed: the next close trains here, from all live vectors)
      if (failed) std::rethrow_exception(failed);
      vectors_index.swap(fresh);
      open_from = end;
      calibration_in_force = calibration;
      lock.unlock();
      fresh.reset();  // the old index is freed outside the exclusive section too
      lock.lock();
      return;
    }
    if (!joining.empty()) {
      // The cells segment_candidates found for these rows (a row's cell is a function of the row
      // and the training, so any of them is right); computed afresh when one is missing.
      std::vector<std::uint32_t> cells;
      if (vectors_index->active_kind() == vector_index_kind::ivf)
        for (std::uint64_t k : joining) {
          const auto it = open_cells.find(XXH3_64bits(vectors.row(k), sizeof(float) * dim));
          if (it == open_cells.end()) break;
          cells.push_back(it->second);
        }
      if (cells.size() == joining.size()) vectors_index->add_stored(joining, cells, worker_count(joining.size() / 64));
      else vectors_index->add_stored(joining, worker_count(joining.size() / 64));
    }
    if (next_index) {
      feed_next_index();
    } else if (due != SIZE_MAX && after >= retrain_start(due)) {
      next_index.emplace(opts.vector_index, vectors, live_keys(0), due);
      next_fed = end;
    }
  }
  open_from = end;
  calibration_in_force = calibration;
  open_cells.clear();
}

void deduplicator::impl::cosines_with_slots(const float* rows, std::size_t n, std::uint32_t from, std::uint32_t to,
                                            float* out, std::size_t ldo) const {
  // Slots' rows are contiguous within a chunk of the store: one kernel call per run.
  for (std::uint32_t j = from; j < to;) {
    const float* first = vectors.row(j);
    std::uint32_t len = 1;
    while (j + len < to && vectors.row(j + len) == first + static_cast<std::size_t>(len) * dim) ++len;
    detail::kernels().block(rows, n, dim, first, len, dim, dim, out + (j - from), ldo);
    j += len;
  }
}

void deduplicator::impl::feed_next_index() {
  if (!next_index) return;
  const auto end = static_cast<std::uint32_t>(ids.size());
  std::vector<std::uint64_t> keys;
  for (std::uint32_t slot = next_fed; slot < end; ++slot)
    if (!ids[slot].empty()) keys.push_back(slot);
  next_fed = end;
  next_index->add(std::move(keys));
}

std::vector<float> deduplicator::impl::cosines_with_open(const float* rows, std::size_t n) const {
  const std::size_t open = ids.size() - open_from;
  std::vector<float> out(n * open);
  if (open == 0 || n == 0 || dim == 0) return out;
  constexpr std::size_t rows_per_call = 4;
  const auto to = static_cast<std::uint32_t>(ids.size());
  parallel_for((n + rows_per_call - 1) / rows_per_call, worker_count(n * open / 65536), [&](std::size_t g) {
    const std::size_t r0 = g * rows_per_call, rn = std::min(rows_per_call, n - r0);
    cosines_with_slots(rows + r0 * dim, rn, open_from, to, out.data() + r0 * open, open);
  });
  return out;
}

std::uint32_t deduplicator::impl::recent_from() const noexcept {
  if (!vectors_index || dim == 0 || vectors_index->active_kind() != vector_index_kind::ivf) return open_from;
  std::uint32_t from = open_from;
  for (std::size_t live = 0; from > 0 && live < recent_exact;)
    if (!ids[--from].empty()) ++live;
  return from;
}

std::vector<std::vector<std::pair<float, std::uint32_t>>> deduplicator::impl::recent_nearest(const float* rows,
                                                                                              std::size_t n,
                                                                                              std::size_t k,
                                                                                              std::uint32_t from) const {
  std::vector<std::vector<std::pair<float, std::uint32_t>>> out(n);
  const std::size_t width = open_from - from;
  if (width == 0 || n == 0 || k == 0) return out;
  // Groups of rows small enough that their cosines (rows_per_group x width, 256 KiB at the
  // window's size) stay in cache, and the window's rows (4 MiB) are read once per group.
  constexpr std::size_t rows_per_group = 16;
  parallel_for((n + rows_per_group - 1) / rows_per_group, worker_count(n * width / 65536), [&](std::size_t g) {
    const std::size_t r0 = g * rows_per_group, rn = std::min(rows_per_group, n - r0);
    std::vector<float> cos(rn * width);
    cosines_with_slots(rows + r0 * dim, rn, from, open_from, cos.data(), width);
    for (std::size_t i = 0; i < rn; ++i) {
      auto& best = out[r0 + i];
      best.reserve(width);
      for (std::size_t j = 0; j < width; ++j)
        if (!ids[from + j].empty()) best.emplace_back(cos[i * width + j], static_cast<std::uint32_t>(from + j));
      auto better = [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; };
      if (best.size() > k) {
        std::nth_element(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(k), best.end(), better);
        best.resize(k);
      }
      std::sort(best.begin(), best.end(), better);
      best.shrink_to_fit();
    }
  });
  return out;
}

std::vector<deduplicator::impl::segment_candidate> deduplicator::impl::segment_candidates(
    std::span<doc_features* const> seg) const {
  std::vector<segment_candidate> out(seg.size());
  // Within the segment: a scratch LSH index keyed by segment position reproduces exactly the
  // band collisions the main index would report, and exact cosine top-k stands for the vector
  // index (exact for the flat index; IVF approximates both ways).
  // (A segment of one document, the online add(), needs no scratch index.)
  std::optional<lsh_index> local;
  if (seg.size() > 1) {
    local.emplace(opts.minhash, lsh.params());
    local->reserve(seg.size());
    for (std::size_t k = 0; k < seg.size(); ++k) local->insert(k, seg[k]->signature, seg[k]->band_keys);
  }
  const std::size_t kk = opts.vector_candidates;
  // The segment's vectors, row after row, and each document's row (-1: no vector).
  std::vector<float> rows;
  std::vector<std::int64_t> row_of(seg.size(), -1);
  std::vector<std::size_t> doc_of_row;
  if (dim > 0 && kk > 0) {
    for (std::size_t k = 0; k < seg.size(); ++k)
      if (!seg[k]->vector.empty()) {
        row_of[k] = static_cast<std::int64_t>(doc_of_row.size());
        doc_of_row.push_back(k);
        rows.insert(rows.end(), seg[k]->vector.begin(), seg[k]->vector.end());
      }
  }
  // Nearest stored vectors of the whole segment in one call: the index reads each probed cell
  // once for all the segment's queries that probe it.
  std::vector<std::vector<vector_match>> stored_nn(seg.size());
  if (!doc_of_row.empty() && vectors_index && vectors_index->size() > 0) {
    std::vector<std::uint32_t> cells;  // each row's own IVF cell: close_segment files it there
    auto res = vectors_index->search_batch(rows, kk, worker_count(doc_of_row.size() / 32), cells);
    for (std::size_t r = 0; r < doc_of_row.size(); ++r) stored_nn[doc_of_row[r]] = std::move(res[r]);
    if (!cells.empty() && vectors_index->reads_caller_rows())
      for (std::size_t r = 0; r < doc_of_row.size(); ++r)
        open_cells.emplace(XXH3_64bits(rows.data() + r * dim, sizeof(float) * dim), cells[r]);
  }
  // Exact cosines of each row with the open segment's stored slots and with the earlier new rows,
  // four rows per kernel call (the kernel's entries are bit-identical to dot(), whatever the
  // block, so a pair scores the same whether or not an add call boundary fell between them).
  const std::size_t nrows = doc_of_row.size();
  const std::size_t open = ids.size() - open_from;
  const std::vector<float> open_cos = cosines_with_open(rows.data(), nrows);
  // The exact window before the open segment; the index's answers inside it are replaced by it.
  const std::uint32_t recent = recent_from();
  const auto recent_nn = recent_nearest(rows.data(), nrows, kk, recent);
  std::vector<std::vector<float>> cos_before(nrows);
  parallel_for((nrows + 3) / 4, worker_count(nrows / 64), [&](std::size_t g) {
    const std::size_t r0 = 4 * g, rn = std::min<std::size_t>(4, nrows - r0), width = r0 + rn - 1;
    if (width == 0) return;
    std::vector<float> block(rn * width);
    detail::kernels().block(rows.data() + r0 * dim, rn, dim, rows.data(), width, dim, dim, block.data(), width);
    for (std::size_t i = 0; i < rn; ++i)
      cos_before[r0 + i].assign(block.begin() + static_cast<std::ptrdiff_t>(i * width),
                                block.begin() + static_cast<std::ptrdiff_t>(i * width + r0 + i));
  });
  parallel_for(seg.size(), worker_count(seg.size() / 16), [&](std::size_t k) {
    const doc_features& f = *seg[k];
    segment_candidate& c = out[k];
    for (const auto& m : lsh.query(f.signature, f.band_keys, opts.lsh_threshold)) c.stored.push_back(static_cast<std::uint32_t>(m.key));
    if (local)
      for (const auto& m : local->query(f.signature, f.band_keys, opts.lsh_threshold))
        if (m.key < k) c.in_segment.push_back(static_cast<std::uint32_t>(m.key));
    if (row_of[k] >= 0) {
      // Vector candidates: the top kk by cosine over stored + earlier segment documents.
      const auto r = static_cast<std::size_t>(row_of[k]);
      const std::vector<float> cos = std::move(cos_before[r]);
      std::vector<std::pair<float, std::int64_t>> best;  // (cosine, slot or -1 - position)
      best.reserve(stored_nn[k].size() + recent_nn[r].size() + open + r);
      for (const auto& m : stored_nn[k])
        if (m.key < recent) best.emplace_back(m.cosine, static_cast<std::int64_t>(m.key));
      for (const auto& [cosine, slot] : recent_nn[r]) best.emplace_back(cosine, static_cast<std::int64_t>(slot));
      for (std::size_t j = 0; j < open; ++j)
        if (!ids[open_from + j].empty()) best.emplace_back(open_cos[r * open + j], static_cast<std::int64_t>(open_from + j));
      for (std::size_t j = 0; j < r; ++j) best.emplace_back(cos[j], -1 - static_cast<std::int64_t>(doc_of_row[j]));
      auto better = [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        // Ties: stored documents (smaller slots) first, then earlier segment positions.
        const bool sa = a.second >= 0, sb = b.second >= 0;
        if (sa != sb) return sa;
        return sa ? a.second < b.second : a.second > b.second;
      };
      if (best.size() > kk) {
        std::nth_element(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(kk), best.end(), better);
        best.resize(kk);
      }
      for (const auto& [cosine, who] : best) {
        if (who >= 0) c.stored.push_back(static_cast<std::uint32_t>(who));
        else c.in_segment.push_back(static_cast<std::uint32_t>(-1 - who));
      }
    }
    // Scores against the stored candidates: those documents, the frequencies and the calibration
    // in force stay as they are until the segment closes, so they are scored here, in parallel.
    std::sort(c.stored.begin(), c.stored.end());
    c.stored.erase(std::unique(c.stored.begin(), c.stored.end()), c.stored.end());
    c.stored_scores.reserve(c.stored.size());
    for (std::uint32_t slot : c.stored) c.stored_scores.push_back(score_slots(f.signature, f.vector, f.sketch, slot));
  });
  return out;
}

std::vector<match> deduplicator::query(std::string_view text, const query_options& options) const {
  const impl& s = *impl_;
  document d;
  d.id = "query";
  d.text = text;
  d.timestamp = options.timestamp.value_or(0);
  // External mode: a stand-in vector passes compute_features' "needs a vector" check; the text
  // query itself is lexical only (the vector is dropped below).
  const std::vector<float> stand_in(s.opts.embedding == embedding_mode::external ? s.dim : 0, 1.0f);
  d.vector = stand_in;
  doc_features f = s.compute_features(d);  // pure: no lock needed
  if (f.status != errc::ok) throw error(f.status, f.error);
  std::shared_lock lock(s.mutex);
  if (s.opts.embedding == embedding_mode::builtin) {
    f.vector.resize(s.dim);
    s.embedder->embed_into(f.terms, f.vector);
  } else if (s.opts.embedding == embedding_mode::external) {
    f.vector.clear();  // text queries have no vector in external mode: lexical only
  }
  return s.candidates_for(f.signature, f.vector, f.sketch, options.timestamp, options.top_k, options.accepted_only);
}

std::vector<match> deduplicator::query_vector(std::span<const float> vector, const query_options& options) const {
  const impl& s = *impl_;
  if (s.dim == 0) throw error(errc::incompatible, "query_vector: this deduplicator has embeddings disabled");
  if (vector.size() != s.dim)
    throw error(errc::incompatible, "query_vector: dimension " + std::to_string(vector.size()) + ", expected " +
                                        std::to_string(s.dim));
  std::vector<float> v(vector.begin(), vector.end());
  for (float x : v)
    if (!std::isfinite(x)) throw error(errc::invalid_argument, "query_vector: non-finite value");
  normalize_in_place(v);
  std::shared_lock lock(s.mutex);
  return s.candidates_for({}, v, doc_sketch{}, options.timestamp, options.top_k, options.accepted_only);
}

bool deduplicator::remove(std::string_view id) {
  impl& s = *impl_;
  const std::lock_guard writing(s.writer);
  std::unique_lock lock(s.mutex);
  const std::uint32_t slot = s.slot_of.find(id, s.ids);
  if (slot == detail::id_table::none) return false;
  s.erase_slot(slot);
  return true;
}

std::size_t deduplicator::evict_before(std::int64_t cutoff) {
  impl& s = *impl_;
  const std::lock_guard writing(s.writer);
  std::unique_lock lock(s.mutex);
  std::size_t n = 0;
  for (std::uint32_t slot = 0; slot < s.ids.size(); ++slot)
    if (!s.ids[slot].empty() && s.timestamps[slot] < cutoff) {
      s.erase_slot(slot);
      ++n;
    }
  return n;
}

bool deduplicator::contains(std::string_view id) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->slot_of.find(id, impl_->ids) != detail::id_table::none;
}

std::uint64_t deduplicator::cluster_of(std::string_view id) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->stories.cluster_of(impl_->slot_or_throw(id));
}

cluster_info deduplicator::cluster(std::uint64_t cluster_id) const {
  std::shared_lock lock(impl_->mutex);
  return impl_->describe(cluster_id);
}

std::string deduplicator::representative_of(std::string_view id) const {
  std::shared_lock lock(impl_->mutex);
  const impl& s = *impl_;
  return s.ids[s.representative_slot(s.stories.members_of(s.stories.cluster_of(s.slot_or_throw(id))))];
}

std::vector<cluster_info> deduplicator::clusters(std::size_t min_members) const {
  std::vector<cluster_info> out;
  for_each_cluster(min_members, [&](cluster_info&& c) { out.push_back(std::move(c)); });
  return out;
}

void deduplicator::for_each_cluster(std::size_t min_members,
                                    const std::function<void(cluster_info&&)>& visit) const {
  const impl& s = *impl_;
  std::shared_lock lock(s.mutex);
  for (std::uint64_t id : s.stories.cluster_ids())
    if (s.stories.members_of(id).size() >= min_members) visit(s.describe(id));
}

explanation deduplicator::explain(std::string_view id_a, std::string_view id_b) const {
  const impl& s = *impl_;
  std::shared_lock lock(s.mutex);
  const std::uint32_t a = s.slot_or_throw(id_a), b = s.slot_or_throw(id_b);
  explanation e;
  pair_evidence evidence;
  // The evidence reads the later-added document as the newer one (compute_evidence), as when it
  // was added; the scores are symmetric.
  const std::uint32_t newer = std::max(a, b), older = std::min(a, b);
  e.scores = s.score_slots(s.lsh.values_of(newer), s.vector_of(newer), s.sketches[newer], older, &evidence);
  e.features = match_model::builtin().contributions(evidence);
  e.probability = match_model::builtin().probability(evidence);
  if (!s.opts.keep_text) return e;
  const auto ta = tokenize(s.texts[a]);
  const auto tb = tokenize(s.texts[b]);
  // Shared terms: words of both texts, longest (most distinctive, roughly) first.
  std::unordered_set<std::string_view> in_b(tb.begin(), tb.end());
  std::unordered_set<std::string_view> seen;
  std::vector<std::string_view> shared;
  for (auto t : ta)
    if (in_b.count(t) && seen.insert(t).second && (t.size() >= 4 || std::isdigit(static_cast<unsigned char>(t[0]))))
      shared.push_back(t);
  std::stable_sort(shared.begin(), shared.end(), [](auto x, auto y) { return x.size() > y.size(); });
  for (std::size_t i = 0; i < shared.size() && i < 20; ++i) e.shared_terms.emplace_back(shared[i]);
  // Longest shared run of words (dynamic programming over the two token sequences, capped).
  const std::size_t n = std::min<std::size_t>(ta.size(), 4000), m = std::min<std::size_t>(tb.size(), 4000);
  std::vector<std::uint32_t> prev(m + 1, 0), cur(m + 1, 0);
  std::size_t best = 0, best_end = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      cur[j] = ta[i - 1] == tb[j - 1] ? prev[j - 1] + 1 : 0;
      if (cur[j] > best) {
        best = cur[j];
        best_end = i;
      }
    }
    std::swap(prev, cur);
  }
  for (std::size_t k = best_end - best; k < best_end; ++k) {
    if (!e.shared_passage.empty()) e.shared_passage += ' ';
    e.shared_passage.append(ta[k]);
  }
  return e;
}

deduplicator_stats deduplicator::stats() const {
  const impl& s = *impl_;
  std::shared_lock lock(s.mutex);
  deduplicator_stats st;
  st.documents = s.slot_of.size();
  st.clusters = s.stories.cluster_count();
  for (std::uint64_t id : s.stories.cluster_ids())
    if (s.stories.members_of(id).size() > 1) ++st.multi_member_clusters;
  st.documents_added_total = s.added_total;
  st.documents_removed_total = s.removed_total;
  st.add_seconds = s.add_seconds;
  const std::size_t slots = s.ids.size();
  // Each vector is held once (the store); the index holds keys, lists and centroids (or its own
  // codes with scalar quantization), which it counts itself. The LSH index counts its signature
  // values and band tables itself (the tables' size depends on their load, not only on n).
  st.memory_bytes = s.lsh.memory_bytes() + s.slot_of.memory_bytes() +
                    slots * (std::size_t{s.dim} * 4 /* the vector store */ +
                             2 * sizeof(std::string) + 8 + 4 + sizeof(pair_scores) /* id, source, timestamp, length, scores */ +
                             8 /* the slot's story */) +
                    st.clusters * 64 /* a story's record and member list */;
  if (s.vectors_index) st.memory_bytes += s.vectors_index->memory_bytes();
  for (const auto& t : s.texts) st.memory_bytes += t.capacity();
  for (const auto& k : s.sketches) st.memory_bytes += k.memory_bytes();
  st.memory_bytes += s.readable.memory_bytes();
  st.frequency_documents = s.embedder ? s.embedder->documents_observed() : 0;
  return st;
}

const deduplicator_options& deduplicator::options() const noexcept { return impl_->opts; }

signature deduplicator::compute_signature(std::string_view text) const {
  const impl& s = *impl_;
  const std::string normalized = normalize(text, s.opts.normalize);
  return s.hasher.compute(shingle_hashes(normalized, s.opts.shingles));
}

std::vector<float> deduplicator::compute_embedding(std::string_view text) const {
  const impl& s = *impl_;
  if (s.opts.embedding != embedding_mode::builtin) return {};
  const std::string normalized = normalize(text, s.opts.normalize);
  std::shared_lock lock(s.mutex);
  return s.embedder->embed(s.embedder->extract(normalized));
}

}  // namespace retold
