/* keyfold — the float32 primitives the samplers share between their scalar
 * and vector forms (special.c); not installed. The tests reach them through
 * testing.h. */
#ifndef KEYFOLD_SPECIAL_H
#define KEYFOLD_SPECIAL_H

#include <stdint.h>

/* The float in [0, 1) that uniform builds from 32 random bits (§8). */
float kf__unit_float(uint32_t bits);

/* erf_inv as the StableHLO expansion (§13.2), float32 step by step. */
float kf__erf_inv_f32(float x);

/* erf as XLA:CPU's kernel (§13.3). */
float kf__erf_f32(float x);

/* StableHLO's erf_inv coefficients (Giles 2010, c0 first) for w < 5 and
 * w >= 5 (jax-random.md §13.2); shared by the scalar and vector forms. */
extern const float kf__erf_inv_small[9];
extern const float kf__erf_inv_large[9];

#endif
