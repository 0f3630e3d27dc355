/* keyfold — XLA:CPU's float32 log, exp and log1p (xla_math.c); not installed. */
#ifndef KEYFOLD_XLA_MATH_H
#define KEYFOLD_XLA_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* A zero of x's sign where x is a denormal: XLA:CPU's kernels run with
 * denormals read as zero and results flushed to zero (MXCSR DAZ and FTZ; x86
 * detects a tiny result after rounding, so flushing the rounded result is
 * the same). keyfold reproduces that without touching the FPU's modes. */
static inline float kf__xla_ftz(float x) {
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  if ((b & 0x7f800000u) == 0) b &= 0x80000000u;
  memcpy(&x, &b, sizeof x);
  return x;
}

/* jax.lax.log on float32 as XLA:CPU computes it (xla-numerics.md §A.4, the
 * Cephes polynomial of GenerateVF32Log, with FMA): a denormal input reads as
 * zero (-inf), a negative or NaN one gives the NaN 0xFFFFFFFF. */
static inline float kf__xla_logf(float x);

/* jax.lax.exp on float32 as XLA:CPU computes it (§A.5, GenerateVF32Exp with
 * FMA): the input clamped to [-87.8, 88.8], denormal inputs and results read
 * and written as zero. */
static inline float kf__xla_expf(float x);

/* jax.lax.log1p on float32 as jaxlib 0.10.2 computes it on x86-64 CPUs: XLA's
 * own rational approximation for |x| < sqrt(2) - 1 and XLA's logf of 1 + x
 * elsewhere (§A.6, §A.4), denormal inputs and results read as zero of their
 * sign. Equal to real jaxlib 0.10.2 on every float32
 * (scripts/oracle/log1p-check.py --every); the vector kernels
 * (simd_kernels.c) reproduce it bit for bit. */
static inline float kf__xla_log1pf(float x);

/* The constants, shared with the vector kernels: the numerator and the
 * denominator of log1p's rational branch (highest degree first), the bound
 * of that branch (|x| below it: sqrt(2) - 1 rounded to float), and logf's
 * polynomial P0..P8, its ln 2 split Q2 - Q1 (Q2 * e exact) and the bound of
 * its mantissa, sqrt(1/2); expf's polynomial p0..p5, its input clamp, log2(e)
 * and its ln 2 split C1 + C2 (C1 * n exact). */
extern const float kf__xla_log1p_num[7];
extern const float kf__xla_log1p_den[7];
#define KF__XLA_LOG1P_SMALL 0.41421357f
extern const float kf__xla_log_p[9];
#define KF__XLA_LOG_Q1 (-2.12194440e-4f)
#define KF__XLA_LOG_Q2 0.693359375f
#define KF__XLA_LOG_SQRT_HALF 0.707106781186547524f /* 0x3F3504F3 */
extern const float kf__xla_exp_p[6];
#define KF__XLA_EXP_LO (-87.8f)
#define KF__XLA_EXP_HI 88.8f
#define KF__XLA_EXP_LOG2E 1.44269504088896341f /* 0x3FB8AA3B */
#define KF__XLA_EXP_C1 0.693359375f
#define KF__XLA_EXP_C2 (-2.12194440e-4f)

/* ------------------------------------------------------------------------
 * The definitions, inline so that the samplers' loops built for x86-64-v3
 * (target clones) compute their fmaf in line instead of calling the C
 * library's: the same bits, several times faster. Every float operation is
 * a separate float32 operation: the build disables contraction
 * (meson.build); fmaf stands exactly where XLA fuses. */

static inline uint32_t kf__xla_float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static inline float kf__xla_bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* XLA's logf (§A.4, GenerateVF32Log) of a float that is not a denormal
 * (those are read as zero first: kf__xla_logf). */
static inline float kf__xla_logf_normal(float a) {
  const float *p = kf__xla_log_p;
  if (isnan(a) || a < 0.0f) return kf__xla_bits_float(0xffffffffu);
  if (a == 0.0f) return -INFINITY;
  if (a == INFINITY) return INFINITY;
  const float tiny = 0x1p-126f;
  const uint32_t b = kf__xla_float_bits(tiny >= a ? tiny : a);
  /* a = m * 2^e with m in [0.5, 1) (then [sqrt(1/2), sqrt(2)) below). */
  float e = 1.0f + (float)((int32_t)((b >> 23) & 0xffu) - 127);
  const float m = kf__xla_bits_float((b & 0x807fffffu) | 0x3f000000u);
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

static inline float kf__xla_logf(float x) { return kf__xla_logf_normal(kf__xla_ftz(x)); }

static inline float kf__xla_log1pf(float x) {
  x = kf__xla_ftz(x);
  /* |x| >= sqrt(2) - 1 or NaN: logf of 1 + x (never a denormal). */
  if (!(fabsf(x) < KF__XLA_LOG1P_SMALL)) return kf__xla_logf_normal(x + 1.0f);
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
static inline float kf__xla_expf(float x) {
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
  const float scale = kf__xla_bits_float((uint32_t)(ni + 127) << 23);
  return kf__xla_ftz(z * scale);
}

#endif
