/* Layer specs for the model tests (test_nn.c, test_model_tree.c): each
 * kf_layer_spec_make'd with Flax's defaults, then the sizes a test gives. */
#ifndef KEYFOLD_TESTS_SPEC_HELPERS_H
#define KEYFOLD_TESTS_SPEC_HELPERS_H

#include <check.h>
#include <stdint.h>

#include "keyfold/keyfold.h"

static inline kf_layer_spec layer(kf_layer_type type) {
  kf_layer_spec s;
  ck_assert_int_eq(kf_layer_spec_make(type, &s), KF_OK);
  return s;
}

static inline kf_layer_spec linear(int64_t in, int64_t out) {
  kf_layer_spec s = layer(KF_LAYER_LINEAR);
  s.in_features = in;
  s.out_features = out;
  return s;
}

static inline kf_layer_spec embed(int64_t num, int64_t features) {
  kf_layer_spec s = layer(KF_LAYER_EMBED);
  s.num_embeddings = num;
  s.features = features;
  return s;
}

static inline kf_layer_spec dropout(double rate) {
  kf_layer_spec s = layer(KF_LAYER_DROPOUT);
  s.rate = rate;
  return s;
}

#endif
