/* keyfold — ranges of random bits (bits.c), the source every sampler and
 * legacy split reads; not installed. */
#ifndef KEYFOLD_BITS_H
#define KEYFOLD_BITS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "keyfold/prng.h"
#include "simd.h"

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

/* kf__bits_check for a sampler writing n elements to out: also KF_EINVAL
 * for a NULL out with n > 0. */
int kf__sampler_check(kf_threefry_mode mode, unsigned bit_width, size_t n, const void *out);

/* kf__sampler_check for a sampler whose key draws `draws` 32-bit values for
 * its n outputs (2n, 3n, ...), which a legacy draw's limit applies to too. */
int kf__sampler_check_draws(kf_threefry_mode mode, size_t n, uint64_t draws, const void *out);

/* The length of the block of the samplers' loops starting at start. */
static inline size_t kf__block_len(size_t n, size_t start) {
  return (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
}

/* Elements [start, start + len) (len <= KF_BLOCK) of uniform(key, (total,),
 * lo, lo + span) with uniform's affine step (§8). */
void kf__uniform_block(kf__isa isa, kf_key key, kf_threefry_mode mode, uint64_t total,
                       uint64_t start, size_t len, float lo, float span, float *u);

/* randint's span arithmetic (jax-random.md §12) for int32 output, on 32-bit
 * words that wrap: the bounds clamped to int32, span = hi - lo (1 when
 * hi <= lo; one more when maxval is above INT32_MAX, as JAX widens the top),
 * mult = (2^16 mod span)^2 mod span. Element j is lo + offset(hi_bits,
 * lo_bits), wrapping as XLA's add. */
typedef struct kf__randint_span {
  int32_t lo;
  uint32_t span, mult;
} kf__randint_span;

kf__randint_span kf__randint_span_of(int64_t minval, int64_t maxval);

/* XLA's x rem 0 is x. */
static inline uint32_t kf__rem32(uint32_t x, uint32_t s) { return s == 0 ? x : x % s; }

static inline int32_t kf__randint_at(const kf__randint_span *s, uint32_t hi_bits,
                                     uint32_t lo_bits) {
  const uint32_t off = kf__rem32(
      (uint32_t)(kf__rem32(hi_bits, s->span) * s->mult + kf__rem32(lo_bits, s->span)), s->span);
  return (int32_t)((uint32_t)s->lo + off);
}

/* The samplers' per-element loops run scalar code full of fmaf and floorf,
 * which a baseline x86-64 build calls out of line (libm's fmaf through the
 * PLT). GCC also builds the functions marked with this for x86-64-v3 (FMA,
 * SSE4.1 rounding) and picks the copy at load time by the CPU's ISA level
 * ("arch=haswell" would pick it on Haswell models only). The bits are the
 * same: fmaf is fused either way and -ffp-contract=off keeps the compiler
 * from fusing more. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && \
    defined(__ELF__) && !defined(__SANITIZE_ADDRESS__)
#define KF__HOT_LOOP __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define KF__HOT_LOOP
#endif

#endif
