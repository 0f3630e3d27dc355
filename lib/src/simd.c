/* keyfold — run-time choice of the bulk kernels, and their scalar forms,
 * which define the results every vector form must reproduce. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "keyfold/prng.h"
#include "simd.h"
#include "special.h"
#include "xla_math.h"

bool kf__isa_usable(kf__isa isa) {
  switch (isa) {
    case KF__ISA_SCALAR:
      return 1;
#if defined(KF_HAVE_X86_KERNELS)
    case KF__ISA_AVX2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case KF__ISA_AVX512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
#endif
    default:
      return 0;
  }
}

kf__isa kf__isa_best(void) {
  if (kf__isa_usable(KF__ISA_AVX512)) return KF__ISA_AVX512;
  if (kf__isa_usable(KF__ISA_AVX2)) return KF__ISA_AVX2;
  return KF__ISA_SCALAR;
}

const char *kf__isa_name(kf__isa isa) {
  switch (isa) {
    case KF__ISA_SCALAR: return "scalar";
    case KF__ISA_AVX2: return "avx2";
    case KF__ISA_AVX512: return "avx512";
    default: return "unknown";
  }
}

/* ------------------------------------------------------------ scalar forms */

static void bits32_scalar(uint32_t k0, uint32_t k1, uint64_t start, size_t len, uint32_t *out) {
  for (size_t t = 0; t < len; t++) {
    const uint64_t j = start + t;
    uint32_t y[2];
    kf_threefry2x32(k0, k1, (uint32_t)(j >> 32), (uint32_t)j, y);
    out[t] = y[0] ^ y[1];
  }
}

static void hash_pairs_scalar(uint32_t k0, uint32_t k1, const uint32_t *x0, const uint32_t *x1,
                              size_t len, uint32_t *y0, uint32_t *y1) {
  for (size_t t = 0; t < len; t++) {
    uint32_t y[2];
    kf_threefry2x32(k0, k1, x0[t], x1[t], y);
    if (y0) y0[t] = y[0];
    if (y1) y1[t] = y[1];
  }
}

static void hash_keys_scalar(const uint32_t *k0, const uint32_t *k1, uint32_t c0, uint32_t c1,
                             size_t len, uint32_t *y0, uint32_t *y1) {
  for (size_t t = 0; t < len; t++) {
    uint32_t y[2];
    kf_threefry2x32(k0[t], k1[t], c0, c1, y);
    y0[t] = y[0];
    y1[t] = y[1];
  }
}

static void uniform_scalar(const uint32_t *bits, size_t len, float lo, float span, float *out) {
  for (size_t t = 0; t < len; t++) {
    const float v = fmaf(kf__unit_float(bits[t]), span, lo);
    out[t] = (lo > v) ? lo : v;
  }
}

static void erf_inv_scalar(const float *in, size_t len, float scale, float clip_lo,
                           float clip_hi, float *out) {
  for (size_t t = 0; t < len; t++) {
    float v = scale * kf__erf_inv_f32(in[t]);
    out[t] = kf__tn_clip(v, clip_lo, clip_hi);
  }
}

static void bernoulli_scalar(const uint32_t *bits, size_t len, float p, uint8_t *out) {
  for (size_t t = 0; t < len; t++) out[t] = kf__unit_float(bits[t]) < p;
}


/* out[t] = f(in[t]) for XLA's log1p, log and exp (xla_math.h). */
#define KF__MAP_SCALAR(name, fn)                                               \
  static void name##_scalar(const float *in, size_t len, float *out) {         \
    for (size_t t = 0; t < len; t++) out[t] = fn(in[t]);                        \
  }
KF__MAP_SCALAR(log1p, kf__xla_log1pf)
KF__MAP_SCALAR(log, kf__xla_logf)
KF__MAP_SCALAR(exp, kf__xla_expf)

#define KF__SAMPLER_SCALAR(name)                                                    \
  static void name##_scalar(const uint32_t *bits, size_t len, float *out) {         \
    for (size_t t = 0; t < len; t++) out[t] = kf__##name##_f32(bits[t]);            \
  }
KF__SAMPLER_SCALAR(exponential)
KF__SAMPLER_SCALAR(gumbel)
KF__SAMPLER_SCALAR(laplace)
KF__SAMPLER_SCALAR(logistic)

static void triangular_scalar(const float *u, size_t len, const kf__triangle *tri, float *out) {
  for (size_t t = 0; t < len; t++) out[t] = kf__triangular_f32(u[t], tri);
}

static void wald_scalar(const float *mean, size_t mean_step, const float *v, const float *z,
                        size_t len, float *out) {
  for (size_t t = 0; t < len; t++) out[t] = kf__wald_f32(kf__xla_ftz(mean[t * mean_step]), v[t], z[t]);
}

/* ---------------------------------------------------------------- dispatch */

#if defined(KF_HAVE_X86_KERNELS)
#define KF__DISPATCH(isa, name, ...)                  \
  switch (isa) {                                      \
    case KF__ISA_AVX512: name##_avx512(__VA_ARGS__); return; \
    case KF__ISA_AVX2: name##_avx2(__VA_ARGS__); return;     \
    default: break;                                   \
  }
#else
#define KF__DISPATCH(isa, name, ...) (void)(isa);
#endif

void kf__k_bits32(kf__isa isa, uint32_t k0, uint32_t k1, uint64_t start, size_t len,
                  uint32_t *out) {
  KF__DISPATCH(isa, kf__k_bits32, k0, k1, start, len, out)
  bits32_scalar(k0, k1, start, len, out);
}

void kf__k_hash_pairs(kf__isa isa, uint32_t k0, uint32_t k1, const uint32_t *x0,
                      const uint32_t *x1, size_t len, uint32_t *y0, uint32_t *y1) {
  KF__DISPATCH(isa, kf__k_hash_pairs, k0, k1, x0, x1, len, y0, y1)
  hash_pairs_scalar(k0, k1, x0, x1, len, y0, y1);
}

void kf__k_hash_keys(kf__isa isa, const uint32_t *k0, const uint32_t *k1, uint32_t c0, uint32_t c1,
                     size_t len, uint32_t *y0, uint32_t *y1) {
  KF__DISPATCH(isa, kf__k_hash_keys, k0, k1, c0, c1, len, y0, y1)
  hash_keys_scalar(k0, k1, c0, c1, len, y0, y1);
}

void kf__k_uniform(kf__isa isa, const uint32_t *bits, size_t len, float lo, float span,
                   float *out) {
  KF__DISPATCH(isa, kf__k_uniform, bits, len, lo, span, out)
  uniform_scalar(bits, len, lo, span, out);
}

void kf__k_erf_inv(kf__isa isa, const float *in, size_t len, float scale, float clip_lo,
                   float clip_hi, float *out) {
  KF__DISPATCH(isa, kf__k_erf_inv, in, len, scale, clip_lo, clip_hi, out)
  erf_inv_scalar(in, len, scale, clip_lo, clip_hi, out);
}

void kf__k_bernoulli(kf__isa isa, const uint32_t *bits, size_t len, float p, uint8_t *out) {
  KF__DISPATCH(isa, kf__k_bernoulli, bits, len, p, out)
  bernoulli_scalar(bits, len, p, out);
}


#define KF__MAP_DISPATCH(name)                                                     \
  void kf__k_##name(kf__isa isa, const float *in, size_t len, float *out) {         \
    KF__DISPATCH(isa, kf__k_##name, in, len, out)                                    \
    name##_scalar(in, len, out);                                                     \
  }
KF__MAP_DISPATCH(log1p)
KF__MAP_DISPATCH(log)
KF__MAP_DISPATCH(exp)

#define KF__SAMPLER_DISPATCH(name)                                                  \
  void kf__k_##name(kf__isa isa, const uint32_t *bits, size_t len, float *out) {    \
    KF__DISPATCH(isa, kf__k_##name, bits, len, out)                                 \
    name##_scalar(bits, len, out);                                                  \
  }
KF__SAMPLER_DISPATCH(exponential)
KF__SAMPLER_DISPATCH(gumbel)
KF__SAMPLER_DISPATCH(laplace)
KF__SAMPLER_DISPATCH(logistic)

void kf__k_triangular(kf__isa isa, const float *u, size_t len, const kf__triangle *tri, float *out) {
  KF__DISPATCH(isa, kf__k_triangular, u, len, tri, out)
  triangular_scalar(u, len, tri, out);
}

void kf__k_wald(kf__isa isa, const float *mean, size_t mean_step, const float *v, const float *z,
                size_t len, float *out) {
  KF__DISPATCH(isa, kf__k_wald, mean, mean_step, v, z, len, out)
  wald_scalar(mean, mean_step, v, z, len, out);
}

void kf__k_activation(kf__isa isa, kf__act act, const float *x, size_t len, float *y) {
  KF__DISPATCH(isa, kf__k_activation, act, x, len, y)
  kf__activation_scalar(act, x, len, y);
}

/* KF__DISPATCH for a kernel returning how much it did (0 on the scalar ISA). */
#if defined(KF_HAVE_X86_KERNELS)
#define KF__DISPATCH_DONE(isa, name, ...)               \
  switch (isa) {                                        \
    case KF__ISA_AVX512: return name##_avx512(__VA_ARGS__); \
    case KF__ISA_AVX2: return name##_avx2(__VA_ARGS__);     \
    default: return 0;                                  \
  }
#else
#define KF__DISPATCH_DONE(isa, name, ...) return 0;
#endif

size_t kf__k_softmax_cols(kf__isa isa, size_t n, size_t cols, float *y, size_t ld, int lanes16,
                          int recip) {
  (void)isa, (void)n, (void)cols, (void)y, (void)ld, (void)lanes16, (void)recip;
  KF__DISPATCH_DONE(isa, kf__k_softmax_cols, n, cols, y, ld, lanes16, recip)
}

size_t kf__k_row_sums(kf__isa isa, size_t rows, size_t n, const float *x, int lanes16, float *sum,
                      float *sum2) {
  (void)isa, (void)rows, (void)n, (void)x, (void)lanes16, (void)sum, (void)sum2;
  KF__DISPATCH_DONE(isa, kf__k_row_sums, rows, n, x, lanes16, sum, sum2)
}
