/* keyfold — JAX's threefry2x32 PRNG: keys, fold_in, split, random bits.
 *
 * Bit-exact with jax.random (spec: jax-random.md §2–§7). All functions are
 * pure: no state, no allocation, safe from any thread.
 */
#ifndef KEYFOLD_PRNG_H
#define KEYFOLD_PRNG_H

#include <stddef.h>
#include <stdint.h>

#include "keyfold/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A key's raw data, what jax.random.key_data returns: [hi, lo] = [k0, k1]. */
typedef struct kf_key {
  uint32_t hi;
  uint32_t lo;
} kf_key;

/* Which threefry algorithms split and random_bits use. */
typedef enum kf_threefry_mode {
  KF_THREEFRY_PARTITIONABLE = 0, /* jax_threefry_partitionable=True, JAX >= 0.5 (default) */
  KF_THREEFRY_LEGACY = 1         /* jax_threefry_partitionable=False, JAX < 0.5 */
} kf_threefry_mode;

/* Static name ("partitionable" / "legacy"), NULL for an unknown value. */
const char *kf_threefry_mode_name(kf_threefry_mode mode);

/* Looks a mode up by name. Returns KF_EINVAL for an unknown name. */
int kf_threefry_mode_from_name(const char *name, kf_threefry_mode *out);

/* The Threefry-2x32 block function, 20 rounds (§2). out[0] = y0, out[1] = y1. */
void kf_threefry2x32(uint32_t k0, uint32_t k1, uint32_t x0, uint32_t x1, uint32_t out[2]);

/* JAX's threefry_2x32(key, counts) counter hash (§3): pairs word i with word
 * ceil(n/2)+i and writes n words to `out` (which may alias `counts`).
 * Returns KF_EINVAL for NULL pointers with n > 0. */
int kf_threefry_hash(kf_key key, const uint32_t *counts, size_t n, uint32_t *out);

/* Flags of kf_key_from_seed. */
enum {
  KF_SEED_X64 = 1u << 0,   /* jax_enable_x64: hi = (seed mod 2^64) >> 32 */
  KF_SEED_INT32 = 1u << 1  /* the seed is typed int32/uint32 (numpy scalar): hi = 0 even with x64 */
};

/* jax.random.key(seed) (§4). Default (flags 0): [0, seed mod 2^32].
 * Never fails; `flags` outside the enum above are ignored. */
kf_key kf_key_from_seed(int64_t seed, unsigned flags);

/* jax.random.key(seed) of a Python-int seed under jax.jit with x64 off: the
 * seed must lie in the int32 range, as JAX's OverflowError demands.
 * Returns KF_ERANGE (and leaves *out alone) outside [-2^31, 2^31). */
int kf_key_from_seed_checked(int64_t seed, kf_key *out);

/* jax.random.wrap_key_data([hi, lo]). */
kf_key kf_key_from_data(uint32_t hi, uint32_t lo);

/* jax.random.fold_in(key, data) (§5), identical in both modes. */
kf_key kf_fold_in(kf_key key, uint32_t data);

/* jax.random.split(key, n) (§6): writes n keys to `out` (row-major for a
 * shaped split: pass the element count). Returns KF_EINVAL for a NULL `out`
 * with n > 0 or an unknown mode, KF_EOVERFLOW for n > KF_MAX_ELEMENTS. */
int kf_split(kf_key key, kf_threefry_mode mode, size_t n, kf_key *out);

/* jax.random.bits / _random_bits(key, bit_width, shape) (§7) for n elements.
 * `out` points to n elements of uint8_t, uint16_t, uint32_t or uint64_t for
 * bit_width 8, 16, 32 or 64. A scalar shape is n = 1.
 * Returns KF_EINVAL for another bit_width, a NULL `out` with n > 0 or an
 * unknown mode; KF_EOVERFLOW for n > KF_MAX_ELEMENTS (legacy mode also
 * refuses sizes that need 2^32 - 1 or more hash words, which JAX would split
 * into blocks). */
int kf_random_bits(kf_key key, kf_threefry_mode mode, unsigned bit_width, size_t n, void *out);

#ifdef __cplusplus
}
#endif

#endif
