#!/bin/sh
# Creates the two virtual environments that run real JAX and Flax as keyfold's
# oracle (scripts/gen-vectors.py). Test tooling only: neither the product nor
# `sh scripts/test.sh` / `meson test` needs them.
#
#   sh scripts/oracle-venvs.sh            # both, under $KF_ORACLE_VENVS (default /work/venvs)
#   sh scripts/oracle-venvs.sh flax-0.10  # one era
#
# Eras (pinned, pip freeze of a working install, in scripts/oracle/<era>.txt):
#   flax-0.12  the newest jax/jaxlib that installs with flax 0.12.x (jax 0.10.2, flax 0.12.8)
#   flax-0.10  flax 0.10.x with a jax >= 0.5 it supports (jax 0.6.2, flax 0.10.7)
# The venvs are <dir>/kf-oracle-<era>. Idempotent: an existing venv whose
# installed packages already equal the pins is left alone; otherwise the pins
# are (re)installed into it. Needs python3 >= 3.11 with venv and network access
# to PyPI; PYTHON picks another interpreter.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
dir=${KF_ORACLE_VENVS:-/work/venvs}
python=${PYTHON:-python3}
eras=${*:-flax-0.12 flax-0.10}

mkdir -p "$dir"
for era in $eras; do
  req="$here/oracle/$era.txt"
  [ -f "$req" ] || { echo "oracle-venvs: unknown era '$era' (no $req)" >&2; exit 2; }
  venv="$dir/kf-oracle-$era"
  if [ ! -x "$venv/bin/python" ]; then
    echo "oracle-venvs: creating $venv"
    "$python" -m venv "$venv"
  fi
  want=$(grep -v '^#' "$req" | grep . | tr 'A-Z_' 'a-z-' | sort)
  have=$("$venv/bin/python" -m pip freeze 2>/dev/null | tr 'A-Z_' 'a-z-' | sort)
  if [ "$want" = "$have" ]; then
    echo "oracle-venvs: $venv is up to date"
  else
    echo "oracle-venvs: installing $req into $venv"
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
  fi
  "$venv/bin/python" -c 'import jax, jaxlib, flax; print("oracle-venvs: %s: jax %s, jaxlib %s, flax %s" % ("'"$era"'", jax.__version__, jaxlib.__version__, flax.__version__))'
done
