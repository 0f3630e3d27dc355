#!/usr/bin/env bash
# Whole-model forward benchmark (docs/benchmarks.md, "Models"): the MNIST
# tutorial's CNN and a pre-norm transformer encoder (tests/bench/models/),
# eval mode, in one run:
#   inprocess  kf_model_forward on one thread (tests/bench/bench_models),
#   http       POST /v1/sessions/{name}/forward with .npy bodies
#              (Content-Type and Accept application/x-npy), CONNECTIONS
#              keep-alive clients (wrk, tests/bench/forward.lua),
#   flax       Flax itself, jit-compiled, one XLA thread
#              (scripts/bench-flax-models.py in FLAX_PYTHON's venv; skipped
#              when that Python is missing),
#   conv       the CNN's convolutions against im2col + OpenBLAS sgemm
#              (tests/bench/bench_conv, when built with OpenBLAS),
# for batches of 1 and 32 samples. Prints one JSON object per figure and a
# table of keyfold against Flax. Never a test (the figures are noisy).
#
#   bash scripts/bench-models.sh        # as root on Debian 12 (installs wrk)
#
# Environment (defaults in brackets):
#   SECONDS_PER  seconds per in-process and Flax figure [1]
#   DURATION     seconds of each wrk run, an integer [5]
#   CONNECTIONS  concurrent keep-alive connections [8]
#   FLAX_PYTHON  a Python with jax and flax [/work/venvs/kf-oracle-flax-0.12/bin/python]
#   BUILD_DIR    release build directory [build-release]
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER=${SECONDS_PER:-1}
DURATION=${DURATION:-5}
CONNECTIONS=${CONNECTIONS:-8}
FLAX_PYTHON=${FLAX_PYTHON:-/work/venvs/kf-oracle-flax-0.12/bin/python}
BUILD_DIR=${BUILD_DIR:-build-release}
say() { echo "bench-models: $*" >&2; }

if [ "$(id -u)" = 0 ]; then sh scripts/install-deps.sh wrk libopenblas-dev; fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then meson setup "$BUILD_DIR" -Dbuildtype=release >&2; fi
ninja -C "$BUILD_DIR" >&2

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
OUT="$WORK/figures.jsonl"

# model name, input shape of one sample, input dtype
MODELS="mnist_cnn:28x28x1:float32 encoder:32:int32"

# ------------------------------------------------------------------ in process
for m in $MODELS; do
  IFS=: read -r name shape _ <<<"$m"
  "$BUILD_DIR/tests/bench/bench_models" "tests/bench/models/$name.json" "$shape" "$SECONDS_PER" | tee -a "$OUT"
done

# ------------------------------------------------------------------ HTTP
if command -v wrk >/dev/null 2>&1; then
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$BUILD_DIR/server/keyfoldd" --listen "127.0.0.1:$PORT" --durability memory --log-level warn \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null && break; sleep 0.05; done
  for m in $MODELS; do
    IFS=: read -r name shape dtype <<<"$m"
    python3 - "tests/bench/models/$name.json" "$name" >"$WORK/create-$name.json" <<'PY'
import json, sys
body = json.load(open(sys.argv[1]))
body["name"] = sys.argv[2] + "0"
print(json.dumps(body))
PY
    code=$(curl -s -o "$WORK/created.json" -w '%{http_code}' -H 'Content-Type: application/json' \
      --data-binary "@$WORK/create-$name.json" "http://127.0.0.1:$PORT/v1/sessions")
    [ "$code" = 201 ] || { say "creating $name answered $code: $(head -c 300 "$WORK/created.json")"; exit 1; }
    for b in 1 32; do
      python3 - "$b" "$shape" "$dtype" "$WORK/x-$name-$b.npy" <<'PY'
import struct, sys
b, shape, dtype, path = int(sys.argv[1]), [int(d) for d in sys.argv[2].split("x")], sys.argv[3], sys.argv[4]
dims = [b] + shape
n = 1
for d in dims:
    n *= d
s, vals = 12345, []
for _ in range(n):
    s = (s * 16807) % 2147483647
    vals.append(s % 1000 if dtype == "int32" else 2 * s / 2147483647 - 1)
descr = "<i4" if dtype == "int32" else "<f4"
header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, ", ".join(map(str, dims)) + ("," if len(dims) == 1 else ""))
header += " " * (63 - (10 + len(header)) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
    f.write(struct.pack("<%d%s" % (n, "i" if dtype == "int32" else "f"), *vals))
PY
      code=$(curl -s -o "$WORK/reply.npy" -w '%{http_code}' -H 'Content-Type: application/x-npy' \
        -H 'Accept: application/x-npy' --data-binary "@$WORK/x-$name-$b.npy" \
        "http://127.0.0.1:$PORT/v1/sessions/${name}0/forward?deterministic=true")
      [ "$code" = 200 ] || { say "forward of $name, batch $b answered $code: $(head -c 300 "$WORK/reply.npy")"; exit 1; }
      wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s tests/bench/forward.lua "http://127.0.0.1:$PORT" -- \
        1 "$name" "$WORK/x-$name-$b.npy" application/x-npy application/x-npy "?deterministic=true" \
        >"$WORK/wrk.txt" 2>&1 || { cat "$WORK/wrk.txt" >&2; exit 1; }
      if grep -q "Non-2xx" "$WORK/wrk.txt"; then cat "$WORK/wrk.txt" >&2; exit 1; fi
      rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.txt")
      python3 -c "import json,sys; print(json.dumps({'name': 'http_$name', 'batch': $b, 'samples_per_s': round(float(sys.argv[1]) * $b, 1), 'requests_per_s': float(sys.argv[1]), 'connections': $CONNECTIONS}))" "$rps" | tee -a "$OUT"
    done
  done
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
else
  say "wrk is missing: no HTTP figures (run as root to have it installed)"
fi

# ------------------------------------------------------------------ Flax
if [ -x "$FLAX_PYTHON" ]; then
  "$FLAX_PYTHON" scripts/bench-flax-models.py --seconds "$SECONDS_PER" --no-write --json | tee -a "$OUT"
else
  say "no Flax ($FLAX_PYTHON): no Flax figures (scripts/oracle-venvs.sh makes the venvs)"
fi

# ------------------------------------------------------------------ conv anchor
if [ -x "$BUILD_DIR/tests/bench/bench_conv" ]; then
  "$BUILD_DIR/tests/bench/bench_conv" --seconds "$SECONDS_PER" | tee -a "$OUT"
fi

# ------------------------------------------------------------------ summary
python3 - "$OUT" <<'PY' >&2
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
fig = {(r["name"], r.get("batch")): r.get("samples_per_s") for r in rows if "samples_per_s" in r}
print("\nsamples/s          batch  in-process       HTTP       Flax  in-process/Flax")
for m in ("mnist_cnn", "encoder"):
    for b in (1, 32):
        ip, http, fx = fig.get(("inprocess_" + m, b)), fig.get(("http_" + m, b)), fig.get(("flax_" + m, b))
        ratio = "%.2fx" % (ip / fx) if ip and fx else "-"
        f = lambda v: "%10.0f" % v if v else "%10s" % "-"
        print("%-18s %5d %s %s %s  %s" % (m, b, f(ip), f(http), f(fx), ratio))
PY
