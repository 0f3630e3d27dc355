/* The reference for kd_format_f32 (server/buf.c): the snprintf/strtod
 * search it used before the fast formatter, kept verbatim so that
 * tests/test_f32fmt.c and tests/f32fmt_exhaustive.c compare the fast one
 * with what keyfoldd printed before, string for string.
 *
 * %.6g, %.7g, %.8g, %.9g (from %.1g for subnormals) of the value as a
 * double, keeping the first that parses back (strtod, then rounding to
 * float32) to the same float; ".0" appended when the result has neither a
 * '.' nor an exponent. */
#ifndef KEYFOLD_TESTS_F32FMT_REF_H
#define KEYFOLD_TESTS_F32FMT_REF_H

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int ref_format_f32(float v, char out[32]) {
  if (isnan(v)) return snprintf(out, 32, "NaN");
  if (isinf(v)) return snprintf(out, 32, v > 0 ? "Infinity" : "-Infinity");
  int n = 0;
  for (int prec = fabsf(v) < FLT_MIN ? 1 : 6; prec <= 9; prec++) {
    n = snprintf(out, 32, "%.*g", prec, (double)v);
    if ((float)strtod(out, NULL) == v) break;
  }
  if (!strpbrk(out, ".eEn")) {
    out[n++] = '.';
    out[n++] = '0';
    out[n] = '\0';
  }
  return n;
}

#endif
