#!/usr/bin/env bash
# Join storm (run.sh's section e) for several builds side by side in one run, interleaved round
# by round: a fresh node each, N distinct clients open their sessions into one room at once;
# the time until every session holds every other client ONLINE, and the node's peak RSS.
#
#   bench/storm-ab.sh [--sessions N] [--rounds K] [--backend memory|redis]
#                     [--loadgen PATH] [--out DIR] NAME=PRESENCE-BINARY…
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sessions=5000 rounds=3 backend=memory out=$(mktemp -d /tmp/storm-ab.XXXXXX)
loadgen=$here/../build/release/bench/bench_loadgen
# shellcheck source=ab-common.sh
source "$here/ab-common.sh"
ab_parse_args storm-ab.sh "$@"
echo "storm-ab: $sessions sessions into one room at once, $backend engine, $rounds round(s), results in $out"
for round in $(seq "$rounds"); do
    for build in "${builds[@]}"; do
        name=${build%%=*} binary=${build#*=} label=${build%%=*}-$round
        command=("$binary" --headless --listen 127.0.0.1:0 --max-sessions 19500
            --max-sessions-per-address 19500 --backend "$backend")
        if [[ $backend == redis ]]; then
            ab_start_redis "$out/redis-$label"
            command+=(--redis "unix://$out/redis-$label/redis.sock")
        fi
        ab_start "$out/$label.node.log" "${command[@]}"
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        "$loadgen" --url "http://127.0.0.1:$port" --sessions "$sessions" --rooms 1 --prefix storm- --storm \
            --settle-ms 1500 --server-pid "$node_pid" --max-seconds 60 >"$out/$label.json" \
            2>>"$out/loadgen.log" || echo "$label: load generator exit $?"
        ab_stop
        python3 - "$out/$label.json" "$label" "$load" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ro = r.get("roster", {})
done = ro.get("allCompleteMs")
print(f"{sys.argv[2]:<14} complete {ro.get('complete', 0):>6}/{r.get('sessions', 0):<6} "
      f"all rosters full after {done / 1000 if done else float('nan'):6.2f} s  dropped "
      f"{r.get('droppedAfterEstablished', 0)}  peak {r.get('serverHwm', {}).get('endKiB', 0) / 1024:6.1f} MiB"
      f"  (load {sys.argv[3]})")
PY
    done
done
