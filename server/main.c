/* keyfoldd — process entry: configuration, the listening socket, the HTTP
 * daemon and a libuv loop that owns signals and the graceful shutdown:
 * stop accepting, let in-flight requests finish, exit 0. */
#include <errno.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "codec.h"
#include "config.h"
#include "handlers.h"
#include "http.h"
#include "metrics.h"
#include "session.h"
#include "router.h"
#include "store.h"
#include "tables.h"

/* How long a shutdown waits for in-flight requests before stopping anyway. */
#define DRAIN_DEADLINE_MS 10000
#define DRAIN_POLL_MS 50

typedef struct app {
  kd_server srv;
  kd_http *http;
  int listen_fd;
  uv_loop_t loop;
  uv_signal_t sigterm, sigint, sigusr1;
  uv_timer_t drain_timer;
  uint64_t drain_started;
  int stopping;
} app;

/* Binds host:port and listens; stores the bound address in `bound`. */
static int open_listener(const kd_server *srv, char *bound, size_t bound_size) {
  char host[256];
  unsigned port;
  if (kd_split_listen(srv->cfg.listen, host, sizeof host, &port) != 0) return -1;
  char service[8];
  snprintf(service, sizeof service, "%u", port);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int gai = getaddrinfo(host, service, &hints, &res);
  if (gai != 0) {
    kd_log(&srv->log, KD_LOG_ERROR, "cannot resolve %s: %s", srv->cfg.listen, gai_strerror(gai));
    return -1;
  }
  int fd = -1;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
      kd_log(&srv->log, KD_LOG_ERROR, "cannot listen on %s: %s", srv->cfg.listen, strerror(errno));
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return -1;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  getsockname(fd, (struct sockaddr *)&ss, &len);
  char addr[INET6_ADDRSTRLEN + 8], serv[8];
  getnameinfo((struct sockaddr *)&ss, len, addr, sizeof addr, serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
  snprintf(bound, bound_size, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", addr, serv);
  return fd;
}

/* Opens the store and recovers every session (strict/lease), or says loudly
 * that nothing will be kept (memory). Returns 0, or -1 (logged): the daemon
 * must not start on a store it cannot trust. */
static int open_store(kd_server *srv) {
  const kd_durability mode = srv->cfg.durability;
  if (mode == KD_DURABILITY_MEMORY) {
    kd_log(&srv->log, KD_LOG_WARN,
           "durability: memory — sessions are NOT persisted: a restart forgets every session "
           "and its counts");
    return 0;
  }
  char msg[1024];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  kd_durable *d;
  if (kd_durable_open(&srv->cfg, srv->store, srv->metrics, &d, msg, sizeof msg) != 0) {
    kd_log(&srv->log, KD_LOG_ERROR, "%s", msg);
    return -1;
  }
  srv->durable = d;
  const long n = kd_service_recover(srv, msg, sizeof msg);
  if (n < 0 || kd_durable_start(d) != 0) {
    kd_log(&srv->log, KD_LOG_ERROR, "%s", n < 0 ? msg : "cannot start the store's writer thread");
    srv->durable = NULL;
    kd_durable_close(d);
    return -1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  kd_log(&srv->log, KD_LOG_INFO, "durability: %s; recovered %ld sessions from %s/keyfold.db in %.3fs",
         kd_durability_name(mode), n, srv->cfg.data_dir,
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  const char *note;
  if (kd_durable_fenced(d, &note))
    kd_log(&srv->log, KD_LOG_WARN,
           "the store is a restored snapshot (%s): every session is fenced — draws answer 409 until "
           "POST /v1/admin/restore {\"advance\": N} advances every stream by N counts (or a reseed "
           "replaces all of a session's streams)",
           note);
  return 0;
}

static void close_handle(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void on_drain_tick(uv_timer_t *t) {
  app *a = t->data;
  const unsigned busy = kd_http_in_flight(a->http);
  const uint64_t waited = uv_now(&a->loop) - a->drain_started;
  if (busy > 0 && waited < DRAIN_DEADLINE_MS) return;
  if (busy > 0) kd_log(&a->srv.log, KD_LOG_WARN, "shutdown: abandoning %u requests still in flight", busy);
  uv_walk(&a->loop, close_handle, NULL);
}

static void on_snapshot_signal(uv_signal_t *s, int signum) {
  (void)signum;
  app *a = s->data;
  char path[4200];
  kd_err err;
  if (kd_service_snapshot(&a->srv, path, sizeof path, &err) == 0)
    kd_log(&a->srv.log, KD_LOG_INFO, "SIGUSR1: snapshot written to %s", path);
  else
    kd_log(&a->srv.log, KD_LOG_ERROR, "SIGUSR1: %s", err.message);
}

/* Reads the bearer token: the file's first line, surrounding blanks removed. */
static int load_token(kd_server *srv) {
  if (!srv->cfg.auth_token_file[0]) return 0;
  FILE *f = fopen(srv->cfg.auth_token_file, "r");
  if (!f) {
    kd_log(&srv->log, KD_LOG_ERROR, "cannot read --auth-token-file %s: %s", srv->cfg.auth_token_file, strerror(errno));
    return -1;
  }
  char line[sizeof srv->auth_token + 2] = "";
  const int got = fgets(line, sizeof line, f) != NULL;
  fclose(f);
  char *p = line;
  while (*p == ' ' || *p == '\t') p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t')) p[--n] = '\0';
  if (!got || n == 0 || n >= sizeof srv->auth_token) {
    kd_log(&srv->log, KD_LOG_ERROR, "--auth-token-file %s: the first line must hold a token of 1..%zu characters",
           srv->cfg.auth_token_file, sizeof srv->auth_token - 1);
    return -1;
  }
  memcpy(srv->auth_token, p, n + 1);
  kd_log(&srv->log, KD_LOG_INFO, "authentication: bearer token required on all routes but health");
  return 0;
}

static void on_signal(uv_signal_t *s, int signum) {
  app *a = s->data;
  if (a->stopping) {
    kd_log(&a->srv.log, KD_LOG_WARN, "second signal: stopping now");
    uv_walk(&a->loop, close_handle, NULL);
    return;
  }
  a->stopping = 1;
  kd_log(&a->srv.log, KD_LOG_INFO, "%s: shutting down, finishing in-flight requests",
         signum == SIGTERM ? "SIGTERM" : "SIGINT");
  atomic_store(&a->srv.stopping, 1);
  kd_http_quiesce(a->http);
  a->drain_started = uv_now(&a->loop);
  uv_timer_start(&a->drain_timer, on_drain_tick, 0, DRAIN_POLL_MS);
}

int main(int argc, char **argv) {
  app a;
  memset(&a, 0, sizeof a);
  a.listen_fd = -1;
  switch (kd_config_parse(&a.srv.cfg, argc, argv, stdout, stderr)) {
    case KD_CONFIG_RUN: break;
    case KD_CONFIG_DONE: return 0;
    case KD_CONFIG_DUMP_TABLES: return kd_tables_dump(stdout) == 0 ? 0 : 1;
    case KD_CONFIG_BAD: return 2;
  }
  kd_logger_init(&a.srv.log, &a.srv.cfg);
  kd_json_setup();
  signal(SIGPIPE, SIG_IGN);
#if defined(__GLIBC__)
  /* Every forward pass and large draw allocates scratch and frees it. With
   * glibc's default trim threshold (128 KiB) such a free at the top of a
   * thread's heap handed pages back with madvise, and the TLB shootdown that
   * follows stalls every thread: 7% of keyfoldd's time under a /forward load.
   * Keep up to 8 MiB per heap; blocks over 4 MiB (big tensors) are mapped. */
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
#endif
  if (load_token(&a.srv) != 0) return 1;

  a.srv.store = kd_store_new(a.srv.cfg.max_sessions);
  a.srv.metrics = kd_metrics_new(kd_route_label, kd_route_count);
  if (!a.srv.store || !a.srv.metrics) {
    kd_log(&a.srv.log, KD_LOG_ERROR, "out of memory at start-up");
    return 1;
  }
  char bound[300];
  a.listen_fd = open_listener(&a.srv, bound, sizeof bound);
  if (a.listen_fd < 0) return 1;
  /* From here on a line is written by the log thread: every way out stops
   * it, which writes what it holds. */
  if (kd_logger_start(&a.srv.log) != 0)
    kd_log(&a.srv.log, KD_LOG_WARN, "cannot start the log thread: every line is written as it is logged");
  a.http = kd_http_start(&a.srv, a.listen_fd);
  if (!a.http) {
    kd_logger_stop(&a.srv.log);
    return 1;
  }

  uv_loop_init(&a.loop);
  uv_signal_init(&a.loop, &a.sigterm);
  uv_signal_init(&a.loop, &a.sigint);
  uv_signal_init(&a.loop, &a.sigusr1);
  uv_timer_init(&a.loop, &a.drain_timer);
  a.sigterm.data = a.sigint.data = a.sigusr1.data = a.drain_timer.data = &a;
  uv_signal_start(&a.sigterm, on_signal, SIGTERM);
  uv_signal_start(&a.sigint, on_signal, SIGINT);
  uv_signal_start(&a.sigusr1, on_snapshot_signal, SIGUSR1);

  kd_log(&a.srv.log, KD_LOG_INFO, "keyfoldd %s (kernels: %s) listening on http://%s", kf_version(),
         kf_kernels(), bound);
  /* Recovery runs with the listener up, so that /v2/health/ready can answer
   * 503 while it runs; every other route answers 503 until it is done. */
  if (open_store(&a.srv) != 0) {
    a.stopping = 1;
    kd_http_stop(a.http);
    close(a.listen_fd);
    kd_store_free(a.srv.store);
    kd_metrics_free(a.srv.metrics);
    kd_logger_stop(&a.srv.log);
    return 1;
  }
  atomic_store(&a.srv.ready, 1);
  kd_log(&a.srv.log, KD_LOG_INFO, "ready");
  /* Whoever watches the log for readiness (and the recovery figures) sees
   * it now, not at the log thread's next tick. */
  kd_logger_flush(&a.srv.log);

  uv_run(&a.loop, UV_RUN_DEFAULT);

  /* Every request has finished (or the deadline passed): commit what is
   * queued and resume any reply still waiting, then stop the HTTP side —
   * libmicrohttpd aborts if stopped with a suspended connection. */
  kd_http_close(a.http);
  kd_durable_stop(a.srv.durable);
  const struct timespec tick = {0, 10 * 1000 * 1000};
  for (int i = 0; i < 100 && kd_http_in_flight(a.http) > 0; i++) nanosleep(&tick, NULL);
  kd_http_stop(a.http);
  kd_durable_close(a.srv.durable);
  close(a.listen_fd);
  uv_loop_close(&a.loop);
  /* Every thread that logs has ended: what the log thread holds goes out
   * before the last line. Its buffers are freed before the sessions: freed
   * after a million small blocks, they would make the C library consolidate
   * all of them (0.7 s at a million sessions). */
  kd_logger_stop(&a.srv.log);
  kd_store_free(a.srv.store);
  kd_metrics_free(a.srv.metrics);
  kd_log(&a.srv.log, KD_LOG_INFO, "stopped");
  return 0;
}
