"""A failing disk (docs/fault-injection.md, docs/durability-tests.md): keyfoldd
runs with libiofault.so preloaded and the shim's path_prefix set to its data
directory, so that fsyncs (fsync=EIO) or writes (write=ENOSPC, a full disk)
of its store fail while the test flips the control file.

- While commits fail, changes answer 503 {"error": {"code": "unavailable"}}
  and /v2/health/ready is 503; reads keep working. Once the fault is gone
  the next requests succeed without a restart and ready is 200 again.
- Nothing acknowledged is lost: every 2xx draw made before, during and after
  faults is covered by the store after a kill -9 and a restart without the
  shim (the stream's count is past every acknowledged count, a new draw
  reissues no key). A 503 means "unknown outcome": its draw may or may not
  have reached the disk, so nothing is asserted about it.
- A creation that failed with 503 can be retried (201) once the disk works,
  and the retry is what is stored.

Needs IOFAULT_LIB=<path of libiofault.so> (meson passes it); without it the
module is skipped.
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

from kfharness import Daemon, StoreTestCase, f32_bits, fold_in, key_of  # noqa: E402

IOFAULT_LIB = os.environ.get("IOFAULT_LIB", "")
if not IOFAULT_LIB:
    SKIP_REASON = "IOFAULT_LIB is not set (the path of tests/fault's libiofault.so)"
elif not os.path.isfile(IOFAULT_LIB):
    SKIP_REASON = "IOFAULT_LIB=%s does not exist" % IOFAULT_LIB
else:
    SKIP_REASON = None

LINEAR_DROPOUT = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                             {"type": "dropout", "rate": 0.5}]}
# Fault bodies of the control file (path_prefix is added by set_faults).
FSYNC_EIO = "fsync=EIO\n"
DISK_FULL = "write=ENOSPC\n"
CONNECTION_ERRORS = (ConnectionError, http.client.HTTPException, OSError)



def float_bits(v):
    if isinstance(v, dict):
        if "data" in v and v.get("dtype") == "float32":
            return dict(v, data=[f32_bits(float(x)) for x in v["data"]])
        return {k: float_bits(x) for k, x in v.items()}
    if isinstance(v, list):
        return [float_bits(x) for x in v]
    return v


@unittest.skipIf(SKIP_REASON, SKIP_REASON or "")
class FaultCase(StoreTestCase):
    MODE = "strict"
    FLAGS = ()

    def setUp(self):
        super().setUp()
        os.makedirs(self.data)
        # Outside path_prefix: the shim never faults its own control file.
        self.ctl = os.path.join(self.root, "iofault.ctl")
        self.set_faults("")

    def set_faults(self, body):
        """Replaces the control file atomically (docs/fault-injection.md)."""
        tmp = self.ctl + ".tmp"
        with open(tmp, "w") as f:
            f.write("path_prefix=%s/\n%s" % (self.data, body))
        os.replace(tmp, self.ctl)

    def start(self, faults=True):
        env = None
        if faults:
            asan = os.environ.get("ASAN_OPTIONS", "")
            env = {"LD_PRELOAD": IOFAULT_LIB, "IOFAULT_CONTROL": self.ctl,
                   "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
        d = Daemon.start("--data-dir", self.data, "--durability", self.MODE, *self.FLAGS, env=env)
        self._daemons.append(d)
        return d

    def term(self, d):
        rc = d.stop()
        self.assertEqual(rc, 0, "keyfoldd exited %r:\n%s" % (rc, "".join(d.stderr_lines[-20:])))

    def ok(self, d, method, path, body=None, status=None):
        s, b, _ = d.request(method, path, body=body)
        if status is None:
            self.assertTrue(200 <= s < 300, "%s %s -> %d %r" % (method, path, s, b))
        else:
            self.assertEqual(s, status, "%s %s -> %d %r" % (method, path, s, b))
        return b

    def unavailable(self, d, method, path, body=None):
        s, b, _ = d.request(method, path, body=body)
        self.assertEqual(s, 503, "%s %s under a failing disk -> %d %r" % (method, path, s, b))
        self.assertEqual(b["error"]["code"], "unavailable", b)
        return b

    def create(self, d, name, seed, status=201, model=LINEAR_DROPOUT):
        spec = {"name": name, "rngs": {"params": seed, "dropout": seed + 1}}
        if model:
            spec["model"] = model
        return self.ok(d, "POST", "/v1/sessions", spec, status=status)


class StrictFaults(FaultCase):
    def _fault_then_recover(self, fault):
        d = self.start()
        self.create(d, "pre", 1)
        acked = self.ok(d, "POST", "/v1/sessions/pre/keys", {"stream": "dropout", "n": 2})["counts"]
        self.set_faults(fault)
        # Reads need no commit.
        self.assertEqual(self.ok(d, "GET", "/v1/sessions/pre")["name"], "pre")
        # Every change must wait for a commit that fails. Repeated, because a
        # reply that does not really wait is only sometimes caught.
        for i in range(12):
            self.unavailable(d, "POST", "/v1/sessions",
                             {"name": "f%d" % i, "rngs": {"params": 100 + i}, "model": LINEAR_DROPOUT})
            self.ok(d, "GET", "/v1/sessions/f%d" % i, status=404)
        self.assertEqual(d.get("/v2/health/ready")[0], 503, "ready after a failed commit")
        for _ in range(12):
            self.unavailable(d, "POST", "/v1/sessions/pre/keys", {"stream": "dropout", "n": 2})
        self.unavailable(d, "POST", "/v1/sessions/pre/forward", {"x": [[1.0, 2.0]]})
        self.assertEqual(d.get("/v2/health/ready")[0], 503)

        # The disk works again: no restart needed.
        self.set_faults("")
        r = self.ok(d, "POST", "/v1/sessions/pre/keys", {"stream": "dropout", "n": 2})
        self.assertGreater(min(r["counts"]), max(acked))
        acked += r["counts"]
        # (d) the creation that failed is retried.
        self.create(d, "f0", 100, status=201)
        self.assertEqual(d.get("/v2/health/ready")[0], 200, "ready once commits succeed again")
        self.ok(d, "POST", "/v1/sessions/f0/keys", {"stream": "dropout", "n": 1})

        d.kill9()
        d = self.start(faults=False)
        self.assertEqual(d.get("/v2/health/ready")[0], 200)
        pre = self.ok(d, "GET", "/v1/sessions/pre")["rngs"]["dropout"]
        self.assertGreater(pre["count"], max(acked))
        f0 = self.ok(d, "GET", "/v1/sessions/f0")["rngs"]
        self.assertEqual(f0["dropout"], {"key": key_of(101), "count": 1})
        self.term(d)

    def test_fsync_eio_answers_503_and_recovers(self):
        self._fault_then_recover(FSYNC_EIO)

    def test_disk_full_answers_503_and_recovers(self):
        self._fault_then_recover(DISK_FULL)

    def test_failed_creation_retried_with_other_seeds_is_stored(self):
        d = self.start()
        self.set_faults(FSYNC_EIO)
        self.unavailable(d, "POST", "/v1/sessions",
                         {"name": "r", "rngs": {"params": 1, "dropout": 2}, "model": LINEAR_DROPOUT})
        self.set_faults("")
        created = self.create(d, "r", 500)
        params = float_bits(self.ok(d, "GET", "/v1/sessions/r/params"))
        d.kill9()
        d = self.start(faults=False)
        self.assertEqual(self.ok(d, "GET", "/v1/sessions/r"), created)
        self.assertEqual(float_bits(self.ok(d, "GET", "/v1/sessions/r/params")), params)
        # The model is the one seed 500 builds, not the failed attempt's.
        ref = Daemon.start("--durability", "memory")
        try:
            self.create(ref, "r", 500)
            self.assertEqual(float_bits(self.ok(ref, "GET", "/v1/sessions/r/params")), params)
        finally:
            ref.stop()
        self.term(d)

    def test_ready_recovers_without_traffic(self):
        # A load balancer stops sending requests to an instance whose
        # readiness is 503; readiness must come back once the disk does,
        # without waiting for a write that will never arrive.
        d = self.start()
        self.create(d, "a", 1)
        self.set_faults(FSYNC_EIO)
        self.unavailable(d, "POST", "/v1/sessions/a/keys", {"stream": "dropout"})
        self.assertEqual(d.get("/v2/health/ready")[0], 503)
        self.set_faults("")
        deadline = time.time() + 5
        while d.get("/v2/health/ready")[0] != 200:
            self.assertLess(time.time(), deadline, "ready stayed 503 for 5 s after the disk recovered")
            time.sleep(0.1)
        self.term(d)

    def test_what_is_seen_after_a_failed_change_is_what_is_kept(self):
        # A 503 leaves the outcome open, but the daemon must settle it one
        # way: what it shows once the disk works must survive a restart.
        d = self.start()
        self.create(d, "a", 1)
        self.create(d, "b", 3)
        self.ok(d, "POST", "/v1/sessions/a/keys", {"stream": "dropout", "n": 2})
        self.set_faults(FSYNC_EIO)
        self.unavailable(d, "DELETE", "/v1/sessions/b")
        self.unavailable(d, "POST", "/v1/sessions/a/reseed", {"streams": {"dropout": 77}})
        self.set_faults("")
        self.create(d, "c", 5)  # a good commit: the store works again

        def view():
            return {"b": d.get("/v1/sessions/b")[0],
                    "a.dropout.key": self.ok(d, "GET", "/v1/sessions/a")["rngs"]["dropout"]["key"]}
        seen = view()
        self.term(d)
        d = self.start(faults=False)
        self.assertEqual(view(), seen, "the restarted daemon disagrees with what the running one showed")
        self.term(d)

    def test_draws_on_a_failed_creation_are_never_reissued(self):
        # Clients that find a new session while its creation is still being
        # committed may draw from it. If that commit fails, their draws must
        # not be acknowledged for a session that is then withdrawn: the
        # retried creation would hand out the same keys again. The window is
        # short, so this tries up to 150 creations (at most ~8 s).
        d = self.start()
        deadline = time.time() + 8
        tried = hit = 0
        for it in range(150):
            if time.time() > deadline:
                break
            name = "race%d" % it
            seed = 5000 + 2 * it
            self.set_faults("fsync=EIO\ncount=1\n")  # only the creation's commit fails
            stop = threading.Event()
            acked, errors = [], []

            def drawer():
                conn = d.connection()
                try:
                    while not stop.is_set():
                        s, b, _ = d.request("POST", "/v1/sessions/%s/keys" % name, {"stream": "dropout"},
                                            conn=conn)
                        if s == 200:
                            acked.append(b)
                        elif s not in (404, 503):
                            errors.append((s, b))
                except CONNECTION_ERRORS as e:
                    errors.append(repr(e))
                finally:
                    conn.close()
            threads = [threading.Thread(target=drawer) for _ in range(2)]
            for t in threads:
                t.start()
            time.sleep(0.002)
            s, b, _ = d.request("POST", "/v1/sessions",
                                {"name": name, "rngs": {"dropout": seed}})
            time.sleep(0.005)
            stop.set()
            for t in threads:
                t.join(10)
            self.set_faults("")
            self.assertEqual(errors, [])
            self.assertIn(s, (201, 503), b)
            tried += 1
            if s == 201:
                # Acknowledged: it must exist.
                self.ok(d, "GET", "/v1/sessions/" + name)
            if not acked:
                continue
            hit += 1
            # Draws were acknowledged: whatever happened to the creation, no
            # key they got may be handed out again.
            status, _ = d.post("/v1/sessions", {"name": name, "rngs": {"dropout": seed}})
            self.assertIn(status, (201, 409))
            top = max(c for r in acked for c in r["counts"])
            r = self.ok(d, "POST", "/v1/sessions/%s/keys" % name, {"stream": "dropout", "n": top + 2})
            old = {tuple(k) for a in acked for k in a["keys"]}
            again = [(c, k) for c, k in zip(r["counts"], r["keys"]) if tuple(k) in old]
            self.assertEqual(again, [], "creation %s: %d, acknowledged draws %r, reissued %r"
                             % (name, s, [a["counts"] for a in acked], again))
            if hit >= 5:
                break
        sys.stderr.write("[%d creations tried, %d with draws acknowledged during the commit] " % (tried, hit))
        self.term(d)


class LeaseFaults(FaultCase):
    MODE = "lease"
    FLAGS = ("--lease-block", "4")

    def _fault_then_recover(self, fault):
        d = self.start()
        self.create(d, "pre", 1)
        acked = []
        self.set_faults(fault)
        for i in range(8):
            self.unavailable(d, "POST", "/v1/sessions",
                             {"name": "f%d" % i, "rngs": {"params": 100 + i}, "model": LINEAR_DROPOUT})
        self.assertEqual(d.get("/v2/health/ready")[0], 503)
        # Draws inside the durable reservation (4 counts) need no commit;
        # past it, every draw waits for one and fails.
        statuses = []
        for _ in range(12):
            s, b, _ = d.request("POST", "/v1/sessions/pre/keys", {"stream": "dropout"})
            statuses.append(s)
            if s == 200:
                acked += b["counts"]
            else:
                self.assertEqual((s, b["error"]["code"]), (503, "unavailable"))
        self.assertLessEqual(statuses.count(200), 4, statuses)
        self.assertEqual(statuses[-8:], [503] * 8, statuses)
        self.set_faults("")
        r = self.ok(d, "POST", "/v1/sessions/pre/keys", {"stream": "dropout", "n": 3})
        self.assertGreater(min(r["counts"]), max(acked, default=-1))
        acked += r["counts"]
        self.create(d, "f0", 100)
        self.assertEqual(d.get("/v2/health/ready")[0], 200)
        d.kill9()
        d = self.start(faults=False)
        pre = self.ok(d, "GET", "/v1/sessions/pre")["rngs"]["dropout"]
        self.assertGreater(pre["count"], max(acked))
        self.ok(d, "GET", "/v1/sessions/f0")
        self.term(d)

    def test_fsync_eio_answers_503_and_recovers(self):
        self._fault_then_recover(FSYNC_EIO)

    def test_disk_full_answers_503_and_recovers(self):
        self._fault_then_recover(DISK_FULL)


class Ledger:
    """Every acknowledged draw, from all client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {}        # (stream key, count) -> key
        self.draws = {}       # (session, stream) -> number of acknowledged draws
        self.unavailable = 0
        self.failures = []

    def add_keys(self, session, stream, skey, counts, keys):
        with self.lock:
            for c, k in zip(counts, keys):
                if k != fold_in(skey, c):
                    self.failures.append("%s.%s: key %r is not fold_in(%r, %d)" % (session, stream, k, skey, c))
                pair = (tuple(skey), c)
                if pair in self.keys:
                    self.failures.append("%s.%s: count %d issued twice" % (session, stream, c))
                self.keys[pair] = tuple(k)
            self.draws[(session, stream)] = self.draws.get((session, stream), 0) + len(counts)

    def add_forward(self, session):
        with self.lock:
            self.draws[(session, "dropout")] = self.draws.get((session, "dropout"), 0) + 1


class NoAcknowledgedLoss(FaultCase):
    """Clients draw concurrently while the disk fails and recovers; then
    kill -9 and a restart without faults: every acknowledged draw is covered."""
    OWN = ["own0", "own1", "own2", "own3"]
    SHARED = "shared"
    SCHEDULE = [("", 0.3), (FSYNC_EIO, 0.25), ("", 0.2), (DISK_FULL, 0.25), ("", 0.2),
                ("fsync=EIO\nafter=3\ncount=5\n", 0.3), ("", 0.25)]

    def _worker(self, d, session, own, ledger, stop, seed):
        rng = random.Random(seed)
        conn = d.connection()
        keys_of = {}  # stream -> current stream key (no reseeds here)
        try:
            sess = self.ok(d, "GET", "/v1/sessions/" + session)
            keys_of = {s: v["key"] for s, v in sess["rngs"].items()}
            while not stop.is_set():
                if own and rng.random() < 0.25:
                    s, b, _ = d.request("POST", "/v1/sessions/%s/forward" % session, {"x": [[1.0, 2.0]]},
                                        conn=conn)
                    if s == 200:
                        ledger.add_forward(session)
                else:
                    stream = rng.choice(["params", "dropout"])
                    s, b, _ = d.request("POST", "/v1/sessions/%s/keys" % session,
                                        {"stream": stream, "n": rng.randint(1, 3)}, conn=conn)
                    if s == 200:
                        ledger.add_keys(session, stream, keys_of[stream], b["counts"], b["keys"])
                if s == 503 and b["error"]["code"] == "unavailable":
                    with ledger.lock:
                        ledger.unavailable += 1
                elif s != 200:
                    with ledger.lock:
                        ledger.failures.append("%s: unexpected %d %r" % (session, s, b))
                    return
        except CONNECTION_ERRORS as e:
            if not stop.is_set():
                with ledger.lock:
                    ledger.failures.append("%s: %r while the daemon was up" % (session, e))
        except Exception as e:  # an assertion in this thread must fail the test
            with ledger.lock:
                ledger.failures.append("%s: %r" % (session, e))
        finally:
            conn.close()

    def _run(self, kill_during_fault):
        d = self.start()
        ledger = Ledger()
        initial = {}
        for i, name in enumerate(self.OWN + [self.SHARED]):
            s = self.create(d, name, 10 * i + 1)
            for stream, st in s["rngs"].items():
                initial[(name, stream)] = st["count"]
                for c in range(st["count"]):  # drawn by the model's construction
                    ledger.keys[(tuple(st["key"]), c)] = tuple(fold_in(st["key"], c))
        stop = threading.Event()
        workers = [(n, True) for n in self.OWN] + [(self.SHARED, False)] * 2
        threads = [threading.Thread(target=self._worker, args=(d, n, own, ledger, stop, i))
                   for i, (n, own) in enumerate(workers)]
        for t in threads:
            t.start()
        try:
            schedule = list(self.SCHEDULE)
            if kill_during_fault:
                schedule.append((FSYNC_EIO, 0.3))
            for body, secs in schedule:
                self.set_faults(body)
                time.sleep(secs)
            # kill -9 under load (and, if asked, with the disk still failing).
            stop.set()
            d.kill9()
        finally:
            stop.set()
            for t in threads:
                t.join(15)
        self.assertEqual(ledger.failures, [])
        self.assertGreater(ledger.unavailable, 0, "no request saw the fault: is the shim preloaded?")
        self.assertGreater(len(ledger.keys), 50, "too few acknowledged draws to prove anything")

        self.set_faults("")
        d = self.start(faults=False)
        self.assertEqual(d.get("/v2/health/ready")[0], 200)
        for name in self.OWN + [self.SHARED]:
            rngs = self.ok(d, "GET", "/v1/sessions/" + name)["rngs"]
            for stream, st in rngs.items():
                issued = [c for (k, c) in ledger.keys if k == tuple(st["key"])]
                top = max(issued, default=-1)
                self.assertGreater(st["count"], top,
                                   "%s.%s: stored count %d, but count %d was acknowledged"
                                   % (name, stream, st["count"], top))
                self.assertGreaterEqual(st["count"],
                                        initial[(name, stream)] + ledger.draws.get((name, stream), 0))
                r = self.ok(d, "POST", "/v1/sessions/%s/keys" % name, {"stream": stream, "n": 3})
                self.assertGreater(min(r["counts"]), top)
                self.assertFalse({tuple(k) for k in r["keys"]} & set(ledger.keys.values()),
                                 "%s.%s: a key was issued again" % (name, stream))
        self.term(d)


class StrictNoAcknowledgedLoss(NoAcknowledgedLoss):
    def test_kill9_after_the_faults(self):
        self._run(kill_during_fault=False)

    def test_kill9_while_fsync_fails(self):
        self._run(kill_during_fault=True)


class LeaseNoAcknowledgedLoss(NoAcknowledgedLoss):
    MODE = "lease"
    FLAGS = ("--lease-block", "8")

    def test_kill9_after_the_faults(self):
        self._run(kill_during_fault=False)

    def test_kill9_while_fsync_fails(self):
        self._run(kill_during_fault=True)


if __name__ == "__main__":
    if SKIP_REASON:
        print("test_faults: skipped: " + SKIP_REASON, file=sys.stderr)
    unittest.main()
