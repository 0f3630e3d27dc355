/* The parameter model of the jax.random operations (server/params.h) and
 * the operation table (server/ops.h) without HTTP: decoding (types,
 * defaults, required members, unknown members, nested lists and Tensor
 * objects, ranges, JAX's messages for dtypes and enums), the output shape
 * as jax.random derives it (JAX's texts for shapes that do not broadcast),
 * broadcasting against a reference, the element limit (413), and every row
 * of the table prepared and drawn with its defaults. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "params.h"

#define MAXEL 4096

static json_t *parse(const char *text) {
  json_error_t e;
  json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &e);
  ck_assert_msg(v != NULL, "bad test JSON %s: %s", text, e.text);
  return v;
}

static const char *const no_extra[] = {NULL};

/* A made-up operation with one parameter of every kind. */
static const char *const colours[] = {"red", "green", "blue", NULL};
static const char *const floats[] = {"float32", NULL};
static const int64_t widths[] = {8, 16, KD_CHOICES_END};
static const kd_param every_kind[] = {
  {.name = "key", .kind = KD_PK_KEY, .flags = KD_PF_REQUIRED},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = {KD_DEF_NONE, 0, 0, NULL}},
  {.name = "a", .kind = KD_PK_FLOAT, .def = {KD_DEF_FLOAT, 0.25, 0, NULL}},
  {.name = "b", .kind = KD_PK_FLOAT, .flags = KD_PF_REQUIRED | KD_PF_INF},
  {.name = "lo", .kind = KD_PK_INT, .def = {KD_DEF_INT, 0, -3, NULL}, .min = INT32_MIN, .max = INT32_MAX},
  {.name = "n", .kind = KD_PK_INT, .flags = KD_PF_SCALAR | KD_PF_COUNT, .def = {KD_DEF_INT, 0, 1, NULL},
   .min = 0, .max = 100},
  {.name = "width", .kind = KD_PK_INT, .flags = KD_PF_SCALAR, .def = {KD_DEF_INT, 0, 8, NULL},
   .min = 8, .max = 16, .choices = widths},
  {.name = "colour", .kind = KD_PK_ENUM, .def = {KD_DEF_STRING, 0, 0, "red"}, .values = colours},
  {.name = "dtype", .kind = KD_PK_DTYPE, .def = {KD_DEF_STRING, 0, 0, "float32"}, .values = floats,
   .accepts = KD_DT_FLOAT, .jax_error = "dtype argument to `thing` must be a float dtype, got %s"},
  {.name = "axis", .kind = KD_PK_AXIS, .def = {KD_DEF_INT, 0, -1, NULL}, .min = -8, .max = 7},
  {.name = "replace", .kind = KD_PK_BOOL, .def = {KD_DEF_BOOL, 0, 1, NULL}},
  {.name = NULL},
};

/* Decodes `body` against every_kind (stateless: with the key). */
static int decode(const char *body, kd_args *args, kd_err *err) {
  json_t *v = parse(body);
  const int rc = kd_params_decode(every_kind, v, "body", KD_READ_KEY, no_extra, MAXEL, args, err);
  json_decref(v);
  return rc;
}

static void expect_error(const char *body, kd_code code, const char *words) {
  kd_args args;
  kd_err err = {0};
  ck_assert_msg(decode(body, &args, &err) == -1, "%s accepted", body);
  ck_assert_int_eq(err.code, code);
  ck_assert_msg(strstr(err.message, words) != NULL, "%s: '%s' lacks '%s'", body, err.message, words);
}

START_TEST(python_shapes) {
  char buf[64];
  kf_shape s;
  kf_shape_make(&s, 0, NULL);
  ck_assert_str_eq(kd_shape_py(&s, buf, sizeof buf), "()");
  const int64_t one[] = {3}, two[] = {2, 3};
  kf_shape_make(&s, 1, one);
  ck_assert_str_eq(kd_shape_py(&s, buf, sizeof buf), "(3,)");
  kf_shape_make(&s, 2, two);
  ck_assert_str_eq(kd_shape_py(&s, buf, sizeof buf), "(2, 3)");
}
END_TEST

START_TEST(defaults_and_values) {
  kd_args args;
  kd_err err = {0};
  ck_assert_int_eq(decode("{\"key\": [1, 2], \"b\": 1}", &args, &err), 0);
  const kd_arg *a = kd_args_cget(&args, "a"), *lo = kd_args_cget(&args, "lo");
  ck_assert(!a->given && a->count == 1 && kd_arg_floats(a)[0] == 0.25f && a->shape.rank == 0);
  ck_assert(!lo->given && lo->count == 1 && kd_arg_ints(lo)[0] == -3);
  ck_assert_int_eq(kd_args_cget(&args, "n")->n, 1);
  ck_assert_str_eq(kd_args_cget(&args, "colour")->s, "red");
  ck_assert_str_eq(kd_args_cget(&args, "dtype")->s, "float32");
  ck_assert_int_eq(kd_args_cget(&args, "axis")->n, -1);
  ck_assert_int_eq(kd_args_cget(&args, "replace")->n, 1);
  ck_assert_uint_eq(kd_args_cget(&args, "key")->key.lo, 2);
  ck_assert(!kd_args_cget(&args, "shape")->given);
  ck_assert_ptr_null(kd_args_cget(&args, "nope"));
  kd_args_free(&args);
  /* nested lists, Tensor objects (int32 data for a float), nulls as absent */
  ck_assert_int_eq(decode("{\"key\": [1, 2], \"a\": [[1, 2, 3], [4, 5, 6]], \"lo\": {\"shape\": [2], "
                          "\"data\": [7, -8]}, \"b\": {\"shape\": [1], \"dtype\": \"int32\", \"data\": [3]}, "
                          "\"colour\": \"blue\", \"width\": 16, \"replace\": false, \"axis\": 7, "
                          "\"dtype\": null, \"shape\": [2, 3]}",
                          &args, &err),
                   0);
  a = kd_args_cget(&args, "a");
  ck_assert(a->given && a->count == 6 && a->shape.rank == 2 && a->shape.dim[1] == 3 && kd_arg_floats(a)[5] == 6.0f);
  lo = kd_args_cget(&args, "lo");
  ck_assert(lo->count == 2 && kd_arg_ints(lo)[1] == -8);
  ck_assert(kd_arg_floats(kd_args_cget(&args, "b"))[0] == 3.0f && kd_args_cget(&args, "b")->count == 1);
  ck_assert_str_eq(kd_args_cget(&args, "colour")->s, "blue");
  ck_assert_int_eq(kd_args_cget(&args, "width")->n, 16);
  ck_assert_int_eq(kd_args_cget(&args, "replace")->n, 0);
  ck_assert(!kd_args_cget(&args, "dtype")->given);
  kd_args_free(&args);
  /* a float32 overflow is an infinity where allowed */
  ck_assert_int_eq(decode("{\"key\": [1, 2], \"b\": [-1e39, 1e39]}", &args, &err), 0);
  ck_assert(isinf(kd_arg_floats(kd_args_cget(&args, "b"))[0]) && kd_arg_floats(kd_args_cget(&args, "b"))[1] > 0);
  kd_args_free(&args);
}
END_TEST

START_TEST(decode_errors) {
  expect_error("{\"key\": [1, 2], \"b\": 1, \"c\": 2}", KD_INVALID_ARGUMENT, "unknown field 'c'");
  expect_error("{\"b\": 1}", KD_INVALID_ARGUMENT, "body.key is required");
  expect_error("{\"key\": [1, 2]}", KD_INVALID_ARGUMENT, "body.b is required");
  expect_error("{\"key\": [1, 2], \"b\": \"1\"}", KD_INVALID_ARGUMENT,
               "body.b must be a number, a nested list of numbers or a tensor object");
  expect_error("{\"key\": [1, 2], \"b\": [1, [2]]}", KD_INVALID_ARGUMENT, "body.b is ragged");
  expect_error("{\"key\": [1, 2], \"b\": [[1], [2, 3]]}", KD_INVALID_ARGUMENT, "body.b is ragged");
  expect_error("{\"key\": [1, 2], \"b\": [[1, true]]}", KD_INVALID_ARGUMENT, "body.b[0][1] must be a number");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"a\": [1, 1e39]}", KD_INVALID_ARGUMENT,
               "body.a[1] must be a finite float32");
  expect_error("{\"key\": [1, 2], \"b\": {\"shape\": [2], \"data\": [1]}}", KD_INVALID_ARGUMENT,
               "body.b.data has 1 elements but shape needs 2");
  expect_error("{\"key\": [1, 2], \"b\": {\"shape\": [1], \"dtype\": \"bool\", \"data\": [1]}}",
               KD_INVALID_ARGUMENT, "body.b.dtype must be \"float32\"");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"lo\": {\"shape\": [2], \"data\": [0, 1.5]}}",
               KD_INVALID_ARGUMENT, "body.lo.data[1] must be an integer");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"lo\": [0, 2147483648]}", KD_INVALID_ARGUMENT,
               "body.lo[1] must be in the int32 range -2147483648..2147483647, got 2147483648 "
               "(JAX raises OverflowError");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"n\": [1]}", KD_INVALID_ARGUMENT, "body.n must be an integer");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"n\": 101}", KD_INVALID_ARGUMENT,
               "body.n must be between 0 and 100, got 101");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"n\": 5000}", KD_PAYLOAD_TOO_LARGE,
               "body.n is 5000, more than the limit of 4096 elements");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"width\": 12}", KD_INVALID_ARGUMENT,
               "body.width must be 8 or 16, got 12");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"colour\": \"mauve\"}", KD_INVALID_ARGUMENT,
               "body.colour: got colour='mauve', expected 'red', 'green' or 'blue'");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"dtype\": \"int32\"}", KD_INVALID_ARGUMENT,
               "body.dtype: dtype argument to `thing` must be a float dtype, got int32");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"dtype\": \"float64\"}", KD_INVALID_ARGUMENT,
               "body.dtype: keyfold computes float32 only, got float64 (with x64 off");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"dtype\": \"float16\"}", KD_INVALID_ARGUMENT,
               "got float16 (not implemented)");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"dtype\": \"f4\"}", KD_INVALID_ARGUMENT,
               "body.dtype must be a dtype name (float32), got 'f4'");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"axis\": 8}", KD_INVALID_ARGUMENT,
               "body.axis must be between -8 and 7, got 8");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"replace\": 1}", KD_INVALID_ARGUMENT,
               "body.replace must be true or false");
  expect_error("{\"key\": [1, 2], \"b\": 1, \"shape\": [-1]}", KD_INVALID_ARGUMENT,
               "body.shape[0] must be a non-negative integer");
  /* 413: an array over the limit, before anything is allocated for it */
  expect_error("{\"key\": [1, 2], \"b\": {\"shape\": [4097], \"data\": []}}", KD_PAYLOAD_TOO_LARGE,
               "more than the limit of 4096 elements");
  /* a session's body has no key */
  kd_args args;
  kd_err err = {0};
  json_t *v = parse("{\"key\": [1, 2], \"b\": 1}");
  ck_assert_int_eq(kd_params_decode(every_kind, v, "body", 0, no_extra, MAXEL, &args, &err), -1);
  ck_assert_ptr_nonnull(strstr(err.message, "unknown field 'key'"));
  json_decref(v);
  static const char *const extra[] = {"stream", NULL};
  v = parse("{\"stream\": \"x\", \"b\": 1}");
  ck_assert_int_eq(kd_params_decode(every_kind, v, "body", 0, extra, MAXEL, &args, &err), 0);
  kd_args_free(&args);
  json_decref(v);
}
END_TEST

/* Fills a float parameter of `count` values 0, 1, 2, ... */
static char *iota_tensor(const char *name, const char *shape, size_t count) {
  char *s = malloc(32 + count * 8 + strlen(shape));
  size_t len = (size_t)sprintf(s, "\"%s\": {\"shape\": %s, \"data\": [", name, shape);
  for (size_t i = 0; i < count; i++) len += (size_t)sprintf(s + len, "%s%zu", i ? "," : "", i);
  sprintf(s + len, "]}");
  return s;
}

/* The output shape of `body` under `rule` (for 0 and 1: JAX's None and
 * JAX's ()), or the error. */
#define NONE KD_SHAPE_BROADCAST
static int shape_of(const char *body, kd_shape_rule rule, kd_args *args, kd_err *err) {
  if (decode(body, args, err) != 0) return -1;
  const int rc = kd_params_shape("thing", rule, args, "body", MAXEL, err);
  if (rc != 0) kd_args_free(args);
  return rc;
}

static void expect_shape(const char *body, kd_shape_rule rule, const char *want) {
  kd_args args;
  kd_err err = {0};
  char buf[64];
  ck_assert_msg(shape_of(body, rule, &args, &err) == 0, "%s: %s", body, err.message);
  ck_assert_str_eq(kd_shape_py(&args.shape, buf, sizeof buf), want);
  size_t n = 0;
  kf_shape_numel(&args.shape, &n);
  ck_assert_uint_eq(args.n, n);
  kd_args_free(&args);
}

static void expect_shape_error(const char *body, kd_shape_rule rule, kd_code code, const char *text) {
  kd_args args;
  kd_err err = {0};
  ck_assert_msg(shape_of(body, rule, &args, &err) == -1, "%s accepted", body);
  ck_assert_int_eq(err.code, code);
  ck_assert_msg(strcmp(err.message, text) == 0, "%s:\n got  %s\n want %s", body, err.message, text);
}

START_TEST(shapes_as_jax_derives_them) {
  /* JAX's None: the broadcast of the array parameters (a, b, lo) */
  expect_shape("{\"key\": [0, 0], \"b\": 1}", NONE, "()");
  expect_shape("{\"key\": [0, 0], \"b\": [1, 2, 3]}", NONE, "(3,)");
  expect_shape("{\"key\": [0, 0], \"b\": [1, 2, 3], \"a\": [[1], [2]]}", NONE, "(2, 3)");
  expect_shape("{\"key\": [0, 0], \"b\": [[1, 2, 3]], \"lo\": [[[1]], [[2]]]}", NONE, "(2, 1, 3)");
  expect_shape("{\"key\": [0, 0], \"b\": {\"shape\": [0, 3], \"data\": []}, \"a\": [1, 2, 3]}", NONE, "(0, 3)");
  expect_shape_error("{\"key\": [0, 0], \"b\": [1, 2, 3], \"a\": [1, 2]}", NONE, KD_INVALID_ARGUMENT,
                     "body.b: Incompatible shapes for broadcasting: shapes=[(2,), (3,), ()]");
  /* a given shape: broadcasting it with the parameters must give it back */
  expect_shape("{\"key\": [0, 0], \"b\": [1, 2, 3], \"shape\": [2, 3]}", NONE, "(2, 3)");
  expect_shape("{\"key\": [0, 0], \"b\": [[1], [2]], \"shape\": [4, 2, 5]}", KD_SHAPE_SCALAR, "(4, 2, 5)");
  expect_shape_error("{\"key\": [0, 0], \"b\": [1, 2, 3], \"shape\": [3, 2]}", NONE, KD_INVALID_ARGUMENT,
                     "body.b: Incompatible shapes for broadcasting: shapes=[(3, 2), (), (3,), ()]");
  expect_shape_error("{\"key\": [0, 0], \"b\": [1, 2, 3], \"shape\": [2, 1]}", NONE, KD_INVALID_ARGUMENT,
                     "body.b: thing parameter shapes must be broadcast-compatible with shape argument, "
                     "and the result of broadcasting the shapes must equal the shape argument, but got "
                     "result (2, 3) for shape argument (2, 1).");
  expect_shape_error("{\"key\": [0, 0], \"b\": [[1, 2, 3]], \"shape\": [3]}", NONE, KD_INVALID_ARGUMENT,
                     "body.b: thing parameter shapes must be broadcast-compatible with shape argument, "
                     "and the result of broadcasting the shapes must equal the shape argument, but got "
                     "result (1, 3) for shape argument (3,).");
  /* JAX's default (): arrays must broadcast to a scalar */
  expect_shape("{\"key\": [0, 0], \"b\": 2}", KD_SHAPE_SCALAR, "()");
  expect_shape_error("{\"key\": [0, 0], \"b\": [1, 2, 3]}", KD_SHAPE_SCALAR, KD_INVALID_ARGUMENT,
                     "body.b: thing parameter shapes must be broadcast-compatible with shape argument, "
                     "and the result of broadcasting the shapes must equal the shape argument, but got "
                     "result (3,) for shape argument ().");
}
END_TEST

START_TEST(concat_and_outer_shapes) {
  /* double_sided_maxwell's rule: shape + P, an empty shape counting as P */
  expect_shape("{\"key\": [0, 0], \"b\": [1, 2, 3]}", KD_SHAPE_CONCAT, "(3, 3)");
  expect_shape("{\"key\": [0, 0], \"b\": [1, 2, 3], \"shape\": [2]}", KD_SHAPE_CONCAT, "(2, 3)");
  expect_shape("{\"key\": [0, 0], \"b\": 1, \"shape\": [2]}", KD_SHAPE_CONCAT, "(2,)");
  expect_shape("{\"key\": [0, 0], \"b\": [[1, 2, 3], [4, 5, 6]], \"a\": [1, 2, 3], \"shape\": [4]}",
               KD_SHAPE_CONCAT, "(4, 2, 3)");
  expect_shape_error("{\"key\": [0, 0], \"b\": [1, 2], \"a\": [1, 2, 3]}", KD_SHAPE_CONCAT,
                     KD_INVALID_ARGUMENT, "body.b: Incompatible shapes for broadcasting: shapes=[(3,), (2,), ()]");
  expect_shape_error("{\"key\": [0, 0], \"b\": [[[[1]]]], \"shape\": [1, 1, 1, 1, 1]}", KD_SHAPE_CONCAT,
                     KD_INVALID_ARGUMENT, "body.shape: (1, 1, 1, 1, 1) + (1, 1, 1, 1) has more than 8 dimensions");
  /* weibull_min's: the draw has `shape`, the output its broadcast with P */
  kd_args args;
  kd_err err = {0};
  char buf[64];
  ck_assert_int_eq(shape_of("{\"key\": [0, 0], \"b\": [1, 2, 3]}", KD_SHAPE_OUTER, &args, &err), 0);
  ck_assert_str_eq(kd_shape_py(&args.shape, buf, sizeof buf), "(3,)");
  ck_assert_str_eq(kd_shape_py(&args.draw_shape, buf, sizeof buf), "()");
  ck_assert_uint_eq(args.draw_n, 1);
  kd_args_free(&args);
  ck_assert_int_eq(shape_of("{\"key\": [0, 0], \"b\": [1, 2, 3], \"shape\": [2, 1]}", KD_SHAPE_OUTER,
                            &args, &err), 0);
  ck_assert_str_eq(kd_shape_py(&args.shape, buf, sizeof buf), "(2, 3)");
  ck_assert_str_eq(kd_shape_py(&args.draw_shape, buf, sizeof buf), "(2, 1)");
  kd_args_free(&args);
  expect_shape("{\"key\": [0, 0], \"b\": [1, 2, 3], \"shape\": [2, 3]}", KD_SHAPE_OUTER, "(2, 3)");
  expect_shape_error("{\"key\": [0, 0], \"b\": [1, 2, 3], \"shape\": [2]}", KD_SHAPE_OUTER,
                     KD_INVALID_ARGUMENT, "body.b: Incompatible shapes for broadcasting: shapes=[(2,), (), (3,), ()]");
}
END_TEST

/* A made-up row with KD_SHAPE_OUTER over uniform's per-element sampler: an
 * output element is the element of the draw of `shape` it broadcasts from,
 * computed with its own bounds. */
static int call_outer_uniform(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *lo = kd_sample_arg(s, "minval"), *hi = kd_sample_arg(s, "maxval");
  return kf_random_uniform_p(key, mode, s->n, kd_arg_floats(lo), lo->count, kd_arg_floats(hi), hi->count,
                             s->out.data);
}

static const kd_param outer_params[] = {
  {.name = "key", .kind = KD_PK_KEY, .flags = KD_PF_REQUIRED},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = {KD_DEF_EMPTY_SHAPE, 0, 0, NULL}},
  {.name = "minval", .kind = KD_PK_FLOAT, .def = {KD_DEF_FLOAT, 0, 0, NULL}},
  {.name = "maxval", .kind = KD_PK_FLOAT, .def = {KD_DEF_FLOAT, 1, 0, NULL}},
  {.name = NULL},
};

static const kd_op outer_op = {"outer_uniform", KD_OP_SAMPLER, outer_params, KD_OP_RANDOM, KD_SHAPE_OUTER,
                               KF_FLOAT32, NULL, call_outer_uniform, "test", NULL};

/* kd_sample_prepare of op for the body {"key": [3, 4], <members>}. */
static int prepare_members(const kd_op *op, const char *members, kd_sample *s, kd_err *err) {
  char text[256];
  snprintf(text, sizeof text, "{\"key\": [3, 4], %s}", members);
  json_t *body = parse(text);
  const int rc = kd_sample_prepare(op, body, "body", KD_READ_KEY, no_extra, MAXEL, s, err);
  json_decref(body);
  return rc;
}

/* weibull_min's order: JAX broadcasts the draw with "c" (pow), then "s"
 * (mul); a parameter without a step comes last, with broadcast_shapes' text. */
static const kd_param stepped_params[] = {
  {.name = "key", .kind = KD_PK_KEY, .flags = KD_PF_REQUIRED},
  {.name = "s", .kind = KD_PK_FLOAT, .def = {KD_DEF_FLOAT, 1, 0, NULL}, .outer_step = 2, .outer_op = "mul"},
  {.name = "c", .kind = KD_PK_FLOAT, .def = {KD_DEF_FLOAT, 1, 0, NULL}, .outer_step = 1, .outer_op = "pow"},
  {.name = "z", .kind = KD_PK_FLOAT, .def = {KD_DEF_FLOAT, 0, 0, NULL}},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = {KD_DEF_EMPTY_SHAPE, 0, 0, NULL}},
  {.name = NULL},
};

static const kd_op stepped_op = {"stepped", KD_OP_SAMPLER, stepped_params, KD_OP_RANDOM, KD_SHAPE_OUTER,
                                 KF_FLOAT32, NULL, NULL, "test", NULL}; /* prepared, never drawn */

START_TEST(outer_steps_fail_with_jnp_text) {
  static const struct {
    const char *body, *want;
  } cases[] = {
    {"\"s\": [1, 2], \"shape\": [3]", "body.s: mul got incompatible shapes for broadcasting: (3,), (2,)."},
    {"\"c\": [1, 2], \"s\": [1, 2, 3, 4], \"shape\": [3]",
     "body.c: pow got incompatible shapes for broadcasting: (3,), (2,)."},
    {"\"c\": [[1], [2]], \"s\": [1, 2], \"shape\": [3]",
     "body.s: mul got incompatible shapes for broadcasting: (2, 3), (2,)."},
    {"\"z\": [1, 2], \"shape\": [3]", "body.z: Incompatible shapes for broadcasting: shapes=[(3,), (), (), (2,)]"},
    {"\"c\": [[1], [2]], \"s\": [1, 2, 3], \"shape\": [3]", NULL},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    kd_sample smp;
    kd_err err = {0};
    const int rc = prepare_members(&stepped_op, cases[c].body, &smp, &err);
    if (!cases[c].want) {
      ck_assert_msg(rc == 0, "%s", err.message);
      ck_assert_uint_eq(smp.n, 6);
      kd_sample_free(&smp);
      continue;
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strcmp(err.message, cases[c].want) == 0, "%s:\n got  %s\n want %s", cases[c].body, err.message,
                  cases[c].want);
  }
}
END_TEST

START_TEST(outer_draws_once_per_element_of_shape) {
  const kf_threefry_mode mode = (kf_threefry_mode)_i;
  static const struct {
    const char *body;
    int rank;
    int64_t out[3], draw[3];
  } cases[] = {
    {"\"minval\": [0, 10, 100], \"maxval\": [[1], [1000]], \"shape\": [2, 1]", 2, {2, 3}, {2, 1}},
    {"\"minval\": [[0], [10]], \"maxval\": 1000, \"shape\": [1, 3]", 2, {2, 3}, {1, 3}},
    {"\"minval\": [0, 10, 100]", 1, {3}, {0}},
    {"\"minval\": [[[0]], [[10]]], \"maxval\": [[1], [2], [3]], \"shape\": [4]", 3, {2, 3, 4}, {4}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    kd_sample s;
    kd_err err = {0};
    ck_assert_msg(prepare_members(&outer_op, cases[c].body, &s, &err) == 0, "%s", err.message);
    ck_assert_int_eq(kd_sample_draw(&s, kf_key_from_data(3, 4), mode, &err), 0);
    const kd_arg *lo = kd_sample_arg(&s, "minval"), *hi = kd_sample_arg(&s, "maxval");
    const size_t dn = s.args.draw_n;
    ck_assert_int_eq(s.args.shape.rank, cases[c].rank);
    for (size_t j = 0; j < s.n; j++) {
      /* the draw index: the output index with the replica dimensions dropped */
      size_t rest = j, d = 0, stride = 1;
      for (int k = s.args.shape.rank - 1; k >= 0; k--) {
        const size_t i = rest % (size_t)s.args.shape.dim[k];
        rest /= (size_t)s.args.shape.dim[k];
        const int dk = k - (s.args.shape.rank - s.args.draw_shape.rank);
        if (dk >= 0 && s.args.draw_shape.dim[dk] == s.args.shape.dim[k]) {
          d += i * stride;
          stride *= (size_t)s.args.shape.dim[k];
        }
      }
      float one[8];
      const float a = kd_arg_floats(lo)[lo->count == 1 ? 0 : j], b = kd_arg_floats(hi)[hi->count == 1 ? 0 : j];
      ck_assert_int_eq(kf_random_uniform(kf_key_from_data(3, 4), mode, dn, a, b, one), KF_OK);
      ck_assert_msg(memcmp(&((float *)s.out.data)[j], &one[d], 4) == 0, "case %zu element %zu (draw %zu)", c, j,
                    d);
    }
    kd_sample_free(&s);
  }
}
END_TEST

START_TEST(broadcast_past_the_limit_is_413) {
  /* each parameter within the element limit, their broadcast beyond it */
  char *b = iota_tensor("b", "[4096, 1]", 4096);
  char *body = malloc(strlen(b) + 128);
  sprintf(body, "{\"key\": [0, 0], %s, \"a\": [1, 2]}", b);
  expect_shape_error(body, NONE, KD_PAYLOAD_TOO_LARGE,
                     "body: the shape (4096, 2) has more than the limit of 4096 elements");
  free(body);
  free(b);
}
END_TEST

START_TEST(broadcast_matches_the_reference) {
  /* b of shape pshape broadcast to out: element (i0..ik) takes b's element
   * with each dimension of size 1 held at 0 (right-aligned). */
  static const struct {
    const char *pshape;
    int prank;
    int64_t pdim[3];
    const char *shape;
    int rank;
    int64_t dim[3];
  } cases[] = {
    {"[3]", 1, {3}, "[2, 3]", 2, {2, 3}},
    {"[2, 1]", 2, {2, 1}, "[2, 3]", 2, {2, 3}},
    {"[1, 3]", 2, {1, 3}, "[4, 2, 3]", 3, {4, 2, 3}},
    {"[4, 1, 3]", 3, {4, 1, 3}, "[4, 5, 3]", 3, {4, 5, 3}},
    {"[2, 3]", 2, {2, 3}, "[2, 3]", 2, {2, 3}},
    {"[1]", 1, {1}, "[7]", 1, {7}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    size_t pcount = 1;
    for (int d = 0; d < cases[c].prank; d++) pcount *= (size_t)cases[c].pdim[d];
    char *b = iota_tensor("b", cases[c].pshape, pcount);
    char body[4096];
    snprintf(body, sizeof body, "{\"key\": [0, 0], %s, \"shape\": %s}", b, cases[c].shape);
    free(b);
    kd_args args;
    kd_err err = {0};
    ck_assert_msg(shape_of(body, NONE, &args, &err) == 0, "%s", err.message);
    ck_assert_int_eq(kd_params_broadcast(&args, "body", &err), 0);
    const kd_arg *arg = kd_args_cget(&args, "b");
    const kd_arg *a = kd_args_cget(&args, "a");
    ck_assert_uint_eq(a->count, 1); /* a single value stays single */
    ck_assert_uint_eq(arg->count, pcount == 1 ? 1 : args.n);
    const int rank = cases[c].rank, off = rank - cases[c].prank;
    for (size_t j = 0; j < args.n && pcount > 1; j++) {
      size_t rest = j, src = 0, stride = 1;
      for (int d = rank - 1; d >= 0; d--) {
        const size_t i = rest % (size_t)cases[c].dim[d];
        rest /= (size_t)cases[c].dim[d];
        if (d >= off) {
          const size_t pd = (size_t)cases[c].pdim[d - off];
          src += (pd == 1 ? 0 : i) * stride;
          stride *= pd;
        }
      }
      ck_assert_msg(kd_arg_floats(arg)[j] == (float)src, "case %zu element %zu: %g, want %zu", c, j, (double)kd_arg_floats(arg)[j], src);
    }
    kd_args_free(&args);
  }
}
END_TEST

/* Every row of the table prepares with its required parameters given and
 * draws (the call functions find every parameter they read), in both
 * routes' forms; the listing writes each row. */
START_TEST(every_row_prepares_and_draws) {
  for (size_t i = 0; i < kd_op_count(); i++) {
    const kd_op *op = kd_op_at(i);
    json_t *body = json_object();
    for (const kd_param *p = op->params; p->name; p++) {
      if (!(p->flags & KD_PF_REQUIRED) || p->kind == KD_PK_KEY) continue;
      json_t *v = p->kind == KD_PK_SEED ? json_integer(3)
                  : p->kind == KD_PK_FLOAT ? json_real(0.5)
                  : p->kind == KD_PK_INT  ? json_integer(p->min < 0 ? 0 : 2)
                                          : json_null();
      json_object_set_new(body, p->name, v);
    }
    /* dirichlet's alpha, categorical's logits, multinomial's p and
     * multivariate_normal's mean are vectors (JAX: ndim >= 1), its cov a
     * matrix */
    if (strcmp(op->name, "dirichlet") == 0) json_object_set_new(body, "alpha", json_pack("[ff]", 0.5, 2.0));
    if (strcmp(op->name, "categorical") == 0) json_object_set_new(body, "logits", json_pack("[ff]", 0.5, 2.0));
    if (strcmp(op->name, "multinomial") == 0) json_object_set_new(body, "p", json_pack("[ff]", 0.5, 2.0));
    if (strcmp(op->name, "choice") == 0) json_object_set_new(body, "a", json_integer(3));
    if (strcmp(op->name, "multivariate_normal") == 0) {
      json_object_set_new(body, "mean", json_pack("[ff]", 0.5, 2.0));
      json_object_set_new(body, "cov", json_pack("[[ff][ff]]", 1.0, 0.0, 0.0, 1.0));
    }
    /* the randint bounds 0 and 0 are valid, and so are 0.5, 0.5 */
    for (int stateless = 0; stateless < 2; stateless++) {
      if (!stateless && !(op->flags & KD_OP_SESSION)) continue;
      if (stateless && op->params[0].kind == KD_PK_KEY)
        json_object_set_new(body, "key", json_pack("[ii]", 0, 7));
      kd_sample s;
      kd_err err = {0};
      ck_assert_msg(kd_sample_prepare(op, body, "body", stateless ? KD_READ_KEY : 0, no_extra, MAXEL,
                                      &s, &err) == 0,
                    "%s: %s", op->name, err.message);
      if (op->cls == KD_OP_SAMPLER) {
        ck_assert_int_eq(kd_sample_draw(&s, kf_key_from_data(0, 7), KF_THREEFRY_PARTITIONABLE, &err), 0);
        ck_assert_int_eq(s.out.dtype, op->dtype);
      }
      kd_sample_free(&s);
    }
    json_decref(body);
    kd_buf b;
    kd_buf_init(&b);
    kd_jw w;
    kd_jw_init(&w, &b);
    kd_op_write(&w, op);
    json_t *listed = json_loadb(b.data, b.len, 0, NULL);
    ck_assert_ptr_nonnull(listed);
    ck_assert_str_eq(json_string_value(json_object_get(listed, "name")), op->name);
    size_t count = 0;
    while (op->params[count].name) count++;
    ck_assert_uint_eq(json_array_size(json_object_get(listed, "params")), count);
    json_decref(listed);
    kd_buf_free(&b);
  }
  ck_assert_ptr_null(kd_op_find("categorial"));
  ck_assert_ptr_nonnull(kd_op_find("categorical"));
}
END_TEST

/* A row with array parameters equals the same draw element by element,
 * also when one parameter is a single value (held inside the sample, which
 * the caller may copy) and the other an array. */
START_TEST(array_parameters_are_drawn_per_element) {
  const kd_op *op = kd_op_find("uniform");
  static const char *const bodies[] = {
    "{\"key\": [0, 9], \"shape\": [2, 3], \"minval\": [0, 10, 100], \"maxval\": [[1], [1000]]}",
    "{\"key\": [0, 9], \"shape\": [2, 3], \"minval\": [0, 10, 100], \"maxval\": 1000}",
    "{\"key\": [0, 9], \"shape\": [2, 3], \"maxval\": [[1], [1000]]}",
  };
  const float lo[3][3] = {{0, 10, 100}, {0, 10, 100}, {0, 0, 0}};
  const float hi[3][2] = {{1, 1000}, {1000, 1000}, {1, 1000}};
  for (int b = 0; b < 3; b++) {
    json_t *body = parse(bodies[b]);
    kd_sample prepared, s;
    kd_err err = {0};
    ck_assert_int_eq(kd_sample_prepare(op, body, "body", KD_READ_KEY, no_extra, MAXEL, &prepared, &err), 0);
    s = prepared;
    memset(&prepared, 0xA5, sizeof prepared); /* nothing may point into the original */
    ck_assert_int_eq(kd_sample_draw(&s, kf_key_from_data(0, 9), KF_THREEFRY_LEGACY, &err), 0);
    for (size_t j = 0; j < 6; j++) {
      float one[6];
      ck_assert_int_eq(kf_random_uniform(kf_key_from_data(0, 9), KF_THREEFRY_LEGACY, 6, lo[b][j % 3],
                                         hi[b][j / 3], one),
                       KF_OK);
      ck_assert_msg(memcmp(&((float *)s.out.data)[j], &one[j], 4) == 0, "body %d element %zu", b, j);
    }
    kd_sample_free(&s);
    json_decref(body);
  }
}
END_TEST

static Suite *params_suite(void) {
  Suite *s = suite_create("params");
  TCase *tc = tcase_create("model");
  tcase_add_test(tc, python_shapes);
  tcase_add_test(tc, defaults_and_values);
  tcase_add_test(tc, decode_errors);
  tcase_add_test(tc, shapes_as_jax_derives_them);
  tcase_add_test(tc, concat_and_outer_shapes);
  tcase_add_test(tc, outer_steps_fail_with_jnp_text);
  tcase_add_loop_test(tc, outer_draws_once_per_element_of_shape, KF_THREEFRY_PARTITIONABLE,
                      KF_THREEFRY_LEGACY + 1);
  tcase_add_test(tc, broadcast_past_the_limit_is_413);
  tcase_add_test(tc, broadcast_matches_the_reference);
  tcase_add_test(tc, every_row_prepares_and_draws);
  tcase_add_test(tc, array_parameters_are_drawn_per_element);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(params_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
