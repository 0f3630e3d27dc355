/* keyfoldd — a session's creation spec: the "rngs", "model" and "options"
 * of POST /v1/sessions, decoded and validated, and its canonical form — the
 * text the store keeps and recovery reads back. The writer and the reader
 * of the canonical form live side by side here, so they cannot drift.
 *
 * Canonical form (one line, no spaces):
 *   {"rngs":{"NAME":[HI,LO],…},"model":{"layers":[…]}|null,
 *    "options":{"threefry":"MODE","flax":"0.10"|"0.11"|"0.12"}}
 * with the streams in Rngs order (keyword streams as given, 'default' last)
 * and every layer default filled in.
 */
#ifndef KEYFOLDD_SPEC_H
#define KEYFOLDD_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "apierr.h"
#include "keyfold/keyfold.h"

typedef struct kd_stream_seed {
  char name[KF_STREAM_NAME_MAX + 1];
  kf_key key;
} kd_stream_seed;

typedef struct kd_spec {
  kd_stream_seed seeds[KF_RNGS_MAX_STREAMS]; /* in Rngs order */
  size_t n_seeds;
  kf_layer_spec *layers; /* owned; NULL when the session has no model */
  size_t n_layers;
  kf_threefry_mode mode;
  char flax[8];          /* options.flax as given: "0.10", "0.11" or "0.12" */
  kf_flax_era era;       /* what it means */
} kd_spec;

/* The values of options.flax and their eras, NULL-terminated. */
typedef struct kd_flax_option {
  const char *name;
  kf_flax_era era;
} kd_flax_option;
extern const kd_flax_option kd_flax_options[];

/* The limits a spec is checked against (from the configuration). */
typedef struct kd_spec_limits {
  uint64_t max_elements;     /* one parameter tensor; more is 413 */
  uint64_t max_model_params; /* all of them; more is 413 */
} kd_spec_limits;

/* The members of "options", NULL-terminated. */
extern const char *const kd_spec_options_fields[];

/* Decodes and validates the members "rngs", "model" and "options" of obj
 * (other members are the caller's to check); messages name them as
 * body.<member>. On success *out owns its layers (kd_spec_free). 400/413. */
int kd_spec_parse(const json_t *obj, const kd_spec_limits *limits, kd_spec *out, kd_err *err);

/* The canonical text of spec: a new malloc'd string, or NULL on ENOMEM. */
char *kd_spec_write(const kd_spec *spec);

/* Reads a canonical text back (recovery). A spec without a model is read
 * without building a JSON tree (a million of them recover in about a
 * second); anything else goes through jansson and kd_spec_parse, with its
 * messages. Returns 0, or -1 with err. */
int kd_spec_read(const char *text, const kd_spec_limits *limits, kd_spec *out, kd_err *err);

/* Frees what *spec owns; the struct may be reused. */
void kd_spec_free(kd_spec *spec);

#endif
