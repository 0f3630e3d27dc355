/* keyfoldd — the PostgreSQL backend (backend.h): one row per session in the
 * table keyfold_sessions, written by the group-commit writer (writer.h):
 * every batch is one transaction, its statements sent in one pipeline (one
 * round trip and one commit for the batch).
 *
 * Phase 1 of issue 14: one daemon per database. The daemon holds a session
 * advisory lock on the database for as long as it is connected, and refuses
 * to start (or, after a reconnection, to write) while another one holds it.
 *
 * When the connection is lost, commits fail (the policy answers 503 and the
 * readiness probe says so) and the writer's retries reconnect, with a
 * backoff from KD_WRITER_RETRY_MS up to BACKOFF_MAX_MS. */
#include <libpq-fe.h>
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
#define SCHEMA_VERSION 1
/* pg_try_advisory_lock's key: "kfld" — one keyfoldd per database. */
#define ADVISORY_KEY "1801874532"
#define SNAPSHOT_KEY "snapshot"
#define BACKOFF_MAX_MS 5000
#define LOCK_WAIT_MS 3000u
#define LOCK_RETRY_MS 100u

typedef struct pg_backend {
  kd_backend base; /* first: the interface's pointer is this struct's */
  char url[4096];
  PGconn *conn;     /* NULL while disconnected; the writer's once started */
  kd_writer *writer;
  unsigned backoff_ms;      /* the wait before the next reconnection attempt */
  struct timespec next_try; /* no reconnection attempt before this */
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

/* ------------------------------------------------------------ connecting */

/* Creates the schema in a database without one, or checks the version of
 * the one found. Runs with the advisory lock held: no other keyfoldd races. */
static int check_schema(pg_backend *b, char *msg, size_t size) {
  char err[512], version[32];
  if (exec_ok(b->conn,
              "CREATE TABLE IF NOT EXISTS keyfold_schema_version(version integer PRIMARY KEY,"
              " applied_at timestamptz NOT NULL DEFAULT now())",
              err, sizeof err) != 0 ||
      query_text(b->conn, "SELECT max(version) FROM keyfold_schema_version", version, sizeof version) != 0)
    return kd_backend_fail(msg, size, "cannot read the keyfold schema of %s: %s", b->base.where, pq_error(b->conn));
  if (!version[0]) {
    if (exec_ok(b->conn,
                "BEGIN;"
                "CREATE TABLE keyfold_meta(key text PRIMARY KEY, value text NOT NULL);"
                "CREATE TABLE keyfold_sessions(name text PRIMARY KEY, spec text NOT NULL,"
                " streams bytea NOT NULL, checksum bigint NOT NULL, spec_check bigint NOT NULL,"
                " streams_check bigint NOT NULL);"
                "INSERT INTO keyfold_schema_version(version) VALUES (1);"
                "COMMIT",
                err, sizeof err) != 0) {
      exec_ok(b->conn, "ROLLBACK", NULL, 0);
      return kd_backend_fail(msg, size, "cannot create the keyfold schema in %s: %s", b->base.where, err);
    }
    return 0;
  }
  const long v = strtol(version, NULL, 10);
  if (v > SCHEMA_VERSION)
    return kd_backend_fail(msg, size,
                "refusing %s: its keyfold schema is version %ld, newer than this keyfoldd's (version %d); "
                "run a keyfoldd that knows schema version %ld",
                b->base.where, v, SCHEMA_VERSION, v);
  if (v < SCHEMA_VERSION)
    return kd_backend_fail(msg, size, "refusing %s: unknown keyfold schema version %ld (this keyfoldd's is %d)",
                b->base.where, v, SCHEMA_VERSION);
  if (query_text(b->conn, "SELECT value FROM keyfold_meta WHERE key = '" SNAPSHOT_KEY "'", b->base.fence_note,
                 sizeof b->base.fence_note) != 0)
    return kd_backend_fail(msg, size, "cannot read the keyfold schema of %s: %s", b->base.where, pq_error(b->conn));
  b->base.fenced = b->base.fence_note[0] != '\0';
  return 0;
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
  /* A keyfoldd killed a moment ago still holds the lock until PostgreSQL has
   * noticed its connection is gone and ended its backend: a restart right
   * after a crash waits for that (up to LOCK_WAIT_MS) before refusing. */
  char locked[8];
  for (unsigned waited = 0;; waited += LOCK_RETRY_MS) {
    if (query_text(b->conn, "SELECT pg_try_advisory_lock(" ADVISORY_KEY ")", locked, sizeof locked) != 0) {
      kd_backend_fail(msg, size, "cannot lock %s: %s", b->base.where, pq_error(b->conn));
      goto failed;
    }
    if (strcmp(locked, "t") == 0 || waited >= LOCK_WAIT_MS) break;
    const struct timespec pause = {0, LOCK_RETRY_MS * 1000000L};
    nanosleep(&pause, NULL);
  }
  if (strcmp(locked, "t") != 0) {
    kd_backend_fail(msg, size,
         "refusing %s: another keyfoldd holds it (its advisory lock " ADVISORY_KEY
         " is taken); one daemon per database until replicas share one",
         b->base.where);
    goto failed;
  }
  if (first && check_schema(b, msg, size) != 0) goto failed;
  if (prepare(b->conn, "kf_put",
              "INSERT INTO keyfold_sessions(name, spec, streams, checksum, spec_check, streams_check)"
              " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec,"
              " streams = EXCLUDED.streams, checksum = EXCLUDED.checksum, spec_check = EXCLUDED.spec_check,"
              " streams_check = EXCLUDED.streams_check",
              6) != 0 ||
      prepare(b->conn, "kf_update", "UPDATE keyfold_sessions SET streams = $2, streams_check = $3 WHERE name = $1",
              3) != 0 ||
      prepare(b->conn, "kf_delete", "DELETE FROM keyfold_sessions WHERE name = $1", 1) != 0 ||
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
    fprintf(stderr, "keyfoldd: store %s: reconnected\n", b->base.where);
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

static void put_u64(unsigned char out[8], uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) out[i] = (unsigned char)v;
}

static uint64_t get_u64(const char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | (unsigned char)p[i];
  return v;
}

/* Queues the statement of one record in the pipeline (binary parameters). */
static int send_record(pg_backend *b, const kd_record *r) {
  const char *name = r->session ? r->session->name : "";
  unsigned char checksum[8], spec_check[8], streams_check[8];
  const char *values[6];
  int lengths[6];
  const int formats[6] = {1, 1, 1, 1, 1, 1};
  values[0] = name;
  lengths[0] = (int)strlen(name);
  switch (r->change) {
    case KD_CHANGE_CREATE:
      put_u64(checksum, r->checksum);
      put_u64(spec_check, kd_row_spec_check(name, r->spec, r->checksum));
      put_u64(streams_check, kd_row_streams_check(name, r->blob, r->blob_len));
      values[1] = r->spec;
      lengths[1] = (int)strlen(r->spec);
      values[2] = (const char *)r->blob;
      lengths[2] = (int)r->blob_len;
      values[3] = (const char *)checksum;
      values[4] = (const char *)spec_check;
      values[5] = (const char *)streams_check;
      lengths[3] = lengths[4] = lengths[5] = 8;
      return PQsendQueryPrepared(b->conn, "kf_put", 6, values, lengths, formats, 0) ? 0 : -1;
    case KD_CHANGE_STATE:
    case KD_CHANGE_STATS:
    case KD_CHANGE_RESEED:
      put_u64(streams_check, kd_row_streams_check(name, r->blob, r->blob_len));
      values[1] = (const char *)r->blob;
      lengths[1] = (int)r->blob_len;
      values[2] = (const char *)streams_check;
      lengths[2] = 8;
      return PQsendQueryPrepared(b->conn, "kf_update", 3, values, lengths, formats, 0) ? 0 : -1;
    case KD_CHANGE_UNFENCE:
      return PQsendQueryPrepared(b->conn, "kf_unfence", 0, NULL, NULL, NULL, 0) ? 0 : -1;
    case KD_CHANGE_DELETE:
    default:
      return PQsendQueryPrepared(b->conn, "kf_delete", 1, values, lengths, formats, 0) ? 0 : -1;
  }
}

/* Reads the result of one pipelined statement (and the NULL that ends it).
 * r, when not NULL, is the record whose statement it was: its orphaned flag
 * is set (an update that found no row). 0 if it succeeded. */
static int read_result(pg_backend *b, kd_record *r) {
  PGresult *res = PQgetResult(b->conn);
  int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
  if (ok && r)
    /* A change to a row that is not there belongs to a session whose
     * creation failed: it must not be acknowledged (backend_sqlite.c). */
    r->orphaned = (r->change == KD_CHANGE_STATE || r->change == KD_CHANGE_STATS ||
                   r->change == KD_CHANGE_RESEED) &&
                  strcmp(PQcmdTuples(res), "0") == 0;
  if (!ok && res && PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
    fprintf(stderr, "keyfoldd: store %s: commit failed: %s\n", b->base.where, pq_error(b->conn));
  PQclear(res);
  if (res && (res = PQgetResult(b->conn)) != NULL) { /* the statement's end */
    ok = 0;
    PQclear(res);
  }
  return ok ? 0 : -1;
}

static int commit_batch(void *arg, kd_record *batch) {
  pg_backend *b = arg;
  if (ensure_connected(b) != 0) return -1;
  int rc = PQenterPipelineMode(b->conn) ? 0 : -1;
  if (rc == 0) rc = PQsendQueryParams(b->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) ? 0 : -1;
  for (kd_record *r = batch; rc == 0 && r; r = r->next)
    if (!r->superseded_by) rc = send_record(b, r);
  if (rc == 0) rc = PQsendQueryParams(b->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ? 0 : -1;
  if (rc == 0) rc = PQpipelineSync(b->conn) ? 0 : -1;
  if (rc == 0) {
    /* Every result is read, even after a failure, up to the sync. */
    int bad = read_result(b, NULL);
    for (kd_record *r = batch; r && PQstatus(b->conn) == CONNECTION_OK; r = r->next)
      if (!r->superseded_by && read_result(b, r) != 0) bad = -1;
    if (PQstatus(b->conn) == CONNECTION_OK && read_result(b, NULL) != 0) bad = -1;
    PGresult *sync = PQstatus(b->conn) == CONNECTION_OK ? PQgetResult(b->conn) : NULL;
    if (PQresultStatus(sync) != PGRES_PIPELINE_SYNC) bad = -1;
    PQclear(sync);
    rc = bad;
  }
  if (rc == 0 && PQexitPipelineMode(b->conn) && PQtransactionStatus(b->conn) == PQTRANS_IDLE) return 0;
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

static const kd_writer_ops pg_writer_ops = {commit_batch, probe_commit};

/* ------------------------------------------------------------ the interface */

static int pg_scan(kd_backend *base, kd_scan_fn fn, void *arg, char *msg, size_t msg_size) {
  pg_backend *b = (pg_backend *)base;
  /* One row at a time (single-row mode), columns in binary. */
  if (!PQsendQueryParams(b->conn,
                         "SELECT name, spec, streams, checksum, spec_check, streams_check FROM keyfold_sessions",
                         0, NULL, NULL, NULL, NULL, 1) ||
      !PQsetSingleRowMode(b->conn))
    return kd_backend_fail(msg, msg_size, "cannot read %s: %s", b->base.where, pq_error(b->conn));
  int rc = 0;
  PGresult *res;
  while ((res = PQgetResult(b->conn)) != NULL) {
    const ExecStatusType st = PQresultStatus(res);
    if (rc == 0 && st == PGRES_SINGLE_TUPLE) {
      if (PQgetlength(res, 0, 3) != 8 || PQgetlength(res, 0, 4) != 8 || PQgetlength(res, 0, 5) != 8) {
        rc = kd_backend_fail(msg, msg_size, "refusing %s: a row of keyfold_sessions has malformed checks", b->base.where);
      } else {
        const kd_raw_row row = {
            .name = PQgetvalue(res, 0, 0),
            .spec = PQgetvalue(res, 0, 1),
            .blob = (const unsigned char *)PQgetvalue(res, 0, 2),
            .blob_len = (size_t)PQgetlength(res, 0, 2),
            .checksum = get_u64(PQgetvalue(res, 0, 3)),
            .spec_check = get_u64(PQgetvalue(res, 0, 4)),
            .streams_check = get_u64(PQgetvalue(res, 0, 5)),
        };
        rc = fn(arg, &row, msg, msg_size);
      }
    } else if (rc == 0 && st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE) {
      rc = kd_backend_fail(msg, msg_size, "cannot read %s: %s", b->base.where, pq_error(b->conn));
    }
    PQclear(res);
  }
  return rc;
}

static int pg_start(kd_backend *base) { return kd_writer_start(((pg_backend *)base)->writer); }

static int pg_submit(kd_backend *base, kd_record *r) { return kd_writer_submit(((pg_backend *)base)->writer, r); }

static int pg_healthy(const kd_backend *base) { return kd_writer_healthy(((const pg_backend *)base)->writer); }

static void pg_stop(kd_backend *base) { kd_writer_stop(((pg_backend *)base)->writer); }

static void pg_close(kd_backend *base) {
  pg_backend *b = (pg_backend *)base;
  if (!b) return;
  kd_writer_free(b->writer);
  PQfinish(b->conn); /* releases the advisory lock */
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
};

kd_backend *kd_backend_postgres_open(const char *url, const kd_backend_hooks *hooks, char *msg,
                                     size_t msg_size) {
  pg_backend *b = calloc(1, sizeof *b);
  if (!b) {
    kd_backend_fail(msg, msg_size, "out of memory");
    return NULL;
  }
  b->base.ops = &pg_ops;
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
