/* keyfoldd — snapshots of the store (durability.h), named by time in the
 * snapshot directory and marked so that a restored copy starts fenced. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "durability.h"
#include "durable_internal.h"
#include "fsutil.h"

int kd_durable_snapshot(kd_durable *d, const char *dir, char *path, size_t path_size, char *msg,
                        size_t msg_size) {
  if (!d || !d->backend) {
    snprintf(msg, msg_size, "there is no store to snapshot: the daemon runs with --durability memory");
    return -1;
  }
  if (!d->backend->ops->snapshot) {
    snprintf(msg, msg_size, "the %s store takes no snapshots: back it up with its own tools (pg_dump)",
             d->backend->ops->name);
    return -2;
  }
  if (kd_mkdir_p(dir) != 0) {
    snprintf(msg, msg_size, "cannot create the snapshot directory %s: %s", dir, strerror(errno));
    return -1;
  }
  /* Named by UTC time; a sequence number keeps two snapshots in the same
   * second apart. */
  static atomic_uint sequence;
  const time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  snprintf(path, path_size, "%s/keyfold-%s-%u.db", dir, stamp, atomic_fetch_add(&sequence, 1));
  return d->backend->ops->snapshot(d->backend, path, msg, msg_size);
}
