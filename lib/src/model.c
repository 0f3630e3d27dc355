/* keyfold — building NNX models: layer specs, validation, parameter draws
 * (flax-nnx.md §3–§5; Flax 0.9–0.10 and, by the Rngs' era, >= 0.11). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "keyfold/error.h"
#include "keyfold/init.h"
#include "keyfold/nn.h"
#include "keyfold/rngs.h"
#include "keyfold/tensor.h"
#include "model.h"
#include "names.h"

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

KF__NAMES_DEFINE(layer_type, kf_layer_type, layer_type_names)

/* Writes the caller's *out. Every field gets its Flax default whatever the
 * type, so a spec stays valid if the caller changes its type afterwards. */
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
  memcpy(out, spec, sizeof *out);
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

/* Writes at most diag->struct_size bytes of the caller's *diag. */
void kf__diag_report(kf_model_diag *diag, const kf_model_diag *found) {
  if (!diag) return;
  const size_t size = diag->struct_size;
  memcpy(diag, found, size < sizeof *found ? size : sizeof *found);
  diag->struct_size = size;
}

/* The initializer of parameter j of a layer that has parameters, and the
 * name of its spec member. */
static const kf_init *param_init(const kf_layer_spec *spec, size_t j) {
  if (spec->type == KF_LAYER_EMBED) return &spec->embedding_init;
  return j == 0 ? &spec->kernel_init : &spec->bias_init;
}

static const char *param_init_name(const kf_layer_spec *spec, size_t j) {
  if (spec->type == KF_LAYER_EMBED) return "embedding_init";
  return j == 0 ? "kernel_init" : "bias_init";
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

/* A spec member at fault: fills *d and passes rc through. */
static int bad_field(kf_model_diag *d, const char *field, int rc) {
  d->reason = KF_DIAG_SPEC;
  d->field = field;
  return rc;
}

/* Validates one layer, given the width the layers before it produce (-1 while
 * unknown), and describes its parameters in *desc (storage left NULL).
 * Borrows spec; updates *width; writes *desc (including a copy of spec) and,
 * on failure, *d. */
static int describe_layer(const kf_layer_spec *spec, size_t index, int64_t *width,
                          kf__layer *desc, kf_model_diag *d) {
  memset(desc, 0, sizeof *desc);
  desc->spec = *spec;
  *d = kf__diag_at(KF_DIAG_SPEC, index, spec);
  int rc = KF_OK;
  switch (spec->type) {
    case KF_LAYER_LINEAR:
      if (spec->in_features <= 0) return bad_field(d, "in_features", KF_ERANGE);
      if (spec->out_features <= 0) return bad_field(d, "out_features", KF_ERANGE);
      rc = add_param(desc, "kernel", 2, spec->in_features, spec->out_features);
      if (rc != KF_OK) return bad_field(d, "in_features", rc);
      if (spec->use_bias) rc = add_param(desc, "bias", 1, spec->out_features, 0);
      if (rc != KF_OK) return bad_field(d, "out_features", rc);
      if (*width >= 0 && spec->in_features != *width) {
        d->reason = KF_DIAG_WIDTH;
        d->expected = spec->in_features;
        d->actual = *width;
        return KF_EMISMATCH;
      }
      *width = spec->out_features;
      break;
    case KF_LAYER_EMBED:
      /* It consumes integer indices, which no other layer produces. */
      if (index != 0) {
        d->reason = KF_DIAG_EMBED_NOT_FIRST;
        return KF_EMISMATCH;
      }
      if (spec->num_embeddings <= 0) return bad_field(d, "num_embeddings", KF_ERANGE);
      if (spec->features <= 0) return bad_field(d, "features", KF_ERANGE);
      rc = add_param(desc, "embedding", 2, spec->num_embeddings, spec->features);
      if (rc != KF_OK) return bad_field(d, "num_embeddings", rc);
      *width = spec->features;
      break;
    case KF_LAYER_DROPOUT:
      if (!(spec->rate >= 0.0 && spec->rate <= 1.0)) /* NaN fails too */
        return bad_field(d, "rate", KF_ERANGE);
      if (!memchr(spec->rng_collection, '\0', sizeof spec->rng_collection) ||
          !kf_stream_name_valid(spec->rng_collection))
        return bad_field(d, "rng_collection", KF_EINVAL);
      /* The axes themselves can only be checked against an input's rank. */
      if (spec->n_broadcast_dims < 0 || spec->n_broadcast_dims > KF_MAX_RANK)
        return bad_field(d, "n_broadcast_dims", KF_EINVAL);
      break;
    case KF_LAYER_RELU:
    case KF_LAYER_GELU:
    case KF_LAYER_TANH:
    case KF_LAYER_SIGMOID:
    case KF_LAYER_SILU:
      break;
    default:
      return bad_field(d, "type", KF_EINVAL);
  }
  for (size_t j = 0; j < desc->n_params; j++) {
    rc = kf_init_check(param_init(spec, j), &desc->param_shape[j]);
    /* An initializer that cannot take its parameter's shape (variance scaling
     * on a bias, an axis out of range) is a bad spec, not a bad shape. */
    if (rc == KF_ESHAPE) rc = KF_EINVAL;
    if (rc != KF_OK) return bad_field(d, param_init_name(spec, j), rc);
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

/* Validates the list and describes each layer into descs[i] when descs is
 * not NULL. Borrows layers; writes *total, and *d on failure. */
static int check_layers(const kf_layer_spec *layers, size_t n_layers, kf__layer *descs,
                        uint64_t *total, kf_model_diag *d) {
  if (!layers || n_layers == 0 || n_layers > MAX_LAYERS) {
    *d = kf__diag_at(KF_DIAG_ARGUMENT, n_layers, NULL);
    return KF_EINVAL;
  }
  int64_t width = -1;
  *total = 0;
  for (size_t i = 0; i < n_layers; i++) {
    kf_layer_spec spec;
    kf__layer scratch;
    kf__layer *desc = descs ? &descs[i] : &scratch;
    int rc = kf__spec_read(layers, i, &spec);
    if (rc != KF_OK) {
      *d = kf__diag_at(KF_DIAG_ARGUMENT, i, NULL);
      d->field = "struct_size";
      return rc;
    }
    rc = describe_layer(&spec, i, &width, desc, d);
    if (rc != KF_OK) return rc;
    /* Each parameter is within KF_MAX_ELEMENTS, so the sum cannot wrap. */
    *total += layer_param_elements(desc);
    if (*total > KF_MAX_ELEMENTS) {
      *d = kf__diag_at(KF_DIAG_TOO_LARGE, i, &spec);
      return KF_EOVERFLOW;
    }
  }
  return KF_OK;
}

/* Borrows layers; writes the caller's *param_elements, and *diag on failure
 * (both optional). */
int kf_model_check(const kf_layer_spec *layers, size_t n_layers, uint64_t *param_elements,
                   kf_model_diag *diag) {
  if (!kf__diag_usable(diag)) return KF_EINVAL;
  uint64_t total = 0;
  kf_model_diag d;
  const int rc = check_layers(layers, n_layers, NULL, &total, &d);
  if (rc != KF_OK) {
    kf__diag_report(diag, &d);
    return rc;
  }
  if (param_elements) *param_elements = total;
  return KF_OK;
}

/* Borrows layers; writes the caller's *out. */
int kf_layers_input_dtype(const kf_layer_spec *layers, size_t n_layers, kf_dtype *out) {
  kf_layer_spec first;
  if (!layers || n_layers == 0 || !out || kf__spec_read(layers, 0, &first) != KF_OK)
    return KF_EINVAL;
  *out = first.type == KF_LAYER_EMBED ? KF_INT32 : KF_FLOAT32;
  return KF_OK;
}

/* Takes ownership of model and frees it with everything it owns; NULL is a no-op. */
void kf_model_free(kf_model *model) {
  if (!model) return;
  kf__free(model->param_storage);
  kf__free(model->layers);
  kf__free(model->held);
  kf__free(model);
}

/* Validates layers and allocates a model for them, with parameter storage
 * but no parameter values. Borrows layers; on success *out is owned by the
 * caller; on failure fills *d. */
static int model_alloc(const kf_layer_spec *layers, size_t n_layers, kf_threefry_mode mode,
                       kf_flax_era era, kf_model **out, kf_model_diag *d) {
  uint64_t param_elements = 0;
  int rc = check_layers(layers, n_layers, NULL, &param_elements, d);
  if (rc != KF_OK) return rc;
  /* Flax >= 0.11: every Dropout keeps a fork of its stream, whatever its
   * rate or deterministic attribute (the constructor forks unconditionally). */
  size_t n_held = 0;
  for (size_t i = 0; era == KF_FLAX_0_11 && i < n_layers; i++) {
    kf_layer_spec spec;
    kf__spec_read(layers, i, &spec); /* read by check_layers above */
    if (spec.type == KF_LAYER_DROPOUT) n_held++;
  }
  kf_model *model = kf__calloc(1, sizeof *model);
  if (model) model->layers = kf__calloc(n_layers, sizeof *model->layers);
  if (model && model->layers && param_elements > 0 && param_elements <= SIZE_MAX / sizeof(float))
    model->param_storage = kf__malloc((size_t)param_elements * sizeof(float));
  if (model && model->layers && (param_elements == 0 || model->param_storage) && n_held > 0)
    model->held = kf__calloc(n_held, sizeof *model->held);
  if (!model || !model->layers || (param_elements > 0 && !model->param_storage) ||
      (n_held > 0 && !model->held)) {
    kf_model_free(model);
    *d = kf__diag_at(KF_DIAG_NO_MEMORY, n_layers, NULL);
    return KF_ENOMEM;
  }
  check_layers(layers, n_layers, model->layers, &param_elements, d); /* passed above */
  model->mode = mode;
  model->era = era;
  model->n_layers = n_layers;
  float *next = model->param_storage;
  for (size_t i = 0; i < n_layers; i++) {
    kf__layer *layer = &model->layers[i];
    layer->held = SIZE_MAX;
    if (era == KF_FLAX_0_11 && layer->spec.type == KF_LAYER_DROPOUT) {
      layer->held = model->n_held;
      model->held[model->n_held++].layer = i;
    }
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

/* The stream a layer draws from at construction, and how many keys:
 * parameters from 'params', and in Flax >= 0.11 a Dropout's fork from its
 * rng_collection (both falling back to 'default'). */
static size_t construction_draws(const kf_model *model, size_t i, const char **stream) {
  const kf__layer *layer = &model->layers[i];
  if (layer->held != SIZE_MAX) {
    *stream = layer->spec.rng_collection;
    return 1;
  }
  *stream = PARAMS_STREAM;
  return layer->n_params;
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
  if (rc == KF_OK) rc = model_alloc(layers, n_layers, kf_rngs_mode(rngs), kf_rngs_era(rngs), &model, &d);

  /* Every parameter takes one key, zeros included (Flax draws before calling
   * the initializer), and so does a 0.11+ Dropout's fork, layer after layer
   * as the constructors run. Check the running total per serving stream, so
   * that two names falling back to 'default' add up and a failure names the
   * layer that would run dry. */
  size_t n_keys = 0;
  size_t needed[KF_RNGS_MAX_STREAMS] = {0};
  for (size_t i = 0; rc == KF_OK && i < n_layers; i++) {
    const char *stream;
    const size_t n = construction_draws(model, i, &stream);
    if (n == 0) continue;
    size_t index = 0;
    n_keys += n;
    rc = kf_rngs_resolve(rngs, stream, &index);
    if (rc == KF_OK) {
      needed[index] += n;
      rc = kf_rngs_can_draw(rngs, stream, needed[index]);
    }
    if (rc != KF_OK) {
      d = kf__diag_at(KF_DIAG_STREAM, i, &model->layers[i].spec);
      snprintf(d.stream, sizeof d.stream, "%s", stream);
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
  for (size_t i = 0; rc == KF_OK && i < n_layers; i++) {
    const char *stream;
    const size_t n = construction_draws(model, i, &stream);
    size_t index = 0;
    if (n > 0) rc = kf_rngs_draw(rngs, stream, n, keys + k, NULL, &index);
    const kf__layer *layer = &model->layers[i];
    if (rc == KF_OK && layer->held != SIZE_MAX) {
      /* RngStream.fork(): the parent's next key, count 0, the parent's tag. */
      kf_stream_state *held = &model->held[layer->held].state;
      kf_rngs_stream_at(rngs, index, held);
      held->key = keys[k];
      held->count = 0;
    }
    for (size_t j = 0; rc == KF_OK && layer->held == SIZE_MAX && j < layer->n_params; j++)
      rc = kf_init_apply(param_init(&layer->spec, j), keys[k + j], model->mode, &layer->param_shape[j],
                         layer->param[j]);
    k += n;
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

/* Borrows model; copies the spec into the caller's *out. */
int kf_model_layer_spec(const kf_model *model, size_t i, kf_layer_spec *out) {
  if (!model || !out || out->struct_size < KF__LAYER_SPEC_V1_SIZE) return KF_EINVAL;
  if (i >= model->n_layers) return KF_ERANGE;
  /* A caller built against a newer header gets zeros, "as before", for the
   * members this library does not know. */
  const size_t size = out->struct_size;
  const kf_layer_spec *spec = &model->layers[i].spec;
  memcpy(out, spec, size < sizeof *spec ? size : sizeof *spec);
  if (size > sizeof *spec) memset((char *)out + sizeof *spec, 0, size - sizeof *spec);
  out->struct_size = size;
  return KF_OK;
}

/* Borrows model. */
kf_dtype kf_model_input_dtype(const kf_model *model) {
  return model && model->layers[0].spec.type == KF_LAYER_EMBED ? KF_INT32 : KF_FLOAT32;
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
