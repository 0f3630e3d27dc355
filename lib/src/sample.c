/* keyfold — float32 and integer samplers (jax-random.md §8–§12). */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "bits.h"
#include "internal.h"
#include "keyfold/error.h"
#include "keyfold/random.h"
#include "keyfold/tensor.h"
#include "simd.h"
#include "special.h"

/* uniform's affine step (§8): XLA:CPU fuses f * span + lo, then clamps below
 * by lo. Shared by uniform, normal, truncated_normal and bernoulli. When
 * post is given, each block then goes through scale * erf_inv and the clip
 * while it is still in cache (normal, truncated_normal). */
typedef struct {
  float scale, clip_lo, clip_hi;
} erf_inv_post;

static void uniform_fill(kf_key key, kf_threefry_mode mode, size_t n, float lo, float hi,
                         const erf_inv_post *post, float *out) {
  const float span = hi - lo;
  const kf__isa isa = kf__isa_best();
  uint32_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(key, mode, n, start, len, bits);
    kf__k_uniform(isa, bits, len, lo, span, out + start);
    if (post)
      kf__k_erf_inv(isa, out + start, len, post->scale, post->clip_lo, post->clip_hi,
                    out + start);
  }
}

int kf_random_uniform(kf_key key, kf_threefry_mode mode, size_t n, float minval, float maxval,
                      float *out) {
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  if (!isfinite(minval) || !isfinite(maxval)) return KF_EINVAL;
  uniform_fill(key, mode, n, minval, maxval, NULL, out);
  return KF_OK;
}

int kf_random_uniform_f64(kf_key key, kf_threefry_mode mode, size_t n, double minval,
                          double maxval, double *out) {
  int rc = kf__sampler_check(mode, 64, n, out);
  if (rc != KF_OK) return rc;
  if (!isfinite(minval) || !isfinite(maxval)) return KF_EINVAL;
  const double span = maxval - minval;
  uint64_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits64_range(key, mode, n, start, len, bits);
    for (size_t t = 0; t < len; t++) {
      const uint64_t fbits = (bits[t] >> 12) | 0x3FF0000000000000u;
      double f;
      memcpy(&f, &fbits, sizeof f);
      const double v = fma(f - 1.0, span, minval);
      out[start + t] = (minval > v) ? minval : v;
    }
  }
  return KF_OK;
}

int kf_random_normal(kf_key key, kf_threefry_mode mode, size_t n, float *out) {
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  /* u in [nextafter(-1, 0), 1): |u| is never 1. 1 - lo rounds to exactly 2. */
  const float lo = nextafterf(-1.0f, 0.0f);
  const float sqrt2 = 0x1.6a09e6p+0f; /* f32(sqrt(2)) = 1.4142135 */
  const erf_inv_post post = {sqrt2, -INFINITY, INFINITY};
  uniform_fill(key, mode, n, lo, 1.0f, &post, out);
  return KF_OK;
}

int kf_random_truncated_normal(kf_key key, kf_threefry_mode mode, size_t n, float lower,
                               float upper, float *out) {
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  if (isnan(lower) || isnan(upper)) return KF_EINVAL;
  const float sqrt2 = 0x1.6a09e6p+0f;      /* f32(sqrt(2)) */
  const float inv_sqrt2 = 0x1.6a09e6p-1f;  /* f32(1/sqrt(2)) = 0.70710677 */
  /* XLA rewrites x / sqrt2 as x * f32(1 / sqrt2) for non-constant x (§10). */
  const float a = kf__erf_f32(lower * inv_sqrt2);
  const float b = kf__erf_f32(upper * inv_sqrt2);
  const float lo_clip = kf__nextafter_daz(lower, INFINITY);
  const float hi_clip = kf__nextafter_daz(upper, -INFINITY);
  const erf_inv_post post = {sqrt2, lo_clip, hi_clip};
  uniform_fill(key, mode, n, a, b, &post, out);
  return KF_OK;
}

int kf_random_bernoulli(kf_key key, kf_threefry_mode mode, size_t n, float p, uint8_t *out) {
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  if (isnan(p)) return KF_EINVAL;
  const kf__isa isa = kf__isa_best();
  uint32_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(key, mode, n, start, len, bits);
    /* uniform with the default bounds is exactly the unit float. */
    kf__k_bernoulli(isa, bits, len, p, out + start);
  }
  return KF_OK;
}

/* randint64's span arithmetic (§12), kf__randint_span_of's on 64-bit words:
 * XLA's x rem 0 is x, and mult * mult wraps. */
#define KF_REM(x, s) ((s) == 0 ? (x) : (x) % (s))

int kf_random_randint(kf_key key, kf_threefry_mode mode, size_t n, int64_t minval, int64_t maxval,
                      int32_t *out) {
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  kf_key k[2];
  rc = kf_split(key, mode, 2, k);
  if (rc != KF_OK) return rc;
  const kf__randint_span span = kf__randint_span_of(minval, maxval);
  uint32_t hb[KF_BLOCK], lb[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(k[0], mode, n, start, len, hb);
    kf__bits32_range(k[1], mode, n, start, len, lb);
    for (size_t t = 0; t < len; t++) out[start + t] = kf__randint_at(&span, hb[t], lb[t]);
  }
  return KF_OK;
}

int kf_random_randint64(kf_key key, kf_threefry_mode mode, size_t n, int64_t minval,
                        int64_t maxval, int64_t *out) {
  int rc = kf__sampler_check(mode, 64, n, out);
  if (rc != KF_OK) return rc;
  kf_key k[2];
  rc = kf_split(key, mode, 2, k);
  if (rc != KF_OK) return rc;
  uint64_t span = (uint64_t)maxval - (uint64_t)minval;
  if (maxval <= minval) span = 1;
  uint64_t mult = KF_REM((uint64_t)1u << 32, span);
  mult = KF_REM((uint64_t)(mult * mult), span);
  uint64_t hb[KF_BLOCK], lb[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits64_range(k[0], mode, n, start, len, hb);
    kf__bits64_range(k[1], mode, n, start, len, lb);
    for (size_t t = 0; t < len; t++) {
      const uint64_t off =
          KF_REM((uint64_t)(KF_REM(hb[t], span) * mult + KF_REM(lb[t], span)), span);
      out[start + t] = (int64_t)((uint64_t)minval + off);
    }
  }
  return KF_OK;
}

/* One round of permutation: a stable sort of the values by their sort keys.
 * Bottom-up merge sort, stable because ties keep the left run first. */
typedef struct {
  uint32_t key;
  int32_t value;
} sort_pair;

static void stable_sort_pairs(sort_pair *a, sort_pair *tmp, size_t n) {
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      const size_t mid = (lo + width < n) ? lo + width : n;
      const size_t hi = (lo + 2 * width < n) ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = (a[j].key < a[i].key) ? a[j++] : a[i++];
      while (i < mid) tmp[k++] = a[i++];
      while (j < hi) tmp[k++] = a[j++];
    }
    memcpy(a, tmp, n * sizeof *a);
  }
}

int kf_random_permutation(kf_key key, kf_threefry_mode mode, size_t n, int32_t *out) {
  int rc = kf__sampler_check(mode, 32, n, out);
  if (rc != KF_OK) return rc;
  if (n > (size_t)INT32_MAX) return KF_ERANGE;
  if (n == 0) return KF_OK;
  /* JAX computes the round count in double: ceil(3 ln n / ln(2^32 - 1)). */
  const int rounds = (int)ceil(3.0 * log((double)n) / log(4294967295.0));
  /* Each allocation only after the one before it worked: a failure asks the
   * allocator for nothing more. */
  sort_pair *a = kf__malloc(n * sizeof *a);
  sort_pair *tmp = a ? kf__malloc(n * sizeof *tmp) : NULL;
  uint32_t *bits = tmp ? kf__malloc(n * sizeof *bits) : NULL;
  if (!bits) {
    kf__free(a);
    kf__free(tmp);
    kf__free(bits);
    return KF_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) a[i].value = (int32_t)i;
  for (int r = 0; r < rounds; r++) {
    kf_key k[2];
    kf_split(key, mode, 2, k);
    key = k[0];
    kf__bits32_range(k[1], mode, n, 0, n, bits);
    for (size_t i = 0; i < n; i++) a[i].key = bits[i];
    stable_sort_pairs(a, tmp, n);
  }
  for (size_t i = 0; i < n; i++) out[i] = a[i].value;
  kf__free(a);
  kf__free(tmp);
  kf__free(bits);
  return KF_OK;
}
