/* keyfoldd — the NumPy .npy codec (npy.h).
 *
 * The format (numpy.lib.format): the magic "\x93NUMPY", a major and a minor
 * version byte, the header length (2 bytes little-endian in version 1.0, 4
 * in 2.0 and 3.0), the header — a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
 * spaces and ended by '\n' — and then the raw elements.
 */
#include "npy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/error.h"

static const unsigned char MAGIC[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* numpy aligns the data to this many bytes from the start of the file. */
#define ARRAY_ALIGN 64
/* numpy.lib.format.GROWTH_AXIS_MAX_DIGITS: numpy leaves room in the header
 * for the first dimension to grow to this many digits. */
#define GROWTH_AXIS_MAX_DIGITS 21
/* The longest header dict kd_npy_write produces (8 dimensions of 19 digits
 * and the growth padding) is well below this. */
#define HEADER_DICT_MAX 512

/* ---------------------------------------------------------------- writing */

static const char *descr_of(kf_dtype dtype) {
  switch (dtype) {
    case KF_FLOAT32: return "<f4";
    case KF_FLOAT64: return "<f8";
    case KF_INT32: return "<i4";
    case KF_INT64: return "<i8";
    case KF_UINT32: return "<u4";
    case KF_UINT16: return "<u2";
    case KF_UINT64: return "<u8";
    case KF_UINT8: return "|u1";
    case KF_BOOL: return "|b1";
  }
  return NULL;
}

/* Writes the header dict exactly as numpy's _write_array_header does
 * (without the final padding): keys sorted, repr() values, ", " after each,
 * then room for the first dimension to grow. Returns its length, 0 if the
 * tensor has no .npy form. */
static size_t header_dict(const kf_tensor *t, char out[HEADER_DICT_MAX]) {
  const char *descr = descr_of(t->dtype);
  if (!descr || t->shape.rank < 0 || t->shape.rank > KF_MAX_RANK) return 0;
  int n = snprintf(out, HEADER_DICT_MAX, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < t->shape.rank; i++)
    n += snprintf(out + n, HEADER_DICT_MAX - (size_t)n, "%s%lld", i ? ", " : "",
                  (long long)t->shape.dim[i]);
  n += snprintf(out + n, HEADER_DICT_MAX - (size_t)n, "%s), }", t->shape.rank == 1 ? "," : "");
  if (t->shape.rank > 0) {
    char first[32];
    const int digits = snprintf(first, sizeof first, "%lld", (long long)t->shape.dim[0]);
    for (int i = digits; i < GROWTH_AXIS_MAX_DIGITS; i++) out[n++] = ' ';
    out[n] = '\0';
  }
  return (size_t)n;
}

/* The header length field: the dict, its padding and the '\n', so that the
 * data starts at a multiple of ARRAY_ALIGN. Like numpy, a header that would
 * end exactly on the boundary still gets a whole ARRAY_ALIGN of padding. */
static size_t header_len(size_t dict_len) {
  const size_t hlen = dict_len + 1;
  return hlen + (ARRAY_ALIGN - (sizeof MAGIC + 2 + 2 + hlen) % ARRAY_ALIGN);
}

size_t kd_npy_size(const kf_tensor *t) {
  char dict[HEADER_DICT_MAX];
  size_t numel = 0;
  const size_t dict_len = header_dict(t, dict);
  if (dict_len == 0 || kf_shape_numel(&t->shape, &numel) != KF_OK) return 0;
  const size_t item = kf_dtype_size(t->dtype);
  if (numel > (SIZE_MAX - 1024) / item) return 0;
  return sizeof MAGIC + 4 + header_len(dict_len) + numel * item;
}

int kd_npy_write(kd_buf *b, const kf_tensor *t) {
  char dict[HEADER_DICT_MAX];
  const size_t total = kd_npy_size(t);
  const size_t dict_len = header_dict(t, dict);
  if (total == 0 || dict_len == 0) {
    b->failed = 1;
    return -1;
  }
  if (kd_buf_reserve(b, total) != 0) return -1;
  const size_t hl = header_len(dict_len);
  const unsigned char preamble[4] = {1, 0, (unsigned char)(hl & 0xFF), (unsigned char)(hl >> 8)};
  kd_buf_append(b, MAGIC, sizeof MAGIC);
  kd_buf_append(b, preamble, sizeof preamble);
  kd_buf_append(b, dict, dict_len);
  for (size_t i = dict_len + 1; i < hl; i++) kd_buf_putc(b, ' ');
  kd_buf_putc(b, '\n');
  size_t numel = 0;
  kf_shape_numel(&t->shape, &numel);
  kd_buf_append_le(b, t->data, numel, kf_dtype_size(t->dtype));
  return kd_buf_failed(b) ? -1 : 0;
}

/* ---------------------------------------------------------------- reading */

/* The header parser's state: the header bytes and a position in them. */
typedef struct hparse {
  const unsigned char *s;
  size_t n, i;
  const char *what;
  kd_err *err;
} hparse;

static int syntax(hparse *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A 400 about the header dict, with the header offset where it went wrong. */
static int syntax(hparse *h, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return kd_fail(h->err, KD_INVALID_ARGUMENT,
                 "%s: the .npy header is not a valid header dict: %s (at byte %zu of the header)",
                 h->what, msg, h->i);
}

static void skip_ws(hparse *h) {
  while (h->i < h->n && (h->s[h->i] == ' ' || h->s[h->i] == '\t' || h->s[h->i] == '\n' ||
                         h->s[h->i] == '\r'))
    h->i++;
}

static int at(const hparse *h, char c) { return h->i < h->n && h->s[h->i] == (unsigned char)c; }

/* A quoted string ('...' or "...") of printable ASCII without escapes. */
static int parse_string(hparse *h, char *out, size_t cap, const char *role) {
  if (!at(h, '\'') && !at(h, '"')) return syntax(h, "expected a quoted string as %s", role);
  const unsigned char quote = h->s[h->i++];
  size_t len = 0;
  while (h->i < h->n && h->s[h->i] != quote) {
    const unsigned char c = h->s[h->i];
    if (c == '\\') return syntax(h, "escape sequences are not supported in %s", role);
    if (c < 0x20 || c > 0x7E) return syntax(h, "%s contains a byte 0x%02x that is not printable ASCII", role, c);
    if (len + 1 >= cap) return syntax(h, "%s is longer than %zu characters", role, cap - 1);
    out[len++] = (char)c;
    h->i++;
  }
  if (h->i >= h->n) return syntax(h, "%s is not terminated", role);
  h->i++;
  out[len] = '\0';
  return 0;
}

/* True or False (a whole identifier). */
static int parse_bool(hparse *h, int *out) {
  static const char *const words[2] = {"False", "True"};
  for (int v = 0; v < 2; v++) {
    const size_t k = strlen(words[v]);
    if (h->n - h->i >= k && memcmp(h->s + h->i, words[v], k) == 0) {
      const size_t j = h->i + k;
      const int more = j < h->n && (h->s[j] == '_' || (h->s[j] >= '0' && h->s[j] <= '9') ||
                                    ((h->s[j] | 0x20) >= 'a' && (h->s[j] | 0x20) <= 'z'));
      if (!more) {
        h->i = j;
        *out = v;
        return 0;
      }
    }
  }
  return syntax(h, "fortran_order must be True or False");
}

/* A non-negative decimal integer as Python writes it (no sign, no leading
 * zeros, no underscores). 413 when it does not fit in int64. */
static int parse_dim(hparse *h, int index, int64_t *out) {
  if (at(h, '-')) return syntax(h, "shape[%d] is negative", index);
  if (h->i >= h->n || h->s[h->i] < '0' || h->s[h->i] > '9')
    return syntax(h, "expected a non-negative integer as shape[%d]", index);
  if (h->s[h->i] == '0' && h->i + 1 < h->n && h->s[h->i + 1] >= '0' && h->s[h->i + 1] <= '9')
    return syntax(h, "shape[%d] has a leading zero", index);
  uint64_t v = 0;
  while (h->i < h->n && h->s[h->i] >= '0' && h->s[h->i] <= '9') {
    const unsigned d = h->s[h->i] - '0';
    if (v > ((uint64_t)INT64_MAX - d) / 10)
      return kd_fail(h->err, KD_PAYLOAD_TOO_LARGE, "%s: the .npy shape[%d] is too large", h->what,
                     index);
    v = v * 10 + d;
    h->i++;
  }
  *out = (int64_t)v;
  return 0;
}

/* A tuple of at most KF_MAX_RANK dimensions: (), (3,), (2, 3), (2, 3,). */
static int parse_shape(hparse *h, int64_t dims[KF_MAX_RANK], int *rank) {
  *rank = 0;
  if (!at(h, '(')) return syntax(h, "shape must be a tuple of integers, e.g. (2, 3)");
  h->i++;
  skip_ws(h);
  int commas = 0;
  while (!at(h, ')')) {
    int64_t d = 0;
    if (*rank == KF_MAX_RANK)
      return kd_fail(h->err, KD_INVALID_ARGUMENT,
                     "%s: the .npy shape has more than %d dimensions; at most %d are supported",
                     h->what, KF_MAX_RANK, KF_MAX_RANK);
    if (parse_dim(h, *rank, &d) != 0) return -1;
    dims[(*rank)++] = d;
    skip_ws(h);
    if (at(h, ',')) {
      h->i++;
      commas++;
      skip_ws(h);
    } else if (!at(h, ')')) {
      return syntax(h, "expected ',' or ')' in shape");
    }
  }
  if (*rank == 1 && commas == 0)
    return syntax(h, "shape (n) is an integer, not a tuple: a 1-d shape is written (n,)");
  h->i++;
  return 0;
}

typedef struct header {
  char descr[16];
  int fortran_order;
  int64_t dims[KF_MAX_RANK];
  int rank;
} header;

/* The header dict: exactly the keys descr, fortran_order and shape, each
 * once, in any order, with an optional trailing comma; only whitespace may
 * follow it. */
static int parse_header(hparse *h, header *out) {
  enum { DESCR = 1, FORTRAN = 2, SHAPE = 4 };
  unsigned seen = 0;
  skip_ws(h);
  if (!at(h, '{')) return syntax(h, "expected '{'");
  h->i++;
  skip_ws(h);
  while (!at(h, '}')) {
    char key[32];
    if (parse_string(h, key, sizeof key, "a key") != 0) return -1;
    unsigned which = strcmp(key, "descr") == 0           ? DESCR
                     : strcmp(key, "fortran_order") == 0 ? FORTRAN
                     : strcmp(key, "shape") == 0         ? SHAPE
                                                         : 0;
    if (!which)
      return syntax(h, "unknown key '%s' (the keys are 'descr', 'fortran_order' and 'shape')", key);
    if (seen & which) return syntax(h, "the key '%s' appears twice", key);
    seen |= which;
    skip_ws(h);
    if (!at(h, ':')) return syntax(h, "expected ':' after '%s'", key);
    h->i++;
    skip_ws(h);
    int rc;
    if (which == DESCR) {
      if (at(h, '['))
        return kd_fail(h->err, KD_INVALID_ARGUMENT,
                       "%s: structured .npy dtypes (a list descr) are not supported", h->what);
      rc = parse_string(h, out->descr, sizeof out->descr, "descr");
    } else if (which == FORTRAN) {
      rc = parse_bool(h, &out->fortran_order);
    } else {
      rc = parse_shape(h, out->dims, &out->rank);
    }
    if (rc != 0) return -1;
    skip_ws(h);
    if (at(h, ',')) {
      h->i++;
      skip_ws(h);
    } else if (!at(h, '}')) {
      return syntax(h, "expected ',' or '}' after the value of '%s'", key);
    }
  }
  h->i++;
  skip_ws(h);
  if (h->i < h->n) return syntax(h, "unexpected bytes after the dict (only spaces and '\\n' may follow)");
  if (!(seen & DESCR)) return syntax(h, "the key 'descr' is missing");
  if (!(seen & FORTRAN)) return syntax(h, "the key 'fortran_order' is missing");
  if (!(seen & SHAPE)) return syntax(h, "the key 'shape' is missing");
  return 0;
}

/* Decodes a descr string such as '<f4' into kind and itemsize. */
static int parse_descr(const char *descr, const char *what, char *kind, unsigned *itemsize,
                       kd_err *err) {
  const char *p = descr;
  char order = 0;
  if (*p == '<' || *p == '>' || *p == '|' || *p == '=') order = *p++;
  const char k = *p;
  unsigned size = 0;
  if (k != '\0' && p[1] >= '1' && p[1] <= '8' && p[2] == '\0') size = (unsigned)(p[1] - '0');
  if (k == 'O')
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: descr '%s': object arrays are not supported (they hold pickled Python "
                   "objects)",
                   what, descr);
  const int known = (k == 'b' && size == 1) ||
                    ((k == 'i' || k == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                    (k == 'f' && (size == 4 || size == 8));
  if (!known)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: descr '%s' is not supported; supported dtypes: bool ('|b1'), int8..int64 "
                   "('<i1'..'<i8'), uint8..uint64 ('|u1'..'<u8'), float32 ('<f4'), float64 ('<f8')",
                   what, descr);
  if (size > 1) {
    const int big = order == '>' || ((order == '=' || order == 0) && !kd_host_little_endian());
    if (big)
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s: descr '%s' is big-endian; send little-endian data "
                     "(numpy: x.astype(x.dtype.newbyteorder('<')))",
                     what, descr);
    if (order == '|')
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s: descr '%s': the byte order '|' (not applicable) is only valid for "
                     "1-byte types; use '<'",
                     what, descr);
  }
  *kind = k;
  *itemsize = size;
  return 0;
}

/* Formats a shape as Python writes a tuple: (), (3,), (2, 3). */
static void format_tuple(const kf_shape *s, char *out, size_t cap) {
  size_t len = 0;
  int n = snprintf(out, cap, "(");
  for (int i = 0; n >= 0 && (size_t)n < cap - len && i < s->rank; i++) {
    len += (size_t)n;
    n = snprintf(out + len, cap - len, "%s%lld", i ? ", " : "", (long long)s->dim[i]);
  }
  if (n >= 0 && (size_t)n < cap - len) len += (size_t)n;
  if (len < cap) snprintf(out + len, cap - len, "%s)", s->rank == 1 ? "," : "");
}

int kd_npy_parse(const void *body, size_t len, const char *what, uint64_t max_elements,
                 kd_npy *out, kd_err *err) {
  const unsigned char *b = body;
  const size_t magic_seen = len < sizeof MAGIC ? len : sizeof MAGIC;
  if (len == 0) return kd_fail(err, KD_INVALID_ARGUMENT, "%s: the .npy body is empty", what);
  if (memcmp(b, MAGIC, magic_seen) != 0)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: not a .npy file (it must start with the magic string \\x93NUMPY)", what);
  if (len < sizeof MAGIC + 2)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s: truncated .npy file: %zu bytes, no version", what,
                   len);
  const unsigned major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 are read)", what,
                   major, minor);
  const size_t prefix = major == 1 ? 10 : 12;
  if (len < prefix)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: truncated .npy file: %zu bytes, but the preamble of version %u.0 is %zu",
                   what, len, major, prefix);
  uint64_t hlen = (uint64_t)b[8] | (uint64_t)b[9] << 8;
  if (major > 1) hlen |= (uint64_t)b[10] << 16 | (uint64_t)b[11] << 24;
  if (hlen > len - prefix)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: truncated .npy file: the header is %llu bytes, but %zu follow the preamble",
                   what, (unsigned long long)hlen, len - prefix);

  header hd;
  memset(&hd, 0, sizeof hd);
  hparse h = {b + prefix, (size_t)hlen, 0, what, err};
  if (parse_header(&h, &hd) != 0) return -1;
  kd_npy r;
  memset(&r, 0, sizeof r);
  if (parse_descr(hd.descr, what, &r.kind, &r.itemsize, err) != 0) return -1;
  memcpy(r.descr, hd.descr, sizeof r.descr);
  r.fortran_order = hd.fortran_order;

  /* The element count, as codec.c counts a JSON shape: a zero dimension
   * makes it 0; otherwise the product may not pass max_elements. */
  uint64_t n = 1;
  int zero = 0;
  for (int i = 0; i < hd.rank; i++) zero |= hd.dims[i] == 0;
  for (int i = 0; i < hd.rank && !zero; i++) {
    if ((uint64_t)hd.dims[i] > max_elements || n > max_elements / (uint64_t)hd.dims[i])
      return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s has more than the limit of %llu elements", what,
                     (unsigned long long)max_elements);
    n *= (uint64_t)hd.dims[i];
  }
  if (zero) n = 0;
  if (kf_shape_make(&r.shape, hd.rank, hd.dims) != KF_OK || n > SIZE_MAX / r.itemsize)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s: the .npy shape is too large", what);
  r.numel = (size_t)n;

  const size_t data_len = len - prefix - (size_t)hlen;
  const size_t need = r.numel * r.itemsize;
  if (data_len != need) {
    char shape[200];
    format_tuple(&r.shape, shape, sizeof shape);
    if (data_len < need)
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s: truncated .npy data: shape %s of '%s' needs %zu bytes, but %zu follow the "
                     "header",
                     what, shape, r.descr, need, data_len);
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: %zu trailing byte%s after the .npy data (shape %s of '%s' is %zu bytes; a "
                   "body holds exactly one array)",
                   what, data_len - need, data_len - need == 1 ? "" : "s", shape, r.descr, need);
  }
  r.data = b + prefix + hlen;
  *out = r;
  return 0;
}

/* ------------------------------------------------------------- converting */

static uint64_t load_le(const unsigned char *p, unsigned size) {
  uint64_t v = 0;
  for (unsigned k = size; k-- > 0;) v = v << 8 | p[k];
  return v;
}

/* A signed little-endian integer of `size` bytes, sign-extended. */
static int64_t load_signed(const unsigned char *p, unsigned size) {
  const uint64_t v = load_le(p, size);
  if (size == 8) return (int64_t)v;
  const uint64_t sign = (uint64_t)1 << (size * 8 - 1);
  return (int64_t)(v ^ sign) - (int64_t)sign;
}

static const char *kind_name(const kd_npy *in) {
  switch (in->kind) {
    case 'b': return "bool";
    case 'f': return in->itemsize == 4 ? "float32" : "float64";
    case 'i': return "a signed integer type";
    default: return "an unsigned integer type";
  }
}

int kd_npy_convert(const kd_npy *in, kf_dtype want, const char *what, kf_tensor *out,
                   kd_err *err) {
  if (want == KF_FLOAT32 && in->kind == 'b')
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: descr '%s' (bool) cannot be a float32 input; send numbers (numpy: "
                   "x.astype(numpy.float32))",
                   what, in->descr);
  if (want == KF_INT32 && (in->kind == 'b' || in->kind == 'f'))
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s: descr '%s' (%s) cannot be an int32 input: the model starts with embed, "
                   "which reads integer indices (numpy: x.astype(numpy.int32))",
                   what, in->descr, kind_name(in));
  if (want != KF_FLOAT32 && want != KF_INT32)
    return kd_fail(err, KD_INTERNAL, "%s: no .npy conversion to %s", what, kf_dtype_name(want));

  void *data = malloc(in->numel ? in->numel * 4 : 1);
  if (!data) return kd_fail(err, KD_UNAVAILABLE, "%s: out of memory", what);

  /* Fortran order: element (i0, ..., ik) is at i0 + d0 * (i1 + d1 * (...)).
   * idx walks the row-major multi-index, the last axis fastest. */
  const int rank = in->shape.rank;
  int64_t idx[KF_MAX_RANK] = {0};
  int64_t fstride[KF_MAX_RANK];
  int64_t stride = 1;
  for (int a = 0; a < rank && in->numel > 0; a++) {
    fstride[a] = stride;
    stride *= in->shape.dim[a];
  }
  int rc = 0;
  for (size_t i = 0; i < in->numel && rc == 0; i++) {
    size_t src = i;
    if (in->fortran_order && rank > 1) {
      int64_t off = 0;
      for (int a = 0; a < rank; a++) off += idx[a] * fstride[a];
      src = (size_t)off;
      for (int a = rank - 1; a >= 0; a--) {
        if (++idx[a] < in->shape.dim[a]) break;
        idx[a] = 0;
      }
    }
    const unsigned char *p = in->data + src * in->itemsize;
    if (want == KF_FLOAT32) {
      float f;
      if (in->kind == 'f' && in->itemsize == 4) {
        const uint32_t bits = (uint32_t)load_le(p, 4);
        memcpy(&f, &bits, sizeof f);
      } else if (in->kind == 'f') {
        const uint64_t bits = load_le(p, 8);
        double d;
        memcpy(&d, &bits, sizeof d);
        f = (float)d;
      } else if (in->kind == 'i') {
        f = (float)load_signed(p, in->itemsize);
      } else {
        f = (float)load_le(p, in->itemsize);
      }
      if (!isfinite(f))
        rc = kd_fail(err, KD_INVALID_ARGUMENT, "%s: element %zu is not a finite float32", what, i);
      else
        ((float *)data)[i] = f;
    } else {
      int64_t v;
      int in_range;
      if (in->kind == 'i') {
        v = load_signed(p, in->itemsize);
        in_range = v >= INT32_MIN && v <= INT32_MAX;
      } else {
        const uint64_t u = load_le(p, in->itemsize);
        in_range = u <= INT32_MAX;
        v = in_range ? (int64_t)u : INT64_MAX;
      }
      if (!in_range) {
        char shown[32];
        if (in->kind == 'i')
          snprintf(shown, sizeof shown, "%lld", (long long)v);
        else
          snprintf(shown, sizeof shown, "%llu", (unsigned long long)load_le(p, in->itemsize));
        rc = kd_fail(err, KD_INVALID_ARGUMENT, "%s: element %zu is %s, outside the int32 range", what,
                     i, shown);
      } else {
        ((int32_t *)data)[i] = (int32_t)v;
      }
    }
  }
  if (rc != 0) {
    free(data);
    return -1;
  }
  out->dtype = want;
  out->shape = in->shape;
  out->data = data;
  return 0;
}
