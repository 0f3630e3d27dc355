/* keyfoldd — health (Open Inference Protocol), Prometheus metrics and the
 * administrative endpoints (snapshots, restore). */
#include <stdio.h>

#include "codec.h"
#include "handlers.h"
#include "session.h"

int kd_h_health_live(kd_request *req, kd_response *res, kd_err *err) {
  (void)req;
  (void)err;
  kd_buf_puts(&res->body, "{}");
  return 0;
}

int kd_h_health_ready(kd_request *req, kd_response *res, kd_err *err) {
  if (!atomic_load(&req->srv->ready)) return kd_fail(err, KD_UNAVAILABLE, "the daemon is starting up");
  if (atomic_load(&req->srv->stopping)) return kd_fail(err, KD_UNAVAILABLE, "the daemon is shutting down");
  if (!kd_durable_healthy(req->srv->durable))
    return kd_fail(err, KD_UNAVAILABLE, "the session store is failing to write; retrying");
  kd_buf_puts(&res->body, "{}");
  return 0;
}

int kd_h_admin_snapshot(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const fields[] = {NULL};
  if (kd_check_fields(req->body, "body", fields, err) != 0) return -1;
  char path[4200];
  if (kd_service_snapshot(req->srv, path, sizeof path, err) != 0) return -1;
  kd_log(&req->srv->log, KD_LOG_INFO, "snapshot written to %s", path);
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "path");
  kd_jw_string(&w, path);
  kd_jw_object_end(&w);
  return 0;
}

const char *const kd_admin_restore_fields[] = {"advance", NULL};

int kd_h_admin_restore(kd_request *req, kd_response *res, kd_err *err) {
  const json_t *body = req->body;
  int64_t advance;
  if (kd_check_fields(body, "body", kd_admin_restore_fields, err) != 0) return -1;
  if (kd_get_int(body, "body", "advance", 1, 1, UINT32_MAX, 0, &advance, err) != 0) return -1;
  const char *note;
  if (!kd_service_fenced(req->srv, &note))
    return kd_fail(err, KD_FAILED_PRECONDITION,
                   "the store is not fenced: it was not restored from a snapshot (or was already unfenced)");
  size_t advanced = 0;
  kd_ticket *ticket = NULL;
  if (kd_service_restore(req->srv, (uint32_t)advance, &advanced, &ticket, err) != 0) return -1;
  kd_response_wait(res, ticket);
  kd_log(&req->srv->log, KD_LOG_WARN, "restore: advanced %zu sessions by %lld counts; the store is unfenced",
         advanced, (long long)advance);
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "advanced_sessions");
  kd_jw_uint(&w, advanced);
  kd_jw_key(&w, "advance");
  kd_jw_uint(&w, (uint64_t)advance);
  kd_jw_object_end(&w);
  return 0;
}

int kd_h_metrics(kd_request *req, kd_response *res, kd_err *err) {
  (void)err;
  kd_metrics_write(req->srv->metrics, kd_store_count(req->srv->store), &res->body);
  res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  return 0;
}
