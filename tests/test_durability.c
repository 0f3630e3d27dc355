/* What the durable store keeps and when: the durability policy's arithmetic
 * for one stream (kd_durable_plan_stream, server/durability.h) in strict,
 * lease and memory mode; the stored streams blob and the row checks
 * (server/row.h); the canonical creation spec, its writer and its reader
 * (server/spec.h). */
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "durability.h"
#include "row.h"
#include "spec.h"
#include "writer.h"

/* ------------------------------------------------------------ the plan */

static const kf_key K = {11, 22}, K2 = {33, 44};

typedef struct plan {
  int write, wait;
} plan;

static plan plan_for(kd_durability mode, uint32_t block, kd_change change, kf_key key, uint32_t count,
                     kd_durable_stream *ds) {
  kf_stream_state now;
  memset(&now, 0, sizeof now);
  strcpy(now.name, "params");
  now.key = key;
  now.count = count;
  plan p = {0, 0};
  kd_durable_plan_stream(mode, block, change, &now, ds, &p.write, &p.wait);
  return p;
}

/* The backend committed what the stream's last record asked for. */
static void commit(kd_durable_stream *ds) {
  ds->key_durable = ds->key_target;
  ds->count_durable = ds->count_target;
}

static void assert_target(const kd_durable_stream *ds, kf_key key, uint32_t count) {
  ck_assert_uint_eq(ds->key_target.hi, key.hi);
  ck_assert_uint_eq(ds->key_target.lo, key.lo);
  ck_assert_uint_eq(ds->count_target, count);
}

START_TEST(strict_writes_and_waits_for_every_change) {
  kd_durable_stream ds = {{0, 0}, {0, 0}, 0, 0};
  plan p = plan_for(KD_DURABILITY_STRICT, 4096, KD_CHANGE_CREATE, K, 2, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K, 2); /* strict stores the count itself */
  commit(&ds);
  /* Nothing changed: nothing to write. */
  p = plan_for(KD_DURABILITY_STRICT, 4096, KD_CHANGE_STATE, K, 2, &ds);
  ck_assert(!p.write && !p.wait);
  /* Every draw is written and waited for. */
  p = plan_for(KD_DURABILITY_STRICT, 4096, KD_CHANGE_STATE, K, 3, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K, 3);
  /* A second draw before the first committed plans again from the target. */
  p = plan_for(KD_DURABILITY_STRICT, 4096, KD_CHANGE_STATE, K, 7, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K, 7);
  ck_assert_uint_eq(ds.count_durable, 2);
  /* A reseed: the key changes, the count goes back to 0. */
  commit(&ds);
  p = plan_for(KD_DURABILITY_STRICT, 4096, KD_CHANGE_RESEED, K2, 0, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K2, 0);
  /* The last count. */
  p = plan_for(KD_DURABILITY_STRICT, 4096, KD_CHANGE_STATE, K2, UINT32_MAX, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K2, UINT32_MAX);
}
END_TEST

START_TEST(lease_reserves_a_block) {
  kd_durable_stream ds = {{0, 0}, {0, 0}, 0, 0};
  /* Creation: the reservation is count + block, written and waited for. */
  plan p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_CREATE, K, 2, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K, 102);
  /* Inside the reservation, before it is committed: nothing more to
   * write, but the draw waits for the reservation in flight. */
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, 50, &ds);
  ck_assert(!p.write && p.wait);
  assert_target(&ds, K, 102);
  commit(&ds);
  /* Inside the durable reservation: no write, no wait, up to its end. */
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, 60, &ds);
  ck_assert(!p.write && !p.wait);
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, 102, &ds);
  ck_assert(!p.write && !p.wait);
  assert_target(&ds, K, 102);
  /* Past it: a new reservation from the count, written and waited for. */
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, 103, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K, 203);
  ck_assert_uint_eq(ds.count_durable, 102);
  /* Within the new one while it is in flight: no write, a wait. */
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, 150, &ds);
  ck_assert(!p.write && p.wait);
  commit(&ds);
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, 150, &ds);
  ck_assert(!p.write && !p.wait);
  /* A reseed changes the key: a new reservation from 0, written and waited for. */
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_RESEED, K2, 0, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K2, 100);
  commit(&ds);
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K2, 1, &ds);
  ck_assert(!p.write && !p.wait);
  /* The same count under another key is a change too. */
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, 1, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K, 101);
}
END_TEST

START_TEST(lease_saturates_at_the_last_count) {
  kd_durable_stream ds = {{0, 0}, {0, 0}, 0, 0};
  plan p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_CREATE, K, UINT32_MAX - 10, &ds);
  ck_assert(p.write && p.wait);
  assert_target(&ds, K, UINT32_MAX);
  commit(&ds);
  p = plan_for(KD_DURABILITY_LEASE, 100, KD_CHANGE_STATE, K, UINT32_MAX, &ds);
  ck_assert(!p.write && !p.wait);
  /* The largest block the configuration allows, from a large count. */
  kd_durable_stream big = {{0, 0}, {0, 0}, 0, 0};
  p = plan_for(KD_DURABILITY_LEASE, 1u << 30, KD_CHANGE_STATE, K, 4000000000u, &big);
  ck_assert(p.write && p.wait);
  assert_target(&big, K, UINT32_MAX);
  p = plan_for(KD_DURABILITY_LEASE, 1u << 30, KD_CHANGE_STATE, K, 3000000000u, &big);
  ck_assert(!p.write);
  assert_target(&big, K, UINT32_MAX);
}
END_TEST

START_TEST(memory_plans_nothing) {
  const kd_change changes[] = {KD_CHANGE_CREATE, KD_CHANGE_STATE, KD_CHANGE_RESEED, KD_CHANGE_DELETE};
  for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
    kd_durable_stream ds = {{1, 2}, {3, 4}, 5, 6};
    const kd_durable_stream before = ds;
    plan p = plan_for(KD_DURABILITY_MEMORY, 100, changes[i], K2, 99, &ds);
    ck_assert(!p.write && !p.wait);
    ck_assert(memcmp(&ds, &before, sizeof ds) == 0);
  }
}
END_TEST

/* ------------------------------------------------------------ rows */

static void fill_streams(kf_stream_state *st, size_t n) {
  memset(st, 0, n * sizeof *st);
  for (size_t i = 0; i < n; i++) {
    snprintf(st[i].name, sizeof st[i].name, "s%zu", i);
    st[i].key = kf_key_from_data((uint32_t)(i * 2654435761u), (uint32_t)~i);
    st[i].count = (uint32_t)(i * 40503u);
  }
}

static int decode(const unsigned char *b, size_t len) {
  kf_stream_state out[KD_STREAMS_MAX];
  size_t n, held;
  return kd_row_decode_streams(b, len, out, &n, &held);
}

START_TEST(streams_blob_round_trips) {
  kf_stream_state in[3], out[KD_STREAMS_MAX];
  size_t held = 99;
  fill_streams(in, 3);
  memset(in[1].name, 'a', KF_STREAM_NAME_MAX); /* the longest name */
  in[1].name[KF_STREAM_NAME_MAX] = '\0';
  in[2].key = kf_key_from_data(UINT32_MAX, 0);
  in[2].count = UINT32_MAX;
  size_t len = 0, n = 99;
  unsigned char *blob = kd_row_encode_streams(in, 3, 0, &len);
  ck_assert_ptr_nonnull(blob);
  ck_assert_uint_eq(len, (1 + 2 + 12) + (1 + 64 + 12) + (1 + 2 + 12));
  /* The layout: name length, name, hi, lo, count little-endian. */
  ck_assert_uint_eq(blob[0], 2);
  ck_assert(memcmp(blob + 1, "s0", 2) == 0);
  const size_t third = (1 + 2 + 12) + (1 + 64 + 12);
  const unsigned char tail[15] = {2, 's', '2', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
  ck_assert(memcmp(blob + third, tail, sizeof tail) == 0);
  ck_assert_int_eq(kd_row_decode_streams(blob, len, out, &n, &held), 0);
  ck_assert_uint_eq(n, 3);
  for (size_t i = 0; i < 3; i++) {
    ck_assert_str_eq(out[i].name, in[i].name);
    ck_assert_uint_eq(out[i].key.hi, in[i].key.hi);
    ck_assert_uint_eq(out[i].key.lo, in[i].key.lo);
    ck_assert_uint_eq(out[i].count, in[i].count);
  }
  free(blob);
  /* No streams: an empty blob. */
  blob = kd_row_encode_streams(in, 0, 0, &len);
  ck_assert_ptr_nonnull(blob);
  ck_assert_uint_eq(len, 0);
  n = 99;
  ck_assert_int_eq(kd_row_decode_streams(blob, 0, out, &n, &held), 0);
  ck_assert_uint_eq(n, 0);
  free(blob);
  /* The most streams a session has. */
  kf_stream_state many[KF_RNGS_MAX_STREAMS];
  fill_streams(many, KF_RNGS_MAX_STREAMS);
  blob = kd_row_encode_streams(many, KF_RNGS_MAX_STREAMS, 0, &len);
  ck_assert_int_eq(kd_row_decode_streams(blob, len, out, &n, &held), 0);
  ck_assert_uint_eq(n, KF_RNGS_MAX_STREAMS);
  ck_assert_str_eq(out[63].name, "s63");
  ck_assert_uint_eq(out[63].count, 63 * 40503u);
  ck_assert_uint_eq(held, 0);
  free(blob);
}
END_TEST

/* The streams a Flax >= 0.11 model holds follow the Rngs' after a zero
 * byte, tags as names (two held streams may share a tag). */
START_TEST(held_streams_round_trip) {
  kf_stream_state in[KD_STREAMS_MAX], out[KD_STREAMS_MAX];
  fill_streams(in, 4);
  strcpy(in[3].name, in[2].name);
  size_t len = 0, n = 99, held = 99;
  unsigned char *blob = kd_row_encode_streams(in, 2, 2, &len);
  ck_assert_uint_eq(len, 4 * (1 + 2 + 12) + 1);
  ck_assert_uint_eq(blob[2 * 15], 0);
  ck_assert_int_eq(kd_row_decode_streams(blob, len, out, &n, &held), 0);
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(held, 2);
  ck_assert(memcmp(out, in, 4 * sizeof in[0]) == 0);
  /* A cut right after the zero byte leaves an empty held section: refused. */
  ck_assert_int_eq(decode(blob, 2 * 15 + 1), -1);
  free(blob);
  /* Held streams only (a session whose Rngs has none is not possible, but
   * the form allows it), and a second zero byte is refused. */
  blob = kd_row_encode_streams(in, 0, 1, &len);
  ck_assert_int_eq(kd_row_decode_streams(blob, len, out, &n, &held), 0);
  ck_assert_uint_eq(n, 0);
  ck_assert_uint_eq(held, 1);
  unsigned char two[64];
  memcpy(two, blob, len);
  two[len] = 0;
  memcpy(two + len + 1, blob + 1, len - 1);
  ck_assert_int_eq(decode(two, 2 * len), -1);
  free(blob);
  /* The most of each a session has, and one held stream too many. */
  fill_streams(in, KD_STREAMS_MAX);
  blob = kd_row_encode_streams(in, KF_RNGS_MAX_STREAMS, KD_HELD_STREAMS_MAX, &len);
  ck_assert_int_eq(kd_row_decode_streams(blob, len, out, &n, &held), 0);
  ck_assert_uint_eq(n + held, KD_STREAMS_MAX);
  free(blob);
  blob = kd_row_encode_streams(in, 1, KD_HELD_STREAMS_MAX + 1, &len);
  ck_assert_int_eq(decode(blob, len), -1);
  free(blob);
}
END_TEST

START_TEST(malformed_blobs_are_refused) {
  kf_stream_state in[2];
  fill_streams(in, 2);
  size_t len;
  unsigned char *blob = kd_row_encode_streams(in, 2, 0, &len);
  ck_assert_uint_eq(len, 30);
  /* Every cut inside a stream is refused; a cut between streams is a
   * shorter, well-formed blob. */
  for (size_t cut = 0; cut < len; cut++) {
    kf_stream_state out[KD_STREAMS_MAX];
    size_t n = 0, held = 0;
    const int rc = kd_row_decode_streams(blob, cut, out, &n, &held);
    if (cut == 0 || cut == 15)
      ck_assert_msg(rc == 0 && n == cut / 15, "cut %zu", cut);
    else
      ck_assert_msg(rc == -1, "cut %zu decoded", cut);
  }
  /* A zero-length name. */
  unsigned char bad[80];
  memcpy(bad, blob, len);
  bad[15] = 0;
  ck_assert_int_eq(decode(bad, len), -1);
  /* A name longer than any stream name. */
  memset(bad, 0, sizeof bad);
  bad[0] = KF_STREAM_NAME_MAX + 1;
  memset(bad + 1, 'a', KF_STREAM_NAME_MAX + 1);
  ck_assert_int_eq(decode(bad, 1 + KF_STREAM_NAME_MAX + 1 + 12), -1);
  bad[0] = KF_STREAM_NAME_MAX; /* the same bytes at the longest length: fine */
  ck_assert_int_eq(decode(bad, 1 + KF_STREAM_NAME_MAX + 12), 0);
  /* Invalid names: a leading digit, a dash. */
  const char *names[] = {"9a", "a-"};
  for (size_t i = 0; i < 2; i++) {
    memcpy(bad, blob, len);
    memcpy(bad + 1, names[i], 2);
    ck_assert_msg(decode(bad, len) == -1, "name %zu", i);
  }
  memcpy(bad, blob, len);
  memcpy(bad + 1, "_a", 2);
  ck_assert_int_eq(decode(bad, len), 0);
  free(blob);
  /* One stream more than a session may have. */
  kf_stream_state many[KF_RNGS_MAX_STREAMS + 1];
  fill_streams(many, KF_RNGS_MAX_STREAMS + 1);
  blob = kd_row_encode_streams(many, KF_RNGS_MAX_STREAMS + 1, 0, &len);
  ck_assert_int_eq(decode(blob, len), -1);
  free(blob);
}
END_TEST

/* The check without counts (PostgreSQL's schema 3): the usual check of the
 * blob with its counts zeroed; blind to the counts, sees every other bit. */
START_TEST(a_check_without_counts_sees_every_other_byte) {
  kf_stream_state in[3];
  fill_streams(in, 3);
  size_t len;
  unsigned char *blob = kd_row_encode_streams(in, 2, 1, &len);
  ck_assert_ptr_nonnull(blob);
  size_t offsets[KD_STREAMS_MAX];
  ck_assert_int_eq(kd_row_count_offsets(blob, len, offsets), 3);
  for (size_t i = 0; i < 2; i++) ck_assert_uint_eq(offsets[i], kd_row_count_offset(in, i));
  unsigned char *zeroed = malloc(len);
  ck_assert_ptr_nonnull(zeroed);
  memcpy(zeroed, blob, len);
  for (size_t i = 0; i < 3; i++) memset(zeroed + offsets[i], 0, 4);
  const uint64_t check = kd_row_streams_check_without("exp1", blob, len, offsets, 3);
  ck_assert_uint_eq(check, kd_row_streams_check("exp1", zeroed, len));
  for (size_t i = 0; i < len; i++) {
    int in_count = 0;
    for (size_t k = 0; k < 3; k++) in_count |= i >= offsets[k] && i < offsets[k] + 4;
    blob[i] ^= 0x10;
    if (in_count)
      ck_assert_uint_eq(kd_row_streams_check_without("exp1", blob, len, offsets, 3), check);
    else
      ck_assert_msg(kd_row_streams_check_without("exp1", blob, len, offsets, 3) != check, "byte %zu", i);
    blob[i] ^= 0x10;
  }
  free(zeroed);
  free(blob);
}
END_TEST

START_TEST(row_checks_see_every_byte) {
  /* FNV-1a 64 of the name's bytes and its NUL: the check of an empty
   * name and blob is FNV-1a of one zero byte. */
  ck_assert_uint_eq(kd_row_streams_check("", (const unsigned char *)"", 0), 0xaf63bd4c8601b7dfull);
  kf_stream_state in[2];
  fill_streams(in, 2);
  size_t len;
  unsigned char *blob = kd_row_encode_streams(in, 2, 0, &len);
  const uint64_t check = kd_row_streams_check("exp1", blob, len);
  for (size_t i = 0; i < len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      blob[i] ^= (unsigned char)(1u << bit);
      ck_assert_msg(kd_row_streams_check("exp1", blob, len) != check, "byte %zu bit %d", i, bit);
      blob[i] ^= (unsigned char)(1u << bit);
    }
  }
  ck_assert_uint_eq(kd_row_streams_check("exp1", blob, len), check);
  ck_assert_uint_ne(kd_row_streams_check("exp2", blob, len), check);
  ck_assert_uint_ne(kd_row_streams_check("exp1", blob, len - 1), check);
  free(blob);

  char name[] = "exp1";
  char spec[] = "{\"rngs\":{},\"model\":null,\"options\":{\"threefry\":\"partitionable\",\"flax\":\"0.10\"}}";
  const uint64_t sum = 0x0123456789abcdefull;
  const uint64_t sc = kd_row_spec_check(name, spec, sum);
  for (size_t i = 0; i < strlen(spec); i++) {
    spec[i] ^= 1;
    ck_assert_msg(kd_row_spec_check(name, spec, sum) != sc, "spec byte %zu", i);
    spec[i] ^= 1;
  }
  for (size_t i = 0; i < strlen(name); i++) {
    name[i] ^= 1;
    ck_assert_msg(kd_row_spec_check(name, spec, sum) != sc, "name byte %zu", i);
    name[i] ^= 1;
  }
  for (int bit = 0; bit < 64; bit++)
    ck_assert_msg(kd_row_spec_check(name, spec, sum ^ ((uint64_t)1 << bit)) != sc, "checksum bit %d", bit);
  /* Moving a byte between name and spec changes it too (the NUL separates them). */
  ck_assert_uint_ne(kd_row_spec_check("exp", "1{}", 0), kd_row_spec_check("exp1", "{}", 0));
  ck_assert_uint_eq(kd_row_spec_check(name, spec, sum), sc);
  ck_assert_uint_eq(kd_model_checksum(NULL), 0);
}
END_TEST

/* ------------------------------------------------------------ specs */

static const kd_spec_limits LIMITS = {(uint64_t)1 << 24, (uint64_t)1 << 26};

static void parse(const char *text, kd_spec *spec) {
  json_error_t jerr;
  json_t *obj = json_loads(text, 0, &jerr);
  ck_assert_msg(obj != NULL, "%s", jerr.text);
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_spec_parse(obj, &LIMITS, spec, &err) == 0, "%s", err.message);
  json_decref(obj);
}

static void assert_same_spec(const kd_spec *a, const kd_spec *b) {
  ck_assert_uint_eq(a->n_seeds, b->n_seeds);
  for (size_t i = 0; i < a->n_seeds; i++) {
    ck_assert_str_eq(a->seeds[i].name, b->seeds[i].name);
    ck_assert_uint_eq(a->seeds[i].key.hi, b->seeds[i].key.hi);
    ck_assert_uint_eq(a->seeds[i].key.lo, b->seeds[i].key.lo);
  }
  ck_assert_int_eq(a->mode, b->mode);
  ck_assert_str_eq(a->flax, b->flax);
  ck_assert_uint_eq(a->n_layers, b->n_layers);
  ck_assert_int_eq(a->layers == NULL, b->layers == NULL);
  if (a->layers) ck_assert(memcmp(a->layers, b->layers, a->n_layers * sizeof *a->layers) == 0);
}

START_TEST(a_spec_without_a_model_round_trips) {
  kd_spec spec, back;
  parse("{\"rngs\": {\"default\": 100, \"params\": 42, \"noise\": [4294967295, 7]}, "
        "\"options\": {\"threefry\": \"legacy\"}}", &spec);
  char *text = kd_spec_write(&spec);
  ck_assert_ptr_nonnull(text);
  /* Keyword streams as given, 'default' last; every option written. */
  ck_assert_str_eq(text,
                   "{\"rngs\":{\"params\":[0,42],\"noise\":[4294967295,7],\"default\":[0,100]},\"model\":null,"
                   "\"options\":{\"threefry\":\"legacy\",\"flax\":\"0.10\"}}");
  kd_err err = {KD_OK, ""};
  memset(&back, 0x5a, sizeof back);
  ck_assert_msg(kd_spec_read(text, &LIMITS, &back, &err) == 0, "%s", err.message);
  assert_same_spec(&spec, &back);
  /* The same text spaced otherwise is read through jansson: the same spec. */
  kd_spec general;
  ck_assert_int_eq(kd_spec_read("{ \"rngs\": {\"params\": [0, 42], \"noise\": [4294967295, 7], \"default\": [0, 100]},"
                                " \"model\": null, \"options\": {\"threefry\": \"legacy\", \"flax\": \"0.10\"} }",
                                &LIMITS, &general, &err),
                   0);
  assert_same_spec(&spec, &general);
  free(text);
  /* No streams at all. */
  parse("{}", &spec);
  text = kd_spec_write(&spec);
  ck_assert_str_eq(text, "{\"rngs\":{},\"model\":null,\"options\":{\"threefry\":\"partitionable\",\"flax\":\"0.10\"}}");
  ck_assert_int_eq(kd_spec_read(text, &LIMITS, &back, &err), 0);
  assert_same_spec(&spec, &back);
  free(text);
}
END_TEST

START_TEST(a_spec_with_a_model_round_trips) {
  kd_spec spec, back;
  parse("{\"rngs\": {\"params\": 0, \"dropout\": 42}, \"model\": {\"layers\": [{\"type\": \"linear\", "
        "\"in_features\": 2, \"out_features\": 3}, {\"type\": \"relu\"}, {\"type\": \"dropout\", \"rate\": 0.25, "
        "\"broadcast_dims\": [-1]}, {\"type\": \"linear\", \"in_features\": 3, \"out_features\": 1, \"use_bias\": false, "
        "\"kernel_init\": {\"name\": \"normal\", \"stddev\": 0.5}}]}}",
        &spec);
  char *text = kd_spec_write(&spec);
  ck_assert_ptr_nonnull(text);
  ck_assert_ptr_nonnull(strstr(text, "\"model\":{\"layers\":[{\"type\":\"linear\",\"in_features\":2,"));
  kd_err err = {KD_OK, ""};
  ck_assert_msg(kd_spec_read(text, &LIMITS, &back, &err) == 0, "%s", err.message);
  assert_same_spec(&spec, &back);
  /* Written again: the same text (the canonical form is a fixed point). */
  char *again = kd_spec_write(&back);
  ck_assert_str_eq(again, text);
  free(again);
  free(text);
  kd_spec_free(&back);
  ck_assert_ptr_null(back.layers);
  kd_spec_free(&spec);
}
END_TEST

START_TEST(damaged_specs_are_refused) {
  kd_spec spec;
  parse("{\"rngs\": {\"params\": 0}, \"model\": {\"layers\": [{\"type\": \"linear\", \"in_features\": 2, "
        "\"out_features\": 3}]}}", &spec);
  char *with_model = kd_spec_write(&spec);
  kd_spec_free(&spec);
  parse("{\"rngs\": {\"params\": 0, \"default\": 1}}", &spec);
  char *plain = kd_spec_write(&spec);
  kd_err err;
  /* Every truncation of either form. */
  const char *texts[] = {with_model, plain};
  for (size_t t = 0; t < 2; t++) {
    const size_t n = strlen(texts[t]);
    char *cut = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
      memcpy(cut, texts[t], i);
      cut[i] = '\0';
      err.code = KD_OK;
      ck_assert_msg(kd_spec_read(cut, &LIMITS, &spec, &err) == -1, "accepted %s", cut);
      ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
      ck_assert_ptr_null(spec.layers);
    }
    free(cut);
  }
  free(with_model);
  free(plain);
  const char *damaged[] = {
      "{\"rngs\":{\"params\":[0,4294967296]},\"model\":null,\"options\":{\"threefry\":\"partitionable\",\"flax\":\"0.10\"}}",
      "{\"rngs\":{\"params\":[0,-1]},\"model\":null,\"options\":{\"threefry\":\"partitionable\",\"flax\":\"0.10\"}}",
      "{\"rngs\":{\"9params\":[0,1]},\"model\":null,\"options\":{\"threefry\":\"partitionable\",\"flax\":\"0.10\"}}",
      "{\"rngs\":{\"a\":[0,1],\"a\":[0,2]},\"model\":null,\"options\":{\"threefry\":\"partitionable\",\"flax\":\"0.10\"}}",
      "{\"rngs\":{\"a\":[0,1]},\"model\":null,\"options\":{\"threefry\":\"legacyx\",\"flax\":\"0.10\"}}",
      "{\"rngs\":{\"a\":[0,1]},\"model\":null,\"options\":{\"threefry\":\"legacy\",\"flax\":\"0.9\"}}",
      "{\"rngs\":{\"a\":[0,1]},\"model\":{\"layers\":[]},\"options\":{\"threefry\":\"legacy\",\"flax\":\"0.10\"}}",
      "{\"rngs\":{\"a\":[0,1]},\"model\":null,\"options\":{\"threefry\":\"legacy\",\"flax\":\"0.10\"}}x",
      "{\"rngs\":{\"a\":[0,1]},\"model\":null,\"options\":{\"threefry\":\"legacy\",\"flax\":\"0.10\",\"x\":1}}",
      "null",
      "[]",
      "",
  };
  for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
    err.code = KD_OK;
    err.message[0] = '\0';
    ck_assert_msg(kd_spec_read(damaged[i], &LIMITS, &spec, &err) == -1, "accepted %s", damaged[i]);
    ck_assert_int_eq(err.code, KD_INVALID_ARGUMENT);
    ck_assert_msg(err.message[0] != '\0', "no message for %s", damaged[i]);
  }
  /* A model past the limits it is read with: 413. */
  const kd_spec_limits small = {4, 100};
  ck_assert_int_eq(kd_spec_read("{\"rngs\":{\"params\":[0,0]},\"model\":{\"layers\":[{\"type\":\"linear\","
                                "\"in_features\":2,\"out_features\":3}]},\"options\":{\"threefry\":\"partitionable\","
                                "\"flax\":\"0.10\"}}",
                                &small, &spec, &err),
                   -1);
  ck_assert_int_eq(err.code, KD_PAYLOAD_TOO_LARGE);
}
END_TEST

/* row.h promises kd_row_decode_streams refuses a malformed blob, "bad
 * lengths, invalid … names": a name whose length byte counts a NUL inside
 * it (length 2, bytes 's' NUL) must not decode as the stream "s". */
START_TEST(a_name_with_a_nul_inside_is_refused) {
  kf_stream_state in[1];
  fill_streams(in, 1);
  size_t len;
  unsigned char *blob = kd_row_encode_streams(in, 1, 0, &len);
  blob[2] = '\0'; /* "s0" -> "s" NUL */
  const int rc = decode(blob, len);
  free(blob);
  ck_assert_int_eq(rc, -1);
}
END_TEST

/* ------------------------------------------------------------ the writer's runs */

/* What a fake backend's commit saw of each record (identified by its
 * checksum field): applied or superseded, and the version it expects. */
typedef struct seen_record {
  uint64_t id;
  int applied;
  uint64_t run_expect;
} seen_record;
static seen_record seen[16];
static size_t n_seen;

static int fake_commit(void *backend, kd_record *batch) {
  (void)backend;
  for (kd_record *r = batch; r && n_seen < 16; r = r->next)
    seen[n_seen++] = (seen_record){r->checksum, r->superseded_by == NULL, r->run_expect};
  return 0;
}
static int fake_probe(void *backend) {
  (void)backend;
  return 0;
}
static int fake_finish(void *arg, kd_record *r, int ok) {
  (void)arg, (void)r, (void)ok;
  return 0;
}

static kd_record *change_of(kd_session *s, kd_change change, uint64_t id, uint64_t expect, uint64_t version) {
  kd_record *r = calloc(1, sizeof *r);
  ck_assert_ptr_nonnull(r);
  atomic_fetch_add(&s->refs, 1);
  r->session = s;
  r->change = change;
  r->checksum = id;
  r->expect = expect;
  r->version = version;
  return r;
}

static const seen_record *seen_id(uint64_t id) {
  for (size_t i = 0; i < n_seen; i++)
    if (seen[i].id == id) return &seen[i];
  ck_abort_msg("record %llu not committed", (unsigned long long)id);
  return NULL;
}

/* One batch: a chain of versions is written once, by its last record,
 * conditional on its first's expect; a record made on another version (a
 * new chain after a refresh), a reseed (announced to other replicas) and a
 * pinned record (a fork's parent) are written themselves. */
START_TEST(a_batch_writes_each_chain_of_versions_once) {
  kd_session *a = kd_session_new("a"), *b = kd_session_new("b");
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  kd_record *chain[] = {
      change_of(a, KD_CHANGE_STATE, 1, 100, 101), change_of(b, KD_CHANGE_STATE, 2, 200, 201),
      change_of(a, KD_CHANGE_STATE, 3, 101, 102), change_of(a, KD_CHANGE_STATE, 4, 102, 103),
      /* a refresh happened: a new chain */
      change_of(a, KD_CHANGE_STATE, 5, 900, 901), change_of(a, KD_CHANGE_RESEED, 6, 901, 902),
      change_of(a, KD_CHANGE_STATE, 7, 902, 903), change_of(b, KD_CHANGE_STATE, 8, 201, 202),
      change_of(b, KD_CHANGE_STATE, 9, 202, 203), change_of(b, KD_CHANGE_STATE, 10, 203, 204),
  };
  chain[7]->pinned = 1;
  const size_t n = sizeof chain / sizeof *chain;
  for (size_t i = 0; i + 1 < n; i++) chain[i]->next = chain[i + 1];
  const kd_writer_ops ops = {fake_commit, fake_probe, NULL};
  const kd_backend_hooks hooks = {fake_finish, NULL, NULL, NULL, NULL};
  kd_writer *w = kd_writer_new(&ops, NULL, &hooks, "test");
  ck_assert_ptr_nonnull(w);
  n_seen = 0;
  ck_assert_int_eq(kd_writer_submit(w, chain[0]), 0); /* queued before the thread runs: one batch */
  ck_assert_int_eq(kd_writer_start(w), 0);
  kd_writer_free(w);
  ck_assert_uint_eq(n_seen, n);
  /* a: 1, 3, 4 one chain (written by 4, expecting 100); 5 another, up to
   * the reseed 6, which is written itself; 7 after it. */
  ck_assert(!seen_id(1)->applied && !seen_id(3)->applied && seen_id(4)->applied);
  ck_assert_uint_eq(seen_id(4)->run_expect, 100);
  ck_assert(!seen_id(5)->applied && seen_id(6)->applied && seen_id(7)->applied);
  ck_assert_uint_eq(seen_id(6)->run_expect, 900);
  ck_assert_uint_eq(seen_id(7)->run_expect, 902);
  /* b: 2 and the pinned 8 one chain written by 8; 9 and 10 by 10. */
  ck_assert(!seen_id(2)->applied && seen_id(8)->applied);
  ck_assert_uint_eq(seen_id(8)->run_expect, 200);
  ck_assert(!seen_id(9)->applied && seen_id(10)->applied);
  ck_assert_uint_eq(seen_id(10)->run_expect, 202);
  kd_session_release(a);
  kd_session_release(b);
}
END_TEST

/* A server that went away while nobody wrote: the idle writer's ping
 * notices (readiness answers 503), and its probes bring health back. */
static atomic_int server_up, pings, probes;
static int fake_ping(void *backend) {
  (void)backend;
  atomic_fetch_add(&pings, 1);
  return atomic_load(&server_up) ? 0 : -1;
}
static int probe_server(void *backend) {
  (void)backend;
  atomic_fetch_add(&probes, 1);
  return atomic_load(&server_up) ? 0 : -1;
}

static int wait_healthy(kd_writer *w, int want) {
  for (int i = 0; i < 500; i++) { /* 5 s at most */
    if (kd_writer_healthy(w) == want) return 1;
    nanosleep(&(struct timespec){0, 10000000L}, NULL);
  }
  return 0;
}

START_TEST(an_idle_writer_pings_its_server) {
  const kd_writer_ops ops = {fake_commit, probe_server, fake_ping};
  const kd_backend_hooks hooks = {fake_finish, NULL, NULL, NULL, NULL};
  atomic_store(&server_up, 1);
  kd_writer *w = kd_writer_new(&ops, NULL, &hooks, "test");
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(kd_writer_start(w), 0);
  /* Up: pings succeed and health stays. */
  while (atomic_load(&pings) < 1) nanosleep(&(struct timespec){0, 10000000L}, NULL);
  ck_assert_int_eq(kd_writer_healthy(w), 1);
  atomic_store(&server_up, 0);
  ck_assert_msg(wait_healthy(w, 0), "the idle writer did not notice its server going away");
  const int probes_then = atomic_load(&probes);
  atomic_store(&server_up, 1);
  ck_assert_msg(wait_healthy(w, 1), "health did not come back with the server");
  ck_assert_int_gt(atomic_load(&probes), probes_then); /* by a probe (a write), not a ping */
  kd_writer_free(w);
}
END_TEST

START_TEST(record_versions_differ) {
  uint64_t v[1000];
  for (size_t i = 0; i < 1000; i++) {
    v[i] = kd_record_version();
    ck_assert_uint_ne(v[i], 0);
    for (size_t j = 0; j < i; j++) ck_assert_uint_ne(v[i], v[j]);
  }
}
END_TEST

static Suite *durability_suite(void) {
  Suite *s = suite_create("durability");
  TCase *p = tcase_create("plan");
  tcase_add_test(p, strict_writes_and_waits_for_every_change);
  tcase_add_test(p, lease_reserves_a_block);
  tcase_add_test(p, lease_saturates_at_the_last_count);
  tcase_add_test(p, memory_plans_nothing);
  suite_add_tcase(s, p);
  TCase *r = tcase_create("row");
  tcase_add_test(r, held_streams_round_trip);
  tcase_add_test(r, streams_blob_round_trips);
  tcase_add_test(r, malformed_blobs_are_refused);
  tcase_add_test(r, a_name_with_a_nul_inside_is_refused);
  tcase_add_test(r, row_checks_see_every_byte);
  tcase_add_test(r, a_check_without_counts_sees_every_other_byte);
  suite_add_tcase(s, r);
  TCase *sp = tcase_create("spec");
  tcase_add_test(sp, a_spec_without_a_model_round_trips);
  tcase_add_test(sp, a_spec_with_a_model_round_trips);
  tcase_add_test(sp, damaged_specs_are_refused);
  suite_add_tcase(s, sp);
  TCase *wr = tcase_create("writer");
  tcase_set_timeout(wr, 30); /* the ping waits KD_WRITER_PING_MS idle */
  tcase_add_test(wr, a_batch_writes_each_chain_of_versions_once);
  tcase_add_test(wr, an_idle_writer_pings_its_server);
  tcase_add_test(wr, record_versions_differ);
  suite_add_tcase(s, wr);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(durability_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
