/* keyfoldd — the durability policy (durability.h): what to write, who
 * waits, and what a committed or failed record means for the session. */
#include "durability.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include "durable_internal.h"


static int key_eq(kf_key a, kf_key b) { return a.hi == b.hi && a.lo == b.lo; }

static uint32_t lease_end(uint32_t count, uint32_t block) {
  const uint64_t t = (uint64_t)count + block;
  return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

void kd_durable_plan_stream(kd_durability mode, uint32_t lease_block, kd_change change,
                            const kf_stream_state *now, kd_durable_stream *ds, int *write, int *wait) {
  if (mode == KD_DURABILITY_MEMORY) return;
  if (mode == KD_DURABILITY_STRICT || change == KD_CHANGE_CREATE) {
    const uint32_t target = mode == KD_DURABILITY_LEASE ? lease_end(now->count, lease_block) : now->count;
    if (!key_eq(ds->key_target, now->key) || ds->count_target != target) {
      ds->key_target = now->key;
      ds->count_target = target;
      *write = *wait = 1;
    }
    return;
  }
  /* Lease: renew the reservation once the count passes it; wait only when
   * the count is beyond what is known to be committed. */
  if (!key_eq(ds->key_target, now->key) || now->count > ds->count_target) {
    ds->key_target = now->key;
    ds->count_target = lease_end(now->count, lease_block);
    *write = 1;
  }
  if (!key_eq(ds->key_durable, now->key) || now->count > ds->count_durable) *wait = 1;
}

/* ------------------------------------------------------------ completion */

int kd_durable_adopt_streams(kd_session *s) {
  kf_stream_state streams[KD_STREAMS_MAX];
  const size_t n = kd_session_streams(s, streams, NULL);
  kd_durable_stream *ds = calloc(n ? n : 1, sizeof *ds);
  if (!ds) return -1;
  for (size_t i = 0; i < n; i++) {
    ds[i].key_target = ds[i].key_durable = streams[i].key;
    ds[i].count_target = ds[i].count_durable = streams[i].count;
  }
  free(s->durable);
  s->durable = ds;
  s->n_durable = n;
  return 0;
}

static int64_t monotonic_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Another replica changed s: its draws claim for a while. */
static void contended(kd_session *s) {
  atomic_store(&s->claims_until_ns, monotonic_ns() + (int64_t)KD_CLAIMS_WINDOW_MS * 1000000);
}

/* The backend's refresh hook (shared stores): r's change conflicted, row
 * is its session's current row (NULL: deleted by another replica). The
 * cached session takes the stored state, or leaves the table when the row
 * is gone or belongs to another session of that name (deleted and created
 * again: the next request loads it, kd_session_find). */
static void refresh_record(void *arg, kd_record *r, const kd_raw_row *row) {
  kd_durable *d = arg;
  kd_session *s = r->session;
  kf_stream_state streams[KD_STREAMS_MAX];
  size_t n = 0, n_held = 0, n_stats = 0;
  const unsigned char *stats = NULL;
  pthread_mutex_lock(&s->lock);
  /* A record made before the cached state was last replaced conflicts
   * because of what that replacement already took in: the changes made
   * since build on the stored state, and may commit (lease serves their
   * blocks): rolling the cache back under them would hand counts out twice. */
  if (s->deleted || r->refresh_seq != s->refresh_seq || (row && row->version == s->version)) {
    pthread_mutex_unlock(&s->lock);
    return;
  }
  s->refresh_seq++;
  contended(s);
  int gone = !row || kd_row_spec_check(row->name, row->spec, row->checksum) != s->spec_id ||
             kd_row_spec_check(row->name, row->spec, row->checksum) != row->spec_check ||
             kd_row_streams_check(row->name, row->blob, row->blob_len) != row->streams_check ||
             kd_row_decode(row->blob, row->blob_len, streams, &n, &n_held, &stats, &n_stats) != 0;
  if (!gone) {
    kf_stream_state was[KD_STREAMS_MAX];
    const size_t n_was = kd_session_streams(s, was, NULL);
    if (kd_session_set_streams(s, streams, n + n_held) != 0 || kd_durable_adopt_streams(s) != 0) {
      kd_session_set_streams(s, was, n_was);
      gone = 1;
    } else if (n_stats > 0 && kd_session_set_stats(s, stats, n_stats) != 0) {
      /* Statistics another replica trained that do not fit: drop the cache. */
      kd_session_set_streams(s, was, n_was);
      gone = 1;
    } else {
      s->version = row->version;
    }
  }
  if (gone) s->deleted = 1;
  pthread_mutex_unlock(&s->lock);
  if (gone) kd_store_remove(d->table, s->name, s);
}

/* The backend's invalidate hook (lease, shared): another replica reseeded or
 * deleted the session called name; the next draw of the cached one writes. */
static void invalidate_session(void *arg, const char *name) {
  kd_durable *d = arg;
  kd_session *s = kd_store_get(d->table, name);
  if (!s) return;
  pthread_mutex_lock(&s->lock);
  s->valid_gen = 0;
  s->stale_marks++;
  pthread_mutex_unlock(&s->lock);
  kd_session_release(s);
}

/* A claim's end: what the store granted goes to its request through the
 * ticket (ticket.h), which runs the request again — also after a conflict
 * (the session was refreshed), not after a failure (503). Never applied
 * again: the claimer answered 503 and claims anew if it retries. */
static int finish_claim(kd_record *r, int ok) {
  kd_ticket *t = r->ticket;
  r->ticket = NULL;
  if (!t) return 0;
  const int granted = ok && !r->conflict;
  if (granted && r->claimed == KD_CLAIM_GRANTED && !r->claim_chained) contended(r->session);
  t->claimed = granted ? r->claimed : KD_CLAIM_NONE;
  t->claim_base = r->claim_base;
  t->claim_hi = r->claim_key.hi;
  t->claim_lo = r->claim_key.lo;
  t->resume = ok;
  kd_ticket_complete(t, granted);
  return 0;
}

/* The backend's finish hook: a record committed (ok) or failed. */
static int finish_record(void *arg, kd_record *r, int ok) {
  kd_durable *d = arg;
  if (r->change == KD_CHANGE_CLAIM) return finish_claim(r, ok);
  const int done_ok = ok && !r->orphaned && !r->conflict;
  /* After a failure every change but a creation is applied again, so that
   * what clients read (memory) is what the disk ends up with, even though
   * their 503 said the outcome was unknown. A conflict changed nothing and
   * is not applied again: its request is replayed. */
  const int again = !ok && r->change != KD_CHANGE_CREATE;
  kd_session *s = r->session;
  if (s) {
    pthread_mutex_lock(&s->lock);
    if (done_ok && r->change != KD_CHANGE_DELETE) {
      /* Records of one session commit in the order they were recorded, so
       * the last committed one holds the durable state. */
      for (size_t i = 0; i < r->n_targets && i < s->n_durable; i++) {
        s->durable[i].key_durable = r->targets[i].key_target;
        s->durable[i].count_durable = r->targets[i].count_target;
      }
      /* The row was at the version this state was made on: confirmed as of
       * the generation it was recorded in, unless a notification came since. */
      if (s->stale_marks == r->stale_marks) s->valid_gen = r->generation;
    }
    if (!again && s->pending) s->pending--;
    pthread_mutex_unlock(&s->lock);
  }
  if (done_ok && r->change == KD_CHANGE_UNFENCE) atomic_store(&d->fenced, 0);
  if ((!ok || r->conflict) && r->change == KD_CHANGE_CREATE && s) {
    /* The client is told 503: withdraw the session so that it can retry
     * the creation (which replaces whatever the failed commit left), and
     * refuse what requests that found it meanwhile would still do. */
    pthread_mutex_lock(&s->lock);
    s->deleted = 1;
    pthread_mutex_unlock(&s->lock);
    kd_store_remove(d->table, s->name, s);
  }
  if (r->ticket) {
    /* A conflict changed nothing: the request is replayed against the
     * session as the store has it (refresh_record). */
    if (ok && r->conflict) r->ticket->retry = 1;
    kd_ticket_complete(r->ticket, done_ok);
  }
  r->ticket = NULL;
  return again;
}

/* ------------------------------------------------------------ opening */

int kd_durable_open(const kd_config *cfg, kd_store *table, kd_metrics *metrics, kd_durable **out,
                    char *msg, size_t msg_size) {
  *out = NULL;
  kd_durable *d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(msg, msg_size, "out of memory");
    return -1;
  }
  d->mode = cfg->durability;
  d->lease_block = cfg->lease_block ? cfg->lease_block : 1;
  d->table = table;
  if (d->mode != KD_DURABILITY_MEMORY) {
    const kd_backend_hooks hooks = {finish_record, d, metrics, refresh_record, invalidate_session};
    d->backend = cfg->store == KD_STORE_POSTGRES
                     ? kd_backend_postgres_open(cfg->postgres_url, d->mode == KD_DURABILITY_LEASE, &hooks, msg,
                                                msg_size)
                     : kd_backend_sqlite_open(cfg->data_dir, &hooks, msg, msg_size);
    if (!d->backend) {
      free(d);
      return -1;
    }
    atomic_init(&d->fenced, d->backend->fenced);
  }
  *out = d;
  return 0;
}

int kd_durable_start(kd_durable *d) { return d->backend ? d->backend->ops->start(d->backend) : 0; }

void kd_durable_stop(kd_durable *d) {
  if (d && d->backend) d->backend->ops->stop(d->backend);
}

void kd_durable_close(kd_durable *d) {
  if (!d) return;
  if (d->backend) d->backend->ops->close(d->backend);
  free(d);
}

int kd_durable_healthy(const kd_durable *d) {
  return !d || !d->backend || d->backend->ops->healthy(d->backend);
}

int kd_durable_check_fence(kd_durable *d) {
  if (!kd_durable_fenced(d, NULL)) return 0;
  if (!kd_durable_shared(d) || !d->backend->ops->still_fenced) return 1;
  char msg[256];
  /* Unreachable (-1): still fenced, as far as anyone here can tell. */
  if (d->backend->ops->still_fenced(d->backend, msg, sizeof msg) != 0) return 1;
  size_t n = 0;
  char **names = kd_store_names(d->table, &n);
  if (!names) return 1;
  /* The replica that lifted the fence advanced every row first: each cached
   * session here is behind its row, and its next draw must write (strict:
   * it does; lease: a stale mark) so that the conflict refreshes it. */
  for (size_t i = 0; i < n; i++) {
    kd_session *s = kd_store_get(d->table, names[i]);
    if (s) {
      pthread_mutex_lock(&s->lock);
      s->fenced = 0;
      s->valid_gen = 0;
      s->stale_marks++;
      pthread_mutex_unlock(&s->lock);
      kd_session_release(s);
    }
    free(names[i]);
  }
  free(names);
  atomic_store(&d->fenced, 0);
  return 0;
}

int kd_durable_fenced(const kd_durable *d, const char **note) {
  const int fenced = d && d->backend && atomic_load(&d->fenced);
  if (note) *note = fenced ? d->backend->fence_note : "";
  return fenced;
}

/* ------------------------------------------------------------ recording */

static int out_of_memory(kd_err *err) { return kd_fail(err, KD_UNAVAILABLE, "out of memory recording a change"); }

/* Sizes s's bookkeeping to its streams (a new session, or one whose
 * streams changed in number). */
static int ensure_bookkeeping(kd_session *s) {
  const size_t n = kf_rngs_stream_count(s->rngs) + kf_model_stream_count(s->model);
  if (s->durable && s->n_durable == n) return 0;
  kd_durable_stream *ds = calloc(n ? n : 1, sizeof *ds);
  if (!ds) return -1;
  free(s->durable);
  s->durable = ds;
  s->n_durable = n;
  return 0;
}

/* Drops a record that was prepared but not submitted (its ticket has both
 * references still). NULL ok. */
static void discard(kd_record *r) {
  if (r && r->ticket) {
    kd_ticket_release(r->ticket);
    kd_ticket_release(r->ticket);
    r->ticket = NULL;
  }
  kd_record_free(r);
}

/* Hands a chain of records (linked by next) to the backend, which queues
 * them together. On failure the records are dropped. */
static int submit(kd_durable *d, kd_record *chain, kd_err *err) {
  if (d->backend->ops->submit(d->backend, chain) == 0) return 0;
  while (chain) {
    kd_record *next = chain->next;
    chain->next = NULL;
    discard(chain);
    chain = next;
  }
  return kd_fail(err, KD_UNAVAILABLE, "the daemon is shutting down");
}

/* Plans s's change and allocates its record without submitting it: *out is
 * NULL when nothing needs writing. *saved receives s's bookkeeping as it was
 * before the plan (s->n_durable entries); on failure it is put back. */
static int prepare(kd_durable *d, kd_session *s, kd_change change, const char *spec, uint64_t checksum,
                   kd_durable_stream *saved, kd_record **out, kd_err *err) {
  *out = NULL;
  if (ensure_bookkeeping(s) != 0) return out_of_memory(err);
  kf_stream_state streams[KD_STREAMS_MAX];
  size_t n_held = 0;
  const size_t n = kd_session_streams(s, streams, &n_held);
  /* A change of batch statistics is written whatever the streams did
   * (memory mode aside); the streams themselves are planned as draws. */
  int write = change != KD_CHANGE_STATE && (change != KD_CHANGE_STATS || d->mode != KD_DURABILITY_MEMORY);
  int wait = write;
  const kd_change stream_change = change == KD_CHANGE_STATS ? KD_CHANGE_STATE : change;
  memcpy(saved, s->durable, n * sizeof *saved);
  for (size_t i = 0; i < n; i++)
    kd_durable_plan_stream(d->mode, d->lease_block, stream_change, &streams[i], &s->durable[i], &write, &wait);
  /* Lease on a shared store: a block is served from memory only while the
   * listener vouches that no other replica reseeded or deleted the session
   * (backend.h: fresh); else the draw writes its state, conditional on the
   * version it was made on, and waits: a conflict refreshes and replays it. */
  uint64_t generation = 0;
  if (d->mode == KD_DURABILITY_LEASE && d->backend->ops->fresh) {
    const int fresh = d->backend->ops->fresh(d->backend, &generation);
    if (!fresh || s->valid_gen != generation) write = wait = 1;
  }
  if (!write && !wait) return 0;
  /* Every record carries the statistics as they are now, so that a later
   * record of draws does not take older ones back. */
  const size_t n_stats = kd_session_stat_count(s);
  float *stats = n_stats ? malloc(n_stats * sizeof *stats) : NULL;
  if (n_stats && !stats) {
    memcpy(s->durable, saved, n * sizeof *saved);
    return out_of_memory(err);
  }
  kd_session_stats(s, stats);

  kd_record *r = calloc(1, sizeof *r);
  if (r) {
    r->change = change;
    r->checksum = checksum;
    /* The version chain (backend.h): made on s->version, writes a new one. */
    r->expect = s->version;
    r->version = kd_record_version();
    r->generation = generation;
    r->stale_marks = s->stale_marks;
    r->refresh_seq = s->refresh_seq;
    atomic_fetch_add(&s->refs, 1);
    r->session = s;
    r->n_targets = n;
    r->targets = malloc((n ? n : 1) * sizeof *r->targets);
    if (change != KD_CHANGE_DELETE) {
      /* Stored: the targets, not the counts (lease stores the reservation). */
      for (size_t i = 0; i < n; i++) {
        streams[i].key = s->durable[i].key_target;
        streams[i].count = s->durable[i].count_target;
      }
      r->blob = kd_row_encode(streams, n - n_held, n_held, stats, n_stats, &r->blob_len);
    }
    if (spec) r->spec = strdup(spec);
    if (wait) r->ticket = kd_ticket_new();
  }
  free(stats);
  if (!r || !r->targets || (change != KD_CHANGE_DELETE && !r->blob) || (spec && !r->spec) ||
      (change == KD_CHANGE_CREATE && !spec) || (wait && !r->ticket)) {
    discard(r);
    memcpy(s->durable, saved, n * sizeof *saved);
    return out_of_memory(err);
  }
  memcpy(r->targets, s->durable, n * sizeof *r->targets);
  if (change == KD_CHANGE_CREATE) s->spec_id = kd_row_spec_check(s->name, spec, checksum);
  s->version = r->version;
  *out = r;
  return 0;
}

int kd_durable_record(kd_durable *d, kd_session *s, kd_change change, const char *spec,
                      uint64_t checksum, kd_ticket **ticket, kd_err *err) {
  *ticket = NULL;
  if (!d || !d->backend) return 0;
  kd_durable_stream saved[KD_STREAMS_MAX];
  kd_record *r;
  if (prepare(d, s, change, spec, checksum, saved, &r, err) != 0) return -1;
  if (!r) return 0;
  kd_ticket *waiter = r->ticket;
  const uint64_t version = r->expect;
  if (submit(d, r, err) != 0) {
    memcpy(s->durable, saved, s->n_durable * sizeof *saved);
    s->version = version;
    return -1;
  }
  s->pending++;
  *ticket = waiter;
  return 0;
}

int kd_durable_record_pair(kd_durable *d, kd_session *first, kd_change first_change, kd_session *second,
                           kd_change second_change, const char *spec, uint64_t checksum, kd_ticket **ticket,
                           kd_err *err) {
  *ticket = NULL;
  if (!d || !d->backend) return 0;
  kd_durable_stream saved1[KD_STREAMS_MAX], saved2[KD_STREAMS_MAX];
  kd_record *r1, *r2;
  if (prepare(d, first, first_change, NULL, 0, saved1, &r1, err) != 0) return -1;
  if (prepare(d, second, second_change, spec, checksum, saved2, &r2, err) != 0) {
    if (r1) first->version = r1->expect;
    discard(r1);
    memcpy(first->durable, saved1, first->n_durable * sizeof *saved1);
    return -1;
  }
  /* One waiter: the second record's ticket covers the first, which the
   * writer commits in the same batch or an earlier one. */
  kd_record *chain = r1 ? r1 : r2;
  if (r1) r1->next = r2;
  const uint64_t v1 = r1 ? r1->expect : first->version, v2 = r2 ? r2->expect : second->version;
  if (r1 && r2) {
    /* The child is created only if the parent's change is there. */
    r1->pinned = 1;
    atomic_fetch_add(&first->refs, 1);
    r2->after = first;
    r2->after_version = r1->version;
  }
  /* Read before submitting: the writer may finish and free the records at once. */
  kd_ticket *t1 = r1 ? r1->ticket : NULL, *t2 = r2 ? r2->ticket : NULL;
  kd_ticket *waiter = t2 ? t2 : t1;
  if (!chain) return 0;
  if (submit(d, chain, err) != 0) {
    memcpy(first->durable, saved1, first->n_durable * sizeof *saved1);
    memcpy(second->durable, saved2, second->n_durable * sizeof *saved2);
    first->version = v1;
    second->version = v2;
    return -1;
  }
  if (r1) first->pending++;
  if (r2) second->pending++;
  /* The other ticket's waiter is nobody: drop that reference. */
  if (t1 && t1 != waiter) kd_ticket_release(t1);
  *ticket = waiter;
  return 0;
}

int kd_durable_claims(const kd_durable *d, const kd_session *s) {
  return d && d->backend && d->backend->claims && d->mode == KD_DURABILITY_STRICT &&
         atomic_load(&s->claims_until_ns) > monotonic_ns();
}

int kd_durable_claim(kd_durable *d, kd_session *s, size_t stream, uint64_t n, int alone, kd_ticket **ticket,
                     kd_err *err) {
  *ticket = NULL;
  kf_stream_state streams[KD_STREAMS_MAX];
  const size_t n_streams = kd_session_streams(s, streams, NULL);
  if (stream >= n_streams) /* the caller resolved it in s, under the lock */
    return kd_fail(err, KD_INVALID_ARGUMENT, "session '%s' has no stream %zu", s->name, stream);
  kd_record *r = calloc(1, sizeof *r);
  if (r) r->ticket = kd_ticket_new();
  if (!r || !r->ticket) {
    discard(r);
    return out_of_memory(err);
  }
  r->change = KD_CHANGE_CLAIM;
  r->expect = s->version;
  r->version = kd_record_version();
  r->refresh_seq = s->refresh_seq;
  r->stale_marks = s->stale_marks;
  atomic_fetch_add(&s->refs, 1);
  r->session = s;
  r->claim_stream = (uint32_t)stream;
  r->claim_offset = kd_row_count_offset(streams, stream);
  r->claim_n = n;
  r->claim_identity = s->spec_id;
  r->claim_alone = alone;
  kd_ticket *waiter = r->ticket;
  const uint64_t version = r->version; /* r is the writer's once submitted */
  if (submit(d, r, err) != 0) return -1;
  /* Along the version chain like any change of s (backend_postgres.c). */
  s->version = version;
  *ticket = waiter;
  return 0;
}

int kd_durable_unfence(kd_durable *d, kd_ticket **ticket, kd_err *err) {
  *ticket = NULL;
  if (!d || !d->backend || !atomic_load(&d->fenced)) return 0;
  kd_record *r = calloc(1, sizeof *r);
  if (r) {
    r->change = KD_CHANGE_UNFENCE;
    r->ticket = kd_ticket_new();
  }
  if (!r || !r->ticket) {
    discard(r);
    return out_of_memory(err);
  }
  kd_ticket *waiter = r->ticket;
  if (submit(d, r, err) != 0) return -1;
  *ticket = waiter;
  return 0;
}
