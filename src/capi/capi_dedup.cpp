// C ABI: the deduplicator handle, documents, queries, stories, persistence.
#include "capi_internal.hpp"

#include <retold/text.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

using retold::capi::cstring;
using retold::capi::dedup_of;
using retold::capi::fail;
using retold::capi::guard;
using retold::capi::require;
using retold::capi::text_view;
using retold::capi::to_c;

retold_dedup::retold_dedup(retold::deduplicator d) : dedup(std::move(d)) {
  for (const auto& s : dedup.options().representative.source_priority) source_priority.push_back(s.c_str());
}

namespace {

// What a list's internal_ pointer owns. Items point into the C++ results kept here.
struct match_list_storage {
  std::vector<retold::match> matches;
  std::vector<retold_match> items;
};

struct cluster_list_storage {
  std::vector<retold::cluster_info> infos;
  std::vector<std::vector<retold_cluster_member>> members;
  std::vector<retold_cluster> items;
};

struct explanation_storage {
  retold::explanation e;
  std::vector<const char*> terms;
};

// Converts and checks one C document. The views borrow the caller's memory.
retold::document to_cpp(const retold_document* d, const char* what) {
  require(d, what);
  if (d->version != RETOLD_DOCUMENT_VERSION)
    fail(RETOLD_EINVALID, std::string(what) + ".version is " + std::to_string(d->version) +
                              " (initialize documents with RETOLD_DOCUMENT_INIT)");
  retold::document doc;
  if (d->id == nullptr) fail(RETOLD_EINVALID, std::string(what) + ".id is NULL");
  doc.id = d->id;
  doc.text = text_view(d->text, d->text_len, "document text");
  doc.title = text_view(d->title, d->title_len, "document title");
  if (d->source != nullptr) {
    doc.source = d->source;
    std::size_t bad = 0;
    // Sources come back out as strings (clusters, members), so they must be text too.
    if (!retold::is_valid_utf8(doc.source, &bad))
      fail(RETOLD_EUTF8, "source of document '" + std::string(doc.id) + "' is not valid UTF-8 (byte " +
                             std::to_string(bad) + ")");
  }
  doc.timestamp = d->timestamp;
  if (d->vector_dim != 0) {
    if (d->vector == nullptr)
      fail(RETOLD_EINVALID, "document '" + std::string(doc.id) + "': vector is NULL but vector_dim is " +
                                std::to_string(d->vector_dim));
    doc.vector = std::span<const float>(d->vector, d->vector_dim);
  }
  return doc;
}

// Per-thread storage of the messages retold_add_result::error points to (see retold.h).
std::vector<std::string>& batch_messages() noexcept {
  thread_local std::vector<std::string> messages;
  return messages;
}

void fill_add_result(const retold::add_result& r, retold_add_result* out) noexcept {
  retold_add_result c{};
  c.status = r.status == retold::errc::ok ? RETOLD_OK : -static_cast<int>(r.status);
  c.new_story = r.new_story ? 1 : 0;
  c.cluster_id = r.cluster_id;
  c.candidates = r.candidates;
  if (r.leader) {
    c.has_leader = 1;
    c.leader_scores = to_c(r.leader->scores);
  }
  *out = c;
}

retold::query_options to_cpp(const retold_query_options* o) {
  retold::query_options q;
  if (o == nullptr) return q;
  if (o->version != RETOLD_QUERY_OPTIONS_VERSION)
    fail(RETOLD_EINVALID, "query options version is " + std::to_string(o->version) +
                              " (initialize with RETOLD_QUERY_OPTIONS_INIT)");
  if (!(o->min_score >= 0.0 && o->min_score <= 1.0))
    fail(RETOLD_EINVALID, "query options min_score must be in [0, 1]");
  q.top_k = o->top_k;
  q.accepted_only = o->include_rejected == 0;
  if (o->has_timestamp) q.timestamp = o->timestamp;
  return q;
}

double min_score_of(const retold_query_options* o) noexcept { return o ? o->min_score : 0.0; }

// Matches come best first, so dropping those under the floor after top-k leaves exactly the
// top-k of the matches above it.
void fill_match_list(std::vector<retold::match> matches, double min_score, retold_match_list* out) {
  auto st = std::make_unique<match_list_storage>();
  st->matches = std::move(matches);
  if (min_score > 0.0)
    std::erase_if(st->matches, [&](const retold::match& m) { return m.scores.score < min_score; });
  st->items.reserve(st->matches.size());
  for (const auto& m : st->matches) st->items.push_back(retold_match{m.id.c_str(), m.cluster_id, to_c(m.scores)});
  out->items = st->items.data();
  out->count = st->items.size();
  out->internal_ = st.release();
}

void fill_cluster_list(std::vector<retold::cluster_info> infos, retold_cluster_list* out) {
  auto st = std::make_unique<cluster_list_storage>();
  st->infos = std::move(infos);
  st->members.resize(st->infos.size());
  st->items.reserve(st->infos.size());
  for (std::size_t i = 0; i < st->infos.size(); ++i) {
    const auto& info = st->infos[i];
    auto& mem = st->members[i];
    mem.reserve(info.members.size());
    for (const auto& m : info.members)
      mem.push_back(retold_cluster_member{m.id.c_str(), m.source.c_str(), m.timestamp, to_c(m.scores)});
    st->items.push_back(retold_cluster{info.id, info.representative.c_str(), info.leader.c_str(), mem.data(),
                                       static_cast<std::uint64_t>(mem.size())});
  }
  out->items = st->items.data();
  out->count = st->items.size();
  out->internal_ = st.release();
}

retold_dedup_options to_c_options(const retold_dedup& h) {
  const retold::deduplicator_options& o = h.dedup.options();
  retold_dedup_options c = RETOLD_DEDUP_OPTIONS_INIT;
  auto flag = [](bool on, retold_dedup_flag f) { return on ? static_cast<std::uint32_t>(f) : 0u; };
  c.flags = flag(o.keep_text, RETOLD_DEDUP_KEEP_TEXT) |
            flag(!o.normalize.strip_boilerplate, RETOLD_DEDUP_KEEP_BOILERPLATE) |
            flag(!o.normalize.casefold, RETOLD_DEDUP_KEEP_CASE) |
            flag(o.normalize.replace_invalid_utf8, RETOLD_DEDUP_REPLACE_INVALID_UTF8) |
            flag(o.vector_index.scalar_quantization, RETOLD_DEDUP_SCALAR_QUANTIZATION);
  c.shingle_kind = static_cast<std::uint32_t>(o.shingles.kind);
  c.shingle_size = o.shingles.n;
  c.num_hashes = o.minhash.num_hashes;
  c.minhash_scheme = static_cast<std::uint32_t>(o.minhash.scheme);
  c.minhash_seed = o.minhash.seed;
  c.lsh_bands = o.lsh.bands;
  c.lsh_rows = o.lsh.rows;
  c.lsh_threshold = o.lsh_threshold;
  c.embedding_mode = static_cast<std::uint32_t>(o.embedding);
  c.embedding_dimension = o.embedding == retold::embedding_mode::builtin    ? o.embedder.dimension
                          : o.embedding == retold::embedding_mode::external ? o.external_dimension
                                                                            : 0u;
  c.vector_candidates = o.vector_candidates;
  c.vector_index_ivf_min_size = o.vector_index.ivf_min_size;
  c.vector_index_kind = static_cast<std::uint32_t>(o.vector_index.kind);
  c.vector_index_nlist = o.vector_index.nlist;
  c.vector_index_nprobe = o.vector_index.nprobe;
  c.jaccard_threshold = o.scoring.jaccard_threshold;
  c.cosine_threshold = o.scoring.cosine_threshold;
  c.combined_weight_jaccard = o.scoring.combined_weight_jaccard;
  c.combined_threshold = o.scoring.combined_threshold;
  c.copy_jaccard = o.copy_jaccard;
  c.time_window_seconds = o.time_window_seconds;
  c.max_document_bytes = o.max_document_bytes;
  c.threads = o.threads;
  c.source_priority_count = static_cast<std::uint32_t>(h.source_priority.size());
  c.source_priority = h.source_priority.empty() ? nullptr : h.source_priority.data();
  return c;
}

}  // namespace

extern "C" {

int retold_dedup_new(retold_dedup** out, const retold_dedup_options* opts) {
  if (out) *out = nullptr;
  return guard("retold_dedup_new", [&] {
    require(out, "out");
    *out = new retold_dedup(retold::deduplicator(retold::capi::to_cpp(opts)));
    return RETOLD_OK;
  });
}

void retold_dedup_free(retold_dedup* dedup) {
  if (dedup == nullptr) return;
  // The magic check turns a double free or a wrong-type handle into a no-op where it can.
  if (dedup->magic != retold_dedup::live_magic) return;
  dedup->magic = 0;
  delete dedup;  // ~deduplicator does not throw
}

int retold_dedup_add(retold_dedup* dedup, const retold_document* doc, retold_add_result* result) {
  return guard("retold_dedup_add", [&] {
    auto& d = dedup_of(dedup);
    const retold::document cdoc = to_cpp(doc, "doc");
    const retold::add_result r = d.add(cdoc);
    if (result) fill_add_result(r, result);
    return RETOLD_OK;
  });
}

int retold_dedup_add_batch(retold_dedup* dedup, const retold_document* docs, uint64_t count,
                           retold_add_result* results, uint64_t* out_added) {
  if (out_added) *out_added = 0;
  return guard("retold_dedup_add_batch", [&] {
    auto& d = dedup_of(dedup);
    if (count == 0) return RETOLD_OK;
    require(docs, "docs");
    // No array is that long: refuse before reserving (which would throw length_error).
    if (count > PTRDIFF_MAX / sizeof(retold_document) || count > std::vector<retold::document>().max_size())
      fail(RETOLD_EINVALID, "count " + std::to_string(count) + " is larger than any array of documents");
    // Documents the shim itself rejects (NULL id, bad version, ...) are skipped like the ones the
    // library rejects; the others go to the library in their order.
    std::vector<retold::document> batch;
    std::vector<std::size_t> where;  // batch index -> caller index
    batch.reserve(static_cast<std::size_t>(count));
    where.reserve(static_cast<std::size_t>(count));
    // The earliest skipped document's message becomes this thread's last error.
    struct skipped {
      std::size_t index;
      int code;
      std::string message;
    };
    std::optional<skipped> first;
    auto note = [&](std::size_t i, int code, const std::string& msg) {
      if (!first || i < first->index) first = skipped{i, code, "docs[" + std::to_string(i) + "]: " + msg};
    };
    std::vector<std::pair<std::size_t, int>> rejected;
    std::vector<std::pair<std::size_t, std::string>> rejected_messages;
    for (std::uint64_t i = 0; i < count; ++i) {
      try {
        batch.push_back(to_cpp(&docs[i], "document"));
        where.push_back(static_cast<std::size_t>(i));
      } catch (const retold::capi::c_error& e) {
        rejected.emplace_back(static_cast<std::size_t>(i), e.code);
        rejected_messages.emplace_back(static_cast<std::size_t>(i), "docs[" + std::to_string(i) + "]: " + e.message);
        note(static_cast<std::size_t>(i), e.code, e.message);
      }
    }
    const std::vector<retold::add_result> r = d.add_batch(batch);
    std::uint64_t added = 0;
    for (std::size_t k = 0; k < r.size(); ++k) {
      if (r[k].status == retold::errc::ok)
        ++added;
      else
        note(where[k], -static_cast<int>(r[k].status), r[k].error);
      if (results) fill_add_result(r[k], &results[where[k]]);
    }
    if (results) {
      for (const auto& [i, code] : rejected) {
        results[i] = retold_add_result{};
        results[i].status = code;
      }
      // Messages of skipped documents live in this thread's storage until its next batch; the
      // pointers are taken only once the vector is complete (moving a short string moves its
      // characters).
      auto& store = batch_messages();
      store.clear();
      std::vector<std::size_t> owner;
      for (std::size_t k = 0; k < r.size(); ++k)
        if (r[k].status != retold::errc::ok) {
          store.push_back("docs[" + std::to_string(where[k]) + "]: " + r[k].error);
          owner.push_back(where[k]);
        }
      for (const auto& [i, message] : rejected_messages) {
        store.push_back(message);
        owner.push_back(i);
      }
      for (std::size_t m = 0; m < store.size(); ++m) results[owner[m]].error = store[m].c_str();
    }
    if (out_added) *out_added = added;
    if (first) retold::capi::set_error(first->code, "retold_dedup_add_batch", first->message);
    return RETOLD_OK;
  });
}

int retold_dedup_query(const retold_dedup* dedup, const char* text, uint64_t text_len,
                       const retold_query_options* opts, retold_match_list* out) {
  if (out) *out = retold_match_list{};
  return guard("retold_dedup_query", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    const std::string_view t = text_view(text, text_len, "text");
    fill_match_list(d.query(t, to_cpp(opts)), min_score_of(opts), out);
    return RETOLD_OK;
  });
}

int retold_dedup_query_vector(const retold_dedup* dedup, const float* vector, uint32_t dim,
                              const retold_query_options* opts, retold_match_list* out) {
  if (out) *out = retold_match_list{};
  return guard("retold_dedup_query_vector", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    if (vector == nullptr && dim != 0) fail(RETOLD_EINVALID, "vector is NULL but dim is " + std::to_string(dim));
    fill_match_list(d.query_vector(std::span<const float>(vector, dim), to_cpp(opts)), min_score_of(opts), out);
    return RETOLD_OK;
  });
}

void retold_match_list_dispose(retold_match_list* list) {
  if (list == nullptr) return;
  delete static_cast<match_list_storage*>(list->internal_);
  *list = retold_match_list{};
}

int retold_dedup_remove(retold_dedup* dedup, const char* id) {
  return guard("retold_dedup_remove", [&] {
    auto& d = dedup_of(dedup);
    const std::string_view i = cstring(id, "id");
    if (!d.remove(i)) fail(RETOLD_ENOTFOUND, "no document with id '" + std::string(i) + "'");
    return RETOLD_OK;
  });
}

int retold_dedup_evict_before(retold_dedup* dedup, int64_t cutoff, uint64_t* out_removed) {
  if (out_removed) *out_removed = 0;
  return guard("retold_dedup_evict_before", [&] {
    auto& d = dedup_of(dedup);
    const std::size_t n = d.evict_before(cutoff);
    if (out_removed) *out_removed = n;
    return RETOLD_OK;
  });
}

int retold_dedup_contains(const retold_dedup* dedup, const char* id, int32_t* out) {
  return guard("retold_dedup_contains", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    *out = d.contains(cstring(id, "id")) ? 1 : 0;
    return RETOLD_OK;
  });
}

int retold_dedup_cluster_of(const retold_dedup* dedup, const char* id, uint64_t* out_cluster_id) {
  return guard("retold_dedup_cluster_of", [&] {
    const auto& d = dedup_of(dedup);
    require(out_cluster_id, "out_cluster_id");
    *out_cluster_id = d.cluster_of(cstring(id, "id"));
    return RETOLD_OK;
  });
}

int retold_dedup_representative_of(const retold_dedup* dedup, const char* id, char* buf, uint64_t capacity,
                                   uint64_t* out_len) {
  return guard("retold_dedup_representative_of", [&] {
    const auto& d = dedup_of(dedup);
    require(out_len, "out_len");
    if (buf == nullptr && capacity != 0) fail(RETOLD_EINVALID, "buf is NULL but capacity is " + std::to_string(capacity));
    const std::string rep = d.cluster(d.cluster_of(cstring(id, "id"))).representative;
    *out_len = rep.size();
    if (capacity <= rep.size())
      fail(RETOLD_EBUFSIZE, "the representative id needs " + std::to_string(rep.size() + 1) +
                                " bytes with its NUL, the buffer has " + std::to_string(capacity));
    std::memcpy(buf, rep.c_str(), rep.size() + 1);
    return RETOLD_OK;
  });
}

int retold_dedup_cluster(const retold_dedup* dedup, uint64_t cluster_id, retold_cluster_list* out) {
  if (out) *out = retold_cluster_list{};
  return guard("retold_dedup_cluster", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    std::vector<retold::cluster_info> one;
    one.push_back(d.cluster(cluster_id));
    fill_cluster_list(std::move(one), out);
    return RETOLD_OK;
  });
}

int retold_dedup_clusters(const retold_dedup* dedup, uint64_t min_members, retold_cluster_list* out) {
  if (out) *out = retold_cluster_list{};
  return guard("retold_dedup_clusters", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    fill_cluster_list(d.clusters(static_cast<std::size_t>(min_members)), out);
    return RETOLD_OK;
  });
}

void retold_cluster_list_dispose(retold_cluster_list* list) {
  if (list == nullptr) return;
  delete static_cast<cluster_list_storage*>(list->internal_);
  *list = retold_cluster_list{};
}

int retold_dedup_explain(const retold_dedup* dedup, const char* id_a, const char* id_b, retold_explanation* out) {
  if (out) *out = retold_explanation{};
  return guard("retold_dedup_explain", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    auto st = std::make_unique<explanation_storage>();
    st->e = d.explain(cstring(id_a, "id_a"), cstring(id_b, "id_b"));
    for (const auto& t : st->e.shared_terms) st->terms.push_back(t.c_str());
    out->scores = to_c(st->e.scores);
    out->shared_terms = st->terms.empty() ? nullptr : st->terms.data();
    out->shared_term_count = st->terms.size();
    out->shared_passage = st->e.shared_passage.c_str();
    out->internal_ = st.release();
    return RETOLD_OK;
  });
}

int retold_explanation_features(const retold_explanation* e, retold_feature* out, uint64_t capacity, uint64_t* count,
                                double* probability) {
  return guard("retold_explanation_features", [&] {
    require(e, "e");
    const auto* st = static_cast<const explanation_storage*>(e->internal_);
    if (st == nullptr) fail(RETOLD_EINVALID, "e holds no explanation (not filled by retold_dedup_explain, or disposed)");
    if (capacity > 0) require(out, "out");
    const auto& f = st->e.features;
    if (count) *count = f.size();
    if (probability) *probability = st->e.probability;
    const std::size_t n = std::min<std::size_t>(f.size(), static_cast<std::size_t>(std::min<uint64_t>(capacity, SIZE_MAX)));
    for (std::size_t i = 0; i < n; ++i)
      out[i] = retold_feature{retold::match_feature_name(f[i].feature), f[i].value, f[i].contribution};
    if (capacity < f.size())
      fail(RETOLD_EBUFSIZE, "retold_explanation_features: capacity " + std::to_string(capacity) + " < " +
                                std::to_string(f.size()) + " features");
    return RETOLD_OK;
  });
}

void retold_explanation_dispose(retold_explanation* e) {
  if (e == nullptr) return;
  delete static_cast<explanation_storage*>(e->internal_);
  *e = retold_explanation{};
}

int retold_dedup_stats(const retold_dedup* dedup, retold_stats* out) {
  return guard("retold_dedup_stats", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    const retold::deduplicator_stats s = d.stats();
    out->documents = s.documents;
    out->clusters = s.clusters;
    out->multi_member_clusters = s.multi_member_clusters;
    out->documents_added_total = s.documents_added_total;
    out->documents_removed_total = s.documents_removed_total;
    out->memory_bytes = s.memory_bytes;
    return RETOLD_OK;
  });
}

int retold_dedup_get_options(const retold_dedup* dedup, retold_dedup_options* out) {
  return guard("retold_dedup_get_options", [&] {
    dedup_of(dedup);
    require(out, "out");
    if (out->version != RETOLD_DEDUP_OPTIONS_VERSION)
      fail(RETOLD_EINVALID, "out->version is " + std::to_string(out->version) +
                                " (initialize it with retold_dedup_options_init)");
    *out = to_c_options(*dedup);
    return RETOLD_OK;
  });
}

int retold_dedup_save(const retold_dedup* dedup, const char* dir) {
  return guard("retold_dedup_save", [&] {
    const auto& d = dedup_of(dedup);
    const std::string_view p = cstring(dir, "dir");
    if (p.empty()) fail(RETOLD_EINVALID, "dir is empty");
    d.save(std::filesystem::path(std::u8string(p.begin(), p.end())));
    return RETOLD_OK;
  });
}

int retold_dedup_save_replace(const retold_dedup* dedup, const char* dir) {
  return guard("retold_dedup_save_replace", [&] {
    const auto& d = dedup_of(dedup);
    const std::string_view p = cstring(dir, "dir");
    if (p.empty()) fail(RETOLD_EINVALID, "dir is empty");
    d.save(std::filesystem::path(std::u8string(p.begin(), p.end())), retold::save_mode::replace);
    return RETOLD_OK;
  });
}

int retold_dedup_load(retold_dedup** out, const char* dir, const retold_dedup_options* overrides) {
  if (out) *out = nullptr;
  return guard("retold_dedup_load", [&] {
    require(out, "out");
    const std::string_view p = cstring(dir, "dir");
    if (p.empty()) fail(RETOLD_EINVALID, "dir is empty");
    std::optional<retold::deduplicator_options> o;
    if (overrides) o = retold::capi::to_cpp(overrides);
    *out = new retold_dedup(retold::deduplicator::load(std::filesystem::path(std::u8string(p.begin(), p.end())), o));
    return RETOLD_OK;
  });
}

int retold_dedup_compute_embedding(const retold_dedup* dedup, const char* text, uint64_t text_len, float* buf,
                                   uint64_t capacity, uint64_t* out_dim) {
  return guard("retold_dedup_compute_embedding", [&] {
    const auto& d = dedup_of(dedup);
    require(out_dim, "out_dim");
    if (buf == nullptr && capacity != 0) fail(RETOLD_EINVALID, "buf is NULL but capacity is " + std::to_string(capacity));
    const std::vector<float> v = d.compute_embedding(text_view(text, text_len, "text"));
    *out_dim = v.size();
    if (capacity < v.size())
      fail(RETOLD_EBUFSIZE, "the embedding has " + std::to_string(v.size()) + " floats, the buffer " +
                                std::to_string(capacity));
    std::copy(v.begin(), v.end(), buf);
    return RETOLD_OK;
  });
}

int retold_dedup_compute_signature(const retold_dedup* dedup, const char* text, uint64_t text_len,
                                   retold_signature** out) {
  if (out) *out = nullptr;
  return guard("retold_dedup_compute_signature", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    *out = new retold_signature{retold_signature::live_magic, d.compute_signature(text_view(text, text_len, "text"))};
    return RETOLD_OK;
  });
}

}  // extern "C"
