/* The numeric kernels of Flax NNX's normalization layers, attention core and
 * jax.nn's elementwise functions (lib/src/norm.c, attention.c, functions.c)
 * against the known answers of tests/vectors/norm-attn-kernels.json
 * (scripts/gen-norm-attn-vectors.py: real Flax 0.10.7 / jax 0.6.2 and Flax
 * 0.12.8 / jax 0.10.2, run eagerly, and NumPy float64 references of the same
 * formulas). Neither JAX nor Flax is needed here.
 *
 * Each case is checked against the bounds of docs/layer-numerics.md: the
 * largest distance in float32 ulps from each era's Flax output, and from the
 * float64 reference either the largest absolute error (norms, attention:
 * outputs of order one) or the largest error in float32 ulps of the
 * reference (softmax and the elementwise functions). NaN matches NaN, an
 * infinity only itself. The attention core must give the same bits under
 * every instruction set this CPU runs. KEYFOLD_NUMERIC_REPORT=1 prints each
 * case's measured figures. */
#include <check.h>
#include <float.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/src/attention.h"
#include "../lib/src/functions.h"
#include "../lib/src/norm.h"
#include "../lib/src/testing.h"

static json_t *g_root;
static size_t g_ncases;

static int report(void) {
  const char *e = getenv("KEYFOLD_NUMERIC_REPORT");
  return e && strcmp(e, "1") == 0;
}

/* ---- bounds (docs/layer-numerics.md) ------------------------------------- */

typedef enum {
  F64_ABS,   /* |y - r|: outputs of order one (norms, attention) */
  F64_MIXED, /* |y - r| / max(1, |r|): log_softmax (near 0 by cancellation, or huge) */
  F64_ULPS   /* |y - r| in float32 ulps of r (err_ulps64) */
} f64_metric;

/* Bounds by case id (exact) or else by kind. */
typedef struct {
  const char *name;
  uint64_t ulps[2]; /* vs Flax: flax-0.10, flax-0.12 (UINT64_MAX: compared by flax_abs) */
  double flax_abs[2]; /* the bound of |y - Flax's| where ulps says so */
  double jit_abs[2];  /* the bound of |y - Flax's under jit| (the "_jit" outputs) */
  f64_metric metric;
  double f64; /* the bound of that error */
} bound;

static const bound BOUNDS[] = {
    /* name, ulps vs Flax {0.10, 0.12}, abs vs Flax where ulps is UINT64_MAX,
     * abs vs Flax under jit, float64 metric and bound */
    /* Rows whose mean is 10 with a spread of 1e-3: Flax's fast variance
     * E[x^2] - E[x]^2 loses every digit in float32 (so does Flax's). */
    {"layer_norm/scale_bias", {0, 0}, {0, 0}, {1e-6, 1e-6}, F64_ABS, 0.5},
    {"layer_norm/plain", {0, 0}, {0, 0}, {1e-6, 1e-6}, F64_ABS, 0.35},
    /* mean -2, spread 0.5: the same cancellation, milder */
    {"batch_norm/train_rows70", {0, 0}, {0, 0}, {1.5e-6, 1.5e-6}, F64_ABS, 9e-6},
    /* 4096 values and more per reduction: jaxlib 0.10.2's vectorized order,
     * reproduced for rows of up to 80 values (kf__xla_sum), not for columns;
     * GroupNorm over two 16-long spatial axes: neither jaxlib's order
     * (docs/layer-numerics.md). Bounded absolutely there. */
    {"layer_norm/large96x64", {0, 0}, {0, 0}, {1e-6, 1e-6}, F64_ABS, 6e-7},
    {"group_norm/large16x16", {UINT64_MAX, UINT64_MAX}, {2.4e-6, 2.9e-6}, {2e-6, 2.9e-6}, F64_ABS,
     2.3e-6},
    {"batch_norm/train_large", {0, UINT64_MAX}, {0, 2.4e-7}, {0, 2.4e-7}, F64_ABS, 7e-7},
    {"softmax/large600x7", {0, 0}, {0, 0}, {0, 2.4e-7}, F64_ULPS, 9.6},
    /* 14 of 4200 values: jitted log_softmax's exp inside its fused sum */
    {"log_softmax/large600x7", {0, 2}, {0, 0}, {0, 1e-6}, F64_MIXED, 2.1e-7},
    {"layer_norm", {0, 0}, {0, 0}, {1e-6, 1e-6}, F64_ABS, 2e-6},
    {"rms_norm", {0, 0}, {0, 0}, {0, 5e-7}, F64_ABS, 5e-7},
    {"group_norm", {0, 0}, {0, 0}, {1.5e-6, 1.5e-6}, F64_ABS, 1e-6},
    {"batch_norm", {0, 0}, {0, 0}, {1.5e-6, 1.5e-6}, F64_ABS, 8e-7},
    /* jaxlib 0.10.2's dot sums in another order: bounded absolutely. */
    {"attention", {0, UINT64_MAX}, {0, 4e-6}, {6e-7, 4e-6}, F64_ABS, 8.5e-6},
    {"softmax", {0, 0}, {0, 0}, {0, 0}, F64_ULPS, 9.6},
    {"log_softmax", {0, 0}, {0, 0}, {0, 0}, F64_MIXED, 2.1e-7},
    {"elu", {0, 0}, {0, 0}, {0, 0}, F64_ULPS, 2.8},
    {"leaky_relu", {0, 0}, {0, 0}, {0, 0}, F64_ULPS, 0.85},
    {"softplus", {0, 0}, {0, 0}, {0, 0}, F64_ULPS, 2.3},
    {"gelu_exact", {0, 0}, {0, 0}, {0, 0}, F64_ULPS, 170},
};

static const char *const ERAS[2] = {"flax-0.10", "flax-0.12"};
static const kf_rsqrt_mode RSQRT[2] = {KF_RSQRT_SQRT_DIV, KF_RSQRT_INTEL_NR2};
static const kf_flax_era ERA[2] = {KF_FLAX_0_10, KF_FLAX_0_11};

static const bound *bound_of(const char *id, const char *kind) {
  for (size_t i = 0; i < sizeof BOUNDS / sizeof BOUNDS[0]; i++)
    if (!strcmp(BOUNDS[i].name, id)) return &BOUNDS[i];
  for (size_t i = 0; i < sizeof BOUNDS / sizeof BOUNDS[0]; i++)
    if (!strcmp(BOUNDS[i].name, kind)) return &BOUNDS[i];
  ck_abort_msg("no bound for %s", id);
  return NULL;
}

/* ---- decoding ------------------------------------------------------------- */

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* The bytes of a hex string (NULL if absent); *n receives their count. */
static unsigned char *unhex(const json_t *v, size_t *n) {
  const char *h = json_string_value(v);
  if (!h) return NULL;
  const size_t len = strlen(h);
  ck_assert_uint_eq(len % 2, 0);
  unsigned char *b = malloc(len / 2 + 16);
  ck_assert_ptr_nonnull(b);
  for (size_t i = 0; i < len / 2; i++) {
    const int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
    ck_assert(hi >= 0 && lo >= 0);
    b[i] = (unsigned char)(hi << 4 | lo);
  }
  *n = len / 2;
  return b;
}

/* A float32 array of `count` values (little-endian in the file; this test
 * runs on little-endian hosts, as keyfold does). */
static float *f32s(const json_t *obj, const char *name, size_t count) {
  size_t n = 0;
  unsigned char *b = unhex(json_object_get(obj, name), &n);
  if (!b) return NULL;
  ck_assert_msg(n == count * 4, "%s: %zu bytes for %zu floats", name, n, count);
  return (float *)b;
}

static double *f64s(const json_t *obj, const char *name, size_t count) {
  size_t n = 0;
  unsigned char *b = unhex(json_object_get(obj, name), &n);
  ck_assert_ptr_nonnull(b);
  ck_assert_uint_eq(n, count * 8);
  return (double *)b;
}

static size_t numel(const json_t *shape) {
  size_t n = 1;
  for (size_t i = 0; i < json_array_size(shape); i++)
    n *= (size_t)json_integer_value(json_array_get(shape, i));
  return n;
}

static size_t dim(const json_t *c, size_t i) {
  return (size_t)json_integer_value(json_array_get(json_object_get(c, "shape"), i));
}

/* ---- distances ------------------------------------------------------------- */

static uint32_t bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* Distance in float32 ulps: NaN to NaN 0, NaN to a number UINT64_MAX; -0 and
 * +0 one apart (the sign of a zero is part of the answer). */
static uint64_t ulp_dist(float a, float b) {
  if (isnan(a) || isnan(b)) return (isnan(a) && isnan(b)) ? 0 : UINT64_MAX;
  const int64_t ia = (bits(a) & 0x80000000u) ? -(int64_t)(bits(a) & 0x7fffffffu) - 1
                                              : (int64_t)bits(a);
  const int64_t ib = (bits(b) & 0x80000000u) ? -(int64_t)(bits(b) & 0x7fffffffu) - 1
                                              : (int64_t)bits(b);
  return (uint64_t)(ia > ib ? ia - ib : ib - ia);
}

/* |y - r| in units of the float32 ulp at r, for finite r; below 2^-100 in
 * magnitude in units of the ulp of 2^-100 (XLA's exp flushes what would be
 * denormal, so that values near FLT_MIN lose their relative accuracy: an
 * absolute floor). A NaN r must be matched by NaN, an r beyond float32's
 * range by the infinity of its sign. */
static double err_ulps64(float y, double r) {
  if (isnan(r)) return isnan(y) ? 0 : INFINITY;
  if (fabs(r) > FLT_MAX) return ((double)y == copysign(INFINITY, r)) ? 0 : INFINITY;
  if (isnan(y) || isinf(y)) return INFINITY;
  const double a = fabs(r) < 0x1p-100 ? 0x1p-100 : fabs(r);
  const double ulp = ldexp(1.0, ilogb(a) - 23);
  return fabs((double)y - r) / ulp;
}

static double err_abs64(float y, double r, int mixed) {
  if (isnan(r)) return isnan(y) ? 0 : INFINITY;
  if (fabs(r) > FLT_MAX) return ((double)y == copysign(INFINITY, r)) ? 0 : INFINITY;
  if (!isfinite(y)) return INFINITY;
  return fabs((double)y - r) / (mixed && fabs(r) > 1 ? fabs(r) : 1.0);
}

/* ---- running one case ------------------------------------------------------- */

typedef struct {
  size_t n;      /* output values */
  float *out[3]; /* y, then ra_mean, ra_var for batch_norm */
  size_t nout[3];
  const char *names[3];
  int count;
} result;

static void result_free(result *r) {
  for (int i = 0; i < r->count; i++) free(r->out[i]);
}

/* keyfold's outputs for case c under rsqrt mode rm and instruction set isa;
 * keep is the dropout keep mask to use (the era's). */
static result run(const json_t *c, int era, kf__isa isa, const uint8_t *keep) {
  const kf_rsqrt_mode rm = RSQRT[era];
  const char *kind = json_string_value(json_object_get(c, "kind"));
  const json_t *in = json_object_get(c, "inputs");
  const json_t *shape = json_object_get(c, "shape");
  const size_t n = numel(shape), rank = json_array_size(shape), last = dim(c, rank - 1);
  const double eps_d = json_number_value(json_object_get(c, "eps"));
  const float eps = (float)eps_d;
  result r = {.n = n, .count = 1, .names = {"y", NULL, NULL}};
  r.out[0] = malloc(n * sizeof(float));
  r.nout[0] = n;
  ck_assert_ptr_nonnull(r.out[0]);
  float *x = f32s(in, "x", n);
  float *scale = f32s(in, "scale", last), *bias = f32s(in, "bias", last);
  if (!strcmp(kind, "layer_norm") || !strcmp(kind, "rms_norm")) {
    kf__layer_norm(n / last, last, x, scale, bias, eps, !strcmp(kind, "rms_norm"), rm, ERA[era],
                   r.out[0]);
  } else if (!strcmp(kind, "group_norm")) {
    size_t spatial[3];
    for (size_t i = 1; i + 1 < rank; i++) spatial[i - 1] = dim(c, i);
    const size_t groups = (size_t)json_integer_value(json_object_get(c, "groups"));
    kf__group_norm(dim(c, 0), rank - 2, spatial, last, groups, x, scale, bias, eps, rm, ERA[era],
                   r.out[0]);
  } else if (!strcmp(kind, "batch_norm")) {
    float *ram = f32s(in, "ra_mean", last), *rav = f32s(in, "ra_var", last);
    float *bm = malloc(last * sizeof(float)), *bv = malloc(last * sizeof(float));
    ck_assert(ram && rav && bm && bv);
    const int train = json_is_true(json_object_get(c, "train"));
    if (train) {
      size_t lead[4];
      for (size_t i = 0; i + 1 < rank; i++) lead[i] = dim(c, i);
      kf__batch_norm_stats(rank - 1, lead, last, x, bm, bv);
      kf__batch_norm_apply(n / last, last, x, bm, bv, scale, bias, eps, rm, r.out[0]);
      kf__batch_norm_update(last, json_number_value(json_object_get(c, "momentum")), bm, bv, ram,
                            rav);
    } else {
      kf__batch_norm_apply(n / last, last, x, ram, rav, scale, bias, eps, rm, r.out[0]);
    }
    free(bm);
    free(bv);
    r.out[1] = ram, r.out[2] = rav, r.nout[1] = r.nout[2] = last;
    r.names[1] = "ra_mean", r.names[2] = "ra_var", r.count = 3;
  } else if (!strcmp(kind, "attention")) {
    const size_t B = dim(c, 0), L = dim(c, 1), H = dim(c, 2), D = dim(c, 3);
    float *q = f32s(in, "q", n), *k = f32s(in, "k", n), *v = f32s(in, "v", n);
    size_t mn = 0;
    unsigned char *mask = unhex(json_object_get(in, "mask"), &mn);
    const kf__attn_form form =
        strcmp(json_string_value(json_object_get(c, "form")), "flax") ? KF__ATTN_JAX : KF__ATTN_FLAX;
    const double rate = json_number_value(json_object_get(c, "dropout_rate"));
    float *work = malloc(kf__attention_workspace(isa, L, D) * sizeof(float));
    ck_assert(q && k && v && work);
    kf__attention(isa, form, B, L, H, D, q, k, v, json_is_true(json_object_get(c, "causal")), mask,
                  keep, (float)(1.0 - rate), ERA[era], r.out[0], work);
    free(q), free(k), free(v), free(mask), free(work);
  } else if (!strcmp(kind, "softmax") || !strcmp(kind, "log_softmax")) {
    int axis = (int)json_integer_value(json_object_get(c, "axis"));
    if (axis < 0) axis += (int)rank;
    size_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= dim(c, (size_t)i);
    for (size_t i = (size_t)axis + 1; i < rank; i++) inner *= dim(c, i);
    kf__softmax(outer, dim(c, (size_t)axis), inner, x, r.out[0], !strcmp(kind, "log_softmax"),
                ERA[era]);
  } else if (!strcmp(kind, "elu")) {
    kf__elu(n, x, (float)json_number_value(json_object_get(c, "alpha")), r.out[0]);
  } else if (!strcmp(kind, "leaky_relu")) {
    kf__leaky_relu(n, x, (float)json_number_value(json_object_get(c, "slope")), r.out[0]);
  } else if (!strcmp(kind, "softplus")) {
    kf__softplus(n, x, ERA[era], r.out[0]);
  } else if (!strcmp(kind, "gelu_exact")) {
    kf__gelu_exact(n, x, r.out[0]);
  } else {
    ck_abort_msg("unknown kind %s", kind);
  }
  free(x), free(scale), free(bias);
  return r;
}

/* The era's keep mask of an attention case (NULL without dropout). */
static uint8_t *era_keep(const json_t *c, int era) {
  const json_t *fl = json_object_get(json_object_get(c, "flax"), ERAS[era]);
  size_t n = 0;
  uint8_t *k = unhex(json_object_get(fl, "keep"), &n);
  if (k) ck_assert_uint_eq(n, dim(c, 1) * dim(c, 1));
  return k;
}

/* ---- the tests --------------------------------------------------------------- */

/* Every case within its kind's bounds, against both eras and float64. */
START_TEST(case_within_bounds) {
  const json_t *c = json_array_get(json_object_get(g_root, "cases"), (size_t)_i);
  const char *id = json_string_value(json_object_get(c, "id"));
  const bound *bd = bound_of(id, json_string_value(json_object_get(c, "kind")));
  char msg[1024] = "";
  int failures = 0;
  for (int era = 0; era < 2; era++) {
    uint8_t *keep = era_keep(c, era);
    result r = run(c, era, KF__ISA_SCALAR, keep);
    const json_t *fl = json_object_get(json_object_get(c, "flax"), ERAS[era]);
    const json_t *ref = json_object_get(c, "f64");
    for (int o = 0; o < r.count; o++) {
      float *want = f32s(fl, r.names[o], r.nout[o]);
      double *r64 = f64s(ref, r.names[o], r.nout[o]);
      ck_assert_ptr_nonnull(want);
      uint64_t worst = 0, same = 0;
      double e64 = 0, dabs = 0;
      size_t at = 0, at64 = 0;
      for (size_t i = 0; i < r.nout[o]; i++) {
        const uint64_t d = ulp_dist(r.out[o][i], want[i]);
        if (d > worst) worst = d, at = i;
        same += d == 0;
        const double da = fabs((double)r.out[o][i] - (double)want[i]);
        if (d && da > dabs) dabs = isnan(da) ? INFINITY : da;
        const double e = bd->metric == F64_ULPS ? err_ulps64(r.out[o][i], r64[i])
                                                : err_abs64(r.out[o][i], r64[i], bd->metric == F64_MIXED);
        if (e > e64) e64 = e, at64 = i;
      }
      const int by_abs = bd->ulps[era] == UINT64_MAX;
      const int flax_bad = by_abs ? dabs > bd->flax_abs[era] : worst > bd->ulps[era];
      if (report() || flax_bad || e64 > bd->f64)
        printf("%-34s %-7s %s: max %" PRIu64 " ulps, %.3g abs vs Flax (%" PRIu64 "/%zu same; worst at %zu: "
               "%a vs %a), vs float64 %s %.3g (at %zu: %a vs %a)\n",
               id, r.names[o], ERAS[era], worst, dabs, same, r.nout[o], at, (double)r.out[o][at],
               (double)want[at], bd->metric == F64_ULPS ? "ulps" : bd->metric == F64_ABS ? "abs" : "mixed", e64, at64, (double)r.out[o][at64],
               r64[at64]);
      if (flax_bad && by_abs)
        failures += snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
                             " [%s %s: %.3g from Flax, bound %.3g]", r.names[o], ERAS[era], dabs,
                             bd->flax_abs[era]) > 0;
      else if (flax_bad)
        failures += snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
                             " [%s %s: %" PRIu64 " ulps from Flax, bound %" PRIu64 "]", r.names[o],
                             ERAS[era], worst, bd->ulps[era]) > 0;
      if (e64 > bd->f64)
        failures += snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
                             " [%s %s: %.3g from float64, bound %.3g]", r.names[o], ERAS[era], e64,
                             bd->f64) > 0;
      /* Flax under jit: reported, and bounded absolutely. */
      char jname[32];
      snprintf(jname, sizeof jname, "%s_jit", r.names[o]);
      float *jit = f32s(fl, jname, r.nout[o]);
      if (jit) {
        double jabs = 0;
        uint64_t jsame = 0, jworst = 0;
        for (size_t i = 0; i < r.nout[o]; i++) {
          const uint64_t d = ulp_dist(r.out[o][i], jit[i]);
          jsame += d == 0;
          if (d > jworst) jworst = d;
          const double da = d ? fabs((double)r.out[o][i] - (double)jit[i]) : 0;
          if (da > jabs) jabs = isnan(da) ? INFINITY : da;
        }
        if (report() || jabs > bd->jit_abs[era])
          printf("%-34s %-7s %s: vs Flax under jit: %" PRIu64 "/%zu same, max %" PRIu64
                 " ulps, %.3g abs\n",
                 id, r.names[o], ERAS[era], jsame, r.nout[o], jworst, jabs);
        if (jabs > bd->jit_abs[era])
          failures += snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
                               " [%s %s: %.3g from Flax under jit, bound %.3g]", r.names[o],
                               ERAS[era], jabs, bd->jit_abs[era]) > 0;
        free(jit);
      }
      free(want);
      free(r64);
    }
    result_free(&r);
    free(keep);
  }
  ck_assert_msg(!failures, "%s:%s", id, msg);
}
END_TEST

/* The attention core gives the same bits under every usable instruction set,
 * on the vector cases and on a shape that crosses kf__gemm's tiles. */
static void attention_isas(size_t B, size_t L, size_t H, size_t D, const float *q, const float *k,
                           const float *v, const uint8_t *keep) {
  const size_t n = B * L * H * D;
  float *ref = NULL;
  for (int isa = 0; isa < KF__ISA_COUNT; isa++) {
    if (!kf__isa_usable((kf__isa)isa)) continue;
    for (int form = 0; form < 2; form++)
      for (int causal = 0; causal < 2; causal++) {
        float *out = malloc(n * sizeof(float));
        float *work = malloc(kf__attention_workspace((kf__isa)isa, L, D) * sizeof(float));
        ck_assert(out && work);
        kf__attention((kf__isa)isa, (kf__attn_form)form, B, L, H, D, q, k, v, causal, NULL,
                      form ? keep : NULL, 0.75f, KF_FLAX_0_11, out, work);
        free(work);
        if (!ref) ref = calloc(4 * n, sizeof(float));
        float *want = ref + (size_t)(form * 2 + causal) * n;
        if (isa == KF__ISA_SCALAR) memcpy(want, out, n * sizeof(float));
        else
          ck_assert_msg(!memcmp(want, out, n * sizeof(float)), "%s differs from scalar (form %d causal %d)",
                        kf__isa_name((kf__isa)isa), form, causal);
        free(out);
      }
  }
  free(ref);
}

START_TEST(attention_same_bits_every_isa) {
  int vector = 0;
  for (int isa = 1; isa < KF__ISA_COUNT; isa++) vector += kf__isa_usable((kf__isa)isa);
  printf("test_layers_numeric: instruction sets compared with scalar: %d\n", vector);
  const json_t *cs = json_object_get(g_root, "cases");
  for (size_t i = 0; i < json_array_size(cs); i++) {
    const json_t *c = json_array_get(cs, i);
    if (strcmp(json_string_value(json_object_get(c, "kind")), "attention")) continue;
    const json_t *in = json_object_get(c, "inputs");
    const size_t B = dim(c, 0), L = dim(c, 1), H = dim(c, 2), D = dim(c, 3), n = B * L * H * D;
    float *q = f32s(in, "q", n), *k = f32s(in, "k", n), *v = f32s(in, "v", n);
    uint8_t *keep = era_keep(c, 1);
    attention_isas(B, L, H, D, q, k, v, keep);
    free(q), free(k), free(v), free(keep);
  }
  /* Shapes past one register tile and one k panel: 300 positions, 72 dims. */
  const size_t B = 1, L = 300, H = 2, D = 72, n = B * L * H * D;
  float *q = malloc(3 * n * sizeof(float));
  uint8_t *keep = malloc(L * L);
  ck_assert(q && keep);
  uint64_t s = 0x12345678u;
  for (size_t i = 0; i < 3 * n; i++) {
    s = s * 6364136223846793005u + 1442695040888963407u;
    q[i] = (float)((int64_t)(s >> 40) - (1 << 23)) / (float)(1 << 22);
  }
  for (size_t i = 0; i < L * L; i++) keep[i] = (uint8_t)((i * 2654435761u >> 7) % 4 != 0);
  attention_isas(B, L, H, D, q, q + n, q + 2 * n, keep);
  free(q);
  free(keep);
}
END_TEST

/* Both eras draw the same dropout keep mask (threefry, partitionable). */
START_TEST(keep_masks_agree_across_eras) {
  const json_t *cs = json_object_get(g_root, "cases");
  for (size_t i = 0; i < json_array_size(cs); i++) {
    const json_t *c = json_array_get(cs, i);
    uint8_t *a = era_keep(c, 0), *b = era_keep(c, 1);
    ck_assert((a == NULL) == (b == NULL));
    if (a) ck_assert_mem_eq(a, b, dim(c, 1) * dim(c, 1));
    free(a), free(b);
  }
}
END_TEST

/* ---- kf__xla_sum against a second transcription of XLA's rewrite --------- */

/* The rewrite done literally, on materialized arrays: a row-major array of
 * nd axes (sizes sz) is padded with zeros per axis (floor(pad/2) in front),
 * each window of min(size, 32) per axis summed in row-major order from +0
 * into a new array, until no axis exceeds 32; then one chain over it. No
 * flushing: the test's values are never denormal. */
static float ref_sum(const float *a, size_t nd, const size_t *sz) {
  size_t n = 1, big = 0;
  for (size_t d = 0; d < nd; d++) n *= sz[d], big |= sz[d] > 32;
  if (!big) {
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++) acc += a[i];
    return acc;
  }
  size_t w[KF__SUM_MAX_DIMS], cnt[KF__SUM_MAX_DIMS], lo[KF__SUM_MAX_DIMS], psz[KF__SUM_MAX_DIMS];
  size_t np = 1, nc = 1;
  for (size_t d = 0; d < nd; d++) {
    w[d] = sz[d] < 32 ? sz[d] : 32;
    cnt[d] = (sz[d] + w[d] - 1) / w[d];
    psz[d] = cnt[d] * w[d];
    lo[d] = (psz[d] - sz[d]) / 2;
    np *= psz[d], nc *= cnt[d];
  }
  float *pad = calloc(np, sizeof(float)), *out = calloc(nc, sizeof(float));
  ck_assert(pad && out);
  for (size_t i = 0; i < n; i++) { /* copy element i to its padded place */
    size_t rem = i, at = 0, mul = 1;
    for (size_t d = nd; d-- > 0;) {
      at += (rem % sz[d] + lo[d]) * mul;
      rem /= sz[d], mul *= psz[d];
    }
    pad[at] = a[i];
  }
  for (size_t c = 0; c < nc; c++) {
    size_t ci[KF__SUM_MAX_DIMS], rem = c;
    for (size_t d = nd; d-- > 0;) ci[d] = rem % cnt[d], rem /= cnt[d];
    size_t nw = 1;
    for (size_t d = 0; d < nd; d++) nw *= w[d];
    float acc = 0.0f;
    for (size_t p = 0; p < nw; p++) { /* window positions in row-major order */
      size_t r2 = p, at = 0, mul = 1;
      for (size_t d = nd; d-- > 0;) {
        at += (ci[d] * w[d] + r2 % w[d]) * mul;
        r2 /= w[d], mul *= psz[d];
      }
      acc += pad[at];
    }
    out[c] = acc;
  }
  const float r = ref_sum(out, nd, cnt);
  free(pad);
  free(out);
  return r;
}

START_TEST(xla_sum_matches_the_rewrite) {
  static const size_t shapes[][KF__SUM_MAX_DIMS + 1] = {
      {1, 0}, {1, 1}, {1, 32}, {1, 33}, {1, 64}, {1, 65}, {1, 95}, {1, 96}, {1, 1024}, {1, 1025},
      {1, 1100}, {1, 40000}, {2, 40, 4}, {2, 40, 40}, {2, 3, 70}, {3, 33, 2, 5}, {3, 5, 6, 7},
      {4, 2, 35, 3, 33}, {2, 1200, 2},
  };
  uint64_t st = 99;
  for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
    const size_t nd = shapes[c][0];
    size_t n = 1;
    for (size_t d = 0; d < nd; d++) n *= shapes[c][1 + d];
    float *a = malloc((n ? n : 1) * sizeof(float) * 2);
    ck_assert_ptr_nonnull(a);
    for (size_t i = 0; i < 2 * n; i++) {
      st = st * 6364136223846793005u + 1442695040888963407u;
      a[i] = (float)((int64_t)(st >> 40) - (1 << 23)) / (float)(1 << 20) + 0.25f;
    }
    /* as a plain array, and with the last axis strided (every 2nd float) */
    for (int strided = 0; strided < 2; strided++) {
      kf__sum_src s = {a, nd, {0}, {0}, KF__SUM_X, 0.0f, KF_FLAX_0_10, 0};
      size_t stride = strided ? 2 : 1;
      for (size_t d = nd; d-- > 0;) {
        s.size[d] = shapes[c][1 + d];
        s.stride[d] = stride;
        stride *= shapes[c][1 + d];
      }
      float *dense = malloc((n ? n : 1) * sizeof(float));
      ck_assert_ptr_nonnull(dense);
      for (size_t i = 0; i < n; i++) dense[i] = strided ? a[2 * i] : a[i];
      const float want = nd ? ref_sum(dense, nd, &shapes[c][1]) : 0.0f;
      const float got = kf__xla_sum(&s);
      ck_assert_msg(bits(got) == bits(want), "shape %zu (strided %d): %a, want %a", c, strided,
                    (double)got, (double)want);
      /* squares and exp(v - shift) read the same elements */
      for (size_t i = 0; i < n; i++) dense[i] = dense[i] * dense[i];
      s.op = KF__SUM_SQUARE;
      ck_assert_uint_eq(bits(kf__xla_sum(&s)), bits(ref_sum(dense, nd, &shapes[c][1])));
      free(dense);
    }
    free(a);
  }
}
END_TEST

/* In place (x == y) gives the same bits as out of place. */
START_TEST(in_place_matches) {
  float x[60], y[60], z[60];
  for (int i = 0; i < 60; i++) x[i] = sinf((float)i * 0.7f) * 5.0f + (float)(i % 7);
  memcpy(z, x, sizeof z);
  kf__layer_norm(5, 12, x, NULL, NULL, 1e-6f, 0, KF_RSQRT_INTEL_NR2, KF_FLAX_0_11, y);
  kf__layer_norm(5, 12, z, NULL, NULL, 1e-6f, 0, KF_RSQRT_INTEL_NR2, KF_FLAX_0_11, z);
  ck_assert_mem_eq(y, z, sizeof y);
  memcpy(z, x, sizeof z);
  kf__softmax(3, 4, 5, x, y, 0, KF_FLAX_0_11);
  kf__softmax(3, 4, 5, z, z, 0, KF_FLAX_0_11);
  ck_assert_mem_eq(y, z, sizeof y);
  memcpy(z, x, sizeof z);
  const size_t five[1] = {5};
  kf__group_norm(2, 1, five, 6, 3, x, NULL, NULL, 1e-6f, KF_RSQRT_SQRT_DIV, KF_FLAX_0_10, y);
  kf__group_norm(2, 1, five, 6, 3, z, NULL, NULL, 1e-6f, KF_RSQRT_SQRT_DIV, KF_FLAX_0_10, z);
  ck_assert_mem_eq(y, z, sizeof y);
}
END_TEST

int main(void) {
  const char *p = getenv("KEYFOLD_NORM_ATTN_VECTORS");
  json_error_t err;
  g_root = json_load_file(p && *p ? p : "tests/vectors/norm-attn-kernels.json", JSON_REJECT_DUPLICATES,
                          &err);
  if (!g_root) {
    fprintf(stderr, "test_layers_numeric: cannot load vectors: %s (line %d)\n", err.text, err.line);
    return 2;
  }
  g_ncases = json_array_size(json_object_get(g_root, "cases"));
  Suite *s = suite_create("layers_numeric");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, case_within_bounds, 0, (int)g_ncases);
  tcase_add_test(tc, attention_same_bits_every_isa);
  tcase_add_test(tc, keep_masks_agree_across_eras);
  tcase_add_test(tc, in_place_matches);
  tcase_add_test(tc, xla_sum_matches_the_rewrite);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  json_decref(g_root);
  return failed ? 1 : 0;
}
