/* test_oracle — every case of the files printed by real JAX and Flax
 * (scripts/gen-vectors.py: tests/vectors/jax-oracle-*.json, paths in
 * $KEYFOLD_ORACLE, separated by ':') against libkeyfold, bit for bit.
 *
 * The file format is its "notes" string. Cases whose results depend on float32
 * log1p carry a measured tolerance (max ulps, fraction identical, reason);
 * every other case must be exact. An "activation" case runs its x through a
 * model of that one activation layer. keyfold's log1p is jaxlib 0.10.2's, so in a
 * file printed by jaxlib 0.10.2 those cases must be exact too, whatever the
 * file records (see LOG1P_JAXLIB). Flax cases run in their era (flax-0.10:
 * KF_FLAX_0_10; later ones KF_FLAX_0_11); cases marked "tested": false are
 * skipped. flax_session cases (an Rngs, an nnx.Sequential built from it and
 * a script of forwards, reseeds, draws and forks) are replayed through
 * kf_rngs and kf_model here, and through the daemon by
 * tests/api/test_flax_oracle.py. A 'report' tolerance (the --measure files)
 * counts and never fails. "sample" cases are the distributions
 * (jax.random.<sampler>(key, **params, shape)): a parameter of one element
 * goes to keyfold as one value (p_n = 1), any other array broadcast to the
 * output's shape (p_n = n); a tolerance with "cause": "sample" (partly
 * broadcast parameters, another jaxlib, and multivariate_normal and
 * orthogonal, whose LAPACK and dot orders keyfold follows only for some
 * sizes) holds in every file: the ulps measured when it was generated.
 *
 * At the end each file gets a table on stdout: per operation (per sampler for
 * the distributions) and mode, the elements compared, the fraction
 * bit-identical and the largest ulp distance.
 */
#include <check.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

#define MAX_FILES 8
#define MAX_OPS 96

typedef struct {
  char op[40];
  int mode;
  uint64_t elems, same, max_ulp, cases, failed;
} tally;

static json_t *g_files[MAX_FILES];
static char g_names[MAX_FILES][512];
static size_t g_nfiles;
static tally g_tally[MAX_FILES][MAX_OPS];

/* Case index i across all files: (file, case). */
static size_t g_case_file[1 << 20];
static size_t g_case_idx[1 << 20];
static size_t g_ncases;

static void load(void) {
  const char *env = getenv("KEYFOLD_ORACLE");
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", env && *env ? env : "tests/vectors/jax-oracle-flax-0.10.json");
  for (char *save = NULL, *p = strtok_r(buf, ":", &save); p && g_nfiles < MAX_FILES;
       p = strtok_r(NULL, ":", &save)) {
    json_error_t err;
    json_t *root = json_load_file(p, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
      fprintf(stderr, "test_oracle: cannot load %s: %s (line %d)\n", p, err.text, err.line);
      exit(2);
    }
    snprintf(g_names[g_nfiles], sizeof g_names[0], "%s", p);
    const json_t *cs = json_object_get(root, "cases");
    for (size_t i = 0; i < json_array_size(cs) && g_ncases < (1u << 20); i++) {
      g_case_file[g_ncases] = g_nfiles;
      g_case_idx[g_ncases++] = i;
    }
    g_files[g_nfiles++] = root;
  }
}

/* ---- decoding ------------------------------------------------------------ */

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* The expect hex of `res` ({dtype, shape, expect}) into a new buffer. */
static unsigned char *expect_bytes(const json_t *res, size_t *nbytes) {
  const char *h = json_string_value(json_object_get(res, "expect"));
  ck_assert_ptr_nonnull(h);
  size_t len = strlen(h);
  ck_assert_uint_eq(len % 2, 0);
  unsigned char *b = malloc(len / 2 + 1);
  ck_assert_ptr_nonnull(b);
  for (size_t i = 0; i < len / 2; i++) {
    int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
    ck_assert(hi >= 0 && lo >= 0);
    b[i] = (unsigned char)(hi << 4 | lo);
  }
  *nbytes = len / 2;
  return b;
}

static size_t numel(const json_t *shape, kf_shape *ks) {
  size_t n = 1;
  if (ks) ks->rank = (int)json_array_size(shape);
  for (size_t i = 0; i < json_array_size(shape); i++) {
    json_int_t d = json_integer_value(json_array_get(shape, i));
    n *= (size_t)d;
    if (ks) ks->dim[i] = d;
  }
  return n;
}

static size_t dtype_size(const char *dt) {
  if (!strcmp(dt, "uint8") || !strcmp(dt, "bool")) return 1;
  if (!strcmp(dt, "uint16")) return 2;
  if (!strcmp(dt, "uint64") || !strcmp(dt, "int64")) return 8;
  return 4;
}

static uint64_t ord32(uint32_t b) {
  return (b & 0x80000000u) ? 0x80000000u - (uint64_t)(b & 0x7fffffffu) : 0x80000000u + (uint64_t)b;
}

static kf_key get_key(const json_t *v) {
  return kf_key_from_data((uint32_t)json_integer_value(json_array_get(v, 0)),
                          (uint32_t)json_integer_value(json_array_get(v, 1)));
}

static double num(const json_t *o, const char *name, double dflt) {
  const json_t *v = json_object_get(o, name);
  const char *s = json_string_value(v); /* JSON has no infinities */
  if (s && !strcmp(s, "inf")) return INFINITY;
  if (s && !strcmp(s, "-inf")) return -INFINITY;
  return json_is_number(v) ? json_number_value(v) : dflt;
}

/* ---- comparison ---------------------------------------------------------- */

typedef struct {
  int report;       /* 'report': never fail */
  int64_t ulps;     /* -1: exact */
  double identical; /* measured fraction (informational) */
} tolerance;

/* keyfold computes float32 log1p as jaxlib 0.10.2 does (lib/src/xla_math.c:
 * equal on every float32). A file printed by that jaxlib must therefore match
 * bit for bit on the log1p-dependent cases too, whatever tolerance it records
 * (one measured against a keyfold that used glibc's log1pf allowed up to 4
 * ulps). A file of another jaxlib keeps its measured tolerance, but never
 * below LOG1P_OTHER_ULPS: jaxlib 0.6.2 fuses one more product into log1p's
 * rational branch (1 ulp on 0.43% of normal()'s log1p arguments), which moves
 * about 0.03% of normal samples by up to 3 ulps (docs/testing.md "log1p";
 * all 2^23 normal inputs checked), so a file measured against glibc's log1pf
 * may record less than keyfold now differs by. */
#define LOG1P_JAXLIB "0.10.2"
#define LOG1P_OTHER_ULPS 3

static tolerance get_tol(const json_t *c, const char *jaxlib) {
  tolerance t = {0, -1, 1.0};
  const json_t *v = json_object_get(c, "tolerance");
  if (json_is_string(v)) {
    if (!strcmp(json_string_value(v), "report")) t.report = 1;
    else ck_assert_str_eq(json_string_value(v), "exact");
  } else {
    const json_t *u = json_object_get(v, "ulps");
    ck_assert_msg(json_is_integer(u), "%s: tolerance without a measured ulps (generate with --keyfold)",
                  json_string_value(json_object_get(c, "id")));
    t.ulps = json_integer_value(u);
    t.identical = num(v, "identical", 1.0);
    ck_assert_msg(json_is_string(json_object_get(v, "reason")), "tolerance without a reason");
    const char *cause = json_string_value(json_object_get(v, "cause"));
    if (cause && !strcmp(cause, "sample")) {
      /* a distribution's case keyfold is known not to reproduce exactly (another jaxlib, a
       * partly broadcast parameter): the ulps measured when the file was generated */
    } else if (jaxlib && !strcmp(jaxlib, LOG1P_JAXLIB)) {
      t.ulps = -1;
      t.identical = 1.0;
    } else if (t.ulps < LOG1P_OTHER_ULPS) {
      t.ulps = LOG1P_OTHER_ULPS;
    }
  }
  return t;
}

static tally *tally_for(size_t f, const char *op, int mode) {
  for (int i = 0; i < MAX_OPS; i++) {
    tally *t = &g_tally[f][i];
    if (t->op[0] == 0) {
      snprintf(t->op, sizeof t->op, "%s", op);
      t->mode = mode;
      return t;
    }
    if (!strcmp(t->op, op) && t->mode == mode) return t;
  }
  return &g_tally[f][MAX_OPS - 1];
}

/* Compares `got` (same dtype and layout as the case's result) and counts.
 * Returns the number of elements outside the tolerance. */
static uint64_t compare(const json_t *res, const void *got, tolerance tol, tally *ta,
                        const char *id, const char *what) {
  const char *dt = json_string_value(json_object_get(res, "dtype"));
  ck_assert_ptr_nonnull(dt);
  size_t n = numel(json_object_get(res, "shape"), NULL), es = dtype_size(dt), nb;
  unsigned char *want = expect_bytes(res, &nb);
  ck_assert_msg(nb == n * es, "%s %s: %zu bytes of expect for %zu elements of %s", id, what, nb, n, dt);
  int is_f32 = !strcmp(dt, "float32");
  uint64_t bad = 0, same = 0, maxd = 0;
  size_t first = (size_t)-1;
  for (size_t i = 0; i < n; i++) {
    uint64_t d;
    if (is_f32) {
      uint32_t a, b;
      memcpy(&a, want + 4 * i, 4);
      memcpy(&b, (const unsigned char *)got + 4 * i, 4);
      d = a == b ? 0 : ord32(a) > ord32(b) ? ord32(a) - ord32(b) : ord32(b) - ord32(a);
      if (a != b && d == 0) d = 1; /* +0 / -0: same point, not the same bits */
    } else {
      d = memcmp(want + es * i, (const unsigned char *)got + es * i, es) != 0;
    }
    same += d == 0;
    if (d > maxd) maxd = d;
    int ok = d == 0 || (is_f32 && tol.ulps >= 0 && d <= (uint64_t)tol.ulps) || tol.report;
    if (!ok && bad++ == 0) first = i;
  }
  ta->elems += n;
  ta->same += same;
  if (maxd > ta->max_ulp) ta->max_ulp = maxd;
  if (bad && first != (size_t)-1)
    fprintf(stderr, "%s %s: %" PRIu64 " of %zu elements outside the tolerance, first at %zu, max distance %" PRIu64 "\n",
            id, what, bad, n, first, maxd);
  free(want);
  return bad;
}

/* ---- running a case ------------------------------------------------------ */

static kf_flax_era era_of(const json_t *c) {
  const char *era = json_string_value(json_object_get(c, "era"));
  return era && strcmp(era, "flax-0.10") != 0 ? KF_FLAX_0_11 : KF_FLAX_0_10;
}

/* A seed (int) or raw key data [hi, lo]. */
static kf_key seed_or_key(const json_t *v) {
  return json_is_array(v) ? get_key(v) : kf_key_from_seed(json_integer_value(v), 0);
}

/* Adds (or, with reseed, reseeds) one stream per member of `seeds`: key(seed). */
static void seed_streams(kf_rngs *r, const json_t *seeds, int reseed) {
  const char *name;
  json_t *v;
  json_object_foreach((json_t *)seeds, name, v) {
    kf_key k = seed_or_key(v);
    ck_assert_int_eq(reseed ? kf_rngs_reseed(r, name, k) : kf_rngs_add_stream(r, name, k, 0), KF_OK);
  }
}

static uint64_t run_rngs(const json_t *c, const json_t *a, kf_threefry_mode mode, tally *ta,
                         const char *id) {
  kf_rngs *r;
  ck_assert_int_eq(kf_rngs_new_era(mode, era_of(c), &r), KF_OK);
  seed_streams(r, json_object_get(a, "streams"), 0);
  const json_t *calls = json_object_get(a, "calls");
  uint32_t *got = calloc(2 * json_array_size(calls) + 2, 4);
  size_t k = 0;
  for (size_t i = 0; i < json_array_size(calls); i++) {
    const json_t *call = json_array_get(calls, i);
    if (json_is_object(call)) {
      seed_streams(r, json_object_get(call, "reseed"), 1);
      continue;
    }
    kf_key key;
    ck_assert_int_eq(kf_rngs_draw(r, json_string_value(call), 1, &key, NULL, NULL), KF_OK);
    got[k++] = key.hi;
    got[k++] = key.lo;
  }
  tolerance exact = {0, -1, 1};
  uint64_t bad = compare(c, got, exact, ta, id, "keys");
  free(got);
  kf_rngs_free(r);
  return bad;
}

/* nnx.reseed(model, **seeds): in 0.10 the model holds the Rngs, so it is
 * the Rngs' reseed; in 0.11+ the model's own streams. */
static void reseed_model(kf_model *m, kf_rngs *r, const json_t *seeds) {
  if (kf_model_era(m) == KF_FLAX_0_10) {
    seed_streams(r, seeds, 1);
    return;
  }
  const char *name;
  json_t *v;
  json_object_foreach((json_t *)seeds, name, v) ck_assert_int_eq(kf_model_reseed(m, name, seed_or_key(v), NULL), KF_OK);
}

static uint64_t run_model(const json_t *c, const json_t *a, kf_threefry_mode mode, tally *ta,
                          const char *id, tolerance tol) {
  kf_rngs *r;
  ck_assert_int_eq(kf_rngs_new_era(mode, era_of(c), &r), KF_OK);
  seed_streams(r, json_object_get(a, "rngs"), 0);
  kf_layer_spec layers[2];
  ck_assert_int_eq(kf_layer_spec_make(KF_LAYER_LINEAR, &layers[0]), KF_OK);
  layers[0].in_features = 2;
  layers[0].out_features = 3;
  ck_assert_int_eq(kf_layer_spec_make(KF_LAYER_DROPOUT, &layers[1]), KF_OK);
  layers[1].rate = 0.5;
  kf_model *m = NULL;
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  ck_assert_int_eq(kf_model_new(layers, 2, r, &m, &diag), KF_OK);
  uint64_t bad = 0;
  static const char *pnames[2] = {"kernel", "bias"};
  for (size_t j = 0; j < 2; j++) {
    const char *pn;
    kf_tensor view;
    ck_assert_int_eq(kf_model_param(m, 0, j, &pn, &view), KF_OK);
    ck_assert_str_eq(pn, pnames[j]);
    bad += compare(json_object_get(c, pnames[j]), view.data, tol, ta, id, pnames[j]);
  }
  const json_t *inputs = json_object_get(a, "inputs"), *script = json_object_get(a, "script");
  size_t o = 0;
  for (size_t i = 0; i < json_array_size(script); i++) {
    const json_t *step = json_array_get(script, i);
    if (json_is_object(step)) {
      reseed_model(m, r, json_object_get(step, "reseed"));
      continue;
    }
    const json_t *x = json_object_get(inputs, json_string_value(step));
    size_t rows = json_array_size(x);
    float xs[64], ys[64];
    ck_assert(rows * 2 <= 64);
    for (size_t p = 0; p < rows; p++)
      for (size_t q = 0; q < 2; q++) xs[2 * p + q] = (float)json_number_value(json_array_get(json_array_get(x, p), q));
    kf_tensor xt = {KF_FLOAT32, {2, {(int64_t)rows, 2}}, xs};
    kf_tensor yt = {KF_FLOAT32, {0, {0}}, ys};
    ck_assert_int_eq(kf_model_forward(m, r, &xt, KF_DET_FALSE, &yt, &diag), KF_OK);
    char what[32];
    snprintf(what, sizeof what, "output %zu", o);
    bad += compare(json_array_get(json_object_get(c, "outputs"), o++), ys, tol, ta, id, what);
  }
  ck_assert_uint_eq(o, json_array_size(json_object_get(c, "outputs")));
  kf_model_free(m);
  kf_rngs_free(r);
  return bad;
}

/* ---- flax_session: an Rngs, a model and a script ------------------------- */

#define SESSION_MAX_LAYERS 32
#define SESSION_MAX_ELEMS 256

/* A keyfold layer object of the case into *out. */
static void layer_of(const json_t *v, kf_layer_spec *out) {
  kf_layer_type type;
  ck_assert_int_eq(kf_layer_type_from_name(json_string_value(json_object_get(v, "type")), &type), KF_OK);
  ck_assert_int_eq(kf_layer_spec_make(type, out), KF_OK);
  out->in_features = (int64_t)num(v, "in_features", 0);
  out->out_features = (int64_t)num(v, "out_features", 0);
  out->num_embeddings = (int64_t)num(v, "num_embeddings", 0);
  out->features = (int64_t)num(v, "features", 0);
  out->rate = num(v, "rate", 0);
  if (json_object_get(v, "use_bias")) out->use_bias = json_is_true(json_object_get(v, "use_bias"));
  if (json_object_get(v, "deterministic")) out->deterministic = json_is_true(json_object_get(v, "deterministic"));
  const char *rc = json_string_value(json_object_get(v, "rng_collection"));
  if (rc) snprintf(out->rng_collection, sizeof out->rng_collection, "%s", rc);
  const json_t *dims = json_object_get(v, "broadcast_dims");
  out->n_broadcast_dims = (int)json_array_size(dims);
  for (size_t i = 0; i < json_array_size(dims); i++)
    out->broadcast_dims[i] = (int)json_integer_value(json_array_get(dims, i));
}

/* Flattens a nested list of numbers into out (float32 or int32), its shape into *shape. */
static size_t flatten(const json_t *v, kf_dtype dtype, void *out, size_t at, kf_shape *shape, int depth) {
  if (!json_is_array(v)) {
    ck_assert(at < SESSION_MAX_ELEMS);
    if (dtype == KF_INT32)
      ((int32_t *)out)[at] = (int32_t)json_integer_value(v);
    else
      ((float *)out)[at] = (float)json_number_value(v);
    if (depth > shape->rank) shape->rank = depth;
    return at + 1;
  }
  ck_assert(depth < KF_MAX_RANK);
  shape->dim[depth] = (int64_t)json_array_size(v);
  if (depth + 1 > shape->rank) shape->rank = depth + 1;
  for (size_t i = 0; i < json_array_size(v); i++) at = flatten(json_array_get(v, i), dtype, out, at, shape, depth + 1);
  return at;
}

static int same_key(const json_t *want, kf_key got) {
  return (uint32_t)json_integer_value(json_array_get(want, 0)) == got.hi &&
         (uint32_t)json_integer_value(json_array_get(want, 1)) == got.lo;
}

/* Compares the Rngs' streams (in order) and, in 0.11+, the model's with a
 * STATE object {rngs: [{name, key, count}], model: [{path, tag, key, count}]}.
 * Flax 0.10's model lists the shared Rngs itself, which keyfold keeps as
 * the Rngs: there the model must hold no stream. Returns the mismatches. */
static uint64_t check_state(const kf_rngs *r, const kf_model *m, const json_t *state, const char *id,
                            const char *where) {
  uint64_t bad = 0;
  const json_t *rs = json_object_get(state, "rngs");
  if (json_array_size(rs) != kf_rngs_stream_count(r)) bad++;
  for (size_t i = 0; !bad && i < json_array_size(rs); i++) {
    const json_t *w = json_array_get(rs, i);
    kf_stream_state st;
    kf_rngs_stream_at(r, i, &st);
    bad += strcmp(st.name, json_string_value(json_object_get(w, "name"))) != 0 ||
           !same_key(json_object_get(w, "key"), st.key) ||
           st.count != (uint32_t)json_integer_value(json_object_get(w, "count"));
  }
  const json_t *ms = json_object_get(state, "model");
  const size_t held = kf_model_stream_count(m);
  if (kf_model_era(m) == KF_FLAX_0_10) {
    bad += held != 0;
  } else {
    if (json_array_size(ms) != held) bad++;
    for (size_t i = 0; held == json_array_size(ms) && i < held; i++) {
      const json_t *w = json_array_get(ms, i);
      kf_model_stream h;
      kf_model_stream_at(m, i, &h);
      char path[64];
      snprintf(path, sizeof path, "layers.%zu.rngs", h.layer);
      bad += strcmp(path, json_string_value(json_object_get(w, "path"))) != 0 ||
             strcmp(h.state.name, json_string_value(json_object_get(w, "tag"))) != 0 ||
             !same_key(json_object_get(w, "key"), h.state.key) ||
             h.state.count != (uint32_t)json_integer_value(json_object_get(w, "count"));
    }
  }
  if (bad) fprintf(stderr, "%s %s: the streams differ from Flax's\n", id, where);
  return bad;
}

/* One reseed step: nnx.reseed on the target(s), model first (api.md 1.1). A
 * tag that reaches no stream of the target is what keyfold's API refuses
 * (keyfold_rejects); Flax ignores it, and so does the library. */
static void reseed_step(kf_model *m, kf_rngs *r, const json_t *step) {
  const char *target = json_string_value(json_object_get(step, "target"));
  const json_t *seeds = json_object_get(step, "reseed");
  const int model = !target || strcmp(target, "rngs") != 0;
  const int rngs = !target || strcmp(target, "model") != 0;
  const char *name;
  json_t *v;
  if (kf_model_era(m) == KF_FLAX_0_10) {
    /* The model holds the Rngs: every target is one reseed of it. */
    json_object_foreach((json_t *)seeds, name, v) kf_rngs_reseed(r, name, seed_or_key(v));
    return;
  }
  if (model) json_object_foreach((json_t *)seeds, name, v) kf_model_reseed(m, name, seed_or_key(v), NULL);
  if (rngs) json_object_foreach((json_t *)seeds, name, v) kf_rngs_reseed(r, name, seed_or_key(v));
}

static uint64_t run_session(const json_t *c, const json_t *a, kf_threefry_mode mode, tally *ta,
                            const char *id) {
  const json_t *exp = json_object_get(c, "expect");
  kf_rngs *r;
  ck_assert_int_eq(kf_rngs_new_era(mode, era_of(c), &r), KF_OK);
  /* nnx.Rngs order: keyword streams as given, 'default' last. */
  const json_t *seeds = json_object_get(a, "rngs");
  const char *name;
  json_t *v;
  json_object_foreach((json_t *)seeds, name, v)
    if (strcmp(name, "default") != 0) ck_assert_int_eq(kf_rngs_add_stream(r, name, seed_or_key(v), 0), KF_OK);
  if (json_object_get(seeds, "default"))
    ck_assert_int_eq(kf_rngs_add_stream(r, "default", seed_or_key(json_object_get(seeds, "default")), 0), KF_OK);
  const json_t *ls = json_object_get(a, "layers");
  const size_t n_layers = json_array_size(ls);
  ck_assert(n_layers <= SESSION_MAX_LAYERS);
  kf_layer_spec layers[SESSION_MAX_LAYERS];
  for (size_t i = 0; i < n_layers; i++) layer_of(json_array_get(ls, i), &layers[i]);
  kf_model *m = NULL;
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  ck_assert_int_eq(kf_model_new(layers, n_layers, r, &m, &diag), KF_OK);
  const tolerance exact = {0, -1, 1.0};
  uint64_t bad = check_state(r, m, json_object_get(exp, "built"), id, "built");
  const json_t *params = json_object_get(exp, "params");
  size_t n_params = 0;
  for (size_t i = 0; i < n_layers; i++) {
    for (size_t j = 0; j < kf_model_param_count(m, i); j++) {
      const char *pn;
      kf_tensor view;
      char path[64];
      ck_assert_int_eq(kf_model_param(m, i, j, &pn, &view), KF_OK);
      snprintf(path, sizeof path, "layers.%zu.%s", i, pn);
      const json_t *want = NULL;
      for (size_t k = 0; k < json_array_size(params); k++)
        if (!strcmp(json_string_value(json_object_get(json_array_get(params, k), "path")), path))
          want = json_object_get(json_array_get(params, k), "value");
      ck_assert_msg(want != NULL, "%s: Flax has no parameter %s", id, path);
      bad += compare(want, view.data, exact, ta, id, path);
      n_params++;
    }
  }
  ck_assert_uint_eq(n_params, json_array_size(params));
  const json_t *steps = json_object_get(a, "steps"), *wants = json_object_get(exp, "steps");
  ck_assert_uint_eq(json_array_size(steps), json_array_size(wants));
  for (size_t i = 0; i < json_array_size(steps); i++) {
    const json_t *step = json_array_get(steps, i), *want = json_array_get(wants, i);
    char where[32];
    snprintf(where, sizeof where, "step %zu", i);
    if (json_object_get(step, "forward")) {
      float xs[SESSION_MAX_ELEMS], ys[SESSION_MAX_ELEMS];
      kf_tensor x = {kf_model_input_dtype(m), {0, {0}}, xs};
      const json_t *in = json_object_get(json_object_get(a, "inputs"), json_string_value(json_object_get(step, "forward")));
      flatten(in, x.dtype, xs, 0, &x.shape, 0);
      const json_t *d = json_object_get(step, "deterministic");
      const kf_deterministic det = json_is_null(d) ? KF_DET_LAYER : json_is_true(d) ? KF_DET_TRUE : KF_DET_FALSE;
      kf_tensor y = {KF_FLOAT32, {0, {0}}, ys};
      kf_shape out;
      ck_assert_int_eq(kf_model_output_shape(m, &x.shape, x.dtype, &out, NULL), KF_OK);
      size_t n_out = 0;
      kf_shape_numel(&out, &n_out);
      ck_assert(n_out <= SESSION_MAX_ELEMS);
      ck_assert_msg(kf_model_forward(m, r, &x, det, &y, &diag) == KF_OK, "%s %s", id, where);
      bad += compare(json_object_get(want, "y"), ys, exact, ta, id, where);
    } else if (json_object_get(step, "reseed")) {
      reseed_step(m, r, step);
    } else if (json_object_get(step, "draw")) {
      const json_t *dn = json_object_get(step, "draw");
      kf_key key;
      ck_assert_int_eq(kf_rngs_draw(r, json_is_null(dn) ? NULL : json_string_value(dn), 1, &key, NULL, NULL), KF_OK);
      bad += !same_key(json_object_get(want, "key"), key);
    } else if (json_object_get(step, "fork")) {
      /* RngStream.fork() of the listed streams (null: every one). */
      const json_t *list = json_object_get(step, "fork"), *child = json_object_get(want, "child");
      const size_t n = json_is_null(list) ? kf_rngs_stream_count(r) : json_array_size(list);
      ck_assert_uint_eq(n, json_array_size(child));
      for (size_t k = 0; k < n; k++) {
        kf_stream_state st;
        if (json_is_null(list))
          kf_rngs_stream_at(r, k, &st);
        else
          ck_assert(kf_rngs_has_stream(r, json_string_value(json_array_get(list, k)), &st));
        kf_key next;
        ck_assert_int_eq(kf_rngs_draw(r, st.name, 1, &next, NULL, NULL), KF_OK);
        const json_t *cw = json_array_get(child, k);
        bad += strcmp(st.name, json_string_value(json_object_get(cw, "name"))) != 0 ||
               !same_key(json_object_get(cw, "key"), next) || json_integer_value(json_object_get(cw, "count")) != 0;
      }
    } else {
      ck_abort_msg("%s: unknown step %zu", id, i);
    }
    bad += check_state(r, m, json_object_get(want, "state"), id, where);
  }
  kf_model_free(m);
  kf_rngs_free(r);
  return bad;
}

/* An activation case: x (hex float32) through a model of that one layer. */
static uint64_t run_activation(const json_t *c, const json_t *a, tally *ta, const char *id,
                               tolerance tol) {
  kf_layer_type type;
  ck_assert_int_eq(kf_layer_type_from_name(json_string_value(json_object_get(a, "name")), &type), KF_OK);
  json_t *xres = json_pack("{s:O}", "expect", json_object_get(a, "x"));
  size_t nbytes;
  float *x = (float *)expect_bytes(xres, &nbytes); /* x's bytes, decoded as expect's are */
  json_decref(xres);
  const size_t n = nbytes / 4;
  ck_assert_uint_eq(n, numel(json_object_get(c, "shape"), NULL));
  float *y = malloc((n ? n : 1) * sizeof *y);
  ck_assert_ptr_nonnull(y);
  kf_rngs *r;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_PARTITIONABLE, &r), KF_OK);
  kf_layer_spec spec;
  ck_assert_int_eq(kf_layer_spec_make(type, &spec), KF_OK);
  kf_model *m;
  ck_assert_int_eq(kf_model_new(&spec, 1, r, &m, NULL), KF_OK);
  kf_tensor xt = {KF_FLOAT32, {1, {(int64_t)n}}, x}, yt = {KF_FLOAT32, {0, {0}}, y};
  ck_assert_int_eq(kf_model_forward(m, r, &xt, KF_DET_TRUE, &yt, NULL), KF_OK);
  const uint64_t bad = compare(c, y, tol, ta, id, "result");
  kf_model_free(m);
  kf_rngs_free(r);
  free(x);
  free(y);
  return bad;
}

/* ---- sample: the distributions -------------------------------------------- */

/* A float parameter value: a number or "nan", "inf", "-inf". */
static float param_number(const json_t *v) {
  const char *s = json_string_value(v);
  if (s) {
    if (!strcmp(s, "nan")) return NAN;
    if (!strcmp(s, "inf")) return INFINITY;
    ck_assert_str_eq(s, "-inf");
    return -INFINITY;
  }
  ck_assert(json_is_number(v));
  return (float)json_number_value(v);
}

/* A parameter under keyfold's (p, p_n) convention: one value (a scalar, or an
 * array of one element) or one per element of the output, an array of
 * another shape broadcast to the output's as numpy does (right-aligned). */
static float *param_values(const json_t *v, const json_t *out_shape, size_t n, size_t *p_n) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  ck_assert_ptr_nonnull(p);
  if (!json_is_object(v)) {
    p[0] = param_number(v);
    *p_n = 1;
    return p;
  }
  const json_t *shape = json_object_get(v, "shape"), *vals = json_object_get(v, "values");
  const size_t count = json_array_size(vals), rank = json_array_size(out_shape),
               prank = json_array_size(shape);
  ck_assert_uint_eq(count, numel(shape, NULL));
  if (count == 1) {
    p[0] = param_number(json_array_get(vals, 0));
    *p_n = 1;
    return p;
  }
  ck_assert(prank <= rank);
  for (size_t i = 0; i < n; i++) {
    size_t rest = i, at = 0, stride = 1;
    for (size_t k = rank; k-- > 0;) {
      const size_t d = (size_t)json_integer_value(json_array_get(out_shape, k));
      const size_t idx = rest % d;
      rest /= d;
      if (k + prank >= rank) {
        const size_t pd = (size_t)json_integer_value(json_array_get(shape, k + prank - rank));
        ck_assert(pd == 1 || pd == d);
        at += (pd == 1 ? 0 : idx) * stride;
        stride *= pd;
      }
    }
    p[i] = param_number(json_array_get(vals, at));
  }
  *p_n = n;
  return p;
}

/* categorical, choice, multinomial (discrete.c): a logit or probability
 * vector (an array parameter of its own shape, not broadcast) with a batch
 * shape; axis, replace, a and the gumbel mode as the case gives them. */
static float *vector_param(const json_t *v, size_t *count, const json_t **shape) {
  *shape = json_object_get(v, "shape");
  const json_t *vals = json_object_get(v, "values");
  *count = json_is_object(v) ? json_array_size(vals) : 1;
  float *p = malloc((*count ? *count : 1) * sizeof *p);
  ck_assert_ptr_nonnull(p);
  if (!json_is_object(v)) p[0] = param_number(v);
  for (size_t i = 0; json_is_object(v) && i < *count; i++) p[i] = param_number(json_array_get(vals, i));
  return p;
}

static int run_vector_sample(const json_t *c, const json_t *a, kf_key key, kf_threefry_mode mode,
                             size_t n, void *got) {
  const char *sampler = json_string_value(json_object_get(a, "sampler"));
  const json_t *params = json_object_get(a, "params"), *out_shape = json_object_get(c, "shape");
  kf_gumbel_mode gm = KF_GUMBEL_LOW;
  const char *m = json_string_value(json_object_get(params, "mode"));
  if (m) ck_assert_int_eq(kf_gumbel_mode_from_name(m, &gm), KF_OK);
  const json_t *rep = json_object_get(params, "replace");
  const int replace = rep ? json_is_true(rep) : 1;
  const json_t *pshape = NULL;
  size_t pn = 0;
  int rc;
  if (!strcmp(sampler, "categorical")) {
    float *lg = vector_param(json_object_get(params, "logits"), &pn, &pshape);
    const size_t rank = json_array_size(pshape);
    const json_t *ax = json_object_get(params, "axis");
    const size_t axis = (size_t)(((ax ? json_integer_value(ax) : -1) + (json_int_t)rank) % (json_int_t)rank);
    size_t outer = 1, inner = 1;
    for (size_t d = 0; d < rank; d++) {
      const size_t dim = (size_t)json_integer_value(json_array_get(pshape, d));
      if (d < axis) outer *= dim;
      if (d > axis) inner *= dim;
    }
    const size_t k = (size_t)json_integer_value(json_array_get(pshape, axis));
    rc = kf_random_categorical(key, mode, lg, outer, k, inner, n / (outer * inner), replace, gm, got);
    free(lg);
  } else if (!strcmp(sampler, "choice")) {
    float *p = NULL;
    if (json_object_get(params, "p")) p = vector_param(json_object_get(params, "p"), &pn, &pshape);
    rc = kf_random_choice(key, mode, (size_t)json_integer_value(json_object_get(params, "a")), n, replace,
                          p, gm, got);
    free(p);
  } else {
    const size_t k = (size_t)json_integer_value(json_array_get(out_shape, json_array_size(out_shape) - 1));
    float *p = vector_param(json_object_get(params, "p"), &pn, &pshape);
    size_t cn = 0;
    const json_t *cshape;
    float *cnt = vector_param(json_object_get(params, "n"), &cn, &cshape);
    ck_assert(pn == k || pn == n);
    ck_assert(cn == 1 || cn == n / k);
    rc = kf_random_multinomial(key, mode, n / k, k, cnt, cn, p, pn, got);
    free(p);
    free(cnt);
  }
  return rc;
}

/* numpy's broadcast of v (shape vshape) to the shape dims[0..rank): a new
 * array of count values (malloc'd). */
static float *broadcast_values(const float *v, const json_t *vshape, const int64_t *dims, size_t rank,
                               size_t count) {
  float *out = malloc((count ? count : 1) * sizeof *out);
  ck_assert_ptr_nonnull(out);
  const size_t vrank = json_array_size(vshape);
  ck_assert(vrank <= rank);
  for (size_t i = 0; i < count; i++) {
    size_t rest = i, at = 0, stride = 1;
    for (size_t k = rank; k-- > 0;) {
      const size_t idx = rest % (size_t)dims[k];
      rest /= (size_t)dims[k];
      if (k + vrank >= rank) {
        const size_t vd = (size_t)json_integer_value(json_array_get(vshape, k + vrank - rank));
        ck_assert(vd == 1 || vd == (size_t)dims[k]);
        at += (vd == 1 ? 0 : idx) * stride;
        stride *= vd;
      }
    }
    out[i] = v[at];
  }
  return out;
}

/* multivariate_normal (mean and cov broadcast to the batch shape unless one
 * row or one matrix serves every batch row) and orthogonal (linalg.c). */
static int run_linalg_sample(const json_t *c, const json_t *a, kf_key key, kf_threefry_mode mode,
                             size_t n, void *got) {
  const char *sampler = json_string_value(json_object_get(a, "sampler"));
  const json_t *params = json_object_get(a, "params"), *out_shape = json_object_get(c, "shape");
  const size_t rank = json_array_size(out_shape);
  int64_t dims[KF_MAX_RANK + 1];
  for (size_t d = 0; d < rank; d++) dims[d] = json_integer_value(json_array_get(out_shape, d));
  if (!strcmp(sampler, "orthogonal")) {
    ck_assert_uint_ge(rank, 2);
    size_t batch = 1;
    for (size_t d = 0; d + 2 < rank; d++) batch *= (size_t)dims[d];
    return kf_random_orthogonal(key, mode, batch, (size_t)dims[rank - 2], (size_t)dims[rank - 1], got);
  }
  const size_t d = (size_t)dims[rank - 1], batch = d ? n / d : 0;
  const json_t *mshape, *cshape;
  size_t mn = 0, cn = 0;
  float *mean = vector_param(json_object_get(params, "mean"), &mn, &mshape);
  float *cov = vector_param(json_object_get(params, "cov"), &cn, &cshape);
  if (mn != d) {
    float *b = broadcast_values(mean, mshape, dims, rank, n);
    free(mean);
    mean = b;
    mn = n;
  }
  if (cn != d * d) {
    dims[rank] = (int64_t)d; /* batch + (d, d) */
    float *b = broadcast_values(cov, cshape, dims, rank + 1, n * d);
    free(cov);
    cov = b;
    cn = n * d;
  }
  const json_t *m = json_object_get(params, "method");
  kf_mvn_method method = KF_MVN_CHOLESKY;
  if (m) ck_assert_int_eq(kf_mvn_method_from_name(json_string_value(m), &method), KF_OK);
  const int rc = kf_random_multivariate_normal(key, mode, method, batch, d, mean, mn, cov, cn, got);
  free(mean);
  free(cov);
  return rc;
}

static int run_sample(const json_t *c, const json_t *a, kf_key key, kf_threefry_mode mode, size_t n,
                      const char *jaxlib, void *got) {
  /* The gamma family's rsqrt as the case's jaxlib computes it on the Intel CPU the cases were
   * generated on: the hardware estimate + Newton steps from jaxlib 0.7.1 on, 1 / sqrtf before. */
  int maj = 0, min = 0, pat = 0;
  sscanf(jaxlib ? jaxlib : "0.10.2", "%d.%d.%d", &maj, &min, &pat);
  const kf_rsqrt_mode rm = (maj > 0 || min > 7 || (min == 7 && pat >= 1)) ? KF_RSQRT_INTEL_NR2
                                                                          : KF_RSQRT_SQRT_DIV;
  const char *sampler = json_string_value(json_object_get(a, "sampler"));
  const json_t *params = json_object_get(a, "params"), *shape = json_object_get(c, "shape");
  static const struct {
    const char *name;
    const char *params[3];
  } table[] = {
    {"pareto", {"b"}},
    {"weibull_min", {"scale", "concentration"}},
    {"rayleigh", {"scale"}},
    {"geometric", {"p"}},
    {"triangular", {"left", "mode", "right"}},
    {"lognormal", {"sigma"}},
    {"double_sided_maxwell", {"loc", "scale"}},
    {"gamma", {"a"}},
    {"loggamma", {"a"}},
    {"beta", {"a", "b"}},
    {"chisquare", {"df"}},
    {"t", {"df"}},
    {"f", {"dfnum", "dfden"}},
    {"generalized_normal", {"p"}},
    {"wald", {"mean"}},
    {"poisson", {"lam"}},
    {"binomial", {"n", "p"}},
  };
  float *p[3] = {NULL, NULL, NULL};
  size_t pn[3] = {0, 0, 0};
  for (size_t t = 0; t < sizeof table / sizeof table[0]; t++) {
    if (strcmp(table[t].name, sampler) != 0) continue;
    for (int j = 0; j < 3 && table[t].params[j]; j++) {
      const json_t *v = json_object_get(params, table[t].params[j]);
      ck_assert_msg(v != NULL, "%s: no parameter %s", sampler, table[t].params[j]);
      p[j] = param_values(v, shape, n, &pn[j]);
    }
  }
  int rc;
  if (!strcmp(sampler, "exponential")) {
    rc = kf_random_exponential(key, mode, n, got);
  } else if (!strcmp(sampler, "gumbel")) {
    kf_gumbel_mode gm = KF_GUMBEL_LOW;
    const char *m = json_string_value(json_object_get(params, "mode"));
    if (m) ck_assert_int_eq(kf_gumbel_mode_from_name(m, &gm), KF_OK);
    rc = kf_random_gumbel(key, mode, n, gm, got);
  } else if (!strcmp(sampler, "laplace")) {
    rc = kf_random_laplace(key, mode, n, got);
  } else if (!strcmp(sampler, "logistic")) {
    rc = kf_random_logistic(key, mode, n, got);
  } else if (!strcmp(sampler, "cauchy")) {
    rc = kf_random_cauchy(key, mode, n, got);
  } else if (!strcmp(sampler, "pareto")) {
    rc = kf_random_pareto(key, mode, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "weibull_min")) {
    rc = kf_random_weibull_min(key, mode, n, p[0], pn[0], p[1], pn[1], got);
  } else if (!strcmp(sampler, "rayleigh")) {
    rc = kf_random_rayleigh(key, mode, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "geometric")) {
    rc = kf_random_geometric(key, mode, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "triangular")) {
    rc = kf_random_triangular(key, mode, n, p[0], pn[0], p[1], pn[1], p[2], pn[2], got);
  } else if (!strcmp(sampler, "lognormal")) {
    rc = kf_random_lognormal(key, mode, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "maxwell")) {
    rc = kf_random_maxwell(key, mode, n, got);
  } else if (!strcmp(sampler, "double_sided_maxwell")) {
    rc = kf_random_double_sided_maxwell(key, mode, n, p[0], pn[0], p[1], pn[1], got);
  } else if (!strcmp(sampler, "rademacher")) {
    rc = kf_random_rademacher(key, mode, n, got);
  } else if (!strcmp(sampler, "gamma")) {
    rc = kf_random_gamma(key, mode, rm, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "loggamma")) {
    rc = kf_random_loggamma(key, mode, rm, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "beta")) {
    rc = kf_random_beta(key, mode, rm, n, p[0], pn[0], p[1], pn[1], got);
  } else if (!strcmp(sampler, "chisquare")) {
    rc = kf_random_chisquare(key, mode, rm, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "t")) {
    rc = kf_random_t(key, mode, rm, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "f")) {
    rc = kf_random_f(key, mode, rm, n, p[0], pn[0], p[1], pn[1], got);
  } else if (!strcmp(sampler, "generalized_normal")) {
    rc = kf_random_generalized_normal(key, mode, rm, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "dirichlet")) {
    /* alpha: the k concentrations, the output's last axis */
    const json_t *al = json_object_get(json_object_get(params, "alpha"), "values");
    const size_t k = json_array_size(al);
    float *alpha = malloc((k ? k : 1) * sizeof *alpha);
    ck_assert_ptr_nonnull(alpha);
    for (size_t j = 0; j < k; j++) alpha[j] = param_number(json_array_get(al, j));
    rc = kf_random_dirichlet(key, mode, rm, k ? n / k : 0, alpha, k, got);
    free(alpha);
  } else if (!strcmp(sampler, "ball")) {
    const size_t d = (size_t)json_integer_value(json_object_get(params, "d"));
    rc = kf_random_ball(key, mode, rm, d ? n / d : 0, d,
                        param_number(json_object_get(params, "p")), got);
  } else if (!strcmp(sampler, "wald")) {
    rc = kf_random_wald(key, mode, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "poisson")) {
    rc = kf_random_poisson(key, mode, n, p[0], pn[0], got);
  } else if (!strcmp(sampler, "binomial")) {
    rc = kf_random_binomial(key, mode, n, p[0], pn[0], p[1], pn[1], got);
  } else if (!strcmp(sampler, "categorical") || !strcmp(sampler, "choice") ||
             !strcmp(sampler, "multinomial")) {
    rc = run_vector_sample(c, a, key, mode, n, got);
  } else if (!strcmp(sampler, "multivariate_normal") || !strcmp(sampler, "orthogonal")) {
    rc = run_linalg_sample(c, a, key, mode, n, got);
  } else {
    ck_abort_msg("unknown sampler %s", sampler);
    rc = KF_EINVAL;
  }
  for (int j = 0; j < 3; j++) free(p[j]);
  return rc;
}

static uint64_t run_case(const json_t *c, const char *jaxlib, tally *ta, const char *id) {
  const char *op = json_string_value(json_object_get(c, "op"));
  const json_t *a = json_object_get(c, "args");
  int x64 = json_is_true(json_object_get(c, "x64"));
  kf_threefry_mode mode;
  ck_assert_int_eq(kf_threefry_mode_from_name(json_string_value(json_object_get(c, "mode")), &mode), KF_OK);
  tolerance tol = get_tol(c, jaxlib);
  if (!strcmp(op, "flax_rngs")) return run_rngs(c, a, mode, ta, id);
  if (!strcmp(op, "flax_model")) return run_model(c, a, mode, ta, id, tol);
  if (!strcmp(op, "flax_session")) return run_session(c, a, mode, ta, id);
  if (!strcmp(op, "activation")) return run_activation(c, a, ta, id, tol);

  size_t n = numel(json_object_get(c, "shape"), NULL);
  void *got = calloc(n ? n : 1, 8);
  ck_assert_ptr_nonnull(got);
  kf_key key = {0, 0};
  if (json_object_get(a, "key")) key = get_key(json_object_get(a, "key"));
  int rc = KF_OK;
  if (!strcmp(op, "key")) {
    kf_key k = kf_key_from_seed(json_integer_value(json_object_get(a, "seed")), x64 ? KF_SEED_X64 : 0u);
    ((uint32_t *)got)[0] = k.hi;
    ((uint32_t *)got)[1] = k.lo;
  } else if (!strcmp(op, "fold_in")) {
    kf_key k = kf_fold_in(key, (uint32_t)json_integer_value(json_object_get(a, "data")));
    ((uint32_t *)got)[0] = k.hi;
    ((uint32_t *)got)[1] = k.lo;
  } else if (!strcmp(op, "split")) {
    rc = kf_split(key, mode, n / 2, got); /* kf_key is {hi, lo}: the same layout */
  } else if (!strcmp(op, "bits")) {
    rc = kf_random_bits(key, mode, (unsigned)json_integer_value(json_object_get(a, "bit_width")), n, got);
  } else if (!strcmp(op, "uniform")) {
    rc = kf_random_uniform(key, mode, n, (float)num(a, "minval", 0), (float)num(a, "maxval", 1), got);
  } else if (!strcmp(op, "normal")) {
    rc = kf_random_normal(key, mode, n, got);
  } else if (!strcmp(op, "truncated_normal")) {
    rc = kf_random_truncated_normal(key, mode, n, (float)num(a, "lower", -2), (float)num(a, "upper", 2), got);
  } else if (!strcmp(op, "bernoulli")) {
    rc = kf_random_bernoulli(key, mode, n, (float)num(a, "p", 0.5), got);
  } else if (!strcmp(op, "randint")) {
    rc = kf_random_randint(key, mode, n, json_integer_value(json_object_get(a, "minval")),
                           json_integer_value(json_object_get(a, "maxval")), got);
  } else if (!strcmp(op, "permutation")) {
    rc = kf_random_permutation(key, mode, n, got);
  } else if (!strcmp(op, "sample")) {
    rc = run_sample(c, a, key, mode, n, jaxlib, got);
  } else if (!strcmp(op, "init")) {
    kf_init init;
    kf_init_kind kind;
    kf_shape shape;
    const json_t *p = json_object_get(a, "params");
    ck_assert_int_eq(kf_init_kind_from_name(json_string_value(json_object_get(a, "init")), &kind), KF_OK);
    ck_assert_int_eq(kf_init_make(kind, &init), KF_OK);
    init.value = num(p, "stddev", num(p, "scale", num(p, "value", init.value)));
    init.lower = num(p, "lower", init.lower);
    init.upper = num(p, "upper", init.upper);
    if (json_object_get(p, "mode"))
      ck_assert_int_eq(kf_fan_mode_from_name(json_string_value(json_object_get(p, "mode")), &init.fan_mode), KF_OK);
    if (json_object_get(p, "distribution"))
      ck_assert_int_eq(kf_distribution_from_name(json_string_value(json_object_get(p, "distribution")),
                                                 &init.distribution), KF_OK);
    init.in_axis = (int)num(p, "in_axis", init.in_axis);
    init.out_axis = (int)num(p, "out_axis", init.out_axis);
    ck_assert_uint_eq(numel(json_object_get(a, "shape"), &shape), n);
    rc = kf_init_apply(&init, key, mode, &shape, got);
  } else {
    ck_abort_msg("%s: unknown op %s", id, op);
  }
  ck_assert_msg(rc == KF_OK, "%s: %s", id, kf_err_name(rc));
  uint64_t bad = compare(c, got, tol, ta, id, "result");
  free(got);
  return bad;
}

START_TEST(test_case) {
  size_t f = g_case_file[_i];
  const json_t *c = json_array_get(json_object_get(g_files[f], "cases"), g_case_idx[_i]);
  const char *id = json_string_value(json_object_get(c, "id"));
  const json_t *tested = json_object_get(c, "tested");
  if (tested && !json_is_true(tested)) return; /* another Flax era: recorded only */
  kf_threefry_mode mode = KF_THREEFRY_PARTITIONABLE;
  kf_threefry_mode_from_name(json_string_value(json_object_get(c, "mode")), &mode);
  /* the distributions are tallied one by one: sample:<sampler> */
  const char *op = json_string_value(json_object_get(c, "op"));
  char opname[40];
  if (!strcmp(op, "sample"))
    snprintf(opname, sizeof opname, "sample:%s",
             json_string_value(json_object_get(json_object_get(c, "args"), "sampler")));
  else
    snprintf(opname, sizeof opname, "%s", op);
  tally *ta = tally_for(f, opname, (int)mode);
  const json_t *gen = json_object_get(g_files[f], "generator");
  uint64_t bad = run_case(c, json_string_value(json_object_get(gen, "jaxlib")), ta, id);
  ta->cases++;
  ta->failed += bad != 0;
  ck_assert_msg(bad == 0, "%s: %" PRIu64 " elements outside the tolerance", id, bad);
}
END_TEST

static void print_tallies(void) {
  for (size_t f = 0; f < g_nfiles; f++) {
    const json_t *gen = json_object_get(g_files[f], "generator");
    printf("oracle %s: jax %s, jaxlib %s, flax %s, cpu %s\n", g_names[f],
           json_string_value(json_object_get(gen, "jax")), json_string_value(json_object_get(gen, "jaxlib")),
           json_string_value(json_object_get(gen, "flax")), json_string_value(json_object_get(gen, "cpu")));
    printf("  %-28s %-14s %6s %10s %12s %8s\n", "op", "mode", "cases", "elements", "identical", "max_ulp");
    for (int i = 0; i < MAX_OPS && g_tally[f][i].op[0]; i++) {
      const tally *t = &g_tally[f][i];
      printf("  %-28s %-14s %6" PRIu64 " %10" PRIu64 " %12.8f %8" PRIu64 "%s\n", t->op,
             kf_threefry_mode_name((kf_threefry_mode)t->mode), t->cases, t->elems,
             t->elems ? (double)t->same / (double)t->elems : 1.0, t->max_ulp,
             t->failed ? "  FAILED" : "");
    }
  }
}

int main(void) {
  load();
  Suite *s = suite_create("oracle");
  TCase *tc = tcase_create("cases");
  tcase_add_loop_test(tc, test_case, 0, (int)g_ncases);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_set_fork_status(sr, CK_NOFORK); /* the tallies live in this process */
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  print_tallies();
  for (size_t f = 0; f < g_nfiles; f++) json_decref(g_files[f]);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
