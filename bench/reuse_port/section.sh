# Sourced by bench/run.sh (issue 16, goal 4): `--reuse-port`, one and two nodes on one port.
# The same fan-out run as b (N sessions in one room, then one more client joins) and the storm
# (N distinct clients at once: the accept and roster work), against one node, then against two
# nodes sharing the port through SO_REUSEPORT (the kernel spreads the connections), each time on
# a fresh private redis-server (--smoke: the fan-out only). Writes reuseport-{fanout,storm}-{1,2}.json.
# shellcheck shell=bash disable=SC2154 # the variables and helpers are run.sh's

reuse_port_nodes() { # reuse_port_nodes NAME COUNT → sets reuse_pids, node_port (after start_redis)
    local name=$1 count=$2 i
    reuse_pids=()
    start_node "$name-1" --reuse-port --backend redis --redis "unix://$redis_sock"
    reuse_pids+=("$node_pid")
    local port=$node_port
    for ((i = 2; i <= count; i++)); do
        start_node "$name-$i" --reuse-port --backend redis --redis "unix://$redis_sock" \
            --listen "127.0.0.1:$port"
        reuse_pids+=("$node_pid")
    done
    node_port=$port
}

reuse_port_run() { # reuse_port_run KIND COUNT LOADGEN-ARGS…
    local kind=$1 count=$2 cap pid
    shift 2
    cap=$(budget "$fanout_max_seconds")
    ((cap > 0)) || { skipped "reuse-port $kind with $count node(s)"; return 0; }
    log "reuse-port: $kind, $count node(s) on one port, N=$reuse_sessions"
    start_redis "reuseport-$kind-$count"
    reuse_port_nodes "reuseport-$kind-$count" "$count"
    sleep 1
    # --server-pid: the first node's memory only (the figures compared here are latencies).
    run_waited "$work/reuseport-$kind-$count.json" "$work/loadgen.log" \
        "$loadgen" --url "http://127.0.0.1:$node_port" --sessions "$reuse_sessions" "$@" \
        --settle-ms 1500 --server-pid "${reuse_pids[0]}" --max-seconds "$cap" ||
        log "load generator: exit $? (reuse-port $kind, $count nodes)"
    python3 - "$work/reuseport-$kind-$count.json" "$out/reuseport-$kind-$count.json" "$count" "$kind" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["nodes"] = int(sys.argv[3])
r["kind"] = sys.argv[4]
json.dump(r, open(sys.argv[2], "w"), indent=1)
PY
    for pid in "${reuse_pids[@]}"; do
        stop_pid "$pid"
    done
    stop_pid "$redis_pid"
}

reuse_port_section() {
    local count
    for count in 1 2; do
        reuse_port_run fanout "$count" "${fanout_room_args[@]}" --prefix fan- --ramp "$ramp" \
            --probe-client "probe-reuse" --probe-join --probe-timeout-ms 15000
        [[ $mode == smoke ]] || reuse_port_run storm "$count" --rooms "$reuse_storm_rooms" --prefix storm- --storm
    done
}
