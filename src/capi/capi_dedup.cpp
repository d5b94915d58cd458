// C ABI: the deduplicator handle, documents, queries, stories, persistence.
#include "capi_internal.hpp"
#include "capi_results.hpp"

#include <retold/text.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

using retold::capi::cstring;
using retold::capi::dedup_of;
using retold::capi::fail;
using retold::capi::guard;
using retold::capi::require;
using retold::capi::text_view;

retold::capi::dedup_handle::dedup_handle(retold::deduplicator d) : dedup(std::move(d)) {
  for (const auto& s : dedup.options().representative.source_priority) source_priority.push_back(s.c_str());
}

namespace {

const retold_query_options query_defaults = RETOLD_QUERY_OPTIONS_INIT;

retold::query_options to_cpp(const retold_query_options& o) {
  retold::query_options q;
  if (!(o.min_score >= 0.0 && o.min_score <= 1.0)) fail(RETOLD_EINVALID, "query options min_score must be in [0, 1]");
  if (o.include_rejected > 1) fail(RETOLD_EINVALID, "query options include_rejected must be 0 or 1");
  if (o.has_timestamp > 1) fail(RETOLD_EINVALID, "query options has_timestamp must be 0 or 1");
  q.top_k = o.top_k;
  q.accepted_only = o.include_rejected == 0;
  if (o.has_timestamp) q.timestamp = o.timestamp;
  return q;
}

retold_query_options read_query_options(const retold_query_options* o) {
  return o ? retold::capi::read_struct(o, "opts", query_defaults) : query_defaults;
}

std::filesystem::path to_path(const char* dir) {
  const std::string_view p = cstring(dir, "dir");
  if (p.empty()) fail(RETOLD_EINVALID, "dir is empty");
  return std::filesystem::path(std::u8string(p.begin(), p.end()));
}

// The stride of a caller array: its element 0's struct_size, checked.
template <class T>
std::size_t stride_of(const T* first, const char* what, bool read) {
  const std::uint32_t size = first->struct_size;
  retold::capi::check_size_of<T>(what, size, read ? reinterpret_cast<const unsigned char*>(first) : nullptr);
  return size;
}

template <class T>
T* element(T* base, std::size_t stride, std::size_t i) {
  using byte = std::conditional_t<std::is_const_v<T>, const unsigned char, unsigned char>;
  return reinterpret_cast<T*>(reinterpret_cast<byte*>(base) + i * stride);
}

}  // namespace

extern "C" {

int retold_dedup_new(retold_dedup** out, const retold_dedup_options* opts) {
  if (out) *out = nullptr;
  return guard("retold_dedup_new", [&] {
    require(out, "out");
    *out = retold::capi::to_handle(new retold::capi::dedup_handle(retold::deduplicator(retold::capi::to_cpp(opts))));
    return RETOLD_OK;
  });
}

void retold_dedup_free(retold_dedup* handle) {
  retold::capi::dedup_handle* dedup = retold::capi::body_of(handle);
  if (dedup == nullptr) return;
  // The magic check turns a double free or a wrong-type handle into a no-op where it can.
  if (dedup->magic != retold::capi::dedup_handle::live_magic) return;
  dedup->magic = 0;
  delete dedup;  // ~deduplicator does not throw
}

int retold_dedup_add(retold_dedup* dedup, const retold_document* doc, retold_add_result* result) {
  return guard("retold_dedup_add", [&] {
    auto& d = dedup_of(dedup);
    if (result) retold::capi::check_size_of<retold_add_result>("result", result->struct_size, nullptr);
    const retold::document cdoc = retold::capi::to_document(doc, "doc");
    const retold::add_result r = d.add(cdoc);
    if (result) {
      retold::capi::begin_result_strings();
      retold::capi::write_prefix(result, result->struct_size, retold::capi::to_c(r, true));
    }
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
    // No array is that long: refuse before reading any element (even docs[0], for the stride) and
    // before reserving (which would throw length_error). Every stride is at least the 1.0 size.
    auto refuse_count = [&](std::size_t stride) {
      if (count > PTRDIFF_MAX / stride || count > std::vector<retold::document>().max_size())
        fail(RETOLD_EINVALID, "count " + std::to_string(count) + " is larger than any array of documents");
    };
    refuse_count(retold::capi::abi_struct<retold_document>::min_size);
    const std::size_t doc_stride = stride_of(docs, "docs[0]", true);
    refuse_count(doc_stride);
    const std::size_t result_stride = results ? stride_of(results, "results[0]", false) : 0;
    for (std::uint64_t i = 1; i < count; ++i) {
      const std::uint32_t size = element(docs, doc_stride, static_cast<std::size_t>(i))->struct_size;
      if (size != doc_stride)
        fail(RETOLD_EINVALID, "docs[" + std::to_string(i) + "].struct_size is " + std::to_string(size) +
                                  " but docs[0].struct_size (the array's stride) is " + std::to_string(doc_stride));
    }
    // Documents the shim itself rejects (NULL id, ...) are skipped like the ones the library
    // rejects; the others go to the library in their order.
    std::vector<retold::document> batch;
    std::vector<std::size_t> where;  // batch index -> caller index
    batch.reserve(static_cast<std::size_t>(count));
    where.reserve(static_cast<std::size_t>(count));
    struct skipped {
      std::size_t index;
      int code;
      std::string message;
    };
    std::vector<skipped> rejected;  // by the shim, in caller order
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::string what = "docs[" + std::to_string(i) + "]";
      try {
        batch.push_back(retold::capi::to_document(element(docs, doc_stride, static_cast<std::size_t>(i)), what));
        where.push_back(static_cast<std::size_t>(i));
      } catch (const retold::capi::c_error& e) {
        rejected.push_back({static_cast<std::size_t>(i), e.code, what + ": " + e.message});
      }
    }
    const std::vector<retold::add_result> r = d.add_batch(batch);
    // The earliest skipped document's message becomes this thread's last error.
    std::optional<skipped> first;
    auto note = [&](std::size_t i, int code, const std::string& msg) {
      if (!first || i < first->index) first = skipped{i, code, msg};
    };
    for (const auto& s : rejected) note(s.index, s.code, s.message);
    std::uint64_t added = 0;
    if (results) retold::capi::begin_result_strings();
    for (std::size_t k = 0; k < r.size(); ++k) {
      const std::string message =
          r[k].status == retold::errc::ok ? std::string() : "docs[" + std::to_string(where[k]) + "]: " + r[k].error;
      if (r[k].status == retold::errc::ok)
        ++added;
      else
        note(where[k], -static_cast<int>(r[k].status), message);
      if (results) {
        retold_add_result c = retold::capi::to_c(r[k], true);
        if (!message.empty()) c.error = retold::capi::keep_result_string(message);
        retold::capi::write_prefix(element(results, result_stride, where[k]), result_stride, c);
      }
    }
    if (results)
      for (const auto& s : rejected) {
        retold_add_result c{};
        c.status = s.code;
        c.error = retold::capi::keep_result_string(s.message);
        retold::capi::write_prefix(element(results, result_stride, s.index), result_stride, c);
      }
    if (out_added) *out_added = added;
    if (first) retold::capi::set_error(first->code, "retold_dedup_add_batch", first->message);
    return RETOLD_OK;
  });
}

int retold_dedup_query(const retold_dedup* dedup, const char* text, uint64_t text_len,
                       const retold_query_options* opts, retold_match_list* out) {
  return guard("retold_dedup_query", [&] {
    const auto& d = dedup_of(dedup);
    retold::capi::prepare_output(out);
    const std::string_view t = text_view(text, text_len, "text");
    const retold_query_options o = read_query_options(opts);
    retold::capi::fill_match_list(d.query(t, to_cpp(o)), o.min_score, out);
    return RETOLD_OK;
  });
}

int retold_dedup_query_vector(const retold_dedup* dedup, const float* vector, uint32_t dim,
                              const retold_query_options* opts, retold_match_list* out) {
  return guard("retold_dedup_query_vector", [&] {
    const auto& d = dedup_of(dedup);
    retold::capi::prepare_output(out);
    if (vector == nullptr && dim != 0) fail(RETOLD_EINVALID, "vector is NULL but dim is " + std::to_string(dim));
    const retold_query_options o = read_query_options(opts);
    retold::capi::fill_match_list(d.query_vector(std::span<const float>(vector, dim), to_cpp(o)), o.min_score, out);
    return RETOLD_OK;
  });
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
    // One library call: the story and its representative come from one snapshot.
    const std::string rep = d.representative_of(cstring(id, "id"));
    *out_len = rep.size();
    if (capacity <= rep.size())
      fail(RETOLD_EBUFSIZE, "the representative id needs " + std::to_string(rep.size() + 1) +
                                " bytes with its NUL, the buffer has " + std::to_string(capacity));
    std::memcpy(buf, rep.c_str(), rep.size() + 1);
    return RETOLD_OK;
  });
}

int retold_dedup_cluster(const retold_dedup* dedup, uint64_t cluster_id, retold_cluster_list* out) {
  return guard("retold_dedup_cluster", [&] {
    const auto& d = dedup_of(dedup);
    retold::capi::prepare_output(out);
    std::vector<retold::cluster_info> one;
    one.push_back(d.cluster(cluster_id));
    retold::capi::fill_cluster_list(std::move(one), out);
    return RETOLD_OK;
  });
}

int retold_dedup_clusters(const retold_dedup* dedup, uint64_t min_members, retold_cluster_list* out) {
  return guard("retold_dedup_clusters", [&] {
    const auto& d = dedup_of(dedup);
    retold::capi::prepare_output(out);
    retold::capi::fill_cluster_list(d.clusters(static_cast<std::size_t>(min_members)), out);
    return RETOLD_OK;
  });
}

int retold_dedup_explain(const retold_dedup* dedup, const char* id_a, const char* id_b, retold_explanation* out) {
  return guard("retold_dedup_explain", [&] {
    const auto& d = dedup_of(dedup);
    retold::capi::prepare_output(out);
    retold::capi::fill_explanation(d.explain(cstring(id_a, "id_a"), cstring(id_b, "id_b")), out);
    return RETOLD_OK;
  });
}

int retold_dedup_stats(const retold_dedup* dedup, retold_stats* out) {
  return guard("retold_dedup_stats", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    retold::capi::check_size_of<retold_stats>("out", out->struct_size, nullptr);
    const retold::deduplicator_stats s = d.stats();
    retold_stats c{};
    c.documents = s.documents;
    c.clusters = s.clusters;
    c.multi_member_clusters = s.multi_member_clusters;
    c.documents_added_total = s.documents_added_total;
    c.documents_removed_total = s.documents_removed_total;
    c.memory_bytes = s.memory_bytes;
    c.frequency_documents = s.frequency_documents;
    c.add_features_seconds = s.add_seconds.features;
    c.add_embed_seconds = s.add_seconds.embed;
    c.add_candidates_seconds = s.add_seconds.candidates;
    c.add_verify_cluster_seconds = s.add_seconds.verify_cluster;
    c.add_index_add_seconds = s.add_seconds.index_add;
    retold::capi::write_prefix(out, out->struct_size, c);
    return RETOLD_OK;
  });
}

int retold_dedup_get_options(const retold_dedup* dedup, retold_dedup_options* out) {
  return guard("retold_dedup_get_options", [&] {
    const auto& d = dedup_of(dedup);
    require(out, "out");
    retold::capi::write_struct(out, "out", retold::capi::to_c(d.options(), retold::capi::body_of(dedup)->source_priority));
    return RETOLD_OK;
  });
}

int retold_dedup_save(const retold_dedup* dedup, const char* dir) {
  return guard("retold_dedup_save", [&] {
    const auto& d = dedup_of(dedup);
    d.save(to_path(dir));
    return RETOLD_OK;
  });
}

int retold_dedup_save_replace(const retold_dedup* dedup, const char* dir) {
  return guard("retold_dedup_save_replace", [&] {
    const auto& d = dedup_of(dedup);
    d.save(to_path(dir), retold::save_mode::replace);
    return RETOLD_OK;
  });
}

int retold_dedup_load(retold_dedup** out, const char* dir, const retold_dedup_options* overrides,
                      uint64_t override_fields) {
  if (out) *out = nullptr;
  return guard("retold_dedup_load", [&] {
    require(out, "out");
    const std::filesystem::path path = to_path(dir);
    // The arguments are checked before the state is read, so a bad call costs nothing.
    {
      retold::deduplicator_options probe;
      retold::capi::apply_overrides(probe, overrides, override_fields);
    }
    retold::deduplicator loaded =
        override_fields == 0
            ? retold::deduplicator::load(path)
            : retold::deduplicator::load(path, [&](retold::deduplicator_options& saved) {
                retold::capi::apply_overrides(saved, overrides, override_fields);
              });
    *out = retold::capi::to_handle(new retold::capi::dedup_handle(std::move(loaded)));
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
    *out = retold::capi::to_handle(new retold::capi::signature_handle{
        retold::capi::signature_handle::live_magic, d.compute_signature(text_view(text, text_len, "text"))});
    return RETOLD_OK;
  });
}

}  // extern "C"
