/* Content negotiation (server/accept.c): which of application/json and
 * application/x-npy an Accept header allows, and which it prefers. */
#include <check.h>
#include <stdlib.h>

#include "accept.h"

/* json_ok, npy_ok, prefer_npy for one header. */
static void expect(const char *header, int json_ok, int npy_ok, int prefer_npy) {
  kd_accept a = {-1, -1, -1};
  kd_accept_parse(header, &a);
  ck_assert_msg(a.json_ok == json_ok && a.npy_ok == npy_ok && a.prefer_npy == prefer_npy,
                "Accept '%s': json_ok %d npy_ok %d prefer_npy %d, expected %d %d %d",
                header ? header : "(none)", a.json_ok, a.npy_ok, a.prefer_npy, json_ok, npy_ok,
                prefer_npy);
}

START_TEST(no_preference_means_json) {
  expect(NULL, 1, 1, 0);
  expect("", 1, 1, 0);
  expect("   ", 1, 1, 0);
  expect(" , ,", 1, 1, 0);
  expect("*/*", 1, 1, 0);
  expect("application/*", 1, 1, 0);
  expect("application/json", 1, 0, 0);
  expect("Application/JSON; charset=utf-8", 1, 0, 0);
  /* Equal weights from equally specific ranges: JSON, the default. */
  expect("application/x-npy, application/json", 1, 1, 0);
  expect("application/json;q=0.5, application/x-npy;q=0.5", 1, 1, 0);
}
END_TEST

START_TEST(npy_when_preferred_or_only) {
  expect("application/x-npy", 0, 1, 1);
  expect("APPLICATION/X-NPY", 0, 1, 1);
  expect("application/x-npy;q=0.001", 0, 1, 1);
  expect("application/x-npy, application/json;q=0.9", 1, 1, 1);
  expect("application/json;q=0.5,application/x-npy", 1, 1, 1);
  expect("application/json ; q=0.999 , application/x-npy ; q=1.000", 1, 1, 1);
  /* An exact match outranks a wildcard at the same weight... */
  expect("application/x-npy, */*", 1, 1, 1);
  expect("application/x-npy, application/*", 1, 1, 1);
  expect("*/*;q=0.8, application/x-npy;q=0.8", 1, 1, 1);
  /* ...but not a higher weight. */
  expect("application/x-npy;q=0.5, */*", 1, 1, 0);
  /* The most specific range decides a type's weight, whatever its order. */
  expect("*/*, application/json;q=0", 0, 1, 1);
  expect("application/json;q=0, */*", 0, 1, 1);
  expect("application/*;q=0.1, application/x-npy;q=0.2", 1, 1, 1);
  /* Among equally specific ranges the highest weight counts. */
  expect("application/x-npy;q=0.1, application/x-npy;q=0.9, application/json;q=0.5", 1, 1, 1);
}
END_TEST

START_TEST(q_zero_and_nothing_acceptable) {
  expect("text/html", 0, 0, 0);
  expect("text/*, image/png", 0, 0, 0);
  expect("application/json;q=0", 0, 0, 0);
  expect("application/x-npy;q=0", 0, 0, 0);
  expect("application/x-npy;q=0.000, application/json;q=0.0", 0, 0, 0);
  expect("*/*;q=0", 0, 0, 0);
  expect("application/*;q=0", 0, 0, 0);
  expect("application/*;q=0, application/json", 1, 0, 0);
  expect("application/x-npy;q=0, */*", 1, 0, 0);
  expect("application/x-npy;q=0, application/json", 1, 0, 0);
  expect("application/octet-stream", 0, 0, 0);
  expect("application/x-npyz, application/jsonx", 0, 0, 0);
}
END_TEST

START_TEST(parameters_and_malformed_elements) {
  /* Parameters other than q, quoted values with commas and semicolons. */
  expect("application/x-npy; version=\"1,0;2\"; q=0.7, application/json; q=0.6", 1, 1, 1);
  expect("application/x-npy;;q=1;, application/json;q=0.5", 1, 1, 1);
  expect("application/json;Q=0, application/x-npy", 0, 1, 1);
  expect("application/json;level=1;q=0.2;x=y, application/x-npy;q=0.3", 1, 1, 1);
  /* Malformed elements are ignored, the others still count. */
  expect("application/x-npy;q=2, application/json", 1, 0, 0);    /* q above 1 */
  expect("application/x-npy;q=1.5, application/json", 1, 0, 0);
  expect("application/x-npy;q=0.0001, application/json", 1, 0, 0); /* four decimals */
  expect("application/x-npy;q=.5, application/json", 1, 0, 0);
  expect("application/x-npy;q=, application/json", 1, 0, 0);
  expect("application/x-npy;q=-0, application/json", 1, 0, 0);
  expect("application/x-npy;q=1.001, application/json", 1, 0, 0);
  expect("application/x-npy;q, application/json", 1, 0, 0);
  expect("application/x-npy;=1, application/json", 1, 0, 0);
  expect("application/x-npy junk, application/json", 1, 0, 0);
  expect("application, application/json", 1, 0, 0);
  expect("application/, application/json", 1, 0, 0);
  expect("/x-npy, application/json", 1, 0, 0);
  expect("*/x-npy, application/json", 1, 0, 0);
  expect("application/x-npy;v=\"unterminated, application/json", 1, 1, 0);
  expect("application/x-npy;q=1.", 0, 1, 1);
  expect("application/x-npy;q=0.", 0, 0, 0);
  /* Nothing valid at all: as if there were no header. */
  expect("garbage", 1, 1, 0);
  expect("application/x-npy;q=7", 1, 1, 0);
  expect(";;;,,,", 1, 1, 0);
  expect("\"application/x-npy\"", 1, 1, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("accept");
  TCase *tc = tcase_create("accept");
  tcase_add_test(tc, no_preference_means_json);
  tcase_add_test(tc, npy_when_preferred_or_only);
  tcase_add_test(tc, q_zero_and_nothing_acceptable);
  tcase_add_test(tc, parameters_and_malformed_elements);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
