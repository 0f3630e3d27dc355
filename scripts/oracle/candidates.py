"""Shared by the oracle checks (log1p-check.py, xla-math-check.py; test tooling only): builds a
C file of candidate functions into a temporary shared object (-ffp-contract=off, as keyfold is
built) and loads it with ctypes, and orders float32 bit patterns for ulp distances."""
import ctypes
import os
import subprocess
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def build(c_file):
    """ctypes handle of scripts/oracle/<c_file> compiled on this machine."""
    tmp = tempfile.mkdtemp(prefix="kf-oracle-")
    so = os.path.join(tmp, "cand.so")
    subprocess.check_call(["cc", "-O2", "-ffp-contract=off", "-fPIC", "-shared", "-std=c11",
                           "-o", so, os.path.join(HERE, c_file), "-lm"])
    lib = ctypes.CDLL(so)
    os.unlink(so)
    os.rmdir(tmp)
    return lib


def ordered(x):
    """float32 array -> int64 keys in the floats' order: ulp distance = key difference."""
    b = x.view(np.uint32).astype(np.int64)
    return np.where(b & 0x80000000, 0x80000000 - (b & 0x7FFFFFFF), 0x80000000 + b)


def call(lib, name, *xs):
    """cand_<name>(x..., out, n) of lib over float32 arrays: the result array."""
    xs = [np.ascontiguousarray(x, np.float32) for x in xs]
    out = np.empty_like(xs[0])
    getattr(lib, "cand_" + name)(*[x.ctypes.data_as(ctypes.c_void_p) for x in xs],
                                 out.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(out.size))
    return out


class Tally:
    """Counts, per candidate, the results bit-identical to jaxlib's (two NaNs count as the same
    value; nan_bits the NaNs whose bits differ), the largest ulp distance and the first
    difference. add(jax_result, {candidate: result}, inputs)."""

    def __init__(self, name, cands):
        self.name, self.cands, self.n = name, list(cands), 0
        self.same = {c: 0 for c in cands}
        self.maxulp = {c: 0 for c in cands}
        self.nanbits = {c: 0 for c in cands}
        self.first = {c: None for c in cands}

    def add(self, j, results, xs):
        self.n += j.size
        for c in self.cands:
            y = results[c]
            same_bits = j.view(np.uint32) == y.view(np.uint32)
            both_nan = np.isnan(j) & np.isnan(y)
            eq = same_bits | both_nan
            self.same[c] += int(eq.sum())
            self.nanbits[c] += int((both_nan & ~same_bits).sum())
            if not eq.all():
                d = np.abs(ordered(j) - ordered(y))
                d[np.isnan(j) | np.isnan(y)] = 0
                self.maxulp[c] = max(self.maxulp[c], int(d.max()))
                if self.first[c] is None:
                    i = int(np.argmin(eq))
                    x = [float(v[i]) for v in xs]
                    b = ["0x%08x" % int(v.view(np.uint32)[i]) for v in xs]
                    self.first[c] = {"x": x[0] if len(x) == 1 else x,
                                     "x_bits": b[0] if len(b) == 1 else b,
                                     "jax": float(j[i]), "cand": float(y[i])}

    def candidates(self):
        return {c: {"identical": self.same[c], "fraction": self.same[c] / self.n,
                    "max_ulp": self.maxulp[c], "nan_bits_differ": self.nanbits[c],
                    "first_difference": self.first[c]} for c in self.cands}
