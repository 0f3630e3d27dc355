#!/bin/sh
# Regenerates the oracle's known answers with real JAX and Flax and checks
# that they equal the committed ones (tests/vectors/jax-oracle-*.json):
#   1. the two oracle venvs (scripts/oracle-venvs.sh, pinned versions; under
#      $KF_ORACLE_VENVS, default a directory of this run that is removed at
#      the end) — python3's venv module is installed first when missing and
#      this runs as root;
#   2. scripts/gen-vectors.py in each era, with the measured tolerances
#      taken against build/lib/libkeyfold.so (built if absent);
#   3. every case compared with the committed file; the "generator" block
#      (machine, CPU, Python) is reported, not compared;
#   4. the layers' known answers the same way: scripts/gen-layer-vectors.py
#      (tests/vectors/flax-layers-*.json: models of every layer, built and
#      run by real Flax), gen-conv-vectors.py (conv-kernels-*.json) and
#      gen-norm-attn-vectors.py (norm-attn-kernels.json, both eras).
# Test tooling: the product and `sh scripts/test.sh` never need JAX. CI runs
# this after the test suite; it takes a few minutes (mostly pip).
#
#   sh scripts/check-vectors.sh             # both eras
#   sh scripts/check-vectors.sh flax-0.12   # one
set -eu
cd "$(dirname "$0")/.."
eras=${*:-flax-0.10 flax-0.12}

if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
  else
    echo "check-vectors: python3's venv module is missing (apt-get install python3-venv)" >&2
    exit 2
  fi
fi
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/keyfold-vectors-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
venvs=${KF_ORACLE_VENVS:-$work/venvs}
KF_ORACLE_VENVS=$venvs sh scripts/oracle-venvs.sh $eras

status=0
for era in $eras; do
  "$venvs/kf-oracle-$era/bin/python" scripts/gen-vectors.py --keyfold build/lib/libkeyfold.so \
    -o "$work/$era.json"
  python3 - "tests/vectors/jax-oracle-$era.json" "$work/$era.json" <<'PY' || status=1
import json, sys
committed, fresh = (json.load(open(p)) for p in sys.argv[1:3])
g0, g1 = committed["generator"], fresh["generator"]
print("check-vectors: %s: committed from jax %s on %s; regenerated with jax %s on %s"
      % (sys.argv[1], g0["jaxlib"], g0["cpu"], g1["jaxlib"], g1["cpu"]))
for k in ("jax", "jaxlib", "flax"):
    if g0[k] != g1[k]:
        sys.exit("check-vectors: %s differs: %s committed, %s installed" % (k, g0[k], g1[k]))
a = {c["id"]: c for c in committed["cases"]}
b = {c["id"]: c for c in fresh["cases"]}
missing, extra = sorted(set(a) - set(b)), sorted(set(b) - set(a))
changed = sorted(i for i in set(a) & set(b) if a[i] != b[i])
for what, ids in (("only committed", missing), ("only regenerated", extra), ("different", changed)):
    for i in ids[:20]:
        print("  %s: %s" % (what, i))
if committed["notes"] != fresh["notes"]:
    print("  the notes differ")
if missing or extra or changed or committed["notes"] != fresh["notes"]:
    sys.exit("check-vectors: %s is not what the script prints now: %d only committed, %d only "
             "regenerated, %d different" % (sys.argv[1], len(missing), len(extra), len(changed)))
print("check-vectors: %d cases identical" % len(a))
PY
done

# The layers' known answers: regenerated, compared case by case (the
# "generator" block aside).
compare() {
  python3 - "$1" "$2" <<'PY' || status=1
import json, sys
committed, fresh = (json.load(open(p)) for p in sys.argv[1:3])
a = {c.get("id", i): c for i, c in enumerate(committed["cases"])}
b = {c.get("id", i): c for i, c in enumerate(fresh["cases"])}
changed = sorted(str(i) for i in set(a) | set(b) if a.get(i) != b.get(i))
for i in changed[:20]:
    print("  different: %s" % i)
if changed:
    sys.exit("check-vectors: %s is not what its script prints now: %d cases differ" % (sys.argv[1], len(changed)))
print("check-vectors: %s: %d cases identical" % (sys.argv[1], len(a)))
PY
}
for era in $eras; do
  short=${era#flax-}
  "$venvs/kf-oracle-$era/bin/python" scripts/gen-layer-vectors.py -o "$work/layers-$era.json"
  compare "tests/vectors/flax-layers-$short.json" "$work/layers-$era.json"
  "$venvs/kf-oracle-$era/bin/python" scripts/gen-conv-vectors.py -o "$work/conv-$era.json"
  compare "tests/vectors/conv-kernels-$era.json" "$work/conv-$era.json"
done
if [ "$eras" = "flax-0.10 flax-0.12" ]; then
  KF_ORACLE_VENVS=$venvs "$venvs/kf-oracle-flax-0.12/bin/python" scripts/gen-norm-attn-vectors.py \
    -o "$work/norm-attn.json"
  compare tests/vectors/norm-attn-kernels.json "$work/norm-attn.json"
fi
exit $status
