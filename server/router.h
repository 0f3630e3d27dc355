/* keyfoldd — the route table and the transport-independent dispatcher.
 *
 * kd_dispatch does everything after the HTTP layer has read a request:
 * route matching (404, 405 with Allow), content negotiation (406, accept.h),
 * media type (415), JSON parsing (400; .npy bodies are left to the handler),
 * the handler, and the error body. It never touches the network, so
 * the fuzzer and the unit tests drive it directly.
 */
#ifndef KEYFOLDD_ROUTER_H
#define KEYFOLDD_ROUTER_H

#include "server.h"

enum {
  KD_ROUTE_JSON_BODY = 1u << 0, /* POST with a JSON object body ({} when empty) */
  KD_ROUTE_OIP = 1u << 1,       /* errors in the Open Inference Protocol form */
  KD_ROUTE_OPEN = 1u << 2,      /* reachable without auth (health) */
  KD_ROUTE_NEGOTIATE = 1u << 3, /* replies JSON or .npy by Accept (406 when it allows
                                   neither; "Vary: Accept") */
  KD_ROUTE_NPY_BODY = 1u << 4   /* also takes an application/x-npy body (req->npy) */
};

typedef struct kd_route {
  const char *method;  /* "GET", "POST", "DELETE" */
  const char *pattern; /* "/v1/sessions/{name}/keys": {x} matches one non-empty segment */
  kd_handler handler;
  const char *label;   /* metrics label, e.g. "/v1/sessions/{name}/keys" */
  unsigned flags;
} kd_route;

/* The table itself lives in routes.c. */
extern const kd_route kd_routes[];
extern const size_t kd_route_count;

/* What the HTTP layer read of a request. Header values may be NULL; the
 * body need not be NUL-terminated. */
typedef struct kd_http_input {
  const char *method;
  const char *path;
  const char *content_type;
  const char *authorization; /* the Authorization header */
  const char *accept;        /* the Accept header */
  const char *body;
  size_t body_len;
  const kd_query_arg *query; /* the first min(n_query, KD_MAX_QUERY_ARGS) query parameters */
  size_t n_query;            /* how many the URL had */
} kd_http_input;

/* Processes one request. Fills res (status, body, content type, Allow) for
 * success and failure alike and stores the matched route's index in
 * *route_index (kd_route_count when none matched) for metrics. */
void kd_dispatch(kd_server *srv, const kd_http_input *in, kd_response *res, size_t *route_index);

/* Writes err as the response (status, JSON error body). `oip` selects the
 * Open Inference Protocol form. */
void kd_respond_error(kd_response *res, const kd_err *err, int oip);

/* Adds a header to a successful response (at most KD_MAX_RESPONSE_HEADERS;
 * values longer than the slot are cut). `name` must be a static string. */
void kd_response_add_header(kd_response *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void kd_response_init(kd_response *res);
void kd_response_free(kd_response *res);

#endif
