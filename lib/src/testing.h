/* keyfold — the library's internals the tests and benchmarks drive directly:
 * the kernels in each instruction set, the matrix product, XLA's log1p, the
 * float32 special functions, rsqrt and the activations. Not installed and not part of the API: the
 * names and signatures change whenever the library needs them to. */
#ifndef KEYFOLD_TESTING_H
#define KEYFOLD_TESTING_H

#include "activations.h"
#include "gemm.h"
#include "rsqrt.h"
#include "simd.h"
#include "special.h"
#include "xla_math.h"

#endif
