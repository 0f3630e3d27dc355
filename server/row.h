/* keyfoldd — what the durable store keeps of a session, independent of the
 * backend that keeps it: its row (name, canonical creation spec, model
 * checksum, streams) and the checks that catch a damaged row.
 *
 * Streams are stored as a compact blob, per stream: one byte of name
 * length, the name, then hi, lo and count as little-endian uint32. The
 * Rngs' streams come first; the streams a Flax >= 0.11 model's layers hold
 * follow after a zero byte (no name is empty), in the same form with their
 * tag as the name. A blob without the zero byte — every row written before
 * models held streams — has none.
 */
#ifndef KEYFOLDD_ROW_H
#define KEYFOLDD_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "keyfold/keyfold.h"

/* A session's model holds at most this many streams (one per 0.11+
 * dropout), so that a session has at most KD_STREAMS_MAX in all. */
#define KD_HELD_STREAMS_MAX KF_RNGS_MAX_STREAMS
#define KD_STREAMS_MAX (KF_RNGS_MAX_STREAMS + KD_HELD_STREAMS_MAX)

/* What changed in a session (or, for UNFENCE, in the store). */
typedef enum kd_change {
  KD_CHANGE_CREATE,  /* a new session: its row is written whole */
  KD_CHANGE_STATE,   /* its streams advanced (draws) */
  KD_CHANGE_STATS,   /* its batch statistics changed (and perhaps its streams): always written */
  KD_CHANGE_RESEED,  /* its stream keys were replaced */
  KD_CHANGE_DELETE,  /* its row goes */
  KD_CHANGE_UNFENCE, /* the store's restored-from-snapshot marker goes (no session) */
  KD_CHANGE_CLAIM    /* counts of one stream claimed in the store itself (backend.h) */
} kd_change;

/* A stored row after its checks passed and its streams were decoded. The
 * strings are borrowed from the backend for the duration of a callback. */
typedef struct kd_row {
  const char *name;
  const char *spec;      /* canonical creation spec (spec.h) */
  uint64_t checksum;     /* kd_model_checksum of the model the spec builds */
  kf_stream_state streams[KD_STREAMS_MAX]; /* the Rngs', then the model's */
  size_t n_streams;                        /* the Rngs' */
  size_t n_held;                           /* the model's, after them */
  const unsigned char *stats;              /* n_stats float32 LE batch statistics, or NULL */
  size_t n_stats;
  uint64_t version;                        /* the row's version (replicas) */
} kd_row;

/* The blob of n Rngs streams followed by n_held held streams (streams has
 * n + n_held entries); returns a new malloc'd buffer of *len bytes, or NULL
 * on ENOMEM. */
unsigned char *kd_row_encode_streams(const kf_stream_state *streams, size_t n, size_t n_held, size_t *len);

/* The same with the model's batch statistics (n_stats floats; none: NULL, 0). */
unsigned char *kd_row_encode(const kf_stream_state *streams, size_t n, size_t n_held, const float *stats,
                             size_t n_stats, size_t *len);

/* kd_row_decode_streams that also finds the statistics: *stats points into
 * the blob (n_stats little-endian float32), NULL when it has none. */
int kd_row_decode(const unsigned char *blob, size_t len, kf_stream_state *out, size_t *n, size_t *n_held,
                  const unsigned char **stats, size_t *n_stats);

/* Decodes a blob into at most KF_RNGS_MAX_STREAMS Rngs streams (*n) followed
 * by at most KD_HELD_STREAMS_MAX held ones (*n_held). Returns 0, or -1 if it
 * is malformed (bad lengths, invalid or too many names, an empty held
 * section). */
int kd_row_decode_streams(const unsigned char *blob, size_t len, kf_stream_state *out, size_t *n,
                          size_t *n_held);

/* The byte offset, in the blob of streams[0..i] (Rngs streams, encoded as
 * kd_row_encode does), of stream i's count. */
size_t kd_row_count_offset(const kf_stream_state *streams, size_t i);

/* The offsets of every stream's count in a blob (Rngs streams, then held
 * ones) into offsets (KD_STREAMS_MAX entries); the number of streams, or -1
 * if the blob is malformed. */
int kd_row_count_offsets(const unsigned char *blob, size_t len, size_t *offsets);

/* Checks stored beside each row, so that damage inside a row — which leaves
 * the backend's pages well formed — is caught at recovery instead of
 * restoring, say, a smaller count. FNV-1a 64 over the fields. */
uint64_t kd_row_spec_check(const char *name, const char *spec, uint64_t checksum);
uint64_t kd_row_streams_check(const char *name, const unsigned char *blob, size_t len);

/* kd_row_streams_check of the blob with the four bytes at each of offsets
 * (n of them, ascending, as kd_row_count_offsets gives them) read as zero:
 * a check that a change of counts alone leaves as it is. */
uint64_t kd_row_streams_check_without(const char *name, const unsigned char *blob, size_t len,
                                      const size_t *offsets, size_t n);

/* 64-bit FNV-1a over a model's parameters, the check that a model re-derived
 * from its spec at recovery is the one the session was created with. 0 for NULL. */
uint64_t kd_model_checksum(const kf_model *model);

#endif
