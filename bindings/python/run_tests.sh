#!/usr/bin/env bash
# Runs the Python binding's pytest suite against a CMake build of retold.
#   bindings/python/run_tests.sh BUILD_DIR
# BUILD_DIR must hold libretold_c.so.1 (target retold_c) and tests/c/seed_clusters_cpp (the C++
# side of the seed-corpus comparison). Uses Debian's python3 + python3-pytest (override with
# PYTHON=...). Exits non-zero on any failure, including "no tests collected" (pytest exit 5).
set -euo pipefail
# shellcheck source=../build_dir.sh
source "$(dirname "$0")/../build_dir.sh"

python=${PYTHON:-}
if [ -z "$python" ]; then
  # Debian's interpreter carries python3-pytest and python3-numpy; a pyenv/venv python3 earlier
  # on PATH may not.
  for candidate in /usr/bin/python3 python3; do
    if "$candidate" -c "import pytest" >/dev/null 2>&1; then
      python=$candidate
      break
    fi
  done
fi
if [ -z "$python" ]; then
  echo "run_tests.sh: no python3 with pytest found (apt-get install python3-pytest)" >&2
  exit 1
fi

export RETOLD_LIBRARY="$lib"
export RETOLD_BUILD_DIR="$build"  # tests/test_dask.py runs its bench/e2e_nightly_gen
export RETOLD_SEED_TOOL="$tool"
export RETOLD_SEEDS_DIR="${RETOLD_SEEDS_DIR:-$root/seeds}"
export PYTHONDONTWRITEBYTECODE=1

cd "$here"
set +e
"$python" -m pytest -q -p no:cacheprovider tests "${@:2}"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "run_tests.sh: pytest collected no tests" >&2
  exit 1
fi
exit "$rc"
