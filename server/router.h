/* keyfoldd — the route table and the transport-independent dispatcher.
 *
 * kd_dispatch does everything after the HTTP layer has read a request:
 * route matching (404, 405 with Allow), media type (415), JSON parsing
 * (400), the handler, and the error body. It never touches the network, so
 * the fuzzer and the unit tests drive it directly.
 */
#ifndef KEYFOLDD_ROUTER_H
#define KEYFOLDD_ROUTER_H

#include "server.h"

enum {
  KD_ROUTE_JSON_BODY = 1u << 0, /* POST with a JSON object body ({} when empty) */
  KD_ROUTE_OIP = 1u << 1,       /* errors in the Open Inference Protocol form */
  KD_ROUTE_OPEN = 1u << 2       /* reachable without auth (health) */
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
  const char *body;
  size_t body_len;
} kd_http_input;

/* Processes one request. Fills res (status, body, content type, Allow) for
 * success and failure alike and stores the matched route's index in
 * *route_index (kd_route_count when none matched) for metrics. */
void kd_dispatch(kd_server *srv, const kd_http_input *in, kd_response *res, size_t *route_index);

/* Writes err as the response (status, JSON error body). `oip` selects the
 * Open Inference Protocol form. */
void kd_respond_error(kd_response *res, const kd_err *err, int oip);

void kd_response_init(kd_response *res);
void kd_response_free(kd_response *res);

#endif
