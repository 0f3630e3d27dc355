/* The allocation-failure sweep (SQLite's malloc test, for keyfoldd).
 *
 * A fixed script of requests covers every route. For request i of the
 * script, the sweep rebuilds the server, replays requests 0..i-1, and then
 * runs request i again and again, failing its 1st, 2nd, 3rd, … allocation
 * (in the daemon, the library and jansson alike), until a run reaches no
 * k-th allocation. Each run with a failure must
 *   - answer exactly as the run without one (the failure was absorbed), or
 *     with a well-formed JSON error, and then
 *   - change nothing: the sessions, their streams and parameters read back
 *     exactly as before the request;
 * and under AddressSanitizer nothing may leak. With --durability strict the
 * same runs go through a real SQLite store (changes recorded, tickets
 * waited for), and a second pass fails the store's writes and fsyncs
 * instead of allocations: the request must answer 503 (or succeed if its
 * change needed no write), and once the disk heals, the store reopened in
 * a fresh server must read back exactly what memory holds.
 *
 * Allocations are counted on the dispatching thread only (the store's
 * writer thread is not the request's). The daemon and the library are
 * compiled into this program and linked with --wrap=malloc,… so their
 * calls land in the hooks of tests/faults/alloc_hooks.c, and so do
 * jansson's (kd_json_setup routes them through the daemon's own malloc
 * calls). The failing disk is tests/faults/fault_vfs.c.
 *
 *   alloc_sweep [--strict DIR] [--verbose]
 * prints the number of runs, failures injected and distinct allocation
 * sites reached, and exits non-zero on the first violation.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "router.h"
#include "server.h"
#include "session.h"

#include "alloc_hooks.h" /* tests/faults/ */
#include "fault_vfs.h"
#include "test_server.h"

/* ------------------------------------------------------------ the script */

typedef struct step {
  const char *method, *path, *body;
  const char *content_type; /* NULL: application/json when there is a body */
  const char *accept;
} step;

#define MLP \
  "{\"layers\":[{\"type\":\"linear\",\"in_features\":2,\"out_features\":3},{\"type\":\"relu\"}," \
  "{\"type\":\"dropout\",\"rate\":0.5}]}"

/* A .npy float32 array of shape (1, 2), [[1.0, 1.0]], as numpy.save
 * writes it (built by make_npy: a 10-byte preamble and a header padded to
 * 64 bytes). */
#define NPY_BODY "(npy)"
static char npy_ones[256];
static size_t npy_len;

static void make_npy(void) {
  static const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }";
  const size_t header = 128 - 10; /* the dict, spaces, '\n' */
  memcpy(npy_ones, "\x93NUMPY\x01\x00", 8);
  npy_ones[8] = (char)(header & 0xff);
  npy_ones[9] = (char)(header >> 8);
  memset(npy_ones + 10, ' ', header);
  memcpy(npy_ones + 10, dict, sizeof dict - 1);
  npy_ones[10 + header - 1] = '\n';
  const float ones[2] = {1.0f, 1.0f};
  memcpy(npy_ones + 128, ones, sizeof ones);
  npy_len = 128 + sizeof ones;
}

static const step script[] = {
    {"POST", "/v1/sessions", "{\"name\":\"exp1\",\"rngs\":{\"params\":0,\"dropout\":42},\"model\":" MLP "}", 0, 0},
    {"POST", "/v1/sessions", "{\"name\":\"doc\",\"rngs\":{\"default\":100,\"params\":42}}", 0, 0},
    {"POST", "/v1/sessions",
     "{\"name\":\"emb\",\"rngs\":{\"params\":1},\"model\":{\"layers\":[{\"type\":\"embed\",\"num_embeddings\":5,"
     "\"features\":4},{\"type\":\"gelu\"}]},\"options\":{\"threefry\":\"legacy\"}}",
     0, 0},
    {"GET", "/v1/sessions", NULL, 0, 0},
    {"GET", "/v1/sessions/exp1", NULL, 0, 0},
    {"POST", "/v1/sessions/doc/keys", "{\"stream\":\"params\",\"n\":3}", 0, 0},
    {"POST", "/v1/sessions/doc/keys", "{\"stream\":\"dropout\"}", 0, 0},
    {"POST", "/v1/sessions/doc/keys", "{}", 0, 0},
    {"POST", "/v1/sessions/exp1/sample", "{\"stream\":\"dropout\",\"distribution\":\"normal\",\"shape\":[2,3]}", 0, 0},
    {"POST", "/v1/sessions/exp1/sample",
     "{\"distribution\":\"truncated_normal\",\"lower\":[-1,0],\"upper\":[[1],[2],[3]]}", 0, 0},
    {"POST", "/v1/sessions/exp1/sample", "{\"distribution\":\"uniform\",\"shape\":[4],\"stream\":\"params\"}", 0,
     "application/x-npy"},
    {"POST", "/v1/sessions/exp1/sample",
     "{\"stream\":\"params\",\"initializer\":\"variance_scaling\",\"shape\":[3,4],\"distribution\":\"uniform\"}", 0,
     0},
    {"POST", "/v1/sessions/exp1/forward", "{\"x\":[[1.0,1.0],[2.0,-1.0]]}", 0, 0},
    {"POST", "/v1/sessions/exp1/forward", "{\"x\":[[1.0,1.0]],\"deterministic\":true}", 0, 0},
    {"POST", "/v1/sessions/exp1/forward", NPY_BODY, "application/x-npy", "application/x-npy"},
    {"POST", "/v1/sessions/emb/forward", "{\"x\":[[0,4],[-1,2]]}", 0, 0},
    {"POST", "/v1/sessions/exp1/reseed", "{\"streams\":{\"dropout\":42}}", 0, 0},
    {"POST", "/v1/sessions",
     "{\"name\":\"era12\",\"rngs\":{\"default\":0,\"dropout\":1},\"model\":{\"layers\":[{\"type\":"
     "\"linear\",\"in_features\":2,\"out_features\":3},{\"type\":\"dropout\",\"rate\":0.5},{\"type\":"
     "\"dropout\",\"rate\":0.5,\"rng_collection\":\"noise\"}]},\"options\":{\"flax\":\"0.12\"}}",
     0, 0},
    {"POST", "/v1/sessions/era12/forward", "{\"x\":[[1.0,1.0]]}", 0, 0},
    {"POST", "/v1/sessions/era12/reseed", "{\"streams\":{\"dropout\":4,\"default\":5},\"target\":\"model\"}", 0,
     0},
    {"POST", "/v1/sessions/era12/reseed", "{\"streams\":{\"dropout\":4},\"policy\":\"match_shape\"}", 0, 0},
    {"POST", "/v1/sessions/era12/fork", "{\"name\":\"era12-child\",\"model\":" MLP "}", 0, 0},
    {"GET", "/v1/sessions/era12", NULL, 0, 0},
    {"POST", "/v1/sessions/exp1/fork", "{\"name\":\"worker\",\"model\":" MLP "}", 0, 0},
    {"POST", "/v1/sessions/doc/fork", "{\"name\":\"doc-child\",\"streams\":[\"params\"]}", 0, 0},
    {"GET", "/v1/sessions/exp1/params", NULL, 0, 0},
    {"GET", "/v1/sessions/emb/params", NULL, 0, 0},
    {"POST", "/v1/random/key", "{\"seed\":42}", 0, 0},
    {"POST", "/v1/random/fold_in", "{\"key\":[0,0],\"data\":7}", 0, 0},
    {"POST", "/v1/random/split", "{\"key\":[0,1],\"num\":[2,2]}", 0, 0},
    {"POST", "/v1/random/normal", "{\"key\":[0,42],\"shape\":[3]}", 0, 0},
    {"POST", "/v1/random/permutation", "{\"key\":[0,3],\"n\":10}", 0, "application/x-npy"},
    {"POST", "/v1/random/bits", "{\"key\":[0,3],\"shape\":[5],\"bit_width\":64,\"threefry\":\"legacy\"}", 0, 0},
    /* array parameters: nested lists and Tensor objects, broadcast (allocations of the
     * values, the broadcast copies and the output) */
    {"POST", "/v1/random/uniform",
     "{\"key\":[0,5],\"shape\":[2,3],\"minval\":[0,10,100],\"maxval\":[[1],[200]]}", 0, 0},
    {"POST", "/v1/random/truncated_normal",
     "{\"key\":[0,5],\"lower\":{\"shape\":[3],\"data\":[-1,0,2]},\"upper\":[[1],[3]]}", 0,
     "application/x-npy"},
    {"POST", "/v1/random/randint", "{\"key\":[0,5],\"minval\":[[0],[7]],\"maxval\":[5,9,100]}", 0, 0},
    {"POST", "/v1/random/bernoulli", "{\"key\":[0,5],\"p\":[0.5,1e-8],\"shape\":[3,2],\"mode\":\"high\"}",
     0, 0},
    {"POST", "/v1/random/uniform", "{\"key\":[0,5],\"minval\":[0,1],\"shape\":[3]}", 0, 0},
    {"GET", "/v1/random", NULL, 0, 0},
    {"POST", "/v1/init/lecun_normal", "{\"key\":[1797259609,2579123966],\"shape\":[2,3]}", 0, 0},
    {"POST", "/v1/init/variance_scaling",
     "{\"key\":[0,1],\"shape\":[3,4],\"scale\":2.0,\"mode\":\"fan_avg\",\"distribution\":\"uniform\"}", 0, 0},
    {"GET", "/v2/models/exp1", NULL, 0, 0},
    {"POST", "/v2/models/exp1/infer",
     "{\"id\":\"r1\",\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,1]}]}", 0, 0},
    {"GET", "/metrics", NULL, 0, 0},
    {"GET", "/v2/health/ready", NULL, 0, 0},
    {"POST", "/v1/sessions/exp1/keys", "{\"stream\":\"nope_no_default\"}", 0, 0},
    {"POST", "/v1/sessions", "{\"name\":\"doc\",\"rngs\":{}}", 0, 0},
    {"POST", "/v1/sessions/exp1/reseed", "{\"streams\":{\"missing\":1}}", 0, 0},
    {"POST", "/v1/sessions/exp1/forward", "{\"x\":[[1.0,1.0,1.0]]}", 0, 0},
    {"DELETE", "/v1/sessions/doc", NULL, 0, 0},
    {"POST", "/v1/sessions/doc/keys", "{}", 0, 0},
    {"POST", "/v1/admin/snapshot", "{}", 0, 0},
};
#define SCRIPT_LEN (sizeof script / sizeof script[0])

/* ------------------------------------------------------------ the server */

static kd_server srv;
static const char *store_dir; /* strict mode when set */
static int verbose;

static void server_open(void) {
  memset(&srv, 0, sizeof srv);
  kd_config_defaults(&srv.cfg);
  srv.cfg.log_level = KD_LOG_ERROR;
  srv.cfg.max_elements = 1 << 16;
  srv.cfg.max_sessions = 64;
  char msg[1024];
  if (kf_server_open(&srv, store_dir, msg, sizeof msg) != 0) {
    fprintf(stderr, "alloc_sweep: cannot open the store: %s\n", msg);
    exit(2);
  }
}

static void server_close(void) { kf_server_close(&srv); }

static void remove_store(void) {
  if (store_dir) kf_store_remove(store_dir);
}

typedef struct reply {
  int status;
  char *body;
  size_t len;
  char content_type[64];
} reply;

static void reply_free(reply *r) {
  free(r->body);
  r->body = NULL;
}

/* Runs one request; waits for its ticket (strict). */
static void run(const step *st, reply *out) {
  const int is_npy = st->body && strcmp(st->body, NPY_BODY) == 0;
  kd_http_input in = {
      .method = st->method,
      .path = st->path,
      .content_type = st->body ? (st->content_type ? st->content_type : "application/json") : NULL,
      .accept = st->accept,
      .body = is_npy ? npy_ones : st->body,
      .body_len = st->body ? (is_npy ? npy_len : strlen(st->body)) : 0,
  };
  kd_response res;
  kd_response_init(&res);
  size_t route;
  kd_dispatch(&srv, &in, &res, &route);
  const int paused = kf_alloc_pause();
  if (res.ticket && !kd_ticket_wait(res.ticket)) {
    /* The transport answers a failed ticket with 503 (http.c). */
    kd_err err;
    kd_fail(&err, KD_UNAVAILABLE, "the change could not be made durable");
    kd_respond_error(&res, &err, 0);
  }
  kf_alloc_resume(paused);
  out->status = res.status;
  const char *body = res.static_body ? res.static_body : res.body.data ? res.body.data : "";
  out->len = res.static_body ? strlen(res.static_body) : res.body.len;
  out->body = __real_malloc(out->len + 1);
  memcpy(out->body, body, out->len);
  out->body[out->len] = '\0';
  snprintf(out->content_type, sizeof out->content_type, "%s", res.content_type ? res.content_type : "");
  kd_response_free(&res);
}

/* Everything a client can read of the server's state, as one string. */
static char *digest(void) {
  static const step list = {"GET", "/v1/sessions", NULL, 0, 0};
  reply r;
  run(&list, &r);
  json_t *v = json_loads(r.body, 0, NULL);
  size_t cap = r.len + 1, len = 0;
  char *out = __real_malloc(cap);
  memcpy(out, r.body, r.len + 1);
  len = r.len;
  reply_free(&r);
  const json_t *names = json_object_get(v, "sessions");
  for (size_t i = 0; i < json_array_size(names); i++) {
    char path[300];
    const char *suffixes[] = {"", "/params"};
    for (size_t k = 0; k < 2; k++) {
      snprintf(path, sizeof path, "/v1/sessions/%s%s", json_string_value(json_array_get(names, i)), suffixes[k]);
      const step get = {"GET", path, NULL, 0, 0};
      run(&get, &r);
      out = __real_realloc(out, cap = len + r.len + 2);
      out[len++] = '\n';
      memcpy(out + len, r.body, r.len + 1);
      len += r.len;
      reply_free(&r);
    }
  }
  json_decref(v);
  return out;
}

/* ------------------------------------------------------------ checks */

static void die(size_t i, uint64_t k, const reply *r, const char *fmt, ...) __attribute__((format(printf, 4, 5), noreturn));
static void die(size_t i, uint64_t k, const reply *r, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "\nalloc_sweep: VIOLATION at step %zu (%s %s), failing allocation %llu: ", i, script[i].method,
          script[i].path, (unsigned long long)k);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (r) fprintf(stderr, "\n  reply %d %s: %.600s", r->status, r->content_type, r->body);
  fprintf(stderr, "\n");
  exit(1);
}

/* A well-formed error reply: JSON, {"error": {"code", "message"}} or the
 * Open Inference Protocol's {"error": "…"}, with a 4xx/5xx status. */
static int is_error_reply(const reply *r) {
  if (r->status < 400 || strncmp(r->content_type, "application/json", 16) != 0) return 0;
  json_t *v = json_loads(r->body, 0, NULL);
  const json_t *e = json_object_get(v, "error");
  const int ok = json_is_string(e) ||
                 (json_is_object(e) && json_is_string(json_object_get(e, "code")) &&
                  json_string_length(json_object_get(e, "message")) > 0);
  json_decref(v);
  return ok;
}

static int same_reply(const step *st, const reply *a, const reply *b) {
  if (a->status != b->status || strcmp(a->content_type, b->content_type) != 0) return 0;
  /* The metrics hold timings and a snapshot's name the time: their status
   * and type are what is compared. */
  const int timed = strcmp(st->path, "/metrics") == 0 || strcmp(st->path, "/v1/admin/snapshot") == 0;
  return timed || (a->len == b->len && memcmp(a->body, b->body, a->len) == 0);
}

/* Fresh server with steps 0..i-1 applied. */
static void prepare(size_t i) {
  remove_store();
  server_open();
  for (size_t j = 0; j < i; j++) {
    reply r;
    run(&script[j], &r);
    reply_free(&r);
  }
}

static uint64_t runs, failures, absorbed, io_refused;

static void sweep_step(size_t i) {
  prepare(i);
  reply want;
  char *before = digest();
  run(&script[i], &want);
  char *after = digest();
  server_close();
  for (uint64_t k = 1;; k++) {
    prepare(i);
    char *b = digest();
    if (strcmp(b, before) != 0) die(i, k, NULL, "replaying the script is not deterministic");
    free(b);
    reply got;
    kf_alloc_arm(k);
    run(&script[i], &got);
    const int hit = kf_alloc_disarm();
    runs++;
    char *now = digest();
    if (!hit) {
      if (!same_reply(&script[i], &got, &want)) die(i, k, &got, "without a failure the reply differs from the first run");
      free(now);
      reply_free(&got);
      server_close();
      if (verbose) fprintf(stderr, "step %2zu %-6s %-40s %3llu allocations\n", i, script[i].method, script[i].path,
                           (unsigned long long)(k - 1));
      break;
    }
    failures++;
    if (same_reply(&script[i], &got, &want)) {
      absorbed++;
      if (strcmp(now, after) != 0) die(i, k, &got, "the reply is the normal one but the state differs");
    } else {
      if (!is_error_reply(&got)) die(i, k, &got, "neither the normal reply nor a JSON error");
      if (got.status != 503 && got.status != want.status)
        die(i, k, &got, "an out-of-memory failure answered %d (the normal reply is %d)", got.status, want.status);
      if (strcmp(now, before) != 0) die(i, k, &got, "a failed request changed the state:\n  before %.400s\n  after  %.400s", before, now);
    }
    free(now);
    reply_free(&got);
    server_close();
  }
  reply_free(&want);
  free(before);
  free(after);
}

/* Strict mode: the store's writes fail while request i runs. A request
 * whose change needed a commit answers 503; once the disk heals, the store
 * reopened in a fresh server holds exactly what memory shows. */
static void io_step(size_t i) {
  prepare(i);
  reply r;
  kf_fault_io_set(1);
  run(&script[i], &r);
  kf_fault_io_set(0);
  if (r.status >= 400 && !is_error_reply(&r)) die(i, 0, &r, "a failed commit's reply is not a JSON error");
  if (r.status == 503) io_refused++;
  /* Let the writer's retry land, then compare memory with the disk. */
  static const step probe = {"POST", "/v1/random/key", "{\"seed\":1}", 0, 0};
  reply p;
  for (int t = 0; t < 100 && !kd_durable_healthy(srv.durable); t++) {
    usleep(20000);
    run(&probe, &p);
    reply_free(&p);
  }
  if (!kd_durable_healthy(srv.durable)) die(i, 0, &r, "the store did not recover after the disk healed");
  /* A creation whose commit failed was withdrawn: memory and disk agree on that too. */
  char *memory = digest();
  server_close();
  server_open();
  char *disk = digest();
  if (strcmp(memory, disk) != 0) die(i, 0, &r, "after a failed commit memory and disk differ:\n  memory %.500s\n  disk   %.500s", memory, disk);
  runs++;
  free(memory);
  free(disk);
  reply_free(&r);
  server_close();
}

int main(int argc, char **argv) {
  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "--strict") == 0 && a + 1 < argc)
      store_dir = argv[++a];
    else if (strcmp(argv[a], "--verbose") == 0)
      verbose = 1;
    else {
      fprintf(stderr, "usage: alloc_sweep [--strict DIR] [--verbose]\n");
      return 2;
    }
  }
  make_npy();
  kd_json_setup();
  if (store_dir) {
    mkdir(store_dir, 0700);
    kf_fault_vfs_install();
  }
  for (size_t i = 0; i < SCRIPT_LEN; i++) sweep_step(i);
  if (store_dir)
    for (size_t i = 0; i < SCRIPT_LEN; i++) io_step(i);
  remove_store();
  if (store_dir) rmdir(store_dir);
  /* Every change of the script needs a commit: if none was refused, the
   * disk faults never reached the store and the pass proved nothing. */
  if (store_dir && io_refused < 10) {
    fprintf(stderr, "alloc_sweep: only %llu requests met the failing disk\n", (unsigned long long)io_refused);
    return 1;
  }
  printf("alloc_sweep (%s): %zu requests, %llu runs, %llu allocation failures injected (%llu absorbed), "
         "%zu distinct allocation sites, %llu requests answered 503 on a failing disk\n",
         store_dir ? "strict" : "memory", SCRIPT_LEN, (unsigned long long)runs, (unsigned long long)failures,
         (unsigned long long)absorbed, kf_alloc_sites(), (unsigned long long)io_refused);
  return 0;
}
