/* NNX models: which keys Linear, Embed and Dropout draw and what they compute
 * with them (flax-nnx.md §2.3, §3–§5), validation, and all-or-nothing failures. */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/src/testing.h"
#include "keyfold/keyfold.h"
#include "spec_helpers.h"

#define END_STREAMS ((const char *)0)
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL 123.0f

static const kf_threefry_mode PART = KF_THREEFRY_PARTITIONABLE;

static kf_key seed_key(int64_t seed) { return kf_key_from_seed(seed, 0); }

/* An Rngs of `era` with the streams of the (name, seed) list ap, each
 * key(seed) at count 0. */
static kf_rngs *rngs_va(kf_threefry_mode mode, kf_flax_era era, const char *first, va_list ap) {
  kf_rngs *r = NULL;
  ck_assert_int_eq(kf_rngs_new_era(mode, era, &r), KF_OK);
  for (const char *name = first; name; name = va_arg(ap, const char *)) {
    const int seed = va_arg(ap, int);
    ck_assert_int_eq(kf_rngs_add_stream(r, name, seed_key(seed), 0), KF_OK);
  }
  return r;
}

/* rngs_of(mode, "params", 1, "default", 0, END_STREAMS): streams in that
 * order, each key(seed) at count 0 (Flax 0.10). */
static kf_rngs *rngs_of(kf_threefry_mode mode, const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  kf_rngs *r = rngs_va(mode, KF_FLAX_0_10, first, ap);
  va_end(ap);
  return r;
}

static uint32_t count_of(const kf_rngs *r, const char *name) {
  kf_stream_state s;
  ck_assert_msg(kf_rngs_has_stream(r, name, &s), "no stream %s", name);
  return s.count;
}

static kf_layer_spec dropout_bcast(double rate, int n, int d0, int d1) {
  kf_layer_spec s = dropout(rate);
  s.n_broadcast_dims = n;
  s.broadcast_dims[0] = d0;
  s.broadcast_dims[1] = d1;
  return s;
}

/* A diag whose layer is preset, so that a test sees whether it was written. */
static kf_model_diag diag_at(size_t layer) {
  kf_model_diag d = KF_MODEL_DIAG_INIT;
  d.layer = layer;
  return d;
}

static kf_model *build(const kf_layer_spec *layers, size_t n, kf_rngs *r) {
  kf_model *m = NULL;
  kf_model_diag diag = diag_at(999);
  const int rc = kf_model_new(layers, n, r, &m, &diag);
  ck_assert_msg(rc == KF_OK, "kf_model_new: %s at layer %zu", kf_err_name(rc), diag.layer);
  ck_assert_ptr_nonnull(m);
  return m;
}

static kf_shape shape_of(int rank, const int64_t *dims) {
  kf_shape s;
  ck_assert_int_eq(kf_shape_make(&s, rank, dims), KF_OK);
  return s;
}

/* Runs the model on data of the given shape and dtype; y must hold the output. */
static int run(kf_model *m, kf_rngs *r, kf_dtype dtype, void *data, int rank,
               const int64_t *dims, kf_deterministic det, float *y, kf_shape *out_shape,
               kf_model_diag *diag) {
  kf_tensor x = {dtype, shape_of(rank, dims), data};
  kf_tensor out = {KF_UINT8, {0, {0}}, y};
  const int rc = kf_model_forward(m, r, &x, det, &out, diag);
  if (rc == KF_OK) {
    ck_assert_int_eq(out.dtype, KF_FLOAT32);
    if (out_shape) *out_shape = out.shape;
  }
  return rc;
}

static const float *param(const kf_model *m, size_t i, size_t j, const char *name,
                          kf_shape *shape) {
  const char *got = NULL;
  kf_tensor view;
  ck_assert_int_eq(kf_model_param(m, i, j, &got, &view), KF_OK);
  ck_assert_str_eq(got, name);
  ck_assert_int_eq(view.dtype, KF_FLOAT32);
  if (shape) *shape = view.shape;
  return view.data;
}

static void init_values(kf_init_kind kind, kf_key key, kf_threefry_mode mode, int rank,
                        const int64_t *dims, float *out) {
  kf_init init;
  ck_assert_int_eq(kf_init_make(kind, &init), KF_OK);
  const kf_shape s = shape_of(rank, dims);
  ck_assert_int_eq(kf_init_apply(&init, key, mode, &s, out), KF_OK);
}

/* ---- the design-document example: Linear(2, 3) + Dropout(0.5) on ones((1, 2)) ---- */

/* Checks the model's parameters and first training output against the keys
 * they must come from, computing y by hand. */
static void check_linear_dropout(kf_threefry_mode mode, kf_rngs *r, kf_key kernel_key,
                                 kf_key bias_key, kf_key dropout_key) {
  const kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  ck_assert_int_eq(kf_model_mode(m), mode);

  float w[6], b[3];
  const int64_t kdims[] = {2, 3}, bdims[] = {3};
  init_values(KF_INIT_LECUN_NORMAL, kernel_key, mode, 2, kdims, w);
  init_values(KF_INIT_ZEROS, bias_key, mode, 1, bdims, b);
  kf_shape s;
  ck_assert_mem_eq(param(m, 0, 0, "kernel", &s), w, sizeof w);
  ck_assert(kf_shape_equal(&s, &(kf_shape){2, {2, 3}}));
  ck_assert_mem_eq(param(m, 0, 1, "bias", &s), b, sizeof b);
  ck_assert(kf_shape_equal(&s, &(kf_shape){1, {3}}));

  float x[2] = {1.0f, 1.0f}, y[3];
  const int64_t xdims[] = {1, 2};
  kf_shape ys;
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, xdims, KF_DET_LAYER, y, &ys, NULL), KF_OK);
  ck_assert(kf_shape_equal(&ys, &(kf_shape){2, {1, 3}}));

  uint8_t mask[3];
  ck_assert_int_eq(kf_random_bernoulli(dropout_key, mode, 3, 0.5f, mask), KF_OK);
  float expect[3];
  for (int j = 0; j < 3; j++) {
    float acc = 0.0f;
    acc = acc + 1.0f * w[j];
    acc = acc + 1.0f * w[3 + j];
    acc = acc + b[j];
    expect[j] = mask[j] ? acc / 0.5f : 0.0f;
  }
  ck_assert_mem_eq(y, expect, sizeof expect);
  kf_model_free(m);
}

START_TEST(example_rngs0_uses_default_for_everything) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  const kf_key k0 = seed_key(0);
  check_linear_dropout(PART, r, kf_fold_in(k0, 0), kf_fold_in(k0, 1), kf_fold_in(k0, 2));
  ck_assert_uint_eq(count_of(r, "default"), 3);
  kf_rngs_free(r);
}
END_TEST

START_TEST(example_params_stream_dropout_falls_back) {
  kf_rngs *r = rngs_of(PART, "params", 1, "default", 0, END_STREAMS);
  const kf_key k1 = seed_key(1);
  check_linear_dropout(PART, r, kf_fold_in(k1, 0), kf_fold_in(k1, 1), kf_fold_in(seed_key(0), 0));
  ck_assert_uint_eq(count_of(r, "params"), 2);
  ck_assert_uint_eq(count_of(r, "default"), 1);
  kf_rngs_free(r);
}
END_TEST

START_TEST(example_params_and_dropout_streams) {
  kf_rngs *r = rngs_of(PART, "params", 1, "dropout", 2, "default", 0, END_STREAMS);
  const kf_key k1 = seed_key(1);
  check_linear_dropout(PART, r, kf_fold_in(k1, 0), kf_fold_in(k1, 1), kf_fold_in(seed_key(2), 0));
  ck_assert_uint_eq(count_of(r, "params"), 2);
  ck_assert_uint_eq(count_of(r, "dropout"), 1);
  ck_assert_uint_eq(count_of(r, "default"), 0);
  kf_rngs_free(r);
}
END_TEST

START_TEST(example_legacy_mode) {
  kf_rngs *r = rngs_of(KF_THREEFRY_LEGACY, "default", 0, END_STREAMS);
  const kf_key k0 = seed_key(0);
  check_linear_dropout(KF_THREEFRY_LEGACY, r, kf_fold_in(k0, 0), kf_fold_in(k0, 1),
                       kf_fold_in(k0, 2));
  kf_rngs_free(r);
}
END_TEST

/* flax-nnx.md §2.3, 0.10 semantics: Rngs(params=0, dropout=42); y1 = model(x);
 * reseed(dropout=42); y2 = model(x) is y1 bit for bit. */
START_TEST(reseed_docstring_reproduces_first_output) {
  kf_rngs *r = rngs_of(PART, "params", 0, "dropout", 42, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  float x[2] = {1.0f, 1.0f}, y1[3], y2[3];
  const int64_t xdims[] = {1, 2};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, xdims, KF_DET_LAYER, y1, NULL, NULL), KF_OK);
  ck_assert_uint_eq(count_of(r, "dropout"), 1);
  ck_assert_int_eq(kf_rngs_reseed(r, "dropout", seed_key(42)), KF_OK);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, xdims, KF_DET_LAYER, y2, NULL, NULL), KF_OK);
  ck_assert_mem_eq(y1, y2, sizeof y1);
  ck_assert_uint_eq(count_of(r, "dropout"), 1);
  ck_assert_uint_eq(count_of(r, "params"), 2);
  kf_model_free(m);

  /* y1's mask key is fold_in(key(42), 0), as the manual computation says. */
  kf_rngs *fresh = rngs_of(PART, "params", 0, "dropout", 42, END_STREAMS);
  const kf_key k0 = seed_key(0);
  check_linear_dropout(PART, fresh, kf_fold_in(k0, 0), kf_fold_in(k0, 1),
                       kf_fold_in(seed_key(42), 0));
  kf_rngs_free(fresh);
  kf_rngs_free(r);
}
END_TEST

/* ---- parameter draws ----------------------------------------------------- */

START_TEST(second_linear_kernel_uses_count_2) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), linear(3, 4)};
  kf_model *m = build(layers, 2, r);
  float w[12];
  const int64_t dims[] = {3, 4};
  init_values(KF_INIT_LECUN_NORMAL, kf_fold_in(seed_key(0), 2), PART, 2, dims, w);
  ck_assert_mem_eq(param(m, 1, 0, "kernel", NULL), w, sizeof w);
  ck_assert_uint_eq(count_of(r, "default"), 4);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(linear_without_bias_draws_once) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  kf_layer_spec layers[] = {linear(2, 3), linear(3, 1)};
  layers[0].use_bias = 0;
  kf_model *m = build(layers, 2, r);
  ck_assert_uint_eq(kf_model_param_count(m, 0), 1);
  ck_assert_uint_eq(kf_model_param_count(m, 1), 2);
  ck_assert_int_eq(kf_model_param(m, 0, 1, NULL, NULL), KF_ERANGE);
  ck_assert_uint_eq(count_of(r, "default"), 3);
  float w[3];
  const int64_t dims[] = {3, 1};
  init_values(KF_INIT_LECUN_NORMAL, kf_fold_in(seed_key(0), 1), PART, 2, dims, w);
  ck_assert_mem_eq(param(m, 1, 0, "kernel", NULL), w, sizeof w);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* nnx.Linear(4, 2, rngs=nnx.Rngs(42)).kernel, as docs_nnx/key_concepts.ipynb prints it. */
START_TEST(linear_4x2_kernel_from_rngs42) {
  kf_rngs *r = rngs_of(PART, "default", 42, END_STREAMS);
  const kf_layer_spec layers[] = {linear(4, 2)};
  kf_model *m = build(layers, 1, r);
  static const char *const printed[8] = {"0.04119061", "-0.2629074", "0.6772455",  "0.2807398",
                                         "0.16276604", "0.16813846", "0.310975", "-0.43336964"};
  float expect[8];
  for (int i = 0; i < 8; i++) expect[i] = strtof(printed[i], NULL);
  kf_shape s;
  const float *w = param(m, 0, 0, "kernel", &s);
  ck_assert(kf_shape_equal(&s, &(kf_shape){2, {4, 2}}));
  for (int i = 0; i < 8; i++) ck_assert_msg(w[i] == expect[i], "w[%d] = %.9g", i, (double)w[i]);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(embed_default_init_and_lookup) {
  kf_rngs *r = rngs_of(PART, "default", 3, END_STREAMS);
  const kf_layer_spec layers[] = {embed(5, 4)};
  kf_model *m = build(layers, 1, r);
  ck_assert_uint_eq(count_of(r, "default"), 1);
  /* variance_scaling(1, fan_in, normal, out_axis=0): fan_in = F = 4, so normal * 0.5. */
  float e[20];
  ck_assert_int_eq(kf_random_normal(kf_fold_in(seed_key(3), 0), PART, 20, e), KF_OK);
  for (int i = 0; i < 20; i++) e[i] = e[i] * (float)sqrt(1.0 / 4);
  kf_shape s;
  const float *table = param(m, 0, 0, "embedding", &s);
  ck_assert(kf_shape_equal(&s, &(kf_shape){2, {5, 4}}));
  ck_assert_mem_eq(table, e, sizeof e);

  int32_t idx[4] = {0, -1, 4, -5};
  const int64_t dims[] = {2, 2};
  float y[16];
  kf_shape ys;
  ck_assert_int_eq(run(m, r, KF_INT32, idx, 2, dims, KF_DET_LAYER, y, &ys, NULL), KF_OK);
  ck_assert(kf_shape_equal(&ys, &(kf_shape){3, {2, 2, 4}}));
  const int rows[4] = {0, 4, 4, 0};
  for (int i = 0; i < 4; i++) ck_assert_mem_eq(y + 4 * i, e + 4 * rows[i], 4 * sizeof(float));
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(embed_index_out_of_range) {
  kf_rngs *r = rngs_of(PART, "default", 3, END_STREAMS);
  const kf_layer_spec layers[] = {embed(5, 4), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  const int32_t bad_indices[] = {5, -6, INT32_MAX, INT32_MIN};
  for (size_t i = 0; i < COUNT_OF(bad_indices); i++) {
    int32_t idx[2] = {1, bad_indices[i]};
    const int64_t dims[] = {2};
    float y[8];
    for (int j = 0; j < 8; j++) y[j] = SENTINEL;
    kf_model_diag diag = diag_at(99);
    ck_assert_int_eq(run(m, r, KF_INT32, idx, 1, dims, KF_DET_LAYER, y, NULL, &diag), KF_ERANGE);
    ck_assert_uint_eq(diag.layer, 0);
    ck_assert(y[0] == SENTINEL && y[7] == SENTINEL);
  }
  ck_assert_uint_eq(count_of(r, "default"), 1); /* the dropout drew nothing */
  /* An embed needs int32 indices; its output feeds float layers. */
  float fx[2] = {0, 1};
  const int64_t dims[] = {2};
  float y[8];
  kf_model_diag diag = diag_at(99);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, fx, 1, dims, KF_DET_LAYER, y, NULL, &diag), KF_EMISMATCH);
  ck_assert_uint_eq(diag.layer, 0);
  int64_t rank8[KF_MAX_RANK] = {1, 1, 1, 1, 1, 1, 1, 1};
  int32_t one = 0;
  ck_assert_int_eq(run(m, r, KF_INT32, &one, KF_MAX_RANK, rank8, KF_DET_LAYER, y, NULL, &diag),
                   KF_EMISMATCH);
  ck_assert_uint_eq(count_of(r, "default"), 1);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* ---- forward ------------------------------------------------------------- */

/* x @ W + b by hand, for rows of a linear layer's input: each output the
 * fused multiply-add chain over k ascending from +0, then + b. */
static void linear_by_hand(const float *x, size_t rows, const float *w, const float *b, int in,
                           int out, float *y) {
  for (size_t r = 0; r < rows; r++) {
    for (int j = 0; j < out; j++) {
      float acc = 0.0f;
      for (int k = 0; k < in; k++) {
        acc = fmaf(x[r * in + k], w[k * out + j], acc);
      }
      y[r * out + j] = b ? acc + b[j] : acc;
    }
  }
}

START_TEST(leading_batch_axes) {
  kf_rngs *r = rngs_of(PART, "default", 5, END_STREAMS);
  kf_layer_spec layers[] = {linear(2, 3)};
  ck_assert_int_eq(kf_init_make(KF_INIT_NORMAL, &layers[0].bias_init), KF_OK);
  layers[0].bias_init.value = 1.0;
  kf_model *m = build(layers, 1, r);
  float x[8] = {0.5f, -1.25f, 3.0f, 0.1f, -0.3f, 7.5f, 2.0f, 1e-3f}, y[12], expect[12];
  const int64_t dims[] = {2, 2, 2};
  kf_shape ys;
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 3, dims, KF_DET_LAYER, y, &ys, NULL), KF_OK);
  ck_assert(kf_shape_equal(&ys, &(kf_shape){3, {2, 2, 3}}));
  const float *b = param(m, 0, 1, "bias", NULL);
  ck_assert(b[0] != 0.0f);
  linear_by_hand(x, 4, param(m, 0, 0, "kernel", NULL), b, 2, 3, expect);
  ck_assert_mem_eq(y, expect, sizeof expect);
  /* A rank-1 input is one row. */
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x + 2, 1, dims + 2, KF_DET_LAYER, y, &ys, NULL), KF_OK);
  ck_assert(kf_shape_equal(&ys, &(kf_shape){1, {3}}));
  ck_assert_mem_eq(y, expect + 3, 3 * sizeof(float));
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(deterministic_override_draws_nothing) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  float x[2] = {1.0f, 2.0f}, y[3], h[3];
  const int64_t dims[] = {1, 2};
  linear_by_hand(x, 1, param(m, 0, 0, "kernel", NULL), param(m, 0, 1, "bias", NULL), 2, 3, h);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_TRUE, y, NULL, NULL), KF_OK);
  ck_assert_mem_eq(y, h, sizeof h);
  ck_assert_uint_eq(count_of(r, "default"), 2);
  /* No stream is needed when nothing is drawn. */
  ck_assert_int_eq(run(m, NULL, KF_FLOAT32, x, 2, dims, KF_DET_TRUE, y, NULL, NULL), KF_OK);
  ck_assert_int_eq(run(m, NULL, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, NULL), KF_EINVAL);
  kf_model_free(m);

  /* The layer's own attribute, and the override in both directions. */
  layers[1].deterministic = 1;
  m = build(layers, 2, r);
  ck_assert_uint_eq(count_of(r, "default"), 4);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, NULL), KF_OK);
  ck_assert_uint_eq(count_of(r, "default"), 4);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_FALSE, y, NULL, NULL), KF_OK);
  ck_assert_uint_eq(count_of(r, "default"), 5);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(rate_0_and_rate_1_draw_nothing) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  float x[3] = {1.0f, -2.0f, NAN}, y[3];
  const int64_t dims[] = {3};
  const float zeros[3] = {0, 0, 0};

  kf_layer_spec layers[] = {dropout(0.0)};
  kf_model *m = build(layers, 1, r);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_FALSE, y, NULL, NULL), KF_OK);
  ck_assert_mem_eq(y, x, sizeof x);
  kf_model_free(m);

  layers[0] = dropout(1.0);
  m = build(layers, 1, r);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_FALSE, y, NULL, NULL), KF_OK);
  ck_assert_mem_eq(y, zeros, sizeof zeros);
  /* deterministic wins over rate 1 */
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_TRUE, y, NULL, NULL), KF_OK);
  ck_assert_mem_eq(y, x, sizeof x);
  kf_model_free(m);
  ck_assert_uint_eq(count_of(r, "default"), 0);
  kf_rngs_free(r);
}
END_TEST

/* A rate that is not a power of two: keep = f32(1.0 - rate), y = x / keep. */
START_TEST(dropout_rate_0_3) {
  kf_rngs *r = rngs_of(PART, "dropout", 8, END_STREAMS);
  const kf_layer_spec layers[] = {dropout(0.3)};
  kf_model *m = build(layers, 1, r);
  float x[32], y[32];
  for (int i = 0; i < 32; i++) x[i] = (float)i - 10.5f;
  const int64_t dims[] = {32};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_LAYER, y, NULL, NULL), KF_OK);
  const float keep = (float)(1.0 - 0.3);
  uint8_t mask[32];
  ck_assert_int_eq(kf_random_bernoulli(kf_fold_in(seed_key(8), 0), PART, 32, keep, mask), KF_OK);
  int kept = 0;
  for (int i = 0; i < 32; i++) {
    const float expect = mask[i] ? x[i] / keep : 0.0f;
    ck_assert_mem_eq(&y[i], &expect, sizeof expect);
    kept += mask[i];
  }
  ck_assert(kept > 0 && kept < 32);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* Each dropout draws at call time, in layer order, after the parameters. */
START_TEST(two_dropouts_draw_in_layer_order) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  kf_layer_spec layers[] = {linear(2, 3), dropout(0.5), dropout(0.5)};
  strcpy(layers[2].rng_collection, "other");
  kf_model *m = build(layers, 3, r);
  float x[2] = {1.0f, 1.0f}, y[3], h[3];
  const int64_t dims[] = {1, 2};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, NULL), KF_OK);
  ck_assert_uint_eq(count_of(r, "default"), 4);
  linear_by_hand(x, 1, param(m, 0, 0, "kernel", NULL), param(m, 0, 1, "bias", NULL), 2, 3, h);
  uint8_t m1[3], m2[3];
  ck_assert_int_eq(kf_random_bernoulli(kf_fold_in(seed_key(0), 2), PART, 3, 0.5f, m1), KF_OK);
  ck_assert_int_eq(kf_random_bernoulli(kf_fold_in(seed_key(0), 3), PART, 3, 0.5f, m2), KF_OK);
  for (int j = 0; j < 3; j++) {
    const float once = m1[j] ? h[j] / 0.5f : 0.0f;
    const float expect = m2[j] ? once / 0.5f : 0.0f;
    ck_assert_mem_eq(&y[j], &expect, sizeof expect);
  }
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* ---------------------------------------------------------------- Flax >= 0.11 */

/* rngs_of for a 0.11+ Rngs (partitionable). */
static kf_rngs *rngs11_of(const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  kf_rngs *r = rngs_va(PART, KF_FLAX_0_11, first, ap);
  va_end(ap);
  return r;
}

static kf_model_stream held_at(const kf_model *m, size_t i) {
  kf_model_stream h;
  ck_assert_int_eq(kf_model_stream_at(m, i, &h), KF_OK);
  return h;
}

static void assert_key(kf_key got, kf_key want) {
  ck_assert_uint_eq(got.hi, want.hi);
  ck_assert_uint_eq(got.lo, want.lo);
}

/* The Dropout docstring's MLP under 0.11 (flax-nnx.md §4): kernel and bias
 * take counts 0 and 1 of 'default', the fork count 2; the first mask key is
 * fold_in(fold_in(k0, 2), 0), and the session stream does not move again. */
START_TEST(era11_dropout_forks_at_construction) {
  kf_rngs *r = rngs11_of("default", 0, END_STREAMS);
  const kf_layer_spec layers[] = {linear(3, 4), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  ck_assert_int_eq(kf_model_era(m), KF_FLAX_0_11);
  ck_assert_uint_eq(count_of(r, "default"), 3);
  ck_assert_uint_eq(kf_model_stream_count(m), 1);
  kf_model_stream h = held_at(m, 0);
  ck_assert_uint_eq(h.layer, 1);
  ck_assert_str_eq(h.state.name, "default");
  assert_key(h.state.key, kf_fold_in(seed_key(0), 2));
  ck_assert_uint_eq(h.state.count, 0);
  float x[3] = {1.0f, -2.0f, 0.5f}, y[4], hid[4];
  const int64_t dims[] = {1, 3};
  for (uint32_t call = 0; call < 2; call++) {
    ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, NULL), KF_OK);
    ck_assert_uint_eq(count_of(r, "default"), 3);
    ck_assert_uint_eq(held_at(m, 0).state.count, call + 1);
    linear_by_hand(x, 1, param(m, 0, 0, "kernel", NULL), param(m, 0, 1, "bias", NULL), 3, 4, hid);
    uint8_t mask[4];
    ck_assert_int_eq(kf_random_bernoulli(kf_fold_in(kf_fold_in(seed_key(0), 2), call), PART, 4, 0.5f, mask),
                     KF_OK);
    for (int j = 0; j < 4; j++) {
      const float expect = mask[j] ? hid[j] / 0.5f : 0.0f;
      ck_assert_mem_eq(&y[j], &expect, sizeof expect);
    }
  }
  /* The kernel is still the 0.10 kernel: parameters do not depend on the era. */
  kf_rngs *r10 = rngs_of(PART, "default", 0, END_STREAMS);
  kf_model *m10 = build(layers, 2, r10);
  ck_assert_mem_eq(param(m, 0, 0, "kernel", NULL), param(m10, 0, 0, "kernel", NULL), 12 * sizeof(float));
  ck_assert_uint_eq(kf_model_stream_count(m10), 0);
  kf_model_free(m10);
  kf_rngs_free(r10);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* The same in the 0.11+ era: jaxlib 0.10.2 computes Flax 0.12's x / keep as
 * x * f32(1 / keep) (the division by a scalar becomes that product), which
 * differs from x / keep on some values for keep 0.7 (forward.c). */
START_TEST(era11_dropout_rate_0_3_multiplies_by_the_reciprocal) {
  kf_rngs *r = rngs11_of("dropout", 8, END_STREAMS);
  const kf_layer_spec layers[] = {dropout(0.3)};
  kf_model *m = build(layers, 1, r);
  enum { N = 256 };
  float x[N], y[N];
  for (int i = 0; i < N; i++) x[i] = ((float)i - 100.25f) * 0.37f;
  const int64_t dims[] = {N};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_LAYER, y, NULL, NULL), KF_OK);
  const float keep = (float)(1.0 - 0.3), recip = 1.0f / keep;
  kf_model_stream h;
  ck_assert_int_eq(kf_model_stream_at(m, 0, &h), KF_OK);
  uint8_t mask[N];
  ck_assert_int_eq(kf_random_bernoulli(kf_fold_in(h.state.key, 0), PART, N, keep, mask), KF_OK);
  int kept = 0, differs = 0;
  for (int i = 0; i < N; i++) {
    const float expect = mask[i] ? x[i] * recip : 0.0f;
    ck_assert_mem_eq(&y[i], &expect, sizeof expect);
    kept += mask[i];
    differs += mask[i] && x[i] * recip != x[i] / keep;
  }
  ck_assert(kept > 0 && kept < N);
  ck_assert_int_gt(differs, 0); /* the two roundings do differ here */
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* Forks happen in construction order between parameter draws on one shared
 * 'default' stream: linear, dropout, linear takes counts 0, 1 | 2 | 3, 4.
 * Rate 0, rate 1 and deterministic dropouts fork too (the constructor always
 * does); a named stream serves its own dropouts. */
START_TEST(era11_forks_interleave_with_params) {
  kf_rngs *r = rngs11_of("dropout", 9, "default", 0, END_STREAMS);
  kf_layer_spec layers[] = {linear(2, 2), dropout(0.0), linear(2, 2), dropout(1.0), dropout(0.5), dropout(0.5)};
  strcpy(layers[1].rng_collection, "noise"); /* falls back to default */
  layers[5].deterministic = 1;
  kf_model *m = build(layers, 6, r);
  ck_assert_uint_eq(count_of(r, "default"), 5);
  ck_assert_uint_eq(count_of(r, "dropout"), 3);
  ck_assert_uint_eq(kf_model_stream_count(m), 4);
  const struct {
    size_t layer;
    const char *tag;
    kf_key key;
  } want[] = {{1, "default", kf_fold_in(seed_key(0), 2)},
              {3, "dropout", kf_fold_in(seed_key(9), 0)},
              {4, "dropout", kf_fold_in(seed_key(9), 1)},
              {5, "dropout", kf_fold_in(seed_key(9), 2)}};
  for (size_t i = 0; i < COUNT_OF(want); i++) {
    const kf_model_stream h = held_at(m, i);
    ck_assert_uint_eq(h.layer, want[i].layer);
    ck_assert_str_eq(h.state.name, want[i].tag);
    assert_key(h.state.key, want[i].key);
  }
  /* The second linear's kernel is fold_in(k0, 3) (after the fork at 2). */
  kf_init ini;
  ck_assert_int_eq(kf_init_make(KF_INIT_LECUN_NORMAL, &ini), KF_OK);
  const int64_t kdims[] = {2, 2};
  const kf_shape ks = shape_of(2, kdims);
  float kernel[4];
  ck_assert_int_eq(kf_init_apply(&ini, kf_fold_in(seed_key(0), 3), PART, &ks, kernel), KF_OK);
  ck_assert_mem_eq(param(m, 2, 0, "kernel", NULL), kernel, sizeof kernel);
  /* Only the rate-0.5, non-deterministic dropout draws. */
  size_t n = 9;
  ck_assert_int_eq(kf_model_forward_draws(m, KF_DET_LAYER, &n), KF_OK);
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(kf_model_forward_draws(m, KF_DET_FALSE, &n), KF_OK);
  ck_assert_uint_eq(n, 2);
  ck_assert_int_eq(kf_model_forward_draws(m, KF_DET_TRUE, &n), KF_OK);
  ck_assert_uint_eq(n, 0);
  float x[2] = {1.0f, 2.0f}, y[2];
  const int64_t dims[] = {2};
  ck_assert_int_eq(run(m, NULL, KF_FLOAT32, x, 1, dims, KF_DET_FALSE, y, NULL, NULL), KF_OK);
  const uint32_t counts[] = {0, 0, 1, 1};
  for (size_t i = 0; i < 4; i++) ck_assert_uint_eq(held_at(m, i).state.count, counts[i]);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* A 0.11 Dropout whose stream and 'default' are both missing fails at
 * construction (Flax: KeyError in the constructor), changing nothing. */
START_TEST(era11_missing_stream_fails_at_construction) {
  kf_rngs *r = rngs11_of("params", 1, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 2), dropout(0.5)};
  kf_model *m = NULL;
  kf_model_diag d = diag_at(999);
  ck_assert_int_eq(kf_model_new(layers, 2, r, &m, &d), KF_ENOTFOUND);
  ck_assert_ptr_null(m);
  ck_assert_int_eq(d.reason, KF_DIAG_STREAM);
  ck_assert_uint_eq(d.layer, 1);
  ck_assert_str_eq(d.stream, "dropout");
  ck_assert_uint_eq(count_of(r, "params"), 0);
  /* Exhaustion of the forked-from stream likewise, before anything is drawn. */
  kf_rngs_free(r);
  r = rngs11_of("dropout", 1, END_STREAMS);
  ck_assert_int_eq(kf_rngs_add_stream(r, "params", seed_key(2), 0), KF_OK);
  kf_stream_state st;
  ck_assert(kf_rngs_has_stream(r, "dropout", &st));
  st.count = UINT32_MAX;
  ck_assert_int_eq(kf_rngs_set_stream(r, 0, &st), KF_OK);
  ck_assert_int_eq(kf_model_new(layers, 2, r, &m, &d), KF_EEXHAUSTED);
  ck_assert_uint_eq(count_of(r, "params"), 0);
  kf_rngs_free(r);
}
END_TEST

/* A held stream at count 2^32 - 1 refuses the draw, all or nothing, and a
 * deterministic pass still runs; kf_model_set_stream restores state and
 * checks the tag. */
START_TEST(era11_held_stream_exhaustion_and_set) {
  kf_rngs *r = rngs11_of("dropout", 3, "params", 1, END_STREAMS);
  const kf_layer_spec layers[] = {dropout(0.5), linear(2, 2), dropout(0.5)};
  kf_model *m = build(layers, 3, r);
  kf_model_stream h = held_at(m, 1);
  h.state.count = UINT32_MAX;
  ck_assert_int_eq(kf_model_set_stream(m, 1, &h.state), KF_OK);
  float x[2] = {1.0f, 2.0f}, y[2];
  const int64_t dims[] = {2};
  kf_model_diag d = diag_at(999);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_LAYER, y, NULL, &d), KF_EEXHAUSTED);
  ck_assert_int_eq(d.reason, KF_DIAG_STREAM);
  ck_assert_uint_eq(d.layer, 2);
  ck_assert_str_eq(d.stream, "dropout");
  ck_assert_uint_eq(held_at(m, 0).state.count, 0); /* the first dropout did not draw either */
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_TRUE, y, NULL, NULL), KF_OK);
  kf_stream_state other = h.state;
  strcpy(other.name, "params");
  ck_assert_int_eq(kf_model_set_stream(m, 1, &other), KF_EINVAL);
  ck_assert_int_eq(kf_model_set_stream(m, 2, &h.state), KF_ERANGE);
  ck_assert_int_eq(kf_model_stream_at(m, 2, &h), KF_ERANGE);
  ck_assert_int_eq(kf_model_stream_at(NULL, 0, &h), KF_EINVAL);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* The reseed docstring under 0.11 (flax-nnx.md §2.3): y1 uses
 * fold_in(fold_in(key(42), 0), 0); reseed(model, dropout=42) stores
 * fold_in(key(42), 0) at count 0, so y2 == y1. Two streams of one tag get
 * fold_in(key, 0) and fold_in(key, 1) in layer order; other tags stay. */
START_TEST(era11_reseed_docstring_and_order) {
  kf_rngs *r = rngs11_of("params", 0, "dropout", 42, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  float x[2] = {1.0f, 1.0f}, y1[3], y2[3];
  const int64_t dims[] = {1, 2};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y1, NULL, NULL), KF_OK);
  size_t matched = 9;
  ck_assert_int_eq(kf_model_reseed(m, "dropout", seed_key(42), &matched), KF_OK);
  ck_assert_uint_eq(matched, 1);
  assert_key(held_at(m, 0).state.key, kf_fold_in(seed_key(42), 0));
  ck_assert_uint_eq(held_at(m, 0).state.count, 0);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y2, NULL, NULL), KF_OK);
  ck_assert_mem_eq(y1, y2, sizeof y1);
  ck_assert_int_eq(kf_model_reseed(m, "params", seed_key(1), &matched), KF_OK);
  ck_assert_uint_eq(matched, 0);
  ck_assert_int_eq(kf_model_reseed(m, "no such", seed_key(1), &matched), KF_EINVAL);
  kf_model_free(m);

  kf_layer_spec three[] = {dropout(0.5), dropout(0.5), dropout(0.5)};
  strcpy(three[1].rng_collection, "params");
  m = build(three, 3, r);
  ck_assert_int_eq(kf_model_reseed(m, "dropout", seed_key(7), &matched), KF_OK);
  ck_assert_uint_eq(matched, 2);
  assert_key(held_at(m, 0).state.key, kf_fold_in(seed_key(7), 0));
  assert_key(held_at(m, 2).state.key, kf_fold_in(seed_key(7), 1));
  assert_key(held_at(m, 1).state.key, kf_fold_in(seed_key(0), 2)); /* params: 2 counts went to the linear */
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* nnx.reseed(rngs, name=seed): key(seed) in 0.10, fold_in(key(seed), 0) in
 * 0.11+; the era is kept by clone; the messages of both eras. */
START_TEST(era_reseed_of_rngs_and_messages) {
  kf_rngs *r10 = rngs_of(PART, "dropout", 1, END_STREAMS);
  kf_rngs *r11 = rngs11_of("dropout", 1, END_STREAMS);
  ck_assert_int_eq(kf_rngs_era(r10), KF_FLAX_0_10);
  ck_assert_int_eq(kf_rngs_era(r11), KF_FLAX_0_11);
  ck_assert_int_eq(kf_rngs_reseed(r10, "dropout", seed_key(42)), KF_OK);
  ck_assert_int_eq(kf_rngs_reseed(r11, "dropout", seed_key(42)), KF_OK);
  kf_stream_state s;
  ck_assert(kf_rngs_has_stream(r10, "dropout", &s));
  assert_key(s.key, seed_key(42));
  ck_assert(kf_rngs_has_stream(r11, "dropout", &s));
  assert_key(s.key, kf_fold_in(seed_key(42), 0));
  kf_rngs *copy = NULL;
  ck_assert_int_eq(kf_rngs_clone(r11, &copy), KF_OK);
  ck_assert_int_eq(kf_rngs_era(copy), KF_FLAX_0_11);
  kf_rngs_free(copy);
  ck_assert_int_eq(kf_rngs_new_era(PART, (kf_flax_era)2, &copy), KF_EINVAL);
  ck_assert_str_eq(kf_flax_era_name(KF_FLAX_0_10), "0.10");
  ck_assert_str_eq(kf_flax_era_name(KF_FLAX_0_11), "0.11");
  ck_assert_ptr_null(kf_flax_era_name((kf_flax_era)7));
  char buf[96];
  kf_flax_not_found_message(KF_FLAX_0_11, "noise", buf, sizeof buf);
  ck_assert_str_eq(buf, "No RngStream named 'noise' found in Rngs.");
  kf_flax_not_found_message(KF_FLAX_0_10, "noise", buf, sizeof buf);
  ck_assert_str_eq(buf, "No RNG named 'noise' or 'default' found in Rngs.");
  kf_rngs_free(r10);
  kf_rngs_free(r11);
}
END_TEST

/* Bits are drawn for the reduced shape and the mask repeats along broadcast axes. */
START_TEST(broadcast_dims_repeat_the_mask) {
  float x[24], y[24];
  for (int i = 0; i < 24; i++) x[i] = (float)(i + 1);
  const kf_key key = kf_fold_in(seed_key(0), 0);
  uint8_t mask[24];
  struct {
    kf_layer_spec spec;
    int rank;
    int64_t dims[3];
    size_t mask_n;
  } cases[] = {
    {dropout_bcast(0.5, 1, 0, 0), 2, {4, 6, 0}, 6},   /* rows share the mask */
    {dropout_bcast(0.5, 1, -1, 0), 2, {4, 6, 0}, 4},  /* columns share it */
    {dropout_bcast(0.5, 2, 0, -2), 2, {4, 6, 0}, 6},  /* the same axis twice */
    {dropout_bcast(0.5, 2, 0, 1), 2, {4, 6, 0}, 1},   /* one bit for everything */
    {dropout_bcast(0.5, 1, 1, 0), 3, {2, 3, 4}, 8},   /* mask shape (2, 1, 4) */
  };
  for (size_t c = 0; c < COUNT_OF(cases); c++) {
    kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
    kf_model *m = build(&cases[c].spec, 1, r);
    ck_assert_int_eq(
        run(m, r, KF_FLOAT32, x, cases[c].rank, cases[c].dims, KF_DET_LAYER, y, NULL, NULL),
        KF_OK);
    ck_assert_int_eq(kf_random_bernoulli(key, PART, cases[c].mask_n, 0.5f, mask), KF_OK);
    for (int i = 0; i < 24; i++) {
      size_t mi;
      switch (c) {
        case 0: case 2: mi = (size_t)(i % 6); break;
        case 1: mi = (size_t)(i / 6); break;
        case 3: mi = 0; break;
        default: mi = (size_t)((i / 12) * 4 + i % 4); break;
      }
      const float expect = mask[mi] ? x[i] / 0.5f : 0.0f;
      ck_assert_msg(y[i] == expect, "case %zu element %d", c, i);
    }
    ck_assert_uint_eq(count_of(r, "default"), 1);
    kf_model_free(m);
    kf_rngs_free(r);
  }
}
END_TEST

START_TEST(empty_batch_still_draws) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  const int64_t dims[] = {0, 2};
  kf_shape ys;
  ck_assert_int_eq(run(m, r, KF_FLOAT32, NULL, 2, dims, KF_DET_LAYER, NULL, &ys, NULL), KF_OK);
  ck_assert(kf_shape_equal(&ys, &(kf_shape){2, {0, 3}}));
  ck_assert_uint_eq(count_of(r, "default"), 3); /* Flax draws the key before sampling */
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(activations) {
  kf_rngs *r = rngs_of(PART, END_STREAMS);
  float x[6] = {-2.0f, -0.5f, 0.0f, 0.5f, 1.0f, 2.0f}, y[6];
  const int64_t dims[] = {6};
  const struct {
    kf_layer_type type;
    float expect[6];
  } cases[] = {
    {KF_LAYER_RELU, {0, 0, 0, 0.5f, 1.0f, 2.0f}},
    {KF_LAYER_TANH, {-0.96402758f, -0.46211716f, 0, 0.46211716f, 0.76159416f, 0.96402758f}},
    {KF_LAYER_SIGMOID, {0.11920292f, 0.37754067f, 0.5f, 0.62245933f, 0.73105858f, 0.88079708f}},
    {KF_LAYER_SILU, {-0.23840584f, -0.18877033f, 0, 0.31122967f, 0.73105858f, 1.76159416f}},
    {KF_LAYER_GELU, {-0.04540231f, -0.15428599f, 0, 0.34571401f, 0.84119199f, 1.95459769f}},
  };
  for (size_t c = 0; c < COUNT_OF(cases); c++) {
    const kf_layer_spec layers[] = {layer(cases[c].type)};
    kf_model *m = build(layers, 1, r);
    ck_assert_uint_eq(kf_model_param_count(m, 0), 0);
    ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 1, dims, KF_DET_LAYER, y, NULL, NULL), KF_OK);
    for (int i = 0; i < 6; i++)
      ck_assert_msg(fabsf(y[i] - cases[c].expect[i]) <= 2e-6f, "%s(%g) = %.9g",
                    kf_layer_type_name(cases[c].type), (double)x[i], (double)y[i]);
    kf_model_free(m);
  }
  /* relu is jnp.maximum(x, 0): NaN propagates. */
  const kf_layer_spec relu[] = {layer(KF_LAYER_RELU)};
  kf_model *m = build(relu, 1, r);
  float nan_in = NAN, out;
  const int64_t one[] = {1};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, &nan_in, 1, one, KF_DET_LAYER, &out, NULL, NULL), KF_OK);
  ck_assert(isnan(out));
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(deep_model_runs_through_scratch) {
  kf_rngs *r = rngs_of(PART, "default", 11, END_STREAMS);
  const kf_layer_spec layers[] = {linear(3, 5), layer(KF_LAYER_GELU), linear(5, 2),
                                  layer(KF_LAYER_TANH), linear(2, 4), dropout(0.5),
                                  layer(KF_LAYER_RELU)};
  kf_model *m = build(layers, COUNT_OF(layers), r);
  float x[6] = {0.1f, 0.2f, 0.3f, -1, 2, -3}, y[8];
  const int64_t dims[] = {2, 3};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_TRUE, y, NULL, NULL), KF_OK);
  /* By hand, layer by layer. */
  float h1[10], h2[4], h3[8];
  linear_by_hand(x, 2, param(m, 0, 0, "kernel", NULL), param(m, 0, 1, "bias", NULL), 3, 5, h1);
  /* The activations one value at a time (activations.c's scalar forms, which
   * test_activations holds to XLA's kernels). */
  for (int i = 0; i < 10; i++) h1[i] = kf__gelu_f32(h1[i]);
  linear_by_hand(h1, 2, param(m, 2, 0, "kernel", NULL), param(m, 2, 1, "bias", NULL), 5, 2, h2);
  for (int i = 0; i < 4; i++) h2[i] = kf__tanh_f32(h2[i]);
  linear_by_hand(h2, 2, param(m, 4, 0, "kernel", NULL), param(m, 4, 1, "bias", NULL), 2, 4, h3);
  for (int i = 0; i < 8; i++) h3[i] = kf__relu_f32(h3[i]);
  ck_assert_mem_eq(y, h3, sizeof h3);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* ---- diagnostics and shape queries --------------------------------------- */

START_TEST(check_diag_names_the_fault) {
  kf_layer_spec l[3] = {linear(2, 4), layer(KF_LAYER_RELU), linear(3, 2)};
  kf_model_diag d = diag_at(99);
  ck_assert_int_eq(kf_model_check(l, 3, NULL, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_WIDTH);
  ck_assert_uint_eq(d.layer, 2);
  ck_assert_int_eq(d.layer_type, KF_LAYER_LINEAR);
  ck_assert_int_eq(d.expected, 3); /* in_features */
  ck_assert_int_eq(d.actual, 4);   /* what the layers before produce */
  ck_assert_uint_eq(d.struct_size, sizeof d);

  l[2] = embed(5, 2);
  ck_assert_int_eq(kf_model_check(l, 3, NULL, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_EMBED_NOT_FIRST);
  ck_assert_uint_eq(d.layer, 2);

  l[2] = dropout(1.5);
  ck_assert_int_eq(kf_model_check(l, 3, NULL, &d), KF_ERANGE);
  ck_assert_int_eq(d.reason, KF_DIAG_SPEC);
  ck_assert_str_eq(d.field, "rate");
  l[2] = linear(4, 0);
  ck_assert_int_eq(kf_model_check(l, 3, NULL, &d), KF_ERANGE);
  ck_assert_str_eq(d.field, "out_features");
  l[2] = linear(4, 2);
  l[2].bias_init.kind = KF_INIT_NORMAL;
  l[2].bias_init.value = NAN;
  ck_assert_int_eq(kf_model_check(l, 3, NULL, &d), KF_EINVAL);
  ck_assert_str_eq(d.field, "bias_init");

  ck_assert_int_eq(kf_model_check(l, 0, NULL, &d), KF_EINVAL);
  ck_assert_int_eq(d.reason, KF_DIAG_ARGUMENT);
  ck_assert_uint_eq(d.layer, 0);

  /* A diag from a header older than the library's first version is refused. */
  kf_model_diag tiny = {.struct_size = sizeof(size_t)};
  ck_assert_int_eq(kf_model_check(l, 3, NULL, &tiny), KF_EINVAL);
}
END_TEST

START_TEST(forward_diag_names_the_fault) {
  kf_rngs *r = rngs_of(PART, "params", 0, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), dropout_bcast(0.5, 1, -3, 0)};
  kf_model *m = build(layers, 2, r);
  float x[12] = {0}, y[12];
  kf_model_diag d = diag_at(99);

  const int64_t wide[] = {2, 5};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, wide, KF_DET_FALSE, y, NULL, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_WIDTH);
  ck_assert_uint_eq(d.layer, 0);
  ck_assert_int_eq(d.expected, 2);
  ck_assert_int_eq(d.actual, 5);
  ck_assert(d.has_shape && kf_shape_equal(&d.shape, &(kf_shape){2, {2, 5}}));

  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 0, NULL, KF_DET_FALSE, y, NULL, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_RANK_TOO_LOW);
  ck_assert_int_eq(d.expected, 1);
  ck_assert_int_eq(d.actual, 0);

  /* Axis -3 of the (1, 3) activation reaching the dropout does not exist. */
  const int64_t row[] = {1, 2};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, row, KF_DET_FALSE, y, NULL, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_BROADCAST_AXIS);
  ck_assert_uint_eq(d.layer, 1);
  ck_assert_int_eq(d.expected, 2);
  ck_assert_int_eq(d.actual, -3);
  ck_assert(kf_shape_equal(&d.shape, &(kf_shape){2, {1, 3}}));

  ck_assert_int_eq(run(m, r, KF_INT32, x, 2, row, KF_DET_FALSE, y, NULL, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_DTYPE);
  ck_assert_int_eq(d.expected, KF_FLOAT32);
  ck_assert_int_eq(d.actual, KF_INT32);

  /* A rank-3 input gives the dropout an axis -3: now the stream is missing. */
  const int64_t cube[] = {1, 1, 2};
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 3, cube, KF_DET_FALSE, y, NULL, &d), KF_ENOTFOUND);
  ck_assert_int_eq(d.reason, KF_DIAG_STREAM);
  ck_assert_uint_eq(d.layer, 1);
  ck_assert_str_eq(d.stream, "dropout");
  kf_model_free(m);

  const kf_layer_spec table[] = {embed(5, 2)};
  m = build(table, 1, r);
  int32_t idx[3] = {4, -5, 5};
  const int64_t three[] = {3};
  ck_assert_int_eq(run(m, r, KF_INT32, idx, 1, three, KF_DET_FALSE, y, NULL, &d), KF_ERANGE);
  ck_assert_int_eq(d.reason, KF_DIAG_INDEX_RANGE);
  ck_assert_uint_eq(d.element, 2);
  ck_assert_int_eq(d.index, 5);
  ck_assert_int_eq(d.expected, 5);
  int64_t rank8[KF_MAX_RANK] = {1, 1, 1, 1, 1, 1, 1, 1};
  ck_assert_int_eq(run(m, r, KF_INT32, idx, KF_MAX_RANK, rank8, KF_DET_FALSE, y, NULL, &d),
                   KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_RANK_TOO_HIGH);
  ck_assert_int_eq(d.expected, KF_MAX_RANK - 1);
  ck_assert_int_eq(d.actual, KF_MAX_RANK);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(model_new_diag_names_the_stream) {
  kf_rngs *r = rngs_of(PART, "dropout", 0, END_STREAMS);
  const kf_layer_spec layers[] = {dropout(0.5), linear(2, 3)};
  kf_model *m = NULL;
  kf_model_diag d = diag_at(99);
  ck_assert_int_eq(kf_model_new(layers, 2, r, &m, &d), KF_ENOTFOUND);
  ck_assert_int_eq(d.reason, KF_DIAG_STREAM);
  ck_assert_uint_eq(d.layer, 1);
  ck_assert_str_eq(d.stream, "params");
  kf_rngs_free(r);
}
END_TEST

START_TEST(input_dtype_and_layer_input_shapes) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  const kf_layer_spec layers[] = {embed(7, 3), linear(3, 2), dropout(0.25)};
  kf_model *m = build(layers, 3, r);
  ck_assert_int_eq(kf_model_input_dtype(m), KF_INT32);
  kf_dtype dt = KF_BOOL;
  ck_assert_int_eq(kf_layers_input_dtype(layers, 3, &dt), KF_OK);
  ck_assert_int_eq(dt, KF_INT32);
  ck_assert_int_eq(kf_layers_input_dtype(layers + 1, 2, &dt), KF_OK);
  ck_assert_int_eq(dt, KF_FLOAT32);
  ck_assert_int_eq(kf_layers_input_dtype(layers, 0, &dt), KF_EINVAL);
  ck_assert_int_eq(kf_model_input_dtype(NULL), KF_FLOAT32);

  const int64_t dims[] = {4, 5};
  const kf_shape in = shape_of(2, dims);
  const kf_shape want[4] = {{2, {4, 5}}, {3, {4, 5, 3}}, {3, {4, 5, 2}}, {3, {4, 5, 2}}};
  for (size_t i = 0; i < 4; i++) {
    kf_shape a, b;
    ck_assert_int_eq(kf_model_layer_input_shape(m, &in, KF_INT32, i, &a, NULL), KF_OK);
    ck_assert_int_eq(kf_layers_input_shape(layers, 3, &in, KF_INT32, i, &b, NULL), KF_OK);
    ck_assert_msg(kf_shape_equal(&a, &want[i]) && kf_shape_equal(&b, &want[i]), "layer %zu", i);
  }
  kf_shape out;
  kf_model_diag d = diag_at(99);
  ck_assert_int_eq(kf_model_layer_input_shape(m, &in, KF_INT32, 4, &out, &d), KF_ERANGE);
  ck_assert_int_eq(kf_layers_input_shape(layers, 3, &in, KF_INT32, 4, &out, &d), KF_ERANGE);
  ck_assert_int_eq(d.reason, KF_DIAG_ARGUMENT);
  ck_assert_int_eq(kf_model_layer_input_shape(m, &in, KF_FLOAT32, 0, &out, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_DTYPE);

  /* The specs answer even where they do not chain: only the layers before i count. */
  const kf_layer_spec broken[] = {linear(2, 4), linear(3, 1)};
  const int64_t two[] = {2};
  const kf_shape x = shape_of(1, two);
  ck_assert_int_eq(kf_layers_input_shape(broken, 2, &x, KF_FLOAT32, 1, &out, &d), KF_OK);
  ck_assert(kf_shape_equal(&out, &(kf_shape){1, {4}}));
  ck_assert_int_eq(kf_layers_input_shape(broken, 2, &x, KF_FLOAT32, 2, &out, &d), KF_EMISMATCH);
  ck_assert_int_eq(d.reason, KF_DIAG_WIDTH);
  ck_assert_uint_eq(d.layer, 1);
  ck_assert_int_eq(d.expected, 3);
  ck_assert_int_eq(d.actual, 4);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* A caller built against a newer header: its specs are larger and carry a
 * member this library does not know. */
typedef struct {
  kf_layer_spec v1;
  int64_t newer_member;
} future_spec;

START_TEST(layer_spec_versions) {
  future_spec f[2];
  memset(f, 0, sizeof f);
  f[0].v1 = linear(2, 3);
  f[1].v1 = dropout(0.5);
  for (int i = 0; i < 2; i++) f[i].v1.struct_size = sizeof(future_spec);
  const kf_layer_spec *as_specs = &f[0].v1;
  uint64_t elements = 0;
  ck_assert_int_eq(kf_model_check(as_specs, 2, &elements, NULL), KF_OK);
  ck_assert_uint_eq(elements, 9);
  kf_shape out;
  const int64_t dims[] = {5, 2};
  const kf_shape in = shape_of(2, dims);
  ck_assert_int_eq(kf_layers_input_shape(as_specs, 2, &in, KF_FLOAT32, 2, &out, NULL), KF_OK);
  ck_assert(kf_shape_equal(&out, &(kf_shape){2, {5, 3}}));

  /* A member it does not know that is not zero asks for something it cannot do. */
  f[1].newer_member = 1;
  kf_model_diag d = diag_at(99);
  ck_assert_int_eq(kf_model_check(as_specs, 2, NULL, &d), KF_EUNSUPPORTED);
  ck_assert_uint_eq(d.layer, 1);
  ck_assert_str_eq(d.field, "struct_size");
  f[1].newer_member = 0;
  f[1].v1.struct_size = sizeof(kf_layer_spec); /* elements must agree */
  ck_assert_int_eq(kf_model_check(as_specs, 2, NULL, &d), KF_EINVAL);
  ck_assert_uint_eq(d.layer, 1);

  kf_layer_spec zeroed;
  memset(&zeroed, 0, sizeof zeroed); /* never made: no struct_size */
  ck_assert_int_eq(kf_model_check(&zeroed, 1, NULL, NULL), KF_EINVAL);

  /* Reading a spec back into the newer struct zeroes what the library does not know. */
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  const kf_layer_spec one[] = {linear(2, 3)};
  kf_model *m = build(one, 1, r);
  future_spec back;
  memset(&back, 0xAB, sizeof back);
  back.v1.struct_size = sizeof back;
  ck_assert_int_eq(kf_model_layer_spec(m, 0, &back.v1), KF_OK);
  ck_assert_uint_eq(back.v1.struct_size, sizeof back);
  ck_assert_int_eq(back.v1.out_features, 3);
  ck_assert_int_eq(back.newer_member, 0);
  kf_layer_spec old = {.struct_size = sizeof(size_t)};
  ck_assert_int_eq(kf_model_layer_spec(m, 0, &old), KF_EINVAL);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* ---- validation ---------------------------------------------------------- */

/* kf_model_check and kf_model_new both refuse the spec, and nothing is drawn. */
static void expect_rejected(const kf_layer_spec *layers, size_t n, int rc, size_t bad_layer) {
  kf_model_diag diag = diag_at(12345);
  uint64_t elements = 777;
  ck_assert_int_eq(kf_model_check(layers, n, &elements, &diag), rc);
  ck_assert_uint_eq(diag.layer, bad_layer);
  ck_assert_uint_eq(elements, 777);
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  kf_model *m = NULL;
  diag = diag_at(12345);
  ck_assert_int_eq(kf_model_new(layers, n, r, &m, &diag), rc);
  ck_assert_uint_eq(diag.layer, bad_layer);
  ck_assert_ptr_null(m);
  ck_assert_uint_eq(count_of(r, "default"), 0);
  kf_rngs_free(r);
}

START_TEST(check_sizes) {
  kf_layer_spec l[2];
  l[0] = linear(0, 3);
  expect_rejected(l, 1, KF_ERANGE, 0);
  l[0] = linear(2, -1);
  expect_rejected(l, 1, KF_ERANGE, 0);
  l[0] = linear((int64_t)1 << 31, (int64_t)1 << 31);
  expect_rejected(l, 1, KF_EOVERFLOW, 0);
  l[0] = embed(0, 4);
  expect_rejected(l, 1, KF_ERANGE, 0);
  l[0] = embed(5, -4);
  expect_rejected(l, 1, KF_ERANGE, 0);
  l[0] = embed(INT64_MAX, 2);
  expect_rejected(l, 1, KF_EOVERFLOW, 0);
  /* Each parameter may reach the limit, but not their sum. */
  l[0] = linear((int64_t)1 << 20, (int64_t)1 << 20);
  l[0].use_bias = 0;
  uint64_t elements = 0;
  ck_assert_int_eq(kf_model_check(l, 1, &elements, NULL), KF_OK);
  ck_assert_uint_eq(elements, KF_MAX_ELEMENTS);
  l[1] = linear((int64_t)1 << 20, 1);
  expect_rejected(l, 2, KF_EOVERFLOW, 1);
}
END_TEST

START_TEST(check_rates) {
  const double bad_rates[] = {-0.1, 1.5, NAN, INFINITY, -INFINITY};
  kf_layer_spec l[2] = {linear(2, 3), dropout(0.5)};
  for (size_t i = 0; i < COUNT_OF(bad_rates); i++) {
    l[1].rate = bad_rates[i];
    expect_rejected(l, 2, KF_ERANGE, 1);
  }
  l[1].rate = 1.0;
  ck_assert_int_eq(kf_model_check(l, 2, NULL, NULL), KF_OK);
}
END_TEST

START_TEST(check_initializers) {
  kf_layer_spec l[1] = {linear(2, 3)};
  l[0].kernel_init.kind = KF_INIT_KIND_COUNT;
  expect_rejected(l, 1, KF_EINVAL, 0);
  /* lecun_normal cannot initialise a rank-1 bias. */
  l[0] = linear(2, 3);
  ck_assert_int_eq(kf_init_make(KF_INIT_LECUN_NORMAL, &l[0].bias_init), KF_OK);
  expect_rejected(l, 1, KF_EINVAL, 0);
  /* ...but an unused bias initializer is not looked at. */
  l[0].use_bias = 0;
  ck_assert_int_eq(kf_model_check(l, 1, NULL, NULL), KF_OK);
  l[0] = embed(5, 4);
  l[0].embedding_init.value = NAN;
  expect_rejected(l, 1, KF_EINVAL, 0);
}
END_TEST

START_TEST(check_structure) {
  kf_layer_spec l[3] = {linear(2, 3), embed(5, 4)};
  expect_rejected(l, 2, KF_EMISMATCH, 1); /* embed not first */
  l[1] = linear(4, 1);
  expect_rejected(l, 2, KF_EMISMATCH, 1); /* width 3 into in_features 4 */
  l[0] = embed(5, 4);
  l[1] = layer(KF_LAYER_RELU);
  l[2] = linear(3, 2);
  expect_rejected(l, 3, KF_EMISMATCH, 2);
  l[2] = linear(4, 2);
  uint64_t elements = 0;
  kf_model_diag diag = diag_at(77);
  ck_assert_int_eq(kf_model_check(l, 3, &elements, &diag), KF_OK);
  ck_assert_uint_eq(elements, 20 + 8 + 2);
  ck_assert_uint_eq(diag.layer, 77);

  l[1] = layer(KF_LAYER_RELU);
  l[1].type = KF_LAYER_TYPE_COUNT;
  expect_rejected(l, 2, KF_EINVAL, 1);
  l[1].type = (kf_layer_type)-1;
  expect_rejected(l, 2, KF_EINVAL, 1);

  expect_rejected(l, 0, KF_EINVAL, 0);
  expect_rejected(NULL, 1, KF_EINVAL, 1);
  kf_layer_spec *many = malloc(1025 * sizeof *many);
  ck_assert_ptr_nonnull(many);
  for (size_t i = 0; i < 1025; i++) many[i] = layer(KF_LAYER_TANH);
  ck_assert_int_eq(kf_model_check(many, 1024, NULL, NULL), KF_OK);
  expect_rejected(many, 1025, KF_EINVAL, 1025);
  free(many);
}
END_TEST

START_TEST(check_dropout_fields) {
  kf_layer_spec l[2] = {linear(2, 3), dropout(0.5)};
  const char *bad_names[] = {"", "a-b", "1x", "../x"};
  for (size_t i = 0; i < COUNT_OF(bad_names); i++) {
    strcpy(l[1].rng_collection, bad_names[i]);
    expect_rejected(l, 2, KF_EINVAL, 1);
  }
  memset(l[1].rng_collection, 'a', sizeof l[1].rng_collection); /* no terminator */
  expect_rejected(l, 2, KF_EINVAL, 1);
  l[1] = dropout(0.5);
  l[1].n_broadcast_dims = KF_MAX_RANK + 1;
  expect_rejected(l, 2, KF_EINVAL, 1);
  l[1].n_broadcast_dims = -1;
  expect_rejected(l, 2, KF_EINVAL, 1);
}
END_TEST

/* ---- all or nothing ------------------------------------------------------ */

START_TEST(forward_shape_mismatch_draws_nothing) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  float x[4] = {1, 2, 3, 4}, y[4] = {SENTINEL, SENTINEL, SENTINEL, SENTINEL};
  const int64_t wide[] = {1, 4};
  kf_model_diag diag = diag_at(99);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, wide, KF_DET_LAYER, y, NULL, &diag), KF_EMISMATCH);
  ck_assert_uint_eq(diag.layer, 0);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 0, NULL, KF_DET_LAYER, y, NULL, &diag), KF_EMISMATCH);
  int32_t ix[2] = {0, 1};
  const int64_t narrow[] = {1, 2};
  ck_assert_int_eq(run(m, r, KF_INT32, ix, 2, narrow, KF_DET_LAYER, y, NULL, &diag), KF_EMISMATCH);
  ck_assert_uint_eq(count_of(r, "default"), 2);
  ck_assert(y[0] == SENTINEL && y[3] == SENTINEL);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(bad_broadcast_dim_at_forward) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  kf_layer_spec layers[] = {linear(2, 3), dropout_bcast(0.5, 1, 2, 0)};
  kf_model *m = build(layers, 2, r);
  float x[2] = {1, 1}, y[3];
  const int64_t dims[] = {1, 2};
  kf_model_diag diag = diag_at(99);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, &diag), KF_EMISMATCH);
  ck_assert_uint_eq(diag.layer, 1);
  kf_model_free(m);
  layers[1].broadcast_dims[0] = -3;
  m = build(layers, 2, r);
  diag = diag_at(99);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, &diag), KF_EMISMATCH);
  ck_assert_uint_eq(diag.layer, 1);
  kf_shape out;
  const kf_shape in = shape_of(2, dims);
  ck_assert_int_eq(kf_model_output_shape(m, &in, KF_FLOAT32, &out, NULL), KF_EMISMATCH);
  /* -2 and 1 are fine on rank 2. */
  ck_assert_uint_eq(count_of(r, "default"), 4);
  kf_model_free(m);
  layers[1].broadcast_dims[0] = -2;
  m = build(layers, 2, r);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, NULL), KF_OK);
  ck_assert_uint_eq(count_of(r, "default"), 7);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(missing_dropout_stream_draws_nothing) {
  kf_rngs *r = rngs_of(PART, "params", 0, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = build(layers, 2, r);
  float x[2] = {1, 1}, y[3] = {SENTINEL, SENTINEL, SENTINEL};
  const int64_t dims[] = {1, 2};
  kf_model_diag diag = diag_at(99);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, &diag), KF_ENOTFOUND);
  ck_assert_uint_eq(diag.layer, 1);
  ck_assert(y[0] == SENTINEL && y[2] == SENTINEL);
  ck_assert_uint_eq(count_of(r, "params"), 2);
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_TRUE, y, NULL, NULL), KF_OK);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(exhausted_dropout_stream_draws_nothing) {
  kf_rngs *r = rngs_of(PART, "params", 0, END_STREAMS);
  ck_assert_int_eq(kf_rngs_add_stream(r, "dropout", seed_key(1), UINT32_MAX - 1), KF_OK);
  kf_layer_spec layers[] = {linear(2, 3), dropout(0.5), dropout(0.5)};
  kf_model *m = build(layers, 3, r);
  float x[2] = {1, 1}, y[3] = {SENTINEL, SENTINEL, SENTINEL};
  const int64_t dims[] = {1, 2};
  kf_model_diag diag = diag_at(99);
  /* The first dropout could draw, the second could not: neither does. */
  ck_assert_int_eq(run(m, r, KF_FLOAT32, x, 2, dims, KF_DET_LAYER, y, NULL, &diag),
                   KF_EEXHAUSTED);
  ck_assert_uint_eq(diag.layer, 2);
  ck_assert_uint_eq(count_of(r, "dropout"), UINT32_MAX - 1);
  ck_assert_uint_eq(count_of(r, "params"), 2);
  ck_assert(y[0] == SENTINEL && y[2] == SENTINEL);
  kf_model_free(m);

  /* Two names falling back to one stream add up too. */
  kf_rngs *d = NULL;
  ck_assert_int_eq(kf_rngs_new(PART, &d), KF_OK);
  ck_assert_int_eq(kf_rngs_add_stream(d, "default", seed_key(1), UINT32_MAX - 1), KF_OK);
  layers[0] = dropout(0.5);
  strcpy(layers[1].rng_collection, "other");
  m = build(layers, 2, d);
  diag = diag_at(99);
  ck_assert_int_eq(run(m, d, KF_FLOAT32, x, 1, dims + 1, KF_DET_LAYER, y, NULL, &diag),
                   KF_EEXHAUSTED);
  ck_assert_uint_eq(diag.layer, 1);
  ck_assert_uint_eq(count_of(d, "default"), UINT32_MAX - 1);
  kf_model_free(m);
  kf_rngs_free(d);
  kf_rngs_free(r);
}
END_TEST

START_TEST(model_new_failure_leaves_rngs_unchanged) {
  const kf_layer_spec layers[] = {linear(2, 3), linear(3, 1), dropout(0.5)};
  kf_rngs *r = NULL;
  ck_assert_int_eq(kf_rngs_new(PART, &r), KF_OK);
  ck_assert_int_eq(kf_rngs_add_stream(r, "params", seed_key(0), UINT32_MAX - 3), KF_OK);
  kf_model *m = NULL;
  kf_model_diag diag = diag_at(99);
  /* Four keys needed, three left: the second linear would run dry. */
  ck_assert_int_eq(kf_model_new(layers, 3, r, &m, &diag), KF_EEXHAUSTED);
  ck_assert_uint_eq(diag.layer, 1);
  ck_assert_ptr_null(m);
  ck_assert_uint_eq(count_of(r, "params"), UINT32_MAX - 3);
  /* With exactly four left it builds and uses them all. */
  kf_rngs_free(r);
  ck_assert_int_eq(kf_rngs_new(PART, &r), KF_OK);
  ck_assert_int_eq(kf_rngs_add_stream(r, "params", seed_key(0), UINT32_MAX - 4), KF_OK);
  ck_assert_int_eq(kf_model_new(layers, 3, r, &m, &diag), KF_OK);
  ck_assert_uint_eq(count_of(r, "params"), UINT32_MAX);
  kf_model_free(m);
  kf_rngs_free(r);

  /* Neither 'params' nor 'default': the first layer that draws fails. */
  const kf_layer_spec later[] = {layer(KF_LAYER_RELU), linear(2, 3)};
  r = rngs_of(PART, "dropout", 1, END_STREAMS);
  m = NULL;
  ck_assert_int_eq(kf_model_new(later, 2, r, &m, &diag), KF_ENOTFOUND);
  ck_assert_uint_eq(diag.layer, 1);
  ck_assert_ptr_null(m);
  ck_assert_uint_eq(count_of(r, "dropout"), 0);
  /* A model without parameters needs no stream at construction. */
  const kf_layer_spec no_params[] = {dropout(0.5), layer(KF_LAYER_SILU)};
  ck_assert_int_eq(kf_model_new(no_params, 2, r, &m, &diag), KF_OK);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

/* ---- accessors and arguments ------------------------------------------- */

START_TEST(layer_spec_defaults_and_names) {
  const kf_layer_spec s = layer(KF_LAYER_DROPOUT);
  ck_assert_int_eq(s.type, KF_LAYER_DROPOUT);
  ck_assert_int_eq(s.use_bias, 1);
  ck_assert_int_eq(s.kernel_init.kind, KF_INIT_LECUN_NORMAL);
  ck_assert_int_eq(s.bias_init.kind, KF_INIT_ZEROS);
  ck_assert_int_eq(s.embedding_init.kind, KF_INIT_VARIANCE_SCALING);
  ck_assert(s.embedding_init.value == 1.0);
  ck_assert_int_eq(s.embedding_init.fan_mode, KF_FAN_IN);
  ck_assert_int_eq(s.embedding_init.distribution, KF_DIST_NORMAL);
  ck_assert_int_eq(s.embedding_init.in_axis, -2);
  ck_assert_int_eq(s.embedding_init.out_axis, 0);
  ck_assert(s.rate == 0.0);
  ck_assert_str_eq(s.rng_collection, "dropout");
  ck_assert_int_eq(s.n_broadcast_dims, 0);
  ck_assert_int_eq(s.deterministic, 0);

  kf_layer_spec out;
  ck_assert_int_eq(kf_layer_spec_make(KF_LAYER_TYPE_COUNT, &out), KF_EINVAL);
  ck_assert_int_eq(kf_layer_spec_make(KF_LAYER_RELU, NULL), KF_EINVAL);
  const char *names[] = {"linear", "embed", "dropout", "relu", "gelu", "tanh", "sigmoid", "silu",
                         "linear_general", "einsum", "conv", "conv_transpose", "layer_norm",
                         "rms_norm", "batch_norm", "group_norm", "multi_head_attention", "softmax",
                         "log_softmax", "elu", "leaky_relu", "softplus", "avg_pool", "max_pool",
                         "flatten", "reshape", "sequential", "residual", "repeat"};
  ck_assert_int_eq(sizeof names / sizeof *names, KF_LAYER_TYPE_COUNT);
  for (int t = 0; t < KF_LAYER_TYPE_COUNT; t++) {
    ck_assert_str_eq(kf_layer_type_name((kf_layer_type)t), names[t]);
    kf_layer_type back;
    ck_assert_int_eq(kf_layer_type_from_name(names[t], &back), KF_OK);
    ck_assert_int_eq(back, t);
  }
  ck_assert_ptr_null(kf_layer_type_name(KF_LAYER_TYPE_COUNT));
  kf_layer_type back;
  ck_assert_int_eq(kf_layer_type_from_name("conv4d", &back), KF_EINVAL);
  ck_assert_int_eq(kf_layer_type_from_name(NULL, &back), KF_EINVAL);
  ck_assert_int_eq(kf_layer_type_from_name("relu", NULL), KF_EINVAL);
}
END_TEST

START_TEST(model_accessors) {
  kf_rngs *r = rngs_of(KF_THREEFRY_LEGACY, "default", 0, END_STREAMS);
  const kf_layer_spec layers[] = {embed(7, 3), linear(3, 2), dropout(0.25)};
  kf_model *m = build(layers, 3, r);
  ck_assert_uint_eq(kf_model_layer_count(m), 3);
  ck_assert_int_eq(kf_model_mode(m), KF_THREEFRY_LEGACY);
  kf_layer_spec s = {.struct_size = sizeof s};
  for (size_t i = 0; i < 3; i++) {
    ck_assert_int_eq(kf_model_layer_spec(m, i, &s), KF_OK);
    ck_assert_int_eq(s.type, layers[i].type);
    ck_assert_int_eq(s.in_features, layers[i].in_features);
    ck_assert_int_eq(s.out_features, layers[i].out_features);
    ck_assert_int_eq(s.num_embeddings, layers[i].num_embeddings);
    ck_assert_int_eq(s.features, layers[i].features);
    ck_assert(s.rate == layers[i].rate);
    ck_assert_str_eq(s.rng_collection, layers[i].rng_collection);
    ck_assert_int_eq(s.kernel_init.kind, layers[i].kernel_init.kind);
  }
  ck_assert_int_eq(kf_model_layer_spec(m, 3, &s), KF_ERANGE);
  ck_assert_int_eq(kf_model_layer_spec(m, 0, NULL), KF_EINVAL);
  ck_assert_uint_eq(kf_model_param_count(m, 0), 1);
  ck_assert_uint_eq(kf_model_param_count(m, 1), 2);
  ck_assert_uint_eq(kf_model_param_count(m, 2), 0);
  ck_assert_uint_eq(kf_model_param_count(m, 3), 0);
  kf_shape ps;
  param(m, 1, 1, "bias", &ps);
  ck_assert(kf_shape_equal(&ps, &(kf_shape){1, {2}}));
  ck_assert_int_eq(kf_model_param(m, 2, 0, NULL, NULL), KF_ERANGE);
  ck_assert_int_eq(kf_model_param(m, 3, 0, NULL, NULL), KF_ERANGE);
  ck_assert_int_eq(kf_model_param(NULL, 0, 0, NULL, NULL), KF_EINVAL);

  const int64_t dims[] = {4, 5};
  kf_shape in = shape_of(2, dims), out;
  kf_model_diag diag = diag_at(99);
  ck_assert_int_eq(kf_model_output_shape(m, &in, KF_INT32, &out, &diag), KF_OK);
  ck_assert(kf_shape_equal(&out, &(kf_shape){3, {4, 5, 2}}));
  ck_assert_int_eq(kf_model_output_shape(m, &in, KF_FLOAT32, &out, &diag), KF_EMISMATCH);
  ck_assert_uint_eq(diag.layer, 0);
  in.rank = KF_MAX_RANK + 1;
  ck_assert_int_eq(kf_model_output_shape(m, &in, KF_INT32, &out, &diag), KF_ESHAPE);
  ck_assert_int_eq(kf_model_output_shape(m, NULL, KF_INT32, &out, &diag), KF_EINVAL);
  ck_assert_int_eq(kf_model_output_shape(NULL, &in, KF_INT32, &out, &diag), KF_EINVAL);

  ck_assert_uint_eq(kf_model_layer_count(NULL), 0);
  ck_assert_int_eq(kf_model_mode(NULL), KF_THREEFRY_PARTITIONABLE);
  kf_model_free(NULL);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

START_TEST(null_arguments) {
  kf_rngs *r = rngs_of(PART, "default", 0, END_STREAMS);
  const kf_layer_spec layers[] = {linear(2, 3), dropout(0.5)};
  kf_model *m = NULL;
  kf_model_diag diag = diag_at(99);
  ck_assert_int_eq(kf_model_new(layers, 2, NULL, &m, &diag), KF_EINVAL);
  ck_assert_int_eq(kf_model_new(layers, 2, r, NULL, &diag), KF_EINVAL);
  ck_assert_uint_eq(count_of(r, "default"), 0);
  m = build(layers, 2, r);

  float x[2] = {1, 1}, y[3];
  const int64_t dims[] = {1, 2};
  kf_tensor tx = {KF_FLOAT32, shape_of(2, dims), x};
  kf_tensor ty = {KF_FLOAT32, {0, {0}}, y};
  ck_assert_int_eq(kf_model_forward(NULL, r, &tx, KF_DET_LAYER, &ty, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_model_forward(m, r, NULL, KF_DET_LAYER, &ty, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_model_forward(m, r, &tx, KF_DET_LAYER, NULL, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_model_forward(m, r, &tx, (kf_deterministic)5, &ty, NULL), KF_EINVAL);
  tx.data = NULL;
  ck_assert_int_eq(kf_model_forward(m, r, &tx, KF_DET_LAYER, &ty, NULL), KF_EINVAL);
  tx.data = x;
  ty.data = NULL;
  ck_assert_int_eq(kf_model_forward(m, r, &tx, KF_DET_LAYER, &ty, NULL), KF_EINVAL);
  ck_assert_uint_eq(count_of(r, "default"), 2);
  kf_model_free(m);
  kf_rngs_free(r);
}
END_TEST

static Suite *nn_suite(void) {
  Suite *s = suite_create("nn");
  TCase *example = tcase_create("design_example");
  tcase_add_test(example, example_rngs0_uses_default_for_everything);
  tcase_add_test(example, example_params_stream_dropout_falls_back);
  tcase_add_test(example, example_params_and_dropout_streams);
  tcase_add_test(example, example_legacy_mode);
  tcase_add_test(example, reseed_docstring_reproduces_first_output);
  suite_add_tcase(s, example);

  TCase *params = tcase_create("params");
  tcase_add_test(params, second_linear_kernel_uses_count_2);
  tcase_add_test(params, linear_without_bias_draws_once);
  tcase_add_test(params, linear_4x2_kernel_from_rngs42);
  tcase_add_test(params, embed_default_init_and_lookup);
  tcase_add_test(params, embed_index_out_of_range);
  suite_add_tcase(s, params);

  TCase *forward = tcase_create("forward");
  tcase_add_test(forward, leading_batch_axes);
  tcase_add_test(forward, deterministic_override_draws_nothing);
  tcase_add_test(forward, rate_0_and_rate_1_draw_nothing);
  tcase_add_test(forward, dropout_rate_0_3);
  tcase_add_test(forward, two_dropouts_draw_in_layer_order);
  tcase_add_test(forward, broadcast_dims_repeat_the_mask);
  tcase_add_test(forward, empty_batch_still_draws);
  tcase_add_test(forward, activations);
  tcase_add_test(forward, deep_model_runs_through_scratch);
  suite_add_tcase(s, forward);

  TCase *era = tcase_create("flax_0_11");
  tcase_add_test(era, era11_dropout_forks_at_construction);
  tcase_add_test(era, era11_dropout_rate_0_3_multiplies_by_the_reciprocal);
  tcase_add_test(era, era11_forks_interleave_with_params);
  tcase_add_test(era, era11_missing_stream_fails_at_construction);
  tcase_add_test(era, era11_held_stream_exhaustion_and_set);
  tcase_add_test(era, era11_reseed_docstring_and_order);
  tcase_add_test(era, era_reseed_of_rngs_and_messages);
  suite_add_tcase(s, era);

  TCase *check = tcase_create("validation");
  tcase_add_test(check, check_sizes);
  tcase_add_test(check, check_rates);
  tcase_add_test(check, check_initializers);
  tcase_add_test(check, check_structure);
  tcase_add_test(check, check_dropout_fields);
  suite_add_tcase(s, check);

  TCase *atomic = tcase_create("all_or_nothing");
  tcase_add_test(atomic, forward_shape_mismatch_draws_nothing);
  tcase_add_test(atomic, bad_broadcast_dim_at_forward);
  tcase_add_test(atomic, missing_dropout_stream_draws_nothing);
  tcase_add_test(atomic, exhausted_dropout_stream_draws_nothing);
  tcase_add_test(atomic, model_new_failure_leaves_rngs_unchanged);
  suite_add_tcase(s, atomic);

  TCase *api = tcase_create("api");
  tcase_add_test(api, layer_spec_defaults_and_names);
  tcase_add_test(api, model_accessors);
  tcase_add_test(api, null_arguments);
  tcase_add_test(api, check_diag_names_the_fault);
  tcase_add_test(api, forward_diag_names_the_fault);
  tcase_add_test(api, model_new_diag_names_the_stream);
  tcase_add_test(api, input_dtype_and_layer_input_shapes);
  tcase_add_test(api, layer_spec_versions);
  suite_add_tcase(s, api);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(nn_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
