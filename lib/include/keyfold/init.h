/* keyfold — jax.nn.initializers in float32 (spec: flax-nnx.md §3.1).
 *
 * An initializer is a small value type (kf_init) describing which
 * initializer and its parameters; kf_init_apply fills a caller-owned buffer.
 */
#ifndef KEYFOLD_INIT_H
#define KEYFOLD_INIT_H

#include <stddef.h>

#include "keyfold/prng.h"
#include "keyfold/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kf_init_kind {
  KF_INIT_ZEROS = 0,
  KF_INIT_ONES,
  KF_INIT_CONSTANT,          /* value */
  KF_INIT_NORMAL,            /* normal(key) * f32(stddev); stddev = value, default 1e-2 */
  KF_INIT_UNIFORM,           /* uniform(key) * f32(scale), U[0, scale); scale = value, default 1e-2 */
  KF_INIT_TRUNCATED_NORMAL,  /* truncated_normal(key, lower, upper) * f32(stddev); default 1e-2, -2, 2 */
  KF_INIT_VARIANCE_SCALING,  /* scale = value, fan_mode, distribution, in_axis, out_axis */
  KF_INIT_LECUN_NORMAL,      /* variance_scaling(1, fan_in, truncated_normal) */
  KF_INIT_LECUN_UNIFORM,     /* variance_scaling(1, fan_in, uniform) */
  KF_INIT_GLOROT_NORMAL,     /* variance_scaling(1, fan_avg, truncated_normal); alias xavier_normal */
  KF_INIT_GLOROT_UNIFORM,    /* variance_scaling(1, fan_avg, uniform); alias xavier_uniform */
  KF_INIT_HE_NORMAL,         /* variance_scaling(2, fan_in, truncated_normal); alias kaiming_normal */
  KF_INIT_HE_UNIFORM,        /* variance_scaling(2, fan_in, uniform); alias kaiming_uniform */
  KF_INIT_KIND_COUNT
} kf_init_kind;

typedef enum kf_fan_mode { KF_FAN_IN = 0, KF_FAN_OUT, KF_FAN_AVG } kf_fan_mode;

typedef enum kf_distribution {
  KF_DIST_TRUNCATED_NORMAL = 0,
  KF_DIST_NORMAL,
  KF_DIST_UNIFORM
} kf_distribution;

typedef struct kf_init {
  kf_init_kind kind;
  double value;   /* constant value, stddev, or scale, by kind (see above) */
  double lower;   /* truncated_normal only */
  double upper;   /* truncated_normal only */
  kf_fan_mode fan_mode;           /* variance_scaling only */
  kf_distribution distribution;   /* variance_scaling only */
  int in_axis;    /* variance_scaling only, default -2 (negative counts from the end) */
  int out_axis;   /* variance_scaling only, default -1 */
} kf_init;

/* Fills *out with `kind` and JAX's default parameters for it.
 * Returns KF_EINVAL for an unknown kind. */
int kf_init_make(kf_init_kind kind, kf_init *out);

/* Looks a kind up by its JAX name ("lecun_normal", "xavier_uniform", ...). */
int kf_init_kind_from_name(const char *name, kf_init_kind *out);

/* Static canonical name of a kind ("glorot_normal" for both glorot and xavier). */
const char *kf_init_kind_name(kf_init_kind kind);

/* The i-th name kf_init_kind_from_name accepts, canonical names first and
 * then JAX's aliases (xavier_*, kaiming_*), with its kind in *kind (may be
 * NULL); NULL past the last. */
const char *kf_init_name_at(size_t i, kf_init_kind *kind);

/* Static names of fan modes ("fan_in", ...) and distributions ("normal", ...),
 * and their inverse look-ups (KF_EINVAL for an unknown name). */
const char *kf_fan_mode_name(kf_fan_mode mode);
int kf_fan_mode_from_name(const char *name, kf_fan_mode *out);
const char *kf_distribution_name(kf_distribution dist);
int kf_distribution_from_name(const char *name, kf_distribution *out);

/* Checks an initializer's parameters against `shape` without drawing:
 * KF_EINVAL for an unknown kind/mode/distribution or a non-finite parameter,
 * KF_ESHAPE for a variance-scaling initializer on a shape of rank < 2 or with
 * an axis out of range, KF_ERANGE for a zero fan or a non-positive scale. */
int kf_init_check(const kf_init *init, const kf_shape *shape);

/* init(key, shape, float32): writes numel(shape) floats to `out`.
 * Returns what kf_init_check returns, or KF_EOVERFLOW for too many elements. */
int kf_init_apply(const kf_init *init, kf_key key, kf_threefry_mode mode, const kf_shape *shape,
                  float *out);

#ifdef __cplusplus
}
#endif

#endif
