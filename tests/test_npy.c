/* The .npy codec (server/npy.c): writing exactly what numpy.save writes,
 * reading versions 1.0-3.0, converting to the forward input dtypes, and
 * every refusal with its status and message. Every body handed to the
 * parser is an exact-size heap copy, so AddressSanitizer sees any read past
 * its end. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "buf.h"
#include "npy.h"

#define BIG ((uint64_t)1 << 30)

/* A .npy file by hand: magic, version major.0, the header length in the
 * version's width, the header text as given (no padding added) and data. */
typedef struct npy_file {
  unsigned char *bytes;
  size_t len;
} npy_file;

static npy_file make(unsigned major, const char *header, const void *data, size_t data_len) {
  const size_t hl = strlen(header);
  const size_t prefix = major == 1 ? 10 : 12;
  npy_file f;
  f.len = prefix + hl + data_len;
  f.bytes = malloc(f.len ? f.len : 1);
  ck_assert_ptr_nonnull(f.bytes);
  memcpy(f.bytes, "\x93NUMPY", 6);
  f.bytes[6] = (unsigned char)major;
  f.bytes[7] = 0;
  f.bytes[8] = (unsigned char)(hl & 0xFF);
  f.bytes[9] = (unsigned char)(hl >> 8);
  if (prefix == 12) {
    f.bytes[10] = (unsigned char)(hl >> 16);
    f.bytes[11] = (unsigned char)(hl >> 24);
  }
  memcpy(f.bytes + prefix, header, hl);
  if (data_len) memcpy(f.bytes + prefix + hl, data, data_len);
  return f;
}

/* An exact-size copy of the first n bytes. */
static unsigned char *prefix_copy(const unsigned char *src, size_t n) {
  unsigned char *p = malloc(n ? n : 1);
  ck_assert_ptr_nonnull(p);
  if (n) memcpy(p, src, n);
  return p;
}

/* Parses and expects failure with `code` and a message containing `needle`. */
static void expect_refused(const npy_file *f, uint64_t max_elements, kd_code code,
                           const char *needle) {
  kd_npy npy;
  kd_err err = {KD_OK, ""};
  const int rc = kd_npy_parse(f->bytes, f->len, "body", max_elements, &npy, &err);
  ck_assert_msg(rc == -1, "accepted, expected '%s'", needle);
  ck_assert_msg(err.code == code, "code %d (%s), expected %d", err.code, err.message, code);
  ck_assert_msg(strstr(err.message, needle) != NULL, "message '%s' lacks '%s'", err.message, needle);
  ck_assert_msg(strncmp(err.message, "body", 4) == 0, "message '%s' does not name the body", err.message);
}

static void refused_header(const char *header, const void *data, size_t data_len, kd_code code,
                           const char *needle) {
  npy_file f = make(1, header, data, data_len);
  expect_refused(&f, BIG, code, needle);
  free(f.bytes);
}

static kd_npy parse_ok(const npy_file *f) {
  kd_npy npy;
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_npy_parse(f->bytes, f->len, "body", BIG, &npy, &err) == 0, "refused: %s",
                err.message);
  return npy;
}

/* Writes t and returns the bytes (kd_buf owns them). */
static kd_buf write_npy(kf_dtype dtype, int rank, const int64_t *dims, const void *data) {
  kf_tensor t;
  t.dtype = dtype;
  ck_assert_int_eq(kf_shape_make(&t.shape, rank, dims), 0);
  t.data = (void *)data;
  kd_buf b;
  kd_buf_init(&b);
  ck_assert_int_eq(kd_npy_write(&b, &t), 0);
  ck_assert_uint_eq(b.len, kd_npy_size(&t));
  return b;
}

/* The header numpy writes for a C-ordered array: the dict, the growth room
 * for the first dimension, spaces to a multiple of 64 and '\n'. */
static void check_header(const kd_buf *b, const char *dict, size_t data_len) {
  ck_assert(memcmp(b->data, "\x93NUMPY\x01\x00", 8) == 0);
  const size_t hl = (unsigned char)b->data[8] | (size_t)(unsigned char)b->data[9] << 8;
  ck_assert_uint_eq((10 + hl) % 64, 0);
  ck_assert_uint_eq(b->len, 10 + hl + data_len);
  ck_assert_msg(memcmp(b->data + 10, dict, strlen(dict)) == 0, "header %.*s, expected %s", (int)hl,
                b->data + 10, dict);
  for (size_t i = 10 + strlen(dict); i < 10 + hl - 1; i++) ck_assert_int_eq(b->data[i], ' ');
  ck_assert_int_eq(b->data[10 + hl - 1], '\n');
}

START_TEST(writes_what_numpy_save_writes) {
  /* numpy.save(f, numpy.arange(6, dtype=numpy.float32).reshape(2, 3) / 4), byte for byte. */
  static const unsigned char golden_header[] =
      "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
      "                                                          \n";
  const float v[6] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 1.25f};
  const int64_t dims[2] = {2, 3};
  kd_buf b = write_npy(KF_FLOAT32, 2, dims, v);
  ck_assert_uint_eq(b.len, 128 + 24);
  ck_assert(memcmp(b.data, golden_header, 128) == 0);
  static const unsigned char le[24] = {0, 0, 0, 0, 0, 0, 0x80, 0x3e, 0, 0, 0, 0x3f,
                                       0, 0, 0x40, 0x3f, 0, 0, 0x80, 0x3f, 0, 0, 0xa0, 0x3f};
  ck_assert(memcmp(b.data + 128, le, 24) == 0);
  kd_buf_free(&b);

  /* Each dtype's descr; scalars are () without growth room, 1-d (n,). */
  const uint64_t u64[3] = {18446744073709551615ull, 1, 0x0102030405060708ull};
  const uint8_t flags[3] = {1, 0, 1};
  const int64_t three = 3;
  struct {
    kf_dtype dtype;
    const char *descr;
  } kinds[] = {{KF_FLOAT32, "<f4"}, {KF_INT32, "<i4"},  {KF_UINT32, "<u4"},
               {KF_BOOL, "|b1"},    {KF_UINT8, "|u1"},  {KF_UINT16, "<u2"},
               {KF_UINT64, "<u8"},  {KF_INT64, "<i8"},  {KF_FLOAT64, "<f8"}};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    char dict[160];
    const void *data = kinds[k].dtype == KF_BOOL ? (const void *)flags : (const void *)u64;
    const size_t item = kf_dtype_size(kinds[k].dtype);
    b = write_npy(kinds[k].dtype, 1, &three, data);
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (3,), }%20s",
             kinds[k].descr, "");
    check_header(&b, dict, 3 * item);
    ck_assert(memcmp(b.data + b.len - 3 * item, data, 3 * item) == 0); /* little-endian host */
    kd_buf_free(&b);
    b = write_npy(kinds[k].dtype, 0, NULL, data);
    snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (), }",
             kinds[k].descr);
    check_header(&b, dict, item);
    ck_assert_int_eq(b.data[b.len - item - 1], '\n');
    kd_buf_free(&b);
  }
  /* The growth room follows the first dimension's digits; an empty array
   * has no data at all. */
  const int64_t wide[3] = {0, 1099511627776, 1};
  b = write_npy(KF_FLOAT32, 3, wide, u64);
  check_header(&b, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1), }"
                   "                    ",
               0);
  kd_buf_free(&b);
  const int64_t long_first[2] = {1000000000000, 0};
  b = write_npy(KF_BOOL, 2, long_first, flags);
  check_header(&b, "{'descr': '|b1', 'fortran_order': False, 'shape': (1000000000000, 0), }        ",
               0);
  kd_buf_free(&b);

  /* Appends to what the buffer holds; an unknown dtype writes nothing. */
  kd_buf_init(&b);
  kd_buf_puts(&b, "xy");
  kf_tensor t = {KF_UINT16, {1, {3}}, (void *)u64};
  ck_assert_int_eq(kd_npy_write(&b, &t), 0);
  ck_assert_uint_eq(b.len, 2 + kd_npy_size(&t));
  ck_assert(memcmp(b.data, "xy\x93NUMPY", 8) == 0);
  kd_buf_free(&b);
  t.dtype = (kf_dtype)99;
  ck_assert_uint_eq(kd_npy_size(&t), 0);
  ck_assert_int_eq(kd_npy_write(&b, &t), -1);
  ck_assert(kd_buf_failed(&b));
  kd_buf_free(&b);
}
END_TEST

START_TEST(round_trips) {
  const int64_t dims[3] = {2, 1, 3};
  const float v[6] = {1.5f, -0.0f, FLT_TRUE_MIN, -3.25f, 1e30f, 7.0f};
  kd_buf b = write_npy(KF_FLOAT32, 3, dims, v);
  npy_file f = {prefix_copy((unsigned char *)b.data, b.len), b.len};
  kd_buf_free(&b);
  kd_npy npy = parse_ok(&f);
  ck_assert_int_eq(npy.kind, 'f');
  ck_assert_uint_eq(npy.itemsize, 4);
  ck_assert_int_eq(npy.fortran_order, 0);
  ck_assert_int_eq(npy.shape.rank, 3);
  ck_assert(npy.shape.dim[0] == 2 && npy.shape.dim[1] == 1 && npy.shape.dim[2] == 3);
  ck_assert_uint_eq(npy.numel, 6);
  ck_assert_str_eq(npy.descr, "<f4");
  kd_err err;
  kf_tensor x;
  ck_assert_int_eq(kd_npy_convert(&npy, KF_FLOAT32, "body", &x, &err), 0);
  ck_assert_int_eq(x.dtype, KF_FLOAT32);
  ck_assert(kf_shape_equal(&x.shape, &npy.shape));
  ck_assert(memcmp(x.data, v, sizeof v) == 0); /* bit for bit, -0.0 and the subnormal included */
  free(x.data);
  free(f.bytes);

  const int32_t idx[4] = {-7, 0, 2147483647, -2147483648};
  const int64_t four = 4;
  b = write_npy(KF_INT32, 1, &four, idx);
  f = (npy_file){prefix_copy((unsigned char *)b.data, b.len), b.len};
  kd_buf_free(&b);
  npy = parse_ok(&f);
  ck_assert_int_eq(kd_npy_convert(&npy, KF_INT32, "body", &x, &err), 0);
  ck_assert(memcmp(x.data, idx, sizeof idx) == 0);
  free(x.data);
  free(f.bytes);

  /* An empty array and a scalar. */
  const int64_t empty[2] = {3, 0};
  b = write_npy(KF_FLOAT32, 2, empty, v);
  f = (npy_file){prefix_copy((unsigned char *)b.data, b.len), b.len};
  kd_buf_free(&b);
  npy = parse_ok(&f);
  ck_assert_uint_eq(npy.numel, 0);
  ck_assert_int_eq(kd_npy_convert(&npy, KF_FLOAT32, "body", &x, &err), 0);
  ck_assert_int_eq(x.shape.rank, 2);
  free(x.data);
  free(f.bytes);
  b = write_npy(KF_FLOAT32, 0, NULL, v);
  f = (npy_file){prefix_copy((unsigned char *)b.data, b.len), b.len};
  kd_buf_free(&b);
  npy = parse_ok(&f);
  ck_assert_int_eq(npy.shape.rank, 0);
  ck_assert_uint_eq(npy.numel, 1);
  free(f.bytes);
}
END_TEST

START_TEST(reads_other_writers) {
  const float v[2] = {1.0f, 2.0f};
  /* Versions 2.0 and 3.0 (4-byte header length); numpy.save's own layout. */
  for (unsigned major = 2; major <= 3; major++) {
    npy_file f = make(major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }   \n", v, 8);
    kd_npy npy = parse_ok(&f);
    ck_assert_uint_eq(npy.numel, 2);
    ck_assert(memcmp(npy.data, v, 8) == 0);
    free(f.bytes);
  }
  /* Any key order, double quotes, no trailing comma, whitespace and
   * newlines anywhere Python allows them, no final newline, (n, m,). */
  const char *headers[] = {
      "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
      "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}",
      "  {\n 'descr' :'<f4' ,\t'fortran_order':False,'shape':( 2 , ) , }  \r\n",
      "{'descr': 'f4', 'fortran_order': False, 'shape': (2,)}",  /* native = little here */
      "{'descr': '=f4', 'fortran_order': False, 'shape': (2,)}",
      "{'descr': '<f4', 'fortran_order': True, 'shape': (2,)}", /* 1-d: the same either way */
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2,)}",
  };
  for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
    npy_file f = make(1, headers[i], v, 8);
    kd_npy npy;
    kd_err err = {KD_OK, ""};
    ck_assert_msg(kd_npy_parse(f.bytes, f.len, "body", BIG, &npy, &err) == 0, "%s: %s", headers[i],
                  err.message);
    ck_assert_uint_eq(npy.numel, 2);
    kf_tensor x;
    ck_assert_int_eq(kd_npy_convert(&npy, KF_FLOAT32, "body", &x, &err), 0);
    ck_assert(((float *)x.data)[0] == 1.0f && ((float *)x.data)[1] == 2.0f);
    free(x.data);
    free(f.bytes);
  }
  /* One-byte types take any byte order mark. */
  const char *bytes_headers[] = {"{'descr': '|u1', 'fortran_order': False, 'shape': (2,)}",
                                 "{'descr': '<u1', 'fortran_order': False, 'shape': (2,)}",
                                 "{'descr': '>i1', 'fortran_order': False, 'shape': (2,)}",
                                 "{'descr': 'u1', 'fortran_order': False, 'shape': (2,)}"};
  const unsigned char two[2] = {200, 7};
  for (size_t i = 0; i < sizeof bytes_headers / sizeof bytes_headers[0]; i++) {
    npy_file f = make(1, bytes_headers[i], two, 2);
    kd_npy npy = parse_ok(&f);
    ck_assert_uint_eq(npy.itemsize, 1);
    kd_err err;
    kf_tensor x;
    ck_assert_int_eq(kd_npy_convert(&npy, KF_INT32, "body", &x, &err), 0);
    ck_assert_int_eq(((int32_t *)x.data)[0], i == 2 ? -56 : 200);
    ck_assert_int_eq(((int32_t *)x.data)[1], 7);
    free(x.data);
    free(f.bytes);
  }
}
END_TEST

START_TEST(fortran_order_is_transposed) {
  /* numpy.asfortranarray(numpy.arange(6).reshape(2, 3)): memory 0 3 1 4 2 5. */
  const double col[6] = {0, 3, 1, 4, 2, 5};
  npy_file f = make(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", col, sizeof col);
  kd_npy npy = parse_ok(&f);
  ck_assert_int_eq(npy.fortran_order, 1);
  kd_err err;
  kf_tensor x;
  ck_assert_int_eq(kd_npy_convert(&npy, KF_FLOAT32, "body", &x, &err), 0);
  ck_assert(x.shape.rank == 2 && x.shape.dim[0] == 2 && x.shape.dim[1] == 3);
  for (int i = 0; i < 6; i++) ck_assert(((float *)x.data)[i] == (float)i);
  free(x.data);
  free(f.bytes);
  /* Rank 3, int64 to int32: element (i, j, k) of shape (2, 3, 4) is
   * 100i + 10j + k, stored with the first axis fastest. */
  int64_t f3[24];
  for (int k = 0; k < 4; k++)
    for (int j = 0; j < 3; j++)
      for (int i = 0; i < 2; i++) f3[i + 2 * (j + 3 * k)] = 100 * i + 10 * j + k;
  f = make(1, "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 3, 4), }", f3, sizeof f3);
  npy = parse_ok(&f);
  ck_assert_int_eq(kd_npy_convert(&npy, KF_INT32, "body", &x, &err), 0);
  for (int i = 0, n = 0; i < 2; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 4; k++, n++) ck_assert_int_eq(((int32_t *)x.data)[n], 100 * i + 10 * j + k);
  free(x.data);
  free(f.bytes);
}
END_TEST

/* Converts one element of descr `descr` with bytes `raw` to `want`. */
static int convert_one(const char *descr, const void *raw, size_t size, kf_dtype want, void *out,
                       kd_err *err) {
  char header[128];
  snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (1,), }", descr);
  npy_file f = make(1, header, raw, size);
  kd_npy npy = parse_ok(&f);
  kf_tensor x;
  const int rc = kd_npy_convert(&npy, want, "body", &x, err);
  if (rc == 0) {
    memcpy(out, x.data, 4);
    free(x.data);
  }
  free(f.bytes);
  return rc;
}

START_TEST(conversions) {
  kd_err err;
  float f;
  int32_t i;
  /* To float32: float64 rounds to nearest, integers as numpy's astype. */
  const double tenth = 0.1, huge = 1e39, nan_d = NAN;
  ck_assert_int_eq(convert_one("<f8", &tenth, 8, KF_FLOAT32, &f, &err), 0);
  ck_assert(f == 0.1f);
  const int64_t big = 16777217; /* 2^24 + 1: rounds to even */
  ck_assert_int_eq(convert_one("<i8", &big, 8, KF_FLOAT32, &f, &err), 0);
  ck_assert(f == 16777216.0f);
  const uint64_t umax = UINT64_MAX;
  ck_assert_int_eq(convert_one("<u8", &umax, 8, KF_FLOAT32, &f, &err), 0);
  ck_assert(f == 18446744073709551616.0f);
  const int8_t neg = -5;
  ck_assert_int_eq(convert_one("|i1", &neg, 1, KF_FLOAT32, &f, &err), 0);
  ck_assert(f == -5.0f);
  const int16_t s16 = -300;
  ck_assert_int_eq(convert_one("<i2", &s16, 2, KF_FLOAT32, &f, &err), 0);
  ck_assert(f == -300.0f);
  const uint16_t u16 = 65535;
  ck_assert_int_eq(convert_one("<u2", &u16, 2, KF_FLOAT32, &f, &err), 0);
  ck_assert(f == 65535.0f);
  /* Not finite as float32: refused, naming the element. */
  ck_assert_int_eq(convert_one("<f8", &huge, 8, KF_FLOAT32, &f, &err), -1);
  ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "element 0 is not a finite float32"));
  ck_assert_int_eq(convert_one("<f8", &nan_d, 8, KF_FLOAT32, &f, &err), -1);
  const float two[2] = {1.0f, INFINITY};
  npy_file file = make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", two, 8);
  kd_npy npy = parse_ok(&file);
  kf_tensor x;
  ck_assert_int_eq(kd_npy_convert(&npy, KF_FLOAT32, "body", &x, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "body: element 1 is not a finite float32"));
  free(file.bytes);

  /* To int32: integers within the int32 range. */
  const int64_t i64s[4] = {-2147483648LL, 2147483647LL, 2147483648LL, -2147483649LL};
  ck_assert_int_eq(convert_one("<i8", &i64s[0], 8, KF_INT32, &i, &err), 0);
  ck_assert_int_eq(i, INT32_MIN);
  ck_assert_int_eq(convert_one("<i8", &i64s[1], 8, KF_INT32, &i, &err), 0);
  ck_assert_int_eq(i, INT32_MAX);
  ck_assert_int_eq(convert_one("<i8", &i64s[2], 8, KF_INT32, &i, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "element 0 is 2147483648, outside the int32 range"));
  ck_assert_int_eq(convert_one("<i8", &i64s[3], 8, KF_INT32, &i, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "-2147483649"));
  const uint32_t u32 = 4294967295u;
  ck_assert_int_eq(convert_one("<u4", &u32, 4, KF_INT32, &i, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "4294967295, outside the int32 range"));
  ck_assert_int_eq(convert_one("<u8", &umax, 8, KF_INT32, &i, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "18446744073709551615"));
  const uint32_t u32ok = 2147483647u;
  ck_assert_int_eq(convert_one("<u4", &u32ok, 4, KF_INT32, &i, &err), 0);
  ck_assert_int_eq(i, INT32_MAX);

  /* Kinds that are not numbers of the wanted sort. */
  const float one = 1.0f;
  ck_assert_int_eq(convert_one("<f4", &one, 4, KF_INT32, &i, &err), -1);
  ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
  ck_assert_ptr_nonnull(strstr(err.message, "'<f4' (float32) cannot be an int32 input"));
  ck_assert_int_eq(convert_one("<f8", &tenth, 8, KF_INT32, &i, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "(float64)"));
  const uint8_t yes = 1;
  ck_assert_int_eq(convert_one("|b1", &yes, 1, KF_FLOAT32, &f, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "'|b1' (bool) cannot be a float32 input"));
  ck_assert_int_eq(convert_one("|b1", &yes, 1, KF_INT32, &i, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "(bool) cannot be an int32 input"));
  /* Only the forward input dtypes are conversion targets. */
  ck_assert_int_eq(convert_one("<f4", &one, 4, KF_UINT8, &i, &err), -1);
  ck_assert_int_eq(err.code, KD_INTERNAL);
}
END_TEST

START_TEST(preamble_errors) {
  const float v[2] = {1.0f, 2.0f};
  const char *good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  npy_file f = make(1, good, v, 8);
  /* Every truncation of a valid file is a 400, never a read past it. */
  for (size_t n = 0; n < f.len; n++) {
    npy_file cut = {prefix_copy(f.bytes, n), n};
    expect_refused(&cut, BIG, KD_INVALID_ARGUMENT, n == 0 ? "empty" : "truncated");
    free(cut.bytes);
  }
  /* One trailing byte. */
  unsigned char *longer = malloc(f.len + 1);
  memcpy(longer, f.bytes, f.len);
  longer[f.len] = 0;
  npy_file extra = {longer, f.len + 1};
  expect_refused(&extra, BIG, KD_INVALID_ARGUMENT, "1 trailing byte after the .npy data");
  free(longer);

  /* Not .npy at all, even when short. */
  npy_file json = {prefix_copy((const unsigned char *)"{\"x\": [1]}", 10), 10};
  expect_refused(&json, BIG, KD_INVALID_ARGUMENT, "not a .npy file");
  free(json.bytes);
  npy_file short_bad = {prefix_copy((const unsigned char *)"\x93NUMPZ", 3), 3};
  short_bad.bytes[2] = 'X';
  expect_refused(&short_bad, BIG, KD_INVALID_ARGUMENT, "not a .npy file");
  free(short_bad.bytes);
  f.bytes[5] = 'y';
  expect_refused(&f, BIG, KD_INVALID_ARGUMENT, "magic string");
  f.bytes[5] = 'Y';

  /* Versions. */
  const unsigned char versions[][2] = {{0, 0}, {4, 0}, {1, 1}, {2, 1}, {255, 255}};
  for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
    f.bytes[6] = versions[i][0];
    f.bytes[7] = versions[i][1];
    char needle[64];
    snprintf(needle, sizeof needle, "unsupported .npy format version %u.%u", versions[i][0],
             versions[i][1]);
    expect_refused(&f, BIG, KD_INVALID_ARGUMENT, needle);
  }
  free(f.bytes);
  /* A version 2.0 preamble needs 12 bytes; a header length past the end. */
  npy_file v2 = make(2, good, v, 8);
  npy_file v2cut = {prefix_copy(v2.bytes, 11), 11};
  expect_refused(&v2cut, BIG, KD_INVALID_ARGUMENT, "the preamble of version 2.0 is 12");
  free(v2cut.bytes);
  v2.bytes[11] = 0x80; /* a header of 2 GiB */
  char needle[96];
  snprintf(needle, sizeof needle, "the header is %zu bytes, but %zu follow the preamble",
           ((size_t)0x80 << 24) + strlen(good), strlen(good) + 8);
  expect_refused(&v2, BIG, KD_INVALID_ARGUMENT, needle);
  free(v2.bytes);
}
END_TEST

START_TEST(header_errors) {
  const float v[2] = {1.0f, 2.0f};
  struct {
    const char *header;
    const char *needle;
  } bad[] = {
      {"", "expected '{'"},
      {"   \n", "expected '{'"},
      {"['descr', '<f4']", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", "expected a quoted string as a key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", "unexpected bytes after the dict"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}}", "unexpected bytes after the dict"},
      {"{descr: '<f4', 'fortran_order': False, 'shape': (2,)}", "expected a quoted string as a key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unknown key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", "'descr' appears twice"},
      {"{'fortran_order': False, 'shape': (2,)}", "'descr' is missing"},
      {"{'descr': '<f4', 'shape': (2,)}", "'fortran_order' is missing"},
      {"{'descr': '<f4', 'fortran_order': False}", "'shape' is missing"},
      {"{}", "'descr' is missing"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", "expected ':' after 'descr'"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", "expected ',' or '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,),,}", "expected a quoted string"},
      {"{'descr: '<f4', 'fortran_order': False, 'shape': (2,)}", "unknown key 'descr: '"},
      {"{'shape' = (2,), 'descr': '<f4', 'fortran_order': False}", "expected ':' after 'shape'"},
      {"{'descr': '<f4", "descr is not terminated"},
      {"{'descr': \"<f4'", "descr is not terminated"},
      {"{'descr': '<\\x66\x34', 'fortran_order': False, 'shape': (2,)}", "escape sequences"},
      {"{'descr': '<f4\xc3\xa9', 'fortran_order': False, 'shape': (2,)}", "byte 0xc3"},
      {"{'descr': '<f4\t', 'fortran_order': False, 'shape': (2,)}", "byte 0x09"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'descr_is_a_rather_long_key_name_here': 1}",
       "a key is longer than 31 characters"},
      {"{'descr': '<f4<f4<f4<f4<f4<f4', 'fortran_order': False, 'shape': (2,)}",
       "descr is longer than 15 characters"},
      {"{'descr': 4, 'fortran_order': False, 'shape': (2,)}", "expected a quoted string as descr"},
      {"{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", "fortran_order must be True or False"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "fortran_order must be True or False"},
      {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}", "fortran_order must be True or False"},
      {"{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,)}", "fortran_order must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "shape must be a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': 2}", "shape must be a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", "a 1-d shape is written (n,)"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", "expected a non-negative integer as shape[0]"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,)}", "expected a non-negative integer as shape[1]"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", "shape[0] is negative"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (+2,)}", "expected a non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (02,)}", "shape[0] has a leading zero"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}", "expected ',' or ')' in shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1_2,)}", "expected ',' or ')' in shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2L,)}", "expected ',' or ')' in shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1 2)}", "expected ',' or ')' in shape"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,", "expected a non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 2)}",
       "more than 8 dimensions"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) refused_header(bad[i].header, v, 8, KD_INVALID_ARGUMENT, bad[i].needle);
  /* A NUL byte after the dict (inside the header length). */
  static const char nul_header[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\0 \n";
  const size_t hl = sizeof nul_header - 1;
  unsigned char *p = malloc(10 + hl + 8);
  memcpy(p, "\x93NUMPY\x01\x00", 8);
  p[8] = (unsigned char)hl;
  p[9] = 0;
  memcpy(p + 10, nul_header, hl);
  memcpy(p + 10 + hl, v, 8);
  npy_file f = {p, 10 + hl + 8};
  expect_refused(&f, BIG, KD_INVALID_ARGUMENT, "unexpected bytes after the dict");
  free(p);
  refused_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", v, 8,
                 KD_INVALID_ARGUMENT, "structured .npy dtypes");
}
END_TEST

START_TEST(descr_errors) {
  const unsigned char data[64] = {0};
  struct {
    const char *descr;
    const char *needle;
  } bad[] = {
      {"|O", "object arrays are not supported"},
      {"<O", "object arrays are not supported"},
      {">f4", "is big-endian"},
      {">i8", "is big-endian"},
      {">u2", "is big-endian"},
      {"|f4", "'|' (not applicable) is only valid for 1-byte types"},
      {"|i4", "only valid for 1-byte types"},
      {"<f2", "is not supported; supported dtypes"},
      {"<f16", "is not supported"},
      {"<c8", "is not supported"},
      {"<U5", "is not supported"},
      {"|S3", "is not supported"},
      {"|V8", "is not supported"},
      {"<M8[ns]", "is not supported"},
      {"<b2", "is not supported"},
      {"<i3", "is not supported"},
      {"<u16", "is not supported"},
      {"<f4 ", "is not supported"},
      {"<", "is not supported"},
      {"", "is not supported"},
      {"float32", "is not supported"},
      {"<<f4", "is not supported"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char header[128];
    snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (2,)}", bad[i].descr);
    refused_header(header, data, 16, KD_INVALID_ARGUMENT, bad[i].needle);
  }
}
END_TEST

START_TEST(size_errors) {
  const unsigned char data[64] = {0};
  /* Data shorter or longer than the shape says. */
  refused_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", data, 20,
                 KD_INVALID_ARGUMENT, "truncated .npy data: shape (2, 3) of '<f4' needs 24 bytes, but 20");
  refused_header("{'descr': '<i8', 'fortran_order': False, 'shape': (2,)}", data, 24,
                 KD_INVALID_ARGUMENT, "8 trailing bytes after the .npy data (shape (2,) of '<i8' is 16");
  refused_header("{'descr': '<f4', 'fortran_order': False, 'shape': ()}", data, 0,
                 KD_INVALID_ARGUMENT, "shape () of '<f4' needs 4 bytes, but 0");
  refused_header("{'descr': '<f4', 'fortran_order': False, 'shape': (0,)}", data, 1,
                 KD_INVALID_ARGUMENT, "1 trailing byte after");
  /* Over the element limit: 413, before the data is looked at. */
  npy_file f = make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}", data, 48);
  expect_refused(&f, 11, KD_PAYLOAD_TOO_LARGE, "more than the limit of 11 elements");
  kd_npy npy;
  kd_err err;
  ck_assert_int_eq(kd_npy_parse(f.bytes, f.len, "body", 12, &npy, &err), 0);
  free(f.bytes);
  f = make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000)}", data, 0);
  expect_refused(&f, BIG, KD_PAYLOAD_TOO_LARGE, "more than the limit of 1073741824 elements");
  free(f.bytes);
  /* A product that overflows 64 bits is still just "too many". */
  f = make(1,
           "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}",
           data, 0);
  expect_refused(&f, UINT64_MAX, KD_PAYLOAD_TOO_LARGE, "elements");
  free(f.bytes);
  /* A dimension past int64 and an absurd one next to a zero. */
  refused_header("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775808,)}", data, 0,
                 KD_PAYLOAD_TOO_LARGE, "shape[0] is too large");
  refused_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 99999999999999999999999)}", data,
                 0, KD_PAYLOAD_TOO_LARGE, "shape[1] is too large");
  refused_header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 9223372036854775807)}", data, 0,
                 KD_PAYLOAD_TOO_LARGE, "the .npy shape is too large");
  /* The largest int64 dimension is read (then refused by the limit). */
  refused_header("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807,)}", data, 0,
                 KD_PAYLOAD_TOO_LARGE, "more than the limit");
  /* A zero dimension makes an empty array whatever the others are. */
  f = make(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5000000000)}", data, 0);
  npy = parse_ok(&f);
  ck_assert_uint_eq(npy.numel, 0);
  free(f.bytes);
}
END_TEST

/* Flipping or cutting bytes of valid files must never crash or read past the
 * body; whatever is accepted must describe exactly the bytes it was given. */
START_TEST(mutations_are_safe) {
  uint64_t state = 0x243F6A8885A308D3ull;
  const int64_t dims[2] = {3, 2};
  const float v[6] = {1, 2, 3, 4, 5, 6};
  kd_buf b = write_npy(KF_FLOAT32, 2, dims, v);
  for (int round = 0; round < 20000; round++) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    size_t len = b.len - (state >> 60 == 0 ? (state >> 8) % b.len : 0);
    unsigned char *p = prefix_copy((unsigned char *)b.data, len);
    for (int k = 0; k < 1 + (int)((state >> 20) % 4) && len; k++) {
      const size_t at = (size_t)((state >> (24 + 7 * k)) % len);
      static const unsigned char interesting[] = {'(', ')', ',', '\'', '"', '}', '{', ' ', '0', '9',
                                                  'T', 'F', 0, 0xff, 0x80, '>', '|', '<', ':', '\n'};
      p[at] = interesting[(state >> (40 + k)) % sizeof interesting];
    }
    kd_npy npy;
    kd_err err = {KD_OK, ""};
    if (kd_npy_parse(p, len, "body", 1 << 20, &npy, &err) == 0) {
      ck_assert(npy.data >= p && npy.data + npy.numel * npy.itemsize == p + len);
      kf_tensor x;
      if (kd_npy_convert(&npy, npy.kind == 'f' ? KF_FLOAT32 : KF_INT32, "body", &x, &err) == 0)
        free(x.data);
    } else {
      ck_assert(err.code == KD_INVALID_ARGUMENT || err.code == KD_PAYLOAD_TOO_LARGE);
      ck_assert(err.message[0] != '\0');
    }
    free(p);
  }
  kd_buf_free(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("npy");
  TCase *tc = tcase_create("npy");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, writes_what_numpy_save_writes);
  tcase_add_test(tc, round_trips);
  tcase_add_test(tc, reads_other_writers);
  tcase_add_test(tc, fortran_order_is_transposed);
  tcase_add_test(tc, conversions);
  tcase_add_test(tc, preamble_errors);
  tcase_add_test(tc, header_errors);
  tcase_add_test(tc, descr_errors);
  tcase_add_test(tc, size_errors);
  tcase_add_test(tc, mutations_are_safe);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
