/* keyfold — random_bits in both threefry modes (jax-random.md §7). */
#include <string.h>

#include "bits.h"
#include "internal.h"
#include "keyfold/error.h"
#include "keyfold/prng.h"
#include "keyfold/tensor.h"
#include "mode.h"
#include "simd.h"

/* Words of the legacy hash of iota(m): word i pairs counter i with counter
 * h + i, h = ceil(m / 2), and an odd m pads the last pair with a zero. */
static inline uint32_t legacy_counter(uint64_t m, uint64_t x) { return x < m ? (uint32_t)x : 0u; }

static void legacy_words(kf_key key, uint64_t m, uint64_t start, size_t len, uint32_t *out) {
  const uint64_t h = (m + 1) / 2;
  const kf__isa isa = kf__isa_best();
  uint32_t x0[KF_BLOCK], x1[KF_BLOCK], y0[KF_BLOCK], y1[KF_BLOCK];
  for (size_t b = 0; b < len; b += KF_BLOCK) {
    const size_t n = (len - b < KF_BLOCK) ? len - b : KF_BLOCK;
    for (size_t t = 0; t < n; t++) {
      const uint64_t i = start + b + t;
      const uint64_t first = (i < h) ? i : i - h; /* the pair (first, h + first) */
      x0[t] = legacy_counter(m, first);
      x1[t] = legacy_counter(m, h + first);
    }
    kf__k_hash_pairs(isa, key.hi, key.lo, x0, x1, n, y0, y1);
    for (size_t t = 0; t < n; t++) out[b + t] = (start + b + t < h) ? y0[t] : y1[t];
  }
}

static uint64_t legacy_word_count(unsigned bit_width, uint64_t n) {
  return (bit_width * n + 31u) / 32u;
}

int kf__bits_check(kf_threefry_mode mode, unsigned bit_width, uint64_t n) {
  if (!kf__mode_valid(mode)) return KF_EINVAL;
  if (bit_width != 8 && bit_width != 16 && bit_width != 32 && bit_width != 64) return KF_EINVAL;
  if (n > KF_MAX_ELEMENTS) return KF_EOVERFLOW;
  if (mode == KF_THREEFRY_LEGACY && legacy_word_count(bit_width, n) >= 0xFFFFFFFFu)
    return KF_EOVERFLOW;
  return KF_OK;
}

int kf__sampler_check(kf_threefry_mode mode, unsigned bit_width, size_t n, const void *out) {
  const int rc = kf__bits_check(mode, bit_width, n);
  if (rc != KF_OK) return rc;
  return (n > 0 && !out) ? KF_EINVAL : KF_OK;
}

int kf__sampler_check_draws(kf_threefry_mode mode, size_t n, uint64_t draws, const void *out) {
  int rc = kf__bits_check(mode, 32, n);
  if (rc != KF_OK) return rc;
  if (draws != n && (rc = kf__bits_check(mode, 32, draws)) != KF_OK) return rc;
  return (n > 0 && !out) ? KF_EINVAL : KF_OK;
}

void kf__uniform_block(kf__isa isa, kf_key key, kf_threefry_mode mode, uint64_t total,
                       uint64_t start, size_t len, float lo, float span, float *u) {
  uint32_t bits[KF_BLOCK];
  kf__bits32_range(key, mode, total, start, len, bits);
  kf__k_uniform(isa, bits, len, lo, span, u);
}

kf__randint_span kf__randint_span_of(int64_t minval, int64_t maxval) {
  kf__randint_span r;
  const int out_of_range = maxval > INT32_MAX;
  r.lo = (int32_t)(minval < INT32_MIN ? INT32_MIN : minval > INT32_MAX ? INT32_MAX : minval);
  const int32_t hi =
      (int32_t)(maxval < INT32_MIN ? INT32_MIN : maxval > INT32_MAX ? INT32_MAX : maxval);
  r.span = (uint32_t)hi - (uint32_t)r.lo;
  if (hi <= r.lo) r.span = 1;
  if (out_of_range && hi > r.lo) r.span += 1u;
  /* mult * mult wraps (to 0 for spans over 2^16), as XLA's uint32 multiply. */
  r.mult = kf__rem32((uint32_t)1u << 16, r.span);
  r.mult = kf__rem32((uint32_t)(r.mult * r.mult), r.span);
  return r;
}

void kf__bits32_range(kf_key key, kf_threefry_mode mode, uint64_t n, uint64_t start, size_t len,
                      uint32_t *out) {
  if (mode == KF_THREEFRY_LEGACY)
    legacy_words(key, n, start, len, out);
  else
    kf__k_bits32(kf__isa_best(), key.hi, key.lo, start, len, out);
}

void kf__bits64_range(kf_key key, kf_threefry_mode mode, uint64_t n, uint64_t start, size_t len,
                      uint64_t *out) {
  const kf__isa isa = kf__isa_best();
  uint32_t x0[KF_BLOCK], x1[KF_BLOCK], y0[KF_BLOCK], y1[KF_BLOCK];
  for (size_t b = 0; b < len; b += KF_BLOCK) {
    const size_t cnt = (len - b < KF_BLOCK) ? len - b : KF_BLOCK;
    for (size_t t = 0; t < cnt; t++) {
      const uint64_t j = start + b + t;
      if (mode == KF_THREEFRY_LEGACY) {
        /* m = 2n words, h = n: element j is words j and n + j, the two
         * halves of the pair (j, n + j). */
        x0[t] = (uint32_t)j;
        x1[t] = (uint32_t)(n + j);
      } else {
        x0[t] = (uint32_t)(j >> 32);
        x1[t] = (uint32_t)j;
      }
    }
    kf__k_hash_pairs(isa, key.hi, key.lo, x0, x1, cnt, y0, y1);
    for (size_t t = 0; t < cnt; t++) out[b + t] = ((uint64_t)y0[t] << 32) | y1[t];
  }
}

/* Legacy 8- and 16-bit draws view each hash word as 32/bit_width parts,
 * least-significant first. */
static void legacy_narrow_bits(kf_key key, unsigned bit_width, size_t n, void *out) {
  const uint64_t m = legacy_word_count(bit_width, n);
  const unsigned parts = 32u / bit_width;
  uint32_t words[KF_BLOCK];
  size_t e = 0;
  for (uint64_t w0 = 0; w0 < m; w0 += KF_BLOCK) {
    const size_t len = (m - w0 < KF_BLOCK) ? (size_t)(m - w0) : KF_BLOCK;
    legacy_words(key, m, w0, len, words);
    for (size_t t = 0; t < len; t++) {
      for (unsigned p = 0; p < parts && e < n; p++, e++) {
        const uint32_t v = words[t] >> (bit_width * p);
        if (bit_width == 8)
          ((uint8_t *)out)[e] = (uint8_t)v;
        else
          ((uint16_t *)out)[e] = (uint16_t)v;
      }
    }
  }
}

int kf_random_bits(kf_key key, kf_threefry_mode mode, unsigned bit_width, size_t n, void *out) {
  int rc = kf__bits_check(mode, bit_width, n);
  if (rc != KF_OK) return rc;
  if (n == 0) return KF_OK;
  if (!out) return KF_EINVAL;
  if (bit_width == 32) {
    kf__bits32_range(key, mode, n, 0, n, (uint32_t *)out);
  } else if (bit_width == 64) {
    kf__bits64_range(key, mode, n, 0, n, (uint64_t *)out);
  } else if (mode == KF_THREEFRY_LEGACY) {
    legacy_narrow_bits(key, bit_width, n, out);
  } else {
    /* Partitionable narrow bits keep the low bits of element j's 32-bit draw. */
    uint32_t block[KF_BLOCK];
    for (size_t start = 0; start < n; start += KF_BLOCK) {
      const size_t len = (n - start < KF_BLOCK) ? n - start : KF_BLOCK;
      kf__bits32_range(key, mode, n, start, len, block);
      for (size_t t = 0; t < len; t++) {
        if (bit_width == 8)
          ((uint8_t *)out)[start + t] = (uint8_t)block[t];
        else
          ((uint16_t *)out)[start + t] = (uint16_t)block[t];
      }
    }
  }
  return KF_OK;
}
