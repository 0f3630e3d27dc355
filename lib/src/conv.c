/* keyfold — convolution and pooling (conv.h).
 *
 * The convolution is a matrix product: row r of the patch matrix holds the
 * inputs that output position r reads (kernel positions row-major, input
 * channels of a group innermost), the kernel is already that matrix's
 * partner ((kernel..., in_ch/groups) rows by out_ch columns), and each
 * output is the fma chain over that row in order. Nothing of the patch
 * matrix is materialized: each block of rows is written straight into the
 * sliver layout the gemm tile (kf__k_gemm_tile, gemm.h) reads, block by
 * block, so the scratch stays about 1.5 MB at most whatever the shape. The
 * panels over k are chained through y as in kf__gemm, so every output is one
 * unbroken chain and the result does not depend on the blocking or the
 * instruction set. With input dilation (conv.h: tapwise), each kernel
 * position's columns form a chain of their own, computed into a scratch
 * block and added into y position by position. With one input channel per
 * group (depthwise), the chains are run directly (conv_depthwise).
 */
#include "conv.h"

#include <math.h>
#include <string.h>

#include "gemm.h"
#include "internal.h"
#include "keyfold/error.h"

enum {
  KC = 320,  /* patch columns (k steps) per panel */
  MC = 96,   /* output positions per packed block (a multiple of every mr) */
  NC = 1024, /* output channels per packed panel of the kernel */
  TAPS = 64, /* kernel positions per dimension kept in a row's table */
};

/* ------------------------------------------------------------------ plan */

static int64_t dilate(int64_t n, int64_t d) { return n == 0 ? 0 : (n - 1) * d + 1; }

/* Python's floor division and modulo for a positive divisor. */
static int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static int64_t pymod(int64_t a, int64_t b) { return a - floordiv(a, b) * b; }

static int mul_fits(size_t *acc, int64_t v) {
  if (v < 0) return 0;
  if (v != 0 && *acc > SIZE_MAX / (size_t)v) return 0;
  *acc *= (size_t)v;
  return 1;
}

/* Checks the caller's fields common to every plan. */
static int check_common(const kf__conv_geom *g) {
  if (g->nd < 1 || g->nd > 3) return KF_EINVAL;
  for (int d = 0; d < g->nd; d++) {
    if (g->in[d] < 0 || g->kernel[d] < 1 || g->stride[d] < 1 || g->lhs_dil[d] < 1 ||
        g->rhs_dil[d] < 1)
      return KF_EINVAL;
    if (g->kernel[d] > INT64_MAX / 2 / g->rhs_dil[d] || g->in[d] > INT64_MAX / 4 / g->lhs_dil[d])
      return KF_EOVERFLOW;
  }
  if (g->in_ch < 1 || g->out_ch < 1 || g->groups < 1) return KF_EINVAL;
  if (g->in_ch % g->groups || g->out_ch % g->groups) return KF_EMISMATCH;
  return 0;
}

/* lax.padtype_to_pads for SAME (lower = 0) and SAME_LOWER (lower = 1). */
static void same_pads(int64_t in, int64_t k_eff, int64_t s, int lower, int64_t *lo, int64_t *hi) {
  const int64_t out = (in + s - 1) / s;
  int64_t pad = (out - 1) * s + k_eff - in;
  if (pad < 0) pad = 0;
  *lo = lower ? pad - pad / 2 : pad / 2;
  *hi = pad - *lo;
}

/* Fills out[] from the resolved padding; checks the element counts. */
static int finish(kf__conv_geom *g) {
  size_t nx = g->batch, ny = g->batch, nk = 1;
  for (int d = 0; d < g->nd; d++) {
    const int64_t big = INT64_MAX / 8;
    if (g->pad_lo[d] > big || g->pad_lo[d] < -big || g->pad_hi[d] > big || g->pad_hi[d] < -big)
      return KF_EOVERFLOW;
    const int64_t padded = dilate(g->in[d], g->lhs_dil[d]) + g->pad_lo[d] + g->pad_hi[d];
    if (padded < 0) return KF_EINVAL;
    const int64_t k_eff = dilate(g->kernel[d], g->rhs_dil[d]);
    g->out[d] = padded < k_eff ? 0 : (padded - k_eff) / g->stride[d] + 1;
    const int64_t o = g->fold ? g->full[d] : g->out[d];
    size_t tmp = 1;
    if (!mul_fits(&nx, g->in[d]) || !mul_fits(&ny, o) || !mul_fits(&tmp, g->out[d]) ||
        !mul_fits(&nk, g->kernel[d]))
      return KF_EOVERFLOW;
  }
  for (int d = g->nd; d < 3; d++) {
    g->in[d] = g->out[d] = g->kernel[d] = g->stride[d] = g->lhs_dil[d] = g->rhs_dil[d] = 1;
    g->pad_lo[d] = g->pad_hi[d] = 0;
    g->full[d] = 1, g->fold_lo[d] = 0;
  }
  if (!mul_fits(&nx, g->in_ch) || !mul_fits(&ny, g->out_ch) || !mul_fits(&ny, 2) ||
      !mul_fits(&nk, g->in_ch) || !mul_fits(&nk, g->out_ch))
    return KF_EOVERFLOW;
  return 0;
}

int kf__conv_plan(kf__conv_geom *g, kf__pad_mode mode, const int64_t *explicit_pairs) {
  int rc = check_common(g);
  if (rc) return rc;
  g->edge = KF__EDGE_ZERO;
  g->fold = 0;
  int dilated_input = 0;
  for (int d = 0; d < g->nd; d++) dilated_input |= g->lhs_dil[d] != 1;
  if (mode != KF__PAD_EXPLICIT && dilated_input) return KF_EINVAL;
  if (mode == KF__PAD_CAUSAL && g->nd != 1) return KF_EINVAL;
  if (mode == KF__PAD_EXPLICIT && !explicit_pairs) return KF_EINVAL;
  for (int d = 0; d < g->nd; d++) {
    const int64_t k_eff = dilate(g->kernel[d], g->rhs_dil[d]);
    switch (mode) {
      case KF__PAD_VALID: g->pad_lo[d] = g->pad_hi[d] = 0; break;
      case KF__PAD_SAME:
      case KF__PAD_SAME_LOWER:
        same_pads(g->in[d], k_eff, g->stride[d], mode == KF__PAD_SAME_LOWER, &g->pad_lo[d],
                  &g->pad_hi[d]);
        break;
      case KF__PAD_CIRCULAR:
      case KF__PAD_REFLECT:
        g->pad_lo[d] = (k_eff - 1) / 2, g->pad_hi[d] = k_eff / 2;
        /* jnp.pad of an empty axis with a nonzero pad raises */
        if (g->in[d] == 0 && k_eff > 1) return KF_EINVAL;
        g->edge = mode == KF__PAD_CIRCULAR ? KF__EDGE_WRAP : KF__EDGE_REFLECT;
        break;
      case KF__PAD_CAUSAL: g->pad_lo[d] = k_eff - 1, g->pad_hi[d] = 0; break;
      case KF__PAD_EXPLICIT:
        g->pad_lo[d] = explicit_pairs[2 * d], g->pad_hi[d] = explicit_pairs[2 * d + 1];
        break;
      default: return KF_EINVAL;
    }
  }
  return finish(g);
}

/* lax._conv_transpose_padding for SAME and VALID. */
static void transpose_pads(int64_t k, int64_t s, int same, int64_t *lo, int64_t *hi) {
  int64_t len, a;
  if (same) {
    len = k + s - 2;
    a = s > k - 1 ? k - 1 : (len + 1) / 2;
  } else {
    len = k + s - 2 + (k > s ? k - s : 0);
    a = k - 1;
  }
  *lo = a, *hi = len - a;
}

int kf__conv_transpose_plan(kf__conv_geom *g, kf__pad_mode mode,
                            const int64_t *explicit_pairs) {
  if (g->groups == 0) g->groups = 1;
  if (g->groups != 1) return KF_EINVAL;
  for (int d = 0; d < g->nd && d < 3; d++) g->lhs_dil[d] = 1;
  int rc = check_common(g);
  if (rc) return rc;
  if (mode == KF__PAD_EXPLICIT && !explicit_pairs) return KF_EINVAL;
  g->edge = KF__EDGE_ZERO;
  g->fold = 0;
  for (int d = 0; d < g->nd; d++) {
    const int64_t s = g->stride[d], k_eff = dilate(g->kernel[d], g->rhs_dil[d]);
    switch (mode) {
      case KF__PAD_SAME:
      case KF__PAD_VALID:
      case KF__PAD_CIRCULAR:
        transpose_pads(k_eff, s, mode == KF__PAD_SAME, &g->pad_lo[d], &g->pad_hi[d]);
        break;
      case KF__PAD_EXPLICIT:
        g->pad_lo[d] = explicit_pairs[2 * d], g->pad_hi[d] = explicit_pairs[2 * d + 1];
        break;
      default: return KF_EINVAL;
    }
    g->lhs_dil[d] = s;
    g->stride[d] = 1;
  }
  if (mode == KF__PAD_CIRCULAR) {
    for (int d = 0; d < g->nd; d++) {
      if (g->in[d] == 0) return KF_EINVAL;
      const int64_t full = dilate(g->in[d], g->lhs_dil[d]) + g->pad_lo[d] + g->pad_hi[d] -
                           dilate(g->kernel[d], g->rhs_dil[d]) + 1;
      const int64_t period = g->in[d] * g->lhs_dil[d];
      g->full[d] = full;
      g->fold_lo[d] = (pymod(period - full, 2 * period) + 1) / 2;
    }
    g->fold = 1;
  }
  rc = finish(g);
  if (rc || !g->fold) return rc;
  for (int d = 0; d < g->nd; d++) g->out[d] = g->in[d] * g->lhs_dil[d];
  return 0;
}

int kf__pool_plan(kf__conv_geom *g, kf__pad_mode mode, const int64_t *explicit_pairs) {
  for (int d = 0; d < g->nd && d < 3; d++) g->lhs_dil[d] = g->rhs_dil[d] = 1;
  g->out_ch = g->groups = g->in_ch;
  if (mode != KF__PAD_VALID && mode != KF__PAD_SAME && mode != KF__PAD_SAME_LOWER &&
      mode != KF__PAD_EXPLICIT)
    return KF_EINVAL;
  return kf__conv_plan(g, mode, explicit_pairs);
}

/* ------------------------------------------------------- index mapping */

/* The input index that output o reads at kernel position t along dimension
 * d, or -1 for padding and dilation holes. */
static int64_t src_index(const kf__conv_geom *g, int d, int64_t o, int64_t t) {
  const int64_t n = g->in[d], ld = g->lhs_dil[d];
  int64_t p = o * g->stride[d] + t * g->rhs_dil[d] - g->pad_lo[d];
  if (p >= 0 && p < dilate(n, ld)) {
    if (ld == 1) return p;
    return p % ld ? -1 : p / ld;
  }
  switch (g->edge) {
    case KF__EDGE_WRAP: return pymod(p, n);
    case KF__EDGE_REFLECT:
      if (n == 1) return 0;
      p = pymod(p, 2 * (n - 1));
      return p < n ? p : 2 * (n - 1) - p;
    default: return -1;
  }
}

/* One output position's view of the input: per dimension, the input index
 * (times that dimension's element stride) at each kernel position, or -1. */
typedef struct {
  const kf__conv_geom *g;
  int64_t o[3];
  int64_t tab[3][TAPS];
} row_taps;

static void row_taps_set(row_taps *rt, const row_taps *prev, const int64_t *o,
                         const int64_t *xstride) {
  const kf__conv_geom *g = rt->g;
  for (int d = 0; d < 3; d++) {
    rt->o[d] = o[d];
    const int64_t k = g->kernel[d];
    if (k > TAPS) continue;
    if (prev && prev->o[d] == o[d]) { /* the previous row's, as neighbours share most */
      memcpy(rt->tab[d], prev->tab[d], (size_t)k * sizeof *rt->tab[d]);
      continue;
    }
    if (g->edge == KF__EDGE_ZERO && g->lhs_dil[d] == 1) {
      /* the common case, without src_index's general mapping */
      const int64_t p0 = o[d] * g->stride[d] - g->pad_lo[d], rd = g->rhs_dil[d], n = g->in[d];
      for (int64_t t = 0; t < k; t++) {
        const int64_t p = p0 + t * rd;
        rt->tab[d][t] = (p >= 0 && p < n) ? p * xstride[d] : -1;
      }
      continue;
    }
    for (int64_t t = 0; t < k; t++) {
      const int64_t i = src_index(g, d, o[d], t);
      rt->tab[d][t] = i < 0 ? -1 : i * xstride[d];
    }
  }
}

static inline int64_t row_tap(const row_taps *rt, const int64_t *xstride, int d, int64_t t) {
  if (rt->g->kernel[d] <= TAPS) return rt->tab[d][t];
  const int64_t i = src_index(rt->g, d, rt->o[d], t);
  return i < 0 ? -1 : i * xstride[d];
}

/* ------------------------------------------------------------ convolution */

typedef struct {
  const kf__conv_geom *g;
  const float *x;
  int64_t xstride[3]; /* floats between neighbours along each spatial dimension */
  size_t xbatch;      /* floats per batch element of x */
  size_t cin;         /* input channels per group */
  size_t npos;        /* output positions per batch element */
} patches;

/* A patch row's output position, advanced row by row without divisions. */
typedef struct {
  size_t b;
  int64_t o[3];
} row_pos;

static void row_pos_at(const kf__conv_geom *g, size_t npos, size_t r, row_pos *rp) {
  rp->b = r / npos;
  size_t pos = r % npos;
  rp->o[2] = (int64_t)(pos % (size_t)g->out[2]), pos /= (size_t)g->out[2];
  rp->o[1] = (int64_t)(pos % (size_t)g->out[1]), pos /= (size_t)g->out[1];
  rp->o[0] = (int64_t)pos;
}

static void row_pos_next(const kf__conv_geom *g, row_pos *rp) {
  if (++rp->o[2] < g->out[2]) return;
  rp->o[2] = 0;
  if (++rp->o[1] < g->out[1]) return;
  rp->o[1] = 0;
  if (++rp->o[0] < g->out[0]) return;
  rp->o[0] = 0;
  rp->b++;
}

/* Where patch column pc starts: kernel position t[] and channel c. */
typedef struct {
  int64_t t[3];
  size_t c;
} col_pos;

static void col_pos_at(const kf__conv_geom *g, size_t cin, size_t pc, col_pos *cp) {
  size_t tap = pc / cin;
  cp->c = pc % cin;
  cp->t[2] = (int64_t)(tap % (size_t)g->kernel[2]), tap /= (size_t)g->kernel[2];
  cp->t[1] = (int64_t)(tap % (size_t)g->kernel[1]), tap /= (size_t)g->kernel[1];
  cp->t[0] = (int64_t)tap;
}

/* What a row past the last reads: zeros, as many as a panel has columns. */
static const float zero_row[KC];

#if defined(__GNUC__)
#define KF_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define KF_ALWAYS_INLINE inline
#endif

/* Writes `rows` patch rows from *rp on (which it advances) and columns
 * [cp, cp + kc) of group grp as one sliver of mr rows: element (i, p) at
 * out[p * mr + i], rows past `rows` zero. The rows share the run structure
 * of the columns (kernel position by kernel position, up to cin channels
 * each), so each run is copied for all mr rows at once; mr is a constant in
 * each caller, which lets the compiler unroll the row loop. */
static KF_ALWAYS_INLINE void pack_sliver_mr(const patches *pt, size_t grp, row_pos *rp,
                                            size_t rows, const size_t mr, const col_pos *cp,
                                            size_t kc, float *out) {
  const kf__conv_geom *g = pt->g;
  row_taps rt[KF__GEMM_MR_avx512];
  const float *xb[KF__GEMM_MR_avx512];
  const int tabled = g->kernel[0] <= TAPS && g->kernel[1] <= TAPS && g->kernel[2] <= TAPS;
  for (size_t i = 0; i < mr; i++) {
    rt[i].g = g;
    if (i >= rows) continue;
    row_taps_set(&rt[i], i > 0 ? &rt[i - 1] : NULL, rp->o, pt->xstride);
    xb[i] = pt->x + rp->b * pt->xbatch + grp * pt->cin;
    row_pos_next(g, rp);
  }
  size_t c = cp->c;
  int64_t t[3] = {cp->t[0], cp->t[1], cp->t[2]};
  for (size_t p = 0; p < kc;) {
    size_t n = pt->cin - c;
    if (n > kc - p) n = kc - p;
    const float *src[KF__GEMM_MR_avx512];
    for (size_t i = 0; i < mr; i++) {
      src[i] = zero_row;
      if (i >= rows) continue;
      int64_t a0, a1, a2;
      if (tabled) { /* row_tap without its per-call test */
        a0 = rt[i].tab[0][t[0]], a1 = rt[i].tab[1][t[1]], a2 = rt[i].tab[2][t[2]];
      } else {
        a0 = row_tap(&rt[i], pt->xstride, 0, t[0]);
        a1 = row_tap(&rt[i], pt->xstride, 1, t[1]);
        a2 = row_tap(&rt[i], pt->xstride, 2, t[2]);
      }
      if ((a0 | a1 | a2) >= 0) src[i] = xb[i] + a0 + a1 + a2 + c;
    }
    float *dst = out + p * mr;
    for (size_t q = 0; q < n; q++)
      for (size_t i = 0; i < mr; i++) dst[q * mr + i] = src[i][q];
    p += n;
    c = 0;
    if (++t[2] == g->kernel[2]) {
      t[2] = 0;
      if (++t[1] == g->kernel[1]) t[1] = 0, t[0]++;
    }
  }
}

static void pack_sliver(const patches *pt, size_t grp, row_pos *rp, size_t rows, size_t mr,
                        const col_pos *cp, size_t kc, float *out) {
  switch (mr) {
    case KF__GEMM_MR_avx512:
      pack_sliver_mr(pt, grp, rp, rows, KF__GEMM_MR_avx512, cp, kc, out);
      return;
    case KF__GEMM_MR_avx2: pack_sliver_mr(pt, grp, rp, rows, KF__GEMM_MR_avx2, cp, kc, out); return;
    default: pack_sliver_mr(pt, grp, rp, rows, KF__GEMM_MR_scalar, cp, kc, out); return;
  }
}

static size_t kernel_positions(const kf__conv_geom *g) {
  return (size_t)(g->kernel[0] * g->kernel[1] * g->kernel[2]);
}

static void add_bias(float *y, size_t rows, size_t ld, const float *bias, size_t n) {
  for (size_t r = 0; r < rows; r++)
    for (size_t j = 0; j < n; j++) y[r * ld + j] += bias[j];
}

/* Floats of one batch element's unfolded (circular transpose) output, the
 * largest of the fold's stages. */
static size_t fold_stage_size(const kf__conv_geom *g) {
  size_t best = 0;
  for (int last = -1; last < g->nd; last++) {
    size_t s = (size_t)g->out_ch;
    for (int d = 0; d < g->nd; d++) s *= (size_t)(d <= last ? g->out[d] : g->full[d]);
    if (s > best) best = s;
  }
  return best;
}

/* Whether the chain is split by kernel position (conv.h): with input
 * dilation, no kernel dilation and one group, as XLA:CPU computes it. */
static int tapwise(const kf__conv_geom *g) {
  return (g->lhs_dil[0] != 1 || g->lhs_dil[1] != 1 || g->lhs_dil[2] != 1) &&
         g->rhs_dil[0] == 1 && g->rhs_dil[1] == 1 && g->rhs_dil[2] == 1 && g->groups == 1;
}

static size_t core_workspace(kf__isa isa, const kf__conv_geom *g) {
  size_t mr, nr;
  kf__gemm_tile_dims(isa, &mr, &nr);
  const size_t cin = (size_t)(g->in_ch / g->groups);
  const size_t k = tapwise(g) ? cin : kernel_positions(g) * cin;
  const size_t n = (size_t)(g->out_ch / g->groups), nc = n < NC ? n : NC;
  const size_t kc = k < KC ? k : KC;
  return (MC + mr) * kc + kc * (nc + nr) + (tapwise(g) ? MC * nc : 0);
}

size_t kf__conv_workspace(kf__isa isa, const kf__conv_geom *g) {
  size_t w = core_workspace(isa, g);
  if (g->fold) w += 2 * fold_stage_size(g);
  return w;
}

/* One block of mc patch rows from *rp on (advanced past them) times one
 * packed panel of the kernel: patch columns from *cp, kc of them, into c
 * (row stride ldc), continuing the chains there or starting them. */
static void block_product(kf__isa isa, const patches *pt, size_t grp, row_pos *rp,
                          const col_pos *cp, size_t mc, size_t kc, size_t nc, float *ap,
                          const float *bp, float *c, size_t ldc, int accumulate) {
  size_t mr, nr;
  kf__gemm_tile_dims(isa, &mr, &nr);
  for (size_t ir = 0; ir < mc; ir += mr)
    pack_sliver(pt, grp, rp, (mc - ir < mr) ? mc - ir : mr, mr, cp, kc, ap + ir * kc);
  for (size_t jr = 0; jr < nc; jr += nr) {
    const size_t nv = (nc - jr < nr) ? nc - jr : nr;
    for (size_t ir = 0; ir < mc; ir += mr) {
      const size_t mv = (mc - ir < mr) ? mc - ir : mr;
      kf__k_gemm_tile(isa, kc, ap + ir * kc, bp + jr * kc, nr, c + ir * ldc + jr, ldc, accumulate,
                      mv, nv);
    }
  }
}

/* y (+)= d for one block of a tapwise convolution: acc = +0, then acc + d
 * kernel position by kernel position. */
static void add_block(float *y, size_t ldy, const float *d, size_t mc, size_t nc, int first) {
  for (size_t r = 0; r < mc; r++)
    for (size_t j = 0; j < nc; j++)
      y[r * ldy + j] = (first ? 0.0f : y[r * ldy + j]) + d[r * nc + j];
}

/* One input channel per group (depthwise, any multiplier): the chains
 * directly, every output channel of a position side by side, which the
 * matrix product would run with one or two of a tile's columns each. The
 * same order: per output, kernel positions row-major, padding as x = 0. */
static void conv_depthwise(const kf__conv_geom *g, const float *x, const float *kernel,
                           const float *bias, float *y) {
  const size_t ldy = (size_t)g->out_ch, mult = ldy / (size_t)g->groups;
  const int64_t xs[3] = {g->in[1] * g->in[2] * g->in_ch, g->in[2] * g->in_ch, g->in_ch};
  const size_t xbatch = (size_t)(g->in[0] * xs[0]);
  const size_t npos = (size_t)(g->out[0] * g->out[1] * g->out[2]);
  row_pos rp;
  row_pos_at(g, npos, 0, &rp);
  row_taps rt;
  rt.g = g;
  for (size_t r = 0; r < g->batch * npos; r++, row_pos_next(g, &rp)) {
    float *acc = y + r * ldy;
    for (size_t o = 0; o < ldy; o++) acc[o] = 0.0f;
    row_taps_set(&rt, NULL, rp.o, xs);
    const float *xb = x + rp.b * xbatch;
    const float *w = kernel;
    for (int64_t t0 = 0; t0 < g->kernel[0]; t0++) {
      const int64_t a0 = row_tap(&rt, xs, 0, t0);
      for (int64_t t1 = 0; t1 < g->kernel[1]; t1++) {
        const int64_t a1 = row_tap(&rt, xs, 1, t1);
        for (int64_t t2 = 0; t2 < g->kernel[2]; t2++, w += ldy) {
          const int64_t a2 = row_tap(&rt, xs, 2, t2);
          const float *src = (a0 < 0 || a1 < 0 || a2 < 0) ? zero_row : xb + a0 + a1 + a2;
          if (src == zero_row) {
            for (size_t o = 0; o < ldy; o++) acc[o] = fmaf(0.0f, w[o], acc[o]);
          } else if (mult == 1) {
            for (size_t o = 0; o < ldy; o++) acc[o] = fmaf(src[o], w[o], acc[o]);
          } else {
            for (size_t o = 0; o < ldy; o++) acc[o] = fmaf(src[o / mult], w[o], acc[o]);
          }
        }
      }
    }
    if (bias) add_bias(acc, 1, ldy, bias, ldy);
  }
}

/* The convolution proper (no fold): y has out_ch columns per position.
 * Patch columns [s0, s0 + len) form one chain (all of them, or one kernel
 * position's channels when tapwise), run in equal panels of at most KC.
 * Panels are the outer loop, so each is packed once, except for a tapwise
 * chain of several panels, whose partial block in the scratch d must be
 * finished before the next block: there the blocks are outside. */
static void conv_core(kf__isa isa, const kf__conv_geom *g, const float *x, const float *kernel,
                      const float *bias, float *y, float *work) {
  size_t mr, nr;
  kf__gemm_tile_dims(isa, &mr, &nr);
  patches pt;
  pt.g = g;
  pt.x = x;
  pt.cin = (size_t)(g->in_ch / g->groups);
  pt.xstride[2] = g->in_ch;
  pt.xstride[1] = g->in[2] * g->in_ch;
  pt.xstride[0] = g->in[1] * pt.xstride[1];
  pt.xbatch = (size_t)(g->in[0] * pt.xstride[0]);
  pt.npos = (size_t)(g->out[0] * g->out[1] * g->out[2]);
  const size_t m = g->batch * pt.npos;
  if (m == 0) return;
  if (g->groups > 1 && pt.cin == 1) {
    conv_depthwise(g, x, kernel, bias, y);
    return;
  }
  const int split = tapwise(g);
  const size_t k = kernel_positions(g) * pt.cin, len = split ? pt.cin : k;
  const size_t ldy = (size_t)g->out_ch, n = ldy / (size_t)g->groups;
  /* equal panels: a short last panel costs a reload of the tile for little work */
  const size_t panels = (len + KC - 1) / KC, kstep = (len + panels - 1) / panels;
  float *ap = work;
  float *bp = ap + (MC + mr) * (len < KC ? len : KC);
  float *d = bp + (len < KC ? len : KC) * ((n < NC ? n : NC) + nr);
  for (size_t grp = 0; grp < (size_t)g->groups; grp++) {
    for (size_t jc = 0; jc < n; jc += NC) {
      const size_t nc = (n - jc < NC) ? n - jc : NC;
      const size_t col0 = grp * n + jc;
      for (size_t s0 = 0; s0 < k; s0 += len) {
        const int last_seg = s0 + len == k;
        col_pos cp;
        row_pos rp;
        if (!split || panels == 1) {
          for (size_t pc = s0; pc < s0 + len; pc += kstep) {
            const size_t kc = (s0 + len - pc < kstep) ? s0 + len - pc : kstep;
            kf__gemm_pack_b(kernel + pc * ldy + col0, ldy, kc, nc, nr, bp);
            col_pos_at(g, pt.cin, pc, &cp);
            row_pos_at(g, pt.npos, 0, &rp);
            for (size_t ic = 0; ic < m; ic += MC) {
              const size_t mc = (m - ic < MC) ? m - ic : MC;
              float *yb = y + ic * ldy + col0;
              block_product(isa, &pt, grp, &rp, &cp, mc, kc, nc, ap, bp, split ? d : yb,
                            split ? nc : ldy, pc > s0);
              if (split) add_block(yb, ldy, d, mc, nc, s0 == 0);
              if (bias && last_seg && pc + kc == s0 + len)
                add_bias(yb, mc, ldy, bias + col0, nc);
            }
          }
          continue;
        }
        row_pos_at(g, pt.npos, 0, &rp);
        for (size_t ic = 0; ic < m; ic += MC) {
          const size_t mc = (m - ic < MC) ? m - ic : MC;
          const row_pos block = rp;
          for (size_t pc = s0; pc < s0 + len; pc += kstep) {
            const size_t kc = (s0 + len - pc < kstep) ? s0 + len - pc : kstep;
            kf__gemm_pack_b(kernel + pc * ldy + col0, ldy, kc, nc, nr, bp);
            col_pos_at(g, pt.cin, pc, &cp);
            rp = block;
            block_product(isa, &pt, grp, &rp, &cp, mc, kc, nc, ap, bp, d, nc, pc > s0);
          }
          float *yb = y + ic * ldy + col0;
          add_block(yb, ldy, d, mc, nc, s0 == 0);
          if (bias && last_seg) add_bias(yb, mc, ldy, bias + col0, nc);
        }
      }
    }
  }
}

/* One fold stage along dimension d: src has `outer` blocks of len_in
 * positions of `inner` floats; dst gets period positions, each the sum
 * from +0 over the chunks in order of src at c * period + j - lo. Padding
 * adds +0, which cannot change a sum that starts at +0, so it is skipped. */
static void fold_dim(const float *src, float *dst, size_t outer, int64_t len_in, int64_t period,
                     int64_t lo, size_t inner) {
  for (size_t o = 0; o < outer; o++) {
    const float *s = src + o * (size_t)len_in * inner;
    float *t = dst + o * (size_t)period * inner;
    for (size_t i = 0; i < (size_t)period * inner; i++) t[i] = 0.0f;
    for (int64_t q = 0; q < len_in; q++) {
      float *tq = t + (size_t)pymod(q + lo, period) * inner;
      const float *sq = s + (size_t)q * inner;
      for (size_t i = 0; i < inner; i++) tq[i] += sq[i];
    }
  }
}

void kf__conv(kf__isa isa, const kf__conv_geom *g, const float *x, const float *kernel,
              const float *bias, float *y, float *work) {
  if (!g->fold) {
    conv_core(isa, g, x, kernel, bias, y, work);
    return;
  }
  /* Circular transpose: one batch element at a time, unfolded into the
   * scratch, then folded dimension by dimension (the last into y). */
  kf__conv_geom one = *g;
  one.batch = 1;
  one.fold = 0;
  for (int d = 0; d < 3; d++) one.out[d] = g->full[d];
  const size_t stage = fold_stage_size(g);
  float *buf[2] = {work + core_workspace(isa, g), work + core_workspace(isa, g) + stage};
  const size_t xsz = (size_t)(g->in[0] * g->in[1] * g->in[2] * g->in_ch);
  const size_t ysz = (size_t)(g->out[0] * g->out[1] * g->out[2] * g->out_ch);
  for (size_t b = 0; b < g->batch; b++) {
    conv_core(isa, &one, x + b * xsz, kernel, NULL, buf[0], work);
    int cur = 0;
    for (int d = 0; d < g->nd; d++) {
      size_t outer = 1, inner = (size_t)g->out_ch;
      for (int e = 0; e < d; e++) outer *= (size_t)g->out[e];
      for (int e = d + 1; e < g->nd; e++) inner *= (size_t)g->full[e];
      float *dst = d == g->nd - 1 ? y + b * ysz : buf[1 - cur];
      fold_dim(buf[cur], dst, outer, g->full[d], g->out[d], g->fold_lo[d], inner);
      cur = 1 - cur;
    }
    if (bias) add_bias(y + b * ysz, ysz / (size_t)g->out_ch, (size_t)g->out_ch, bias,
                       (size_t)g->out_ch);
  }
}

/* ---------------------------------------------------------------- pooling */

enum { POOL_AVG, POOL_MAX, POOL_MIN };

static void pool(const kf__conv_geom *g, const float *x, float *y, int op, int count_pad,
                 int reciprocal) {
  const size_t ch = (size_t)g->in_ch;
  const int64_t xs1 = g->in[2] * (int64_t)ch, xs0 = g->in[1] * xs1;
  const size_t xbatch = (size_t)(g->in[0] * xs0);
  const float init = op == POOL_MAX ? -INFINITY : op == POOL_MIN ? INFINITY : 0.0f;
  const float window = (float)(g->kernel[0] * g->kernel[1] * g->kernel[2]);
  for (size_t b = 0; b < g->batch; b++) {
    for (int64_t o0 = 0; o0 < g->out[0]; o0++)
      for (int64_t o1 = 0; o1 < g->out[1]; o1++)
        for (int64_t o2 = 0; o2 < g->out[2]; o2++) {
          float *acc = y + (((b * (size_t)g->out[0] + (size_t)o0) * (size_t)g->out[1] +
                             (size_t)o1) * (size_t)g->out[2] + (size_t)o2) * ch;
          for (size_t c = 0; c < ch; c++) acc[c] = init;
          float count = 0.0f;
          for (int64_t t0 = 0; t0 < g->kernel[0]; t0++) {
            const int64_t i0 = src_index(g, 0, o0, t0);
            if (i0 < 0) continue;
            for (int64_t t1 = 0; t1 < g->kernel[1]; t1++) {
              const int64_t i1 = src_index(g, 1, o1, t1);
              if (i1 < 0) continue;
              for (int64_t t2 = 0; t2 < g->kernel[2]; t2++) {
                const int64_t i2 = src_index(g, 2, o2, t2);
                if (i2 < 0) continue;
                const float *v = x + b * xbatch + (size_t)(i0 * xs0 + i1 * xs1 + i2 * (int64_t)ch);
                count += 1.0f;
                if (op == POOL_AVG) {
                  for (size_t c = 0; c < ch; c++) acc[c] += v[c];
                } else if (op == POOL_MAX) {
                  for (size_t c = 0; c < ch; c++)
                    if (v[c] > acc[c] || (v[c] != v[c] && acc[c] == acc[c])) acc[c] = v[c];
                } else {
                  for (size_t c = 0; c < ch; c++)
                    if (v[c] < acc[c] || (v[c] != v[c] && acc[c] == acc[c])) acc[c] = v[c];
                }
              }
            }
          }
          if (op == POOL_AVG) {
            const float d = count_pad ? window : count;
            if (reciprocal) {
              const float r = 1.0f / d;
              for (size_t c = 0; c < ch; c++) acc[c] *= r;
            } else {
              for (size_t c = 0; c < ch; c++) acc[c] /= d;
            }
          }
        }
  }
}

void kf__avg_pool(const kf__conv_geom *g, const float *x, float *y, int count_include_pad,
                  int reciprocal) {
  pool(g, x, y, POOL_AVG, count_include_pad, reciprocal);
}

void kf__max_pool(const kf__conv_geom *g, const float *x, float *y) {
  pool(g, x, y, POOL_MAX, 0, 0);
}

void kf__min_pool(const kf__conv_geom *g, const float *x, float *y) {
  pool(g, x, y, POOL_MIN, 0, 0);
}
