#!/bin/sh
# Installs what is missing (as root), builds, and starts keyfoldd in the
# foreground with its embedded defaults (127.0.0.1:8470). Extra arguments
# are passed to keyfoldd, e.g. `sh scripts/run.sh --log-level debug`.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ]; then
  sh scripts/install-deps.sh --build
fi
if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build server/keyfoldd
exec build/server/keyfoldd "$@"
