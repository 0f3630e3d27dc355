/* An in-process keyfoldd server for tests: see test_server.h. */
#include "test_server.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "router.h"
#include "session.h"

int kf_server_open(kd_server *srv, const char *store_dir, char *msg, size_t msg_size) {
  kd_logger_init(&srv->log, &srv->cfg);
  srv->store = kd_store_new(srv->cfg.max_sessions);
  srv->metrics = kd_metrics_new(kd_route_label, kd_route_count);
  if (!srv->store || !srv->metrics) {
    snprintf(msg, msg_size, "out of memory");
    return -1;
  }
  if (store_dir) {
    srv->cfg.durability = KD_DURABILITY_STRICT;
    snprintf(srv->cfg.data_dir, sizeof srv->cfg.data_dir, "%s", store_dir);
    if (kd_durable_open(&srv->cfg, srv->store, srv->metrics, &srv->durable, msg, msg_size) != 0 ||
        kd_service_recover(srv, msg, msg_size) < 0 || kd_durable_start(srv->durable) != 0)
      return -1;
  } else {
    /* Memory mode: srv->durable stays NULL. */
    srv->cfg.durability = KD_DURABILITY_MEMORY;
  }
  atomic_store(&srv->ready, 1);
  return 0;
}

void kf_server_close(kd_server *srv) {
  kd_durable_close(srv->durable);
  kd_store_free(srv->store);
  kd_metrics_free(srv->metrics);
  memset(srv, 0, sizeof *srv);
}

void kf_store_remove(const char *dir) {
  char path[4608];
  snprintf(path, sizeof path, "%s/snapshots", dir);
  DIR *d = opendir(path);
  if (d) {
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      char file[4608 + 256];
      snprintf(file, sizeof file, "%s/%s", path, e->d_name);
      unlink(file);
    }
    closedir(d);
    rmdir(path);
  }
  static const char *const files[] = {"keyfold.db", "keyfold.db-wal", "keyfold.db-shm"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    unlink(path);
  }
}
