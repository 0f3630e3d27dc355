#!/bin/sh
# The Go client's tests (proto/clients/go): go vet, then go test against the keyfoldd meson
# built ($KEYFOLDD). Go's cache, module path and work files live under $KEYFOLD_GO_STATE (in
# the meson build directory), never in $HOME or $TMPDIR. The module uses the standard library
# only, so the network stays off (GOPROXY=off) and the local toolchain is used as is.
#   KEYFOLDD=build/server/keyfoldd KEYFOLD_GO_STATE=build/tests/go sh tests/run-go-tests.sh
set -eu
if ! command -v go >/dev/null 2>&1; then
  echo "client_go: SKIP: the Go toolchain is not installed (no 'go' on PATH);" \
       "sh scripts/install-deps.sh installs Debian's golang-go"
  exit 77
fi
: "${KEYFOLDD:?set KEYFOLDD to the keyfoldd binary}"
: "${KEYFOLD_GO_STATE:?set KEYFOLD_GO_STATE to a directory for Go's caches}"
src=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$KEYFOLD_GO_STATE"
state=$(cd "$KEYFOLD_GO_STATE" && pwd)
mkdir -p "$state/cache" "$state/path" "$state/tmp"
export GOCACHE="$state/cache" GOPATH="$state/path" GOMODCACHE="$state/path/pkg/mod" \
       GOTMPDIR="$state/tmp" GOENV=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=off \
       GOSUMDB=off GO111MODULE=on
KEYFOLDD=$(cd "$(dirname "$KEYFOLDD")" && pwd)/$(basename "$KEYFOLDD")
export KEYFOLDD
cd "$src/proto/clients/go"
go version
go vet ./...
exec go test -count=1 -v ./...
