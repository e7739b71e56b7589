#!/usr/bin/env bash
# Installs what presence needs on Debian 12 (only what is missing), then, with --tests,
# the test tools too (Chromium, Node packages for the end-to-end tests, clang for fuzzing, the
# packaging tools and systemd-analyze), with --package what scripts/package.sh needs.
# Usage: scripts/setup.sh [--tests|--package]
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
want_package=0
[[ "${1:-}" == "--tests" ]] && want_tests=1 && want_package=1
[[ "${1:-}" == "--package" ]] && want_package=1

packages=(cmake ninja-build g++ pkg-config git
          qt6-base-dev qt6-httpserver-dev qt6-websockets-dev libgl-dev
          libhiredis-dev redis-server redis-tools)
if (( want_package )); then
    packages+=(dpkg-dev file) # CPack's DEB generator: dpkg-shlibdeps, and file to find the ELF files
fi
if (( want_tests )); then
    packages+=(systemd) # systemd-analyze verify of presence.service (no running systemd needed)
    packages+=(curl chromium xvfb xauth procps iproute2 openssl) # iproute2: network namespaces; openssl: test CAs
    packages+=(clang libclang-rt-14-dev) # scripts/fuzz.sh: clang 14 and its libFuzzer runtime
    packages+=(python3 gnuplot-nox) # bench/run.sh --smoke: its JSON helpers, report and plots; ctest tst_bench_paired_rounds
    packages+=(prometheus) # promtool: ctest prometheus_rules_* check docs/prometheus/presence-rules.yml
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done

if (( ${#missing[@]} )); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    (( EUID != 0 )) && sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if (( want_tests )); then
    # Exact versions from the lockfile; reinstalled only when the lockfile changed.
    stamp=tests/e2e/node_modules/.lock-stamp
    if [[ ! -f "$stamp" ]] || ! cmp -s tests/e2e/package-lock.json "$stamp"; then
        echo "setup: npm ci in tests/e2e"
        npm ci --prefix tests/e2e --no-audit --no-fund
        cp tests/e2e/package-lock.json "$stamp"
    fi
fi
