"""NumPy's equivalents of keyfold's distributions (issue 12) as anchors for
tests/bench/bench.c: Generator(PCG64) samplers, single-threaded, 2^20 samples
per call, timed like bench.c (median of five windows of thread CPU time).
float32 where NumPy can draw it (standard_exponential, into a preallocated
array), float64 (a new array per call, NumPy's only form) elsewhere. Prints one
JSON line per figure like bench does:
  {"name": "anchor_numpy_pcg64_exponential_f32", "items_per_s": …, "unit": "samples/s", …}
keyfold's bench name is the anchor's without "anchor_numpy_pcg64_" and
"_numpy" in the unit's place; maxwell, double_sided_maxwell, rademacher,
loggamma, generalized_normal and ball have no NumPy sampler. Run by scripts/bench.sh with Debian's python3-numpy; not a
test.

  python3 tests/bench/numpy_distributions.py [SECONDS]
"""
import json
import sys
import time

import numpy as np

from cpu_rate import median_rates

N = 1 << 20


def figures(rng):
    out32 = np.empty(N, dtype=np.float32)
    # (keyfold's name, what NumPy calls, the call); parameters as bench.c's
    return [
        ("exponential_f32", "standard_exponential(float32, out=)",
         lambda: rng.standard_exponential(dtype=np.float32, out=out32)),
        ("gumbel_f32", "gumbel() f64", lambda: rng.gumbel(size=N)),
        ("laplace_f32", "laplace() f64", lambda: rng.laplace(size=N)),
        ("logistic_f32", "logistic() f64", lambda: rng.logistic(size=N)),
        ("cauchy_f32", "standard_cauchy() f64", lambda: rng.standard_cauchy(size=N)),
        # NumPy's pareto is Lomax: jax.random.pareto(b) = 1 + rng.pareto(b)
        ("pareto_f32", "pareto(2) f64 (Lomax)", lambda: rng.pareto(2.0, size=N)),
        ("weibull_min_f32", "weibull(2) f64", lambda: rng.weibull(2.0, size=N)),
        ("rayleigh_f32", "rayleigh(2) f64", lambda: rng.rayleigh(2.0, size=N)),
        ("geometric_i32", "geometric(0.5) int64", lambda: rng.geometric(0.5, size=N)),
        ("triangular_f32", "triangular(-1, 0.5, 3) f64", lambda: rng.triangular(-1.0, 0.5, 3.0, size=N)),
        ("lognormal_f32", "lognormal(0, 0.5) f64", lambda: rng.lognormal(0.0, 0.5, size=N)),
        # the gamma family (keyfold's gamma.c); loggamma, generalized_normal and ball have no
        # NumPy sampler
        ("gamma_f32", "standard_gamma(3, float32, out=)",
         lambda: rng.standard_gamma(3.0, dtype=np.float32, out=out32)),
        ("gamma_small_f32", "standard_gamma(0.5, float32, out=)",
         lambda: rng.standard_gamma(0.5, dtype=np.float32, out=out32)),
        ("beta_f32", "beta(2, 5) f64", lambda: rng.beta(2.0, 5.0, size=N)),
        ("chisquare_f32", "chisquare(3) f64", lambda: rng.chisquare(3.0, size=N)),
        ("t_f32", "standard_t(5) f64", lambda: rng.standard_t(5.0, size=N)),
        ("f_f32", "f(3, 7) f64", lambda: rng.f(3.0, 7.0, size=N)),
        ("dirichlet_f32", "dirichlet([1, 2, 3], N / 3) f64", lambda: rng.dirichlet([1.0, 2.0, 3.0], size=N // 3)),
    ] + discrete_figures(rng)


def discrete_figures(rng):
    """wald, poisson, binomial, multinomial, categorical, choice (discrete.c) with bench.c's
    parameters. NumPy has no categorical over logits: its equivalent is choice(10, p=softmax)
    (a CDF search per sample, which JAX's gumbel argmax cannot be bit-exact with)."""
    p10 = np.array([0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.1, 0.1, 0.1, 0.1])
    return [
        ("wald_f32", "wald(1, 1) f64", lambda: rng.wald(1.0, 1.0, size=N)),
        ("poisson_lam4_i32", "poisson(4) int64", lambda: rng.poisson(4.0, size=N)),
        ("poisson_lam30_i32", "poisson(30) int64", lambda: rng.poisson(30.0, size=N)),
        ("binomial_n20_f32", "binomial(20, 0.3) int64", lambda: rng.binomial(20, 0.3, size=N)),
        ("binomial_n200_f32", "binomial(200, 0.4) int64", lambda: rng.binomial(200, 0.4, size=N)),
        ("multinomial_k4_f32", "multinomial(12, 4 categories) int64, N/4 rows",
         lambda: rng.multinomial(12, [0.1, 0.2, 0.3, 0.4], size=N // 4)),
        ("categorical_k10_i32", "choice(10, p=softmax(logits)) int64", lambda: rng.choice(10, size=N, p=p10)),
        ("choice_p10_i32", "choice(10, p) int64", lambda: rng.choice(10, size=N, p=p10)),
    ] + linalg_figures(rng)


def linalg_figures(rng):
    """multivariate_normal and orthogonal (linalg.c) with bench.c's parameters, N values each.
    NumPy has no Haar sampler (SciPy's ortho_group is not installed with Debian's NumPy):
    its equivalent is what JAX computes, qr of normal draws times the signs of diag(r)."""
    mean3 = np.array([1.0, -2.0, 0.5])
    cov3 = np.array([[2.0, 0.6, -0.4], [0.6, 1.0, 0.3], [-0.4, 0.3, 0.5]])

    def orthogonal():
        q, r = np.linalg.qr(rng.standard_normal((N // 9, 3, 3)))
        return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    return [
        ("multivariate_normal_d3_f32", "multivariate_normal(method='cholesky') f64, N/3 rows",
         lambda: rng.multivariate_normal(mean3, cov3, size=N // 3, method="cholesky")),
        ("orthogonal_3x3_f32", "qr(standard_normal) * sign(diag r) f64, N/9 matrices", orthogonal),
    ]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rng = np.random.Generator(np.random.PCG64(42))
    for name, what, call in figures(rng):
        call()  # warm-up
        rate, wall_rate, rates = median_rates(call, N, seconds, time.thread_time)
        print(json.dumps({"name": "anchor_numpy_pcg64_" + name, "items_per_s": float("%.6g" % rate),
                          "unit": "samples/s", "isa": "numpy %s %s" % (np.__version__, what),
                          "runs": [float("%.4g" % r) for r in rates],
                          "wall_items_per_s": float("%.6g" % wall_rate)}), flush=True)


if __name__ == "__main__":
    main()
