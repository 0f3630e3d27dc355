"""Which float32 log1p does real jaxlib compute on CPU? (test tooling only)

Run under an oracle venv (scripts/oracle-venvs.sh):

    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/oracle/log1p-check.py [--all | --every]
        [--only keyfold,xla] [--known-answers]

Evaluates jax.lax.log1p inside jax.jit on float32 inputs and compares it, bit
for bit, with the candidates built from scripts/oracle/log1p_candidates.c:
keyfold's own log1p (lib/src/xla_math.c), this machine's libm log1pf (glibc
2.36 on Debian 12, what keyfold used before), and XLA's rational approximation
(xla-numerics.md §A.6) in several roundings. Inputs:

  normal  the 2^23 arguments normal()'s erf_inv passes to log1p: t = -(u*u)
          rounded to float32, for every u = max(lo, 2f + lo) normal can draw
  sample  2^24 random floats of [-1, 0] (uniform over bit patterns)
  all     (--all) every float in [-1, 0]: 1.07e9 inputs, in chunks
  every   (--every) every float32, both signs, NaNs and infinities: 2^32 inputs

Two NaNs count as the same value; "nan_bits_differ" counts those whose bits
differ. --only limits the candidates (--every with all of them takes long).
Prints one JSON object per input set. --known-answers instead prints the C
table of jaxlib's results on chosen inputs that tests/test_simd.c keeps
(edge cases, the branch boundary, inputs where the roundings differ).
"""
import json
import platform
import sys

import numpy as np
import jax
import jax.numpy as jnp

import candidates
from candidates import build, call

LIB = build("log1p_candidates.c")
CANDS = ["keyfold", "libm", "xla", "xla_s_unfused", "xla_no_fma", "xla_s_x_first"]
LOG1P = jax.jit(jax.lax.log1p)


def cand(name, x):
    return call(LIB, name, x)


class Tally(candidates.Tally):
    def __init__(self, name):
        super().__init__(name, CANDS)

    def add(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        super().add(np.asarray(LOG1P(x)), {c: cand(c, x) for c in CANDS}, [x])

    def report(self):
        return {"inputs": self.name, "n": self.n,
                "jax": jax.__version__, "jaxlib": jax.lib.__version__ if hasattr(jax.lib, "__version__") else None,
                "candidates": self.candidates()}


def normal_args():
    k = np.arange(1 << 23, dtype=np.uint32)
    f = (k | 0x3F800000).view(np.float32) - np.float32(1)
    lo = np.nextafter(np.float32(-1), np.float32(0))
    u = np.maximum(lo, f * np.float32(2) + lo)  # 2f is exact, so this is the fma
    return (u * -u).astype(np.float32)


def known_answers():
    """jaxlib's log1p on chosen inputs, as a C table for tests/test_simd.c."""
    def f32(bits):
        return np.array(bits, dtype=np.uint32).view(np.float32)

    special = [0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000,
               0x80800000, 0x3F800000, 0xBF800000, 0xBF7FFFFF, 0xBF800001, 0xC0000000, 0x7F7FFFFF,
               0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FC12345,
               0xFFA00001, 0x33800000, 0xB3800000, 0x2C000000, 0xAC000000, 0x3ED413CC, 0x3ED413CD,
               0x3ED413CE, 0xBED413CC, 0xBED413CD, 0xBED413CE, 0xBE95F61F, 0x3F3504F3, 0x4B800000,
               0x70000000]
    rng = np.random.default_rng(2026)
    sample = rng.integers(0x80000000, 0xBF800001, size=1 << 22, dtype=np.uint64).astype(np.uint32)
    x = f32(sample)
    j = np.asarray(LOG1P(x)).view(np.uint32)
    chosen = []
    for c in ("xla", "libm", "xla_no_fma", "xla_s_x_first"):  # where other roundings differ
        y = cand(c, x).view(np.uint32)
        chosen += [int(b) for b in sample[np.flatnonzero(y != j)[:6]]]
    chosen += [int(b) for b in sample[:8]]  # and some plain ones
    chosen += [int(b) for b in rng.integers(0, 0x7F800000, size=6, dtype=np.uint64)]  # positives
    seen, rows = set(), []
    for b in special + chosen:
        if b in seen:
            continue
        seen.add(b)
        v = f32([b])
        rows.append((b, int(np.asarray(LOG1P(v)).view(np.uint32)[0]), float(v[0])))
    import jaxlib
    print("/* jax.lax.log1p under jax.jit, jaxlib %s on %s (scripts/oracle/log1p-check.py"
          " --known-answers): {x, log1p(x)} as float32 bits. */" % (jaxlib.__version__,
                                                                   platform.machine()))
    for b, r, v in rows:
        print("    {0x%08Xu, 0x%08Xu}, /* %r */" % (b, r, v))


def main():
    global CANDS
    import jaxlib
    args = sys.argv[1:]
    if "--only" in args:
        CANDS = args[args.index("--only") + 1].split(",")
    if "--known-answers" in args:
        known_answers()
        return
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
    ranges = []
    if "--all" in args:
        ranges.append(("all: every float in [-1, 0]", 0x80000000, 0xBF800000 + 1))
    if "--every" in args:
        ranges.append(("every: every float32", 0, 1 << 32))
    for name, lo, hi in ranges:
        t = Tally(name)
        step = 1 << 24
        for s in range(lo, hi, step):
            t.add(np.arange(s, min(s + step, hi), dtype=np.uint64).astype(np.uint32).view(np.float32))
        print(json.dumps(t.report()), flush=True)


if __name__ == "__main__":
    main()
