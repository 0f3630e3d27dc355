/* keyfold — jax.random samplers in float32, exactly as XLA:CPU computes them
 * (spec: jax-random.md §8–§13, xla-numerics.md Part B).
 *
 * Every sampler takes the element count n of the requested shape (1 for a
 * scalar: element j of a draw never depends on the total shape in
 * partitionable mode) and writes n values to a caller-owned buffer. They are
 * pure functions. Each returns KF_EINVAL for a NULL output with n > 0 or an
 * unknown mode, and KF_EOVERFLOW for n > KF_MAX_ELEMENTS. uniform,
 * truncated_normal and bernoulli also refuse a NaN parameter (KF_EINVAL).
 *
 * Distribution parameters (pareto, weibull_min, rayleigh, geometric,
 * triangular, lognormal, double_sided_maxwell) are float32 and per element,
 * each passed as a pointer and a count (p, p_n):
 *   - p_n = 1 and n > 1: one value broadcast to every element. XLA computes a
 *     broadcast parameter differently from an array of the output's shape
 *     (it folds divisions by it into one reciprocal, multiplications by a
 *     constant into it), and these samplers do as it does for a parameter
 *     JAX receives as a scalar (shape ()) or broadcasts from shape (1,).
 *   - p_n = n: element i takes p[i], as JAX computes a parameter array of
 *     the output's shape (also what a single element, n = 1, computes).
 * Any other p_n, or p NULL with p_n > 0, is KF_EINVAL. A parameter that JAX
 * broadcasts from another shape (e.g. (5,) into (3, 5)) is the caller's to
 * expand to n values, which then compute as an array of the output's shape:
 * XLA's reciprocal of a partly broadcast divisor can make such results differ
 * from jaxlib's in the last bits (docs/libkeyfold.md). Parameters are never
 * refused: a NaN or out-of-domain one gives what JAX's formula gives (NaN,
 * infinities, or JAX's float-to-int conversion for geometric), as XLA:CPU
 * computes it with denormals read and written as zero.
 *
 * Which jaxlib each sampler is bit-exact with: README "Numerics".
 */
#ifndef KEYFOLD_RANDOM_H
#define KEYFOLD_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "keyfold/prng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* jax.random.uniform(key, shape, float32, minval, maxval): fma(f, hi - lo, lo)
 * clamped below by lo. Returns KF_EINVAL for a non-finite bound. */
int kf_random_uniform(kf_key key, kf_threefry_mode mode, size_t n, float minval, float maxval,
                      float *out);

/* The same for float64 (x64 mode): 52 mantissa bits from 64-bit draws.
 * Returns KF_EINVAL for a non-finite bound. */
int kf_random_uniform_f64(kf_key key, kf_threefry_mode mode, size_t n, double minval,
                          double maxval, double *out);

/* jax.random.normal(key, shape, float32). */
int kf_random_normal(kf_key key, kf_threefry_mode mode, size_t n, float *out);

/* jax.random.truncated_normal(key, lower, upper, shape, float32). Infinite
 * bounds are allowed; NaN bounds are KF_EINVAL. */
int kf_random_truncated_normal(kf_key key, kf_threefry_mode mode, size_t n, float lower,
                               float upper, float *out);

/* jax.random.bernoulli(key, p, shape) with mode='low': uniform < p.
 * Writes 0 or 1 per element. p outside [0, 1] needs no special case. */
int kf_random_bernoulli(kf_key key, kf_threefry_mode mode, size_t n, float p, uint8_t *out);

/* jax.random.randint(key, shape, minval, maxval, int32).
 * The bounds are taken as 64-bit integers and JAX's x64 rule applies to those
 * outside the int32 range (clipping, and maxval > INT32_MAX widening the span
 * by one; jax-random.md §12). Callers that want JAX's default (x64 off)
 * behaviour reject such bounds before calling. maxval <= minval yields minval. */
int kf_random_randint(kf_key key, kf_threefry_mode mode, size_t n, int64_t minval, int64_t maxval,
                      int32_t *out);

/* jax.random.randint(..., dtype=int64) with x64 on: 64-bit draws. */
int kf_random_randint64(kf_key key, kf_threefry_mode mode, size_t n, int64_t minval,
                        int64_t maxval, int64_t *out);

/* jax.random.permutation(key, n): a permutation of 0..n-1 by ceil(3 ln n /
 * ln(2^32-1)) rounds of stable sorting on random 32-bit keys. n must be at
 * most INT32_MAX (KF_ERANGE otherwise). Allocates scratch memory internally
 * (KF_ENOMEM if that fails). */
int kf_random_permutation(kf_key key, kf_threefry_mode mode, size_t n, int32_t *out);

/* Per-element parameters
 *
 * The samplers above with each parameter given as an array of p_n values:
 * p_n == 1 (every element takes p[0]) or p_n == n (element j takes p[j]),
 * which is what jax.random computes for a parameter array broadcast to the
 * shape (the caller broadcasts). Element j is bit for bit what the scalar
 * function gives at element j of the same n-element draw with p[j]; with one
 * value per parameter these are the scalar functions. KF_EINVAL also for a
 * p_n that is neither 1 nor n (or a NULL array with p_n > 0), checked before
 * anything is written; the scalar functions' other errors likewise. */

/* jax.random.uniform with minval/maxval arrays. */
int kf_random_uniform_p(kf_key key, kf_threefry_mode mode, size_t n, const float *minval,
                        size_t minval_n, const float *maxval, size_t maxval_n, float *out);

/* jax.random.truncated_normal with lower/upper arrays. */
int kf_random_truncated_normal_p(kf_key key, kf_threefry_mode mode, size_t n, const float *lower,
                                 size_t lower_n, const float *upper, size_t upper_n, float *out);

/* jax.random.bernoulli(key, p, shape) (mode='low') with a p array. */
int kf_random_bernoulli_p(kf_key key, kf_threefry_mode mode, size_t n, const float *p, size_t p_n,
                          uint8_t *out);

/* jax.random.bernoulli(key, p, shape, mode='high'): u1, u2 = uniform(key,
 * (2, *shape)); u2 * 2^-23 < p - u1. Draws 2n elements (KF_EOVERFLOW when
 * 2n is over KF_MAX_ELEMENTS or a legacy draw's limit). */
int kf_random_bernoulli_high_p(kf_key key, kf_threefry_mode mode, size_t n, const float *p,
                               size_t p_n, uint8_t *out);

/* jax.random.randint(key, shape, minval, maxval, int32) with bound arrays
 * (each element under kf_random_randint's rules for 64-bit bounds). */
int kf_random_randint_p(kf_key key, kf_threefry_mode mode, size_t n, const int64_t *minval,
                        size_t minval_n, const int64_t *maxval, size_t maxval_n, int32_t *out);

/* ---- samplers built on one uniform (xla-numerics.md §B.1) -------------- */

/* jax.random.exponential(key, shape): -log1p(-u), u uniform in [0, 1). */
int kf_random_exponential(kf_key key, kf_threefry_mode mode, size_t n, float *out);

/* jax.random.gumbel's modes (jax 0.10.2; mode=None is "low" unless
 * jax_high_dynamic_range_gumbel is set). */
typedef enum kf_gumbel_mode {
  KF_GUMBEL_LOW = 0,    /* -log(-log(u)), u uniform in [2^-126, 1) */
  KF_GUMBEL_HIGH = 1,   /* two uniforms (shape (2,) + shape) for 46 bits near 0 */
  KF_GUMBEL_HIGHEST = 2 /* 64 random bits as a float in (0, 1) (jax >= 0.10) */
} kf_gumbel_mode;

/* Static name ("low", "high", "highest"), NULL for an unknown value. */
const char *kf_gumbel_mode_name(kf_gumbel_mode gmode);

/* Looks a gumbel mode up by name. Returns KF_EINVAL for an unknown name. */
int kf_gumbel_mode_from_name(const char *name, kf_gumbel_mode *out);

/* jax.random.gumbel(key, shape, mode=gmode). Returns KF_EINVAL for an unknown
 * gmode. The high modes draw 2n 32-bit values (shape (2,) + shape), and
 * KF_EOVERFLOW applies to that count. */
int kf_random_gumbel(kf_key key, kf_threefry_mode mode, size_t n, kf_gumbel_mode gmode,
                     float *out);

/* jax.random.laplace(key, shape): sign(u) * log1p(-|u|), u uniform in
 * [-1 + 2^-24, 1). */
int kf_random_laplace(kf_key key, kf_threefry_mode mode, size_t n, float *out);

/* jax.random.logistic(key, shape) with jax >= 0.7's formula:
 * log(u) - log1p(-u), u uniform in [2^-126, 1). */
int kf_random_logistic(kf_key key, kf_threefry_mode mode, size_t n, float *out);

/* jax.random.cauchy(key, shape): tan(pi * (u - 0.5)), u uniform in
 * [2^-23, 1), tan as the C library's tanf (what jaxlib >= 0.7.1 calls). */
int kf_random_cauchy(kf_key key, kf_threefry_mode mode, size_t n, float *out);

/* jax.random.pareto(key, b, shape): exp(e / b), e exponential. */
int kf_random_pareto(kf_key key, kf_threefry_mode mode, size_t n, const float *b, size_t b_n,
                     float *out);

/* jax.random.weibull_min(key, scale, concentration, shape):
 * powf(-log1p(-u), 1 / concentration) * scale, powf the C library's. */
int kf_random_weibull_min(kf_key key, kf_threefry_mode mode, size_t n, const float *scale,
                          size_t scale_n, const float *concentration, size_t concentration_n,
                          float *out);

/* jax.random.rayleigh(key, scale, shape): scale * sqrt(log(u) * -2). */
int kf_random_rayleigh(kf_key key, kf_threefry_mode mode, size_t n, const float *scale,
                       size_t scale_n, float *out);

/* jax.random.geometric(key, p, shape) with float32 p and int32 output:
 * floor(log(u) / log1p(-p)) + 1 with u = 0 taken as 1 (jax 0.10.2; jax 0.6.2
 * gives INT32_MAX there), converted as XLA converts float to int32 (NaN to
 * 0, out of range to the nearest bound). */
int kf_random_geometric(kf_key key, kf_threefry_mode mode, size_t n, const float *p, size_t p_n,
                        int32_t *out);

/* jax.random.triangular(key, left, mode, right, shape); peak is JAX's
 * `mode` (the distribution's mode, not the threefry mode). */
int kf_random_triangular(kf_key key, kf_threefry_mode mode, size_t n, const float *left,
                         size_t left_n, const float *peak, size_t peak_n, const float *right,
                         size_t right_n, float *out);

/* ---- samplers built on normals (xla-numerics.md §B.2) ------------------- */

/* jax.random.lognormal(key, sigma, shape): exp(normal * sigma). */
int kf_random_lognormal(kf_key key, kf_threefry_mode mode, size_t n, const float *sigma,
                        size_t sigma_n, float *out);

/* jax.random.maxwell(key, shape): the norm of 3 normals, drawn as
 * normal(key, shape + (3,)); KF_EOVERFLOW applies to those 3n values. The
 * sum of squares rounds as jaxlib 0.10.2 rounds it, which depends on n
 * (docs/libkeyfold.md "Distributions"). */
int kf_random_maxwell(kf_key key, kf_threefry_mode mode, size_t n, float *out);

/* jax.random.double_sided_maxwell(key, loc, scale, shape):
 * sign * maxwell * scale + loc with the key split in two (maxwell, then
 * rademacher). JAX's output shape is shape + the parameters' broadcast shape
 * (the parameters' own shape when shape is ()), parameters broadcast along
 * its trailing axes: n counts that whole shape. */
int kf_random_double_sided_maxwell(kf_key key, kf_threefry_mode mode, size_t n, const float *loc,
                                   size_t loc_n, const float *scale, size_t scale_n, float *out);

/* ---- discrete ----------------------------------------------------------- */

/* jax.random.rademacher(key, shape) with int32 output: -1 or 1 with
 * probability 1/2 each (2 * bernoulli(key, 0.5) - 1). */
int kf_random_rademacher(kf_key key, kf_threefry_mode mode, size_t n, int32_t *out);

/* ---- gamma and the samplers built on it (xla-numerics.md §B.3) --------- */

/* How XLA:CPU computes rsqrt, which gamma's c = (1/3) / sqrt(d) becomes
 * (§A.7). The two forms differ in the last bit on about 30% of inputs, and
 * a rejection sampler carries that into its draws. */
typedef enum kf_rsqrt_mode {
  /* 1 / sqrtf(x): jaxlib <= 0.7.0 (the Flax 0.10 era's jaxlib 0.6.2) on any
   * CPU, and later jaxlib on hosts without AVX (ARM, Apple). */
  KF_RSQRT_SQRT_DIV = 0,
  /* Intel's rsqrtps estimate (emulated in software, so any CPU gives these
   * bits) refined by two Newton steps: jaxlib >= 0.7.1 (0.10.2 for Flax
   * 0.11/0.12) on Intel x86-64 with AVX. AMD's estimate differs and jaxlib
   * >= 0.7.2 takes one step there: not reproduced. */
  KF_RSQRT_INTEL_NR2 = 1
} kf_rsqrt_mode;

/* Static name ("sqrt-div", "intel-nr2"), NULL for an unknown value. */
const char *kf_rsqrt_mode_name(kf_rsqrt_mode rmode);

/* Looks an rsqrt mode up by name. Returns KF_EINVAL for an unknown name. */
int kf_rsqrt_mode_from_name(const char *name, kf_rsqrt_mode *out);

/* The samplers below take the rsqrt mode after the threefry mode, return
 * KF_EINVAL for an unknown one, follow the (p, p_n) convention above for
 * their parameters, and in legacy mode also KF_EOVERFLOW when split(key, n)
 * needs 2^32 - 1 words or more. Their run time depends on the draws (a
 * rejection loop per element). */

/* jax.random.gamma(key, a, shape): split(key, n) gives each element its own
 * key and Marsaglia-Tsang rejection loop; a < 1 is boosted to a + 1 and the
 * draw multiplied by powf(1 - u, 1 / a). a = 0 gives 0, a NaN gives NaN, a
 * negative a gives NaN (d < 0). */
int kf_random_gamma(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                    const float *a, size_t a_n, float *out);

/* jax.random.loggamma(key, a, shape): the log of gamma's draw computed in
 * log space (log(d) + log(V) + log1p(-u) / a), the same keys. */
int kf_random_loggamma(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                       const float *a, size_t a_n, float *out);

/* jax.random.beta(key, a, b, shape): two loggammas from split(key), then
 * exp(la - m) / (exp(la - m) + exp(lb - m)), m = max(la, lb). */
int kf_random_beta(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                   const float *a, size_t a_n, const float *b, size_t b_n, float *out);

/* jax.random.dirichlet(key, alpha, (n,)) with alpha the k concentrations:
 * writes n rows of k (n * k values, KF_EOVERFLOW applying to n * k), the
 * softmax of loggamma(key, alpha, (n, k)) along each row. */
int kf_random_dirichlet(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                        const float *alpha, size_t k, float *out);

/* jax.random.chisquare(key, df, shape): exp(loggamma(key, df * 0.5)) * 2. */
int kf_random_chisquare(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                        const float *df, size_t df_n, float *out);

/* jax.random.t(key, df, shape): normal * sqrt(h / gamma(h)), h = df * 0.5,
 * the normal and the gamma from split(key). */
int kf_random_t(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                const float *df, size_t df_n, float *out);

/* jax.random.f(key, dfnum, dfden, shape): the ratio of two chisquares over
 * their degrees of freedom, computed as XLA rewrites it. */
int kf_random_f(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                const float *dfnum, size_t dfnum_n, const float *dfden, size_t dfden_n,
                float *out);

/* jax.random.generalized_normal(key, p, shape): sign * g ** (1 / p) with
 * g = gamma(1 / p), the sign from rademacher; powf is the C library's. */
int kf_random_generalized_normal(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                                 const float *p, size_t p_n, float *out);

/* jax.random.ball(key, d, p, (n,)): n points of the unit Lp ball in d
 * dimensions (n * d values): generalized_normal(p, (n, d)) over
 * (sum |g| ** p + exponential) ** (1 / p) per row. */
int kf_random_ball(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n, size_t d,
                   float p, float *out);
/* ---- wald, poisson, binomial, multinomial, categorical, choice ----------
 * (discrete.c; jax 0.10.2's algorithms, xla-numerics.md §B.4–§B.6). Loops
 * draw whole arrays per iteration as JAX does, so these allocate scratch
 * memory (KF_ENOMEM if that fails); parameters follow the (p, p_n)
 * convention above. */

/* jax.random.wald(key, mean, shape): k1, k2 = split(key), a normal from k1
 * and a uniform from k2 per element. */
int kf_random_wald(kf_key key, kf_threefry_mode mode, size_t n, const float *mean, size_t mean_n,
                   float *out);

/* jax.random.poisson(key, lam, shape) with int32 output: Knuth's loop for
 * lam < 10 or NaN, Hörmann's PTRS otherwise, both from key; lam = 0 gives 0,
 * a negative or NaN lam -1. JAX implements it for threefry keys only, in
 * both threefry modes. */
int kf_random_poisson(kf_key key, kf_threefry_mode mode, size_t n, const float *lam, size_t lam_n,
                      int32_t *out);

/* jax.random.binomial(key, n, p, shape) with float32 output: inversion for
 * count * min(p, 1 - p) <= 10, BTRS otherwise, both from key; NaN for a
 * NaN or negative count or a p outside [0, 1], inf for an infinite count. */
int kf_random_binomial(kf_key key, kf_threefry_mode mode, size_t n, const float *count,
                       size_t count_n, const float *p, size_t p_n, float *out);

/* jax.random.multinomial(key, n, p, shape=(batch..., k)) with float32
 * counts: batch rows of k categories, out[b * k + j]. count has count_n = 1
 * or batch values, p has k values (one row for every batch row) or
 * batch * k. The keys are split(key, k), category j's counts binomial(
 * keys[j], remaining, p_j / (sum of p_j..p_k-1)) as JAX's scan draws them. */
int kf_random_multinomial(kf_key key, kf_threefry_mode mode, size_t batch, size_t k,
                          const float *count, size_t count_n, const float *p, size_t p_n,
                          float *out);

/* jax.random.categorical(key, logits, axis, shape, replace, mode) with the
 * logits as an array of shape (outer, k, inner): k categories along the
 * axis, outer and inner the products of the dimensions before and after it
 * (already broadcast to the batch shape); prefix is the product of the
 * leading dimensions of `shape` that the logits do not have. The output has
 * shape (prefix, outer, inner): prefix * outer * inner int32 indices in
 * [0, k). replace draws gumbel(key, (prefix, outer, k, inner), mode) and
 * takes argmax(g + logits) (a NaN wins, the first index on ties); replace
 * == 0 adds gumbel(key, (outer, k, inner)) and takes the first prefix
 * indices of top_k along the axis (prefix <= k, else KF_EINVAL). */
int kf_random_categorical(kf_key key, kf_threefry_mode mode, const float *logits, size_t outer,
                          size_t k, size_t inner, size_t prefix, int replace,
                          kf_gumbel_mode gmode, int32_t *out);

/* jax.random.choice(key, a, shape, replace, p, mode) for an integer a =
 * n_inputs (indices 0..n_inputs-1; for an array a the caller takes its
 * slices along the axis by these indices): n_draws = prod(shape) indices.
 * p NULL: randint(key, shape, 0, n) with replacement, permutation(key,
 * n)[:n_draws] without; p (n_inputs values): searchsorted(cumsum(p),
 * cumsum(p)[-1] * (1 - uniform)) with replacement, top_k(gumbel(key, (n,),
 * mode) + log(p), n_draws) without (gmode only matters there). KF_EINVAL
 * for n_inputs == 0 or, without replacement, n_draws > n_inputs. */
int kf_random_choice(kf_key key, kf_threefry_mode mode, size_t n_inputs, size_t n_draws,
                     int replace, const float *p, kf_gumbel_mode gmode, int32_t *out);

/* ---- samplers that factor a matrix (linalg.c; xla-numerics.md §B.2) -----
 * jaxlib factors with LAPACK from SciPy (OpenBLAS) and multiplies with
 * XLA's dot; these follow OpenBLAS's unblocked algorithms in float32 and
 * the summation orders that were measured: bit for bit where those are
 * reproduced (multivariate_normal for n = 2..5, orthogonal 2 x 2), else
 * differing in the last bits (docs/libkeyfold.md "multivariate_normal,
 * orthogonal" gives the measured figures). They allocate scratch memory
 * (KF_ENOMEM if that fails). */

/* multivariate_normal's method argument. */
typedef enum kf_mvn_method {
  KF_MVN_CHOLESKY = 0, /* JAX's default */
  KF_MVN_SVD = 1,
  KF_MVN_EIGH = 2
} kf_mvn_method;

/* Static name ("cholesky", "svd", "eigh"), NULL for an unknown value. */
const char *kf_mvn_method_name(kf_mvn_method method);

/* Looks a method up by name. Returns KF_EINVAL for an unknown name. */
int kf_mvn_method_from_name(const char *name, kf_mvn_method *out);

/* jax.random.multivariate_normal(key, mean, cov, shape=(batch,)) with
 * method 'cholesky': batch rows of n values, out[b * n + i] = mean[i] +
 * (L @ z_b)[i] with L the lower Cholesky factor of (cov + cov^T) / 2 and z =
 * normal(key, (batch, n)). mean has mean_n = n values (one row for every
 * batch row) or batch * n; cov n * n (one matrix) or batch * n * n (the
 * caller broadcasts other batch shapes). A covariance that is not positive
 * definite gives NaN rows, as JAX does; no error. KF_EUNSUPPORTED for
 * KF_MVN_SVD and KF_MVN_EIGH (LAPACK's eigenvector signs and order decide
 * their samples), after the other checks. */
int kf_random_multivariate_normal(kf_key key, kf_threefry_mode mode, kf_mvn_method method,
                                  size_t batch, size_t n, const float *mean, size_t mean_n,
                                  const float *cov, size_t cov_n, float *out);

/* jax.random.orthogonal(key, n, shape=(batch,), m=m): batch n x m matrices
 * (row-major, batch * n * m values) with orthonormal columns (n >= m) or
 * rows (n < m): z = normal(key, (batch, max(n, m), min(n, m))), q, r =
 * qr(z) by Householder reflections, q * sign(diag(r)), transposed when
 * n < m. n or m 0 writes nothing. */
int kf_random_orthogonal(kf_key key, kf_threefry_mode mode, size_t batch, size_t n, size_t m,
                         float *out);

#ifdef __cplusplus
}
#endif

#endif
