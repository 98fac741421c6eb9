#!/usr/bin/env bash
# Prints the bin directory of Node 24 LTS, fetched once from the npm registry (the package
# node-<platform>-<arch> holds the official binary in bin/node) and cached outside the clone.
# The service runs on Node 20 too, but Node 20 is past its end of life (2026-04-30) and spends
# a quarter to two thirds more CPU per command (docs/performance.md). Use:
#   bin="$(scripts/node24.sh)" && PATH="$bin:$PATH" npm start
# `npm pack` only downloads the tarball: no install scripts run. Pinned, so the cache is reused.
set -euo pipefail
NODE_24=24.22.3
cache="${CRM_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crm-pipeline}/node-v$NODE_24"
if ! "$cache/bin/node" --version > /dev/null 2>&1; then
  platform="$(node -p 'process.platform + "-" + process.arch')"
  mkdir -p "$(dirname "$cache")"
  # Unpacked beside the cache, then renamed into place: a run interrupted half way never leaves
  # a partial copy where the check above would take it.
  tmp="$(mktemp -d "$(dirname "$cache")/.node-v$NODE_24.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "fetching Node $NODE_24 ($platform) from the npm registry into $cache" >&2
  (cd "$tmp" && npm pack "node-$platform@$NODE_24" --silent > /dev/null)
  mkdir "$tmp/node"
  tar -xzf "$tmp"/node-"$platform"-"$NODE_24".tgz -C "$tmp/node" --strip-components=1
  "$tmp/node/bin/node" --version > /dev/null
  rm -rf "$cache"
  mv "$tmp/node" "$cache"
fi
"$cache/bin/node" --version > /dev/null
echo "$cache/bin"
