/* keyfold — error codes shared by every function of the library.
 *
 * One return convention runs through the API:
 *  - every call that can fail returns an int: KF_OK (0) on success or one of
 *    the negative codes below, and hands its results back through pointer
 *    arguments (new handles too: kf_rngs_new(mode, &rngs));
 *  - predicates ("is it valid?", "is there one?") return bool;
 *  - calls that cannot fail return their value directly (kf_fold_in, counts,
 *    accessors that read a handle);
 *  - kf_<enum>_name(value) returns a static string, NULL for a value outside
 *    the enum (a look-up, like getenv); kf_strerror and kf_err_name never
 *    return NULL, so that any code can be printed.
 * Functions never abort on caller input and leave their outputs and any
 * handle they were given unchanged when they fail, unless the function
 * comment says otherwise.
 */
#ifndef KEYFOLD_ERROR_H
#define KEYFOLD_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kf_error {
  KF_OK = 0,
  KF_EINVAL = -1,       /* an argument is invalid (NULL, NaN, unknown enum value, bad name) */
  KF_ESHAPE = -2,       /* a shape is invalid: negative dimension, rank over KF_MAX_RANK */
  KF_EOVERFLOW = -3,    /* an element count or byte size does not fit */
  KF_ENOMEM = -4,       /* memory allocation failed */
  KF_ENOTFOUND = -5,    /* no such stream (and no 'default' stream to fall back to) */
  KF_EEXHAUSTED = -6,   /* a stream's count would pass 2^32 - 1: reseed it first */
  KF_ERANGE = -7,       /* a number is outside its allowed range */
  KF_EEXIST = -8,       /* a stream of that name already exists */
  KF_EMISMATCH = -9,    /* an input does not fit the model (width, rank, dtype, index) */
  KF_EUNSUPPORTED = -10 /* a valid request the library does not implement */
} kf_error;

/* Returns a static, human-readable description of `err` (never NULL). */
const char *kf_strerror(int err);

/* Returns the static symbolic name of `err`, e.g. "KF_EINVAL" (never NULL). */
const char *kf_err_name(int err);

#ifdef __cplusplus
}
#endif

#endif
