"""POST /v1/sessions/{name}/fork: Flax's Rngs.fork() as a new session
(api.md, Version 1.1, "Fork").

The child's streams are forks of the parent's: child key = fold_in(parent
key, parent count), count 0, and the parent's count moves on by one, as if
the parent had handed that key out — which it then never does. Atomic and
durable like a creation, in every store mode; both sessions independent
afterwards.
"""
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import Daemon, DaemonTestCase, StoreTestCase, fold_in, key_of, sqlite_only  # noqa: E402

LINEAR = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3}]}


def streams_of(session):
    return {name: (s["key"], s["count"]) for name, s in session["rngs"].items()}


class ForkTest(DaemonTestCase):
    def create(self, name, rngs, **extra):
        s, b = self.d.post("/v1/sessions", dict(name=name, rngs=rngs, **extra))
        self.assertEqual(s, 201, b)
        return b

    def fork(self, parent, body):
        return self.d.post("/v1/sessions/%s/fork" % parent, body)

    def test_fork_every_stream(self):
        self.create("p-all", {"params": 0, "dropout": 42, "default": 7})
        self.assertEqual(self.d.post("/v1/sessions/p-all/keys", {"stream": "dropout", "n": 5})[0], 200)
        s, child = self.fork("p-all", {"name": "c-all"})
        self.assertEqual(s, 201, child)
        self.assertEqual(child["name"], "c-all")
        self.assertEqual(streams_of(child), {
            "params": (fold_in(key_of(0), 0), 0),
            "dropout": (fold_in(key_of(42), 5), 0),
            "default": (fold_in(key_of(7), 0), 0),
        })
        self.assertEqual(list(child["rngs"]), ["params", "dropout", "default"])  # the parent's order
        self.assertEqual(child["options"], {"threefry": "partitionable", "flax": "0.10"})
        parent = self.d.get("/v1/sessions/p-all")[1]
        self.assertEqual(streams_of(parent), {"params": (key_of(0), 1), "dropout": (key_of(42), 6),
                                              "default": (key_of(7), 1)})
        # The parent goes on past the count the fork took; the child from 0.
        s, b = self.d.post("/v1/sessions/p-all/keys", {"stream": "dropout"})
        self.assertEqual((b["counts"], b["keys"]), ([6], [fold_in(key_of(42), 6)]))
        s, b = self.d.post("/v1/sessions/c-all/keys", {"stream": "dropout", "n": 2})
        ck = fold_in(key_of(42), 5)
        self.assertEqual((b["counts"], b["keys"]), ([0, 1], [fold_in(ck, 0), fold_in(ck, 1)]))
        # Independent: deleting the parent leaves the child.
        self.assertEqual(self.d.delete("/v1/sessions/p-all")[0], 204)
        self.assertEqual(self.d.post("/v1/sessions/c-all/keys", {"stream": "params"})[0], 200)
        self.assertEqual(self.d.delete("/v1/sessions/c-all")[0], 204)

    def test_fork_some_streams_with_a_model_and_options(self):
        self.create("p-some", {"params": 3, "dropout": 4}, options={"threefry": "legacy"})
        s, child = self.fork("p-some", {"name": "c-some", "streams": ["params"], "model": LINEAR})
        self.assertEqual(s, 201, child)
        pk = fold_in(key_of(3), 0)
        # The model drew kernel and bias from the child's params stream.
        self.assertEqual(streams_of(child), {"params": (pk, 2)})
        self.assertEqual(child["options"]["threefry"], "legacy")  # the parent's, by default
        params = self.d.get("/v1/sessions/c-some/params")[1]["params"][0]["kernel"]["data"]
        s, kernel = self.d.post("/v1/init/lecun_normal",
                                {"key": fold_in(pk, 0), "shape": [2, 3], "threefry": "legacy"})
        self.assertEqual(params, kernel["data"])
        parent = self.d.get("/v1/sessions/p-some")[1]
        self.assertEqual(streams_of(parent), {"params": (key_of(3), 1), "dropout": (key_of(4), 0)})
        # Options given are the child's own.
        s, other = self.fork("p-some", {"name": "c-some2", "streams": ["dropout"],
                                        "options": {"threefry": "partitionable"}})
        self.assertEqual((s, other["options"]["threefry"]), (201, "partitionable"), other)
        for name in ("p-some", "c-some", "c-some2"):
            self.d.delete("/v1/sessions/" + name)

    def test_bad_forks_change_nothing(self):
        self.create("p-bad", {"default": 1, "params": 2})
        self.create("taken", {"default": 9})
        before = self.d.get("/v1/sessions/p-bad")[1]
        cases = [
            ({"name": "c", "streams": ["dropout"]}, 400, "no stream 'dropout'"),  # no fallback to default
            ({"name": "c", "streams": ["params", "params"]}, 400, "twice"),
            ({"name": "c", "streams": "params"}, 400, "list"),
            ({"name": "c", "streams": [3]}, 400, "stream name"),
            ({"name": "c", "streams": ["bad-name"]}, 400, "stream name"),
            ({"name": "-bad"}, 400, "must match"),
            ({"streams": ["params"]}, 400, "name"),
            ({"name": "c", "rngs": {"default": 1}}, 400, "rngs"),
            ({"name": "taken"}, 409, "already exists"),
            ({"name": "c2", "model": {"layers": []}}, 400, "layers"),
            ({"name": "c3", "options": {"threefry": "nope"}}, 400, "threefry"),
        ]
        for body, status, words in cases:
            s, b = self.fork("p-bad", body)
            self.assertEqual(s, status, (body, b))
            self.assertIn(words, b["error"]["message"], body)
            self.assertEqual(self.d.get("/v1/sessions/p-bad")[1], before, body)
            self.assertEqual(self.d.get("/v1/sessions/c")[0], 404, body)
        s, b = self.fork("missing", {"name": "c"})
        self.assertEqual((s, b["error"]["code"]), (404, "not_found"))
        # Inside the child, a model's draws fall back to its 'default' as Flax's do.
        s, b = self.fork("p-bad", {"name": "c", "model": LINEAR, "streams": ["default"]})
        self.assertEqual((s, b["rngs"]["default"]["count"]), (201, 2), b)
        self.d.delete("/v1/sessions/c")
        for name in ("p-bad", "taken"):
            self.d.delete("/v1/sessions/" + name)

    def test_fork_while_drawing(self):
        """Forks and draws on one parent at once: every count of the parent is
        used once, by a draw or by a fork, and no forked child's key is a key
        the parent handed out."""
        self.create("p-busy", {"default": 5})
        lock = threading.Lock()
        drawn, forked, errors = [], [], []

        def drawer():
            c = self.d.connection()
            try:
                for _ in range(150):
                    s, b, _ = self.d.request("POST", "/v1/sessions/p-busy/keys", body={"n": 2}, conn=c)
                    if s != 200:
                        errors.append(b)
                        return
                    with lock:
                        drawn.extend(zip(b["counts"], map(tuple, b["keys"])))
            finally:
                c.close()

        def forker(k):
            c = self.d.connection()
            try:
                for i in range(25):
                    s, b, _ = self.d.request("POST", "/v1/sessions/p-busy/fork",
                                             body={"name": "c-busy-%d-%d" % (k, i)}, conn=c)
                    if s != 201:
                        errors.append(b)
                        return
                    with lock:
                        forked.append(tuple(b["rngs"]["default"]["key"]))
            finally:
                c.close()

        threads = [threading.Thread(target=drawer) for _ in range(3)] + \
                  [threading.Thread(target=forker, args=(k,)) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        total = len(drawn) + len(forked)
        self.assertEqual(self.d.get("/v1/sessions/p-busy")[1]["rngs"]["default"]["count"], total)
        counts = sorted(c for c, _ in drawn)
        self.assertEqual(len(set(counts)), len(counts))
        drawn_keys = {k for _, k in drawn}
        self.assertEqual(len(set(forked)), len(forked))
        self.assertFalse(drawn_keys & set(forked))
        # Each child's key is the parent's key at one of the counts no draw used.
        unused = set(range(total)) - set(counts)
        self.assertEqual({tuple(fold_in(key_of(5), c)) for c in unused}, set(forked))
        for k in range(2):
            for i in range(25):
                self.d.delete("/v1/sessions/c-busy-%d-%d" % (k, i))
        self.d.delete("/v1/sessions/p-busy")


class ForkDurabilityTest(StoreTestCase):
    def check_restart(self, durability, crash):
        d = self.start("--durability", durability)
        self.assertEqual(d.post("/v1/sessions", {"name": "p", "rngs": {"default": 1, "dropout": 2}})[0], 201)
        self.assertEqual(d.post("/v1/sessions/p/keys", {"n": 3})[0], 200)
        s, child = d.post("/v1/sessions/p/fork", {"name": "c", "model": LINEAR})
        self.assertEqual(s, 201, child)
        self.assertEqual(d.post("/v1/sessions/c/keys", {"stream": "dropout"})[0], 200)
        parent = d.get("/v1/sessions/p")[1]
        child = d.get("/v1/sessions/c")[1]
        params = d.get("/v1/sessions/c/params")[1]
        if crash:
            d.kill9()
        else:
            self.assertEqual(d.stop(), 0)
        d = self.start("--durability", durability)
        p2, c2 = d.get("/v1/sessions/p")[1], d.get("/v1/sessions/c")[1]
        self.assertEqual(d.get("/v1/sessions/c/params")[1], params)
        for before, after in ((parent, p2), (child, c2)):
            for stream, state in before["rngs"].items():
                self.assertEqual(after["rngs"][stream]["key"], state["key"], stream)
                if durability == "strict":
                    self.assertEqual(after["rngs"][stream]["count"], state["count"], stream)
                else:
                    self.assertGreaterEqual(after["rngs"][stream]["count"], state["count"], stream)
        # The parent never hands out the key its fork took.
        s, b = d.post("/v1/sessions/p/keys", {"n": 1})
        self.assertNotEqual(b["keys"][0], child["rngs"]["default"]["key"])
        self.assertEqual(d.stop(), 0)

    def test_strict_restart(self):
        self.check_restart("strict", crash=False)

    def test_strict_kill9(self):
        self.check_restart("strict", crash=True)

    def test_lease_kill9(self):
        self.check_restart("lease", crash=True)

    @sqlite_only
    def test_fenced_parent_refuses(self):
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "p", "rngs": {"default": 1}})[0], 201)
        snap = d.post("/v1/admin/snapshot", {})[1]["path"]
        self.assertEqual(d.stop(), 0)
        self.restore_snapshot(snap)
        d = self.start()
        s, b = d.post("/v1/sessions/p/fork", {"name": "c"})
        self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"), b)
        self.assertEqual(d.get("/v1/sessions/c")[0], 404)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
