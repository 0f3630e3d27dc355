/* keyfoldd — the store interface: what a durable backend (SQLite, PostgreSQL)
 * offers the durability policy above it (durability.h).
 *
 * A backend keeps one row per session (row.h) and applies recorded changes
 * in the order they were submitted. It completes each record through the
 * finish hook it was opened with — committed or failed — from a thread of
 * its own; the policy turns that into tickets and bookkeeping. Everything
 * the policy decides (what to write, who waits) is the same for every
 * backend, so a new backend is one new file implementing these operations.
 */
#ifndef KEYFOLDD_BACKEND_H
#define KEYFOLDD_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "row.h"
#include "store.h"
#include "ticket.h"

/* One change on its way to the backend. Built by the policy, owned by the
 * backend once submitted, freed by kd_record_free after it is finished. */
typedef struct kd_record {
  struct kd_record *next;     /* the backend's queue */
  kd_change change;
  kd_session *session;        /* a reference (NULL for UNFENCE) */
  char *spec;                 /* CREATE: the canonical creation spec */
  uint64_t checksum;          /* CREATE: kd_model_checksum */
  unsigned char *blob;        /* the streams as stored (CREATE, STATE, RESEED) */
  size_t blob_len;
  kd_durable_stream *targets; /* what this record makes durable, n_targets */
  size_t n_targets;
  kd_ticket *ticket;          /* NULL when nobody waits */
  int orphaned;               /* set by the backend: the session's row is not there */
  /* Replicas sharing a database (backend.shared): the session's row version
   * this change was made on (expect) and the one it writes (version, unique:
   * drawn at random, kd_record_version). The backend applies the change only
   * if the row is still at expect; otherwise it sets conflict (another
   * replica changed, created or deleted the session meanwhile), refreshes
   * the session through the hooks and the policy has the request replayed. */
  uint64_t expect, version;
  int conflict;
  int pinned;                 /* never superseded (a fork's parent: its child depends on it) */
  uint64_t generation;        /* lease: the backend's generation when recorded, and */
  uint32_t stale_marks;       /* the session's stale_marks then (store.h) */
  uint32_t refresh_seq;       /* the session's refresh_seq then (store.h) */
  kd_session *after;          /* CREATE of a fork's child: applied only if this session's */
  uint64_t after_version;     /* row is at after_version (its parent's change committed) */
  /* Set by the writer (writer.h) for a batch: a later record of the batch
   * rewrites this one's row whole, so the backend need not apply this one. */
  struct kd_record *superseded_by;
  /* Set by the writer: the expect of the first record of the run this one
   * applies for (its own when it supersedes none). */
  uint64_t run_expect;
  /* CLAIM (stores with claims, shared strict): claim_n counts of the Rngs
   * stream claim_stream, whose count is at byte claim_offset of the row's
   * blob, claimed in the store whatever this replica's cache holds — if the
   * row still belongs to the session created with claim_identity (its
   * spec_check). The backend sets claimed (ticket.h), claim_base and
   * claim_key; a missing row is a conflict. A claim made alone is never
   * merged with others. */
  uint32_t claim_stream;
  size_t claim_offset;
  uint64_t claim_n, claim_identity;
  int claim_alone;
  kd_claim_result claimed;
  int claim_chained; /* the row was at expect: no other replica had changed it */
  uint32_t claim_base;
  kf_key claim_key;
  /* Set by the backend: the earlier claim of the batch on the same stream
   * this one was merged into (one statement for the run), and a leader's
   * total. */
  struct kd_record *claim_leader;
  uint64_t claim_total, claim_last_version;
} kd_record;

void kd_record_free(kd_record *r);

/* Formats a backend's failure message into msg (size bytes) and returns -1,
 * what the operations below return with msg. */
int kd_backend_fail(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A stored row as read, before its checks. Borrowed for one callback. */
typedef struct kd_raw_row {
  const char *name, *spec;
  const unsigned char *blob;
  size_t blob_len;
  uint64_t checksum, spec_check, streams_check;
  uint64_t version;           /* the row's version (replicas, kd_record) */
} kd_raw_row;

/* Returns 0 to go on, -1 to stop the scan (msg says why). */
typedef int (*kd_scan_fn)(void *arg, const kd_raw_row *row, char *msg, size_t msg_size);

/* Called by the backend once per record, in submission order per session:
 * ok 1 if its change is committed. Returns 1 if the backend must apply the
 * record again with the next batch (a failed change memory already shows),
 * 0 if the record is done (the backend frees it). */
typedef int (*kd_finish_fn)(void *arg, kd_record *r, int ok);

typedef struct kd_backend kd_backend;

typedef struct kd_backend_ops {
  const char *name;
  /* Calls fn for every stored row. Returns 0, or -1 with msg. */
  int (*scan)(kd_backend *b, kd_scan_fn fn, void *arg, char *msg, size_t msg_size);
  /* Starts applying submitted records (after the scan). 0 or -1. */
  int (*start)(kd_backend *b);
  /* Queues r, and the records linked after it by next, together and in
   * order (taking them over); 0, or -1 once stopped (they are still the
   * caller's). */
  int (*submit)(kd_backend *b, kd_record *r);
  /* 1 unless the last commit failed. */
  int (*healthy)(const kd_backend *b);
  /* Writes a consistent copy of the store to path, marked as a snapshot:
   * a daemon that opens the copy fences every stream. 0, or -1 with msg.
   * NULL for a store backed up by its own tools (PostgreSQL: pg_dump). */
  int (*snapshot)(kd_backend *b, const char *path, char *msg, size_t msg_size);
  /* Applies what is queued, then stops applying; later submits fail. */
  void (*stop)(kd_backend *b);
  /* Stops and frees the backend. */
  void (*close)(kd_backend *b);
  /* Reads the current row of one session (shared stores: another replica
   * may have changed it): calls fn once if it exists. Returns 1 (found), 0
   * (no such row) or -1 with msg (unreachable). NULL for a store no other
   * daemon writes. Any thread. */
  int (*fetch)(kd_backend *b, const char *name, kd_scan_fn fn, void *arg, char *msg, size_t msg_size);
  /* Shared stores: one page of the stored names as kd_store_page (byte
   * order), read from the store. NULL with msg when it cannot be read (or
   * out of memory). NULL op for a store no other daemon writes. */
  char **(*page)(kd_backend *b, const char *after, const char *prefix, size_t limit, size_t *n, int *more,
                 char *msg, size_t msg_size);
  /* Lease mode on a shared store: 1 while blocks may be served from memory
   * (every reseed and deletion another replica acknowledged up to
   * KD_LEASE_WINDOW_MS ago has been seen), with the generation sessions
   * validated since are valid in (a new one: every cached session is
   * stale). NULL: always. */
  int (*fresh)(const kd_backend *b, uint64_t *generation);
  /* Shared stores: whether the store still carries its snapshot marker
   * (another replica's /v1/admin/restore may have lifted it): 1 (fenced),
   * 0 (not), -1 with msg (unreachable). NULL for a store no other daemon
   * writes. Any thread. */
  int (*still_fenced)(kd_backend *b, char *msg, size_t msg_size);
} kd_backend_ops;

struct kd_backend {
  const kd_backend_ops *ops;
  char where[4096]; /* names the store in messages (the file's path) */
  /* The store carries a snapshot marker (opened from a restored snapshot)
   * and the marker's text: when and from which store it was taken. */
  int fenced;
  char fence_note[256];
  /* Several daemons share the store (PostgreSQL in strict mode): every
   * change is conditional on its row's version (kd_record.expect). */
  int shared;
  /* The store grants claims (KD_CHANGE_CLAIM): a strict draw takes its
   * counts from the row itself, so replicas drawing from one stream do not
   * invalidate each other's caches. */
  int claims;
};

/* What a backend is opened with. */
typedef struct kd_backend_hooks {
  kd_finish_fn finish;
  void *finish_arg;
  kd_metrics *metrics; /* commit latency and results */
  /* Shared stores: called from the backend's thread, before finish, for a
   * record whose change conflicted, with the session's current row (NULL:
   * there is none) so that the session's cached state becomes the stored
   * one before the request is replayed. */
  void (*refresh)(void *arg, kd_record *r, const kd_raw_row *row);
  /* Shared stores in lease mode: another replica reseeded or deleted the
   * session called name (a notification). From the listener's thread. */
  void (*invalidate)(void *arg, const char *name);
} kd_backend_hooks;

/* Lease mode on a shared store: how long after a reseed or deletion through
 * one replica another may still serve a block of the session it cached
 * (docs/deployment.md), and how often a replica confirms that it has seen
 * every such change (a heartbeat on its LISTEN connection). */
#define KD_LEASE_WINDOW_MS 250
#define KD_LEASE_HEARTBEAT_MS 50

/* SQLite in WAL mode: <data_dir>/keyfold.db (backend_sqlite.c). Refuses —
 * returning NULL with a message naming the file — a file that is not a
 * keyfold store, is of an unknown format version, or fails SQLite's
 * integrity check. */
kd_backend *kd_backend_sqlite_open(const char *data_dir, const kd_backend_hooks *hooks, char *msg,
                                   size_t msg_size);

/* PostgreSQL through libpq (backend_postgres.c): the database of url (a libpq
 * connection string or URI), shared by replicas. Connects, takes the
 * database's keyfold advisory lock in shared mode, creates the schema or
 * checks (and migrates) its version; with lease, listens for the other
 * replicas' reseeds and deletions once started. Refuses — NULL with a
 * message — an unreachable database, one a phase-1 keyfoldd holds, or a
 * schema newer than this binary's. */
kd_backend *kd_backend_postgres_open(const char *url, int lease, const kd_backend_hooks *hooks, char *msg,
                                     size_t msg_size);

/* A new row version for kd_record.version: random, never 0. */
uint64_t kd_record_version(void);

#endif
