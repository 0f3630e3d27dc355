/* http_anchor — the ceiling keyfoldd's HTTP numbers are compared with.
 *
 * A minimal libmicrohttpd server under keyfoldd's threading
 * (INTERNAL_POLLING_THREAD | EPOLL, a pool of one thread per core): every
 * request's body is read to the end, then answered 200 with one fixed JSON
 * body. No routing, no parsing, no store: what is left is the cost of
 * libmicrohttpd, the kernel and the load generator on this machine.
 *
 *   http_anchor [--listen HOST:PORT] [--threads N] [--body-file PATH]
 *
 * Defaults: 127.0.0.1:0 (a free port), one thread per core, and a body of
 * the size of a one-key POST …/keys reply. --body-file answers the bytes of
 * PATH instead (scripts/bench-http.sh passes a real /forward reply, so the
 * anchor of the /forward workload sends as many bytes as keyfoldd). Prints
 * "listening on http://HOST:PORT" on stderr, like keyfoldd; SIGTERM or SIGINT
 * stops it (exit 0). Built by tests/bench/meson.build; run by
 * scripts/bench-http.sh. Not a test.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* About the size of a one-key /keys reply: the default body. */
static const char default_body[] =
    "{\"stream\":\"dropout\",\"source\":\"dropout\",\"counts\":[0],\"keys\":[[1797259609,2579123966]]}";

static struct MHD_Response *reply;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
  (void)cls;
  (void)url;
  (void)method;
  (void)version;
  (void)upload_data;
  static int marker;
  if (*con_cls == NULL) { /* headers only */
    *con_cls = &marker;
    return MHD_YES;
  }
  if (*upload_data_size > 0) { /* a piece of the body: consume it */
    *upload_data_size = 0;
    return MHD_YES;
  }
  return MHD_queue_response(c, MHD_HTTP_OK, reply);
}

/* Reads the whole file at path into a malloc'd buffer; NULL on failure. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *data = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (cap - n < 4096) {
      char *d = realloc(data, cap = cap * 2 + 4096);
      if (!d) break;
      data = d;
    }
    const size_t got = fread(data + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  const int bad = ferror(f) || !data;
  fclose(f);
  if (bad) {
    free(data);
    return NULL;
  }
  *len = n;
  return data;
}

static int parse_listen(const char *s, struct sockaddr_in *sa) {
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || colon - s >= 64) return -1;
  char host[64];
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  char *end;
  const long port = strtol(colon + 1, &end, 10);
  if (*end || end == colon + 1 || port < 0 || port > 65535) return -1;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv) {
  const char *listen_at = "127.0.0.1:0";
  const char *body_file = NULL;
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen_at = argv[++i];
    } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = strtol(argv[++i], NULL, 10);
    } else if (strcmp(argv[i], "--body-file") == 0 && i + 1 < argc) {
      body_file = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--listen HOST:PORT] [--threads N] [--body-file PATH]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1) threads = 1;
  struct sockaddr_in sa;
  if (parse_listen(listen_at, &sa) != 0) {
    fprintf(stderr, "http_anchor: expected IPv4 host:port, got '%s'\n", listen_at);
    return 2;
  }

  /* The pool's threads inherit this mask: only sigwait below sees them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  char *body = (char *)default_body;
  size_t body_len = sizeof default_body - 1;
  if (body_file) {
    body = read_file(body_file, &body_len);
    if (!body) {
      fprintf(stderr, "http_anchor: cannot read %s\n", body_file);
      return 2;
    }
  }
  reply = MHD_create_response_from_buffer(body_len, body, MHD_RESPMEM_PERSISTENT);
  if (!reply) return 1;
  MHD_add_response_header(reply, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");

  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
      on_request, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
      MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
      MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "http_anchor: cannot start libmicrohttpd on %s\n", listen_at);
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  char host[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
  fprintf(stderr, "http_anchor: %ld threads, %zu-byte body, listening on http://%s:%u\n", threads,
          body_len, host, info ? (unsigned)info->port : 0u);
  fflush(stderr);

  int sig = 0;
  sigwait(&stop, &sig);
  MHD_stop_daemon(d);
  MHD_destroy_response(reply);
  if (body != default_body) free(body);
  return 0;
}
