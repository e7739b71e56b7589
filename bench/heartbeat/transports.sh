# Sourced by bench/run.sh: the heartbeat drain of our node over each transport to Redis, in
# the same run on the same kind of private redis-server: a unix socket, plain TCP on loopback,
# and TLS on loopback (rediss://, a throwaway CA from tests/e2e/make-test-ca.sh). The harness
# is bench/heartbeat/drain.py (it fills and watches the stream over the unix socket, which
# stays plain); only the node's own connections change. Writes drain-transport-{unix,tcp,tls}.json.

transport_drain() { # transport_drain NAME URL-TEMPLATE [NODE-ARGS…] (after start_redis)
    local name=$1 url=$2
    shift 2
    url=${url//@SOCK@/$redis_sock}
    log "heartbeat drain over $name: $hb_requests heartbeats over $hb_clients clients ($url)"
    # shellcheck disable=SC2086 # PRESENCE_BENCH_NODE_ENV is a list of VAR=VALUE words
    run_waited "$work/drain-transport-$name.stdout" "$work/drain.log" \
        python3 "$root/bench/heartbeat/drain.py" --redis "$redis_sock" --group presence-processors \
        --heartbeats "$hb_requests" --clients "$hb_clients" --name "ours-$name" \
        --log "$work/drain-transport-$name.log" --json "$out/drain-transport-$name.json" -- \
        env ${PRESENCE_BENCH_NODE_ENV:-} "$presence" --headless --listen 127.0.0.1:0 --backend redis \
        --redis "$url" --heartbeat 60s "$@" ||
        log "drain over $name: did not finish (see $work/drain-transport-$name.log)"
}

transport_drain_section() {
    local tls=$work/tls port tls_port
    "$root/tests/e2e/make-test-ca.sh" "$tls" >/dev/null
    port=$(free_port)
    tls_port=$(free_port)
    for name in unix tcp tls; do
        start_redis "drain-transport-$name" --port "$port" --tls-port "$tls_port" \
            --tls-cert-file "$tls/server.crt" --tls-key-file "$tls/server.key" \
            --tls-ca-cert-file "$tls/ca.crt" --tls-auth-clients no
        case $name in
        unix) transport_drain unix "unix://@SOCK@" ;;
        tcp) transport_drain tcp "redis://127.0.0.1:$port" ;;
        tls) transport_drain tls "rediss://127.0.0.1:$tls_port" --redis-tls-ca "$tls/ca.crt" ;;
        esac
        stop_pid "$redis_pid"
    done
}
