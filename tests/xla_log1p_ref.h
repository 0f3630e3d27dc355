/* The reference for keyfold's log1p (lib/src/xla_math.c) in tests/test_simd.c:
 * XLA's float32 log1p as jaxlib 0.10.2 computes it on x86-64 (xla-numerics.md
 * §A.6 with the logf of §A.4), transcribed again from the notes in the style
 * of scripts/oracle/log1p_candidates.c, without the library's code: the
 * constants as XLA writes them (doubles, rounded to float when used), the
 * exponent by frexpf, denormals by fpclassify. Compiled with the project's
 * -ffp-contract=off: the fmaf calls are the only fused operations.
 *
 * jaxlib 0.10.2 evaluates the rational branch's sum as
 * x + (round(A*r) - 0.5*x2); jaxlib 0.6.2 fused A*r into it
 * (x + fma(A, r, -0.5*x2)), which xla_log1p_ref_fused gives. */
#ifndef KEYFOLD_TESTS_XLA_LOG1P_REF_H
#define KEYFOLD_TESTS_XLA_LOG1P_REF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static float ref_nan_all_ones(void) {
  const uint32_t b = 0xFFFFFFFFu;
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

/* DAZ and FTZ: XLA:CPU reads and writes denormals as zeros of their sign. */
static float ref_flush(float x) { return fpclassify(x) == FP_SUBNORMAL ? copysignf(0.0f, x) : x; }

/* §A.4, for a normal, zero, infinite, negative or NaN argument. */
static float ref_xla_logf(float a) {
  static const double P[9] = {7.0376836292E-2,  -1.1514610310E-1, 1.1676998740E-1,
                              -1.2420140846E-1, 1.4249322787E-1,  -1.6668057665E-1,
                              2.0000714765E-1,  -2.4999993993E-1, 3.3333331174E-1};
  const float Q1 = (float)-2.12194440e-4, Q2 = (float)0.693359375,
              SQRTHF = (float)0.707106781186547524;
  if (isnan(a) || a < 0) return ref_nan_all_ones();
  if (a == 0) return -INFINITY;
  if (isinf(a)) return INFINITY;
  int E;
  float m = frexpf(a, &E); /* a = m 2^E, m in [0.5, 1) */
  float e = (float)E, x;
  if (m < SQRTHF) {
    e = e - 1.0f;
    x = (m - 1.0f) + m;
  } else {
    x = m - 1.0f;
  }
  const float x2 = x * x, x3 = x2 * x;
  float y = fmaf(x, (float)P[0], (float)P[1]);
  float y1 = fmaf(x, (float)P[3], (float)P[4]);
  float y2 = fmaf(x, (float)P[6], (float)P[7]);
  y = fmaf(y, x, (float)P[2]);
  y1 = fmaf(y1, x, (float)P[5]);
  y2 = fmaf(y2, x, (float)P[8]);
  y = fmaf(y, x3, y1);
  y = fmaf(y, x3, y2);
  const float q1e = Q1 * e;
  y = fmaf(y, x3, q1e);
  float r = x - 0.5f * x2;
  r = r + y;
  return r + Q2 * e;
}

/* §A.6's rational branch, for |x| < sqrt(2) - 1. */
static float ref_xla_log1pf_small(float x, int fused) {
  static const double D[7] = {1, 15.062909083469192043167, 83.047565967967209469434,
                              221.76239823732856465394, 309.09872225312059774938,
                              216.42788614495947685003, 60.118660497603843919306};
  static const double N[7] = {4.5270000862445199635215E-5, 0.49854102823193375972212,
                              6.5787325942061044846969,    29.911919328553073277375,
                              60.949667980987787057556,    57.112963590585538103336,
                              20.039553499201281259648};
  const float x2 = x * x;
  float den = (float)D[0], num = (float)N[0];
  for (int i = 1; i < 7; i++) {
    den = fmaf(den, x, (float)D[i]);
    num = fmaf(num, x, (float)N[i]);
  }
  const float r = num / den;
  const float A = x * x2;
  return fused ? x + fmaf(A, r, -(0.5f * x2)) : x + (A * r - 0.5f * x2);
}

/* §A.6: XLA computes both branches and selects one; computing only the
 * selected one gives the same bits (and halves the tests' time). */
static float ref_xla_log1pf_v(float x, int fused) {
  x = ref_flush(x);
  return ref_flush(fabsf(x) < (float)0.41421356237309504880 ? ref_xla_log1pf_small(x, fused)
                                                             : ref_xla_logf(x + 1.0f));
}

/* jaxlib 0.10.2 (what keyfold follows). */
static float xla_log1p_ref(float x) { return ref_xla_log1pf_v(x, 0); }

/* jaxlib 0.6.2. */
static float xla_log1p_ref_fused(float x) { return ref_xla_log1pf_v(x, 1); }

#endif
