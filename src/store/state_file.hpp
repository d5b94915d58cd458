// src/store/state_file.hpp - retold's on-disk container (internal).
//
// Every state file is: a fixed 64-byte header (magic "RETOLDST", format version, byte-order mark,
// a 16-byte kind tag such as "dedup.meta", payload length, XXH64 of the payload, XXH64 of the
// header) followed by the payload. All integers are little-endian. Writing is atomic: the bytes go
// to "<name>.tmp.<pid>", are fsync'ed, renamed over the final name, and the directory is fsync'ed,
// so a crash leaves the old file or the new one, never a mix. Readers check everything and throw
// errc::corrupted_state naming the file and what failed.
//
// A state directory holds several files; the MANIFEST file (written last) lists the generation and
// the checksum of each of the others, so a directory whose files come from two different saves is
// detected as well (see save_state_directory / load_state_directory).
#pragma once

#include <retold/error.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retold::detail {

/// Little-endian loads from raw bytes (at least 8 / 4 readable at `p`).
inline std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline std::uint32_t load_le32(const std::uint8_t* p) noexcept {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

/// Where a streamed payload goes (see byte_writer's streaming mode and state_part_source).
/// write() either takes all of `bytes` or throws (errc::io). Not synchronized.
class payload_sink {
 public:
  virtual void write(std::span<const std::uint8_t> bytes) = 0;

 protected:
  ~payload_sink() = default;
};

/// Little-endian serializer. By default into a growing byte buffer (buffer() holds everything
/// written). Constructed with a sink, it streams instead: whenever more than `flush_bytes` are
/// buffered, the next write call hands them to the sink, so the buffer stays about `flush_bytes`
/// plus the largest single item, whatever the payload's size; call flush() at the end. The bytes
/// the sink receives are exactly those the buffer would have held. Not synchronized.
class byte_writer {
 public:
  byte_writer() = default;
  /// Streams into `sink` (borrowed: it must outlive the writer).
  explicit byte_writer(payload_sink& sink, std::size_t flush_bytes = std::size_t{1} << 20)
      : sink_(&sink), flush_bytes_(flush_bytes) {
    buf_.reserve(flush_bytes_ + 64);
  }
  void u8(std::uint8_t v) {
    buf_.push_back(v);
    spill();
  }
  void u32(std::uint32_t v) { put_le(v), spill(); }
  void u64(std::uint64_t v) { put_le(v), spill(); }
  void i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v)), spill(); }
  void f32(float v) { std::uint32_t b; std::memcpy(&b, &v, 4); put_le(b), spill(); }
  void f64(double v) { std::uint64_t b; std::memcpy(&b, &v, 8); put_le(b), spill(); }
  /// Length-prefixed (u64) byte string.
  void str(std::string_view s) { u64(s.size()); raw({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}); }
  void bytes(std::span<const std::uint8_t> b) { u64(b.size()); raw(b); }
  void u32_array(std::span<const std::uint32_t> a);
  void f32_array(std::span<const float> a);
  void u64_array(std::span<const std::uint64_t> a);
  /// The bytes not yet handed to a sink (all of them without one). Callers may append to it
  /// directly (serialize_sketch does); with a sink, those bytes go out at the next write call or
  /// flush().
  std::vector<std::uint8_t>& buffer() noexcept { return buf_; }
  /// Hands the buffered bytes to the sink; without one, does nothing.
  void flush();

 private:
  template <class T> void put_le(T v) {
    for (unsigned i = 0; i < sizeof(T); ++i) buf_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void spill() {
    if (sink_ && buf_.size() >= flush_bytes_) flush();
  }
  void raw(std::span<const std::uint8_t> b);
  template <class T, class Put> void array(std::span<const T> a, Put put);
  payload_sink* sink_ = nullptr;
  std::size_t flush_bytes_ = 0;
  std::vector<std::uint8_t> buf_;
};

/// Little-endian reader over a borrowed buffer (must outlive the reader). Every read checks the
/// remaining length and throws errc::corrupted_state "<what>: truncated ..." naming `what`.
class byte_reader {
 public:
  byte_reader(std::span<const std::uint8_t> data, std::string what) : data_(data), what_(std::move(what)) {}
  std::uint8_t u8();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  float f32();
  double f64();
  std::string str(std::size_t max_len = std::size_t{1} << 32);
  std::vector<std::uint8_t> bytes(std::size_t max_len = std::size_t{1} << 40);
  std::vector<std::uint32_t> u32_array();
  std::vector<float> f32_array();
  std::vector<std::uint64_t> u64_array();
  std::size_t remaining() const noexcept { return data_.size() - pos_; }
  /// Steps over `n` bytes (read by another parser); fails like a read when fewer remain.
  void skip(std::size_t n) {
    need(n);
    pos_ += n;
  }
  /// Throws corrupted_state unless everything was consumed.
  void expect_end() const;
  [[noreturn]] void fail(const std::string& why) const;
  const std::string& what() const noexcept { return what_; }

 private:
  void need(std::size_t n) const;
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  std::string what_;
};

/// Writes `payload` as a state file of `kind` (<= 16 bytes) and `version` at `path`, atomically.
/// errc::io naming the path on failure; the previous file at `path` is then untouched.
void write_state_file(const std::filesystem::path& path, std::string_view kind, std::uint32_t version,
                      std::span<const std::uint8_t> payload);

/// Reads and checks a state file; returns its payload. errc::not_found when missing,
/// errc::corrupted_state (naming the file: bad magic, truncated, checksum mismatch, wrong kind)
/// and errc::incompatible (a newer format version than `max_version`).
std::vector<std::uint8_t> read_state_file(const std::filesystem::path& path, std::string_view kind,
                                          std::uint32_t max_version, std::uint32_t* version_out = nullptr);

/// One named file of a state directory.
struct state_part {
  std::string name;                   ///< file name inside the directory, e.g. "documents.rtd"
  std::string kind;                   ///< kind tag checked on load
  std::uint32_t version = 1;
  std::vector<std::uint8_t> payload;
};

/// Which saved state a directory held when it was read or written: the directory's identity
/// (device and inode, so another path to the same directory is the same state, and a directory
/// deleted and made again is not) and the MANIFEST's generation (0: no state).
struct state_stamp {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::uint64_t generation = 0;
  bool same_directory(const state_stamp& o) const noexcept { return device == o.device && inode == o.inode; }
};

/// What a save may write over.
struct save_precondition {
  /// true: replace whatever state `dir` holds (no check). false: the save is refused with
  /// errc::conflict, before anything is written, unless `dir` holds exactly the state the caller
  /// knows: the generation of the stamp in `known` whose directory is `dir`, or no state at all
  /// when `known` has no stamp of `dir`.
  bool replace = true;
  std::span<const state_stamp> known;
};

/// One named file of a state directory whose payload is produced while the file is written, so
/// a save never holds a whole part's bytes (see save_state_directory).
struct state_part_source {
  std::string name;                   ///< file name inside the directory, e.g. "documents.rtd"
  std::string kind;                   ///< kind tag checked on load
  std::uint32_t version = 1;
  /// Writes the whole payload into the sink (typically through a streaming byte_writer, flushed
  /// at the end). Called once, on the saving thread, under the directory lock; what it throws
  /// aborts the save (nothing of it stays on disk) and is rethrown.
  std::function<void(payload_sink&)> write;
};

/// Saves all parts into `dir` atomically as a set: each part is written under a name carrying a
/// new generation number, then the MANIFEST (listing generation, names, sizes and checksums) is
/// atomically replaced; files of older generations are removed afterwards. A crash at any point
/// leaves a MANIFEST that names a complete, consistent set. The check of `pre` and the write
/// happen under one exclusive lock on <dir>/LOCK, so of two savers that both expect the same
/// generation exactly one succeeds. Returns the stamp of the new state.
/// Payloads are streamed: each part's bytes go to its temporary file through a bounded buffer
/// with a streaming checksum, and the file's header is written last (the same bytes as a
/// payload written at once). `payloads_written`, when set, is called once every part's payload
/// has been produced and written, before the fsyncs and renames (a caller can release what keeps
/// its data fixed there); it is not called when the save fails before.
/// Errors: errc::conflict (see save_precondition; nothing written, no part's write called), errc::io.
state_stamp save_state_directory(const std::filesystem::path& dir, std::span<const state_part_source> parts,
                                 const save_precondition& pre = {},
                                 const std::function<void()>& payloads_written = {});

/// As above, with payloads already in memory.
state_stamp save_state_directory(const std::filesystem::path& dir, std::span<const state_part> parts,
                                 const save_precondition& pre = {});

/// Loads the parts named by `dir`'s MANIFEST, checking each. `expected` gives the names, kinds and
/// maximum versions wanted (payloads ignored); returns them with payloads and versions filled, and
/// the stamp of what was read into `*stamp_out` when given.
/// errc::not_found when there is no MANIFEST; errc::corrupted_state naming the file otherwise.
std::vector<state_part> load_state_directory(const std::filesystem::path& dir,
                                             std::span<const state_part> expected,
                                             state_stamp* stamp_out = nullptr);

/// A state directory opened for loading one part at a time, so a loader can parse each part and
/// free its bytes before reading the next (load_state_directory holds all of them at once). The
/// constructor reads the MANIFEST and checks that it names every part of `expected` (names, kinds
/// and maximum versions; payloads ignored) in its generation; <dir>/LOCK is held shared until the
/// reader is destroyed, so no save removes that generation while its parts are read.
/// Errors as load_state_directory. Not synchronized; the reader must outlive nothing it returns.
class state_directory_reader {
 public:
  state_directory_reader(const std::filesystem::path& dir, std::span<const state_part> expected);
  ~state_directory_reader();
  state_directory_reader(const state_directory_reader&) = delete;
  state_directory_reader& operator=(const state_directory_reader&) = delete;
  /// Reads and checks part `i` of `expected` (its file's header and checksum, and that it is the
  /// one the MANIFEST lists); returns it with payload and version filled. May be called in any
  /// order, each part any number of times.
  state_part read(std::size_t i) const;
  /// Which saved state is being read.
  const state_stamp& stamp() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The name of the file a writer of `dir` may lock for its whole load -> change -> save cycle
/// (the CLI does): never a part name, never removed by a save's cleanup.
inline constexpr std::string_view writer_lock_name = "WRITER";

}  // namespace retold::detail
