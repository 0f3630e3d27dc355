/* keyfoldd — the durability policy: what each change must put on disk and
 * who waits for it, in strict, lease and memory mode, above whichever
 * backend stores the rows (backend.h).
 *
 *   strict  every change is durable before its client is answered;
 *   lease   a stream reserves counts up to lease_block past its count; only
 *           a draw past the durable reservation waits (after a crash the
 *           stream resumes past the block: gaps, never reuse). Creations,
 *           deletions and reseeds always wait;
 *   memory  there is no backend: nothing is recorded and nobody waits.
 *
 * A change is recorded with kd_durable_record while the session's lock is
 * held, so records reach the backend in the order the changes happened.
 */
#ifndef KEYFOLDD_DURABILITY_H
#define KEYFOLDD_DURABILITY_H

#include <stddef.h>
#include <stdint.h>

#include "apierr.h"
#include "backend.h"
#include "config.h"
#include "metrics.h"
#include "row.h"
#include "store.h"
#include "ticket.h"

typedef struct kd_durable kd_durable;

/* Opens the durability policy of cfg->durability over the backend it names
 * (memory: none). `table` is where failed creations are withdrawn from.
 * Returns 0, or -1 with msg naming the store (the daemon must not start). */
int kd_durable_open(const kd_config *cfg, kd_store *table, kd_metrics *metrics, kd_durable **out,
                    char *msg, size_t msg_size);

/* Called once per stored row, its checks passed and its streams decoded.
 * Returns 0, or -1 with msg (recovery stops: the store is refused). */
typedef int (*kd_recover_fn)(void *arg, const kd_row *row, char *msg, size_t msg_size);

/* Reads every stored row (recovery). Returns the number of rows, or -1 with
 * msg. Memory mode: 0. */
long kd_durable_recover(kd_durable *d, kd_recover_fn fn, void *arg, char *msg, size_t msg_size);

/* 1 when several daemons share the store (PostgreSQL, strict): a session
 * cached here may have been changed, created or deleted by another. */
int kd_durable_shared(const kd_durable *d);

/* Shared stores: reads the current row of the session called name, checks
 * it and calls fn with it. Returns 1 (fn returned 0), 0 (no such row; or a
 * store that is not shared), or -1 with msg (unreachable, damaged, or fn
 * failed). */
int kd_durable_fetch(kd_durable *d, const char *name, kd_recover_fn fn, void *arg, char *msg, size_t msg_size);

/* Shared stores: a page of the stored names (kd_store_page's contract), NULL
 * with msg when the store cannot be read. */
char **kd_durable_page(kd_durable *d, const char *after, const char *prefix, size_t limit, size_t *n, int *more,
                       char *msg, size_t msg_size);

/* Marks s's streams as durable as they are now (a recovered session). */
int kd_durable_adopt(kd_durable *d, kd_session *s);

/* Starts writing (after recovery). */
int kd_durable_start(kd_durable *d);

/* Records a change of s; call with s->lock held (or, for CREATE, before s
 * is published). spec (borrowed) and checksum are for CREATE. Stores in
 * *ticket a new reference the caller must wait on before answering, or
 * NULL when nothing needs waiting for. Returns 0, or -1 with err (503) when
 * out of memory or shutting down. */
int kd_durable_record(kd_durable *d, kd_session *s, kd_change change, const char *spec,
                      uint64_t checksum, kd_ticket **ticket, kd_err *err);

/* Records two changes that must reach the disk together, first before
 * second (a fork: the parent's advanced streams, then the child's creation),
 * queued at once so that the writer commits them in one batch. All or
 * nothing: if either cannot be recorded, neither is, and both sessions'
 * bookkeeping is as before. *ticket as for kd_durable_record (it covers
 * both). Call with both sessions' locks held. */
int kd_durable_record_pair(kd_durable *d, kd_session *first, kd_change first_change, kd_session *second,
                           kd_change second_change, const char *spec, uint64_t checksum, kd_ticket **ticket,
                           kd_err *err);

/* How long after another replica was last seen changing a session its
 * draws claim (kd_session.claims_until_ns): draws of a session only one
 * replica serves write the cached state, as with one daemon. */
#define KD_CLAIMS_WINDOW_MS 2000

/* 1 when s's next strict draw claims its counts from the store (a shared
 * store in strict mode, backend.h: claims, and another replica seen
 * changing s within KD_CLAIMS_WINDOW_MS) instead of writing the session. */
int kd_durable_claims(const kd_durable *d, const kd_session *s);

/* Claims n counts of s's Rngs stream `stream` in the store (with s's lock
 * held): a CLAIM record whose ticket (*ticket, the waiter's reference)
 * brings back what was granted (ticket.h). `alone`: never merged with other
 * claims. 0, or -1 with err (503). */
int kd_durable_claim(kd_durable *d, kd_session *s, size_t stream, uint64_t n, int alone, kd_ticket **ticket,
                     kd_err *err);

/* 1 unless the last commit failed (memory mode: 1). */
int kd_durable_healthy(const kd_durable *d);

/* 1 when the store was opened from a snapshot and not yet unfenced; note
 * (may be NULL) receives the snapshot's description. */
int kd_durable_fenced(const kd_durable *d, const char **note);

/* kd_durable_fenced, asking a shared store whether another replica's
 * restore lifted the fence meanwhile: then this daemon's fence is lifted
 * too (every cached session is marked behind its row). 1 fenced, 0 not.
 * Takes sessions' locks: call with none held. */
int kd_durable_check_fence(kd_durable *d);

/* Removes the store's snapshot marker (after every session was advanced or
 * reseeded). *ticket as for kd_durable_record. */
int kd_durable_unfence(kd_durable *d, kd_ticket **ticket, kd_err *err);

/* Writes a snapshot named keyfold-<UTC time>-<n>.db into dir (created if
 * needed) and stores its path. 0, or -1 with msg (memory mode: -1), or -2
 * with msg for a store that takes no snapshots (PostgreSQL: pg_dump). */
int kd_durable_snapshot(kd_durable *d, const char *dir, char *path, size_t path_size, char *msg,
                        size_t msg_size);

/* Commits what is queued and stops writing; later records fail with 503. */
void kd_durable_stop(kd_durable *d);
/* Stops and frees. NULL ok. */
void kd_durable_close(kd_durable *d);

/* The policy's arithmetic for one stream, exposed for its unit tests: given
 * the stream's state now and its bookkeeping *ds, updates ds->*_target and
 * says whether the change must be written (*write) and waited for (*wait). */
void kd_durable_plan_stream(kd_durability mode, uint32_t lease_block, kd_change change,
                            const kf_stream_state *now, kd_durable_stream *ds, int *write, int *wait);

#endif
