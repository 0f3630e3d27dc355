/* keyfoldd — the group-commit writer a backend runs: one thread that takes
 * every record queued since its last commit and applies them in one
 * transaction (one fsync for the batch), then finishes each record.
 *
 * While the backend fails, the writer retries every KD_WRITER_RETRY_MS: the
 * records the finish hook kept, or an empty probe commit, so that health
 * comes back by itself once the disk does. While it is idle it pings a
 * backend that has a ping every KD_WRITER_PING_MS.
 */
#ifndef KEYFOLDD_WRITER_H
#define KEYFOLDD_WRITER_H

#include "backend.h"

#define KD_WRITER_RETRY_MS 200
/* A backend with a ping (a server at the other end of a connection) is
 * pinged after this long without a commit, so that an idle daemon's
 * readiness learns that the server went away. */
#define KD_WRITER_PING_MS 1000
/* The longest the writer waits, under concurrency, for the clients of its
 * last batch to join the next one (writer.c: gather). */
#define KD_WRITER_GATHER_MAX_NS 2000000L

typedef struct kd_writer_ops {
  /* Applies the batch (a list linked by next) in one transaction, setting
   * each record's orphaned flag, and skipping the records the writer marked
   * superseded_by a later one (backend.h). Returns 0 if it committed. */
  int (*commit)(void *backend, kd_record *batch);
  /* A commit that forces a log write and an fsync; 0 if it succeeded. */
  int (*probe)(void *backend);
  /* NULL, or a cheap check that the store still answers (0: it does); a
   * failure makes the writer unhealthy until a probe succeeds. */
  int (*ping)(void *backend);
} kd_writer_ops;

typedef struct kd_writer kd_writer;

/* A writer over backend (borrowed) that reports through hooks. NULL on ENOMEM. */
kd_writer *kd_writer_new(const kd_writer_ops *ops, void *backend, const kd_backend_hooks *hooks,
                         const char *what);
int kd_writer_start(kd_writer *w);
/* Queues r and the records linked after it by next, together (taking them
 * over): 0, or -1 once stopping (they are still the caller's). */
int kd_writer_submit(kd_writer *w, kd_record *r);
int kd_writer_healthy(const kd_writer *w);
/* Commits what is queued and stops the thread. Idempotent. */
void kd_writer_stop(kd_writer *w);
/* Stops and frees. NULL ok. */
void kd_writer_free(kd_writer *w);

#endif
