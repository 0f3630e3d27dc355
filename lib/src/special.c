/* keyfold — the float32 primitives of the samplers: the unit float of
 * uniform, and erf_inv and erf as XLA:CPU evaluates them (jax-random.md
 * §8, §13.2–§13.4). Every literal is a float32 constant and every step a
 * float32 operation; fmaf stands exactly where XLA fuses. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "special.h"
#include "xla_math.h"

float kf__unit_float(uint32_t bits) {
  /* 23 random mantissa bits under the exponent of 1.0, minus 1: exact. */
  const uint32_t fbits = (bits >> 9) | 0x3F800000u;
  float f;
  memcpy(&f, &fbits, sizeof f);
  return f - 1.0f;
}

/* uniform's affine step and clamp (§8) with the bounds folded: span 1 gives
 * fma(f, 1, lo) = f + lo. */
float kf__exponential_f32(uint32_t bits) {
  /* u = max(0, f) = f; -u is -0 for u = 0, and log1p(-0) = -0. */
  return -kf__xla_log1pf(-kf__unit_float(bits));
}

float kf__gumbel_f32(uint32_t bits) {
  /* u = max(tiny, f + tiny) is max(tiny, f): f >= 2^-23 swallows tiny
   * (XLA's simplifier drops the add too). */
  const float f = kf__unit_float(bits);
  const float u = (KF__TINY > f) ? KF__TINY : f;
  return -kf__xla_logf(-kf__xla_logf(u));
}

float kf__laplace_f32(uint32_t bits) {
  /* The span 1 - (-1 + 2^-24) rounds to 2; 2f + lo is exact and never 0. */
  const float v = fmaf(kf__unit_float(bits), 2.0f, KF__LAPLACE_LO);
  const float u = (KF__LAPLACE_LO > v) ? KF__LAPLACE_LO : v;
  const float l = kf__xla_log1pf(-fabsf(u));
  /* lax.sign(u) * l with sign(u) = +-1: the product is +-l exactly. */
  return u > 0.0f ? l : -l;
}

float kf__logistic_f32(uint32_t bits) {
  const float f = kf__unit_float(bits);
  const float u = (KF__TINY > f) ? KF__TINY : f;
  return kf__xla_logf(u) - kf__xla_log1pf(-u);
}

float kf__triangular_f32(float u, const kf__triangle *tri) {
  const float lower = kf__xla_ftz(tri->l + sqrtf(kf__xla_ftz(kf__xla_ftz(u * tri->w) * tri->ml)));
  const float upper =
      kf__xla_ftz(tri->r - sqrtf(kf__xla_ftz(kf__xla_ftz((1.0f - u) * tri->w) * tri->rm)));
  return (u < tri->fc) ? lower : upper;
}

float kf__wald_f32(float m, float v, float z) {
  const float y = kf__xla_ftz(v * v);
  const float msq = kf__xla_ftz(m * m);
  const float st = sqrtf(kf__xla_ftz(fmaf(kf__xla_ftz(4.0f * m), y, kf__xla_ftz(msq * kf__xla_ftz(y * y)))));
  const float x = kf__xla_ftz(fmaf(-kf__xla_ftz(m * 0.5f), st, kf__xla_ftz(fmaf(kf__xla_ftz(msq * y), 0.5f, m))));
  return (z <= kf__xla_ftz(m / kf__xla_ftz(m + x))) ? x : kf__xla_ftz(msq / x);
}

/* Giles (2010) single-precision coefficients, c0 first (StableHLO erfInv32). */
const float kf__erf_inv_small[9] = {
  2.81022636e-08f, 3.43273939e-07f, -3.5233877e-06f, -4.39150654e-06f, 2.1858087e-04f,
  -1.25372503e-03f, -4.17768164e-03f, 2.46640727e-01f, 1.50140941f,
};
const float kf__erf_inv_large[9] = {
  -2.00214257e-04f, 1.00950558e-04f, 1.34934322e-03f, -3.67342844e-03f, 5.73950773e-03f,
  -7.6224613e-03f, 9.43887047e-03f, 1.00167406f, 2.83297682f,
};

float kf__erf_inv_f32(float x) {
  /* The product is rounded to float before log1p (§13.4): log1p of the exact
   * -x^2 breaks published values. log1p is XLA's own (xla_math.c). */
  const float t = x * -x;
  const float w = -kf__xla_log1pf(t);
  const int small = w < 5.0f;
  /* XLA computes both branches and selects one; computing only the selected
   * branch gives the same bits. */
  const float ws = small ? w - 2.5f : sqrtf(w) - 3.0f;
  const float *c = small ? kf__erf_inv_small : kf__erf_inv_large;
  float p = c[0];
  for (int i = 1; i < 9; i++) p = fmaf(p, ws, c[i]);
  const float r = p * x;
  return fabsf(x) == 1.0f ? x * INFINITY : r;
}

/* XLA:CPU's erf kernel (Eigen's generic_fast_erf_float): odd numerator over
 * even denominator, explicit fmas. The clamp to +-1 is where jaxlib 0.10.2
 * puts it for truncated_normal's bounds, |x| >= 0x1.df38dp+1 (3.7439213,
 * StableHLO's erf clamp; measured by bisection on jax.lax.erf of a scalar and
 * through truncated_normal with scalar and array bounds), not the 3.8325 of
 * the legacy kernel that a standalone erf of a large array still uses:
 * there, for 3.7439 <= |x| < 3.8325, the rational is below 1. */
float kf__erf_f32(float x) {
  const float a1 = (float)1.128379143519084, a3 = (float)0.18520832239976145,
              a5 = (float)0.050955695062380861, a7 = (float)0.0034082910107109506,
              a9 = (float)0.00022905065861350646;
  const float b0 = 1.0f, b2 = (float)0.49746925110067538, b4 = (float)0.11098505178285362,
              b6 = (float)0.014070470171167667, b8 = (float)0.0010179625278914885,
              b10 = (float)0.000023547966471313185, b12 = (float)-1.1791602954361697e-7;
  const float clamp_at = 0x1.df38dp+1f; /* 3.74392128 */

  const int clamp = clamp_at <= fabsf(x);
  const float x2 = x * x;
  float p = fmaf(x2, a9, a7);
  p = fmaf(x2, p, a5);
  p = fmaf(x2, p, a3);
  p = fmaf(x2, p, a1);
  p = x * p;
  float q = fmaf(x2, b12, b10);
  q = fmaf(x2, q, b8);
  q = fmaf(x2, q, b6);
  q = fmaf(x2, q, b4);
  q = fmaf(x2, q, b2);
  q = fmaf(x2, q, b0);
  return clamp ? copysignf(1.0f, x) : p / q;
}

float kf__nextafter_daz(float from, float toward) {
  const float b = nextafterf(from, toward);
  return (b != 0.0f && fabsf(b) < FLT_MIN) ? copysignf(0.0f, b) : b;
}
