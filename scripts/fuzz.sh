#!/usr/bin/env bash
# Builds the libFuzzer targets (preset "fuzz": clang, ASan + UBSan) and runs each one for
# SECONDS (default 30) on a copy of its seed corpus in fuzz/corpus/<name>/. New inputs go to
# build/fuzz/work/<name>/, never into the repository. On a crash: the crashing input's path,
# the sanitizer report, and a non-zero exit.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET…]   (targets by name, e.g. event_id; default all)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number, got \"$seconds\"" >&2; exit 2; }

echo "== build: fuzz"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"

build=build/fuzz
work=$build/work
targets=("$@")
if (( ${#targets[@]} == 0 )); then
    for dir in fuzz/corpus/*/; do
        targets+=("$(basename "$dir")")
    done
fi

# LeakSanitizer stays on (libFuzzer's default); UBSan findings are fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

summary=()
failed=()
for name in "${targets[@]}"; do
    binary=$build/fuzz/fuzz_$name
    [[ -x "$binary" ]] || { echo "fuzz: no target fuzz_$name (fuzz/fuzz_$name.cpp)" >&2; exit 2; }
    corpus=$work/$name/corpus
    artifacts=$work/$name/artifacts
    log=$work/$name/fuzz.log
    rm -rf "${work:?}/$name"
    mkdir -p "$corpus" "$artifacts"
    cp fuzz/corpus/"$name"/* "$corpus"/
    echo "== fuzz: $name for ${seconds}s"
    # A dictionary (fuzz/<name>.dict) names the tokens compared inside Qt, which has no
    # coverage instrumentation, so the fuzzer could not discover them by itself.
    dict=()
    [[ -f fuzz/$name.dict ]] && dict=(-dict="fuzz/$name.dict")
    status=0
    "$binary" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${dict[@]}" \
        -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    summary+=("$(printf '%-16s %12s runs %8s exec/s  corpus %s -> %s' "$name" "${runs:-?}" \
        "${speed:-?}" "$(ls fuzz/corpus/"$name" | wc -l)" "$(ls "$corpus" | wc -l)")")
    if (( status != 0 )); then
        echo "!! fuzz_$name failed (exit $status); log: $log" >&2
        tail -n 60 "$log" >&2
        for input in "$artifacts"/*; do
            [[ -e "$input" ]] || continue
            echo "!! crashing input: $input" >&2
            echo "!!   reproduce: $binary $input" >&2
        done
        failed+=("$name")
    fi
done

echo "== fuzz summary (${seconds}s each)"
printf '%s\n' "${summary[@]}"
if (( ${#failed[@]} )); then
    echo "!! fuzz: crashes in ${failed[*]}" >&2
    exit 1
fi
echo "== fuzz: no crashes"
