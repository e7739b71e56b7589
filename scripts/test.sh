#!/usr/bin/env bash
# Sets up, builds with warnings as errors and runs the whole test suite (unit, redis, ui, e2e),
# then builds the server-only variant (no widgets: the linker proves the core is widget-free)
# and runs its tests too. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests

jobs=$(nproc)
for preset in ci server; do
    echo "== build: $preset"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs"
    echo "== test: $preset"
    ctest --preset "$preset" -j "$jobs"
done
echo "== all tests passed"
