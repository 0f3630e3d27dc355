/* Throughput of kf__conv (lib/src/conv.c) beside an anchor in the same run:
 * the whole patch matrix materialized (im2col) and multiplied by OpenBLAS's
 * cblas_sgemm, one thread each, on the convolutions of the Flax MNIST
 * tutorial's CNN and two larger ones (docs/conv.md, "Speed").
 *
 *   build/tests/bench/bench_conv [--seconds S] [--best]
 *
 * Prints one JSON object per layer and implementation: GFLOP/s (2 * outputs
 * * k) of the best of S seconds of repetitions (default 1), by thread CPU
 * time; keyfold on every instruction set this CPU runs (--best: the widest
 * only), with its speed relative to the anchor (anchor_ratio > 1: faster). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/src/conv.h"

void openblas_set_num_threads(int n);

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *rarray(size_t n, unsigned seed) {
  float *a = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    a[i] = (float)(seed >> 8) * 0x1p-24f - 0.5f;
  }
  return a;
}

typedef struct {
  const char *name;
  size_t batch;
  int64_t h, w, cin, cout, k;
} shape;

/* The anchor: every patch row written out (SAME padding, stride 1), then one
 * sgemm and the bias. */
static void im2col_sgemm(const kf__conv_geom *g, const float *x, const float *kern,
                         const float *bias, float *y, float *patches) {
  const int64_t H = g->in[0], W = g->in[1], C = g->in_ch, K = g->kernel[0];
  const int64_t lo0 = g->pad_lo[0], lo1 = g->pad_lo[1];
  const size_t kk = (size_t)(K * K * C);
  size_t r = 0;
  for (size_t b = 0; b < g->batch; b++)
    for (int64_t oh = 0; oh < g->out[0]; oh++)
      for (int64_t ow = 0; ow < g->out[1]; ow++, r++) {
        float *row = patches + r * kk;
        for (int64_t t0 = 0; t0 < K; t0++)
          for (int64_t t1 = 0; t1 < K; t1++, row += C) {
            const int64_t ih = oh + t0 - lo0, iw = ow + t1 - lo1;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W)
              memset(row, 0, (size_t)C * sizeof(float));
            else
              memcpy(row, x + ((b * (size_t)H + (size_t)ih) * (size_t)W + (size_t)iw) * (size_t)C,
                     (size_t)C * sizeof(float));
          }
      }
  const int n = (int)g->out_ch;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)r, n, (int)kk, 1.0f, patches,
              (int)kk, kern, n, 0.0f, y, n);
  for (size_t i = 0; i < r; i++)
    for (int j = 0; j < n; j++) y[i * (size_t)n + (size_t)j] += bias[j];
}

int main(int argc, char **argv) {
  double seconds = 1.0;
  int only_best = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
    if (!strcmp(argv[i], "--best")) only_best = 1;
  }
  openblas_set_num_threads(1);
  static const shape shapes[] = {
      {"mnist_conv1_b32_28x28x1_32_3x3", 32, 28, 28, 1, 32, 3},
      {"mnist_conv2_b32_14x14x32_64_3x3", 32, 14, 14, 32, 64, 3},
      {"resnet_b8_56x56x64_64_3x3", 8, 56, 56, 64, 64, 3},
      {"b8_28x28x128_128_3x3", 8, 28, 28, 128, 128, 3},
  };
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const shape *sh = &shapes[s];
    kf__conv_geom g = {0};
    g.nd = 2, g.batch = sh->batch;
    g.in[0] = sh->h, g.in[1] = sh->w;
    for (int d = 0; d < 2; d++) g.kernel[d] = sh->k, g.stride[d] = g.lhs_dil[d] = g.rhs_dil[d] = 1;
    g.in_ch = sh->cin, g.out_ch = sh->cout, g.groups = 1;
    if (kf__conv_plan(&g, KF__PAD_SAME, NULL)) return 1;
    const size_t nx = sh->batch * (size_t)(sh->h * sh->w * sh->cin);
    const size_t m = sh->batch * (size_t)(g.out[0] * g.out[1]);
    const size_t kk = (size_t)(sh->k * sh->k * sh->cin), ny = m * (size_t)sh->cout;
    float *x = rarray(nx, 1), *w = rarray(kk * (size_t)sh->cout, 2);
    float *b = rarray((size_t)sh->cout, 3);
    float *y = malloc(ny * sizeof(float)), *ya = malloc(ny * sizeof(float));
    float *patches = malloc(m * kk * sizeof(float));
    const double flops = 2.0 * (double)m * (double)kk * (double)sh->cout;
    /* the anchor first, then kf__conv on every usable instruction set */
    double best_anchor = 1e30;
    for (double spent = 0; spent < seconds;) {
      const double t0 = now();
      im2col_sgemm(&g, x, w, b, ya, patches);
      const double dt = now() - t0;
      spent += dt;
      if (dt < best_anchor) best_anchor = dt;
    }
    for (int i = KF__ISA_COUNT - 1; i >= 0; i--) {
      const kf__isa isa = (kf__isa)i;
      if (!kf__isa_usable(isa) || (only_best && isa != kf__isa_best())) continue;
      float *work = malloc(kf__conv_workspace(isa, &g) * sizeof(float));
        double best = 1e30;
      for (double spent = 0; spent < seconds;) {
        const double t0 = now();
        kf__conv(isa, &g, x, w, b, y, work);
        const double dt = now() - t0;
        spent += dt;
        if (dt < best) best = dt;
      }
      free(work);
      double maxdiff = 0;
      for (size_t j = 0; j < ny; j++)
        if (fabs((double)y[j] - ya[j]) > maxdiff) maxdiff = fabs((double)y[j] - ya[j]);
      printf("{\"bench\": \"conv_%s\", \"impl\": \"keyfold_%s\", \"gflops\": %.2f, \"ms\": %.3f, "
             "\"anchor_ratio\": %.3f, \"max_abs_diff\": %.3g}\n",
             sh->name, kf__isa_name(isa), flops / best * 1e-9, best * 1e3, best_anchor / best,
             maxdiff);
    }
    printf("{\"bench\": \"conv_%s\", \"impl\": \"im2col_openblas_sgemm\", \"gflops\": %.2f, "
           "\"ms\": %.3f}\n",
           sh->name, flops / best_anchor * 1e-9, best_anchor * 1e3);
    fflush(stdout);
    free(x), free(w), free(b), free(y), free(ya), free(patches);
  }
  return 0;
}
