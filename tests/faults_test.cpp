// Faults while saving and loading a state directory: a full disk (a small tmpfs, and a file size
// limit), an unreadable directory or part file, a state written by a newer format. Each must give
// a clear error naming what was wrong, and leave the last good state intact and loadable.
//
// Disk-full and permission cases run in a forked child: a mount namespace, RLIMIT_FSIZE and
// setuid() must not leak into the test process. The child reports failures as "FAIL: ..." lines
// on a pipe (gtest assertions do not cross fork()).
#include "store/state_file.hpp"

#include <retold/dedup.hpp>

#include <gtest/gtest.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <grp.h>
#include <set>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

namespace fs = std::filesystem;
using retold::errc;

namespace {

constexpr int kSkip = 77;

class temp_dir {
 public:
  explicit temp_dir(const std::string& name) {
    path_ = fs::temp_directory_path() / ("retold_faults_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::recursive_directory_iterator(); ++it)
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

retold::deduplicator_options options() {
  retold::deduplicator_options o;
  o.threads = 1;
  return o;
}

std::string text_of(int i) {
  std::string t = "Report " + std::to_string(i) + " on the council budget:";
  for (int k = 0; k < 60; ++k) t += " w" + std::to_string((i * 31 + k * 7) % 5000);
  return t;
}

void add_docs(retold::deduplicator& d, int from, int to) {
  std::vector<std::string> ids, texts;
  for (int i = from; i < to; ++i) ids.push_back("doc-" + std::to_string(i)), texts.push_back(text_of(i));
  std::vector<retold::document> docs;
  for (std::size_t k = 0; k < ids.size(); ++k)
    docs.push_back({.id = ids[k], .text = texts[k], .title = {}, .timestamp = 1700000000 + from + static_cast<int>(k),
                    .source = "Wire", .vector = {}});
  d.add_batch(docs);
}

// What a state holds, to compare before and after a fault.
struct summary {
  std::size_t documents = 0;
  std::vector<std::vector<std::string>> stories;
  bool operator==(const summary&) const = default;
};
summary summarize(const retold::deduplicator& d) {
  summary s;
  s.documents = d.stats().documents;
  for (const auto& c : d.clusters()) {
    std::vector<std::string> m;
    for (const auto& x : c.members) m.push_back(x.id);
    s.stories.push_back(std::move(m));
  }
  return s;
}

std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

struct child_result {
  int exit_code = -1;
  std::string output;
};

// Runs `body` in a forked child; `body` appends "FAIL: ..." lines for failures, returns an exit code.
child_result in_child(const std::function<int(std::string&)>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return {-1, "pipe failed"};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    int code = 0;
    try {
      code = body(out);
    } catch (const std::exception& e) {
      out += std::string("FAIL: unexpected exception: ") + e.what() + "\n";
      code = 1;
    }
    const char* p = out.data();
    std::size_t n = out.size();
    while (n > 0) {
      const ssize_t w = ::write(fds[1], p, n);
      if (w <= 0) break;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  child_result r;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.output.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// Expects `f` to throw retold::error with `code` and every needle in its message (child side).
template <class F>
void expect_error(std::string& out, const char* what, F&& f, errc code, std::initializer_list<std::string> needles) {
  try {
    f();
    out += std::string("FAIL: ") + what + ": no error\n";
  } catch (const retold::error& e) {
    if (e.code() != code)
      out += std::string("FAIL: ") + what + ": code " + retold::errc_name(e.code()) + ", expected " +
             retold::errc_name(code) + ": " + e.what() + "\n";
    for (const auto& n : needles)
      if (std::string(e.what()).find(n) == std::string::npos)
        out += std::string("FAIL: ") + what + ": message does not name '" + n + "': " + e.what() + "\n";
    out += std::string("message: ") + e.what() + "\n";
  }
}

// The generation files of the MANIFEST's generation only (no leftovers of a failed save).
void expect_one_generation(std::string& out, const fs::path& dir) {
  std::set<std::string> gens;
  for (const auto& f : files_in(dir)) {
    if (f.find(".tmp.") != std::string::npos) out += "FAIL: temporary left behind: " + f + "\n";
    const auto g = f.rfind(".g");
    if (g != std::string::npos && f.size() - g == 18) gens.insert(f.substr(g));
  }
  if (gens.size() != 1) out += "FAIL: " + std::to_string(gens.size()) + " generations of part files in " + dir.string() + "\n";
}

void check_child(const child_result& r) {
  if (r.exit_code == kSkip) GTEST_SKIP() << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("FAIL:"), std::string::npos) << r.output;
}

// The disk-full scenario inside `root` (already a small file system, or under a size limit):
// a good state of 200 documents, then `exhaust()`, then a save of 500 documents must fail with
// errc::io naming the file and the reason, the directory must hold only the good generation,
// and the good state must load unchanged; after `relieve()` the save succeeds.
int disk_full_scenario(std::string& out, const fs::path& root, const std::string& reason,
                       const std::function<void(const fs::path& state)>& exhaust,
                       const std::function<void()>& relieve) {
  const fs::path state = root / "state";
  retold::deduplicator d(options());
  add_docs(d, 0, 200);
  d.save(state);
  const summary good = summarize(retold::deduplicator::load(state));
  const auto good_files = files_in(state);
  add_docs(d, 200, 500);
  exhaust(state);
  expect_error(out, "save on a full disk", [&] { d.save(state); }, errc::io, {state.string(), reason});
  if (files_in(state) != good_files) out += "FAIL: the failed save left files behind or removed some\n";
  expect_one_generation(out, state);
  try {
    if (!(summarize(retold::deduplicator::load(state)) == good)) out += "FAIL: the good state changed\n";
  } catch (const std::exception& e) {
    out += std::string("FAIL: the good state does not load after the failed save: ") + e.what() + "\n";
  }
  relieve();
  try {
    d.save(state);  // the failed save did not change the generation d expects
    if (retold::deduplicator::load(state).stats().documents != 500) out += "FAIL: the retried save lost documents\n";
    expect_one_generation(out, state);
  } catch (const std::exception& e) {
    out += std::string("FAIL: the save after freeing space failed: ") + e.what() + "\n";
  }
  return 0;
}

}  // namespace

// A real ENOSPC: a 4 MiB tmpfs mounted in a private mount namespace of a child (root only).
TEST(Faults, DiskFullOnTmpfsLeavesTheLastGoodState) {
  temp_dir t("tmpfs");
  const fs::path mnt = t.path() / "mnt";
  fs::create_directories(mnt);
  const auto r = in_child([&](std::string& out) {
    if (::unshare(CLONE_NEWNS) != 0) {
      out += std::string("cannot unshare the mount namespace (needs root): ") + std::strerror(errno);
      return kSkip;
    }
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=4m") != 0) {
      out += std::string("cannot mount a tmpfs: ") + std::strerror(errno);
      return kSkip;
    }
    const fs::path filler = mnt / "filler";
    return disk_full_scenario(
        out, mnt, "No space left on device",
        [&](const fs::path&) {
          // Fill the file system, then give back 64 KiB: less than the next save needs.
          const int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
          std::vector<char> block(1 << 16, 'x');
          off_t size = 0;
          for (ssize_t w; (w = ::write(fd, block.data(), block.size())) > 0;) size += w;
          if (::ftruncate(fd, size > (1 << 16) ? size - (1 << 16) : 0) != 0) out += "FAIL: ftruncate\n";
          ::close(fd);
        },
        [&] { fs::remove(filler); });
  });
  check_child(r);
}

// EFBIG: RLIMIT_FSIZE just above the largest file of the good state (SIGXFSZ ignored, so write()
// fails instead of killing the process). Works without root.
TEST(Faults, FileSizeLimitWhileSavingLeavesTheLastGoodState) {
  temp_dir t("fsize");
  const auto r = in_child([&](std::string& out) {
    return disk_full_scenario(
        out, t.path(), "File too large",
        [&](const fs::path& state) {
          std::uintmax_t largest = 0;
          for (const auto& e : fs::directory_iterator(state)) largest = std::max(largest, fs::file_size(e.path()));
          std::signal(SIGXFSZ, SIG_IGN);
          struct rlimit lim {};
          ::getrlimit(RLIMIT_FSIZE, &lim);
          lim.rlim_cur = static_cast<rlim_t>(largest + 1024);
          if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) out += "FAIL: setrlimit\n";
        },
        [&] {
          struct rlimit lim {};
          ::getrlimit(RLIMIT_FSIZE, &lim);
          lim.rlim_cur = lim.rlim_max;
          ::setrlimit(RLIMIT_FSIZE, &lim);
        });
  });
  check_child(r);
}

// chmod 000 on the state directory, then on one part file. Root bypasses permissions, so the
// checks run in a child that drops to nobody (65534).
TEST(Faults, UnreadableStateIsAnIoErrorNamingThePath) {
  temp_dir t("perm");
  const fs::path state = t.path() / "state";
  summary good;
  {
    retold::deduplicator d(options());
    add_docs(d, 0, 120);
    d.save(state);
    good = summarize(retold::deduplicator::load(state));
  }
  fs::path part;
  for (const auto& f : files_in(state))
    if (f.rfind("documents.rtd.g", 0) == 0) part = state / f;
  ASSERT_FALSE(part.empty());

  auto as_nobody = [](const std::function<int(std::string&)>& body) {
    return in_child([&](std::string& out) {
      if (::geteuid() == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
          out += std::string("cannot drop root privileges: ") + std::strerror(errno);
          return kSkip;
        }
      }
      return body(out);
    });
  };

  fs::permissions(state, fs::perms::none);
  check_child(as_nobody([&](std::string& out) {
    // Never mistaken for "no saved state" (a caller would start afresh and save over it).
    expect_error(out, "load of an unreadable directory", [&] { (void)retold::deduplicator::load(state); }, errc::io,
                 {state.string(), "Permission denied"});
    retold::deduplicator fresh(options());
    expect_error(out, "save into an unreadable directory", [&] { fresh.save(state); }, errc::io,
                 {state.string(), "Permission denied"});
    return 0;
  }));
  if (HasFatalFailure() || IsSkipped()) return;
  fs::permissions(state, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(part, fs::perms::none);
  check_child(as_nobody([&](std::string& out) {
    expect_error(out, "load with an unreadable part", [&] { (void)retold::deduplicator::load(state); }, errc::io,
                 {part.string(), "Permission denied"});
    return 0;
  }));
  fs::permissions(part, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  // Permissions back: the last good state is intact.
  EXPECT_EQ(summarize(retold::deduplicator::load(state)), good);
}

namespace {

using namespace retold::detail;

struct manifest_entry {
  std::string name, file, kind;
  std::uint32_t version;
  std::uint64_t size, hash;
};

// Rewrites `dir`'s MANIFEST with `edit` applied to its entries (valid checksums throughout).
void rewrite_manifest(const fs::path& dir, const std::function<void(std::vector<manifest_entry>&)>& edit,
                      std::uint32_t manifest_version = 1) {
  const auto payload = read_state_file(dir / "MANIFEST", "manifest", 1);
  byte_reader r(payload, "MANIFEST");
  const std::uint64_t gen = r.u64();
  std::vector<manifest_entry> es(r.u64());
  for (auto& e : es) {
    e.name = r.str();
    e.file = r.str();
    e.kind = r.str();
    e.version = r.u32();
    e.size = r.u64();
    e.hash = r.u64();
  }
  edit(es);
  byte_writer w;
  w.u64(gen);
  w.u64(es.size());
  for (const auto& e : es) {
    w.str(e.name);
    w.str(e.file);
    w.str(e.kind);
    w.u32(e.version);
    w.u64(e.size);
    w.u64(e.hash);
  }
  write_state_file(dir / "MANIFEST", "manifest", manifest_version, w.buffer());
}

}  // namespace

// A state from a newer retold: a part of format version 99, a MANIFEST of
// version 2, a container of version 2; all with valid checksums. Each is refused as
// incompatible naming the file and both versions; this build never saves over it unless told
// to replace; the good state it was copied from is untouched.
TEST(Faults, NewerFormatVersionIsRefusedNamingTheFile) {
  temp_dir t("newer");
  const fs::path good_dir = t.path() / "good";
  {
    retold::deduplicator d(options());
    add_docs(d, 0, 80);
    d.save(good_dir);
  }
  const summary good = summarize(retold::deduplicator::load(good_dir));
  auto fresh_copy = [&](const std::string& name) {
    const fs::path c = t.path() / name;
    fs::copy(good_dir, c);
    return c;
  };
  auto expect_refused = [&](const fs::path& dir, const std::string& file, const std::string& needle) {
    try {
      (void)retold::deduplicator::load(dir);
      ADD_FAILURE() << "a newer state in " << dir << " was loaded";
    } catch (const retold::error& e) {
      EXPECT_EQ(e.code(), errc::incompatible) << e.what();
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    // This build does not overwrite it by accident.
    const auto before = files_in(dir);
    retold::deduplicator fresh(options());
    EXPECT_THROW(fresh.save(dir), retold::error);
    EXPECT_EQ(files_in(dir), before);
  };

  {  // one part of a newer payload version
    const fs::path dir = fresh_copy("part_v3");
    std::string file;
    rewrite_manifest(dir, [&](std::vector<manifest_entry>& es) {
      for (auto& e : es)
        if (e.name == "documents.rtd") {
          file = e.file;
          e.version = 99;
          std::uint32_t v = 0;
          const auto payload = read_state_file(dir / e.file, "dedup.docs", 1000, &v);
          write_state_file(dir / e.file, "dedup.docs", 99, payload);
        }
    });
    ASSERT_FALSE(file.empty());
    expect_refused(dir, file, "format version 99 is newer than this build reads (");
  }
  {  // a MANIFEST of a newer version
    const fs::path dir = fresh_copy("manifest_v2");
    rewrite_manifest(dir, [](std::vector<manifest_entry>&) {}, 2);
    expect_refused(dir, "MANIFEST", "format version 2 is newer");
  }
  {  // a newer container (header layout) version, header checksum recomputed
    const fs::path dir = fresh_copy("container_v2");
    const fs::path m = dir / "MANIFEST";
    std::string bytes;
    {
      std::ifstream in(m, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ASSERT_GE(bytes.size(), 64u);
    bytes[48] = 2;
    const std::uint64_t h = XXH64(bytes.data(), 56, 0);
    for (int i = 0; i < 8; ++i) bytes[56 + i] = static_cast<char>(h >> (8 * i));
    std::ofstream(m, std::ios::binary | std::ios::trunc) << bytes;
    expect_refused(dir, "MANIFEST", "container version 2 is not supported");
  }
  // The good state these were copied from is intact.
  EXPECT_EQ(summarize(retold::deduplicator::load(good_dir)), good);
}
