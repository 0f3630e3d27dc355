/* keyfold — nnx.Rngs: named key streams with counters (spec: flax-nnx.md §1–§2).
 *
 * A kf_rngs is an opaque handle owning its streams. It is not synchronised:
 * callers that share one between threads must lock around every call.
 *
 * Stream semantics (every Flax era):
 *  - a stream holds a key and a uint32 count; drawing returns
 *    fold_in(key, count) and increments count;
 *  - a name that is not a stream falls back to the 'default' stream and shares
 *    its counter; with no 'default' stream the draw fails with KF_ENOTFOUND;
 *  - a draw that would take the count past 2^32 - 1 fails with KF_EEXHAUSTED,
 *    so no key is ever issued twice by a stream between two reseeds.
 * What the era of the Rngs changes (kf_flax_era):
 *  - reseed: Flax 0.9–0.10 set key := the given key; Flax >= 0.11 reseeds
 *    through a fresh Rngs, key := fold_in(the given key, 0); count := 0 in both;
 *  - models built from it (keyfold/nn.h): in 0.11+ a dropout forks its stream
 *    at construction and keeps it;
 *  - the not-found message (kf_flax_not_found_message).
 */
#ifndef KEYFOLD_RNGS_H
#define KEYFOLD_RNGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyfold/prng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Stream names match [A-Za-z_][A-Za-z0-9_]{0,63}. */
#define KF_STREAM_NAME_MAX 64
#define KF_DEFAULT_STREAM "default"
/* At most this many streams per Rngs. */
#define KF_RNGS_MAX_STREAMS 64

typedef struct kf_rngs kf_rngs;

/* The Flax NNX semantics an Rngs and the models built from it follow
 * (flax-nnx.md: the version map in §0, reseed in §2, Dropout in §4). */
typedef enum kf_flax_era {
  KF_FLAX_0_10 = 0, /* Flax 0.9–0.10, the default: a Dropout shares the model's Rngs;
                       reseed sets key := key(seed) */
  KF_FLAX_0_11 = 1  /* Flax >= 0.11 (0.11 and 0.12 draw alike): a Dropout forks its stream at
                       construction; reseed sets key := fold_in(key(seed), c) */
} kf_flax_era;

/* A stream's state, as read by kf_rngs_stream_at / restored by kf_rngs_add_stream. */
typedef struct kf_stream_state {
  char name[KF_STREAM_NAME_MAX + 1];
  kf_key key;
  uint32_t count;
} kf_stream_state;

/* Whether `name` is a valid stream name (NULL is not). */
bool kf_stream_name_valid(const char *name);

/* Creates an Rngs with no streams whose samplers (models, kf_rngs_mode) use
 * `mode`. On success *out is a new handle the caller frees with kf_rngs_free.
 * Returns KF_EINVAL for an unknown mode or NULL out, KF_ENOMEM. */
int kf_rngs_new(kf_threefry_mode mode, kf_rngs **out);

/* As kf_rngs_new, for Flax era `era`; kf_rngs_new is era KF_FLAX_0_10.
 * Returns KF_EINVAL for an unknown mode or era. */
int kf_rngs_new_era(kf_threefry_mode mode, kf_flax_era era, kf_rngs **out);

/* The era the Rngs was created with (KF_FLAX_0_10 for NULL). */
kf_flax_era kf_rngs_era(const kf_rngs *rngs);

/* Static name of an era ("0.10", "0.11"), NULL if unknown. */
const char *kf_flax_era_name(kf_flax_era era);

/* Frees an Rngs; NULL is allowed. */
void kf_rngs_free(kf_rngs *rngs);

/* Copies rngs: on success *out is a new handle with the same streams, counts
 * and mode, freed with kf_rngs_free. Returns KF_EINVAL for a NULL argument,
 * KF_ENOMEM (*out unchanged). */
int kf_rngs_clone(const kf_rngs *rngs, kf_rngs **out);

/* The threefry mode the Rngs was created with. */
kf_threefry_mode kf_rngs_mode(const kf_rngs *rngs);

/* Adds stream `name` with `key` and `count` (0 for a fresh stream; another
 * value restores saved state exactly). Returns KF_EINVAL for an invalid name,
 * KF_EEXIST if it exists, KF_ERANGE if more than KF_RNGS_MAX_STREAMS,
 * KF_ENOMEM. */
int kf_rngs_add_stream(kf_rngs *rngs, const char *name, kf_key key, uint32_t count);

/* Number of real streams (fallback names are not streams). */
size_t kf_rngs_stream_count(const kf_rngs *rngs);

/* Copies the state of the i-th stream, in insertion order, to *out.
 * Returns KF_ERANGE if i is out of range. */
int kf_rngs_stream_at(const kf_rngs *rngs, size_t i, kf_stream_state *out);

/* Whether a real stream is called `name` (no fallback); if so and out is not
 * NULL, copies its state to *out. */
bool kf_rngs_has_stream(const kf_rngs *rngs, const char *name, kf_stream_state *out);

/* Resolves `name` as a draw would: stores the index of the stream that serves
 * it (the named stream, else 'default') in *index. NULL name means 'default'.
 * Returns KF_EINVAL for an invalid name, KF_ENOTFOUND if neither exists. */
int kf_rngs_resolve(const kf_rngs *rngs, const char *name, size_t *index);

/* Draws n consecutive keys from stream `name` (with fallback), all or
 * nothing: keys[i] = fold_in(key, count + i); count += n. On success stores the
 * first count used in *first_count and the serving stream's index in *index
 * (either may be NULL; keys may be NULL only when n is 0).
 * Returns KF_EINVAL / KF_ENOTFOUND as kf_rngs_resolve, KF_EEXHAUSTED if
 * count + n would pass 2^32 - 1 (nothing is drawn then). */
int kf_rngs_draw(kf_rngs *rngs, const char *name, size_t n, kf_key *keys, uint32_t *first_count,
                 size_t *index);

/* Checks that n draws from `name` would succeed, without drawing. */
int kf_rngs_can_draw(const kf_rngs *rngs, const char *name, size_t n);

/* nnx.reseed(rngs, name=key) for one stream, count := 0 and, by the Rngs'
 * era, key := key (0.10) or key := fold_in(key, 0) (0.11+: the first key of
 * a fresh stream Rngs(name=key); an Rngs holds one stream per name, so the
 * fold_in count is always 0 here). The stream must exist (no fallback):
 * KF_ENOTFOUND otherwise. */
int kf_rngs_reseed(kf_rngs *rngs, const char *name, kf_key key);

/* Puts stream i back into a state read earlier by kf_rngs_stream_at (its
 * key and count; the name must match): the undo of a draw whose keys were
 * never handed out. KF_ERANGE for a bad index, KF_EINVAL for another name. */
int kf_rngs_set_stream(kf_rngs *rngs, size_t i, const kf_stream_state *state);

/* Formats the not-found message of Flax era `era` for `name` into buf, as
 * kf_rngs_not_found_message does: 0.10 as below, 0.11+ "No RngStream named
 * 'NAME' found in Rngs.". An unknown era formats 0.10's. */
size_t kf_flax_not_found_message(kf_flax_era era, const char *name, char *buf, size_t size);

/* Formats Flax 0.10's not-found message for `name` into buf (always
 * NUL-terminated when size > 0): "No RNG named 'NAME' or 'default' found in Rngs."
 * Returns the length the full message needs (without the NUL), as snprintf
 * does; it cannot fail. */
size_t kf_rngs_not_found_message(const char *name, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
