/* Error model and the shape/dtype helpers every other API validates with. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

START_TEST(every_code_has_distinct_text_and_name) {
  const int codes[] = {KF_OK, KF_EINVAL, KF_ESHAPE, KF_EOVERFLOW, KF_ENOMEM, KF_ENOTFOUND,
                       KF_EEXHAUSTED, KF_ERANGE, KF_EEXIST, KF_EMISMATCH, KF_EUNSUPPORTED};
  const size_t n = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < n; i++) {
    ck_assert_ptr_nonnull(kf_strerror(codes[i]));
    ck_assert_str_ne(kf_strerror(codes[i]), "unknown error");
    ck_assert_str_ne(kf_err_name(codes[i]), "KF_UNKNOWN");
    for (size_t j = 0; j < i; j++) {
      ck_assert_str_ne(kf_strerror(codes[i]), kf_strerror(codes[j]));
      ck_assert_str_ne(kf_err_name(codes[i]), kf_err_name(codes[j]));
    }
  }
  ck_assert_str_eq(kf_strerror(12345), "unknown error");
  ck_assert_str_eq(kf_err_name(-999), "KF_UNKNOWN");
  ck_assert_str_eq(kf_err_name(KF_EEXHAUSTED), "KF_EEXHAUSTED");
}
END_TEST

START_TEST(shapes_validate) {
  kf_shape s;
  size_t n;
  int64_t d[9] = {2, 3, 4, 1, 1, 1, 1, 1, 1};
  ck_assert_int_eq(kf_shape_make(&s, 3, d), KF_OK);
  ck_assert_int_eq(kf_shape_numel(&s, &n), KF_OK);
  ck_assert_uint_eq(n, 24);
  ck_assert_int_eq(kf_shape_make(&s, 0, NULL), KF_OK);
  ck_assert_int_eq(kf_shape_numel(&s, &n), KF_OK);
  ck_assert_uint_eq(n, 1); /* a scalar has one element */
  ck_assert_int_eq(kf_shape_make(&s, 9, d), KF_ESHAPE);
  ck_assert_int_eq(kf_shape_make(&s, -1, d), KF_ESHAPE);
  ck_assert_int_eq(kf_shape_make(&s, 2, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_shape_make(NULL, 2, d), KF_EINVAL);
  int64_t neg[2] = {3, -1};
  ck_assert_int_eq(kf_shape_make(&s, 2, neg), KF_ESHAPE);
  int64_t big[3] = {(int64_t)1 << 31, (int64_t)1 << 31, 0};
  ck_assert_int_eq(kf_shape_make(&s, 2, big), KF_EOVERFLOW);
  /* a zero dim makes the count 0, but an absurd dim is still refused */
  ck_assert_int_eq(kf_shape_make(&s, 3, big), KF_EOVERFLOW);
  int64_t zero[2] = {0, 5};
  ck_assert_int_eq(kf_shape_make(&s, 2, zero), KF_OK);
  ck_assert_int_eq(kf_shape_numel(&s, &n), KF_OK);
  ck_assert_uint_eq(n, 0);
  int64_t wrap[2] = {INT64_MAX, 2};
  ck_assert_int_eq(kf_shape_make(&s, 2, wrap), KF_EOVERFLOW);
  int64_t limit[2] = {(int64_t)1 << 20, (int64_t)1 << 20};
  ck_assert_int_eq(kf_shape_make(&s, 2, limit), KF_OK); /* exactly KF_MAX_ELEMENTS */
  limit[1]++;
  ck_assert_int_eq(kf_shape_make(&s, 2, limit), KF_EOVERFLOW);
  kf_shape a, b;
  ck_assert_int_eq(kf_shape_make(&a, 2, d), KF_OK);
  ck_assert_int_eq(kf_shape_make(&b, 2, d), KF_OK);
  ck_assert(kf_shape_equal(&a, &b));
  b.dim[1] = 4;
  ck_assert(!kf_shape_equal(&a, &b));
  ck_assert_int_eq(kf_shape_numel(NULL, &n), KF_EINVAL);
}
END_TEST

START_TEST(dtypes) {
  const char *names[] = {"float32", "int32", "uint32", "bool", "uint8", "uint16", "uint64", "int64", "float64"};
  const size_t sizes[] = {4, 4, 4, 1, 1, 2, 8, 8, 8};
  for (int i = 0; i < 9; i++) {
    kf_dtype t;
    ck_assert_int_eq(kf_dtype_from_name(names[i], &t), KF_OK);
    ck_assert_str_eq(kf_dtype_name(t), names[i]);
    ck_assert_uint_eq(kf_dtype_size(t), sizes[i]);
  }
  kf_dtype t;
  ck_assert_int_eq(kf_dtype_from_name("float16", &t), KF_EINVAL);
  ck_assert_ptr_null(kf_dtype_name((kf_dtype)42));
  ck_assert_uint_eq(kf_dtype_size((kf_dtype)42), 0);
  ck_assert_str_eq(kf_version(), KF_VERSION_STRING);
}
END_TEST

int main(void) {
  Suite *s = suite_create("errors");
  TCase *tc = tcase_create("errors");
  tcase_add_test(tc, every_code_has_distinct_text_and_name);
  tcase_add_test(tc, shapes_validate);
  tcase_add_test(tc, dtypes);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
