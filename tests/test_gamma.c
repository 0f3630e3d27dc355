/* The gamma family of keyfold/random.h (lib/src/gamma.c): per sampler, 10^6
 * draws from fixed keys against the exact law (moments within 5 standard
 * errors and Kolmogorov-Smirnov at the 0.1% level, as test_distributions.c);
 * the values JAX's own tests print for gamma, loggamma, beta and dirichlet
 * (xla-numerics.md Part C); the API's contract; and the software emulation
 * of Intel's rsqrtss estimate against the instruction, on CPUs that have it
 * (every float32 with KEYFOLD_EXHAUSTIVE=1, a sample otherwise).
 * Bit-exactness with jaxlib is tests/test_oracle.c's. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <xmmintrin.h>
#define HAVE_X86 1
#endif

#include "keyfold/keyfold.h"
#include "../lib/src/testing.h"

enum { N = 1000000 };

static const kf_threefry_mode P = KF_THREEFRY_PARTITIONABLE, L = KF_THREEFRY_LEGACY;
static const kf_rsqrt_mode DIV = KF_RSQRT_SQRT_DIV, INTEL = KF_RSQRT_INTEL_NR2;

#define STATS_PREFIX "test_gamma: "
#include "stats.h"

/* ---- the exact laws ---------------------------------------------------------- */

/* The regularized lower incomplete gamma P(a, x): its series below a + 1,
 * Lentz's continued fraction for Q above (Numerical Recipes 6.2). */
static double gamma_p(double a, double x) {
  if (x <= 0) return 0;
  const double lg = lgamma(a);
  if (x < a + 1) {
    double ap = a, del = 1 / a, sum = del;
    for (int i = 0; i < 10000 && fabs(del) > fabs(sum) * 1e-16; i++) {
      ap += 1;
      del *= x / ap;
      sum += del;
    }
    return sum * exp(-x + a * log(x) - lg);
  }
  double b = x + 1 - a, c = 1e300, d = 1 / b, h = d;
  for (int i = 1; i < 10000; i++) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (fabs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (fabs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (fabs(del - 1) < 1e-16) break;
  }
  return 1 - exp(-x + a * log(x) - lg) * h;
}

/* The regularized incomplete beta I_x(a, b) (Numerical Recipes 6.4). */
static double betacf(double a, double b, double x) {
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (fabs(d) < 1e-300) d = 1e-300;
  d = 1 / d;
  double h = d;
  for (int m = 1; m < 10000; m++) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (fabs(d) < 1e-300) d = 1e-300;
    c = 1 + aa / c;
    if (fabs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (fabs(d) < 1e-300) d = 1e-300;
    c = 1 + aa / c;
    if (fabs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (fabs(del - 1) < 1e-16) break;
  }
  return h;
}

static double beta_i(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
  return (x < (a + 1) / (a + b + 2)) ? bt * betacf(a, b, x) / a : 1 - bt * betacf(b, a, 1 - x) / b;
}

static double cdf_gamma(double x, const double *p) { return gamma_p(p[0], x); }
static double cdf_loggamma(double x, const double *p) { return gamma_p(p[0], exp(x)); }
static double cdf_chisquare(double x, const double *p) { return gamma_p(p[0] / 2, x / 2); }
static double cdf_beta(double x, const double *p) { return beta_i(p[0], p[1], x); }
static double cdf_t(double x, const double *p) {
  const double tail = 0.5 * beta_i(p[0] / 2, 0.5, p[0] / (p[0] + x * x));
  return x < 0 ? tail : 1 - tail;
}
static double cdf_f(double x, const double *p) {
  return x <= 0 ? 0 : beta_i(p[0] / 2, p[1] / 2, p[0] * x / (p[0] * x + p[1]));
}
static double cdf_gennorm(double x, const double *p) {
  const double h = 0.5 * gamma_p(1 / p[0], pow(fabs(x), p[0]));
  return x < 0 ? 0.5 - h : 0.5 + h;
}
static double cdf_radius(double r, const double *p) { /* |x| of a uniform point of the d-ball */
  return r <= 0 ? 0 : r >= 1 ? 1 : pow(r, p[0]);
}

static void check_law(const char *what, const float *v, double mu, double var,
                      double (*cdf)(double, const double *), const double *prm) {
  const double *x = sorted(v, N);
  if (var > 0) check_moments(what, x, N, mu, var);
  check_ks(what, x, N, cdf, prm);
}

/* ---- the distributions ----------------------------------------------------------- */

START_TEST(gamma_) {
  static const float as[] = {0.3f, 1.0f, 3.0f, 25.0f};
  for (size_t i = 0; i < 4; i++) {
    const float a = as[i];
    ck_assert_int_eq(kf_random_gamma(kf_key_from_seed(11 + (int)i, 0), i % 2 ? L : P, INTEL, N, &a, 1,
                                     draws()), KF_OK);
    char what[40];
    snprintf(what, sizeof what, "gamma(%g)", (double)a);
    const double prm[] = {a};
    check_law(what, draws(), a, a, cdf_gamma, prm);
  }
}
END_TEST

START_TEST(loggamma) {
  static const float as[] = {0.01f, 0.8f, 4.0f};
  for (size_t i = 0; i < 3; i++) {
    const float a = as[i];
    ck_assert_int_eq(kf_random_loggamma(kf_key_from_seed(21 + (int)i, 0), P, DIV, N, &a, 1, draws()),
                     KF_OK);
    char what[40];
    snprintf(what, sizeof what, "loggamma(%g)", (double)a);
    const double prm[] = {a};
    check_law(what, draws(), 0, 0, cdf_loggamma, prm);
  }
}
END_TEST

START_TEST(beta) {
  /* (No a or b far below 1: float32 rounds a measurable share of such draws to
   * exactly 0 or 1, which KS sees.) */
  static const float ab[][2] = {{0.8f, 0.9f}, {2.0f, 5.0f}, {1.5f, 1.2f}};
  for (size_t i = 0; i < 3; i++) {
    const float a = ab[i][0], b = ab[i][1];
    ck_assert_int_eq(kf_random_beta(kf_key_from_seed(31 + (int)i, 0), i % 2 ? L : P, INTEL, N, &a, 1,
                                    &b, 1, draws()), KF_OK);
    char what[40];
    snprintf(what, sizeof what, "beta(%g, %g)", (double)a, (double)b);
    const double prm[] = {a, b}, s = (double)a + b;
    check_law(what, draws(), a / s, a * b / (s * s * (s + 1)), cdf_beta, prm);
  }
}
END_TEST

START_TEST(chisquare) {
  static const float dfs[] = {0.5f, 3.0f, 40.0f};
  for (size_t i = 0; i < 3; i++) {
    const float df = dfs[i];
    ck_assert_int_eq(kf_random_chisquare(kf_key_from_seed(41 + (int)i, 0), P, INTEL, N, &df, 1, draws()),
                     KF_OK);
    char what[40];
    snprintf(what, sizeof what, "chisquare(%g)", (double)df);
    const double prm[] = {df};
    check_law(what, draws(), df, 2 * df, cdf_chisquare, prm);
  }
}
END_TEST

START_TEST(t) {
  static const float dfs[] = {1.0f, 10.0f};
  for (size_t i = 0; i < 2; i++) {
    const float df = dfs[i];
    ck_assert_int_eq(kf_random_t(kf_key_from_seed(51 + (int)i, 0), P, INTEL, N, &df, 1, draws()), KF_OK);
    char what[40];
    snprintf(what, sizeof what, "t(%g)", (double)df);
    const double prm[] = {df};
    /* Cauchy (df = 1) has no moments: KS only. */
    check_law(what, draws(), 0, df > 4 ? df / (df - 2) : 0, cdf_t, prm);
  }
}
END_TEST

START_TEST(f) {
  const float d1 = 5.0f, d2 = 20.0f;
  ck_assert_int_eq(kf_random_f(kf_key_from_seed(61, 0), L, INTEL, N, &d1, 1, &d2, 1, draws()), KF_OK);
  const double prm[] = {d1, d2};
  const double var = 2.0 * d2 * d2 * (d1 + d2 - 2) / (d1 * (d2 - 2) * (d2 - 2) * (d2 - 4));
  check_law("f(5, 20)", draws(), d2 / (d2 - 2), var, cdf_f, prm);
}
END_TEST

START_TEST(generalized_normal) {
  static const float ps[] = {0.5f, 1.0f, 2.0f, 5.0f};
  for (size_t i = 0; i < 4; i++) {
    const float p = ps[i];
    ck_assert_int_eq(kf_random_generalized_normal(kf_key_from_seed(71 + (int)i, 0), P, INTEL, N, &p, 1,
                                                  draws()), KF_OK);
    char what[40];
    snprintf(what, sizeof what, "generalized_normal(%g)", (double)p);
    const double prm[] = {p};
    check_law(what, draws(), 0, exp(lgamma(3 / p) - lgamma(1 / p)), cdf_gennorm, prm);
  }
}
END_TEST

START_TEST(dirichlet) {
  /* Each component j is beta(alpha_j, alpha_0 - alpha_j); every row sums to 1. */
  static const float alpha[] = {0.5f, 1.5f, 3.0f};
  const size_t rows = N;
  float *v = malloc(3 * rows * sizeof *v);
  ck_assert_ptr_nonnull(v);
  ck_assert_int_eq(kf_random_dirichlet(kf_key_from_seed(81, 0), P, INTEL, rows, alpha, 3, v), KF_OK);
  double worst = 0;
  for (size_t r = 0; r < rows; r++) {
    const double s = (double)v[3 * r] + v[3 * r + 1] + v[3 * r + 2];
    if (fabs(s - 1) > worst) worst = fabs(s - 1);
  }
  ck_assert_msg(worst < 4e-7, "a row sums to 1 %+g", worst);
  static float comp[N];
  for (size_t j = 0; j < 3; j++) {
    for (size_t i = 0; i < N; i++) comp[i] = v[3 * i + j];
    const double a = alpha[j], b = 5.0 - alpha[j], s = 5.0;
    const double prm[] = {a, b};
    char what[40];
    snprintf(what, sizeof what, "dirichlet component %zu", j);
    check_law(what, comp, a / s, a * b / (s * s * (s + 1)), cdf_beta, prm);
  }
  free(v);
}
END_TEST

START_TEST(ball) {
  /* The Euclidean radius of a uniform point of the d-ball has CDF r^d; every
   * coordinate has mean 0 and variance 1 / (d + 2). */
  static const size_t ds[] = {1, 3, 40};
  static float radius[N];
  for (size_t i = 0; i < 3; i++) {
    const size_t d = ds[i], rows = N;
    float *v = malloc(rows * d * sizeof *v);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(kf_random_ball(kf_key_from_seed(91 + (int)i, 0), P, INTEL, rows, d, 2.0f, v), KF_OK);
    for (size_t r = 0; r < rows; r++) {
      double s = 0;
      for (size_t j = 0; j < d; j++) s += (double)v[r * d + j] * v[r * d + j];
      radius[r] = (float)sqrt(s);
      radius[r] = radius[r] < 1.0f ? radius[r] : 1.0f;
    }
    char what[40];
    snprintf(what, sizeof what, "ball(d=%zu) radius", d);
    const double prm[] = {(double)d};
    check_law(what, radius, 0, 0, cdf_radius, prm);
    for (size_t r = 0; r < rows; r++) radius[r] = v[r * d];
    snprintf(what, sizeof what, "ball(d=%zu) x0", d);
    check_moments(what, sorted(radius, N), N, 0, 1.0 / (double)(d + 2));
    free(v);
  }
}
END_TEST

/* ---- JAX's own values ------------------------------------------------------------ */

static void close_to(const char *what, const float *got, const double *want, size_t n) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(fabs(got[i] - want[i]) <= 1e-6 + 1e-6 * fabs(want[i]), "%s[%zu] = %.7f, JAX %.6f", what,
                  i, (double)got[i], want[i]);
}

/* tests/random_test.py::_RANDOM_VALUES_CASES (xla-numerics.md Part C): legacy
 * threefry, key [0, seed], JAX's default tolerance (1e-6 absolute and
 * relative; the values are printed to 6 digits). Generated in 2023 by a
 * jaxlib that computed rsqrt as 1 / sqrt; both rsqrt modes are within it. */
START_TEST(jax_random_test_values) {
  for (int m = 0; m < 2; m++) {
    const kf_rsqrt_mode rm = m ? INTEL : DIV;
    float out[6];
    const float a = 0.8f, b = 0.9f;
    ck_assert_int_eq(kf_random_gamma(kf_key_from_data(0, 1038747260u), L, rm, 5, &a, 1, out), KF_OK);
    close_to("gamma", out, (const double[]){0.824221, 1.724476, 0.502882, 5.386132, 0.685543}, 5);
    ck_assert_int_eq(kf_random_loggamma(kf_key_from_data(0, 1440221118u), L, rm, 5, &a, 1, out), KF_OK);
    close_to("loggamma", out, (const double[]){0.240559, -3.575443, -0.450946, -2.161372, -2.943277}, 5);
    ck_assert_int_eq(kf_random_beta(kf_key_from_data(0, 923534869u), L, rm, 5, &a, 1, &b, 1, out), KF_OK);
    close_to("beta", out, (const double[]){0.13259, 0.824893, 0.948363, 0.964155, 0.235448}, 5);
    const float alpha[] = {0.5f, 0.6f, 0.7f};
    ck_assert_int_eq(kf_random_dirichlet(kf_key_from_data(0, 1590822961u), L, rm, 2, alpha, 3, out), KF_OK);
    close_to("dirichlet", out,
             (const double[]){0.003128, 0.009694, 0.987178, 0.025938, 0.479091, 0.494971}, 6);
    /* test_loggamma_nan_corner_case: a = 0, the exponential draw exactly 0. */
    const float zero = 0.0f;
    ck_assert_int_eq(kf_random_loggamma(kf_key_from_data(3200590325u, 713258242u), L, rm, 1, &zero, 1, out),
                     KF_OK);
    close_to("loggamma(0)", out, (const double[]){-4.595436}, 1);
  }
}
END_TEST

/* ---- the API's contract ---------------------------------------------------------- */

START_TEST(parameters_and_errors) {
  const kf_key k = kf_key_from_seed(0, 0);
  float out[8], a[3] = {1.0f, 2.0f, 3.0f};
  ck_assert_int_eq(kf_random_gamma(k, P, INTEL, 3, a, 2, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_gamma(k, P, INTEL, 3, NULL, 1, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_gamma(k, P, (kf_rsqrt_mode)7, 3, a, 3, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_gamma(k, (kf_threefry_mode)9, INTEL, 3, a, 3, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_gamma(k, P, INTEL, 3, a, 3, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_gamma(k, P, INTEL, 0, NULL, 0, NULL), KF_OK);
  ck_assert_int_eq(kf_random_beta(k, P, INTEL, 3, a, 3, a, 2, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_f(k, P, INTEL, 3, a, 1, a, 4, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_t(k, L, DIV, 3, a, 3, out), KF_OK);
  ck_assert_int_eq(kf_random_dirichlet(k, P, INTEL, 2, NULL, 3, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_dirichlet(k, P, INTEL, 2, a, 0, out), KF_OK);
  ck_assert_int_eq(kf_random_ball(k, P, INTEL, 2, 4, 2.0f, out), KF_OK);
  ck_assert_int_eq(kf_random_ball(k, P, INTEL, 2, 4, 2.0f, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_gamma(k, L, INTEL, (size_t)1 << 31, a, 1, out), KF_EOVERFLOW);
  /* Element j of a per-element draw is the broadcast draw's element j when
   * all values are equal (gamma's parameter is read per element). */
  float one[3], per[3];
  const float same[3] = {2.5f, 2.5f, 2.5f};
  ck_assert_int_eq(kf_random_gamma(k, L, INTEL, 3, same, 1, one), KF_OK);
  ck_assert_int_eq(kf_random_gamma(k, L, INTEL, 3, same, 3, per), KF_OK);
  ck_assert_mem_eq(one, per, sizeof one);
  /* Edge values give what JAX's formula gives. */
  const float edge[] = {0.0f, NAN, -1.0f, INFINITY};
  ck_assert_int_eq(kf_random_gamma(k, P, INTEL, 4, edge, 4, out), KF_OK);
  ck_assert(out[0] == 0.0f && isnan(out[1]) && isnan(out[2]));
  kf_rsqrt_mode rm;
  ck_assert_int_eq(kf_rsqrt_mode_from_name("intel-nr2", &rm), KF_OK);
  ck_assert_int_eq(rm, INTEL);
  ck_assert_int_eq(kf_rsqrt_mode_from_name("sqrt-div", &rm), KF_OK);
  ck_assert_int_eq(rm, DIV);
  ck_assert_int_eq(kf_rsqrt_mode_from_name("amd", &rm), KF_EINVAL);
  ck_assert_ptr_null(kf_rsqrt_mode_name((kf_rsqrt_mode)5));
}
END_TEST

/* ---- rsqrt ------------------------------------------------------------------------ */

/* kf__rsqrt_estimate_intel against rsqrtss on an Intel CPU (the estimate is
 * the vendor's: AMD's differs, and there is nothing to compare with
 * elsewhere). Every float32 with KEYFOLD_EXHAUSTIVE=1 (about 10 s), else
 * every 4099th and all of [0.5, 2). */
START_TEST(rsqrt_estimate_is_intels) {
#ifdef HAVE_X86
  unsigned eax, ebx, ecx, edx;
  char vendor[13] = {0};
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
  memcpy(vendor, &ebx, 4);
  memcpy(vendor + 4, &edx, 4);
  memcpy(vendor + 8, &ecx, 4);
  if (strcmp(vendor, "GenuineIntel") != 0) {
    printf("test_gamma: rsqrt emulation not checked: %s is not an Intel CPU\n", vendor);
    return;
  }
  const int every = getenv("KEYFOLD_EXHAUSTIVE") != NULL;
  uint64_t checked = 0, bad = 0;
  for (uint64_t b = 0; b <= 0xFFFFFFFFu; b += every ? 1 : 4099) {
    for (int pass = 0; pass < 2; pass++) {
      const uint32_t u = pass ? (uint32_t)(0x3F000000u + (b & 0xFFFFFFu)) : (uint32_t)b;
      if (pass && (every || b > 0xFFFFFFu)) break;
      float x, hw, sw;
      memcpy(&x, &u, 4);
      hw = _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x)));
      sw = kf__rsqrt_estimate_intel(x);
      checked++;
      if (memcmp(&hw, &sw, 4) != 0 && bad++ < 5) {
        uint32_t h, s;
        memcpy(&h, &hw, 4);
        memcpy(&s, &sw, 4);
        printf("rsqrt estimate of %08x: rsqrtss %08x, keyfold %08x\n", u, h, s);
      }
    }
  }
  printf("test_gamma: rsqrt estimate equal to rsqrtss on %llu inputs\n", (unsigned long long)checked);
  ck_assert_uint_eq(bad, 0);
#endif
}
END_TEST

START_TEST(rsqrt_modes) {
  /* sqrt-div is 1 / sqrtf exactly; intel-nr2 is within 1 ulp of it (two
   * Newton steps from a 12-bit estimate) and keeps the estimate for the
   * specials. */
  for (float x = 0.5f; x < 100.0f; x *= 1.0009f) {
    ck_assert(kf__xla_rsqrtf(x, DIV) == 1.0f / sqrtf(x));
    const float y = kf__xla_rsqrtf(x, INTEL), r = 1.0f / sqrtf(x);
    ck_assert_msg(fabsf(y - r) <= 2 * (nextafterf(r, INFINITY) - r), "rsqrt(%a) = %a", (double)x, (double)y);
  }
  ck_assert(isinf(kf__xla_rsqrtf(0.0f, INTEL)));
  ck_assert(kf__xla_rsqrtf(INFINITY, INTEL) == 0.0f);
  ck_assert(isnan(kf__xla_rsqrtf(-1.0f, INTEL)));
}
END_TEST

/* The per-lane-key threefry kernel behind gamma's lanes: every instruction
 * set against kf_threefry2x32, at every length up to 300 (tails included). */
START_TEST(hash_keys_kernel) {
  uint32_t k0[300], k1[300], y0[300], y1[300];
  for (uint32_t t = 0; t < 300; t++) {
    k0[t] = t * 0x9E3779B9u + 7;
    k1[t] = t * 0x85EBCA6Bu ^ 0xDEADBEEFu;
  }
  for (int isa = 0; isa < KF__ISA_COUNT; isa++) {
    if (!kf__isa_usable((kf__isa)isa)) continue;
    for (size_t len = 0; len <= 300; len += (len < 70) ? 1 : 23) {
      kf__k_hash_keys((kf__isa)isa, k0, k1, 3, 0xFFFFFFFFu, len, y0, y1);
      for (size_t t = 0; t < len; t++) {
        uint32_t y[2];
        kf_threefry2x32(k0[t], k1[t], 3, 0xFFFFFFFFu, y);
        ck_assert_msg(y[0] == y0[t] && y[1] == y1[t], "%s, len %zu, lane %zu", kf__isa_name((kf__isa)isa), len, t);
      }
    }
  }
}
END_TEST

static Suite *suite(void) {
  Suite *s = suite_create("gamma");
  TCase *tc = tcase_create("laws");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, gamma_);
  tcase_add_test(tc, loggamma);
  tcase_add_test(tc, beta);
  tcase_add_test(tc, chisquare);
  tcase_add_test(tc, t);
  tcase_add_test(tc, f);
  tcase_add_test(tc, generalized_normal);
  tcase_add_test(tc, dirichlet);
  tcase_add_test(tc, ball);
  suite_add_tcase(s, tc);
  TCase *tj = tcase_create("contract");
  tcase_set_timeout(tj, 600);
  tcase_add_test(tj, jax_random_test_values);
  tcase_add_test(tj, parameters_and_errors);
  tcase_add_test(tj, rsqrt_estimate_is_intels);
  tcase_add_test(tj, rsqrt_modes);
  tcase_add_test(tj, hash_keys_kernel);
  suite_add_tcase(s, tj);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
