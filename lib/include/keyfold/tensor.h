/* keyfold — shapes and tensors.
 *
 * A tensor is a view: the caller owns `data`; keyfold never frees or keeps it
 * past the call it was passed to.
 */
#ifndef KEYFOLD_TENSOR_H
#define KEYFOLD_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KF_MAX_RANK 8

/* Largest element count any keyfold function accepts (2^40). Keeps every byte
 * size and every 64-bit counter computation far from overflow. */
#define KF_MAX_ELEMENTS ((uint64_t)1 << 40)

typedef struct kf_shape {
  int rank;                  /* 0 .. KF_MAX_RANK; 0 is a scalar (one element) */
  int64_t dim[KF_MAX_RANK];  /* each >= 0; entries past rank are ignored */
} kf_shape;

typedef enum kf_dtype {
  KF_FLOAT32 = 0,
  KF_INT32 = 1,
  KF_UINT32 = 2,
  KF_BOOL = 3,  /* one byte per element, 0 or 1 */
  KF_UINT8 = 4,
  KF_UINT16 = 5,
  KF_UINT64 = 6,
  KF_INT64 = 7,
  KF_FLOAT64 = 8
} kf_dtype;

typedef struct kf_tensor {
  kf_dtype dtype;
  kf_shape shape;
  void *data;  /* row-major, numel * kf_dtype_size(dtype) bytes, owned by the caller */
} kf_tensor;

/* Fills `out` with the given rank and dims after validating them.
 * Returns KF_ESHAPE for a rank outside 0..KF_MAX_RANK or a negative dim,
 * KF_EOVERFLOW if the element count exceeds KF_MAX_ELEMENTS, KF_EINVAL for a
 * NULL pointer (dims may be NULL when rank is 0). */
int kf_shape_make(kf_shape *out, int rank, const int64_t *dims);

/* Stores the element count of a valid shape in *numel.
 * Returns KF_ESHAPE / KF_EOVERFLOW as kf_shape_make does for an invalid one. */
int kf_shape_numel(const kf_shape *shape, size_t *numel);

/* Whether the two shapes are equal (same rank and dims). */
bool kf_shape_equal(const kf_shape *a, const kf_shape *b);

/* Bytes per element of `dtype`, 0 for an unknown value. */
size_t kf_dtype_size(kf_dtype dtype);

/* Static lower-case name, e.g. "float32" (NULL for an unknown value). */
const char *kf_dtype_name(kf_dtype dtype);

/* Looks a dtype up by its name. Returns KF_EINVAL for an unknown name. */
int kf_dtype_from_name(const char *name, kf_dtype *out);

#ifdef __cplusplus
}
#endif

#endif
