#!/usr/bin/env bash
# Installs what building and smoke-testing the container images needs beyond the build
# dependencies, from Debian, when missing: umoci (builds OCI images without a daemon), skopeo
# (pushes them), file (checks the binaries are static), and for scripts/smoke-images.sh runc
# (runs them), jq (edits the bundles' config.json), curl, and etcd (the registry the services
# start against).
set -euo pipefail
here="$(dirname "$0")"
"$here/install-build-deps.sh"
need=()
for tool in umoci skopeo file runc jq curl; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
"$here/apt-install-missing.sh" "${need[@]}"
