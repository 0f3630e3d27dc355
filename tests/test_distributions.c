/* The distributions of keyfold/random.h (lib/src/distributions.c) as
 * distributions: per sampler, 10^6 draws from fixed keys (so every run
 * draws the same numbers and the suite is deterministic) against the exact
 * law -- mean and variance within 5 standard errors (the median and the
 * quartiles for cauchy, which has neither), and a goodness-of-fit test:
 * Kolmogorov-Smirnov against the exact CDF for the continuous ones,
 * chi-square for the discrete ones, each at the 0.1% level. Then the values
 * JAX's own tests print for these samplers (xla-numerics.md Part C), and the
 * API's contract: the (p, p_n) convention, error codes, gumbel's modes.
 * Bit-exactness with jaxlib is tests/test_oracle.c's. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

enum { N = 1000000 };

static const kf_threefry_mode P = KF_THREEFRY_PARTITIONABLE, L = KF_THREEFRY_LEGACY;

#define PI_D 3.14159265358979323846
#define EULER_GAMMA 0.57721566490153286061

#define STATS_PREFIX "test_distributions: "
#include "stats.h"

/* ---- the exact laws ----------------------------------------------------------- */

static double cdf_exponential(double x, const double *p) {
  (void)p;
  return x <= 0 ? 0 : -expm1(-x);
}
static double cdf_gumbel(double x, const double *p) {
  (void)p;
  return exp(-exp(-x));
}
static double cdf_laplace(double x, const double *p) {
  (void)p;
  return x < 0 ? 0.5 * exp(x) : 1 - 0.5 * exp(-x);
}
static double cdf_logistic(double x, const double *p) {
  (void)p;
  return 1 / (1 + exp(-x));
}
static double cdf_cauchy(double x, const double *p) {
  (void)p;
  return 0.5 + atan(x) / PI_D;
}
static double cdf_pareto(double x, const double *p) { return x <= 1 ? 0 : 1 - pow(x, -p[0]); }
static double cdf_weibull(double x, const double *p) { /* p = scale, concentration */
  return x <= 0 ? 0 : -expm1(-pow(x / p[0], p[1]));
}
static double cdf_rayleigh(double x, const double *p) {
  return x <= 0 ? 0 : -expm1(-x * x / (2 * p[0] * p[0]));
}
static double cdf_triangular(double x, const double *p) { /* left, mode, right */
  const double a = p[0], c = p[1], b = p[2];
  if (x <= a) return 0;
  if (x >= b) return 1;
  return x <= c ? (x - a) * (x - a) / ((b - a) * (c - a)) : 1 - (b - x) * (b - x) / ((b - a) * (b - c));
}
static double cdf_lognormal(double x, const double *p) {
  return x <= 0 ? 0 : 0.5 * erfc(-log(x) / (p[0] * sqrt(2.0)));
}
static double maxwell_cdf(double x) {
  return x <= 0 ? 0 : erf(x / sqrt(2.0)) - sqrt(2 / PI_D) * x * exp(-x * x / 2);
}
static double cdf_maxwell(double x, const double *p) {
  (void)p;
  return maxwell_cdf(x);
}
static double cdf_double_sided_maxwell(double x, const double *p) { /* loc, scale */
  const double z = (x - p[0]) / p[1];
  return z < 0 ? 0.5 - 0.5 * maxwell_cdf(-z) : 0.5 + 0.5 * maxwell_cdf(z);
}

/* ---- one test per sampler --------------------------------------------------- */

/* Draws into v, then checks the moments and the fit. */
static void check_continuous(const char *what, const float *v, double mu, double var,
                             double (*cdf)(double, const double *), const double *prm) {
  double *x = sorted(v, N);
  if (isfinite(var)) check_moments(what, x, N, mu, var);
  check_ks(what, x, N, cdf, prm);
}

START_TEST(exponential) {
  float *v = draws();
  ck_assert_int_eq(kf_random_exponential(kf_key_from_seed(101, 0), P, N, v), KF_OK);
  check_continuous("exponential", v, 1, 1, cdf_exponential, NULL);
  ck_assert_int_eq(kf_random_exponential(kf_key_from_seed(102, 0), L, N, v), KF_OK);
  check_continuous("exponential (legacy)", v, 1, 1, cdf_exponential, NULL);
}
END_TEST

START_TEST(gumbel_in_every_mode) {
  float *v = draws();
  static const char *names[] = {"gumbel low", "gumbel high", "gumbel highest"};
  for (int m = KF_GUMBEL_LOW; m <= KF_GUMBEL_HIGHEST; m++) {
    ck_assert_int_eq(kf_random_gumbel(kf_key_from_seed(103, 0), P, N, (kf_gumbel_mode)m, v), KF_OK);
    check_continuous(names[m], v, EULER_GAMMA, PI_D * PI_D / 6, cdf_gumbel, NULL);
  }
}
END_TEST

START_TEST(laplace) {
  float *v = draws();
  ck_assert_int_eq(kf_random_laplace(kf_key_from_seed(104, 0), P, N, v), KF_OK);
  check_continuous("laplace", v, 0, 2, cdf_laplace, NULL);
}
END_TEST

START_TEST(logistic) {
  float *v = draws();
  ck_assert_int_eq(kf_random_logistic(kf_key_from_seed(105, 0), P, N, v), KF_OK);
  check_continuous("logistic", v, 0, PI_D * PI_D / 3, cdf_logistic, NULL);
}
END_TEST

/* No mean or variance: the median and the quartiles (0, -1, 1), each within
 * 5 standard errors of a sample quantile, sqrt(q (1 - q) / n) / density. */
START_TEST(cauchy) {
  float *v = draws();
  ck_assert_int_eq(kf_random_cauchy(kf_key_from_seed(106, 0), P, N, v), KF_OK);
  double *x = sorted(v, N);
  const double qs[3] = {0.25, 0.5, 0.75}, exact[3] = {-1, 0, 1};
  for (int i = 0; i < 3; i++) {
    const double got = x[(size_t)(qs[i] * N)];
    const double density = 1 / (PI_D * (1 + exact[i] * exact[i]));
    const double tol = 5 * sqrt(qs[i] * (1 - qs[i]) / N) / density;
    printf("test_distributions: cauchy quantile %.2f = %.5f (exact %g, tol %.1e)\n", qs[i], got, exact[i],
           tol);
    ck_assert_msg(fabs(got - exact[i]) <= tol, "cauchy: quantile %g = %g", qs[i], got);
  }
  check_ks("cauchy", x, N, cdf_cauchy, NULL);
}
END_TEST

START_TEST(pareto) {
  float *v = draws();
  const float b5 = 5.0f, b2 = 2.0f;
  const double p5 = 5, p2 = 2;
  ck_assert_int_eq(kf_random_pareto(kf_key_from_seed(107, 0), P, N, &b5, 1, v), KF_OK);
  check_continuous("pareto b=5", v, 5.0 / 4, 5.0 / (16 * 3), cdf_pareto, &p5);
  ck_assert_int_eq(kf_random_pareto(kf_key_from_seed(108, 0), P, N, &b2, 1, v), KF_OK);
  check_continuous("pareto b=2 (no variance)", v, 2, INFINITY, cdf_pareto, &p2);
  /* One b per element: 2 and 5 alternating, each half its own law. */
  float *b = malloc(N * sizeof *b);
  ck_assert_ptr_nonnull(b);
  for (size_t i = 0; i < N; i++) b[i] = i % 2 ? 5.0f : 2.0f;
  ck_assert_int_eq(kf_random_pareto(kf_key_from_seed(109, 0), P, N, b, N, v), KF_OK);
  for (size_t i = 0; i < N / 2; i++) b[i] = v[2 * i + 1];
  double *x = sorted(b, N / 2);
  check_ks("pareto b[i] = 5 (odd i)", x, N / 2, cdf_pareto, &p5);
  for (size_t i = 0; i < N / 2; i++) b[i] = v[2 * i];
  x = sorted(b, N / 2);
  check_ks("pareto b[i] = 2 (even i)", x, N / 2, cdf_pareto, &p2);
  free(b);
}
END_TEST

START_TEST(weibull_min) {
  float *v = draws();
  const float scale = 1.5f, conc = 2.0f;
  const double prm[2] = {1.5, 2.0};
  ck_assert_int_eq(kf_random_weibull_min(kf_key_from_seed(110, 0), P, N, &scale, 1, &conc, 1, v), KF_OK);
  const double g1 = tgamma(1 + 1 / prm[1]), g2 = tgamma(1 + 2 / prm[1]);
  check_continuous("weibull_min(1.5, 2)", v, prm[0] * g1, prm[0] * prm[0] * (g2 - g1 * g1), cdf_weibull, prm);
  const float conc2 = 0.7f;
  const double prm2[2] = {1.5, (double)0.7f};
  ck_assert_int_eq(kf_random_weibull_min(kf_key_from_seed(111, 0), L, N, &scale, 1, &conc2, 1, v), KF_OK);
  check_continuous("weibull_min(1.5, 0.7) legacy", v, 0, INFINITY, cdf_weibull, prm2);
}
END_TEST

START_TEST(rayleigh) {
  float *v = draws();
  const float scale = 2.0f;
  const double s = 2.0;
  ck_assert_int_eq(kf_random_rayleigh(kf_key_from_seed(112, 0), P, N, &scale, 1, v), KF_OK);
  check_continuous("rayleigh(2)", v, s * sqrt(PI_D / 2), (4 - PI_D) / 2 * s * s, cdf_rayleigh, &s);
}
END_TEST

START_TEST(triangular) {
  float *v = draws();
  const float l = -1.0f, m = 0.5f, r = 2.0f;
  const double prm[3] = {-1, 0.5, 2};
  ck_assert_int_eq(kf_random_triangular(kf_key_from_seed(113, 0), P, N, &l, 1, &m, 1, &r, 1, v), KF_OK);
  const double a = prm[0], c = prm[1], b = prm[2];
  check_continuous("triangular(-1, 0.5, 2)", v, (a + b + c) / 3,
                   (a * a + b * b + c * c - a * b - a * c - b * c) / 18, cdf_triangular, prm);
}
END_TEST

START_TEST(lognormal) {
  float *v = draws();
  const float sigma = 0.5f;
  const double s = 0.5;
  ck_assert_int_eq(kf_random_lognormal(kf_key_from_seed(114, 0), P, N, &sigma, 1, v), KF_OK);
  check_continuous("lognormal(0.5)", v, exp(s * s / 2), expm1(s * s) * exp(s * s), cdf_lognormal, &s);
  /* As an array of the output's shape: the same law. */
  float *sg = malloc(N * sizeof *sg);
  ck_assert_ptr_nonnull(sg);
  for (size_t i = 0; i < N; i++) sg[i] = sigma;
  ck_assert_int_eq(kf_random_lognormal(kf_key_from_seed(115, 0), L, N, sg, N, v), KF_OK);
  check_continuous("lognormal(0.5) array, legacy", v, exp(s * s / 2), expm1(s * s) * exp(s * s),
                   cdf_lognormal, &s);
  free(sg);
}
END_TEST

/* maxwell and double_sided_maxwell round differently below 1366 and 4096
 * elements (as jaxlib does): the small draws too, 1000 elements each from
 * 1000 keys fold_in(key, i). */
START_TEST(maxwell) {
  float *v = draws();
  ck_assert_int_eq(kf_random_maxwell(kf_key_from_seed(116, 0), P, N, v), KF_OK);
  check_continuous("maxwell", v, 2 * sqrt(2 / PI_D), 3 - 8 / PI_D, cdf_maxwell, NULL);
  for (size_t i = 0; i < N / 1000; i++)
    ck_assert_int_eq(kf_random_maxwell(kf_fold_in(kf_key_from_seed(116, 0), (uint32_t)i), P, 1000, v + 1000 * i),
                     KF_OK);
  check_continuous("maxwell, 1000 per draw", v, 2 * sqrt(2 / PI_D), 3 - 8 / PI_D, cdf_maxwell, NULL);
}
END_TEST

START_TEST(double_sided_maxwell) {
  float *v = draws();
  const float loc = 1.0f, scale = 2.0f;
  const double prm[2] = {1, 2};
  ck_assert_int_eq(kf_random_double_sided_maxwell(kf_key_from_seed(117, 0), P, N, &loc, 1, &scale, 1, v),
                   KF_OK);
  check_continuous("double_sided_maxwell(1, 2)", v, 1, 3 * 4, cdf_double_sided_maxwell, prm);
  for (size_t i = 0; i < N / 1000; i++)
    ck_assert_int_eq(kf_random_double_sided_maxwell(kf_fold_in(kf_key_from_seed(117, 0), (uint32_t)i), L, 1000,
                                                    &loc, 1, &scale, 1, v + 1000 * i),
                     KF_OK);
  check_continuous("double_sided_maxwell, 1000/draw", v, 1, 3 * 4, cdf_double_sided_maxwell, prm);
}
END_TEST

START_TEST(geometric) {
  int32_t *g = malloc(N * sizeof *g);
  ck_assert_ptr_nonnull(g);
  const float p = 0.3f;
  const double pd = (double)p;
  ck_assert_int_eq(kf_random_geometric(kf_key_from_seed(118, 0), P, N, &p, 1, g), KF_OK);
  enum { BINS = 21 }; /* k = 1..20, and k > 20 */
  double obs[BINS] = {0}, exp_[BINS], s1 = 0, s2 = 0;
  size_t below_one = 0;
  for (size_t i = 0; i < N; i++) {
    if (g[i] < 1) {
      below_one++;
      continue;
    }
    obs[g[i] <= 20 ? g[i] - 1 : 20] += 1;
    s1 += g[i];
    s2 += (double)g[i] * g[i];
  }
  ck_assert_uint_eq(below_one, 0);
  for (int k = 1; k <= 20; k++) exp_[k - 1] = N * pow(1 - pd, k - 1) * pd;
  exp_[20] = N * pow(1 - pd, 20);
  check_chi2("geometric(0.3)", obs, exp_, BINS, 45.31); /* 20 degrees of freedom */
  const double mean = s1 / N, var = s2 / N - mean * mean;
  printf("test_distributions: geometric(0.3) mean %.5f (exact %.5f), variance %.5f (exact %.5f)\n", mean,
         1 / pd, var, (1 - pd) / (pd * pd));
  ck_assert(fabs(mean - 1 / pd) <= 5 * sqrt((1 - pd) / (pd * pd) / N));
  ck_assert(fabs(var - (1 - pd) / (pd * pd)) <= 0.05 * (1 - pd) / (pd * pd));
  free(g);
}
END_TEST

START_TEST(rademacher) {
  int32_t *r = malloc(N * sizeof *r);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(kf_random_rademacher(kf_key_from_seed(119, 0), P, N, r), KF_OK);
  double obs[2] = {0, 0}, exp_[2] = {N / 2.0, N / 2.0};
  size_t other = 0;
  for (size_t i = 0; i < N; i++) {
    other += r[i] != 1 && r[i] != -1;
    obs[r[i] > 0] += 1;
  }
  ck_assert_uint_eq(other, 0);
  check_chi2("rademacher", obs, exp_, 2, 10.83); /* 1 degree of freedom */
  free(r);
}
END_TEST

/* ---- JAX's own test values ---------------------------------------------------- */

/* tests/random_test.py's _RANDOM_VALUES_CASES (xla-numerics.md Part C):
 * legacy threefry, key = PRNGKey(seed) = [0, seed], shape (5,), compared as
 * JAX's test compares them (assertAllClose: |a - b| <= atol + rtol |b|,
 * 1e-6 each; cauchy rtol 1e-5). JAX printed them with about 6 decimals in
 * 2022; logistic's row is the jax < 0.7 formula, which keyfold's (jax >= 0.7)
 * still meets within the tolerance. */
static void check_values(const char *what, const float *got, const double *want, double rtol) {
  for (int i = 0; i < 5; i++) {
    ck_assert_msg(fabs(got[i] - want[i]) <= 1e-6 + rtol * fabs(want[i]), "%s[%d] = %.7g, JAX's test %.7g",
                  what, i, got[i], want[i]);
  }
}

START_TEST(jax_random_test_values) {
  float v[5];
  int32_t r[5];
#define KEY(seed) kf_key_from_data(0, (uint32_t)(seed))
  ck_assert_int_eq(kf_random_cauchy(KEY(1175914230), L, 5, v), KF_OK);
  check_values("cauchy", v, (const double[]){-0.088416, -10.169713, 3.49677, -1.18056, 0.34556}, 1e-5);
  const float loc = 1, scale = 2;
  ck_assert_int_eq(kf_random_double_sided_maxwell(KEY(3634826421u), L, 5, &loc, 1, &scale, 1, v), KF_OK);
  check_values("double_sided_maxwell", v,
               (const double[]){-2.408914, -3.370437, 3.235352, -0.907734, -1.708732}, 1e-6);
  ck_assert_int_eq(kf_random_exponential(KEY(1942292768), L, 5, v), KF_OK);
  check_values("exponential", v, (const double[]){0.526067, 0.043046, 0.039932, 0.46427, 0.123886}, 1e-6);
  ck_assert_int_eq(kf_random_gumbel(KEY(1179715317), L, 5, KF_GUMBEL_LOW, v), KF_OK);
  check_values("gumbel", v, (const double[]){2.06701, 0.911726, 0.145736, 0.185427, -0.00711}, 1e-6);
  ck_assert_int_eq(kf_random_laplace(KEY(1291781963), L, 5, v), KF_OK);
  check_values("laplace", v, (const double[]){0.578939, -0.204902, 0.555733, 0.911053, -0.96456}, 1e-6);
  ck_assert_int_eq(kf_random_logistic(KEY(1466238935), L, 5, v), KF_OK);
  check_values("logistic", v, (const double[]){0.19611, -1.709053, -0.274093, -0.208322, -1.675489}, 1e-6);
  ck_assert_int_eq(kf_random_maxwell(KEY(1331627891), L, 5, v), KF_OK);
  check_values("maxwell", v, (const double[]){3.070779, 0.908479, 1.521317, 0.875551, 1.306137}, 1e-6);
  const float b = 0.5f;
  ck_assert_int_eq(kf_random_pareto(KEY(1192560388), L, 5, &b, 1, v), KF_OK);
  check_values("pareto", v, (const double[]){2.751398, 1.281863, 87.85448, 1.254542, 2.824487}, 1e-6);
  ck_assert_int_eq(kf_random_rademacher(KEY(1719994501), L, 5, r), KF_OK);
  const int32_t signs[5] = {-1, -1, -1, -1, 1};
  ck_assert_mem_eq(r, signs, sizeof signs);
  const float one = 1;
  ck_assert_int_eq(kf_random_weibull_min(KEY(1921059088), L, 5, &one, 1, &one, 1, v), KF_OK);
  check_values("weibull_min", v, (const double[]){1.605863, 0.841809, 0.224218, 0.4826, 0.027901}, 1e-6);
#undef KEY
}
END_TEST

/* ---- the contract ----------------------------------------------------------- */

START_TEST(parameters_and_errors) {
  const kf_key k = kf_key_from_seed(7, 0);
  const kf_threefry_mode bad = (kf_threefry_mode)7;
  const size_t huge = (size_t)KF_MAX_ELEMENTS + 1;
  float f[8], p8[8] = {1, 2, 3, 4, 5, 6, 7, 8}, one = 1.0f, half = 0.5f;
  int32_t i32[8];
  /* n = 0 writes nothing and needs no buffer; a parameter of 0 or 1 values. */
  ck_assert_int_eq(kf_random_exponential(k, P, 0, NULL), KF_OK);
  ck_assert_int_eq(kf_random_pareto(k, P, 0, NULL, 0, NULL), KF_OK);
  ck_assert_int_eq(kf_random_pareto(k, P, 0, &one, 1, NULL), KF_OK);
  /* p_n must be 1 or n, p non-NULL. */
  ck_assert_int_eq(kf_random_pareto(k, P, 8, p8, 8, f), KF_OK);
  ck_assert_int_eq(kf_random_pareto(k, P, 8, p8, 1, f), KF_OK);
  ck_assert_int_eq(kf_random_pareto(k, P, 8, p8, 2, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_pareto(k, P, 8, p8, 0, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_pareto(k, P, 8, NULL, 1, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_pareto(k, P, 8, NULL, 8, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_weibull_min(k, P, 8, &one, 1, p8, 7, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_triangular(k, P, 8, &one, 1, &one, 1, p8, 3, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_double_sided_maxwell(k, P, 8, p8, 8, NULL, 8, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_geometric(k, P, 8, &half, 2, i32), KF_EINVAL);
  ck_assert_int_eq(kf_random_rayleigh(k, P, 8, &one, 1, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_lognormal(k, bad, 8, &one, 1, f), KF_EINVAL);
  /* NULL output, unknown threefry mode, too many elements. */
  ck_assert_int_eq(kf_random_exponential(k, P, 4, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_laplace(k, bad, 4, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_logistic(k, P, huge, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_cauchy(k, P, huge, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_rademacher(k, L, 0xFFFFFFFFu, i32), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_geometric(k, P, huge, &half, 1, i32), KF_EOVERFLOW);
  /* Legacy threefry hashes fewer than 2^32 - 1 words: maxwell draws 3n. */
  ck_assert_int_eq(kf_random_maxwell(k, L, 0x55555555u, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_double_sided_maxwell(k, L, 0x55555555u, &one, 1, &one, 1, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_gumbel(k, L, 0x80000000u, KF_GUMBEL_HIGH, f), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_maxwell(k, P, huge, f), KF_EOVERFLOW);
  /* gumbel's modes by name. */
  kf_gumbel_mode gm;
  ck_assert_int_eq(kf_gumbel_mode_from_name("highest", &gm), KF_OK);
  ck_assert_int_eq(gm, KF_GUMBEL_HIGHEST);
  ck_assert_int_eq(kf_gumbel_mode_from_name("medium", &gm), KF_EINVAL);
  ck_assert_int_eq(kf_gumbel_mode_from_name(NULL, &gm), KF_EINVAL);
  ck_assert_str_eq(kf_gumbel_mode_name(KF_GUMBEL_LOW), "low");
  ck_assert_ptr_null(kf_gumbel_mode_name((kf_gumbel_mode)3));
  ck_assert_int_eq(kf_random_gumbel(k, P, 4, (kf_gumbel_mode)3, f), KF_EINVAL);
  /* A failed call writes nothing. */
  float keep[4] = {9, 9, 9, 9};
  ck_assert_int_eq(kf_random_pareto(k, P, 4, p8, 3, keep), KF_EINVAL);
  for (int i = 0; i < 4; i++) ck_assert(keep[i] == 9.0f);
}
END_TEST

/* Where XLA computes a broadcast parameter and an array alike (no division
 * by it, no constant folded into it: rayleigh, weibull_min,
 * double_sided_maxwell), one value and n equal values give the same bits;
 * and element j of a draw depends on its own parameters only. */
START_TEST(one_value_and_n_equal_values_agree_where_xla_computes_them_alike) {
  const kf_key k = kf_key_from_seed(8, 0);
  enum { M = 1000 };
  float a[M], b[M], s[M], c[M];
  const float scale = 1.7f, conc = 0.8f, loc = -2.0f;
  for (int i = 0; i < M; i++) s[i] = scale, c[i] = conc;
  ck_assert_int_eq(kf_random_rayleigh(k, P, M, &scale, 1, a), KF_OK);
  ck_assert_int_eq(kf_random_rayleigh(k, P, M, s, M, b), KF_OK);
  ck_assert_mem_eq(a, b, sizeof a);
  ck_assert_int_eq(kf_random_weibull_min(k, L, M, &scale, 1, &conc, 1, a), KF_OK);
  ck_assert_int_eq(kf_random_weibull_min(k, L, M, s, M, c, M, b), KF_OK);
  ck_assert_mem_eq(a, b, sizeof a);
  for (int i = 0; i < M; i++) c[i] = loc;
  ck_assert_int_eq(kf_random_double_sided_maxwell(k, P, M, &loc, 1, &scale, 1, a), KF_OK);
  ck_assert_int_eq(kf_random_double_sided_maxwell(k, P, M, c, M, s, M, b), KF_OK);
  ck_assert_mem_eq(a, b, sizeof a);
  /* Changing element 5's parameter changes element 5 only. */
  s[5] = 3.0f;
  ck_assert_int_eq(kf_random_rayleigh(k, P, M, s, M, b), KF_OK);
  ck_assert_int_eq(kf_random_rayleigh(k, P, M, &scale, 1, a), KF_OK);
  int changed = 0;
  for (int i = 0; i < M; i++) changed += (a[i] != b[i]) << (i == 5);
  ck_assert_int_eq(changed, 2); /* element 5, and no other */
}
END_TEST

int main(void) {
  Suite *s = suite_create("distributions");
  TCase *tc = tcase_create("laws");
  tcase_add_test(tc, exponential);
  tcase_add_test(tc, gumbel_in_every_mode);
  tcase_add_test(tc, laplace);
  tcase_add_test(tc, logistic);
  tcase_add_test(tc, cauchy);
  tcase_add_test(tc, pareto);
  tcase_add_test(tc, weibull_min);
  tcase_add_test(tc, rayleigh);
  tcase_add_test(tc, triangular);
  tcase_add_test(tc, lognormal);
  tcase_add_test(tc, maxwell);
  tcase_add_test(tc, double_sided_maxwell);
  tcase_add_test(tc, geometric);
  tcase_add_test(tc, rademacher);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  TCase *tj = tcase_create("jax");
  tcase_add_test(tj, jax_random_test_values);
  tcase_add_test(tj, parameters_and_errors);
  tcase_add_test(tj, one_value_and_n_equal_values_agree_where_xla_computes_them_alike);
  suite_add_tcase(s, tj);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
