/* The session table (server/store.c): an open-addressing hash table with
 * linear probing and backward-shift deletion, reference-counted sessions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* The table's hash (store.c: FNV-1a and a murmur finaliser), repeated here
 * to make names that collide on purpose. If store.c changes its hash, keep
 * this copy in step: the cluster test would still pass, but on names that
 * no longer collide. */
static uint64_t hash_name(const char *name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    h ^= *p;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

#define MIN_CAPACITY 64 /* store.c */

static kd_session *insert(kd_store *st, const char *name) {
  kd_session *s = kd_session_new(name);
  ck_assert_ptr_nonnull(s);
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_store_insert(st, s, &err) == 0, "%s: %s", name, err.message);
  return s;
}

static int found(kd_store *st, const char *name) {
  kd_session *s = kd_store_get(st, name);
  if (!s) return 0;
  ck_assert_str_eq(s->name, name);
  kd_session_release(s);
  return 1;
}

/* Names whose home slot in a 64-slot table is `home`. */
static void names_at(int home, int n, char out[][16], int *next) {
  for (int k = 0; k < n; (*next)++) {
    char name[16];
    snprintf(name, sizeof name, "n%d", *next);
    if ((int)(hash_name(name) & (MIN_CAPACITY - 1)) == home) snprintf(out[k++], 16, "%s", name);
  }
}

START_TEST(insert_get_remove) {
  kd_store *st = kd_store_new(10);
  ck_assert_uint_eq(kd_store_count(st), 0);
  ck_assert_ptr_null(kd_store_get(st, "a"));
  ck_assert_ptr_null(kd_store_get(st, NULL));
  kd_session *a = insert(st, "a");
  insert(st, "b");
  ck_assert_uint_eq(kd_store_count(st), 2);
  kd_session *got = kd_store_get(st, "a");
  ck_assert_ptr_eq(got, a);
  kd_session_release(got);
  ck_assert(!found(st, "c"));
  /* A taken name: 409, and the new session is still the caller's. */
  kd_session *dup = kd_session_new("a");
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_store_insert(st, dup, &err), -1);
  ck_assert_int_eq(err.code, KD_ALREADY_EXISTS);
  ck_assert_str_eq(err.message, "session 'a' already exists");
  kd_session_release(dup);
  ck_assert_int_eq(kd_store_remove(st, "a", NULL), 0);
  ck_assert(!found(st, "a"));
  ck_assert(found(st, "b"));
  ck_assert_int_eq(kd_store_remove(st, "a", NULL), -1);
  ck_assert_int_eq(kd_store_remove(st, NULL, NULL), -1);
  ck_assert_uint_eq(kd_store_count(st), 1);
  kd_store_free(st);
}
END_TEST

/* Clusters that wrap around the end of the table, interleaved: removing
 * any one member leaves every other reachable. */
START_TEST(backward_shift_keeps_clusters_reachable) {
  char names[14][16];
  int next = 0;
  names_at(61, 6, names, &next);       /* 61..63, 0..2 */
  names_at(63, 3, names + 6, &next);   /* pushed past 2 */
  names_at(1, 3, names + 9, &next);    /* home inside the wrapped run */
  names_at(4, 2, names + 12, &next);   /* joins the end of the cluster */
  for (int victim = 0; victim < 14; victim++) {
    kd_store *st = kd_store_new(100);
    for (int i = 0; i < 14; i++) insert(st, names[i]);
    for (int i = 0; i < 14; i++) ck_assert_msg(found(st, names[i]), "%s before", names[i]);
    ck_assert_int_eq(kd_store_remove(st, names[victim], NULL), 0);
    for (int i = 0; i < 14; i++)
      ck_assert_msg(found(st, names[i]) == (i != victim), "%s after removing %s", names[i], names[victim]);
    /* Removed in a different order, one by one, down to empty. */
    for (int k = 1; k < 14; k++) {
      const int i = (victim + 5 * k) % 14;
      if (i == victim || !found(st, names[i])) continue;
      ck_assert_int_eq(kd_store_remove(st, names[i], NULL), 0);
      ck_assert(!found(st, names[i]));
    }
    for (int i = 0; i < 14; i++)
      if (found(st, names[i])) ck_assert_int_eq(kd_store_remove(st, names[i], NULL), 0);
    ck_assert_uint_eq(kd_store_count(st), 0);
    /* Every slot is free again: all fit back in. */
    for (int i = 0; i < 14; i++) insert(st, names[i]);
    for (int i = 0; i < 14; i++) ck_assert(found(st, names[i]));
    kd_store_free(st);
  }
}
END_TEST

START_TEST(remove_only_leaves_a_recreated_session_alone) {
  kd_store *st = kd_store_new(10);
  kd_session *first = insert(st, "x");
  atomic_fetch_add(&first->refs, 1); /* a request holds it */
  ck_assert_int_eq(kd_store_remove(st, "x", first), 0);
  kd_session *second = insert(st, "x");
  /* The holder of the first session asks to remove it again: the new one stays. */
  ck_assert_int_eq(kd_store_remove(st, "x", first), -1);
  kd_session *got = kd_store_get(st, "x");
  ck_assert_ptr_eq(got, second);
  kd_session_release(got);
  ck_assert_int_eq(kd_store_remove(st, "x", second), 0);
  ck_assert_uint_eq(kd_store_count(st), 0);
  kd_session_release(first);
  kd_store_free(st);
}
END_TEST

START_TEST(the_table_grows_and_lists_names_sorted) {
  enum { N = 5000 };
  kd_store *st = kd_store_new(N);
  size_t n = 99;
  char **names = kd_store_names(st, &n);
  ck_assert_ptr_nonnull(names);
  ck_assert_uint_eq(n, 0);
  free(names);
  for (int i = N - 1; i >= 0; i--) {
    char name[32];
    snprintf(name, sizeof name, "run-%06d", (i * 7919) % N);
    insert(st, name);
  }
  ck_assert_uint_eq(kd_store_count(st), N);
  for (int i = 0; i < N; i++) {
    char name[32];
    snprintf(name, sizeof name, "run-%06d", i);
    ck_assert_msg(found(st, name), "%s", name);
  }
  /* Remove every third, after growth: the rest stays reachable. */
  for (int i = 0; i < N; i += 3) {
    char name[32];
    snprintf(name, sizeof name, "run-%06d", i);
    ck_assert_int_eq(kd_store_remove(st, name, NULL), 0);
  }
  for (int i = 0; i < N; i++) {
    char name[32];
    snprintf(name, sizeof name, "run-%06d", i);
    ck_assert_msg(found(st, name) == (i % 3 != 0), "%s", name);
  }
  names = kd_store_names(st, &n);
  ck_assert_uint_eq(n, kd_store_count(st));
  ck_assert_uint_eq(n, N - (N + 2) / 3);
  for (size_t i = 1; i < n; i++)
    ck_assert_msg(strcmp(names[i - 1], names[i]) < 0, "%s, %s", names[i - 1], names[i]);
  ck_assert_str_eq(names[0], "run-000001");
  ck_assert_str_eq(names[n - 1], "run-004999");
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  kd_store_free(st);
}
END_TEST

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

/* kd_store_page against the sorted full listing: every (after, prefix,
 * limit) walk gives the sorted names in pages, with `more` exactly when
 * names remain. */
START_TEST(pages_equal_the_sorted_listing) {
  enum { N = 700 };
  kd_store *st = kd_store_new(N);
  for (int i = 0; i < N; i++) {
    char name[32];
    snprintf(name, sizeof name, "%s%d", (const char *[]){"a", "ab", "b", "B", "a-"}[(i * 31) % 5], (i * 7919) % 1000);
    insert(st, name);
  }
  size_t all_n;
  char **all = kd_store_names(st, &all_n);
  const char *prefixes[] = {"", "a", "ab", "a-", "B", "zz"};
  const size_t limits[] = {1, 2, 3, 64, 699, 700, 5000};
  for (size_t p = 0; p < sizeof prefixes / sizeof *prefixes; p++) {
    size_t want_n = 0;
    const char *want[N];
    for (size_t i = 0; i < all_n; i++)
      if (strncmp(all[i], prefixes[p], strlen(prefixes[p])) == 0) want[want_n++] = all[i];
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
      char after[64] = "";
      size_t seen = 0;
      for (int more = 1; more;) {
        size_t n;
        char **page = kd_store_page(st, seen ? after : NULL, prefixes[p], limits[l], &n, &more);
        ck_assert_ptr_nonnull(page);
        ck_assert_uint_le(n, limits[l]);
        for (size_t i = 0; i < n; i++) ck_assert_str_eq(page[i], want[seen + i]);
        seen += n;
        ck_assert_int_eq(more, seen < want_n);
        if (n) snprintf(after, sizeof after, "%s", page[n - 1]);
        free_names(page, n);
      }
      ck_assert_uint_eq(seen, want_n);
    }
  }
  free_names(all, all_n);
  kd_store_free(st);
}
END_TEST

START_TEST(a_full_table_refuses_with_429) {
  kd_store *st = kd_store_new(3);
  insert(st, "a");
  insert(st, "b");
  insert(st, "c");
  kd_session *d = kd_session_new("d");
  kd_err err = {KD_OK, ""};
  ck_assert_int_eq(kd_store_insert(st, d, &err), -1);
  ck_assert_int_eq(err.code, KD_RESOURCE_EXHAUSTED);
  ck_assert_int_eq(kd_code_status(err.code), 429);
  ck_assert_str_eq(kd_code_name(err.code), "resource_exhausted");
  ck_assert_str_eq(err.message, "the daemon holds the maximum of 3 sessions");
  ck_assert(!found(st, "d"));
  /* A taken name is 409 even when full. */
  kd_session *a = kd_session_new("a");
  ck_assert_int_eq(kd_store_insert(st, a, &err), -1);
  ck_assert_int_eq(err.code, KD_ALREADY_EXISTS);
  kd_session_release(a);
  /* Room again after a removal. */
  ck_assert_int_eq(kd_store_remove(st, "b", NULL), 0);
  ck_assert_int_eq(kd_store_insert(st, d, &err), 0);
  ck_assert(found(st, "d"));
  kd_store_free(st);
}
END_TEST

START_TEST(a_removed_session_lives_while_referenced) {
  kd_store *st = kd_store_new(10);
  kd_session *s = insert(st, "held");
  ck_assert_int_eq(atomic_load(&s->refs), 1); /* the table's */
  kd_session *mine = kd_store_get(st, "held");
  ck_assert_ptr_eq(mine, s);
  ck_assert_int_eq(atomic_load(&s->refs), 2);
  ck_assert_int_eq(kd_store_remove(st, "held", NULL), 0);
  ck_assert_int_eq(atomic_load(&mine->refs), 1);
  ck_assert_str_eq(mine->name, "held"); /* still valid (ASan would see a use after free) */
  ck_assert_ptr_null(kd_store_get(st, "held"));
  kd_session_release(mine);
  kd_session_release(NULL);
  kd_store_free(st);
}
END_TEST

START_TEST(session_names) {
  char longest[KD_SESSION_NAME_MAX + 2];
  memset(longest, 'a', sizeof longest);
  longest[KD_SESSION_NAME_MAX] = '\0';
  ck_assert(kd_session_name_valid(longest));
  kd_session *s = kd_session_new(longest);
  ck_assert_ptr_nonnull(s);
  ck_assert_str_eq(s->name, longest);
  kd_session_release(s);
  longest[KD_SESSION_NAME_MAX] = 'a';
  longest[KD_SESSION_NAME_MAX + 1] = '\0';
  ck_assert(!kd_session_name_valid(longest));
  ck_assert_ptr_null(kd_session_new(longest));
  const char *good[] = {"a", "A", "0", "a.b_c-d", "9-"};
  const char *bad[] = {"", "-a", ".a", "_a", "a b", "a/b", "a%", "é"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) ck_assert_msg(kd_session_name_valid(good[i]), "%s", good[i]);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) ck_assert_msg(!kd_session_name_valid(bad[i]), "%s", bad[i]);
  ck_assert(!kd_session_name_valid(NULL));
}
END_TEST

int main(void) {
  Suite *s = suite_create("store");
  TCase *tc = tcase_create("store");
  tcase_add_test(tc, insert_get_remove);
  tcase_add_test(tc, backward_shift_keeps_clusters_reachable);
  tcase_add_test(tc, remove_only_leaves_a_recreated_session_alone);
  tcase_add_test(tc, the_table_grows_and_lists_names_sorted);
  tcase_add_test(tc, pages_equal_the_sorted_listing);
  tcase_add_test(tc, a_full_table_refuses_with_429);
  tcase_add_test(tc, a_removed_session_lives_while_referenced);
  tcase_add_test(tc, session_names);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
