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

int kd_durable_adopt(kd_durable *d, kd_session *s) {
  if (!d->backend) return 0;
  kf_stream_state streams[KD_STREAMS_MAX];
  const size_t n = kd_session_streams(s, streams, NULL);
  kd_durable_stream *ds = calloc(n ? n : 1, sizeof *ds);
  if (!ds) return -1;
  for (size_t i = 0; i < n; i++) {
    ds[i].key_target = ds[i].key_durable = streams[i].key;
    ds[i].count_target = ds[i].count_durable = streams[i].count;
  }
  free(s->durable);
  s->durable = ds;
  s->n_durable = n;
  if (atomic_load(&d->fenced)) s->fenced = 1;
  return 0;
}

