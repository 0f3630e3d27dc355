/* keyfoldd — Prometheus metrics: requests by route and status, latency
 * histograms by route, keys drawn, sessions. Lock-free counters. */
#ifndef KEYFOLDD_METRICS_H
#define KEYFOLDD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct kd_metrics kd_metrics;

/* Route i's labels: its method and pattern (static strings). */
typedef void (*kd_route_label_fn)(size_t i, const char **method, const char **pattern);

/* Counters for n routes labelled by `label` (the route table's reader);
 * index n counts unmatched requests. Statuses are counted for 200, 201, 204
 * and every status of the error table (apierr.h). NULL on ENOMEM. */
kd_metrics *kd_metrics_new(kd_route_label_fn label, size_t n);
void kd_metrics_free(kd_metrics *m);

void kd_metrics_observe(kd_metrics *m, size_t route, int status, double seconds);
void kd_metrics_add_keys(kd_metrics *m, uint64_t n);
/* One group commit of the store: its duration, the changes it made durable, success. */
void kd_metrics_observe_commit(kd_metrics *m, double seconds, uint64_t changes, int ok);

/* Writes the text exposition format. */
void kd_metrics_write(kd_metrics *m, size_t sessions, kd_buf *out);

#endif
