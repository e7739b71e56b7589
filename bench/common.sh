# Sourced by bench/run.sh and bench/cluster/alone.sh: the helpers every section uses. The
# sourcing script sets `work` (a scratch folder), `pids` (every process started, killed on exit)
# and, for start_node, `presence` (the binary).
# shellcheck shell=bash disable=SC2154 # work, pids and presence are the sourcing script's

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
redis_sock=""
start_redis() { # start_redis NAME [REDIS-SERVER-ARGS…] → sets redis_sock, redis_pid
    local dir=$work/redis-$1
    shift
    mkdir -p "$dir"
    redis-server --port 0 --unixsocket "$dir/redis.sock" --unixsocketperm 700 --save '' \
        --appendonly no --dir "$dir" --logfile "$dir/redis.log" --daemonize no "$@" &
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
stop_pid() { # TERM, then KILL after 5 s (a saturated node can take long to close its sessions)
    kill "$1" 2>/dev/null || true
    for _ in $(seq 50); do
        [[ -e /proc/$1 ]] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
free_port() { # a TCP port free on 127.0.0.1 now
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_node() { # start_node NAME BACKEND-ARGS… → sets node_pid, node_port
    local name=$1
    shift
    # shellcheck disable=SC2086 # PRESENCE_BENCH_NODE_ENV is a list of VAR=VALUE words
    start_listener "$name" env ${PRESENCE_BENCH_NODE_ENV:-} "$presence" --headless --listen 127.0.0.1:0 \
        --max-sessions 19500 --max-sessions-per-address 19500 "$@"
}
start_listener() { # start_listener NAME COMMAND… (logs "listening on http://127.0.0.1:PORT")
    local name=$1
    shift
    local logf=$work/node-$name.log
    "$@" 2>"$logf" &
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
    echo "run.sh: $name did not start" >&2
    exit 1
}
