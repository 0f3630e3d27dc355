/* keyfold — the forward pass of an NNX model: shapes, Linear, Embed, Dropout
 * and activations (flax-nnx.md §3–§5, Flax 0.9–0.10 semantics).
 *
 * Linear, Embed and Dropout reproduce XLA:CPU's float32 results for the cases
 * the spec pins down. A Linear's product is a fused multiply-add chain over
 * k = 0 .. in-1 in order (gemm.c), the same on every CPU; XLA's own order
 * depends on the CPU, so larger products agree with JAX to float32
 * rounding, not bit for bit (flax-nnx.md §3). A Dropout's kept values are
 * x / keep in the Flax 0.10 era and x * f32(1 / keep) in the 0.11+ era, as
 * the jaxlib of each era computes them (dropout_scale). The activations are
 * activations.c's: XLA:CPU's own kernels for relu, tanh and the fusions of
 * sigmoid, silu and gelu (with XLA's exp), equal to jaxlib 0.10.2 and 0.6.2
 * on every float32 input (README "Numerics", docs/testing.md).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activations.h"
#include "alloc.h"
#include "einsum.h"
#include "keyfold/error.h"
#include "keyfold/nn.h"
#include "keyfold/random.h"
#include "keyfold/rngs.h"
#include "keyfold/tensor.h"
#include "model.h"
#include "fpmode.h"
#include "gemm.h"
#include "simd.h"

/* Python list indexing: a negative axis counts from the end. Returns the axis
 * in 0..rank-1, or -1 if it is out of range. */
static int normalize_axis(int axis, int rank) {
  if (axis < 0) axis += rank;
  return (axis >= 0 && axis < rank) ? axis : -1;
}

static size_t shape_numel(const kf_shape *shape) {
  size_t n = 0;
  kf_shape_numel(shape, &n); /* only called on shapes already validated */
  return n;
}

/* A fault of node `node` for the input shape *in reaching it. */
static int shape_fault(kf_model_diag *d, kf_diag_reason reason, const kf__layer *node,
                       const kf_shape *in, int64_t expected, int64_t actual, int rc) {
  *d = kf__diag_node(reason, node);
  d->expected = expected;
  d->actual = actual;
  d->has_shape = true;
  d->shape = *in;
  return rc;
}

/* Whether a dropout layer draws a key in this call: Flax returns before
 * drawing when the layer is deterministic, when rate is 0 (identity) and when
 * rate is 1 (zeros). */
static int dropout_is_deterministic(const kf_layer_spec *spec, kf_deterministic det) {
  return det == KF_DET_LAYER ? spec->deterministic != 0 : det == KF_DET_TRUE;
}

bool kf__dropout_draws(const kf_layer_spec *spec, kf_deterministic det) {
  if (spec->type == KF_LAYER_MULTI_HEAD_ATTENTION)
    return spec->dropout_rate > 0.0 && !dropout_is_deterministic(spec, det);
  return spec->type == KF_LAYER_DROPOUT && !dropout_is_deterministic(spec, det) &&
         spec->rate != 0.0 && spec->rate != 1.0;
}

/* BatchNorm normalizes with its running statistics (use_running_average). */
static bool batch_norm_uses_running(const kf_layer_spec *spec, kf_deterministic det) {
  return dropout_is_deterministic(spec, det);
}

bool kf_model_forward_updates_stats(const kf_model *model, kf_deterministic det) {
  for (size_t i = 0; model && i < model->n_layers; i++)
    if (model->layers[i].spec.type == KF_LAYER_BATCH_NORM &&
        !batch_norm_uses_running(&model->layers[i].spec, det))
      return true;
  return false;
}

/* The shape of a dropout's mask: the input's, with each broadcast axis set to 1. */
static kf_shape mask_shape(const kf_layer_spec *spec, const kf_shape *in) {
  kf_shape m = *in;
  for (int d = 0; d < spec->n_broadcast_dims; d++)
    m.dim[normalize_axis(spec->broadcast_dims[d], m.rank)] = 1;
  return m;
}

/* ------------------------------------------------------------------ shapes */

/* The extent of letter c: from the input (its axis after the ellipsis) or
 * the kernel; -1 if neither has it. */
static int64_t einsum_extent(const kf__einsum *e, const kf_layer_spec *spec, const kf_shape *in,
                             int n_ell, char c) {
  const char *l = strchr(e->lhs, c);
  if (l && c) return in->dim[n_ell + (l - e->lhs)];
  const char *r = strchr(e->rhs, c);
  if (r && c) return spec->kernel_shape[r - e->rhs];
  return -1;
}

/* Output shape of leaf `node` for an input of shape *in. Borrows everything;
 * writes *out, or *d on failure. */
static int leaf_output_shape(const kf__layer *node, const kf_shape *in, kf_shape *out,
                             kf_model_diag *d) {
  const kf_layer_spec *spec = &node->spec;
  kf_shape s = *in;
  switch (spec->type) {
    case KF_LAYER_LINEAR:
    case KF_LAYER_LAYER_NORM:
    case KF_LAYER_RMS_NORM:
    case KF_LAYER_BATCH_NORM:
    case KF_LAYER_GROUP_NORM:
    case KF_LAYER_MULTI_HEAD_ATTENTION: {
      const int64_t want = spec->type == KF_LAYER_LINEAR || spec->type == KF_LAYER_MULTI_HEAD_ATTENTION
                               ? spec->in_features : spec->num_features;
      const int min_rank = spec->type == KF_LAYER_MULTI_HEAD_ATTENTION || spec->type == KF_LAYER_GROUP_NORM ? 2 : 1;
      if (s.rank < min_rank)
        return shape_fault(d, KF_DIAG_RANK_TOO_LOW, node, in, min_rank, s.rank, KF_EMISMATCH);
      if (s.dim[s.rank - 1] != want)
        return shape_fault(d, KF_DIAG_WIDTH, node, in, want, s.dim[s.rank - 1], KF_EMISMATCH);
      if (spec->type == KF_LAYER_LINEAR) s.dim[s.rank - 1] = spec->out_features;
      if (spec->type == KF_LAYER_MULTI_HEAD_ATTENTION)
        s.dim[s.rank - 1] = spec->out_features ? spec->out_features : spec->in_features;
      break;
    }
    case KF_LAYER_EMBED:
      if (s.rank >= KF_MAX_RANK)
        return shape_fault(d, KF_DIAG_RANK_TOO_HIGH, node, in, KF_MAX_RANK - 1, s.rank, KF_EMISMATCH);
      s.dim[s.rank++] = spec->features;
      break;
    case KF_LAYER_DROPOUT:
      for (int a = 0; a < spec->n_broadcast_dims; a++) {
        if (normalize_axis(spec->broadcast_dims[a], s.rank) < 0)
          return shape_fault(d, KF_DIAG_BROADCAST_AXIS, node, in, s.rank, spec->broadcast_dims[a],
                             KF_EMISMATCH);
      }
      break;
    case KF_LAYER_SOFTMAX:
    case KF_LAYER_LOG_SOFTMAX:
      if (normalize_axis(spec->axis, s.rank) < 0)
        return shape_fault(d, KF_DIAG_BROADCAST_AXIS, node, in, s.rank, spec->axis, KF_EMISMATCH);
      break;
    case KF_LAYER_LINEAR_GENERAL: {
      const int n_in = spec->n_in_shape;
      bool contracted[KF_MAX_RANK] = {false};
      if (s.rank < n_in)
        return shape_fault(d, KF_DIAG_RANK_TOO_LOW, node, in, n_in, s.rank, KF_EMISMATCH);
      for (int k = 0; k < n_in; k++) {
        const int axis = spec->n_in_axes ? normalize_axis(spec->in_axes[k], s.rank) : s.rank - n_in + k;
        if (axis < 0 || contracted[axis])
          return shape_fault(d, KF_DIAG_BROADCAST_AXIS, node, in, s.rank, spec->in_axes[k], KF_EMISMATCH);
        if (s.dim[axis] != spec->in_shape[k]) {
          shape_fault(d, KF_DIAG_FEATURES, node, in, spec->in_shape[k], s.dim[axis], KF_EMISMATCH);
          d->element = (size_t)axis;
          return KF_EMISMATCH;
        }
        contracted[axis] = true;
      }
      kf_shape o = {.rank = 0};
      for (int a = 0; a < s.rank; a++)
        if (!contracted[a]) o.dim[o.rank++] = s.dim[a];
      if (o.rank + spec->n_out_shape > KF_MAX_RANK)
        return shape_fault(d, KF_DIAG_RANK_TOO_HIGH, node, in, KF_MAX_RANK - spec->n_out_shape + n_in,
                           s.rank, KF_EMISMATCH);
      for (int k = 0; k < spec->n_out_shape; k++) o.dim[o.rank++] = spec->out_shape[k];
      s = o;
      break;
    }
    case KF_LAYER_EINSUM: {
      kf__einsum e;
      kf__einsum_parse(spec, &e); /* model.c refused a spec it fails */
      const int n_lhs = (int)strlen(e.lhs);
      const int n_ell = s.rank - n_lhs;
      if (n_ell < 0 || (!e.ellipsis && n_ell != 0))
        return shape_fault(d, e.ellipsis ? KF_DIAG_RANK_TOO_LOW : KF_DIAG_FEATURES, node, in, n_lhs,
                           s.rank, KF_EMISMATCH);
      for (int k = 0; k < n_lhs; k++) {
        const char *r = strchr(e.rhs, e.lhs[k]);
        if (r && spec->kernel_shape[r - e.rhs] != s.dim[n_ell + k]) {
          shape_fault(d, KF_DIAG_FEATURES, node, in, spec->kernel_shape[r - e.rhs], s.dim[n_ell + k],
                      KF_EMISMATCH);
          d->element = (size_t)(n_ell + k);
          return KF_EMISMATCH;
        }
      }
      kf_shape o = {.rank = 0};
      for (int a = 0; a < n_ell; a++) o.dim[o.rank++] = s.dim[a];
      for (const char *c = e.out; *c; c++) {
        if (o.rank >= KF_MAX_RANK)
          return shape_fault(d, KF_DIAG_RANK_TOO_HIGH, node, in, KF_MAX_RANK, o.rank + 1, KF_EMISMATCH);
        o.dim[o.rank++] = einsum_extent(&e, spec, &s, n_ell, *c);
      }
      if (spec->n_bias_shape > 0) {
        /* Flax reshapes the bias to the output's rank, the kernel's extent on
         * the axes of kernel letters and 1 elsewhere: sizes must agree. */
        int64_t want = 1;
        for (const char *c = e.out; *c; c++) {
          const char *r = strchr(e.rhs, *c);
          if (r) want *= spec->kernel_shape[r - e.rhs];
        }
        int64_t have = 1;
        for (int k = 0; k < spec->n_bias_shape; k++) have *= spec->bias_shape[k];
        if (want != have) return shape_fault(d, KF_DIAG_GEOMETRY, node, in, want, have, KF_EMISMATCH);
      }
      s = o;
      break;
    }
    case KF_LAYER_CONV:
    case KF_LAYER_CONV_TRANSPOSE:
    case KF_LAYER_AVG_POOL:
    case KF_LAYER_MAX_POOL: {
      const int rc = kf__spatial_output_shape(node, in, &s);
      if (rc == KF_EMISMATCH && s.rank == -1)
        return shape_fault(d, KF_DIAG_RANK_TOO_LOW, node, in, spec->n_spatial + 1, in->rank, rc);
      if (rc == KF_EMISMATCH && s.rank == -2)
        return shape_fault(d, KF_DIAG_WIDTH, node, in, spec->in_features, in->dim[in->rank - 1], rc);
      if (rc != KF_OK) return shape_fault(d, KF_DIAG_GEOMETRY, node, in, 0, 0, rc);
      break;
    }
    case KF_LAYER_FLATTEN:
      if (s.rank < 1) return shape_fault(d, KF_DIAG_RANK_TOO_LOW, node, in, 1, 0, KF_EMISMATCH);
      s.dim[1] = s.dim[0] == 0 ? 0 : (int64_t)(shape_numel(in) / (size_t)s.dim[0]);
      s.rank = 2;
      if (s.dim[0] == 0) {
        /* reshape(0, -1) is ambiguous in NumPy: refuse it as JAX does. */
        int64_t rest = 1;
        for (int a = 1; a < in->rank; a++) rest *= in->dim[a];
        s.dim[1] = rest;
      }
      break;
    case KF_LAYER_RESHAPE: {
      if (s.rank < 1) return shape_fault(d, KF_DIAG_RANK_TOO_LOW, node, in, 1, 0, KF_EMISMATCH);
      int64_t rest = 1;
      for (int a = 1; a < in->rank; a++) rest *= in->dim[a];
      kf_shape o = {.rank = 1 + spec->n_reshape};
      o.dim[0] = in->dim[0];
      int64_t known = 1;
      int unknown = -1;
      for (int k = 0; k < spec->n_reshape; k++) {
        o.dim[1 + k] = spec->reshape[k];
        if (spec->reshape[k] == -1) unknown = 1 + k;
        else known *= spec->reshape[k];
      }
      if (unknown >= 0) {
        if (rest % known != 0) return shape_fault(d, KF_DIAG_GEOMETRY, node, in, known, rest, KF_EMISMATCH);
        o.dim[unknown] = rest / known;
      } else if (known != rest) {
        return shape_fault(d, KF_DIAG_GEOMETRY, node, in, known, rest, KF_EMISMATCH);
      }
      s = o;
      break;
    }
    default:
      break; /* elementwise functions keep the shape */
  }
  size_t numel;
  const int rc = kf_shape_numel(&s, &numel);
  if (rc != KF_OK) return shape_fault(d, KF_DIAG_TOO_LARGE, node, in, 0, 0, rc);
  *out = s;
  return KF_OK;
}

/* ------------------------------------------------------------------ running */

/* One forward call: the model, where its draws come from, and what it
 * changes only on success. */
typedef struct run {
  kf_model *model;
  kf_deterministic det;
  kf__isa isa;
  bool shapes_only;     /* walk the shapes, compute nothing */
  size_t stop_at;       /* shapes_only: record the shape reaching this node */
  bool stopped;
  kf_shape stop_shape;
  const kf_key *keys;   /* this call's dropout keys, in node order */
  size_t next_key;
  float *stats;         /* the batch statistics to commit: a copy of the model's */
  kf_model_diag *d;
} run;

/* A value flowing between layers: owned when `owned` (free it), else
 * borrowed (the caller's input). int32 only for an embed's input. */
typedef struct value {
  kf_shape shape;
  void *data;
  bool owned;
} value;

static void value_drop(value *v) {
  if (v->owned) kf__free(v->data);
  v->data = NULL;
  v->owned = false;
}

static int value_alloc(run *r, value *v, const kf_shape *shape) {
  v->shape = *shape;
  v->owned = true;
  v->data = NULL;
  if (r->shapes_only) return KF_OK;
  const size_t n = shape_numel(shape);
  v->data = kf__malloc((n > 0 ? n : 1) * sizeof(float));
  if (!v->data) {
    *r->d = kf__diag_at(KF_DIAG_NO_MEMORY, r->model->n_layers, NULL);
    return KF_ENOMEM;
  }
  return KF_OK;
}

static int run_node(run *r, size_t i, value *x, value *y);

/* The sibling subtrees starting at node `first` and ending before node
 * `end`, in order, each reading the previous one's output. */
static int run_sequence(run *r, size_t first, size_t end, value *x, value *y) {
  const kf__layer *nodes = r->model->layers;
  value cur = *x;
  cur.owned = false; /* x stays the caller's */
  int rc = KF_OK;
  for (size_t c = first; rc == KF_OK && c < end; c = nodes[c].end) {
    value next = {0};
    rc = run_node(r, c, &cur, &next);
    value_drop(&cur);
    cur = next;
  }
  if (rc != KF_OK) {
    value_drop(&cur);
    return rc;
  }
  *y = cur;
  return KF_OK;
}

/* Children of node i in order. */
static int run_children(run *r, size_t i, value *x, value *y) {
  return run_sequence(r, i + 1, r->model->layers[i].end, x, y);
}

static int run_residual(run *r, size_t i, value *x, value *y) {
  const kf__layer *node = &r->model->layers[i];
  value branch = {0};
  int rc = run_children(r, i, x, &branch);
  if (rc != KF_OK) return rc;
  if (!r->stopped && !kf_shape_equal(&branch.shape, &x->shape)) {
    shape_fault(r->d, KF_DIAG_RESIDUAL, node, &x->shape, 0, 0, KF_EMISMATCH);
    r->d->has_expected_shape = true;
    r->d->expected_shape = branch.shape;
    value_drop(&branch);
    return KF_EMISMATCH;
  }
  if (!r->shapes_only && !r->stopped) {
    /* x + f(x): an owned branch is written in place. */
    if (!branch.owned) {
      value copy = {0};
      rc = value_alloc(r, &copy, &branch.shape);
      if (rc != KF_OK) return rc;
      memcpy(copy.data, branch.data, shape_numel(&branch.shape) * sizeof(float));
      branch = copy;
    }
    const float *a = x->data;
    float *b = branch.data;
    const kf__fpmode mode = kf__xla_fpmode_enter();
    for (size_t e = 0, n = shape_numel(&branch.shape); e < n; e++) b[e] = a[e] + b[e];
    kf__xla_fpmode_leave(mode);
  }
  *y = branch;
  return KF_OK;
}

/* The next pre-drawn key of this call (the node draws one). */
static kf_key take_key(run *r) { return r->keys[r->next_key++]; }

/* Flax's x / keep as XLA computes it: a true division under jaxlib 0.6.2 (the
 * Flax 0.10 era, called eagerly), x times the float32 reciprocal of keep
 * under jaxlib 0.10.2 (the Flax 0.12 era, eagerly or jitted: XLA turns the
 * division by a scalar into that product). recip is 0 for the division. */
static inline float dropout_scale(float x, float keep, float recip) {
  return recip != 0.0f ? x * recip : x / keep;
}

/* y = mask ? x / keep : 0 (dropout_scale), the mask (of shape *mshape)
 * broadcast to *shape. */
static void mask_apply_fpmode(const kf_shape *shape, const kf_shape *mshape, const uint8_t *mask,
                              float keep, float recip, const float *x, float *y) {
  const size_t n = shape_numel(shape);
  if (kf_shape_equal(shape, mshape)) {
    /* No broadcast: one mask value per element. jnp.where(mask, x / keep, 0)
     * as a bit mask rather than a branch, so that the loop vectorizes. */
    for (size_t i = 0; i < n; i++) {
      const float v = dropout_scale(x[i], keep, recip);
      uint32_t bits;
      memcpy(&bits, &v, sizeof bits);
      bits &= 0u - (uint32_t)(mask[i] != 0);
      memcpy(&y[i], &bits, sizeof bits);
    }
    return;
  }
  const int rank = shape->rank;
  /* Row-major mask strides, 0 on axes of extent 1 so they repeat the mask. */
  size_t mstride[KF_MAX_RANK], coord[KF_MAX_RANK];
  size_t stride = 1;
  for (int a = rank - 1; a >= 0; a--) {
    mstride[a] = mshape->dim[a] == 1 ? 0 : stride;
    stride *= (size_t)mshape->dim[a];
    coord[a] = 0;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    y[i] = mask[m] ? dropout_scale(x[i], keep, recip) : 0.0f;
    for (int a = rank - 1; a >= 0; a--) {
      m += mstride[a];
      if (++coord[a] < (size_t)shape->dim[a]) break;
      m -= mstride[a] * coord[a];
      coord[a] = 0;
    }
  }
}

/* mask_apply_fpmode with XLA's flush of denormals (fpmode.h). */
static void mask_apply(const kf_shape *shape, const kf_shape *mshape, const uint8_t *mask,
                       float keep, float recip, const float *x, float *y) {
  const kf__fpmode mode = kf__xla_fpmode_enter();
  mask_apply_fpmode(shape, mshape, mask, keep, recip, x, y);
  kf__xla_fpmode_leave(mode);
}

/* Copies embedding rows; the indices were checked by check_indices. */
static void embed_apply(const kf__layer *layer, size_t n, const int32_t *indices, float *y) {
  const int64_t v = layer->spec.num_embeddings;
  const size_t features = (size_t)layer->spec.features;
  for (size_t i = 0; i < n; i++) {
    const int64_t row = indices[i] < 0 ? indices[i] + v : indices[i];
    memcpy(y + i * features, layer->param[0] + (size_t)row * features, features * sizeof(float));
  }
}

/* An activation layer through activations.c's functions, XLA:CPU's kernels
 * (the vector forms when the CPU has them: the same bits). */
static void activation_apply(kf_layer_type type, size_t n, const float *x, float *y, kf__isa isa) {
  kf__act act;
  switch (type) {
    case KF_LAYER_RELU: act = KF__ACT_RELU; break;
    case KF_LAYER_GELU: act = KF__ACT_GELU; break;
    case KF_LAYER_TANH: act = KF__ACT_TANH; break;
    case KF_LAYER_SIGMOID: act = KF__ACT_SIGMOID; break;
    case KF_LAYER_SILU: act = KF__ACT_SILU; break;
    default:
      if (y != x) memmove(y, x, n * sizeof *y);
      return;
  }
  kf__k_activation(isa, act, x, n, y);
}

/* y[r, j] = fma chain over k of x[r, k] W[k, j] (kf__gemm), then + b[j] in
 * float32, as a separate rounding like XLA's dot followed by its add. */
static int matmul_bias(run *r, size_t rows, size_t in, size_t out, const float *x, const float *w,
                       const float *bias, float *y) {
  const size_t ws = kf__gemm_workspace(r->isa, rows, out, in);
  float *work = ws ? kf__malloc(ws * sizeof(float)) : NULL;
  if (ws && !work) {
    *r->d = kf__diag_at(KF_DIAG_NO_MEMORY, r->model->n_layers, NULL);
    return KF_ENOMEM;
  }
  const kf__fpmode mode = kf__xla_fpmode_enter();
  kf__gemm(r->isa, rows, out, in, x, w, y, work);
  if (bias) {
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < out; j++) y[i * out + j] = y[i * out + j] + bias[j];
  }
  kf__xla_fpmode_leave(mode);
  kf__free(work);
  return KF_OK;
}

/* Moves the axes of x (shape *s) into the order perm, into y. */
static void transpose(const kf_shape *s, const int *perm, const float *x, float *y) {
  size_t stride[KF_MAX_RANK], coord[KF_MAX_RANK] = {0}, pstride[KF_MAX_RANK];
  size_t st = 1;
  for (int a = s->rank - 1; a >= 0; a--) {
    stride[a] = st;
    st *= (size_t)s->dim[a];
  }
  for (int a = 0; a < s->rank; a++) pstride[a] = stride[perm[a]];
  const size_t n = shape_numel(s);
  size_t src = 0;
  for (size_t e = 0; e < n; e++) {
    y[e] = x[src];
    for (int a = s->rank - 1; a >= 0; a--) {
      src += pstride[a];
      if (++coord[a] < (size_t)s->dim[perm[a]]) break;
      src -= pstride[a] * coord[a];
      coord[a] = 0;
    }
  }
}

static bool is_identity(const int *perm, int rank) {
  for (int a = 0; a < rank; a++)
    if (perm[a] != a) return false;
  return true;
}

/* LinearGeneral: the contracted axes moved last (in in_shape's order), one
 * product with the (prod in, prod out) kernel, + bias. */
static int linear_general_apply(run *r, const kf__layer *node, const value *x, value *y) {
  const kf_layer_spec *spec = &node->spec;
  const kf_shape *s = &x->shape;
  const int n_in = spec->n_in_shape;
  int perm[KF_MAX_RANK], p = 0;
  bool contracted[KF_MAX_RANK] = {false};
  int axes[KF_MAX_RANK];
  for (int k = 0; k < n_in; k++) {
    axes[k] = spec->n_in_axes ? normalize_axis(spec->in_axes[k], s->rank) : s->rank - n_in + k;
    contracted[axes[k]] = true;
  }
  for (int a = 0; a < s->rank; a++)
    if (!contracted[a]) perm[p++] = a;
  for (int k = 0; k < n_in; k++) perm[p++] = axes[k];
  const size_t n = shape_numel(s);
  size_t k_in = 1, k_out = 1;
  for (int k = 0; k < n_in; k++) k_in *= (size_t)spec->in_shape[k];
  for (int k = 0; k < spec->n_out_shape; k++) k_out *= (size_t)spec->out_shape[k];
  const float *src = x->data;
  float *moved = NULL;
  if (!is_identity(perm, s->rank)) {
    moved = kf__malloc((n ? n : 1) * sizeof(float));
    if (!moved) {
      *r->d = kf__diag_at(KF_DIAG_NO_MEMORY, r->model->n_layers, NULL);
      return KF_ENOMEM;
    }
    transpose(s, perm, x->data, moved);
    src = moved;
  }
  const int rc = matmul_bias(r, k_in ? n / k_in : 0, k_in, k_out, src, node->param[0],
                             node->n_params > 1 ? node->param[1] : NULL, y->data);
  kf__free(moved);
  return rc;
}

/* Einsum as one batched product: the input's axes ordered (batch letters,
 * free letters, contracted letters), the kernel's (batch, contracted,
 * free), a product per batch index, the result moved to the output's order;
 * then + bias broadcast as Flax reshapes it. */
static int einsum_apply(run *r, const kf__layer *node, const value *x, value *y) {
  const kf_layer_spec *spec = &node->spec;
  kf__einsum e;
  kf__einsum_parse(spec, &e);
  const kf_shape *s = &x->shape;
  const int n_lhs = (int)strlen(e.lhs), n_ell = s->rank - n_lhs;
  /* Letters of the product: batch (lhs, rhs, out), m (lhs, out), k (lhs,
   * rhs), n (rhs, out); the ellipsis axes join m. */
  char batch[KF_MAX_RANK + 1] = "", mfree[KF_MAX_RANK + 1] = "", kc[KF_MAX_RANK + 1] = "",
       nfree[KF_MAX_RANK + 1] = "";
  for (const char *c = e.lhs; *c; c++) {
    const bool in_r = strchr(e.rhs, *c), in_o = strchr(e.out, *c);
    char *dst = in_r && in_o ? batch : in_r ? kc : mfree;
    const size_t len = strlen(dst);
    dst[len] = *c;
    dst[len + 1] = '\0';
  }
  for (const char *c = e.rhs; *c; c++) {
    if (strchr(e.lhs, *c)) continue;
    const size_t len = strlen(nfree);
    nfree[len] = *c;
    nfree[len + 1] = '\0';
  }
  size_t nb = 1, m = 1, k = 1, nn = 1;
  for (int a = 0; a < n_ell; a++) m *= (size_t)s->dim[a];
  for (const char *c = batch; *c; c++) nb *= (size_t)einsum_extent(&e, spec, s, n_ell, *c);
  for (const char *c = mfree; *c; c++) m *= (size_t)einsum_extent(&e, spec, s, n_ell, *c);
  for (const char *c = kc; *c; c++) k *= (size_t)einsum_extent(&e, spec, s, n_ell, *c);
  for (const char *c = nfree; *c; c++) nn *= (size_t)einsum_extent(&e, spec, s, n_ell, *c);
  /* Input permutation: batch letters, ellipsis, free, contracted. */
  int perm[KF_MAX_RANK], p = 0;
  for (const char *c = batch; *c; c++) perm[p++] = n_ell + (int)(strchr(e.lhs, *c) - e.lhs);
  for (int a = 0; a < n_ell; a++) perm[p++] = a;
  for (const char *c = mfree; *c; c++) perm[p++] = n_ell + (int)(strchr(e.lhs, *c) - e.lhs);
  for (const char *c = kc; *c; c++) perm[p++] = n_ell + (int)(strchr(e.lhs, *c) - e.lhs);
  kf_shape ks = {.rank = spec->n_kernel_shape};
  memcpy(ks.dim, spec->kernel_shape, sizeof ks.dim);
  int kperm[KF_MAX_RANK], q = 0;
  for (const char *c = batch; *c; c++) kperm[q++] = (int)(strchr(e.rhs, *c) - e.rhs);
  for (const char *c = kc; *c; c++) kperm[q++] = (int)(strchr(e.rhs, *c) - e.rhs);
  for (const char *c = nfree; *c; c++) kperm[q++] = (int)(strchr(e.rhs, *c) - e.rhs);
  const size_t nx = shape_numel(s), nk = shape_numel(&ks), ny = nb * m * nn;
  float *xa = kf__malloc((nx ? nx : 1) * sizeof(float));
  float *ka = kf__malloc((nk ? nk : 1) * sizeof(float));
  float *ya = kf__malloc((ny ? ny : 1) * sizeof(float));
  int rc = xa && ka && ya ? KF_OK : KF_ENOMEM;
  if (rc == KF_OK) {
    transpose(s, perm, x->data, xa);
    transpose(&ks, kperm, node->param[0], ka);
    for (size_t b = 0; rc == KF_OK && b < nb; b++)
      rc = matmul_bias(r, m, k, nn, xa + b * m * k, ka + b * k * nn, NULL, ya + b * m * nn);
  }
  if (rc == KF_OK) {
    /* ya's axes: batch, ellipsis, mfree, nfree -> the output's order. */
    kf_shape ys = {.rank = 0};
    char order[3 * KF_MAX_RANK + 1] = "";
    for (const char *c = batch; *c; c++) ys.dim[ys.rank++] = einsum_extent(&e, spec, s, n_ell, *c);
    strcat(order, batch);
    for (int a = 0; a < n_ell; a++) ys.dim[ys.rank++] = s->dim[a];
    for (const char *c = mfree; *c; c++) ys.dim[ys.rank++] = einsum_extent(&e, spec, s, n_ell, *c);
    strcat(order, mfree);
    for (const char *c = nfree; *c; c++) ys.dim[ys.rank++] = einsum_extent(&e, spec, s, n_ell, *c);
    strcat(order, nfree);
    int operm[KF_MAX_RANK], o = 0;
    for (int a = 0; a < n_ell; a++) operm[o++] = (int)strlen(batch) + a;
    for (const char *c = e.out; *c; c++) {
      const int pos = (int)(strchr(order, *c) - order);
      operm[o++] = pos < (int)strlen(batch) ? pos : pos + n_ell;
    }
    transpose(&ys, operm, ya, y->data);
    if (node->n_params > 1) {
      /* The bias over the output's kernel-letter axes, 1 on the others. */
      const float *bias = node->param[1];
      const kf_shape *os = &y->shape;
      size_t bstride[KF_MAX_RANK], coord[KF_MAX_RANK] = {0}, st = 1;
      for (int a = os->rank - 1; a >= 0; a--) {
        const bool kernel_axis = a >= n_ell && strchr(e.rhs, e.out[a - n_ell]);
        bstride[a] = kernel_axis ? st : 0;
        if (kernel_axis) st *= (size_t)os->dim[a];
      }
      float *out = y->data;
      size_t bi = 0;
      const kf__fpmode mode = kf__xla_fpmode_enter();
      for (size_t i = 0, n = shape_numel(os); i < n; i++) {
        out[i] = out[i] + bias[bi];
        for (int a = os->rank - 1; a >= 0; a--) {
          bi += bstride[a];
          if (++coord[a] < (size_t)os->dim[a]) break;
          bi -= bstride[a] * coord[a];
          coord[a] = 0;
        }
      }
      kf__xla_fpmode_leave(mode);
    }
  }
  kf__free(xa);
  kf__free(ka);
  kf__free(ya);
  if (rc == KF_ENOMEM) *r->d = kf__diag_at(KF_DIAG_NO_MEMORY, r->model->n_layers, NULL);
  return rc;
}

/* One Dropout call (Flax's stochastic.py); the key was drawn before the run. */
static int dropout_apply(run *r, const kf__layer *node, const value *x, value *y) {
  const kf_layer_spec *spec = &node->spec;
  const size_t n = shape_numel(&x->shape);
  float *out = y->data;
  if (!kf__dropout_draws(spec, r->det)) {
    if (spec->rate == 1.0 && !dropout_is_deterministic(spec, r->det)) {
      for (size_t i = 0; i < n; i++) out[i] = 0.0f;
    } else if (n > 0) {
      memcpy(out, x->data, n * sizeof(float));
    }
    return KF_OK;
  }
  const kf_key key = take_key(r);
  /* keep = 1.0 - rate in double, entering the float32 math as f32(keep). */
  const float keep = (float)(1.0 - spec->rate);
  const float recip = r->model->era == KF_FLAX_0_10 ? 0.0f : 1.0f / keep;
  const kf_shape mshape = mask_shape(spec, &x->shape);
  const size_t mn = shape_numel(&mshape);
  uint8_t *mask = kf__malloc(mn ? mn : 1);
  if (!mask) {
    *r->d = kf__diag_at(KF_DIAG_NO_MEMORY, r->model->n_layers, NULL);
    return KF_ENOMEM;
  }
  int rc = kf_random_bernoulli(key, r->model->mode, mn, keep, mask);
  if (rc == KF_OK) mask_apply(&x->shape, &mshape, mask, keep, recip, x->data, out);
  kf__free(mask);
  return rc;
}

static int run_leaf(run *r, size_t i, value *x, value *y) {
  const kf__layer *node = &r->model->layers[i];
  const kf_layer_spec *spec = &node->spec;
  kf_shape out_shape;
  int rc = leaf_output_shape(node, &x->shape, &out_shape, r->d);
  if (rc != KF_OK) return rc;
  if (r->shapes_only) {
    if (kf__dropout_draws(spec, r->det)) r->next_key++;
    y->shape = out_shape;
    y->owned = false;
    return KF_OK;
  }
  rc = value_alloc(r, y, &out_shape);
  if (rc != KF_OK) return rc;
  const size_t n_in = shape_numel(&x->shape);
  switch (spec->type) {
    case KF_LAYER_LINEAR:
      rc = matmul_bias(r, n_in / (size_t)spec->in_features, (size_t)spec->in_features,
                       (size_t)spec->out_features, x->data, node->param[0],
                       node->n_params > 1 ? node->param[1] : NULL, y->data);
      break;
    case KF_LAYER_EMBED:
      embed_apply(node, n_in, x->data, y->data);
      break;
    case KF_LAYER_DROPOUT:
      rc = dropout_apply(r, node, x, y);
      break;
    case KF_LAYER_LINEAR_GENERAL:
      rc = linear_general_apply(r, node, x, y);
      break;
    case KF_LAYER_EINSUM:
      rc = einsum_apply(r, node, x, y);
      break;
    case KF_LAYER_FLATTEN:
    case KF_LAYER_RESHAPE:
      if (n_in > 0) memcpy(y->data, x->data, n_in * sizeof(float));
      break;
    case KF_LAYER_RELU:
    case KF_LAYER_GELU:
    case KF_LAYER_TANH:
    case KF_LAYER_SIGMOID:
    case KF_LAYER_SILU:
      if (spec->type == KF_LAYER_GELU && spec->gelu_exact) {
        rc = kf__layer_apply(r->isa, node, x->data, &x->shape, y->data, r->det, NULL, r->stats,
                             r->model);
        break;
      }
      activation_apply(spec->type, n_in, x->data, y->data, r->isa);
      break;
    default: {
      const bool draws = kf__dropout_draws(spec, r->det);
      const kf_key key = draws ? take_key(r) : (kf_key){0, 0};
      rc = kf__layer_apply(r->isa, node, x->data, &x->shape, y->data, r->det, draws ? &key : NULL,
                           r->stats, r->model);
      if (rc == KF_EUNSUPPORTED) *r->d = kf__diag_node(KF_DIAG_SPEC, node);
      if (rc == KF_ENOMEM) *r->d = kf__diag_at(KF_DIAG_NO_MEMORY, r->model->n_layers, NULL);
      break;
    }
  }
  if (rc != KF_OK) value_drop(y);
  return rc;
}

static int run_node(run *r, size_t i, value *x, value *y) {
  if (r->shapes_only && !r->stopped && i == r->stop_at) {
    r->stopped = true;
    r->stop_shape = x->shape;
  }
  if (r->stopped) {
    y->shape = x->shape;
    y->owned = false;
    return KF_OK;
  }
  switch (r->model->layers[i].spec.type) {
    case KF_LAYER_SEQUENTIAL:
    case KF_LAYER_REPEAT:
      return run_children(r, i, x, y);
    case KF_LAYER_RESIDUAL:
      return run_residual(r, i, x, y);
    default:
      return run_leaf(r, i, x, y);
  }
}

/* Runs the root's children (every top-level node). */
static int run_model(run *r, value *x, value *y) { return run_sequence(r, 0, r->model->n_layers, x, y); }

/* The first leaf, which reads the input. */
static const kf__layer *first_leaf(const kf_model *model) {
  for (size_t i = 0; i < model->n_layers; i++)
    if (!kf__is_container(model->layers[i].spec.type)) return &model->layers[i];
  return NULL;
}

/* Checks the input's own shape and dtype (faults of layer 0). */
static int check_input(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                       kf_model_diag *d) {
  size_t numel;
  int rc = kf_shape_numel(in, &numel);
  const kf__layer *first = first_leaf(model);
  if (rc != KF_OK) {
    *d = first ? kf__diag_node(KF_DIAG_SHAPE, first) : kf__diag_at(KF_DIAG_SHAPE, 0, NULL);
    return rc;
  }
  const kf_dtype wanted = kf_model_input_dtype(model);
  if (in_dtype != wanted) {
    if (first) return shape_fault(d, KF_DIAG_DTYPE, first, in, wanted, in_dtype, KF_EMISMATCH);
    *d = kf__diag_at(KF_DIAG_DTYPE, 0, NULL);
    d->expected = wanted;
    d->actual = in_dtype;
    return KF_EMISMATCH;
  }
  return KF_OK;
}

/* The shape reaching node `upto` (n_layers: the output). Borrows model and
 * in; writes *out, or *d on failure. */
static int walk_shapes(kf_model *model, const kf_shape *in, kf_dtype in_dtype, size_t upto,
                       kf_shape *out, kf_model_diag *d) {
  int rc = check_input(model, in, in_dtype, d);
  if (rc != KF_OK) return rc;
  run r = {.model = model, .det = KF_DET_TRUE, .shapes_only = true, .stop_at = upto, .d = d};
  value x = {.shape = *in}, y = {0};
  rc = run_model(&r, &x, &y);
  if (rc != KF_OK) return rc;
  *out = r.stopped ? r.stop_shape : y.shape;
  return KF_OK;
}

/* Borrows model and in; writes the caller's *out, or *diag on failure. */
int kf_model_output_shape(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                          kf_shape *out, kf_model_diag *diag) {
  return kf_model_layer_input_shape(model, in, in_dtype, model ? model->n_layers : 0, out, diag);
}

/* Borrows model and in; writes the caller's *out, or *diag on failure. */
int kf_model_layer_input_shape(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                               size_t i, kf_shape *out, kf_model_diag *diag) {
  if (!kf__diag_usable(diag)) return KF_EINVAL;
  if (!model || !in || !out) return KF_EINVAL;
  kf_model_diag d = kf__diag_at(KF_DIAG_ARGUMENT, model->n_layers, NULL);
  if (i > model->n_layers) {
    kf__diag_report(diag, &d);
    return KF_ERANGE;
  }
  const int rc = walk_shapes((kf_model *)model, in, in_dtype, i, out, &d);
  if (rc != KF_OK) kf__diag_report(diag, &d);
  return rc;
}

/* Borrows layers and in; writes the caller's *out, or *diag on failure.
 * Builds the nodes (no parameters) to walk them. */
int kf_layers_input_shape(const kf_layer_spec *layers, size_t n_layers, const kf_shape *in,
                          kf_dtype in_dtype, size_t i, kf_shape *out, kf_model_diag *diag) {
  if (!kf__diag_usable(diag)) return KF_EINVAL;
  kf_model *model = NULL;
  kf_model_diag d;
  int rc = kf__model_skeleton(layers, n_layers, &model, &d);
  if (rc == KF_OK && (!in || !out)) rc = KF_EINVAL;
  if (rc == KF_OK && i > model->n_layers) {
    rc = KF_ERANGE;
    d = kf__diag_at(KF_DIAG_ARGUMENT, model->n_layers, NULL);
  } else if (rc == KF_OK) {
    rc = walk_shapes(model, in, in_dtype, i, out, &d);
  }
  if (rc != KF_OK && rc != KF_EINVAL) kf__diag_report(diag, &d);
  kf_model_free(model);
  return rc;
}

/* Borrows model; writes the caller's *n. */
int kf_model_forward_draws(const kf_model *model, kf_deterministic det, size_t *n) {
  if (!model || !n || (det != KF_DET_LAYER && det != KF_DET_FALSE && det != KF_DET_TRUE)) return KF_EINVAL;
  size_t count = 0;
  for (size_t i = 0; i < model->n_layers; i++) count += kf__dropout_draws(&model->layers[i].spec, det);
  *n = count;
  return KF_OK;
}

/* Checks that every index of x lies in [-V, V) for the embed that reads it. */
static int check_indices(const kf__layer *layer, const kf_tensor *x, size_t n,
                         kf_model_diag *d) {
  const int64_t v = layer->spec.num_embeddings;
  const int32_t *indices = x->data;
  for (size_t i = 0; i < n; i++) {
    if (indices[i] < -v || indices[i] >= v) {
      shape_fault(d, KF_DIAG_INDEX_RANGE, layer, &x->shape, v, 0, KF_ERANGE);
      d->element = i;
      d->index = indices[i];
      return KF_ERANGE;
    }
  }
  return KF_OK;
}

/* Draws this call's keys, in node order: one per drawing dropout or
 * attention, from the stream the node holds (0.11+) or from rngs (its
 * rng_collection; an attention's 'dropout'), each falling back to 'default'.
 * Checks everything first: on failure nothing has advanced. */
static int draw_keys(kf_model *model, kf_rngs *rngs, kf_deterministic det, kf_key *keys,
                     kf_model_diag *d) {
  size_t needed[KF_RNGS_MAX_STREAMS] = {0};
  for (int pass = 0; pass < 2; pass++) {
    size_t k = 0;
    for (size_t i = 0; i < model->n_layers; i++) {
      const kf__layer *layer = &model->layers[i];
      const kf_layer_spec *spec = &layer->spec;
      if (!kf__dropout_draws(spec, det)) continue;
      const char *stream = spec->type == KF_LAYER_DROPOUT ? spec->rng_collection : "dropout";
      if (layer->held != SIZE_MAX) {
        kf_stream_state *held = &model->held[layer->held].state;
        if (pass == 1) {
          keys[k++] = kf_fold_in(held->key, held->count++);
        } else if (held->count == UINT32_MAX) {
          *d = kf__diag_node(KF_DIAG_STREAM, layer);
          memcpy(d->stream, held->name, sizeof d->stream);
          return KF_EEXHAUSTED;
        }
        continue;
      }
      if (pass == 1) {
        kf_rngs_draw(rngs, stream, 1, &keys[k++], NULL, NULL); /* checked in pass 0 */
        continue;
      }
      size_t index;
      int rc = rngs ? kf_rngs_resolve(rngs, stream, &index) : KF_EINVAL;
      if (rc == KF_OK) rc = kf_rngs_can_draw(rngs, stream, ++needed[index]);
      if (rc != KF_OK) {
        *d = kf__diag_node(rngs ? KF_DIAG_STREAM : KF_DIAG_ARGUMENT, layer);
        snprintf(d->stream, sizeof d->stream, "%s", stream);
        return rc;
      }
    }
  }
  return KF_OK;
}

/* The streams a forward call may advance, to put back if it fails after drawing. */
typedef struct stream_backup {
  size_t n_rngs;
  kf_stream_state rngs[KF_RNGS_MAX_STREAMS];
  kf_stream_state *held;
} stream_backup;

/* Borrows model, x and rngs; advances the drawing nodes' streams (rngs' or
 * the model's own) and updates batch statistics on success only; writes
 * y->shape, y->dtype and y->data (caller-owned, not overlapping x->data). */
int kf_model_forward(kf_model *model, kf_rngs *rngs, const kf_tensor *x,
                     kf_deterministic deterministic, kf_tensor *y, kf_model_diag *diag) {
  if (!kf__diag_usable(diag)) return KF_EINVAL;
  const size_t n_layers = model ? model->n_layers : 0;
  kf_model_diag d = kf__diag_at(KF_DIAG_ARGUMENT, n_layers, NULL);
  int rc = KF_OK;
  if (!model || !x || !y ||
      (deterministic != KF_DET_LAYER && deterministic != KF_DET_FALSE &&
       deterministic != KF_DET_TRUE))
    rc = KF_EINVAL;
  kf_shape out_shape;
  if (rc == KF_OK) rc = walk_shapes(model, &x->shape, x->dtype, n_layers, &out_shape, &d);
  const size_t n_in = rc == KF_OK ? shape_numel(&x->shape) : 0;
  const size_t n_out = rc == KF_OK ? shape_numel(&out_shape) : 0;
  if (rc == KF_OK && ((n_in > 0 && !x->data) || (n_out > 0 && !y->data))) rc = KF_EINVAL;
  if (rc == KF_OK && kf_model_input_dtype(model) == KF_INT32)
    rc = check_indices(first_leaf(model), x, n_in, &d);
  size_t n_keys = 0;
  if (rc == KF_OK) kf_model_forward_draws(model, deterministic, &n_keys);
  kf_key *keys = NULL;
  float *stats = NULL;
  stream_backup backup = {0};
  if (rc == KF_OK) {
    /* Each allocation only after the ones before it worked. */
    bool ok = n_keys == 0 || (keys = kf__malloc(n_keys * sizeof *keys)) != NULL;
    if (ok && model->n_stat_floats > 0)
      ok = (stats = kf__malloc(model->n_stat_floats * sizeof *stats)) != NULL;
    if (ok && model->n_held > 0)
      ok = (backup.held = kf__malloc(model->n_held * sizeof *backup.held)) != NULL;
    if (!ok) {
      rc = KF_ENOMEM;
      d = kf__diag_at(KF_DIAG_NO_MEMORY, n_layers, NULL);
    }
  }
  if (rc == KF_OK) {
    backup.n_rngs = rngs ? kf_rngs_stream_count(rngs) : 0;
    for (size_t i = 0; i < backup.n_rngs; i++) kf_rngs_stream_at(rngs, i, &backup.rngs[i]);
    for (size_t i = 0; i < model->n_held; i++) backup.held[i] = model->held[i].state;
    if (stats) memcpy(stats, model->stat_storage, model->n_stat_floats * sizeof *stats);
    rc = draw_keys(model, rngs, deterministic, keys, &d);
  }
  value out = {0};
  if (rc == KF_OK) {
    run r = {.model = model, .det = deterministic, .isa = kf__isa_best(), .keys = keys,
             .stats = stats, .d = &d};
    value in = {.shape = x->shape, .data = x->data};
    rc = run_model(&r, &in, &out);
    if (rc != KF_OK) {
      /* Nothing is handed out: the draws go back. */
      for (size_t i = 0; i < backup.n_rngs; i++) kf_rngs_set_stream(rngs, i, &backup.rngs[i]);
      for (size_t i = 0; i < model->n_held; i++) model->held[i].state = backup.held[i];
    }
  }
  if (rc == KF_OK) {
    if (n_out > 0) memcpy(y->data, out.data, n_out * sizeof(float));
    if (stats) memcpy(model->stat_storage, stats, model->n_stat_floats * sizeof *stats);
    y->dtype = KF_FLOAT32;
    y->shape = out_shape;
  }
  if (out.owned) kf__free(out.data);
  kf__free(keys);
  kf__free(stats);
  kf__free(backup.held);
  if (rc != KF_OK) kf__diag_report(diag, &d);
  return rc;
}
