/* keyfold — the kf_model layout, built by model.c (construction, accessors)
 * and read by forward.c (shapes, forward pass); not installed. */
#ifndef KEYFOLD_MODEL_H
#define KEYFOLD_MODEL_H

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
} kf__layer;

struct kf_model {
  kf_threefry_mode mode;
  size_t n_layers;
  kf__layer *layers;     /* n_layers entries, owned */
  float *param_storage;  /* every parameter, back to back, owned (NULL if there are none) */
};

#endif
