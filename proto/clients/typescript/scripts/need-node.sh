# Sourced by run-tests.sh and lint-openapi.sh: sets $here (the package) and
# stops unless node and the package's npm dev dependency $tool are installed:
# exit 77 (meson's "skipped") without node, 1 when only node_modules is missing
# (scripts/install-npm.sh installs it; a missing install must not pass silently).
here=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v node >/dev/null 2>&1; then
  echo "node is not installed (scripts/install-deps.sh installs it): skipped" >&2
  exit 77
fi
if [ ! -x "$here/node_modules/.bin/$tool" ]; then
  echo "$here/node_modules is missing: run scripts/install-npm.sh" >&2
  exit 1
fi
