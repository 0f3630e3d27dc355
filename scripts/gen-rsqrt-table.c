/* Prints lib/src/rsqrt_table.c: the estimate of Intel's rsqrtss/rsqrtps on
 * this CPU for every (exponent parity, top 10 mantissa bits), which is all it
 * depends on (checked below on every float32). Run on an Intel x86-64:
 *   cc -O2 -o /tmp/gen-rsqrt scripts/gen-rsqrt-table.c && /tmp/gen-rsqrt > lib/src/rsqrt_table.c
 * It exits non-zero if some input's estimate is not the table's. The library's
 * emulation (kf__rsqrt_estimate_intel) is checked on every float32 by
 * tests/test_gamma.c with KEYFOLD_EXHAUSTIVE=1. */
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t hw(uint32_t b) {
  float x, y;
  memcpy(&x, &b, 4);
  y = _mm_cvtss_f32(_mm_rsqrt_ss(_mm_set_ss(x)));
  uint32_t r;
  memcpy(&r, &y, 4);
  return r;
}

int main(void) {
  uint32_t table[2048];
  /* Reference exponents 127 (odd) and 126 (even): x in [1, 2) and [0.5, 1). */
  for (uint32_t i = 0; i < 2048; i++) {
    const uint32_t e = (i >> 10) ? 127 : 126;
    table[i] = hw((e << 23) | ((i & 1023u) << 13));
  }
  unsigned long bad = 0;
  for (uint64_t b = 0; b <= 0xFFFFFFFFu; b++) {
    const uint32_t x = (uint32_t)b, e = (x >> 23) & 0xFF;
    if ((x >> 31) || e == 0 || e == 255) continue; /* specials: the library's own cases */
    const uint32_t ref = (e & 1) ? 127 : 126;
    const uint32_t t = table[((e & 1) << 10) | ((x >> 13) & 1023u)];
    const uint32_t want = (uint32_t)((int32_t)t - ((int32_t)e - (int32_t)ref) / 2 * (1 << 23));
    if (hw(x) != want && bad++ < 10) fprintf(stderr, "%08x: %08x, table %08x\n", x, hw(x), want);
  }
  if (bad) {
    fprintf(stderr, "%lu inputs differ\n", bad);
    return 1;
  }
  printf("/* keyfold — Intel's rsqrtss/rsqrtps estimate, tabulated on an Intel Xeon\n"
         " * (AVX-512) by scripts/gen-rsqrt-table.c: entry (p << 10) | m is the\n"
         " * estimate's bits for the float with mantissa top bits m and exponent 127\n"
         " * (p = 1) or 126 (p = 0). Generated; not edited by hand. */\n"
         "#include <stdint.h>\n\n#include \"rsqrt.h\"\n\n"
         "const uint32_t kf__rsqrt_intel_table[2048] = {\n");
  for (int i = 0; i < 2048; i++)
    printf("%s0x%08xu,%s", (i % 6) ? " " : "    ", table[i], (i % 6 == 5 || i == 2047) ? "\n" : "");
  printf("};\n");
  return 0;
}
