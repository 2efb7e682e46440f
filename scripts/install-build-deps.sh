#!/usr/bin/env bash
# Installs what building the Rust workspace needs beyond cargo, from Debian, when missing:
# protoc and the protobuf well-known types (the etcd client's build runs protoc).
set -euo pipefail
need=()
command -v protoc >/dev/null 2>&1 || need+=(protobuf-compiler)
[ -f /usr/include/google/protobuf/descriptor.proto ] || need+=(libprotobuf-dev)
"$(dirname "$0")/apt-install-missing.sh" "${need[@]}"
