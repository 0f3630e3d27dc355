/* keyfoldd — libmicrohttpd glue (see ../shared notes: http-stack.md §1–§4). */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "router.h"

struct kd_http {
  kd_server *srv;
  struct MHD_Daemon *daemon;
  int listen_fd;
  pthread_t acceptor;
  int acceptor_running;  /* until kd_http_quiesce has joined it */
  atomic_int draining;
  atomic_uint in_flight; /* requests between their first byte and completion */
  int can_suspend;       /* MHD_ALLOW_SUSPEND_RESUME was given */
  /* kd_http_close: requests not yet dispatched are dropped, and the
   * closer waits for the dispatches under way (kd_http_close). */
  atomic_int closed;
  atomic_uint dispatching;
};

/* Per-request state, from the first call of the access handler until
 * MHD's completion callback. */
typedef struct request_state {
  struct timespec started;
  kd_buf body;
  int too_large;
  /* While the connection is suspended waiting for a commit: */
  int waiting;
  struct MHD_Connection *conn;
  kd_response res;
  size_t route;
  unsigned replays; /* times the request was replayed after a conflict */
  kd_claim claim;   /* a draw's claim, across the request's runs (session.h) */
} request_state;

/* A replica whose cached session was stale replays the request against the
 * refreshed one (ticket.h: retry); past this many in a row it answers 503. */
#define KD_REPLAYS_MAX 64

static double seconds_since(const struct timespec *t0) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static enum MHD_Result queue(kd_http *http, struct MHD_Connection *c, kd_response *res) {
  struct MHD_Response *r;
  if (res->static_body) {
    r = MHD_create_response_from_buffer(strlen(res->static_body), (void *)res->static_body,
                                        MHD_RESPMEM_PERSISTENT);
  } else if (res->status == 204 || res->body.len == 0) {
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  } else {
    size_t len;
    char *data = kd_buf_steal(&res->body, &len);
    r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!r) free(data);
  }
  if (!r) return MHD_NO;
  if (res->status != 204) MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
  if (res->allow[0]) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, res->allow);
  if (res->www_authenticate) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  if (res->vary_accept) MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept");
  for (size_t i = 0; i < res->n_headers; i++)
    MHD_add_response_header(r, res->headers[i].name, res->headers[i].value);
  if (atomic_load(&http->draining)) MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)res->status, r);
  MHD_destroy_response(r);
  return ok;
}

static void finish(kd_http *http, request_state *st, const char *method, const char *url,
                   kd_response *res, size_t route) {
  const double secs = seconds_since(&st->started);
  kd_metrics_observe(http->srv->metrics, route, res->status, secs);
  kd_log_access(&http->srv->log, method, url, res->status, secs);
}

static enum MHD_Result reply_too_large(kd_http *http, struct MHD_Connection *c, request_state *st,
                                       const char *method, const char *url) {
  kd_response res;
  kd_response_init(&res);
  kd_err err;
  kd_fail(&err, KD_PAYLOAD_TOO_LARGE, "the request body exceeds the limit of %zu bytes (--max-body)",
          http->srv->cfg.max_body);
  kd_respond_error(&res, &err, strncmp(url, "/v2/models", 10) == 0);
  finish(http, st, method, url, &res, kd_route_count);
  enum MHD_Result ok = queue(http, c, &res);
  kd_response_free(&res);
  return ok;
}

/* The writer thread calls this once the commit completes. */
/* The reply once its ticket has completed: as written if committed, else a
 * 503 (nothing it did is acknowledged). Drops the ticket. */
static void finish_ticket(kd_response *res, int ok, const char *url) {
  const int conflicted = res->ticket->retry;
  kd_ticket_release(res->ticket);
  res->ticket = NULL;
  if (ok) return;
  kd_err err;
  if (conflicted)
    kd_fail(&err, KD_UNAVAILABLE, "other replicas kept changing this session; nothing was acknowledged, "
                                  "retry later");
  else
    kd_fail(&err, KD_UNAVAILABLE, "the change could not be made durable (the store is failing); "
                                  "nothing was acknowledged, retry later");
  kd_respond_error(res, &err, strncmp(url, "/v2/models", 10) == 0);
}

static void resume(void *arg) {
  request_state *st = arg;
  MHD_resume_connection(st->conn);
}

static enum MHD_Result send_reply(kd_http *http, struct MHD_Connection *c, request_state *st,
                                  const char *method, const char *url) {
  finish(http, st, method, url, &st->res, st->route);
  enum MHD_Result ok = queue(http, c, &st->res);
  kd_response_free(&st->res);
  return ok;
}

/* Collects the query parameters of a request (MHD_GET_ARGUMENT_KIND). */
typedef struct query_args {
  kd_query_arg arg[KD_MAX_QUERY_ARGS];
  size_t n;
} query_args;

static enum MHD_Result collect_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value) {
  (void)kind;
  query_args *q = cls;
  if (q->n < KD_MAX_QUERY_ARGS) {
    q->arg[q->n].name = key;
    q->arg[q->n].value = value;
  }
  q->n++;
  return MHD_YES;
}

/* Joins every Accept header of a request into one list (RFC 9110 allows a
 * list field to be split over several lines). */
static enum MHD_Result collect_accept(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
  (void)kind;
  kd_buf *b = cls;
  if (value && strcasecmp(key, MHD_HTTP_HEADER_ACCEPT) == 0) {
    if (b->len) kd_buf_puts(b, ", ");
    kd_buf_puts(b, value);
  }
  return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)version;
  kd_http *http = cls;
  request_state *st = *con_cls;
  if (!st) {
    st = calloc(1, sizeof *st);
    if (!st) return MHD_NO;
    clock_gettime(CLOCK_MONOTONIC, &st->started);
    kd_buf_init(&st->body);
    *con_cls = st;
    atomic_fetch_add(&http->in_flight, 1);
    /* Refuse a declared oversized body before reading any of it. */
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > http->srv->cfg.max_body) {
      st->too_large = 1;
      return reply_too_large(http, c, st, method, url);
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    /* A client trickling its body would hold a worker's connection slot for
     * as long as it likes; past the request timeout it is dropped. */
    if (seconds_since(&st->started) > (double)http->srv->cfg.request_timeout) {
      kd_log(&http->srv->log, KD_LOG_WARN, "%s %s: body not received within %us; dropping the connection",
             method, url, http->srv->cfg.request_timeout);
      return MHD_NO;
    }
    /* A chunked body can only be refused at its end (queueing a reply
     * mid-upload drops the connection), so an oversized one is consumed
     * without being stored. */
    if (!st->too_large) {
      if (*upload_data_size > http->srv->cfg.max_body - st->body.len) {
        st->too_large = 1;
        kd_buf_free(&st->body);
      } else {
        kd_buf_append(&st->body, upload_data, *upload_data_size);
      }
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (st->too_large) return reply_too_large(http, c, st, method, url);
  if (st->waiting) {
    /* Resumed: the commit this reply waited for has completed. */
    st->waiting = 0;
    if (st->res.ticket->resume) {
      /* A claim answered: the request runs again and finds it (st->claim). */
      kd_response_free(&st->res);
    } else if (!st->res.ticket->ok && st->res.ticket->retry && st->replays < KD_REPLAYS_MAX) {
      /* It changed nothing (another replica had changed the session): the
       * request runs again, as if it had just arrived. */
      st->replays++;
      kd_response_free(&st->res);
    } else {
      finish_ticket(&st->res, st->res.ticket->ok, url);
      return send_reply(http, c, st, method, url);
    }
  }
  /* Counted before the flag is read, so that kd_http_close, which sets the
   * flag before it reads the count, either sees this dispatch or is seen. */
  atomic_fetch_add(&http->dispatching, 1);
  if (atomic_load(&http->closed)) {
    atomic_fetch_sub(&http->dispatching, 1);
    return MHD_NO; /* the connection goes: a client sees it refused, not half-served */
  }
  kd_response_init(&st->res);
  if (kd_buf_failed(&st->body)) {
    kd_err err;
    kd_fail(&err, KD_UNAVAILABLE, "out of memory reading the request body");
    kd_respond_error(&st->res, &err, 0);
    st->route = kd_route_count;
  } else {
    query_args query = {.n = 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query_arg, &query);
    kd_buf accept;
    kd_buf_init(&accept);
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_accept, &accept);
    const kd_http_input in = {
        .method = method,
        .path = url,
        .content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
        .authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
        /* The first Accept header alone if joining them ran out of memory. */
        .accept = accept.len && !kd_buf_failed(&accept)
                      ? accept.data
                      : MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
        .body = st->body.data ? st->body.data : "",
        .body_len = st->body.len,
        .query = query.arg,
        .n_query = query.n,
        .claim = http->can_suspend ? &st->claim : NULL,
    };
    kd_dispatch(http->srv, &in, &st->res, &st->route);
    kd_buf_free(&accept);
  }
  atomic_fetch_sub(&http->dispatching, 1);
  if (st->res.ticket && !http->can_suspend) {
    /* A daemon without a disk gives no tickets; if one came anyway, the
     * reply still waits for it, on this thread. */
    finish_ticket(&st->res, kd_ticket_wait(st->res.ticket), url);
  }
  if (st->res.ticket) {
    /* Hold the reply until the change is durable. The commit may complete
     * before it is armed: then resume at once. */
    st->waiting = 1;
    st->conn = c;
    MHD_suspend_connection(c);
    if (kd_ticket_arm(st->res.ticket, resume, st)) MHD_resume_connection(c);
    return MHD_YES;
  }
  return send_reply(http, c, st, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)c;
  (void)toe;
  kd_http *http = cls;
  request_state *st = *con_cls;
  if (st) {
    kd_buf_free(&st->body);
    kd_response_free(&st->res);
    kd_claim_end(&st->claim);
    free(st);
    *con_cls = NULL;
    atomic_fetch_sub(&http->in_flight, 1);
  }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
  kd_http *http = cls;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = '\0';
  kd_log(&http->srv->log, KD_LOG_WARN, "http: %s", msg);
}

/* libmicrohttpd's fatal errors: say which, and write the lines the log
 * thread still holds, before the abort that MHD's own handler would do. */
static void on_mhd_panic(void *cls, const char *file, unsigned int line, const char *reason) {
  const kd_logger *log = cls;
  char why[256];
  snprintf(why, sizeof why, "%s", reason ? reason : "?");
  size_t n = strlen(why);
  while (n && (why[n - 1] == '\n' || why[n - 1] == '\r')) why[--n] = '\0';
  kd_log(log, KD_LOG_ERROR, "libmicrohttpd: fatal error at %s:%u: %s", file ? file : "?", line, why);
  kd_logger_flush(log);
  abort();
}

/* The acceptor thread: takes each connection off the listening socket and
 * hands it to libmicrohttpd, which gives it to a worker (MHD_add_connection
 * closes it if the connection limits refuse it). libmicrohttpd is not left
 * to accept on its own because stopping that needs MHD_quiesce_daemon,
 * which on an epoll thread pool races the workers removing the listening
 * socket from their epoll sets: the loser's epoll_ctl fails with ENOENT
 * and libmicrohttpd (0.9.75) aborts the process. Here quiescing is a
 * shutdown(2) of the listening socket, which ends the blocked accept. */
static void *accept_main(void *arg) {
  kd_http *http = arg;
  unsigned failures = 0;
  for (;;) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    const int fd = accept(http->listen_fd, (struct sockaddr *)&ss, &len);
    if (fd >= 0) {
      failures = 0;
      fcntl(fd, F_SETFD, FD_CLOEXEC);
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      MHD_add_connection(http->daemon, fd, (const struct sockaddr *)&ss, len);
      continue;
    }
    if (atomic_load(&http->draining)) break;
    if (errno == EINTR || errno == ECONNABORTED) continue;
    /* Out of descriptors or memory: the connection stays in the backlog;
     * retry shortly instead of spinning, and say so once per spell. */
    if (failures++ == 0) kd_log(&http->srv->log, KD_LOG_WARN, "http: accept: %s", strerror(errno));
    const struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  return NULL;
}

kd_http *kd_http_start(kd_server *srv, int listen_fd) {
  kd_http *http = calloc(1, sizeof *http);
  if (!http) return NULL;
  http->srv = srv;
  http->listen_fd = listen_fd;
  unsigned threads = srv->cfg.threads > 0 ? (unsigned)srv->cfg.threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
  if (threads < 1) threads = 1;
  MHD_set_panic_func(on_mhd_panic, &srv->log);
  /* Epoll with a pool of one thread per core measured fastest once handlers
   * do work; ALLOW_SUSPEND_RESUME also enables the ITC that
   * MHD_add_connection from the acceptor thread needs. */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
  /* Replies wait for the disk only when there is one: suspending costs
   * every worker loop a look at the resumed connections. */
  http->can_suspend = srv->cfg.durability != KD_DURABILITY_MEMORY;
  if (http->can_suspend) flags |= MHD_ALLOW_SUSPEND_RESUME;
  http->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, http,
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, http, /* first, or MHD logs on its own */
      MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, srv->cfg.connection_limit,
      MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.connection_timeout,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->cfg.max_connections_per_ip,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, http,
      MHD_OPTION_END);
  if (!http->daemon) {
    kd_log(&srv->log, KD_LOG_ERROR, "http: cannot start libmicrohttpd");
    free(http);
    return NULL;
  }
  if (pthread_create(&http->acceptor, NULL, accept_main, http) != 0) {
    kd_log(&srv->log, KD_LOG_ERROR, "http: cannot start the acceptor thread");
    MHD_stop_daemon(http->daemon);
    free(http);
    return NULL;
  }
  http->acceptor_running = 1;
  return http;
}

void kd_http_quiesce(kd_http *http) {
  if (!http->acceptor_running) return;
  atomic_store(&http->draining, 1);
  /* Refuses new connections at once (instead of leaving them in the
   * backlog) and wakes the acceptor's accept with EINVAL. */
  shutdown(http->listen_fd, SHUT_RDWR);
  pthread_join(http->acceptor, NULL);
  http->acceptor_running = 0;
}

unsigned kd_http_in_flight(kd_http *http) { return atomic_load(&http->in_flight); }

void kd_http_close(kd_http *http) {
  atomic_store(&http->closed, 1);
  const struct timespec tick = {0, 1000 * 1000};
  for (int i = 0; i < 5000 && atomic_load(&http->dispatching) > 0; i++) nanosleep(&tick, NULL);
}

void kd_http_stop(kd_http *http) {
  if (!http) return;
  kd_http_quiesce(http);
  MHD_stop_daemon(http->daemon);
  free(http);
}
