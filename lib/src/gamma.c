/* keyfold — jax.random.gamma and the samplers built on it (xla-numerics.md
 * §B.3; jax/_src/random/core.py of jax 0.10.2 and 0.6.2): loggamma, beta,
 * dirichlet, chisquare, t, f, generalized_normal and ball.
 *
 * gamma splits its key into one key per element and runs Marsaglia and
 * Tsang's rejection loop per element with its own key chain, exactly as
 * JAX's _gamma_one does under vmap (each lane only advances while its own
 * condition holds, so a per-element loop gives the same values). Every
 * float operation is XLA:CPU's: its log, exp and log1p (xla_math.h), fmaf
 * where LLVM fuses a product into a sum (§A.3), the C library's powf and
 * sqrtf, denormals read and written as zero (ftz), and rsqrt in the form the
 * caller's jaxlib uses (rsqrt.h): gamma's c = (1/3) / sqrt(d) is rewritten
 * by XLA's simplifier into 0.33333334f * rsqrt(d). */
#include <math.h>
#include <string.h>

#include "bits.h"
#include "internal.h"
#include "names.h"
#include "keyfold/error.h"
#include "keyfold/random.h"
#include "rsqrt.h"
#include "simd.h"
#include "special.h"
#include "xla_math.h"

#define ftz kf__xla_ftz

#define ONE_THIRD 0x1.555556p-2f /* f32(1/3) = 0.33333334 */
#define SQUEEZE 0.0331f

/* --------------------------------------------------------- scalar keys */

/* Key j of split(key, m) for small m, as kf_split computes it: partitionable
 * mode hashes the counter (0, j); legacy mode takes words 2j and 2j + 1 of
 * the hash of iota(2m), whose word i pairs counters i and m + i. */
static kf_key split_one(kf_key key, kf_threefry_mode mode, uint32_t m, uint32_t j) {
  uint32_t y[2];
  if (mode == KF_THREEFRY_PARTITIONABLE) {
    kf_threefry2x32(key.hi, key.lo, 0, j, y);
    return kf_key_from_data(y[0], y[1]);
  }
  uint32_t w[2];
  for (int k = 0; k < 2; k++) {
    const uint32_t i = 2 * j + (uint32_t)k;
    kf_threefry2x32(key.hi, key.lo, i < m ? i : i - m, i < m ? m + i : i, y);
    w[k] = (i < m) ? y[0] : y[1];
  }
  return kf_key_from_data(w[0], w[1]);
}

/* All keys of split(key, m) for m = 2 or 3 (one hash per pair in legacy
 * mode, shared by the words it produces). */
static void split_small(kf_key key, kf_threefry_mode mode, uint32_t m, kf_key *out) {
  if (mode == KF_THREEFRY_PARTITIONABLE) {
    for (uint32_t j = 0; j < m; j++) out[j] = split_one(key, mode, m, j);
    return;
  }
  uint32_t y0[3], y1[3], w[6];
  for (uint32_t i = 0; i < m; i++) {
    uint32_t y[2];
    kf_threefry2x32(key.hi, key.lo, i, m + i, y);
    y0[i] = y[0];
    y1[i] = y[1];
  }
  for (uint32_t i = 0; i < 2 * m; i++) w[i] = (i < m) ? y0[i] : y1[i - m];
  for (uint32_t j = 0; j < m; j++) out[j] = kf_key_from_data(w[2 * j], w[2 * j + 1]);
}

/* The 32 random bits of a draw of shape () (§7): partitionable mode hashes
 * the counter (0, 0) and xors the two words; legacy mode hashes iota(1)
 * padded to (0, 0) and keeps the first word. */
static uint32_t bits_scalar(kf_key key, kf_threefry_mode mode) {
  uint32_t y[2];
  kf_threefry2x32(key.hi, key.lo, 0, 0, y);
  return (mode == KF_THREEFRY_PARTITIONABLE) ? y[0] ^ y[1] : y[0];
}

/* uniform(key, ()) in [0, 1): max(0, fma(f, 1, 0)) is f itself. */
static float uniform_scalar(kf_key key, kf_threefry_mode mode) {
  return kf__unit_float(bits_scalar(key, mode));
}

/* normal(key, ()), as kf_random_normal computes one element. */
static float normal_scalar(kf_key key, kf_threefry_mode mode) {
  const uint32_t b = bits_scalar(key, mode);
  const float lo = nextafterf(-1.0f, 0.0f), sqrt2 = 0x1.6a09e6p+0f;
  float u;
  kf__k_uniform(KF__ISA_SCALAR, &b, 1, lo, 1.0f - lo, &u);
  kf__k_erf_inv(KF__ISA_SCALAR, &u, 1, sqrt2, -INFINITY, INFINITY, &u);
  return u;
}

/* ------------------------------------------------------------- gamma */

/* The per-element constants of _gamma_one (jax 0.10.2, unchanged since
 * 0.4.14): alpha < 1 is boosted to alpha + 1; d = alpha - 1/3 and
 * c = (1/3) / sqrt(d), which XLA computes as 0.33333334f * rsqrt(d). */
typedef struct {
  float alpha_orig, d, c;
  int boost;
} gamma_consts;

static gamma_consts gamma_setup(float alpha_orig, kf_rsqrt_mode rmode) {
  gamma_consts g;
  g.alpha_orig = ftz(alpha_orig);
  g.boost = g.alpha_orig >= 1.0f; /* false for NaN, like lax.ge */
  const float alpha = g.boost ? g.alpha_orig : ftz(g.alpha_orig + 1.0f);
  g.d = ftz(alpha - ONE_THIRD);
  g.c = ftz(ONE_THIRD * kf__xla_rsqrtf(g.d, rmode));
  return g;
}

/* The loop's condition (true: draw again). U >= 1 - 0.0331 * (X * X): the
 * product by the constant fuses into the subtraction. log(U) >= X * 0.5 +
 * d * ((1 - V) + log(V)): LLVM fuses the sum's first product (X * 0.5,
 * exact) and rounds d * (...). */
KF__HOT_LOOP static int gamma_reject(const gamma_consts *g, float X, float V, float U) {
  if (!(U >= fmaf(-SQUEEZE, ftz(X * X), 1.0f))) return 0;
  const float t = ftz(ftz(1.0f - V) + kf__xla_logf(V));
  return kf__xla_logf(U) >= ftz(fmaf(X, 0.5f, ftz(g->d * t)));
}

/* The result from the accepted V and u = uniform(subkey, ()). */
static float gamma_finish(const gamma_consts *g, float V, float u, int log_space) {
  if (log_space) {
    /* -exponential(subkey) = -(-log1p(-u)): XLA drops the double negation. */
    const float ls = kf__xla_log1pf(-u);
    const float lb = (g->boost || ls == 0.0f) ? 0.0f : ftz(ls * ftz(1.0f / g->alpha_orig));
    return ftz(ftz(kf__xla_logf(g->d) + kf__xla_logf(V)) + lb);
  }
  const float s = ftz(1.0f - u);
  const float b = g->boost ? 1.0f : ftz(powf(s, ftz(1.0f / g->alpha_orig)));
  return ftz(ftz(g->d * V) * b);
}

/* _gamma_one(key, alpha, log_space), one element from its own key. */
KF__HOT_LOOP static float gamma_one(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, float alpha_orig,
                       int log_space) {
  const gamma_consts g = gamma_setup(alpha_orig, rmode);
  kf_key ks[3];
  split_small(key, mode, 2, ks);
  kf_key k = ks[0];
  const kf_key subkey = ks[1];
  /* The initial state makes the condition true, as in JAX. */
  float X = 0.0f, V = 1.0f, U = 2.0f;
  while (gamma_reject(&g, X, V, U)) {
    split_small(k, mode, 3, ks);
    k = ks[0];
    kf_key xkey = ks[1];
    const kf_key ukey = ks[2];
    float x = 0.0f, v = -1.0f;
    while (v <= 0.0f) {
      kf_key xs[2];
      split_small(xkey, mode, 2, xs);
      xkey = xs[0];
      x = normal_scalar(xs[1], mode);
      v = ftz(fmaf(x, g.c, 1.0f));
    }
    X = ftz(x * x);
    V = ftz(ftz(v * v) * v);
    U = uniform_scalar(ukey, mode);
  }
  return gamma_finish(&g, V, uniform_scalar(subkey, mode), log_space);
}

/* ---------------------------------------------------- lanes of elements */

/* Keys as two arrays of words (hi, lo), one key per element of a block. */
typedef struct {
  uint32_t hi[KF_BLOCK], lo[KF_BLOCK];
} key_lanes;

/* out = key j of split(in, m) per lane, as split_one computes it. */
static void split_lanes(kf__isa isa, kf_threefry_mode mode, uint32_t m, uint32_t j,
                        const key_lanes *in, size_t len, key_lanes *out) {
  if (mode == KF_THREEFRY_PARTITIONABLE) {
    kf__k_hash_keys(isa, in->hi, in->lo, 0, j, len, out->hi, out->lo);
    return;
  }
  uint32_t y0[KF_BLOCK], y1[KF_BLOCK];
  for (int k = 0; k < 2; k++) {
    const uint32_t i = 2 * j + (uint32_t)k, pair = i < m ? i : i - m;
    kf__k_hash_keys(isa, in->hi, in->lo, pair, m + pair, len, y0, y1);
    memcpy(k ? out->lo : out->hi, i < m ? y0 : y1, len * sizeof *y0);
  }
}

/* bits_scalar per lane. */
static void bits_lanes(kf__isa isa, kf_threefry_mode mode, const key_lanes *in, size_t len,
                       uint32_t *out) {
  uint32_t y1[KF_BLOCK];
  kf__k_hash_keys(isa, in->hi, in->lo, 0, 0, len, out, y1);
  if (mode == KF_THREEFRY_PARTITIONABLE)
    for (size_t t = 0; t < len; t++) out[t] ^= y1[t];
}

/* gamma_one for every element of a block at once: the first pass of the
 * rejection loop runs lane-parallel (the key chain's hashes in the vector
 * kernels, which give the scalar bits), and the few elements whose first
 * normal gives v <= 0 or whose first proposal is rejected (a few percent)
 * start over in gamma_one. Element t's value is gamma_one's either way. */
KF__HOT_LOOP
static void gamma_lanes(kf_threefry_mode mode, kf_rsqrt_mode rmode, const key_lanes *keys,
                        size_t len, const float *alpha, int log_space, float *out) {
  const kf__isa isa = kf__isa_best();
  key_lanes loop, sub, xkey, ukey, sk;
  uint32_t nb[KF_BLOCK], ub[KF_BLOCK], fb[KF_BLOCK];
  float z[KF_BLOCK], u[KF_BLOCK];
  split_lanes(isa, mode, 2, 0, keys, len, &loop);
  split_lanes(isa, mode, 2, 1, keys, len, &sub);
  split_lanes(isa, mode, 3, 1, &loop, len, &xkey);
  split_lanes(isa, mode, 3, 2, &loop, len, &ukey);
  split_lanes(isa, mode, 2, 1, &xkey, len, &sk);
  bits_lanes(isa, mode, &sk, len, nb);
  bits_lanes(isa, mode, &ukey, len, ub);
  bits_lanes(isa, mode, &sub, len, fb);
  const float lo = nextafterf(-1.0f, 0.0f), sqrt2 = 0x1.6a09e6p+0f;
  kf__k_uniform(isa, nb, len, lo, 1.0f - lo, z);
  kf__k_erf_inv(isa, z, len, sqrt2, -INFINITY, INFINITY, z);
  kf__k_uniform(isa, fb, len, 0.0f, 1.0f, u);
  float vs[KF_BLOCK], ds[KF_BLOCK], nu[KF_BLOCK], bst[KF_BLOCK];
  uint8_t acc[KF_BLOCK] = {0};
  gamma_consts g = gamma_setup(alpha[0], rmode);
  for (size_t t = 0; t < len; t++) {
    /* A parameter spread over the block repeats: its constants too. */
    if (t > 0 && memcmp(&alpha[t], &alpha[t - 1], sizeof *alpha) != 0) g = gamma_setup(alpha[t], rmode);
    const float v = ftz(fmaf(z[t], g.c, 1.0f));
    const float X = ftz(z[t] * z[t]), V = ftz(ftz(v * v) * v);
    if (v <= 0.0f || gamma_reject(&g, X, V, kf__unit_float(ub[t]))) {
      out[t] = gamma_one(kf_key_from_data(keys->hi[t], keys->lo[t]), mode, rmode, alpha[t], log_space);
      continue;
    }
    if (!log_space) {
      out[t] = gamma_finish(&g, V, u[t], 0);
      continue;
    }
    /* loggamma's three logs go through the vector kernels below (the same
     * bits as kf__xla_logf / kf__xla_log1pf): V, d and -u kept for them. */
    acc[t] = 1;
    vs[t] = V;
    ds[t] = g.d;
    nu[t] = -u[t];
    bst[t] = g.boost ? 0.0f : ftz(1.0f / g.alpha_orig);
  }
  if (!log_space) return;
  for (size_t t = 0; t < len; t++)
    if (!acc[t]) vs[t] = ds[t] = 1.0f, nu[t] = 0.0f;
  kf__k_log(isa, vs, len, vs);
  kf__k_log(isa, ds, len, ds);
  kf__k_log1p(isa, nu, len, nu);
  for (size_t t = 0; t < len; t++) {
    if (!acc[t]) continue;
    /* gamma_finish's log space: lb is 0 when boosted (bst = 0) or ls = 0. */
    const float ls = nu[t];
    const float lb = (bst[t] == 0.0f || ls == 0.0f) ? 0.0f : ftz(ls * bst[t]);
    out[t] = ftz(ftz(ds[t] + vs[t]) + lb);
  }
}

/* A float parameter under the (p, p_n) convention of keyfold/random.h. */
static int param_ok(const float *p, size_t p_n, size_t n) {
  if (p_n == n) return (n == 0 || p) ? KF_OK : KF_EINVAL;
  return (p_n == 1 && p) ? KF_OK : KF_EINVAL;
}

static inline float param_at(const float *p, size_t p_n, size_t i) {
  return p[p_n == 1 ? 0 : i];
}

static int check(kf_threefry_mode mode, kf_rsqrt_mode rmode, uint64_t n, const void *out) {
  int rc = kf__bits_check(mode, 32, n);
  if (rc != KF_OK) return rc;
  /* split(key, n) in legacy mode hashes 2n words. */
  if (mode == KF_THREEFRY_LEGACY && 2 * n >= 0xFFFFFFFFu) return KF_EOVERFLOW;
  if (rmode != KF_RSQRT_SQRT_DIV && rmode != KF_RSQRT_INTEL_NR2) return KF_EINVAL;
  if (n > 0 && !out) return KF_EINVAL;
  return KF_OK;
}

/* Elements [start, start + len) (len <= KF_BLOCK) of gamma or loggamma(key,
 * a, (n,)) as _gamma_impl computes them: keys = split(key, n), one rejection
 * loop per element; alpha holds the len elements' parameters. */
static void gamma_range(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, uint64_t n,
                        uint64_t start, size_t len, const float *alpha, int log_space,
                        float *out) {
  key_lanes keys;
  if (mode == KF_THREEFRY_PARTITIONABLE) {
    uint32_t x0[KF_BLOCK], x1[KF_BLOCK];
    for (size_t t = 0; t < len; t++) {
      const uint64_t j = start + t;
      x0[t] = (uint32_t)(j >> 32);
      x1[t] = (uint32_t)j;
    }
    kf__k_hash_pairs(kf__isa_best(), key.hi, key.lo, x0, x1, len, keys.hi, keys.lo);
  } else {
    uint32_t w[2 * KF_BLOCK];
    kf__bits32_range(key, mode, 2 * n, 2 * start, 2 * len, w);
    for (size_t t = 0; t < len; t++) {
      keys.hi[t] = w[2 * t];
      keys.lo[t] = w[2 * t + 1];
    }
  }
  gamma_lanes(mode, rmode, &keys, len, alpha, log_space, out);
}


/* Elements [start, start + len) of a (p, p_n) parameter. */
static void param_block(const float *p, size_t p_n, size_t start, size_t len, float *out) {
  for (size_t t = 0; t < len; t++) out[t] = param_at(p, p_n, start + t);
}

static const char *const rsqrt_mode_names[] = {"sqrt-div", "intel-nr2"};
KF__NAMES_DEFINE(rsqrt_mode, kf_rsqrt_mode, rsqrt_mode_names)

static int gamma_common(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                        const float *a, size_t a_n, int log_space, float *out) {
  int rc = check(mode, rmode, n, out);
  if (rc != KF_OK || (rc = param_ok(a, a_n, n)) != KF_OK) return rc;
  float al[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    param_block(a, a_n, start, len, al);
    gamma_range(key, mode, rmode, n, start, len, al, log_space, out + start);
  }
  return KF_OK;
}

int kf_random_gamma(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                    const float *a, size_t a_n, float *out) {
  return gamma_common(key, mode, rmode, n, a, a_n, 0, out);
}

int kf_random_loggamma(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                       const float *a, size_t a_n, float *out) {
  return gamma_common(key, mode, rmode, n, a, a_n, 1, out);
}

/* ------------------------------------------------ built on gamma */

/* lax.max: NaN if either operand is. */
static inline float xla_max(float a, float b) {
  if (isnan(a) || isnan(b)) return NAN;
  return a > b ? a : b;
}

/* beta: ka, kb = split(key); la, lb = loggamma(ka, a), loggamma(kb, b);
 * m = max(la, lb); exp(la - m) / (exp(la - m) + exp(lb - m)). */
int kf_random_beta(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                   const float *a, size_t a_n, const float *b, size_t b_n, float *out) {
  int rc = check(mode, rmode, n, out);
  if (rc != KF_OK || (rc = param_ok(a, a_n, n)) != KF_OK || (rc = param_ok(b, b_n, n)) != KF_OK)
    return rc;
  kf_key ks[2];
  split_small(key, mode, 2, ks);
  float la[KF_BLOCK], lb[KF_BLOCK], p[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    param_block(a, a_n, start, len, p);
    gamma_range(ks[0], mode, rmode, n, start, len, p, 1, la);
    param_block(b, b_n, start, len, p);
    gamma_range(ks[1], mode, rmode, n, start, len, p, 1, lb);
    for (size_t t = 0; t < len; t++) {
      const float m = xla_max(la[t], lb[t]);
      const float ga = kf__xla_expf(ftz(la[t] - m)), gb = kf__xla_expf(ftz(lb[t] - m));
      out[start + t] = ftz(ga / ftz(ga + gb));
    }
  }
  return KF_OK;
}

/* dirichlet: loggamma(key, alpha, (n, k)) (keys split over all n * k
 * elements, row-major), then softmax over each row: exp(x - max) divided by
 * the row's sum of those, summed left to right. */
int kf_random_dirichlet(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                        const float *alpha, size_t k, float *out) {
  if (k > 0 && n > SIZE_MAX / k) return KF_EOVERFLOW;
  const uint64_t total = (uint64_t)n * k;
  int rc = check(mode, rmode, total, out);
  if (rc != KF_OK) return rc;
  if (k > 0 && !alpha) return KF_EINVAL;
  float x[KF_BLOCK], al[KF_BLOCK];
  for (uint64_t start = 0; start < total; start += KF_BLOCK) {
    const size_t len = (total - start < KF_BLOCK) ? (size_t)(total - start) : KF_BLOCK;
    for (size_t t = 0; t < len; t++) al[t] = alpha[(start + t) % k];
    gamma_range(key, mode, rmode, total, start, len, al, 1, x);
    memcpy(out + start, x, len * sizeof *x);
  }
  for (size_t row = 0; row < n; row++) {
    float *r = out + row * k;
    float m = -INFINITY;
    for (size_t j = 0; j < k; j++) m = xla_max(m, r[j]);
    float s = 0.0f;
    for (size_t j = 0; j < k; j++) {
      r[j] = kf__xla_expf(ftz(r[j] - m));
      s = ftz(s + r[j]);
    }
    const float inv = ftz(1.0f / s);
    for (size_t j = 0; j < k; j++) r[j] = ftz(r[j] * inv);
  }
  return KF_OK;
}

/* chisquare's elements [start, start + len): exp(loggamma(key, df / 2)) * 2,
 * df / 2 computed as df * 0.5. */
static void chisquare_range(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, uint64_t n,
                            uint64_t start, size_t len, const float *df, size_t df_n, float *out) {
  float h[KF_BLOCK];
  for (size_t t = 0; t < len; t++) h[t] = ftz(ftz(param_at(df, df_n, start + t)) * 0.5f);
  gamma_range(key, mode, rmode, n, start, len, h, 1, out);
  for (size_t t = 0; t < len; t++) out[t] = ftz(kf__xla_expf(out[t]) * 2.0f);
}

int kf_random_chisquare(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                        const float *df, size_t df_n, float *out) {
  int rc = check(mode, rmode, n, out);
  if (rc != KF_OK || (rc = param_ok(df, df_n, n)) != KF_OK) return rc;
  for (size_t start = 0; start < n; start += KF_BLOCK)
    chisquare_range(key, mode, rmode, n, start, kf__block_len(n, start), df, df_n, out + start);
  return KF_OK;
}

/* f: k_dfd, k_dfn = split(key) (the denominator's key first); JAX's
 * (cn / dfnum) / (cd / dfden) is computed as (cn * dfden) / (dfnum * cd) by
 * XLA's (A/B)/(C/D) rewrite. */
int kf_random_f(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                const float *dfnum, size_t dfnum_n, const float *dfden, size_t dfden_n,
                float *out) {
  int rc = check(mode, rmode, n, out);
  if (rc != KF_OK || (rc = param_ok(dfnum, dfnum_n, n)) != KF_OK ||
      (rc = param_ok(dfden, dfden_n, n)) != KF_OK)
    return rc;
  kf_key ks[2];
  split_small(key, mode, 2, ks);
  float cd[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *cn = out + start;
    chisquare_range(ks[1], mode, rmode, n, start, len, dfnum, dfnum_n, cn);
    chisquare_range(ks[0], mode, rmode, n, start, len, dfden, dfden_n, cd);
    for (size_t t = 0; t < len; t++) {
      const float dn = ftz(param_at(dfnum, dfnum_n, start + t));
      const float dd = ftz(param_at(dfden, dfden_n, start + t));
      cn[t] = ftz(ftz(cn[t] * dd) / ftz(dn * cd[t]));
    }
  }
  return KF_OK;
}

/* t: kn, kg = split(key); z = normal(kn, (n,)); h = df / 2 (df * 0.5);
 * z * sqrt(h / gamma(kg, h)). */
int kf_random_t(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                const float *df, size_t df_n, float *out) {
  int rc = check(mode, rmode, n, out);
  if (rc != KF_OK || (rc = param_ok(df, df_n, n)) != KF_OK) return rc;
  kf_key ks[2];
  split_small(key, mode, 2, ks);
  const kf__isa isa = kf__isa_best();
  const float lo = nextafterf(-1.0f, 0.0f), sqrt2 = 0x1.6a09e6p+0f;
  uint32_t bits[KF_BLOCK];
  float z[KF_BLOCK], h[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    kf__bits32_range(ks[0], mode, n, start, len, bits);
    kf__k_uniform(isa, bits, len, lo, 1.0f - lo, z);
    kf__k_erf_inv(isa, z, len, sqrt2, -INFINITY, INFINITY, z);
    for (size_t t = 0; t < len; t++) h[t] = ftz(ftz(param_at(df, df_n, start + t)) * 0.5f);
    float *g = out + start;
    gamma_range(ks[1], mode, rmode, n, start, len, h, 0, g);
    for (size_t t = 0; t < len; t++) g[t] = ftz(z[t] * sqrtf(ftz(h[t] / g[t])));
  }
  return KF_OK;
}

/* generalized_normal's elements [start, start + len) of a draw of n:
 * k0, k1 = split(key); r * gamma(k0, 1 / p) ** (1 / p) with r the
 * rademacher(k1) sign as a float (the draw's top bit, as bernoulli(0.5)). */
static void gennorm_range(const kf_key ks[2], kf_threefry_mode mode, kf_rsqrt_mode rmode,
                          uint64_t n, uint64_t start, size_t len, const float *p, size_t p_n,
                          float *out) {
  float ip[KF_BLOCK];
  uint32_t bits[KF_BLOCK];
  for (size_t t = 0; t < len; t++) ip[t] = ftz(1.0f / ftz(param_at(p, p_n, start + t)));
  gamma_range(ks[0], mode, rmode, n, start, len, ip, 0, out);
  kf__bits32_range(ks[1], mode, n, start, len, bits);
  for (size_t t = 0; t < len; t++) {
    const float r = (bits[t] >> 31) ? -1.0f : 1.0f;
    out[t] = ftz(r * ftz(powf(out[t], ip[t])));
  }
}

int kf_random_generalized_normal(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n,
                                 const float *p, size_t p_n, float *out) {
  int rc = check(mode, rmode, n, out);
  if (rc != KF_OK || (rc = param_ok(p, p_n, n)) != KF_OK) return rc;
  kf_key ks[2];
  split_small(key, mode, 2, ks);
  for (size_t start = 0; start < n; start += KF_BLOCK)
    gennorm_range(ks, mode, rmode, n, start, kf__block_len(n, start), p, p_n, out + start);
  return KF_OK;
}

/* jaxlib 0.10.2 hands a reduction with at least this many inputs to
 * YNNPACK instead of XLA's own loop emitter (as in maxwell, distributions.c). */
#define YNN_MIN_ELEMENTS 4096

/* The sum of x[j] = |g[j]| ** p (powf) over j in [0, d) as jaxlib 0.10.2 reduces a row of an (n, d) array, as
 * measured against it (scripts/gen-vectors.py --measure):
 *   - n * d >= 4096, YNNPACK: 16 lanes, x[j] added into lane j mod 16, then
 *     the lanes halved pairwise (lane i + lane i + h) down to one;
 *   - otherwise XLA's loop, left to right from 0 for d <= 32, and for d > 32
 *     (TreeReductionRewriter) ceil(d / 32) chunks of ceil(d / ceil(d / 32))
 *     elements, each summed left to right, the partial sums then likewise
 *     (exact on every d from 33 to 64 tried; 77% of rows for d = 100). */
static float row_sum(const float *g, size_t d, float p, int ynn) {
  if (ynn) {
    float lane[16] = {0};
    for (size_t j = 0; j < d; j++) lane[j % 16] = ftz(lane[j % 16] + ftz(powf(fabsf(g[j]), p)));
    for (size_t h = 8; h >= 1; h /= 2)
      for (size_t i = 0; i < h; i++) lane[i] = ftz(lane[i] + lane[i + h]);
    return lane[0];
  }
  const size_t chunks = (d + 31) / 32, w = chunks ? (d + chunks - 1) / chunks : 1;
  float s = 0.0f;
  for (size_t c = 0; c < d; c += w) {
    float part = 0.0f;
    for (size_t j = c; j < d && j < c + w; j++) part = ftz(part + ftz(powf(fabsf(g[j]), p)));
    s = (d > 32) ? ftz(s + part) : part;
  }
  return s;
}

/* ball: k1, k2 = split(key); g = generalized_normal(k1, p, (n, d));
 * e = exponential(k2, (n,)); g / (sum_j |g_j| ** p + e) ** (1 / p), the
 * division rewritten by XLA into g * (...) ** -(1 / p) (A / pow(B, C) ->
 * A * pow(B, -C)), every pow the C library's powf. */
int kf_random_ball(kf_key key, kf_threefry_mode mode, kf_rsqrt_mode rmode, size_t n, size_t d,
                   float p, float *out) {
  if (d > 0 && n > SIZE_MAX / d) return KF_EOVERFLOW;
  const uint64_t total = (uint64_t)n * d;
  int rc = check(mode, rmode, total, out);
  if (rc != KF_OK || (rc = check(mode, rmode, n, out)) != KF_OK) return rc;
  kf_key ks[2], gk[2];
  split_small(key, mode, 2, ks);
  split_small(ks[0], mode, 2, gk);
  for (uint64_t start = 0; start < total; start += KF_BLOCK) {
    const size_t len = (total - start < KF_BLOCK) ? (size_t)(total - start) : KF_BLOCK;
    gennorm_range(gk, mode, rmode, total, start, len, &p, 1, out + start);
  }
  p = ftz(p);
  const float neg_ip = -ftz(1.0f / p);
  const int ynn = total >= YNN_MIN_ELEMENTS;
  const kf__isa isa = kf__isa_best();
  uint32_t bits[KF_BLOCK];
  float e[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    kf__bits32_range(ks[1], mode, n, start, len, bits);
    kf__k_exponential(isa, bits, len, e);
    for (size_t t = 0; t < len; t++) {
      float *g = out + (start + t) * d;
      const float s = row_sum(g, d, p, ynn);
      const float r = ftz(powf(ftz(s + e[t]), neg_ip));
      for (size_t j = 0; j < d; j++) g[j] = ftz(g[j] * r);
    }
  }
  return KF_OK;
}
