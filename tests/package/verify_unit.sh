#!/usr/bin/env bash
# verify_unit.sh SYSTEMD_ANALYZE UNIT INSTALLED_BINARY BUILT_BINARY
# `systemd-analyze verify` of UNIT with INSTALLED_BINARY replaced by BUILT_BINARY. Fails on a
# non-zero exit and on any line it prints (it warns, exit 0, about unknown or misspelt keys).
set -euo pipefail
analyze=$1 unit=$2 installed=$3 built=$4
folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
grep -q "^ExecStart=$installed --headless\$" "$unit" || { echo "FAIL: $unit does not run $installed"; exit 1; }
sed "s#$installed#$built#g" "$unit" >"$folder/presence.service"
# --man=no: Documentation=man:presence(1) is only installed by the package (install_test.sh
# verifies the installed unit with the page in place).
if ! output=$("$analyze" verify --man=no "$folder/presence.service" 2>&1); then
    echo "FAIL: systemd-analyze verify exited non-zero:"; echo "$output"; exit 1
fi
# Lines about units that merely do not exist in a container are no fault of ours.
output=$(grep -v -e 'redis-server.service' -e 'network-online.target' <<<"$output" || true)
if [[ -n "$output" ]]; then
    echo "FAIL: systemd-analyze verify complained:"; echo "$output"; exit 1
fi
echo "systemd-analyze verify: presence.service OK"
