#!/usr/bin/env bash
# Steps WebTransport bots up a ladder against the release `mmo-local` in its own process and
# prints, per step, the verdict, round trips, gaps, disconnects and the world's CPU and memory
# (whole and per session). Each step starts a fresh world; its report goes to OUT/N/.
#   scripts/capacity-ladder.sh [OUT] [N ...]     (default: target/capacity 300 500 700 1000)
# WORLD_ARGS adds flags to mmo-local; the default world starts everyone in its middle (the
# densest crowd). Players spread over a wider world, each seeing about 50 others:
#   WORLD_ARGS="--world-size 16x2 --start-points 16" scripts/capacity-ladder.sh OUT 500 1000
# Run it on a quiet machine (it renices both processes to -15: run as root, or drop the nice).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/capacity}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- 300 500 700 1000
echo "building the release world and load tester (the first build takes several minutes)..." >&2
cargo build --release -p mmo-local -p mmo-loadtest --bins >&2
scripts/build-client.sh >&2
mkdir -p "$out"
printf '%6s %-7s %8s %8s %6s %8s %8s %8s %8s %11s %11s\n' bots verdict p50_ms p99_ms gaps disconn in_view cpu_pct rss_mib cpu%/session KiB/session
for n in "$@"; do
  dir="$out/$n"
  mkdir -p "$dir"
  log="$dir/world.log"
  nice -n -15 target/release/mmo-local --http-addr 127.0.0.1:0 --quic-addr 127.0.0.1:0 \
    --client-dir browser-client/dist --durable memory --max-sessions 5000 ${WORLD_ARGS:-} >"$log" 2>&1 &
  world=$!
  url=""
  for _ in $(seq 1 300); do
    url=$(grep -o 'ready: http://[^ ]*' "$log" | cut -d' ' -f2 || true)
    [ -n "$url" ] && break
    kill -0 "$world" 2>/dev/null || { echo "mmo-local exited: see $log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "mmo-local did not print its URL: see $log" >&2; kill "$world"; exit 1; }
  nice -n -15 target/release/loadtest --scenario loadtest/scenarios/capacity-webtransport.toml \
    --target "$url" --target-pid "$world" --stage "20s:$n" --stage "30s:$n" --stage 5s:0 \
    --out "$dir" >"$dir/loadtest.log" 2>&1 || true
  kill "$world" && wait "$world" 2>/dev/null || true
  python3 - "$dir/report.json" "$n" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1])); m = r["metrics"]; p = r.get("target_process") or {}
print("%6s %-7s %8.1f %8.1f %6d %8d %8.1f %8.1f %8.1f %11.3f %11.1f" % (
    sys.argv[2], "pass" if r["passed"] else "FAIL", m["rtt_p50_ms"], m["rtt_p99_ms"],
    m["snapshot_gaps"], m["unexpected_disconnects"], m.get("entities_in_view_mean", 0), p.get("cpu_pct_at_peak", 0),
    p.get("rss_mib_at_peak", 0), p.get("cpu_pct_per_session", 0), p.get("rss_kib_per_session", 0)))
EOF
done
