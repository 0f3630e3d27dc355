/* keyfoldd — error codes, statuses and error bodies. */
#include "apierr.h"

#include <stdarg.h>
#include <stdio.h>

#include "keyfold/error.h"

static const struct {
  int status;
  const char *name;
} codes[] = {
  [KD_OK] = {200, "ok"},
  [KD_INVALID_ARGUMENT] = {400, "invalid_argument"},
  [KD_UNAUTHENTICATED] = {401, "unauthenticated"},
  [KD_NOT_FOUND] = {404, "not_found"},
  [KD_METHOD_NOT_ALLOWED] = {405, "method_not_allowed"},
  [KD_NOT_ACCEPTABLE] = {406, "not_acceptable"},
  [KD_ALREADY_EXISTS] = {409, "already_exists"},
  [KD_FAILED_PRECONDITION] = {409, "failed_precondition"},
  [KD_PAYLOAD_TOO_LARGE] = {413, "payload_too_large"},
  [KD_UNSUPPORTED_MEDIA] = {415, "unsupported_media_type"},
  [KD_RESOURCE_EXHAUSTED] = {429, "resource_exhausted"},
  [KD_INTERNAL] = {500, "internal"},
  [KD_UNAVAILABLE] = {503, "unavailable"},
};

int kd_code_status(kd_code code) {
  return (unsigned)code < sizeof codes / sizeof codes[0] ? codes[code].status : 500;
}

const char *kd_code_name(kd_code code) {
  return (unsigned)code < sizeof codes / sizeof codes[0] ? codes[code].name : "internal";
}

int kd_fail(kd_err *err, kd_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  err->code = code;
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

int kd_fail_kf(kd_err *err, int rc, const char *what) {
  switch (rc) {
    case KF_ENOMEM: return kd_fail(err, KD_UNAVAILABLE, "%s: out of memory", what);
    case KF_EOVERFLOW: return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s: size too large", what);
    case KF_ENOTFOUND: return kd_fail(err, KD_NOT_FOUND, "%s: no such stream", what);
    case KF_EEXHAUSTED:
      return kd_fail(err, KD_FAILED_PRECONDITION,
                     "%s: the stream's count would pass 4294967295; reseed the stream first", what);
    case KF_EEXIST: return kd_fail(err, KD_ALREADY_EXISTS, "%s: already exists", what);
    case KF_EUNSUPPORTED: return kd_fail(err, KD_INVALID_ARGUMENT, "%s: not supported", what);
    default: return kd_fail(err, KD_INVALID_ARGUMENT, "%s: %s", what, kf_strerror(rc));
  }
}

void kd_err_write_json(const kd_err *err, kd_buf *b) {
  kd_jw w;
  kd_jw_init(&w, b);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "error");
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "code");
  kd_jw_string(&w, kd_code_name(err->code));
  kd_jw_key(&w, "message");
  kd_jw_string(&w, err->message);
  kd_jw_object_end(&w);
  kd_jw_object_end(&w);
}

void kd_err_write_oip(const kd_err *err, kd_buf *b) {
  kd_jw w;
  kd_jw_init(&w, b);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "error");
  kd_jw_string(&w, err->message);
  kd_jw_object_end(&w);
}
