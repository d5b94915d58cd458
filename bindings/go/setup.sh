#!/usr/bin/env bash
# Installs the Go binding's toolchain from Debian 12 (idempotent; run as root on a fresh machine).
#   bindings/go/setup.sh
# The binding needs only Debian's golang-go (Go 1.19, which brings cgo and the race detector) and
# a C compiler (build-essential, which tools/setup.sh already installs). Nothing else is
# downloaded: the module has no requirements and run_tests.sh builds with GOPROXY=off.
# apt-get update runs only when a package is missing.
set -euo pipefail

packages=(golang-go gcc libc6-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "bindings/go/setup: all packages present ($(/usr/bin/go version 2>/dev/null || echo 'go missing'))" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "bindings/go/setup: need root to install ${missing[*]} (run as root, or: sudo $0)" >&2
  exit 1
fi
echo "bindings/go/setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
/usr/bin/go version >&2
