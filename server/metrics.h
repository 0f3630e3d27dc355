/* keyfoldd — Prometheus metrics: requests by route and status, latency
 * histograms by route, keys drawn, sessions. Lock-free counters. */
#ifndef KEYFOLDD_METRICS_H
#define KEYFOLDD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct kd_metrics kd_metrics;

/* routes: number of route labels; index `routes` itself counts unmatched requests. */
kd_metrics *kd_metrics_new(size_t routes);
void kd_metrics_free(kd_metrics *m);

void kd_metrics_observe(kd_metrics *m, size_t route, int status, double seconds);
void kd_metrics_add_keys(kd_metrics *m, uint64_t n);
/* One group commit of the store: its duration, the changes it made durable, success. */
void kd_metrics_observe_commit(kd_metrics *m, double seconds, uint64_t changes, int ok);

/* Writes the text exposition format; route labels come from the route table. */
void kd_metrics_write(kd_metrics *m, size_t sessions, kd_buf *out);

#endif
