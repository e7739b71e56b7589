#!/usr/bin/env bash
# The benchmark suite in one command (issue 6): loopback only, stops by itself, every process it
# starts is killed on exit. Writes JSON under build/bench-results/ (or $PRESENCE_BENCH_OUT) and
# generates docs/benchmarks.md from it.
#
#   bench/run.sh            full sizes (< 15 min on a 2-core machine)
#   bench/run.sh --smoke    tiny sizes (< 60 s): checks the harness, not the speed
#   bench/run.sh --no-docs  do not touch docs/benchmarks.md (results stay in the JSON)
#
# Uses build/release (cmake --preset release, configured once with the UI off) unless
# PRESENCE_BENCH_BUILD points at another build directory holding app/presence and bench/.
# PRESENCE_BENCH_NODE_ENV="VAR=VALUE …" is put in the nodes' environment (e.g. QT_NO_GLIB=1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mode=full
docs=1
for arg in "$@"; do
    case "$arg" in
    --smoke) mode=smoke ;;
    --no-docs) docs=0 ;;
    -h | --help) sed -n 2,12p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

build=${PRESENCE_BENCH_BUILD:-$root/build/release}
out=${PRESENCE_BENCH_OUT:-$root/build/bench-results/$mode}
work=$(mktemp -d /tmp/presence-bench.XXXXXX)
mkdir -p "$out"
rm -f "$out"/*.json

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- build ---------------------------------------------------------------------------------
if [[ -z ${PRESENCE_BENCH_BUILD:-} ]]; then
    if [[ ! -f $build/CMakeCache.txt ]]; then
        log "configuring $build (preset release, UI off)"
        cmake --preset release -DPRESENCE_BUILD_UI=OFF -DPRESENCE_WARNINGS_AS_ERRORS=ON >"$work/configure.log"
    fi
    log "building presence, bench_loadgen, bench_heartbeat, bench_offline_latency in $build"
    cmake --build "$build" --target presence bench_loadgen bench_heartbeat bench_offline_latency >"$work/build.log" 2>&1 ||
        { cat "$work/build.log" >&2; exit 1; }
fi
presence=$build/app/presence
loadgen=$build/bench/bench_loadgen
offline=$build/bench/bench_offline_latency
heartbeat=$build/bench/bench_heartbeat
for f in "$presence" "$loadgen" "$offline" "$heartbeat"; do
    [[ -x $f ]] || { echo "run.sh: missing $f" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)"

# --- sizes ---------------------------------------------------------------------------------
if [[ $mode == smoke ]]; then
    held_sessions=300
    held_ramp=2000
    held_max_seconds=60
    fanout_sizes="100 300"
    ramp=2000
    hb_requests=20000
    hb_clients=2000
    offline_args=(--background 100 --measured 20 --wait-ms 3000)
else
    held_sessions=19000
    # The node accepts ever more slowly as sessions pile up (see bench/README.md: the glib event
    # dispatcher's O(N) notifier bookkeeping), so the held run is capped in time.
    held_ramp=1000
    held_max_seconds=150
    fanout_sizes="1000 5000 10000"
    ramp=2000
    hb_requests=1000000
    hb_clients=100000
    offline_args=()
fi
# Issue 5 (rooms) does not exist yet: every session is in the one global roster. To keep the
# join storm bounded (N distinct clients would cost N²/2 events), session i connects as client
# lg-(i % 100): 100 distinct clients, so every session holds a roster of 100 (a "room of 100"
# in size, not in routing).
clients=100

# --- helpers -------------------------------------------------------------------------------
redis_sock=""
start_redis() { # start_redis NAME → sets redis_sock, redis_pid
    local dir=$work/redis-$1
    mkdir -p "$dir"
    redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --save '' \
        --appendonly no --dir "$dir" --logfile "$dir/redis.log" --daemonize no &
    redis_pid=$!
    pids+=("$redis_pid")
    redis_sock=$dir/redis.sock
    for _ in $(seq 100); do
        [[ -S $redis_sock ]] && redis-cli -s "$redis_sock" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "run.sh: redis-server did not start" >&2
    exit 1
}
# Runs a command in the background and waits for it, so that a TERM to this script is handled
# at once (bash defers traps while a foreground child runs) and the child is killed too.
run_waited() { # run_waited OUT ERR CMD…
    local o=$1 e=$2
    shift 2
    "$@" >"$o" 2>>"$e" &
    local pid=$!
    pids+=("$pid")
    wait "$pid"
}
stop_pid() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

start_node() { # start_node NAME BACKEND-ARGS… → sets node_pid, node_port
    local name=$1
    shift
    local logf=$work/node-$name.log
    # shellcheck disable=SC2086 # PRESENCE_BENCH_NODE_ENV is a list of VAR=VALUE words
    env ${PRESENCE_BENCH_NODE_ENV:-} "$presence" --headless --listen 127.0.0.1:0 --max-sessions 19500 \
        --max-sessions-per-address 19500 "$@" 2>"$logf" &
    node_pid=$!
    pids+=("$node_pid")
    node_port=""
    for _ in $(seq 200); do
        node_port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$logf" 2>/dev/null | grep -o '[0-9]*$' || true)
        [[ -n $node_port ]] && return 0
        kill -0 "$node_pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$logf" >&2
    echo "run.sh: presence did not start" >&2
    exit 1
}

# --- machine -------------------------------------------------------------------------------
python3 - "$out/machine.json" "$mode" <<'EOF'
import json, os, platform, subprocess, sys
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
model = sh("lscpu | sed -n 's/^Model name: *//p' | head -1")
info = {
    "mode": sys.argv[2],
    "node_env": os.environ.get("PRESENCE_BENCH_NODE_ENV", ""),
    "cpu": model,
    "cores": os.cpu_count(),
    "kernel": platform.release(),
    "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
    "loadavg_start": open("/proc/loadavg").read().split()[:3],
    "mem_total": sh("sed -n 's/^MemTotal: *//p' /proc/meminfo"),
    "redis": sh("redis-server --version"),
    "qt": sh("pkg-config --modversion Qt6Core"),
    "commit": sh("git -C %s rev-parse --short HEAD" % os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[1])))) or "",
    "date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"),
}
json.dump(info, open(sys.argv[1], "w"), indent=1)
EOF
git -C "$root" rev-parse --short HEAD >"$out/commit.txt" 2>/dev/null || true

# --- a. sessions held ----------------------------------------------------------------------
held() { # held NAME BACKEND-ARGS…
    local name=$1
    shift
    log "sessions held: $name, $held_sessions sessions"
    start_node "held-$name" "$@"
    sleep 1 # let the node finish starting (Redis function load etc.) before the baseline RSS
    run_waited "$work/held-$name.json" "$work/loadgen.log" \
        "$loadgen" --url "http://127.0.0.1:$node_port" --sessions "$held_sessions" --clients "$clients" \
        --prefix held- --ramp "$held_ramp" --hold-seconds 3 --settle-ms 1500 --server-pid "$node_pid" \
        --max-seconds "$held_max_seconds" || log "load generator: exit $? (gave up at --max-seconds?)"
    python3 - "$work/held-$name.json" "$out/held-$name.json" "$name" "$*" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["engine"] = sys.argv[3]
r["serverArgs"] = sys.argv[4]
json.dump(r, open(sys.argv[2], "w"), indent=1)
EOF
    stop_pid "$node_pid"
}
held memory --backend memory
start_redis held
held redis --backend redis --redis "unix://$redis_sock"
stop_pid "$redis_pid"

# --- b. fan-out ----------------------------------------------------------------------------
fanout() { # fanout NAME N BACKEND-ARGS…
    local name=$1 n=$2
    shift 2
    log "fan-out: $name, N=$n"
    start_node "fanout-$name-$n" "$@"
    sleep 1
    run_waited "$work/fanout-$name-$n.json" "$work/loadgen.log" \
        "$loadgen" --url "http://127.0.0.1:$node_port" --sessions "$n" --clients "$clients" \
        --prefix fan- --ramp "$ramp" --settle-ms 1500 --probe-client "probe-$n" --probe-join \
        --probe-timeout-ms 15000 --server-pid "$node_pid" --max-seconds 150 ||
        log "load generator: exit $? (gave up at --max-seconds?)"
    python3 - "$work/fanout-$name-$n.json" "$out/fanout-$name-$n.json" "$name" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["engine"] = sys.argv[3]
json.dump(r, open(sys.argv[2], "w"), indent=1)
EOF
    stop_pid "$node_pid"
}
for n in $fanout_sizes; do
    fanout memory "$n" --backend memory
done
start_redis fanout
for n in $fanout_sizes; do
    redis-cli -s "$redis_sock" flushall >/dev/null
    fanout redis "$n" --backend redis --redis "unix://$redis_sock"
done
stop_pid "$redis_pid"

# --- c. heartbeat ceiling: redis-benchmark pipelined SET -----------------------------------
log "redis-benchmark -t set -P 16 -n $hb_requests (unix socket, private redis-server)"
start_redis baseline
redis-benchmark -s "$redis_sock" -t set -P 16 -n "$hb_requests" -q >"$work/redis-benchmark.txt" 2>&1 || true
redis-cli -s "$redis_sock" flushall >/dev/null
log "bench_heartbeat --clients $hb_clients --heartbeats $hb_requests --batch 1000 (same redis-server)"
"$heartbeat" --redis "unix://$redis_sock" --clients "$hb_clients" --heartbeats "$hb_requests" --batch 1000 \
    --window 4 --json "$out/heartbeat.json" >/dev/null 2>>"$work/heartbeat.log" || log "bench_heartbeat failed"
stop_pid "$redis_pid"
python3 - "$work/redis-benchmark.txt" "$out/redis-benchmark.json" "$hb_requests" <<'EOF'
import json, re, sys
text = open(sys.argv[1]).read().replace("\r", "\n")
m = re.findall(r"SET: ([0-9.]+) requests per second", text)
json.dump({"command": "redis-benchmark -s SOCK -t set -P 16 -n %s -q" % sys.argv[3],
           "set_per_s": float(m[-1]) if m else None, "raw": text.strip().splitlines()[-1:] },
          open(sys.argv[2], "w"), indent=1)
EOF

# --- d. offline-detection latency ----------------------------------------------------------
log "offline-detection latency: bench_offline_latency ${offline_args[*]:-(defaults)}"
"$offline" "${offline_args[@]}" --json "$out/offline-latency.json" >"$work/offline.txt" 2>&1 ||
    log "bench_offline_latency failed (see below)"
cat "$work/offline.txt" >&2

# --- e. the Node.js peer (issue 6, item 1): a, b and the heartbeat drain, ours beside it ----
# shellcheck source=peers/run-peer.sh
source "$here/peers/run-peer.sh"
peer_section

python3 - "$out/machine.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
json.dump(m, open(sys.argv[1], "w"), indent=1)
EOF
cp "$work/loadgen.log" "$out/loadgen.log" 2>/dev/null || true

if [[ $docs == 1 ]]; then
    target=$root/docs/benchmarks.md
    [[ $mode == smoke ]] && target=$out/benchmarks.md
    python3 "$here/report.py" "$out" "$target"
    log "wrote $target"
fi
log "results in $out"
