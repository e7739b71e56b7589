#!/usr/bin/env bash
# bench/run.sh's cluster section by itself (bench/cluster/section.sh), to try it without the
# whole suite: bench/cluster/alone.sh [--smoke]. Uses PRESENCE_BENCH_BUILD (default
# build/release, built already); writes the JSON and a report with only this section to
# PRESENCE_BENCH_OUT (default build/bench-results/cluster-{full,smoke}/), then checks them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
mode=full
[[ ${1:-} == --smoke ]] && mode=smoke
build=${PRESENCE_BENCH_BUILD:-$root/build/release}
out=${PRESENCE_BENCH_OUT:-$root/build/bench-results/cluster-$mode}
presence=$build/app/presence
cluster_shards=$build/bench/bench_cluster_shards
loadgen=$build/bench/bench_loadgen
for program in "$presence" "$cluster_shards" "$loadgen"; do
    [[ -x $program ]] || { echo "alone.sh: $program is missing (build presence, bench_cluster_shards, bench_loadgen)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/presence-bench-cluster.XXXXXX)
mkdir -p "$out"
rm -f "$out"/cluster-*.json
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck source=../common.sh
source "$here/common.sh"
# shellcheck source=section.sh
source "$here/cluster/section.sh"
python3 -c 'import json, sys; json.dump({"mode": sys.argv[2], "loadavg_start": open("/proc/loadavg").read().split()[:3]}, open(sys.argv[1], "w"))' \
    "$out/machine.json" "$mode"
start=$SECONDS
cluster_section
log "cluster section: $((SECONDS - start)) s"
python3 "$here/report_cluster.py" "$out" "$out/benchmarks.md" # exits 1 on a missing or unusable result
log "wrote $out/benchmarks.md"
