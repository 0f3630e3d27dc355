/* keyfold — the float32 primitives the samplers share between their scalar
 * and vector forms (special.c); not installed. The tests reach them through
 * testing.h. */
#ifndef KEYFOLD_SPECIAL_H
#define KEYFOLD_SPECIAL_H

#include <stdint.h>

/* The float in [0, 1) that uniform builds from 32 random bits (§8). */
float kf__unit_float(uint32_t bits);

/* erf_inv as the StableHLO expansion (§13.2), float32 step by step. */
float kf__erf_inv_f32(float x);

/* erf as XLA:CPU computes truncated_normal's erf(bound / sqrt2) under
 * jaxlib 0.10.2 (§13.3's rational, ±1 from |x| >= 3.7439213, measured). */
float kf__erf_f32(float x);

/* lax.nextafter(from, toward) under XLA:CPU's denormals-are-zero: a
 * denormal result is the zero of its sign (truncated_normal's clip bounds). */
float kf__nextafter_daz(float from, float toward);

/* truncated_normal's clip min(hi, max(lo, v)) with XLA's float max and min:
 * on a tie the left operand (lo, hi) wins, which decides the sign of a zero
 * result; a NaN v stays NaN. */
static inline float kf__tn_clip(float v, float lo, float hi) {
  v = (lo >= v) ? lo : v;
  return (hi <= v) ? hi : v;
}

/* The samplers built on one uniform that have vector kernels, one value
 * from 32 random bits each, as jaxlib 0.10.2 computes them (xla-numerics.md
 * §B.1; the logs are XLA's, xla_math.h):
 *   exponential  -log1p(-u), u = uniform [0, 1)
 *   gumbel       -log(-log(u)), u = uniform [tiny, 1) (mode "low")
 *   laplace      sign(u) * log1p(-|u|), u = uniform [-1 + 2^-24, 1)
 *   logistic     log(u) - log1p(-u), u = uniform [tiny, 1) (jax >= 0.7)
 * tiny = 2^-126. The vector forms (simd_kernels.c) repeat them lane by lane. */
float kf__exponential_f32(uint32_t bits);
float kf__gumbel_f32(uint32_t bits);
float kf__laplace_f32(uint32_t bits);
float kf__logistic_f32(uint32_t bits);

/* A triangle of jax.random.triangular: left l, right r and, computed from
 * them as XLA does, w = r - l, ml = mode - l, rm = r - mode and fc (the CDF
 * at the mode: ml / w, or ml * (1 / w) for broadcast bounds). */
typedef struct {
  float l, r, w, ml, rm, fc;
} kf__triangle;

/* triangular's value for u (uniform [0, 1)): below fc,
 * l + sqrt(u * w * ml), else r - sqrt((1 - u) * w * rm), each product in
 * that order, denormals as zero. */
float kf__triangular_f32(float u, const kf__triangle *tri);

/* k1, k2 = split(key); v = normal(k1), z = uniform(k2), y = v * v;
 * x = mean + mean^2 * y / 2 - mean / 2 * sqrt(4 * mean * y + mean^2 * y^2);
 * z <= mean / (mean + x) ? x : mean^2 / x. The divisions by 2 are
 * multiplications by 0.5 (XLA's A / C rewrite, exact), and the sums fuse
 * the products as XLA:CPU's loop emitter does (xla-numerics.md §A.3).
 * m is the mean as XLA reads it (a denormal flushed), v the normal, z the
 * uniform. */
float kf__wald_f32(float m, float v, float z);

/* uniform's bounds for those samplers: laplace's low bound -1 + 2^-24 (its
 * span 1 - lo rounds to 2), and tiny. */
#define KF__LAPLACE_LO (-0x1.fffffep-1f)
#define KF__TINY 0x1p-126f

/* StableHLO's erf_inv coefficients (Giles 2010, c0 first) for w < 5 and
 * w >= 5 (jax-random.md §13.2); shared by the scalar and vector forms. */
extern const float kf__erf_inv_small[9];
extern const float kf__erf_inv_large[9];

#endif
