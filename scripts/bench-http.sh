#!/usr/bin/env bash
# HTTP benchmark of keyfoldd (see docs/benchmarks.md, "HTTP benchmarks"), with
# 64 concurrent keep-alive clients (wrk), for --durability memory, strict and
# lease, the last two also with --store postgres (modes pgstrict and pglease:
# one daemon on a throwaway PostgreSQL cluster made here, fsync on), next to tests/bench/http_anchor, a libmicrohttpd server under the
# same threading that answers a fixed JSON body (the ceiling of this machine).
# Two workloads:
#   keys     POST /v1/sessions/{name}/keys {"stream":"dropout","n":1}: draws per
#            second, over one session and over 64 sessions;
#   forward  POST /v1/sessions/{name}/forward {"x": [...], "deterministic": false}
#            on an MLP (64 -> linear 256 -> relu -> dropout 0.1 -> linear 10),
#            every call drawing one dropout key, for x of 1 and of 32 rows, in
#            JSON and as .npy (Content-Type and Accept application/x-npy,
#            ?deterministic=false); its anchor answers a real /forward reply
#            of the same size and encoding.
#
#   bash scripts/bench-http.sh          # as root on Debian 12 (installs wrk)
#
# Environment (defaults in brackets):
#   DURATION     seconds of each measured wrk run, an integer [10]
#   RUNS         runs of each configuration; the median is reported [3]
#   WARMUP       seconds of unmeasured load after each start, an integer [1]
#   CONNECTIONS  concurrent keep-alive connections [64]
#   WRK_THREADS  wrk threads [2]
#   THREADS      server threads, keyfoldd's --threads and the anchor's [0 = one per core]
#   WORKLOADS    workloads to run ["keys forward"]
#   MODES        keyfoldd durability modes ["memory strict lease pgstrict pglease";
#                without PostgreSQL's binaries (PG_BIN) the pg* modes are left out]
#   PG_BIN       PostgreSQL's programs [/usr/lib/postgresql/15/bin]
#   LOG_LEVELS   keyfoldd --log-level, one variant of every mode each ["warn"];
#                at info (the daemon's default) every request writes an access
#                line, to a file in the work directory
#   SESSIONS     keys: session counts, one variant each ["1 64"]
#   FORWARD_SESSIONS  forward: session counts, one variant each ["1"]
#   BATCHES      forward: rows of x, one variant each ["1 32"]
#   ENCODINGS    forward: body encodings, one variant each ["json npy"]
#   BUILD_DIR    release build directory [build-release]
#
# Prints one JSON object per configuration and line on stdout,
#   {"name": "http_<workload>_<mode>_<variant>", "items_per_s": …, "unit": "req/s",
#    "p50_ms": …, "p99_ms": …, "runs": […], "non_2xx": …, "socket_errors": …}
# (<mode> memory, strict, lease, pgstrict, pglease or anchor, with -<level> for a log level
# other than warn, e.g. memory-info; <variant> 1session or 64sessions
# for keys, 1session_b1 or 1session_b32 (+ _npy) for forward; each figure the median
# over RUNS), then a table per workload of each mode's ratio to memory and to
# the anchor, against the targets (keys: memory >= 70% of the anchor, strict
# >= 50% of memory, lease >= 90% of memory, pgstrict >= 50% of strict,
# pglease >= 90% of memory). Progress goes to stderr. Exits 1
# if any request got a non-2xx reply or a daemon failed, never for a missed
# target (the figures are noisy: wrk shares the cores with the server).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
THREADS=${THREADS:-0}
WORKLOADS=${WORKLOADS:-"keys forward"}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ -z "${MODES:-}" ]; then
  MODES="memory strict lease"
  if [ -x "$PG_BIN/initdb" ] && command -v psql >/dev/null 2>&1; then
    MODES="$MODES pgstrict pglease"
  else
    echo "bench-http: no PostgreSQL in $PG_BIN: the pgstrict and pglease modes are left out" >&2
  fi
fi
LOG_LEVELS=${LOG_LEVELS:-"warn"}
SESSIONS=${SESSIONS:-"1 64"}
FORWARD_SESSIONS=${FORWARD_SESSIONS:-"1"}
BATCHES=${BATCHES:-"1 32"}
ENCODINGS=${ENCODINGS:-"json npy"}
BUILD_DIR=${BUILD_DIR:-build-release}

# The forward workload's model and the width of its input.
FORWARD_MODEL='{"layers":[{"type":"linear","in_features":64,"out_features":256},{"type":"relu"},{"type":"dropout","rate":0.1},{"type":"linear","in_features":256,"out_features":10}]}'
FORWARD_IN=64

say() { echo "bench-http: $*" >&2; }

for wl in $WORKLOADS; do
  case $wl in
    keys | forward) ;;
    *) say "unknown workload '$wl' (WORKLOADS: keys, forward)"; exit 2 ;;
  esac
done

# ------------------------------------------------------------------ tools
if [ "$(id -u)" = 0 ]; then
  sh scripts/install-deps.sh wrk iproute2
fi
for tool in wrk ss curl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    say "missing: $tool (run as root to have it installed)"
    exit 2
  fi
done

# ------------------------------------------------------------------ build
. scripts/bench-lib.sh
release_build server/keyfoldd tests/bench/http_anchor
KEYFOLDD=$BUILD_DIR/server/keyfoldd
ANCHOR=$BUILD_DIR/tests/bench/http_anchor

bench_workdir keyfold-bench
FAILED=0

# ------------------------------------------------------------------ postgres
# The pg* modes' throwaway cluster (bench-lib.sh: start_postgres, new_pg_database).
trap 'stop_postgres; bench_cleanup' EXIT
if [[ " $MODES " == *" pg"* ]]; then start_postgres; fi

# ------------------------------------------------------------------ servers
# Starts keyfoldd in mode $1 (durability, then -level for a log level other
# than warn: strict-info) with $2 sessions bench0.. for workload $3 (the
# forward workload's sessions have FORWARD_MODEL); sets SERVER_PID, PORT.
# At info the access log goes to a file of its own, emptied at each start,
# so that what is measured includes writing it but the disk does not fill.
start_keyfoldd() {
  local mode=${1%%-*} level=warn n=$2 wl=$3 dir=$WORK/data-$RANDOM$RANDOM log=$WORK/server.log
  local durability=$mode store=()
  case $1 in *-*) level=${1#*-} log=$WORK/server-$level.log; : >"$log" ;; esac
  case $mode in pg*) new_pg_database; durability=${mode#pg} store=(--store postgres --postgres-url "$PG_URL") ;; esac
  "$KEYFOLDD" --listen 127.0.0.1:0 --threads "$THREADS" --log-level "$level" --durability "$durability" \
    --data-dir "$dir" "${store[@]}" 2>>"$log" &
  SERVER_PID=$! SERVER_LOG=$log
  PORT=$(wait_port "$SERVER_PID") || { say "keyfoldd ($mode) did not start:"; cat "$log" >&2; exit 1; }
  local ready=""
  for _ in $(seq 1 200); do
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/v2/health/ready" || true)
    [ "$ready" = 200 ] && break
    sleep 0.05
  done
  [ "$ready" = 200 ] || { say "keyfoldd ($mode) never became ready"; exit 1; }
  local i code body
  for ((i = 0; i < n; i++)); do
    if [ "$wl" = forward ]; then
      body="{\"name\":\"bench$i\",\"rngs\":{\"default\":0,\"params\":42,\"dropout\":$((i + 1))},\"model\":$FORWARD_MODEL}"
    else
      body="{\"name\":\"bench$i\",\"rngs\":{\"default\":0,\"dropout\":$((i + 1))}}"
    fi
    code=$(curl -s -o "$WORK/create.out" -w '%{http_code}' -H 'Content-Type: application/json' \
      -d "$body" "http://127.0.0.1:$PORT/v1/sessions")
    if [ "$code" != 201 ]; then
      say "creating session bench$i ($mode) answered $code: $(cat "$WORK/create.out")"
      exit 1
    fi
  done
}

# Starts the anchor answering the default body, or the file $1; sets
# SERVER_PID, PORT.
start_anchor() {
  local threads=$THREADS body=()
  [ "$threads" = 0 ] && threads=$(nproc)
  [ -n "${1:-}" ] && body=(--body-file "$1")
  "$ANCHOR" --listen 127.0.0.1:0 --threads "$threads" "${body[@]}" 2>>"$WORK/server.log" &
  SERVER_PID=$! SERVER_LOG=$WORK/server.log
  PORT=$(wait_port "$SERVER_PID") || { say "http_anchor did not start:"; cat "$WORK/server.log" >&2; exit 1; }
}

stop_server() {
  local rc=0
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || rc=$?
  if [ "$rc" != 0 ]; then
    say "server exited with status $rc:"
    tail -20 "$SERVER_LOG" >&2
    FAILED=1
  fi
  SERVER_PID=""
}

# ------------------------------------------------------------------ forward inputs
# $WORK/x-b<rows>.json: {"x": rows x FORWARD_IN floats in (-1, 1), "deterministic": false},
# the same on every run (a Park-Miller generator, exact in awk's doubles),
# written with 8 significant digits like float32 data; and
# $WORK/reply-b<rows>.json, keyfoldd's reply to it, which the anchor sends.
if [[ " $WORKLOADS " == *" forward "* ]]; then
  for b in $BATCHES; do
    awk -v rows="$b" -v cols="$FORWARD_IN" 'BEGIN {
      s = 12345
      printf "{\"x\":["
      for (r = 0; r < rows; r++) {
        printf "%s[", (r ? "," : "")
        for (c = 0; c < cols; c++) {
          s = (s * 16807) % 2147483647
          printf "%s%.8g", (c ? "," : ""), 2 * s / 2147483647 - 1
        }
        printf "]"
      }
      printf "],\"deterministic\":false}"
    }' >"$WORK/x-b$b.json"
  done
  start_keyfoldd memory 1 forward
  for b in $BATCHES; do
    code=$(curl -s -o "$WORK/reply-b$b.json" -w '%{http_code}' -H 'Content-Type: application/json' \
      --data-binary "@$WORK/x-b$b.json" "http://127.0.0.1:$PORT/v1/sessions/bench0/forward")
    if [ "$code" != 200 ]; then
      say "POST …/forward with $b rows answered $code: $(head -c 300 "$WORK/reply-b$b.json")"
      exit 1
    fi
    say "forward, $b rows: request $(wc -c <"$WORK/x-b$b.json") bytes, reply $(wc -c <"$WORK/reply-b$b.json") bytes"
    if [[ " $ENCODINGS " == *" npy "* ]]; then
      # The same x as float32 .npy (the format numpy.save writes), and the
      # binary reply to it.
      /usr/bin/python3 - "$WORK/x-b$b.json" "$WORK/x-b$b.npy" <<'PY'
import json, struct, sys
x = json.load(open(sys.argv[1]))["x"]
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(x), len(x[0]))
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(sys.argv[2], "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    f.write(struct.pack("<%df" % (len(x) * len(x[0])), *[v for row in x for v in row]))
PY
      code=$(curl -s -o "$WORK/reply-b$b.npy" -w '%{http_code}' -H 'Content-Type: application/x-npy' \
        -H 'Accept: application/x-npy' --data-binary "@$WORK/x-b$b.npy" \
        "http://127.0.0.1:$PORT/v1/sessions/bench0/forward?deterministic=false")
      if [ "$code" != 200 ]; then
        say "POST …/forward with $b rows as .npy answered $code: $(head -c 300 "$WORK/reply-b$b.npy")"
        exit 1
      fi
      say "forward, $b rows, .npy: request $(wc -c <"$WORK/x-b$b.npy") bytes, reply $(wc -c <"$WORK/reply-b$b.npy") bytes"
    fi
  done
  stop_server
fi

# ------------------------------------------------------------------ wrk
# Runs wrk with the Lua script $1 against $PORT, passing it the arguments
# after $2; appends "req/s p50_ms p99_ms non_2xx socket_errors" to the file $2.
measure() {
  local lua=$1 out=$2 log=$WORK/wrk.out
  shift 2
  if [ "$WARMUP" != 0 ]; then
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$lua" "http://127.0.0.1:$PORT" -- "$@" \
      >"$log" 2>&1 || { say "wrk (warm-up) failed:"; cat "$log" >&2; exit 1; }
  fi
  wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$lua" \
    "http://127.0.0.1:$PORT" -- "$@" >"$log" 2>&1 || { say "wrk failed:"; cat "$log" >&2; exit 1; }
  cat "$log" >>"$WORK/wrk.all"
  wrk_summary "$log" >>"$out" || { say "could not read wrk's output:"; cat "$log" >&2; exit 1; }
}

# ------------------------------------------------------------------ runs
# A configuration is workload:mode:sessions:rows:encoding (rows 0 and
# encoding json for keys); its variant names the sessions (and the rows, and
# npy).
variant_of() {
  local n=$2 b=$3 v="${2}sessions"
  [ "$n" = 1 ] && v=1session
  [ "$1" = forward ] && v="${v}_b$b"
  [ "${4:-json}" = npy ] && v="${v}_npy"
  echo "$v"
}
# Every durability mode at every log level: memory, memory-info, …
RUN_MODES=""
for mode in $MODES; do
  for level in $LOG_LEVELS; do
    if [ "$level" = warn ]; then RUN_MODES="$RUN_MODES $mode"; else RUN_MODES="$RUN_MODES $mode-$level"; fi
  done
done
configs=""
for wl in $WORKLOADS; do
  if [ "$wl" = keys ]; then
    for n in $SESSIONS; do
      for mode in anchor $RUN_MODES; do configs="$configs keys:$mode:$n:0:json"; done
    done
  else
    for n in $FORWARD_SESSIONS; do
      for b in $BATCHES; do
        for enc in $ENCODINGS; do
          for mode in anchor $RUN_MODES; do configs="$configs forward:$mode:$n:$b:$enc"; done
        done
      done
    done
  fi
done
# Run r of every configuration before run r+1 of any, so that a slow spell
# of the machine spreads over all of them instead of sinking one.
say "$RUNS runs x$(echo "$configs" | wc -w) configurations, ${DURATION}s each, $CONNECTIONS connections, $WRK_THREADS wrk threads"
for ((r = 1; r <= RUNS; r++)); do
  for c in $configs; do
    IFS=: read -r wl mode n b enc <<<"$c"
    res=$WORK/res-$wl-$mode-$n-$b-$enc
    if [ "$wl" = keys ]; then
      if [ "$mode" = anchor ]; then start_anchor; else start_keyfoldd "$mode" "$n" keys; fi
      measure tests/bench/keys.lua "$res" "$n"
    else
      if [ "$mode" = anchor ]; then start_anchor "$WORK/reply-b$b.$enc"; else start_keyfoldd "$mode" "$n" forward; fi
      if [ "$enc" = npy ]; then
        measure tests/bench/forward.lua "$res" "$n" bench "$WORK/x-b$b.npy" application/x-npy \
          application/x-npy "?deterministic=false"
      else
        measure tests/bench/forward.lua "$res" "$n" bench "$WORK/x-b$b.json"
      fi
    fi
    stop_server
    say "run $r/$RUNS $wl $mode $(variant_of "$wl" "$n" "$b" "$enc"): $(tail -1 "$res" | awk '{printf "%.0f req/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d, socket errors %d", $1, $2, $3, $4, $5}')"
  done
done

# ------------------------------------------------------------------ report
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A RPS P99
for c in $configs; do
  IFS=: read -r wl mode n b enc <<<"$c"
  f=$WORK/res-$wl-$mode-$n-$b-$enc
  name=http_${wl}_${mode}_$(variant_of "$wl" "$n" "$b" "$enc")
  rps=$(cut -d' ' -f1 "$f" | median)
  p50=$(cut -d' ' -f2 "$f" | median)
  p99=$(cut -d' ' -f3 "$f" | median)
  bad=$(awk '{ s += $4 } END { print s + 0 }' "$f")
  sock=$(awk '{ s += $5 } END { print s + 0 }' "$f")
  runs=$(awk '{ printf "%s%.0f", (NR > 1 ? ", " : ""), $1 }' "$f")
  RPS[$c]=$rps
  P99[$c]=$p99
  printf '{"name": "%s", "items_per_s": %.0f, "unit": "req/s", "p50_ms": %.3f, "p99_ms": %.3f, "runs": [%s], "non_2xx": %d, "socket_errors": %d}\n' \
    "$name" "$rps" "$p50" "$p99" "$runs" "$bad" "$sock"
  if [ "$bad" != 0 ]; then
    say "ERROR: $name: $bad non-2xx replies"
    FAILED=1
  fi
  if [ "$sock" != 0 ]; then say "warning: $name: $sock socket errors"; fi
done

# One table for all workloads: each row's throughput relative to memory and
# to the anchor of the same workload and variant, and its target if it has one.
echo
printf '%-8s %-18s %-12s %10s %8s %10s %10s  %s\n' workload variant mode req/s p99_ms vs_memory vs_anchor target
for wl in $WORKLOADS; do
  for c0 in $configs; do
    IFS=: read -r w0 m0 n b enc <<<"$c0"
    # one group of rows per workload and variant, met at its anchor
    if [ "$w0" != "$wl" ] || [ "$m0" != anchor ]; then continue; fi
    variant=$(variant_of "$wl" "$n" "$b" "$enc")
    for mode in $RUN_MODES anchor; do
      c="$wl:$mode:$n:$b:$enc"
      rps=${RPS[$c]}
      # against memory at the same log level
      suffix=""
      case $mode in *-*) suffix=-${mode#*-} ;; esac
      mem=${RPS[$wl:memory$suffix:$n:$b:$enc]:-}
      anc=${RPS[$wl:anchor:$n:$b:$enc]}
      target="-"
      goal="" ref=""
      if [ "$wl" = keys ]; then
        case ${mode%%-*} in
          memory) goal=0.70 ref=anchor ;;
          strict) goal=0.50 ref=memory ;;
          lease | pglease) goal=0.90 ref=memory ;;
          pgstrict) goal=0.50 ref=strict ;;
        esac
      fi
      refrps=""
      case $ref in
        anchor) refrps=$anc ;;
        memory | strict) refrps=${RPS[$wl:$ref$suffix:$n:$b:$enc]:-} ;;
      esac
      if [ -n "$goal" ] && [ -n "$refrps" ]; then
        target=$(awk -v r="$rps" -v m="$refrps" -v g="$goal" -v ref="$ref" 'BEGIN { printf ">= %d%% of %s: %s", g * 100, ref, (r >= g * m) ? "met" : "MISSED" }')
      fi
      awk -v w="$wl" -v v="$variant" -v mo="$mode" -v r="$rps" -v p="${P99[$c]}" -v m="$mem" -v a="$anc" -v t="$target" 'BEGIN {
        vm = (m == "") ? "-" : sprintf("%.0f%%", 100 * r / m)
        printf "%-8s %-18s %-12s %10.0f %8.2f %10s %9.0f%%  %s\n", w, v, mo, r, p, vm, 100 * r / a, t
      }'
    done
  done
done
exit "$FAILED"
