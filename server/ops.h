/* keyfoldd — the jax.random operations: one table for the stateless
 * POST /v1/random/{op}, the session's POST …/sample and GET /v1/random.
 *
 * Each operation is a row: JAX's name, its parameters in the model of
 * params.h (JAX's names, kinds, defaults, domains), how its shape defaults,
 * the output's dtype and a call function that hands the decoded, broadcast
 * parameters to the library. Adding a sampler is adding a row.
 *
 * A sample is prepared (parameters decoded and validated, broadcast, output
 * allocated) before any key is drawn, so a session's stream only advances
 * for a request that will succeed; kd_sample_fill then cannot fail.
 */
#ifndef KEYFOLDD_OPS_H
#define KEYFOLDD_OPS_H

#include <jansson.h>
#include <stdint.h>

#include "apierr.h"
#include "buf.h"
#include "keyfold/keyfold.h"
#include "params.h"

/* How an operation computes. */
typedef enum kd_op_class { KD_OP_KEY, KD_OP_FOLD_IN, KD_OP_SPLIT, KD_OP_SAMPLER } kd_op_class;

/* Where an operation is offered. */
enum {
  KD_OP_RANDOM = 1u << 0,  /* POST /v1/random/{op} */
  KD_OP_SESSION = 1u << 1, /* a "distribution" of POST /v1/sessions/{name}/sample */
  KD_OP_TENSOR = 1u << 2,  /* answers one tensor: JSON or .npy by Accept */
  KD_OP_ALLOCATES = 1u << 3 /* the library allocates while drawing, so the draw can fail after
                               the key is taken: a session computes it under its lock */
};

struct kd_sample;

typedef struct kd_op {
  const char *name;          /* jax.random's name */
  kd_op_class cls;
  const kd_param *params;    /* JAX's parameters in JAX's order, ended by a NULL name */
  unsigned flags;
  kd_shape_rule shape;       /* how the output's shape follows from the parameters (params.h) */
  kf_dtype dtype;            /* the output's dtype (prepare may choose another) */
  /* Optional: the row's own checks once the parameters are decoded (and,
   * unless KD_SHAPE_OWN, the shape derived): may set the shape, the dtype
   * and draw_bits. 400/413 as the decoder's. */
  int (*prepare)(struct kd_sample *s, const char *what, uint64_t max_elements, kd_err *err);
  /* Samplers: computes s->out with key in mode; a KF_* code. */
  int (*call)(const struct kd_sample *s, kf_key key, kf_threefry_mode mode);
  const char *summary;       /* the JAX call it computes */
  /* The name JAX's shape check gives in its text when it is another
   * sampler's (loggamma and generalized_normal check as "gamma"); NULL:
   * the row's name. */
  const char *check_as;
} kd_op;

/* The table, in its documented order. */
size_t kd_op_count(void);
const kd_op *kd_op_at(size_t i);

/* An operation by name, or NULL. */
const kd_op *kd_op_find(const char *name);

/* The names of the operations whose flags include all of `flags`, comma
 * separated, into buf (for messages). Returns buf. */
const char *kd_op_names(unsigned flags, char *buf, size_t size);

/* Writes an operation as a listing object (GET /v1/random, --dump-tables):
 * {"name", "summary", "random", "session_sample", "tensor", "dtype" (the
 * output's with the default parameters), "shape" (the rule: kd_shape_rule_name),
 * "params": [...]}. */
void kd_op_write(kd_jw *w, const kd_op *op);

typedef struct kd_sample {
  const kd_op *op;
  kd_args args;       /* the decoded parameters */
  kf_tensor out;      /* samplers: out.data is owned (malloc'd) by the sample */
  size_t n;           /* element count */
  unsigned draw_bits; /* random bits one element draws (legacy threefry's limit) */
  void *scratch;      /* fill's memory, allocated by prepare: KD_SHAPE_OUTER with a draw
                         smaller than the output, and choice's indices into an array a */
  kf_rsqrt_mode rsqrt; /* the gamma family's: the "rsqrt" parameter's, or its default */
} kd_sample;

/* Decodes op's parameters from body (`what` names the body in messages;
 * `how` KD_READ_KEY for a stateless body, which carries "key"; `extra` the
 * members the route adds, NULL-terminated) and validates them; for a
 * sampler also derives the shape, broadcasts the array parameters and
 * allocates the output. 400 for bad values, 413 beyond max_elements, 503
 * when memory runs out. On failure nothing is left to free. */
int kd_sample_prepare(const kd_op *op, const json_t *body, const char *what, unsigned how,
                      const char *const *extra, uint64_t max_elements, kd_sample *out,
                      kd_err *err);

/* The rsqrt mode of a row with an "rsqrt" parameter (the gamma family)
 * when the body did not give one: POST /v1/random's default is
 * KF_RSQRT_INTEL_NR2 (jaxlib 0.10.2 on Intel); a session's sample follows
 * its Flax era (0.10: jaxlib 0.6.2's KF_RSQRT_SQRT_DIV). */
void kd_sample_default_rsqrt(kd_sample *s, kf_rsqrt_mode mode);

/* The decoded parameter `name` of a prepared sample, or NULL. */
const kd_arg *kd_sample_arg(const kd_sample *s, const char *name);

/* Draws the sample with key in mode into sample->out. Fails (503
 * unavailable) only where the library allocates its loops' memory
 * (permutation, poisson, categorical, ...) and that fails. */
int kd_sample_draw(kd_sample *sample, kf_key key, kf_threefry_mode mode, kd_err *err);

/* Frees the output and the parameters; the struct may be reused. */
void kd_sample_free(kd_sample *sample);

#endif
