// src/store/state_file.cpp - checked, atomically written state files and state directories.
//
// File layout (all integers little-endian):
//   offset  size  field
//        0     8  magic "RETOLDST"
//        8     4  u32 payload format version (the caller's, e.g. the deduplicator's format)
//       12     4  u32 byte-order mark 0x01020304 (reads as 0x04030201 on a byte-swapped file)
//       16    16  kind tag, ASCII, zero-padded ("dedup.docs", "manifest", ...)
//       32     8  u64 payload length in bytes
//       40     8  u64 XXH64 of the payload (seed 0)
//       48     4  u32 container version (1: this layout)
//       52     4  u32 reserved, zero
//       56     8  u64 XXH64 of bytes 0..56 (seed 0)
//       64     -  payload
// The header checksum makes a damaged length or kind field fail loudly instead of being trusted.
#include "store/state_file.hpp"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace retold::detail {

namespace {

constexpr char kMagic[8] = {'R', 'E', 'T', 'O', 'L', 'D', 'S', 'T'};
constexpr std::uint32_t kByteOrderMark = 0x01020304u;
constexpr std::uint32_t kContainerVersion = 1;
constexpr std::size_t kHeaderSize = 64;
constexpr std::size_t kKindSize = 16;

constexpr std::string_view kManifestName = "MANIFEST";
constexpr std::string_view kManifestKind = "manifest";
constexpr std::uint32_t kManifestVersion = 1;
constexpr std::string_view kLockName = "LOCK";

void store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

[[noreturn]] void throw_io(const std::string& what, const std::filesystem::path& path, int err) {
  throw error(errc::io, what + " " + path.string() + ": " + std::strerror(err));
}
[[noreturn]] void throw_corrupt(const std::filesystem::path& path, const std::string& why) {
  throw error(errc::corrupted_state, "state file " + path.string() + ": " + why);
}

// Closes a descriptor on scope exit unless released.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

void write_all(int fd, const std::uint8_t* data, std::size_t n, const std::filesystem::path& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, std::min<std::size_t>(n, std::size_t{1} << 30));
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot write", path, errno);
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
}

void fsync_directory(const std::filesystem::path& dir) {
  const std::filesystem::path d = dir.empty() ? std::filesystem::path(".") : dir;
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_io("cannot open directory", d, errno);
  fd_guard g{fd};
  if (::fsync(fd) != 0 && errno != EINVAL) throw_io("cannot fsync directory", d, errno);
}

std::array<std::uint8_t, kHeaderSize> make_header(std::string_view kind, std::uint32_t version,
                                                  std::uint64_t payload_size, std::uint64_t payload_hash) {
  std::array<std::uint8_t, kHeaderSize> h{};
  std::memcpy(h.data(), kMagic, 8);
  store_le32(h.data() + 8, version);
  store_le32(h.data() + 12, kByteOrderMark);
  std::memcpy(h.data() + 16, kind.data(), kind.size());
  store_le64(h.data() + 32, payload_size);
  store_le64(h.data() + 40, payload_hash);
  store_le32(h.data() + 48, kContainerVersion);
  store_le32(h.data() + 52, 0);
  store_le64(h.data() + 56, XXH64(h.data(), 56, 0));
  return h;
}

std::string kind_of_header(const std::uint8_t* h) {
  std::size_t n = 0;
  while (n < kKindSize && h[16 + n] != 0) ++n;
  return std::string(reinterpret_cast<const char*>(h + 16), n);
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::vector<std::uint8_t> read_whole_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw error(errc::not_found, "state file " + path.string() + " does not exist");
    throw_io("cannot open", path, errno);
  }
  fd_guard g{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_io("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) throw_corrupt(path, "not a regular file");
  std::vector<std::uint8_t> data(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < data.size()) {
    const ssize_t r = ::read(fd, data.data() + got, data.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_io("cannot read", path, errno);
    }
    if (r == 0) break;  // shrank under us: the checks below report it as truncated
    got += static_cast<std::size_t>(r);
  }
  data.resize(got);
  return data;
}

// Checks a whole file image; returns the payload range [64, 64 + len).
std::span<const std::uint8_t> check_image(const std::filesystem::path& path, std::span<const std::uint8_t> img,
                                          std::string_view kind, std::uint32_t max_version,
                                          std::uint32_t* version_out) {
  if (img.size() < kHeaderSize) {
    if (img.size() >= 8 && std::memcmp(img.data(), kMagic, 8) != 0)
      throw_corrupt(path, "bad magic (not a retold state file)");
    throw_corrupt(path, "truncated: " + std::to_string(img.size()) + " bytes, shorter than the " +
                            std::to_string(kHeaderSize) + "-byte header");
  }
  const std::uint8_t* h = img.data();
  if (std::memcmp(h, kMagic, 8) != 0) throw_corrupt(path, "bad magic (not a retold state file)");
  if (XXH64(h, 56, 0) != load_le64(h + 56)) throw_corrupt(path, "header checksum mismatch (damaged header)");
  const std::uint32_t bom = load_le32(h + 12);
  if (bom != kByteOrderMark)
    throw_corrupt(path, bom == 0x04030201u ? "written with the opposite byte order" : "bad byte-order mark");
  const std::uint32_t container = load_le32(h + 48);
  if (container != kContainerVersion)
    throw error(errc::incompatible, "state file " + path.string() + ": container version " +
                                        std::to_string(container) + " is not supported (this build reads " +
                                        std::to_string(kContainerVersion) + ")");
  const std::string got_kind = kind_of_header(h);
  if (got_kind != kind)
    throw_corrupt(path, "wrong kind: holds '" + printable(got_kind) + "', expected '" + std::string(kind) + "'");
  const std::uint32_t version = load_le32(h + 8);
  if (version > max_version)
    throw error(errc::incompatible, "state file " + path.string() + ": format version " + std::to_string(version) +
                                        " is newer than this build reads (" + std::to_string(max_version) +
                                        "); upgrade retold");
  if (version == 0) throw_corrupt(path, "format version 0 is invalid");
  const std::uint64_t len = load_le64(h + 32);
  const std::uint64_t have = img.size() - kHeaderSize;
  if (len > have)
    throw_corrupt(path, "truncated: header announces " + std::to_string(len) + " payload bytes, file holds " +
                            std::to_string(have));
  if (len < have)
    throw_corrupt(path, std::to_string(have - len) + " unexpected bytes after the payload");
  const auto payload = img.subspan(kHeaderSize, static_cast<std::size_t>(len));
  if (XXH64(payload.data(), payload.size(), 0) != load_le64(h + 40))
    throw_corrupt(path, "payload checksum mismatch (damaged data)");
  if (version_out) *version_out = version;
  return payload;
}

void validate_kind(std::string_view kind) {
  if (kind.empty() || kind.size() > kKindSize)
    throw error(errc::invalid_argument, "state file kind '" + std::string(kind) + "' must be 1..16 bytes");
  if (kind.find('\0') != std::string_view::npos)
    throw error(errc::invalid_argument, "state file kind must not contain NUL");
}

// A state file being written: the payload streams into "<path>.tmp.<pid>" behind a placeholder
// header while its XXH64 is computed; finish() then writes the real header at offset 0, so the
// file holds exactly the bytes of a payload written at once. commit() makes it durable and renames
// it to `path` (the caller fsyncs the directory). Until committed, the destructor removes the
// temporary file (a failed or abandoned write leaves nothing).
class streaming_file final : public payload_sink {
 public:
  streaming_file(std::filesystem::path path, std::string_view kind, std::uint32_t version)
      : path_(std::move(path)), kind_(kind), version_(version), hash_(XXH64_createState()) {
    validate_kind(kind);
    if (version == 0) throw error(errc::invalid_argument, "state file version must be >= 1");
    if (!hash_) throw std::bad_alloc();
    XXH64_reset(hash_.get(), 0);
    tmp_ = path_;
    tmp_ += ".tmp." + std::to_string(::getpid());
    fd_.fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_.fd < 0) throw_io("cannot create", tmp_, errno);
    const std::array<std::uint8_t, kHeaderSize> placeholder{};
    write_all(fd_.fd, placeholder.data(), placeholder.size(), tmp_);
  }
  streaming_file(const streaming_file&) = delete;
  streaming_file& operator=(const streaming_file&) = delete;
  ~streaming_file() {
    if (committed_) return;
    if (fd_.fd >= 0) ::close(fd_.release());
    ::unlink(tmp_.c_str());
  }

  void write(std::span<const std::uint8_t> bytes) override {
    if (finished_) throw error(errc::internal, "state file " + tmp_.string() + ": write after finish");
    XXH64_update(hash_.get(), bytes.data(), bytes.size());
    write_all(fd_.fd, bytes.data(), bytes.size(), tmp_);
    size_ += bytes.size();
  }
  /// The payload is complete: writes the header. size() and hash() are final from here on.
  void finish() {
    hash_value_ = XXH64_digest(hash_.get());
    const auto header = make_header(kind_, version_, size_, hash_value_);
    std::size_t done = 0;
    while (done < header.size()) {
      const ssize_t w = ::pwrite(fd_.fd, header.data() + done, header.size() - done, static_cast<off_t>(done));
      if (w < 0) {
        if (errno == EINTR) continue;
        throw_io("cannot write", tmp_, errno);
      }
      done += static_cast<std::size_t>(w);
    }
    finished_ = true;
  }
  /// fsync, close, rename over `path`. On failure the temporary file is removed (destructor).
  void commit() {
    if (::fsync(fd_.fd) != 0) throw_io("cannot fsync", tmp_, errno);
    if (::close(fd_.release()) != 0) throw_io("cannot close", tmp_, errno);
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw_io("cannot rename to " + path_.string() + " from", tmp_, errno);
    committed_ = true;
  }
  std::uint64_t size() const noexcept { return size_; }
  std::uint64_t hash() const noexcept { return hash_value_; }

 private:
  struct free_state {
    void operator()(XXH64_state_t* p) const noexcept { XXH64_freeState(p); }
  };
  std::filesystem::path path_, tmp_;
  std::string kind_;
  std::uint32_t version_;
  std::unique_ptr<XXH64_state_t, free_state> hash_;
  fd_guard fd_;
  std::uint64_t size_ = 0, hash_value_ = 0;
  bool finished_ = false, committed_ = false;
};

// "documents.rtd.g000000000000000007" -> (documents.rtd, 7)
constexpr std::string_view kGenMark = ".g";
constexpr int kGenDigits = 16;

std::string generation_file(std::string_view name, std::uint64_t gen) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen));
  return std::string(name) + std::string(kGenMark) + buf;
}

// Parses the generation suffix; nullopt when `file` does not carry one.
std::optional<std::uint64_t> generation_of(std::string_view file) {
  if (file.size() < kGenMark.size() + kGenDigits + 1) return std::nullopt;
  const auto digits = file.substr(file.size() - kGenDigits);
  if (file.substr(file.size() - kGenDigits - kGenMark.size(), kGenMark.size()) != kGenMark) return std::nullopt;
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
  if (ec != std::errc{} || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

bool is_temp_file(std::string_view file) { return file.find(".tmp.") != std::string_view::npos; }

struct manifest_entry {
  std::string name;
  std::string file;
  std::string kind;
  std::uint32_t version = 0;
  std::uint64_t payload_size = 0;
  std::uint64_t payload_hash = 0;
};

struct manifest {
  std::uint64_t generation = 0;
  std::vector<manifest_entry> entries;
};

manifest parse_manifest(const std::filesystem::path& path, std::span<const std::uint8_t> payload) {
  byte_reader r(payload, path.string());
  manifest m;
  m.generation = r.u64();
  const std::uint64_t n = r.u64();
  if (n > r.remaining()) r.fail("entry count " + std::to_string(n) + " exceeds the file");
  for (std::uint64_t i = 0; i < n; ++i) {
    manifest_entry e;
    e.name = r.str(4096);
    e.file = r.str(4096);
    e.kind = r.str(kKindSize);
    e.version = r.u32();
    e.payload_size = r.u64();
    e.payload_hash = r.u64();
    if (e.file.find('/') != std::string::npos || e.file.empty() || e.file == "." || e.file == "..")
      r.fail("entry '" + printable(e.file) + "' is not a plain file name");
    m.entries.push_back(std::move(e));
  }
  r.expect_end();
  return m;
}

std::optional<manifest> try_read_manifest(const std::filesystem::path& dir) {
  try {
    const auto path = dir / kManifestName;
    const auto payload = read_state_file(path, kManifestKind, kManifestVersion);
    return parse_manifest(path, payload);
  } catch (const error&) {
    return std::nullopt;
  }
}

void validate_part_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.find('/') != std::string_view::npos || name == "." ||
      name == ".." || name == kManifestName || name == kLockName || name == writer_lock_name ||
      name.find('\0') != std::string_view::npos ||
      is_temp_file(name) || generation_of(name))
    throw error(errc::invalid_argument, "state part name '" + printable(name) + "' is not a valid file name");
}

// An advisory lock on <dir>/LOCK: exclusive for a saver, so two savers cannot interleave their
// cleanup; shared for a loader, so a save cannot delete the generation being read. A loader that
// cannot create the lock file (read-only directory) reads without it.
class dir_lock {
 public:
  dir_lock(const std::filesystem::path& dir, bool exclusive) {
    const auto path = dir / kLockName;
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0 && !exclusive) fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      if (!exclusive) return;
      throw_io("cannot open lock file", path, errno);
    }
    while (::flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd_);
      throw_io("cannot lock", path, err);
    }
  }
  ~dir_lock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  dir_lock(const dir_lock&) = delete;
  dir_lock& operator=(const dir_lock&) = delete;

 private:
  int fd_ = -1;
};

state_stamp stamp_of_directory(const std::filesystem::path& dir, std::uint64_t generation) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) throw_io("cannot stat state directory", dir, errno);
  return {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino), generation};
}

std::string generation_text(std::uint64_t g) { return g == 0 ? "no state" : "generation " + std::to_string(g); }

// Under the exclusive lock: refuses (errc::conflict) unless `dir` holds the state `pre` expects.
void check_precondition(const std::filesystem::path& dir, const save_precondition& pre) {
  if (pre.replace) return;
  const state_stamp here = stamp_of_directory(dir, 0);
  std::optional<std::uint64_t> expected;
  for (const auto& k : pre.known)
    if (k.same_directory(here)) expected = k.generation;
  const std::string how_to_replace = " Nothing was written. To overwrite it anyway, save with replace.";

  const auto mpath = dir / kManifestName;
  std::error_code ec;
  std::uint64_t found = 0;
  const bool has_manifest = std::filesystem::exists(mpath, ec);
  if (ec) throw error(errc::io, "cannot access state directory " + dir.string() + ": " + ec.message());
  if (has_manifest) {
    try {
      const auto payload = read_state_file(mpath, kManifestKind, kManifestVersion);
      found = parse_manifest(mpath, payload).generation;
    } catch (const error& e) {
      throw error(errc::conflict, "save: state directory " + dir.string() +
                                      " holds a MANIFEST this save cannot read (" + e.what() +
                                      "), so it cannot tell whose state it is." + how_to_replace);
    }
  } else {
    std::size_t orphans = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
      if (generation_of(entry.path().filename().string())) ++orphans;
    if (ec) throw error(errc::io, "cannot list state directory " + dir.string() + ": " + ec.message());
    if (orphans > 0)
      throw error(errc::conflict, "save: state directory " + dir.string() + " has no MANIFEST but holds " +
                                      std::to_string(orphans) +
                                      " part file(s) of a saved state (its MANIFEST was lost)." + how_to_replace);
  }
  const std::uint64_t want = expected.value_or(0);
  // A directory that holds no state has nothing to lose: a save there is never a conflict (the
  // state this deduplicator knew there was deleted, or the directory's inode was reused by a new,
  // empty one).
  if (found == want || found == 0) return;
  if (!expected)
    throw error(errc::conflict, "save: state directory " + dir.string() + " already holds a saved state (" +
                                    generation_text(found) +
                                    ") that this deduplicator did not load. Nothing was written. Load that state "
                                    "and add to it, save somewhere else, or save with replace to overwrite it.");
  throw error(errc::conflict, "save: state directory " + dir.string() + " holds " + generation_text(found) +
                                  ", but this deduplicator loaded or last saved " + generation_text(want) +
                                  " there: another writer saved in between. Nothing was written. Load the state "
                                  "again and re-add this run's documents (or save with replace to overwrite the "
                                  "other writer's work).");
}

}  // namespace

// ---- single files

void write_state_file(const std::filesystem::path& path, std::string_view kind, std::uint32_t version,
                      std::span<const std::uint8_t> payload) {
  streaming_file f(path, kind, version);
  f.write(payload);
  f.finish();
  f.commit();
  fsync_directory(path.parent_path());
}

std::vector<std::uint8_t> read_state_file(const std::filesystem::path& path, std::string_view kind,
                                          std::uint32_t max_version, std::uint32_t* version_out) {
  auto img = read_whole_file(path);
  const auto payload = check_image(path, img, kind, max_version, version_out);
  // Move the payload to the front in place rather than copying the (possibly large) image.
  std::memmove(img.data(), payload.data(), payload.size());
  img.resize(payload.size());
  return img;
}

// ---- directories

state_stamp save_state_directory(const std::filesystem::path& dir, std::span<const state_part> parts,
                                 const save_precondition& pre) {
  std::vector<state_part_source> sources;
  sources.reserve(parts.size());
  for (const auto& p : parts)
    sources.push_back({p.name, p.kind, p.version, [&p](payload_sink& sink) { sink.write(p.payload); }});
  return save_state_directory(dir, sources, pre);
}

state_stamp save_state_directory(const std::filesystem::path& dir, std::span<const state_part_source> parts,
                                 const save_precondition& pre, const std::function<void()>& payloads_written) {
  std::set<std::string> names;
  for (const auto& p : parts) {
    validate_part_name(p.name);
    validate_kind(p.kind);
    if (p.version == 0) throw error(errc::invalid_argument, "state part '" + p.name + "': version must be >= 1");
    if (!p.write) throw error(errc::invalid_argument, "state part '" + p.name + "' has no writer");
    if (!names.insert(p.name).second)
      throw error(errc::invalid_argument, "state part '" + p.name + "' is given twice");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw error(errc::io, "cannot create state directory " + dir.string() + ": " + ec.message());

  dir_lock lock(dir, /*exclusive=*/true);
  check_precondition(dir, pre);

  // The new generation is above both the MANIFEST's and every generation-named file present, so no
  // file the current MANIFEST names (nor any leftover) is ever overwritten.
  std::uint64_t gen = 0;
  if (auto m = try_read_manifest(dir)) gen = m->generation;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (auto g = generation_of(entry.path().filename().string()); g && *g > gen) gen = *g;
  }
  if (ec) throw error(errc::io, "cannot list state directory " + dir.string() + ": " + ec.message());
  ++gen;

  manifest m;
  m.generation = gen;
  // A save that fails before its commit point (disk full, EFBIG, EIO) removes the part files it
  // wrote, so a full disk is not left fuller by a generation nobody will ever load. Temporary
  // files not yet renamed are removed by their streaming_file.
  auto remove_new_parts = [&] {
    for (const auto& e : m.entries) {
      std::error_code rm;
      std::filesystem::remove(dir / e.file, rm);
    }
  };
  {
    // All parts are written first and made durable afterwards, so `payloads_written` lets the
    // caller go on (release its lock) during the fsyncs.
    std::vector<std::unique_ptr<streaming_file>> files;
    files.reserve(parts.size());
    try {
      for (const auto& p : parts) {
        manifest_entry e;
        e.name = p.name;
        e.file = generation_file(p.name, gen);
        e.kind = p.kind;
        e.version = p.version;
        files.push_back(std::make_unique<streaming_file>(dir / e.file, p.kind, p.version));
        p.write(*files.back());
        files.back()->finish();
        e.payload_size = files.back()->size();
        e.payload_hash = files.back()->hash();
        m.entries.push_back(std::move(e));
      }
      if (payloads_written) payloads_written();
      for (auto& f : files) f->commit();
      fsync_directory(dir);
    } catch (...) {
      files.clear();  // removes the temporary files not renamed yet
      remove_new_parts();
      throw;
    }
  }
  byte_writer w;
  w.u64(m.generation);
  w.u64(m.entries.size());
  for (const auto& e : m.entries) {
    w.str(e.name);
    w.str(e.file);
    w.str(e.kind);
    w.u32(e.version);
    w.u64(e.payload_size);
    w.u64(e.payload_hash);
  }
  // The commit point: once this rename is durable the new generation is the state.
  try {
    write_state_file(dir / kManifestName, kManifestKind, kManifestVersion, w.buffer());
  } catch (...) {
    // Only when the rename did not happen (a failed directory fsync after it leaves the new
    // MANIFEST in place, naming these files).
    const auto now = try_read_manifest(dir);
    if (!now || now->generation != gen) remove_new_parts();
    throw;
  }

  // Best-effort cleanup of older generations and of temporaries left by crashed saves; a failure
  // here leaves only garbage that the next save removes.
  std::set<std::string> keep;
  for (const auto& e : m.entries) keep.insert(e.file);
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string f = entry.path().filename().string();
    if (keep.count(f)) continue;
    const auto tmp_at = f.find(".tmp.");
    const bool our_temp = tmp_at != std::string::npos &&
                          (f.substr(0, tmp_at) == kManifestName || generation_of(f.substr(0, tmp_at)));
    if (generation_of(f) || our_temp) {
      std::error_code rm;
      std::filesystem::remove(entry.path(), rm);
    }
  }
  return stamp_of_directory(dir, gen);
}

struct state_directory_reader::impl {
  std::filesystem::path dir, mpath;
  std::optional<dir_lock> lock;
  manifest m;
  std::vector<state_part> expected;                // payloads empty
  std::vector<const manifest_entry*> entries;      // entries[i]: the MANIFEST's entry of expected[i]
  state_stamp stamp;
};

state_directory_reader::state_directory_reader(const std::filesystem::path& dir, std::span<const state_part> expected)
    : impl_(std::make_unique<impl>()) {
  impl& r = *impl_;
  r.dir = dir;
  const auto mpath = dir / kManifestName;
  r.mpath = mpath;
  std::error_code ec;
  // An unreadable directory (permissions, I/O error) is an error, never "no saved state": a
  // caller that starts afresh on not_found would otherwise save an empty state over the real one.
  const bool has_manifest = std::filesystem::exists(mpath, ec);
  if (ec) throw error(errc::io, "cannot access state directory " + dir.string() + ": " + ec.message());
  if (!has_manifest) {
    if (std::filesystem::is_directory(dir, ec)) {
      // Part files without a MANIFEST are a damaged state, not an empty one: treating it as
      // "no state" would let the next save start afresh and delete those files.
      std::size_t orphans = 0;
      for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (generation_of(entry.path().filename().string())) ++orphans;
      if (ec) throw error(errc::io, "cannot list state directory " + dir.string() + ": " + ec.message());
      if (orphans > 0)
        throw error(errc::corrupted_state, "state directory " + dir.string() + " has no MANIFEST but holds " +
                                               std::to_string(orphans) +
                                               " part file(s) of a saved state: the MANIFEST was lost");
      throw error(errc::not_found, "state directory " + dir.string() + " holds no MANIFEST (no saved state)");
    }
    if (ec && ec != std::errc::no_such_file_or_directory)
      throw error(errc::io, "cannot access state directory " + dir.string() + ": " + ec.message());
    throw error(errc::not_found, "state directory " + dir.string() + " does not exist");
  }
  r.lock.emplace(dir, /*exclusive=*/false);
  const auto mpayload = read_state_file(mpath, kManifestKind, kManifestVersion);
  r.m = parse_manifest(mpath, mpayload);
  const manifest& m = r.m;
  for (const auto& want : expected) {
    const auto it = std::find_if(m.entries.begin(), m.entries.end(),
                                 [&](const manifest_entry& e) { return e.name == want.name; });
    if (it == m.entries.end())
      throw_corrupt(mpath, "lists no part '" + want.name + "' (generation " + std::to_string(m.generation) + ")");
    if (generation_of(it->file) != m.generation)
      throw_corrupt(mpath, "part '" + it->file + "' is not of the MANIFEST's generation " +
                               std::to_string(m.generation));
    if (it->kind != want.kind)
      throw_corrupt(mpath, "part '" + want.name + "' has kind '" + printable(it->kind) + "', expected '" +
                               want.kind + "'");
    r.expected.push_back({want.name, want.kind, want.version, {}});
    r.entries.push_back(&*it);
  }
  r.stamp = stamp_of_directory(dir, m.generation);
}

state_directory_reader::~state_directory_reader() = default;

state_part state_directory_reader::read(std::size_t i) const {
  const impl& r = *impl_;
  if (i >= r.expected.size()) throw error(errc::internal, "state_directory_reader: no part " + std::to_string(i));
  const state_part& want = r.expected[i];
  const manifest_entry& e = *r.entries[i];
  const auto path = r.dir / e.file;
  state_part part;
  part.name = want.name;
  part.kind = want.kind;
  try {
    part.payload = read_state_file(path, want.kind, want.version, &part.version);
  } catch (const error& err) {
    if (err.code() == errc::not_found)
      throw_corrupt(path, "is missing (named by " + r.mpath.string() + ", generation " +
                              std::to_string(r.m.generation) + ")");
    throw;
  }
  if (part.version != e.version || part.payload.size() != e.payload_size ||
      XXH64(part.payload.data(), part.payload.size(), 0) != e.payload_hash)
    throw_corrupt(path, "does not match the MANIFEST (a file from another save: mixed generations)");
  return part;
}

const state_stamp& state_directory_reader::stamp() const noexcept { return impl_->stamp; }

std::vector<state_part> load_state_directory(const std::filesystem::path& dir, std::span<const state_part> expected,
                                             state_stamp* stamp_out) {
  const state_directory_reader reader(dir, expected);
  std::vector<state_part> out;
  out.reserve(expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) out.push_back(reader.read(i));
  if (stamp_out) *stamp_out = reader.stamp();
  return out;
}

}  // namespace retold::detail
