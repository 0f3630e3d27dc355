#!/bin/sh
# The TypeScript client's tests (meson test client_typescript):
#   run-tests.sh BUILD_DIR
# compiles src/ with tsc --strict into BUILD_DIR/dist (nothing is written into
# the source tree), type-checks test/api-usage.ts against it, checks that src/generated/openapi.ts is what
# openapi-typescript makes of proto/openapi.yaml, then runs every
# test/*.test.mjs with node --test against the keyfoldd named by $KEYFOLDD.
set -eu
out=${1:?usage: run-tests.sh BUILD_DIR}
tool=tsc . "$(dirname "$0")/need-node.sh"
cd "$here"
rm -rf "$out/dist"
node_modules/.bin/tsc -p tsconfig.json --outDir "$out/dist"
# test/api-usage.ts: the public API's names and signatures, type-checked only.
node_modules/.bin/tsc -p tsconfig.test.json
node scripts/gen-types.mjs --check
KEYFOLD_TS_DIST="$out/dist" exec node --test --test-reporter=spec test/*.test.mjs
