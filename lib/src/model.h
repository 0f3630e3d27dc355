/* keyfold — the kf_model layout, built by model.c (construction, accessors)
 * and read by forward.c (shapes, forward pass); not installed. */
#ifndef KEYFOLD_MODEL_H
#define KEYFOLD_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "keyfold/nn.h"
#include "keyfold/prng.h"
#include "keyfold/tensor.h"
#include "simd.h"

/* An attention has q, k, v and out (kernel, bias each) and two q/k norms. */
#define KF__MAX_LAYER_PARAMS 10
#define KF__MAX_LAYER_STATS 2
/* Longest parameter name below its node ("query_ln.scale"). */
#define KF__PARAM_NAME_MAX 31

/* A node of the model's tree (keyfold/nn.h: preorder, repeats expanded). */
typedef struct kf__layer {
  kf_layer_spec spec;      /* a repeat's blocks: a sequential */
  size_t spec_index;       /* element of the caller's array */
  size_t parent;           /* SIZE_MAX at the top */
  size_t n_children;       /* direct children (blocks, for a repeat) */
  size_t end;              /* one past the last node of its subtree */
  char path[KF_PATH_MAX + 1];
  size_t n_params;
  char param_name[KF__MAX_LAYER_PARAMS][KF__PARAM_NAME_MAX + 1];
  kf_shape param_shape[KF__MAX_LAYER_PARAMS];
  kf_shape param_draw_shape[KF__MAX_LAYER_PARAMS];  /* the shape the initializer sees */
  const kf_init *param_init[KF__MAX_LAYER_PARAMS];  /* into spec, or the shared ones/zeros */
  float *param[KF__MAX_LAYER_PARAMS];            /* point into kf_model.param_storage */
  size_t n_stats;
  kf_shape stat_shape[KF__MAX_LAYER_STATS];
  float *stat[KF__MAX_LAYER_STATS];              /* point into kf_model.stat_storage */
  size_t draws_before_hold; /* parameter keys drawn before the held fork (attention: all) */
  size_t held;             /* index into kf_model.held of the stream it holds, or SIZE_MAX */
} kf__layer;

/* A stream a layer holds (Flax >= 0.11: a Dropout's or an attention's fork).
 * Its tag is the name of the stream it was forked from, after the fallback
 * to 'default'. */
typedef struct kf__held {
  size_t layer;
  kf_stream_state state;
} kf__held;

struct kf_model {
  kf_threefry_mode mode;
  kf_flax_era era;
  size_t n_layers;
  kf__layer *layers;     /* n_layers nodes, owned */
  size_t n_specs;
  kf_layer_spec *specs;  /* the caller's array as read (this version), owned */
  float *param_storage;  /* every parameter, back to back, owned (NULL if there are none) */
  float *stat_storage;   /* every batch statistic, owned (NULL if none) */
  size_t n_stat_floats;
  size_t n_held;
  kf__held *held;        /* n_held entries in graph order, owned (NULL if none); with the
                            batch statistics the only part a forward pass or a reseed changes */
};

/* Whether a layer type holds children (sequential, residual, repeat). */
bool kf__is_container(kf_layer_type type);

/* A diag naming node (its spec index, type and path). */
kf_model_diag kf__diag_node(kf_diag_reason reason, const kf__layer *node);

/* Builds a model's nodes from specs without parameter or statistic storage,
 * for shape queries. On success *out is owned by the caller (kf_model_free). */
int kf__model_skeleton(const kf_layer_spec *layers, size_t n_layers, kf_model **out,
                       kf_model_diag *d);

/* The output shape of a conv, conv_transpose or pool node for an input of
 * shape *in (layers.c). KF_EMISMATCH with out->rank -1 for a rank below
 * n_spatial + 1, -2 for channels other than in_features; KF_EMISMATCH with
 * a valid rank when the window does not fit. */
int kf__spatial_output_shape(const kf__layer *node, const kf_shape *in, kf_shape *out);

/* Runs a leaf whose kernels live in layers.c (conv, conv_transpose, the
 * pools, the norms, attention, softmax, log_softmax, elu, leaky_relu,
 * softplus, exact gelu) on x of shape *xs into y (numel of its output shape).
 * key: the attention's dropout key when it draws, else NULL. stats: the
 * pending copy of model->stat_storage a training batch_norm updates.
 * Returns KF_ENOMEM, KF_EUNSUPPORTED. */
int kf__layer_apply(kf__isa isa, const kf__layer *node, const float *x, const kf_shape *xs,
                    float *y, kf_deterministic det, const kf_key *key, float *stats,
                    const kf_model *model);

/* Whether a dropout layer draws a key in a forward pass under `det`. */
bool kf__dropout_draws(const kf_layer_spec *spec, kf_deterministic det);

/* The size of the first versions of the caller-sized structs: smaller ones
 * are refused, larger ones read as described in keyfold/nn.h. */
#define KF__V1_ROUND(n) (((n) + 7) / 8 * 8) /* both structs hold 8-byte members */
#define KF__LAYER_SPEC_V1_SIZE KF__V1_ROUND(offsetof(kf_layer_spec, name))
#define KF__MODEL_DIAG_V1_SIZE KF__V1_ROUND(offsetof(kf_model_diag, path))

/* Reads spec i of the caller's array `layers`, whose elements lie
 * layers[0].struct_size bytes apart, into *out as this library's version.
 * Borrows layers. Returns KF_EINVAL for a struct_size that is too small,
 * misaligned or differs from the first element's, KF_EUNSUPPORTED for a
 * member this library does not know that is not zero. */
int kf__spec_read(const kf_layer_spec *layers, size_t i, kf_layer_spec *out);

/* Whether the caller's diag can be written: NULL (nothing to write) or a
 * struct_size of at least the first version's. */
bool kf__diag_usable(const kf_model_diag *diag);

/* A diag for layer `layer` of a model with its spec (NULL for the call
 * itself): every member cleared, then reason, layer and layer_type set. */
kf_model_diag kf__diag_at(kf_diag_reason reason, size_t layer, const kf_layer_spec *spec);

/* Copies *found into the caller's *diag (if not NULL), no more than its
 * struct_size bytes, keeping its struct_size. */
void kf__diag_report(kf_model_diag *diag, const kf_model_diag *found);

#endif
