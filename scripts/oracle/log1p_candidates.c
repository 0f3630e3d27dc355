/* Candidates for XLA:CPU's float32 log1p, compared with a real jaxlib by
 * scripts/oracle/log1p-check.py (test tooling only; built by that script into
 * a temporary shared object, loaded with ctypes).
 *
 *   keyfold   keyfold's lib/src/xla_math.c (what keyfold uses: XLA's approximation
 *             as jaxlib 0.10.2 rounds it, variant 1 below)
 *   libm      the C library's log1pf of the machine running the check (glibc
 *             2.36's on Debian 12: what keyfold used before)
 *   xla       XLA's own rational approximation, xla-numerics.md §A.6 (with the
 *             logf of §A.4 for |x| >= sqrt(2) - 1), FMA where the notes fuse;
 *             denormal inputs and outputs flushed to zero, as XLA:CPU runs
 *   xla_*     variants of its rational branch's rounding (below)
 *
 * Built with -ffp-contract=off: every fmaf below is written out. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/src/xla_math.c"

static float from_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

static uint32_t to_bits(float f) {
  uint32_t b;
  memcpy(&b, &f, sizeof b);
  return b;
}

/* xla-numerics.md §A.4 */
static float model_logf(float a) {
  if (isnan(a) || a < 0) return from_bits(0xFFFFFFFFu);
  if (a == 0) return -INFINITY;
  if (isinf(a)) return INFINITY;
  const float P0 = 7.0376836292E-2f, P1 = -1.1514610310E-1f, P2 = 1.1676998740E-1f,
              P3 = -1.2420140846E-1f, P4 = 1.4249322787E-1f, P5 = -1.6668057665E-1f,
              P6 = 2.0000714765E-1f, P7 = -2.4999993993E-1f, P8 = 3.3333331174E-1f;
  const float Q1 = -2.12194440e-4f, Q2 = 0.693359375f, SQRTHF = from_bits(0x3F3504F3u);
  const float tiny = from_bits(0x00800000u); /* 2^-126 */
  float t = (tiny >= a) ? tiny : a;
  uint32_t b = to_bits(t);
  int E = (int)((b >> 23) & 0xFF);
  float e = 1.0f + (float)(E - 127);
  float m = from_bits((b & 0x807FFFFFu) | 0x3F000000u);
  float x;
  if (m < SQRTHF) {
    e = e - 1.0f;
    x = (m - 1.0f) + m;
  } else {
    x = m - 1.0f;
  }
  float x2 = x * x;
  float x3 = x2 * x;
  float y = fmaf(x, P0, P1), y1 = fmaf(x, P3, P4), y2 = fmaf(x, P6, P7);
  y = fmaf(y, x, P2);
  y1 = fmaf(y1, x, P5);
  y2 = fmaf(y2, x, P8);
  y = fmaf(y, x3, y1);
  y = fmaf(y, x3, y2);
  float q1e = Q1 * e;
  y = fmaf(y, x3, q1e);
  float r = x - 0.5f * x2;
  r = r + y;
  r = r + Q2 * e;
  return r;
}

static float daz(float x) { return fpclassify(x) == FP_SUBNORMAL ? copysignf(0.0f, x) : x; }

/* xla-numerics.md §A.6. variant: 0 as written (FMA in Horner and in s);
 * 1 s unfused: x + (round(A*r) - 0.5*x2); 2 no FMA anywhere (Horner and s);
 * 3 the other association, fused: fma(A, r, x) - 0.5*x2. */
static float xla_log1pf_v(float x, int variant) {
  static const double Dd[7] = {1, 15.062909083469192043167, 83.047565967967209469434,
                               221.76239823732856465394, 309.09872225312059774938,
                               216.42788614495947685003, 60.118660497603843919306};
  static const double Nd[7] = {4.5270000862445199635215E-5, 0.49854102823193375972212,
                               6.5787325942061044846969, 29.911919328553073277375,
                               60.949667980987787057556, 57.112963590585538103336,
                               20.039553499201281259648};
  float large = model_logf(x + 1.0f);
  float x2 = x * x;
  float den = (float)Dd[0], num = (float)Nd[0];
  for (int i = 1; i < 7; i++) {
    if (variant == 2) {
      den = den * x + (float)Dd[i];
      num = num * x + (float)Nd[i];
    } else {
      den = fmaf(den, x, (float)Dd[i]);
      num = fmaf(num, x, (float)Nd[i]);
    }
  }
  float r = num / den;
  float A = x * x2;
  float s;
  if (variant == 0) s = x + fmaf(A, r, -(0.5f * x2));
  else if (variant == 3) s = fmaf(A, r, x) - 0.5f * x2;
  else s = x + (A * r - 0.5f * x2);
  return (fabsf(x) < 0.41421357f) ? s : large;
}

static float xla_log1pf(float x) { return daz(xla_log1pf_v(daz(x), 0)); }

void cand_keyfold(const float *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = kf__xla_log1pf(in[i]);
}

void cand_libm(const float *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = log1pf(in[i]);
}

void cand_xla(const float *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = xla_log1pf(in[i]);
}

/* Variants of the rational branch, to tell how a jaxlib evaluates it. */
void cand_xla_s_unfused(const float *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = daz(xla_log1pf_v(daz(in[i]), 1));
}

void cand_xla_no_fma(const float *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = daz(xla_log1pf_v(daz(in[i]), 2));
}

void cand_xla_s_x_first(const float *in, float *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = daz(xla_log1pf_v(daz(in[i]), 3));
}
