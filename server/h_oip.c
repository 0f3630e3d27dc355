/* keyfoldd — the Open Inference Protocol (KServe V2 REST) for session models:
 * GET /v2, GET /v2/models/{name}, GET /v2/models/{name}/ready and
 * POST /v2/models/{name}/infer. A session with a model is an OIP model of
 * the same name, with one input "x" and one output "y". Errors on these
 * routes use the protocol's body {"error": "<text>"} (router flag OIP).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "handlers.h"
#include "keyfold/version.h"
#include "router.h"
#include "session.h"

/* The model's platform: keyfold's Flax NNX, in the session's options.flax. */
#define PLATFORM_PREFIX "keyfold-flax-nnx-"

int kd_h_oip_server(kd_request *req, kd_response *res, kd_err *err) {
  (void)req;
  (void)err;
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "name");
  kd_jw_string(&w, "keyfold");
  kd_jw_key(&w, "version");
  kd_jw_string(&w, KF_VERSION_STRING);
  kd_jw_key(&w, "extensions");
  kd_jw_array_begin(&w);
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  return 0;
}

/* The session named by the path, if it holds a model (a model-less
 * session is not an OIP model). The caller releases it. */
static int model_session(const kd_request *req, kd_session **out, kd_err *err) {
  char shown[72];
  const char *name = req->params[0];
  *out = NULL;
  kd_session *s = NULL;
  kd_err ignored;
  if (kd_session_find_current(req->srv, name, &s, &ignored) == 0 && !s->model) {
    kd_session_release(s);
    s = NULL;
  }
  if (!s) return kd_fail(err, KD_NOT_FOUND, "unknown model '%s'", kd_shown(name, shown));
  *out = s;
  return 0;
}

/* Input and output widths as OIP metadata shapes: -1 for the batch axes. The
 * input width is the first linear's in_features (unknown before one: -1). */
static void write_metadata_tensor(kd_jw *w, const char *name, const char *datatype, int64_t width) {
  kd_jw_object_begin(w);
  kd_jw_key(w, "name");
  kd_jw_string(w, name);
  kd_jw_key(w, "datatype");
  kd_jw_string(w, datatype);
  kd_jw_key(w, "shape");
  kd_jw_array_begin(w);
  kd_jw_int(w, -1);
  if (width >= 0) kd_jw_int(w, width);
  kd_jw_array_end(w);
  kd_jw_object_end(w);
}

int kd_h_oip_model(kd_request *req, kd_response *res, kd_err *err) {
  kd_session *s;
  if (model_session(req, &s, err) != 0) return -1;
  int64_t in_width = -1, out_width = -1;
  kf_dtype dtype = KF_FLOAT32;
  kd_session_input_dtype(s, &dtype, err);
  const int embed = dtype == KF_INT32;
  for (size_t i = 0; i < kf_model_layer_count(s->model); i++) {
    kf_layer_spec l = {.struct_size = sizeof l};
    kf_model_layer_spec(s->model, i, &l);
    if (l.type == KF_LAYER_LINEAR) {
      if (in_width < 0 && out_width < 0) in_width = l.in_features;
      out_width = l.out_features;
    } else if (l.type == KF_LAYER_EMBED) {
      out_width = l.features;
    }
  }
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "name");
  kd_jw_string(&w, s->name);
  kd_jw_key(&w, "versions");
  kd_jw_array_begin(&w);
  kd_jw_array_end(&w);
  kd_jw_key(&w, "platform");
  char platform[32];
  snprintf(platform, sizeof platform, PLATFORM_PREFIX "%s", s->flax);
  kd_jw_string(&w, platform);
  kd_jw_key(&w, "inputs");
  kd_jw_array_begin(&w);
  /* An embed reads integer indices of any shape: its input has no width. */
  write_metadata_tensor(&w, "x", embed ? "INT32" : "FP32", embed ? -1 : in_width);
  kd_jw_array_end(&w);
  kd_jw_key(&w, "outputs");
  kd_jw_array_begin(&w);
  write_metadata_tensor(&w, "y", "FP32", out_width);
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  kd_session_release(s);
  return 0;
}

int kd_h_oip_model_ready(kd_request *req, kd_response *res, kd_err *err) {
  kd_session *s;
  if (model_session(req, &s, err) != 0) return -1;
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "name");
  kd_jw_string(&w, s->name);
  kd_jw_key(&w, "ready");
  kd_jw_bool(&w, 1);
  kd_jw_object_end(&w);
  kd_session_release(s);
  return 0;
}

/* Appends the numbers of a (possibly nested) OIP data array to flat. */
static int flatten(const json_t *v, json_t *flat, int depth, kd_err *err) {
  if (!json_is_array(v)) return json_array_append(flat, (json_t *)v) == 0 ? 0 : kd_fail(err, KD_UNAVAILABLE, "out of memory");
  if (depth > KF_MAX_RANK)
    return kd_fail(err, KD_INVALID_ARGUMENT, "inputs[0].data is nested deeper than %d levels", KF_MAX_RANK);
  for (size_t i = 0; i < json_array_size(v); i++)
    if (flatten(json_array_get(v, i), flat, depth + 1, err) != 0) return -1;
  return 0;
}

/* Turns the OIP input {"name", "shape", "datatype", "data"} into keyfold's
 * tensor object, so that one codec decodes both forms. Returns a new
 * reference. */
static json_t *input_tensor(const json_t *inputs, const kd_session *s, kd_err *err) {
  static const char *const fields[] = {"name", "shape", "datatype", "parameters", "data", NULL};
  if (!json_is_array(inputs) || json_array_size(inputs) != 1) {
    kd_fail(err, KD_INVALID_ARGUMENT, "inputs must be a list of exactly one tensor, named \"x\"");
    return NULL;
  }
  const json_t *in = json_array_get(inputs, 0);
  const char *name, *datatype;
  if (kd_check_fields(in, "inputs[0]", fields, err) != 0 ||
      kd_get_string(in, "inputs[0]", "name", 1, NULL, &name, err) != 0 ||
      kd_get_string(in, "inputs[0]", "datatype", 1, NULL, &datatype, err) != 0)
    return NULL;
  char shown[72];
  if (strcmp(name, "x") != 0) {
    kd_fail(err, KD_INVALID_ARGUMENT, "unknown input '%s': model '%s' has one input, \"x\"", kd_shown(name, shown),
            s->name);
    return NULL;
  }
  kf_dtype dtype = KF_FLOAT32;
  if (kd_session_input_dtype(s, &dtype, err) != 0) return NULL;
  const int embed = dtype == KF_INT32;
  const char *want = embed ? "INT32" : "FP32";
  if (strcmp(datatype, want) != 0) {
    kd_fail(err, KD_INVALID_ARGUMENT, "inputs[0].datatype must be %s, got '%s'", want, kd_shown(datatype, shown));
    return NULL;
  }
  const json_t *data = json_object_get(in, "data");
  const json_t *shape = json_object_get(in, "shape");
  if (!json_is_array(data) || !shape) {
    kd_fail(err, KD_INVALID_ARGUMENT, "inputs[0] needs \"shape\" and a \"data\" list");
    return NULL;
  }
  json_t *flat = json_array();
  json_t *t = json_object();
  if (!flat || !t || flatten(data, flat, 0, err) != 0) {
    if (!flat || !t) kd_fail(err, KD_UNAVAILABLE, "out of memory");
    json_decref(flat);
    json_decref(t);
    return NULL;
  }
  /* json_object_set_new takes its value's reference even when it fails. */
  const int set = json_object_set_new(t, "data", flat) == 0 &&
                  json_object_set(t, "shape", (json_t *)shape) == 0 &&
                  json_object_set_new(t, "dtype", json_string(embed ? "int32" : "float32")) == 0;
  if (!set) {
    json_decref(t);
    kd_fail(err, KD_UNAVAILABLE, "out of memory");
    return NULL;
  }
  return t;
}

int kd_h_oip_infer(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const fields[] = {"id", "parameters", "inputs", "outputs", NULL};
  static const char *const parameter_fields[] = {"deterministic", NULL};
  const json_t *body = req->body;
  if (kd_check_fields(body, "body", fields, err) != 0) return -1;
  const char *id;
  if (kd_get_string(body, "body", "id", 0, NULL, &id, err) != 0) return -1;
  /* "deterministic" defaults to false, as in POST …/forward. */
  kf_deterministic det = KF_DET_LAYER;
  const json_t *params = json_object_get(body, "parameters");
  if (params && !json_is_null(params)) {
    int d;
    if (kd_check_fields(params, "parameters", parameter_fields, err) != 0) return -1;
    if (json_object_get(params, "deterministic")) {
      if (kd_get_bool(params, "parameters", "deterministic", 0, &d, err) != 0) return -1;
      det = d ? KF_DET_TRUE : KF_DET_FALSE;
    }
  }
  const json_t *outputs = json_object_get(body, "outputs");
  if (outputs && !json_is_null(outputs)) {
    const char *name;
    if (!json_is_array(outputs) || json_array_size(outputs) != 1 ||
        kd_get_string(json_array_get(outputs, 0), "outputs[0]", "name", 1, NULL, &name, err) != 0 ||
        strcmp(name, "y") != 0)
      return kd_fail(err, KD_INVALID_ARGUMENT, "outputs may only request the model's one output, \"y\"");
  }
  kd_session *s;
  if (model_session(req, &s, err) != 0) return -1;
  json_t *x = input_tensor(json_object_get(body, "inputs"), s, err);
  if (!x) {
    kd_session_release(s);
    return -1;
  }
  kf_dtype dtype = KF_FLOAT32;
  kf_tensor xt = {0}, y = {0};
  kd_buf out;
  kd_buf_init(&out);
  kd_ticket *ticket = NULL;
  int rc = kd_session_input_dtype(s, &dtype, err);
  if (rc == 0) rc = kd_parse_tensor(x, "inputs[0]", dtype, req->srv->cfg.max_elements, &xt, err);
  /* A float32 is at most 15 characters and a comma. */
  if (rc == 0)
    rc = kd_session_forward(req->srv, s, &xt, "inputs[0]", det, &y, &out, 1024, 16, &ticket, err);
  json_decref(x);
  kd_session_release(s);
  if (rc != 0) {
    kd_buf_free(&out);
    return -1;
  }
  kd_response_wait(res, ticket);
  kd_jw w;
  kd_jw_init(&w, &out);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "model_name");
  kd_jw_string(&w, req->params[0]);
  if (id) {
    kd_jw_key(&w, "id");
    kd_jw_string(&w, id);
  }
  kd_jw_key(&w, "outputs");
  kd_jw_array_begin(&w);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "name");
  kd_jw_string(&w, "y");
  kd_jw_key(&w, "datatype");
  kd_jw_string(&w, "FP32");
  kd_jw_key(&w, "shape");
  kd_write_shape(&w, &y.shape);
  kd_jw_key(&w, "data");
  kd_jw_array_begin(&w);
  size_t n = 0;
  kf_shape_numel(&y.shape, &n);
  for (size_t i = 0; i < n; i++) kd_jw_f32(&w, ((const float *)y.data)[i]);
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  free(y.data);
  kd_response_take_body(res, &out);
  return 0;
}
