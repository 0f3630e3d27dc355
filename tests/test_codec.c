/* The daemon's codec pieces that need no network: float32 printing, the JSON
 * writer, the error model and the request-value decoders. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "apierr.h"
#include "buf.h"
#include "codec.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t next_u32(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (uint32_t)(rng_state >> 16);
}

/* Digits of the decimal mantissa without leading or trailing zeros. */
static int significant_digits(const char *s) {
  char d[40];
  int n = 0;
  for (const char *p = s; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') d[n++] = *p;
  int lo = 0, hi = n;
  while (lo < hi && d[lo] == '0') lo++;
  while (hi > lo && d[hi - 1] == '0') hi--;
  return hi - lo;
}

START_TEST(f32_printing_round_trips_and_is_shortest) {
  char out[32], shorter[320];
  for (int i = 0; i < 300000; i++) {
    uint32_t bits = next_u32();
    float v;
    memcpy(&v, &bits, sizeof v);
    if (!isfinite(v)) continue;
    int n = kd_format_f32(v, out);
    ck_assert_int_eq((int)strlen(out), n);
    const float back = (float)strtod(out, NULL);
    ck_assert_msg(memcmp(&back, &v, 4) == 0 || (v == 0 && back == 0), "%08x printed as %s", bits, out);
    /* no precision below our significant-digit count reads back */
    const int digits = significant_digits(out);
    if (digits > 1) {
      snprintf(shorter, sizeof shorter, "%.*g", digits - 1, (double)v);
      ck_assert_msg((float)strtod(shorter, NULL) != v, "%08x: %s but %s reads back", bits, out, shorter);
    }
  }
  /* short decimals, where %g's trailing-zero stripping must give the shortest form */
  for (int k = 1; k < 20000; k++) {
    const float vs[2] = {(float)(k * 0.001), (float)k / 1024.0f};
    for (int j = 0; j < 2; j++) {
      kd_format_f32(vs[j], out);
      ck_assert((float)strtod(out, NULL) == vs[j]);
      const int digits = significant_digits(out);
      if (digits > 1) {
        snprintf(shorter, sizeof shorter, "%.*g", digits - 1, (double)vs[j]);
        ck_assert_msg((float)strtod(shorter, NULL) != vs[j], "%s but %s reads back", out, shorter);
      }
    }
  }
  kd_format_f32(0.947667f, out);
  ck_assert_str_eq(out, "0.947667");
  kd_format_f32(1.0f, out);
  ck_assert_str_eq(out, "1.0");
  kd_format_f32(-0.0f, out);
  ck_assert_str_eq(out, "-0.0");
  kd_format_f32(1e-5f, out);
  ck_assert_str_eq(out, "1e-05");
  kd_format_f32(0.1f, out);
  ck_assert_str_eq(out, "0.1");
  kd_format_f32(-1.9133632f, out);
  ck_assert_str_eq(out, "-1.9133632");
  kd_format_f32(16777216.0f, out);
  ck_assert_str_eq(out, "16777216.0");
  kd_format_f32(FLT_TRUE_MIN, out);
  ck_assert((float)strtod(out, NULL) == FLT_TRUE_MIN);
  kd_format_f32(NAN, out);
  ck_assert_str_eq(out, "NaN");
  kd_format_f32(-INFINITY, out);
  ck_assert_str_eq(out, "-Infinity");
}
END_TEST

START_TEST(json_writer_nests_escapes_and_separates) {
  kd_buf b;
  kd_buf_init(&b);
  kd_jw w;
  kd_jw_init(&w, &b);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "a\"b");
  kd_jw_array_begin(&w);
  kd_jw_int(&w, -3);
  kd_jw_uint(&w, 4294967295u);
  kd_jw_bool(&w, 1);
  kd_jw_null(&w);
  kd_jw_string(&w, "x\n\x01\\");
  kd_jw_f32(&w, INFINITY);
  kd_jw_f32(&w, 2.5f);
  kd_jw_array_end(&w);
  kd_jw_key(&w, "o");
  kd_jw_object_begin(&w);
  kd_jw_object_end(&w);
  kd_jw_object_end(&w);
  ck_assert(!kd_buf_failed(&b));
  ck_assert_str_eq(b.data, "{\"a\\\"b\":[-3,4294967295,true,null,\"x\\n\\u0001\\\\\",\"Infinity\",2.5],\"o\":{}}");
  /* the writer's output is valid JSON */
  json_error_t e;
  json_t *v = json_loads(b.data, 0, &e);
  ck_assert_ptr_nonnull(v);
  json_decref(v);
  kd_buf_free(&b);
  /* invalid UTF-8 (a cut multi-byte character, an overlong form, a
   * surrogate) becomes U+FFFD; valid characters pass through */
  kd_jw_init(&w, &b);
  kd_jw_string(&w, "\xc3\xa9|\xc3|\xc0\xaf|\xed\xa0\x80|\xf0\x9f\x98\x80");
  ck_assert_str_eq(b.data, "\"\xc3\xa9|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\xf0\x9f\x98\x80\"");
  kd_buf_free(&b);
}
END_TEST

START_TEST(error_bodies) {
  kd_err err;
  ck_assert_int_eq(kd_fail(&err, KD_NOT_FOUND, "session '%s' not found", "x"), -1);
  ck_assert_int_eq(kd_code_status(err.code), 404);
  kd_buf b;
  kd_buf_init(&b);
  kd_err_write_json(&err, &b);
  ck_assert_str_eq(b.data, "{\"error\":{\"code\":\"not_found\",\"message\":\"session 'x' not found\"}}");
  kd_buf_free(&b);
  kd_err_write_oip(&err, &b);
  ck_assert_str_eq(b.data, "{\"error\":\"session 'x' not found\"}");
  kd_buf_free(&b);
  ck_assert_int_eq(kd_code_status(KD_PAYLOAD_TOO_LARGE), 413);
  ck_assert_str_eq(kd_code_name(KD_UNSUPPORTED_MEDIA), "unsupported_media_type");
  ck_assert_int_eq(kd_fail_kf(&err, KF_EEXHAUSTED, "keys"), -1);
  ck_assert_int_eq(err.code, KD_FAILED_PRECONDITION);
}
END_TEST

static json_t *parse(const char *s) {
  json_error_t e;
  json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
  ck_assert_msg(v != NULL, "%s: %s", s, e.text);
  return v;
}

START_TEST(decoders) {
  kd_err err;
  kf_key k;
  json_t *v = parse("[4294967295, 0]");
  ck_assert_int_eq(kd_parse_key(v, "key", &k, &err), 0);
  ck_assert(k.hi == 4294967295u && k.lo == 0);
  json_decref(v);
  const char *bad_keys[] = {"[4294967296, 0]", "[-1, 0]", "[1]", "[1,2,3]", "\"x\"", "[1.5, 2]"};
  for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++) {
    v = parse(bad_keys[i]);
    ck_assert_int_eq(kd_parse_key(v, "key", &k, &err), -1);
    ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(err.message, "key"));
    json_decref(v);
  }
  v = parse("-1");
  ck_assert_int_eq(kd_parse_seed_or_key(v, "seed", &k, &err), 0);
  ck_assert(k.hi == 0 && k.lo == 4294967295u);
  json_decref(v);

  kf_shape s;
  size_t n;
  v = parse("[2, 3]");
  ck_assert_int_eq(kd_parse_shape(v, "shape", 100, &s, &n, &err), 0);
  ck_assert_uint_eq(n, 6);
  json_decref(v);
  v = parse("[11, 10]");
  ck_assert_int_eq(kd_parse_shape(v, "shape", 100, &s, &n, &err), -1);
  ck_assert_int_eq(err.code, KD_PAYLOAD_TOO_LARGE);
  json_decref(v);
  v = parse("[4611686018427387904, 4]");
  ck_assert_int_eq(kd_parse_shape(v, "shape", 100, &s, &n, &err), -1);
  ck_assert_int_eq(err.code, KD_PAYLOAD_TOO_LARGE);
  json_decref(v);
  v = parse("[0, 5]");
  ck_assert_int_eq(kd_parse_shape(v, "shape", 100, &s, &n, &err), 0); /* empty */
  ck_assert_uint_eq(n, 0);
  json_decref(v);
  v = parse("[0, 4611686018427387904]"); /* empty, but an absurd dimension */
  ck_assert_int_eq(kd_parse_shape(v, "shape", 100, &s, &n, &err), -1);
  ck_assert_int_eq(err.code, KD_PAYLOAD_TOO_LARGE);
  json_decref(v);
  const char *bad_shapes[] = {"[-1]", "[1.5]", "3", "[1,1,1,1,1,1,1,1,1]", "[\"2\"]"};
  for (size_t i = 0; i < sizeof bad_shapes / sizeof bad_shapes[0]; i++) {
    v = parse(bad_shapes[i]);
    ck_assert_int_eq(kd_parse_shape(v, "shape", 100, &s, &n, &err), -1);
    ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
    json_decref(v);
  }
}
END_TEST

START_TEST(tensors) {
  kd_err err;
  kf_tensor t;
  json_t *v = parse("[[1, 2.5], [3, -4]]");
  ck_assert_int_eq(kd_parse_tensor(v, "x", KF_FLOAT32, 100, &t, &err), 0);
  ck_assert_int_eq(t.shape.rank, 2);
  ck_assert(((float *)t.data)[1] == 2.5f && ((float *)t.data)[3] == -4.0f);
  free(t.data);
  json_decref(v);
  v = parse("{\"shape\": [3], \"dtype\": \"int32\", \"data\": [1, -2, 3]}");
  ck_assert_int_eq(kd_parse_tensor(v, "x", KF_INT32, 100, &t, &err), 0);
  ck_assert_int_eq(((int32_t *)t.data)[1], -2);
  free(t.data);
  json_decref(v);
  v = parse("7.5");
  ck_assert_int_eq(kd_parse_tensor(v, "x", KF_FLOAT32, 100, &t, &err), 0);
  ck_assert_int_eq(t.shape.rank, 0);
  free(t.data);
  json_decref(v);
  const char *bad[] = {"[[1, 2], [3]]", "[[1, 2], 3]", "[1, [2]]", "[\"a\"]", "[1e39]",
                       "{\"shape\": [2], \"data\": [1]}", "{\"shape\": [1], \"data\": [1], \"x\": 1}",
                       "{\"shape\": [1], \"dtype\": \"bool\", \"data\": [1]}", "[[[[[[[[[1]]]]]]]]]", "true"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = parse(bad[i]);
    ck_assert_msg(kd_parse_tensor(v, "x", KF_FLOAT32, 100, &t, &err) == -1, "%s accepted", bad[i]);
    ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
    json_decref(v);
  }
  v = parse("[1.5]");
  ck_assert_int_eq(kd_parse_tensor(v, "x", KF_INT32, 100, &t, &err), -1);
  json_decref(v);
  v = parse("[[1,2,3],[4,5,6]]");
  ck_assert_int_eq(kd_parse_tensor(v, "x", KF_FLOAT32, 5, &t, &err), -1);
  ck_assert_int_eq(err.code, KD_PAYLOAD_TOO_LARGE);
  json_decref(v);
  /* writing: uint64 as strings, bool as true/false */
  uint64_t big[2] = {18446744073709551615ull, 1};
  kf_tensor out = {KF_UINT64, {1, {2}}, big};
  kd_buf b;
  kd_buf_init(&b);
  kd_jw w;
  kd_jw_init(&w, &b);
  kd_write_tensor(&w, &out);
  ck_assert_str_eq(b.data, "{\"shape\":[2],\"dtype\":\"uint64\",\"data\":[\"18446744073709551615\",\"1\"]}");
  kd_buf_free(&b);
}
END_TEST

int main(void) {
  Suite *s = suite_create("codec");
  TCase *tc = tcase_create("codec");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, f32_printing_round_trips_and_is_shortest);
  tcase_add_test(tc, json_writer_nests_escapes_and_separates);
  tcase_add_test(tc, error_bodies);
  tcase_add_test(tc, decoders);
  tcase_add_test(tc, tensors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
