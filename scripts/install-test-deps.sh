#!/usr/bin/env bash
# Installs the system packages the builds and tests need, from Debian, when they are missing:
# the build dependencies, Chromium for the browser tests, etcd for the registry and election
# tests, redis-server for the store and hot-state tests (the harness starts its own on free
# ports), cargo-fuzz for the fuzz targets. A missing package is an error, never a skipped test.
set -euo pipefail
here="$(dirname "$0")"
"$here/install-build-deps.sh"
"$here/install-fuzz-deps.sh"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
"$here/apt-install-missing.sh" "${need[@]}"
