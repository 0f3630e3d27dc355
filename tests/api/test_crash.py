"""The crash test (docs/durability-tests.md): keyfoldd is killed with SIGKILL
at a random moment under a concurrent load, CRASH_CYCLES times (default 20)
on the same --data-dir, and after every restart the store must agree with
what the clients were told.

Six client threads each own a session (Linear(2,3) + Dropout(0.5), rngs
{"params": seed, "dropout": seed + 1}, created in the first cycle) and send
one request at a time on their own keep-alive connection: /keys (n in 1..4,
stream "params" or "dropout"), /forward (draws one dropout key) and, rarely,
a /reseed of the dropout stream to a fresh seed. Each thread keeps the
session's state as its acknowledged (2xx) responses define it, plus the at
most one request that was in flight at the kill (outcome unknown).

After each restart (within a few seconds, "recovered 6 sessions", ready):
- every session exists, with bit-identical model parameters;
- each stream's key is the last acknowledged reseed's (or creation's), or
  the in-flight reseed's;
- strict: each stream's count is exactly the acknowledged one, or that plus
  the in-flight request's draws; lease: at least the acknowledged one;
- and across all cycles no (stream key, count) is ever handed out twice in
  an acknowledged response (every /keys key is checked against
  fold_in(stream key, count); a forward's count is the thread's own count,
  which the next /keys response confirms).
The whole run is done for strict (CRASH_CYCLES cycles) and, shorter, for
lease; the final state must survive a clean SIGTERM restart as well.
scripts/crash.sh [CYCLES] runs a longer version.
"""
import http.client
import os
import random
import re
import shutil
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import Daemon, f32_bits, fold_in, key_of, mkdtemp  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "20"))
LEASE_CYCLES = max(3, CYCLES // 4)
THREADS = 6
# A killed daemon must be back (ready) within this many seconds.
RESTART_LIMIT = 5.0
MODEL = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                    {"type": "dropout", "rate": 0.5}]}
CONNECTION_ERRORS = (OSError, http.client.HTTPException)



def param_bits(params):
    return [{name: [f32_bits(float(x)) for x in t["data"]] for name, t in layer.items()}
            for layer in params["params"]]


class Ledger:
    """Every (stream key, count) handed out in an acknowledged response, over
    all cycles and sessions."""

    def __init__(self):
        self.lock = threading.Lock()
        self.issued = {}
        self.failures = []

    def issue(self, who, skey, count, key):
        with self.lock:
            pair = (tuple(skey), count)
            if pair in self.issued:
                self.failures.append("%s: count %d of stream key %r issued twice" % (who, count, skey))
            self.issued[pair] = tuple(key) if key else None

    def fail(self, msg):
        with self.lock:
            self.failures.append(msg)


class Client:
    """One thread's session, as its acknowledged responses define it."""

    def __init__(self, index, ledger):
        self.index = index
        self.name = "crash-%d" % index
        self.seed = 100 + 10 * index
        self.ledger = ledger
        self.rng = random.Random(1000 + index)
        self.next_seed = 1_000_000 + 100_000 * index
        self.streams = {}     # stream -> {"key": [hi, lo], "count": n}
        self.inflight = None  # the request sent and not answered, if any
        self.acked = 0
        self.applied_inflight = 0  # in-flight requests found applied after a restart
        self.params = None

    def spec(self):
        return {"name": self.name, "rngs": {"params": self.seed, "dropout": self.seed + 1},
                "model": MODEL}

    def adopt(self, rngs):
        self.streams = {s: {"key": list(v["key"]), "count": v["count"]} for s, v in rngs.items()}

    def next_request(self):
        r = self.rng.random()
        if r < 0.04:
            self.next_seed += 1
            return {"kind": "reseed", "stream": "dropout", "seed": self.next_seed, "n": 0,
                    "path": "/v1/sessions/%s/reseed" % self.name,
                    "body": {"streams": {"dropout": self.next_seed}}}
        if r < 0.4:
            return {"kind": "forward", "stream": "dropout", "n": 1,
                    "path": "/v1/sessions/%s/forward" % self.name, "body": {"x": [[1.0, 2.0]]}}
        stream = self.rng.choice(["params", "dropout"])
        n = self.rng.randint(1, 4)
        return {"kind": "keys", "stream": stream, "n": n,
                "path": "/v1/sessions/%s/keys" % self.name, "body": {"stream": stream, "n": n}}

    def acknowledge(self, req, body):
        """Applies a 2xx response to the model; checks what it can."""
        st = self.streams[req["stream"]]
        who = "%s %s" % (self.name, req["kind"])
        if req["kind"] == "keys":
            want = list(range(st["count"], st["count"] + req["n"]))
            if body["counts"] != want:
                self.ledger.fail("%s: counts %r, expected %r" % (who, body["counts"], want))
            for c, k in zip(body["counts"], body["keys"]):
                if k != fold_in(st["key"], c):
                    self.ledger.fail("%s: key %r is not fold_in(%r, %d)" % (who, k, st["key"], c))
                self.ledger.issue(who, st["key"], c, k)
            st["count"] = body["counts"][-1] + 1
        elif req["kind"] == "forward":
            if body["y"]["shape"] != [1, 3]:
                self.ledger.fail("%s: y %r" % (who, body["y"]))
            self.ledger.issue(who, st["key"], st["count"], None)
            st["count"] += 1
        else:
            want = {"key": key_of(req["seed"]), "count": 0}
            if body["rngs"]["dropout"] != want or body["rngs"]["params"] != self.streams["params"]:
                self.ledger.fail("%s: reseed answered %r" % (who, body["rngs"]))
            st["key"], st["count"] = want["key"], 0
        self.acked += 1

    def run(self, d, killed):
        conn = http.client.HTTPConnection(d.host, d.port, timeout=10)
        try:
            while not killed.is_set():
                req = self.next_request()
                self.inflight = req
                try:
                    s, b, _ = d.request("POST", req["path"], body=req["body"], conn=conn)
                except CONNECTION_ERRORS as e:
                    if not killed.is_set():
                        self.ledger.fail("%s: %r while the daemon was up" % (self.name, e))
                    return  # the request stays in flight: outcome unknown
                if not 200 <= s < 300:
                    self.ledger.fail("%s: %s -> %d %r" % (self.name, req["path"], s, b))
                    self.inflight = None
                    return
                self.acknowledge(req, b)
                self.inflight = None
        except Exception as e:  # a bug in this thread must fail the test
            self.ledger.fail("%s: %r" % (self.name, e))
        finally:
            conn.close()

    def check_recovered(self, rngs, mode):
        """Compares the restarted daemon's state with the model; returns the
        failures and adopts the daemon's state (resolving the in-flight
        request's unknown outcome)."""
        failures = []
        req = self.inflight
        for stream, st in self.streams.items():
            got = rngs.get(stream)
            options = [(st["key"], st["count"])]
            if req and req["stream"] == stream:
                if req["kind"] == "reseed":
                    options.append((key_of(req["seed"]), 0))
                else:
                    options.append((st["key"], st["count"] + req["n"]))
            if got is None:
                failures.append("%s.%s is gone" % (self.name, stream))
            elif mode == "strict":
                if (got["key"], got["count"]) not in options:
                    failures.append("%s.%s recovered as %r; acknowledged (key, count) %r, in flight %r"
                                    % (self.name, stream, got, options[0], req and req["kind"]))
            elif not any(got["key"] == k and got["count"] >= c for k, c in options):
                failures.append("%s.%s recovered as %r; acknowledged (key, count) %r, in flight %r"
                                % (self.name, stream, got, options[0], req and req["kind"]))
        if mode == "strict" and req and (got_key_count := rngs.get(req["stream"])) is not None:
            st = self.streams[req["stream"]]
            if (got_key_count["key"], got_key_count["count"]) != (st["key"], st["count"]):
                self.applied_inflight += 1
        self.inflight = None
        self.adopt(rngs)
        return failures


class CrashTest(unittest.TestCase):
    def _start(self, data, mode, flags):
        t0 = time.time()
        d = Daemon.start("--data-dir", data, "--durability", mode, *flags, timeout=RESTART_LIMIT + 5)
        self._daemons.append(d)
        took = time.time() - t0
        self.assertLess(took, RESTART_LIMIT, "keyfoldd took %.1f s to be ready" % took)
        return d, took

    def _recovered(self, d):
        deadline = time.time() + 5
        while time.time() < deadline:
            for line in list(d.stderr_lines):
                m = re.search(r"recovered (\d+) sessions", line)
                if m:
                    return int(m.group(1))
            time.sleep(0.01)
        return None

    def _verify(self, d, clients, mode, ledger):
        self.assertEqual(self._recovered(d), THREADS)
        self.assertEqual(d.get("/v2/health/ready")[0], 200)
        failures = []
        for c in clients:
            s, sess = d.get("/v1/sessions/" + c.name)
            self.assertEqual(s, 200, "session %s lost: %r" % (c.name, sess))
            s, params = d.get("/v1/sessions/%s/params" % c.name)
            self.assertEqual(s, 200)
            if param_bits(params) != c.params:
                failures.append("%s: model parameters changed" % c.name)
            failures += c.check_recovered(sess["rngs"], mode)
        self.assertEqual(failures, [])
        self.assertEqual(ledger.failures, [])

    def _run(self, mode, cycles, *flags):
        data = mkdtemp("keyfold-crash-")
        self.addCleanup(shutil.rmtree, data, ignore_errors=True)
        self._daemons = []
        self.addCleanup(lambda: [d.kill9() for d in self._daemons if d.proc.poll() is None])
        rng = random.Random(4242)
        ledger = Ledger()
        clients = [Client(i, ledger) for i in range(THREADS)]
        d, _ = self._start(data, mode, flags)
        for c in clients:
            s, b = d.post("/v1/sessions", c.spec())
            self.assertEqual(s, 201, b)
            c.adopt(b["rngs"])
            for count in range(b["rngs"]["params"]["count"]):  # the model's construction
                ledger.issue(c.name + " create", b["rngs"]["params"]["key"], count, None)
            s, params = d.get("/v1/sessions/%s/params" % c.name)
            c.params = param_bits(params)
        unknown, slowest = 0, 0.0
        for cycle in range(cycles):
            killed = threading.Event()
            threads = [threading.Thread(target=c.run, args=(d, killed)) for c in clients]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 1.0))
            killed.set()
            d.kill9()
            for t in threads:
                t.join(15)
                self.assertFalse(t.is_alive(), "a client thread hung after the kill")
            self.assertEqual(ledger.failures, [], "cycle %d" % cycle)
            unknown += sum(1 for c in clients if c.inflight)
            d, took = self._start(data, mode, flags)
            slowest = max(slowest, took)
            try:
                self._verify(d, clients, mode, ledger)
            except AssertionError as e:
                raise AssertionError("after the kill of cycle %d of %d: %s" % (cycle + 1, cycles, e)) from None
        acked = sum(c.acked for c in clients)
        self.assertGreater(acked, 100 * cycles // 10, "the load hardly ran")

        # The final state survives a clean restart exactly (strict) or
        # without going back (lease), and the streams go on.
        before = {c.name: d.get("/v1/sessions/" + c.name)[1]["rngs"] for c in clients}
        rc = d.stop()
        self.assertEqual(rc, 0)
        d, _ = self._start(data, mode, flags)
        self.assertEqual(self._recovered(d), THREADS)
        for c in clients:
            now = d.get("/v1/sessions/" + c.name)[1]["rngs"]
            for stream, st in before[c.name].items():
                self.assertEqual(now[stream]["key"], st["key"])
                if mode == "strict":
                    self.assertEqual(now[stream]["count"], st["count"])
                else:
                    self.assertGreaterEqual(now[stream]["count"], st["count"])
            c.adopt(now)
            for stream in ("params", "dropout"):
                req = {"kind": "keys", "stream": stream, "n": 2}
                s, b = d.post("/v1/sessions/%s/keys" % c.name, {"stream": stream, "n": 2})
                self.assertEqual(s, 200, b)
                c.acknowledge(req, b)
        self.assertEqual(ledger.failures, [])
        self.assertEqual(d.stop(), 0)
        sys.stderr.write("[%s: %d cycles, %d acknowledged requests, %d keys and forwards issued, "
                         "%d in flight at kills (strict: %d found applied), slowest restart %.2f s] "
                         % (mode, cycles, acked, len(ledger.issued), unknown,
                            sum(c.applied_inflight for c in clients), slowest))

    def test_strict_kill9_under_load(self):
        self._run("strict", CYCLES)

    def test_lease_kill9_under_load(self):
        self._run("lease", LEASE_CYCLES, "--lease-block", "16")


if __name__ == "__main__":
    unittest.main()
