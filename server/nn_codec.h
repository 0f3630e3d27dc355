/* keyfoldd — JSON codec for initializers and layer specs (the model part of
 * the API), used by session creation and by POST /v1/init/{initializer}. */
#ifndef KEYFOLDD_NN_CODEC_H
#define KEYFOLDD_NN_CODEC_H

#include <jansson.h>

#include "apierr.h"
#include "buf.h"
#include "keyfold/keyfold.h"

/* The NULL-terminated parameter fields an initializer kind takes:
 * normal {stddev}, uniform {scale}, truncated_normal {stddev, lower, upper},
 * constant {value}, variance_scaling {scale, mode, distribution, in_axis,
 * out_axis}, the others none. */
const char *const *kd_init_param_fields(kf_init_kind kind);

/* Every initializer name the API accepts, canonical ones and then JAX's
 * aliases, comma separated into out (for messages). Returns out. */
const char *kd_init_names(char *out, size_t cap);

/* Reads an initializer's parameters for `kind` from the members of obj
 * (absent ones take JAX's defaults). Does not reject other members: the
 * caller checks fields with kd_init_param_fields. 400 on bad values. */
int kd_parse_init_params(kf_init_kind kind, const json_t *obj, const char *what, kf_init *out,
                         kd_err *err);

/* The request of one initializer draw (`what` names the body in messages):
 * its shape (required, at most max_elements: 413) and kind's parameters,
 * checked with kf_init_check (400 naming the field); on success *init is
 * ready for kf_init_apply and *out a float32 tensor of that shape with
 * malloc'd data the caller frees. `name` is the initializer as the client
 * called it, for messages. */
int kd_init_prepare(kf_init_kind kind, const char *name, const json_t *obj, const char *what,
                    uint64_t max_elements, kf_init *init, kf_tensor *out, kd_err *err);

/* An initializer as a layer field: a name ("he_uniform", aliases allowed) or
 * an object {"name": "uniform", "scale": 1.0} with the kind's parameters. */
int kd_parse_init(const json_t *v, const char *what, kf_init *out, kd_err *err);

/* Writes an initializer in canonical form: its name when it takes no
 * parameters, else {"name": …, every parameter}. */
void kd_write_init(kd_jw *w, const kf_init *init);

/* A layer object {"type": "linear", …} with strict fields per type (every
 * type also takes "name"; containers "layers", read by kd_parse_layers).
 * Sizes must be positive (400); a single linear or embed parameter over
 * max_elements is 413. Whole-model checks (widths, embed position, the
 * element total) are kf_model_check's. */
int kd_parse_layer(const json_t *v, const char *what, uint64_t max_elements, kf_layer_spec *out,
                   kd_err *err);

/* The model as the library takes it: the layer tree in preorder (a
 * container followed by its n_children subtrees), with each element's place
 * in the request ("body.model.layers[1].layers[0]") for messages. */
#define KD_MAX_SPEC_LAYERS 1024
#define KD_LAYER_WHAT_MAX 160
typedef struct kd_layer_list {
  kf_layer_spec *specs;                /* n entries, malloc'd */
  char (*what)[KD_LAYER_WHAT_MAX];     /* n entries, malloc'd */
  size_t n;
} kd_layer_list;

/* Reads a JSON list of layers (and their children) into *out, which the
 * caller frees with kd_layer_list_free on success (nothing to free on
 * failure). `what` names the list ("body.model.layers"). */
int kd_parse_layers(const json_t *layers, const char *what, uint64_t max_elements,
                    kd_layer_list *out, kd_err *err);
void kd_layer_list_free(kd_layer_list *list);

/* The field that says which width a layer reads: "num_features" for the
 * norms, "in_features" for the others (static). */
const char *kd_layer_width_field(kf_layer_type type);

/* The i-th field name a layer object of `type` takes ("type", "name", its
 * own, "layers" for containers), NULL past the last. */
const char *kd_layer_field_at(kf_layer_type type, size_t i);

/* Writes a layer's members with every default filled in, without braces
 * and without children. */
void kd_write_layer_members(kd_jw *w, const kf_layer_spec *spec);

/* Called inside the object of spec i, after its members, to add more. */
typedef void (*kd_layer_annotate)(kd_jw *w, size_t i, void *ctx);
/* Reads spec i (an array's element, a model's kf_model_spec): 0 on success. */
typedef int (*kd_spec_get)(void *ctx, size_t i, kf_layer_spec *out);

/* Writes a preorder spec array of n elements back as the nested JSON list
 * it came from, defaults filled in; annotate (may be NULL) adds members. */
void kd_write_layers(kd_jw *w, kd_spec_get get, void *ctx, size_t n, kd_layer_annotate annotate);

#endif
