/* An in-process keyfoldd server for the test programs that drive
 * kd_dispatch directly (tests/alloc_sweep.c, the fuzz harness): the session
 * table, metrics and, optionally, a strict durable SQLite store, opened as
 * keyfoldd's start-up does (open, recover, start writing).
 */
#ifndef KF_TESTS_TEST_SERVER_H
#define KF_TESTS_TEST_SERVER_H

#include <stddef.h>

#include "server.h"

/* Opens srv, whose cfg the caller has filled in (limits, log level): a
 * session table of cfg.max_sessions, metrics and, when store_dir is not
 * NULL, strict durability over the store in store_dir (recovered and
 * started); memory mode otherwise. The server is marked ready. Returns 0,
 * or -1 with msg. */
int kf_server_open(kd_server *srv, const char *store_dir, char *msg, size_t msg_size);

/* Stops the store (committing what is queued), frees everything and
 * zeroes srv. */
void kf_server_close(kd_server *srv);

/* Removes the store from dir: keyfold.db, its -wal and -shm files, and
 * the snapshots directory with every file in it. */
void kf_store_remove(const char *dir);

#endif
