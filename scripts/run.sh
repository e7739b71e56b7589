#!/usr/bin/env bash
# Sets up, builds and runs presence: the dashboard on the embedded default.
# Arguments are passed to presence (e.g. scripts/run.sh --headless --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset dev >/dev/null
# Only the program it runs: tests and benchmarks are built by scripts/test.sh.
cmake --build --preset dev --target presence
exec build/dev/app/presence "$@"
