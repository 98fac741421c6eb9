#!/usr/bin/env bash
# Prints the bin directory of Node 24 LTS, fetched once from the npm registry (the package
# node-<platform>-<arch> holds the official binary in bin/node) and cached outside the clone.
# The service runs on Node 20 too, but Node 20 is past its end of life (2026-04-30) and costs
# a quarter to a half more CPU per command (docs/performance.md). Use:
#   PATH="$(scripts/node24.sh):$PATH" npm start
# `npm pack` only downloads the tarball: no install scripts run. Pinned, so the cache is reused.
set -euo pipefail
NODE_24=24.22.3
cache="${CRM_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crm-pipeline}/node-v$NODE_24"
if [ ! -x "$cache/bin/node" ]; then
  platform="$(node -p 'process.platform + "-" + process.arch')"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "fetching Node $NODE_24 ($platform) from the npm registry into $cache" >&2
  (cd "$tmp" && npm pack "node-$platform@$NODE_24" --silent > /dev/null)
  mkdir -p "$tmp/node" "$(dirname "$cache")"
  tar -xzf "$tmp"/node-"$platform"-"$NODE_24".tgz -C "$tmp/node" --strip-components=1
  rm -rf "$cache"
  mv "$tmp/node" "$cache"
fi
echo "$cache/bin"
