// Tests of the state store: byte order, every corruption mode, atomic directory generations.
#include "store/state_file.hpp"

#include <retold/dedup.hpp>

#include <gtest/gtest.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <atomic>
#include <random>
#include <set>
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

namespace {

// Collects what a streaming byte_writer hands over, counting the calls.
struct collecting_sink final : payload_sink {
  std::vector<std::uint8_t> bytes;
  std::size_t calls = 0, largest = 0;
  void write(std::span<const std::uint8_t> b) override {
    bytes.insert(bytes.end(), b.begin(), b.end());
    ++calls;
    largest = std::max(largest, b.size());
  }
};

// Every kind of write, including bytes appended to buffer() directly (as serialize_sketch does).
void write_sample(byte_writer& w) {
  std::vector<float> f(5000);
  std::vector<std::uint32_t> u(3000);
  std::vector<std::uint64_t> l(700);
  for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(i) * 0.25f - 7.0f;
  for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::uint32_t>(i * 2654435761u);
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = i * 0x9E3779B97F4A7C15ull;
  const std::vector<std::uint8_t> blob(10000, 0x5A);
  for (int round = 0; round < 3; ++round) {
    w.u8(static_cast<std::uint8_t>(round));
    w.u32(0x01020304u + round);
    w.u64(0x1122334455667788ull);
    w.i64(-42 - round);
    w.f32(3.5f);
    w.f64(-2.25);
    w.str(std::string(static_cast<std::size_t>(round) * 3000, 'x'));
    w.bytes(blob);
    w.u32_array(u);
    w.f32_array(f);
    w.u64_array(l);
    for (int k = 0; k < 100; ++k) w.buffer().push_back(static_cast<std::uint8_t>(k));
    w.str("");
  }
}

}  // namespace

TEST(ByteWriterReader, StreamingHandsOverExactlyTheBufferedBytesInBoundedPieces) {
  byte_writer whole;
  write_sample(whole);
  ASSERT_GT(whole.buffer().size(), 100000u);
  for (std::size_t flush_at : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, std::size_t{1} << 20}) {
    collecting_sink sink;
    byte_writer w(sink, flush_at);
    write_sample(w);
    w.flush();
    EXPECT_TRUE(w.buffer().empty());
    EXPECT_TRUE(sink.bytes == whole.buffer()) << "flush at " << flush_at;
    if (flush_at < whole.buffer().size()) {
      EXPECT_GT(sink.calls, 1u) << "flush at " << flush_at;
      // A piece is the threshold plus at most one item: the 10,000-byte blob here, or one array
      // piece of about flush_at bytes, or a 6,000-byte string.
      EXPECT_LE(sink.largest, std::max<std::size_t>(2 * flush_at + 16, 10000)) << "flush at " << flush_at;
    }
  }
  // Without a sink flush() changes nothing.
  byte_writer plain;
  plain.u32(7);
  plain.flush();
  EXPECT_EQ(plain.buffer().size(), 4u);
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

namespace {

// sample_parts(salt) as streamed sources, the payloads handed over in pieces of `piece` bytes.
std::vector<state_part_source> sources_of(const std::vector<state_part>& parts, std::size_t piece) {
  std::vector<state_part_source> out;
  for (const auto& p : parts)
    out.push_back({p.name, p.kind, p.version, [&p, piece](payload_sink& sink) {
                     for (std::size_t i = 0; i < p.payload.size(); i += piece)
                       sink.write(std::span(p.payload).subspan(i, std::min(piece, p.payload.size() - i)));
                   }});
  return out;
}

}  // namespace

TEST(StateDirectory, StreamedPartsAreTheSameFilesAsInMemoryOnes) {
  temp_dir a, b;
  const auto parts = sample_parts(3);
  save_state_directory(a.path(), parts);
  std::size_t called = 0;
  std::vector<std::string> at_callback;
  save_state_directory(b.path(), sources_of(parts, 13), {}, [&] {
    ++called;
    at_callback = listing(b.path());
  });
  EXPECT_EQ(called, 1u);
  // When the callback runs every payload is written but nothing is published yet: only the
  // lock file and the temporaries exist.
  ASSERT_EQ(at_callback.size(), parts.size() + 1);
  for (const auto& f : at_callback) EXPECT_TRUE(f == "LOCK" || f.find(".tmp.") != std::string::npos) << f;
  EXPECT_EQ(listing(a.path()), listing(b.path()));
  for (const auto& f : listing(a.path())) EXPECT_EQ(read_bytes(a.path() / f), read_bytes(b.path() / f)) << f;
  const auto got = load_state_directory(b.path(), wanted());
  for (std::size_t i = 0; i < parts.size(); ++i) EXPECT_EQ(got[i].payload, parts[i].payload);
}

TEST(StateDirectory, APartWriterThatThrowsLeavesThePreviousStateAndNoFiles) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  const auto before = listing(d.path());
  const auto manifest_before = read_bytes(d.path() / "MANIFEST");
  const auto parts = sample_parts(2);
  for (std::size_t failing = 0; failing < parts.size(); ++failing) {
    auto sources = sources_of(parts, 5);
    sources[failing].write = [&](payload_sink& sink) {
      sink.write(parts[failing].payload);
      throw error(errc::io, "disk on fire");
    };
    bool called = false;
    expect_error([&] { save_state_directory(d.path(), sources, {}, [&] { called = true; }); }, errc::io,
                 "disk on fire");
    EXPECT_FALSE(called);
    EXPECT_EQ(listing(d.path()), before) << "part " << failing;
    EXPECT_EQ(read_bytes(d.path() / "MANIFEST"), manifest_before);
  }
  const auto got = load_state_directory(d.path(), wanted());
  EXPECT_EQ(got[0].payload, sample_parts(1)[0].payload);
}

TEST(StateDirectory, AConflictingSaveProducesNoPayload) {
  temp_dir d;
  const state_stamp first = save_state_directory(d.path(), sample_parts(1));
  save_state_directory(d.path(), sample_parts(2));  // another writer: generation 2
  const auto third = sample_parts(3);
  auto sources = sources_of(third, 64);
  bool produced = false;
  for (auto& s : sources) s.write = [&](payload_sink&) { produced = true; };
  const state_stamp known[] = {first};
  expect_error([&] { save_state_directory(d.path(), sources, {.replace = false, .known = known}); }, errc::conflict,
               "another writer");
  EXPECT_FALSE(produced);
}

TEST(StateDirectory, AReaderReadsPartsOneAtATimeAndChecksEachWhenRead) {
  temp_dir d;
  const auto parts = sample_parts(4);
  const state_stamp saved = save_state_directory(d.path(), parts);
  const state_directory_reader reader(d.path(), wanted());
  EXPECT_EQ(reader.stamp().generation, saved.generation);
  EXPECT_TRUE(reader.stamp().same_directory(saved));
  for (std::size_t i = parts.size(); i-- > 0;) {  // any order
    const auto p = reader.read(i);
    EXPECT_EQ(p.name, parts[i].name);
    EXPECT_EQ(p.version, parts[i].version);
    EXPECT_EQ(p.payload, parts[i].payload);
  }
  // A part damaged after the MANIFEST was read is reported when it is read, naming its file.
  auto img = read_bytes(d.path() / "vectors.rtd.g0000000000000001");
  img.back() ^= 0x01;
  write_bytes(d.path() / "vectors.rtd.g0000000000000001", img);
  expect_error([&] { (void)reader.read(1); }, errc::corrupted_state, "vectors.rtd.g0000000000000001");
  EXPECT_EQ(reader.read(0).payload, parts[0].payload);
  expect_error([&] { (void)reader.read(3); }, errc::internal, "no part 3");
  // Manifest-level problems are found when the reader is made.
  const std::vector<state_part> extra = {{"missing.rtd", "dedup.docs", 1, {}}};
  expect_error([&] { state_directory_reader r(d.path(), extra); }, errc::corrupted_state, "lists no part 'missing.rtd'");
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
  for (const char* name : {"", "a/b", "MANIFEST", "LOCK", "WRITER", "..", "x.tmp.1", "x.g0000000000000001"}) {
    std::vector<state_part> parts = {{name, "k", 1, {}}};
    expect_error([&] { save_state_directory(d.path(), parts); }, errc::invalid_argument, "name");
  }
  std::vector<state_part> twice = {{"a", "k", 1, {}}, {"a", "k", 1, {}}};
  expect_error([&] { save_state_directory(d.path(), twice); }, errc::invalid_argument, "twice");
}

// ---- two writers: the generation check (save_precondition)

TEST(StateDirectory, SaveOverAnotherGenerationIsRefused) {
  temp_dir d;
  // A first save expecting no state succeeds and reports its generation.
  const state_stamp first = save_state_directory(d.path(), sample_parts(1), {.replace = false, .known = {}});
  EXPECT_GE(first.generation, 1u);
  state_stamp read;
  load_state_directory(d.path(), wanted(), &read);
  EXPECT_EQ(read.generation, first.generation);
  EXPECT_TRUE(read.same_directory(first));

  // Writers A and B both read `first`; A saves, then B's save is refused and writes nothing.
  const std::vector<state_stamp> known = {read};
  const state_stamp a = save_state_directory(d.path(), sample_parts(2), {.replace = false, .known = known});
  EXPECT_EQ(a.generation, first.generation + 1);
  const auto files_before = [&] {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(d.path())) names.insert(e.path().filename().string());
    return names;
  };
  const auto before = files_before();
  expect_error([&] { save_state_directory(d.path(), sample_parts(3), {.replace = false, .known = known}); },
               errc::conflict, "generation " + std::to_string(a.generation));
  expect_error([&] { save_state_directory(d.path(), sample_parts(3), {.replace = false, .known = known}); },
               errc::conflict, "another writer");
  EXPECT_EQ(files_before(), before);
  EXPECT_EQ(load_state_directory(d.path(), wanted())[0].payload, sample_parts(2)[0].payload);

  // Knowing nothing of the directory means expecting no state: refused over A's.
  expect_error([&] { save_state_directory(d.path(), sample_parts(4), {.replace = false, .known = {}}); },
               errc::conflict, "did not load");
  // A stamp of another directory does not count for this one.
  temp_dir other;
  const state_stamp elsewhere = save_state_directory(other.path(), sample_parts(5), {.replace = false, .known = {}});
  const std::vector<state_stamp> wrong_dir = {{elsewhere.device, elsewhere.inode, a.generation}};
  expect_error([&] { save_state_directory(d.path(), sample_parts(4), {.replace = false, .known = wrong_dir}); },
               errc::conflict, "did not load");
  // The same directory through another path (a symlink) is the same state.
  const fs::path link = other.path() / "link";
  fs::create_directory_symlink(d.path(), link);
  const std::vector<state_stamp> known_a = {a};
  EXPECT_NO_THROW(save_state_directory(link, sample_parts(6), {.replace = false, .known = known_a}));
  // replace: whatever is there.
  EXPECT_NO_THROW(save_state_directory(d.path(), sample_parts(7), {.replace = true, .known = {}}));
  EXPECT_EQ(load_state_directory(d.path(), wanted())[0].payload, sample_parts(7)[0].payload);
}

TEST(StateDirectory, SaveOverALostOrUnreadableManifestNeedsReplace) {
  temp_dir d;
  const state_stamp s1 = save_state_directory(d.path(), sample_parts(1), {.replace = false, .known = {}});
  const std::vector<state_stamp> known = {s1};
  auto manifest = read_bytes(d.path() / "MANIFEST");
  auto damaged = manifest;
  damaged.back() ^= 0x40;
  write_bytes(d.path() / "MANIFEST", damaged);
  expect_error([&] { save_state_directory(d.path(), sample_parts(2), {.replace = false, .known = known}); },
               errc::conflict, "cannot read");
  fs::remove(d.path() / "MANIFEST");
  expect_error([&] { save_state_directory(d.path(), sample_parts(2), {.replace = false, .known = {}}); },
               errc::conflict, "no MANIFEST");
  EXPECT_NO_THROW(save_state_directory(d.path(), sample_parts(2), {.replace = true, .known = {}}));
  EXPECT_EQ(load_state_directory(d.path(), wanted())[0].payload, sample_parts(2)[0].payload);
}

// Many rounds of two threads that read the same generation and save at the same moment: exactly
// one save wins each round, and the state holds the winner's parts.
TEST(StateDirectory, ConcurrentSavesOfOneGenerationExactlyOneWins) {
  temp_dir d;
  save_state_directory(d.path(), sample_parts(1));
  for (int round = 0; round < 50; ++round) {
    state_stamp seen;
    load_state_directory(d.path(), wanted(), &seen);
    const std::vector<state_stamp> known = {seen};
    std::atomic<int> ready{0}, wins{0}, conflicts{0}, winner{-1};
    auto writer = [&](int salt) {
      ++ready;
      while (ready.load() < 2) {
      }
      try {
        save_state_directory(d.path(), sample_parts(salt), {.replace = false, .known = known});
        ++wins;
        winner = salt;
      } catch (const error& e) {
        if (e.code() == errc::conflict) ++conflicts;
      }
    };
    std::thread t1(writer, 100 + round), t2(writer, 200 + round);
    t1.join();
    t2.join();
    ASSERT_EQ(wins.load(), 1) << "round " << round;
    ASSERT_EQ(conflicts.load(), 1) << "round " << round;
    ASSERT_EQ(load_state_directory(d.path(), wanted())[0].payload, sample_parts(winner.load())[0].payload);
  }
}

// The library-level check through retold::deduplicator: two deduplicators load one state, both
// add, both save; the second save is refused and the first one's work stays on disk, loadable.
namespace {
retold::deduplicator_options small_options() {
  retold::deduplicator_options o;
  o.embedding = retold::embedding_mode::none;
  o.threads = 1;
  return o;
}
void add_docs(retold::deduplicator& d, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string id = prefix + std::to_string(i);
    const std::string text = "report number " + std::to_string(i) + " filed by " + prefix + " about the harbour";
    d.add({.id = id, .text = text, .title = {}, .timestamp = 1700000000 + i, .source = prefix, .vector = {}});
  }
}
}  // namespace

TEST(DeduplicatorSave, SecondWriterOfOneGenerationGetsConflictAndTheFirstIsKept) {
  temp_dir t;
  const fs::path dir = t.path() / "state";
  {
    retold::deduplicator night1(small_options());
    add_docs(night1, "base-", 10);
    night1.save(dir);
  }
  auto a = retold::deduplicator::load(dir);
  auto b = retold::deduplicator::load(dir);
  add_docs(a, "a-", 22);
  add_docs(b, "b-", 22);
  a.save(dir);
  try {
    b.save(dir);
    FAIL() << "the second writer's save was accepted: the first one's documents would be lost";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::conflict) << e.what();
    const std::string msg = e.what();
    EXPECT_NE(msg.find(dir.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("another writer"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Load the state again"), std::string::npos) << msg;
  }
  // The first writer's work is on disk, whole and loadable; none of b's is.
  auto back = retold::deduplicator::load(dir);
  EXPECT_EQ(back.stats().documents, 32u);
  EXPECT_TRUE(back.contains("a-21"));
  EXPECT_FALSE(back.contains("b-0"));
  // a's later saves go on (it knows the generation it wrote); b may reload and re-add.
  add_docs(a, "a2-", 1);
  EXPECT_NO_THROW(a.save(dir));
  auto b2 = retold::deduplicator::load(dir);
  add_docs(b2, "b-", 22);
  EXPECT_NO_THROW(b2.save(dir));
  EXPECT_EQ(retold::deduplicator::load(dir).stats().documents, 55u);
  // b, still stale, stays refused; replace overwrites on purpose.
  EXPECT_THROW(b.save(dir), error);
  EXPECT_NO_THROW(b.save(dir, retold::save_mode::replace));
  EXPECT_EQ(retold::deduplicator::load(dir).stats().documents, 32u);
  EXPECT_NO_THROW(b.save(dir));  // b's own generation now
}

TEST(DeduplicatorSave, AFreshDeduplicatorDoesNotReplaceAnExistingState) {
  temp_dir t;
  const fs::path dir = t.path() / "state";
  retold::deduplicator first(small_options());
  add_docs(first, "x-", 5);
  first.save(dir);
  first.save(dir);  // its own state: fine, again and again
  retold::deduplicator fresh(small_options());
  try {
    fresh.save(dir);
    FAIL() << "a deduplicator that never loaded the state replaced it";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::conflict) << e.what();
    EXPECT_NE(std::string(e.what()).find("did not load"), std::string::npos) << e.what();
  }
  EXPECT_EQ(retold::deduplicator::load(dir).stats().documents, 5u);
  // A deduplicator saving to two directories keeps a stamp for each.
  const fs::path backup = t.path() / "backup";
  first.save(backup);
  add_docs(first, "y-", 1);
  EXPECT_NO_THROW(first.save(dir));
  EXPECT_NO_THROW(first.save(backup));
  fresh.save(dir, retold::save_mode::replace);
  EXPECT_EQ(retold::deduplicator::load(dir).stats().documents, 0u);
}

TEST(DeduplicatorSave, ConcurrentSavesOfOneDeduplicatorNeverConflict) {
  temp_dir t;
  const fs::path dir = t.path() / "state";
  retold::deduplicator d(small_options());
  add_docs(d, "z-", 20);
  std::atomic<int> errors{0};
  std::vector<std::thread> savers;
  for (int i = 0; i < 4; ++i)
    savers.emplace_back([&] {
      for (int k = 0; k < 10; ++k) {
        try {
          d.save(dir);
        } catch (const error&) {
          ++errors;
        }
      }
    });
  for (auto& th : savers) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(retold::deduplicator::load(dir).stats().documents, 20u);
}

// A directory that holds no state has nothing to lose: the state a deduplicator knew there was
// deleted (or the directory's inode was reused by a new, empty directory), so its next save
// writes afresh instead of reporting another writer.
TEST(DeduplicatorSave, AStateDeletedUnderTheWriterIsSavedAfresh) {
  temp_dir t;
  const fs::path dir = t.path() / "state";
  retold::deduplicator d(small_options());
  add_docs(d, "x-", 3);
  d.save(dir);
  fs::remove_all(dir);
  fs::create_directories(dir);  // often gets the same inode back
  EXPECT_NO_THROW(d.save(dir));
  EXPECT_EQ(retold::deduplicator::load(dir).stats().documents, 3u);
  fs::remove_all(dir);
  EXPECT_NO_THROW(d.save(dir));  // gone altogether: created again
  EXPECT_EQ(retold::deduplicator::load(dir).stats().documents, 3u);
}
