"""Replicas sharing one PostgreSQL database (issue 14 phase 2, strict mode):
three keyfoldd on one database, clients going through any of them.

- concurrent draws from the same streams through random replicas: every
  count handed out once, the counts of a stream contiguous, every key
  fold_in(stream key, count) as JAX computes it;
- a reseed through one replica is seen by the next draw through another;
- a fork and a delete through one replica are seen by the others, and a
  session deleted and created again through another is the new one;
- one name created on two replicas: one creation wins, the other is 409;
- lease mode (LeaseReplicas): replicas serve blocks from memory and never
  repeat a key; a reseed or delete through one fences the others' blocks
  within the documented window (KD_LEASE_WINDOW_MS, docs/deployment.md),
  also for a replica whose LISTEN connection was cut;
- kill -9 of a random replica under load, 20 cycles, strict and lease
  (ReplicaCrash): no key handed out twice, every acknowledged draw behind
  the stored counts; PostgreSQL stopped and started under load: 503
  `unavailable` and readiness 503 on every replica meanwhile, all of them
  back without a restart, nothing acknowledged lost.

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
from kfharness import call, fold_in, key_of  # noqa: E402

if kfharness.postgres_missing():
    sys.stderr.write("test_replicas: skipped: %s\n" % kfharness.postgres_missing())
    sys.exit(77)


def draw_concurrently(replicas, name, streams, clients=8, requests=40):
    """`clients` threads, each with a keep-alive connection to every replica,
    each drawing `requests` times 1-4 keys from a random one of `streams`
    through a random replica. Returns ([(stream, n, reply)], [errors])."""
    results, errors = [], []
    lock = threading.Lock()

    def client(k):
        rnd = random.Random(k)
        conns = [http.client.HTTPConnection(d.host, d.port, timeout=60) for d in replicas]
        try:
            for _ in range(requests):
                stream = rnd.choice(streams)
                n = rnd.randint(1, 4)
                s, body = call(rnd.choice(conns), "POST", "/v1/sessions/%s/keys" % name, {"stream": stream, "n": n})
                with lock:
                    if s == 200:
                        results.append((stream, n, body))
                    else:
                        errors.append((s, body))
        finally:
            for conn in conns:
                conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


class Replicas(kfharness.PostgresTestCase):
    fsync = False
    durability = "strict"

    def setUp(self):
        super().setUp()
        self.replicas = [self.start("--durability", self.durability) for _ in range(3)]

    def keys(self, replica, name, stream=None, n=1):
        body = {"n": n}
        if stream:
            body["stream"] = stream
        return self.replicas[replica].post("/v1/sessions/%s/keys" % name, body)

    def test_concurrent_draws_through_random_replicas(self):
        a, b, c = self.replicas
        seeds = {"default": 11, "dropout": 12}
        self.assertEqual(a.post("/v1/sessions", {"name": "s", "rngs": seeds})[0], 201)
        results, errors = draw_concurrently(self.replicas, "s", list(seeds))
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 8 * 40)
        for stream, seed in seeds.items():
            counts = []
            for st, n, body in results:
                if st != stream:
                    continue
                self.assertEqual(len(body["counts"]), n)
                self.assertEqual(body["keys"], [fold_in(key_of(seed), c) for c in body["counts"]])
                counts += body["counts"]
            # Every count once, none skipped: strict replicas claim in order.
            self.assertEqual(sorted(counts), list(range(len(counts))), stream)
            # Each replica reads the stream where the others left it.
            for d in self.replicas:
                s, b = d.get("/v1/sessions/s")
                self.assertEqual(s, 200, b)
                self.assertEqual(b["rngs"][stream]["count"], len(counts), stream)
        # And the next draw through any replica goes on from there.
        total = sum(n for st, n, _ in results if st == "default")
        s, body = c.post("/v1/sessions/s/keys", {"n": 1})
        self.assertEqual((s, body["counts"]), (200, [total]))

    def test_samples_and_keys_share_the_counts_through_random_replicas(self):
        """POST …/sample claims like …/keys: one stream's counts stay
        contiguous whichever replica and route draws them, and each sample
        is jax.random's for its key."""
        self.assertEqual(self.replicas[0].post("/v1/sessions", {"name": "m", "rngs": {"default": 31}})[0], 201)
        rnd = random.Random(5)
        expect = 0
        for i in range(24):
            r = self.replicas[rnd.randrange(3)]
            if i % 2:
                s, b = r.post("/v1/sessions/m/sample", {"distribution": "normal", "shape": [3]})
                self.assertEqual((s, b["count"]), (200, expect), b)
                self.assertEqual(b["key"], fold_in(key_of(31), expect))
                s, want = r.post("/v1/random/normal", {"key": b["key"], "shape": [3]})
                self.assertEqual(b["data"], want["data"])
                expect += 1
            else:
                s, b = r.post("/v1/sessions/m/keys", {"n": 2})
                self.assertEqual((s, b["counts"]), (200, [expect, expect + 1]), b)
                expect += 2

    def test_reseed_through_one_is_seen_by_the_next_draw_through_another(self):
        a, b, c = self.replicas
        self.assertEqual(a.post("/v1/sessions", {"name": "r", "rngs": {"default": 1, "dropout": 2}})[0], 201)
        for i in range(3):  # every replica caches the session
            s, body = self.keys(i, "r", "dropout", n=2)
            self.assertEqual((s, body["counts"]), (200, [2 * i, 2 * i + 1]))
        for step, (via, then) in enumerate([(0, 1), (1, 2), (2, 0)]):
            seed = 40 + step
            s, body = self.replicas[via].post("/v1/sessions/r/reseed", {"streams": {"dropout": seed}})
            self.assertEqual(s, 200, body)
            s, body = self.keys(then, "r", "dropout")
            self.assertEqual((s, body["counts"], body["keys"]), (200, [0], [fold_in(key_of(seed), 0)]))
            s, body = self.replicas[3 - via - then].get("/v1/sessions/r")
            self.assertEqual(body["rngs"]["dropout"], {"key": [0, seed], "count": 1})
        # The other stream was left alone by every reseed.
        s, body = self.keys(1, "r")
        self.assertEqual((s, body["counts"], body["keys"]), (200, [0], [fold_in(key_of(1), 0)]))

    def test_a_model_session_is_one_model_on_every_replica(self):
        """A model (a batch_norm and a dropout) created through one replica:
        every replica rebuilds the same parameters; a training pass through
        another moves the batch statistics and the dropout count for all; an
        eval pass through the third gives what the second would give."""
        a, b, c = self.replicas
        model = {"layers": [{"type": "linear", "in_features": 3, "out_features": 4},
                            {"type": "batch_norm", "num_features": 4, "name": "bn"},
                            {"type": "dropout", "rate": 0.5}]}
        s, body = a.post("/v1/sessions", {"name": "m", "rngs": {"params": 0, "dropout": 1}, "model": model})
        self.assertEqual(s, 201, body)
        states = [r.get("/v1/sessions/m/params?format=state")[1] for r in self.replicas]
        self.assertEqual(states[1], states[0])
        self.assertEqual(states[2], states[0])
        x = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
        for via in (b, c, b):
            s, body = via.post("/v1/sessions/m/forward", {"x": x, "deterministic": False})
            self.assertEqual(s, 200, body)
        trained = [r.get("/v1/sessions/m/params?format=state")[1] for r in self.replicas]
        self.assertNotEqual(trained[0]["bn"]["mean"], states[0]["bn"]["mean"])
        self.assertEqual(trained[1], trained[0])
        self.assertEqual(trained[2], trained[0])
        for r in self.replicas:
            self.assertEqual(r.get("/v1/sessions/m")[1]["rngs"]["dropout"]["count"], 3)
        ys = [r.post("/v1/sessions/m/forward", {"x": x, "deterministic": True})[1]["y"] for r in self.replicas]
        self.assertEqual(ys[1], ys[0])
        self.assertEqual(ys[2], ys[0])

    def test_fork_and_delete_through_one_are_seen_by_the_others(self):
        a, b, c = self.replicas
        self.assertEqual(a.post("/v1/sessions", {"name": "p", "rngs": {"default": 5}})[0], 201)
        s, body = self.keys(1, "p")  # b caches the parent at count 1
        self.assertEqual((s, body["counts"]), (200, [0]))
        s, child = c.post("/v1/sessions/p/fork", {"name": "c"})
        self.assertEqual(s, 201, child)
        # The fork took count 1: b's next draw is 2, not the child's key.
        s, body = self.keys(1, "p")
        self.assertEqual((s, body["counts"]), (200, [2]))
        ckey = fold_in(key_of(5), 1)
        s, body = self.keys(0, "c")  # a never saw the child: loaded from the database
        self.assertEqual((s, body["counts"], body["keys"]), (200, [0], [fold_in(ckey, 0)]))
        s, body = b.get("/v1/sessions/c")
        self.assertEqual((s, body["rngs"]["default"]), (200, {"key": ckey, "count": 1}))
        for d in self.replicas:  # the listing is the database's
            self.assertEqual(d.get("/v1/sessions")[1]["sessions"], ["c", "p"])
        # A delete through b: a (which drew from it) and c see it gone.
        self.assertEqual(b.delete("/v1/sessions/c")[0], 204)
        self.assertEqual(self.keys(0, "c")[0], 404)
        self.assertEqual(c.get("/v1/sessions/c")[0], 404)
        self.assertEqual(c.delete("/v1/sessions/c")[0], 404)
        self.assertEqual(a.get("/v1/sessions?prefix=c")[1]["sessions"], [])
        # Deleted through a and created again through c with another seed:
        # b, which cached the old one, serves the new one.
        self.assertEqual(a.delete("/v1/sessions/p")[0], 204)
        self.assertEqual(self.keys(1, "p")[0], 404)
        self.assertEqual(c.post("/v1/sessions", {"name": "p", "rngs": {"default": 77}})[0], 201)
        s, body = self.keys(1, "p")
        self.assertEqual((s, body["counts"], body["keys"]), (200, [0], [fold_in(key_of(77), 0)]))
        # A stale cache with a different stream set is rebuilt too.
        self.assertEqual(b.delete("/v1/sessions/p")[0], 204)
        self.assertEqual(a.post("/v1/sessions", {"name": "p", "rngs": {"other": 3}})[0], 201)
        s, body = self.keys(1, "p", "other")
        self.assertEqual((s, body["counts"], body["keys"]), (200, [0], [fold_in(key_of(3), 0)]))

    def test_parallel_reads_through_one_replica_see_the_rows(self):
        """GET and the listing read the database on several connections of
        one replica at once (backend_postgres.c: READERS), while another
        replica draws: every answer is a row as some commit left it."""
        a, b, c = self.replicas
        names = ["r%d" % i for i in range(6)]
        for i, name in enumerate(names):
            self.assertEqual(a.post("/v1/sessions", {"name": name, "rngs": {"default": 60 + i}})[0], 201)
        stop = threading.Event()
        errors = []

        def drawer():
            conn = http.client.HTTPConnection(c.host, c.port, timeout=60)
            while not stop.is_set():
                for name in names:
                    s, body = call(conn, "POST", "/v1/sessions/%s/keys" % name, {"n": 1})
                    if s != 200:
                        errors.append(("draw", s, body))
            conn.close()

        def reader(k):
            conn = http.client.HTTPConnection(b.host, b.port, timeout=60)
            last = {}
            for j in range(40):
                name = names[(k + j) % len(names)]
                s, body = call(conn, "GET", "/v1/sessions/%s" % name)
                if s != 200 or body["rngs"]["default"]["key"] != key_of(60 + names.index(name)):
                    errors.append(("get", s, body))
                    continue
                count = body["rngs"]["default"]["count"]
                if count < last.get(name, 0):  # a read never goes back in time
                    errors.append(("went back", name, count, last[name]))
                last[name] = count
                if j % 10 == 0:
                    s, body = call(conn, "GET", "/v1/sessions")
                    if s != 200 or body["sessions"] != names:
                        errors.append(("list", s, body))
            conn.close()

        d = threading.Thread(target=drawer)
        d.start()
        ts = [threading.Thread(target=reader, args=(k,)) for k in range(12)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        stop.set()
        d.join()
        self.assertEqual(errors, [])

    def test_a_name_created_on_two_replicas_is_created_once(self):
        a, b, c = self.replicas
        self.assertEqual(a.post("/v1/sessions", {"name": "x", "rngs": {"default": 1}})[0], 201)
        s, body = b.post("/v1/sessions", {"name": "x", "rngs": {"default": 2}})
        self.assertEqual((s, body["error"]["code"]), (409, "already_exists"))
        for i in range(12):
            name = "race-%d" % i
            barrier = threading.Barrier(2)
            out = {}

            def create(k, d):
                conn = http.client.HTTPConnection(d.host, d.port, timeout=60)
                barrier.wait()
                out[k] = call(conn, "POST", "/v1/sessions", {"name": name, "rngs": {"default": 100 + k}})
                conn.close()

            ts = [threading.Thread(target=create, args=(k, d)) for k, d in enumerate((a, b))]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            statuses = sorted(s for s, _ in out.values())
            self.assertEqual(statuses, [201, 409], out)
            winner = [k for k, (s, _) in out.items() if s == 201][0]
            # Every replica serves the winner's session.
            for i_r in range(3):
                s, body = self.keys(i_r, name)
                self.assertEqual((s, body["keys"]), (200, [fold_in(key_of(100 + winner), i_r)]))


# server/backend.h: KD_LEASE_WINDOW_MS — how long another replica may still
# serve a block of a session reseeded or deleted through one.
WINDOW = 0.25


class LeaseReplicas(kfharness.PostgresTestCase):
    fsync = False

    def setUp(self):
        super().setUp()
        # Small blocks: replicas run through several while the test draws.
        self.replicas = [self.start("--durability", "lease", "--lease-block", "16") for _ in range(3)]

    def keys(self, replica, name, stream=None, n=1):
        body = {"n": n}
        if stream:
            body["stream"] = stream
        return self.replicas[replica].post("/v1/sessions/%s/keys" % name, body)

    def test_concurrent_draws_never_repeat_a_key(self):
        seeds = {"default": 21, "dropout": 22}
        self.assertEqual(self.replicas[0].post("/v1/sessions", {"name": "s", "rngs": seeds})[0], 201)
        results, errors = draw_concurrently(self.replicas, "s", list(seeds))
        self.assertEqual(errors, [])
        for stream, seed in seeds.items():
            counts = []
            for st, _, body in results:
                if st == stream:
                    self.assertEqual(body["keys"], [fold_in(key_of(seed), c) for c in body["counts"]])
                    counts += body["counts"]
            # Gaps (blocks not used up) but never a count twice.
            self.assertEqual(len(set(counts)), len(counts), stream)
            for i in range(3):
                s, body = self.keys(i, "s", stream)
                self.assertNotIn(body["counts"][0], counts)
                counts += body["counts"]

    def fenced_after_window(self, cut=None):
        a, b, c = self.replicas
        self.assertEqual(a.post("/v1/sessions", {"name": "r", "rngs": {"default": 1, "dropout": 2}})[0], 201)
        for i in range(3):  # every replica holds a block of each stream
            self.assertEqual(self.keys(i, "r", "dropout")[0], 200)
            self.assertEqual(self.keys(i, "r")[0], 200)
        if cut:
            cut()
        seen = set()
        for step, via in enumerate((0, 1, 2)):
            seed = 40 + step
            s, body = self.replicas[via].post("/v1/sessions/r/reseed", {"streams": {"dropout": seed}})
            self.assertEqual(s, 200, body)
            time.sleep(WINDOW + 0.1)
            for i in range(3):
                s, body = self.keys(i, "r", "dropout", n=2)
                self.assertEqual(s, 200, body)
                self.assertEqual(body["keys"], [fold_in(key_of(seed), c) for c in body["counts"]], (via, i))
                for c in body["counts"]:
                    self.assertNotIn((seed, c), seen)
                    seen.add((seed, c))
        self.assertEqual(b.delete("/v1/sessions/r")[0], 204)
        time.sleep(WINDOW + 0.1)
        for i in (0, 2):
            self.assertEqual(self.keys(i, "r")[0], 404)
            self.assertEqual(self.keys(i, "r", "dropout")[0], 404)

    def test_reseed_and_delete_fence_the_other_replicas_blocks(self):
        self.fenced_after_window()

    def test_a_replica_whose_listen_connection_is_cut_serves_no_stale_block(self):
        def cut():
            # Every LISTEN connection ends; the replicas reconnect (after
            # 0.2 s) and meanwhile serve no block without a round trip.
            self.pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE query LIKE '%keyfold_epoch WHERE id = 1%' AND pid <> pg_backend_pid()", self.db)
        self.fenced_after_window(cut)


class RestoreAcrossReplicas(kfharness.PostgresTestCase):
    """A restored (fenced) database served by three replicas: the restore
    sent to one lifts the fence on every replica, and advances every row,
    including one another replica changed meanwhile."""
    fsync = False

    def restore_through_one(self, durability):
        d = self.start("--durability", durability)
        for name, seed in (("a", 3), ("b", 4)):
            self.assertEqual(d.post("/v1/sessions", {"name": name, "rngs": {"default": seed}})[0], 201)
        self.assertEqual(d.post("/v1/sessions/a/keys", {"n": 5})[0], 200)
        self.assertEqual(d.stop(), 0)
        self.pg.psql("INSERT INTO keyfold_meta VALUES ('snapshot', 'restored from a pg_dump')", self.db)
        one, two, three = [self.start("--durability", durability) for _ in range(3)]
        for r in (one, two, three):
            s, b = r.post("/v1/sessions/a/keys", {"n": 1})
            self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"), b)
        # Reseeding every stream of b through the third unfences b there
        # and changes b's row under the first's cached copy.
        s, b = three.post("/v1/sessions/b/reseed", {"streams": {"default": 44}})
        self.assertEqual(s, 200, b)
        s, b = one.post("/v1/admin/restore", {"advance": 100})
        self.assertEqual((s, b.get("advanced_sessions")), (200, 2), b)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM keyfold_meta", self.db), "0")
        # The other replicas learn it from the store on their next request.
        s, b = two.post("/v1/admin/restore", {"advance": 100})
        self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"), b)
        seen = []
        for r in (two, three, one, three, two):
            s, b = r.post("/v1/sessions/a/keys", {"n": 2})
            self.assertEqual(s, 200, b)
            self.assertEqual(b["keys"], [fold_in(key_of(3), c) for c in b["counts"]])
            seen += b["counts"]
        # a was at 5 (lease: at most a block further): everything from the
        # advanced count on, each count once.
        self.assertEqual(len(set(seen)), len(seen))
        self.assertGreaterEqual(min(seen), 105)
        if durability == "strict":
            self.assertEqual(sorted(seen), list(range(105, 115)))
        # b: reseeded through the third, then advanced through the first.
        s, b = two.post("/v1/sessions/b/keys", {"n": 1})
        self.assertEqual(s, 200, b)
        self.assertEqual(b["keys"], [fold_in(key_of(44), c) for c in b["counts"]])
        self.assertGreaterEqual(b["counts"][0], 100)

    def test_the_row_refuses_a_claim_past_the_last_count(self):
        """Strict draws of a session two replicas serve claim their counts
        from the row (docs/deployment.md, claims): a replica whose cache is
        behind is refused by the row, not by its cache, when the stream
        cannot give that many."""
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "x", "rngs": {"default": 8}})[0], 201)
        self.assertEqual(d.stop(), 0)
        self.pg.psql("INSERT INTO keyfold_meta VALUES ('snapshot', 'near the end')", self.db)
        one, two = self.start(), self.start()
        s, b = one.post("/v1/admin/restore", {"advance": 4294967280})
        self.assertEqual(s, 200, b)
        # Each replica's first draw after the other's conflicts and turns
        # its claims on; the counts go on without a gap.
        for i, r in enumerate((one, two, one, two)):
            s, b = r.post("/v1/sessions/x/keys", {"n": 1})
            self.assertEqual((s, b["counts"]), (200, [4294967280 + i]), b)
        s, b = two.post("/v1/sessions/x/keys", {"n": 10})
        self.assertEqual(s, 200, b)
        self.assertEqual(b["counts"], list(range(4294967284, 4294967294)))
        self.assertEqual(b["keys"], [fold_in(key_of(8), c) for c in b["counts"]])
        # one's cache still says 4294967284: the row refuses.
        s, b = one.post("/v1/sessions/x/keys", {"n": 2})
        self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"), b)
        self.assertIn("at count 4294967294", b["error"]["message"])
        s, b = two.post("/v1/sessions/x/keys", {"n": 1})
        self.assertEqual(s, 200, b)
        self.assertEqual(b["counts"], [4294967294])  # the last: the count becomes 4294967295
        s, b = one.post("/v1/sessions/x/sample", {"distribution": "uniform"})
        self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"), b)

    def test_concurrent_claims_at_the_end_of_a_stream(self):
        """Claims of one stream made together are merged into one statement;
        when the stream cannot give their total, each is made again alone:
        every count up to the last is handed out once and the rest refused
        with 409, none with 503."""
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "e", "rngs": {"default": 9}})[0], 201)
        self.assertEqual(d.stop(), 0)
        self.pg.psql("INSERT INTO keyfold_meta VALUES ('snapshot', 'near the end')", self.db)
        one, two = self.start(), self.start()
        self.assertEqual(one.post("/v1/admin/restore", {"advance": 4294967285})[0], 200)
        for r in (one, two, one, two):  # both replicas' claims on
            self.assertEqual(r.post("/v1/sessions/e/keys", {"n": 1})[0], 200)
        results = []
        barrier = threading.Barrier(12)

        def draw():
            conn = http.client.HTTPConnection(one.host, one.port, timeout=60)
            barrier.wait()
            results.append(call(conn, "POST", "/v1/sessions/e/keys", {"n": 1}))
            conn.close()

        ts = [threading.Thread(target=draw) for _ in range(12)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        granted = sorted(b["counts"][0] for st, b in results if st == 200)
        self.assertEqual(granted, list(range(4294967289, 4294967295)), results)
        self.assertEqual(sorted(st for st, _ in results), [200] * 6 + [409] * 6, results)

    def test_strict_restore_through_one_replica_unfences_all(self):
        self.restore_through_one("strict")

    def test_lease_restore_through_one_replica_unfences_all(self):
        self.restore_through_one("lease")


class ReplicaCrash(kfharness.PostgresTestCase):
    """kill -9 of one replica at a time while clients draw through all three
    (the crash test of test_crash.py, across replicas)."""
    CYCLES = 20

    def crash_cycles(self, durability):
        flags = ("--durability", durability, "--lease-block", "8")
        replicas = [self.start(*flags) for _ in range(3)]
        seeds = {"default": 31, "dropout": 32}
        self.assertEqual(replicas[0].post("/v1/sessions", {"name": "c", "rngs": seeds})[0], 201)
        acked, lock, stop = [], threading.Lock(), threading.Event()

        def client(k):
            rnd = random.Random(k)
            while not stop.is_set():
                d = rnd.choice(replicas)  # the list changes as replicas restart
                stream = rnd.choice(list(seeds))
                try:
                    conn = http.client.HTTPConnection(d.host, d.port, timeout=30)
                    s, body = call(conn, "POST", "/v1/sessions/c/keys", {"stream": stream, "n": rnd.randint(1, 3)})
                    conn.close()
                except (OSError, http.client.HTTPException, ValueError):
                    continue  # killed under it: not acknowledged
                if s == 200:
                    with lock:
                        acked.append((stream, body))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        try:
            rnd = random.Random(7)
            for _ in range(self.CYCLES):
                time.sleep(0.15)
                i = rnd.randrange(3)
                replicas[i].kill9()
                replicas[i] = self.start(*flags)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertGreater(len(acked), 50)
        for stream, seed in seeds.items():
            counts = []
            for st, body in acked:
                if st == stream:
                    self.assertEqual(body["keys"], [fold_in(key_of(seed), c) for c in body["counts"]])
                    counts += body["counts"]
            self.assertEqual(len(set(counts)), len(counts), "%s: a count handed out twice" % stream)
            # Nothing acknowledged is lost: a replica started now goes on past
            # every acknowledged count (strict: every replica does; lease: the
            # others may still hold blocks below, never a count issued).
            fresh = self.start(*flags)
            for d in [fresh] + replicas:
                s, body = d.post("/v1/sessions/c/keys", {"stream": stream})
                self.assertEqual(s, 200, body)
                if d is fresh or durability == "strict":
                    self.assertGreater(body["counts"][0], max(counts), stream)
                counts += body["counts"]
            self.assertEqual(len(set(counts)), len(counts), stream)

    def postgres_restart(self, durability):
        replicas = [self.start("--durability", durability, "--lease-block", "8") for _ in range(3)]
        seeds = {"w0": 200, "w1": 201}
        for name, seed in seeds.items():
            self.assertEqual(replicas[0].post("/v1/sessions", {"name": name, "rngs": {"default": seed}})[0], 201)
        acked = {name: [] for name in seeds}
        statuses, errors, lock, stop = [], [], threading.Lock(), threading.Event()

        def client(k):
            rnd = random.Random(k)
            conns = [http.client.HTTPConnection(d.host, d.port, timeout=30) for d in replicas]
            while not stop.is_set():
                i = rnd.randrange(3)
                name = rnd.choice(list(seeds))
                try:
                    s, body = call(conns[i], "POST", "/v1/sessions/%s/keys" % name, {"n": 2})
                except (OSError, http.client.HTTPException) as e:
                    errors.append(e)
                    conns[i].close()
                    conns[i] = http.client.HTTPConnection(replicas[i].host, replicas[i].port, timeout=30)
                    continue
                with lock:
                    statuses.append(s)
                    if s == 200:
                        self.assertEqual(body["keys"], [fold_in(key_of(seeds[name]), c) for c in body["counts"]])
                        acked[name].extend(body["counts"])
                    elif s == 503:
                        self.assertEqual(body["error"]["code"], "unavailable")
                    else:
                        errors.append((s, body))
                if s == 503:
                    time.sleep(0.01)
            for conn in conns:
                conn.close()

        threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            self.pg.stop_server("fast")
            for d in replicas:
                deadline = time.time() + 10
                while time.time() < deadline and d.get("/v2/health/ready")[0] != 503:
                    time.sleep(0.05)
                self.assertEqual(d.get("/v2/health/ready")[0], 503)
                self.assertEqual(d.get("/v1/sessions/w0")[0], 503)  # a read needs the database too
            n503 = statuses.count(503)
            time.sleep(0.3)
            self.assertGreater(statuses.count(503), n503)
            self.pg.start_server()
            for d in replicas:
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
        fresh = self.start("--durability", durability)
        for name, counts in acked.items():
            self.assertEqual(len(set(counts)), len(counts), name)
            s, body = fresh.post("/v1/sessions/%s/keys" % name, {})
            self.assertEqual(s, 200, body)
            self.assertGreater(body["counts"][0], max(counts), name)

    def test_strict_postgres_stopped_and_started_under_load(self):
        self.postgres_restart("strict")

    def test_lease_postgres_stopped_and_started_under_load(self):
        self.postgres_restart("lease")

    def test_strict_kill9_of_replicas_under_load(self):
        self.crash_cycles("strict")

    def test_lease_kill9_of_replicas_under_load(self):
        self.crash_cycles("lease")


if __name__ == "__main__":
    unittest.main()
