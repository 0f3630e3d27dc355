/* keyfold — building NNX models: layer specs, validation, parameter draws
 * (flax-nnx.md §3–§5, Flax 0.9–0.10 semantics). */
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "keyfold/error.h"
#include "keyfold/init.h"
#include "keyfold/nn.h"
#include "keyfold/rngs.h"
#include "keyfold/tensor.h"
#include "model.h"

/* Bounds the work kf_model_check does for one call; far beyond any model the
 * HTTP API is meant to build. */
#define MAX_LAYERS 1024

/* Linear, Embed and the norm layers draw their keys from this stream
 * (rngs.params(), falling back to 'default'). */
#define PARAMS_STREAM "params"

static const char *const layer_type_names[KF_LAYER_TYPE_COUNT] = {
  [KF_LAYER_LINEAR] = "linear", [KF_LAYER_EMBED] = "embed",     [KF_LAYER_DROPOUT] = "dropout",
  [KF_LAYER_RELU] = "relu",     [KF_LAYER_GELU] = "gelu",       [KF_LAYER_TANH] = "tanh",
  [KF_LAYER_SIGMOID] = "sigmoid", [KF_LAYER_SILU] = "silu",
};

/* Returns a static string, NULL for an unknown type. */
const char *kf_layer_type_name(kf_layer_type type) {
  return (unsigned)type < KF_LAYER_TYPE_COUNT ? layer_type_names[type] : NULL;
}

/* Borrows name; writes the caller's *out. */
int kf_layer_type_from_name(const char *name, kf_layer_type *out) {
  if (!name || !out) return KF_EINVAL;
  for (unsigned t = 0; t < KF_LAYER_TYPE_COUNT; t++) {
    if (strcmp(layer_type_names[t], name) == 0) {
      *out = (kf_layer_type)t;
      return KF_OK;
    }
  }
  return KF_EINVAL;
}

/* Writes the caller's *out. Every field gets its Flax default whatever the
 * type, so a spec stays valid if the caller changes its type afterwards. */
int kf_layer_spec_make(kf_layer_type type, kf_layer_spec *out) {
  if (!out || !kf_layer_type_name(type)) return KF_EINVAL;
  kf_layer_spec spec;
  memset(&spec, 0, sizeof spec);
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
  *out = spec;
  return KF_OK;
}

/* The initializer of parameter j of a layer that has parameters. */
static const kf_init *param_init(const kf_layer_spec *spec, size_t j) {
  if (spec->type == KF_LAYER_EMBED) return &spec->embedding_init;
  return j == 0 ? &spec->kernel_init : &spec->bias_init;
}

static int add_param(kf__layer *desc, const char *name, int rank, int64_t d0, int64_t d1) {
  const int64_t dims[2] = {d0, d1};
  const int rc = kf_shape_make(&desc->param_shape[desc->n_params], rank, dims);
  if (rc != KF_OK) return rc;
  desc->param_name[desc->n_params] = name;
  desc->param[desc->n_params] = NULL;
  desc->n_params++;
  return KF_OK;
}

/* Validates one layer, given the width the layers before it produce (-1 while
 * unknown), and describes its parameters in *desc (storage left NULL).
 * Borrows spec; updates *width; writes *desc (including a copy of spec). */
static int describe_layer(const kf_layer_spec *spec, size_t index, int64_t *width,
                          kf__layer *desc) {
  memset(desc, 0, sizeof *desc);
  desc->spec = *spec;
  int rc = KF_OK;
  switch (spec->type) {
    case KF_LAYER_LINEAR:
      if (spec->in_features <= 0 || spec->out_features <= 0) return KF_ERANGE;
      rc = add_param(desc, "kernel", 2, spec->in_features, spec->out_features);
      if (rc == KF_OK && spec->use_bias) rc = add_param(desc, "bias", 1, spec->out_features, 0);
      if (rc != KF_OK) return rc;
      if (*width >= 0 && spec->in_features != *width) return KF_EMISMATCH;
      *width = spec->out_features;
      break;
    case KF_LAYER_EMBED:
      /* It consumes integer indices, which no other layer produces. */
      if (index != 0) return KF_EMISMATCH;
      if (spec->num_embeddings <= 0 || spec->features <= 0) return KF_ERANGE;
      rc = add_param(desc, "embedding", 2, spec->num_embeddings, spec->features);
      if (rc != KF_OK) return rc;
      *width = spec->features;
      break;
    case KF_LAYER_DROPOUT:
      if (!(spec->rate >= 0.0 && spec->rate <= 1.0)) return KF_ERANGE; /* NaN fails too */
      if (!memchr(spec->rng_collection, '\0', sizeof spec->rng_collection) ||
          !kf_stream_name_valid(spec->rng_collection))
        return KF_EINVAL;
      /* The axes themselves can only be checked against an input's rank. */
      if (spec->n_broadcast_dims < 0 || spec->n_broadcast_dims > KF_MAX_RANK) return KF_EINVAL;
      break;
    case KF_LAYER_RELU:
    case KF_LAYER_GELU:
    case KF_LAYER_TANH:
    case KF_LAYER_SIGMOID:
    case KF_LAYER_SILU:
      break;
    default:
      return KF_EINVAL;
  }
  for (size_t j = 0; j < desc->n_params; j++) {
    rc = kf_init_check(param_init(spec, j), &desc->param_shape[j]);
    /* An initializer that cannot take its parameter's shape (variance scaling
     * on a bias, an axis out of range) is a bad spec, not a bad shape. */
    if (rc == KF_ESHAPE) return KF_EINVAL;
    if (rc != KF_OK) return rc;
  }
  return KF_OK;
}

static uint64_t layer_param_elements(const kf__layer *desc) {
  uint64_t total = 0;
  for (size_t j = 0; j < desc->n_params; j++) {
    size_t n = 0;
    kf_shape_numel(&desc->param_shape[j], &n); /* valid: built by kf_shape_make */
    total += n;
  }
  return total;
}

/* Borrows layers; writes the caller's *param_elements and *bad_layer (both optional). */
int kf_model_check(const kf_layer_spec *layers, size_t n_layers, uint64_t *param_elements,
                   size_t *bad_layer) {
  if (!layers || n_layers == 0 || n_layers > MAX_LAYERS) {
    if (bad_layer) *bad_layer = n_layers;
    return KF_EINVAL;
  }
  int64_t width = -1;
  uint64_t total = 0;
  for (size_t i = 0; i < n_layers; i++) {
    kf__layer desc;
    int rc = describe_layer(&layers[i], i, &width, &desc);
    /* Each parameter is within KF_MAX_ELEMENTS, so the sum cannot wrap. */
    if (rc == KF_OK) total += layer_param_elements(&desc);
    if (rc == KF_OK && total > KF_MAX_ELEMENTS) rc = KF_EOVERFLOW;
    if (rc != KF_OK) {
      if (bad_layer) *bad_layer = i;
      return rc;
    }
  }
  if (param_elements) *param_elements = total;
  return KF_OK;
}

/* Takes ownership of model and frees it with everything it owns; NULL is a no-op. */
void kf_model_free(kf_model *model) {
  if (!model) return;
  kf__free(model->param_storage);
  kf__free(model->layers);
  kf__free(model);
}

/* Allocates a model for layers already validated by kf_model_check, with
 * parameter storage but no parameter values. Borrows layers; on success *out
 * is owned by the caller. */
static int model_alloc(const kf_layer_spec *layers, size_t n_layers, uint64_t param_elements,
                       kf_threefry_mode mode, kf_model **out) {
  if (param_elements > SIZE_MAX / sizeof(float)) return KF_ENOMEM;
  kf_model *model = kf__calloc(1, sizeof *model);
  if (!model) return KF_ENOMEM;
  model->mode = mode;
  model->n_layers = n_layers;
  model->layers = kf__calloc(n_layers, sizeof *model->layers);
  if (param_elements > 0) model->param_storage = kf__malloc((size_t)param_elements * sizeof(float));
  if (!model->layers || (param_elements > 0 && !model->param_storage)) {
    kf_model_free(model);
    return KF_ENOMEM;
  }
  int64_t width = -1;
  float *next = model->param_storage;
  for (size_t i = 0; i < n_layers; i++) {
    kf__layer *layer = &model->layers[i];
    describe_layer(&layers[i], i, &width, layer); /* cannot fail: already checked */
    for (size_t j = 0; j < layer->n_params; j++) {
      size_t n = 0;
      kf_shape_numel(&layer->param_shape[j], &n);
      layer->param[j] = next;
      next += n;
    }
  }
  *out = model;
  return KF_OK;
}

/* Borrows layers; advances rngs' params stream (or 'default') on success only;
 * on success *out is a new handle owned by the caller (kf_model_free). */
int kf_model_new(const kf_layer_spec *layers, size_t n_layers, kf_rngs *rngs, kf_model **out,
                 size_t *bad_layer) {
  size_t bad = n_layers;
  uint64_t param_elements = 0;
  int rc = (rngs && out) ? kf_model_check(layers, n_layers, &param_elements, &bad) : KF_EINVAL;
  kf_model *model = NULL;
  if (rc == KF_OK) rc = model_alloc(layers, n_layers, param_elements, kf_rngs_mode(rngs), &model);

  /* Every parameter takes one key, zeros included (Flax draws before calling
   * the initializer), and all come from one stream: check the running total
   * layer by layer so that a failure names the layer that would run dry. */
  size_t n_keys = 0;
  for (size_t i = 0; rc == KF_OK && i < n_layers; i++) {
    if (model->layers[i].n_params == 0) continue;
    n_keys += model->layers[i].n_params;
    rc = kf_rngs_can_draw(rngs, PARAMS_STREAM, n_keys);
    if (rc != KF_OK) bad = i;
  }
  kf_key *keys = NULL;
  if (rc == KF_OK && n_keys > 0) {
    keys = kf__malloc(n_keys * sizeof *keys);
    if (!keys) rc = KF_ENOMEM;
  }

  /* From here on nothing can fail: the draw was checked above and every
   * initializer was checked against its shape by kf_model_check. */
  if (rc == KF_OK && n_keys > 0) rc = kf_rngs_draw(rngs, PARAMS_STREAM, n_keys, keys, NULL, NULL);
  size_t k = 0;
  for (size_t i = 0; rc == KF_OK && i < n_layers; i++) {
    const kf__layer *layer = &model->layers[i];
    for (size_t j = 0; rc == KF_OK && j < layer->n_params; j++) {
      rc = kf_init_apply(param_init(&layer->spec, j), keys[k++], model->mode,
                         &layer->param_shape[j], layer->param[j]);
      if (rc != KF_OK) bad = i;
    }
  }
  kf__free(keys);
  if (rc != KF_OK) {
    kf_model_free(model);
    if (bad_layer) *bad_layer = bad;
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

/* Borrows model; copies the spec into the caller's *out. */
int kf_model_layer_spec(const kf_model *model, size_t i, kf_layer_spec *out) {
  if (!model || !out) return KF_EINVAL;
  if (i >= model->n_layers) return KF_ERANGE;
  *out = model->layers[i].spec;
  return KF_OK;
}

/* Borrows model; 0 for NULL or an index out of range. */
size_t kf_model_param_count(const kf_model *model, size_t i) {
  if (!model || i >= model->n_layers) return 0;
  return model->layers[i].n_params;
}

/* Borrows model; *name (static) and view->data (owned by the model, valid
 * until kf_model_free) are borrowed by the caller. Either output may be NULL. */
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
