/* keyfoldd — stateless jax.random (POST /v1/random/{op}) and
 * jax.nn.initializers (POST /v1/init/{initializer}). Nothing here has state,
 * so a failure at any point only has to free what it allocated. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "handlers.h"
#include "nn_codec.h"
#include "npy.h"
#include "ops.h"

/* Every message names fields from the request body as "body.<field>". */
#define BODY "body"

/* Fields a handler accepts beyond its operation's own: key + threefry. */
#define MAX_FIELDS 16

/* Builds the allowed-field list: "key", "threefry" and the NULL-terminated
 * `extra` (borrowed; `out` points into it). */
static void allowed_fields(const char *const *extra, const char *out[MAX_FIELDS]) {
  size_t k = 0;
  out[k++] = "key";
  out[k++] = "threefry";
  for (; extra && *extra && k < MAX_FIELDS - 1; extra++) out[k++] = *extra;
  out[k] = NULL;
}

/* The required Key member `name` of the body. */
static int require_key(const json_t *body, const char *name, kf_key *out, kd_err *err) {
  const json_t *v = json_object_get(body, name);
  if (!v || json_is_null(v)) return kd_fail(err, KD_INVALID_ARGUMENT, BODY ".%s is required", name);
  char what[64];
  snprintf(what, sizeof what, BODY ".%s", name);
  return kd_parse_key(v, what, out, err);
}

/* A response buffer that could not grow is reported as 503; the dispatcher
 * discards the partial body of a failed handler. */
static int finish(kd_response *res, kd_err *err) {
  if (kd_buf_failed(&res->body))
    return kd_fail(err, KD_UNAVAILABLE, "out of memory while writing the response");
  return 0;
}

/* A Tensor reply: .npy when the Accept header prefers it, else JSON.
 * Borrows t. */
static int write_tensor_response(const kd_request *req, kd_response *res, const kf_tensor *t,
                                 kd_err *err) {
  if (req->accept.prefer_npy) {
    kd_npy_write(&res->body, t);
    res->content_type = KD_NPY_MEDIA_TYPE;
  } else {
    kd_jw w;
    kd_jw_init(&w, &res->body);
    kd_write_tensor(&w, t);
  }
  return finish(res, err);
}

static int write_key_response(kd_response *res, kf_key key, kd_err *err) {
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "key");
  kd_write_key(&w, key);
  kd_jw_object_end(&w);
  return finish(res, err);
}

/* split {key, num}: the keys flat in row-major order plus num's shape, so a
 * client reshapes to shape + [2] as jax.random.split returns. */
static int op_split(kf_key key, kf_threefry_mode mode, const kf_shape *shape, size_t n,
                    kd_response *res, kd_err *err) {
  /* Legacy split hashes 2n words in one call; the library refuses 2^32 - 1
   * or more (JAX would split into blocks). */
  if (mode == KF_THREEFRY_LEGACY && 2u * (uint64_t)n >= 0xFFFFFFFFull)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                   BODY ".num: a legacy split of %zu keys needs more than 4294967294 threefry words", n);
  if (n > SIZE_MAX / sizeof(kf_key))
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, BODY ".num: %zu keys do not fit in memory", n);
  kf_key *keys = malloc(n ? n * sizeof *keys : 1);
  if (!keys) return kd_fail(err, KD_UNAVAILABLE, BODY ".num: out of memory for %zu keys", n);
  const int rc = kf_split(key, mode, n, keys);
  if (rc != KF_OK) {
    free(keys);
    return kd_fail_kf(err, rc, BODY ".num");
  }
  kd_jw w;
  kd_jw_init(&w, &res->body);
  /* One growth for the whole list: a key is at most 25 bytes with its comma. */
  if (n < SIZE_MAX / 32) kd_buf_reserve(&res->body, n * 26 + 64);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "keys");
  kd_jw_array_begin(&w);
  for (size_t i = 0; i < n; i++) kd_write_key(&w, keys[i]);
  kd_jw_array_end(&w);
  kd_jw_key(&w, "shape");
  kd_write_shape(&w, shape);
  kd_jw_object_end(&w);
  free(keys);
  return finish(res, err);
}

/* The computation of a decoded operation and its reply. key {seed}:
 * jax.random.key(seed) in JAX's default 32-bit mode (a Key is accepted as a
 * seed everywhere in the API and returned as is; the mode is validated
 * although key() is the same in both). fold_in {key, data}: identical in
 * both modes. A sampler: its tensor. */
static int run(const kd_request *req, kd_sample *s, kf_threefry_mode mode, kd_response *res,
               kd_err *err) {
  switch (s->op->cls) {
    case KD_OP_KEY: return write_key_response(res, kd_sample_arg(s, "seed")->key, err);
    case KD_OP_FOLD_IN: {
      const kf_key key = kd_sample_arg(s, "key")->key;
      return write_key_response(res, kf_fold_in(key, (uint32_t)kd_sample_arg(s, "data")->n), err);
    }
    case KD_OP_SPLIT: {
      const kd_arg *num = kd_sample_arg(s, "num");
      return op_split(kd_sample_arg(s, "key")->key, mode, &num->shape, num->count, res, err);
    }
    case KD_OP_SAMPLER: break;
  }
  if (kd_sample_draw(s, kd_sample_arg(s, "key")->key, mode, err) != 0) return -1;
  return write_tensor_response(req, res, &s->out, err);
}

int kd_h_random(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const extra[] = {"threefry", NULL};
  const char *name = req->params[0] ? req->params[0] : "";
  const kd_op *op = kd_op_find(name);
  char shown[72];
  if (!op || !(op->flags & KD_OP_RANDOM)) {
    char names[512];
    return kd_fail(err, KD_NOT_FOUND, "unknown random operation '%s'; one of: %s", kd_shown(name, shown),
                   kd_op_names(KD_OP_RANDOM, names, sizeof names));
  }
  /* Keys are not one tensor: these answer JSON only (whatever the Accept
   * header prefers), or 406 when it refuses JSON. */
  if (!(op->flags & KD_OP_TENSOR) && !req->accept.json_ok)
    return kd_fail(err, KD_NOT_ACCEPTABLE,
                   "/v1/random/%s answers application/json only (.npy is for tensor replies), "
                   "which the Accept header refuses",
                   kd_shown(name, shown));
  kd_sample s;
  kf_threefry_mode mode;
  if (kd_sample_prepare(op, req->body, BODY, KD_READ_KEY, extra, req->srv->cfg.max_elements, &s,
                        err) != 0)
    return -1;
  int rc = kd_get_threefry(req->body, BODY, "threefry", &mode, err);
  if (rc == 0) rc = run(req, &s, mode, res, err);
  kd_sample_free(&s);
  return rc;
}

/* GET /v1/random: every operation with its parameters, from the table. */
int kd_h_random_list(kd_request *req, kd_response *res, kd_err *err) {
  (void)req;
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "operations");
  kd_jw_array_begin(&w);
  for (size_t i = 0; i < kd_op_count(); i++) kd_op_write(&w, kd_op_at(i));
  kd_jw_array_end(&w);
  kd_jw_object_end(&w);
  return finish(res, err);
}

int kd_h_init(kd_request *req, kd_response *res, kd_err *err) {
  const char *name = req->params[0] ? req->params[0] : "";
  const json_t *body = req->body;
  kf_init_kind kind;
  if (kf_init_kind_from_name(name, &kind) != KF_OK) {
    char shown[72], names[512];
    return kd_fail(err, KD_NOT_FOUND, "unknown initializer '%s'; one of: %s", kd_shown(name, shown),
                   kd_init_names(names, sizeof names));
  }
  const char *fields[MAX_FIELDS];
  {
    const char *const *params = kd_init_param_fields(kind);
    const char *extra[MAX_FIELDS];
    size_t k = 0;
    extra[k++] = "shape";
    for (; params && *params && k < MAX_FIELDS - 3; params++) extra[k++] = *params;
    extra[k] = NULL;
    allowed_fields(extra, fields);
  }
  kf_threefry_mode mode;
  kf_key key;
  kf_init init;
  kf_tensor t;
  if (kd_check_fields(body, BODY, fields, err) != 0) return -1;
  if (require_key(body, "key", &key, err) != 0) return -1;
  if (kd_get_threefry(body, BODY, "threefry", &mode, err) != 0) return -1;
  if (kd_init_prepare(kind, name, body, BODY, req->srv->cfg.max_elements, &init, &t, err) != 0) return -1;
  int rc = kf_init_apply(&init, key, mode, &t.shape, t.data);
  if (rc != KF_OK) {
    /* After kf_init_check only the draw size can still be refused
     * (legacy threefry's one-call limit): 413 via kd_fail_kf. */
    free(t.data);
    return kd_fail_kf(err, rc, BODY ".shape");
  }
  rc = write_tensor_response(req, res, &t, err) != 0 ? -1 : 0;
  free(t.data);
  return rc;
}
