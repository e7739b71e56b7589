#!/usr/bin/env bash
# Fan-out of one join (run.sh's section b) for several builds and the send floor side by side in
# one run, interleaved round by round: a fresh listener each, N sessions in one room, then a probe
# client joins; p99 of its ONLINE's arrival, from the event's `at`, over the N sessions.
#
#   bench/fanout-ab.sh [--sessions N] [--rounds K] [--backend memory|redis]
#                      [--loadgen PATH] [--floor PATH] [--out DIR] NAME=PRESENCE-BINARY…
# The floor (bench_fanout_floor) runs in every round as the row each build is compared with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sessions=5000 rounds=3 backend=memory out=$(mktemp -d /tmp/fanout-ab.XXXXXX)
loadgen=$here/../build/release/bench/bench_loadgen
floor=$here/../build/release/bench/bench_fanout_floor
# shellcheck source=ab-common.sh
source "$here/ab-common.sh"
ab_parse_args fanout-ab.sh "$@"
echo "fanout-ab: $sessions sessions in one room, $backend engine, $rounds round(s), results in $out"
for round in $(seq "$rounds"); do
    for build in floor="$floor" "${builds[@]}"; do
        name=${build%%=*} binary=${build#*=} label=${build%%=*}-$round
        command=("$binary")
        if [[ $name != floor ]]; then
            command+=(--headless --listen 127.0.0.1:0 --max-sessions 19500 --max-sessions-per-address 19500
                --backend "$backend")
            if [[ $backend == redis ]]; then
                ab_start_redis "$out/redis-$label"
                command+=(--redis "unix://$out/redis-$label/redis.sock")
            fi
        fi
        ab_start "$out/$label.node.log" "${command[@]}"
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        "$loadgen" --url "http://127.0.0.1:$port" --sessions "$sessions" --clients 100 --rooms 1 --prefix fan- \
            --ramp 2000 --settle-ms 1500 --probe-client "probe-$round" --probe-join --probe-timeout-ms 15000 \
            --server-pid "$node_pid" --max-seconds 120 >"$out/$label.json" 2>>"$out/loadgen.log" ||
            echo "$label: load generator exit $?"
        ab_stop
        python3 - "$out/$label.json" "$label" "$load" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r.get("probe", {})
at = p.get("fromEventAtUs", {})
print(f"{sys.argv[2]:<14} arrivals {p.get('arrivals', 0):>6}/{p.get('expected', 0):<6} from the event: "
      f"p50 {at.get('p50', 0) / 1000:7.2f} ms  p99 {at.get('p99', 0) / 1000:7.2f} ms  "
      f"max {at.get('max', 0) / 1000:7.2f} ms  (load {sys.argv[3]})")
PY
    done
done
