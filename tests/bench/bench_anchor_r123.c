/* The bits anchor: Random123's own threefry2x32 (Debian's librandom123-dev),
 * one 20-round call per pair of output words, as a scalar loop. Built without
 * auto-vectorization (tests/bench/meson.build) so that it stays the scalar
 * reference the issue names. */
#include <Random123/threefry.h>
#include <stddef.h>
#include <stdint.h>

uint32_t bench_r123_threefry2x32(uint32_t k0, uint32_t k1, uint64_t first, size_t calls,
                                 uint32_t *out);

uint32_t bench_r123_threefry2x32(uint32_t k0, uint32_t k1, uint64_t first, size_t calls,
                                 uint32_t *out) {
  const threefry2x32_key_t key = {{k0, k1}};
  uint32_t acc = 0;
  for (size_t i = 0; i < calls; i++) {
    const uint64_t j = first + i;
    const threefry2x32_ctr_t ctr = {{(uint32_t)(j >> 32), (uint32_t)j}};
    const threefry2x32_ctr_t y = threefry2x32(ctr, key);
    out[2 * i] = y.v[0];
    out[2 * i + 1] = y.v[1];
    acc ^= y.v[0];
  }
  return acc;
}
