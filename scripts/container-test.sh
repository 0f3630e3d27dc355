#!/bin/sh
# Builds the project's Dockerfile into an OCI image and exercises it for real,
# without a Docker engine (docs/deployment.md, /work/shared/notes/containers.md):
#
#   1. installs buildah, podman and debootstrap if missing (as root, Debian 12);
#   2. makes local stand-ins for debian:bookworm and debian:bookworm-slim once
#      per machine (debootstrap --variant=minbase; one rootfs imported under
#      both names) since no registry can be pulled from;
#   3. builds keyfold:test with buildah (chroot isolation, never pulling,
#      cached layers, docker format so that HEALTHCHECK is kept);
#   4. checks the image's configuration (user, volume, port, env, healthcheck),
#      runs `keyfoldd --version` in it, then starts the daemon in it in the
#      background on host networking, bound to 127.0.0.1 on a free port, waits
#      for /v2/health/ready, runs the image's own HEALTHCHECK command, creates
#      the design documents' Linear(2,3) + Dropout(0.5) session, runs a forward
#      pass (200, y of shape [1, 3]), checks that the daemon runs as uid 10001
#      and that its store on /var/lib/keyfold belongs to that user, stops it
#      with SIGTERM (exit 0 expected), restarts it and finds the session again,
#      and removes the working container.
#
# Exits non-zero on any failure; the last line is PASS or FAIL with timings.
# Usage: sudo sh scripts/container-test.sh     (KEEP_IMAGE=0 removes keyfold:test)
set -eu
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-keyfold:test}
BASE_ROOTFS=${BASE_ROOTFS:-/var/tmp/keyfold-bookworm-minbase}
KEEP_IMAGE=${KEEP_IMAGE:-1}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

t_start=$(date +%s)
say() { printf 'container-test: %s\n' "$*"; }
fail() {
  printf 'container-test: FAIL: %s\n' "$*" >&2
  if [ -n "${LOG:-}" ] && [ -s "$LOG" ]; then
    printf -- '--- daemon log ---\n' >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

[ "$(id -u)" = 0 ] || fail "run as root (buildah in chroot isolation needs it)"

# ---------------------------------------------------------------- 1. tools
sh scripts/install-deps.sh buildah podman debootstrap

# ---------------------------------------------------------- 2. base images
# One minbase rootfs stands in for both debian:bookworm (the build stage
# apt-installs its toolchain) and debian:bookworm-slim. A lock keeps two
# concurrent runs from bootstrapping at once.
exec 9>/var/tmp/keyfold-container-test.lock
if command -v flock >/dev/null; then flock 9; fi
t0=$(date +%s)
need_base=0
for ref in docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim; do
  podman image exists "$ref" || need_base=1
done
if [ "$need_base" = 1 ]; then
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  if [ ! -x "$BASE_ROOTFS/usr/bin/apt-get" ]; then
    say "debootstrap --variant=minbase bookworm from $mirror (once per machine)"
    rm -rf "$BASE_ROOTFS.tmp"
    debootstrap --variant=minbase bookworm "$BASE_ROOTFS.tmp" "$mirror" >/var/tmp/keyfold-debootstrap.log 2>&1 \
      || fail "debootstrap failed, see /var/tmp/keyfold-debootstrap.log"
    rm -rf "$BASE_ROOTFS"
    mv "$BASE_ROOTFS.tmp" "$BASE_ROOTFS"
  fi
  # what the official images also do: no recommends, no apt caches
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$BASE_ROOTFS/etc/apt/apt.conf.d/90keyfold-norecommends"
  rm -rf "$BASE_ROOTFS"/var/cache/apt/archives/*.deb "$BASE_ROOTFS"/var/lib/apt/lists/*
  tar -C "$BASE_ROOTFS" -c . | podman import -q - docker.io/library/debian:bookworm >/dev/null
  podman tag docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
  say "imported debian:bookworm and debian:bookworm-slim"
fi
t_base=$(( $(date +%s) - t0 ))
flock -u 9 2>/dev/null || true

# ----------------------------------------------------------------- 3. build
t0=$(date +%s)
say "buildah bud -t $IMAGE"
BUILD_LOG=$(mktemp /tmp/keyfold-container-build.XXXXXX)
if ! buildah bud --isolation=chroot --pull=never --layers --format=docker \
       -t "$IMAGE" -f Dockerfile . >"$BUILD_LOG" 2>&1; then
  tail -n 40 "$BUILD_LOG" >&2
  fail "image build failed (full log: $BUILD_LOG)"
fi
rm -f "$BUILD_LOG"
t_build=$(( $(date +%s) - t0 ))

# ------------------------------------------------------ 4. image config
t0=$(date +%s)
CONFIG=$(mktemp /tmp/keyfold-container-config.XXXXXX)
buildah inspect --type image "$IMAGE" >"$CONFIG"
HEALTHCMD=$("$PY" - "$CONFIG" <<'EOF'
import json, sys
cfg = json.load(open(sys.argv[1]))["Docker"]["config"]
errors = []
def want(cond, what):
    if not cond:
        errors.append(what)
want(cfg.get("User") in ("10001:10001", "10001", "keyfold"), "User is %r" % cfg.get("User"))
want("/var/lib/keyfold" in (cfg.get("Volumes") or {}), "no VOLUME /var/lib/keyfold")
want("8470/tcp" in (cfg.get("ExposedPorts") or {}), "8470/tcp not exposed")
env = dict(e.split("=", 1) for e in cfg.get("Env") or [])
want(env.get("KEYFOLD_LISTEN") == "0.0.0.0:8470", "KEYFOLD_LISTEN is %r" % env.get("KEYFOLD_LISTEN"))
want(env.get("KEYFOLD_DATA_DIR") == "/var/lib/keyfold", "KEYFOLD_DATA_DIR is %r" % env.get("KEYFOLD_DATA_DIR"))
want(cfg.get("Entrypoint") == ["keyfoldd"], "Entrypoint is %r" % cfg.get("Entrypoint"))
hc = (cfg.get("Healthcheck") or {}).get("Test") or []
want(len(hc) == 2 and hc[0] == "CMD-SHELL", "Healthcheck is %r" % hc)
if errors:
    sys.stderr.write("image config: " + "; ".join(errors) + "\n")
    sys.exit(1)
print(hc[1])
EOF
) || fail "image configuration is not as docs/deployment.md says"
rm -f "$CONFIG"
size=$(podman image inspect --format '{{.Size}}' "$IMAGE" 2>/dev/null || echo "?")

# ------------------------------------------------------- 5. run the image
CTR=""
BGPID=""
LOG=$(mktemp /tmp/keyfold-container-daemon.XXXXXX)
cleanup() {
  if [ -n "$BGPID" ] && kill -0 "$BGPID" 2>/dev/null; then
    kd=$(daemon_pid || true)
    if [ -n "$kd" ]; then kill -TERM "$kd" 2>/dev/null || true; fi
    sleep 1
    kill -TERM "$BGPID" 2>/dev/null || true
    wait "$BGPID" 2>/dev/null || true
  fi
  if [ -n "$CTR" ]; then buildah rm "$CTR" >/dev/null 2>&1 || true; fi
  rm -f "$LOG"
  if [ "$KEEP_IMAGE" = 0 ]; then buildah rmi "$IMAGE" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The keyfoldd process below the background `buildah run` (its descendant).
daemon_pid() {
  "$PY" - "$BGPID" <<'EOF'
import os, sys
root = int(sys.argv[1])
parent = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            with open("/proc/%s/stat" % p) as f:
                s = f.read()
            parent[int(p)] = int(s[s.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            pass
def under(pid):
    seen = 0
    while pid in parent and seen < 64:
        if pid == root:
            return True
        pid, seen = parent[pid], seen + 1
    return False
for pid in sorted(parent):
    try:
        comm = open("/proc/%d/comm" % pid).read().strip()
    except OSError:
        continue
    if comm == "keyfoldd" and pid != root and under(pid):
        print(pid)
        break
EOF
}

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
RUN="buildah run --isolation=chroot --network=host"

CTR=$(buildah from --pull=never "$IMAGE")
version=$($RUN "$CTR" -- keyfoldd --version) || fail "keyfoldd --version failed in the image"
say "in the image: $version"

start_daemon() {
  : >"$LOG"
  $RUN --env "KEYFOLD_LISTEN=127.0.0.1:$PORT" "$CTR" -- keyfoldd >"$LOG" 2>&1 &
  BGPID=$!
  i=0
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v2/health/ready" 2>/dev/null)" = 200 ]; do
    i=$((i + 1))
    kill -0 "$BGPID" 2>/dev/null || fail "the daemon in the container exited during start-up"
    [ "$i" -lt 300 ] || fail "no 200 from /v2/health/ready on $BASE within 30 s"
    sleep 0.1
  done
}

stop_daemon() {
  kd=$(daemon_pid)
  [ -n "$kd" ] || fail "cannot find the keyfoldd process of the container"
  kill -TERM "$kd"
  rc=0
  wait "$BGPID" || rc=$?
  BGPID=""
  [ "$rc" = 0 ] || fail "keyfoldd in the container exited with $rc after SIGTERM"
}

# POST/GET helper: prints the body, fails unless the status is $1.
call() {
  want=$1; method=$2; path=$3; body=${4:-}
  out=$(mktemp /tmp/keyfold-container-body.XXXXXX)
  if [ -n "$body" ]; then
    code=$(curl -s -o "$out" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
           --data "$body" "$BASE$path") || code=000
  else
    code=$(curl -s -o "$out" -w '%{http_code}' -X "$method" "$BASE$path") || code=000
  fi
  resp=$(cat "$out"); rm -f "$out"
  [ "$code" = "$want" ] || fail "$method $path: HTTP $code, expected $want: $resp"
  printf '%s' "$resp"
}

start_daemon
say "daemon in the container is ready on $BASE"

# the image's own HEALTHCHECK, run as the runtime would (CMD-SHELL)
$RUN --env "KEYFOLD_LISTEN=127.0.0.1:$PORT" "$CTR" -- /bin/sh -c "$HEALTHCMD" \
  || fail "the image's HEALTHCHECK command failed against a ready daemon"

MODEL='{"layers": [{"type": "linear", "in_features": 2, "out_features": 3}, {"type": "dropout", "rate": 0.5}]}'
call 201 POST /v1/sessions "{\"name\": \"ctr-demo\", \"rngs\": {\"default\": 0}, \"model\": $MODEL}" >/dev/null
fwd=$(call 200 POST /v1/sessions/ctr-demo/forward '{"x": [[1.0, 1.0]]}')
printf '%s' "$fwd" | "$PY" -c '
import json, sys
y = json.load(sys.stdin)["y"]
assert y["shape"] == [1, 3] and y["dtype"] == "float32" and len(y["data"]) == 3, y
' || fail "forward: unexpected y: $fwd"
say "Linear(2,3)+Dropout(0.5) forward: $fwd"

kd=$(daemon_pid)
[ -n "$kd" ] || fail "cannot find the keyfoldd process of the container"
uids=$(awk '/^Uid:/{print $2, $3, $4, $5}' "/proc/$kd/status")
gids=$(awk '/^Gid:/{print $2, $3, $4, $5}' "/proc/$kd/status")
[ "$uids" = "10001 10001 10001 10001" ] || fail "keyfoldd runs with uids '$uids', expected 10001"
[ "$gids" = "10001 10001 10001 10001" ] || fail "keyfoldd runs with gids '$gids', expected 10001"
owner=$($RUN "$CTR" -- stat -c '%u:%g' /var/lib/keyfold /var/lib/keyfold/keyfold.db | sort -u)
[ "$owner" = "10001:10001" ] || fail "/var/lib/keyfold and keyfold.db are owned by '$owner', expected 10001:10001"
say "keyfoldd (pid $kd) runs as uid/gid 10001; its store is owned by 10001:10001"

stop_daemon
grep -q 'SIGTERM' "$LOG" || fail "the daemon did not log its SIGTERM shutdown"
say "SIGTERM: clean exit 0"

# the store is on the container's volume: a second run recovers the session
start_daemon
s=$(call 200 GET /v1/sessions/ctr-demo)
printf '%s' "$s" | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
assert s["rngs"]["default"]["count"] == 3, s["rngs"]
' || fail "after a restart the session is not as it was: $s"
stop_daemon
say "restart: session recovered from /var/lib/keyfold with its counts"

buildah rm "$CTR" >/dev/null || fail "buildah rm failed"
CTR=""
t_run=$(( $(date +%s) - t0 ))
t_total=$(( $(date +%s) - t_start ))
echo "container-test: PASS: image $IMAGE (${size} bytes) base ${t_base}s build ${t_build}s run ${t_run}s total ${t_total}s"
