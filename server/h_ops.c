/* keyfoldd — health (Open Inference Protocol) and Prometheus metrics. */
#include "handlers.h"
#include "metrics.h"
#include "persist.h"
#include "store.h"

int kd_h_health_live(kd_request *req, kd_response *res, kd_err *err) {
  (void)req;
  (void)err;
  kd_buf_puts(&res->body, "{}");
  return 0;
}

int kd_h_health_ready(kd_request *req, kd_response *res, kd_err *err) {
  if (!atomic_load(&req->srv->ready)) return kd_fail(err, KD_UNAVAILABLE, "the daemon is starting up");
  if (atomic_load(&req->srv->stopping)) return kd_fail(err, KD_UNAVAILABLE, "the daemon is shutting down");
  if (!kd_persist_healthy(req->srv->persist))
    return kd_fail(err, KD_UNAVAILABLE, "the session store is failing to write; retrying");
  kd_buf_puts(&res->body, "{}");
  return 0;
}

int kd_h_metrics(kd_request *req, kd_response *res, kd_err *err) {
  (void)err;
  kd_metrics_write(req->srv->metrics, kd_store_count(req->srv->store), &res->body);
  res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  return 0;
}
