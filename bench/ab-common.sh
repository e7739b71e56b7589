# Shared by the A/B scripts (held-ab.sh, fanout-ab.sh, storm-ab.sh): their options, one listener
# (a node or the floor) and at most one private redis-server at a time, both killed when the
# script exits.
# shellcheck shell=bash
ulimit -n 20000
node_pid= redis_pid= port=
ab_cleanup() {
    [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null || true
    [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null || true
}
trap ab_cleanup EXIT

ab_start_redis() { # ab_start_redis DIR → redis_pid, listening on DIR/redis.sock
    mkdir -p "$1"
    redis-server --port 0 --unixsocket "$1/redis.sock" --save '' --appendonly no \
        --dir "$1" --logfile "$1/redis.log" &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -s "$1/redis.sock" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "redis-server did not start (see $1/redis.log)" >&2
    exit 1
}

ab_start() { # ab_start LOG COMMAND… → node_pid, port (it logs "listening on http://127.0.0.1:PORT")
    local log=$1
    shift
    "$@" 2>"$log" &
    node_pid=$!
    port=
    for _ in $(seq 200); do
        port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
        [[ -n $port ]] && { sleep 1; return 0; } # as run.sh: let it finish starting
        sleep 0.05
    done
    echo "did not start (see $log)" >&2
    exit 1
}

ab_stop() { # the listener and redis-server of this round
    local pid
    for pid in "$node_pid" "$redis_pid"; do
        [[ -n $pid ]] || continue
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    node_pid= redis_pid=
}

ab_parse_args() { # ab_parse_args SCRIPT ARGS… → sessions, rounds, backend, loadgen, out (and ramp or
    # floor, where the script set a default for them), NAME=PRESENCE-BINARY… into builds; makes $out
    local script=$1
    shift
    builds=()
    while (($#)); do
        case $1 in
        --sessions | --rounds | --backend | --loadgen | --out)
            printf -v "${1#--}" '%s' "$2"
            shift 2
            ;;
        --ramp | --floor)
            [[ -v ${1#--} ]] || { echo "$script: unknown argument $1" >&2; exit 2; }
            printf -v "${1#--}" '%s' "$2"
            shift 2
            ;;
        *=*) builds+=("$1"); shift ;;
        *) echo "$script: unknown argument $1" >&2; exit 2 ;;
        esac
    done
    ((${#builds[@]})) || { echo "$script: name at least one NAME=PRESENCE-BINARY" >&2; exit 2; }
    mkdir -p "$out"
}
