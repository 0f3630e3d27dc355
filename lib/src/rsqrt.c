/* keyfold — XLA:CPU's float32 rsqrt (rsqrt.h). jaxlib >= 0.7.1 lowers every
 * rsqrt on an x86 host with AVX to the hardware estimate plus Newton steps
 * (XLA's codegen/intrinsic/rsqrt.cc), so its results depend on the CPU
 * vendor's estimate table; this file reproduces Intel's from a table instead
 * of executing rsqrtss, so keyfold gives jaxlib-on-Intel's bits on any CPU. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "rsqrt.h"

float kf__rsqrt_estimate_intel(float x) {
  uint32_t b, r;
  memcpy(&b, &x, sizeof b);
  const uint32_t e = (b >> 23) & 0xFFu;
  if (e == 0xFF && (b & 0x7FFFFFu)) {
    r = b | 0x400000u; /* NaN: quieted, sign and payload kept */
  } else if (e == 0) {
    r = (b & 0x80000000u) | 0x7F800000u; /* +-0 and denormals: +-inf */
  } else if (b >> 31) {
    r = 0xFFC00000u; /* negative: the default NaN */
  } else if (e == 0xFF) {
    r = 0; /* +inf */
  } else {
    /* The estimate of x * 4^k is the estimate of x over 2^k: the table holds
     * exponents 126 and 127, and k moves the result's exponent. */
    const int32_t ref = (e & 1u) ? 127 : 126;
    const uint32_t t = kf__rsqrt_intel_table[((e & 1u) << 10) | ((b >> 13) & 1023u)];
    r = (uint32_t)((int32_t)t - ((int32_t)e - ref) / 2 * (1 << 23));
  }
  float y;
  memcpy(&y, &r, sizeof y);
  return y;
}

float kf__xla_rsqrtf(float x, kf_rsqrt_mode mode) {
  if (mode != KF_RSQRT_INTEL_NR2) return 1.0f / sqrtf(x);
  float y = kf__rsqrt_estimate_intel(x);
  if (x < FLT_MIN || x == INFINITY) return y;
  for (int step = 0; step < 2; step++) {
    const float h = fmaf(x * y, y, -1.0f);
    y = fmaf(-0.5f * y, h, y);
  }
  return y;
}
