/* keyfold — XLA:CPU's own float32 transcendental functions: log
 * (xla-numerics.md §A.4), exp (§A.5) and log1p (§A.6), as jaxlib 0.10.2
 * computes them on x86-64 with FMA.
 *
 * They are not the C library's: XLA rewrites calls to logf and expf into its
 * own polynomials after LLVM's optimisation, and emits its own log1p. The
 * samplers reach them through jax.lax.log (gumbel, logistic, rayleigh,
 * geometric), jax.lax.exp (pareto, lognormal) and jax.lax.log1p
 * (exponential, laplace, weibull_min, gumbel's high modes, erf_inv).
 *
 * erf_inv's log1p decides the last bits of every normal and truncated-normal
 * sample. jax.lax.log1p on CPU is not the C library's log1pf: XLA emits its
 * own rational approximation for |x| < sqrt(2) - 1 and its own logf of 1 + x
 * elsewhere, computes both and selects one. Which float operations it fuses
 * into FMAs depends on the jaxlib: keyfold follows jaxlib 0.10.2 (the newest
 * release, the oracle of the tests), whose rational branch is
 *
 *   s = x + (round(A * r) - 0.5 * x2)       A = x * x2, r = num / den
 *
 * with the Horner steps of num and den fused; jaxlib 0.6.2 fuses A * r into
 * the subtraction instead, which changes a few results by 1 ulp
 * (docs/testing.md "log1p"). XLA:CPU runs with denormals read and written as
 * zero (MXCSR DAZ and FTZ): inputs and results below 2^-126 in magnitude are
 * taken as a zero of their sign here, without touching the FPU's modes.
 *
 * Every float operation below is a separate float32 operation: the build
 * disables contraction (meson.build); fmaf stands exactly where XLA fuses. */
#include "xla_math.h"

/* Rounded to float32 from XLA's double constants (each the same float as the
 * literal written here). */
const float kf__xla_log1p_num[7] = {
  4.5270000862445199635215e-5f, 0.49854102823193375972212f, 6.5787325942061044846969f,
  29.911919328553073277375f,    60.949667980987787057556f,  57.112963590585538103336f,
  20.039553499201281259648f,
};
const float kf__xla_log1p_den[7] = {
  1.0f,                      15.062909083469192043167f, 83.047565967967209469434f,
  221.76239823732856465394f, 309.09872225312059774938f, 216.42788614495947685003f,
  60.118660497603843919306f,
};
const float kf__xla_exp_p[6] = {
  1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f, 1.6666665459e-1f,
  5.0000001201e-1f,
};
const float kf__xla_log_p[9] = {
  7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,  -1.2420140846e-1f, 1.4249322787e-1f,
  -1.6668057665e-1f, 2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f,
};
