#!/usr/bin/env bash
# The whole test suite, from a fresh clone on Debian 12 (as root): installs what is missing,
# builds, and runs
#   1. every CTest test of the Release build (GoogleTest units, end to end, C ABI, CLI, install),
#   2. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. each binding's own suite (bindings/<language>/run_tests.sh),
#   4. the exported C ABI against its recorded baseline (tools/ci/abi.sh), the concurrency
#      tests built with ThreadSanitizer (tools/ci/tsan.sh),
#   5. each libFuzzer target for a bounded time (tools/ci/fuzz.sh: 300 s shared by the targets, or
#      RETOLD_FUZZ_SECONDS each),
#   6. the evaluation on real data with its regression floors, when ../shared/data exists.
# Exits non-zero when anything fails. Idempotent: rebuilds incrementally.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc 2>/dev/null || echo 2)
data_dir=${RETOLD_DATA_DIR:-$root/../shared/data}
export RETOLD_DATA_DIR=$data_dir

step() { printf '\n==== %s\n' "$*"; }

step "setup"
"$root/tools/setup.sh"

step "Release build"
"$root/tools/build.sh" "$root/build"
step "Release tests"
# The Python suite (CTest label "python") runs once, in the bindings stage below.
ctest --test-dir "$root/build" --output-on-failure -j "$jobs" --timeout 1800 -LE python

step "AddressSanitizer + UndefinedBehaviorSanitizer build"
CMAKE_BUILD_TYPE=RelWithDebInfo "$root/tools/build.sh" "$root/build-asan" \
  -DRETOLD_SANITIZE=ON -DRETOLD_BUILD_BENCH=OFF -DRETOLD_INSTALL=OFF
step "Sanitized tests"
# OpenMP's runtime keeps thread-local caches alive at exit: leak reports from it are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tools/lsan.supp}
ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs" --timeout 3600 -LE "install|python|slow"
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

for stage in abi tsan fuzz; do
  if [ -x "$root/tools/ci/$stage.sh" ]; then
    step "$stage stage (tools/ci/$stage.sh)"
    "$root/tools/ci/$stage.sh"
  fi
done

# Every binding carries bindings/<language>/run_tests.sh BUILD_DIR (its own runner: pytest,
# cargo test, go test, node --test); Python first, the rest in name order.
for binding in python $(ls "$root/bindings" | grep -vx python); do
  if [ -x "$root/bindings/$binding/run_tests.sh" ]; then
    step "$binding binding"
    "$root/bindings/$binding/run_tests.sh" "$root/build"
  fi
done

if [ -d "$data_dir" ] && [ -x "$root/build/bench/eval/retold_eval" ]; then
  step "Evaluation on real data ($data_dir), with regression floors"
  "$root/build/bench/eval/retold_eval" --data "$data_dir" --check-floors
else
  step "Evaluation skipped: no data at $data_dir"
fi

step "all test stages passed"
