/* keyfoldd — recovery (durability.h): every stored row checked, its
 * streams decoded, and handed to the session service to rebuild; a
 * recovered session's bookkeeping starts out durable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durability.h"
#include "durable_internal.h"

typedef struct recover_ctx {
  kd_recover_fn fn;
  void *arg;
  const char *where;
  kd_store *table;
  long rows;
} recover_ctx;

static int check_row(recover_ctx *ctx, const kd_raw_row *raw, char *detail, size_t size) {
  kd_row row;
  if (!raw->name || !raw->spec) {
    snprintf(detail, size, "session '%s': unreadable spec", raw->name ? raw->name : "?");
    return -1;
  }
  if (kd_row_spec_check(raw->name, raw->spec, raw->checksum) != raw->spec_check ||
      kd_row_streams_check(raw->name, raw->blob, raw->blob_len) != raw->streams_check) {
    snprintf(detail, size, "session '%s': the row does not match its check (damaged)", raw->name);
    return -1;
  }
  if (kd_row_decode(raw->blob, raw->blob_len, row.streams, &row.n_streams, &row.n_held, &row.stats,
                    &row.n_stats) != 0) {
    snprintf(detail, size, "session '%s': malformed stream state", raw->name);
    return -1;
  }
  row.name = raw->name;
  row.spec = raw->spec;
  row.checksum = raw->checksum;
  row.version = raw->version;
  return ctx->fn(ctx->arg, &row, detail, size);
}

static int recover_row(void *arg, const kd_raw_row *raw, char *msg, size_t msg_size) {
  recover_ctx *ctx = arg;
  /* The session's table slot is a cache miss of its own (a million
   * sessions: 32 MiB of table): let it load while the row is checked and
   * built. */
  if (raw->name) kd_store_prefetch(ctx->table, raw->name);
  char detail[800];
  if (check_row(ctx, raw, detail, sizeof detail) != 0) {
    snprintf(msg, msg_size, "refusing the store %s: %s", ctx->where, detail);
    return -1;
  }
  ctx->rows++;
  return 0;
}

long kd_durable_recover(kd_durable *d, kd_recover_fn fn, void *arg, char *msg, size_t msg_size) {
  if (!d->backend) return 0;
  recover_ctx ctx = {fn, arg, d->backend->where, d->table, 0};
  if (d->backend->ops->scan(d->backend, recover_row, &ctx, msg, msg_size) != 0) return -1;
  return ctx.rows;
}

static int fetch_row(void *arg, const kd_raw_row *raw, char *msg, size_t msg_size) {
  return check_row(arg, raw, msg, msg_size);
}

int kd_durable_shared(const kd_durable *d) { return d && d->backend && d->backend->shared; }

int kd_durable_fetch(kd_durable *d, const char *name, kd_recover_fn fn, void *arg, char *msg, size_t msg_size) {
  if (!kd_durable_shared(d) || !d->backend->ops->fetch) return 0;
  recover_ctx ctx = {fn, arg, d->backend->where, d->table, 0};
  return d->backend->ops->fetch(d->backend, name, fetch_row, &ctx, msg, msg_size);
}

char **kd_durable_page(kd_durable *d, const char *after, const char *prefix, size_t limit, size_t *n, int *more,
                       char *msg, size_t msg_size) {
  if (!kd_durable_shared(d) || !d->backend->ops->page) {
    snprintf(msg, msg_size, "the store is not shared");
    return NULL;
  }
  return d->backend->ops->page(d->backend, after, prefix, limit, n, more, msg, msg_size);
}

int kd_durable_adopt(kd_durable *d, kd_session *s) {
  if (!d->backend) return 0;
  if (kd_durable_adopt_streams(s) != 0) return -1;
  if (atomic_load(&d->fenced)) s->fenced = 1;
  return 0;
}

