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
#include "functions.h"
#include "gemm.h"
#include "xla_math.h"

#define FTZ kf__xla_ftz

static size_t gemm_work(kf__isa isa, size_t len, size_t head_dim) {
  const size_t a = kf__gemm_workspace(isa, len, len, head_dim);
  const size_t b = kf__gemm_workspace(isa, len, head_dim, len);
  return a > b ? a : b;
}

size_t kf__attention_workspace(kf__isa isa, size_t len, size_t head_dim) {
  /* q panel, k^T panel, v panel, output panel: len * head_dim each; the
   * weights len * len; then kf__gemm's scratch. */
  return 4 * len * head_dim + len * len + gemm_work(isa, len, head_dim);
}

void kf__attention(kf__isa isa, kf__attn_form form, size_t batch, size_t len, size_t heads,
                   size_t head_dim, const float *q, const float *k, const float *v, int causal,
                   const uint8_t *mask, const uint8_t *keep, float keep_prob, kf_flax_era era,
                   float *out, float *work) {
  const size_t d = head_dim, ld = heads * head_dim;
  float *qp = work, *kt = qp + len * d, *vp = kt + len * d, *op = vp + len * d;
  float *w = op + len * d, *gw = w + len * len;
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
      for (size_t t = 0; t < len; t++)
        for (size_t j = 0; j < d; j++) {
          const float qv = FTZ(q[base + t * ld + j]);
          if (form == KF__ATTN_JAX) qp[t * d + j] = qv;
          else qp[t * d + j] = (era == KF_FLAX_0_10) ? FTZ(qv / qdiv) : FTZ(qv * qmul);
          kt[j * len + t] = FTZ(k[base + t * ld + j]);
          vp[t * d + j] = FTZ(v[base + t * ld + j]);
        }
      kf__gemm(isa, len, len, d, qp, kt, w, gw);
      for (size_t t = 0; t < len; t++) {
        float *row = w + t * len;
        for (size_t s = 0; s < len; s++) {
          float x = FTZ(row[s]);
          if (form == KF__ATTN_JAX) x = FTZ(x * lscale);
          if ((causal && s > t) || (mask && !mask[t * len + s])) x = big_neg;
          row[s] = x;
        }
        kf__softmax_row(len, row, era, batch * heads * len * len);
        if (keep && form == KF__ATTN_FLAX)
          for (size_t s = 0; s < len; s++)
            row[s] = FTZ(row[s] * (keep[t * len + s] ? drop_mul : 0.0f));
      }
      kf__gemm(isa, len, d, len, w, vp, op, gw);
      for (size_t t = 0; t < len; t++)
        for (size_t j = 0; j < d; j++) out[base + t * ld + j] = FTZ(op[t * d + j]);
    }
  }
}
