/* keyfoldd — the API's error model, written once.
 *
 * A handler that fails fills a kd_err; the HTTP layer turns it into the
 * status and the body {"error": {"code": …, "message": …}} (or the Open
 * Inference Protocol's {"error": "…"} on /v2/models routes).
 */
#ifndef KEYFOLDD_APIERR_H
#define KEYFOLDD_APIERR_H

#include "buf.h"

typedef enum kd_code {
  KD_OK = 0,
  KD_INVALID_ARGUMENT,     /* 400 */
  KD_UNAUTHENTICATED,      /* 401 */
  KD_NOT_FOUND,            /* 404 */
  KD_METHOD_NOT_ALLOWED,   /* 405 */
  KD_NOT_ACCEPTABLE,       /* 406 */
  KD_ALREADY_EXISTS,       /* 409 */
  KD_FAILED_PRECONDITION,  /* 409 */
  KD_PAYLOAD_TOO_LARGE,    /* 413 */
  KD_UNSUPPORTED_MEDIA,    /* 415 */
  KD_RESOURCE_EXHAUSTED,   /* 429 */
  KD_INTERNAL,             /* 500 */
  KD_UNAVAILABLE,          /* 503 */
  KD_CODE_COUNT
} kd_code;

#define KD_ERR_MESSAGE_MAX 512

typedef struct kd_err {
  kd_code code;
  char message[KD_ERR_MESSAGE_MAX];
} kd_err;

/* Sets *err (code and printf-style message) and returns -1, so that handlers
 * can write `return kd_fail(err, KD_INVALID_ARGUMENT, "...")`. */
int kd_fail(kd_err *err, kd_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Maps a library error code to an API error about `what` (a field or
 * operation name) and returns -1. */
int kd_fail_kf(kd_err *err, int kf_rc, const char *what);

/* A code's HTTP status and name ("not_found"). The API's codes are
 * KD_OK + 1 .. KD_CODE_COUNT - 1; --dump-tables (tables.h) lists them. */
int kd_code_status(kd_code code);
const char *kd_code_name(kd_code code);

/* Writes {"error": {"code": …, "message": …}} to b. */
void kd_err_write_json(const kd_err *err, kd_buf *b);
/* Writes the Open Inference Protocol form {"error": "…"} to b. */
void kd_err_write_oip(const kd_err *err, kd_buf *b);

#endif
