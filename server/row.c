/* keyfoldd — a session's stored row: the streams blob and the row checks. */
#include "row.h"

#include <stdlib.h>
#include <stdint.h>
#include <string.h>

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned char *put_stream(unsigned char *p, const kf_stream_state *st) {
  const size_t nl = strlen(st->name);
  *p++ = (unsigned char)nl;
  memcpy(p, st->name, nl);
  p += nl;
  put_u32(p, st->key.hi);
  put_u32(p + 4, st->key.lo);
  put_u32(p + 8, st->count);
  return p + 12;
}

/* Marks the batch statistics section: no name is that long. */
#define STATS_MARK 0xFF

unsigned char *kd_row_encode(const kf_stream_state *streams, size_t n, size_t n_held, const float *stats,
                             size_t n_stats, size_t *len) {
  size_t total = n_held ? 1 : 0;
  for (size_t i = 0; i < n + n_held; i++) total += 1 + strlen(streams[i].name) + 12;
  if (n_stats > UINT32_MAX || n_stats > (SIZE_MAX - total - 5) / 4) return NULL;
  if (n_stats) total += 5 + 4 * n_stats;
  unsigned char *b = malloc(total ? total : 1);
  if (!b) return NULL;
  unsigned char *p = b;
  for (size_t i = 0; i < n; i++) p = put_stream(p, &streams[i]);
  if (n_held) *p++ = 0;
  for (size_t i = n; i < n + n_held; i++) p = put_stream(p, &streams[i]);
  if (n_stats) {
    *p++ = STATS_MARK;
    put_u32(p, (uint32_t)n_stats);
    p += 4;
    for (size_t i = 0; i < n_stats; i++, p += 4) {
      uint32_t bits;
      memcpy(&bits, &stats[i], 4);
      put_u32(p, bits);
    }
  }
  *len = total;
  return b;
}

unsigned char *kd_row_encode_streams(const kf_stream_state *streams, size_t n, size_t n_held, size_t *len) {
  return kd_row_encode(streams, n, n_held, NULL, 0, len);
}

int kd_row_decode(const unsigned char *b, size_t len, kf_stream_state *out, size_t *n, size_t *n_held,
                  const unsigned char **stats, size_t *n_stats) {
  size_t i = 0, count = 0, held = 0;
  int in_held = 0;
  *n = *n_held = 0;
  if (stats) *stats = NULL;
  if (n_stats) *n_stats = 0;
  while (i < len) {
    const size_t nl = b[i++];
    if (nl == STATS_MARK) {
      /* The statistics come last: a count and exactly that many floats. */
      if (len - i < 4) return -1;
      const size_t k = get_u32(b + i);
      i += 4;
      if ((len - i) / 4 != k || (len - i) % 4 != 0 || k == 0) return -1;
      if (stats) *stats = b + i;
      if (n_stats) *n_stats = k;
      break;
    }
    if (nl == 0) {
      /* The held section starts once and is not empty. */
      if (in_held || i == len) return -1;
      in_held = 1;
      continue;
    }
    if (nl > KF_STREAM_NAME_MAX || len - i < nl + 12) return -1;
    if (in_held ? held == KD_HELD_STREAMS_MAX : count == KF_RNGS_MAX_STREAMS) return -1;
    kf_stream_state *st = &out[count + held];
    if (in_held)
      held++;
    else
      count++;
    /* A NUL inside would make the stored length and the name disagree. */
    if (memchr(b + i, '\0', nl)) return -1;
    memcpy(st->name, b + i, nl);
    st->name[nl] = '\0';
    if (!kf_stream_name_valid(st->name)) return -1;
    i += nl;
    st->key = kf_key_from_data(get_u32(b + i), get_u32(b + i + 4));
    st->count = get_u32(b + i + 8);
    i += 12;
  }
  *n = count;
  *n_held = held;
  return 0;
}

int kd_row_decode_streams(const unsigned char *b, size_t len, kf_stream_state *out, size_t *n,
                          size_t *n_held) {
  return kd_row_decode(b, len, out, n, n_held, NULL, NULL);
}

size_t kd_row_count_offset(const kf_stream_state *streams, size_t i) {
  size_t at = 0;
  for (size_t j = 0; j < i; j++) at += 1 + strlen(streams[j].name) + 12;
  return at + 1 + strlen(streams[i].name) + 8;
}

int kd_row_count_offsets(const unsigned char *blob, size_t len, size_t *offsets) {
  kf_stream_state streams[KD_STREAMS_MAX];
  size_t n = 0, n_held = 0;
  if (kd_row_decode(blob, len, streams, &n, &n_held, NULL, NULL) != 0) return -1;
  size_t at = 0;
  for (size_t i = 0; i < n + n_held; i++) {
    if (i == n) at++; /* the held section's zero byte */
    offsets[i] = at + 1 + strlen(streams[i].name) + 8;
    at = offsets[i] + 4;
  }
  return (int)(n + n_held);
}

#define FNV_BASIS 0xcbf29ce484222325ull

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

uint64_t kd_row_spec_check(const char *name, const char *spec, uint64_t checksum) {
  unsigned char le[8];
  for (int i = 0; i < 8; i++) le[i] = (unsigned char)(checksum >> (8 * i));
  uint64_t h = fnv1a(FNV_BASIS, name, strlen(name) + 1);
  h = fnv1a(h, spec, strlen(spec) + 1);
  return fnv1a(h, le, 8);
}

uint64_t kd_row_streams_check(const char *name, const unsigned char *blob, size_t len) {
  return fnv1a(fnv1a(FNV_BASIS, name, strlen(name) + 1), blob, len);
}

uint64_t kd_row_streams_check_without(const char *name, const unsigned char *blob, size_t len,
                                      const size_t *offsets, size_t n) {
  static const unsigned char zero[4];
  uint64_t h = fnv1a(FNV_BASIS, name, strlen(name) + 1);
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    h = fnv1a(fnv1a(h, blob + at, offsets[i] - at), zero, 4);
    at = offsets[i] + 4;
  }
  return fnv1a(h, blob + at, len - at);
}

uint64_t kd_model_checksum(const kf_model *model) {
  if (!model) return 0;
  uint64_t h = FNV_BASIS;
  const size_t layers = kf_model_layer_count(model);
  for (size_t i = 0; i < layers; i++) {
    for (size_t j = 0; j < kf_model_param_count(model, i); j++) {
      kf_tensor t;
      if (kf_model_param(model, i, j, NULL, &t) != KF_OK) continue;
      size_t n = 0;
      kf_shape_numel(&t.shape, &n);
      h = fnv1a(h, t.data, n * sizeof(float));
    }
  }
  return h;
}
