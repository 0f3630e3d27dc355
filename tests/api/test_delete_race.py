"""Requests racing with a DELETE of their session, in strict and lease mode.

A request answers as its place in the session's order says: success if it
came before the delete (its effect goes with the session), 404 after —
never a 503 for a healthy store (which is what a draw that found the session
before the delete and took its lock after it used to get: its change was
recorded for a row that no longer existed).

Eight clients churn create / delete / keys / sample / reseed / forward /
params / infer / get on three names for a few seconds; every reply must be
one the contract allows for that request, and none may be a 503. Then the
daemon is stopped and started again on its store: every session must come
back exactly as the last replies left it (strict), or with the same keys
and counts at least as far (lease) — a change recorded for a deleted
session must never land on the row of the session recreated under its name.
"""
import os
import random
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import Daemon, StoreTestCase  # noqa: E402

NAMES = ["race-a", "race-b", "race-c"]
CLIENTS = 8
SECONDS = float(os.environ.get("KEYFOLD_RACE_SECONDS", "4"))
MODEL = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                    {"type": "dropout", "rate": 0.5}]}

# What each request may answer; anything else (a 503 above all) is a bug.
ALLOWED = {
    "create": {201, 409},
    "delete": {204, 404},
    "keys": {200, 404},
    "sample": {200, 404},
    "reseed": {200, 404},
    "forward": {200, 404},
    "params": {200, 404},
    "infer": {200, 404},
    "get": {200, 404},
}


def churn_request(d, conn, rng):
    name = rng.choice(NAMES)
    op = rng.choice(list(ALLOWED))
    if op == "create":
        body = {"name": name, "model": MODEL,
                "rngs": {"params": 0, "dropout": rng.randrange(1 << 20), "default": rng.randrange(1 << 20)}}
        s, b, _ = d.request("POST", "/v1/sessions", body=body, conn=conn)
    elif op == "delete":
        s, b, _ = d.request("DELETE", "/v1/sessions/" + name, conn=conn)
    elif op == "keys":
        s, b, _ = d.request("POST", "/v1/sessions/%s/keys" % name,
                            body={"stream": rng.choice(["default", "dropout"]), "n": rng.randint(1, 3)}, conn=conn)
    elif op == "sample":
        s, b, _ = d.request("POST", "/v1/sessions/%s/sample" % name,
                            body={"distribution": "normal", "shape": [2]}, conn=conn)
    elif op == "reseed":
        s, b, _ = d.request("POST", "/v1/sessions/%s/reseed" % name,
                            body={"streams": {"dropout": rng.randrange(1 << 20)}}, conn=conn)
    elif op == "forward":
        s, b, _ = d.request("POST", "/v1/sessions/%s/forward" % name, body={"x": [[1.0, 2.0]]}, conn=conn)
    elif op == "params":
        s, b, _ = d.request("GET", "/v1/sessions/%s/params" % name, conn=conn)
    elif op == "infer":
        body = {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1.0, 2.0]}]}
        s, b, _ = d.request("POST", "/v2/models/%s/infer" % name, body=body, conn=conn)
    else:
        s, b, _ = d.request("GET", "/v1/sessions/" + name, conn=conn)
    return op, s, b


class DeleteRaceTest(StoreTestCase):
    def churn(self, durability):
        d = Daemon.start("--durability", durability, "--data-dir", self.data)
        self._daemons.append(d)
        bad, counts = [], {}
        lock = threading.Lock()
        deadline = time.time() + SECONDS

        def client(seed):
            rng = random.Random(seed)
            conn = d.connection()
            try:
                while time.time() < deadline:
                    op, s, b = churn_request(d, conn, rng)
                    with lock:
                        counts[s] = counts.get(s, 0) + 1
                        if s not in ALLOWED[op]:
                            bad.append((op, s, b))
            except Exception as e:  # noqa: BLE001
                with lock:
                    bad.append(("exception", repr(e)))
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(1000 * i + len(durability),)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 60)
        self.assertEqual(bad[:5], [], "replies the contract does not allow (of %d requests: %r)"
                         % (sum(counts.values()), counts))
        self.assertGreater(counts.get(200, 0), 100, counts)
        self.assertGreater(counts.get(204, 0), 10, counts)

        before = {}
        for name in NAMES:
            s, b = d.get("/v1/sessions/" + name)
            if s == 200:
                before[name] = b["rngs"]
        self.assertEqual(d.stop(), 0)

        again = Daemon.start("--durability", durability, "--data-dir", self.data)
        self._daemons.append(again)
        for name in NAMES:
            s, b = again.get("/v1/sessions/" + name)
            if name not in before:
                self.assertEqual(s, 404, (name, b))
                continue
            self.assertEqual(s, 200, (name, b))
            for stream, state in before[name].items():
                got = b["rngs"][stream]
                self.assertEqual(got["key"], state["key"], (name, stream))
                if durability == "strict":
                    self.assertEqual(got["count"], state["count"], (name, stream))
                else:
                    self.assertGreaterEqual(got["count"], state["count"], (name, stream))
        self.assertEqual(again.stop(), 0)

    def test_strict(self):
        self.churn("strict")

    def test_lease(self):
        self.churn("lease")


if __name__ == "__main__":
    unittest.main()
