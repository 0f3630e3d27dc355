/* keyfoldd — the safetensors writer (safetensors.h). */
#include "safetensors.h"

#include <string.h>

#include "keyfold/error.h"

/* safetensors' dtype names for keyfold's dtypes; NULL where it has none. */
static const char *st_dtype(kf_dtype d) {
  switch (d) {
    case KF_FLOAT32: return "F32";
    case KF_INT32: return "I32";
    case KF_UINT32: return "U32";
    case KF_UINT8: return "U8";
    case KF_UINT16: return "U16";
    case KF_UINT64: return "U64";
    case KF_BOOL: return "BOOL";
    default: return NULL;
  }
}

static size_t bytes_of(const kf_tensor *t) {
  size_t n = 0;
  if (kf_shape_numel(&t->shape, &n) != KF_OK) return 0;
  return n * kf_dtype_size(t->dtype);
}

int kd_safetensors_write(kd_buf *b, const kd_named_tensor *tensors, size_t n,
                         const char *const *meta, size_t n_meta) {
  kd_buf header;
  kd_buf_init(&header);
  kd_jw w;
  kd_jw_init(&w, &header);
  kd_jw_object_begin(&w);
  if (n_meta > 0) {
    kd_jw_key(&w, "__metadata__");
    kd_jw_object_begin(&w);
    for (size_t i = 0; i < n_meta; i++) {
      kd_jw_key(&w, meta[2 * i]);
      kd_jw_string(&w, meta[2 * i + 1]);
    }
    kd_jw_object_end(&w);
  }
  uint64_t offset = 0;
  for (size_t i = 0; i < n; i++) {
    const kf_tensor *t = &tensors[i].tensor;
    const char *dtype = st_dtype(t->dtype);
    if (!dtype) {
      kd_buf_free(&header);
      return -1;
    }
    kd_jw_key(&w, tensors[i].name);
    kd_jw_object_begin(&w);
    kd_jw_key(&w, "dtype");
    kd_jw_string(&w, dtype);
    kd_jw_key(&w, "shape");
    kd_jw_array_begin(&w);
    for (int d = 0; d < t->shape.rank; d++) kd_jw_uint(&w, (uint64_t)t->shape.dim[d]);
    kd_jw_array_end(&w);
    kd_jw_key(&w, "data_offsets");
    kd_jw_array_begin(&w);
    kd_jw_uint(&w, offset);
    offset += bytes_of(t);
    kd_jw_uint(&w, offset);
    kd_jw_array_end(&w);
    kd_jw_object_end(&w);
  }
  kd_jw_object_end(&w);
  /* The data starts 8-aligned, as the reference writer pads it. */
  /* A failed buffer stops growing: the loop must not wait for it. */
  while (header.len % 8 != 0 && !kd_buf_failed(&header)) kd_buf_putc(&header, ' ');
  if (kd_buf_failed(&header)) {
    kd_buf_free(&header);
    b->failed = 1;
    return -1;
  }
  unsigned char len_le[8];
  for (int i = 0; i < 8; i++) len_le[i] = (unsigned char)((uint64_t)header.len >> (8 * i));
  kd_buf_reserve(b, 8 + header.len + (size_t)offset);
  kd_buf_append(b, len_le, 8);
  kd_buf_append(b, header.data, header.len);
  kd_buf_free(&header);
  for (size_t i = 0; i < n; i++) {
    const kf_tensor *t = &tensors[i].tensor;
    const size_t item = kf_dtype_size(t->dtype);
    kd_buf_append_le(b, t->data, bytes_of(t) / item, item);
  }
  return kd_buf_failed(b) ? -1 : 0;
}
