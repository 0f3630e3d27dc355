/* keyfoldd — the session service: every operation on sessions, with no
 * HTTP in sight. Handlers (v1 and the Open Inference Protocol alike) decode
 * a request, call one of these, and encode the result; recovery builds
 * sessions with the same function as POST /v1/sessions.
 *
 * The choreography lives here, once: validate and allocate before the
 * session's lock; under it check that the session still exists (a request
 * that takes the lock after a DELETE comes after it and answers 404), make
 * the change, record it with the durability policy; on failure put things
 * back. A change that must be durable before its client is answered returns
 * a ticket (ticket.h) that the caller waits on or hands to the transport.
 *
 * A session's model never changes once the session is published, so it is
 * read without the lock; only the Rngs (streams and counts) are mutable.
 */
#ifndef KEYFOLDD_SESSION_H
#define KEYFOLDD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "apierr.h"
#include "buf.h"
#include "server.h"
#include "spec.h"
#include "store.h"
#include "ticket.h"

/* What a client sees of a session at one moment: its streams and those its
 * model holds as they were under the lock, and its immutable parts
 * (borrowed from the session, valid while the caller holds a reference to
 * it). */
typedef struct kd_session_view {
  const kd_session *session;
  kf_stream_state streams[KF_RNGS_MAX_STREAMS];
  size_t n_streams;
  kf_model_stream held[KD_HELD_STREAMS_MAX];  /* Flax >= 0.11: one per dropout, in layer order */
  size_t n_held;
} kd_session_view;

/* Looks up a session by name. On success *out is a new reference
 * (kd_session_release). 400 for an invalid name, 404. */
int kd_session_find(kd_server *srv, const char *name, kd_session **out, kd_err *err);

/* kd_session_find for requests that read state no write of theirs checks:
 * on a store shared by replicas, a session whose model has batch statistics
 * is first brought up to its stored row (a forward pass in eval mode, the
 * parameters' dump), as draws are by their conditional writes. */
int kd_session_find_current(kd_server *srv, const char *name, kd_session **out, kd_err *err);

/* Replicas sharing a store (kd_durable_shared): makes the table's entry for
 * name what the store holds now — loaded, refreshed, replaced or removed —
 * so that a read sees what another replica acknowledged. One round trip;
 * nothing to do (0) for a store no other daemon shares. 503 when the store
 * cannot be read. */
int kd_session_sync(kd_server *srv, const char *name, kd_err *err);

/* Builds an unpublished session (refs 1) called name from spec, drawing its
 * model's parameters as Flax does. 400 when the model needs a stream the
 * rngs lack; 503 on ENOMEM. */
int kd_session_build(const char *name, const kd_spec *spec, kd_session **out, kd_err *err);

/* Creates and publishes a session: builds it, inserts it (409 when the name
 * is taken, 429 when the table is full) and records its creation. *view
 * receives it as created and *out a reference (for the view's borrows). */
int kd_session_create(kd_server *srv, const char *name, const kd_spec *spec, kd_session **out,
                      kd_session_view *view, kd_ticket **ticket, kd_err *err);

/* Flax's Rngs.fork(): creates the session `name` whose streams are forks of
 * the parent's streams named in `streams` (n of them; n = 0: every stream
 * of the parent): each child key is fold_in(parent key, parent count), at
 * count 0, and each parent stream moves on by one count. `spec` brings the
 * child's model and options (its seeds are filled here). Atomic and durable
 * like a creation: the parent's new counts and the child are recorded
 * together (kd_durable_record_pair), and the ticket covers both; if they
 * cannot be, nothing has changed. 400 for a stream the parent lacks (no
 * fallback: Flax forks real streams) or a model the streams cannot build,
 * 404 for a deleted parent, 409 for a fenced or exhausted parent stream or a
 * taken name, 429. *out and *view as for kd_session_create. */
int kd_session_fork(kd_server *srv, kd_session *parent, const char *name, const char *const *streams,
                    size_t n, kd_spec *spec, kd_session **out, kd_session_view *view, kd_ticket **ticket,
                    kd_err *err);

/* The session's current state. */
void kd_session_get(kd_session *s, kd_session_view *view);

/* Removes the session called name and records the deletion. 400/404. */
int kd_session_delete(kd_server *srv, const char *name, kd_ticket **ticket, kd_err *err);

/* What a draw took: the serving stream's state before it. */
typedef struct kd_draw {
  kf_stream_state source;
  kf_threefry_mode mode;
  kf_flax_era era; /* the session's (the gamma family's default rsqrt follows it) */
} kd_draw;

/* What a draw's keys are used for while the session is still locked: 0, or
 * -1 with err (the draw is then undone: the stream keeps its count). */
typedef int (*kd_draw_use_fn)(void *arg, const kf_key *keys, const kd_draw *draw, kd_err *err);

/* Draws n keys from stream (Flax's fallback to 'default') into keys, which
 * the caller allocated before (NULL only when n cannot succeed, > 2^32).
 * 404 for an unknown stream (with Flax's message), 409 past count
 * 4294967295 or when the session is fenced. With `use` (may be NULL), calls
 * use(arg, keys, draw) under the session's lock before the draw is
 * recorded: a computation that can still fail (a sampler that allocates)
 * and must then leave the stream as it was. It holds up the session's
 * other requests meanwhile, so the rest compute after the draw. */
int kd_session_draw_using(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys,
                          kd_draw_use_fn use, void *arg, kd_draw *out, kd_ticket **ticket,
                          kd_err *err);
int kd_session_draw(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys,
                    kd_draw *out, kd_ticket **ticket, kd_err *err);

/* kd_session_draw_using through a claim when the store grants them and the
 * request has a claim (else the same): returns 1 with *ticket when the
 * claim is on its way — the caller answers nothing yet and waits for the
 * ticket; the request's next run finds the granted counts. */
int kd_session_draw_claimed(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys,
                            kd_draw_use_fn use, void *arg, kd_claim *claim, kd_draw *out, kd_ticket **ticket,
                            kd_err *err);

/* The dtype the session's model reads: int32 indices when it starts with
 * embed, else float32. 409 for a session without a model. */
int kd_session_input_dtype(const kd_session *s, kf_dtype *out, kd_err *err);

/* Runs the model on *x (of kd_session_input_dtype; its data is taken over
 * and freed) and records the dropout draws. `what` names x in messages. On
 * success *y owns malloc'd float32 output, and `reply` (may be NULL) has
 * room for reply_base + reply_per_element bytes per output element, reserved
 * before any key is drawn. 400/409/413 as POST …/forward. */
int kd_session_forward(kd_server *srv, kd_session *s, kf_tensor *x, const char *what,
                       kf_deterministic det, kf_tensor *y, kd_buf *reply, size_t reply_base,
                       size_t reply_per_element, kd_ticket **ticket, kd_err *err);

/* What nnx.reseed is applied to (api.md 1.1): the model's streams
 * (nnx.reseed(model, …)), the session's own Rngs (nnx.reseed(rngs, …)), or
 * both as two calls, model first. In a 0.10 session the model shares the
 * Rngs, so the three are one operation. */
typedef enum kd_reseed_target { KD_RESEED_ALL, KD_RESEED_MODEL, KD_RESEED_RNGS } kd_reseed_target;

/* nnx.reseed of the session's era on `target`, count := 0 for every stream
 * reached: 0.10 sets key := the given key; 0.11+ gives the n-th stream of
 * a tag fold_in(key, n) (model streams in layer order; the Rngs' own
 * stream of that name, if any, fold_in(key, 0)). A reseed that replaces
 * every stream of a fenced session unfences it. 400 for a tag that no
 * stream of the target has, or a policy (`policy_given`) in a 0.10
 * session. *view receives the state after it. */
int kd_session_reseed(kd_server *srv, kd_session *s, const kd_stream_seed *seeds, size_t n,
                      kd_reseed_target target, int policy_given, kd_session_view *view, kd_ticket **ticket,
                      kd_err *err);

/* Recovery: loads every stored session into the table, rebuilding models
 * from their specs and verifying their checksums. Returns the number loaded,
 * or -1 with msg (the daemon must refuse to start). */
long kd_service_recover(kd_server *srv, char *msg, size_t msg_size);

/* Writes a snapshot of the store into the snapshot directory. 0 with its
 * path, or -1 with err (409 in memory mode, 503 on failure). */
int kd_service_snapshot(kd_server *srv, char *path, size_t path_size, kd_err *err);

/* Ends the fence of a store restored from a snapshot: advances every stream
 * of every fenced session by `advance` counts (all or nothing: 409 if one
 * would pass 4294967295 — reseed it first) and removes the store's
 * snapshot marker. *advanced receives the number of sessions advanced.
 * Shared stores: each advance is waited for, and one that conflicted
 * (another replica changed the row) is made again on the row as it is; the
 * marker goes only once every advance committed (503 otherwise: the store
 * stays fenced, and the restore may be sent again). */
int kd_service_restore(kd_server *srv, uint32_t advance, size_t *advanced, kd_ticket **ticket,
                       kd_err *err);

/* 1 when the store is fenced (restored from a snapshot), with its note; a
 * shared store is asked (another replica may have lifted the fence). */
int kd_service_fenced(kd_server *srv, const char **note);

#endif
