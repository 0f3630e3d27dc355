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

/* The caller's mode, to give back to kf__xla_fpmode_leave. */
typedef unsigned int kf__fpmode;

/* Sets flush-to-zero and denormals-are-zero (x86; elsewhere nothing) and
 * returns the mode before. Out of line: the call orders the arithmetic
 * around it. */
kf__fpmode kf__xla_fpmode_enter(void);

/* Restores the mode kf__xla_fpmode_enter returned. */
void kf__xla_fpmode_leave(kf__fpmode old);

#endif
