# Shared by the benchmark scripts (bench.sh, bench-http.sh, bench-scale.sh),
# which source it from the checkout's root with BUILD_DIR set. bash.

# Builds the targets $@ in the release configuration $BUILD_DIR, configuring
# it when absent. werror is off: a release (-O3) build may warn where the
# default debugoptimized build does not, and a benchmark should not stop for it.
release_build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    meson setup "$BUILD_DIR" --buildtype=release -Dwerror=false >&2
  fi
  ninja -C "$BUILD_DIR" "$@" >&2
}

# Sets WORK to a new temporary directory named after $1 and SERVER_PID to
# "", and on exit stops the server SERVER_PID names (SIGTERM) and removes WORK.
bench_workdir() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  SERVER_PID=""
  trap bench_cleanup EXIT
}
bench_cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}

# The port the server with pid $1 listens on, once it does (keyfoldd prints
# its address only at --log-level info, which the access log would swamp).
# Fails if the process ends or 20 seconds pass first.
wait_port() {
  local pid=$1 port=""
  for _ in $(seq 1 400); do
    if ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    port=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) { n = split($4, a, ":"); print a[n]; exit }')
    if [ -n "$port" ]; then echo "$port"; return 0; fi
    sleep 0.05
  done
  return 1
}
