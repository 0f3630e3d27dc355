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

# wrk's --latency output in the file $1 as "req/s p50_ms p99_ms non_2xx
# socket_errors"; fails when it has no rate.
wrk_summary() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { gsub(/,/, ""); sock = $4 + $6 + $8 + $10 }
    END {
      if (rps == "") exit 1
      printf "%s %s %s %d %d\n", rps, p50, p99, bad, sock
    }' "$1"
}

# ------------------------------------------------------------------ postgres
# A throwaway PostgreSQL cluster (PG_BIN's programs): initdb and pg_ctl as the postgres user
# (as root; initdb refuses root), listening on a Unix socket in a directory
# of its own only, fsync on; a new database for every daemon started.
PGROOT=""
PG_DBS=0
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {
  # /tmp rather than TMPDIR: the postgres user must reach it (a private
  # TMPDIR of mode 0700 it cannot).
  PGROOT=$(mktemp -d /tmp/keyfold-bench-pg.XXXXXX)
  chmod 755 "$PGROOT"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGROOT"; fi
  as_postgres "$PG_BIN/initdb" -D "$PGROOT/data" -A trust -U postgres --no-instructions >"$PGROOT/initdb.log" 2>&1 ||
    { say "initdb failed:"; cat "$PGROOT/initdb.log" >&2; exit 1; }
  as_postgres "$PG_BIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w \
    -o "-p 5432 -k $PGROOT -c listen_addresses=''" start >/dev/null ||
    { say "PostgreSQL did not start:"; cat "$PGROOT/log" >&2; exit 1; }
  say "PostgreSQL cluster in $PGROOT"
}
stop_postgres() {
  if [ -n "$PGROOT" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PGROOT"
    PGROOT=""
  fi
}
# A new empty database; sets PG_URL to its libpq connection string.
new_pg_database() {
  PG_DBS=$((PG_DBS + 1))
  psql -X -q -d "host=$PGROOT port=5432 user=postgres dbname=postgres" -c "CREATE DATABASE bench$PG_DBS" >&2
  PG_URL="host=$PGROOT port=5432 user=postgres dbname=bench$PG_DBS"
}
