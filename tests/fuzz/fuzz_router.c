/* keyfoldd — libFuzzer harness for the request router (kd_dispatch).
 *
 * It drives everything after the HTTP layer in-process: route matching,
 * media type, JSON parsing, every handler and the error bodies.
 *
 * Input format (docs/testing.md, "Fuzzing"): the input is split at its
 * first three '\n' bytes into
 *
 *     METHOD \n PATH \n CONTENT-TYPE \n BODY…
 *
 * A missing field is empty. An empty method becomes "GET", a path that does
 * not start with '/' gets one prepended, an empty content type means "no
 * Content-Type header". A '?' in the path starts the query: "a=1&b" gives
 * the parameters {a, 1} and {b, no value} (not percent-decoded). A tab in
 * the content-type field starts the Accept header: "application/json\t
 * application/x-npy" (an empty content type before the tab still means none).
 * The body is the rest of the input, bytes as they are.
 * A method that starts with '!' ("!POST") asks for a failing disk: in store
 * mode (below) the request runs with the store's writes and fsyncs failing
 * (tests/faults/fault_vfs.c); the '!' is dropped in every mode.
 * An input that starts with "MULT" holds several such requests separated by
 * "\n--\n" (one '\n' right after "MULT" is skipped, so seeds can start the
 * first request on a line of its own); they run in order against the same
 * server, so one input can create a session and then use it. After every
 * input all sessions are deleted, so inputs are independent of each other.
 *
 * After every request the harness checks these invariants and abort()s (so
 * the fuzzer reports the input) when one does not hold:
 *   - the status is in 200..599; a non-empty body is NUL-terminated at len;
 *   - a JSON body has no raw NUL byte;
 *   - status >= 400: the body is a JSON object (valid UTF-8, no duplicate
 *     keys) with an "error" member: a string (the Open Inference Protocol
 *     form) on the protocol's routes (/v2, /v2/models/…) and, when no route
 *     matched, on paths under /v2/models; elsewhere an object with a string
 *     "code" that names the response's status and a non-empty "message";
 *   - 2xx application/json responses are a JSON object; 204 has no body;
 *   - a 2xx application/x-npy response is a .npy file that kd_npy_parse
 *     reads back, with no trailing bytes, on a route that negotiates
 *     (KD_ROUTE_NEGOTIATE); only such routes answer 406 or send Vary, and
 *     Keyfold-* headers come only with .npy replies;
 *   - 405 has a non-empty Allow value, other statuses none; 401 and only
 *     401 asks for WWW-Authenticate; in memory mode no reply waits for a
 *     commit (no persistence, no bearer token);
 *   - a request that fails (>= 400) changes no session (api.md: "A request
 *     that fails changes nothing"): the store is compared before and after
 *     (in store mode except a 503 for a commit that failed: its outcome is
 *     unknown, durability.c applies the change again);
 *   - the stateless routes (/v1/random/…, /v1/init/…) answer a repeated
 *     request with the same bytes.
 *
 * Store mode (KF_FUZZ_STORE=DIR in the environment, any build): every input
 * runs against a fresh strict durable store in DIR (SQLite through the
 * failing-disk VFS) and every reply waits for its ticket (a failed one
 * becomes the 503 the HTTP layer sends). Further invariants: a 2xx reply
 * that changed a session waited for a commit (it is durable); after the
 * input the disk heals, the store becomes healthy again, and a fresh server
 * opened on it reads back exactly the sessions, streams and parameters that
 * memory shows.
 *
 * Allocation-failure mode (the fuzz_replay_alloc build, -DKF_FUZZ_ALLOC,
 * the daemon and library compiled in with --wrap=malloc,…;
 * tests/faults/alloc_hooks.c): for every request j of an input and
 * k = 1, 2, …, a fresh server replays requests 0..j-1 and runs request j
 * failing its k-th allocation, until a run reaches no k-th allocation. On
 * top of the invariants above, such a run answers exactly what the run
 * without a failure answered (then the sessions are as after that run), or
 * an error: 503, or the status the normal run had. Memory mode only.
 *
 * With KF_FUZZ_TRACE set in the environment every request is printed with
 * its status and the start of its body (to check what a seed exercises).
 *
 * This file never defines main(): libFuzzer provides it, or replay.c does in
 * the fuzz_replay builds (compiled with -DKF_FUZZ_REPLAY) for compilers
 * without libFuzzer — the fuzz_corpus, fuzz_corpus_store and
 * fuzz_corpus_alloc tests.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "handlers.h"
#include "metrics.h"
#include "npy.h"
#include "router.h"
#include "server.h"
#include "session.h"
#include "store.h"

#include "fault_vfs.h" /* tests/faults/ */
#include "test_server.h"
#ifdef KF_FUZZ_ALLOC
#include "alloc_hooks.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void kf_fuzz_teardown(void);
void kf_fuzz_summary(FILE *out);

/* Limits small enough that every run stays fast and its memory bounded. */
#define FUZZ_MAX_SESSIONS 64
#define FUZZ_MAX_ELEMENTS 4096
#define FUZZ_MAX_MODEL_PARAMS 65536
#define FUZZ_MAX_BODY 65536

/* Requests of one MULT input beyond this are ignored. */
#define FUZZ_MAX_REQUESTS 128

static const char MULT_MAGIC[] = "MULT";
static const char MULT_SEPARATOR[] = "\n--\n";

static kd_server srv;
static int initialised; /* the one-time set-up is done */
static int server_up;   /* srv is open */
static int trace;       /* KF_FUZZ_TRACE set: print every request and its status */
static const char *store_dir; /* KF_FUZZ_STORE: store mode */
static char context[160];     /* where the harness is (alloc mode), for reports */

static struct {
  unsigned long long inputs, requests, runs, alloc_failures, absorbed;
  unsigned long long disk_requests, disk_refused, commits_waited, store_checks;
} stats;

/* ------------------------------------------------------------ the server */

static void server_open(void) {
  memset(&srv, 0, sizeof srv);
  kd_config_defaults(&srv.cfg);
  srv.cfg.max_sessions = FUZZ_MAX_SESSIONS;
  srv.cfg.max_elements = FUZZ_MAX_ELEMENTS;
  srv.cfg.max_model_params = FUZZ_MAX_MODEL_PARAMS;
  srv.cfg.max_body = FUZZ_MAX_BODY;
  srv.cfg.log_level = KD_LOG_ERROR;
  /* Memory mode, or strict durability over a SQLite store (through the
   * fault VFS) in store mode; no bearer token. */
  char msg[1024];
  if (kf_server_open(&srv, store_dir, msg, sizeof msg) != 0) {
    fprintf(stderr, "fuzz_router: cannot open the server%s%s: %s\n", store_dir ? " on " : "",
            store_dir ? store_dir : "", msg);
    abort();
  }
  server_up = 1;
}

static void server_close(void) {
  if (!server_up) return;
  kf_server_close(&srv);
  server_up = 0;
}

static void remove_store(void) {
  if (store_dir) kf_store_remove(store_dir);
}

#ifndef KF_FUZZ_REPLAY
static void print_summary(void) { kf_fuzz_summary(stderr); }
#endif

static void fuzz_init(void) {
  trace = getenv("KF_FUZZ_TRACE") != NULL;
  const char *dir = getenv("KF_FUZZ_STORE");
  if (dir && *dir) {
#ifdef KF_FUZZ_ALLOC
    fprintf(stderr, "fuzz_router: the allocation-failure mode runs in memory only; unset KF_FUZZ_STORE\n");
    exit(2);
#else
    store_dir = dir;
    mkdir(store_dir, 0700);
    kf_fault_vfs_install();
    remove_store();
#endif
  }
  kd_json_setup();
  initialised = 1;
#ifndef KF_FUZZ_REPLAY
  /* Under libFuzzer (which exits through exit()) the totals come last. */
  atexit(print_summary);
#endif
}

/* Frees the server (replay.c calls it before exiting, so LeakSanitizer
 * sees a clean heap; under libFuzzer the server lives until exit). */
void kf_fuzz_teardown(void) {
  if (!initialised) return;
  server_close();
  if (store_dir) {
    remove_store();
    rmdir(store_dir);
  }
  initialised = 0;
}

/* The totals of the run (replay.c prints them at the end). */
void kf_fuzz_summary(FILE *out) {
#ifdef KF_FUZZ_ALLOC
  fprintf(out,
          "fuzz_router (allocation failures): %llu inputs, %llu requests, %llu runs, %llu allocation "
          "failures injected (%llu absorbed), %zu distinct allocation sites\n",
          stats.inputs, stats.requests, stats.runs, stats.alloc_failures, stats.absorbed, kf_alloc_sites());
#else
  if (store_dir)
    fprintf(out,
            "fuzz_router (store): %llu inputs, %llu requests (%llu commits waited for), %llu on a failing "
            "disk (%llu answered 503), %llu I/O failures injected, %llu stores reopened and compared\n",
            stats.inputs, stats.requests, stats.commits_waited, stats.disk_requests, stats.disk_refused,
            kf_fault_io_injected(), stats.store_checks);
  else
    fprintf(out, "fuzz_router (memory): %llu inputs, %llu requests\n", stats.inputs, stats.requests);
#endif
}

/* ------------------------------------------------------------ invariants */

typedef struct request {
  const char *method;
  const char *path;
  const char *content_type; /* NULL: no header */
  const char *accept;       /* NULL: no header */
} request;

static void violation(const request *rq, const kd_response *res, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* The reply's body: the static one or the buffer. */
static const char *body_of(const kd_response *res, size_t *len) {
  if (res->static_body) {
    *len = strlen(res->static_body);
    return res->static_body;
  }
  *len = res->body.len;
  return res->body.data ? res->body.data : "";
}

static void violation(const request *rq, const kd_response *res, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "\nfuzz_router: INVARIANT VIOLATED: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (context[0]) fprintf(stderr, "\n  at: %s", context);
  if (rq)
    fprintf(stderr, "\n  request: %s %s (Content-Type: %s, Accept: %s)", rq->method, rq->path,
            rq->content_type ? rq->content_type : "none", rq->accept ? rq->accept : "none");
  fprintf(stderr, "\n");
  if (res) {
    size_t len;
    const char *body = body_of(res, &len);
    fprintf(stderr, "  response: %d, Content-Type %s, Allow '%s', %zu bytes: %.*s\n", res->status,
            res->content_type ? res->content_type : "(null)", res->allow, len, (int)(len > 2000 ? 2000 : len),
            body);
  }
  abort();
}

static int is_json_type(const char *ct) { return ct && strncmp(ct, "application/json", 16) == 0; }

/* Parses the body strictly: valid UTF-8, no duplicate keys, one object. */
static json_t *parse_object(const request *rq, const kd_response *res) {
  json_error_t jerr;
  size_t len;
  const char *body = body_of(res, &len);
  json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!v) violation(rq, res, "the body is not valid JSON: %s (line %d column %d)", jerr.text, jerr.line, jerr.column);
  if (!json_is_object(v)) {
    json_decref(v);
    violation(rq, res, "the body is JSON but not an object");
  }
  return v;
}
/* The Open Inference Protocol's error form is used on its routes (/v2…)
 * and, when no route matched, on paths under /v2/models. */
static void check_error_body(const request *rq, const kd_response *res, size_t route) {
  if (!is_json_type(res->content_type)) violation(rq, res, "an error response is not application/json");
  json_t *v = parse_object(rq, res);
  const json_t *e = json_object_get(v, "error");
  const int oip = route < kd_route_count ? (kd_routes[route].flags & KD_ROUTE_OIP) != 0
                                         : strncmp(rq->path, "/v2/models", 10) == 0;
  const char *problem = NULL;
  if (!e) {
    problem = "the error body has no \"error\" member";
  } else if (oip) {
    if (!json_is_string(e)) problem = "the Open Inference Protocol error is not a string";
  } else if (!json_is_object(e)) {
    problem = "\"error\" is not an object";
  } else {
    const json_t *code = json_object_get(e, "code");
    const json_t *msg = json_object_get(e, "message");
    if (!json_is_string(code)) {
      problem = "error.code is not a string";
    } else if (!json_is_string(msg) || json_string_length(msg) == 0) {
      problem = "error.message is not a non-empty string";
    } else {
      int known = 0;
      for (int c = KD_INVALID_ARGUMENT; c <= KD_UNAVAILABLE; c++) {
        if (strcmp(kd_code_name((kd_code)c), json_string_value(code)) == 0 &&
            kd_code_status((kd_code)c) == res->status)
          known = 1;
      }
      if (!known) problem = "error.code is not a code of the response's status";
    }
  }
  json_decref(v);
  if (problem) violation(rq, res, "%s", problem);
}

/* .npy replies, 406 and Vary belong to the routes that negotiate. */
static void check_negotiation(const request *rq, const kd_response *res, size_t route) {
  const int negotiates = route < kd_route_count && (kd_routes[route].flags & KD_ROUTE_NEGOTIATE);
  const int npy = res->content_type && strcmp(res->content_type, KD_NPY_MEDIA_TYPE) == 0;
  if (npy) {
    if (res->status < 200 || res->status > 299) violation(rq, res, "a .npy reply with status %d", res->status);
    if (!negotiates) violation(rq, res, "a .npy reply from a route that does not negotiate");
    kd_npy parsed;
    kd_err err;
    if (kd_npy_parse(res->body.data, res->body.len, "reply", UINT64_MAX, &parsed, &err) != 0)
      violation(rq, res, "the .npy reply does not parse: %s", err.message);
  }
  if (res->status == 406 && !negotiates) violation(rq, res, "406 from a route that does not negotiate");
  if (res->vary_accept != negotiates)
    violation(rq, res, "Vary: Accept %s on a route that %s", res->vary_accept ? "sent" : "missing",
              negotiates ? "negotiates" : "does not negotiate");
  /* The console's files (h_ui.c) come with their caching and security
   * headers and nothing else. */
  const int ui_file = route < kd_route_count && kd_routes[route].handler == kd_h_ui && res->status == 200;
  for (size_t i = 0; i < res->n_headers; i++) {
    const char *name = res->headers[i].name;
    if (ui_file ? strcmp(name, "Cache-Control") != 0 && strcmp(name, "Content-Security-Policy") != 0 &&
                      strcmp(name, "X-Content-Type-Options") != 0
                : !npy || strncmp(name, "Keyfold-", 8) != 0)
      violation(rq, res, "header %s on a reply that is not .npy%s", name,
                ui_file ? " (nor a console file's)" : "");
    if (strpbrk(res->headers[i].value, "\r\n")) violation(rq, res, "a header value with a line break");
  }
}

static void check_response(const request *rq, const kd_response *res, size_t route) {
  if (res->status < 200 || res->status > 599) violation(rq, res, "status %d outside 200..599", res->status);
  if (!res->content_type) violation(rq, res, "no content type");
  if (res->body.len > 0) {
    if (!res->body.data || res->body.data[res->body.len] != '\0')
      violation(rq, res, "the body is not NUL-terminated at its length");
    if (is_json_type(res->content_type) && memchr(res->body.data, '\0', res->body.len))
      violation(rq, res, "the JSON body contains a NUL byte");
  }
  if (res->static_body && (res->status < 400 || res->body.len > 0))
    violation(rq, res, "a static body on a reply that is not an error, or besides a body");
  if (res->status == 405 && res->allow[0] == '\0') violation(rq, res, "405 without Allow");
  if (res->status != 405 && res->allow[0] != '\0') violation(rq, res, "Allow on a %d response", res->status);
  if ((res->status == 401) != (res->www_authenticate != 0))
    violation(rq, res, "WWW-Authenticate must come with 401 and only with it");
  check_negotiation(rq, res, route);
  if (res->status >= 400) {
    check_error_body(rq, res, route);
  } else if (res->status == 204) {
    if (res->body.len != 0) violation(rq, res, "204 with a body");
  } else if (res->status < 300 && is_json_type(res->content_type)) {
    json_decref(parse_object(rq, res));
  }
}

/* The mutable state of every session — its name and each stream's name,
 * key and count, those its model holds (Flax 0.11+) included; parameters
 * never change after creation — in name order.
 * Read through the store rather than GET /v1/sessions/{name}, which costs
 * too much to run twice per request. Returns a malloc'd string. */
static char *snapshot(void) {
  kd_buf out;
  kd_buf_init(&out);
  size_t n = 0;
  char **names = kd_store_names(srv.store, &n);
  if (!names) abort();
  for (size_t i = 0; i < n; i++) {
    kd_session *s = kd_store_get(srv.store, names[i]);
    kd_buf_printf(&out, "%s:", names[i]);
    if (s) {
      pthread_mutex_lock(&s->lock);
      kf_stream_state st[KD_STREAMS_MAX];
      const size_t streams = kd_session_streams(s, st, NULL);
      for (size_t j = 0; j < streams; j++)
        kd_buf_printf(&out, " %s=[%lu,%lu]@%lu", st[j].name, (unsigned long)st[j].key.hi,
                      (unsigned long)st[j].key.lo, (unsigned long)st[j].count);
      pthread_mutex_unlock(&s->lock);
      kd_session_release(s);
    }
    kd_buf_putc(&out, '\n');
    free(names[i]);
  }
  free(names);
  kd_buf_putc(&out, '\0');
  if (kd_buf_failed(&out)) abort();
  return kd_buf_steal(&out, &n);
}

/* -------------------------------------------------------------- requests */

/* A NUL-terminated copy of n bytes, after an optional prefix. */
static char *copy_field(const uint8_t *p, size_t n, const char *prefix) {
  const size_t k = prefix ? strlen(prefix) : 0;
  char *s = malloc(k + n + 1);
  if (!s) abort();
  if (k) memcpy(s, prefix, k);
  if (n) memcpy(s + k, p, n);
  s[k + n] = '\0';
  return s;
}

/* One request of an input, parsed: METHOD\nPATH\nCONTENT-TYPE\nBODY. */
typedef struct prepared {
  char *method, *path, *ct, *accept, *body;
  size_t body_len;
  kd_query_arg query[KD_MAX_QUERY_ARGS];
  size_t n_query;
  int disk_fault; /* the method started with '!' */
} prepared;

/* Parses a request; 0 when it is skipped (a body the HTTP layer refuses). */
static int prepare(const uint8_t *data, size_t size, prepared *pr) {
  memset(pr, 0, sizeof *pr);
  const uint8_t *field[3];
  size_t len[3];
  const uint8_t *p = data, *end = data + size;
  for (int i = 0; i < 3; i++) {
    const uint8_t *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    field[i] = p;
    len[i] = nl ? (size_t)(nl - p) : (size_t)(end - p);
    p = nl ? nl + 1 : end;
  }
  const size_t body_len = (size_t)(end - p);
  /* The HTTP layer answers 413 itself before dispatching. */
  if (body_len > FUZZ_MAX_BODY) return 0;

  if (len[0] > 0 && field[0][0] == '!') {
    pr->disk_fault = 1;
    field[0]++;
    len[0]--;
  }
  pr->method = len[0] ? copy_field(field[0], len[0], NULL) : copy_field((const uint8_t *)"GET", 3, NULL);
  pr->path = copy_field(field[1], len[1], len[1] > 0 && field[1][0] == '/' ? NULL : "/");
  /* The query: split off and cut into parameters in place. */
  char *q = strchr(pr->path, '?');
  if (q) {
    *q++ = '\0';
    for (char *arg = q; arg; ) {
      char *next = strchr(arg, '&');
      if (next) *next++ = '\0';
      if (*arg) {
        char *eq = strchr(arg, '=');
        if (eq) *eq++ = '\0';
        if (pr->n_query < KD_MAX_QUERY_ARGS) pr->query[pr->n_query] = (kd_query_arg){arg, eq};
        pr->n_query++;
      }
      arg = next;
    }
  }
  /* Content type, then after a tab the Accept header. */
  const uint8_t *tab = len[2] ? memchr(field[2], '\t', len[2]) : NULL;
  const size_t ct_len = tab ? (size_t)(tab - field[2]) : len[2];
  pr->ct = ct_len ? copy_field(field[2], ct_len, NULL) : NULL;
  pr->accept = tab ? copy_field(tab + 1, len[2] - ct_len - 1, NULL) : NULL;
  /* An exact-size copy, so that ASan sees any read past the body. */
  pr->body = malloc(body_len ? body_len : 1);
  if (!pr->body) abort();
  if (body_len) memcpy(pr->body, p, body_len);
  pr->body_len = body_len;
  return 1;
}

static void prepared_free(prepared *pr) {
  free(pr->body);
  free(pr->accept);
  free(pr->ct);
  free(pr->path);
  free(pr->method);
  memset(pr, 0, sizeof *pr);
}

/* What one run of a request gave, for the allocation-failure comparison. */
typedef struct outcome {
  int status;
  const char *content_type;
  char *body; /* a NUL-terminated copy */
  size_t len;
  int timed;    /* /metrics: only the status and type are compared */
  int injected; /* an allocation failure was injected */
  char *before, *after; /* snapshot() around the request */
} outcome;

#ifdef KF_FUZZ_ALLOC
static void outcome_free(outcome *o) {
  free(o->body);
  free(o->before);
  free(o->after);
  memset(o, 0, sizeof *o);
}

static int same_reply(const outcome *a, const outcome *b) {
  if (a->status != b->status || strcmp(a->content_type, b->content_type) != 0) return 0;
  return a->timed || (a->len == b->len && memcmp(a->body, b->body, a->len) == 0);
}
#endif

/* Runs a prepared request and checks the invariants. fail_at > 0 (the
 * allocation-failure build) fails that allocation of the dispatch. With
 * out, what happened is kept there (the caller frees it). */
static void execute(const prepared *pr, uint64_t fail_at, outcome *out) {
  const request rq = {pr->method, pr->path, pr->ct, pr->accept};
  char *before = snapshot();
  const kd_http_input in = {.method = pr->method, .path = pr->path, .content_type = pr->ct,
                           .accept = pr->accept, .body = pr->body, .body_len = pr->body_len,
                           .query = pr->query, .n_query = pr->n_query};
  kd_response res;
  kd_response_init(&res);
  size_t route = 0;
  const int disk_fault = pr->disk_fault && store_dir;
  if (disk_fault) kf_fault_io_set(1);
  int injected = 0;
#ifdef KF_FUZZ_ALLOC
  if (fail_at) kf_alloc_arm(fail_at);
  kd_dispatch(&srv, &in, &res, &route);
  if (fail_at) injected = kf_alloc_disarm();
#else
  (void)fail_at;
  kd_dispatch(&srv, &in, &res, &route);
#endif
  stats.requests++;
  const int waited = res.ticket != NULL;
  int commit_failed = 0;
  if (res.ticket) {
    if (!store_dir) violation(&rq, &res, "a ticket to wait for in memory mode");
    stats.commits_waited++;
    if (!kd_ticket_wait(res.ticket)) {
      /* The transport answers a failed ticket with 503 (http.c). */
      commit_failed = 1;
      kd_err err;
      kd_fail(&err, KD_UNAVAILABLE, "the change could not be made durable (the store is failing); "
                                    "nothing was acknowledged, retry later");
      kd_respond_error(&res, &err, strncmp(pr->path, "/v2/models", 10) == 0);
    } else {
      kd_ticket_release(res.ticket);
      res.ticket = NULL;
    }
  }
  if (disk_fault) {
    kf_fault_io_set(0);
    stats.disk_requests++;
    if (res.status == 503) stats.disk_refused++;
  }
  if (route > kd_route_count) violation(&rq, &res, "route index %zu out of range", route);
  kd_metrics_observe(srv.metrics, route, res.status, 0.0005);
  if (trace)
    fprintf(stderr, "  %s%s %s -> %d%s %.*s\n", pr->disk_fault ? "!" : "", pr->method, pr->path, res.status,
            commit_failed ? " (commit failed)" : "", (int)(res.body.len > 160 ? 160 : res.body.len),
            res.body.data ? res.body.data : "");
  check_response(&rq, &res, route);
  if (!injected && (strncmp(pr->path, "/v1/random/", 11) == 0 || strncmp(pr->path, "/v1/init/", 9) == 0)) {
    /* Stateless routes are pure functions of the request: a second run must
     * give the same bytes (catches reads of uninitialised memory). */
    kd_response again;
    kd_response_init(&again);
    size_t route2 = 0;
    kd_dispatch(&srv, &in, &again, &route2);
    if (again.status != res.status || again.body.len != res.body.len ||
        (res.body.len && memcmp(again.body.data, res.body.data, res.body.len) != 0))
      violation(&rq, &res, "the same stateless request answered differently the second time: %d %.*s",
                again.status, (int)(again.body.len > 500 ? 500 : again.body.len),
                again.body.data ? again.body.data : "");
    kd_response_free(&again);
  }
  char *after = snapshot();
  const int changed = strcmp(before, after) != 0;
  /* A 503 for a failed commit leaves the outcome unknown: the change stays
   * in memory and is written again once the disk heals. */
  if (res.status >= 400 && changed && !commit_failed) {
    fprintf(stderr, "sessions before:\n%s\nsessions after:\n%s\n", before, after);
    violation(&rq, &res, "a failed request changed the sessions");
  }
  if (store_dir && res.status < 300 && changed && !waited) {
    fprintf(stderr, "sessions before:\n%s\nsessions after:\n%s\n", before, after);
    violation(&rq, &res, "a change was acknowledged without waiting for its commit (strict durability)");
  }
  if (out) {
    size_t len;
    const char *body = body_of(&res, &len);
    out->status = res.status;
    out->content_type = res.content_type;
    out->body = copy_field((const uint8_t *)body, len, NULL);
    out->len = len;
    out->timed = route < kd_route_count && strcmp(kd_routes[route].pattern, "/metrics") == 0;
    out->injected = injected;
    out->before = before;
    out->after = after;
  } else {
    free(before);
    free(after);
  }
  kd_response_free(&res);
}

#ifndef KF_FUZZ_ALLOC
/* Deletes every session, so the next input starts from an empty store. */
static void reset_store(void) {
  size_t n = 0;
  char **names = kd_store_names(srv.store, &n);
  if (!names) abort();
  for (size_t i = 0; i < n; i++) {
    kd_store_remove(srv.store, names[i], NULL);
    free(names[i]);
  }
  free(names);
  if (kd_store_count(srv.store) != 0) {
    fprintf(stderr, "fuzz_router: the store still holds sessions after deleting all\n");
    abort();
  }
}

/* ------------------------------------------------------------ store mode */

/* A GET through the router, its status and body appended to out. */
static void digest_get(kd_buf *out, const char *path) {
  const kd_http_input in = {.method = "GET", .path = path};
  kd_response res;
  kd_response_init(&res);
  size_t route = 0, len;
  kd_dispatch(&srv, &in, &res, &route);
  const char *body = body_of(&res, &len);
  kd_buf_printf(out, "GET %s -> %d ", path, res.status);
  kd_buf_append(out, body, len);
  kd_buf_putc(out, '\n');
  kd_response_free(&res);
}

/* Everything a client can read of the sessions: the list, each session and
 * its parameters, and the streams' keys and counts. Returns a malloc'd
 * string. */
static char *digest(void) {
  kd_buf out;
  kd_buf_init(&out);
  char *state = snapshot();
  kd_buf_printf(&out, "%sfenced %d\n", state, kd_service_fenced(&srv, NULL));
  free(state);
  digest_get(&out, "/v1/sessions");
  size_t n = 0;
  char **names = kd_store_names(srv.store, &n);
  if (!names) abort();
  for (size_t i = 0; i < n; i++) {
    kd_buf path;
    kd_buf_init(&path);
    kd_buf_printf(&path, "/v1/sessions/%s", names[i]);
    kd_buf_putc(&path, '\0');
    if (kd_buf_failed(&path)) abort();
    digest_get(&out, path.data);
    path.len--;
    kd_buf_printf(&path, "/params");
    kd_buf_putc(&path, '\0');
    if (kd_buf_failed(&path)) abort();
    digest_get(&out, path.data);
    kd_buf_free(&path);
    free(names[i]);
  }
  free(names);
  kd_buf_putc(&out, '\0');
  if (kd_buf_failed(&out)) abort();
  return kd_buf_steal(&out, &n);
}

/* After an input in store mode: the disk heals, the store recovers, and a
 * fresh server opened on it reads back what memory shows. */
static void store_check(void) {
  kf_fault_io_set(0);
  for (int t = 0; t < 500 && !kd_durable_healthy(srv.durable); t++)
    nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
  if (!kd_durable_healthy(srv.durable))
    violation(NULL, NULL, "the store did not become healthy within 10 s of the disk healing");
  char *memory = digest();
  server_close();
  server_open();
  char *disk = digest();
  if (strcmp(memory, disk) != 0) {
    fprintf(stderr, "memory:\n%s\nthe store reopened:\n%s\n", memory, disk);
    violation(NULL, NULL, "the store reopened after the input does not read back what memory showed");
  }
  stats.store_checks++;
  free(memory);
  free(disk);
  server_close();
  remove_store();
}

/* One input in memory or store mode. */
static void run_input(const prepared *reqs, size_t n) {
  if (!server_up) server_open();
  for (size_t i = 0; i < n; i++) execute(&reqs[i], 0, NULL);
  if (store_dir)
    store_check();
  else
    reset_store();
}
#endif

/* ---------------------------------------------------------------- inputs */

/* The first occurrence of the separator in [p, end), or NULL. */
static const uint8_t *find_separator(const uint8_t *p, const uint8_t *end) {
  const size_t k = sizeof MULT_SEPARATOR - 1;
  while ((size_t)(end - p) >= k) {
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p) - (k - 1));
    if (!nl) return NULL;
    if (memcmp(nl, MULT_SEPARATOR, k) == 0) return nl;
    p = nl + 1;
  }
  return NULL;
}

/* Splits an input into its requests; returns how many were kept. */
static size_t split_input(const uint8_t *data, size_t size, prepared *reqs) {
  size_t n = 0;
  const size_t magic = sizeof MULT_MAGIC - 1;
  if (size >= magic && memcmp(data, MULT_MAGIC, magic) == 0) {
    const uint8_t *p = data + magic, *end = data + size;
    if (p < end && *p == '\n') p++;
    for (int i = 0; i < FUZZ_MAX_REQUESTS; i++) {
      const uint8_t *sep = find_separator(p, end);
      if (prepare(p, (size_t)((sep ? sep : end) - p), &reqs[n])) n++;
      if (!sep) break;
      p = sep + (sizeof MULT_SEPARATOR - 1);
    }
  } else if (prepare(data, size, &reqs[0])) {
    n = 1;
  }
  return n;
}

#ifdef KF_FUZZ_ALLOC
/* Request j of reqs on a fresh server after 0..j-1, failing allocation k
 * of its dispatch (0: none). */
static void run_prefix(const prepared *reqs, size_t j, uint64_t k, outcome *out) {
  server_open();
  for (size_t i = 0; i < j; i++) {
    snprintf(context, sizeof context, "request %zu of the input, replaying it before request %zu", i, j);
    execute(&reqs[i], 0, NULL);
  }
  snprintf(context, sizeof context, "request %zu of the input, failing allocation %llu", j, (unsigned long long)k);
  execute(&reqs[j], k, out);
  server_close();
}

/* The allocation-failure sweep over the requests of one input. */
static void sweep_input(const prepared *reqs, size_t n) {
  for (size_t j = 0; j < n; j++) {
    const request rq = {reqs[j].method, reqs[j].path, reqs[j].ct, reqs[j].accept};
    outcome want;
    run_prefix(reqs, j, 0, &want);
    for (uint64_t k = 1;; k++) {
      outcome got;
      run_prefix(reqs, j, k, &got);
      stats.runs++;
      if (strcmp(got.before, want.before) != 0) violation(&rq, NULL, "replaying the input is not deterministic");
      if (!got.injected) {
        if (!same_reply(&got, &want))
          violation(&rq, NULL, "without a failure the reply differs from the first run: %d %.300s (first: %d %.300s)",
                    got.status, got.body, want.status, want.body);
        outcome_free(&got);
        break;
      }
      stats.alloc_failures++;
      if (same_reply(&got, &want)) {
        stats.absorbed++;
        if (strcmp(got.after, want.after) != 0) {
          fprintf(stderr, "sessions after the normal run:\n%s\nafter this run:\n%s\n", want.after, got.after);
          violation(&rq, NULL, "the reply is the normal one but the sessions differ");
        }
      } else if (got.status < 400) {
        violation(&rq, NULL, "a failed allocation gave neither the normal reply (%d) nor an error: %d %.300s",
                  want.status, got.status, got.body);
      } else if (got.status != 503 && got.status != want.status) {
        violation(&rq, NULL, "a failed allocation answered %d (the normal reply is %d): %.300s", got.status,
                  want.status, got.body);
      }
      outcome_free(&got);
    }
    outcome_free(&want);
  }
  context[0] = '\0';
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!initialised) fuzz_init();
  static prepared reqs[FUZZ_MAX_REQUESTS];
  const size_t n = split_input(data, size, reqs);
  stats.inputs++;
#ifdef KF_FUZZ_ALLOC
  sweep_input(reqs, n);
#else
  run_input(reqs, n);
#endif
  for (size_t i = 0; i < n; i++) prepared_free(&reqs[i]);
  return 0;
}

#ifndef KF_FUZZ_REPLAY
/* ------------------------------------------------------------- mutation */

/* libFuzzer's byte-level mutations seldom turn "3" into "5" inside JSON
 * text, and the comparison hints they use are binary, not decimal. So one
 * mutation in four replaces a decimal number of the input instead: with its
 * neighbour, or with a boundary value of the API and of the harness's limits
 * (64 sessions, 4096 elements, 65536 parameters, 2^32 counts, int32/int64,
 * float32). The rest are libFuzzer's own (LLVMFuzzerMutate, which also uses
 * the dictionary). Not in the replay build, which has no libFuzzer. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static const char *const boundary_numbers[] = {
  "0", "1", "2", "3", "5", "7", "8", "16", "-1", "-2", "63", "64", "65", "127", "128", "129",
  "255", "256", "1023", "1024", "4095", "4096", "4097", "65535", "65536", "65537", "16777216",
  "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967294", "4294967295",
  "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
  "18446744073709551616", "0.0", "-0.0", "0.5", "1.5", "1e-45", "1e-46", "3.4028235e38",
  "3.5e38", "1e308", "1e309",
};

static uint32_t next_random(uint32_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 17;
  *state ^= *state << 5;
  return *state;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
  uint32_t r = seed | 1u;
  if (next_random(&r) % 4 != 0) return LLVMFuzzerMutate(data, size, max_size);
  size_t numbers = 0;
  for (size_t i = 0; i < size; i++)
    if (isdigit(data[i]) && (i == 0 || !isdigit(data[i - 1]))) numbers++;
  if (numbers == 0) return LLVMFuzzerMutate(data, size, max_size);
  size_t pick = next_random(&r) % numbers, start = 0;
  for (size_t i = 0; i < size; i++) {
    if (isdigit(data[i]) && (i == 0 || !isdigit(data[i - 1])) && pick-- == 0) {
      start = i;
      break;
    }
  }
  size_t end = start;
  while (end < size && isdigit(data[end])) end++;
  char repl[32];
  if (next_random(&r) % 3 == 0 && end - start <= 18) {
    /* The number's neighbour: n + 1 or n - 1 (the digits only; a sign stays). */
    unsigned long long v = 0;
    for (size_t i = start; i < end; i++) v = v * 10 + (unsigned long long)(data[i] - '0');
    v = (next_random(&r) & 1) || v == 0 ? v + 1 : v - 1;
    snprintf(repl, sizeof repl, "%llu", v);
  } else {
    if (start > 0 && data[start - 1] == '-') start--;
    snprintf(repl, sizeof repl, "%s",
             boundary_numbers[next_random(&r) % (sizeof boundary_numbers / sizeof boundary_numbers[0])]);
  }
  const size_t len = strlen(repl);
  const size_t new_size = size - (end - start) + len;
  if (new_size > max_size) return LLVMFuzzerMutate(data, size, max_size);
  memmove(data + start + len, data + end, size - end);
  memcpy(data + start, repl, len);
  return new_size;
}
#endif
