/* keyfoldd — the SQLite backend (backend.h): <data-dir>/keyfold.db in WAL
 * mode, one row per session, written by a group-commit writer (writer.h). */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"
#include "fsutil.h"
#include "writer.h"

#include <errno.h>

/* The on-disk format. A store of another version is refused, never
 * migrated silently: a wrong count is worse than a daemon that won't start. */
#define FORMAT_VERSION "1"
#define APPLICATION_ID 0x6b666c64 /* "kfld": marks the file as a keyfold store */
/* The meta row a snapshot carries (backend.h: fenced). */
#define SNAPSHOT_KEY "snapshot"

typedef struct sqlite_backend {
  kd_backend base; /* first: the interface's pointer is this struct's */
  char path[4096];
  sqlite3 *db;
  sqlite3_stmt *put, *update, *del, *unfence; /* prepared once; used by the writer only */
  sqlite3_stmt *begin, *commit;
  kd_writer *writer;
} sqlite_backend;


static int exec(sqlite3 *db, const char *sql) { return sqlite3_exec(db, sql, NULL, NULL, NULL); }

/* ------------------------------------------------------------ writing */

static int apply_record(sqlite_backend *b, kd_record *r) {
  sqlite3_stmt *st;
  const char *name = r->session ? r->session->name : "";
  switch (r->change) {
    case KD_CHANGE_CREATE:
      st = b->put;
      sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, r->spec, -1, SQLITE_STATIC);
      sqlite3_bind_blob(st, 3, r->blob, (int)r->blob_len, SQLITE_STATIC);
      sqlite3_bind_int64(st, 4, (sqlite3_int64)r->checksum);
      sqlite3_bind_int64(st, 5, (sqlite3_int64)kd_row_spec_check(name, r->spec, r->checksum));
      sqlite3_bind_int64(st, 6, (sqlite3_int64)kd_row_streams_check(name, r->blob, r->blob_len));
      break;
    case KD_CHANGE_STATE:
    case KD_CHANGE_STATS:
    case KD_CHANGE_RESEED:
      st = b->update;
      sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
      sqlite3_bind_blob(st, 2, r->blob, (int)r->blob_len, SQLITE_STATIC);
      sqlite3_bind_int64(st, 3, (sqlite3_int64)kd_row_streams_check(name, r->blob, r->blob_len));
      break;
    case KD_CHANGE_UNFENCE:
      st = b->unfence;
      break;
    case KD_CHANGE_CLAIM:
      return SQLITE_MISUSE; /* a store of one daemon grants no claims (backend.h) */
    case KD_CHANGE_DELETE:
    default:
      st = b->del;
      sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
      break;
  }
  const int rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(b->db);
  /* A change to a row that is not there belongs to a session whose creation
   * failed: it must not be acknowledged (a retried creation with the same
   * seeds would hand its keys out again). */
  r->orphaned = rc == SQLITE_OK && (r->change == KD_CHANGE_STATE || r->change == KD_CHANGE_STATS || r->change == KD_CHANGE_RESEED) &&
                sqlite3_changes(b->db) == 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* Runs a prepared statement that returns no row. */
static int run(sqlite_backend *b, sqlite3_stmt *st) {
  const int rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(b->db);
  sqlite3_reset(st);
  return rc;
}

static int commit_batch(void *arg, kd_record *batch) {
  sqlite_backend *b = arg;
  int rc = run(b, b->begin);
  for (kd_record *r = batch; rc == SQLITE_OK && r; r = r->next)
    if (!r->superseded_by) rc = apply_record(b, r);
  if (rc == SQLITE_OK) rc = run(b, b->commit);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "keyfoldd: store %s: commit failed: %s\n", b->path, sqlite3_errmsg(b->db));
    if (!sqlite3_get_autocommit(b->db)) exec(b->db, "ROLLBACK");
    return -1;
  }
  return 0;
}

static int probe_commit(void *arg) {
  sqlite_backend *b = arg;
  /* Rewriting a row forces a log write and an fsync, like a real change. */
  if (exec(b->db, "BEGIN IMMEDIATE;"
                  "UPDATE meta SET value = value WHERE key = 'format_version';"
                  "COMMIT") == SQLITE_OK)
    return 0;
  if (!sqlite3_get_autocommit(b->db)) exec(b->db, "ROLLBACK");
  return -1;
}

static const kd_writer_ops sqlite_writer_ops = {commit_batch, probe_commit, NULL};

/* ------------------------------------------------------------ the interface */

static int sqlite_scan(kd_backend *base, kd_scan_fn fn, void *arg, char *msg, size_t msg_size) {
  sqlite_backend *b = (sqlite_backend *)base;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(b->db, "SELECT name, spec, streams, checksum, spec_check, streams_check FROM sessions",
                         -1, &st, NULL) != SQLITE_OK)
    return kd_backend_fail(msg, msg_size, "cannot read the store %s: %s", b->path, sqlite3_errmsg(b->db));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *blob = sqlite3_column_blob(st, 2);
    const kd_raw_row row = {
        .name = (const char *)sqlite3_column_text(st, 0),
        .spec = (const char *)sqlite3_column_text(st, 1),
        .blob = blob ? blob : (const unsigned char *)"",
        .blob_len = (size_t)sqlite3_column_bytes(st, 2),
        .checksum = (uint64_t)sqlite3_column_int64(st, 3),
        .spec_check = (uint64_t)sqlite3_column_int64(st, 4),
        .streams_check = (uint64_t)sqlite3_column_int64(st, 5),
    };
    if (fn(arg, &row, msg, msg_size) != 0) {
      sqlite3_finalize(st);
      return -1;
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return kd_backend_fail(msg, msg_size, "refusing the store %s: %s", b->path, sqlite3_errmsg(b->db));
  return 0;
}

static int sqlite_start(kd_backend *base) { return kd_writer_start(((sqlite_backend *)base)->writer); }

static int sqlite_submit(kd_backend *base, kd_record *r) {
  return kd_writer_submit(((sqlite_backend *)base)->writer, r);
}

static int sqlite_healthy(const kd_backend *base) {
  return kd_writer_healthy(((const sqlite_backend *)base)->writer);
}

/* Marks the copy at path as a snapshot of b, naming when it was taken. */
static int mark_snapshot(const sqlite_backend *b, sqlite3 *dst) {
  char note[4200], sql[8500];
  const time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  snprintf(note, sizeof note, "taken %.31s from %.4095s", stamp, b->path);
  char *quoted = sqlite3_mprintf("%Q", note);
  if (!quoted) return SQLITE_NOMEM;
  snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta VALUES ('" SNAPSHOT_KEY "', %s)", quoted);
  sqlite3_free(quoted);
  return exec(dst, sql);
}

static int sqlite_snapshot(kd_backend *base, const char *path, char *msg, size_t msg_size) {
  sqlite_backend *b = (sqlite_backend *)base;
  /* A connection of its own: WAL lets it read a consistent snapshot while
   * the writer keeps committing. */
  sqlite3 *src = NULL, *dst = NULL;
  int rc = sqlite3_open_v2(b->path, &src, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
    if (!bk) {
      rc = sqlite3_errcode(dst);
    } else {
      rc = sqlite3_backup_step(bk, -1);
      sqlite3_backup_finish(bk);
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
  }
  if (rc == SQLITE_OK) rc = mark_snapshot(b, dst);
  if (rc != SQLITE_OK)
    snprintf(msg, msg_size, "backup of %s to %s failed: %s", b->path, path,
             dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
  sqlite3_close(src);
  sqlite3_close(dst);
  return rc == SQLITE_OK ? 0 : -1;
}

static void sqlite_stop(kd_backend *base) { kd_writer_stop(((sqlite_backend *)base)->writer); }

static void sqlite_close(kd_backend *base) {
  sqlite_backend *b = (sqlite_backend *)base;
  if (!b) return;
  kd_writer_free(b->writer);
  sqlite3_finalize(b->put);
  sqlite3_finalize(b->update);
  sqlite3_finalize(b->del);
  sqlite3_finalize(b->unfence);
  sqlite3_finalize(b->begin);
  sqlite3_finalize(b->commit);
  if (b->db) sqlite3_close(b->db);
  free(b);
}

static const kd_backend_ops sqlite_ops = {
    .name = "sqlite",
    .scan = sqlite_scan,
    .start = sqlite_start,
    .submit = sqlite_submit,
    .healthy = sqlite_healthy,
    .snapshot = sqlite_snapshot,
    .stop = sqlite_stop,
    .close = sqlite_close,
};

/* ------------------------------------------------------------ opening */

/* Reads one integer-valued PRAGMA; -1 on failure. */
static long pragma_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* The text of meta row `key` into out ("" when absent); -1 on a read error. */
static int meta_text(sqlite3 *db, const char *key, char *out, size_t size) {
  sqlite3_stmt *st;
  out[0] = '\0';
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK) return -1;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return 0;
}

/* Creates the schema in an empty file, or checks the one found. */
static int check_schema(sqlite_backend *b, char *msg, size_t size) {
  sqlite3 *db = b->db;
  long tables = pragma_int(db, "SELECT count(*) FROM sqlite_master");
  if (tables < 0) return kd_backend_fail(msg, size, "%s is not a readable keyfold store: %s", b->path, sqlite3_errmsg(db));
  if (tables == 0) {
    char sql[512];
    snprintf(sql, sizeof sql,
             "PRAGMA application_id = %d;"
             "BEGIN;"
             "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
             "INSERT INTO meta VALUES ('format_version', '" FORMAT_VERSION "');"
             "CREATE TABLE sessions(name TEXT PRIMARY KEY, spec TEXT NOT NULL,"
             " streams BLOB NOT NULL, checksum INTEGER NOT NULL, spec_check INTEGER NOT NULL,"
             " streams_check INTEGER NOT NULL) WITHOUT ROWID;"
             "COMMIT;",
             APPLICATION_ID);
    if (exec(db, sql) != SQLITE_OK)
      return kd_backend_fail(msg, size, "cannot create the store %s: %s", b->path, sqlite3_errmsg(db));
    return 0;
  }
  if (pragma_int(db, "PRAGMA application_id") != APPLICATION_ID)
    return kd_backend_fail(msg, size, "%s is not a keyfold store (wrong application_id)", b->path);
  char version[32];
  if (meta_text(db, "format_version", version, sizeof version) != 0)
    return kd_backend_fail(msg, size, "%s is not a keyfold store: %s", b->path, sqlite3_errmsg(db));
  if (strcmp(version, FORMAT_VERSION) != 0)
    return kd_backend_fail(msg, size,
                "refusing the store %s: format version '%s', this keyfoldd reads version " FORMAT_VERSION,
                b->path, version);
  if (meta_text(db, SNAPSHOT_KEY, b->base.fence_note, sizeof b->base.fence_note) != 0)
    return kd_backend_fail(msg, size, "cannot read the store %s: %s", b->path, sqlite3_errmsg(db));
  b->base.fenced = b->base.fence_note[0] != '\0';
  return 0;
}

static int quick_check(sqlite_backend *b, char *msg, size_t msg_size) {
  long quick = -1;
  sqlite3_stmt *st;
  char ok[64] = "";
  if (sqlite3_prepare_v2(b->db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
      snprintf(ok, sizeof ok, "%s", (const char *)sqlite3_column_text(st, 0));
      quick = strcmp(ok, "ok") == 0;
    }
    sqlite3_finalize(st);
  }
  if (quick != 1)
    return kd_backend_fail(msg, msg_size, "refusing the store %s: integrity check failed (%s)", b->path,
                quick < 0 ? sqlite3_errmsg(b->db) : ok);
  return 0;
}

static int prepare(sqlite_backend *b, const char *sql, sqlite3_stmt **st) {
  return sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
}

kd_backend *kd_backend_sqlite_open(const char *data_dir, const kd_backend_hooks *hooks, char *msg,
                                   size_t msg_size) {
  if (kd_mkdir_p(data_dir) != 0) {
    kd_backend_fail(msg, msg_size, "cannot create the data directory %s: %s", data_dir, strerror(errno));
    return NULL;
  }
  sqlite_backend *b = calloc(1, sizeof *b);
  if (!b) {
    kd_backend_fail(msg, msg_size, "out of memory");
    return NULL;
  }
  b->base.ops = &sqlite_ops;
  snprintf(b->path, sizeof b->path, "%s/keyfold.db", data_dir);
  snprintf(b->base.where, sizeof b->base.where, "%s", b->path);
  int rc = sqlite3_open_v2(b->path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           NULL);
  if (rc != SQLITE_OK) {
    kd_backend_fail(msg, msg_size, "cannot open the store %s: %s", b->path, sqlite3_errstr(rc));
    sqlite_close(&b->base);
    return NULL;
  }
  sqlite3_busy_timeout(b->db, 5000);
  if (quick_check(b, msg, msg_size) != 0 || check_schema(b, msg, msg_size) != 0) {
    sqlite_close(&b->base);
    return NULL;
  }
  /* Only a file known to be a keyfold store is switched to WAL (a refused
   * file is left byte for byte as it was). synchronous=FULL: a COMMIT
   * returns after the log is fsync'd. */
  if (exec(b->db, "PRAGMA journal_mode=WAL") != SQLITE_OK || exec(b->db, "PRAGMA synchronous=FULL") != SQLITE_OK) {
    kd_backend_fail(msg, msg_size, "%s is not a usable keyfold store: %s", b->path, sqlite3_errmsg(b->db));
    sqlite_close(&b->base);
    return NULL;
  }
  if (prepare(b,
              "INSERT OR REPLACE INTO sessions(name, spec, streams, checksum, spec_check, streams_check) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
              &b->put) != SQLITE_OK ||
      prepare(b, "UPDATE sessions SET streams = ?2, streams_check = ?3 WHERE name = ?1", &b->update) != SQLITE_OK ||
      prepare(b, "DELETE FROM sessions WHERE name = ?1", &b->del) != SQLITE_OK ||
      prepare(b, "DELETE FROM meta WHERE key = '" SNAPSHOT_KEY "'", &b->unfence) != SQLITE_OK ||
      prepare(b, "BEGIN IMMEDIATE", &b->begin) != SQLITE_OK || prepare(b, "COMMIT", &b->commit) != SQLITE_OK) {
    kd_backend_fail(msg, msg_size, "refusing the store %s: %s", b->path, sqlite3_errmsg(b->db));
    sqlite_close(&b->base);
    return NULL;
  }
  b->writer = kd_writer_new(&sqlite_writer_ops, b, hooks, b->path);
  if (!b->writer) {
    kd_backend_fail(msg, msg_size, "out of memory");
    sqlite_close(&b->base);
    return NULL;
  }
  return &b->base;
}
