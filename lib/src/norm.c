/* keyfold — Flax NNX's normalization layers (norm.h).
 *
 * Each statistic is summed in XLA's order (kf__xla_sum, functions.h: chains
 * of at most 32 from +0 combined the same way); no sum depends on the
 * instruction set. Every operation rounds to float32 on its own (Flax's
 * layers run op by op: no fused multiply-add), denormals read and written as
 * zero as in XLA's kernels. */
#include <math.h>

#include "bits.h"
#include "functions.h"
#include "norm.h"
#include "rsqrt.h"
#include "xla_math.h"

#define FTZ kf__xla_ftz

/* jnp.maximum(0.0, v): NaN stays NaN. */
static inline float clip_var(float v) { return (isnan(v) || v > 0.0f) ? v : 0.0f; }

/* jnp.mean's statistic: the sum times float32(1 / n) (XLA rewrites the
 * division by the constant n as a product with its reciprocal), then
 * _compute_stats with use_fast_variance: var = max(0, mean2 - mean * mean);
 * for RMSNorm (use_mean = False) mean = 0 and var = mean2. */
static void finish_stats(float s, float s2, size_t n, int rms, float *mean, float *var) {
  const float inv = 1.0f / (float)n;
  const float mu2 = FTZ(s2 * inv);
  if (rms) {
    *mean = 0.0f;
    *var = mu2;
    return;
  }
  const float mu = FTZ(s * inv);
  *mean = mu;
  *var = clip_var(FTZ(mu2 - FTZ(mu * mu)));
}

/* _normalize for one value: (x - mean) * (rsqrt(var + eps) [* scale]) [+ bias]. */
static inline float normalize_one(float x, float mean, float mul, const float *scale,
                                  const float *bias, size_t f) {
  const float m = scale ? FTZ(mul * FTZ(scale[f])) : mul;
  float y = FTZ(FTZ(FTZ(x) - mean) * m);
  if (bias) y = FTZ(y + FTZ(bias[f]));
  return y;
}

KF__HOT_LOOP void kf__layer_norm(size_t rows, size_t features, const float *x, const float *scale,
                                 const float *bias, float eps, int rms, kf_rsqrt_mode rmode,
                                 kf_flax_era era, float *y) {
  /* The row sums of a block of rows at a time in vector lanes
   * (kf__k_row_sums: kf__xla_sum's order per row), the rest one by one. */
  enum { BLOCK = 64 };
  const size_t total = rows * features;
  const int lanes16 = era == KF_FLAX_0_11 && total >= 4096 && features <= 80;
  const kf__isa isa = kf__isa_best();
  float sums[BLOCK], sums2[BLOCK];
  for (size_t r0 = 0; r0 < rows; r0 += BLOCK) {
    const size_t nb = rows - r0 < BLOCK ? rows - r0 : BLOCK;
    const size_t done =
        kf__k_row_sums(isa, nb, features, x + r0 * features, lanes16, rms ? NULL : sums, sums2);
    for (size_t r = r0; r < r0 + nb; r++) {
      const float *xr = x + r * features;
      float s = 0.0f, s2;
      if (r - r0 < done) {
        if (!rms) s = sums[r - r0];
        s2 = sums2[r - r0];
      } else {
        const kf__sum_src a = kf__sum_line(xr, features, 1, KF__SUM_X, 0.0f, era, total);
        const kf__sum_src b = kf__sum_line(xr, features, 1, KF__SUM_SQUARE, 0.0f, era, total);
        if (!rms) s = kf__xla_sum(&a);
        s2 = kf__xla_sum(&b);
      }
      float mean, var;
      finish_stats(s, s2, features, rms, &mean, &var);
      const float mul = kf__xla_rsqrtf(FTZ(var + eps), rmode);
      float *yr = y + r * features;
      for (size_t f = 0; f < features; f++)
        yr[f] = normalize_one(xr[f], mean, mul, scale, bias, f);
    }
  }
}

/* The sum source over the reduced axes `dims` (ndims of them, row-major
 * after them come `inner` contiguous floats per element, of which the sum
 * reads one) plus, if tail > 1, one more axis of tail contiguous floats. */
static kf__sum_src reduced_axes(const float *x, size_t ndims, const size_t *dims, size_t inner,
                                size_t tail, kf__sum_op op) {
  kf__sum_src s = {x, 0, {0}, {0}, op, 0.0f, KF_FLAX_0_10, 0};
  size_t stride = inner;
  const size_t extra = tail > 1;
  s.ndims = ndims + extra;
  if (extra) s.size[ndims] = tail, s.stride[ndims] = 1;
  for (size_t d = ndims; d-- > 0;) {
    s.size[d] = dims[d];
    s.stride[d] = stride;
    stride *= dims[d];
  }
  return s;
}

static size_t product(size_t n, const size_t *dims) {
  size_t p = 1;
  for (size_t i = 0; i < n; i++) p *= dims[i];
  return p;
}

void kf__group_norm(size_t batch, size_t nspatial, const size_t *spatial, size_t channels,
                    size_t groups, const float *x, const float *scale, const float *bias, float eps,
                    kf_rsqrt_mode rmode, kf_flax_era era, float *y) {
  const size_t gs = channels / groups, sp = product(nspatial, spatial);
  for (size_t b = 0; b < batch; b++) {
    const float *xb = x + b * sp * channels;
    float *yb = y + b * sp * channels;
    for (size_t g = 0; g < groups; g++) {
      kf__sum_src a = reduced_axes(xb + g * gs, nspatial, spatial, channels, gs, KF__SUM_X);
      kf__sum_src q = reduced_axes(xb + g * gs, nspatial, spatial, channels, gs, KF__SUM_SQUARE);
      a.era = q.era = era;
      a.total = q.total = batch * sp * channels;
      const float s = kf__xla_sum(&a), s2 = kf__xla_sum(&q);
      float mean, var;
      finish_stats(s, s2, sp * gs, 0, &mean, &var);
      const float mul = kf__xla_rsqrtf(FTZ(var + eps), rmode);
      for (size_t p = 0; p < sp; p++)
        for (size_t c = 0; c < gs; c++) {
          const size_t i = p * channels + g * gs + c;
          yb[i] = normalize_one(xb[i], mean, mul, scale, bias, g * gs + c);
        }
    }
  }
}

void kf__batch_norm_stats(size_t ndims, const size_t *dims, size_t features, const float *x,
                          float *mean, float *var) {
  const size_t rows = product(ndims, dims);
  for (size_t f = 0; f < features; f++) {
    const kf__sum_src a = reduced_axes(x + f, ndims, dims, features, 1, KF__SUM_X);
    const kf__sum_src b = reduced_axes(x + f, ndims, dims, features, 1, KF__SUM_SQUARE);
    const float s = kf__xla_sum(&a), s2 = kf__xla_sum(&b);
    finish_stats(s, s2, rows, 0, &mean[f], &var[f]);
  }
}

void kf__batch_norm_apply(size_t rows, size_t features, const float *x, const float *mean,
                          const float *var, const float *scale, const float *bias, float eps,
                          kf_rsqrt_mode rmode, float *y) {
  for (size_t f = 0; f < features; f++) {
    const float mul = kf__xla_rsqrtf(FTZ(FTZ(var[f]) + eps), rmode), mu = FTZ(mean[f]);
    for (size_t r = 0; r < rows; r++)
      y[r * features + f] = normalize_one(x[r * features + f], mu, mul, scale, bias, f);
  }
}

void kf__batch_norm_update(size_t features, double momentum, const float *batch_mean,
                           const float *batch_var, float *ra_mean, float *ra_var) {
  const float m = (float)momentum, m1 = (float)(1.0 - momentum);
  for (size_t f = 0; f < features; f++) {
    ra_mean[f] = FTZ(FTZ(m * FTZ(ra_mean[f])) + FTZ(m1 * FTZ(batch_mean[f])));
    ra_var[f] = FTZ(FTZ(m * FTZ(ra_var[f])) + FTZ(m1 * FTZ(batch_var[f])));
  }
}
