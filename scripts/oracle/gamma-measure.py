"""How many of the gamma family's draws libkeyfold reproduces bit for bit, against the jaxlib of
this venv (docs/libkeyfold.md "Distributions", the gamma family's table). Per sampler, >= 10^5
values from key(2026) in both threefry modes, the parameters as traced float32 arguments (as an
eager call passes them); keyfold's rsqrt mode follows the jaxlib (KF_RSQRT_INTEL_NR2 from 0.7.1,
on an Intel CPU). Prints one line per row: identical fraction and max ulp distance (NaN = NaN).

  /work/venvs/kf-oracle-flax-0.12/bin/python scripts/oracle/gamma-measure.py build/lib/libkeyfold.so [N]
"""
import ctypes
import sys

import numpy as np
import jax
import jax.numpy as jnp
import jaxlib

LIB = ctypes.CDLL(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
RM = 1 if tuple(int(x) for x in jaxlib.__version__.split(".")[:3]) >= (0, 7, 1) else 0


class Key(ctypes.Structure):
    _fields_ = [("hi", ctypes.c_uint32), ("lo", ctypes.c_uint32)]


def ordered(x):
    b = x.view(np.uint32).astype(np.int64)
    return np.where(b & 0x80000000, 0x80000000 - (b & 0x7FFFFFFF), 0x80000000 + b)


def keyfold(name, key, n, params, extra=(), out_n=None):
    kd = np.asarray(jax.random.key_data(key)).astype(np.uint32)
    mode = 0 if jax.config.jax_threefry_partitionable else 1
    out = np.zeros(max(out_n or n, 1), np.float32)
    args, keep = [Key(int(kd[0]), int(kd[1])), mode, RM, ctypes.c_size_t(n)], []
    for v in params:
        v = np.ascontiguousarray(v, np.float32).reshape(-1)
        keep.append(v)
        args += [v.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(v.size)]
    assert getattr(LIB, "kf_random_" + name)(*args, *extra, out.ctypes.data_as(ctypes.c_void_p)) == 0
    return out[:out_n or n]


def rows():
    f32 = np.float32
    rng = np.random.default_rng(2026)
    arr = rng.uniform(0.05, 6, N).astype(f32)
    alpha = np.array([0.5, 0.6, 0.7], f32)
    R = jax.random
    yield "gamma a=0.8", lambda k: (R.gamma(k, f32(0.8), (N,)), keyfold("gamma", k, N, [[0.8]]))
    yield "gamma a=3", lambda k: (R.gamma(k, f32(3), (N,)), keyfold("gamma", k, N, [[3.0]]))
    yield "gamma a per element in [0.05, 6)", lambda k: (
        jax.jit(lambda k, a: R.gamma(k, a, (N,)))(k, arr), keyfold("gamma", k, N, [arr]))
    yield "loggamma a=0.8", lambda k: (R.loggamma(k, f32(0.8), (N,)), keyfold("loggamma", k, N, [[0.8]]))
    yield "beta a=0.8 b=0.9", lambda k: (R.beta(k, f32(0.8), f32(0.9), (N,)),
                                         keyfold("beta", k, N, [[0.8], [0.9]]))
    yield "chisquare df=3", lambda k: (R.chisquare(k, f32(3), (N,)), keyfold("chisquare", k, N, [[3.0]]))
    yield "t df=5", lambda k: (R.t(k, f32(5), (N,)), keyfold("t", k, N, [[5.0]]))
    yield "f dfnum=3 dfden=7", lambda k: (R.f(k, f32(3), f32(7), (N,)), keyfold("f", k, N, [[3.0], [7.0]]))
    yield "generalized_normal p=2", lambda k: (R.generalized_normal(k, f32(2), (N,)),
                                               keyfold("generalized_normal", k, N, [[2.0]]))
    yield "generalized_normal p=0.7", lambda k: (R.generalized_normal(k, f32(0.7), (N,)),
                                                 keyfold("generalized_normal", k, N, [[0.7]]))
    a_p = alpha.ctypes.data_as(ctypes.c_void_p)
    for rows_ in (1000, N // 3):  # n*k below and above YNNPACK's 4096
        yield "dirichlet k=3, %d rows" % rows_, lambda k, r=rows_: many(
            k, r, lambda kk, a: R.dirichlet(kk, a, (r,)), alpha,
            lambda kk: keyfold("dirichlet", kk, r, [], (a_p, ctypes.c_size_t(3)), 3 * r))
    for d, p, r in ((3, 2.0, 1000), (3, 2.0, N // 3), (40, 2.0, 100), (40, 2.0, N // 40), (5, 1.0, 800)):
        yield "ball d=%d p=%g, %d rows" % (d, p, r), lambda k, d=d, p=p, r=r: many(
            k, r, lambda kk, pp, d=d, r=r: R.ball(kk, d, pp, (r,)), f32(p),
            lambda kk: keyfold("ball", kk, r, [], (ctypes.c_size_t(d), ctypes.c_float(p)), d * r))


def many(key, rows_, jx, param, kf):
    """Enough independent draws of rows_ rows (fold_in keys) for >= N values; param is a traced
    argument (a constant would be folded by XLA with the host's libm)."""
    w, g = [], []
    fn = jax.jit(jx)
    i = 0
    while sum(x.size for x in w) < N:
        kk = jax.random.fold_in(key, i)
        w.append(np.asarray(fn(kk, param)).reshape(-1))
        g.append(kf(kk))
        i += 1
    return np.concatenate(w), np.concatenate(g)


def main():
    print("jax %s, jaxlib %s, keyfold rsqrt mode %d, %d values per row" % (
        jax.__version__, jaxlib.__version__, RM, N))
    for part in (True, False):
        jax.config.update("jax_threefry_partitionable", part)
        key = jax.random.key(2026)
        for label, run in rows():
            want, got = run(key)
            want = np.asarray(want, np.float32).reshape(-1)
            d = np.abs(ordered(want) - ordered(got))
            d[np.isnan(want) & np.isnan(got)] = 0
            print("%-13s %-36s identical %.6f  max ulps %d" % (
                "partitionable" if part else "legacy", label, float((d == 0).mean()), int(d.max())),
                flush=True)


if __name__ == "__main__":
    main()
