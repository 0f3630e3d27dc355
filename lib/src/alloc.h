/* keyfold — the library's allocation calls (alloc.c), through the pair set
 * by kf_set_alloc_funcs; not installed. */
#ifndef KEYFOLD_ALLOC_INTERNAL_H
#define KEYFOLD_ALLOC_INTERNAL_H

#include <stddef.h>

/* size bytes from the installed kf_malloc_fn; NULL on failure or for 0. */
void *kf__malloc(size_t size);

/* n * size zeroed bytes; NULL on failure, for 0 or when n * size overflows. */
void *kf__calloc(size_t n, size_t size);

/* Gives ptr back to the installed kf_free_fn; NULL is a no-op. */
void kf__free(void *ptr);

#endif
