/* keyfold — jax.random's wald, poisson, binomial, multinomial, categorical
 * and choice (jax/_src/random/core.py of jax 0.10.2; xla-numerics.md §B.4 to
 * §B.6), as jaxlib 0.10.2 computes them on x86-64.
 *
 * JAX's loops are followed step for step because their results depend on
 * them: poisson's Knuth loop and binomial's inversion draw one uniform per
 * element per iteration from a key split once per iteration for the whole
 * array, and their rejection loops overwrite an accepted value whenever a
 * later iteration accepts again, so an element's value depends on how long
 * the slowest element of the same call runs. Both branches of each sampler
 * are drawn from the same key and selected per element, as JAX does.
 *
 * Arithmetic is float32 with XLA's own log, log1p and exp (xla_math.c),
 * fmaf where XLA:CPU fuses a product into a sum (xla-numerics.md §A.3), and
 * denormals read and written as zero (ftz). */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "bits.h"
#include "internal.h"
#include "keyfold/error.h"
#include "keyfold/random.h"
#include "keyfold/tensor.h"
#include "simd.h"
#include "special.h"
#include "xla_math.h"

#define ftz kf__xla_ftz

/* The (p, p_n) convention of keyfold/random.h: p_n == n or p_n == 1. */
static int param_ok(const float *p, size_t p_n, size_t n) {
  if (p_n != n && p_n != 1) return 0;
  return p_n == 0 || p != NULL;
}

static inline float pat(const float *p, size_t p_n, size_t i) {
  return ftz(p[p_n == 1 ? 0 : i]);
}




/* XLA's float32 to int32 conversion: NaN gives 0, out of range the bound. */
static int32_t f32_to_s32(float x) {
  if (isnan(x)) return 0;
  if (x >= 2147483648.0f) return INT32_MAX;
  if (x <= -2147483648.0f) return INT32_MIN;
  return (int32_t)x;
}

/* ------------------------------------------------------------------ wald */


/* A single element (shape () or (1,)): XLA fuses the whole sampler into one
 * kernel and its simplifier moves normal's sqrt(2) into the constants:
 * y = e^2 * 1.99999988 (sqrt(2)^2 in float32), 4 * mean * y =
 * (mean * e^2) * 7.99999952, y^2 = e^4 * 3.99999952 (its HLO, jaxlib
 * 0.10.2); e = erf_inv(u) unscaled. */
static float wald1_f32(float m, float e, float z) {
  const float ee = ftz(e * e), msq = ftz(m * m);
  const float y = ftz(ee * 1.99999988f);
  const float p23 = ftz(msq * ftz(ftz(ee * ee) * 3.99999952f));
  /* the first product fused into the sum, as XLA:CPU does (the second, or
   * none, differ on 4% to 12% of draws) */
  const float sum = ftz(fmaf(ftz(m * ee), 7.99999952f, p23));
  const float st = sqrtf(sum);
  const float x = ftz(fmaf(-ftz(m * 0.5f), st, ftz(fmaf(ftz(msq * y), 0.5f, m))));
  return (z <= ftz(m / ftz(m + x))) ? x : ftz(msq / x);
}

int kf_random_wald(kf_key key, kf_threefry_mode mode, size_t n, const float *mean, size_t mean_n,
                   float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  if (!param_ok(mean, mean_n, n)) return KF_EINVAL;
  kf_key k[2];
  if ((rc = kf_split(key, mode, 2, k)) != KF_OK) return rc;
  const kf__isa isa = kf__isa_best();
  const float nlo = nextafterf(-1.0f, 0.0f);
  float z[KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = kf__block_len(n, start);
    float *v = out + start;
    kf__uniform_block(isa, k[0], mode, n, start, len, nlo, 1.0f - nlo, v);
    kf__k_erf_inv(isa, v, len, n == 1 ? 1.0f : 0x1.6a09e6p+0f, -INFINITY, INFINITY, v);
    kf__uniform_block(isa, k[1], mode, n, start, len, 0.0f, 1.0f, z);
    if (n == 1) {
      v[0] = wald1_f32(pat(mean, mean_n, 0), v[0], z[0]);
      break;
    }
    kf__k_wald(isa, mean_n == 1 ? mean : mean + start, mean_n == 1 ? 0 : 1, v, z, len, v);
  }
  return KF_OK;
}

/* ---------------------------------------------------------------- lgamma */

/* chlo.lgamma as StableHLO expands it for float32 (xla-numerics.md §A.10),
 * for x >= 0.5, the only arguments poisson's result can depend on (k + 1
 * with k >= 0; a negative k is rejected whatever t is). */
static inline float lgamma_f32(float x) {
  static const float c[8] = {676.520368121885098567009190444019f, -1259.13921672240287047156078755283f,
                             771.3234287776530788486528258894f,  -176.61502916214059906584551354f,
                             12.507343278686904814458936853f,    -0.13857109526572011689554707f,
                             9.984369578019570859563e-6f,        1.50563273514931155834e-7f};
  if (isinf(x)) return INFINITY;
  const float z = ftz(x - 1.0f);
  float a = 1.0f;
  for (int i = 0; i < 8; i++) a = ftz(a + ftz(c[i] / ftz(z + (float)(i + 1))));
  const float t = ftz(z + 7.5f);
  const float logt = ftz(2.01490307f + kf__xla_log1pf(ftz(z * 0.13333334f)));
  const float s = ftz(ftz(z + 0.5f) - ftz(t / logt));
  return ftz(ftz(fmaf(s, logt, 0.918938533f)) + kf__xla_logf(a));
}

/* --------------------------------------------------------------- poisson */

/* Knuth: k = 0, lp = 0; while any lp > -lam: key, sub = split(key);
 * k += lp > -lam; lp += log(uniform(sub, shape)); result k - 1. Every
 * element takes its uniform from each iteration's full-shape draw. Elements
 * that take the other branch run with lam = 0 and never count. */
static int poisson_knuth(kf_key key, kf_threefry_mode mode, size_t n, const float *lam, float *lp,
                         int32_t *k) {
  const kf__isa isa = kf__isa_best();
  size_t active = 0;
  for (size_t i = 0; i < n; i++) {
    k[i] = 0;
    lp[i] = 0.0f;
    active += 0.0f > -lam[i];
  }
  for (uint32_t it = 0; active > 0 && it < (uint32_t)INT32_MAX; it++) {
    kf_key ks[2];
    int rc = kf_split(key, mode, 2, ks);
    if (rc != KF_OK) return rc;
    key = ks[0];
    active = 0;
    float u[KF_BLOCK];
    for (size_t start = 0; start < n; start += KF_BLOCK) {
      const size_t len = kf__block_len(n, start);
      kf__uniform_block(isa, ks[1], mode, n, start, len, 0.0f, 1.0f, u);
      kf__k_log(isa, u, len, u);
      for (size_t t = 0; t < len; t++) {
        const size_t i = start + t;
        k[i] += lp[i] > -lam[i];
        lp[i] = ftz(lp[i] + u[t]);
        active += lp[i] > -lam[i];
      }
    }
  }
  for (size_t i = 0; i < n; i++) k[i] -= 1;
  return KF_OK;
}

/* Hörmann's transformed rejection (PTRS) for lam >= 10, run on every
 * element (those of the other branch with lam = 1e5) until every element
 * has accepted once; a later acceptance overwrites an earlier one, as in
 * JAX. Scratch w: 6n floats; accepted: n flags. */
KF__HOT_LOOP static int poisson_ptrs(kf_key key, kf_threefry_mode mode, size_t n, const float *lam, float *w,
                        uint8_t *accepted, int32_t *out) {
  float *loglam = w, *b = w + n, *a = w + 2 * n, *inv_alpha = w + 3 * n, *v_r = w + 4 * n;
  float *kout = w + 5 * n;
  const kf__isa isa = kf__isa_best();
  for (size_t i = 0; i < n; i++) {
    const float l = lam[i];
    kout[i] = -1.0f;
    accepted[i] = 0;
    if (i > 0 && !memcmp(&lam[i], &lam[i - 1], sizeof l)) { /* one lam for many: computed once */
      loglam[i] = loglam[i - 1], b[i] = b[i - 1], a[i] = a[i - 1];
      inv_alpha[i] = inv_alpha[i - 1], v_r[i] = v_r[i - 1];
      continue;
    }
    loglam[i] = kf__xla_logf(l);
    b[i] = ftz(fmaf(2.53f, sqrtf(l), 0.931f));
    a[i] = ftz(fmaf(0.02483f, b[i], -0.059f));
    inv_alpha[i] = ftz(1.1239f + ftz(1.1328f / ftz(b[i] - 3.4f)));
    v_r[i] = ftz(0.9277f - ftz(3.6224f / ftz(b[i] - 2.0f)));
  }
  size_t left = n;
  for (uint32_t it = 0; left > 0 && it < (uint32_t)INT32_MAX; it++) {
    kf_key ks[3];
    int rc = kf_split(key, mode, 3, ks);
    if (rc != KF_OK) return rc;
    key = ks[0];
    float u[KF_BLOCK], v[KF_BLOCK], s[KF_BLOCK];
    for (size_t start = 0; start < n; start += KF_BLOCK) {
      const size_t len = kf__block_len(n, start);
      kf__uniform_block(isa, ks[1], mode, n, start, len, 0.0f, 1.0f, u);
      kf__uniform_block(isa, ks[2], mode, n, start, len, 0.0f, 1.0f, v);
      for (size_t t = 0; t < len; t++) {
        const size_t i = start + t;
        const float uu = u[t] - 0.5f, us = 0.5f - fabsf(uu);
        s[t] = ftz(ftz(v[t] * inv_alpha[i]) / ftz(ftz(a[i] / ftz(us * us)) + b[i]));
      }
      kf__k_log(isa, s, len, s);
      for (size_t t = 0; t < len; t++) {
        const size_t i = start + t;
        const float l = lam[i], uu = u[t] - 0.5f, us = 0.5f - fabsf(uu);
        const float k = floorf(ftz(ftz(fmaf(ftz(ftz(2.0f * a[i]) / us) + b[i], uu, l)) + 0.43f));
        const int accept1 = us >= 0.07f && v[t] <= v_r[i];
        const int reject = k < 0.0f || (us < 0.013f && v[t] > us);
        int accept = accept1;
        if (!accept && !reject) {
          const float tt = ftz(ftz(fmaf(k, loglam[i], -l)) - lgamma_f32(k + 1.0f));
          accept = s[t] <= tt;
        }
        if (accept) {
          kout[i] = k;
          if (!accepted[i]) accepted[i] = 1, left--;
        }
      }
    }
  }
  for (size_t i = 0; i < n; i++) out[i] = f32_to_s32(kout[i]);
  return KF_OK;
}

int kf_random_poisson(kf_key key, kf_threefry_mode mode, size_t n, const float *lam, size_t lam_n,
                      int32_t *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  if (!param_ok(lam, lam_n, n)) return KF_EINVAL;
  if (n == 0) return KF_OK;
  /* lam_knuth, lam_rej and lp (3n floats), PTRS's 6n, kout's ints, flags. */
  float *w = kf__malloc(n * (9 * sizeof(float) + sizeof(int32_t) + 1));
  if (!w) return KF_ENOMEM;
  float *lk = w, *lr = w + n, *lp = w + 2 * n, *pw = w + 3 * n;
  int32_t *kr = (int32_t *)(w + 9 * n);
  uint8_t *acc = (uint8_t *)(kr + n);
  int any_rej = 0;
  for (size_t i = 0; i < n; i++) {
    const float l = pat(lam, lam_n, i);
    const int knuth = isnan(l) || l < 10.0f;
    lk[i] = knuth ? l : 0.0f;
    lr[i] = knuth ? 1e5f : l;
    any_rej |= !knuth;
  }
  rc = poisson_knuth(key, mode, n, lk, lp, out);
  /* PTRS runs in JAX whatever the branches; only its selected elements
   * matter, and with none the loop changes nothing that is kept. */
  if (rc == KF_OK && any_rej) rc = poisson_ptrs(key, mode, n, lr, pw, acc, kr);
  if (rc == KF_OK) {
    for (size_t i = 0; i < n; i++) {
      const float l = pat(lam, lam_n, i);
      if (!(isnan(l) || l < 10.0f)) out[i] = kr[i];
      if (l == 0.0f) out[i] = 0;
    }
  }
  kf__free(w);
  return rc;
}

/* ------------------------------------------------------------- binomial */

/* _stirling_approx_tail(k): the table for k <= 9, else JAX's formula taken
 * at k clamped to [0, 9] (the clamp precedes it in JAX's source, so every
 * k > 9 gets the value at 9). */
static inline float stirling_tail(float k) {
  static const float tab[10] = {0.0810614667953272f,  0.0413406959554092f, 0.0276779256849983f,
                                0.02079067210376509f, 0.0166446911898211f, 0.0138761288230707f,
                                0.0118967099458917f,  0.0104112652619720f, 0.00925546218271273f,
                                0.00833056343336287f};
  const float kc = fminf(fmaxf(k, 0.0f), 9.0f);
  if (k <= 9.0f) return tab[(int)floorf(kc)];
  if (isnan(k)) return NAN;
  const float kp1 = kc + 1.0f, kp1sq = kp1 * kp1;
  return ftz(ftz((float)(1.0 / 12) - ftz(ftz((float)(1.0 / 360) - ftz((float)(1.0 / 1260) / kp1sq)) / kp1sq)) / kp1);
}

/* _binomial_inversion: l = log1p(-q); while any sum <= count:
 * sub, key = split(key) (in that order); num += sum <= count;
 * sum += ceil(log(uniform(sub)) / l); result num - 1. recip: q broadcast
 * from one value, where XLA divides by multiplying with 1 / l. */
static int binomial_inversion(kf_key key, kf_threefry_mode mode, size_t n, const float *count,
                              const float *q, int recip, float *sum, float *num) {
  const kf__isa isa = kf__isa_best();
  size_t active = 0;
  for (size_t i = 0; i < n; i++) {
    num[i] = 0.0f;
    sum[i] = 0.0f;
    active += 0.0f <= count[i];
  }
  const float inv_l = recip ? ftz(1.0f / kf__xla_log1pf(-q[0])) : 0.0f;
  float u[KF_BLOCK], l[KF_BLOCK];
  while (active > 0) {
    kf_key ks[2];
    int rc = kf_split(key, mode, 2, ks);
    if (rc != KF_OK) return rc;
    key = ks[1];
    active = 0;
    for (size_t start = 0; start < n; start += KF_BLOCK) {
      const size_t len = kf__block_len(n, start);
      kf__uniform_block(isa, ks[0], mode, n, start, len, 0.0f, 1.0f, u);
      kf__k_log(isa, u, len, u);
      if (!recip) {
        for (size_t t = 0; t < len; t++) l[t] = -q[start + t];
        kf__k_log1p(isa, l, len, l);
      }
      for (size_t t = 0; t < len; t++) {
        const size_t i = start + t;
        if (sum[i] <= count[i]) num[i] = ftz(num[i] + 1.0f);
        const float g = ceilf(ftz(recip ? u[t] * inv_l : u[t] / l[t]));
        sum[i] = ftz(sum[i] + g);
        active += sum[i] <= count[i];
      }
    }
  }
  for (size_t i = 0; i < n; i++) num[i] = ftz(num[i] - 1.0f);
  return KF_OK;
}

/* BTRS's per-element constants. */
typedef struct {
  float count, p, a, b, c, vr, r, alpha, m;
  float cm1;        /* (count - m) + 1 */
  float mt1;        /* (m + 0.5) * log((m + 1) / (r * cm1)), the first term of ub */
  float tm, tcm;    /* the tails at m and count - m */
  float tail_big;   /* the tail JAX takes for every k > 9 */
} btrs_c;

static btrs_c btrs_setup(float count, float p) {
  btrs_c s;
  s.count = count;
  s.p = p;
  const float sd = sqrtf(ftz(ftz(count * p) * ftz(1.0f - p)));
  s.b = ftz(fmaf(2.53f, sd, 1.15f));
  s.a = ftz(fmaf(0.01f, p, ftz(fmaf(0.0248f, s.b, -0.0873f))));
  s.c = ftz(fmaf(count, p, 0.5f));
  s.vr = ftz(0.92f - ftz(4.2f / s.b));
  s.r = ftz(p / ftz(1.0f - p));
  s.alpha = ftz(ftz(2.83f + ftz(5.1f / s.b)) * sd);
  s.m = floorf(ftz(ftz(count + 1.0f) * p));
  s.cm1 = ftz(ftz(count - s.m) + 1.0f);
  s.mt1 = ftz(ftz(s.m + 0.5f) * kf__xla_logf(ftz(ftz(s.m + 1.0f) / ftz(s.r * s.cm1))));
  s.tm = stirling_tail(s.m);
  s.tcm = stirling_tail(ftz(count - s.m));
  s.tail_big = stirling_tail(10.0f);
  return s;
}

/* One BTRS step for element with constants s and uniforms u, v: sets *k
 * and returns whether it accepts. */
static inline int btrs_step(const btrs_c *s, float u, float v, float *kout) {
  const float count = s->count, r = s->r;
  u = u - 0.5f;
  const float us = 0.5f - fabsf(u);
  const int accept1 = us >= 0.07f && v <= s->vr;
  const float k = floorf(ftz(fmaf(ftz(ftz(ftz(2.0f * s->a) / us) + s->b), u, s->c)));
  const int reject = k < 0.0f || k > count;
  *kout = k;
  if (accept1) return 1;
  if (reject) return 0;
  const float lv = kf__xla_logf(ftz(ftz(v * s->alpha) / ftz(ftz(s->a / ftz(us * us)) + s->b)));
  const float ck1 = ftz(ftz(count - k) + 1.0f);
  const float t2 = kf__xla_logf(ftz(s->cm1 / ck1));
  const float t3 = kf__xla_logf(ftz(ftz(r * ck1) / ftz(k + 1.0f)));
  /* XLA:CPU fuses the second product of the first sum, not the first
   * (measured: the other fusions change 1 in 10^5 draws at count 10^6),
   * then the third into that sum; the tails are added in JAX's order. */
  float ub = ftz(fmaf(ftz(count + 1.0f), t2, s->mt1));
  ub = ftz(fmaf(ftz(k + 0.5f), t3, ub));
  ub = ftz(ub + s->tm);
  ub = ftz(ub + s->tcm);
  ub = ftz(ub - (k > 9.0f ? s->tail_big : stirling_tail(k)));
  const float ck = ftz(count - k);
  ub = ftz(ub - (ck > 9.0f ? s->tail_big : stirling_tail(ck)));
  return lv <= ub;
}

/* _btrs on every element until each has accepted once (later acceptances
 * overwrite, as in JAX). */
KF__HOT_LOOP static int binomial_btrs(kf_key key, kf_threefry_mode mode, size_t n, const float *count,
                         const float *p, btrs_c *cs, uint8_t *accepted, float *kout) {
  const kf__isa isa = kf__isa_best();
  for (size_t i = 0; i < n; i++) {
    /* one (count, p) for many elements: its constants computed once */
    const int same = i > 0 && !memcmp(&count[i], &count[i - 1], sizeof *count) &&
                     !memcmp(&p[i], &p[i - 1], sizeof *p);
    cs[i] = same ? cs[i - 1] : btrs_setup(count[i], p[i]);
    kout[i] = -1.0f;
    accepted[i] = 0;
  }
  size_t left = n;
  float u[KF_BLOCK], v[KF_BLOCK];
  while (left > 0) {
    kf_key ks[3];
    int rc = kf_split(key, mode, 3, ks);
    if (rc != KF_OK) return rc;
    key = ks[0];
    for (size_t start = 0; start < n; start += KF_BLOCK) {
      const size_t len = kf__block_len(n, start);
      kf__uniform_block(isa, ks[1], mode, n, start, len, 0.0f, 1.0f, u);
      kf__uniform_block(isa, ks[2], mode, n, start, len, 0.0f, 1.0f, v);
      for (size_t t = 0; t < len; t++) {
        const size_t i = start + t;
        float k;
        if (btrs_step(&cs[i], u[t], v[t], &k)) {
          kout[i] = k;
          if (!accepted[i]) accepted[i] = 1, left--;
        }
      }
    }
  }
  return KF_OK;
}

/* The scratch binomial_core needs for n elements: count_inv, count_btrs, q,
 * q_btrs, sum, btrs's k (6n floats), btrs's constants, flags. */
static size_t binomial_scratch(size_t n) { return n * (6 * sizeof(float) + sizeof(btrs_c) + 1); }

/* _binomial for n elements with count[i], prob[i] (already broadcast);
 * recip as in binomial_inversion; w is binomial_scratch(n) bytes. */
static int binomial_core(kf_key key, kf_threefry_mode mode, size_t n, const float *cnt,
                         size_t cnt_n, const float *prob, size_t prob_n, int recip, float *w,
                         float *out) {
  if (n == 0) return KF_OK;
  float *ci = w, *cb = w + n, *q = w + 2 * n, *qb = w + 3 * n, *sum = w + 4 * n, *kb = w + 5 * n;
  btrs_c *cs = (btrs_c *)(w + 6 * n);
  uint8_t *acc = (uint8_t *)(cs + n);
  int any_btrs = 0;
  for (size_t i = 0; i < n; i++) {
    const float p = pat(prob, prob_n, i), c = pat(cnt, cnt_n, i);
    float qq = p < 0.5f ? p : ftz(1.0f - p);
    const int bad_count = isnan(c) || c < 0.0f;
    if (isnan(qq) || qq < 0.0f) qq = 0.01f;
    const int inv = bad_count || ftz(c * qq) <= 10.0f;
    const float cf = floorf(c);
    q[i] = qq;
    ci[i] = inv ? cf : 0.0f;
    cb[i] = inv ? 1e4f : cf;
    qb[i] = inv ? 0.5f : qq;
    any_btrs |= !inv;
  }
  int rc = binomial_inversion(key, mode, n, ci, q, recip, sum, out);
  /* BTRS only matters for the elements that select it. */
  if (rc == KF_OK && any_btrs) rc = binomial_btrs(key, mode, n, cb, qb, cs, acc, kb);
  if (rc == KF_OK) {
    for (size_t i = 0; i < n; i++) {
      const float p = pat(prob, prob_n, i), c = pat(cnt, cnt_n, i);
      const float qq = p < 0.5f ? p : ftz(1.0f - p);
      const int bad_count = isnan(c) || c < 0.0f, q_nan = isnan(qq), q_neg = qq < 0.0f;
      const int inf = isinf(c);
      const float qs = (q_nan || q_neg) ? 0.01f : qq;
      const int inv = bad_count || ftz(c * qs) <= 10.0f;
      float s = inv ? out[i] : kb[i];
      const int invalid = q_neg || q_nan || bad_count;
      if (invalid) s = NAN;
      if (inf && !invalid) s = INFINITY;
      if (!(p < 0.5f || bad_count || q_nan || inf)) s = ftz(floorf(c) - s);
      out[i] = s;
    }
  }
  return rc;
}

int kf_random_binomial(kf_key key, kf_threefry_mode mode, size_t n, const float *count,
                       size_t count_n, const float *p, size_t p_n, float *out) {
  int rc = kf__sampler_check_draws(mode, n, n, out);
  if (rc != KF_OK) return rc;
  if (!param_ok(count, count_n, n) || !param_ok(p, p_n, n)) return KF_EINVAL;
  if (n == 0) return KF_OK;
  float *w = kf__malloc(binomial_scratch(n));
  if (!w) return KF_ENOMEM;
  rc = binomial_core(key, mode, n, count, count_n, p, p_n, p_n == 1 && n > 1, w, out);
  kf__free(w);
  return rc;
}

/* ---------------------------------------------------------- multinomial */

/* jax's cumsum of float32 as XLA:CPU computes it (measured against jaxlib
 * 0.10.2 for n up to 70000): up to 16 values left to right; beyond, its
 * ReduceWindowRewriter's blocked scan: each block of 16 summed left to
 * right, the blocks' totals scanned the same way (recursively), and block
 * b's values plus the scanned total of the blocks before it. tmp holds
 * 2 * ceil(n / 16) floats per level (kf__malloc'd here). */
static int xla_cumsum(const float *p, size_t n, float *out) {
  float s = 0.0f;
  for (size_t j = 0; j < n; j++) {
    if (j % 16 == 0 && n > 16) s = 0.0f;
    out[j] = s = ftz(s + ftz(p[j]));
  }
  if (n <= 16) return KF_OK;
  const size_t nb = (n + 15) / 16;
  float *tot = kf__malloc(2 * nb * sizeof *tot);
  if (!tot) return KF_ENOMEM;
  for (size_t b = 0; b < nb; b++) tot[b] = out[(b + 1) * 16 <= n ? (b + 1) * 16 - 1 : n - 1];
  int rc = xla_cumsum(tot, nb, tot + nb);
  if (rc == KF_OK)
    for (size_t j = 16; j < n; j++) out[j] = ftz(out[j] + tot[nb + j / 16 - 1]);
  kf__free(tot);
  return rc;
}

/* cumsum(p, reverse=True): the cumsum of the reversed row, reversed; rev
 * is scratch of k floats. */
static int rev_cumsum(const float *p, size_t k, float *rem, float *rev) {
  for (size_t j = 0; j < k; j++) rev[j] = p[k - 1 - j];
  int rc = xla_cumsum(rev, k, rem);
  if (rc != KF_OK) return rc;
  for (size_t j = 0; j < k / 2; j++) {
    const float t = rem[j];
    rem[j] = rem[k - 1 - j];
    rem[k - 1 - j] = t;
  }
  return KF_OK;
}

int kf_random_multinomial(kf_key key, kf_threefry_mode mode, size_t batch, size_t k,
                          const float *count, size_t count_n, const float *p, size_t p_n,
                          float *out) {
  const uint64_t total = (uint64_t)batch * k;
  int rc = kf__sampler_check_draws(mode, batch, total, out);
  if (rc != KF_OK) return rc;
  if (!param_ok(count, count_n, batch) || (p_n != k && p_n != total) || (p_n && !p))
    return KF_EINVAL;
  if (total == 0) return KF_OK;
  /* ratios (batch * k), remainders, one category's ratios and counts, two
   * rows, keys, and binomial's scratch: all at once, so that a failed
   * allocation leaves out untouched */
  const size_t head = (size_t)total * sizeof(float) + batch * 3 * sizeof(float) +
                      2 * k * sizeof(float) + k * sizeof(kf_key);
  const size_t bin_at = (head + 15) & ~(size_t)15;
  float *w = kf__malloc(bin_at + binomial_scratch(batch));
  if (!w) return KF_ENOMEM;
  float *bin_w = (float *)((char *)w + bin_at);
  float *ratio = w, *remain = w + total, *col = remain + batch, *cnt = col + batch;
  float *rem = cnt + batch, *rev = rem + k;
  kf_key *keys = (kf_key *)(rev + k);
  for (size_t b = 0; b < batch; b++) {
    const float *row = p + (p_n == k ? 0 : b * k);
    if ((rc = rev_cumsum(row, k, rem, rev)) != KF_OK) goto done;
    for (size_t j = 0; j < k; j++)
      ratio[b * k + j] = ftz(ftz(row[j]) / (rem[j] == 0.0f ? 1.0f : rem[j]));
    remain[b] = pat(count, count_n, b);
  }
  if ((rc = kf_split(key, mode, k, keys)) != KF_OK) goto done;
  /* lax.scan over the categories: counts = binomial(keys[j], remainder,
   * clip(ratio[j], 0, 1)), remainder -= counts. */
  for (size_t j = 0; j < k; j++) {
    for (size_t b = 0; b < batch; b++) {
      const float r = ratio[b * k + j];
      col[b] = isnan(r) ? r : fminf(fmaxf(r, 0.0f), 1.0f);
    }
    if ((rc = binomial_core(keys[j], mode, batch, remain, batch, col, batch, 0, bin_w, cnt)) != KF_OK)
      goto done;
    for (size_t b = 0; b < batch; b++) {
      out[b * k + j] = cnt[b];
      remain[b] = ftz(remain[b] - cnt[b]);
    }
  }
done:
  kf__free(w);
  return rc;
}

/* ---------------------------------------------------- categorical, choice */

/* lax.argmax's order: a NaN wins over any number, the first index on ties. */
static int argmax_better(float v, float best) {
  if (isnan(best)) return 0;
  return isnan(v) || v > best;
}

/* The gumbel draw of `total` values in mode gmode, whole (the high modes
 * pair element i with element total + i, so they are drawn at once). */
static float *gumbel_all(kf_key key, kf_threefry_mode mode, size_t total, kf_gumbel_mode gmode,
                         int *rc) {
  float *g = kf__malloc(total * sizeof(float));
  if (!g) {
    *rc = KF_ENOMEM;
    return NULL;
  }
  if ((*rc = kf_random_gumbel(key, mode, total, gmode, g)) != KF_OK) {
    kf__free(g);
    return NULL;
  }
  return g;
}

/* top_k's order for indices into v: larger values first, a NaN above every
 * number, the lower index first on ties. */
typedef struct {
  float v;
  int32_t i;
} ranked;

static int ranked_before(const ranked *a, const ranked *b) {
  const int an = isnan(a->v), bn = isnan(b->v);
  if (an != bn) return an;
  if (!an && a->v != b->v) return a->v > b->v;
  return a->i < b->i;
}

/* The first m of r[0..len) in top_k's order, sorted in place (a selection
 * per place: m is a sample count, len a category count). */
static void top_m(ranked *r, size_t len, size_t m) {
  for (size_t s = 0; s < m; s++) {
    size_t best = s;
    for (size_t t = s + 1; t < len; t++)
      if (ranked_before(&r[t], &r[best])) best = t;
    const ranked tmp = r[s];
    r[s] = r[best];
    r[best] = tmp;
  }
}

int kf_random_categorical(kf_key key, kf_threefry_mode mode, const float *logits, size_t outer,
                          size_t k, size_t inner, size_t prefix, int replace,
                          kf_gumbel_mode gmode, int32_t *out) {
  if (gmode != KF_GUMBEL_LOW && gmode != KF_GUMBEL_HIGH && gmode != KF_GUMBEL_HIGHEST)
    return KF_EINVAL;
  const uint64_t batch = (uint64_t)outer * inner, nout = batch * prefix;
  const uint64_t per = (uint64_t)k * batch, total = replace ? per * prefix : per;
  if (nout > KF_MAX_ELEMENTS || total > KF_MAX_ELEMENTS) return KF_EOVERFLOW;
  int rc = kf__sampler_check_draws(mode, (size_t)nout, gmode == KF_GUMBEL_LOW ? total : 2 * total, out);
  if (rc != KF_OK) return rc;
  if (k == 0 || (per > 0 && !logits)) return KF_EINVAL;
  if (!replace && prefix > k) return KF_EINVAL;
  if (nout == 0) return KF_OK;
  if (!replace) {
    /* logits + gumbel(key, logits.shape), top_k along the axis; output
     * (prefix, outer, inner): sample s of row (o, i) is its s-th index. */
    float *g = gumbel_all(key, mode, (size_t)per, gmode, &rc);
    ranked *r = g ? kf__malloc(k * sizeof *r) : NULL;
    if (!r) {
      kf__free(g);
      return g ? KF_ENOMEM : rc;
    }
    for (size_t o = 0; o < outer; o++)
      for (size_t i = 0; i < inner; i++) {
        for (size_t j = 0; j < k; j++) {
          const size_t e = (o * k + j) * inner + i;
          r[j] = (ranked){ftz(ftz(logits[e]) + g[e]), (int32_t)j};
        }
        top_m(r, k, prefix);
        for (size_t s = 0; s < prefix; s++) out[(s * outer + o) * inner + i] = r[s].i;
      }
    kf__free(r);
    kf__free(g);
    return KF_OK;
  }
  /* argmax(gumbel(key, (prefix, outer, k, inner)) + logits, axis) */
  float *gall = NULL;
  if (gmode != KF_GUMBEL_LOW && !(gall = gumbel_all(key, mode, (size_t)total, gmode, &rc)))
    return rc;
  float *best = kf__malloc(inner * sizeof *best);
  if (!best) {
    kf__free(gall);
    return KF_ENOMEM;
  }
  const kf__isa isa = kf__isa_best();
  uint32_t bits[KF_BLOCK];
  float gb[KF_BLOCK];
  const size_t row = k * inner; /* one (s, o)'s contiguous gumbel values */
  if (!gall && inner == 1 && k <= KF_BLOCK) {
    /* The common case (categories on the last axis): whole rows per block,
     * one vector gumbel pass, then each row's argmax. */
    const size_t rows = prefix * outer, per_block = KF_BLOCK / k;
    for (size_t r0 = 0; r0 < rows; r0 += per_block) {
      const size_t nr = rows - r0 < per_block ? rows - r0 : per_block;
      kf__bits32_range(key, mode, total, r0 * k, nr * k, bits);
      kf__k_gumbel(isa, bits, nr * k, gb);
      size_t o = r0 % outer;
      for (size_t t = 0; t < nr; t++) {
        const float *lg = logits + o * k;
        float *g = gb + t * k;
        o = o + 1 == outer ? 0 : o + 1;
        for (size_t j = 0; j < k; j++) g[j] = ftz(g[j] + ftz(lg[j]));
        /* branchless running maximum; a NaN anywhere takes the slow path */
        float bv = g[0];
        int32_t bj = 0;
        int nan = isnan(g[0]);
        for (size_t j = 1; j < k; j++) {
          const int gt = g[j] > bv;
          bv = gt ? g[j] : bv;
          bj = gt ? (int32_t)j : bj;
          nan |= isnan(g[j]);
        }
        if (nan)
          for (bj = 0; !isnan(g[bj]); bj++) continue;
        out[r0 + t] = bj;
      }
    }
    kf__free(best);
    return KF_OK;
  }
  for (size_t so = 0; so < prefix * outer; so++) {
    const float *lg = logits + (so % outer) * row;
    int32_t *o = out + so * inner;
    for (size_t start = 0; start < row; start += KF_BLOCK) {
      const size_t len = kf__block_len(row, start);
      const float *gv;
      if (gall) {
        gv = gall + so * row + start;
      } else {
        kf__bits32_range(key, mode, total, so * row + start, len, bits);
        kf__k_gumbel(isa, bits, len, gb);
        gv = gb;
      }
      for (size_t t = 0; t < len; t++) {
        const size_t e = start + t, j = e / inner, i = e % inner;
        const float v = ftz(gv[t] + ftz(lg[e]));
        if (j == 0 || argmax_better(v, best[i])) best[i] = v, o[i] = (int32_t)j;
      }
    }
  }
  kf__free(best);
  kf__free(gall);
  return KF_OK;
}

/* jax's searchsorted(c, r, side='left') by its scan: ceil(log2(n + 1))
 * halvings of [0, n], go left when r <= c[mid] in the total order of sort
 * (-0 as 0, NaN above everything), c[mid] clamped into the array. */
static int sort_le(float a, float b) {
  if (isnan(b)) return 1;
  if (isnan(a)) return 0;
  return a <= b;
}

static int32_t searchsorted_left(const float *c, size_t n, float r) {
  uint32_t lo = 0, hi = (uint32_t)n;
  int levels = 0;
  while ((((uint64_t)1) << levels) < (uint64_t)n + 1) levels++;
  for (int l = 0; l < levels; l++) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (mid >= n) mid = (uint32_t)n - 1;
    if (sort_le(r, c[mid])) hi = mid;
    else lo = mid;
  }
  return (int32_t)hi;
}

int kf_random_choice(kf_key key, kf_threefry_mode mode, size_t n_inputs, size_t n_draws,
                     int replace, const float *p, kf_gumbel_mode gmode, int32_t *out) {
  int rc = kf__sampler_check_draws(mode, n_draws, n_draws, out);
  if (rc != KF_OK) return rc;
  if (n_draws == 0) return KF_OK;
  if (n_inputs == 0 || n_inputs > (size_t)INT32_MAX || (!replace && n_draws > n_inputs))
    return KF_EINVAL;
  if (!p) {
    if (replace) return kf_random_randint(key, mode, n_draws, 0, (int64_t)n_inputs, out);
    int32_t *perm = kf__malloc(n_inputs * sizeof *perm);
    if (!perm) return KF_ENOMEM;
    rc = kf_random_permutation(key, mode, n_inputs, perm);
    if (rc == KF_OK) memcpy(out, perm, n_draws * sizeof *out);
    kf__free(perm);
    return rc;
  }
  if (replace) {
    /* c = cumsum(p); r = c[-1] * (1 - uniform(key, shape));
     * searchsorted(c, r). */
    float *c = kf__malloc(n_inputs * sizeof *c);
    if (!c) return KF_ENOMEM;
    if ((rc = xla_cumsum(p, n_inputs, c)) != KF_OK) {
      kf__free(c);
      return rc;
    }
    const kf__isa isa = kf__isa_best();
    float u[KF_BLOCK];
    for (size_t start = 0; start < n_draws; start += KF_BLOCK) {
      const size_t len = kf__block_len(n_draws, start);
      kf__uniform_block(isa, key, mode, n_draws, start, len, 0.0f, 1.0f, u);
      for (size_t t = 0; t < len; t++)
        out[start + t] = searchsorted_left(c, n_inputs, ftz(c[n_inputs - 1] * (1.0f - u[t])));
    }
    kf__free(c);
    return KF_OK;
  }
  /* gumbel(key, (n,), mode) + log(p), top_k(n_draws) */
  float *g = gumbel_all(key, mode, n_inputs, gmode, &rc);
  ranked *r = g ? kf__malloc(n_inputs * sizeof *r) : NULL;
  if (!r) {
    kf__free(g);
    return g ? KF_ENOMEM : rc;
  }
  for (size_t j = 0; j < n_inputs; j++)
    r[j] = (ranked){ftz(g[j] + kf__xla_logf(ftz(p[j]))), (int32_t)j};
  top_m(r, n_inputs, n_draws);
  for (size_t s = 0; s < n_draws; s++) out[s] = r[s].i;
  kf__free(r);
  kf__free(g);
  return KF_OK;
}
