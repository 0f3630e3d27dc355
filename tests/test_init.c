/* jax.nn.initializers: each initializer is its sampler times the float32
 * scale flax-nnx.md §3.1 derives from the fans; names, defaults and errors. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

#define P KF_THREEFRY_PARTITIONABLE

static kf_shape shape2(int64_t a, int64_t b) {
  int64_t d[2] = {a, b};
  kf_shape s;
  ck_assert_int_eq(kf_shape_make(&s, 2, d), KF_OK);
  return s;
}

static void assert_bits_eq(const float *a, const float *b, size_t n, const char *what) {
  for (size_t i = 0; i < n; i++) ck_assert_msg(memcmp(&a[i], &b[i], 4) == 0, "%s: element %zu: %.9g != %.9g", what, i, a[i], b[i]);
}

static void apply(kf_init_kind kind, kf_key key, const kf_shape *s, float *out) {
  kf_init in;
  ck_assert_int_eq(kf_init_make(kind, &in), KF_OK);
  ck_assert_int_eq(kf_init_apply(&in, key, P, s, out), KF_OK);
}

START_TEST(lecun_normal_is_scaled_truncated_normal) {
  const kf_key key = kf_fold_in(kf_key_from_seed(42, 0), 0);
  kf_shape s = shape2(4, 2);
  float got[8], tn[8];
  apply(KF_INIT_LECUN_NORMAL, key, &s, got);
  ck_assert_int_eq(kf_random_truncated_normal(key, P, 8, -2.0f, 2.0f, tn), KF_OK);
  const float stddev = sqrtf((float)(1.0 / 4.0)) / (float)0.87962566103423978;
  for (int i = 0; i < 8; i++) tn[i] = tn[i] * stddev;
  assert_bits_eq(got, tn, 8, "lecun_normal");
  /* docs_nnx/key_concepts: nnx.Linear(4, 2, rngs=nnx.Rngs(42)).kernel */
  const float expect[8] = {0.04119061f, -0.2629074f, 0.6772455f, 0.2807398f,
                           0.16276604f, 0.16813846f, 0.310975f, -0.43336964f};
  assert_bits_eq(got, expect, 8, "key_concepts kernel");
}
END_TEST

START_TEST(fan_modes_and_distributions) {
  const kf_key key = kf_key_from_seed(7, 0);
  kf_shape s = shape2(6, 10);
  float got[60], ref[60];
  /* glorot_uniform: fan_avg = 8, bound sqrt(3 / 8) */
  apply(KF_INIT_GLOROT_UNIFORM, key, &s, got);
  ck_assert_int_eq(kf_random_uniform(key, P, 60, -1.0f, 1.0f, ref), KF_OK);
  const float gu = sqrtf(3.0f * (float)(1.0 / 8.0));
  for (int i = 0; i < 60; i++) ref[i] = ref[i] * gu;
  assert_bits_eq(got, ref, 60, "glorot_uniform");
  /* he_normal: scale 2, fan_in 6, truncated normal */
  apply(KF_INIT_HE_NORMAL, key, &s, got);
  ck_assert_int_eq(kf_random_truncated_normal(key, P, 60, -2.0f, 2.0f, ref), KF_OK);
  const float hs = sqrtf((float)(2.0 / 6.0)) / (float)0.87962566103423978;
  for (int i = 0; i < 60; i++) ref[i] = ref[i] * hs;
  assert_bits_eq(got, ref, 60, "he_normal");
  /* variance_scaling(0.5, fan_out, normal) */
  kf_init vs;
  ck_assert_int_eq(kf_init_make(KF_INIT_VARIANCE_SCALING, &vs), KF_OK);
  vs.value = 0.5;
  vs.fan_mode = KF_FAN_OUT;
  vs.distribution = KF_DIST_NORMAL;
  ck_assert_int_eq(kf_init_apply(&vs, key, P, &s, got), KF_OK);
  ck_assert_int_eq(kf_random_normal(key, P, 60, ref), KF_OK);
  const float ns = sqrtf((float)(0.5 / 10.0));
  for (int i = 0; i < 60; i++) ref[i] = ref[i] * ns;
  assert_bits_eq(got, ref, 60, "variance_scaling fan_out normal");
}
END_TEST

START_TEST(conv_and_embed_fans) {
  const kf_key key = kf_key_from_seed(3, 0);
  /* a conv kernel (3, 3, 4, 8): fan_in = 3*3*4 = 36 */
  int64_t d[4] = {3, 3, 4, 8};
  kf_shape s;
  ck_assert_int_eq(kf_shape_make(&s, 4, d), KF_OK);
  static float got[288], ref[288];
  apply(KF_INIT_LECUN_UNIFORM, key, &s, got);
  ck_assert_int_eq(kf_random_uniform(key, P, 288, -1.0f, 1.0f, ref), KF_OK);
  const float b = sqrtf(3.0f * (float)(1.0 / 36.0));
  for (int i = 0; i < 288; i++) ref[i] = ref[i] * b;
  assert_bits_eq(got, ref, 288, "lecun_uniform conv");
  /* nnx.Embed's init: variance_scaling(1, fan_in, normal, out_axis=0) on (V, F) has fan_in = F */
  kf_init emb;
  ck_assert_int_eq(kf_init_make(KF_INIT_VARIANCE_SCALING, &emb), KF_OK);
  emb.distribution = KF_DIST_NORMAL;
  emb.out_axis = 0;
  kf_shape e = shape2(10, 4);
  ck_assert_int_eq(kf_init_apply(&emb, key, P, &e, got), KF_OK);
  ck_assert_int_eq(kf_random_normal(key, P, 40, ref), KF_OK);
  const float es = sqrtf((float)(1.0 / 4.0));
  for (int i = 0; i < 40; i++) ref[i] = ref[i] * es;
  assert_bits_eq(got, ref, 40, "embed init");
}
END_TEST

START_TEST(simple_initializers) {
  const kf_key key = kf_key_from_seed(1, 0);
  kf_shape s = shape2(3, 5);
  float got[15], ref[15];
  kf_init in;
  ck_assert_int_eq(kf_init_make(KF_INIT_NORMAL, &in), KF_OK);
  ck_assert(in.value == 1e-2);
  in.value = 0.3;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, got), KF_OK);
  ck_assert_int_eq(kf_random_normal(key, P, 15, ref), KF_OK);
  for (int i = 0; i < 15; i++) ref[i] = ref[i] * 0.3f;
  assert_bits_eq(got, ref, 15, "normal(0.3)");
  ck_assert_int_eq(kf_init_make(KF_INIT_UNIFORM, &in), KF_OK);
  in.value = 2.0;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, got), KF_OK);
  for (int i = 0; i < 15; i++) ck_assert(got[i] >= 0.0f && got[i] < 2.0f); /* U[0, scale), not symmetric */
  ck_assert_int_eq(kf_init_make(KF_INIT_TRUNCATED_NORMAL, &in), KF_OK);
  in.value = 1.0;
  in.lower = -0.5;
  in.upper = 0.25;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, got), KF_OK);
  ck_assert_int_eq(kf_random_truncated_normal(key, P, 15, -0.5f, 0.25f, ref), KF_OK);
  assert_bits_eq(got, ref, 15, "truncated_normal(1, -0.5, 0.25)");
  /* the key is ignored by constant initializers */
  apply(KF_INIT_ZEROS, key, &s, got);
  for (int i = 0; i < 15; i++) ck_assert(got[i] == 0.0f && !signbit(got[i]));
  apply(KF_INIT_ONES, key, &s, got);
  for (int i = 0; i < 15; i++) ck_assert(got[i] == 1.0f);
  ck_assert_int_eq(kf_init_make(KF_INIT_CONSTANT, &in), KF_OK);
  in.value = -2.5;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, got), KF_OK);
  for (int i = 0; i < 15; i++) ck_assert(got[i] == -2.5f);
  /* zeros and ones accept any rank, including a bias of shape (n,) */
  int64_t d1 = 4;
  kf_shape v;
  ck_assert_int_eq(kf_shape_make(&v, 1, &d1), KF_OK);
  apply(KF_INIT_ZEROS, key, &v, got);
}
END_TEST

START_TEST(names_and_aliases) {
  kf_init_kind k;
  const char *canon[] = {"zeros", "ones", "constant", "normal", "uniform", "truncated_normal",
                         "variance_scaling", "lecun_normal", "lecun_uniform", "glorot_normal",
                         "glorot_uniform", "he_normal", "he_uniform"};
  for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
    ck_assert_int_eq(kf_init_kind_from_name(canon[i], &k), KF_OK);
    ck_assert_str_eq(kf_init_kind_name(k), canon[i]);
  }
  ck_assert_int_eq(kf_init_kind_from_name("xavier_normal", &k), KF_OK);
  ck_assert_int_eq(k, KF_INIT_GLOROT_NORMAL);
  ck_assert_int_eq(kf_init_kind_from_name("kaiming_uniform", &k), KF_OK);
  ck_assert_int_eq(k, KF_INIT_HE_UNIFORM);
  ck_assert_int_eq(kf_init_kind_from_name("orthogonal", &k), KF_EINVAL);
  ck_assert_int_eq(kf_init_kind_from_name(NULL, &k), KF_EINVAL);
  kf_fan_mode f;
  kf_distribution d;
  ck_assert_int_eq(kf_fan_mode_from_name("fan_avg", &f), KF_OK);
  ck_assert_str_eq(kf_fan_mode_name(f), "fan_avg");
  ck_assert_int_eq(kf_fan_mode_from_name("fan", &f), KF_EINVAL);
  ck_assert_int_eq(kf_distribution_from_name("uniform", &d), KF_OK);
  ck_assert_str_eq(kf_distribution_name(d), "uniform");
  ck_assert_int_eq(kf_distribution_from_name("cauchy", &d), KF_EINVAL);
  ck_assert_ptr_null(kf_init_kind_name(KF_INIT_KIND_COUNT));
}
END_TEST

/* kf_init_name_at lists every accepted name once: the canonical names in
 * kind order, then the four aliases, each resolving to the kind it reports. */
START_TEST(names_enumerated) {
  size_t i = 0;
  const char *name;
  kf_init_kind kind, found;
  for (; (name = kf_init_name_at(i, &kind)) != NULL; i++) {
    ck_assert_int_eq(kf_init_kind_from_name(name, &found), KF_OK);
    ck_assert_int_eq(found, kind);
    if (i < KF_INIT_KIND_COUNT) {
      ck_assert_int_eq(kind, (kf_init_kind)i);
      ck_assert_str_eq(name, kf_init_kind_name(kind));
    } else {
      ck_assert_str_ne(name, kf_init_kind_name(kind));
    }
    for (size_t j = 0; j < i; j++) ck_assert_str_ne(kf_init_name_at(j, NULL), name);
  }
  ck_assert_uint_eq(i, KF_INIT_KIND_COUNT + 4);
  ck_assert_str_eq(kf_init_name_at(KF_INIT_KIND_COUNT, NULL), "xavier_normal");
}
END_TEST

START_TEST(init_error_paths) {
  const kf_key key = kf_key_from_seed(1, 0);
  float out[16];
  kf_init in;
  ck_assert_int_eq(kf_init_make(KF_INIT_KIND_COUNT, &in), KF_EINVAL);
  ck_assert_int_eq(kf_init_make(KF_INIT_LECUN_NORMAL, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_init_make(KF_INIT_LECUN_NORMAL, &in), KF_OK);
  /* variance scaling needs rank >= 2 (JAX raises ValueError) */
  int64_t d1 = 4;
  kf_shape v;
  ck_assert_int_eq(kf_shape_make(&v, 1, &d1), KF_OK);
  ck_assert_int_eq(kf_init_apply(&in, key, P, &v, out), KF_ESHAPE);
  /* a zero fan */
  kf_shape z = shape2(0, 4);
  ck_assert_int_eq(kf_init_apply(&in, key, P, &z, out), KF_ERANGE);
  /* an axis outside the rank */
  kf_shape s = shape2(2, 2);
  in.in_axis = 2;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, out), KF_ESHAPE);
  in.in_axis = -3;
  ck_assert_int_eq(kf_init_check(&in, &s), KF_ESHAPE);
  in.in_axis = -2;
  in.value = -1.0; /* scale must be positive */
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, out), KF_ERANGE);
  in.value = NAN;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, out), KF_EINVAL);
  in.value = 1.0;
  in.fan_mode = (kf_fan_mode)9;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, out), KF_EINVAL);
  in.fan_mode = KF_FAN_IN;
  in.distribution = (kf_distribution)9;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, out), KF_EINVAL);
  in.distribution = KF_DIST_NORMAL;
  in.kind = (kf_init_kind)99;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, out), KF_EINVAL);
  ck_assert_int_eq(kf_init_make(KF_INIT_TRUNCATED_NORMAL, &in), KF_OK);
  in.lower = NAN;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, out), KF_EINVAL);
  ck_assert_int_eq(kf_init_make(KF_INIT_ZEROS, &in), KF_OK);
  ck_assert_int_eq(kf_init_apply(&in, key, P, &s, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_init_apply(&in, key, (kf_threefry_mode)5, &s, out), KF_EINVAL);
  ck_assert_int_eq(kf_init_apply(NULL, key, P, &s, out), KF_EINVAL);
  ck_assert_int_eq(kf_init_apply(&in, key, P, NULL, out), KF_EINVAL);
  kf_shape bad = s;
  bad.dim[0] = -1;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &bad, out), KF_ESHAPE);
  bad.dim[0] = (int64_t)1 << 31;
  bad.dim[1] = (int64_t)1 << 31;
  ck_assert_int_eq(kf_init_apply(&in, key, P, &bad, out), KF_EOVERFLOW);
}
END_TEST

static Suite *init_suite(void) {
  Suite *s = suite_create("init");
  TCase *tc = tcase_create("initializers");
  tcase_add_test(tc, lecun_normal_is_scaled_truncated_normal);
  tcase_add_test(tc, fan_modes_and_distributions);
  tcase_add_test(tc, conv_and_embed_fans);
  tcase_add_test(tc, simple_initializers);
  tcase_add_test(tc, names_and_aliases);
  tcase_add_test(tc, names_enumerated);
  tcase_add_test(tc, init_error_paths);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(init_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
