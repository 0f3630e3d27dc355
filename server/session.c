/* keyfoldd — the session service (session.h). */
#include "session.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "nn_codec.h"

#define SESSION_NAME_RULE "[A-Za-z0-9][A-Za-z0-9._-]{0,127}"

static int out_of_memory(kd_err *err) {
  return kd_fail(err, KD_UNAVAILABLE, "out of memory while handling the request");
}

/* A request that took the lock after the DELETE that removed s. */
static int deleted(const kd_session *s, kd_err *err) {
  return kd_fail(err, KD_NOT_FOUND, "session '%s' not found", s->name);
}

static int fenced(const kd_session *s, kd_err *err) {
  return kd_fail(err, KD_FAILED_PRECONDITION,
                 "session '%s' was restored from a snapshot and may be behind keys it already handed "
                 "out: it draws nothing until POST /v1/admin/restore {\"advance\": N} advances it or a "
                 "reseed replaces every one of its streams",
                 s->name);
}

/* With s's lock held: a fenced session of a shared store asks the store
 * whether another replica's restore lifted the fence meanwhile (letting the
 * lock go while it does), so that s->fenced is current. */
static void recheck_fence(kd_server *srv, kd_session *s) {
  if (!s->fenced || s->deleted || !kd_durable_shared(srv->durable)) return;
  pthread_mutex_unlock(&s->lock);
  kd_durable_check_fence(srv->durable);
  pthread_mutex_lock(&s->lock);
}

static void take_view(const kd_session *s, kd_session_view *view) {
  view->session = s;
  view->n_streams = kf_rngs_stream_count(s->rngs);
  for (size_t i = 0; i < view->n_streams; i++) kf_rngs_stream_at(s->rngs, i, &view->streams[i]);
  view->n_held = kf_model_stream_count(s->model);
  for (size_t i = 0; i < view->n_held; i++) kf_model_stream_at(s->model, i, &view->held[i]);
}

int kd_session_find(kd_server *srv, const char *name, kd_session **out, kd_err *err) {
  char shown[72];
  *out = NULL;
  if (!kd_session_name_valid(name))
    return kd_fail(err, KD_INVALID_ARGUMENT, "session name '%s' must match " SESSION_NAME_RULE,
                   kd_shown(name, shown));
  *out = kd_store_get(srv->store, name);
  /* Replicas: a session created through another is loaded on first use. */
  if (!*out && kd_durable_shared(srv->durable)) {
    if (kd_session_sync(srv, name, err) != 0) return -1;
    *out = kd_store_get(srv->store, name);
  }
  if (!*out) return kd_fail(err, KD_NOT_FOUND, "session '%s' not found", name);
  return 0;
}

int kd_session_find_current(kd_server *srv, const char *name, kd_session **out, kd_err *err) {
  if (kd_session_find(srv, name, out, err) != 0) return -1;
  if (!kd_durable_shared(srv->durable)) return 0;
  /* How many statistics a model has is fixed when it is built: no lock. */
  if (kd_session_stat_count(*out) == 0) return 0;
  /* Another replica may have trained the statistics since: read the row. */
  kd_session_release(*out);
  *out = NULL;
  if (kd_session_sync(srv, name, err) != 0) return -1;
  return kd_session_find(srv, name, out, err);
}

/* ---------------------------------------------------------------- create */

int kd_session_build(const char *name, const kd_spec *spec, kd_session **out, kd_err *err) {
  *out = NULL;
  kf_rngs *rngs = NULL;
  kf_model *model = NULL;
  int rc = kf_rngs_new_era(spec->mode, spec->era, &rngs);
  for (size_t i = 0; rc == KF_OK && i < spec->n_seeds; i++)
    rc = kf_rngs_add_stream(rngs, spec->seeds[i].name, spec->seeds[i].key, 0);
  if (rc != KF_OK) {
    kf_rngs_free(rngs);
    return kd_fail_kf(err, rc, "body.rngs");
  }
  if (spec->layers) {
    kf_model_diag diag = KF_MODEL_DIAG_INIT;
    rc = kf_model_new(spec->layers, spec->n_layers, rngs, &model, &diag);
    const size_t bad = diag.layer;
    if (rc != KF_OK) {
      kf_rngs_free(rngs);
      if (rc == KF_ENOTFOUND && diag.layer_type == KF_LAYER_DROPOUT) {
        char flax[160];
        kf_flax_not_found_message(spec->era, diag.stream, flax, sizeof flax);
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "body.model.layers[%zu]: with options.flax \"%s\" a dropout forks its stream "
                       "'%s' when it is built, but the rngs have neither '%s' nor 'default' (Flax: %s)",
                       bad, spec->flax, diag.stream, diag.stream, flax);
      }
      if (rc == KF_ENOTFOUND)
        return kd_fail(err, KD_INVALID_ARGUMENT,
                       "body.model.layers[%zu] draws from 'params' but the rngs have neither 'params' nor "
                       "'default'",
                       bad);
      char what[64];
      snprintf(what, sizeof what, "body.model.layers[%zu]", bad);
      return kd_fail_kf(err, rc, what);
    }
  }
  kd_session *s = kd_session_new(name);
  if (!s) {
    kf_model_free(model);
    kf_rngs_free(rngs);
    return out_of_memory(err);
  }
  s->rngs = rngs;
  s->model = model;
  s->threefry = spec->mode;
  memcpy(s->flax, spec->flax, sizeof s->flax);
  *out = s;
  return 0;
}

int kd_session_create(kd_server *srv, const char *name, const kd_spec *spec, kd_session **out,
                      kd_session_view *view, kd_ticket **ticket, kd_err *err) {
  *out = NULL;
  *ticket = NULL;
  /* Replicas: the table's entry for the name as the store has it. */
  if (kd_session_sync(srv, name, err) != 0) return -1;
  /* Fail fast on a taken name before building a possibly large model;
   * kd_store_insert checks again atomically. */
  kd_session *existing = kd_store_get(srv->store, name);
  if (existing) {
    kd_session_release(existing);
    return kd_fail(err, KD_ALREADY_EXISTS, "session '%s' already exists", name);
  }
  kd_session *s;
  if (kd_session_build(name, spec, &s, err) != 0) return -1;
  char *canonical = NULL;
  if (srv->durable && !(canonical = kd_spec_write(spec))) {
    kd_session_release(s);
    return out_of_memory(err);
  }
  take_view(s, view);
  /* Published and recorded under the session's lock: a request that finds
   * the new session waits for the lock, so its changes reach the store
   * after the creation. The caller's reference keeps s alive throughout. */
  pthread_mutex_lock(&s->lock);
  atomic_fetch_add(&s->refs, 1); /* the table's, once inserted */
  int rc = kd_store_insert(srv->store, s, err);
  if (rc != 0) {
    atomic_fetch_sub(&s->refs, 1);
  } else if (kd_durable_record(srv->durable, s, KD_CHANGE_CREATE, canonical, kd_model_checksum(s->model),
                               ticket, err) != 0) {
    s->deleted = 1;
    kd_store_remove(srv->store, s->name, s); /* drops the table's reference */
    rc = -1;
  }
  pthread_mutex_unlock(&s->lock);
  free(canonical);
  if (rc != 0) {
    kd_session_release(s);
    return -1;
  }
  *out = s;
  return 0;
}

/* ------------------------------------------------------------------ fork */

/* Under the parent's lock: the parent streams to fork (their indices and
 * states now), and the child's seeds in the parent's order. */
static int fork_plan(const kd_session *parent, const char *const *streams, size_t n, size_t *index,
                     kf_stream_state *before, size_t *count, kd_spec *spec, kd_err *err) {
  const size_t all = kf_rngs_stream_count(parent->rngs);
  *count = 0;
  for (size_t i = 0; i < all; i++) {
    kf_stream_state st;
    kf_rngs_stream_at(parent->rngs, i, &st);
    int wanted = n == 0;
    for (size_t j = 0; !wanted && j < n; j++) wanted = strcmp(streams[j], st.name) == 0;
    if (!wanted) continue;
    if (st.count == UINT32_MAX)
      return kd_fail(err, KD_FAILED_PRECONDITION,
                     "stream '%s' of session '%s' is at count 4294967295: forking it would take it past; "
                     "reseed it first",
                     st.name, parent->name);
    index[*count] = i;
    before[*count] = st;
    kd_stream_seed *seed = &spec->seeds[*count];
    memcpy(seed->name, st.name, sizeof seed->name);
    seed->key = kf_fold_in(st.key, st.count);
    (*count)++;
  }
  for (size_t j = 0; j < n; j++) {
    if (!kf_rngs_has_stream(parent->rngs, streams[j], NULL))
      return kd_fail(err, KD_INVALID_ARGUMENT, "body.streams: session '%s' has no stream '%s' (fork takes the "
                                               "parent's own streams, without falling back to 'default')",
                     parent->name, streams[j]);
  }
  spec->n_seeds = *count;
  return 0;
}

int kd_session_fork(kd_server *srv, kd_session *parent, const char *name, const char *const *streams,
                    size_t n, kd_spec *spec, kd_session **out, kd_session_view *view, kd_ticket **ticket,
                    kd_err *err) {
  *out = NULL;
  *ticket = NULL;
  if (kd_session_sync(srv, name, err) != 0) return -1;
  kd_session *existing = kd_store_get(srv->store, name);
  if (existing) {
    kd_session_release(existing);
    return kd_fail(err, KD_ALREADY_EXISTS, "session '%s' already exists", name);
  }
  size_t index[KF_RNGS_MAX_STREAMS];
  kf_stream_state before[KF_RNGS_MAX_STREAMS];
  size_t count = 0;
  kd_session *child = NULL;
  char *canonical = NULL;
  int rc = 0;
  /* Everything under the parent's lock: the child's keys are the parent's
   * next keys, valid only while nobody else draws. */
  pthread_mutex_lock(&parent->lock);
  recheck_fence(srv, parent);
  if (parent->deleted)
    rc = deleted(parent, err);
  else if (parent->fenced)
    rc = fenced(parent, err);
  if (rc == 0) rc = fork_plan(parent, streams, n, index, before, &count, spec, err);
  if (rc == 0) rc = kd_session_build(name, spec, &child, err);
  if (rc == 0 && srv->durable && !(canonical = kd_spec_write(spec))) rc = out_of_memory(err);
  if (rc == 0) {
    take_view(child, view);
    pthread_mutex_lock(&child->lock);
    atomic_fetch_add(&child->refs, 1); /* the table's, once inserted */
    rc = kd_store_insert(srv->store, child, err);
    if (rc != 0) {
      atomic_fetch_sub(&child->refs, 1);
    } else {
      /* The parent moves on, and its change is recorded together with the
       * child's creation, parent first: a store that holds the child holds
       * the parent's new counts too, so the parent never hands out a
       * child's key. If they cannot be recorded, the parent goes back. */
      for (size_t i = 0; i < count; i++) {
        kf_key next;
        kf_rngs_draw(parent->rngs, before[i].name, 1, &next, NULL, NULL);
      }
      rc = kd_durable_record_pair(srv->durable, parent, KD_CHANGE_STATE, child, KD_CHANGE_CREATE, canonical,
                                  kd_model_checksum(child->model), ticket, err);
      if (rc != 0) {
        for (size_t i = 0; i < count; i++) kf_rngs_set_stream(parent->rngs, index[i], &before[i]);
        child->deleted = 1;
        kd_store_remove(srv->store, child->name, child);
      }
    }
    pthread_mutex_unlock(&child->lock);
  }
  pthread_mutex_unlock(&parent->lock);
  free(canonical);
  if (rc != 0) {
    kd_session_release(child);
    return -1;
  }
  kd_metrics_add_keys(srv->metrics, count);
  *out = child;
  return 0;
}

/* ------------------------------------------------------- get, delete */

void kd_session_get(kd_session *s, kd_session_view *view) {
  pthread_mutex_lock(&s->lock);
  take_view(s, view);
  pthread_mutex_unlock(&s->lock);
}

int kd_session_delete(kd_server *srv, const char *name, kd_ticket **ticket, kd_err *err) {
  *ticket = NULL;
  kd_session *s;
  if (kd_session_find(srv, name, &s, err) != 0) return -1;
  /* Removed and recorded under the session's lock, so the deletion reaches
   * the store after every change made before it, and every request that
   * takes the lock afterwards sees `deleted`. */
  pthread_mutex_lock(&s->lock);
  /* Recorded first: a deletion that cannot be recorded changes nothing. */
  int rc = s->deleted ? deleted(s, err) : kd_durable_record(srv->durable, s, KD_CHANGE_DELETE, NULL, 0, ticket, err);
  if (rc == 0) {
    s->deleted = 1;
    kd_store_remove(srv->store, name, s);
  }
  pthread_mutex_unlock(&s->lock);
  kd_session_release(s);
  return rc;
}

/* ------------------------------------------------------------------ draw */

/* Explains a failed draw of n keys from `stream` (served by `src` when the
 * resolve succeeded). */
static int draw_failed(int rc, kf_flax_era era, const char *stream, const kf_stream_state *src, int resolved,
                       uint64_t n, kd_err *err) {
  if (rc == KF_ENOTFOUND) {
    kd_fail(err, KD_NOT_FOUND, "%s", "");
    kf_flax_not_found_message(era, stream, err->message, sizeof err->message);
    return -1;
  }
  if (rc == KF_EEXHAUSTED && resolved) {
    const int other = strcmp(stream, src->name) != 0;
    return kd_fail(err, KD_FAILED_PRECONDITION,
                   "stream '%s'%s%s%s is at count %lu: drawing %llu more key%s would take it past "
                   "4294967295; reseed it first",
                   stream, other ? " (served by '" : "", other ? src->name : "", other ? "')" : "",
                   (unsigned long)src->count, (unsigned long long)n, n == 1 ? "" : "s");
  }
  char what[96];
  snprintf(what, sizeof what, "stream '%s'", stream);
  return kd_fail_kf(err, rc, what);
}

int kd_session_draw(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys,
                    kd_draw *out, kd_ticket **ticket, kd_err *err) {
  return kd_session_draw_using(srv, s, stream, n, keys, NULL, NULL, out, ticket, err);
}

/* Takes s's lock and makes the checks every draw makes first. Returns -1
 * with err and the lock released for a deleted or fenced session; else 0
 * with the lock held, *rc the KF code of resolving `stream` (*index,
 * *resolved, its state in out->source) and of n more counts fitting — in
 * the cached count unless `claimed` (the row decides: the cache may be
 * behind, or ahead by claims the row refused). */
static int draw_checks(kd_server *srv, kd_session *s, const char *stream, uint64_t n, int claimed, size_t *index,
                       int *rc, int *resolved, kd_draw *out, kd_err *err) {
  pthread_mutex_lock(&s->lock);
  recheck_fence(srv, s);
  if (s->deleted || s->fenced) {
    if (s->deleted)
      deleted(s, err);
    else
      fenced(s, err);
    pthread_mutex_unlock(&s->lock);
    return -1;
  }
  *rc = kf_rngs_resolve(s->rngs, stream, index);
  *resolved = *rc == KF_OK;
  if (*rc == KF_OK) *rc = kf_rngs_stream_at(s->rngs, *index, &out->source);
  if (*rc == KF_OK && n > ((uint64_t)1 << 32)) *rc = KF_EEXHAUSTED;
  if (*rc == KF_OK && !claimed) *rc = kf_rngs_can_draw(s->rngs, stream, (size_t)n);
  return 0;
}

/* Claims one request may make: each after the session it claimed from was
 * found deleted or created again meanwhile. */
#define CLAIM_RUNS_MAX 16

/* A request's second run: its keys from the counts the store granted (from
 * base, with the stream's key as the store had it), computed as a draw from
 * that state — the cached stream is put back as it was. */
static int draw_granted(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys,
                        kd_draw_use_fn use, void *arg, kf_key key, uint32_t base, kd_draw *out, kd_err *err) {
  size_t index = 0;
  kf_stream_state saved;
  pthread_mutex_lock(&s->lock);
  int rc = kf_rngs_resolve(s->rngs, stream, &index);
  if (rc == KF_OK) rc = kf_rngs_stream_at(s->rngs, index, &saved);
  if (rc == KF_OK) {
    out->source = saved;
    out->source.key = key;
    out->source.count = base;
    out->mode = s->threefry;
    out->era = kf_rngs_era(s->rngs);
    rc = kf_rngs_set_stream(s->rngs, index, &out->source);
    if (rc == KF_OK) rc = kf_rngs_draw(s->rngs, stream, (size_t)n, keys, NULL, NULL);
    kf_rngs_set_stream(s->rngs, index, &saved);
  }
  const int used = rc != KF_OK || !use || use(arg, keys, out, err) == 0;
  pthread_mutex_unlock(&s->lock);
  if (!used) return -1;
  if (rc != KF_OK) return draw_failed(rc, kf_rngs_era(s->rngs), stream, &out->source, rc != KF_ENOTFOUND, n, err);
  kd_metrics_add_keys(srv->metrics, n);
  return 0;
}

int kd_session_draw_claimed(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys,
                            kd_draw_use_fn use, void *arg, kd_claim *claim, kd_draw *out, kd_ticket **ticket,
                            kd_err *err) {
  *ticket = NULL;
  if (!claim || (!claim->ticket && !kd_durable_claims(srv->durable, s)))
    return kd_session_draw_using(srv, s, stream, n, keys, use, arg, out, ticket, err);
  if (claim->ticket) {
    kd_ticket *t = claim->ticket;
    claim->ticket = NULL;
    const int ok = t->ok;
    const kd_claim_result claimed = t->claimed;
    const uint32_t base = t->claim_base;
    const kf_key key = kf_key_from_data(t->claim_hi, t->claim_lo);
    kd_ticket_release(t);
    if (ok && claimed == KD_CLAIM_GRANTED) return draw_granted(srv, s, stream, n, keys, use, arg, key, base, out, err);
    if (ok && claimed == KD_CLAIM_EXHAUSTED) {
      size_t index = 0;
      pthread_mutex_lock(&s->lock);
      int rc = kf_rngs_resolve(s->rngs, stream, &index);
      if (rc == KF_OK) rc = kf_rngs_stream_at(s->rngs, index, &out->source);
      pthread_mutex_unlock(&s->lock);
      out->source.key = key;
      out->source.count = base;
      return draw_failed(rc == KF_OK ? KF_EEXHAUSTED : rc, kf_rngs_era(s->rngs), stream, &out->source, 1, n, err);
    }
    /* Merged with others and refused together: this one claims alone. A
     * conflict: the session was refreshed, claim again. */
    if (ok && claimed == KD_CLAIM_ALONE) claim->alone = 1;
  }
  if (claim->runs >= CLAIM_RUNS_MAX)
    return kd_fail(err, KD_UNAVAILABLE,
                   "session '%s' was deleted or created again through other replicas while keys were claimed "
                   "from it; nothing was acknowledged, retry later",
                   s->name);
  claim->runs++;
  size_t index = 0;
  int rc, resolved;
  if (draw_checks(srv, s, stream, n, 1, &index, &rc, &resolved, out, err) != 0) return -1;
  int recorded = 1;
  if (rc == KF_OK) {
    /* The cache moves on as a draw would, so that the session's next
     * changes, made on the version this claim writes, carry these counts
     * (and, when the cache was behind, conflict and refresh). */
    kf_stream_state next = out->source;
    next.count = (uint64_t)next.count + n > UINT32_MAX ? UINT32_MAX : next.count + (uint32_t)n;
    kf_rngs_set_stream(s->rngs, index, &next);
    recorded = kd_durable_claim(srv->durable, s, index, n, claim->alone, ticket, err) == 0;
    if (!recorded) kf_rngs_set_stream(s->rngs, index, &out->source);
  }
  pthread_mutex_unlock(&s->lock);
  if (!recorded) return -1;
  if (rc != KF_OK) return draw_failed(rc, kf_rngs_era(s->rngs), stream, &out->source, resolved, n, err);
  kd_ticket_retain(*ticket);
  claim->ticket = *ticket;
  return 1;
}

int kd_session_draw_using(kd_server *srv, kd_session *s, const char *stream, uint64_t n, kf_key *keys,
                          kd_draw_use_fn use, void *arg, kd_draw *out, kd_ticket **ticket,
                          kd_err *err) {
  *ticket = NULL;
  size_t index = 0;
  int rc, resolved;
  if (draw_checks(srv, s, stream, n, 0, &index, &rc, &resolved, out, err) != 0) return -1;
  if (rc == KF_OK) rc = kf_rngs_draw(s->rngs, stream, (size_t)n, keys, NULL, NULL);
  out->mode = s->threefry;
  out->era = kf_rngs_era(s->rngs);
  /* The keys are handed out only once the new count is durable (strict) or
   * inside a durable reservation (lease). When their use fails or the change
   * cannot even be recorded, the keys were never seen: the stream goes back. */
  const int used = rc != KF_OK || !use || use(arg, keys, out, err) == 0;
  const int recorded =
      used && (rc != KF_OK || kd_durable_record(srv->durable, s, KD_CHANGE_STATE, NULL, 0, ticket, err) == 0);
  if (!recorded) kf_rngs_set_stream(s->rngs, index, &out->source);
  pthread_mutex_unlock(&s->lock);
  if (!recorded) return -1;
  if (rc != KF_OK) return draw_failed(rc, kf_rngs_era(s->rngs), stream, &out->source, resolved, n, err);
  kd_metrics_add_keys(srv->metrics, n);
  return 0;
}

/* --------------------------------------------------------------- forward */

int kd_session_input_dtype(const kd_session *s, kf_dtype *out, kd_err *err) {
  if (!s->model) return kd_fail(err, KD_FAILED_PRECONDITION, "session '%s' has no model", s->name);
  *out = kf_model_input_dtype(s->model);
  return 0;
}

static void format_shape(const kf_shape *s, char *buf, size_t size) {
  size_t len = 0;
  int n = snprintf(buf, size, "[");
  for (int i = 0; n >= 0 && (size_t)n < size - len && i < s->rank; i++) {
    len += (size_t)n;
    n = snprintf(buf + len, size - len, "%s%lld", i ? ", " : "", (long long)s->dim[i]);
  }
  if (n >= 0 && (size_t)n < size - len) len += (size_t)n;
  if (len + 1 < size) snprintf(buf + len, size - len, "]");
}

/* Explains, from the library's diagnostic, why x does not fit the model or
 * why running it failed. */
/* Names the layer a diag is about: "model.layers[2]" for a top-level
 * layer of a flat model (as the Session lists it), else its path,
 * "model layer 'blocks.layers.0.attn'". */
static const char *layer_label(const kf_model_diag *d, char *out, size_t size) {
  size_t index = 0;
  int used = 0;
  if (sscanf(d->path, "layers.%zu%n", &index, &used) == 1 && d->path[used] == '\0')
    snprintf(out, size, "model.layers[%zu]", index);
  else if (d->path[0])
    snprintf(out, size, "model layer '%s'", d->path);
  else
    snprintf(out, size, "model.layers[%zu]", d->layer);
  return out;
}

/* Explains a failed forward pass (or shape query) by the layer at fault. */
static int forward_failed(const kd_session *s, int rc, const char *what, const kf_model_diag *d, kd_err *err) {
  char shape[160] = "?", label[KF_PATH_MAX + 32], want[160] = "?";
  layer_label(d, label, sizeof label);
  const char *type = kf_layer_type_name(d->layer_type) ? kf_layer_type_name(d->layer_type) : "layer";
  if (d->has_shape) format_shape(&d->shape, shape, sizeof shape);
  switch (d->reason) {
    case KF_DIAG_RANK_TOO_LOW:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit %s: %s needs an input of rank %lld or more, got %s%s", what, label,
                     type, (long long)d->expected, d->shape.rank == 0 ? "a scalar" : "shape ",
                     d->shape.rank == 0 ? "" : shape);
    case KF_DIAG_WIDTH:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit %s: %s expects the last dimension to be %s = %lld, but its input has "
                     "shape %s",
                     what, label, type, kd_layer_width_field(d->layer_type), (long long)d->expected, shape);
    case KF_DIAG_FEATURES:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit %s: %s contracts axis %zu of its input (shape %s), which must be %lld",
                     what, label, type, d->element, shape, (long long)d->expected);
    case KF_DIAG_RESIDUAL:
      if (d->has_expected_shape) format_shape(&d->expected_shape, want, sizeof want);
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit %s: a residual adds its input (shape %s) to its layers' output (shape %s), "
                     "which must have the same shape",
                     what, label, shape, want);
    case KF_DIAG_GEOMETRY:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit %s: %s cannot take an input of shape %s (its window, padding or shape "
                     "leaves no valid output)",
                     what, label, type, shape);
    case KF_DIAG_RANK_TOO_HIGH:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit %s: %s would make more than %d dimensions from shape %s", what, label,
                     type, KF_MAX_RANK, shape);
    case KF_DIAG_BROADCAST_AXIS:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s does not fit %s: %s names axis %lld, which its input of shape %s does not have", what,
                     label, type, (long long)d->actual, shape);
    case KF_DIAG_INDEX_RANGE:
      return kd_fail(err, KD_INVALID_ARGUMENT,
                     "%s: element %zu is %lld, outside [-%lld, %lld) for %s (num_embeddings = %lld)",
                     what, d->element, (long long)d->index, (long long)d->expected, (long long)d->expected, label,
                     (long long)d->expected);
    case KF_DIAG_TOO_LARGE:
      return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "%s: the output y would have more than %llu elements", what,
                     (unsigned long long)KF_MAX_ELEMENTS);
    case KF_DIAG_STREAM:
      if (rc == KF_ENOTFOUND) {
        char flax[160];
        kf_flax_not_found_message(kf_rngs_era(s->rngs), d->stream, flax, sizeof flax);
        return kd_fail(err, KD_NOT_FOUND, "%s: %s", label, flax);
      }
      if (kf_model_stream_count(s->model) > 0)
        return kd_fail(err, KD_FAILED_PRECONDITION,
                       "%s draws from the stream it holds (tag '%s'), whose count would pass "
                       "4294967295; reseed it first (target \"model\")",
                       label, d->stream);
      return kd_fail(err, KD_FAILED_PRECONDITION,
                     "%s draws from '%s', whose count would pass 4294967295; reseed it first", label,
                     d->stream);
    default:
      if (rc == KF_EMISMATCH)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s does not fit %s (input shape %s)", what, label, shape);
      if (rc == KF_EUNSUPPORTED)
        return kd_fail(err, KD_INVALID_ARGUMENT, "%s: %s of %s cannot take an input of shape %s", what, type,
                       label, shape);
      return kd_fail_kf(err, rc, what);
  }
}

/* The checks and allocations of a forward pass that need no lock. On
 * success *y owns malloc'd data and reply has the room asked for. */
static int forward_prepare(const kd_server *srv, const kd_session *s, const char *what, const kf_tensor *x,
                           kf_tensor *y, kd_buf *reply, size_t reply_base, size_t per_element,
                           kd_err *err) {
  const uint64_t max_elements = srv->cfg.max_elements;
  kf_dtype dtype;
  if (kd_session_input_dtype(s, &dtype, err) != 0) return -1;
  size_t n_out = 0;
  kf_shape out_shape;
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  int rc = kf_model_output_shape(s->model, &x->shape, x->dtype, &out_shape, &diag);
  if (rc == KF_OK) rc = kf_shape_numel(&out_shape, &n_out);
  if (rc == KF_EOVERFLOW || (rc == KF_OK && (uint64_t)n_out > max_elements))
    return kd_fail(err, KD_PAYLOAD_TOO_LARGE, "the output y would have more than the limit of %llu elements",
                   (unsigned long long)max_elements);
  if (rc != KF_OK) return forward_failed(s, rc, what, &diag, err);
  y->data = malloc(n_out ? n_out * sizeof(float) : 1);
  if (!y->data) return out_of_memory(err);
  if (reply && (per_element && n_out > (SIZE_MAX - reply_base) / per_element)) return out_of_memory(err);
  if (reply && kd_buf_reserve(reply, reply_base + n_out * per_element) != 0) return out_of_memory(err);
  y->shape = out_shape;
  y->dtype = KF_FLOAT32;
  return 0;
}

int kd_session_forward(kd_server *srv, kd_session *s, kf_tensor *xp, const char *what,
                       kf_deterministic det, kf_tensor *y, kd_buf *reply, size_t reply_base,
                       size_t reply_per_element, kd_ticket **ticket, kd_err *err) {
  kf_tensor x = *xp;
  xp->data = NULL;
  *ticket = NULL;
  y->data = NULL;
  if (forward_prepare(srv, s, what, &x, y, reply, reply_base, reply_per_element, err) != 0) {
    free(x.data);
    free(y->data);
    y->data = NULL;
    return -1;
  }
  kf_model_diag diag = KF_MODEL_DIAG_INIT;
  /* Which keys a pass draws depends on the layers and det only. */
  size_t drawn = 0;
  kf_model_forward_draws(s->model, det, &drawn);
  const bool updates = kf_model_forward_updates_stats(s->model, det);
  int rc = KF_OK, refused = 0;
  pthread_mutex_lock(&s->lock);
  if (drawn > 0) recheck_fence(srv, s);
  if (s->deleted) {
    refused = deleted(s, err);
  } else if (s->fenced && drawn > 0) {
    refused = fenced(s, err);
  } else {
    kf_stream_state before[KD_STREAMS_MAX];
    const size_t n_streams = kd_session_streams(s, before, NULL);
    /* A training batch_norm changes its statistics: keep them to put back. */
    const size_t n_stats = updates ? kd_session_stat_count(s) : 0;
    float *stats_before = n_stats ? malloc(n_stats * sizeof *stats_before) : NULL;
    if (n_stats && !stats_before) {
      refused = out_of_memory(err);
    } else {
      if (stats_before) kd_session_stats(s, stats_before);
      rc = kf_model_forward(s->model, s->rngs, &x, det, y, &diag);
      const kd_change change = updates ? KD_CHANGE_STATS : KD_CHANGE_STATE;
      if (rc == KF_OK && (drawn > 0 || updates) &&
          kd_durable_record(srv->durable, s, change, NULL, 0, ticket, err) != 0) {
        /* Not recorded: the output is never returned, so the draws and the
         * statistics go back. */
        kd_session_set_streams(s, before, n_streams);
        if (stats_before) kd_session_load_stats(s, stats_before);
        refused = -1;
      }
    }
    free(stats_before);
  }
  pthread_mutex_unlock(&s->lock);
  if (!refused && rc != KF_OK) refused = forward_failed(s, rc, what, &diag, err);
  free(x.data);
  if (refused) {
    free(y->data);
    y->data = NULL;
    return -1;
  }
  kd_metrics_add_keys(srv->metrics, drawn);
  return 0;
}

/* ---------------------------------------------------------------- reseed */

static const char *const target_names[] = {"all", "model", "rngs"};

/* Under the lock: every tag reaches a stream of the target (Flax ignores a
 * tag that reaches none; the API refuses it, as a likely typo). */
static int reseed_check(const kd_session *s, const kd_stream_seed *seeds, size_t n, kd_reseed_target target,
                        int policy_given, kd_err *err) {
  const kf_flax_era era = kf_rngs_era(s->rngs);
  if (policy_given && era == KF_FLAX_0_10)
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "body.policy: session '%s' follows Flax 0.10 (options.flax \"%s\"), whose reseed takes no "
                   "policy; it applies to \"0.11\" and \"0.12\" sessions",
                   s->name, s->flax);
  for (size_t i = 0; i < n; i++) {
    /* In 0.10 the model holds the session's Rngs: every target is the Rngs. */
    const int in_rngs = (era == KF_FLAX_0_10 || target != KD_RESEED_MODEL) &&
                        kf_rngs_has_stream(s->rngs, seeds[i].name, NULL);
    int in_model = 0;
    for (size_t j = 0; !in_rngs && !in_model && era != KF_FLAX_0_10 && target != KD_RESEED_RNGS &&
                       j < kf_model_stream_count(s->model);
         j++) {
      kf_model_stream h;
      kf_model_stream_at(s->model, j, &h);
      in_model = strcmp(h.state.name, seeds[i].name) == 0;
    }
    if (in_rngs || in_model) continue;
    if (era == KF_FLAX_0_10)
      return kd_fail(err, KD_INVALID_ARGUMENT, "body.streams.%s: session '%s' has no stream '%s'", seeds[i].name,
                     s->name, seeds[i].name);
    return kd_fail(err, KD_INVALID_ARGUMENT,
                   "body.streams.%s: no stream of target \"%s\" in session '%s' is tagged '%s' (the "
                   "session's own streams are its rngs; the model's are those its dropouts forked, tagged "
                   "with the stream they came from)",
                   seeds[i].name, target_names[target], s->name, seeds[i].name);
  }
  return 0;
}

/* Under the lock: applies the checked reseed; returns the number of
 * streams it replaced. Cannot fail. */
static size_t reseed_apply(kd_session *s, const kd_stream_seed *seeds, size_t n, kd_reseed_target target) {
  const kf_flax_era era = kf_rngs_era(s->rngs);
  size_t replaced = 0;
  /* nnx.reseed(model, …) first, then nnx.reseed(rngs, …): two calls, each
   * with fresh Rngs(**seeds), so each starts its fold_in counts at 0. */
  for (size_t i = 0; era != KF_FLAX_0_10 && target != KD_RESEED_RNGS && i < n; i++) {
    size_t matched = 0;
    kf_model_reseed(s->model, seeds[i].name, seeds[i].key, &matched);
    replaced += matched;
  }
  for (size_t i = 0; (era == KF_FLAX_0_10 || target != KD_RESEED_MODEL) && i < n; i++)
    replaced += kf_rngs_reseed(s->rngs, seeds[i].name, seeds[i].key) == KF_OK;
  return replaced;
}

int kd_session_reseed(kd_server *srv, kd_session *s, const kd_stream_seed *seeds, size_t n,
                      kd_reseed_target target, int policy_given, kd_session_view *view, kd_ticket **ticket,
                      kd_err *err) {
  *ticket = NULL;
  pthread_mutex_lock(&s->lock);
  int rc = s->deleted ? deleted(s, err) : reseed_check(s, seeds, n, target, policy_given, err);
  if (rc == 0) {
    kf_stream_state before[KD_STREAMS_MAX];
    const size_t total = kd_session_streams(s, before, NULL);
    const size_t replaced = reseed_apply(s, seeds, n, target);
    rc = kd_durable_record(srv->durable, s, KD_CHANGE_RESEED, NULL, 0, ticket, err);
    if (rc != 0) {
      /* Not recorded: put the old streams back. */
      kd_session_set_streams(s, before, total);
    } else {
      take_view(s, view);
      /* Every stream replaced: nothing it held can be reissued. */
      if (s->fenced && replaced >= total) s->fenced = 0;
    }
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

/* ---------------------------------------------------------------- recovery */

typedef struct recover_ctx {
  kd_server *srv;
  int sync;     /* kd_session_sync: the row replaces the table's entry */
  kd_spec spec; /* reused row after row: 4 KiB of seeds */
} recover_ctx;

/* kd_session_sync with the row found: the cached session is already the
 * row's (same version), or takes its streams (same creation spec, another
 * replica drew or reseeded), or is replaced by s built from it. Returns 1
 * when the row needs building, else 0. */
static int sync_cached(kd_server *srv, const kd_row *row, kd_session **local) {
  *local = kd_store_get(srv->store, row->name);
  kd_session *c = *local;
  if (!c) return 1;
  pthread_mutex_lock(&c->lock);
  int build = 0;
  if (c->deleted) {
    build = 1;
  } else if (c->version != row->version && !c->pending) {
    /* (With changes of its own on their way the cache is ahead of the row,
     * or those changes conflict and refresh it: it is left alone.) */
    c->refresh_seq++;
    kf_stream_state was[KD_STREAMS_MAX];
    const size_t n_was = kd_session_streams(c, was, NULL);
    if (c->spec_id != kd_row_spec_check(row->name, row->spec, row->checksum) ||
        kd_session_set_streams(c, row->streams, row->n_streams + row->n_held) != 0 ||
        (row->n_stats > 0 && kd_session_set_stats(c, row->stats, row->n_stats) != 0)) {
      build = 1;
    } else if (kd_durable_adopt(srv->durable, c) != 0) {
      kd_session_set_streams(c, was, n_was);
      build = 1;
    } else {
      c->version = row->version;
    }
  }
  pthread_mutex_unlock(&c->lock);
  return build;
}

/* Rebuilds one stored session: its model from the spec (verified by the
 * checksum), its streams as stored. */
static int recover_session(void *arg, const kd_row *row, char *msg, size_t msg_size) {
  recover_ctx *ctx = arg;
  kd_server *srv = ctx->srv;
  const kd_spec_limits limits = {srv->cfg.max_elements, srv->cfg.max_model_params};
  kd_err err = {KD_OK, ""};
  kd_session *s = NULL, *local = NULL;
  kf_rngs *rngs = NULL;
  int rc = -1;
  if (ctx->sync && !sync_cached(srv, row, &local)) {
    kd_session_release(local);
    return 0;
  }
  if (kd_spec_read(row->spec, &limits, &ctx->spec, &err) != 0) {
    snprintf(msg, msg_size, "session '%s': %s", row->name, err.message);
    goto done;
  }
  if (ctx->spec.layers) {
    if (kd_session_build(row->name, &ctx->spec, &s, &err) != 0) {
      snprintf(msg, msg_size, "session '%s': %s", row->name, err.message);
      goto done;
    }
  } else if ((s = kd_session_new(row->name)) != NULL) {
    /* No model: nothing to derive, the streams come from the row. */
    s->threefry = ctx->spec.mode;
    memcpy(s->flax, ctx->spec.flax, sizeof s->flax);
  } else {
    snprintf(msg, msg_size, "out of memory");
    goto done;
  }
  if (kd_model_checksum(s->model) != row->checksum) {
    snprintf(msg, msg_size, "session '%s': its model does not re-derive to the stored parameters", row->name);
    goto done;
  }
  int krc = kf_rngs_new_era(s->threefry, ctx->spec.era, &rngs);
  for (size_t i = 0; krc == KF_OK && i < row->n_streams; i++)
    krc = kf_rngs_add_stream(rngs, row->streams[i].name, row->streams[i].key, row->streams[i].count);
  if (krc != KF_OK || row->n_streams != ctx->spec.n_seeds || row->n_held != kf_model_stream_count(s->model)) {
    snprintf(msg, msg_size, "session '%s': malformed stream state", row->name);
    goto done;
  }
  /* The model was derived from the initial streams; the session continues
   * from the stored ones, its model's streams included. */
  kf_rngs_free(s->rngs);
  s->rngs = rngs;
  rngs = NULL;
  for (size_t i = 0; i < row->n_held; i++) {
    if (kf_model_set_stream(s->model, i, &row->streams[row->n_streams + i]) != KF_OK) {
      snprintf(msg, msg_size, "session '%s': malformed stream state (model stream %zu is tagged '%s')", row->name,
               i, row->streams[row->n_streams + i].name);
      goto done;
    }
  }
  if (row->n_stats > 0 && kd_session_set_stats(s, row->stats, row->n_stats) != 0) {
    snprintf(msg, msg_size, "session '%s': its stored batch statistics do not fit its model", row->name);
    goto done;
  }
  if (kd_durable_adopt(srv->durable, s) != 0) {
    snprintf(msg, msg_size, "out of memory");
    goto done;
  }
  s->version = row->version;
  s->spec_id = kd_row_spec_check(row->name, row->spec, row->checksum);
  if (local) {
    /* Deleted and created again through another replica: the cached one goes. */
    pthread_mutex_lock(&local->lock);
    local->deleted = 1;
    pthread_mutex_unlock(&local->lock);
    kd_store_remove(srv->store, row->name, local);
  }
  if (ctx->sync && kd_store_insert(srv->store, s, &err) != 0) {
    rc = 0; /* a request of this replica put one there meanwhile: it wins */
    goto done;
  }
  if (!ctx->sync && kd_store_insert(srv->store, s, &err) != 0) {
    snprintf(msg, msg_size, "session '%s': %s", row->name, err.message);
    goto done;
  }
  s = NULL;
  rc = 0;
done:
  kd_spec_free(&ctx->spec);
  kf_rngs_free(rngs);
  kd_session_release(s);
  kd_session_release(local);
  return rc;
}

int kd_session_sync(kd_server *srv, const char *name, kd_err *err) {
  if (!kd_durable_shared(srv->durable) || !kd_session_name_valid(name)) return 0;
  recover_ctx *ctx = malloc(sizeof *ctx);
  if (!ctx) return out_of_memory(err);
  ctx->srv = srv;
  ctx->sync = 1;
  ctx->spec.layers = NULL;
  char msg[1024];
  const int rc = kd_durable_fetch(srv->durable, name, recover_session, ctx, msg, sizeof msg);
  free(ctx);
  if (rc < 0) return kd_fail(err, KD_UNAVAILABLE, "cannot read session '%s' from the store: %s", name, msg);
  if (rc == 0) {
    /* Deleted through another replica (or never created). */
    kd_session *s = kd_store_get(srv->store, name);
    if (s) {
      pthread_mutex_lock(&s->lock);
      s->deleted = 1;
      pthread_mutex_unlock(&s->lock);
      kd_store_remove(srv->store, name, s);
      kd_session_release(s);
    }
  }
  return 0;
}

long kd_service_recover(kd_server *srv, char *msg, size_t msg_size) {
  if (!srv->durable) return 0;
  recover_ctx *ctx = malloc(sizeof *ctx);
  if (!ctx) {
    snprintf(msg, msg_size, "out of memory");
    return -1;
  }
  ctx->srv = srv;
  ctx->sync = 0;
  ctx->spec.layers = NULL;
  const long n = kd_durable_recover(srv->durable, recover_session, ctx, msg, msg_size);
  free(ctx);
  return n;
}

/* ------------------------------------------------------------- backups */

int kd_service_snapshot(kd_server *srv, char *path, size_t path_size, kd_err *err) {
  char dir[4096], msg[1024];
  if (srv->cfg.snapshot_dir[0])
    snprintf(dir, sizeof dir, "%s", srv->cfg.snapshot_dir);
  else
    snprintf(dir, sizeof dir, "%s/snapshots", srv->cfg.data_dir);
  const int rc = kd_durable_snapshot(srv->durable, dir, path, path_size, msg, sizeof msg);
  if (rc != 0)
    return kd_fail(err, srv->durable && rc == -1 ? KD_UNAVAILABLE : KD_FAILED_PRECONDITION, "%s", msg);
  return 0;
}

int kd_service_fenced(kd_server *srv, const char **note) {
  kd_durable_check_fence(srv->durable);
  return kd_durable_fenced(srv->durable, note);
}

static void unfence_session(kd_session *s) {
  if (!s) return;
  pthread_mutex_lock(&s->lock);
  s->fenced = 0;
  pthread_mutex_unlock(&s->lock);
}

/* Advances every stream of s, fenced, by advance counts and records it (the
 * first pass checked that none passes the last count). 1 if s was
 * advanced, 0 if it needs none (no longer fenced, or deleted), -1 with err.
 * *ticket: the change's, or NULL. */
static int advance_fenced(kd_server *srv, kd_session *s, uint32_t advance, kd_ticket **ticket, kd_err *err) {
  *ticket = NULL;
  int rc = 0;
  pthread_mutex_lock(&s->lock);
  if (s->fenced && !s->deleted) {
    /* A fenced session has drawn nothing since the first pass (a reseed
     * only lowers counts; a replica's refresh brings its row's counts,
     * which no fenced replica advanced). */
    kf_stream_state before[KD_STREAMS_MAX], next[KD_STREAMS_MAX];
    const size_t streams = kd_session_streams(s, before, NULL);
    for (size_t j = 0; j < streams; j++) {
      next[j] = before[j];
      next[j].count = (uint64_t)before[j].count + advance > UINT32_MAX ? UINT32_MAX : before[j].count + advance;
    }
    kd_session_set_streams(s, next, streams);
    if (kd_durable_record(srv->durable, s, KD_CHANGE_STATE, NULL, 0, ticket, err) != 0) {
      kd_session_set_streams(s, before, streams);
      rc = -1;
    } else {
      rc = 1;
    }
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int kd_service_restore(kd_server *srv, uint32_t advance, size_t *advanced, kd_ticket **ticket,
                       kd_err *err) {
  *ticket = NULL;
  *advanced = 0;
  size_t n = 0;
  char **names = kd_store_names(srv->store, &n);
  if (!names) return out_of_memory(err);
  /* First pass: every fenced session can be advanced (all or nothing). */
  int rc = 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    kd_session *s = kd_store_get(srv->store, names[i]);
    if (!s) continue;
    pthread_mutex_lock(&s->lock);
    if (s->fenced && !s->deleted) {
      kf_stream_state all[KD_STREAMS_MAX];
      const size_t streams = kd_session_streams(s, all, NULL);
      for (size_t j = 0; rc == 0 && j < streams; j++) {
        const kf_stream_state st = all[j];
        if ((uint64_t)st.count + advance > UINT32_MAX)
          rc = kd_fail(err, KD_FAILED_PRECONDITION,
                       "session '%s': stream '%s' is at count %lu, and advancing it by %lu would pass "
                       "4294967295; reseed it first (nothing was advanced)",
                       s->name, st.name, (unsigned long)st.count, (unsigned long)advance);
      }
    }
    pthread_mutex_unlock(&s->lock);
    kd_session_release(s);
  }
  /* Second pass: advance and record each; the store keeps their order, so
   * the unfence record below commits after all of them. A shared store
   * waits for each: a conflict (another replica changed the row: refreshed)
   * is advanced again, and nothing is unfenced unless all committed. */
  const int shared = kd_durable_shared(srv->durable);
  kd_ticket **tickets = calloc(n ? n : 1, sizeof *tickets);
  unsigned char *todo = calloc(n ? n : 1, 1);
  if (!tickets || !todo) rc = out_of_memory(err);
  for (size_t i = 0; rc == 0 && i < n; i++) todo[i] = 1;
  for (int round = 0; rc == 0; round++) {
    for (size_t i = 0; rc == 0 && i < n; i++) {
      if (!todo[i]) continue;
      todo[i] = 0;
      kd_session *s = kd_store_get(srv->store, names[i]);
      const int advanced_now = s ? advance_fenced(srv, s, advance, &tickets[i], err) : 0;
      if (advanced_now < 0) rc = -1;
      if (advanced_now > 0 && (!shared || !tickets[i])) {
        /* Nothing to wait for here: unfenced now (the unfence record
         * commits after the advance). */
        unfence_session(s);
        (*advanced)++;
      }
      if (!shared) {
        kd_ticket_release(tickets[i]);
        tickets[i] = NULL;
      }
      kd_session_release(s);
    }
    size_t again = 0;
    for (size_t i = 0; i < n; i++) {
      if (!tickets[i]) continue;
      const int ok = kd_ticket_wait(tickets[i]);
      if (ok) {
        kd_session *s = kd_store_get(srv->store, names[i]);
        unfence_session(s);
        kd_session_release(s);
        (*advanced)++;
      } else if (tickets[i]->retry) {
        again += todo[i] = 1;
      } else if (rc == 0) {
        rc = kd_fail(err, KD_UNAVAILABLE,
                     "advancing session '%s' was not committed; the store stays fenced: send the restore "
                     "again",
                     names[i]);
      }
      kd_ticket_release(tickets[i]);
      tickets[i] = NULL;
    }
    if (rc == 0 && again > 0 && round >= 8)
      rc = kd_fail(err, KD_UNAVAILABLE,
                   "%zu sessions kept changing on other replicas while they were advanced; the store stays "
                   "fenced: send the restore again",
                   again);
    if (again == 0) break;
  }
  for (size_t i = 0; tickets && i < n; i++) kd_ticket_release(tickets[i]);
  free(tickets);
  free(todo);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  if (rc != 0) return -1;
  return kd_durable_unfence(srv->durable, ticket, err);
}
