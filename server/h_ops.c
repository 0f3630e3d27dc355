/* keyfoldd — health (Open Inference Protocol) and Prometheus metrics. */
#include <stdio.h>

#include "codec.h"
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

int kd_snapshot(kd_server *srv, char *path, size_t path_size, char *msg, size_t msg_size) {
  if (!srv->persist) {
    snprintf(msg, msg_size, "there is no store to snapshot: the daemon runs with --durability memory");
    return -1;
  }
  char dir[4096];
  if (srv->cfg.snapshot_dir[0])
    snprintf(dir, sizeof dir, "%s", srv->cfg.snapshot_dir);
  else
    snprintf(dir, sizeof dir, "%s/snapshots", srv->cfg.data_dir);
  return kd_persist_snapshot(srv->persist, dir, path, path_size, msg, msg_size);
}

int kd_h_admin_snapshot(kd_request *req, kd_response *res, kd_err *err) {
  static const char *const fields[] = {NULL};
  if (kd_check_fields(req->body, "body", fields, err) != 0) return -1;
  char path[4200], msg[1024];
  if (kd_snapshot(req->srv, path, sizeof path, msg, sizeof msg) != 0)
    return kd_fail(err, req->srv->persist ? KD_UNAVAILABLE : KD_FAILED_PRECONDITION, "%s", msg);
  kd_log(req->srv, KD_LOG_INFO, "snapshot written to %s", path);
  kd_jw w;
  kd_jw_init(&w, &res->body);
  kd_jw_object_begin(&w);
  kd_jw_key(&w, "path");
  kd_jw_string(&w, path);
  kd_jw_object_end(&w);
  return 0;
}

int kd_h_metrics(kd_request *req, kd_response *res, kd_err *err) {
  (void)err;
  kd_metrics_write(req->srv->metrics, kd_store_count(req->srv->store), &res->body);
  res->content_type = "text/plain; version=0.0.4; charset=utf-8";
  return 0;
}
