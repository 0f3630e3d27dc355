/* keyfoldd — route matching and dispatch, independent of the HTTP library. */
#include "router.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "npy.h"

void kd_route_label(size_t i, const char **method, const char **pattern) {
  *method = kd_routes[i].method;
  *pattern = kd_routes[i].pattern;
}

void kd_response_init(kd_response *res) {
  memset(res, 0, sizeof *res);
  res->status = 200;
  kd_buf_init(&res->body);
  res->content_type = "application/json";
}

void kd_response_free(kd_response *res) {
  kd_buf_free(&res->body);
  kd_ticket_release(res->ticket);
  res->ticket = NULL;
}

void kd_response_wait(kd_response *res, kd_ticket *ticket) {
  if (!ticket) return;
  kd_ticket_release(res->ticket); /* at most one per request */
  res->ticket = ticket;
}

void kd_response_take_body(kd_response *res, kd_buf *body) {
  kd_buf_free(&res->body);
  res->body = *body;
  kd_buf_init(body);
}

void kd_response_add_header(kd_response *res, const char *name, const char *fmt, ...) {
  if (res->n_headers >= KD_MAX_RESPONSE_HEADERS) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->headers[res->n_headers].value, sizeof res->headers[0].value, fmt, ap);
  va_end(ap);
  res->headers[res->n_headers++].name = name;
}

void kd_respond_error(kd_response *res, const kd_err *err, int oip) {
  kd_buf_free(&res->body);
  res->n_headers = 0; /* what a handler added describes a success */
  /* An error acknowledges nothing, so it need not wait for a commit. */
  kd_ticket_release(res->ticket);
  res->ticket = NULL;
  res->status = kd_code_status(err->code);
  res->content_type = "application/json";
  if (oip)
    kd_err_write_oip(err, &res->body);
  else
    kd_err_write_json(err, &res->body);
  if (kd_buf_failed(&res->body)) {
    /* Not even the error fits in memory: a reply that needs none. It is a
     * 503, so a 405's Allow does not come with it. */
    kd_buf_free(&res->body);
    res->status = kd_code_status(KD_UNAVAILABLE);
    res->allow[0] = '\0';
    res->static_body = oip ? "{\"error\":\"out of memory\"}"
                           : "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of memory\"}}";
  }
}

/* Matches path against pattern segment by segment; {x} captures one
 * non-empty segment into a NUL-terminated copy in `store`, {x*} (last in a
 * pattern) the non-empty rest of the path, slashes included. */
static int match(const char *pattern, const char *path, char store[KD_MAX_PATH_PARAMS][512],
                 int *nparams) {
  const char *p = pattern, *s = path;
  *nparams = 0;
  while (*p && *s) {
    if (*p == '{') {
      const char *pe = strchr(p, '}');
      const char *se = pe[-1] == '*' ? NULL : strchr(s, '/');
      size_t n = se ? (size_t)(se - s) : strlen(s);
      if (n == 0 || n >= 512 || *nparams >= KD_MAX_PATH_PARAMS) return 0;
      memcpy(store[*nparams], s, n);
      store[*nparams][n] = '\0';
      (*nparams)++;
      p = pe + 1;
      s += n;
    } else {
      if (*p != *s) return 0;
      p++;
      s++;
    }
  }
  return *p == '\0' && *s == '\0';
}

/* The media type `want` (e.g. application/json), in any case, with optional
 * parameters (charset). */
static int is_media_type(const char *ct, const char *want) {
  if (!ct) return 0;
  while (*ct == ' ') ct++;
  const size_t n = strlen(want);
  if (strncasecmp(ct, want, n) != 0) return 0;
  const char *rest = ct + n;
  while (*rest == ' ') rest++;
  return *rest == '\0' || *rest == ';';
}

static int method_is(const char *method, const char *route_method) {
  /* HEAD is served by the GET handler; the HTTP layer drops the body. */
  return strcmp(method, route_method) == 0 ||
         (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

static int parse_body(const kd_route *route, const char *content_type, const char *body,
                      size_t body_len, json_t **out, kd_err *err) {
  if (body_len == 0) {
    *out = json_object();
    return *out ? 0 : kd_fail(err, KD_UNAVAILABLE, "out of memory");
  }
  if (!is_media_type(content_type, "application/json"))
    return kd_fail(err, KD_UNSUPPORTED_MEDIA, "request bodies must be application/json%s, got '%.100s'",
                   route->flags & KD_ROUTE_NPY_BODY ? " or " KD_NPY_MEDIA_TYPE : "",
                   content_type ? content_type : "(no Content-Type)");
  json_error_t jerr;
  int oom;
  json_t *v = kd_json_load(body, body_len, &oom, &jerr);
  if (oom) return kd_fail(err, KD_UNAVAILABLE, "out of memory while reading the request body");
  if (!v)
    return kd_fail(err, KD_INVALID_ARGUMENT, "malformed JSON at line %d column %d: %s", jerr.line,
                   jerr.column, jerr.text);
  if (!json_is_object(v)) {
    json_decref(v);
    return kd_fail(err, KD_INVALID_ARGUMENT, "the request body must be a JSON object");
  }
  *out = v;
  return 0;
}

/* Appends ", method" (or "method" first) to an Allow header value. */
static void allow_add(char allow[64], size_t *len, const char *method) {
  const size_t n = strlen(method);
  if (*len + n + 3 > 64) return;
  if (*len) {
    memcpy(allow + *len, ", ", 2);
    *len += 2;
  }
  memcpy(allow + *len, method, n + 1);
  *len += n;
}

/* Bearer-token check in constant time: the time taken does not depend on
 * how much of the token a guess got right. */
static int authorized(const kd_server *srv, const char *header) {
  if (!srv->auth_token[0]) return 1;
  static const char prefix[] = "Bearer ";
  if (!header || strncasecmp(header, prefix, sizeof prefix - 1) != 0) return 0;
  const char *given = header + sizeof prefix - 1;
  const size_t want_len = strlen(srv->auth_token), given_len = strlen(given);
  unsigned char diff = (unsigned char)(want_len != given_len);
  for (size_t i = 0; i < want_len; i++)
    diff |= (unsigned char)srv->auth_token[i] ^ (unsigned char)(i < given_len ? given[i] : 0);
  return diff == 0;
}

void kd_dispatch(kd_server *srv, const kd_http_input *in, kd_response *res, size_t *route_index) {
  const char *method = in->method, *path = in->path;
  char store[KD_MAX_PATH_PARAMS][512];
  int nparams = 0;
  const kd_route *route = NULL;
  size_t allow_len = 0;
  int oip_path = strncmp(path, "/v2/models", 10) == 0;
  kd_err err = {KD_OK, ""};
  res->allow[0] = '\0';
  *route_index = kd_route_count;
  for (size_t i = 0; i < kd_route_count; i++) {
    if (!match(kd_routes[i].pattern, path, store, &nparams)) continue;
    if (method_is(method, kd_routes[i].method)) {
      route = &kd_routes[i];
      *route_index = i;
      break;
    }
    /* The path exists with another method: remember it for Allow (GET
     * routes also serve HEAD). */
    allow_add(res->allow, &allow_len, kd_routes[i].method);
    if (strcmp(kd_routes[i].method, "GET") == 0) allow_add(res->allow, &allow_len, "HEAD");
  }
  if (!route) {
    if (allow_len) {
      kd_fail(&err, KD_METHOD_NOT_ALLOWED, "%.16s is not allowed on %.200s; allowed: %s", method, path,
              res->allow);
    } else {
      kd_fail(&err, KD_NOT_FOUND, "no route for %.16s %.200s", method, path);
    }
    kd_respond_error(res, &err, oip_path);
    return;
  }
  res->allow[0] = '\0';
  /* Every reply of a negotiating route depends on Accept, errors included. */
  res->vary_accept = (route->flags & KD_ROUTE_NEGOTIATE) != 0;
  if (!(route->flags & KD_ROUTE_OPEN) && !authorized(srv, in->authorization)) {
    kd_fail(&err, KD_UNAUTHENTICATED, "missing or wrong bearer token (Authorization: Bearer <token>)");
    kd_respond_error(res, &err, (route->flags & KD_ROUTE_OIP) != 0);
    res->www_authenticate = res->status == 401; /* not on the out-of-memory 503 */
    return;
  }
  if (!atomic_load(&srv->ready) && !(route->flags & KD_ROUTE_OPEN)) {
    kd_fail(&err, KD_UNAVAILABLE, "the daemon is starting up (recovering sessions); retry shortly");
    kd_respond_error(res, &err, (route->flags & KD_ROUTE_OIP) != 0);
    return;
  }
  kd_request req;
  memset(&req, 0, sizeof req);
  req.srv = srv;
  req.method = method;
  req.path = path;
  for (int i = 0; i < nparams; i++) req.params[i] = store[i];
  req.query = in->query;
  req.n_query = in->n_query;
  req.claim = in->claim;
  req.accept = (kd_accept){1, 0, 0};
  if (route->flags & KD_ROUTE_NEGOTIATE) {
    kd_accept_parse(in->accept, &req.accept);
    if (!req.accept.json_ok && !req.accept.npy_ok) {
      char shown[72];
      kd_fail(&err, KD_NOT_ACCEPTABLE,
              "Accept '%s' allows neither application/json nor " KD_NPY_MEDIA_TYPE
              ", the media types of this route (errors are always application/json)",
              kd_shown(in->accept, shown));
      kd_respond_error(res, &err, (route->flags & KD_ROUTE_OIP) != 0);
      return;
    }
  }
  if ((route->flags & KD_ROUTE_NPY_BODY) && is_media_type(in->content_type, KD_NPY_MEDIA_TYPE)) {
    req.npy = 1;
    req.npy_body = in->body;
    req.npy_len = in->body_len;
  } else if (route->flags & KD_ROUTE_JSON_BODY) {
    if (parse_body(route, in->content_type, in->body, in->body_len, &req.body, &err) != 0) {
      kd_respond_error(res, &err, (route->flags & KD_ROUTE_OIP) != 0);
      return;
    }
  }
  if (route->handler(&req, res, &err) != 0) {
    if (err.code == KD_OK) kd_fail(&err, KD_INTERNAL, "handler failed without an error");
    kd_respond_error(res, &err, (route->flags & KD_ROUTE_OIP) != 0);
  } else if (kd_buf_failed(&res->body)) {
    kd_fail(&err, KD_UNAVAILABLE, "out of memory while writing the response");
    kd_respond_error(res, &err, (route->flags & KD_ROUTE_OIP) != 0);
  }
  json_decref(req.body);
}
