/* keyfoldd — the PostgreSQL backend (backend.h): one row per session in the
 * table keyfold_sessions, written by the group-commit writer (writer.h):
 * every batch is one transaction, its statements sent in one pipeline (one
 * round trip and one commit for the batch).
 *
 * Replicas (issue 14 phase 2): several daemons share one database. Each
 * holds the advisory lock in shared mode (a phase-1 keyfoldd, which takes it
 * exclusively, cannot run beside them); every change is
 * conditional on the row's version (kd_record.expect: UPDATE … WHERE name =
 * $1 AND version = $expect, a creation INSERT … ON CONFLICT DO NOTHING, a
 * fork's child only if its parent's change is there), so a replica whose
 * cached session is stale changes nothing: the statement finds no row, the
 * record is marked conflict, the session's current row is read back (one
 * more round trip, for conflicts only) and handed to the refresh hook, and
 * the policy has the request replayed against it.
 *
 * Claims (strict): a draw does not write the cached state; its record (a
 * CLAIM) takes the counts from the row itself in SQL (kf_claim, schema 3's
 * counts_check) and brings back the
 * first count and the stream's key, from which the request computes its
 * keys once committed. Replicas drawing from one stream thus never
 * conflict; claims of one stream in a batch are merged (merge_claims).
 *
 * Lease mode: a replica serves draws from blocks it reserved (a change of
 * the row like any other) without a round trip. Every reseed and deletion
 * moves the database's epoch on (keyfold_epoch) and sends NOTIFY
 * keyfold_streams '<epoch>:<session>' in its transaction. A listener thread
 * (LISTEN on a connection of its own) marks the cached session stale, which
 * makes its next draw a write (conditional: a conflict refreshes it), and
 * every KD_LEASE_HEARTBEAT_MS reads the epoch: once every notification up to
 * it is handled (or, on a gap, every session is marked stale), blocks may be
 * served until KD_LEASE_WINDOW_MS past the moment it sent that read. A draw
 * later than that writes too (fresh, durability.c): a replica cut off from
 * its notifications serves from no block for longer than the window.
 *
 * When the connection is lost, commits fail (the policy answers 503 and the
 * readiness probe says so) and the writer's retries reconnect, with a
 * backoff from KD_WRITER_RETRY_MS up to BACKOFF_MAX_MS. */
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "writer.h"

/* The schema's version. A database whose schema is newer is refused (its
 * rows may mean something this binary does not know); older ones would be
 * migrated here, in order, when there are any. */
#define SCHEMA_VERSION 3
/* pg_try_advisory_lock's key: "kfld" — held shared by replicas, exclusively
 * by a phase-1 keyfoldd (one daemon per database). */
#define ADVISORY_KEY "1801874532"
/* Held while the schema is created or migrated: replicas starting together. */
#define SCHEMA_LOCK_KEY "1801874533"
#define SESSION_COLUMNS "name, spec, streams, checksum, spec_check, streams_check, version, counts_check"
/* Schema 3: a row's streams_check covers its blob with every count zeroed,
 * and counts_check the counts, each weighted by its stream's place, summed
 * modulo a prime: a claim (kf_claim) moves one count on in SQL and its
 * check with it, without reading the rest of the row. A damaged count
 * changes the sum (the prime is larger than any count and weight). */
#define COUNTS_MOD 2305843009213693951ull /* 2^61 - 1 */
#define COUNTS_MOD_SQL "2305843009213693951"
/* kf_claim's count: the little-endian uint32 at byte $3 of streams, written
 * out (builtins only: a SQL function per use would cost a call each). */
#define CLAIM_COUNT                                                                                   \
  "((get_byte(streams, $3)::bigint) | (get_byte(streams, $3 + 1)::bigint << 8)"                      \
  " | (get_byte(streams, $3 + 2)::bigint << 16) | (get_byte(streams, $3 + 3)::bigint << 24))"
#define CLAIM_NEXT "(" CLAIM_COUNT " + $4)"
#define CLAIM_FITS "(" CLAIM_NEXT " <= 4294967295)"
#define SNAPSHOT_KEY "snapshot"
#define BACKOFF_MAX_MS 5000
#define LOCK_WAIT_MS 3000u
#define LOCK_RETRY_MS 100u
/* Connections of request threads' reads (fetch, page, the fence), each
 * opened on first use: a replica polled by many clients reads in parallel. */
#define READERS 4

typedef struct pg_reader {
  pthread_mutex_t lock;
  PGconn *conn;
} pg_reader;

typedef struct pg_backend {
  kd_backend base; /* first: the interface's pointer is this struct's */
  char url[4096];
  PGconn *conn;     /* NULL while disconnected; the writer's once started */
  kd_writer *writer;
  unsigned backoff_ms;      /* the wait before the next reconnection attempt */
  struct timespec next_try; /* no reconnection attempt before this */
  kd_backend_hooks hooks;
  /* Request threads' connections (reads), apart from the writer's. */
  pg_reader readers[READERS];
  atomic_uint next_reader;
  /* Lease mode: the listener thread (notifications, the epoch heartbeat). */
  int lease;
  pthread_t listener;
  int listening;
  atomic_int stop_listening;
  atomic_int writer_pid;            /* the writer's server process: its own notifications */
  _Atomic uint64_t generation;      /* moves on when every cached session is stale */
  _Atomic int64_t fresh_until_ns;   /* CLOCK_MONOTONIC: blocks may be served until then */
} pg_backend;


/* libpq's message without its trailing newline. */
static const char *pq_error(const PGconn *conn) {
  static _Thread_local char text[512];
  snprintf(text, sizeof text, "%s", conn ? PQerrorMessage(conn) : "not connected");
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = '\0';
  return text;
}

static void ignore_notice(void *arg, const char *message) {
  (void)arg;
  (void)message;
}

/* Runs one statement without parameters; 0 if it succeeded (err: why not). */
static int exec_ok(PGconn *conn, const char *sql, char *err, size_t err_size) {
  PGresult *res = PQexec(conn, sql);
  const ExecStatusType st = PQresultStatus(res);
  const int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
  if (!ok && err) snprintf(err, err_size, "%s", pq_error(conn));
  PQclear(res);
  return ok ? 0 : -1;
}

/* The first column of the first row of a query, as text ("" for NULL or no
 * row); -1 if it failed. */
static int query_text(PGconn *conn, const char *sql, char *out, size_t size) {
  PGresult *res = PQexec(conn, sql);
  out[0] = '\0';
  const int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
  if (ok && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) snprintf(out, size, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  return ok ? 0 : -1;
}

/* ------------------------------------------------------------ row checks */

/* int8 in binary format: big-endian. */
static void put_u64(unsigned char out[8], uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) out[i] = (unsigned char)v;
}

static uint64_t get_u64(const char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | (unsigned char)p[i];
  return v;
}

static uint64_t count_weight(size_t i) { return 1000003u + 2u * (uint64_t)i; }

/* A row's checks as schema 3 stores them; -1 for a malformed blob. */
static int pg_checks(const char *name, const unsigned char *blob, size_t len, uint64_t *streams_check,
                     uint64_t *counts_check) {
  size_t offsets[KD_STREAMS_MAX];
  const int n = kd_row_count_offsets(blob, len, offsets);
  if (n < 0) return -1;
  uint64_t sum = 0;
  for (int i = 0; i < n; i++) {
    const unsigned char *c = blob + offsets[i];
    const uint64_t count = (uint64_t)c[0] | (uint64_t)c[1] << 8 | (uint64_t)c[2] << 16 | (uint64_t)c[3] << 24;
    sum = (sum + count * count_weight((size_t)i)) % COUNTS_MOD;
  }
  *streams_check = kd_row_streams_check_without(name, blob, len, offsets, (size_t)n);
  *counts_check = sum;
  return 0;
}

/* ------------------------------------------------------------ connecting */

static int migrate_checks(pg_backend *b, char *err, size_t err_size);

/* Creates the schema in a database without one, or checks the version of
 * the one found, migrating it step by step. Runs under the schema lock
 * (connect_db): replicas starting together do not race. */
static int check_schema_locked(pg_backend *b, char *msg, size_t size) {
  char err[512], version[32];
  if (exec_ok(b->conn,
              "CREATE TABLE IF NOT EXISTS keyfold_schema_version(version integer PRIMARY KEY,"
              " applied_at timestamptz NOT NULL DEFAULT now())",
              err, sizeof err) != 0 ||
      query_text(b->conn, "SELECT max(version) FROM keyfold_schema_version", version, sizeof version) != 0)
    return kd_backend_fail(msg, size, "cannot read the keyfold schema of %s: %s", b->base.where, pq_error(b->conn));
  long v = version[0] ? strtol(version, NULL, 10) : 0;
  if (v > SCHEMA_VERSION)
    return kd_backend_fail(msg, size,
                "refusing %s: its keyfold schema is version %ld, newer than this keyfoldd's (version %d); "
                "run a keyfoldd that knows schema version %ld",
                b->base.where, v, SCHEMA_VERSION, v);
  const long found = v;
  if (found > 0 && found < SCHEMA_VERSION) {
    /* A keyfoldd that knows only the older schema would go on writing its
     * rows the old way beside the migrated ones. Those running hold the
     * keyfold lock; this one takes it after the schema lock (connect_db), as
     * every newer one does, so any holder now runs an older version. */
    char pids[256];
    if (query_text(b->conn,
                   "SELECT string_agg(pid::text, ', ') FROM pg_locks WHERE locktype = 'advisory' AND granted"
                   " AND classid = 0 AND objid = " ADVISORY_KEY " AND objsubid = 1 AND pid <> pg_backend_pid()",
                   pids, sizeof pids) != 0)
      return kd_backend_fail(msg, size, "cannot read the locks of %s: %s", b->base.where, pq_error(b->conn));
    if (pids[0])
      return kd_backend_fail(msg, size,
                             "refusing to migrate %s from keyfold schema version %ld to %d while a keyfoldd of "
                             "the older version runs on it (PostgreSQL server process %s); stop every keyfoldd "
                             "of this database first",
                             b->base.where, found, SCHEMA_VERSION, pids);
  }
  /* Each step in a transaction of its own, from what the database has. */
  /* NULL: a step in C. */
  static const char *const steps[SCHEMA_VERSION] = {
      /* 1: phase 1's tables */
      "BEGIN;"
      "CREATE TABLE keyfold_meta(key text PRIMARY KEY, value text NOT NULL);"
      "CREATE TABLE keyfold_sessions(name text PRIMARY KEY, spec text NOT NULL,"
      " streams bytea NOT NULL, checksum bigint NOT NULL, spec_check bigint NOT NULL,"
      " streams_check bigint NOT NULL);"
      "INSERT INTO keyfold_schema_version(version) VALUES (1);"
      "COMMIT",
      /* 2: replicas — the row version every change is conditional on, and
       * the epoch every reseed and deletion moves on (lease: LISTEN) */
      "BEGIN;"
      "ALTER TABLE keyfold_sessions ADD COLUMN version bigint NOT NULL DEFAULT 0;"
      "CREATE TABLE keyfold_epoch(id integer PRIMARY KEY CHECK (id = 1), epoch bigint NOT NULL);"
      "INSERT INTO keyfold_epoch VALUES (1, 0);"
      "INSERT INTO keyfold_schema_version(version) VALUES (2);"
      "COMMIT",
      /* 3: claims — the checks a claim keeps in SQL (migrate_checks) */
      NULL,
  };
  for (; v < SCHEMA_VERSION; v++) {
    if (steps[v] ? exec_ok(b->conn, steps[v], err, sizeof err) != 0 : migrate_checks(b, err, sizeof err) != 0) {
      exec_ok(b->conn, "ROLLBACK", NULL, 0);
      return kd_backend_fail(msg, size, "cannot bring the keyfold schema of %s to version %ld: %s", b->base.where,
                             v + 1, err);
    }
  }
  if (found > 0 && found < SCHEMA_VERSION)
    fprintf(stderr, "keyfoldd: store %s: keyfold schema migrated from version %ld to %d\n", b->base.where, found,
            SCHEMA_VERSION);
  if (query_text(b->conn, "SELECT value FROM keyfold_meta WHERE key = '" SNAPSHOT_KEY "'", b->base.fence_note,
                 sizeof b->base.fence_note) != 0)
    return kd_backend_fail(msg, size, "cannot read the keyfold schema of %s: %s", b->base.where, pq_error(b->conn));
  b->base.fenced = b->base.fence_note[0] != '\0';
  return 0;
}

/* Schema 2 to 3, in one transaction: the counts_check column and every
 * row's checks in their schema-3 form — a
 * row whose schema-2 check fails keeps it (and then fails the new ones:
 * the damage is still reported when the row is read). */
static int migrate_checks(pg_backend *b, char *err, size_t err_size) {
  if (exec_ok(b->conn,
              "BEGIN;"
              "ALTER TABLE keyfold_sessions ADD COLUMN counts_check bigint NOT NULL DEFAULT 0",
              err, err_size) != 0)
    return -1;
  PGresult *res = PQexecParams(b->conn, "SELECT name, streams, streams_check FROM keyfold_sessions", 0, NULL, NULL,
                               NULL, NULL, 1);
  int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
  if (rc != 0) snprintf(err, err_size, "%s", pq_error(b->conn));
  for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
    const char *name = PQgetvalue(res, i, 0);
    const unsigned char *blob = (const unsigned char *)PQgetvalue(res, i, 1);
    const size_t len = (size_t)PQgetlength(res, i, 1);
    uint64_t streams_check, counts_check;
    if (PQgetlength(res, i, 2) != 8 || get_u64(PQgetvalue(res, i, 2)) != kd_row_streams_check(name, blob, len) ||
        pg_checks(name, blob, len, &streams_check, &counts_check) != 0)
      continue;
    unsigned char sc[8], cc[8];
    put_u64(sc, streams_check);
    put_u64(cc, counts_check);
    const char *values[3] = {name, (const char *)sc, (const char *)cc};
    const int lengths[3] = {(int)strlen(name), 8, 8}, formats[3] = {1, 1, 1};
    PGresult *u = PQexecParams(b->conn, "UPDATE keyfold_sessions SET streams_check = $2, counts_check = $3"
                               " WHERE name = $1", 3, NULL, values, lengths, formats, 0);
    if (PQresultStatus(u) != PGRES_COMMAND_OK) {
      snprintf(err, err_size, "%s", pq_error(b->conn));
      rc = -1;
    }
    PQclear(u);
  }
  PQclear(res);
  if (rc == 0 && exec_ok(b->conn, "INSERT INTO keyfold_schema_version(version) VALUES (3); COMMIT", err, err_size) != 0)
    rc = -1;
  return rc;
}

static int prepare(PGconn *conn, const char *name, const char *sql, int n_params) {
  PGresult *res = PQprepare(conn, name, sql, n_params, NULL);
  const int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  return ok ? 0 : -1;
}

/* Opens a connection, takes the advisory lock and prepares the statements
 * (first: also the schema). 0, or -1 with msg (b->conn is then NULL). */
static int connect_db(pg_backend *b, int first, char *msg, size_t size) {
  /* Defaults the URL may override (it is expanded after them): a server
   * that stops answering over TCP without closing the connection is given
   * up on within about 10 s, so that requests fail (503) instead of hanging. */
  const char *const keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                              "keepalives_count", "tcp_user_timeout", "dbname", NULL};
  const char *const values[] = {"5", "keyfoldd", "5", "2", "3", "10000", b->url, NULL};
  PQfinish(b->conn);
  b->conn = PQconnectdbParams(keys, values, 1);
  if (!b->conn) return kd_backend_fail(msg, size, "cannot connect to PostgreSQL: out of memory");
  if (PQstatus(b->conn) != CONNECTION_OK) {
    kd_backend_fail(msg, size, "cannot connect to the PostgreSQL database of --postgres-url: %s", pq_error(b->conn));
    goto failed;
  }
  PQsetNoticeProcessor(b->conn, ignore_notice, NULL);
  if (first)
    snprintf(b->base.where, sizeof b->base.where, "the PostgreSQL database '%s' on %s:%s", PQdb(b->conn),
             PQhost(b->conn), PQport(b->conn));
  /* The schema under its own advisory lock, taken before the keyfold lock:
   * replicas that start together create or migrate it once, and one that
   * migrates sees as holders of the keyfold lock only daemons started
   * before (check_schema_locked). Released once the schema is checked (the
   * connection's end releases it on failure). */
  if (first && exec_ok(b->conn, "SELECT pg_advisory_lock(" SCHEMA_LOCK_KEY ")", NULL, 0) != 0) {
    kd_backend_fail(msg, size, "cannot lock the keyfold schema of %s: %s", b->base.where, pq_error(b->conn));
    goto failed;
  }
  /* A keyfoldd killed a moment ago still holds the lock until PostgreSQL has
   * noticed its connection is gone and ended its backend: a restart right
   * after a crash waits for that (up to LOCK_WAIT_MS) before refusing. */
  char locked[8];
  for (unsigned waited = 0;; waited += LOCK_RETRY_MS) {
    if (query_text(b->conn, "SELECT pg_try_advisory_lock_shared(" ADVISORY_KEY ")", locked, sizeof locked) != 0) {
      kd_backend_fail(msg, size, "cannot lock %s: %s", b->base.where, pq_error(b->conn));
      goto failed;
    }
    if (strcmp(locked, "t") == 0 || waited >= LOCK_WAIT_MS) break;
    const struct timespec pause = {0, LOCK_RETRY_MS * 1000000L};
    nanosleep(&pause, NULL);
  }
  if (strcmp(locked, "t") != 0) {
    kd_backend_fail(msg, size,
                    "refusing %s: a keyfoldd of phase 1 (one daemon per database) holds it alone (its advisory "
                    "lock " ADVISORY_KEY " is taken exclusively)",
                    b->base.where);
    goto failed;
  }
  if (first && (check_schema_locked(b, msg, size) != 0 ||
                exec_ok(b->conn, "SELECT pg_advisory_unlock(" SCHEMA_LOCK_KEY ")", NULL, 0) != 0))
    goto failed;
  atomic_store(&b->writer_pid, PQbackendPID(b->conn));
  /* Every statement conditional on the row's version ($expect). */
  if (prepare(b->conn, "kf_put",
              "INSERT INTO keyfold_sessions(" SESSION_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
              " ON CONFLICT (name) DO NOTHING",
              8) != 0 ||
      prepare(b->conn, "kf_put_after",
              "INSERT INTO keyfold_sessions(" SESSION_COLUMNS ") SELECT $1, $2, $3, $4, $5, $6, $7, $10"
              " WHERE EXISTS (SELECT 1 FROM keyfold_sessions WHERE name = $8 AND version = $9)"
              " ON CONFLICT (name) DO NOTHING",
              10) != 0 ||
      prepare(b->conn, "kf_update",
              "UPDATE keyfold_sessions SET streams = $2, streams_check = $3, version = $5, counts_check = $6"
              " WHERE name = $1 AND version = $4",
              6) != 0 ||
      /* A claim: $4 counts of the stream whose count is at byte $3, if the
       * row is the session created with spec_check $2 and the stream can
       * give that many (no row: resolve_conflicts reads it to tell which).
       * The version moves on along the claimer's chain ($7 to $6) when the
       * row was where its cache was, else to a version of nobody's ($8):
       * the claimer's next conditional change then conflicts and
       * refreshes. */
      prepare(b->conn, "kf_claim",
              "UPDATE keyfold_sessions SET"
              " streams = set_byte(set_byte(set_byte(set_byte(streams,"
              " $3, (" CLAIM_NEXT " & 255)::integer), $3 + 1, ((" CLAIM_NEXT " >> 8) & 255)::integer),"
              " $3 + 2, ((" CLAIM_NEXT " >> 16) & 255)::integer), $3 + 3, ((" CLAIM_NEXT " >> 24) & 255)::integer),"
              " counts_check = (counts_check + ($4 * $5) % " COUNTS_MOD_SQL ") % " COUNTS_MOD_SQL ","
              " version = CASE WHEN version = $7::bigint THEN $6::bigint ELSE $8::bigint END"
              " WHERE name = $1 AND spec_check = $2 AND length(streams) >= $3 + 4 AND " CLAIM_FITS
              " RETURNING " CLAIM_COUNT ", substring(streams FROM $3 - 7 FOR 8), version = $6::bigint",
              8) != 0 ||
      prepare(b->conn, "kf_delete", "DELETE FROM keyfold_sessions WHERE name = $1 AND version = $2", 2) != 0 ||
      prepare(b->conn, "kf_row", "SELECT " SESSION_COLUMNS " FROM keyfold_sessions WHERE name = $1", 1) != 0 ||
      prepare(b->conn, "kf_lock",
              "SELECT 1 FROM keyfold_sessions WHERE name = ANY ($1::text[]) ORDER BY name COLLATE \"C\" FOR UPDATE",
              1) != 0 ||
      prepare(b->conn, "kf_notify",
              "WITH e AS (UPDATE keyfold_epoch SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch)"
              " SELECT pg_notify('keyfold_streams', (SELECT epoch FROM e)::text || ':' || $1)",
              1) != 0 ||
      prepare(b->conn, "kf_unfence", "DELETE FROM keyfold_meta WHERE key = '" SNAPSHOT_KEY "'", 0) != 0) {
    kd_backend_fail(msg, size, "cannot prepare the statements of %s: %s", b->base.where, pq_error(b->conn));
    goto failed;
  }
  return 0;
failed:
  PQfinish(b->conn);
  b->conn = NULL;
  return -1;
}

static int before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* A usable connection: the one held, or a new one once the backoff allows.
 * 0, or -1 (the commit fails, the writer retries later). */
static int ensure_connected(pg_backend *b) {
  if (b->conn && PQstatus(b->conn) == CONNECTION_OK) return 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (before(&now, &b->next_try)) return -1;
  char msg[1024];
  if (connect_db(b, 0, msg, sizeof msg) == 0) {
    /* After a failover (a multi-host URL) this is another host than the
     * one `where` names (the first connection's). */
    fprintf(stderr, "keyfoldd: store %s: reconnected (to %s:%s)\n", b->base.where, PQhost(b->conn),
            PQport(b->conn));
    b->backoff_ms = 0;
    return 0;
  }
  b->backoff_ms = b->backoff_ms ? b->backoff_ms * 2 : KD_WRITER_RETRY_MS;
  if (b->backoff_ms > BACKOFF_MAX_MS) b->backoff_ms = BACKOFF_MAX_MS;
  b->next_try = now;
  b->next_try.tv_nsec += (long)(b->backoff_ms % 1000) * 1000000L;
  b->next_try.tv_sec += b->backoff_ms / 1000 + b->next_try.tv_nsec / 1000000000L;
  b->next_try.tv_nsec %= 1000000000L;
  fprintf(stderr, "keyfoldd: store %s: %s; next attempt in %u ms\n", b->base.where, msg, b->backoff_ms);
  return -1;
}

/* After a failure: an aborted transaction is rolled back; a connection
 * that is broken, or left in a state that cannot be cleared (a pipeline with
 * results pending), is dropped: the next commit reconnects. */
static void recover_connection(pg_backend *b) {
  if (!b->conn) return;
  int drop = PQstatus(b->conn) != CONNECTION_OK;
  if (!drop && PQpipelineStatus(b->conn) != PQ_PIPELINE_OFF) drop = !PQexitPipelineMode(b->conn);
  if (!drop && PQtransactionStatus(b->conn) != PQTRANS_IDLE) drop = exec_ok(b->conn, "ROLLBACK", NULL, 0) != 0;
  if (drop) {
    PQfinish(b->conn);
    b->conn = NULL;
  }
}

/* ------------------------------------------------------------ writing */

/* A row of a SESSION_COLUMNS result (binary) as a raw row; -1 if its
 * fixed-size columns are malformed. Borrows from res. */
static int raw_row_of(const PGresult *res, int i, kd_raw_row *row) {
  if (PQgetlength(res, i, 3) != 8 || PQgetlength(res, i, 4) != 8 || PQgetlength(res, i, 5) != 8 ||
      PQgetlength(res, i, 6) != 8 || PQgetlength(res, i, 7) != 8)
    return -1;
  *row = (kd_raw_row){
      .name = PQgetvalue(res, i, 0),
      .spec = PQgetvalue(res, i, 1),
      .blob = (const unsigned char *)PQgetvalue(res, i, 2),
      .blob_len = (size_t)PQgetlength(res, i, 2),
      .checksum = get_u64(PQgetvalue(res, i, 3)),
      .spec_check = get_u64(PQgetvalue(res, i, 4)),
      .streams_check = get_u64(PQgetvalue(res, i, 5)),
      .version = get_u64(PQgetvalue(res, i, 6)),
  };
  /* Handed up with the check every store's rows carry (row.h) when this
   * store's own checks pass, and with one that fails when they do not. */
  const uint64_t usual = kd_row_streams_check(row->name, row->blob, row->blob_len);
  uint64_t streams_check, counts_check;
  const int good = pg_checks(row->name, row->blob, row->blob_len, &streams_check, &counts_check) == 0 &&
                   streams_check == row->streams_check && counts_check == get_u64(PQgetvalue(res, i, 7));
  row->streams_check = good ? usual : ~usual;
  return 0;
}

/* Whether a record's statement is followed by kf_notify (one more result;
 * every session's statement is followed by kf_row). */
static int notifies(const kd_record *r) {
  return r->change == KD_CHANGE_RESEED || r->change == KD_CHANGE_DELETE;
}

/* Whether a record's statement is followed by kf_row (claims are not). */
static int reads_row(const kd_record *r) {
  return !r->superseded_by && r->session && r->change != KD_CHANGE_CLAIM;
}

/* Queues a claim leader's kf_claim: the counts of its whole run. */
static int send_claim(pg_backend *b, const kd_record *r) {
  unsigned char identity[8], offset[4], n[8], weight[8], version[8], expect[8], other[8];
  put_u64(identity, r->claim_identity);
  for (int i = 0; i < 4; i++) offset[i] = (unsigned char)(r->claim_offset >> (8 * (3 - i)));
  put_u64(n, r->claim_total);
  put_u64(weight, count_weight(r->claim_stream));
  put_u64(version, r->claim_last_version);
  put_u64(expect, r->expect);
  put_u64(other, kd_record_version());
  const char *values[8] = {r->session->name,  (const char *)identity, (const char *)offset,
                           (const char *)n,    (const char *)weight,   (const char *)version,
                           (const char *)expect, (const char *)other};
  const int lengths[8] = {(int)strlen(r->session->name), 8, 4, 8, 8, 8, 8, 8};
  const int formats[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  return PQsendQueryPrepared(b->conn, "kf_claim", 8, values, lengths, formats, 1) ? 0 : -1;
}

/* Claims of one stream of one session, one after the other in the
 * session's changes (each made on the version the one before it wrote),
 * go as one statement: each later one is merged into the run's first (its
 * leader), which claims their total and writes the last one's version. */
static void merge_claims(kd_record *batch) {
  for (kd_record *r = batch; r; r = r->next) {
    r->claim_leader = NULL;
    r->claim_total = r->claim_n;
    r->claim_last_version = r->version;
    if (r->change != KD_CHANGE_CLAIM || r->claim_alone) continue;
    kd_record *before = NULL; /* the session's change before r */
    for (kd_record *q = batch; q != r; q = q->next)
      if (q->session == r->session) before = q;
    if (!before || before->change != KD_CHANGE_CLAIM || before->claim_alone ||
        before->claim_stream != r->claim_stream || before->claim_identity != r->claim_identity ||
        before->version != r->expect)
      continue;
    kd_record *leader = before->claim_leader ? before->claim_leader : before;
    if (leader->claim_total + r->claim_n > UINT32_MAX) continue;
    r->claim_leader = leader;
    leader->claim_total += r->claim_n;
    leader->claim_last_version = r->version;
  }
}

/* Reads a claim leader's result and hands the granted counts out to its
 * run, in batch order; none granted: conflict, until resolve_conflicts
 * has read the row. 0, or -1 if the statement failed. */
static int read_claim(pg_backend *b, kd_record *leader) {
  PGresult *res = PQgetResult(b->conn);
  int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
  if (!ok && res && PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
    fprintf(stderr, "keyfoldd: store %s: commit failed: %s\n", b->base.where, pq_error(b->conn));
  kd_claim_result claimed = KD_CLAIM_NONE;
  uint32_t count = 0;
  kf_key key = {0, 0};
  int chained = 0;
  if (ok && PQntuples(res) == 1 && PQgetlength(res, 0, 0) == 8 && PQgetlength(res, 0, 1) == 8 &&
      PQgetlength(res, 0, 2) == 1) {
    chained = PQgetvalue(res, 0, 2)[0] != 0;
    const unsigned char *k = (const unsigned char *)PQgetvalue(res, 0, 1);
    count = (uint32_t)get_u64(PQgetvalue(res, 0, 0));
    key = kf_key_from_data((uint32_t)k[0] | (uint32_t)k[1] << 8 | (uint32_t)k[2] << 16 | (uint32_t)k[3] << 24,
                           (uint32_t)k[4] | (uint32_t)k[5] << 8 | (uint32_t)k[6] << 16 | (uint32_t)k[7] << 24);
    claimed = KD_CLAIM_GRANTED;
  } else if (ok && PQntuples(res) != 0) {
    ok = 0;
  }
  PQclear(res);
  if (res && (res = PQgetResult(b->conn)) != NULL) {
    ok = 0;
    PQclear(res);
  }
  uint32_t next = count - (uint32_t)leader->claim_total;
  for (kd_record *r = leader; r; r = r->next) {
    if (r != leader && r->claim_leader != leader) continue;
    r->conflict = claimed == KD_CLAIM_NONE;
    r->claimed = claimed;
    r->claim_chained = chained;
    r->claim_key = key;
    r->claim_base = next;
    if (claimed == KD_CLAIM_GRANTED) next += (uint32_t)r->claim_n;
  }
  return ok ? 0 : -1;
}

/* Queues the statement of one record in the pipeline (binary parameters),
 * and kf_notify after a reseed's or a deletion's. */
static int send_record(pg_backend *b, const kd_record *r) {
  const char *name = r->session ? r->session->name : "";
  unsigned char checksum[8], spec_check[8], streams_check[8], counts_check[8], expect[8], version[8], after[8];
  const char *values[10];
  int lengths[10];
  const int formats[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  values[0] = name;
  lengths[0] = (int)strlen(name);
  put_u64(expect, r->run_expect);
  put_u64(version, r->version);
  uint64_t check = 0, counts = 0;
  if (r->blob && pg_checks(name, r->blob, r->blob_len, &check, &counts) != 0) return -1;
  put_u64(streams_check, check);
  put_u64(counts_check, counts);
  switch (r->change) {
    case KD_CHANGE_CLAIM:
      return r->claim_leader ? 0 : send_claim(b, r);
    case KD_CHANGE_CREATE:
      put_u64(checksum, r->checksum);
      put_u64(spec_check, kd_row_spec_check(name, r->spec, r->checksum));
      values[1] = r->spec;
      lengths[1] = (int)strlen(r->spec);
      values[2] = (const char *)r->blob;
      lengths[2] = (int)r->blob_len;
      values[3] = (const char *)checksum;
      values[4] = (const char *)spec_check;
      values[5] = (const char *)streams_check;
      lengths[3] = lengths[4] = lengths[5] = 8;
      values[6] = (const char *)version;
      lengths[6] = 8;
      if (r->after) {
        put_u64(after, r->after_version);
        values[7] = r->after->name;
        lengths[7] = (int)strlen(r->after->name);
        values[8] = (const char *)after;
        lengths[8] = 8;
        values[9] = (const char *)counts_check;
        lengths[9] = 8;
        if (!PQsendQueryPrepared(b->conn, "kf_put_after", 10, values, lengths, formats, 0)) return -1;
      } else {
        values[7] = (const char *)counts_check;
        lengths[7] = 8;
        if (!PQsendQueryPrepared(b->conn, "kf_put", 8, values, lengths, formats, 0)) return -1;
      }
      break;
    case KD_CHANGE_STATE:
    case KD_CHANGE_STATS:
    case KD_CHANGE_RESEED:
      values[1] = (const char *)r->blob;
      lengths[1] = (int)r->blob_len;
      values[2] = (const char *)streams_check;
      lengths[2] = 8;
      values[3] = (const char *)expect;
      values[4] = (const char *)version;
      values[5] = (const char *)counts_check;
      lengths[3] = lengths[4] = lengths[5] = 8;
      if (!PQsendQueryPrepared(b->conn, "kf_update", 6, values, lengths, formats, 0)) return -1;
      break;
    case KD_CHANGE_UNFENCE:
      return PQsendQueryPrepared(b->conn, "kf_unfence", 0, NULL, NULL, NULL, 0) ? 0 : -1;
    case KD_CHANGE_DELETE:
    default:
      values[1] = (const char *)expect;
      lengths[1] = 8;
      if (!PQsendQueryPrepared(b->conn, "kf_delete", 2, values, lengths, formats, 0)) return -1;
      break;
  }
  /* A reseed or deletion fences the other replicas' blocks (lease). */
  const int text[1] = {0};
  if (notifies(r) && !PQsendQueryPrepared(b->conn, "kf_notify", 1, values, lengths, text, 0)) return -1;
  /* The row as it is after the statement, in the same round trip: on a
   * conflict, what the cached session becomes (resolve_conflicts). */
  return !reads_row(r) || PQsendQueryPrepared(b->conn, "kf_row", 1, values, lengths, text, 1) ? 0 : -1;
}

/* Reads the result of one pipelined statement (and the NULL that ends it),
 * expecting status want. r, when not NULL, is the record whose statement it
 * was: its conflict flag is set (a statement that changed no row). 0 if it
 * succeeded. */
static int read_result(pg_backend *b, kd_record *r, ExecStatusType want) {
  PGresult *res = PQgetResult(b->conn);
  int ok = res && PQresultStatus(res) == want;
  if (ok && r)
    /* Not at the version the change was made on (or, for a creation, the
     * name taken): another replica changed the row meanwhile (or its
     * creation failed). */
    r->conflict = strcmp(PQcmdTuples(res), "0") == 0 && r->change != KD_CHANGE_UNFENCE;
  if (!ok && res && PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
    fprintf(stderr, "keyfoldd: store %s: commit failed: %s\n", b->base.where, pq_error(b->conn));
  PQclear(res);
  if (res && (res = PQgetResult(b->conn)) != NULL) { /* the statement's end */
    ok = 0;
    PQclear(res);
  }
  return ok ? 0 : -1;
}

/* Reads the result of a pipelined kf_row (and the NULL that ends it): the
 * result, or NULL if it failed. */
static PGresult *read_rows(pg_backend *b) {
  PGresult *res = PQgetResult(b->conn);
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    PQclear(res);
    res = NULL;
  }
  PGresult *end = PQgetResult(b->conn);
  if (end) {
    PQclear(end);
    PQclear(res);
    res = NULL;
  }
  return res;
}

/* A claim leader granted nothing: the row read now tells why (rare). Still
 * the session's and the stream short of counts: exhausted when the run is
 * one claim, else each is made again alone. Otherwise the row
 * was deleted or created again: a conflict, and the session is refreshed. */
static void resolve_claim(pg_backend *b, kd_record *batch, kd_record *leader) {
  const char *values[1] = {leader->session->name};
  PGresult *res = PQexecPrepared(b->conn, "kf_row", 1, values, NULL, NULL, 1);
  kd_raw_row row;
  const int read = PQresultStatus(res) == PGRES_TUPLES_OK;
  const int found = read && PQntuples(res) == 1 && raw_row_of(res, 0, &row) == 0;
  if (found && row.spec_check == leader->claim_identity && leader->claim_offset + 4 <= row.blob_len) {
    const unsigned char *c = row.blob + leader->claim_offset;
    const uint32_t count = (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
    for (kd_record *r = batch; r; r = r->next) {
      if (r != leader && r->claim_leader != leader) continue;
      r->conflict = 0;
      r->claimed = leader->claim_total == leader->claim_n ? KD_CLAIM_EXHAUSTED : KD_CLAIM_ALONE;
      r->claim_base = count;
    }
  } else if (read && b->hooks.refresh) {
    b->hooks.refresh(b->hooks.finish_arg, leader, found ? &row : NULL);
  }
  PQclear(res);
}

/* After a commit: each change that conflicted is either ours after all (a
 * change retried after its first commit's outcome was lost: the row, read
 * after it in the same transaction, is at its version) or another replica's
 * doing, and then the session's cached state is refreshed from that row. A
 * creation that conflicted is withdrawn by the policy (finish) instead.
 * rows[i]: the i-th applied record's kf_row result (freed here). */
static void resolve_conflicts(pg_backend *b, kd_record *batch, PGresult **rows) {
  size_t i = 0;
  for (kd_record *r = batch; r; r = r->next) {
    if (r->change == KD_CHANGE_CLAIM) {
      if (r->conflict && !r->claim_leader) resolve_claim(b, batch, r);
      continue;
    }
    if (r->superseded_by || !r->session) continue;
    PGresult *res = rows[i++];
    kd_raw_row row;
    /* The row is only looked at (and its checks computed) on a conflict. */
    const int found = r->conflict && res && PQntuples(res) == 1 && raw_row_of(res, 0, &row) == 0;
    if (r->conflict && found && row.version == r->version && r->change != KD_CHANGE_DELETE) {
      r->conflict = 0;
    } else if (r->conflict && res && r->change != KD_CHANGE_CREATE && b->hooks.refresh) {
      b->hooks.refresh(b->hooks.finish_arg, r, found ? &row : NULL);
    }
    PQclear(res);
  }
}

static void free_rows(PGresult **rows, size_t n) {
  for (size_t i = 0; i < n; i++) PQclear(rows[i]);
  free(rows);
}

/* The names of the sessions a batch changes as a text[] literal ("{a,b}":
 * session names need no quoting), or NULL on ENOMEM. */
static char *batch_names(const kd_record *batch) {
  size_t len = 3;
  for (const kd_record *r = batch; r; r = r->next)
    if (!r->superseded_by && r->session) len += strlen(r->session->name) + 1;
  char *out = malloc(len), *p = out;
  if (!out) return NULL;
  *p++ = '{';
  for (const kd_record *r = batch; r; r = r->next) {
    if (r->superseded_by || !r->session) continue;
    if (p > out + 1) *p++ = ',';
    const size_t n = strlen(r->session->name);
    memcpy(p, r->session->name, n);
    p += n;
  }
  *p++ = '}';
  *p = '\0';
  return out;
}

static int commit_batch(void *arg, kd_record *batch) {
  pg_backend *b = arg;
  merge_claims(batch);
  size_t n_rows = 0, n_changes = 0;
  for (const kd_record *r = batch; r; r = r->next) {
    if (reads_row(r)) n_rows++;
    if (!r->superseded_by && r->session) n_changes++;
  }
  PGresult **rows = calloc(n_rows ? n_rows : 1, sizeof *rows);
  const int lock = n_changes > 1;
  char *names = lock ? batch_names(batch) : NULL;
  if (!rows || (lock && !names) || ensure_connected(b) != 0) {
    free(rows);
    free(names);
    return -1;
  }
  int rc = PQenterPipelineMode(b->conn) ? 0 : -1;
  if (rc == 0) rc = PQsendQueryParams(b->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ? 0 : -1;
  /* Replicas' batches change the same rows in their own orders: each first
   * locks its rows in name order, so that two never wait for each other. */
  const char *lock_values[1] = {names};
  if (rc == 0 && names) rc = PQsendQueryPrepared(b->conn, "kf_lock", 1, lock_values, NULL, NULL, 0) ? 0 : -1;
  free(names);
  for (kd_record *r = batch; rc == 0 && r; r = r->next)
    if (!r->superseded_by) rc = send_record(b, r);
  if (rc == 0) rc = PQsendQueryParams(b->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ? 0 : -1;
  if (rc == 0) rc = PQpipelineSync(b->conn) ? 0 : -1;
  if (rc == 0) {
    /* Every result is read, even after a failure, up to the sync. */
    int bad = read_result(b, NULL, PGRES_COMMAND_OK);
    if (lock && PQstatus(b->conn) == CONNECTION_OK && read_result(b, NULL, PGRES_TUPLES_OK) != 0) bad = -1;
    size_t i = 0;
    for (kd_record *r = batch; r && PQstatus(b->conn) == CONNECTION_OK; r = r->next) {
      if (r->change == KD_CHANGE_CLAIM) {
        if (!r->claim_leader && read_claim(b, r) != 0) bad = -1;
        continue;
      }
      if (r->superseded_by) continue;
      if (read_result(b, r, PGRES_COMMAND_OK) != 0) bad = -1;
      if (notifies(r) && PQstatus(b->conn) == CONNECTION_OK && read_result(b, NULL, PGRES_TUPLES_OK) != 0) bad = -1;
      if (r->session && PQstatus(b->conn) == CONNECTION_OK && !(rows[i++] = read_rows(b))) bad = -1;
    }
    if (PQstatus(b->conn) == CONNECTION_OK && read_result(b, NULL, PGRES_COMMAND_OK) != 0) bad = -1;
    PGresult *sync = PQstatus(b->conn) == CONNECTION_OK ? PQgetResult(b->conn) : NULL;
    if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC) bad = -1;
    PQclear(sync);
    rc = bad;
  }
  if (rc == 0 && PQexitPipelineMode(b->conn) && PQtransactionStatus(b->conn) == PQTRANS_IDLE) {
    resolve_conflicts(b, batch, rows);
    free(rows);
    return 0;
  }
  free_rows(rows, n_rows);
  if (PQstatus(b->conn) != CONNECTION_OK)
    fprintf(stderr, "keyfoldd: store %s: connection lost: %s\n", b->base.where, pq_error(b->conn));
  recover_connection(b);
  return -1;
}

static int probe_commit(void *arg) {
  pg_backend *b = arg;
  if (ensure_connected(b) != 0) return -1;
  /* A write, so that a read-only server (a standby) is not taken for a
   * healthy one. */
  if (exec_ok(b->conn, "UPDATE keyfold_schema_version SET version = version WHERE version = 1", NULL, 0) == 0)
    return 0;
  recover_connection(b);
  return -1;
}

/* The writer's connection, idle for a while, still reaches a server (a
 * primary that crashed or was stopped is noticed without a request). */
static int ping_server(void *arg) {
  pg_backend *b = arg;
  if (b->conn && exec_ok(b->conn, "SELECT 1", NULL, 0) == 0) return 0;
  if (b->conn) fprintf(stderr, "keyfoldd: store %s: connection lost: %s\n", b->base.where, pq_error(b->conn));
  recover_connection(b);
  return -1;
}

static const kd_writer_ops pg_writer_ops = {commit_batch, probe_commit, ping_server};

/* ------------------------------------------------------------ lease: the listener */

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Handles the notifications received: '<epoch>:<session>', in commit order.
 * The next epoch marks its session stale; a gap (a notification missed)
 * marks every session stale. *seen: the last epoch accounted for. */
static void drain_notifications(pg_backend *b, PGconn *c, long long *seen) {
  PGnotify *n;
  while ((n = PQnotifies(c)) != NULL) {
    char *colon = strchr(n->extra, ':');
    const long long epoch = strtoll(n->extra, NULL, 10);
    if (colon && epoch == *seen + 1) {
      if (n->be_pid != atomic_load(&b->writer_pid) && b->hooks.invalidate)
        b->hooks.invalidate(b->hooks.finish_arg, colon + 1);
      *seen = epoch;
    } else if (!colon || epoch > *seen) {
      atomic_fetch_add(&b->generation, 1);
      *seen = epoch;
    }
    PQfreemem(n);
  }
}

static void *listener_main(void *arg) {
  pg_backend *b = arg;
  PGconn *c = NULL;
  long long seen = 0;
  unsigned backoff_ms = 0;
  while (!atomic_load(&b->stop_listening)) {
    if (!c) {
      const char *const keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                                  "keepalives_count", "tcp_user_timeout", "dbname", NULL};
      const char *const vals[] = {"5", "keyfoldd", "5", "2", "3", "10000", b->url, NULL};
      c = PQconnectdbParams(keys, vals, 1);
      if (c && PQstatus(c) == CONNECTION_OK && exec_ok(c, "LISTEN keyfold_streams", NULL, 0) == 0) {
        PQsetNoticeProcessor(c, ignore_notice, NULL);
        backoff_ms = 0;
        /* Whatever happened while nobody listened: every session is stale. */
        atomic_fetch_add(&b->generation, 1);
        seen = -1;
      } else {
        PQfinish(c);
        c = NULL;
        backoff_ms = backoff_ms ? (backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2)
                                : KD_WRITER_RETRY_MS;
        for (unsigned slept = 0; slept < backoff_ms && !atomic_load(&b->stop_listening); slept += 50) {
          const struct timespec pause = {0, 50 * 1000000L};
          nanosleep(&pause, NULL);
        }
        continue;
      }
    }
    /* The heartbeat: the epoch as of a moment after sent. */
    const int64_t sent = now_ns();
    char text[32];
    if (query_text(c, "SELECT epoch FROM keyfold_epoch WHERE id = 1", text, sizeof text) != 0 || !text[0]) {
      PQfinish(c);
      c = NULL;
      continue;
    }
    drain_notifications(b, c, &seen);
    const long long epoch = strtoll(text, NULL, 10);
    if (seen < epoch) {
      /* Notifications still on their way, or missed: all stale. */
      if (seen >= 0) atomic_fetch_add(&b->generation, 1);
      seen = epoch;
    }
    atomic_store(&b->fresh_until_ns, sent + (int64_t)KD_LEASE_WINDOW_MS * 1000000);
    /* Notifications as they come, until the next heartbeat. */
    const int64_t next = sent + (int64_t)KD_LEASE_HEARTBEAT_MS * 1000000;
    for (int64_t t = now_ns(); t < next && c && !atomic_load(&b->stop_listening); t = now_ns()) {
      struct pollfd pfd = {PQsocket(c), POLLIN, 0};
      const int ready = poll(&pfd, 1, (int)((next - t) / 1000000) + 1);
      if (ready > 0 && !PQconsumeInput(c)) {
        PQfinish(c);
        c = NULL;
        break;
      }
      drain_notifications(b, c, &seen);
    }
  }
  PQfinish(c);
  return NULL;
}

static int pg_fresh(const kd_backend *base, uint64_t *generation) {
  pg_backend *b = (pg_backend *)base;
  *generation = atomic_load(&b->generation);
  return now_ns() < atomic_load(&b->fresh_until_ns);
}

/* ------------------------------------------------------------ the interface */

static int pg_scan(kd_backend *base, kd_scan_fn fn, void *arg, char *msg, size_t msg_size) {
  pg_backend *b = (pg_backend *)base;
  /* One row at a time (single-row mode), columns in binary. */
  if (!PQsendQueryParams(b->conn, "SELECT " SESSION_COLUMNS " FROM keyfold_sessions", 0, NULL, NULL, NULL, NULL,
                         1) ||
      !PQsetSingleRowMode(b->conn))
    return kd_backend_fail(msg, msg_size, "cannot read %s: %s", b->base.where, pq_error(b->conn));
  int rc = 0;
  PGresult *res;
  while ((res = PQgetResult(b->conn)) != NULL) {
    const ExecStatusType st = PQresultStatus(res);
    if (rc == 0 && st == PGRES_SINGLE_TUPLE) {
      kd_raw_row row;
      if (raw_row_of(res, 0, &row) != 0)
        rc = kd_backend_fail(msg, msg_size, "refusing %s: a row of keyfold_sessions has malformed checks", b->base.where);
      else
        rc = fn(arg, &row, msg, msg_size);
    } else if (rc == 0 && st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE) {
      rc = kd_backend_fail(msg, msg_size, "cannot read %s: %s", b->base.where, pq_error(b->conn));
    }
    PQclear(res);
  }
  return rc;
}

/* A free reader connection, locked (else the next one in turn, once free). */
static pg_reader *reader_take(pg_backend *b) {
  for (size_t i = 0; i < READERS; i++)
    if (pthread_mutex_trylock(&b->readers[i].lock) == 0) return &b->readers[i];
  pg_reader *r = &b->readers[atomic_fetch_add(&b->next_reader, 1) % READERS];
  pthread_mutex_lock(&r->lock);
  return r;
}

static void reader_give(pg_reader *r) { pthread_mutex_unlock(&r->lock); }

/* A query of a request thread on a reader connection it took (connected on
 * first use, and again after a failure: one more attempt). The result
 * (TUPLES_OK), or NULL with the connection dropped. */
static PGresult *reader_query(pg_backend *b, pg_reader *r, const char *sql, int n, const char *const *values,
                              int binary) {
  for (int attempt = 0; attempt < 2; attempt++) {
    if (!r->conn || PQstatus(r->conn) != CONNECTION_OK) {
      const char *const keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                                  "keepalives_count", "tcp_user_timeout", "dbname", NULL};
      const char *const vals[] = {"5", "keyfoldd", "5", "2", "3", "10000", b->url, NULL};
      PQfinish(r->conn);
      r->conn = PQconnectdbParams(keys, vals, 1);
      if (!r->conn || PQstatus(r->conn) != CONNECTION_OK) break;
      PQsetNoticeProcessor(r->conn, ignore_notice, NULL);
    }
    PGresult *res = PQexecParams(r->conn, sql, n, NULL, values, NULL, NULL, binary);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) return res;
    PQclear(res);
  }
  PQfinish(r->conn);
  r->conn = NULL;
  return NULL;
}

static int pg_fetch(kd_backend *base, const char *name, kd_scan_fn fn, void *arg, char *msg, size_t msg_size) {
  pg_backend *b = (pg_backend *)base;
  const char *values[1] = {name};
  pg_reader *reader = reader_take(b);
  PGresult *res =
      reader_query(b, reader, "SELECT " SESSION_COLUMNS " FROM keyfold_sessions WHERE name = $1", 1, values, 1);
  /* The result is the caller's from here: fn (which may build a model) runs
   * with the connection back for others. */
  reader_give(reader);
  int rc;
  kd_raw_row row;
  if (!res)
    rc = kd_backend_fail(msg, msg_size, "cannot read %s", b->base.where);
  else if (PQntuples(res) == 0)
    rc = 0;
  else if (raw_row_of(res, 0, &row) != 0)
    rc = kd_backend_fail(msg, msg_size, "%s: the row of '%s' has malformed checks", b->base.where, name);
  else
    rc = fn(arg, &row, msg, msg_size) == 0 ? 1 : -1;
  PQclear(res);
  return rc;
}

static char **pg_page(kd_backend *base, const char *after, const char *prefix, size_t limit, size_t *n, int *more,
                      char *msg, size_t msg_size) {
  pg_backend *b = (pg_backend *)base;
  char lim[32];
  snprintf(lim, sizeof lim, "%zu", limit + 1);
  const char *values[3] = {after ? after : "", prefix ? prefix : "", lim};
  char **names = NULL;
  *n = 0;
  *more = 0;
  pg_reader *reader = reader_take(b);
  /* kd_store_page's order: bytes ("C"), whatever the database's collation. */
  PGresult *res = reader_query(b, reader,
                               "SELECT name FROM keyfold_sessions WHERE name COLLATE \"C\" > $1 AND"
                               " starts_with(name, $2) ORDER BY name COLLATE \"C\" LIMIT $3::bigint",
                               3, values, 0);
  if (!res) {
    kd_backend_fail(msg, msg_size, "cannot read %s", b->base.where);
  } else {
    const size_t rows = (size_t)PQntuples(res);
    const size_t take = rows > limit ? limit : rows;
    names = calloc(take ? take : 1, sizeof *names);
    for (size_t i = 0; names && i < take; i++) {
      if (!(names[i] = strdup(PQgetvalue(res, (int)i, 0)))) {
        while (i-- > 0) free(names[i]);
        free(names);
        names = NULL;
      }
    }
    if (!names) {
      kd_backend_fail(msg, msg_size, "out of memory");
    } else {
      *n = take;
      *more = rows > limit;
    }
  }
  PQclear(res);
  reader_give(reader);
  return names;
}

static int pg_still_fenced(kd_backend *base, char *msg, size_t msg_size) {
  pg_backend *b = (pg_backend *)base;
  pg_reader *reader = reader_take(b);
  PGresult *res = reader_query(b, reader, "SELECT 1 FROM keyfold_meta WHERE key = '" SNAPSHOT_KEY "'", 0, NULL, 0);
  const int rc = !res ? kd_backend_fail(msg, msg_size, "cannot read %s", b->base.where) : PQntuples(res) > 0;
  PQclear(res);
  reader_give(reader);
  return rc;
}

static int pg_start(kd_backend *base) {
  pg_backend *b = (pg_backend *)base;
  if (b->lease) {
    if (pthread_create(&b->listener, NULL, listener_main, b) != 0) return -1;
    b->listening = 1;
  }
  return kd_writer_start(b->writer);
}

static void stop_listener(pg_backend *b) {
  if (!b->listening) return;
  atomic_store(&b->stop_listening, 1);
  pthread_join(b->listener, NULL);
  b->listening = 0;
}

static int pg_submit(kd_backend *base, kd_record *r) { return kd_writer_submit(((pg_backend *)base)->writer, r); }

static int pg_healthy(const kd_backend *base) { return kd_writer_healthy(((const pg_backend *)base)->writer); }

static void pg_stop(kd_backend *base) {
  kd_writer_stop(((pg_backend *)base)->writer);
  stop_listener((pg_backend *)base);
}

static void pg_close(kd_backend *base) {
  pg_backend *b = (pg_backend *)base;
  if (!b) return;
  kd_writer_free(b->writer);
  stop_listener(b);
  PQfinish(b->conn); /* releases the advisory lock */
  for (size_t i = 0; i < READERS; i++) {
    PQfinish(b->readers[i].conn);
    pthread_mutex_destroy(&b->readers[i].lock);
  }
  free(b);
}

static const kd_backend_ops pg_ops = {
    .name = "postgres",
    .scan = pg_scan,
    .start = pg_start,
    .submit = pg_submit,
    .healthy = pg_healthy,
    .snapshot = NULL, /* pg_dump backs the database up (docs/deployment.md) */
    .stop = pg_stop,
    .close = pg_close,
    .fetch = pg_fetch,
    .page = pg_page,
    .fresh = pg_fresh,
    .still_fenced = pg_still_fenced,
};

kd_backend *kd_backend_postgres_open(const char *url, int lease, const kd_backend_hooks *hooks, char *msg,
                                     size_t msg_size) {
  pg_backend *b = calloc(1, sizeof *b);
  if (!b) {
    kd_backend_fail(msg, msg_size, "out of memory");
    return NULL;
  }
  b->base.ops = &pg_ops;
  b->base.shared = 1;
  b->base.claims = !lease;
  b->lease = lease;
  atomic_init(&b->generation, 1);
  b->hooks = *hooks;
  for (size_t i = 0; i < READERS; i++) pthread_mutex_init(&b->readers[i].lock, NULL);
  snprintf(b->url, sizeof b->url, "%s", url);
  snprintf(b->base.where, sizeof b->base.where, "the PostgreSQL database of --postgres-url");
  if (connect_db(b, 1, msg, msg_size) != 0) {
    pg_close(&b->base);
    return NULL;
  }
  b->writer = kd_writer_new(&pg_writer_ops, b, hooks, b->base.where);
  if (!b->writer) {
    kd_backend_fail(msg, msg_size, "out of memory");
    pg_close(&b->base);
    return NULL;
  }
  return &b->base;
}
