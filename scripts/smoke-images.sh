#!/usr/bin/env bash
# Smoke-tests the images scripts/build-images.sh made (in ${CARGO_TARGET_DIR:-target}/images),
# with Debian's runc and no container daemon. For each image: unpacks it with umoci into a
# runtime bundle, checks what the image config became (user 65532:65532, the entrypoint, env,
# labels) and the root filesystem (nothing but the binary, /etc, /tmp, the client), runs
# `--help` and `--version` in it. Then a small world from the images as a kubelet would run
# them (read-only root, /etc/hosts given, SIGTERM to stop): an etcd on the host, the
# coordinator, a zone and a gateway, each in its own container on the host's network; the
# coordinator must give the zone every cell, the gateway serve the page and the coordinator the
# dashboard, each process run as uid 65532, and each exit 0 on SIGTERM.
# As root; otherwise rootless (umoci --rootless, runc in a user namespace that maps only the
# caller, so the containers run as the caller and the uid 65532 is checked in config.json only).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-image-deps.sh

out="${CARGO_TARGET_DIR:-target}/images"
bins=(mmo-zone mmo-gateway mmo-coordinator)
work="$(mktemp -d "${TMPDIR:-/tmp}/mmo-smoke.XXXXXX")"
rootless=()
runc=(runc)
if [ "$(id -u)" -ne 0 ]; then
  rootless=(--rootless)
  runc=(runc --root "${XDG_RUNTIME_DIR:-$work}/runc")
fi
prefix="mmo-smoke-$$"
started=()   # containers started in the background
etcd_pid=""

cleanup() {
  local c
  for c in "${started[@]}"; do
    "${runc[@]}" kill "$c" KILL 2>/dev/null || true
    "${runc[@]}" delete --force "$c" 2>/dev/null || true
  done
  [ -z "$etcd_pid" ] || kill "$etcd_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# wait_for FILE REGEX SECONDS: waits until a line of FILE matches, prints it.
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "--- $1" >&2
  cat "$1" >&2 || true
  fail "no line matching '$2' in $1 after $3 s"
}
# free_port: a TCP port on 127.0.0.1 nothing listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
# json FILE FILTER: one jq result, raw.
json() { jq -er "$2" "$1"; }

# unpack NAME DIR: NAME's image (its only tag) as a runtime bundle in DIR, config.json as umoci
# made it from the image config.
unpack() {
  local layout="$out/$1" tag
  tag="$(umoci ls --layout "$layout")"
  [ "$(wc -l <<<"$tag")" -eq 1 ] || fail "$layout: expected one tag, found: $tag"
  umoci unpack "${rootless[@]}" --image "$layout:$tag" "$2" >/dev/null
}
# bundle NAME DIR ARGS...: unpacks NAME's image into DIR and makes its config.json run ARGS
# (after the entrypoint) the way a kubelet would: read-only root, a writable /tmp, the host's
# network, /etc/hosts given (with etcd.smoke, to check name lookups in the static binary).
bundle() {
  local name="$1" dir="$2"
  shift 2
  unpack "$name" "$dir"
  local args
  args="$(printf '%s\n' "/usr/local/bin/$name" "$@" | jq -R . | jq -sc .)"
  # Rootless, the user namespace maps only the caller (as 0): run as that user.
  local user='.'
  [ ${#rootless[@]} -eq 0 ] || user='.process.user = {uid: 0, gid: 0}'
  jq --argjson args "$args" --arg hosts "$work/hosts" "$user"' | .process.args = $args
    | .process.terminal = false
    | .root.readonly = true
    | .linux.namespaces |= map(select(.type != "network"))
    | .mounts += [
        {destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]},
        {destination: "/etc/hosts", type: "bind", source: $hosts, options: ["rbind", "ro"]}
      ]' "$dir/config.json" >"$dir/config.json.new"
  mv "$dir/config.json.new" "$dir/config.json"
}
printf '127.0.0.1\tlocalhost etcd.smoke\n::1\tlocalhost\n' >"$work/hosts"

step "image configs and root filesystems"
revision="$(git rev-parse HEAD)"
for name in "${bins[@]}"; do
  [ -d "$out/$name" ] || fail "$out/$name missing: run scripts/build-images.sh first"
  dir="$work/$name-inspect"
  unpack "$name" "$dir"
  config="$dir/config.json"
  [ "$(json "$config" '.process.user.uid'):$(json "$config" '.process.user.gid')" = "65532:65532" ] ||
    fail "$name: process.user is $(jq -c .process.user "$config"), not 65532:65532"
  [ "$(json "$config" '.process.cwd')" = / ] || fail "$name: working directory $(json "$config" .process.cwd)"
  # The image config (labels live there, not in the runtime config).
  manifest="$(jq -er '.manifests[0].digest' "$out/$name/index.json" | sed 's,:,/,')"
  image_config="$out/$name/blobs/$(jq -er '.config.digest' "$out/$name/blobs/$manifest" | sed 's,:,/,')"
  [ "$(json "$image_config" '.config.Entrypoint | join(" ")')" = "/usr/local/bin/$name" ] ||
    fail "$name: entrypoint $(jq -c .config.Entrypoint "$image_config")"
  [ "$(json "$image_config" '.config.Labels["org.opencontainers.image.revision"]')" = "$revision" ] ||
    fail "$name: revision label is not $revision (rebuild the images?)"
  json "$image_config" '.config.Labels["org.opencontainers.image.version"]' >/dev/null
  # What the root filesystem holds: nothing else (no shell, no libraries).
  files="$(cd "$dir/rootfs" && find . -path './srv/client/*' -prune -o -print | sort | tr '\n' ' ')"
  expected=". ./etc ./etc/group ./etc/nsswitch.conf ./etc/passwd ./home ./home/nonroot ./tmp ./usr ./usr/local ./usr/local/bin ./usr/local/bin/$name "
  if [ "$name" != mmo-zone ]; then
    expected=". ./etc ./etc/group ./etc/nsswitch.conf ./etc/passwd ./home ./home/nonroot ./srv ./srv/client ./tmp ./usr ./usr/local ./usr/local/bin ./usr/local/bin/$name "
    [ "$(json "$config" '.process.env[] | select(startswith("MMO_CLIENT_DIR="))')" = MMO_CLIENT_DIR=/srv/client ] ||
      fail "$name: MMO_CLIENT_DIR is not /srv/client"
    for page in index.html dashboard.html; do
      [ -f "$dir/rootfs/srv/client/$page" ] || fail "$name: no /srv/client/$page"
    done
  fi
  [ "$files" = "$expected" ] || fail "$name: root filesystem holds: $files (expected: $expected)"
  grep -qx 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' "$dir/rootfs/etc/passwd" ||
    fail "$name: no nonroot user in /etc/passwd"
  echo "$name: user 65532:65532, entrypoint /usr/local/bin/$name, revision $revision, $(du -sh "$out/$name" | cut -f1)"
done

step "--help and --version in each image"
# run_once NAME EXPECTED ARGS...: runs the image with ARGS, expects exit 0 and EXPECTED in stdout.
run_once() {
  local name="$1" expected="$2"
  shift 2
  local id="$prefix-once" dir="$work/$name-once"
  rm -rf "$dir"
  bundle "$name" "$dir" "$@"
  local status=0
  "${runc[@]}" run --bundle "$dir" "$id" >"$dir.out" 2>&1 || status=$?
  "${runc[@]}" delete --force "$id" 2>/dev/null || true
  [ "$status" -eq 0 ] || { cat "$dir.out" >&2; fail "$name $*: exit $status"; }
  grep -qF -- "$expected" "$dir.out" || { cat "$dir.out" >&2; fail "$name $*: no '$expected' in the output"; }
  echo "$name $*: exit 0, '$expected'"
}
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)"
for name in "${bins[@]}"; do
  run_once "$name" "Usage: $name" --help
  run_once "$name" "$name $version" --version
done
run_once mmo-coordinator "MMO_CLIENT_DIR" run --help
run_once mmo-gateway "MMO_CLIENT_DIR" --help

step "a world from the images: etcd (host), coordinator, zone, gateway"
etcd_port="$(free_port)"
peer_port="$(free_port)"
etcd --name smoke --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "smoke=http://127.0.0.1:$peer_port" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
wait_for "$work/etcd.log" 'ready to serve client requests|serving client traffic insecurely' 30 >/dev/null
etcd_url="http://etcd.smoke:$etcd_port"   # resolved through /etc/hosts inside the containers
echo "etcd: $etcd_url"

declare -A pids
# start NAME ARGS...: runs NAME's image in the background (container $prefix-NAME).
start() {
  local name="$1"
  shift
  local id="$prefix-$name" dir="$work/$name-run"
  bundle "$name" "$dir" "$@"
  "${runc[@]}" run --bundle "$dir" "$id" >"$dir.log" 2>&1 &
  pids[$name]=$!
  started+=("$id")
}
# uid_of NAME: the uid the container's first process runs as, seen from the host.
uid_of() {
  local pid
  pid="$("${runc[@]}" state "$prefix-$1" | jq -er .pid)"
  awk '/^Uid:/ { print $2 }' "/proc/$pid/status"
}

coordinator_port="$(free_port)"
gateway_port="$(free_port)"
start mmo-coordinator run --etcd "$etcd_url" --candidate smoke-1 --http "127.0.0.1:$coordinator_port"
wait_for "$work/mmo-coordinator-run.log" '^ready: ' 30
start mmo-zone --id 1 --etcd "$etcd_url" --link 127.0.0.1:0 --http 127.0.0.1:0
zone_ready="$(wait_for "$work/mmo-zone-run.log" '^ready: ' 30)"
echo "$zone_ready"
zone_http="${zone_ready##*http=}"
start mmo-gateway --id 1 --etcd "$etcd_url" --http "127.0.0.1:$gateway_port" --quic 127.0.0.1:0
wait_for "$work/mmo-gateway-run.log" '^ready: ' 30

for name in "${bins[@]}"; do
  if [ ${#rootless[@]} -gt 0 ]; then echo "$name: rootless, runs as the caller (not checked)"; continue; fi
  uid="$(uid_of "$name")"
  [ "$uid" = 65532 ] || fail "$name runs as uid $uid, not 65532"
  echo "$name: runs as uid $uid"
done
curl -fsS "http://$zone_http/livez" >/dev/null || fail "zone /livez"
curl -fsS "http://127.0.0.1:$gateway_port/" | grep -qi '<!doctype html' || fail "the gateway does not serve the page"
curl -fsS "http://127.0.0.1:$coordinator_port/dashboard" | grep -qi '<!doctype html' ||
  fail "the coordinator does not serve the dashboard"
echo "gateway serves the page, coordinator the dashboard, zone /livez ok"
cells_ok() { # FILE: every cell owned by zone 1, and one gateway registered
  jq -e '(.cells | length > 0) and all(.cells[]; .zone == 1) and (.gateways | length == 1)' "$1" >/dev/null 2>&1
}
for ((i = 0; i < 300; i++)); do
  curl -fsS -o "$work/state.json" "http://127.0.0.1:$coordinator_port/api/state" || true
  if cells_ok "$work/state.json"; then break; fi
  sleep 0.1
done
cells_ok "$work/state.json" ||
  fail "after 30 s not every cell is zone 1's, or no gateway registered: $(cat "$work/state.json" 2>/dev/null)"
total="$(jq '.cells | length' "$work/state.json")"
echo "the coordinator gave zone 1 all $total cells; the gateway is registered"
curl -fsS "http://127.0.0.1:$gateway_port/readyz" >/dev/null || fail "gateway /readyz"

# Stop as Kubernetes does: SIGTERM to the container's first process, which must exit 0.
for name in mmo-gateway mmo-zone mmo-coordinator; do
  "${runc[@]}" kill "$prefix-$name" TERM
  status=0
  wait "${pids[$name]}" || status=$?
  [ "$status" -eq 0 ] || { cat "$work/$name-run.log" >&2; fail "$name exited $status on SIGTERM"; }
  "${runc[@]}" delete --force "$prefix-$name" 2>/dev/null || true
  echo "$name: exit 0 on SIGTERM"
done
started=()

step "images ok"
