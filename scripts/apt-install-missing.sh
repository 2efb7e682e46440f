#!/usr/bin/env bash
# apt-installs the Debian packages named as arguments (used by the install-*-deps scripts).
set -euo pipefail
[ $# -gt 0 ] || exit 0
echo "installing from Debian: $*"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
