#!/usr/bin/env bash
# Installs what retold needs from Debian 12 packages (idempotent; run as root).
# Nothing is downloaded except Debian packages through apt.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libfaiss-dev libblas-dev liblapack-dev libeigen3-dev libxxhash-dev libutf8proc-dev
  libsimdjson-dev libcli11-dev zlib1g-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  python3 python3-pytest python3-numpy python3-pip python3-setuptools python3-wheel
  binutils time
  clang libclang-rt-14-dev
  abigail-tools chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  if [ "$(id -u)" != 0 ]; then
    echo "setup: need root to install packages (run as root, or: sudo $0)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present" >&2
fi

# What a binding needs beyond these (a toolchain, a package from the npm registry) is installed by
# its own bindings/<language>/setup.sh, run here after the Debian packages above.
root=$(cd "$(dirname "$0")/.." && pwd)
for script in "$root"/bindings/*/setup.sh; do
  [ -x "$script" ] || continue
  "$script"
done
