/* keyfold — nnx.Rngs: named key streams with uint32 counters (flax-nnx.md §1–§2).
 *
 * Streams live in an array sized to what the Rngs holds, in insertion
 * order: a daemon keeps one Rngs per session, so an Rngs with three streams
 * must cost a few hundred bytes, not room for KF_RNGS_MAX_STREAMS. Only
 * kf_rngs_add_stream (and clone) allocate; drawing and reseeding never can
 * fail for lack of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "keyfold/error.h"
#include "keyfold/prng.h"
#include "keyfold/rngs.h"

struct kf_rngs {
  kf_threefry_mode mode;
  size_t n_streams;
  size_t capacity;
  kf_stream_state *streams;
};

/* A count may reach this value but never pass it: the draw that would wrap to
 * 0 is refused, so no stream issues the same key twice between reseeds. */
#define COUNT_LIMIT ((uint64_t)UINT32_MAX)

static int is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/* Returns 1 or 0; borrows name (NULL is invalid). */
int kf_stream_name_valid(const char *name) {
  if (!name || !is_name_start(name[0])) return 0;
  size_t len = 1;
  for (; name[len] != '\0'; len++) {
    if (len >= KF_STREAM_NAME_MAX || !is_name_char(name[len])) return 0;
  }
  return 1;
}

/* Index of the real stream called `name`, or n_streams if there is none. */
static size_t find_stream(const kf_rngs *rngs, const char *name) {
  size_t i = 0;
  while (i < rngs->n_streams && strcmp(rngs->streams[i].name, name) != 0) i++;
  return i;
}

/* On success *out receives a new handle owned by the caller (kf_rngs_free). */
int kf_rngs_new(kf_threefry_mode mode, kf_rngs **out) {
  if (!out || !kf__mode_valid(mode)) return KF_EINVAL;
  kf_rngs *rngs = calloc(1, sizeof *rngs);
  if (!rngs) return KF_ENOMEM;
  rngs->mode = mode;
  *out = rngs;
  return KF_OK;
}

/* Takes ownership of rngs and frees it; NULL is a no-op. */
void kf_rngs_free(kf_rngs *rngs) {
  if (!rngs) return;
  free(rngs->streams);
  free(rngs);
}

/* Borrows rngs; returns a new handle owned by the caller, or NULL (NULL rngs, ENOMEM). */
kf_rngs *kf_rngs_clone(const kf_rngs *rngs) {
  if (!rngs) return NULL;
  kf_rngs *copy = malloc(sizeof *copy);
  if (!copy) return NULL;
  *copy = *rngs;
  copy->capacity = rngs->n_streams;
  copy->streams = NULL;
  if (rngs->n_streams) {
    copy->streams = malloc(rngs->n_streams * sizeof *copy->streams);
    if (!copy->streams) {
      free(copy);
      return NULL;
    }
    memcpy(copy->streams, rngs->streams, rngs->n_streams * sizeof *copy->streams);
  }
  return copy;
}

/* Borrows rngs. A NULL handle reports the library default, partitionable. */
kf_threefry_mode kf_rngs_mode(const kf_rngs *rngs) {
  return rngs ? rngs->mode : KF_THREEFRY_PARTITIONABLE;
}

/* Borrows rngs and name; copies name into the new stream. */
int kf_rngs_add_stream(kf_rngs *rngs, const char *name, kf_key key, uint32_t count) {
  if (!rngs || !kf_stream_name_valid(name)) return KF_EINVAL;
  if (find_stream(rngs, name) < rngs->n_streams) return KF_EEXIST;
  if (rngs->n_streams >= KF_RNGS_MAX_STREAMS) return KF_ERANGE;
  if (rngs->n_streams == rngs->capacity) {
    const size_t cap = rngs->capacity ? 2 * rngs->capacity : 3;
    kf_stream_state *grown = realloc(rngs->streams, cap * sizeof *grown);
    if (!grown) return KF_ENOMEM;
    rngs->streams = grown;
    rngs->capacity = cap;
  }
  kf_stream_state *s = &rngs->streams[rngs->n_streams];
  memset(s, 0, sizeof *s);
  strcpy(s->name, name); /* fits: kf_stream_name_valid bounds the length */
  s->key = key;
  s->count = count;
  rngs->n_streams++;
  return KF_OK;
}

/* Borrows rngs; 0 for NULL. */
size_t kf_rngs_stream_count(const kf_rngs *rngs) { return rngs ? rngs->n_streams : 0; }

/* Borrows rngs; copies the state into the caller's *out. */
int kf_rngs_stream_at(const kf_rngs *rngs, size_t i, kf_stream_state *out) {
  if (!rngs || !out) return KF_EINVAL;
  if (i >= rngs->n_streams) return KF_ERANGE;
  *out = rngs->streams[i];
  return KF_OK;
}

/* Borrows rngs and name; copies the state into *out when both are non-NULL. */
int kf_rngs_has_stream(const kf_rngs *rngs, const char *name, kf_stream_state *out) {
  if (!rngs || !name) return 0;
  const size_t i = find_stream(rngs, name);
  if (i >= rngs->n_streams) return 0;
  if (out) *out = rngs->streams[i];
  return 1;
}

/* Borrows rngs and name; *index may be NULL when only the outcome matters. */
int kf_rngs_resolve(const kf_rngs *rngs, const char *name, size_t *index) {
  if (!rngs) return KF_EINVAL;
  if (!name) name = KF_DEFAULT_STREAM;
  if (!kf_stream_name_valid(name)) return KF_EINVAL;
  size_t i = find_stream(rngs, name);
  if (i >= rngs->n_streams) i = find_stream(rngs, KF_DEFAULT_STREAM);
  if (i >= rngs->n_streams) return KF_ENOTFOUND;
  if (index) *index = i;
  return KF_OK;
}

/* The resolve-and-capacity check shared by kf_rngs_draw and kf_rngs_can_draw. */
static int check_draw(const kf_rngs *rngs, const char *name, size_t n, size_t *index) {
  const int rc = kf_rngs_resolve(rngs, name, index);
  if (rc != KF_OK) return rc;
  /* Compared as a subtraction so that no n, however large, can overflow. */
  const uint64_t room = COUNT_LIMIT - rngs->streams[*index].count;
  if ((uint64_t)n > room) return KF_EEXHAUSTED;
  return KF_OK;
}

/* Borrows rngs and name; writes n keys to the caller's keys array. */
int kf_rngs_draw(kf_rngs *rngs, const char *name, size_t n, kf_key *keys, uint32_t *first_count,
                 size_t *index) {
  if (n > 0 && !keys) return KF_EINVAL;
  size_t i;
  const int rc = check_draw(rngs, name, n, &i);
  if (rc != KF_OK) return rc;
  kf_stream_state *s = &rngs->streams[i];
  for (size_t j = 0; j < n; j++) keys[j] = kf_fold_in(s->key, s->count + (uint32_t)j);
  if (first_count) *first_count = s->count;
  if (index) *index = i;
  s->count += (uint32_t)n;
  return KF_OK;
}

/* Borrows rngs and name; changes nothing. */
int kf_rngs_can_draw(const kf_rngs *rngs, const char *name, size_t n) {
  size_t i;
  return check_draw(rngs, name, n, &i);
}

/* Borrows rngs and name. No fallback: reseeding 'default' through another
 * name would silently change every stream that falls back to it. */
int kf_rngs_reseed(kf_rngs *rngs, const char *name, kf_key key) {
  if (!rngs || !kf_stream_name_valid(name)) return KF_EINVAL;
  const size_t i = find_stream(rngs, name);
  if (i >= rngs->n_streams) return KF_ENOTFOUND;
  rngs->streams[i].key = key;
  rngs->streams[i].count = 0;
  return KF_OK;
}

/* Borrows name (NULL means 'default'); writes at most size bytes to the caller's buf. */
int kf_rngs_not_found_message(const char *name, char *buf, size_t size) {
  if (!name) name = KF_DEFAULT_STREAM;
  if (!buf) size = 0; /* still report the length, as snprintf(NULL, 0, ...) does */
  return snprintf(buf, size, "No RNG named '%s' or '%s' found in Rngs.", name, KF_DEFAULT_STREAM);
}
