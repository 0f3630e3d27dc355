"""A battery of bad requests (spec/api.md "Conventions": error codes, the
error body, "a request that fails changes nothing").

For every case: the status and the error code, a body that is exactly
{"error": {"code", "message"}} with a non-empty message, an Allow header on
405, the state of every session unchanged (GET of each session: streams and
counts; GET of its params; the session list), and the daemon still alive."""
import json
import os
import socket
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase  # noqa: E402

LINEAR_DROPOUT = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                             {"type": "dropout", "rate": 0.5}]}
SESSIONS = {
    "victim": {"rngs": {"default": 0, "params": 1, "dropout": 2}, "model": LINEAR_DROPOUT},
    "nomodel": {"rngs": {"default": 3}},
    "nodefault": {"rngs": {"params": 5}},
    # Flax 0.10's Dropout draws nothing at construction, so this builds; its
    # training call has neither 'dropout' nor 'default' to draw from
    "dropnodefault": {"rngs": {"params": 5}, "model": LINEAR_DROPOUT},
}
JSON = {"Content-Type": "application/json"}
V = "/v1/sessions/victim"


def linear(i, o, **kw):
    d = {"type": "linear", "in_features": i, "out_features": o}
    d.update(kw)
    return d


def create_body(**kw):
    body = {"name": "newsession", "rngs": {"default": 0}}
    body.update(kw)
    return body


def model_body(*layers):
    return create_body(model={"layers": list(layers)})


class ErrorsTest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name, spec in SESSIONS.items():
            body = dict(spec)
            body["name"] = name
            s, b = cls.d.post("/v1/sessions", body)
            assert s == 201, (s, b)
        # give the streams non-zero counts so that a reset would show
        s, b = cls.d.post(V + "/keys", {"stream": "dropout", "n": 3})
        assert s == 200, (s, b)
        s, b = cls.d.post(V + "/forward", {"x": [[1.0, 1.0]]})
        assert s == 200, (s, b)

    # ------------------------------------------------------------ helpers
    def snapshot(self):
        snap = {"list": self.d.get("/v1/sessions")}
        for name in SESSIONS:
            snap[name] = (self.d.get("/v1/sessions/" + name), self.d.get("/v1/sessions/%s/params" % name))
        return snap

    def check(self, label, method, path, status, code, body=None, raw=None, headers=None,
              allow=None, message=None):
        with self.subTest(label):
            before = self.snapshot()
            hdrs = dict(headers or {})
            if body is not None:
                raw = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
            s, b, h = self.d.request(method, path, raw=raw, headers=hdrs)
            self.assertEqual(s, status, "%s: %s %s -> %s %r" % (label, method, path, s, b))
            self.assert_error_body(b, h, code, label)
            if message is not None:
                self.assertRegex(b["error"]["message"], message, label)
            if status == 405:
                self.assertIn("allow", h, label + ": 405 without an Allow header")
                got = {m.strip() for m in h["allow"].split(",") if m.strip()}
                self.assertEqual(got - {"HEAD"}, set(allow), label)
            self.assertEqual(self.snapshot(), before, label + ": the failed request changed state")
            self.assertTrue(self.d.alive(), label + ": the daemon died")

    def assert_error_body(self, b, h, code, label):
        self.assertTrue(h.get("content-type", "").startswith("application/json"), label)
        self.assertIsInstance(b, dict, label)
        self.assertEqual(set(b), {"error"}, label)
        self.assertIsInstance(b["error"], dict, label)
        self.assertEqual(set(b["error"]), {"code", "message"}, label)
        self.assertEqual(b["error"]["code"], code, label)
        self.assertIsInstance(b["error"]["message"], str, label)
        self.assertTrue(b["error"]["message"].strip(), label + ": empty message")

    def bad(self, label, path, body, status=400, code="invalid_argument", **kw):
        self.check(label, "POST", path, status, code, body=body, **kw)

    # --------------------------------------------------------- malformed
    def test_malformed_json(self):
        for raw in [b'{"n": 1', b'{n: 1}', b"{'n': 1}", b'{"n": 1,}', b'{"n": NaN}',
                    b'{"n": 1} trailing', b'\xff\xfe{}', b'{"stream": "a\\x"}', b'nul',
                    b'{"stream": "default", "stream": "params"}']:
            for path in [V + "/keys", "/v1/sessions", "/v1/random/key"]:
                self.check("malformed %r on %s" % (raw, path), "POST", path, 400, "invalid_argument",
                           raw=raw, headers=JSON)

    def test_non_object_bodies(self):
        for body in [[], [1, 2], "keys", 1, 1.5, None, True]:
            for path in [V + "/keys", V + "/forward", V + "/reseed", V + "/sample", "/v1/sessions",
                         "/v1/random/uniform", "/v1/init/zeros"]:
                self.check("body %r on %s" % (body, path), "POST", path, 400, "invalid_argument",
                           raw=json.dumps(body).encode(), headers=JSON)

    # -------------------------------------------------------- wrong types
    def test_wrong_types(self):
        cases = [
            (V + "/keys", {"n": "3"}), (V + "/keys", {"n": 1.5}), (V + "/keys", {"n": True}),
            (V + "/keys", {"stream": 5}), (V + "/keys", {"stream": ["dropout"]}),
            (V + "/forward", {"x": [[1.0, 1.0]], "deterministic": "yes"}),
            (V + "/forward", {"x": [[1.0, 1.0]], "deterministic": 1}),
            (V + "/forward", {"x": "1,1"}), (V + "/forward", {"x": [[1.0, "a"]]}),
            (V + "/forward", {"x": [[1.0, None]]}), (V + "/forward", {"x": [[1.0, 1.0], [1.0]]}),
            (V + "/forward", {"x": [[[1.0, 1.0]], [1.0, 1.0]]}),
            (V + "/forward", {"x": {"shape": [1, 2], "dtype": "float32", "data": [1.0]}}),
            (V + "/forward", {"x": {"shape": [1, 2], "dtype": "bool", "data": [True, False]}}),
            (V + "/forward", {"x": {"shape": "1x2", "dtype": "float32", "data": [1.0, 1.0]}}),
            (V + "/forward", {"x": {"shape": [1, 2], "dtype": "float32", "data": "1 1"}}),
            (V + "/forward", {"x": [[1e39, 1.0]]}),
            (V + "/reseed", {"streams": ["dropout"]}), (V + "/reseed", {"streams": "dropout"}),
            (V + "/reseed", {"streams": {"dropout": "42"}}), (V + "/reseed", {"streams": {"dropout": 4.2}}),
            (V + "/reseed", {"streams": {"dropout": None}}),
            (V + "/sample", {"distribution": 5}), (V + "/sample", {"distribution": "normal", "shape": "3"}),
            (V + "/sample", {"distribution": "normal", "shape": [1.5]}),
            (V + "/sample", {"distribution": "uniform", "minval": "0"}),
            (V + "/sample", {"distribution": "randint", "shape": [2], "minval": 0, "maxval": 1.5}),
            ("/v1/sessions", create_body(name=5)), ("/v1/sessions", create_body(rngs=[0])),
            ("/v1/sessions", create_body(rngs={"default": "0"})),
            ("/v1/sessions", create_body(rngs={"default": 1.5})),
            ("/v1/sessions", create_body(rngs={"default": None, "params": {}})),
            ("/v1/sessions", create_body(model=[])), ("/v1/sessions", create_body(model={"layers": {}})),
            ("/v1/sessions", create_body(model={"layers": []})),
            ("/v1/sessions", create_body(model={"layers": [5]})),
            ("/v1/sessions", create_body(options=[])), ("/v1/sessions", create_body(options={"threefry": 1})),
            ("/v1/sessions", model_body(linear("2", 3))), ("/v1/sessions", model_body(linear(2.0, 3))),
            ("/v1/sessions", model_body(linear(2, 3, use_bias="no"))),
            ("/v1/sessions", model_body(linear(2, 3, kernel_init=5))),
            ("/v1/sessions", model_body(linear(2, 3, kernel_init={"name": "normal", "stddev": "big"}))),
            ("/v1/sessions", model_body({"type": "dropout", "rate": "0.5"})),
            ("/v1/sessions", model_body({"type": "dropout", "rate": 0.5, "broadcast_dims": "0"})),
            ("/v1/sessions", model_body({"type": "dropout", "rate": 0.5, "deterministic": "no"})),
            ("/v1/random/fold_in", {"key": [0, 0], "data": "1"}),
            ("/v1/random/split", {"key": [0, 0], "num": "2"}),
            ("/v1/random/uniform", {"key": "0,0", "shape": [2]}),
            ("/v1/init/normal", {"key": [0, 0], "shape": [2, 2], "stddev": [1]}),
        ]
        for path, body in cases:
            self.bad("wrong type %r on %s" % (body, path), path, body)

    # ------------------------------------------------------ missing fields
    def test_missing_required_fields(self):
        cases = [
            ("/v1/sessions", {"rngs": {"default": 0}}),
            ("/v1/sessions", {}),
            (V + "/sample", {"shape": [2]}),
            (V + "/sample", {"distribution": "truncated_normal", "lower": -1}),
            (V + "/sample", {"distribution": "randint", "minval": 0}),
            (V + "/forward", {}), (V + "/forward", {"deterministic": True}),
            (V + "/reseed", {}), (V + "/reseed", {"streams": {}}),
            ("/v1/sessions", model_body({"type": "linear", "in_features": 2})),
            ("/v1/sessions", model_body({"type": "linear", "out_features": 2})),
            ("/v1/sessions", model_body({"type": "dropout"})),
            ("/v1/sessions", model_body({"type": "embed", "num_embeddings": 4})),
            ("/v1/sessions", model_body({"in_features": 2, "out_features": 3})),
            ("/v1/sessions", model_body(linear(2, 3, kernel_init={"stddev": 1.0}))),
            ("/v1/sessions", create_body(model={})),
            ("/v1/random/key", {}), ("/v1/random/fold_in", {"key": [0, 0]}),
            ("/v1/random/fold_in", {"data": 0}), ("/v1/random/split", {"num": 2}),
            ("/v1/random/uniform", {"shape": [2]}),
            ("/v1/random/truncated_normal", {"key": [0, 0], "shape": [2], "lower": -1}),
            ("/v1/random/randint", {"key": [0, 0], "shape": [2], "maxval": 5}),
            ("/v1/random/permutation", {"key": [0, 0]}),
            ("/v1/init/lecun_normal", {"key": [0, 0]}), ("/v1/init/ones", {"shape": [2]}),
        ]
        for path, body in cases:
            self.bad("missing field in %r on %s" % (body, path), path, body)
        # an empty body is {} (Content-Type not needed then): still missing fields
        for path in ["/v1/sessions", V + "/forward", V + "/reseed", V + "/sample", "/v1/random/key"]:
            self.check("empty body on " + path, "POST", path, 400, "invalid_argument", raw=b"")

    # ------------------------------------------------------ unknown fields
    def test_unknown_fields(self):
        cases = [
            ("/v1/sessions", create_body(extra=1)),
            ("/v1/sessions", create_body(options={"jit": True})),
            ("/v1/sessions", create_body(options={"threefry": "legacy", "x64": True})),
            ("/v1/sessions", create_body(model={"layers": [linear(2, 3)], "name": "m"})),
            ("/v1/sessions", model_body(linear(2, 3, activation="relu"))),
            ("/v1/sessions", model_body({"type": "relu", "inplace": True})),
            ("/v1/sessions", model_body({"type": "dropout", "rate": 0.5, "rngs": "dropout"})),
            ("/v1/sessions", model_body(linear(2, 3, kernel_init={"name": "normal", "scale": 1.0}))),
            ("/v1/sessions", model_body(linear(2, 3, kernel_init={"name": "lecun_normal", "stddev": 1}))),
            (V + "/keys", {"n": 1, "count": 3}), (V + "/keys", {"streams": "dropout"}),
            (V + "/forward", {"x": [[1.0, 1.0]], "train": True}),
            (V + "/forward", {"x": {"shape": [1, 2], "dtype": "float32", "data": [1, 1], "order": "C"}}),
            (V + "/reseed", {"streams": {"dropout": 1}, "dropout": 1}),
            (V + "/sample", {"distribution": "normal", "p": 0.5}),
            (V + "/sample", {"distribution": "uniform", "key": [0, 0]}),
            (V + "/sample", {"distribution": "bits", "n": 3}),
            ("/v1/random/key", {"seed": 1, "n": 2}), ("/v1/random/fold_in", {"key": [0, 0], "data": 1, "x": 0}),
            ("/v1/random/normal", {"key": [0, 0], "shape": [2], "stddev": 2}),
            ("/v1/random/split", {"key": [0, 0], "shape": [2]}),
            ("/v1/init/zeros", {"key": [0, 0], "shape": [2], "value": 1}),
            ("/v1/init/lecun_normal", {"key": [0, 0], "shape": [2, 2], "scale": 2}),
        ]
        for path, body in cases:
            self.bad("unknown field in %r on %s" % (body, path), path, body)

    # ------------------------------------------------- sizes and overflow
    def test_huge_shapes_and_overflow(self):
        for shape in [[1000000, 1000000], [2 ** 62, 4], [2 ** 31, 2 ** 31, 2 ** 31], [2 ** 63 - 1]]:
            self.bad("huge shape %r on sample" % shape, V + "/sample",
                     {"distribution": "normal", "shape": shape}, 413, "payload_too_large")
            self.bad("huge shape %r on uniform" % shape, "/v1/random/uniform",
                     {"key": [0, 0], "shape": shape}, 413, "payload_too_large")
            self.bad("huge shape %r on init" % shape, "/v1/init/zeros",
                     {"key": [0, 0], "shape": shape}, 413, "payload_too_large")
        self.bad("huge split", "/v1/random/split", {"key": [0, 0], "num": 2 ** 40}, 413, "payload_too_large")
        self.bad("huge permutation", "/v1/random/permutation", {"key": [0, 0], "n": 2 ** 40}, 413,
                 "payload_too_large")
        self.bad("huge linear", "/v1/sessions", model_body(linear(1000000, 1000000)), 413,
                 "payload_too_large")
        self.bad("huge linear 2^40", "/v1/sessions", model_body(linear(2 ** 40, 1)), 413,
                 "payload_too_large")
        self.bad("huge x", V + "/forward",
                 {"x": {"shape": [2 ** 40, 2], "dtype": "float32", "data": []}}, 413, "payload_too_large")
        self.bad("huge n", V + "/keys", {"n": 2 ** 40}, 413, "payload_too_large")
        # shapes as floats, negative dims, too many dims
        for shape in [[1e6, 1e6], [2.0], [-1], [2, -3], [None], [[2]], [1] * 65]:
            self.bad("bad shape %r on sample" % (shape,), V + "/sample",
                     {"distribution": "normal", "shape": shape})
            self.bad("bad shape %r on bits" % (shape,), "/v1/random/bits", {"key": [0, 0], "shape": shape})
        # integers past the JSON parser's signed 64-bit range
        for raw in [b'{"distribution": "normal", "shape": [18446744073709551616]}',
                    b'{"distribution": "normal", "shape": [9223372036854775808]}']:
            self.check("shape overflow %r" % raw, "POST", V + "/sample", 400, "invalid_argument",
                       raw=raw, headers=JSON)
        for raw in [b'{"name": "ovf", "rngs": {"default": 18446744073709551616}}',
                    b'{"name": "ovf", "rngs": {"default": 9223372036854775808}}',
                    b'{"name": "ovf", "rngs": {"default": -9223372036854775809}}']:
            self.check("seed overflow %r" % raw, "POST", "/v1/sessions", 400, "invalid_argument",
                       raw=raw, headers=JSON)
        self.check("seed overflow in reseed", "POST", V + "/reseed", 400, "invalid_argument",
                   raw=b'{"streams": {"dropout": 18446744073709551616}}', headers=JSON)
        self.check("n overflow", "POST", V + "/keys", 400, "invalid_argument",
                   raw=b'{"n": 18446744073709551616}', headers=JSON)
        self.check("key seed overflow", "POST", "/v1/random/key", 400, "invalid_argument",
                   raw=b'{"seed": 18446744073709551616}', headers=JSON)

    # --------------------------------------------------------------- keys
    def test_keys_out_of_range(self):
        for key in [[0, 2 ** 32], [2 ** 32, 0], [-1, 0], [0, -1], [1], [], [1, 2, 3], [0.5, 1],
                    ["0", "1"], {"hi": 0, "lo": 1}]:
            self.bad("key %r in rngs" % (key,), "/v1/sessions", create_body(rngs={"default": key}))
            self.bad("key %r in reseed" % (key,), V + "/reseed", {"streams": {"dropout": key}})
            self.bad("key %r in fold_in" % (key,), "/v1/random/fold_in", {"key": key, "data": 0})
            self.bad("key %r in init" % (key,), "/v1/init/lecun_normal", {"key": key, "shape": [2, 2]})

    # -------------------------------------------------------------- model
    def test_bad_models(self):
        cases = [
            ("unknown layer conv", model_body({"type": "conv", "features": 3})),
            ("unknown layer Linear", model_body({"type": "Linear", "in_features": 2, "out_features": 3})),
            ("unknown layer softmax2", model_body({"type": "softmax2"})),
            ("width mismatch", model_body(linear(2, 3), linear(4, 1))),
            ("width mismatch after dropout and relu",
             model_body(linear(2, 3), {"type": "dropout", "rate": 0.1}, {"type": "relu"}, linear(2, 1))),
            ("embed not first", model_body(linear(2, 3), {"type": "embed", "num_embeddings": 3,
                                                           "features": 2})),
            ("embed width mismatch", model_body({"type": "embed", "num_embeddings": 3, "features": 2},
                                                linear(3, 1))),
            ("zero in_features", model_body(linear(0, 3))), ("negative out_features", model_body(linear(2, -3))),
            ("zero embed", model_body({"type": "embed", "num_embeddings": 0, "features": 2})),
            ("dropout rate 1.5", model_body(linear(2, 3), {"type": "dropout", "rate": 1.5})),
            ("dropout rate -0.1", model_body(linear(2, 3), {"type": "dropout", "rate": -0.1})),
            ("rng_collection a-b", model_body({"type": "dropout", "rate": 0.5, "rng_collection": "a-b"})),
            ("rng_collection empty", model_body({"type": "dropout", "rate": 0.5, "rng_collection": ""})),
            ("rng_collection 1x", model_body({"type": "dropout", "rate": 0.5, "rng_collection": "1x"})),
            ("rng_collection long", model_body({"type": "dropout", "rate": 0.5,
                                                "rng_collection": "a" * 65})),
            ("rng_collection 5", model_body({"type": "dropout", "rate": 0.5, "rng_collection": 5})),
            ("broadcast_dims out of range", model_body({"type": "dropout", "rate": 0.5,
                                                        "broadcast_dims": [99]})),
            ("unknown initializer", model_body(linear(2, 3, kernel_init="orthogonal_magic"))),
            ("rank-1 bias with lecun_normal", model_body(linear(2, 3, bias_init="lecun_normal"))),
            ("no params or default stream", {"name": "newsession", "rngs": {"dropout": 1},
                                             "model": {"layers": [linear(2, 3)]}}),
            ("options.flax 0.9", create_body(options={"flax": "0.9"})),
            ("options.flax 0.9", create_body(options={"flax": "0.9"})),
            ("options.flax number", create_body(options={"flax": 0.10})),
            ("options.threefry fast", create_body(options={"threefry": "fast"})),
            ("stream name a-b", create_body(rngs={"a-b": 1})),
            ("stream name empty", create_body(rngs={"": 1})),
            ("stream name digit", create_body(rngs={"1st": 1})),
            ("stream name long", create_body(rngs={"s" * 65: 1})),
        ]
        for label, body in cases:
            self.bad(label, "/v1/sessions", body)

    # -------------------------------------------------------------- names
    def test_bad_names(self):
        for name in ["a/b", "..", ".", ".hidden", "-x", "_x", "x" * 129, "x" * 500, "", "a b", "caf\u00e9",
                     "a\nb", "a%2Fb"]:
            self.bad("session name %r" % name, "/v1/sessions", create_body(name=name))
        # in the path: an invalid name is 400 (or, once the path no longer
        # matches a route, 404); either way nothing happens
        for seg in ["..", ".hidden", "-x", "x" * 129, "x" * 500, "a%20b", "caf%C3%A9", "a%2Fb"]:
            for method, suffix, body in [("GET", "", None), ("DELETE", "", None),
                                         ("POST", "/keys", {}), ("GET", "/params", None)]:
                path = "/v1/sessions/" + seg + suffix
                with self.subTest("path " + path):
                    before = self.snapshot()
                    s, b, h = self.d.request(method, path, body=body)
                    self.assertIn(s, (400, 404), path)
                    self.assert_error_body(b, h, "invalid_argument" if s == 400 else "not_found", path)
                    self.assertEqual(self.snapshot(), before)
                    self.assertTrue(self.d.alive())
        self.check("missing session", "GET", "/v1/sessions/ghost", 404, "not_found")
        self.check("missing session keys", "POST", "/v1/sessions/ghost/keys", 404, "not_found", body={})
        self.check("missing session delete", "DELETE", "/v1/sessions/ghost", 404, "not_found")
        self.check("already exists", "POST", "/v1/sessions", 409, "already_exists",
                   body={"name": "victim", "rngs": {"default": 99}})

    # -------------------------------------------------------- streams / state
    def test_stream_errors(self):
        for n in [0, -1, -2 ** 63]:
            self.bad("keys n=%d" % n, V + "/keys", {"n": n})
        for stream in ["a-b", "", "1x", "x" * 65, "dropout!", "d.o"]:
            self.bad("keys stream %r" % stream, V + "/keys", {"stream": stream})
            self.bad("sample stream %r" % stream, V + "/sample", {"stream": stream, "distribution": "normal"})
            self.bad("reseed stream %r" % stream, V + "/reseed", {"streams": {stream: 1}})
        # reseed of streams the session does not have (a fallback name is not a stream)
        self.bad("reseed unknown stream", V + "/reseed", {"streams": {"noise": 1}})
        self.bad("reseed partly unknown", V + "/reseed", {"streams": {"dropout": 7, "noise": 1}})
        self.bad("reseed default of nodefault", "/v1/sessions/nodefault/reseed", {"streams": {"default": 1}})
        # no default stream to fall back to
        self.bad("keys fallback without default", "/v1/sessions/nodefault/keys", {"stream": "dropout"},
                 404, "not_found", message="No RNG named 'dropout'")
        self.bad("keys default without default", "/v1/sessions/nodefault/keys", {}, 404, "not_found",
                 message="No RNG named 'default'")
        self.bad("sample without default", "/v1/sessions/nodefault/sample", {"distribution": "normal"},
                 404, "not_found", message="No RNG named")
        self.bad("forward: dropout without a stream", "/v1/sessions/dropnodefault/forward",
                 {"x": [[1.0, 1.0]]}, 404, "not_found", message="No RNG named 'dropout'")
        # the sampler is checked before anything is drawn
        self.bad("unknown distribution", V + "/sample", {"distribution": "categorical"})
        self.bad("permutation needs n", V + "/sample", {"distribution": "permutation"})
        self.bad("bad bit_width", V + "/sample", {"distribution": "bits", "bit_width": 12})
        self.bad("truncated_normal bounds that do not broadcast", V + "/sample",
                 {"distribution": "truncated_normal", "lower": [1, 2], "upper": [3, 4, 5]},
                 message="Incompatible shapes for broadcasting")
        self.bad("bernoulli p that does not fit the shape", V + "/sample",
                 {"distribution": "bernoulli", "p": [0.5, 0.5], "shape": [3, 1]},
                 message="bernoulli parameter shapes must be broadcast-compatible")
        self.bad("randint int32", V + "/sample",
                 {"distribution": "randint", "minval": 0, "maxval": 2 ** 31})
        # forward
        self.bad("forward without a model", "/v1/sessions/nomodel/forward", {"x": [[1.0, 1.0]]},
                 409, "failed_precondition")
        for x in [[[1.0, 1.0, 1.0]], [[1.0]], [1.0], 1.0, [], [[]]]:
            self.bad("forward x %r" % (x,), V + "/forward", {"x": x})
        self.bad("forward tensor width", V + "/forward",
                 {"x": {"shape": [1, 3], "dtype": "float32", "data": [1, 1, 1]}})

    def test_messages_name_the_field(self):
        r = r"\b%s\b"
        self.bad("n", V + "/keys", {"n": 0}, message=r % "n")
        self.bad("stream", V + "/keys", {"stream": "a-b"}, message=r % "stream")
        self.bad("x", V + "/forward", {"x": [[1.0, 1.0, 1.0]]}, message=r % "x")
        self.bad("rate", "/v1/sessions", model_body({"type": "dropout", "rate": 1.5}), message=r % "rate")
        self.bad("rng_collection", "/v1/sessions",
                 model_body({"type": "dropout", "rate": 0.5, "rng_collection": "a-b"}),
                 message=r % "rng_collection")
        self.bad("in_features", "/v1/sessions", model_body(linear(2, 3), linear(4, 1)),
                 message=r % "in_features")
        self.bad("name", "/v1/sessions", create_body(name="a/b"), message=r % "name")
        self.bad("shape", "/v1/random/uniform", {"key": [0, 0], "shape": [-1]}, message=r % "shape")
        self.bad("key", "/v1/random/uniform", {"key": [0, -1], "shape": [1]}, message=r % "key")
        self.bad("data", "/v1/random/fold_in", {"key": [0, 0], "data": -1}, message=r % "data")
        self.bad("unknown field", V + "/keys", {"n": 1, "count": 3}, message=r % "count")
        self.bad("reseed stream", V + "/reseed", {"streams": {"noise": 1}}, message=r % "noise")

    def test_too_many_streams(self):
        self.bad("65 streams", "/v1/sessions", create_body(rngs={"s%d" % i: i for i in range(65)}))

    # ---------------------------------------------------------- transport
    def test_methods(self):
        cases = [
            ("PUT", "/v1/sessions", {"GET", "POST"}), ("DELETE", "/v1/sessions", {"GET", "POST"}),
            ("PATCH", V, {"GET", "DELETE"}), ("POST", V, {"GET", "DELETE"}), ("PUT", V, {"GET", "DELETE"}),
            ("GET", V + "/keys", {"POST"}), ("DELETE", V + "/keys", {"POST"}),
            ("GET", V + "/sample", {"POST"}), ("GET", V + "/forward", {"POST"}),
            ("PUT", V + "/reseed", {"POST"}), ("POST", V + "/params", {"GET"}),
            ("DELETE", V + "/params", {"GET"}), ("GET", "/v1/random/key", {"POST"}),
            ("PUT", "/v1/random/uniform", {"POST"}), ("GET", "/v1/init/zeros", {"POST"}),
            ("POST", "/v2/health/live", {"GET"}), ("DELETE", "/v2/health/ready", {"GET"}),
            ("POST", "/metrics", {"GET"}), ("POST", "/v1/random", {"GET"}),
        ]
        for method, path, allow in cases:
            self.check("%s %s" % (method, path), method, path, 405, "method_not_allowed",
                       raw=b"{}" if method in ("POST", "PUT", "PATCH") else None,
                       headers=JSON if method in ("POST", "PUT", "PATCH") else None, allow=allow)

    def test_unknown_routes(self):
        for method, path in [("GET", "/"), ("GET", "/v1"), ("GET", "/v1/nope"), ("GET", "/v1/sessions/"),
                             ("GET", V + "/nope"), ("POST", V + "/keys/extra"), ("GET", "/v2/health"),
                             ("GET", "/metrics/x"), ("GET", "/v1/sessions/victim/params/0"),
                             ("POST", "/v1/random/"), ("POST", "/v1/init/"),
                             ("GET", "/V1/SESSIONS")]:
            self.check("%s %s" % (method, path), method, path, 404, "not_found",
                       raw=b"{}" if method == "POST" else None, headers=JSON if method == "POST" else None)
        for op in ["multinormal", "Categorical", "KEY", "fold-in", "bits2"]:
            self.bad("unknown random op " + op, "/v1/random/" + op, {"key": [0, 0]}, 404, "not_found")
        for name in ["orthogonal", "lecun", "he", "Xavier_normal", "zeros_init"]:
            self.bad("unknown initializer " + name, "/v1/init/" + name, {"key": [0, 0], "shape": [2, 2]},
                     404, "not_found")

    def test_content_types(self):
        body = json.dumps({"n": 1}).encode()
        for ctype in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                      "application/xml", "json", "multipart/form-data; boundary=x", None]:
            headers = {"Content-Type": ctype} if ctype else {}
            self.check("content type %r on keys" % ctype, "POST", V + "/keys", 415,
                       "unsupported_media_type", raw=body, headers=headers)
            self.check("content type %r on create" % ctype, "POST", "/v1/sessions", 415,
                       "unsupported_media_type", raw=json.dumps(create_body()).encode(), headers=headers)
        # application/json with parameters, in any case, is fine
        for ctype in ["application/json; charset=utf-8", "application/json;charset=UTF-8",
                      "Application/JSON"]:
            with self.subTest(ctype=ctype):
                s, b, _ = self.d.request("POST", "/v1/random/key", raw=b'{"seed": 3}',
                                         headers={"Content-Type": ctype})
                self.assertEqual((s, b), (200, {"key": [0, 3]}))

    def raw_exchange(self, request):
        """Sends raw bytes on a new connection; returns (status, headers, body)."""
        sock = socket.create_connection((self.d.host, self.d.port), timeout=10)
        try:
            sock.sendall(request)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, body = data.partition(b"\r\n\r\n")
                if sep:
                    lines = head.decode("latin-1").split("\r\n")
                    headers = {k.strip().lower(): v.strip()
                               for k, _, v in (l.partition(":") for l in lines[1:])}
                    if len(body) >= int(headers.get("content-length", "0")):
                        return int(lines[0].split()[1]), headers, body
            self.fail("no complete response to %r..." % request[:60])
        finally:
            sock.close()

    def test_transport_errors_are_refused_before_routing(self):
        """Requests the HTTP layer cannot parse (an over-long URL, oversized
        headers, a malformed chunked body) are refused by libmicrohttpd
        before the daemon sees them: with its own 4xx status and small HTML
        page, which no hook of libmicrohttpd 0.9.75 lets the daemon replace
        (documented in proto/openapi.yaml). They must still be 4xx and leave
        the daemon up and unchanged."""
        before = self.snapshot()
        cases = [
            ("long URL", b"GET /v1/sessions/" + b"x" * 40000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
            ("big header", b"GET /v2/health/live HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 60000
             + b"\r\n\r\n", 431),
            ("bad chunk", b"POST /v1/random/key HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
        ]
        for label, request, expected in cases:
            with self.subTest(label):
                status, headers, body = self.raw_exchange(request)
                self.assertEqual(status, expected, label)
        self.assertEqual(self.snapshot(), before)
        self.assertTrue(self.d.alive())

    def test_declared_oversized_body(self):
        """A Content-Length over --max-body (16 MiB by default) is refused
        with 413 before the body is read."""
        before = self.snapshot()
        sock = socket.create_connection((self.d.host, self.d.port), timeout=10)
        try:
            sock.sendall(b"POST /v1/sessions/victim/keys HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n{")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
            length = int([l.split(b":", 1)[1] for l in head.split(b"\r\n")
                          if l.lower().startswith(b"content-length:")][0])
            while len(rest) < length:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                rest += chunk
            b = json.loads(rest[:length])
            self.assertEqual(b["error"]["code"], "payload_too_large")
            self.assertTrue(b["error"]["message"])
        finally:
            sock.close()
        self.assertEqual(self.snapshot(), before)
        self.assertTrue(self.d.alive())


if __name__ == "__main__":
    unittest.main()
