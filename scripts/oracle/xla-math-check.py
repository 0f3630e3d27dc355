"""Does keyfold's float32 log and exp equal real jaxlib's, and does jaxlib's tan and pow equal
this machine's C library? (test tooling only)

Run under an oracle venv (scripts/oracle-venvs.sh):

    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/oracle/xla-math-check.py [--every]
    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/oracle/xla-math-check.py --known-answers

Evaluates jax.lax.log, jax.lax.exp, jax.lax.tan and jax.lax.pow inside jax.jit on float32
inputs and compares them bit for bit with keyfold's kf__xla_logf and kf__xla_expf
(lib/src/xla_math.c, compiled from scripts/oracle/xla_math_candidates.c) and with the C
library's tanf, sinf/cosf and powf (glibc 2.36 on Debian 12: what jaxlib calls for tan and pow,
through the process's libm; powf_ftz flushes a denormal result to zero, as XLA's kernels run). Inputs: specials, denormals and the clamps' edges, 2^24 random
float32 bit patterns, and for tan every argument cauchy() can pass it (pi * (u - 0.5) for the
2^23 values of its uniform u); for pow, weibull_min's bases (-log1p(-u), 2^23 of them) with
exponents 1/c for sampled concentrations c, and random pairs. --every: log and exp on every
float32 (2^32 inputs, in chunks). Two NaNs count as the same value; nan_bits_differ counts those
whose bits differ. Prints one JSON object per function and input set.

--known-answers prints the C table of jaxlib's log and exp on chosen inputs that
tests/test_distributions.c keeps (tests/xla_math_jaxlib.inc).
"""
import json
import platform
import sys

import numpy as np
import jax

import candidates
from candidates import build, call

LIB = build("xla_math_candidates.c")
JAX = {"log": jax.jit(jax.lax.log), "exp": jax.jit(jax.lax.exp), "tan": jax.jit(jax.lax.tan),
       "pow": jax.jit(jax.lax.pow)}


def cand(name, *xs):
    return call(LIB, name, *xs)


class Tally(candidates.Tally):
    def __init__(self, fn, cands, name):
        super().__init__(name, cands)
        self.fn = fn

    def add(self, *xs):
        xs = [np.ascontiguousarray(x, np.float32) for x in xs]
        super().add(np.asarray(JAX[self.fn](*xs)), {c: cand(c, *xs) for c in self.cands}, xs)

    def report(self):
        import jaxlib
        return {"function": self.fn, "inputs": self.name, "n": self.n, "jaxlib": jaxlib.__version__,
                "candidates": self.candidates()}


def f32(bits):
    return np.asarray(bits, dtype=np.uint64).astype(np.uint32).view(np.float32)


SPECIAL = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000,
           0x80800000, 0x3F800000, 0xBF800000, 0x3F3504F3, 0x3F3504F4, 0x7F7FFFFF, 0xFF7FFFFF,
           0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0xFFA00001,
           0x42AFCCCD, 0xC2AFCCCD, 0x42B19999, 0x42B1999A, 0x42B1999B, 0xC2AF999A, 0xC2AF9999,
           0xC2AF999B, 0x42B17218, 0x42B17217, 0x42B00000, 0xC2AE0000, 0xC2AEAC50, 0xC2AEAC4F,
           0x33800000, 0xB3800000, 0x3F000000, 0xBF000000, 0x3F317218, 0x4B000000]


def unit_floats():
    k = np.arange(1 << 23, dtype=np.uint32)
    return (k | 0x3F800000).view(np.float32) - np.float32(1)


def known_answers():
    rng = np.random.default_rng(2026)
    rows = []
    for fn in ("log", "exp"):
        bits = SPECIAL + [int(b) for b in rng.integers(0, 1 << 32, size=24, dtype=np.uint64)]
        if fn == "exp":  # around the clamps and the flush of tiny results
            xs = np.float32([-87.8, -87.5, -87.33655, -87.3365, -87.0, -86.0, 88.0, 88.5, 88.72, 88.73,
                             88.8, 89.0, 1e-8, -1e-8, 20.5, -20.5])
            bits += [int(b) for b in xs.view(np.uint32)]
        seen = []
        for b in bits:
            if b not in seen:
                seen.append(b)
        x = f32(seen)
        y = np.asarray(JAX[fn](x)).view(np.uint32)
        rows += [(fn, int(a), int(r), float(v)) for a, r, v in zip(x.view(np.uint32), y, x)]
    import jaxlib
    print("/* jax.lax.log and jax.lax.exp under jax.jit, jaxlib %s on %s "
          "(scripts/oracle/xla-math-check.py --known-answers): {0 = log | 1 = exp, x, f(x)} as "
          "float32 bits. */" % (jaxlib.__version__, platform.machine()))
    for fn, a, r, v in rows:
        print("    {%d, 0x%08Xu, 0x%08Xu}, /* %s(%r) */" % (fn == "exp", a, r, fn, v))


def main():
    import jaxlib
    args = sys.argv[1:]
    if "--known-answers" in args:
        known_answers()
        return
    print(json.dumps({"jax": jax.__version__, "jaxlib": jaxlib.__version__,
                      "machine": platform.machine(), "libc": platform.libc_ver()}), flush=True)
    rng = np.random.default_rng(0)
    rand = f32(rng.integers(0, 1 << 32, size=1 << 24, dtype=np.uint64))
    for fn in ("log", "exp"):
        t = Tally(fn, [fn], "specials and 2^24 random float32")
        t.add(np.concatenate([f32(SPECIAL), rand]))
        print(json.dumps(t.report()), flush=True)
    u = np.maximum(np.float32(2.0 ** -23),
                   (unit_floats().astype(np.float64) * np.float64(np.float32(1 - 2.0 ** -23))
                    + 2.0 ** -23).astype(np.float32))  # cauchy's fma: the product is exact in f64
    t = Tally("tan", ["tanf", "sincos"], "cauchy: pi * (u - 0.5) for the 2^23 values of u")
    t.add(((u - np.float32(0.5)) * np.float32(np.pi)).astype(np.float32))
    print(json.dumps(t.report()), flush=True)
    t = Tally("tan", ["tanf", "sincos"], "2^24 random float32")
    t.add(rand)
    print(json.dumps(t.report()), flush=True)
    e = np.asarray(jax.jit(lambda u: -jax.lax.log1p(-u))(unit_floats()))
    t = Tally("pow", ["powf", "powf_ftz"], "weibull: -log1p(-u) for every u, exponents 1/c")
    for c in (0.3, 0.5, 1.0, 1.5, 2.0, 3.3, 7.0, 1e-3):
        t.add(e, np.full(e.shape, np.float32(1) / np.float32(c), np.float32))
    t.add(e, (np.float32(1) / rng.uniform(0.05, 20, e.size).astype(np.float32)).astype(np.float32))
    print(json.dumps(t.report()), flush=True)
    t = Tally("pow", ["powf", "powf_ftz"], "2^24 random pairs")
    t.add(rand, f32(rng.integers(0, 1 << 32, size=1 << 24, dtype=np.uint64)))
    print(json.dumps(t.report()), flush=True)
    if "--every" in args:
        for fn in ("log", "exp"):
            t = Tally(fn, [fn], "every float32")
            step = 1 << 24
            for s in range(0, 1 << 32, step):
                t.add(np.arange(s, s + step, dtype=np.uint64).astype(np.uint32).view(np.float32))
            print(json.dumps(t.report()), flush=True)


if __name__ == "__main__":
    main()
