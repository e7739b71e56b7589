#!/usr/bin/env bash
# install_test.sh DEB_DIR VERSION — as root, on a Debian 12 with presence's dependencies:
# apt-get installs DEB_DIR/presence_*.deb, checks what it installed (binary, man page, unit,
# conffile, web page, Lua library), runs the installed binary (--version, --check-config, a
# headless node on memory and one on the installed redis-server, /health over HTTP), verifies
# the installed unit, then removes and purges the package and checks that it is gone.
set -euo pipefail
deb_dir=$1 version=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
(( EUID == 0 )) || fail "run as root (apt-get install); e.g. sudo ctest --preset package"
shopt -s nullglob
debs=("$deb_dir"/presence_*.deb)
(( ${#debs[@]} == 1 )) || fail "expected one presence_*.deb in $deb_dir (run scripts/package.sh), found ${#debs[@]}"
deb=$(realpath "${debs[0]}")
work=$(mktemp -d)
node_pid=""
cleanup() {
    [[ -n "$node_pid" ]] && kill "$node_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== dpkg-deb: control and contents of $(basename "$deb")"
dpkg-deb --field "$deb" Package Version Depends Recommends
control=$(dpkg-deb --field "$deb" Depends)
for lib in libqt6core6 libqt6network6 libqt6httpserver6 libhiredis0.14; do
    grep -q "$lib" <<<"$control" || fail "Depends lacks $lib: $control"
done
dpkg-deb --field "$deb" Recommends | grep -q redis-server || fail "Recommends lacks redis-server"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO --wildcards '*conffiles' | grep -qx /etc/default/presence \
    || fail "/etc/default/presence is not a conffile"

echo "== apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$deb"
dpkg-query -W -f='${Status}\n' presence | grep -q "install ok installed" || fail "presence is not installed"
for file in /usr/bin/presence /usr/share/man/man1/presence.1 /usr/lib/systemd/system/presence.service \
            /etc/default/presence /usr/share/presence/index.html /usr/share/presence/presence.lua \
            /usr/share/applications/presence.desktop /usr/share/icons/hicolor/scalable/apps/presence.svg; do
    [[ -f "$file" ]] || fail "$file was not installed"
    dpkg -S "$file" >/dev/null || fail "$file is not owned by the package"
done

echo "== /usr/bin/presence --version"
[[ "$(/usr/bin/presence --version)" == "presence $version" ]] || fail "--version: $(/usr/bin/presence --version)"
grep -q '^\.TH PRESENCE 1' /usr/share/man/man1/presence.1 || fail "the man page is not roff"

echo "== systemd-analyze verify (installed unit)"
man_flag=--man=yes
command -v man >/dev/null || man_flag=--man=no
output=$(systemd-analyze verify "$man_flag" /usr/lib/systemd/system/presence.service 2>&1) \
    || fail "systemd-analyze verify: $output"
output=$(grep -v -e 'redis-server.service' -e 'network-online.target' <<<"$output" || true)
[[ -z "$output" ]] || fail "systemd-analyze verify: $output"

echo "== presence --check-config with /etc/default/presence and the unit's LimitNOFILE, as the unit runs it"
limit=$(grep -oP '^LimitNOFILE=\K[0-9]+$' /usr/lib/systemd/system/presence.service) || fail "the unit sets no LimitNOFILE"
hard=$(ulimit -Hn)
if [[ "$hard" != unlimited ]] && (( hard < limit )); then
    # systemd may raise the hard limit; a container without CAP_SYS_RESOURCE cannot.
    echo "note: hard open-file limit $hard here, below the unit's $limit: checking with $hard"
    limit=$hard
fi
verdict=$(set -a; . /etc/default/presence; ulimit -n "$limit"
          /usr/bin/presence --headless --check-config --listen 127.0.0.1:0 2>"$work/check.err") \
    || fail "--check-config of the shipped settings: $(cat "$work/check.err")"
[[ "$verdict" == "configuration OK" ]] || fail "--check-config said: $verdict"
verdict=$(ulimit -n 1024; /usr/bin/presence --headless --check-config --listen 127.0.0.1:0 2>&1) \
    && fail "--check-config accepted an open-file limit of 1024"
grep -q "open-file limit 1024" <<<"$verdict" || fail "--check-config with 1024 files said: $verdict"

# Starts the installed binary headless on a free port, waits (deadline 20 s) for its
# "listening on" line, checks /health; $1: the backend, $2: what /health must contain.
run_node() {
    local backend=$1 expect=$2 log=$work/node-$1.log port="" deadline=$((SECONDS + 20))
    /usr/bin/presence --headless --listen 127.0.0.1:0 --backend "$backend" >"$log" 2>&1 &
    node_pid=$!
    while [[ -z "$port" ]]; do
        (( SECONDS < deadline )) || { cat "$log"; fail "$backend node did not listen within 20 s"; }
        kill -0 "$node_pid" 2>/dev/null || { cat "$log"; fail "$backend node exited"; }
        port=$(grep -oP 'listening on http://127\.0\.0\.1:\K[0-9]+' "$log" || true)
        [[ -n "$port" ]] || sleep 0.1 # polling the log with a deadline
    done
    local health=""
    # A Redis node may say "degraded" until its connection is up: poll, with the same deadline.
    until grep -q "$expect" <<<"$health"; do
        (( SECONDS < deadline )) || { cat "$log"; fail "/health on $port never had $expect: $health"; }
        health=$(curl -sS --max-time 5 "http://127.0.0.1:$port/health" || true)
        grep -q "$expect" <<<"$health" || sleep 0.1
    done
    echo "$backend node on $port: /health $health"
    kill -TERM "$node_pid"
    wait "$node_pid" || { cat "$log"; fail "$backend node did not exit 0 on SIGTERM"; }
    node_pid=""
}
echo "== headless node from the installed files"
run_node memory '"status":"ok"'
if command -v redis-server >/dev/null; then
    run_node redis '"status":"ok"'
fi

echo "== apt-get remove presence"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q presence
[[ ! -e /usr/bin/presence ]] || fail "/usr/bin/presence is still there after remove"
[[ ! -e /usr/lib/systemd/system/presence.service ]] || fail "the unit is still there after remove"
[[ -f /etc/default/presence ]] || fail "remove took the conffile (only purge should)"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q presence
[[ ! -e /etc/default/presence ]] || fail "/etc/default/presence is still there after purge"
echo "package install test passed"
