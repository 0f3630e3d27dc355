/* keyfoldd — lock-free request counters and latency histograms. */
#include "metrics.h"
#include "keyfold/version.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "apierr.h"

/* The statuses a reply can have: the successes, then every status of the
 * error table (the first of codes sharing one). */
#define STATUS_COUNT (3 + KD_CODE_COUNT)
/* Seconds; the last bucket is +Inf. */
static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};
#define BUCKET_COUNT (sizeof bounds / sizeof bounds[0] + 1)

typedef struct route_stats {
  atomic_uint_fast64_t by_status[STATUS_COUNT + 1]; /* + "other" */
  atomic_uint_fast64_t buckets[BUCKET_COUNT];
  atomic_uint_fast64_t sum_ns;
} route_stats;

struct kd_metrics {
  size_t routes;
  kd_route_label_fn label;
  int statuses[STATUS_COUNT];
  size_t n_statuses;
  atomic_uint_fast64_t keys_drawn;
  route_stats commits;                /* by_status[0] ok, [1] failed */
  atomic_uint_fast64_t committed_changes;
  route_stats stats[]; /* routes + 1 (unmatched) */
};

static void observe_histogram(route_stats *r, double seconds);

kd_metrics *kd_metrics_new(kd_route_label_fn label, size_t routes) {
  kd_metrics *m = calloc(1, sizeof *m + (routes + 1) * sizeof(route_stats));
  if (!m) return NULL;
  m->routes = routes;
  m->label = label;
  static const int successes[] = {200, 201, 204};
  for (size_t i = 0; i < 3; i++) m->statuses[m->n_statuses++] = successes[i];
  for (int c = KD_OK + 1; c < KD_CODE_COUNT; c++) {
    const int status = kd_code_status((kd_code)c);
    int seen = 0;
    for (size_t i = 0; i < m->n_statuses; i++) seen |= m->statuses[i] == status;
    if (!seen) m->statuses[m->n_statuses++] = status;
  }
  return m;
}

void kd_metrics_free(kd_metrics *m) { free(m); }

void kd_metrics_observe(kd_metrics *m, size_t route, int status, double seconds) {
  if (!m) return;
  if (route > m->routes) route = m->routes;
  route_stats *r = &m->stats[route];
  size_t s = m->n_statuses;
  for (size_t i = 0; i < m->n_statuses; i++)
    if (m->statuses[i] == status) s = i;
  atomic_fetch_add_explicit(&r->by_status[s], 1, memory_order_relaxed);
  observe_histogram(r, seconds);
}

static void observe_histogram(route_stats *r, double seconds) {
  size_t b = 0;
  while (b < BUCKET_COUNT - 1 && seconds > bounds[b]) b++;
  atomic_fetch_add_explicit(&r->buckets[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&r->sum_ns, (uint_fast64_t)(seconds * 1e9), memory_order_relaxed);
}

void kd_metrics_observe_commit(kd_metrics *m, double seconds, uint64_t changes, int ok) {
  if (!m) return;
  observe_histogram(&m->commits, seconds);
  atomic_fetch_add_explicit(&m->commits.by_status[ok ? 0 : 1], 1, memory_order_relaxed);
  if (ok) atomic_fetch_add_explicit(&m->committed_changes, changes, memory_order_relaxed);
}

void kd_metrics_add_keys(kd_metrics *m, uint64_t n) {
  if (m) atomic_fetch_add_explicit(&m->keys_drawn, n, memory_order_relaxed);
}

static void labels(const kd_metrics *m, kd_buf *out, size_t route) {
  const char *method, *pattern;
  if (route < m->routes) {
    m->label(route, &method, &pattern);
    kd_buf_printf(out, "method=\"%s\",route=\"%s\"", method, pattern);
  }
  else
    kd_buf_puts(out, "method=\"\",route=\"unmatched\"");
}

void kd_metrics_write(kd_metrics *m, size_t sessions, kd_buf *out) {
  kd_buf_printf(out,
                "# HELP keyfold_build_info The library version and the kernels this CPU runs.\n"
                "# TYPE keyfold_build_info gauge\n"
                "keyfold_build_info{version=\"%s\",kernels=\"%s\"} 1\n",
                kf_version(), kf_kernels());
  kd_buf_puts(out, "# HELP keyfold_requests_total HTTP requests by route and status.\n"
                   "# TYPE keyfold_requests_total counter\n");
  for (size_t r = 0; r <= m->routes; r++) {
    for (size_t s = 0; s <= m->n_statuses; s++) {
      uint64_t v = atomic_load_explicit(&m->stats[r].by_status[s], memory_order_relaxed);
      if (!v) continue;
      kd_buf_puts(out, "keyfold_requests_total{");
      labels(m, out, r);
      if (s < m->n_statuses)
        kd_buf_printf(out, ",status=\"%d\"} %llu\n", m->statuses[s], (unsigned long long)v);
      else
        kd_buf_printf(out, ",status=\"other\"} %llu\n", (unsigned long long)v);
    }
  }
  kd_buf_puts(out, "# HELP keyfold_request_duration_seconds Time from request to response.\n"
                   "# TYPE keyfold_request_duration_seconds histogram\n");
  for (size_t r = 0; r <= m->routes; r++) {
    uint64_t cum = 0;
    uint64_t counts[BUCKET_COUNT];
    for (size_t b = 0; b < BUCKET_COUNT; b++)
      counts[b] = atomic_load_explicit(&m->stats[r].buckets[b], memory_order_relaxed);
    uint64_t total = 0;
    for (size_t b = 0; b < BUCKET_COUNT; b++) total += counts[b];
    if (!total) continue;
    for (size_t b = 0; b < BUCKET_COUNT; b++) {
      cum += counts[b];
      kd_buf_puts(out, "keyfold_request_duration_seconds_bucket{");
      labels(m, out, r);
      if (b < BUCKET_COUNT - 1)
        kd_buf_printf(out, ",le=\"%g\"} %llu\n", bounds[b], (unsigned long long)cum);
      else
        kd_buf_printf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    kd_buf_puts(out, "keyfold_request_duration_seconds_sum{");
    labels(m, out, r);
    kd_buf_printf(out, "} %.9f\n",
                  (double)atomic_load_explicit(&m->stats[r].sum_ns, memory_order_relaxed) / 1e9);
    kd_buf_puts(out, "keyfold_request_duration_seconds_count{");
    labels(m, out, r);
    kd_buf_printf(out, "} %llu\n", (unsigned long long)total);
  }
  kd_buf_puts(out, "# HELP keyfold_store_commit_seconds Time of one group commit (one fsync) of the store.\n"
                   "# TYPE keyfold_store_commit_seconds histogram\n");
  {
    uint64_t cum = 0, total = 0;
    for (size_t b = 0; b < BUCKET_COUNT; b++) {
      cum += atomic_load_explicit(&m->commits.buckets[b], memory_order_relaxed);
      if (b < BUCKET_COUNT - 1)
        kd_buf_printf(out, "keyfold_store_commit_seconds_bucket{le=\"%g\"} %llu\n", bounds[b], (unsigned long long)cum);
      else
        kd_buf_printf(out, "keyfold_store_commit_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    total = cum;
    kd_buf_printf(out, "keyfold_store_commit_seconds_sum %.9f\nkeyfold_store_commit_seconds_count %llu\n",
                  (double)atomic_load_explicit(&m->commits.sum_ns, memory_order_relaxed) / 1e9,
                  (unsigned long long)total);
    kd_buf_printf(out,
                  "# HELP keyfold_store_commits_total Group commits by result.\n"
                  "# TYPE keyfold_store_commits_total counter\n"
                  "keyfold_store_commits_total{result=\"ok\"} %llu\n"
                  "keyfold_store_commits_total{result=\"failed\"} %llu\n"
                  "# HELP keyfold_store_changes_total Session changes made durable.\n"
                  "# TYPE keyfold_store_changes_total counter\nkeyfold_store_changes_total %llu\n",
                  (unsigned long long)atomic_load_explicit(&m->commits.by_status[0], memory_order_relaxed),
                  (unsigned long long)atomic_load_explicit(&m->commits.by_status[1], memory_order_relaxed),
                  (unsigned long long)atomic_load_explicit(&m->committed_changes, memory_order_relaxed));
  }
  kd_buf_printf(out,
                "# HELP keyfold_sessions Sessions held.\n# TYPE keyfold_sessions gauge\n"
                "keyfold_sessions %zu\n"
                "# HELP keyfold_keys_drawn_total Keys drawn from session streams.\n"
                "# TYPE keyfold_keys_drawn_total counter\nkeyfold_keys_drawn_total %llu\n",
                sessions, (unsigned long long)atomic_load_explicit(&m->keys_drawn, memory_order_relaxed));
}
