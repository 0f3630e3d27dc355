/* keyfold — the activation layers as XLA:CPU computes them for jaxlib
 * 0.10.2 on x86-64 (activations.c): the scalar forms, which define the
 * results, and the constants the vector forms (simd_kernels.c) share with
 * them. Not installed; the tests reach it through testing.h. */
#ifndef KEYFOLD_ACTIVATIONS_H
#define KEYFOLD_ACTIVATIONS_H

#include <stddef.h>

/* The activations, in the order of kf_layer_type's (keyfold/nn.h). */
typedef enum {
  KF__ACT_RELU = 0, /* jax.nn.relu = jnp.maximum(x, 0) */
  KF__ACT_GELU,     /* jax.nn.gelu(x, approximate=True) */
  KF__ACT_TANH,     /* jnp.tanh = lax.tanh */
  KF__ACT_SIGMOID,  /* jax.nn.sigmoid = lax.logistic */
  KF__ACT_SILU,     /* jax.nn.silu = x * sigmoid(x) */
  KF__ACT_COUNT
} kf__act;

/* One value through each activation, bit for bit as the kernel XLA:CPU
 * compiles for it (x86-64 with FMA, denormals flushed on input and output as
 * XLA's kernels run), NaN payloads included. */
float kf__relu_f32(float x);
float kf__tanh_f32(float x);
float kf__sigmoid_f32(float x);
float kf__silu_f32(float x);
float kf__gelu_f32(float x);

/* y[i] = act(x[i]) for i < n with the scalar forms; x and y may be the same
 * array. */
void kf__activation_scalar(kf__act act, const float *x, size_t n, float *y);

/* XLA's float32 tanh (xla/codegen/intrinsic/tanh.cc, the FMA variant): a
 * [13/6] rational in the input clamped to ±KF__TANH_CLAMP, x itself below
 * KF__TANH_TINY, ±1 from KF__TANH_LARGE. Numerator coefficients of x^13 down
 * to x^1 (times x after a Horner in x^2), denominator of x^6 down to x^0. */
#define KF__TANH_CLAMP 0x1.ffec88p+2f /* 7.99881172180175781 */
#define KF__TANH_TINY 0x1.a36e2ep-12f /* 0.0004 */
#define KF__TANH_LARGE 20.0f
extern const float kf__tanh_num[7];
extern const float kf__tanh_den[4];

/* XLA's float32 exp inside sigmoid and silu is xla_math.h's (kf__xla_expf's
 * constants KF__XLA_EXP_*, kf__xla_exp_p), with its own fusions. */

/* jax.nn.gelu(approximate=True)'s constants as float32. */
#define KF__GELU_CUBE 0x1.6e4e26p-5f  /* 0.044715 */
#define KF__GELU_SCALE 0x1.988454p-1f /* sqrt(2/pi) = 0.797884583 */

#endif
