/* keyfoldd — the group-commit writer (writer.h). */
#include "writer.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

struct kd_writer {
  const kd_writer_ops *ops;
  void *backend;
  kd_backend_hooks hooks;
  char what[256];       /* names the store in messages */
  pthread_t thread;
  int started;
  pthread_mutex_t lock; /* guards the queue and stopping */
  pthread_cond_t wake;
  kd_record *head, *tail;
  size_t queued;        /* records in the queue */
  int stopping;
  /* The last commit's records and duration (the writer thread's own). */
  size_t last_batch;
  long last_commit_ns;
  atomic_int healthy;   /* 0 after a failed commit, 1 after a good one */
  int ping_due;         /* idle for KD_WRITER_PING_MS (under lock) */
};

void kd_record_free(kd_record *r) {
  if (!r) return;
  kd_session_release(r->session);
  kd_session_release(r->after);
  free(r->spec);
  free(r->blob);
  free(r->targets);
  free(r);
}

/* splitmix64 over a counter started from the clock and the address space's
 * randomness: versions differ between replicas and between restarts. */
uint64_t kd_record_version(void) {
  static _Atomic uint64_t counter;
  static atomic_int seeded;
  if (!atomic_load(&seeded)) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    uint64_t seed = (uint64_t)t.tv_sec * 1000000007u ^ (uint64_t)t.tv_nsec ^ (uint64_t)(uintptr_t)&t;
    uint64_t expected = 0;
    atomic_compare_exchange_strong(&counter, &expected, seed);
    atomic_store(&seeded, 1);
  }
  for (;;) {
    uint64_t z = atomic_fetch_add(&counter, 0x9e3779b97f4a7c15u) + 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    if (z) return z;
  }
}

kd_writer *kd_writer_new(const kd_writer_ops *ops, void *backend, const kd_backend_hooks *hooks,
                         const char *what) {
  kd_writer *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->ops = ops;
  w->backend = backend;
  w->hooks = *hooks;
  snprintf(w->what, sizeof w->what, "%s", what);
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->wake, NULL);
  atomic_init(&w->healthy, 1);
  return w;
}

int kd_writer_submit(kd_writer *w, kd_record *r) {
  kd_record *last = r;
  while (last->next) last = last->next;
  pthread_mutex_lock(&w->lock);
  if (w->stopping) {
    pthread_mutex_unlock(&w->lock);
    return -1;
  }
  for (const kd_record *x = r; x; x = x->next) w->queued++;
  if (w->tail)
    w->tail->next = r;
  else
    w->head = r;
  w->tail = last;
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->lock);
  return 0;
}

/* Marks the records of a batch whose row a later record of the same session
 * rewrites whole (draws and reseeds store every stream): only the last one
 * of such a run is applied. A run is a chain of versions (the later record
 * was made on the earlier one's: after a conflict's refresh a new chain
 * starts) and never passes a pinned record (a fork's parent) or a reseed.
 * Walks the batch from its end, remembering the sessions seen in a small
 * open-addressing table. */
static void mark_superseded(kd_record *batch) {
  size_t n = 0;
  for (kd_record *r = batch; r; r = r->next) {
    r->superseded_by = NULL; /* a retried record may carry an old mark */
    r->conflict = 0;
    r->run_expect = r->expect;
    n++;
  }
  if (n < 2) return;
  size_t cap = 64;
  while (cap < 2 * n) cap *= 2;
  kd_record **slots = calloc(cap, sizeof *slots);
  kd_record **order = malloc(n * sizeof *order);
  if (slots && order) {
    size_t i = 0;
    for (kd_record *r = batch; r; r = r->next) order[i++] = r;
    while (i-- > 0) {
      kd_record *r = order[i];
      if (!r->session) continue;
      size_t h = ((uintptr_t)r->session >> 4) & (cap - 1);
      while (slots[h] && slots[h]->session != r->session) h = (h + 1) & (cap - 1);
      kd_record *later = slots[h];
      /* Each of these writes the session's whole state (streams and
       * statistics): a later one makes an earlier one redundant. A reseed
       * is applied itself: a shared store announces it (backend_postgres.c). */
      const int whole = r->change == KD_CHANGE_STATE || r->change == KD_CHANGE_STATS ||
                        r->change == KD_CHANGE_RESEED;
      if (whole && !r->pinned && r->change != KD_CHANGE_RESEED && later && later->expect == r->version &&
          (later->change == KD_CHANGE_STATE || later->change == KD_CHANGE_STATS ||
           later->change == KD_CHANGE_RESEED)) {
        r->superseded_by = later->superseded_by ? later->superseded_by : later;
        r->superseded_by->run_expect = r->expect; /* walking back: the run's first wins */
      }
      slots[h] = r;
    }
  }
  /* Without memory for the tables every record is applied: slower, same result. */
  free(slots);
  free(order);
}

int kd_writer_healthy(const kd_writer *w) { return atomic_load(&w->healthy); }

/* Finishes every record of a batch; returns those the hook keeps for the
 * next batch, in order. */
static kd_record *finish_batch(kd_writer *w, kd_record *batch, int ok) {
  kd_record *retry_head = NULL, **retry_tail = &retry_head;
  while (batch) {
    kd_record *next = batch->next;
    batch->next = NULL;
    if (w->hooks.finish(w->hooks.finish_arg, batch, ok)) {
      *retry_tail = batch;
      retry_tail = &batch->next;
    } else {
      kd_record_free(batch);
    }
    batch = next;
  }
  return retry_head;
}

static void deadline_in(struct timespec *until, long ns) {
  clock_gettime(CLOCK_REALTIME, until);
  until->tv_nsec += ns;
  until->tv_sec += until->tv_nsec / 1000000000L;
  until->tv_nsec %= 1000000000L;
}

/* Under concurrency the clients of the batch just committed send their next
 * requests within a fraction of a commit. Taking the next batch at once
 * would split the clients into two groups that take turns, each commit
 * serving one of them; waiting a little for them (until as many records as
 * the last batch had are queued besides those already waiting, for at most
 * half the last commit's duration, capped at KD_WRITER_GATHER_MAX_NS) lets
 * one commit serve them all. A lone client never waits: its one record is
 * all the last batch had. */
static void gather(kd_writer *w, size_t want) {
  if (w->last_batch < 2 || w->stopping) return;
  long ns = w->last_commit_ns / 2;
  if (ns > KD_WRITER_GATHER_MAX_NS) ns = KD_WRITER_GATHER_MAX_NS;
  struct timespec until;
  deadline_in(&until, ns);
  while (w->queued < want && !w->stopping && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0) {
  }
}

static void wait_for_work(kd_writer *w, const kd_record *retry) {
  if (atomic_load(&w->healthy)) {
    /* What was queued while the last batch committed, and its own clients. */
    const size_t want = w->queued + w->last_batch;
    if (w->ops->ping) {
      struct timespec until;
      deadline_in(&until, KD_WRITER_PING_MS * 1000000L);
      while (!w->head && !retry && !w->stopping)
        if (pthread_cond_timedwait(&w->wake, &w->lock, &until) != 0) {
          w->ping_due = !w->head;
          break;
        }
    }
    while (!w->head && !retry && !w->stopping && !w->ping_due) pthread_cond_wait(&w->wake, &w->lock);
    if (!retry) gather(w, want);
    return;
  }
  if (w->stopping) return;
  /* Failing: wait before trying again, however much is queued. */
  struct timespec until;
  deadline_in(&until, KD_WRITER_RETRY_MS * 1000000L);
  while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0) {
  }
}

static double seconds_between(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void *writer_main(void *arg) {
  kd_writer *w = arg;
  kd_record *retry = NULL;
  for (;;) {
    pthread_mutex_lock(&w->lock);
    wait_for_work(w, retry);
    /* Retries go first: they are older than anything queued since. */
    kd_record *batch = w->head;
    if (retry) {
      kd_record *last = retry;
      while (last->next) last = last->next;
      last->next = batch;
      batch = retry;
      retry = NULL;
    }
    w->head = w->tail = NULL;
    w->queued = 0;
    const int stopping = w->stopping, ping = w->ping_due;
    w->ping_due = 0;
    pthread_mutex_unlock(&w->lock);
    if (!batch) {
      if (stopping) break;
      if (!atomic_load(&w->healthy))
        atomic_store(&w->healthy, w->ops->probe(w->backend) == 0);
      else if (ping)
        atomic_store(&w->healthy, w->ops->ping(w->backend) == 0);
      continue;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    mark_superseded(batch);
    const int ok = w->ops->commit(w->backend, batch) == 0;
    for (kd_record *r = batch; ok && r; r = r->next)
      if (r->superseded_by) {
        r->orphaned = r->superseded_by->orphaned;
        r->conflict = r->superseded_by->conflict;
      }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t changes = 0;
    for (const kd_record *r = batch; r; r = r->next) changes++;
    w->last_batch = (size_t)changes;
    w->last_commit_ns = (long)((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
    kd_metrics_observe_commit(w->hooks.metrics, seconds_between(&t0, &t1), changes, ok);
    atomic_store(&w->healthy, ok);
    retry = finish_batch(w, batch, ok);
    if (retry && stopping) {
      /* Shutting down on a failing disk: these changes cannot be kept. */
      fprintf(stderr, "keyfoldd: store %s: giving up on %s unwritten change(s) at shutdown\n", w->what,
              retry->next ? "several" : "one");
      while (retry) {
        kd_record *next = retry->next;
        kd_record_free(retry);
        retry = next;
      }
      break;
    }
  }
  return NULL;
}

int kd_writer_start(kd_writer *w) {
  if (pthread_create(&w->thread, NULL, writer_main, w) != 0) return -1;
  w->started = 1;
  return 0;
}

void kd_writer_stop(kd_writer *w) {
  if (!w) return;
  pthread_mutex_lock(&w->lock);
  w->stopping = 1;
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->lock);
  if (w->started) pthread_join(w->thread, NULL);
  w->started = 0;
}

void kd_writer_free(kd_writer *w) {
  if (!w) return;
  kd_writer_stop(w);
  /* Records queued after the thread ended (none: submit refuses once
   * stopping) would be freed here. */
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->wake);
  free(w);
}

int kd_backend_fail(char *msg, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, size, fmt, ap);
  va_end(ap);
  return -1;
}
