/* keyfold — JAX-exact random keys and samplers, Flax NNX Rngs and layers, in C11.
 *
 * Umbrella header: includes every public header of the library.
 */
#ifndef KEYFOLD_KEYFOLD_H
#define KEYFOLD_KEYFOLD_H

#include "keyfold/alloc.h"
#include "keyfold/error.h"
#include "keyfold/init.h"
#include "keyfold/nn.h"
#include "keyfold/prng.h"
#include "keyfold/random.h"
#include "keyfold/rngs.h"
#include "keyfold/tensor.h"
#include "keyfold/version.h"

#endif
