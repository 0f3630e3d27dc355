#!/bin/sh
# Installs the npm dev dependencies of the JavaScript packages the tests use,
# as pinned by each one's committed package-lock.json: `npm ci` in each
# directory below whose node_modules is missing or older than its lock file.
# Run by scripts/test.sh after install-deps.sh; needs node and npm (Debian's
# nodejs/npm from install-deps.sh, or any Node >= 18) and the npm registry.
#   sh scripts/install-npm.sh
set -eu
cd "$(dirname "$0")/.."
dirs="proto/clients/typescript"
if ! command -v npm >/dev/null 2>&1; then
  echo "install-npm: npm is not installed; skipping (the npm-based tests will skip or fail)" >&2
  exit 0
fi
for d in $dirs; do
  if [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules" ]; then
    echo "install-npm: npm ci in $d"
    (cd "$d" && npm ci --no-audit --no-fund)
    # npm ci leaves node_modules's mtime at its creation; touch it so an
    # unchanged lock file is not reinstalled next run.
    touch "$d/node_modules"
  fi
done
