/* keyfold — XLA:CPU's float32 log, exp and log1p (xla_math.c); not installed. */
#ifndef KEYFOLD_XLA_MATH_H
#define KEYFOLD_XLA_MATH_H

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
float kf__xla_logf(float x);

/* jax.lax.exp on float32 as XLA:CPU computes it (§A.5, GenerateVF32Exp with
 * FMA): the input clamped to [-87.8, 88.8], denormal inputs and results read
 * and written as zero. */
float kf__xla_expf(float x);

/* jax.lax.log1p on float32 as jaxlib 0.10.2 computes it on x86-64 CPUs: XLA's
 * own rational approximation for |x| < sqrt(2) - 1 and XLA's logf of 1 + x
 * elsewhere (§A.6, §A.4), denormal inputs and results read as zero of their
 * sign. Equal to real jaxlib 0.10.2 on every float32
 * (scripts/oracle/log1p-check.py --every); the vector kernels
 * (simd_kernels.c) reproduce it bit for bit. */
float kf__xla_log1pf(float x);

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

#endif
