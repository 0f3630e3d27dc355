/* keyfoldd — the daemon's shared types: configuration, the server object
 * handed to every handler, requests and responses.
 */
#ifndef KEYFOLDD_SERVER_H
#define KEYFOLDD_SERVER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "accept.h"
#include "apierr.h"
#include "buf.h"

typedef enum kd_log_level { KD_LOG_ERROR = 0, KD_LOG_WARN, KD_LOG_INFO, KD_LOG_DEBUG } kd_log_level;
typedef enum kd_log_format { KD_LOG_TEXT = 0, KD_LOG_JSON } kd_log_format;

typedef struct kd_config {
  char listen[256];        /* host:port; port 0 picks a free one */
  int threads;             /* MHD worker threads; 0 = one per core */
  size_t max_body;         /* bytes; larger bodies are 413 */
  uint64_t max_elements;   /* per tensor or draw; larger is 413 */
  uint64_t max_model_params; /* parameters of one session's model; more is 413 */
  size_t max_sessions;     /* more is 429 */
  kd_log_level log_level;
  kd_log_format log_format;
  unsigned connection_timeout; /* seconds an idle connection is kept */
  unsigned connection_limit;   /* concurrent connections */
  char data_dir[2048];     /* where the store lives (--data-dir) */
  int durability;          /* a kd_durability (persist.h) */
  uint32_t lease_block;    /* counts a lease reserves at once */
  char auth_token_file[2048]; /* empty: no authentication */
  unsigned max_connections_per_ip; /* 0: unlimited */
  unsigned request_timeout; /* seconds a request body may take to arrive */
  char snapshot_dir[2048];  /* where snapshots go; empty: <data_dir>/snapshots */
} kd_config;

/* Fills *cfg with the embedded defaults (127.0.0.1:8470, …). */
void kd_config_defaults(kd_config *cfg);

typedef struct kd_store kd_store;
typedef struct kd_metrics kd_metrics;
typedef struct kd_persist kd_persist;
typedef struct kd_commit kd_commit;

typedef struct kd_server {
  kd_config cfg;
  kd_store *store;
  kd_metrics *metrics;
  kd_persist *persist; /* NULL in memory mode */
  char auth_token[256];  /* the bearer token; empty: no authentication */
  atomic_int ready;    /* 0 until start-up (recovery) has finished; never reset */
  atomic_int stopping; /* 1 once a shutdown has begun: readiness turns 503 */
} kd_server;

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
} kd_request;

#define KD_MAX_RESPONSE_HEADERS 4

typedef struct kd_response {
  int status;           /* 200 unless the handler sets another 2xx */
  kd_buf body;          /* the handler writes its JSON here */
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
  kd_commit *commit;    /* when set, the reply waits until this commit completes
                           and becomes a 503 if it fails (persist.h) */
} kd_response;

/* A handler reads req and either writes res (returning 0) or fills err
 * (returning -1, usually via kd_fail). Handlers must not write to res when
 * they fail: the dispatcher discards res->body then. */
typedef int (*kd_handler)(kd_request *req, kd_response *res, kd_err *err);

/* Logging to stderr, one line per message, filtered by cfg.log_level:
 * text ("<time> <level> <message>") or, with --log-format json, one JSON
 * object per line {"ts", "level", "msg"}. */
void kd_log(const kd_server *srv, kd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The access log line of one request (level info). */
void kd_log_access(const kd_server *srv, const char *method, const char *path, int status,
                   double seconds);

#endif
