/* keyfoldd — one line per message on stderr: text, or JSON objects. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#include "buf.h"
#include "log.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static void timestamp(char out[64]) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000));
}

/* One fputs per line: stdio locks the stream, so lines from concurrent
 * threads never interleave. */
static void emit(kd_buf *line) {
  kd_buf_putc(line, '\n');
  if (!kd_buf_failed(line)) fputs(line->data, stderr);
  kd_buf_free(line);
}

void kd_logger_init(kd_logger *log, const kd_config *cfg) {
  log->level = cfg->log_level;
  log->format = cfg->log_format;
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
  emit(&line);
}

void kd_log_access(const kd_logger *log, const char *method, const char *path, int status,
                   double seconds) {
  if (!wanted(log, KD_LOG_INFO)) return;
  if (!as_json(log)) {
    kd_log(log, KD_LOG_INFO, "%s %s %d %.3fms", method, path, status, seconds * 1e3);
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
  emit(&line);
}
