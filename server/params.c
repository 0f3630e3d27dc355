/* keyfoldd — the parameter model of the jax.random operations (params.h). */
#include "params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int kd_param_broadcasts(const kd_param *p) {
  return (p->kind == KD_PK_FLOAT || p->kind == KD_PK_INT) && !(p->flags & (KD_PF_SCALAR | KD_PF_WHOLE));
}

const char *kd_param_kind_name(kd_param_kind kind) {
  switch (kind) {
    case KD_PK_KEY: return "key";
    case KD_PK_SEED: return "seed";
    case KD_PK_SHAPE: return "shape";
    case KD_PK_INT_OR_SHAPE: return "int_or_shape";
    case KD_PK_FLOAT: return "float";
    case KD_PK_INT: return "int";
    case KD_PK_ENUM: return "enum";
    case KD_PK_DTYPE: return "dtype";
    case KD_PK_BOOL: return "bool";
    case KD_PK_AXIS: return "axis";
  }
  return "unknown";
}

const char *kd_shape_py(const kf_shape *s, char *buf, size_t size) {
  size_t len = 0;
  int w = snprintf(buf, size, "(");
  len = w > 0 ? (size_t)w : 0;
  for (int d = 0; d < s->rank && len < size; d++) {
    w = snprintf(buf + len, size - len, "%s%lld", d ? ", " : "", (long long)s->dim[d]);
    if (w < 0) break;
    len += (size_t)w;
  }
  if (len < size) snprintf(buf + len, size - len, "%s)", s->rank == 1 ? "," : "");
  return buf;
}

/* Looks up a member; absent and null are both "not given". */
static const json_t *member(const json_t *obj, const char *name) {
  const json_t *v = json_object_get(obj, name);
  return json_is_null(v) ? NULL : v;
}

/* ------------------------------------------------------------------ values */

/* One element of a "float" or "int" parameter (kd_parse_values's store). */
static int store_value(const json_t *e, const char *path, void *data, size_t i, const void *ctx,
                       kd_err *err) {
  const kd_param *p = ctx;
  if (p->kind == KD_PK_INT) {
    if (!json_is_integer(e)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be an integer", path);
    const json_int_t x = json_integer_value(e);
    if (x < p->min || x > p->max) {
      if (p->min == INT32_MIN && p->max == INT32_MAX)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s must be in the int32 range -2147483648..2147483647, got %lld "
                       "(JAX raises OverflowError for it with x64 off)",
                       path, (long long)x);
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be between %lld and %lld, got %lld", path,
                     (long long)p->min, (long long)p->max, (long long)x);
    }
    ((int64_t *)data)[i] = (int64_t)x;
    return 0;
  }
  if (!json_is_number(e)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a number", path);
  const float f = (float)json_number_value(e);
  if (!isfinite(f) && !(p->flags & KD_PF_INF))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a finite float32", path);
  ((float *)data)[i] = f;
  return 0;
}

/* Whether every element of a number, nested list or Tensor object is an
 * integer as jnp.asarray would type it: JSON integers, or a Tensor of dtype
 * int32. */
static int all_integers(const json_t *v) {
  if (json_is_object(v)) {
    const json_t *dtype = json_object_get(v, "dtype");
    return json_is_string(dtype) && strcmp(json_string_value(dtype), "int32") == 0;
  }
  if (!json_is_array(v)) return json_is_integer(v);
  size_t i;
  const json_t *e;
  json_array_foreach(v, i, e) if (!all_integers(e)) return 0;
  return 1;
}

/* A "float" or "int" value: a number or (unless KD_PF_SCALAR) a nested list
 * or a Tensor object. */
static int decode_array(const kd_param *p, const json_t *v, const char *field,
                        uint64_t max_elements, kd_arg *arg, kd_err *err) {
  if (p->kind == KD_PK_FLOAT && (p->flags & KD_PF_KEEP_INT) && all_integers(v)) {
    kd_param as_int = *p;
    as_int.kind = KD_PK_INT;
    as_int.min = INT32_MIN;
    as_int.max = INT32_MAX;
    arg->is_int = 1;
    return decode_array(&as_int, v, field, max_elements, arg, err);
  }
  /* float parameters take integer tensors too, as JAX converts them */
  static const char *const float_dtypes[] = {"float32", "int32", NULL};
  static const char *const int_dtypes[] = {"int32", NULL};
  const int is_int = p->kind == KD_PK_INT;
  if ((p->flags & KD_PF_SCALAR) && !json_is_number(v))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be %s", field, is_int ? "an integer" : "a number");
  void *one = is_int ? (void *)&arg->one_i : (void *)&arg->one_f;
  const kd_values_spec spec = {is_int ? sizeof(int64_t) : sizeof(float), store_value, p,
                               is_int ? int_dtypes : float_dtypes, one};
  void *data;
  if (kd_parse_values(v, field, &spec, max_elements, &arg->shape, &arg->count, &data, err) != 0)
    return -1;
  if (data != one) arg->owned = data;
  return 0;
}

/* ------------------------------------------------------------------ dtypes */

static const struct {
  const char *name;
  unsigned cls;
} dtype_names[] = {
  {"float16", KD_DT_FLOAT}, {"bfloat16", KD_DT_FLOAT}, {"float32", KD_DT_FLOAT},
  {"float64", KD_DT_FLOAT}, {"int8", KD_DT_SINT},      {"int16", KD_DT_SINT},
  {"int32", KD_DT_SINT},    {"int64", KD_DT_SINT},     {"uint8", KD_DT_UINT},
  {"uint16", KD_DT_UINT},   {"uint32", KD_DT_UINT},    {"uint64", KD_DT_UINT},
  {"bool", KD_DT_BOOL},     {"complex64", KD_DT_COMPLEX}, {"complex128", KD_DT_COMPLEX},
};

static const char *one_of(const char *const *values, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (const char *const *v = values; v && *v; v++) {
    const int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *v);
    if (w < 0 || (size_t)w >= size - len) break;
    len += (size_t)w;
  }
  return buf;
}

static const char *find_value(const char *const *values, const char *s) {
  for (const char *const *v = values; v && *v; v++)
    if (strcmp(*v, s) == 0) return *v;
  return NULL;
}

static int decode_dtype(const kd_param *p, const char *s, const char *field, kd_arg *arg,
                        kd_err *err) {
  char shown[72], list[160];
  arg->s = find_value(p->values, s);
  if (arg->s) return 0;
  unsigned cls = 0;
  for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
    if (strcmp(dtype_names[i].name, s) == 0) cls = dtype_names[i].cls;
  if (!cls)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a dtype name (%s), got '%s'", field,
                   one_of(p->values, list, sizeof list), kd_shown(s, shown));
  if (!(cls & p->accepts) && p->jax_error) {
    char msg[256];
    snprintf(msg, sizeof msg, p->jax_error, s);
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s: %s", field, msg);
  }
  /* JAX would compute it; keyfold does not (yet). 64-bit dtypes: JAX with
   * x64 off, which keyfold follows, silently gives 32 bits instead. */
  return kd_fail(err, KD_INVALID_ARGUMENT, "%s: keyfold computes %s only, got %s%s", field,
                 one_of(p->values, list, sizeof list), s,
                 strstr(s, "64") ? " (with x64 off, as keyfold follows JAX, a 64-bit dtype is "
                                   "not available: JAX would quietly give 32 bits)"
                                 : " (not implemented)");
}

/* ------------------------------------------------------------------ decode */

static int missing(const char *field, kd_err *err) {
  return kd_fail(err, KD_INVALID_ARGUMENT, "%s is required", field);
}

/* The default of a parameter that was not given. */
static int apply_default(const kd_param *p, const char *field, kd_arg *arg, kd_err *err) {
  if (p->flags & KD_PF_REQUIRED) return missing(field, err);
  kf_shape_make(&arg->shape, 0, NULL);
  switch (p->kind) {
    case KD_PK_FLOAT:
      arg->one_f = (float)p->def.f;
      arg->count = 1;
      break;
    case KD_PK_INT:
      arg->one_i = p->def.i;
      arg->n = p->def.i;
      arg->count = 1;
      break;
    case KD_PK_AXIS: arg->n = p->def.i; break;
    case KD_PK_BOOL: arg->n = p->def.kind == KD_DEF_BOOL ? p->def.i != 0 : 0; break;
    case KD_PK_ENUM:
    case KD_PK_DTYPE: arg->s = p->def.s; break;
    case KD_PK_SHAPE: arg->count = 1; break; /* [] or JAX's None: kd_params_shape decides */
    case KD_PK_INT_OR_SHAPE: {
      const int64_t dim = p->def.i;
      kf_shape_make(&arg->shape, 1, &dim);
      arg->count = (size_t)dim;
      break;
    }
    case KD_PK_KEY:
    case KD_PK_SEED: break;
  }
  return 0;
}

static int decode_one(const kd_param *p, const json_t *body, const char *what, unsigned how,
                      uint64_t max_elements, kd_arg *arg, kd_err *err) {
  char field[160];
  snprintf(field, sizeof field, "%s.%s", what, p->name);
  if (p->kind == KD_PK_KEY && !(how & KD_READ_KEY)) return 0;
  const json_t *v = member(body, p->name);
  if (!v) return apply_default(p, field, arg, err);
  arg->given = 1;
  switch (p->kind) {
    case KD_PK_KEY: return kd_parse_key(v, field, &arg->key, err);
    case KD_PK_SEED: return kd_parse_seed_or_key(v, field, &arg->key, err);
    case KD_PK_SHAPE: return kd_parse_shape(v, field, max_elements, &arg->shape, &arg->count, err);
    case KD_PK_INT_OR_SHAPE: {
      if (json_is_array(v)) return kd_parse_shape(v, field, max_elements, &arg->shape, &arg->count, err);
      if (!json_is_integer(v) || json_integer_value(v) < 0)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s must be a non-negative integer or a shape (a list of them)", field);
      const int64_t dim = (int64_t)json_integer_value(v);
      if ((uint64_t)dim > max_elements)
        return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s is %lld, more than the limit of %llu elements",
                       field, (long long)dim, (unsigned long long)max_elements);
      kf_shape_make(&arg->shape, 1, &dim);
      arg->count = (size_t)dim;
      return 0;
    }
    case KD_PK_FLOAT:
    case KD_PK_INT:
      if (p->kind == KD_PK_INT && (p->flags & KD_PF_SCALAR)) {
        if (!json_is_integer(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be an integer", field);
        const json_int_t x = json_integer_value(v);
        if ((p->flags & KD_PF_COUNT) && x > 0 && (uint64_t)x > max_elements)
          return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s is %lld, more than the limit of %llu elements",
                         field, (long long)x, (unsigned long long)max_elements);
        if (x < p->min || x > p->max)
          return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be between %lld and %lld, got %lld", field,
                         (long long)p->min, (long long)p->max, (long long)x);
        if (p->choices) {
          const int64_t *c = p->choices;
          while (*c != KD_CHOICES_END && *c != (int64_t)x) c++;
          if (*c == KD_CHOICES_END) {
            char list[160];
            size_t len = 0;
            list[0] = '\0';
            for (c = p->choices; *c != KD_CHOICES_END; c++) {
              const int w = snprintf(list + len, sizeof list - len, "%s%lld",
                                     len ? (c[1] != KD_CHOICES_END ? ", " : " or ") : "", (long long)*c);
              if (w < 0 || (size_t)w >= sizeof list - len) break;
              len += (size_t)w;
            }
            return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be %s, got %lld", field, list, (long long)x);
          }
        }
        arg->n = arg->one_i = (int64_t)x;
        arg->count = 1;
        kf_shape_make(&arg->shape, 0, NULL);
        return 0;
      }
      return decode_array(p, v, field, max_elements, arg, err);
    case KD_PK_AXIS:
      if (!json_is_integer(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be an integer", field);
      if (json_integer_value(v) < p->min || json_integer_value(v) > p->max)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be between %lld and %lld, got %lld", field,
                       (long long)p->min, (long long)p->max, (long long)json_integer_value(v));
      arg->n = (int64_t)json_integer_value(v);
      return 0;
    case KD_PK_BOOL:
      if (!json_is_boolean(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be true or false", field);
      arg->n = json_is_true(v);
      return 0;
    case KD_PK_ENUM:
    case KD_PK_DTYPE: {
      if (!json_is_string(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a string", field);
      const char *s = json_string_value(v);
      if (p->kind == KD_PK_DTYPE) return decode_dtype(p, s, field, arg, err);
      arg->s = find_value(p->values, s);
      if (arg->s) return 0;
      char shown[72], list[160];
      if (p->jax_error) {
        char msg[256];
        snprintf(msg, sizeof msg, p->jax_error, kd_shown(s, shown));
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s: %s", field, msg);
      }
      size_t len = 0;
      list[0] = '\0';
      for (const char *const *e = p->values; e && *e; e++) {
        const int w = snprintf(list + len, sizeof list - len, "%s'%s'", len ? (e[1] ? ", " : " or ") : "", *e);
        if (w < 0 || (size_t)w >= sizeof list - len) break;
        len += (size_t)w;
      }
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s: got %s='%s', expected %s", field, p->name,
                     kd_shown(s, shown), list);
    }
  }
  return kd_fail(err, KD_INTERNAL, "%s: unknown parameter kind", field);
}

int kd_params_decode(const kd_param *params, const json_t *body, const char *what, unsigned how,
                     const char *const *extra, uint64_t max_elements, kd_args *out, kd_err *err) {
  memset(out, 0, sizeof *out);
  out->params = params;
  const char *allowed[KD_MAX_PARAMS + 8];
  size_t k = 0, count = 0;
  for (const kd_param *p = params; p && p->name; p++, count++) {
    if (count == KD_MAX_PARAMS) return kd_fail(err, KD_INTERNAL, "too many parameters");
    if (p->kind == KD_PK_KEY && !(how & KD_READ_KEY)) continue;
    allowed[k++] = p->name;
  }
  for (; extra && *extra && k < sizeof allowed / sizeof allowed[0] - 1; extra++) allowed[k++] = *extra;
  allowed[k] = NULL;
  if (kd_check_fields(body, what, allowed, err) != 0) return -1;
  out->count = count;
  for (size_t i = 0; i < count; i++) {
    if (decode_one(&params[i], body, what, how, max_elements, &out->a[i], err) != 0) {
      kd_args_free(out);
      return -1;
    }
  }
  return 0;
}

/* ------------------------------------------------------------ broadcasting */

/* NumPy's rule on two shapes: right-aligned, each pair of dimensions equal
 * or one of them 1. */
static int broadcast2(const kf_shape *a, const kf_shape *b, kf_shape *out) {
  const int rank = a->rank > b->rank ? a->rank : b->rank;
  int64_t dims[KF_MAX_RANK];
  for (int d = 0; d < rank; d++) {
    const int da = d - (rank - a->rank), db = d - (rank - b->rank);
    const int64_t x = da >= 0 ? a->dim[da] : 1, y = db >= 0 ? b->dim[db] : 1;
    if (x != y && x != 1 && y != 1) return -1;
    dims[d] = x == 1 ? y : x;
  }
  kf_shape_make(out, rank, dims);
  return 0;
}

static int shape_equal(const kf_shape *a, const kf_shape *b) {
  if (a->rank != b->rank) return 0;
  for (int d = 0; d < a->rank; d++)
    if (a->dim[d] != b->dim[d]) return 0;
  return 1;
}

/* "shapes=[(2, 3), (4,), ()]" as lax.broadcast_shapes writes it: `first`
 * (the shape argument, or NULL) then every array parameter's shape. */
static const char *shapes_text(const kf_shape *first, const kd_args *args, char *buf, size_t size) {
  char one[8 * 24 + 8];
  size_t len = 0;
  int w = snprintf(buf, size, "shapes=[");
  len = w > 0 ? (size_t)w : 0;
  int n = 0;
  if (first) {
    w = snprintf(buf + len, size - len, "%s", kd_shape_py(first, one, sizeof one));
    if (w > 0 && (size_t)w < size - len) len += (size_t)w;
    n++;
  }
  for (size_t i = 0; i < args->count && len < size; i++) {
    if (!kd_param_broadcasts(&args->params[i])) continue;
    w = snprintf(buf + len, size - len, "%s%s", n++ ? ", " : "",
                 kd_shape_py(&args->a[i].shape, one, sizeof one));
    if (w < 0 || (size_t)w >= size - len) break;
    len += (size_t)w;
  }
  if (len < size) snprintf(buf + len, size - len, "]");
  return buf;
}

const char *kd_shape_rule_name(kd_shape_rule rule) {
  switch (rule) {
    case KD_SHAPE_SCALAR: return "scalar";
    case KD_SHAPE_BROADCAST: return "broadcast";
    case KD_SHAPE_CONCAT: return "concat";
    case KD_SHAPE_OUTER: return "outer";
    case KD_SHAPE_TO: return "to";
    case KD_SHAPE_OWN: return "own";
  }
  return "unknown";
}

/* acc := broadcast of acc (if `first`) and every array parameter, or a 400
 * naming the first parameter that does not fit, with JAX's text. */
static int broadcast_params(kd_args *args, const char *what, const kf_shape *first, kf_shape *acc,
                            kd_err *err) {
  char text[400];
  if (first)
    *acc = *first;
  else
    kf_shape_make(acc, 0, NULL);
  for (size_t i = 0; i < args->count; i++) {
    if (!kd_param_broadcasts(&args->params[i])) continue;
    if (broadcast2(acc, &args->a[i].shape, acc) != 0)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s: Incompatible shapes for broadcasting: %s", what,
                     args->params[i].name, shapes_text(first, args, text, sizeof text));
  }
  return 0;
}

/* KD_SHAPE_OUTER's parameters with an outer_step, broadcast into acc (from
 * the draw's shape) in their turn, failing with jnp's text for that op. */
static int outer_steps(const kd_args *args, const char *what, const kf_shape *draw, kf_shape *acc,
                       kd_err *err) {
  char a[8 * 24 + 8], b[8 * 24 + 8];
  *acc = *draw;
  for (unsigned step = 1; step <= KD_MAX_PARAMS; step++)
    for (size_t i = 0; i < args->count; i++) {
      const kd_param *p = &args->params[i];
      if (p->outer_step != step || !kd_param_broadcasts(p)) continue;
      if (broadcast2(acc, &args->a[i].shape, acc) != 0)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s.%s: %s got incompatible shapes for broadcasting: %s, %s.", what, p->name,
                       p->outer_op, kd_shape_py(acc, a, sizeof a),
                       kd_shape_py(&args->a[i].shape, b, sizeof b));
    }
  return 0;
}

/* numpy's "float32[2,3]" (jnp.broadcast_to's text). */
static const char *np_type(const kf_shape *s, char *buf, size_t size) {
  size_t len = (size_t)snprintf(buf, size, "float32[");
  for (int d = 0; d < s->rank && len < size; d++)
    len += (size_t)snprintf(buf + len, size - len, "%s%lld", d ? "," : "", (long long)s->dim[d]);
  if (len < size) snprintf(buf + len, size - len, "]");
  return buf;
}

/* jnp.broadcast_to's check of one parameter's shape against `shape`. */
static int check_broadcast_to(const kd_param *param, const kf_shape *p, const kf_shape *shape,
                              const char *what, kd_err *err) {
  char a[8 * 24 + 16], b[8 * 24 + 16];
  if (p->rank > shape->rank)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.%s: Cannot broadcast to shape with fewer dimensions: arr_shape=%s shape=%s",
                   what, param->name, kd_shape_py(p, a, sizeof a), kd_shape_py(shape, b, sizeof b));
  for (int d = 0; d < p->rank; d++) {
    const int64_t pd = p->dim[d], sd = shape->dim[shape->rank - p->rank + d];
    if (pd != 1 && pd != sd)
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s.%s: Incompatible types for broadcasting: input type=%s and requested type=%s",
                     what, param->name, np_type(p, a, sizeof a), np_type(shape, b, sizeof b));
  }
  return 0;
}

/* KD_SHAPE_TO with a shape: each array parameter broadcast_to it. */
static int broadcast_to_shape(const kd_args *args, const char *what, const kf_shape *shape, kd_err *err) {
  for (size_t i = 0; i < args->count; i++)
    if (kd_param_broadcasts(&args->params[i]) &&
        check_broadcast_to(&args->params[i], &args->a[i].shape, shape, what, err) != 0)
      return -1;
  return 0;
}

/* JAX's _check_shape text: broadcasting gave `got` for the shape asked. */
static int shape_mismatch(const char *op, const kf_shape *got, const kf_shape *shape, const char *what,
                          const char *culprit, kd_err *err) {
  char a[8 * 24 + 8], b[8 * 24 + 8];
  return kd_fail(err, KD_INVALID_ARGUMENT,
                 "%s.%s: %s parameter shapes must be broadcast-compatible with shape argument, "
                 "and the result of broadcasting the shapes must equal the shape argument, but "
                 "got result %s for shape argument %s.",
                 what, culprit, op, kd_shape_py(got, a, sizeof a), kd_shape_py(shape, b, sizeof b));
}

/* "shapes=[(2,), (3,)]": lax.broadcast_shapes' list of its arguments. */
static const char *shape_list(const kf_shape *first, const kf_shape *shapes, size_t count, char *buf,
                              size_t size) {
  char one[8 * 24 + 8];
  size_t len = (size_t)snprintf(buf, size, "shapes=[");
  for (size_t i = 0; i <= count && len < size; i++) {
    const kf_shape *sh = i == 0 ? first : &shapes[i - 1];
    if (!sh) continue;
    len += (size_t)snprintf(buf + len, size - len, "%s%s", len > 8 ? ", " : "",
                            kd_shape_py(sh, one, sizeof one));
  }
  if (len < size) snprintf(buf + len, size - len, "]");
  return buf;
}

int kd_shape_check_all(const char *op, const kf_shape *shape, const kf_shape *params, size_t count,
                       const char *what, kd_err *err) {
  kf_shape acc = *shape;
  char text[600];
  for (size_t i = 0; i < count; i++)
    if (broadcast2(&acc, &params[i], &acc) != 0)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: Incompatible shapes for broadcasting: %s", what,
                     shape_list(shape, params, count, text, sizeof text));
  if (!shape_equal(&acc, shape)) return shape_mismatch(op, &acc, shape, what, "shape", err);
  return 0;
}

int kd_shape_broadcast_all(const kf_shape *shapes, size_t count, const char *what, const char *field,
                           kf_shape *out, kd_err *err) {
  char text[600];
  kf_shape_make(out, 0, NULL);
  for (size_t i = 0; i < count; i++)
    if (broadcast2(out, &shapes[i], out) != 0)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s: Incompatible shapes for broadcasting: %s", what,
                     field, shape_list(NULL, shapes, count, text, sizeof text));
  return 0;
}

int kd_params_shape(const char *op, kd_shape_rule rule, kd_args *args, const char *what,
                    uint64_t max_elements, kd_err *err) {
  const kd_arg *shape_arg = kd_args_cget(args, "shape");
  const int given = shape_arg && shape_arg->given;
  char a[8 * 24 + 8], b[8 * 24 + 8];
  kf_shape shape, acc, draw;
  kf_shape_make(&shape, 0, NULL);
  if (given) shape = shape_arg->shape;
  draw = shape;
  if ((rule == KD_SHAPE_BROADCAST || rule == KD_SHAPE_TO) && !given) {
    /* JAX's None: lax.broadcast_shapes of the parameter shapes. */
    if (broadcast_params(args, what, NULL, &acc, err) != 0) return -1;
    draw = acc;
  } else switch (rule) {
    case KD_SHAPE_BROADCAST: /* a given shape is checked as for KD_SHAPE_SCALAR */
    case KD_SHAPE_SCALAR:
      /* broadcast_shapes(shape, *param_shapes) must be shape itself */
      if (broadcast_params(args, what, &shape, &acc, err) != 0) return -1;
      if (!shape_equal(&acc, &shape)) {
        const char *culprit = "shape";
        for (size_t i = 0; i < args->count; i++) {
          kf_shape one;
          if (!kd_param_broadcasts(&args->params[i])) continue;
          if (broadcast2(&shape, &args->a[i].shape, &one) == 0 && !shape_equal(&one, &shape)) {
            culprit = args->params[i].name;
            break;
          }
        }
        return shape_mismatch(op, &acc, &shape, what, culprit, err);
      }
      break;
    case KD_SHAPE_TO:
      if (broadcast_to_shape(args, what, &shape, err) != 0) return -1;
      acc = shape;
      break;
    case KD_SHAPE_CONCAT: {
      kf_shape params;
      if (broadcast_params(args, what, NULL, &params, err) != 0) return -1;
      const kf_shape *head = shape.rank ? &shape : &params;
      if (head->rank + params.rank > KF_MAX_RANK)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: %s + %s has more than %d dimensions", what,
                       kd_shape_py(head, a, sizeof a), kd_shape_py(&params, b, sizeof b), KF_MAX_RANK);
      int64_t dims[KF_MAX_RANK];
      for (int d = 0; d < head->rank; d++) dims[d] = head->dim[d];
      for (int d = 0; d < params.rank; d++) dims[head->rank + d] = params.dim[d];
      kf_shape_make(&acc, head->rank + params.rank, dims);
      draw = acc;
      break;
    }
    case KD_SHAPE_OUTER:
      /* the draw has `shape`; the output is its broadcast with the parameters */
      if (outer_steps(args, what, &shape, &acc, err) != 0) return -1;
      if (broadcast_params(args, what, &acc, &acc, err) != 0) return -1;
      break;
    case KD_SHAPE_OWN:
      return kd_fail(err, KD_INTERNAL, "%s: the row derives its own shape", op);
  }
  size_t n = 0, draw_n = 0;
  char field[160];
  snprintf(field, sizeof field, "%s: the shape %s", what, kd_shape_py(&acc, a, sizeof a));
  if (kd_count_elements(acc.dim, acc.rank, max_elements, field, &n, err) != 0) return -1;
  kf_shape_numel(&draw, &draw_n);
  args->shape = acc;
  args->n = n;
  args->draw_shape = draw;
  args->draw_n = draw_n;
  return 0;
}

/* Expands one parameter's values to the output shape (row-major). */
static void expand(const kf_shape *out_shape, size_t n, const kd_arg *arg, size_t size,
                   const void *src, void *dst) {
  const int rank = out_shape->rank;
  size_t stride[KF_MAX_RANK], idx[KF_MAX_RANK] = {0};
  /* the parameter's row-major strides, right-aligned; 0 where it repeats */
  size_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    const int pd = d - (rank - arg->shape.rank);
    if (pd < 0 || arg->shape.dim[pd] == 1) {
      stride[d] = 0;
    } else {
      stride[d] = s;
    }
    if (pd >= 0) s *= (size_t)arg->shape.dim[pd];
  }
  size_t off = 0;
  for (size_t j = 0; j < n; j++) {
    memcpy((char *)dst + j * size, (const char *)src + off * size, size);
    for (int d = rank - 1; d >= 0; d--) {
      off += stride[d];
      if (++idx[d] < (size_t)out_shape->dim[d]) break;
      off -= stride[d] * idx[d];
      idx[d] = 0;
    }
  }
}

int kd_arg_broadcast_to(const kd_param *p, kd_arg *arg, const kf_shape *to, const char *what,
                        kd_err *err) {
  if (check_broadcast_to(p, &arg->shape, to, what, err) != 0) return -1;
  size_t n = 1;
  for (int d = 0; d < to->rank; d++) n *= (size_t)to->dim[d];
  if (n != arg->count || n == 0) {
    const int is_int = p->kind == KD_PK_INT;
    const size_t size = is_int ? sizeof(int64_t) : sizeof(float);
    void *dst = malloc(n ? n * size : 1);
    if (!dst)
      return kd_fail(err, KD_UNAVAILABLE, "%s.%s: out of memory broadcasting %zu values", what, p->name, n);
    expand(to, n, arg, size, is_int ? (const void *)kd_arg_ints(arg) : (const void *)kd_arg_floats(arg), dst);
    free(arg->owned);
    arg->owned = dst;
  }
  arg->count = n;
  arg->shape = *to;
  return 0;
}

int kd_params_broadcast(kd_args *args, const char *what, kd_err *err) {
  for (size_t i = 0; i < args->count; i++) {
    const kd_param *p = &args->params[i];
    kd_arg *arg = &args->a[i];
    if (!kd_param_broadcasts(p) || arg->count == 1) continue;
    if (args->n == 0 || shape_equal(&arg->shape, &args->shape)) {
      arg->count = args->n;
      continue;
    }
    const int is_int = p->kind == KD_PK_INT;
    const size_t size = is_int ? sizeof(int64_t) : sizeof(float);
    void *dst = malloc(args->n * size);
    if (!dst)
      return kd_fail(err, KD_UNAVAILABLE, "%s.%s: out of memory broadcasting %zu values", what,
                     p->name, args->n);
    expand(&args->shape, args->n, arg, size,
           is_int ? (const void *)kd_arg_ints(arg) : (const void *)kd_arg_floats(arg), dst);
    free(arg->owned);
    arg->owned = dst;
    arg->count = args->n;
    arg->shape = args->shape;
  }
  return 0;
}

kd_arg *kd_args_get(kd_args *args, const char *name) {
  for (size_t i = 0; i < args->count; i++)
    if (strcmp(args->params[i].name, name) == 0) return &args->a[i];
  return NULL;
}

const kd_arg *kd_args_cget(const kd_args *args, const char *name) {
  return kd_args_get((kd_args *)args, name);
}

void kd_args_free(kd_args *args) {
  for (size_t i = 0; i < args->count; i++) {
    free(args->a[i].owned);
    args->a[i].owned = NULL;
  }
  args->count = 0;
}

/* ----------------------------------------------------------------- listing */

static void write_default(kd_jw *w, const kd_param *p) {
  if (p->flags & KD_PF_REQUIRED) {
    kd_jw_null(w);
    return;
  }
  switch (p->def.kind) {
    case KD_DEF_NONE: kd_jw_null(w); return;
    case KD_DEF_FLOAT: kd_jw_double(w, p->def.f); return;
    case KD_DEF_INT: kd_jw_int(w, p->def.i); return;
    case KD_DEF_STRING: kd_jw_string(w, p->def.s); return;
    case KD_DEF_BOOL: kd_jw_bool(w, p->def.i != 0); return;
    case KD_DEF_EMPTY_SHAPE:
      kd_jw_array_begin(w);
      kd_jw_array_end(w);
      return;
  }
  kd_jw_null(w);
}

void kd_param_write(kd_jw *w, const kd_param *p) {
  kd_jw_object_begin(w);
  kd_jw_key(w, "name");
  kd_jw_string(w, p->name);
  kd_jw_key(w, "kind");
  kd_jw_string(w, kd_param_kind_name(p->kind));
  kd_jw_key(w, "required");
  kd_jw_bool(w, (p->flags & KD_PF_REQUIRED) != 0);
  kd_jw_key(w, "default");
  write_default(w, p);
  kd_jw_key(w, "dtype");
  if (p->kind == KD_PK_FLOAT)
    kd_jw_string(w, "float32");
  else if (p->kind == KD_PK_INT)
    kd_jw_string(w, p->min >= INT32_MIN && p->max <= INT32_MAX ? "int32"
                    : p->min >= 0 && p->max <= (int64_t)UINT32_MAX ? "uint32"
                                                                    : "int64");
  else
    kd_jw_null(w);
  kd_jw_key(w, "array"); /* accepts an array: broadcast, or whole (KD_PF_WHOLE) */
  kd_jw_bool(w, (p->kind == KD_PK_FLOAT || p->kind == KD_PK_INT) && !(p->flags & KD_PF_SCALAR));
  if (p->kind == KD_PK_FLOAT) {
    kd_jw_key(w, "infinite");
    kd_jw_bool(w, (p->flags & KD_PF_INF) != 0);
  }
  if (p->kind == KD_PK_INT || p->kind == KD_PK_AXIS) {
    kd_jw_key(w, "min");
    kd_jw_int(w, p->min);
    kd_jw_key(w, "max");
    kd_jw_int(w, p->max);
  }
  if (p->kind == KD_PK_ENUM || p->kind == KD_PK_DTYPE) {
    kd_jw_key(w, "values");
    kd_jw_array_begin(w);
    for (const char *const *v = p->values; v && *v; v++) kd_jw_string(w, *v);
    kd_jw_array_end(w);
  } else if (p->kind == KD_PK_INT && p->choices) {
    kd_jw_key(w, "values");
    kd_jw_array_begin(w);
    for (const int64_t *c = p->choices; *c != KD_CHOICES_END; c++) kd_jw_int(w, *c);
    kd_jw_array_end(w);
  }
  kd_jw_key(w, "description");
  kd_jw_string(w, p->description ? p->description : "");
  kd_jw_object_end(w);
}
