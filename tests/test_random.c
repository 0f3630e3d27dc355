/* Samplers: ranges, identities between samplers, special functions and every
 * error path. Bit-exact values against JAX live in test_vectors.c. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/src/testing.h"
#include "keyfold/keyfold.h"

#define P KF_THREEFRY_PARTITIONABLE
#define L KF_THREEFRY_LEGACY

static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float bitsf(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

START_TEST(uniform_is_fused_affine_of_the_mantissa_trick) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  enum { N = 4096 };
  static float u[N];
  static uint32_t bits[N];
  const kf_key key = kf_key_from_seed(5, 0);
  ck_assert_int_eq(kf_random_uniform(key, mode, N, -5.0f, 5.0f, u), KF_OK);
  ck_assert_int_eq(kf_random_bits(key, mode, 32, N, bits), KF_OK);
  int unfused_differs = 0;
  for (int i = 0; i < N; i++) {
    const float f = (float)(bits[i] >> 9) * 0x1p-23f;
    const float fused = fmaf(f, 10.0f, -5.0f);
    const float unfused = f * 10.0f + -5.0f; /* -ffp-contract=off: two roundings */
    ck_assert_uint_eq(fbits(u[i]), fbits(fused < -5.0f ? -5.0f : fused));
    ck_assert(u[i] >= -5.0f && u[i] < 5.0f);
    unfused_differs += fbits(fused) != fbits(unfused);
  }
  /* the span 10 is not a power of two: the spec measures ~30% differing */
  ck_assert_int_gt(unfused_differs, N / 10);
}
END_TEST

START_TEST(uniform_default_bounds_are_exact_and_span_zero_is_minval) {
  float u[64], c[64];
  const kf_key key = kf_key_from_seed(9, 0);
  ck_assert_int_eq(kf_random_uniform(key, P, 64, 0.0f, 1.0f, u), KF_OK);
  for (int i = 0; i < 64; i++) ck_assert(u[i] >= 0.0f && u[i] < 1.0f);
  ck_assert_int_eq(kf_random_uniform(key, P, 64, 3.5f, 3.5f, c), KF_OK);
  for (int i = 0; i < 64; i++) ck_assert(c[i] == 3.5f);
}
END_TEST

START_TEST(erf_inv_special_values) {
  ck_assert(kf__erf_inv_f32(0.0f) == 0.0f);
  ck_assert(isinf(kf__erf_inv_f32(1.0f)) && kf__erf_inv_f32(1.0f) > 0);
  ck_assert(isinf(kf__erf_inv_f32(-1.0f)) && kf__erf_inv_f32(-1.0f) < 0);
  for (float x = -0.999f; x < 1.0f; x += 0.0137f)
    ck_assert_uint_eq(fbits(kf__erf_inv_f32(-x)), fbits(-kf__erf_inv_f32(x)));
  /* erf(erf_inv(x)) ~ x away from the tails */
  for (float x = -0.9f; x < 0.9f; x += 0.05f) ck_assert(fabsf(kf__erf_f32(kf__erf_inv_f32(x)) - x) < 1e-6f);
  /* both branches of erf_inv (w < 5 and w >= 5) are close to libm's erf inverse */
  ck_assert(fabs(erf((double)kf__erf_inv_f32(0.999999f)) - 0.999999) < 1e-6);
}
END_TEST

START_TEST(erf_matches_spec_points) {
  ck_assert(kf__erf_f32(0.0f) == 0.0f);
  /* erf(+-2/sqrt2) = +-0.9544997 (f32) with every erf form (§10) */
  ck_assert_uint_eq(fbits(kf__erf_f32(2.0f * 0x1.6a09e6p-1f)), fbits(0.9544997f));
  ck_assert_uint_eq(fbits(kf__erf_f32(-2.0f * 0x1.6a09e6p-1f)), fbits(-0.9544997f));
  ck_assert(kf__erf_f32(3.9f) == 1.0f && kf__erf_f32(-3.9f) == -1.0f);
  /* jaxlib 0.10.2's jax.lax.erf of a float32 scalar at its clamp: 0x406f9c67
   * gives 0x3f7ffffd, 0x406f9c68 (3.7439213) gives 1 (the legacy kernel's
   * 3.8325 would give the rational's 0x3f7ffffd there too). */
  ck_assert_uint_eq(fbits(kf__erf_f32(bitsf(0x406f9c67u))), 0x3f7ffffdu);
  ck_assert_uint_eq(fbits(kf__erf_f32(bitsf(0x406f9c68u))), 0x3f800000u);
  ck_assert_uint_eq(fbits(kf__erf_f32(bitsf(0xc06f9c68u))), 0xbf800000u);
  /* 5.3 / sqrt2: jaxlib 0.10.2's truncated_normal takes erf = 1 there. */
  ck_assert_uint_eq(fbits(kf__erf_f32(5.3f * 0x1.6a09e6p-1f)), 0x3f800000u);
  ck_assert(kf__erf_f32(INFINITY) == 1.0f);
  for (float x = -3.5f; x < 3.5f; x += 0.01f) ck_assert(fabs(kf__erf_f32(x) - erf((double)x)) < 5e-7); /* a few ulps of 1 */
}
END_TEST

START_TEST(normal_moments) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  enum { N = 200000 };
  float *v = malloc(N * sizeof *v);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_eq(kf_random_normal(kf_key_from_seed(3, 0), mode, N, v), KF_OK);
  double s = 0, s2 = 0;
  for (int i = 0; i < N; i++) {
    ck_assert(isfinite(v[i]));
    s += v[i];
    s2 += (double)v[i] * v[i];
  }
  const double mean = s / N, var = s2 / N - mean * mean;
  ck_assert_msg(fabs(mean) < 0.01 && fabs(var - 1.0) < 0.02, "mean %g var %g", mean, var);
  free(v);
}
END_TEST

START_TEST(truncated_normal_stays_inside_open_bounds) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  enum { N = 50000 };
  static float v[N];
  ck_assert_int_eq(kf_random_truncated_normal(kf_key_from_seed(4, 0), mode, N, -2.0f, 2.0f, v), KF_OK);
  for (int i = 0; i < N; i++) ck_assert(v[i] > -2.0f && v[i] < 2.0f);
  ck_assert_int_eq(kf_random_truncated_normal(kf_key_from_seed(4, 0), mode, N, 0.0f, 1.0f, v), KF_OK);
  for (int i = 0; i < N; i++) ck_assert(v[i] >= 0.0f && v[i] < 1.0f);
  /* infinite bounds are allowed and give finite-or-infinite but never NaN values */
  ck_assert_int_eq(kf_random_truncated_normal(kf_key_from_seed(4, 0), mode, 1000, -INFINITY, INFINITY, v),
                   KF_OK);
  for (int i = 0; i < 1000; i++) ck_assert(!isnan(v[i]));
}
END_TEST

START_TEST(bernoulli_is_uniform_below_p) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  enum { N = 10000 };
  static float u[N];
  static uint8_t b[N];
  const kf_key key = kf_key_from_seed(8, 0);
  ck_assert_int_eq(kf_random_uniform(key, mode, N, 0.0f, 1.0f, u), KF_OK);
  ck_assert_int_eq(kf_random_bernoulli(key, mode, N, 0.3f, b), KF_OK);
  int ones = 0;
  for (int i = 0; i < N; i++) {
    ck_assert_uint_eq(b[i], u[i] < 0.3f);
    ones += b[i];
  }
  ck_assert(ones > 2800 && ones < 3200);
  ck_assert_int_eq(kf_random_bernoulli(key, mode, N, 0.0f, b), KF_OK);
  for (int i = 0; i < N; i++) ck_assert_uint_eq(b[i], 0);
  ck_assert_int_eq(kf_random_bernoulli(key, mode, N, 1.0f, b), KF_OK);
  for (int i = 0; i < N; i++) ck_assert_uint_eq(b[i], 1);
  ck_assert_int_eq(kf_random_bernoulli(key, mode, N, 7.0f, b), KF_OK); /* p > 1: always true */
  for (int i = 0; i < N; i++) ck_assert_uint_eq(b[i], 1);
}
END_TEST

START_TEST(randint_ranges) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  enum { N = 5000 };
  static int32_t r[N];
  const kf_key key = kf_key_from_seed(11, 0);
  int seen[8] = {0};
  ck_assert_int_eq(kf_random_randint(key, mode, N, -5, 3, r), KF_OK);
  for (int i = 0; i < N; i++) {
    ck_assert(r[i] >= -5 && r[i] < 3);
    seen[r[i] + 5] = 1;
  }
  for (int i = 0; i < 8; i++) ck_assert(seen[i]);
  ck_assert_int_eq(kf_random_randint(key, mode, N, 7, -7, r), KF_OK);
  for (int i = 0; i < N; i++) ck_assert_int_eq(r[i], 7);
  ck_assert_int_eq(kf_random_randint(key, mode, N, -1000000, 1000000, r), KF_OK);
  for (int i = 0; i < N; i++) ck_assert(r[i] >= -1000000 && r[i] < 1000000);
  /* the full range: span wraps to 0 and the result is minval + lo bits */
  uint32_t lo[N];
  kf_key k[2];
  ck_assert_int_eq(kf_split(key, mode, 2, k), KF_OK);
  ck_assert_int_eq(kf_random_bits(k[1], mode, 32, N, lo), KF_OK);
  ck_assert_int_eq(kf_random_randint(key, mode, N, INT32_MIN, (int64_t)INT32_MAX + 1, r), KF_OK);
  for (int i = 0; i < N; i++) ck_assert_uint_eq((uint32_t)r[i], (uint32_t)INT32_MIN + lo[i]);
  /* maxval = 2^31 includes INT32_MAX itself */
  int top = 0;
  ck_assert_int_eq(kf_random_randint(key, mode, N, INT32_MAX - 3, (int64_t)INT32_MAX + 1, r), KF_OK);
  for (int i = 0; i < N; i++) {
    ck_assert(r[i] >= INT32_MAX - 3);
    top += r[i] == INT32_MAX;
  }
  ck_assert_int_gt(top, 0);
}
END_TEST

START_TEST(randint64_ranges) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  int64_t r[1000];
  ck_assert_int_eq(kf_random_randint64(kf_key_from_seed(1, 0), mode, 1000, -((int64_t)1 << 40),
                                       (int64_t)1 << 40, r), KF_OK);
  int big = 0;
  for (int i = 0; i < 1000; i++) {
    ck_assert(r[i] >= -((int64_t)1 << 40) && r[i] < ((int64_t)1 << 40));
    big += r[i] > INT32_MAX || r[i] < INT32_MIN;
  }
  ck_assert_int_gt(big, 900);
}
END_TEST

START_TEST(uniform_f64_range) {
  double d[1000];
  ck_assert_int_eq(kf_random_uniform_f64(kf_key_from_seed(0, 0), P, 1000, -2.0, 3.0, d), KF_OK);
  for (int i = 0; i < 1000; i++) ck_assert(d[i] >= -2.0 && d[i] < 3.0);
}
END_TEST

static int is_permutation(const int32_t *p, size_t n) {
  char *seen = calloc(n ? n : 1, 1);
  int ok = 1;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < 0 || (size_t)p[i] >= n || seen[p[i]]) ok = 0;
    else seen[p[i]] = 1;
  }
  free(seen);
  return ok;
}

START_TEST(permutation_is_a_stable_sort_by_random_keys) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  enum { N = 1000 };
  int32_t p[N];
  const kf_key key = kf_key_from_seed(2, 0);
  ck_assert_int_eq(kf_random_permutation(key, mode, N, p), KF_OK);
  ck_assert(is_permutation(p, N));
  /* one round for n = 1000: sorting iota by bits(split(key)[1]) */
  kf_key k[2];
  uint32_t bits[N];
  ck_assert_int_eq(kf_split(key, mode, 2, k), KF_OK);
  ck_assert_int_eq(kf_random_bits(k[1], mode, 32, N, bits), KF_OK);
  for (int i = 1; i < N; i++) {
    ck_assert(bits[p[i - 1]] <= bits[p[i]]);
    if (bits[p[i - 1]] == bits[p[i]]) ck_assert(p[i - 1] < p[i]);
  }
  int32_t one = 77;
  ck_assert_int_eq(kf_random_permutation(key, mode, 1, &one), KF_OK);
  ck_assert_int_eq(one, 0);
  ck_assert_int_eq(kf_random_permutation(key, mode, 0, NULL), KF_OK);
  /* above ~1600 elements a second round runs */
  enum { M = 5000 };
  static int32_t q[M];
  ck_assert_int_eq(kf_random_permutation(key, mode, M, q), KF_OK);
  ck_assert(is_permutation(q, M));
}
END_TEST

START_TEST(sampler_error_paths) {
  const kf_key key = kf_key_from_seed(1, 0);
  float f[4];
  uint8_t b[4];
  int32_t i32[4];
  int64_t i64[4];
  double d[4];
  const kf_threefry_mode bad = (kf_threefry_mode)9;
  const size_t huge = (size_t)KF_MAX_ELEMENTS + 1;
  ck_assert_int_eq(kf_random_uniform(key, bad, 4, 0, 1, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_uniform(key, P, 4, 0, 1, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_uniform(key, P, huge, 0, 1, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_uniform(key, P, 4, NAN, 1, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_uniform(key, P, 4, 0, INFINITY, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_uniform_f64(key, P, 4, 0, NAN, d), KF_EINVAL);
  ck_assert_int_eq(kf_random_uniform_f64(key, P, huge, 0, 1, d), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_normal(key, bad, 4, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_normal(key, L, 0xFFFFFFFFu, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_normal(key, P, 4, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_truncated_normal(key, P, 4, NAN, 1, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_truncated_normal(key, P, huge, -1, 1, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_bernoulli(key, P, 4, NAN, b), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli(key, P, 4, 0.5f, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_randint(key, bad, 4, 0, 3, i32), KF_EINVAL);
  ck_assert_int_eq(kf_random_randint(key, P, huge, 0, 3, i32), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_randint64(key, P, 4, 0, 3, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_randint64(key, L, 0x80000000u, 0, 3, i64), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_permutation(key, P, (size_t)INT32_MAX + 1, i32), KF_ERANGE);
  ck_assert_int_eq(kf_random_permutation(key, P, 4, NULL), KF_EINVAL);
  /* a zero-element draw is valid and touches nothing */
  ck_assert_int_eq(kf_random_normal(key, P, 0, NULL), KF_OK);
}
END_TEST

static Suite *random_suite(void) {
  Suite *s = suite_create("random");
  TCase *tc = tcase_create("samplers");
  tcase_set_timeout(tc, 60);
  /* loop index = threefry mode: every property holds in both modes */
  tcase_add_loop_test(tc, uniform_is_fused_affine_of_the_mantissa_trick, P, L + 1);
  tcase_add_test(tc, uniform_default_bounds_are_exact_and_span_zero_is_minval);
  tcase_add_loop_test(tc, normal_moments, P, L + 1);
  tcase_add_loop_test(tc, truncated_normal_stays_inside_open_bounds, P, L + 1);
  tcase_add_loop_test(tc, bernoulli_is_uniform_below_p, P, L + 1);
  tcase_add_loop_test(tc, randint_ranges, P, L + 1);
  tcase_add_loop_test(tc, randint64_ranges, P, L + 1);
  tcase_add_test(tc, uniform_f64_range);
  tcase_add_loop_test(tc, permutation_is_a_stable_sort_by_random_keys, P, L + 1);
  tcase_add_test(tc, sampler_error_paths);
  suite_add_tcase(s, tc);
  tc = tcase_create("special");
  tcase_add_test(tc, erf_inv_special_values);
  tcase_add_test(tc, erf_matches_spec_points);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(random_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
