#!/usr/bin/env bash
# Builds one OCI image per service (mmo-zone, mmo-gateway, mmo-coordinator) without a container
# daemon: statically linked release binaries, the browser client (the gateway serves the page,
# the coordinator the dashboard), then for each an image FROM scratch made with umoci:
#
#   /usr/local/bin/<name>            the binary (the entrypoint)
#   /etc/passwd, group, nsswitch.conf  from images/rootfs/ (user 65532 "nonroot")
#   /srv/client                      the built client (gateway, coordinator; MMO_CLIENT_DIR)
#   /tmp (1777), /home/nonroot
#
# No CA certificates: no service is a TLS client of a public CA (the zone link pins the
# certificates registered in etcd; etcd and Redis are spoken without TLS).
#
# Output: an OCI layout per image, ${CARGO_TARGET_DIR:-target}/images/<name>, tagged with the
# git revision (MMO_IMAGE_TAG overrides). Run it with scripts/smoke-images.sh; push with
#
#   scripts/build-images.sh --push REGISTRY      # e.g. ghcr.io/acme: REGISTRY/<name>:<tag>
#
# which runs `skopeo copy $MMO_SKOPEO_FLAGS oci:<layout>:<tag> docker://REGISTRY/<name>:<tag>`
# (log in first with `skopeo login`; MMO_SKOPEO_FLAGS=--dest-tls-verify=false for a plain-HTTP
# registry). Installs umoci, skopeo and runc from Debian when missing. Containerfile users:
# images/Containerfile builds the same images with Docker or Podman.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
push=""
while [ $# -gt 0 ]; do
  case "$1" in
    --push) push="${2:?--push needs a registry, e.g. ghcr.io/acme}"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
took() { printf '   (%ss)\n' "$((SECONDS - $1))"; }

scripts/install-image-deps.sh

triple="$(rustc -vV | sed -n 's/^host: //p')"
case "$triple" in
  x86_64-unknown-linux-gnu) arch=amd64 ;;
  aarch64-unknown-linux-gnu) arch=arm64 ;;
  *) echo "unsupported build host $triple (expected x86_64 or aarch64 Linux with glibc)" >&2; exit 1 ;;
esac
target_dir="${CARGO_TARGET_DIR:-target}"
out="$target_dir/images"
bins=(mmo-zone mmo-gateway mmo-coordinator)

revision="$(git rev-parse HEAD)"
dirty=""
[ -z "$(git status --porcelain --untracked-files=no)" ] || dirty="-dirty"
tag="${MMO_IMAGE_TAG:-$(git rev-parse --short=12 HEAD)$dirty}"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
source_url="${MMO_IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || true)}"
# The commit's time stamps the files, the layer history and the config: the same commit gives
# the same layers.
epoch="$(git log -1 --format=%ct HEAD)"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"

step "static release binaries ($triple): ${bins[*]}"
t=$SECONDS
# crt-static links glibc in; the explicit --target keeps build scripts and proc macros dynamic.
# No debug info in the images (symbols stay, so backtraces name functions).
bin_args=()
for bin in "${bins[@]}"; do bin_args+=(--bin "$bin"); done
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" CARGO_PROFILE_RELEASE_DEBUG=0 \
  cargo build --release --locked --target "$triple" "${bin_args[@]}"
for bin in "${bins[@]}"; do
  path="$target_dir/$triple/release/$bin"
  info="$(file -b "$path")"
  echo "$bin: $info"
  case "$info" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "$path is not statically linked" >&2; exit 1 ;;
  esac
done
took $t

step "browser client (page and dashboard)"
t=$SECONDS
scripts/build-client.sh
for f in index.html dashboard.html; do
  [ -f "browser-client/dist/$f" ] || { echo "browser-client/dist/$f missing after the build" >&2; exit 1; }
done
took $t

# image NAME ENTRYPOINT_ARGS... -- CONFIG_FLAGS...: builds the OCI layout $out/NAME.
image() {
  local name="$1" work="$out/.work/$1" layout="$out/$1"
  shift
  local client=false
  if [ "$1" = "--client" ]; then client=true; shift; fi
  local config=("$@")
  rm -rf "$work" "$layout"
  mkdir -p "$work"
  umoci init --layout "$layout"
  umoci new --image "$layout:$tag"
  umoci unpack "${rootless[@]}" --image "$layout:$tag" "$work/bundle" >/dev/null
  local root="$work/bundle/rootfs"
  cp -r images/rootfs/. "$root/"
  mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  [ ${#rootless[@]} -gt 0 ] || chown 65532:65532 "$root/home/nonroot"
  install -m 0755 "$target_dir/$triple/release/$name" "$root/usr/local/bin/$name"
  if $client; then
    mkdir -p "$root/srv"
    cp -r browser-client/dist "$root/srv/client"
  fi
  chmod -R go-w,a+rX "$root/etc" "$root/usr"
  if $client; then chmod -R go-w,a+rX "$root/srv"; fi
  find "$root" -exec touch -h -d "@$epoch" {} +
  umoci repack --image "$layout:$tag" --history.created "$created" \
    --history.created_by "scripts/build-images.sh" "$work/bundle"
  local labels=(
    --config.label "org.opencontainers.image.title=$name"
    --config.label "org.opencontainers.image.version=$version"
    --config.label "org.opencontainers.image.revision=$revision"
    --config.label "org.opencontainers.image.created=$created"
    --config.label "org.opencontainers.image.licenses=MIT OR Apache-2.0"
  )
  [ -z "$source_url" ] || labels+=(--config.label "org.opencontainers.image.source=$source_url")
  umoci config --image "$layout:$tag" --created "$created" --architecture "$arch" --os linux \
    --history.created "$created" --history.created_by "scripts/build-images.sh: config" \
    --config.user 65532:65532 --config.workingdir / \
    --config.entrypoint "/usr/local/bin/$name" \
    --config.env "PATH=/usr/local/bin" --config.env "RUST_LOG=info" \
    "${labels[@]}" "${config[@]}"
  umoci gc --layout "$layout"
  chmod -R a+rX "$layout"   # umoci writes index.json 0600; let other users read the layout
  rm -rf "$work"
  printf '%s:%s  %s\n' "$layout" "$tag" "$(du -sh "$layout" | cut -f1)"
}

step "OCI images FROM scratch (umoci) in $out, tag $tag"
# Not root: umoci --rootless records every file as root's; /home/nonroot is then not 65532's
# (no service writes there).
rootless=()
[ "$(id -u)" -eq 0 ] || rootless=(--rootless)
t=$SECONDS
mkdir -p "$out"
# Every service binds all interfaces in a container. The zone's link address is registered in
# etcd as bound, so it must be dialable: the deployment sets MMO_LINK (e.g. $(POD_IP):7000).
image mmo-zone \
  --config.env "MMO_HTTP=0.0.0.0:8080" \
  --config.exposedports 8080/tcp --config.exposedports 7000/tcp
image mmo-gateway --client \
  --config.env "MMO_HTTP=0.0.0.0:8080" --config.env "MMO_QUIC=0.0.0.0:4433" \
  --config.env "MMO_CLIENT_DIR=/srv/client" \
  --config.exposedports 8080/tcp --config.exposedports 4433/udp
image mmo-coordinator --client \
  --config.cmd run \
  --config.env "MMO_HTTP=0.0.0.0:8090" --config.env "MMO_CLIENT_DIR=/srv/client" \
  --config.exposedports 8090/tcp
rm -rf "$out/.work"
took $t

if [ -n "$push" ]; then
  step "push to $push"
  for bin in "${bins[@]}"; do
    echo "$push/$bin:$tag"
    # shellcheck disable=SC2086 # MMO_SKOPEO_FLAGS: flags, split on spaces
    skopeo copy ${MMO_SKOPEO_FLAGS:-} "oci:$out/$bin:$tag" "docker://$push/$bin:$tag"
  done
fi

step "done"
printf '%s\n' "${bins[@]/#/$out/}" | sed "s/\$/:$tag/"
