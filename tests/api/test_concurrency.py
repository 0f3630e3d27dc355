"""Concurrent requests on one session (spec/api.md: "concurrent requests on
one session behave as if run one after another in some order"; "no key is
ever issued twice").

1. 16 threads, each with its own keep-alive connection, draw 1,000 keys each
   (n = 1 per request) from one stream: the counts are exactly 0..15,999,
   the keys all distinct, and a sample of them equals fold_in(stream key,
   count) computed by a pure-Python threefry2x32.
2. Forwards, key draws, samples and reseeds on one session at once. Every
   reseed gives the stream a new seed, so each key identifies the epoch it
   was drawn in; each forward's dropout mask identifies its (epoch, count)
   too. Linearizability then means: within every epoch the counts used are
   exactly 0..m-1, each once, and the final state is the last reseed's key
   with the last epoch's count.
"""
import os
import random
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase, f32, f32_bits, fold_in, key_of, threefry2x32  # noqa: E402



def dropout_mask(key, n):
    """bernoulli(key, p=0.5, (n,)), partitionable: u < 0.5 exactly when the
    top bit of element j's 32-bit draw y0 ^ y1 is 0."""
    out = []
    for j in range(n):
        y0, y1 = threefry2x32(key[0], key[1], 0, j)
        out.append(((y0 ^ y1) >> 31) == 0)
    return tuple(out)


class ThreadErrors:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []

    def add(self, what):
        with self.lock:
            self.items.append(what)


class ConcurrencyTest(DaemonTestCase):
    def run_threads(self, targets, timeout=120):
        threads = [threading.Thread(target=t) for t in targets]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout)
            self.assertFalse(t.is_alive(), "a client thread hung")

    # -------------------------------------------------------------- draws
    def test_16_threads_draw_16000_keys(self):
        seed, threads, per_thread = 12345, 16, 1000
        s, b = self.d.post("/v1/sessions", {"name": "conc", "rngs": {"default": 0, "draws": seed}})
        self.assertEqual(s, 201, b)
        results = [[] for _ in range(threads)]
        errors = ThreadErrors()
        barrier = threading.Barrier(threads)

        def worker(i):
            c = self.d.connection()
            try:
                barrier.wait()
                for _ in range(per_thread):
                    s, b, _ = self.d.request("POST", "/v1/sessions/conc/keys",
                                             body={"stream": "draws", "n": 1}, conn=c)
                    if s != 200:
                        errors.add((s, b))
                        return
                    if b["stream"] != "draws" or b["source"] != "draws" or len(b["counts"]) != 1:
                        errors.add(b)
                        return
                    results[i].append((b["counts"][0], tuple(b["keys"][0])))
            except Exception as e:  # noqa: BLE001 - reported below
                errors.add(repr(e))
            finally:
                c.close()

        t0 = time.time()
        self.run_threads([lambda i=i: worker(i) for i in range(threads)])
        elapsed = time.time() - t0
        self.assertEqual(errors.items, [])
        draws = [r for rs in results for r in rs]
        self.assertEqual(len(draws), threads * per_thread)
        counts = sorted(c for c, _ in draws)
        self.assertEqual(counts, list(range(threads * per_thread)), "counts are not exactly 0..15999")
        self.assertEqual(len({k for _, k in draws}), threads * per_thread, "a key was issued twice")
        # each thread saw its own counts in increasing order (one connection,
        # one request at a time)
        for rs in results:
            cs = [c for c, _ in rs]
            self.assertEqual(cs, sorted(cs))
        # keys are fold_in(key(seed), count): check a deterministic sample
        # (the first and last counts included)
        by_count = dict(draws)
        sample = sorted(random.Random(7).sample(range(threads * per_thread), 198) + [0, 15999])
        for c in sample:
            self.assertEqual(list(by_count[c]), fold_in(key_of(seed), c), "count %d" % c)
        s, b = self.d.get("/v1/sessions/conc")
        self.assertEqual(b["rngs"]["draws"], {"key": [0, seed], "count": threads * per_thread})
        self.assertEqual(b["rngs"]["default"], {"key": [0, 0], "count": 0})
        self.assertTrue(self.d.alive())
        # not a limit of the contract, a guard on the suite's runtime
        self.assertLess(elapsed, 90, "16,000 draws took %.1f s" % elapsed)

    # -------------------------------------------------------------- races
    def test_create_race_on_one_name(self):
        threads, statuses = 8, []
        barrier = threading.Barrier(threads)
        lock = threading.Lock()

        def worker(i):
            barrier.wait()
            s, b = self.d.post("/v1/sessions", {"name": "race", "rngs": {"default": i}})
            with lock:
                statuses.append((s, b if s == 201 else b["error"]["code"]))

        self.run_threads([lambda i=i: worker(i) for i in range(threads)])
        created = [b for s, b in statuses if s == 201]
        self.assertEqual(len(created), 1, statuses)
        self.assertEqual(sorted(s for s, _ in statuses), [201] + [409] * (threads - 1))
        self.assertTrue(all(b == "already_exists" for s, b in statuses if s == 409))
        # the winner's state is the one the daemon holds
        s, b = self.d.get("/v1/sessions/race")
        self.assertEqual(b["rngs"], created[0]["rngs"])

    def test_delete_while_drawing(self):
        s, b = self.d.post("/v1/sessions", {"name": "doomed", "rngs": {"default": 0}})
        self.assertEqual(s, 201, b)
        errors = ThreadErrors()
        seen = []
        lock = threading.Lock()
        barrier = threading.Barrier(5)

        def drawer():
            c = self.d.connection()
            try:
                barrier.wait()
                for _ in range(200):
                    s, b, _ = self.d.request("POST", "/v1/sessions/doomed/keys", body={"n": 1}, conn=c)
                    if s == 404 and b["error"]["code"] == "not_found":
                        return
                    if s != 200:
                        errors.add((s, b))
                        return
                    with lock:
                        seen.append(b["counts"][0])
            except Exception as e:  # noqa: BLE001
                errors.add(repr(e))
            finally:
                c.close()

        def deleter():
            barrier.wait()
            time.sleep(0.02)
            s, b = self.d.delete("/v1/sessions/doomed")
            if s != 204:
                errors.add(("delete", s, b))

        self.run_threads([drawer, drawer, drawer, drawer, deleter])
        self.assertEqual(errors.items, [])
        self.assertEqual(sorted(seen), list(range(len(seen))))
        self.assertEqual(self.d.get("/v1/sessions/doomed")[0], 404)
        self.assertTrue(self.d.alive())

    # -------------------------------------------------------------- mixed
    def test_mixed_forward_draw_sample_reseed(self):
        width = 64
        first_seed, reseeds = 2, [1000 + i for i in range(5)]
        seeds = [first_seed] + reseeds
        model = {"layers": [{"type": "linear", "in_features": 2, "out_features": width},
                            {"type": "dropout", "rate": 0.5}]}
        s, b = self.d.post("/v1/sessions", {"name": "mixed", "model": model,
                                            "rngs": {"default": 0, "params": 1, "dropout": first_seed}})
        self.assertEqual(s, 201, b)
        s, p = self.d.get("/v1/sessions/mixed/params")
        w = [f32(v) for v in p["params"][0]["kernel"]["data"]]
        sums = [f32(w[j] + w[width + j]) for j in range(width)]  # x = [[1, 1]], bias 0
        self.assertTrue(all(v != 0.0 for v in sums))

        errors = ThreadErrors()
        forwards, draws, reseed_replies = [], [], []
        lock = threading.Lock()
        start = threading.Barrier(2 + 2 + 1 + 1)

        def forward_worker():
            c = self.d.connection()
            try:
                start.wait()
                for _ in range(30):
                    s, b, _ = self.d.request("POST", "/v1/sessions/mixed/forward",
                                             body={"x": [[1.0, 1.0]]}, conn=c)
                    if s != 200:
                        errors.add(("forward", s, b))
                        return
                    with lock:
                        forwards.append(b["y"]["data"])
            except Exception as e:  # noqa: BLE001
                errors.add(repr(e))
            finally:
                c.close()

        def keys_worker():
            c = self.d.connection()
            try:
                start.wait()
                for _ in range(30):
                    s, b, _ = self.d.request("POST", "/v1/sessions/mixed/keys",
                                             body={"stream": "dropout", "n": 2}, conn=c)
                    if s != 200:
                        errors.add(("keys", s, b))
                        return
                    with lock:
                        draws.append(("keys", b["counts"], b["keys"]))
            except Exception as e:  # noqa: BLE001
                errors.add(repr(e))
            finally:
                c.close()

        def sample_worker():
            c = self.d.connection()
            try:
                start.wait()
                for _ in range(20):
                    s, b, _ = self.d.request("POST", "/v1/sessions/mixed/sample",
                                             body={"stream": "dropout", "distribution": "bits",
                                                   "shape": [1]}, conn=c)
                    if s != 200:
                        errors.add(("sample", s, b))
                        return
                    with lock:
                        draws.append(("sample", [b["count"]], [b["key"]]))
            except Exception as e:  # noqa: BLE001
                errors.add(repr(e))
            finally:
                c.close()

        planned = 2 * 30 + 2 * 30 + 20  # requests of the other workers
        finished = []

        def progress():
            with lock:
                return len(forwards) + len(draws)

        def reseed_worker():
            # spreads the reseeds over the run: reseed i once i/(R+1) of the
            # other requests are done (or they have all finished)
            c = self.d.connection()
            try:
                start.wait()
                for i, seed in enumerate(reseeds):
                    while progress() < planned * (i + 1) // (len(reseeds) + 1) and len(finished) < 5:
                        time.sleep(0.001)
                    s, b, _ = self.d.request("POST", "/v1/sessions/mixed/reseed",
                                             body={"streams": {"dropout": seed}}, conn=c)
                    if s != 200:
                        errors.add(("reseed", s, b))
                        return
                    reseed_replies.append(b["rngs"]["dropout"])
            except Exception as e:  # noqa: BLE001
                errors.add(repr(e))
            finally:
                c.close()

        def done(f):
            def run():
                try:
                    f()
                finally:
                    finished.append(f)
            return run

        self.run_threads([done(forward_worker), done(forward_worker), done(keys_worker),
                          done(keys_worker), done(sample_worker), reseed_worker])
        self.assertEqual(errors.items, [])
        self.assertTrue(self.d.alive())
        self.assertEqual(reseed_replies, [{"key": [0, s], "count": 0} for s in reseeds])

        # (epoch, count) of every draw
        used = {e: [] for e in range(len(seeds))}
        for kind, counts, keys in draws:
            self.assertEqual(counts, list(range(counts[0], counts[0] + len(counts))), kind)
            for c, k in zip(counts, keys):
                epochs = [e for e, sd in enumerate(seeds) if fold_in(key_of(sd), c) == k]
                self.assertEqual(len(epochs), 1, "%s key %r at count %d is from no epoch" % (kind, k, c))
                used[epochs[0]].append(c)
        # forwards: the values say which elements were kept ...
        masks = []
        for y in forwards:
            self.assertEqual(len(y), width)
            m = []
            for j, v in enumerate(y):
                if v == 0.0:
                    m.append(False)
                else:
                    self.assertEqual(f32_bits(v), f32_bits(f32(sums[j] * 2)), "kept value %d" % j)
                    m.append(True)
            masks.append(tuple(m))
        # ... and the mask which key drew it: search every epoch count by count
        total = len(forwards) + sum(len(c) for _, c, _ in draws)
        pending = {}
        for i, m in enumerate(masks):
            pending.setdefault(m, []).append(i)
        c = 0
        while pending and c < total:
            for e, sd in enumerate(seeds):
                m = dropout_mask(fold_in(key_of(sd), c), width)
                if m in pending:
                    for _ in pending.pop(m):
                        used[e].append(c)
            c += 1
        self.assertEqual(pending, {}, "forwards whose dropout mask matches no drawable key")
        # linearizability: every epoch used exactly the counts 0..m-1
        for e, cs in used.items():
            self.assertEqual(sorted(cs), list(range(len(cs))),
                             "epoch of seed %d: counts %r" % (seeds[e], sorted(cs)))
        self.assertEqual(sum(len(cs) for cs in used.values()), total)
        s, b = self.d.get("/v1/sessions/mixed")
        self.assertEqual(b["rngs"]["dropout"], {"key": [0, reseeds[-1]], "count": len(used[len(seeds) - 1])})
        self.assertEqual(b["rngs"]["params"], {"key": [0, 1], "count": 2})
        self.assertEqual(b["rngs"]["default"], {"key": [0, 0], "count": 0})


if __name__ == "__main__":
    unittest.main()
