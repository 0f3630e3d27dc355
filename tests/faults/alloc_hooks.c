/* Allocation-failure injection: see alloc_hooks.h. */
#include "alloc_hooks.h"

#include <string.h>

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static _Thread_local int armed;        /* counting on this thread */
static _Thread_local uint64_t seen;    /* allocations counted since armed */
static _Thread_local uint64_t fail_at; /* fail allocation number fail_at (1-based) */
static _Thread_local int injected;     /* the failure happened */

#define MAX_SITES 4096
static void *sites[MAX_SITES];
static size_t n_sites;

static void note_site(void *site) {
  for (size_t i = 0; i < n_sites; i++)
    if (sites[i] == site) return;
  if (n_sites < MAX_SITES) sites[n_sites++] = site;
}

/* 1 if this allocation must fail. */
static int should_fail(void *site) {
  if (!armed) return 0;
  if (++seen != fail_at) return 0;
  injected = 1;
  note_site(site);
  return 1;
}

void kf_alloc_arm(uint64_t k) {
  seen = 0;
  fail_at = k;
  injected = 0;
  armed = 1;
}

int kf_alloc_disarm(void) {
  armed = 0;
  return injected;
}

int kf_alloc_pause(void) {
  const int was = armed;
  armed = 0;
  return was;
}

void kf_alloc_resume(int paused) { armed = paused; }

uint64_t kf_alloc_seen(void) { return seen; }

size_t kf_alloc_sites(void) { return n_sites; }

void *__wrap_malloc(size_t n) {
  if (should_fail(__builtin_return_address(0))) return NULL;
  return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
  if (should_fail(__builtin_return_address(0))) return NULL;
  return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
  if (should_fail(__builtin_return_address(0))) return NULL;
  return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s) {
  if (should_fail(__builtin_return_address(0))) return NULL;
  const size_t n = strlen(s) + 1;
  char *d = __real_malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}
