// tests/fuzz/fuzz_prepared.cpp - retold::prepared_document::parse of a blob made from the input
// (layout: prepared_codec.hpp), then deduplicator::add_prepared of what parses.
//
// Expected outcomes: parse gives a prepared document or retold::error (corrupted_state,
// incompatible); add_prepared gives one result per document or retold::error (incompatible,
// corrupted_state) with nothing stored. Never a crash or a hang. Checks: a blob that parses
// serializes back to itself; whatever add_prepared did, the deduplicator stays usable: its
// stories are consistent, it takes a later add and a query, and it saves and loads again with
// the same documents and stories.
#include "fuzz_util.hpp"
#include "prepared_codec.hpp"

#include <retold/dedup.hpp>
#include <retold/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

bool allowed_error(retold::errc c) { return c == retold::errc::corrupted_state || c == retold::errc::incompatible; }

retold::document text_doc(std::string_view id, std::span<const float> vector) {
  retold::document d;
  d.id = id;
  d.text = "France invites Ukraine's allies to a video call to show a united front, officials said on Monday";
  d.title = "Allies called";
  d.timestamp = 1709631600;
  d.source = "AFP";
  d.vector = vector;
  return d;
}

void check_stories(const retold::deduplicator& d) {
  const auto stories = d.clusters();
  FUZZ_CHECK(stories.size() == d.stats().clusters);
  std::size_t members = 0;
  for (const auto& c : stories) {
    FUZZ_CHECK(!c.members.empty());
    members += c.members.size();
    for (const auto& m : c.members) FUZZ_CHECK(d.cluster_of(m.id) == c.id);
  }
  FUZZ_CHECK(members == d.stats().documents);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<retold::deduplicator_options> configs = retold_fuzz::prepared_configs();
  retold_fuzz::bytes in(data, size);
  const retold::deduplicator_options& o = configs[in.u8() % configs.size()];
  const std::uint8_t flags = in.u8();

  retold::deduplicator d(o);
  const std::vector<float> vec(o.embedding == retold::embedding_mode::external ? o.external_dimension : 0, 0.5f);
  const retold::prepared_document valid = d.prepare(text_doc("fuzz-valid", vec));
  const std::vector<std::uint8_t> blob = retold_fuzz::patch_blob(in.rest(), flags, valid.config_fingerprint());

  std::optional<retold::prepared_document> p;
  try {
    p.emplace(retold::prepared_document::parse(blob));
  } catch (const retold::error& e) {
    if (!allowed_error(e.code())) {
      std::fprintf(stderr, "parse: unexpected %s: %s\n", retold::errc_name(e.code()), e.what());
      FUZZ_CHECK(!"parse failed with an unexpected error code");
    }
    return 0;
  }
  FUZZ_CHECK(p->serialize() == blob);
  FUZZ_CHECK(!p->id().empty() && !p->signature().empty());

  std::vector<retold::prepared_document> batch;
  if (flags & 4) batch.push_back(valid);
  batch.push_back(*p);
  try {
    const auto results = d.add_prepared(batch);
    FUZZ_CHECK(results.size() == batch.size());
    std::size_t added = 0;
    for (const auto& r : results) {
      FUZZ_CHECK(r.status == retold::errc::ok || r.status == retold::errc::duplicate_id);
      added += r.status == retold::errc::ok;
      if (r.status == retold::errc::ok) FUZZ_CHECK(r.cluster_id != 0);
    }
    FUZZ_CHECK(d.stats().documents == added);
  } catch (const retold::error& e) {
    if (!allowed_error(e.code())) {
      std::fprintf(stderr, "add_prepared: unexpected %s: %s\n", retold::errc_name(e.code()), e.what());
      FUZZ_CHECK(!"add_prepared failed with an unexpected error code");
    }
    FUZZ_CHECK(d.stats().documents == 0);  // refused whole
  }

  // Usable afterwards: stories, a later add, a query, save and load.
  check_stories(d);
  const bool taken = d.contains("fuzz-added-later");  // the blob's id may be anything
  try {
    const auto r = d.add(text_doc("fuzz-added-later", vec));
    FUZZ_CHECK(!taken && r.status == retold::errc::ok && r.cluster_id != 0);
  } catch (const retold::error& e) {
    std::fprintf(stderr, "add: %s: %s\n", retold::errc_name(e.code()), e.what());
    FUZZ_CHECK(taken && e.code() == retold::errc::duplicate_id);
  }
  retold::query_options q;
  q.accepted_only = false;
  (void)d.query(text_doc("q", vec).text, q);
  check_stories(d);
  const auto dir = retold_fuzz::scratch_dir() / "prepared";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  d.save(dir);
  const auto loaded = retold::deduplicator::load(dir);
  FUZZ_CHECK(loaded.stats().documents == d.stats().documents);
  FUZZ_CHECK(loaded.clusters().size() == d.clusters().size());
  check_stories(loaded);
  return 0;
}
