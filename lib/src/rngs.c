/* keyfold — nnx.Rngs: named key streams with uint32 counters (flax-nnx.md §1–§2).
 *
 * A daemon keeps one Rngs per session, a million of them at once, so the
 * layout is compact: the handle (24 bytes) and one block holding the
 * streams, 16 bytes each in insertion order, followed by their names packed
 * end to end, each NUL-terminated. An Rngs with three streams costs about
 * 110 bytes of heap in two allocations. Only kf_rngs_add_stream (and clone)
 * allocate; drawing and reseeding never can fail for lack of memory.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "keyfold/error.h"
#include "keyfold/prng.h"
#include "keyfold/rngs.h"
#include "mode.h"

/* One stream: its key, its count and where its name lies among the names. */
typedef struct stream {
  kf_key key;
  uint32_t count;
  uint16_t name_off; /* into the names, which follow the streams in the block */
  uint8_t name_len;  /* at most KF_STREAM_NAME_MAX */
} stream;

/* Names take at most KF_RNGS_MAX_STREAMS * (KF_STREAM_NAME_MAX + 1) bytes,
 * and capacity never passes 2 * KF_RNGS_MAX_STREAMS: both fit their types. */
struct kf_rngs {
  kf_threefry_mode mode;
  uint8_t era;         /* kf_flax_era */
  uint8_t n_streams;
  uint8_t capacity;    /* streams the block has room for */
  uint16_t names_len;  /* bytes of names in use */
  uint16_t names_cap;  /* bytes of names the block has room for */
  stream *streams;     /* the block: capacity streams, then names_cap bytes; NULL when empty */
};

_Static_assert(2 * KF_RNGS_MAX_STREAMS <= UINT8_MAX, "capacity fits a uint8_t");
_Static_assert(4 * KF_RNGS_MAX_STREAMS * (KF_STREAM_NAME_MAX + 1) <= UINT16_MAX, "names fit uint16_t offsets");
_Static_assert(KF_STREAM_NAME_MAX <= UINT8_MAX, "a name's length fits a uint8_t");

/* The names of the streams, right after the room for `capacity` streams. */
static char *names_of(const kf_rngs *rngs) {
  return (char *)(rngs->streams + rngs->capacity);
}

static const char *name_at(const kf_rngs *rngs, size_t i) {
  return names_of(rngs) + rngs->streams[i].name_off;
}

/* A count may reach this value but never pass it: the draw that would wrap to
 * 0 is refused, so no stream issues the same key twice between reseeds. */
#define COUNT_LIMIT ((uint64_t)UINT32_MAX)

static int is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/* Borrows name (NULL is invalid). */
bool kf_stream_name_valid(const char *name) {
  if (!name || !is_name_start(name[0])) return false;
  size_t len = 1;
  for (; name[len] != '\0'; len++) {
    if (len >= KF_STREAM_NAME_MAX || !is_name_char(name[len])) return false;
  }
  return true;
}

/* Index of the real stream called `name`, or n_streams if there is none. */
static size_t find_stream(const kf_rngs *rngs, const char *name) {
  size_t i = 0;
  while (i < rngs->n_streams && strcmp(name_at(rngs, i), name) != 0) i++;
  return i;
}

/* Moves rngs to a block with room for `capacity` streams and `names_cap`
 * bytes of names (at least what it holds). KF_ENOMEM leaves it unchanged. */
static int resize(kf_rngs *rngs, size_t capacity, size_t names_cap) {
  stream *block = kf__malloc(capacity * sizeof(stream) + names_cap);
  if (!block) return KF_ENOMEM;
  if (rngs->n_streams) {
    memcpy(block, rngs->streams, rngs->n_streams * sizeof(stream));
    memcpy((char *)(block + capacity), names_of(rngs), rngs->names_len);
  }
  kf__free(rngs->streams);
  rngs->streams = block;
  rngs->capacity = (uint8_t)capacity;
  rngs->names_cap = (uint16_t)names_cap;
  return KF_OK;
}

static bool era_valid(kf_flax_era era) { return era == KF_FLAX_0_10 || era == KF_FLAX_0_11; }

/* On success *out receives a new handle owned by the caller (kf_rngs_free). */
int kf_rngs_new_era(kf_threefry_mode mode, kf_flax_era era, kf_rngs **out) {
  if (!out || !kf__mode_valid(mode) || !era_valid(era)) return KF_EINVAL;
  kf_rngs *rngs = kf__calloc(1, sizeof *rngs);
  if (!rngs) return KF_ENOMEM;
  rngs->mode = mode;
  rngs->era = (uint8_t)era;
  *out = rngs;
  return KF_OK;
}

int kf_rngs_new(kf_threefry_mode mode, kf_rngs **out) { return kf_rngs_new_era(mode, KF_FLAX_0_10, out); }

/* Borrows rngs. */
kf_flax_era kf_rngs_era(const kf_rngs *rngs) { return rngs ? (kf_flax_era)rngs->era : KF_FLAX_0_10; }

/* Returns a static string. */
const char *kf_flax_era_name(kf_flax_era era) {
  switch (era) {
    case KF_FLAX_0_10: return "0.10";
    case KF_FLAX_0_11: return "0.11";
  }
  return NULL;
}

/* Takes ownership of rngs and frees it; NULL is a no-op. */
void kf_rngs_free(kf_rngs *rngs) {
  if (!rngs) return;
  kf__free(rngs->streams);
  kf__free(rngs);
}

/* Borrows rngs; on success *out is a new handle owned by the caller (kf_rngs_free). */
int kf_rngs_clone(const kf_rngs *rngs, kf_rngs **out) {
  if (!rngs || !out) return KF_EINVAL;
  kf_rngs *copy = kf__calloc(1, sizeof *copy);
  if (!copy) return KF_ENOMEM;
  copy->mode = rngs->mode;
  copy->era = rngs->era;
  if (rngs->n_streams && resize(copy, rngs->n_streams, rngs->names_len) != KF_OK) {
    kf__free(copy);
    return KF_ENOMEM;
  }
  if (rngs->n_streams) {
    memcpy(copy->streams, rngs->streams, rngs->n_streams * sizeof(stream));
    memcpy(names_of(copy), names_of(rngs), rngs->names_len);
  }
  copy->n_streams = rngs->n_streams;
  copy->names_len = rngs->names_len;
  *out = copy;
  return KF_OK;
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
  const size_t len = strlen(name); /* at most KF_STREAM_NAME_MAX: the name is valid */
  if (rngs->n_streams == rngs->capacity || rngs->names_len + len + 1 > rngs->names_cap) {
    /* Room for three streams with names of up to seven characters at first
     * (default, params, dropout), then doubling. */
    size_t cap = rngs->capacity, names_cap = rngs->names_cap;
    if (rngs->n_streams == cap) cap = cap ? 2 * cap : 3;
    if (names_cap < 24) names_cap = 24;
    while (rngs->names_len + len + 1 > names_cap) names_cap *= 2;
    const int rc = resize(rngs, cap, names_cap);
    if (rc != KF_OK) return rc;
  }
  stream *s = &rngs->streams[rngs->n_streams];
  s->key = key;
  s->count = count;
  s->name_off = rngs->names_len;
  s->name_len = (uint8_t)len;
  memcpy(names_of(rngs) + rngs->names_len, name, len + 1);
  rngs->names_len = (uint16_t)(rngs->names_len + len + 1);
  rngs->n_streams++;
  return KF_OK;
}

/* Copies stream i's state into *out (which is zeroed past the name). */
static void state_at(const kf_rngs *rngs, size_t i, kf_stream_state *out) {
  const stream *s = &rngs->streams[i];
  memset(out, 0, sizeof *out);
  memcpy(out->name, name_at(rngs, i), s->name_len);
  out->key = s->key;
  out->count = s->count;
}

/* Borrows rngs; 0 for NULL. */
size_t kf_rngs_stream_count(const kf_rngs *rngs) { return rngs ? rngs->n_streams : 0; }

/* Borrows rngs; copies the state into the caller's *out. */
int kf_rngs_stream_at(const kf_rngs *rngs, size_t i, kf_stream_state *out) {
  if (!rngs || !out) return KF_EINVAL;
  if (i >= rngs->n_streams) return KF_ERANGE;
  state_at(rngs, i, out);
  return KF_OK;
}

/* Borrows rngs and name; copies the state into *out when both are non-NULL. */
bool kf_rngs_has_stream(const kf_rngs *rngs, const char *name, kf_stream_state *out) {
  if (!rngs || !name) return false;
  const size_t i = find_stream(rngs, name);
  if (i >= rngs->n_streams) return false;
  if (out) state_at(rngs, i, out);
  return true;
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
  stream *s = &rngs->streams[i];
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
  rngs->streams[i].key = rngs->era == KF_FLAX_0_10 ? key : kf_fold_in(key, 0);
  rngs->streams[i].count = 0;
  return KF_OK;
}

int kf_rngs_set_stream(kf_rngs *rngs, size_t i, const kf_stream_state *state) {
  if (!rngs || !state) return KF_EINVAL;
  if (i >= rngs->n_streams) return KF_ERANGE;
  kf_stream_state now;
  kf_rngs_stream_at(rngs, i, &now);
  if (strcmp(now.name, state->name) != 0) return KF_EINVAL;
  rngs->streams[i].key = state->key;
  rngs->streams[i].count = state->count;
  return KF_OK;
}

/* Borrows name (NULL means 'default'); writes at most size bytes to the caller's buf. */
size_t kf_flax_not_found_message(kf_flax_era era, const char *name, char *buf, size_t size) {
  if (!name) name = KF_DEFAULT_STREAM;
  if (!buf) size = 0; /* still report the length, as snprintf(NULL, 0, ...) does */
  /* Only a format error makes snprintf negative, and these formats have none. */
  const int n = era == KF_FLAX_0_11
                    ? snprintf(buf, size, "No RngStream named '%s' found in Rngs.", name)
                    : snprintf(buf, size, "No RNG named '%s' or '%s' found in Rngs.", name, KF_DEFAULT_STREAM);
  return n > 0 ? (size_t)n : 0;
}

size_t kf_rngs_not_found_message(const char *name, char *buf, size_t size) {
  return kf_flax_not_found_message(KF_FLAX_0_10, name, buf, size);
}
