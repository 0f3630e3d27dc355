/* keyfold — the core of Flax NNX's MultiHeadAttention in float32
 * (attention.c): softmax(q k^T * scale, masked) v per batch and head, the
 * dropout of the attention weights with a given keep mask. The projections
 * (LinearGeneral) and the optional q/k LayerNorm are the caller's
 * (kf__gemm, kf__layer_norm). Pure computation on caller-owned buffers; not
 * installed. docs/layer-numerics.md has the order of operations and the
 * measured bounds. */
#ifndef KEYFOLD_ATTENTION_H
#define KEYFOLD_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "functions.h"
#include "simd.h"

/* Which of Flax's two code paths computes the attention:
 *  - KF__ATTN_JAX: flax.nnx.dot_product_attention with dropout_rate == 0 and
 *    no sown weights calls jax.nn.dot_product_attention (implementation
 *    'xla'): logits = q.k, then logits * float32(1 / sqrt(head_dim)) (the
 *    double rounded once), masked logits replaced by float32(-0.7 * FLT_MAX);
 *  - KF__ATTN_FLAX: dropout_rate > 0 (dropping or deterministic) or
 *    sow_weights: dot_product_attention_weights: q / sqrtf(head_dim) first,
 *    then q.k, masked logits replaced by -FLT_MAX (finfo.min); then the
 *    dropout, if keep is given. In era KF_FLAX_0_11 (jaxlib 0.10.2) the
 *    division of q is q * (1 / sqrtf(head_dim)), as that jaxlib computes it. */
typedef enum { KF__ATTN_JAX = 0, KF__ATTN_FLAX = 1 } kf__attn_form;

/* Floats of scratch kf__attention needs. */
size_t kf__attention_workspace(kf__isa isa, size_t len, size_t head_dim);

/* q, k, v and out are (batch, len, heads, head_dim) row-major, as
 * LinearGeneral gives them (self-attention: one length). For each batch b
 * and head h:
 *   logits[t][s] = sum_d q[b,t,h,d] k[b,s,h,d]   (kf__gemm's chain: fma(q, k,
 *                                                 acc) over d in order from +0)
 *   scaled and masked as `form` says; position (t, s) is masked when causal
 *   and s > t (nnx.make_causal_mask, is_causal) or when mask is given and
 *   mask[t*len + s] == 0 (a len x len mask broadcast over batch and heads);
 *   w = softmax over s (kf__softmax_row: the era's division, and its sum
 *   order for a softmax over all batch * heads * len * len weights);
 *   dropout (KF__ATTN_FLAX with keep != NULL; broadcast_dropout=True, one
 *   len x len keep mask for every batch and head, jax.random.bernoulli's):
 *   w[t][s] * (keep[t*len+s] ? 1 / keep_prob : 0), 1 / keep_prob one float32
 *   division and keep_prob the float32 of Flax's 1.0 - dropout_rate;
 *   out[b,t,h,d] = sum_s w[t][s] v[b,s,h,d]      (fma(w, v, acc) the same way).
 * work has kf__attention_workspace(isa, len, head_dim) floats. Every
 * instruction set gives the same bits. */
void kf__attention(kf__isa isa, kf__attn_form form, size_t batch, size_t len, size_t heads,
                   size_t head_dim, const float *q, const float *k, const float *v, int causal,
                   const uint8_t *mask, const uint8_t *keep, float keep_prob, kf_flax_era era,
                   float *out, float *work);

#endif
