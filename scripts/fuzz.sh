#!/bin/sh
# Fuzzes the daemon's request router with libFuzzer (docs/testing.md, "Fuzzing"):
#   1. installs clang and its libFuzzer runtime as root when missing,
#   2. configures build-fuzz/ with clang, -Dfuzz=true and ASan + UBSan,
#   3. runs tests/fuzz/fuzz_router for SECONDS (default 60) on a working
#      corpus in build-fuzz/fuzz-corpus, seeded from tests/fuzz/corpus,
#   4. with --merge, adds the inputs that reach new code to tests/fuzz/corpus
#      (libFuzzer -merge=1 -use_counters=0 keeps only inputs that cover an
#      edge the corpus does not, so the committed corpus stays small).
# With --store the harness runs in store mode (KF_FUZZ_STORE): every input
# against a fresh strict SQLite store, a method starting with '!' failing
# the disk's writes and fsyncs, the store reopened and compared with memory
# after each input. The store lives in $KEYFOLD_FUZZ_STORE (default
# /dev/shm/keyfold-fuzz-store-$$ when /dev/shm exists, else
# build-fuzz/fuzz-store) and is removed at the end.
# Exits non-zero when the fuzzer finds a crash, leak, timeout or violated
# invariant, and prints where the reproducer was saved.
#
#   sh scripts/fuzz.sh [--merge] [--store] [SECONDS]
#
# KEYFOLD_FUZZ_BUILD overrides the build directory (default build-fuzz);
# KEYFOLD_FUZZ_ARGS adds libFuzzer flags (e.g. -fork=4 for four processes).
set -eu
cd "$(dirname "$0")/.."
seconds=60
merge=0
store=0
for arg in "$@"; do
  case "$arg" in
    --merge) merge=1 ;;
    --store) store=1 ;;
    *[!0-9]* | '') echo "usage: $0 [--merge] [--store] [SECONDS]" >&2; exit 2 ;;
    *) seconds=$arg ;;
  esac
done

build=${KEYFOLD_FUZZ_BUILD:-build-fuzz}
seeds=tests/fuzz/corpus

if [ "$(id -u)" = 0 ]; then
  sh scripts/install-deps.sh clang libclang-rt-14-dev
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$build" tests/fuzz/fuzz_router
fuzzer=$build/tests/fuzz/fuzz_router

work=$build/fuzz-corpus
artifacts=$build/fuzz-artifacts
mkdir -p "$work" "$artifacts"
# The working corpus keeps what earlier runs found; seed it with the
# committed inputs (without overwriting).
for f in "$seeds"/*; do
  if [ -f "$f" ] && [ ! -e "$work/${f##*/}" ]; then cp "$f" "$work/"; fi
done

# Leaks and any UBSan report are failures; libFuzzer saves the input.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
limits="-max_len=8192 -timeout=10 -rss_limit_mb=2048"
mode=""
if [ "$store" = 1 ]; then
  # A commit that failed is retried every 200 ms and each input ends by
  # reopening the store, so inputs take longer: a wider timeout. A tmpfs
  # keeps the fsyncs cheap.
  if [ -d /dev/shm ]; then default_store=/dev/shm/keyfold-fuzz-store-$$; else default_store=$build/fuzz-store; fi
  KF_FUZZ_STORE=${KEYFOLD_FUZZ_STORE:-$default_store}
  export KF_FUZZ_STORE
  trap 'rm -rf "$KF_FUZZ_STORE"' EXIT
  limits="-max_len=8192 -timeout=60 -rss_limit_mb=2048"
  mode=" in store mode ($KF_FUZZ_STORE)"
fi

before=$(ls "$artifacts" | wc -l)
echo "fuzz: running $fuzzer for ${seconds}s on $work$mode"
status=0
# shellcheck disable=SC2086
"$fuzzer" -max_total_time="$seconds" $limits -dict=tests/fuzz/router.dict \
  -artifact_prefix="$artifacts/" -print_final_stats=1 ${KEYFOLD_FUZZ_ARGS:-} \
  "$work" || status=$?
after=$(ls "$artifacts" | wc -l)

if [ "$status" != 0 ] || [ "$after" != "$before" ]; then
  echo "fuzz: FAILED (fuzzer exit status $status). Reproducers in $artifacts/:" >&2
  ls -t "$artifacts" | head -n 10 | sed "s|^|  $artifacts/|" >&2
  echo "fuzz: reproduce with $fuzzer FILE (or fuzz_replay -v FILE in any build;" \
    "in store mode with KF_FUZZ_STORE=DIR); add the file to $seeds/ once fixed" >&2
  exit 1
fi

if [ "$merge" = 1 ]; then
  n0=$(ls "$seeds" | wc -l)
  # -use_counters=0: keep an input only for a new edge, not for a new hit
  # count of a known one (which would commit hundreds of near-duplicates).
  # shellcheck disable=SC2086
  "$fuzzer" -merge=1 -use_counters=0 $limits -artifact_prefix="$artifacts/" "$seeds" "$work"
  n1=$(ls "$seeds" | wc -l)
  echo "fuzz: merged $((n1 - n0)) new inputs into $seeds/ ($n1 files)"
fi
echo "fuzz: no crash in ${seconds}s"
