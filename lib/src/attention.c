/* keyfold — the attention core of Flax NNX's MultiHeadAttention
 * (attention.h).
 *
 * Per (batch, head): q and k^T (and v) are gathered into dense panels, the
 * two products run through kf__gemm (each output the fma chain over the
 * contracted axis in order from +0, the same bits on every instruction set),
 * and the softmax is kf__softmax_row's fixed-order one. Nothing here depends
 * on the instruction set but kf__gemm's speed. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "attention.h"
#include "bits.h"
#include "functions.h"
#include "gemm.h"
#include "xla_math.h"

#define FTZ kf__xla_ftz

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

size_t kf__attention_workspace(kf__isa isa, size_t len, size_t head_dim) {
  /* q packed in slivers of mr rows; k^T, the logits, the weights transposed
   * (rows of ldw columns); v and the output (rows of ldv); one sliver of the
   * weights; a column. */
  size_t mr, nr;
  kf__gemm_tile_dims(isa, &mr, &nr);
  const size_t ldw = round_up(round_up(len, mr), nr), ldv = round_up(head_dim, nr);
  return round_up(len, mr) * head_dim + head_dim * ldw + 2 * len * ldw + 2 * len * ldv +
         len * mr + len;
}

/* Both products run the gemm tile on panels gathered straight into its
 * layout (no packing pass): logits = q k^T with q in slivers, k^T in rows,
 * and out = w v with w in slivers, v in rows, the operands in kf__gemm's
 * roles (fma(q, k, acc), fma(w, v, acc): the same bits, NaN payloads
 * included). The softmax runs over the columns of the transposed logits,
 * many rows of w in the vector lanes (kf__softmax_cols: each line's own
 * order). */
KF__HOT_LOOP void kf__attention(kf__isa isa, kf__attn_form form, size_t batch, size_t len, size_t heads,
                   size_t head_dim, const float *q, const float *k, const float *v, int causal,
                   const uint8_t *mask, const uint8_t *keep, float keep_prob, kf_flax_era era,
                   float *out, float *work) {
  if (len == 0) return;
  const size_t d = head_dim, ld = heads * head_dim;
  size_t mr, nr;
  kf__gemm_tile_dims(isa, &mr, &nr);
  const size_t lenp = round_up(len, mr), ldw = round_up(lenp, nr), ldv = round_up(d, nr);
  float *qs = work, *kt = qs + lenp * d, *lg = kt + d * ldw, *wt = lg + len * ldw;
  float *vr = wt + len * ldw, *op = vr + len * ldv, *ws = op + len * ldv, *col = ws + len * mr;
  /* the padding, read by whole tiles and never stored: rows of q's slivers
   * past len, columns of k^T and of w^T past len, of v past d */
  memset(qs, 0, lenp * d * sizeof *qs);
  for (size_t j = 0; j < d; j++)
    for (size_t s = len; s < ldw; s++) kt[j * ldw + s] = 0.0f;
  for (size_t s = 0; s < len; s++) {
    for (size_t t = len; t < ldw; t++) wt[s * ldw + t] = 0.0f;
    for (size_t j = d; j < ldv; j++) vr[s * ldv + j] = 0.0f;
  }
  /* Flax: query / jnp.sqrt(depth) (float32 sqrt of the int), big_neg =
   * finfo(float32).min; jax.nn.dot_product_attention: logits *
   * float32(1.0 / np.sqrt(H)), -0.7 * FLT_MAX. */
  const float qdiv = sqrtf((float)d), qmul = 1.0f / qdiv;
  const float lscale = (float)(1.0 / sqrt((double)d));
  const float big_neg = (form == KF__ATTN_FLAX) ? -FLT_MAX : (float)(-0.7 * (double)FLT_MAX);
  const float drop_mul = (keep && form == KF__ATTN_FLAX) ? 1.0f / keep_prob : 0.0f;
  for (size_t b = 0; b < batch; b++) {
    for (size_t h = 0; h < heads; h++) {
      const size_t base = b * len * ld + h * d;
      for (size_t t = 0; t < len; t++) {
        const float *qi = q + base + t * ld, *ki = k + base + t * ld, *vi = v + base + t * ld;
        float *qo = qs + (t / mr) * d * mr + t % mr, *vo = vr + t * ldv;
        if (form == KF__ATTN_JAX)
          for (size_t j = 0; j < d; j++) qo[j * mr] = FTZ(qi[j]);
        else if (era == KF_FLAX_0_10)
          for (size_t j = 0; j < d; j++) qo[j * mr] = FTZ(FTZ(qi[j]) / qdiv);
        else
          for (size_t j = 0; j < d; j++) qo[j * mr] = FTZ(FTZ(qi[j]) * qmul);
        for (size_t j = 0; j < d; j++) kt[j * ldw + t] = FTZ(ki[j]);
        for (size_t j = 0; j < d; j++) vo[j] = FTZ(vi[j]);
      }
      /* logits[t][s] = sum_j q[t][j] k[s][j] */
      for (size_t s0 = 0; s0 < len; s0 += nr)
        for (size_t t0 = 0; t0 < len; t0 += mr)
          kf__k_gemm_tile(isa, d, qs + t0 * d, kt + s0, ldw, lg + t0 * ldw + s0, ldw, 0,
                          len - t0 < mr ? len - t0 : mr, len - s0 < nr ? len - s0 : nr);
      /* w^T: the logits transposed, scaled, then the masked ones replaced */
      for (size_t s = 0; s < len; s++) {
        float *row = wt + s * ldw;
        const float *lc = lg + s;
        if (form == KF__ATTN_JAX)
          for (size_t t = 0; t < len; t++) row[t] = FTZ(FTZ(lc[t * ldw]) * lscale);
        else
          for (size_t t = 0; t < len; t++) row[t] = FTZ(lc[t * ldw]);
        if (causal)
          for (size_t t = 0; t < s; t++) row[t] = big_neg;
        if (mask)
          for (size_t t = 0; t < len; t++)
            if (!mask[t * len + s]) row[t] = big_neg;
      }
      kf__softmax_cols(isa, len, len, wt, ldw, era, batch * heads * len * len, col);
      if (keep && form == KF__ATTN_FLAX)
        for (size_t s = 0; s < len; s++)
          for (size_t t = 0; t < len; t++)
            wt[s * ldw + t] = FTZ(wt[s * ldw + t] * (keep[t * len + s] ? drop_mul : 0.0f));
      /* out[t][j] = sum_s w[t][s] v[s][j] */
      for (size_t t0 = 0; t0 < len; t0 += mr) {
        for (size_t s = 0; s < len; s++)
          for (size_t i = 0; i < mr; i++) ws[s * mr + i] = wt[s * ldw + t0 + i];
        for (size_t j0 = 0; j0 < d; j0 += nr)
          kf__k_gemm_tile(isa, len, ws, vr + j0, ldv, op + t0 * ldv + j0, ldv, 0,
                          len - t0 < mr ? len - t0 : mr, d - j0 < nr ? d - j0 : nr);
      }
      for (size_t t = 0; t < len; t++)
        for (size_t j = 0; j < d; j++) out[base + t * ld + j] = FTZ(op[t * ldv + j]);
    }
  }
}
