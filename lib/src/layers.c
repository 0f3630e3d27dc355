/* keyfold — the layers of issue 13 whose arithmetic lives in their own
 * kernels: convolutions and pools (conv.c), norms (norm.c), attention
 * (attention.c) and the functions with parameters (functions.c). This file
 * maps a node's spec and its input's shape onto those kernels; forward.c
 * walks the tree. What each kernel computes, and how close it comes to
 * Flax, is in its header and docs/layer-numerics.md. */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "attention.h"
#include "conv.h"
#include "fpmode.h"
#include "functions.h"
#include "gemm.h"
#include "keyfold/error.h"
#include "keyfold/nn.h"
#include "keyfold/random.h"
#include "model.h"
#include "norm.h"

/* XLA's rsqrt in the norms is jaxlib's: 1 / sqrt up to jaxlib 0.7.0 (the
 * Flax 0.10 era), Intel's estimate refined twice after (0.11+). */
static kf_rsqrt_mode era_rsqrt(kf_flax_era era) {
  return era == KF_FLAX_0_10 ? KF_RSQRT_SQRT_DIV : KF_RSQRT_INTEL_NR2;
}

static kf__pad_mode pad_mode(kf_padding p) {
  switch (p) {
    case KF_PADDING_VALID: return KF__PAD_VALID;
    case KF_PADDING_CIRCULAR: return KF__PAD_CIRCULAR;
    case KF_PADDING_CAUSAL: return KF__PAD_CAUSAL;
    case KF_PADDING_EXPLICIT: return KF__PAD_EXPLICIT;
    default: return KF__PAD_SAME;
  }
}

/* Plans node's conv, conv_transpose or pool for an input of shape *in (the
 * last n_spatial + 1 axes spatial and channels, every axis before them a
 * batch axis) and gives the output's shape in *out. Returns kf__*_plan's
 * code; KF_EMISMATCH with out->rank -1 for too low a rank, -2 for other
 * channels than in_features (the shape walk tells them apart). */
static int plan(const kf__layer *node, const kf_shape *in, kf__conv_geom *g, kf_shape *out) {
  const kf_layer_spec *spec = &node->spec;
  const int n = spec->n_spatial;
  *out = *in;
  if (in->rank < n + 1) {
    out->rank = -1;
    return KF_EMISMATCH;
  }
  memset(g, 0, sizeof *g);
  g->nd = n;
  g->batch = 1;
  for (int a = 0; a < in->rank - n - 1; a++) g->batch *= (size_t)in->dim[a];
  int64_t pairs[2 * KF_MAX_SPATIAL];
  for (int d = 0; d < n; d++) {
    g->in[d] = in->dim[in->rank - 1 - n + d];
    g->kernel[d] = spec->kernel_size[d];
    g->stride[d] = spec->strides[d];
    g->lhs_dil[d] = spec->type == KF_LAYER_CONV ? spec->input_dilation[d] : 1;
    g->rhs_dil[d] = spec->kernel_dilation[d];
    pairs[2 * d] = spec->padding_pairs[d][0];
    pairs[2 * d + 1] = spec->padding_pairs[d][1];
  }
  const int64_t channels = in->dim[in->rank - 1];
  int rc;
  switch (spec->type) {
    case KF_LAYER_CONV:
    case KF_LAYER_CONV_TRANSPOSE:
      if (channels != spec->in_features) {
        out->rank = -2;
        return KF_EMISMATCH;
      }
      g->in_ch = spec->in_features;
      g->out_ch = spec->out_features;
      g->groups = spec->type == KF_LAYER_CONV ? spec->feature_group_count : 1;
      rc = spec->type == KF_LAYER_CONV ? kf__conv_plan(g, pad_mode(spec->padding), pairs)
                                       : kf__conv_transpose_plan(g, pad_mode(spec->padding), pairs);
      break;
    default:
      g->in_ch = channels;
      rc = kf__pool_plan(g, pad_mode(spec->padding), pairs);
      break;
  }
  if (rc != KF_OK) return rc;
  for (int d = 0; d < n; d++) out->dim[in->rank - 1 - n + d] = g->out[d];
  out->dim[in->rank - 1] = g->out_ch;
  return KF_OK;
}

int kf__spatial_output_shape(const kf__layer *node, const kf_shape *in, kf_shape *out) {
  kf__conv_geom g;
  const int rc = plan(node, in, &g, out);
  return rc == KF_OK || rc == KF_EOVERFLOW ? rc : KF_EMISMATCH;
}

static size_t numel(const kf_shape *s) {
  size_t n = 0;
  kf_shape_numel(s, &n);
  return n;
}

static int conv_apply(kf__isa isa, const kf__layer *node, const float *x, const kf_shape *xs, float *y,
                      kf_flax_era era) {
  kf__conv_geom g;
  kf_shape ys;
  if (plan(node, xs, &g, &ys) != KF_OK) return KF_EINVAL; /* the shape walk planned it before */
  const kf_layer_spec *spec = &node->spec;
  if (spec->type == KF_LAYER_MAX_POOL) {
    kf__max_pool(&g, x, y);
    return KF_OK;
  }
  if (spec->type == KF_LAYER_AVG_POOL) {
    /* XLA divides by the window's size as a multiplication by its
     * reciprocal from jaxlib 0.10 on; jaxlib 0.6 (Flax 0.10 era) divides. */
    kf__avg_pool(&g, x, y, 1, era != KF_FLAX_0_10);
    return KF_OK;
  }
  const size_t ws = kf__conv_workspace(isa, &g);
  float *work = ws ? kf__malloc(ws * sizeof *work) : NULL;
  if (ws && !work) return KF_ENOMEM;
  kf__conv(isa, &g, x, node->param[0], spec->use_bias ? node->param[1] : NULL, y, work);
  kf__free(work);
  return KF_OK;
}

/* The parameters of a norm: scale then bias, each only when used. */
static void norm_params(const kf__layer *node, const float **scale, const float **bias) {
  size_t j = 0;
  *scale = node->spec.use_scale ? node->param[j++] : NULL;
  *bias = node->spec.type != KF_LAYER_RMS_NORM && node->spec.use_bias ? node->param[j] : NULL;
}

static int norm_apply(const kf__layer *node, const float *x, const kf_shape *xs, float *y,
                      kf_deterministic det, float *stats, const kf_model *model) {
  const kf_layer_spec *spec = &node->spec;
  const size_t f = (size_t)spec->num_features, n = numel(xs), rows = f ? n / f : 0;
  const float eps = (float)spec->epsilon;
  const kf_rsqrt_mode rmode = era_rsqrt(model->era);
  const float *scale, *bias;
  norm_params(node, &scale, &bias);
  switch (spec->type) {
    case KF_LAYER_LAYER_NORM:
    case KF_LAYER_RMS_NORM:
      kf__layer_norm(rows, f, x, scale, bias, eps, spec->type == KF_LAYER_RMS_NORM, rmode, model->era, y);
      return KF_OK;
    case KF_LAYER_GROUP_NORM: {
      if (xs->rank > 5) return KF_EUNSUPPORTED;
      size_t spatial[3];
      for (int a = 1; a < xs->rank - 1; a++) spatial[a - 1] = (size_t)xs->dim[a];
      const size_t groups = (size_t)(spec->group_size ? spec->num_features / spec->group_size : spec->num_groups);
      kf__group_norm((size_t)xs->dim[0], (size_t)(xs->rank - 2), spatial, f, groups, x, scale, bias, eps,
                     rmode, model->era, y);
      return KF_OK;
    }
    default: { /* batch_norm */
      float *ra_mean = stats + (node->stat[0] - model->stat_storage);
      float *ra_var = stats + (node->stat[1] - model->stat_storage);
      /* use_running_average: the layer's own flag, or model.eval()/train(). */
      const bool running = det == KF_DET_LAYER ? spec->deterministic != 0 : det == KF_DET_TRUE;
      if (running) {
        kf__batch_norm_apply(rows, f, x, ra_mean, ra_var, scale, bias, eps, rmode, y);
        return KF_OK;
      }
      if (xs->rank < 2 || xs->rank > 5) return KF_EUNSUPPORTED;
      size_t dims[4];
      for (int a = 0; a < xs->rank - 1; a++) dims[a] = (size_t)xs->dim[a];
      float *mean = kf__malloc(2 * (f ? f : 1) * sizeof *mean);
      if (!mean) return KF_ENOMEM;
      float *var = mean + f;
      kf__batch_norm_stats((size_t)(xs->rank - 1), dims, f, x, mean, var);
      kf__batch_norm_apply(rows, f, x, mean, var, scale, bias, eps, rmode, y);
      kf__batch_norm_update(f, spec->momentum, mean, var, ra_mean, ra_var);
      kf__free(mean);
      return KF_OK;
    }
  }
}

/* MultiHeadAttention (self-attention): q, k, v = LinearGeneral(x) laid out
 * (B, L, heads, head_dim); the optional q/k LayerNorm over head_dim; the
 * attention core; out = LinearGeneral over (heads, head_dim). */
static int attention_apply(kf__isa isa, const kf__layer *node, const float *x, const kf_shape *xs,
                           float *y, const kf_key *key, const kf_model *model) {
  const kf_layer_spec *spec = &node->spec;
  const size_t in = (size_t)spec->in_features;
  const size_t heads = (size_t)spec->num_heads;
  const size_t qkv = (size_t)(spec->qkv_features ? spec->qkv_features : spec->in_features);
  const size_t out_f = (size_t)(spec->out_features ? spec->out_features : spec->in_features);
  const size_t hd = qkv / heads, len = (size_t)xs->dim[xs->rank - 2];
  const size_t rows = numel(xs) / in, batch = len ? rows / len : 0;
  const bool bias = spec->use_bias != 0;
  /* Parameters in construction order: query, key, value (kernel[, bias]),
   * [query_ln, key_ln], out. */
  const size_t per = bias ? 2 : 1;
  const float *w[4], *b[4] = {NULL, NULL, NULL, NULL}, *ln[2] = {NULL, NULL};
  size_t j = 0;
  for (int p = 0; p < 3; p++) {
    w[p] = node->param[j];
    if (bias) b[p] = node->param[j + 1];
    j += per;
  }
  if (spec->normalize_qk) {
    ln[0] = node->param[j++];
    ln[1] = node->param[j++];
  }
  w[3] = node->param[j];
  if (bias) b[3] = node->param[j + 1];

  const size_t proj = rows * qkv;
  const size_t gw = kf__gemm_workspace(isa, rows, qkv > out_f ? qkv : out_f, in > qkv ? in : qkv);
  const size_t aw = kf__attention_workspace(isa, len, hd);
  const size_t mask_n = key ? len * len : 0;
  float *buf = kf__malloc((4 * proj + gw + aw + 1) * sizeof *buf);
  uint8_t *keep = mask_n ? kf__malloc(mask_n) : NULL;
  if (!buf || (mask_n && !keep)) {
    kf__free(buf);
    kf__free(keep);
    return KF_ENOMEM;
  }
  float *q = buf, *k = q + proj, *v = k + proj, *o = v + proj, *gwork = o + proj, *awork = gwork + gw;
  float *qkv_out[3] = {q, k, v};
  const kf__fpmode mode = kf__xla_fpmode_enter();
  for (int p = 0; p < 3; p++) {
    kf__gemm(isa, rows, qkv, in, x, w[p], qkv_out[p], gwork);
    if (b[p])
      for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < qkv; c++) qkv_out[p][r * qkv + c] = qkv_out[p][r * qkv + c] + b[p][c];
  }
  kf__xla_fpmode_leave(mode);
  if (spec->normalize_qk) {
    /* LayerNorm(head_dim, use_bias=False) with its default epsilon. */
    kf__layer_norm(rows * heads, hd, q, ln[0], NULL, 1e-6f, 0, era_rsqrt(model->era), model->era, q);
    kf__layer_norm(rows * heads, hd, k, ln[1], NULL, 1e-6f, 0, era_rsqrt(model->era), model->era, k);
  }
  const float keep_prob = (float)(1.0 - spec->dropout_rate);
  int rc = KF_OK;
  if (key) rc = kf_random_bernoulli(*key, model->mode, mask_n, keep_prob, keep);
  if (rc == KF_OK) {
    const kf__attn_form form = spec->dropout_rate > 0.0 ? KF__ATTN_FLAX : KF__ATTN_JAX;
    kf__attention(isa, form, batch, len, heads, hd, q, k, v, spec->causal, NULL, keep, keep_prob,
                  model->era, o, awork);
    const kf__fpmode m2 = kf__xla_fpmode_enter();
    kf__gemm(isa, rows, out_f, qkv, o, w[3], y, gwork);
    if (b[3])
      for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < out_f; c++) y[r * out_f + c] = y[r * out_f + c] + b[3][c];
    kf__xla_fpmode_leave(m2);
  }
  kf__free(buf);
  kf__free(keep);
  return rc;
}

int kf__layer_apply(kf__isa isa, const kf__layer *node, const float *x, const kf_shape *xs,
                    float *y, kf_deterministic det, const kf_key *key, float *stats,
                    const kf_model *model) {
  const kf_layer_spec *spec = &node->spec;
  const size_t n = numel(xs);
  switch (spec->type) {
    case KF_LAYER_CONV:
    case KF_LAYER_CONV_TRANSPOSE:
    case KF_LAYER_AVG_POOL:
    case KF_LAYER_MAX_POOL:
      return conv_apply(isa, node, x, xs, y, model->era);
    case KF_LAYER_LAYER_NORM:
    case KF_LAYER_RMS_NORM:
    case KF_LAYER_GROUP_NORM:
    case KF_LAYER_BATCH_NORM:
      return norm_apply(node, x, xs, y, det, stats, model);
    case KF_LAYER_MULTI_HEAD_ATTENTION:
      return attention_apply(isa, node, x, xs, y, key, model);
    case KF_LAYER_SOFTMAX:
    case KF_LAYER_LOG_SOFTMAX: {
      int axis = spec->axis < 0 ? spec->axis + xs->rank : spec->axis;
      size_t outer = 1, inner = 1;
      for (int a = 0; a < axis; a++) outer *= (size_t)xs->dim[a];
      for (int a = axis + 1; a < xs->rank; a++) inner *= (size_t)xs->dim[a];
      kf__softmax(outer, (size_t)xs->dim[axis], inner, x, y, spec->type == KF_LAYER_LOG_SOFTMAX, model->era);
      return KF_OK;
    }
    case KF_LAYER_ELU:
      kf__elu(n, x, (float)spec->alpha, y);
      return KF_OK;
    case KF_LAYER_LEAKY_RELU:
      kf__leaky_relu(n, x, (float)spec->negative_slope, y);
      return KF_OK;
    case KF_LAYER_SOFTPLUS:
      kf__softplus(n, x, model->era, y);
      return KF_OK;
    case KF_LAYER_GELU:
      kf__gelu_exact(n, x, y);
      return KF_OK;
    default:
      return KF_EUNSUPPORTED;
  }
}
