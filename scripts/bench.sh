#!/usr/bin/env bash
# Compute benchmarks of libkeyfold (see docs/benchmarks.md, "Compute
# benchmarks"): tests/bench/bench (threefry bits, samplers, the distributions,
# lecun_normal over 4096x4096, an MLP forward pass) with its anchors Random123
# threefry2x32 and OpenBLAS sgemm, then NumPy's PCG64 standard_normal
# (tests/bench/numpy_normal.py) and distributions (numpy_distributions.py), and
# jax.random when JAX is installed, all in one run, and the targets of issues 5
# and 12 against them.
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
# and the distributions' ratios to NumPy and to jax.random (issue 12).
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
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tests/bench/numpy_distributions.py \
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
# The distributions of issue 12: >= 2x NumPy for these four, ahead of jax.random on all.
for ours in ("exponential_f32", "gumbel_f32", "laplace_f32", "logistic_f32"):
    ratio = rows[ours] / rows["anchor_numpy_pcg64_" + ours]
    print(json.dumps({"name": "target_%s_vs_numpy" % ours, "ratio": round(ratio, 3), "target": 2.0,
                      "met": ratio >= 2.0}))
# The gamma family: gamma >= 2x NumPy's float32 standard_gamma (the issue's aim).
for ours in ("gamma_f32",):
    ratio = rows[ours] / rows["anchor_numpy_pcg64_" + ours]
    print(json.dumps({"name": "target_%s_vs_numpy" % ours, "ratio": round(ratio, 3), "target": 2.0,
                      "met": ratio >= 2.0}))
dists = [n for n in rows if n.startswith("anchor_numpy_pcg64_") and n != "anchor_numpy_pcg64_standard_normal_f32"]
for anchor in dists:
    ours = anchor[len("anchor_numpy_pcg64_"):]
    if ours not in ("exponential_f32", "gumbel_f32", "laplace_f32", "logistic_f32", "gamma_f32"):
        print(json.dumps({"name": "ratio_%s_vs_numpy" % ours, "ratio": round(rows[ours] / rows[anchor], 3)}))
# discrete.c: categorical against NumPy's choice(p) (aim >= 2x; threefry's ten words per sample
# bound it, docs/benchmarks.md), every sampler against jax.random below.
if "categorical_k10_i32" in rows and "anchor_numpy_pcg64_categorical_k10_i32" in rows:
    ratio = rows["categorical_k10_i32"] / rows["anchor_numpy_pcg64_categorical_k10_i32"]
    print(json.dumps({"name": "target_categorical_k10_i32_vs_numpy", "ratio": round(ratio, 3),
                      "target": 2.0, "met": ratio >= 2.0}))
# Against real jax.random (when it ran): keyfold's rate over JAX's.
for anchor in sorted(n for n in rows if n.startswith("anchor_jax_")):
    ours = anchor[len("anchor_jax_"):]
    if ours in rows:
        ratio = rows[ours] / rows[anchor]
        print(json.dumps({"name": "ratio_%s_vs_jax" % ours, "ratio": round(ratio, 3), "ahead": ratio > 1}))
PY
