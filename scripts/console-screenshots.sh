#!/bin/sh
# Screenshots of the browser console's main views into docs/console/*.png
# (shown in README.md and docs/console.md): runs the console's browser test
# (proto/console/test/console.test.mjs) with --screenshots against the
# keyfoldd of a build directory (default build/).
#   sh scripts/console-screenshots.sh [BUILD-DIR]
# Needs chromium (scripts/install-deps.sh) and proto/console's node_modules
# (scripts/install-npm.sh).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
if [ ! -x "$build/server/keyfoldd" ]; then
  echo "console-screenshots: no $build/server/keyfoldd; build it first (ninja -C $build)" >&2
  exit 2
fi
KEYFOLDD="$PWD/$build/server/keyfoldd" node proto/console/test/console.test.mjs --screenshots docs/console
ls -l docs/console/*.png
