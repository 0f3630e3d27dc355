/* keyfold — relu, tanh, sigmoid, silu and gelu (tanh form) as XLA:CPU
 * computes them in float32 for jaxlib 0.10.2 on x86-64: the scalar forms.
 *
 * What JAX hands XLA (jax/_src/nn/functions.py, the lowering): relu is
 * max(x, 0); tanh is the HLO tanh; sigmoid is lowered to 1 / (1 + exp(-x));
 * silu to x * (1 / (1 + exp(-x))); gelu(approximate=True) to
 * x * ((tanh(s * (x + c * ((x * x) * x))) + 1) * 0.5) with c = 0.044715 and
 * s = sqrt(2/pi) in float32. Each becomes one loop fusion, whose kernel (read
 * in the object code XLA_FLAGS=--xla_dump_to writes) is:
 *
 *   tanh  xla/codegen/intrinsic/tanh.cc's float32 rational (with FMA): the
 *         input clamped to ±7.9988117, Horner in x^2 with fused multiply-adds
 *         for the numerator (x^13 .. x^1, then times x) and the denominator
 *         (x^6 .. x^0), one division; x itself when |x| < 0.0004 and
 *         copysign(1, x) when |x| >= 20.
 *   exp   the Cephes polynomial of polynomial_approximations.cc
 *         (xla-numerics.md §A.5), every multiply-add fused; in 1 + exp(-x) the
 *         final product z * 2^n is fused with the + 1 as well.
 *   gelu  x^3 = (x * x) * x, then fma(x^3, c, x), times s, the tanh above,
 *         + 1, times 0.5, times x.
 *
 * (That is the kernel of jax.jit(gelu), and of gelu inside any jitted
 * function. Called outside jit, jax.nn.gelu runs op by op and rounds every
 * step: README "Numerics".) The kernels are those of an x86-64 host with FMA
 * (XLA targets the host CPU; without FMA it would round each product).
 *
 * The kernels run with the CPU's flush-to-zero and denormals-are-zero modes
 * on. Only a few steps here can meet a denormal in a way that shows, and
 * they flush it by hand (ftz, with x86's rule for what is tiny): sigmoid's
 * quotient (for x in about [-88.7, -87.3]), silu's and gelu's last product
 * (tiny or denormal x); relu compares as DAZ does, so a positive denormal
 * gives +0. tanh passes tiny inputs through untouched (a select, not
 * arithmetic), denormals included.
 *
 * NaN: the results are x86's. tanh, silu and gelu give x quieted; sigmoid
 * gives -x quieted (the NaN of the negation); relu gives x untouched (a
 * select); silu(-inf) and gelu(-inf) are -inf * 0, the default NaN
 * 0xffc00000. The code returns these explicitly, so that the bits do not
 * depend on the compiler's operand order or the machine's NaN rules.
 *
 * Every literal is a float32 constant and every step a float32 operation,
 * with fmaf exactly where XLA's kernel has a fused multiply-add (the build
 * sets -ffp-contract=off). tests/test_activations.c holds these against an
 * instruction-by-instruction emulation of XLA's kernels, and
 * tests/vectors/jax-oracle-*.json against jaxlib itself. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "activations.h"
#include "internal.h"
#include "xla_math.h"

const float kf__tanh_num[7] = {
  -2.76076847742355e-16f, 2.00018790482477e-13f, -8.60467152213735e-11f, 5.12229709037114e-08f,
  1.48572235717979e-05f,  6.37261928875436e-04f, 4.89352455891786e-03f,
};
const float kf__tanh_den[4] = {
  1.19825839466702e-06f, 1.18534705686654e-04f, 2.26843463243900e-03f, 4.89352518554385e-03f,
};

static uint32_t bits_of(float x) {
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}

static float float_of(uint32_t b) {
  float x;
  memcpy(&x, &b, sizeof x);
  return x;
}

/* A NaN made quiet, as x86 returns a NaN operand. */
static float quiet(float x) { return float_of(bits_of(x) | 0x00400000u); }

/* x86's flush-to-zero of an operation's float32 result r, whose exact value
 * is v: zero of r's sign when v is tiny, i.e. when v rounded to 24 bits with
 * an unbounded exponent is below FLT_MIN ("tininess after rounding"), which
 * is when |v| < FLT_MIN - 2^-151. That flushes every result that rounds to a
 * denormal, and also the exact values in [FLT_MIN - 2^-150, FLT_MIN - 2^-151),
 * which round up to FLT_MIN itself: jaxlib's silu and gelu of
 * +-(2 FLT_MIN - 2^-149) are +-0, not +-FLT_MIN. A product of two floats is
 * exact in double; a quotient 1/d is within 2^-53 (relative) of its value
 * there, and no float d puts 1/d closer than 2^-25 to the threshold (the
 * closest is d = 2^126), so the test is exact. */
#define TINY_BELOW 0x1.ffffffp-127
static float ftz(float r, double v) { return fabs(v) < TINY_BELOW ? copysignf(0.0f, r) : r; }

/* The x86 default NaN: what an invalid operation (-inf * 0) gives. */
#define DEFAULT_NAN 0xffc00000u

/* max(x, 0) as x86's maxps with DAZ: x when x > 0 (a denormal compares as
 * 0), 0 otherwise, x itself (not quieted) when it is NaN (x != x). One
 * select, so that the loop below vectorizes. */
static inline float relu(float x) { return ((x >= FLT_MIN) | (x != x)) ? x : 0.0f; }

float kf__relu_f32(float x) { return relu(x); }

float kf__tanh_f32(float x) {
  if (isnan(x)) return quiet(x);
  const float a = fabsf(x);
  if (a >= KF__TANH_LARGE) return copysignf(1.0f, x);
  if (a < KF__TANH_TINY) return x;
  float c = (-KF__TANH_CLAMP > x) ? -KF__TANH_CLAMP : x; /* maxps, then minps */
  c = (KF__TANH_CLAMP < c) ? KF__TANH_CLAMP : c;
  const float x2 = c * c;
  float p = kf__tanh_num[0];
  for (int i = 1; i < 7; i++) p = fmaf(x2, p, kf__tanh_num[i]);
  float q = kf__tanh_den[0];
  for (int i = 1; i < 4; i++) q = fmaf(x2, q, kf__tanh_den[i]);
  return (c * p) / q;
}

/* 1 / (1 + exp(-x)) for x not NaN, flushed. */
static float logistic(float x) {
  float t = -x;
  t = (KF__XLA_EXP_LO > t) ? KF__XLA_EXP_LO : t;
  t = (KF__XLA_EXP_HI < t) ? KF__XLA_EXP_HI : t;
  float n = floorf(fmaf(t, KF__XLA_EXP_LOG2E, 0.5f));
  n = (-127.0f > n) ? -127.0f : n;
  n = (127.0f < n) ? 127.0f : n;
  float r = fmaf(n, -KF__XLA_EXP_C1, t);
  r = fmaf(n, -KF__XLA_EXP_C2, r);
  float z = fmaf(r, kf__xla_exp_p[0], kf__xla_exp_p[1]);
  for (int i = 2; i < 6; i++) z = fmaf(z, r, kf__xla_exp_p[i]);
  z = fmaf(z, r * r, r) + 1.0f;
  /* 2^n from its exponent field; n = -127 gives the field 0, i.e. 0.0. */
  const float scale = float_of((uint32_t)((int32_t)n + 127) << 23);
  const float d = fmaf(z, scale, 1.0f);
  return ftz(1.0f / d, 1.0 / (double)d);
}

float kf__sigmoid_f32(float x) {
  if (isnan(x)) return quiet(-x);
  return logistic(x);
}

float kf__silu_f32(float x) {
  if (isnan(x)) return quiet(x);
  if (x == -INFINITY) return float_of(DEFAULT_NAN);
  const float s = logistic(x);
  return ftz(x * s, (double)x * s);
}

float kf__gelu_f32(float x) {
  if (isnan(x)) return quiet(x);
  if (x == -INFINITY) return float_of(DEFAULT_NAN);
  const float cube = (x * x) * x;
  const float inner = fmaf(cube, KF__GELU_CUBE, x);
  const float t = kf__tanh_f32(inner * KF__GELU_SCALE);
  const float cdf = (t + 1.0f) * 0.5f;
  return ftz(x * cdf, (double)x * cdf);
}

void kf__activation_scalar(kf__act act, const float *x, size_t n, float *y) {
  static float (*const form[KF__ACT_COUNT])(float) = {
    [KF__ACT_RELU] = kf__relu_f32,       [KF__ACT_GELU] = kf__gelu_f32,
    [KF__ACT_TANH] = kf__tanh_f32,       [KF__ACT_SIGMOID] = kf__sigmoid_f32,
    [KF__ACT_SILU] = kf__silu_f32,
  };
  if ((unsigned)act >= KF__ACT_COUNT) return;
  if (act == KF__ACT_RELU) { /* inlined, so that the compiler can vectorize it */
    for (size_t i = 0; i < n; i++) y[i] = relu(x[i]);
    return;
  }
  for (size_t i = 0; i < n; i++) y[i] = form[act](x[i]);
}
