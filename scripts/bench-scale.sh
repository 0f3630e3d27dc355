#!/usr/bin/env bash
# Scale benchmark of keyfoldd (see docs/benchmarks.md, "Scale"): a million
# idle sessions (three streams, no model) must fit in under 1 GiB of RSS, and
# a restart with them stored must be ready in under 5 seconds.
#
#   bash scripts/bench-scale.sh                  # as root on Debian 12: 3-5 minutes
#   SESSIONS=20000 bash scripts/bench-scale.sh   # the short version (CI-sized)
#
# For each durability mode of MODES, a fresh keyfoldd (release build, a new
# temporary --data-dir, --max-sessions SESSIONS) gets SESSIONS sessions
# s0 … s<N-1>, each POST /v1/sessions
#   {"name": "s<i>", "rngs": {"default": i, "params": [0, i], "dropout": i+7}}
# from tests/bench/scale_load over CONNECTIONS keep-alive connections; every
# reply must be 201, and /metrics (keyfold_sessions) and GET /v1/sessions must
# count SESSIONS. Then the daemon's VmRSS and VmHWM (/proc/PID/status) are
# read, SAMPLE sessions spread over the range draw keys (dropout n=3, params
# n=1, a fallback name n=2 served by default) and their GET is saved. The
# daemon is stopped with SIGTERM (it must exit 0). In a durable mode it is
# then started again on the same data directory and port, RESTARTS times, and
# each time the time from its exec to GET /v2/health/ready answering 200 is
# measured (polled every 10 ms), with the CPU time it took; its RSS is read
# again, /metrics must count SESSIONS again, every sampled session must GET
# exactly as before (same keys, same counts) and a SIGTERM must stop it with
# status 0. Memory mode has no restart to measure: a restart forgets
# everything.
#
# Environment (defaults in brackets):
#   SESSIONS     sessions to create [1000000]
#   MODES        durability modes, each a separate run ["strict memory"]
#   CONNECTIONS  concurrent creating connections [64]
#   THREADS      keyfoldd --threads [0 = one per core]
#   SAMPLE       sessions drawn from and checked across the restart [20]
#   RESTARTS     restarts measured (each checked); medians are reported [3]
#   BUILD_DIR    release build directory [build-release]
#
# Prints one JSON object per figure and line on stdout:
#   {"name": "scale_create", "durability": "strict", "sessions": N, "seconds": …,
#    "items_per_s": …, "unit": "sessions/s", "connections": 64}
#   {"name": "scale_idle_sessions_rss", "durability": "strict", "sessions": N,
#    "rss_bytes": …, "rss_mib": …, "hwm_mib": …, "empty_rss_mib": …,
#    "bytes_per_session": …, "target_mib": 1024, "met": true}
#   {"name": "scale_restart_ready", "durability": "strict", "sessions": N,
#    "seconds": …, "runs": […], "recovery_s": …, "cpu_s": …, "stop_s": …,
#    "db_mib": …, "target_s": 5, "met": true}
#   {"name": "scale_restarted_rss", …same members as scale_idle_sessions_rss}
# (restart figures are medians over the RESTARTS runs: seconds from exec to
# ready, recovery_s as keyfoldd logs it, cpu_s the daemon's CPU time until
# ready, stop_s from SIGTERM to exit)
# (memory mode's names carry a _memory suffix and it has no restart lines).
# The targets are for a million sessions; for fewer, "met" compares with the
# same absolute targets. Progress goes to stderr. Exits 1 if a creation or a
# check failed or a daemon did not exit 0, never for a missed target.
set -euo pipefail
cd "$(dirname "$0")/.."

SESSIONS=${SESSIONS:-1000000}
MODES=${MODES:-"strict memory"}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-0}
SAMPLE=${SAMPLE:-20}
RESTARTS=${RESTARTS:-3}
BUILD_DIR=${BUILD_DIR:-build-release}
TARGET_MIB=1024
TARGET_S=5

say() { echo "bench-scale: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }

# ------------------------------------------------------------------ tools
if [ "$(id -u)" = 0 ]; then
  sh scripts/install-deps.sh iproute2 curl >&2
fi
for tool in ss curl python3; do
  command -v "$tool" >/dev/null 2>&1 || { say "missing: $tool (run as root to have it installed)"; exit 2; }
done
[ "$SESSIONS" -ge 1 ] 2>/dev/null || { say "SESSIONS must be a positive integer"; exit 2; }

# ------------------------------------------------------------------ build
. scripts/bench-lib.sh
release_build server/keyfoldd tests/bench/scale_load
KEYFOLDD=$BUILD_DIR/server/keyfoldd
LOAD=$BUILD_DIR/tests/bench/scale_load

bench_workdir keyfold-scale

# ------------------------------------------------------------------ helpers
# "VmRSS VmHWM" of pid $1, in bytes.
rss_of() {
  awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { printf "%d %d\n", r * 1024, h * 1024 }' "/proc/$1/status"
}

metric_sessions() {
  curl -sf "http://127.0.0.1:$PORT/metrics" | awk '$1 == "keyfold_sessions" { print $2 }'
}

# Stops the server with SIGTERM; it must exit 0. Sets STOP_S.
stop_server() {
  local rc=0 t0=$EPOCHREALTIME
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || rc=$?
  STOP_S=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  SERVER_PID=""
  if [ "$rc" != 0 ]; then
    tail -20 "$WORK/server.log" >&2
    die "keyfoldd exited with status $rc"
  fi
}

# The sampled session indices: the first, the last and SAMPLE-2 spread between.
sample_indices() {
  awk -v n="$SESSIONS" -v k="$SAMPLE" 'BEGIN {
    if (k < 1) exit
    print 0
    for (j = 1; j < k - 1; j++) { i = int(j * n / (k - 1)) + j % 7; if (i > 0 && i < n - 1) print i }
    if (n > 1 && k > 1) print n - 1
  }' | sort -nu
}

# sample draw: each sampled session draws dropout n=3, params n=1 and
# "other" n=2 (served by default), and must then have exactly those counts
# on its seeded keys; prints every sampled session's GET, one per line.
# sample get: only prints them. One keep-alive connection for all of it.
sample() {
  # shellcheck disable=SC2046
  python3 - "$1" "$PORT" $(sample_indices) <<'EOF'
import http.client, json, sys
what, port, indices = sys.argv[1], int(sys.argv[2]), [int(i) for i in sys.argv[3:]]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
def call(method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status // 100 != 2:
        sys.exit("%s %s: HTTP %d %s" % (method, path, r.status, data[:200]))
    return data
for i in indices:
    if what == "draw":
        for stream, n in (("dropout", 3), ("params", 1), ("other", 2)):
            call("POST", "/v1/sessions/s%d/keys" % i, {"stream": stream, "n": n})
    got = call("GET", "/v1/sessions/s%d" % i)
    if what == "draw":
        s = json.loads(got)
        r = s["rngs"]
        want = {"dropout": {"key": [0, i + 7], "count": 3}, "params": {"key": [0, i], "count": 1},
                "default": {"key": [0, i], "count": 2}}
        if s["name"] != "s%d" % i or s["model"] is not None or r != want:
            sys.exit("s%d after the draws: %s" % (i, got.decode()))
    print(got.decode())
EOF
}

json_line() { python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1])))' "$1"; }

# ------------------------------------------------------------------ runs
say "$SESSIONS sessions; modes: $MODES; $CONNECTIONS connections"
for mode in $MODES; do
  suffix=""
  [ "$mode" = strict ] || suffix="_$mode"
  data=$WORK/data-$mode
  : >"$WORK/server.log"

  # --- start and create
  "$KEYFOLDD" --listen 127.0.0.1:0 --threads "$THREADS" --log-level warn --durability "$mode" \
    --data-dir "$data" --max-sessions "$SESSIONS" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  PORT=$(wait_port "$SERVER_PID") || { cat "$WORK/server.log" >&2; die "keyfoldd ($mode) did not start"; }
  "$LOAD" ready --port "$PORT" --timeout 30 --pid "$SERVER_PID" || die "keyfoldd ($mode) never became ready"
  read -r empty_rss _ < <(rss_of "$SERVER_PID")
  say "$mode: creating $SESSIONS sessions on port $PORT"
  out=$("$LOAD" create --port "$PORT" --sessions "$SESSIONS" --connections "$CONNECTIONS") ||
    die "creation failed ($mode): $out"
  say "$mode: $out"
  create_s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
  create_rate=$(sed -n 's/.*per_s=\([0-9.]*\).*/\1/p' <<<"$out")

  # --- the idle daemon's memory, before anything else touches it
  sleep 1
  read -r rss hwm < <(rss_of "$SERVER_PID")
  n=$(metric_sessions)
  [ "$n" = "$SESSIONS" ] || die "$mode: /metrics counts $n sessions, expected $SESSIONS"
  listed=$(python3 - "$PORT" <<'PY'
import json, sys, urllib.parse, urllib.request
n, token = 0, None
while True:  # every page of the listing
    q = {"limit": "10000"}
    if token:
        q["page_token"] = token
    with urllib.request.urlopen("http://127.0.0.1:%s/v1/sessions?%s" % (sys.argv[1], urllib.parse.urlencode(q))) as r:
        page = json.load(r)
    n += len(page["sessions"])
    token = page.get("next_page_token")
    if not token:
        break
print(n)
PY
)
  [ "$listed" = "$SESSIONS" ] || die "$mode: GET /v1/sessions lists $listed sessions, expected $SESSIONS"

  rss_line() { # name rss hwm
    json_line "$(awk -v name="$1" -v mode="$mode" -v n="$SESSIONS" -v r="$2" -v h="$3" -v e="$empty_rss" -v t="$TARGET_MIB" 'BEGIN {
      printf "{\"name\": \"%s\", \"durability\": \"%s\", \"sessions\": %d, \"rss_bytes\": %d, \"rss_mib\": %.1f, \"hwm_mib\": %.1f, \"empty_rss_mib\": %.1f, \"bytes_per_session\": %.0f, \"target_mib\": %d, \"met\": %s}",
        name, mode, n, r, r / 1048576, h / 1048576, e / 1048576, (r - e) / n, t, (r < t * 1048576) ? "true" : "false" }')"
  }
  json_line "{\"name\": \"scale_create$suffix\", \"durability\": \"$mode\", \"sessions\": $SESSIONS, \"seconds\": $create_s, \"items_per_s\": $create_rate, \"unit\": \"sessions/s\", \"connections\": $CONNECTIONS}"
  rss_line "scale_idle_sessions_rss$suffix" "$rss" "$hwm"

  # --- draw from a sample, remember what each sampled session looks like
  sample draw >"$WORK/before" || die "$mode: drawing from the sampled sessions failed"
  stop_server
  say "$mode: stopped in ${STOP_S}s"
  [ "$mode" = memory ] && continue

  # --- restart on the same store and port, RESTARTS times
  db_bytes=$(stat -c %s "$data/keyfold.db")
  : >"$WORK/restarts"
  for ((r = 1; r <= RESTARTS; r++)); do
    : >"$WORK/server.log"
    t0=$EPOCHREALTIME
    "$KEYFOLDD" --listen "127.0.0.1:$PORT" --threads "$THREADS" --log-level info --durability "$mode" \
      --data-dir "$data" --max-sessions "$SESSIONS" 2>>"$WORK/server.log" &
    SERVER_PID=$!
    "$LOAD" ready --port "$PORT" --timeout 300 --interval-ms 10 --pid "$SERVER_PID" ||
      { tail -5 "$WORK/server.log" >&2; die "$mode: the restarted keyfoldd never became ready"; }
    t1=$EPOCHREALTIME
    # CPU seconds the daemon has used so far (user + system): unlike the wall
    # time, barely moved by other processes competing for the cores.
    cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat")
    ready_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    recovery_s=$(sed -n 's/.*recovered [0-9]* sessions from .* in \([0-9.]*\)s.*/\1/p' "$WORK/server.log" | tail -1)
    sleep 1
    read -r rss2 hwm2 < <(rss_of "$SERVER_PID")
    n=$(metric_sessions)
    [ "$n" = "$SESSIONS" ] || die "$mode: after the restart /metrics counts $n sessions, expected $SESSIONS"
    sample get >"$WORK/after" || die "$mode: reading the sampled sessions failed after the restart"
    cmp -s "$WORK/before" "$WORK/after" || { diff "$WORK/before" "$WORK/after" | head >&2; die "$mode: sampled sessions differ after the restart"; }
    stop_server
    say "$mode: restart $r/$RESTARTS ready in ${ready_s}s (recovery ${recovery_s:-?}s, ${cpu_s} CPU-s), RSS $((rss2 / 1048576)) MiB; $(sample_indices | wc -l) sampled sessions identical; stopped in ${STOP_S}s"
    echo "$ready_s ${recovery_s:-0} $cpu_s $STOP_S $rss2 $hwm2" >>"$WORK/restarts"
  done
  median_col() { cut -d' ' -f"$1" "$WORK/restarts" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  runs=$(awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }' "$WORK/restarts")
  json_line "$(awk -v mode="$mode" -v n="$SESSIONS" -v s="$(median_col 1)" -v rec="$(median_col 2)" -v cpu="$(median_col 3)" \
    -v st="$(median_col 4)" -v db="$db_bytes" -v t="$TARGET_S" -v runs="$runs" 'BEGIN {
    printf "{\"name\": \"scale_restart_ready\", \"durability\": \"%s\", \"sessions\": %d, \"seconds\": %s, \"runs\": [%s], \"recovery_s\": %s, \"cpu_s\": %s, \"stop_s\": %s, \"db_mib\": %.1f, \"target_s\": %d, \"met\": %s}",
      mode, n, s, runs, rec, cpu, st, db / 1048576, t, (s < t) ? "true" : "false" }')"
  rss_line "scale_restarted_rss" "$(median_col 5)" "$(median_col 6)"
done
