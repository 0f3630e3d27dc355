/* keyfoldd — the JSON codec for the API's values: fields, seeds, keys,
 * shapes and tensors. Decoding reads jansson values and reports the
 * offending field in a kd_err; encoding writes through kd_jw.
 *
 * `what` arguments name the field as the client wrote it, e.g.
 * "model.layers[1].rate", and appear verbatim in error messages.
 */
#ifndef KEYFOLDD_CODEC_H
#define KEYFOLDD_CODEC_H

#include <jansson.h>
#include <stdint.h>

#include "apierr.h"
#include "buf.h"
#include "keyfold/keyfold.h"

/* Routes jansson's allocations through the C library's malloc with a
 * per-thread note of failures, so that kd_json_load can tell a request
 * that ran out of memory (503) from a malformed one (400): jansson itself
 * reports some allocation failures as syntax errors. Call once at start-up,
 * before any thread uses jansson. */
void kd_json_setup(void);

/* json_loadb with JSON_REJECT_DUPLICATES; on failure *oom says whether an
 * allocation failed. Returns a new reference or NULL. */
json_t *kd_json_load(const char *buf, size_t len, int *oom, json_error_t *jerr);

/* Fails with 400 naming the first member of obj not in the NULL-terminated
 * list `allowed`; also fails if obj is not an object. */
int kd_check_fields(const json_t *obj, const char *what, const char *const *allowed, kd_err *err);

/* Reads member `name` of obj. Absent (or null) members take the default and
 * succeed unless `required`. Each fails with 400 on a wrong type or range. */
int kd_get_int(const json_t *obj, const char *what, const char *name, int required, int64_t min,
               int64_t max, int64_t def, int64_t *out, kd_err *err);
int kd_get_double(const json_t *obj, const char *what, const char *name, int required, double def,
                  double *out, kd_err *err);
/* A number that must be finite as a float32. */
int kd_get_f32(const json_t *obj, const char *what, const char *name, int required, float def,
               float *out, kd_err *err);
int kd_get_bool(const json_t *obj, const char *what, const char *name, int def, int *out,
                kd_err *err);
/* *out borrows the string from obj (valid while obj lives). */
int kd_get_string(const json_t *obj, const char *what, const char *name, int required,
                  const char *def, const char **out, kd_err *err);

/* A Key: [hi, lo], two integers in 0..4294967295. */
int kd_parse_key(const json_t *v, const char *what, kf_key *out, kd_err *err);
/* A Seed (integer, signed 64-bit: key(seed) = [0, seed mod 2^32]) or a Key. */
int kd_parse_seed_or_key(const json_t *v, const char *what, kf_key *out, kd_err *err);
/* "partitionable" / "legacy"; absent means partitionable. */
int kd_get_threefry(const json_t *obj, const char *what, const char *name, kf_threefry_mode *out,
                    kd_err *err);
/* A shape: a list of at most KF_MAX_RANK non-negative integers whose product
 * is at most max_elements (413 beyond). */
int kd_parse_shape(const json_t *v, const char *what, uint64_t max_elements, kf_shape *out,
                   size_t *numel, kd_err *err);

/* The element count of dims, 413 (naming `what`) beyond max_elements. */
int kd_count_elements(const int64_t *dims, int rank, uint64_t max_elements, const char *what,
                      size_t *numel, kd_err *err);

/* How kd_parse_values stores one element: converts e into element i of data
 * (whose type the caller knows) or fails naming `path` ("x[1][0]", "x.data[5]"). */
typedef int (*kd_value_store)(const json_t *e, const char *path, void *data, size_t i,
                              const void *ctx, kd_err *err);

typedef struct kd_values_spec {
  size_t elem_size;
  kd_value_store store;
  const void *ctx;            /* passed to store */
  const char *const *dtypes;  /* a Tensor object's accepted "dtype"s (the first is the default) */
  void *one;                  /* if set, a single element is stored here, not allocated */
} kd_values_spec;

/* Values given as a number (shape []), a rectangular nested JSON array or a
 * Tensor object {"shape", "dtype", "data"}, each element through
 * spec->store. On success *data is a new malloc'd array of *numel elements
 * (or spec->one for a single element when set). 413 beyond max_elements;
 * on failure nothing is left to free. */
int kd_parse_values(const json_t *v, const char *what, const kd_values_spec *spec,
                    uint64_t max_elements, kf_shape *shape, size_t *numel, void **data,
                    kd_err *err);

/* An input tensor: a nested JSON array (rectangular, numbers) or an object
 * {"shape", "dtype", "data"}. `dtype` is KF_FLOAT32 (finite float32 values)
 * or KF_INT32 (integers in the int32 range). On success out->data is a new
 * malloc'd buffer the caller frees. 413 beyond max_elements. */
int kd_parse_tensor(const json_t *v, const char *what, kf_dtype dtype, uint64_t max_elements,
                    kf_tensor *out, kd_err *err);

/* Copies a client-supplied string for an error message into out: at most 64
 * characters, printable ASCII only (others become '?'), "..." when cut.
 * Returns out. NULL becomes "". */
const char *kd_shown(const char *s, char out[72]);

/* Writes a Key as [hi, lo]. */
void kd_write_key(kd_jw *w, kf_key key);
/* Writes the members "shape", "dtype" and "data" of a tensor into the object
 * being written (so callers can add more members), for every kf_dtype:
 * uint64/int64 elements are written as decimal strings. */
void kd_write_tensor_members(kd_jw *w, const kf_tensor *t);
/* Writes a whole Tensor object. */
void kd_write_tensor(kd_jw *w, const kf_tensor *t);
/* Writes a shape as a JSON list. */
void kd_write_shape(kd_jw *w, const kf_shape *s);

#endif
