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
 *     401 asks for WWW-Authenticate; no reply waits for a commit (the
 *     harness runs in memory mode, without persistence or a bearer token);
 *   - a request that fails (>= 400) changes no session (api.md: "A request
 *     that fails changes nothing"): the store is compared before and after;
 *   - the stateless routes (/v1/random/…, /v1/init/…) answer a repeated
 *     request with the same bytes.
 *
 * With KF_FUZZ_TRACE set in the environment every request is printed with
 * its status and the start of its body (to check what a seed exercises).
 *
 * This file never defines main(): libFuzzer provides it, or replay.c does in
 * the fuzz_replay build (compiled with -DKF_FUZZ_REPLAY) for compilers
 * without libFuzzer — the fuzz_corpus test.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "npy.h"
#include "server.h"
#include "codec.h"
#include "router.h"
#include "server.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void kf_fuzz_teardown(void);

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
static int initialised;
static int trace; /* KF_FUZZ_TRACE set: print every request and its status */

static void fuzz_init(void) {
  memset(&srv, 0, sizeof srv);
  kd_config_defaults(&srv.cfg);
  srv.cfg.max_sessions = FUZZ_MAX_SESSIONS;
  srv.cfg.max_elements = FUZZ_MAX_ELEMENTS;
  srv.cfg.max_model_params = FUZZ_MAX_MODEL_PARAMS;
  srv.cfg.max_body = FUZZ_MAX_BODY;
  srv.cfg.log_level = KD_LOG_ERROR;
  kd_logger_init(&srv.log, &srv.cfg);
  kd_json_setup();
  /* Memory mode (srv.durable stays NULL) and no bearer token. */
  srv.cfg.durability = KD_DURABILITY_MEMORY;
  srv.store = kd_store_new(srv.cfg.max_sessions);
  srv.metrics = kd_metrics_new(kd_route_label, kd_route_count);
  if (!srv.store || !srv.metrics) {
    fprintf(stderr, "fuzz_router: out of memory at start-up\n");
    abort();
  }
  atomic_store(&srv.ready, 1);
  trace = getenv("KF_FUZZ_TRACE") != NULL;
  initialised = 1;
}

/* Frees the server (replay.c calls it before exiting, so LeakSanitizer
 * sees a clean heap; under libFuzzer the server lives until exit). */
void kf_fuzz_teardown(void) {
  if (!initialised) return;
  kd_store_free(srv.store);
  kd_metrics_free(srv.metrics);
  memset(&srv, 0, sizeof srv);
  initialised = 0;
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

static void violation(const request *rq, const kd_response *res, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "\nfuzz_router: INVARIANT VIOLATED: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n  request: %s %s (Content-Type: %s, Accept: %s)\n", rq->method, rq->path,
          rq->content_type ? rq->content_type : "none", rq->accept ? rq->accept : "none");
  if (res) {
    fprintf(stderr, "  response: %d, Content-Type %s, Allow '%s', %zu bytes: %.*s\n", res->status,
            res->content_type ? res->content_type : "(null)", res->allow, res->body.len,
            (int)(res->body.len > 2000 ? 2000 : res->body.len), res->body.data ? res->body.data : "");
  }
  abort();
}

static int is_json_type(const char *ct) { return ct && strncmp(ct, "application/json", 16) == 0; }

/* Parses the body strictly: valid UTF-8, no duplicate keys, one object. */
static json_t *parse_object(const request *rq, const kd_response *res) {
  json_error_t jerr;
  json_t *v = json_loadb(res->body.data ? res->body.data : "", res->body.len, JSON_REJECT_DUPLICATES, &jerr);
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
  for (size_t i = 0; i < res->n_headers; i++) {
    if (!npy || strncmp(res->headers[i].name, "Keyfold-", 8) != 0)
      violation(rq, res, "header %s on a reply that is not .npy", res->headers[i].name);
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
  if (res->status == 405 && res->allow[0] == '\0') violation(rq, res, "405 without Allow");
  if (res->status != 405 && res->allow[0] != '\0') violation(rq, res, "Allow on a %d response", res->status);
  if ((res->status == 401) != (res->www_authenticate != 0))
    violation(rq, res, "WWW-Authenticate must come with 401 and only with it");
  if (res->ticket) violation(rq, res, "a ticket to wait for in memory mode");
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
 * key and count (models never change after creation) — in name order.
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
      const size_t streams = kf_rngs_stream_count(s->rngs);
      for (size_t j = 0; j < streams; j++) {
        kf_stream_state st;
        if (kf_rngs_stream_at(s->rngs, j, &st) == KF_OK)
          kd_buf_printf(&out, " %s=[%lu,%lu]@%lu", st.name, (unsigned long)st.key.hi,
                        (unsigned long)st.key.lo, (unsigned long)st.count);
      }
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

/* ---------------------------------------------------------------- inputs */

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

/* Runs one request: METHOD\nPATH\nCONTENT-TYPE\nBODY. */
static void run_request(const uint8_t *data, size_t size) {
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
  if (body_len > srv.cfg.max_body) return;

  char *method = copy_field(field[0], len[0], NULL);
  if (method[0] == '\0') {
    free(method);
    method = copy_field((const uint8_t *)"GET", 3, NULL);
  }
  char *path = copy_field(field[1], len[1], len[1] > 0 && field[1][0] == '/' ? NULL : "/");
  /* The query: split off and cut into parameters in place. */
  kd_query_arg query[KD_MAX_QUERY_ARGS];
  size_t n_query = 0;
  char *q = strchr(path, '?');
  if (q) {
    *q++ = '\0';
    for (char *arg = q; arg; ) {
      char *next = strchr(arg, '&');
      if (next) *next++ = '\0';
      if (*arg) {
        char *eq = strchr(arg, '=');
        if (eq) *eq++ = '\0';
        if (n_query < KD_MAX_QUERY_ARGS) query[n_query] = (kd_query_arg){arg, eq};
        n_query++;
      }
      arg = next;
    }
  }
  /* Content type, then after a tab the Accept header. */
  const uint8_t *tab = len[2] ? memchr(field[2], '\t', len[2]) : NULL;
  const size_t ct_len = tab ? (size_t)(tab - field[2]) : len[2];
  char *ct = ct_len ? copy_field(field[2], ct_len, NULL) : NULL;
  char *accept = tab ? copy_field(tab + 1, len[2] - ct_len - 1, NULL) : NULL;
  /* An exact-size copy, so that ASan sees any read past the body. */
  char *body = malloc(body_len ? body_len : 1);
  if (!body) abort();
  if (body_len) memcpy(body, p, body_len);

  const request rq = {method, path, ct, accept};
  char *before = snapshot();
  const kd_http_input in = {.method = method, .path = path, .content_type = ct, .accept = accept,
                           .body = body, .body_len = body_len, .query = query, .n_query = n_query};
  kd_response res;
  kd_response_init(&res);
  size_t route = 0;
  kd_dispatch(&srv, &in, &res, &route);
  if (route > kd_route_count) violation(&rq, &res, "route index %zu out of range", route);
  kd_metrics_observe(srv.metrics, route, res.status, 0.0005);
  if (trace)
    fprintf(stderr, "  %s %s -> %d %.*s\n", method, path, res.status,
            (int)(res.body.len > 160 ? 160 : res.body.len), res.body.data ? res.body.data : "");
  check_response(&rq, &res, route);
  if (strncmp(path, "/v1/random/", 11) == 0 || strncmp(path, "/v1/init/", 9) == 0) {
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
  if (res.status >= 400) {
    char *after = snapshot();
    if (strcmp(before, after) != 0) {
      fprintf(stderr, "sessions before:\n%s\nsessions after:\n%s\n", before, after);
      violation(&rq, &res, "a failed request changed the sessions");
    }
    free(after);
  }
  free(before);
  kd_response_free(&res);
  free(body);
  free(accept);
  free(ct);
  free(path);
  free(method);
}

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!initialised) fuzz_init();
  const size_t magic = sizeof MULT_MAGIC - 1;
  if (size >= magic && memcmp(data, MULT_MAGIC, magic) == 0) {
    const uint8_t *p = data + magic, *end = data + size;
    if (p < end && *p == '\n') p++;
    for (int i = 0; i < FUZZ_MAX_REQUESTS; i++) {
      const uint8_t *sep = find_separator(p, end);
      run_request(p, (size_t)((sep ? sep : end) - p));
      if (!sep) break;
      p = sep + (sizeof MULT_SEPARATOR - 1);
    }
  } else {
    run_request(data, size);
  }
  reset_store();
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
