/* keyfoldd — logging to stderr, one line per message, filtered by level:
 * text ("<time> <level> <message>") or, with --log-format json, one JSON
 * object per line {"ts", "level", "msg"}.
 *
 * Once started (kd_logger_start), a line is formatted by the thread that
 * logs it and copied into a shared buffer; a log thread writes the buffer to
 * stderr with one write(2) per batch, every KD_LOG_FLUSH_MS or as soon as
 * the buffer fills. Every line (access lines and the rest) goes through the
 * same buffer, so stderr shows them in the order they were logged. A thread
 * that finds the buffer full waits for the log thread: lines are never
 * dropped, and a stderr nobody reads slows the daemon down as a blocking
 * write did before. Before kd_logger_start and after kd_logger_stop each
 * line is written at once.
 */
#ifndef KEYFOLDD_LOG_H
#define KEYFOLDD_LOG_H

#include "config.h"

/* The longest a line waits in the buffer when the daemon is not busy. */
#define KD_LOG_FLUSH_MS 100

typedef struct kd_log_sink kd_log_sink;

typedef struct kd_logger {
  kd_log_level level;
  kd_log_format format;
  kd_log_sink *sink; /* NULL: not started, every line is written at once */
} kd_logger;

/* A logger as the configuration asks for, writing each line at once. */
void kd_logger_init(kd_logger *log, const kd_config *cfg);

/* Starts the log thread. Returns 0, or -1 (the logger keeps writing each
 * line at once). */
int kd_logger_start(kd_logger *log);

/* Writes every buffered line and waits until it is written (a process about
 * to abort calls it). No-op when not started. */
void kd_logger_flush(const kd_logger *log);

/* Writes every buffered line, stops the log thread and goes back to writing
 * each line at once. Call it once no other thread logs any more. */
void kd_logger_stop(kd_logger *log);

/* Logs one message at `level`. log may be NULL (then everything is logged as text). */
void kd_log(const kd_logger *log, kd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The access log line of one request (level info). */
void kd_log_access(const kd_logger *log, const char *method, const char *path, int status,
                   double seconds);

#endif
