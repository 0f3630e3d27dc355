#!/usr/bin/env bash
# Benchmark of keyfoldd replicas sharing one PostgreSQL database (issue 14,
# docs/benchmarks.md "Replicas"): draws per second with 64 keep-alive clients
# (wrk, tests/bench/keys.lua: POST /v1/sessions/{name}/keys {"stream":"dropout","n":1})
# through nginx round-robin (deploy/nginx/keyfold-ha.conf) in front of
#   memory x1     --durability memory, one daemon (the lease target's reference)
#   sqlite x1     --durability strict, SQLite, one daemon
#   pgstrict x1   --store postgres --durability strict, one daemon
#   pgstrict x3   the same, three replicas on one database
#   pglease x1    --store postgres --durability lease, one daemon
#   pglease x3    the same, three replicas
# every configuration behind the same nginx, so that one and three replicas
# pay the same proxy. A configuration mode:n:hash turns on the affinity the
# file offers (hash $keyfold_ha_session consistent: a session's requests
# prefer one replica, another takes over when it is down). PostgreSQL: a throwaway cluster made here (fsync on,
# Unix socket), a new database per configuration.
#
#   bash scripts/bench-replicas.sh      # as root on Debian 12 (installs wrk, nginx)
#
# Environment (defaults in brackets):
#   DURATION     seconds of each measured wrk run [10]
#   RUNS         runs of each configuration; the median is reported [1]
#   WARMUP       seconds of unmeasured load after each start [1]
#   CONNECTIONS  concurrent keep-alive connections [64]
#   WRK_THREADS  wrk threads [2]
#   SESSIONS     session counts the clients spread over, one variant each ["1 64"]
#   CONFIGS      configurations, mode:replicas[:hash]
#                ["memory:1 sqlite:1 pgstrict:1 pgstrict:3 pgstrict:3:hash pglease:1 pglease:3 pglease:3:hash"]
#   PG_BIN       PostgreSQL's programs [/usr/lib/postgresql/15/bin]
#   NGINX        nginx [/usr/sbin/nginx]
#   BUILD_DIR    release build directory [build-release]
#
# Prints one JSON object per configuration on stdout,
#   {"name": "replicas_<mode>_x<n>_<variant>", "items_per_s": …, "unit": "draws/s",
#    "p50_ms": …, "p99_ms": …, "runs": […], "non_2xx": …, "socket_errors": …}
# then a table against the targets of issue 14 (pgstrict x1 >= 50% of sqlite,
# pglease x1 >= 90% of memory, x3 >= 80% of x1). Exits 1 if a request got a
# non-2xx reply or a daemon failed, never for a missed target.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
RUNS=${RUNS:-1}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
SESSIONS=${SESSIONS:-"1 64"}
CONFIGS=${CONFIGS:-"memory:1 sqlite:1 pgstrict:1 pgstrict:3 pgstrict:3:hash pglease:1 pglease:3 pglease:3:hash"}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
NGINX=${NGINX:-/usr/sbin/nginx}
BUILD_DIR=${BUILD_DIR:-build-release}

say() { echo "bench-replicas: $*" >&2; }

if [ "$(id -u)" = 0 ]; then
  sh scripts/install-deps.sh wrk iproute2 nginx
fi
for tool in wrk ss curl psql "$NGINX" "$PG_BIN/initdb"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    say "missing: $tool (run as root to have it installed; PostgreSQL: scripts/install-deps.sh postgresql)"
    exit 2
  fi
done

. scripts/bench-lib.sh
release_build server/keyfoldd
KEYFOLDD=$BUILD_DIR/server/keyfoldd
bench_workdir keyfold-bench-replicas
chmod 755 "$WORK" # nginx's workers (nobody) read its files
FAILED=0
PIDS=()
NGINX_PID=""

stop_all() {
  local pid rc
  if [ -n "$NGINX_PID" ]; then kill -QUIT "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  NGINX_PID=""
  for pid in "${PIDS[@]}"; do
    rc=0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    if [ "$rc" != 0 ]; then say "keyfoldd $pid exited with status $rc:"; tail -20 "$WORK/server.log" >&2; FAILED=1; fi
  done
  PIDS=()
}
trap 'stop_all; stop_postgres; bench_cleanup' EXIT
start_postgres

# Starts n daemons of mode $1 (one database for all of them) and nginx over
# them; sets PORT (nginx's) and creates the sessions bench0..bench<$3-1>.
start_config() {
  local mode=$1 n=$2 sessions=$3 lb=$4 durability=$1 store=() i port ports=()
  case $mode in
    sqlite) durability=strict ;;
    pg*) new_pg_database; durability=${mode#pg} store=(--store postgres --postgres-url "$PG_URL") ;;
  esac
  for ((i = 0; i < n; i++)); do
    "$KEYFOLDD" --listen 127.0.0.1:0 --log-level warn --durability "$durability" --max-connections-per-ip 0 \
      --data-dir "$WORK/data-$mode-$n-$i-$RANDOM" "${store[@]}" 2>>"$WORK/server.log" &
    PIDS+=($!)
    port=$(wait_port "$!") || { say "keyfoldd ($mode) did not start:"; cat "$WORK/server.log" >&2; exit 1; }
    ports+=("$port")
  done
  # nginx: keyfold-ha.conf with these replicas only, on a free loopback port.
  local site=$WORK/keyfold-ha.conf
  awk -v list="${ports[*]}" -v lb="$lb" '
    BEGIN { n = split(list, p, " ") }
    /server keyfold-ha-[0-9]+:8470/ {
      if (!done) {
        if (lb == "hash") print "    hash $keyfold_ha_session consistent;"
        for (i = 1; i <= n; i++) printf "    server 127.0.0.1:%s max_fails=1 fail_timeout=5s;\n", p[i]
        done = 1
      }
      next
    }
    /# keyfold listen/ { sub(/listen [^;]*;/, "listen 127.0.0.1:0;") }
    { print }' deploy/nginx/keyfold-ha.conf >"$site"
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  sed -i "s/listen 127.0.0.1:0;/listen 127.0.0.1:$PORT;/" "$site"
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    include $site;
}
EOF
  "$NGINX" -p "$WORK/nginx/" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" &
  NGINX_PID=$!
  local ready=""
  for _ in $(seq 1 200); do
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/health/ready" || true)
    [ "$ready" = 200 ] && break
    sleep 0.05
  done
  [ "$ready" = 200 ] || { say "$mode x$n: not ready through nginx"; cat "$WORK/nginx/error.log" >&2; exit 1; }
  local code
  for ((i = 0; i < sessions; i++)); do
    code=$(curl -s -o "$WORK/create.out" -w '%{http_code}' -H 'Content-Type: application/json' \
      -d "{\"name\":\"bench$i\",\"rngs\":{\"default\":0,\"dropout\":$((i + 1))}}" "http://127.0.0.1:$PORT/v1/sessions")
    [ "$code" = 201 ] || { say "creating bench$i ($mode x$n) answered $code: $(cat "$WORK/create.out")"; exit 1; }
  done
}

# wrk against PORT; appends "draws/s p50_ms p99_ms non_2xx socket_errors" to $1.
measure() {
  local out=$1 sessions=$2 log=$WORK/wrk.out
  if [ "$WARMUP" != 0 ]; then
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s tests/bench/keys.lua "http://127.0.0.1:$PORT" \
      -- "$sessions" >"$log" 2>&1 || { say "wrk (warm-up) failed:"; cat "$log" >&2; exit 1; }
  fi
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s tests/bench/keys.lua \
    "http://127.0.0.1:$PORT" -- "$sessions" >"$log" 2>&1 || { say "wrk failed:"; cat "$log" >&2; exit 1; }
  wrk_summary "$log" >>"$out" || { say "could not read wrk's output:"; cat "$log" >&2; exit 1; }
}

say "$RUNS run(s) x configurations [$CONFIGS] x sessions [$SESSIONS], ${DURATION}s each, $CONNECTIONS connections"
for ((r = 1; r <= RUNS; r++)); do
  for s in $SESSIONS; do
    for c in $CONFIGS; do
      IFS=: read -r mode n lb <<<"$c"
      start_config "$mode" "$n" "$s" "${lb:-rr}"
      res=$WORK/res-$mode-$n${lb:+-$lb}-$s
      measure "$res" "$s"
      stop_all
      say "run $r/$RUNS $mode x$n${lb:+ $lb}, $s session(s): $(tail -1 "$res" | awk '{printf "%.0f draws/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d, socket errors %d", $1, $2, $3, $4, $5}')"
    done
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A RATE
for s in $SESSIONS; do
  for c in $CONFIGS; do
    IFS=: read -r mode n lb <<<"$c"
    res=$WORK/res-$mode-$n${lb:+-$lb}-$s
    v=1session; [ "$s" = 1 ] || v=${s}sessions
    rate=$(awk '{print $1}' "$res" | median)
    RATE[$mode:$n${lb:+:$lb}:$s]=$rate
    bad=$(awk '{b += $4} END {print b + 0}' "$res")
    sock=$(awk '{e += $5} END {print e + 0}' "$res")
    [ "$bad" = 0 ] || FAILED=1
    printf '{"name": "replicas_%s_x%s%s_%s", "items_per_s": %.0f, "unit": "draws/s", "p50_ms": %s, "p99_ms": %s, "runs": [%s], "non_2xx": %d, "socket_errors": %d}\n' \
      "$mode" "$n" "${lb:+_$lb}" "$v" "$rate" "$(awk '{print $2}' "$res" | median)" "$(awk '{print $3}' "$res" | median)" \
      "$(awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1}' "$res")" "$bad" "$sock"
  done
done

# The targets of issue 14, where both sides were measured.
ratio() { awk -v a="${RATE[$1]:-}" -v b="${RATE[$2]:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.0f%%", 100 * a / b }'; }
for s in $SESSIONS; do
  echo "sessions: $s" >&2
  printf '  %-34s %8s  %s\n' "pgstrict x1 / sqlite x1" "$(ratio pgstrict:1:$s sqlite:1:$s)" "(target >= 50%)" >&2
  printf '  %-34s %8s  %s\n' "pglease x1 / memory x1" "$(ratio pglease:1:$s memory:1:$s)" "(target >= 90%)" >&2
  printf '  %-34s %8s  %s\n' "pgstrict x3 / pgstrict x1" "$(ratio pgstrict:3:$s pgstrict:1:$s)" "(target >= 80%)" >&2
  printf '  %-34s %8s  %s\n' "pglease x3 / pglease x1" "$(ratio pglease:3:$s pglease:1:$s)" "(target >= 80%)" >&2
  printf '  %-34s %8s  %s\n' "pgstrict x3 hash / pgstrict x1" "$(ratio pgstrict:3:hash:$s pgstrict:1:$s)" "(target >= 80%)" >&2
  printf '  %-34s %8s  %s\n' "pglease x3 hash / pglease x1" "$(ratio pglease:3:hash:$s pglease:1:$s)" "(target >= 80%)" >&2
done
if [ "$FAILED" != 0 ]; then say "some requests failed or a daemon exited badly (above)"; exit 1; fi
