/* keyfoldd — durable sessions in SQLite (WAL) with a group-committing writer. */
#include "persist.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "metrics.h"
#include "session.h"

/* The on-disk format. A store of another version is refused, never
 * migrated silently: a wrong count is worse than a daemon that won't start. */
#define FORMAT_VERSION "1"
#define APPLICATION_ID 0x6b666c64 /* "kfld": marks the file as a keyfold store */

/* ------------------------------------------------------------ commits */

static kd_commit *commit_new(void) {
  kd_commit *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->cond, NULL);
  atomic_init(&c->refs, 2); /* the writer's and the waiter's */
  return c;
}

void kd_commit_release(kd_commit *c) {
  if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->cond);
  free(c);
}

int kd_commit_arm(kd_commit *c, void (*notify)(void *arg), void *arg) {
  pthread_mutex_lock(&c->lock);
  const int done = c->done;
  if (!done) {
    c->notify = notify;
    c->notify_arg = arg;
  }
  pthread_mutex_unlock(&c->lock);
  return done;
}

int kd_commit_wait(kd_commit *c) {
  pthread_mutex_lock(&c->lock);
  while (!c->done) pthread_cond_wait(&c->cond, &c->lock);
  const int ok = c->ok;
  pthread_mutex_unlock(&c->lock);
  return ok;
}

/* Called by the writer once; drops the writer's reference. The notify
 * callback runs after the lock is released: it may resume a connection
 * whose request then frees the commit. */
static void commit_complete(kd_commit *c, int ok) {
  pthread_mutex_lock(&c->lock);
  c->done = 1;
  c->ok = ok;
  void (*notify)(void *) = c->notify;
  void *arg = c->notify_arg;
  pthread_cond_broadcast(&c->cond);
  pthread_mutex_unlock(&c->lock);
  if (notify) notify(arg);
  kd_commit_release(c);
}

/* ------------------------------------------------------------ the queue */

typedef struct op {
  struct op *next;
  kd_change change;
  kd_session *session;       /* a reference, for the completion */
  char *spec;                /* CREATE: canonical creation spec */
  uint64_t checksum;
  unsigned char *blob;       /* the streams as stored */
  size_t blob_len;
  kd_durable_stream *streams; /* the targets this op makes durable, n_streams */
  size_t n_streams;
  kd_commit *commit;         /* NULL when nobody waits */
  int orphaned;              /* its session's row does not exist (a creation failed) */
} op;

struct kd_persist {
  char path[4096];
  kd_durability mode;
  uint32_t lease_block;
  sqlite3 *db;
  sqlite3_stmt *put, *update, *del; /* prepared once; used by the writer only */
  pthread_t writer;
  int writer_started;
  pthread_mutex_t lock; /* guards the queue and the flags below */
  pthread_cond_t wake;
  op *head, *tail;
  int stopping;
  kd_store *store;      /* where failed creations are withdrawn from */
  kd_metrics *metrics;
  atomic_int healthy;   /* 0 after a failed commit, 1 after a good one */
};

const char *kd_durability_name(kd_durability d) {
  switch (d) {
    case KD_DURABILITY_STRICT: return "strict";
    case KD_DURABILITY_LEASE: return "lease";
    case KD_DURABILITY_MEMORY: return "memory";
  }
  return "unknown";
}

int kd_durability_from_name(const char *name, kd_durability *out) {
  static const kd_durability all[] = {KD_DURABILITY_STRICT, KD_DURABILITY_LEASE, KD_DURABILITY_MEMORY};
  for (size_t i = 0; i < 3; i++) {
    if (strcmp(name, kd_durability_name(all[i])) == 0) {
      *out = all[i];
      return 0;
    }
  }
  return -1;
}

static void op_free(op *o) {
  if (!o) return;
  kd_session_release(o->session);
  free(o->spec);
  free(o->blob);
  free(o->streams);
  free(o);
}

/* ------------------------------------------------------------ stream blobs */

/* Streams are stored as a compact blob, per stream: one byte of name length,
 * the name, then hi, lo and count as little-endian uint32. */
static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *encode_streams(const kf_rngs *rngs, const kd_durable_stream *d, size_t *len) {
  const size_t n = kf_rngs_stream_count(rngs);
  size_t total = 0;
  kf_stream_state st;
  for (size_t i = 0; i < n; i++) {
    kf_rngs_stream_at(rngs, i, &st);
    total += 1 + strlen(st.name) + 12;
  }
  unsigned char *b = malloc(total ? total : 1);
  if (!b) return NULL;
  unsigned char *p = b;
  for (size_t i = 0; i < n; i++) {
    kf_rngs_stream_at(rngs, i, &st);
    const size_t nl = strlen(st.name);
    *p++ = (unsigned char)nl;
    memcpy(p, st.name, nl);
    p += nl;
    put_u32(p, d[i].key_target.hi);
    put_u32(p + 4, d[i].key_target.lo);
    put_u32(p + 8, d[i].count_target);
    p += 12;
  }
  *len = total;
  return b;
}

/* Decodes a blob into streams added to rngs. Returns 0, or -1 if malformed. */
static int decode_streams(const unsigned char *b, size_t len, kf_rngs *rngs) {
  size_t i = 0;
  while (i < len) {
    const size_t nl = b[i++];
    if (nl == 0 || nl > KF_STREAM_NAME_MAX || len - i < nl + 12) return -1;
    char name[KF_STREAM_NAME_MAX + 1];
    memcpy(name, b + i, nl);
    name[nl] = '\0';
    i += nl;
    const kf_key key = kf_key_from_data(get_u32(b + i), get_u32(b + i + 4));
    const uint32_t count = get_u32(b + i + 8);
    i += 12;
    if (kf_rngs_add_stream(rngs, name, key, count) != KF_OK) return -1;
  }
  return 0;
}

/* FNV-1a 64, continued from h. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull

/* Checks stored beside each row, so that damage inside a row — which leaves
 * SQLite's pages well-formed and passes its integrity check — is caught at
 * recovery instead of restoring, say, a smaller count. */
static uint64_t spec_check(const char *name, const char *spec, uint64_t params) {
  unsigned char le[8];
  for (int i = 0; i < 8; i++) le[i] = (unsigned char)(params >> (8 * i));
  uint64_t h = fnv1a(FNV_BASIS, name, strlen(name) + 1);
  h = fnv1a(h, spec, strlen(spec) + 1);
  return fnv1a(h, le, 8);
}

static uint64_t streams_check(const char *name, const unsigned char *blob, size_t len) {
  return fnv1a(fnv1a(FNV_BASIS, name, strlen(name) + 1), blob, len);
}

uint64_t kd_model_checksum(const kf_model *model) {
  if (!model) return 0;
  uint64_t h = 0xcbf29ce484222325ull;
  const size_t layers = kf_model_layer_count(model);
  for (size_t i = 0; i < layers; i++) {
    for (size_t j = 0; j < kf_model_param_count(model, i); j++) {
      kf_tensor t;
      if (kf_model_param(model, i, j, NULL, &t) != KF_OK) continue;
      size_t n = 0;
      kf_shape_numel(&t.shape, &n);
      const unsigned char *p = t.data;
      for (size_t k = 0; k < n * sizeof(float); k++) {
        h ^= p[k];
        h *= 0x100000001b3ull;
      }
    }
  }
  return h;
}

/* ------------------------------------------------------------ recording */

static int ensure_durable(kd_session *s) {
  const size_t n = kf_rngs_stream_count(s->rngs);
  if (s->durable && s->n_durable == n) return 0;
  kd_durable_stream *d = calloc(n ? n : 1, sizeof *d);
  if (!d) return -1;
  free(s->durable);
  s->durable = d;
  s->n_durable = n;
  return 0;
}

static int key_eq(kf_key a, kf_key b) { return a.hi == b.hi && a.lo == b.lo; }

int kd_persist_record(kd_persist *p, kd_session *s, kd_change change, const char *spec,
                      uint64_t checksum, kd_commit **commit, kd_err *err) {
  *commit = NULL;
  if (!p) return 0;
  if (ensure_durable(s) != 0) return kd_fail(err, KD_UNAVAILABLE, "out of memory recording a change");
  /* Decide what must reach the disk. Strict stores every count as it is;
   * lease stores a reservation past the count, and only the draws beyond
   * the committed reservation wait. Creations, deletions and reseeds
   * always wait. */
  const size_t n = s->n_durable;
  int write = change != KD_CHANGE_STATE;
  int wait = change != KD_CHANGE_STATE;
  for (size_t i = 0; i < n; i++) {
    kf_stream_state st;
    kf_rngs_stream_at(s->rngs, i, &st);
    kd_durable_stream *d = &s->durable[i];
    if (p->mode == KD_DURABILITY_STRICT || change == KD_CHANGE_CREATE) {
      uint32_t target = st.count;
      if (p->mode == KD_DURABILITY_LEASE) {
        const uint64_t t = (uint64_t)st.count + p->lease_block;
        target = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
      }
      if (!key_eq(d->key_target, st.key) || d->count_target != target) {
        d->key_target = st.key;
        d->count_target = target;
        write = wait = 1;
      }
    } else {
      if (!key_eq(d->key_target, st.key) || st.count > d->count_target) {
        const uint64_t t = (uint64_t)st.count + p->lease_block;
        d->key_target = st.key;
        d->count_target = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        write = 1;
      }
      if (!key_eq(d->key_durable, st.key) || st.count > d->count_durable) wait = 1;
    }
  }
  if (!write && !wait) return 0;

  op *o = calloc(1, sizeof *o);
  if (!o) return kd_fail(err, KD_UNAVAILABLE, "out of memory recording a change");
  o->change = change;
  o->checksum = checksum;
  atomic_fetch_add(&s->refs, 1);
  o->session = s;
  o->n_streams = n;
  o->streams = malloc((n ? n : 1) * sizeof *o->streams);
  o->blob = change == KD_CHANGE_DELETE ? malloc(1) : encode_streams(s->rngs, s->durable, &o->blob_len);
  if (spec) o->spec = strdup(spec);
  if (!o->streams || !o->blob || (spec && !o->spec) || (change == KD_CHANGE_CREATE && !spec)) {
    op_free(o);
    return kd_fail(err, KD_UNAVAILABLE, "out of memory recording a change");
  }
  memcpy(o->streams, s->durable, n * sizeof *o->streams);
  if (wait) {
    o->commit = commit_new();
    if (!o->commit) {
      op_free(o);
      return kd_fail(err, KD_UNAVAILABLE, "out of memory recording a change");
    }
  }
  /* Once queued, o belongs to the writer, which may free it at once. */
  kd_commit *waiter = o->commit;
  pthread_mutex_lock(&p->lock);
  if (p->stopping) {
    pthread_mutex_unlock(&p->lock);
    if (waiter) {
      kd_commit_release(waiter);
      kd_commit_release(waiter);
    }
    op_free(o);
    return kd_fail(err, KD_UNAVAILABLE, "the daemon is shutting down");
  }
  if (p->tail)
    p->tail->next = o;
  else
    p->head = o;
  p->tail = o;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
  *commit = waiter;
  return 0;
}

/* ------------------------------------------------------------ the writer */

static int exec(sqlite3 *db, const char *sql) { return sqlite3_exec(db, sql, NULL, NULL, NULL); }

static int apply_op(kd_persist *p, op *o) {
  sqlite3_stmt *st;
  switch (o->change) {
    case KD_CHANGE_CREATE:
      st = p->put;
      sqlite3_bind_text(st, 1, o->session->name, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, 2, o->spec, -1, SQLITE_STATIC);
      sqlite3_bind_blob(st, 3, o->blob, (int)o->blob_len, SQLITE_STATIC);
      sqlite3_bind_int64(st, 4, (sqlite3_int64)o->checksum);
      sqlite3_bind_int64(st, 5, (sqlite3_int64)spec_check(o->session->name, o->spec, o->checksum));
      sqlite3_bind_int64(st, 6, (sqlite3_int64)streams_check(o->session->name, o->blob, o->blob_len));
      break;
    case KD_CHANGE_STATE:
    case KD_CHANGE_RESEED:
      st = p->update;
      sqlite3_bind_text(st, 1, o->session->name, -1, SQLITE_STATIC);
      sqlite3_bind_blob(st, 2, o->blob, (int)o->blob_len, SQLITE_STATIC);
      sqlite3_bind_int64(st, 3, (sqlite3_int64)streams_check(o->session->name, o->blob, o->blob_len));
      break;
    case KD_CHANGE_DELETE:
    default:
      st = p->del;
      sqlite3_bind_text(st, 1, o->session->name, -1, SQLITE_STATIC);
      break;
  }
  const int rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(p->db);
  /* A change to a row that is not there belongs to a session whose creation
   * failed: it must not be acknowledged (a retried creation with the same
   * seeds would hand its keys out again). */
  o->orphaned = rc == SQLITE_OK && o->change != KD_CHANGE_DELETE && sqlite3_changes(p->db) == 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* Commits a batch in one transaction: one fsync for all of its changes. */
static int commit_batch(kd_persist *p, op *batch) {
  int rc = exec(p->db, "BEGIN IMMEDIATE");
  for (op *o = batch; rc == SQLITE_OK && o; o = o->next) rc = apply_op(p, o);
  if (rc == SQLITE_OK) rc = exec(p->db, "COMMIT");
  if (rc != SQLITE_OK) {
    fprintf(stderr, "keyfoldd: store %s: commit failed: %s\n", p->path, sqlite3_errmsg(p->db));
    if (!sqlite3_get_autocommit(p->db)) exec(p->db, "ROLLBACK");
    return -1;
  }
  return 0;
}

/* While the store fails, the writer retries every RETRY_MS: the changes of
 * the failed batch, or an empty probe commit, so that readiness comes back
 * by itself once the disk does. */
#define RETRY_MS 200

static int probe_commit(kd_persist *p) {
  /* Rewriting a row forces a log write and an fsync, like a real change. */
  if (exec(p->db, "BEGIN IMMEDIATE;"
                  "UPDATE meta SET value = value WHERE key = 'format_version';"
                  "COMMIT") == SQLITE_OK)
    return 0;
  if (!sqlite3_get_autocommit(p->db)) exec(p->db, "ROLLBACK");
  return -1;
}

/* Finishes the ops of a committed (ok) or failed batch. Returns the ops to
 * apply again in the next batch: after a failure, every change but a
 * creation, so that what clients read (memory) is what the disk ends up
 * with, even though their 503 said the outcome was unknown. */
static op *finish_batch(kd_persist *p, op *batch, int ok) {
  op *retry_head = NULL, **retry_tail = &retry_head;
  while (batch) {
    op *next = batch->next;
    batch->next = NULL;
    const int done_ok = ok && !batch->orphaned;
    if (done_ok && batch->change != KD_CHANGE_DELETE) {
      /* Ops of one session commit in the order they were recorded, so the
       * last committed one holds the durable state. */
      kd_session *s = batch->session;
      pthread_mutex_lock(&s->lock);
      for (size_t i = 0; i < batch->n_streams && i < s->n_durable; i++) {
        s->durable[i].key_durable = batch->streams[i].key_target;
        s->durable[i].count_durable = batch->streams[i].count_target;
      }
      pthread_mutex_unlock(&s->lock);
    }
    if (!ok && batch->change == KD_CHANGE_CREATE && p->store) {
      /* The client is told 503: withdraw the session so that it can retry
       * the creation (which replaces whatever the failed commit left). */
      kd_store_remove(p->store, batch->session->name, batch->session);
    }
    if (batch->commit) commit_complete(batch->commit, done_ok);
    batch->commit = NULL;
    if (!ok && batch->change != KD_CHANGE_CREATE) {
      *retry_tail = batch;
      retry_tail = &batch->next;
    } else {
      op_free(batch);
    }
    batch = next;
  }
  return retry_head;
}

static void *writer_main(void *arg) {
  kd_persist *p = arg;
  op *retry = NULL;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    if (atomic_load(&p->healthy)) {
      while (!p->head && !retry && !p->stopping) pthread_cond_wait(&p->wake, &p->lock);
    } else if (!p->stopping) {
      /* Failing: wait before trying again, however much is queued. */
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_nsec += RETRY_MS * 1000000L;
      until.tv_sec += until.tv_nsec / 1000000000L;
      until.tv_nsec %= 1000000000L;
      while (!p->stopping && pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0) {
      }
    }
    /* Retries go first: they are older than anything queued since. */
    op *batch = p->head;
    if (retry) {
      op *last = retry;
      while (last->next) last = last->next;
      last->next = batch;
      batch = retry;
      retry = NULL;
    }
    p->head = p->tail = NULL;
    const int stopping = p->stopping;
    pthread_mutex_unlock(&p->lock);
    if (!batch) {
      if (stopping) break;
      if (!atomic_load(&p->healthy)) atomic_store(&p->healthy, probe_commit(p) == 0);
      continue;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const int ok = commit_batch(p, batch) == 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t changes = 0;
    for (const op *o = batch; o; o = o->next) changes++;
    kd_metrics_observe_commit(p->metrics, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                              changes, ok);
    atomic_store(&p->healthy, ok);
    retry = finish_batch(p, batch, ok);
    if (retry && stopping) {
      /* Shutting down on a failing disk: these changes cannot be kept. */
      fprintf(stderr, "keyfoldd: store %s: giving up on %s unwritten change(s) at shutdown\n", p->path,
              retry->next ? "several" : "one");
      while (retry) {
        op *next = retry->next;
        op_free(retry);
        retry = next;
      }
      break;
    }
  }
  return NULL;
}

/* ------------------------------------------------------------ open, load */

static int fail_msg(char *msg, size_t size, const char *fmt, const char *path, const char *detail) {
  snprintf(msg, size, fmt, path, detail);
  return -1;
}

static int mkdir_p(const char *dir) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s", dir);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return (mkdir(tmp, 0700) != 0 && errno != EEXIST) ? -1 : 0;
}

/* Reads one integer-valued PRAGMA; -1 on failure. */
static long pragma_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Creates the schema in an empty file, or checks the one found. */
static int check_schema(kd_persist *p, char *msg, size_t size) {
  sqlite3 *db = p->db;
  long tables = pragma_int(db, "SELECT count(*) FROM sqlite_master");
  if (tables < 0)
    return fail_msg(msg, size, "%s is not a readable keyfold store: %s", p->path, sqlite3_errmsg(db));
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
      return fail_msg(msg, size, "cannot create the store %s: %s", p->path, sqlite3_errmsg(db));
    return 0;
  }
  if (pragma_int(db, "PRAGMA application_id") != APPLICATION_ID)
    return fail_msg(msg, size, "%s is not a keyfold store (%s)", p->path, "wrong application_id");
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'format_version'", -1, &st, NULL) != SQLITE_OK)
    return fail_msg(msg, size, "%s is not a keyfold store: %s", p->path, sqlite3_errmsg(db));
  char version[32] = "";
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(version, sizeof version, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (strcmp(version, FORMAT_VERSION) != 0) {
    char detail[128];
    snprintf(detail, sizeof detail, "format version '%s', this keyfoldd reads version " FORMAT_VERSION,
             version);
    return fail_msg(msg, size, "refusing the store %s: %s", p->path, detail);
  }
  return 0;
}

int kd_persist_open(const char *data_dir, kd_durability mode, uint32_t lease_block,
                    kd_persist **out, char *msg, size_t msg_size) {
  *out = NULL;
  if (mkdir_p(data_dir) != 0) {
    snprintf(msg, msg_size, "cannot create the data directory %s: %s", data_dir, strerror(errno));
    return -1;
  }
  kd_persist *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(msg, msg_size, "out of memory");
    return -1;
  }
  snprintf(p->path, sizeof p->path, "%s/keyfold.db", data_dir);
  p->mode = mode;
  p->lease_block = lease_block ? lease_block : 1;
  atomic_init(&p->healthy, 1);
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->wake, NULL);
  int rc = sqlite3_open_v2(p->path, &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK) {
    fail_msg(msg, msg_size, "cannot open the store %s: %s", p->path, sqlite3_errstr(rc));
    kd_persist_close(p);
    return -1;
  }
  sqlite3_busy_timeout(p->db, 5000);
  long quick = -1;
  sqlite3_stmt *st;
  char ok[64] = "";
  if (sqlite3_prepare_v2(p->db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
      snprintf(ok, sizeof ok, "%s", (const char *)sqlite3_column_text(st, 0));
      quick = strcmp(ok, "ok") == 0;
    }
    sqlite3_finalize(st);
  }
  if (quick != 1) {
    fail_msg(msg, msg_size, "refusing the store %s: integrity check failed (%s)", p->path,
             quick < 0 ? sqlite3_errmsg(p->db) : ok);
    kd_persist_close(p);
    return -1;
  }
  if (check_schema(p, msg, msg_size) != 0) {
    kd_persist_close(p);
    return -1;
  }
  /* Only a file known to be a keyfold store is switched to WAL (a refused
   * file is left byte for byte as it was). synchronous=FULL: a COMMIT
   * returns after the log is fsync'd. */
  if (exec(p->db, "PRAGMA journal_mode=WAL") != SQLITE_OK ||
      exec(p->db, "PRAGMA synchronous=FULL") != SQLITE_OK) {
    fail_msg(msg, msg_size, "%s is not a usable keyfold store: %s", p->path, sqlite3_errmsg(p->db));
    kd_persist_close(p);
    return -1;
  }
  if (sqlite3_prepare_v3(p->db,
                         "INSERT OR REPLACE INTO sessions(name, spec, streams, checksum, spec_check, streams_check) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         -1, SQLITE_PREPARE_PERSISTENT, &p->put, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(p->db, "UPDATE sessions SET streams = ?2, streams_check = ?3 WHERE name = ?1", -1,
                         SQLITE_PREPARE_PERSISTENT, &p->update, NULL) != SQLITE_OK ||
      sqlite3_prepare_v3(p->db, "DELETE FROM sessions WHERE name = ?1", -1, SQLITE_PREPARE_PERSISTENT,
                         &p->del, NULL) != SQLITE_OK) {
    fail_msg(msg, msg_size, "refusing the store %s: %s", p->path, sqlite3_errmsg(p->db));
    kd_persist_close(p);
    return -1;
  }
  *out = p;
  return 0;
}

/* ------------------------------------------------------------ recovery */

/* Skips the literal `lit` at *p; 0, or -1 (leaving *p) if it is not there. */
static int skip(const char **p, const char *lit) {
  const size_t n = strlen(lit);
  if (strncmp(*p, lit, n) != 0) return -1;
  *p += n;
  return 0;
}

/* A JSON integer in 0..4294967295 written as kd_jw_uint writes it (no sign,
 * no leading zero). */
static int read_u32(const char **p) {
  const char *q = *p;
  uint64_t v = 0;
  if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9')) return -1;
  while (*q >= '0' && *q <= '9') {
    v = v * 10 + (uint64_t)(*q++ - '0');
    if (v > UINT32_MAX) return -1;
  }
  *p = q;
  return 0;
}

/* Recovery's fast path, for the spec of a session without a model exactly
 * as canonical_spec (h_sessions.c) writes it:
 *   {"rngs":{"NAME":[HI,LO],…},"model":null,"options":{"threefry":"MODE","flax":"0.10"}}
 * Reads the threefry mode and the number of streams, checking what
 * kd_session_build would: stream names valid and distinct, at most
 * KF_RNGS_MAX_STREAMS of them, keys of two integers in 0..2^32-1, a known
 * mode, flax "0.10". Returns 0, or -1 for anything else (a model, other
 * spacing, any error), which takes the general path through jansson and
 * kd_session_build — and gets its messages. A million sessions recover in
 * seconds only without a JSON tree per row. */
static int plain_spec(const char *spec, kf_threefry_mode *mode, size_t *n_streams) {
  char names[KF_RNGS_MAX_STREAMS][KF_STREAM_NAME_MAX + 1];
  size_t n = 0;
  const char *p = spec;
  if (skip(&p, "{\"rngs\":{") != 0) return -1;
  while (*p != '}') {
    if (n > 0 && skip(&p, ",") != 0) return -1;
    if (n == KF_RNGS_MAX_STREAMS || *p++ != '"') return -1;
    const char *end = strchr(p, '"');
    if (!end || end - p > KF_STREAM_NAME_MAX) return -1;
    memcpy(names[n], p, (size_t)(end - p));
    names[n][end - p] = '\0';
    if (!kf_stream_name_valid(names[n])) return -1;
    for (size_t i = 0; i < n; i++)
      if (strcmp(names[i], names[n]) == 0) return -1;
    p = end + 1;
    if (skip(&p, ":[") != 0 || read_u32(&p) != 0 || skip(&p, ",") != 0 || read_u32(&p) != 0 ||
        skip(&p, "]") != 0)
      return -1;
    n++;
  }
  if (skip(&p, "},\"model\":null,\"options\":{\"threefry\":\"") != 0) return -1;
  if (skip(&p, "partitionable\"") == 0)
    *mode = KF_THREEFRY_PARTITIONABLE;
  else if (skip(&p, "legacy\"") == 0)
    *mode = KF_THREEFRY_LEGACY;
  else
    return -1;
  if (skip(&p, ",\"flax\":\"0.10\"}}") != 0 || *p != '\0') return -1;
  *n_streams = n;
  return 0;
}

long kd_persist_load(kd_persist *p, kd_server *srv, char *msg, size_t msg_size) {
  sqlite3_stmt *st;
  p->store = srv->store;
  p->metrics = srv->metrics;
  if (sqlite3_prepare_v2(p->db, "SELECT name, spec, streams, checksum, spec_check, streams_check FROM sessions",
                         -1, &st, NULL) != SQLITE_OK)
    return fail_msg(msg, msg_size, "cannot read the store %s: %s", p->path, sqlite3_errmsg(p->db));
  long loaded = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(st, 0);
    const char *spec_text = (const char *)sqlite3_column_text(st, 1);
    const unsigned char *blob = sqlite3_column_blob(st, 2);
    const size_t blob_len = (size_t)sqlite3_column_bytes(st, 2);
    const uint64_t checksum = (uint64_t)sqlite3_column_int64(st, 3);
    const uint64_t stored_spec_check = (uint64_t)sqlite3_column_int64(st, 4);
    const uint64_t stored_streams_check = (uint64_t)sqlite3_column_int64(st, 5);
    char detail[700];
    kd_err err = {KD_OK, ""};
    json_error_t jerr;
    json_t *spec = NULL;
    kd_session *s = NULL;
    kf_rngs *rngs = NULL;
    kf_threefry_mode mode;
    size_t spec_streams = 0;
    int bad = !name || !spec_text;
    /* The table slot is a cache miss of its own (a million sessions: 32 MiB
     * of table): let it load while the row is checked and built. */
    if (name) kd_store_prefetch(srv->store, name);
    if (bad) {
      snprintf(detail, sizeof detail, "session '%s': unreadable spec", name ? name : "?");
    } else if (spec_check(name, spec_text, checksum) != stored_spec_check ||
               streams_check(name, blob ? blob : (const unsigned char *)"", blob_len) != stored_streams_check) {
      snprintf(detail, sizeof detail, "session '%s': the row does not match its check (damaged)", name);
      bad = 1;
    } else if (plain_spec(spec_text, &mode, &spec_streams) == 0) {
      /* No model: the spec gives nothing but the mode and the streams'
       * number; their state comes from the stored streams below. */
      if (!(s = kd_session_new(name))) {
        snprintf(detail, sizeof detail, "out of memory");
        bad = 1;
      } else {
        s->threefry = mode;
      }
    } else if (!(spec = json_loads(spec_text, JSON_REJECT_DUPLICATES, &jerr))) {
      snprintf(detail, sizeof detail, "session '%s': unreadable spec", name);
      bad = 1;
    } else if (kd_session_build(name, spec, &srv->cfg, &s, NULL, &err) != 0) {
      snprintf(detail, sizeof detail, "session '%s': %s", name, err.message);
      bad = 1;
    } else {
      spec_streams = kf_rngs_stream_count(s->rngs);
    }
    if (bad) {
      /* reported below */
    } else if (kd_model_checksum(s->model) != checksum) {
      snprintf(detail, sizeof detail, "session '%s': its model does not re-derive to the stored parameters", name);
      bad = 1;
    } else if (kf_rngs_new(s->threefry, &rngs) != KF_OK || decode_streams(blob, blob_len, rngs) != 0 ||
               kf_rngs_stream_count(rngs) != spec_streams) {
      snprintf(detail, sizeof detail, "session '%s': malformed stream state", name);
      bad = 1;
    }
    json_decref(spec);
    if (!bad) {
      /* The model was re-derived from the initial streams; the session
       * continues from the stored ones. */
      kf_rngs_free(s->rngs);
      s->rngs = rngs;
      rngs = NULL;
      if (ensure_durable(s) != 0) {
        snprintf(detail, sizeof detail, "out of memory");
        bad = 1;
      } else {
        for (size_t i = 0; i < s->n_durable; i++) {
          kf_stream_state ss;
          kf_rngs_stream_at(s->rngs, i, &ss);
          s->durable[i].key_target = s->durable[i].key_durable = ss.key;
          s->durable[i].count_target = s->durable[i].count_durable = ss.count;
        }
        if (kd_store_insert(srv->store, s, &err) != 0) {
          snprintf(detail, sizeof detail, "session '%s': %s", name, err.message);
          bad = 1;
        } else {
          s = NULL;
          loaded++;
        }
      }
    }
    kf_rngs_free(rngs);
    kd_session_release(s);
    if (bad) {
      sqlite3_finalize(st);
      return fail_msg(msg, msg_size, "refusing the store %s: %s", p->path, detail);
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return fail_msg(msg, msg_size, "refusing the store %s: %s", p->path, sqlite3_errmsg(p->db));
  return loaded;
}

int kd_persist_start(kd_persist *p) {
  if (pthread_create(&p->writer, NULL, writer_main, p) != 0) return -1;
  p->writer_started = 1;
  return 0;
}

void kd_persist_stop(kd_persist *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stopping = 1;
  pthread_cond_signal(&p->wake);
  pthread_mutex_unlock(&p->lock);
  if (p->writer_started) pthread_join(p->writer, NULL);
  p->writer_started = 0;
}

void kd_persist_close(kd_persist *p) {
  if (!p) return;
  kd_persist_stop(p);
  sqlite3_finalize(p->put);
  sqlite3_finalize(p->update);
  sqlite3_finalize(p->del);
  if (p->db) sqlite3_close(p->db);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->wake);
  free(p);
}

int kd_persist_healthy(const kd_persist *p) { return !p || atomic_load(&p->healthy); }

int kd_persist_snapshot(kd_persist *p, const char *dir, char *path, size_t path_size, char *msg,
                        size_t msg_size) {
  if (mkdir_p(dir) != 0) {
    snprintf(msg, msg_size, "cannot create the snapshot directory %s: %s", dir, strerror(errno));
    return -1;
  }
  /* Named by UTC time; a sequence number keeps two snapshots in the same
   * second apart. */
  static atomic_uint sequence;
  const time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  snprintf(path, path_size, "%s/keyfold-%s-%u.db", dir, stamp, atomic_fetch_add(&sequence, 1));
  return kd_persist_backup(p, path, msg, msg_size);
}

int kd_persist_backup(kd_persist *p, const char *path, char *msg, size_t msg_size) {
  /* A connection of its own: WAL lets it read a consistent snapshot while
   * the writer keeps committing. */
  sqlite3 *src = NULL, *dst = NULL;
  int rc = sqlite3_open_v2(p->path, &src, SQLITE_OPEN_READONLY, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
      rc = sqlite3_errcode(dst);
    } else {
      rc = sqlite3_backup_step(b, -1);
      sqlite3_backup_finish(b);
      rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
  }
  if (rc != SQLITE_OK)
    snprintf(msg, msg_size, "backup of %s to %s failed: %s", p->path, path,
             dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
  sqlite3_close(src);
  sqlite3_close(dst);
  return rc == SQLITE_OK ? 0 : -1;
}
