"""The daemon's limits, each on its own daemon with a small value:
--max-body (413 for a declared Content-Length and for a chunked body),
--max-elements (413 for a shape, n, num or x over it, and for a model's
parameter or a forward output over it) and --max-sessions (429)."""
import http.client
import json
import os
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase  # noqa: E402

JSON = {"Content-Type": "application/json"}


class LimitTestBase(DaemonTestCase):
    def assert_error(self, s, b, status, code, label=""):
        self.assertEqual(s, status, "%s -> %s %r" % (label, s, b))
        self.assertIsInstance(b, dict, label)
        self.assertEqual(set(b), {"error"}, label)
        self.assertEqual(set(b["error"]), {"code", "message"}, label)
        self.assertEqual(b["error"]["code"], code, label)
        self.assertTrue(b["error"]["message"], label)

    def ok(self, path, body, status=200):
        s, b = self.d.post(path, body)
        self.assertEqual(s, status, "%s %r -> %s %r" % (path, body, s, b))
        return b

    def too_large(self, path, body, label=None):
        s, b = self.d.post(path, body)
        self.assert_error(s, b, 413, "payload_too_large", label or "%s %r" % (path, body))

    def counts(self, name):
        s, b = self.d.get("/v1/sessions/" + name)
        self.assertEqual(s, 200, b)
        return {k: v["count"] for k, v in b["rngs"].items()}


def padded(obj, size):
    """obj as JSON text padded with spaces to exactly `size` bytes."""
    text = json.dumps(obj).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


class BodyLimitTest(LimitTestBase):
    FLAGS = ("--max-body", "2048")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s, b = cls.d.post("/v1/sessions", {"name": "body", "rngs": {"default": 1}})
        assert s == 201, (s, b)

    def send_chunked(self, path, chunks):
        c = http.client.HTTPConnection(self.d.host, self.d.port, timeout=30)
        try:
            c.request("POST", path, body=iter(chunks), encode_chunked=True,
                      headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
            r = c.getresponse()
            payload = r.read()
            return r.status, (json.loads(payload) if payload else None)
        finally:
            c.close()

    def test_content_length_at_the_limit_is_accepted(self):
        s, b, _ = self.d.request("POST", "/v1/sessions/body/keys", raw=padded({"n": 2}, 2048), headers=JSON)
        self.assertEqual(s, 200, b)
        self.assertEqual(len(b["keys"]), 2)

    def test_content_length_over_the_limit_is_413(self):
        before = self.counts("body")
        for size in [2049, 4096, 100000]:
            with self.subTest(size=size):
                s, b, _ = self.d.request("POST", "/v1/sessions/body/keys", raw=padded({"n": 1}, size),
                                         headers=JSON)
                self.assert_error(s, b, 413, "payload_too_large", "Content-Length %d" % size)
        self.assertEqual(self.counts("body"), before)
        self.assertTrue(self.d.alive())
        # the same on every body-taking route
        for path in ["/v1/sessions", "/v1/random/key", "/v1/init/zeros", "/v1/sessions/body/forward"]:
            with self.subTest(path=path):
                s, b, _ = self.d.request("POST", path, raw=padded({}, 3000), headers=JSON)
                self.assert_error(s, b, 413, "payload_too_large", path)

    def test_chunked_at_the_limit_is_accepted(self):
        body = padded({"n": 3}, 2048)
        s, b = self.send_chunked("/v1/sessions/body/keys", [body[i:i + 500] for i in range(0, 2048, 500)])
        self.assertEqual(s, 200, b)
        self.assertEqual(len(b["keys"]), 3)

    def test_chunked_over_the_limit_is_413(self):
        before = self.counts("body")
        for size in [2049, 10000, 200000]:
            with self.subTest(size=size):
                body = padded({"n": 1}, size)
                s, b = self.send_chunked("/v1/sessions/body/keys",
                                         [body[i:i + 700] for i in range(0, size, 700)])
                self.assert_error(s, b, 413, "payload_too_large", "chunked %d" % size)
        self.assertEqual(self.counts("body"), before)
        self.assertTrue(self.d.alive())

    def test_big_response_is_not_limited(self):
        # --max-body limits requests only: a 2048-key response is far larger
        b = self.ok("/v1/sessions/body/keys", {"n": 2048})
        self.assertEqual(len(b["keys"]), 2048)


class ElementLimitTest(LimitTestBase):
    FLAGS = ("--max-elements", "1000")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, model in [("narrow", {"layers": [{"type": "linear", "in_features": 1, "out_features": 1}]}),
                            ("wide", {"layers": [{"type": "linear", "in_features": 1, "out_features": 10}]})]:
            s, b = cls.d.post("/v1/sessions", {"name": name, "rngs": {"default": 0}, "model": model})
            assert s == 201, (s, b)

    def test_random_shapes(self):
        key = [0, 1]
        extra = {"truncated_normal": {"lower": -1, "upper": 1}, "randint": {"minval": 0, "maxval": 5}}
        for op in ["bits", "uniform", "normal", "truncated_normal", "bernoulli", "randint"]:
            with self.subTest(op=op):
                body = {"key": key, "shape": [1000]}
                body.update(extra.get(op, {}))
                self.assertEqual(len(self.ok("/v1/random/" + op, body)["data"]), 1000)
                for shape in [[1001], [10, 101], [4, 4, 4, 4, 4]]:
                    body["shape"] = shape
                    self.too_large("/v1/random/" + op, body)
        self.assertEqual(len(self.ok("/v1/random/bits", {"key": key, "shape": [10, 100], "bit_width": 64})
                             ["data"]), 1000)
        self.assertEqual(len(self.ok("/v1/random/permutation", {"key": key, "n": 1000})["data"]), 1000)
        self.too_large("/v1/random/permutation", {"key": key, "n": 1001})
        self.assertEqual(len(self.ok("/v1/random/split", {"key": key, "num": 1000})["keys"]), 1000)
        self.too_large("/v1/random/split", {"key": key, "num": 1001})
        self.too_large("/v1/random/split", {"key": key, "num": [40, 26]})

    def test_init_shapes(self):
        self.assertEqual(len(self.ok("/v1/init/lecun_normal", {"key": [0, 1], "shape": [40, 25]})["data"]),
                         1000)
        self.too_large("/v1/init/lecun_normal", {"key": [0, 1], "shape": [40, 26]})
        self.too_large("/v1/init/zeros", {"key": [0, 1], "shape": [1001]})

    def test_session_keys_and_sample(self):
        self.ok("/v1/sessions", {"name": "elems", "rngs": {"default": 0}}, status=201)
        self.assertEqual(len(self.ok("/v1/sessions/elems/keys", {"n": 1000})["keys"]), 1000)
        self.too_large("/v1/sessions/elems/keys", {"n": 1001})
        self.assertEqual(self.counts("elems"), {"default": 1000})
        self.assertEqual(len(self.ok("/v1/sessions/elems/sample",
                                     {"distribution": "uniform", "shape": [1000]})["data"]), 1000)
        self.too_large("/v1/sessions/elems/sample", {"distribution": "uniform", "shape": [1001]})
        self.too_large("/v1/sessions/elems/sample", {"distribution": "bits", "shape": [50, 50]})
        self.assertEqual(self.counts("elems"), {"default": 1001})

    def test_model_parameters(self):
        def model(i, o, **kw):
            layer = {"type": "linear", "in_features": i, "out_features": o}
            layer.update(kw)
            return {"name": "model-%d-%d" % (i, o), "rngs": {"default": 0}, "model": {"layers": [layer]}}
        self.ok("/v1/sessions", model(40, 25), status=201)
        self.too_large("/v1/sessions", model(40, 26))
        self.too_large("/v1/sessions", model(1, 1001))  # the bias alone is over
        self.too_large("/v1/sessions", {"name": "embed-big", "rngs": {"default": 0}, "model": {
            "layers": [{"type": "embed", "num_embeddings": 101, "features": 10}]}})
        s, b = self.d.get("/v1/sessions")
        self.assertEqual(sorted(b["sessions"]), sorted(set(b["sessions"])))
        for name in ["model-40-26", "model-1-1001", "embed-big"]:
            self.assertNotIn(name, b["sessions"])

    def test_forward_input_and_output(self):
        before = self.counts("narrow")
        x = [[1.0]] * 1000
        self.assertEqual(self.ok("/v1/sessions/narrow/forward", {"x": x})["y"]["shape"], [1000, 1])
        self.too_large("/v1/sessions/narrow/forward", {"x": [[1.0]] * 1001})
        self.too_large("/v1/sessions/narrow/forward", {"x": [0] * 1001})
        self.too_large("/v1/sessions/narrow/forward",
                       {"x": {"shape": [1001, 1], "dtype": "float32", "data": [0.0] * 1001}})
        self.too_large("/v1/sessions/narrow/forward",
                       {"x": {"shape": [2 ** 40, 1], "dtype": "float32", "data": []}})
        # 100 inputs, 1000 outputs: fine; 101 inputs make 1010 outputs: 413
        self.assertEqual(self.ok("/v1/sessions/wide/forward", {"x": [[1.0]] * 100})["y"]["shape"], [100, 10])
        self.too_large("/v1/sessions/wide/forward", {"x": [[1.0]] * 101})
        self.assertEqual(self.counts("narrow"), before)
        self.assertTrue(self.d.alive())


class SessionLimitTest(LimitTestBase):
    FLAGS = ("--max-sessions", "3")

    def test_max_sessions(self):
        for i in range(3):
            self.ok("/v1/sessions", {"name": "s%d" % i, "rngs": {"default": i}}, status=201)
        for name in ["s3", "s4"]:
            s, b = self.d.post("/v1/sessions", {"name": name, "rngs": {"default": 0}})
            self.assert_error(s, b, 429, "resource_exhausted", name)
        s, b = self.d.get("/v1/sessions")
        self.assertEqual(sorted(b["sessions"]), ["s0", "s1", "s2"])
        # the sessions held still work
        self.assertEqual(self.ok("/v1/sessions/s0/keys", {})["counts"], [0])
        # a deletion frees a slot
        self.assertEqual(self.d.delete("/v1/sessions/s1"), (204, None))
        self.ok("/v1/sessions", {"name": "s3", "rngs": {"default": 3}}, status=201)
        s, b = self.d.post("/v1/sessions", {"name": "s5", "rngs": {"default": 0}})
        self.assert_error(s, b, 429, "resource_exhausted", "s5")
        s, b = self.d.get("/v1/sessions")
        self.assertEqual(sorted(b["sessions"]), ["s0", "s2", "s3"])
        s, text = self.d.get("/metrics")
        self.assertIn("\nkeyfold_sessions 3\n", "\n" + text)
        self.assertTrue(self.d.alive())


class SessionLimitRaceTest(LimitTestBase):
    FLAGS = ("--max-sessions", "3")

    def test_concurrent_creates_respect_the_limit(self):
        statuses = []
        lock = threading.Lock()
        barrier = threading.Barrier(10)

        def worker(i):
            barrier.wait()
            s, b = self.d.post("/v1/sessions", {"name": "r%d" % i, "rngs": {"default": i}})
            with lock:
                statuses.append(s if s == 201 else (s, b["error"]["code"]))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(sorted(statuses, key=str),
                         sorted([201] * 3 + [(429, "resource_exhausted")] * 7, key=str))
        s, b = self.d.get("/v1/sessions")
        self.assertEqual(len(b["sessions"]), 3)


class AllLimitsTogetherTest(LimitTestBase):
    FLAGS = ("--max-body", "2048", "--max-elements", "1000", "--max-sessions", "3")

    def test_together(self):
        for i in range(3):
            self.ok("/v1/sessions", {"name": "t%d" % i, "rngs": {"default": i}}, status=201)
        s, b = self.d.post("/v1/sessions", {"name": "t3"})
        self.assert_error(s, b, 429, "resource_exhausted", "t3")
        self.too_large("/v1/sessions/t0/keys", {"n": 1001})
        s, b, _ = self.d.request("POST", "/v1/sessions/t0/keys", raw=padded({}, 2049), headers=JSON)
        self.assert_error(s, b, 413, "payload_too_large", "body")
        self.assertEqual(self.counts("t0"), {"default": 0})


if __name__ == "__main__":
    unittest.main()
