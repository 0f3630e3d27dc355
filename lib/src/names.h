/* keyfold — an enum's names as a table in the enum's order, and the two
 * lookups every kf_<noun>_name / kf_<noun>_from_name pair makes over it.
 * Inline and without a .c: it adds no symbol and so no edge between the
 * modules that use it. Not installed. */
#ifndef KEYFOLD_NAMES_H
#define KEYFOLD_NAMES_H

#include <stddef.h>
#include <string.h>

#include "keyfold/error.h"

/* names[value] for 0 <= value < n, else NULL. Returns a static string. */
static inline const char *kf__name_of(const char *const *names, size_t n, int value) {
  return value >= 0 && (size_t)value < n ? names[value] : NULL;
}

/* The value whose name is `name` into *out: KF_EINVAL for a NULL argument or
 * a name not in the table. Borrows name. */
static inline int kf__value_of(const char *const *names, size_t n, const char *name, int *out) {
  if (!name || !out) return KF_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) {
      *out = (int)i;
      return KF_OK;
    }
  return KF_EINVAL;
}

/* kf_<noun>_name and kf_<noun>_from_name for an enum type whose values are
 * 0 .. n - 1 and a table `table` of their names in that order. */
#define KF__NAMES_DEFINE(noun, type, table)                                              \
  const char *kf_##noun##_name(type value) {                                             \
    return kf__name_of(table, sizeof table / sizeof table[0], (int)value);               \
  }                                                                                      \
  int kf_##noun##_from_name(const char *name, type *out) {                               \
    int v = 0;                                                                           \
    const int rc = out ? kf__value_of(table, sizeof table / sizeof table[0], name, &v) : KF_EINVAL; \
    if (rc == KF_OK) *out = (type)v;                                                     \
    return rc;                                                                           \
  }

#endif
