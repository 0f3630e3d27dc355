/* keyfold — ranges of random bits (bits.c), the source every sampler and
 * legacy split reads; not installed. */
#ifndef KEYFOLD_BITS_H
#define KEYFOLD_BITS_H

#include <stddef.h>
#include <stdint.h>

#include "keyfold/prng.h"

/* Writes 32-bit random bits of elements [start, start + len) of an n-element
 * draw (§7) to out. The caller has checked key/mode/n with
 * kf__bits_check(mode, 32, n). */
void kf__bits32_range(kf_key key, kf_threefry_mode mode, uint64_t n, uint64_t start, size_t len,
                      uint32_t *out);

/* The same for 64-bit bits (x64 mode). Checked with kf__bits_check(mode, 64, n). */
void kf__bits64_range(kf_key key, kf_threefry_mode mode, uint64_t n, uint64_t start, size_t len,
                      uint64_t *out);

/* Validates a bits request: KF_EINVAL for an unknown mode or width,
 * KF_EOVERFLOW for n > KF_MAX_ELEMENTS or a legacy draw needing 2^32 - 1
 * words or more. */
int kf__bits_check(kf_threefry_mode mode, unsigned bit_width, uint64_t n);

#endif
