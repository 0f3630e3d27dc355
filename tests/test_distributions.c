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

/* ---- wald, poisson, binomial, multinomial, categorical, choice (discrete.c) ---- */

/* Pearson's chi-square of integer draws against a pmf over [lo, hi], the
 * tails below lo and above hi folded into the end bins; the 0.1% critical
 * value from the Wilson-Hilferty approximation of its degrees of freedom. */
static void check_pmf(const char *what, const double *v, size_t n, double (*pmf)(int, const double *),
                      const double *prm, int lo, int hi) {
  const int bins = hi - lo + 1;
  double *obs = calloc((size_t)bins, sizeof *obs), *exp_ = calloc((size_t)bins, sizeof *exp_);
  ck_assert(obs && exp_);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    bad += !(v[i] >= 0 && v[i] == floor(v[i]));
    const double x = v[i] < lo ? lo : v[i] > hi ? hi : v[i];
    obs[(int)x - lo] += 1;
  }
  ck_assert_uint_eq(bad, 0);
  double below = 0, inside = 0;
  for (int k = 0; k < lo; k++) below += pmf(k, prm);
  for (int k = lo; k <= hi; k++) inside += exp_[k - lo] = pmf(k, prm);
  exp_[0] += below;
  exp_[bins - 1] += 1 - below - inside;
  for (int b = 0; b < bins; b++) exp_[b] *= (double)n;
  const double df = bins - 1, z = 3.0902;
  const double crit = df * pow(1 - 2 / (9 * df) + z * sqrt(2 / (9 * df)), 3);
  check_chi2(what, obs, exp_, (size_t)bins, crit);
  free(obs);
  free(exp_);
}

static double pmf_poisson(int k, const double *p) { return exp(-p[0] + k * log(p[0]) - lgamma(k + 1.0)); }

static double pmf_binomial(int k, const double *p) { /* n, p */
  if (k > p[0]) return 0;
  return exp(lgamma(p[0] + 1) - lgamma(k + 1.0) - lgamma(p[0] - k + 1) + k * log(p[1]) +
             (p[0] - k) * log1p(-p[1]));
}

static double pmf_table(int k, const double *p) { return p[k]; } /* p[0..] the probabilities */

static double norm_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

static double cdf_wald(double x, const double *p) { /* mean mu, shape lambda = 1 */
  if (x <= 0) return 0;
  const double mu = p[0], r = sqrt(1.0 / x);
  return norm_cdf(r * (x / mu - 1)) + exp(2.0 / mu) * norm_cdf(-r * (x / mu + 1));
}

START_TEST(wald) {
  float *v = draws();
  const float mu = 1.5f;
  ck_assert_int_eq(kf_random_wald(kf_key_from_seed(130, 0), P, N, &mu, 1, v), KF_OK);
  const double m = mu;
  check_continuous("wald(1.5)", v, m, m * m * m, cdf_wald, &m);
}
END_TEST

static void check_ints(const char *what, const int32_t *k, double (*pmf)(int, const double *),
                       const double *prm, double mu, double var, int lo, int hi) {
  double *x = g_sorted; /* used as scratch, not sorted */
  for (size_t i = 0; i < N; i++) x[i] = k[i];
  check_moments(what, x, N, mu, var);
  check_pmf(what, x, N, pmf, prm, lo, hi);
}

START_TEST(poisson_both_branches) {
  int32_t *k = malloc(N * sizeof *k);
  ck_assert_ptr_nonnull(k);
  /* Knuth (lam < 10), PTRS (lam >= 10), and both in one call */
  const struct { float lam; int lo, hi; } cases[] = {{0.7f, 0, 6}, {4.0f, 0, 13}, {10.0f, 2, 22}, {30.0f, 15, 48},
                                                      {1000.0f, 900, 1100}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    ck_assert_int_eq(kf_random_poisson(kf_key_from_seed(131 + c, 0), P, N, &cases[c].lam, 1, k), KF_OK);
    char what[40];
    snprintf(what, sizeof what, "poisson(%g)", (double)cases[c].lam);
    const double lam = cases[c].lam;
    check_ints(what, k, pmf_poisson, &lam, lam, lam, cases[c].lo, cases[c].hi);
  }
  float *lams = malloc(N * sizeof *lams);
  ck_assert_ptr_nonnull(lams);
  for (size_t i = 0; i < N; i++) lams[i] = (i % 2) ? 3.0f : 25.0f;
  ck_assert_int_eq(kf_random_poisson(kf_key_from_seed(139, 0), L, N, lams, N, k), KF_OK);
  double s[2] = {0, 0};
  for (size_t i = 0; i < N; i++) s[i % 2] += k[i];
  printf("test_distributions: poisson mixed 25 | 3: means %.4f %.4f\n", s[0] / (N / 2), s[1] / (N / 2));
  ck_assert(fabs(s[0] / (N / 2) - 25) < 5 * sqrt(25.0 / (N / 2)));
  ck_assert(fabs(s[1] / (N / 2) - 3) < 5 * sqrt(3.0 / (N / 2)));
  free(lams);
  free(k);
}
END_TEST

START_TEST(binomial_both_branches) {
  float *v = draws();
  const struct { float n, p; int lo, hi; } cases[] = {{20, 0.3f, 0, 14}, {10, 0.9f, 3, 10}, {200, 0.4f, 55, 105},
                                                      {1000, 0.97f, 950, 985}, {7.9f, 0.5f, 0, 7}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    ck_assert_int_eq(kf_random_binomial(kf_key_from_seed(140 + c, 0), P, N, &cases[c].n, 1, &cases[c].p, 1, v),
                     KF_OK);
    char what[40];
    snprintf(what, sizeof what, "binomial(%g, %g)", (double)cases[c].n, (double)cases[c].p);
    const double prm[2] = {floor(cases[c].n), cases[c].p};
    double *x = g_sorted;
    for (size_t i = 0; i < N; i++) x[i] = v[i];
    check_moments(what, x, N, prm[0] * prm[1], prm[0] * prm[1] * (1 - prm[1]));
    check_pmf(what, x, N, pmf_binomial, prm, cases[c].lo, cases[c].hi);
  }
}
END_TEST

START_TEST(multinomial) {
  enum { ROWS = N / 4 };
  const float p[4] = {0.1f, 0.2f, 0.3f, 0.4f}, n = 12;
  float *v = draws();
  ck_assert_int_eq(kf_random_multinomial(kf_key_from_seed(150, 0), P, ROWS, 4, &n, 1, p, 4, v), KF_OK);
  size_t not_n = 0;
  for (size_t r = 0; r < ROWS; r++) not_n += v[4 * r] + v[4 * r + 1] + v[4 * r + 2] + v[4 * r + 3] != 12;
  ck_assert_uint_eq(not_n, 0);
  for (int j = 0; j < 4; j++) { /* each category's count is binomial(12, p_j) */
    double *x = g_sorted;
    for (size_t r = 0; r < ROWS; r++) x[r] = v[4 * r + j];
    char what[40];
    snprintf(what, sizeof what, "multinomial count %d", j);
    const double prm[2] = {12, p[j]};
    check_moments(what, x, ROWS, 12 * prm[1], 12 * prm[1] * (1 - prm[1]));
    check_pmf(what, x, ROWS, pmf_binomial, prm, 0, 10);
  }
}
END_TEST

START_TEST(categorical_and_choice) {
  int32_t *k = malloc(N * sizeof *k);
  ck_assert_ptr_nonnull(k);
  const double prob[5] = {0.05, 0.15, 0.2, 0.25, 0.35};
  float logits[5], pf[5];
  for (int j = 0; j < 5; j++) logits[j] = (float)log(prob[j]) + 3.0f, pf[j] = (float)prob[j] * 7.0f;
  double *x = g_sorted;
  for (int gm = KF_GUMBEL_LOW; gm <= KF_GUMBEL_HIGHEST; gm++) {
    ck_assert_int_eq(kf_random_categorical(kf_key_from_seed(160 + gm, 0), P, logits, 1, 5, 1, N, 1,
                                           (kf_gumbel_mode)gm, k), KF_OK);
    for (size_t i = 0; i < N; i++) x[i] = k[i];
    check_pmf(gm == 0 ? "categorical low" : gm == 1 ? "categorical high" : "categorical highest", x, N,
              pmf_table, prob, 0, 4);
  }
  ck_assert_int_eq(kf_random_choice(kf_key_from_seed(164, 0), L, 5, N, 1, pf, KF_GUMBEL_LOW, k), KF_OK);
  for (size_t i = 0; i < N; i++) x[i] = k[i];
  check_pmf("choice(p)", x, N, pmf_table, prob, 0, 4);
  const double flat[10] = {.1, .1, .1, .1, .1, .1, .1, .1, .1, .1};
  ck_assert_int_eq(kf_random_choice(kf_key_from_seed(165, 0), P, 10, N, 1, NULL, KF_GUMBEL_LOW, k), KF_OK);
  for (size_t i = 0; i < N; i++) x[i] = k[i];
  check_pmf("choice(10)", x, N, pmf_table, flat, 0, 9);
  /* without replacement: distinct indices, and the first one of each of
   * 10^5 draws of 2 from p follows p */
  enum { M = 100000 };
  for (size_t t = 0; t < M; t++) {
    int32_t two[2];
    ck_assert_int_eq(kf_random_choice(kf_fold_in(kf_key_from_seed(166, 0), (uint32_t)t), P, 5, 2, 0, pf,
                                      KF_GUMBEL_LOW, two), KF_OK);
    ck_assert_int_ne(two[0], two[1]);
    x[t] = two[0];
  }
  check_pmf("choice(p, replace=False)", x, M, pmf_table, prob, 0, 4);
  int32_t perm[50];
  ck_assert_int_eq(kf_random_choice(kf_key_from_seed(167, 0), P, 50, 50, 0, NULL, KF_GUMBEL_LOW, perm), KF_OK);
  int seen[50] = {0};
  for (int i = 0; i < 50; i++) seen[perm[i]]++;
  for (int i = 0; i < 50; i++) ck_assert_int_eq(seen[i], 1);
  free(k);
}
END_TEST

/* JAX's values for these samplers: _RANDOM_VALUES_CASES' poisson row
 * (legacy threefry, PRNGKey(1349191556), lam = 5), and random_lax_test.py's
 * corner cases (key(0), either mode): testPoissonCornerCases,
 * testPoissonZeros, testBinomialCornerCases. */
START_TEST(jax_discrete_test_values) {
  int32_t r[5];
  const float five = 5;
  ck_assert_int_eq(kf_random_poisson(kf_key_from_data(0, 1349191556u), L, 5, &five, 1, r), KF_OK);
  ck_assert_mem_eq(r, ((const int32_t[]){7, 3, 6, 11, 6}), sizeof r);
  const kf_key k0 = kf_key_from_seed(0, 0);
  for (int m = 0; m < 2; m++) {
    const kf_threefry_mode md = m ? L : P;
    ck_assert_int_eq(kf_random_poisson(k0, md, 3, (const float[]){-1, 0, NAN}, 3, r), KF_OK);
    ck_assert_mem_eq(r, ((const int32_t[]){-1, 0, -1}), 3 * sizeof *r);
    const float zero = 0;
    ck_assert_int_eq(kf_random_poisson(k0, md, 5, &zero, 1, r), KF_OK);
    ck_assert_mem_eq(r, ((const int32_t[]){0, 0, 0, 0, 0}), sizeof r);
    float b[4];
    const float half = 0.5f;
    ck_assert_int_eq(kf_random_binomial(k0, md, 4, (const float[]){-1, 0, NAN, INFINITY}, 4, &half, 1, b), KF_OK);
    ck_assert(isnan(b[0]) && b[1] == 0 && isnan(b[2]) && b[3] == INFINITY);
    ck_assert_int_eq(kf_random_binomial(k0, md, 4, &five, 1, (const float[]){NAN, 0, -0.1f, 1.1f}, 4, b), KF_OK);
    ck_assert(isnan(b[0]) && b[1] == 0 && isnan(b[2]) && isnan(b[3]));
    ck_assert_int_eq(kf_random_binomial(k0, md, 3, (const float[]){INFINITY, -1, INFINITY}, 3,
                                        (const float[]){NAN, NAN, -0.1f}, 3, b), KF_OK);
    ck_assert(isnan(b[0]) && isnan(b[1]) && isnan(b[2]));
  }
}
END_TEST

START_TEST(discrete_parameters_and_errors) {
  const kf_key k = kf_key_from_seed(7, 0);
  float f[4], one = 1, two[2] = {1, 2};
  int32_t r[4];
  ck_assert_int_eq(kf_random_wald(k, P, 4, two, 2, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_wald(k, P, 4, NULL, 1, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_poisson(k, P, 4, two, 2, r), KF_EINVAL);
  ck_assert_int_eq(kf_random_poisson(k, (kf_threefry_mode)7, 4, &one, 1, r), KF_EINVAL);
  ck_assert_int_eq(kf_random_binomial(k, P, 4, &one, 1, two, 2, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_poisson(k, P, 4, &one, 1, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_poisson(k, P, 0, &one, 1, NULL), KF_OK);
  ck_assert_int_eq(kf_random_multinomial(k, P, 2, 2, &one, 1, two, 3, f), KF_EINVAL);
  ck_assert_int_eq(kf_random_categorical(k, P, two, 1, 0, 1, 1, 1, KF_GUMBEL_LOW, r), KF_EINVAL);
  ck_assert_int_eq(kf_random_categorical(k, P, two, 1, 2, 1, 3, 0, KF_GUMBEL_LOW, r), KF_EINVAL);
  ck_assert_int_eq(kf_random_categorical(k, P, two, 1, 2, 1, 1, 1, (kf_gumbel_mode)9, r), KF_EINVAL);
  ck_assert_int_eq(kf_random_choice(k, P, 0, 1, 1, NULL, KF_GUMBEL_LOW, r), KF_EINVAL);
  ck_assert_int_eq(kf_random_choice(k, P, 3, 4, 0, NULL, KF_GUMBEL_LOW, r), KF_EINVAL);
  ck_assert_int_eq(kf_random_choice(k, P, 0, 0, 1, NULL, KF_GUMBEL_LOW, r), KF_OK);
  /* choice without p and with replacement is randint; a single category
   * always comes out */
  int32_t a[4], b[4];
  ck_assert_int_eq(kf_random_choice(k, P, 10, 4, 1, NULL, KF_GUMBEL_LOW, a), KF_OK);
  ck_assert_int_eq(kf_random_randint(k, P, 4, 0, 10, b), KF_OK);
  ck_assert_mem_eq(a, b, sizeof a);
  ck_assert_int_eq(kf_random_categorical(k, P, &one, 1, 1, 1, 4, 1, KF_GUMBEL_HIGH, a), KF_OK);
  ck_assert_mem_eq(a, ((const int32_t[]){0, 0, 0, 0}), sizeof a);
}
END_TEST

/* ---- multivariate_normal, orthogonal (linalg.c) ------------------------- */

static double cdf_normal_of(double x, const double *p) { return norm_cdf((x - p[0]) / p[1]); } /* mean, sd */

/* 333 333 draws of a correlated 3-vector in each threefry mode: each
 * component's mean and variance within 5 standard errors, its KS against
 * the normal law, and each covariance within 5 standard errors of the
 * estimate ((c_ii c_jj + c_ij^2) / n for a Gaussian pair). */
START_TEST(multivariate_normal_mean_and_covariance) {
  enum { D = 3, ROWS = N / D };
  static const float mean[D] = {1.0f, -2.0f, 0.5f};
  static const float cov[D * D] = {2.0f, 0.6f, -0.4f, 0.6f, 1.0f, 0.3f, -0.4f, 0.3f, 0.5f};
  const kf_threefry_mode modes[2] = {P, L};
  for (int mi = 0; mi < 2; mi++) {
    float *v = draws();
    ck_assert_int_eq(kf_random_multivariate_normal(kf_key_from_seed(160 + mi, 0), modes[mi], KF_MVN_CHOLESKY,
                                                   ROWS, D, mean, D, cov, D * D, v),
                     KF_OK);
    for (int i = 0; i < D; i++) {
      char what[48];
      snprintf(what, sizeof what, "mvn %s x%d", mi ? "legacy" : "partitionable", i);
      float *x = malloc(ROWS * sizeof *x); /* the component, for sorted() */
      ck_assert_ptr_nonnull(x);
      for (size_t r = 0; r < ROWS; r++) x[r] = v[D * r + i];
      double *sx = sorted(x, ROWS);
      free(x);
      check_moments(what, sx, ROWS, mean[i], cov[i * D + i]);
      const double prm[2] = {mean[i], sqrt(cov[i * D + i])};
      check_ks(what, sx, ROWS, cdf_normal_of, prm);
    }
    for (int i = 0; i < D; i++)
      for (int j = i + 1; j < D; j++) {
        double c = 0;
        for (size_t r = 0; r < ROWS; r++) c += (v[D * r + i] - mean[i]) * (double)(v[D * r + j] - mean[j]);
        c /= ROWS;
        const double want = cov[i * D + j];
        const double se = sqrt((cov[i * D + i] * (double)cov[j * D + j] + want * want) / ROWS);
        printf(STATS_PREFIX "mvn cov[%d][%d] %.6f (exact %.6f, tol %.1e)\n", i, j, c, want, 5 * se);
        ck_assert_msg(fabs(c - want) <= 5 * se, "mvn cov[%d][%d] %.6f, exact %.6f", i, j, c, want);
      }
  }
}
END_TEST

/* Haar-distributed matrices: orthonormal columns (rows when n < m) to
 * float32 rounding; for square ones det = +-1 with probability 1/2 each and
 * the trace with mean 0 and variance 1 (any n >= 2), which the sign
 * correction q * sign(diag(r)) is needed for (without it the trace's mean
 * is not 0); an element with mean 0 and variance 1/n. */
START_TEST(orthogonal_is_haar) {
  static const size_t sizes[][2] = {{4, 4}, {3, 7}, {7, 3}, {1, 1}, {16, 16}};
  for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
    const size_t n = sizes[t][0], m = sizes[t][1], per = n * m, count = N / per;
    float *v = draws();
    ck_assert_int_eq(kf_random_orthogonal(kf_key_from_seed(170 + (int64_t)t, 0), P, count, n, m, v), KF_OK);
    double worst = 0;
    const size_t k = n < m ? n : m;
    for (size_t b = 0; b < count; b += 7) { /* every 7th matrix: Q^T Q (or Q Q^T) = I */
      const float *q = v + b * per;
      for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
          double dot = 0;
          for (size_t l = 0; l < (n < m ? m : n); l++)
            dot += n >= m ? (double)q[l * m + i] * q[l * m + j] : (double)q[i * m + l] * q[j * m + l];
          const double e = fabs(dot - (i == j));
          if (e > worst) worst = e;
        }
    }
    printf(STATS_PREFIX "orthogonal %zux%zu: max |Q^T Q - I| = %.2e\n", n, m, worst);
    ck_assert_msg(worst < 4e-6 * (double)(n > m ? n : m), "%zux%zu: %.3e", n, m, worst);
    double *x = g_sorted; /* element [0][0]: mean 0, variance 1/max(n, m) along its unit vector */
    for (size_t b = 0; b < count; b++) x[b] = v[b * per];
    if (n > 1 || m > 1) check_moments("orthogonal q[0][0]", x, count, 0.0, 1.0 / (double)(n > m ? n : m));
    if (n != m || n < 2) continue;
    size_t positive = 0;
    for (size_t b = 0; b < count; b++) { /* the trace; det's sign by LU with partial pivoting */
      const float *q = v + b * per;
      double tr = 0, a[16 * 16], det = 1;
      for (size_t i = 0; i < n; i++) tr += q[i * n + i];
      x[b] = tr;
      for (size_t i = 0; i < per; i++) a[i] = q[i];
      for (size_t c = 0; c < n; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < n; r++)
          if (fabs(a[r * n + c]) > fabs(a[piv * n + c])) piv = r;
        if (piv != c) {
          det = -det;
          for (size_t l = 0; l < n; l++) {
            const double tmp = a[c * n + l];
            a[c * n + l] = a[piv * n + l];
            a[piv * n + l] = tmp;
          }
        }
        det *= a[c * n + c];
        for (size_t r = c + 1; r < n; r++) {
          const double f = a[r * n + c] / a[c * n + c];
          for (size_t l = c; l < n; l++) a[r * n + l] -= f * a[c * n + l];
        }
      }
      ck_assert_msg(fabs(fabs(det) - 1) < 1e-4, "det %.6f", det);
      positive += det > 0;
    }
    check_moments(n == 4 ? "orthogonal 4x4 trace" : "orthogonal 16x16 trace", x, count, 0.0, 1.0);
    const double half = 0.5 * (double)count, se = sqrt(0.25 * (double)count);
    printf(STATS_PREFIX "orthogonal %zux%zu: det > 0 in %zu of %zu\n", n, n, positive, count);
    ck_assert_msg(fabs((double)positive - half) <= 5 * se, "det > 0 in %zu of %zu", positive, count);
  }
}
END_TEST

/* The API's contract: sizes, (p, p_n), svd/eigh unsupported, NaN rows for
 * a covariance that is not positive definite, an identity covariance giving
 * mean + normal exactly, a 1 x 1 orthogonal = sign of a normal. */
START_TEST(linalg_parameters_and_errors) {
  const kf_key k = kf_key_from_seed(180, 0);
  const float mean[2] = {1, 2}, eye[4] = {1, 0, 0, 1}, bad[4] = {1, 2, 2, 1};
  float out[8], z[8];
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_SVD, 2, 2, mean, 2, eye, 4, out),
                   KF_EUNSUPPORTED);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_EIGH, 2, 2, mean, 2, eye, 4, out),
                   KF_EUNSUPPORTED);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, (kf_mvn_method)7, 2, 2, mean, 2, eye, 4, out),
                   KF_EINVAL);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 2, 2, mean, 3, eye, 4, out),
                   KF_EINVAL);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 2, 2, mean, 2, eye, 3, out),
                   KF_EINVAL);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 2, 2, NULL, 2, eye, 4, out),
                   KF_EINVAL);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 2, 2, mean, 2, eye, 4, NULL),
                   KF_EINVAL);
  ck_assert_int_eq(kf_random_multivariate_normal(k, (kf_threefry_mode)9, KF_MVN_CHOLESKY, 2, 2, mean, 2,
                                                 eye, 4, out),
                   KF_EINVAL);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, SIZE_MAX / 2, 4, mean, 4, eye, 16,
                                                 out),
                   KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 0, 2, mean, 2, eye, 4, out), KF_OK);
  /* identity: mean + normal(key, (batch, n)), bit for bit (the products are exact) */
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 4, 2, mean, 2, eye, 4, out), KF_OK);
  ck_assert_int_eq(kf_random_normal(k, P, 8, z), KF_OK);
  for (int i = 0; i < 8; i++) ck_assert_float_eq(out[i], mean[i % 2] + z[i]);
  /* not positive definite: NaN rows, no error; one bad matrix of two only NaNs its row */
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 1, 2, mean, 2, bad, 4, out), KF_OK);
  ck_assert(isnan(out[0]) && isnan(out[1]));
  const float two[8] = {1, 2, 2, 1, 1, 0, 0, 1};
  ck_assert_int_eq(kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 2, 2, mean, 2, two, 8, out), KF_OK);
  ck_assert(isnan(out[0]) && isnan(out[1]) && !isnan(out[2]) && !isnan(out[3]));
  kf_mvn_method m;
  ck_assert_int_eq(kf_mvn_method_from_name("eigh", &m), KF_OK);
  ck_assert_int_eq(m, KF_MVN_EIGH);
  ck_assert_int_eq(kf_mvn_method_from_name("qr", &m), KF_EINVAL);
  ck_assert_str_eq(kf_mvn_method_name(KF_MVN_CHOLESKY), "cholesky");
  ck_assert_ptr_null(kf_mvn_method_name((kf_mvn_method)5));
  /* orthogonal */
  ck_assert_int_eq(kf_random_orthogonal(k, P, 1, 2, 2, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_orthogonal(k, P, SIZE_MAX / 2, 4, 4, out), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_orthogonal(k, P, 3, 0, 5, NULL), KF_OK);
  ck_assert_int_eq(kf_random_orthogonal(k, P, 8, 1, 1, out), KF_OK);
  ck_assert_int_eq(kf_random_normal(k, P, 8, z), KF_OK);
  for (int i = 0; i < 8; i++) ck_assert_float_eq(out[i], z[i] > 0 ? 1.0f : -1.0f);
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
  TCase *td = tcase_create("discrete");
  tcase_add_test(td, wald);
  tcase_add_test(td, poisson_both_branches);
  tcase_add_test(td, binomial_both_branches);
  tcase_add_test(td, multinomial);
  tcase_add_test(td, categorical_and_choice);
  tcase_add_test(td, jax_discrete_test_values);
  tcase_add_test(td, discrete_parameters_and_errors);
  tcase_set_timeout(td, 300);
  suite_add_tcase(s, td);
  TCase *tl = tcase_create("linalg");
  tcase_add_test(tl, multivariate_normal_mean_and_covariance);
  tcase_add_test(tl, orthogonal_is_haar);
  tcase_add_test(tl, linalg_parameters_and_errors);
  tcase_set_timeout(tl, 300);
  suite_add_tcase(s, tl);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
