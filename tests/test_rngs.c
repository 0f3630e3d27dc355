/* nnx.Rngs: stream lookup and fallback, counters, exhaustion, reseed, state
 * save/restore and the error paths (flax-nnx.md §1–§2). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

#define ck_assert_key_eq(a, b)          \
  do {                                  \
    const kf_key ka_ = (a), kb_ = (b);  \
    ck_assert_uint_eq(ka_.hi, kb_.hi);  \
    ck_assert_uint_eq(ka_.lo, kb_.lo);  \
  } while (0)

static kf_key seed_key(int64_t seed) { return kf_key_from_seed(seed, 0); }

static kf_rngs *new_rngs(void) {
  kf_rngs *r = NULL;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_PARTITIONABLE, &r), KF_OK);
  ck_assert_ptr_nonnull(r);
  return r;
}

static void add(kf_rngs *r, const char *name, int64_t seed) {
  ck_assert_int_eq(kf_rngs_add_stream(r, name, seed_key(seed), 0), KF_OK);
}

static uint32_t count_of(const kf_rngs *r, const char *name) {
  kf_stream_state s;
  ck_assert(kf_rngs_has_stream(r, name, &s));
  return s.count;
}

static kf_key draw1(kf_rngs *r, const char *name) {
  kf_key k;
  ck_assert_int_eq(kf_rngs_draw(r, name, 1, &k, NULL, NULL), KF_OK);
  return k;
}

/* ---- lookup and fallback ---------------------------------------------- */

/* The Rngs docstring of flax v0.10.7, r = Rngs(100, params=42), in order. */
START_TEST(docstring_sequence) {
  kf_rngs *r = new_rngs();
  add(r, "params", 42); /* keyword streams first, 'default' last */
  add(r, "default", 100);
  kf_key k;
  uint32_t first = 99;
  size_t index = 99;

  ck_assert_int_eq(kf_rngs_draw(r, "params", 1, &k, &first, &index), KF_OK);
  ck_assert_key_eq(k, kf_key_from_data(1832780943u, 270669613u));
  ck_assert_key_eq(k, kf_fold_in(seed_key(42), 0));
  ck_assert_uint_eq(first, 0);
  ck_assert_uint_eq(index, 0);

  ck_assert_int_eq(kf_rngs_draw(r, "dropout", 1, &k, &first, &index), KF_OK);
  ck_assert_key_eq(k, kf_key_from_data(701046466u, 2104227382u));
  ck_assert_key_eq(k, kf_fold_in(seed_key(100), 0));
  ck_assert_uint_eq(first, 0);
  ck_assert_uint_eq(index, 1); /* served by 'default' */

  ck_assert_int_eq(kf_rngs_draw(r, NULL, 1, &k, &first, &index), KF_OK);
  ck_assert_key_eq(k, kf_key_from_data(2213033797u, 2583756506u));
  ck_assert_key_eq(k, kf_fold_in(seed_key(100), 1));
  ck_assert_uint_eq(first, 1);

  k = draw1(r, "params");
  ck_assert_key_eq(k, kf_key_from_data(64467757u, 2916123636u));
  ck_assert_key_eq(k, kf_fold_in(seed_key(42), 1));

  /* Fallback names are not streams. */
  ck_assert_uint_eq(kf_rngs_stream_count(r), 2);
  ck_assert(!kf_rngs_has_stream(r, "dropout", NULL));
  ck_assert_uint_eq(count_of(r, "default"), 2);
  ck_assert_uint_eq(count_of(r, "params"), 2);
  kf_rngs_free(r);
}
END_TEST

START_TEST(fallback_shares_the_default_counter) {
  kf_rngs *a = new_rngs();
  add(a, "default", 0);
  kf_rngs *b = NULL;
  ck_assert_int_eq(kf_rngs_clone(a, &b), KF_OK);
  ck_assert_ptr_nonnull(b);
  /* Fresh Rngs(0): the first params key and the first dropout key coincide. */
  ck_assert_key_eq(draw1(a, "params"), draw1(b, "dropout"));
  ck_assert_key_eq(draw1(b, "params"), kf_fold_in(seed_key(0), 1));
  /* One counter: params, dropout and default all advance it. */
  ck_assert_key_eq(draw1(a, "dropout"), kf_fold_in(seed_key(0), 1));
  ck_assert_key_eq(draw1(a, "default"), kf_fold_in(seed_key(0), 2));
  ck_assert_uint_eq(count_of(a, "default"), 3);
  kf_rngs_free(a);
  kf_rngs_free(b);
}
END_TEST

START_TEST(resolve_reports_the_serving_stream) {
  kf_rngs *r = new_rngs();
  add(r, "params", 1);
  size_t index = 99;
  ck_assert_int_eq(kf_rngs_resolve(r, "params", &index), KF_OK);
  ck_assert_uint_eq(index, 0);
  ck_assert_int_eq(kf_rngs_resolve(r, "dropout", &index), KF_ENOTFOUND);
  ck_assert_int_eq(kf_rngs_resolve(r, NULL, &index), KF_ENOTFOUND);
  ck_assert_uint_eq(index, 0);
  add(r, "default", 0);
  ck_assert_int_eq(kf_rngs_resolve(r, "dropout", &index), KF_OK);
  ck_assert_uint_eq(index, 1);
  ck_assert_int_eq(kf_rngs_resolve(r, NULL, &index), KF_OK);
  ck_assert_uint_eq(index, 1);
  ck_assert_int_eq(kf_rngs_resolve(r, "a-b", &index), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_resolve(r, "params", NULL), KF_OK);
  kf_rngs_free(r);
}
END_TEST

START_TEST(missing_stream_without_default) {
  kf_rngs *r = new_rngs();
  add(r, "params", 0);
  kf_key k = kf_key_from_data(5, 6);
  uint32_t first = 7;
  size_t index = 8;
  ck_assert_int_eq(kf_rngs_draw(r, "dropout", 1, &k, &first, &index), KF_ENOTFOUND);
  ck_assert_int_eq(kf_rngs_draw(r, NULL, 1, &k, &first, &index), KF_ENOTFOUND);
  ck_assert_int_eq(kf_rngs_can_draw(r, "dropout", 1), KF_ENOTFOUND);
  ck_assert_int_eq(kf_rngs_can_draw(r, "dropout", 0), KF_ENOTFOUND);
  /* Outputs untouched, nothing drawn. */
  ck_assert_key_eq(k, kf_key_from_data(5, 6));
  ck_assert_uint_eq(first, 7);
  ck_assert_uint_eq(index, 8);
  ck_assert_uint_eq(count_of(r, "params"), 0);
  kf_rngs_free(r);
}
END_TEST

START_TEST(not_found_message_is_flax_0_10s) {
  char buf[128];
  const char *expect = "No RNG named 'dropout' or 'default' found in Rngs.";
  ck_assert_uint_eq(kf_rngs_not_found_message("dropout", buf, sizeof buf), strlen(expect));
  ck_assert_str_eq(buf, expect);
  ck_assert_uint_eq(kf_rngs_not_found_message(NULL, buf, sizeof buf),
                   strlen("No RNG named 'default' or 'default' found in Rngs."));
  ck_assert_str_eq(buf, "No RNG named 'default' or 'default' found in Rngs.");
  /* Truncated like snprintf, always terminated, full length reported. */
  ck_assert_uint_eq(kf_rngs_not_found_message("dropout", buf, 8), strlen(expect));
  ck_assert_str_eq(buf, "No RNG ");
  ck_assert_uint_eq(kf_rngs_not_found_message("dropout", NULL, 0), strlen(expect));
  ck_assert_uint_eq(kf_rngs_not_found_message("dropout", NULL, 50), strlen(expect));
}
END_TEST

/* ---- counters ------------------------------------------------------------ */

START_TEST(draw_n_is_consecutive_and_atomic) {
  kf_rngs *r = new_rngs();
  add(r, "default", 7);
  kf_key keys[4];
  uint32_t first = 99;
  ck_assert_int_eq(kf_rngs_draw(r, "x", 3, keys, &first, NULL), KF_OK);
  ck_assert_uint_eq(first, 0);
  for (uint32_t i = 0; i < 3; i++) ck_assert_key_eq(keys[i], kf_fold_in(seed_key(7), i));
  ck_assert_uint_eq(count_of(r, "default"), 3);
  /* Partitionable split(key, n)[i] == fold_in(key, i): the stream's rows. */
  kf_key split[4];
  ck_assert_int_eq(kf_split(seed_key(7), KF_THREEFRY_PARTITIONABLE, 4, split), KF_OK);
  ck_assert_key_eq(draw1(r, NULL), split[3]);
  /* n = 0 draws nothing and needs no buffer; NULL keys with n > 0 is refused. */
  ck_assert_int_eq(kf_rngs_draw(r, NULL, 0, NULL, &first, NULL), KF_OK);
  ck_assert_uint_eq(first, 4);
  ck_assert_int_eq(kf_rngs_draw(r, NULL, 2, NULL, NULL, NULL), KF_EINVAL);
  ck_assert_uint_eq(count_of(r, "default"), 4);
  kf_rngs_free(r);
}
END_TEST

START_TEST(exhaustion_refuses_the_wrapping_draw) {
  kf_rngs *r = new_rngs();
  const kf_key k = kf_key_from_data(3, 4);
  ck_assert_int_eq(kf_rngs_add_stream(r, "s", k, UINT32_MAX - 2), KF_OK);
  kf_key keys[3];
  ck_assert_int_eq(kf_rngs_can_draw(r, "s", 2), KF_OK);
  ck_assert_int_eq(kf_rngs_draw(r, "s", 2, keys, NULL, NULL), KF_OK);
  ck_assert_key_eq(keys[0], kf_fold_in(k, UINT32_MAX - 2));
  ck_assert_key_eq(keys[1], kf_fold_in(k, UINT32_MAX - 1));
  ck_assert_uint_eq(count_of(r, "s"), UINT32_MAX);
  /* The key at count 2^32 - 1 would be followed by a wrap: refused. */
  ck_assert_int_eq(kf_rngs_draw(r, "s", 1, keys, NULL, NULL), KF_EEXHAUSTED);
  ck_assert_int_eq(kf_rngs_can_draw(r, "s", 1), KF_EEXHAUSTED);
  ck_assert_int_eq(kf_rngs_can_draw(r, "s", 0), KF_OK);
  ck_assert_uint_eq(count_of(r, "s"), UINT32_MAX);

  /* A draw that would cross the limit is refused whole. */
  ck_assert_int_eq(kf_rngs_add_stream(r, "t", k, UINT32_MAX - 2), KF_OK);
  ck_assert_int_eq(kf_rngs_draw(r, "t", 3, keys, NULL, NULL), KF_EEXHAUSTED);
  ck_assert_int_eq(kf_rngs_draw(r, "t", SIZE_MAX, keys, NULL, NULL), KF_EEXHAUSTED);
  ck_assert_uint_eq(count_of(r, "t"), UINT32_MAX - 2);
  ck_assert_int_eq(kf_rngs_draw(r, "t", 2, keys, NULL, NULL), KF_OK);

  /* A reseed makes the stream usable again. */
  ck_assert_int_eq(kf_rngs_reseed(r, "s", k), KF_OK);
  ck_assert_key_eq(draw1(r, "s"), kf_fold_in(k, 0));
  kf_rngs_free(r);
}
END_TEST

START_TEST(exhaustion_through_fallback) {
  kf_rngs *r = new_rngs();
  ck_assert_int_eq(kf_rngs_add_stream(r, "default", seed_key(0), UINT32_MAX), KF_OK);
  kf_key k;
  ck_assert_int_eq(kf_rngs_draw(r, "dropout", 1, &k, NULL, NULL), KF_EEXHAUSTED);
  ck_assert_uint_eq(count_of(r, "default"), UINT32_MAX);
  kf_rngs_free(r);
}
END_TEST

/* ---- reseed and state ---------------------------------------------------- */

START_TEST(reseed_resets_key_and_count) {
  kf_rngs *r = new_rngs();
  add(r, "dropout", 1);
  add(r, "default", 0);
  draw1(r, "dropout");
  draw1(r, "dropout");
  draw1(r, "default");
  ck_assert_int_eq(kf_rngs_reseed(r, "dropout", seed_key(42)), KF_OK);
  kf_stream_state s;
  ck_assert(kf_rngs_has_stream(r, "dropout", &s));
  ck_assert_key_eq(s.key, seed_key(42));
  ck_assert_uint_eq(s.count, 0);
  ck_assert_key_eq(draw1(r, "dropout"), kf_key_from_data(1832780943u, 270669613u));
  /* Other streams are untouched. */
  ck_assert(kf_rngs_has_stream(r, "default", &s));
  ck_assert_key_eq(s.key, seed_key(0));
  ck_assert_uint_eq(s.count, 1);
  kf_rngs_free(r);
}
END_TEST

START_TEST(reseed_has_no_fallback) {
  kf_rngs *r = new_rngs();
  add(r, "default", 0);
  draw1(r, "default");
  ck_assert_int_eq(kf_rngs_reseed(r, "dropout", seed_key(42)), KF_ENOTFOUND);
  ck_assert_int_eq(kf_rngs_reseed(r, "a-b", seed_key(42)), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_reseed(r, NULL, seed_key(42)), KF_EINVAL);
  kf_stream_state s;
  ck_assert(kf_rngs_has_stream(r, "default", &s));
  ck_assert_key_eq(s.key, seed_key(0));
  ck_assert_uint_eq(s.count, 1);
  ck_assert_uint_eq(kf_rngs_stream_count(r), 1);
  kf_rngs_free(r);
}
END_TEST

START_TEST(saved_state_restores_the_next_keys) {
  kf_rngs *r = new_rngs();
  add(r, "params", 3);
  add(r, "dropout", 4);
  add(r, "default", 5);
  draw1(r, "params");
  draw1(r, "dropout");
  draw1(r, "dropout");
  draw1(r, "other");

  kf_rngs *restored = NULL;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_PARTITIONABLE, &restored), KF_OK);
  for (size_t i = 0; i < kf_rngs_stream_count(r); i++) {
    kf_stream_state s;
    ck_assert_int_eq(kf_rngs_stream_at(r, i, &s), KF_OK);
    ck_assert_int_eq(kf_rngs_add_stream(restored, s.name, s.key, s.count), KF_OK);
  }
  kf_stream_state s;
  ck_assert_int_eq(kf_rngs_stream_at(restored, 1, &s), KF_OK);
  ck_assert_str_eq(s.name, "dropout");
  ck_assert_uint_eq(s.count, 2);
  const char *names[] = {"params", "dropout", "default", "other", "params"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    ck_assert_key_eq(draw1(restored, names[i]), draw1(r, names[i]));
  ck_assert_key_eq(draw1(restored, "params"), kf_fold_in(seed_key(3), 3));
  kf_rngs_free(r);
  kf_rngs_free(restored);
}
END_TEST

START_TEST(clones_are_independent) {
  kf_rngs *r = NULL;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_LEGACY, &r), KF_OK);
  add(r, "default", 9);
  draw1(r, NULL);
  kf_rngs *c = NULL;
  ck_assert_int_eq(kf_rngs_clone(r, &c), KF_OK);
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(kf_rngs_mode(c), KF_THREEFRY_LEGACY);
  ck_assert_key_eq(draw1(c, NULL), kf_fold_in(seed_key(9), 1));
  draw1(c, NULL);
  add(c, "params", 1);
  ck_assert_uint_eq(count_of(r, "default"), 1);
  ck_assert_uint_eq(kf_rngs_stream_count(r), 1);
  ck_assert_uint_eq(kf_rngs_stream_count(c), 2);
  /* fold_in does not depend on the threefry mode. */
  ck_assert_key_eq(draw1(r, NULL), kf_fold_in(seed_key(9), 1));
  kf_rngs_free(r);
  kf_rngs_free(c);
}
END_TEST

/* ---- names and limits ------------------------------------------------------ */

START_TEST(stream_names) {
  char long_name[KF_STREAM_NAME_MAX + 2];
  memset(long_name, 'a', sizeof long_name);
  long_name[KF_STREAM_NAME_MAX + 1] = '\0'; /* 65 characters */
  const char *bad[] = {"", "1a", "a-b", "../x", "a b", "é", long_name};
  kf_rngs *r = new_rngs();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ck_assert_msg(!kf_stream_name_valid(bad[i]), "accepted '%s'", bad[i]);
    ck_assert_int_eq(kf_rngs_add_stream(r, bad[i], seed_key(0), 0), KF_EINVAL);
    ck_assert_int_eq(kf_rngs_draw(r, bad[i], 0, NULL, NULL, NULL), KF_EINVAL);
  }
  ck_assert(!kf_stream_name_valid(NULL));
  ck_assert_uint_eq(kf_rngs_stream_count(r), 0);

  long_name[KF_STREAM_NAME_MAX] = '\0'; /* 64 characters */
  const char *good[] = {"_", "a", "A_1", "default", "_9", long_name};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    ck_assert_msg(kf_stream_name_valid(good[i]), "refused '%s'", good[i]);
    ck_assert_int_eq(kf_rngs_add_stream(r, good[i], seed_key((int64_t)i), 0), KF_OK);
  }
  kf_stream_state s;
  ck_assert(kf_rngs_has_stream(r, long_name, &s));
  ck_assert_str_eq(s.name, long_name);
  ck_assert_key_eq(s.key, seed_key(5));
  kf_rngs_free(r);
}
END_TEST

START_TEST(duplicate_stream_is_refused) {
  kf_rngs *r = new_rngs();
  add(r, "params", 1);
  draw1(r, "params");
  ck_assert_int_eq(kf_rngs_add_stream(r, "params", seed_key(2), 0), KF_EEXIST);
  kf_stream_state s;
  ck_assert(kf_rngs_has_stream(r, "params", &s));
  ck_assert_key_eq(s.key, seed_key(1));
  ck_assert_uint_eq(s.count, 1);
  ck_assert_uint_eq(kf_rngs_stream_count(r), 1);
  kf_rngs_free(r);
}
END_TEST

START_TEST(too_many_streams) {
  kf_rngs *r = new_rngs();
  char name[16];
  for (int i = 0; i < KF_RNGS_MAX_STREAMS; i++) {
    snprintf(name, sizeof name, "s%d", i);
    add(r, name, i);
  }
  ck_assert_int_eq(kf_rngs_add_stream(r, "one_more", seed_key(0), 0), KF_ERANGE);
  ck_assert_int_eq(kf_rngs_add_stream(r, "s3", seed_key(0), 0), KF_EEXIST);
  ck_assert_uint_eq(kf_rngs_stream_count(r), KF_RNGS_MAX_STREAMS);
  kf_stream_state s;
  ck_assert_int_eq(kf_rngs_stream_at(r, KF_RNGS_MAX_STREAMS - 1, &s), KF_OK);
  ck_assert_str_eq(s.name, "s63");
  ck_assert_int_eq(kf_rngs_stream_at(r, KF_RNGS_MAX_STREAMS, &s), KF_ERANGE);
  kf_rngs_free(r);
}
END_TEST

/* The streams and their names share one block that grows as streams are
 * added: every stream keeps its name, key and count across the moves, and a
 * clone taken at any size is exact. */
START_TEST(growth_keeps_every_stream) {
  kf_rngs *r = new_rngs();
  kf_rngs *clones[KF_RNGS_MAX_STREAMS];
  char name[KF_STREAM_NAME_MAX + 1];
  for (int i = 0; i < KF_RNGS_MAX_STREAMS; i++) {
    /* Unique names of growing length, the last one 64 characters long. */
    const int len = 1 + i % KF_STREAM_NAME_MAX;
    int w = snprintf(name, sizeof name, "%c%d", 'a' + i % 26, i);
    while (w < len) name[w++] = '_';
    name[w] = '\0';
    add(r, name, 1000 + i);
    for (int k = 0; k < i % 3; k++) draw1(r, name);
    ck_assert_int_eq(kf_rngs_clone(r, &clones[i]), KF_OK);
    ck_assert_ptr_nonnull(clones[i]);
  }
  for (int n = 0; n < KF_RNGS_MAX_STREAMS; n++) {
    const kf_rngs *c = clones[n];
    ck_assert_uint_eq(kf_rngs_stream_count(c), (size_t)n + 1);
    for (int i = 0; i <= n; i++) {
      kf_stream_state a, b;
      ck_assert_int_eq(kf_rngs_stream_at(r, (size_t)i, &a), KF_OK);
      ck_assert_int_eq(kf_rngs_stream_at(c, (size_t)i, &b), KF_OK);
      ck_assert_str_eq(a.name, b.name);
      ck_assert_mem_eq(&a, &b, sizeof a); /* zeroed past the name, so comparable whole */
      ck_assert_key_eq(a.key, seed_key(1000 + i));
      ck_assert_uint_eq(a.count, (uint32_t)(i % 3));
      ck_assert(kf_rngs_has_stream(c, a.name, NULL));
    }
  }
  kf_stream_state last;
  ck_assert_int_eq(kf_rngs_stream_at(r, KF_RNGS_MAX_STREAMS - 1, &last), KF_OK);
  ck_assert_uint_eq(strlen(last.name), KF_STREAM_NAME_MAX);
  ck_assert_key_eq(draw1(r, last.name), kf_fold_in(seed_key(1000 + KF_RNGS_MAX_STREAMS - 1), 0));
  for (int n = 0; n < KF_RNGS_MAX_STREAMS; n++) kf_rngs_free(clones[n]);
  kf_rngs_free(r);
}
END_TEST

START_TEST(null_arguments) {
  kf_rngs *r = NULL;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_PARTITIONABLE, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_new((kf_threefry_mode)7, &r), KF_EINVAL);
  ck_assert_ptr_null(r);
  kf_rngs_free(NULL);
  ck_assert_int_eq(kf_rngs_clone(NULL, &r), KF_EINVAL);
  ck_assert_ptr_null(r);
  ck_assert_int_eq(kf_rngs_mode(NULL), KF_THREEFRY_PARTITIONABLE);
  ck_assert_uint_eq(kf_rngs_stream_count(NULL), 0);

  kf_key k = seed_key(0);
  kf_stream_state s;
  size_t index;
  ck_assert_int_eq(kf_rngs_add_stream(NULL, "a", k, 0), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_stream_at(NULL, 0, &s), KF_EINVAL);
  ck_assert(!kf_rngs_has_stream(NULL, "a", &s));
  ck_assert_int_eq(kf_rngs_resolve(NULL, "a", &index), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_draw(NULL, "a", 1, &k, NULL, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_can_draw(NULL, "a", 1), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_reseed(NULL, "a", k), KF_EINVAL);

  r = new_rngs();
  add(r, "a", 1);
  ck_assert_int_eq(kf_rngs_stream_at(r, 0, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_rngs_stream_at(r, 1, &s), KF_ERANGE);
  ck_assert(!kf_rngs_has_stream(r, NULL, &s));
  ck_assert(kf_rngs_has_stream(r, "a", NULL));
  ck_assert_int_eq(kf_rngs_add_stream(r, NULL, k, 0), KF_EINVAL);
  ck_assert_uint_eq(count_of(r, "a"), 0);
  kf_rngs_free(r);
}
END_TEST

static Suite *rngs_suite(void) {
  Suite *s = suite_create("rngs");
  TCase *lookup = tcase_create("lookup");
  tcase_add_test(lookup, docstring_sequence);
  tcase_add_test(lookup, fallback_shares_the_default_counter);
  tcase_add_test(lookup, resolve_reports_the_serving_stream);
  tcase_add_test(lookup, missing_stream_without_default);
  tcase_add_test(lookup, not_found_message_is_flax_0_10s);
  suite_add_tcase(s, lookup);

  TCase *counters = tcase_create("counters");
  tcase_add_test(counters, draw_n_is_consecutive_and_atomic);
  tcase_add_test(counters, exhaustion_refuses_the_wrapping_draw);
  tcase_add_test(counters, exhaustion_through_fallback);
  suite_add_tcase(s, counters);

  TCase *state = tcase_create("state");
  tcase_add_test(state, reseed_resets_key_and_count);
  tcase_add_test(state, reseed_has_no_fallback);
  tcase_add_test(state, saved_state_restores_the_next_keys);
  tcase_add_test(state, clones_are_independent);
  suite_add_tcase(s, state);

  TCase *errors = tcase_create("errors");
  tcase_add_test(errors, stream_names);
  tcase_add_test(errors, duplicate_stream_is_refused);
  tcase_add_test(errors, too_many_streams);
  tcase_add_test(errors, growth_keeps_every_stream);
  tcase_add_test(errors, null_arguments);
  suite_add_tcase(s, errors);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(rngs_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
