/* keyfoldd — runs fuzz inputs through the router harness without libFuzzer.
 *
 *   fuzz_replay [-v] [--every N] PATH…
 *
 * Each PATH is a file or a directory; every regular file of a directory
 * (not recursive, names starting with '.' skipped, in name order) is read
 * and passed to the same LLVMFuzzerTestOneInput that libFuzzer drives
 * (fuzz_router.c). A violated invariant or a sanitizer report aborts the
 * process, so any compiler (gcc, with or without ASan/UBSan) regression-tests
 * the whole corpus: this is the `fuzz_corpus` meson test. Exits 0 when every
 * input ran, 1 if a file could not be read or no input was found, 2 on a
 * usage error. -v prints each file name before running it; --every N runs
 * only every Nth file of each directory (the 1st, the N+1st, … in name order:
 * a deterministic subset, for the slow allocation-failure sweep). At the end
 * the harness prints its totals (kf_fuzz_summary).
 *
 * KF_FUZZ_STORE=DIR runs the inputs in store mode (fuzz_router.c); the
 * fuzz_replay_alloc build (-DKF_FUZZ_ALLOC) sweeps allocation failures.
 *
 * Built with fuzz_router.c and -DKF_FUZZ_REPLAY (tests/fuzz/meson.build).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void kf_fuzz_teardown(void);
void kf_fuzz_summary(FILE *out);

static int verbose;
static size_t every = 1; /* --every N */
static size_t inputs;

/* Reads a whole file into an exact-size buffer (as libFuzzer passes inputs,
 * so ASan sees a read past the end). */
static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t len = 0, cap = 4096;
  uint8_t *buf = malloc(cap);
  while (buf) {
    if (len == cap) {
      uint8_t *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = bigger;
      cap *= 2;
    }
    const size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  const int read_error = ferror(f);
  fclose(f);
  if (!buf || read_error) {
    fprintf(stderr, "fuzz_replay: %s: %s\n", path, buf ? "read error" : "out of memory");
    free(buf);
    return -1;
  }
  uint8_t *exact = malloc(len ? len : 1);
  if (!exact) {
    free(buf);
    fprintf(stderr, "fuzz_replay: %s: out of memory\n", path);
    return -1;
  }
  if (len) memcpy(exact, buf, len);
  free(buf);
  if (verbose) fprintf(stderr, "fuzz_replay: %s (%zu bytes)\n", path, len);
  LLVMFuzzerTestOneInput(exact, len);
  free(exact);
  inputs++;
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "fuzz_replay: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  const struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **bigger = realloc(names, cap * sizeof *names);
      if (!bigger) {
        rc = -1;
        break;
      }
      names = bigger;
    }
    const size_t k = strlen(dir) + 1 + strlen(e->d_name) + 1;
    names[n] = malloc(k);
    if (!names[n]) {
      rc = -1;
      break;
    }
    snprintf(names[n], k, "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (rc != 0) fprintf(stderr, "fuzz_replay: %s: out of memory\n", dir);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (rc == 0 && i % every == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) &&
        run_file(names[i]) != 0)
      rc = -1;
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  int first = 1;
  for (; first < argc; first++) {
    if (strcmp(argv[first], "-v") == 0) {
      verbose = 1;
    } else if (strcmp(argv[first], "--every") == 0 && first + 1 < argc) {
      char *end;
      const unsigned long n = strtoul(argv[++first], &end, 10);
      if (*end || n == 0) break;
      every = n;
    } else {
      break;
    }
  }
  if (first >= argc || argv[first][0] == '-') {
    fprintf(stderr, "usage: %s [-v] [--every N] CORPUS_DIR_OR_FILE...\n", argv[0]);
    return 2;
  }
  int rc = 0;
  for (int i = first; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(errno));
      rc = 1;
    } else if (S_ISDIR(st.st_mode)) {
      if (run_dir(argv[i]) != 0) rc = 1;
    } else if (run_file(argv[i]) != 0) {
      rc = 1;
    }
  }
  kf_fuzz_teardown();
  if (inputs == 0) {
    fprintf(stderr, "fuzz_replay: no inputs found\n");
    return 1;
  }
  kf_fuzz_summary(stdout);
  printf("fuzz_replay: %zu inputs ran, every invariant held\n", inputs);
  return rc;
}
