/* keyfoldd — the samplers of jax.random as API operations, shared by the
 * stateless POST /v1/random/{op} and the session's POST …/sample.
 *
 * A sample is prepared (parameters decoded and validated, output allocated)
 * before any key is drawn, so a session's stream only advances for a request
 * that will succeed; kd_sample_fill then cannot fail.
 */
#ifndef KEYFOLDD_SAMPLER_H
#define KEYFOLDD_SAMPLER_H

#include <jansson.h>
#include <stdint.h>

#include "apierr.h"
#include "keyfold/keyfold.h"

typedef struct kd_sampler kd_sampler;

/* Finds a sampler by its jax.random name: "bits", "uniform", "normal",
 * "truncated_normal", "bernoulli", "randint", "permutation". NULL if unknown. */
const kd_sampler *kd_sampler_find(const char *name);

/* Comma-separated list of the sampler names, for error messages. */
const char *kd_sampler_names(void);

/* The NULL-terminated list of body fields the sampler reads ("shape" and its
 * parameters), so callers can reject unknown fields. */
const char *const *kd_sampler_fields(const kd_sampler *s);

typedef struct kd_sample {
  const kd_sampler *sampler;
  kf_tensor out;  /* out.data is owned (malloc'd) by the sample */
  size_t n;       /* element count */
  float f1, f2;   /* minval/maxval, lower/upper, p */
  int64_t i1, i2; /* randint bounds */
  unsigned bit_width;
} kd_sample;

/* Decodes the sampler's fields from body (`what` names the body in
 * messages), validates them and allocates the output. 400 for bad values,
 * 413 beyond max_elements. On failure nothing is left to free. */
int kd_sample_prepare(const kd_sampler *s, const json_t *body, const char *what,
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
