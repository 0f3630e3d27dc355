#!/usr/bin/env bash
# Compute benchmarks of libkeyfold (see docs/benchmarks.md, "Compute
# benchmarks"): tests/bench/bench (threefry bits, samplers, lecun_normal over
# 4096x4096, an MLP forward pass) with its anchors Random123 threefry2x32 and
# OpenBLAS sgemm, then NumPy's PCG64 standard_normal (tests/bench/numpy_normal.py),
# all in one run, and the targets of issue 5 against them.
#
#   bash scripts/bench.sh             # as root on Debian 12 (installs what it needs)
#   SECONDS_PER=0.2 bash scripts/bench.sh    # the short version CI runs
#
# Environment: SECONDS_PER  seconds of CPU time per benchmark [1]
#              BUILD_DIR    release build directory [build-release]
#              JAX_PYTHON   a Python with JAX for the jax.random anchors
#                           [$KF_ORACLE_VENVS/kf-oracle-flax-0.12/bin/python, made by
#                           scripts/oracle-venvs.sh; skipped with a note when absent]
# Prints one JSON object per benchmark on stdout, then one per target:
#   {"name": "target_bits_u32_vs_random123", "ratio": …, "target": 4, "met": true}
# Exits 1 if a program fails, never for a missed target.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER=${SECONDS_PER:-1}
BUILD_DIR=${BUILD_DIR:-build-release}
say() { echo "bench: $*" >&2; }

if [ "$(id -u)" = 0 ]; then
  sh scripts/install-deps.sh librandom123-dev libopenblas-dev python3-numpy
fi

. scripts/bench-lib.sh
# The bench target exists only where OpenBLAS and Random123 were found: a
# configuration made before they were installed must look again.
if [ -f "$BUILD_DIR/build.ninja" ]; then meson setup --reconfigure "$BUILD_DIR" >&2; fi
release_build tests/bench/bench

OUT=$(mktemp "${TMPDIR:-/tmp}/keyfold-bench.XXXXXX")
trap 'rm -f "$OUT"' EXIT
"$BUILD_DIR/tests/bench/bench" --seconds "$SECONDS_PER" | tee "$OUT"
# NumPy with OpenBLAS's own CPU detection: some machines here set
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for older OpenBLAS builds, which slow a
# current NumPy. Unset in this command only.
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tests/bench/numpy_normal.py \
  "$SECONDS_PER" | tee -a "$OUT"

# Real jax.random, jit-compiled, pinned to one CPU (XLA's own threads
# included): the anchor of keyfold's samplers when JAX is installed.
JAX_PYTHON=${JAX_PYTHON:-${KF_ORACLE_VENVS:-/work/venvs}/kf-oracle-flax-0.12/bin/python}
if [ -x "$JAX_PYTHON" ] && "$JAX_PYTHON" -c 'import jax' 2>/dev/null; then
  taskset -c 0 "$JAX_PYTHON" tests/bench/jax_random.py "$SECONDS_PER" | tee -a "$OUT"
else
  say "no JAX at $JAX_PYTHON (sh scripts/oracle-venvs.sh makes one): jax.random anchors skipped"
fi

/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        rows[r["name"]] = r["items_per_s"]
targets = [
    ("target_bits_u32_vs_random123", "bits_u32", "anchor_random123_threefry2x32", 4.0),
    ("target_normal_f32_vs_numpy", "normal_f32", "anchor_numpy_pcg64_standard_normal_f32", 3.0),
    ("target_forward_mlp_vs_openblas_sgemm", "forward_mlp_784_1024_1024_10_batch256",
     "anchor_openblas_sgemm_mlp_784_1024_1024_10_batch256", 0.8),
]
for name, ours, anchor, target in targets:
    ratio = rows[ours] / rows[anchor]
    print(json.dumps({"name": name, "ratio": round(ratio, 3), "target": target,
                      "met": ratio >= target}))
# Against real jax.random (when it ran): keyfold's rate over JAX's.
for ours in ("bits_u32", "uniform_f32", "normal_f32", "lecun_normal_init_4096x4096"):
    anchor = "anchor_jax_" + ours
    if anchor in rows:
        print(json.dumps({"name": "ratio_%s_vs_jax" % ours, "ratio": round(rows[ours] / rows[anchor], 3)}))
PY
