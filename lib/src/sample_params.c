/* keyfold — the samplers of sample.c with a parameter per element
 * (random.h, "Per-element parameters"): what jax.random computes when a
 * parameter is an array broadcast against the shape.
 *
 * jax.random's arithmetic is element-wise, so element j of a draw with
 * parameter arrays is element j of the same draw (same key, same n) with the
 * scalar parameters p[j]: each function here does, element by element, the
 * float32 operations of its scalar form in sample.c, with the same kernels'
 * scalar forms (simd.c, which every vector form reproduces bit for bit), and
 * with one value per parameter it simply calls that scalar form.
 * tests/test_sample_params.c holds them to it. */
#include <math.h>
#include <stdbool.h>

#include "bits.h"
#include "internal.h"
#include "keyfold/error.h"
#include "keyfold/random.h"
#include "keyfold/tensor.h"
#include "simd.h"
#include "special.h"

/* A parameter array is valid with 1 value (every element) or n (one each). */
static bool param_ok(const void *p, size_t p_n, size_t n) {
  if (p_n != 1 && p_n != n) return false;
  return p_n == 0 || p != NULL;
}

/* Element j's value of a parameter array of length 1 or n. */
#define AT(p, p_n, j) ((p)[(p_n) == 1 ? 0 : (j)])


int kf_random_uniform_p(kf_key key, kf_threefry_mode mode, size_t n, const float *minval,
                        size_t minval_n, const float *maxval, size_t maxval_n, float *out) {
  if (!param_ok(minval, minval_n, n) || !param_ok(maxval, maxval_n, n)) return KF_EINVAL;
  if (minval_n == 1 && maxval_n == 1)
    return kf_random_uniform(key, mode, n, minval[0], maxval[0], out);
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  for (size_t j = 0; j < minval_n; j++)
    if (!isfinite(minval[j])) return KF_EINVAL;
  for (size_t j = 0; j < maxval_n; j++)
    if (!isfinite(maxval[j])) return KF_EINVAL;
  uint32_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(key, mode, n, start, len, bits);
    for (size_t t = 0; t < len; t++) {
      const size_t j = start + t;
      const float lo = AT(minval, minval_n, j), hi = AT(maxval, maxval_n, j);
      kf__k_uniform(KF__ISA_SCALAR, &bits[t], 1, lo, hi - lo, &out[j]);
    }
  }
  return KF_OK;
}

/* One bound's derived values: erf(bound / sqrt2) (XLA's x * f32(1/sqrt2))
 * and the clip. */
typedef struct {
  float erf, clip;
} tn_bound;

static tn_bound tn_bound_of(float x, float toward) {
  const float inv_sqrt2 = 0x1.6a09e6p-1f;
  const tn_bound b = {kf__erf_f32(x * inv_sqrt2), kf__nextafter_daz(x, toward)};
  return b;
}

int kf_random_truncated_normal_p(kf_key key, kf_threefry_mode mode, size_t n, const float *lower,
                                 size_t lower_n, const float *upper, size_t upper_n, float *out) {
  if (!param_ok(lower, lower_n, n) || !param_ok(upper, upper_n, n)) return KF_EINVAL;
  if (lower_n == 1 && upper_n == 1)
    return kf_random_truncated_normal(key, mode, n, lower[0], upper[0], out);
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  for (size_t j = 0; j < lower_n; j++)
    if (isnan(lower[j])) return KF_EINVAL;
  for (size_t j = 0; j < upper_n; j++)
    if (isnan(upper[j])) return KF_EINVAL;
  const float sqrt2 = 0x1.6a09e6p+0f;
  /* A parameter with one value is derived once. */
  const tn_bound lo0 = lower_n == 1 ? tn_bound_of(lower[0], INFINITY) : (tn_bound){0, 0};
  const tn_bound hi0 = upper_n == 1 ? tn_bound_of(upper[0], -INFINITY) : (tn_bound){0, 0};
  const kf__isa isa = kf__isa_best();
  uint32_t bits[KF_BLOCK];
  float lo_clip[KF_BLOCK], hi_clip[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(key, mode, n, start, len, bits);
    /* uniform(key, shape, minval=a, maxval=b), element by element ... */
    for (size_t t = 0; t < len; t++) {
      const size_t j = start + t;
      const tn_bound lo = lower_n == 1 ? lo0 : tn_bound_of(lower[j], INFINITY);
      const tn_bound hi = upper_n == 1 ? hi0 : tn_bound_of(upper[j], -INFINITY);
      kf__k_uniform(KF__ISA_SCALAR, &bits[t], 1, lo.erf, hi.erf - lo.erf, &out[j]);
      lo_clip[t] = lo.clip;
      hi_clip[t] = hi.clip;
    }
    /* ... sqrt2 * erf_inv(u) on the whole block (infinite clips leave it
     * as it is) ... */
    kf__k_erf_inv(isa, out + start, len, sqrt2, -INFINITY, INFINITY, out + start);
    /* ... then each element's clip, as the scalar form does it. */
    for (size_t t = 0; t < len; t++) {
      float v = out[start + t];
      v = kf__tn_clip(v, lo_clip[t], hi_clip[t]);
      out[start + t] = v;
    }
  }
  return KF_OK;
}

int kf_random_bernoulli_p(kf_key key, kf_threefry_mode mode, size_t n, const float *p, size_t p_n,
                          uint8_t *out) {
  if (!param_ok(p, p_n, n)) return KF_EINVAL;
  if (p_n == 1) return kf_random_bernoulli(key, mode, n, p[0], out);
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  for (size_t j = 0; j < p_n; j++)
    if (isnan(p[j])) return KF_EINVAL;
  uint32_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(key, mode, n, start, len, bits);
    for (size_t t = 0; t < len; t++)
      kf__k_bernoulli(KF__ISA_SCALAR, &bits[t], 1, p[start + t], &out[start + t]);
  }
  return KF_OK;
}

int kf_random_bernoulli_high_p(kf_key key, kf_threefry_mode mode, size_t n, const float *p,
                               size_t p_n, uint8_t *out) {
  if (!param_ok(p, p_n, n)) return KF_EINVAL;
  if (n > KF_MAX_ELEMENTS / 2) return KF_EOVERFLOW;
  int rc = kf__sampler_check(mode, 32, 2 * n, out);
  if (rc != KF_OK) return rc;
  for (size_t j = 0; j < p_n; j++)
    if (isnan(p[j])) return KF_EINVAL;
  /* u1, u2 = uniform(key, (2, *shape)): elements j and n + j of one draw of
   * 2n; uniform over [0, 1) is the unit float itself (f * 1 + 0). */
  const float resolution = 0x1p-23f; /* 2 ** -finfo(float32).nmant */
  uint32_t b1[KF_BLOCK], b2[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(key, mode, 2 * (uint64_t)n, start, len, b1);
    kf__bits32_range(key, mode, 2 * (uint64_t)n, n + start, len, b2);
    for (size_t t = 0; t < len; t++) {
      const size_t j = start + t;
      const float u1 = kf__unit_float(b1[t]);
      const float u2 = kf__unit_float(b2[t]) * resolution;
      out[j] = u2 < AT(p, p_n, j) - u1;
    }
  }
  return KF_OK;
}

int kf_random_randint_p(kf_key key, kf_threefry_mode mode, size_t n, const int64_t *minval,
                        size_t minval_n, const int64_t *maxval, size_t maxval_n, int32_t *out) {
  if (!param_ok(minval, minval_n, n) || !param_ok(maxval, maxval_n, n)) return KF_EINVAL;
  if (minval_n == 1 && maxval_n == 1)
    return kf_random_randint(key, mode, n, minval[0], maxval[0], out);
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  kf_key k[2];
  rc = kf_split(key, mode, 2, k);
  if (rc != KF_OK) return rc;
  uint32_t hb[KF_BLOCK], lb[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(k[0], mode, n, start, len, hb);
    kf__bits32_range(k[1], mode, n, start, len, lb);
    for (size_t t = 0; t < len; t++) {
      const size_t j = start + t;
      const kf__randint_span s =
          kf__randint_span_of(AT(minval, minval_n, j), AT(maxval, maxval_n, j));
      out[j] = kf__randint_at(&s, hb[t], lb[t]);
    }
  }
  return KF_OK;
}
