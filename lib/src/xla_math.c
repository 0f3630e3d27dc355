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
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "xla_math.h"

static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

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

/* XLA's logf (§A.4, GenerateVF32Log) of a float that is not a denormal
 * (those are read as zero first: kf__xla_logf). */
static float xla_logf(float a) {
  const float *p = kf__xla_log_p;
  if (isnan(a) || a < 0.0f) return bits_float(0xffffffffu);
  if (a == 0.0f) return -INFINITY;
  if (a == INFINITY) return INFINITY;
  const float tiny = 0x1p-126f;
  const uint32_t b = float_bits(tiny >= a ? tiny : a);
  /* a = m * 2^e with m in [0.5, 1) (then [sqrt(1/2), sqrt(2)) below). */
  float e = 1.0f + (float)((int32_t)((b >> 23) & 0xffu) - 127);
  const float m = bits_float((b & 0x807fffffu) | 0x3f000000u);
  float x;
  if (m < KF__XLA_LOG_SQRT_HALF) {
    e = e - 1.0f;
    x = (m - 1.0f) + m; /* exact: 2m - 1 */
  } else {
    x = m - 1.0f; /* exact */
  }
  const float x2 = x * x, x3 = x2 * x;
  float y = fmaf(x, p[0], p[1]), y1 = fmaf(x, p[3], p[4]), y2 = fmaf(x, p[6], p[7]);
  y = fmaf(y, x, p[2]);
  y1 = fmaf(y1, x, p[5]);
  y2 = fmaf(y2, x, p[8]);
  y = fmaf(y, x3, y1);
  y = fmaf(y, x3, y2);
  y = fmaf(y, x3, KF__XLA_LOG_Q1 * e); /* Q1 * e rounded, y * x3 fused */
  float r = x - 0.5f * x2;
  r = r + y;
  return r + KF__XLA_LOG_Q2 * e; /* Q2 * e exact */
}

float kf__xla_logf(float x) { return xla_logf(kf__xla_ftz(x)); }

float kf__xla_log1pf(float x) {
  x = kf__xla_ftz(x);
  /* |x| >= sqrt(2) - 1 or NaN: logf of 1 + x (never a denormal). */
  if (!(fabsf(x) < KF__XLA_LOG1P_SMALL)) return xla_logf(x + 1.0f);
  const float x2 = x * x;
  float den = kf__xla_log1p_den[0], num = kf__xla_log1p_num[0];
  for (int i = 1; i < 7; i++) {
    den = fmaf(den, x, kf__xla_log1p_den[i]);
    num = fmaf(num, x, kf__xla_log1p_num[i]);
  }
  const float r = num / den;
  const float a = x * x2;
  return kf__xla_ftz(x + (a * r - 0.5f * x2));
}

/* XLA's expf (§A.5, GenerateVF32Exp): Cephes' exp with n = round(x / ln 2)
 * clamped to [-127, 127] and x - n ln 2 in two fused steps. A NaN goes
 * through the clamps (each keeps x unless x compares beyond the bound) and
 * the polynomial as a NaN. */
float kf__xla_expf(float x) {
  const float *p = kf__xla_exp_p;
  x = kf__xla_ftz(x);
  x = (x < KF__XLA_EXP_LO) ? KF__XLA_EXP_LO : x;
  x = (x > KF__XLA_EXP_HI) ? KF__XLA_EXP_HI : x;
  float n = floorf(fmaf(x, KF__XLA_EXP_LOG2E, 0.5f));
  n = (n < -127.0f) ? -127.0f : n;
  n = (n > 127.0f) ? 127.0f : n;
  float r = fmaf(-KF__XLA_EXP_C1, n, x);
  r = fmaf(-KF__XLA_EXP_C2, n, r);
  float z = fmaf(r, p[0], p[1]);
  z = fmaf(z, r, p[2]);
  z = fmaf(z, r, p[3]);
  z = fmaf(z, r, p[4]);
  z = fmaf(z, r, p[5]);
  z = fmaf(z, r * r, r);
  z = z + 1.0f;
  /* 2^n from its exponent field; n = -127 gives the bits of 0.0. A NaN n
   * converts as x86's cvttss2si does (INT32_MIN), whose field is 2^0. */
  const int32_t ni = isnan(n) ? INT32_MIN : (int32_t)n;
  const float scale = bits_float((uint32_t)(ni + 127) << 23);
  return kf__xla_ftz(z * scale);
}
