/* keyfold — XLA:CPU's floating-point mode around the layers' arithmetic; not
 * installed.
 *
 * XLA:CPU runs its kernels with flush-to-zero and denormals-are-zero set
 * (both eras measured: jax.jit(lambda x, w, b: x @ w + b) gives 0 where the
 * exact result or an input is denormal). A Linear's fma chain and bias add
 * and a Dropout's scaling run inside kf__xla_fpmode_enter/leave so that
 * every operation reads and writes denormals as XLA's do, partial sums
 * included; the caller's mode is restored after. On other architectures
 * this is a no-op (and such denormal corner cases are not bit-exact there).
 * The activations are not run inside: activations.c emulates the flush. */
#ifndef KEYFOLD_FPMODE_H
#define KEYFOLD_FPMODE_H

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

typedef unsigned int kf__fpmode;

#define KF__MXCSR_FTZ_DAZ 0x8040u /* FZ (bit 15) and DAZ (bit 6) */

static inline kf__fpmode kf__xla_fpmode_enter(void) {
  const kf__fpmode old = _mm_getcsr();
  _mm_setcsr(old | KF__MXCSR_FTZ_DAZ);
  __asm__ __volatile__("" ::: "memory"); /* keep the arithmetic after the switch */
  return old;
}

static inline void kf__xla_fpmode_leave(kf__fpmode old) {
  __asm__ __volatile__("" ::: "memory");
  _mm_setcsr(old);
}
#else
typedef int kf__fpmode;
static inline kf__fpmode kf__xla_fpmode_enter(void) { return 0; }
static inline void kf__xla_fpmode_leave(kf__fpmode old) { (void)old; }
#endif

#endif
