/* keyfoldd — the jax.random operations table (ops.h). */
#include "ops.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

/* ------------------------------------------------------------ parameters */

#define REQ KD_PF_REQUIRED
#define NODEF {KD_DEF_NONE, 0, 0, NULL}
#define DEF_F(x) {KD_DEF_FLOAT, (x), 0, NULL}
#define DEF_I(x) {KD_DEF_INT, 0, (x), NULL}
#define DEF_S(x) {KD_DEF_STRING, 0, 0, (x)}
#define DEF_SHAPE0 {KD_DEF_EMPTY_SHAPE, 0, 0, NULL}
#define END {.name = NULL}

/* The parameters most samplers share. */
#define P_KEY                                                                                    \
  {.name = "key", .kind = KD_PK_KEY, .flags = REQ, .def = NODEF,                                 \
   .description = "The key's data [hi, lo]. POST /v1/sessions/{name}/sample draws it from the "  \
                  "stream instead."}
/* JAX's default (): array parameters must broadcast to the shape. */
#define P_SHAPE_SCALAR                                                                           \
  {.name = "shape", .kind = KD_PK_SHAPE, .def = DEF_SHAPE0,                                      \
   .description = "The output shape (default (), a scalar). Array parameters must broadcast "    \
                  "to it (NumPy's rules)."}
/* JAX's None: the broadcast of the array parameters' shapes. */
#define P_SHAPE_BROADCAST                                                                        \
  {.name = "shape", .kind = KD_PK_SHAPE, .def = NODEF,                                           \
   .description = "The output shape; the array parameters must broadcast to exactly it. "        \
                  "Absent (JAX's None): the broadcast of their shapes."}

static const char *const float32_only[] = {"float32", NULL};
static const char *const int32_only[] = {"int32", NULL};
static const char *const uint_dtypes[] = {"uint8", "uint16", "uint32", "uint64", NULL};
static const char *const bernoulli_modes[] = {"low", "high", NULL};
static const int64_t bit_widths[] = {8, 16, 32, 64, KD_CHOICES_END};

#define P_FLOAT_DTYPE(jax_text, accepts_)                                                       \
  {.name = "dtype", .kind = KD_PK_DTYPE, .def = DEF_S("float32"), .values = float32_only,       \
   .accepts = (accepts_), .jax_error = (jax_text),                                              \
   .description = "The output dtype: float32 (JAX's default with x64 off)."}

static const kd_param key_params[] = {
  {.name = "seed", .kind = KD_PK_SEED, .flags = REQ, .def = NODEF,
   .description = "An integer (signed 64-bit; key(seed) = [0, seed mod 2^32] as JAX with x64 "
                  "off) or a key's data [hi, lo], returned as is."},
  END,
};

static const kd_param fold_in_params[] = {
  P_KEY,
  {.name = "data", .kind = KD_PK_INT, .flags = REQ | KD_PF_SCALAR, .def = NODEF, .min = 0,
   .max = UINT32_MAX, .description = "The integer folded into the key (uint32)."},
  END,
};

static const kd_param split_params[] = {
  P_KEY,
  {.name = "num", .kind = KD_PK_INT_OR_SHAPE, .def = DEF_I(2),
   .description = "The number of keys, or a shape of keys (at most --max-elements)."},
  END,
};

static const kd_param bits_params[] = {
  P_KEY,
  P_SHAPE_SCALAR,
  {.name = "dtype", .kind = KD_PK_DTYPE, .def = DEF_S("uint32"), .values = uint_dtypes,
   .accepts = KD_DT_UINT,
   .jax_error = "dtype argument to `bits` must be an unsigned int dtype, got %s",
   .description = "The output dtype; uint64 draws 64 bits per element as JAX does with x64 on "
                  "(elements written as decimal strings)."},
  {.name = "bit_width", .kind = KD_PK_INT, .flags = KD_PF_SCALAR, .def = DEF_I(32), .min = 8,
   .max = 64, .choices = bit_widths,
   .description = "keyfold's spelling of the dtype: 8, 16, 32 or 64 (uint8 ... uint64); with "
                  "dtype it must agree."},
  END,
};

static const kd_param uniform_params[] = {
  P_KEY,
  P_SHAPE_SCALAR,
  P_FLOAT_DTYPE("dtype argument to `uniform` must be a float dtype, got %s", KD_DT_FLOAT),
  {.name = "minval", .kind = KD_PK_FLOAT, .def = DEF_F(0.0),
   .description = "The inclusive lower bound, a number or an array broadcast to the shape; "
                  "finite as float32."},
  {.name = "maxval", .kind = KD_PK_FLOAT, .def = DEF_F(1.0),
   .description = "The exclusive upper bound, likewise. Where minval >= maxval the element is "
                  "minval, as in JAX."},
  END,
};

static const kd_param normal_params[] = {
  P_KEY,
  P_SHAPE_SCALAR,
  P_FLOAT_DTYPE("dtype argument to `normal` must be a float or complex dtype, got %s",
                KD_DT_FLOAT | KD_DT_COMPLEX),
  END,
};

static const kd_param truncated_normal_params[] = {
  P_KEY,
  {.name = "lower", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_INF, .def = NODEF,
   .description = "The lower bound, a number or an array; a value beyond the float32 range "
                  "rounds to an infinity (a one-sided truncation)."},
  {.name = "upper", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_INF, .def = NODEF,
   .description = "The upper bound, likewise. Where lower >= upper JAX does not raise: the "
                  "element is nextafter(upper, -inf)."},
  P_SHAPE_BROADCAST,
  P_FLOAT_DTYPE("dtype argument to `truncated_normal` must be a float dtype, got %s", KD_DT_FLOAT),
  END,
};

static const kd_param bernoulli_params[] = {
  P_KEY,
  {.name = "p", .kind = KD_PK_FLOAT, .def = DEF_F(0.5),
   .description = "The probability of true, a number or an array; values outside [0, 1] give "
                  "all false or all true. An integer is taken as a float (JAX raises "
                  "TypeError for a Python int)."},
  P_SHAPE_BROADCAST,
  {.name = "mode", .kind = KD_PK_ENUM, .def = DEF_S("low"), .values = bernoulli_modes,
   .jax_error = "got mode='%s', expected 'high' or 'low'",
   .description = "'low': uniform < p; 'high': two uniform draws, u2 * 2^-23 < p - u1, "
                  "correct for p below ~1e-7 (twice the bits)."},
  END,
};

static const kd_param randint_params[] = {
  P_KEY,
  {.name = "shape", .kind = KD_PK_SHAPE, .def = NODEF,
   .description = "The output shape; minval and maxval must broadcast to exactly it. JAX "
                  "requires it; absent, keyfold uses the broadcast of the bounds' shapes."},
  {.name = "minval", .kind = KD_PK_INT, .flags = REQ, .def = NODEF, .min = INT32_MIN,
   .max = INT32_MAX,
   .description = "The inclusive lower bound, an integer or an array of them, in int32 (JAX "
                  "with x64 off raises OverflowError beyond it)."},
  {.name = "maxval", .kind = KD_PK_INT, .flags = REQ, .def = NODEF, .min = INT32_MIN,
   .max = INT32_MAX,
   .description = "The exclusive upper bound, likewise. Where minval >= maxval the element is "
                  "minval, as in JAX."},
  {.name = "dtype", .kind = KD_PK_DTYPE, .def = DEF_S("int32"), .values = int32_only,
   .accepts = KD_DT_SINT | KD_DT_UINT, .jax_error = "randint only accepts integer dtypes, got %s",
   .description = "The output dtype: int32 (JAX's default with x64 off)."},
  END,
};

static const kd_param permutation_params[] = {
  P_KEY,
  {.name = "n", .kind = KD_PK_INT, .flags = REQ | KD_PF_SCALAR | KD_PF_COUNT, .def = NODEF,
   .min = 0, .max = INT32_MAX,
   .description = "jax.random.permutation(key, n) for an integer n (JAX's `x`): a "
                  "permutation of 0..n-1, shape [n]; at most --max-elements (413) and "
                  "2147483647 (400: JAX sorts int32 indices)."},
  END,
};

/* ------------------------------------------- the distributions (random.h) */

/* JAX's check of a float dtype, with its text ("dtype argument to `op` must
 * be a float dtype, got float64" for JAX's own classes, 400). */
#define P_DTYPE_OF(op) P_FLOAT_DTYPE("dtype argument to `" op "` must be a float dtype, got %s", KD_DT_FLOAT)
/* A required float32 parameter, a number or an array. */
#define P_ARRAY(name_, text)                                                                     \
  {.name = (name_), .kind = KD_PK_FLOAT, .flags = REQ, .def = NODEF, .description = (text)}
/* The parameterless samplers: jax.random.<op>(key, shape=(), dtype). */
#define PLAIN_PARAMS(op)                                                                         \
  static const kd_param op##_params[] = {P_KEY, P_SHAPE_SCALAR, P_DTYPE_OF(#op), END}

PLAIN_PARAMS(exponential);
PLAIN_PARAMS(laplace);
PLAIN_PARAMS(logistic);
PLAIN_PARAMS(cauchy);
PLAIN_PARAMS(maxwell);

static const char *const gumbel_modes[] = {"low", "high", "highest", NULL};

static const kd_param gumbel_params[] = {
  P_KEY,
  P_SHAPE_SCALAR,
  P_DTYPE_OF("gumbel"),
  {.name = "mode", .kind = KD_PK_ENUM, .def = DEF_S("low"), .values = gumbel_modes,
   .jax_error = "Must provide valid mode for gumbel got: %s",
   .description = "JAX's None is 'low' (jax_high_dynamic_range_gumbel off): -log(-log(u)); "
                  "'high': two uniforms for ~46 bits near 0; 'highest': 64 random bits as a "
                  "float in (0, 1). 'high' and 'highest' draw twice the bits."},
  END,
};

static const kd_param pareto_params[] = {
  P_KEY,
  P_ARRAY("b", "The shape parameter b (> 0 for a Pareto distribution; JAX does not check), a "
               "number or an array; finite as float32."),
  P_SHAPE_BROADCAST,
  P_DTYPE_OF("pareto"),
  END,
};

static const kd_param weibull_min_params[] = {
  P_KEY,
  /* JAX: power(-log1p(-u), 1 / concentration) * scale, u of `shape` */
  {.name = "scale", .kind = KD_PK_FLOAT, .flags = REQ, .def = NODEF, .outer_step = 2,
   .outer_op = "mul", .description = "The scale, a number or an array; finite as float32."},
  {.name = "concentration", .kind = KD_PK_FLOAT, .flags = REQ, .def = NODEF, .outer_step = 1,
   .outer_op = "pow", .description = "The concentration (shape) parameter, likewise."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = DEF_SHAPE0,
   .description = "The shape of the uniform draw (default (), a scalar). JAX does not check it: "
                  "the output is its broadcast with the parameters' shapes, elements that "
                  "differ only along dimensions where it is 1 (or absent) sharing a draw."},
  P_DTYPE_OF("weibull_min"),
  END,
};

static const kd_param rayleigh_params[] = {
  P_KEY,
  P_ARRAY("scale", "The scale, a number or an array; finite as float32."),
  P_SHAPE_BROADCAST,
  P_DTYPE_OF("rayleigh"),
  END,
};

static const kd_param geometric_params[] = {
  P_KEY,
  P_ARRAY("p", "The probability of success of one trial, a number or an array; finite as "
               "float32 (JAX does not check 0 < p < 1)."),
  P_SHAPE_BROADCAST,
  {.name = "dtype", .kind = KD_PK_DTYPE, .def = DEF_S("int32"), .values = int32_only,
   .accepts = KD_DT_SINT | KD_DT_UINT,
   .jax_error = "dtype argument to `geometric` must be an int dtype, got %s",
   .description = "The output dtype: int32 (JAX's default with x64 off)."},
  END,
};

static const kd_param triangular_params[] = {
  P_KEY,
  P_ARRAY("left", "The lower limit, a number or an array; finite as float32."),
  P_ARRAY("mode", "The peak (left <= mode <= right; JAX does not check), likewise."),
  P_ARRAY("right", "The upper limit, likewise."),
  P_SHAPE_BROADCAST,
  P_DTYPE_OF("triangular"),
  END,
};

static const kd_param lognormal_params[] = {
  P_KEY,
  {.name = "sigma", .kind = KD_PK_FLOAT, .def = DEF_F(1.0),
   .description = "The standard deviation of the underlying normal, a number or an array; "
                  "finite as float32."},
  P_SHAPE_BROADCAST,
  P_FLOAT_DTYPE("dtype argument to `lognormal` must be a float or complex dtype, got %s",
                KD_DT_FLOAT | KD_DT_COMPLEX),
  END,
};

static const kd_param double_sided_maxwell_params[] = {
  P_KEY,
  P_ARRAY("loc", "The location, a number or an array; finite as float32."),
  P_ARRAY("scale", "The scale, likewise."),
  {.name = "shape", .kind = KD_PK_SHAPE, .def = DEF_SHAPE0,
   .description = "The leading dimensions (default ()): the output's shape is shape + the "
                  "broadcast of the parameters' shapes, () counting as that broadcast shape "
                  "(so loc of shape (3,) gives (3, 3)), as JAX computes it."},
  P_DTYPE_OF("double_sided_maxwell"),
  END,
};

static const kd_param rademacher_params[] = {
  P_KEY,
  P_SHAPE_SCALAR,
  {.name = "dtype", .kind = KD_PK_DTYPE, .def = DEF_S("int32"), .values = int32_only,
   .accepts = KD_DT_FLOAT | KD_DT_SINT | KD_DT_UINT | KD_DT_BOOL | KD_DT_COMPLEX,
   .description = "The output dtype: int32 (JAX's default with x64 off; JAX takes any dtype, "
                  "keyfold computes int32)."},
  END,
};

/* The gamma family (gamma.c): how XLA:CPU's rsqrt is computed decides some
 * rejection steps, so the draw follows the jaxlib (kf_rsqrt_mode). */
static const char *const rsqrt_modes[] = {"intel-nr2", "sqrt-div", NULL};

#define P_RSQRT                                                                                  \
  {.name = "rsqrt", .kind = KD_PK_ENUM, .def = DEF_S("intel-nr2"), .values = rsqrt_modes,        \
   .description = "keyfold's, not JAX's: the jaxlib whose rsqrt (in gamma's Marsaglia-Tsang "   \
                  "step) the draw reproduces. 'intel-nr2': jaxlib >= 0.7.1 (0.10.2, the Flax "   \
                  "0.11/0.12 era) on Intel x86-64 with AVX: rsqrtps's estimate and two Newton "  \
                  "steps; 'sqrt-div': 1 / sqrt(x), jaxlib <= 0.7.0 (0.6.2, the Flax 0.10 era) "  \
                  "on any CPU, and later jaxlib without AVX (ARM, Apple). The two differ in a "  \
                  "whole draw now and then. Default: 'intel-nr2' for POST /v1/random/{op}; for "  \
                  "POST /v1/sessions/{name}/sample the session's era ('sqrt-div' for Flax "      \
                  "0.10, 'intel-nr2' for 0.11 and 0.12)."}
/* One float parameter and JAX's None shape (the parameter's). */
#define GAMMA_PARAMS(op, pname, text, dtype_op)                                                  \
  static const kd_param op##_params[] = {P_KEY, P_ARRAY(pname, text), P_SHAPE_BROADCAST,          \
                                         P_DTYPE_OF(dtype_op), P_RSQRT, END}

GAMMA_PARAMS(gamma, "a", "The shape parameter a, a number or an array; finite as float32 (a = 0 "
                         "gives 0, a negative a NaN; JAX does not check).", "gamma");
/* JAX's loggamma names gamma in its dtype and shape checks */
GAMMA_PARAMS(loggamma, "a", "The shape parameter a, likewise (log(0) = -inf for a = 0).", "gamma");
GAMMA_PARAMS(chisquare, "df", "The degrees of freedom, a number or an array; finite as float32.",
             "chisquare");
GAMMA_PARAMS(t, "df", "The degrees of freedom, a number or an array; finite as float32.", "t");

static const kd_param beta_params[] = {
  P_KEY,
  P_ARRAY("a", "The first shape parameter, a number or an array; finite as float32."),
  P_ARRAY("b", "The second shape parameter, likewise."),
  P_SHAPE_BROADCAST,
  P_DTYPE_OF("beta"),
  P_RSQRT,
  END,
};

static const kd_param f_params[] = {
  P_KEY,
  P_ARRAY("dfnum", "The numerator's degrees of freedom, a number or an array; finite as float32."),
  P_ARRAY("dfden", "The denominator's degrees of freedom, likewise."),
  P_SHAPE_BROADCAST,
  P_DTYPE_OF("f"),
  P_RSQRT,
  END,
};

static const kd_param generalized_normal_params[] = {
  P_KEY,
  P_ARRAY("p", "The exponent p of exp(-|x|^p) (p = 2: normal with variance 1/2), a number or "
               "an array broadcast to the shape; finite as float32."),
  P_SHAPE_SCALAR,
  /* its dtype reaches gamma's check first */
  P_DTYPE_OF("gamma"),
  P_RSQRT,
  END,
};

static const kd_param dirichlet_params[] = {
  P_KEY,
  {.name = "alpha", .kind = KD_PK_FLOAT, .flags = REQ, .def = NODEF,
   .description = "The concentrations along the last axis (k of them; ndim >= 1), finite as "
                  "float32. keyfold computes one vector for every row: the leading dimensions "
                  "of alpha must be 1 (JAX also takes one vector per batch element)."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = NODEF,
   .description = "The batch shape; the output is shape + (k,). alpha's leading dimensions "
                  "must broadcast to exactly it (JAX's check and text). Absent (JAX's None): "
                  "alpha's leading dimensions."},
  P_DTYPE_OF("dirichlet"),
  P_RSQRT,
  END,
};

static const kd_param ball_params[] = {
  P_KEY,
  {.name = "d", .kind = KD_PK_INT, .flags = REQ | KD_PF_SCALAR, .def = NODEF, .min = 0,
   .max = INT32_MAX, .description = "The dimension of the ball: the output's last axis."},
  {.name = "p", .kind = KD_PK_FLOAT, .flags = KD_PF_SCALAR, .def = DEF_F(2.0),
   .description = "The p of the Lp ball, one number (finite as float32)."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = DEF_SHAPE0,
   .description = "The batch shape (default ()); the output is shape + (d,)."},
  /* its dtype reaches gamma's check first (generalized_normal) */
  P_DTYPE_OF("gamma"),
  P_RSQRT,
  END,
};

/* wald, poisson, binomial (discrete.c). */
static const kd_param wald_params[] = {
  P_KEY,
  P_ARRAY("mean", "The mean, a number or an array; finite as float32 (JAX does not check > 0)."),
  P_SHAPE_BROADCAST,
  P_DTYPE_OF("wald"),
  END,
};

static const kd_param poisson_params[] = {
  P_KEY,
  P_ARRAY("lam", "The rate, a number or an array; finite as float32 (0 gives 0, a negative rate "
                 "-1, as JAX's loops do)."),
  {.name = "shape", .kind = KD_PK_SHAPE, .def = NODEF,
   .description = "The output shape; lam must broadcast to it. Absent (JAX's None): lam's shape."},
  {.name = "dtype", .kind = KD_PK_DTYPE, .def = DEF_S("int32"), .values = int32_only,
   .accepts = KD_DT_SINT | KD_DT_UINT,
   .description = "The output dtype: int32 (JAX's default with x64 off)."},
  END,
};

static const kd_param binomial_params[] = {
  P_KEY,
  P_ARRAY("n", "The number of trials, a number or an array; finite as float32, floored (NaN for "
               "a negative count)."),
  P_ARRAY("p", "The probability of success, likewise (NaN outside [0, 1])."),
  P_SHAPE_BROADCAST,
  P_DTYPE_OF("binomial"),
  END,
};

/* categorical, choice and multinomial take their arrays whole (logits along
 * an axis, a vector of probabilities): each row's prepare derives the
 * shape and broadcasts them itself, as jax.random's code does. */
#define P_GUMBEL_MODE                                                                            \
  {.name = "mode", .kind = KD_PK_ENUM, .def = DEF_S("low"), .values = gumbel_modes,              \
   .jax_error = "Must provide valid mode for gumbel got: %s",                                   \
   .description = "The gumbel draws' mode (see gumbel): JAX's None is 'low'."}

static const kd_param categorical_params[] = {
  P_KEY,
  {.name = "logits", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_WHOLE | KD_PF_INF, .def = NODEF,
   .description = "Unnormalized log probabilities, an array (at least one dimension) with the "
                  "categories along `axis`; a value beyond the float32 range is an infinity "
                  "(-1e39 masks a category)."},
  {.name = "axis", .kind = KD_PK_AXIS, .def = DEF_I(-1), .min = -KF_MAX_RANK, .max = KF_MAX_RANK - 1,
   .description = "The axis of the categories (negative counts from the end)."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = NODEF,
   .description = "The output shape: leading sample dimensions followed by the logits' batch "
                  "shape (logits without `axis`), to which it must broadcast. Absent (JAX's "
                  "None): the batch shape."},
  {.name = "replace", .kind = KD_PK_BOOL, .def = {KD_DEF_BOOL, 0, 1, NULL},
   .description = "false: the leading sample dimensions (their product at most the number of "
                  "categories) are drawn without replacement (gumbel top-k); the rest of the "
                  "shape must then be the batch shape itself."},
  P_GUMBEL_MODE,
  END,
};

static const kd_param choice_params[] = {
  P_KEY,
  {.name = "a", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_WHOLE | KD_PF_KEEP_INT, .def = NODEF,
   .description = "A number n (choose from 0..int(n)-1; int32 indices) or an array whose slices "
                  "along `axis` are chosen: int32 when every element is an integer (or an int32 "
                  "Tensor), float32 otherwise, as jnp.asarray types it."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = DEF_SHAPE0,
   .description = "The number of draws as a shape (default (), one draw). The output is shape "
                  "for an integer a, a.shape[:axis] + shape + a.shape[axis+1:] for an array."},
  {.name = "replace", .kind = KD_PK_BOOL, .def = {KD_DEF_BOOL, 0, 1, NULL},
   .description = "false: no element drawn twice (at most as many draws as inputs)."},
  {.name = "p", .kind = KD_PK_FLOAT, .flags = KD_PF_WHOLE, .def = NODEF,
   .description = "Probabilities of the inputs, a vector of a.shape[axis] values (need not sum "
                  "to 1). Absent (JAX's None): uniform."},
  {.name = "axis", .kind = KD_PK_AXIS, .def = DEF_I(0), .min = -KF_MAX_RANK, .max = KF_MAX_RANK - 1,
   .description = "The axis of an array a along which to choose."},
  P_GUMBEL_MODE,
  END,
};

static const kd_param multinomial_params[] = {
  P_KEY,
  {.name = "n", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_WHOLE, .def = NODEF,
   .description = "The number of trials, a number or an array broadcast to shape[:-1] "
                  "(jnp.broadcast_to); finite as float32."},
  {.name = "p", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_WHOLE, .def = NODEF,
   .description = "The category probabilities along the last axis (need not sum to 1), "
                  "broadcast to shape."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = NODEF,
   .description = "The output shape (batch..., categories). Absent (JAX's None): p's shape."},
  P_DTYPE_OF("multinomial"),
  END,
};

/* multivariate_normal takes mean and cov whole (their last axes are the
 * vector and the matrix, the rest batch shapes); orthogonal has integer
 * sizes only. */
static const char *const mvn_methods[] = {"cholesky", "svd", "eigh", NULL};

static const kd_param multivariate_normal_params[] = {
  P_KEY,
  {.name = "mean", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_WHOLE, .def = NODEF,
   .description = "The mean vector, an array of shape (..., n): its leading axes are a batch "
                  "shape broadcast with cov's and shape."},
  {.name = "cov", .kind = KD_PK_FLOAT, .flags = REQ | KD_PF_WHOLE, .def = NODEF,
   .description = "The covariance matrix, an array of shape (..., n, n), positive definite "
                  "(JAX factors (cov + cov^T) / 2; one that is not gives NaN rows, as JAX does)."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = NODEF,
   .description = "The batch shape (the output is shape + (n,)); mean's and cov's batch shapes "
                  "must broadcast to it. Absent (JAX's None): their broadcast."},
  P_DTYPE_OF("multivariate_normal"),
  {.name = "method", .kind = KD_PK_ENUM, .def = DEF_S("cholesky"), .values = mvn_methods,
   .jax_error = "method must be one of {'svd', 'eigh', 'cholesky'}",
   .description = "The factorisation of cov: keyfold computes 'cholesky' (JAX's default) only; "
                  "'svd' and 'eigh' are 400."},
  END,
};

static const kd_param orthogonal_params[] = {
  P_KEY,
  {.name = "n", .kind = KD_PK_INT, .flags = REQ | KD_PF_SCALAR | KD_PF_COUNT, .def = NODEF, .min = 0,
   .max = INT32_MAX, .description = "The number of rows."},
  {.name = "shape", .kind = KD_PK_SHAPE, .def = DEF_SHAPE0,
   .description = "The batch shape (default ()): the output is shape + (n, m)."},
  P_FLOAT_DTYPE("dtype argument to `normal` must be a float or complex dtype, got %s",
                KD_DT_FLOAT | KD_DT_COMPLEX),
  {.name = "m", .kind = KD_PK_INT, .flags = KD_PF_SCALAR | KD_PF_COUNT, .def = NODEF, .min = 0,
   .max = INT32_MAX,
   .description = "The number of columns. Absent (JAX's None): n. Rows are orthonormal when "
                  "n < m, columns otherwise."},
  END,
};

/* ------------------------------------------------------------------ rows */

#define ARG(s, name) kd_sample_arg((s), (name))

/* The calls that hand the row's float parameters, in order, to the
 * library's kf_random_<fn>(key, mode, n, [p, p_n, ...] out). */
#define FLOATS(name) kd_arg_floats(ARG(s, name)), ARG(s, name)->count
#define CALL0(op, fn)                                                                            \
  static int call_##op(const kd_sample *s, kf_key key, kf_threefry_mode mode) {                  \
    return kf_random_##fn(key, mode, s->n, s->out.data);                                         \
  }
#define CALL1(op, fn, a)                                                                         \
  static int call_##op(const kd_sample *s, kf_key key, kf_threefry_mode mode) {                  \
    return kf_random_##fn(key, mode, s->n, FLOATS(a), s->out.data);                              \
  }
#define CALL2(op, fn, a, b)                                                                      \
  static int call_##op(const kd_sample *s, kf_key key, kf_threefry_mode mode) {                  \
    return kf_random_##fn(key, mode, s->n, FLOATS(a), FLOATS(b), s->out.data);                   \
  }

/* bits: dtype and bit_width choose the width. */
static int prepare_bits(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  (void)max_elements;
  const kd_arg *bw = ARG(s, "bit_width"), *dt = ARG(s, "dtype");
  unsigned width = 32;
  if (bw->given) width = (unsigned)bw->n; /* one of the row's choices */
  if (dt->given) {
    const unsigned from_dtype = (unsigned)atoi(dt->s + 4); /* "uint8" ... "uint64" */
    if (bw->given && from_dtype != width)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.dtype %s and %s.bit_width %u disagree", what, dt->s,
                     what, width);
    width = from_dtype;
  }
  s->draw_bits = width;
  s->out.dtype = width == 8 ? KF_UINT8 : width == 16 ? KF_UINT16 : width == 32 ? KF_UINT32 : KF_UINT64;
  return 0;
}

static int call_bits(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  return kf_random_bits(key, mode, s->draw_bits, s->n, s->out.data);
}

CALL2(uniform, uniform_p, "minval", "maxval")
CALL0(normal, normal)
CALL2(truncated_normal, truncated_normal_p, "lower", "upper")

/* bernoulli and gumbel: a mode other than 'low' draws two 32-bit values per
 * element (shape (2,) + shape). */
static int prepare_mode(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  (void)what, (void)max_elements, (void)err;
  if (strcmp(ARG(s, "mode")->s, "low") != 0) s->draw_bits = 64;
  return 0;
}

static int call_bernoulli(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *p = ARG(s, "p");
  if (strcmp(ARG(s, "mode")->s, "high") == 0)
    return kf_random_bernoulli_high_p(key, mode, s->n, kd_arg_floats(p), p->count, s->out.data);
  return kf_random_bernoulli_p(key, mode, s->n, kd_arg_floats(p), p->count, s->out.data);
}

static int call_randint(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *lo = ARG(s, "minval"), *hi = ARG(s, "maxval");
  return kf_random_randint_p(key, mode, s->n, kd_arg_ints(lo), lo->count, kd_arg_ints(hi),
                             hi->count, s->out.data);
}

/* permutation's shape is [n]. n is a count (KD_PF_COUNT: --max-elements,
 * the tighter limit in practice, is checked first and is a 413), then at
 * most INT32_MAX: JAX sorts int32 indices. */
static int prepare_permutation(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  (void)what, (void)max_elements, (void)err;
  const int64_t v = ARG(s, "n")->n;
  kf_shape_make(&s->args.shape, 1, &v);
  s->args.n = (size_t)v;
  return 0;
}

static int call_permutation(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  return kf_random_permutation(key, mode, s->n, s->out.data);
}

/* The distributions. Those drawing more than one 32-bit value per element
 * say so in draw_bits (the legacy draw's limit applies to the whole draw). */
CALL0(exponential, exponential)

static kf_gumbel_mode gumbel_mode(const kd_sample *s) {
  kf_gumbel_mode g = KF_GUMBEL_LOW;
  kf_gumbel_mode_from_name(ARG(s, "mode")->s, &g); /* one of the row's values */
  return g;
}

static int call_gumbel(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  return kf_random_gumbel(key, mode, s->n, gumbel_mode(s), s->out.data);
}

CALL0(laplace, laplace)
CALL0(logistic, logistic)
CALL0(cauchy, cauchy)
CALL1(pareto, pareto, "b")
CALL2(weibull_min, weibull_min, "scale", "concentration")
CALL1(rayleigh, rayleigh, "scale")
CALL1(geometric, geometric, "p")

static int call_triangular(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  return kf_random_triangular(key, mode, s->n, FLOATS("left"), FLOATS("mode"), FLOATS("right"),
                              s->out.data);
}

CALL1(lognormal, lognormal, "sigma")

/* maxwell draws normal(key, shape + (3,)); double_sided_maxwell draws that
 * (with half of its key) and a rademacher of n. */
static int prepare_maxwell(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  (void)what, (void)max_elements, (void)err;
  s->draw_bits = 3 * 32;
  return 0;
}

CALL0(maxwell, maxwell)
CALL2(double_sided_maxwell, double_sided_maxwell, "loc", "scale")
CALL0(rademacher, rademacher)

/* The gamma family: the rsqrt mode after the threefry mode. Each element
 * draws its own key (split(key, n): two words per element). */
#define GCALL1(op, a)                                                                            \
  static int call_##op(const kd_sample *s, kf_key key, kf_threefry_mode mode) {                  \
    return kf_random_##op(key, mode, s->rsqrt, s->n, FLOATS(a), s->out.data);                    \
  }
#define GCALL2(op, a, b)                                                                         \
  static int call_##op(const kd_sample *s, kf_key key, kf_threefry_mode mode) {                  \
    return kf_random_##op(key, mode, s->rsqrt, s->n, FLOATS(a), FLOATS(b), s->out.data);         \
  }

static int prepare_split(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  (void)what, (void)max_elements, (void)err;
  s->draw_bits = 64;
  return 0;
}

GCALL1(gamma, "a")
GCALL1(loggamma, "a")
GCALL2(beta, "a", "b")
GCALL1(chisquare, "df")
GCALL1(t, "df")
GCALL2(f, "dfnum", "dfden")
GCALL1(generalized_normal, "p")

/* dirichlet and ball: the output is a batch shape + one more axis (k
 * concentrations, d dimensions), the rows the library draws. */
static int trailing_axis(kd_sample *s, const kf_shape *batch, int64_t last, const char *what,
                         uint64_t max_elements, kd_err *err) {
  char a[8 * 24 + 8];
  if (batch->rank >= KF_MAX_RANK)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: %s + one axis has more than %d dimensions",
                   what, kd_shape_py(batch, a, sizeof a), KF_MAX_RANK);
  int64_t dims[KF_MAX_RANK];
  for (int d = 0; d < batch->rank; d++) dims[d] = batch->dim[d];
  dims[batch->rank] = last;
  kf_shape_make(&s->args.shape, batch->rank + 1, dims);
  char field[160];
  snprintf(field, sizeof field, "%s: the shape %s", what, kd_shape_py(&s->args.shape, a, sizeof a));
  s->draw_bits = 64; /* split(key, n) */
  return kd_count_elements(dims, batch->rank + 1, max_elements, field, &s->args.n, err);
}

static size_t rows_of(const kd_sample *s) {
  size_t rows = 1;
  for (int d = 0; d + 1 < s->out.shape.rank; d++) rows *= (size_t)s->out.shape.dim[d];
  return rows;
}

/* JAX: the batch shape is alpha's leading dimensions, checked against
 * `shape` as the other samplers' parameters are. */
static int prepare_dirichlet(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  kd_arg *alpha = kd_args_get(&s->args, "alpha");
  const kf_shape full = alpha->shape;
  if (full.rank == 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.alpha: dirichlet requires alpha.ndim >= 1, got alpha.ndim == 0",
                   what);
  kf_shape_make(&alpha->shape, full.rank - 1, full.dim);
  const int rc = kd_params_shape("dirichlet", KD_SHAPE_BROADCAST, &s->args, what, max_elements, err);
  alpha->shape = full;
  if (rc != 0) return -1;
  size_t vectors = 1;
  for (int d = 0; d + 1 < full.rank; d++) vectors *= (size_t)full.dim[d];
  if (vectors != 1)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "%s.alpha: keyfold computes one concentration vector for all rows (alpha of "
                   "shape (k,)); JAX would draw each batch element with its own", what);
  const kf_shape batch = s->args.shape;
  return trailing_axis(s, &batch, full.dim[full.rank - 1], what, max_elements, err);
}

static int call_dirichlet(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *alpha = ARG(s, "alpha");
  const size_t k = (size_t)alpha->shape.dim[alpha->shape.rank - 1];
  /* alpha broadcast along the rows: its first k values */
  return kf_random_dirichlet(key, mode, s->rsqrt, rows_of(s), kd_arg_floats(alpha), k, s->out.data);
}

static int prepare_ball(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  const kf_shape batch = ARG(s, "shape")->shape;
  return trailing_axis(s, &batch, ARG(s, "d")->n, what, max_elements, err);
}

static int call_ball(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  return kf_random_ball(key, mode, s->rsqrt, rows_of(s), (size_t)ARG(s, "d")->n, ARG(s, "p")->one_f,
                        s->out.data);
}

/* poisson and binomial allocate their loops' memory in the library, as
 * permutation, categorical, choice and multinomial do (KD_OP_ALLOCATES):
 * their draw can fail after the key is taken (kd_sample_draw reports it). */
CALL1(wald, wald, "mean")
CALL1(poisson, poisson, "lam")
CALL2(binomial, binomial, "n", "p")

/* ---- categorical, choice, multinomial: whole-array parameters ---------- */

/* The row's "axis" in [-rank, rank) made its index (kept in the argument, so
 * that the call reads it as is), or JAX's (numpy's) AxisError. */
static int canonical_axis(kd_sample *s, int rank, const char *what, int *out, kd_err *err) {
  kd_arg *arg = kd_args_get(&s->args, "axis");
  if (arg->n < -rank || arg->n >= rank)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.axis: axis %lld is out of bounds for array of dimension %d",
                   what, (long long)arg->n, rank);
  if (arg->n < 0) arg->n += rank;
  *out = (int)arg->n;
  return 0;
}

/* The elements a draw of `count` values takes, against --max-elements: the
 * library's loops hold it in memory. */
static int check_working_set(size_t count, uint64_t max_elements, const char *what, const char *field,
                             kd_err *err) {
  if ((uint64_t)count > max_elements)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s.%s: the draw takes %zu elements, more than "
                   "--max-elements (%llu)", what, field, count, (unsigned long long)max_elements);
  return 0;
}

/* JAX: batch = logits' shape without the axis; shape (default batch) must
 * broadcast with it to itself; its leading dimensions are sample
 * dimensions. The logits are broadcast to the shape's batch part (with the
 * axis back in) for the library, which draws gumbel(prefix + that). */
static int prepare_categorical(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  kd_arg *logits = kd_args_get(&s->args, "logits");
  const kf_shape full = logits->shape;
  int axis = 0;
  if (full.rank == 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.logits: categorical needs logits with at least one "
                   "dimension (the categories), got a scalar", what);
  if (canonical_axis(s, full.rank, what, &axis, err) != 0) return -1;
  const int64_t k = full.dim[axis];
  int64_t dims[KF_MAX_RANK];
  int r = 0;
  for (int d = 0; d < full.rank; d++)
    if (d != axis) dims[r++] = full.dim[d];
  kf_shape batch_shape;
  kf_shape_make(&batch_shape, r, dims);
  const kd_arg *shape = ARG(s, "shape");
  if (shape->given && kd_shape_check_all("categorical", &shape->shape, &batch_shape, 1, what, err) != 0)
    return -1;
  const kf_shape out = shape->given ? shape->shape : batch_shape;
  s->args.shape = out;
  if (kd_count_elements(out.dim, out.rank, max_elements, what, &s->args.n, err) != 0) return -1;
  const int prefix_rank = out.rank - r;
  size_t prefix = 1;
  for (int d = 0; d < prefix_rank; d++) prefix *= (size_t)out.dim[d];
  if (k == 0 && s->args.n > 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.logits: categorical needs at least one category "
                   "along axis %d", what, axis);
  const int replace = ARG(s, "replace")->n != 0;
  /* the logits as the library takes them: out's batch dims with k at axis */
  kf_shape target;
  for (int d = 0, b = prefix_rank; d < full.rank; d++) dims[d] = d == axis ? k : out.dim[b++];
  kf_shape_make(&target, full.rank, dims);
  if (!replace) {
    for (int d = 0; d < r; d++)
      if (out.dim[prefix_rank + d] != batch_shape.dim[d])
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: without replacement the shape must be "
                       "sample dimensions followed by the logits' batch shape itself (JAX cannot "
                       "reshape its top_k otherwise)", what);
    if (prefix > (size_t)k)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: Number of samples without replacement (%zu) "
                     "cannot exceed number of categories (%lld).", what, prefix, (long long)k);
  }
  size_t batch = 1;
  for (int d = prefix_rank; d < out.rank; d++) batch *= (size_t)out.dim[d];
  const size_t gumbels = (replace ? prefix : 1) * batch * (size_t)k;
  if (check_working_set(gumbels, max_elements, what, "shape", err) != 0) return -1;
  if (kd_arg_broadcast_to(&s->args.params[logits - s->args.a], logits, &target, what, err) != 0) return -1;
  if (strcmp(ARG(s, "mode")->s, "low") != 0) s->draw_bits = 64;
  return 0;
}

static int call_categorical(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *logits = ARG(s, "logits");
  const int axis = (int)ARG(s, "axis")->n; /* made canonical by prepare */
  size_t outer = 1, inner = 1;
  for (int d = 0; d < logits->shape.rank; d++) {
    if (d < axis) outer *= (size_t)logits->shape.dim[d];
    if (d > axis) inner *= (size_t)logits->shape.dim[d];
  }
  const size_t k = (size_t)logits->shape.dim[axis];
  if (s->n == 0) return KF_OK;
  kf_gumbel_mode gm = KF_GUMBEL_LOW;
  kf_gumbel_mode_from_name(ARG(s, "mode")->s, &gm);
  return kf_random_categorical(key, mode, kd_arg_floats(logits), outer, k, inner, s->n / (outer * inner),
                               ARG(s, "replace")->n != 0, gm, s->out.data);
}

/* JAX: n_inputs = a (an integer) or a.shape[axis]; p, if given, exactly
 * (n_inputs,); the output is shape, or a's shape with `axis` replaced by
 * shape for an array a. */
static int prepare_choice(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  kd_arg *a = kd_args_get(&s->args, "a");
  const kd_arg *p = ARG(s, "p");
  const kf_shape draws = ARG(s, "shape")->shape;
  int axis = 0;
  int64_t n_inputs;
  if (a->shape.rank == 0) {
    /* JAX: int(a), toward zero for a float; kept as that integer for the call */
    if (!a->is_int) {
      const float v = a->one_f;
      a->one_i = v > (float)INT32_MAX ? INT32_MAX : (int64_t)v;
      a->is_int = 1;
    }
    n_inputs = a->one_i;
  } else {
    s->out.dtype = a->is_int ? KF_INT32 : KF_FLOAT32;
    if (canonical_axis(s, a->shape.rank, what, &axis, err) != 0) return -1;
    n_inputs = a->shape.dim[axis];
  }
  size_t n_draws = 1;
  for (int d = 0; d < draws.rank; d++) n_draws *= (size_t)draws.dim[d];
  int64_t dims[KF_MAX_RANK];
  int rank = 0;
  if (a->shape.rank == 0 || n_draws == 0) {
    s->args.shape = draws; /* JAX returns zeros(shape) for no draws */
  } else {
    if (a->shape.rank - 1 + draws.rank > KF_MAX_RANK)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: the output would have more than %d dimensions",
                     what, KF_MAX_RANK);
    for (int d = 0; d < axis; d++) dims[rank++] = a->shape.dim[d];
    for (int d = 0; d < draws.rank; d++) dims[rank++] = draws.dim[d];
    for (int d = axis + 1; d < a->shape.rank; d++) dims[rank++] = a->shape.dim[d];
    kf_shape_make(&s->args.shape, rank, dims);
  }
  if (kd_count_elements(s->args.shape.dim, s->args.shape.rank, max_elements, what, &s->args.n, err) != 0)
    return -1;
  if (n_draws == 0) return 0;
  if (n_inputs <= 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.a: a must be greater than 0 unless no samples are taken",
                   what);
  const int replace = ARG(s, "replace")->n != 0;
  if (!replace && n_draws > (uint64_t)n_inputs)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: Cannot take a larger sample (size %zu) than "
                   "population (size %lld) when 'replace=False'", what, n_draws, (long long)n_inputs);
  if (p->given && (p->shape.rank != 1 || p->shape.dim[0] != n_inputs)) {
    char shown[8 * 24 + 8];
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.p: p must be None or a 1D vector with the same size as "
                   "a.shape[axis]. p has shape %s and a.shape[axis] is %lld.", what,
                   kd_shape_py(&p->shape, shown, sizeof shown), (long long)n_inputs);
  }
  /* without replacement the library permutes or ranks all n_inputs */
  if (check_working_set(replace ? n_draws : (size_t)n_inputs, max_elements, what, "a", err) != 0) return -1;
  /* the gumbel draw (p without replacement) in a mode of two words each */
  if (p->given && !replace && strcmp(ARG(s, "mode")->s, "low") != 0) s->draw_bits = 64;
  /* indices first, then (an array a) the gathered slices */
  if (a->shape.rank > 0 && !(s->scratch = malloc(n_draws * sizeof(int32_t))))
    return kd_fail(err, KD_UNAVAILABLE, "%s: out of memory for %zu indices", what, n_draws);
  return 0;
}

static int call_choice(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *a = ARG(s, "a"), *p = ARG(s, "p");
  const kf_shape draws = ARG(s, "shape")->shape;
  size_t n_draws = 1;
  for (int d = 0; d < draws.rank; d++) n_draws *= (size_t)draws.dim[d];
  int32_t *out = s->out.data;
  if (n_draws == 0) {
    memset(out, 0, s->n * sizeof *out);
    return KF_OK;
  }
  kf_gumbel_mode gm = KF_GUMBEL_LOW;
  kf_gumbel_mode_from_name(ARG(s, "mode")->s, &gm);
  const int replace = ARG(s, "replace")->n != 0;
  const float *pv = p->given ? kd_arg_floats(p) : NULL;
  if (a->shape.rank == 0) return kf_random_choice(key, mode, (size_t)a->one_i, n_draws, replace, pv, gm, out);
  const int axis = (int)ARG(s, "axis")->n; /* made canonical by prepare */
  int32_t *idx = s->scratch;
  const int rc = kf_random_choice(key, mode, (size_t)a->shape.dim[axis], n_draws, replace, pv, gm, idx);
  if (rc != KF_OK) return rc;
  /* jnp.take(a, idx, axis): out[o, d, i] = a[o, idx[d], i] */
  size_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= (size_t)a->shape.dim[d];
  for (int d = axis + 1; d < a->shape.rank; d++) inner *= (size_t)a->shape.dim[d];
  const size_t k = (size_t)a->shape.dim[axis];
  for (size_t o = 0; o < outer; o++)
    for (size_t d = 0; d < n_draws; d++)
      for (size_t i = 0; i < inner; i++) {
        const size_t from = (o * k + (size_t)idx[d]) * inner + i, to = (o * n_draws + d) * inner + i;
        if (a->is_int)
          out[to] = (int32_t)kd_arg_ints(a)[from];
        else
          ((float *)s->out.data)[to] = kd_arg_floats(a)[from];
      }
  return KF_OK;
}

/* JAX: shape (default p's) ends with the categories; n broadcast_to
 * shape[:-1], p broadcast_to shape. */
static int prepare_multinomial(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  kd_arg *n = kd_args_get(&s->args, "n"), *p = kd_args_get(&s->args, "p");
  const kd_arg *shape = ARG(s, "shape");
  const kf_shape out = shape->given ? shape->shape : p->shape;
  if (out.rank == 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.%s: multinomial needs a shape with the categories as "
                   "its last axis, got ()", what, shape->given ? "shape" : "p");
  s->args.shape = out;
  if (kd_count_elements(out.dim, out.rank, max_elements, what, &s->args.n, err) != 0) return -1;
  kf_shape batch;
  kf_shape_make(&batch, out.rank - 1, out.dim);
  const kd_param *params = s->args.params;
  if (kd_arg_broadcast_to(&params[n - s->args.a], n, &batch, what, err) != 0) return -1;
  if (kd_arg_broadcast_to(&params[p - s->args.a], p, &out, what, err) != 0) return -1;
  s->draw_bits = 64; /* split(key, k) */
  return 0;
}

static int call_multinomial(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *n = ARG(s, "n"), *p = ARG(s, "p");
  const size_t k = (size_t)s->out.shape.dim[s->out.shape.rank - 1];
  if (s->n == 0) return KF_OK;
  return kf_random_multinomial(key, mode, s->n / k, k, kd_arg_floats(n), n->count, kd_arg_floats(p),
                               p->count, s->out.data);
}

/* ---- multivariate_normal, orthogonal (the library's linalg.c) ----------- */

/* s->args.shape := batch + (a, b) (b < 0: batch + (a,)), counted against
 * --max-elements. */
static int batch_plus(kd_sample *s, const kf_shape *batch, int64_t a, int64_t b, const char *what,
                      uint64_t max_elements, kd_err *err) {
  const int extra = b < 0 ? 1 : 2;
  char shown[8 * 24 + 8];
  if (batch->rank + extra > KF_MAX_RANK)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.shape: the output, %s + %d axes, would have more than "
                   "%d dimensions", what, kd_shape_py(batch, shown, sizeof shown), extra, KF_MAX_RANK);
  int64_t dims[KF_MAX_RANK];
  for (int d = 0; d < batch->rank; d++) dims[d] = batch->dim[d];
  dims[batch->rank] = a;
  if (b >= 0) dims[batch->rank + 1] = b;
  kf_shape_make(&s->args.shape, batch->rank + extra, dims);
  s->draw_bits = 32; /* normal(key, shape): one 32-bit draw per value */
  return kd_count_elements(dims, batch->rank + extra, max_elements, what, &s->args.n, err);
}

/* JAX: mean (..., n) and cov (..., n, n) with its errors; the batch shape is
 * `shape` (checked as _check_shape("normal", shape, mean.shape[:-1],
 * cov.shape[:-2]) does) or the broadcast of the two batch shapes. mean and
 * cov stay one row / one matrix when that is all they hold, else are
 * broadcast to the batch. */
static int prepare_multivariate_normal(kd_sample *s, const char *what, uint64_t max_elements,
                                       kd_err *err) {
  kd_arg *mean = kd_args_get(&s->args, "mean"), *cov = kd_args_get(&s->args, "cov");
  const kd_arg *shape = ARG(s, "shape");
  char shown[8 * 24 + 8];
  if (mean->shape.rank < 1)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.mean: multivariate_normal requires mean.ndim >= 1, got "
                   "mean.ndim == %d", what, mean->shape.rank);
  if (cov->shape.rank < 2)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.cov: multivariate_normal requires cov.ndim >= 2, got "
                   "cov.ndim == %d", what, cov->shape.rank);
  const int64_t n = mean->shape.dim[mean->shape.rank - 1];
  if (cov->shape.dim[cov->shape.rank - 2] != n || cov->shape.dim[cov->shape.rank - 1] != n)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.cov: multivariate_normal requires cov.shape == (..., n, n) "
                   "for n=%lld, but got cov.shape == %s.", what, (long long)n,
                   kd_shape_py(&cov->shape, shown, sizeof shown));
  if (strcmp(ARG(s, "method")->s, "cholesky") != 0)
    return kd_fail(err, KD_INVALID_ARGUMENT, "%s.method: keyfold computes method='cholesky' only; svd and "
                   "eigh depend on LAPACK's eigenvector signs", what);
  kf_shape batches[2], batch;
  kf_shape_make(&batches[0], mean->shape.rank - 1, mean->shape.dim);
  kf_shape_make(&batches[1], cov->shape.rank - 2, cov->shape.dim);
  if (shape->given) {
    if (kd_shape_check_all("normal", &shape->shape, batches, 2, what, err) != 0) return -1;
    batch = shape->shape;
  } else if (kd_shape_broadcast_all(batches, 2, what, "cov", &batch, err) != 0) {
    return -1;
  }
  if (batch_plus(s, &batch, n, -1, what, max_elements, err) != 0) return -1;
  const size_t rows = n ? s->args.n / (size_t)n : 0;
  const kd_param *params = s->args.params;
  if (mean->count != (size_t)n && kd_arg_broadcast_to(&params[mean - s->args.a], mean, &s->args.shape, what, err) != 0)
    return -1;
  if (cov->count != (size_t)(n * n)) { /* one matrix per batch row: batch + (n, n) */
    if (batch.rank + 2 > KF_MAX_RANK)
      return kd_fail(err, KD_INVALID_ARGUMENT, "%s.cov: keyfold broadcasts cov to the batch shape %s + "
                     "(n, n), more than %d dimensions", what, kd_shape_py(&batch, shown, sizeof shown),
                     KF_MAX_RANK);
    if (check_working_set(rows * (size_t)n * (size_t)n, max_elements, what, "cov", err) != 0) return -1;
    int64_t dims[KF_MAX_RANK];
    for (int d = 0; d < batch.rank; d++) dims[d] = batch.dim[d];
    dims[batch.rank] = dims[batch.rank + 1] = n;
    kf_shape target;
    kf_shape_make(&target, batch.rank + 2, dims);
    if (kd_arg_broadcast_to(&params[cov - s->args.a], cov, &target, what, err) != 0) return -1;
  }
  return 0;
}

static int call_multivariate_normal(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const kd_arg *mean = ARG(s, "mean"), *cov = ARG(s, "cov");
  const size_t n = (size_t)s->out.shape.dim[s->out.shape.rank - 1];
  if (s->n == 0) return KF_OK;
  return kf_random_multivariate_normal(key, mode, KF_MVN_CHOLESKY, rows_of(s), n, kd_arg_floats(mean),
                                       mean->count, kd_arg_floats(cov), cov->count, s->out.data);
}

/* JAX: shape + (n, m), m defaulting to n. */
static int prepare_orthogonal(kd_sample *s, const char *what, uint64_t max_elements, kd_err *err) {
  const kd_arg *m = ARG(s, "m");
  const int64_t n = ARG(s, "n")->n;
  return batch_plus(s, &ARG(s, "shape")->shape, n, m->given ? m->n : n, what, max_elements, err);
}

static int call_orthogonal(const kd_sample *s, kf_key key, kf_threefry_mode mode) {
  const int r = s->out.shape.rank;
  size_t batch = 1;
  for (int d = 0; d + 2 < r; d++) batch *= (size_t)s->out.shape.dim[d];
  return kf_random_orthogonal(key, mode, batch, (size_t)s->out.shape.dim[r - 2],
                              (size_t)s->out.shape.dim[r - 1], s->out.data);
}

#define RS (KD_OP_RANDOM | KD_OP_SESSION | KD_OP_TENSOR)

static const kd_op ops[] = {
  {"key", KD_OP_KEY, key_params, KD_OP_RANDOM, KD_SHAPE_OWN, KF_UINT32, NULL, NULL,
   "jax.random.key(seed): a key from a seed", NULL},
  {"fold_in", KD_OP_FOLD_IN, fold_in_params, KD_OP_RANDOM, KD_SHAPE_OWN, KF_UINT32, NULL, NULL,
   "jax.random.fold_in(key, data)", NULL},
  {"split", KD_OP_SPLIT, split_params, KD_OP_RANDOM, KD_SHAPE_OWN, KF_UINT32, NULL, NULL,
   "jax.random.split(key, num)", NULL},
  {"bits", KD_OP_SAMPLER, bits_params, RS, KD_SHAPE_SCALAR, KF_UINT32, prepare_bits, call_bits,
   "jax.random.bits(key, shape, dtype)", NULL},
  {"uniform", KD_OP_SAMPLER, uniform_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, NULL, call_uniform,
   "jax.random.uniform(key, shape, dtype, minval, maxval)", NULL},
  {"normal", KD_OP_SAMPLER, normal_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, NULL, call_normal,
   "jax.random.normal(key, shape, dtype)", NULL},
  {"truncated_normal", KD_OP_SAMPLER, truncated_normal_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32,
   NULL, call_truncated_normal, "jax.random.truncated_normal(key, lower, upper, shape, dtype)", NULL},
  {"bernoulli", KD_OP_SAMPLER, bernoulli_params, RS, KD_SHAPE_BROADCAST, KF_BOOL, prepare_mode,
   call_bernoulli, "jax.random.bernoulli(key, p, shape, mode)", NULL},
  {"randint", KD_OP_SAMPLER, randint_params, RS, KD_SHAPE_BROADCAST, KF_INT32, NULL, call_randint,
   "jax.random.randint(key, shape, minval, maxval, dtype)", NULL},
  {"permutation", KD_OP_SAMPLER, permutation_params, RS | KD_OP_ALLOCATES, KD_SHAPE_OWN,
   KF_INT32, prepare_permutation, call_permutation, "jax.random.permutation(key, n)", NULL},
  {"exponential", KD_OP_SAMPLER, exponential_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, NULL,
   call_exponential, "jax.random.exponential(key, shape, dtype)", NULL},
  {"gumbel", KD_OP_SAMPLER, gumbel_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, prepare_mode,
   call_gumbel, "jax.random.gumbel(key, shape, dtype, mode)", NULL},
  {"laplace", KD_OP_SAMPLER, laplace_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, NULL, call_laplace,
   "jax.random.laplace(key, shape, dtype)", NULL},
  {"logistic", KD_OP_SAMPLER, logistic_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, NULL, call_logistic,
   "jax.random.logistic(key, shape, dtype)", NULL},
  {"cauchy", KD_OP_SAMPLER, cauchy_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, NULL, call_cauchy,
   "jax.random.cauchy(key, shape, dtype)", NULL},
  {"pareto", KD_OP_SAMPLER, pareto_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, NULL, call_pareto,
   "jax.random.pareto(key, b, shape, dtype)", NULL},
  {"weibull_min", KD_OP_SAMPLER, weibull_min_params, RS, KD_SHAPE_OUTER, KF_FLOAT32, NULL,
   call_weibull_min, "jax.random.weibull_min(key, scale, concentration, shape, dtype)", NULL},
  {"rayleigh", KD_OP_SAMPLER, rayleigh_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, NULL,
   call_rayleigh, "jax.random.rayleigh(key, scale, shape, dtype)", NULL},
  {"geometric", KD_OP_SAMPLER, geometric_params, RS, KD_SHAPE_BROADCAST, KF_INT32, NULL,
   call_geometric, "jax.random.geometric(key, p, shape, dtype)", NULL},
  {"triangular", KD_OP_SAMPLER, triangular_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, NULL,
   call_triangular, "jax.random.triangular(key, left, mode, right, shape, dtype)", NULL},
  {"lognormal", KD_OP_SAMPLER, lognormal_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, NULL,
   call_lognormal, "jax.random.lognormal(key, sigma, shape, dtype)", NULL},
  {"maxwell", KD_OP_SAMPLER, maxwell_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32, prepare_maxwell,
   call_maxwell, "jax.random.maxwell(key, shape, dtype)", NULL},
  {"double_sided_maxwell", KD_OP_SAMPLER, double_sided_maxwell_params, RS, KD_SHAPE_CONCAT,
   KF_FLOAT32, prepare_maxwell, call_double_sided_maxwell,
   "jax.random.double_sided_maxwell(key, loc, scale, shape, dtype)", NULL},
  {"rademacher", KD_OP_SAMPLER, rademacher_params, RS, KD_SHAPE_SCALAR, KF_INT32, NULL,
   call_rademacher, "jax.random.rademacher(key, shape, dtype)", NULL},
  {"gamma", KD_OP_SAMPLER, gamma_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, prepare_split,
   call_gamma, "jax.random.gamma(key, a, shape, dtype)", NULL},
  {"loggamma", KD_OP_SAMPLER, loggamma_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, prepare_split,
   call_loggamma, "jax.random.loggamma(key, a, shape, dtype)", "gamma"},
  {"beta", KD_OP_SAMPLER, beta_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, prepare_split,
   call_beta, "jax.random.beta(key, a, b, shape, dtype)", NULL},
  {"chisquare", KD_OP_SAMPLER, chisquare_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, prepare_split,
   call_chisquare, "jax.random.chisquare(key, df, shape, dtype)", NULL},
  {"t", KD_OP_SAMPLER, t_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, prepare_split, call_t,
   "jax.random.t(key, df, shape, dtype)", NULL},
  {"f", KD_OP_SAMPLER, f_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32, prepare_split, call_f,
   "jax.random.f(key, dfnum, dfden, shape, dtype)", NULL},
  {"generalized_normal", KD_OP_SAMPLER, generalized_normal_params, RS, KD_SHAPE_SCALAR, KF_FLOAT32,
   prepare_split, call_generalized_normal, "jax.random.generalized_normal(key, p, shape, dtype)",
   "gamma"},
  {"dirichlet", KD_OP_SAMPLER, dirichlet_params, RS, KD_SHAPE_OWN, KF_FLOAT32, prepare_dirichlet,
   call_dirichlet, "jax.random.dirichlet(key, alpha, shape, dtype)", NULL},
  {"ball", KD_OP_SAMPLER, ball_params, RS, KD_SHAPE_OWN, KF_FLOAT32, prepare_ball, call_ball,
   "jax.random.ball(key, d, p, shape, dtype)", NULL},
  {"wald", KD_OP_SAMPLER, wald_params, RS, KD_SHAPE_BROADCAST, KF_FLOAT32,
   NULL, call_wald, "jax.random.wald(key, mean, shape, dtype)", NULL},
  {"poisson", KD_OP_SAMPLER, poisson_params, RS | KD_OP_ALLOCATES, KD_SHAPE_TO, KF_INT32,
   NULL, call_poisson, "jax.random.poisson(key, lam, shape, dtype)", NULL},
  {"binomial", KD_OP_SAMPLER, binomial_params, RS | KD_OP_ALLOCATES, KD_SHAPE_BROADCAST,
   KF_FLOAT32, NULL, call_binomial, "jax.random.binomial(key, n, p, shape, dtype)", NULL},
  {"categorical", KD_OP_SAMPLER, categorical_params, RS | KD_OP_ALLOCATES, KD_SHAPE_OWN, KF_INT32, prepare_categorical,
   call_categorical, "jax.random.categorical(key, logits, axis, shape, replace, mode)", NULL},
  {"choice", KD_OP_SAMPLER, choice_params, RS | KD_OP_ALLOCATES, KD_SHAPE_OWN, KF_INT32, prepare_choice, call_choice,
   "jax.random.choice(key, a, shape, replace, p, axis, mode)", NULL},
  {"multinomial", KD_OP_SAMPLER, multinomial_params, RS | KD_OP_ALLOCATES, KD_SHAPE_OWN, KF_FLOAT32, prepare_multinomial,
   call_multinomial, "jax.random.multinomial(key, n, p, shape, dtype)", NULL},
  {"multivariate_normal", KD_OP_SAMPLER, multivariate_normal_params, RS | KD_OP_ALLOCATES, KD_SHAPE_OWN,
   KF_FLOAT32,
   prepare_multivariate_normal, call_multivariate_normal,
   "jax.random.multivariate_normal(key, mean, cov, shape, dtype, method)", NULL},
  {"orthogonal", KD_OP_SAMPLER, orthogonal_params, RS | KD_OP_ALLOCATES, KD_SHAPE_OWN, KF_FLOAT32,
   prepare_orthogonal,
   call_orthogonal, "jax.random.orthogonal(key, n, shape, dtype, m)", NULL},
};
#define OP_COUNT (sizeof ops / sizeof ops[0])

size_t kd_op_count(void) { return OP_COUNT; }

const kd_op *kd_op_at(size_t i) { return i < OP_COUNT ? &ops[i] : NULL; }

const kd_op *kd_op_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < OP_COUNT; i++)
    if (strcmp(ops[i].name, name) == 0) return &ops[i];
  return NULL;
}

const char *kd_op_names(unsigned flags, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < OP_COUNT; i++) {
    if ((ops[i].flags & flags) != flags) continue;
    const int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", ops[i].name);
    if (w < 0 || (size_t)w >= size - len) break;
    len += (size_t)w;
  }
  return buf;
}

void kd_op_write(kd_jw *w, const kd_op *op) {
  kd_jw_object_begin(w);
  kd_jw_key(w, "name");
  kd_jw_string(w, op->name);
  kd_jw_key(w, "summary");
  kd_jw_string(w, op->summary);
  kd_jw_key(w, "random");
  kd_jw_bool(w, (op->flags & KD_OP_RANDOM) != 0);
  kd_jw_key(w, "session_sample");
  kd_jw_bool(w, (op->flags & KD_OP_SESSION) != 0);
  kd_jw_key(w, "tensor");
  kd_jw_bool(w, (op->flags & KD_OP_TENSOR) != 0);
  kd_jw_key(w, "dtype");
  if (op->cls == KD_OP_SAMPLER)
    kd_jw_string(w, kf_dtype_name(op->dtype));
  else
    kd_jw_null(w);
  kd_jw_key(w, "shape");
  kd_jw_string(w, kd_shape_rule_name(op->shape));
  kd_jw_key(w, "params");
  kd_jw_array_begin(w);
  for (const kd_param *p = op->params; p->name; p++) kd_param_write(w, p);
  kd_jw_array_end(w);
  kd_jw_object_end(w);
}

/* ------------------------------------------------------------- sampling */

/* Legacy threefry hashes a whole draw in one call of at most 2^32 - 2 words
 * (JAX would split the key into blocks beyond that; the library refuses).
 * prepare does not know the mode, so it applies the limit in both modes:
 * the same request is then valid or not whatever the mode, and fill never
 * meets KF_EOVERFLOW. `word_bits` is the width of one element's draw. */
static int check_draw_size(size_t n, unsigned word_bits, const char *what, const char *field,
                           kd_err *err) {
  const uint64_t words = ((uint64_t)word_bits * (uint64_t)n + 31u) / 32u;
  if ((uint64_t)n > KF_MAX_ELEMENTS || words >= 0xFFFFFFFFull)
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE,
                   "%s.%s: %zu elements of %u bits are more than one draw can hold "
                   "(4294967294 threefry words)",
                   what, field, n, word_bits);
  return 0;
}

/* KD_SHAPE_OUTER with a draw smaller than the output: the output is R
 * replicas of the draw (R = n / draw_n), each element j at draw index d(j)
 * of replica r(j). fill runs the row's call once per replica, on a draw of
 * draw_n elements with that replica's parameters gathered, and scatters the
 * result. scratch holds order[r * draw_n + d] = j, the replica's output,
 * then each array parameter's gathered values. */
typedef struct outer_layout {
  size_t *order;
  void *out;
  size_t gathered_at[KD_MAX_PARAMS]; /* byte offsets into scratch; 0 for single values */
} outer_layout;

static size_t param_size(const kd_param *p) {
  return p->kind == KD_PK_INT ? sizeof(int64_t) : sizeof(float);
}

static size_t align8(size_t x) { return (x + 7u) & ~(size_t)7u; }

static outer_layout outer_layout_of(const kd_sample *s, size_t *total) {
  outer_layout l = {NULL, NULL, {0}};
  const size_t n = s->args.n, dn = s->args.draw_n;
  size_t at = align8(n * sizeof(size_t));
  const size_t out_at = at;
  at += align8(dn * kf_dtype_size(s->out.dtype));
  for (size_t i = 0; i < s->args.count; i++) {
    if (!kd_param_broadcasts(&s->args.params[i]) || s->args.a[i].count == 1) continue;
    l.gathered_at[i] = at;
    at += align8(dn * param_size(&s->args.params[i]));
  }
  if (s->scratch) {
    l.order = s->scratch;
    l.out = (char *)s->scratch + out_at;
  }
  *total = at;
  return l;
}

static int outer_prepare(kd_sample *s, const char *what, kd_err *err) {
  size_t total;
  outer_layout_of(s, &total);
  if (!(s->scratch = malloc(total)))
    return kd_fail(err, KD_UNAVAILABLE, "%s: out of memory for %zu elements", what, s->args.n);
  const outer_layout l = outer_layout_of(s, &total);
  /* The draw's shape is right-aligned in the output's, each of its
   * dimensions equal to the output's or 1 (a replica dimension). */
  const kf_shape *o = &s->args.shape, *d = &s->args.draw_shape;
  size_t idx[KF_MAX_RANK] = {0}, dstride[KF_MAX_RANK], rstride[KF_MAX_RANK];
  size_t ds = 1, rs = 1;
  for (int k = o->rank - 1; k >= 0; k--) {
    const int dk = k - (o->rank - d->rank);
    const int in_draw = dk >= 0 && d->dim[dk] == o->dim[k];
    dstride[k] = in_draw ? ds : 0;
    rstride[k] = in_draw ? 0 : rs;
    if (in_draw)
      ds *= (size_t)o->dim[k];
    else
      rs *= (size_t)o->dim[k];
  }
  for (size_t j = 0; j < s->args.n; j++) {
    size_t dj = 0, rj = 0;
    for (int k = 0; k < o->rank; k++) {
      dj += idx[k] * dstride[k];
      rj += idx[k] * rstride[k];
    }
    l.order[rj * s->args.draw_n + dj] = j;
    for (int k = o->rank - 1; k >= 0; k--) {
      if (++idx[k] < (size_t)o->dim[k]) break;
      idx[k] = 0;
    }
  }
  return 0;
}

static int outer_fill(kd_sample *s, kf_key key, kf_threefry_mode mode) {
  size_t total;
  const outer_layout l = outer_layout_of(s, &total);
  const size_t dn = s->args.draw_n, replicas = s->args.n / dn;
  const size_t size = kf_dtype_size(s->out.dtype);
  kd_sample view = *s;
  view.n = dn;
  view.out.data = l.out;
  for (size_t i = 0; i < s->args.count; i++)
    if (l.gathered_at[i]) {
      view.args.a[i].owned = (char *)s->scratch + l.gathered_at[i];
      view.args.a[i].count = dn;
    }
  for (size_t r = 0; r < replicas; r++) {
    const size_t *order = l.order + r * dn;
    for (size_t i = 0; i < s->args.count; i++) {
      if (!l.gathered_at[i]) continue;
      const size_t ps = param_size(&s->args.params[i]);
      for (size_t t = 0; t < dn; t++)
        memcpy((char *)view.args.a[i].owned + t * ps, (const char *)s->args.a[i].owned + order[t] * ps, ps);
    }
    const int rc = s->op->call(&view, key, mode);
    if (rc != KF_OK) return rc;
    for (size_t t = 0; t < dn; t++)
      memcpy((char *)s->out.data + order[t] * size, (const char *)l.out + t * size, size);
  }
  return KF_OK;
}

/* The row's call, or, for an output larger than its draw, one per replica. */
static int run_call(kd_sample *s, kf_key key, kf_threefry_mode mode) {
  if (s->scratch && s->op->shape == KD_SHAPE_OUTER) return outer_fill(s, key, mode);
  return s->op->call(s, key, mode);
}

void kd_sample_default_rsqrt(kd_sample *s, kf_rsqrt_mode mode) {
  const kd_arg *r = kd_sample_arg(s, "rsqrt");
  if (r && !r->given) s->rsqrt = mode;
}

const kd_arg *kd_sample_arg(const kd_sample *s, const char *name) {
  return kd_args_cget(&s->args, name);
}

int kd_sample_prepare(const kd_op *op, const json_t *body, const char *what, unsigned how,
                      const char *const *extra, uint64_t max_elements, kd_sample *out,
                      kd_err *err) {
  kd_sample smp;
  memset(&smp, 0, sizeof smp);
  smp.op = op;
  smp.out.dtype = op->dtype;
  smp.draw_bits = 32;
  if (kd_params_decode(op->params, body, what, how, extra, max_elements, &smp.args, err) != 0)
    return -1;
  if (op->cls != KD_OP_SAMPLER) {
    *out = smp;
    return 0;
  }
  const char *field = op->shape == KD_SHAPE_OWN ? "n" : "shape";
  int rc = 0;
  const kd_arg *rsqrt = kd_args_cget(&smp.args, "rsqrt");
  smp.rsqrt = KF_RSQRT_INTEL_NR2;
  if (rsqrt) kf_rsqrt_mode_from_name(rsqrt->s, &smp.rsqrt); /* one of the row's values */
  if (op->shape != KD_SHAPE_OWN)
    rc = kd_params_shape(op->check_as ? op->check_as : op->name, op->shape, &smp.args, what,
                         max_elements, err);
  if (rc == 0 && op->prepare) rc = op->prepare(&smp, what, max_elements, err);
  if (op->shape == KD_SHAPE_OWN) {
    smp.args.draw_shape = smp.args.shape;
    smp.args.draw_n = smp.args.n;
  }
  const size_t n = smp.args.n;
  if (rc == 0) rc = check_draw_size(smp.args.draw_n, smp.draw_bits, what, field, err);
  const size_t size = kf_dtype_size(smp.out.dtype);
  if (rc == 0 && n > SIZE_MAX / size)
    rc = kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s.%s: %zu elements do not fit in memory", what, field, n);
  if (rc == 0) rc = kd_params_broadcast(&smp.args, what, err);
  /* One byte for an empty draw, so that a NULL data always means failure. */
  if (rc == 0 && !(smp.out.data = malloc(n ? n * size : 1)))
    rc = kd_fail(err, KD_UNAVAILABLE, "%s: out of memory for %zu elements", what, n);
  if (rc == 0 && n > 0 && smp.args.draw_n != n) rc = outer_prepare(&smp, what, err);
  if (rc != 0) {
    free(smp.out.data);
    free(smp.scratch);
    kd_args_free(&smp.args);
    return -1;
  }
  smp.out.shape = smp.args.shape;
  smp.n = n;
  *out = smp;
  return 0;
}

int kd_sample_draw(kd_sample *sample, kf_key key, kf_threefry_mode mode, kd_err *err) {
  const int rc = run_call(sample, key, mode);
  if (rc != KF_OK) return kd_fail_kf(err, rc, sample->op->name);
  return 0;
}

void kd_sample_free(kd_sample *sample) {
  free(sample->out.data);
  sample->out.data = NULL;
  free(sample->scratch);
  sample->scratch = NULL;
  sample->n = 0;
  kd_args_free(&sample->args);
}
