/* keyfoldd — the jax.random operations table (ops.h). */
#include "ops.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static const char *const key_fields[] = {"seed", NULL};
static const char *const fold_in_fields[] = {"data", NULL};
static const char *const split_fields[] = {"num", NULL};
static const char *const bits_fields[] = {"shape", "bit_width", NULL};
static const char *const uniform_fields[] = {"shape", "minval", "maxval", NULL};
static const char *const normal_fields[] = {"shape", NULL};
static const char *const truncated_normal_fields[] = {"shape", "lower", "upper", NULL};
static const char *const bernoulli_fields[] = {"shape", "p", NULL};
static const char *const randint_fields[] = {"shape", "minval", "maxval", NULL};
static const char *const permutation_fields[] = {"n", NULL};

#define RS (KD_OP_RANDOM | KD_OP_SESSION | KD_OP_TENSOR)

/* Permutation is not a session distribution: its draw allocates inside the
 * library and so could fail after the key was taken, and api.md offers it
 * only statelessly. */
static const kd_op ops[] = {
  {"key", KD_OP_KEY, KD_S_NONE, key_fields, KD_OP_RANDOM, "jax.random.key(seed): a key from a seed"},
  {"fold_in", KD_OP_FOLD_IN, KD_S_NONE, fold_in_fields, KD_OP_RANDOM, "jax.random.fold_in(key, data)"},
  {"split", KD_OP_SPLIT, KD_S_NONE, split_fields, KD_OP_RANDOM, "jax.random.split(key, num)"},
  {"bits", KD_OP_SAMPLER, KD_S_BITS, bits_fields, RS, "jax.random.bits(key, shape, dtype)"},
  {"uniform", KD_OP_SAMPLER, KD_S_UNIFORM, uniform_fields, RS, "jax.random.uniform(key, shape, minval, maxval)"},
  {"normal", KD_OP_SAMPLER, KD_S_NORMAL, normal_fields, RS, "jax.random.normal(key, shape)"},
  {"truncated_normal", KD_OP_SAMPLER, KD_S_TRUNCATED_NORMAL, truncated_normal_fields, RS,
   "jax.random.truncated_normal(key, lower, upper, shape)"},
  {"bernoulli", KD_OP_SAMPLER, KD_S_BERNOULLI, bernoulli_fields, RS, "jax.random.bernoulli(key, p, shape)"},
  {"randint", KD_OP_SAMPLER, KD_S_RANDINT, randint_fields, RS, "jax.random.randint(key, shape, minval, maxval)"},
  {"permutation", KD_OP_SAMPLER, KD_S_PERMUTATION, permutation_fields, KD_OP_RANDOM | KD_OP_TENSOR,
   "jax.random.permutation(key, n)"},
};
#define OP_COUNT (sizeof ops / sizeof ops[0])

size_t kd_op_count(void) { return OP_COUNT; }

const kd_op *kd_op_at(size_t i) { return i < OP_COUNT ? &ops[i] : NULL; }

const kd_op *kd_op_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < OP_COUNT; i++)
    if (strcmp(ops[i].name, name) == 0) return &ops[i];
  return NULL;
}

const char *kd_op_names(unsigned flags, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < OP_COUNT; i++) {
    if ((ops[i].flags & flags) != flags) continue;
    const int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", ops[i].name);
    if (w < 0 || (size_t)w >= size - len) break;
    len += (size_t)w;
  }
  return buf;
}

/* Legacy threefry hashes a whole draw in one call of at most 2^32 - 2 words
 * (JAX would split the key into blocks beyond that; the library refuses).
 * prepare does not know the mode, so it applies the limit in both modes:
 * the same request is then valid or not whatever the mode, and fill never
 * meets KF_EOVERFLOW. `word_bits` is the width of one element's draw. */
static int check_draw_size(size_t n, unsigned word_bits, const char *what, const char *field,
                           kd_err *err) {
  const uint64_t words = ((uint64_t)word_bits * (uint64_t)n + 31u) / 32u;
  if ((uint64_t)n > KF_MAX_ELEMENTS || words >= 0xFFFFFFFFull)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                   "%s.%s: %zu elements of %u bits are more than one draw can hold "
                   "(4294967294 threefry words)",
                   what, field, n, word_bits);
  return 0;
}

/* The shape member: absent or null is a scalar, as in jax.random. */
static int read_shape(const json_t *body, const char *what, uint64_t max_elements, kf_shape *shape,
                      size_t *n, kd_err *err) {
  const json_t *v = json_object_get(body, "shape");
  if (!v || json_is_null(v)) {
    kf_shape_make(shape, 0, NULL);
    *n = 1;
    return 0;
  }
  char field[160];
  snprintf(field, sizeof field, "%s.shape", what);
  return kd_parse_shape(v, field, max_elements, shape, n, err);
}

/* permutation's n: JAX sorts int32 indices, hence the INT32_MAX bound; the
 * configured element limit is checked first because it is the tighter one in
 * practice and deserves its own status (413). */
static int read_permutation_n(const json_t *body, const char *what, uint64_t max_elements,
                              kf_shape *shape, size_t *n, kd_err *err) {
  int64_t v;
  if (kd_get_int(body, what, "n", 1, INT64_MIN, INT64_MAX, 0, &v, err) != 0) return -1;
  if (v < 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.n must be a non-negative integer, got %lld", what,
                   (long long)v);
  if ((uint64_t)v > max_elements)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s.n is %lld, more than the limit of %llu elements",
                   what, (long long)v, (unsigned long long)max_elements);
  if (v > INT32_MAX)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.n must be at most 2147483647 (permutation sorts int32 indices), got %lld", what,
                   (long long)v);
  const int64_t dim = v;
  if (kf_shape_make(shape, 1, &dim) != KF_OK)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s.n is too large", what);
  *n = (size_t)v;
  return 0;
}

/* randint's bounds: with x64 off (JAX's default, which this API follows)
 * a Python int outside int32 raises OverflowError before anything is drawn,
 * so the x64-only clipping rule of the library is never reached. */
static int read_int32_bound(const json_t *body, const char *what, const char *name, int64_t *out,
                            kd_err *err) {
  if (kd_get_int(body, what, name, 1, INT64_MIN, INT64_MAX, 0, out, err) != 0) return -1;
  if (*out < INT32_MIN || *out > INT32_MAX)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.%s must be in the int32 range -2147483648..2147483647, got %lld "
                   "(JAX raises OverflowError for it with x64 off)",
                   what, name, (long long)*out);
  return 0;
}

/* Decodes the sampler's parameters into *out (everything but the output
 * buffer) and sets the output dtype. */
static int read_params(const kd_op *s, const json_t *body, const char *what, kd_sample *out,
                       kd_err *err) {
  switch (s->sampler) {
    case KD_S_BITS: {
      int64_t bw;
      if (kd_get_int(body, what, "bit_width", 0, INT64_MIN, INT64_MAX, 32, &bw, err) != 0) return -1;
      switch (bw) {
        case 8: out->out.dtype = KF_UINT8; break;
        case 16: out->out.dtype = KF_UINT16; break;
        case 32: out->out.dtype = KF_UINT32; break;
        case 64: out->out.dtype = KF_UINT64; break;
        default:
          return kd_fail(err, KD_INVALID_ARGUMENT, "%s.bit_width must be 8, 16, 32 or 64, got %lld",
                         what, (long long)bw);
      }
      out->bit_width = (unsigned)bw;
      return 0;
    }
    case KD_S_UNIFORM:
      out->out.dtype = KF_FLOAT32;
      /* minval > maxval is allowed, as in JAX: every element is then minval. */
      if (kd_get_f32(body, what, "minval", 0, 0.0f, &out->f1, err) != 0) return -1;
      return kd_get_f32(body, what, "maxval", 0, 1.0f, &out->f2, err);
    case KD_S_NORMAL:
      out->out.dtype = KF_FLOAT32;
      return 0;
    case KD_S_TRUNCATED_NORMAL: {
      out->out.dtype = KF_FLOAT32;
      double lo, hi;
      if (kd_get_double(body, what, "lower", 1, 0.0, &lo, err) != 0) return -1;
      if (kd_get_double(body, what, "upper", 1, 0.0, &hi, err) != 0) return -1;
      /* A bound beyond the float32 range rounds to an infinity, which JAX
       * and the library accept (a one-sided truncation); the order is
       * checked after rounding because that is what gets sampled. */
      out->f1 = (float)lo;
      out->f2 = (float)hi;
      if (!(out->f1 < out->f2))
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s.lower must be less than %s.upper (as float32), got %.9g and %.9g", what,
                       what, (double)out->f1, (double)out->f2);
      return 0;
    }
    case KD_S_BERNOULLI:
      out->out.dtype = KF_BOOL;
      /* Any finite p: values outside [0, 1] simply give all-false/all-true. */
      return kd_get_f32(body, what, "p", 0, 0.5f, &out->f1, err);
    case KD_S_RANDINT:
      out->out.dtype = KF_INT32;
      if (read_int32_bound(body, what, "minval", &out->i1, err) != 0) return -1;
      return read_int32_bound(body, what, "maxval", &out->i2, err);
    case KD_S_PERMUTATION:
      out->out.dtype = KF_INT32;
      return 0;
    case KD_S_NONE: break;
  }
  return kd_fail(err, KD_INTERNAL, "unknown sampler");
}

int kd_sample_prepare(const kd_op *s, const json_t *body, const char *what,
                      uint64_t max_elements, kd_sample *out, kd_err *err) {
  kd_sample smp;
  memset(&smp, 0, sizeof smp);
  smp.op = s;
  size_t n;
  const int is_perm = s->sampler == KD_S_PERMUTATION;
  if (is_perm ? read_permutation_n(body, what, max_elements, &smp.out.shape, &n, err)
              : read_shape(body, what, max_elements, &smp.out.shape, &n, err))
    return -1;
  if (read_params(s, body, what, &smp, err) != 0) return -1;
  if (check_draw_size(n, s->sampler == KD_S_BITS ? smp.bit_width : 32u, what, is_perm ? "n" : "shape",
                      err) != 0)
    return -1;
  const size_t size = kf_dtype_size(smp.out.dtype);
  if (n > SIZE_MAX / size)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s.%s: %zu elements do not fit in memory", what,
                   is_perm ? "n" : "shape", n);
  /* One byte for an empty draw, so that a NULL data always means failure. */
  smp.out.data = malloc(n ? n * size : 1);
  if (!smp.out.data)
    return kd_fail(err, KD_UNAVAILABLE, "%s: out of memory for %zu elements", what, n);
  smp.n = n;
  *out = smp;
  return 0;
}

/* Runs the library sampler; returns its code. Only permutation can fail
 * here (it allocates scratch memory inside the library): prepare has
 * already ruled out every other error. */
static int draw(kd_sample *sample, kf_key key, kf_threefry_mode mode) {
  void *data = sample->out.data;
  const size_t n = sample->n;
  switch (sample->op->sampler) {
    case KD_S_BITS: return kf_random_bits(key, mode, sample->bit_width, n, data);
    case KD_S_UNIFORM: return kf_random_uniform(key, mode, n, sample->f1, sample->f2, data);
    case KD_S_NORMAL: return kf_random_normal(key, mode, n, data);
    case KD_S_TRUNCATED_NORMAL:
      return kf_random_truncated_normal(key, mode, n, sample->f1, sample->f2, data);
    case KD_S_BERNOULLI: return kf_random_bernoulli(key, mode, n, sample->f1, data);
    case KD_S_RANDINT: return kf_random_randint(key, mode, n, sample->i1, sample->i2, data);
    case KD_S_PERMUTATION: return kf_random_permutation(key, mode, n, data);
    case KD_S_NONE: break;
  }
  return KF_EINVAL;
}

void kd_sample_fill(kd_sample *sample, kf_key key, kf_threefry_mode mode) {
  /* Never hand out uninitialised memory, even on the path that cannot be
   * reported (see kd_sample_draw). */
  if (draw(sample, key, mode) != KF_OK)
    memset(sample->out.data, 0, sample->n * kf_dtype_size(sample->out.dtype));
}

int kd_sample_draw(kd_sample *sample, kf_key key, kf_threefry_mode mode, kd_err *err) {
  const int rc = draw(sample, key, mode);
  if (rc != KF_OK) return kd_fail_kf(err, rc, sample->op->name);
  return 0;
}

void kd_sample_free(kd_sample *sample) {
  free(sample->out.data);
  sample->out.data = NULL;
  sample->n = 0;
}
