// tests/fuzz/fuzz_state.cpp - retold::deduplicator::load of a state directory made from the input
// (layout: state_codec.hpp). Expected outcomes: a loaded deduplicator, or retold::error
// (corrupted_state, incompatible, not_found; io only for file names the OS refuses). Never a
// crash, a hang or an allocation the input does not pay for. A state that loads must also be
// usable: its stories are consistent, it answers queries, takes adds, and saves and loads again.
#include "fuzz_util.hpp"
#include "state_codec.hpp"

#include "store/state_file.hpp"

#include <retold/dedup.hpp>
#include <retold/error.hpp>

#include <optional>
#include <string>

namespace {

bool allowed_load_error(retold::errc c) {
  return c == retold::errc::corrupted_state || c == retold::errc::incompatible || c == retold::errc::not_found ||
         c == retold::errc::io;
}

// A name the input chose, made a plain file name inside the directory.
std::string plain_name(std::string_view n) {
  std::string s(n.substr(0, 200));
  for (char& c : s)
    if (c == '/' || c == '\0') c = '_';
  if (s.empty() || s == "." || s == "..") s = "_";
  return s;
}

void exercise(retold::deduplicator& d) {
  const auto st = d.stats();
  const auto stories = d.clusters();
  FUZZ_CHECK(stories.size() == st.clusters);
  std::size_t members = 0;
  for (const auto& c : stories) {
    FUZZ_CHECK(!c.members.empty());
    FUZZ_CHECK(c.members.front().id == c.leader);
    members += c.members.size();
    for (const auto& m : c.members) {
      FUZZ_CHECK(d.contains(m.id));
      FUZZ_CHECK(d.cluster_of(m.id) == c.id);
    }
    FUZZ_CHECK(d.cluster(c.id).id == c.id);
  }
  FUZZ_CHECK(members == st.documents);
  const std::string text = "France invites Ukraine's allies to a video call to show a united front";
  retold::query_options q;
  q.accepted_only = false;
  try {
    (void)d.query(text, q);
  } catch (const retold::error& e) {
    std::fprintf(stderr, "query: %s: %s\n", retold::errc_name(e.code()), e.what());
    FUZZ_CHECK(e.code() == retold::errc::too_large);  // the loaded max_document_bytes may be tiny
  }
  if (!stories.empty() && stories.front().members.size() > 1)
    (void)d.explain(stories.front().members[0].id, stories.front().members[1].id);
  std::vector<float> vec;
  if (d.options().embedding == retold::embedding_mode::external)
    vec.assign(d.options().external_dimension, 0.5f);
  try {
    const auto r = d.add({.id = "fuzz-added-document", .text = text, .title = {}, .timestamp = 1709631600, .source = {}, .vector = vec});
    FUZZ_CHECK(r.cluster_id != 0);
  } catch (const retold::error& e) {
    std::fprintf(stderr, "add: %s: %s\n", retold::errc_name(e.code()), e.what());
    FUZZ_CHECK(e.code() == retold::errc::duplicate_id || e.code() == retold::errc::too_large);
  }
  if (!stories.empty()) FUZZ_CHECK(d.remove(stories.back().leader));
  (void)d.evict_before(0);
  const auto again = retold_fuzz::scratch_dir() / "resaved";
  std::error_code ec;
  std::filesystem::remove_all(again, ec);
  d.save(again);
  const auto reloaded = retold::deduplicator::load(again);
  FUZZ_CHECK(reloaded.stats().documents == d.stats().documents);
  FUZZ_CHECK(reloaded.clusters().size() == d.clusters().size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  retold_fuzz::bytes in(data, size);
  const std::uint8_t flags = in.u8();
  const std::uint8_t versions = in.u8();
  const auto chunks = retold_fuzz::split_chunks(in.rest());

  const auto dir = retold_fuzz::scratch_dir() / "state";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir);
  if (flags & 1) {
    for (std::size_t i = 0; i < chunks.size() && i < 16; ++i) {
      const auto nul = chunks[i].find('\0');
      if (nul == std::string_view::npos) continue;
      retold_fuzz::write_file(dir / plain_name(chunks[i].substr(0, nul)), chunks[i].substr(nul + 1));
    }
  } else {
    std::vector<retold::detail::state_part> parts;
    for (std::size_t i = 0; i < chunks.size() && i < 6; ++i) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(chunks[i].data());
      parts.push_back({retold_fuzz::kParts[i].name, retold_fuzz::kParts[i].kind, (versions >> i) & 1 ? retold_fuzz::kFormatVersion - 1 : retold_fuzz::kFormatVersion,
                       std::vector<std::uint8_t>(p, p + chunks[i].size())});
    }
    retold::detail::save_state_directory(dir, parts);
  }

  std::optional<retold::deduplicator> d;
  try {
    d.emplace(retold::deduplicator::load(
        dir, (flags & 2) ? std::optional<retold::deduplicator_options>(retold::deduplicator_options{}) : std::nullopt));
  } catch (const retold::error& e) {
    if (!allowed_load_error(e.code())) {
      std::fprintf(stderr, "load: unexpected %s: %s\n", retold::errc_name(e.code()), e.what());
      FUZZ_CHECK(!"load failed with an unexpected error code");
    }
    return 0;
  }
  if (flags & 4) exercise(*d);
  return 0;
}
