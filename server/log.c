/* keyfoldd — one line per message on stderr, with a UTC timestamp. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "server.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void kd_log(const kd_server *srv, kd_log_level level, const char *fmt, ...) {
  if (srv && level > srv->cfg.log_level) return;
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char line[2048];
  int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   (long)(tv.tv_usec / 1000), level_names[level]);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof line) vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  /* One fprintf per line: stdio locks the stream, so lines from concurrent
   * threads never interleave. */
  fprintf(stderr, "%s\n", line);
}
