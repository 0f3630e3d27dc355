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
#include <string.h>

#include "activations.h"
#include "alloc.h"
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

/* A fault of layer `index` for the input shape *in reaching it. */
static int shape_fault(kf_model_diag *d, kf_diag_reason reason, size_t index,
                       const kf_layer_spec *spec, const kf_shape *in, int64_t expected,
                       int64_t actual, int rc) {
  *d = kf__diag_at(reason, index, spec);
  d->expected = expected;
  d->actual = actual;
  d->has_shape = true;
  d->shape = *in;
  return rc;
}

/* Output shape of layer `index` for an input of shape *in. Borrows spec and
 * in; writes *out, or *d on failure. */
static int layer_output_shape(const kf_layer_spec *spec, size_t index, const kf_shape *in,
                              kf_shape *out, kf_model_diag *d) {
  kf_shape s = *in;
  switch (spec->type) {
    case KF_LAYER_LINEAR:
      if (s.rank < 1)
        return shape_fault(d, KF_DIAG_RANK_TOO_LOW, index, spec, in, 1, 0, KF_EMISMATCH);
      if (s.dim[s.rank - 1] != spec->in_features)
        return shape_fault(d, KF_DIAG_WIDTH, index, spec, in, spec->in_features,
                           s.dim[s.rank - 1], KF_EMISMATCH);
      s.dim[s.rank - 1] = spec->out_features;
      break;
    case KF_LAYER_EMBED:
      if (s.rank >= KF_MAX_RANK)
        return shape_fault(d, KF_DIAG_RANK_TOO_HIGH, index, spec, in, KF_MAX_RANK - 1, s.rank,
                           KF_EMISMATCH);
      s.dim[s.rank++] = spec->features;
      break;
    case KF_LAYER_DROPOUT:
      for (int a = 0; a < spec->n_broadcast_dims; a++) {
        if (normalize_axis(spec->broadcast_dims[a], s.rank) < 0)
          return shape_fault(d, KF_DIAG_BROADCAST_AXIS, index, spec, in, s.rank,
                             spec->broadcast_dims[a], KF_EMISMATCH);
      }
      break;
    default:
      break; /* activations keep the shape */
  }
  size_t numel;
  const int rc = kf_shape_numel(&s, &numel);
  if (rc != KF_OK) return shape_fault(d, KF_DIAG_TOO_LARGE, index, spec, in, 0, 0, rc);
  *out = s;
  return KF_OK;
}

/* Where a shape walk reads its layers: a built model's, or a caller's list
 * of specs (model NULL). */
typedef struct layer_source {
  const kf_model *model;
  const kf_layer_spec *list;
} layer_source;

/* Layer i's spec: the model's own, or the list's read into *buf. NULL (with
 * *rc set) if the list's element cannot be read. */
static const kf_layer_spec *source_spec(const layer_source *src, size_t i, kf_layer_spec *buf,
                                        int *rc) {
  if (src->model) return &src->model->layers[i].spec;
  *rc = kf__spec_read(src->list, i, buf);
  return *rc == KF_OK ? buf : NULL;
}

/* The shape reaching layer `upto` for an input of shape *in and dtype
 * in_dtype, the source having more than `upto` layers or exactly as many.
 * Faults of the input itself are reported against layer 0, which reads it.
 * Borrows src and in; writes *out, or *d on failure. */
static int walk_shapes(const layer_source *src, const kf_shape *in, kf_dtype in_dtype,
                       size_t upto, kf_shape *out, kf_model_diag *d) {
  kf_layer_spec buf;
  int rc = KF_OK;
  const kf_layer_spec *first = source_spec(src, 0, &buf, &rc);
  if (!first) {
    *d = kf__diag_at(KF_DIAG_ARGUMENT, 0, NULL);
    d->field = "struct_size";
    return rc;
  }
  size_t numel;
  rc = kf_shape_numel(in, &numel);
  if (rc != KF_OK) {
    *d = kf__diag_at(KF_DIAG_SHAPE, 0, first);
    return rc;
  }
  const kf_dtype wanted = first->type == KF_LAYER_EMBED ? KF_INT32 : KF_FLOAT32;
  if (in_dtype != wanted)
    return shape_fault(d, KF_DIAG_DTYPE, 0, first, in, wanted, in_dtype, KF_EMISMATCH);
  kf_shape s = *in;
  for (size_t i = 0; i < upto; i++) {
    const kf_layer_spec *spec = source_spec(src, i, &buf, &rc);
    if (!spec) {
      *d = kf__diag_at(KF_DIAG_ARGUMENT, i, NULL);
      d->field = "struct_size";
      return rc;
    }
    rc = layer_output_shape(spec, i, &s, &s, d);
    if (rc != KF_OK) return rc;
  }
  *out = s;
  return KF_OK;
}

/* The public shape queries: checks the arguments, walks, reports. */
static int shape_query(const layer_source *src, size_t n_layers, const kf_shape *in,
                       kf_dtype in_dtype, size_t upto, kf_shape *out, kf_model_diag *diag) {
  if (!kf__diag_usable(diag)) return KF_EINVAL;
  kf_model_diag d = kf__diag_at(KF_DIAG_ARGUMENT, n_layers, NULL);
  int rc = KF_OK;
  if (!in || !out || n_layers == 0 || (!src->model && !src->list))
    rc = KF_EINVAL;
  else if (upto > n_layers)
    rc = KF_ERANGE;
  else
    rc = walk_shapes(src, in, in_dtype, upto, out, &d);
  if (rc != KF_OK) kf__diag_report(diag, &d);
  return rc;
}

/* Borrows model and in; writes the caller's *out, or *diag on failure. */
int kf_model_output_shape(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                          kf_shape *out, kf_model_diag *diag) {
  const layer_source src = {model, NULL};
  const size_t n = model ? model->n_layers : 0;
  return shape_query(&src, n, in, in_dtype, n, out, diag);
}

/* Borrows model and in; writes the caller's *out, or *diag on failure. */
int kf_model_layer_input_shape(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                               size_t i, kf_shape *out, kf_model_diag *diag) {
  const layer_source src = {model, NULL};
  return shape_query(&src, model ? model->n_layers : 0, in, in_dtype, i, out, diag);
}

/* Borrows layers and in; writes the caller's *out, or *diag on failure. */
int kf_layers_input_shape(const kf_layer_spec *layers, size_t n_layers, const kf_shape *in,
                          kf_dtype in_dtype, size_t i, kf_shape *out, kf_model_diag *diag) {
  const layer_source src = {NULL, layers};
  return shape_query(&src, n_layers, in, in_dtype, i, out, diag);
}

/* Whether a dropout layer draws a key in this call: Flax returns before
 * drawing when the layer is deterministic, when rate is 0 (identity) and when
 * rate is 1 (zeros). */
static int dropout_is_deterministic(const kf_layer_spec *spec, kf_deterministic det) {
  return det == KF_DET_LAYER ? spec->deterministic != 0 : det == KF_DET_TRUE;
}

bool kf__dropout_draws(const kf_layer_spec *spec, kf_deterministic det) {
  return spec->type == KF_LAYER_DROPOUT && !dropout_is_deterministic(spec, det) &&
         spec->rate != 0.0 && spec->rate != 1.0;
}

/* The shape of a dropout's mask: the input's, with each broadcast axis set to 1. */
static kf_shape mask_shape(const kf_layer_spec *spec, const kf_shape *in) {
  kf_shape m = *in;
  for (int d = 0; d < spec->n_broadcast_dims; d++)
    m.dim[normalize_axis(spec->broadcast_dims[d], m.rank)] = 1;
  return m;
}

static size_t shape_numel(const kf_shape *shape) {
  size_t n = 0;
  kf_shape_numel(shape, &n); /* only called on shapes already validated */
  return n;
}

/* Checks that every index of x lies in [-V, V) for the embed that reads it
 * (layer 0). Borrows layer and x; writes *d on failure. */
static int check_indices(const kf__layer *layer, const kf_tensor *x, size_t n,
                         kf_model_diag *d) {
  const int64_t v = layer->spec.num_embeddings;
  const int32_t *indices = x->data;
  for (size_t i = 0; i < n; i++) {
    if (indices[i] < -v || indices[i] >= v) {
      shape_fault(d, KF_DIAG_INDEX_RANGE, 0, &layer->spec, &x->shape, v, 0, KF_ERANGE);
      d->element = i;
      d->index = indices[i];
      return KF_ERANGE;
    }
  }
  return KF_OK;
}

/* Checks, without drawing, that every stream the stochastic dropouts draw from
 * can serve all of this call's draws. Streams of the Rngs are counted after
 * resolution so that two names falling back to 'default' add up; a stream a
 * layer holds (0.11+) serves that layer alone, once. Borrows everything. */
static int check_dropout_draws(const kf_model *model, const kf_rngs *rngs, kf_deterministic det,
                               kf_model_diag *d) {
  size_t needed[KF_RNGS_MAX_STREAMS] = {0};
  for (size_t i = 0; i < model->n_layers; i++) {
    const kf__layer *layer = &model->layers[i];
    const kf_layer_spec *spec = &layer->spec;
    if (!kf__dropout_draws(spec, det)) continue;
    if (layer->held != SIZE_MAX) {
      const kf_stream_state *held = &model->held[layer->held].state;
      if (held->count < UINT32_MAX) continue;
      *d = kf__diag_at(KF_DIAG_STREAM, i, spec);
      memcpy(d->stream, held->name, sizeof d->stream);
      return KF_EEXHAUSTED;
    }
    size_t stream;
    int rc = rngs ? kf_rngs_resolve(rngs, spec->rng_collection, &stream) : KF_EINVAL;
    if (rc == KF_OK) rc = kf_rngs_can_draw(rngs, spec->rng_collection, ++needed[stream]);
    if (rc != KF_OK) {
      *d = kf__diag_at(rngs ? KF_DIAG_STREAM : KF_DIAG_ARGUMENT, i, spec);
      memcpy(d->stream, spec->rng_collection, sizeof d->stream);
      return rc;
    }
  }
  return KF_OK;
}

/* Borrows model; writes the caller's *n. */
int kf_model_forward_draws(const kf_model *model, kf_deterministic det, size_t *n) {
  if (!model || !n || (det != KF_DET_LAYER && det != KF_DET_FALSE && det != KF_DET_TRUE)) return KF_EINVAL;
  size_t count = 0;
  for (size_t i = 0; i < model->n_layers; i++) count += kf__dropout_draws(&model->layers[i].spec, det);
  *n = count;
  return KF_OK;
}

/* Scratch for the forward pass: two activation buffers (a linear cannot work
 * in place) and one dropout mask, each sized for the largest use. */
typedef struct scratch {
  float *act[2];
  uint8_t *mask;
  kf__isa isa;  /* the matrix product's instruction set */
  float *gemm;  /* its packing space, when the model has a linear */
} scratch;

static int scratch_alloc(const kf_model *model, const kf_shape *in, kf_deterministic det,
                         scratch *s) {
  size_t act_n = 0, mask_n = 0, gemm_n = 0;
  s->isa = kf__isa_best();
  kf_shape shape = *in;
  for (size_t i = 0; i < model->n_layers; i++) {
    const kf__layer *layer = &model->layers[i];
    if (layer->spec.type == KF_LAYER_LINEAR) {
      const size_t in_f = (size_t)layer->spec.in_features;
      const size_t w = kf__gemm_workspace(s->isa, shape_numel(&shape) / in_f,
                                          (size_t)layer->spec.out_features, in_f);
      if (w > gemm_n) gemm_n = w;
    }
    if (kf__dropout_draws(&layer->spec, det)) {
      const kf_shape m = mask_shape(&layer->spec, &shape);
      const size_t n = shape_numel(&m);
      if (n > mask_n) mask_n = n;
    }
    kf_model_diag unused;
    layer_output_shape(&layer->spec, i, &shape, &shape, &unused); /* validated before */
    /* The last layer writes straight to the caller's output. */
    const size_t n = shape_numel(&shape);
    if (i + 1 < model->n_layers && n > act_n) act_n = n;
  }
  s->act[0] = s->act[1] = NULL;
  s->mask = NULL;
  s->gemm = NULL;
  if (act_n > SIZE_MAX / (2 * sizeof(float))) return KF_ENOMEM;
  /* Each allocation only after the ones before it worked. */
  bool ok = true;
  if (act_n > 0) {
    s->act[0] = kf__malloc(2 * act_n * sizeof(float));
    if (s->act[0]) s->act[1] = s->act[0] + act_n;
    ok = s->act[0] != NULL;
  }
  if (ok && mask_n > 0) ok = (s->mask = kf__malloc(mask_n)) != NULL;
  if (ok && gemm_n > 0) ok = (s->gemm = kf__malloc(gemm_n * sizeof(float))) != NULL;
  if (!ok) {
    kf__free(s->act[0]);
    kf__free(s->mask);
    kf__free(s->gemm);
    return KF_ENOMEM;
  }
  return KF_OK;
}

static void scratch_free(scratch *s) {
  kf__free(s->act[0]);
  kf__free(s->mask);
  kf__free(s->gemm);
}

/* y[r, j] = fma chain over k of x[r, k] W[k, j] (kf__gemm), then + b[j] in
 * float32, as a separate rounding like XLA's dot followed by its add. */
static void linear_apply(const kf__layer *layer, size_t rows, const float *x, float *y,
                         const scratch *s) {
  const size_t in = (size_t)layer->spec.in_features;
  const size_t out = (size_t)layer->spec.out_features;
  const float *bias = layer->n_params > 1 ? layer->param[1] : NULL;
  const kf__fpmode mode = kf__xla_fpmode_enter();
  kf__gemm(s->isa, rows, out, in, x, layer->param[0], y, s->gemm);
  if (bias) {
    for (size_t r = 0; r < rows; r++) {
      float *yr = y + r * out;
      for (size_t j = 0; j < out; j++) yr[j] = yr[j] + bias[j];
    }
  }
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

/* One dropout call, Flax's stochastic.py. Draws only when kf__dropout_draws
 * says so — from the stream the layer holds (0.11+) or from rngs (0.10,
 * shared) — and check_dropout_draws made sure that draw succeeds. */
static int dropout_apply(kf_model *model, const kf__layer *layer, kf_rngs *rngs,
                         kf_deterministic det, const kf_shape *shape, const float *x, float *y,
                         uint8_t *mask) {
  const kf_layer_spec *spec = &layer->spec;
  const size_t n = shape_numel(shape);
  if (!kf__dropout_draws(spec, det)) {
    if (spec->rate == 1.0 && !dropout_is_deterministic(spec, det)) {
      for (size_t i = 0; i < n; i++) y[i] = 0.0f;
    } else if (y != x && n > 0) {
      memcpy(y, x, n * sizeof(float));
    }
    return KF_OK;
  }
  kf_key key;
  int rc = KF_OK;
  if (layer->held != SIZE_MAX) {
    kf_stream_state *held = &model->held[layer->held].state;
    key = kf_fold_in(held->key, held->count++);
  } else {
    rc = kf_rngs_draw(rngs, spec->rng_collection, 1, &key, NULL, NULL);
  }
  /* keep = 1.0 - rate in double, entering the float32 math as f32(keep). */
  const float keep = (float)(1.0 - spec->rate);
  const float recip = model->era == KF_FLAX_0_10 ? 0.0f : 1.0f / keep;
  const kf_shape mshape = mask_shape(spec, shape);
  if (rc == KF_OK) rc = kf_random_bernoulli(key, model->mode, shape_numel(&mshape), keep, mask);
  if (rc == KF_OK) mask_apply(shape, &mshape, mask, keep, recip, x, y);
  return rc;
}

/* Borrows model, x and rngs; advances the dropouts' streams (rngs' or the
 * model's own) on success only; writes y->shape, y->dtype and y->data
 * (caller-owned, not overlapping x->data). */
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
  if (rc == KF_OK) {
    const layer_source src = {model, NULL};
    rc = walk_shapes(&src, &x->shape, x->dtype, n_layers, &out_shape, &d);
  }
  const size_t n_in = rc == KF_OK ? shape_numel(&x->shape) : 0;
  const size_t n_out = rc == KF_OK ? shape_numel(&out_shape) : 0;
  if (rc == KF_OK && ((n_in > 0 && !x->data) || (n_out > 0 && !y->data))) rc = KF_EINVAL;
  if (rc == KF_OK && kf_model_input_dtype(model) == KF_INT32)
    rc = check_indices(&model->layers[0], x, n_in, &d);
  if (rc == KF_OK) rc = check_dropout_draws(model, rngs, deterministic, &d);
  scratch s;
  if (rc == KF_OK) {
    rc = scratch_alloc(model, &x->shape, deterministic, &s);
    if (rc != KF_OK) d = kf__diag_at(KF_DIAG_NO_MEMORY, n_layers, NULL);
  }
  if (rc != KF_OK) {
    kf__diag_report(diag, &d);
    return rc;
  }

  /* From here on nothing can fail: shapes, indices and draws are checked and
   * the scratch is allocated. */
  const void *src = x->data;
  kf_shape shape = x->shape;
  for (size_t i = 0; rc == KF_OK && i < model->n_layers; i++) {
    const kf__layer *layer = &model->layers[i];
    kf_shape next;
    kf_model_diag unused;
    layer_output_shape(&layer->spec, i, &shape, &next, &unused);
    const int elementwise = layer->spec.type != KF_LAYER_LINEAR &&
                            layer->spec.type != KF_LAYER_EMBED;
    float *dst;
    if (i + 1 == model->n_layers) {
      dst = y->data;
    } else if (elementwise && (src == s.act[0] || src == s.act[1])) {
      dst = (float *)src; /* elementwise layers may work in place */
    } else {
      dst = src == s.act[0] ? s.act[1] : s.act[0];
    }
    switch (layer->spec.type) {
      case KF_LAYER_LINEAR:
        linear_apply(layer, shape_numel(&shape) / (size_t)layer->spec.in_features, src, dst, &s);
        break;
      case KF_LAYER_EMBED:
        embed_apply(layer, shape_numel(&shape), src, dst);
        break;
      case KF_LAYER_DROPOUT:
        rc = dropout_apply(model, layer, rngs, deterministic, &shape, src, dst, s.mask);
        break;
      default:
        activation_apply(layer->spec.type, shape_numel(&shape), src, dst, s.isa);
        break;
    }
    if (rc != KF_OK) d = kf__diag_at(KF_DIAG_STREAM, i, &layer->spec);
    src = dst;
    shape = next;
  }
  scratch_free(&s);
  if (rc != KF_OK) {
    kf__diag_report(diag, &d);
    return rc;
  }
  y->dtype = KF_FLOAT32;
  y->shape = out_shape;
  return KF_OK;
}
