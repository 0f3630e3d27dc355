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

#include <jansson.h>
#include <stddef.h>

#include "accept.h"
#include "apierr.h"
#include "buf.h"
#include "server.h"
#include "ticket.h"

/* Path parameters a route pattern captures ({name}, {op}, …). */
#define KD_MAX_PATH_PARAMS 2

/* One query parameter of the request URL, percent-decoded: "?a=1&b" gives
 * {"a", "1"} and {"b", NULL}. */
typedef struct kd_query_arg {
  const char *name;
  const char *value; /* NULL when the parameter has no '=' */
} kd_query_arg;

/* Query parameters kept per request; n_query still counts the others. */
#define KD_MAX_QUERY_ARGS 8

typedef struct kd_request {
  kd_server *srv;
  const char *method;
  const char *path;
  const char *params[KD_MAX_PATH_PARAMS]; /* captured segments, in pattern order */
  json_t *body;                           /* the parsed JSON object; {} when the body was empty;
                                             NULL when the body is .npy */
  /* KD_ROUTE_NPY_BODY routes, Content-Type application/x-npy: the raw body
   * (npy is then 1 and body NULL). */
  int npy;
  const char *npy_body;
  size_t npy_len;
  /* What the Accept header allows (accept.h); on routes without
   * KD_ROUTE_NEGOTIATE always JSON: {1, 0, 0}. */
  kd_accept accept;
  const kd_query_arg *query; /* the first min(n_query, KD_MAX_QUERY_ARGS) parameters */
  size_t n_query;
  struct kd_claim *claim;    /* the transport's, kept across the request's runs; NULL: none */
} kd_request;

#define KD_MAX_RESPONSE_HEADERS 4

typedef struct kd_response {
  int status;           /* 200 unless the handler sets another 2xx */
  kd_buf body;          /* the handler writes its JSON here */
  /* A static body sent instead of `body` (the reply to a request that ran
   * out of memory even for its error body). */
  const char *static_body;
  const char *content_type; /* static string; "application/json" unless set (npy.h: .npy) */
  char allow[64];       /* Allow header for 405 responses */
  int vary_accept;      /* add "Vary: Accept": the route negotiates its media type */
  /* Further headers a successful handler adds (Keyfold-Key, …); an error
   * response drops them. Names are static strings. */
  struct {
    const char *name;
    char value[80];
  } headers[KD_MAX_RESPONSE_HEADERS];
  size_t n_headers;
  int www_authenticate; /* 401: add WWW-Authenticate: Bearer */
  kd_ticket *ticket;    /* when set, the reply waits until this ticket completes
                           and becomes a 503 if it fails (ticket.h) */
} kd_response;

/* A handler reads req and either writes res (returning 0) or fills err
 * (returning -1, usually via kd_fail). Handlers must not write to res when
 * they fail: the dispatcher discards res->body then. */
typedef int (*kd_handler)(kd_request *req, kd_response *res, kd_err *err);

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
  const char *pattern; /* "/v1/sessions/{name}/keys": {x} matches one non-empty segment,
                          {x*} at the end the non-empty rest of the path ("/ui/{file*}") */
  kd_handler handler;
  unsigned flags;
} kd_route;

/* The table itself lives in routes.c. */
extern const kd_route kd_routes[];
extern const size_t kd_route_count;

/* Route i's method and pattern, the labels metrics.h reports it by. */
void kd_route_label(size_t i, const char **method, const char **pattern);

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
  /* A transport that runs a request again when its ticket says resume
   * (ticket.h) keeps its claim here; NULL: draws do not claim. */
  struct kd_claim *claim;
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

/* Hands a ticket from the session service to the response (which owns it
 * afterwards): the transport holds the reply until it completes. NULL ok. */
void kd_response_wait(kd_response *res, kd_ticket *ticket);

/* Moves a finished body into the response (which owns it afterwards). */
void kd_response_take_body(kd_response *res, kd_buf *body);

void kd_response_init(kd_response *res);
void kd_response_free(kd_response *res);

#endif
