/* keyfold — the allocator pair (keyfold/alloc.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "keyfold/alloc.h"
#include "keyfold/error.h"

/* The only mutable globals of the library: see keyfold/alloc.h for why
 * they are allowed and why they are not locked. */
static kf_malloc_fn do_malloc = malloc;
static kf_free_fn do_free = free;

int kf_set_alloc_funcs(kf_malloc_fn malloc_fn, kf_free_fn free_fn) {
  if (!malloc_fn != !free_fn) return KF_EINVAL;
  do_malloc = malloc_fn ? malloc_fn : malloc;
  do_free = free_fn ? free_fn : free;
  return KF_OK;
}

/* Writes the caller's pointers (each optional). */
void kf_get_alloc_funcs(kf_malloc_fn *malloc_fn, kf_free_fn *free_fn) {
  if (malloc_fn) *malloc_fn = do_malloc;
  if (free_fn) *free_fn = do_free;
}

/* Returns memory the caller owns (kf__free), or NULL. Zero-byte requests are
 * refused here so that no custom allocator has to define what they mean. */
void *kf__malloc(size_t size) { return size ? do_malloc(size) : NULL; }

void *kf__calloc(size_t n, size_t size) {
  if (n == 0 || size == 0 || n > SIZE_MAX / size) return NULL;
  void *p = do_malloc(n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

/* Takes ownership of ptr. */
void kf__free(void *ptr) {
  if (ptr) do_free(ptr);
}
