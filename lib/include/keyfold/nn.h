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
  /* Version 2 (issue 13). Layers with parameters (flax-nnx.md §5): */
  KF_LAYER_LINEAR_GENERAL,  /* kernel in_shape + out_shape (drawn flat), bias out_shape */
  KF_LAYER_EINSUM,          /* kernel kernel_shape, bias bias_shape (none when n_bias_shape = 0) */
  KF_LAYER_CONV,            /* kernel kernel_size + (in/groups, out), bias (out) */
  KF_LAYER_CONV_TRANSPOSE,  /* kernel kernel_size + (in, out), bias (out) */
  KF_LAYER_LAYER_NORM,      /* scale, bias: one key each although ones/zeros */
  KF_LAYER_RMS_NORM,        /* scale */
  KF_LAYER_BATCH_NORM,      /* scale, bias; batch statistics mean, var */
  KF_LAYER_GROUP_NORM,      /* scale, bias */
  KF_LAYER_MULTI_HEAD_ATTENTION, /* query, key, value (kernel, bias), [query_ln, key_ln], out */
  /* Functions, no variables: */
  KF_LAYER_SOFTMAX,         /* along axis */
  KF_LAYER_LOG_SOFTMAX,     /* along axis */
  KF_LAYER_ELU,             /* alpha */
  KF_LAYER_LEAKY_RELU,      /* negative_slope */
  KF_LAYER_SOFTPLUS,
  KF_LAYER_AVG_POOL,        /* window_shape, strides, padding (flax.linen.avg_pool) */
  KF_LAYER_MAX_POOL,
  KF_LAYER_FLATTEN,         /* x.reshape(x.shape[0], -1) */
  KF_LAYER_RESHAPE,         /* x.reshape(x.shape[0], *shape) */
  /* Containers: the n_children subtrees that follow in the array are theirs. */
  KF_LAYER_SEQUENTIAL,      /* children in order */
  KF_LAYER_RESIDUAL,        /* x + children(x) */
  KF_LAYER_REPEAT,          /* `count` blocks, each a sequential of the children, built in turn */
  KF_LAYER_TYPE_COUNT
} kf_layer_type;

/* Longest layer name (a Python attribute name) and longest variable path
 * ("layers.1.layers.0.attn.query.kernel"), without the terminating NUL. */
#define KF_LAYER_NAME_MAX 63
#define KF_PATH_MAX 255

/* Padding of conv, conv_transpose and the pools: Flax's strings, or one
 * (low, high) pair per spatial axis. */
typedef enum kf_padding {
  KF_PADDING_SAME = 0,  /* conv's default */
  KF_PADDING_VALID,     /* the pools' default */
  KF_PADDING_CIRCULAR,
  KF_PADDING_CAUSAL,    /* 1-D conv only */
  KF_PADDING_EXPLICIT   /* padding_pairs */
} kf_padding;

const char *kf_padding_name(kf_padding padding);
int kf_padding_from_name(const char *name, kf_padding *out);

/* Spatial axes of conv, conv_transpose and the pools. */
#define KF_MAX_SPATIAL 3

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
  int deterministic;     /* default 0; attention's too; batch_norm's use_running_average */
  /* ---- version 2 ----
   * A model is a tree written in preorder: a container is followed by its
   * n_children subtrees. Any layer may carry a name, its attribute name in
   * the user's Flax module (paths use it instead of `layers.i`). */
  char name[KF_LAYER_NAME_MAX + 1];  /* "" = unnamed */
  size_t n_children;                 /* containers */
  int64_t count;                     /* repeat: blocks, >= 1 */
  int gelu_exact;                    /* gelu: 1 for approximate=False (erf form) */
  int axis;                          /* softmax, log_softmax: default -1 */
  double alpha;                      /* elu: default 1.0 */
  double negative_slope;             /* leaky_relu: default 0.01 */
  /* linear_general: in_features and out_features as shapes, the input axes
   * they contract (default the last n_in_shape, in order) */
  int n_in_shape, n_out_shape;
  int64_t in_shape[KF_MAX_RANK], out_shape[KF_MAX_RANK];
  int n_in_axes;                     /* 0 = the last n_in_shape axes; else n_in_shape */
  int in_axes[KF_MAX_RANK];
  /* einsum: "lhs,rhs->out" with the kernel as rhs; n_bias_shape 0 = no bias */
  char einsum_str[64];
  int n_kernel_shape, n_bias_shape;
  int64_t kernel_shape[KF_MAX_RANK], bias_shape[KF_MAX_RANK];
  /* conv, conv_transpose (in_features, out_features, use_bias above), pools */
  int n_spatial;                            /* 1..KF_MAX_SPATIAL: length of kernel_size/window_shape */
  int64_t kernel_size[KF_MAX_SPATIAL];      /* conv; the pools' window_shape */
  int64_t strides[KF_MAX_SPATIAL];          /* default 1 (pools: the window when absent? no: 1) */
  int64_t input_dilation[KF_MAX_SPATIAL];   /* conv: default 1 */
  int64_t kernel_dilation[KF_MAX_SPATIAL];  /* default 1 */
  kf_padding padding;                       /* conv: SAME; pools: VALID */
  int64_t padding_pairs[KF_MAX_SPATIAL][2]; /* KF_PADDING_EXPLICIT */
  int64_t feature_group_count;              /* conv: default 1 */
  /* norms (num_features), attention */
  int64_t num_features;
  double epsilon;        /* layer/rms/group norm 1e-6, batch_norm 1e-5 */
  int use_scale;         /* default 1 */
  double momentum;       /* batch_norm: default 0.99 */
  int64_t num_groups;    /* group_norm: default 32 (0 when group_size is given) */
  int64_t group_size;    /* group_norm: 0 = from num_groups */
  int64_t num_heads;     /* attention (in_features above; out_features 0 = in_features) */
  int64_t qkv_features;  /* attention: 0 = in_features */
  double dropout_rate;   /* attention: default 0 */
  int normalize_qk;      /* attention: LayerNorm(head_dim, use_bias=False) on q and k */
  int causal;            /* attention: mask key positions after the query's */
  /* reshape: the shape after the leading (batch) axis; -1 once allowed */
  int n_reshape;
  int64_t reshape[KF_MAX_RANK];
  kf_init scale_init;    /* layer/rms/batch/group norm: default ones (bias_init above: zeros) */
  /* attention: the out projection's initializers when given (out_inits bit 1:
   * out_kernel_init, bit 2: out_bias_init; else kernel_init / bias_init) */
  int out_inits;
  kf_init out_kernel_init, out_bias_init;
  int no_keep_rngs;      /* attention: keep_rngs=False (no fork; dropout from the Rngs at call) */
  /* Members added by later versions go here, and only here. */
} kf_layer_spec;

/* Fills *out with `type`, struct_size and Flax's defaults for every member.
 * Returns KF_EINVAL for an unknown type. */
int kf_layer_spec_make(kf_layer_type type, kf_layer_spec *out);

/* Whether a layer type holds children (sequential, residual, repeat). */
bool kf_layer_type_is_container(kf_layer_type type);

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
  KF_DIAG_NO_MEMORY,        /* an allocation failed (layer = count) */
  /* version 2 */
  KF_DIAG_CHILDREN,         /* a container's n_children run past the array, or a leaf has some */
  KF_DIAG_NAME,             /* an invalid name, or one its container already has */
  KF_DIAG_FEATURES,         /* the axis the layer reads is `actual`, it needs `expected` (see shape) */
  KF_DIAG_RESIDUAL,         /* a residual's branch turns `shape` into `expected_shape` */
  KF_DIAG_GEOMETRY          /* a conv/pool/reshape cannot take `shape` (window, group or size) */
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
  /* ---- version 2 ---- */
  char path[KF_PATH_MAX + 1];  /* the layer's path ("layers.1.attn"), "" for the call itself */
  bool has_expected_shape;
  kf_shape expected_shape;     /* KF_DIAG_RESIDUAL: the branch's output */
} kf_model_diag;

#define KF_MODEL_DIAG_INIT {.struct_size = sizeof(kf_model_diag)}

/* The number of streams a model built from these specs in `era` holds (the
 * 0.11+ forks of dropouts and of attentions with dropout_rate > 0, repeats
 * expanded), without building it. KF_EINVAL etc. as kf_model_check. */
int kf_layers_held_streams(const kf_layer_spec *layers, size_t n_layers, kf_flax_era era,
                           size_t *out);

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

/* A model's layers are the nodes of its tree in preorder, with each repeat
 * expanded into its `count` blocks (sequential nodes at `layers.b` under
 * it, each holding a copy of the repeat's children): index i below is a
 * node, not an element of the spec array. Top-level nodes are the root
 * sequential's children (the root itself is not a node). */
size_t kf_model_layer_count(const kf_model *model);

/* Node i's path as nnx.state prints it ("layers.0", "encoder.layers.1.attn"):
 * a static string owned by the model, "" for an index out of range. */
const char *kf_model_layer_path(const kf_model *model, size_t i);

/* The spec array the model was built from, as given with defaults filled
 * in (kf_model_layer_spec answers per node instead): its length, and element
 * i copied as kf_model_layer_spec copies (KF_ERANGE, KF_EINVAL likewise). */
size_t kf_model_spec_count(const kf_model *model);
int kf_model_spec(const kf_model *model, size_t i, kf_layer_spec *out);

/* nnx's graph order of two dotted paths, as strcmp answers: component by
 * component, list indices as integers (layers.2 before layers.10), names
 * as strings (uppercase first), a prefix first. The order of
 * kf_model_stream_at and of nnx.state's variables. */
int kf_path_compare(const char *a, const char *b);

/* Node i's parent node, SIZE_MAX for a top-level node or an index out of range. */
size_t kf_model_layer_parent(const kf_model *model, size_t i);

/* The element of the caller's spec array node i was built from (a repeat's
 * blocks have the repeat's; their children the template child's). */
size_t kf_model_layer_spec_index(const kf_model *model, size_t i);
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

/* Number of parameters of node i: 2 (kernel, bias), 1 (kernel; embedding;
 * scale), up to 10 for an attention, 0 for functions and containers. */
size_t kf_model_param_count(const kf_model *model, size_t i);

/* Borrows parameter j of node i: *name is its path below the node ("kernel",
 * "bias", "embedding", "scale", "query.kernel", "query_ln.scale", ...),
 * *view a float32 tensor pointing into the model, valid until kf_model_free.
 * The caller must not write through it. KF_ERANGE if out of range. */
int kf_model_param(const kf_model *model, size_t i, size_t j, const char **name, kf_tensor *view);

/* Number of batch statistics of node i: 2 for a batch_norm (mean, var), else 0. */
size_t kf_model_stat_count(const kf_model *model, size_t i);

/* Borrows batch statistic j of node i ("mean", "var"), as kf_model_param;
 * the values change with each non-deterministic forward pass (Flax's
 * use_running_average=False) and with kf_model_set_stat. */
int kf_model_stat(const kf_model *model, size_t i, size_t j, const char **name, kf_tensor *view);

/* Overwrites batch statistic j of node i with numel floats from data (a
 * restored state). KF_ERANGE for a bad index, KF_EINVAL for NULL data. */
int kf_model_set_stat(kf_model *model, size_t i, size_t j, const float *data);

/* Deterministic override for a forward pass. */
typedef enum kf_deterministic {
  KF_DET_LAYER = -1, /* each dropout uses its own `deterministic` attribute */
  KF_DET_FALSE = 0,  /* every dropout is stochastic (model.train()) */
  KF_DET_TRUE = 1    /* every dropout is the identity (model.eval()) */
} kf_deterministic;

/* Every batch statistic of the model as one array: the number of floats
 * (node order, mean then var of each batch_norm; 0 for NULL), a copy into
 * the caller's out, and their replacement from in (a saved or stored state). */
size_t kf_model_stats_size(const kf_model *model);
void kf_model_stats_copy(const kf_model *model, float *out);
void kf_model_stats_load(kf_model *model, const float *in);

/* Whether a forward pass under det changes batch statistics (a batch_norm
 * not in eval mode: det KF_DET_FALSE, or KF_DET_LAYER and its own
 * use_running_average (`deterministic`) 0). */
bool kf_model_forward_updates_stats(const kf_model *model, kf_deterministic det);

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
