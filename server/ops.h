/* keyfoldd — the jax.random operations: one table for the stateless
 * POST /v1/random/{op} and the session's POST …/sample, and the samplers'
 * decoding and drawing.
 *
 * A sample is prepared (parameters decoded and validated, output allocated)
 * before any key is drawn, so a session's stream only advances for a request
 * that will succeed; kd_sample_fill then cannot fail.
 */
#ifndef KEYFOLDD_OPS_H
#define KEYFOLDD_OPS_H

#include <jansson.h>
#include <stdint.h>

#include "apierr.h"
#include "keyfold/keyfold.h"

/* How an operation computes. */
typedef enum kd_op_class { KD_OP_KEY, KD_OP_FOLD_IN, KD_OP_SPLIT, KD_OP_SAMPLER } kd_op_class;

/* Which sampler a KD_OP_SAMPLER operation runs. */
typedef enum kd_sampler_kind {
  KD_S_NONE = 0,
  KD_S_BITS,
  KD_S_UNIFORM,
  KD_S_NORMAL,
  KD_S_TRUNCATED_NORMAL,
  KD_S_BERNOULLI,
  KD_S_RANDINT,
  KD_S_PERMUTATION
} kd_sampler_kind;

/* Where an operation is offered. */
enum {
  KD_OP_RANDOM = 1u << 0,  /* POST /v1/random/{op} */
  KD_OP_SESSION = 1u << 1, /* a "distribution" of POST /v1/sessions/{name}/sample */
  KD_OP_TENSOR = 1u << 2   /* answers one tensor: JSON or .npy by Accept */
};

typedef struct kd_op {
  const char *name;           /* jax.random's name */
  kd_op_class cls;
  kd_sampler_kind sampler;
  const char *const *fields;  /* the NULL-terminated body fields it reads beyond key/threefry/stream */
  unsigned flags;
  const char *summary;        /* the JAX call it computes */
} kd_op;

/* The table, in its documented order. */
size_t kd_op_count(void);
const kd_op *kd_op_at(size_t i);

/* An operation by name, or NULL. */
const kd_op *kd_op_find(const char *name);

/* The names of the operations whose flags include all of `flags`, comma
 * separated, into buf (for messages). Returns buf. */
const char *kd_op_names(unsigned flags, char *buf, size_t size);

typedef struct kd_sample {
  const kd_op *op;
  kf_tensor out;  /* out.data is owned (malloc'd) by the sample */
  size_t n;       /* element count */
  float f1, f2;   /* minval/maxval, lower/upper, p */
  int64_t i1, i2; /* randint bounds */
  unsigned bit_width;
} kd_sample;

/* Decodes the sampler's fields from body (`what` names the body in
 * messages), validates them and allocates the output. 400 for bad values,
 * 413 beyond max_elements. On failure nothing is left to free. */
int kd_sample_prepare(const kd_op *s, const json_t *body, const char *what,
                      uint64_t max_elements, kd_sample *out, kd_err *err);

/* Draws the sample with key in mode into sample->out. Cannot fail after a
 * successful prepare, with one exception: "permutation" allocates scratch
 * memory inside the library, and if that fails the output is zero-filled
 * (api.md offers permutation only statelessly, where kd_sample_draw is used). */
void kd_sample_fill(kd_sample *sample, kf_key key, kf_threefry_mode mode);

/* kd_sample_fill that reports that one failure (503 unavailable) instead.
 * For stateless callers, which have nothing to undo when it fails. */
int kd_sample_draw(kd_sample *sample, kf_key key, kf_threefry_mode mode, kd_err *err);

/* Frees the output; the struct may be reused. */
void kd_sample_free(kd_sample *sample);

#endif
