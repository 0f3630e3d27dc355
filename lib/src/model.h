/* keyfold — the kf_model layout, built by model.c (construction, accessors)
 * and read by forward.c (shapes, forward pass); not installed. */
#ifndef KEYFOLD_MODEL_H
#define KEYFOLD_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "keyfold/nn.h"
#include "keyfold/prng.h"
#include "keyfold/tensor.h"

/* A linear has kernel and bias, an embed its embedding table. */
#define KF__MAX_LAYER_PARAMS 2

typedef struct kf__layer {
  kf_layer_spec spec;
  size_t n_params;
  const char *param_name[KF__MAX_LAYER_PARAMS];  /* static strings */
  kf_shape param_shape[KF__MAX_LAYER_PARAMS];
  float *param[KF__MAX_LAYER_PARAMS];            /* point into kf_model.param_storage */
  size_t held;           /* index into kf_model.held of the stream it holds, or SIZE_MAX */
} kf__layer;

/* A stream a layer holds (Flax >= 0.11: a Dropout's fork). Its tag is the
 * name of the stream it was forked from, after the fallback to 'default'. */
typedef struct kf__held {
  size_t layer;
  kf_stream_state state;
} kf__held;

struct kf_model {
  kf_threefry_mode mode;
  kf_flax_era era;
  size_t n_layers;
  kf__layer *layers;     /* n_layers entries, owned */
  float *param_storage;  /* every parameter, back to back, owned (NULL if there are none) */
  size_t n_held;
  kf__held *held;        /* n_held entries in layer order, owned (NULL if none); the only
                            part of a model a forward pass or a reseed changes */
};

/* Whether a dropout layer draws a key in a forward pass under `det`. */
bool kf__dropout_draws(const kf_layer_spec *spec, kf_deterministic det);

/* The size of the first versions of the caller-sized structs: smaller ones
 * are refused, larger ones read as described in keyfold/nn.h. */
#define KF__LAYER_SPEC_V1_SIZE sizeof(kf_layer_spec)
#define KF__MODEL_DIAG_V1_SIZE sizeof(kf_model_diag)

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
