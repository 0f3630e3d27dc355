/* kd_format_f32 (server/buf.c) prints every float32 exactly as the
 * snprintf/strtod search of tests/f32fmt_ref.h does. Here on a sample: every
 * 4099th bit pattern (4099 is prime, so the sample walks through every
 * exponent and every residue of the low mantissa bits) and the cases where
 * the fast path has a branch or an edge: zeros, subnormals, the limits of its
 * range, powers of two and ten and their neighbours, ties of the decimal
 * rounding, integers around 2^24. tests/f32fmt_exhaustive.c does all 2^32
 * patterns (minutes; see docs/testing.md). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "f32fmt_ref.h"

static float from_bits(uint32_t bits) {
  float v;
  memcpy(&v, &bits, sizeof v);
  return v;
}

static uint32_t to_bits(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return bits;
}

/* Compares one value (and its negation); returns the number of mismatches,
 * the first few printed. */
static int mismatches;
static void check_bits(uint32_t bits) {
  for (int sign = 0; sign < 2; sign++) {
    const uint32_t b = bits ^ (sign ? 0x80000000u : 0);
    const float v = from_bits(b);
    char got[32], want[32];
    memset(got, 'x', sizeof got);
    const int n = kd_format_f32(v, got);
    const int m = ref_format_f32(v, want);
    if (n != m || strcmp(got, want) != 0 || (int)strlen(got) != n) {
      if (mismatches < 10)
        fprintf(stderr, "%08x: kd_format_f32 gives \"%s\" (%d), the search \"%s\" (%d)\n",
                (unsigned)b, got, n, want, m);
      mismatches++;
    }
  }
}

static void check_value(float v) { check_bits(to_bits(v) & 0x7FFFFFFFu); }

/* v and the k floats on either side of it. */
static void check_around(float v, int k) {
  uint32_t b = to_bits(v) & 0x7FFFFFFFu;
  for (int i = -k; i <= k; i++) {
    const int64_t c = (int64_t)b + i;
    if (c >= 0 && c <= 0x7FFFFFFF) check_bits((uint32_t)c);
  }
}

START_TEST(sampled_bit_patterns) {
  mismatches = 0;
  /* every 4099th pattern of the positive half; check_bits adds the sign */
  for (uint64_t b = 0; b <= 0x7FFFFFFFu; b += 4099) check_bits((uint32_t)b);
  ck_assert_int_eq(mismatches, 0);
}
END_TEST

START_TEST(edge_cases) {
  mismatches = 0;
  /* zeros, subnormals, the normal range's ends, infinities, NaNs */
  check_around(0.0f, 8);
  check_around(FLT_MIN, 8);
  check_around(FLT_MAX, 8);
  check_around(from_bits(0x007FFFFFu), 2);
  check_around(INFINITY, 2);
  check_bits(0x7FC00000u);
  check_bits(0x7F800001u);
  check_bits(0x7FFFFFFFu);
  /* every power of two (the narrow lower half of the interval) */
  for (int e = -149; e <= 127; e++) check_around(ldexpf(1.0f, e), 3);
  /* every power of ten in range and the largest p-digit decimals below
   * them: the decade boundaries, the digit count's estimate, the carry of
   * 99…95 into 10^p, the 1e-36 end of the fast path and the |q| <= 22 ends
   * of its exact check */
  for (int k = -45; k <= 38; k++) {
    check_around((float)pow(10.0, k), 3);
    for (int p = 1; p <= 9; p++) check_around((float)((1.0 - 0.5 * pow(10.0, -p)) * pow(10.0, k)), 2);
  }
  for (int k = -40; k <= -33; k++)
    for (int i = 1; i < 1000; i++) check_value((float)(i * pow(10.0, k)));
  for (int k = 12; k <= 33; k++)
    for (int i = 1; i < 1000; i++) {
      check_value((float)(i * pow(10.0, k)));
      check_value((float)(i * pow(10.0, -k)));
    }
  /* ties of the decimal rounding: exact binary fractions with a 5 just past
   * the 6th to 9th digit, rounded to even by %g */
  for (uint32_t i = 0; i < 20000; i++) {
    check_value((float)(1000000 + i) + 0.5f);
    check_value((float)(10000000 + 2 * i) + 0.5f);
    check_value((float)(100000 + i) + 0.25f);
    check_value((float)(100000 + i) + 0.75f);
    check_value(((float)(1000000 + i) + 0.5f) / 1024.0f);
    check_value(((float)(8388608 - i)) / 8388608.0f);
    check_value((float)(i * 0.001));
    check_value((float)(i * 1e-6));
  }
  /* integers around 2^24 and 10^8, where floats get sparser than integers */
  for (uint32_t i = 0; i < 4096; i++) {
    check_value((float)(16777216 - 2048 + (int)i));
    check_value((float)(16777216 + 2 * i));
    check_value((float)(100000000 - 8192 + 4 * (int)i));
    check_value((float)(999999000 + 64 * (int)i));
  }
  ck_assert_int_eq(mismatches, 0);
}
END_TEST

START_TEST(known_strings) {
  static const struct {
    float v;
    const char *s;
  } cases[] = {
      {0.0f, "0.0"},          {-0.0f, "-0.0"},        {1.0f, "1.0"},
      {0.1f, "0.1"},          {0.947667f, "0.947667"}, {-1.9133632f, "-1.9133632"},
      {1e-5f, "1e-05"},       {1e6f, "1e+06"},        {123456.0f, "123456.0"},
      {1234567.0f, "1234567.0"}, {16777216.0f, "16777216.0"}, {1e-4f, "0.0001"},
      {1.5e-4f, "0.00015"},   {FLT_MAX, "3.4028235e+38"}, {FLT_MIN, "1.1754944e-38"},
      {FLT_TRUE_MIN, "1e-45"}, {1234567.5f, "1234567.5"}, {0.3f, "0.3"},
      {2.5f, "2.5"},          {100.0f, "100.0"},      {1e10f, "1e+10"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[32];
    const int n = kd_format_f32(cases[i].v, out);
    ck_assert_str_eq(out, cases[i].s);
    ck_assert_int_eq(n, (int)strlen(cases[i].s));
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("f32fmt");
  TCase *tc = tcase_create("f32fmt");
  tcase_set_timeout(tc, 240);
  tcase_add_test(tc, known_strings);
  tcase_add_test(tc, edge_cases);
  tcase_add_test(tc, sampled_bit_patterns);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
