/* keyfoldd — the session store (store.h).
 *
 * The map is an open-addressing hash table with linear probing and
 * backward-shift deletion: no tombstones, so lookups stay short however many
 * sessions come and go, and the table only ever grows (doubling keeps the
 * load factor at or below 1/2). Each slot caches its name's hash so that a
 * probe compares strings only on a hash match. At a million sessions the
 * table is 2^21 slots of 16 bytes: 32 MiB that every lookup and insertion
 * touches at a random place, so a table of 2 MiB or more is mapped on its
 * own and asks for transparent huge pages (one TLB entry per 2 MiB instead
 * of per 4 KiB; a hint the kernel may ignore).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include "store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef struct slot {
  uint64_t hash;
  kd_session *s; /* NULL: empty */
} slot;

struct kd_store {
  pthread_rwlock_t lock; /* guards everything below */
  size_t max_sessions;
  size_t count;
  size_t mask; /* capacity - 1; capacity is a power of two */
  slot *slots;
};

#define MIN_CAPACITY 64
#define HUGE_TABLE ((size_t)2 << 20)

/* A zeroed table of cap slots, or NULL. */
static slot *slots_new(size_t cap) {
  const size_t bytes = cap * sizeof(slot);
  if (bytes < HUGE_TABLE) return calloc(cap, sizeof(slot));
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
  madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return p;
}

static void slots_free(slot *slots, size_t cap) {
  if (!slots) return;
  if (cap * sizeof(slot) < HUGE_TABLE)
    free(slots);
  else
    munmap(slots, cap * sizeof(slot));
}

int kd_session_name_valid(const char *name) {
  if (!name) return 0;
  size_t n = 0;
  for (const char *p = name; *p; p++, n++) {
    const char c = *p;
    const int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!(alnum || (n > 0 && (c == '.' || c == '_' || c == '-')))) return 0;
    if (n >= KD_SESSION_NAME_MAX) return 0;
  }
  return n > 0;
}

/* FNV-1a, then a murmur-style finaliser so that the low bits the mask keeps
 * depend on every byte (names like run-000001 … run-999999 differ only at
 * the end). */
static uint64_t hash_name(const char *name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

kd_store *kd_store_new(size_t max_sessions) {
  kd_store *store = calloc(1, sizeof *store);
  if (!store) return NULL;
  store->max_sessions = max_sessions;
  store->mask = MIN_CAPACITY - 1;
  store->slots = slots_new(MIN_CAPACITY);
  if (!store->slots || pthread_rwlock_init(&store->lock, NULL) != 0) {
    slots_free(store->slots, MIN_CAPACITY);
    free(store);
    return NULL;
  }
  return store;
}

/* Takes the store's own reference of every session; a session some request
 * still holds (not allowed by the contract, but harmless) outlives it. */
void kd_store_free(kd_store *store) {
  if (!store) return;
  for (size_t i = 0; i <= store->mask; i++) kd_session_release(store->slots[i].s);
  slots_free(store->slots, store->mask + 1);
  pthread_rwlock_destroy(&store->lock);
  free(store);
}

/* Returns a session with refs = 1 owned by the caller, or NULL if the name is
 * too long (callers validate it first) or memory runs out. */
kd_session *kd_session_new(const char *name) {
  if (!name) return NULL;
  const size_t len = strlen(name);
  if (len > KD_SESSION_NAME_MAX) return NULL;
  kd_session *s = calloc(1, sizeof *s + len + 1);
  if (!s) return NULL;
  if (pthread_mutex_init(&s->lock, NULL) != 0) {
    free(s);
    return NULL;
  }
  memcpy(s->name, name, len + 1);
  atomic_init(&s->refs, 1);
  s->threefry = KF_THREEFRY_PARTITIONABLE;
  strcpy(s->flax, "0.10");
  return s;
}

size_t kd_session_streams(const kd_session *s, kf_stream_state *out, size_t *n_held) {
  const size_t n = kf_rngs_stream_count(s->rngs);
  const size_t held = kf_model_stream_count(s->model);
  for (size_t i = 0; i < n; i++) kf_rngs_stream_at(s->rngs, i, &out[i]);
  for (size_t i = 0; i < held; i++) {
    kf_model_stream h;
    kf_model_stream_at(s->model, i, &h);
    out[n + i] = h.state;
  }
  if (n_held) *n_held = held;
  return n + held;
}

size_t kd_session_stat_count(const kd_session *s) { return kf_model_stats_size(s->model); }

void kd_session_stats(const kd_session *s, float *out) { kf_model_stats_copy(s->model, out); }

int kd_session_set_stats(kd_session *s, const unsigned char *le, size_t n_floats) {
  if (n_floats != kd_session_stat_count(s)) return -1;
  float *buf = malloc((n_floats ? n_floats : 1) * sizeof *buf);
  if (!buf) return -1;
  for (size_t k = 0; k < n_floats; k++) {
    const unsigned char *p = le + 4 * k;
    const uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    memcpy(&buf[k], &bits, sizeof bits);
  }
  kf_model_stats_load(s->model, buf);
  free(buf);
  return 0;
}

void kd_session_load_stats(kd_session *s, const float *in) { kf_model_stats_load(s->model, in); }

int kd_session_set_streams(kd_session *s, const kf_stream_state *in, size_t n) {
  const size_t n_rngs = kf_rngs_stream_count(s->rngs);
  kf_stream_state now[KD_STREAMS_MAX];
  if (n != kd_session_streams(s, now, NULL)) return -1;
  /* All or nothing: every name is checked before anything is set. */
  for (size_t i = 0; i < n; i++)
    if (strcmp(now[i].name, in[i].name) != 0) return -1;
  for (size_t i = 0; i < n_rngs; i++)
    if (kf_rngs_set_stream(s->rngs, i, &in[i]) != KF_OK) return -1;
  for (size_t i = n_rngs; i < n; i++)
    if (kf_model_set_stream(s->model, i - n_rngs, &in[i]) != KF_OK) return -1;
  return 0;
}

void kd_session_release(kd_session *s) {
  if (!s) return;
  /* The thread that drops the last reference is the only one left that can
   * see s, so it frees without taking the lock. */
  if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
  kf_model_free(s->model);
  kf_rngs_free(s->rngs);
  free(s->durable);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* Index of the slot holding name, or of the empty slot that ends its probe
 * sequence. Caller holds the lock (either mode). */
static size_t find_slot(const kd_store *store, const char *name, uint64_t h) {
  size_t i = (size_t)h & store->mask;
  while (store->slots[i].s) {
    if (store->slots[i].hash == h && strcmp(store->slots[i].s->name, name) == 0) return i;
    i = (i + 1) & store->mask;
  }
  return i;
}

/* Doubles the table. Caller holds the write lock. Returns 0, or -1 on ENOMEM
 * with the table unchanged. */
static int grow(kd_store *store) {
  const size_t old_cap = store->mask + 1;
  if (old_cap > SIZE_MAX / 2 / sizeof(slot)) return -1;
  const size_t cap = old_cap * 2;
  slot *slots = slots_new(cap);
  if (!slots) return -1;
  for (size_t i = 0; i < old_cap; i++) {
    if (!store->slots[i].s) continue;
    size_t j = (size_t)store->slots[i].hash & (cap - 1);
    while (slots[j].s) j = (j + 1) & (cap - 1);
    slots[j] = store->slots[i];
  }
  slots_free(store->slots, old_cap);
  store->slots = slots;
  store->mask = cap - 1;
  return 0;
}

int kd_store_insert(kd_store *store, kd_session *s, kd_err *err) {
  const uint64_t h = hash_name(s->name);
  int rc = 0;
  pthread_rwlock_wrlock(&store->lock);
  size_t i = find_slot(store, s->name, h);
  if (store->slots[i].s) {
    rc = kd_fail(err, KD_ALREADY_EXISTS, "session '%s' already exists", s->name);
  } else if (store->count >= store->max_sessions) {
    rc = kd_fail(err, KD_RESOURCE_EXHAUSTED, "the daemon holds the maximum of %zu sessions",
                 store->max_sessions);
  } else if ((store->count + 1) * 2 > store->mask + 1) {
    if (grow(store) != 0)
      rc = kd_fail(err, KD_UNAVAILABLE, "out of memory while adding session '%s'", s->name);
    else
      i = find_slot(store, s->name, h);
  }
  if (rc == 0) {
    store->slots[i].hash = h;
    store->slots[i].s = s;
    store->count++;
  }
  pthread_rwlock_unlock(&store->lock);
  return rc;
}

void kd_store_prefetch(kd_store *store, const char *name) {
  const uint64_t h = hash_name(name);
  pthread_rwlock_rdlock(&store->lock);
  __builtin_prefetch(&store->slots[(size_t)h & store->mask], 1);
  pthread_rwlock_unlock(&store->lock);
}

kd_session *kd_store_get(kd_store *store, const char *name) {
  if (!name) return NULL;
  const uint64_t h = hash_name(name);
  pthread_rwlock_rdlock(&store->lock);
  kd_session *s = store->slots[find_slot(store, name, h)].s;
  /* Taking the reference under the lock is what keeps a concurrent remove
   * from freeing s before the caller has it. */
  if (s) atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
  pthread_rwlock_unlock(&store->lock);
  return s;
}

int kd_store_remove(kd_store *store, const char *name, const kd_session *only) {
  if (!name) return -1;
  const uint64_t h = hash_name(name);
  pthread_rwlock_wrlock(&store->lock);
  size_t i = find_slot(store, name, h);
  kd_session *s = store->slots[i].s;
  if (s && only && s != only) s = NULL;
  if (s) {
    /* Backward-shift deletion: pull later members of the cluster into the
     * hole when their home slot lies cyclically at or before it, so every
     * probe sequence stays unbroken without tombstones. */
    size_t j = i;
    for (;;) {
      j = (j + 1) & store->mask;
      if (!store->slots[j].s) break;
      const size_t home = (size_t)store->slots[j].hash & store->mask;
      const int movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
      if (movable) {
        store->slots[i] = store->slots[j];
        i = j;
      }
    }
    store->slots[i].s = NULL;
    store->slots[i].hash = 0;
    store->count--;
  }
  pthread_rwlock_unlock(&store->lock);
  if (!s) return -1;
  /* The store's reference; requests still holding s keep it alive. */
  kd_session_release(s);
  return 0;
}

size_t kd_store_count(kd_store *store) {
  pthread_rwlock_rdlock(&store->lock);
  const size_t n = store->count;
  pthread_rwlock_unlock(&store->lock);
  return n;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A max-heap of at most `cap` names (by strcmp): the smallest names seen
 * so far, the largest on top. The names are borrowed from the sessions,
 * valid while the table's lock is held. */
typedef struct name_heap {
  const char **v;
  size_t n, cap;
} name_heap;

static void heap_sift_down(name_heap *h, size_t i) {
  for (;;) {
    size_t big = i;
    const size_t l = 2 * i + 1, r = l + 1;
    if (l < h->n && strcmp(h->v[l], h->v[big]) > 0) big = l;
    if (r < h->n && strcmp(h->v[r], h->v[big]) > 0) big = r;
    if (big == i) return;
    const char *t = h->v[i];
    h->v[i] = h->v[big];
    h->v[big] = t;
    i = big;
  }
}

static void heap_offer(name_heap *h, const char *name) {
  if (h->n < h->cap) {
    size_t i = h->n++;
    h->v[i] = name;
    while (i > 0 && strcmp(h->v[(i - 1) / 2], h->v[i]) < 0) {
      const char *t = h->v[i];
      h->v[i] = h->v[(i - 1) / 2];
      h->v[(i - 1) / 2] = t;
      i = (i - 1) / 2;
    }
  } else if (h->cap > 0 && strcmp(name, h->v[0]) < 0) {
    h->v[0] = name;
    heap_sift_down(h, 0);
  }
}

char **kd_store_page(kd_store *store, const char *after, const char *prefix, size_t limit, size_t *n,
                     int *more) {
  *n = 0;
  *more = 0;
  const size_t plen = strlen(prefix);
  name_heap h = {malloc((limit ? limit : 1) * sizeof *h.v), 0, limit};
  char **names = malloc((limit ? limit : 1) * sizeof *names);
  if (!h.v || !names) {
    free(h.v);
    free(names);
    return NULL;
  }
  size_t matching = 0;
  pthread_rwlock_rdlock(&store->lock);
  /* One pass over the table keeping the `limit` smallest names past
   * `after`: no sort of the whole table per page. */
  for (size_t i = 0; i <= store->mask; i++) {
    const kd_session *s = store->slots[i].s;
    if (!s || strncmp(s->name, prefix, plen) != 0 || (after && strcmp(s->name, after) <= 0)) continue;
    matching++;
    heap_offer(&h, s->name);
  }
  size_t k = 0;
  for (; k < h.n; k++) {
    names[k] = strdup(h.v[k]);
    if (!names[k]) break;
  }
  pthread_rwlock_unlock(&store->lock);
  free(h.v);
  if (k < h.n) {
    while (k > 0) free(names[--k]);
    free(names);
    return NULL;
  }
  qsort(names, k, sizeof *names, cmp_names);
  *n = k;
  *more = matching > k;
  return names;
}

/* The caller owns the array and each name. An empty store gives a non-NULL
 * array with *n = 0, so NULL always means out of memory. */
char **kd_store_names(kd_store *store, size_t *n) {
  *n = 0;
  pthread_rwlock_rdlock(&store->lock);
  const size_t count = store->count;
  char **names = malloc((count ? count : 1) * sizeof *names);
  size_t k = 0;
  for (size_t i = 0; names && i <= store->mask && k < count; i++) {
    if (!store->slots[i].s) continue;
    names[k] = strdup(store->slots[i].s->name);
    if (!names[k]) {
      while (k > 0) free(names[--k]);
      free(names);
      names = NULL;
      break;
    }
    k++;
  }
  pthread_rwlock_unlock(&store->lock);
  if (!names) return NULL;
  /* Sorting outside the lock keeps writers waiting only for the copy. */
  qsort(names, k, sizeof *names, cmp_names);
  *n = k;
  return names;
}
