#!/usr/bin/env bash
# The hotspot-cell scenario against the multi-process cluster (mmo-launcher: etcd, Redis, one
# coordinator, 2 zones sized for 150 entities, one gateway), once with the coordinator's
# split/merge on and once off. While the bots play it samples every zone's load and the cells
# of the crowded cell's quarters from the coordinator's API once a second.
#   scripts/split-compare.sh OUT_DIR [on|off ...]
# Writes OUT_DIR/<run>-<mode>/report.{json,html} (the load tester's) and .../loads.tsv
# (seconds, zone, load, cells), and prints one summary line per run. Needs `cargo build --bins`.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: scripts/split-compare.sh OUT_DIR [on|off ...]}"
shift
if [ $# -eq 0 ]; then set -- on off; fi
bin="${MMO_BIN_DIR:-$PWD/target/debug}"
run=0
for mode in "$@"; do
  run=$((run + 1))
  dir="$out/$run-$mode"
  mkdir -p "$dir"
  http_port=$((18000 + RANDOM % 1000))
  fifo="$dir/launcher.in"
  rm -f "$fifo" && mkfifo "$fifo"
  MMO_SPLIT_MERGE="$mode" MMO_CAPACITY=150 MMO_REBALANCE_PERIOD_MS=500 \
    "$bin/mmo-launcher" up --zones 2 --coordinators 1 --http "127.0.0.1:$http_port" --quic 127.0.0.1:0 \
    --bin-dir "$bin" < "$fifo" > "$dir/launcher.log" 2>&1 &
  launcher=$!
  exec 3> "$fifo"
  for _ in $(seq 1 120); do grep -q "dashboard" "$dir/launcher.log" && break; sleep 0.5; done
  dashboard=$(grep -o 'http://[0-9.:]*/dashboard' "$dir/launcher.log" | head -1)
  api="${dashboard%/dashboard}"
  echo "[$mode] cluster up: play http://127.0.0.1:$http_port/ api $api"
  : > "$dir/loads.tsv"
  (
    start=$(date +%s)
    while kill -0 "$launcher" 2>/dev/null; do
      now=$(( $(date +%s) - start ))
      curl -s "$api/api/state" | python3 -c "
import json, sys
d = json.load(sys.stdin)
for z in d['zones']:
    print('$now', z['id'], round(z['load'], 3), z['cells'], sep='\t')
print('$now', 'layout', len(d['cells']), ' '.join(c['cell'] + '=' + str(c['zone']) for c in d['cells'] if c['depth'] > 0), sep='\t')
" >> "$dir/loads.tsv" 2>/dev/null || true
      sleep 1
    done
  ) &
  sampler=$!
  "$bin/loadtest" --scenario loadtest/scenarios/hotspot-cell.toml --target "http://127.0.0.1:$http_port/" \
    --out "$dir" --quiet > "$dir/loadtest.log" 2>&1 || true
  echo stop >&3
  exec 3>&-
  wait "$launcher" || true
  kill "$sampler" 2>/dev/null || true
  python3 - "$dir" "$mode" <<'PY'
import json, sys
d, mode = sys.argv[1], sys.argv[2]
r = json.load(open(f"{d}/report.json"))
m = r["metrics"]
loads = [l.split("\t") for l in open(f"{d}/loads.tsv") if l.strip()]
zl = [float(l[2]) for l in loads if l[1] != "layout"]
quarters = max((len(l[3].split()) if len(l) > 3 and l[3] else 0) for l in loads if l[1] == "layout")
by = {}
for l in loads:
    if l[1] != "layout":
        by.setdefault(int(l[0]), []).append(float(l[2]))
plateau = [max(v) for t, v in sorted(by.items()) if 25 <= t <= 60]
print(f"[{mode}] hottest zone load over seconds 25-60 mean {sum(plateau) / max(len(plateau), 1):.2f} (max {max(plateau, default=0):.2f}, "
      f"peak of the run {max(zl):.2f}); most quarters at once {quarters}; rtt p99 {m['rtt_p99_ms']:.1f} ms; "
      f"snapshot gaps {m['snapshot_gaps']:.0f}; unexpected disconnects {m['unexpected_disconnects']:.0f}; "
      f"connect failures {m['connect_failures']:.0f}")
PY
done
