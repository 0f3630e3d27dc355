/* keyfoldd — one line per message on stderr: text, or JSON objects, written
 * in batches by a log thread once started (log.h). */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

/* Each of the two buffers. At 100k lines a second of ~150 bytes it fills
 * every 40 ms or so: large batches, and a short wait when one is full. */
#define SINK_CAPACITY (512u * 1024u)

/* Two buffers: threads append to `fill` while the log thread writes
 * `spare`, then they swap. */
struct kd_log_sink {
  pthread_mutex_t lock;
  pthread_cond_t wake;  /* the log thread: `fill` is full, a flush is asked, or stop */
  pthread_cond_t moved; /* loggers and flushers: the log thread swapped or wrote */
  char *fill, *spare;
  size_t len;           /* bytes in fill */
  int writing;          /* the log thread is writing spare, outside the lock */
  int urgent;           /* write fill now instead of at the next tick */
  int stop;
  unsigned long long written; /* batches written: a flush waits for the next */
  pthread_t thread;
};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* "2026-12-04T21:30:00.123Z". The part up to the seconds changes once a
 * second, so each thread keeps it and formats only the milliseconds: a
 * busy daemon writes a line per request. */
static void timestamp(char out[64]) {
  static _Thread_local time_t cached_second = -1;
  static _Thread_local char cached[32];
  struct timeval tv;
  gettimeofday(&tv, NULL);
  if (tv.tv_sec != cached_second) {
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    if (strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm) == 0) cached[0] = '\0';
    cached_second = tv.tv_sec;
  }
  const size_t n = strlen(cached);
  memcpy(out, cached, n);
  const long ms = (long)(tv.tv_usec / 1000);
  out[n] = '.';
  out[n + 1] = (char)('0' + ms / 100);
  out[n + 2] = (char)('0' + ms / 10 % 10);
  out[n + 3] = (char)('0' + ms % 10);
  out[n + 4] = 'Z';
  out[n + 5] = '\0';
}

/* Writes all of data to stderr. A stderr left non-blocking by whoever
 * started the daemon is waited on; an error (a closed pipe) loses the bytes,
 * as there is nowhere left to say so. */
static void write_all(const char *data, size_t n) {
  while (n > 0) {
    const ssize_t w = write(STDERR_FILENO, data, n);
    if (w > 0) {
      data += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {.fd = STDERR_FILENO, .events = POLLOUT};
      poll(&p, 1, 100);
    } else {
      return;
    }
  }
}

static void *sink_main(void *arg) {
  kd_log_sink *s = arg;
  pthread_mutex_lock(&s->lock);
  for (;;) {
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_nsec += KD_LOG_FLUSH_MS * 1000000L;
    deadline.tv_sec += deadline.tv_nsec / 1000000000L;
    deadline.tv_nsec %= 1000000000L;
    while (!s->urgent && !s->stop)
      if (pthread_cond_timedwait(&s->wake, &s->lock, &deadline) == ETIMEDOUT) break;
    s->urgent = 0;
    if (s->len > 0) {
      char *batch = s->fill;
      const size_t n = s->len;
      s->fill = s->spare;
      s->spare = batch;
      s->len = 0;
      s->writing = 1;
      pthread_cond_broadcast(&s->moved);
      pthread_mutex_unlock(&s->lock);
      write_all(batch, n);
      pthread_mutex_lock(&s->lock);
      s->writing = 0;
    }
    s->written++;
    pthread_cond_broadcast(&s->moved);
    if (s->stop && s->len == 0) break;
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

/* Appends one line (newline included) to the sink, waiting while the buffer
 * is full. A line longer than a whole buffer (a huge URL, escaped) is
 * written directly once everything before it is, under the lock, so that it
 * keeps its place. */
static void sink_put(kd_log_sink *s, const char *line, size_t n) {
  pthread_mutex_lock(&s->lock);
  if (n > SINK_CAPACITY) {
    while (s->len > 0 || s->writing) {
      s->urgent = 1;
      pthread_cond_signal(&s->wake);
      pthread_cond_wait(&s->moved, &s->lock);
    }
    write_all(line, n);
  } else {
    while (s->len + n > SINK_CAPACITY) {
      s->urgent = 1;
      pthread_cond_signal(&s->wake);
      pthread_cond_wait(&s->moved, &s->lock);
    }
    memcpy(s->fill + s->len, line, n);
    s->len += n;
  }
  pthread_mutex_unlock(&s->lock);
}

/* Ends the line and hands it to the sink, or writes it at once. */
static void emit(const kd_logger *log, kd_buf *line) {
  kd_buf_putc(line, '\n');
  if (!kd_buf_failed(line)) {
    if (log && log->sink)
      sink_put(log->sink, line->data, line->len);
    else
      write_all(line->data, line->len);
  }
  kd_buf_free(line);
}

void kd_logger_init(kd_logger *log, const kd_config *cfg) {
  log->level = cfg->log_level;
  log->format = cfg->log_format;
  log->sink = NULL;
}

int kd_logger_start(kd_logger *log) {
  kd_log_sink *s = calloc(1, sizeof *s);
  if (!s) return -1;
  s->fill = malloc(SINK_CAPACITY);
  s->spare = malloc(SINK_CAPACITY);
  pthread_condattr_t attr;
  int ok = s->fill && s->spare && pthread_condattr_init(&attr) == 0;
  if (ok) {
    /* The tick must not stretch or shrink when the wall clock is set. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, &attr);
    pthread_cond_init(&s->moved, NULL);
    pthread_condattr_destroy(&attr);
    ok = pthread_create(&s->thread, NULL, sink_main, s) == 0;
    if (!ok) {
      pthread_mutex_destroy(&s->lock);
      pthread_cond_destroy(&s->wake);
      pthread_cond_destroy(&s->moved);
    }
  }
  if (!ok) {
    free(s->fill);
    free(s->spare);
    free(s);
    return -1;
  }
  log->sink = s;
  return 0;
}

void kd_logger_flush(const kd_logger *log) {
  kd_log_sink *s = log ? log->sink : NULL;
  if (!s) return;
  pthread_mutex_lock(&s->lock);
  /* The log thread's next pass takes everything appended until now. */
  const unsigned long long target = s->written + (s->writing ? 2 : 1);
  s->urgent = 1;
  pthread_cond_signal(&s->wake);
  while (s->written < target && !s->stop) pthread_cond_wait(&s->moved, &s->lock);
  pthread_mutex_unlock(&s->lock);
}

void kd_logger_stop(kd_logger *log) {
  kd_log_sink *s = log->sink;
  if (!s) return;
  pthread_mutex_lock(&s->lock);
  s->stop = 1;
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  log->sink = NULL;
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->wake);
  pthread_cond_destroy(&s->moved);
  free(s->fill);
  free(s->spare);
  free(s);
}

static int wanted(const kd_logger *log, kd_log_level level) { return !log || level <= log->level; }

static int as_json(const kd_logger *log) { return log && log->format == KD_LOG_JSON; }

void kd_log(const kd_logger *log, kd_log_level level, const char *fmt, ...) {
  if (!wanted(log, level)) return;
  char ts[64], msg[2048];
  timestamp(ts);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  kd_buf line;
  kd_buf_init(&line);
  if (as_json(log)) {
    kd_jw w;
    kd_jw_init(&w, &line);
    kd_jw_object_begin(&w);
    kd_jw_key(&w, "ts");
    kd_jw_string(&w, ts);
    kd_jw_key(&w, "level");
    kd_jw_string(&w, level_names[level]);
    kd_jw_key(&w, "msg");
    kd_jw_string(&w, msg);
    kd_jw_object_end(&w);
  } else {
    kd_buf_printf(&line, "%s %s %s", ts, level_names[level], msg);
  }
  emit(log, &line);
}

void kd_log_access(const kd_logger *log, const char *method, const char *path, int status,
                   double seconds) {
  if (!wanted(log, KD_LOG_INFO)) return;
  if (!as_json(log)) {
    /* What kd_log would write for "%s %s %d %.3fms", without printf: one
     * line per request. */
    char ts[64];
    timestamp(ts);
    const long long us = llround(seconds * 1e6);
    kd_buf line;
    kd_buf_init(&line);
    kd_buf_puts(&line, ts);
    kd_buf_puts(&line, " info ");
    kd_buf_puts(&line, method);
    kd_buf_putc(&line, ' ');
    kd_buf_puts(&line, path);
    kd_buf_printf(&line, " %d %lld.%03lldms", status, us / 1000, us % 1000);
    emit(log, &line);
    return;
  }
  char ts[64];
  timestamp(ts);
  kd_buf line;
  kd_buf_init(&line);
  kd_jw w;
  kd_jw_init(&w, &line);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "ts");
  kd_jw_string(&w, ts);
  kd_jw_key(&w, "level");
  kd_jw_string(&w, "info");
  kd_jw_key(&w, "msg");
  kd_jw_string(&w, "request");
  kd_jw_key(&w, "method");
  kd_jw_string(&w, method);
  kd_jw_key(&w, "path");
  kd_jw_string(&w, path);
  kd_jw_key(&w, "status");
  kd_jw_int(&w, status);
  kd_jw_key(&w, "duration_ms");
  kd_jw_double(&w, (double)llround(seconds * 1e6) / 1e3); /* microsecond resolution */
  kd_jw_object_end(&w);
  emit(log, &line);
}
