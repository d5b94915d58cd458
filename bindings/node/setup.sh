#!/usr/bin/env bash
# Installs what the Node.js binding needs on Debian 12, idempotently (tools/setup.sh runs it as
# root after the Debian packages): node and npm from Debian when missing (apt-get update only
# then), and the npm packages of package-lock.json (koffi with its prebuilt Linux binary,
# typescript for the declaration test) into bindings/node/node_modules when missing. Nothing is
# compiled: `npm ci --ignore-scripts` (koffi's install script only checks for its prebuilt binary).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bindings/node/setup.sh: node or npm is missing; run as root to install Debian's nodejs and npm" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
  echo "bindings/node/setup.sh: node $(node --version) is too old (need 18 or later)" >&2
  exit 1
fi

if [ ! -f "$here/node_modules/koffi/package.json" ] || [ ! -f "$here/node_modules/typescript/package.json" ] ||
   [ ! -d "$here/node_modules/@koromix" ]; then
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
else
  echo "bindings/node/setup.sh: node $(node --version) and node_modules present" >&2
fi
