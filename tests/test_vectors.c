/* test_vectors — runs every known-answer case of tests/vectors/jax-random.json
 * (path in $KEYFOLD_VECTORS) against keyfold's public API.
 *
 * The case format is defined by the file's "notes" string. Each case is one
 * iteration of a Check loop test; a case of mode 'any' runs in both threefry
 * modes when its result could depend on the mode. Cases the API cannot express
 * are named on stdout as SKIPPED with the reason before the run, and a final
 * line summarises how many cases ran.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/error.h"
#include "keyfold/init.h"
#include "keyfold/prng.h"
#include "keyfold/random.h"
#include "keyfold/tensor.h"

#define EXPECTED_CASES 136
#define MAX_ELEMS ((size_t)1 << 22) /* sanity bound on one case's element count */
#define MSG_SIZE 768

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* ---- the vectors file, loaded once per process ------------------------- */

static json_t *g_root;

static json_t *cases(void) {
  if (!g_root) {
    const char *path = getenv("KEYFOLD_VECTORS");
    json_error_t err;
    if (!path || !*path) path = "tests/vectors/jax-random.json";
    g_root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!g_root) {
      fprintf(stderr, "test_vectors: cannot load %s: %s (line %d)\n", path, err.text, err.line);
      return NULL;
    }
  }
  return json_object_get(g_root, "cases");
}

static int bad(char *msg, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int bad(char *msg, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, MSG_SIZE, fmt, ap);
  va_end(ap);
  return 0;
}

static const char *jtext(const json_t *v, char *buf, size_t size) {
  char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
  snprintf(buf, size, "%s", s ? s : "(missing)");
  free(s);
  return buf;
}

static const char *str_or(const json_t *v, const char *dflt) {
  return json_is_string(v) ? json_string_value(v) : dflt;
}

/* ---- ops ---------------------------------------------------------------- */

typedef enum {
  OP_THREEFRY2X32, OP_THREEFRY_HASH, OP_KEY, OP_FOLD_IN, OP_SPLIT, OP_SPLIT_FOLD, OP_BITS,
  OP_UNIFORM, OP_NORMAL, OP_TRUNC_NORMAL, OP_BERNOULLI, OP_RANDINT, OP_LECUN
} op_id;

static const struct op_info {
  const char *name;
  op_id id;
  int takes_mode;
} OPS[] = {
    {"threefry2x32", OP_THREEFRY2X32, 0}, {"threefry_2x32", OP_THREEFRY_HASH, 0},
    {"key", OP_KEY, 0},                   {"fold_in", OP_FOLD_IN, 0},
    {"split", OP_SPLIT, 1},               {"split_matches_fold_in", OP_SPLIT_FOLD, 1},
    {"bits", OP_BITS, 1},                 {"uniform", OP_UNIFORM, 1},
    {"normal", OP_NORMAL, 1},             {"truncated_normal", OP_TRUNC_NORMAL, 1},
    {"bernoulli", OP_BERNOULLI, 1},       {"randint", OP_RANDINT, 1},
    {"lecun_normal", OP_LECUN, 1},
};

static const struct op_info *find_op(const json_t *c) {
  const char *name = json_string_value(json_object_get(c, "op"));
  for (size_t i = 0; name && i < sizeof OPS / sizeof OPS[0]; i++)
    if (strcmp(OPS[i].name, name) == 0) return &OPS[i];
  return NULL;
}

/* ---- results ------------------------------------------------------------ */

typedef enum { R_UINT, R_SINT, R_BOOL, R_F32, R_F64 } rkind;

typedef struct {
  rkind kind;
  int wide; /* 64-bit integers: expected as decimal strings */
  int rank;
  int64_t dim[KF_MAX_RANK + 1];
  size_t n;
  uint64_t *u; /* R_UINT, R_SINT (two's complement bits), R_BOOL */
  float *f;
  double *d;
  const char *error; /* the Python exception JAX raises instead, or NULL */
  void *tmp;         /* scratch output of the library call */
} result;

static int get_i64(const json_t *v, int64_t *out) {
  if (!json_is_integer(v)) return 0;
  *out = (int64_t)json_integer_value(v);
  return 1;
}

static int get_u32(const json_t *v, uint32_t *out) {
  int64_t x;
  if (!get_i64(v, &x) || x < 0 || x > (int64_t)UINT32_MAX) return 0;
  *out = (uint32_t)x;
  return 1;
}

/* A shape list (NULL = scalar) into r->rank, r->dim, r->n. */
static int get_shape(const json_t *v, result *r, char *msg) {
  r->rank = 0;
  r->n = 1;
  if (!v) return 1;
  if (!json_is_array(v) || json_array_size(v) > KF_MAX_RANK)
    return bad(msg, "bad shape argument");
  for (size_t i = 0; i < json_array_size(v); i++) {
    int64_t d;
    if (!get_i64(json_array_get(v, i), &d) || d < 0 || d > (int64_t)MAX_ELEMS)
      return bad(msg, "bad shape dimension %zu", i);
    r->dim[r->rank++] = d;
    r->n *= (size_t)d;
    if (r->n > MAX_ELEMS) return bad(msg, "shape too large for the harness");
  }
  return 1;
}

static int res_alloc(result *r, rkind kind) {
  size_t n = r->n ? r->n : 1;
  r->kind = kind;
  if (kind == R_F32) r->f = calloc(n, sizeof *r->f);
  else if (kind == R_F64) r->d = calloc(n, sizeof *r->d);
  else r->u = calloc(n, sizeof *r->u);
  return r->f || r->d || r->u;
}

#define CALL(name, expr)                                                                    \
  do {                                                                                      \
    int rc_ = (expr);                                                                       \
    if (rc_ != KF_OK) return bad(msg, "%s returned %d (%s)", name, rc_, kf_err_name(rc_)); \
  } while (0)

/* Allocates the result and a scratch buffer of r->n elements of `size` bytes. */
#define ALLOC(r, kind, buf, size)                                    \
  do {                                                               \
    if (!res_alloc((r), (kind)) || !((buf) = scratch((r), (size)))) \
      return bad(msg, "out of memory");                             \
  } while (0)

/* A key argument: [hi, lo] or {"seed": s, "derive": [step, ...]}. */
static int parse_key(const json_t *v, int x64, kf_threefry_mode mode, kf_key *out, char *msg) {
  if (json_is_array(v)) {
    if (json_array_size(v) != 2 || !get_u32(json_array_get(v, 0), &out->hi) ||
        !get_u32(json_array_get(v, 1), &out->lo))
      return bad(msg, "bad key data");
    return 1;
  }
  int64_t seed;
  if (!json_is_object(v) || !get_i64(json_object_get(v, "seed"), &seed))
    return bad(msg, "bad key argument");
  *out = kf_key_from_seed(seed, x64 ? KF_SEED_X64 : 0u);
  const json_t *steps = json_object_get(v, "derive");
  if (steps && !json_is_array(steps)) return bad(msg, "bad derive list");
  for (size_t s = 0; s < json_array_size(steps); s++) {
    const json_t *st = json_array_get(steps, s);
    const char *what = json_string_value(json_array_get(st, 0));
    uint32_t d;
    int64_t num, idx;
    if (what && strcmp(what, "fold_in") == 0 && json_array_size(st) == 2 &&
        get_u32(json_array_get(st, 1), &d)) {
      *out = kf_fold_in(*out, d);
    } else if (what && strcmp(what, "split") == 0 && json_array_size(st) == 3 &&
               get_i64(json_array_get(st, 1), &num) && get_i64(json_array_get(st, 2), &idx) &&
               idx >= 0 && idx < num && num <= (int64_t)MAX_ELEMS) {
      kf_key *ks = calloc((size_t)num, sizeof *ks);
      if (!ks) return bad(msg, "out of memory");
      int rc = kf_split(*out, mode, (size_t)num, ks);
      if (rc == KF_OK) *out = ks[idx];
      free(ks);
      if (rc != KF_OK) return bad(msg, "kf_split in derive step %zu: %s", s, kf_err_name(rc));
    } else {
      return bad(msg, "bad derive step %zu", s);
    }
  }
  return 1;
}

static int key_uses_split(const json_t *args) {
  const json_t *steps = json_object_get(json_object_get(args, "key"), "derive");
  for (size_t s = 0; s < json_array_size(steps); s++) {
    const char *what = json_string_value(json_array_get(json_array_get(steps, s), 0));
    if (what && strcmp(what, "split") == 0) return 1;
  }
  return 0;
}

/* Float width a float op computes in: 32, 64, or 0 for an unknown dtype.
 * With x64 off JAX downgrades a float64 request to float32. */
static int float_bits(const json_t *args, int x64) {
  const char *s = str_or(json_object_get(args, "dtype"), "float32");
  if (strcmp(s, "float32") == 0) return 32;
  if (strcmp(s, "float64") == 0) return x64 ? 64 : 32;
  return 0;
}

static const char *randint_dtype(const json_t *args, int x64) {
  return str_or(json_object_get(args, "dtype"), x64 ? "int64" : "int32");
}

/* Writes why a case cannot be run to `why` and returns 1, or returns 0. */
static int skip_reason(const json_t *c, char *why, size_t size) {
  const struct op_info *op = find_op(c);
  const json_t *args = json_object_get(c, "args");
  int x64 = json_is_true(json_object_get(c, "x64"));
  const char *dt = str_or(json_object_get(args, "dtype"), "(default)");
  if (!op) return 0;
  if (op->id == OP_UNIFORM && float_bits(args, x64) == 0) {
    snprintf(why, size, "uniform dtype %s: keyfold samples float32 and float64 only", dt);
    return 1;
  }
  if ((op->id == OP_NORMAL || op->id == OP_TRUNC_NORMAL || op->id == OP_LECUN) &&
      float_bits(args, x64) != 32) {
    snprintf(why, size, "%s dtype %s: keyfold samples it in float32 only", op->name, dt);
    return 1;
  }
  if (op->id == OP_RANDINT) {
    const char *r = randint_dtype(args, x64);
    if (strcmp(r, "int32") != 0 && strcmp(r, "int64") != 0) {
      snprintf(why, size, "randint dtype %s: keyfold offers int32 and int64 only", r);
      return 1;
    }
  }
  return 0;
}

static void *scratch(result *r, size_t size) {
  free(r->tmp);
  return r->tmp = calloc(r->n ? r->n : 1, size);
}

static int run_op(const struct op_info *op, const json_t *args, int x64, kf_threefry_mode mode,
                  result *r, char *msg) {
  kf_key key = {0, 0};
  const json_t *data = json_object_get(args, "data"), *a, *b;
  int64_t i1, i2;
  uint32_t *w32;
  if (op->id != OP_KEY && !parse_key(json_object_get(args, "key"), x64, mode, &key, msg)) return 0;
  r->rank = 1; /* key-valued ops: shape [2] */
  r->dim[0] = 2;
  r->n = 2;
  switch (op->id) {
  case OP_THREEFRY2X32:
  case OP_THREEFRY_HASH: {
    size_t n = json_array_size(data);
    if (!json_is_array(data) || n > MAX_ELEMS || (op->id == OP_THREEFRY2X32 && n != 2))
      return bad(msg, "bad data argument");
    r->dim[0] = (int64_t)n;
    r->n = n;
    ALLOC(r, R_UINT, w32, sizeof *w32);
    for (size_t i = 0; i < n; i++)
      if (!get_u32(json_array_get(data, i), &w32[i])) return bad(msg, "bad data word %zu", i);
    if (op->id == OP_THREEFRY2X32) kf_threefry2x32(key.hi, key.lo, w32[0], w32[1], w32);
    else CALL("kf_threefry_hash", kf_threefry_hash(key, w32, n, w32));
    for (size_t i = 0; i < n; i++) r->u[i] = w32[i];
    return 1;
  }
  case OP_KEY: {
    const char *type = str_or(json_object_get(args, "seed_type"), "int");
    unsigned flags = x64 ? KF_SEED_X64 : 0u;
    if (!get_i64(json_object_get(args, "seed"), &i1)) return bad(msg, "bad seed");
    if (!res_alloc(r, R_UINT)) return bad(msg, "out of memory");
    if (strcmp(type, "int32") == 0 || strcmp(type, "uint32") == 0) {
      /* a numpy scalar of that type: the value wraps to it, and hi is 0 even with x64 */
      i1 = type[0] == 'i' ? (int64_t)(int32_t)(uint32_t)i1 : (int64_t)(uint32_t)i1;
      flags |= KF_SEED_INT32;
    } else if (strcmp(type, "int") != 0 && strcmp(type, "int64") != 0) {
      return bad(msg, "unknown seed_type '%s'", type);
    }
    if (json_is_true(json_object_get(args, "jit")) && !x64 && strcmp(type, "int") == 0) {
      int rc = kf_key_from_seed_checked(i1, &key);
      if (rc == KF_ERANGE) r->error = "OverflowError";
      else CALL("kf_key_from_seed_checked", rc);
    } else {
      key = kf_key_from_seed(i1, flags);
    }
    r->u[0] = key.hi;
    r->u[1] = key.lo;
    return 1;
  }
  case OP_FOLD_IN: {
    uint32_t d;
    if (!get_u32(data, &d)) return bad(msg, "bad data argument");
    if (!res_alloc(r, R_UINT)) return bad(msg, "out of memory");
    key = kf_fold_in(key, d);
    r->u[0] = key.hi;
    r->u[1] = key.lo;
    return 1;
  }
  case OP_SPLIT:
  case OP_SPLIT_FOLD: {
    const json_t *num = json_object_get(args, "num");
    kf_key *ks;
    if (json_is_integer(num)) {
      if (!get_i64(num, &i1) || i1 < 0 || i1 > (int64_t)MAX_ELEMS) return bad(msg, "bad num");
      r->dim[0] = i1;
      r->n = (size_t)i1;
    } else if (!get_shape(num, r, msg)) {
      return 0;
    }
    size_t n = r->n;
    if (!(ks = scratch(r, sizeof *ks))) return bad(msg, "out of memory");
    CALL("kf_split", kf_split(key, mode, n, ks));
    if (op->id == OP_SPLIT) {
      r->dim[r->rank++] = 2;
      r->n = 2 * n;
      if (!res_alloc(r, R_UINT)) return bad(msg, "out of memory");
      for (size_t i = 0; i < n; i++) {
        r->u[2 * i] = ks[i].hi;
        r->u[2 * i + 1] = ks[i].lo;
      }
    } else {
      int same = n <= UINT32_MAX;
      for (size_t i = 0; i < n && same; i++) {
        kf_key f = kf_fold_in(key, (uint32_t)i);
        same = f.hi == ks[i].hi && f.lo == ks[i].lo;
      }
      r->rank = 0;
      r->n = 1;
      if (!res_alloc(r, R_BOOL)) return bad(msg, "out of memory");
      r->u[0] = (uint64_t)same;
    }
    return 1;
  }
  default:
    break;
  }

  /* Samplers: a shape, then parameters. */
  if (!get_shape(json_object_get(args, "shape"), r, msg)) return 0;
  switch (op->id) {
  case OP_BITS: {
    const json_t *bw = json_object_get(args, "bit_width");
    const char *dt = str_or(json_object_get(args, "dtype"), "");
    unsigned char *buf;
    i1 = 0;
    if (bw && !get_i64(bw, &i1)) return bad(msg, "bad bit_width");
    if (!bw && strncmp(dt, "uint", 4) == 0) i1 = strtol(dt + 4, NULL, 10);
    if (!bw && i1 == 64 && !x64) i1 = 32; /* a uint64 request is downgraded without x64 */
    if (i1 != 8 && i1 != 16 && i1 != 32 && i1 != 64) return bad(msg, "bad bit_width/dtype");
    r->wide = i1 == 64;
    ALLOC(r, R_UINT, buf, (size_t)i1 / 8);
    CALL("kf_random_bits", kf_random_bits(key, mode, (unsigned)i1, r->n, buf));
    for (size_t i = 0; i < r->n; i++) {
      const void *p = buf;
      r->u[i] = i1 == 8    ? buf[i]
                : i1 == 16 ? ((const uint16_t *)p)[i]
                : i1 == 32 ? ((const uint32_t *)p)[i]
                           : ((const uint64_t *)p)[i];
    }
    return 1;
  }
  case OP_UNIFORM:
    a = json_object_get(args, "minval");
    b = json_object_get(args, "maxval");
    if ((a && !json_is_number(a)) || (b && !json_is_number(b))) return bad(msg, "bad bounds");
    if (float_bits(args, x64) == 64) {
      if (!res_alloc(r, R_F64)) return bad(msg, "out of memory");
      CALL("kf_random_uniform_f64",
           kf_random_uniform_f64(key, mode, r->n, a ? json_number_value(a) : 0.0,
                                 b ? json_number_value(b) : 1.0, r->d));
      return 1;
    }
    if (float_bits(args, x64) != 32) return bad(msg, "unsupported dtype");
    if (!res_alloc(r, R_F32)) return bad(msg, "out of memory");
    CALL("kf_random_uniform",
         kf_random_uniform(key, mode, r->n, a ? (float)json_number_value(a) : 0.0f,
                           b ? (float)json_number_value(b) : 1.0f, r->f));
    return 1;
  case OP_NORMAL:
  case OP_TRUNC_NORMAL:
  case OP_LECUN:
    if (float_bits(args, x64) != 32) return bad(msg, "unsupported dtype");
    if (!res_alloc(r, R_F32)) return bad(msg, "out of memory");
    if (op->id == OP_NORMAL) {
      CALL("kf_random_normal", kf_random_normal(key, mode, r->n, r->f));
    } else if (op->id == OP_TRUNC_NORMAL) {
      a = json_object_get(args, "lower");
      b = json_object_get(args, "upper");
      if (!json_is_number(a) || !json_is_number(b)) return bad(msg, "bad lower/upper");
      CALL("kf_random_truncated_normal",
           kf_random_truncated_normal(key, mode, r->n, (float)json_number_value(a),
                                      (float)json_number_value(b), r->f));
    } else {
      kf_init init;
      kf_shape shape;
      CALL("kf_init_make", kf_init_make(KF_INIT_LECUN_NORMAL, &init));
      CALL("kf_shape_make", kf_shape_make(&shape, r->rank, r->dim));
      CALL("kf_init_apply", kf_init_apply(&init, key, mode, &shape, r->f));
    }
    return 1;
  case OP_BERNOULLI: {
    const json_t *p = json_object_get(args, "p");
    uint8_t *bits;
    if (p && !json_is_number(p)) return bad(msg, "bad p");
    ALLOC(r, R_BOOL, bits, 1);
    CALL("kf_random_bernoulli",
         kf_random_bernoulli(key, mode, r->n, p ? (float)json_number_value(p) : 0.5f, bits));
    for (size_t i = 0; i < r->n; i++) r->u[i] = bits[i];
    return 1;
  }
  case OP_RANDINT: {
    const char *dt = randint_dtype(args, x64);
    if (!get_i64(json_object_get(args, "minval"), &i1) ||
        !get_i64(json_object_get(args, "maxval"), &i2))
      return bad(msg, "bad minval/maxval");
    if (!x64 && (i1 < INT32_MIN || i1 > INT32_MAX || i2 < INT32_MIN || i2 > INT32_MAX)) {
      r->error = "OverflowError"; /* jax-random.md section 12: x64 off rejects such bounds */
      return 1;
    }
    if (x64 && strcmp(dt, "int64") == 0) {
      int64_t *o;
      ALLOC(r, R_SINT, o, sizeof *o);
      r->wide = 1;
      CALL("kf_random_randint64", kf_random_randint64(key, mode, r->n, i1, i2, o));
      for (size_t i = 0; i < r->n; i++) r->u[i] = (uint64_t)o[i];
    } else if (strcmp(dt, "int32") == 0 || strcmp(dt, "int64") == 0) {
      int32_t *o; /* int64 without x64 is downgraded to int32 */
      ALLOC(r, R_SINT, o, sizeof *o);
      CALL("kf_random_randint", kf_random_randint(key, mode, r->n, i1, i2, o));
      for (size_t i = 0; i < r->n; i++) r->u[i] = (uint64_t)(int64_t)o[i];
    } else {
      return bad(msg, "unsupported dtype %s", dt);
    }
    return 1;
  }
  default:
    return bad(msg, "op %s not handled", op->name);
  }
}

/* ---- comparison --------------------------------------------------------- */

typedef struct {
  enum { T_EXACT, T_ABS, T_ULPS } kind;
  double abs;
  int64_t ulps;
  double fraction;
} tolerance;

static int parse_tol(const json_t *t, tolerance *out) {
  const json_t *a = json_object_get(t, "abs"), *u = json_object_get(t, "ulps");
  const json_t *f = json_object_get(t, "exact_fraction");
  memset(out, 0, sizeof *out);
  if (json_is_string(t)) return strcmp(json_string_value(t), "exact") == 0;
  if (json_is_number(a) && json_object_size(t) == 1) {
    out->kind = T_ABS;
    out->abs = json_number_value(a);
    return out->abs >= 0;
  }
  if (get_i64(u, &out->ulps) && json_is_number(f) && json_object_size(t) == 2) {
    out->kind = T_ULPS;
    out->fraction = json_number_value(f);
    return out->ulps >= 0 && out->fraction >= 0 && out->fraction <= 1;
  }
  return 0;
}

static uint32_t bits32(float x) {
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}

/* Position on the ordered line of floats, +0 and -0 the same point. */
static uint64_t ord32(float x) {
  uint32_t b = bits32(x);
  return (b & 0x80000000u) ? 0x80000000u - (uint64_t)(b & 0x7fffffffu) : 0x80000000u + (uint64_t)b;
}

static uint64_t ord64(double x) {
  const uint64_t s = (uint64_t)1 << 63;
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return (b & s) ? s - (b & ~s) : s + b;
}

static uint64_t dist(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

static int flatten(const json_t *v, const result *r, int depth, const json_t **out, size_t *k) {
  if (depth == r->rank) {
    if (json_is_array(v) || *k >= r->n) return 0;
    out[(*k)++] = v;
    return 1;
  }
  if (!json_is_array(v) || (int64_t)json_array_size(v) != r->dim[depth]) return 0;
  for (size_t i = 0; i < json_array_size(v); i++)
    if (!flatten(json_array_get(v, i), r, depth + 1, out, k)) return 0;
  return 1;
}

/* Expected integer i as 64-bit two's-complement bits. */
static int want_int(const json_t *v, const result *r, uint64_t *out) {
  if (r->wide) {
    const char *s = json_string_value(v);
    char *end;
    if (!s || !*s || (r->kind == R_UINT && *s == '-')) return 0;
    errno = 0;
    if (r->kind == R_UINT) *out = (uint64_t)strtoull(s, &end, 10);
    else *out = (uint64_t)(int64_t)strtoll(s, &end, 10);
    return errno == 0 && *end == '\0';
  }
  int64_t x;
  if (!get_i64(v, &x) || (r->kind == R_UINT && x < 0)) return 0;
  *out = (uint64_t)x;
  return 1;
}

static int compare(const result *r, const json_t *expect, const json_t *tol, char *msg) {
  char et[128];
  tolerance t;
  if (json_is_object(expect)) {
    const char *name = json_string_value(json_object_get(expect, "error"));
    if (!name) return bad(msg, "expect is an object without an error name");
    if (!r->error) return bad(msg, "got a value, expected %s", name);
    if (strcmp(r->error, name) != 0) return bad(msg, "got %s, expected %s", r->error, name);
    return 1;
  }
  if (r->error) return bad(msg, "got %s, expected a value", r->error);
  if (!parse_tol(tol, &t)) return bad(msg, "unknown tolerance %s", jtext(tol, et, sizeof et));

  const json_t **flat = calloc(r->n ? r->n : 1, sizeof *flat);
  size_t k = 0, exact = 0, first_inexact = SIZE_MAX;
  int ok = 1;
  if (!flat) return bad(msg, "out of memory");
  if (!flatten(expect, r, 0, flat, &k) || k != r->n) {
    free(flat);
    return bad(msg, "expected value does not have the result's shape (rank %d, %zu elements)",
               r->rank, r->n);
  }
  for (size_t i = 0; i < r->n && ok; i++) {
    const json_t *v = flat[i];
    uint64_t w;
    if (r->kind == R_UINT || r->kind == R_SINT) {
      if (!want_int(v, r, &w)) {
        ok = bad(msg, "element %zu: bad expected %s integer %s", i, r->wide ? "64-bit" : "32-bit",
                 jtext(v, et, sizeof et));
      } else if (r->u[i] != w) {
        char gt[24];
        if (r->kind == R_UINT) snprintf(gt, sizeof gt, "%" PRIu64, r->u[i]);
        else snprintf(gt, sizeof gt, "%" PRId64, (int64_t)r->u[i]);
        ok = bad(msg, "element %zu: got %s, expected %s", i, gt, jtext(v, et, sizeof et));
      }
    } else if (r->kind == R_BOOL) {
      if (!json_is_boolean(v) || (uint64_t)json_is_true(v) != r->u[i])
        ok = bad(msg, "element %zu: got %s, expected %s", i, r->u[i] ? "true" : "false",
                  jtext(v, et, sizeof et));
    } else if (!json_is_number(v)) {
      ok = bad(msg, "element %zu: expected %s is not a number", i, jtext(v, et, sizeof et));
    } else {
      double ed = json_number_value(v);
      float ef = (float)ed;
      double got = r->kind == R_F32 ? (double)r->f[i] : r->d[i];
      int same = r->kind == R_F32 ? memcmp(&r->f[i], &ef, sizeof ef) == 0
                                  : memcmp(&r->d[i], &ed, sizeof ed) == 0;
      uint64_t d = r->kind == R_F32 ? dist(ord32(r->f[i]), ord32(ef))
                                    : dist(ord64(r->d[i]), ord64(ed));
      int elem_ok;
      if (isnan(got) || isnan(ed)) d = UINT64_MAX;
      if (t.kind == T_EXACT) elem_ok = same;
      else if (t.kind == T_ABS) elem_ok = same || fabs(got - ed) <= t.abs;
      else elem_ok = d <= (uint64_t)t.ulps;
      if (d == 0) exact++;
      else if (first_inexact == SIZE_MAX) first_inexact = i;
      if (!elem_ok) {
        char tt[64];
        if (r->kind == R_F32)
          ok = bad(msg, "element %zu: got %.9g (0x%08" PRIx32 "), expected %s = f32 %.9g "
                    "(0x%08" PRIx32 "), %" PRIu64 " ulps apart, tolerance %s", i, got,
                    bits32(r->f[i]), jtext(v, et, sizeof et), (double)ef, bits32(ef), d,
                    jtext(tol, tt, sizeof tt));
        else
          ok = bad(msg, "element %zu: got %.17g, expected %s, %" PRIu64 " ulps apart, "
                    "tolerance %s", i, got, jtext(v, et, sizeof et), d, jtext(tol, tt, sizeof tt));
      }
    }
  }
  if (ok && (r->kind == R_F32 || r->kind == R_F64) && t.kind == T_ULPS &&
      (double)exact < t.fraction * (double)r->n) {
    size_t i = first_inexact;
    ok = bad(msg, "only %zu of %zu elements are exact, the tolerance needs a fraction %g; "
              "first inexact element %zu: got %.9g, expected %s", exact, r->n, t.fraction, i,
              r->kind == R_F32 ? (double)r->f[i] : r->d[i], jtext(flat[i], et, sizeof et));
  }
  free(flat);
  return ok;
}

/* Runs one case in one mode; on failure writes the full message to msg. */
static int run_case_mode(const json_t *c, const struct op_info *op, kf_threefry_mode mode,
                         const char *label, char *msg) {
  const json_t *args = json_object_get(c, "args");
  int x64 = json_is_true(json_object_get(c, "x64"));
  char inner[MSG_SIZE];
  result r;
  memset(&r, 0, sizeof r);
  int ok = run_op(op, args, x64, mode, &r, inner);
  if (ok) ok = compare(&r, json_object_get(c, "expect"), json_object_get(c, "tolerance"), inner);
  free(r.u);
  free(r.f);
  free(r.d);
  free(r.tmp);
  if (!ok)
    snprintf(msg, 2 * MSG_SIZE, "case %s [mode %s, x64 %s]: %.*s",
             str_or(json_object_get(c, "id"), "?"), label, x64 ? "on" : "off", MSG_SIZE, inner);
  return ok;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_case) {
  const json_t *c = json_array_get(cases(), (size_t)_i);
  ck_assert_msg(c != NULL, "case %d missing from the vectors file", _i);
  const char *id = str_or(json_object_get(c, "id"), "?");
  const char *mode = str_or(json_object_get(c, "mode"), "");
  const struct op_info *op = find_op(c);
  char msg[2 * MSG_SIZE], why[256];
  ck_assert_msg(op != NULL, "case %s: unknown op '%s'", id,
                str_or(json_object_get(c, "op"), "(none)"));
  if (skip_reason(c, why, sizeof why)) return; /* named in main's SKIPPED list */
  if (strcmp(mode, "partitionable") == 0 || strcmp(mode, "legacy") == 0) {
    kf_threefry_mode m = mode[0] == 'p' ? KF_THREEFRY_PARTITIONABLE : KF_THREEFRY_LEGACY;
    ck_assert_msg(run_case_mode(c, op, m, mode, msg), "%s", msg);
  } else if (strcmp(mode, "any") == 0) {
    if (op->takes_mode || key_uses_split(json_object_get(c, "args"))) {
      ck_assert_msg(run_case_mode(c, op, KF_THREEFRY_PARTITIONABLE, "any/partitionable", msg),
                    "%s", msg);
      ck_assert_msg(run_case_mode(c, op, KF_THREEFRY_LEGACY, "any/legacy", msg), "%s", msg);
    } else {
      ck_assert_msg(run_case_mode(c, op, KF_THREEFRY_PARTITIONABLE, "any", msg), "%s", msg);
    }
  } else {
    ck_abort_msg("case %s: unknown mode '%s'", id, mode);
  }
}
END_TEST

START_TEST(test_file_shape) {
  ck_assert_ptr_nonnull(cases());
  ck_assert_msg(json_is_array(cases()), "\"cases\" is not a list");
  ck_assert_int_eq(json_integer_value(json_object_get(g_root, "format")), 1);
  ck_assert_msg(json_is_string(json_object_get(g_root, "notes")), "\"notes\" missing");
  ck_assert_msg(json_array_size(cases()) == EXPECTED_CASES, "the file has %zu cases, expected %d",
                json_array_size(cases()), EXPECTED_CASES);
}
END_TEST

START_TEST(test_cases_well_formed) {
  const json_t *all = cases();
  ck_assert_ptr_nonnull(all);
  for (size_t i = 0; i < json_array_size(all); i++) {
    const json_t *c = json_array_get(all, i);
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *mode = str_or(json_object_get(c, "mode"), "");
    const json_t *x64 = json_object_get(c, "x64");
    tolerance t;
    ck_assert_msg(id != NULL, "case %zu has no id", i);
    for (size_t j = 0; j < i; j++)
      ck_assert_msg(strcmp(id, str_or(json_object_get(json_array_get(all, j), "id"), "")) != 0,
                    "case id %s appears twice", id);
    ck_assert_msg(find_op(c) != NULL, "case %s: unknown op '%s'", id,
                  str_or(json_object_get(c, "op"), "(none)"));
    ck_assert_msg(strcmp(mode, "partitionable") == 0 || strcmp(mode, "legacy") == 0 ||
                      strcmp(mode, "any") == 0,
                  "case %s: unknown mode '%s'", id, mode);
    ck_assert_msg(!x64 || json_is_boolean(x64), "case %s: x64 is not a boolean", id);
    ck_assert_msg(json_is_object(json_object_get(c, "args")), "case %s: no args", id);
    ck_assert_msg(json_object_get(c, "expect") != NULL, "case %s: no expect", id);
    ck_assert_msg(parse_tol(json_object_get(c, "tolerance"), &t), "case %s: bad tolerance", id);
  }
}
END_TEST

int main(void) {
  json_t *all = cases();
  size_t n, skipped = 0, failed_cases = 0;
  char why[256];
  if (!all || !json_is_array(all)) {
    fprintf(stderr, "test_vectors: no \"cases\" list (set KEYFOLD_VECTORS)\n");
    json_decref(g_root);
    return EXIT_FAILURE;
  }
  n = json_array_size(all);
  for (size_t i = 0; i < n; i++) {
    const json_t *c = json_array_get(all, i);
    if (skip_reason(c, why, sizeof why)) {
      printf("SKIPPED %s: %s\n", str_or(json_object_get(c, "id"), "?"), why);
      skipped++;
    }
  }
  fflush(stdout);

  Suite *s = suite_create("vectors");
  TCase *tf = tcase_create("file");
  tcase_add_test(tf, test_file_shape);
  tcase_add_test(tf, test_cases_well_formed);
  suite_add_tcase(s, tf);
  TCase *tc = tcase_create("cases");
  tcase_add_loop_test(tc, test_case, 0, (int)n);
  tcase_set_timeout(tc, 30);
  suite_add_tcase(s, tc);

  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  TestResult **res = srunner_results(sr);
  for (int i = 0; res && i < srunner_ntests_run(sr); i++)
    if (tr_rtype(res[i]) != CK_PASS && strcmp(tr_tcname(res[i]), "cases") == 0) failed_cases++;
  free(res);
  printf("vectors: %zu cases run, %zu skipped, %zu failed\n", n - skipped, skipped, failed_cases);
  srunner_free(sr);
  json_decref(g_root);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
