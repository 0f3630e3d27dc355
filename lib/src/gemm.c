/* keyfold — the matrix product behind Linear (simd.h: kf__gemm).
 *
 * Goto-style blocking: panels of b (KC rows) and blocks of a (MC rows,
 * packed into mr-row slivers) stay in cache while a register tile of the
 * chosen instruction set runs over them. Splitting k into panels keeps each
 * c element's chain intact: the tile stores its accumulators to c after one
 * panel and loads them back for the next, so the float operations are the
 * same as one unblocked loop over k. That makes the result independent of
 * the blocking and of the instruction set (the tests compare them), unlike
 * XLA's and BLAS libraries' products, whose summation order depends on the
 * CPU (flax-nnx.md §3).
 */
#include <math.h>
#include <string.h>

#include "gemm.h"
#include "simd.h"

enum {
  KC = 256,  /* k steps per panel: a tile's slivers of a and b fit in L1 */
  MC = 96,   /* rows of a per packed block (a multiple of every mr) */
  NC = 1024, /* columns of b per packed block */
};

void kf__gemm_tile_dims(kf__isa isa, size_t *mr, size_t *nr) {
  switch (isa) {
    case KF__ISA_AVX2: *mr = KF__GEMM_MR_avx2, *nr = KF__GEMM_NR_avx2; return;
    case KF__ISA_AVX512: *mr = KF__GEMM_MR_avx512, *nr = KF__GEMM_NR_avx512; return;
    default: *mr = KF__GEMM_MR_scalar, *nr = KF__GEMM_NR_scalar; return;
  }
}

static void tile_scalar(size_t kc, const float *ap, const float *b, size_t ldb, float *c,
                        size_t ldc, int accumulate, size_t mv, size_t nv) {
  const size_t mr = KF__GEMM_MR_scalar;
  for (size_t i = 0; i < mv; i++) {
    for (size_t j = 0; j < nv; j++) {
      float acc = accumulate ? c[i * ldc + j] : 0.0f;
      for (size_t p = 0; p < kc; p++) acc = fmaf(ap[p * mr + i], b[p * ldb + j], acc);
      c[i * ldc + j] = acc;
    }
  }
}

void kf__k_gemm_tile(kf__isa isa, size_t kc, const float *ap, const float *b, size_t ldb,
                     float *c, size_t ldc, int accumulate, size_t mv, size_t nv) {
  switch (isa) {
#if defined(KF_HAVE_X86_KERNELS)
    case KF__ISA_AVX512:
      kf__k_gemm_tile_avx512(kc, ap, b, ldb, c, ldc, accumulate, mv, nv);
      return;
    case KF__ISA_AVX2:
      kf__k_gemm_tile_avx2(kc, ap, b, ldb, c, ldc, accumulate, mv, nv);
      return;
#endif
    default:
      tile_scalar(kc, ap, b, ldb, c, ldc, accumulate, mv, nv);
      return;
  }
}

/* Packs rows [0, mc) and k steps [0, kc) of a (row stride lda) into slivers
 * of mr rows: sliver s holds a[s*mr + i][p] at [p*mr + i], zero past mc.
 * mr is a constant in each caller (pack_a), which lets the compiler unroll
 * the rows of a whole sliver into a vector transposition. */
static inline __attribute__((always_inline)) void pack_a_mr(const float *a, size_t lda, size_t mc,
                                                             size_t kc, const size_t mr,
                                                             float *out) {
  for (size_t s = 0; s < mc; s += mr) {
    const size_t rows = (mc - s < mr) ? mc - s : mr;
    const float *as = a + s * lda;
    if (rows == mr) {
      for (size_t p = 0; p < kc; p++)
        for (size_t i = 0; i < mr; i++) out[p * mr + i] = as[i * lda + p];
    } else {
      for (size_t p = 0; p < kc; p++) {
        for (size_t i = 0; i < rows; i++) out[p * mr + i] = as[i * lda + p];
        for (size_t i = rows; i < mr; i++) out[p * mr + i] = 0.0f;
      }
    }
    out += kc * mr;
  }
}

static void pack_a(const float *a, size_t lda, size_t mc, size_t kc, size_t mr, float *out) {
  switch (mr) {
    case KF__GEMM_MR_avx512: pack_a_mr(a, lda, mc, kc, KF__GEMM_MR_avx512, out); return;
    case KF__GEMM_MR_avx2: pack_a_mr(a, lda, mc, kc, KF__GEMM_MR_avx2, out); return;
    default: pack_a_mr(a, lda, mc, kc, KF__GEMM_MR_scalar, out); return;
  }
}

/* Contiguous panels matter: b's own rows are often 4 KiB apart, which maps
 * a tile's rows of b to the same few cache sets. */
void kf__gemm_pack_b(const float *b, size_t ldb, size_t kc, size_t nc, size_t nr, float *out) {
  for (size_t j = 0; j < nc; j += nr) {
    const size_t nv = (nc - j < nr) ? nc - j : nr;
    for (size_t p = 0; p < kc; p++) {
      memcpy(out + p * nr, b + p * ldb + j, nv * sizeof(float));
      if (nv < nr) memset(out + p * nr + nv, 0, (nr - nv) * sizeof(float));
    }
    out += kc * nr;
  }
}

size_t kf__gemm_workspace(kf__isa isa, size_t m, size_t n, size_t k) {
  size_t mr, nr;
  kf__gemm_tile_dims(isa, &mr, &nr);
  const size_t mc = (m < MC ? m : MC) + mr; /* a block's rows, rounded up to slivers */
  const size_t kc = k < KC ? k : KC;
  const size_t nc = (n < NC ? n : NC) + nr; /* a panel's columns, rounded up */
  return mc * kc + kc * nc;
}

void kf__gemm(kf__isa isa, size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
              float *work) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (size_t i = 0; i < m * n; i++) c[i] = 0.0f;
    return;
  }
  size_t mr, nr;
  kf__gemm_tile_dims(isa, &mr, &nr);
#if defined(KF_HAVE_X86_KERNELS)
  /* One or two rows (one request's sample): each row times b read row by
   * row as it lies, a streaming pass over b instead of a tile of mostly
   * padding rows over strided slivers of it (columns a whole number of
   * vectors). */
  if (m <= 2 && isa == KF__ISA_AVX512 && n % 16 == 0) {
    kf__k_gemm_rows_avx512(m, n, k, a, b, c);
    return;
  }
  if (m <= 2 && isa == KF__ISA_AVX2 && n % 8 == 0) {
    kf__k_gemm_rows_avx2(m, n, k, a, b, c);
    return;
  }
#endif
  float *ap = work;
  float *bp = work + ((m < MC ? m : MC) + mr) * (k < KC ? k : KC);
  /* Up to 8 slivers of rows of a (a batch of a few dozen requests) use b in
   * place: packing it would cost as much as the product (Linear 3136 -> 256
   * at 32 rows: 440 us instead of 590). The last panel of columns is still
   * packed, or a tile would read past the end of b's rows. */
  const int pack_all = m > 8 * mr;
  for (size_t jc = 0; jc < n; jc += NC) {
    const size_t nc = (n - jc < NC) ? n - jc : NC;
    for (size_t pc = 0; pc < k; pc += KC) {
      const size_t kc = (k - pc < KC) ? k - pc : KC;
      const size_t n_full = pack_all ? 0 : nc / nr * nr; /* columns read in place */
      kf__gemm_pack_b(b + pc * n + jc + n_full, n, kc, nc - n_full, nr, bp);
      for (size_t ic = 0; ic < m; ic += MC) {
        const size_t mc = (m - ic < MC) ? m - ic : MC;
        pack_a(a + ic * k + pc, k, mc, kc, mr, ap);
        for (size_t jr = 0; jr < nc; jr += nr) {
          const size_t nv = (nc - jr < nr) ? nc - jr : nr;
          const float *panel = jr < n_full ? b + pc * n + jc + jr : bp + (jr - n_full) * kc;
          const size_t ldb = jr < n_full ? n : nr;
          for (size_t ir = 0; ir < mc; ir += mr) {
            const size_t mv = (mc - ir < mr) ? mc - ir : mr;
            kf__k_gemm_tile(isa, kc, ap + ir * kc, panel, ldb, c + (ic + ir) * n + jc + jr, n,
                            pc > 0, mv, nv);
          }
        }
      }
    }
  }
}
