#!/bin/sh
# Redocly's lint of proto/openapi.yaml with proto/redocly.yaml (meson test
# openapi_lint): fails on any error. Uses the @redocly/cli pinned by this
# package's lock file (scripts/install-npm.sh installs it).
set -eu
tool=redocly . "$(dirname "$0")/need-node.sh"
root=$(cd "$here/../../.." && pwd)
# No usage telemetry and no update check: the tests talk to nothing outside.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
cd "$root"
exec "$here/node_modules/.bin/redocly" lint --config proto/redocly.yaml proto/openapi.yaml
