#!/bin/sh
# The exhaustive runs (docs/testing.md), instead of the default suite's samples:
#   - tests/test_simd.c: every float32 through keyfold's log1p (XLA's, as jaxlib 0.10.2
#     computes it), scalar and every vector form, against the tests' independent
#     transcription (tests/xla_log1p_ref.h), every float32 through the vector log and exp
#     kernels against the scalar ones, and every float in [-1, 1] through the vector
#     erf_inv kernels against the scalar one (about seven minutes on one core);
#   - tests/test_activations.c: every float32 through each activation (relu, gelu, tanh,
#     sigmoid, silu) in every instruction set against the emulation of XLA's kernels, one
#     thread per CPU (KEYFOLD_THREADS=N to change that; about 25 minutes of CPU time).
# A release build.
#   sh scripts/test-exhaustive.sh                 # as root on Debian 12: both
#   sh scripts/test-exhaustive.sh simd            # or only one of them (CI: simd)
#   sh scripts/test-exhaustive.sh activations
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-release}
WHICH=${1:-all}
case "$WHICH" in all|simd|activations) ;; *) echo "usage: $0 [all|simd|activations]" >&2; exit 2 ;; esac
if [ "$(id -u)" = 0 ]; then sh scripts/install-deps.sh; fi
[ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR" --buildtype=release -Dwerror=false
ninja -C "$BUILD_DIR" tests/test_simd tests/test_activations
if [ "$WHICH" != activations ]; then
  KEYFOLD_EXHAUSTIVE=1 CK_DEFAULT_TIMEOUT=3600 "$BUILD_DIR/tests/test_simd"
fi
if [ "$WHICH" != simd ]; then
  KEYFOLD_EXHAUSTIVE=1 "$BUILD_DIR/tests/test_activations"
fi
