/* Samplers with per-element parameters (random.h, "Per-element
 * parameters"): element j of a draw with parameter arrays is bit for bit
 * element j of the scalar sampler's draw of the same n with the parameters
 * of element j, in both threefry modes, across blocks (n > KF_BLOCK), with
 * one array and one single value mixed; bernoulli's mode='high' against its
 * formula over uniform; and every error path. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

#define P KF_THREEFRY_PARTITIONABLE
#define L KF_THREEFRY_LEGACY

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t next_u32(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

static float next_unit(void) { return (float)(next_u32() >> 8) * 0x1p-24f; }

static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* Sizes: empty, one, within a block, across blocks (KF_BLOCK is 256). */
static const size_t sizes[] = {0, 1, 3, 255, 257, 700};
#define NSIZES (sizeof sizes / sizeof sizes[0])
#define NMAX 700

/* Float bounds that exercise the arithmetic: ordinary, equal, inverted,
 * huge spans (overflow to infinity), denormals and signed zeros. */
static void float_bounds(float *lo, float *hi, size_t n, int allow_inf) {
  static const float specials[][2] = {
    {0.0f, 1.0f},   {-0.0f, 0.0f},  {1.0f, 1.0f},     {2.0f, -3.0f},  {-3e38f, 3e38f},
    {1e-45f, 2e-45f}, {-1e-40f, 0.0f}, {5.0f, 5.000001f}, {-1.0f, 1e-30f},
  };
  const size_t ns = sizeof specials / sizeof specials[0];
  for (size_t j = 0; j < n; j++) {
    if (j % 5 == 0) {
      lo[j] = specials[(j / 5) % ns][0];
      hi[j] = specials[(j / 5) % ns][1];
    } else {
      lo[j] = (next_unit() - 0.5f) * 8.0f;
      hi[j] = lo[j] + next_unit() * 4.0f;
    }
    if (allow_inf && j % 11 == 3) lo[j] = -INFINITY;
    if (allow_inf && j % 13 == 4) hi[j] = INFINITY;
  }
}

/* uniform and truncated_normal share their signatures: (lo, hi) bounds. */
typedef int (*bounds_scalar)(kf_key, kf_threefry_mode, size_t, float, float, float *);
typedef int (*bounds_each)(kf_key, kf_threefry_mode, size_t, const float *, size_t, const float *,
                           size_t, float *);

/* Element j of the per-element draw against the scalar draw with element
 * j's bounds, for both arrays, one single value and one array, and the
 * reverse. */
static void check_bounds_sampler(kf_threefry_mode mode, uint64_t seed, int allow_inf,
                                 bounds_scalar scalar, bounds_each each) {
  static float lo[NMAX], hi[NMAX], got[NMAX], one[NMAX];
  const kf_key key = kf_key_from_seed((int64_t)seed, 0);
  for (size_t s = 0; s < NSIZES; s++) {
    const size_t n = sizes[s];
    float_bounds(lo, hi, n, allow_inf);
    for (int mix = 0; mix < 3; mix++) {
      const size_t lo_n = mix == 1 ? 1 : n, hi_n = mix == 2 ? 1 : n;
      if (n == 0 && (lo_n == 1 || hi_n == 1)) continue;
      ck_assert_int_eq(each(key, mode, n, lo, lo_n, hi, hi_n, got), KF_OK);
      for (size_t j = 0; j < n; j++) {
        const float a = lo[lo_n == 1 ? 0 : j], b = hi[hi_n == 1 ? 0 : j];
        ck_assert_int_eq(scalar(key, mode, n, a, b, one), KF_OK);
        ck_assert_msg(fbits(got[j]) == fbits(one[j]), "n=%zu j=%zu (%a, %a): %a vs %a", n, j,
                      (double)a, (double)b, (double)got[j], (double)one[j]);
      }
    }
  }
  /* one value each is the scalar function */
  const float a = -2.5f, b = 7.0f;
  ck_assert_int_eq(each(key, mode, 300, &a, 1, &b, 1, got), KF_OK);
  ck_assert_int_eq(scalar(key, mode, 300, a, b, one), KF_OK);
  ck_assert_mem_eq(got, one, 300 * sizeof(float));
}

START_TEST(uniform_per_element_is_the_scalar_draw) {
  check_bounds_sampler((kf_threefry_mode)_i, 11, 0, kf_random_uniform, kf_random_uniform_p);
}
END_TEST

START_TEST(truncated_normal_per_element_is_the_scalar_draw) {
  check_bounds_sampler((kf_threefry_mode)_i, 12, 1, kf_random_truncated_normal,
                       kf_random_truncated_normal_p);
}
END_TEST

START_TEST(bernoulli_per_element_is_the_scalar_draw) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  static float p[NMAX];
  static uint8_t got[NMAX], one[NMAX];
  const kf_key key = kf_key_from_seed(13, 0);
  for (size_t s = 0; s < NSIZES; s++) {
    const size_t n = sizes[s];
    for (size_t j = 0; j < n; j++) {
      static const float specials[] = {0.0f, 1.0f, -0.5f, 2.0f, 1e-9f, 0.99999994f};
      p[j] = j % 4 == 0 ? specials[(j / 4) % 6] : next_unit();
    }
    ck_assert_int_eq(kf_random_bernoulli_p(key, mode, n, p, n, got), KF_OK);
    for (size_t j = 0; j < n; j++) {
      ck_assert_int_eq(kf_random_bernoulli(key, mode, n, p[j], one), KF_OK);
      ck_assert_msg(got[j] == one[j], "n=%zu j=%zu p=%a", n, j, (double)p[j]);
    }
  }
}
END_TEST

START_TEST(bernoulli_high_is_two_uniform_draws) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  static float p[NMAX], u[2 * NMAX];
  static uint8_t got[NMAX];
  const kf_key key = kf_key_from_seed(14, 0);
  for (size_t s = 0; s < NSIZES; s++) {
    const size_t n = sizes[s];
    /* small p, where mode='high' differs from 'low', and ordinary ones */
    for (size_t j = 0; j < n; j++) p[j] = j % 2 ? next_unit() * 1e-6f : next_unit();
    ck_assert_int_eq(kf_random_uniform(key, mode, 2 * n, 0.0f, 1.0f, u), KF_OK);
    for (int single = 0; single < 2; single++) {
      if (n == 0 && single) continue;
      ck_assert_int_eq(kf_random_bernoulli_high_p(key, mode, n, p, single ? 1 : n, got), KF_OK);
      for (size_t j = 0; j < n; j++) {
        const float pj = p[single ? 0 : j];
        const int want = u[n + j] * 0x1p-23f < pj - u[j];
        ck_assert_msg(got[j] == want, "n=%zu j=%zu p=%a", n, j, (double)pj);
      }
    }
  }
}
END_TEST

START_TEST(randint_per_element_is_the_scalar_draw) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  static int64_t lo[NMAX], hi[NMAX];
  static int32_t got[NMAX], one[NMAX];
  const kf_key key = kf_key_from_seed(15, 0);
  static const int64_t specials[][2] = {
    {0, 10},          {-5, -5},       {7, 3},          {INT32_MIN, INT32_MAX}, {0, 1 << 16},
    {-100, 1 << 20},  {0, 1},         {INT32_MIN, 0},  {0, (int64_t)INT32_MAX + 7},
    {(int64_t)INT32_MIN - 9, 4},
  };
  const size_t ns = sizeof specials / sizeof specials[0];
  for (size_t s = 0; s < NSIZES; s++) {
    const size_t n = sizes[s];
    for (size_t j = 0; j < n; j++) {
      if (j % 3 == 0) {
        lo[j] = specials[(j / 3) % ns][0];
        hi[j] = specials[(j / 3) % ns][1];
      } else {
        lo[j] = (int64_t)(int32_t)next_u32();
        hi[j] = lo[j] + (int64_t)(next_u32() >> (j % 31));
      }
    }
    for (int mix = 0; mix < 3; mix++) {
      const size_t lo_n = mix == 1 ? 1 : n, hi_n = mix == 2 ? 1 : n;
      if (n == 0 && (lo_n == 1 || hi_n == 1)) continue;
      ck_assert_int_eq(kf_random_randint_p(key, mode, n, lo, lo_n, hi, hi_n, got), KF_OK);
      for (size_t j = 0; j < n; j++) {
        const int64_t a = lo[lo_n == 1 ? 0 : j], b = hi[hi_n == 1 ? 0 : j];
        ck_assert_int_eq(kf_random_randint(key, mode, n, a, b, one), KF_OK);
        ck_assert_msg(got[j] == one[j], "n=%zu j=%zu [%lld, %lld): %d vs %d", n, j, (long long)a,
                      (long long)b, got[j], one[j]);
      }
    }
  }
}
END_TEST

START_TEST(error_paths) {
  const kf_key key = kf_key_from_seed(1, 0);
  float f[4] = {0.0f, 1.0f, 2.0f, 3.0f}, out[4];
  int64_t i[4] = {0, 1, 2, 3};
  int32_t i32[4];
  uint8_t b[4];
  /* p_n neither 1 nor n */
  ck_assert_int_eq(kf_random_uniform_p(key, P, 3, f, 2, f, 3, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_uniform_p(key, P, 3, f, 3, f, 0, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_truncated_normal_p(key, P, 4, f, 3, f, 1, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli_p(key, P, 4, f, 2, b), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli_high_p(key, P, 4, f, 2, b), KF_EINVAL);
  ck_assert_int_eq(kf_random_randint_p(key, P, 4, i, 4, i, 3, i32), KF_EINVAL);
  /* NULL arrays and outputs */
  ck_assert_int_eq(kf_random_uniform_p(key, P, 2, NULL, 1, f, 1, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli_p(key, P, 2, NULL, 2, b), KF_EINVAL);
  ck_assert_int_eq(kf_random_randint_p(key, P, 2, i, 2, NULL, 2, i32), KF_EINVAL);
  ck_assert_int_eq(kf_random_uniform_p(key, P, 2, f, 2, f, 2, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli_high_p(key, P, 2, f, 1, NULL), KF_EINVAL);
  /* NaN and (uniform) infinite parameters, refused before anything is written */
  float bad[3] = {0.0f, NAN, 1.0f};
  memset(out, 0x7f, sizeof out);
  ck_assert_int_eq(kf_random_uniform_p(key, P, 3, f, 3, bad, 3, out), KF_EINVAL);
  ck_assert_uint_eq(fbits(out[0]), 0x7f7f7f7fu);
  bad[1] = INFINITY;
  ck_assert_int_eq(kf_random_uniform_p(key, P, 3, bad, 3, f, 3, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_truncated_normal_p(key, P, 3, bad, 3, f, 3, out), KF_OK);
  bad[1] = NAN;
  ck_assert_int_eq(kf_random_truncated_normal_p(key, P, 3, f, 3, bad, 3, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli_p(key, P, 3, bad, 3, b), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli_high_p(key, P, 3, bad, 3, b), KF_EINVAL);
  /* bad mode, sizes over the limits */
  ck_assert_int_eq(kf_random_uniform_p(key, (kf_threefry_mode)7, 2, f, 2, f, 2, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_bernoulli_high_p(key, P, (size_t)KF_MAX_ELEMENTS / 2 + 1, f, 1, b),
                   KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_bernoulli_high_p(key, L, 0x80000000u, f, 1, b), KF_EOVERFLOW);
  /* empty draws: no values needed, none written */
  ck_assert_int_eq(kf_random_uniform_p(key, P, 0, NULL, 0, NULL, 0, NULL), KF_OK);
  ck_assert_int_eq(kf_random_randint_p(key, L, 0, i, 1, NULL, 0, NULL), KF_OK);
  ck_assert_int_eq(kf_random_bernoulli_high_p(key, P, 0, NULL, 0, NULL), KF_OK);
}
END_TEST

static Suite *sample_params_suite(void) {
  Suite *s = suite_create("sample_params");
  TCase *tc = tcase_create("per-element");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, uniform_per_element_is_the_scalar_draw, P, L + 1);
  tcase_add_loop_test(tc, truncated_normal_per_element_is_the_scalar_draw, P, L + 1);
  tcase_add_loop_test(tc, bernoulli_per_element_is_the_scalar_draw, P, L + 1);
  tcase_add_loop_test(tc, bernoulli_high_is_two_uniform_draws, P, L + 1);
  tcase_add_loop_test(tc, randint_per_element_is_the_scalar_draw, P, L + 1);
  tcase_add_test(tc, error_paths);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(sample_params_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
