/* The convolution and pooling kernels (lib/src/conv.h):
 *  - against Flax's float32 outputs and a float64 reference of the same Flax
 *    code, read from tests/vectors/conv-kernels.json (scripts/gen-conv-vectors.py;
 *    committed, so JAX is not needed here), every case within the error
 *    bound |y - ref| <= (n + 1) * 2^-24 * sum|x w| (n the terms of the chain),
 *    and bit for bit where XLA sums in conv.h's order (all but a listed few);
 *  - against a direct transcription of the documented order (the input
 *    padded and dilated explicitly, then the fma chain), bit for bit;
 *  - every usable instruction set giving the scalar form's bits;
 *  - the planners' errors and the workspace bound. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/src/conv.h"
#include "../lib/src/testing.h"
#include "keyfold/keyfold.h"

static const double U = 0x1p-24; /* unit roundoff of float32 */

/* ------------------------------------------------------------ vectors */

/* KEYFOLD_CONV_VECTORS: the vector files, ':'-separated (one per JAX era). */
static json_t *g_files[4];
static int g_nfiles;

static void load_vectors(void) {
  if (g_nfiles) return;
  const char *env = getenv("KEYFOLD_CONV_VECTORS");
  ck_assert_msg(env != NULL, "KEYFOLD_CONV_VECTORS is not set");
  char *list = strdup(env), *save = NULL;
  for (char *p = strtok_r(list, ":", &save); p && g_nfiles < 4; p = strtok_r(NULL, ":", &save)) {
    json_error_t err;
    g_files[g_nfiles] = json_load_file(p, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(g_files[g_nfiles] != NULL, "%s: %s", p, err.text);
    g_nfiles++;
  }
  free(list);
}

static int hexval(char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decodes a hex string of little-endian bytes; returns the byte count. */
static size_t unhex(const json_t *s, void **out) {
  const char *h = json_string_value(s);
  ck_assert_ptr_nonnull(h);
  const size_t n = strlen(h) / 2;
  unsigned char *b = malloc(n + 1);
  for (size_t i = 0; i < n; i++)
    b[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
  *out = b;
  return n;
}

static int64_t iget(const json_t *a, size_t i) { return json_integer_value(json_array_get(a, i)); }

/* The geometry of a case, planned; returns the planner's code. */
static int case_geom(const json_t *c, kf__conv_geom *g, const char **op) {
  *op = json_string_value(json_object_get(c, "op"));
  const json_t *xs = json_object_get(c, "x_shape");
  memset(g, 0, sizeof *g);
  g->nd = (int)json_array_size(xs) - 2;
  g->batch = (size_t)iget(xs, 0);
  for (int d = 0; d < g->nd; d++) {
    g->in[d] = iget(xs, (size_t)d + 1);
    g->stride[d] = g->lhs_dil[d] = g->rhs_dil[d] = 1;
  }
  g->in_ch = iget(xs, (size_t)g->nd + 1);
  const int pool = strcmp(*op, "conv") && strcmp(*op, "conv_transpose");
  const json_t *k = json_object_get(c, pool ? "window" : "kernel");
  const json_t *st = json_object_get(c, "strides");
  for (int d = 0; d < g->nd; d++) {
    g->kernel[d] = iget(k, (size_t)d);
    if (json_is_array(st)) g->stride[d] = iget(st, (size_t)d);
    if (!pool) {
      g->lhs_dil[d] = iget(json_object_get(c, "input_dilation"), (size_t)d);
      g->rhs_dil[d] = iget(json_object_get(c, "kernel_dilation"), (size_t)d);
    }
  }
  if (!pool) {
    g->out_ch = json_integer_value(json_object_get(c, "out_ch"));
    g->groups = json_integer_value(json_object_get(c, "groups"));
  }
  const json_t *pad = json_object_get(c, "padding");
  kf__pad_mode mode = KF__PAD_EXPLICIT;
  int64_t pairs[6] = {0};
  if (json_is_string(pad)) {
    static const struct {
      const char *name;
      kf__pad_mode mode;
    } modes[] = {{"VALID", KF__PAD_VALID},       {"SAME", KF__PAD_SAME},
                 {"SAME_LOWER", KF__PAD_SAME_LOWER}, {"CIRCULAR", KF__PAD_CIRCULAR},
                 {"CAUSAL", KF__PAD_CAUSAL},     {"REFLECT", KF__PAD_REFLECT}};
    int found = 0;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
      if (strcmp(json_string_value(pad), modes[i].name) == 0) mode = modes[i].mode, found = 1;
    ck_assert_msg(found, "unknown padding %s", json_string_value(pad));
  } else {
    for (int d = 0; d < g->nd; d++) {
      pairs[2 * d] = iget(json_array_get(pad, (size_t)d), 0);
      pairs[2 * d + 1] = iget(json_array_get(pad, (size_t)d), 1);
    }
  }
  if (!strcmp(*op, "conv")) return kf__conv_plan(g, mode, pairs);
  if (!strcmp(*op, "conv_transpose")) return kf__conv_transpose_plan(g, mode, pairs);
  return kf__pool_plan(g, mode, pairs);
}

static size_t out_count(const kf__conv_geom *g) {
  size_t n = g->batch * (size_t)g->out_ch;
  for (int d = 0; d < g->nd; d++) n *= (size_t)g->out[d];
  return n;
}

static int usable_isas(kf__isa *isas) {
  int n = 0;
  for (int i = 0; i < KF__ISA_COUNT; i++)
    if (kf__isa_usable((kf__isa)i)) isas[n++] = (kf__isa)i;
  return n;
}

/* kf__conv on every usable instruction set; returns the scalar result and
 * checks that the others give its bits. */
static float *conv_all_isas(const kf__conv_geom *g, const float *x, const float *w,
                            const float *b) {
  const size_t ny = out_count(g);
  float *ref = NULL;
  kf__isa isas[KF__ISA_COUNT];
  const int n = usable_isas(isas);
  for (int i = 0; i < n; i++) {
    float *work = malloc((kf__conv_workspace(isas[i], g) + 1) * sizeof(float));
    float *y = malloc((ny + 1) * sizeof(float));
    for (size_t j = 0; j < ny; j++) y[j] = NAN; /* everything must be written */
    kf__conv(isas[i], g, x, w, b, y, work);
    free(work);
    if (!ref) {
      ref = y;
    } else {
      ck_assert_msg(memcmp(ref, y, ny * sizeof(float)) == 0, "%s differs from %s",
                    kf__isa_name(isas[i]), kf__isa_name(isas[0]));
      free(y);
    }
  }
  return ref;
}

/* Terms of one output's chain: products, fold additions, bias / division. */
static double chain_terms(const kf__conv_geom *g, const char *op) {
  double n = 1;
  for (int d = 0; d < g->nd; d++) n *= (double)g->kernel[d];
  if (!strcmp(op, "conv") || !strcmp(op, "conv_transpose")) n *= (double)(g->in_ch / g->groups);
  if (g->fold)
    for (int d = 0; d < g->nd; d++) n += (double)((g->fold_lo[d] + g->full[d]) / g->out[d] + 2);
  return n + 1;
}

/* The cases where XLA:CPU sums in another order than conv.h's; every other
 * case must be bit-identical to Flax. Transposes whose kernel is wider than
 * about half the dilated input (an order we could not identify); from
 * jaxlib 0.10 on, convolutions with many channels (blocked differently from
 * about 96 output channels or 270 patch columns) and avg_pools whose last
 * window stride is not 1. */
static const char *const not_xla_order[] = {
    "t1d_circular_k9_s1", "t2d_circular_s2_k4", "t2d_circular_k66_s2", "t3d_circular"};
static const char *const not_xla_order_0_10[] = {
    "2d_panels_k270", "2d_cout96", "avg_2d_same_s2", "avg_2d_same_nopad", "avg_3d_same"};

static int xla_order(const char *name, int jax_0_6) {
  for (size_t i = 0; i < sizeof not_xla_order / sizeof not_xla_order[0]; i++)
    if (!strcmp(name, not_xla_order[i])) return 0;
  for (size_t i = 0; !jax_0_6 && i < sizeof not_xla_order_0_10 / sizeof not_xla_order_0_10[0]; i++)
    if (!strcmp(name, not_xla_order_0_10[i])) return 0;
  return 1;
}

START_TEST(vectors_match_flax_within_bound) {
  load_vectors();
  ck_assert_int_ge(g_nfiles, 1);
  for (int fi = 0; fi < g_nfiles; fi++) {
    const json_t *root = g_files[fi];
    const json_t *cases = json_object_get(root, "cases");
    ck_assert_int_ge(json_array_size(cases), 50);
    const char *jax = json_string_value(json_object_get(json_object_get(root, "versions"), "jax"));
    /* jax 0.6 ran Flax's avg_pool division op by op, as a division */
    const int jax_0_6 = strncmp(jax, "0.6.", 4) == 0;
    printf("test_conv: vectors from jax %s / flax %s on %s\n", jax,
           json_string_value(json_object_get(json_object_get(root, "versions"), "flax")),
           json_string_value(json_object_get(root, "cpu")));
    const char *ops[] = {"conv", "conv_transpose", "avg_pool", "max_pool", "min_pool"};
    double worst_kf[5] = {0}, worst_flax[5] = {0};
    size_t same[5] = {0}, total[5] = {0};
    for (size_t ci = 0; ci < json_array_size(cases); ci++) {
      const json_t *c = json_array_get(cases, ci);
      const char *name = json_string_value(json_object_get(c, "name"));
      kf__conv_geom g;
      const char *op;
      ck_assert_msg(case_geom(c, &g, &op) == 0, "%s: plan failed", name);
      int oi = 0;
      while (strcmp(ops[oi], op)) oi++;
      const json_t *ys = json_object_get(c, "y_shape");
      ck_assert_int_eq((int64_t)g.batch, iget(ys, 0));
      for (int d = 0; d < g.nd; d++)
        ck_assert_msg(g.out[d] == iget(ys, (size_t)d + 1), "%s: out[%d] %lld, Flax %lld", name, d,
                      (long long)g.out[d], (long long)iget(ys, (size_t)d + 1));
      const size_t ny = out_count(&g);
      float *x, *w = NULL, *b = NULL, *yf;
      double *ref, *abs_;
      unhex(json_object_get(c, "x"), (void **)&x);
      ck_assert_uint_eq(unhex(json_object_get(c, "y"), (void **)&yf), ny * sizeof(float));
      ck_assert_uint_eq(unhex(json_object_get(c, "ref"), (void **)&ref), ny * sizeof(double));
      ck_assert_uint_eq(unhex(json_object_get(c, "abs"), (void **)&abs_), ny * sizeof(double));
      float *y;
      if (oi < 2) {
        unhex(json_object_get(c, "w"), (void **)&w);
        if (json_is_string(json_object_get(c, "b"))) unhex(json_object_get(c, "b"), (void **)&b);
        y = conv_all_isas(&g, x, w, b);
      } else {
        y = malloc((ny + 1) * sizeof(float));
        if (oi == 2)
          kf__avg_pool(&g, x, y, json_is_true(json_object_get(c, "count_include_pad")), !jax_0_6);
        else if (oi == 3)
          kf__max_pool(&g, x, y);
        else
          kf__min_pool(&g, x, y);
      }
      const double n = chain_terms(&g, op);
      for (size_t i = 0; i < ny; i++) {
        const double scale = U * abs_[i];
        const double ek = fabs((double)y[i] - ref[i]), ef = fabs((double)yf[i] - ref[i]);
        if (oi >= 3) {
          ck_assert_msg(memcmp(&y[i], &yf[i], sizeof(float)) == 0, "%s[%zu]: %a, Flax %a", name, i,
                        (double)y[i], (double)yf[i]);
        } else {
          ck_assert_msg(ek <= n * scale, "%s[%zu]: %.9g, ref %.17g, bound %.3g", name, i,
                        (double)y[i], ref[i], n * scale);
          ck_assert_msg(fabs((double)y[i] - yf[i]) <= 2 * n * scale, "%s[%zu]: %.9g, Flax %.9g",
                        name, i, (double)y[i], (double)yf[i]);
        }
        if (scale > 0) {
          if (ek / scale > worst_kf[oi]) worst_kf[oi] = ek / scale;
          if (ef / scale > worst_flax[oi]) worst_flax[oi] = ef / scale;
        }
        same[oi] += memcmp(&y[i], &yf[i], sizeof(float)) == 0;
        total[oi]++;
      }
      size_t same_case = 0;
      for (size_t i = 0; i < ny; i++) same_case += memcmp(&y[i], &yf[i], sizeof(float)) == 0;
      if (same_case < ny)
        printf("test_conv: %s: %zu of %zu bit-identical to Flax\n", name, same_case, ny);
      if (xla_order(name, jax_0_6))
        ck_assert_msg(same_case == ny, "%s: %zu of %zu bit-identical to Flax", name, same_case, ny);
      free(x), free(w), free(b), free(yf), free(ref), free(abs_), free(y);
    }
    for (int oi = 0; oi < 5; oi++)
      printf("test_conv: %-14s %6zu outputs, %6.2f%% bit-identical to Flax; max |y - ref| / "
             "(2^-24 sum|xw|): keyfold %.3f, Flax %.3f\n",
             ops[oi], total[oi], total[oi] ? 100.0 * (double)same[oi] / (double)total[oi] : 0.0,
             worst_kf[oi], worst_flax[oi]);
  }
}
END_TEST

/* ------------------------------------------------- the documented order */

static uint64_t g_rng = 0x853c49e6748fea9bu;
static uint64_t rnd(void) {
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}
static int64_t rint_(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}
static float rfloat(void) { return (float)((double)(rnd() >> 11) * 0x1p-53 * 2.0 - 1.0); }
static float *rarray(size_t n) {
  float *a = malloc((n + 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) a[i] = rfloat();
  return a;
}

static float *rng_bias(const kf__conv_geom *g) {
  return rint_(0, 3) == 0 ? NULL : rarray((size_t)g->out_ch);
}

/* The input of one batch element and channel group, padded and dilated
 * explicitly along every dimension as lax and jnp.pad define it. */
static int64_t ref_index(const kf__conv_geom *g, int d, int64_t p) {
  /* p indexes the padded, dilated axis: first pad_lo positions of padding */
  const int64_t n = g->in[d], ld = g->lhs_dil[d];
  const int64_t q = p - g->pad_lo[d];
  const int64_t dil = n == 0 ? 0 : (n - 1) * ld + 1;
  if (q >= 0 && q < dil) return q % ld == 0 ? q / ld : -1;
  if (g->edge == KF__EDGE_ZERO) return -1;
  /* jnp.pad 'wrap' / 'reflect' extend the sequence one period at a time */
  if (g->edge == KF__EDGE_WRAP) return ((q % n) + n) % n;
  if (n == 1) return 0;
  int64_t m = q;
  while (m < 0 || m >= n) m = m < 0 ? -m : 2 * (n - 1) - m;
  return m;
}

/* The fma chain as documented, one output at a time (with input dilation,
 * no kernel dilation and one group: one chain per kernel position, added
 * up from +0), with the fold done as
 * Flax does it (pad, reshape, sum dimension by dimension from +0). */
static float *ref_conv(const kf__conv_geom *g, const float *x, const float *w, const float *b) {
  const int64_t cin = g->in_ch / g->groups, cout = g->out_ch / g->groups;
  const int split = (g->lhs_dil[0] != 1 || g->lhs_dil[1] != 1 || g->lhs_dil[2] != 1) &&
                    g->rhs_dil[0] == 1 && g->rhs_dil[1] == 1 && g->rhs_dil[2] == 1 &&
                    g->groups == 1;
  int64_t full[3], xs[3];
  for (int d = 0; d < 3; d++) full[d] = g->fold ? g->full[d] : g->out[d];
  xs[2] = g->in_ch, xs[1] = g->in[2] * xs[2], xs[0] = g->in[1] * xs[1];
  const size_t nfull = g->batch * (size_t)(full[0] * full[1] * full[2] * g->out_ch);
  float *y = malloc((nfull + 1) * sizeof(float));
  for (size_t bi = 0; bi < g->batch; bi++)
    for (int64_t o0 = 0; o0 < full[0]; o0++)
      for (int64_t o1 = 0; o1 < full[1]; o1++)
        for (int64_t o2 = 0; o2 < full[2]; o2++)
          for (int64_t oc = 0; oc < g->out_ch; oc++) {
            const int64_t grp = oc / cout;
            float acc = 0.0f;
            for (int64_t t0 = 0; t0 < g->kernel[0]; t0++)
              for (int64_t t1 = 0; t1 < g->kernel[1]; t1++)
                for (int64_t t2 = 0; t2 < g->kernel[2]; t2++) {
                  const int64_t i0 = ref_index(g, 0, o0 * g->stride[0] + t0 * g->rhs_dil[0]);
                  const int64_t i1 = ref_index(g, 1, o1 * g->stride[1] + t1 * g->rhs_dil[1]);
                  const int64_t i2 = ref_index(g, 2, o2 * g->stride[2] + t2 * g->rhs_dil[2]);
                  float dot = 0.0f; /* input dilation: one chain per kernel position */
                  for (int64_t c = 0; c < cin; c++) {
                    const float xv = (i0 < 0 || i1 < 0 || i2 < 0)
                                         ? 0.0f
                                         : x[bi * (size_t)(g->in[0] * xs[0]) +
                                             (size_t)(i0 * xs[0] + i1 * xs[1] + i2 * xs[2] +
                                                      grp * cin + c)];
                    const float wv =
                        w[(((t0 * g->kernel[1] + t1) * g->kernel[2] + t2) * cin + c) * g->out_ch +
                          oc];
                    if (split)
                      dot = fmaf(xv, wv, dot);
                    else
                      acc = fmaf(xv, wv, acc);
                  }
                  if (split) acc = acc + dot;
                }
            y[(((bi * (size_t)full[0] + (size_t)o0) * (size_t)full[1] + (size_t)o1) *
                   (size_t)full[2] + (size_t)o2) * (size_t)g->out_ch + (size_t)oc] = acc;
          }
  if (g->fold) {
    /* pad to fold_lo + full + rest (an odd number of periods), sum chunks */
    int64_t shape[3] = {full[0], full[1], full[2]};
    float *cur = y;
    for (int d = 0; d < g->nd; d++) {
      const int64_t P = g->out[d];
      int64_t total = g->fold_lo[d] + shape[d];
      total = (total + P - 1) / P * P;
      if ((total / P) % 2 == 0) total += P;
      int64_t nshape[3] = {shape[0], shape[1], shape[2]};
      nshape[d] = P;
      size_t outer = g->batch, inner = (size_t)g->out_ch;
      for (int e = 0; e < d; e++) outer *= (size_t)shape[e];
      for (int e = d + 1; e < 3; e++) inner *= (size_t)shape[e];
      float *next = malloc((outer * (size_t)P * inner + 1) * sizeof(float));
      for (size_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < P; j++)
          for (size_t i = 0; i < inner; i++) {
            float acc = 0.0f;
            for (int64_t ch = 0; ch < total / P; ch++) {
              const int64_t q = ch * P + j - g->fold_lo[d];
              const size_t at = (o * (size_t)shape[d] + (size_t)q) * inner + i;
              const float v = (q >= 0 && q < shape[d]) ? cur[at] : 0.0f;
              acc += v;
            }
            next[(o * (size_t)P + (size_t)j) * inner + i] = acc;
          }
      free(cur);
      cur = next;
      memcpy(shape, nshape, sizeof shape);
    }
    y = cur;
  }
  if (b) {
    const size_t ny = out_count(g);
    for (size_t i = 0; i < ny; i++) y[i] += b[i % (size_t)g->out_ch];
  }
  return y;
}

/* A random geometry of one of the three planners. */
static int random_geom(kf__conv_geom *g, int *transpose) {
  memset(g, 0, sizeof *g);
  g->nd = (int)rint_(1, 3);
  g->batch = (size_t)rint_(1, 3);
  *transpose = rint_(0, 3) == 0;
  const int big = rint_(0, 4) == 0;
  for (int d = 0; d < g->nd; d++) {
    g->in[d] = rint_(1, g->nd == 3 ? 5 : 9);
    g->kernel[d] = rint_(1, 4);
    g->stride[d] = rint_(1, 3);
    g->lhs_dil[d] = 1;
    g->rhs_dil[d] = rint_(1, 2);
  }
  g->groups = *transpose ? 1 : rint_(1, 3);
  g->in_ch = g->groups * rint_(1, big ? 40 : 4);
  g->out_ch = g->groups * rint_(1, big ? 40 : 5);
  int64_t pairs[6];
  for (int d = 0; d < 6; d++) pairs[d] = rint_(-1, 3);
  if (*transpose) {
    static const kf__pad_mode tm[] = {KF__PAD_SAME, KF__PAD_VALID, KF__PAD_CIRCULAR,
                                      KF__PAD_EXPLICIT};
    return kf__conv_transpose_plan(g, tm[rint_(0, 3)], pairs);
  }
  static const kf__pad_mode cm[] = {KF__PAD_SAME,     KF__PAD_VALID,   KF__PAD_CIRCULAR,
                                    KF__PAD_CAUSAL,   KF__PAD_EXPLICIT, KF__PAD_REFLECT,
                                    KF__PAD_SAME_LOWER};
  const kf__pad_mode mode = cm[rint_(0, 6)];
  if (mode == KF__PAD_EXPLICIT)
    for (int d = 0; d < g->nd; d++) g->lhs_dil[d] = rint_(1, 3);
  if (mode == KF__PAD_CAUSAL) g->nd = 1;
  return kf__conv_plan(g, mode, pairs);
}

START_TEST(every_isa_gives_the_documented_chain_bit_for_bit) {
  int done = 0, folds = 0;
  for (int it = 0; it < 600; it++) {
    kf__conv_geom g;
    int transpose;
    if (random_geom(&g, &transpose)) continue;
    size_t nx = g.batch * (size_t)g.in_ch, nk = (size_t)(g.in_ch / g.groups * g.out_ch);
    for (int d = 0; d < g.nd; d++) nx *= (size_t)g.in[d], nk *= (size_t)g.kernel[d];
    float *x = rarray(nx), *w = rarray(nk), *b = rng_bias(&g);
    float *y = conv_all_isas(&g, x, w, b);
    float *r = ref_conv(&g, x, w, b);
    const size_t ny = out_count(&g);
    for (size_t i = 0; i < ny; i++)
      ck_assert_msg(memcmp(&y[i], &r[i], sizeof(float)) == 0,
                    "iteration %d, output %zu: %a, documented chain %a", it, i, (double)y[i],
                    (double)r[i]);
    done++;
    folds += g.fold;
    free(x), free(w), free(b), free(y), free(r);
  }
  printf("test_conv: %d random geometries (%d circular transposes) equal to the documented chain\n",
         done, folds);
  ck_assert_int_ge(done, 400);
}
END_TEST

/* Shapes past every block size of conv.c (96 positions, 320 patch columns,
 * 1024 output channels, 64 kernel positions per dimension), with and
 * without input dilation: still the documented order, on every
 * instruction set. */
START_TEST(large_shapes_cross_the_blocks) {
  static const struct {
    int nd;
    size_t batch;
    int64_t in[3], kernel[3], stride, in_ch, out_ch, groups;
    kf__pad_mode mode;
    int64_t lhs_dil;
  } shapes[] = {
      {2, 2, {12, 11, 1}, {3, 3, 1}, 1, 70, 33, 1, KF__PAD_SAME, 1},     /* k = 630 */
      {1, 1, {40, 1, 1}, {3, 1, 1}, 1, 2, 1100, 1, KF__PAD_SAME, 1},     /* n > 1024 */
      {1, 2, {150, 1, 1}, {80, 1, 1}, 2, 3, 5, 1, KF__PAD_CIRCULAR, 1},  /* 80 taps */
      {2, 1, {9, 10, 1}, {3, 3, 1}, 1, 48, 48, 48, KF__PAD_SAME, 1},     /* depthwise */
      {3, 1, {5, 6, 7}, {3, 3, 3}, 2, 20, 24, 4, KF__PAD_SAME, 1},
      {2, 2, {5, 4, 1}, {3, 2, 1}, 1, 340, 9, 1, KF__PAD_EXPLICIT, 2}, /* tapwise, cin > 320 */
      {1, 3, {40, 1, 1}, {4, 1, 1}, 1, 5, 7, 1, KF__PAD_EXPLICIT, 3},  /* tapwise, m > 96 */
  };
  const int64_t pads[6] = {2, 1, 1, 2, 0, 0};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    kf__conv_geom g = {0};
    g.nd = shapes[s].nd;
    g.batch = shapes[s].batch;
    for (int d = 0; d < g.nd; d++) {
      g.in[d] = shapes[s].in[d], g.kernel[d] = shapes[s].kernel[d];
      g.stride[d] = shapes[s].stride, g.rhs_dil[d] = 1;
      g.lhs_dil[d] = shapes[s].lhs_dil;
    }
    g.in_ch = shapes[s].in_ch, g.out_ch = shapes[s].out_ch, g.groups = shapes[s].groups;
    ck_assert_int_eq(kf__conv_plan(&g, shapes[s].mode, pads), 0);
    size_t nx = g.batch * (size_t)g.in_ch, nk = (size_t)(g.in_ch / g.groups * g.out_ch);
    for (int d = 0; d < g.nd; d++) nx *= (size_t)g.in[d], nk *= (size_t)g.kernel[d];
    float *x = rarray(nx), *w = rarray(nk), *b = rarray((size_t)g.out_ch);
    float *y = conv_all_isas(&g, x, w, b), *r = ref_conv(&g, x, w, b);
    ck_assert_msg(memcmp(y, r, out_count(&g) * sizeof(float)) == 0, "shape %zu", s);
    free(x), free(w), free(b), free(y), free(r);
  }
}
END_TEST

/* The scratch stays about 1.5 MB for big layers. */
START_TEST(workspace_is_bounded) {
  kf__conv_geom g = {0};
  g.nd = 2, g.batch = 64;
  for (int d = 0; d < 2; d++)
    g.in[d] = 224, g.kernel[d] = 7, g.stride[d] = 2, g.lhs_dil[d] = g.rhs_dil[d] = 1;
  g.in_ch = 512, g.out_ch = 2048, g.groups = 1;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), 0);
  kf__isa isas[KF__ISA_COUNT];
  const int n = usable_isas(isas);
  for (int i = 0; i < n; i++) {
    const size_t w = kf__conv_workspace(isas[i], &g);
    printf("test_conv: workspace (%s) of a 224x224x512 -> 2048 7x7 conv: %zu floats\n",
           kf__isa_name(isas[i]), w);
    ck_assert_uint_le(w, (size_t)1 << 19);
  }
}
END_TEST

START_TEST(plans_refuse_bad_geometry) {
  kf__conv_geom base = {0};
  base.nd = 2, base.batch = 1;
  for (int d = 0; d < 2; d++)
    base.in[d] = 8, base.kernel[d] = 3, base.stride[d] = 1, base.lhs_dil[d] = base.rhs_dil[d] = 1;
  base.in_ch = 4, base.out_ch = 6, base.groups = 2;
  const int64_t pairs[6] = {1, 1, -5, -5, 0, 0}, zeros[6] = {0};
  kf__conv_geom g = base;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), 0);
  ck_assert_int_eq(g.out[0], 8);
  g = base, g.nd = 0;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  g = base, g.nd = 4;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  g = base, g.in_ch = 5;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EMISMATCH);
  g = base, g.out_ch = 7;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EMISMATCH);
  g = base, g.groups = 0;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  g = base, g.kernel[1] = 0;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  g = base, g.stride[0] = 0;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  g = base, g.rhs_dil[0] = -1;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  g = base, g.in[0] = -1;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_VALID, NULL), KF_EINVAL);
  /* lax refuses string padding with input dilation; Flax passes it on */
  g = base, g.lhs_dil[0] = 2;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  g = base, g.lhs_dil[0] = 2;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_CIRCULAR, NULL), KF_EINVAL);
  g = base, g.lhs_dil[0] = 2;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_EXPLICIT, zeros), 0);
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_CAUSAL, NULL), KF_EINVAL); /* 2-D */
  g = base;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_EXPLICIT, NULL), KF_EINVAL);
  g = base; /* 8 - 10 < 0 positions */
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_EXPLICIT, pairs), KF_EINVAL);
  g = base;
  ck_assert_int_eq(kf__conv_plan(&g, (kf__pad_mode)99, NULL), KF_EINVAL);
  g = base, g.kernel[0] = 9; /* VALID with a kernel wider than the input: empty, as in lax */
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_VALID, NULL), 0);
  ck_assert_int_eq(g.out[0], 0);
  g = base, g.in[0] = (int64_t)1 << 40, g.in[1] = (int64_t)1 << 40;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_VALID, NULL), KF_EOVERFLOW);
  const int64_t huge[6] = {INT64_MAX, 0, 0, 0, 0, 0};
  g = base;
  ck_assert_int_eq(kf__conv_plan(&g, KF__PAD_EXPLICIT, huge), KF_EOVERFLOW);
  /* transposes: groups 1 only; CAUSAL, REFLECT, SAME_LOWER as lax: refused */
  g = base;
  ck_assert_int_eq(kf__conv_transpose_plan(&g, KF__PAD_SAME, NULL), KF_EINVAL);
  const kf__pad_mode bad_t[] = {KF__PAD_CAUSAL, KF__PAD_REFLECT, KF__PAD_SAME_LOWER};
  for (size_t i = 0; i < 3; i++) {
    g = base, g.groups = 1;
    ck_assert_int_eq(kf__conv_transpose_plan(&g, bad_t[i], NULL), KF_EINVAL);
  }
  g = base, g.groups = 1, g.stride[0] = 2;
  ck_assert_int_eq(kf__conv_transpose_plan(&g, KF__PAD_CIRCULAR, NULL), 0);
  ck_assert_int_eq(g.out[0], 16);
  ck_assert_int_eq(g.out[1], 8);
  ck_assert_int_eq(g.lhs_dil[0], 2);
  ck_assert_int_eq(g.stride[0], 1);
  /* pools: VALID, SAME, SAME_LOWER, EXPLICIT only */
  const kf__pad_mode bad_p[] = {KF__PAD_CIRCULAR, KF__PAD_CAUSAL, KF__PAD_REFLECT};
  for (size_t i = 0; i < 3; i++) {
    g = base;
    ck_assert_int_eq(kf__pool_plan(&g, bad_p[i], NULL), KF_EINVAL);
  }
  g = base, g.stride[0] = 2;
  ck_assert_int_eq(kf__pool_plan(&g, KF__PAD_SAME, NULL), 0);
  ck_assert_int_eq(g.out[0], 4);
  ck_assert_int_eq(g.out_ch, 4);
}
END_TEST

/* avg_pool's two last steps (s / d, s * (1 / d)), count_include_pad both
 * ways, and max/min with padding and NaN, on a 1-D case worked by hand. */
START_TEST(pools_worked_by_hand) {
  kf__conv_geom g = {0};
  g.nd = 1, g.batch = 1, g.in[0] = 4, g.kernel[0] = 3, g.stride[0] = 2, g.in_ch = 2;
  ck_assert_int_eq(kf__pool_plan(&g, KF__PAD_SAME, NULL), 0);
  ck_assert(g.out[0] == 2 && g.pad_lo[0] == 0 && g.pad_hi[0] == 1);
  const int64_t pads[2] = {1, 1}; /* windows: positions -1..1, 1..3 */
  ck_assert_int_eq(kf__pool_plan(&g, KF__PAD_EXPLICIT, pads), 0);
  ck_assert_int_eq(g.out[0], 2);
  const float x[8] = {1.0f, -2.0f, 0.1f, NAN, 0.7f, 5.0f, -3.0f, 4.0f};
  float y[4];
  kf__avg_pool(&g, x, y, 1, 0);
  ck_assert(y[0] == (1.0f + 0.1f) / 3.0f && y[1] != y[1] && y[3] != y[3]);
  ck_assert(y[2] == ((0.1f + 0.7f) + -3.0f) / 3.0f);
  kf__avg_pool(&g, x, y, 1, 1);
  ck_assert(y[0] == (1.0f + 0.1f) * (1.0f / 3.0f));
  ck_assert(y[2] == ((0.1f + 0.7f) + -3.0f) * (1.0f / 3.0f));
  kf__avg_pool(&g, x, y, 0, 0);
  ck_assert(y[0] == (1.0f + 0.1f) / 2.0f && y[1] != y[1]);
  kf__max_pool(&g, x, y);
  ck_assert(y[0] == 1.0f && y[1] != y[1] && y[2] == 0.7f && y[3] != y[3]);
  kf__min_pool(&g, x, y);
  ck_assert(y[0] == 0.1f && y[1] != y[1] && y[2] == -3.0f && y[3] != y[3]);
  const int64_t all_pad[2] = {5, 0}; /* windows wholly in the padding */
  g.stride[0] = 1;
  ck_assert_int_eq(kf__pool_plan(&g, KF__PAD_EXPLICIT, all_pad), 0);
  float z[14];
  kf__max_pool(&g, x, z);
  ck_assert(isinf(z[0]) && z[0] < 0);
  kf__avg_pool(&g, x, z, 0, 1);
  ck_assert(z[0] != z[0]);
}
END_TEST

static Suite *conv_suite(void) {
  Suite *s = suite_create("conv");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 300);
  tcase_add_test(tc, vectors_match_flax_within_bound);
  tcase_add_test(tc, every_isa_gives_the_documented_chain_bit_for_bit);
  tcase_add_test(tc, large_shapes_cross_the_blocks);
  tcase_add_test(tc, workspace_is_bounded);
  tcase_add_test(tc, plans_refuse_bad_geometry);
  tcase_add_test(tc, pools_worked_by_hand);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(conv_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
