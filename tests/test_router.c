/* kd_dispatch (server/router.h) with the real route table, in memory mode:
 * route matching, 404/405 with Allow, HEAD, media types (415), malformed
 * JSON (400), negotiation (406), bearer tokens (401), readiness (503). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"

static kd_server srv;

static void setup(void) {
  memset(&srv, 0, sizeof srv);
  kd_config_defaults(&srv.cfg);
  srv.cfg.durability = KD_DURABILITY_MEMORY;
  srv.cfg.log_level = KD_LOG_ERROR;
  kd_logger_init(&srv.log, &srv.cfg);
  srv.store = kd_store_new(srv.cfg.max_sessions);
  srv.metrics = kd_metrics_new(kd_route_label, kd_route_count);
  atomic_store(&srv.ready, 1);
}

static void teardown(void) {
  kd_store_free(srv.store);
  kd_metrics_free(srv.metrics);
}

typedef struct reply {
  kd_response res;
  size_t route;
  json_t *json; /* the body parsed, when it is JSON */
} reply;

static reply *call(const char *method, const char *path, const char *content_type, const char *body,
                   const char *authorization, const char *accept) {
  reply *r = calloc(1, sizeof *r);
  kd_http_input in;
  memset(&in, 0, sizeof in);
  in.method = method;
  in.path = path;
  in.content_type = content_type;
  in.authorization = authorization;
  in.accept = accept;
  in.body = body;
  in.body_len = body ? strlen(body) : 0;
  kd_response_init(&r->res);
  kd_dispatch(&srv, &in, &r->res, &r->route);
  ck_assert_ptr_null(r->res.ticket); /* memory mode: nothing waits */
  if (r->res.body.len && strcmp(r->res.content_type, "application/json") == 0)
    r->json = json_loadb(r->res.body.data, r->res.body.len, 0, NULL);
  return r;
}

static reply *get(const char *path) { return call("GET", path, NULL, NULL, NULL, NULL); }
static reply *post(const char *path, const char *body) {
  return call("POST", path, "application/json", body, NULL, NULL);
}

static void done(reply *r) {
  json_decref(r->json);
  kd_response_free(&r->res);
  free(r);
}

/* Expects an error reply {"error": {"code", "message"}}; message NULL: any. */
static void expect_error(reply *r, int status, const char *code, const char *message) {
  ck_assert_msg(r->res.status == status, "status %d, want %d: %.300s", r->res.status, status,
                r->res.body.data ? r->res.body.data : "");
  ck_assert_str_eq(r->res.content_type, "application/json");
  ck_assert_ptr_nonnull(r->json);
  json_t *e = json_object_get(r->json, "error");
  ck_assert_msg(json_is_object(e), "%s", r->res.body.data);
  ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
  if (message) ck_assert_str_eq(json_string_value(json_object_get(e, "message")), message);
  ck_assert_uint_eq(r->res.n_headers, 0);
}

/* The index of the route with this method and pattern. */
static size_t route_of(const char *method, const char *pattern) {
  for (size_t i = 0; i < kd_route_count; i++) {
    const char *m, *p;
    kd_route_label(i, &m, &p);
    if (strcmp(m, method) == 0 && strcmp(p, pattern) == 0) return i;
  }
  ck_abort_msg("no route %s %s", method, pattern);
  return 0;
}

START_TEST(every_pattern_matches_its_route) {
  for (size_t i = 0; i < kd_route_count; i++) {
    const char *method, *pattern;
    kd_route_label(i, &method, &pattern);
    /* The pattern with each {x} replaced by a segment. */
    char path[256];
    size_t n = 0;
    for (const char *p = pattern; *p;) {
      if (*p == '{') {
        memcpy(path + n, "seg", 3);
        n += 3;
        p = strchr(p, '}') + 1;
      } else {
        path[n++] = *p++;
      }
    }
    path[n] = '\0';
    reply *r = call(method, path, NULL, NULL, NULL, NULL);
    ck_assert_msg(r->route == i, "%s %s matched route %zu", method, path, r->route);
    ck_assert_msg(r->res.status != 405, "%s %s: 405", method, path);
    ck_assert_str_eq(r->res.allow, "");
    done(r);
  }
}
END_TEST

START_TEST(name_is_captured) {
  reply *r = post("/v1/sessions", "{\"name\": \"exp1\", \"rngs\": {\"default\": 3}}");
  ck_assert_int_eq(r->res.status, 201);
  done(r);
  r = get("/v1/sessions/exp1");
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_uint_eq(r->route, route_of("GET", "/v1/sessions/{name}"));
  ck_assert_str_eq(json_string_value(json_object_get(r->json, "name")), "exp1");
  done(r);
  r = post("/v1/sessions/exp1/keys", "{\"n\": 2}");
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_uint_eq(r->route, route_of("POST", "/v1/sessions/{name}/keys"));
  ck_assert_uint_eq(json_array_size(json_object_get(r->json, "keys")), 2);
  done(r);
  /* Another name is another session. */
  r = get("/v1/sessions/exp2");
  expect_error(r, 404, "not_found", "session 'exp2' not found");
  done(r);
}
END_TEST

START_TEST(paths_that_match_no_route) {
  const char *paths[] = {"/v1/sessions/", "/v1/sessions//keys", "/v1/sessions/a/keys/", "/nope", "/",
                         "/v1/sessionsx", "/v1/sessions/a/b"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    reply *r = get(paths[i]);
    char msg[256];
    snprintf(msg, sizeof msg, "no route for GET %s", paths[i]);
    expect_error(r, 404, "not_found", msg);
    ck_assert_uint_eq(r->route, kd_route_count);
    ck_assert_str_eq(r->res.allow, "");
    done(r);
  }
  /* Under /v2/models the error takes the Open Inference Protocol form. */
  reply *r = get("/v2/models/a/b/c");
  ck_assert_int_eq(r->res.status, 404);
  ck_assert_str_eq(json_string_value(json_object_get(r->json, "error")), "no route for GET /v2/models/a/b/c");
  done(r);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow) {
  const struct {
    const char *method, *path, *allow;
  } cases[] = {
      {"PUT", "/v1/sessions", "POST, GET, HEAD"},
      {"DELETE", "/v1/sessions", "POST, GET, HEAD"},
      {"POST", "/v1/sessions/a", "GET, HEAD, DELETE"},
      {"GET", "/v1/sessions/a/keys", "POST"},
      {"POST", "/v2/health/live", "GET, HEAD"},
      {"DELETE", "/metrics", "GET, HEAD"},
      {"GET", "/v1/admin/restore", "POST"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reply *r = call(cases[i].method, cases[i].path, NULL, NULL, NULL, NULL);
    char msg[256];
    snprintf(msg, sizeof msg, "%s is not allowed on %s; allowed: %s", cases[i].method, cases[i].path,
             cases[i].allow);
    expect_error(r, 405, "method_not_allowed", msg);
    ck_assert_str_eq(r->res.allow, cases[i].allow);
    ck_assert_uint_eq(r->route, kd_route_count);
    done(r);
  }
}
END_TEST

START_TEST(head_is_served_by_get) {
  reply *r = call("HEAD", "/v2/health/live", NULL, NULL, NULL, NULL);
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_uint_eq(r->route, route_of("GET", "/v2/health/live"));
  done(r);
  r = call("HEAD", "/v1/sessions", NULL, NULL, NULL, NULL);
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_uint_eq(r->route, route_of("GET", "/v1/sessions"));
  done(r);
  /* HEAD is no POST. */
  r = call("HEAD", "/v1/sessions/a/keys", NULL, NULL, NULL, NULL);
  expect_error(r, 405, "method_not_allowed", NULL);
  done(r);
}
END_TEST

START_TEST(bodies_must_be_json) {
  reply *r = call("POST", "/v1/sessions", "text/plain", "{\"name\": \"a\"}", NULL, NULL);
  expect_error(r, 415, "unsupported_media_type", "request bodies must be application/json, got 'text/plain'");
  done(r);
  r = call("POST", "/v1/sessions", NULL, "{\"name\": \"a\"}", NULL, NULL);
  expect_error(r, 415, "unsupported_media_type",
               "request bodies must be application/json, got '(no Content-Type)'");
  done(r);
  r = call("POST", "/v1/sessions/a/forward", "application/jsonx", "{}", NULL, NULL);
  expect_error(r, 415, "unsupported_media_type",
               "request bodies must be application/json or application/x-npy, got 'application/jsonx'");
  done(r);
  ck_assert_uint_eq(kd_store_count(srv.store), 0);
  /* Any case, with parameters. */
  r = call("POST", "/v1/sessions", "Application/JSON; charset=utf-8", "{\"name\": \"a\"}", NULL, NULL);
  ck_assert_int_eq(r->res.status, 201);
  done(r);
  /* An empty body needs no type: it is {}. */
  r = call("POST", "/v1/sessions/a/keys", NULL, NULL, NULL, NULL);
  ck_assert_int_eq(r->res.status, 404); /* no 'default' stream in a */
  done(r);
  r = post("/v1/sessions", "{\"name\": \"b\",");
  expect_error(r, 400, "invalid_argument", NULL);
  ck_assert_msg(strncmp(json_string_value(json_object_get(json_object_get(r->json, "error"), "message")),
                        "malformed JSON at line 1 column ", 32) == 0,
                "%s", r->res.body.data);
  done(r);
  r = post("/v1/sessions", "[1]");
  expect_error(r, 400, "invalid_argument", "the request body must be a JSON object");
  done(r);
  r = post("/v1/sessions", "{\"name\": \"b\", \"name\": \"c\"}");
  expect_error(r, 400, "invalid_argument", NULL);
  done(r);
  ck_assert_uint_eq(kd_store_count(srv.store), 1);
}
END_TEST

START_TEST(negotiating_routes_answer_406) {
  const char *body = "{\"key\": [0, 1], \"shape\": [2]}";
  reply *r = call("POST", "/v1/random/uniform", "application/json", body, NULL, "text/html");
  expect_error(r, 406, "not_acceptable", NULL);
  ck_assert_int_eq(r->res.vary_accept, 1);
  done(r);
  r = call("POST", "/v1/random/uniform", "application/json", body, NULL, "application/json");
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_int_eq(r->res.vary_accept, 1);
  done(r);
  r = call("POST", "/v1/random/uniform", "application/json", body, NULL, "application/x-npy");
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_str_eq(r->res.content_type, "application/x-npy");
  ck_assert(r->res.body.len > 10 && memcmp(r->res.body.data, "\x93NUMPY", 6) == 0);
  done(r);
  /* A route that does not negotiate ignores Accept. */
  r = call("GET", "/v2/health/live", NULL, NULL, NULL, "text/html");
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_int_eq(r->res.vary_accept, 0);
  done(r);
}
END_TEST

START_TEST(a_bearer_token_guards_all_but_health) {
  snprintf(srv.auth_token, sizeof srv.auth_token, "s3cret");
  const char *wrong[] = {NULL, "", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3cret2", "Basic s3cret",
                         "Bearer S3CRET"};
  for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
    reply *r = call("GET", "/v1/sessions", NULL, NULL, wrong[i], NULL);
    expect_error(r, 401, "unauthenticated", "missing or wrong bearer token (Authorization: Bearer <token>)");
    ck_assert_int_eq(r->res.www_authenticate, 1);
    done(r);
  }
  reply *r = call("GET", "/v1/sessions", NULL, NULL, "Bearer s3cret", NULL);
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_int_eq(r->res.www_authenticate, 0);
  done(r);
  r = call("GET", "/v1/sessions", NULL, NULL, "bearer s3cret", NULL);
  ck_assert_int_eq(r->res.status, 200);
  done(r);
  /* Nothing is created without the token. */
  r = call("POST", "/v1/sessions", "application/json", "{\"name\": \"a\"}", NULL, NULL);
  ck_assert_int_eq(r->res.status, 401);
  done(r);
  ck_assert_uint_eq(kd_store_count(srv.store), 0);
  /* The Open Inference Protocol routes answer in their form. */
  r = get("/v2/models/a");
  ck_assert_int_eq(r->res.status, 401);
  ck_assert_int_eq(r->res.www_authenticate, 1);
  ck_assert(json_is_string(json_object_get(r->json, "error")));
  done(r);
  /* Health checks are open. */
  r = get("/v2/health/live");
  ck_assert_int_eq(r->res.status, 200);
  done(r);
  r = get("/v2/health/ready");
  ck_assert_int_eq(r->res.status, 200);
  done(r);
  /* Routing comes first: an unknown path is 404 even without the token. */
  r = get("/nope");
  ck_assert_int_eq(r->res.status, 404);
  ck_assert_int_eq(r->res.www_authenticate, 0);
  done(r);
}
END_TEST

/* {file*} captures the rest of the path, slashes included; /ui is the
 * index; --ui off makes them all 404; they need no token. */
START_TEST(console_files) {
  srv.cfg.ui = 1;
  reply *r = get("/ui");
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_uint_eq(r->route, route_of("GET", "/ui"));
  ck_assert_str_eq(r->res.content_type, "text/html; charset=utf-8");
  ck_assert(r->res.body.len > 0 && strstr(r->res.body.data, "/ui/app.js"));
  done(r);
  r = get("/ui/app.js");
  ck_assert_int_eq(r->res.status, 200);
  ck_assert_uint_eq(r->route, route_of("GET", "/ui/{file*}"));
  ck_assert_str_eq(r->res.content_type, "text/javascript; charset=utf-8");
  ck_assert_str_eq(r->res.headers[0].name, "Cache-Control");
  done(r);
  r = get("/ui/a/b.js");
  expect_error(r, 404, "not_found", "the console has no file 'a/b.js'");
  ck_assert_uint_eq(r->route, route_of("GET", "/ui/{file*}"));
  done(r);
  r = get("/ui/");
  expect_error(r, 404, "not_found", "no route for GET /ui/");
  ck_assert_uint_eq(r->route, kd_route_count);
  done(r);
  snprintf(srv.auth_token, sizeof srv.auth_token, "s3cret");
  r = get("/ui/style.css");
  ck_assert_int_eq(r->res.status, 200);
  done(r);
  srv.cfg.ui = 0;
  r = get("/ui");
  expect_error(r, 404, "not_found", "no route for GET /ui");
  done(r);
}
END_TEST

START_TEST(nothing_but_health_before_ready) {
  atomic_store(&srv.ready, 0);
  reply *r = get("/v1/sessions");
  expect_error(r, 503, "unavailable", "the daemon is starting up (recovering sessions); retry shortly");
  done(r);
  r = get("/v2/health/live");
  ck_assert_int_eq(r->res.status, 200);
  done(r);
  r = get("/v2/health/ready");
  ck_assert_int_eq(r->res.status, 503);
  done(r);
}
END_TEST

int main(void) {
  Suite *s = suite_create("router");
  TCase *tc = tcase_create("dispatch");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, every_pattern_matches_its_route);
  tcase_add_test(tc, name_is_captured);
  tcase_add_test(tc, paths_that_match_no_route);
  tcase_add_test(tc, wrong_method_is_405_with_allow);
  tcase_add_test(tc, head_is_served_by_get);
  tcase_add_test(tc, bodies_must_be_json);
  tcase_add_test(tc, negotiating_routes_answer_406);
  tcase_add_test(tc, a_bearer_token_guards_all_but_health);
  tcase_add_test(tc, nothing_but_health_before_ready);
  tcase_add_test(tc, console_files);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
