/* keyfold — the bulk kernels behind the samplers, in a portable scalar form
 * and in vector forms for x86-64 (AVX2+FMA, AVX-512F), chosen at run time.
 * Every form gives the same bits for the same input: the vector kernels do
 * the scalar code's float32 operations in the same order, lane by lane, and
 * the tests compare them on millions of inputs. Not installed. */
#ifndef KEYFOLD_SIMD_H
#define KEYFOLD_SIMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "activations.h"
#include "special.h"

typedef enum {
  KF__ISA_SCALAR = 0,
  KF__ISA_AVX2 = 1,   /* AVX2 and FMA: 8 lanes */
  KF__ISA_AVX512 = 2, /* AVX-512F: 16 lanes */
  KF__ISA_COUNT
} kf__isa;

/* The widest instruction set this build has kernels for and this CPU (and
 * OS) supports. Cheap enough to call per block: it reads the CPU model that
 * libgcc caches. */
kf__isa kf__isa_best(void);

/* Whether this build has kernels for isa and the CPU runs them. */
bool kf__isa_usable(kf__isa isa);

/* Lower-case name of an instruction set: "scalar", "avx2", "avx512". */
const char *kf__isa_name(kf__isa isa);

/* The kernels. isa must be usable. Buffers never overlap unless stated. */

/* Partitionable threefry bits (jax-random.md §7): out[t] = y0 ^ y1 of
 * threefry2x32(key, (j >> 32, j mod 2^32)) for j = start + t. */
void kf__k_bits32(kf__isa isa, uint32_t k0, uint32_t k1, uint64_t start, size_t len,
                  uint32_t *out);

/* threefry2x32 of the counter pairs (x0[t], x1[t]) under one key, for the
 * legacy layouts: y0/y1 receive the two output words (either may be NULL). */
void kf__k_hash_pairs(kf__isa isa, uint32_t k0, uint32_t k1, const uint32_t *x0,
                      const uint32_t *x1, size_t len, uint32_t *y0, uint32_t *y1);

/* threefry2x32 of the one counter pair (c0, c1) under a key per lane,
 * (k0[t], k1[t]); y0/y1 receive the two output words. */
void kf__k_hash_keys(kf__isa isa, const uint32_t *k0, const uint32_t *k1, uint32_t c0, uint32_t c1,
                     size_t len, uint32_t *y0, uint32_t *y1);

/* uniform's affine step (§8): out[t] = max(lo, fma(unit(bits[t]), span, lo))
 * with jnp.maximum's operand order (lo > v ? lo : v). */
void kf__k_uniform(kf__isa isa, const uint32_t *bits, size_t len, float lo, float span,
                   float *out);

/* out[t] = clip(scale * erf_inv(in[t]), clip_lo, clip_hi), the clip as
 * jnp.clip does it (maximum with clip_lo first); ±infinity bounds make it
 * the identity. in and out may be the same array. */
void kf__k_erf_inv(kf__isa isa, const float *in, size_t len, float scale, float clip_lo,
                   float clip_hi, float *out);

/* bernoulli (§11): out[t] = unit(bits[t]) < p. */
void kf__k_bernoulli(kf__isa isa, const uint32_t *bits, size_t len, float p, uint8_t *out);

/* out[t] = kf__xla_log1pf(in[t]) (xla_math.h): erf_inv's log1p on its own, for
 * the tests. in and out may be the same array. */
void kf__k_log1p(kf__isa isa, const float *in, size_t len, float *out);

/* y[t] = act(x[t]) as the scalar forms of activations.c compute it. x and y
 * may be the same array. */
void kf__k_activation(kf__isa isa, kf__act act, const float *x, size_t len, float *y);
/* out[t] = kf__xla_logf(in[t]) and kf__xla_expf(in[t]) (xla_math.h). in and
 * out may be the same array. */
void kf__k_log(kf__isa isa, const float *in, size_t len, float *out);
void kf__k_exp(kf__isa isa, const float *in, size_t len, float *out);

/* The samplers on one uniform with vector forms (special.h): out[t] =
 * kf__exponential_f32(bits[t]), kf__gumbel_f32, kf__laplace_f32,
 * kf__logistic_f32. */
void kf__k_exponential(kf__isa isa, const uint32_t *bits, size_t len, float *out);
void kf__k_gumbel(kf__isa isa, const uint32_t *bits, size_t len, float *out);
void kf__k_laplace(kf__isa isa, const uint32_t *bits, size_t len, float *out);
void kf__k_logistic(kf__isa isa, const uint32_t *bits, size_t len, float *out);

/* out[t] = kf__wald_f32(ftz(mean[t * mean_step]), v[t], z[t]) (special.h):
 * mean_step 0 for one mean, 1 for one per element. out may be v or z. */
void kf__k_wald(kf__isa isa, const float *mean, size_t mean_step, const float *v, const float *z,
                size_t len, float *out);

/* out[t] = kf__triangular_f32(u[t], tri) (special.h). u and out may be the
 * same array. */
void kf__k_triangular(kf__isa isa, const float *u, size_t len, const kf__triangle *tri, float *out);

/* Softmax (kf__softmax_row's, without the log) of each of columns [0, done)
 * of y (n rows, row stride ld), in place: column c is the line y[j * ld + c],
 * summed in kf__xla_sum's tree order, or its 16-lane order if lanes16, and
 * divided by the sum (multiplied by its reciprocal if recip), as
 * kf__softmax_row would do to that line made contiguous. Returns done, a
 * multiple of the lane count (0 on the scalar ISA, for n > 2048, or for
 * lanes16 with n > 80); the caller does the other columns. */
size_t kf__k_softmax_cols(kf__isa isa, size_t n, size_t cols, float *y, size_t ld, int lanes16,
                          int recip);

/* kf__xla_sum of rows [0, done) of x (rows of n contiguous floats, each a
 * one-axis source of `n` values): sum[r] of the values (unless sum is
 * NULL), sum2[r] of their squares (KF__SUM_X, KF__SUM_SQUARE), in the tree
 * order or, if lanes16, the 16-lane order. Returns done, a multiple of the
 * lane count (0 on the scalar ISA, for n > 512, or lanes16 with n > 80). */
size_t kf__k_row_sums(kf__isa isa, size_t rows, size_t n, const float *x, int lanes16, float *sum,
                      float *sum2);

/* Vector kernels, one set per instruction set (simd_kernels.c). */
#define KF__DECLARE_KERNELS(isa)                                                              \
  void kf__k_bits32_##isa(uint32_t k0, uint32_t k1, uint64_t start, size_t len,              \
                          uint32_t *out);                                                     \
  void kf__k_hash_pairs_##isa(uint32_t k0, uint32_t k1, const uint32_t *x0,                  \
                              const uint32_t *x1, size_t len, uint32_t *y0, uint32_t *y1);   \
  void kf__k_hash_keys_##isa(const uint32_t *k0, const uint32_t *k1, uint32_t c0, uint32_t c1, \
                             size_t len, uint32_t *y0, uint32_t *y1);                         \
  void kf__k_uniform_##isa(const uint32_t *bits, size_t len, float lo, float span,           \
                           float *out);                                                       \
  void kf__k_erf_inv_##isa(const float *in, size_t len, float scale, float clip_lo,          \
                           float clip_hi, float *out);                                        \
  void kf__k_bernoulli_##isa(const uint32_t *bits, size_t len, float p, uint8_t *out);        \
  void kf__k_log1p_##isa(const float *in, size_t len, float *out);                            \
  void kf__k_activation_##isa(kf__act act, const float *x, size_t len, float *y);             \
  void kf__k_log_##isa(const float *in, size_t len, float *out);                              \
  void kf__k_exp_##isa(const float *in, size_t len, float *out);                              \
  void kf__k_triangular_##isa(const float *u, size_t len, const kf__triangle *tri, float *out); \
  void kf__k_wald_##isa(const float *mean, size_t mean_step, const float *v, const float *z,   \
                        size_t len, float *out);                                             \
  void kf__k_exponential_##isa(const uint32_t *bits, size_t len, float *out);                 \
  void kf__k_gumbel_##isa(const uint32_t *bits, size_t len, float *out);                      \
  void kf__k_laplace_##isa(const uint32_t *bits, size_t len, float *out);                     \
  void kf__k_logistic_##isa(const uint32_t *bits, size_t len, float *out);                    \
  void kf__k_gemm_tile_##isa(size_t kc, const float *ap, const float *b, size_t ldb, float *c, \
                             size_t ldc, int accumulate, size_t mv, size_t nv);           \
  size_t kf__k_softmax_cols_##isa(size_t n, size_t cols, float *y, size_t ld, int lanes16,   \
                                  int recip);                                                \
  size_t kf__k_row_sums_##isa(size_t rows, size_t n, const float *x, int lanes16, float *sum, \
                              float *sum2);                                                  \
  void kf__k_gemm_rows_##isa(size_t m, size_t n, size_t k, const float *a, const float *b,    \
                             float *c);

/* Register tiles: rows x columns (columns a multiple of the lane count). */
#define KF__GEMM_MR_scalar 4
#define KF__GEMM_NR_scalar 16
#define KF__GEMM_MR_avx2 6
#define KF__GEMM_NR_avx2 16
#define KF__GEMM_MR_avx512 8
#define KF__GEMM_NR_avx512 32

#if defined(KF_HAVE_X86_KERNELS)
KF__DECLARE_KERNELS(avx2)
KF__DECLARE_KERNELS(avx512)
#endif

#endif
