// C ABI: results the library writes for the caller - match and story lists, explanations (laid
// out with the caller's element sizes), add results and the per-thread strings they point to.
#include "capi_results.hpp"

#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace retold::capi {

namespace {

// What a list's internal_ pointer owns. Items point into the C++ results kept here.
struct match_list_storage {
  std::vector<retold::match> matches;
  strided_buffer items;
};

struct cluster_list_storage {
  std::vector<retold::cluster_info> infos;
  strided_buffer items;
  std::vector<strided_buffer> members;
};

struct explanation_storage {
  retold::explanation e;
  std::vector<const char*> terms;
  strided_buffer features;
};

// Element sizes are checked before anything is computed, so a bad list costs nothing.
template <class Item>
std::size_t element_size(std::uint32_t size, const char* what) {
  check_size_of<Item>(what, size, nullptr);
  return size;
}

// Per-thread strings of retold_add_result (leader ids, batch messages): see retold.h. A deque,
// so appending never moves the strings already handed out.
std::deque<std::string>& result_strings() noexcept {
  thread_local std::deque<std::string> strings;
  return strings;
}

}  // namespace

void prepare_output(retold_match_list* out) {
  require(out, "out");
  check_size_of<retold_match_list>("out", out->struct_size, nullptr);
  if (out->internal_ != nullptr)
    fail(RETOLD_EINVALID, "out still holds results: retold_match_list_dispose() it before filling it again");
  // A newer caller's larger list: the bytes past the fields this library knows are zeroed, as for
  // every struct the library fills (docs/c_api.md).
  if (out->struct_size > sizeof(*out))
    std::memset(reinterpret_cast<unsigned char*>(out) + sizeof(*out), 0, out->struct_size - sizeof(*out));
  element_size<retold_match>(out->item_size, "out->item_size");
  out->items = nullptr;
  out->count = 0;
}

void prepare_output(retold_cluster_list* out) {
  require(out, "out");
  check_size_of<retold_cluster_list>("out", out->struct_size, nullptr);
  if (out->internal_ != nullptr)
    fail(RETOLD_EINVALID, "out still holds results: retold_cluster_list_dispose() it before filling it again");
  // A newer caller's larger list: the bytes past the fields this library knows are zeroed, as for
  // every struct the library fills (docs/c_api.md).
  if (out->struct_size > sizeof(*out))
    std::memset(reinterpret_cast<unsigned char*>(out) + sizeof(*out), 0, out->struct_size - sizeof(*out));
  element_size<retold_cluster>(out->item_size, "out->item_size");
  element_size<retold_cluster_member>(out->member_size, "out->member_size");
  out->items = nullptr;
  out->count = 0;
}

void prepare_output(retold_explanation* out) {
  require(out, "out");
  check_size_of<retold_explanation>("out", out->struct_size, nullptr);
  if (out->internal_ != nullptr)
    fail(RETOLD_EINVALID, "out still holds results: retold_explanation_dispose() it before filling it again");
  element_size<retold_feature>(out->feature_size, "out->feature_size");
}

// Matches come best first, so dropping those under the floor after top-k leaves exactly the
// top-k of the matches above it.
void fill_match_list(std::vector<retold::match> matches, double min_score, retold_match_list* out) {
  auto st = std::make_unique<match_list_storage>();
  st->matches = std::move(matches);
  if (min_score > 0.0)
    std::erase_if(st->matches, [&](const retold::match& m) { return m.scores.score < min_score; });
  const std::size_t stride = out->item_size;
  st->items = strided_buffer(st->matches.size(), stride);
  for (std::size_t i = 0; i < st->matches.size(); ++i) {
    const auto& m = st->matches[i];
    retold_match c{};
    c.id = m.id.c_str();
    c.cluster_id = m.cluster_id;
    c.scores = to_c(m.scores);
    write_prefix(st->items.at(i), stride, c);
  }
  out->items = static_cast<retold_match*>(st->items.data());
  out->count = st->matches.size();
  out->internal_ = st.release();
}

void fill_cluster_list(std::vector<retold::cluster_info> infos, retold_cluster_list* out) {
  auto st = std::make_unique<cluster_list_storage>();
  st->infos = std::move(infos);
  const std::size_t stride = out->item_size, member_stride = out->member_size;
  st->items = strided_buffer(st->infos.size(), stride);
  st->members.reserve(st->infos.size());
  for (std::size_t i = 0; i < st->infos.size(); ++i) {
    const auto& info = st->infos[i];
    strided_buffer& mem = st->members.emplace_back(info.members.size(), member_stride);
    for (std::size_t k = 0; k < info.members.size(); ++k) {
      const auto& m = info.members[k];
      retold_cluster_member c{};
      c.id = m.id.c_str();
      c.source = m.source.c_str();
      c.timestamp = m.timestamp;
      c.scores = to_c(m.scores);
      c.title = m.title.c_str();
      c.snippet = m.snippet.c_str();
      write_prefix(mem.at(k), member_stride, c);
    }
    retold_cluster c{};
    c.id = info.id;
    c.representative = info.representative.c_str();
    c.leader = info.leader.c_str();
    c.members = static_cast<const retold_cluster_member*>(mem.data());
    c.member_count = info.members.size();
    write_prefix(st->items.at(i), stride, c);
  }
  out->items = static_cast<retold_cluster*>(st->items.data());
  out->count = st->infos.size();
  out->internal_ = st.release();
}

void fill_explanation(retold::explanation e, retold_explanation* out) {
  auto st = std::make_unique<explanation_storage>();
  st->e = std::move(e);
  for (const auto& t : st->e.shared_terms) st->terms.push_back(t.c_str());
  const std::size_t stride = out->feature_size;
  const auto& f = st->e.features;
  st->features = strided_buffer(f.size(), stride);
  for (std::size_t i = 0; i < f.size(); ++i) {
    retold_feature c{};
    c.name = retold::match_feature_name(f[i].feature);
    c.value = f[i].value;
    c.contribution = f[i].contribution;
    write_prefix(st->features.at(i), stride, c);
  }
  retold_explanation c{};
  c.feature_size = out->feature_size;
  c.scores = to_c(st->e.scores);
  c.probability = st->e.probability;
  c.features = static_cast<const retold_feature*>(st->features.data());
  c.feature_count = f.size();
  c.shared_terms = st->terms.empty() ? nullptr : st->terms.data();
  c.shared_term_count = st->terms.size();
  c.shared_passage = st->e.shared_passage.c_str();
  c.internal_ = st.get();
  write_prefix(out, out->struct_size, c);
  st.release();  // owned by out->internal_ now
}

void begin_result_strings() noexcept { result_strings().clear(); }

const char* keep_result_string(std::string s) {
  auto& strings = result_strings();
  strings.push_back(std::move(s));
  return strings.back().c_str();
}

retold_add_result to_c(const retold::add_result& r, bool keep_strings) {
  retold_add_result c{};
  c.status = r.status == retold::errc::ok ? RETOLD_OK : -static_cast<int>(r.status);
  c.new_story = r.new_story ? 1 : 0;
  c.cluster_id = r.cluster_id;
  c.candidates = r.candidates;
  if (r.leader) {
    c.has_leader = 1;
    c.leader_scores = to_c(r.leader->scores);
    if (keep_strings) c.leader_id = keep_result_string(r.leader->id);
  }
  return c;
}

}  // namespace retold::capi

extern "C" {

void retold_match_list_dispose(retold_match_list* list) {
  if (list == nullptr) return;
  delete static_cast<retold::capi::match_list_storage*>(list->internal_);
  list->items = nullptr;
  list->count = 0;
  list->internal_ = nullptr;
}

void retold_cluster_list_dispose(retold_cluster_list* list) {
  if (list == nullptr) return;
  delete static_cast<retold::capi::cluster_list_storage*>(list->internal_);
  list->items = nullptr;
  list->count = 0;
  list->internal_ = nullptr;
}

void retold_explanation_dispose(retold_explanation* e) {
  if (e == nullptr) return;
  delete static_cast<retold::capi::explanation_storage*>(e->internal_);
  // The 1.0 fields only: struct_size and feature_size stay for the next explain.
  e->scores = retold_scores{};
  e->probability = 0.0;
  e->features = nullptr;
  e->feature_count = 0;
  e->shared_terms = nullptr;
  e->shared_term_count = 0;
  e->shared_passage = nullptr;
  e->internal_ = nullptr;
}

}  // extern "C"
