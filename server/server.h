/* keyfoldd — the server object: configuration and the services every
 * operation reaches (session table, durability, metrics, logger). It is
 * handed to the session service and, through it, to every handler. */
#ifndef KEYFOLDD_SERVER_H
#define KEYFOLDD_SERVER_H

#include <stdatomic.h>

#include "config.h"
#include "durability.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

typedef struct kd_server {
  kd_config cfg;
  kd_logger log;
  kd_store *store;       /* the sessions, by name */
  kd_metrics *metrics;
  kd_durable *durable;   /* NULL: memory mode (nothing is recorded) */
  char auth_token[256];  /* the bearer token; empty: no authentication */
  atomic_int ready;      /* 0 until start-up (recovery) has finished; never reset */
  atomic_int stopping;   /* 1 once a shutdown has begun: readiness turns 503 */
} kd_server;

#endif
