# bindings/build_dir.sh - sourced by every bindings/<language>/run_tests.sh with the script's own
# arguments: checks the BUILD_DIR argument (a CMake build of retold, as tools/run-tests.sh passes
# it) and sets
#   here   the binding's folder        root   the repository
#   build  BUILD_DIR, absolute         lib    BUILD_DIR/libretold_c.so.1 (target retold_c)
#   tool   BUILD_DIR/tests/c/seed_clusters_cpp (the C++ side of the seed-corpus comparison)
# Exits 2 without an argument and 1 when BUILD_DIR lacks the library or the seed tool.
if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [arguments for the test runner]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ ! -d "$1" ]; then
  echo "$0: BUILD_DIR $1 is not a directory (a CMake build of retold)" >&2
  exit 1
fi
build=$(cd "$1" && pwd)
lib="$build/libretold_c.so.1"
if [ ! -e "$lib" ]; then
  echo "$0: $lib not found: build the retold_c target first" >&2
  exit 1
fi
tool="$build/tests/c/seed_clusters_cpp"
if [ ! -x "$tool" ]; then
  echo "$0: $tool not found: build with RETOLD_BUILD_TESTS=ON (target seed_clusters_cpp)" >&2
  exit 1
fi
