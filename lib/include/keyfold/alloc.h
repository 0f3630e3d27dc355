/* keyfold — where the library gets its memory.
 *
 * Every allocation libkeyfold makes goes through one pair of functions,
 * malloc and free by default. A program that accounts for its memory (an
 * arena, a limit per tenant, a test that makes the Nth allocation fail)
 * installs its own pair with kf_set_alloc_funcs, as jansson's
 * json_set_alloc_funcs does.
 *
 * This pair is the library's only process-wide state; everything else lives
 * in handles the caller owns. Like jansson's, it is not synchronised: set it
 * once, before any other keyfold call and before a second thread exists, and
 * never while a handle allocated with the previous pair is alive (its memory
 * would go to the wrong free).
 */
#ifndef KEYFOLD_ALLOC_H
#define KEYFOLD_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returns size bytes aligned as malloc aligns them, or NULL (the library
 * then fails with KF_ENOMEM). keyfold never asks for 0 bytes. */
typedef void *(*kf_malloc_fn)(size_t size);

/* Releases what the matching kf_malloc_fn returned; never called with NULL. */
typedef void (*kf_free_fn)(void *ptr);

/* Installs malloc_fn and free_fn for every later allocation. Both NULL
 * restores malloc and free. Returns KF_EINVAL (and changes nothing) when
 * only one of them is NULL. */
int kf_set_alloc_funcs(kf_malloc_fn malloc_fn, kf_free_fn free_fn);

/* Stores the pair in use in *malloc_fn and *free_fn (either may be NULL), so
 * that a wrapper can call through to the pair it replaces. */
void kf_get_alloc_funcs(kf_malloc_fn *malloc_fn, kf_free_fn *free_fn);

#ifdef __cplusplus
}
#endif

#endif
