/* keyfoldd — the safetensors format: named tensors as one file, the form
 * GET /v1/sessions/{name}/params?format=safetensors returns (api.md 1.1).
 *
 * The layout (huggingface/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON header — {"<name>": {"dtype": "F32", "shape":
 * [...], "data_offsets": [begin, end]}, ..., "__metadata__": {string:
 * string}} padded with spaces to a multiple of 8 bytes — then the tensors'
 * little-endian data back to back, offsets counted from the data's start.
 * Tools (safetensors, PyTorch, NumPy with a few lines) load it without
 * running anything from the file.
 */
#ifndef KEYFOLDD_SAFETENSORS_H
#define KEYFOLDD_SAFETENSORS_H

#include <stddef.h>

#include "buf.h"
#include "keyfold/tensor.h"

#define KD_SAFETENSORS_MEDIA_TYPE "application/octet-stream"

/* One tensor of a file: its name and a view of its data. Borrowed. */
typedef struct kd_named_tensor {
  const char *name;
  kf_tensor tensor;
} kd_named_tensor;

/* Appends the file holding tensors[0, n) in that order, with the metadata
 * pairs meta[0], meta[1], ... (n_meta pairs of key, value; may be 0) in
 * the header's __metadata__, to b. Names must be distinct. Borrows
 * everything; b keeps owning its memory. Returns 0, or -1 for a dtype
 * without a safetensors name or if b could not grow (b is then failed). */
int kd_safetensors_write(kd_buf *b, const kd_named_tensor *tensors, size_t n,
                         const char *const *meta, size_t n_meta);

#endif
