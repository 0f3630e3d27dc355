/* f32fmt_exhaustive — kd_format_f32 against the snprintf/strtod search of
 * tests/f32fmt_ref.h over all 2^32 float32 bit patterns, string for string.
 *
 *   f32fmt_exhaustive [THREADS] [FIRST LAST]
 *
 * THREADS defaults to one per core; FIRST and LAST (hex bit patterns,
 * inclusive) narrow the range. The search is the slow side: about an hour of
 * one core for the whole range, so split over the cores it takes minutes on
 * a big machine. Prints progress and the first mismatches on stderr, a
 * summary on stdout; exits 0 only if every pattern matched. Built by
 * tests/meson.build, never run by `meson test` (docs/testing.md). */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "f32fmt_ref.h"

#define CHUNK (1u << 20)

static uint64_t first, last; /* inclusive */
static atomic_uint_fast64_t next_chunk;
static atomic_uint_fast64_t done, bad;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    const uint64_t start = first + atomic_fetch_add(&next_chunk, 1) * (uint64_t)CHUNK;
    if (start > last) return NULL;
    const uint64_t end = start + CHUNK - 1 < last ? start + CHUNK - 1 : last;
    uint64_t local_bad = 0;
    for (uint64_t b = start; b <= end; b++) {
      const uint32_t bits = (uint32_t)b;
      float v;
      memcpy(&v, &bits, sizeof v);
      char got[32], want[32];
      const int n = kd_format_f32(v, got);
      const int m = ref_format_f32(v, want);
      if (n != m || strcmp(got, want) != 0) {
        pthread_mutex_lock(&report_lock);
        if (atomic_load(&bad) + local_bad < 20)
          fprintf(stderr, "MISMATCH %08" PRIx32 ": kd_format_f32 \"%s\", search \"%s\"\n", bits, got, want);
        pthread_mutex_unlock(&report_lock);
        local_bad++;
      }
    }
    atomic_fetch_add(&bad, local_bad);
    const uint64_t d = atomic_fetch_add(&done, end - start + 1) + (end - start + 1);
    const uint64_t total = last - first + 1;
    const uint64_t step = total / 64 ? total / 64 : 1;
    if ((d - (end - start + 1)) / step != d / step) {
      pthread_mutex_lock(&report_lock);
      fprintf(stderr, "f32fmt_exhaustive: %5.1f%% (%" PRIu64 " of %" PRIu64 "), %" PRIu64 " mismatches\n",
              100.0 * (double)d / (double)total, d, total, (uint64_t)atomic_load(&bad));
      pthread_mutex_unlock(&report_lock);
    }
  }
}

int main(int argc, char **argv) {
  long threads = sysconf(_SC_NPROCESSORS_ONLN);
  first = 0;
  last = UINT32_MAX;
  if (argc != 1 && argc != 2 && argc != 4) {
    fprintf(stderr, "usage: %s [THREADS] [FIRST LAST]  (bit patterns in hex, inclusive)\n", argv[0]);
    return 2;
  }
  if (argc >= 2) threads = strtol(argv[1], NULL, 10);
  if (argc == 4) {
    first = strtoull(argv[2], NULL, 16);
    last = strtoull(argv[3], NULL, 16);
    if (first > last || last > UINT32_MAX) {
      fprintf(stderr, "f32fmt_exhaustive: bad range %s..%s\n", argv[2], argv[3]);
      return 2;
    }
  }
  if (threads < 1) threads = 1;
  if (threads > 256) threads = 256;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t tid[256];
  for (long i = 0; i < threads; i++)
    if (pthread_create(&tid[i], NULL, worker, NULL) != 0) {
      fprintf(stderr, "f32fmt_exhaustive: cannot start thread %ld\n", i);
      return 2;
    }
  for (long i = 0; i < threads; i++) pthread_join(tid[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  const double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("f32fmt_exhaustive: %08" PRIx64 "..%08" PRIx64 ": %" PRIu64 " patterns, %" PRIu64
         " mismatches, %.0f s on %ld threads\n",
         first, last, (uint64_t)atomic_load(&done), (uint64_t)atomic_load(&bad), s, threads);
  return atomic_load(&bad) == 0 && atomic_load(&done) == last - first + 1 ? 0 : 1;
}
