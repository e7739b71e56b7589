# Sourced by bench/run.sh and bench/cluster/alone.sh (issue 14 item 7): the heartbeat whole loop
# on Redis Cluster with 1, 2 and 3 primaries, and on one plain redis-server, in one run. Each
# time: a fresh private cluster on loopback TCP (no replicas), H heartbeats of C clients spread
# over 1,000 rooms waiting in every shard's stream (bench/cluster/drain.py, rooms mapped to
# shards by bench_cluster_shards, i.e. by ClusterShards itself), then ONE node drains them.
# Then sessions live in 1,000 rooms: a join storm of N distinct clients over the 1,000 rooms and
# one more join, on the 3-primary cluster and on the plain redis-server (a fresh node each).
# Writes cluster-drain-{1,2,3,single}.json and cluster-storm-{3,single}.json.
# shellcheck shell=bash disable=SC2154 # the variables and helpers are the sourcing script's

# A cluster of P primaries made by hand, the way redis-cli --cluster create would make it (one
# contiguous part of the slots each) - redis-cli refuses fewer than 3 primaries: each node gets
# its slots and a config epoch of its own, then meets the first. A primary turns cluster_state:ok
# only ~2 s after it starts (measured: Redis holds a new primary's state back that long), so all
# clusters are made first and waited for together (cluster_ready) while the single-Redis runs go,
# then drained one by one (an idle cluster costs ~nothing).
declare -A cluster_ports_of cluster_pids_of
cluster_ok() { # cluster_ok PORT COMMAND… (fails, saying why, unless Redis answers OK)
    local port=$1 reply
    shift
    reply=$(redis-cli -p "$port" "$@" 2>&1) || true
    [[ $reply == OK ]] || { log "cluster: '$*' on $port answered: $reply"; return 1; }
}
cluster_make() { # cluster_make NAME P
    local name=$1 count=$2 i port bus dir first last deadline ports=() buses=()
    for ((i = 0; i < count; i++)); do
        port=$(free_port) bus=$(free_port) dir=$work/cluster-$name-$i
        mkdir -p "$dir"
        redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-port "$bus" \
            --cluster-announce-ip 127.0.0.1 --cluster-config-file "$dir/nodes.conf" \
            --cluster-node-timeout 2000 --save '' --appendonly no --dir "$dir" \
            --logfile "$dir/redis.log" --daemonize no &
        cluster_pids_of[$name]+="$! "
        pids+=("$!")
        ports+=("$port")
        buses+=("$bus")
    done
    cluster_ports_of[$name]=${ports[*]}
    deadline=$((SECONDS + 10))
    for port in "${ports[@]}"; do
        until redis-cli -p "$port" ping >/dev/null 2>&1; do
            ((SECONDS < deadline)) || { log "cluster $name: redis-server on $port did not start in 10 s"; return 1; }
            sleep 0.05
        done
    done
    for ((i = 0; i < count; i++)); do
        first=$((i * 16384 / count)) last=$(((i + 1) * 16384 / count - 1))
        cluster_ok "${ports[i]}" cluster addslotsrange "$first" "$last" || return 1
        cluster_ok "${ports[i]}" cluster set-config-epoch "$((i + 1))" || return 1
    done
    for ((i = 1; i < count; i++)); do
        cluster_ok "${ports[0]}" cluster meet 127.0.0.1 "${ports[i]}" "${buses[i]}" || return 1
    done
}
cluster_ready() { # cluster_ready NAME: every node cluster_state:ok and knowing all, in 20 s
    local name=$1 port info ports deadline=$((SECONDS + 20))
    read -ra ports <<<"${cluster_ports_of[$name]:-}"
    ((${#ports[@]})) || { log "cluster $name: no nodes"; return 1; }
    for port in "${ports[@]}"; do
        while :; do
            info=$(redis-cli -p "$port" cluster info 2>/dev/null | tr -d '\r') || true
            [[ $info == *"cluster_state:ok"* && $info == *"cluster_known_nodes:${#ports[@]}"* ]] && break
            ((SECONDS < deadline)) || { log "cluster $name: node $port not ok with ${#ports[@]} nodes in 20 s: ${info//$'\n'/ }"; return 1; }
            sleep 0.05
        done
    done
}
cluster_stop() { # cluster_stop NAME
    local pid
    for pid in ${cluster_pids_of[$1]:-}; do stop_pid "$pid"; done
}

# The result JSON with KEY=JSON-VALUE fields added and the node's warnings (the log is gone with
# the scratch folder): how many, and each distinct message once with its count (timestamps off).
cluster_result() { # cluster_result SRC DST NODE-LOG [KEY=JSON-VALUE…]
    python3 - "$@" <<'PY' || log "cluster: no result in $1"
import collections, json, re, sys
r = json.load(open(sys.argv[1]))
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    r[k] = json.loads(v)
lines = [l for l in open(sys.argv[3], errors="replace").read().splitlines()
         if " warning " in l or " critical " in l]
seen = collections.Counter(re.sub(r"^\S+ ", "", l) for l in lines)
r["nodeLogWarnings"] = {"count": len(lines),
                        "distinct": [{"message": m, "count": c} for m, c in seen.most_common(10)]}
json.dump(r, open(sys.argv[2], "w"), indent=1)
PY
}

cluster_drain() { # cluster_drain NAME REDIS-ARG URL (cluster or single, after it is up)
    local name=$1 where=$2 url=$3
    log "cluster drain: $name, $cluster_heartbeats heartbeats over $cluster_clients clients in $cluster_rooms rooms ($url)"
    # shellcheck disable=SC2086 # PRESENCE_BENCH_NODE_ENV is a list of VAR=VALUE words
    run_waited "$work/cluster-drain-$name.stdout" "$work/cluster-drain.log" \
        python3 "$root/bench/cluster/drain.py" "$where" --shards-json "$work/cluster-shards.json" \
        --heartbeats "$cluster_heartbeats" --clients "$cluster_clients" --name "$name" \
        --timeout "$cluster_timeout" --log "$work/cluster-drain-$name.log" \
        --json "$work/cluster-drain-$name.json" -- \
        env ${PRESENCE_BENCH_NODE_ENV:-} "$presence" --headless --listen 127.0.0.1:0 --backend redis \
        --redis "$url" --heartbeat 60s ||
        log "cluster drain $name: did not finish (see $work/cluster-drain-$name.log, cluster-drain.log)"
    cluster_result "$work/cluster-drain-$name.json" "$out/cluster-drain-$name.json" \
        "$work/cluster-drain-$name.log" loadavgAfter="\"$(cut -d' ' -f1-3 /proc/loadavg)\""
}

node_healthy() { # node_healthy PORT SECONDS: GET /health answers 200 (the engine is ready)
    local deadline=$((SECONDS + $2))
    until curl -fs -o /dev/null "http://127.0.0.1:$1/health"; do
        ((SECONDS < deadline)) || { log "node on $1: /health not 200 within $2 s"; return 1; }
        sleep 0.05
    done
}

cluster_storm() { # cluster_storm NAME URL (cluster or single, after it is up and flushed)
    local name=$1 url=$2
    log "cluster storm: $name, $cluster_sessions sessions of distinct clients over $cluster_rooms rooms ($url)"
    start_node "cluster-storm-$name" --backend redis --redis "$url"
    if node_healthy "$node_port" 20; then
        run_waited "$work/cluster-storm-$name.json" "$work/loadgen.log" \
            "$loadgen" --url "http://127.0.0.1:$node_port" --sessions "$cluster_sessions" \
            --rooms "$cluster_rooms" --prefix cstorm- --storm --settle-ms 1500 \
            --probe-client "probe-cluster-$name" --probe-join --probe-timeout-ms 10000 \
            --server-pid "$node_pid" --max-seconds "$cluster_timeout" ||
            log "load generator: exit $? (cluster storm $name)"
        cluster_result "$work/cluster-storm-$name.json" "$out/cluster-storm-$name.json" \
            "$work/node-cluster-storm-$name.log" engine="\"$name\"" \
            loadavgAfter="\"$(cut -d' ' -f1-3 /proc/loadavg)\""
    fi
    stop_pid "$node_pid"
}

cluster_section() {
    local count port urls ports
    cluster_rooms=1000
    if [[ $mode == smoke ]]; then
        cluster_heartbeats=20000 cluster_clients=5000 cluster_sessions=2000 cluster_timeout=30
    else
        cluster_heartbeats=400000 cluster_clients=100000 cluster_sessions=10000 cluster_timeout=120
    fi
    "$cluster_shards" "$cluster_rooms" >"$work/cluster-shards.json"
    for count in 1 2 3; do
        cluster_make "p$count" "$count" || log "cluster drain: the $count-primary cluster was not made"
    done
    # The plain engine on the same redis-server build, same transport (TCP), same entries: first,
    # while the clusters settle.
    port=$(free_port)
    start_redis cluster-single --port "$port" --bind 127.0.0.1
    cluster_drain single "--single=127.0.0.1:$port" "redis://127.0.0.1:$port"
    redis-cli -p "$port" flushall >/dev/null
    cluster_storm single "redis://127.0.0.1:$port"
    stop_pid "$redis_pid"
    for count in 1 2 3; do
        if cluster_ready "p$count"; then
            read -ra ports <<<"${cluster_ports_of[p$count]}"
            urls=()
            for port in "${ports[@]}"; do urls+=("127.0.0.1:$port"); done
            # One primary: named twice (two seeds select the cluster engine; one host that is a
            # cluster node is refused); seeds are discovery points only.
            ((count == 1)) && urls+=("${urls[0]}")
            cluster_drain "$count" "--cluster=${urls[0]}" "redis://$(IFS=,; echo "${urls[*]}")"
            if ((count == 3)); then # sessions over the rooms, on a flushed cluster
                for port in "${ports[@]}"; do redis-cli -p "$port" flushall >/dev/null; done
                cluster_storm 3 "redis://$(IFS=,; echo "${urls[*]}")"
            fi
        else
            log "cluster drain: the $count-primary cluster did not form (see $work/cluster-p$count-*/redis.log)"
        fi
        cluster_stop "p$count"
    done
}
