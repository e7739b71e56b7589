#!/usr/bin/env bash
# 200 sessions join an 80,000-member default room at once (issue 11): how much the node's
# resident memory grows while each of them is sent the whole roster. The members are written
# into `heartbeat` the seed's way (redis-cli), so the node holds no session for them.
#
#   bench/big_room/joiners.sh [MEMBERS] [JOINERS]      (defaults 80000 200)
#
# Uses build/release unless PRESENCE_BENCH_BUILD names another build directory (app/presence,
# bench/bench_loadgen). Loopback only; every process it starts is killed on exit. Prints the
# load generator's JSON (rosters, server VmRSS before/after, VmHWM) on stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${PRESENCE_BENCH_BUILD:-$root/build/release}
members=${1:-80000}
joiners=${2:-200}
work=$(mktemp -d /tmp/presence-joiners.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    >"$work/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done

node_port=$(free_port)
QT_NO_GLIB=1 "$build/app/presence" --headless --listen "127.0.0.1:$node_port" \
    --redis "redis://127.0.0.1:$redis_port" --heartbeat 120s --grace 0s --max-sessions 1000 \
    2>"$work/node.log" &
node=$!
pids+=($node)
until curl -sf "http://127.0.0.1:$node_port/health" >/dev/null; do sleep 0.1; done

python3 - "$members" <<'PY' | redis-cli -p "$redis_port" --pipe >/dev/null
import sys
n = int(sys.argv[1])
out = []
for i in range(n):
    a = [b'XADD', b'heartbeat', b'*', b'client', b'm%d' % i]
    out.append(b'*%d\r\n' % len(a) + b''.join(b'$%d\r\n%s\r\n' % (len(x), x) for x in a))
sys.stdout.buffer.write(b''.join(out))
PY
online() { curl -s "http://127.0.0.1:$node_port/metrics" | awk '$1=="presence_online_clients"{print $2}'; }
for _ in $(seq 600); do
    [[ "$(online)" == "$members" ]] && break
    sleep 0.1
done
[[ "$(online)" == "$members" ]] || { echo "joiners.sh: only $(online) of $members ONLINE" >&2; exit 1; }

"$build/bench/bench_loadgen" --url "http://127.0.0.1:$node_port" --sessions "$joiners" --storm \
    --prefix joiner- --hold-seconds 1 --settle-ms 1500 --server-pid "$node"
