/* keyfold — shape validation and dtype tables. */
#include <string.h>

#include "keyfold/error.h"
#include "keyfold/tensor.h"

static int shape_validate(int rank, const int64_t *dims, size_t *numel) {
  if (rank < 0 || rank > KF_MAX_RANK) return KF_ESHAPE;
  uint64_t n = 1;
  int zero = 0;
  for (int i = 0; i < rank; i++) {
    if (dims[i] < 0) return KF_ESHAPE;
    if (dims[i] == 0) zero = 1;
  }
  /* A zero dim makes the count 0, but the other dims must still be sane so
   * that callers can size strides without overflow. */
  for (int i = 0; i < rank; i++) {
    uint64_t d = (uint64_t)dims[i];
    if (d > KF_MAX_ELEMENTS) return KF_EOVERFLOW;
    if (d == 0) continue;
    if (n > KF_MAX_ELEMENTS / d) return KF_EOVERFLOW;
    n *= d;
  }
  if (numel) *numel = zero ? 0 : (size_t)n;
  return KF_OK;
}

int kf_shape_make(kf_shape *out, int rank, const int64_t *dims) {
  if (!out || (rank > 0 && !dims)) return KF_EINVAL;
  int rc = shape_validate(rank, dims, NULL);
  if (rc != KF_OK) return rc;
  kf_shape s;
  memset(&s, 0, sizeof s);
  s.rank = rank;
  for (int i = 0; i < rank; i++) s.dim[i] = dims[i];
  *out = s;
  return KF_OK;
}

int kf_shape_numel(const kf_shape *shape, size_t *numel) {
  if (!shape || !numel) return KF_EINVAL;
  return shape_validate(shape->rank, shape->dim, numel);
}

bool kf_shape_equal(const kf_shape *a, const kf_shape *b) {
  if (!a || !b || a->rank != b->rank) return false;
  for (int i = 0; i < a->rank && i < KF_MAX_RANK; i++)
    if (a->dim[i] != b->dim[i]) return false;
  return true;
}

static const struct {
  const char *name;
  size_t size;
} dtype_table[] = {
  [KF_FLOAT32] = {"float32", 4}, [KF_INT32] = {"int32", 4},   [KF_UINT32] = {"uint32", 4},
  [KF_BOOL] = {"bool", 1},       [KF_UINT8] = {"uint8", 1},   [KF_UINT16] = {"uint16", 2},
  [KF_UINT64] = {"uint64", 8},   [KF_INT64] = {"int64", 8},   [KF_FLOAT64] = {"float64", 8},
};
#define DTYPE_COUNT (sizeof dtype_table / sizeof dtype_table[0])

size_t kf_dtype_size(kf_dtype dtype) {
  return (unsigned)dtype < DTYPE_COUNT ? dtype_table[dtype].size : 0;
}

const char *kf_dtype_name(kf_dtype dtype) {
  return (unsigned)dtype < DTYPE_COUNT ? dtype_table[dtype].name : NULL;
}

int kf_dtype_from_name(const char *name, kf_dtype *out) {
  if (!name || !out) return KF_EINVAL;
  for (size_t i = 0; i < DTYPE_COUNT; i++) {
    if (strcmp(dtype_table[i].name, name) == 0) {
      *out = (kf_dtype)i;
      return KF_OK;
    }
  }
  return KF_EINVAL;
}
