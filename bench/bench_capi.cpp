// Per-call overhead of the C ABI against the C++ API, in one process (Google Benchmark), and the
// C++ side of bench/e2e_python_overhead.py (which times the same calls through Python).
//
//   build/bench/bench_capi --benchmark_repetitions=10 --benchmark_report_aggregates_only=true
//   RETOLD_LIBRARY=/path/libretold_c.so.1 build/bench/bench_capi ...   (another build of the ABI)
//
// The C++ calls use the static library this benchmark links. The C calls go through the shared
// library libretold_c.so.1, loaded with dlopen (from $RETOLD_LIBRARY, else next to this program's
// build directory: ../libretold_c.so.1) and called through its exported symbols - what any C, Go,
// Rust or Node caller pays: the struct_size checks, the conversions, the exception guard, and the
// copying of results into list structs. Both sides hold the same state: 200 synthetic documents of
// 80 pseudo-words (the generator below is mirrored exactly in e2e_python_overhead.py). Calls:
// contains() of a stored id (one hash lookup under a shared lock: nearly all overhead) and query()
// of a short 12-word text and of a stored 80-word text (normalize, shingle, sign, embed, both
// indexes, scoring). BM_c_* / BM_cpp_* of the same call is the ratio to report.
#include <retold/dedup.hpp>
#include <retold/retold.h>

#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

// doc i: 80 words "w<k>", k from a 31-bit LCG seeded by i (same as the Python script).
std::string synthetic_text(std::uint32_t i) {
  std::uint64_t x = (std::uint64_t{i} + 1) * 2654435761u % 2147483648u;
  std::string out;
  for (int j = 0; j < 80; ++j) {
    x = (x * 1103515245u + 12345u) % 2147483648u;
    if (j) out += ' ';
    out += 'w';
    out += std::to_string(x % 30000);
  }
  return out;
}

constexpr const char* short_query = "central bank raises its main interest rate by half a point citing inflation";
constexpr std::uint32_t documents = 200;

retold::deduplicator& small_state() {
  static retold::deduplicator d = [] {
    retold::deduplicator dd;
    for (std::uint32_t i = 0; i < documents; ++i) {
      const std::string id = "doc-" + std::to_string(i);
      const std::string text = synthetic_text(i);
      retold::document doc;
      doc.id = id;
      doc.text = text;
      doc.timestamp = i;
      dd.add(doc);
    }
    return dd;
  }();
  return d;
}

// ---- the C ABI through the shared library

// The exported functions this benchmark calls, resolved with dlsym.
struct c_abi {
  decltype(&retold_dedup_new) dedup_new = nullptr;
  decltype(&retold_dedup_add) add = nullptr;
  decltype(&retold_dedup_contains) contains = nullptr;
  decltype(&retold_dedup_query) query = nullptr;
  decltype(&retold_match_list_dispose) dispose = nullptr;
  decltype(&retold_last_error) last_error = nullptr;
  retold_dedup* handle = nullptr;  // the same 200 documents; never freed (lives for the process)
  std::string error;
};

std::string default_library() {
  if (const char* env = std::getenv("RETOLD_LIBRARY")) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "libretold_c.so.1";
  return (exe.parent_path().parent_path() / "libretold_c.so.1").string();
}

template <class F>
bool resolve(void* lib, const char* name, F& fn, std::string& error) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn) error = std::string("dlsym ") + name + ": " + dlerror();
  return fn != nullptr;
}

const c_abi& c_state() {
  static c_abi c = [] {
    c_abi a;
    const std::string path = default_library();
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      a.error = "dlopen " + path + ": " + dlerror() + " (set RETOLD_LIBRARY)";
      return a;
    }
    if (!resolve(lib, "retold_dedup_new", a.dedup_new, a.error) || !resolve(lib, "retold_dedup_add", a.add, a.error) ||
        !resolve(lib, "retold_dedup_contains", a.contains, a.error) ||
        !resolve(lib, "retold_dedup_query", a.query, a.error) ||
        !resolve(lib, "retold_match_list_dispose", a.dispose, a.error) ||
        !resolve(lib, "retold_last_error", a.last_error, a.error))
      return a;
    if (a.dedup_new(&a.handle, nullptr) != RETOLD_OK) {
      a.error = std::string("retold_dedup_new: ") + a.last_error();
      return a;
    }
    for (std::uint32_t i = 0; i < documents; ++i) {
      const std::string id = "doc-" + std::to_string(i);
      const std::string text = synthetic_text(i);
      retold_document doc = RETOLD_DOCUMENT_INIT;
      doc.id = id.c_str();
      doc.text = text.data();
      doc.text_len = text.size();
      doc.timestamp = i;
      if (a.add(a.handle, &doc, nullptr) != RETOLD_OK) {
        a.error = std::string("retold_dedup_add: ") + a.last_error();
        return a;
      }
    }
    return a;
  }();
  return c;
}

void BM_cpp_contains(benchmark::State& state) {
  const auto& d = small_state();
  const std::string id = "doc-100";
  for (auto _ : state) benchmark::DoNotOptimize(d.contains(id));
}
BENCHMARK(BM_cpp_contains);

void BM_c_contains(benchmark::State& state) {
  const c_abi& c = c_state();
  if (!c.handle) return state.SkipWithError(c.error.c_str());
  std::int32_t out = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(c.contains(c.handle, "doc-100", &out));
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_c_contains);

void BM_cpp_query_short(benchmark::State& state) {
  const auto& d = small_state();
  for (auto _ : state) benchmark::DoNotOptimize(d.query(short_query));
}
BENCHMARK(BM_cpp_query_short);

void c_query(benchmark::State& state, const std::string& text) {
  const c_abi& c = c_state();
  if (!c.handle) return state.SkipWithError(c.error.c_str());
  std::uint64_t found = 0;
  for (auto _ : state) {
    retold_match_list m = RETOLD_MATCH_LIST_INIT;
    if (c.query(c.handle, text.data(), text.size(), nullptr, &m) != RETOLD_OK)
      return state.SkipWithError(c.last_error());
    found += m.count;
    c.dispose(&m);
  }
  benchmark::DoNotOptimize(found);
}

void BM_c_query_short(benchmark::State& state) { c_query(state, short_query); }
BENCHMARK(BM_c_query_short);

void BM_cpp_query_stored_text(benchmark::State& state) {
  const auto& d = small_state();
  const std::string text = synthetic_text(7);
  for (auto _ : state) benchmark::DoNotOptimize(d.query(text));
}
BENCHMARK(BM_cpp_query_stored_text);

void BM_c_query_stored_text(benchmark::State& state) { c_query(state, synthetic_text(7)); }
BENCHMARK(BM_c_query_stored_text);

}  // namespace
