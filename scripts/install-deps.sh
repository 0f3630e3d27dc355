#!/bin/sh
# Installs the Debian 12 packages keyfold builds and tests with. Run as root.
# Idempotent: skips apt entirely when everything is already installed.
set -eu
packages="build-essential pkg-config meson ninja-build check libjansson-dev libmicrohttpd-dev
libuv1-dev libsqlite3-dev librandom123-dev curl python3 python3-jsonschema python3-yaml"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
