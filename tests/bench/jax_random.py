"""Real jax.random as an anchor for tests/bench/bench.c: bits, uniform and
normal over 2^20 float32/uint32 samples, lecun_normal over 4096x4096 and every
distribution bench.c measures (issue 12; 2^20 samples, bench.c's parameters),
each jit-compiled for the CPU, on one thread, after a warm-up, timed as
bench.c times keyfold: the median of five windows of CPU time (the process's:
XLA runs on its own threads, held to one by the flags below). Prints one JSON
line per figure like bench does:
  {"name": "anchor_jax_normal_f32", "items_per_s": …, "unit": "samples/s", "isa": "jax 0.10.2", …}
Run by scripts/bench.sh with a Python that has JAX (scripts/oracle-venvs.sh);
never a test, never needed by the product.

  python tests/bench/jax_random.py [SECONDS [NAME-SUBSTRING]]
"""
import os

# One CPU thread for XLA, before jax is imported.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from cpu_rate import median_rates  # noqa: E402

N = 1 << 20


def measure(name, unit, items, fn, key, seconds):
    fn(key).block_until_ready()  # compile and warm up
    rate, wall_rate, rates = median_rates(lambda: fn(key).block_until_ready(), items, seconds, time.process_time)
    print(json.dumps({"name": name, "items_per_s": float("%.6g" % rate), "unit": unit,
                      "isa": "jax %s, jaxlib %s, %s" % (jax.__version__, jax.lib.__version__
                                                        if hasattr(jax.lib, "__version__") else "?",
                                                        "partitionable"),
                      "runs": [float("%.4g" % r) for r in rates],
                      "wall_items_per_s": float("%.6g" % wall_rate)}), flush=True)


def discrete_dists(R):
    """discrete.c's samplers with bench.c's parameters."""
    p10 = jnp.array([0.02, 0.05, 0.08, 0.1, 0.15, 0.2, 0.1, 0.1, 0.1, 0.1], jnp.float32)
    logits10 = jnp.array([-3.9, -3.0, -2.5, -2.3, -1.9, -1.6, -2.3, -2.3, -2.3, -2.3], jnp.float32)
    p4 = jnp.array([0.1, 0.2, 0.3, 0.4], jnp.float32)
    return [
        ("wald_f32", lambda k: R.wald(k, 1.0, (N,))),
        ("poisson_lam4_i32", lambda k: R.poisson(k, 4.0, (N,))),
        ("poisson_lam30_i32", lambda k: R.poisson(k, 30.0, (N,))),
        ("binomial_n20_f32", lambda k: R.binomial(k, 20.0, 0.3, (N,))),
        ("binomial_n200_f32", lambda k: R.binomial(k, 200.0, 0.4, (N,))),
        ("multinomial_k4_f32", lambda k: R.multinomial(k, 12.0, p4, shape=(N // 4, 4))),
        ("categorical_k10_i32", lambda k: R.categorical(k, logits10, shape=(N,))),
        ("choice_p10_i32", lambda k: R.choice(k, 10, (N,), p=p10)),
    ]


def linalg_dists(R):
    """linalg.c's samplers with bench.c's parameters (N values each)."""
    mean3 = jnp.array([1.0, -2.0, 0.5], jnp.float32)
    cov3 = jnp.array([[2.0, 0.6, -0.4], [0.6, 1.0, 0.3], [-0.4, 0.3, 0.5]], jnp.float32)
    return [
        ("multivariate_normal_d3_f32", lambda k: R.multivariate_normal(k, mean3, cov3, (N // 3,))),
        ("orthogonal_3x3_f32", lambda k: R.orthogonal(k, 3, (N // 9,))),
    ]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    jax.config.update("jax_threefry_partitionable", True)
    key = jax.random.key(42)
    lecun = jax.nn.initializers.lecun_normal()
    figures = [
        ("anchor_jax_bits_u32", N, jax.jit(lambda k: jax.random.bits(k, (N,), jnp.uint32))),
        ("anchor_jax_uniform_f32", N, jax.jit(lambda k: jax.random.uniform(k, (N,), jnp.float32))),
        ("anchor_jax_normal_f32", N, jax.jit(lambda k: jax.random.normal(k, (N,), jnp.float32))),
        ("anchor_jax_lecun_normal_init_4096x4096", 4096 * 4096,
         jax.jit(lambda k: lecun(k, (4096, 4096), jnp.float32))),
    ]
    R = jax.random
    dists = [  # keyfold's bench name, the jax.random call (parameters as bench.c's)
        ("exponential_f32", lambda k: R.exponential(k, (N,))),
        ("gumbel_f32", lambda k: R.gumbel(k, (N,))),
        ("gumbel_high_f32", lambda k: R.gumbel(k, (N,), mode="high")),
        ("laplace_f32", lambda k: R.laplace(k, (N,))),
        ("logistic_f32", lambda k: R.logistic(k, (N,))),
        ("cauchy_f32", lambda k: R.cauchy(k, (N,))),
        ("pareto_f32", lambda k: R.pareto(k, 2.0, (N,))),
        ("weibull_min_f32", lambda k: R.weibull_min(k, 1.0, 2.0, (N,))),
        ("rayleigh_f32", lambda k: R.rayleigh(k, 2.0, (N,))),
        ("geometric_i32", lambda k: R.geometric(k, 0.5, (N,))),
        ("triangular_f32", lambda k: R.triangular(k, -1.0, 0.5, 3.0, (N,))),
        ("lognormal_f32", lambda k: R.lognormal(k, 0.5, (N,))),
        ("maxwell_f32", lambda k: R.maxwell(k, (N,))),
        ("double_sided_maxwell_f32", lambda k: R.double_sided_maxwell(k, 1.0, 2.0, (N,))),
        ("rademacher_i32", lambda k: R.rademacher(k, (N,))),
        ("gamma_f32", lambda k: R.gamma(k, 3.0, (N,))),
        ("gamma_small_f32", lambda k: R.gamma(k, 0.5, (N,))),
        ("loggamma_f32", lambda k: R.loggamma(k, 0.5, (N,))),
        ("beta_f32", lambda k: R.beta(k, 2.0, 5.0, (N,))),
        ("chisquare_f32", lambda k: R.chisquare(k, 3.0, (N,))),
        ("t_f32", lambda k: R.t(k, 5.0, (N,))),
        ("f_f32", lambda k: R.f(k, 3.0, 7.0, (N,))),
        ("generalized_normal_f32", lambda k: R.generalized_normal(k, 3.0, (N,))),
        ("dirichlet_f32", lambda k: R.dirichlet(k, jnp.array([1.0, 2.0, 3.0]), (N // 3,))),
        ("ball_f32", lambda k: R.ball(k, 3, 2.0, (N // 3,))),
    ] + discrete_dists(R) + linalg_dists(R)
    figures += [("anchor_jax_" + name, N, jax.jit(fn)) for name, fn in dists]
    only = sys.argv[2] if len(sys.argv) > 2 else None
    for name, items, fn in figures:
        if only is None or only in name:
            measure(name, "samples/s", items, fn, key, seconds)


if __name__ == "__main__":
    main()
