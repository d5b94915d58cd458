// A minimal fork-join loop for the library's internal parallel stages (internal).
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace retold::detail {

/// Runs fn(i) for every i in [0, n) on `workers` threads (the caller's thread is one of them;
/// workers - 1 std::threads are started and joined before return). Indices are handed out one
/// at a time, so the order in which they run is unspecified: fn must write only to state owned
/// by index i (or synchronize). The first exception thrown by fn is rethrown after all workers
/// stop; the remaining indices are then skipped.
template <class Fn>
void parallel_for(std::size_t n, unsigned workers, Fn&& fn) {
  if (workers <= 1 || n < 2) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto run = [&] {
    try {
      for (std::size_t i = next++; i < n; i = next++) fn(i);
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next = n;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (unsigned w = 1; w < workers && w < n; ++w) pool.emplace_back(run);
  run();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace retold::detail
