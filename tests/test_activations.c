/* The activations (lib/src/activations.c, and their vector forms) against an
 * independent reference: the instructions of the kernels XLA:CPU compiles for
 * jnp.tanh, jax.nn.sigmoid, silu, gelu (approximate) and relu under jaxlib
 * 0.10.2 (x86-64 with AVX-512 and FMA, read in the object files that
 * XLA_FLAGS=--xla_dump_to writes), replayed one by one on an emulated x86
 * vector unit: operands and results go through MXCSR's denormals-are-zero
 * and flush-to-zero as XLA's kernels run, NaNs propagate by x86's rules (the
 * first NaN operand, quieted; the default NaN 0xffc00000 for an invalid
 * operation), maxps/minps return their second operand unless the first
 * compares greater/less. The library instead works out where these rules
 * can matter and handles only those places; this file applies them to every
 * instruction.
 *
 * The default run compares every instruction set of kf__k_activation and the
 * public forward pass with the reference on the special values, on dense
 * windows around every threshold of the kernels and on every 1021st float.
 * KEYFOLD_EXHAUSTIVE=1 compares all 2^32 floats instead
 * (scripts/test-exhaustive.sh; docs/testing.md). Known answers of jaxlib
 * itself are tests/vectors/jax-oracle-*.json's "activation" cases. */
#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/src/testing.h"
#include "keyfold/keyfold.h"

static int exhaustive(void) {
  const char *e = getenv("KEYFOLD_EXHAUSTIVE");
  return e && strcmp(e, "1") == 0;
}

static uint32_t B(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

static float F(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

/* ---- an x86 vector unit with MXCSR.DAZ = MXCSR.FTZ = 1, one lane ---------- */

static int is_nan(float a) { return (B(a) & 0x7fffffffu) > 0x7f800000u; }
static float quiet(float a) { return F(B(a) | 0x00400000u); }
#define DEFAULT_NAN 0xffc00000u

/* DAZ: a denormal operand is read as a zero of its sign. */
static float daz(float a) {
  return ((B(a) & 0x7f800000u) == 0) ? F(B(a) & 0x80000000u) : a;
}

/* FTZ with tininess after rounding: r is the IEEE result (gradual underflow),
 * scaled the same operation with its exact value multiplied by 2^64, rounded
 * once (in the normal range, so to 24 bits: the rounding "with an unbounded
 * exponent"). The result is tiny, and becomes a signed zero, when that is
 * below 2^-126 * 2^64. */
static float ftz(float r, float scaled) {
  if (r == 0 || is_nan(r) || fabsf(r) > FLT_MIN) return r;
  if (!isfinite(scaled)) { /* the scaling overflowed: no kernel here gets there */
    fprintf(stderr, "test_activations: reference: scaled result %a\n", (double)scaled);
    abort();
  }
  return fabsf(scaled) < 0x1p-62f ? F(B(r) & 0x80000000u) : r;
}

/* The first NaN among the operands in the instruction's order, quieted. */
static int nan2(float a, float b, float *out) {
  if (is_nan(a)) return *out = quiet(a), 1;
  if (is_nan(b)) return *out = quiet(b), 1;
  return 0;
}

static float invalid_or(float r) { return is_nan(r) ? F(DEFAULT_NAN) : r; }

static float x_mul(float a, float b) {
  float n;
  a = daz(a), b = daz(b);
  if (nan2(a, b, &n)) return n;
  const float r = invalid_or(a * b);
  return ftz(r, fabsf(r) <= FLT_MIN ? (a * 0x1p64f) * b : r);
}

static float x_add(float a, float b) {
  float n;
  a = daz(a), b = daz(b);
  if (nan2(a, b, &n)) return n;
  const float r = invalid_or(a + b);
  return ftz(r, fabsf(r) <= FLT_MIN ? a * 0x1p64f + b * 0x1p64f : r);
}

static float x_div(float a, float b) {
  float n;
  a = daz(a), b = daz(b);
  if (nan2(a, b, &n)) return n;
  const float r = invalid_or(a / b);
  return ftz(r, fabsf(r) <= FLT_MIN ? (a * 0x1p64f) / b : r);
}

/* vfmadd: a * b + c, one rounding (operands in that order). */
static float x_fma(float a, float b, float c) {
  float n;
  a = daz(a), b = daz(b), c = daz(c);
  if (nan2(a, b, &n) || nan2(c, c, &n)) return n;
  const float r = invalid_or(fmaf(a, b, c));
  return ftz(r, fabsf(r) <= FLT_MIN ? fmaf(a * 0x1p64f, b, c * 0x1p64f) : r);
}

/* maxps/minps src1, src2: src1 when it compares greater (less), else src2
 * (a NaN in either gives src2, untouched). */
static float x_max(float a, float b) {
  const float da = daz(a), db = daz(b);
  return (da > db) ? da : db;
}
static float x_min(float a, float b) {
  const float da = daz(a), db = daz(b);
  return (da < db) ? da : db;
}

static int x_lt(float a, float b) { return daz(a) < daz(b); }
static int x_le(float a, float b) { return daz(a) <= daz(b); }
static int x_unord(float a, float b) { return is_nan(a) || is_nan(b); }

/* vrndscaleps $9 (toward -inf, no exceptions); vcvttps2dq (NaN and out of
 * range give INT32_MIN). */
static float x_floor(float a) {
  a = daz(a);
  return is_nan(a) ? quiet(a) : floorf(a);
}
static int32_t x_cvtt(float a) {
  return (is_nan(a) || !(a > -2147483904.0f && a < 2147483648.0f)) ? INT32_MIN : (int32_t)a;
}

static float x_and(float a, uint32_t m) { return F(B(a) & m); }
static float x_or(float a, uint32_t m) { return F(B(a) | m); }
static float x_xor(float a, uint32_t m) { return F(B(a) ^ m); }

/* ---- the kernels, as dumped: one line per instruction ----------------------- */

/* The constants, as they stand in the IR (xla/codegen/intrinsic/tanh.cc and
 * polynomial_approximations.cc), by bit pattern. */
static const uint32_t TANH_NUM[7] = {0xa59f25c0, 0x2a61337e, 0xaebd37ff, 0x335c0041,
                                     0x3779434a, 0x3a270ded, 0x3ba059dc};
static const uint32_t TANH_DEN[4] = {0x35a0d3d8, 0x38f895d6, 0x3b14aa05, 0x3ba059dd};
static const uint32_t EXP_P[6] = {0x39506967, 0x3ab743ce, 0x3c088908,
                                  0x3d2aa9c1, 0x3e2aaaaa, 0x3f000000};

static float ref_tanh(float x) {
  const float a = x_and(x, 0x7fffffffu);
  const int small = x_lt(a, F(0x39d1b717)); /* 0.0004 */
  float c = x_max(F(0xc0fff644), x);          /* -7.99881172 */
  c = x_min(F(0x40fff644), c);
  const float x2 = x_mul(c, c);
  float p = F(TANH_NUM[0]);
  for (int i = 1; i < 7; i++) p = x_fma(x2, p, F(TANH_NUM[i]));
  const float num = x_mul(c, p);
  float q = F(TANH_DEN[0]);
  for (int i = 1; i < 4; i++) q = x_fma(x2, q, F(TANH_DEN[i]));
  float r = x_div(num, q);
  if (small) r = x;                    /* a masked move */
  if (x_le(20.0f, a)) r = x_or(x_and(x, 0x80000000u), 0x3f800000u);
  return r;
}

/* 1 / (1 + exp(-x)), the fusion of sigmoid and silu. */
static float ref_logistic(float x) {
  float t = x_xor(x, 0x80000000u);
  t = x_max(F(0xc2af999a), t); /* -87.8 */
  t = x_min(F(0x42b1999a), t); /* 88.8 */
  float n = x_floor(x_fma(t, F(0x3fb8aa3b), 0.5f));
  n = x_max(-127.0f, n);
  n = x_min(127.0f, n);
  float r = x_fma(n, F(0xbf318000), t); /* -0.693359375 */
  r = x_fma(n, F(0x395e8083), r);       /* +2.12194440e-4 */
  float z = x_fma(r, F(EXP_P[0]), F(EXP_P[1]));
  for (int i = 2; i < 6; i++) z = x_fma(z, r, F(EXP_P[i]));
  z = x_fma(z, x_mul(r, r), r);
  z = x_add(z, 1.0f);
  const float scale = F(((uint32_t)x_cvtt(n) << 23) + 0x3f800000u);
  return x_div(1.0f, x_fma(z, scale, 1.0f));
}

static float ref_sigmoid(float x) { return ref_logistic(x); }
static float ref_silu(float x) { return x_mul(x, ref_logistic(x)); }

static float ref_gelu(float x) {
  const float x3 = x_mul(x, x_mul(x, x));
  const float inner = x_fma(x3, F(0x3d372713), x); /* 0.044715 */
  const float t = ref_tanh(x_mul(inner, F(0x3f4c422a))); /* sqrt(2/pi) */
  return x_mul(x, x_mul(x_add(t, 1.0f), 0.5f));
}

static float ref_relu(float x) {
  const float r = x_max(x, 0.0f);
  return x_unord(x, x) ? x : r;
}

static const struct {
  kf__act act;
  kf_layer_type layer;
  const char *name;
  float (*ref)(float);
} ACTS[] = {
  {KF__ACT_RELU, KF_LAYER_RELU, "relu", ref_relu},
  {KF__ACT_GELU, KF_LAYER_GELU, "gelu", ref_gelu},
  {KF__ACT_TANH, KF_LAYER_TANH, "tanh", ref_tanh},
  {KF__ACT_SIGMOID, KF_LAYER_SIGMOID, "sigmoid", ref_sigmoid},
  {KF__ACT_SILU, KF_LAYER_SILU, "silu", ref_silu},
};
#define N_ACTS (sizeof ACTS / sizeof ACTS[0])

/* ---- the reference's own known answers ---------------------------------- */

/* jaxlib 0.10.2's outputs (jax.jit of the function on a float32 array), to
 * pin the reference itself: NaN payloads, signed zeros, denormals, the
 * clamps, the flush of silu and gelu at +-(2 FLT_MIN - 2^-149). */
static const struct {
  const char *name;
  uint32_t x, y;
} KNOWN[] = {
  {"tanh", 0x7f800001, 0x7fc00001}, {"tanh", 0xffa00001, 0xffe00001},
  {"tanh", 0x00000001, 0x00000001}, {"tanh", 0x807fffff, 0x807fffff},
  {"tanh", 0x80000000, 0x80000000}, {"tanh", 0x7f800000, 0x3f800000},
  {"tanh", 0xff800000, 0xbf800000}, {"tanh", 0x3f800000, 0x3f42f7d6},
  {"tanh", 0x40fff640, 0x3f7ffffd}, {"tanh", 0x40fff643, 0x3f7ffffc},
  {"tanh", 0x40fff644, 0x3f800000}, {"tanh", 0x41a00000, 0x3f800000},
  {"sigmoid", 0x7fc00000, 0xffc00000}, {"sigmoid", 0xffd12345, 0x7fd12345},
  {"sigmoid", 0x7f800001, 0xffc00001}, {"sigmoid", 0x80000001, 0x3f000000},
  {"sigmoid", 0x7f800000, 0x3f800000}, {"sigmoid", 0xff800000, 0x00000000},
  {"sigmoid", 0x3f800000, 0x3f3b26a8}, {"sigmoid", 0xc2b00000, 0x00000000},
  {"silu", 0x7fc12345, 0x7fc12345}, {"silu", 0x00000001, 0x00000000},
  {"silu", 0x807fffff, 0x80000000}, {"silu", 0x00ffffff, 0x00000000},
  {"silu", 0x80ffffff, 0x80000000}, {"silu", 0x7f800000, 0x7f800000},
  {"silu", 0xff800000, 0xffc00000}, {"silu", 0x3f800000, 0x3f3b26a8},
  {"silu", 0xc2b00000, 0x80000000},
  {"gelu", 0xffd12345, 0xffd12345}, {"gelu", 0x00800000, 0x00000000},
  {"gelu", 0x00ffffff, 0x00000000}, {"gelu", 0x80ffffff, 0x80000000},
  {"gelu", 0x7f800000, 0x7f800000}, {"gelu", 0xff800000, 0xffc00000},
  {"gelu", 0x3f800000, 0x3f57585c}, {"gelu", 0xc2b00000, 0x80000000},
  {"relu", 0x7f800001, 0x7f800001}, {"relu", 0xffd12345, 0xffd12345},
  {"relu", 0x00000001, 0x00000000}, {"relu", 0x007fffff, 0x00000000},
  {"relu", 0x00800000, 0x00800000}, {"relu", 0x80000000, 0x00000000},
  {"relu", 0xff800000, 0x00000000}, {"relu", 0x3f800000, 0x3f800000},
};

START_TEST(reference_gives_jaxlib_known_answers) {
  for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++) {
    size_t a = 0;
    while (strcmp(ACTS[a].name, KNOWN[k].name) != 0) a++;
    const uint32_t got = B(ACTS[a].ref(F(KNOWN[k].x)));
    ck_assert_msg(got == KNOWN[k].y, "reference %s(%08" PRIx32 ") = %08" PRIx32
                  ", jaxlib %08" PRIx32, KNOWN[k].name, KNOWN[k].x, got, KNOWN[k].y);
  }
}
END_TEST

/* ---- comparing ------------------------------------------------------------ */

enum { BLOCK = 4096 };

typedef struct {
  uint64_t compared, mismatched;
} tally;

/* Every instruction set's kf__k_activation on n inputs against the
 * reference; prints the first few mismatches. */
static void compare_block(size_t a, const float *x, size_t n, tally *t) {
  float want[BLOCK], got[BLOCK];
  for (size_t i = 0; i < n; i++) want[i] = ACTS[a].ref(x[i]);
  for (int isa = 0; isa < KF__ISA_COUNT; isa++) {
    if (!kf__isa_usable((kf__isa)isa)) continue;
    kf__k_activation((kf__isa)isa, ACTS[a].act, x, n, got);
    for (size_t i = 0; i < n; i++) {
      if (B(got[i]) != B(want[i]) && t->mismatched++ < 10)
        fprintf(stderr, "%s %s(%08" PRIx32 ") = %08" PRIx32 ", reference %08" PRIx32 "\n",
                kf__isa_name((kf__isa)isa), ACTS[a].name, B(x[i]), B(got[i]), B(want[i]));
    }
    t->compared += n;
  }
}

/* Bit patterns first .. last (inclusive) with a stride, both signs. */
static void compare_range(size_t a, uint32_t first, uint32_t last, uint32_t stride, tally *t) {
  float x[BLOCK];
  size_t n = 0;
  for (uint64_t u = first; u <= last; u += stride) {
    for (int s = 0; s < 2; s++) {
      x[n++] = F((uint32_t)u | (s ? 0x80000000u : 0));
      if (n == BLOCK) compare_block(a, x, n, t), n = 0;
    }
  }
  if (n) compare_block(a, x, n, t);
}

/* n floats on each side of x (both signs). */
static void compare_around(size_t a, float x, uint32_t n, tally *t) {
  const uint32_t m = B(fabsf(x));
  compare_range(a, m > n ? m - n : 0, m + n, 1, t);
}

START_TEST(every_isa_matches_the_reference) {
  const size_t a = (size_t)_i;
  tally t = {0, 0};
  /* Specials and the thresholds of the kernels. */
  static const float around[] = {
    0.0f, FLT_MIN, 2 * FLT_MIN, 1.0f, 0.0004f, 7.99881172f, 20.0f, /* tanh */
    87.8f, 88.8f, 87.33654f, 88.72283f, 0x1p-24f, 0x1p-25f,          /* exp and its flush */
    0.0004f / 0.7978846f, 10.0f, 2.2f, 7e12f, 2.0f, 0.5f,              /* gelu's tanh input, x^3 */
    FLT_MAX, INFINITY,
  };
  for (size_t i = 0; i < sizeof around / sizeof around[0]; i++)
    compare_around(a, around[i], 4096, &t);
  compare_range(a, 0x7f800000u, 0x7fffffffu, 997, &t);          /* NaN payloads */
  compare_range(a, 0x42af0000u, 0x42b20000u, 1, &t);            /* |x| in [87.5, 89]: every float */
  compare_range(a, 0, 0xffffffffu >> 1, 1021, &t);              /* every 1021st float */
  printf("test_activations: %s: %" PRIu64 " comparisons\n", ACTS[a].name, t.compared);
  ck_assert_msg(t.mismatched == 0, "%s: %" PRIu64 " of %" PRIu64 " differ", ACTS[a].name,
                t.mismatched, t.compared);
}
END_TEST

/* All 2^32 floats, every instruction set (KEYFOLD_EXHAUSTIVE=1), in one
 * thread per CPU (KEYFOLD_THREADS overrides), each a share of the patterns. */
typedef struct {
  size_t act;
  uint32_t first, last;
  tally t;
} share;

static void *run_share(void *p) {
  share *s = p;
  compare_range(s->act, s->first, s->last, 1, &s->t);
  return NULL;
}

START_TEST(every_float_matches_the_reference) {
  const size_t a = (size_t)_i;
  const char *env = getenv("KEYFOLD_THREADS");
  long n = env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > 64) n = 64;
  share shares[64];
  pthread_t th[64];
  const uint64_t per = (0x80000000u + (uint64_t)n - 1) / (uint64_t)n;
  for (long i = 0; i < n; i++) {
    const uint64_t lo = (uint64_t)i * per, hi = lo + per > 0x80000000u ? 0x80000000u : lo + per;
    shares[i] = (share){a, (uint32_t)lo, (uint32_t)(hi - 1), {0, 0}};
    ck_assert_int_eq(pthread_create(&th[i], NULL, run_share, &shares[i]), 0);
  }
  tally t = {0, 0};
  for (long i = 0; i < n; i++) {
    ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    t.compared += shares[i].t.compared;
    t.mismatched += shares[i].t.mismatched;
  }
  printf("test_activations: %s: all 2^32 floats, %" PRIu64 " comparisons in %ld threads\n",
         ACTS[a].name, t.compared, n);
  ck_assert_msg(t.mismatched == 0, "%s: %" PRIu64 " of %" PRIu64 " differ", ACTS[a].name,
                t.mismatched, t.compared);
}
END_TEST

/* The public path: a model of one activation layer, in place and not, on an
 * odd length (a vector tail), matches the reference. */
START_TEST(forward_pass_uses_the_kernels) {
  kf_rngs *r;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_PARTITIONABLE, &r), KF_OK);
  enum { N = 1003 };
  static float x[N], y[N];
  uint64_t s = 12345;
  for (size_t i = 0; i < N; i++) {
    s = s * 6364136223846793005u + 1442695040888963407u;
    /* every 7th a random bit pattern, the others in [-8, 8) */
    x[i] = (i % 7 == 0) ? F((uint32_t)(s >> 32))
                        : (float)((int64_t)(s >> 40) - (1 << 23)) / 0x1p20f;
  }
  for (size_t a = 0; a < N_ACTS; a++) {
    kf_layer_spec spec;
    ck_assert_int_eq(kf_layer_spec_make(ACTS[a].layer, &spec), KF_OK);
    kf_model *m;
    ck_assert_int_eq(kf_model_new(&spec, 1, r, &m, NULL), KF_OK);
    kf_tensor xt = {KF_FLOAT32, {1, {N}}, x}, yt = {KF_FLOAT32, {0, {0}}, y};
    ck_assert_int_eq(kf_model_forward(m, r, &xt, KF_DET_TRUE, &yt, NULL), KF_OK);
    for (size_t i = 0; i < N; i++)
      ck_assert_msg(B(y[i]) == B(ACTS[a].ref(x[i])), "%s(%08" PRIx32 ") = %08" PRIx32
                    ", reference %08" PRIx32, ACTS[a].name, B(x[i]), B(y[i]), B(ACTS[a].ref(x[i])));
    kf_model_free(m);
  }
  kf_rngs_free(r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("activations");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, exhaustive() ? 36000 : 300);
  tcase_add_test(tc, reference_gives_jaxlib_known_answers);
  tcase_add_loop_test(tc, exhaustive() ? every_float_matches_the_reference
                                      : every_isa_matches_the_reference, 0, (int)N_ACTS);
  tcase_add_test(tc, forward_pass_uses_the_kernels);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
