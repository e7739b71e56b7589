# Sourced by bench/run.sh and bench/cluster/alone.sh: the helpers every section uses. The
# sourcing script sets `work` (a scratch folder) and `pids` (every process started, killed on exit).
# shellcheck shell=bash disable=SC2154 # work and pids are the sourcing script's

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
