/* keyfold — an einsum layer's equation, parsed in one place for model.c's
 * validation and forward.c's shapes and product (einsum.c); not installed. */
#ifndef KEYFOLD_EINSUM_H
#define KEYFOLD_EINSUM_H

#include <stdbool.h>

#include "keyfold/nn.h"

/* Sized like the whole equation, so that a part is never cut short: a
 * shape check must see every letter to refuse an input of too low a rank. */
#define KF__EINSUM_PART (sizeof ((kf_layer_spec *)0)->einsum_str)

/* The letters of "lhs,rhs->out" without the "...", each NUL-terminated, and
 * whether lhs and out lead with "..." (the input's leading axes). */
typedef struct kf__einsum {
  char lhs[KF__EINSUM_PART], rhs[KF__EINSUM_PART], out[KF__EINSUM_PART];
  bool ellipsis;
} kf__einsum;

/* Parses spec->einsum_str into *e. Returns false, *e undefined, for an
 * equation keyfold does not compute: not "lhs,rhs->out" of letters (an
 * optional leading "..." on lhs and out together), the kernel's letters not
 * as many as spec->n_kernel_shape, a letter repeated within an operand, an
 * output letter in neither operand, or a letter of one operand only that the
 * output drops. */
bool kf__einsum_parse(const kf_layer_spec *spec, kf__einsum *e);

#endif
