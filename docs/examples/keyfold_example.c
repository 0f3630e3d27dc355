/* libkeyfold in one program: keys, fold_in, a sampler, an Rngs, a
 * Linear + Dropout model and its forward pass, and what a failure says.
 * Build: cc keyfold_example.c $(pkg-config --cflags --libs keyfold) */
#include <stdio.h>
#include <stdlib.h>

#include <keyfold/keyfold.h>

/* Prints why a call failed and says whether it did. */
static int failed(int rc, const char *what) {
  if (rc == KF_OK) return 0;
  fprintf(stderr, "%s: %s (%s)\n", what, kf_strerror(rc), kf_err_name(rc));
  return 1;
}

int main(void) {
  const kf_threefry_mode mode = KF_THREEFRY_PARTITIONABLE; /* JAX >= 0.5 */

  /* jax.random.key(42) and jax.random.fold_in(key, 4): plain values. */
  const kf_key key = kf_key_from_seed(42, 0);
  const kf_key folded = kf_fold_in(key, 4);
  printf("key(42)             = [%u, %u]\n", (unsigned)key.hi, (unsigned)key.lo);
  printf("fold_in(key(42), 4) = [%u, %u]\n", (unsigned)folded.hi, (unsigned)folded.lo);

  /* jax.random.normal(key(42), (3,)) into a buffer the caller owns. */
  float z[3];
  if (failed(kf_random_normal(key, mode, 3, z), "normal")) return EXIT_FAILURE;
  printf("normal(key(42), (3,)) = [%.8g, %.8g, %.8g]\n", z[0], z[1], z[2]);

  /* nnx.Rngs(params=0, dropout=42). */
  kf_rngs *rngs = NULL;
  if (failed(kf_rngs_new(mode, &rngs), "rngs") ||
      failed(kf_rngs_add_stream(rngs, "params", kf_key_from_seed(0, 0), 0), "params") ||
      failed(kf_rngs_add_stream(rngs, "dropout", kf_key_from_seed(42, 0), 0), "dropout")) {
    kf_rngs_free(rngs);
    return EXIT_FAILURE;
  }

  /* nnx.Linear(2, 3, rngs=rngs) followed by nnx.Dropout(0.5, rngs=rngs). */
  kf_layer_spec layers[2];
  kf_layer_spec_make(KF_LAYER_LINEAR, &layers[0]);
  layers[0].in_features = 2;
  layers[0].out_features = 3;
  kf_layer_spec_make(KF_LAYER_DROPOUT, &layers[1]);
  layers[1].rate = 0.5;
  kf_model *model = NULL;
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  if (failed(kf_model_new(layers, 2, rngs, &model, &diag), "model")) {
    kf_rngs_free(rngs);
    return EXIT_FAILURE;
  }

  /* model(jnp.ones((1, 2))) in training mode: the dropout draws one key. */
  float ones[2] = {1.0f, 1.0f}, out[3];
  kf_tensor x = {KF_FLOAT32, {2, {1, 2}}, ones};
  kf_tensor y = {KF_FLOAT32, {0, {0}}, out};
  int rc = kf_model_forward(model, rngs, &x, KF_DET_FALSE, &y, &diag);
  if (failed(rc, "forward")) {
    kf_model_free(model);
    kf_rngs_free(rngs);
    return EXIT_FAILURE;
  }
  printf("y = [%.8g, %.8g, %.8g]\n", out[0], out[1], out[2]);

  /* An input of the wrong width: an error code, and a diag that says where. */
  x.shape.dim[1] = 5;
  rc = kf_model_forward(model, rngs, &x, KF_DET_FALSE, &y, &diag);
  printf("width 5: %s; layers[%zu] expects %lld, got %lld\n", kf_err_name(rc), diag.layer,
         (long long)diag.expected, (long long)diag.actual);

  /* Nothing was drawn by the failed call: params gave 2 keys, dropout 1. */
  for (size_t i = 0; i < kf_rngs_stream_count(rngs); i++) {
    kf_stream_state s;
    kf_rngs_stream_at(rngs, i, &s);
    printf("stream %s: count %u\n", s.name, (unsigned)s.count);
  }

  kf_model_free(model);
  kf_rngs_free(rngs);
  return EXIT_SUCCESS;
}
