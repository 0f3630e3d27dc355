/* keyfoldd — the durability policy's state, shared by its files:
 * durability.c (recording and completion), recovery.c and backup.c. Not
 * for anyone else: the rest of the server goes through durability.h. */
#ifndef KEYFOLDD_DURABLE_INTERNAL_H
#define KEYFOLDD_DURABLE_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "backend.h"
#include "config.h"
#include "store.h"

struct kd_durable {
  kd_durability mode;
  uint32_t lease_block;
  kd_store *table;
  kd_backend *backend; /* NULL in memory mode */
  atomic_int fenced;
};

/* Sets s's bookkeeping to its streams as they are now, all durable (a
 * recovered or refreshed session). 0, or -1 on ENOMEM. */
int kd_durable_adopt_streams(kd_session *s);

#endif
