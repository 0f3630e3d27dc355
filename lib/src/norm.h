/* keyfold — the normalization layers of Flax NNX in float32 (norm.c):
 * LayerNorm, RMSNorm, GroupNorm and BatchNorm with use_fast_variance=True
 * (flax/nnx/nn/normalization.py: _compute_stats, _normalize). Pure
 * computation on caller-owned buffers; not installed.
 *
 * Statistics: mean = (x_0 + ... + x_{n-1}) * float32(1/n) and mean2 =
 * (x_0*x_0 + ... + x_{n-1}*x_{n-1}) * float32(1/n) (XLA turns jnp.mean's
 * division by the constant n into that product), each sum over the reduced
 * axes in XLA's order (kf__xla_sum, functions.h); var = max(0, mean2 -
 * mean*mean) (NaN stays NaN). Normalization, each step rounded to float32
 * (no fused multiply-add):
 *   mul = rsqrt(var + eps) [* scale[f]];  y = (x - mean) * mul [+ bias[f]]
 * rsqrt is kf__xla_rsqrtf under rmode (XLA's two forms, rsqrt.h). Denormal
 * inputs and results of every operation read and written as zero, as
 * XLA:CPU's kernels run. docs/layer-numerics.md has the measured bounds. */
#ifndef KEYFOLD_NORM_H
#define KEYFOLD_NORM_H

#include <stddef.h>

#include "keyfold/random.h"
#include "keyfold/rngs.h"

/* LayerNorm (rms = 0) or RMSNorm (rms = 1: use_mean=False, mean taken as 0
 * and var = mean2) of rows x features, normalized over the last axis (the
 * default reduction_axes = feature_axes = -1). scale and bias have
 * `features` entries, either may be NULL (use_scale / use_bias False). eps
 * is the float32 epsilon (LayerNorm and RMSNorm default 1e-6). era selects
 * the summation order of that jaxlib over rows * features values
 * (kf__xla_sum). x and y may be the same array. */
void kf__layer_norm(size_t rows, size_t features, const float *x, const float *scale,
                    const float *bias, float eps, int rms, kf_rsqrt_mode rmode, kf_flax_era era,
                    float *y);

/* GroupNorm with the default reduction axes: x is (batch, spatial...,
 * channels) with nspatial (0 to 3) axes of sizes spatial[] between the first
 * and the last; channels = groups * group_size. Statistics per (batch,
 * group) over the spatial axes and the group's group_size channels, as
 * Flax's reshape to (..., groups, group_size) lays them out (the channel
 * axis innermost), in kf__xla_sum's order over those axes (era: the
 * jaxlib's). eps default 1e-6. x and y may be the same. */
void kf__group_norm(size_t batch, size_t nspatial, const size_t *spatial, size_t channels,
                    size_t groups, const float *x, const float *scale, const float *bias, float eps,
                    kf_rsqrt_mode rmode, kf_flax_era era, float *y);

/* BatchNorm's batch statistics (use_running_average=False, axis=-1): mean[f]
 * and var[f] over the leading axes of x, ndims (1 to 4) of them with sizes
 * dims[] (every axis but the last), in kf__xla_sum's order over them. */
void kf__batch_norm_stats(size_t ndims, const size_t *dims, size_t features, const float *x,
                          float *mean, float *var);

/* BatchNorm's normalization with the given statistics (the batch's in
 * training, the running averages with use_running_average=True); eps default
 * 1e-5. x and y may be the same. */
void kf__batch_norm_apply(size_t rows, size_t features, const float *x, const float *mean,
                          const float *var, const float *scale, const float *bias, float eps,
                          kf_rsqrt_mode rmode, float *y);

/* The running-average update of a training step, Flax's
 * ra = momentum * ra + (1 - momentum) * batch_stat with momentum a Python
 * float (default 0.99): float32(momentum) * ra, float32(1 - momentum)
 * * stat (1 - momentum computed in double, as Python does), then their sum,
 * each rounded to float32. */
void kf__batch_norm_update(size_t features, double momentum, const float *batch_mean,
                           const float *batch_var, float *ra_mean, float *ra_var);

#endif
