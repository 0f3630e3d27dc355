/* keyfold — seeds to keys, fold_in and split (jax-random.md §4–§6). */
#include "bits.h"
#include "internal.h"
#include "keyfold/error.h"
#include "keyfold/prng.h"
#include "keyfold/tensor.h"
#include "mode.h"

kf_key kf_key_from_seed(int64_t seed, unsigned flags) {
  /* Two's-complement bit pattern of the seed; with x64 off JAX first wraps
   * it to 32 bits, so the high word is 0 (§4). */
  const uint64_t bits = (uint64_t)seed;
  kf_key k;
  k.lo = (uint32_t)(bits & 0xFFFFFFFFu);
  k.hi = ((flags & KF_SEED_X64) && !(flags & KF_SEED_INT32)) ? (uint32_t)(bits >> 32) : 0u;
  return k;
}

int kf_key_from_seed_checked(int64_t seed, kf_key *out) {
  if (!out) return KF_EINVAL;
  if (seed < INT32_MIN || seed > INT32_MAX) return KF_ERANGE;
  *out = kf_key_from_seed(seed, 0);
  return KF_OK;
}

kf_key kf_key_from_data(uint32_t hi, uint32_t lo) {
  kf_key k = {hi, lo};
  return k;
}

kf_key kf_fold_in(kf_key key, uint32_t data) {
  uint32_t y[2];
  kf_threefry2x32(key.hi, key.lo, 0u, data, y);
  return kf_key_from_data(y[0], y[1]);
}

int kf_split(kf_key key, kf_threefry_mode mode, size_t n, kf_key *out) {
  if (!kf__mode_valid(mode)) return KF_EINVAL;
  if ((uint64_t)n > KF_MAX_ELEMENTS) return KF_EOVERFLOW;
  if (n == 0) return KF_OK;
  if (!out) return KF_EINVAL;
  if (mode == KF_THREEFRY_PARTITIONABLE) {
    for (size_t j = 0; j < n; j++) {
      uint32_t y[2];
      kf_threefry2x32(key.hi, key.lo, (uint32_t)((uint64_t)j >> 32), (uint32_t)j, y);
      out[j] = kf_key_from_data(y[0], y[1]);
    }
    return KF_OK;
  }
  /* Legacy: the 2n-word hash of iota(2n); key j is words 2j and 2j+1. */
  if ((uint64_t)n * 2u >= 0xFFFFFFFFu) return KF_EOVERFLOW;
  uint32_t block[2 * KF_BLOCK];
  for (size_t start = 0; start < n; start += KF_BLOCK) {
    const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
    kf__bits32_range(key, KF_THREEFRY_LEGACY, 2u * (uint64_t)n, 2u * (uint64_t)start, 2 * len,
                     block);
    for (size_t i = 0; i < len; i++) out[start + i] = kf_key_from_data(block[2 * i], block[2 * i + 1]);
  }
  return KF_OK;
}
