/* The statistics of the distribution tests (test_distributions.c,
 * test_gamma.c): sorting 10^6 draws, moments within 5 standard errors,
 * Kolmogorov-Smirnov and chi-square at the 0.1% level. Each test program
 * includes it once, after defining N (the draws per check) and
 * STATS_PREFIX (its name, for the printed figures). */
#ifndef KEYFOLD_TESTS_STATS_H
#define KEYFOLD_TESTS_STATS_H

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- statistics ------------------------------------------------------------ */

/* Work buffers, allocated once: a fresh mapping of several megabytes per
 * check costs more page faults than the statistics cost arithmetic. */
static uint32_t g_a[N], g_b[N];
static double g_sorted[N];
static float g_draws[N];

/* The draws as doubles, sorted (into g_sorted): a radix sort of their bits
 * mapped to unsigned integers in the floats' order (three passes of 11
 * bits). */
static inline double *sorted(const float *v, size_t n) {
  uint32_t *a = g_a, *b = g_b;
  double *d = g_sorted;
  size_t not_finite = 0;
  for (size_t i = 0; i < n; i++) {
    not_finite += !isfinite(v[i]); /* a ck_assert per value would be a write() each */
    uint32_t u;
    memcpy(&u, &v[i], sizeof u);
    a[i] = (u & 0x80000000u) ? ~u : u | 0x80000000u;
  }
  ck_assert_uint_eq(not_finite, 0);
  for (int shift = 0; shift < 33; shift += 11) {
    size_t count[2049] = {0};
    for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 0x7FFu) + 1]++;
    for (int k = 0; k < 2048; k++) count[k + 1] += count[k];
    for (size_t i = 0; i < n; i++) b[count[(a[i] >> shift) & 0x7FFu]++] = a[i];
    uint32_t *t = a;
    a = b, b = t;
  }
  for (size_t i = 0; i < n; i++) {
    const uint32_t u = (a[i] & 0x80000000u) ? a[i] & 0x7FFFFFFFu : ~a[i];
    float f;
    memcpy(&f, &u, sizeof f);
    d[i] = f;
  }
  return d;
}

/* Mean within 5 standard errors of mu (sd the law's standard deviation);
 * variance within 5 standard errors, the error of the mean square deviation
 * estimated from the draws' own fourth moment about mu. */
static inline void check_moments(const char *what, const double *x, size_t n, double mu, double var) {
  double s1 = 0, s2 = 0, s4 = 0;
  for (size_t i = 0; i < n; i++) {
    const double d = x[i] - mu;
    s1 += d;
    s2 += d * d;
    s4 += d * d * d * d;
  }
  const double mean = mu + s1 / (double)n, m2 = s2 / (double)n, m4 = s4 / (double)n;
  const double tol_mean = 5.0 * sqrt(var / (double)n);
  const double tol_var = 5.0 * sqrt((m4 - m2 * m2) / (double)n);
  printf(STATS_PREFIX "%-28s mean %.6f (exact %.6f, tol %.1e), variance %.6f (exact %.6f, "
         "tol %.1e)\n", what, mean, mu, tol_mean, m2, var, tol_var);
  ck_assert_msg(fabs(mean - mu) <= tol_mean, "%s: mean %.8f, exact %.8f", what, mean, mu);
  ck_assert_msg(fabs(m2 - var) <= tol_var, "%s: variance %.8f, exact %.8f", what, m2, var);
}

/* Kolmogorov-Smirnov: D = sup |F_n - F| over the sorted draws, below the
 * 0.1% critical value 1.9495 / sqrt(n). */
static inline void check_ks(const char *what, const double *x, size_t n, double (*cdf)(double, const double *),
                     const double *prm) {
  double d = 0;
  for (size_t i = 0; i < n; i++) {
    const double f = cdf(x[i], prm);
    const double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
    if (lo > d) d = lo;
    if (hi > d) d = hi;
  }
  const double crit = 1.9495 / sqrt((double)n);
  printf(STATS_PREFIX "%-28s KS D = %.6f (critical %.6f)\n", what, d, crit);
  ck_assert_msg(d < crit, "%s: KS statistic %.6f >= %.6f", what, d, crit);
}

/* Pearson's chi-square over counts against expected ones, below the 0.1%
 * critical value crit of its degrees of freedom. */
static inline void check_chi2(const char *what, const double *obs, const double *exp, size_t bins, double crit) {
  double chi2 = 0;
  for (size_t b = 0; b < bins; b++) chi2 += (obs[b] - exp[b]) * (obs[b] - exp[b]) / exp[b];
  printf(STATS_PREFIX "%-28s chi-square %.2f over %zu bins (critical %.2f)\n", what, chi2, bins,
         crit);
  ck_assert_msg(chi2 < crit, "%s: chi-square %.2f >= %.2f", what, chi2, crit);
}

static inline float *draws(void) { return g_draws; }

#endif
