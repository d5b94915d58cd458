// tests/fuzz/fuzz_capi.cpp - sequences of C ABI calls (retold.h) decoded from the input.
//
// Each op byte picks a call; the following bytes pick its arguments, hostile ones included: NULL
// handles and out-pointers, a handle of the other type, options and documents with a wrong
// version, unknown flags and enum values, out-of-range numbers, invalid UTF-8, NULL with a length,
// buffers too small, batch counts no array can have. Never: a freed handle (use after free is
// not something an ABI can check), or a buffer shorter than the size we claim for it.
// Checks: every status is a pinned code and never RETOLD_EINTERNAL, failed calls leave *out NULL
// and a message, arguments the header says are refused are refused.
#include "fuzz_util.hpp"

#include <retold/retold.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

namespace {

using retold_fuzz::bytes;

bool pinned(int s) {
  return s == RETOLD_OK || (s <= RETOLD_EINVALID && s >= RETOLD_EPARSE) || s == RETOLD_ECONFLICT || s == RETOLD_EBUFSIZE;
}

int check(int s) {
  if (!pinned(s) || s == RETOLD_EINTERNAL) {
    std::fprintf(stderr, "C ABI returned %d (%s): %s\n", s, retold_error_name(s), retold_last_error());
    FUZZ_CHECK(!"unexpected status");
  }
  FUZZ_CHECK(retold_last_error() != nullptr);
  if (s != RETOLD_OK) FUZZ_CHECK(retold_last_error_code() == s);
  return s;
}

double pick_double(bytes& in) {
  static const double table[] = {RETOLD_DEFAULT_VALUE, 0.0, 0.2, 0.5, 0.9, 1.0, 1.5, -0.5,
                                 std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(), 1e-300};
  return table[in.u8() % (sizeof table / sizeof table[0])];
}

std::uint32_t pick_u32(bytes& in, std::initializer_list<std::uint32_t> table) {
  const std::uint8_t b = in.u8();
  if (b == 0xFF) return in.u32();
  return table.begin()[b % table.size()];
}
std::uint64_t pick_u64(bytes& in, std::initializer_list<std::uint64_t> table) {
  const std::uint8_t b = in.u8();
  if (b == 0xFF) return in.u64();
  return table.begin()[b % table.size()];
}

// Strings that outlive the calls that borrow them during one input.
struct arena {
  std::vector<std::string> strings;
  const char* keep(std::string s) {
    strings.push_back(std::move(s));
    return strings.back().c_str();
  }
};

struct state {
  retold_dedup* dedups[2] = {nullptr, nullptr};
  retold_signature* sigs[2] = {nullptr, nullptr};
  std::vector<std::string> ids;  // ids that may be stored
  std::string state_dir;
  ~state() {
    for (auto* d : dedups) retold_dedup_free(d);
    for (auto* s : sigs) retold_signature_free(s);
  }
};

// The source priority lists options may point at; count never exceeds the array.
const char* const kSources3[] = {"Reuters", "AP", "\xff\xfe bad utf8"};
const char* const kSourcesNull[] = {"Reuters", nullptr};

retold_dedup_options make_options(bytes& in) {
  retold_dedup_options o = RETOLD_DEDUP_OPTIONS_INIT;
  const std::uint8_t which = in.u8();
  if ((which & 7) == 0) return o;  // the defaults
  if ((which & 7) == 1) o.version = in.u8();
  o.flags = in.u8() & ((which & 8) ? 0xFF : 0x1F);
  o.shingle_kind = in.u8() % 3;
  o.shingle_size = in.u8() % 9;
  // Not 65536: valid, but densifying a short text at that size takes seconds (fuzz_text.cpp).
  o.num_hashes = pick_u32(in, {0, 1, 8, 16, 64, 128, 4096, 65537});
  o.minhash_scheme = in.u8() % 4;
  o.minhash_seed = in.u8();
  o.lsh_bands = in.u8() % 40;
  o.lsh_rows = in.u8() % 40;
  o.lsh_threshold = pick_double(in);
  o.embedding_mode = in.u8() % 4;
  o.embedding_dimension = pick_u32(in, {0, 1, 4, 16, 64, 65537});
  o.vector_candidates = pick_u64(in, {0, 1, 4, 64, UINT64_MAX});
  o.vector_index_ivf_min_size = pick_u64(in, {0, 2, 8, 64});
  o.vector_index_kind = in.u8() % 4;
  o.vector_index_nlist = pick_u32(in, {0, 1, 2, 4, UINT32_MAX});
  o.vector_index_nprobe = pick_u32(in, {0, 1, 4, UINT32_MAX});
  o.jaccard_threshold = pick_double(in);
  o.cosine_threshold = pick_double(in);
  o.combined_weight_jaccard = pick_double(in);
  o.combined_threshold = pick_double(in);
  o.copy_jaccard = pick_double(in);
  o.time_window_seconds = static_cast<std::int64_t>(pick_u64(in, {0, 60, 86400, static_cast<std::uint64_t>(-1),
                                                                  static_cast<std::uint64_t>(INT64_MAX),
                                                                  static_cast<std::uint64_t>(INT64_MIN)}));
  o.max_document_bytes = pick_u64(in, {0, 16, 4096, UINT64_MAX});
  o.threads = pick_u32(in, {0, 1, 2, 3, 1000, UINT32_MAX});
  switch (in.u8() % 5) {
    case 0: break;
    case 1: o.source_priority = kSources3, o.source_priority_count = 2; break;
    case 2: o.source_priority = kSources3, o.source_priority_count = 3; break;
    case 3: o.source_priority = kSourcesNull, o.source_priority_count = 2; break;
    case 4: o.source_priority = nullptr, o.source_priority_count = in.u32() | 1; break;
  }
  return o;
}

const char* make_id(bytes& in, arena& a, state& st) {
  const std::uint8_t b = in.u8();
  switch (b % 8) {
    case 0: return nullptr;
    case 1: return "";
    case 2: return a.keep(std::string(1025, 'x'));
    case 3: if (!st.ids.empty()) return a.keep(st.ids[in.u8() % st.ids.size()]); [[fallthrough]];
    default: {
      std::string s(in.str(24));
      s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
      return a.keep(std::move(s));
    }
  }
}

// A (pointer, length) text: usually bytes of the input, sometimes NULL with or without a length.
std::pair<const char*, std::uint64_t> make_text(bytes& in, arena& a) {
  const std::uint8_t b = in.u8();
  if (b % 16 == 0) return {nullptr, 0};
  if (b % 16 == 1) return {nullptr, 1 + in.u8()};
  const char* p = a.keep(std::string(in.str(b % 16 == 2 ? 255 : 160)));
  return {p, a.strings.back().size()};
}

retold_dedup* pick_dedup(bytes& in, state& st) {
  const std::uint8_t b = in.u8();
  if (b % 8 == 7) return nullptr;
  if (b % 8 == 6 && st.sigs[0]) return reinterpret_cast<retold_dedup*>(st.sigs[0]);  // wrong type
  return st.dedups[b & 1];
}

retold_signature* pick_sig(bytes& in, state& st) {
  const std::uint8_t b = in.u8();
  if (b % 8 == 7) return nullptr;
  if (b % 8 == 6 && st.dedups[0]) return reinterpret_cast<retold_signature*>(st.dedups[0]);  // wrong type
  return st.sigs[b & 1];
}

bool is_handle_misuse(const void* h, state& st, bool want_dedup) {
  if (h == nullptr) return true;
  for (auto* d : st.dedups)
    if (d && d == h) return !want_dedup;
  for (auto* s : st.sigs)
    if (s && s == h) return want_dedup;
  return true;
}

retold_document make_doc(bytes& in, arena& a, state& st, std::vector<std::vector<float>>& vectors) {
  retold_document d = RETOLD_DOCUMENT_INIT;
  const std::uint8_t b = in.u8();
  if (b % 16 == 0) d.version = in.u8();
  d.id = make_id(in, a, st);
  std::tie(d.text, d.text_len) = make_text(in, a);
  if (b & 16) std::tie(d.title, d.title_len) = make_text(in, a);
  if (b & 32) d.source = a.keep(std::string(in.str(12)).c_str());
  d.timestamp = (b & 64) ? static_cast<std::int64_t>(in.u64()) : 1709600000 + in.u16() * 60;
  if (b & 128) {
    const std::uint8_t v = in.u8();
    if (v % 8 == 0) {
      d.vector_dim = 1 + in.u8();  // NULL with a dimension
    } else {
      vectors.emplace_back(v % 70, 0.0f);
      for (auto& x : vectors.back()) x = static_cast<float>(static_cast<std::int8_t>(in.u8())) / 16.0f;
      if (v % 8 == 1 && !vectors.back().empty()) vectors.back()[0] = std::numeric_limits<float>::quiet_NaN();
      d.vector = vectors.back().data();
      d.vector_dim = static_cast<std::uint32_t>(vectors.back().size());
    }
  }
  return d;
}

void check_add_result(const retold_add_result& r) {
  if (r.status != RETOLD_OK) return;
  FUZZ_CHECK(r.cluster_id != 0);
  FUZZ_CHECK(r.new_story == 0 || r.new_story == 1);
  FUZZ_CHECK(!(r.new_story && r.has_leader));
}

void one_op(bytes& in, state& st, arena& a) {
  std::vector<std::vector<float>> vectors;
  const std::uint8_t op = in.u8() % 16;
  switch (op) {
    case 0: {  // new
      retold_dedup_options o = make_options(in);
      const std::uint8_t b = in.u8();
      retold_dedup** out = (b % 8 == 0) ? nullptr : &st.dedups[b & 1];
      if (out && *out) retold_dedup_free(*out), *out = nullptr;
      const int s = check(retold_dedup_new(out, (b & 8) ? nullptr : &o));
      if (!out) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (out && s != RETOLD_OK) FUZZ_CHECK(*out == nullptr);
      if (out && s == RETOLD_OK) FUZZ_CHECK(*out != nullptr);
      if (!(b & 8) && o.version != RETOLD_DEDUP_OPTIONS_VERSION) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (!(b & 8) && o.source_priority_count && (o.source_priority == nullptr || o.source_priority == kSourcesNull))
        FUZZ_CHECK(s == RETOLD_EINVALID);
      break;
    }
    case 1: {  // free
      const std::uint8_t b = in.u8();
      if (b & 2) {
        retold_signature_free(st.sigs[b & 1]);
        st.sigs[b & 1] = nullptr;
      } else {
        retold_dedup_free(st.dedups[b & 1]);
        st.dedups[b & 1] = nullptr;
      }
      retold_dedup_free(nullptr);
      retold_signature_free(nullptr);
      break;
    }
    case 2: {  // add
      retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      retold_document doc = make_doc(in, a, st, vectors);
      retold_add_result r;
      std::memset(&r, 0xA5, sizeof r);
      const int s = check(retold_dedup_add(d, (b & 1) ? nullptr : &doc, (b & 2) ? nullptr : &r));
      if (is_handle_misuse(d, st, true) || (b & 1) || doc.version != RETOLD_DOCUMENT_VERSION || doc.id == nullptr ||
          (doc.text == nullptr && doc.text_len) || (doc.title == nullptr && doc.title_len) ||
          (doc.vector == nullptr && doc.vector_dim))
        FUZZ_CHECK(s == RETOLD_EINVALID);
      if (s == RETOLD_OK) {
        st.ids.emplace_back(doc.id);
        if (!(b & 2)) check_add_result(r);
      }
      break;
    }
    case 3: {  // add_batch
      retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      std::vector<retold_document> docs;
      for (int i = 0, n = in.u8() % 6; i < n; ++i) docs.push_back(make_doc(in, a, st, vectors));
      std::vector<retold_add_result> results(docs.size());
      std::uint64_t count = docs.size();
      bool impossible = false;
      if (b % 8 == 1) {  // counts no caller array can have: must be refused before any reading
        static const std::uint64_t huge[] = {UINT64_MAX, std::uint64_t{1} << 63,
                                             std::uint64_t(PTRDIFF_MAX) / sizeof(retold_document) + 1};
        count = huge[in.u8() % 3];
        impossible = true;
      }
      const retold_document* docs_ptr = docs.empty() ? nullptr : docs.data();
      if (b % 8 == 2) docs_ptr = nullptr;
      if (impossible && docs_ptr == nullptr) docs_ptr = reinterpret_cast<const retold_document*>(&b);
      std::uint64_t added = 12345;
      const int s = check(retold_dedup_add_batch(d, docs_ptr, count, (b & 8) || impossible ? nullptr : results.data(),
                                                  (b & 16) ? nullptr : &added));
      if (impossible) FUZZ_CHECK(s != RETOLD_OK);
      if (is_handle_misuse(d, st, true)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (!(b & 16)) FUZZ_CHECK(s == RETOLD_OK ? added <= count : added == 0);
      if (s == RETOLD_OK && !impossible) {
        for (std::size_t i = 0; i < docs.size() && docs_ptr; ++i) {
          if (!(b & 8)) {
            check_add_result(results[i]);
            FUZZ_CHECK(pinned(results[i].status) && results[i].status != RETOLD_EINTERNAL);
            if (results[i].status != RETOLD_OK) FUZZ_CHECK(results[i].error != nullptr);
            if (results[i].status == RETOLD_OK) st.ids.emplace_back(docs[i].id);
          }
        }
      }
      break;
    }
    case 4: {  // query
      const retold_dedup* d = pick_dedup(in, st);
      auto [text, len] = make_text(in, a);
      retold_query_options q = RETOLD_QUERY_OPTIONS_INIT;
      const std::uint8_t b = in.u8();
      if (b & 1) q.version = in.u8();
      q.top_k = pick_u32(in, {0, 1, 10, UINT32_MAX});
      q.include_rejected = in.u8() % 3;
      q.has_timestamp = in.u8() % 3;
      q.timestamp = static_cast<std::int64_t>(in.u64());
      q.min_score = pick_double(in);
      retold_match_list m = {nullptr, 7, nullptr};
      const int s = check(retold_dedup_query(d, text, len, (b & 2) ? nullptr : &q, (b & 4) ? nullptr : &m));
      if (b & 4) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (!(b & 4)) {
        if (s != RETOLD_OK) FUZZ_CHECK(m.count == 0 && m.items == nullptr);
        for (std::uint64_t i = 0; i < m.count; ++i) FUZZ_CHECK(m.items[i].id != nullptr && m.items[i].cluster_id != 0);
        retold_match_list_dispose(&m);
        retold_match_list_dispose(&m);
      }
      retold_match_list_dispose(nullptr);
      break;
    }
    case 5: {  // query_vector
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      std::vector<float> v(in.u8() % 70, 0.25f);
      const float* vp = v.empty() ? nullptr : v.data();
      std::uint32_t dim = static_cast<std::uint32_t>(v.size());
      if (b & 1) vp = nullptr, dim = 1 + in.u8();
      retold_match_list m = {};
      const int s = check(retold_dedup_query_vector(d, vp, dim, nullptr, &m));
      if (vp == nullptr && dim) FUZZ_CHECK(s == RETOLD_EINVALID);
      retold_match_list_dispose(&m);
      break;
    }
    case 6: {  // lookups by id
      const retold_dedup* d = pick_dedup(in, st);
      const char* id = make_id(in, a, st);
      const std::uint8_t b = in.u8();
      int32_t has = -1;
      const int s1 = check(retold_dedup_contains(d, id, (b & 1) ? nullptr : &has));
      if (s1 == RETOLD_OK) FUZZ_CHECK(has == 0 || has == 1);
      std::uint64_t cid = 0;
      check(retold_dedup_cluster_of(d, id, (b & 2) ? nullptr : &cid));
      char buf[16];
      std::uint64_t len = 0;
      const std::uint64_t cap = (b & 4) ? 0 : (b & 8) ? 4 : sizeof buf;
      const int s3 = check(retold_dedup_representative_of(d, id, cap ? buf : nullptr, cap, (b & 16) ? nullptr : &len));
      if (b & 16) FUZZ_CHECK(s3 != RETOLD_OK);
      if (s3 == RETOLD_OK) FUZZ_CHECK(len < cap && std::strlen(buf) == len);
      if (s3 == RETOLD_EBUFSIZE) FUZZ_CHECK(len >= cap);
      break;
    }
    case 7: {  // remove / evict
      retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      if (b & 1) {
        check(retold_dedup_remove(d, make_id(in, a, st)));
      } else {
        std::uint64_t removed = 99;
        const int s = check(retold_dedup_evict_before(d, static_cast<std::int64_t>(pick_u64(in, {0, 1709600000, 1709700000,
                                                                                                 static_cast<std::uint64_t>(INT64_MAX),
                                                                                                 static_cast<std::uint64_t>(INT64_MIN)})),
                                                      (b & 2) ? nullptr : &removed));
        if (s == RETOLD_OK && !(b & 2)) FUZZ_CHECK(removed != 99 || st.ids.size() >= 99);
      }
      break;
    }
    case 8: {  // save
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      const auto base = retold_fuzz::scratch_dir();
      std::string dir = st.state_dir;
      switch (b % 4) {
        case 0: dir = (base / "capi-state").string(); break;
        case 1: dir = (base / "a-file").string(); retold_fuzz::write_file(dir, "not a directory"); break;
        case 2: dir = ""; break;
        case 3: break;
      }
      const int s = check(retold_dedup_save(d, (b & 4) ? nullptr : dir.c_str()));
      if (b & 4) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (s == RETOLD_OK) st.state_dir = dir;
      break;
    }
    case 9: {  // load
      const std::uint8_t b = in.u8();
      retold_dedup_options o = make_options(in);
      retold_dedup** out = (b % 8 == 0) ? nullptr : &st.dedups[b & 1];
      if (out && *out) retold_dedup_free(*out), *out = nullptr;
      std::string dir = (b & 16) ? (retold_fuzz::scratch_dir() / "never-saved").string() : st.state_dir;
      const int s = check(retold_dedup_load(out, (b & 8) ? nullptr : dir.c_str(), (b & 32) ? &o : nullptr));
      if (!out || (b & 8)) FUZZ_CHECK(s == RETOLD_EINVALID);
      if (out && s != RETOLD_OK) FUZZ_CHECK(*out == nullptr);
      break;
    }
    case 10: {  // compute signature / embedding
      const retold_dedup* d = pick_dedup(in, st);
      auto [text, len] = make_text(in, a);
      const std::uint8_t b = in.u8();
      retold_signature** out = (b % 8 == 0) ? nullptr : &st.sigs[b & 1];
      if (out && *out) retold_signature_free(*out), *out = nullptr;
      const int s = check(retold_dedup_compute_signature(d, text, len, out));
      if (out && s != RETOLD_OK) FUZZ_CHECK(*out == nullptr);
      float buf[64];
      std::uint64_t dim = 0;
      const std::uint64_t cap = (b & 16) ? 0 : (b & 32) ? 3 : 64;
      const int e = check(retold_dedup_compute_embedding(d, text, len, cap ? buf : nullptr, cap, (b & 64) ? nullptr : &dim));
      if (b & 64) FUZZ_CHECK(e != RETOLD_OK);
      if (e == RETOLD_OK) FUZZ_CHECK(dim <= cap);
      if (e == RETOLD_OK) for (std::uint64_t i = 0; i < dim; ++i) FUZZ_CHECK(std::isfinite(buf[i]));
      break;
    }
    case 11: {  // signature handles
      const retold_signature* sg = pick_sig(in, st);
      const std::uint8_t b = in.u8();
      std::uint32_t vals[8];
      std::uint64_t count = 0;
      const std::uint64_t vcap = (b & 1) ? 0 : 8;
      const int v = check(retold_signature_values(sg, vcap ? vals : nullptr, vcap, &count));
      if (is_handle_misuse(sg, st, false)) FUZZ_CHECK(v == RETOLD_EINVALID);
      std::vector<std::uint8_t> ser(in.u8() % 2 ? 8 : 65536 * 4 + 64);
      std::uint64_t len = 0;
      const int s = check(retold_signature_serialize(sg, ser.data(), ser.size(), (b & 2) ? nullptr : &len));
      if (s == RETOLD_OK) {
        FUZZ_CHECK(len <= ser.size());
        retold_signature* back = nullptr;
        FUZZ_CHECK(check(retold_signature_deserialize(&back, ser.data(), len)) == RETOLD_OK);
        double j = -1;
        FUZZ_CHECK(check(retold_signature_jaccard(sg, back, &j)) == RETOLD_OK && j >= 0 && j <= 1);
        retold_signature_free(back);
      }
      // Deserialize input bytes into a slot.
      const std::string_view raw = in.str(255);
      retold_signature** out = (b & 4) ? nullptr : &st.sigs[(b >> 3) & 1];
      if (out && *out) retold_signature_free(*out), *out = nullptr;
      const int ds = check(retold_signature_deserialize(out, (b & 32) ? nullptr : reinterpret_cast<const std::uint8_t*>(raw.data()),
                                                        raw.size()));
      if (!out) FUZZ_CHECK(ds == RETOLD_EINVALID);
      double j = 0;
      check(retold_signature_jaccard(pick_sig(in, st), pick_sig(in, st), (b & 64) ? nullptr : &j));
      break;
    }
    case 12: {  // stories
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      retold_cluster_list l = {};
      const int s = check(retold_dedup_clusters(d, pick_u64(in, {0, 1, 2, UINT64_MAX}), (b & 1) ? nullptr : &l));
      if (s == RETOLD_OK)
        for (std::uint64_t i = 0; i < l.count; ++i) {
          FUZZ_CHECK(l.items[i].member_count >= 1 && l.items[i].members != nullptr);
          FUZZ_CHECK(std::strcmp(l.items[i].members[0].id, l.items[i].leader) == 0);
        }
      const std::uint64_t some = l.count ? l.items[0].id : in.u64();
      retold_cluster_list_dispose(&l);
      retold_cluster_list one = {};
      check(retold_dedup_cluster(d, (b & 2) ? in.u64() : some, (b & 4) ? nullptr : &one));
      retold_cluster_list_dispose(&one);
      retold_cluster_list_dispose(nullptr);
      retold_explanation e = {};
      check(retold_dedup_explain(d, make_id(in, a, st), make_id(in, a, st), (b & 8) ? nullptr : &e));
      retold_explanation_dispose(&e);
      retold_explanation_dispose(nullptr);
      break;
    }
    case 13: {  // stats, options
      const retold_dedup* d = pick_dedup(in, st);
      const std::uint8_t b = in.u8();
      retold_stats sts;
      check(retold_dedup_stats(d, (b & 1) ? nullptr : &sts));
      retold_dedup_options o;
      std::memset(&o, 0, sizeof o);
      o.version = (b & 2) ? in.u8() : RETOLD_DEDUP_OPTIONS_VERSION;
      const int s = check(retold_dedup_get_options(d, (b & 4) ? nullptr : &o));
      if (s == RETOLD_OK) {
        for (std::uint32_t i = 0; i < o.source_priority_count; ++i) FUZZ_CHECK(o.source_priority[i] != nullptr);
        // What get_options() returns must be accepted by new() as it is.
        retold_dedup* copy = nullptr;
        FUZZ_CHECK(check(retold_dedup_new(&copy, &o)) == RETOLD_OK);
        retold_dedup_free(copy);
      }
      break;
    }
    case 14: {  // options structs and errors
      const std::uint8_t b = in.u8();
      retold_dedup_options o;
      const int s1 = check(retold_dedup_options_init((b & 1) ? nullptr : &o, (b & 2) ? in.u32() : RETOLD_DEDUP_OPTIONS_VERSION));
      if (b & 1) FUZZ_CHECK(s1 == RETOLD_EINVALID);
      retold_query_options q;
      check(retold_query_options_init((b & 4) ? nullptr : &q, (b & 8) ? in.u32() : RETOLD_QUERY_OPTIONS_VERSION));
      FUZZ_CHECK(retold_error_name(static_cast<int>(in.u32())) != nullptr);
      FUZZ_CHECK(retold_version() == RETOLD_VERSION_NUMBER && retold_version_string() != nullptr);
      if (b & 16) {
        retold_error_clear();
        FUZZ_CHECK(retold_last_error_code() == RETOLD_OK && retold_last_error()[0] == '\0');
      }
      break;
    }
    default: {  // a whole valid document, so the state grows beyond what hostile ops leave
      retold_dedup* d = st.dedups[in.u8() & 1];
      if (!d) break;
      std::string id = "doc-" + std::to_string(st.ids.size()) + "-" + std::to_string(in.u8());
      std::string text(in.str(255));
      retold_document doc = RETOLD_DOCUMENT_INIT;
      doc.id = id.c_str();
      doc.text = text.data();
      doc.text_len = text.size();
      doc.timestamp = 1709600000 + in.u16() * 60;
      retold_add_result r;
      if (check(retold_dedup_add(d, &doc, &r)) == RETOLD_OK) st.ids.push_back(id), check_add_result(r);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bytes in(data, size);
  state st;
  arena a;
  a.strings.reserve(4096);  // c_str() pointers must stay put: never reallocate
  for (int ops = 0; ops < 48 && in.remaining() > 0; ++ops) {
    if (a.strings.size() > 4000) break;
    one_op(in, st, a);
  }
  std::error_code ec;
  if (!st.state_dir.empty()) std::filesystem::remove_all(st.state_dir, ec);
  return 0;
}
