#!/bin/sh
# The whole test suite, as the README's test command runs it:
#   1. installs the Debian packages it needs (as root; skipped when present)
#      and the npm packages of scripts/install-npm.sh (when their lock changed),
#   2. builds and runs every test with `meson test` (build/),
#   3. builds and runs every test again under AddressSanitizer and
#      UndefinedBehaviorSanitizer (build-asan/), unless --no-sanitize,
#   4. checks that the tests left nothing in the temporary directory: they
#      run with TMPDIR set to a directory of this run's own (so that other
#      runs on the machine do not count), which must be empty at the end.
set -eu
cd "$(dirname "$0")/.."
sanitize=1
for arg in "$@"; do
  case "$arg" in
    --no-sanitize) sanitize=0 ;;
    *) echo "usage: $0 [--no-sanitize]" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" = 0 ]; then
  sh scripts/install-deps.sh
fi
# The npm dev dependencies (TypeScript, openapi-typescript, Redocly CLI) of
# the JavaScript packages, for root and non-root alike: they go into each
# package's node_modules, not the system.
sh scripts/install-npm.sh

passed=0
failed=0
skipped=0
run_suite() {
  dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  fi
  ninja -C "$dir"
  status=0
  meson test -C "$dir" --print-errorlogs || status=$?
  # Count this pass's results for the closing line.
  counts=$(/usr/bin/python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r == "SKIP":
        skip += 1
    else:
        bad += 1
print(ok, bad, skip)
PY
)
  set -- $counts
  passed=$((passed + $1))
  failed=$((failed + $2))
  skipped=$((skipped + $3))
  return $status
}

# Python's tempfile, mktemp(1) and the C tests all honour TMPDIR.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/keyfold-testrun.XXXXXX")
export TMPDIR

rc=0
run_suite build || rc=1
if [ "$sanitize" = 1 ]; then
  # halt_on_error makes any UBSan report fail the test; CK_FORK=no keeps each
  # Check suite in one process so LeakSanitizer sees every allocation.
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
  CK_FORK=no \
    run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false \
      -Dc_args=-fno-sanitize-recover=all || rc=1
fi
left=$(ls -A "$TMPDIR")
if [ -n "$left" ]; then
  echo "the tests left these in the temporary directory $TMPDIR:" >&2
  echo "$left" | sed 's/^/  /' >&2
  rc=1
  failed=$((failed + 1))
fi
rm -rf "$TMPDIR"
echo "$passed passed, $failed failed, $skipped skipped"
exit $rc
