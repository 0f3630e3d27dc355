/* keyfold — the jax.random distributions built on one uniform or on normals
 * (xla-numerics.md §B.1, §B.2, §B.7), as jaxlib 0.10.2 computes them on
 * x86-64: JAX's formulas (jax/_src/random/core.py) after XLA's simplifier,
 * with XLA's own log, log1p and exp (xla_math.c), the C library's tanf and
 * powf (which XLA calls), fmaf where XLA fuses, and denormals read and
 * written as zero as in XLA:CPU's kernels (ftz below).
 *
 * A parameter broadcast to the output (p_n = 1 < n) is computed as XLA
 * computes a broadcast operand: a division by it becomes a multiplication by
 * its reciprocal, and a constant multiplying the same product moves into it
 * (lognormal's sqrt(2)). Each sampler says where that applies. */
#include <math.h>
#include <string.h>

#include "bits.h"
#include "internal.h"
#include "names.h"
#include "keyfold/error.h"
#include "keyfold/random.h"
#include "simd.h"
#include "special.h"
#include "xla_math.h"

/* ---------------------------------------------------------------- helpers */

/* XLA:CPU's kernels read and write denormals as zero: every float operation
 * that can meet one goes through ftz. */
#define ftz kf__xla_ftz

/* A float parameter under the (p, p_n) convention of keyfold/random.h:
 * element i reads v[i * step]; broadcast is set for one value spread over
 * n > 1 elements. */
typedef struct {
  const float *v;
  size_t step;
  int broadcast;
} param;

static int param_take(const float *p, size_t p_n, size_t n, param *out) {
  if (p_n == n) { /* checked first: n = p_n = 1 is an array of the output's shape */
    if (n > 0 && !p) return KF_EINVAL;
    *out = (param){p, 1, 0};
    return KF_OK;
  }
  if (p_n != 1 || !p) return KF_EINVAL;
  *out = (param){p, 0, 1};
  return KF_OK;
}

/* Element i's value, read as XLA reads it (a denormal as zero). */
static inline float param_at(param p, size_t i) { return ftz(p.v[i * p.step]); }

/* Elements [start, start + len) (len <= KF_BLOCK) of scale *
 * erf_inv(uniform(key, (total,), nextafter(-1, 0), 1)): normal() when scale
 * is sqrt(2) (sample.c). */
static void normal_block(kf__isa isa, kf_key key, kf_threefry_mode mode, uint64_t total,
                         uint64_t start, size_t len, float scale, float *z) {
  const float lo = nextafterf(-1.0f, 0.0f);
  kf__uniform_block(isa, key, mode, total, start, len, lo, 1.0f - lo, z);
  kf__k_erf_inv(isa, z, len, scale, -INFINITY, INFINITY, z);
}

#define SQRT2_F32 0x1.6a09e6p+0f /* f32(sqrt(2)) = 1.4142135 */
#define PI_F32 0x1.921fb6p+1f    /* f32(pi) = 3.1415927 */
#define EPS_F32 0x1p-23f         /* finfo(float32).eps */

/* The sampler kernels that turn random bits into values. */
typedef void (*bits_kernel)(kf__isa isa, const uint32_t *bits, size_t len, float *out);

static void fill_from_bits(kf_key key, kf_threefry_mode mode, size_t n, bits_kernel k, float *out) {
  const kf__isa isa = kf__isa_best();
  uint32_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    kf__bits32_range(key, mode, n, start, len, bits);
    k(isa, bits, len, out + start);
  }
}

/* ------------------------------------------------------- one uniform each */

int kf_random_exponential(kf_key key, kf_threefry_mode mode, size_t n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  fill_from_bits(key, mode, n, kf__k_exponential, out);
  return KF_OK;
}

int kf_random_laplace(kf_key key, kf_threefry_mode mode, size_t n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  fill_from_bits(key, mode, n, kf__k_laplace, out);
  return KF_OK;
}

int kf_random_logistic(kf_key key, kf_threefry_mode mode, size_t n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  fill_from_bits(key, mode, n, kf__k_logistic, out);
  return KF_OK;
}

/* -------------------------------------------------------------- gumbel */

static const char *const gumbel_mode_names[] = {"low", "high", "highest"};
KF__NAMES_DEFINE(gumbel_mode, kf_gumbel_mode, gumbel_mode_names)

/* mode "high": hi, lo = uniform(key, (2,) + shape); x = hi where hi >= 0.5,
 * else hi + 2^-23 * lo + tiny (the product exact); -log(-log1p(-x)). */
static float gumbel_high_x(float hi, float lo) {
  return (hi >= 0.5f) ? hi : fmaf(lo, EPS_F32, hi) + KF__TINY;
}

static uint32_t clz32(uint32_t v) { return v ? (uint32_t)__builtin_clz(v) : 32u; }

/* XLA's logical shifts: a shift by 32 or more gives 0. */
static uint32_t shl(uint32_t v, uint32_t s) { return s >= 32 ? 0 : v << s; }
static uint32_t shr(uint32_t v, uint32_t s) { return s >= 32 ? 0 : v >> s; }

/* jax's _safe_int_to_float: the 64-bit fraction 0.hi lo as a float in
 * (0, 1), its leading 24 bits truncated to a float32 significand (a zero
 * fraction gives 2^-65). */
static float safe_int_to_float(uint32_t hi, uint32_t lo) {
  const uint32_t hz = clz32(hi), lz = clz32(lo);
  uint32_t m = shl(hi, hz) | (hz == 32 ? shl(lo, lz) : shr(lo, 32u - hz));
  m = (m >> 8) & 0x7fffffu;
  const uint32_t e = ((126u - (hz == 32 ? 32u + lz : hz)) << 23) & 0x3fc00000u;
  const uint32_t b = e | m;
  float f;
  memcpy(&f, &b, sizeof f);
  return f;
}

/* mode "highest" (jax >= 0.10) takes the 64-bit value v = hi:lo: below
 * 2^63, x = v / 2^64 and -log(-log1p(-x)); else x = (2^64 - v) / 2^64 and
 * -log(-log(x)). XLA computes both and selects; so do the blocks below. */
static float gumbel_highest_x(uint32_t hi, uint32_t lo) {
  if (hi < 0x80000000u) return safe_int_to_float(hi, lo);
  return safe_int_to_float(~hi + (~lo == 0xffffffffu), ~lo + 1u);
}

int kf_random_gumbel(kf_key key, kf_threefry_mode mode, size_t n, kf_gumbel_mode gmode,
                     float *out) {
  if (gmode != KF_GUMBEL_LOW && gmode != KF_GUMBEL_HIGH && gmode != KF_GUMBEL_HIGHEST)
    return KF_EINVAL;
  const uint64_t draws = gmode == KF_GUMBEL_LOW ? n : 2 * (uint64_t)n;
  int rc = kf__sampler_check_draws(mode, n, draws, out);
  if (rc != KF_OK) return rc;
  if (gmode == KF_GUMBEL_LOW) {
    fill_from_bits(key, mode, n, kf__k_gumbel, out);
    return KF_OK;
  }
  /* shape (2,) + shape: element i pairs draws i and n + i. */
  const kf__isa isa = kf__isa_best();
  uint32_t b0[KF_BLOCK], b1[KF_BLOCK];
  float u0[KF_BLOCK], u1[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *o = out + start;
    kf__bits32_range(key, mode, draws, start, len, b0);
    kf__bits32_range(key, mode, draws, n + start, len, b1);
    if (gmode == KF_GUMBEL_HIGH) {
      kf__k_uniform(isa, b0, len, 0.0f, 1.0f, u0);
      kf__k_uniform(isa, b1, len, 0.0f, 1.0f, u1);
      for (size_t t = 0; t < len; t++) u0[t] = -gumbel_high_x(u0[t], u1[t]);
      kf__k_log1p(isa, u0, len, o); /* log1p(-x) */
    } else {
      for (size_t t = 0; t < len; t++) u1[t] = gumbel_highest_x(b0[t], b1[t]), u0[t] = -u1[t];
      kf__k_log1p(isa, u0, len, o);  /* log1p(-x), the hi < 2^63 lanes' */
      kf__k_log(isa, u1, len, u1);   /* log(x), the others' */
      for (size_t t = 0; t < len; t++) o[t] = b0[t] < 0x80000000u ? o[t] : u1[t];
    }
    for (size_t t = 0; t < len; t++) o[t] = -o[t];
    kf__k_log(isa, o, len, o);
    for (size_t t = 0; t < len; t++) o[t] = -o[t];
  }
  return KF_OK;
}

/* -------------------------------------------------------------- cauchy */

int kf_random_cauchy(kf_key key, kf_threefry_mode mode, size_t n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  const kf__isa isa = kf__isa_best();
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *u = out + start;
    kf__uniform_block(isa, key, mode, n, start, len, EPS_F32, 1.0f - EPS_F32, u);
    /* jaxlib >= 0.7.1 emits one tanf call (jaxlib <= 0.7.0: sinf / cosf). */
    for (size_t t = 0; t < len; t++) u[t] = tanf((u[t] - 0.5f) * PI_F32);
  }
  return KF_OK;
}

/* ------------------------------------------------------- exponential-based */

/* pareto: exp(e / b); exp(e * (1 / b)) for a broadcast b. */
int kf_random_pareto(kf_key key, kf_threefry_mode mode, size_t n, const float *b, size_t b_n,
                     float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  param pb;
  if (rc != KF_OK || (rc = param_take(b, b_n, n, &pb)) != KF_OK) return rc;
  const float inv_b = pb.broadcast ? ftz(1.0f / param_at(pb, 0)) : 0.0f;
  const kf__isa isa = kf__isa_best();
  uint32_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *e = out + start;
    kf__bits32_range(key, mode, n, start, len, bits);
    kf__k_exponential(isa, bits, len, e);
    for (size_t t = 0; t < len; t++)
      e[t] = ftz(pb.broadcast ? e[t] * inv_b : e[t] / param_at(pb, start + t));
    kf__k_exp(isa, e, len, e);
  }
  return KF_OK;
}

/* weibull_min: powf(e, 1 / concentration) * scale, e = -log1p(-u) (the
 * exponential). 1 / concentration is the same division either way. */
int kf_random_weibull_min(kf_key key, kf_threefry_mode mode, size_t n, const float *scale,
                          size_t scale_n, const float *concentration, size_t concentration_n,
                          float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  param ps, pc;
  if (rc != KF_OK || (rc = param_take(scale, scale_n, n, &ps)) != KF_OK ||
      (rc = param_take(concentration, concentration_n, n, &pc)) != KF_OK)
    return rc;
  fill_from_bits(key, mode, n, kf__k_exponential, out);
  const float y1 = pc.broadcast ? ftz(1.0f / param_at(pc, 0)) : 0.0f;
  for (size_t i = 0; i < n; i++) {
    const float y = pc.step ? ftz(1.0f / param_at(pc, i)) : y1;
    out[i] = ftz(ftz(powf(out[i], y)) * param_at(ps, i));
  }
  return KF_OK;
}

/* ------------------------------------------------------- uniform [0, 1) */

/* rayleigh: scale * sqrt(log(u) * -2); u = 0 gives scale * inf. */
int kf_random_rayleigh(kf_key key, kf_threefry_mode mode, size_t n, const float *scale,
                       size_t scale_n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  param ps;
  if (rc != KF_OK || (rc = param_take(scale, scale_n, n, &ps)) != KF_OK) return rc;
  const kf__isa isa = kf__isa_best();
  float u[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    kf__uniform_block(isa, key, mode, n, start, len, 0.0f, 1.0f, u);
    kf__k_log(isa, u, len, u);
    for (size_t t = 0; t < len; t++) out[start + t] = ftz(param_at(ps, start + t) * sqrtf(ftz(u[t] * -2.0f)));
  }
  return KF_OK;
}

/* XLA's float32 to int32 conversion: NaN gives 0, values beyond the range
 * its bound, others truncate. */
static int32_t f32_to_s32(float x) {
  if (isnan(x)) return 0;
  if (x >= 2147483648.0f) return INT32_MAX;
  if (x <= -2147483648.0f) return INT32_MIN;
  return (int32_t)x;
}

/* geometric: floor(log(u) / log1p(-p)) + 1, u = 0 read as 1; a broadcast p
 * multiplies by 1 / log1p(-p) instead. */
int kf_random_geometric(kf_key key, kf_threefry_mode mode, size_t n, const float *p, size_t p_n,
                        int32_t *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  param pp;
  if (rc != KF_OK || (rc = param_take(p, p_n, n, &pp)) != KF_OK) return rc;
  const float inv = pp.broadcast ? ftz(1.0f / kf__xla_log1pf(-param_at(pp, 0))) : 0.0f;
  const kf__isa isa = kf__isa_best();
  float u[KF_BLOCK], lp[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    kf__uniform_block(isa, key, mode, n, start, len, 0.0f, 1.0f, u);
    for (size_t t = 0; t < len; t++) u[t] = u[t] == 0.0f ? 1.0f : u[t];
    kf__k_log(isa, u, len, u);
    if (!pp.broadcast) {
      for (size_t t = 0; t < len; t++) lp[t] = -param_at(pp, start + t);
      kf__k_log1p(isa, lp, len, lp);
    }
    for (size_t t = 0; t < len; t++) {
      const float q = pp.broadcast ? u[t] * inv : u[t] / lp[t];
      out[start + t] = f32_to_s32(floorf(ftz(q)) + 1.0f);
    }
  }
  return KF_OK;
}

/* triangular: fc = (mode - left) / (right - left) (times the reciprocal of
 * right - left when both bounds are broadcast); below fc,
 * left + sqrt(u * (right - left) * (mode - left)), else
 * right - sqrt((1 - u) * (right - left) * (right - mode)), each product in
 * that order. */
int kf_random_triangular(kf_key key, kf_threefry_mode mode, size_t n, const float *left,
                         size_t left_n, const float *peak, size_t peak_n, const float *right,
                         size_t right_n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  param pl, pm, pr;
  if (rc != KF_OK || (rc = param_take(left, left_n, n, &pl)) != KF_OK ||
      (rc = param_take(peak, peak_n, n, &pm)) != KF_OK ||
      (rc = param_take(right, right_n, n, &pr)) != KF_OK)
    return rc;
  const int reciprocal = pl.broadcast && pr.broadcast;
  const float inv_w = reciprocal ? ftz(1.0f / ftz(param_at(pr, 0) - param_at(pl, 0))) : 0.0f;
  const int one_triangle = pl.broadcast && pm.broadcast && pr.broadcast;
  const kf__isa isa = kf__isa_best();
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *u = out + start;
    kf__uniform_block(isa, key, mode, n, start, len, 0.0f, 1.0f, u);
    if (one_triangle) { /* the same parameters for every element: a vector kernel */
      const float l = param_at(pl, 0), m = param_at(pm, 0), r = param_at(pr, 0);
      const float w = ftz(r - l), ml = ftz(m - l);
      const kf__triangle tri = {l, r, w, ml, ftz(r - m), ftz(ml * inv_w)};
      kf__k_triangular(isa, u, len, &tri, u);
      continue;
    }
    for (size_t t = 0; t < len; t++) {
      const size_t i = start + t;
      const float l = param_at(pl, i), m = param_at(pm, i), r = param_at(pr, i);
      const float w = ftz(r - l), ml = ftz(m - l);
      const kf__triangle tri = {l, r, w, ml, ftz(r - m), reciprocal ? ftz(ml * inv_w) : ftz(ml / w)};
      u[t] = kf__triangular_f32(u[t], &tri);
    }
  }
  return KF_OK;
}

/* ------------------------------------------------------------- normals */

/* lognormal: exp(normal * sigma) = exp((sqrt(2) * erf_inv(u)) * sigma); a
 * broadcast sigma takes the constant: exp(erf_inv(u) * (sigma * sqrt(2))). */
int kf_random_lognormal(kf_key key, kf_threefry_mode mode, size_t n, const float *sigma,
                        size_t sigma_n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  param ps;
  if (rc != KF_OK || (rc = param_take(sigma, sigma_n, n, &ps)) != KF_OK) return rc;
  const kf__isa isa = kf__isa_best();
  const float folded = ps.broadcast ? ftz(param_at(ps, 0) * SQRT2_F32) : 0.0f;
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *z = out + start;
    normal_block(isa, key, mode, n, start, len, ps.broadcast ? 1.0f : SQRT2_F32, z);
    for (size_t t = 0; t < len; t++)
      z[t] = ftz(ps.broadcast ? z[t] * folded : z[t] * param_at(ps, start + t));
    kf__k_exp(isa, z, len, z);
  }
  return KF_OK;
}

/* jaxlib 0.10.2 hands a reduction with at least this many inputs, and an
 * elementwise kernel with at least this many outputs, to YNNPACK instead of
 * XLA's own loop emitter; the two round maxwell's sums differently. */
#define YNN_MIN_ELEMENTS 4096

/* maxwell's values [start, start + len) of a draw of n from key: the norm
 * over the last axis of normal(key, (n, 3)), sqrt(reduce_sum(x * x)). How the
 * 3-element sum is rounded depends on who emits it, as measured against
 * jaxlib 0.10.2 on every size from 1 to 5000 tried (other orders and fusions
 * differ on 6% to 15% of draws):
 *   3n < 4096, XLA's loop: fma(x2, x2, fma(x0, x0, x1^2));
 *   3n >= 4096, YNNPACK: (x0^2 + x2^2) + x1^2, every step rounded. */
static void maxwell_block(kf__isa isa, kf_key key, kf_threefry_mode mode, size_t n, size_t start,
                          size_t len, float *out) {
  float z[3 * KF_BLOCK];
  for (size_t d = 0; d < 3 * len; d += KF_BLOCK) {
    const size_t dl = (3 * len - d < KF_BLOCK) ? 3 * len - d : KF_BLOCK;
    normal_block(isa, key, mode, 3 * (uint64_t)n, 3 * (uint64_t)start + d, dl, SQRT2_F32, z + d);
  }
  const int ynn = 3 * (uint64_t)n >= YNN_MIN_ELEMENTS;
  for (size_t t = 0; t < len; t++) {
    const float *x = z + 3 * t;
    const float s = ynn ? (x[0] * x[0] + x[2] * x[2]) + x[1] * x[1]
                        : fmaf(x[2], x[2], fmaf(x[0], x[0], x[1] * x[1]));
    out[t] = sqrtf(s);
  }
}

int kf_random_maxwell(kf_key key, kf_threefry_mode mode, size_t n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, 3 * (uint64_t)n, out);
  if (rc != KF_OK) return rc;
  const kf__isa isa = kf__isa_best();
  for (size_t start = 0; start < n; start += KF_BLOCK)
    maxwell_block(isa, key, mode, n, start, kf__block_len(n, start), out + start);
  return KF_OK;
}

/* double_sided_maxwell: k_m, k_r = split(key); m = maxwell(k_m),
 * sign = 2 * bernoulli(k_r, 0.5) - 1 (as float32), then
 * (sign * m) * scale + loc. Below 4096 outputs XLA's loop emitter fuses the
 * product by scale into the sum; from 4096 on YNNPACK computes the whole
 * expression and rounds the product (measured on every shape tried, both
 * threefry modes; the other form differs on 7% to 9% of draws with scale
 * 0.3). */
int kf_random_double_sided_maxwell(kf_key key, kf_threefry_mode mode, size_t n, const float *loc,
                                   size_t loc_n, const float *scale, size_t scale_n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, 3 * (uint64_t)n, out);
  param pl, ps;
  if (rc != KF_OK || (rc = param_take(loc, loc_n, n, &pl)) != KF_OK ||
      (rc = param_take(scale, scale_n, n, &ps)) != KF_OK)
    return rc;
  kf_key k[2];
  if ((rc = kf_split(key, mode, 2, k)) != KF_OK) return rc;
  const kf__isa isa = kf__isa_best();
  float u[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *m = out + start;
    maxwell_block(isa, k[0], mode, n, start, len, m);
    kf__uniform_block(isa, k[1], mode, n, start, len, 0.0f, 1.0f, u);
    for (size_t t = 0; t < len; t++) {
      const float sm = (u[t] < 0.5f) ? m[t] : -m[t];
      const float sc = param_at(ps, start + t), lc = param_at(pl, start + t);
      m[t] = ftz(n < YNN_MIN_ELEMENTS ? fmaf(sm, sc, lc) : ftz(sm * sc) + lc);
    }
  }
  return KF_OK;
}

/* ------------------------------------------------------------ discrete */

int kf_random_rademacher(kf_key key, kf_threefry_mode mode, size_t n, int32_t *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  uint32_t bits[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    kf__bits32_range(key, mode, n, start, len, bits);
    /* 2 * (uniform < 0.5) - 1: the unit float (bits >> 9) * 2^-23 is below 0.5
     * exactly when the top bit is clear. */
    for (size_t t = 0; t < len; t++) out[start + t] = 1 - 2 * (int32_t)(bits[t] >> 31);
  }
  return KF_OK;
}
