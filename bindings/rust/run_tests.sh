#!/usr/bin/env bash
# Runs the Rust binding's tests (cargo test, offline) against a CMake build of retold.
#   bindings/rust/run_tests.sh BUILD_DIR [extra cargo test arguments]
# BUILD_DIR must hold libretold_c.so (target retold_c) and tests/c/seed_clusters_cpp (the C++
# side of the seed-corpus comparison). Cargo builds into BUILD_DIR/rust-target (override with
# CARGO_TARGET_DIR), never into the source tree. Uses the first cargo of $CARGO, PATH,
# ~/.cargo/bin (bindings/rust/setup.sh installs Debian's). Exits non-zero on any failure,
# including when no test ran.
set -euo pipefail
# shellcheck source=../build_dir.sh
source "$(dirname "$0")/../build_dir.sh"
shift

cargo=${CARGO:-}
if [ -z "$cargo" ]; then
  for candidate in cargo "$HOME/.cargo/bin/cargo" /root/.cargo/bin/cargo; do
    if command -v "$candidate" >/dev/null 2>&1; then
      cargo=$(command -v "$candidate")
      break
    fi
  done
fi
if [ -z "$cargo" ]; then
  echo "run_tests.sh: no cargo found: run bindings/rust/setup.sh (Debian's cargo and rustc)" >&2
  exit 1
fi

export RETOLD_LIB_DIR="$build"
export RETOLD_INCLUDE_DIR="$root/include"
export RETOLD_SEED_TOOL="$tool"
export RETOLD_SEEDS_DIR="${RETOLD_SEEDS_DIR:-$root/seeds}"
export LD_LIBRARY_PATH="$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" # the doctests have no rpath
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$build/rust-target}"
export CARGO_NET_OFFLINE=true

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$here"
echo "run_tests.sh: $("$cargo" --version), library $build/libretold_c.so"
set +e
"$cargo" test --offline --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  exit "$rc"
fi
passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
if [ "$passed" -eq 0 ]; then
  echo "run_tests.sh: cargo test ran no test" >&2
  exit 1
fi
echo "run_tests.sh: $passed tests passed"
