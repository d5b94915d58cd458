#include "state_lock.hpp"

#include "store/state_file.hpp"

#include <retold/error.hpp>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace retold::cli {

namespace {

// What the holder wrote ("pid 1234, since 2024-03-05T02:00:00Z"), or "" when unreadable.
std::string holder_of(int fd) {
  char buf[256];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string s(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s.find('\n') == std::string::npos ? s : "";
}

}  // namespace

state_writer_lock::state_writer_lock(const std::filesystem::path& dir, std::optional<double> wait_seconds) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw error(errc::io, "cannot create state directory " + dir.string() + ": " + ec.message());
  const auto path = dir / std::string(detail::writer_lock_name);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw error(errc::io, "cannot open the writer lock " + path.string() + ": " + std::strerror(errno));

  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) break;
    const int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK) {
      ::close(fd_);
      throw error(errc::io, "cannot lock " + path.string() + ": " + std::strerror(err));
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!wait_seconds || waited >= *wait_seconds) {
      const std::string holder = holder_of(fd_);
      ::close(fd_);
      std::string msg = "state directory " + dir.string() + " is being written by another retold process (" +
                        (holder.empty() ? std::string("pid unknown") : holder) + ", lock " + path.string() +
                        "); nothing was changed. ";
      msg += wait_seconds ? "Gave up after waiting " + std::to_string(static_cast<long long>(*wait_seconds)) + " s."
                          : "Run again when it has finished, or pass --wait-lock[=SECONDS] to wait for it.";
      throw error(errc::conflict, msg);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Ours now: say who holds it (best effort, only for the message of a refused run).
  char iso[32] = "";
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  if (::gmtime_r(&now, &tm)) std::strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const std::string who = "pid " + std::to_string(::getpid()) + ", since " + iso + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(fd_, who.data(), who.size(), 0);
  }
}

state_writer_lock::~state_writer_lock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock; the file stays (another run may be waiting on it)
}

}  // namespace retold::cli
