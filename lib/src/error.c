/* keyfold — error codes to text. */
#include "keyfold/error.h"

const char *kf_strerror(int err) {
  switch ((kf_error)err) {
    case KF_OK: return "success";
    case KF_EINVAL: return "invalid argument";
    case KF_ESHAPE: return "invalid shape";
    case KF_EOVERFLOW: return "size too large";
    case KF_ENOMEM: return "out of memory";
    case KF_ENOTFOUND: return "no such stream";
    case KF_EEXHAUSTED: return "stream count exhausted (reseed the stream)";
    case KF_ERANGE: return "value out of range";
    case KF_EEXIST: return "already exists";
    case KF_EMISMATCH: return "input does not match the model";
    case KF_EUNSUPPORTED: return "not supported";
  }
  return "unknown error";
}

const char *kf_err_name(int err) {
  switch ((kf_error)err) {
    case KF_OK: return "KF_OK";
    case KF_EINVAL: return "KF_EINVAL";
    case KF_ESHAPE: return "KF_ESHAPE";
    case KF_EOVERFLOW: return "KF_EOVERFLOW";
    case KF_ENOMEM: return "KF_ENOMEM";
    case KF_ENOTFOUND: return "KF_ENOTFOUND";
    case KF_EEXHAUSTED: return "KF_EEXHAUSTED";
    case KF_ERANGE: return "KF_ERANGE";
    case KF_EEXIST: return "KF_EEXIST";
    case KF_EMISMATCH: return "KF_EMISMATCH";
    case KF_EUNSUPPORTED: return "KF_EUNSUPPORTED";
  }
  return "KF_UNKNOWN";
}
