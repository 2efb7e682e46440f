#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a bounded time (default 20 s; FUZZ_SECONDS), two at
# a time, from the seed corpus in fuzz/corpus/<target> (left unchanged: what a run finds goes
# to a scratch copy) and with the dictionary fuzz/dicts/<target>.dict where there is one. A crash fails the run; its input is kept in fuzz/artifacts/<target>/.
#   fuzz/run.sh                  every target, 20 s each
#   FUZZ_SECONDS=600 fuzz/run.sh snapshot zone_link
#   FUZZ_RUNS=10000000 fuzz/run.sh   a number of executions per target instead of a time
set -euo pipefail
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-20}"
limit="-max_total_time=$seconds"
if [ -n "${FUZZ_RUNS:-}" ]; then
  limit="-runs=$FUZZ_RUNS"
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# No sanitizer: the code under test is safe Rust, where a bug shows as a panic, an overflow
# (debug assertions on) or a timeout; this builds in minutes instead of tens of minutes.
flags=(-s none -a)
echo "fuzz: building ${#targets[@]} targets"
cargo +nightly fuzz build "${flags[@]}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
run_one() {
  local t="$1"
  mkdir -p "$scratch/$t"
  # A dictionary of the tokens a text format is made of, where one helps (fuzz/dicts/).
  local dict=()
  if [ -f "dicts/$t.dict" ]; then
    dict=("-dict=dicts/$t.dict")
  fi
  if cargo +nightly fuzz run "${flags[@]}" "$t" "$scratch/$t" "corpus/$t" -- \
    "$limit" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    >"$scratch/$t.log" 2>&1; then
    local runs time
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t.log" | grep -o '[0-9]*$')"
    time="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$scratch/$t.log" | grep -o 'in [0-9]*' | grep -o '[0-9]*')"
    echo "fuzz: $t ok, $runs runs in ${time:-$seconds} s, 0 crashes"
  else
    echo "fuzz: $t FAILED; input in fuzz/artifacts/$t/:"
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$scratch/$t.log" | head -20
    return 1
  fi
}
export -f run_one
export scratch seconds limit
export flags_str="${flags[*]}"
failed=0
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'flags=($flags_str); run_one {}' || failed=1
exit $failed
