#!/usr/bin/env bash
# The heartbeat drain of run.sh's peer section (drain.py, a fresh private redis-server each),
# for several processors side by side in one run, interleaved round by round so that a change
# in the machine's load hits every one of them alike: an A/B of two builds of ours, with the
# Node.js peer beside them.
#
#   bench/heartbeat/drain-ab.sh [--heartbeats H] [--clients C] [--rounds R] [--out DIR]
#                               [--no-peer] NAME=PRESENCE-BINARY…
#
# Each NAME=BINARY drains the seed's one-client entries (NAME-seed) and our nodes' entries of
# 500 members (NAME-batched); the peer (bench/peers/node, needs `npm ci` there) drains its own
# one-client entries. Prints one line per drain (heartbeats/s from the first read, the
# processor's and redis-server's CPU seconds, the load average) and writes DIR/NAME-….json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
heartbeats=1000000 clients=100000 rounds=2 out=$(mktemp -d /tmp/drain-ab.XXXXXX) peer=1
builds=()
while (($#)); do
    case $1 in
    --heartbeats) heartbeats=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-peer) peer=0; shift ;;
    *=*) builds+=("$1"); shift ;;
    *) echo "drain-ab.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
((${#builds[@]})) || { echo "drain-ab.sh: name at least one NAME=PRESENCE-BINARY" >&2; exit 2; }
mkdir -p "$out"
redis_pid=
cleanup() { [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null || true; }
trap cleanup EXIT

drain() { # drain LABEL GROUP MEMBERS-PER-ENTRY COMMAND… (@SOCK@: the redis socket)
    local label=$1 group=$2 per_entry=$3
    shift 3
    local dir=$out/redis-$label
    mkdir -p "$dir"
    rm -f "$dir/redis.sock"
    redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --save '' \
        --appendonly no --dir "$dir" --logfile "$dir/redis.log" --daemonize no &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    local cmd=("${@//@SOCK@/$dir/redis.sock}")
    local load
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    python3 "$here/drain.py" --redis "$dir/redis.sock" --group "$group" --heartbeats "$heartbeats" \
        --clients "$clients" --members-per-entry "$per_entry" --name "$label" \
        --log "$out/$label.log" --json "$out/$label.json" -- "${cmd[@]}" >/dev/null 2>>"$out/drain.log" ||
        echo "$label: did not drain (see $out/$label.log)"
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=
    python3 - "$out/$label.json" "$load" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
fcall = r.get("commandStats", {}).get("fcall", {})
print(f"{r['name']:<22} {r.get('per_s_fromFirstRead') or 0:>9,}/s  processor CPU {r.get('processorCpuSeconds') or 0:6.2f} s"
      f"  redis CPU {r.get('redisCpuSeconds') or 0:6.2f} s  in {r.get('secondsFromFirstRead') or 0:6.2f} s"
      f"  FCALL {fcall.get('calls', 0)} calls {fcall.get('usec', 0) / 1e6:.2f} s  (load {sys.argv[2]})")
PY
}

echo "drain-ab: $heartbeats heartbeats over $clients clients, $rounds round(s), results in $out"
for round in $(seq "$rounds"); do
    for build in "${builds[@]}"; do
        name=${build%%=*} binary=${build#*=}
        for kind in seed batched; do
            per_entry=1
            [[ $kind == batched ]] && per_entry=500
            drain "$name-$kind-$round" presence-processors "$per_entry" "$binary" --headless \
                --listen 127.0.0.1:0 --backend redis --redis unix://@SOCK@ --heartbeat 60s
        done
    done
    if ((peer)); then
        drain "peer-$round" presence-peer 1 node "$root/bench/peers/node/src/main.js" --port 0 \
            --redis unix://@SOCK@ --heartbeat 60s
    fi
done
