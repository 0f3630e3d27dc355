"""API tests of the session endpoints (spec/api.md "Sessions") and of the
operations endpoints (/v2/health/live, /v2/health/ready, /metrics).

POST/GET/DELETE /v1/sessions[/{name}], …/keys, …/sample, …/forward,
…/reseed and …/params, each checked against the stateless endpoints and a
pure-Python fold_in (so a key is right only if it is fold_in(stream key,
count))."""
import os
import re
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import M32, DaemonTestCase, f32, f32_bits, fold_in, key_of  # noqa: E402



LINEAR_DROPOUT = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                             {"type": "dropout", "rate": 0.5}]}


class SessionsTest(DaemonTestCase):
    # ------------------------------------------------------------ helpers
    def create(self, name, rngs=None, model=None, options=None):
        body = {"name": name}
        if rngs is not None:
            body["rngs"] = rngs
        if model is not None:
            body["model"] = model
        if options is not None:
            body["options"] = options
        s, b = self.d.post("/v1/sessions", body)
        self.assertEqual(s, 201, "create %r -> %s %r" % (body, s, b))
        self.assertEqual(b["name"], name)
        return b

    def ok(self, path, body=None, method="POST", status=200):
        if method == "POST":
            s, b = self.d.post(path, body)
        else:
            s, b, _ = self.d.request(method, path)
        self.assertEqual(s, status, "%s %s %r -> %s %r" % (method, path, body, s, b))
        return b

    def err(self, method, path, body, status, code):
        if method == "POST":
            s, b = self.d.post(path, body)
        else:
            s, b, _ = self.d.request(method, path)
        self.assertEqual(s, status, "%s %s %r -> %s %r" % (method, path, body, s, b))
        self.assertEqual(set(b), {"error"}, b)
        self.assertEqual(set(b["error"]), {"code", "message"}, b)
        self.assertEqual(b["error"]["code"], code, b)
        self.assertTrue(b["error"]["message"], b)
        return b

    def session(self, name):
        return self.ok("/v1/sessions/" + name, method="GET")

    def counts(self, name):
        return {k: v["count"] for k, v in self.session(name)["rngs"].items()}

    def assert_f32_equal(self, got, want, msg=None):
        self.assertEqual(len(got), len(want), msg)
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertEqual(f32_bits(g), f32_bits(w), "%s: element %d: %r != %r" % (msg, i, g, w))

    # ------------------------------------------------------------- create
    def test_create_returns_the_session(self):
        b = self.create("exp1", {"default": 0, "params": 1, "dropout": [0, 2]}, LINEAR_DROPOUT,
                        {"threefry": "partitionable"})
        self.assertEqual(b["rngs"], {"default": {"key": [0, 0], "count": 0},
                                     "params": {"key": [0, 1], "count": 2},
                                     "dropout": {"key": [0, 2], "count": 0}})
        self.assertEqual(b["model"]["layers"], [
            {"type": "linear", "in_features": 2, "out_features": 3, "use_bias": True,
             "kernel_init": "lecun_normal", "bias_init": "zeros"},
            {"type": "dropout", "rate": 0.5, "rng_collection": "dropout", "broadcast_dims": [],
             "deterministic": False}])
        self.assertEqual(b["model"]["params"], [
            {"kernel": {"shape": [2, 3], "dtype": "float32"},
             "bias": {"shape": [3], "dtype": "float32"}}, {}])
        self.assertEqual(b["options"]["threefry"], "partitionable")
        self.assertEqual(b["options"].get("flax", "0.10"), "0.10")
        # GET returns the same object
        self.assertEqual(self.session("exp1"), b)

    def test_create_without_model_or_options(self):
        b = self.create("bare", {"default": 7})
        self.assertEqual(b["rngs"], {"default": {"key": [0, 7], "count": 0}})
        self.assertIsNone(b.get("model"))
        self.assertEqual(b["options"]["threefry"], "partitionable")

    def test_seed_forms(self):
        b = self.create("seeds", {"a": -1, "b": 2 ** 63 - 1, "c": -2 ** 63, "d": [M32, M32],
                                  "e": 2 ** 32 + 5, "default": [1, 2]})
        self.assertEqual({k: v["key"] for k, v in b["rngs"].items()},
                         {"a": [0, M32], "b": [0, M32], "c": [0, 0], "d": [M32, M32], "e": [0, 5],
                          "default": [1, 2]})
        self.assertTrue(all(v["count"] == 0 for v in b["rngs"].values()))

    def test_legacy_option(self):
        b = self.create("legacy", {"params": 3}, {"layers": [
            {"type": "linear", "in_features": 3, "out_features": 2}]}, {"threefry": "legacy"})
        self.assertEqual(b["options"]["threefry"], "legacy")
        p = self.ok("/v1/sessions/legacy/params", method="GET")["params"]
        key = fold_in(key_of(3), 0)
        want = self.ok("/v1/init/lecun_normal", {"key": key, "shape": [3, 2], "threefry": "legacy"})
        self.assertEqual(p[0]["kernel"]["shape"], [3, 2])
        self.assert_f32_equal(p[0]["kernel"]["data"], want["data"], "legacy kernel")
        other = self.ok("/v1/init/lecun_normal", {"key": key, "shape": [3, 2]})
        self.assertNotEqual(p[0]["kernel"]["data"], other["data"])

    def test_duplicate_name_is_409_and_changes_nothing(self):
        first = self.create("dup", {"default": 1})
        self.ok("/v1/sessions/dup/keys", {"n": 2})
        before = self.session("dup")
        self.assertEqual(before["rngs"]["default"]["count"], 2)
        self.err("POST", "/v1/sessions", {"name": "dup", "rngs": {"default": 5}}, 409, "already_exists")
        self.err("POST", "/v1/sessions", {"name": "dup", "rngs": {"default": 1}, "model": LINEAR_DROPOUT},
                 409, "already_exists")
        self.assertEqual(self.session("dup"), before)
        self.assertEqual(first["rngs"]["default"]["key"], before["rngs"]["default"]["key"])

    def test_names(self):
        for name in ["a", "A.b_c-d", "0x", "x" * 128, "run-000001"]:
            with self.subTest(name=name):
                self.create(name, {"default": 0})
                self.assertEqual(self.session(name)["name"], name)

    # ------------------------------------------------------ list / delete
    def test_list_and_delete(self):
        self.create("list-a", {"default": 0})
        self.create("list-b", {"default": 0})
        names = self.ok("/v1/sessions", method="GET")["sessions"]
        self.assertIn("list-a", names)
        self.assertIn("list-b", names)
        self.assertEqual(len(names), len(set(names)))
        s, b, h = self.d.request("DELETE", "/v1/sessions/list-a")
        self.assertEqual(s, 204)
        self.assertIsNone(b)
        self.assertIn(h.get("content-length", "0"), ("0",))
        names = self.ok("/v1/sessions", method="GET")["sessions"]
        self.assertNotIn("list-a", names)
        self.assertIn("list-b", names)
        self.err("GET", "/v1/sessions/list-a", None, 404, "not_found")
        self.err("DELETE", "/v1/sessions/list-a", None, 404, "not_found")
        self.err("POST", "/v1/sessions/list-a/keys", {}, 404, "not_found")
        # the name can be used again, and the new session starts afresh
        b = self.create("list-a", {"default": 9})
        self.assertEqual(b["rngs"], {"default": {"key": [0, 9], "count": 0}})

    # --------------------------------------------------------------- keys
    def test_keys(self):
        self.create("keys", {"default": 100, "params": 42})
        b = self.ok("/v1/sessions/keys/keys", {"stream": "params", "n": 3})
        self.assertEqual(b, {"stream": "params", "source": "params", "counts": [0, 1, 2],
                             "keys": [fold_in(key_of(42), i) for i in range(3)]})
        # defaults: stream "default", n 1; an empty body is {}
        b = self.ok("/v1/sessions/keys/keys", {})
        self.assertEqual(b, {"stream": "default", "source": "default", "counts": [0],
                             "keys": [fold_in(key_of(100), 0)]})
        s, b, _ = self.d.request("POST", "/v1/sessions/keys/keys", raw=b"")
        self.assertEqual(s, 200, b)
        self.assertEqual(b["counts"], [1])
        # an unknown (valid) name falls back to default and shares its counter
        b = self.ok("/v1/sessions/keys/keys", {"stream": "dropout", "n": 2})
        self.assertEqual(b, {"stream": "dropout", "source": "default", "counts": [2, 3],
                             "keys": [fold_in(key_of(100), 2), fold_in(key_of(100), 3)]})
        self.assertEqual(self.counts("keys"), {"default": 4, "params": 3})
        # a big draw is one contiguous range
        b = self.ok("/v1/sessions/keys/keys", {"stream": "params", "n": 500})
        self.assertEqual(b["counts"], list(range(3, 503)))
        self.assertEqual(b["keys"][0], fold_in(key_of(42), 3))
        self.assertEqual(b["keys"][-1], fold_in(key_of(42), 502))
        self.assertEqual(len({tuple(k) for k in b["keys"]}), 500)

    def test_keys_without_default_stream(self):
        self.create("nodefault", {"params": 1})
        b = self.err("POST", "/v1/sessions/nodefault/keys", {"stream": "dropout"}, 404, "not_found")
        self.assertIn("No RNG named", b["error"]["message"])
        b = self.err("POST", "/v1/sessions/nodefault/keys", {}, 404, "not_found")
        self.assertIn("No RNG named", b["error"]["message"])
        self.assertEqual(self.counts("nodefault"), {"params": 0})

    # ------------------------------------------------------------- sample
    def test_sample_every_distribution(self):
        self.create("sample", {"default": 5, "noise": 6})
        cases = [
            ("bits", {"shape": [4]}, "bits"),
            ("bits", {"shape": [2], "bit_width": 64}, "bits"),
            ("uniform", {"shape": [2, 3], "minval": -2, "maxval": 3}, "uniform"),
            ("normal", {"shape": [5]}, "normal"),
            ("truncated_normal", {"shape": [5], "lower": -1, "upper": 1}, "truncated_normal"),
            ("bernoulli", {"shape": [8], "p": 0.3}, "bernoulli"),
            ("randint", {"shape": [6], "minval": -10, "maxval": 10}, "randint"),
        ]
        count = 0
        for dist, params, op in cases:
            with self.subTest(distribution=dist, params=params):
                body = {"stream": "noise", "distribution": dist}
                body.update(params)
                b = self.ok("/v1/sessions/sample/sample", body)
                self.assertEqual(b["count"], count)
                self.assertEqual(b["key"], fold_in(key_of(6), count))
                self.assertEqual(b["stream"], "noise")
                self.assertEqual(b["source"], "noise")
                ref = dict(params)
                ref["key"] = b["key"]
                want = self.ok("/v1/random/" + op, ref)
                self.assertEqual(b["shape"], want["shape"])
                self.assertEqual(b["dtype"], want["dtype"])
                self.assertEqual(b["data"], want["data"])
                count += 1
        self.assertEqual(self.counts("sample"), {"noise": count, "default": 0})

    def test_sample_fallback_and_defaults(self):
        self.create("sample2", {"default": 8})
        b = self.ok("/v1/sessions/sample2/sample", {"distribution": "uniform"})
        self.assertEqual((b["stream"], b["source"], b["count"]), ("default", "default", 0))
        self.assertEqual(b["shape"], [])
        self.assertEqual(b["key"], fold_in(key_of(8), 0))
        b = self.ok("/v1/sessions/sample2/sample", {"stream": "dropout", "distribution": "normal",
                                                    "shape": [2, 2]})
        self.assertEqual((b["stream"], b["source"], b["count"]), ("dropout", "default", 1))
        want = self.ok("/v1/random/normal", {"key": fold_in(key_of(8), 1), "shape": [2, 2]})
        self.assertEqual(b["data"], want["data"])
        self.assertEqual(self.counts("sample2"), {"default": 2})

    # ------------------------------------------------------------ forward
    def _kernel(self, name, layer=0):
        p = self.ok("/v1/sessions/%s/params" % name, method="GET")["params"]
        k = p[layer]["kernel"]
        return k["shape"], [f32(v) for v in k["data"]]

    def test_forward_deterministic_draws_nothing(self):
        self.create("fwd", {"default": 0, "params": 1, "dropout": 2}, LINEAR_DROPOUT)
        shape, w = self._kernel("fwd")
        self.assertEqual(shape, [2, 3])
        before = self.counts("fwd")
        b = self.ok("/v1/sessions/fwd/forward", {"x": [[1.0, 1.0]], "deterministic": True})
        self.assertEqual(set(b), {"y"})
        self.assertEqual(b["y"]["shape"], [1, 3])
        self.assertEqual(b["y"]["dtype"], "float32")
        self.assert_f32_equal(b["y"]["data"], [f32(w[j] + w[3 + j]) for j in range(3)], "x@W")
        self.assertEqual(self.counts("fwd"), before)
        # a batch of two rows, and the tensor-object form of x
        b = self.ok("/v1/sessions/fwd/forward",
                    {"x": {"shape": [2, 2], "dtype": "float32", "data": [1, 1, 2, -1]},
                     "deterministic": True})
        self.assertEqual(b["y"]["shape"], [2, 3])
        want = [f32(w[j] + w[3 + j]) for j in range(3)] + [f32(2 * w[j] - w[3 + j]) for j in range(3)]
        self.assert_f32_equal(b["y"]["data"], want, "batch")
        self.assertEqual(self.counts("fwd"), before)

    def test_forward_draws_one_dropout_key(self):
        self.create("fwd2", {"default": 0, "params": 1, "dropout": 2}, LINEAR_DROPOUT)
        _, w = self._kernel("fwd2")
        s = [f32(w[j] + w[3 + j]) for j in range(3)]
        for c in range(3):
            b = self.ok("/v1/sessions/fwd2/forward", {"x": [[1.0, 1.0]]})
            mask = self.ok("/v1/random/bernoulli", {"key": fold_in(key_of(2), c), "p": 0.5,
                                                    "shape": [1, 3]})["data"]
            self.assert_f32_equal(b["y"]["data"], [s[j] * 2 if mask[j] else 0.0 for j in range(3)],
                                  "forward %d" % c)
            self.assertEqual(self.counts("fwd2"), {"params": 2, "dropout": c + 1, "default": 0})
        # deterministic false in the body is the same as leaving it out
        self.ok("/v1/sessions/fwd2/forward", {"x": [[1.0, 1.0]], "deterministic": False})
        self.assertEqual(self.counts("fwd2")["dropout"], 4)

    def test_dropout_layer_flags(self):
        # a layer built deterministic draws nothing unless the call says otherwise
        model = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                            {"type": "dropout", "rate": 0.5, "deterministic": True}]}
        self.create("detlayer", {"default": 0}, model)
        self.ok("/v1/sessions/detlayer/forward", {"x": [[1.0, 1.0]]})
        self.assertEqual(self.counts("detlayer"), {"default": 2})
        self.ok("/v1/sessions/detlayer/forward", {"x": [[1.0, 1.0]], "deterministic": False})
        self.assertEqual(self.counts("detlayer"), {"default": 3})
        # rate 0 returns the input and rate 1 zeros, neither drawing a key
        for rate, name in [(0.0, "rate0"), (1.0, "rate1")]:
            model = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                                {"type": "dropout", "rate": rate}]}
            self.create(name, {"default": 0}, model)
            _, w = self._kernel(name)
            b = self.ok("/v1/sessions/%s/forward" % name, {"x": [[1.0, 1.0]]})
            want = [f32(w[j] + w[3 + j]) for j in range(3)] if rate == 0.0 else [0.0] * 3
            self.assert_f32_equal(b["y"]["data"], want, name)
            self.assertEqual(self.counts(name), {"default": 2})
        # a custom rng_collection and broadcast_dims
        model = {"layers": [{"type": "dropout", "rate": 0.5, "rng_collection": "noise",
                             "broadcast_dims": [0]}]}
        self.create("bcast", {"default": 0, "noise": 3}, model)
        b = self.ok("/v1/sessions/bcast/forward", {"x": [[1.0, 2.0, 3.0, 4.0]] * 3})
        mask = self.ok("/v1/random/bernoulli", {"key": fold_in(key_of(3), 0), "p": 0.5,
                                                "shape": [1, 4]})["data"]
        row = [v * 2 if m else 0.0 for v, m in zip([1.0, 2.0, 3.0, 4.0], mask)]
        self.assertEqual(b["y"]["shape"], [3, 4])
        self.assertEqual(b["y"]["data"], row * 3)
        self.assertEqual(self.counts("bcast"), {"noise": 1, "default": 0})

    def test_params_and_initializers(self):
        model = {"layers": [
            {"type": "linear", "in_features": 3, "out_features": 4, "kernel_init": "he_uniform",
             "bias_init": {"name": "constant", "value": 0.5}},
            {"type": "relu"},
            {"type": "linear", "in_features": 4, "out_features": 2, "use_bias": False,
             "kernel_init": {"name": "normal", "stddev": 0.2}}]}
        b = self.create("params", {"params": 11}, model)
        self.assertEqual(b["rngs"]["params"]["count"], 3)  # kernel, bias, kernel
        self.assertEqual(b["model"]["params"], [
            {"kernel": {"shape": [3, 4], "dtype": "float32"}, "bias": {"shape": [4], "dtype": "float32"}},
            {},
            {"kernel": {"shape": [4, 2], "dtype": "float32"}}])
        self.assertEqual(b["model"]["layers"][0]["kernel_init"], "he_uniform")
        self.assertEqual(b["model"]["layers"][2]["use_bias"], False)
        p = self.ok("/v1/sessions/params/params", method="GET")["params"]
        self.assertEqual(len(p), 3)
        self.assertEqual(p[1], {})
        self.assertNotIn("bias", p[2])
        k0 = self.ok("/v1/init/he_uniform", {"key": fold_in(key_of(11), 0), "shape": [3, 4]})
        self.assertEqual(p[0]["kernel"], k0)
        self.assertEqual(p[0]["bias"], {"shape": [4], "dtype": "float32", "data": [0.5] * 4})
        k2 = self.ok("/v1/init/normal", {"key": fold_in(key_of(11), 2), "shape": [4, 2], "stddev": 0.2})
        self.assertEqual(p[2]["kernel"], k2)
        # forward through linear -> relu -> linear, deterministic (nothing to draw anyway)
        x = [1.0, -2.0, 0.5]
        w0 = [f32(v) for v in p[0]["kernel"]["data"]]
        w2 = [f32(v) for v in p[2]["kernel"]["data"]]
        y = self.ok("/v1/sessions/params/forward", {"x": [x]})["y"]
        self.assertEqual(y["shape"], [1, 2])
        # h = relu(x @ W0 + 0.5); y = h @ W2. The sums are float32 sums in some
        # order, so compare against the double-precision value loosely.
        h = [max(0.0, sum(x[i] * w0[i * 4 + j] for i in range(3)) + 0.5) for j in range(4)]
        want = [sum(h[i] * w2[i * 2 + j] for i in range(4)) for j in range(2)]
        for g, w in zip(y["data"], want):
            self.assertAlmostEqual(g, w, delta=1e-5)
        self.assertEqual(self.counts("params"), {"params": 3})

    def test_embed_and_activations(self):
        model = {"layers": [{"type": "embed", "num_embeddings": 5, "features": 3}, {"type": "relu"}]}
        b = self.create("embed", {"default": 4}, model)
        self.assertEqual(b["rngs"]["default"]["count"], 1)
        self.assertEqual(b["model"]["params"], [{"embedding": {"shape": [5, 3], "dtype": "float32"}}, {}])
        p = self.ok("/v1/sessions/embed/params", method="GET")["params"]
        table = self.ok("/v1/init/variance_scaling",
                        {"key": fold_in(key_of(4), 0), "shape": [5, 3], "scale": 1.0,
                         "mode": "fan_in", "distribution": "normal", "out_axis": 0})
        self.assertEqual(p[0]["embedding"], table)
        rows = [table["data"][i * 3:(i + 1) * 3] for i in range(5)]
        y = self.ok("/v1/sessions/embed/forward", {"x": [[0, 4, -1]]})["y"]
        self.assertEqual(y["shape"], [1, 3, 3])
        want = [max(0.0, v) for r in (rows[0], rows[4], rows[4]) for v in r]
        self.assertEqual(y["data"], want)
        self.err("POST", "/v1/sessions/embed/forward", {"x": [[5]]}, 400, "invalid_argument")
        self.err("POST", "/v1/sessions/embed/forward", {"x": [[-6]]}, 400, "invalid_argument")
        self.err("POST", "/v1/sessions/embed/forward", {"x": [[0.5]]}, 400, "invalid_argument")
        # the other activations run and keep the shape; sigmoid stays in (0, 1)
        for act in ["gelu", "tanh", "sigmoid", "silu"]:
            with self.subTest(activation=act):
                name = "act-" + act
                self.create(name, {"default": 1}, {"layers": [
                    {"type": "linear", "in_features": 2, "out_features": 4}, {"type": act}]})
                y = self.ok("/v1/sessions/%s/forward" % name, {"x": [[1.0, -1.0], [0.5, 2.0]]})["y"]
                self.assertEqual(y["shape"], [2, 4])
                if act == "sigmoid":
                    self.assertTrue(all(0.0 < v < 1.0 for v in y["data"]))
                if act == "tanh":
                    self.assertTrue(all(-1.0 < v < 1.0 for v in y["data"]))

    # ------------------------------------------------------------- reseed
    def test_reseed(self):
        self.create("reseed", {"default": 0, "dropout": 1})
        self.ok("/v1/sessions/reseed/keys", {"stream": "dropout", "n": 5})
        self.ok("/v1/sessions/reseed/keys", {"n": 2})
        b = self.ok("/v1/sessions/reseed/reseed", {"streams": {"dropout": 42}})
        self.assertEqual(b["name"], "reseed")
        self.assertEqual(b["rngs"], {"dropout": {"key": [0, 42], "count": 0},
                                     "default": {"key": [0, 0], "count": 2}})
        self.assertEqual(self.session("reseed"), b)
        k = self.ok("/v1/sessions/reseed/keys", {"stream": "dropout"})
        self.assertEqual(k["keys"], [fold_in(key_of(42), 0)])
        b = self.ok("/v1/sessions/reseed/reseed", {"streams": {"dropout": [0, 7], "default": -1}})
        self.assertEqual(b["rngs"], {"dropout": {"key": [0, 7], "count": 0},
                                     "default": {"key": [0, M32], "count": 0}})
        # a name that is only a fallback is not a stream of the session
        before = self.session("reseed")
        self.err("POST", "/v1/sessions/reseed/reseed", {"streams": {"params": 1}}, 400,
                 "invalid_argument")
        self.err("POST", "/v1/sessions/reseed/reseed", {"streams": {"dropout": 3, "params": 1}}, 400,
                 "invalid_argument")
        self.assertEqual(self.session("reseed"), before)

    # --------------------------------------------------------- operations
    def test_health(self):
        s, b, h = self.d.request("GET", "/v2/health/live")
        self.assertEqual((s, b), (200, {}))
        self.assertTrue(h["content-type"].startswith("application/json"))
        s, b, h = self.d.request("GET", "/v2/health/ready")
        self.assertEqual((s, b), (200, {}))

    def _metrics(self):
        s, text, h = self.d.request("GET", "/metrics")
        self.assertEqual(s, 200)
        self.assertTrue(h["content-type"].startswith("text/plain"), h)
        self.assertIsInstance(text, str)
        return text

    @staticmethod
    def _samples(text):
        """Prometheus text -> {(name, frozenset(labels)): value}."""
        out = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$', line)
            assert m, "not a Prometheus sample line: %r" % line
            labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"',
                                          m.group(2) or ""))
            out[(m.group(1), labels)] = float(m.group(3))
        return out

    def test_metrics(self):
        self.create("metrics", {"default": 0})
        self.d.get("/v1/sessions/metrics")
        self.d.get("/v1/sessions/no-such-session")
        text = self._metrics()
        self.assertIn("# TYPE keyfold_requests_total counter", text)
        self.assertIn("# TYPE keyfold_request_duration_seconds histogram", text)
        self.assertIn("# TYPE keyfold_sessions gauge", text)
        self.assertIn("# TYPE keyfold_keys_drawn_total counter", text)
        samples = self._samples(text)
        info = [dict(l) for (n, l), v in samples.items() if n == "keyfold_build_info" and v == 1]
        self.assertEqual(len(info), 1, info)
        self.assertIn(info[0]["kernels"], ("avx512", "avx2", "scalar"))
        self.assertRegex(info[0]["version"], r"^\d+\.\d+\.\d+$")
        req = {dict(l).get("route"): None for (n, l) in samples if n == "keyfold_requests_total"}
        self.assertIn("/v1/sessions", req)
        self.assertIn("/v1/sessions/{name}", req)
        statuses = {(dict(l).get("route"), dict(l).get("status")): v
                    for (n, l), v in samples.items() if n == "keyfold_requests_total"}
        self.assertGreaterEqual(statuses.get(("/v1/sessions", "201"), 0), 1)
        self.assertGreaterEqual(statuses.get(("/v1/sessions/{name}", "200"), 0), 1)
        self.assertGreaterEqual(statuses.get(("/v1/sessions/{name}", "404"), 0), 1)
        # the histogram: cumulative buckets ending in +Inf == _count, and a _sum
        buckets = {}
        for (n, l), v in samples.items():
            if n == "keyfold_request_duration_seconds_bucket":
                d = dict(l)
                le = float("inf") if d["le"] == "+Inf" else float(d["le"])
                series = tuple(sorted((k, x) for k, x in d.items() if k != "le"))
                buckets.setdefault(series, []).append((le, v))
        self.assertIn("/v1/sessions", {dict(series).get("route") for series in buckets})
        for series, bs in buckets.items():
            route = dict(series)
            bs.sort()
            vals = [v for _, v in bs]
            self.assertEqual(vals, sorted(vals), route)
            self.assertEqual(bs[-1][0], float("inf"), route)
            counts = [v for (n, l), v in samples.items()
                      if n == "keyfold_request_duration_seconds_count" and dict(l) == route]
            sums = [v for (n, l), v in samples.items()
                    if n == "keyfold_request_duration_seconds_sum" and dict(l) == route]
            self.assertEqual(counts, [bs[-1][1]], route)
            self.assertEqual(len(sums), 1, route)
            self.assertGreaterEqual(sums[0], 0.0)
        # keyfold_sessions is the number of sessions held
        n_sessions = len(self.ok("/v1/sessions", method="GET")["sessions"])
        self.assertEqual(samples[("keyfold_sessions", frozenset())], n_sessions)
        # keyfold_keys_drawn_total grows by exactly the keys drawn
        drawn0 = self._samples(self._metrics())[("keyfold_keys_drawn_total", frozenset())]
        self.ok("/v1/sessions/metrics/keys", {"n": 5})
        self.ok("/v1/sessions/metrics/sample", {"distribution": "normal"})
        drawn1 = self._samples(self._metrics())[("keyfold_keys_drawn_total", frozenset())]
        self.assertEqual(drawn1 - drawn0, 6)
        # a deletion shows in the gauge
        self.d.delete("/v1/sessions/metrics")
        samples = self._samples(self._metrics())
        self.assertEqual(samples[("keyfold_sessions", frozenset())], n_sessions - 1)


if __name__ == "__main__":
    unittest.main()
