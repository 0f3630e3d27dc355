/* keyfoldd — logging to stderr, one line per message, filtered by level:
 * text ("<time> <level> <message>") or, with --log-format json, one JSON
 * object per line {"ts", "level", "msg"}. */
#ifndef KEYFOLDD_LOG_H
#define KEYFOLDD_LOG_H

#include "config.h"

typedef struct kd_logger {
  kd_log_level level;
  kd_log_format format;
} kd_logger;

/* A logger as the configuration asks for. */
void kd_logger_init(kd_logger *log, const kd_config *cfg);

/* Logs one message at `level`. log may be NULL (then everything is logged as text). */
void kd_log(const kd_logger *log, kd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The access log line of one request (level info). */
void kd_log_access(const kd_logger *log, const char *method, const char *path, int status,
                   double seconds);

#endif
