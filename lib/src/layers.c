/* keyfold — the layers of issue 13 whose arithmetic lives in their own
 * kernels: convolutions and pools (conv.c), norms (norm.c), attention
 * (attention.c) and the functions with parameters (functions.c). This file
 * maps a node's spec onto those kernels; forward.c walks the tree. */
#include <stdint.h>
#include <string.h>

#include "keyfold/error.h"
#include "keyfold/nn.h"
#include "model.h"

/* lax's padding of one spatial axis of extent `in` (already dilated) for a
 * window of effective extent k and stride s: SAME pads to ceil(in / s)
 * outputs, split low = total / 2. */
static void same_pads(int64_t in, int64_t k, int64_t s, int64_t *lo, int64_t *hi) {
  const int64_t out = (in + s - 1) / s;
  int64_t total = (out - 1) * s + k - in;
  if (total < 0) total = 0;
  *lo = total / 2;
  *hi = total - *lo;
}

int kf__spatial_output_shape(const kf__layer *node, const kf_shape *in, kf_shape *out) {
  const kf_layer_spec *spec = &node->spec;
  const int n = spec->n_spatial;
  const bool pool = spec->type == KF_LAYER_AVG_POOL || spec->type == KF_LAYER_MAX_POOL;
  const bool transpose = spec->type == KF_LAYER_CONV_TRANSPOSE;
  *out = *in;
  if (in->rank < n + 1) {
    out->rank = -1;
    return KF_EMISMATCH;
  }
  if (!pool && in->dim[in->rank - 1] != spec->in_features) {
    out->rank = -2;
    return KF_EMISMATCH;
  }
  for (int a = 0; a < n; a++) {
    int64_t size = in->dim[in->rank - 1 - n + a];
    const int64_t k = pool ? spec->kernel_size[a]
                           : (spec->kernel_size[a] - 1) * spec->kernel_dilation[a] + 1;
    int64_t lo = 0, hi = 0, result;
    if (transpose) {
      const int64_t s = spec->strides[a];
      const int64_t dilated = size > 0 ? (size - 1) * s + 1 : 0;
      if (spec->padding == KF_PADDING_CIRCULAR) {
        result = size * s;
      } else {
        if (spec->padding == KF_PADDING_EXPLICIT) {
          lo = spec->padding_pairs[a][0];
          hi = spec->padding_pairs[a][1];
        } else {
          const int64_t len = k + s - 2 + (k > s ? k - s : 0);
          lo = spec->padding == KF_PADDING_SAME ? (len + 1) / 2 : k - 1;
          hi = len - lo;
        }
        result = dilated + lo + hi - k + 1;
      }
    } else {
      const int64_t stride = spec->strides[a];
      if (spec->padding == KF_PADDING_CIRCULAR) size += k - 1;
      if (spec->padding == KF_PADDING_CAUSAL) size += k - 1;
      const int64_t ld = pool ? 1 : spec->input_dilation[a];
      const int64_t dilated = size > 0 ? (size - 1) * ld + 1 : 0;
      if (spec->padding == KF_PADDING_SAME) same_pads(dilated, k, stride, &lo, &hi);
      if (spec->padding == KF_PADDING_EXPLICIT) {
        lo = spec->padding_pairs[a][0];
        hi = spec->padding_pairs[a][1];
      }
      const int64_t span = dilated + lo + hi - k;
      result = span < 0 ? -1 : span / stride + 1;
    }
    if (result < 0) return KF_EMISMATCH;
    out->dim[in->rank - 1 - n + a] = result;
  }
  if (!pool) out->dim[in->rank - 1] = spec->out_features;
  return KF_OK;
}

int kf__layer_apply(kf__isa isa, const kf__layer *node, const float *x, const kf_shape *xs,
                    float *y, kf_deterministic det, const kf_key *key, float *stats,
                    const kf_model *model) {
  (void)isa, (void)node, (void)x, (void)xs, (void)y, (void)det, (void)key, (void)stats, (void)model;
  return KF_EUNSUPPORTED;
}
