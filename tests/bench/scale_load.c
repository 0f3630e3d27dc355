/* scale_load — the HTTP client of scripts/bench-scale.sh.
 *
 *   scale_load create --port P [--sessions N] [--start I] [--connections C]
 *   scale_load ready  --port P [--timeout S] [--interval-ms MS] [--pid PID]
 *
 * create: creates sessions s<I> … s<I+N-1> on keyfoldd at 127.0.0.1:P, each
 *   POST /v1/sessions {"name": "s<i>", "rngs": {"default": i, "params": [0, i],
 *   "dropout": i+7}} (three streams, no model), over C keep-alive connections
 *   (default 64) driven by one epoll loop: every connection has one request in
 *   flight, and sends the next as soon as its reply is complete, so the daemon
 *   always has C creations to batch. Every reply's status is checked. Prints
 *   one line on stdout,
 *     created=N other=K errors=E seconds=S per_s=R
 *   (created: 201 replies; other: any other status; errors: requests lost to a
 *   connection error) and exits 0 only if every request got its 201.
 *
 * ready: polls GET /v2/health/ready every MS milliseconds (default 10), a new
 *   connection each time, until it answers 200; exits 0 then, or 1 after S
 *   seconds (default 60) or as soon as process PID (when given) is gone.
 *   Connection refused counts as not ready yet.
 *
 * Built by tests/bench/meson.build. Not a test.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in server;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_to(int nonblock) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

/* ------------------------------------------------------------------ create */

typedef struct conn {
  int fd;
  long index;        /* the session its request creates; -1: idle */
  char out[256];
  size_t out_len, out_off;
  char in[8192];
  size_t in_len;
} conn;

static long next_index, end_index;
static long created, other, errors, shown_other;

/* Formats the next creation into c (or marks c idle when all are sent). */
static void next_request(conn *c) {
  if (next_index >= end_index) {
    c->index = -1;
    return;
  }
  const long i = next_index++;
  char body[160];
  const int n = snprintf(body, sizeof body,
                         "{\"name\": \"s%ld\", \"rngs\": {\"default\": %ld, \"params\": [0, %ld], "
                         "\"dropout\": %ld}}",
                         i, i, i, i + 7);
  c->out_len = (size_t)snprintf(c->out, sizeof c->out,
                                "POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                                n, body);
  c->out_off = 0;
  c->in_len = 0;
  c->index = i;
}

/* Sends what is left of c's request. 0, or -1 on a connection error. */
static int flush_out(conn *c) {
  while (c->out_off < c->out_len) {
    const ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (w < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    c->out_off += (size_t)w;
  }
  return 0;
}

/* 1 once c->in holds a whole reply (its status in *status and whether the
 * server closes the connection after it in *closing), 0 if more is needed,
 * -1 if it cannot be parsed. */
static int parse_reply(conn *c, int *status, int *closing) {
  c->in[c->in_len < sizeof c->in ? c->in_len : sizeof c->in - 1] = '\0';
  const char *end = strstr(c->in, "\r\n\r\n");
  if (!end) return c->in_len >= sizeof c->in - 1 ? -1 : 0;
  if (strncmp(c->in, "HTTP/1.", 7) != 0) return -1;
  *status = atoi(c->in + 9);
  long length = 0;
  *closing = 0;
  for (const char *line = strstr(c->in, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
    if (strncasecmp(line, "Content-Length:", 15) == 0) length = atol(line + 15);
    if (strncasecmp(line, "Connection:", 11) == 0 && strcasestr(line, "close") &&
        strcasestr(line, "close") < strstr(line, "\r\n"))
      *closing = 1;
  }
  const size_t total = (size_t)(end + 4 - c->in) + (size_t)length;
  if (total >= sizeof c->in) return -1;
  return c->in_len >= total ? 1 : 0;
}

static int open_conn(int ep, conn *c) {
  c->fd = connect_to(1);
  if (c->fd < 0) return -1;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c};
  return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void close_conn(int ep, conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
}

static int cmd_create(long sessions, long start, int connections) {
  next_index = start;
  end_index = start + sessions;
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  conn *conns = calloc((size_t)connections, sizeof *conns);
  if (ep < 0 || !conns) return 2;
  int active = 0;
  const double t0 = now_s();
  for (int k = 0; k < connections; k++) {
    next_request(&conns[k]);
    if (conns[k].index < 0) break;
    if (open_conn(ep, &conns[k]) != 0) {
      fprintf(stderr, "scale_load: cannot connect: %s\n", strerror(errno));
      return 2;
    }
    active++;
  }
  struct epoll_event evs[256];
  while (active > 0) {
    const int n = epoll_wait(ep, evs, 256, 60000);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("scale_load: epoll_wait");
      return 2;
    }
    if (n == 0) {
      fprintf(stderr, "scale_load: no reply for 60 s\n");
      return 2;
    }
    for (int e = 0; e < n; e++) {
      conn *c = evs[e].data.ptr;
      if (c->fd < 0) continue;
      int failed = 0;
      if (evs[e].events & EPOLLOUT) failed = flush_out(c) != 0;
      if (!failed && (evs[e].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
        for (;;) {
          const ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - 1 - c->in_len, 0);
          if (r > 0) {
            c->in_len += (size_t)r;
            if (c->in_len >= sizeof c->in - 1) break;
            continue;
          }
          if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          failed = 1; /* closed or failed: whatever is buffered is all there is */
          break;
        }
        int status = 0, closing = 0;
        const int got = parse_reply(c, &status, &closing);
        if (got == 1) {
          if (status == 201) {
            created++;
          } else {
            other++;
            if (shown_other++ < 5) {
              const char *body = strstr(c->in, "\r\n\r\n");
              fprintf(stderr, "scale_load: s%ld: HTTP %d %s\n", c->index, status, body ? body + 4 : "");
            }
          }
          failed = 0;
          next_request(c);
          if (closing || c->index < 0) {
            close_conn(ep, c);
            if (c->index < 0) {
              active--;
              continue;
            }
            if (open_conn(ep, c) != 0) {
              fprintf(stderr, "scale_load: cannot reconnect: %s\n", strerror(errno));
              return 2;
            }
            continue;
          }
          failed = flush_out(c) != 0;
        } else if (got < 0) {
          failed = 1;
        }
      }
      if (failed) {
        /* The request in flight is lost: count it and go on with the next one
         * on a new connection. */
        errors++;
        if (errors <= 5) fprintf(stderr, "scale_load: s%ld: connection error\n", c->index);
        close_conn(ep, c);
        next_request(c);
        if (c->index < 0) {
          active--;
        } else if (open_conn(ep, c) != 0) {
          fprintf(stderr, "scale_load: cannot reconnect: %s\n", strerror(errno));
          return 2;
        }
      }
    }
  }
  const double secs = now_s() - t0;
  printf("created=%ld other=%ld errors=%ld seconds=%.3f per_s=%.0f\n", created, other, errors, secs,
         secs > 0 ? (double)created / secs : 0.0);
  free(conns);
  close(ep);
  return created == sessions ? 0 : 1;
}

/* ------------------------------------------------------------------ ready */

/* 1 if GET /v2/health/ready answered 200, else 0. */
static int ready_once(void) {
  const int fd = connect_to(0);
  if (fd < 0) return 0;
  struct timeval tv = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  static const char req[] = "GET /v2/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  char buf[512];
  int ok = 0;
  if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1)) {
    size_t len = 0;
    ssize_t r;
    while (len < 12 && (r = recv(fd, buf + len, sizeof buf - 1 - len, 0)) > 0) len += (size_t)r;
    buf[len] = '\0';
    ok = len >= 12 && strncmp(buf, "HTTP/1.", 7) == 0 && strncmp(buf + 9, "200", 3) == 0;
  }
  close(fd);
  return ok;
}

static int cmd_ready(double timeout, long interval_ms, long pid) {
  const double deadline = now_s() + timeout;
  const struct timespec pause = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
  while (now_s() < deadline) {
    if (ready_once()) return 0;
    if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
      fprintf(stderr, "scale_load: process %ld exited before it was ready\n", pid);
      return 1;
    }
    nanosleep(&pause, NULL);
  }
  fprintf(stderr, "scale_load: not ready after %.0f s\n", timeout);
  return 1;
}

/* ------------------------------------------------------------------ main */

static int usage(void) {
  fprintf(stderr,
          "usage: scale_load create --port P [--sessions N] [--start I] [--connections C]\n"
          "       scale_load ready --port P [--timeout S] [--interval-ms MS] [--pid PID]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  long port = -1, sessions = 1000, start = 0, connections = 64, interval_ms = 10, pid = 0;
  double timeout = 60;
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *f = argv[i], *v = argv[i + 1];
    if (strcmp(f, "--port") == 0) port = atol(v);
    else if (strcmp(f, "--sessions") == 0) sessions = atol(v);
    else if (strcmp(f, "--start") == 0) start = atol(v);
    else if (strcmp(f, "--connections") == 0) connections = atol(v);
    else if (strcmp(f, "--timeout") == 0) timeout = atof(v);
    else if (strcmp(f, "--interval-ms") == 0) interval_ms = atol(v);
    else if (strcmp(f, "--pid") == 0) pid = atol(v);
    else return usage();
  }
  if ((argc % 2) != 0 || port <= 0 || port > 65535 || sessions < 0 || start < 0 || connections < 1 ||
      connections > 4096 || interval_ms < 1)
    return usage();
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (strcmp(argv[1], "create") == 0) return cmd_create(sessions, start, (int)connections);
  if (strcmp(argv[1], "ready") == 0) return cmd_ready(timeout, interval_ms, pid);
  return usage();
}
