/* keyfold — small NNX models: a sequence of layers whose parameters and
 * dropout masks are drawn from a kf_rngs exactly as Flax NNX 0.9–0.10 draws
 * them (spec: flax-nnx.md §3–§5).
 *
 * A kf_model is an opaque handle owning its parameters. It does not keep the
 * kf_rngs it was built from: the caller passes the same Rngs to every forward
 * call, which is what a Flax 0.10 Dropout holding the model's Rngs means.
 */
#ifndef KEYFOLD_NN_H
#define KEYFOLD_NN_H

#include <stddef.h>
#include <stdint.h>

#include "keyfold/init.h"
#include "keyfold/prng.h"
#include "keyfold/rngs.h"
#include "keyfold/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kf_layer_type {
  KF_LAYER_LINEAR = 0, /* y = x @ kernel + bias; kernel (in, out) drawn first, bias second */
  KF_LAYER_EMBED,      /* y = embedding[x]; integer input; one params draw */
  KF_LAYER_DROPOUT,    /* one draw from rng_collection per non-deterministic call */
  KF_LAYER_RELU,
  KF_LAYER_GELU,       /* jax.nn.gelu(approximate=True), the tanh form */
  KF_LAYER_TANH,
  KF_LAYER_SIGMOID,
  KF_LAYER_SILU,
  KF_LAYER_TYPE_COUNT
} kf_layer_type;

/* Every field a layer type may use; kf_layer_spec_make fills the defaults. */
typedef struct kf_layer_spec {
  kf_layer_type type;
  /* linear */
  int64_t in_features;
  int64_t out_features;
  int use_bias;            /* default 1 */
  kf_init kernel_init;     /* default lecun_normal */
  kf_init bias_init;       /* default zeros */
  /* embed */
  int64_t num_embeddings;
  int64_t features;
  kf_init embedding_init;  /* default variance_scaling(1, fan_in, normal, out_axis=0) */
  /* dropout */
  double rate;                                   /* in [0, 1] */
  char rng_collection[KF_STREAM_NAME_MAX + 1];   /* default "dropout" */
  int n_broadcast_dims;                          /* 0 .. KF_MAX_RANK */
  int broadcast_dims[KF_MAX_RANK];               /* axes of the input; negative from the end */
  int deterministic;                             /* default 0 */
} kf_layer_spec;

/* Fills *out with `type` and Flax's defaults. Returns KF_EINVAL for an unknown type. */
int kf_layer_spec_make(kf_layer_type type, kf_layer_spec *out);

/* Static name of a layer type ("linear", "dropout", ...), NULL if unknown. */
const char *kf_layer_type_name(kf_layer_type type);
int kf_layer_type_from_name(const char *name, kf_layer_type *out);

/* Validates a model spec without building it. Checks sizes (positive, within
 * KF_MAX_ELEMENTS), rates in [0, 1], initializers, stream names, that each
 * linear's in_features equals the width produced before it and that an embed
 * is only the first layer. On success stores the total number of parameter
 * elements in *param_elements (may be NULL). On failure stores the index of
 * the offending layer in *bad_layer (may be NULL; n_layers if the list itself
 * is at fault) and returns KF_EINVAL, KF_ERANGE, KF_EMISMATCH or KF_EOVERFLOW. */
int kf_model_check(const kf_layer_spec *layers, size_t n_layers, uint64_t *param_elements,
                   size_t *bad_layer);

typedef struct kf_model kf_model;

/* Builds a model, drawing parameter keys from `rngs` in Flax's order
 * (rngs.params(), falling back to 'default'). All or nothing: on failure
 * neither *out nor rngs is changed. On success *out is a new handle freed
 * with kf_model_free. Returns kf_model_check's errors, KF_ENOTFOUND if a
 * layer needs 'params' and neither it nor 'default' exists, KF_EEXHAUSTED,
 * KF_ENOMEM. The threefry mode is kf_rngs_mode(rngs). */
int kf_model_new(const kf_layer_spec *layers, size_t n_layers, kf_rngs *rngs, kf_model **out,
                 size_t *bad_layer);

/* Frees a model; NULL is allowed. */
void kf_model_free(kf_model *model);

size_t kf_model_layer_count(const kf_model *model);
kf_threefry_mode kf_model_mode(const kf_model *model);

/* Copies layer i's spec (with defaults filled in). KF_ERANGE if out of range. */
int kf_model_layer_spec(const kf_model *model, size_t i, kf_layer_spec *out);

/* Number of parameters of layer i: 2 (kernel, bias), 1 (kernel; embedding) or 0. */
size_t kf_model_param_count(const kf_model *model, size_t i);

/* Borrows parameter j of layer i: *name is "kernel", "bias" or "embedding",
 * *view a float32 tensor pointing into the model, valid until kf_model_free.
 * The caller must not write through it. KF_ERANGE if out of range. */
int kf_model_param(const kf_model *model, size_t i, size_t j, const char **name, kf_tensor *view);

/* Deterministic override for a forward pass. */
typedef enum kf_deterministic {
  KF_DET_LAYER = -1, /* each dropout uses its own `deterministic` attribute */
  KF_DET_FALSE = 0,  /* every dropout is stochastic (model.train()) */
  KF_DET_TRUE = 1    /* every dropout is the identity (model.eval()) */
} kf_deterministic;

/* Computes the output shape for an input of shape `in` and dtype `in_dtype`.
 * Returns KF_EMISMATCH (with *bad_layer set) if the input does not fit:
 * wrong last-axis width for a linear, non-integer input to an embed,
 * a non-float input to another layer, a broadcast dim outside the rank,
 * a rank-0 input to a linear; KF_EOVERFLOW if the output is too large. */
int kf_model_output_shape(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                          kf_shape *out, size_t *bad_layer);

/* Runs the model on x (float32, or int32 indices for an embed-first model).
 * y->data must hold numel(output shape) floats; y->shape and y->dtype are set.
 * Each stochastic dropout draws one key from rngs[rng_collection] (falling
 * back to 'default'). All or nothing for rngs: on any failure no count has
 * advanced. Returns kf_model_output_shape's errors, KF_ERANGE for an embed
 * index out of range, KF_ENOTFOUND, KF_EEXHAUSTED, KF_ENOMEM. */
int kf_model_forward(const kf_model *model, kf_rngs *rngs, const kf_tensor *x,
                     kf_deterministic deterministic, kf_tensor *y, size_t *bad_layer);

#ifdef __cplusplus
}
#endif

#endif
