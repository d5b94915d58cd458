// Tests of the state store: byte order, every corruption mode, atomic directory generations.
#include "store/state_file.hpp"

#include <gtest/gtest.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <atomic>
#include <random>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using retold::errc;
using retold::error;
using namespace retold::detail;

namespace {

// A fresh empty directory per test, removed afterwards.
class temp_dir {
 public:
  temp_dir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("retold_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

// Runs f, expects retold::error with `code` whose message contains `needle`.
template <class F>
void expect_error(F&& f, errc code, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error thrown; expected one containing '" << needle << "'";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
  }
}

std::vector<state_part> sample_parts(int salt) {
  std::vector<state_part> parts;
  byte_writer a;
  a.str("documents of save " + std::to_string(salt));
  a.u64(static_cast<std::uint64_t>(salt));
  parts.push_back({"documents.rtd", "dedup.docs", 1, std::move(a.buffer())});
  byte_writer b;
  std::vector<float> v(1000);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i * salt) * 0.5f;
  b.f32_array(v);
  parts.push_back({"vectors.rtd", "dedup.vectors", 2, std::move(b.buffer())});
  parts.push_back({"empty.rtd", "dedup.empty", 1, {}});
  return parts;
}

std::vector<state_part> wanted() {
  return {{"documents.rtd", "dedup.docs", 1, {}}, {"vectors.rtd", "dedup.vectors", 2, {}},
          {"empty.rtd", "dedup.empty", 1, {}}};
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST(ByteWriterReader, RoundTripsEveryTypeLittleEndian) {
  byte_writer w;
  w.u8(0xAB);
  w.u32(0x01020304u);
  w.u64(0x1122334455667788ull);
  w.i64(-42);
  w.f32(3.5f);
  w.f64(-2.25);
  w.str("héllo");
  const std::vector<std::uint8_t> raw = {1, 2, 3};
  w.bytes(raw);
  const std::vector<std::uint32_t> a32 = {7, 0xFFFFFFFFu};
  const std::vector<float> af = {1.0f, -0.0f, 1e-30f};
  const std::vector<std::uint64_t> a64 = {0, ~0ull};
  w.u32_array(a32);
  w.f32_array(af);
  w.u64_array(a64);
  const auto& buf = w.buffer();
  // Little-endian on the wire regardless of host.
  EXPECT_EQ(buf[1], 0x04);
  EXPECT_EQ(buf[4], 0x01);
  EXPECT_EQ(buf[5], 0x88);

  byte_reader r(buf, "sample");
  EXPECT_EQ(r.u8(), 0xAB);
  EXPECT_EQ(r.u32(), 0x01020304u);
  EXPECT_EQ(r.u64(), 0x1122334455667788ull);
  EXPECT_EQ(r.i64(), -42);
  EXPECT_EQ(r.f32(), 3.5f);
  EXPECT_EQ(r.f64(), -2.25);
  EXPECT_EQ(r.str(), "héllo");
  EXPECT_EQ(r.bytes(), raw);
  EXPECT_EQ(r.u32_array(), a32);
  const auto got_f = r.f32_array();
  ASSERT_EQ(got_f.size(), af.size());
  EXPECT_TRUE(std::signbit(got_f[1]));
  EXPECT_EQ(got_f[2], 1e-30f);
  EXPECT_EQ(r.u64_array(), a64);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_NO_THROW(r.expect_end());
}

TEST(ByteWriterReader, TruncationAndHugeLengthsAreCorruptionNotCrashes) {
  byte_writer w;
  w.u64(1ull << 60);  // an array "length" far beyond the buffer
  const auto buf = w.buffer();
  expect_error([&] { byte_reader(buf, "arr.rtd").u64_array(); }, errc::corrupted_state, "arr.rtd");
  expect_error([&] { byte_reader(buf, "arr.rtd").f32_array(); }, errc::corrupted_state, "exceeds");
  expect_error([&] { byte_reader(buf, "s.rtd").str(); }, errc::corrupted_state, "s.rtd");
  expect_error([&] { byte_reader(buf, "s.rtd").str(16); }, errc::corrupted_state, "exceeds the limit");
  const std::vector<std::uint8_t> three = {1, 2, 3};
  expect_error([&] { byte_reader(three, "short.rtd").u32(); }, errc::corrupted_state, "truncated");
  byte_reader r(three, "trail.rtd");
  r.u8();
  expect_error([&] { r.expect_end(); }, errc::corrupted_state, "trailing");
}

TEST(StateFile, RoundTripWithVersionAndNoTemporaryLeft) {
  temp_dir d;
  const auto p = d.path() / "x.rtd";
  const auto payload = bytes_of("the payload");
  write_state_file(p, "test.kind", 3, payload);
  std::uint32_t version = 0;
  EXPECT_EQ(read_state_file(p, "test.kind", 5, &version), payload);
  EXPECT_EQ(version, 3u);
  EXPECT_EQ(listing(d.path()), std::vector<std::string>{"x.rtd"});
  EXPECT_EQ(fs::file_size(p), 64u + payload.size());
  const auto img = read_bytes(p);
  EXPECT_EQ(std::string(img.begin(), img.begin() + 8), "RETOLDST");

  // Overwrite replaces; empty payload is legal; a 16-byte kind fits.
  write_state_file(p, "sixteen-bytes-ok", 1, {});
  EXPECT_TRUE(read_state_file(p, "sixteen-bytes-ok", 1).empty());
}

TEST(StateFile, RejectsBadArguments) {
  temp_dir d;
  const std::vector<std::uint8_t> none;
  expect_error([&] { write_state_file(d.path() / "a", "seventeen-bytes-x", 1, none); }, errc::invalid_argument, "kind");
  expect_error([&] { write_state_file(d.path() / "a", "", 1, none); }, errc::invalid_argument, "kind");
  expect_error([&] { write_state_file(d.path() / "a", "k", 0, none); }, errc::invalid_argument, "version");
  expect_error([&] { write_state_file(d.path() / "no" / "such" / "dir" / "a", "k", 1, none); }, errc::io,
               "no/such/dir");
}

TEST(StateFile, MissingIsNotFound) {
  temp_dir d;
  expect_error([&] { read_state_file(d.path() / "absent.rtd", "k", 1); }, errc::not_found, "absent.rtd");
}

TEST(StateFile, WrongKindNewerVersionBadMagicByteOrder) {
  temp_dir d;
  const auto p = d.path() / "k.rtd";
  write_state_file(p, "dedup.docs", 2, bytes_of("abc"));
  expect_error([&] { read_state_file(p, "dedup.sigs", 2); }, errc::corrupted_state, "wrong kind");
  expect_error([&] { read_state_file(p, "dedup.docs", 1); }, errc::incompatible, "newer");
  auto img = read_bytes(p);

  auto bad = img;
  bad[0] = 'X';
  write_bytes(p, bad);
  expect_error([&] { read_state_file(p, "dedup.docs", 2); }, errc::corrupted_state, "bad magic");

  write_bytes(p, bytes_of("{\"this is\": \"json, not a state file\"}\n"));
  expect_error([&] { read_state_file(p, "dedup.docs", 2); }, errc::corrupted_state, "bad magic");

  // A big-endian writer would have stored the mark byte-swapped; rebuild a consistent header so
  // only the byte order is wrong.
  bad = img;
  std::swap(bad[12], bad[15]);
  std::swap(bad[13], bad[14]);
  write_bytes(p, bad);
  expect_error([&] { read_state_file(p, "dedup.docs", 2); }, errc::corrupted_state, "header checksum");
  const std::uint64_t h = XXH64(bad.data(), 56, 0);
  for (int i = 0; i < 8; ++i) bad[56 + i] = static_cast<std::uint8_t>(h >> (8 * i));
  write_bytes(p, bad);
  expect_error([&] { read_state_file(p, "dedup.docs", 2); }, errc::corrupted_state, "opposite byte order");
}

TEST(StateFile, EveryTruncationIsDetectedAndNamesTheFile) {
  temp_dir d;
  const auto p = d.path() / "trunc.rtd";
  byte_writer w;
  for (int i = 0; i < 50; ++i) w.u32(static_cast<std::uint32_t>(i * 2654435761u));
  write_state_file(p, "t", 1, w.buffer());
  const auto img = read_bytes(p);
  for (std::size_t len = 0; len < img.size(); ++len) {
    write_bytes(p, std::vector<std::uint8_t>(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(len)));
    try {
      read_state_file(p, "t", 1);
      ADD_FAILURE() << "truncation to " << len << " bytes was not detected";
    } catch (const error& e) {
      EXPECT_EQ(e.code(), errc::corrupted_state) << len;
      EXPECT_NE(std::string(e.what()).find("trunc.rtd"), std::string::npos) << e.what();
      if (len >= 8) {
        EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
      }
    }
  }
  // Extra bytes after the payload are refused as well.
  auto longer = img;
  longer.push_back(0);
  write_bytes(p, longer);
  expect_error([&] { read_state_file(p, "t", 1); }, errc::corrupted_state, "unexpected bytes");
}

TEST(StateFile, EveryFlippedByteIsDetected) {
  temp_dir d;
  const auto p = d.path() / "flip.rtd";
  byte_writer w;
  w.str("a payload long enough to flip bits in, with numbers 12345");
  write_state_file(p, "flip", 1, w.buffer());
  const auto img = read_bytes(p);
  for (std::size_t i = 0; i < img.size(); ++i) {
    for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xFF}}) {
      auto bad = img;
      bad[i] ^= mask;
      write_bytes(p, bad);
      try {
        read_state_file(p, "flip", 1);
        ADD_FAILURE() << "flip of byte " << i << " with mask " << int(mask) << " was not detected";
      } catch (const error& e) {
        EXPECT_TRUE(e.code() == errc::corrupted_state || e.code() == errc::incompatible) << e.what();
        EXPECT_NE(std::string(e.what()).find("flip.rtd"), std::string::npos) << e.what();
        if (i >= 64) {
          EXPECT_NE(std::string(e.what()).find("payload checksum"), std::string::npos) << e.what();
        }
      }
    }
  }
}

TEST(StateDirectory, RoundTripAndGenerationsReplaceOldFiles) {
  temp_dir d;
  const auto dir = d.path() / "state";  // created by save
  save_state_directory(dir, sample_parts(1));
  auto got = load_state_directory(dir, wanted());
  const auto p1 = sample_parts(1);
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].name, p1[i].name);
    EXPECT_EQ(got[i].payload, p1[i].payload);
    EXPECT_EQ(got[i].version, p1[i].version);
  }
  const auto first = listing(dir);
  EXPECT_EQ(first.size(), 5u);  // 3 parts, MANIFEST, LOCK

  save_state_directory(dir, sample_parts(2));
  got = load_state_directory(dir, wanted());
  EXPECT_EQ(got[0].payload, sample_parts(2)[0].payload);
  const auto second = listing(dir);
  EXPECT_EQ(second.size(), 5u) << "older generation not cleaned up";
  for (const auto& f : first)
    if (f != "MANIFEST" && f != "LOCK") {
      EXPECT_EQ(std::count(second.begin(), second.end(), f), 0) << f;
    }

  // Parts asked for in any order come back in the order asked.
  auto reversed = wanted();
  std::reverse(reversed.begin(), reversed.end());
  got = load_state_directory(dir, reversed);
  EXPECT_EQ(got[0].name, "empty.rtd");
}

TEST(StateDirectory, NoStateIsNotFound) {
  temp_dir d;
  expect_error([&] { load_state_directory(d.path(), wanted()); }, errc::not_found, "MANIFEST");
  expect_error([&] { load_state_directory(d.path() / "nope", wanted()); }, errc::not_found, "does not exist");
}

TEST(StateDirectory, LostManifestWithPartsIsCorruptionNotAnEmptyState) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  fs::remove(d.path() / "MANIFEST");
  expect_error([&] { load_state_directory(d.path(), wanted()); }, errc::corrupted_state, "no MANIFEST");
}

TEST(StateDirectory, MissingPartNamesTheFile) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  for (const auto& f : listing(d.path()))
    if (f.rfind("vectors.rtd", 0) == 0) fs::remove(d.path() / f);
  expect_error([&] { load_state_directory(d.path(), wanted()); }, errc::corrupted_state, "vectors.rtd");
  expect_error([&] { load_state_directory(d.path(), wanted()); }, errc::corrupted_state, "missing");
}

TEST(StateDirectory, PartNotInManifestOrOfAnotherKind) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  auto w = wanted();
  w.push_back({"extra.rtd", "dedup.extra", 1, {}});
  expect_error([&] { load_state_directory(d.path(), w); }, errc::corrupted_state, "extra.rtd");
  w = wanted();
  w[0].kind = "dedup.other";
  expect_error([&] { load_state_directory(d.path(), w); }, errc::corrupted_state, "kind");
  w = wanted();
  w[1].version = 1;  // the part was written as version 2
  expect_error([&] { load_state_directory(d.path(), w); }, errc::incompatible, "newer");
}

TEST(StateDirectory, MixedGenerationIsDetected) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  std::map<std::string, std::vector<std::uint8_t>> gen1;
  for (const auto& f : listing(d.path())) gen1[f.substr(0, f.find(".g"))] = read_bytes(d.path() / f);
  save_state_directory(d.path(), sample_parts(2));
  // Someone copies yesterday's (valid on its own) documents file over today's.
  for (const auto& f : listing(d.path()))
    if (f.rfind("documents.rtd.g", 0) == 0) write_bytes(d.path() / f, gen1["documents.rtd"]);
  expect_error([&] { load_state_directory(d.path(), wanted()); }, errc::corrupted_state, "mixed generations");
  expect_error([&] { load_state_directory(d.path(), wanted()); }, errc::corrupted_state, "documents.rtd.g");
}

TEST(StateDirectory, CorruptManifestIsReported) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  const auto m = d.path() / "MANIFEST";
  const auto img = read_bytes(m);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    auto bad = img;
    if (trial % 2 == 0) {
      bad.resize(std::uniform_int_distribution<std::size_t>(0, img.size() - 1)(rng));
    } else {
      bad[std::uniform_int_distribution<std::size_t>(0, img.size() - 1)(rng)] ^=
          static_cast<std::uint8_t>(std::uniform_int_distribution<int>(1, 255)(rng));
    }
    write_bytes(m, bad);
    try {
      load_state_directory(d.path(), wanted());
      ADD_FAILURE() << "corrupt MANIFEST accepted (trial " << trial << ")";
    } catch (const error& e) {
      EXPECT_TRUE(e.code() == errc::corrupted_state || e.code() == errc::incompatible) << e.what();
      EXPECT_NE(std::string(e.what()).find("MANIFEST"), std::string::npos) << e.what();
    }
  }
  // A damaged MANIFEST does not stop the next save, and that save recovers a loadable state.
  save_state_directory(d.path(), sample_parts(3));
  EXPECT_EQ(load_state_directory(d.path(), wanted())[0].payload, sample_parts(3)[0].payload);
}

TEST(StateDirectory, CorruptPartsAreReportedWithTheirName) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  for (const auto& f : listing(d.path())) {
    if (f == "MANIFEST" || f == "LOCK") continue;
    const auto p = d.path() / f;
    const auto img = read_bytes(p);
    for (std::size_t cut : {std::size_t{0}, std::size_t{10}, std::size_t{63}, std::size_t{64}, img.size() - 1}) {
      if (cut >= img.size()) continue;
      write_bytes(p, std::vector<std::uint8_t>(img.begin(), img.begin() + static_cast<std::ptrdiff_t>(cut)));
      expect_error([&] { load_state_directory(d.path(), wanted()); }, errc::corrupted_state, f);
    }
    write_bytes(p, img);
    EXPECT_NO_THROW(load_state_directory(d.path(), wanted()));
  }
}

TEST(StateDirectory, InterruptedSaveLeavesPreviousStateAndIsCleanedUp) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  const auto manifest_before = read_bytes(d.path() / "MANIFEST");
  // Simulate a save killed before its MANIFEST rename: part files of a newer generation, a
  // half-written temporary and a MANIFEST temporary exist, the MANIFEST is the old one.
  write_state_file(d.path() / "documents.rtd.g00000000000000ff", "dedup.docs", 1, bytes_of("half"));
  write_bytes(d.path() / "vectors.rtd.g00000000000000ff.tmp.99999", bytes_of("partial"));
  write_bytes(d.path() / "MANIFEST.tmp.99999", bytes_of("partial"));
  auto got = load_state_directory(d.path(), wanted());
  EXPECT_EQ(got[0].payload, sample_parts(1)[0].payload);
  EXPECT_EQ(read_bytes(d.path() / "MANIFEST"), manifest_before);

  // The next save picks a generation above the leftovers (never overwriting) and removes them.
  save_state_directory(d.path(), sample_parts(2));
  got = load_state_directory(d.path(), wanted());
  EXPECT_EQ(got[0].payload, sample_parts(2)[0].payload);
  for (const auto& f : listing(d.path())) {
    EXPECT_EQ(f.find(".tmp."), std::string::npos) << f;
    EXPECT_EQ(f.find("g00000000000000ff"), std::string::npos) << f;
  }
  EXPECT_EQ(listing(d.path()).size(), 5u);
}

TEST(StateDirectory, LoadsDuringSavesAlwaysSeeAWholeGeneration) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  std::atomic<bool> done{false};
  std::atomic<int> loads{0}, failures{0};
  std::thread reader([&] {
    while (!done) {
      try {
        const auto got = load_state_directory(d.path(), wanted());
        byte_reader r(got[0].payload, "documents");
        const std::string label = r.str();
        const auto salt = static_cast<int>(r.u64());
        if (got[1].payload != sample_parts(salt)[1].payload) ++failures;  // parts of one save only
        ++loads;
      } catch (const error& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    }
  });
  for (int i = 2; i < 40; ++i) save_state_directory(d.path(), sample_parts(i));
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(loads.load(), 0);
}

TEST(StateDirectory, ForeignFilesAreLeftAlone) {
  temp_dir d;
  write_bytes(d.path() / "README.txt", bytes_of("mine"));
  save_state_directory(d.path(), sample_parts(1));
  save_state_directory(d.path(), sample_parts(2));
  EXPECT_TRUE(fs::exists(d.path() / "README.txt"));
}

TEST(StateDirectory, RejectsBadPartNames) {
  temp_dir d;
  for (const char* name : {"", "a/b", "MANIFEST", "LOCK", "..", "x.tmp.1", "x.g0000000000000001"}) {
    std::vector<state_part> parts = {{name, "k", 1, {}}};
    expect_error([&] { save_state_directory(d.path(), parts); }, errc::invalid_argument, "name");
  }
  std::vector<state_part> twice = {{"a", "k", 1, {}}, {"a", "k", 1, {}}};
  expect_error([&] { save_state_directory(d.path(), twice); }, errc::invalid_argument, "twice");
}
