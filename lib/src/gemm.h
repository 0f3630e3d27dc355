/* keyfold — the matrix product behind Linear (gemm.c); not installed. */
#ifndef KEYFOLD_GEMM_H
#define KEYFOLD_GEMM_H

#include <stddef.h>

#include "simd.h"

/* Matrix product for Linear: c[m x n] = a[m x k] . b[k x n], all row-major
 * and dense. Every c element is the fused multiply-add chain over k in
 * order, starting from +0: acc = fma(a[i][p], b[p][j], acc) for p = 0..k-1,
 * whatever the blocking or the instruction set. work is the caller's scratch
 * of kf__gemm_workspace(isa, m, n, k) floats. */
void kf__gemm(kf__isa isa, size_t m, size_t n, size_t k, const float *a, const float *b, float *c,
              float *work);

/* Floats of scratch kf__gemm needs for that shape: at most about a megabyte
 * whatever the shape, and little for small products (a forward pass of one
 * request allocates it per call). */
size_t kf__gemm_workspace(kf__isa isa, size_t m, size_t n, size_t k);

/* The register tile of an instruction set's gemm kernel: mr rows, nr columns. */
void kf__gemm_tile_dims(kf__isa isa, size_t *mr, size_t *nr);

/* Packs kc rows and columns [0, nc) of b (row stride ldb) into panels of
 * nr columns, each panel kc contiguous rows of nr values, zero past nc: the
 * b kf__k_gemm_tile reads with ldb = nr (kf__gemm's b, conv.c's kernel). */
void kf__gemm_pack_b(const float *b, size_t ldb, size_t kc, size_t nc, size_t nr, float *out);

/* One tile: c[i][j] (i < mv <= mr, j < nv <= nr, row stride ldc) continues
 * its chain (accumulate) or starts one from +0 over kc steps; ap holds kc
 * groups of mr a values (a panel packed by kf__gemm), b kc rows of nr values
 * with row stride ldb. */
void kf__k_gemm_tile(kf__isa isa, size_t kc, const float *ap, const float *b, size_t ldb,
                     float *c, size_t ldc, int accumulate, size_t mv, size_t nv);

#endif
