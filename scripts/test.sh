#!/usr/bin/env bash
# Sets up, builds with warnings as errors and runs the whole test suite (unit, redis, ui, e2e),
# then the whole suite again under ASan + UBSan (LeakSanitizer on) on the server-only build (no
# widgets anywhere: its link of presence is the proof that the core is widget-free), then every
# fuzz target for 20 s
# (scripts/fuzz.sh), then the benchmark harness's smoke run (bench/run.sh --smoke --no-docs on
# build/ci), then the Debian package: scripts/package.sh builds it, `ctest --preset package` installs, runs and removes it
# (needs root, as in CI).
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests

jobs=$(nproc)
# Any sanitizer report fails the test that triggered it; leaks are reported at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for preset in ci asan-server; do
    echo "== build: $preset"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs"
    echo "== test: $preset"
    # One test at a time: several tests hold timing promises (OFFLINE within TTL + 0.5 s) that
    # two CPU-heavy neighbours on a 2-core machine could break.
    # CI shows the head and tail of a long log: on a failure, the reasons go last.
    ctest --preset "$preset" || { scripts/failure-digest.sh "build/$preset"; exit 1; }
done
scripts/fuzz.sh 20
# The benchmark harness on tiny sizes with the ci build (bench targets included): it checks that
# the harness works (nodes start, sessions connect, rosters fill, JSON, report and plots are
# written; bench/check_results.py), not speed. Fails on any broken measurement or after 4 min.
echo "== bench smoke: bench/run.sh --smoke --no-docs (build/ci)"
PRESENCE_BENCH_BUILD=build/ci timeout --kill-after=10 240 bench/run.sh --smoke --no-docs
echo "== package: scripts/package.sh, then apt-get install, run, remove (ctest --preset package)"
scripts/package.sh
ctest --preset package
echo "== all tests passed"
