/* keyfold — small NNX models: a sequence of layers whose parameters and
 * dropout masks are drawn from a kf_rngs exactly as Flax NNX draws them
 * (spec: flax-nnx.md §3–§5), in the era of that Rngs (kf_flax_era):
 *
 *  - Flax 0.9–0.10: the model does not keep the kf_rngs it was built from;
 *    the caller passes the same Rngs to every forward call, which is what a
 *    Dropout holding the model's Rngs means.
 *  - Flax >= 0.11: each dropout forks its stream at construction (one key of
 *    rngs[rng_collection], falling back to 'default', drawn as the
 *    constructors run, between the parameter draws of the layers around it)
 *    and the model keeps that stream — key, count and the tag of the stream
 *    it came from — drawing its masks from it (kf_model_stream_at).
 *
 * A kf_model is an opaque handle owning its parameters and the streams it
 * holds. Parameters never change after kf_model_new; the held streams change
 * with kf_model_forward and kf_model_reseed, so a caller sharing a 0.11+
 * model between threads locks around those as around the Rngs.
 */
#ifndef KEYFOLD_NN_H
#define KEYFOLD_NN_H

#include <stdbool.h>
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

/* A layer's description, a value the caller fills and owns.
 *
 * It grows without breaking callers built against an older header: the
 * first member, struct_size, says which version of the struct the caller
 * was compiled with (kf_layer_spec_make sets it to sizeof(kf_layer_spec)),
 * and later versions only append members after the last one below. The
 * library reads a struct as large as the caller's struct_size says, gives
 * members the caller's version lacks their Flax defaults, and steps through
 * an array of specs by struct_size; a struct larger than the library knows
 * is accepted when the members it does not know are all zero (so a member
 * added later must mean "as before" when zero) and refused with
 * KF_EUNSUPPORTED otherwise. New layer types are new kf_layer_type values
 * appended to the enum.
 *
 * Why one flat struct rather than a union per type or an opaque handle with
 * a setter per field: Flax's layer constructors share their argument names
 * (in_features, out_features, use_bias, kernel_init and bias_init mean the
 * same for Linear, LinearGeneral and Conv; features for Embed and the
 * norms; rate and rng_collection for Dropout and attention), so a type added
 * later mostly reuses members and appends only what is new to it; each
 * member is documented once; callers keep plain assignments and copies (a
 * model spec is a value a daemon stores, compares and writes back); and the
 * ABI question reduces to the one rule above. A member some type does not
 * use is ignored for that type. */
typedef struct kf_layer_spec {
  size_t struct_size;      /* sizeof(kf_layer_spec) of the caller's header; set by kf_layer_spec_make */
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
  /* Members added by later versions go here, and only here. */
} kf_layer_spec;

/* Fills *out with `type`, struct_size and Flax's defaults for every member.
 * Returns KF_EINVAL for an unknown type. */
int kf_layer_spec_make(kf_layer_type type, kf_layer_spec *out);

/* Static name of a layer type ("linear", "dropout", ...), NULL if unknown. */
const char *kf_layer_type_name(kf_layer_type type);
int kf_layer_type_from_name(const char *name, kf_layer_type *out);

/* Why a model call failed, beyond its error code. */
typedef enum kf_diag_reason {
  KF_DIAG_NONE = 0,         /* nothing to explain (filled only on failure, so never seen then) */
  KF_DIAG_ARGUMENT,         /* a NULL or invalid argument, or the layer list itself (layer = count) */
  KF_DIAG_SPEC,             /* a member of the layer's spec is invalid: `field` names it */
  KF_DIAG_EMBED_NOT_FIRST,  /* an embed reads integer indices, which no layer produces */
  KF_DIAG_SHAPE,            /* x's shape itself is invalid (kf_shape_make's rules); layer 0 */
  KF_DIAG_DTYPE,            /* x's dtype is `actual`, the model reads `expected` (kf_dtype); layer 0 */
  KF_DIAG_WIDTH,            /* the last axis reaching the layer is `actual`, it reads `expected` */
  KF_DIAG_RANK_TOO_LOW,     /* the rank reaching the layer is `actual`, it needs at least `expected` */
  KF_DIAG_RANK_TOO_HIGH,    /* the rank reaching the layer is `actual`, it takes at most `expected` */
  KF_DIAG_BROADCAST_AXIS,   /* broadcast axis `actual` is outside the rank `expected` reaching it */
  KF_DIAG_TOO_LARGE,        /* the output, or the parameters up to this layer, pass KF_MAX_ELEMENTS */
  KF_DIAG_INDEX_RANGE,      /* element `element` of x is `index`, outside [-expected, expected) */
  KF_DIAG_STREAM,           /* the layer draws from `stream` (or 'default'): missing or exhausted */
  KF_DIAG_NO_MEMORY         /* an allocation failed (layer = count) */
} kf_diag_reason;

/* What a failed kf_model_check, kf_model_new, kf_model_output_shape,
 * kf_model_forward or shape query found, for messages such as "layers[2]:
 * linear expects width 4, got shape (3, 5)". The caller owns it and
 * initialises it with KF_MODEL_DIAG_INIT; the library writes it only when
 * the call fails and leaves struct_size alone. It grows as kf_layer_spec
 * does: new members are appended, new reasons appended to the enum, and the
 * library writes no more than struct_size bytes. */
typedef struct kf_model_diag {
  size_t struct_size;        /* sizeof(kf_model_diag) of the caller's header */
  kf_diag_reason reason;
  size_t layer;              /* index of the layer at fault; the layer count for the call itself */
  kf_layer_type layer_type;  /* that layer's type, when its spec could be read */
  const char *field;         /* KF_DIAG_SPEC: the member's name, e.g. "rate" (static); else NULL */
  int64_t expected;          /* per reason, above */
  int64_t actual;            /* per reason, above */
  bool has_shape;            /* whether `shape` holds the shape reaching the layer */
  kf_shape shape;            /* the shape reaching the layer, when an input was given */
  size_t element;            /* KF_DIAG_INDEX_RANGE: flat position in x */
  int64_t index;             /* KF_DIAG_INDEX_RANGE: the value there */
  char stream[KF_STREAM_NAME_MAX + 1];  /* KF_DIAG_STREAM: the stream name the layer asks for */
} kf_model_diag;

#define KF_MODEL_DIAG_INIT {.struct_size = sizeof(kf_model_diag)}

/* Validates a model spec without building it. Checks sizes (positive, within
 * KF_MAX_ELEMENTS), rates in [0, 1], initializers, stream names, that each
 * linear's in_features equals the width produced before it and that an embed
 * is only the first layer. On success stores the total number of parameter
 * elements in *param_elements (may be NULL). On failure fills *diag (may be
 * NULL) and returns KF_EINVAL, KF_ERANGE, KF_EMISMATCH, KF_EOVERFLOW or
 * KF_EUNSUPPORTED (see kf_layer_spec). */
int kf_model_check(const kf_layer_spec *layers, size_t n_layers, uint64_t *param_elements,
                   kf_model_diag *diag);

/* The dtype a model built from these specs reads: KF_INT32 (indices) when
 * the first layer is an embed, else KF_FLOAT32. KF_EINVAL for an empty list. */
int kf_layers_input_dtype(const kf_layer_spec *layers, size_t n_layers, kf_dtype *out);

/* The shape reaching layer i (0 <= i <= n_layers; n_layers gives the
 * output's) for an input of shape `in` and dtype `in_dtype`, from the specs
 * alone: what kf_model_layer_input_shape answers for the model they build.
 * Applies only the shape rules; run kf_model_check for the rest. Returns
 * KF_ERANGE for i > n_layers, else kf_model_output_shape's errors for the
 * layers before i. */
int kf_layers_input_shape(const kf_layer_spec *layers, size_t n_layers, const kf_shape *in,
                          kf_dtype in_dtype, size_t i, kf_shape *out, kf_model_diag *diag);

typedef struct kf_model kf_model;

/* Builds a model, drawing parameter keys from `rngs` in Flax's order
 * (rngs.params(), falling back to 'default') and, in a 0.11+ Rngs, each
 * dropout's fork in its place. All or nothing: on failure neither *out nor
 * rngs is changed, and *diag (may be NULL) says why. On success *out is a
 * new handle freed with kf_model_free. Returns kf_model_check's errors,
 * KF_ENOTFOUND if a layer needs 'params' (or, 0.11+, a dropout its
 * rng_collection) and neither it nor 'default' exists, KF_EEXHAUSTED,
 * KF_ENOMEM. The threefry mode is kf_rngs_mode(rngs), the era
 * kf_rngs_era(rngs). */
int kf_model_new(const kf_layer_spec *layers, size_t n_layers, kf_rngs *rngs, kf_model **out,
                 kf_model_diag *diag);

/* Frees a model; NULL is allowed. */
void kf_model_free(kf_model *model);

size_t kf_model_layer_count(const kf_model *model);
kf_threefry_mode kf_model_mode(const kf_model *model);
kf_flax_era kf_model_era(const kf_model *model);

/* A stream a layer holds (Flax >= 0.11): state.name is its tag, the name of
 * the Rngs stream it was forked from ('default' when the layer's
 * rng_collection fell back to it). */
typedef struct kf_model_stream {
  size_t layer;            /* the layer holding it */
  kf_stream_state state;
} kf_model_stream;

/* Number of streams the model's layers hold, in layer order (Flax's graph
 * order for a sequence of layers): 0 for a 0.10 model. */
size_t kf_model_stream_count(const kf_model *model);

/* Copies held stream i into *out. KF_ERANGE if out of range. */
int kf_model_stream_at(const kf_model *model, size_t i, kf_model_stream *out);

/* Puts held stream i into a state read earlier by kf_model_stream_at (key
 * and count; the tag must match): recovery, and the undo of a change never
 * handed out. KF_ERANGE for a bad index, KF_EINVAL for another tag. */
int kf_model_set_stream(kf_model *model, size_t i, const kf_stream_state *state);

/* nnx.reseed(model, tag=key) of Flax >= 0.11 on the streams the model
 * holds: the n-th stream (in layer order) whose tag is `tag` gets key :=
 * fold_in(key, n) and count := 0 — the keys a fresh Rngs(tag=key) hands
 * out. *matched (may be NULL) receives the number of streams changed, 0 when
 * none has the tag (and always for a 0.10 model). KF_EINVAL for an invalid
 * tag. Every held key is a scalar, so Flax's reseed policies agree here. */
int kf_model_reseed(kf_model *model, const char *tag, kf_key key, size_t *matched);


/* Copies layer i's spec (with defaults filled in) into *out, as much of it
 * as out->struct_size holds (set it first, or use kf_layer_spec_make).
 * KF_ERANGE if i is out of range, KF_EINVAL for a struct_size too small. */
int kf_model_layer_spec(const kf_model *model, size_t i, kf_layer_spec *out);

/* The dtype the model reads: KF_INT32 (indices) when its first layer is an
 * embed, else KF_FLOAT32 (also for NULL). */
kf_dtype kf_model_input_dtype(const kf_model *model);

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
 * Returns KF_EMISMATCH if the input does not fit: a dtype other than
 * kf_model_input_dtype, wrong last-axis width for a linear, a rank-0 input to
 * a linear, a rank that an embed would take past KF_MAX_RANK, a broadcast
 * dim outside the rank; KF_ESHAPE or KF_EOVERFLOW for an invalid input shape
 * or too large an output. On failure fills *diag (may be NULL). */
int kf_model_output_shape(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                          kf_shape *out, kf_model_diag *diag);

/* The shape reaching layer i (0 <= i <= count; count gives the output's)
 * for an input of shape `in` and dtype `in_dtype`. Returns KF_ERANGE for i
 * past the layer count, else kf_model_output_shape's errors for the layers
 * before i (a fault at layer i or later is not one). */
int kf_model_layer_input_shape(const kf_model *model, const kf_shape *in, kf_dtype in_dtype,
                               size_t i, kf_shape *out, kf_model_diag *diag);

/* The number of keys a forward pass under `det` draws (one per stochastic
 * dropout: not deterministic, 0 < rate < 1), whatever its input.
 * KF_EINVAL for NULL or an unknown det. */
int kf_model_forward_draws(const kf_model *model, kf_deterministic det, size_t *n);

/* Runs the model on x (float32, or int32 indices for an embed-first model).
 * y->data must hold numel(output shape) floats; y->shape and y->dtype are set.
 * Each stochastic dropout draws one key: 0.10, from rngs[rng_collection]
 * (falling back to 'default'); 0.11+, from the stream it holds (rngs is
 * then not used by dropouts and may be NULL). All or nothing: on any
 * failure no count has advanced, and *diag (may be NULL) says why. Returns
 * kf_model_output_shape's errors, KF_ERANGE for an embed index out of
 * range, KF_ENOTFOUND, KF_EEXHAUSTED, KF_ENOMEM. */
int kf_model_forward(kf_model *model, kf_rngs *rngs, const kf_tensor *x,
                     kf_deterministic deterministic, kf_tensor *y, kf_model_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
