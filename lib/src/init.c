/* keyfold — jax.nn.initializers in float32 (flax-nnx.md §3.1). */
#include <math.h>
#include <string.h>

#include "keyfold/error.h"
#include "keyfold/init.h"
#include "keyfold/random.h"
#include "names.h"

static const struct {
  const char *name;
  kf_init_kind kind;
} init_names[] = {
  {"zeros", KF_INIT_ZEROS},
  {"ones", KF_INIT_ONES},
  {"constant", KF_INIT_CONSTANT},
  {"normal", KF_INIT_NORMAL},
  {"uniform", KF_INIT_UNIFORM},
  {"truncated_normal", KF_INIT_TRUNCATED_NORMAL},
  {"variance_scaling", KF_INIT_VARIANCE_SCALING},
  {"lecun_normal", KF_INIT_LECUN_NORMAL},
  {"lecun_uniform", KF_INIT_LECUN_UNIFORM},
  {"glorot_normal", KF_INIT_GLOROT_NORMAL},
  {"glorot_uniform", KF_INIT_GLOROT_UNIFORM},
  {"he_normal", KF_INIT_HE_NORMAL},
  {"he_uniform", KF_INIT_HE_UNIFORM},
  /* aliases, after the canonical names so that kf_init_kind_name finds those */
  {"xavier_normal", KF_INIT_GLOROT_NORMAL},
  {"xavier_uniform", KF_INIT_GLOROT_UNIFORM},
  {"kaiming_normal", KF_INIT_HE_NORMAL},
  {"kaiming_uniform", KF_INIT_HE_UNIFORM},
};
#define INIT_NAME_COUNT (sizeof init_names / sizeof init_names[0])

static const char *const fan_names[] = {"fan_in", "fan_out", "fan_avg"};
static const char *const dist_names[] = {"truncated_normal", "normal", "uniform"};

int kf_init_kind_from_name(const char *name, kf_init_kind *out) {
  if (!name || !out) return KF_EINVAL;
  for (size_t i = 0; i < INIT_NAME_COUNT; i++) {
    if (strcmp(init_names[i].name, name) == 0) {
      *out = init_names[i].kind;
      return KF_OK;
    }
  }
  return KF_EINVAL;
}

const char *kf_init_kind_name(kf_init_kind kind) {
  for (size_t i = 0; i < INIT_NAME_COUNT; i++)
    if (init_names[i].kind == kind) return init_names[i].name;
  return NULL;
}

const char *kf_init_name_at(size_t i, kf_init_kind *kind) {
  if (i >= INIT_NAME_COUNT) return NULL;
  if (kind) *kind = init_names[i].kind;
  return init_names[i].name;
}

KF__NAMES_DEFINE(fan_mode, kf_fan_mode, fan_names)
KF__NAMES_DEFINE(distribution, kf_distribution, dist_names)

int kf_init_make(kf_init_kind kind, kf_init *out) {
  if (!out || (unsigned)kind >= KF_INIT_KIND_COUNT) return KF_EINVAL;
  kf_init v;
  memset(&v, 0, sizeof v);
  v.kind = kind;
  v.value = 0.0;
  v.lower = -2.0;
  v.upper = 2.0;
  v.fan_mode = KF_FAN_IN;
  v.distribution = KF_DIST_TRUNCATED_NORMAL;
  v.in_axis = -2;
  v.out_axis = -1;
  switch (kind) {
    case KF_INIT_NORMAL:
    case KF_INIT_UNIFORM:
    case KF_INIT_TRUNCATED_NORMAL: v.value = 1e-2; break;
    case KF_INIT_VARIANCE_SCALING:
    case KF_INIT_LECUN_NORMAL: v.value = 1.0; break;
    case KF_INIT_LECUN_UNIFORM: v.value = 1.0; v.distribution = KF_DIST_UNIFORM; break;
    case KF_INIT_GLOROT_NORMAL: v.value = 1.0; v.fan_mode = KF_FAN_AVG; break;
    case KF_INIT_GLOROT_UNIFORM:
      v.value = 1.0; v.fan_mode = KF_FAN_AVG; v.distribution = KF_DIST_UNIFORM;
      break;
    case KF_INIT_HE_NORMAL: v.value = 2.0; break;
    case KF_INIT_HE_UNIFORM: v.value = 2.0; v.distribution = KF_DIST_UNIFORM; break;
    default: break;
  }
  *out = v;
  return KF_OK;
}

/* The named variance-scaling initializers are variance_scaling with fixed
 * parameters; kf_init_make set those, so one code path serves them all. */
static int is_variance_scaling(kf_init_kind kind) {
  return kind >= KF_INIT_VARIANCE_SCALING && kind <= KF_INIT_HE_UNIFORM;
}

static int normalize_axis(int axis, int rank, int *out) {
  if (axis < -rank || axis >= rank) return KF_ESHAPE;
  *out = axis < 0 ? axis + rank : axis;
  return KF_OK;
}

/* jax _compute_fans in Python floats: receptive = prod / in / out. */
static int compute_variance(const kf_init *init, const kf_shape *shape, float *variance) {
  if (shape->rank < 2) return KF_ESHAPE;
  int in_axis, out_axis;
  if (normalize_axis(init->in_axis, shape->rank, &in_axis) != KF_OK ||
      normalize_axis(init->out_axis, shape->rank, &out_axis) != KF_OK)
    return KF_ESHAPE;
  const double in_size = (double)shape->dim[in_axis];
  const double out_size = (double)shape->dim[out_axis];
  double prod = 1.0;
  for (int i = 0; i < shape->rank; i++) prod *= (double)shape->dim[i];
  if (in_size == 0.0 || out_size == 0.0) return KF_ERANGE;
  const double receptive = prod / in_size / out_size;
  const double fan_in = in_size * receptive;
  const double fan_out = out_size * receptive;
  double denominator;
  switch (init->fan_mode) {
    case KF_FAN_IN: denominator = fan_in; break;
    case KF_FAN_OUT: denominator = fan_out; break;
    case KF_FAN_AVG: denominator = (fan_in + fan_out) / 2.0; break;
    default: return KF_EINVAL;
  }
  if (!(denominator > 0.0)) return KF_ERANGE;
  /* scale / denominator in double, then rounded to the float32 dtype. */
  *variance = (float)(init->value / denominator);
  return KF_OK;
}

int kf_init_check(const kf_init *init, const kf_shape *shape) {
  if (!init || !shape) return KF_EINVAL;
  size_t n;
  int rc = kf_shape_numel(shape, &n);
  if (rc != KF_OK) return rc;
  if ((unsigned)init->kind >= KF_INIT_KIND_COUNT) return KF_EINVAL;
  if (!isfinite(init->value)) return KF_EINVAL;
  if (init->kind == KF_INIT_TRUNCATED_NORMAL && (isnan(init->lower) || isnan(init->upper)))
    return KF_EINVAL;
  if (is_variance_scaling(init->kind)) {
    if ((unsigned)init->fan_mode > KF_FAN_AVG || (unsigned)init->distribution > KF_DIST_UNIFORM)
      return KF_EINVAL;
    if (!(init->value > 0.0)) return KF_ERANGE;
    float variance;
    return compute_variance(init, shape, &variance);
  }
  return KF_OK;
}

static void scale_all(float *out, size_t n, float factor) {
  for (size_t i = 0; i < n; i++) out[i] = out[i] * factor;
}

int kf_init_apply(const kf_init *init, kf_key key, kf_threefry_mode mode, const kf_shape *shape,
                  float *out) {
  int rc = kf_init_check(init, shape);
  if (rc != KF_OK) return rc;
  size_t n;
  kf_shape_numel(shape, &n);
  if (n > 0 && !out) return KF_EINVAL;
  switch (init->kind) {
    case KF_INIT_ZEROS:
    case KF_INIT_ONES:
    case KF_INIT_CONSTANT: {
      if (!(mode == KF_THREEFRY_PARTITIONABLE || mode == KF_THREEFRY_LEGACY)) return KF_EINVAL;
      const float v = init->kind == KF_INIT_ZEROS ? 0.0f
                      : init->kind == KF_INIT_ONES ? 1.0f
                                                   : (float)init->value;
      for (size_t i = 0; i < n; i++) out[i] = v;
      return KF_OK;
    }
    case KF_INIT_NORMAL:
      rc = kf_random_normal(key, mode, n, out);
      if (rc == KF_OK) scale_all(out, n, (float)init->value);
      return rc;
    case KF_INIT_UNIFORM:
      rc = kf_random_uniform(key, mode, n, 0.0f, 1.0f, out);
      if (rc == KF_OK) scale_all(out, n, (float)init->value);
      return rc;
    case KF_INIT_TRUNCATED_NORMAL:
      rc = kf_random_truncated_normal(key, mode, n, (float)init->lower, (float)init->upper, out);
      if (rc == KF_OK) scale_all(out, n, (float)init->value);
      return rc;
    default: break;
  }
  float variance;
  rc = compute_variance(init, shape, &variance);
  if (rc != KF_OK) return rc;
  switch (init->distribution) {
    case KF_DIST_TRUNCATED_NORMAL: {
      /* 0.8796... is the stddev of N(0, 1) truncated to (-2, 2). */
      const float stddev = sqrtf(variance) / (float)0.87962566103423978;
      rc = kf_random_truncated_normal(key, mode, n, -2.0f, 2.0f, out);
      if (rc == KF_OK) scale_all(out, n, stddev);
      return rc;
    }
    case KF_DIST_NORMAL:
      rc = kf_random_normal(key, mode, n, out);
      if (rc == KF_OK) scale_all(out, n, sqrtf(variance));
      return rc;
    case KF_DIST_UNIFORM:
      rc = kf_random_uniform(key, mode, n, -1.0f, 1.0f, out);
      if (rc == KF_OK) scale_all(out, n, sqrtf(3.0f * variance));
      return rc;
  }
  return KF_EINVAL;
}
