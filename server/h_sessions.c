/* keyfoldd — the session endpoints, /v1/sessions… (api.md "Sessions").
 *
 * Every handler validates the whole request and allocates everything it
 * needs before it takes the session lock, so the only thing that happens
 * under the lock is the state change itself, and a request that fails has
 * changed nothing. Responses of requests that draw keys are written into a
 * buffer reserved beforehand: once keys are drawn, writing cannot fail.
 *
 * A session's model and layer specs are set before the session is
 * published by kd_store_insert and never change afterwards, so handlers read
 * them without the lock; only the Rngs (streams and counts) are mutable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "handlers.h"
#include "metrics.h"
#include "nn_codec.h"
#include "npy.h"
#include "persist.h"
#include "router.h"
#include "sampler.h"
#include "session.h"
#include "store.h"

/* Every message names fields from the request body as "body.<field>". */
#define BODY "body"
#define SESSION_NAME_RULE "[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
#define STREAM_NAME_RULE "[A-Za-z_][A-Za-z0-9_]{0,63}"
/* The samplers api.md lists for POST …/sample. */
#define SESSION_SAMPLERS "bits, uniform, normal, truncated_normal, bernoulli, randint"

/* The library refuses longer models (kf_model_check); checking before
 * parsing bounds the spec array a request can make us allocate. */
#define MAX_LAYERS 1024

/* A stream's counter holds fewer than 2^32 draws, so no larger draw can
 * ever succeed. */
#define MAX_KEYS_PER_STREAM ((uint64_t)1 << 32)

/* Moves a finished body into the response (which owns it afterwards). */
static void give_body(kd_response *res, kd_buf *body) {
  kd_buf_free(&res->body);
  res->body = *body;
  kd_buf_init(body);
}

static int out_of_memory(kd_err *err) {
  return kd_fail(err, KD_UNAVAILABLE, "out of memory while handling the request");
}

/* Looks up the session named by the path. On success the caller owns one
 * reference (kd_session_release). */
static int path_session(const kd_request *req, kd_session **out, kd_err *err) {
  const char *name = req->params[0];
  char shown[72];
  *out = NULL;
  if (!kd_session_name_valid(name)) {
    kd_fail(err, KD_INVALID_ARGUMENT, "session name '%s' must match " SESSION_NAME_RULE,
            kd_shown(name, shown));
    return -1;
  }
  kd_session *s = kd_store_get(req->srv->store, name);
  if (!s) {
    kd_fail(err, KD_NOT_FOUND, "session '%s' not found", name);
    return -1;
  }
  *out = s;
  return 0;
}

/* The optional "stream" member, a valid stream name ("default" if absent).
 * *out borrows from body. */
static int get_stream(const json_t *body, const char **out, kd_err *err) {
  char shown[72];
  if (kd_get_string(body, BODY, "stream", 0, KF_DEFAULT_STREAM, out, err) != 0) return -1;
  if (!kf_stream_name_valid(*out))
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".stream must match " STREAM_NAME_RULE ", got '%s'",
                   kd_shown(*out, shown));
  return 0;
}

static void format_shape(const kf_shape *s, char *buf, size_t size) {
  size_t len = 0;
  int n = snprintf(buf, size, "[");
  for (int i = 0; n >= 0 && (size_t)n < size - len && i < s->rank; i++) {
    len += (size_t)n;
    n = snprintf(buf + len, size - len, "%s%lld", i ? ", " : "", (long long)s->dim[i]);
  }
  if (n >= 0 && (size_t)n < size - len) len += (size_t)n;
  if (len + 1 < size) snprintf(buf + len, size - len, "]");
}

/* Writes the Session object. The caller holds s->lock, or s is not yet
 * published. `rngs` is s->rngs, or the replacement a reseed is about to
 * install. Borrows everything. */
static void write_session(kd_jw *w, const kd_session *s, const kf_rngs *rngs) {
  kd_jw_object_begin(w);
  kd_jw_key(w, "name");
  kd_jw_string(w, s->name);
  kd_jw_key(w, "rngs");
  kd_jw_object_begin(w);
  const size_t n_streams = kf_rngs_stream_count(rngs);
  for (size_t i = 0; i < n_streams; i++) {
    kf_stream_state st;
    if (kf_rngs_stream_at(rngs, i, &st) != KF_OK) continue;
    kd_jw_key(w, st.name);
    kd_jw_object_begin(w);
    kd_jw_key(w, "key");
    kd_write_key(w, st.key);
    kd_jw_key(w, "count");
    kd_jw_uint(w, st.count);
    kd_jw_object_end(w);
  }
  kd_jw_object_end(w);
  kd_jw_key(w, "model");
  if (!s->model) {
    kd_jw_null(w);
  } else {
    kd_jw_object_begin(w);
    kd_jw_key(w, "layers");
    kd_jw_array_begin(w);
    for (size_t i = 0; i < s->n_layers; i++) kd_write_layer(w, &s->layers[i]);
    kd_jw_array_end(w);
    kd_jw_key(w, "params");
    kd_jw_array_begin(w);
    for (size_t i = 0; i < s->n_layers; i++) {
      kd_jw_object_begin(w);
      for (size_t j = 0; j < kf_model_param_count(s->model, i); j++) {
        const char *pname;
        kf_tensor view;
        if (kf_model_param(s->model, i, j, &pname, &view) != KF_OK) continue;
        kd_jw_key(w, pname);
        kd_jw_object_begin(w);
        kd_jw_key(w, "shape");
        kd_write_shape(w, &view.shape);
        kd_jw_key(w, "dtype");
        kd_jw_string(w, kf_dtype_name(view.dtype));
        kd_jw_object_end(w);
      }
      kd_jw_object_end(w);
    }
    kd_jw_array_end(w);
    kd_jw_object_end(w);
  }
  kd_jw_key(w, "options");
  kd_jw_object_begin(w);
  kd_jw_key(w, "threefry");
  kd_jw_string(w, kf_threefry_mode_name(s->threefry));
  kd_jw_key(w, "flax");
  kd_jw_string(w, s->flax);
  kd_jw_object_end(w);
  kd_jw_object_end(w);
}

/* ---------------------------------------------------------------- create */

typedef struct stream_seed {
  const char *name; /* borrowed from the request body */
  kf_key key;
} stream_seed;

/* body.rngs: up to KF_RNGS_MAX_STREAMS streams, ordered as Flax's
 * Rngs(default, **streams) orders them: keyword streams as given, then
 * 'default' last. */
static int parse_rngs(const json_t *v, stream_seed *out, size_t *n, kd_err *err) {
  *n = 0;
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
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     BODY ".rngs: stream name '%s' must match " STREAM_NAME_RULE,
                     kd_shown(name, shown));
    snprintf(what, sizeof what, BODY ".rngs.%s", name);
    kf_key key;
    if (kd_parse_seed_or_key(value, what, &key, err) != 0) return -1;
    if (strcmp(name, KF_DEFAULT_STREAM) == 0) {
      has_default = 1;
      default_key = key;
    } else {
      out[*n].name = name;
      out[(*n)++].key = key;
    }
  }
  if (has_default) {
    out[*n].name = KF_DEFAULT_STREAM;
    out[(*n)++].key = default_key;
  }
  return 0;
}

/* body.options: threefry mode and Flax semantics. */
static int parse_options(const json_t *v, kf_threefry_mode *mode, kd_err *err) {
  static const char *const fields[] = {"threefry", "flax", NULL};
  *mode = KF_THREEFRY_PARTITIONABLE;
  if (!v || json_is_null(v)) return 0;
  if (kd_check_fields(v, BODY ".options", fields, err) != 0) return -1;
  if (kd_get_threefry(v, BODY ".options", "threefry", mode, err) != 0) return -1;
  const char *flax;
  if (kd_get_string(v, BODY ".options", "flax", 0, "0.10", &flax, err) != 0) return -1;
  if (strcmp(flax, "0.10") != 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".options.flax: only \"0.10\" is implemented");
  return 0;
}

/* Explains a kf_model_check failure at layer `bad` (all layers parsed). */
static int model_check_failed(int rc, const kf_layer_spec *layers, size_t n, size_t bad,
                              kd_err *err) {
  if (bad >= n) return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".model.layers is invalid");
  if (rc == KF_EMISMATCH && layers[bad].type == KF_LAYER_EMBED)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".model.layers[%zu]: embed reads integer indices, so it can only be the "
                        "first layer",
                   bad);
  if (rc == KF_EMISMATCH && layers[bad].type == KF_LAYER_LINEAR) {
    int64_t width = -1;
    for (size_t i = 0; i < bad; i++) {
      if (layers[i].type == KF_LAYER_LINEAR) width = layers[i].out_features;
      if (layers[i].type == KF_LAYER_EMBED) width = layers[i].features;
    }
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".model.layers[%zu].in_features is %lld, but the layers before it produce "
                        "width %lld",
                   bad, (long long)layers[bad].in_features, (long long)width);
  }
  if (rc == KF_EOVERFLOW)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                   BODY ".model: the parameters up to layers[%zu] total more than %llu elements",
                   bad, (unsigned long long)KF_MAX_ELEMENTS);
  char what[64];
  snprintf(what, sizeof what, BODY ".model.layers[%zu]", bad);
  return kd_fail_kf(err, rc, what);
}

/* body.model: {"layers": [...]}. On success *out is NULL (no model) or a
 * malloc'd array of *n validated specs the caller owns. */
static int parse_model(const json_t *v, uint64_t max_elements, uint64_t max_params,
                       kf_layer_spec **out, size_t *n, kd_err *err) {
  static const char *const fields[] = {"layers", NULL};
  *out = NULL;
  *n = 0;
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
  kf_layer_spec *specs = calloc(count, sizeof *specs);
  if (!specs) return out_of_memory(err);
  for (size_t i = 0; i < count; i++) {
    char what[64];
    snprintf(what, sizeof what, BODY ".model.layers[%zu]", i);
    if (kd_parse_layer(json_array_get(layers, i), what, max_elements, &specs[i], err) != 0) {
      free(specs);
      return -1;
    }
  }
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  uint64_t total = 0;
  const int rc = kf_model_check(specs, count, &total, &diag);
  if (rc != KF_OK) {
    model_check_failed(rc, specs, count, diag.layer, err);
    free(specs);
    return -1;
  }
  if (total > max_params) {
    free(specs);
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                   BODY ".model has %llu parameters; the limit is %llu (--max-model-params)",
                   (unsigned long long)total, (unsigned long long)max_params);
  }
  *out = specs;
  *n = count;
  return 0;
}

/* Writes the canonical creation spec of a session being built: its initial
 * keys (count 0), its canonical layers and options. */
static char *canonical_spec(const stream_seed *seeds, size_t n_seeds, const kf_layer_spec *layers,
                            size_t n_layers, kf_threefry_mode mode) {
  kd_buf b;
  kd_buf_init(&b);
  kd_jw w;
  kd_jw_init(&w, &b);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "rngs");
  kd_jw_object_begin(&w);
  for (size_t i = 0; i < n_seeds; i++) {
    kd_jw_key(&w, seeds[i].name);
    kd_write_key(&w, seeds[i].key);
  }
  kd_jw_object_end(&w);
  kd_jw_key(&w, "model");
  if (!layers) {
    kd_jw_null(&w);
  } else {
    kd_jw_object_begin(&w);
    kd_jw_key(&w, "layers");
    kd_jw_array_begin(&w);
    for (size_t i = 0; i < n_layers; i++) kd_write_layer(&w, &layers[i]);
    kd_jw_array_end(&w);
    kd_jw_object_end(&w);
  }
  kd_jw_key(&w, "options");
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "threefry");
  kd_jw_string(&w, kf_threefry_mode_name(mode));
  kd_jw_key(&w, "flax");
  kd_jw_string(&w, "0.10");
  kd_jw_object_end(&w);
  kd_jw_object_end(&w);
  if (kd_buf_failed(&b)) {
    kd_buf_free(&b);
    return NULL;
  }
  return kd_buf_steal(&b, NULL);
}

int kd_session_build(const char *name, const json_t *spec, const kd_config *cfg, kd_session **out,
                     char **spec_out, kd_err *err) {
  stream_seed seeds[KF_RNGS_MAX_STREAMS];
  size_t n_seeds;
  kf_threefry_mode mode;
  *out = NULL;
  if (spec_out) *spec_out = NULL;
  if (parse_options(json_object_get(spec, "options"), &mode, err) != 0) return -1;
  if (parse_rngs(json_object_get(spec, "rngs"), seeds, &n_seeds, err) != 0) return -1;
  kf_layer_spec *layers;
  size_t n_layers;
  if (parse_model(json_object_get(spec, "model"), cfg->max_elements, cfg->max_model_params, &layers,
                  &n_layers, err) != 0)
    return -1;
  char *canonical = NULL;
  if (spec_out && !(canonical = canonical_spec(seeds, n_seeds, layers, n_layers, mode))) {
    free(layers);
    return out_of_memory(err);
  }

  kf_rngs *rngs = NULL;
  kf_model *model = NULL;
  int rc = kf_rngs_new(mode, &rngs);
  for (size_t i = 0; rc == KF_OK && i < n_seeds; i++)
    rc = kf_rngs_add_stream(rngs, seeds[i].name, seeds[i].key, 0);
  if (rc != KF_OK) {
    kf_rngs_free(rngs);
    free(layers);
    free(canonical);
    return kd_fail_kf(err, rc, BODY ".rngs");
  }
  if (layers) {
    kf_model_diag diag = KF_MODEL_DIAG_INIT;
    rc = kf_model_new(layers, n_layers, rngs, &model, &diag);
    const size_t bad = diag.layer;
    if (rc != KF_OK) {
      kf_rngs_free(rngs);
      free(layers);
      free(canonical);
      if (rc == KF_ENOTFOUND)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       BODY ".model.layers[%zu] draws from 'params' but the rngs have neither "
                            "'params' nor 'default'",
                       bad);
      char what[64];
      snprintf(what, sizeof what, BODY ".model.layers[%zu]", bad);
      return kd_fail_kf(err, rc, what);
    }
  }
  kd_session *s = kd_session_new(name);
  if (!s) {
    kf_model_free(model);
    kf_rngs_free(rngs);
    free(layers);
    free(canonical);
    return out_of_memory(err);
  }
  /* From here on s owns the parts: kd_session_release frees them all. */
  s->rngs = rngs;
  s->model = model;
  s->layers = layers;
  s->n_layers = n_layers;
  s->threefry = mode;
  snprintf(s->flax, sizeof s->flax, "0.10");
  *out = s;
  if (spec_out) *spec_out = canonical;
  return 0;
}

/* Hands a recorded change's commit to the response: the HTTP layer holds
 * the reply until the change is durable. */
static int record_change(kd_request *req, kd_response *res, kd_session *s, kd_change change,
                         const char *spec, kd_err *err) {
  kd_commit *commit = NULL;
  if (kd_persist_record(req->srv->persist, s, change, spec, change == KD_CHANGE_CREATE ? kd_model_checksum(s->model) : 0,
                        &commit, err) != 0)
    return -1;
  if (commit) {
    kd_commit_release(res->commit); /* at most one per request */
    res->commit = commit;
  }
  return 0;
}

int kd_h_session_create(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const fields[] = {"name", "rngs", "model", "options", NULL};
  const json_t *body = req->body;
  const char *name;
  char shown[72];
  if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
  if (kd_get_string(body, BODY, "name", 1, NULL, &name, err) != 0) return -1;
  if (!kd_session_name_valid(name))
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".name must match " SESSION_NAME_RULE ", got '%s'",
                   kd_shown(name, shown));
  /* Fail fast on a taken name before building a possibly large model;
   * kd_store_insert checks again atomically. */
  kd_session *existing = kd_store_get(req->srv->store, name);
  if (existing) {
    kd_session_release(existing);
    return kd_fail(err, KD_ALREADY_EXISTS, "session '%s' already exists", name);
  }
  kd_session *s;
  char *spec = NULL;
  if (kd_session_build(name, body, &req->srv->cfg, &s, req->srv->persist ? &spec : NULL, err) != 0)
    return -1;

  /* Written before publishing: nobody else can see s yet, and a failure
   * here still leaves the store untouched. */
  kd_buf out;
  kd_buf_init(&out);
  kd_jw w;
  kd_jw_init(&w, &out);
  write_session(&w, s, s->rngs);
  if (kd_buf_failed(&out)) {
    kd_buf_free(&out);
    kd_session_release(s);
    free(spec);
    return out_of_memory(err);
  }
  /* Published and recorded under the session's lock: a request that finds
   * the new session waits for the lock, so its changes reach the writer
   * after the creation. The extra reference keeps s alive until unlocked. */
  atomic_fetch_add(&s->refs, 1);
  pthread_mutex_lock(&s->lock);
  const int inserted = kd_store_insert(req->srv->store, s, err) == 0;
  int rc = inserted ? 0 : -1;
  if (inserted && record_change(req, res, s, KD_CHANGE_CREATE, spec, err) != 0) {
    kd_store_remove(req->srv->store, s->name, s); /* drops the store's reference */
    rc = -1;
  }
  pthread_mutex_unlock(&s->lock);
  kd_session_release(s);
  if (!inserted) kd_session_release(s); /* the store did not take ours */
  free(spec);
  if (rc != 0) {
    kd_buf_free(&out);
    return -1;
  }
  res->status = 201;
  give_body(res, &out);
  return 0;
}

/* ------------------------------------------------------- list, get, delete */

int kd_h_session_list(kd_request *req, kd_response *res, kd_err *err) {
  size_t n = 0;
  char **names = kd_store_names(req->srv->store, &n);
  if (!names) return out_of_memory(err);
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "sessions");
  kd_jw_array_begin(&w);
  for (size_t i = 0; i < n; i++) {
    kd_jw_string(&w, names[i]);
    free(names[i]);
  }
  free(names);
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  return 0;
}

int kd_h_session_get(kd_request *req, kd_response *res, kd_err *err) {
  kd_session *s;
  if (path_session(req, &s, err) != 0) return -1;
  kd_jw w;
  kd_jw_init(&w, &res->body);
  pthread_mutex_lock(&s->lock);
  write_session(&w, s, s->rngs);
  pthread_mutex_unlock(&s->lock);
  kd_session_release(s);
  return 0;
}

int kd_h_session_delete(kd_request *req, kd_response *res, kd_err *err) {
  const char *name = req->params[0];
  char shown[72];
  if (!kd_session_name_valid(name))
    return kd_fail(err, KD_INVALID_ARGUMENT, "session name '%s' must match " SESSION_NAME_RULE,
                   kd_shown(name, shown));
  kd_session *s = kd_store_get(req->srv->store, name);
  if (!s) return kd_fail(err, KD_NOT_FOUND, "session '%s' not found", name);
  /* Removed and recorded under the session's lock, so the deletion reaches
   * the writer after every change made before it. */
  pthread_mutex_lock(&s->lock);
  int rc = kd_store_remove(req->srv->store, name, s);
  if (rc != 0)
    kd_fail(err, KD_NOT_FOUND, "session '%s' not found", name);
  else
    rc = record_change(req, res, s, KD_CHANGE_DELETE, NULL, err);
  pthread_mutex_unlock(&s->lock);
  kd_session_release(s);
  if (rc != 0) return -1;
  res->status = 204;
  return 0;
}

/* ---------------------------------------------------------- keys, sample */

/* Explains a failed draw of n keys from `stream` (served by `src` when the
 * resolve succeeded). */
static int draw_failed(int rc, const char *stream, const kf_stream_state *src, int resolved,
                       uint64_t n, kd_err *err) {
  if (rc == KF_ENOTFOUND) {
    kd_fail(err, KD_NOT_FOUND, "%s", "");
    kf_rngs_not_found_message(stream, err->message, sizeof err->message);
    return -1;
  }
  if (rc == KF_EEXHAUSTED && resolved)
    return kd_fail(err, KD_FAILED_PRECONDITION,
                   "stream '%s'%s%s%s is at count %lu: drawing %llu more key%s would take it past "
                   "4294967295; reseed it first",
                   stream, strcmp(stream, src->name) ? " (served by '" : "",
                   strcmp(stream, src->name) ? src->name : "", strcmp(stream, src->name) ? "')" : "",
                   (unsigned long)src->count, (unsigned long long)n, n == 1 ? "" : "s");
  char what[96];
  snprintf(what, sizeof what, "stream '%s'", stream);
  return kd_fail_kf(err, rc, what);
}

/* Draws n keys from stream under the session lock (taken here). keys may be
 * NULL only when no draw of n keys can succeed. On success *src is the
 * serving stream's state before the draw. */
static int locked_draw(kd_request *req, kd_response *res, kd_session *s, const char *stream,
                       uint64_t n, kf_key *keys, kf_stream_state *src, kf_threefry_mode *mode,
                       kd_err *err) {
  size_t index = 0;
  pthread_mutex_lock(&s->lock);
  int rc = kf_rngs_resolve(s->rngs, stream, &index);
  const int resolved = rc == KF_OK;
  if (rc == KF_OK) rc = kf_rngs_stream_at(s->rngs, index, src);
  if (rc == KF_OK) rc = kf_rngs_can_draw(s->rngs, stream, (size_t)n);
  if (rc == KF_OK) rc = kf_rngs_draw(s->rngs, stream, (size_t)n, keys, NULL, NULL);
  if (mode) *mode = s->threefry;
  /* The keys are only handed out once the new count is durable (strict) or
   * inside a durable reservation (lease). */
  const int recorded = rc != KF_OK || record_change(req, res, s, KD_CHANGE_STATE, NULL, err) == 0;
  pthread_mutex_unlock(&s->lock);
  if (!recorded) return -1;
  if (rc == KF_OK) return 0;
  draw_failed(rc, stream, src, resolved, n, err);
  return -1;
}

int kd_h_session_keys(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const fields[] = {"stream", "n", NULL};
  const json_t *body = req->body;
  const uint64_t max_elements = req->srv->cfg.max_elements;
  const char *stream;
  int64_t n;
  if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
  if (get_stream(body, &stream, err) != 0) return -1;
  if (kd_get_int(body, BODY, "n", 0, INT64_MIN, INT64_MAX, 1, &n, err) != 0) return -1;
  if (n < 1) return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".n must be at least 1, got %lld", (long long)n);
  if ((uint64_t)n > max_elements)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, BODY ".n: at most %llu keys per request, got %lld",
                   (unsigned long long)max_elements, (long long)n);
  kd_session *s;
  if (path_session(req, &s, err) != 0) return -1;

  /* A draw past a whole counter is refused without allocating for it. */
  const int possible = (uint64_t)n <= MAX_KEYS_PER_STREAM;
  kf_key *keys = possible ? malloc((size_t)n * sizeof *keys) : NULL;
  kd_buf out;
  kd_buf_init(&out);
  /* Each key is at most "[4294967295,4294967295]," and its count
   * "4294967295,"; two stream names and the member names fit in 512. */
  if (possible && (!keys || kd_buf_reserve(&out, 512 + (size_t)n * 40) != 0)) {
    free(keys);
    kd_buf_free(&out);
    kd_session_release(s);
    return out_of_memory(err);
  }
  kf_stream_state src;
  int rc = locked_draw(req, res, s, stream, (uint64_t)n, keys, &src, NULL, err);
  /* Without a buffer the library refuses the draw; this only makes sure. */
  if (rc == 0 && !keys) {
    kd_fail(err, KD_INTERNAL, "a draw of %lld keys succeeded without a buffer", (long long)n);
    rc = -1;
  }
  if (rc != 0) {
    free(keys);
    kd_buf_free(&out);
    kd_session_release(s);
    return -1;
  }
  kd_session_release(s);
  kd_jw w;
  kd_jw_init(&w, &out);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "stream");
  kd_jw_string(&w, stream);
  kd_jw_key(&w, "source");
  kd_jw_string(&w, src.name);
  kd_jw_key(&w, "counts");
  kd_jw_array_begin(&w);
  for (int64_t i = 0; i < n; i++) kd_jw_uint(&w, (uint64_t)src.count + (uint64_t)i);
  kd_jw_array_end(&w);
  kd_jw_key(&w, "keys");
  kd_jw_array_begin(&w);
  for (int64_t i = 0; i < n; i++) kd_write_key(&w, keys[i]);
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  free(keys);
  kd_metrics_add_keys(req->srv->metrics, (uint64_t)n);
  give_body(res, &out);
  return 0;
}

int kd_h_session_sample(kd_request *req, kd_response *res, kd_err *err) {
  const json_t *body = req->body;
  const char *dist;
  const char *stream;
  char shown[72];
  if (kd_get_string(body, BODY, "distribution", 1, NULL, &dist, err) != 0) return -1;
  /* Not permutation: its draw allocates inside the library and so could
   * fail after the key was taken, and api.md offers it only statelessly. */
  const kd_sampler *sampler = strcmp(dist, "permutation") ? kd_sampler_find(dist) : NULL;
  if (!sampler)
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".distribution must be one of " SESSION_SAMPLERS
                   ", got '%s'", kd_shown(dist, shown));
  const char *fields[24] = {"stream", "distribution"};
  size_t k = 2;
  for (const char *const *f = kd_sampler_fields(sampler); f && *f && k + 1 < 24; f++) fields[k++] = *f;
  fields[k] = NULL;
  if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
  if (get_stream(body, &stream, err) != 0) return -1;
  kd_sample sample;
  if (kd_sample_prepare(sampler, body, BODY, req->srv->cfg.max_elements, &sample, err) != 0)
    return -1;
  kd_session *s;
  if (path_session(req, &s, err) != 0) {
    kd_sample_free(&sample);
    return -1;
  }
  kd_buf out;
  kd_buf_init(&out);
  /* The widest element is a quoted 20-digit uint64 and a comma. */
  if (sample.n > (SIZE_MAX - 1024) / 24 || kd_buf_reserve(&out, 1024 + sample.n * 24) != 0) {
    kd_sample_free(&sample);
    kd_session_release(s);
    return out_of_memory(err);
  }
  kf_key key;
  kf_stream_state src;
  kf_threefry_mode mode;
  if (locked_draw(req, res, s, stream, 1, &key, &src, &mode, err) != 0) {
    kd_sample_free(&sample);
    kd_buf_free(&out);
    kd_session_release(s);
    return -1;
  }
  kd_session_release(s);
  kd_sample_fill(&sample, key, mode);
  if (req->accept.prefer_npy) {
    /* The tensor as .npy; what the JSON reply adds goes in headers. */
    kd_npy_write(&out, &sample.out);
    res->content_type = KD_NPY_MEDIA_TYPE;
    kd_response_add_header(res, "Keyfold-Key", "%lu,%lu", (unsigned long)key.hi,
                           (unsigned long)key.lo);
    kd_response_add_header(res, "Keyfold-Count", "%lu", (unsigned long)src.count);
    kd_response_add_header(res, "Keyfold-Stream", "%s", stream);
    kd_response_add_header(res, "Keyfold-Source", "%s", src.name);
  } else {
    kd_jw w;
    kd_jw_init(&w, &out);
    kd_jw_object_begin(&w);
    kd_write_tensor_members(&w, &sample.out);
    kd_jw_key(&w, "key");
    kd_write_key(&w, key);
    kd_jw_key(&w, "count");
    kd_jw_uint(&w, src.count);
    kd_jw_key(&w, "stream");
    kd_jw_string(&w, stream);
    kd_jw_key(&w, "source");
    kd_jw_string(&w, src.name);
    kd_jw_object_end(&w);
  }
  kd_sample_free(&sample);
  kd_metrics_add_keys(req->srv->metrics, 1);
  give_body(res, &out);
  return 0;
}

/* ---------------------------------------------------------------- forward */

/* The shape that reaches layer `upto` for an input of shape *x (the model
 * accepted every layer before it). */
static kf_shape shape_reaching(const kf_layer_spec *layers, size_t upto, const kf_shape *x) {
  kf_shape s = *x;
  for (size_t i = 0; i < upto; i++) {
    if (layers[i].type == KF_LAYER_LINEAR && s.rank > 0) s.dim[s.rank - 1] = layers[i].out_features;
    if (layers[i].type == KF_LAYER_EMBED && s.rank < KF_MAX_RANK) s.dim[s.rank++] = layers[i].features;
  }
  return s;
}

/* Explains why x does not fit the model at layer `bad`. */
static int mismatch(const kd_session *s, const char *what, const kf_shape *x, size_t bad, kd_err *err) {
  char shape[160];
  if (bad >= s->n_layers) return kd_fail(err, KD_INVALID_ARGUMENT, "%s does not fit the model", what);
  const kf_layer_spec *l = &s->layers[bad];
  const kf_shape in = shape_reaching(s->layers, bad, x);
  format_shape(&in, shape, sizeof shape);
  switch (l->type) {
    case KF_LAYER_LINEAR:
      if (in.rank == 0)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "%s does not fit model.layers[%zu]: linear needs an input of rank 1 or "
                            "more, got a scalar", what,
                       bad);
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit model.layers[%zu]: linear expects the last dimension to be "
                          "in_features = %lld, but its input has shape %s", what,
                     bad, (long long)l->in_features, shape);
    case KF_LAYER_EMBED:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit model.layers[%zu]: embed adds a dimension, so x may have at "
                          "most %d dimensions, got shape %s", what,
                     bad, KF_MAX_RANK - 1, shape);
    case KF_LAYER_DROPOUT:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit model.layers[%zu]: broadcast_dims name an axis its input "
                          "of shape %s does not have", what,
                     bad, shape);
    default:
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s does not fit model.layers[%zu] (input shape %s)", what,
                     bad, shape);
  }
}

/* Python indexing as nnx.Embed does it: [-V, V) is valid. */
static int check_indices(const kd_session *s, const char *what, const kf_tensor *x, size_t n, kd_err *err) {
  const int64_t v = s->layers[0].num_embeddings;
  const int32_t *idx = x->data;
  for (size_t i = 0; i < n; i++) {
    if (idx[i] < -v || idx[i] >= v)
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s: element %zu is %ld, outside [-%lld, %lld) for model.layers[0] "
                          "(num_embeddings = %lld)", what,
                     i, (long)idx[i], (long long)v, (long long)v, (long long)v);
  }
  return 0;
}

static uint64_t total_count(const kf_rngs *rngs) {
  uint64_t total = 0;
  const size_t n = kf_rngs_stream_count(rngs);
  for (size_t i = 0; i < n; i++) {
    kf_stream_state st;
    if (kf_rngs_stream_at(rngs, i, &st) == KF_OK) total += st.count;
  }
  return total;
}

/* Explains a failed kf_model_forward at layer `bad`. */
static int forward_failed(int rc, const kd_session *s, const char *what, const kf_shape *x, size_t bad,
                          kd_err *err) {
  const char *coll = bad < s->n_layers ? s->layers[bad].rng_collection : KF_DEFAULT_STREAM;
  switch (rc) {
    case KF_EMISMATCH: return mismatch(s, what, x, bad, err);
    case KF_ENOTFOUND: {
      char flax[160];
      kf_rngs_not_found_message(coll, flax, sizeof flax);
      return kd_fail(err, KD_NOT_FOUND, "model.layers[%zu]: %s", bad, flax);
    }
    case KF_EEXHAUSTED:
      return kd_fail(err, KD_FAILED_PRECONDITION,
                     "model.layers[%zu] draws from '%s', whose count would pass 4294967295; reseed "
                     "it first",
                     bad, coll);
    case KF_ERANGE:
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s: an index is out of range for model.layers[%zu]", what,
                     bad);
    default: {
      char what[64];
      snprintf(what, sizeof what, "model.layers[%zu]", bad);
      return kd_fail_kf(err, rc, what);
    }
  }
}

/* The dtype the session's model reads: int32 indices when it starts with
 * embed, else float32. 409 for a session without a model. */
static int input_dtype(const kd_session *s, kf_dtype *out, kd_err *err) {
  if (!s->model)
    return kd_fail(err, KD_FAILED_PRECONDITION, "session '%s' has no model", s->name);
  *out = s->layers[0].type == KF_LAYER_EMBED ? KF_INT32 : KF_FLOAT32;
  return 0;
}

/* Runs the checks and allocations of a forward pass that need no lock, for
 * the decoded input *x (of input_dtype; its data is freed on failure). On
 * success *y owns malloc'd data and *out has room for the response in JSON
 * or .npy. */
static int forward_prepare(const kd_request *req, const kd_session *s, const char *what,
                           kf_tensor *x, kf_tensor *y, kd_buf *out, kd_err *err) {
  const uint64_t max_elements = req->srv->cfg.max_elements;
  const kf_dtype dtype = x->dtype;
  size_t n_in = 0, n_out = 0;
  kf_shape_numel(&x->shape, &n_in);
  kf_shape out_shape;
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  int rc = kf_model_output_shape(s->model, &x->shape, x->dtype, &out_shape, &diag);
  if (rc == KF_OK) rc = kf_shape_numel(&out_shape, &n_out);
  if (rc == KF_OK && (uint64_t)n_out > max_elements) rc = KF_EOVERFLOW;
  if (rc == KF_EOVERFLOW)
    rc = kd_fail(err, KD_PAYLOAD_TOO_LARGE, "the output y would have more than the limit of %llu elements",
                 (unsigned long long)max_elements);
  else if (rc == KF_EMISMATCH)
    rc = mismatch(s, what, &x->shape, diag.layer, err);
  else if (rc != KF_OK)
    rc = kd_fail_kf(err, rc, what);
  else if (dtype == KF_INT32)
    rc = check_indices(s, what, x, n_in, err);
  if (rc == 0) {
    y->data = malloc(n_out ? n_out * sizeof(float) : 1);
    /* A float32 is at most 15 characters and a comma; non-finite ones are
     * quoted words no longer than that. */
    if (!y->data || n_out > (SIZE_MAX - 1024) / 16 || kd_buf_reserve(out, 1024 + n_out * 16) != 0)
      rc = out_of_memory(err);
  }
  if (rc != 0) {
    free(x->data);
    free(y->data);
    x->data = y->data = NULL;
    return -1;
  }
  y->shape = out_shape;
  y->dtype = KF_FLOAT32;
  return 0;
}

/* The query of POST …/forward: only ?deterministic=true|false, and only
 * with a .npy body (a JSON body says it in body.deterministic). Leaves *det
 * unchanged when absent. */
static int forward_query(const kd_request *req, kf_deterministic *det, kd_err *err) {
  char shown[72];
  if (req->n_query > 1)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "the query has %zu parameters; POST /v1/sessions/{name}/forward takes at most "
                   "one, deterministic",
                   req->n_query);
  if (req->n_query == 1) {
    const kd_query_arg *a = &req->query[0];
    if (strcmp(a->name, "deterministic") != 0)
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "unknown query parameter '%s'; POST /v1/sessions/{name}/forward takes only "
                     "?deterministic=true|false (with an " KD_NPY_MEDIA_TYPE " body)",
                     kd_shown(a->name, shown));
    if (!req->npy)
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "the query parameter deterministic is for " KD_NPY_MEDIA_TYPE
                     " bodies; a JSON body gives body.deterministic");
    if (a->value && strcmp(a->value, "true") == 0)
      *det = KF_DET_TRUE;
    else if (a->value && strcmp(a->value, "false") == 0)
      *det = KF_DET_FALSE;
    else
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "the query parameter deterministic must be true or false, got '%s'",
                     a->value ? kd_shown(a->value, shown) : "(no value)");
  }
  return 0;
}

int kd_h_session_forward(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const fields[] = {"x", "deterministic", NULL};
  const json_t *body = req->body;
  kf_deterministic det = KF_DET_LAYER;
  kd_npy npy;
  const json_t *xv = NULL;
  /* The request is decoded in two steps, around looking up the session:
   * the body's form first (400 before 404, as for malformed JSON), the
   * tensor once the model tells its dtype. */
  if (forward_query(req, &det, err) != 0) return -1;
  if (req->npy) {
    if (kd_npy_parse(req->npy_body, req->npy_len, BODY, req->srv->cfg.max_elements, &npy, err) != 0)
      return -1;
  } else {
    if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
    const json_t *dv = json_object_get(body, "deterministic");
    if (dv && !json_is_null(dv)) {
      int d;
      if (kd_get_bool(body, BODY, "deterministic", 0, &d, err) != 0) return -1;
      det = d ? KF_DET_TRUE : KF_DET_FALSE;
    }
    xv = json_object_get(body, "x");
  }
  kd_session *s;
  if (path_session(req, &s, err) != 0) return -1;
  kf_tensor y = {0};
  kd_buf out;
  kd_buf_init(&out);
  int rc;
  if (req->npy) {
    kf_dtype dtype = KF_FLOAT32;
    kf_tensor x = {0};
    rc = input_dtype(s, &dtype, err);
    if (rc == 0) rc = kd_npy_convert(&npy, dtype, BODY, &x, err);
    if (rc == 0) rc = kd_session_forward_tensor(req, res, s, &x, BODY, det, &y, &out, err);
  } else {
    rc = kd_session_forward(req, res, s, xv, BODY ".x", det, &y, &out, err);
  }
  kd_session_release(s);
  if (rc != 0) {
    kd_buf_free(&out);
    return -1;
  }
  if (req->accept.prefer_npy) {
    kd_npy_write(&out, &y);
    res->content_type = KD_NPY_MEDIA_TYPE;
  } else {
    kd_jw w;
    kd_jw_init(&w, &out);
    kd_jw_object_begin(&w);
    kd_jw_key(&w, "y");
    kd_write_tensor(&w, &y);
    kd_jw_object_end(&w);
  }
  free(y.data);
  give_body(res, &out);
  return 0;
}

int kd_session_forward(kd_request *req, kd_response *res, kd_session *s, const json_t *xv,
                       const char *what, kf_deterministic det, kf_tensor *y, kd_buf *out,
                       kd_err *err) {
  kf_dtype dtype = KF_FLOAT32;
  kf_tensor x = {0};
  if (!xv || json_is_null(xv)) return kd_fail(err, KD_INVALID_ARGUMENT, "%s is required", what);
  if (input_dtype(s, &dtype, err) != 0) return -1;
  if (kd_parse_tensor(xv, what, dtype, req->srv->cfg.max_elements, &x, err) != 0) return -1;
  return kd_session_forward_tensor(req, res, s, &x, what, det, y, out, err);
}

int kd_session_forward_tensor(kd_request *req, kd_response *res, kd_session *s, kf_tensor *xp,
                              const char *what, kf_deterministic det, kf_tensor *y, kd_buf *out,
                              kd_err *err) {
  kf_tensor x = *xp;
  xp->data = NULL;
  if (forward_prepare(req, s, what, &x, y, out, err) != 0) return -1;
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  pthread_mutex_lock(&s->lock);
  const uint64_t before = total_count(s->rngs);
  int rc = kf_model_forward(s->model, s->rngs, &x, det, y, &diag);
  const uint64_t drawn = total_count(s->rngs) - before;
  const int recorded = rc != KF_OK || drawn == 0 ||
                       record_change(req, res, s, KD_CHANGE_STATE, NULL, err) == 0;
  pthread_mutex_unlock(&s->lock);
  if (recorded && rc != KF_OK) forward_failed(rc, s, what, &x.shape, diag.layer, err);
  free(x.data);
  if (!recorded || rc != KF_OK) {
    free(y->data);
    y->data = NULL;
    return -1;
  }
  kd_metrics_add_keys(req->srv->metrics, drawn);
  return 0;
}

/* ----------------------------------------------------------------- reseed */

int kd_h_session_reseed(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const fields[] = {"streams", NULL};
  const json_t *body = req->body;
  if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
  const json_t *streams = json_object_get(body, "streams");
  if (!json_is_object(streams) || json_object_size(streams) == 0)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".streams is required: a non-empty object mapping stream names to seeds or "
                        "keys");
  /* A session has at most KF_RNGS_MAX_STREAMS streams, so a longer list
   * names one it does not have; it is reported below like any other. */
  const size_t count = json_object_size(streams);
  stream_seed *seeds = malloc(count * sizeof *seeds);
  if (!seeds) return out_of_memory(err);
  size_t n = 0;
  const char *name;
  json_t *value;
  json_object_foreach((json_t *)streams, name, value) {
    char what[96], shown[72];
    if (!kf_stream_name_valid(name)) {
      free(seeds);
      return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".streams: stream name '%s' must match " STREAM_NAME_RULE,
                     kd_shown(name, shown));
    }
    snprintf(what, sizeof what, BODY ".streams.%s", name);
    if (kd_parse_seed_or_key(value, what, &seeds[n].key, err) != 0) {
      free(seeds);
      return -1;
    }
    seeds[n++].name = name;
  }
  kd_session *s;
  if (path_session(req, &s, err) != 0) {
    free(seeds);
    return -1;
  }
  kd_buf out;
  kd_buf_init(&out);
  int rc = 0;
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; rc == 0 && i < n; i++) {
    if (!kf_rngs_has_stream(s->rngs, seeds[i].name, NULL))
      rc = kd_fail(err, KD_INVALID_ARGUMENT, BODY ".streams.%s: session '%s' has no stream '%s'",
                   seeds[i].name, s->name, seeds[i].name);
  }
  /* The new state is built on a copy and swapped in only once the response
   * is written, so running out of memory anywhere changes nothing. */
  kf_rngs *next = NULL;
  if (rc == 0) {
    if (kf_rngs_clone(s->rngs, &next) != KF_OK) rc = out_of_memory(err);
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const int krc = kf_rngs_reseed(next, seeds[i].name, seeds[i].key);
    if (krc != KF_OK) rc = kd_fail_kf(err, krc, BODY ".streams");
  }
  if (rc == 0) {
    kd_jw w;
    kd_jw_init(&w, &out);
    write_session(&w, s, next);
    if (kd_buf_failed(&out)) rc = out_of_memory(err);
  }
  if (rc == 0) {
    kf_rngs *old = s->rngs;
    s->rngs = next;
    next = old;
    rc = record_change(req, res, s, KD_CHANGE_RESEED, NULL, err);
  }
  pthread_mutex_unlock(&s->lock);
  kf_rngs_free(next);
  kd_session_release(s);
  free(seeds);
  if (rc != 0) {
    kd_buf_free(&out);
    return -1;
  }
  give_body(res, &out);
  return 0;
}

/* ----------------------------------------------------------------- params */

int kd_h_session_params(kd_request *req, kd_response *res, kd_err *err) {
  kd_session *s;
  if (path_session(req, &s, err) != 0) return -1;
  /* Parameters never change after creation: no lock, so a large model's
   * dump does not hold up draws on the session. */
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "params");
  kd_jw_array_begin(&w);
  for (size_t i = 0; s->model && i < s->n_layers; i++) {
    kd_jw_object_begin(&w);
    for (size_t j = 0; j < kf_model_param_count(s->model, i); j++) {
      const char *pname;
      kf_tensor view;
      if (kf_model_param(s->model, i, j, &pname, &view) != KF_OK) continue;
      kd_jw_key(&w, pname);
      kd_write_tensor(&w, &view);
    }
    kd_jw_object_end(&w);
  }
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  kd_session_release(s);
  return 0;
}
