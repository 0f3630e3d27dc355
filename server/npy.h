/* keyfoldd — the NumPy .npy codec: one tensor as a .npy file (docs/npy.md).
 *
 * Writing gives exactly the bytes numpy.save writes for the same array
 * (format version 1.0, numpy's header layout and padding, little-endian
 * data). Reading accepts format versions 1.0, 2.0 and 3.0 and parses the
 * header dict with a strict parser of the subset of Python literal syntax
 * that numpy writes: nothing is evaluated, and nothing outside the given
 * bytes is ever read.
 *
 * `what` arguments name the body in error messages ("body"); failures are
 * 400 invalid_argument naming what is wrong, or 413 payload_too_large for
 * arrays over the element limit.
 */
#ifndef KEYFOLDD_NPY_H
#define KEYFOLDD_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "apierr.h"
#include "buf.h"
#include "keyfold/tensor.h"

#define KD_NPY_MEDIA_TYPE "application/x-npy"

/* The bytes kd_npy_write appends for t: the header and the data. 0 for a
 * dtype without a .npy form or an invalid shape. Borrows t. */
size_t kd_npy_size(const kf_tensor *t);

/* Appends t to b as a .npy file (version 1.0, C order, little-endian):
 * descr '<f4', '<f8', '<i4', '<i8', '<u4', '<u2', '<u8', '|u1' or '|b1' by
 * dtype. Borrows t; b keeps owning its memory. Returns 0, or -1 if the dtype
 * or shape is invalid or b could not grow (b is then marked failed). */
int kd_npy_write(kd_buf *b, const kf_tensor *t);

/* A parsed .npy body: a view into the caller's bytes, valid while they are. */
typedef struct kd_npy {
  char kind;                 /* 'b' bool, 'i' signed, 'u' unsigned integer, 'f' float */
  unsigned itemsize;         /* bytes per element: 1, 2, 4 or 8 */
  int fortran_order;         /* 1: the data is column-major */
  kf_shape shape;
  size_t numel;
  const unsigned char *data; /* numel * itemsize little-endian bytes inside the body */
  char descr[16];            /* the descr as given, for messages ("<f8") */
} kd_npy;

/* Parses body[0, len) as one .npy file: magic, version (1.0, 2.0 or 3.0),
 * header dict {'descr', 'fortran_order', 'shape'} (exactly these keys) and
 * exactly numel * itemsize bytes of data. descr is one of bool ('|b1'),
 * int8..int64, uint8..uint64, float32, float64, little-endian ('<', or '|'
 * / '=' / none where that means the same). Refused with 400: a bad magic or
 * version, a truncated preamble, header or data, trailing bytes, a header
 * that is not such a dict, big-endian, object, string, structured or other
 * dtypes, more than KF_MAX_RANK dimensions; with 413: more than
 * max_elements elements or a dimension too large to count. Borrows body;
 * on success *out points into it. */
int kd_npy_parse(const void *body, size_t len, const char *what, uint64_t max_elements,
                 kd_npy *out, kd_err *err);

/* Converts a parsed array into a new row-major tensor of dtype `want`,
 * transposing Fortran-ordered data:
 *   KF_FLOAT32 from float32, float64 (rounded to nearest) or any integer
 *     type (as numpy's astype(float32)); every element must be finite as a
 *     float32 (400 naming the first that is not);
 *   KF_INT32 from any integer type, each element within the int32 range.
 * bool and other combinations are 400. Borrows in; on success out->data is
 * a new malloc'd buffer the caller frees (503 when malloc fails). */
int kd_npy_convert(const kd_npy *in, kf_dtype want, const char *what, kf_tensor *out,
                   kd_err *err);

#endif
