/* keyfold — jax.nn's elementwise functions and softmax as XLA:CPU computes
 * them in float32 (functions.c): softmax, log_softmax, elu, leaky_relu,
 * softplus, gelu(approximate=False), with XLA's own exp, log, log1p, expm1
 * and erfc. Pure computation on caller-owned buffers; not installed.
 * docs/layer-numerics.md states each function's formula, its fixed order of
 * operations and its measured distance from JAX and from float64. */
#ifndef KEYFOLD_FUNCTIONS_H
#define KEYFOLD_FUNCTIONS_H

#include <stddef.h>

#include "keyfold/rngs.h"
#include "simd.h"

/* What the era (keyfold/rngs.h: the jaxlib of that Flax) changes here,
 * measured on both:
 *  - a division by a broadcast divisor (a scalar, or one value per row as
 *    softmax's u / sum): jaxlib 0.6.2 (KF_FLAX_0_10) divides each element,
 *    jaxlib 0.10.2 (KF_FLAX_0_11: Flax 0.11/0.12) multiplies each element by
 *    the reciprocal 1 / d rounded to float32 (as forward.c's dropout);
 *  - log1p's rational branch (softplus): jaxlib 0.6.2 fuses A * r into its
 *    sum (xla_math.c), jaxlib 0.10.2 does not (kf__xla_log1pf). */

/* A sum over up to KF__SUM_MAX_DIMS axes (sizes size[0..ndims), outer to
 * inner; element (i_0, ..., i_k) at x[i_0 * stride[0] + ...]) in the order
 * of XLA:CPU's tree-reduction rewrite (xla/service/tree_reduction_rewriter,
 * window 32), the order of jaxlib 0.6.2 for every shape:
 *  - if no axis is longer than 32, one float32 chain from +0 over the
 *    elements in row-major order;
 *  - else each axis is cut into windows of min(size, 32) (padded with zeros
 *    to a whole number of windows, floor(padding / 2) of them in front),
 *    each window summed as one chain from +0 in row-major order, and the
 *    window sums, an array of ceil(size / window) per axis, summed by the
 *    same rule (recursively).
 * jaxlib 0.10.2 (era KF_FLAX_0_11) sums so only reductions whose input
 * (the whole array reduced, `total` values) has fewer than 4096 values.
 * From 4096 it sums with a vector of 16 accumulators: lane i the chain
 * from +0 over elements i, i + 16, i + 32, ... in order, the lanes then
 * combined by halving (l_i + l_{i+8}, then i + 4, i + 2, i + 1). keyfold
 * reproduces that for one contiguous axis (stride 1) of at most 80 values,
 * where it was measured; other shapes keep the tree order (bounded,
 * docs/layer-numerics.md). Each element is read as zero if denormal, then
 * summed as v, v * v or exp(v - shift) by op. The result does not depend on
 * the CPU. */
#define KF__SUM_MAX_DIMS 4
typedef enum { KF__SUM_X = 0, KF__SUM_SQUARE, KF__SUM_EXP } kf__sum_op;
typedef struct {
  const float *x;
  size_t ndims;
  size_t size[KF__SUM_MAX_DIMS], stride[KF__SUM_MAX_DIMS];
  kf__sum_op op;
  float shift;
  kf_flax_era era; /* KF_FLAX_0_10 unless set: the tree order whatever total */
  size_t total;    /* values in the whole reduced array (era KF_FLAX_0_11) */
} kf__sum_src;
float kf__xla_sum(const kf__sum_src *s);

/* A one-axis kf__sum_src: n values `stride` apart, in a reduction of
 * `total` values under `era`. */
static inline kf__sum_src kf__sum_line(const float *x, size_t n, size_t stride, kf__sum_op op,
                                       float shift, kf_flax_era era, size_t total) {
  kf__sum_src s = {x, 1, {n, 0, 0, 0}, {stride, 0, 0, 0}, op, shift, era, total};
  return s;
}

/* jax.nn.softmax (log = 0) or jax.nn.log_softmax (log = 1) along one axis of
 * an array viewed as outer x n x inner (row-major; the axis has length n and
 * stride inner): for each (o, i),
 *   m = max(-inf, x_0, ..., x_{n-1})            (NaN if any x_j is NaN)
 *   softmax:      u_j = exp(x_j - m), s = u_0 + u_1 + ... + u_{n-1}, y_j = u_j / s
 *                 (u_j * (1 / s) in era KF_FLAX_0_11)
 *   log_softmax:  t_j = x_j - m, s = exp(t_0) + ... + exp(t_{n-1}), y_j = t_j - log(s)
 * each sum in kf__xla_sum's order.
 * A row whose maximum is infinite gives NaN, as in JAX (inf - inf). x and y
 * may be the same array. */
void kf__softmax(size_t outer, size_t n, size_t inner, const float *x, float *y, int log,
                 kf_flax_era era);
/* (The sums see the whole array: outer * n * inner values, kf__xla_sum's
 * `total`.) */

/* The softmax of one contiguous row of n floats, in place, as part of a
 * softmax over `total` values (kf__softmax with inner = 1 and outer = total
 * / n). */
void kf__softmax_row(size_t n, float *row, kf_flax_era era, size_t total);

/* kf__softmax_row(n, column, era, total) of columns [0, cols) of y (n rows,
 * row stride ld), each column made contiguous: the same bits, many columns
 * at a time in the vector lanes of isa (kf__k_softmax_cols), each lane one
 * line's own operations in its own order. tmp holds n floats. One caveat,
 * shared with the x86-64-v3 build of the scalar sums: where NaNs of both
 * signs meet in one sum, the sign of the NaN out is the operand order the
 * compiler chose for that commutative add; every other bit is the same. */
void kf__softmax_cols(kf__isa isa, size_t n, size_t cols, float *y, size_t ld, kf_flax_era era,
                      size_t total, float *tmp);

/* jax.nn.elu: y = x > 0 ? x : alpha * expm1(x), alpha a float32 (JAX's weak
 * type: the Python float rounded to float32). */
void kf__elu(size_t n, const float *x, float alpha, float *y);

/* jax.nn.leaky_relu: y = x >= 0 ? x : slope * x (slope as float32). */
void kf__leaky_relu(size_t n, const float *x, float slope, float *y);

/* jax.nn.softplus = jnp.logaddexp(x, 0):
 * y = isnan(x) ? x + 0 : max(x, 0) + log1p(exp(-|x|)), log1p the era's. */
void kf__softplus(size_t n, const float *x, kf_flax_era era, float *y);

/* jax.nn.gelu(x, approximate=False) = (0.5 * x) * erfc(-x * sqrt(1/2)), erfc
 * as XLA expands chlo.erfc for float32 (kf__xla_erfcf). */
void kf__gelu_exact(size_t n, const float *x, float *y);

/* XLA:CPU's float32 expm1 (|x| <= 0.5: tanh(x / 2) * (exp(x) + 1), else
 * exp(x) - 1) and erfc (chlo's expansion); functions.c has the details.
 * Exposed for the tests. */
float kf__xla_expm1f(float x);
float kf__xla_erfcf(float x);
/* jaxlib 0.6.2's log1p: kf__xla_log1pf with A * r fused into its sum. */
float kf__xla_log1pf_fused(float x);

#endif
