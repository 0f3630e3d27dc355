/* keyfoldd — JSON codec for initializers and layer specs (nn_codec.h).
 *
 * Parsing checks everything a single layer can know on its own — field
 * types, sizes, the element limit, and each initializer against the shape of
 * the parameter it will fill — so that errors name the exact field.
 * kf_model_check still runs afterwards for what needs the whole model.
 */
#include "nn_codec.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

static const char *const no_fields[] = {NULL};
static const char *const normal_fields[] = {"stddev", NULL};
static const char *const uniform_fields[] = {"scale", NULL};
static const char *const truncated_normal_fields[] = {"stddev", "lower", "upper", NULL};
static const char *const constant_fields[] = {"value", NULL};
static const char *const variance_scaling_fields[] = {"scale", "mode", "distribution", "in_axis",
                                                      "out_axis", NULL};

const char *const *kd_init_param_fields(kf_init_kind kind) {
  switch (kind) {
    case KF_INIT_NORMAL: return normal_fields;
    case KF_INIT_UNIFORM: return uniform_fields;
    case KF_INIT_TRUNCATED_NORMAL: return truncated_normal_fields;
    case KF_INIT_CONSTANT: return constant_fields;
    case KF_INIT_VARIANCE_SCALING: return variance_scaling_fields;
    default: return no_fields;
  }
}

/* A number the library will round to float32 (stddev, scale, value): it
 * must stay finite there, or every element would be inf or NaN. */
static int get_f32_param(const json_t *obj, const char *what, const char *name, double def,
                         double *out, kd_err *err) {
  double d;
  if (kd_get_double(obj, what, name, 0, def, &d, err) != 0) return -1;
  if (!isfinite((float)d))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be a finite float32, got %g", what, name, d);
  *out = d;
  return 0;
}

static int get_axis(const json_t *obj, const char *what, const char *name, int def, int *out,
                    kd_err *err) {
  int64_t v;
  if (kd_get_int(obj, what, name, 0, -KF_MAX_RANK, KF_MAX_RANK - 1, def, &v, err) != 0) return -1;
  *out = (int)v;
  return 0;
}

/* Borrows obj; fills the caller's *out only on success. */
int kd_parse_init_params(kf_init_kind kind, const json_t *obj, const char *what, kf_init *out,
                         kd_err *err) {
  kf_init v;
  if (kf_init_make(kind, &v) != KF_OK)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s: unknown initializer kind", what);
  const char *s;
  char shown[72];
  switch (kind) {
    case KF_INIT_NORMAL:
    case KF_INIT_TRUNCATED_NORMAL:
      if (get_f32_param(obj, what, "stddev", v.value, &v.value, err) != 0) return -1;
      if (kind == KF_INIT_TRUNCATED_NORMAL &&
          (kd_get_double(obj, what, "lower", 0, v.lower, &v.lower, err) != 0 ||
           kd_get_double(obj, what, "upper", 0, v.upper, &v.upper, err) != 0))
        return -1;
      /* As /v1/random/truncated_normal: an empty interval has no samples. */
      if (kind == KF_INIT_TRUNCATED_NORMAL && !(v.lower < v.upper))
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.lower must be less than %s.upper, got %g and %g",
                       what, what, v.lower, v.upper);
      break;
    case KF_INIT_UNIFORM:
      if (get_f32_param(obj, what, "scale", v.value, &v.value, err) != 0) return -1;
      break;
    case KF_INIT_CONSTANT:
      if (get_f32_param(obj, what, "value", v.value, &v.value, err) != 0) return -1;
      break;
    case KF_INIT_VARIANCE_SCALING:
      if (get_f32_param(obj, what, "scale", v.value, &v.value, err) != 0) return -1;
      if (!(v.value > 0.0))
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.scale must be positive, got %g", what, v.value);
      if (kd_get_string(obj, what, "mode", 0, kf_fan_mode_name(v.fan_mode), &s, err) != 0) return -1;
      if (kf_fan_mode_from_name(s, &v.fan_mode) != KF_OK)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s.mode must be one of fan_in, fan_out, fan_avg, got '%s'", what,
                       kd_shown(s, shown));
      if (kd_get_string(obj, what, "distribution", 0, kf_distribution_name(v.distribution), &s,
                        err) != 0)
        return -1;
      if (kf_distribution_from_name(s, &v.distribution) != KF_OK)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s.distribution must be one of truncated_normal, normal, uniform, got '%s'",
                       what, kd_shown(s, shown));
      if (get_axis(obj, what, "in_axis", v.in_axis, &v.in_axis, err) != 0 ||
          get_axis(obj, what, "out_axis", v.out_axis, &v.out_axis, err) != 0)
        return -1;
      break;
    default:
      break; /* the kinds without parameters */
  }
  *out = v;
  return 0;
}

const char *kd_init_names(char *out, size_t cap) {
  size_t len = 0;
  out[0] = '\0';
  const char *name;
  for (size_t i = 0; (name = kf_init_name_at(i, NULL)) != NULL; i++) {
    const int w = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", name);
    if (w < 0 || (size_t)w >= cap - len) break;
    len += (size_t)w;
  }
  return out;
}

static int unknown_init(const char *what, const char *name, kd_err *err) {
  char shown[72], known[512];
  return kd_fail(err, KD_INVALID_ARGUMENT,
                 "%s: unknown initializer '%s'; known: %s (xavier_* and kaiming_* are aliases "
                 "of glorot_* and he_*)",
                 what, kd_shown(name, shown), kd_init_names(known, sizeof known));
}

/* Borrows v; fills the caller's *out only on success. */
int kd_parse_init(const json_t *v, const char *what, kf_init *out, kd_err *err) {
  kf_init_kind kind;
  if (json_is_string(v)) {
    const char *name = json_string_value(v);
    if (kf_init_kind_from_name(name, &kind) != KF_OK) return unknown_init(what, name, err);
    if (kf_init_make(kind, out) != KF_OK) return unknown_init(what, name, err);
    return 0;
  }
  if (!json_is_object(v))
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s must be an initializer name or an object {\"name\": …, parameters}", what);
  const char *name;
  if (kd_get_string(v, what, "name", 1, NULL, &name, err) != 0) return -1;
  if (kf_init_kind_from_name(name, &kind) != KF_OK) return unknown_init(what, name, err);
  /* "name" plus at most five parameters. */
  const char *allowed[8] = {"name"};
  size_t n = 1;
  for (const char *const *f = kd_init_param_fields(kind); *f && n + 1 < 8; f++) allowed[n++] = *f;
  allowed[n] = NULL;
  if (kd_check_fields(v, what, allowed, err) != 0) return -1;
  return kd_parse_init_params(kind, v, what, out, err);
}

void kd_write_init(kd_jw *w, const kf_init *init) {
  const char *name = kf_init_kind_name(init->kind);
  if (!kd_init_param_fields(init->kind)[0]) {
    kd_jw_string(w, name ? name : "unknown");
    return;
  }
  kd_jw_object_begin(w);
  kd_jw_key(w, "name");
  kd_jw_string(w, name);
  switch (init->kind) {
    case KF_INIT_NORMAL:
    case KF_INIT_TRUNCATED_NORMAL:
      kd_jw_key(w, "stddev");
      kd_jw_double(w, init->value);
      if (init->kind == KF_INIT_TRUNCATED_NORMAL) {
        kd_jw_key(w, "lower");
        kd_jw_double(w, init->lower);
        kd_jw_key(w, "upper");
        kd_jw_double(w, init->upper);
      }
      break;
    case KF_INIT_UNIFORM:
      kd_jw_key(w, "scale");
      kd_jw_double(w, init->value);
      break;
    case KF_INIT_CONSTANT:
      kd_jw_key(w, "value");
      kd_jw_double(w, init->value);
      break;
    case KF_INIT_VARIANCE_SCALING: {
      const char *mode = kf_fan_mode_name(init->fan_mode);
      const char *dist = kf_distribution_name(init->distribution);
      kd_jw_key(w, "scale");
      kd_jw_double(w, init->value);
      kd_jw_key(w, "mode");
      kd_jw_string(w, mode ? mode : "unknown");
      kd_jw_key(w, "distribution");
      kd_jw_string(w, dist ? dist : "unknown");
      kd_jw_key(w, "in_axis");
      kd_jw_int(w, init->in_axis);
      kd_jw_key(w, "out_axis");
      kd_jw_int(w, init->out_axis);
      break;
    }
    default:
      break;
  }
  kd_jw_object_end(w);
}

/* A layer size: a required integer >= 1. */
static int get_size(const json_t *obj, const char *what, const char *name, int64_t *out,
                    kd_err *err) {
  const json_t *v = json_object_get(obj, name);
  if (!v || json_is_null(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s is required", what, name);
  if (!json_is_integer(v))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be a positive integer", what, name);
  if (json_integer_value(v) < 1)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be a positive integer, got %lld", what, name,
                   (long long)json_integer_value(v));
  *out = (int64_t)json_integer_value(v);
  return 0;
}

/* Reads an optional initializer member into *out (left at its default when
 * absent or null). */
static int get_init(const json_t *obj, const char *what, const char *name, kf_init *out,
                    kd_err *err) {
  const json_t *v = json_object_get(obj, name);
  if (!v || json_is_null(v)) return 0;
  char field[256];
  snprintf(field, sizeof field, "%s.%s", what, name);
  return kd_parse_init(v, field, out, err);
}

/* Checks one parameter of a layer: its element count against the limit
 * (413) and its initializer against its shape (400, naming the
 * initializer's field). d1 is ignored for rank 1. */
static int check_param(const char *what, const char *param, const char *init_field,
                       const kf_init *init, int rank, int64_t d0, int64_t d1,
                       uint64_t max_elements, kd_err *err) {
  const uint64_t u0 = (uint64_t)d0, u1 = rank == 2 ? (uint64_t)d1 : 1;
  if (u0 > max_elements || u1 > max_elements / u0) {
    if (rank == 2)
      return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                     "%s: the %s of shape [%lld, %lld] has more than the limit of %llu elements",
                     what, param, (long long)d0, (long long)d1, (unsigned long long)max_elements);
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                   "%s: the %s of shape [%lld] has more than the limit of %llu elements", what,
                   param, (long long)d0, (unsigned long long)max_elements);
  }
  const int64_t dims[2] = {d0, d1};
  kf_shape shape;
  int rc = kf_shape_make(&shape, rank, dims);
  if (rc != KF_OK) return kd_fail_kf(err, rc, what);
  rc = kf_init_check(init, &shape);
  if (rc == KF_OK) return 0;
  const char *name = kf_init_kind_name(init->kind);
  char shape_text[64];
  if (rank == 2)
    snprintf(shape_text, sizeof shape_text, "[%lld, %lld]", (long long)d0, (long long)d1);
  else
    snprintf(shape_text, sizeof shape_text, "[%lld]", (long long)d0);
  if (rc == KF_ESHAPE && rank < 2)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.%s: %s needs a parameter of rank 2 or more, but the %s has shape %s", what,
                   init_field, name ? name : "this initializer", param, shape_text);
  if (rc == KF_ESHAPE)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.%s: in_axis %d or out_axis %d is out of range for the %s of shape %s", what,
                   init_field, init->in_axis, init->out_axis, param, shape_text);
  char field[256];
  snprintf(field, sizeof field, "%s.%s", what, init_field);
  return kd_fail_kf(err, rc, field);
}

static const char *const linear_fields[] = {"type", "in_features", "out_features", "use_bias",
                                            "kernel_init", "bias_init", NULL};
static const char *const embed_fields[] = {"type", "num_embeddings", "features", "embedding_init",
                                           NULL};
static const char *const dropout_fields[] = {"type", "rate", "rng_collection", "broadcast_dims",
                                             "deterministic", NULL};
static const char *const activation_fields[] = {"type", NULL};

const char *const *kd_layer_fields(kf_layer_type type) {
  switch (type) {
    case KF_LAYER_LINEAR: return linear_fields;
    case KF_LAYER_EMBED: return embed_fields;
    case KF_LAYER_DROPOUT: return dropout_fields;
    default: return activation_fields;
  }
}

static int unknown_layer(const char *what, const char *name, kd_err *err) {
  char shown[72];
  char known[160] = "";
  size_t len = 0;
  for (int t = 0; t < KF_LAYER_TYPE_COUNT; t++) {
    const int n = snprintf(known + len, sizeof known - len, "%s%s", t ? ", " : "",
                           kf_layer_type_name((kf_layer_type)t));
    if (n < 0 || (size_t)n >= sizeof known - len) break;
    len += (size_t)n;
  }
  return kd_fail(err, KD_INVALID_ARGUMENT, "%s.type: unknown layer type '%s'; known: %s", what,
                 kd_shown(name, shown), known);
}

static int parse_dropout(const json_t *v, const char *what, kf_layer_spec *spec, kd_err *err) {
  if (kd_get_double(v, what, "rate", 1, 0.0, &spec->rate, err) != 0) return -1;
  if (!(spec->rate >= 0.0 && spec->rate <= 1.0))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.rate must be in [0, 1], got %g", what, spec->rate);
  const char *coll;
  char shown[72];
  if (kd_get_string(v, what, "rng_collection", 0, "dropout", &coll, err) != 0) return -1;
  if (!kf_stream_name_valid(coll))
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.rng_collection must be a stream name matching [A-Za-z_][A-Za-z0-9_]{0,63}, "
                   "got '%s'",
                   what, kd_shown(coll, shown));
  snprintf(spec->rng_collection, sizeof spec->rng_collection, "%s", coll);
  const json_t *dims = json_object_get(v, "broadcast_dims");
  if (dims && !json_is_null(dims)) {
    if (!json_is_array(dims))
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.broadcast_dims must be a list of integers", what);
    if (json_array_size(dims) > KF_MAX_RANK)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.broadcast_dims may list at most %d axes", what,
                     KF_MAX_RANK);
    for (size_t i = 0; i < json_array_size(dims); i++) {
      const json_t *e = json_array_get(dims, i);
      if (!json_is_integer(e) || json_integer_value(e) < -KF_MAX_RANK ||
          json_integer_value(e) >= KF_MAX_RANK)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s.broadcast_dims[%zu] must be an integer axis in %d..%d", what, i,
                       -KF_MAX_RANK, KF_MAX_RANK - 1);
      spec->broadcast_dims[i] = (int)json_integer_value(e);
    }
    spec->n_broadcast_dims = (int)json_array_size(dims);
  }
  return kd_get_bool(v, what, "deterministic", 0, &spec->deterministic, err);
}

/* Borrows v; fills the caller's *out only on success. */
int kd_parse_layer(const json_t *v, const char *what, uint64_t max_elements, kf_layer_spec *out,
                   kd_err *err) {
  if (!json_is_object(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a JSON object", what);
  const char *type_name;
  if (kd_get_string(v, what, "type", 1, NULL, &type_name, err) != 0) return -1;
  kf_layer_type type;
  kf_layer_spec spec;
  if (kf_layer_type_from_name(type_name, &type) != KF_OK || kf_layer_spec_make(type, &spec) != KF_OK)
    return unknown_layer(what, type_name, err);
  if (kd_check_fields(v, what, kd_layer_fields(type), err) != 0) return -1;
  switch (type) {
    case KF_LAYER_LINEAR:
      if (get_size(v, what, "in_features", &spec.in_features, err) != 0 ||
          get_size(v, what, "out_features", &spec.out_features, err) != 0 ||
          kd_get_bool(v, what, "use_bias", 1, &spec.use_bias, err) != 0 ||
          get_init(v, what, "kernel_init", &spec.kernel_init, err) != 0 ||
          get_init(v, what, "bias_init", &spec.bias_init, err) != 0 ||
          check_param(what, "kernel", "kernel_init", &spec.kernel_init, 2, spec.in_features,
                      spec.out_features, max_elements, err) != 0)
        return -1;
      /* Without a bias Flax never calls bias_init, so it is not checked. */
      if (spec.use_bias && check_param(what, "bias", "bias_init", &spec.bias_init, 1,
                                       spec.out_features, 0, max_elements, err) != 0)
        return -1;
      break;
    case KF_LAYER_EMBED:
      if (get_size(v, what, "num_embeddings", &spec.num_embeddings, err) != 0 ||
          get_size(v, what, "features", &spec.features, err) != 0 ||
          get_init(v, what, "embedding_init", &spec.embedding_init, err) != 0 ||
          check_param(what, "embedding", "embedding_init", &spec.embedding_init, 2,
                      spec.num_embeddings, spec.features, max_elements, err) != 0)
        return -1;
      break;
    case KF_LAYER_DROPOUT:
      if (parse_dropout(v, what, &spec, err) != 0) return -1;
      break;
    default:
      break; /* activations: nothing but their type */
  }
  *out = spec;
  return 0;
}

void kd_write_layer(kd_jw *w, const kf_layer_spec *spec) {
  kd_jw_object_begin(w);
  kd_write_layer_members(w, spec);
  kd_jw_object_end(w);
}

void kd_write_layer_members(kd_jw *w, const kf_layer_spec *spec) {
  const char *type = kf_layer_type_name(spec->type);
  kd_jw_key(w, "type");
  kd_jw_string(w, type ? type : "unknown");
  switch (spec->type) {
    case KF_LAYER_LINEAR:
      kd_jw_key(w, "in_features");
      kd_jw_int(w, spec->in_features);
      kd_jw_key(w, "out_features");
      kd_jw_int(w, spec->out_features);
      kd_jw_key(w, "use_bias");
      kd_jw_bool(w, spec->use_bias);
      kd_jw_key(w, "kernel_init");
      kd_write_init(w, &spec->kernel_init);
      kd_jw_key(w, "bias_init");
      kd_write_init(w, &spec->bias_init);
      break;
    case KF_LAYER_EMBED:
      kd_jw_key(w, "num_embeddings");
      kd_jw_int(w, spec->num_embeddings);
      kd_jw_key(w, "features");
      kd_jw_int(w, spec->features);
      kd_jw_key(w, "embedding_init");
      kd_write_init(w, &spec->embedding_init);
      break;
    case KF_LAYER_DROPOUT:
      kd_jw_key(w, "rate");
      kd_jw_double(w, spec->rate);
      kd_jw_key(w, "rng_collection");
      kd_jw_string(w, spec->rng_collection);
      kd_jw_key(w, "broadcast_dims");
      kd_jw_array_begin(w);
      for (int i = 0; i < spec->n_broadcast_dims && i < KF_MAX_RANK; i++)
        kd_jw_int(w, spec->broadcast_dims[i]);
      kd_jw_array_end(w);
      kd_jw_key(w, "deterministic");
      kd_jw_bool(w, spec->deterministic);
      break;
    default:
      break;
  }
}

/* Turns kf_init_check's refusal into a message about the body `what`: the
 * shape codes are about its shape, the rest about the parameters. */
static int init_check_failed(int rc, const kf_init *init, const char *name, const kf_shape *shape,
                             const char *what, kd_err *err) {
  if (rc == KF_ESHAPE && shape->rank < 2)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.shape: %s needs a shape of rank >= 2 (it computes fans from two axes), got rank %d",
                   what, name, shape->rank);
  if (rc == KF_ESHAPE)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: %s's in_axis %d or out_axis %d is outside a shape of rank %d",
                   what, name, init->in_axis, init->out_axis, shape->rank);
  if (rc == KF_ERANGE && !(init->value > 0.0))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.scale must be positive for %s", what, name);
  if (rc == KF_ERANGE)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.shape: %s has a zero fan (a dimension of the shape is 0; JAX raises ZeroDivisionError)",
                   what, name);
  return kd_fail_kf(err, rc, what);
}

int kd_init_prepare(kf_init_kind kind, const char *name, const json_t *obj, const char *what,
                    uint64_t max_elements, kf_init *init, kf_tensor *out, kd_err *err) {
  char field[96];
  kf_shape shape;
  size_t n;
  out->data = NULL;
  const json_t *sv = json_object_get(obj, "shape");
  if (!sv || json_is_null(sv)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape is required", what);
  snprintf(field, sizeof field, "%s.shape", what);
  if (kd_parse_shape(sv, field, max_elements, &shape, &n, err) != 0) return -1;
  if (kd_parse_init_params(kind, obj, what, init, err) != 0) return -1;
  const int rc = kf_init_check(init, &shape);
  if (rc != KF_OK) return init_check_failed(rc, init, name, &shape, what, err);
  /* Legacy threefry hashes a draw in one call of at most 2^32 - 2 words:
   * refused here, before a key is drawn for it (kf_init_apply cannot fail
   * otherwise). */
  if (n > SIZE_MAX / sizeof(float) || n > (size_t)UINT32_MAX - 2)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s.shape: %zu elements are too many for one draw", what, n);
  out->data = malloc(n ? n * sizeof(float) : 1);
  if (!out->data) return kd_fail(err, KD_UNAVAILABLE, "%s.shape: out of memory for %zu elements", what, n);
  out->dtype = KF_FLOAT32;
  out->shape = shape;
  return 0;
}
