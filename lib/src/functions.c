/* keyfold — jax.nn's softmax and elementwise functions (functions.h).
 *
 * Every float operation is one float32 operation in the order written (the
 * build disables contraction); fmaf stands where XLA's kernels fuse. exp,
 * log and log1p are XLA:CPU's (xla_math.h); expm1 and erfc are written out
 * below. Denormal operands and results read and written as zero (XLA's
 * kernels run with DAZ and FTZ): kf__xla_ftz. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "activations.h"
#include "bits.h"
#include "functions.h"
#include "xla_math.h"

#define FTZ kf__xla_ftz

/* jnp.max's float max: NaN if either operand is NaN. */
static inline float max_nan(float a, float b) {
  if (isnan(a)) return a;
  if (isnan(b)) return b;
  return (a >= b) ? a : b;
}

/* kf__xla_sum: the levels of the tree are computed on demand (no scratch).
 * Level 0 is the elements; level L + 1 has, per axis, cnt = ceil(size /
 * win) window sums of level L, win = min(size, 32), lo = floor((cnt * win -
 * size) / 2) zeros in front. */
enum { TREE_MAX_LEVELS = 8 };
typedef struct {
  const kf__sum_src *src;
  size_t levels;
  size_t size[TREE_MAX_LEVELS][KF__SUM_MAX_DIMS];
  size_t win[TREE_MAX_LEVELS][KF__SUM_MAX_DIMS];
  size_t lo[TREE_MAX_LEVELS][KF__SUM_MAX_DIMS];
} sum_tree;

static inline float element(const kf__sum_src *s, const size_t *idx) {
  size_t at = 0;
  for (size_t d = 0; d < s->ndims; d++) at += idx[d] * s->stride[d];
  const float v = FTZ(s->x[at]);
  switch (s->op) {
    case KF__SUM_SQUARE: return FTZ(v * v);
    case KF__SUM_EXP: return kf__xla_expf(FTZ(v - s->shift));
    default: return v;
  }
}

/* Advances a row-major index over extents ext; 0 when it wraps. */
static inline int next_index(size_t *idx, const size_t *ext, size_t nd) {
  for (size_t d = nd; d-- > 0;) {
    if (++idx[d] < ext[d]) return 1;
    idx[d] = 0;
  }
  return 0;
}

/* Element i of a one-axis source. */
static inline float element1(const kf__sum_src *s, size_t i) {
  const size_t idx[1] = {i};
  return element(s, idx);
}

/* tree_value for one axis, without the index arithmetic of several. */
KF__HOT_LOOP static float tree_value1(const sum_tree *t, size_t level, size_t j) {
  const size_t w = t->win[level][0], lo = t->lo[level][0], below = t->size[level - 1][0];
  const size_t first = j * w < lo ? 0 : j * w - lo;
  const size_t end = j * w + w - lo < below ? j * w + w - lo : below;
  float acc = 0.0f;
  if (level == 1)
    for (size_t i = first; i < end; i++) acc = FTZ(acc + element1(t->src, i));
  else
    for (size_t i = first; i < end; i++) acc = FTZ(acc + tree_value1(t, level - 1, i));
  return acc;
}

/* The value at idx of level `level`. */
static float tree_value(const sum_tree *t, size_t level, const size_t *idx) {
  const size_t nd = t->src->ndims;
  if (level == 0) return element(t->src, idx);
  if (nd == 1) return tree_value1(t, level, idx[0]);
  size_t p[KF__SUM_MAX_DIMS] = {0}, c[KF__SUM_MAX_DIMS];
  float acc = 0.0f;
  do {
    int inside = 1;
    for (size_t d = 0; d < nd; d++) {
      /* the child index, or outside: a padding zero, which leaves acc (never
       * -0) as it is */
      const size_t at = idx[d] * t->win[level][d] + p[d];
      inside &= at >= t->lo[level][d] && at - t->lo[level][d] < t->size[level - 1][d];
      c[d] = at - t->lo[level][d];
    }
    if (inside) acc = FTZ(acc + tree_value(t, level - 1, c));
  } while (next_index(p, t->win[level], nd));
  return acc;
}

/* jaxlib 0.10.2's vectorized row sum (16 lanes, halving), n <= 80. */
static float lanes16_sum(const kf__sum_src *s) {
  float lane[16];
  size_t i[1];
  for (int l = 0; l < 16; l++) lane[l] = 0.0f;
  for (i[0] = 0; i[0] < s->size[0]; i[0]++) lane[i[0] % 16] = FTZ(lane[i[0] % 16] + element(s, i));
  for (int h = 8; h >= 1; h /= 2)
    for (int l = 0; l < h; l++) lane[l] = FTZ(lane[l] + lane[l + h]);
  return lane[0];
}

KF__HOT_LOOP float kf__xla_sum(const kf__sum_src *s) {
  const size_t nd = s->ndims;
  float acc = 0.0f;
  if (s->era == KF_FLAX_0_11 && s->total >= 4096 && nd == 1 && s->stride[0] == 1 &&
      s->size[0] <= 80)
    return lanes16_sum(s);
  if (nd == 1 && s->size[0] <= 32) { /* the common case, straight */
    size_t i[1] = {0};
    for (; i[0] < s->size[0]; i[0]++) acc = FTZ(acc + element(s, i));
    return acc;
  }
  sum_tree t;
  t.src = s;
  t.levels = 0;
  for (size_t d = 0; d < nd; d++) {
    if (s->size[d] == 0) return 0.0f;
    t.size[0][d] = s->size[d];
  }
  for (;;) {
    const size_t L = t.levels;
    int big = 0;
    for (size_t d = 0; d < nd; d++) big |= t.size[L][d] > 32;
    if (!big || L + 1 >= TREE_MAX_LEVELS) break;
    for (size_t d = 0; d < nd; d++) {
      const size_t n = t.size[L][d], w = n < 32 ? n : 32, cnt = (n + w - 1) / w;
      t.win[L + 1][d] = w;
      t.size[L + 1][d] = cnt;
      t.lo[L + 1][d] = (cnt * w - n) / 2;
    }
    t.levels = L + 1;
  }
  size_t idx[KF__SUM_MAX_DIMS] = {0};
  do acc = FTZ(acc + tree_value(&t, t.levels, idx));
  while (next_index(idx, t.size[t.levels], nd));
  return acc;
}

KF__HOT_LOOP static void softmax_line(size_t n, size_t stride, const float *x, float *y, int log,
                         kf_flax_era era, size_t total) {
  float m = -INFINITY;
  for (size_t j = 0; j < n; j++) m = max_nan(m, FTZ(x[j * stride]));
  if (log) {
    /* y_j = t_j = x_j - m first; s = sum of exp(t_j); then t_j - log(s). */
    for (size_t j = 0; j < n; j++) y[j * stride] = FTZ(FTZ(x[j * stride]) - m);
    const kf__sum_src src = kf__sum_line(y, n, stride, KF__SUM_EXP, 0.0f, era, total);
    const float lse = kf__xla_logf(kf__xla_sum(&src));
    for (size_t j = 0; j < n; j++) y[j * stride] = FTZ(y[j * stride] - lse);
  } else {
    for (size_t j = 0; j < n; j++) y[j * stride] = kf__xla_expf(FTZ(FTZ(x[j * stride]) - m));
    const kf__sum_src src = kf__sum_line(y, n, stride, KF__SUM_X, 0.0f, era, total);
    const float s = kf__xla_sum(&src);
    if (era != KF_FLAX_0_10) {
      const float r = FTZ(1.0f / s);
      for (size_t j = 0; j < n; j++) y[j * stride] = FTZ(y[j * stride] * r);
    } else {
      for (size_t j = 0; j < n; j++) y[j * stride] = FTZ(y[j * stride] / s);
    }
  }
}

void kf__softmax(size_t outer, size_t n, size_t inner, const float *x, float *y, int log,
                 kf_flax_era era) {
  for (size_t o = 0; o < outer; o++)
    for (size_t i = 0; i < inner; i++)
      softmax_line(n, inner, x + o * n * inner + i, y + o * n * inner + i, log, era,
                   outer * n * inner);
}

void kf__softmax_row(size_t n, float *row, kf_flax_era era, size_t total) {
  softmax_line(n, 1, row, row, 0, era, total);
}

void kf__softmax_cols(kf__isa isa, size_t n, size_t cols, float *y, size_t ld, kf_flax_era era,
                      size_t total, float *tmp) {
  /* kf__xla_sum's choice for a contiguous line of n */
  const int lanes16 = era == KF_FLAX_0_11 && total >= 4096 && n <= 80;
  const size_t done = kf__k_softmax_cols(isa, n, cols, y, ld, lanes16, era != KF_FLAX_0_10);
  for (size_t c = done; c < cols; c++) {
    for (size_t j = 0; j < n; j++) tmp[j] = y[j * ld + c];
    softmax_line(n, 1, tmp, tmp, 0, era, total);
    for (size_t j = 0; j < n; j++) y[j * ld + c] = tmp[j];
  }
}

/* XLA:CPU's expm1 for float32 (jaxlib 0.6.2 and 0.10.2 alike, measured):
 * tanh(x * 0.5) * (exp(x) + 1) for |x| <= 0.5, exp(x) - 1 beyond, with
 * XLA's tanh (activations.h) and exp. */
float kf__xla_expm1f(float x) {
  x = FTZ(x);
  /* x itself where x * 0.5 would be denormal: XLA's result for -FLT_MIN
   * (measured), as if that product were not flushed. */
  if (fabsf(x) < 0x1p-125f) return x;
  const float e = kf__xla_expf(x);
  if (fabsf(x) <= 0.5f) return FTZ(kf__tanh_f32(FTZ(x * 0.5f)) * FTZ(e + 1.0f));
  return FTZ(e - 1.0f);
}

/* A polynomial as chlo's expansion writes it: p = 0; p = p * x + c for each
 * coefficient, highest degree first; XLA fuses each step into an fma. */
static float poly(float x, const float *c, size_t n) {
  float p = 0.0f;
  for (size_t i = 0; i < n; i++) p = FTZ(fmaf(p, x, c[i]));
  return p;
}

static const float erfc_p[9] = {
    +2.326819970068386E-2f, -1.387039388740657E-1f, +3.687424674597105E-1f,
    -5.824733027278666E-1f, +6.210004621745983E-1f, -4.944515323274145E-1f,
    +3.404879937665872E-1f, -2.741127028184656E-1f, +5.638259427386472E-1f,
};
static const float erfc_r[8] = {
    -1.047766399936249E+1f, +1.297719955372516E+1f, -7.495518717768503E+0f,
    +2.921019019210786E+0f, -1.015265279202700E+0f, +4.218463358204948E-1f,
    -2.820767439740514E-1f, +5.641895067754075E-1f,
};
static const float erf_t[7] = {
    +7.853861353153693E-5f, -8.010193625184903E-4f, +5.188327685732524E-3f,
    -2.685381193529856E-2f, +1.128358514861418E-1f, -3.761262582423300E-1f,
    +1.128379165726710E+0f,
};

/* chlo.erfc for float32 (Cephes' erfcf as the chlo-to-stablehlo expansion
 * writes it, with XLA's fusions): fma(-x, T(x^2), 1) for |x| < 1; for |x| >= 1, with z = -x^2,
 * exp(z) * (1/|x|) * P(1/x^2) below 2 and R(1/x^2) from 2, 0 where
 * z < -88.72283905206835, and 2 - that for x < 0. */
float kf__xla_erfcf(float x) {
  x = FTZ(x);
  const float ax = fabsf(x);
  if (ax < 1.0f) {
    const float x2 = FTZ(x * x);
    return FTZ(fmaf(-x, poly(x2, erf_t, 7), 1.0f)); /* 1 - x T(x^2), fused */
  }
  if (isnan(x)) return x;
  const float x2 = FTZ(x * x), z = -x2;
  const float r2 = FTZ(1.0f / x2);
  const float e = FTZ(kf__xla_expf(z) * FTZ(1.0f / ax));
  const float p = (ax < 2.0f) ? poly(r2, erfc_p, 9) : poly(r2, erfc_r, 8);
  float r = FTZ(e * p);
  if (z < (float)-88.72283905206835) r = 0.0f;
  return (x < 0.0f) ? FTZ(2.0f - r) : r;
}

KF__HOT_LOOP void kf__elu(size_t n, const float *x, float alpha, float *y) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = (FTZ(v) > 0.0f) ? v : FTZ(alpha * kf__xla_expm1f(v));
  }
}

void kf__leaky_relu(size_t n, const float *x, float slope, float *y) {
  for (size_t i = 0; i < n; i++) {
    const float v = x[i];
    y[i] = (FTZ(v) >= 0.0f) ? v : FTZ(slope * FTZ(v));
  }
}

float kf__xla_log1pf_fused(float x) {
  x = FTZ(x);
  if (!(fabsf(x) < KF__XLA_LOG1P_SMALL)) return kf__xla_logf_normal(x + 1.0f);
  /* The Horner steps as kf__xla_log1pf's (poly's first step is c[0]
   * exactly; no step is denormal for |x| < sqrt(2) - 1). */
  const float r = poly(x, kf__xla_log1p_num, 7) / poly(x, kf__xla_log1p_den, 7);
  const float x2 = x * x;
  return FTZ(x + fmaf(x * x2, r, -(0.5f * x2)));
}

KF__HOT_LOOP void kf__softplus(size_t n, const float *x, kf_flax_era era, float *y) {
  for (size_t i = 0; i < n; i++) {
    const float v = FTZ(x[i]);
    if (isnan(v)) {
      y[i] = v + 0.0f;
      continue;
    }
    const float m = (v > 0.0f) ? v : 0.0f;
    const float e = kf__xla_expf(-fabsf(v));
    y[i] = FTZ(m + (era == KF_FLAX_0_10 ? kf__xla_log1pf_fused(e) : kf__xla_log1pf(e)));
  }
}

KF__HOT_LOOP void kf__gelu_exact(size_t n, const float *x, float *y) {
  const float sqrt_half = 0x1.6a09e6p-1f; /* np.sqrt(0.5) as float32 */
  for (size_t i = 0; i < n; i++) {
    const float v = FTZ(x[i]);
    const float e = kf__xla_erfcf(FTZ(-v * sqrt_half));
    y[i] = FTZ(FTZ(0.5f * v) * e);
  }
}
