#!/usr/bin/env bash
# Builds the Debian package from this checkout: a release build installed under /usr (the
# "package" CMake preset), packed by CPack's DEB generator with dependencies computed by
# dpkg-shlibdeps. Prints the path of the .deb (build/package/deb/presence_<version>-1_<arch>.deb).
# Install it with: sudo apt-get install ./build/package/deb/presence_*.deb
# Usage: scripts/package.sh        (PRESENCE_JOBS=N to build with N jobs instead of nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --package >&2

jobs=${PRESENCE_JOBS:-$(nproc)}
cmake --preset package >&2
cmake --build --preset package -j "$jobs" >&2
rm -f build/package/deb/*.deb
cpack --preset package >&2
deb=$(ls build/package/deb/presence_*.deb)
echo "$deb"
