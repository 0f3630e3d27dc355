/* bench — keyfold's sampler, initializer and forward-pass throughput, with
 * the anchors they are judged against, measured in the same run.
 *
 *   bench [--seconds S] [--only NAME-SUBSTRING]
 *
 * Prints one JSON object per line on stdout:
 *   {"name": …, "items_per_s": …, "unit": …, "isa": …, "runs": [...]}
 * items are samples (unit "samples/s", "words/s" for Random123's words), or
 * floating-point operations for the forward pass and sgemm ("FLOP/s",
 * 2·m·n·k per product); activation_NAME_f32 is one value through a model
 * of that one activation layer. Each figure is the median of five timed windows that
 * together last about S seconds (default 1) of the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID): on an idle machine that is the wall-clock time,
 * and on a busy one it leaves out the time other processes held the core,
 * so figures taken in one run stay comparable ("wall_items_per_s" gives the
 * wall-clock rate too). Every benchmark runs on one thread. Names ending in
 * _scalar (or _avx2) force keyfold's portable scalar (or AVX2) kernels, to
 * show what the vector kernels add. scripts/bench.sh runs this with the
 * NumPy anchor and prints the targets; docs/benchmarks.md explains them.
 * Built by tests/bench/meson.build; not a test. */
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/src/testing.h"
#include "keyfold/keyfold.h"

/* Random123's threefry2x32 over a run of counters, 20 rounds, scalar
 * (bench_anchor_r123.c, built without auto-vectorization). Returns an xor of
 * the words so that the work cannot be dropped. */
uint32_t bench_r123_threefry2x32(uint32_t k0, uint32_t k1, uint64_t first, size_t calls,
                                 uint32_t *out);

static double clock_seconds(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static double now(void) { return clock_seconds(CLOCK_THREAD_CPUTIME_ID); }
static double wall(void) { return clock_seconds(CLOCK_MONOTONIC); }

static double seconds_per_bench = 1.0;
static const char *only = NULL;
static volatile uint32_t sink;

typedef void (*bench_fn)(void *ctx);

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs fn until each of five windows has lasted seconds/5, and prints the
 * median rate of items_per_call per call. */
static void run(const char *name, const char *unit, const char *isa, double items_per_call,
                bench_fn fn, void *ctx) {
  if (only && !strstr(name, only)) return;
  enum { WINDOWS = 5 };
  double rate[WINDOWS], wall_rate[WINDOWS];
  fn(ctx); /* warm-up: page faults, caches, OpenBLAS's first-call setup */
  for (int w = 0; w < WINDOWS; w++) {
    const double t0 = now(), w0 = wall();
    double t = t0;
    long calls = 0;
    do {
      fn(ctx);
      calls++;
      t = now();
    } while (t - t0 < seconds_per_bench / WINDOWS);
    rate[w] = items_per_call * (double)calls / (t - t0);
    wall_rate[w] = items_per_call * (double)calls / (wall() - w0);
  }
  qsort(wall_rate, WINDOWS, sizeof *wall_rate, cmp_double);
  double sorted[WINDOWS];
  memcpy(sorted, rate, sizeof rate);
  qsort(sorted, WINDOWS, sizeof *sorted, cmp_double);
  printf("{\"name\": \"%s\", \"items_per_s\": %.6g, \"unit\": \"%s\", \"isa\": \"%s\", \"runs\": [",
         name, sorted[WINDOWS / 2], unit, isa);
  for (int w = 0; w < WINDOWS; w++) printf("%s%.4g", w ? ", " : "", rate[w]);
  printf("], \"wall_items_per_s\": %.6g}\n", wall_rate[WINDOWS / 2]);
  fflush(stdout);
}

/* ------------------------------------------------------------ the samplers */

enum { N = 1 << 20 }; /* samples per call: 4 MiB of output, L2-sized blocks inside */

typedef struct {
  kf_key key;
  float *f;
  uint32_t *u;
  uint8_t *b;
  kf__isa isa;
} sample_ctx;

static void b_bits(void *p) {
  sample_ctx *c = p;
  kf_random_bits(c->key, KF_THREEFRY_PARTITIONABLE, 32, N, c->u);
  sink ^= c->u[N - 1];
}
static void b_bits_isa(void *p) {
  sample_ctx *c = p;
  kf__k_bits32(c->isa, c->key.hi, c->key.lo, 0, N, c->u);
  sink ^= c->u[N - 1];
}
static void b_uniform(void *p) {
  sample_ctx *c = p;
  kf_random_uniform(c->key, KF_THREEFRY_PARTITIONABLE, N, 0.0f, 1.0f, c->f);
  sink ^= (uint32_t)c->f[N - 1];
}
static void b_normal(void *p) {
  sample_ctx *c = p;
  kf_random_normal(c->key, KF_THREEFRY_PARTITIONABLE, N, c->f);
  sink ^= (uint32_t)c->f[N - 1];
}
/* normal through the given kernels: bits, affine step, erf_inv. */
static void b_normal_isa(void *p) {
  sample_ctx *c = p;
  const float lo = nextafterf(-1.0f, 0.0f);
  for (size_t s = 0; s < N; s += 256) {
    kf__k_bits32(c->isa, c->key.hi, c->key.lo, s, 256, c->u + s);
    kf__k_uniform(c->isa, c->u + s, 256, lo, 1.0f - lo, c->f + s);
    kf__k_erf_inv(c->isa, c->f + s, 256, 0x1.6a09e6p+0f, -INFINITY, INFINITY, c->f + s);
  }
  sink ^= (uint32_t)c->f[N - 1];
}
static void b_truncated(void *p) {
  sample_ctx *c = p;
  kf_random_truncated_normal(c->key, KF_THREEFRY_PARTITIONABLE, N, -2.0f, 2.0f, c->f);
  sink ^= (uint32_t)c->f[N - 1];
}
static void b_bernoulli(void *p) {
  sample_ctx *c = p;
  kf_random_bernoulli(c->key, KF_THREEFRY_PARTITIONABLE, N, 0.9f, c->b);
  sink ^= c->b[N - 1];
}
/* The distributions (distributions.c), 2^20 samples per call, one parameter
 * value each (p_n = 1). */
static const float prm_two = 2.0f, prm_half = 0.5f, prm_one = 1.0f, prm_neg = -1.0f, prm_three = 3.0f;
/* One benchmark function per distribution: CALL draws N samples into c->f
 * (or c->u for the int32 ones). */
#define BENCH_DIST(name, call)                      \
  static void b_##name(void *p) {                   \
    sample_ctx *c = p;                              \
    call;                                           \
    sink ^= c->u[N - 1] ^ (uint32_t)c->f[N - 1];    \
  }
#define KEY c->key, KF_THREEFRY_PARTITIONABLE, N
BENCH_DIST(exponential, kf_random_exponential(KEY, c->f))
BENCH_DIST(gumbel, kf_random_gumbel(KEY, KF_GUMBEL_LOW, c->f))
BENCH_DIST(gumbel_high, kf_random_gumbel(KEY, KF_GUMBEL_HIGH, c->f))
BENCH_DIST(laplace, kf_random_laplace(KEY, c->f))
BENCH_DIST(logistic, kf_random_logistic(KEY, c->f))
BENCH_DIST(cauchy, kf_random_cauchy(KEY, c->f))
BENCH_DIST(pareto, kf_random_pareto(KEY, &prm_two, 1, c->f))
BENCH_DIST(weibull_min, kf_random_weibull_min(KEY, &prm_one, 1, &prm_two, 1, c->f))
BENCH_DIST(rayleigh, kf_random_rayleigh(KEY, &prm_two, 1, c->f))
BENCH_DIST(geometric, kf_random_geometric(KEY, &prm_half, 1, (int32_t *)c->u))
BENCH_DIST(triangular, kf_random_triangular(KEY, &prm_neg, 1, &prm_half, 1, &prm_three, 1, c->f))
BENCH_DIST(lognormal, kf_random_lognormal(KEY, &prm_half, 1, c->f))
BENCH_DIST(maxwell, kf_random_maxwell(KEY, c->f))
BENCH_DIST(double_sided_maxwell, kf_random_double_sided_maxwell(KEY, &prm_one, 1, &prm_two, 1, c->f))
BENCH_DIST(rademacher, kf_random_rademacher(KEY, (int32_t *)c->u))
/* discrete.c: wald, poisson and binomial on both sides of their branch
 * switch, multinomial (N / 4 rows of 4 categories: N counts), categorical
 * over 10 logits and choice with p over 10 (N samples each). */
static const float prm_four = 4.0f, prm_thirty = 30.0f, prm_twenty = 20.0f, prm_p3 = 0.3f,
                   prm_200 = 200.0f, prm_p4 = 0.4f;
static const float prm_p10[10] = {0.02f, 0.05f, 0.08f, 0.1f, 0.15f, 0.2f, 0.1f, 0.1f, 0.1f, 0.1f};
static const float prm_logits10[10] = {-3.9f, -3.0f, -2.5f, -2.3f, -1.9f, -1.6f, -2.3f, -2.3f, -2.3f, -2.3f};
static const float prm_p4v[4] = {0.1f, 0.2f, 0.3f, 0.4f}, prm_twelve = 12.0f;
BENCH_DIST(wald, kf_random_wald(KEY, &prm_one, 1, c->f))
BENCH_DIST(poisson, kf_random_poisson(KEY, &prm_four, 1, (int32_t *)c->u))
BENCH_DIST(poisson_ptrs, kf_random_poisson(KEY, &prm_thirty, 1, (int32_t *)c->u))
BENCH_DIST(binomial, kf_random_binomial(KEY, &prm_twenty, 1, &prm_p3, 1, c->f))
BENCH_DIST(binomial_btrs, kf_random_binomial(KEY, &prm_200, 1, &prm_p4, 1, c->f))
#undef KEY
/* The gamma family (gamma.c) with jaxlib 0.10.2's rsqrt on Intel; dirichlet
 * and ball draw N values as N / 3 rows of 3. */
static const float prm_five = 5.0f, prm_seven = 7.0f, prm_123[3] = {1.0f, 2.0f, 3.0f};
#define KEY c->key, KF_THREEFRY_PARTITIONABLE, KF_RSQRT_INTEL_NR2, N
BENCH_DIST(gamma, kf_random_gamma(KEY, &prm_three, 1, c->f))
BENCH_DIST(gamma_small, kf_random_gamma(KEY, &prm_half, 1, c->f))
BENCH_DIST(loggamma, kf_random_loggamma(KEY, &prm_half, 1, c->f))
BENCH_DIST(beta, kf_random_beta(KEY, &prm_two, 1, &prm_five, 1, c->f))
BENCH_DIST(chisquare, kf_random_chisquare(KEY, &prm_three, 1, c->f))
BENCH_DIST(t, kf_random_t(KEY, &prm_five, 1, c->f))
BENCH_DIST(f, kf_random_f(KEY, &prm_three, 1, &prm_seven, 1, c->f))
BENCH_DIST(generalized_normal, kf_random_generalized_normal(KEY, &prm_three, 1, c->f))
#undef KEY
#define KEY3 c->key, KF_THREEFRY_PARTITIONABLE, KF_RSQRT_INTEL_NR2, N / 3
BENCH_DIST(dirichlet, kf_random_dirichlet(KEY3, prm_123, 3, c->f))
BENCH_DIST(ball, kf_random_ball(KEY3, 3, 2.0f, c->f))
#undef KEY3
BENCH_DIST(multinomial, kf_random_multinomial(c->key, KF_THREEFRY_PARTITIONABLE, N / 4, 4, &prm_twelve, 1,
                                              prm_p4v, 4, c->f))
BENCH_DIST(categorical, kf_random_categorical(c->key, KF_THREEFRY_PARTITIONABLE, prm_logits10, 1, 10, 1, N, 1,
                                              KF_GUMBEL_LOW, (int32_t *)c->u))
BENCH_DIST(choice_p, kf_random_choice(c->key, KF_THREEFRY_PARTITIONABLE, 10, N, 1, prm_p10, KF_GUMBEL_LOW,
                                      (int32_t *)c->u))
/* linalg.c: multivariate_normal with a 3 x 3 covariance (N / 3 rows of 3)
 * and orthogonal 3 x 3 (N / 9 matrices): N values each. */
static const float prm_mean3[3] = {1.0f, -2.0f, 0.5f};
static const float prm_cov3[9] = {2.0f, 0.6f, -0.4f, 0.6f, 1.0f, 0.3f, -0.4f, 0.3f, 0.5f};
BENCH_DIST(multivariate_normal, kf_random_multivariate_normal(c->key, KF_THREEFRY_PARTITIONABLE, KF_MVN_CHOLESKY,
                                                              N / 3, 3, prm_mean3, 3, prm_cov3, 9, c->f))
BENCH_DIST(orthogonal, kf_random_orthogonal(c->key, KF_THREEFRY_PARTITIONABLE, N / 9, 3, 3, c->f))

/* The four vectorized distributions through the given kernels, as the
 * samplers run them: bits, then the sampler's kernel, per block. */
typedef void (*dist_kernel)(kf__isa, const uint32_t *, size_t, float *);
typedef struct {
  sample_ctx *s;
  dist_kernel k;
} dist_ctx;
static void b_dist_isa(void *p) {
  dist_ctx *d = p;
  sample_ctx *c = d->s;
  for (size_t s = 0; s < N; s += 256) {
    kf__k_bits32(c->isa, c->key.hi, c->key.lo, s, 256, c->u + s);
    d->k(c->isa, c->u + s, 256, c->f + s);
  }
  sink ^= (uint32_t)c->f[N - 1];
}
static void b_r123(void *p) {
  sample_ctx *c = p;
  sink ^= bench_r123_threefry2x32(c->key.hi, c->key.lo, 0, N / 2, c->u);
}

/* ------------------------------------------------------- init and forward */

typedef struct {
  kf_init init;
  kf_shape shape;
  float *out;
} init_ctx;

static void b_init(void *p) {
  init_ctx *c = p;
  kf_init_apply(&c->init, kf_key_from_data(0, 42), KF_THREEFRY_PARTITIONABLE, &c->shape, c->out);
  sink ^= (uint32_t)c->out[0];
}

enum { BATCH = 256 };
static const int mlp_widths[] = {784, 1024, 1024, 10};
enum { MLP_LINEARS = 3 };

static double mlp_flops(void) {
  double f = 0;
  for (int i = 0; i < MLP_LINEARS; i++) f += 2.0 * BATCH * mlp_widths[i] * mlp_widths[i + 1];
  return f;
}

typedef struct {
  kf_model *model;
  kf_rngs *rngs;
  kf_tensor x, y;
  /* The anchor: the same three products with OpenBLAS. */
  const float *w[MLP_LINEARS];
  float *act[MLP_LINEARS + 1];
} mlp_ctx;

static void b_forward(void *p) {
  mlp_ctx *c = p;
  kf_model_forward(c->model, c->rngs, &c->x, KF_DET_TRUE, &c->y, NULL);
  sink ^= (uint32_t)((float *)c->y.data)[0];
}

/* One activation layer over ACT_N values of N(0, 2²): the forward pass of a
 * model that is nothing but that layer. */
enum { ACT_N = 1 << 20 };

typedef struct {
  kf_model *model;
  kf_rngs *rngs;
  kf_tensor x, y;
} act_ctx;

static void b_activation(void *p) {
  act_ctx *c = p;
  kf_model_forward(c->model, c->rngs, &c->x, KF_DET_TRUE, &c->y, NULL);
  sink ^= (uint32_t)((float *)c->y.data)[ACT_N - 1];
}

/* The same through kf__k_activation in a given instruction set. */
typedef struct {
  kf__act act;
  kf__isa isa;
  const float *x;
  float *y;
} act_isa_ctx;

static void b_activation_isa(void *p) {
  act_isa_ctx *c = p;
  kf__k_activation(c->isa, c->act, c->x, ACT_N, c->y);
  sink ^= (uint32_t)c->y[ACT_N - 1];
}

static int build_activation(act_ctx *c, kf_layer_type type, kf_rngs *rngs, float *x, float *y) {
  kf_layer_spec layer;
  kf_layer_spec_make(type, &layer);
  c->rngs = rngs;
  if (kf_model_new(&layer, 1, rngs, &c->model, NULL) != KF_OK) return -1;
  const int64_t dims[] = {1024, ACT_N / 1024};
  c->x.dtype = KF_FLOAT32;
  kf_shape_make(&c->x.shape, 2, dims);
  c->x.data = x;
  c->y.data = y;
  return 0;
}

static void b_sgemm(void *p) {
  mlp_ctx *c = p;
  for (int i = 0; i < MLP_LINEARS; i++) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, BATCH, mlp_widths[i + 1],
                mlp_widths[i], 1.0f, c->act[i], mlp_widths[i], c->w[i], mlp_widths[i + 1], 0.0f,
                c->act[i + 1], mlp_widths[i + 1]);
  }
  sink ^= (uint32_t)c->act[MLP_LINEARS][0];
}

static int build_mlp(mlp_ctx *c) {
  kf_layer_spec layers[5];
  kf_layer_spec_make(KF_LAYER_LINEAR, &layers[0]);
  layers[0].in_features = 784, layers[0].out_features = 1024;
  kf_layer_spec_make(KF_LAYER_RELU, &layers[1]);
  kf_layer_spec_make(KF_LAYER_LINEAR, &layers[2]);
  layers[2].in_features = 1024, layers[2].out_features = 1024;
  kf_layer_spec_make(KF_LAYER_RELU, &layers[3]);
  kf_layer_spec_make(KF_LAYER_LINEAR, &layers[4]);
  layers[4].in_features = 1024, layers[4].out_features = 10;
  if (kf_rngs_new(KF_THREEFRY_PARTITIONABLE, &c->rngs) != KF_OK ||
      kf_rngs_add_stream(c->rngs, "default", kf_key_from_data(0, 0), 0) != KF_OK ||
      kf_model_new(layers, 5, c->rngs, &c->model, NULL) != KF_OK)
    return -1;
  c->x.dtype = KF_FLOAT32;
  const int64_t dims[] = {BATCH, 784};
  kf_shape_make(&c->x.shape, 2, dims);
  c->x.data = malloc(sizeof(float) * BATCH * 784);
  c->y.data = malloc(sizeof(float) * BATCH * 10);
  if (!c->x.data || !c->y.data) return -1;
  kf_random_normal(kf_key_from_data(0, 1), KF_THREEFRY_PARTITIONABLE, BATCH * 784, c->x.data);
  c->act[0] = c->x.data;
  for (int i = 0; i < MLP_LINEARS; i++) {
    const char *name;
    kf_tensor view;
    if (kf_model_param(c->model, (size_t)(2 * i), 0, &name, &view) != KF_OK) return -1;
    c->w[i] = view.data;
    c->act[i + 1] = malloc(sizeof(float) * BATCH * (size_t)mlp_widths[i + 1]);
    if (!c->act[i + 1]) return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds_per_bench = atof(argv[++i]);
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--seconds S] [--only NAME-SUBSTRING]\n", argv[0]);
      return 2;
    }
  }
  if (!(seconds_per_bench > 0)) seconds_per_bench = 1.0;
  openblas_set_num_threads(1);
  const kf__isa best = kf__isa_best();
  const char *isa = kf__isa_name(best);
  fprintf(stderr, "bench: keyfold kernels %s; OpenBLAS %s (core %s), one thread\n", isa,
          openblas_get_config(), openblas_get_corename());

  sample_ctx s = {kf_key_from_data(0, 42), malloc(N * sizeof(float)), malloc(N * sizeof(uint32_t)),
                  malloc(N), best};
  if (!s.f || !s.u || !s.b) return 1;
  run("bits_u32", "samples/s", isa, N, b_bits, &s);
  run("anchor_random123_threefry2x32", "words/s", "scalar", N, b_r123, &s);
  sample_ctx s_scalar = s;
  s_scalar.isa = KF__ISA_SCALAR;
  run("bits_u32_scalar", "samples/s", "scalar", N, b_bits_isa, &s_scalar);
  run("uniform_f32", "samples/s", isa, N, b_uniform, &s);
  run("normal_f32", "samples/s", isa, N, b_normal, &s);
  run("normal_f32_scalar", "samples/s", "scalar", N, b_normal_isa, &s_scalar);
  if (best == KF__ISA_AVX512 && kf__isa_usable(KF__ISA_AVX2)) {
    /* What a CPU without AVX-512 gets. */
    sample_ctx s_avx2 = s;
    s_avx2.isa = KF__ISA_AVX2;
    run("bits_u32_avx2", "samples/s", "avx2", N, b_bits_isa, &s_avx2);
    run("normal_f32_avx2", "samples/s", "avx2", N, b_normal_isa, &s_avx2);
  }
  run("truncated_normal_f32", "samples/s", isa, N, b_truncated, &s);
  run("bernoulli", "samples/s", isa, N, b_bernoulli, &s);

  /* The distributions of issue 12; NumPy's and JAX's equivalents are
   * tests/bench/numpy_distributions.py and jax_random.py. */
  static const struct {
    const char *name;
    bench_fn fn;
  } dists[] = {
    {"exponential_f32", b_exponential},
    {"gumbel_f32", b_gumbel},
    {"gumbel_high_f32", b_gumbel_high},
    {"laplace_f32", b_laplace},
    {"logistic_f32", b_logistic},
    {"cauchy_f32", b_cauchy},
    {"pareto_f32", b_pareto},
    {"weibull_min_f32", b_weibull_min},
    {"rayleigh_f32", b_rayleigh},
    {"geometric_i32", b_geometric},
    {"triangular_f32", b_triangular},
    {"lognormal_f32", b_lognormal},
    {"maxwell_f32", b_maxwell},
    {"double_sided_maxwell_f32", b_double_sided_maxwell},
    {"rademacher_i32", b_rademacher},
    {"gamma_f32", b_gamma},
    {"gamma_small_f32", b_gamma_small},
    {"loggamma_f32", b_loggamma},
    {"beta_f32", b_beta},
    {"chisquare_f32", b_chisquare},
    {"t_f32", b_t},
    {"f_f32", b_f},
    {"generalized_normal_f32", b_generalized_normal},
    {"dirichlet_f32", b_dirichlet},
    {"ball_f32", b_ball},
    {"wald_f32", b_wald},
    {"poisson_lam4_i32", b_poisson},
    {"poisson_lam30_i32", b_poisson_ptrs},
    {"binomial_n20_f32", b_binomial},
    {"binomial_n200_f32", b_binomial_btrs},
    {"multinomial_k4_f32", b_multinomial},
    {"categorical_k10_i32", b_categorical},
    {"choice_p10_i32", b_choice_p},
    {"multivariate_normal_d3_f32", b_multivariate_normal},
    {"orthogonal_3x3_f32", b_orthogonal},
  };
  for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
    run(dists[i].name, "samples/s", isa, N, dists[i].fn, &s);
  static const struct {
    const char *name;
    dist_kernel k;
  } vec_dists[] = {{"exponential_f32", kf__k_exponential},
                   {"gumbel_f32", kf__k_gumbel},
                   {"laplace_f32", kf__k_laplace},
                   {"logistic_f32", kf__k_logistic}};
  for (size_t i = 0; i < sizeof vec_dists / sizeof vec_dists[0]; i++) {
    char name[64];
    dist_ctx d = {&s_scalar, vec_dists[i].k};
    snprintf(name, sizeof name, "%s_scalar", vec_dists[i].name);
    run(name, "samples/s", "scalar", N, b_dist_isa, &d);
    if (best == KF__ISA_AVX512 && kf__isa_usable(KF__ISA_AVX2)) {
      sample_ctx s_avx2 = s;
      s_avx2.isa = KF__ISA_AVX2;
      dist_ctx d2 = {&s_avx2, vec_dists[i].k};
      snprintf(name, sizeof name, "%s_avx2", vec_dists[i].name);
      run(name, "samples/s", "avx2", N, b_dist_isa, &d2);
    }
  }

  init_ctx in;
  kf_init_make(KF_INIT_LECUN_NORMAL, &in.init);
  const int64_t dims[] = {4096, 4096};
  kf_shape_make(&in.shape, 2, dims);
  in.out = malloc(sizeof(float) * 4096 * 4096);
  if (!in.out) return 1;
  run("lecun_normal_init_4096x4096", "samples/s", isa, 4096.0 * 4096.0, b_init, &in);

  mlp_ctx m;
  memset(&m, 0, sizeof m);
  if (build_mlp(&m) != 0) {
    fprintf(stderr, "bench: cannot build the MLP\n");
    return 1;
  }
  run("forward_mlp_784_1024_1024_10_batch256", "FLOP/s", isa, mlp_flops(), b_forward, &m);
  run("anchor_openblas_sgemm_mlp_784_1024_1024_10_batch256", "FLOP/s", "openblas", mlp_flops(),
      b_sgemm, &m);

  /* The activations, each as a model of one layer over 2^20 values. */
  float *ax = malloc(sizeof(float) * ACT_N), *ay = malloc(sizeof(float) * ACT_N);
  if (!ax || !ay) return 1;
  kf_random_normal(kf_key_from_data(0, 2), KF_THREEFRY_PARTITIONABLE, ACT_N, ax);
  for (size_t i = 0; i < ACT_N; i++) ax[i] *= 2.0f;
  static const struct {
    kf_layer_type layer;
    kf__act act;
  } acts[] = {{KF_LAYER_RELU, KF__ACT_RELU}, {KF_LAYER_TANH, KF__ACT_TANH},
              {KF_LAYER_SIGMOID, KF__ACT_SIGMOID}, {KF_LAYER_SILU, KF__ACT_SILU},
              {KF_LAYER_GELU, KF__ACT_GELU}};
  for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
    const char *an = kf_layer_type_name(acts[i].layer);
    act_ctx a;
    char name[64];
    if (build_activation(&a, acts[i].layer, m.rngs, ax, ay) != 0) {
      fprintf(stderr, "bench: cannot build the %s layer\n", an);
      return 1;
    }
    snprintf(name, sizeof name, "activation_%s_f32", an);
    run(name, "samples/s", isa, ACT_N, b_activation, &a);
    kf_model_free(a.model);
    /* What the scalar form (and, on an AVX-512 machine, AVX2) gets. */
    act_isa_ctx k = {acts[i].act, KF__ISA_SCALAR, ax, ay};
    snprintf(name, sizeof name, "activation_%s_f32_scalar", an);
    run(name, "samples/s", "scalar", ACT_N, b_activation_isa, &k);
    if (best == KF__ISA_AVX512 && kf__isa_usable(KF__ISA_AVX2)) {
      k.isa = KF__ISA_AVX2;
      snprintf(name, sizeof name, "activation_%s_f32_avx2", an);
      run(name, "samples/s", "avx2", ACT_N, b_activation_isa, &k);
    }
  }
  fprintf(stderr, "bench: checksum %08x\n", (unsigned)sink);
  return 0;
}
