/* keyfoldd — a growable byte buffer and the JSON writer built on it.
 *
 * Every response body is written with these: one place decides how JSON is
 * spelled (escaping, float32 shortest round-trip form, non-finite floats).
 * Allocation failure is sticky: once a buffer has failed to grow, further
 * writes are ignored and kd_buf_failed() reports it, so callers check once at
 * the end instead of after every write.
 */
#ifndef KEYFOLDD_BUF_H
#define KEYFOLDD_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kd_buf {
  char *data; /* owned; NUL-terminated when len > 0 */
  size_t len;
  size_t cap;
  int failed;
} kd_buf;

void kd_buf_init(kd_buf *b);
/* Frees the buffer's memory and re-initialises it. */
void kd_buf_free(kd_buf *b);
/* Takes ownership of the bytes: returns data (caller frees), leaves b empty. */
char *kd_buf_steal(kd_buf *b, size_t *len);
void kd_buf_append(kd_buf *b, const void *data, size_t n);
void kd_buf_puts(kd_buf *b, const char *s);
void kd_buf_putc(kd_buf *b, char c);
void kd_buf_printf(kd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kd_buf_vprintf(kd_buf *b, const char *fmt, va_list ap);
/* Appends count items of item_size bytes (1, 2, 4 or 8), each in
 * little-endian byte order whatever the host's (the .npy and safetensors
 * files' data). */
void kd_buf_append_le(kd_buf *b, const void *items, size_t count, size_t item_size);
/* 1 on a little-endian host. */
int kd_host_little_endian(void);
/* Makes room for n more bytes; returns 0 on success. */
int kd_buf_reserve(kd_buf *b, size_t n);
static inline int kd_buf_failed(const kd_buf *b) { return b->failed; }

/* Formats a float32 in the shortest decimal that parses (as a double, then
 * rounded to float32) back to the same value, always with a '.' or an
 * exponent so JSON readers see a real number ("1.0", "0.947667", "1e-05").
 * Non-finite values become "NaN", "Infinity" or "-Infinity" (the caller
 * decides whether to quote them). Returns the length written; out needs 32 bytes. */
int kd_format_f32(float v, char out[32]);

/* Streaming JSON writer. Commas between members and elements are inserted
 * automatically; nesting deeper than KD_JW_MAX_DEPTH sets the buffer failed. */
#define KD_JW_MAX_DEPTH 32
typedef struct kd_jw {
  kd_buf *buf;
  int depth;
  unsigned char count[KD_JW_MAX_DEPTH]; /* 0: nothing written yet at this level */
  int after_key;
} kd_jw;

void kd_jw_init(kd_jw *w, kd_buf *buf);
void kd_jw_object_begin(kd_jw *w);
void kd_jw_object_end(kd_jw *w);
void kd_jw_array_begin(kd_jw *w);
void kd_jw_array_end(kd_jw *w);
void kd_jw_key(kd_jw *w, const char *key);
void kd_jw_string(kd_jw *w, const char *s);
void kd_jw_int(kd_jw *w, int64_t v);
void kd_jw_uint(kd_jw *w, uint64_t v);
void kd_jw_bool(kd_jw *w, int v);
void kd_jw_null(kd_jw *w);
/* A float32 as kd_format_f32 spells it; non-finite values as JSON strings. */
void kd_jw_f32(kd_jw *w, float v);
void kd_jw_double(kd_jw *w, double v);
/* Writes already-encoded JSON text as one value. */
void kd_jw_raw(kd_jw *w, const char *json, size_t n);

#endif
