/* keyfoldd — the session endpoints, /v1/sessions… (api.md "Sessions").
 *
 * Each handler decodes its request, calls the session service
 * (session.h), and encodes the result. Replies of requests that draw keys
 * are written into a buffer reserved before the draw: once keys are drawn,
 * writing cannot fail.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "handlers.h"
#include "nn_codec.h"
#include "npy.h"
#include "ops.h"
#include "router.h"
#include "safetensors.h"
#include "session.h"

/* Every message names fields from the request body as "body.<field>". */
#define BODY "body"
#define SESSION_NAME_RULE "[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
#define STREAM_NAME_RULE "[A-Za-z_][A-Za-z0-9_]{0,63}"

/* A stream's counter holds fewer than 2^32 draws, so no larger draw can
 * ever succeed. */
#define MAX_KEYS_PER_STREAM ((uint64_t)1 << 32)

/* Room the Session object needs: a key and count per stream, a layer's
 * fields with its initializers, each parameter's shape. Reserved before a
 * change so that writing the reply afterwards cannot fail. */
#define SESSION_BASE_BYTES 1024
#define SESSION_STREAM_BYTES 160
#define SESSION_LAYER_BYTES 2048

static int out_of_memory(kd_err *err) {
  return kd_fail(err, KD_UNAVAILABLE, "out of memory while handling the request");
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

static size_t session_bytes(size_t n_streams, size_t n_layers) {
  return SESSION_BASE_BYTES + n_streams * SESSION_STREAM_BYTES + n_layers * SESSION_LAYER_BYTES;
}

/* Writes a stream's state {"key", "count"}; a stream a layer holds (path
 * not NULL) also names its tag and path. */
static void write_stream(kd_jw *w, const kf_stream_state *st, const char *path) {
  kd_jw_object_begin(w);
  kd_jw_key(w, "key");
  kd_write_key(w, st->key);
  kd_jw_key(w, "count");
  kd_jw_uint(w, st->count);
  if (path) {
    kd_jw_key(w, "tag");
    kd_jw_string(w, st->name);
    kd_jw_key(w, "path");
    kd_jw_string(w, path);
  }
  kd_jw_object_end(w);
}

static void write_shape_dtype(kd_jw *w, const kf_tensor *view) {
  kd_jw_object_begin(w);
  kd_jw_key(w, "shape");
  kd_write_shape(w, &view->shape);
  kd_jw_key(w, "dtype");
  kd_jw_string(w, kf_dtype_name(view->dtype));
  kd_jw_object_end(w);
}

static int model_spec(void *ctx, size_t i, kf_layer_spec *out) {
  const kd_session_view *v = ctx;
  out->struct_size = sizeof *out;
  return kf_model_spec(v->session->model, i, out) == KF_OK ? 0 : -1;
}

/* Flax >= 0.11: the streams the nodes built from spec i hold, as "rngs" in
 * its entry: one object, or a list when the spec is inside a repeat (one
 * per block). */
static void annotate_held(kd_jw *w, size_t i, void *ctx) {
  const kd_session_view *v = ctx;
  const kf_model *m = v->session->model;
  size_t found = 0, nodes = 0;
  for (size_t n = 0; n < kf_model_layer_count(m); n++) nodes += kf_model_layer_spec_index(m, n) == i;
  for (size_t h = 0; h < v->n_held; h++) found += kf_model_layer_spec_index(m, v->held[h].layer) == i;
  if (found == 0) return;
  kd_jw_key(w, "rngs");
  if (nodes > 1) kd_jw_array_begin(w);
  for (size_t h = 0; h < v->n_held; h++) {
    if (kf_model_layer_spec_index(m, v->held[h].layer) != i) continue;
    char path[KF_PATH_MAX + 8];
    snprintf(path, sizeof path, "%s.rngs", kf_model_layer_path(m, v->held[h].layer));
    write_stream(w, &v->held[h].state, path);
  }
  if (nodes > 1) kd_jw_array_end(w);
}

/* Writes the Session object. */
static void write_session(kd_jw *w, const kd_session_view *v) {
  const kd_session *s = v->session;
  kd_jw_object_begin(w);
  kd_jw_key(w, "name");
  kd_jw_string(w, s->name);
  kd_jw_key(w, "rngs");
  kd_jw_object_begin(w);
  for (size_t i = 0; i < v->n_streams; i++) {
    kd_jw_key(w, v->streams[i].name);
    write_stream(w, &v->streams[i], NULL);
  }
  kd_jw_object_end(w);
  kd_jw_key(w, "model");
  if (!s->model) {
    kd_jw_null(w);
  } else {
    const size_t n_layers = kf_model_layer_count(s->model);
    kd_jw_object_begin(w);
    kd_jw_key(w, "layers");
    kd_write_layers(w, model_spec, (void *)v, kf_model_spec_count(s->model), annotate_held);
    kd_jw_key(w, "params");
    kd_jw_array_begin(w);
    for (size_t i = 0; i < n_layers; i++) {
      kd_jw_object_begin(w);
      for (size_t j = 0; j < kf_model_param_count(s->model, i); j++) {
        const char *pname;
        kf_tensor view;
        if (kf_model_param(s->model, i, j, &pname, &view) != KF_OK) continue;
        kd_jw_key(w, pname);
        write_shape_dtype(w, &view);
      }
      kd_jw_object_end(w);
    }
    kd_jw_array_end(w);
    /* Every variable by its nnx.state path: the params, then batch stats. */
    kd_jw_key(w, "variables");
    kd_jw_object_begin(w);
    for (int stats = 0; stats < 2; stats++) {
      for (size_t i = 0; i < n_layers; i++) {
        const size_t count = stats ? kf_model_stat_count(s->model, i) : kf_model_param_count(s->model, i);
        for (size_t j = 0; j < count; j++) {
          const char *vname;
          kf_tensor view;
          const int rc = stats ? kf_model_stat(s->model, i, j, &vname, &view)
                               : kf_model_param(s->model, i, j, &vname, &view);
          if (rc != KF_OK) continue;
          char path[KF_PATH_MAX + 40];
          snprintf(path, sizeof path, "%s.%s", kf_model_layer_path(s->model, i), vname);
          kd_jw_key(w, path);
          kd_jw_object_begin(w);
          kd_jw_key(w, "kind");
          kd_jw_string(w, stats ? "batch_stats" : "params");
          kd_jw_key(w, "shape");
          kd_write_shape(w, &view.shape);
          kd_jw_key(w, "dtype");
          kd_jw_string(w, kf_dtype_name(view.dtype));
          kd_jw_object_end(w);
        }
      }
    }
    kd_jw_object_end(w);
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

/* Writes the view into a buffer reserved beforehand (*out). */
static void reply_session(kd_response *res, kd_buf *out, const kd_session_view *v) {
  kd_jw w;
  kd_jw_init(&w, out);
  write_session(&w, v);
  kd_response_take_body(res, out);
}

static size_t model_layers(const kd_session *s) { return s->model ? kf_model_layer_count(s->model) : 0; }

/* ---------------------------------------------------------------- create */

const char *const kd_session_create_fields[] = {"name", "rngs", "model", "options", NULL};

/* The body of a request that makes a session (create, fork): its fields,
 * its valid "name" (borrowed from body) and its spec (a new malloc'd one,
 * freed with free_spec). */
static int decode_new_session(const kd_request *req, const char *const *fields, const char **name,
                              kd_spec **spec, kd_err *err) {
  const json_t *body = req->body;
  const kd_spec_limits limits = {req->srv->cfg.max_elements, req->srv->cfg.max_model_params};
  char shown[72];
  *spec = NULL;
  if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
  if (kd_get_string(body, BODY, "name", 1, NULL, name, err) != 0) return -1;
  if (!kd_session_name_valid(*name))
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".name must match " SESSION_NAME_RULE ", got '%s'",
                   kd_shown(*name, shown));
  kd_spec *s = malloc(sizeof *s);
  if (!s) return out_of_memory(err);
  if (kd_spec_parse(body, &limits, s, err) != 0) {
    free(s);
    return -1;
  }
  *spec = s;
  return 0;
}

static void free_spec(kd_spec *spec) {
  if (!spec) return;
  kd_spec_free(spec);
  free(spec);
}

/* Answers 201 with the new session, once its ticket allows. */
static void reply_created(kd_response *res, kd_buf *out, kd_ticket *ticket, const kd_session_view *view) {
  kd_response_wait(res, ticket);
  res->status = 201;
  reply_session(res, out, view);
}

int kd_h_session_create(kd_request *req, kd_response *res, kd_err *err) {
  const char *name;
  kd_spec *spec;
  if (decode_new_session(req, kd_session_create_fields, &name, &spec, err) != 0) return -1;
  kd_buf out;
  kd_buf_init(&out);
  kd_session *s = NULL;
  kd_session_view view;
  kd_ticket *ticket = NULL;
  int rc = kd_buf_reserve(&out, session_bytes(spec->n_seeds, spec->n_layers)) != 0 ? out_of_memory(err) : 0;
  if (rc == 0) rc = kd_session_create(req->srv, name, spec, &s, &view, &ticket, err);
  free_spec(spec);
  if (rc != 0) {
    kd_buf_free(&out);
    return -1;
  }
  reply_created(res, &out, ticket, &view);
  kd_session_release(s);
  return 0;
}

/* ------------------------------------------------------------------ fork */

const char *const kd_session_fork_fields[] = {"name", "streams", "model", "options", NULL};

/* body.streams: an optional list of distinct stream names (NULL or empty:
 * every stream). *names borrows from body; *n counts them. */
static int get_fork_streams(const json_t *body, const char **names, size_t *n, kd_err *err) {
  const json_t *v = json_object_get(body, "streams");
  *n = 0;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_array(v))
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".streams must be a list of stream names");
  if (json_array_size(v) > KF_RNGS_MAX_STREAMS)
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".streams names %zu streams; a session has at most %d",
                   json_array_size(v), KF_RNGS_MAX_STREAMS);
  for (size_t i = 0; i < json_array_size(v); i++) {
    const json_t *e = json_array_get(v, i);
    char shown[72];
    if (!json_is_string(e) || !kf_stream_name_valid(json_string_value(e)))
      return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".streams[%zu] must be a stream name matching " STREAM_NAME_RULE
                     "%s%s%s", i, json_is_string(e) ? ", got '" : "",
                     json_is_string(e) ? kd_shown(json_string_value(e), shown) : "", json_is_string(e) ? "'" : "");
    names[i] = json_string_value(e);
    for (size_t j = 0; j < i; j++)
      if (strcmp(names[j], names[i]) == 0)
        return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".streams names '%s' twice", names[i]);
  }
  *n = json_array_size(v);
  return 0;
}

int kd_h_session_fork(kd_request *req, kd_response *res, kd_err *err) {
  const char *name;
  const char *streams[KF_RNGS_MAX_STREAMS];
  size_t n_streams;
  kd_spec *spec;
  if (decode_new_session(req, kd_session_fork_fields, &name, &spec, err) != 0) return -1;
  kd_session *parent = NULL, *child = NULL;
  kd_session_view view;
  kd_ticket *ticket = NULL;
  kd_buf out;
  kd_buf_init(&out);
  int rc = get_fork_streams(req->body, streams, &n_streams, err);
  if (rc == 0) rc = kd_session_find(req->srv, req->params[0], &parent, err);
  if (rc == 0) {
    /* Options default to the parent's, as a fork in Flax keeps its mode. */
    const json_t *options = json_object_get(req->body, "options");
    if (!options || json_is_null(options)) {
      spec->mode = parent->threefry;
      memcpy(spec->flax, parent->flax, sizeof spec->flax);
      spec->era = kf_rngs_era(parent->rngs);
    }
    if (kd_buf_reserve(&out, session_bytes(KF_RNGS_MAX_STREAMS, spec->n_layers)) != 0) rc = out_of_memory(err);
  }
  if (rc == 0) rc = kd_session_fork(req->srv, parent, name, streams, n_streams, spec, &child, &view, &ticket, err);
  kd_session_release(parent);
  free_spec(spec);
  if (rc != 0) {
    kd_buf_free(&out);
    return -1;
  }
  reply_created(res, &out, ticket, &view);
  kd_session_release(child);
  return 0;
}

/* ------------------------------------------------------- list, get, delete */

/* ------------------------------------------------------------- listing */

#define LIST_LIMIT_DEFAULT 1000
#define LIST_LIMIT_MAX 10000
#define PAGE_TOKEN_VERSION "p1."

/* The check a page token carries: FNV-1a 64 over the listing's prefix and
 * the last name of the page, so that a token is refused for another prefix
 * and one the daemon did not write (a typo, a truncation) is refused. */
static uint64_t page_check(const char *prefix, const char *last) {
  uint64_t h = 0xcbf29ce484222325ull;
  const char *parts[3] = {"keyfold page token", prefix, last};
  for (int p = 0; p < 3; p++)
    for (const unsigned char *c = (const unsigned char *)parts[p];; c++) {
      h = (h ^ *c) * 0x100000001b3ull;
      if (!*c) break;
    }
  return h;
}

/* "p1." + hex(last name) + "." + hex(check): opaque to clients, stateless
 * here, so it stays valid while sessions come and go (the next page starts
 * after that name) and across restarts. */
static void page_token_write(const char *prefix, const char *last, char *out, size_t size) {
  size_t k = (size_t)snprintf(out, size, PAGE_TOKEN_VERSION);
  for (const unsigned char *c = (const unsigned char *)last; *c && k + 3 < size; c++)
    k += (size_t)snprintf(out + k, size - k, "%02x", *c);
  snprintf(out + k, size - k, ".%016llx", (unsigned long long)page_check(prefix, last));
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Reads a token back into the name it continues after. */
static int page_token_read(const char *token, const char *prefix, char *last, kd_err *err) {
  const char *p = token;
  size_t n = 0;
  int ok = strncmp(p, PAGE_TOKEN_VERSION, strlen(PAGE_TOKEN_VERSION)) == 0;
  if (ok) p += strlen(PAGE_TOKEN_VERSION);
  while (ok && *p && *p != '.') {
    const int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);
    ok = lo >= 0 && n < KD_SESSION_NAME_MAX;
    if (ok) {
      last[n++] = (char)(hi << 4 | lo);
      p += 2;
    }
  }
  last[n] = '\0';
  char check[24];
  snprintf(check, sizeof check, ".%016llx", (unsigned long long)page_check(prefix, last));
  if (!ok || n == 0 || !kd_session_name_valid(last) || strcmp(p, check) != 0)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "page_token was not issued by keyfoldd for this listing (pass the next_page_token of the "
                   "previous page, with the same prefix)");
  return 0;
}

/* The query of GET /v1/sessions: limit, page_token and prefix. */
static int list_query(const kd_request *req, size_t *limit, const char **token, const char **prefix,
                      kd_err *err) {
  *limit = LIST_LIMIT_DEFAULT;
  *token = NULL;
  *prefix = "";
  if (req->n_query > 3)
    return kd_fail(err, KD_INVALID_ARGUMENT, "the query has %zu parameters; GET /v1/sessions takes limit, "
                   "page_token and prefix", req->n_query);
  for (size_t i = 0; i < req->n_query; i++) {
    const kd_query_arg *a = &req->query[i];
    char shown[72];
    const char *v = a->value ? a->value : "";
    for (size_t j = 0; j < i; j++)
      if (strcmp(req->query[j].name, a->name) == 0)
        return kd_fail(err, KD_INVALID_ARGUMENT, "the query parameter %s is given twice", a->name);
    if (strcmp(a->name, "limit") == 0) {
      char *end = NULL;
      const long long l = strtoll(v, &end, 10);
      if (!*v || *end || l < 1 || l > LIST_LIMIT_MAX)
        return kd_fail(err, KD_INVALID_ARGUMENT, "limit must be an integer from 1 to %d, got '%s'",
                       LIST_LIMIT_MAX, kd_shown(v, shown));
      *limit = (size_t)l;
    } else if (strcmp(a->name, "page_token") == 0) {
      *token = v;
    } else if (strcmp(a->name, "prefix") == 0) {
      if (strlen(v) > KD_SESSION_NAME_MAX)
        return kd_fail(err, KD_INVALID_ARGUMENT, "prefix is longer than a session name (%d characters)",
                       KD_SESSION_NAME_MAX);
      *prefix = v;
    } else {
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "unknown query parameter '%s'; GET /v1/sessions takes limit, page_token and prefix",
                     kd_shown(a->name, shown));
    }
  }
  return 0;
}

int kd_h_session_list(kd_request *req, kd_response *res, kd_err *err) {
  size_t limit;
  const char *token, *prefix;
  char after[KD_SESSION_NAME_MAX + 1];
  if (list_query(req, &limit, &token, &prefix, err) != 0) return -1;
  if (token && page_token_read(token, prefix, after, err) != 0) return -1;
  size_t n = 0;
  int more = 0;
  char **names;
  if (kd_durable_shared(req->srv->durable)) {
    /* Replicas: the names the store holds, whichever replica created them. */
    char msg[512];
    names = kd_durable_page(req->srv->durable, token ? after : NULL, prefix, limit, &n, &more, msg, sizeof msg);
    if (!names) return kd_fail(err, KD_UNAVAILABLE, "cannot list the sessions: %s", msg);
  } else {
    names = kd_store_page(req->srv->store, token ? after : NULL, prefix, limit, &n, &more);
    if (!names) return out_of_memory(err);
  }
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "sessions");
  kd_jw_array_begin(&w);
  for (size_t i = 0; i < n; i++) kd_jw_string(&w, names[i]);
  kd_jw_array_end(&w);
  if (more && n > 0) {
    char next[2 * KD_SESSION_NAME_MAX + 32];
    page_token_write(prefix, names[n - 1], next, sizeof next);
    kd_jw_key(&w, "next_page_token");
    kd_jw_string(&w, next);
  }
  kd_jw_object_end(&w);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return 0;
}

int kd_h_session_get(kd_request *req, kd_response *res, kd_err *err) {
  kd_session *s;
  /* Replicas: what the store holds, not what this one cached. */
  if (kd_session_name_valid(req->params[0]) && kd_session_sync(req->srv, req->params[0], err) != 0) return -1;
  if (kd_session_find(req->srv, req->params[0], &s, err) != 0) return -1;
  kd_session_view view;
  kd_session_get(s, &view);
  kd_jw w;
  kd_jw_init(&w, &res->body);
  write_session(&w, &view);
  kd_session_release(s);
  return 0;
}

int kd_h_session_delete(kd_request *req, kd_response *res, kd_err *err) {
  kd_ticket *ticket = NULL;
  if (kd_session_delete(req->srv, req->params[0], &ticket, err) != 0) return -1;
  kd_response_wait(res, ticket);
  res->status = 204;
  return 0;
}

/* ---------------------------------------------------------- keys, sample */

const char *const kd_session_keys_fields[] = {"stream", "n", NULL};

int kd_h_session_keys(kd_request *req, kd_response *res, kd_err *err) {
  const json_t *body = req->body;
  const uint64_t max_elements = req->srv->cfg.max_elements;
  const char *stream;
  int64_t n;
  if (kd_check_fields(body, BODY, kd_session_keys_fields, err) != 0) return -1;
  if (get_stream(body, &stream, err) != 0) return -1;
  if (kd_get_int(body, BODY, "n", 0, INT64_MIN, INT64_MAX, 1, &n, err) != 0) return -1;
  if (n < 1) return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".n must be at least 1, got %lld", (long long)n);
  if ((uint64_t)n > max_elements)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, BODY ".n: at most %llu keys per request, got %lld",
                   (unsigned long long)max_elements, (long long)n);
  kd_session *s;
  if (kd_session_find(req->srv, req->params[0], &s, err) != 0) return -1;

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
  kd_draw draw;
  kd_ticket *ticket = NULL;
  const int rc =
      kd_session_draw_claimed(req->srv, s, stream, (uint64_t)n, keys, NULL, NULL, req->claim, &draw, &ticket, err);
  kd_session_release(s);
  if (rc != 0) {
    free(keys);
    kd_buf_free(&out);
    kd_response_wait(res, ticket); /* a claim on its way: the reply is the next run's */
    return rc < 0 ? -1 : 0;
  }
  kd_response_wait(res, ticket);
  kd_jw w;
  kd_jw_init(&w, &out);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "stream");
  kd_jw_string(&w, stream);
  kd_jw_key(&w, "source");
  kd_jw_string(&w, draw.source.name);
  kd_jw_key(&w, "counts");
  kd_jw_array_begin(&w);
  for (int64_t i = 0; i < n; i++) kd_jw_uint(&w, (uint64_t)draw.source.count + (uint64_t)i);
  kd_jw_array_end(&w);
  kd_jw_key(&w, "keys");
  kd_jw_array_begin(&w);
  for (int64_t i = 0; i < n; i++) kd_write_key(&w, keys[i]);
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  free(keys);
  kd_response_take_body(res, &out);
  return 0;
}

/* What POST …/sample computes once its key is drawn: a jax.random
 * distribution, or (Flax 0.12's keyless initializers,
 * rngs.params.lecun_normal()(shape)) an initializer. Decoded, checked and
 * allocated before the key is drawn, so that the draw cannot be wasted. */
typedef struct session_sample {
  int is_init;
  kd_sample dist;     /* a distribution */
  kf_init init;       /* an initializer, */
  kf_tensor init_out; /* and its output (data owned) */
} session_sample;

static const kf_tensor *sample_tensor(const session_sample *ss) {
  return ss->is_init ? &ss->init_out : &ss->dist.out;
}

static void free_sample(session_sample *ss) {
  if (ss->is_init)
    free(ss->init_out.data);
  else
    kd_sample_free(&ss->dist);
}

/* The samplers whose loops allocate in the library (KD_OP_ALLOCATES:
 * permutation, poisson, categorical, ...) can fail here (503): they run
 * under the session's lock (kd_session_draw_using), so that a failure
 * leaves the stream as it was. */
static int fill_sample(session_sample *ss, kf_key key, const kd_draw *draw, kd_err *err) {
  const kf_threefry_mode mode = draw->mode;
  if (!ss->is_init) {
    /* the gamma family's rsqrt: the jaxlib of the session's Flax era */
    kd_sample_default_rsqrt(&ss->dist, draw->era == KF_FLAX_0_10 ? KF_RSQRT_SQRT_DIV : KF_RSQRT_INTEL_NR2);
    return kd_sample_draw(&ss->dist, key, mode, err);
  }
  if (kf_init_apply(&ss->init, key, mode, &ss->init_out.shape, ss->init_out.data) != KF_OK) {
    /* kd_init_prepare refused every draw kf_init_apply could: not reached.
     * Never hand out uninitialised memory all the same. */
    size_t n = 0;
    kf_shape_numel(&ss->init_out.shape, &n);
    memset(ss->init_out.data, 0, n * sizeof(float));
  }
  return 0;
}

static int fill_sample_use(void *arg, const kf_key *keys, const kd_draw *draw, kd_err *err) {
  return fill_sample(arg, keys[0], draw, err);
}

static int sample_allocates(const session_sample *ss) {
  return !ss->is_init && (ss->dist.op->flags & KD_OP_ALLOCATES);
}

/* The body's fields beyond "stream": a distribution's or an initializer's. */
static int decode_sample(const json_t *body, uint64_t max_elements, session_sample *ss, kd_err *err) {
  const char *name;
  char shown[72];
  memset(ss, 0, sizeof *ss);
  const json_t *initializer = json_object_get(body, "initializer");
  if (!initializer || json_is_null(initializer)) {
    static const char *const extra[] = {"stream", "distribution", NULL};
    if (kd_get_string(body, BODY, "distribution", 1, NULL, &name, err) != 0) return -1;
    const kd_op *op = kd_op_find(name);
    if (!op || !(op->flags & KD_OP_SESSION)) {
      char names[512];
      return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".distribution must be one of %s, got '%s'",
                     kd_op_names(KD_OP_SESSION, names, sizeof names), kd_shown(name, shown));
    }
    /* The key comes from the stream: not a member here. */
    return kd_sample_prepare(op, body, BODY, 0, extra, max_elements, &ss->dist, err);
  }
  kf_init_kind kind = KF_INIT_ZEROS;
  if (kd_get_string(body, BODY, "initializer", 1, NULL, &name, err) != 0) return -1;
  if (kf_init_kind_from_name(name, &kind) != KF_OK) {
    char names[512];
    return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".initializer must be one of %s, got '%s'",
                   kd_init_names(names, sizeof names), kd_shown(name, shown));
  }
  ss->is_init = 1;
  const char *fields[24] = {"stream", "initializer", "shape"};
  size_t k = 3;
  const char *const *own = kd_init_param_fields(kind);
  /* variance_scaling has a parameter called distribution; for the others
   * it can only be a second choice of what to sample. */
  int takes_distribution = 0;
  for (const char *const *f = own; f && *f; f++) takes_distribution |= strcmp(*f, "distribution") == 0;
  if (json_object_get(body, "distribution") && !takes_distribution)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY " gives both distribution and initializer; a sample draws one or the other");
  for (const char *const *f = own; f && *f && k + 1 < 24; f++) fields[k++] = *f;
  fields[k] = NULL;
  if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
  return kd_init_prepare(kind, name, body, BODY, max_elements, &ss->init, &ss->init_out, err);
}

int kd_h_session_sample(kd_request *req, kd_response *res, kd_err *err) {
  const json_t *body = req->body;
  const char *stream;
  session_sample ss;
  if (decode_sample(body, req->srv->cfg.max_elements, &ss, err) != 0) return -1;
  kd_session *s = NULL;
  kd_buf out;
  kd_buf_init(&out);
  size_t n = 0;
  kf_shape_numel(&sample_tensor(&ss)->shape, &n);
  int rc = get_stream(body, &stream, err);
  if (rc == 0) rc = kd_session_find(req->srv, req->params[0], &s, err);
  /* The widest element is a quoted 20-digit uint64 and a comma. */
  if (rc == 0 && (n > (SIZE_MAX - 1024) / 24 || kd_buf_reserve(&out, 1024 + n * 24) != 0)) rc = out_of_memory(err);
  kf_key key;
  kd_draw draw;
  kd_ticket *ticket = NULL;
  const int allocates = sample_allocates(&ss);
  if (rc == 0)
    rc = kd_session_draw_claimed(req->srv, s, stream, 1, &key, allocates ? fill_sample_use : NULL, &ss,
                                 req->claim, &draw, &ticket, err);
  kd_session_release(s);
  if (rc != 0) {
    free_sample(&ss);
    kd_buf_free(&out);
    kd_response_wait(res, ticket); /* a claim on its way: the reply is the next run's */
    return rc < 0 ? -1 : 0;
  }
  kd_response_wait(res, ticket);
  /* cannot fail: the allocating samplers ran under the lock */
  if (!allocates) fill_sample(&ss, key, &draw, err);
  const kf_tensor *t = sample_tensor(&ss);
  if (req->accept.prefer_npy) {
    /* The tensor as .npy; what the JSON reply adds goes in headers. */
    kd_npy_write(&out, t);
    res->content_type = KD_NPY_MEDIA_TYPE;
    kd_response_add_header(res, "Keyfold-Key", "%lu,%lu", (unsigned long)key.hi, (unsigned long)key.lo);
    kd_response_add_header(res, "Keyfold-Count", "%lu", (unsigned long)draw.source.count);
    kd_response_add_header(res, "Keyfold-Stream", "%s", stream);
    kd_response_add_header(res, "Keyfold-Source", "%s", draw.source.name);
  } else {
    kd_jw w;
    kd_jw_init(&w, &out);
    kd_jw_object_begin(&w);
    kd_write_tensor_members(&w, t);
    kd_jw_key(&w, "key");
    kd_write_key(&w, key);
    kd_jw_key(&w, "count");
    kd_jw_uint(&w, draw.source.count);
    kd_jw_key(&w, "stream");
    kd_jw_string(&w, stream);
    kd_jw_key(&w, "source");
    kd_jw_string(&w, draw.source.name);
    kd_jw_object_end(&w);
  }
  free_sample(&ss);
  kd_response_take_body(res, &out);
  return 0;
}

/* ---------------------------------------------------------------- forward */

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

/* A float32 is at most 15 characters and a comma; non-finite ones are
 * quoted words no longer than that. The .npy form is smaller. */
#define FORWARD_REPLY_BASE 1024
#define FORWARD_REPLY_PER_ELEMENT 16

const char *const kd_session_forward_fields[] = {"x", "deterministic", NULL};

int kd_h_session_forward(kd_request *req, kd_response *res, kd_err *err) {
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
    if (kd_check_fields(body, BODY, kd_session_forward_fields, err) != 0) return -1;
    const json_t *dv = json_object_get(body, "deterministic");
    if (dv && !json_is_null(dv)) {
      int d;
      if (kd_get_bool(body, BODY, "deterministic", 0, &d, err) != 0) return -1;
      det = d ? KF_DET_TRUE : KF_DET_FALSE;
    }
    xv = json_object_get(body, "x");
  }
  kd_session *s;
  if (kd_session_find_current(req->srv, req->params[0], &s, err) != 0) return -1;
  kf_dtype dtype = KF_FLOAT32;
  kf_tensor x = {0}, y = {0};
  int rc = 0;
  if (!req->npy && (!xv || json_is_null(xv))) rc = kd_fail(err, KD_INVALID_ARGUMENT, BODY ".x is required");
  if (rc == 0) rc = kd_session_input_dtype(s, &dtype, err);
  if (rc == 0 && req->npy)
    rc = kd_npy_convert(&npy, dtype, BODY, &x, err);
  else if (rc == 0)
    rc = kd_parse_tensor(xv, BODY ".x", dtype, req->srv->cfg.max_elements, &x, err);
  kd_buf out;
  kd_buf_init(&out);
  kd_ticket *ticket = NULL;
  if (rc == 0)
    rc = kd_session_forward(req->srv, s, &x, req->npy ? BODY : BODY ".x", det, &y, &out, FORWARD_REPLY_BASE,
                            FORWARD_REPLY_PER_ELEMENT, &ticket, err);
  kd_session_release(s);
  if (rc != 0) {
    kd_buf_free(&out);
    return -1;
  }
  kd_response_wait(res, ticket);
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
  kd_response_take_body(res, &out);
  return 0;
}

/* ----------------------------------------------------------------- reseed */

const char *const kd_session_reseed_fields[] = {"streams", "target", "policy", NULL};

/* body.target and body.policy: *policy_given is whether a policy was named
 * (every key keyfold holds is a scalar, so both policies act alike). */
static int get_reseed_target(const json_t *body, kd_reseed_target *target, int *policy_given, kd_err *err) {
  static const char *const targets[] = {"all", "model", "rngs"};
  const char *v;
  char shown[72];
  if (kd_get_string(body, BODY, "target", 0, "all", &v, err) != 0) return -1;
  size_t t = 0;
  while (t < 3 && strcmp(targets[t], v) != 0) t++;
  if (t == 3)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".target is '%s'; it must be \"all\" (the default), \"model\" or \"rngs\"",
                   kd_shown(v, shown));
  *target = (kd_reseed_target)t;
  *policy_given = json_object_get(body, "policy") != NULL;
  if (kd_get_string(body, BODY, "policy", 0, "scalars_only", &v, err) != 0) return -1;
  if (strcmp(v, "scalars_only") != 0 && strcmp(v, "match_shape") != 0)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".policy is '%s'; it must be \"scalars_only\" (the default) or \"match_shape\"",
                   kd_shown(v, shown));
  return 0;
}

int kd_h_session_reseed(kd_request *req, kd_response *res, kd_err *err) {
  const json_t *body = req->body;
  if (kd_check_fields(body, BODY, kd_session_reseed_fields, err) != 0) return -1;
  kd_reseed_target target = KD_RESEED_ALL;
  int policy_given = 0;
  if (get_reseed_target(body, &target, &policy_given, err) != 0) return -1;
  const json_t *streams = json_object_get(body, "streams");
  if (!json_is_object(streams) || json_object_size(streams) == 0)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   BODY ".streams is required: a non-empty object mapping stream names to seeds or keys");
  /* A session has at most KF_RNGS_MAX_STREAMS streams, so a longer list
   * names one it does not have; the service reports it like any other. */
  const size_t count = json_object_size(streams);
  kd_stream_seed *seeds = malloc(count * sizeof *seeds);
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
    snprintf(seeds[n++].name, sizeof seeds[0].name, "%s", name);
  }
  kd_session *s;
  if (kd_session_find(req->srv, req->params[0], &s, err) != 0) {
    free(seeds);
    return -1;
  }
  kd_buf out;
  kd_buf_init(&out);
  kd_session_view view;
  kd_ticket *ticket = NULL;
  int rc = kd_buf_reserve(&out, session_bytes(KF_RNGS_MAX_STREAMS, model_layers(s))) != 0 ? out_of_memory(err) : 0;
  if (rc == 0) rc = kd_session_reseed(req->srv, s, seeds, n, target, policy_given, &view, &ticket, err);
  free(seeds);
  if (rc != 0) {
    kd_buf_free(&out);
    kd_session_release(s);
    return -1;
  }
  kd_response_wait(res, ticket);
  reply_session(res, &out, &view);
  kd_session_release(s);
  return 0;
}

/* ----------------------------------------------------------------- params */

/* The forms of GET …/params, by ?format=. */
typedef enum params_format { PARAMS_LAYERS, PARAMS_STATE, PARAMS_SAFETENSORS } params_format;

static int params_query(const kd_request *req, params_format *fmt, kd_err *err) {
  char shown[72];
  *fmt = PARAMS_LAYERS;
  for (size_t i = 0; i < req->n_query && i < KD_MAX_QUERY_ARGS; i++) {
    const kd_query_arg *a = &req->query[i];
    if (strcmp(a->name, "format") != 0)
      return kd_fail(err, KD_INVALID_ARGUMENT, "unknown query parameter '%s'; GET "
                     "/v1/sessions/{name}/params takes only ?format=layers|state|safetensors",
                     kd_shown(a->name, shown));
    if (a->value && strcmp(a->value, "layers") == 0)
      *fmt = PARAMS_LAYERS;
    else if (a->value && strcmp(a->value, "state") == 0)
      *fmt = PARAMS_STATE;
    else if (a->value && strcmp(a->value, "safetensors") == 0)
      *fmt = PARAMS_SAFETENSORS;
    else
      return kd_fail(err, KD_INVALID_ARGUMENT, "the query parameter format must be layers, state or "
                     "safetensors, got '%s'", a->value ? kd_shown(a->value, shown) : "(no value)");
  }
  if (req->n_query > 1)
    return kd_fail(err, KD_INVALID_ARGUMENT, "the query has %zu parameters; GET "
                   "/v1/sessions/{name}/params takes one, format", req->n_query);
  return 0;
}

#define PARAM_PATH_MAX (KF_PATH_MAX + 40)

static int named_order(const void *x, const void *y) {
  return kf_path_compare(((const kd_named_tensor *)x)->name, ((const kd_named_tensor *)y)->name);
}

/* Every variable of the model as (path, view) in graph order, as nnx.state
 * holds them: the parameters and the batch statistics (views of the live
 * statistics: read them under the session's lock). A new array the caller
 * frees (names point into `paths`, also new), or NULL with *n = 0 for a
 * model without variables. -1 when memory runs out. */
static int collect_variables(const kd_session *s, kd_named_tensor **out, char **paths, size_t *n) {
  size_t total = 0;
  for (size_t i = 0; i < model_layers(s); i++)
    total += kf_model_param_count(s->model, i) + kf_model_stat_count(s->model, i);
  *out = NULL;
  *paths = NULL;
  *n = 0;
  if (total == 0) return 0;
  kd_named_tensor *t = calloc(total, sizeof *t);
  char *p = calloc(total, PARAM_PATH_MAX);
  if (!t || !p) {
    free(t);
    free(p);
    return -1;
  }
  size_t k = 0;
  for (size_t i = 0; i < model_layers(s); i++) {
    for (int stats = 0; stats < 2; stats++) {
      const size_t count = stats ? kf_model_stat_count(s->model, i) : kf_model_param_count(s->model, i);
      for (size_t j = 0; j < count; j++) {
        const char *vname;
        const int rc = stats ? kf_model_stat(s->model, i, j, &vname, &t[k].tensor)
                             : kf_model_param(s->model, i, j, &vname, &t[k].tensor);
        if (rc != KF_OK) continue;
        snprintf(p + k * PARAM_PATH_MAX, PARAM_PATH_MAX, "%s.%s", kf_model_layer_path(s->model, i), vname);
        t[k].name = p + k * PARAM_PATH_MAX;
        k++;
      }
    }
  }
  qsort(t, k, sizeof *t, named_order);
  *out = t;
  *paths = p;
  *n = k;
  return 0;
}

/* Node i's parameters as one object ({"kernel": T, "bias": T}). */
static void write_layer_params(kd_jw *w, const kd_session *s, size_t i) {
  kd_jw_object_begin(w);
  for (size_t j = 0; j < kf_model_param_count(s->model, i); j++) {
    const char *pname;
    kf_tensor view;
    if (kf_model_param(s->model, i, j, &pname, &view) != KF_OK) continue;
    kd_jw_key(w, pname);
    kd_write_tensor(w, &view);
  }
  kd_jw_object_end(w);
}

/* The nested object of nnx.state(model) from the sorted paths: each path's
 * components open objects ({"layers": {"0": {"kernel": T}}}). */
static void write_state(kd_jw *w, const kd_named_tensor *t, size_t n) {
  kd_jw_object_begin(w);
  const char *prev = "";
  int depth = 0; /* objects open below the root */
  for (size_t k = 0; k < n; k++) {
    const char *name = t[k].name;
    /* Components shared with the previous path stay open. */
    int shared = 0;
    const char *a = prev, *b = name;
    while (*a && *b) {
      const size_t la = strcspn(a, "."), lb = strcspn(b, ".");
      if (!a[la] || !b[lb] || la != lb || strncmp(a, b, la) != 0) break;
      shared++;
      a += la + 1;
      b += lb + 1;
    }
    for (; depth > shared; depth--) kd_jw_object_end(w);
    for (const char *c = b;;) {
      const size_t len = strcspn(c, ".");
      char key[KF_PATH_MAX + 1];
      snprintf(key, sizeof key, "%.*s", (int)len, c);
      kd_jw_key(w, key);
      if (!c[len]) break;
      kd_jw_object_begin(w);
      depth++;
      c += len + 1;
    }
    kd_write_tensor(w, &t[k].tensor);
    prev = name;
  }
  for (; depth > 0; depth--) kd_jw_object_end(w);
  kd_jw_object_end(w);
}

/* {"params": [one object per node]} (?format=layers), or nnx.state(model)
 * nested by path (?format=state). */
static int write_params_json(kd_jw *w, kd_session *s, params_format fmt) {
  if (fmt == PARAMS_LAYERS) {
    kd_jw_object_begin(w);
    kd_jw_key(w, "params");
    kd_jw_array_begin(w);
    for (size_t i = 0; i < model_layers(s); i++) write_layer_params(w, s, i);
    kd_jw_array_end(w);
    kd_jw_object_end(w);
    return 0;
  }
  kd_named_tensor *t;
  char *paths;
  size_t n;
  if (collect_variables(s, &t, &paths, &n) != 0) return -1;
  pthread_mutex_lock(&s->lock); /* batch statistics change with forward passes */
  write_state(w, t, n);
  pthread_mutex_unlock(&s->lock);
  free(t);
  free(paths);
  return 0;
}

int kd_h_session_params(kd_request *req, kd_response *res, kd_err *err) {
  params_format fmt;
  if (params_query(req, &fmt, err) != 0) return -1;
  kd_session *s;
  if (kd_session_find_current(req->srv, req->params[0], &s, err) != 0) return -1;
  /* Parameters never change after creation: no lock for them, so a large
   * model's dump does not hold up draws on the session; the batch
   * statistics are read under it (collect_variables' callers). */
  if (fmt != PARAMS_SAFETENSORS) {
    kd_jw w;
    kd_jw_init(&w, &res->body);
    const int rc = write_params_json(&w, s, fmt);
    kd_session_release(s);
    return rc != 0 ? out_of_memory(err) : 0;
  }
  kd_named_tensor *t;
  char *paths;
  size_t n;
  if (collect_variables(s, &t, &paths, &n) != 0) {
    kd_session_release(s);
    return out_of_memory(err);
  }
  int rc = 0;
  const char *meta[] = {"format", "keyfold", "session", s->name, "flax", s->flax};
  pthread_mutex_lock(&s->lock);
  if (kd_safetensors_write(&res->body, t, n, meta, 3) != 0) rc = out_of_memory(err);
  pthread_mutex_unlock(&s->lock);
  res->content_type = KD_SAFETENSORS_MEDIA_TYPE;
  free(t);
  free(paths);
  kd_session_release(s);
  return rc;
}
