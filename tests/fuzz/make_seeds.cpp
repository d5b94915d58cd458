// tests/fuzz/make_seeds.cpp - writes seed inputs that are real data, not guesses: saved states
// of small deduplicators fed from seeds/corpus.jsonl (both forms of state_codec.hpp) for
// fuzz_state, serialized signatures for fuzz_signature, and prepared-document blobs made by
// deduplicator::prepare() (in the form of prepared_codec.hpp) for fuzz_prepared.
//   fuzz_make_seeds <seeds/corpus.jsonl> <tests/fuzz/corpus>
// Deterministic: the same corpus gives the same files, so committed seeds only change when the
// state format does.
#include "prepared_codec.hpp"
#include "state_codec.hpp"

#include "input.hpp"
#include "store/state_file.hpp"

#include <retold/dedup.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  std::printf("%s (%zu bytes)\n", p.c_str(), bytes.size());
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <seeds/corpus.jsonl> <tests/fuzz/corpus>\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[2];
  retold::cli::record_reader reader({argv[1]}, {}, nullptr);
  std::vector<retold::cli::input_record> records;
  std::vector<retold::cli::bad_record> bad;
  std::vector<retold::cli::input_record> all;
  while (reader.next_batch(records, 64, bad) > 0 || !bad.empty()) {
    all.insert(all.end(), records.begin(), records.end());
    bad.clear();
  }

  // Small configurations, so every seed stays a few KB; between them they reach every part of
  // the format: each embedding mode, keep_text, IVF training with centroids, pending DF terms.
  struct config {
    const char* name;
    std::size_t docs;
    retold::deduplicator_options o;
  };
  std::vector<config> configs;
  {
    retold::deduplicator_options o;
    o.minhash.num_hashes = 16;
    o.embedder.dimension = 8;
    o.embedder.df_buckets_log2 = 10;
    configs.push_back({"builtin", 6, o});
    o.keep_text = true;
    o.representative.source_priority = {"Reuters", "AP"};
    o.time_window_seconds = 3 * 86400;
    configs.push_back({"keep_text", 3, o});
    o.keep_text = false;
    o.vector_index.kind = retold::vector_index_kind::ivf;
    o.vector_index.nlist = 2;
    o.vector_index.ivf_min_size = 4;
    configs.push_back({"ivf", 8, o});
  }
  {
    retold::deduplicator_options o;
    o.minhash.num_hashes = 8;
    o.embedding = retold::embedding_mode::none;
    o.shingles = {retold::shingle_kind::character, 3};
    o.minhash.scheme = retold::minhash_scheme::multiply_shift;
    configs.push_back({"none_char", 5, o});
    o.embedding = retold::embedding_mode::external;
    o.external_dimension = 4;
    o.shingles = {};
    configs.push_back({"external", 4, o});
  }

  const fs::path tmp = fs::temp_directory_path() / ("retold-fuzz-seeds-" + std::to_string(::getpid()));
  for (const auto& c : configs) {
    retold::deduplicator d(c.o);
    std::vector<float> vec(c.o.external_dimension);
    for (std::size_t i = 0; i < c.docs && i < all.size(); ++i) {
      const auto& r = all[i];
      for (std::size_t k = 0; k < vec.size(); ++k) vec[k] = static_cast<float>((i + k) % 3) - 1.0f;
      // The first 600 bytes keep the seeds small while texts still match each other.
      d.add({.id = r.id, .text = std::string_view(r.text).substr(0, 600), .title = r.title, .timestamp = r.timestamp,
             .source = r.source, .vector = vec});
    }
    const fs::path dir = tmp / c.name;
    d.save(dir);
    (void)retold::deduplicator::load(dir);  // a seed that does not load is useless

    // Payload form: the six payloads as load() reads them.
    std::vector<retold::detail::state_part> want;
    for (const auto& p : retold_fuzz::kParts) want.push_back({p.name, p.kind, retold_fuzz::kFormatVersion, {}});
    const auto parts = retold::detail::load_state_directory(dir, want);
    std::vector<std::string> chunks;
    std::uint8_t versions = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      chunks.emplace_back(parts[i].payload.begin(), parts[i].payload.end());
      if (parts[i].version < retold_fuzz::kFormatVersion) versions |= static_cast<std::uint8_t>(1u << i);
    }
    const std::string body = retold_fuzz::join_chunks(chunks);
    write(out / "state" / (std::string(c.name) + ".payload"), std::string{'\x04', static_cast<char>(versions)} + body);

    // Raw form: every file of the directory as saved (LOCK aside).
    std::vector<std::string> files;
    std::vector<fs::path> paths;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename() != "LOCK") paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& p : paths) files.push_back(p.filename().string() + '\0' + slurp(p));
    write(out / "state" / (std::string(c.name) + ".raw"), std::string{'\x05', '\0'} + retold_fuzz::join_chunks(files));

    // Signatures of this configuration.
    const auto sig = d.compute_signature(all[0].text).serialize();
    write(out / "signature" / (std::string(c.name) + ".sig"), std::string(sig.begin(), sig.end()));
  }
  // Prepared documents: three records of each configuration fuzz_prepared knows, and one text
  // without shingles (empty signature, no band keys). Flags 3 (checksum and fingerprint fixed
  // after mutation); the second record of each also with a valid document before it (flag 4).
  const char* prepared_names[] = {"builtin", "keep_text", "none_char", "external"};
  const auto prepared = retold_fuzz::prepared_configs();
  for (std::size_t c = 0; c < prepared.size(); ++c) {
    const retold::deduplicator d(prepared[c]);
    const std::vector<float> vec(prepared[c].external_dimension, 0.25f);
    for (std::size_t i = 0; i < 4 && i < all.size(); ++i) {
      const auto& r = all[i];
      const std::string_view text = i == 3 ? std::string_view(".") : std::string_view(r.text).substr(0, 600);
      const auto blob = d.prepare({.id = r.id, .text = text, .title = r.title, .timestamp = r.timestamp,
                                   .source = r.source, .vector = vec})
                            .serialize();
      const char flags = i == 1 ? 7 : 3;
      write(out / "prepared" / (std::string(prepared_names[c]) + "-" + std::to_string(i) + ".blob"),
            std::string{static_cast<char>(c), flags} + std::string(blob.begin(), blob.end()));
    }
  }

  const auto empty = retold::signature(retold::minhash_config{.num_hashes = 4}).serialize();
  write(out / "signature" / "empty.sig", std::string(empty.begin(), empty.end()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}
