/* keyfold — building NNX models: layer specs, validation, parameter draws
 * (flax-nnx.md §3–§5; Flax 0.9–0.10 and, by the Rngs' era, >= 0.11). */
#include <ctype.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "einsum.h"
#include "keyfold/error.h"
#include "keyfold/init.h"
#include "keyfold/nn.h"
#include "keyfold/rngs.h"
#include "keyfold/tensor.h"
#include "model.h"
#include "names.h"

/* Bounds the work kf_model_check does for one call; far beyond any model the
 * HTTP API is meant to build. MAX_LAYERS bounds the caller's array,
 * MAX_NODES the tree once repeats are expanded. */
#define MAX_LAYERS 1024
#define MAX_NODES 4096

/* Every layer with parameters draws their keys from this stream
 * (rngs.params(), falling back to 'default'), an attention's fork from this
 * one (rngs.dropout.fork()). */
#define PARAMS_STREAM "params"
#define ATTENTION_STREAM "dropout"

static const char *const layer_type_names[KF_LAYER_TYPE_COUNT] = {
  [KF_LAYER_LINEAR] = "linear", [KF_LAYER_EMBED] = "embed",     [KF_LAYER_DROPOUT] = "dropout",
  [KF_LAYER_RELU] = "relu",     [KF_LAYER_GELU] = "gelu",       [KF_LAYER_TANH] = "tanh",
  [KF_LAYER_SIGMOID] = "sigmoid", [KF_LAYER_SILU] = "silu",
  [KF_LAYER_LINEAR_GENERAL] = "linear_general", [KF_LAYER_EINSUM] = "einsum",
  [KF_LAYER_CONV] = "conv", [KF_LAYER_CONV_TRANSPOSE] = "conv_transpose",
  [KF_LAYER_LAYER_NORM] = "layer_norm", [KF_LAYER_RMS_NORM] = "rms_norm",
  [KF_LAYER_BATCH_NORM] = "batch_norm", [KF_LAYER_GROUP_NORM] = "group_norm",
  [KF_LAYER_MULTI_HEAD_ATTENTION] = "multi_head_attention",
  [KF_LAYER_SOFTMAX] = "softmax", [KF_LAYER_LOG_SOFTMAX] = "log_softmax", [KF_LAYER_ELU] = "elu",
  [KF_LAYER_LEAKY_RELU] = "leaky_relu", [KF_LAYER_SOFTPLUS] = "softplus",
  [KF_LAYER_AVG_POOL] = "avg_pool", [KF_LAYER_MAX_POOL] = "max_pool",
  [KF_LAYER_FLATTEN] = "flatten", [KF_LAYER_RESHAPE] = "reshape",
  [KF_LAYER_SEQUENTIAL] = "sequential", [KF_LAYER_RESIDUAL] = "residual",
  [KF_LAYER_REPEAT] = "repeat",
};

KF__NAMES_DEFINE(layer_type, kf_layer_type, layer_type_names)

static const char *const padding_names[] = {
  [KF_PADDING_SAME] = "SAME", [KF_PADDING_VALID] = "VALID", [KF_PADDING_CIRCULAR] = "CIRCULAR",
  [KF_PADDING_CAUSAL] = "CAUSAL", [KF_PADDING_EXPLICIT] = "explicit",
};

KF__NAMES_DEFINE(padding, kf_padding, padding_names)

bool kf_layer_type_is_container(kf_layer_type type) { return kf__is_container(type); }

bool kf__is_container(kf_layer_type type) {
  return type == KF_LAYER_SEQUENTIAL || type == KF_LAYER_RESIDUAL || type == KF_LAYER_REPEAT;
}

/* Writes the caller's *out. Every field gets its Flax default whatever the
 * type, so a spec stays valid if the caller changes its type afterwards
 * (except the members whose default depends on the type: epsilon, padding). */
int kf_layer_spec_make(kf_layer_type type, kf_layer_spec *out) {
  if (!out || !kf_layer_type_name(type)) return KF_EINVAL;
  kf_layer_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.struct_size = sizeof spec;
  spec.type = type;
  spec.use_bias = 1;
  int rc = kf_init_make(KF_INIT_LECUN_NORMAL, &spec.kernel_init);
  if (rc == KF_OK) rc = kf_init_make(KF_INIT_ZEROS, &spec.bias_init);
  if (rc == KF_OK) rc = kf_init_make(KF_INIT_VARIANCE_SCALING, &spec.embedding_init);
  if (rc != KF_OK) return rc;
  /* nnx.Embed's default: variance_scaling(1.0, 'fan_in', 'normal', out_axis=0),
   * so that the fan of a (V, F) table is F. */
  spec.embedding_init.value = 1.0;
  spec.embedding_init.fan_mode = KF_FAN_IN;
  spec.embedding_init.distribution = KF_DIST_NORMAL;
  spec.embedding_init.in_axis = -2;
  spec.embedding_init.out_axis = 0;
  spec.rate = 0.0;
  strcpy(spec.rng_collection, "dropout");
  spec.count = 1;
  spec.axis = -1;
  spec.alpha = 1.0;
  spec.negative_slope = 0.01;
  for (int a = 0; a < KF_MAX_SPATIAL; a++)
    spec.strides[a] = spec.input_dilation[a] = spec.kernel_dilation[a] = 1;
  spec.padding = (type == KF_LAYER_AVG_POOL || type == KF_LAYER_MAX_POOL) ? KF_PADDING_VALID
                                                                          : KF_PADDING_SAME;
  spec.feature_group_count = 1;
  spec.epsilon = type == KF_LAYER_BATCH_NORM ? 1e-5 : 1e-6;
  spec.use_scale = 1;
  spec.momentum = 0.99;
  spec.num_groups = 32;
  if (kf_init_make(KF_INIT_ONES, &spec.scale_init) != KF_OK ||
      kf_init_make(KF_INIT_LECUN_NORMAL, &spec.out_kernel_init) != KF_OK ||
      kf_init_make(KF_INIT_ZEROS, &spec.out_bias_init) != KF_OK)
    return KF_EINVAL;
  *out = spec;
  return KF_OK;
}

/* Bounds what a caller's struct_size can make kf__spec_read look at: far
 * beyond any version of kf_layer_spec. */
#define SPEC_SIZE_MAX 65536

int kf__spec_read(const kf_layer_spec *layers, size_t i, kf_layer_spec *out) {
  const size_t size = layers[0].struct_size;
  if (size < KF__LAYER_SPEC_V1_SIZE || size > SPEC_SIZE_MAX ||
      size % _Alignof(kf_layer_spec) != 0)
    return KF_EINVAL;
  const kf_layer_spec *spec = (const kf_layer_spec *)((const char *)layers + i * size);
  if (spec->struct_size != size) return KF_EINVAL;
  /* Members of a newer version than this library: zero means "as before". */
  const unsigned char *tail = (const unsigned char *)spec + sizeof *out;
  for (size_t b = 0; b + sizeof *out < size; b++)
    if (tail[b] != 0) return KF_EUNSUPPORTED;
  /* Members of an older caller's version: Flax's defaults. */
  if (size < sizeof *out) {
    /* A version 1 caller: its members (not its padding, where version 2's
     * begin), then version 2's defaults for its type. */
    const size_t v1 = offsetof(kf_layer_spec, name);
    if (kf_layer_spec_make(spec->type, out) != KF_OK) kf_layer_spec_make(KF_LAYER_LINEAR, out);
    memcpy(out, spec, v1);
  } else {
    memcpy(out, spec, sizeof *out);
  }
  out->struct_size = sizeof *out;
  return KF_OK;
}

bool kf__diag_usable(const kf_model_diag *diag) {
  return !diag || diag->struct_size >= KF__MODEL_DIAG_V1_SIZE;
}

kf_model_diag kf__diag_at(kf_diag_reason reason, size_t layer, const kf_layer_spec *spec) {
  kf_model_diag d;
  memset(&d, 0, sizeof d);
  d.struct_size = sizeof d;
  d.reason = reason;
  d.layer = layer;
  if (spec) d.layer_type = spec->type;
  return d;
}

kf_model_diag kf__diag_node(kf_diag_reason reason, const kf__layer *node) {
  kf_model_diag d = kf__diag_at(reason, node->spec_index, &node->spec);
  memcpy(d.path, node->path, sizeof d.path);
  return d;
}

/* Writes at most diag->struct_size bytes of the caller's *diag. */
void kf__diag_report(kf_model_diag *diag, const kf_model_diag *found) {
  if (!diag) return;
  const size_t size = diag->struct_size;
  memcpy(diag, found, size < sizeof *found ? size : sizeof *found);
  diag->struct_size = size;
}

/* The scale initializer of attention's q/k LayerNorms (Flax's default; the
 * constructor does not pass one). */
static const kf_init init_ones = {.kind = KF_INIT_ONES};

static int64_t product(const int64_t *dims, int n) {
  int64_t p = 1;
  for (int i = 0; i < n; i++) {
    if (dims[i] <= 0 || p > INT64_MAX / dims[i]) return -1;
    p *= dims[i];
  }
  return p;
}

/* Appends a parameter: `shape` as stored, `draw` the shape its initializer
 * is called with (LinearGeneral draws flat and reshapes). Names are short
 * static strings or "<child>.<name>". */
static int add_param(kf__layer *node, const char *name, const kf_shape *shape,
                     const kf_shape *draw, const kf_init *init) {
  const size_t j = node->n_params;
  snprintf(node->param_name[j], sizeof node->param_name[j], "%s", name);
  node->param_shape[j] = *shape;
  node->param_draw_shape[j] = draw ? *draw : *shape;
  node->param_init[j] = init;
  node->param[j] = NULL;
  node->n_params++;
  size_t n;
  return kf_shape_numel(shape, &n);
}

static int add_param_dims(kf__layer *node, const char *name, int rank, const int64_t *dims,
                          const kf_init *init) {
  kf_shape shape;
  const int rc = kf_shape_make(&shape, rank, dims);
  return rc != KF_OK ? rc : add_param(node, name, &shape, NULL, init);
}

static int add_stat(kf__layer *node, int64_t features) {
  const int rc = kf_shape_make(&node->stat_shape[node->n_stats], 1, &features);
  node->stat[node->n_stats] = NULL;
  node->n_stats++;
  return rc;
}

/* A spec member at fault: fills *d and passes rc through. */
static int bad_field(kf_model_diag *d, const char *field, int rc) {
  d->reason = KF_DIAG_SPEC;
  d->field = field;
  return rc;
}

/* The width reaching a layer does not match what it reads. */
static int width_fault(kf_model_diag *d, int64_t expected, int64_t actual) {
  d->reason = KF_DIAG_WIDTH;
  d->expected = expected;
  d->actual = actual;
  return KF_EMISMATCH;
}

static bool string_ok(const char *s, size_t size) { return memchr(s, '\0', size) != NULL; }

/* A LinearGeneral from in_dims to out_dims as Flax builds it: kernel
 * in + out drawn as (prod in, prod out), bias out drawn as (prod out). */
static int add_linear_general(kf__layer *node, const char *prefix, const int64_t *in_dims, int n_in,
                              const int64_t *out_dims, int n_out, int use_bias,
                              const kf_init *kernel_init, const kf_init *bias_init) {
  char name[KF__PARAM_NAME_MAX + 1];
  int64_t dims[KF_MAX_RANK];
  if (n_in + n_out > KF_MAX_RANK) return KF_ESHAPE;
  memcpy(dims, in_dims, (size_t)n_in * sizeof *dims);
  memcpy(dims + n_in, out_dims, (size_t)n_out * sizeof *dims);
  const int64_t flat[2] = {product(in_dims, n_in), product(out_dims, n_out)};
  if (flat[0] < 0 || flat[1] < 0) return KF_ERANGE;
  kf_shape shape, draw;
  int rc = kf_shape_make(&shape, n_in + n_out, dims);
  if (rc == KF_OK) rc = kf_shape_make(&draw, 2, flat);
  snprintf(name, sizeof name, "%s%skernel", prefix, *prefix ? "." : "");
  if (rc == KF_OK) rc = add_param(node, name, &shape, &draw, kernel_init);
  if (rc != KF_OK || !use_bias) return rc;
  rc = kf_shape_make(&shape, n_out, out_dims);
  if (rc == KF_OK) rc = kf_shape_make(&draw, 1, &flat[1]);
  snprintf(name, sizeof name, "%s%sbias", prefix, *prefix ? "." : "");
  if (rc == KF_OK) rc = add_param(node, name, &shape, &draw, bias_init);
  return rc;
}

/* The scale and bias of a norm over `features`, each only if its
 * initializer is given (NULL: use_scale / use_bias false). */
static int add_norm_params(kf__layer *node, const char *prefix, int64_t features,
                           const kf_init *scale_init, const kf_init *bias_init) {
  char name[KF__PARAM_NAME_MAX + 1];
  int rc = KF_OK;
  if (scale_init) {
    snprintf(name, sizeof name, "%s%sscale", prefix, *prefix ? "." : "");
    rc = add_param_dims(node, name, 1, &features, scale_init);
  }
  if (rc == KF_OK && bias_init) {
    snprintf(name, sizeof name, "%s%sbias", prefix, *prefix ? "." : "");
    rc = add_param_dims(node, name, 1, &features, bias_init);
  }
  return rc;
}

static bool spatial_ok(const int64_t *v, int n, int64_t min) {
  for (int a = 0; a < n; a++)
    if (v[a] < min) return false;
  return true;
}

/* The width an einsum's output ends with, when the equation tells: the
 * kernel's extent for an output letter of the kernel, the input's width for
 * the input's last letter, else unknown (-1). */
static int64_t einsum_width(const kf__einsum *e, const kf_layer_spec *spec, int64_t width) {
  const size_t n_out = strlen(e->out), n_lhs = strlen(e->lhs);
  if (n_out == 0) return -1;
  const char last = e->out[n_out - 1];
  const char *r = strchr(e->rhs, last);
  if (r) return spec->kernel_shape[r - e->rhs];
  return n_lhs > 0 && e->lhs[n_lhs - 1] == last ? width : -1;
}

/* Validates one leaf layer, given the width the layers before it produce (-1
 * while unknown), and describes its parameters and statistics in *node
 * (storage left NULL). Updates *width; writes *d on failure. */
static int describe_leaf(kf__layer *node, int64_t *width, kf_model_diag *d) {
  const kf_layer_spec *spec = &node->spec;
  int rc = KF_OK;
  const int64_t in_width = *width;
  switch (spec->type) {
    case KF_LAYER_LINEAR: {
      if (spec->in_features <= 0) return bad_field(d, "in_features", KF_ERANGE);
      if (spec->out_features <= 0) return bad_field(d, "out_features", KF_ERANGE);
      const int64_t k[2] = {spec->in_features, spec->out_features};
      rc = add_param_dims(node, "kernel", 2, k, &spec->kernel_init);
      if (rc != KF_OK) return bad_field(d, "in_features", rc);
      if (spec->use_bias) rc = add_param_dims(node, "bias", 1, &k[1], &spec->bias_init);
      if (rc != KF_OK) return bad_field(d, "out_features", rc);
      if (in_width >= 0 && spec->in_features != in_width)
        return width_fault(d, spec->in_features, in_width);
      *width = spec->out_features;
      break;
    }
    case KF_LAYER_EMBED: {
      if (spec->num_embeddings <= 0) return bad_field(d, "num_embeddings", KF_ERANGE);
      if (spec->features <= 0) return bad_field(d, "features", KF_ERANGE);
      const int64_t e[2] = {spec->num_embeddings, spec->features};
      rc = add_param_dims(node, "embedding", 2, e, &spec->embedding_init);
      if (rc != KF_OK) return bad_field(d, "num_embeddings", rc);
      *width = spec->features;
      break;
    }
    case KF_LAYER_DROPOUT:
      if (!(spec->rate >= 0.0 && spec->rate <= 1.0)) /* NaN fails too */
        return bad_field(d, "rate", KF_ERANGE);
      if (!string_ok(spec->rng_collection, sizeof spec->rng_collection) ||
          !kf_stream_name_valid(spec->rng_collection))
        return bad_field(d, "rng_collection", KF_EINVAL);
      /* The axes themselves can only be checked against an input's rank. */
      if (spec->n_broadcast_dims < 0 || spec->n_broadcast_dims > KF_MAX_RANK)
        return bad_field(d, "n_broadcast_dims", KF_EINVAL);
      break;
    case KF_LAYER_LINEAR_GENERAL: {
      if (spec->n_in_shape < 1 || spec->n_in_shape > KF_MAX_RANK)
        return bad_field(d, "in_features", KF_EINVAL);
      if (spec->n_out_shape < 1 || spec->n_out_shape > KF_MAX_RANK)
        return bad_field(d, "out_features", KF_EINVAL);
      if (product(spec->in_shape, spec->n_in_shape) < 0) return bad_field(d, "in_features", KF_ERANGE);
      if (product(spec->out_shape, spec->n_out_shape) < 0) return bad_field(d, "out_features", KF_ERANGE);
      if (spec->n_in_axes != 0 && spec->n_in_axes != spec->n_in_shape)
        return bad_field(d, "axis", KF_EINVAL);
      for (int a = 0; a < spec->n_in_axes; a++) {
        if (spec->in_axes[a] < -KF_MAX_RANK || spec->in_axes[a] >= KF_MAX_RANK)
          return bad_field(d, "axis", KF_EINVAL);
        for (int b = 0; b < a; b++)
          if (spec->in_axes[b] == spec->in_axes[a]) return bad_field(d, "axis", KF_EINVAL);
      }
      rc = add_linear_general(node, "", spec->in_shape, spec->n_in_shape, spec->out_shape,
                              spec->n_out_shape, spec->use_bias, &spec->kernel_init, &spec->bias_init);
      if (rc != KF_OK) return bad_field(d, "out_features", rc == KF_ESHAPE ? KF_EINVAL : rc);
      /* The last input axis is contracted last by default: its extent is known. */
      const bool last_is_last = spec->n_in_axes == 0 || spec->in_axes[spec->n_in_axes - 1] == -1;
      if (last_is_last && in_width >= 0 && in_width != spec->in_shape[spec->n_in_shape - 1])
        return width_fault(d, spec->in_shape[spec->n_in_shape - 1], in_width);
      *width = spec->out_shape[spec->n_out_shape - 1];
      break;
    }
    case KF_LAYER_EINSUM: {
      if (spec->n_kernel_shape < 1 || spec->n_kernel_shape > KF_MAX_RANK ||
          product(spec->kernel_shape, spec->n_kernel_shape) < 0)
        return bad_field(d, "kernel_shape", KF_EINVAL);
      if (spec->n_bias_shape < 0 || spec->n_bias_shape > KF_MAX_RANK ||
          (spec->n_bias_shape > 0 && product(spec->bias_shape, spec->n_bias_shape) < 0))
        return bad_field(d, "bias_shape", KF_EINVAL);
      kf__einsum e;
      if (!kf__einsum_parse(spec, &e)) return bad_field(d, "einsum_str", KF_EINVAL);
      rc = add_param_dims(node, "kernel", spec->n_kernel_shape, spec->kernel_shape, &spec->kernel_init);
      if (rc != KF_OK) return bad_field(d, "kernel_shape", rc);
      if (spec->n_bias_shape > 0)
        rc = add_param_dims(node, "bias", spec->n_bias_shape, spec->bias_shape, &spec->bias_init);
      if (rc != KF_OK) return bad_field(d, "bias_shape", rc);
      *width = einsum_width(&e, spec, in_width);
      break;
    }
    case KF_LAYER_CONV:
    case KF_LAYER_CONV_TRANSPOSE: {
      const bool transpose = spec->type == KF_LAYER_CONV_TRANSPOSE;
      if (spec->in_features <= 0) return bad_field(d, "in_features", KF_ERANGE);
      if (spec->out_features <= 0) return bad_field(d, "out_features", KF_ERANGE);
      if (spec->n_spatial < 1 || spec->n_spatial > KF_MAX_SPATIAL)
        return bad_field(d, "kernel_size", KF_EINVAL);
      const int n = spec->n_spatial;
      if (!spatial_ok(spec->kernel_size, n, 1)) return bad_field(d, "kernel_size", KF_ERANGE);
      if (!spatial_ok(spec->strides, n, 1)) return bad_field(d, "strides", KF_ERANGE);
      if (!spatial_ok(spec->kernel_dilation, n, 1)) return bad_field(d, "kernel_dilation", KF_ERANGE);
      if (!transpose && !spatial_ok(spec->input_dilation, n, 1))
        return bad_field(d, "input_dilation", KF_ERANGE);
      const int64_t groups = transpose ? 1 : spec->feature_group_count;
      if (groups < 1 || spec->in_features % groups != 0 || spec->out_features % groups != 0)
        return bad_field(d, "feature_group_count", KF_ERANGE);
      if ((unsigned)spec->padding > KF_PADDING_EXPLICIT) return bad_field(d, "padding", KF_EINVAL);
      if (spec->padding == KF_PADDING_CAUSAL && (n != 1 || transpose))
        return bad_field(d, "padding", KF_EINVAL);
      /* lax refuses string padding with an input dilation (Flax raises
       * "String padding is not implemented for transposed convolution"). */
      if (!transpose && spec->padding != KF_PADDING_EXPLICIT && product(spec->input_dilation, n) != 1)
        return bad_field(d, "padding", KF_EINVAL);
      int64_t dims[KF_MAX_RANK];
      memcpy(dims, spec->kernel_size, (size_t)n * sizeof *dims);
      dims[n] = spec->in_features / groups;
      dims[n + 1] = spec->out_features;
      rc = add_param_dims(node, "kernel", n + 2, dims, &spec->kernel_init);
      if (rc != KF_OK) return bad_field(d, "kernel_size", rc);
      if (spec->use_bias) rc = add_param_dims(node, "bias", 1, &spec->out_features, &spec->bias_init);
      if (rc != KF_OK) return bad_field(d, "out_features", rc);
      if (in_width >= 0 && spec->in_features != in_width)
        return width_fault(d, spec->in_features, in_width);
      *width = spec->out_features;
      break;
    }
    case KF_LAYER_LAYER_NORM:
    case KF_LAYER_RMS_NORM:
    case KF_LAYER_BATCH_NORM:
    case KF_LAYER_GROUP_NORM: {
      const int64_t f = spec->num_features;
      if (f <= 0) return bad_field(d, "num_features", KF_ERANGE);
      if (!(spec->epsilon > 0.0) || !isfinite(spec->epsilon)) return bad_field(d, "epsilon", KF_ERANGE);
      if (spec->type == KF_LAYER_BATCH_NORM && !(spec->momentum >= 0.0 && spec->momentum <= 1.0))
        return bad_field(d, "momentum", KF_ERANGE);
      if (spec->type == KF_LAYER_GROUP_NORM) {
        if (spec->group_size < 0 || spec->num_groups < 0 ||
            (spec->group_size > 0) == (spec->num_groups > 0))
          return bad_field(d, "num_groups", KF_EINVAL);
        const int64_t g = spec->group_size > 0 ? spec->group_size : spec->num_groups;
        if (f % g != 0) return bad_field(d, spec->group_size > 0 ? "group_size" : "num_groups", KF_ERANGE);
      }
      const int use_bias = spec->type != KF_LAYER_RMS_NORM && spec->use_bias;
      rc = add_norm_params(node, "", f, spec->use_scale ? &spec->scale_init : NULL,
                           use_bias ? &spec->bias_init : NULL);
      if (rc == KF_OK && spec->type == KF_LAYER_BATCH_NORM) {
        rc = add_stat(node, f);
        if (rc == KF_OK) rc = add_stat(node, f);
      }
      if (rc != KF_OK) return bad_field(d, "num_features", rc);
      if (in_width >= 0 && f != in_width) return width_fault(d, f, in_width);
      *width = f;
      break;
    }
    case KF_LAYER_MULTI_HEAD_ATTENTION: {
      const int64_t in = spec->in_features;
      const int64_t qkv = spec->qkv_features ? spec->qkv_features : in;
      const int64_t out = spec->out_features ? spec->out_features : in;
      if (in <= 0) return bad_field(d, "in_features", KF_ERANGE);
      if (spec->num_heads <= 0) return bad_field(d, "num_heads", KF_ERANGE);
      if (qkv < 0 || qkv % spec->num_heads != 0) return bad_field(d, "qkv_features", KF_ERANGE);
      if (out < 0) return bad_field(d, "out_features", KF_ERANGE);
      if (!(spec->dropout_rate >= 0.0 && spec->dropout_rate <= 1.0))
        return bad_field(d, "dropout_rate", KF_ERANGE);
      const int64_t heads_dims[2] = {spec->num_heads, qkv / spec->num_heads};
      static const char *const proj[3] = {"query", "key", "value"};
      for (int p = 0; rc == KF_OK && p < 3; p++)
        rc = add_linear_general(node, proj[p], &in, 1, heads_dims, 2, spec->use_bias,
                                &spec->kernel_init, &spec->bias_init);
      if (rc == KF_OK && spec->normalize_qk) {
        rc = add_norm_params(node, "query_ln", heads_dims[1], &init_ones, NULL);
        if (rc == KF_OK) rc = add_norm_params(node, "key_ln", heads_dims[1], &init_ones, NULL);
      }
      if (rc == KF_OK)
        rc = add_linear_general(node, "out", heads_dims, 2, &out, 1, spec->use_bias,
                                spec->out_inits & 1 ? &spec->out_kernel_init : &spec->kernel_init,
                                spec->out_inits & 2 ? &spec->out_bias_init : &spec->bias_init);
      if (rc != KF_OK) return bad_field(d, "in_features", rc == KF_ESHAPE ? KF_EINVAL : rc);
      if (in_width >= 0 && in != in_width) return width_fault(d, in, in_width);
      *width = out;
      break;
    }
    case KF_LAYER_SOFTMAX:
    case KF_LAYER_LOG_SOFTMAX:
      if (spec->axis < -KF_MAX_RANK || spec->axis >= KF_MAX_RANK) return bad_field(d, "axis", KF_EINVAL);
      break;
    case KF_LAYER_ELU:
      if (!isfinite(spec->alpha)) return bad_field(d, "alpha", KF_EINVAL);
      break;
    case KF_LAYER_LEAKY_RELU:
      if (!isfinite(spec->negative_slope)) return bad_field(d, "negative_slope", KF_EINVAL);
      break;
    case KF_LAYER_AVG_POOL:
    case KF_LAYER_MAX_POOL:
      if (spec->n_spatial < 1 || spec->n_spatial > KF_MAX_SPATIAL)
        return bad_field(d, "window_shape", KF_EINVAL);
      if (!spatial_ok(spec->kernel_size, spec->n_spatial, 1)) return bad_field(d, "window_shape", KF_ERANGE);
      if (!spatial_ok(spec->strides, spec->n_spatial, 1)) return bad_field(d, "strides", KF_ERANGE);
      if (spec->padding != KF_PADDING_SAME && spec->padding != KF_PADDING_VALID &&
          spec->padding != KF_PADDING_EXPLICIT)
        return bad_field(d, "padding", KF_EINVAL);
      break;
    case KF_LAYER_FLATTEN:
      *width = -1;
      break;
    case KF_LAYER_RESHAPE: {
      if (spec->n_reshape < 0 || spec->n_reshape > KF_MAX_RANK - 1) return bad_field(d, "shape", KF_EINVAL);
      int unknown = 0;
      for (int a = 0; a < spec->n_reshape; a++) {
        if (spec->reshape[a] == -1) unknown++;
        else if (spec->reshape[a] <= 0) return bad_field(d, "shape", KF_ERANGE);
      }
      if (unknown > 1) return bad_field(d, "shape", KF_EINVAL);
      *width = spec->n_reshape > 0 ? spec->reshape[spec->n_reshape - 1] : -1;
      break;
    }
    case KF_LAYER_GELU:
    case KF_LAYER_RELU:
    case KF_LAYER_TANH:
    case KF_LAYER_SIGMOID:
    case KF_LAYER_SILU:
    case KF_LAYER_SOFTPLUS:
      break;
    default:
      return bad_field(d, "type", KF_EINVAL);
  }
  for (size_t j = 0; j < node->n_params; j++) {
    rc = kf_init_check(node->param_init[j], &node->param_draw_shape[j]);
    /* An initializer that cannot take its parameter's shape (variance scaling
     * on a bias, an axis out of range) is a bad spec, not a bad shape. */
    if (rc == KF_ESHAPE) rc = KF_EINVAL;
    if (rc != KF_OK) {
      const char *dot = strrchr(node->param_name[j], '.');
      const char *leaf = dot ? dot + 1 : node->param_name[j];
      if (node->param_init[j] == &spec->out_kernel_init) return bad_field(d, "out_kernel_init", rc);
      if (node->param_init[j] == &spec->out_bias_init) return bad_field(d, "out_bias_init", rc);
      return bad_field(d, spec->type == KF_LAYER_EMBED ? "embedding_init"
                          : strcmp(leaf, "kernel") == 0 ? "kernel_init"
                          : strcmp(leaf, "scale") == 0 ? "scale_init" : "bias_init", rc);
    }
  }
  return KF_OK;
}

static uint64_t shapes_elements(const kf_shape *shapes, size_t n) {
  uint64_t total = 0;
  for (size_t j = 0; j < n; j++) {
    size_t e = 0;
    kf_shape_numel(&shapes[j], &e); /* valid: built by kf_shape_make */
    total += e;
  }
  return total;
}

/* A Python identifier, not `layers` (the attribute holding the unnamed). */
static bool name_ok(const char *name) {
  if (!(isalpha((unsigned char)name[0]) || name[0] == '_')) return false;
  for (const char *c = name + 1; *c; c++)
    if (!(isalnum((unsigned char)*c) || *c == '_')) return false;
  return strcmp(name, "layers") != 0;
}

/* Walks the caller's preorder array into nodes. With nodes NULL it only
 * counts and validates. */
typedef struct tree_builder {
  const kf_layer_spec *layers;
  size_t n_specs;
  kf__layer *nodes;   /* NULL: count only */
  size_t n_nodes;
  uint64_t param_elements, stat_elements;
  bool seen_leaf;     /* an embed must be the first leaf */
  int residual_depth; /* and not inside a residual */
  bool no_width;      /* skip the width checks (shape queries on any specs) */
  kf_model_diag *d;
} tree_builder;

static int build_children(tree_builder *b, size_t first, size_t n_children, size_t parent,
                          const char *path, int64_t *width, size_t *end);

/* Builds the subtree of spec `i` as child `child_path` of node `parent`;
 * *end receives the spec index past the subtree. */
static int build_node(tree_builder *b, size_t i, size_t parent, const char *child_path,
                      int64_t *width, size_t *end) {
  kf_layer_spec spec;
  kf__layer scratch;
  int rc = kf__spec_read(b->layers, i, &spec);
  if (rc != KF_OK) {
    *b->d = kf__diag_at(KF_DIAG_ARGUMENT, i, NULL);
    b->d->field = "struct_size";
    return rc;
  }
  if (b->n_nodes >= MAX_NODES) {
    *b->d = kf__diag_at(KF_DIAG_TOO_LARGE, i, &spec);
    return KF_EOVERFLOW;
  }
  const size_t index = b->n_nodes++;
  kf__layer *node = b->nodes ? &b->nodes[index] : &scratch;
  memset(node, 0, sizeof *node);
  node->spec = spec;
  node->spec_index = i;
  node->parent = parent;
  node->held = SIZE_MAX;
  const size_t path_len = strlen(child_path);
  memcpy(node->path, child_path, path_len < KF_PATH_MAX ? path_len : KF_PATH_MAX);
  *b->d = kf__diag_node(KF_DIAG_SPEC, node);
  if (path_len > KF_PATH_MAX) return bad_field(b->d, "name", KF_ERANGE);
  if (!kf__is_container(spec.type)) {
    if (spec.n_children != 0) {
      b->d->reason = KF_DIAG_CHILDREN;
      return KF_EINVAL;
    }
    if (spec.type == KF_LAYER_EMBED && (b->seen_leaf || b->residual_depth > 0)) {
      b->d->reason = KF_DIAG_EMBED_NOT_FIRST;
      return KF_EMISMATCH;
    }
    b->seen_leaf = true;
    int64_t w = b->no_width ? -1 : *width;
    rc = describe_leaf(node, &w, b->d);
    if (rc != KF_OK) return rc;
    *width = b->no_width ? -1 : w;
    b->param_elements += shapes_elements(node->param_shape, node->n_params);
    b->stat_elements += shapes_elements(node->stat_shape, node->n_stats);
    if (b->param_elements + b->stat_elements > KF_MAX_ELEMENTS) {
      b->d->reason = KF_DIAG_TOO_LARGE;
      return KF_EOVERFLOW;
    }
    node->end = b->n_nodes;
    *end = i + 1;
    return KF_OK;
  }
  if (spec.n_children > b->n_specs - i - 1) {
    b->d->reason = KF_DIAG_CHILDREN;
    return KF_EINVAL;
  }
  const int64_t in_width = *width;
  if (spec.type == KF_LAYER_REPEAT) {
    if (spec.count < 1 || spec.count > MAX_NODES) return bad_field(b->d, "count", KF_ERANGE);
    for (int64_t k = 0; k < spec.count; k++) {
      /* Block k: a sequential at layers.k holding the template's copy. */
      char block_path[KF_PATH_MAX + 16];
      snprintf(block_path, sizeof block_path, "%s%slayers.%" PRId64, child_path,
               *child_path ? "." : "", k);
      if (strlen(block_path) > KF_PATH_MAX) return bad_field(b->d, "name", KF_ERANGE);
      if (b->n_nodes >= MAX_NODES) {
        b->d->reason = KF_DIAG_TOO_LARGE;
        return KF_EOVERFLOW;
      }
      const size_t block = b->n_nodes++;
      kf__layer *bn = b->nodes ? &b->nodes[block] : &scratch;
      memset(bn, 0, sizeof *bn);
      kf_layer_spec_make(KF_LAYER_SEQUENTIAL, &bn->spec);
      bn->spec.n_children = spec.n_children;
      bn->spec_index = i;
      bn->parent = index;
      bn->held = SIZE_MAX;
      memcpy(bn->path, block_path, sizeof bn->path);
      bn->n_children = spec.n_children;
      rc = build_children(b, i + 1, spec.n_children, block, block_path, width, end);
      if (rc != KF_OK) return rc;
      if (b->nodes) b->nodes[block].end = b->n_nodes;
    }
    node = b->nodes ? &b->nodes[index] : &scratch;
    node->n_children = (size_t)spec.count;
  } else {
    if (spec.type == KF_LAYER_RESIDUAL) b->residual_depth++;
    rc = build_children(b, i + 1, spec.n_children, index, child_path, width, end);
    if (spec.type == KF_LAYER_RESIDUAL) b->residual_depth--;
    if (rc != KF_OK) return rc;
    node = b->nodes ? &b->nodes[index] : &scratch;
    node->n_children = spec.n_children;
    if (spec.type == KF_LAYER_RESIDUAL && in_width >= 0 && *width >= 0 && *width != in_width) {
      *b->d = kf__diag_node(KF_DIAG_RESIDUAL, node);
      b->d->expected = in_width;
      b->d->actual = *width;
      return KF_EMISMATCH;
    }
    if (spec.type == KF_LAYER_RESIDUAL && *width < 0) *width = in_width;
  }
  if (spec.n_children == 0) *end = i + 1;
  node->end = b->n_nodes;
  return KF_OK;
}

/* The n_children subtrees starting at spec `first`, children of node
 * `parent` (SIZE_MAX: the root) whose path is `path`. Names are unique
 * among siblings; unnamed children are the container's list `layers`. */
static int build_children(tree_builder *b, size_t first, size_t n_children, size_t parent,
                          const char *path, int64_t *width, size_t *end) {
  size_t i = first, unnamed = 0;
  char names[64][KF_LAYER_NAME_MAX + 1];
  size_t n_names = 0;
  /* SIZE_MAX: the root, whose children are every subtree to the end. */
  for (size_t c = 0; c < n_children && !(n_children == SIZE_MAX && i == b->n_specs); c++) {
    if (i >= b->n_specs) {
      *b->d = kf__diag_at(KF_DIAG_CHILDREN, first ? first - 1 : 0, NULL);
      snprintf(b->d->path, sizeof b->d->path, "%s", path);
      return KF_EINVAL;
    }
    kf_layer_spec spec;
    int rc = kf__spec_read(b->layers, i, &spec);
    if (rc != KF_OK) {
      *b->d = kf__diag_at(KF_DIAG_ARGUMENT, i, NULL);
      b->d->field = "struct_size";
      return rc;
    }
    char child[KF_PATH_MAX + 80];
    const char *sep = *path ? "." : "";
    if (!string_ok(spec.name, sizeof spec.name) || (spec.name[0] && !name_ok(spec.name))) {
      *b->d = kf__diag_at(KF_DIAG_NAME, i, &spec);
      snprintf(b->d->path, sizeof b->d->path, "%s", path);
      return KF_EINVAL;
    }
    if (spec.name[0]) {
      for (size_t k = 0; k < n_names; k++) {
        if (strcmp(names[k], spec.name) == 0) {
          *b->d = kf__diag_at(KF_DIAG_NAME, i, &spec);
          snprintf(b->d->path, sizeof b->d->path, "%s%s%s", path, sep, spec.name);
          return KF_EEXIST;
        }
      }
      if (n_names == 64) {
        *b->d = kf__diag_at(KF_DIAG_NAME, i, &spec);
        return KF_ERANGE;
      }
      memcpy(names[n_names++], spec.name, sizeof spec.name);
      snprintf(child, sizeof child, "%s%s%s", path, sep, spec.name);
    } else {
      snprintf(child, sizeof child, "%s%slayers.%zu", path, sep, unnamed++);
    }
    rc = build_node(b, i, parent, child, width, &i);
    if (rc != KF_OK) return rc;
  }
  *end = i;
  return KF_OK;
}

/* Validates the whole array (a list of top-level subtrees) and, when nodes
 * is not NULL, describes each node. Borrows layers; writes *n_nodes,
 * *params, *stats, and *d on failure. */
static int check_layers(const kf_layer_spec *layers, size_t n_layers, kf__layer *nodes,
                        bool no_width, size_t *n_nodes, uint64_t *params, uint64_t *stats,
                        kf_model_diag *d) {
  if (!layers || n_layers == 0 || n_layers > MAX_LAYERS) {
    *d = kf__diag_at(KF_DIAG_ARGUMENT, n_layers, NULL);
    return KF_EINVAL;
  }
  tree_builder b = {.layers = layers, .n_specs = n_layers, .nodes = nodes, .no_width = no_width,
                    .d = d};
  int64_t width = -1;
  size_t end;
  const int rc = build_children(&b, 0, SIZE_MAX, SIZE_MAX, "", &width, &end);
  if (rc != KF_OK) return rc;
  *n_nodes = b.n_nodes;
  *params = b.param_elements;
  *stats = b.stat_elements;
  return KF_OK;
}

/* Borrows layers; writes the caller's *param_elements, and *diag on failure
 * (both optional). */
int kf_model_check(const kf_layer_spec *layers, size_t n_layers, uint64_t *param_elements,
                   kf_model_diag *diag) {
  if (!kf__diag_usable(diag)) return KF_EINVAL;
  uint64_t params = 0, stats = 0;
  size_t n_nodes = 0;
  kf_model_diag d;
  const int rc = check_layers(layers, n_layers, NULL, false, &n_nodes, &params, &stats, &d);
  if (rc != KF_OK) {
    kf__diag_report(diag, &d);
    return rc;
  }
  if (param_elements) *param_elements = params;
  return KF_OK;
}

/* Borrows layers; writes the caller's *out. The first leaf reads the input. */
int kf_layers_input_dtype(const kf_layer_spec *layers, size_t n_layers, kf_dtype *out) {
  if (!layers || n_layers == 0 || !out) return KF_EINVAL;
  for (size_t i = 0; i < n_layers; i++) {
    kf_layer_spec spec;
    if (kf__spec_read(layers, i, &spec) != KF_OK) return KF_EINVAL;
    if (kf__is_container(spec.type)) continue;
    *out = spec.type == KF_LAYER_EMBED ? KF_INT32 : KF_FLOAT32;
    return KF_OK;
  }
  *out = KF_FLOAT32;
  return KF_OK;
}

/* Takes ownership of model and frees it with everything it owns; NULL is a no-op. */
void kf_model_free(kf_model *model) {
  if (!model) return;
  kf__free(model->param_storage);
  kf__free(model->stat_storage);
  kf__free(model->layers);
  kf__free(model->specs);
  kf__free(model->held);
  kf__free(model);
}

/* Whether node holds a stream in this era: a 0.11+ Dropout always (its
 * constructor forks unconditionally), a 0.11+ attention with dropout_rate > 0
 * (rngs.dropout.fork() after its parameters). */
static bool holds_stream(const kf__layer *node, kf_flax_era era) {
  if (era != KF_FLAX_0_11) return false;
  if (node->spec.type == KF_LAYER_DROPOUT) return true;
  return node->spec.type == KF_LAYER_MULTI_HEAD_ATTENTION && node->spec.dropout_rate > 0.0 &&
         !node->spec.no_keep_rngs;
}

/* The stream a node's fork draws from (before the fallback to 'default'). */
static const char *fork_stream(const kf__layer *node) {
  return node->spec.type == KF_LAYER_DROPOUT ? node->spec.rng_collection : ATTENTION_STREAM;
}

/* Borrows a and b. */
int kf_path_compare(const char *a, const char *b) {
  while (*a && *b) {
    const size_t la = strcspn(a, "."), lb = strcspn(b, ".");
    const bool na = la > 0 && strspn(a, "0123456789") >= la;
    const bool nb = lb > 0 && strspn(b, "0123456789") >= lb;
    int c;
    if (na && nb) {
      c = la != lb ? (la < lb ? -1 : 1) : strncmp(a, b, la);
    } else {
      const size_t l = la < lb ? la : lb;
      c = strncmp(a, b, l);
      if (c == 0 && la != lb) c = la < lb ? -1 : 1;
    }
    if (c != 0) return c;
    a += la + (a[la] == '.');
    b += lb + (b[lb] == '.');
  }
  return *a ? 1 : *b ? -1 : 0;
}

/* Validates layers and allocates a model for them, with parameter and
 * statistic storage but no values. Borrows layers; on success *out is owned
 * by the caller; on failure fills *d. */
static int model_alloc(const kf_layer_spec *layers, size_t n_layers, kf_threefry_mode mode,
                       kf_flax_era era, bool storage, kf_model **out, kf_model_diag *d) {
  uint64_t params = 0, stats = 0;
  size_t n_nodes = 0;
  int rc = check_layers(layers, n_layers, NULL, !storage, &n_nodes, &params, &stats, d);
  if (rc != KF_OK) return rc;
  if (!storage) params = stats = 0;
  kf_model *model = kf__calloc(1, sizeof *model);
  bool ok = model != NULL;
  if (ok) ok = (model->layers = kf__calloc(n_nodes, sizeof *model->layers)) != NULL;
  if (ok) ok = (model->specs = kf__calloc(n_layers, sizeof *model->specs)) != NULL;
  if (ok && params > 0) ok = (model->param_storage = kf__malloc((size_t)params * sizeof(float))) != NULL;
  if (ok && stats > 0) ok = (model->stat_storage = kf__malloc((size_t)stats * sizeof(float))) != NULL;
  if (ok) {
    check_layers(layers, n_layers, model->layers, !storage, &n_nodes, &params, &stats, d); /* passed above */
    size_t n_held = 0;
    for (size_t i = 0; i < n_nodes; i++) n_held += holds_stream(&model->layers[i], era);
    if (n_held > 0) ok = (model->held = kf__calloc(n_held, sizeof *model->held)) != NULL;
  }
  if (!ok) {
    kf_model_free(model);
    *d = kf__diag_at(KF_DIAG_NO_MEMORY, n_layers, NULL);
    return KF_ENOMEM;
  }
  model->mode = mode;
  model->era = era;
  model->n_layers = n_nodes;
  model->n_specs = n_layers;
  for (size_t i = 0; i < n_layers; i++) kf__spec_read(layers, i, &model->specs[i]); /* read above */
  model->n_stat_floats = (size_t)stats;
  float *next = model->param_storage, *next_stat = model->stat_storage;
  for (size_t i = 0; i < n_nodes; i++) {
    kf__layer *layer = &model->layers[i];
    if (holds_stream(layer, era)) model->held[model->n_held++].layer = i;
    for (size_t j = 0; j < layer->n_params; j++) {
      size_t n = 0;
      kf_shape_numel(&layer->param_shape[j], &n);
      layer->param[j] = next;
      if (next) next += n;
    }
    for (size_t j = 0; j < layer->n_stats; j++) {
      size_t n = 0;
      kf_shape_numel(&layer->stat_shape[j], &n);
      layer->stat[j] = next_stat;
      if (!next_stat) continue;
      /* BatchNorm's running mean starts at zeros, its variance at ones. */
      for (size_t e = 0; e < n; e++) layer->stat[j][e] = j == 0 ? 0.0f : 1.0f;
      next_stat += n;
    }
  }
  /* Held streams in graph order (nnx.reseed's n-th stream of a tag), which
   * sorts attribute names: insertion sort, the list is short. */
  for (size_t a = 1; a < model->n_held; a++) {
    const kf__held h = model->held[a];
    size_t b = a;
    while (b > 0 && kf_path_compare(model->layers[model->held[b - 1].layer].path, model->layers[h.layer].path) > 0) {
      model->held[b] = model->held[b - 1];
      b--;
    }
    model->held[b] = h;
  }
  for (size_t a = 0; a < model->n_held; a++) model->layers[model->held[a].layer].held = a;
  *out = model;
  return KF_OK;
}

int kf__model_skeleton(const kf_layer_spec *layers, size_t n_layers, kf_model **out,
                       kf_model_diag *d) {
  return model_alloc(layers, n_layers, KF_THREEFRY_PARTITIONABLE, KF_FLAX_0_10, false, out, d);
}

/* Borrows layers; writes the caller's *out. */
int kf_layers_held_streams(const kf_layer_spec *layers, size_t n_layers, kf_flax_era era,
                           size_t *out) {
  if (!out) return KF_EINVAL;
  kf_model *model = NULL;
  kf_model_diag d;
  const int rc = model_alloc(layers, n_layers, KF_THREEFRY_PARTITIONABLE, era, false, &model, &d);
  if (rc != KF_OK) return rc;
  *out = model->n_held;
  kf_model_free(model);
  return KF_OK;
}

/* The draws of node i's constructor, in order: phase 0 its parameters from
 * 'params', phase 1 (0.11+) its fork. Returns the count and stream. */
static size_t construction_draws(const kf_model *model, size_t i, int phase, const char **stream) {
  const kf__layer *layer = &model->layers[i];
  if (phase == 0) {
    *stream = PARAMS_STREAM;
    return layer->n_params;
  }
  *stream = fork_stream(layer);
  return layer->held != SIZE_MAX ? 1 : 0;
}

/* Borrows layers; advances rngs' streams on success only; on success *out
 * is a new handle owned by the caller (kf_model_free); on failure writes the
 * caller's *diag (optional). */
int kf_model_new(const kf_layer_spec *layers, size_t n_layers, kf_rngs *rngs, kf_model **out,
                 kf_model_diag *diag) {
  if (!kf__diag_usable(diag)) return KF_EINVAL;
  kf_model_diag d = kf__diag_at(KF_DIAG_ARGUMENT, n_layers, NULL);
  int rc = (rngs && out) ? KF_OK : KF_EINVAL;
  kf_model *model = NULL;
  if (rc == KF_OK) rc = model_alloc(layers, n_layers, kf_rngs_mode(rngs), kf_rngs_era(rngs), true, &model, &d);

  /* Every parameter takes one key, zeros and ones included (Flax draws
   * before calling the initializer), and so does a 0.11+ fork, node after
   * node as the constructors run. Check the running total per serving
   * stream, so that two names falling back to 'default' add up and a failure
   * names the layer that would run dry. */
  size_t n_keys = 0;
  size_t needed[KF_RNGS_MAX_STREAMS] = {0};
  for (size_t i = 0; rc == KF_OK && i < (model ? model->n_layers : 0); i++) {
    for (int phase = 0; rc == KF_OK && phase < 2; phase++) {
      const char *stream;
      const size_t n = construction_draws(model, i, phase, &stream);
      if (n == 0) continue;
      size_t index = 0;
      n_keys += n;
      rc = kf_rngs_resolve(rngs, stream, &index);
      if (rc == KF_OK) {
        needed[index] += n;
        rc = kf_rngs_can_draw(rngs, stream, needed[index]);
      }
      if (rc != KF_OK) {
        d = kf__diag_node(KF_DIAG_STREAM, &model->layers[i]);
        snprintf(d.stream, sizeof d.stream, "%s", stream);
      }
    }
  }
  kf_key *keys = NULL;
  if (rc == KF_OK && n_keys > 0) {
    keys = kf__malloc(n_keys * sizeof *keys);
    if (!keys) {
      rc = KF_ENOMEM;
      d = kf__diag_at(KF_DIAG_NO_MEMORY, n_layers, NULL);
    }
  }

  /* From here on nothing can fail: the draws were checked above and every
   * initializer was checked against its shape by check_layers. */
  size_t k = 0;
  for (size_t i = 0; rc == KF_OK && i < model->n_layers; i++) {
    const kf__layer *layer = &model->layers[i];
    for (int phase = 0; rc == KF_OK && phase < 2; phase++) {
      const char *stream;
      const size_t n = construction_draws(model, i, phase, &stream);
      if (n == 0) continue;
      size_t index = 0;
      rc = kf_rngs_draw(rngs, stream, n, keys + k, NULL, &index);
      if (rc == KF_OK && phase == 1) {
        /* RngStream.fork(): the parent's next key, count 0, the parent's tag. */
        kf_stream_state *held = &model->held[layer->held].state;
        kf_rngs_stream_at(rngs, index, held);
        held->key = keys[k];
        held->count = 0;
      }
      for (size_t j = 0; rc == KF_OK && phase == 0 && j < layer->n_params; j++)
        rc = kf_init_apply(layer->param_init[j], keys[k + j], model->mode,
                           &layer->param_draw_shape[j], layer->param[j]);
      k += n;
    }
  }
  kf__free(keys);
  if (rc != KF_OK) {
    kf_model_free(model);
    kf__diag_report(diag, &d);
    return rc;
  }
  *out = model;
  return KF_OK;
}

/* Borrows model; 0 for NULL. */
size_t kf_model_layer_count(const kf_model *model) { return model ? model->n_layers : 0; }

/* Borrows model. A NULL handle reports the library default, partitionable. */
kf_threefry_mode kf_model_mode(const kf_model *model) {
  return model ? model->mode : KF_THREEFRY_PARTITIONABLE;
}

/* Borrows model. */
kf_flax_era kf_model_era(const kf_model *model) { return model ? model->era : KF_FLAX_0_10; }

/* Borrows model; 0 for NULL. */
size_t kf_model_stream_count(const kf_model *model) { return model ? model->n_held : 0; }

/* Borrows model; copies into the caller's *out. */
int kf_model_stream_at(const kf_model *model, size_t i, kf_model_stream *out) {
  if (!model || !out) return KF_EINVAL;
  if (i >= model->n_held) return KF_ERANGE;
  out->layer = model->held[i].layer;
  out->state = model->held[i].state;
  return KF_OK;
}

/* Borrows state. */
int kf_model_set_stream(kf_model *model, size_t i, const kf_stream_state *state) {
  if (!model || !state) return KF_EINVAL;
  if (i >= model->n_held) return KF_ERANGE;
  kf_stream_state *held = &model->held[i].state;
  if (strncmp(held->name, state->name, sizeof held->name) != 0) return KF_EINVAL;
  held->key = state->key;
  held->count = state->count;
  return KF_OK;
}

/* Borrows tag; writes the caller's *matched (optional). */
int kf_model_reseed(kf_model *model, const char *tag, kf_key key, size_t *matched) {
  if (!model || !kf_stream_name_valid(tag)) return KF_EINVAL;
  /* nnx.reseed draws the n-th matching stream's key from a fresh
   * Rngs(tag=key): fold_in(key, n), in graph order (layer order here). */
  size_t c = 0;
  for (size_t i = 0; i < model->n_held; i++) {
    kf_stream_state *held = &model->held[i].state;
    if (strcmp(held->name, tag) != 0) continue;
    held->key = kf_fold_in(key, (uint32_t)c++);
    held->count = 0;
  }
  if (matched) *matched = c;
  return KF_OK;
}

/* Copies *spec into the caller's *out, as much as out->struct_size holds. */
static int spec_copy_out(const kf_layer_spec *spec, kf_layer_spec *out) {
  /* A caller built against a newer header gets zeros, "as before", for the
   * members this library does not know. */
  const size_t size = out->struct_size;
  memcpy(out, spec, size < sizeof *spec ? size : sizeof *spec);
  if (size > sizeof *spec) memset((char *)out + sizeof *spec, 0, size - sizeof *spec);
  out->struct_size = size;
  return KF_OK;
}

/* Borrows model; copies node i's spec into the caller's *out. */
int kf_model_layer_spec(const kf_model *model, size_t i, kf_layer_spec *out) {
  if (!model || !out || out->struct_size < KF__LAYER_SPEC_V1_SIZE) return KF_EINVAL;
  if (i >= model->n_layers) return KF_ERANGE;
  return spec_copy_out(&model->layers[i].spec, out);
}

size_t kf_model_spec_count(const kf_model *model) { return model ? model->n_specs : 0; }

/* Borrows model; copies spec i of the array into the caller's *out. */
int kf_model_spec(const kf_model *model, size_t i, kf_layer_spec *out) {
  if (!model || !out || out->struct_size < KF__LAYER_SPEC_V1_SIZE) return KF_EINVAL;
  if (i >= model->n_specs) return KF_ERANGE;
  return spec_copy_out(&model->specs[i], out);
}

/* Borrows model. */
kf_dtype kf_model_input_dtype(const kf_model *model) {
  if (!model) return KF_FLOAT32;
  for (size_t i = 0; i < model->n_layers; i++)
    if (!kf__is_container(model->layers[i].spec.type))
      return model->layers[i].spec.type == KF_LAYER_EMBED ? KF_INT32 : KF_FLOAT32;
  return KF_FLOAT32;
}

/* Borrows model; the path is the model's. */
const char *kf_model_layer_path(const kf_model *model, size_t i) {
  return model && i < model->n_layers ? model->layers[i].path : "";
}

size_t kf_model_layer_parent(const kf_model *model, size_t i) {
  return model && i < model->n_layers ? model->layers[i].parent : SIZE_MAX;
}

size_t kf_model_layer_spec_index(const kf_model *model, size_t i) {
  return model && i < model->n_layers ? model->layers[i].spec_index : SIZE_MAX;
}

/* Borrows model; 0 for NULL or an index out of range. */
size_t kf_model_param_count(const kf_model *model, size_t i) {
  if (!model || i >= model->n_layers) return 0;
  return model->layers[i].n_params;
}

/* Borrows model; *name and view->data (owned by the model, valid until
 * kf_model_free) are borrowed by the caller. Either output may be NULL. */
int kf_model_param(const kf_model *model, size_t i, size_t j, const char **name, kf_tensor *view) {
  if (!model) return KF_EINVAL;
  if (i >= model->n_layers || j >= model->layers[i].n_params) return KF_ERANGE;
  const kf__layer *layer = &model->layers[i];
  if (name) *name = layer->param_name[j];
  if (view) {
    view->dtype = KF_FLOAT32;
    view->shape = layer->param_shape[j];
    view->data = layer->param[j];
  }
  return KF_OK;
}

size_t kf_model_stat_count(const kf_model *model, size_t i) {
  if (!model || i >= model->n_layers) return 0;
  return model->layers[i].n_stats;
}

static const char *const stat_names[KF__MAX_LAYER_STATS] = {"mean", "var"};

/* Borrows model, as kf_model_param. */
int kf_model_stat(const kf_model *model, size_t i, size_t j, const char **name, kf_tensor *view) {
  if (!model) return KF_EINVAL;
  if (i >= model->n_layers || j >= model->layers[i].n_stats) return KF_ERANGE;
  const kf__layer *layer = &model->layers[i];
  if (name) *name = stat_names[j];
  if (view) {
    view->dtype = KF_FLOAT32;
    view->shape = layer->stat_shape[j];
    view->data = layer->stat[j];
  }
  return KF_OK;
}

size_t kf_model_stats_size(const kf_model *model) { return model ? model->n_stat_floats : 0; }

/* The statistics lie back to back in node order (model_alloc). */
void kf_model_stats_copy(const kf_model *model, float *out) {
  if (model && model->n_stat_floats) memcpy(out, model->stat_storage, model->n_stat_floats * sizeof *out);
}

void kf_model_stats_load(kf_model *model, const float *in) {
  if (model && model->n_stat_floats) memcpy(model->stat_storage, in, model->n_stat_floats * sizeof *in);
}

/* Borrows data; copies it into the model. */
int kf_model_set_stat(kf_model *model, size_t i, size_t j, const float *data) {
  if (!model || !data) return KF_EINVAL;
  if (i >= model->n_layers || j >= model->layers[i].n_stats) return KF_ERANGE;
  size_t n = 0;
  kf_shape_numel(&model->layers[i].stat_shape[j], &n);
  memcpy(model->layers[i].stat[j], data, n * sizeof *data);
  return KF_OK;
}
