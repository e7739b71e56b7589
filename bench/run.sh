#!/usr/bin/env bash
# The benchmark suite in one command (issue 6): loopback only, stops by itself, every process it
# starts is killed on exit. Writes JSON under build/bench-results/ (or $PRESENCE_BENCH_OUT) and
# generates docs/benchmarks.md from it.
#
#   bench/run.sh            full sizes (< 20 min on a 2-core machine)
#   bench/run.sh --smoke    tiny sizes (< 3 min): checks the harness, not the speed; exits non-zero
#                           if a measurement produced no usable result (bench/check_results.py)
#   bench/run.sh --no-docs  do not touch docs/ (the report and plots go to the results folder)
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
    -h | --help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

build=${PRESENCE_BENCH_BUILD:-$root/build/release}
out=${PRESENCE_BENCH_OUT:-$root/build/bench-results/$mode}
work=$(mktemp -d /tmp/presence-bench.XXXXXX)
mkdir -p "$out"
rm -f "$out"/*.json "$out"/skipped.txt "$out"/*.png

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

# shellcheck source=common.sh
source "$here/common.sh"

# --- build ---------------------------------------------------------------------------------
if [[ -z ${PRESENCE_BENCH_BUILD:-} ]]; then
    if [[ ! -f $build/CMakeCache.txt ]]; then
        log "configuring $build (preset release, UI off)"
        cmake --preset release -DPRESENCE_BUILD_UI=OFF -DPRESENCE_WARNINGS_AS_ERRORS=ON >"$work/configure.log"
    fi
    log "building presence and the bench programs in $build"
    cmake --build "$build" --target presence bench_loadgen bench_heartbeat bench_offline_latency \
        bench_fanout_floor bench_cluster_shards >"$work/build.log" 2>&1 ||
        { cat "$work/build.log" >&2; exit 1; }
fi
presence=$build/app/presence
loadgen=$build/bench/bench_loadgen
offline=$build/bench/bench_offline_latency
heartbeat=$build/bench/bench_heartbeat
floor=$build/bench/bench_fanout_floor
cluster_shards=$build/bench/bench_cluster_shards
for f in "$presence" "$loadgen" "$offline" "$heartbeat" "$floor"; do
    [[ -x $f ]] || { echo "run.sh: missing $f" >&2; exit 1; }
done
ulimit -n "$(ulimit -Hn)"

# --- plots: gnuplot (rooms/storm work) -------------------------------------------------------
if ! command -v gnuplot >/dev/null 2>&1; then
    if [[ $EUID == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing gnuplot-nox (for the plots)"
        { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox; } \
            >"$work/apt.log" 2>&1 || log "could not install gnuplot-nox (see $work/apt.log): no plots"
    else
        log "gnuplot is missing: no plots (install it: sudo apt-get install gnuplot-nox, or scripts/setup.sh --tests)"
    fi
fi

# --- sizes ---------------------------------------------------------------------------------
if [[ $mode == smoke ]]; then
    held_sessions=300
    held_ramp=2000
    held_max_seconds=60
    fanout_sizes="100 300"
    fanout_rounds=1
    drain_rounds=1
    ramp=2000
    hb_requests=20000
    hb_clients=2000
    offline_args=(--background 100 --measured 20 --wait-ms 3000)
else
    held_sessions=19000
    # Capped in time: a node that accepts ever more slowly as sessions pile up (as nodes did
    # while every stream had a notifier of its own: bench/README.md) is measured at the cap.
    held_ramp=1000
    held_max_seconds=90
    fanout_sizes="1000 5000 10000"
    # Five rounds each (three before): this machine's rounds fall in two modes ~2x apart
    # (bench/README.md), and a median of three moved with which mode two of them hit.
    fanout_rounds=5
    drain_rounds=5
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

# --- sizes: rooms and join storms (issue 5, issue 6 item 2) ----------------------------------
if [[ $mode == smoke ]]; then
    storm_sizes="100 200"
    storm_rounds=1
    storm_max_seconds=30
    rooms_compare_sessions=200 # the same clients in one room vs spread over $rooms_compare_rooms
    rooms_compare_rooms=4
    fanout_max_seconds=30
    budget_total=130  # seconds for all measurements (the build comes before)
    budget_reserve=10 # kept for c and d (heartbeat, offline detection) until they ran
else
    storm_sizes="1000 2000 5000"
    storm_rounds=5 # of the largest size, interleaved between the engines (the others: once)
    storm_max_seconds=50 # per storm; a storm that has not completed by then is reported as such
    rooms_compare_sessions=5000
    rooms_compare_rooms=50
    fanout_max_seconds=60
    budget_total=1200
    budget_reserve=100
fi
held_room_size=100 # with rooms: the held sessions are spread over rooms of 100 distinct clients

# --- time budget: the whole run stops by itself (full < 20 min, smoke < 3 min) -----------------
# Every load-generator run gets --max-seconds = min(its cap, what is left of the budget minus
# the reserve for c and d); a run with under 10 s left is skipped and listed in skipped.txt.
budget_end=$((SECONDS + budget_total))
budget() { # budget WANT → seconds the next run may take, 0 = skip it
    local left=$((budget_end - SECONDS - budget_reserve))
    ((left > $1)) && left=$1
    ((left < 10)) && left=0
    echo "$left"
}
skipped() { # skipped WHAT
    log "skipped (time budget): $1"
    echo "$1" >>"$out/skipped.txt"
}

# --- helpers -------------------------------------------------------------------------------

# bench_fanout_floor (bench/floor): the send floor the same load generator reads (fan-out only).
start_floor() { start_listener "$1" "$floor"; }

# --- rooms: does this node route by ?room= (issue 5)? ------------------------------------------
# 4 sessions in 2 rooms of 2: with rooms each session gets 1 event and none about the other room;
# a node that ignores ?room= sends every session everyone (the load generator's foreignEvents).
start_node rooms-check --backend memory
run_waited "$work/rooms-check.json" "$work/loadgen.log" \
    "$loadgen" --url "http://127.0.0.1:$node_port" --sessions 4 --room-size 2 --prefix roomcheck- \
    --settle-ms 300 --max-seconds 10 || log "load generator: exit $? (rooms check)"
stop_pid "$node_pid"
rooms=$(python3 - "$work/rooms-check.json" "$out/room-routing.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ro = r.get("roster", {})
ok = r.get("established") == 4 and ro.get("complete") == 4 and ro.get("foreignEvents") == 0
json.dump({"supported": ok, "check": r}, open(sys.argv[2], "w"), indent=1)
print("yes" if ok else "no")
EOF
)
if [[ $rooms == yes ]]; then
    log "rooms: this node routes by ?room= (held sessions over rooms of $held_room_size, distinct clients)"
    held_room_args=(--room-size "$held_room_size")
    fanout_room_args=(--clients "$clients" --rooms 1)
else
    log "rooms: this node ignores ?room= (everything in one roster): held sessions share $clients clients"
    held_room_args=(--clients "$clients")
    fanout_room_args=(--clients "$clients")
fi

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
    local cap
    cap=$(budget "$held_max_seconds")
    ((cap > 0)) || { skipped "sessions held, $name"; return 0; }
    log "sessions held: $name, $held_sessions sessions"
    start_node "held-$name" "$@"
    sleep 1 # let the node finish starting (Redis function load etc.) before the baseline RSS
    run_waited "$work/held-$name.json" "$work/loadgen.log" \
        "$loadgen" --url "http://127.0.0.1:$node_port" --sessions "$held_sessions" "${held_room_args[@]}" \
        --prefix held- --ramp "$held_ramp" --hold-seconds 3 --settle-ms 1500 --server-pid "$node_pid" \
        --max-seconds "$cap" || log "load generator: exit $? (gave up at --max-seconds?)"
    python3 - "$work/held-$name.json" "$out/held-$name.json" "$name" "$*" "$rooms" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["engine"] = sys.argv[3]
r["serverArgs"] = sys.argv[4]
r["roomsSupported"] = sys.argv[5] == "yes"
json.dump(r, open(sys.argv[2], "w"), indent=1)
EOF
    stop_pid "$node_pid"
}
held memory --backend memory
start_redis held
held redis --backend redis --redis "unix://$redis_sock"
stop_pid "$redis_pid"

# --- b. fan-out ----------------------------------------------------------------------------
# One fan-out takes ~0.1 s and its p99 swings ±40 % between identical runs on this shared
# machine (the kernel's loopback work and who gets the other core: bench/README.md), so the full
# run measures every engine and the floor $fanout_rounds times, interleaved, and reports each
# one's median round (every round's p99 beside it).
fanout() { # fanout NAME N ROUND BACKEND-ARGS…
    local name=$1 n=$2 round=$3
    shift 3
    local cap
    cap=$(budget "$fanout_max_seconds")
    ((cap > 0)) || { skipped "fan-out, $name, N=$n, round $round"; return 0; }
    log "fan-out: $name, N=$n, round $round"
    if [[ $name == floor ]]; then start_floor "fanout-$name-$n"; else start_node "fanout-$name-$n" "$@"; fi
    sleep 1
    run_waited "$work/fanout-$name-$n-r$round.json" "$work/loadgen.log" \
        "$loadgen" --url "http://127.0.0.1:$node_port" --sessions "$n" "${fanout_room_args[@]}" \
        --prefix fan- --ramp "$ramp" --settle-ms 1500 --probe-client "probe-$n-$round" --probe-join \
        --probe-timeout-ms 15000 --server-pid "$node_pid" --max-seconds "$cap" ||
        log "load generator: exit $? (gave up at --max-seconds?)"
    stop_pid "$node_pid"
}
fanout_median() { # fanout_median NAME N: its median round (by p99 from the event) is the result
    local supported=false
    [[ $rooms == yes ]] && supported=true
    python3 "$here/median_round.py" fanout "$out/fanout-$1-$2.json" "engine=\"$1\"" \
        "roomsSupported=$supported" -- "$work"/fanout-"$1"-"$2"-r*.json
}
# Round K of the memory engine, the floor and the Redis engine run back to back (the Redis engine's
# rounds once ran after all the others', minutes later, in whatever load mode the machine was in
# by then), so that the report can pair round K of an engine with round K of the floor
# (bench/paired.py). The redis-server idles through the others' turns.
start_redis fanout
for round in $(seq "$fanout_rounds"); do
    for n in $fanout_sizes; do
        fanout memory "$n" "$round" --backend memory
        # The same sessions and bytes from a bare epoll loop: the floor (issue 16; smoke: once).
        [[ $mode == smoke && $n != "${fanout_sizes%% *}" ]] || fanout floor "$n" "$round"
        redis-cli -s "$redis_sock" flushall >/dev/null
        fanout redis "$n" "$round" --backend redis --redis "unix://$redis_sock"
    done
done
stop_pid "$redis_pid"
for n in $fanout_sizes; do
    for name in memory floor redis; do
        fanout_median "$name" "$n"
    done
done

# --- --reuse-port: one vs two nodes on one port (issue 16, goal 4) ------------------------------
if [[ $mode == smoke ]]; then reuse_sessions=300 reuse_storm_rooms=3; else reuse_sessions=5000 reuse_storm_rooms=50; fi
# shellcheck source=reuse_port/section.sh
source "$here/reuse_port/section.sh"
reuse_port_section

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
budget_reserve=0 # c and d have run: the rest of the budget is the storms'

# --- e. join storm (issue 6 item 2) and f. one room vs many rooms (issue 5) ----------------------
# A storm: N sessions of N distinct clients open at once (--storm) against a fresh node (so its
# VmHWM is the storm's peak); the time from the first connect() until every session holds every
# other client of its room ONLINE, the bytes and events received by then. After it settles one
# more client joins the room (--probe-join): the fan-out to N distinct-client sessions.
storm() { # storm FILE-NAME ENGINE N ROOMS PROBE(yes|no) BACKEND-ARGS… → $work/FILE-NAME.json
    local file=$1 name=$2 n=$3 k=$4 probe=$5
    shift 5
    local probe_args=() cap
    [[ $probe == yes ]] && probe_args=(--probe-client "probe-storm-$n" --probe-join --probe-timeout-ms 10000)
    cap=$(budget "$storm_max_seconds")
    ((cap > 0)) || { skipped "join storm, $name, N=$n in $k room(s)"; return 0; }
    log "join storm: $name, N=$n in $k room(s) (cap ${cap}s)"
    start_node "$file" "$@"
    sleep 1
    run_waited "$work/raw-$file.json" "$work/loadgen.log" \
        "$loadgen" --url "http://127.0.0.1:$node_port" --sessions "$n" --rooms "$k" --prefix storm- --storm \
        --settle-ms 1500 "${probe_args[@]}" --server-pid "$node_pid" --max-seconds "$cap" ||
        log "load generator: exit $? (storm not settled within ${cap}s)"
    python3 - "$work/raw-$file.json" "$work/$file.json" "$name" "$k" "$rooms" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["engine"] = sys.argv[3]
r["roomsAsked"] = int(sys.argv[4])
r["roomsSupported"] = sys.argv[5] == "yes"
json.dump(r, open(sys.argv[2], "w"), indent=1)
EOF
    stop_pid "$node_pid"
}
storm_args() { # storm_args ENGINE → the node's backend arguments, in backend_args
    backend_args=(--backend memory)
    [[ $1 == redis ]] && backend_args=(--backend redis --redis "unix://$redis_sock")
    return 0
}
# e. One room: a storm's time swings like a fan-out's, and the goal compares the engines at the
# largest size, so that size runs $storm_rounds times, the engines interleaved, and each reports
# its median round (median_round.py storm: every round's time beside it); the others run once.
start_redis storm
largest_storm=${storm_sizes##* }
for round in $(seq "$storm_rounds"); do
    for name in memory redis; do
        storm_args "$name"
        for n in $storm_sizes; do
            ((round == 1)) || [[ $n == "$largest_storm" ]] || continue
            redis-cli -s "$redis_sock" flushall >/dev/null
            storm "storm-$name-$n-r$round" "$name" "$n" 1 yes "${backend_args[@]}"
        done
    done
done
for name in memory redis; do
    for n in $storm_sizes; do
        python3 "$here/median_round.py" storm "$out/storm-$name-$n.json" -- "$work"/storm-"$name"-"$n"-r*.json
    done
done
# f. The same clients (storm-0 … storm-(S-1)) in one room is the storm above at N = S (S is one
# of the storm sizes, else it is measured here too); spread over K rooms it is measured here.
for name in memory redis; do
    if [[ $rooms != yes ]]; then
        log "one room vs $rooms_compare_rooms rooms ($name): not measured, this node ignores ?room= (issue 5 not merged)"
        continue
    fi
    storm_args "$name"
    if [[ " $storm_sizes " != *" $rooms_compare_sessions "* ]]; then
        redis-cli -s "$redis_sock" flushall >/dev/null
        storm "storm-$name-$rooms_compare_sessions" "$name" "$rooms_compare_sessions" 1 no "${backend_args[@]}"
        cp "$work/storm-$name-$rooms_compare_sessions.json" "$out/" 2>/dev/null || true
    fi
    redis-cli -s "$redis_sock" flushall >/dev/null
    storm "rooms-$name-$rooms_compare_sessions-$rooms_compare_rooms" "$name" "$rooms_compare_sessions" \
        "$rooms_compare_rooms" no "${backend_args[@]}"
    cp "$work/rooms-$name-$rooms_compare_sessions-$rooms_compare_rooms.json" "$out/" 2>/dev/null || true
done
stop_pid "$redis_pid"

# --- big room: many join an 80,000-member room at once (issue 11: paced, shared rosters) ------
if [[ $mode == smoke ]]; then big_members=2000 big_joiners=20; else big_members=80000 big_joiners=200; fi
log "big room: $big_joiners join a room of $big_members at once"
PRESENCE_BENCH_BUILD=$build timeout 300 "$here/big_room/joiners.sh" "$big_members" "$big_joiners" \
    >"$out/big-room-joiners.json" 2>>"$work/loadgen.log" || log "big room: failed (see loadgen.log)"

# --- e. the Node.js peer (issue 6, item 1): a, b and the heartbeat drain, ours beside it ----
# shellcheck source=peers/run-peer.sh
source "$here/peers/run-peer.sh"
peer_section

# --- the heartbeat drain over each transport to Redis (issue 13): unix, TCP, TLS ---------------
# shellcheck source=heartbeat/transports.sh
source "$here/heartbeat/transports.sh"
transport_drain_section

# --- the heartbeat whole loop on Redis Cluster, 1, 2 and 3 primaries (issue 14 item 7) ----------
# shellcheck source=cluster/section.sh
source "$here/cluster/section.sh"
cluster_section

python3 - "$out/machine.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
m["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
json.dump(m, open(sys.argv[1], "w"), indent=1)
EOF
cp "$work/loadgen.log" "$out/loadgen.log" 2>/dev/null || true

# The report always runs (so a smoke run checks it too); only a full run without --no-docs
# writes docs/benchmarks.md and docs/bench-*.png, the others write into the results folder.
target=$out/benchmarks.md
[[ $docs == 1 && $mode == full ]] && target=$root/docs/benchmarks.md
python3 "$here/report.py" "$out" "$target"
log "wrote $target"
log "results in $out"
# --- check: every measurement produced a usable result (fatal in --smoke) --------------------
if ! python3 "$here/check_results.py" "$out" "$mode" "$target"; then
    if [[ $mode == smoke ]]; then
        echo "run.sh: the benchmark harness is broken (see above)" >&2
        exit 1
    fi
    log "some measurements are incomplete (see above); expected when the node is saturated"
fi
log "done in ${SECONDS}s"
