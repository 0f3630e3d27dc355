/* keyfold — the vector kernels of simd.h, written once with GCC's vector
 * extensions and compiled once per instruction set by lib/meson.build, with
 * KF_W lanes and names suffixed by KF_ISA (avx2: 8 lanes with -mavx2 -mfma;
 * avx512: 16 lanes with -mavx512f). Only simd.c calls them, after checking
 * that the CPU has the instructions.
 *
 * Each kernel performs the scalar form's float32 operations (simd.c,
 * special.c, xla_math.c, activations.c) in the same order on every lane, with fused
 * multiply-adds exactly where the scalar code calls fmaf and nowhere else
 * (the build sets -ffp-contract=off), so every lane gives the scalar bits. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "activations.h"
#include "internal.h"
#include "simd.h"
#include "special.h"
#include "xla_math.h"

#if !defined(KF_W) || !defined(KF_ISA)
#error "simd_kernels.c is compiled by lib/meson.build with KF_W and KF_ISA defined"
#endif

#define KF_PASTE2(a, b) a##_##b
#define KF_PASTE(a, b) KF_PASTE2(a, b)
#define KF_FN(name) KF_PASTE(name, KF_ISA)

typedef uint32_t vu __attribute__((vector_size(KF_W * 4)));
typedef int32_t vi __attribute__((vector_size(KF_W * 4)));
typedef float vf __attribute__((vector_size(KF_W * 4)));
typedef uint8_t vb __attribute__((vector_size(KF_W)));

#if KF_W == 16
static inline vf v_fma(vf a, vf b, vf c) {
  return (vf)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
}
static inline vf v_sqrt(vf a) { return (vf)_mm512_sqrt_ps((__m512)a); }
static inline vf v_floor(vf a) {
  return (vf)_mm512_roundscale_ps((__m512)a, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
}
/* cvttps2dq: truncation, NaN and out-of-range lanes to INT32_MIN. */
static inline vi v_cvtt(vf a) { return (vi)_mm512_cvttps_epi32((__m512)a); }
#define V_ROTL(v, r) ((vu)_mm512_rol_epi32((__m512i)(v), (r)))
static inline int v_any(vi m) { return _mm512_test_epi32_mask((__m512i)m, (__m512i)m) != 0; }
#elif KF_W == 8
static inline vf v_fma(vf a, vf b, vf c) {
  return (vf)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
}
static inline vf v_sqrt(vf a) { return (vf)_mm256_sqrt_ps((__m256)a); }
static inline vf v_floor(vf a) { return (vf)_mm256_floor_ps((__m256)a); }
static inline vi v_cvtt(vf a) { return (vi)_mm256_cvttps_epi32((__m256)a); }
#define V_ROTL(v, r) (((v) << (r)) | ((v) >> (32 - (r))))
static inline int v_any(vi m) { return !_mm256_testz_si256((__m256i)m, (__m256i)m); }
#else
#error "KF_W must be 8 or 16"
#endif

#if KF_W == 16
static inline vf splat_f(float x) { return (vf)_mm512_set1_ps(x); }
static inline vi splat_i(int32_t x) { return (vi)_mm512_set1_epi32(x); }
#else
static inline vf splat_f(float x) { return (vf)_mm256_set1_ps(x); }
static inline vi splat_i(int32_t x) { return (vi)_mm256_set1_epi32(x); }
#endif

/* m is all-ones or all-zeros per lane: a where set, b elsewhere. */
static inline vf sel_f(vi m, vf a, vf b) { return (vf)(((vi)a & m) | ((vi)b & ~m)); }
static inline vi sel_i(vi m, vi a, vi b) { return (a & m) | (b & ~m); }

static inline vu load_u(const uint32_t *p) {
  vu v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline vf load_f(const float *p) {
  vf v;
  memcpy(&v, p, sizeof v);
  return v;
}
/* The first n < KF_W values, zero in the other lanes (a tail). */
static inline vu load_part_u(const uint32_t *p, size_t n) {
  vu v = {0};
  memcpy(&v, p, n * sizeof *p);
  return v;
}


/* ---------------------------------------------------------------- threefry */

/* Independent vectors hashed together: one threefry chain is a long series
 * of dependent add/rotate/xor steps, so interleaving several hides latency. */
#define NV 4
#define GROUP (NV * KF_W)

#define TF_ROUND(r)                              \
  _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) { \
    x0[v] += x1[v];                              \
    x1[v] = V_ROTL(x1[v], r) ^ x0[v];            \
  }

static inline __attribute__((always_inline)) void threefry(uint32_t k0, uint32_t k1, vu x0[NV],
                                                           vu x1[NV]) {
  const uint32_t ks[3] = {k0, k1, k0 ^ k1 ^ 0x1BD11BDAu};
  _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
    x0[v] += k0;
    x1[v] += k1;
  }
  _Pragma("GCC unroll 5") for (int s = 0; s < 5; s++) {
    if (s % 2 == 0) {
      TF_ROUND(13) TF_ROUND(15) TF_ROUND(26) TF_ROUND(6)
    } else {
      TF_ROUND(17) TF_ROUND(29) TF_ROUND(16) TF_ROUND(24)
    }
    const uint32_t a = ks[(s + 1) % 3], b = ks[(s + 2) % 3] + (uint32_t)(s + 1);
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
      x0[v] += a;
      x1[v] += b;
    }
  }
}

void KF_FN(kf__k_bits32)(uint32_t k0, uint32_t k1, uint64_t start, size_t len, uint32_t *out) {
  vu iota;
  for (int i = 0; i < KF_W; i++) iota[i] = (uint32_t)i;
  for (size_t t = 0; t < len; t += GROUP) {
    vu x0[NV], x1[NV];
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
      const uint64_t base = start + t + (uint64_t)v * KF_W;
      const vu lo = (uint32_t)base + iota;
      const vi wrapped = lo < (uint32_t)base; /* the counter's low word wrapped: carry */
      x0[v] = (uint32_t)(base >> 32) - (vu)wrapped;
      x1[v] = lo;
    }
    threefry(k0, k1, x0, x1);
    vu y[NV];
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) y[v] = x0[v] ^ x1[v];
    if (len - t >= GROUP)
      memcpy(out + t, y, sizeof y); /* a constant size: plain vector stores */
    else
      memcpy(out + t, y, (len - t) * sizeof *out);
  }
}

void KF_FN(kf__k_hash_pairs)(uint32_t k0, uint32_t k1, const uint32_t *x0_in,
                             const uint32_t *x1_in, size_t len, uint32_t *y0, uint32_t *y1) {
  for (size_t t = 0; t < len; t += GROUP) {
    const size_t n = (len - t < GROUP) ? len - t : GROUP;
    vu x0[NV] = {0}, x1[NV] = {0};
    memcpy(x0, x0_in + t, n * sizeof *x0_in);
    memcpy(x1, x1_in + t, n * sizeof *x1_in);
    threefry(k0, k1, x0, x1);
    if (y0) memcpy(y0 + t, x0, n * sizeof *y0);
    if (y1) memcpy(y1 + t, x1, n * sizeof *y1);
  }
}

/* threefry of one counter pair under a key per lane (the gamma family's
 * key chains, gamma.c): threefry() above with the key schedule in vectors. */
static inline __attribute__((always_inline)) void threefry_keys(const vu k0[NV], const vu k1[NV],
                                                                vu x0[NV], vu x1[NV]) {
  vu k2[NV];
  _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
    k2[v] = k0[v] ^ k1[v] ^ 0x1BD11BDAu;
    x0[v] += k0[v];
    x1[v] += k1[v];
  }
  _Pragma("GCC unroll 5") for (int s = 0; s < 5; s++) {
    if (s % 2 == 0) {
      TF_ROUND(13) TF_ROUND(15) TF_ROUND(26) TF_ROUND(6)
    } else {
      TF_ROUND(17) TF_ROUND(29) TF_ROUND(16) TF_ROUND(24)
    }
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
      const vu *ks[3] = {k0, k1, k2};
      x0[v] += ks[(s + 1) % 3][v];
      x1[v] += ks[(s + 2) % 3][v] + (uint32_t)(s + 1);
    }
  }
}

void KF_FN(kf__k_hash_keys)(const uint32_t *k0_in, const uint32_t *k1_in, uint32_t c0, uint32_t c1,
                            size_t len, uint32_t *y0, uint32_t *y1) {
  for (size_t t = 0; t < len; t += GROUP) {
    const size_t n = (len - t < GROUP) ? len - t : GROUP;
    vu k0[NV] = {0}, k1[NV] = {0}, x0[NV], x1[NV];
    memcpy(k0, k0_in + t, n * sizeof *k0_in);
    memcpy(k1, k1_in + t, n * sizeof *k1_in);
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
      x0[v] = (vu){0} + c0;
      x1[v] = (vu){0} + c1;
    }
    threefry_keys(k0, k1, x0, x1);
    memcpy(y0 + t, x0, n * sizeof *y0);
    memcpy(y1 + t, x1, n * sizeof *y1);
  }
}

/* ---------------------------------------------------------------- samplers */

/* The float in [0, 1) from 23 random bits (kf__unit_float). */
static inline vf unit_float(vu bits) { return (vf)((bits >> 9) | 0x3F800000u) - 1.0f; }

void KF_FN(kf__k_uniform)(const uint32_t *bits, size_t len, float lo, float span, float *out) {
  const vf lo_v = splat_f(lo), span_v = splat_f(span);
  for (size_t t = 0; t < len; t += KF_W) {
    const size_t n = (len - t < KF_W) ? len - t : KF_W;
    const vu b = (n == KF_W) ? load_u(bits + t) : load_part_u(bits + t, n);
    const vf v = v_fma(unit_float(b), span_v, lo_v);
    const vf r = sel_f(lo_v > v, lo_v, v);
    if (n == KF_W)
      memcpy(out + t, &r, sizeof r);
    else
      memcpy(out + t, &r, n * sizeof *out);
  }
}

void KF_FN(kf__k_bernoulli)(const uint32_t *bits, size_t len, float p, uint8_t *out) {
  const vf p_v = splat_f(p);
  for (size_t t = 0; t < len; t += KF_W) {
    const size_t n = (len - t < KF_W) ? len - t : KF_W;
    const vu b = (n == KF_W) ? load_u(bits + t) : load_part_u(bits + t, n);
    const vb r = __builtin_convertvector((unit_float(b) < p_v) & 1, vb);
    if (n == KF_W)
      memcpy(out + t, &r, sizeof r);
    else
      memcpy(out + t, &r, n);
  }
}

/* erf_inv works on NE vectors at a time, each step written for all of them
 * before the next step: one erf_inv is a chain of ~50 dependent operations,
 * and independent chains side by side in program order keep the units busy
 * where the scheduler's window would not reach far enough ahead. */
#define NE 4

/* XLA's logf (xla_math.h's kf__xla_logf_normal) of NE vectors, lane by lane. With
 * general = 0 the inputs must be positive, finite normal floats and the
 * selects that only other lanes need are left out (see v_logf); with
 * general = 1 a denormal reads as zero and gives -inf, zero -inf, +inf +inf,
 * a negative or NaN input the NaN 0xFFFFFFFF. */
static inline __attribute__((always_inline)) void v_logf_lanes(const vf in[NE], vf out[NE],
                                                               const int general) {
  const float *pl = kf__xla_log_p;
  vf lx[NE], lx3[NE], e[NE], y[NE], y1[NE], y2[NE];
  vi special[NE], special_bits[NE];
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    vf a = in[j];
    vi tb = (vi)a;
    if (general) {
      a = (vf)sel_i((tb & 0x7f800000) == 0, tb & (int32_t)0x80000000, tb); /* DAZ */
      const vi nan_or_negative = (a != a) | (a < 0.0f);
      special[j] = nan_or_negative | (a == 0.0f) | (a == INFINITY);
      special_bits[j] = sel_i(nan_or_negative, splat_i(-1), /* 0xFFFFFFFF */
                              sel_i(a == 0.0f, splat_i((int32_t)0xff800000), splat_i(0x7f800000)));
      const vf tiny = splat_f(0x1p-126f);
      tb = (vi)sel_f(tiny >= a, tiny, a);
    }
    const vf ex = 1.0f + __builtin_convertvector(((tb >> 23) & 0xff) - 127, vf);
    const vf m = (vf)((tb & (int32_t)0x807fffff) | 0x3f000000);
    const vi below = m < KF__XLA_LOG_SQRT_HALF;
    e[j] = sel_f(below, ex - 1.0f, ex);
    lx[j] = sel_f(below, (m - 1.0f) + m, m - 1.0f);
    lx3[j] = (lx[j] * lx[j]) * lx[j];
    y[j] = v_fma(lx[j], splat_f(pl[0]), splat_f(pl[1]));
    y1[j] = v_fma(lx[j], splat_f(pl[3]), splat_f(pl[4]));
    y2[j] = v_fma(lx[j], splat_f(pl[6]), splat_f(pl[7]));
  }
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    y[j] = v_fma(y[j], lx[j], splat_f(pl[2]));
    y1[j] = v_fma(y1[j], lx[j], splat_f(pl[5]));
    y2[j] = v_fma(y2[j], lx[j], splat_f(pl[8]));
  }
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    y[j] = v_fma(y[j], lx3[j], y1[j]);
    y[j] = v_fma(y[j], lx3[j], y2[j]);
    y[j] = v_fma(y[j], lx3[j], KF__XLA_LOG_Q1 * e[j]);
    vf r = ((lx[j] - 0.5f * (lx[j] * lx[j])) + y[j]) + KF__XLA_LOG_Q2 * e[j];
    if (general) r = sel_f(special[j], (vf)special_bits[j], r);
    out[j] = r;
  }
}

/* kf__xla_logf(x) for NE vectors: the general lanes only when some lane is
 * a denormal, zero, negative, NaN or infinite (gumbel's and logistic's
 * uniforms never are). */
static inline __attribute__((always_inline)) void v_logf(const vf in[NE], vf out[NE]) {
  vi rare = splat_i(0);
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++)
    rare |= (((vi)in[j] & 0x7f800000) == 0) | ~(in[j] > 0.0f) | (in[j] == INFINITY);
  if (__builtin_expect(!v_any(rare), 1))
    v_logf_lanes(in, out, 0);
  else
    v_logf_lanes(in, out, 1);
}

/* kf__xla_expf(x) (xla_math.c) for NE vectors, lane by lane: the same
 * clamps (a NaN passes them), floor, fused steps and exponent field; the
 * scalar form converts a NaN n to INT32_MIN as cvttps2dq does. */
static inline __attribute__((always_inline)) void v_expf(const vf in[NE], vf out[NE]) {
  const float *p = kf__xla_exp_p;
  vf x[NE], n[NE], r[NE], z[NE];
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    const vi b = (vi)in[j];
    vf v = (vf)sel_i((b & 0x7f800000) == 0, b & (int32_t)0x80000000, b); /* DAZ */
    v = sel_f(v < KF__XLA_EXP_LO, splat_f(KF__XLA_EXP_LO), v);
    v = sel_f(v > KF__XLA_EXP_HI, splat_f(KF__XLA_EXP_HI), v);
    x[j] = v;
    vf m = v_floor(v_fma(v, splat_f(KF__XLA_EXP_LOG2E), splat_f(0.5f)));
    m = sel_f(m < -127.0f, splat_f(-127.0f), m);
    n[j] = sel_f(m > 127.0f, splat_f(127.0f), m);
  }
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    r[j] = v_fma(splat_f(-KF__XLA_EXP_C1), n[j], x[j]);
    r[j] = v_fma(splat_f(-KF__XLA_EXP_C2), n[j], r[j]);
    z[j] = v_fma(r[j], splat_f(p[0]), splat_f(p[1]));
  }
  _Pragma("GCC unroll 4") for (int i = 2; i < 6; i++) {
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) z[j] = v_fma(z[j], r[j], splat_f(p[i]));
  }
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    z[j] = v_fma(z[j], r[j] * r[j], r[j]);
    z[j] = z[j] + 1.0f;
    const vf scale = (vf)((vu)(v_cvtt(n[j]) + 127) << 23);
    const vi v = (vi)(z[j] * scale);
    out[j] = (vf)sel_i((v & 0x7f800000) == 0, v & (int32_t)0x80000000, v); /* FTZ */
  }
}

/* kf__xla_log1pf(x) (xla_math.c) for NE vectors, lane by lane: both of XLA's
 * branches are computed, as XLA does, and each lane takes the one the scalar
 * form would. With general = 0 the selects that only rare lanes need are
 * left out (see v_log1p). */
static inline __attribute__((always_inline)) void v_log1p_lanes(const vf in[NE], vf out[NE],
                                                                const int general) {
  const float *pn = kf__xla_log1p_num, *pd = kf__xla_log1p_den;
  vf x[NE], x2[NE], num[NE], den[NE], s[NE], a[NE], large[NE];
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    if (general) { /* denormals read as a zero of their sign */
      const vi b = (vi)in[j];
      x[j] = (vf)sel_i((b & 0x7f800000) == 0, b & (int32_t)0x80000000, b);
    } else {
      x[j] = in[j];
    }
    x2[j] = x[j] * x[j];
    den[j] = splat_f(pd[0]);
    num[j] = splat_f(pn[0]);
  }
  /* |x| < sqrt(2) - 1: x + (x^3 num/den - x^2/2), the Horner steps fused. */
  _Pragma("GCC unroll 6") for (int i = 1; i < 7; i++) {
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
      den[j] = v_fma(den[j], x[j], splat_f(pd[i]));
      num[j] = v_fma(num[j], x[j], splat_f(pn[i]));
    }
  }
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    const vf r = num[j] / den[j];
    const vf x3 = x[j] * x2[j];
    const vf v = x[j] + (x3 * r - 0.5f * x2[j]);
    const vi vb = (vi)v;
    s[j] = (vf)sel_i((vb & 0x7f800000) == 0, vb & (int32_t)0x80000000, vb); /* to zero */
    a[j] = x[j] + 1.0f;
  }
  /* Elsewhere: XLA's logf of 1 + x, never a denormal. */
  v_logf_lanes(a, large, general);
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    const vi small = ((vf)((vi)x[j] & 0x7fffffff)) < KF__XLA_LOG1P_SMALL;
    out[j] = sel_f(small, s[j], large[j]);
  }
}

/* kf__xla_log1pf(x) for NE vectors. The selects for denormal x (read as zero)
 * and for 1 + x NaN, <= 0 or infinite (logf's NaN, -inf, +inf) change nothing
 * on other lanes, and 1 + x is then a normal float, so logf's clamp to 2^-126
 * changes nothing either: vectors without such lanes (all of normal's,
 * nearly all of truncated_normal's) skip them. */
static inline __attribute__((always_inline)) void v_log1p(const vf in[NE], vf out[NE]) {
  vi rare = splat_i(0);
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
    const vf a = in[j] + 1.0f;
    rare |= (((vi)in[j] & 0x7f800000) == 0) | ~(a > 0.0f) | (a == INFINITY);
  }
  if (__builtin_expect(!v_any(rare), 1))
    v_log1p_lanes(in, out, 0);
  else
    v_log1p_lanes(in, out, 1);
}

/* scale * kf__erf_inv_f32(x) (special.c) for NE vectors, lane by lane. */
static inline __attribute__((always_inline)) void v_erf_inv(const vf x[NE], float scale,
                                                            vf out[NE]) {
  vf t[NE], w[NE], p[NE];
  _Pragma("GCC unroll 4") for (int e = 0; e < NE; e++) t[e] = x[e] * -x[e];
  v_log1p(t, w);
  _Pragma("GCC unroll 4") for (int e = 0; e < NE; e++) w[e] = -w[e];
  vi small_all = splat_i(-1);
  _Pragma("GCC unroll 4") for (int e = 0; e < NE; e++) small_all &= w[e] < 5.0f;
  if (__builtin_expect(!v_any(~small_all), 1)) {
    /* Every lane takes the w < 5 polynomial (|x| < 0.9966: most vectors). */
    vf ws[NE];
    _Pragma("GCC unroll 4") for (int e = 0; e < NE; e++) {
      ws[e] = w[e] - 2.5f;
      p[e] = splat_f(kf__erf_inv_small[0]);
    }
    _Pragma("GCC unroll 8") for (int i = 1; i < 9; i++) {
      _Pragma("GCC unroll 4") for (int e = 0; e < NE; e++)
        p[e] = v_fma(p[e], ws[e], splat_f(kf__erf_inv_small[i]));
    }
  } else {
    for (int e = 0; e < NE; e++) {
      const vi small = w[e] < 5.0f;
      const vf ws = sel_f(small, w[e] - 2.5f, v_sqrt(w[e]) - 3.0f);
      p[e] = sel_f(small, splat_f(kf__erf_inv_small[0]), splat_f(kf__erf_inv_large[0]));
      for (int i = 1; i < 9; i++)
        p[e] = v_fma(p[e], ws,
                     sel_f(small, splat_f(kf__erf_inv_small[i]), splat_f(kf__erf_inv_large[i])));
    }
  }
  _Pragma("GCC unroll 4") for (int e = 0; e < NE; e++) {
    /* p * x, and x * inf where |x| = 1. */
    const vi unit_magnitude = ((vi)x[e] & 0x7fffffff) == 0x3f800000;
    out[e] = scale * sel_f(unit_magnitude, x[e] * INFINITY, p[e] * x[e]);
  }
}

/* kf__tn_clip lane by lane. */
static inline vf clip(vf v, vf lo, vf hi) {
  v = sel_f(lo >= v, lo, v);
  return sel_f(hi <= v, hi, v);
}

/* The NE vectors of floats at in[t], zero-padded past len; returns how many
 * are real. */
static inline size_t load_block(const float *in, size_t t, size_t len, vf x[NE]) {
  const size_t n = (len - t < NE * KF_W) ? len - t : NE * KF_W;
  if (n == NE * KF_W) {
    memcpy(x, in + t, NE * sizeof(vf));
  } else { /* the tail, zero-padded */
    memset(x, 0, NE * sizeof(vf));
    memcpy(x, in + t, n * sizeof *in);
  }
  return n;
}

/* The first n floats of r to out[t]. */
static inline void store_block(float *out, size_t t, size_t n, const vf r[NE]) {
  if (n == NE * KF_W)
    memcpy(out + t, r, NE * sizeof(vf));
  else
    memcpy(out + t, r, n * sizeof *out);
}

void KF_FN(kf__k_erf_inv)(const float *in, size_t len, float scale, float clip_lo, float clip_hi,
                          float *out) {
  const vf lo_v = splat_f(clip_lo), hi_v = splat_f(clip_hi);
  for (size_t t = 0; t < len; t += NE * KF_W) {
    vf x[NE], r[NE];
    const size_t n = load_block(in, t, len, x);
    v_erf_inv(x, scale, r);
    _Pragma("GCC unroll 4") for (int e = 0; e < NE; e++) r[e] = clip(r[e], lo_v, hi_v);
    store_block(out, t, n, r);
  }
}

/* out[t] = f(in[t]) for XLA's log1p, log and exp. */
#define KF_MAP_KERNEL(name, v_fn)                                  \
  void KF_FN(name)(const float *in, size_t len, float *out) {      \
    for (size_t t = 0; t < len; t += NE * KF_W) {                  \
      vf x[NE], r[NE];                                             \
      const size_t n = load_block(in, t, len, x);                  \
      v_fn(x, r);                                                  \
      store_block(out, t, n, r);                                   \
    }                                                              \
  }
KF_MAP_KERNEL(kf__k_log1p, v_log1p)
KF_MAP_KERNEL(kf__k_log, v_logf)
KF_MAP_KERNEL(kf__k_exp, v_expf)

/* ------------------------------------------- samplers on one uniform each */

/* XLA's denormal flush: a denormal lane becomes a zero of its sign. */
static inline vf v_ftz(vf x) {
  const vi b = (vi)x;
  return (vf)sel_i((b & 0x7f800000) == 0, b & (int32_t)0x80000000, b);
}

/* kf__triangular_f32 (special.c): the same products, IEEE square roots and
 * flushes on every lane. */
void KF_FN(kf__k_triangular)(const float *u_in, size_t len, const kf__triangle *tri, float *out) {
  const vf l = splat_f(tri->l), r = splat_f(tri->r), w = splat_f(tri->w), ml = splat_f(tri->ml),
           rm = splat_f(tri->rm), fc = splat_f(tri->fc);
  for (size_t t = 0; t < len; t += NE * KF_W) {
    vf u[NE], o[NE];
    const size_t n = load_block(u_in, t, len, u);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
      const vf lower = v_ftz(l + v_sqrt(v_ftz(v_ftz(u[j] * w) * ml)));
      const vf upper = v_ftz(r - v_sqrt(v_ftz(v_ftz((1.0f - u[j]) * w) * rm)));
      o[j] = sel_f(u[j] < fc, lower, upper);
    }
    store_block(out, t, n, o);
  }
}

/* kf__wald_f32 (special.c) on every lane: the same fused products, IEEE
 * square root and divisions, flushes. */
void KF_FN(kf__k_wald)(const float *mean, size_t mean_step, const float *v_in, const float *z_in,
                       size_t len, float *out) {
  for (size_t t = 0; t < len; t += NE * KF_W) {
    vf v[NE], z[NE], m[NE], o[NE];
    const size_t n = load_block(v_in, t, len, v);
    load_block(z_in, t, len, z);
    if (mean_step == 0) {
      _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) m[j] = splat_f(mean[0]);
    } else {
      load_block(mean, t, len, m);
    }
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
      const vf mm = v_ftz(m[j]);
      const vf y = v_ftz(v[j] * v[j]);
      const vf msq = v_ftz(mm * mm);
      const vf st = v_sqrt(v_ftz(v_fma(v_ftz(4.0f * mm), y, v_ftz(msq * v_ftz(y * y)))));
      const vf x = v_ftz(v_fma(-v_ftz(mm * 0.5f), st, v_ftz(v_fma(v_ftz(msq * y), splat_f(0.5f), mm))));
      o[j] = sel_f(z[j] <= v_ftz(mm / v_ftz(mm + x)), x, v_ftz(msq / x));
    }
    store_block(out, t, n, o);
  }
}

/* The unit floats of NE vectors of bits at bits[t], zero-padded past len;
 * returns how many are real. */
static inline size_t load_units(const uint32_t *bits, size_t t, size_t len, vf f[NE]) {
  const size_t n = (len - t < NE * KF_W) ? len - t : NE * KF_W;
  vu b[NE];
  if (n == NE * KF_W) {
    memcpy(b, bits + t, sizeof b);
  } else {
    memset(b, 0, sizeof b);
    memcpy(b, bits + t, n * sizeof *bits);
  }
  _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) f[j] = unit_float(b[j]);
  return n;
}

/* kf__exponential_f32 (special.c): -log1p(-u), u = f. */
void KF_FN(kf__k_exponential)(const uint32_t *bits, size_t len, float *out) {
  for (size_t t = 0; t < len; t += NE * KF_W) {
    vf f[NE], r[NE];
    const size_t n = load_units(bits, t, len, f);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) f[j] = -f[j];
    v_log1p(f, r);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) r[j] = -r[j];
    store_block(out, t, n, r);
  }
}

/* kf__gumbel_f32: -log(-log(u)), u = max(tiny, f). */
void KF_FN(kf__k_gumbel)(const uint32_t *bits, size_t len, float *out) {
  const vf tiny = splat_f(KF__TINY);
  for (size_t t = 0; t < len; t += NE * KF_W) {
    vf u[NE], l[NE], r[NE];
    const size_t n = load_units(bits, t, len, u);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) u[j] = sel_f(tiny > u[j], tiny, u[j]);
    v_logf(u, l);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) l[j] = -l[j];
    v_logf(l, r);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) r[j] = -r[j];
    store_block(out, t, n, r);
  }
}

/* kf__laplace_f32: u = max(lo, fma(f, 2, lo)), +-log1p(-|u|) by u's sign. */
void KF_FN(kf__k_laplace)(const uint32_t *bits, size_t len, float *out) {
  const vf lo = splat_f(KF__LAPLACE_LO), two = splat_f(2.0f);
  for (size_t t = 0; t < len; t += NE * KF_W) {
    vf u[NE], x[NE], r[NE];
    const size_t n = load_units(bits, t, len, u);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
      const vf v = v_fma(u[j], two, lo);
      u[j] = sel_f(lo > v, lo, v);
      x[j] = (vf)((vi)u[j] | (int32_t)0x80000000); /* -|u| */
    }
    v_log1p(x, r);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) r[j] = sel_f(u[j] > 0.0f, r[j], -r[j]);
    store_block(out, t, n, r);
  }
}

/* kf__logistic_f32: log(u) - log1p(-u), u = max(tiny, f). */
void KF_FN(kf__k_logistic)(const uint32_t *bits, size_t len, float *out) {
  const vf tiny = splat_f(KF__TINY);
  for (size_t t = 0; t < len; t += NE * KF_W) {
    vf u[NE], x[NE], a[NE], b[NE];
    const size_t n = load_units(bits, t, len, u);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) {
      u[j] = sel_f(tiny > u[j], tiny, u[j]);
      x[j] = -u[j];
    }
    v_logf(u, a);
    v_log1p(x, b);
    _Pragma("GCC unroll 4") for (int j = 0; j < NE; j++) a[j] = a[j] - b[j];
    store_block(out, t, n, a);
  }
}

/* ------------------------------------------------------------------- gemm */

#define MR KF_PASTE(KF__GEMM_MR, KF_ISA)
#define NR KF_PASTE(KF__GEMM_NR, KF_ISA)
#define NV_B (NR / KF_W)

void KF_FN(kf__k_gemm_tile)(size_t kc, const float *ap, const float *b, size_t ldb, float *c,
                            size_t ldc, int accumulate, size_t mv, size_t nv) {
  vf acc[MR][NV_B];
  const int full = mv == MR && nv == NR;
  float edge[MR][NR];
  if (!full) memset(edge, 0, sizeof edge);
  if (!full && accumulate) {
    for (size_t i = 0; i < mv; i++) memcpy(edge[i], c + i * ldc, nv * sizeof(float));
  }
  _Pragma("GCC unroll 8") for (int i = 0; i < MR; i++) {
    _Pragma("GCC unroll 4") for (int v = 0; v < NV_B; v++) {
      if (!accumulate)
        acc[i][v] = splat_f(0.0f);
      else if (full)
        acc[i][v] = load_f(c + (size_t)i * ldc + (size_t)v * KF_W);
      else
        acc[i][v] = load_f(&edge[i][v * KF_W]);
    }
  }
  _Pragma("GCC unroll 4") for (size_t p = 0; p < kc; p++) {
    vf bv[NV_B];
    _Pragma("GCC unroll 4") for (int v = 0; v < NV_B; v++) bv[v] = load_f(b + p * ldb + (size_t)v * KF_W);
    _Pragma("GCC unroll 8") for (int i = 0; i < MR; i++) {
      const vf av = splat_f(ap[p * MR + (size_t)i]);
      _Pragma("GCC unroll 4") for (int v = 0; v < NV_B; v++) acc[i][v] = v_fma(av, bv[v], acc[i][v]);
    }
  }
  if (full) {
    _Pragma("GCC unroll 8") for (int i = 0; i < MR; i++) {
      _Pragma("GCC unroll 4") for (int v = 0; v < NV_B; v++)
        memcpy(c + (size_t)i * ldc + (size_t)v * KF_W, &acc[i][v], sizeof(vf));
    }
  } else {
    memcpy(edge, acc, sizeof edge);
    for (size_t i = 0; i < mv; i++) memcpy(c + i * ldc, edge[i], nv * sizeof(float));
  }
}

/* ------------------------------------------------------------ activations */

/* Bit masks of a float32: the sign, the quiet bit of a NaN. */
#define SIGN_BIT ((int32_t)0x80000000u)
#define QUIET_BIT 0x00400000

static inline vf v_abs(vf x) { return (vf)((vi)x & ~SIGN_BIT); }

/* activations.c's ftz of a result r is v_ftz (above) on the lanes where it
 * is decided by r alone: a denormal r is flushed. A lane whose r is exactly
 * FLT_MIN may come from an exact value just below it that x86 flushes too;
 * ftz_rare says whether any lane is such, and the caller then redoes the
 * vector with the scalar form (only inputs within a few ulps of one value per
 * function get there). */
static inline int ftz_rare(vf r) { return v_any(v_abs(r) == splat_f(FLT_MIN)); }

static inline vf v_scalar(float (*fn)(float), vf x) {
  vf y;
  for (int i = 0; i < KF_W; i++) y[i] = fn(x[i]);
  return y;
}

/* kf__tanh_f32 on every lane but the NaN ones, which the callers replace. */
static inline vf v_tanh(vf x) {
  const vf a = v_abs(x), lo = splat_f(-KF__TANH_CLAMP), hi = splat_f(KF__TANH_CLAMP);
  vf c = sel_f(lo > x, lo, x);
  c = sel_f(hi < c, hi, c);
  const vf x2 = c * c;
  vf p = splat_f(kf__tanh_num[0]);
  _Pragma("GCC unroll 6") for (int i = 1; i < 7; i++) p = v_fma(x2, p, splat_f(kf__tanh_num[i]));
  vf q = splat_f(kf__tanh_den[0]);
  _Pragma("GCC unroll 3") for (int i = 1; i < 4; i++) q = v_fma(x2, q, splat_f(kf__tanh_den[i]));
  vf r = (c * p) / q;
  r = sel_f(a < splat_f(KF__TANH_TINY), x, r);
  return sel_f(a >= splat_f(KF__TANH_LARGE), (vf)(((vi)x & SIGN_BIT) | (vi)splat_f(1.0f)), r);
}

/* activations.c's logistic, before its ftz (the quotient), on every lane but
 * the NaN ones. The clamp of n is written so that a NaN lane becomes -127
 * rather than reach the conversion; on the other lanes it is the scalar
 * clamp. */
static inline vf v_logistic_q(vf x) {
  const vf lo = splat_f(KF__XLA_EXP_LO), hi = splat_f(KF__XLA_EXP_HI);
  vf t = -x;
  t = sel_f(lo > t, lo, t);
  t = sel_f(hi < t, hi, t);
  vf n = v_floor(v_fma(t, splat_f(KF__XLA_EXP_LOG2E), splat_f(0.5f)));
  n = sel_f(n >= splat_f(-127.0f), n, splat_f(-127.0f));
  n = sel_f(splat_f(127.0f) < n, splat_f(127.0f), n);
  vf r = v_fma(n, splat_f(-KF__XLA_EXP_C1), t);
  r = v_fma(n, splat_f(-KF__XLA_EXP_C2), r);
  vf z = v_fma(r, splat_f(kf__xla_exp_p[0]), splat_f(kf__xla_exp_p[1]));
  _Pragma("GCC unroll 4") for (int i = 2; i < 6; i++) z = v_fma(z, r, splat_f(kf__xla_exp_p[i]));
  z = v_fma(z, r * r, r) + splat_f(1.0f);
  const vi e = (__builtin_convertvector(n, vi) + 127) << 23;
  return splat_f(1.0f) / v_fma(z, (vf)e, splat_f(1.0f));
}

static inline vf v_relu(vf x) {
  return sel_f((x >= splat_f(FLT_MIN)) | (x != x), x, splat_f(0.0f));
}

static inline vf v_sigmoid(vf x) {
  const vf q = v_logistic_q(x);
  if (ftz_rare(q)) return v_scalar(kf__sigmoid_f32, x);
  return sel_f(x != x, (vf)(((vi)x ^ SIGN_BIT) | QUIET_BIT), v_ftz(q));
}

/* x86's default NaN, what -inf * 0 gives. */
#define DEFAULT_NAN ((int32_t)0xffc00000u)

static inline vf v_silu(vf x) {
  const vf q = v_logistic_q(x);
  const vf p = x * v_ftz(q);
  if (ftz_rare(q) || ftz_rare(p)) return v_scalar(kf__silu_f32, x);
  const vf y = sel_f(x == splat_f(-INFINITY), (vf)splat_i(DEFAULT_NAN), v_ftz(p));
  return sel_f(x != x, (vf)((vi)x | QUIET_BIT), y);
}

static inline vf v_gelu(vf x) {
  const vf inner = v_fma((x * x) * x, splat_f(KF__GELU_CUBE), x);
  const vf t = v_tanh(inner * splat_f(KF__GELU_SCALE));
  const vf p = x * ((t + splat_f(1.0f)) * splat_f(0.5f));
  if (ftz_rare(p)) return v_scalar(kf__gelu_f32, x);
  const vf y = sel_f(x == splat_f(-INFINITY), (vf)splat_i(DEFAULT_NAN), v_ftz(p));
  return sel_f(x != x, (vf)((vi)x | QUIET_BIT), y);
}

static inline vf v_tanh_nan(vf x) { return sel_f(x != x, (vf)((vi)x | QUIET_BIT), v_tanh(x)); }

/* Whole vectors, then the tail through a vector padded with zeros. */
#define ACT_LOOP(fn)                                                       \
  do {                                                                     \
    size_t t = 0;                                                          \
    for (; t + KF_W <= len; t += KF_W) {                                   \
      const vf r = fn(load_f(x + t));                                      \
      memcpy(y + t, &r, sizeof r);                                         \
    }                                                                      \
    if (t < len) {                                                         \
      vf v = {0};                                                          \
      memcpy(&v, x + t, (len - t) * sizeof(float));                        \
      const vf r = fn(v);                                                  \
      memcpy(y + t, &r, (len - t) * sizeof(float));                        \
    }                                                                      \
  } while (0)

void KF_FN(kf__k_activation)(kf__act act, const float *x, size_t len, float *y) {
  switch (act) {
    case KF__ACT_RELU: ACT_LOOP(v_relu); break;
    case KF__ACT_GELU: ACT_LOOP(v_gelu); break;
    case KF__ACT_TANH: ACT_LOOP(v_tanh_nan); break;
    case KF__ACT_SIGMOID: ACT_LOOP(v_sigmoid); break;
    case KF__ACT_SILU: ACT_LOOP(v_silu); break;
    default: break;
  }
}

/* ------------------------------------------------------ softmax of columns */

/* max_nan (functions.c): NaN if either is NaN, m's first. */
static inline vf v_max_nan(vf m, vf x) {
  return sel_f(m != m, m, sel_f(x != x, x, sel_f(m >= x, m, x)));
}

static inline void store_f(float *p, vf v) { memcpy(p, &v, sizeof v); }

/* The chain from +0 over rows [first, end) of a column block: kf__xla_sum's
 * window (each value read as zero if denormal). */
static inline vf col_chain(const float *y, size_t ld, size_t first, size_t end, int square) {
  vf acc = splat_f(0.0f);
  if (square) {
    for (size_t i = first; i < end; i++) {
      const vf v = v_ftz(load_f(y + i * ld));
      acc = v_ftz(acc + v_ftz(v * v));
    }
  } else {
    for (size_t i = first; i < end; i++) acc = v_ftz(acc + v_ftz(load_f(y + i * ld)));
  }
  return acc;
}

/* kf__xla_sum's one-axis tree (windows of 32, floor(padding / 2) zeros in
 * front) of n <= 32 * 64 rows, bottom up: level 1 into buf, then each
 * level over the one below in place (window j reads from j * 32 - lo >= j). */
static vf col_tree_sum(const float *y, size_t ld, size_t n, int square, vf buf[64]) {
  if (n <= 32) return col_chain(y, ld, 0, n, square);
  size_t cnt = (n + 31) / 32, lo = (cnt * 32 - n) / 2;
  for (size_t j = 0; j < cnt; j++) {
    const size_t first = j * 32 < lo ? 0 : j * 32 - lo;
    const size_t end = j * 32 + 32 - lo < n ? j * 32 + 32 - lo : n;
    buf[j] = col_chain(y, ld, first, end, square);
  }
  size_t size = cnt;
  while (size > 32) {
    cnt = (size + 31) / 32, lo = (cnt * 32 - size) / 2;
    for (size_t j = 0; j < cnt; j++) {
      const size_t first = j * 32 < lo ? 0 : j * 32 - lo;
      const size_t end = j * 32 + 32 - lo < size ? j * 32 + 32 - lo : size;
      vf acc = splat_f(0.0f);
      for (size_t i = first; i < end; i++) acc = v_ftz(acc + buf[i]);
      buf[j] = acc;
    }
    size = cnt;
  }
  vf acc = splat_f(0.0f);
  for (size_t i = 0; i < size; i++) acc = v_ftz(acc + buf[i]);
  return acc;
}

/* jaxlib 0.10.2's 16-lane row sum (functions.c's lanes16_sum), n <= 80. */
static vf col_lanes16_sum(const float *y, size_t ld, size_t n, int square) {
  vf lane[16];
  for (int l = 0; l < 16; l++) lane[l] = splat_f(0.0f);
  for (size_t i = 0; i < n; i++) {
    vf v = v_ftz(load_f(y + i * ld));
    if (square) v = v_ftz(v * v);
    lane[i % 16] = v_ftz(lane[i % 16] + v);
  }
  for (int h = 8; h >= 1; h /= 2)
    for (int l = 0; l < h; l++) lane[l] = v_ftz(lane[l] + lane[l + h]);
  return lane[0];
}

size_t KF_FN(kf__k_softmax_cols)(size_t n, size_t cols, float *y, size_t ld, int lanes16,
                                 int recip) {
  if (n == 0 || n > 32 * 64 || (lanes16 && n > 80)) return 0;
  const size_t done = cols / KF_W * KF_W;
  vf buf[64];
  for (size_t c = 0; c < done; c += KF_W) {
    float *yc = y + c;
    vf m = splat_f(-INFINITY);
    for (size_t j = 0; j < n; j++) m = v_max_nan(m, v_ftz(load_f(yc + j * ld)));
    for (size_t j = 0; j < n; j += NE) {
      const size_t k = n - j < NE ? n - j : NE;
      vf x[NE], r[NE];
      _Pragma("GCC unroll 4") for (size_t e = 0; e < NE; e++)
        x[e] = e < k ? v_ftz(v_ftz(load_f(yc + (j + e) * ld)) - m) : splat_f(0.0f);
      v_expf(x, r);
      for (size_t e = 0; e < k; e++) store_f(yc + (j + e) * ld, r[e]);
    }
    const vf s = lanes16 ? col_lanes16_sum(yc, ld, n, 0) : col_tree_sum(yc, ld, n, 0, buf);
    if (recip) {
      const vf r = v_ftz(1.0f / s);
      for (size_t j = 0; j < n; j++) store_f(yc + j * ld, v_ftz(load_f(yc + j * ld) * r));
    } else {
      for (size_t j = 0; j < n; j++) store_f(yc + j * ld, v_ftz(load_f(yc + j * ld) / s));
    }
  }
  return done;
}

/* kf__xla_sum of each row of x (rows of n contiguous floats), many rows at
 * a time: a block of KF_W rows transposed, each row's order in its lane. */
size_t KF_FN(kf__k_row_sums)(size_t rows, size_t n, const float *x, int lanes16, float *sum,
                             float *sum2) {
  if (n == 0 || n > 512 || (lanes16 && n > 80)) return 0;
  const size_t done = rows / KF_W * KF_W;
  float tr[512 * KF_W];
  vf buf[64];
  for (size_t r = 0; r < done; r += KF_W) {
    for (size_t l = 0; l < KF_W; l++)
      for (size_t i = 0; i < n; i++) tr[i * KF_W + l] = x[(r + l) * n + i];
    for (int sq = 0; sq < 2; sq++) {
      float *o = sq ? sum2 : sum;
      if (!o) continue;
      const vf s = lanes16 ? col_lanes16_sum(tr, KF_W, n, sq) : col_tree_sum(tr, KF_W, n, sq, buf);
      store_f(o + r, s);
    }
  }
  return done;
}

/* ------------------------------------------------- gemm of a few rows of a */

/* Columns [0, cb * KF_W) of rows [0, M) of c = a b: the chains of kf__gemm
 * (acc = fma(a[i][p], b[p][j], acc) from +0, p in order, the operands in
 * the tile's roles), with b read row by row as it lies. */
static inline __attribute__((always_inline)) void rows_block(const int M, const int cb, size_t k,
                                                             const float *a, size_t lda,
                                                             const float *b, size_t ldb,
                                                             float *c, size_t ldc) {
  vf acc[2][16];
  for (int i = 0; i < M; i++)
    for (int v = 0; v < cb; v++) acc[i][v] = splat_f(0.0f);
  for (size_t p = 0; p < k; p++) {
    vf bv[16];
    for (int v = 0; v < cb; v++) bv[v] = load_f(b + p * ldb + (size_t)v * KF_W);
    for (int i = 0; i < M; i++) {
      const vf av = splat_f(a[(size_t)i * lda + p]);
      for (int v = 0; v < cb; v++) acc[i][v] = v_fma(av, bv[v], acc[i][v]);
    }
  }
  for (int i = 0; i < M; i++)
    for (int v = 0; v < cb; v++) store_f(c + (size_t)i * ldc + (size_t)v * KF_W, acc[i][v]);
}

/* Rows [0, M) of c, n a multiple of KF_W: blocks of `wide` vectors, then
 * the rest in blocks of 8, 4, 2, 1 (at most `wide`). */
static inline __attribute__((always_inline)) void rows_m(const int M, const int wide, size_t n,
                                                         size_t k, const float *a, const float *b,
                                                         float *c) {
  size_t j = 0;
  for (; n - j >= (size_t)wide * KF_W; j += (size_t)wide * KF_W)
    rows_block(M, wide, k, a, k, b + j, n, c + j, n);
  if (wide > 8 && n - j >= 8 * KF_W) rows_block(M, 8, k, a, k, b + j, n, c + j, n), j += 8 * KF_W;
  if (n - j >= 4 * KF_W) rows_block(M, 4, k, a, k, b + j, n, c + j, n), j += 4 * KF_W;
  if (n - j >= 2 * KF_W) rows_block(M, 2, k, a, k, b + j, n, c + j, n), j += 2 * KF_W;
  if (n - j >= KF_W) rows_block(M, 1, k, a, k, b + j, n, c + j, n);
}

void KF_FN(kf__k_gemm_rows)(size_t m, size_t n, size_t k, const float *a, const float *b,
                            float *c) {
  for (size_t i = 0; i < m; i += 2) {
    if (m - i == 1)
      rows_m(1, 16, n, k, a + i * k, b, c + i * n);
    else
      rows_m(2, 8, n, k, a + i * k, b, c + i * n);
  }
}
