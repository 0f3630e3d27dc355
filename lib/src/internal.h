/* keyfold — definitions shared by the library's source files; not installed. */
#ifndef KEYFOLD_INTERNAL_H
#define KEYFOLD_INTERNAL_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

#include "keyfold/prng.h"

/* The samplers reproduce XLA:CPU's float32 results only when the compiler
 * evaluates float expressions in float (jax-random.md §13.6). */
_Static_assert(FLT_EVAL_METHOD == 0, "keyfold needs FLT_EVAL_METHOD == 0 (SSE/NEON float math)");

/* Samplers produce their bits in blocks of this many elements so that no
 * sampler needs scratch memory proportional to its output. */
#define KF_BLOCK 256

/* Returns 1 if mode is a known kf_threefry_mode. */
int kf__mode_valid(kf_threefry_mode mode);

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

/* The float in [0, 1) that uniform builds from 32 random bits (§8). */
float kf__unit_float(uint32_t bits);

/* StableHLO's erf_inv coefficients (Giles 2010, c0 first) for w < 5 and
 * w >= 5 (jax-random.md §13.2); shared by the scalar and vector forms. */
extern const float kf__erf_inv_small[9];
extern const float kf__erf_inv_large[9];

#endif
