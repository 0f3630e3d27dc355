/* keyfold — Flax NNX's normalization layers (norm.h).
 *
 * Each statistic is summed in XLA's order (xla_sum below: chains of 32 from
 * +0 combined the same way); no sum depends on the instruction set. Every operation rounds to float32 on its own (Flax's
 * layers run op by op: no fused multiply-add), denormals read and written as
 * zero as in XLA's kernels. */
#include <math.h>

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

void kf__layer_norm(size_t rows, size_t features, const float *x, const float *scale,
                    const float *bias, float eps, int rms, kf_rsqrt_mode rmode, float *y) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * features;
    const kf__sum_src a = {xr, 1, 0, 0, KF__SUM_X, 0}, b = {xr, 1, 0, 0, KF__SUM_SQUARE, 0};
    const float s = rms ? 0.0f : kf__xla_sum(&a, features), s2 = kf__xla_sum(&b, features);
    float mean, var;
    finish_stats(s, s2, features, rms, &mean, &var);
    const float mul = kf__xla_rsqrtf(FTZ(var + eps), rmode);
    float *yr = y + r * features;
    for (size_t f = 0; f < features; f++) yr[f] = normalize_one(xr[f], mean, mul, scale, bias, f);
  }
}

void kf__group_norm(size_t batch, size_t spatial, size_t channels, size_t groups, const float *x,
                    const float *scale, const float *bias, float eps, kf_rsqrt_mode rmode,
                    float *y) {
  const size_t gs = channels / groups;
  for (size_t b = 0; b < batch; b++) {
    const float *xb = x + b * spatial * channels;
    float *yb = y + b * spatial * channels;
    for (size_t g = 0; g < groups; g++) {
      const kf__sum_src a = {xb + g * gs, 1, channels, gs, KF__SUM_X, 0},
                        b = {xb + g * gs, 1, channels, gs, KF__SUM_SQUARE, 0};
      const float s = kf__xla_sum(&a, spatial * gs), s2 = kf__xla_sum(&b, spatial * gs);
      float mean, var;
      finish_stats(s, s2, spatial * gs, 0, &mean, &var);
      const float mul = kf__xla_rsqrtf(FTZ(var + eps), rmode);
      for (size_t p = 0; p < spatial; p++)
        for (size_t c = 0; c < gs; c++) {
          const size_t i = p * channels + g * gs + c;
          yb[i] = normalize_one(xb[i], mean, mul, scale, bias, g * gs + c);
        }
    }
  }
}

void kf__batch_norm_stats(size_t rows, size_t features, const float *x, float *mean, float *var) {
  for (size_t f = 0; f < features; f++) {
    const kf__sum_src a = {x + f, features, 0, 0, KF__SUM_X, 0},
                      b = {x + f, features, 0, 0, KF__SUM_SQUARE, 0};
    const float s = kf__xla_sum(&a, rows), s2 = kf__xla_sum(&b, rows);
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
