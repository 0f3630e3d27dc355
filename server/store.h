/* keyfoldd — the session store: named sessions, each an nnx.Rngs plus an
 * optional model, with per-session locking.
 *
 * Concurrency: the name → session map is guarded by a read-write lock;
 * each session has its own mutex that serialises every read and change of
 * its state, so concurrent requests on one session are linearizable and two
 * draws can never see the same count. Sessions are reference counted:
 * kd_store_get returns a reference the caller drops with kd_session_release,
 * so a session deleted while a request uses it stays valid until that
 * request ends.
 */
#ifndef KEYFOLDD_STORE_H
#define KEYFOLDD_STORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "apierr.h"
#include "keyfold/keyfold.h"
#include "row.h"

#define KD_SESSION_NAME_MAX 128

/* What the durability policy has asked to be on disk for one stream
 * (target) and what is known to be committed (durable): the key and the
 * count a restart resumes at. Indexed like the Rngs' streams. */
typedef struct kd_durable_stream {
  kf_key key_target, key_durable;
  uint32_t count_target, count_durable;
} kd_durable_stream;

typedef struct kd_session {
  pthread_mutex_t lock;   /* guards everything below but name */
  atomic_int refs;
  kf_threefry_mode threefry;
  kf_rngs *rngs;          /* the session's streams (owned) */
  kf_model *model;        /* NULL when the session has no model (owned). Its
                             parameters never change once the session is
                             published, so they are read without the lock; the
                             streams it holds (Flax >= 0.11) are state like the
                             Rngs', read and changed under it */
  kd_durable_stream *durable; /* durability bookkeeping (owned; NULL in memory mode) */
  size_t n_durable;
  /* Set under the lock by the DELETE that removed the session from the
   * table: a request that takes the lock afterwards comes after the delete
   * in the session's order and answers 404. */
  unsigned char deleted;
  /* Recovered from a store restored from a snapshot: its counts may be
   * behind keys already handed out, so it draws nothing until an operator
   * advances or reseeds it (durability.h). */
  unsigned char fenced;
  char flax[8];           /* options.flax as given: "0.10", "0.11" or "0.12" */
  /* Replicas sharing a store (backend.h): the version of the stored row
   * this state was made on or read from, and the check of the creation
   * spec it was built from (kd_row_spec_check), which tells a session
   * deleted and created again by another replica from the one cached. */
  uint64_t version, spec_id;
  /* Lease mode on a shared store: the backend's generation (backend.h:
   * fresh) in which a commit last confirmed this cached state (0: not
   * confirmed, a notification said another replica changed it), and a count
   * of such notifications, so that a commit recorded before one does not
   * confirm the state after it. */
  uint64_t valid_gen;
  uint32_t stale_marks;
  /* Replicas: records of this session submitted and not finished (their
   * chain may still commit), and the number of times the cached state was
   * replaced by the stored one. A conflict of a record made before the last
   * replacement changes nothing (backend.h: refresh): the state it would
   * roll back to is older than one this replica's pending changes build on. */
  uint32_t pending, refresh_seq;
  /* Strict shared stores: until when (CLOCK_MONOTONIC ns) this session's
   * draws claim their counts from the row (durability.h: claims) — set when
   * another replica was seen changing it (a conflict, a claim that found
   * the row moved on); read without the lock. */
  _Atomic int64_t claims_until_ns;
  /* Sized to the name (at most KD_SESSION_NAME_MAX characters): a million
   * sessions must not each carry room for the longest name. */
  char name[];
} kd_session;

typedef struct kd_store kd_store;

/* Returns 1 if name matches [A-Za-z0-9][A-Za-z0-9._-]{0,127}. */
int kd_session_name_valid(const char *name);

/* Creates an empty store holding at most max_sessions (NULL on ENOMEM). */
kd_store *kd_store_new(size_t max_sessions);
/* Frees the store and every session in it (no request may be running). */
void kd_store_free(kd_store *store);

/* Allocates a session with refs = 1 that owns rngs/model/layers; the
 * caller fills the rest. NULL on ENOMEM (the parts are then not freed). */
kd_session *kd_session_new(const char *name);

/* The number of floats of s's batch statistics (node order, mean then var
 * of each batch_norm), a copy of them into out, and their replacement from
 * n_floats little-endian float32 (-1 for another count or ENOMEM). Under
 * s's lock. */
size_t kd_session_stat_count(const kd_session *s);
void kd_session_stats(const kd_session *s, float *out);
int kd_session_set_stats(kd_session *s, const unsigned char *le, size_t n_floats);
/* Puts back statistics copied by kd_session_stats. */
void kd_session_load_stats(kd_session *s, const float *in);

/* Every stream of s in the order rows store them (row.h): its Rngs'
 * streams, then those its model's layers hold. Call with s->lock held (or
 * before s is published). Copies them into out, which has room for
 * KD_STREAMS_MAX, and returns how many; *n_held (may be NULL) receives how
 * many of them, at the end, are held by the model. */
size_t kd_session_streams(const kd_session *s, kf_stream_state *out, size_t *n_held);

/* Puts back states read by kd_session_streams (the same streams, in the
 * same order): a change undone, or a recovered session's stored state.
 * Returns 0, or -1 if they do not match s's streams (names, number). */
int kd_session_set_streams(kd_session *s, const kf_stream_state *in, size_t n);

/* Adds s (taking over the caller's reference). Fails with 409
 * already_exists if the name is taken or 429 resource_exhausted when the
 * store is full; then s is still the caller's. */
int kd_store_insert(kd_store *store, kd_session *s, kd_err *err);

/* A hint that name is about to be inserted or looked up: starts loading
 * its slot of the table into the cache, so that a caller with other work to
 * do first (recovery, building a session from its row) does not wait for
 * memory then. Changes nothing. */
void kd_store_prefetch(kd_store *store, const char *name);

/* Returns a new reference to the session called name, or NULL. */
kd_session *kd_store_get(kd_store *store, const char *name);

/* Removes the session called name — only if it is `only`, when that is not
 * NULL (a session recreated under the same name is left alone). Returns 0,
 * or -1 if there is no such session. */
int kd_store_remove(kd_store *store, const char *name, const kd_session *only);

/* Drops a reference; the last one frees the session. NULL is allowed. */
void kd_session_release(kd_session *s);

/* Number of sessions. */
size_t kd_store_count(kd_store *store);

/* One page of a listing in name order: the first `limit` names that start
 * with `prefix` and sort after `after` (NULL: from the start). Returns a new
 * malloc'd array of *n malloc'd names (the caller frees each and the
 * array), or NULL on ENOMEM; *more says whether names remain past the
 * page. One pass over the table, holding the read lock; no sort of it. */
char **kd_store_page(kd_store *store, const char *after, const char *prefix, size_t limit, size_t *n,
                     int *more);

/* Returns a new malloc'd array of *n malloc'd names in sorted order (the
 * caller frees each and the array), or NULL with *n = 0 on ENOMEM. An empty
 * store gives a non-NULL array with *n = 0. */
char **kd_store_names(kd_store *store, size_t *n);

#endif
