"""Which float32 log1p does real jaxlib compute on CPU? (test tooling only)

Run under an oracle venv (scripts/oracle-venvs.sh):

    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/oracle/log1p-check.py [--all]

Evaluates jax.lax.log1p inside jax.jit on float32 inputs in [-1, 0] and
compares it, bit for bit, with three candidates built from
scripts/oracle/log1p_candidates.c: keyfold's glibc 2.36 log1pf
(lib/src/log1pf.c), this machine's libm log1pf, and XLA's own rational
approximation (xla-numerics.md §A.6). Inputs:

  normal  the 2^23 arguments normal()'s erf_inv passes to log1p: t = -(u*u)
          rounded to float32, for every u = max(lo, 2f + lo) normal can draw
  sample  2^24 random floats of [-1, 0] (uniform over bit patterns)
  all     (--all) every float in [-1, 0]: 1.07e9 inputs, in chunks

Prints one JSON object per input set.
"""
import ctypes
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import jax
import jax.numpy as jnp

HERE = os.path.dirname(os.path.abspath(__file__))


def build():
    tmp = tempfile.mkdtemp(prefix="kf-log1p-")
    so = os.path.join(tmp, "cand.so")
    subprocess.check_call(["cc", "-O2", "-ffp-contract=off", "-fPIC", "-shared", "-std=c11",
                           "-o", so, os.path.join(HERE, "log1p_candidates.c"), "-lm"])
    lib = ctypes.CDLL(so)
    os.unlink(so)
    os.rmdir(tmp)
    return lib


LIB = build()
CANDS = ["kf_glibc", "libm", "xla", "xla_s_unfused", "xla_no_fma", "xla_s_x_first"]
LOG1P = jax.jit(jax.lax.log1p)


def cand(name, x):
    out = np.empty_like(x)
    fn = getattr(LIB, "cand_" + name)
    fn(x.ctypes.data_as(ctypes.c_void_p), out.ctypes.data_as(ctypes.c_void_p),
       ctypes.c_size_t(x.size))
    return out


def ordered(x):
    b = x.view(np.uint32).astype(np.int64)
    return np.where(b & 0x80000000, 0x80000000 - (b & 0x7FFFFFFF), 0x80000000 + b)


class Tally:
    def __init__(self, name):
        self.name, self.n = name, 0
        self.same = {c: 0 for c in CANDS}
        self.maxulp = {c: 0 for c in CANDS}
        self.first = {c: None for c in CANDS}

    def add(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        j = np.asarray(LOG1P(x))
        self.n += x.size
        for c in CANDS:
            y = cand(c, x)
            eq = (j.view(np.uint32) == y.view(np.uint32)) | (np.isnan(j) & np.isnan(y))
            self.same[c] += int(eq.sum())
            if not eq.all():
                d = np.abs(ordered(j) - ordered(y))
                d[np.isnan(j) | np.isnan(y)] = 0
                self.maxulp[c] = max(self.maxulp[c], int(d.max()))
                if self.first[c] is None:
                    i = int(np.argmin(eq))
                    self.first[c] = {"x": float(x[i]), "x_bits": "0x%08x" % int(x.view(np.uint32)[i]),
                                     "jax": float(j[i]), "cand": float(y[i])}

    def report(self):
        return {"inputs": self.name, "n": self.n,
                "jax": jax.__version__, "jaxlib": jax.lib.__version__ if hasattr(jax.lib, "__version__") else None,
                "candidates": {c: {"identical": self.same[c], "fraction": self.same[c] / self.n,
                                   "max_ulp": self.maxulp[c], "first_difference": self.first[c]}
                               for c in CANDS}}


def normal_args():
    k = np.arange(1 << 23, dtype=np.uint32)
    f = (k | 0x3F800000).view(np.float32) - np.float32(1)
    lo = np.nextafter(np.float32(-1), np.float32(0))
    u = np.maximum(lo, f * np.float32(2) + lo)  # 2f is exact, so this is the fma
    return (u * -u).astype(np.float32)


def main():
    import jaxlib
    print(json.dumps({"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                      "devices": str(jax.devices())}))
    t = Tally("normal: the 2^23 log1p arguments of normal()")
    t.add(normal_args())
    print(json.dumps(t.report()), flush=True)
    rng = np.random.default_rng(0)
    t = Tally("sample: 2^24 random floats of [-1, 0]")
    t.add(rng.integers(0x80000000, 0xBF800001, size=1 << 24, dtype=np.uint64)
          .astype(np.uint32).view(np.float32))
    print(json.dumps(t.report()), flush=True)
    if "--all" in sys.argv:
        t = Tally("all: every float in [-1, 0]")
        lo, hi, step = 0x80000000, 0xBF800000 + 1, 1 << 24
        for s in range(lo, hi, step):
            t.add(np.arange(s, min(s + step, hi), dtype=np.uint64).astype(np.uint32).view(np.float32))
        print(json.dumps(t.report()), flush=True)


if __name__ == "__main__":
    main()
