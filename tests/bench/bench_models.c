/* Forward passes of whole models in process, one thread: samples per second
 * of kf_model_forward in eval mode (scripts/bench-models.sh runs it beside
 * the same models over HTTP and in Flax; docs/benchmarks.md, "Models").
 *
 *   bench_models MODEL.json INPUT_SHAPE [SECONDS]
 *
 * MODEL.json is a session-creation body without a name (as
 * tests/bench/models/ holds them: rngs, model); INPUT_SHAPE is the input of
 * one sample as dims separated by 'x' ("28x28x1", "32"). The input is
 * float32 in [-1, 1), or int32 indices in [0, num_embeddings) for a model
 * whose first layer is an embed. Prints, per batch size 1 and 32, one JSON
 * line {"name", "batch", "samples_per_s", "calls"}; the median of five
 * timed windows after a warm-up. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyfold/keyfold.h"
#include "session.h"
#include "spec.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.json INPUT_SHAPE [SECONDS]\n", argv[0]);
    return 2;
  }
  const double seconds = argc > 3 ? atof(argv[3]) : 1.0;
  json_error_t jerr;
  json_t *body = json_load_file(argv[1], 0, &jerr);
  if (!body) {
    fprintf(stderr, "%s: %s\n", argv[1], jerr.text);
    return 1;
  }
  const kd_spec_limits limits = {.max_elements = KF_MAX_ELEMENTS, .max_model_params = KF_MAX_ELEMENTS};
  kd_spec spec;
  kd_err err;
  if (kd_spec_parse(body, &limits, &spec, &err) != 0) {
    fprintf(stderr, "%s: %s\n", argv[1], err.message);
    return 1;
  }
  kd_session *s;
  if (kd_session_build("bench", &spec, &s, &err) != 0) {
    fprintf(stderr, "%s: %s\n", argv[1], err.message);
    return 1;
  }
  int64_t sample[KF_MAX_RANK];
  int rank = 0;
  for (char *tok = strtok(argv[2], "x"); tok && rank < KF_MAX_RANK - 1; tok = strtok(NULL, "x"))
    sample[rank++] = atoll(tok);
  const kf_dtype dtype = kf_model_input_dtype(s->model);
  int64_t vocab = 1;
  if (dtype == KF_INT32) {
    kf_layer_spec first = {.struct_size = sizeof first};
    for (size_t i = 0; i < kf_model_layer_count(s->model); i++) {
      kf_model_layer_spec(s->model, i, &first);
      if (first.type == KF_LAYER_EMBED) break;
    }
    vocab = first.num_embeddings;
  }
  const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
  const int batches[] = {1, 32};
  for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++) {
    kf_shape in = {.rank = rank + 1};
    in.dim[0] = batches[bi];
    memcpy(in.dim + 1, sample, (size_t)rank * sizeof *sample);
    size_t n_in = 0, n_out = 0;
    kf_shape_numel(&in, &n_in);
    kf_shape out;
    kf_model_diag diag = KF_MODEL_DIAG_INIT;
    if (kf_model_output_shape(s->model, &in, dtype, &out, &diag) != KF_OK) {
      fprintf(stderr, "%s: the input does not fit the model (%s)\n", name, diag.path);
      return 1;
    }
    kf_shape_numel(&out, &n_out);
    void *x = malloc(n_in * 4);
    float *y = malloc(n_out * 4);
    uint32_t st = 12345;
    for (size_t i = 0; i < n_in; i++) {
      st = st * 1664525u + 1013904223u;
      if (dtype == KF_INT32)
        ((int32_t *)x)[i] = (int32_t)((st >> 8) % (uint32_t)vocab);
      else
        ((float *)x)[i] = (float)(st >> 8) / 8388608.0f - 1.0f;
    }
    kf_tensor xt = {.dtype = dtype, .shape = in, .data = x};
    kf_tensor yt = {.data = y};
    double windows[5];
    long calls = 0;
    for (int w = -1; w < 5; w++) {
      const double t0 = now_s();
      long k = 0;
      double t;
      do {
        if (kf_model_forward(s->model, s->rngs, &xt, KF_DET_TRUE, &yt, NULL) != KF_OK) {
          fprintf(stderr, "%s: forward failed\n", name);
          return 1;
        }
        k++;
        t = now_s() - t0;
      } while (t < seconds / 5);
      if (w >= 0) {
        windows[w] = (double)k * batches[bi] / t;
        calls += k;
      }
    }
    qsort(windows, 5, sizeof *windows, cmp_double);
    printf("{\"name\": \"inprocess_%.*s\", \"batch\": %d, \"samples_per_s\": %.1f, \"calls\": %ld}\n",
           (int)(strcspn(name, ".")), name, batches[bi], windows[2], calls);
    fflush(stdout);
    free(x);
    free(y);
  }
  kd_session_release(s);
  kd_spec_free(&spec);
  json_decref(body);
  return 0;
}
