// tools/retold/state_lock.hpp - the writer lock a `retold` subcommand holds on a state directory
// for its whole load -> add -> save cycle.
//
// The library's own lock (DIR/LOCK) covers one save or one load; it cannot stop two nightly runs
// that both load generation 7, both add, and both save. The second save would then be refused by
// the library's generation check (errc::conflict) after all its work; this lock refuses the second
// run at once instead, before it loads anything. It is flock() on DIR/WRITER (state_file.hpp's
// writer_lock_name): released by the kernel when the process ends however it ends (no stale lock
// after kill -9), never removed by a save's cleanup. The holder writes its pid and start time
// into the file so a refused run can say who holds it. Readers (query, stats, export) do not take
// it.
#pragma once

#include <filesystem>
#include <optional>

namespace retold::cli {

class state_writer_lock {
 public:
  /// Creates `dir` if missing and takes the lock. `wait_seconds`: nullopt refuses at once when
  /// another process holds it; a value waits up to that many seconds (infinity: for ever).
  /// Throws retold::error: errc::conflict naming the directory and the holder's pid when it stays
  /// held, errc::io when the lock file cannot be created or locked.
  state_writer_lock(const std::filesystem::path& dir, std::optional<double> wait_seconds);
  ~state_writer_lock();
  state_writer_lock(const state_writer_lock&) = delete;
  state_writer_lock& operator=(const state_writer_lock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace retold::cli
