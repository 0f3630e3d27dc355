/* keyfold — build-wide facts every source file of the library relies on;
 * declares no function, so it adds no edge between modules. Not installed. */
#ifndef KEYFOLD_INTERNAL_H
#define KEYFOLD_INTERNAL_H

#include <float.h>

/* The samplers reproduce XLA:CPU's float32 results only when the compiler
 * evaluates float expressions in float (jax-random.md §13.6). */
_Static_assert(FLT_EVAL_METHOD == 0, "keyfold needs FLT_EVAL_METHOD == 0 (SSE/NEON float math)");

/* Samplers produce their bits in blocks of this many elements so that no
 * sampler needs scratch memory proportional to its output. */
#define KF_BLOCK 256

#endif
