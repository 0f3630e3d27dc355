"""The PostgreSQL store (--store postgres, issue 14 phase 1) against a real,
throwaway PostgreSQL cluster (kfharness.PostgresCluster): the schema and its
version, replicas sharing the database but not with a phase-1 keyfoldd (the
advisory lock), a kill -9 restart that
sees every acknowledged change and never hands a count out twice, the
snapshot endpoint's answer, a restored backup marked by hand starting fenced, bad configurations, and PostgreSQL stopped and
started under load (503 `unavailable` and readiness 503 meanwhile, recovery
without restarting keyfoldd, nothing acknowledged lost).

The rest of the session API runs against the postgres store through the
api_*_postgres tests (KEYFOLD_TEST_STORE=postgres). Skipped (exit 77) when
PostgreSQL's binaries are not installed.
"""
import http.client
import os
import shutil
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import kfharness  # noqa: E402
from kfharness import Daemon, binary, fold_in, key_of, mkdtemp  # noqa: E402

if kfharness.postgres_missing():
    sys.stderr.write("test_postgres: skipped: %s\n" % kfharness.postgres_missing())
    sys.exit(77)


def keys(d, name, n=1, conn=None, stream=None):
    body = {"n": n}
    if stream:
        body["stream"] = stream
    return d.request("POST", "/v1/sessions/%s/keys" % name, body=body, conn=conn)


class PostgresStore(kfharness.PostgresTestCase):
    def refused(self, *flags, env=None):
        """Runs keyfoldd expecting it to refuse to start; returns its stderr."""
        e = {k: v for k, v in os.environ.items() if not k.startswith("KEYFOLD_")}
        e.update(env or {})
        data = mkdtemp("keyfold-pg-refused-")
        self.addCleanup(shutil.rmtree, data, ignore_errors=True)
        p = subprocess.run([binary(), "--listen", "127.0.0.1:0", "--data-dir", data, *flags], env=e,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        return p.stderr

    def test_schema_is_created_and_versioned(self):
        d = self.start()
        self.assertEqual(self.pg.psql("SELECT max(version) FROM keyfold_schema_version", self.db), "3")
        self.assertEqual(d.post("/v1/sessions", {"name": "s", "rngs": {"default": 3}})[0], 201)
        self.assertEqual(self.pg.psql("SELECT name FROM keyfold_sessions", self.db), "s")
        self.assertEqual(d.stop(), 0)
        # A second start finds the schema and the session.
        d = self.start()
        self.assertEqual(d.get("/v1/sessions/s")[0], 200)
        self.assertEqual(d.stop(), 0)

    def test_newer_schema_refuses_to_start_naming_the_version(self):
        self.assertEqual(self.start().stop(), 0)
        self.pg.psql("INSERT INTO keyfold_schema_version(version) VALUES (7)", self.db)
        err = self.refused("--store", "postgres", "--postgres-url", self.url)
        self.assertIn("schema is version 7, newer than this keyfoldd's (version 3)", err)

    def downgrade(self, to):
        """The database as a keyfoldd of schema `to` (1 or 2) left it: schema
        3's column gone, and every row's streams_check in the
        old form (row.c: FNV-1a 64 over the name and its NUL, then the whole
        blob); schema 1 has no versions either."""
        rows = self.pg.psql("SELECT name, encode(streams, 'hex') FROM keyfold_sessions", self.db)
        for line in filter(None, rows.split("\n")):
            name, blob = line.split("|")
            h = 0xcbf29ce484222325
            for byte in name.encode() + b"\0" + bytes.fromhex(blob):
                h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
            signed = h - (1 << 64) if h >= 1 << 63 else h
            self.pg.psql("UPDATE keyfold_sessions SET streams_check = %d WHERE name = '%s'" % (signed, name),
                         self.db)
        self.pg.psql("ALTER TABLE keyfold_sessions DROP COLUMN counts_check;"
                     " DELETE FROM keyfold_schema_version WHERE version = 3", self.db)
        if to == 1:
            self.pg.psql("ALTER TABLE keyfold_sessions DROP COLUMN version; DROP TABLE keyfold_epoch;"
                         " DELETE FROM keyfold_schema_version WHERE version = 2", self.db)

    def test_older_schemas_are_migrated(self):
        """A database written by a phase-1 keyfoldd (schema 1: no version
        column) or by one of phase 2 (schema 2: checks over the whole blob)
        is migrated on start; its sessions go on where they were, and a row
        damaged before the migration is still refused after it."""
        for version in (1, 2):
            d = self.start()
            self.assertEqual(d.post("/v1/sessions", {"name": "s", "rngs": {"default": 4, "other": 5}})[0], 201)
            self.assertEqual(keys(d, "s", n=3)[0], 200)
            self.assertEqual(keys(d, "s", stream="other", n=2)[0], 200)
            self.assertEqual(d.stop(), 0)
            self.downgrade(version)
            d = self.start()
            self.assertEqual(self.pg.psql("SELECT max(version) FROM keyfold_schema_version", self.db), "3")
            self.assertIn("migrated from version %d to 3" % version, "".join(d.stderr_lines))
            s, b, _ = keys(d, "s")
            self.assertEqual((s, b["counts"]), (200, [3]))
            s, b, _ = keys(d, "s", stream="other")
            self.assertEqual((s, b["counts"]), (200, [2]))
            self.assertEqual(d.stop(), 0)
            self.assertEqual(self.start().delete("/v1/sessions/s")[0], 204)
            self.daemons[-1].stop()
        # A keyfoldd of the older version still running (one that holds the
        # keyfold lock on a database of version 2): the migration is refused,
        # naming its server process, until it is stopped.
        running = self.start()
        self.downgrade(2)
        err = self.refused("--store", "postgres", "--postgres-url", self.url)
        self.assertIn("refusing to migrate", err)
        self.assertIn("from keyfold schema version 2 to 3 while a keyfoldd of the older version runs", err)
        self.assertEqual(self.pg.psql("SELECT max(version) FROM keyfold_schema_version", self.db), "2")
        running.kill9()
        # A count damaged under schema 2 (its old check no longer matches)
        # is not given a new check by the migration: the row is refused.
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "d", "rngs": {"default": 6}})[0], 201)
        self.assertEqual(keys(d, "d", n=3)[0], 200)
        self.assertEqual(d.stop(), 0)
        self.downgrade(2)
        # the count 3 (little-endian after the name "default" and the key) becomes 1
        self.pg.psql("UPDATE keyfold_sessions SET streams = set_byte(streams, 16, 1) WHERE name = 'd'", self.db)
        err = self.refused("--store", "postgres", "--postgres-url", self.url)
        self.assertIn("'d'", err)

    def test_replicas_share_the_database_but_not_with_phase_1(self):
        """Strict and lease replicas hold the advisory lock shared; a phase-1
        keyfoldd (one daemon per database) takes it exclusively, and while one
        holds it no replica starts."""
        a, b = self.start("--durability", "strict"), self.start("--durability", "lease")
        self.assertEqual(a.stop(), 0)
        self.assertEqual(b.stop(), 0)
        # What a phase-1 keyfoldd holds while it runs.
        holder = subprocess.Popen(["psql", "-X", "-q", "-d", self.url], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            holder.stdin.write("SELECT pg_advisory_lock(1801874532);\n\\echo held\n")
            holder.stdin.flush()
            lines = [holder.stdout.readline()]
            while lines[-1] and lines[-1] != "held\n" and len(lines) < 20:
                lines.append(holder.stdout.readline())
            self.assertEqual(lines[-1], "held\n", lines)
            err = self.refused("--store", "postgres", "--postgres-url", self.url)
            self.assertIn("a keyfoldd of phase 1 (one daemon per database) holds it alone", err)
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
        # Once it is gone the database is free again; the URL may come from
        # the environment as well.
        d2 = Daemon.start(env={"KEYFOLD_STORE": "postgres", "KEYFOLD_POSTGRES_URL": self.url})
        self.daemons.append(d2)
        self.assertEqual(d2.stop(), 0)

    def test_bad_configurations_are_refused(self):
        err = self.refused("--store", "postgres")
        self.assertIn("--store postgres needs --postgres-url", err)
        err = self.refused("--store", "mysql")
        self.assertIn("expected sqlite or postgres, got 'mysql'", err)
        err = self.refused("--store", "postgres", "--postgres-url", self.pg.url("no_such_db"))
        self.assertIn("cannot connect to the PostgreSQL database", err)
        self.assertIn("no_such_db", err)

    def test_snapshots_are_not_taken(self):
        d = self.start()
        s, b = d.post("/v1/admin/snapshot", {})
        self.assertEqual(s, 409, b)
        self.assertEqual(b["error"]["code"], "failed_precondition")
        self.assertIn("pg_dump", b["error"]["message"])
        self.assertEqual(d.stop(), 0)

    def test_a_restored_backup_marked_as_one_starts_fenced(self):
        """docs/deployment.md: a database restored from a backup is marked
        by hand (a keyfold_meta row 'snapshot'); keyfoldd then starts
        fenced, and /v1/admin/restore moves every stream on and unfences."""
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "s", "rngs": {"default": 5}})[0], 201)
        self.assertEqual(keys(d, "s", n=3)[0], 200)
        self.assertEqual(d.stop(), 0)
        self.pg.psql("INSERT INTO keyfold_meta VALUES ('snapshot', 'restored from a pg_dump')", self.db)
        d = self.start()
        s, b, _ = keys(d, "s")
        self.assertEqual(s, 409, b)
        self.assertEqual(b["error"]["code"], "failed_precondition")
        s, b = d.post("/v1/admin/restore", {"advance": 100})
        self.assertEqual(s, 200, b)
        s, b, _ = keys(d, "s")
        self.assertEqual((s, b["counts"]), (200, [103]))
        self.assertEqual(self.pg.psql("SELECT count(*) FROM keyfold_meta", self.db), "0")
        self.assertEqual(d.stop(), 0)
        d = self.start()
        s, b, _ = keys(d, "s")  # no longer fenced after a restart
        self.assertEqual((s, b["counts"]), (200, [104]))
        self.assertEqual(d.stop(), 0)

    def test_kill9_restart_sees_every_acknowledged_change(self):
        d = self.start()
        for name, seed in (("a", 1), ("b", 2), ("gone", 3)):
            self.assertEqual(d.post("/v1/sessions", {"name": name, "rngs": {"default": seed}})[0], 201)
        issued = set()
        for i in range(30):
            s, b, _ = keys(d, "a", n=1 + i % 3)
            self.assertEqual(s, 200, b)
            issued.update(tuple(k) for k in b["keys"])
        self.assertEqual(d.post("/v1/sessions/b/reseed", {"streams": {"default": 20}})[0], 200)
        self.assertEqual(keys(d, "b", n=2)[0], 200)
        self.assertEqual(d.delete("/v1/sessions/gone")[0], 204)
        count_a = sum(1 + i % 3 for i in range(30))
        d.kill9()
        d = self.start()
        self.assertEqual(sorted(d.get("/v1/sessions")[1]["sessions"]), ["a", "b"])
        s, b, _ = keys(d, "a", n=2)
        # strict: the count continues exactly, and no key comes twice
        self.assertEqual(b["counts"], [count_a, count_a + 1])
        self.assertEqual(b["keys"], [fold_in(key_of(1), count_a), fold_in(key_of(1), count_a + 1)])
        self.assertFalse(issued & {tuple(k) for k in b["keys"]})
        s, b, _ = keys(d, "b")
        self.assertEqual((b["counts"], b["keys"]), ([2], [fold_in(key_of(20), 2)]))
        self.assertEqual(d.get("/v1/sessions/gone")[0], 404)
        self.assertEqual(d.stop(), 0)

    def test_postgres_stopped_and_started_under_load(self):
        d = self.start()
        seeds = {"w%d" % i: 100 + i for i in range(4)}
        for name, seed in seeds.items():
            self.assertEqual(d.post("/v1/sessions", {"name": name, "rngs": {"default": seed}})[0], 201)
        acked = {name: [] for name in seeds}  # acknowledged counts, in order
        statuses, errors = [], []
        stop = threading.Event()

        def client(name):
            conn = d.connection()
            while not stop.is_set():
                try:
                    s, b, _ = keys(d, name, n=2, conn=conn)
                except (OSError, http.client.HTTPException) as e:
                    errors.append(e)
                    conn.close()
                    conn = d.connection()
                    continue
                statuses.append(s)
                if s == 200:
                    self.assertEqual(b["keys"], [fold_in(key_of(seeds[name]), c) for c in b["counts"]])
                    acked[name].extend(b["counts"])
                elif s == 503:
                    self.assertEqual(b["error"]["code"], "unavailable")
                    time.sleep(0.01)
                else:
                    errors.append((s, b))
            conn.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in seeds]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            self.pg.stop_server("fast")
            # While PostgreSQL is down: draws fail with 503 and so does readiness.
            deadline = time.time() + 10
            while time.time() < deadline and d.get("/v2/health/ready")[0] != 503:
                time.sleep(0.05)
            self.assertEqual(d.get("/v2/health/ready")[0], 503)
            n503 = statuses.count(503)
            time.sleep(0.5)
            self.assertGreater(statuses.count(503), n503, "draws go on failing while PostgreSQL is down")
            self.assertEqual(d.get("/v2/health/live")[0], 200)
            self.pg.start_server()
            # Back without restarting keyfoldd.
            deadline = time.time() + 15
            while time.time() < deadline and d.get("/v2/health/ready")[0] != 200:
                time.sleep(0.05)
            self.assertEqual(d.get("/v2/health/ready")[0], 200)
            ok_before = statuses.count(200)
            time.sleep(0.5)
            self.assertGreater(statuses.count(200), ok_before, "draws succeed again")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])
        # Acknowledged counts are distinct and increasing per stream.
        for name, counts in acked.items():
            self.assertEqual(counts, sorted(set(counts)), name)
        # Nothing acknowledged is lost: a kill -9 restart continues past
        # every acknowledged count.
        d.kill9()
        d = self.start()
        for name in seeds:
            s, b, _ = keys(d, name)
            self.assertEqual(s, 200, b)
            self.assertGreater(b["counts"][0], max(acked[name]), name)
        self.assertIn("reconnected", "".join(self.daemons[0].stderr_lines))
        self.assertEqual(d.stop(), 0)

    def test_an_idle_daemon_notices_postgres_going_away(self):
        """Readiness without any request that writes: the idle writer pings
        the server (server/writer.h: KD_WRITER_PING_MS), so a load balancer
        stops sending to a replica whose database is gone before a client
        learns it from a 503, and sends again once it is back."""
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "idle", "rngs": {"default": 9}})[0], 201)
        self.assertEqual(d.get("/v2/health/ready")[0], 200)
        self.pg.stop_server("fast")
        try:
            deadline = time.time() + 10
            while time.time() < deadline and d.get("/v2/health/ready")[0] != 503:
                time.sleep(0.05)
            s, b = d.get("/v2/health/ready")
            self.assertEqual(s, 503, b)
        finally:
            self.pg.start_server()
        deadline = time.time() + 15
        while time.time() < deadline and d.get("/v2/health/ready")[0] != 200:
            time.sleep(0.05)
        self.assertEqual(d.get("/v2/health/ready")[0], 200)
        s, b, _ = keys(d, "idle")
        self.assertEqual((s, b["counts"]), (200, [0]), b)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
