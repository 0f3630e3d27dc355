/* keyfold — float32 log1p as XLA:CPU computes it (xla_log.c); not installed. */
#ifndef KEYFOLD_XLA_LOG_H
#define KEYFOLD_XLA_LOG_H

/* jax.lax.log1p on float32 as jaxlib 0.10.2 computes it on x86-64 CPUs: XLA's
 * own rational approximation for |x| < sqrt(2) - 1 and XLA's logf of 1 + x
 * elsewhere (xla-numerics.md §A.6, §A.4), denormal inputs and results read
 * as zero of their sign. Equal to real jaxlib 0.10.2 on every float32
 * (scripts/oracle/log1p-check.py --every); the vector kernels
 * (simd_kernels.c) reproduce it bit for bit. */
float kf__xla_log1pf(float x);

/* The constants, shared with the vector kernels: the numerator and the
 * denominator of log1p's rational branch (highest degree first), the bound
 * of that branch (|x| below it: sqrt(2) - 1 rounded to float), and logf's
 * polynomial P0..P8, its ln 2 split Q2 - Q1 (Q2 * e exact) and the bound of
 * its mantissa, sqrt(1/2). */
extern const float kf__xla_log1p_num[7];
extern const float kf__xla_log1p_den[7];
#define KF__XLA_LOG1P_SMALL 0.41421357f
extern const float kf__xla_log_p[9];
#define KF__XLA_LOG_Q1 (-2.12194440e-4f)
#define KF__XLA_LOG_Q2 0.693359375f
#define KF__XLA_LOG_SQRT_HALF 0.707106781186547524f /* 0x3F3504F3 */

#endif
