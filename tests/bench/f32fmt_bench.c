/* f32fmt_bench — float32 values formatted per second by kd_format_f32
 * (server/buf.c) and by the snprintf/strtod search it replaced
 * (tests/f32fmt_ref.h), on three sets of 2^21 values:
 *   normal  N(0, 0.3²), like /forward outputs, weights and activations;
 *   uniform U(-1, 1) with all 24 bits of mantissa;
 *   bits    uniformly random finite bit patterns (every exponent alike; the
 *           fast formatter's slower paths: |v| < 1e-14 or > 1e27, subnormals).
 *
 *   f32fmt_bench [SECONDS_PER_FIGURE]   (default 1)
 *
 * Prints one JSON object per set and formatter on stdout,
 *   {"name": "f32fmt_<fast|search>_<set>", "items_per_s": …, "unit": "values/s"}
 * and the fast/search ratio per set on stderr. Single-threaded. Not a test. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../f32fmt_ref.h"
#include "buf.h"

#define N (1u << 21)

static uint64_t state = 0x243F6A8885A308D3ull;
static uint64_t next_u64(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}
static double unit(void) { return (double)(next_u64() >> 11) * 0x1p-53; }

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile size_t sink;

/* Values per second of fmt over v, running whole passes for >= seconds. */
static double rate(int (*fmt)(float, char[32]), const float *v, double seconds) {
  char out[32];
  size_t chars = 0, values = 0;
  const double t0 = now();
  double t;
  do {
    for (size_t i = 0; i < N; i++) chars += (size_t)fmt(v[i], out);
    values += N;
    t = now() - t0;
  } while (t < seconds);
  sink = chars;
  return (double)values / t;
}

static int fast(float v, char out[32]) { return kd_format_f32(v, out); }
static int search(float v, char out[32]) { return ref_format_f32(v, out); }

int main(int argc, char **argv) {
  const double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  float *v = malloc(N * sizeof *v);
  if (!v) return 1;
  static const char *const sets[] = {"normal", "uniform", "bits"};
  for (int s = 0; s < 3; s++) {
    for (size_t i = 0; i < N; i++) {
      if (s == 0) {
        const double u1 = unit(), u2 = unit();
        v[i] = (float)(0.3 * sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2));
      } else if (s == 1) {
        v[i] = (float)(2.0 * unit() - 1.0);
      } else {
        do {
          const uint32_t b = (uint32_t)(next_u64() >> 32);
          memcpy(&v[i], &b, sizeof b);
        } while (!isfinite(v[i]));
      }
    }
    const double f = rate(fast, v, seconds), r = rate(search, v, seconds);
    printf("{\"name\": \"f32fmt_fast_%s\", \"items_per_s\": %.0f, \"unit\": \"values/s\"}\n", sets[s], f);
    printf("{\"name\": \"f32fmt_search_%s\", \"items_per_s\": %.0f, \"unit\": \"values/s\"}\n", sets[s], r);
    fprintf(stderr, "f32fmt_bench: %s: fast %.1fx the search\n", sets[s], f / r);
  }
  free(v);
  return 0;
}
