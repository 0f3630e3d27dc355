/* keyfoldd — byte buffer and JSON writer. */
#include "buf.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kd_buf_init(kd_buf *b) { memset(b, 0, sizeof *b); }

void kd_buf_free(kd_buf *b) {
  free(b->data);
  kd_buf_init(b);
}

char *kd_buf_steal(kd_buf *b, size_t *len) {
  char *d = b->data;
  if (len) *len = b->len;
  kd_buf_init(b);
  return d;
}

int kd_buf_reserve(kd_buf *b, size_t n) {
  if (b->failed) return -1;
  if (n <= b->cap - b->len && b->cap - b->len - n >= 1) return 0;
  size_t need = b->len + n + 1;
  if (need < b->len) {
    b->failed = 1;
    return -1;
  }
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  char *d = realloc(b->data, cap);
  if (!d) {
    b->failed = 1;
    return -1;
  }
  b->data = d;
  b->cap = cap;
  return 0;
}

void kd_buf_append(kd_buf *b, const void *data, size_t n) {
  if (n == 0 || kd_buf_reserve(b, n) != 0) return;
  memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void kd_buf_puts(kd_buf *b, const char *s) { kd_buf_append(b, s, strlen(s)); }

void kd_buf_putc(kd_buf *b, char c) { kd_buf_append(b, &c, 1); }

void kd_buf_vprintf(kd_buf *b, const char *fmt, va_list ap) {
  if (b->failed) return;
  va_list ap2;
  va_copy(ap2, ap);
  char small[256];
  int n = vsnprintf(small, sizeof small, fmt, ap);
  if (n < 0) {
    b->failed = 1;
  } else if ((size_t)n < sizeof small) {
    kd_buf_append(b, small, (size_t)n);
  } else if (kd_buf_reserve(b, (size_t)n) == 0) {
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    b->len += (size_t)n;
  }
  va_end(ap2);
}

void kd_buf_printf(kd_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kd_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

int kd_format_f32(float v, char out[32]) {
  if (isnan(v)) return snprintf(out, 32, "NaN");
  if (isinf(v)) return snprintf(out, 32, v > 0 ? "Infinity" : "-Infinity");
  /* A normal float32 carries over 7 decimal digits, so when 6 digits
   * suffice %.6g already prints the shortest form; otherwise 7, 8 and at
   * most 9 (FLT_DECIMAL_DIG) are tried, keeping the first that reads back.
   * Subnormals carry fewer digits and are searched from 1. */
  int n = 0;
  for (int prec = fabsf(v) < FLT_MIN ? 1 : 6; prec <= 9; prec++) {
    n = snprintf(out, 32, "%.*g", prec, (double)v);
    if ((float)strtod(out, NULL) == v) break;
  }
  if (!strpbrk(out, ".eEn")) {
    out[n++] = '.';
    out[n++] = '0';
    out[n] = '\0';
  }
  return n;
}

void kd_jw_init(kd_jw *w, kd_buf *buf) {
  memset(w, 0, sizeof *w);
  w->buf = buf;
}

/* Separates this value from the previous one at the current level. */
static void before_value(kd_jw *w) {
  if (w->after_key) {
    w->after_key = 0;
    return;
  }
  if (w->depth > 0) {
    if (w->count[w->depth - 1]) kd_buf_putc(w->buf, ',');
    w->count[w->depth - 1] = 1;
  }
}

static void open(kd_jw *w, char c) {
  before_value(w);
  if (w->depth >= KD_JW_MAX_DEPTH) {
    w->buf->failed = 1;
    return;
  }
  w->count[w->depth++] = 0;
  kd_buf_putc(w->buf, c);
}

static void close_(kd_jw *w, char c) {
  if (w->depth > 0) w->depth--;
  kd_buf_putc(w->buf, c);
}

void kd_jw_object_begin(kd_jw *w) { open(w, '{'); }
void kd_jw_object_end(kd_jw *w) { close_(w, '}'); }
void kd_jw_array_begin(kd_jw *w) { open(w, '['); }
void kd_jw_array_end(kd_jw *w) { close_(w, ']'); }

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if it is invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_sequence(const unsigned char *p) {
  if (p[0] < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((p[0] & 0xE0) == 0xC0) {
    n = 2;
    cp = p[0] & 0x1Fu;
  } else if ((p[0] & 0xF0) == 0xE0) {
    n = 3;
    cp = p[0] & 0x0Fu;
  } else if ((p[0] & 0xF8) == 0xF0) {
    n = 4;
    cp = p[0] & 0x07u;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3Fu);
  }
  static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

/* Writes a JSON string. Invalid UTF-8 (a client's bytes cut mid-character,
 * say) becomes U+FFFD, so every body the daemon sends is valid JSON. */
static void write_escaped(kd_buf *b, const char *s) {
  kd_buf_putc(b, '"');
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    switch (*p) {
      case '"': kd_buf_puts(b, "\\\""); p++; continue;
      case '\\': kd_buf_puts(b, "\\\\"); p++; continue;
      case '\n': kd_buf_puts(b, "\\n"); p++; continue;
      case '\r': kd_buf_puts(b, "\\r"); p++; continue;
      case '\t': kd_buf_puts(b, "\\t"); p++; continue;
      default: break;
    }
    if (*p < 0x20 || *p == 0x7F) {
      kd_buf_printf(b, "\\u%04x", *p);
      p++;
      continue;
    }
    const size_t n = utf8_sequence(p);
    if (n == 0) {
      kd_buf_puts(b, "\\ufffd");
      p++;
    } else {
      kd_buf_append(b, p, n);
      p += n;
    }
  }
  kd_buf_putc(b, '"');
}

void kd_jw_key(kd_jw *w, const char *key) {
  before_value(w);
  write_escaped(w->buf, key);
  kd_buf_putc(w->buf, ':');
  w->after_key = 1;
}

void kd_jw_string(kd_jw *w, const char *s) {
  before_value(w);
  write_escaped(w->buf, s);
}

void kd_jw_int(kd_jw *w, int64_t v) {
  before_value(w);
  kd_buf_printf(w->buf, "%lld", (long long)v);
}

void kd_jw_uint(kd_jw *w, uint64_t v) {
  before_value(w);
  kd_buf_printf(w->buf, "%llu", (unsigned long long)v);
}

void kd_jw_bool(kd_jw *w, int v) {
  before_value(w);
  kd_buf_puts(w->buf, v ? "true" : "false");
}

void kd_jw_null(kd_jw *w) {
  before_value(w);
  kd_buf_puts(w->buf, "null");
}

void kd_jw_f32(kd_jw *w, float v) {
  char tmp[32];
  int n = kd_format_f32(v, tmp);
  before_value(w);
  if (!isfinite(v)) {
    kd_buf_putc(w->buf, '"');
    kd_buf_append(w->buf, tmp, (size_t)n);
    kd_buf_putc(w->buf, '"');
  } else {
    kd_buf_append(w->buf, tmp, (size_t)n);
  }
}

void kd_jw_double(kd_jw *w, double v) {
  before_value(w);
  if (!isfinite(v)) {
    kd_buf_puts(w->buf, isnan(v) ? "\"NaN\"" : v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char tmp[40];
  int n = snprintf(tmp, sizeof tmp, "%.17g", v);
  for (int prec = 1; prec < 17; prec++) {
    char t2[40];
    int m = snprintf(t2, sizeof t2, "%.*g", prec, v);
    if (strtod(t2, NULL) == v) {
      memcpy(tmp, t2, (size_t)m + 1);
      n = m;
      break;
    }
  }
  kd_buf_append(w->buf, tmp, (size_t)n);
  if (!strpbrk(tmp, ".eEn")) kd_buf_puts(w->buf, ".0");
}

void kd_jw_raw(kd_jw *w, const char *json, size_t n) {
  before_value(w);
  kd_buf_append(w->buf, json, n);
}
