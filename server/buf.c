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

/* ------------------------------------------------------------ float32 text
 *
 * kd_format_f32 prints what this search prints, string for string:
 *
 *   for p = 6, 7, 8, 9 (from 1 for subnormals):
 *     s = snprintf("%.{p}g", (double)v); stop if (float)strtod(s) == v
 *   append ".0" if s has neither '.' nor an exponent
 *
 * (tests/f32fmt_ref.h keeps that search verbatim; tests/test_f32fmt.c and
 * tests/f32fmt_exhaustive.c compare with it, the latter over all 2^32 bit
 * patterns). It is not quite the shortest round-trip form: at a power of two
 * the p-digit rounding of v may miss the narrower half of v's interval while
 * another p-digit decimal is in it; then it prints p + 1 digits, and so does
 * this formatter, so that no string changes.
 *
 * The fast path does the same search without libc. The digits: v = m * 2^e
 * is scaled by 10^s to 2v * 10^s in [2e8, 2e9), computed exactly in 128-bit
 * integers (floor and whether anything was cut off), which gives the
 * correctly rounded p-digit decimal for every p <= 9 as %.{p}g does (round to
 * nearest, ties to even, on the exact value). The check: D * 10^q with
 * D < 2^53 and |q| <= 22 is one correctly rounded multiplication or division
 * of two exact doubles, which is what strtod returns (Clinger's fast path);
 * other exponents format the candidate and call strtod. Subnormals and
 * |v| < 1e-36 take the snprintf search itself. Needs float arithmetic in its
 * own precision (FLT_EVAL_METHOD 0, as on x86-64 and AArch64); elsewhere only
 * the search is used. */

/* The search above. */
static int format_f32_search(float v, char out[32]) {
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

#if FLT_EVAL_METHOD == 0 && defined(__SIZEOF_INT128__)
#define KD_F32_FAST 1

__extension__ typedef unsigned __int128 u128;

static const uint32_t pow10_u32[10] = {1,      10,      100,      1000,      10000,
                                       100000, 1000000, 10000000, 100000000, 1000000000};

/* 10^0 .. 10^22: exact doubles. */
static const double pow10_f64[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* 5^n for 0 <= n <= 44 (5^27 is the last below 2^64). */
static u128 pow5(int n) {
  static const uint64_t small[28] = {
      1ull,
      5ull,
      25ull,
      125ull,
      625ull,
      3125ull,
      15625ull,
      78125ull,
      390625ull,
      1953125ull,
      9765625ull,
      48828125ull,
      244140625ull,
      1220703125ull,
      6103515625ull,
      30517578125ull,
      152587890625ull,
      762939453125ull,
      3814697265625ull,
      19073486328125ull,
      95367431640625ull,
      476837158203125ull,
      2384185791015625ull,
      11920928955078125ull,
      59604644775390625ull,
      298023223876953125ull,
      1490116119384765625ull,
      7450580596923828125ull,
  };
  if (n <= 27) return small[n];
  return (u128)small[27] * small[n - 27];
}

/* floor(2 * m * 2^e * 10^s) into *y, and whether that dropped a nonzero
 * fraction into *sticky; -1 if it needs more than 128 bits. */
static int scaled2(uint32_t m, int e, int s, uint64_t *y, int *sticky) {
  if (s >= 0) {
    if (s > 44) return -1;
    const u128 p = pow5(s) * m; /* < 2^103 * 2^24 */
    const int sh = e + 1 + s;
    if (sh >= 0) {
      if (sh > 32) return -1; /* cannot happen for a 10-digit result */
      *y = (uint64_t)(p << sh);
      *sticky = 0;
    } else {
      if (-sh >= 127) return -1;
      *y = (uint64_t)(p >> -sh);
      *sticky = (p & (((u128)1 << -sh) - 1)) != 0;
    }
  } else {
    const int t = -s, sh = e + 1 - t;
    if (t > 44 || sh < 0 || sh > 100) return -1;
    const u128 n = (u128)m << sh, d = pow5(t);
    *y = (uint64_t)(n / d);
    *sticky = n % d != 0;
  }
  return 0;
}

/* Whether D * 10^q reads back (strtod, then float) as a; -1 if |q| > 22. */
static int reads_back(uint32_t d, int q, float a) {
  double x;
  if (q >= 0 && q <= 22)
    x = (double)d * pow10_f64[q];
  else if (q < 0 && q >= -22)
    x = (double)d / pow10_f64[-q];
  else
    return -1;
  return (float)x == a;
}

/* Writes D (p digits) with decimal exponent x as %.{p}g does, then ".0" if
 * that has neither '.' nor exponent; returns the length. */
static int spell(char *out, int neg, uint32_t d, int p, int x) {
  char dig[10];
  for (int i = p - 1; i >= 0; i--) {
    dig[i] = (char)('0' + d % 10);
    d /= 10;
  }
  int nd = p;
  while (nd > 1 && dig[nd - 1] == '0') nd--;
  char *o = out;
  if (neg) *o++ = '-';
  if (x < -4 || x >= p) {
    *o++ = dig[0];
    if (nd > 1) {
      *o++ = '.';
      memcpy(o, dig + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    *o++ = 'e';
    *o++ = x < 0 ? '-' : '+';
    const int ax = x < 0 ? -x : x;
    if (ax >= 100) *o++ = (char)('0' + ax / 100);
    *o++ = (char)('0' + ax / 10 % 10);
    *o++ = (char)('0' + ax % 10);
  } else if (x >= 0) {
    for (int i = 0; i <= x; i++) *o++ = i < nd ? dig[i] : '0';
    *o++ = '.';
    if (nd > x + 1) {
      memcpy(o, dig + x + 1, (size_t)(nd - x - 1));
      o += nd - x - 1;
    } else {
      *o++ = '0';
    }
  } else {
    *o++ = '0';
    *o++ = '.';
    for (int i = -1; i > x; i--) *o++ = '0';
    memcpy(o, dig, (size_t)nd);
    o += nd;
  }
  *o = '\0';
  return (int)(o - out);
}

/* The search, without libc where it can; -1 where it cannot. */
static int format_f32_fast(float v, char out[32]) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  const int neg = (int)(bits >> 31);
  const int biased = (int)(bits >> 23 & 0xFF);
  if (biased == 0) return -1; /* zero, subnormal: the search */
  const uint32_t m = (bits & 0x7FFFFFu) | 0x800000u;
  const int e = biased - 150; /* |v| = m * 2^e, in [2^b, 2^(b+1)) */
  const int b = e + 23;
  /* floor(b * log10(2)) (78913 / 2^18 is exact enough for |b| < 1650) */
  int k = b >= 0 ? (b * 78913) >> 18 : -((-b * 78913 + 262143) >> 18);
  uint64_t y;
  int sticky;
  /* k is floor(log10 |v|) or one less: then 2|v| * 10^(8-k) >= 2e9 (the
   * other test is for an estimate one too high, which should not happen). */
  if (scaled2(m, e, 8 - k, &y, &sticky) != 0) return -1;
  if (y >= 2000000000u || y < 200000000u) {
    k += y >= 2000000000u ? 1 : -1;
    if (scaled2(m, e, 8 - k, &y, &sticky) != 0) return -1;
    if (y >= 2000000000u || y < 200000000u) return -1;
  }
  /* |v| * 10^(8-k) = f + frac, f of 9 digits; half: frac >= 1/2;
   * sticky: frac is neither 0 nor 1/2. */
  const uint32_t f = (uint32_t)(y >> 1);
  const int half = (int)(y & 1);
  float a;
  const uint32_t abits = bits & 0x7FFFFFFFu;
  memcpy(&a, &abits, sizeof a);
  for (int p = 6; p <= 9; p++) {
    const uint32_t div = pow10_u32[9 - p];
    uint32_t d = f / div;
    int up;
    if (p == 9) {
      up = half && (sticky || (d & 1));
    } else {
      const uint32_t r = f % div, h = div / 2;
      up = r > h || (r == h && (half || sticky || (d & 1)));
    }
    d += (uint32_t)up;
    int x = k;
    if (d == pow10_u32[p]) { /* 99…9.5 became 10^p */
      d /= 10;
      x++;
    }
    int ok = p == 9 ? 1 : reads_back(d, x - p + 1, a);
    if (ok < 0) { /* exponent out of the fast range: as the search does it */
      const int n = spell(out, neg, d, p, x);
      ok = (float)strtod(out, NULL) == v;
      if (ok) return n;
      continue;
    }
    if (ok) return spell(out, neg, d, p, x);
  }
  return -1; /* not reached: 9 digits always read back */
}
#endif

int kd_format_f32(float v, char out[32]) {
  if (isnan(v)) return snprintf(out, 32, "NaN");
  if (isinf(v)) return snprintf(out, 32, v > 0 ? "Infinity" : "-Infinity");
#ifdef KD_F32_FAST
  const int n = format_f32_fast(v, out);
  if (n >= 0) return n;
#endif
  return format_f32_search(v, out);
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
    /* Names, stream names and messages are mostly plain ASCII: copy each
     * run of it at once. */
    const unsigned char *run = p;
    while (*p >= 0x20 && *p < 0x7F && *p != '"' && *p != '\\') p++;
    if (p > run) {
      kd_buf_append(b, run, (size_t)(p - run));
      continue;
    }
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

/* The decimal digits of v, written backwards from end; returns the first. */
static char *decimal(uint64_t v, char *end) {
  char *p = end;
  do {
    *--p = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return p;
}

void kd_jw_int(kd_jw *w, int64_t v) {
  char tmp[24];
  char *end = tmp + sizeof tmp;
  /* The magnitude as unsigned, so INT64_MIN needs no special case. */
  char *p = decimal(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, end);
  if (v < 0) *--p = '-';
  before_value(w);
  kd_buf_append(w->buf, p, (size_t)(end - p));
}

void kd_jw_uint(kd_jw *w, uint64_t v) {
  char tmp[24];
  char *end = tmp + sizeof tmp;
  char *p = decimal(v, end);
  before_value(w);
  kd_buf_append(w->buf, p, (size_t)(end - p));
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

int kd_host_little_endian(void) {
  const uint16_t one = 1;
  unsigned char first;
  memcpy(&first, &one, 1);
  return first == 1;
}

void kd_buf_append_le(kd_buf *b, const void *items, size_t count, size_t item_size) {
  const unsigned char *src = items;
  if (item_size == 1 || kd_host_little_endian()) {
    kd_buf_append(b, src, count * item_size);
    return;
  }
  for (size_t i = 0; i < count; i++) {
    unsigned char le[8];
    for (size_t k = 0; k < item_size; k++) le[k] = src[i * item_size + item_size - 1 - k];
    kd_buf_append(b, le, item_size);
  }
}
