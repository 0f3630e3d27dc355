/* Allocation-failure injection for the test programs that compile the
 * daemon and the library in (tests/alloc_sweep.c, the fuzz harness's
 * fuzz_replay_alloc): linked with
 *
 *     -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup
 *
 * every malloc/calloc/realloc/strdup call of the objects linked into the
 * program lands in alloc_hooks.c, and so do jansson's once kd_json_setup
 * has routed them through the daemon's own malloc calls. While armed on a
 * thread, the hooks count that thread's allocations and fail the fail_at-th
 * (1-based); other threads (the store's writer) are never counted.
 * Distinct failing call sites (return addresses) are remembered.
 */
#ifndef KF_TESTS_ALLOC_HOOKS_H
#define KF_TESTS_ALLOC_HOOKS_H

#include <stddef.h>
#include <stdint.h>

/* The C library's functions, for allocations the test itself makes that
 * must not be counted (the hooks fall through to them when disarmed). */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

/* Arms this thread: counting starts at 0 and allocation number fail_at
 * fails. */
void kf_alloc_arm(uint64_t fail_at);
/* Disarms this thread; returns 1 if the failure was injected. */
int kf_alloc_disarm(void);
/* Stops counting for a while (a ticket wait, the test's own work);
 * returns what kf_alloc_resume needs to restore. */
int kf_alloc_pause(void);
void kf_alloc_resume(int paused);
/* Allocations counted since the thread was armed. */
uint64_t kf_alloc_seen(void);
/* The number of distinct call sites at which a failure was injected. */
size_t kf_alloc_sites(void);

#endif
