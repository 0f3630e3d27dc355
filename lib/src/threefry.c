/* keyfold — the Threefry-2x32 block function and JAX's counter hash
 * (jax-random.md §2–§3). */
#include "keyfold/error.h"
#include "keyfold/prng.h"

static inline uint32_t rotl32(uint32_t v, unsigned r) { return (v << r) | (v >> (32u - r)); }

#define KF_ROUND(r) \
  do {              \
    x0 += x1;       \
    x1 = rotl32(x1, r) ^ x0; \
  } while (0)

void kf_threefry2x32(uint32_t k0, uint32_t k1, uint32_t x0, uint32_t x1, uint32_t out[2]) {
  const uint32_t k2 = k0 ^ k1 ^ 0x1BD11BDAu;
  x0 += k0;
  x1 += k1;
  KF_ROUND(13); KF_ROUND(15); KF_ROUND(26); KF_ROUND(6);
  x0 += k1; x1 += k2 + 1u;
  KF_ROUND(17); KF_ROUND(29); KF_ROUND(16); KF_ROUND(24);
  x0 += k2; x1 += k0 + 2u;
  KF_ROUND(13); KF_ROUND(15); KF_ROUND(26); KF_ROUND(6);
  x0 += k0; x1 += k1 + 3u;
  KF_ROUND(17); KF_ROUND(29); KF_ROUND(16); KF_ROUND(24);
  x0 += k1; x1 += k2 + 4u;
  KF_ROUND(13); KF_ROUND(15); KF_ROUND(26); KF_ROUND(6);
  x0 += k2; x1 += k0 + 5u;
  out[0] = x0;
  out[1] = x1;
}

int kf_threefry_hash(kf_key key, const uint32_t *counts, size_t n, uint32_t *out) {
  if (n == 0) return KF_OK;
  if (!counts || !out) return KF_EINVAL;
  /* Word i pairs with word h + i (an odd count is padded with one zero
   * word). Each pair is read before either of its outputs is written, so
   * out may alias counts. */
  const size_t h = (n + 1) / 2;
  for (size_t i = 0; i < h; i++) {
    const uint32_t c0 = counts[i];
    const uint32_t c1 = (h + i < n) ? counts[h + i] : 0u;
    uint32_t y[2];
    kf_threefry2x32(key.hi, key.lo, c0, c1, y);
    out[i] = y[0];
    if (h + i < n) out[h + i] = y[1];
  }
  return KF_OK;
}
