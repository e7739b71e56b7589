# The Node.js peer (issue 6, item 1), sourced by bench/run.sh after its own sections: the same
# load generator and the same harness on bench/peers/node, plus the heartbeat drain
# (bench/heartbeat/drain.py) of our node and of the peer, each on a fresh private redis-server.
# Uses run.sh's variables and helpers (mode, work, out, root, loadgen, presence, pids, log,
# start_redis, run_waited, stop_pid, held_*, fanout_sizes, ramp, clients, storm_sizes,
# storm_max_seconds, hb_requests, hb_clients, drain_rounds).
# Writes held-peer.json, fanout-peer-N.json, storm-peer-N.json (the same tables as ours),
# drain-{ours-batched,ours,peer}.json (each the median of $drain_rounds interleaved rounds) and
# peer.json (versions, load) into $out.
# shellcheck shell=bash disable=SC2154 # the variables are run.sh's

peer_dir=$root/bench/peers/node
peer_engine="peer (Node.js)"

start_peer() { # start_peer NAME ARGS… → sets peer_pid, peer_port
    local logf=$work/peer-$1.log
    shift
    node "$peer_dir/src/main.js" --host 127.0.0.1 --port 0 "$@" >"$logf" 2>&1 &
    peer_pid=$!
    pids+=("$peer_pid")
    peer_port=""
    for _ in $(seq 200); do
        peer_port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$logf" 2>/dev/null | grep -o '[0-9]*$' || true)
        [[ -n $peer_port ]] && return 0
        kill -0 "$peer_pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$logf" >&2
    echo "run.sh: the Node.js peer did not start" >&2
    exit 1
}

peer_tag() { # peer_tag IN OUT EXTRA-JSON: copies the load generator's JSON, adding fields
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.update(json.loads(sys.argv[3]))
json.dump(r, open(sys.argv[2], "w"), indent=1)
PY
}

peer_held() {
    log "sessions held: peer, $held_sessions sessions"
    start_redis peer-held
    start_peer held --redis "unix://$redis_sock"
    sleep 1
    run_waited "$work/held-peer.json" "$work/loadgen.log" \
        "$loadgen" --url "http://127.0.0.1:$peer_port" --sessions "$held_sessions" --clients "$clients" \
        --prefix held- --ramp "$held_ramp" --hold-seconds 3 --settle-ms 1500 --server-pid "$peer_pid" \
        --max-seconds "$held_max_seconds" || log "load generator: exit $? (gave up at --max-seconds?)"
    peer_tag "$work/held-peer.json" "$out/held-peer.json" \
        "{\"engine\": \"$peer_engine\", \"serverArgs\": \"node src/main.js --redis unix://SOCK\"}"
    stop_pid "$peer_pid"
    stop_pid "$redis_pid"
}

peer_fanout() {
    local n
    start_redis peer-fanout
    for n in $fanout_sizes; do
        log "fan-out: peer, N=$n"
        redis-cli -s "$redis_sock" flushall >/dev/null
        start_peer "fanout-$n" --redis "unix://$redis_sock"
        sleep 1
        run_waited "$work/fanout-peer-$n.json" "$work/loadgen.log" \
            "$loadgen" --url "http://127.0.0.1:$peer_port" --sessions "$n" --clients "$clients" \
            --prefix fan- --ramp "$ramp" --settle-ms 1500 --probe-client "probe-$n" --probe-join \
            --probe-timeout-ms 15000 --server-pid "$peer_pid" --max-seconds 150 ||
            log "load generator: exit $? (gave up at --max-seconds?)"
        peer_tag "$work/fanout-peer-$n.json" "$out/fanout-peer-$n.json" "{\"engine\": \"$peer_engine\"}"
        stop_pid "$peer_pid"
    done
    stop_pid "$redis_pid"
}

# The join storm of bench/run.sh (section e), the same sizes and load generator arguments: N
# distinct clients into one room at once, a fresh peer (so its VmHWM is the storm's peak).
peer_storm() {
    local n
    start_redis peer-storm
    for n in $storm_sizes; do
        log "join storm: peer, N=$n in 1 room (cap ${storm_max_seconds}s)"
        redis-cli -s "$redis_sock" flushall >/dev/null
        start_peer "storm-$n" --redis "unix://$redis_sock"
        sleep 1
        run_waited "$work/storm-peer-$n.json" "$work/loadgen.log" \
            "$loadgen" --url "http://127.0.0.1:$peer_port" --sessions "$n" --rooms 1 --prefix storm- --storm \
            --settle-ms 1500 --probe-client "probe-storm-$n" --probe-join --probe-timeout-ms 10000 \
            --server-pid "$peer_pid" --max-seconds "$storm_max_seconds" ||
            log "load generator: exit $? (storm not settled within ${storm_max_seconds}s)"
        peer_tag "$work/storm-peer-$n.json" "$out/storm-peer-$n.json" \
            "{\"engine\": \"$peer_engine\", \"roomsAsked\": 1, \"roomsSupported\": true}"
        stop_pid "$peer_pid"
    done
    stop_pid "$redis_pid"
}

# Heartbeat drain, the same harness for both: H heartbeats waiting in the stream, then the
# processor starts; time until its consumer group has read and acknowledged all of them.
# d = 60 s so that no key expires during the drain (TTL 90 s): refreshes and first-time
# transitions only, no OFFLINE work.
# A drain's rate swings ±35 % between identical runs here (redis-server's own CPU seconds for
# the same work do), so the full run drains each processor 3 times, interleaved, and keeps the
# median round (every round's rate beside it), as the fan-out does.
peer_drain() { # peer_drain NAME ROUND GROUP MEMBERS-PER-ENTRY COMMAND…
    local name=$1 round=$2 group=$3 per_entry=$4
    shift 4
    log "heartbeat drain: $name, round $round, $hb_requests heartbeats over $hb_clients clients"
    start_redis "drain-$name-$round"
    local cmd=("$@")
    cmd=("${cmd[@]//@SOCK@/$redis_sock}")
    run_waited "$work/drain-$name.stdout" "$work/drain.log" \
        python3 "$root/bench/heartbeat/drain.py" --redis "$redis_sock" --group "$group" \
        --heartbeats "$hb_requests" --clients "$hb_clients" --members-per-entry "$per_entry" \
        --name "$name" --log "$work/drain-$name-r$round.log" \
        --json "$work/drain-$name-r$round.json" -- "${cmd[@]}" ||
        log "drain $name: did not finish (see $work/drain-$name-r$round.log)"
    stop_pid "$redis_pid"
}
drain_median() { # drain_median NAME: its median round (by heartbeats/s from the first read)
    python3 "$root/bench/median_round.py" drain "$out/drain-$1.json" -- "$work"/drain-"$1"-r*.json
}

peer_section() {
    if ! command -v node >/dev/null; then
        log "peer: skipped — node is not installed (the Node.js peer needs Node.js >= 20)"
        echo '{"skipped": "node is not installed"}' >"$out/peer.json"
        return 0
    fi
    log "peer: npm ci in bench/peers/node"
    if ! (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1); then
        cat "$work/npm-ci.log" >&2
        log "peer: skipped — npm ci failed"
        echo '{"skipped": "npm ci failed"}' >"$out/peer.json"
        return 0
    fi
    local load0
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    peer_held
    peer_fanout
    peer_storm
    # Each processor on what its own nodes write: ours many members per entry (500, as
    # RedisPresenceEngine::heartbeat), the peer one per entry; ours also on the seed's entries.
    local round
    for round in $(seq "$drain_rounds"); do
        # shellcheck disable=SC2086 # PRESENCE_BENCH_NODE_ENV is a list of VAR=VALUE words
        peer_drain ours-batched "$round" presence-processors 500 env ${PRESENCE_BENCH_NODE_ENV:-} \
            "$presence" --headless --listen 127.0.0.1:0 --backend redis --redis unix://@SOCK@ --heartbeat 60s
        # shellcheck disable=SC2086 # (the same)
        peer_drain ours "$round" presence-processors 1 env ${PRESENCE_BENCH_NODE_ENV:-} "$presence" \
            --headless --listen 127.0.0.1:0 --backend redis --redis unix://@SOCK@ --heartbeat 60s
        peer_drain peer "$round" presence-peer 1 node "$peer_dir/src/main.js" --port 0 \
            --redis unix://@SOCK@ --heartbeat 60s
    done
    drain_median ours-batched
    drain_median ours
    drain_median peer
    python3 - "$out/peer.json" "$peer_dir" "$load0" <<'PY'
import json, subprocess, sys
lock = json.load(open(sys.argv[2] + "/package-lock.json"))["packages"]
json.dump({
    "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
    "better-sse": lock.get("node_modules/better-sse", {}).get("version"),
    "ioredis": lock.get("node_modules/ioredis", {}).get("version"),
    "loadavg_start": sys.argv[3].split(),
    "loadavg_end": open("/proc/loadavg").read().split()[:3],
}, open(sys.argv[1], "w"), indent=1)
PY
}
