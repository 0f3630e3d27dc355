/* Threefry, keys, fold_in, split and random_bits: known answers from the
 * spec and the structural identities of jax-random.md §2–§7. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

static void y01(kf_key k, uint32_t x0, uint32_t x1, uint32_t y[2]) { kf_threefry2x32(k.hi, k.lo, x0, x1, y); }

START_TEST(threefry_random123_known_answers) {
  uint32_t y[2];
  kf_threefry2x32(0, 0, 0, 0, y);
  ck_assert_uint_eq(y[0], 0x6B200159u);
  ck_assert_uint_eq(y[1], 0x99BA4EFEu);
  kf_threefry2x32(0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, y);
  ck_assert_uint_eq(y[0], 0x1CB996FCu);
  ck_assert_uint_eq(y[1], 0xBB002BE7u);
  kf_threefry2x32(0x13198A2Eu, 0x03707344u, 0x243F6A88u, 0x85A308D3u, y);
  ck_assert_uint_eq(y[0], 0xC4923A9Cu);
  ck_assert_uint_eq(y[1], 0x483DF7A0u);
}
END_TEST

START_TEST(hash_pairs_word_i_with_half_plus_i_and_pads_odd) {
  const kf_key k = kf_key_from_data(7, 9);
  uint32_t counts[3] = {0, 1, 2}, out[3], a[2], b[2];
  ck_assert_int_eq(kf_threefry_hash(k, counts, 3, out), KF_OK);
  y01(k, 0, 2, a); /* pair (c0, c2) */
  y01(k, 1, 0, b); /* pair (c1, pad 0) */
  ck_assert_uint_eq(out[0], a[0]);
  ck_assert_uint_eq(out[1], b[0]);
  ck_assert_uint_eq(out[2], a[1]);
  /* in place */
  ck_assert_int_eq(kf_threefry_hash(k, counts, 3, counts), KF_OK);
  ck_assert_mem_eq(counts, out, sizeof out);
  ck_assert_int_eq(kf_threefry_hash(k, NULL, 0, NULL), KF_OK);
  ck_assert_int_eq(kf_threefry_hash(k, NULL, 2, out), KF_EINVAL);
}
END_TEST

START_TEST(seeds_map_like_jax_key) {
  kf_key k = kf_key_from_seed(0, 0);
  ck_assert(k.hi == 0 && k.lo == 0);
  k = kf_key_from_seed(42, 0);
  ck_assert(k.hi == 0 && k.lo == 42);
  k = kf_key_from_seed(-1, 0);
  ck_assert(k.hi == 0 && k.lo == 4294967295u);
  k = kf_key_from_seed(2147483648LL + 99, 0);
  ck_assert(k.hi == 0 && k.lo == 2147483747u);
  k = kf_key_from_seed(-2147483648LL - 100, 0);
  ck_assert(k.hi == 0 && k.lo == 2147483548u);
  k = kf_key_from_seed(INT64_MIN, 0);
  ck_assert(k.hi == 0 && k.lo == 0);
  /* x64: the high word is the upper half of the 64-bit pattern */
  k = kf_key_from_seed(-1, KF_SEED_X64);
  ck_assert(k.hi == 4294967295u && k.lo == 4294967295u);
  k = kf_key_from_seed(-3, KF_SEED_X64);
  ck_assert(k.hi == 4294967295u && k.lo == 4294967293u);
  k = kf_key_from_seed(((int64_t)5 << 32) | 6, KF_SEED_X64);
  ck_assert(k.hi == 5 && k.lo == 6);
  /* a numpy int32 seed keeps hi = 0 even with x64 */
  k = kf_key_from_seed(-3, KF_SEED_X64 | KF_SEED_INT32);
  ck_assert(k.hi == 0 && k.lo == 4294967293u);
}
END_TEST

START_TEST(checked_seed_is_int32_range) {
  kf_key k = {123, 456};
  ck_assert_int_eq(kf_key_from_seed_checked(2147483647, &k), KF_OK);
  ck_assert(k.hi == 0 && k.lo == 2147483647u);
  ck_assert_int_eq(kf_key_from_seed_checked(-2147483648LL, &k), KF_OK);
  ck_assert(k.hi == 0 && k.lo == 2147483648u);
  k = kf_key_from_data(123, 456);
  ck_assert_int_eq(kf_key_from_seed_checked(2147483648LL, &k), KF_ERANGE);
  ck_assert_int_eq(kf_key_from_seed_checked(-2147483649LL, &k), KF_ERANGE);
  ck_assert(k.hi == 123 && k.lo == 456);
  ck_assert_int_eq(kf_key_from_seed_checked(0, NULL), KF_EINVAL);
}
END_TEST

START_TEST(fold_in_known_answers) {
  kf_key k = kf_fold_in(kf_key_from_seed(0, 0), 4);
  ck_assert(k.hi == 2285895361u && k.lo == 433833334u);
  k = kf_fold_in(kf_key_from_seed(42, 0), 0);
  ck_assert(k.hi == 1832780943u && k.lo == 270669613u);
  /* fold_in(k, d) is threefry on the counter pair (0, d) */
  uint32_t y[2];
  y01(kf_key_from_data(11, 12), 0, 0xDEADBEEFu, y);
  k = kf_fold_in(kf_key_from_data(11, 12), 0xDEADBEEFu);
  ck_assert(k.hi == y[0] && k.lo == y[1]);
}
END_TEST

START_TEST(partitionable_split_is_fold_in) {
  const kf_key key = kf_key_from_data(3, 72);
  kf_key s[100];
  ck_assert_int_eq(kf_split(key, KF_THREEFRY_PARTITIONABLE, 100, s), KF_OK);
  for (uint32_t i = 0; i < 100; i++) {
    kf_key f = kf_fold_in(key, i);
    ck_assert_msg(s[i].hi == f.hi && s[i].lo == f.lo, "split[%u] != fold_in", i);
  }
}
END_TEST

START_TEST(legacy_split_takes_consecutive_hash_words) {
  const kf_key key = kf_key_from_seed(0, 0);
  kf_key s[2];
  uint32_t a[2], b[2];
  ck_assert_int_eq(kf_split(key, KF_THREEFRY_LEGACY, 2, s), KF_OK);
  y01(key, 0, 2, a);
  y01(key, 1, 3, b);
  ck_assert(s[0].hi == a[0] && s[0].lo == b[0]);
  ck_assert(s[1].hi == a[1] && s[1].lo == b[1]);
  /* gotchas notebook: split(key(0)) = [[4146024105, 967050713], [2718843009, 1272950319]] */
  ck_assert(s[0].hi == 4146024105u && s[0].lo == 967050713u);
  ck_assert(s[1].hi == 2718843009u && s[1].lo == 1272950319u);
  /* a larger split agrees with the counter hash of iota(2n) */
  enum { N = 300 };
  kf_key big[N];
  uint32_t words[2 * N];
  for (uint32_t i = 0; i < 2 * N; i++) words[i] = i;
  ck_assert_int_eq(kf_threefry_hash(key, words, 2 * N, words), KF_OK);
  ck_assert_int_eq(kf_split(key, KF_THREEFRY_LEGACY, N, big), KF_OK);
  for (int j = 0; j < N; j++) ck_assert(big[j].hi == words[2 * j] && big[j].lo == words[2 * j + 1]);
}
END_TEST

START_TEST(partitionable_bits_do_not_depend_on_shape) {
  const kf_key key = kf_key_from_seed(42, 0);
  uint32_t a[700], b[5];
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 32, 700, a), KF_OK);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 32, 5, b), KF_OK);
  ck_assert_mem_eq(a, b, sizeof b);
  for (uint32_t j = 0; j < 700; j++) {
    uint32_t y[2];
    y01(key, 0, j, y);
    ck_assert_uint_eq(a[j], y[0] ^ y[1]);
  }
  /* docs: bits of key(0), scalar */
  uint32_t s;
  ck_assert_int_eq(kf_random_bits(kf_key_from_seed(0, 0), KF_THREEFRY_PARTITIONABLE, 32, 1, &s), KF_OK);
  ck_assert_uint_eq(s, 4070199207u);
}
END_TEST

START_TEST(legacy_bits_follow_the_counter_hash) {
  const kf_key key = kf_key_from_seed(1701, 0);
  uint32_t w[3], a[2], b[2];
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 32, 3, w), KF_OK);
  y01(key, 0, 2, a);
  y01(key, 1, 0, b);
  ck_assert_uint_eq(w[0], a[0]);
  ck_assert_uint_eq(w[1], b[0]);
  ck_assert_uint_eq(w[2], a[1]);
  ck_assert_uint_eq(w[0], 56197195u);
  ck_assert_uint_eq(w[1], 4200222568u);
  ck_assert_uint_eq(w[2], 961309823u);
}
END_TEST

START_TEST(narrow_bits_are_parts_of_words) {
  const kf_key key = kf_key_from_data(9, 8);
  /* legacy: 8-bit element i is byte i%4 of word i/4 of a ceil(n/4)-word draw */
  uint8_t b8[11];
  uint16_t b16[5];
  uint32_t w3[3], w4[4];
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 8, 11, b8), KF_OK);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 32, 3, w3), KF_OK);
  for (int i = 0; i < 11; i++) ck_assert_uint_eq(b8[i], (w3[i / 4] >> (8 * (i % 4))) & 0xFFu);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 16, 5, b16), KF_OK);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 32, 3, w3), KF_OK);
  for (int i = 0; i < 5; i++) ck_assert_uint_eq(b16[i], (w3[i / 2] >> (16 * (i % 2))) & 0xFFFFu);
  /* partitionable: the low bits of the 32-bit draw */
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 8, 4, b8), KF_OK);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 16, 4, b16), KF_OK);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 32, 4, w4), KF_OK);
  for (int i = 0; i < 4; i++) {
    ck_assert_uint_eq(b8[i], w4[i] & 0xFFu);
    ck_assert_uint_eq(b16[i], w4[i] & 0xFFFFu);
  }
}
END_TEST

START_TEST(bits64_join_the_pair) {
  const kf_key key = kf_key_from_seed(1701, 0);
  uint64_t p[3], l[3];
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 64, 3, p), KF_OK);
  for (uint32_t j = 0; j < 3; j++) {
    uint32_t y[2];
    y01(key, 0, j, y);
    ck_assert(p[j] == (((uint64_t)y[0] << 32) | y[1]));
  }
  /* legacy: element i = (w[i] << 32) | w[n + i] of the 2n-word draw */
  uint32_t w[6];
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 64, 3, l), KF_OK);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 32, 6, w), KF_OK);
  for (int i = 0; i < 3; i++) ck_assert(l[i] == (((uint64_t)w[i] << 32) | w[3 + i]));
  ck_assert(l[0] == 3982329540505020460ull);
}
END_TEST

START_TEST(bits_error_paths) {
  const kf_key key = kf_key_from_seed(1, 0);
  uint32_t out[4];
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 12, 4, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 0, 4, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_bits(key, (kf_threefry_mode)7, 32, 4, out), KF_EINVAL);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 32, 4, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 32, 0, NULL), KF_OK);
  /* size checks come before any write, so a small buffer is never touched */
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_PARTITIONABLE, 32, (size_t)KF_MAX_ELEMENTS + 1, out),
                   KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 32, 0xFFFFFFFFu, out), KF_EOVERFLOW);
  ck_assert_int_eq(kf_random_bits(key, KF_THREEFRY_LEGACY, 64, 0x80000000u, out), KF_EOVERFLOW);
  kf_key ks[2];
  ck_assert_int_eq(kf_split(key, (kf_threefry_mode)-1, 2, ks), KF_EINVAL);
  ck_assert_int_eq(kf_split(key, KF_THREEFRY_PARTITIONABLE, 2, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_split(key, KF_THREEFRY_LEGACY, 0x80000000u, ks), KF_EOVERFLOW);
  ck_assert_int_eq(kf_split(key, KF_THREEFRY_PARTITIONABLE, (size_t)KF_MAX_ELEMENTS + 1, ks),
                   KF_EOVERFLOW);
}
END_TEST

START_TEST(mode_names_round_trip) {
  kf_threefry_mode m;
  ck_assert_int_eq(kf_threefry_mode_from_name("legacy", &m), KF_OK);
  ck_assert_int_eq(m, KF_THREEFRY_LEGACY);
  ck_assert_str_eq(kf_threefry_mode_name(m), "legacy");
  ck_assert_int_eq(kf_threefry_mode_from_name("partitionable", &m), KF_OK);
  ck_assert_str_eq(kf_threefry_mode_name(m), "partitionable");
  ck_assert_int_eq(kf_threefry_mode_from_name("Legacy", &m), KF_EINVAL);
  ck_assert_int_eq(kf_threefry_mode_from_name(NULL, &m), KF_EINVAL);
  ck_assert_ptr_null(kf_threefry_mode_name((kf_threefry_mode)5));
}
END_TEST

static Suite *prng_suite(void) {
  Suite *s = suite_create("prng");
  TCase *tc = tcase_create("threefry");
  tcase_add_test(tc, threefry_random123_known_answers);
  tcase_add_test(tc, hash_pairs_word_i_with_half_plus_i_and_pads_odd);
  suite_add_tcase(s, tc);
  tc = tcase_create("keys");
  tcase_add_test(tc, seeds_map_like_jax_key);
  tcase_add_test(tc, checked_seed_is_int32_range);
  tcase_add_test(tc, fold_in_known_answers);
  tcase_add_test(tc, partitionable_split_is_fold_in);
  tcase_add_test(tc, legacy_split_takes_consecutive_hash_words);
  tcase_add_test(tc, mode_names_round_trip);
  suite_add_tcase(s, tc);
  tc = tcase_create("bits");
  tcase_add_test(tc, partitionable_bits_do_not_depend_on_shape);
  tcase_add_test(tc, legacy_bits_follow_the_counter_hash);
  tcase_add_test(tc, narrow_bits_are_parts_of_words);
  tcase_add_test(tc, bits64_join_the_pair);
  tcase_add_test(tc, bits_error_paths);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(prng_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
