#!/usr/bin/env bash
# Installs what the Python binding's tests need beyond tools/setup.sh, from Debian 12
# (idempotent; run as root on a fresh machine).
#   bindings/python/setup.sh
# retold.dask (the distributed nightly dedup, docs/scaling.md) runs on Debian's Dask:
# python3-dask, python3-distributed (the scheduler and workers) and python3-pandas (the dataframes
# it returns). PyPI is not used. apt-get update runs only when a package is missing.
set -euo pipefail

packages=(python3 python3-pytest python3-numpy python3-pandas python3-dask python3-distributed)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "bindings/python/setup: all packages present" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "bindings/python/setup: need root to install ${missing[*]} (run as root, or: sudo $0)" >&2
  exit 1
fi
echo "bindings/python/setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
