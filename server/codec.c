/* keyfoldd — JSON codec for fields, keys, seeds, shapes and tensors. */
#include "codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* jansson 2.14 does not survive a failed allocation inside its reader: the
 * lexer drops the byte it could not save and later reads past its buffer
 * (the allocation-failure sweep, tests/alloc_sweep.c, found it). So when
 * malloc fails, jansson gets its memory from a per-thread emergency arena
 * instead (the request goes on; its reply may still fail for want of
 * memory, with a 503). Only when the arena is exhausted too does jansson
 * see NULL, and kd_json_load then reports the failure. The arena is reused
 * once every block of it is freed. */
#define JSON_ARENA_BYTES (64 * 1024)
static _Thread_local int json_alloc_failed;
static _Thread_local _Alignas(16) unsigned char json_arena[JSON_ARENA_BYTES];
static _Thread_local size_t json_arena_used, json_arena_live;

static int in_arena(const void *p) {
  return (const unsigned char *)p >= json_arena && (const unsigned char *)p < json_arena + JSON_ARENA_BYTES;
}

static void *json_alloc(size_t n) {
  void *p = malloc(n);
  if (p) return p;
  json_alloc_failed = 1;
  const size_t rounded = (n + 15) & ~(size_t)15;
  if (rounded > JSON_ARENA_BYTES - json_arena_used) return NULL;
  p = json_arena + json_arena_used;
  json_arena_used += rounded;
  json_arena_live++;
  return p;
}

static void json_free(void *p) {
  if (!in_arena(p)) {
    free(p);
    return;
  }
  if (--json_arena_live == 0) json_arena_used = 0;
}

void kd_json_setup(void) { json_set_alloc_funcs(json_alloc, json_free); }

json_t *kd_json_load(const char *buf, size_t len, int *oom, json_error_t *jerr) {
  json_alloc_failed = 0;
  json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, jerr);
  *oom = !v && json_alloc_failed;
  return v;
}

int kd_check_fields(const json_t *obj, const char *what, const char *const *allowed, kd_err *err) {
  if (!json_is_object(obj)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a JSON object", what);
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)obj, key, value) {
    (void)value;
    int known = 0;
    for (const char *const *a = allowed; *a; a++) {
      if (strcmp(*a, key) == 0) {
        known = 1;
        break;
      }
    }
    if (!known) {
      char shown[72];
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s has an unknown field '%s'", what, kd_shown(key, shown));
    }
  }
  return 0;
}

/* Looks up a member; absent and null are both "not given". */
static const json_t *member(const json_t *obj, const char *name) {
  const json_t *v = json_object_get(obj, name);
  return json_is_null(v) ? NULL : v;
}

static int missing(const char *what, const char *name, kd_err *err) {
  return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s is required", what, name);
}

int kd_get_int(const json_t *obj, const char *what, const char *name, int required, int64_t min,
               int64_t max, int64_t def, int64_t *out, kd_err *err) {
  const json_t *v = member(obj, name);
  if (!v) {
    if (required) return missing(what, name, err);
    *out = def;
    return 0;
  }
  if (!json_is_integer(v))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be an integer", what, name);
  json_int_t x = json_integer_value(v);
  if (x < min || x > max)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be between %lld and %lld, got %lld", what,
                   name, (long long)min, (long long)max, (long long)x);
  *out = (int64_t)x;
  return 0;
}

int kd_get_double(const json_t *obj, const char *what, const char *name, int required, double def,
                  double *out, kd_err *err) {
  const json_t *v = member(obj, name);
  if (!v) {
    if (required) return missing(what, name, err);
    *out = def;
    return 0;
  }
  if (!json_is_number(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be a number", what, name);
  *out = json_number_value(v);
  return 0;
}

int kd_get_f32(const json_t *obj, const char *what, const char *name, int required, float def,
               float *out, kd_err *err) {
  double d = 0.0;
  if (kd_get_double(obj, what, name, required, def, &d, err) != 0) return -1;
  const float f = (float)d;
  if (!isfinite(f))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be a finite float32", what, name);
  *out = f;
  return 0;
}

int kd_get_bool(const json_t *obj, const char *what, const char *name, int def, int *out,
                kd_err *err) {
  const json_t *v = member(obj, name);
  if (!v) {
    *out = def;
    return 0;
  }
  if (!json_is_boolean(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be true or false", what, name);
  *out = json_is_true(v);
  return 0;
}

int kd_get_string(const json_t *obj, const char *what, const char *name, int required,
                  const char *def, const char **out, kd_err *err) {
  const json_t *v = member(obj, name);
  if (!v) {
    if (required) return missing(what, name, err);
    *out = def;
    return 0;
  }
  if (!json_is_string(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be a string", what, name);
  *out = json_string_value(v);
  return 0;
}

int kd_parse_key(const json_t *v, const char *what, kf_key *out, kd_err *err) {
  if (!json_is_array(v) || json_array_size(v) != 2)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a key [hi, lo] of two integers in 0..4294967295", what);
  uint32_t w[2];
  for (size_t i = 0; i < 2; i++) {
    const json_t *e = json_array_get(v, i);
    if (!json_is_integer(e) || json_integer_value(e) < 0 || json_integer_value(e) > 0xFFFFFFFFLL)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s[%zu] must be an integer in 0..4294967295", what, i);
    w[i] = (uint32_t)json_integer_value(e);
  }
  *out = kf_key_from_data(w[0], w[1]);
  return 0;
}

int kd_parse_seed_or_key(const json_t *v, const char *what, kf_key *out, kd_err *err) {
  if (json_is_integer(v)) {
    /* jansson already refused integers outside the signed 64-bit range. */
    *out = kf_key_from_seed((int64_t)json_integer_value(v), 0);
    return 0;
  }
  if (json_is_array(v)) return kd_parse_key(v, what, out, err);
  return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a seed (integer) or a key [hi, lo]", what);
}

int kd_get_threefry(const json_t *obj, const char *what, const char *name, kf_threefry_mode *out,
                    kd_err *err) {
  const char *s = NULL;
  if (kd_get_string(obj, what, name, 0, "partitionable", &s, err) != 0) return -1;
  if (kf_threefry_mode_from_name(s, out) != KF_OK)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be \"partitionable\" or \"legacy\"", what, name);
  return 0;
}

int kd_count_elements(const int64_t *dims, int rank, uint64_t max_elements, const char *what,
                      size_t *numel, kd_err *err) {
  uint64_t n = 1;
  int zero = 0;
  for (int i = 0; i < rank; i++) zero |= dims[i] == 0;
  for (int i = 0; i < rank && !zero; i++) {
    if ((uint64_t)dims[i] > max_elements || n > max_elements / (uint64_t)dims[i])
      return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s has more than the limit of %llu elements", what,
                     (unsigned long long)max_elements);
    n *= (uint64_t)dims[i];
  }
  *numel = zero ? 0 : (size_t)n;
  return 0;
}

int kd_parse_shape(const json_t *v, const char *what, uint64_t max_elements, kf_shape *out,
                   size_t *numel, kd_err *err) {
  if (!json_is_array(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a list of integers", what);
  const size_t rank = json_array_size(v);
  if (rank > KF_MAX_RANK)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s has rank %zu; at most %d dimensions are supported", what,
                   rank, KF_MAX_RANK);
  int64_t dims[KF_MAX_RANK];
  for (size_t i = 0; i < rank; i++) {
    const json_t *e = json_array_get(v, i);
    if (!json_is_integer(e) || json_integer_value(e) < 0)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s[%zu] must be a non-negative integer", what, i);
    dims[i] = (int64_t)json_integer_value(e);
  }
  size_t n = 0;
  if (kd_count_elements(dims, (int)rank, max_elements, what, &n, err) != 0) return -1;
  if (kf_shape_make(out, (int)rank, dims) != KF_OK)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s is too large", what);
  if (numel) *numel = n;
  return 0;
}

/* The path of one element for messages: "x[1][0]" in a nested list,
 * "x.data[5]" in a Tensor object, "x" for a number. */
typedef struct elem_path {
  const char *what;
  int tensor;
  int depth;
  size_t idx[KF_MAX_RANK];
} elem_path;

static int store_at(const kd_values_spec *spec, const json_t *e, const elem_path *p, void *data,
                    size_t i, kd_err *err) {
  char path[200];
  int w = snprintf(path, sizeof path, "%s%s", p->what, p->tensor ? ".data" : "");
  size_t len = w > 0 ? (size_t)w : 0;
  for (int d = 0; d < p->depth && len < sizeof path; d++) {
    w = snprintf(path + len, sizeof path - len, "[%zu]", p->idx[d]);
    if (w < 0) break;
    len += (size_t)w;
  }
  return spec->store(e, path, data, i, spec->ctx, err);
}

/* Walks a nested array in row-major order, checking that it is rectangular. */
static int fill_nested(const kd_values_spec *spec, const json_t *v, int depth, const kf_shape *s,
                       void *data, size_t *next, elem_path *path, kd_err *err) {
  if (depth == s->rank) {
    if (json_is_array(v))
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s is ragged: too deeply nested", path->what);
    path->depth = depth;
    return store_at(spec, v, path, data, (*next)++, err);
  }
  if (!json_is_array(v) || (int64_t)json_array_size(v) != s->dim[depth])
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s is ragged: expected a list of %lld at depth %d",
                   path->what, (long long)s->dim[depth], depth);
  for (size_t i = 0; i < json_array_size(v); i++) {
    path->idx[depth] = i;
    if (fill_nested(spec, json_array_get(v, i), depth + 1, s, data, next, path, err) != 0) return -1;
  }
  return 0;
}

int kd_parse_values(const json_t *v, const char *what, const kd_values_spec *spec,
                    uint64_t max_elements, kf_shape *shape_out, size_t *numel, void **data_out,
                    kd_err *err) {
  kf_shape shape;
  size_t n = 0;
  const json_t *flat = NULL;
  if (json_is_object(v)) {
    static const char *const fields[] = {"shape", "dtype", "data", NULL};
    if (kd_check_fields(v, what, fields, err) != 0) return -1;
    const char *dt = NULL;
    if (kd_get_string(v, what, "dtype", 0, spec->dtypes[0], &dt, err) != 0) return -1;
    int known = 0;
    for (const char *const *d = spec->dtypes; *d; d++) known |= strcmp(*d, dt) == 0;
    if (!known)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.dtype must be \"%s\"", what, spec->dtypes[0]);
    const json_t *sv = json_object_get(v, "shape");
    if (!sv) return missing(what, "shape", err);
    if (kd_parse_shape(sv, what, max_elements, &shape, &n, err) != 0) return -1;
    flat = json_object_get(v, "data");
    if (!json_is_array(flat)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.data must be a flat list", what);
    if (json_array_size(flat) != n)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.data has %zu elements but shape needs %zu", what,
                     json_array_size(flat), n);
  } else if (json_is_array(v) || json_is_number(v)) {
    /* The first element at each depth gives the shape; fill_nested then
     * checks that every other list agrees. */
    int64_t dims[KF_MAX_RANK];
    int rank = 0;
    for (const json_t *p = v; json_is_array(p); p = json_array_get(p, 0)) {
      if (rank == KF_MAX_RANK)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s is nested deeper than %d levels", what, KF_MAX_RANK);
      dims[rank++] = (int64_t)json_array_size(p);
      if (json_array_size(p) == 0) break;
    }
    if (kd_count_elements(dims, rank, max_elements, what, &n, err) != 0) return -1;
    kf_shape_make(&shape, rank, dims);
  } else {
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a number, a nested list of numbers or a tensor object",
                   what);
  }
  void *data = (n == 1 && spec->one) ? spec->one : malloc(n ? n * spec->elem_size : 1);
  if (!data) return kd_fail(err, KD_UNAVAILABLE, "%s: out of memory", what);
  elem_path path = {what, 0, 0, {0}};
  int rc = 0;
  if (flat) {
    path.tensor = 1;
    path.depth = 1;
    for (size_t i = 0; i < n && rc == 0; i++) {
      path.idx[0] = i;
      rc = store_at(spec, json_array_get(flat, i), &path, data, i, err);
    }
  } else {
    size_t next = 0;
    rc = fill_nested(spec, v, 0, &shape, data, &next, &path, err);
  }
  if (rc != 0) {
    if (data != spec->one) free(data);
    return -1;
  }
  *shape_out = shape;
  *numel = n;
  *data_out = data;
  return 0;
}

/* kd_parse_tensor's elements: float32 (finite) or int32. */
static int store_element(const json_t *e, const char *path, void *data, size_t i, const void *ctx,
                         kd_err *err) {
  if (*(const kf_dtype *)ctx == KF_INT32) {
    if (!json_is_integer(e) || json_integer_value(e) < INT32_MIN || json_integer_value(e) > INT32_MAX)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be an int32 integer", path);
    ((int32_t *)data)[i] = (int32_t)json_integer_value(e);
    return 0;
  }
  if (!json_is_number(e)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a number", path);
  const float f = (float)json_number_value(e);
  if (!isfinite(f)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s is not a finite float32", path);
  ((float *)data)[i] = f;
  return 0;
}

int kd_parse_tensor(const json_t *v, const char *what, kf_dtype dtype, uint64_t max_elements,
                    kf_tensor *out, kd_err *err) {
  /* float inputs take integer tensors too */
  static const char *const float_dtypes[] = {"float32", "int32", NULL};
  static const char *const int_dtypes[] = {"int32", NULL};
  const kd_values_spec spec = {kf_dtype_size(dtype), store_element, &dtype,
                               dtype == KF_INT32 ? int_dtypes : float_dtypes, NULL};
  void *data;
  size_t n;
  if (kd_parse_values(v, what, &spec, max_elements, &out->shape, &n, &data, err) != 0) return -1;
  out->dtype = dtype;
  out->data = data;
  return 0;
}

const char *kd_shown(const char *s, char out[72]) {
  size_t i = 0;
  for (; s && s[i] && i < 64; i++) {
    const unsigned char c = (unsigned char)s[i];
    out[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
  }
  out[i] = '\0';
  if (s && s[i]) memcpy(out + i, "...", 4);
  return out;
}

void kd_write_key(kd_jw *w, kf_key key) {
  kd_jw_array_begin(w);
  kd_jw_uint(w, key.hi);
  kd_jw_uint(w, key.lo);
  kd_jw_array_end(w);
}

void kd_write_shape(kd_jw *w, const kf_shape *s) {
  kd_jw_array_begin(w);
  for (int i = 0; i < s->rank; i++) kd_jw_int(w, s->dim[i]);
  kd_jw_array_end(w);
}

void kd_write_tensor_members(kd_jw *w, const kf_tensor *t) {
  size_t n = 0;
  kf_shape_numel(&t->shape, &n);
  kd_jw_key(w, "shape");
  kd_write_shape(w, &t->shape);
  kd_jw_key(w, "dtype");
  kd_jw_string(w, kf_dtype_name(t->dtype));
  kd_jw_key(w, "data");
  kd_jw_array_begin(w);
  /* Reserve roughly what the elements need so large tensors grow once. */
  kd_buf_reserve(w->buf, n * 12);
  char tmp[32];
  for (size_t i = 0; i < n; i++) {
    switch (t->dtype) {
      case KF_FLOAT32: kd_jw_f32(w, ((const float *)t->data)[i]); break;
      case KF_FLOAT64: kd_jw_double(w, ((const double *)t->data)[i]); break;
      case KF_INT32: kd_jw_int(w, ((const int32_t *)t->data)[i]); break;
      case KF_UINT32: kd_jw_uint(w, ((const uint32_t *)t->data)[i]); break;
      case KF_UINT16: kd_jw_uint(w, ((const uint16_t *)t->data)[i]); break;
      case KF_UINT8: kd_jw_uint(w, ((const uint8_t *)t->data)[i]); break;
      case KF_BOOL: kd_jw_bool(w, ((const uint8_t *)t->data)[i] != 0); break;
      case KF_UINT64:
        /* 64-bit integers as decimal strings: JSON readers that parse
         * numbers as doubles would round them. */
        snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)((const uint64_t *)t->data)[i]);
        kd_jw_string(w, tmp);
        break;
      case KF_INT64:
        snprintf(tmp, sizeof tmp, "%lld", (long long)((const int64_t *)t->data)[i]);
        kd_jw_string(w, tmp);
        break;
    }
  }
  kd_jw_array_end(w);
}

void kd_write_tensor(kd_jw *w, const kf_tensor *t) {
  kd_jw_object_begin(w);
  kd_write_tensor_members(w, t);
  kd_jw_object_end(w);
}
