/* keyfold — jax.random samplers in float32, exactly as XLA:CPU computes them
 * (spec: jax-random.md §8–§13).
 *
 * Every sampler takes the element count n of the requested shape (1 for a
 * scalar: element j of a draw never depends on the total shape in
 * partitionable mode) and writes n values to a caller-owned buffer. They are
 * pure functions. Each returns KF_EINVAL for a NULL output with n > 0, an
 * unknown mode or a NaN parameter, and KF_EOVERFLOW for n > KF_MAX_ELEMENTS.
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

#ifdef __cplusplus
}
#endif

#endif
