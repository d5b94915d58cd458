#!/usr/bin/env bash
# The fuzz stage: builds the libFuzzer targets of tests/fuzz with clang (library instrumented with
# -fsanitize=fuzzer-no-link,address,undefined) into build-fuzz/ and runs each for a bounded time.
#   RETOLD_FUZZ_SECONDS   seconds per target (default: 300 divided among the targets, so the stage
#                         stays at five minutes of fuzzing however many targets there are: 50 s
#                         each for the six)
#   RETOLD_FUZZ_TARGETS   which targets (default: text signature input state capi prepared)
#   RETOLD_FUZZ_BUILD     build directory (default: <repo>/build-fuzz)
#   RETOLD_FUZZ_JOBS      parallel fuzzing processes per target (default 1; libFuzzer -fork=N)
# Each target starts from its committed seeds (tests/fuzz/corpus/<target>) plus what earlier runs
# found (build-fuzz/fuzz-corpus/<target>, kept between runs, never committed). Fails on any crash,
# leak, timeout or out-of-memory, printing the path of the input that caused it; replay it with
#   build-fuzz/tests/fuzz/fuzz_<target> <input>
# and add it under tests/fuzz/regressions/<target>/ once fixed (see tests/fuzz/README.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${RETOLD_FUZZ_BUILD:-$root/build-fuzz}
targets=${RETOLD_FUZZ_TARGETS:-text signature input state capi prepared}
set -- $targets
seconds=${RETOLD_FUZZ_SECONDS:-$((300 / $#))}
fork=${RETOLD_FUZZ_JOBS:-1}
jobs=$(nproc 2>/dev/null || echo 2)

# -max_len per target: enough for the seeds (saved states are the largest).
max_len() {
  case $1 in
    text) echo 8192 ;; signature) echo 4096 ;; input) echo 16384 ;; state) echo 65536 ;; capi) echo 4096 ;;
    prepared) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

CC=${CC:-clang} CXX=${CXX:-clang++} cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRETOLD_FUZZ=ON -DRETOLD_BUILD_BENCH=OFF -DRETOLD_BUILD_C_API=OFF -DRETOLD_INSTALL=OFF >/dev/null
build_targets=()
for t in $targets; do build_targets+=("fuzz_$t"); done
cmake --build "$build" -j "$jobs" --target "${build_targets[@]}"

# Leaks are checked (-detect_leaks=1); OpenMP's thread caches at exit are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tools/lsan.supp}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

failed=()
for t in $targets; do
  bin=$build/tests/fuzz/fuzz_$t
  work=$build/fuzz-corpus/$t
  artifacts=$build/fuzz-artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=$build/fuzz-logs/$t.log
  mkdir -p "$(dirname "$log")"
  printf '\n---- fuzz_%s: %ss, -max_len=%s\n' "$t" "$seconds" "$(max_len "$t")"
  flags=(-max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 -max_total_time="$seconds"
         -print_final_stats=1 -artifact_prefix="$artifacts/")
  ((fork > 1)) && flags+=(-fork="$fork" -ignore_crashes=0)
  status=0
  (cd "$artifacts" && "$bin" "${flags[@]}" "$work" "$root/tests/fuzz/corpus/$t") >"$log" 2>&1 || status=$?
  grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' "$log" | tail -2 || true
  if ((status != 0)); then
    crash=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/Test unit written to //')
    echo "fuzz_$t FAILED (exit $status); input: ${crash:-see log}; log: $log" >&2
    grep -E 'ERROR|SUMMARY|invariant|runtime error|unexpected' "$log" | head -5 >&2 || true
    failed+=("$t")
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: failing targets: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all targets clean"
