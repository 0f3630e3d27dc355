/* keyfold's float32 log and exp (lib/src/xla_math.c) and the C library's
 * tanf and powf over arrays, for scripts/oracle/xla-math-check.py (test
 * tooling only; built by that script into a temporary shared object and
 * loaded with ctypes). Built with -ffp-contract=off, as the library is. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/src/xla_math.c"

void cand_log(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = kf__xla_logf(x[i]);
}

void cand_exp(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = kf__xla_expf(x[i]);
}

/* jaxlib >= 0.7.1's tan: one tanf call. */
void cand_tanf(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = tanf(x[i]);
}

/* jaxlib <= 0.7.0's tan: sinf / cosf. */
void cand_sincos(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = sinf(x[i]) / cosf(x[i]);
}

void cand_powf(const float *x, const float *e, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = powf(x[i], e[i]);
}

/* powf with a denormal result flushed to zero, as it runs inside XLA:CPU's
 * kernels (FTZ): what keyfold's weibull_min does (lib/src/distributions.c). */
void cand_powf_ftz(const float *x, const float *e, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = kf__xla_ftz(powf(x[i], e[i]));
}
