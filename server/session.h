/* keyfoldd — building a session from its creation spec, shared by
 * POST /v1/sessions and by recovery from the store. */
#ifndef KEYFOLDD_SESSION_H
#define KEYFOLDD_SESSION_H

#include <jansson.h>

#include "apierr.h"
#include "server.h"
#include "store.h"

/* Builds an unpublished session (refs 1) called name from a creation spec:
 * an object with the optional members "rngs", "model" and "options" of
 * POST /v1/sessions (other members are the caller's to check). Draws the
 * model's parameters as Flax does. On success, if spec_out is not NULL, it
 * receives a new malloc'd canonical spec {"rngs": {stream: [hi, lo]},
 * "model": {"layers": […]} | null, "options": {…}} that rebuilds the same
 * session. 400/413 on a bad spec. */
int kd_session_build(const char *name, const json_t *spec, const kd_config *cfg, kd_session **out,
                     char **spec_out, kd_err *err);

/* Runs the session's model on the input tensor x (a nested list or tensor
 * object; `what` names it in messages) and records the dropout draws like
 * POST …/forward. On success *y owns malloc'd float32 output data and `out`
 * has room reserved for writing it. 400/409/413 as the forward endpoint. */
int kd_session_forward(kd_request *req, kd_response *res, kd_session *s, const json_t *x,
                       const char *what, kf_deterministic det, kf_tensor *y, kd_buf *out,
                       kd_err *err);

/* kd_session_forward for an input already decoded (from JSON or .npy) into
 * *x, of the dtype the model reads (int32 when it starts with embed, else
 * float32). Takes over x->data (freed, and set to NULL, in every case). The
 * one forward path: every input form ends here. */
int kd_session_forward_tensor(kd_request *req, kd_response *res, kd_session *s, kf_tensor *x,
                              const char *what, kf_deterministic det, kf_tensor *y, kd_buf *out,
                              kd_err *err);

#endif
