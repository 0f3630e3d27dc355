/* The vector kernels against the scalar forms they must reproduce bit for
 * bit (lib/src/simd.h), on millions of inputs per instruction set this CPU
 * has, and keyfold's log1p (lib/src/xla_math.c, scalar and vector) against an
 * independent transcription of XLA's (xla_log1p_ref.h) and against values
 * printed by jaxlib 0.10.2 (xla_log1p_jaxlib.inc).
 *
 * KEYFOLD_EXHAUSTIVE=1 widens the sampled float ranges to every float
 * (scripts/test-exhaustive.sh; a few minutes). */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/src/functions.h"
#include "../lib/src/testing.h"
#include "keyfold/keyfold.h"
#include "xla_log1p_ref.h"

static int exhaustive(void) {
  const char *e = getenv("KEYFOLD_EXHAUSTIVE");
  return e && strcmp(e, "1") == 0;
}

static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* The vector instruction sets to compare with the scalar form. */
static int vector_isas(kf__isa *isas) {
  int n = 0;
  for (int i = KF__ISA_SCALAR + 1; i < KF__ISA_COUNT; i++)
    if (kf__isa_usable((kf__isa)i)) isas[n++] = (kf__isa)i;
  return n;
}

/* On an x86-64 build, this machine's CPU must have at least AVX2, or the
 * other tests would compare nothing. */
START_TEST(a_vector_isa_is_usable_on_x86_64) {
#if defined(__x86_64__)
  kf__isa isas[KF__ISA_COUNT];
  const int n = vector_isas(isas);
  printf("test_simd: vector kernels: %d (best: %s)\n", n, kf__isa_name(kf__isa_best()));
  ck_assert_int_ge(n, 1);
  ck_assert_int_ne(kf__isa_best(), KF__ISA_SCALAR);
#else
  ck_assert_int_eq(kf__isa_best(), KF__ISA_SCALAR);
#endif
  ck_assert_str_eq(kf__isa_name(KF__ISA_SCALAR), "scalar");
  ck_assert_int_eq(kf__isa_usable(KF__ISA_COUNT), 0);
}
END_TEST

/* jax.lax.log1p's results printed by jaxlib 0.10.2: the function keyfold
 * follows, on the inputs where it matters (specials, denormals, the branch
 * boundary at sqrt(2) - 1, inputs where other roundings of XLA's formula or
 * glibc's log1pf give other bits). */
static const uint32_t jaxlib_log1p[][2] = {
#include "xla_log1p_jaxlib.inc"
};

/* Bitwise equality, NaNs included: XLA's logf returns the NaN 0xFFFFFFFF. */
static uint64_t log1p_mismatches(const float *in, const float *got, const float *want, size_t n,
                                 const char *what) {
  if (memcmp(got, want, n * sizeof *got) == 0) return 0;
  uint64_t bad = 0;
  for (size_t t = 0; t < n; t++) {
    if (float_bits(got[t]) != float_bits(want[t]) && bad++ < 5)
      printf("%s log1p(%a) [0x%08x] = %a [0x%08x], reference %a [0x%08x]\n", what, in[t],
             float_bits(in[t]), got[t], float_bits(got[t]), want[t], float_bits(want[t]));
  }
  return bad;
}

START_TEST(log1p_is_jaxlib_0_10_2_on_known_answers) {
  enum { N = sizeof jaxlib_log1p / sizeof *jaxlib_log1p };
  float in[N], got[N];
  size_t fused_differs = 0;
  for (size_t i = 0; i < N; i++) {
    const float x = in[i] = bits_float(jaxlib_log1p[i][0]);
    const uint32_t want = jaxlib_log1p[i][1];
    ck_assert_msg(float_bits(kf__xla_log1pf(x)) == want, "log1p(%a) = %a [0x%08x], jaxlib 0x%08x",
                  x, kf__xla_log1pf(x), float_bits(kf__xla_log1pf(x)), want);
    ck_assert_uint_eq(float_bits(xla_log1p_ref(x)), want); /* the reference too */
    fused_differs += float_bits(xla_log1p_ref_fused(x)) != want;
  }
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  for (int i = 0; i < n_isa; i++) {
    kf__k_log1p(isas[i], in, N, got);
    for (size_t t = 0; t < N; t++)
      ck_assert_msg(float_bits(got[t]) == jaxlib_log1p[t][1], "%s log1p(%a) = %a, jaxlib 0x%08x",
                    kf__isa_name(isas[i]), in[t], got[t], jaxlib_log1p[t][1]);
  }
  /* The table holds inputs where jaxlib 0.6.2's rounding gives other bits. */
  ck_assert_uint_gt(fused_differs, 0);
  printf("test_simd: log1p: %d jaxlib 0.10.2 results\n", (int)N);
}
END_TEST

/* Runs the n inputs through the scalar log1p and every vector kernel and
 * counts the results that differ from the reference. */
static uint64_t check_log1p_chunk(const float *in, size_t n, float *want, float *got) {
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  for (size_t t = 0; t < n; t++) want[t] = xla_log1p_ref(in[t]);
  kf__k_log1p(KF__ISA_SCALAR, in, n, got);
  uint64_t bad = log1p_mismatches(in, got, want, n, "scalar");
  for (int i = 0; i < n_isa; i++) {
    kf__k_log1p(isas[i], in, n, got);
    bad += log1p_mismatches(in, got, want, n, kf__isa_name(isas[i]));
  }
  return bad;
}

/* The scalar log1p and each vector kernel against the reference: on the
 * 2^23 arguments normal's erf_inv passes it, every 13th float of [-1, 0]
 * (erf_inv takes log1p of -x^2 only; truncated_normal's x can be any float),
 * every float near the branch at -(sqrt(2) - 1) and near -1, and every 9973rd
 * other float. KEYFOLD_EXHAUSTIVE=1: every float32. (Each float costs ~0.1 us
 * here: the scalar fmaf is a call, and tiny arguments make denormal
 * intermediates.) */
START_TEST(log1p_matches_reference_scalar_and_vector) {
  enum { CHUNK = 1 << 20 };
  float *in = malloc(CHUNK * 4), *want = malloc(CHUNK * 4), *got = malloc(CHUNK * 4);
  ck_assert(in && want && got);
  const int all = exhaustive();
  const struct { uint64_t first, last, step; } ranges[] = {
      {0x00000000u, 0x7FFFFFFFu, all ? 1 : 9973}, /* positive, +inf, NaNs */
      {0x80000000u, 0xBF800000u, all ? 1 : 13},   /* [-1, 0] */
      {0xBEC00000u, 0xBEE00000u, all ? 0 : 1},    /* [-0.4375, -0.375] */
      {0xBF7F0000u, 0xBF800000u, all ? 0 : 1},    /* [-1, -0.99609375] */
      {0xBF800001u, 0xFFFFFFFFu, all ? 1 : 9973}, /* below -1, -inf, NaNs */
  };
  uint64_t bad = 0, compared = 0;
  for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++) {
    if (ranges[r].step == 0) continue;
    size_t n = 0;
    for (uint64_t b = ranges[r].first; b <= ranges[r].last; b += ranges[r].step) {
      in[n++] = bits_float((uint32_t)b);
      if (n == CHUNK || b + ranges[r].step > ranges[r].last) {
        bad += check_log1p_chunk(in, n, want, got);
        compared += n;
        n = 0;
      }
    }
  }
  /* normal's t = u * -u for each of the 2^23 values of its uniform u. */
  const float lo = nextafterf(-1.0f, 0.0f);
  for (uint32_t m = 0; m < (1u << 23); m += CHUNK) {
    uint32_t bits[1024];
    for (size_t t = 0; t < CHUNK; t += 1024) {
      for (uint32_t k = 0; k < 1024; k++) bits[k] = (m + (uint32_t)t + k) << 9;
      kf__k_uniform(KF__ISA_SCALAR, bits, 1024, lo, 1.0f - lo, in + t);
    }
    for (size_t t = 0; t < CHUNK; t++) in[t] = in[t] * -in[t];
    bad += check_log1p_chunk(in, CHUNK, want, got);
    compared += CHUNK;
  }
  /* Short calls: the tails, and in place. */
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  for (int i = 0; i < n_isa; i++) {
    for (size_t l = 0; l <= 70; l++) {
      float part[72];
      for (size_t t = 0; t < 72; t++) part[t] = -(float)t / 71.0f;
      part[l] = 7.0f;
      kf__k_log1p(isas[i], part, l, part);
      for (size_t t = 0; t < l; t++)
        ck_assert_uint_eq(float_bits(part[t]), float_bits(kf__xla_log1pf(-(float)t / 71.0f)));
      ck_assert(part[l] == 7.0f); /* nothing written past len */
    }
  }
  printf("test_simd: log1p: %" PRIu64 " floats, scalar and %d vector forms against the reference\n",
         compared, n_isa);
  free(in), free(want), free(got);
  ck_assert_uint_eq(bad, 0);
}
END_TEST

START_TEST(bits32_match_scalar) {
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  enum { N = 1 << 20 };
  uint32_t *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
  ck_assert_ptr_nonnull(want);
  ck_assert_ptr_nonnull(got);
  uint64_t seed = 1;
  /* Starts that cross the low word's wrap (the carry into the high word) and
   * the top of the counter space; lengths around the vector group size. */
  const uint64_t starts[] = {0, 0xFFFFFFFFu - 1000, 0x1FFFFFFF0u, UINT64_MAX - 100000, 12345};
  size_t checked = 0;
  for (size_t s = 0; s < sizeof starts / sizeof *starts; s++) {
    const uint32_t k0 = (uint32_t)splitmix(&seed), k1 = (uint32_t)splitmix(&seed);
    const size_t len = (s == 0) ? N : 200003;
    kf__k_bits32(KF__ISA_SCALAR, k0, k1, starts[s], len, want);
    for (int i = 0; i < n_isa; i++) {
      memset(got, 0, len * sizeof *got);
      kf__k_bits32(isas[i], k0, k1, starts[s], len, got);
      ck_assert_mem_eq(got, want, len * sizeof *got);
      checked += len;
      /* Short calls: the tail paths, at odd offsets. */
      for (size_t l = 0; l <= 70; l++) {
        uint32_t part[72];
        memset(part, 0xAB, sizeof part);
        kf__k_bits32(isas[i], k0, k1, starts[s] + 3, l, part);
        ck_assert_mem_eq(part, want + 3, l * sizeof *part);
        ck_assert_uint_eq(part[l], 0xABABABABu); /* nothing written past len */
      }
    }
  }
  /* Known answer through the dispatching path: threefry2x32(0, 0, 0, 0) words. */
  uint32_t w[1];
  kf__k_bits32(kf__isa_best(), 0, 0, 0, 1, w);
  ck_assert_uint_eq(w[0], 0x6B200159u ^ 0x99BA4EFEu);
  printf("test_simd: bits32: %zu counters compared\n", checked);
  free(want);
  free(got);
}
END_TEST

START_TEST(hash_pairs_match_scalar) {
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  enum { N = 300007 };
  uint32_t *x0 = malloc(N * 4), *x1 = malloc(N * 4), *w0 = malloc(N * 4), *w1 = malloc(N * 4),
           *g0 = malloc(N * 4), *g1 = malloc(N * 4);
  ck_assert(x0 && x1 && w0 && w1 && g0 && g1);
  uint64_t seed = 2;
  for (size_t t = 0; t < N; t++) {
    const uint64_t r = splitmix(&seed);
    x0[t] = (uint32_t)r;
    x1[t] = (uint32_t)(r >> 32);
  }
  kf__k_hash_pairs(KF__ISA_SCALAR, 0x12345678u, 0x9ABCDEF0u, x0, x1, N, w0, w1);
  for (int i = 0; i < n_isa; i++) {
    kf__k_hash_pairs(isas[i], 0x12345678u, 0x9ABCDEF0u, x0, x1, N, g0, g1);
    ck_assert_mem_eq(g0, w0, N * 4);
    ck_assert_mem_eq(g1, w1, N * 4);
    memset(g0, 0, N * 4);
    kf__k_hash_pairs(isas[i], 0x12345678u, 0x9ABCDEF0u, x0, x1, 77, g0, NULL);
    ck_assert_mem_eq(g0, w0, 77 * 4);
    ck_assert_uint_eq(g0[77], 0);
    kf__k_hash_pairs(isas[i], 0x12345678u, 0x9ABCDEF0u, x0, x1, 5, NULL, g1);
    ck_assert_mem_eq(g1, w1, 5 * 4);
  }
  free(x0), free(x1), free(w0), free(w1), free(g0), free(g1);
}
END_TEST

START_TEST(uniform_and_bernoulli_match_scalar) {
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  enum { N = 1 << 20 };
  uint32_t *bits = malloc(N * 4);
  float *want = malloc(N * 4), *got = malloc(N * 4);
  uint8_t *bw = malloc(N), *bg = malloc(N);
  ck_assert(bits && want && got && bw && bg);
  uint64_t seed = 3;
  for (size_t t = 0; t < N; t++) bits[t] = (uint32_t)splitmix(&seed);
  bits[0] = 0;
  bits[1] = 0xFFFFFFFFu;
  const float bounds[][2] = {{0.0f, 1.0f},      {-0.9544997f, 0.9544997f}, {-1.0f, 1.0f},
                             {-0.0f, 0.0f},     {-3e38f, 3e38f},           {5.0f, -5.0f},
                             {1e-40f, 2e-40f},  {-1.0f, -0.999f},          {nextafterf(-1.0f, 0.0f), 1.0f}};
  const float ps[] = {0.5f, 0.0f, 1.0f, -1.0f, 2.0f, 1e-30f, 0.99999994f, 0.3f, -0.0f};
  for (size_t b = 0; b < sizeof bounds / sizeof *bounds; b++) {
    const float lo = bounds[b][0], span = bounds[b][1] - bounds[b][0];
    kf__k_uniform(KF__ISA_SCALAR, bits, N, lo, span, want);
    for (int i = 0; i < n_isa; i++) {
      kf__k_uniform(isas[i], bits, N, lo, span, got);
      ck_assert_mem_eq(got, want, N * 4);
      kf__k_uniform(isas[i], bits, 13, lo, span, got + 1);
      ck_assert_mem_eq(got + 1, want, 13 * 4);
    }
  }
  for (size_t p = 0; p < sizeof ps / sizeof *ps; p++) {
    kf__k_bernoulli(KF__ISA_SCALAR, bits, N, ps[p], bw);
    for (int i = 0; i < n_isa; i++) {
      kf__k_bernoulli(isas[i], bits, N, ps[p], bg);
      ck_assert_mem_eq(bg, bw, N);
      bg[9] = 7;
      kf__k_bernoulli(isas[i], bits, 9, ps[p], bg);
      ck_assert_uint_eq(bg[9], 7);
    }
  }
  free(bits), free(want), free(got), free(bw), free(bg);
}
END_TEST

/* wald's kernel against its scalar form bit for bit: normals over many
 * binades (both signs, zeros, denormals, huge), uniforms, and means of every
 * kind (one for all, one per element: tiny, denormal, zero, negative, huge,
 * NaN, infinite); tails and in place. */
START_TEST(wald_matches_scalar) {
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  enum { N = 1 << 20 };
  float *v = malloc(N * 4), *z = malloc(N * 4), *m = malloc(N * 4), *want = malloc(N * 4),
        *got = malloc(N * 4);
  ck_assert(v && z && m && want && got);
  uint32_t s = 12345u;
  for (size_t t = 0; t < N; t++) {
    s = s * 1664525u + 1013904223u;
    v[t] = bits_float((s & 0x807fffffu) | ((60u + (s >> 8) % 140u) << 23)); /* 2^-67 .. 2^12 */
    s = s * 1664525u + 1013904223u;
    z[t] = (float)(s >> 8) * 0x1p-24f;
    s = s * 1664525u + 1013904223u;
    m[t] = bits_float((s & 0x007fffffu) | ((100u + (s >> 8) % 60u) << 23));
  }
  const float edge[] = {0.0f, -0.0f, 1e-40f, -1e-40f, 1.0f, -1.0f, 1e30f, -1e30f, NAN, INFINITY, -INFINITY};
  for (size_t e = 0; e < 64; e++) {
    v[e] = edge[e % 11];
    m[N - 1 - e] = edge[e % 11];
    z[100 + e] = edge[e % 3];
  }
  const float ones[] = {1.0f, 0.5f, 3e5f, 1e-40f, 0.0f, -2.0f, NAN, INFINITY};
  for (int i = 0; i < n_isa; i++)
    for (int k = -1; k < (int)(sizeof ones / sizeof *ones); k++) {
      const float *mean = k < 0 ? m : &ones[k];
      const size_t step = k < 0 ? 1 : 0;
      kf__k_wald(KF__ISA_SCALAR, mean, step, v, z, N, want);
      kf__k_wald(isas[i], mean, step, v, z, N, got);
      for (size_t t = 0; t < N; t++)
        if (float_bits(got[t]) != float_bits(want[t]) && !(isnan(got[t]) && isnan(want[t])))
          ck_abort_msg("%s wald(m %a, v %a, z %a) = %a, scalar %a", kf__isa_name(isas[i]), mean[t * step],
                       v[t], z[t], got[t], want[t]);
      for (size_t len = 0; len <= 70; len++) { /* tails, in place */
        float part[72];
        memcpy(part, v + 1000 * len, sizeof part);
        part[len] = 7.0f;
        kf__k_wald(isas[i], step ? mean + 1000 * len : mean, step, part, z + 1000 * len, len, part);
        for (size_t t = 0; t < len; t++)
          ck_assert(float_bits(part[t]) == float_bits(want[1000 * len + t]) ||
                    (isnan(part[t]) && isnan(want[1000 * len + t])));
        ck_assert(part[len] == 7.0f);
      }
    }
  free(v), free(z), free(m), free(want), free(got);
}
END_TEST

/* triangular's kernel on all 2^23 values of its uniform and on edge floats,
 * for triangles of the oracle's kinds (degenerate, inverted, mode outside,
 * NaN, tiny and huge), against the scalar form bit for bit (NaNs as NaNs:
 * their bits are the instructions'). */
START_TEST(triangular_matches_scalar) {
  static const float tris[][3] = {{-1.0f, 0.5f, 2.0f},  {0.0f, 0.1f, 1.0f},    {3.0f, 7.0f, 7.5f},
                                  {0.0f, 0.0f, 1.0f},   {0.0f, 1.0f, 1.0f},    {2.0f, 2.0f, 2.0f},
                                  {1.0f, 0.5f, 0.0f},   {0.0f, 2.0f, 1.0f},    {NAN, 0.0f, 1.0f},
                                  {-1e30f, 0.0f, 1e30f}, {0.0f, 1e-30f, 2e-30f}, {-INFINITY, 0.0f, 1.0f}};
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  enum { N = (1 << 23) + 64 };
  float *u = malloc(N * 4), *want = malloc(N * 4), *got = malloc(N * 4);
  ck_assert(u && want && got);
  for (uint32_t m = 0; m < (1u << 23); m++) u[m] = bits_float(m | 0x3F800000u) - 1.0f;
  const float edge[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 2.0f, NAN, INFINITY, -INFINITY, 1e-40f,
                        0x1p-149f, 0.99999994f, 1e30f, -1e-45f};
  for (size_t e = 0; e < 64; e++) u[(1u << 23) + e] = edge[e % (sizeof edge / sizeof *edge)];
  for (size_t k = 0; k < sizeof tris / sizeof *tris; k++) {
    const float l = tris[k][0], m = tris[k][1], r = tris[k][2];
    const float w = kf__xla_ftz(r - l), ml = kf__xla_ftz(m - l);
    const kf__triangle tri = {l, r, w, ml, kf__xla_ftz(r - m), kf__xla_ftz(ml / w)};
    kf__k_triangular(KF__ISA_SCALAR, u, N, &tri, want);
    for (int i = 0; i < n_isa; i++) {
      kf__k_triangular(isas[i], u, N, &tri, got);
      for (size_t t = 0; t < N; t++)
        if (float_bits(got[t]) != float_bits(want[t]) && !(isnan(got[t]) && isnan(want[t])))
          ck_abort_msg("%s triangular(%a; %g, %g, %g) = %a, scalar %a", kf__isa_name(isas[i]), u[t], l,
                       m, r, got[t], want[t]);
      for (size_t len = 0; len <= 70; len++) { /* tails, in place */
        float part[72];
        memcpy(part, u + 1000 * len, sizeof part);
        part[len] = 7.0f;
        kf__k_triangular(isas[i], part, len, &tri, part);
        for (size_t t = 0; t < len; t++)
          ck_assert(float_bits(part[t]) == float_bits(want[1000 * len + t]) ||
                    (isnan(part[t]) && isnan(want[1000 * len + t])));
        ck_assert(part[len] == 7.0f);
      }
    }
  }
  free(u), free(want), free(got);
}
END_TEST

/* jax.lax.log and jax.lax.exp printed by jaxlib 0.10.2 on chosen inputs
 * (specials, denormals, exp's clamps and flushed results): keyfold's
 * kf__xla_logf and kf__xla_expf and their vector kernels give those bits, NaN
 * payloads included. scripts/oracle/xla-math-check.py finds them equal to
 * jaxlib's on 2^24 random floats too (--every: on every float32). */
static const uint32_t jaxlib_log_exp[][3] = {
#include "xla_math_jaxlib.inc"
};

START_TEST(log_and_exp_are_jaxlib_0_10_2_on_known_answers) {
  enum { N = sizeof jaxlib_log_exp / sizeof *jaxlib_log_exp };
  float in[N], got[N];
  kf__isa isas[KF__ISA_COUNT + 1];
  const int n_isa = vector_isas(isas + 1) + 1;
  isas[0] = KF__ISA_SCALAR;
  for (int f = 0; f < 2; f++) {
    size_t m = 0;
    for (size_t t = 0; t < N; t++)
      if (jaxlib_log_exp[t][0] == (uint32_t)f) in[m++] = bits_float(jaxlib_log_exp[t][1]);
    for (size_t t = 0, k = 0; t < N; t++) {
      if (jaxlib_log_exp[t][0] != (uint32_t)f) continue;
      const float x = bits_float(jaxlib_log_exp[t][1]);
      const uint32_t want = jaxlib_log_exp[t][2];
      ck_assert_msg(float_bits(f ? kf__xla_expf(x) : kf__xla_logf(x)) == want, "%s(%a [0x%08x]) = 0x%08x, jaxlib 0x%08x",
                    f ? "exp" : "log", x, float_bits(x), float_bits(f ? kf__xla_expf(x) : kf__xla_logf(x)), want);
      k++;
    }
    for (int i = 0; i < n_isa; i++) {
      (f ? kf__k_exp : kf__k_log)(isas[i], in, m, got);
      for (size_t t = 0, k = 0; t < N; t++) {
        if (jaxlib_log_exp[t][0] != (uint32_t)f) continue;
        ck_assert_msg(float_bits(got[k]) == jaxlib_log_exp[t][2], "%s %s(%a) = 0x%08x, jaxlib 0x%08x",
                      kf__isa_name(isas[i]), f ? "exp" : "log", in[k], float_bits(got[k]), jaxlib_log_exp[t][2]);
        k++;
      }
    }
  }
  printf("test_simd: log, exp: %d jaxlib 0.10.2 results\n", (int)N);
}
END_TEST

/* The vector log and exp against the scalar forms, bit for bit (NaNs
 * included): every float of [-100, 100] spaced 61 apart (exp's clamps and
 * range), every float near exp's clamps and where its results flush, every
 * 9973rd other float (KEYFOLD_EXHAUSTIVE=1: every float32). */
START_TEST(log_and_exp_match_scalar) {
  enum { CHUNK = 1 << 20 };
  float *in = malloc(CHUNK * 4), *want = malloc(CHUNK * 4), *got = malloc(CHUNK * 4);
  ck_assert(in && want && got);
  const int all = exhaustive();
  const struct { uint64_t first, last, step; } ranges[] = {
      {0x00000000u, 0xFFFFFFFFu, all ? 1 : 9973},
      {0x00000000u, 0x42C80000u, all ? 0 : 61}, /* [0, 100] */
      {0x80000000u, 0xC2C80000u, all ? 0 : 61}, /* [-100, 0] */
      {0x42AF0000u, 0x42B20000u, all ? 0 : 1},  /* [87.5, 89] */
      {0xC2AE0000u, 0xC2B00000u, all ? 0 : 1},  /* [-88, -87] */
  };
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  uint64_t compared = 0;
  for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++) {
    if (ranges[r].step == 0) continue;
    size_t n = 0;
    for (uint64_t b = ranges[r].first; b <= ranges[r].last; b += ranges[r].step) {
      in[n++] = bits_float((uint32_t)b);
      if (n < CHUNK && b + ranges[r].step <= ranges[r].last) continue;
      for (int f = 0; f < 2; f++) {
        void (*k)(kf__isa, const float *, size_t, float *) = f ? kf__k_exp : kf__k_log;
        k(KF__ISA_SCALAR, in, n, want);
        for (int i = 0; i < n_isa; i++) {
          k(isas[i], in, n, got);
          if (memcmp(got, want, n * 4) != 0)
            for (size_t t = 0; t < n; t++)
              if (float_bits(got[t]) != float_bits(want[t]))
                ck_abort_msg("%s %s(%a [0x%08x]) = 0x%08x, scalar 0x%08x", kf__isa_name(isas[i]),
                             f ? "exp" : "log", in[t], float_bits(in[t]), float_bits(got[t]),
                             float_bits(want[t]));
        }
      }
      compared += n;
      n = 0;
    }
  }
  for (int i = 0; i < n_isa; i++) { /* tails, in place */
    for (size_t l = 0; l <= 70; l++) {
      float part[72];
      for (size_t t = 0; t < 72; t++) part[t] = (float)t - 35.5f;
      part[l] = 7.0f;
      kf__k_exp(isas[i], part, l, part);
      for (size_t t = 0; t < l; t++)
        ck_assert_uint_eq(float_bits(part[t]), float_bits(kf__xla_expf((float)t - 35.5f)));
      ck_assert(part[l] == 7.0f);
    }
  }
  printf("test_simd: log, exp: %" PRIu64 " floats each, scalar and %d vector forms\n", compared, n_isa);
  free(in), free(want), free(got);
}
END_TEST

/* exponential, gumbel, laplace and logistic (special.c, their vector forms in
 * simd_kernels.c) read the 23 bits of a unit float from each 32-bit draw:
 * every one of the 2^23 values, the low 9 bits random, on every vector isa
 * against the scalar form, bit for bit; then every length up to 70 (tails,
 * nothing written past the end). */
START_TEST(samplers_on_one_uniform_match_scalar_on_every_input) {
  typedef void (*kernel)(kf__isa, const uint32_t *, size_t, float *);
  static const struct {
    const char *name;
    kernel k;
    float (*one)(uint32_t);
  } kernels[] = {{"exponential", kf__k_exponential, kf__exponential_f32},
                 {"gumbel", kf__k_gumbel, kf__gumbel_f32},
                 {"laplace", kf__k_laplace, kf__laplace_f32},
                 {"logistic", kf__k_logistic, kf__logistic_f32}};
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  enum { N = 1 << 23 };
  uint32_t *bits = malloc(N * sizeof *bits);
  float *want = malloc(N * sizeof *want), *got = malloc(N * sizeof *got);
  ck_assert(bits && want && got);
  uint64_t seed = 11;
  for (uint32_t m = 0; m < N; m++) bits[m] = m << 9 | (uint32_t)(splitmix(&seed) & 0x1FFu);
  for (size_t k = 0; k < sizeof kernels / sizeof *kernels; k++) {
    kernels[k].k(KF__ISA_SCALAR, bits, N, want);
    for (uint32_t m = 0; m < N; m += 4099) /* the scalar form is the per-value function */
      ck_assert_uint_eq(float_bits(want[m]), float_bits(kernels[k].one(bits[m])));
    for (int i = 0; i < n_isa; i++) {
      kernels[k].k(isas[i], bits, N, got);
      for (uint32_t m = 0; m < N; m++)
        if (float_bits(got[m]) != float_bits(want[m]))
          ck_abort_msg("%s %s(bits 0x%08x) = %a, scalar %a", kf__isa_name(isas[i]), kernels[k].name,
                       bits[m], got[m], want[m]);
      for (size_t l = 0; l <= 70; l++) {
        float part[72];
        part[l] = 7.0f;
        kernels[k].k(isas[i], bits + 1000 * l, l, part);
        ck_assert_mem_eq(part, want + 1000 * l, l * sizeof *part);
        ck_assert(part[l] == 7.0f);
      }
    }
  }
  printf("test_simd: exponential, gumbel, laplace, logistic: 2^23 inputs each, scalar and %d vector "
         "forms\n", n_isa);
  free(bits), free(want), free(got);
}
END_TEST

/* Compares erf_inv over the n inputs for every vector isa, with normal's
 * identity clip and (unless only_identity) two truncating clips. */
static size_t compare_erf_inv(const float *in, size_t n, float *want, float *got,
                              int only_identity) {
  kf__isa isas[KF__ISA_COUNT];
  const int n_isa = vector_isas(isas);
  const float sqrt2 = 0x1.6a09e6p+0f;
  const float clips[][2] = {{-INFINITY, INFINITY}, {-0.5f, 1.25f}, {0.0f, 0.0f}};
  size_t compared = 0;
  const size_t n_clips = only_identity ? 1 : sizeof clips / sizeof *clips;
  for (size_t c = 0; c < n_clips; c++) {
    kf__k_erf_inv(KF__ISA_SCALAR, in, n, sqrt2, clips[c][0], clips[c][1], want);
    for (int i = 0; i < n_isa; i++) {
      kf__k_erf_inv(isas[i], in, n, sqrt2, clips[c][0], clips[c][1], got);
      for (size_t t = 0; t < n; t++) {
        /* NaN in, NaN out; no sampler feeds erf_inv a NaN, so its sign and
         * payload are left to the instructions. */
        if (float_bits(got[t]) != float_bits(want[t]) && !(isnan(got[t]) && isnan(want[t]))) {
          ck_abort_msg("%s erf_inv(%a) = %a, scalar %a", kf__isa_name(isas[i]), in[t], got[t],
                       want[t]);
        }
      }
      compared += n;
    }
  }
  return compared;
}

START_TEST(erf_inv_matches_scalar_on_every_normal_input) {
  /* normal's uniform has 2^23 possible values: all of them. */
  enum { N = 1 << 23 };
  uint32_t *bits = malloc(N * 4);
  float *u = malloc(N * 4), *want = malloc(N * 4), *got = malloc(N * 4);
  ck_assert(bits && u && want && got);
  for (uint32_t m = 0; m < N; m++) bits[m] = m << 9;
  const float lo = nextafterf(-1.0f, 0.0f);
  kf__k_uniform(KF__ISA_SCALAR, bits, N, lo, 1.0f - lo, u);
  const size_t compared = compare_erf_inv(u, N, want, got, 0);
  printf("test_simd: erf_inv: %zu normal inputs compared\n", compared);
  /* Through the public sampler: erf_inv(u) for sampled u equals the kernel's. */
  float *pub = malloc(4096 * 4);
  ck_assert_int_eq(kf_random_normal(kf_key_from_data(0, 42), KF_THREEFRY_PARTITIONABLE, 4096, pub),
                   KF_OK);
  uint32_t b[4096];
  kf_random_bits(kf_key_from_data(0, 42), KF_THREEFRY_PARTITIONABLE, 32, 4096, b);
  for (size_t t = 0; t < 4096; t++) {
    const float x = u[b[t] >> 9];
    ck_assert_uint_eq(float_bits(pub[t]), float_bits(0x1.6a09e6p+0f * kf__erf_inv_f32(x)));
  }
  free(pub), free(bits), free(u), free(want), free(got);
}
END_TEST

START_TEST(erf_inv_matches_scalar_on_sampled_floats) {
  /* truncated_normal's uniform can be any float in [-1, 1]; every 127th of
   * them (all with KEYFOLD_EXHAUSTIVE=1), plus the specials. */
  const uint32_t step = exhaustive() ? 1 : 127;
  enum { CHUNK = 1 << 20 };
  float *in = malloc(CHUNK * 4), *want = malloc(CHUNK * 4), *got = malloc(CHUNK * 4);
  ck_assert(in && want && got);
  size_t n = 0, compared = 0;
  const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, 1e-45f,
                            -1e-45f, 1.5f, -2.0f, 0x1p-15f, 0x1p-14f, 0.2929f, -0.2929f};
  for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) in[n++] = specials[i];
  for (int sign = 0; sign < 2; sign++) {
    for (uint64_t b = 0; b <= 0x3F800000u; b += step) {
      in[n++] = bits_float((uint32_t)b | (sign ? 0x80000000u : 0u));
      if (n == CHUNK) {
        compared += compare_erf_inv(in, n, want, got, exhaustive());
        n = 0;
      }
    }
  }
  compared += compare_erf_inv(in, n, want, got, 0);
  printf("test_simd: erf_inv: %zu sampled floats compared\n", compared);
  free(in), free(want), free(got);
}
END_TEST

/* The fma chain over k in order, by hand. */
static void gemm_by_hand(size_t m, size_t n, size_t k, const float *a, const float *b, float *c) {
  for (size_t i = 0; i < m; i++) {
    for (size_t j = 0; j < n; j++) {
      float acc = 0.0f;
      for (size_t p = 0; p < k; p++) acc = fmaf(a[i * k + p], b[p * n + j], acc);
      c[i * n + j] = acc;
    }
  }
}

/* kf__gemm of one shape on every usable instruction set against the chain
 * by hand. */
static void gemm_check(size_t m, size_t n, size_t k, uint64_t *seed) {
  float *a = malloc((m * k + 1) * 4), *b = malloc((k * n + 1) * 4);
  float *want = malloc((m * n + 1) * 4), *got = malloc((m * n + 1) * 4);
  ck_assert(a && b && want && got);
  /* Values whose products and sums round: uniform in (-2, 2) with full
   * mantissas, and some exact zeros and negative zeros. */
  for (size_t i = 0; i < m * k; i++) {
    const uint64_t r = splitmix(seed);
    a[i] = (r % 17 == 0) ? -0.0f : (float)((double)(r >> 11) * 0x1p-51 - 2.0);
  }
  for (size_t i = 0; i < k * n; i++)
    b[i] = (float)((double)(splitmix(seed) >> 11) * 0x1p-51 - 2.0);
  gemm_by_hand(m, n, k, a, b, want);
  for (int isa = 0; isa < KF__ISA_COUNT; isa++) {
    if (!kf__isa_usable((kf__isa)isa)) continue;
    /* Exactly the workspace asked for: ASan catches a write past it. */
    float *work = malloc(kf__gemm_workspace((kf__isa)isa, m, n, k) * 4);
    ck_assert_ptr_nonnull(work);
    for (size_t i = 0; i < m * n; i++) got[i] = NAN;
    kf__gemm((kf__isa)isa, m, n, k, a, b, got, work);
    for (size_t i = 0; i < m * n; i++) {
      if (float_bits(got[i]) != float_bits(want[i]))
        ck_abort_msg("%s gemm %zux%zux%zu: c[%zu] = %a, by hand %a", kf__isa_name((kf__isa)isa),
                     m, n, k, i, got[i], want[i]);
    }
    free(work);
  }
  free(a), free(b), free(want), free(got);
}

START_TEST(gemm_is_the_fma_chain_on_every_isa_and_shape) {
  /* Shapes around the tiles (mr, nr), the k panel (256), the row block (96)
   * and the column panel (2048). */
  static const size_t shapes[][3] = {
      {1, 1, 1},    {1, 3, 2},     {2, 3, 2},    {7, 33, 5},     {8, 32, 256},   {9, 31, 257},
      {13, 47, 600}, {96, 64, 300}, {97, 65, 513}, {3, 2100, 40}, {256, 10, 1024}, {1, 1000, 784},
      {5, 0, 3},    {0, 4, 3},     {4, 5, 0}};
  uint64_t seed = 9;
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    gemm_check(shapes[s][0], shapes[s][1], shapes[s][2], &seed);
}
END_TEST

/* kf__gemm's path for one or two rows of a (kf__k_gemm_rows) is the same
 * fma chain: shapes with m <= 2 and whole vectors of columns, and around. */
START_TEST(gemm_of_one_or_two_rows_is_the_fma_chain) {
  static const size_t shapes[][3] = {{1, 256, 3136}, {2, 256, 300}, {1, 64, 64}, {2, 48, 100},
                                     {1, 16, 1},     {2, 8, 7},     {1, 400, 33}, {2, 24, 5},
                                     {1, 10, 256},   {3, 32, 40}};
  uint64_t seed = 11;
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    gemm_check(shapes[s][0], shapes[s][1], shapes[s][2], &seed);
}
END_TEST

/* A float for the row kernels: mostly ordinary, sometimes large, denormal,
 * zero of either sign or infinite (no NaN: a NaN's sign where NaNs of both
 * signs meet is the compiler's operand order). */
static float row_value(uint64_t *seed) {
  const uint64_t r = splitmix(seed);
  static const float special[] = {0x1p-140f, -0x1p-130f, 0.0f, -0.0f, 3e38f, -INFINITY, 80.0f};
  if (r % 23 == 0) return special[(r >> 8) % 7];
  return (float)((double)(r >> 11) * 0x1p-50 - 4.0) * ((r >> 5) % 3 == 0 ? 30.0f : 1.0f);
}

/* kf__softmax_cols gives each column kf__softmax_row's bits, on every
 * instruction set, era, and sum order (tree, straight, 16 lanes). */
START_TEST(softmax_cols_are_softmax_rows) {
  static const size_t ns[] = {1, 5, 16, 32, 33, 64, 80, 81, 100, 1100, 2100};
  static const size_t cols_list[] = {1, 15, 16, 17, 40};
  uint64_t seed = 13;
  for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
    for (size_t ci = 0; ci < sizeof cols_list / sizeof *cols_list; ci++)
      for (int era = 0; era < 2; era++)
        for (int big = 0; big < 2; big++) {
          const size_t n = ns[ni], cols = cols_list[ci], ld = cols + 3;
          const size_t total = big ? 4096 : 4095;
          float *x = malloc(n * ld * 4), *want = malloc(n * ld * 4), *got = malloc(n * ld * 4);
          float *row = malloc(n * 4);
          ck_assert(x && want && got && row);
          for (size_t i = 0; i < n * ld; i++) x[i] = row_value(&seed);
          memcpy(want, x, n * ld * 4);
          for (size_t c = 0; c < cols; c++) {
            for (size_t j = 0; j < n; j++) row[j] = x[j * ld + c];
            kf__softmax_row(n, row, (kf_flax_era)era, total);
            for (size_t j = 0; j < n; j++) want[j * ld + c] = row[j];
          }
          for (int isa = 0; isa < KF__ISA_COUNT; isa++) {
            if (!kf__isa_usable((kf__isa)isa)) continue;
            memcpy(got, x, n * ld * 4);
            kf__softmax_cols((kf__isa)isa, n, cols, got, ld, (kf_flax_era)era, total, row);
            for (size_t i = 0; i < n * ld; i++)
              ck_assert_msg(float_bits(got[i]) == float_bits(want[i]),
                            "%s softmax_cols n %zu cols %zu era %d total %zu: [%zu] %a, row %a",
                            kf__isa_name((kf__isa)isa), n, cols, era, total, i, got[i], want[i]);
          }
          free(x), free(want), free(got), free(row);
        }
}
END_TEST

/* kf__k_row_sums gives each row kf__xla_sum's bits (tree or 16 lanes). */
START_TEST(row_sums_are_xla_sums) {
  static const size_t ns[] = {1, 7, 32, 33, 64, 80, 81, 200, 512, 513};
  static const size_t rows_list[] = {1, 15, 16, 17, 64, 70};
  uint64_t seed = 17;
  for (size_t ni = 0; ni < sizeof ns / sizeof *ns; ni++)
    for (size_t ri = 0; ri < sizeof rows_list / sizeof *rows_list; ri++)
      for (int lanes16 = 0; lanes16 < 2; lanes16++) {
        const size_t n = ns[ni], rows = rows_list[ri];
        float *x = malloc(rows * n * 4), *s1 = malloc(rows * 4), *s2 = malloc(rows * 4);
        ck_assert(x && s1 && s2);
        for (size_t i = 0; i < rows * n; i++) x[i] = row_value(&seed);
        for (int isa = 1; isa < KF__ISA_COUNT; isa++) {
          if (!kf__isa_usable((kf__isa)isa)) continue;
          const size_t done = kf__k_row_sums((kf__isa)isa, rows, n, x, lanes16, s1, s2);
          ck_assert_uint_eq(done, (lanes16 && n > 80) || n > 512 ? 0 : rows / (isa == 2 ? 16 : 8) * (isa == 2 ? 16 : 8));
          for (size_t r = 0; r < done; r++) {
            /* total 4096 picks the 16 lanes for n <= 80 in era 0.11 */
            const kf_flax_era era = lanes16 ? KF_FLAX_0_11 : KF_FLAX_0_10;
            const kf__sum_src a = kf__sum_line(x + r * n, n, 1, KF__SUM_X, 0.0f, era, 4096);
            const kf__sum_src q = kf__sum_line(x + r * n, n, 1, KF__SUM_SQUARE, 0.0f, era, 4096);
            ck_assert_msg(float_bits(s1[r]) == float_bits(kf__xla_sum(&a)), "%s sum n %zu row %zu",
                          kf__isa_name((kf__isa)isa), n, r);
            ck_assert_msg(float_bits(s2[r]) == float_bits(kf__xla_sum(&q)),
                          "%s sum of squares n %zu row %zu", kf__isa_name((kf__isa)isa), n, r);
          }
        }
        free(x), free(s1), free(s2);
      }
}
END_TEST

static Suite *simd_suite(void) {
  Suite *s = suite_create("simd");
  TCase *tc = tcase_create("kernels");
  tcase_set_timeout(tc, exhaustive() ? 3600 : 600);
  tcase_add_test(tc, a_vector_isa_is_usable_on_x86_64);
  tcase_add_test(tc, log1p_is_jaxlib_0_10_2_on_known_answers);
  tcase_add_test(tc, log1p_matches_reference_scalar_and_vector);
  tcase_add_test(tc, bits32_match_scalar);
  tcase_add_test(tc, hash_pairs_match_scalar);
  tcase_add_test(tc, uniform_and_bernoulli_match_scalar);
  tcase_add_test(tc, samplers_on_one_uniform_match_scalar_on_every_input);
  tcase_add_test(tc, log_and_exp_are_jaxlib_0_10_2_on_known_answers);
  tcase_add_test(tc, log_and_exp_match_scalar);
  tcase_add_test(tc, triangular_matches_scalar);
  tcase_add_test(tc, wald_matches_scalar);
  tcase_add_test(tc, erf_inv_matches_scalar_on_every_normal_input);
  tcase_add_test(tc, erf_inv_matches_scalar_on_sampled_floats);
  tcase_add_test(tc, gemm_is_the_fma_chain_on_every_isa_and_shape);
  tcase_add_test(tc, gemm_of_one_or_two_rows_is_the_fma_chain);
  tcase_add_test(tc, softmax_cols_are_softmax_rows);
  tcase_add_test(tc, row_sums_are_xla_sums);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(simd_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
