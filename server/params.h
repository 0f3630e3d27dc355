/* keyfoldd — the parameter model of the jax.random operations (ops.c): what
 * a parameter is (JAX's name, its kind, its default, whether it is required,
 * its domain), one decoder that reads a request body against a list of them,
 * JAX's broadcasting of array parameters against `shape`, and the listing of
 * a parameter (GET /v1/random, --dump-tables).
 *
 * A body is read in three steps, each of which may fail with a 400 (413 for
 * a tensor or a draw over --max-elements, 503 when memory runs out) and then
 * leaves nothing to free:
 *
 *   kd_params_decode     every member known, each of the right type: numbers,
 *                        nested lists or Tensor objects for array kinds,
 *                        integers in range, names among the allowed ones;
 *                        absent (or null) members take the default;
 *   kd_params_shape      the output shape as jax.random derives it: `shape`
 *                        must be what broadcasting it with the parameter
 *                        shapes gives (JAX's _check_shape, with JAX's text),
 *                        or, where JAX's default is None, the broadcast of the
 *                        parameter shapes (lax.broadcast_shapes);
 *   kd_params_broadcast  each array parameter as 1 value or one per element
 *                        of that shape, what the per-element samplers
 *                        (keyfold/random.h) take as `p, p_n`.
 */
#ifndef KEYFOLDD_PARAMS_H
#define KEYFOLDD_PARAMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "apierr.h"
#include "buf.h"
#include "keyfold/keyfold.h"

typedef enum kd_param_kind {
  KD_PK_KEY,          /* "key": a Key [hi, lo]; /sample takes it from the stream */
  KD_PK_SEED,         /* "seed": a Seed (integer) or a Key */
  KD_PK_SHAPE,        /* "shape": a list of at most 8 dimensions */
  KD_PK_INT_OR_SHAPE, /* "int_or_shape": an integer n (shape [n]) or a shape (split's num) */
  KD_PK_FLOAT,        /* "float": float32; a number, or (unless KD_PF_SCALAR) a nested
                         list or a Tensor object broadcast against the shape */
  KD_PK_INT,          /* "int": an integer in [min, max]; arrays as for "float" */
  KD_PK_ENUM,         /* "enum": one of `values` */
  KD_PK_DTYPE,        /* "dtype": a dtype name, one of `values` (those keyfold computes) */
  KD_PK_BOOL,         /* "bool": true or false */
  KD_PK_AXIS          /* "axis": an integer axis, negative ones counting from the end */
} kd_param_kind;

enum {
  KD_PF_REQUIRED = 1u << 0, /* no default: absent is 400 */
  KD_PF_SCALAR = 1u << 1,   /* float/int: one number only, not broadcast */
  KD_PF_INF = 1u << 2,      /* float: may round to an infinity (a one-sided bound) */
  KD_PF_COUNT = 1u << 3,    /* scalar int: an element count, over --max-elements 413 (before
                               the range is checked) */
  KD_PF_WHOLE = 1u << 4,    /* float/int array taken with its own shape, not broadcast against
                               the output's (categorical's logits, choice's a and p): the row's
                               prepare reads it (kd_arg_broadcast_to) */
  KD_PF_KEEP_INT = 1u << 5, /* float: a value whose every element is a JSON integer (or an int32
                               Tensor) is kept as int32 values instead (arg->is_int), the dtype
                               jnp.asarray gives it (choice's a) */
};

/* JAX's default. NONE with KD_PF_REQUIRED: there is none; NONE without it:
 * JAX's None, derived from the other parameters (the description says how). */
typedef enum kd_default_kind {
  KD_DEF_NONE,
  KD_DEF_FLOAT,
  KD_DEF_INT,
  KD_DEF_STRING,
  KD_DEF_BOOL,
  KD_DEF_EMPTY_SHAPE /* () */
} kd_default_kind;

typedef struct kd_default {
  kd_default_kind kind;
  double f;
  int64_t i;
  const char *s;
} kd_default;

/* The classes of dtype names, for JAX's message when a dtype of the wrong
 * class is asked for (KD_PK_DTYPE's `accepts`). */
enum {
  KD_DT_FLOAT = 1u << 0,   /* float16 bfloat16 float32 float64 */
  KD_DT_SINT = 1u << 1,    /* int8 int16 int32 int64 */
  KD_DT_UINT = 1u << 2,    /* uint8 uint16 uint32 uint64 */
  KD_DT_BOOL = 1u << 3,    /* bool */
  KD_DT_COMPLEX = 1u << 4, /* complex64 complex128 */
};

#define KD_CHOICES_END INT64_MIN

typedef struct kd_param {
  const char *name;          /* JAX's name (the body member) */
  kd_param_kind kind;
  unsigned flags;            /* KD_PF_* */
  kd_default def;
  int64_t min, max;          /* KD_PK_INT, KD_PK_AXIS: the range of each value */
  const int64_t *choices;    /* KD_PK_INT with KD_PF_SCALAR: the only values accepted,
                                ended by KD_CHOICES_END (NULL: any in range) */
  const char *const *values; /* KD_PK_ENUM, KD_PK_DTYPE: NULL-terminated */
  unsigned accepts;          /* KD_PK_DTYPE: the classes JAX accepts (KD_DT_*) */
  const char *jax_error;     /* KD_PK_DTYPE: JAX's text for a dtype of another class;
                                KD_PK_ENUM: JAX's text for a value not in `values`; a
                                printf format with one %s (the value given) */
  /* KD_SHAPE_OUTER: JAX's formula broadcasts the draw with the parameters
   * one binary op at a time; outer_step (1, 2, ...) is this parameter's turn
   * and outer_op the op's name in jnp's message ("pow got incompatible
   * shapes for broadcasting: (3,), (2,)."). 0 / NULL: lax.broadcast_shapes'
   * text, after the stepped ones. */
  unsigned outer_step;
  const char *outer_op;
  const char *description;
} kd_param;

/* Whether a parameter is an array broadcast against the shape. */
int kd_param_broadcasts(const kd_param *p);

/* The kind's name in listings: "key", "float", ... */
const char *kd_param_kind_name(kd_param_kind kind);

/* The most parameters an operation has. */
#define KD_MAX_PARAMS 12

/* One decoded parameter. Values of "float" and "int" are `count` floats or
 * int64s (kd_arg_floats, kd_arg_ints), row-major in `shape` as given (a
 * number or the default: shape [], count 1) and, after kd_params_broadcast,
 * 1 or one per element. A kd_arg holds no pointer into itself, so decoded
 * arguments may be copied. */
typedef struct kd_arg {
  int given;        /* the member was in the body (not absent or null) */
  kf_shape shape;   /* float, int: the value's shape; shape, int_or_shape: the shape */
  size_t count;     /* float, int: values held; shape: its element count */
  void *owned;      /* the values when on the heap (float or int64_t), else NULL */
  float one_f;      /* else the single value */
  int64_t one_i;
  int64_t n;        /* KD_PK_INT with KD_PF_SCALAR, KD_PK_AXIS, KD_PK_BOOL (0/1) */
  const char *s;    /* KD_PK_ENUM, KD_PK_DTYPE: the value (one of `values`) */
  kf_key key;       /* KD_PK_KEY, KD_PK_SEED */
  int is_int;       /* KD_PF_KEEP_INT: the values are int64s (kd_arg_ints), not floats */
} kd_arg;

static inline const float *kd_arg_floats(const kd_arg *a) {
  return a->owned ? (const float *)a->owned : &a->one_f;
}
static inline const int64_t *kd_arg_ints(const kd_arg *a) {
  return a->owned ? (const int64_t *)a->owned : &a->one_i;
}

typedef struct kd_args {
  const kd_param *params; /* the list read (terminated by a NULL name) */
  size_t count;
  kd_arg a[KD_MAX_PARAMS];
  kf_shape shape;         /* after kd_params_shape: the output's */
  size_t n;               /* and its element count */
  kf_shape draw_shape;    /* the draw's (KD_SHAPE_OUTER: may be smaller) */
  size_t draw_n;
} kd_args;

/* How a body is read. */
enum {
  KD_READ_KEY = 1u << 0 /* the body carries "key" (stateless); else KD_PK_KEY
                           parameters are not members (a session's stream) */
};

/* Reads body (`what` names it in messages, "body") against params, a list
 * terminated by an entry with a NULL name. Members other than the
 * parameters and the NULL-terminated `extra` are 400. On failure nothing is
 * left to free. */
int kd_params_decode(const kd_param *params, const json_t *body, const char *what, unsigned how,
                     const char *const *extra, uint64_t max_elements, kd_args *out, kd_err *err);

/* How a sampler's output shape follows from "shape" and the array
 * parameters, as the sampler's code in jax/_src/random.py has it. P is the
 * broadcast of the array parameters' shapes (lax.broadcast_shapes). */
typedef enum kd_shape_rule {
  KD_SHAPE_SCALAR,    /* shape, default (); broadcasting it with P must give it back
                         (JAX's _check_shape): uniform, normal, exponential, ... */
  KD_SHAPE_BROADCAST, /* likewise, but absent (JAX's None) it is P: truncated_normal,
                         bernoulli, gamma, pareto, ... (_check_broadcast_shapes) */
  KD_SHAPE_CONCAT,    /* shape + P, where an empty shape counts as P (so () with P (3,)
                         gives (3, 3), as JAX does): double_sided_maxwell */
  KD_SHAPE_OUTER,     /* the draw has `shape` (default ()), unchecked; the parameters
                         broadcast with it afterwards: the output is the broadcast of
                         shape and P, and elements that differ only along dimensions
                         where shape is 1 share a draw: weibull_min */
  KD_SHAPE_TO,        /* shape absent (JAX's None) is P; given, each array parameter must
                         broadcast to it one way (jnp.broadcast_to, with its texts): poisson */
  KD_SHAPE_OWN        /* no "shape": the row's prepare sets it (permutation) */
} kd_shape_rule;

/* The rule's name in listings: "scalar", "broadcast", "concat", "outer", "to", "own". */
const char *kd_shape_rule_name(kd_shape_rule rule);

/* The output shape into args->shape / args->n, and the draw's into
 * args->draw_shape / args->draw_n (the same but for KD_SHAPE_OUTER), as
 * jax.random derives them for the operation `op` (its name, for JAX's
 * messages) under `rule` (not KD_SHAPE_OWN). Fails (400) as JAX does when
 * the shapes do not broadcast or the result is not the shape asked for; 413
 * over max_elements. */
int kd_params_shape(const char *op, kd_shape_rule rule, kd_args *args, const char *what,
                    uint64_t max_elements, kd_err *err);

/* jnp.broadcast_to(arg, to) for the parameter p: 400 with jnp's text when
 * arg's shape does not broadcast to `to` one way, else arg holds the
 * expanded values (count = elements of `to`, shape `to`). 503 when memory
 * runs out (arg keeps what it had). */
int kd_arg_broadcast_to(const kd_param *p, kd_arg *arg, const kf_shape *to, const char *what,
                        kd_err *err);

/* JAX's _check_shape(op, shape, *params) for rows that derive parameter
 * shapes of their own (categorical's batch shape, multivariate_normal's mean
 * and cov batch shapes): broadcasting shape with the `count` shapes must
 * give shape itself, else a 400 with JAX's text, listing them all as
 * lax.broadcast_shapes does. */
int kd_shape_check_all(const char *op, const kf_shape *shape, const kf_shape *params, size_t count,
                       const char *what, kd_err *err);

/* lax.broadcast_shapes(*shapes) into out, or a 400 on `field` with its text. */
int kd_shape_broadcast_all(const kf_shape *shapes, size_t count, const char *what, const char *field,
                           kf_shape *out, kd_err *err);

/* Each array parameter as 1 value or args->n values (one per element of the
 * output, row-major). 503 when memory runs out (args still owns what it
 * had; kd_args_free frees it). */
int kd_params_broadcast(kd_args *args, const char *what, kd_err *err);

/* The decoded parameter `name`, or NULL. */
kd_arg *kd_args_get(kd_args *args, const char *name);
const kd_arg *kd_args_cget(const kd_args *args, const char *name);

void kd_args_free(kd_args *args);

/* JAX's (Python's) spelling of a shape: "()", "(3,)", "(2, 3)". Returns buf. */
const char *kd_shape_py(const kf_shape *s, char *buf, size_t size);

/* Writes a parameter as a listing object: {"name", "kind", "required",
 * "default", "dtype", "array", "values"/"min"/"max" where they apply,
 * "description"}. */
void kd_param_write(kd_jw *w, const kd_param *p);

#endif
