#!/bin/sh
# The exhaustive run of tests/test_simd.c (docs/testing.md): every float32
# through keyfold's log1p (XLA's, as jaxlib 0.10.2 computes it), scalar and
# every vector form, against the tests' independent transcription
# (tests/xla_log1p_ref.h), every float32 through the vector log and exp
# kernels against the scalar ones, and every float in [-1, 1] through the
# vector erf_inv kernels against the scalar one, instead of the default
# suite's samples. A release build; about seven minutes on one core.
#   sh scripts/test-exhaustive.sh        # as root on Debian 12
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-release}
if [ "$(id -u)" = 0 ]; then sh scripts/install-deps.sh; fi
[ -f "$BUILD_DIR/build.ninja" ] || meson setup "$BUILD_DIR" --buildtype=release -Dwerror=false
ninja -C "$BUILD_DIR" tests/test_simd
KEYFOLD_EXHAUSTIVE=1 CK_DEFAULT_TIMEOUT=3600 "$BUILD_DIR/tests/test_simd"
