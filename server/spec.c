/* keyfoldd — creation specs: decoding, the canonical writer and its reader. */
#include "spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "nn_codec.h"
#include "row.h"

#define BODY "body"
#define STREAM_NAME_RULE "[A-Za-z_][A-Za-z0-9_]{0,63}"

/* The library refuses longer models (kf_model_check); checking before
 * parsing bounds the spec array a request can make us allocate. */
#define MAX_LAYERS 1024

static void seed_set(kd_stream_seed *s, const char *name, kf_key key) {
  snprintf(s->name, sizeof s->name, "%s", name);
  s->key = key;
}

/* body.rngs: up to KF_RNGS_MAX_STREAMS streams, ordered as Flax's
 * Rngs(default, **streams) orders them: keyword streams as given, then
 * 'default' last. */
static int parse_rngs(const json_t *v, kd_spec *out, kd_err *err) {
  out->n_seeds = 0;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_object(v))
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".rngs must be an object mapping stream names to seeds or keys");
  if (json_object_size(v) > KF_RNGS_MAX_STREAMS)
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".rngs has %zu streams; at most %d are allowed",
                   json_object_size(v), KF_RNGS_MAX_STREAMS);
  const char *name;
  json_t *value;
  int has_default = 0;
  kf_key default_key = {0, 0};
  json_object_foreach((json_t *)v, name, value) {
    char what[96], shown[72];
    if (!kf_stream_name_valid(name))
      return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".rngs: stream name '%s' must match " STREAM_NAME_RULE,
                     kd_shown(name, shown));
    snprintf(what, sizeof what, BODY ".rngs.%s", name);
    kf_key key;
    if (kd_parse_seed_or_key(value, what, &key, err) != 0) return -1;
    if (strcmp(name, KF_DEFAULT_STREAM) == 0) {
      has_default = 1;
      default_key = key;
    } else {
      seed_set(&out->seeds[out->n_seeds++], name, key);
    }
  }
  if (has_default) seed_set(&out->seeds[out->n_seeds++], KF_DEFAULT_STREAM, default_key);
  return 0;
}

const char *const kd_spec_options_fields[] = {"threefry", "flax", NULL};

/* 0.11 and 0.12 draw alike (flax-nnx.md §0); the Session echoes which was given. */
const kd_flax_option kd_flax_options[] = {
  {"0.10", KF_FLAX_0_10},
  {"0.11", KF_FLAX_0_11},
  {"0.12", KF_FLAX_0_11},
  {NULL, KF_FLAX_0_10},
};

/* Sets out->flax and out->era from a name; -1 if it is not a value. */
static int set_flax(const char *name, kd_spec *out) {
  for (const kd_flax_option *o = kd_flax_options; o->name; o++) {
    if (strcmp(o->name, name) == 0) {
      snprintf(out->flax, sizeof out->flax, "%s", o->name);
      out->era = o->era;
      return 0;
    }
  }
  return -1;
}

/* body.options: threefry mode and Flax semantics. */
static int parse_options(const json_t *v, kd_spec *out, kd_err *err) {
  out->mode = KF_THREEFRY_PARTITIONABLE;
  set_flax("0.10", out);
  if (!v || json_is_null(v)) return 0;
  if (kd_check_fields(v, BODY ".options", kd_spec_options_fields, err) != 0) return -1;
  if (kd_get_threefry(v, BODY ".options", "threefry", &out->mode, err) != 0) return -1;
  const char *flax;
  if (kd_get_string(v, BODY ".options", "flax", 0, "0.10", &flax, err) != 0) return -1;
  if (set_flax(flax, out) != 0) {
    char shown[72];
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".options.flax is '%s'; it must be \"0.10\" (the default), \"0.11\" or \"0.12\"",
                   kd_shown(flax, shown));
  }
  return 0;
}

/* Explains a kf_model_check failure, naming the layer both as the request
 * wrote it (body.model.layers[1].layers[0]) and by its Flax path. */
static int model_check_failed(int rc, const kf_model_diag *d, const kd_layer_list *list, kd_err *err) {
  const size_t bad = d->layer;
  if (bad >= list->n) return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".model.layers is invalid");
  const char *at = list->what[bad];
  char where[KD_LAYER_WHAT_MAX + KF_PATH_MAX + 8];
  if (d->path[0])
    snprintf(where, sizeof where, "%s (%s)", at, d->path);
  else
    snprintf(where, sizeof where, "%s", at);
  switch (d->reason) {
    case KF_DIAG_EMBED_NOT_FIRST:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s: embed reads integer indices, so it can only be the first layer (and not "
                     "inside a residual or the second block of a repeat)",
                     where);
    case KF_DIAG_WIDTH: {
      const char *field = kd_layer_width_field(d->layer_type);
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s.%s is %lld, but the layers before it produce width %lld (%s)", at, field,
                     (long long)d->expected, (long long)d->actual, d->path);
    }
    case KF_DIAG_RESIDUAL:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s: a residual adds its input (width %lld) to its layers' output (width %lld); "
                     "they must agree",
                     where, (long long)d->expected, (long long)d->actual);
    case KF_DIAG_CHILDREN:
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s: invalid container", where);
    case KF_DIAG_NAME:
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.name: '%s' is already the name of another layer in "
                     "the same container", at, list->specs[bad].name);
    case KF_DIAG_TOO_LARGE:
      return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                     BODY ".model: the parameters up to %s total more than %llu elements (or the "
                     "model has more than 4096 layers with repeats expanded)",
                     where, (unsigned long long)KF_MAX_ELEMENTS);
    default: {
      char what[KD_LAYER_WHAT_MAX + 64];
      if (d->reason == KF_DIAG_SPEC && d->field)
        snprintf(what, sizeof what, "%s.%s", at, d->field);
      else
        snprintf(what, sizeof what, "%s", at);
      return kd_fail_kf(err, rc, what);
    }
  }
}

/* body.model: {"layers": [...]}. */
static int parse_model(const json_t *v, const kd_spec_limits *limits, kd_spec *out, kd_err *err) {
  static const char *const fields[] = {"layers", NULL};
  out->layers = NULL;
  out->n_layers = 0;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_object(v))
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".model must be an object {\"layers\": [...]}");
  if (kd_check_fields(v, BODY ".model", fields, err) != 0) return -1;
  const json_t *layers = json_object_get(v, "layers");
  if (!json_is_array(layers) || json_array_size(layers) == 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".model.layers must be a non-empty list of layers");
  const size_t count = json_array_size(layers);
  if (count > MAX_LAYERS)
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".model.layers has %zu layers; at most %d are allowed",
                   count, MAX_LAYERS);
  kd_layer_list list;
  if (kd_parse_layers(layers, BODY ".model.layers", limits->max_elements, &list, err) != 0) return -1;
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  uint64_t total = 0;
  int rc = kf_model_check(list.specs, list.n, &total, &diag);
  if (rc != KF_OK) {
    model_check_failed(rc, &diag, &list, err);
    kd_layer_list_free(&list);
    return -1;
  }
  size_t held = 0;
  rc = kf_layers_held_streams(list.specs, list.n, out->era, &held);
  if (rc != KF_OK || held > KD_HELD_STREAMS_MAX) {
    kd_layer_list_free(&list);
    if (rc != KF_OK) return kd_fail(err, KD_UNAVAILABLE, "out of memory while handling the request");
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".model has %zu layers that hold a stream (dropouts, attentions with "
                   "dropout_rate > 0); with options.flax \"%s\" each holds a stream of its own, and a "
                   "model holds at most %d",
                   held, out->flax, KD_HELD_STREAMS_MAX);
  }
  if (total > limits->max_model_params) {
    kd_layer_list_free(&list);
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, BODY ".model has %llu parameters; the limit is %llu (--max-model-params)",
                   (unsigned long long)total, (unsigned long long)limits->max_model_params);
  }
  /* The spec keeps the array alone (shrunk to its size). */
  kf_layer_spec *specs = realloc(list.specs, list.n * sizeof *specs);
  out->layers = specs ? specs : list.specs;
  out->n_layers = list.n;
  free(list.what);
  return 0;
}

/* Empties *out without touching its seed array (a recovery of a million
 * rows must not clear 4 KiB per row). */
static void spec_clear(kd_spec *out) {
  out->n_seeds = 0;
  out->layers = NULL;
  out->n_layers = 0;
  out->mode = KF_THREEFRY_PARTITIONABLE;
  memset(out->flax, 0, sizeof out->flax);
  out->era = KF_FLAX_0_10;
}

int kd_spec_parse(const json_t *obj, const kd_spec_limits *limits, kd_spec *out, kd_err *err) {
  spec_clear(out);
  if (parse_options(json_object_get(obj, "options"), out, err) != 0) return -1;
  if (parse_rngs(json_object_get(obj, "rngs"), out, err) != 0) return -1;
  return parse_model(json_object_get(obj, "model"), limits, out, err);
}

void kd_spec_free(kd_spec *spec) {
  free(spec->layers);
  spec->layers = NULL;
  spec->n_layers = 0;
}

/* ------------------------------------------------------------ the writer */

static int array_spec(void *ctx, size_t i, kf_layer_spec *out) {
  *out = ((const kf_layer_spec *)ctx)[i];
  return 0;
}

char *kd_spec_write(const kd_spec *spec) {
  kd_buf b;
  kd_buf_init(&b);
  kd_jw w;
  kd_jw_init(&w, &b);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "rngs");
  kd_jw_object_begin(&w);
  for (size_t i = 0; i < spec->n_seeds; i++) {
    kd_jw_key(&w, spec->seeds[i].name);
    kd_write_key(&w, spec->seeds[i].key);
  }
  kd_jw_object_end(&w);
  kd_jw_key(&w, "model");
  if (!spec->layers) {
    kd_jw_null(&w);
  } else {
    kd_jw_object_begin(&w);
    kd_jw_key(&w, "layers");
    kd_write_layers(&w, array_spec, (void *)spec->layers, spec->n_layers, NULL);
    kd_jw_object_end(&w);
  }
  kd_jw_key(&w, "options");
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "threefry");
  kd_jw_string(&w, kf_threefry_mode_name(spec->mode));
  kd_jw_key(&w, "flax");
  kd_jw_string(&w, spec->flax);
  kd_jw_object_end(&w);
  kd_jw_object_end(&w);
  if (kd_buf_failed(&b)) {
    kd_buf_free(&b);
    return NULL;
  }
  return kd_buf_steal(&b, NULL);
}

/* ------------------------------------------------------------ the reader */

/* Skips the literal `lit` at *p; 0, or -1 (leaving *p) if it is not there. */
static int skip(const char **p, const char *lit) {
  const size_t n = strlen(lit);
  if (strncmp(*p, lit, n) != 0) return -1;
  *p += n;
  return 0;
}

/* A JSON integer in 0..4294967295 as kd_jw_uint writes it (no sign, no
 * leading zero). */
static int read_u32(const char **p, uint32_t *out) {
  const char *q = *p;
  uint64_t v = 0;
  if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9')) return -1;
  while (*q >= '0' && *q <= '9') {
    v = v * 10 + (uint64_t)(*q++ - '0');
    if (v > UINT32_MAX) return -1;
  }
  *p = q;
  *out = (uint32_t)v;
  return 0;
}

/* The canonical text of a spec without a model, exactly as kd_spec_write
 * writes it, checking what kd_spec_parse would: stream names valid and
 * distinct, at most KF_RNGS_MAX_STREAMS, keys of two integers in
 * 0..2^32-1, a known mode, a known flax. Returns -1 for anything else (a
 * model, other spacing, any error): the caller then takes the general path
 * and gets its messages. */
static int read_plain(const char *text, kd_spec *out) {
  const char *p = text;
  size_t n = 0;
  if (skip(&p, "{\"rngs\":{") != 0) return -1;
  while (*p != '}') {
    if (n > 0 && skip(&p, ",") != 0) return -1;
    if (n == KF_RNGS_MAX_STREAMS || *p++ != '"') return -1;
    const char *end = strchr(p, '"');
    if (!end || end - p > KF_STREAM_NAME_MAX) return -1;
    kd_stream_seed *seed = &out->seeds[n];
    memcpy(seed->name, p, (size_t)(end - p));
    seed->name[end - p] = '\0';
    if (!kf_stream_name_valid(seed->name)) return -1;
    for (size_t i = 0; i < n; i++)
      if (strcmp(out->seeds[i].name, seed->name) == 0) return -1;
    p = end + 1;
    uint32_t hi, lo;
    if (skip(&p, ":[") != 0 || read_u32(&p, &hi) != 0 || skip(&p, ",") != 0 || read_u32(&p, &lo) != 0 ||
        skip(&p, "]") != 0)
      return -1;
    seed->key = kf_key_from_data(hi, lo);
    n++;
  }
  if (skip(&p, "},\"model\":null,\"options\":{\"threefry\":\"") != 0) return -1;
  if (skip(&p, "partitionable\"") == 0)
    out->mode = KF_THREEFRY_PARTITIONABLE;
  else if (skip(&p, "legacy\"") == 0)
    out->mode = KF_THREEFRY_LEGACY;
  else
    return -1;
  if (skip(&p, ",\"flax\":\"") != 0) return -1;
  const char *end = strchr(p, '"');
  char flax[sizeof out->flax];
  if (!end || (size_t)(end - p) >= sizeof flax) return -1;
  memcpy(flax, p, (size_t)(end - p));
  flax[end - p] = '\0';
  p = end;
  if (set_flax(flax, out) != 0 || skip(&p, "\"}}") != 0 || *p != '\0') return -1;
  out->n_seeds = n;
  return 0;
}

int kd_spec_read(const char *text, const kd_spec_limits *limits, kd_spec *out, kd_err *err) {
  spec_clear(out);
  if (read_plain(text, out) == 0) return 0;
  spec_clear(out);
  json_error_t jerr;
  json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
  if (!obj || !json_is_object(obj)) {
    json_decref(obj);
    return kd_fail(err, KD_INVALID_ARGUMENT, "unreadable spec");
  }
  const int rc = kd_spec_parse(obj, limits, out, err);
  json_decref(obj);
  return rc;
}
