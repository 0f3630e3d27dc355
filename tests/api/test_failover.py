"""The PostgreSQL store across a failover to a promoted standby, without
restarting keyfoldd (docs/deployment.md, "Failures"): a primary with a
SYNCHRONOUS streaming standby (kfharness.PostgresCluster.standby; the
primary's synchronous_standby_names = '*', synchronous_commit on, so every
commit acknowledged to keyfoldd is on the standby), three keyfoldd replicas
on the multi-host URL (kfharness.multi_host_url: both socket directories,
target_session_attrs=read-write).

- strict and lease (Failover): clients draw through every replica while a
  writer creates sessions and reseeds one; the primary crashes (pg_ctl stop
  -m immediate): every replica's readiness answers 503 and requests 503
  `unavailable`, and keep doing so while only the read-only standby is up
  (it is not taken for the primary); the standby is promoted: the same
  keyfoldd processes are ready again within seconds and serve again. Then:
  no count handed out twice across the failover, every key fold_in(stream
  key, count), every acknowledged creation and reseed on the new primary, a
  session made before the crash unchanged, and every replica and a fresh
  daemon drawing past every acknowledged count;
- a standby first in the host list (StandbyFirst): keyfoldd starts on the
  read-write host behind it, and follows the failover back to the first
  host once that one is promoted;
- an ASYNCHRONOUS standby (AsynchronousStandby), behind when the primary
  crashes: promoted, keyfoldd hands out an acknowledged count again; fenced
  (a keyfold_meta 'snapshot' row) and advanced, it does not.

Skipped (exit 77) when PostgreSQL's binaries are not installed.
"""
import http.client
import os
import random
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import kfharness  # noqa: E402
from kfharness import PostgresCluster, call, fold_in, key_of, multi_host_url  # noqa: E402

if kfharness.postgres_missing():
    sys.stderr.write("test_failover: skipped: %s\n" % kfharness.postgres_missing())
    sys.exit(77)

# On the primary's command line only: a base backup does not copy them, so
# the promoted standby (with no standby of its own) does not wait for one.
SYNCHRONOUS = {"synchronous_standby_names": "'*'", "synchronous_commit": "on"}


def wait_for(d, path, status, timeout):
    """Polls d's path until it answers status; the seconds it took, or None."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if d.get(path)[0] == status:
            return time.time() - t0
        time.sleep(0.05)
    return None


class FailoverCase(kfharness.PostgresDaemons, unittest.TestCase):
    """A primary and its synchronous standby per test (a failover leaves
    them changed), a database on both, and the daemons self.start() started
    on the multi-host URL, killed when the test ends."""
    hosts = ("primary", "standby")  # the URL's order
    synchronous = True

    def setUp(self):
        self.primary = PostgresCluster.start(fsync=False, settings=SYNCHRONOUS if self.synchronous else {})
        self.addCleanup(self.primary.destroy)
        self.standby = self.primary.standby()
        self.addCleanup(self.standby.destroy)
        self.assertTrue(self.standby.in_recovery())
        # Synchronous (but in AsynchronousStandby): what is acknowledged is on the standby.
        self.assertEqual(self.primary.psql("SELECT sync_state FROM pg_stat_replication"),
                         "sync" if self.synchronous else "async")
        self.db = self.primary.create_database()
        deadline = time.time() + 10
        while time.time() < deadline and \
                self.standby.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % self.db) != "1":
            time.sleep(0.05)
        self.assertEqual(self.standby.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % self.db), "1")
        self.url = multi_host_url([getattr(self, h) for h in self.hosts], self.db)
        self.watch_daemons()

    def keyfoldd_connections(self, cluster):
        return int(cluster.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'keyfoldd'"))

    def fail_over(self, replicas, still_failing):
        """Crashes the primary, checks every replica unready and failing
        (still_failing: counts of failures that must go on rising) while only
        the standby is up, promotes it and waits for every replica to be
        ready again; returns the time the last one was."""
        self.primary.stop_server("immediate")
        still_failing()  # readiness follows the commits: one fails first
        for d in replicas:
            self.assertIsNotNone(wait_for(d, "/v2/health/ready", 503, 10), "readiness 503 after the crash")
            s, body = d.get("/v1/sessions/pre")  # a read needs the (read-write) database too
            self.assertEqual((s, (body.get("error") or {}).get("code")), (503, "unavailable"), body)
        # The standby answers, read-only: it is not taken for the primary.
        n = still_failing()
        time.sleep(0.5)
        self.assertGreater(still_failing(), n, "requests go on failing while only the standby is up")
        for d in replicas:
            self.assertEqual(d.get("/v2/health/ready")[0], 503)
            self.assertEqual(d.get("/v2/health/live")[0], 200)
        self.standby.promote()
        promoted = time.time()
        self.assertFalse(self.standby.in_recovery())
        for d in replicas:
            self.assertIsNotNone(wait_for(d, "/v2/health/ready", 200, 15), "ready again after the promotion")
        sys.stderr.write("test_failover: %s: every replica ready %.2f s after the promotion\n"
                         % (self.id().rsplit(".", 1)[-1], time.time() - promoted))
        return time.time()


class Failover(FailoverCase):
    def failover_under_load(self, durability):
        flags = ("--durability", durability, "--lease-block", "8")
        replicas = [self.start(*flags) for _ in range(3)]
        a = replicas[0]
        seeds = {"w0": 300, "w1": 301}
        for name, seed in seeds.items():
            self.assertEqual(a.post("/v1/sessions", {"name": name, "rngs": {"default": seed}})[0], 201)
        # Made before the crash and left alone: there, unchanged, after it.
        self.assertEqual(a.post("/v1/sessions", {"name": "pre", "rngs": {"default": 1, "other": 2}})[0], 201)
        self.assertEqual(a.post("/v1/sessions/pre/reseed", {"streams": {"default": 77}})[0], 200)
        s, body = replicas[1].post("/v1/sessions/pre/keys", {"n": 3})
        self.assertEqual(s, 200, body)
        pre_counts = body["counts"]  # strict: 0, 1, 2; lease: from a block
        self.assertEqual(a.post("/v1/sessions", {"name": "rs", "rngs": {"default": 0}})[0], 201)

        acked = {name: [] for name in seeds}  # (count, when acknowledged)
        created, reseeds_acked, reseeds_tried = [], [], []
        statuses, errors, lock, stop = [], [], threading.Lock(), threading.Event()

        def drawer(k):
            rnd = random.Random(k)
            conns = [d.connection() for d in replicas]
            while not stop.is_set():
                i = rnd.randrange(3)
                name = rnd.choice(list(seeds))
                try:
                    s, body = call(conns[i], "POST", "/v1/sessions/%s/keys" % name, {"n": rnd.randint(1, 3)})
                except (OSError, http.client.HTTPException) as e:
                    errors.append(e)
                    conns[i].close()
                    conns[i] = replicas[i].connection()
                    continue
                with lock:
                    statuses.append(s)
                    if s == 200:
                        if body["keys"] != [fold_in(key_of(seeds[name]), c) for c in body["counts"]]:
                            errors.append(("wrong keys", name, body))
                        acked[name].extend((c, time.time()) for c in body["counts"])
                    elif s != 503 or body["error"]["code"] != "unavailable":
                        errors.append((s, body))
                if s == 503:
                    time.sleep(0.01)
            for conn in conns:
                conn.close()

        def writer():
            # Sequential, through one replica: creations and reseeds.
            conn = a.connection()
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    s, body = call(conn, "POST", "/v1/sessions", {"name": "c%d" % i, "rngs": {"default": i}})
                    if s == 201:
                        created.append(i)
                    elif s != 503:
                        errors.append(("create", s, body))
                    reseeds_tried.append(i)
                    s, body = call(conn, "POST", "/v1/sessions/rs/reseed", {"streams": {"default": i}})
                    if s == 200:
                        reseeds_acked.append(i)
                    elif s != 503:
                        errors.append(("reseed", s, body))
                except (OSError, http.client.HTTPException) as e:
                    errors.append(e)
                    conn.close()
                    conn = a.connection()
                time.sleep(0.02)
            conn.close()

        threads = [threading.Thread(target=drawer, args=(k,)) for k in range(4)]
        threads.append(threading.Thread(target=writer))
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            crashed = time.time()
            ready = self.fail_over(replicas, lambda: statuses.count(503))
            ok_before = statuses.count(200)
            time.sleep(0.5)
            self.assertGreater(statuses.count(200), ok_before, "draws succeed again")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])
        for d in replicas:  # the same processes, reconnected to the promoted standby
            self.assertIsNone(d.proc.poll())
            self.assertIn("reconnected (to %s:5432)" % self.standby.root, "".join(d.stderr_lines))
        # keyfoldd is on the promoted standby now.
        self.assertGreaterEqual(self.keyfoldd_connections(self.standby), 3)

        fresh = self.start(*flags)
        for name, seed in seeds.items():
            counts = [c for c, _ in acked[name]]
            self.assertTrue([c for c, t in acked[name] if t < crashed], "%s: draws before the crash" % name)
            self.assertTrue([c for c, t in acked[name] if t > ready], "%s: draws after" % name)
            self.assertEqual(len(set(counts)), len(counts), "%s: a count handed out twice" % name)
            # Nothing acknowledged is lost: every replica (lease: the fresh
            # one; the others may still hold blocks below, never a count
            # issued) goes on past every acknowledged count.
            for d in [fresh] + replicas:
                s, body = d.post("/v1/sessions/%s/keys" % name, {})
                self.assertEqual(s, 200, body)
                self.assertEqual(body["keys"], [fold_in(key_of(seed), c) for c in body["counts"]])
                if d is fresh or durability == "strict":
                    self.assertGreater(body["counts"][0], max(counts), name)
                counts += body["counts"]
            self.assertEqual(len(set(counts)), len(counts), "%s: a count handed out twice" % name)
        # Every acknowledged creation is there, with its seed.
        self.assertTrue(created)
        for i in created:
            s, body = fresh.get("/v1/sessions/c%d" % i)
            self.assertEqual((s, body["rngs"]["default"]["key"]), (200, [0, i]), i)
        # The last acknowledged reseed, or a later one (a 503 is written
        # later, its outcome was unknown), is the stream's seed.
        self.assertTrue(reseeds_acked)
        s, body = fresh.get("/v1/sessions/rs")
        seed = body["rngs"]["default"]["key"][1]
        self.assertIn(seed, reseeds_tried)
        self.assertGreaterEqual(seed, max(reseeds_acked))
        # The session made before the crash: its reseed and its draws.
        s, body = fresh.post("/v1/sessions/pre/keys", {})
        self.assertEqual(s, 200, body)
        if durability == "strict":
            self.assertEqual((pre_counts, body["counts"]), ([0, 1, 2], [3]))
        self.assertGreater(body["counts"][0], max(pre_counts))
        self.assertEqual(body["keys"], [fold_in(key_of(77), body["counts"][0])])
        s, body = fresh.post("/v1/sessions/pre/keys", {"stream": "other"})
        self.assertEqual((s, body["keys"]), (200, [fold_in(key_of(2), body["counts"][0])]))
        for d in [fresh] + replicas:
            self.assertEqual(d.stop(), 0)

    def test_strict_failover_to_the_promoted_standby_under_load(self):
        self.failover_under_load("strict")

    def test_lease_failover_to_the_promoted_standby_under_load(self):
        self.failover_under_load("lease")


class StandbyFirst(FailoverCase):
    hosts = ("standby", "primary")

    def test_a_standby_first_in_the_list_is_passed_over(self):
        d = self.start("--durability", "strict")
        self.assertEqual(d.post("/v1/sessions", {"name": "s", "rngs": {"default": 5}})[0], 201)
        s, body = d.post("/v1/sessions/s/keys", {"n": 2})
        self.assertEqual((s, body["counts"]), (200, [0, 1]))
        # Written on the primary (the second host), and replicated.
        self.assertEqual(self.primary.psql("SELECT name FROM keyfold_sessions", self.db), "s")
        self.assertGreaterEqual(self.keyfoldd_connections(self.primary), 1)
        self.assertEqual(self.keyfoldd_connections(self.standby), 0)
        # The first host promoted after the second's crash: keyfoldd follows.
        failed = []

        def still_failing():
            failed.extend(s for s, _ in (d.post("/v1/sessions/s/keys", {}) for _ in range(3)) if s == 503)
            return len(failed)
        self.fail_over([d], still_failing)
        s, body = d.post("/v1/sessions/s/keys", {"n": 2})
        self.assertEqual(s, 200, body)
        self.assertGreaterEqual(body["counts"][0], 2)
        self.assertEqual(body["keys"], [fold_in(key_of(5), c) for c in body["counts"]])
        self.assertGreaterEqual(self.keyfoldd_connections(self.standby), 1)
        self.assertIn("reconnected (to %s:5432)" % self.standby.root, "".join(d.stderr_lines))
        self.assertEqual(d.stop(), 0)


class AsynchronousStandby(FailoverCase):
    """Why the standby must be synchronous (docs/deployment.md): promoted,
    an asynchronous one lacks counts keyfoldd acknowledged, and hands them
    out again; fenced and advanced, it does not."""
    synchronous = False

    def test_an_asynchronous_standby_reissues_acknowledged_counts_until_fenced(self):
        d = self.start("--durability", "strict")
        self.assertEqual(d.post("/v1/sessions", {"name": "s", "rngs": {"default": 9}})[0], 201)
        self.assertEqual(d.post("/v1/sessions/s/keys", {"n": 5})[1]["counts"], [0, 1, 2, 3, 4])
        lsn = self.primary.psql("SELECT pg_current_wal_lsn()")
        deadline = time.time() + 10
        while time.time() < deadline and self.standby.psql("SELECT pg_last_wal_replay_lsn() >= '%s'" % lsn) != "t":
            time.sleep(0.05)
        # The standby falls behind (here: stopped); the primary goes on
        # acknowledging, then crashes, and the standby is promoted.
        self.standby.stop_server("fast")
        s, body = d.post("/v1/sessions/s/keys", {"n": 10})
        self.assertEqual((s, body["counts"]), (200, list(range(5, 15))))
        self.primary.stop_server("immediate")
        self.standby.start_server()
        self.standby.promote()
        # keyfoldd reconnects to it and hands out acknowledged counts again.
        self.assertEqual(d.post("/v1/sessions/s/keys", {})[0], 503)
        self.assertIsNotNone(wait_for(d, "/v2/health/ready", 200, 15))
        s, body = d.post("/v1/sessions/s/keys", {})
        self.assertEqual((s, body["counts"]), (200, [5]))
        d.kill9()
        # What the operator does instead: keyfoldd kept from the promoted
        # server until it is fenced, then advanced past what was handed out.
        self.standby.psql("INSERT INTO keyfold_meta VALUES ('snapshot', 'promoted an asynchronous standby')", self.db)
        d = self.start("--durability", "strict")
        s, body = d.post("/v1/sessions/s/keys", {})
        self.assertEqual((s, body["error"]["code"]), (409, "failed_precondition"))
        self.assertEqual(d.post("/v1/admin/restore", {"advance": 100})[0], 200)
        s, body = d.post("/v1/sessions/s/keys", {})
        self.assertEqual((s, body["counts"], body["keys"]), (200, [106], [fold_in(key_of(9), 106)]))
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
