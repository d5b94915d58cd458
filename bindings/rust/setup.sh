#!/usr/bin/env bash
# Installs the Rust binding's toolchain (idempotent; run as root on a fresh Debian 12 machine).
#   bindings/rust/setup.sh
# When a cargo is already there (on PATH, or a rustup install in ~/.cargo/bin), nothing is done.
# Otherwise Debian's cargo and rustc (Rust 1.63, the minimum the crates support: edition 2021) are
# installed, with gcc and libc6-dev, which rustc links with and the retold-sys header test compiles
# its layout probe with. Nothing else is downloaded: the workspace has no dependency and
# run_tests.sh builds with --offline. apt-get update runs only when a package is missing.
set -euo pipefail

for candidate in cargo "$HOME/.cargo/bin/cargo"; do
  if command -v "$candidate" >/dev/null 2>&1 && command -v cc >/dev/null 2>&1; then
    echo "bindings/rust/setup: $("$candidate" --version) present" >&2
    exit 0
  fi
done

packages=(cargo rustc gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "bindings/rust/setup: all packages present ($(/usr/bin/cargo --version))" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "bindings/rust/setup: need root to install ${missing[*]} (run as root, or: sudo $0)" >&2
  exit 1
fi
echo "bindings/rust/setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
/usr/bin/cargo --version >&2
