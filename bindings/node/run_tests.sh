#!/usr/bin/env bash
# Runs the Node.js binding's node --test suite against a CMake build of retold.
#   bindings/node/run_tests.sh BUILD_DIR [node --test arguments...]
# BUILD_DIR must hold libretold_c.so.1 (target retold_c) and tests/c/seed_clusters_cpp (the C++
# side of the seed-corpus comparison). Installs node_modules (npm ci, through setup.sh) when
# missing. Exits non-zero on any failure, and when no test ran; ends with the line
# "node: N passed, N failed".
set -euo pipefail
# shellcheck source=../build_dir.sh
source "$(dirname "$0")/../build_dir.sh"
if ! command -v node >/dev/null 2>&1 || [ ! -f "$here/node_modules/koffi/package.json" ] ||
   [ ! -f "$here/node_modules/typescript/package.json" ]; then
  "$here/setup.sh"
fi

export RETOLD_LIB="$lib"
export RETOLD_SEED_TOOL="$tool"
export RETOLD_REQUIRE_SEED_TOOL=1
export RETOLD_SEEDS_DIR="${RETOLD_SEEDS_DIR:-$root/seeds}"
export RETOLD_HEADER="${RETOLD_HEADER:-$root/include/retold/retold.h}"

cd "$here"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
node --test --test-reporter=tap "${@:2}" tests/*.test.js | tee "$log"
rc=${PIPESTATUS[0]}
set -e
count() { sed -n "s/^# $1 \([0-9]*\)$/\1/p" "$log" | tail -1; }
tests=$(count tests); pass=$(count pass); fail=$(count fail); skipped=$(count skipped)
echo "node: ${pass:-0} passed, ${fail:-0} failed, ${skipped:-0} skipped"
if [ "${tests:-0}" -eq 0 ]; then
  echo "run_tests.sh: no test ran" >&2
  exit 1
fi
exit "$rc"
