/* keyfold — the two jax.random samplers that factor a matrix
 * (xla-numerics.md §B.2): multivariate_normal (Cholesky) and orthogonal
 * (Householder QR).
 *
 * jaxlib hands both factorisations to LAPACK through SciPy
 * (scipy.linalg.cython_lapack), which on x86-64 wheels is OpenBLAS
 * (0.3.30, SkylakeX kernels, for jaxlib 0.10.2's SciPy 1.17). The code below
 * follows what that library does for small matrices, probed against it
 * bit for bit with ctypes:
 *  - spotrf is OpenBLAS's own potf2_L for n <= 32 (unblocked, column by
 *    column): the diagonal's sdot over a row (a strided vector) takes the
 *    elements in pairs, fma(x0, x0, round(x1 * x1)), and sums the pairs in
 *    double; the column below comes from sgemv_n (an fma chain from 0 over
 *    the row's columns, then subtracted) and sscal by the reciprocal of the
 *    diagonal. Matches jaxlib's factor bit for bit in our measurements except
 *    for covariances of dimension 9 to 20, where sgemv_n's kernel for four
 *    columns sums in another order (a last-bit difference).
 *  - sgeqrf/sorgqr are reference LAPACK's sgeqr2/sorg2r for min(n, m) <
 *    128: slarfg (snrm2 in double, slapy2) and slarf (sgemv_t, sger). The
 *    sgemv_t kernel's summation order depends on both sizes and is not
 *    reproduced (an fma chain here): orthogonal is bit for bit for 1 x 1
 *    and 2 x 2 only, elsewhere the last bits differ (many ulps where an
 *    element cancels to near zero; docs/libkeyfold.md).
 * The dot of multivariate_normal (mean + factor @ z) is XLA's, whose kernel
 * sums in an order that depends on the shapes (dot_tree below). */
#include <math.h>
#include <string.h>

#include "alloc.h"
#include "bits.h"
#include "internal.h"
#include "names.h"
#include "keyfold/error.h"
#include "keyfold/random.h"
#include "xla_math.h"

#define ftz kf__xla_ftz

/* a * b with a size_t overflow check. */
static int mul_ok(size_t a, size_t b, size_t *out) {
  if (b != 0 && a > SIZE_MAX / b) return 0;
  *out = a * b;
  return 1;
}

/* normal(key, (count,)) into a fresh buffer (*out, kf__free'd by the caller). */
static int draw_normals(kf_key key, kf_threefry_mode mode, size_t count, float **out) {
  *out = NULL;
  int rc = kf__sampler_check(mode, 32, count, out);
  if (rc != KF_OK) return rc;
  if (count == 0) return KF_OK;
  float *z = kf__malloc(count * sizeof *z);
  if (!z) return KF_ENOMEM;
  rc = kf_random_normal(key, mode, count, z);
  if (rc != KF_OK) {
    kf__free(z);
    return rc;
  }
  *out = z;
  return KF_OK;
}

/* ------------------------------------------------------------ Cholesky */

/* OpenBLAS's sdot on a strided vector (x86-64, SkylakeX): pairs
 * fma(x[k], x[k], round(x[k+1]^2)) summed in double, an odd last element's
 * rounded square added in double, the total rounded to float. row holds
 * len values. */
static float sdot_self_strided(const float *row, size_t len) {
  double t = 0.0;
  size_t k = 0;
  for (; k + 2 <= len; k += 2) t += (double)fmaf(row[k], row[k], row[k + 1] * row[k + 1]);
  if (k < len) t += (double)(row[k] * row[k]);
  return (float)t;
}

/* potf2_L on the symmetrized n x n matrix a (row-major; only the lower
 * triangle is read and written). Returns 0, or j + 1 when the j-th pivot is
 * not positive (LAPACK's info). */
static size_t potf2_lower(float *a, size_t n) {
  for (size_t j = 0; j < n; j++) {
    float *rj = a + j * n;
    float ajj = rj[j] - sdot_self_strided(rj, j);
    if (ajj <= 0.0f) return j + 1; /* a NaN pivot passes, as in LAPACK */
    ajj = sqrtf(ajj);
    rj[j] = ajj;
    const float r = 1.0f / ajj; /* sscal by ONE / ajj */
    for (size_t i = j + 1; i < n; i++) {
      float *ri = a + i * n;
      float s = 0.0f; /* sgemv_n: A(j+1:, :j) @ a(j, :j), then y - s */
      for (size_t k = 0; k < j; k++) s = fmaf(ri[k], rj[k], s);
      ri[j] = (ri[j] - s) * r;
    }
  }
  return 0;
}

/* jnp.linalg.cholesky(cov) for one n x n matrix into l (lower, the upper
 * triangle left alone): symmetrize ((c + c^T) / 2, XLA's *0.5 with denormals
 * as zero), then potrf; a failed factorisation gives NaN (JAX replaces the
 * whole matrix). Returns 1 when it failed. */
static int cholesky_f32(const float *cov, size_t n, float *l) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < n; j++) /* _tril: zeros above the diagonal */
      l[i * n + j] = j > i ? 0.0f : ftz(ftz(ftz(cov[i * n + j]) + ftz(cov[j * n + i])) * 0.5f);
  return potf2_lower(l, n) != 0;
}

/* XLA:CPU's dot of factor @ z as jaxlib 0.10.2 runs it for n <= 7 (probed):
 * for fewer than 8 batch rows an fma chain from 0 over the row (the upper
 * triangle's zeros add nothing, so it stops at the diagonal); from 8 rows on
 * the products rounded and summed as a tree of adjacent pairs over all n
 * columns, zeros included. n >= 8 sums otherwise (not reproduced). */
#define DOT_TREE_BATCH 8

static float dot_chain(const float *row, const float *z, size_t len) {
  float s = 0.0f;
  for (size_t j = 0; j < len; j++) s = fmaf(row[j], z[j], s);
  return ftz(s);
}

/* tree holds n floats of scratch. */
static float dot_tree(const float *row, const float *z, size_t n, float *tree) {
  for (size_t j = 0; j < n; j++) tree[j] = ftz(row[j] * z[j]);
  for (size_t len = n; len > 1;) {
    size_t k = 0;
    for (size_t j = 0; j + 1 < len; j += 2) tree[k++] = ftz(tree[j] + tree[j + 1]);
    if (len % 2) tree[k++] = tree[len - 1];
    len = k;
  }
  return tree[0];
}

static const char *const mvn_method_names[] = {"cholesky", "svd", "eigh"};
KF__NAMES_DEFINE(mvn_method, kf_mvn_method, mvn_method_names)

int kf_random_multivariate_normal(kf_key key, kf_threefry_mode mode, kf_mvn_method method,
                                  size_t batch, size_t n, const float *mean, size_t mean_n,
                                  const float *cov, size_t cov_n, float *out) {
  if (method != KF_MVN_CHOLESKY && method != KF_MVN_SVD && method != KF_MVN_EIGH)
    return KF_EINVAL;
  size_t total, nn, all_cov;
  if (!mul_ok(batch, n, &total) || !mul_ok(n, n, &nn) || !mul_ok(batch, nn, &all_cov))
    return KF_EOVERFLOW;
  int rc = kf__sampler_check(mode, 32, total, out);
  if (rc != KF_OK) return rc;
  /* one row for every batch row, or one per batch row */
  if (mean_n != n && mean_n != total) return KF_EINVAL;
  if (cov_n != nn && cov_n != all_cov) return KF_EINVAL;
  if ((mean_n > 0 && !mean) || (cov_n > 0 && !cov)) return KF_EINVAL;
  /* svd and eigh factor with LAPACK's eigenvectors, whose signs and order
   * an independent implementation does not reproduce. */
  if (method != KF_MVN_CHOLESKY) return KF_EUNSUPPORTED;
  if (total == 0) return KF_OK;

  float *z = NULL;
  rc = draw_normals(key, mode, total, &z);
  if (rc != KF_OK) return rc;
  float *l = kf__malloc((nn + n) * sizeof *l);
  if (!l) {
    kf__free(z);
    return KF_ENOMEM;
  }
  float *tree = l + nn;
  const int per_row_cov = cov_n != nn;
  int failed = per_row_cov ? 0 : cholesky_f32(cov, n, l);
  for (size_t b = 0; b < batch; b++) {
    if (per_row_cov) failed = cholesky_f32(cov + b * nn, n, l);
    const float *mu = mean + (mean_n == n ? 0 : b * n);
    const float *zb = z + b * n;
    float *ob = out + b * n;
    for (size_t i = 0; i < n; i++) {
      if (failed) { /* a NaN factor: every product has a NaN */
        ob[i] = NAN;
        continue;
      }
      if (n == 1) { /* XLA makes a 1 x 1 dot a product, fused with + mean */
        ob[0] = ftz(fmaf(l[0], zb[0], ftz(mu[0])));
        continue;
      }
      const float s = batch >= DOT_TREE_BATCH ? dot_tree(l + i * n, zb, n, tree)
                                              : dot_chain(l + i * n, zb, i + 1);
      ob[i] = ftz(ftz(mu[i]) + s);
    }
  }
  kf__free(l);
  kf__free(z);
  return KF_OK;
}

/* ----------------------------------------------------- Householder QR */

/* snrm2 (OpenBLAS x86-64): the sum of squares and its root in double. */
static float snrm2_f(const float *x, size_t len, size_t inc) {
  double s = 0.0;
  for (size_t k = 0; k < len; k++) s += (double)x[k * inc] * (double)x[k * inc];
  return (float)sqrt(s);
}

/* LAPACK's slapy2: sqrt(x^2 + y^2) without overflow. */
static float slapy2(float x, float y) {
  if (isnan(x)) return x;
  if (isnan(y)) return y;
  const float xa = fabsf(x), ya = fabsf(y);
  const float w = xa > ya ? xa : ya, z = xa < ya ? xa : ya;
  if (z == 0.0f || w > 0x1.fffffep127f) return w;
  const float q = z / w;
  return w * sqrtf(1.0f + q * q);
}

/* LAPACK's slarfg on alpha and the len - 1 values of x (stride inc):
 * the reflector H with H (alpha, x) = (beta, 0); x becomes v(2:), alpha
 * beta. Returns tau. */
static float slarfg(size_t len, float *alpha, float *x, size_t inc) {
  if (len <= 1) return 0.0f;
  float xnorm = snrm2_f(x, len - 1, inc);
  if (xnorm == 0.0f) return 0.0f;
  float beta = -copysignf(slapy2(*alpha, xnorm), *alpha);
  const float safmin = 0x1p-102f; /* slamch('S') / slamch('E') */
  int knt = 0;
  if (fabsf(beta) < safmin) { /* rescale tiny columns as LAPACK does */
    const float rsafmn = 1.0f / safmin;
    do {
      knt++;
      for (size_t k = 0; k + 1 < len; k++) x[k * inc] *= rsafmn;
      beta *= rsafmn;
      *alpha *= rsafmn;
    } while (fabsf(beta) < safmin && knt < 20);
    xnorm = snrm2_f(x, len - 1, inc);
    beta = -copysignf(slapy2(*alpha, xnorm), *alpha);
  }
  const float tau = (beta - *alpha) / beta;
  const float scal = 1.0f / (*alpha - beta);
  for (size_t k = 0; k + 1 < len; k++) x[k * inc] *= scal;
  for (int j = 0; j < knt; j++) beta *= safmin;
  *alpha = beta;
  return tau;
}

/* LAPACK's slarf('Left'): C = (I - tau v v^T) C for the rows x cols block C
 * of a row-major matrix with row stride ld, v a column of the same matrix
 * (stride ld, v[0] taken as 1 by the caller). work holds cols floats. */
static void slarf_left(size_t rows, size_t cols, const float *v, size_t ld, float tau, float *c,
                       float *work) {
  if (tau == 0.0f) return;
  size_t lastv = rows; /* trailing zeros of v take no part */
  while (lastv > 0 && v[(lastv - 1) * ld] == 0.0f) lastv--;
  if (lastv == 0) return;
  for (size_t j = 0; j < cols; j++) { /* sgemv_t: work = C^T v */
    float s = 0.0f;
    for (size_t i = 0; i < lastv; i++) s = fmaf(c[i * ld + j], v[i * ld], s);
    work[j] = s;
  }
  for (size_t j = 0; j < cols; j++) { /* sger: C -= tau v work^T, per column */
    const float t = -tau * work[j];
    for (size_t i = 0; i < lastv; i++) c[i * ld + j] = fmaf(v[i * ld], t, c[i * ld + j]);
  }
}

/* q, r = jnp.linalg.qr(a) for the rows x cols (rows >= cols) row-major a,
 * overwritten by q (rows x cols); d receives diag(r). tau and work hold
 * cols floats each. */
static void qr_f32(float *a, size_t rows, size_t cols, float *d, float *tau, float *work) {
  /* sgeqr2 */
  for (size_t i = 0; i < cols; i++) {
    float *aii = a + i * cols + i;
    tau[i] = slarfg(rows - i, aii, aii + cols, cols);
    if (i + 1 < cols) {
      const float keep = *aii;
      *aii = 1.0f;
      slarf_left(rows - i, cols - i - 1, aii, cols, tau[i], aii + 1, work);
      *aii = keep;
    }
  }
  for (size_t i = 0; i < cols; i++) d[i] = a[i * cols + i];
  /* sorg2r with k = cols */
  for (size_t i = cols; i-- > 0;) {
    float *aii = a + i * cols + i;
    if (i + 1 < cols) {
      *aii = 1.0f;
      slarf_left(rows - i, cols - i - 1, aii, cols, tau[i], aii + 1, work);
    }
    for (size_t r = i + 1; r < rows; r++) a[r * cols + i] *= -tau[i];
    *aii = 1.0f - tau[i];
    for (size_t r = 0; r < i; r++) a[r * cols + i] = 0.0f;
  }
}

int kf_random_orthogonal(kf_key key, kf_threefry_mode mode, size_t batch, size_t n, size_t m,
                         float *out) {
  const size_t rows = n > m ? n : m, cols = n < m ? n : m;
  size_t per, total;
  if (!mul_ok(rows, cols, &per) || !mul_ok(batch, per, &total)) return KF_EOVERFLOW;
  int rc = kf__sampler_check(mode, 32, total, out);
  if (rc != KF_OK) return rc;
  if (total == 0) return KF_OK;

  float *z = NULL;
  rc = draw_normals(key, mode, total, &z);
  if (rc != KF_OK) return rc;
  float *w = kf__malloc(3 * cols * sizeof *w);
  if (!w) {
    kf__free(z);
    return KF_ENOMEM;
  }
  float *d = w, *tau = w + cols, *work = w + 2 * cols;
  for (size_t b = 0; b < batch; b++) {
    float *q = z + b * per;
    qr_f32(q, rows, cols, d, tau, work);
    /* q * sign(diag(r)): sign keeps 0 and NaN */
    for (size_t j = 0; j < cols; j++) d[j] = d[j] > 0.0f ? 1.0f : d[j] < 0.0f ? -1.0f : d[j];
    float *ob = out + b * per;
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < cols; j++) {
        const float v = q[i * cols + j] * d[j];
        if (n >= m)
          ob[i * cols + j] = v;
        else /* x.mT: n x m */
          ob[j * rows + i] = v;
      }
  }
  kf__free(w);
  kf__free(z);
  return KF_OK;
}
