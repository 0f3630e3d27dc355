/* keyfoldd — every route handler. Handlers are thin: decode the JSON body
 * with codec.h, call the library or the store, encode the answer. */
#ifndef KEYFOLDD_HANDLERS_H
#define KEYFOLDD_HANDLERS_H

#include "router.h"

/* h_sessions.c — /v1/sessions… ({name} is params[0]) */
int kd_h_session_create(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_fork(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_list(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_get(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_delete(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_keys(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_sample(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_forward(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_reseed(kd_request *req, kd_response *res, kd_err *err);
int kd_h_session_params(kd_request *req, kd_response *res, kd_err *err);

/* h_random.c — stateless /v1/random/{op} and /v1/init/{initializer} (params[0]) */
int kd_h_random(kd_request *req, kd_response *res, kd_err *err);
int kd_h_random_list(kd_request *req, kd_response *res, kd_err *err);
int kd_h_init(kd_request *req, kd_response *res, kd_err *err);

/* h_oip.c — Open Inference Protocol (errors as {"error": "<text>"}) */
int kd_h_oip_server(kd_request *req, kd_response *res, kd_err *err);
int kd_h_oip_model(kd_request *req, kd_response *res, kd_err *err);
int kd_h_oip_model_ready(kd_request *req, kd_response *res, kd_err *err);
int kd_h_oip_infer(kd_request *req, kd_response *res, kd_err *err);

/* h_ui.c — the browser console's embedded files: /ui is index.html, /ui/{file*}
 * (params[0]) any other; 404 for unknown files and when --ui is off */
int kd_h_ui(kd_request *req, kd_response *res, kd_err *err);

/* The members the JSON bodies of these handlers take (kd_check_fields
 * refuses others), NULL-terminated, for --dump-tables. The random
 * operations' fields are in ops.h, the options' in spec.h. */
extern const char *const kd_session_create_fields[];
extern const char *const kd_session_fork_fields[];
extern const char *const kd_session_keys_fields[];
extern const char *const kd_session_forward_fields[];
extern const char *const kd_session_reseed_fields[];
extern const char *const kd_admin_restore_fields[];

/* h_ops.c — health and metrics */
int kd_h_health_live(kd_request *req, kd_response *res, kd_err *err);
int kd_h_health_ready(kd_request *req, kd_response *res, kd_err *err);
int kd_h_metrics(kd_request *req, kd_response *res, kd_err *err);
/* POST /v1/admin/snapshot: an online backup of the store. */
int kd_h_admin_snapshot(kd_request *req, kd_response *res, kd_err *err);
/* POST /v1/admin/restore: ends the fence of a store restored from a snapshot. */
int kd_h_admin_restore(kd_request *req, kd_response *res, kd_err *err);

#endif
