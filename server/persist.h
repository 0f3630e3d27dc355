/* keyfoldd — durable sessions: SQLite in WAL mode under --data-dir, written
 * by one writer thread that commits concurrent changes together (group
 * commit: one fsync per batch).
 *
 * Durability modes (--durability):
 *   strict  every change is on disk (fsync'd) before its 2xx is sent;
 *   lease   a stream reserves a block of counts on disk and hands them out
 *           from memory; after a crash it resumes past the block (gaps,
 *           never reuse). Creations, deletions and reseeds are strict;
 *   memory  nothing is persisted (no kd_persist at all).
 *
 * A change is recorded with kd_persist_record while the session's lock is
 * held, so records reach the writer in the order the changes happened. When
 * the client must wait, the record carries a kd_commit that completes once
 * the batch holding it has been committed (or has failed: then the request
 * answers 503 and nothing it did is acknowledged).
 */
#ifndef KEYFOLDD_PERSIST_H
#define KEYFOLDD_PERSIST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "apierr.h"
#include "server.h"
#include "store.h"

typedef enum kd_durability { KD_DURABILITY_STRICT = 0, KD_DURABILITY_LEASE, KD_DURABILITY_MEMORY } kd_durability;

const char *kd_durability_name(kd_durability d);
int kd_durability_from_name(const char *name, kd_durability *out);

/* A pending acknowledgement. Reference counted: the writer holds one until it
 * has completed the commit, the waiter (HTTP request or kd_commit_wait) one. */
typedef struct kd_commit {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  atomic_int refs;
  int done;
  int ok;                         /* 1 committed, 0 failed */
  void (*notify)(void *arg);      /* armed by the waiter; called once when done */
  void *notify_arg;
} kd_commit;

/* Arms `notify` to be called (from the writer thread) when c completes.
 * Returns 1 if c has already completed (notify will not be called), else 0. */
int kd_commit_arm(kd_commit *c, void (*notify)(void *arg), void *arg);
/* Blocks until c completes; returns its ok flag. */
int kd_commit_wait(kd_commit *c);
/* Drops a reference; the last one frees c. NULL is allowed. */
void kd_commit_release(kd_commit *c);

typedef struct kd_persist kd_persist;

/* Opens (creating if needed) <data_dir>/keyfold.db. Refuses — returning -1
 * with a message naming the file in msg — a file that is not a keyfold
 * store, is of an unknown format version, or fails SQLite's integrity check.
 * lease_block is the number of counts a lease reserves at once. */
int kd_persist_open(const char *data_dir, kd_durability mode, uint32_t lease_block,
                    kd_persist **out, char *msg, size_t msg_size);

/* Loads every stored session into store (recovery), rebuilding models from
 * their creation specs and verifying their parameter checksums. Returns the
 * number loaded, or -1 with msg set (the daemon must refuse to start). */
long kd_persist_load(kd_persist *p, kd_server *srv, char *msg, size_t msg_size);

/* Starts the writer thread (after loading). */
int kd_persist_start(kd_persist *p);

/* Commits everything queued and stops the writer; later records fail with
 * 503. The store stays open. NULL ok. */
void kd_persist_stop(kd_persist *p);

/* Stops (if needed), closes the store and frees p. NULL ok. */
void kd_persist_close(kd_persist *p);

/* What changed in a session. */
typedef enum kd_change {
  KD_CHANGE_CREATE, /* a new session: spec is its canonical creation spec */
  KD_CHANGE_STATE,  /* its streams advanced (draws) */
  KD_CHANGE_RESEED, /* its stream keys were replaced */
  KD_CHANGE_DELETE
} kd_change;

/* Records a change of session s; call with s->lock held (or, for CREATE,
 * before s is published). `spec` (borrowed) is needed for CREATE only.
 * Stores in *commit a new reference the caller waits on when the client
 * must not be answered before the change is durable, else NULL.
 * Returns 0, or -1 with err (503) when the store is failing or closed. */
int kd_persist_record(kd_persist *p, kd_session *s, kd_change change, const char *spec,
                      uint64_t checksum, kd_commit **commit, kd_err *err);

/* 1 unless the last commit failed (the store is failing: readiness is 503
 * until a commit succeeds again). 1 for NULL (memory mode). */
int kd_persist_healthy(const kd_persist *p);

/* Writes an online backup of the store to path (SQLite's backup API).
 * Returns 0, or -1 with msg. */
int kd_persist_backup(kd_persist *p, const char *path, char *msg, size_t msg_size);

/* Writes a backup named keyfold-<UTC time>-<n>.db into dir (created if
 * needed) and stores its path. Returns 0, or -1 with msg. */
int kd_persist_snapshot(kd_persist *p, const char *dir, char *path, size_t path_size, char *msg,
                        size_t msg_size);

/* 64-bit FNV-1a over a model's parameters, the check that a model re-derived
 * from its spec at recovery is the one the session was created with. 0 for NULL. */
uint64_t kd_model_checksum(const kf_model *model);

#endif
