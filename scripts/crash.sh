#!/bin/sh
# The long crash test (docs/durability-tests.md): runs tests/api/test_crash.py
# with CRASH_CYCLES=CYCLES (default 200): keyfoldd is killed with SIGKILL at a
# random moment under a concurrent load that many times on one data
# directory in strict mode (and CYCLES/4 times in lease mode), and every
# restart is checked against what the clients were told. The default test
# suite runs the same test with 20 cycles.
#
#   sh scripts/crash.sh [CYCLES]
#
# KEYFOLDD names the daemon to test; without it, build/server/keyfoldd is
# built first (installing the Debian packages as root when missing).
set -eu
cd "$(dirname "$0")/.."
cycles=200
case $# in
  0) ;;
  1) case "$1" in
       *[!0-9]* | '' | 0) echo "usage: $0 [CYCLES]" >&2; exit 2 ;;
       *) cycles=$1 ;;
     esac ;;
  *) echo "usage: $0 [CYCLES]" >&2; exit 2 ;;
esac

if [ -z "${KEYFOLDD:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    sh scripts/install-deps.sh
  fi
  if [ ! -f build/build.ninja ]; then
    meson setup build
  fi
  ninja -C build server/keyfoldd
  KEYFOLDD=$PWD/build/server/keyfoldd
fi
echo "crash: $cycles strict cycles, $((cycles / 4 > 3 ? cycles / 4 : 3)) lease cycles, keyfoldd $KEYFOLDD"
CRASH_CYCLES=$cycles KEYFOLDD=$KEYFOLDD PYTHONDONTWRITEBYTECODE=1 \
  exec /usr/bin/python3 tests/api/test_crash.py -v
