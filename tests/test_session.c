/* The session service (server/session.h) driven directly, without HTTP: in
 * memory mode, and in strict mode over a real SQLite store in a temporary
 * directory (recovery, snapshots, the fence of a restored store). Known
 * answers are the README's: Linear(2, 3) + Dropout(0.5) built with
 * nnx.Rngs(params=0, dropout=42), and the nnx.Rngs docstring's
 * Rngs(100, params=42). */
#define _DEFAULT_SOURCE /* mkdtemp */
#define _XOPEN_SOURCE 700 /* nftw */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durability.h"
#include "router.h"
#include "session.h"

#define EXP1                                                                                     \
  "{\"rngs\": {\"params\": 0, \"dropout\": 42}, \"model\": {\"layers\": [{\"type\": \"linear\", " \
  "\"in_features\": 2, \"out_features\": 3}, {\"type\": \"dropout\", \"rate\": 0.5}]}}"
#define FLAX_DOC "{\"rngs\": {\"default\": 100, \"params\": 42}}"
#define EMBED                                                                                   \
  "{\"rngs\": {\"default\": 4}, \"model\": {\"layers\": [{\"type\": \"embed\", \"num_embeddings\": " \
  "5, \"features\": 3}, {\"type\": \"relu\"}]}}"

/* The README's kernel, lecun_normal drawn with fold_in(key(0), 0). */
static const float KERNEL[6] = {0.7567299f, -0.68570054f, -0.5688337f, -0.8757605f, -0.65994275f, 0.44935086f};

/* ------------------------------------------------------------ fixtures */

static void server_open(kd_server *srv, kd_durability mode, const char *dir) {
  memset(srv, 0, sizeof *srv);
  kd_config_defaults(&srv->cfg);
  srv->cfg.log_level = KD_LOG_ERROR;
  srv->cfg.durability = mode;
  if (dir) snprintf(srv->cfg.data_dir, sizeof srv->cfg.data_dir, "%s", dir);
  kd_logger_init(&srv->log, &srv->cfg);
  srv->store = kd_store_new(srv->cfg.max_sessions);
  srv->metrics = kd_metrics_new(kd_route_label, kd_route_count);
  ck_assert_ptr_nonnull(srv->store);
  ck_assert_ptr_nonnull(srv->metrics);
  if (mode != KD_DURABILITY_MEMORY) {
    char msg[1024] = "";
    ck_assert_msg(kd_durable_open(&srv->cfg, srv->store, srv->metrics, &srv->durable, msg, sizeof msg) == 0,
                  "open: %s", msg);
    ck_assert_msg(kd_service_recover(srv, msg, sizeof msg) >= 0, "recover: %s", msg);
    ck_assert_int_eq(kd_durable_start(srv->durable), 0);
  }
  atomic_store(&srv->ready, 1);
}

static void server_close(kd_server *srv) {
  kd_durable_close(srv->durable);
  kd_store_free(srv->store);
  kd_metrics_free(srv->metrics);
  memset(srv, 0, sizeof *srv);
}

static void temp_dir(char *dir, size_t size) {
  snprintf(dir, size, "%s/keyfold-test-session-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void remove_dir(const char *dir) { nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

static void copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  ck_assert_ptr_nonnull(in);
  ck_assert_ptr_nonnull(out);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
  fclose(in);
  ck_assert_int_eq(fclose(out), 0);
}

/* Waits for a ticket (NULL: nothing to wait for) and expects a commit. */
static void settle(kd_ticket *t) {
  if (!t) return;
  ck_assert_int_eq(kd_ticket_wait(t), 1);
  kd_ticket_release(t);
}

static void parse_spec(const kd_server *srv, const char *text, kd_spec *spec) {
  json_error_t jerr;
  json_t *obj = json_loads(text, 0, &jerr);
  ck_assert_msg(obj != NULL, "%s", jerr.text);
  const kd_spec_limits limits = {srv->cfg.max_elements, srv->cfg.max_model_params};
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_spec_parse(obj, &limits, spec, &err) == 0, "%s", err.message);
  json_decref(obj);
}

/* Creates a session (waiting for it to be durable); returns a reference. */
static kd_session *create(kd_server *srv, const char *name, const char *text) {
  kd_spec spec;
  parse_spec(srv, text, &spec);
  kd_session *s = NULL;
  kd_session_view view;
  kd_ticket *t = NULL;
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_session_create(srv, name, &spec, &s, &view, &t, &err) == 0, "%s", err.message);
  kd_spec_free(&spec);
  ck_assert_int_eq(srv->durable != NULL, t != NULL); /* strict: a creation always waits */
  settle(t);
  return s;
}

static kd_session *find(kd_server *srv, const char *name) {
  kd_session *s = NULL;
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_session_find(srv, name, &s, &err) == 0, "%s", err.message);
  return s;
}

static kf_stream_state stream_of(kd_session *s, const char *name) {
  kd_session_view v;
  kd_session_get(s, &v);
  for (size_t i = 0; i < v.n_streams; i++)
    if (strcmp(v.streams[i].name, name) == 0) return v.streams[i];
  ck_abort_msg("no stream %s", name);
  return v.streams[0];
}

/* Draws n keys, expecting success; returns the count they started at. */
static uint32_t draw(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys) {
  kd_draw d;
  kd_ticket *t = NULL;
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_session_draw(srv, s, stream, n, keys, &d, &t, &err) == 0, "%s", err.message);
  settle(t);
  return d.source.count;
}

/* Expects a draw to fail with `code` and leave every stream as it was. */
static void draw_fails(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kd_code code,
                       const char *message) {
  kd_session_view before, after;
  kd_session_get(s, &before);
  kf_key keys[4];
  kd_draw d;
  kd_ticket *t = (kd_ticket *)1;
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_session_draw(srv, s, stream, n, n <= 4 ? keys : NULL, &d, &t, &err), -1);
  ck_assert_ptr_null(t);
  ck_assert_msg(err.code == code, "%s: code %s", err.message, kd_code_name(err.code));
  if (message) ck_assert_str_eq(err.message, message);
  kd_session_get(s, &after);
  ck_assert_uint_eq(after.n_streams, before.n_streams);
  ck_assert(memcmp(after.streams, before.streams, before.n_streams * sizeof before.streams[0]) == 0);
}

static void assert_key(kf_key k, uint32_t hi, uint32_t lo) {
  ck_assert_uint_eq(k.hi, hi);
  ck_assert_uint_eq(k.lo, lo);
}

static void ones_x(kf_tensor *x, int64_t rows, int64_t cols) {
  const int64_t dims[2] = {rows, cols};
  ck_assert_int_eq(kf_shape_make(&x->shape, 2, dims), KF_OK);
  x->dtype = KF_FLOAT32;
  float *d = malloc((size_t)(rows * cols) * sizeof *d);
  ck_assert_ptr_nonnull(d);
  for (int64_t i = 0; i < rows * cols; i++) d[i] = 1.0f;
  x->data = d;
}

/* Runs the model on ones((1, 2)); returns 0 and y, or -1 with err. */
static int forward(kd_server *srv, kd_session *s, kf_deterministic det, int64_t cols, float y[3],
                   kd_err *err) {
  kf_tensor x, out = {0};
  ones_x(&x, 1, cols);
  kd_ticket *t = (kd_ticket *)1;
  const int rc = kd_session_forward(srv, s, &x, "body.x", det, &out, NULL, 0, 0, &t, err);
  ck_assert_ptr_null(x.data); /* taken over, freed */
  if (rc != 0) {
    ck_assert_ptr_null(t);
    ck_assert_ptr_null(out.data);
    return -1;
  }
  settle(t);
  ck_assert_int_eq(out.shape.rank, 2);
  ck_assert_int_eq(out.shape.dim[1], 3);
  memcpy(y, out.data, 3 * sizeof *y);
  free(out.data);
  return 0;
}

/* The model's kernel is the README's, and the bias zeros. */
static void assert_exp1_params(const kd_session *s) {
  ck_assert_ptr_nonnull(s->model);
  const char *name;
  kf_tensor t;
  ck_assert_int_eq(kf_model_param(s->model, 0, 0, &name, &t), KF_OK);
  ck_assert_str_eq(name, "kernel");
  for (int i = 0; i < 6; i++) ck_assert_msg(((float *)t.data)[i] == KERNEL[i], "kernel[%d]", i);
  ck_assert_int_eq(kf_model_param(s->model, 0, 1, &name, &t), KF_OK);
  ck_assert_str_eq(name, "bias");
  for (int i = 0; i < 3; i++) ck_assert(((float *)t.data)[i] == 0.0f);
}

/* ------------------------------------------------------------ memory mode */

START_TEST(create_builds_the_readme_model) {
  /* The key the kernel is drawn with. */
  assert_key(kf_fold_in(kf_key_from_data(0, 0), 0), 1797259609u, 2579123966u);
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *s = create(&srv, "exp1", EXP1);
  ck_assert_str_eq(s->name, "exp1");
  kd_session_view v;
  kd_session_get(s, &v);
  ck_assert_uint_eq(v.n_streams, 2);
  ck_assert_str_eq(v.streams[0].name, "params");
  assert_key(v.streams[0].key, 0, 0);
  ck_assert_uint_eq(v.streams[0].count, 2); /* kernel and bias */
  ck_assert_str_eq(v.streams[1].name, "dropout");
  assert_key(v.streams[1].key, 0, 42);
  ck_assert_uint_eq(v.streams[1].count, 0);
  assert_exp1_params(s);
  ck_assert_uint_eq(kd_store_count(srv.store), 1);

  /* The name is taken: 409, and the session is the first one still. */
  kd_spec spec;
  parse_spec(&srv, FLAX_DOC, &spec);
  kd_session *other = (kd_session *)1;
  kd_ticket *t = (kd_ticket *)1;
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_session_create(&srv, "exp1", &spec, &other, &v, &t, &err), -1);
  kd_spec_free(&spec);
  ck_assert_int_eq(err.code, KD_ALREADY_EXISTS);
  ck_assert_int_eq(kd_code_status(err.code), 409);
  ck_assert_str_eq(err.message, "session 'exp1' already exists");
  ck_assert_ptr_null(other);
  ck_assert_ptr_null(t);
  kd_session *again = find(&srv, "exp1");
  ck_assert_ptr_eq(again, s);
  ck_assert_ptr_nonnull(again->model);
  kd_session_release(again);
  ck_assert_uint_eq(kd_store_count(srv.store), 1);

  /* A model that draws from 'params' with neither 'params' nor 'default'. */
  parse_spec(&srv, "{\"rngs\": {\"dropout\": 1}, \"model\": {\"layers\": [{\"type\": \"linear\", "
                   "\"in_features\": 2, \"out_features\": 3}]}}", &spec);
  ck_assert_int_eq(kd_session_create(&srv, "nope", &spec, &other, &v, &t, &err), -1);
  kd_spec_free(&spec);
  ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
  ck_assert_str_eq(err.message,
                   "body.model.layers[0] draws from 'params' but the rngs have neither 'params' nor 'default'");
  ck_assert_uint_eq(kd_store_count(srv.store), 1);
  kd_session_release(s);
  server_close(&srv);
}
END_TEST

START_TEST(draws_give_flax_keys_and_counts) {
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *s = create(&srv, "exp1", EXP1);
  kf_key keys[2];
  ck_assert_uint_eq(draw(&srv, s, "params", 2, keys), 2);
  assert_key(keys[0], 4146024105u, 2718843009u);
  assert_key(keys[1], 2467461003u, 3840466878u);
  ck_assert_uint_eq(stream_of(s, "params").count, 4);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 0);

  /* exp1 has no 'default': an unknown stream is 404 with Flax's message. */
  draw_fails(&srv, s, "noise", 1, KD_NOT_FOUND, "No RNG named 'noise' or 'default' found in Rngs.");

  /* The nnx.Rngs docstring: Rngs(100, params=42). */
  kd_session *d = create(&srv, "flax-doc", FLAX_DOC);
  kd_session_view v;
  kd_session_get(d, &v);
  ck_assert_str_eq(v.streams[0].name, "params");
  ck_assert_str_eq(v.streams[1].name, "default"); /* 'default' last */
  kd_draw dr;
  kd_ticket *t = NULL;
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_session_draw(&srv, d, "params", 1, keys, &dr, &t, &err), 0);
  ck_assert_str_eq(dr.source.name, "params");
  ck_assert_uint_eq(dr.source.count, 0);
  assert_key(keys[0], 1832780943u, 270669613u);
  /* r.dropout(): served by 'default', whose counter advances. */
  ck_assert_int_eq(kd_session_draw(&srv, d, "dropout", 1, keys, &dr, &t, &err), 0);
  ck_assert_str_eq(dr.source.name, "default");
  ck_assert_uint_eq(dr.source.count, 0);
  ck_assert_int_eq(dr.mode, KF_THREEFRY_PARTITIONABLE);
  assert_key(keys[0], 701046466u, 2104227382u);
  ck_assert_int_eq(kd_session_draw(&srv, d, "default", 1, keys, &dr, &t, &err), 0);
  ck_assert_uint_eq(dr.source.count, 1);
  assert_key(keys[0], 2213033797u, 2583756506u);
  ck_assert_int_eq(kd_session_draw(&srv, d, "params", 1, keys, &dr, &t, &err), 0);
  assert_key(keys[0], 64467757u, 2916123636u);
  ck_assert_ptr_null(t); /* memory mode: nothing to wait for */
  ck_assert_uint_eq(stream_of(d, "default").count, 2);
  ck_assert_uint_eq(stream_of(d, "params").count, 2);
  kd_session_release(d);
  kd_session_release(s);
  server_close(&srv);
}
END_TEST

START_TEST(a_draw_never_passes_the_last_count) {
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *s = create(&srv, "old", FLAX_DOC);
  kf_stream_state st = stream_of(s, "default");
  st.count = 4294967290u;
  pthread_mutex_lock(&s->lock);
  ck_assert_int_eq(kf_rngs_set_stream(s->rngs, 1, &st), KF_OK);
  pthread_mutex_unlock(&s->lock);
  draw_fails(&srv, s, "default", 6, KD_FAILED_PRECONDITION,
             "stream 'default' is at count 4294967290: drawing 6 more keys would take it past 4294967295; "
             "reseed it first");
  /* Through the fallback the message names the serving stream. */
  draw_fails(&srv, s, "dropout", 6, KD_FAILED_PRECONDITION,
             "stream 'dropout' (served by 'default') is at count 4294967290: drawing 6 more keys would take "
             "it past 4294967295; reseed it first");
  /* More than a whole counter: refused before any key array is needed. */
  draw_fails(&srv, s, "default", ((uint64_t)1 << 32) + 1, KD_FAILED_PRECONDITION, NULL);
  kf_key keys[5];
  ck_assert_uint_eq(draw(&srv, s, "default", 5, keys), 4294967290u);
  assert_key(keys[4], kf_fold_in(kf_key_from_data(0, 100), 4294967294u).hi,
             kf_fold_in(kf_key_from_data(0, 100), 4294967294u).lo);
  ck_assert_uint_eq(stream_of(s, "default").count, 4294967295u);
  draw_fails(&srv, s, "default", 1, KD_FAILED_PRECONDITION,
             "stream 'default' is at count 4294967295: drawing 1 more key would take it past 4294967295; "
             "reseed it first");
  /* Another stream is unaffected. */
  ck_assert_uint_eq(draw(&srv, s, "params", 1, keys), 0);
  kd_session_release(s);
  server_close(&srv);
}
END_TEST

/* Every operation on a reference held across a DELETE answers 404. */
START_TEST(a_deleted_session_answers_not_found) {
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *s = create(&srv, "exp1", EXP1);
  kd_ticket *t = (kd_ticket *)1;
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_session_delete(&srv, "exp1", &t, &err), 0);
  ck_assert_ptr_null(t);
  ck_assert_uint_eq(kd_store_count(srv.store), 0);
  const kf_stream_state params = stream_of(s, "params");

  draw_fails(&srv, s, "params", 1, KD_NOT_FOUND, "session 'exp1' not found");
  ck_assert_str_eq(kd_code_name(KD_NOT_FOUND), "not_found");
  float y[3];
  ck_assert_int_eq(forward(&srv, s, KF_DET_TRUE, 2, y, &err), -1);
  ck_assert_int_eq(err.code, KD_NOT_FOUND);
  ck_assert_str_eq(err.message, "session 'exp1' not found");
  kd_stream_seed seed = {"params", {0, 7}};
  kd_session_view v;
  err.code = KD_OK;
  ck_assert_int_eq(kd_session_reseed(&srv, s, &seed, 1, KD_RESEED_ALL, 0, &v, &t, &err), -1);
  ck_assert_int_eq(err.code, KD_NOT_FOUND);
  ck_assert_str_eq(err.message, "session 'exp1' not found");
  const kf_stream_state after = stream_of(s, "params");
  ck_assert(memcmp(&after, &params, sizeof params) == 0);

  kd_session *gone = (kd_session *)1;
  ck_assert_int_eq(kd_session_find(&srv, "exp1", &gone, &err), -1);
  ck_assert_ptr_null(gone);
  ck_assert_int_eq(err.code, KD_NOT_FOUND);
  ck_assert_int_eq(kd_session_delete(&srv, "exp1", &t, &err), -1);
  ck_assert_int_eq(err.code, KD_NOT_FOUND);
  ck_assert_int_eq(kd_session_find(&srv, "-bad", &gone, &err), -1);
  ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
  ck_assert_str_eq(err.message, "session name '-bad' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  /* The name is free again, for a new session. */
  kd_session *n = create(&srv, "exp1", FLAX_DOC);
  ck_assert_ptr_ne(n, s);
  ck_assert_ptr_null(n->model);
  kd_session_release(n);
  kd_session_release(s);
  server_close(&srv);
}
END_TEST

START_TEST(reseed_restarts_the_named_streams_only) {
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *s = create(&srv, "exp1", EXP1);
  kf_key keys[3];
  draw(&srv, s, "dropout", 3, keys);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 3);

  /* A stream the session lacks: 400, and the valid one before it is not reseeded either. */
  kd_stream_seed seeds[2] = {{"dropout", {0, 7}}, {"nope", {0, 1}}};
  kd_session_view before, v;
  kd_session_get(s, &before);
  kd_ticket *t = (kd_ticket *)1;
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_session_reseed(&srv, s, seeds, 2, KD_RESEED_ALL, 0, &v, &t, &err), -1);
  ck_assert_ptr_null(t);
  ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
  ck_assert_str_eq(err.message, "body.streams.nope: session 'exp1' has no stream 'nope'");
  kd_session_view after;
  kd_session_get(s, &after);
  ck_assert(memcmp(after.streams, before.streams, 2 * sizeof before.streams[0]) == 0);

  /* nnx.reseed(model, dropout=42): count 0 again, params unchanged. */
  seeds[0].key = kf_key_from_data(0, 42);
  ck_assert_int_eq(kd_session_reseed(&srv, s, seeds, 1, KD_RESEED_ALL, 0, &v, &t, &err), 0);
  ck_assert_ptr_null(t);
  ck_assert_uint_eq(v.n_streams, 2);
  ck_assert_str_eq(v.streams[1].name, "dropout");
  assert_key(v.streams[1].key, 0, 42);
  ck_assert_uint_eq(v.streams[1].count, 0);
  ck_assert(memcmp(&v.streams[0], &before.streams[0], sizeof v.streams[0]) == 0);
  /* The draws repeat: the same first key as before the reseed. */
  kf_key again;
  ck_assert_uint_eq(draw(&srv, s, "dropout", 1, &again), 0);
  assert_key(again, keys[0].hi, keys[0].lo);
  /* A new key for a stream. */
  seeds[0].key = kf_key_from_data(5, 6);
  ck_assert_int_eq(kd_session_reseed(&srv, s, seeds, 1, KD_RESEED_ALL, 0, &v, &t, &err), 0);
  assert_key(stream_of(s, "dropout").key, 5, 6);
  kd_session_release(s);
  server_close(&srv);
}
END_TEST

START_TEST(forward_draws_for_dropout_only) {
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *s = create(&srv, "exp1", EXP1);
  float y[3], det[3];
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(forward(&srv, s, KF_DET_LAYER, 2, y, &err), 0);
  ck_assert(y[0] == 0.0f && y[1] == -2.6912866f && y[2] == 0.0f);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 1);
  ck_assert_uint_eq(stream_of(s, "params").count, 2);

  /* Eval mode: the identity dropout, no draw; y = ones @ kernel + 0. */
  ck_assert_int_eq(forward(&srv, s, KF_DET_TRUE, 2, det, &err), 0);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 1);
  for (int j = 0; j < 3; j++) ck_assert_msg(det[j] == KERNEL[j] + KERNEL[3 + j], "y[%d] = %.9g", j, det[j]);
  ck_assert(2.0f * det[1] == -2.6912866f); /* the kept element, scaled by 1 / 0.5 */

  /* Train mode again draws the next count. */
  ck_assert_int_eq(forward(&srv, s, KF_DET_FALSE, 2, y, &err), 0);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 2);

  /* A shape the first layer does not take: 400 naming the layer, nothing drawn. */
  ck_assert_int_eq(forward(&srv, s, KF_DET_LAYER, 3, y, &err), -1);
  ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
  ck_assert_str_eq(err.message,
                   "body.x does not fit model.layers[0]: linear expects the last dimension to be in_features = "
                   "2, but its input has shape [1, 3]");
  ck_assert_uint_eq(stream_of(s, "dropout").count, 2);

  kd_session_release(s);
  server_close(&srv);
}
END_TEST

/* session.h promises kd_session_forward answers "400/409/413 as POST
 * …/forward", and POST …/forward on a session without a model is 409
 * failed_precondition "session '…' has no model" — from the service itself,
 * not only because both handlers ask kd_session_input_dtype first. */
START_TEST(forward_without_a_model_is_409) {
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *d = create(&srv, "flax-doc", FLAX_DOC);
  float y[3];
  kd_err err = {KD_OK, ""};
  const int rc = forward(&srv, d, KF_DET_LAYER, 2, y, &err);
  kd_session_release(d);
  server_close(&srv); /* before the assertions, so that a failure leaks nothing */
  ck_assert_int_eq(rc, -1);
  ck_assert_msg(err.code == KD_FAILED_PRECONDITION, "%s: %s", kd_code_name(err.code), err.message);
  ck_assert_str_eq(err.message, "session 'flax-doc' has no model");
}
END_TEST

START_TEST(input_dtype_follows_the_first_layer) {
  kd_server srv;
  server_open(&srv, KD_DURABILITY_MEMORY, NULL);
  kd_session *a = create(&srv, "exp1", EXP1);
  kd_session *b = create(&srv, "embed", EMBED);
  kd_session *c = create(&srv, "flax-doc", FLAX_DOC);
  kf_dtype dt = KF_UINT64;
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_session_input_dtype(a, &dt, &err), 0);
  ck_assert_int_eq(dt, KF_FLOAT32);
  ck_assert_int_eq(kd_session_input_dtype(b, &dt, &err), 0);
  ck_assert_int_eq(dt, KF_INT32);
  dt = KF_UINT64;
  ck_assert_int_eq(kd_session_input_dtype(c, &dt, &err), -1);
  ck_assert_int_eq(dt, KF_UINT64);
  ck_assert_int_eq(err.code, KD_FAILED_PRECONDITION);
  ck_assert_str_eq(err.message, "session 'flax-doc' has no model");
  kd_session_release(a);
  kd_session_release(b);
  kd_session_release(c);
  /* Memory mode has no store to snapshot: 409. */
  char path[4096];
  ck_assert_int_eq(kd_service_snapshot(&srv, path, sizeof path, &err), -1);
  ck_assert_int_eq(err.code, KD_FAILED_PRECONDITION);
  ck_assert_int_eq(kd_service_fenced(&srv, NULL), 0);
  server_close(&srv);
}
END_TEST

/* ------------------------------------------------------------ strict mode */

/* A Flax 0.12 session (the README's model): the dropout's fork is state
 * like a stream — shown in the view, advanced by a forward, reseeded by
 * target, refused without change on a bad tag, and restored whole by
 * recovery. */
START_TEST(held_streams_are_session_state) {
  char dir[512];
  temp_dir(dir, sizeof dir);
  kd_server srv;
  server_open(&srv, KD_DURABILITY_STRICT, dir);
  kd_session *s = create(&srv, "e12",
                         "{\"rngs\": {\"params\": 0, \"dropout\": 42}, \"model\": {\"layers\": [{\"type\": "
                         "\"linear\", \"in_features\": 2, \"out_features\": 3}, {\"type\": \"dropout\", \"rate\": "
                         "0.5}]}, \"options\": {\"flax\": \"0.12\"}}");
  assert_exp1_params(s); /* the parameters do not depend on the era */
  kd_session_view v;
  kd_session_get(s, &v);
  ck_assert_uint_eq(v.n_held, 1);
  ck_assert_uint_eq(v.held[0].layer, 1);
  ck_assert_str_eq(v.held[0].state.name, "dropout");
  const kf_key fork = kf_fold_in(kf_key_from_data(0, 42), 0);
  assert_key(v.held[0].state.key, fork.hi, fork.lo);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 1);
  float y1[3], y2[3];
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(forward(&srv, s, KF_DET_LAYER, 2, y1, &err), 0);
  kd_session_get(s, &v);
  ck_assert_uint_eq(v.held[0].state.count, 1);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 1);
  /* A tag the model's streams lack, with target model: 400, nothing changes. */
  kd_stream_seed seeds[2] = {{"dropout", {0, 42}}, {"params", {0, 1}}};
  kd_ticket *t = NULL;
  kd_session_view after;
  ck_assert_int_eq(kd_session_reseed(&srv, s, seeds, 2, KD_RESEED_MODEL, 0, &after, &t, &err), -1);
  ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
  kd_session_view same;
  kd_session_get(s, &same);
  ck_assert(memcmp(same.held, v.held, sizeof v.held[0]) == 0);
  /* The docstring's reseed: fold_in(key(42), 0) at count 0 again, so the next mask is y1's. */
  ck_assert_int_eq(kd_session_reseed(&srv, s, seeds, 1, KD_RESEED_MODEL, 1, &after, &t, &err), 0);
  settle(t);
  assert_key(after.held[0].state.key, fork.hi, fork.lo);
  ck_assert_uint_eq(after.held[0].state.count, 0);
  ck_assert_int_eq(forward(&srv, s, KF_DET_LAYER, 2, y2, &err), 0);
  ck_assert(memcmp(y1, y2, sizeof y1) == 0);
  kd_session_get(s, &v);
  kd_session_release(s);
  server_close(&srv);

  server_open(&srv, KD_DURABILITY_STRICT, dir);
  s = find(&srv, "e12");
  kd_session_view r;
  kd_session_get(s, &r);
  ck_assert_uint_eq(r.n_held, 1);
  ck_assert(memcmp(&r.held[0], &v.held[0], sizeof r.held[0]) == 0);
  ck_assert_str_eq(s->flax, "0.12");
  ck_assert_int_eq(kf_rngs_era(s->rngs), KF_FLAX_0_11);
  kd_session_release(s);
  server_close(&srv);
  remove_dir(dir);
}
END_TEST

START_TEST(strict_sessions_survive_a_restart) {
  char dir[512];
  temp_dir(dir, sizeof dir);
  kd_server srv;
  server_open(&srv, KD_DURABILITY_STRICT, dir);
  kd_session *s = create(&srv, "exp1", EXP1);
  kd_session *d = create(&srv, "flax-doc", FLAX_DOC);
  kd_session *g = create(&srv, "gone", FLAX_DOC);
  kf_key keys[3];
  draw(&srv, s, "params", 2, keys);
  float y[3];
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(forward(&srv, s, KF_DET_LAYER, 2, y, &err), 0);
  draw(&srv, d, "dropout", 3, keys);
  kd_stream_seed seed = {"params", {9, 10}};
  kd_session_view v;
  kd_ticket *t = NULL;
  ck_assert_int_eq(kd_session_reseed(&srv, d, &seed, 1, KD_RESEED_ALL, 0, &v, &t, &err), 0);
  ck_assert_ptr_nonnull(t); /* strict: a reseed waits */
  settle(t);
  draw(&srv, d, "params", 1, keys);
  ck_assert_int_eq(kd_session_delete(&srv, "gone", &t, &err), 0);
  ck_assert_ptr_nonnull(t);
  settle(t);
  kd_session_view vs, vd;
  kd_session_get(s, &vs);
  kd_session_get(d, &vd);
  const uint64_t checksum = kd_model_checksum(s->model);
  kd_session_release(s);
  kd_session_release(d);
  kd_session_release(g);
  server_close(&srv);

  server_open(&srv, KD_DURABILITY_STRICT, dir);
  ck_assert_uint_eq(kd_store_count(srv.store), 2);
  kd_session *gone = NULL;
  ck_assert_int_eq(kd_session_find(&srv, "gone", &gone, &err), -1);
  s = find(&srv, "exp1");
  d = find(&srv, "flax-doc");
  kd_session_view rs, rd;
  kd_session_get(s, &rs);
  kd_session_get(d, &rd);
  ck_assert_uint_eq(rs.n_streams, vs.n_streams);
  ck_assert(memcmp(rs.streams, vs.streams, vs.n_streams * sizeof vs.streams[0]) == 0);
  ck_assert_uint_eq(rd.n_streams, vd.n_streams);
  ck_assert(memcmp(rd.streams, vd.streams, vd.n_streams * sizeof vd.streams[0]) == 0);
  ck_assert_uint_eq(stream_of(s, "params").count, 4);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 1);
  assert_key(stream_of(d, "params").key, 9, 10);
  ck_assert_uint_eq(stream_of(d, "params").count, 1);
  ck_assert_uint_eq(stream_of(d, "default").count, 3);
  assert_exp1_params(s);
  ck_assert_uint_eq(kd_model_checksum(s->model), checksum);
  ck_assert_ptr_null(d->model);
  /* The streams continue where they were: fold_in(key(0), 4). */
  ck_assert_uint_eq(draw(&srv, s, "params", 1, keys), 4);
  const kf_key k4 = kf_fold_in(kf_key_from_data(0, 0), 4);
  assert_key(keys[0], k4.hi, k4.lo);
  kd_session_release(s);
  kd_session_release(d);
  server_close(&srv);
  remove_dir(dir);
}
END_TEST

START_TEST(a_restored_snapshot_is_fenced_until_advanced) {
  char dir[512], copy[512], path[4096], db[600];
  temp_dir(dir, sizeof dir);
  temp_dir(copy, sizeof copy);
  kd_server srv;
  server_open(&srv, KD_DURABILITY_STRICT, dir);
  kd_session *s = create(&srv, "exp1", EXP1);
  kd_session *d = create(&srv, "flax-doc", FLAX_DOC);
  kf_key keys[3];
  draw(&srv, d, "default", 3, keys);
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_service_fenced(&srv, NULL), 0);
  ck_assert_msg(kd_service_snapshot(&srv, path, sizeof path, &err) == 0, "%s", err.message);
  ck_assert_msg(strncmp(path, dir, strlen(dir)) == 0 && strstr(path, "/snapshots/keyfold-") != NULL, "%s", path);
  ck_assert_int_eq(access(path, R_OK), 0);
  /* Drawn after the snapshot: the copy is behind these keys. */
  draw(&srv, d, "default", 2, keys);
  kd_session_release(s);
  kd_session_release(d);
  server_close(&srv);

  snprintf(db, sizeof db, "%s/keyfold.db", copy);
  copy_file(path, db);
  server_open(&srv, KD_DURABILITY_STRICT, copy);
  const char *note = NULL;
  ck_assert_int_eq(kd_service_fenced(&srv, &note), 1);
  ck_assert_ptr_nonnull(note);
  ck_assert_msg(note[0] != '\0', "the fence has a note");
  s = find(&srv, "exp1");
  d = find(&srv, "flax-doc");
  ck_assert_uint_eq(stream_of(d, "default").count, 3);
  draw_fails(&srv, d, "default", 1, KD_FAILED_PRECONDITION, NULL);
  ck_assert_str_eq(kd_code_name(KD_FAILED_PRECONDITION), "failed_precondition");
  draw_fails(&srv, s, "params", 1, KD_FAILED_PRECONDITION, NULL);
  /* A deterministic forward draws nothing and may run; a stochastic one may not. */
  float y[3];
  ck_assert_int_eq(forward(&srv, s, KF_DET_TRUE, 2, y, &err), 0);
  ck_assert(y[1] == KERNEL[1] + KERNEL[4]);
  ck_assert_int_eq(forward(&srv, s, KF_DET_LAYER, 2, y, &err), -1);
  ck_assert_int_eq(err.code, KD_FAILED_PRECONDITION);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 0);

  size_t advanced = 0;
  kd_ticket *t = NULL;
  ck_assert_msg(kd_service_restore(&srv, 1000, &advanced, &t, &err) == 0, "%s", err.message);
  ck_assert_uint_eq(advanced, 2);
  ck_assert_ptr_nonnull(t);
  settle(t);
  ck_assert_int_eq(kd_service_fenced(&srv, NULL), 0);
  ck_assert_uint_eq(stream_of(d, "default").count, 1003);
  ck_assert_uint_eq(stream_of(d, "params").count, 1000);
  ck_assert_uint_eq(stream_of(s, "params").count, 1002);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 1000);
  ck_assert_uint_eq(draw(&srv, d, "default", 1, keys), 1003);
  const kf_key k = kf_fold_in(kf_key_from_data(0, 100), 1003);
  assert_key(keys[0], k.hi, k.lo);
  ck_assert_int_eq(forward(&srv, s, KF_DET_LAYER, 2, y, &err), 0);
  ck_assert_uint_eq(stream_of(s, "dropout").count, 1001);
  /* Nothing left fenced: a second restore advances nothing. */
  ck_assert_int_eq(kd_service_restore(&srv, 5, &advanced, &t, &err), 0);
  ck_assert_uint_eq(advanced, 0);
  settle(t);
  ck_assert_uint_eq(stream_of(d, "default").count, 1004);
  kd_session_release(s);
  kd_session_release(d);
  server_close(&srv);

  /* After a restart the store is no longer fenced, and kept the advance. */
  server_open(&srv, KD_DURABILITY_STRICT, copy);
  ck_assert_int_eq(kd_service_fenced(&srv, NULL), 0);
  d = find(&srv, "flax-doc");
  ck_assert_uint_eq(stream_of(d, "default").count, 1004);
  ck_assert_uint_eq(draw(&srv, d, "default", 1, keys), 1004);
  kd_session_release(d);
  server_close(&srv);
  remove_dir(dir);
  remove_dir(copy);
}
END_TEST

/* A restore that would pass the last count advances nothing; a reseed of
 * every stream unfences a session on its own. */
START_TEST(restore_is_all_or_nothing) {
  char dir[512], copy[512], path[4096], db[600];
  temp_dir(dir, sizeof dir);
  temp_dir(copy, sizeof copy);
  kd_server srv;
  server_open(&srv, KD_DURABILITY_STRICT, dir);
  kd_session *a = create(&srv, "a", FLAX_DOC);
  kd_session *b = create(&srv, "b", FLAX_DOC);
  kf_stream_state st = stream_of(b, "params");
  st.count = 4294967000u;
  pthread_mutex_lock(&b->lock);
  ck_assert_int_eq(kf_rngs_set_stream(b->rngs, 0, &st), KF_OK);
  pthread_mutex_unlock(&b->lock);
  kf_key k;
  draw(&srv, b, "default", 1, &k); /* records b's streams, the set count included */
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_service_snapshot(&srv, path, sizeof path, &err), 0);
  kd_session_release(a);
  kd_session_release(b);
  server_close(&srv);
  snprintf(db, sizeof db, "%s/keyfold.db", copy);
  copy_file(path, db);

  server_open(&srv, KD_DURABILITY_STRICT, copy);
  a = find(&srv, "a");
  b = find(&srv, "b");
  ck_assert_uint_eq(stream_of(b, "params").count, 4294967000u);
  size_t advanced = 9;
  kd_ticket *t = (kd_ticket *)1;
  ck_assert_int_eq(kd_service_restore(&srv, 1000, &advanced, &t, &err), -1);
  ck_assert_ptr_null(t);
  ck_assert_uint_eq(advanced, 0);
  ck_assert_int_eq(err.code, KD_FAILED_PRECONDITION);
  ck_assert_str_eq(err.message,
                   "session 'b': stream 'params' is at count 4294967000, and advancing it by 1000 would pass "
                   "4294967295; reseed it first (nothing was advanced)");
  ck_assert_uint_eq(stream_of(a, "default").count, 0);
  ck_assert_int_eq(kd_service_fenced(&srv, NULL), 1);

  /* Reseeding one of b's two streams leaves it fenced; both unfence it. */
  kd_stream_seed seeds[2] = {{"params", {0, 1}}, {"default", {0, 2}}};
  kd_session_view v;
  ck_assert_int_eq(kd_session_reseed(&srv, b, seeds, 1, KD_RESEED_ALL, 0, &v, &t, &err), 0);
  settle(t);
  draw_fails(&srv, b, "default", 1, KD_FAILED_PRECONDITION, NULL);
  ck_assert_int_eq(kd_session_reseed(&srv, b, seeds, 2, KD_RESEED_ALL, 0, &v, &t, &err), 0);
  settle(t);
  ck_assert_uint_eq(draw(&srv, b, "default", 1, &k), 0);
  draw_fails(&srv, a, "default", 1, KD_FAILED_PRECONDITION, NULL);
  /* Now the restore passes, advancing only the session still fenced. */
  ck_assert_int_eq(kd_service_restore(&srv, 1000, &advanced, &t, &err), 0);
  ck_assert_uint_eq(advanced, 1);
  settle(t);
  ck_assert_uint_eq(stream_of(a, "default").count, 1000);
  ck_assert_uint_eq(stream_of(b, "default").count, 1);
  kd_session_release(a);
  kd_session_release(b);
  server_close(&srv);
  remove_dir(dir);
  remove_dir(copy);
}
END_TEST

static Suite *session_suite(void) {
  Suite *s = suite_create("session");
  TCase *mem = tcase_create("memory");
  tcase_add_test(mem, create_builds_the_readme_model);
  tcase_add_test(mem, draws_give_flax_keys_and_counts);
  tcase_add_test(mem, a_draw_never_passes_the_last_count);
  tcase_add_test(mem, a_deleted_session_answers_not_found);
  tcase_add_test(mem, reseed_restarts_the_named_streams_only);
  tcase_add_test(mem, forward_draws_for_dropout_only);
  tcase_add_test(mem, input_dtype_follows_the_first_layer);
  tcase_add_test(mem, forward_without_a_model_is_409);
  suite_add_tcase(s, mem);
  TCase *strict = tcase_create("strict");
  tcase_set_timeout(strict, 120);
  tcase_add_test(strict, strict_sessions_survive_a_restart);
  tcase_add_test(strict, held_streams_are_session_state);
  tcase_add_test(strict, a_restored_snapshot_is_fenced_until_advanced);
  tcase_add_test(strict, restore_is_all_or_nothing);
  suite_add_tcase(s, strict);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(session_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
