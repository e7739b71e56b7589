#!/usr/bin/env bash
# Memory per idle session (run.sh's "sessions held", section a) for several builds side by side
# in one run, interleaved round by round: a fresh node each, N distinct clients in rooms of 100,
# held; memory per session = (VmRSS settled − VmRSS before the first connect) / established.
#
#   bench/held-ab.sh [--sessions N] [--ramp R] [--rounds K] [--backend memory|redis]
#                    [--loadgen PATH] [--out DIR] NAME=PRESENCE-BINARY…
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sessions=5000 ramp=1000 rounds=2 backend=memory out=$(mktemp -d /tmp/held-ab.XXXXXX)
loadgen=$here/../build/ci/bench/bench_loadgen
# shellcheck source=ab-common.sh
source "$here/ab-common.sh"
ab_parse_args held-ab.sh "$@"
echo "held-ab: $sessions sessions (rooms of 100, ramp $ramp/s), $backend engine, $rounds round(s), results in $out"
for round in $(seq "$rounds"); do
    for build in "${builds[@]}"; do
        name=${build%%=*} binary=${build#*=} label=${build%%=*}-$round
        args=(--backend "$backend")
        if [[ $backend == redis ]]; then
            ab_start_redis "$out/redis-$label"
            args+=(--redis "unix://$out/redis-$label/redis.sock")
        fi
        ab_start "$out/$label.node.log" "$binary" --headless --listen 127.0.0.1:0 --max-sessions 19500 \
            --max-sessions-per-address 19500 "${args[@]}"
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        "$loadgen" --url "http://127.0.0.1:$port" --sessions "$sessions" --room-size 100 --prefix held- \
            --ramp "$ramp" --hold-seconds 3 --settle-ms 1500 --server-pid "$node_pid" --max-seconds 120 \
            >"$out/$label.json" 2>>"$out/loadgen.log" || echo "$label: load generator exit $?"
        ab_stop
        python3 - "$out/$label.json" "$label" "$load" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rss = r["serverRss"]
n = r["established"]
print(f"{sys.argv[2]:<14} established {n:>6}  RSS before {rss['beforeKiB'] / 1024:6.1f} MiB  settled "
      f"{rss['settledKiB'] / 1024:6.1f} MiB  per session {(rss['settledKiB'] - rss['beforeKiB']) / max(n, 1):5.2f} KiB"
      f"  (load {sys.argv[3]})")
PY
    done
done
