#!/usr/bin/env bash
# The ThreadSanitizer stage: builds retold with -fsanitize=thread into build-tsan (RelWithDebInfo,
# no benchmarks, no install rules) and runs everything that runs several threads:
#   1. the CTest tests labelled `concurrency` (tests/CMakeLists.txt lists them: the deduplicator's,
#      vector index's, LSH's and normalizer's multi-threaded tests, every store test, the stress
#      test tests/stress_test.cpp, the C ABI's capi.concurrency),
#   2. the kill-during-save test (label `crash`; it times its kills from a calibrating run),
#   3. the CLI's parallel paths: the end-to-end tests that compare --threads 1 and 2, run nights
#      incrementally, kill a run, or start two writers at once; and a generated two-night corpus
#      run with --threads 2 and with --threads 1 (the same stories),
#   4. the Python binding's thread tests, the interpreter preloaded with libtsan.
# Any report fails the stage (halt_on_error, exit code 66). The C++ and C tests run with no
# suppressions; the Python stage uses tools/tsan.supp (one entry, its reason written there).
#
# OpenMP: retold runs every FAISS call with a team of one (src/index/vector_index.cpp,
# single_thread_faiss) and has no OpenMP code of its own, so libgomp (not instrumented) starts no
# threads and cannot hide synchronization from TSan; OMP_NUM_THREADS is left alone on purpose.
#
#   tools/ci/tsan.sh            (RETOLD_TSAN_BUILD: build dir, RETOLD_STRESS_SECONDS: stress time,
#                                RETOLD_CRASH_KILLS: kills of the crash test)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${RETOLD_TSAN_BUILD:-$root/build-tsan}
jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)
step() { printf '\n==== tsan: %s (%ds)\n' "$*" $(( $(date +%s) - t0 )); }

step "build ($build)"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRETOLD_SANITIZE=thread \
  -DRETOLD_BUILD_BENCH=OFF -DRETOLD_INSTALL=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target retold_concurrency_tests

# history_size=4: longer access histories, so a report names both stacks.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 history_size=4"
export RETOLD_STRESS_SECONDS=${RETOLD_STRESS_SECONDS:-20}

step "concurrency tests (ctest -L concurrency)"
ctest --test-dir "$build" -L concurrency -j "$jobs" --output-on-failure --timeout 1200

step "kill during save (ctest -L crash)"
RETOLD_CRASH_KILLS=${RETOLD_CRASH_KILLS:-40} \
  ctest --test-dir "$build" -L crash --output-on-failure --timeout 1200

work=$(mktemp -d "${TMPDIR:-/tmp}/retold-tsan.XXXXXX")
trap 'rm -rf "$work"' EXIT
bin="$build/tools/retold"
python=/usr/bin/python3

step "CLI: end-to-end tests of the parallel paths"
RETOLD_BIN="$bin" RETOLD_SEEDS_DIR="$root/seeds" "$python" -m pytest -q -p no:cacheprovider \
  "$root/tests/cli/test_cli.py" -k "threads or incremental or cluster_ids_stable or kill_during_dedup or writer"

step "CLI: two nights of a generated corpus with --threads 2 and --threads 1"
# test_cli.make_corpus: stories with copies and edits; ~5,000 documents cross the built-in
# embedder's first full DF epoch (4096) and the open segment's close.
PYTHONPATH="$root/tests/cli" "$python" - "$work" <<'EOF'
import sys
from pathlib import Path
from test_cli import make_corpus, write_jsonl
out = Path(sys.argv[1])
docs = make_corpus(n_stories=3600, seed=3)
half = len(docs) * 3 // 5
write_jsonl(out / "night1.jsonl", docs[:half])
write_jsonl(out / "night2.jsonl", docs[half:])
print(f"{len(docs)} documents")
EOF
for threads in 2 1; do
  for night in 1 2; do
    "$bin" dedup "$work/night$night.jsonl" --state "$work/state-t$threads" --threads "$threads" \
      --batch-size 700 -q -o "$work/stories-t$threads-n$night.jsonl"
  done
done
"$bin" stats --state "$work/state-t2" >/dev/null
"$bin" query --state "$work/state-t2" --text "w1 w2 w3 w4 w5 w6 w7 w8 topic1x1 topic1x2" >/dev/null
for night in 1 2; do
  cmp "$work/stories-t2-n$night.jsonl" "$work/stories-t1-n$night.jsonl" || {
    echo "tsan: --threads 2 and --threads 1 give different stories on night $night" >&2
    exit 1
  }
done

step "Python: the binding's thread tests under libtsan"
# The interpreter is not instrumented: preloading the runtime makes its thread and lock calls
# visible to TSan (pthread interceptors), and only libretold_c's own accesses are checked.
RETOLD_LIBRARY="$build/libretold_c.so.1" PYTHONPATH="$root/bindings/python" \
  LD_PRELOAD="$(gcc -print-file-name=libtsan.so)" \
  TSAN_OPTIONS="$TSAN_OPTIONS suppressions=$root/tools/tsan.supp" \
  "$python" -m pytest -q -p no:cacheprovider "$root/bindings/python/tests/test_threads.py"

step "passed: no ThreadSanitizer reports"
