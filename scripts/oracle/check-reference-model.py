"""Checks the "reference-model" cases of tests/vectors/jax-random.json against
real jaxlib (test tooling only; run under an oracle venv):

    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/oracle/check-reference-model.py

Prints one line per case: identical, or how many elements differ and by how
many float32 steps (integers: how many differ). Exit status 0 always: this
reports, the committed tolerances decide.
"""
import json
import os
import sys

import numpy as np
import jax
import jax.numpy as jnp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_key(v):
    if isinstance(v, list):
        return jax.random.wrap_key_data(np.array(v, np.uint32))
    k = jax.random.key(v["seed"])
    for step in v.get("derive", []):
        if step[0] == "fold_in":
            k = jax.random.fold_in(k, step[1])
        else:
            k = jax.random.split(k, step[1])[step[2]]
    return k


def run(c):
    a = c["args"]
    op = c["op"]
    k = make_key(a["key"])
    shape = tuple(a.get("shape", ()))
    if op == "split":
        num = a["num"]
        return np.asarray(jax.random.key_data(jax.random.split(k, tuple(num) if isinstance(num, list) else num)))
    if op == "bits":
        dt = {8: jnp.uint8, 16: jnp.uint16, 32: jnp.uint32, 64: jnp.uint64}[a.get("bit_width", 32)]
        return np.asarray(jax.random.bits(k, shape, dt))
    if op == "uniform":
        return np.asarray(jax.random.uniform(k, shape, jnp.float32, a.get("minval", 0.0), a.get("maxval", 1.0)))
    if op == "normal":
        return np.asarray(jax.random.normal(k, shape, jnp.float32))
    if op == "truncated_normal":
        return np.asarray(jax.random.truncated_normal(k, a["lower"], a["upper"], shape, jnp.float32))
    if op == "bernoulli":
        return np.asarray(jax.random.bernoulli(k, np.float32(a["p"]), shape))
    if op == "randint":
        dt = a.get("dtype") or ("int64" if c.get("x64") else "int32")
        return np.asarray(jax.random.randint(k, shape, a["minval"], a["maxval"], dt))
    if op == "lecun_normal":
        return np.asarray(jax.nn.initializers.lecun_normal()(k, shape, jnp.float32))
    raise ValueError(op)


def ordered(x):
    b = x.view(np.uint32).astype(np.int64)
    return np.where(b & 0x80000000, 0x80000000 - (b & 0x7FFFFFFF), 0x80000000 + b)


def main():
    import jaxlib
    doc = json.load(open(os.path.join(ROOT, "tests", "vectors", "jax-random.json")))
    print("jax %s, jaxlib %s" % (jax.__version__, jaxlib.__version__))
    bad = 0
    for c in doc["cases"]:
        if not c["origin"].startswith("reference-model"):
            continue
        jax.config.update("jax_threefry_partitionable", c["mode"] != "legacy")
        jax.config.update("jax_enable_x64", bool(c.get("x64")))
        try:
            got = run(c)
        finally:
            jax.config.update("jax_enable_x64", False)
            jax.config.update("jax_threefry_partitionable", True)
        exp = np.array(c["expect"], dtype=object)
        if got.dtype == np.float32:
            want = np.array([float(v) for v in exp.reshape(-1)], np.float64).astype(np.float32)
            d = np.abs(ordered(want) - ordered(got.reshape(-1)))
            line = "identical" if not d.any() else "%d of %d differ, max %d ulps (tolerance %s)" % (
                int((d > 0).sum()), d.size, int(d.max()), json.dumps(c["tolerance"]))
        else:
            want = np.array([int(v) for v in exp.reshape(-1)], dtype=object)
            g = np.array([int(v) for v in got.reshape(-1)], dtype=object)
            nd = int(sum(1 for x, y in zip(want, g) if x != y)) + abs(len(want) - len(g))
            line = "identical" if nd == 0 else "%d of %d differ" % (nd, len(want))
        bad += line != "identical"
        print("%-60s %s" % (c["id"], line))
    print("%d reference-model cases differ from jaxlib" % bad)


if __name__ == "__main__":
    sys.exit(main())
