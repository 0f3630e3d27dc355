/* keyfold — the kernels behind Flax's nnx.Conv, nnx.ConvTranspose and
 * flax.linen's avg_pool / max_pool / min_pool (conv.c); not installed.
 * docs/conv.md states the semantics, the summation order and the measured
 * error against JAX.
 *
 * Layouts are Flax's: channels last, the batch dimensions flattened into one.
 *   x      (batch, in[0], ..., in[nd-1], in_ch)
 *   kernel (kernel[0], ..., kernel[nd-1], in_ch / groups, out_ch)
 *   bias   (out_ch)
 *   y      (batch, out[0], ..., out[nd-1], out_ch)
 *
 * Summation order, the same on every CPU and instruction set (so replicas
 * agree bit for bit), and XLA:CPU's own wherever we could observe it
 * (docs/conv.md):
 *  - in general, each output is the fused multiply-add chain
 *    acc = fma(x, w, acc) from acc = +0 over the kernel positions in
 *    row-major order (kernel[0] slowest) and, within a position, over the
 *    input channels of the output's group in order; a position in the
 *    padding is part of the chain with x = 0 (which leaves acc unchanged);
 *  - with input dilation (lhs_dil > 1 somewhere: every strided
 *    ConvTranspose), no kernel dilation and one group, one chain per kernel
 *    position instead: d = the fma chain over the input channels from +0,
 *    then acc = acc + d over the kernel positions in row-major order from
 *    acc = +0 (positions in padding or in a hole of the dilation add +0,
 *    which cannot change a sum that starts at +0);
 * then, for a circular transposed convolution only, the periodic fold (see
 * kf__conv_transpose_plan); then y = acc + bias[o] as one float addition,
 * as Flax does (`y += bias`). (A zero x times an infinite weight gives NaN
 * here, as a chain that includes the padding must.) */
#ifndef KEYFOLD_CONV_H
#define KEYFOLD_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "simd.h"

/* Flax's padding strings (and lax's explicit pairs). REFLECT and SAME_LOWER
 * are Flax's / lax's too (nnx.Conv documents REFLECT; lax accepts
 * SAME_LOWER). */
typedef enum {
  KF__PAD_VALID,
  KF__PAD_SAME,
  KF__PAD_CIRCULAR,
  KF__PAD_CAUSAL,
  KF__PAD_EXPLICIT,
  KF__PAD_REFLECT,
  KF__PAD_SAME_LOWER,
} kf__pad_mode;

/* What a position outside the input reads: zero (lax's padding), the input
 * wrapped periodically (jnp.pad mode='wrap', Flax's CIRCULAR) or reflected
 * without repeating the edge (mode='reflect', Flax's REFLECT), with a pad
 * wider than the input repeating the pattern as NumPy does. WRAP and REFLECT
 * only occur with lhs_dil 1 (lax refuses string padding with input
 * dilation, so Flax does too). */
typedef enum { KF__EDGE_ZERO, KF__EDGE_WRAP, KF__EDGE_REFLECT } kf__pad_edge;

typedef struct kf__conv_geom {
  int nd;         /* spatial dimensions, 1..3 */
  size_t batch;   /* product of all leading (batch) dimensions; 0 is allowed */
  int64_t in[3];  /* input spatial sizes (>= 0) */
  int64_t out[3]; /* output spatial sizes: filled by the plan (0 is possible, as in lax) */
  int64_t kernel[3], stride[3], lhs_dil[3], rhs_dil[3]; /* all >= 1 */
  int64_t pad_lo[3], pad_hi[3]; /* resolved lax padding of the lhs-dilated input; may be < 0 */
  kf__pad_edge edge;            /* what padding reads (filled by the plan) */
  int64_t in_ch, out_ch, groups;
  /* Circular transposed convolution only (fold = 1): the conv above gives
   * full[d] positions per dimension, which are placed at offset fold_lo[d]
   * in a zero array of an odd number of periods out[d] = in[d] * stride and
   * summed period by period, dimension 0 first (Flax's reshape + sum). */
  int fold;
  int64_t full[3], fold_lo[3];
} kf__conv_geom;

/* nnx.Conv. The caller sets nd, batch, in, kernel, stride, lhs_dil
 * (input_dilation), rhs_dil (kernel_dilation), in_ch, out_ch, groups
 * (feature_group_count); the plan fills pad_lo/pad_hi, edge, out and fold = 0
 * as Flax and lax.conv_general_dilated resolve `mode`:
 *   VALID: no padding; SAME / SAME_LOWER: lax.padtype_to_pads with the
 *   dilated kernel (kernel - 1) * rhs_dil + 1; CIRCULAR / REFLECT: pads
 *   ((k_eff - 1) // 2, k_eff // 2) read by wrapping / reflecting the input;
 *   CAUSAL (nd == 1 only): rhs_dil * (kernel - 1) zeros on the left;
 *   EXPLICIT: explicit_pairs[2d], [2d + 1] = lo, hi of dimension d, as
 *   given (negative crops); explicit_pairs is read only for EXPLICIT.
 * out[d] = max(0, floor((dilated_in + lo + hi - k_eff) / stride) + 1), the
 * dilated input being (in - 1) * lhs_dil + 1 (0 when in is 0).
 * Returns 0, or with g's outputs unspecified: KF_EINVAL for nd outside 1..3,
 * a size < 1 (kernel, strides, dilations, channels, groups) or < 0 (in), a
 * string mode with an lhs_dil > 1 (lax raises), CAUSAL with nd != 1, an
 * unknown mode, a padded input of negative size or EXPLICIT without pairs;
 * KF_EMISMATCH for in_ch or out_ch not a multiple of groups; KF_EOVERFLOW
 * when an element count does not fit size_t or a size or pad is beyond
 * about 2^60. */
int kf__conv_plan(kf__conv_geom *g, kf__pad_mode mode, const int64_t *explicit_pairs);

/* nnx.ConvTranspose with transpose_kernel=False (lax.conv_transpose, kernel
 * not flipped, stored (kernel..., in_ch, out_ch)). The caller sets nd, batch,
 * in, kernel, stride (the transpose's strides), rhs_dil (kernel_dilation),
 * in_ch, out_ch; groups must be 1 (or 0, taken as 1). The plan rewrites the
 * geometry into the equivalent conv_general_dilated one: lhs_dil = stride,
 * stride = 1, pads from lax._conv_transpose_padding(k_eff, stride, mode) for
 * SAME / VALID, explicit pairs used as given (lax's default
 * use_consistent_padding=False). CIRCULAR: the VALID transpose, then
 * Flax's fold (fold = 1): P = in * stride, diff = (P - full) mod 2P,
 * fold_lo = (diff + 1) // 2, out = P, out[j] = sum over the chunks c = 0, 1,
 * ... in order, from +0, of the padded result at c * P + j. Errors as
 * kf__conv_plan; CAUSAL, REFLECT and SAME_LOWER are KF_EINVAL (lax raises),
 * CIRCULAR with an input size of 0 too. */
int kf__conv_transpose_plan(kf__conv_geom *g, kf__pad_mode mode, const int64_t *explicit_pairs);

/* Floats of scratch kf__conv needs for a planned geometry: bounded
 * (about 1.5 MB) whatever the shape, except for a circular transposed
 * convolution, which adds twice one batch element's unfolded output. */
size_t kf__conv_workspace(kf__isa isa, const kf__conv_geom *g);

/* y = conv(x, kernel) (+ bias) for a planned geometry, in the order stated
 * at the top. bias may be NULL (use_bias=False). isa must be usable; work is
 * the caller's scratch of kf__conv_workspace(isa, g) floats. x, kernel, bias
 * and work must not overlap y. The result does not depend on isa. */
void kf__conv(kf__isa isa, const kf__conv_geom *g, const float *x, const float *kernel,
              const float *bias, float *y, float *work);

/* flax.linen.pooling.pool (lax.reduce_window). The caller sets nd, batch,
 * in, kernel (window_shape), stride (strides; Flax's default is 1) and in_ch
 * (the features, pooled one by one); the plan sets lhs_dil = rhs_dil = 1,
 * out_ch = groups = in_ch, edge = ZERO, fold = 0 and resolves VALID, SAME,
 * SAME_LOWER (lax.padtype_to_pads on the input) or EXPLICIT pairs (negative
 * crops). Errors as kf__conv_plan; other modes are KF_EINVAL. */
int kf__pool_plan(kf__conv_geom *g, kf__pad_mode mode, const int64_t *explicit_pairs);

/* avg_pool: y = s / d, or y = s * (1 / d) when `reciprocal`, with s the
 * float sum from +0 over the window positions inside the input in
 * row-major order (the padding adds +0, which cannot change a sum that
 * starts at +0), and d = prod(window) when count_include_pad (Flax's
 * default) or else the number of window positions inside the input (0 gives
 * NaN, as Flax does). The divisor is a constant of the XLA program either
 * way, and XLA turns the division by a constant into a multiplication by its
 * float32 reciprocal wherever it compiles it: under jit in every era, and
 * op by op too from jax 0.10 on; jax 0.6's op-by-op dispatch divides
 * (reciprocal = 0). Both are bit for bit what that JAX gives. */
void kf__avg_pool(const kf__conv_geom *g, const float *x, float *y, int count_include_pad,
                  int reciprocal);

/* max_pool / min_pool: the maximum (minimum) over the window positions
 * inside the input, -inf (+inf) when there are none, as reduce_window with
 * that init. A NaN in the window gives NaN (the first in row-major order);
 * equal values keep the first (+0 and -0 compare equal). */
void kf__max_pool(const kf__conv_geom *g, const float *x, float *y);
void kf__min_pool(const kf__conv_geom *g, const float *x, float *y);

#endif
