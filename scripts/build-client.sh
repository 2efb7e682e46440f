#!/usr/bin/env bash
# Installs the browser client's npm packages when needed and builds it into browser-client/dist.
set -euo pipefail
cd "$(dirname "$0")/../browser-client"
# `npm install` rather than `npm ci`: npm 11 leaves rollup's optional per-platform packages out
# of the lock file, which `npm ci` then refuses; the lock file still pins every version.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi
if [ ! -f dist/index.html ] || [ -n "$(find src index.html vite.config.ts -newer dist/index.html -print -quit)" ]; then
  npm run build
fi
