// Crash safety of deduplicator::save: a child process adds a document and saves the state in a
// loop, reporting each completed save on a pipe; the parent kills it with SIGKILL at a random
// moment, many times over. After every kill the state directory must load completely, and hold
// either the last reported state or the one whose save was in flight (never older, never a mix).
//
// The binary re-executes itself as the child (`crash_test --saver DIR FIRST`), because the
// deduplicator's worker threads and FAISS's OpenMP pool must not be inherited through fork().
//
// The kills are timed from a first, calibrating child (how long it takes to start and how long one
// save takes), not from fixed milliseconds: a sanitizer build (ThreadSanitizer runs this 5-15x
// slower) would otherwise kill every child before its first save and exercise nothing.
// RETOLD_CRASH_KILLS sets the number of kills (default 200).
#include <retold/dedup.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <random>
#include <set>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string self_path;

std::string doc_text(std::uint64_t k) {
  // Distinct, news-length texts with some shared vocabulary so stories form.
  static const char* words[] = {"minister", "talks",  "ceasefire", "budget",   "election", "storm",   "court",
                                "vote",     "troops", "summit",    "inflation", "strike",  "border",  "ruling",
                                "report",   "police", "harbour",   "energy",   "grain",    "exports", "capital"};
  std::mt19937_64 rng(k / 3);  // every three consecutive documents tell the same story
  std::string t;
  for (int i = 0; i < 120; ++i) {
    t += words[rng() % (sizeof(words) / sizeof(words[0]))];
    t += ' ';
    if (i % 15 == 14) t += std::to_string(rng() % 1000) + ". ";
  }
  if (k % 3) t += " Reported by outlet " + std::to_string(k % 3) + ".";
  return t;
}

retold::deduplicator_options options() {
  retold::deduplicator_options o;
  o.threads = 1;
  return o;
}

// Child: load or create, then add + save forever, printing the document count after each save.
int run_saver(const fs::path& dir, std::uint64_t first) {
  std::optional<retold::deduplicator> d;
  try {
    d.emplace(retold::deduplicator::load(dir));
  } catch (const retold::error& e) {
    if (e.code() != retold::errc::not_found) {
      std::fprintf(stderr, "saver: cannot load: %s\n", e.what());
      return 3;
    }
    d.emplace(options());
  }
  for (std::uint64_t k = first;; ++k) {
    const std::string id = "doc-" + std::to_string(k);
    const std::string text = doc_text(k);
    retold::document doc;
    doc.id = id;
    doc.text = text;
    doc.timestamp = 1700000000 + static_cast<std::int64_t>(k);
    if (!d->contains(id)) d->add(doc);
    d->save(dir);
    std::printf("%zu\n", d->stats().documents);
    std::fflush(stdout);
  }
}

struct child {
  pid_t pid = -1;
  int out = -1;
};

child spawn_saver(const fs::path& dir, std::uint64_t first) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    const std::string f = std::to_string(first);
    ::execl(self_path.c_str(), self_path.c_str(), "--saver", dir.c_str(), f.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads whole lines available on `fd` until `deadline` (or, with stop_after > 0, until that many
// lines were read); returns the last complete number seen. `lines` counts the lines read.
long long read_reports(int fd, std::chrono::steady_clock::time_point deadline, std::string& pending,
                       long long last, std::size_t stop_after = 0, std::size_t* lines = nullptr) {
  std::size_t seen = 0;
  for (;;) {
    if (stop_after > 0 && seen >= stop_after) return last;
    const auto now = std::chrono::steady_clock::now();
    const int wait_ms =
        deadline <= now ? 0 : static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, wait_ms);
    if (r <= 0) return last;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return last;
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      last = std::atoll(pending.substr(0, nl).c_str());
      pending.erase(0, nl + 1);
      ++seen;
      if (lines) ++*lines;
    }
  }
}

// How long a saver takes from its start to its first completed save, and for each save after.
struct saver_timing {
  std::chrono::microseconds startup{0};
  std::chrono::microseconds save{0};
};

}  // namespace

TEST(CrashSafety, KillDuringSaveAlwaysLeavesALoadableState) {
  const int kills = std::getenv("RETOLD_CRASH_KILLS") ? std::atoi(std::getenv("RETOLD_CRASH_KILLS")) : 200;
  const fs::path dir = fs::temp_directory_path() / ("retold_crash_" + std::to_string(::getpid()));
  fs::remove_all(dir);

  // Start from a state of a few hundred documents so each save writes real data.
  {
    retold::deduplicator d(options());
    for (std::uint64_t k = 0; k < 600; ++k) {
      const std::string id = "doc-" + std::to_string(k), text = doc_text(k);
      retold::document doc;
      doc.id = id;
      doc.text = text;
      doc.timestamp = 1700000000 + static_cast<std::int64_t>(k);
      d.add(doc);
    }
    d.save(dir);
  }
  std::size_t committed = retold::deduplicator::load(dir).stats().documents;
  std::uint64_t next = committed;

  std::mt19937 rng(12345);
  int survived = 0, mid_save = 0;
  saver_timing timing;
  for (int i = 0; i < kills; ++i) {
    using clock = std::chrono::steady_clock;
    const auto started = clock::now();
    child c = spawn_saver(dir, next);
    std::string pending;
    long long last = -1;
    if (i == 0) {
      // The calibrating child: wait for its first three saves (however slow the build), and time
      // them. It is then killed and checked like every other one.
      std::vector<clock::time_point> at;
      while (at.size() < 3 && clock::now() < started + std::chrono::minutes(10)) {
        std::size_t lines = 0;
        last = read_reports(c.out, clock::now() + std::chrono::seconds(10), pending, last, 1, &lines);
        for (std::size_t l = 0; l < lines; ++l) at.push_back(clock::now());
      }
      ASSERT_GE(at.size(), 3u) << "the saver did not complete three saves in 10 minutes";
      using us = std::chrono::microseconds;
      timing.save = std::chrono::duration_cast<us>(at[2] - at[0]) / 2;
      timing.startup = std::max(us{0}, std::chrono::duration_cast<us>(at[0] - started) - timing.save);
      std::printf("crash test: a saver starts in %.1f ms, a save takes %.1f ms\n", timing.startup.count() / 1e3,
                  timing.save.count() / 1e3);
    } else {
      // Let it load and run a few saves, then kill at a random moment (the child spends nearly all
      // of its time inside save(), so most kills land in the middle of one). Scaled from the
      // calibration: at Release speed about 60-200 ms, as the test had fixed before.
      const auto startup_part = static_cast<long>(500 + rng() % 500), save_part = static_cast<long>(rng() % 4000);
      const auto delay = timing.startup * startup_part / 1000 + timing.save * save_part / 1000;
      last = read_reports(c.out, started + delay, pending, -1);
    }
    ::kill(c.pid, SIGKILL);
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    // Reports written before the kill are durable commits too.
    const long long reported = read_reports(c.out, std::chrono::steady_clock::now(), pending, last);
    ::close(c.out);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the saver exited by itself (status " << status << ") at kill " << i;
    if (reported >= 0) committed = static_cast<std::size_t>(reported);

    // Temporaries or files of two generations show the kill interrupted a save.
    bool leftovers = false;
    std::set<std::string> generations;
    for (const auto& e : fs::directory_iterator(dir)) {
      const auto name = e.path().filename().string();
      if (name.find(".tmp.") != std::string::npos) leftovers = true;
      const auto g = name.rfind(".g");
      if (g != std::string::npos && name.size() - g == 18) generations.insert(name.substr(g));
    }
    if (generations.size() > 1) leftovers = true;
    std::size_t loaded = 0;
    try {
      loaded = retold::deduplicator::load(dir).stats().documents;
    } catch (const retold::error& e) {
      FAIL() << "after kill " << i << " the state does not load: " << e.what();
    }
    // Either the last reported save or the one in flight (one more document) is what loads.
    ASSERT_GE(loaded, committed) << "kill " << i << ": a completed save was lost";
    ASSERT_LE(loaded, committed + 1) << "kill " << i;
    if (leftovers || loaded == committed + 1) ++mid_save;
    committed = loaded;
    next = loaded;
    ++survived;
  }
  std::printf("crash test: %d kills survived (%d with a save visibly in flight), %zu documents at the end\n",
              survived, mid_save, committed);
  RecordProperty("kills_survived", survived);
  EXPECT_EQ(survived, kills);
  EXPECT_GT(committed, 600u) << "the saver never completed a save: the kills did not exercise anything";
  fs::remove_all(dir);
}

int main(int argc, char** argv) {
  self_path = fs::canonical("/proc/self/exe").string();
  if (argc == 4 && std::string(argv[1]) == "--saver") return run_saver(argv[2], std::strtoull(argv[3], nullptr, 10));
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
