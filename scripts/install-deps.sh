#!/bin/sh
# Installs the Debian 12 packages keyfold builds and tests with, plus any
# package named as an argument (scripts/fuzz.sh adds clang, …). Run as root.
# Idempotent: skips apt entirely when everything is already installed.
# chromium: the browser the console test (proto/console/test) drives.
# --build: only what building keyfoldd needs (scripts/run.sh), not the
# test tools (PostgreSQL, nginx, Go, Node.js, Chromium, ...).
#   sh scripts/install-deps.sh [--build] [EXTRA-PACKAGE...]
set -eu
build_only=0
if [ "${1:-}" = "--build" ]; then
  build_only=1
  shift
fi
# meson configures the tests too, so check is a build dependency.
packages="build-essential pkg-config meson ninja-build check libjansson-dev libmicrohttpd-dev
libuv1-dev libsqlite3-dev libpq-dev python3 $*"
if [ "$build_only" = 0 ]; then
  packages="$packages librandom123-dev libopenblas-dev curl python3-jsonschema python3-yaml
python3-numpy nginx postgresql-15 postgresql-client-15 mypy python3-venv python3-pip
python3-setuptools python3-wheel golang-go chromium"
  # Node.js and npm for the TypeScript client's tests (scripts/install-npm.sh):
  # Debian's, only when no node is on PATH (a newer one installed otherwise wins).
  if ! command -v node >/dev/null 2>&1; then
    packages="$packages nodejs npm"
  fi
fi
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The tests start nginx and PostgreSQL themselves (loopback ports, a
  # throwaway cluster on a Unix socket): keep the packages from starting a
  # system nginx on port 80 and a system cluster on port 5432 as they install.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    guard=1
  fi
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  if [ -n "$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
