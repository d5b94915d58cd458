#!/usr/bin/env bash
# Configures and builds retold into BUILD_DIR (default: build). Extra arguments go to cmake.
#   tools/build.sh [BUILD_DIR] [-DOPTION=VALUE ...]
# A new build directory gets Ninja (CMAKE_GENERATOR overrides). One configured before with another
# generator (e.g. by a plain `cmake -B build`, which picks Unix Makefiles) keeps it: CMake refuses
# to switch the generator of an existing build directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
generator=(-G "${CMAKE_GENERATOR:-Ninja}")
if [[ -f "$build/CMakeCache.txt" ]]; then
  existing=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build/CMakeCache.txt")
  if [[ -n "$existing" ]]; then
    generator=()
    if [[ "$existing" != "${CMAKE_GENERATOR:-Ninja}" ]]; then
      echo "tools/build.sh: $build was configured with the '$existing' generator; keeping it" \
           "(remove $build to start again with ${CMAKE_GENERATOR:-Ninja})" >&2
    fi
  fi
fi
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-Release} "$@" >/dev/null
cmake --build "$build" -j "$jobs"
