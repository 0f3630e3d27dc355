"""The normal_f32 anchor: NumPy's Generator(PCG64).standard_normal(dtype=float32),
single-threaded, into a preallocated array of 2^20 samples per call, timed
like tests/bench/bench.c: median of five windows of thread CPU time. Prints one JSON line like bench does:
  {"name": "anchor_numpy_pcg64_standard_normal_f32", "items_per_s": …, "unit": "samples/s", …}
Run by scripts/bench.sh with Debian's python3-numpy; not a test."""
import json
import sys
import time

import numpy as np

from cpu_rate import median_rates

N = 1 << 20


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rng = np.random.Generator(np.random.PCG64(42))
    out = np.empty(N, dtype=np.float32)
    rng.standard_normal(dtype=np.float32, out=out)  # warm-up
    rate, wall_rate, rates = median_rates(lambda: rng.standard_normal(dtype=np.float32, out=out), N, seconds,
                                          time.thread_time)
    print(json.dumps({"name": "anchor_numpy_pcg64_standard_normal_f32",
                      "items_per_s": float("%.6g" % rate),
                      "unit": "samples/s", "isa": "numpy " + np.__version__,
                      "runs": [float("%.4g" % r) for r in rates],
                      "wall_items_per_s": float("%.6g" % wall_rate)}),
          flush=True)


if __name__ == "__main__":
    main()
