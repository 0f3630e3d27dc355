/* keyfoldd — JSON codec for initializers and layer specs (nn_codec.h).
 *
 * Parsing checks everything a single layer can know on its own — field
 * types, sizes, the element limit, and each initializer against the shape of
 * the parameter it will fill — so that errors name the exact field.
 * kf_model_check still runs afterwards for what needs the whole model.
 */
#include "nn_codec.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
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

/* ---- layer fields --------------------------------------------------------
 *
 * One table per layer type: each field's JSON name, how it is read and
 * written, and the kf_layer_spec member(s) it fills. Parsing, writing and
 * the field lists of GET /v1/tables all read it. linear, embed and dropout
 * keep their hand-written readers (their messages predate the table) but
 * are listed here too. */
typedef enum field_kind {
  FK_SIZE,       /* a positive integer (int64_t) */
  FK_SIZE_OPT,   /* a positive integer or null/absent = 0 (a default the library resolves) */
  FK_INT_OPT,    /* group_norm's num_groups / group_size: an integer >= 1 or null (0) */
  FK_BOOL,       /* int */
  FK_NOT_BOOL,   /* int holding the negation (gelu's approximate -> gelu_exact) */
  FK_DOUBLE,     /* double */
  FK_AXIS,       /* int in -KF_MAX_RANK..KF_MAX_RANK-1 */
  FK_INIT,       /* kf_init */
  FK_INIT_OPT,   /* kf_init or null (None: the layer's default); n_off is its bit in out_inits */
  FK_STREAM,     /* char[KF_STREAM_NAME_MAX + 1] */
  FK_DIMS,       /* an integer or a list of them (int64_t[KF_MAX_RANK], count in n_off) */
  FK_DIMS_OPT,   /* FK_DIMS that may be null (count 0) */
  FK_RESHAPE,    /* a list of positive integers, one -1 allowed */
  FK_AXES,       /* an integer or a list of axes (int[KF_MAX_RANK], count in n_off) */
  FK_BCAST,      /* dropout's broadcast_dims */
  FK_SPATIAL,    /* an integer or a list of n_spatial ones (int64_t[KF_MAX_SPATIAL]) */
  FK_WINDOW,     /* kernel_size / window_shape: sets n_spatial */
  FK_PADDING,    /* "SAME" | "VALID" | "CIRCULAR" | "CAUSAL" | [[lo, hi], ...] */
  FK_EINSUM,     /* char[64] */
} field_kind;

typedef struct layer_field {
  const char *name;
  field_kind kind;
  size_t off;    /* the member */
  size_t n_off;  /* its count member (int), for lists */
  int required;
} layer_field;

#define M(member) offsetof(kf_layer_spec, member)
#define END_FIELDS {NULL, 0, 0, 0, 0}

static const layer_field linear_table[] = {
  {"in_features", FK_SIZE, M(in_features), 0, 1}, {"out_features", FK_SIZE, M(out_features), 0, 1},
  {"use_bias", FK_BOOL, M(use_bias), 0, 0}, {"kernel_init", FK_INIT, M(kernel_init), 0, 0},
  {"bias_init", FK_INIT, M(bias_init), 0, 0}, END_FIELDS};
static const layer_field embed_table[] = {
  {"num_embeddings", FK_SIZE, M(num_embeddings), 0, 1}, {"features", FK_SIZE, M(features), 0, 1},
  {"embedding_init", FK_INIT, M(embedding_init), 0, 0}, END_FIELDS};
static const layer_field dropout_table[] = {
  {"rate", FK_DOUBLE, M(rate), 0, 1}, {"rng_collection", FK_STREAM, M(rng_collection), 0, 0},
  {"broadcast_dims", FK_BCAST, M(broadcast_dims), M(n_broadcast_dims), 0},
  {"deterministic", FK_BOOL, M(deterministic), 0, 0}, END_FIELDS};
static const layer_field linear_general_table[] = {
  {"in_features", FK_DIMS, M(in_shape), M(n_in_shape), 1},
  {"out_features", FK_DIMS, M(out_shape), M(n_out_shape), 1},
  {"axis", FK_AXES, M(in_axes), M(n_in_axes), 0}, {"use_bias", FK_BOOL, M(use_bias), 0, 0},
  {"kernel_init", FK_INIT, M(kernel_init), 0, 0}, {"bias_init", FK_INIT, M(bias_init), 0, 0},
  END_FIELDS};
static const layer_field einsum_table[] = {
  {"einsum_str", FK_EINSUM, M(einsum_str), 0, 1},
  {"kernel_shape", FK_DIMS, M(kernel_shape), M(n_kernel_shape), 1},
  {"bias_shape", FK_DIMS_OPT, M(bias_shape), M(n_bias_shape), 0},
  {"kernel_init", FK_INIT, M(kernel_init), 0, 0}, {"bias_init", FK_INIT, M(bias_init), 0, 0},
  END_FIELDS};
static const layer_field conv_table[] = {
  {"in_features", FK_SIZE, M(in_features), 0, 1}, {"out_features", FK_SIZE, M(out_features), 0, 1},
  {"kernel_size", FK_WINDOW, M(kernel_size), M(n_spatial), 1},
  {"strides", FK_SPATIAL, M(strides), 0, 0}, {"padding", FK_PADDING, M(padding), 0, 0},
  {"input_dilation", FK_SPATIAL, M(input_dilation), 0, 0},
  {"kernel_dilation", FK_SPATIAL, M(kernel_dilation), 0, 0},
  {"feature_group_count", FK_SIZE, M(feature_group_count), 0, 0},
  {"use_bias", FK_BOOL, M(use_bias), 0, 0}, {"kernel_init", FK_INIT, M(kernel_init), 0, 0},
  {"bias_init", FK_INIT, M(bias_init), 0, 0}, END_FIELDS};
static const layer_field conv_transpose_table[] = {
  {"in_features", FK_SIZE, M(in_features), 0, 1}, {"out_features", FK_SIZE, M(out_features), 0, 1},
  {"kernel_size", FK_WINDOW, M(kernel_size), M(n_spatial), 1},
  {"strides", FK_SPATIAL, M(strides), 0, 0}, {"padding", FK_PADDING, M(padding), 0, 0},
  {"kernel_dilation", FK_SPATIAL, M(kernel_dilation), 0, 0},
  {"use_bias", FK_BOOL, M(use_bias), 0, 0}, {"kernel_init", FK_INIT, M(kernel_init), 0, 0},
  {"bias_init", FK_INIT, M(bias_init), 0, 0}, END_FIELDS};
#define NORM_INITS \
  {"scale_init", FK_INIT, M(scale_init), 0, 0}, {"bias_init", FK_INIT, M(bias_init), 0, 0}
static const layer_field layer_norm_table[] = {
  {"num_features", FK_SIZE, M(num_features), 0, 1}, {"epsilon", FK_DOUBLE, M(epsilon), 0, 0},
  {"use_bias", FK_BOOL, M(use_bias), 0, 0}, {"use_scale", FK_BOOL, M(use_scale), 0, 0}, NORM_INITS,
  END_FIELDS};
static const layer_field rms_norm_table[] = {
  {"num_features", FK_SIZE, M(num_features), 0, 1}, {"epsilon", FK_DOUBLE, M(epsilon), 0, 0},
  {"use_scale", FK_BOOL, M(use_scale), 0, 0}, {"scale_init", FK_INIT, M(scale_init), 0, 0}, END_FIELDS};
static const layer_field batch_norm_table[] = {
  {"num_features", FK_SIZE, M(num_features), 0, 1}, {"momentum", FK_DOUBLE, M(momentum), 0, 0},
  {"epsilon", FK_DOUBLE, M(epsilon), 0, 0}, {"use_bias", FK_BOOL, M(use_bias), 0, 0},
  {"use_scale", FK_BOOL, M(use_scale), 0, 0},
  {"use_running_average", FK_BOOL, M(deterministic), 0, 0}, NORM_INITS, END_FIELDS};
static const layer_field group_norm_table[] = {
  {"num_features", FK_SIZE, M(num_features), 0, 1}, {"num_groups", FK_INT_OPT, M(num_groups), 0, 0},
  {"group_size", FK_INT_OPT, M(group_size), 0, 0}, {"epsilon", FK_DOUBLE, M(epsilon), 0, 0},
  {"use_bias", FK_BOOL, M(use_bias), 0, 0}, {"use_scale", FK_BOOL, M(use_scale), 0, 0}, NORM_INITS,
  END_FIELDS};
static const layer_field attention_table[] = {
  {"num_heads", FK_SIZE, M(num_heads), 0, 1}, {"in_features", FK_SIZE, M(in_features), 0, 1},
  {"qkv_features", FK_SIZE_OPT, M(qkv_features), 0, 0},
  {"out_features", FK_SIZE_OPT, M(out_features), 0, 0},
  {"dropout_rate", FK_DOUBLE, M(dropout_rate), 0, 0}, {"normalize_qk", FK_BOOL, M(normalize_qk), 0, 0},
  {"causal", FK_BOOL, M(causal), 0, 0}, {"use_bias", FK_BOOL, M(use_bias), 0, 0},
  {"deterministic", FK_BOOL, M(deterministic), 0, 0}, {"kernel_init", FK_INIT, M(kernel_init), 0, 0},
  {"bias_init", FK_INIT, M(bias_init), 0, 0}, {"out_kernel_init", FK_INIT_OPT, M(out_kernel_init), 1, 0},
  {"out_bias_init", FK_INIT_OPT, M(out_bias_init), 2, 0}, {"keep_rngs", FK_NOT_BOOL, M(no_keep_rngs), 0, 0},
  END_FIELDS};
static const layer_field softmax_table[] = {{"axis", FK_AXIS, M(axis), 0, 0}, END_FIELDS};
static const layer_field gelu_table[] = {{"approximate", FK_NOT_BOOL, M(gelu_exact), 0, 0}, END_FIELDS};
static const layer_field elu_table[] = {{"alpha", FK_DOUBLE, M(alpha), 0, 0}, END_FIELDS};
static const layer_field leaky_relu_table[] = {
  {"negative_slope", FK_DOUBLE, M(negative_slope), 0, 0}, END_FIELDS};
static const layer_field pool_table[] = {
  {"window_shape", FK_WINDOW, M(kernel_size), M(n_spatial), 1},
  {"strides", FK_SPATIAL, M(strides), 0, 0}, {"padding", FK_PADDING, M(padding), 0, 0}, END_FIELDS};
static const layer_field reshape_table[] = {
  {"shape", FK_RESHAPE, M(reshape), M(n_reshape), 1}, END_FIELDS};
static const layer_field repeat_table[] = {{"count", FK_SIZE, M(count), 0, 1}, END_FIELDS};
static const layer_field no_table[] = {END_FIELDS};

static const layer_field *layer_table(kf_layer_type type) {
  switch (type) {
    case KF_LAYER_LINEAR: return linear_table;
    case KF_LAYER_EMBED: return embed_table;
    case KF_LAYER_DROPOUT: return dropout_table;
    case KF_LAYER_GELU: return gelu_table;
    case KF_LAYER_LINEAR_GENERAL: return linear_general_table;
    case KF_LAYER_EINSUM: return einsum_table;
    case KF_LAYER_CONV: return conv_table;
    case KF_LAYER_CONV_TRANSPOSE: return conv_transpose_table;
    case KF_LAYER_LAYER_NORM: return layer_norm_table;
    case KF_LAYER_RMS_NORM: return rms_norm_table;
    case KF_LAYER_BATCH_NORM: return batch_norm_table;
    case KF_LAYER_GROUP_NORM: return group_norm_table;
    case KF_LAYER_MULTI_HEAD_ATTENTION: return attention_table;
    case KF_LAYER_SOFTMAX:
    case KF_LAYER_LOG_SOFTMAX: return softmax_table;
    case KF_LAYER_ELU: return elu_table;
    case KF_LAYER_LEAKY_RELU: return leaky_relu_table;
    case KF_LAYER_AVG_POOL:
    case KF_LAYER_MAX_POOL: return pool_table;
    case KF_LAYER_RESHAPE: return reshape_table;
    case KF_LAYER_REPEAT: return repeat_table;
    default: return no_table;
  }
}

const char *kd_layer_width_field(kf_layer_type type) {
  return type == KF_LAYER_LAYER_NORM || type == KF_LAYER_RMS_NORM || type == KF_LAYER_BATCH_NORM ||
                 type == KF_LAYER_GROUP_NORM
             ? "num_features"
             : "in_features";
}

/* "type", "name", the table's fields, and "layers" for containers. */
const char *kd_layer_field_at(kf_layer_type type, size_t i) {
  if (i == 0) return "type";
  if (i == 1) return "name";
  i -= 2;
  const layer_field *t = layer_table(type);
  size_t n = 0;
  while (t[n].name) n++;
  if (i < n) return t[i].name;
  if (i == n && kf_layer_type_is_container(type)) return "layers";
  return NULL;
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

/* A list field given as one integer or a list of them, into dims (at most
 * cap). Returns the count, or -1 after failing. */
static int get_int_list(const json_t *v, const char *what, const char *name, int64_t *dims,
                        int cap, kd_err *err) {
  if (json_is_integer(v)) {
    dims[0] = (int64_t)json_integer_value(v);
    return 1;
  }
  if (!json_is_array(v) || json_array_size(v) > (size_t)cap)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be an integer or a list of at most %d integers",
                   what, name, cap);
  for (size_t i = 0; i < json_array_size(v); i++) {
    const json_t *e = json_array_get(v, i);
    if (!json_is_integer(e))
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s[%zu] must be an integer", what, name, i);
    dims[i] = (int64_t)json_integer_value(e);
  }
  return (int)json_array_size(v);
}

static int parse_padding(const json_t *v, const char *what, kf_layer_spec *spec, kd_err *err) {
  char shown[72];
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    if (kf_padding_from_name(s, &spec->padding) != KF_OK || spec->padding == KF_PADDING_EXPLICIT)
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s.padding must be \"SAME\", \"VALID\", \"CIRCULAR\", \"CAUSAL\" or a list of "
                     "[low, high] pairs, got '%s'", what, kd_shown(s, shown));
    return 0;
  }
  if (json_is_integer(v)) {
    /* Flax takes an int k as (k, k) on every spatial axis. */
    const json_int_t k = json_integer_value(v);
    if (k < -(1 << 20) || k > (1 << 20)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.padding is out of range", what);
    for (int i = 0; i < spec->n_spatial; i++) spec->padding_pairs[i][0] = spec->padding_pairs[i][1] = (int64_t)k;
    spec->padding = KF_PADDING_EXPLICIT;
    return 0;
  }
  const size_t n = json_is_array(v) ? json_array_size(v) : 0;
  if (n == 0 || n != (size_t)spec->n_spatial)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.padding must be a string, an integer or a list of %d [low, high] pairs (one per spatial axis)",
                   what, spec->n_spatial);
  for (size_t i = 0; i < n; i++) {
    const json_t *p = json_array_get(v, i);
    if (json_is_integer(p)) {
      /* Flax takes a single int k as (k, k). */
      spec->padding_pairs[i][0] = spec->padding_pairs[i][1] = (int64_t)json_integer_value(p);
      continue;
    }
    if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_integer(json_array_get(p, 0)) ||
        !json_is_integer(json_array_get(p, 1)))
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.padding[%zu] must be a pair [low, high] of integers",
                     what, i);
    for (int k = 0; k < 2; k++) {
      const json_int_t x = json_integer_value(json_array_get(p, (size_t)k));
      if (x < -(1 << 20) || x > (1 << 20))
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.padding[%zu][%d] is out of range", what, i, k);
      spec->padding_pairs[i][k] = (int64_t)x;
    }
  }
  spec->padding = KF_PADDING_EXPLICIT;
  return 0;
}

/* Reads one table field of v into spec. */
static int parse_field(const json_t *obj, const char *what, const layer_field *f,
                       kf_layer_spec *spec, kd_err *err) {
  char *base = (char *)spec;
  const json_t *v = json_object_get(obj, f->name);
  if (!v || json_is_null(v)) {
    if (f->required) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s is required", what, f->name);
    if (f->kind == FK_INT_OPT && v) *(int64_t *)(base + f->off) = 0; /* explicit null */
    return 0;
  }
  int64_t dims[KF_MAX_RANK];
  int n;
  switch (f->kind) {
    case FK_SIZE:
    case FK_SIZE_OPT:
    case FK_INT_OPT:
      return get_size(obj, what, f->name, (int64_t *)(base + f->off), err);
    case FK_BOOL:
      return kd_get_bool(obj, what, f->name, 0, (int *)(base + f->off), err);
    case FK_NOT_BOOL: {
      int b;
      if (kd_get_bool(obj, what, f->name, 1, &b, err) != 0) return -1;
      *(int *)(base + f->off) = !b;
      return 0;
    }
    case FK_DOUBLE: {
      double d;
      if (kd_get_double(obj, what, f->name, 0, 0.0, &d, err) != 0) return -1;
      if (!isfinite(d)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be finite", what, f->name);
      *(double *)(base + f->off) = d;
      return 0;
    }
    case FK_AXIS:
      return get_axis(obj, what, f->name, 0, (int *)(base + f->off), err);
    case FK_INIT:
      return get_init(obj, what, f->name, (kf_init *)(base + f->off), err);
    case FK_INIT_OPT:
      if (get_init(obj, what, f->name, (kf_init *)(base + f->off), err) != 0) return -1;
      spec->out_inits |= (int)f->n_off;
      return 0;
    case FK_EINSUM: {
      const char *s;
      if (kd_get_string(obj, what, f->name, 1, NULL, &s, err) != 0) return -1;
      char *dst = base + f->off;
      size_t len = 0;
      for (const char *c = s; *c; c++) {
        if (*c == ' ') continue; /* Flax strips spaces */
        if (len + 1 >= sizeof spec->einsum_str)
          return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s is too long", what, f->name);
        dst[len++] = *c;
      }
      dst[len] = '\0';
      return 0;
    }
    case FK_DIMS:
    case FK_DIMS_OPT:
    case FK_RESHAPE:
      if ((n = get_int_list(v, what, f->name, dims, KF_MAX_RANK, err)) < 0) return -1;
      for (int i = 0; i < n; i++) {
        if (dims[i] < 1 && !(f->kind == FK_RESHAPE && dims[i] == -1))
          return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must hold positive integers%s", what, f->name,
                         f->kind == FK_RESHAPE ? " (or one -1)" : "");
      }
      if (n == 0 && f->kind == FK_DIMS)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must not be empty", what, f->name);
      memcpy(base + f->off, dims, (size_t)n * sizeof *dims);
      *(int *)(base + f->n_off) = n;
      return 0;
    case FK_AXES:
      if ((n = get_int_list(v, what, f->name, dims, KF_MAX_RANK, err)) < 0) return -1;
      for (int i = 0; i < n; i++) {
        if (dims[i] < -KF_MAX_RANK || dims[i] >= KF_MAX_RANK)
          return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s[%d] must be an axis in %d..%d", what, f->name,
                         i, -KF_MAX_RANK, KF_MAX_RANK - 1);
        ((int *)(base + f->off))[i] = (int)dims[i];
      }
      *(int *)(base + f->n_off) = n;
      return 0;
    case FK_WINDOW:
      if ((n = get_int_list(v, what, f->name, dims, KF_MAX_SPATIAL, err)) < 0) return -1;
      if (n == 0)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must list 1 to %d sizes", what, f->name, KF_MAX_SPATIAL);
      for (int i = 0; i < n; i++) {
        if (dims[i] < 1)
          return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must hold positive integers", what, f->name);
      }
      memcpy(base + f->off, dims, (size_t)n * sizeof *dims);
      *(int *)(base + f->n_off) = n;
      return 0;
    case FK_SPATIAL:
      if ((n = get_int_list(v, what, f->name, dims, KF_MAX_SPATIAL, err)) < 0) return -1;
      if (json_is_integer(v)) {
        for (int i = 1; i < spec->n_spatial; i++) dims[i] = dims[0];
        n = spec->n_spatial;
      }
      if (n != spec->n_spatial)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must be an integer or a list of %d (one per spatial axis)",
                       what, f->name, spec->n_spatial);
      for (int i = 0; i < n; i++) {
        if (dims[i] < 1)
          return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s must hold positive integers", what, f->name);
      }
      memcpy(base + f->off, dims, (size_t)n * sizeof *dims);
      return 0;
    case FK_PADDING:
      return parse_padding(v, what, spec, err);
    case FK_STREAM:
    case FK_BCAST:
      break; /* dropout's own reader */
  }
  return 0;
}

/* A Python attribute name, as the library checks it (not `layers`). */
static int parse_name(const json_t *v, const char *what, kf_layer_spec *spec, kd_err *err) {
  const char *name;
  char shown[72];
  if (kd_get_string(v, what, "name", 0, "", &name, err) != 0) return -1;
  size_t len = strlen(name);
  int ok = len <= KF_LAYER_NAME_MAX && strcmp(name, "layers") != 0 &&
           (len == 0 || isalpha((unsigned char)name[0]) || name[0] == '_');
  for (size_t i = 1; ok && i < len; i++) ok = isalnum((unsigned char)name[i]) || name[i] == '_';
  if (!ok)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.name must be a Python attribute name of at most %d characters other than "
                   "'layers', got '%s'", what, KF_LAYER_NAME_MAX, kd_shown(name, shown));
  memcpy(spec->name, name, len + 1);
  return 0;
}

/* Borrows v; fills the caller's *out only on success. A container's
 * children are not read here (kd_parse_layers). */
int kd_parse_layer(const json_t *v, const char *what, uint64_t max_elements, kf_layer_spec *out,
                   kd_err *err) {
  if (!json_is_object(v)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s must be a JSON object", what);
  const char *type_name;
  if (kd_get_string(v, what, "type", 1, NULL, &type_name, err) != 0) return -1;
  kf_layer_type type;
  kf_layer_spec spec;
  if (kf_layer_type_from_name(type_name, &type) != KF_OK || kf_layer_spec_make(type, &spec) != KF_OK)
    return unknown_layer(what, type_name, err);
  const char *fields[32];
  size_t nf = 0;
  for (const char *f; nf + 1 < 32 && (f = kd_layer_field_at(type, nf)) != NULL;) fields[nf++] = f;
  fields[nf] = NULL;
  if (kd_check_fields(v, what, fields, err) != 0) return -1;
  if (parse_name(v, what, &spec, err) != 0) return -1;
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
      for (const layer_field *f = layer_table(type); f->name; f++)
        if (parse_field(v, what, f, &spec, err) != 0) return -1;
      if (type == KF_LAYER_GROUP_NORM && spec.group_size > 0 && !json_object_get(v, "num_groups"))
        spec.num_groups = 0; /* group_size given: num_groups defaults to None */
      if (type == KF_LAYER_REPEAT && spec.count > 4096)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.count must be at most 4096", what);
      break;
  }
  *out = spec;
  return 0;
}

/* Appends the subtree of v (and, for a container, its children) to the
 * preorder array. */
static int parse_subtree(const json_t *v, const char *what, uint64_t max_elements,
                         kd_layer_list *list, int depth, kd_err *err) {
  if (depth > 32) return kd_fail(err, KD_INVALID_ARGUMENT, "%s: containers nest too deeply (at most 32)", what);
  if (list->n >= KD_MAX_SPEC_LAYERS)
    return kd_fail(err, KD_INVALID_ARGUMENT, "the model has more than %d layers", KD_MAX_SPEC_LAYERS);
  kf_layer_spec spec;
  if (kd_parse_layer(v, what, max_elements, &spec, err) != 0) return -1;
  const size_t at = list->n++;
  list->specs[at] = spec;
  snprintf(list->what[at], sizeof list->what[at], "%s", what);
  if (!kf_layer_type_is_container(spec.type)) return 0;
  const json_t *children = json_object_get(v, "layers");
  if (!json_is_array(children))
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.layers must be a list of layers", what);
  list->specs[at].n_children = json_array_size(children);
  for (size_t i = 0; i < json_array_size(children); i++) {
    char child[KD_LAYER_WHAT_MAX];
    if (snprintf(child, sizeof child, "%s.layers[%zu]", what, i) >= (int)sizeof child)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s: containers nest too deeply", what);
    if (parse_subtree(json_array_get(children, i), child, max_elements, list, depth + 1, err) != 0)
      return -1;
  }
  return 0;
}

int kd_parse_layers(const json_t *layers, const char *what, uint64_t max_elements,
                    kd_layer_list *out, kd_err *err) {
  out->n = 0;
  out->specs = calloc(KD_MAX_SPEC_LAYERS, sizeof *out->specs);
  out->what = calloc(KD_MAX_SPEC_LAYERS, sizeof *out->what);
  if (!out->specs || !out->what) {
    kd_layer_list_free(out);
    return kd_fail(err, KD_UNAVAILABLE, "out of memory while handling the request");
  }
  for (size_t i = 0; i < json_array_size(layers); i++) {
    char child[KD_LAYER_WHAT_MAX];
    snprintf(child, sizeof child, "%s[%zu]", what, i);
    if (parse_subtree(json_array_get(layers, i), child, max_elements, out, 0, err) != 0) {
      kd_layer_list_free(out);
      return -1;
    }
  }
  return 0;
}

void kd_layer_list_free(kd_layer_list *list) {
  free(list->specs);
  free(list->what);
  list->specs = NULL;
  list->what = NULL;
  list->n = 0;
}


static void write_ints(kd_jw *w, const int64_t *v, int n) {
  kd_jw_array_begin(w);
  for (int i = 0; i < n; i++) kd_jw_int(w, v[i]);
  kd_jw_array_end(w);
}

/* Writes one table field with its value (defaults resolved). */
static void write_field(kd_jw *w, const layer_field *f, const kf_layer_spec *spec) {
  const char *base = (const char *)spec;
  kd_jw_key(w, f->name);
  switch (f->kind) {
    case FK_SIZE:
      kd_jw_int(w, *(const int64_t *)(base + f->off));
      return;
    case FK_SIZE_OPT: {
      /* qkv_features and out_features default to in_features. */
      const int64_t v = *(const int64_t *)(base + f->off);
      kd_jw_int(w, v ? v : spec->in_features);
      return;
    }
    case FK_INT_OPT: {
      const int64_t v = *(const int64_t *)(base + f->off);
      if (v) kd_jw_int(w, v);
      else kd_jw_null(w);
      return;
    }
    case FK_BOOL:
      kd_jw_bool(w, *(const int *)(base + f->off));
      return;
    case FK_NOT_BOOL:
      kd_jw_bool(w, !*(const int *)(base + f->off));
      return;
    case FK_DOUBLE:
      kd_jw_double(w, *(const double *)(base + f->off));
      return;
    case FK_AXIS:
      kd_jw_int(w, *(const int *)(base + f->off));
      return;
    case FK_INIT:
      kd_write_init(w, (const kf_init *)(base + f->off));
      return;
    case FK_INIT_OPT:
      if (spec->out_inits & (int)f->n_off)
        kd_write_init(w, (const kf_init *)(base + f->off));
      else
        kd_jw_null(w);
      return;
    case FK_STREAM:
    case FK_EINSUM:
      kd_jw_string(w, base + f->off);
      return;
    case FK_DIMS_OPT:
      if (*(const int *)(base + f->n_off) == 0) {
        kd_jw_null(w);
        return;
      }
      /* fall through */
    case FK_DIMS:
    case FK_RESHAPE:
      write_ints(w, (const int64_t *)(base + f->off), *(const int *)(base + f->n_off));
      return;
    case FK_AXES:
    case FK_BCAST: {
      const int n = *(const int *)(base + f->n_off);
      const int *axes = (const int *)(base + f->off);
      kd_jw_array_begin(w);
      if (f->kind == FK_AXES && n == 0) {
        /* LinearGeneral's default: the last len(in_features) axes. */
        for (int i = 0; i < spec->n_in_shape; i++) kd_jw_int(w, i - spec->n_in_shape);
      }
      for (int i = 0; i < n && i < KF_MAX_RANK; i++) kd_jw_int(w, axes[i]);
      kd_jw_array_end(w);
      return;
    }
    case FK_WINDOW:
    case FK_SPATIAL:
      write_ints(w, (const int64_t *)(base + f->off), spec->n_spatial);
      return;
    case FK_PADDING:
      if (spec->padding != KF_PADDING_EXPLICIT) {
        const char *name = kf_padding_name(spec->padding);
        kd_jw_string(w, name ? name : "unknown");
        return;
      }
      kd_jw_array_begin(w);
      for (int i = 0; i < spec->n_spatial; i++) write_ints(w, spec->padding_pairs[i], 2);
      kd_jw_array_end(w);
      return;
  }
}

void kd_write_layer_members(kd_jw *w, const kf_layer_spec *spec) {
  const char *type = kf_layer_type_name(spec->type);
  kd_jw_key(w, "type");
  kd_jw_string(w, type ? type : "unknown");
  if (spec->name[0]) {
    kd_jw_key(w, "name");
    kd_jw_string(w, spec->name);
  }
  for (const layer_field *f = layer_table(spec->type); f->name; f++) write_field(w, f, spec);
}

/* Writes the subtree at spec *i and moves *i past it. */
static void write_subtree(kd_jw *w, kd_spec_get get, void *ctx, size_t n, size_t *i,
                          kd_layer_annotate annotate) {
  const size_t at = (*i)++;
  kf_layer_spec spec;
  if (get(ctx, at, &spec) != 0) return;
  kd_jw_object_begin(w);
  kd_write_layer_members(w, &spec);
  if (kf_layer_type_is_container(spec.type)) {
    kd_jw_key(w, "layers");
    kd_jw_array_begin(w);
    for (size_t c = 0; c < spec.n_children && *i < n; c++) write_subtree(w, get, ctx, n, i, annotate);
    kd_jw_array_end(w);
  }
  if (annotate) annotate(w, at, ctx);
  kd_jw_object_end(w);
}

void kd_write_layers(kd_jw *w, kd_spec_get get, void *ctx, size_t n, kd_layer_annotate annotate) {
  kd_jw_array_begin(w);
  for (size_t i = 0; i < n;) write_subtree(w, get, ctx, n, &i, annotate);
  kd_jw_array_end(w);
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
