/* keyfold — log1pf as glibc 2.36 computes it (jax-random.md §13.4).
 *
 * erf_inv's log1p decides the last bits of every normal and truncated-normal
 * sample. keyfold's reference is glibc 2.36's log1pf, the SunPro/fdlibm
 * float algorithm; newer C libraries (glibc >= 2.41) return the correctly
 * rounded value instead, which changes 0.6% of samples. Carrying the
 * algorithm here keeps the samples the same under any C library and gives
 * the vector kernels (simd_kernels.c) one scalar definition to agree with.
 * Every float operation below is a separate float32 operation: the build
 * disables contraction (meson.build), as glibc's generic x86-64 build has it.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "log1pf.h"

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

/* ln 2 split so that k * ln2_hi is exact for |k| < 2^8. */
static const float ln2_hi = 6.9313812256e-01f; /* 0x3f317180 */
static const float ln2_lo = 9.0580006145e-06f; /* 0x3717f7d1 */

float kf__log1pf(float x) {
  /* log(1 + f) = 2s + 2s^3/3 + ... with s = f / (2 + f): Lp1..Lp7 are the
   * fdlibm minimax coefficients of that series in s^2. */
  static const float lp[7] = {6.6666668653e-01f, 4.0000000596e-01f, 2.8571429849e-01f,
                              2.2222198546e-01f, 1.8183572590e-01f, 1.5313838422e-01f,
                              1.4798198640e-01f};
  const int32_t hx = (int32_t)float_bits(x);
  const int32_t ax = hx & 0x7fffffff;
  int32_t k = 1, hu = 0;
  float f = 0.0f, c = 0.0f;

  if (hx < 0x3ed413d7) { /* x < 0.41422 */
    if (ax >= 0x3f800000) return x == -1.0f ? -INFINITY : NAN; /* x <= -1 */
    if (ax < 0x31000000) {                                     /* |x| < 2^-29 */
      if (ax < 0x24800000) return x;                           /* |x| < 2^-54 */
      return x - x * x * 0.5f;
    }
    if (hx > 0 || hx <= (int32_t)0xbe95f61f) { /* -0.2929 < x < 0.41422: no reduction */
      k = 0;
      f = x;
      hu = 1;
    }
  } else if (hx >= 0x7f800000) {
    return x + x; /* +inf, NaN */
  }
  if (k != 0) {
    float u;
    if (hx < 0x5a000000) {
      u = 1.0f + x;
      hu = (int32_t)float_bits(u);
      k = (hu >> 23) - 127;
      /* The rounding error of 1 + x, carried as a correction term. */
      c = (k > 0) ? 1.0f - (u - x) : x - (u - 1.0f);
      c /= u;
    } else {
      u = x;
      hu = (int32_t)float_bits(u);
      k = (hu >> 23) - 127;
      c = 0.0f;
    }
    hu &= 0x007fffff;
    if (hu < 0x3504f7) { /* u's mantissa below sqrt(2): f = u / 2^k - 1 */
      u = bits_float((uint32_t)hu | 0x3f800000u);
    } else { /* above: f = u / 2^(k+1) - 1 */
      k += 1;
      u = bits_float((uint32_t)hu | 0x3f000000u);
      hu = (0x00800000 - hu) >> 2;
    }
    f = u - 1.0f;
  }
  const float hfsq = 0.5f * f * f;
  if (hu == 0) { /* |f| < 2^-20 */
    if (f == 0.0f) {
      if (k == 0) return 0.0f;
      c += (float)k * ln2_lo;
      return (float)k * ln2_hi + c;
    }
    const float r = hfsq * (1.0f - 0.66666666666666666f * f);
    if (k == 0) return f - r;
    return (float)k * ln2_hi - ((r - ((float)k * ln2_lo + c)) - f);
  }
  const float s = f / (2.0f + f);
  const float z = s * s;
  float r = lp[6];
  for (int i = 5; i >= 0; i--) r = lp[i] + z * r;
  r = z * r;
  if (k == 0) return f - (hfsq - s * (hfsq + r));
  return (float)k * ln2_hi - ((hfsq - (s * (hfsq + r) + ((float)k * ln2_lo + c))) - f);
}
