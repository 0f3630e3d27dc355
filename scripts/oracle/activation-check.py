"""keyfold's activations against real jaxlib on CPU, bit for bit (test tooling only).

Run under an oracle venv (scripts/oracle-venvs.sh) after building the library:

    V=/work/venvs/kf-oracle-flax-0.12/bin/python
    $V scripts/oracle/activation-check.py --keyfold build/lib/libkeyfold.so          # sample
    $V scripts/oracle/activation-check.py --keyfold build/lib/libkeyfold.so --all    # 2^32 each
    $V scripts/oracle/activation-check.py --keyfold build/lib/libkeyfold.so --fusion

Each function Flax calls (jax.nn.relu, jax.nn.gelu with approximate=True, jnp.tanh,
jax.nn.sigmoid, jax.nn.silu) runs under jax.jit on float32 arrays and is compared with a
libkeyfold model of that one activation layer (kf_model_forward, i.e. the kernels the library
picks on this CPU). Inputs:

  sample  (default) the special values, 4097 floats around each threshold of XLA's kernels,
          every 4099th bit pattern and 2^24 random bit patterns
  all     (--all) all 2^32 bit patterns, in chunks of 2^24 (a few minutes per function)

Prints one JSON object per function: inputs, the fraction bit-identical, how many differ only
in a NaN's payload or sign, the largest distance in float32 steps between non-NaN results (+0
and -0 one step apart), and the first few differences.

--fusion instead checks that XLA's fusion does not change the bits Flax gets: each function
applied to a jitted Linear's output alone, fused with the Linear inside one jax.jit, and
called eagerly (op by op); and nnx.Sequential(Linear, f, Linear, f) under nnx.jit against
its layers called one by one. jax.nn.gelu is the one that differs when called eagerly: it is
not jitted as a whole, so each of its steps is its own kernel, rounded separately (no fused
multiply-add); the fraction is printed.
"""
import argparse
import ctypes
import json
import sys

import numpy as np
import jax
import jax.numpy as jnp
import jaxlib

FUNCTIONS = {"relu": jax.nn.relu, "gelu": jax.nn.gelu, "tanh": jnp.tanh,
             "sigmoid": jax.nn.sigmoid, "silu": jax.nn.silu}
CHUNK = 1 << 24


class KfShape(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int), ("dim", ctypes.c_int64 * 8)]


class KfTensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("shape", KfShape), ("data", ctypes.c_void_p)]


class Keyfold:
    """One model per function, each of the one activation layer."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        self.rngs = ctypes.c_void_p()
        assert self.lib.kf_rngs_new(0, ctypes.byref(self.rngs)) == 0
        self.models = {}

    def model(self, name):
        if name not in self.models:
            t, spec, m = ctypes.c_int(), ctypes.create_string_buffer(4096), ctypes.c_void_p()
            assert self.lib.kf_layer_type_from_name(name.encode(), ctypes.byref(t)) == 0, name
            assert self.lib.kf_layer_spec_make(t, spec) == 0
            assert self.lib.kf_model_new(spec, ctypes.c_size_t(1), self.rngs, ctypes.byref(m),
                                         None) == 0
            self.models[name] = m
        return self.models[name]

    def __call__(self, name, x):
        x = np.ascontiguousarray(x, np.float32)
        y = np.empty(max(len(x), 1), np.float32)
        dims = (ctypes.c_int64 * 8)(len(x))
        xt = KfTensor(0, KfShape(1, dims), x.ctypes.data_as(ctypes.c_void_p))
        yt = KfTensor(0, KfShape(0), y.ctypes.data_as(ctypes.c_void_p))
        assert self.lib.kf_model_forward(self.model(name), self.rngs, ctypes.byref(xt), 1,
                                         ctypes.byref(yt), None) == 0
        return y[:len(x)]


def ordered(u):
    u = u.astype(np.int64)
    return np.where(u & 0x80000000, 0x80000000 - (u & 0x7fffffff), 0x80000000 + u)


def sample_inputs():
    def around(v, n=2048):
        b = int(np.float32(abs(v)).view(np.uint32))
        u = np.arange(max(b - n, 0), b + n + 1, dtype=np.uint64).astype(np.uint32)
        return [u, u | np.uint32(0x80000000)]
    u32 = lambda a: a.astype(np.uint32)  # noqa: E731
    parts = around(0.0) + [u32(np.arange(0x7f800000, 0x80000000, 4099, dtype=np.uint64))]
    for v in (1.1754944e-38, 2.3509887e-38, 0.0004, 0.0004 / 0.7978846, 7.99881172, 20.0,
              87.8, 88.8, 87.33655, 88.72284, 1.0, 7e12):
        parts += around(v)
    parts.append(u32(np.arange(0, 1 << 32, 4099, dtype=np.uint64)))
    parts.append(u32(np.random.default_rng(1).integers(0, 1 << 32, 1 << 24, dtype=np.uint64)))
    return [np.concatenate(parts)]


def all_inputs():
    for c in range((1 << 32) // CHUNK):
        yield np.arange(c * CHUNK, (c + 1) * CHUNK, dtype=np.uint64).astype(np.uint32)


def compare(kf, name, chunks):
    jf = jax.jit(FUNCTIONS[name])
    total = differ = nan_only = max_ulps = 0
    first = []
    for bits in chunks:
        x = bits.view(np.float32)
        want = np.asarray(jf(x)).view(np.uint32)
        got = kf(name, x).view(np.uint32)
        total += len(bits)
        d = np.nonzero(want != got)[0]
        if not len(d):
            continue
        differ += len(d)
        wf, gf = want[d].view(np.float32), got[d].view(np.float32)
        both = np.isnan(wf) & np.isnan(gf)
        nan_only += int(both.sum())
        num = ~np.isnan(wf) & ~np.isnan(gf)
        if num.any():
            dist = np.maximum(np.abs(ordered(want[d][num]) - ordered(got[d][num])), 1)
            max_ulps = max(max_ulps, int(dist.max()))
        if (~both & ~num).any():
            max_ulps = max(max_ulps, 1 << 32)  # a NaN against a number
        for i in d[:max(0, 5 - len(first))]:
            first.append({"x": "%08x" % bits[i], "jax": "%08x" % want[i],
                          "keyfold": "%08x" % got[i]})
    return {"function": name, "jax": jax.__version__, "jaxlib": jaxlib.__version__, "inputs": total,
            "identical": 1 - differ / total, "differ": differ, "nan_payload_only": nan_only,
            "max_ulps": max_ulps, "first": first}


def fusion():
    from flax import nnx
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((256, 33)) * 3).astype(np.float32)
    w = (rng.standard_normal((33, 47)) * 0.5).astype(np.float32)
    b = rng.standard_normal(47).astype(np.float32)
    h = np.asarray(jax.jit(lambda x, w, b: x @ w + b)(x, w, b))
    bits = lambda a: np.asarray(a).view(np.uint32)  # noqa: E731
    same = lambda p, q: bool(np.array_equal(bits(p), bits(q)))  # noqa: E731
    for name, f in FUNCTIONS.items():
        alone = jax.jit(f)(h)
        fused = jax.jit(lambda x, w, b: f(x @ w + b))(x, w, b)
        eager = f(jnp.asarray(h))
        m = nnx.Sequential(nnx.Linear(33, 47, rngs=nnx.Rngs(0)), f,
                           nnx.Linear(47, 5, rngs=nnx.Rngs(1)), f)
        yj = nnx.jit(lambda m, x: m(x))(m, x)
        y = jnp.asarray(x)
        for layer in m.layers:
            y = layer(y)
        out = {"function": name, "jax": jax.__version__,
               "fused_with_linear_equals_alone": same(fused, alone),
               "eager_equals_jit": same(eager, alone),
               "sequential_jit_equals_layer_by_layer": same(yj, y)}
        if not out["eager_equals_jit"]:
            big = (rng.standard_normal(1 << 22) * 3).astype(np.float32)
            out["eager_differs_on_N(0,9)"] = float(np.mean(bits(f(jnp.asarray(big))) !=
                                                           bits(jax.jit(f)(big))))
        print(json.dumps(out), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keyfold", help="libkeyfold.so (not needed for --fusion)")
    ap.add_argument("--all", action="store_true", help="all 2^32 inputs per function")
    ap.add_argument("--fusion", action="store_true", help="check the fusions Flax meets instead")
    ap.add_argument("functions", nargs="*", default=list(FUNCTIONS))
    args = ap.parse_args()
    if args.fusion:
        fusion()
        return
    if not args.keyfold:
        sys.exit("activation-check: --keyfold LIB is needed")
    kf = Keyfold(args.keyfold)
    bad = False
    for name in args.functions:
        r = compare(kf, name, all_inputs() if args.all else sample_inputs())
        bad = bad or r["differ"] > 0
        print(json.dumps(r), flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
