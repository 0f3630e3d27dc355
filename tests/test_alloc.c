/* The allocator pair (keyfold/alloc.h): every allocation of the library goes
 * through it, and each call that allocates survives the failure of any one
 * of its allocations: it returns KF_ENOMEM, changes nothing it was given and
 * leaks nothing. Each case makes the 1st, 2nd, 3rd ... allocation fail until
 * the call succeeds. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyfold/keyfold.h"

/* The counting pair: `calls` allocations so far, `live` blocks not freed,
 * and the allocation numbered fail_at (from 1) returns NULL. */
static long calls, live, fail_at = -1;

static void *counting_malloc(size_t size) {
  if (++calls == fail_at) return NULL;
  void *p = malloc(size);
  if (p) live++;
  return p;
}

static void counting_free(void *p) {
  live--;
  free(p);
}

static void use_counting_pair(void) {
  ck_assert_int_eq(kf_set_alloc_funcs(counting_malloc, counting_free), KF_OK);
}

/* One call under test. setup builds what the call works on (with working
 * allocations), run makes the call, unchanged asserts that a failed call
 * left all of it as it was, teardown frees it. */
typedef struct sweep_case {
  const char *what;
  void (*setup)(void *ctx);
  int (*run)(void *ctx);
  void (*unchanged)(void *ctx);
  void (*teardown)(void *ctx);
} sweep_case;

/* Returns how many allocations the successful call made. */
static long sweep(const sweep_case *c, void *ctx) {
  for (long n = 1;; n++) {
    c->setup(ctx);
    const long live_before = live;
    calls = 0;
    fail_at = n;
    const int rc = c->run(ctx);
    fail_at = -1;
    if (rc == KF_OK) {
      const long made = calls;
      c->teardown(ctx);
      ck_assert_int_eq(live, 0);
      return made;
    }
    ck_assert_msg(rc == KF_ENOMEM, "%s, allocation %ld failing: %s", c->what, n, kf_err_name(rc));
    ck_assert_msg(calls == n, "%s went on after allocation %ld failed", c->what, n);
    ck_assert_msg(live == live_before, "%s leaked %ld blocks when allocation %ld failed", c->what,
                  live - live_before, n);
    c->unchanged(ctx);
    c->teardown(ctx);
    ck_assert_int_eq(live, 0);
  }
}

static kf_key seed_key(int64_t seed) { return kf_key_from_seed(seed, 0); }

/* ---- Rngs ------------------------------------------------------------------ */

typedef struct rngs_ctx {
  kf_rngs *rngs;
  kf_rngs *out;
  size_t n_streams;                       /* streams setup adds */
  kf_stream_state before[KF_RNGS_MAX_STREAMS];
} rngs_ctx;

static kf_rngs *rngs_with(size_t n_streams) {
  kf_rngs *r = NULL;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_PARTITIONABLE, &r), KF_OK);
  static const char *const names[] = {"default", "params", "dropout", "a_much_longer_stream_name"};
  for (size_t i = 0; i < n_streams; i++) {
    ck_assert_int_eq(kf_rngs_add_stream(r, names[i], seed_key((int64_t)i), (uint32_t)(7 * i)),
                     KF_OK);
  }
  return r;
}

static void snapshot(const kf_rngs *r, kf_stream_state *states) {
  for (size_t i = 0; i < kf_rngs_stream_count(r); i++)
    ck_assert_int_eq(kf_rngs_stream_at(r, i, &states[i]), KF_OK);
}

static void assert_same_rngs(const kf_rngs *r, size_t n, const kf_stream_state *before) {
  ck_assert_uint_eq(kf_rngs_stream_count(r), n);
  kf_stream_state now[KF_RNGS_MAX_STREAMS];
  snapshot(r, now);
  for (size_t i = 0; i < n; i++) ck_assert_mem_eq(&now[i], &before[i], sizeof now[i]);
}

static void rngs_setup(void *p) {
  rngs_ctx *c = p;
  c->rngs = c->n_streams == SIZE_MAX ? NULL : rngs_with(c->n_streams);
  c->out = NULL;
  if (c->rngs) snapshot(c->rngs, c->before);
}

static void rngs_teardown(void *p) {
  rngs_ctx *c = p;
  kf_rngs_free(c->rngs);
  kf_rngs_free(c->out);
}

static int run_rngs_new(void *p) {
  return kf_rngs_new(KF_THREEFRY_LEGACY, &((rngs_ctx *)p)->out);
}

static void rngs_new_unchanged(void *p) { ck_assert_ptr_null(((rngs_ctx *)p)->out); }

/* The 4th stream outgrows the first block, and its long name the names. */
static int run_add_stream(void *p) {
  rngs_ctx *c = p;
  return kf_rngs_add_stream(c->rngs, "a_much_longer_stream_name", seed_key(9), 3);
}

static void add_stream_unchanged(void *p) {
  rngs_ctx *c = p;
  assert_same_rngs(c->rngs, c->n_streams, c->before);
  ck_assert(!kf_rngs_has_stream(c->rngs, "a_much_longer_stream_name", NULL));
}

static int run_clone(void *p) {
  rngs_ctx *c = p;
  return kf_rngs_clone(c->rngs, &c->out);
}

static void clone_unchanged(void *p) {
  rngs_ctx *c = p;
  ck_assert_ptr_null(c->out);
  assert_same_rngs(c->rngs, c->n_streams, c->before);
}

START_TEST(rngs_calls_survive_every_failed_allocation) {
  use_counting_pair();
  rngs_ctx c = {.n_streams = SIZE_MAX};
  const sweep_case make = {"kf_rngs_new", rngs_setup, run_rngs_new, rngs_new_unchanged,
                           rngs_teardown};
  ck_assert_int_ge(sweep(&make, &c), 1);

  const sweep_case add = {"kf_rngs_add_stream", rngs_setup, run_add_stream, add_stream_unchanged,
                          rngs_teardown};
  c.n_streams = 0; /* the first stream allocates the block */
  ck_assert_int_ge(sweep(&add, &c), 1);
  c.n_streams = 3; /* the 4th moves it */
  ck_assert_int_ge(sweep(&add, &c), 1);

  const sweep_case clone = {"kf_rngs_clone", rngs_setup, run_clone, clone_unchanged,
                            rngs_teardown};
  c.n_streams = 3;
  ck_assert_int_ge(sweep(&clone, &c), 2); /* the handle and its block */
  c.n_streams = 0;
  ck_assert_int_ge(sweep(&clone, &c), 1);
}
END_TEST

/* ---- models ---------------------------------------------------------------- */

typedef struct model_ctx {
  kf_rngs *rngs;
  kf_model *model;   /* built by setup for forward; built by run for kf_model_new */
  kf_model *out;
  kf_stream_state before[KF_RNGS_MAX_STREAMS];
  float x[8];
  float y[12];
} model_ctx;

#define SENTINEL 12345.0f

static void model_layers(kf_layer_spec l[3]) {
  ck_assert_int_eq(kf_layer_spec_make(KF_LAYER_LINEAR, &l[0]), KF_OK);
  l[0].in_features = 2;
  l[0].out_features = 3;
  ck_assert_int_eq(kf_layer_spec_make(KF_LAYER_DROPOUT, &l[1]), KF_OK);
  l[1].rate = 0.5;
  ck_assert_int_eq(kf_layer_spec_make(KF_LAYER_LINEAR, &l[2]), KF_OK);
  l[2].in_features = 3;
  l[2].out_features = 3;
}

/* The era the model sweeps run in: a 0.11 model also allocates the
 * streams its dropouts hold. */
static kf_flax_era sweep_era = KF_FLAX_0_10;

static void model_setup_common(model_ctx *c, int build) {
  ck_assert_int_eq(kf_rngs_new_era(KF_THREEFRY_PARTITIONABLE, sweep_era, &c->rngs), KF_OK);
  ck_assert_int_eq(kf_rngs_add_stream(c->rngs, "params", seed_key(0), 0), KF_OK);
  ck_assert_int_eq(kf_rngs_add_stream(c->rngs, "dropout", seed_key(42), 0), KF_OK);
  c->model = c->out = NULL;
  if (build) {
    kf_layer_spec l[3];
    model_layers(l);
    ck_assert_int_eq(kf_model_new(l, 3, c->rngs, &c->model, NULL), KF_OK);
  }
  snapshot(c->rngs, c->before);
  for (int i = 0; i < 8; i++) c->x[i] = (float)i;
  for (int i = 0; i < 12; i++) c->y[i] = SENTINEL;
}

static void model_new_setup(void *p) { model_setup_common(p, 0); }
static void forward_setup(void *p) { model_setup_common(p, 1); }

static void model_teardown(void *p) {
  model_ctx *c = p;
  kf_model_free(c->model);
  kf_model_free(c->out);
  kf_rngs_free(c->rngs);
}

static int run_model_new(void *p) {
  model_ctx *c = p;
  kf_layer_spec l[3];
  model_layers(l);
  return kf_model_new(l, 3, c->rngs, &c->out, NULL);
}

static void model_new_unchanged(void *p) {
  model_ctx *c = p;
  ck_assert_ptr_null(c->out);
  assert_same_rngs(c->rngs, 2, c->before);
}

/* A batch of four rows: the activations, the dropout mask and the product's
 * packing space are each allocated. */
static int run_forward(void *p) {
  model_ctx *c = p;
  kf_tensor x = {KF_FLOAT32, {2, {4, 2}}, c->x};
  kf_tensor y = {KF_FLOAT32, {0, {0}}, c->y};
  kf_model_diag d = KF_MODEL_DIAG_INIT;
  const int rc = kf_model_forward(c->model, c->rngs, &x, KF_DET_FALSE, &y, &d);
  if (rc == KF_ENOMEM) ck_assert_int_eq(d.reason, KF_DIAG_NO_MEMORY);
  return rc;
}

static void forward_unchanged(void *p) {
  model_ctx *c = p;
  assert_same_rngs(c->rngs, 2, c->before);
  for (size_t i = 0; i < kf_model_stream_count(c->model); i++) {
    kf_model_stream h;
    ck_assert_int_eq(kf_model_stream_at(c->model, i, &h), KF_OK);
    ck_assert_uint_eq(h.state.count, 0);
  }
  for (int i = 0; i < 12; i++) ck_assert(c->y[i] == SENTINEL);
}

START_TEST(model_calls_survive_every_failed_allocation) {
  use_counting_pair();
  model_ctx c;
  for (int era = KF_FLAX_0_10; era <= KF_FLAX_0_11; era++) {
    sweep_era = (kf_flax_era)era;
    const sweep_case make = {"kf_model_new", model_new_setup, run_model_new, model_new_unchanged,
                             model_teardown};
    /* handle, layers, parameters (+ keys; + held streams in 0.11) */
    ck_assert_int_ge(sweep(&make, &c), era == KF_FLAX_0_11 ? 4 : 3);
    const sweep_case forward = {"kf_model_forward", forward_setup, run_forward, forward_unchanged,
                                model_teardown};
    ck_assert_int_ge(sweep(&forward, &c), 2);
  }
  sweep_era = KF_FLAX_0_10;
}
END_TEST

/* ---- samplers and initializers -------------------------------------------- */

typedef struct perm_ctx {
  int32_t out[1000];
} perm_ctx;

static void perm_setup(void *p) { memset(((perm_ctx *)p)->out, 0x5A, sizeof ((perm_ctx *)p)->out); }
static void perm_teardown(void *p) { (void)p; }

static int run_permutation(void *p) {
  return kf_random_permutation(seed_key(3), KF_THREEFRY_PARTITIONABLE, 1000, ((perm_ctx *)p)->out);
}

static void perm_unchanged(void *p) {
  const perm_ctx *c = p;
  for (size_t i = 0; i < 1000; i++) ck_assert_uint_eq((uint32_t)c->out[i], 0x5A5A5A5Au);
}

START_TEST(permutation_survives_every_failed_allocation) {
  use_counting_pair();
  perm_ctx c;
  const sweep_case perm = {"kf_random_permutation", perm_setup, run_permutation, perm_unchanged,
                           perm_teardown};
  ck_assert_int_ge(sweep(&perm, &c), 1);
}
END_TEST

/* The other samplers and the initializers work in fixed blocks on the stack:
 * with every allocation failing they still succeed. */
START_TEST(other_samplers_and_initializers_do_not_allocate) {
  use_counting_pair();
  fail_at = 1;
  calls = 0;
  float f[3000];
  uint8_t b[3000];
  int32_t i32[3000];
  const kf_key k = seed_key(42);
  ck_assert_int_eq(kf_random_normal(k, KF_THREEFRY_PARTITIONABLE, 3000, f), KF_OK);
  ck_assert_int_eq(kf_random_truncated_normal(k, KF_THREEFRY_LEGACY, 3000, -2, 2, f), KF_OK);
  ck_assert_int_eq(kf_random_bernoulli(k, KF_THREEFRY_PARTITIONABLE, 3000, 0.5f, b), KF_OK);
  ck_assert_int_eq(kf_random_randint(k, KF_THREEFRY_LEGACY, 3000, -5, 5, i32), KF_OK);
  /* the distributions (distributions.c) */
  const kf_threefry_mode P = KF_THREEFRY_PARTITIONABLE, L = KF_THREEFRY_LEGACY;
  const float one = 1.0f, half = 0.5f, two = 2.0f;
  ck_assert_int_eq(kf_random_exponential(k, P, 3000, f), KF_OK);
  for (int g = KF_GUMBEL_LOW; g <= KF_GUMBEL_HIGHEST; g++)
    ck_assert_int_eq(kf_random_gumbel(k, L, 3000, (kf_gumbel_mode)g, f), KF_OK);
  ck_assert_int_eq(kf_random_laplace(k, P, 3000, f), KF_OK);
  ck_assert_int_eq(kf_random_logistic(k, L, 3000, f), KF_OK);
  ck_assert_int_eq(kf_random_cauchy(k, P, 3000, f), KF_OK);
  ck_assert_int_eq(kf_random_pareto(k, L, 3000, &two, 1, f), KF_OK);
  ck_assert_int_eq(kf_random_weibull_min(k, P, 3000, &one, 1, &two, 1, f), KF_OK);
  ck_assert_int_eq(kf_random_rayleigh(k, P, 3000, &one, 1, f), KF_OK);
  ck_assert_int_eq(kf_random_geometric(k, L, 3000, &half, 1, i32), KF_OK);
  ck_assert_int_eq(kf_random_triangular(k, P, 3000, &half, 1, &one, 1, &two, 1, f), KF_OK);
  ck_assert_int_eq(kf_random_lognormal(k, P, 3000, &half, 1, f), KF_OK);
  ck_assert_int_eq(kf_random_maxwell(k, L, 3000, f), KF_OK);
  ck_assert_int_eq(kf_random_double_sided_maxwell(k, P, 3000, &one, 1, &two, 1, f), KF_OK);
  ck_assert_int_eq(kf_random_rademacher(k, P, 3000, i32), KF_OK);
  kf_init init;
  ck_assert_int_eq(kf_init_make(KF_INIT_LECUN_NORMAL, &init), KF_OK);
  const kf_shape shape = {2, {50, 60}};
  ck_assert_int_eq(kf_init_apply(&init, k, KF_THREEFRY_PARTITIONABLE, &shape, f), KF_OK);
  ck_assert_int_eq(calls, 0);
  fail_at = -1;
}
END_TEST

START_TEST(alloc_pair_is_set_and_read_back) {
  kf_malloc_fn m = NULL;
  kf_free_fn f = NULL;
  kf_get_alloc_funcs(&m, &f);
  ck_assert(m == malloc && f == free);
  ck_assert_int_eq(kf_set_alloc_funcs(counting_malloc, NULL), KF_EINVAL);
  ck_assert_int_eq(kf_set_alloc_funcs(NULL, counting_free), KF_EINVAL);
  kf_get_alloc_funcs(&m, &f);
  ck_assert(m == malloc && f == free);
  use_counting_pair();
  kf_get_alloc_funcs(&m, NULL);
  kf_get_alloc_funcs(NULL, &f);
  ck_assert(m == counting_malloc && f == counting_free);
  kf_rngs *r = NULL;
  calls = 0;
  ck_assert_int_eq(kf_rngs_new(KF_THREEFRY_PARTITIONABLE, &r), KF_OK);
  ck_assert_int_eq(calls, 1);
  kf_rngs_free(r);
  ck_assert_int_eq(live, 0);
  ck_assert_int_eq(kf_set_alloc_funcs(NULL, NULL), KF_OK);
  kf_get_alloc_funcs(&m, &f);
  ck_assert(m == malloc && f == free);
}
END_TEST

/* Each case leaves the library with malloc and free, whether or not the
 * cases run in one process (CK_FORK=no). */
static void restore_pair(void) {
  fail_at = -1;
  ck_assert_int_eq(kf_set_alloc_funcs(NULL, NULL), KF_OK);
}

/* ---- discrete.c's samplers ---------------------------------------------- */

/* wald allocates nothing; poisson, binomial, multinomial, categorical,
 * choice (JAX's loops draw whole arrays), multivariate_normal and orthogonal
 * (linalg.c) take scratch memory: every failed
 * allocation gives KF_ENOMEM with nothing written and nothing kept. */
typedef struct discrete_ctx {
  int which;
  int32_t out[600];
} discrete_ctx;

static void discrete_setup(void *p) { memset(((discrete_ctx *)p)->out, 0x5A, sizeof ((discrete_ctx *)p)->out); }

static int run_discrete(void *p) {
  discrete_ctx *c = p;
  const kf_key k = seed_key(11);
  const kf_threefry_mode P = KF_THREEFRY_PARTITIONABLE;
  static const float lam[4] = {3, 30, 0, 12}, cnt = 50, prob = 0.4f;
  static float p40[40], logits[3 * 7];
  for (int i = 0; i < 40; i++) p40[i] = (float)(i % 5 + 1);
  for (int i = 0; i < 21; i++) logits[i] = (float)(i % 4) * 0.5f;
  float *f = (float *)c->out;
  switch (c->which) {
    case 0: return kf_random_poisson(k, P, 600, lam, 1, c->out);
    case 1: return kf_random_poisson(k, P, 4, lam, 4, c->out);
    case 2: return kf_random_binomial(k, P, 600, &cnt, 1, &prob, 1, f);
    case 3: return kf_random_multinomial(k, P, 15, 40, &cnt, 1, p40, 40, f);
    case 4: return kf_random_categorical(k, P, logits, 3, 7, 1, 100, 1, KF_GUMBEL_HIGH, c->out);
    case 5: return kf_random_categorical(k, P, logits, 1, 7, 3, 5, 0, KF_GUMBEL_LOW, c->out);
    case 6: return kf_random_choice(k, P, 40, 600, 1, p40, KF_GUMBEL_LOW, c->out);
    case 7: return kf_random_choice(k, P, 40, 30, 0, p40, KF_GUMBEL_LOW, c->out);
    case 8: return kf_random_choice(k, P, 40, 30, 0, NULL, KF_GUMBEL_LOW, c->out);
    /* linalg.c: the normals, then the factor or the QR's work */
    case 9: return kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 3, 2, lam, 2, p40, 12, f);
    case 10: return kf_random_multivariate_normal(k, P, KF_MVN_CHOLESKY, 100, 4, lam, 4, p40, 16, f);
    default: return kf_random_orthogonal(k, P, 4, 5, 3, f);
  }
}

static void discrete_unchanged(void *p) {
  const discrete_ctx *c = p;
  for (size_t i = 0; i < 600; i++) ck_assert_uint_eq((uint32_t)c->out[i], 0x5A5A5A5Au);
}

START_TEST(discrete_samplers_survive_every_failed_allocation) {
  use_counting_pair();
  discrete_ctx c;
  const sweep_case sc = {"a discrete.c or linalg.c sampler", discrete_setup, run_discrete,
                         discrete_unchanged, perm_teardown};
  for (c.which = 0; c.which <= 11; c.which++) ck_assert_int_ge(sweep(&sc, &c), 1);
  float f[8];
  const float one = 1;
  fail_at = 1;
  calls = 0;
  ck_assert_int_eq(kf_random_wald(seed_key(12), KF_THREEFRY_PARTITIONABLE, 8, &one, 1, f), KF_OK);
  ck_assert_int_eq(calls, 0);
  fail_at = -1;
}
END_TEST

static Suite *alloc_suite(void) {
  Suite *s = suite_create("alloc");
  TCase *t = tcase_create("alloc");
  tcase_add_checked_fixture(t, NULL, restore_pair);
  tcase_add_test(t, alloc_pair_is_set_and_read_back);
  tcase_add_test(t, rngs_calls_survive_every_failed_allocation);
  tcase_add_test(t, model_calls_survive_every_failed_allocation);
  tcase_add_test(t, permutation_survives_every_failed_allocation);
  tcase_add_test(t, other_samplers_and_initializers_do_not_allocate);
  tcase_add_test(t, discrete_samplers_survive_every_failed_allocation);
  suite_add_tcase(s, t);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(alloc_suite());
  srunner_run_all(sr, CK_NORMAL);
  const int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
