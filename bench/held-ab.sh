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
builds=()
while (($#)); do
    case $1 in
    --sessions) sessions=$2; shift 2 ;;
    --ramp) ramp=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --loadgen) loadgen=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *=*) builds+=("$1"); shift ;;
    *) echo "held-ab.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
((${#builds[@]})) || { echo "held-ab.sh: name at least one NAME=PRESENCE-BINARY" >&2; exit 2; }
mkdir -p "$out"
ulimit -n 20000
node_pid= redis_pid=
cleanup() {
    [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null || true
    [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null || true
}
trap cleanup EXIT
echo "held-ab: $sessions sessions (rooms of 100, ramp $ramp/s), $backend engine, $rounds round(s), results in $out"
for round in $(seq "$rounds"); do
    for build in "${builds[@]}"; do
        name=${build%%=*} binary=${build#*=} label=${build%%=*}-$round
        args=(--backend "$backend")
        if [[ $backend == redis ]]; then
            mkdir -p "$out/redis-$label"
            redis-server --port 0 --unixsocket "$out/redis-$label/redis.sock" --save '' --appendonly no \
                --dir "$out/redis-$label" --logfile "$out/redis-$label/redis.log" &
            redis_pid=$!
            for _ in $(seq 100); do
                redis-cli -s "$out/redis-$label/redis.sock" ping >/dev/null 2>&1 && break
                sleep 0.05
            done
            args+=(--redis "unix://$out/redis-$label/redis.sock")
        fi
        "$binary" --headless --listen 127.0.0.1:0 --max-sessions 19500 --max-sessions-per-address 19500 \
            "${args[@]}" 2>"$out/$label.node.log" &
        node_pid=$!
        port=
        for _ in $(seq 200); do
            port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$out/$label.node.log" | grep -o '[0-9]*$' || true)
            [[ -n $port ]] && break
            sleep 0.05
        done
        [[ -n $port ]] || { echo "$label: the node did not start (see $out/$label.node.log)"; exit 1; }
        sleep 1 # as run.sh: the node finishes starting before the baseline RSS
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        "$loadgen" --url "http://127.0.0.1:$port" --sessions "$sessions" --room-size 100 --prefix held- \
            --ramp "$ramp" --hold-seconds 3 --settle-ms 1500 --server-pid "$node_pid" --max-seconds 120 \
            >"$out/$label.json" 2>>"$out/loadgen.log" || echo "$label: load generator exit $?"
        kill "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
        node_pid=
        if [[ -n $redis_pid ]]; then
            kill "$redis_pid" 2>/dev/null || true
            wait "$redis_pid" 2>/dev/null || true
            redis_pid=
        fi
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
