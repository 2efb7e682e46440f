#!/usr/bin/env bash
# Starts a playable local world (coordinator, zone server and gateway in one process, embedded
# defaults) and prints the URL to open. Extra arguments go to mmo-local (see --help).
set -euo pipefail
cd "$(dirname "$0")"
scripts/install-build-deps.sh
scripts/build-client.sh
exec cargo run --release -q -p mmo-local -- "$@"
