"""Tests of keyfold_client (the package in keyfold_client/) against the real keyfoldd (started by tests/api/kfharness.py).

Every helper of the client is called at least once (ZZEveryHelperTest checks it after a full
run), and its results are compared with what the raw HTTP API returns for the same request,
with known JAX values, and with the pure-Python threefry of the harness.

    KEYFOLDD=/path/to/keyfoldd /usr/bin/python3 proto/clients/python/test_keyfold_client.py -v
"""
import functools
import io
import json
import math
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "api"))

import keyfold_client as kc  # noqa: E402
from keyfold_client import (  # noqa: E402
    AlreadyExists, FailedPrecondition, InvalidArgument, KeyfoldClient, KeyfoldConnectionError,
    KeyfoldError, MethodNotAllowed, NotFound, PayloadTooLarge, ResourceExhausted, Tensor,
    Unauthenticated, Unavailable, dropout, embed, gelu, init, linear, relu, sigmoid, silu, tanh)
from kfharness import DaemonTestCase, dump_tables, f32, fold_in, key_of  # noqa: E402

try:
    import numpy
except ImportError:  # numpy is optional for the client and for these tests
    numpy = None

TOKEN = "client-test-token"


def bits32(x):
    return struct.pack("<f", x)


# ------------------------------------------------------------------ helper-coverage bookkeeping

CALLED = set()
RAN = set()


def _track(cls):
    for name, attr in list(vars(cls).items()):
        if name.startswith("_") or not callable(attr):
            continue

        def make(fn, qual):
            @functools.wraps(fn)
            def wrapper(*a, **kw):
                CALLED.add(qual)
                return fn(*a, **kw)
            return wrapper
        setattr(cls, name, make(attr, "%s.%s" % (cls.__name__, name)))


_track(KeyfoldClient)
_track(kc.SessionHandle)


def expected_helpers():
    names = set()
    for cls in (KeyfoldClient, kc.SessionHandle):
        for name, attr in vars(cls).items():
            if not name.startswith("_") and callable(attr):
                names.add("%s.%s" % (cls.__name__, name))
    return names


class Tracked(DaemonTestCase):
    def setUp(self):
        RAN.add(self.id())


# ---------------------------------------------------------------------------- no daemon needed

class ValuesTest(unittest.TestCase):
    """Tensor decoding and nesting, float32 formatting, error mapping, specs."""

    def test_tensor_decoding(self):
        t = Tensor.from_json({"shape": [5], "dtype": "float32",
                              "data": [0.947667, "NaN", "Infinity", "-Infinity", 1e-45]})
        self.assertEqual(bits32(t.data[0]), bits32(0.947667))
        self.assertEqual(t.data[0], f32(0.947667))        # the exact float32 value
        self.assertTrue(math.isnan(t.data[1]))
        self.assertEqual(t.data[2:4], [math.inf, -math.inf])
        self.assertEqual(t.data[4], f32(1e-45))
        self.assertEqual(t.to_json()["data"][1:4], ["NaN", "Infinity", "-Infinity"])
        u = Tensor.from_json({"shape": [2], "dtype": "uint64",
                              "data": ["18446744073709551615", "0"]})
        self.assertEqual(u.data, [2 ** 64 - 1, 0])
        self.assertEqual(u.to_json()["data"], ["18446744073709551615", "0"])
        b = Tensor.from_json({"shape": [2], "dtype": "bool", "data": [True, False]})
        self.assertEqual(b.data, [True, False])

    def test_tolist_nests_by_shape(self):
        t = Tensor([2, 3], "int32", [0, 1, 2, 3, 4, 5])
        self.assertEqual(t.tolist(), [[0, 1, 2], [3, 4, 5]])
        self.assertEqual(Tensor([2, 1, 2], "int32", [0, 1, 2, 3]).tolist(), [[[0, 1]], [[2, 3]]])
        self.assertEqual(Tensor([], "float32", [1.5]).tolist(), 1.5)
        self.assertEqual(Tensor([2, 0], "float32", []).tolist(), [[], []])
        self.assertEqual(Tensor([0, 3], "float32", []).tolist(), [])
        self.assertEqual((t.size, t.ndim), (6, 2))

    @unittest.skipIf(numpy is None, "numpy is not installed (it is optional)")
    def test_to_numpy(self):
        t = Tensor.from_json({"shape": [2, 2], "dtype": "float32",
                              "data": [0.947667, 0.9785799, 0.33229148, -2.6912866]})
        a = t.to_numpy()
        self.assertEqual(a.dtype, numpy.float32)
        self.assertEqual(a.shape, (2, 2))
        self.assertEqual(a[0, 0], numpy.float32(0.947667))
        self.assertEqual(a.tolist(), t.tolist())
        u = Tensor([1], "uint64", [2 ** 64 - 1]).to_numpy()
        self.assertEqual((u.dtype, int(u[0])), (numpy.uint64, 2 ** 64 - 1))
        self.assertEqual(Tensor([2], "bool", [True, False]).to_numpy().tolist(), [True, False])

    def test_format_float32(self):
        for x, text in [(0.947667, "0.947667"), (-2.6912866, "-2.6912866"), (1e-45, "1e-45"),
                        (0.1, "0.1"), (3.0, "3.0"), (0.0, "0.0")]:
            self.assertEqual(kc.format_float32(f32(x)), text)
        self.assertEqual(repr(Tensor([1], "float32", [f32(0.1)])),
                         "Tensor(shape=[1], dtype='float32', data=[0.1])")

    def test_error_classes_match_the_daemon(self):
        """One exception class per code of the daemon's error table
        (`keyfoldd --dump-tables`), with its status, and no other."""
        table = {e["code"]: e["status"] for e in dump_tables()["errors"]}
        self.assertTrue(table)
        classes = {cls.CODE: cls for cls in KeyfoldError.__subclasses__() if cls.STATUS is not None}
        self.assertEqual(sorted(classes), sorted(table))
        for code, status in table.items():
            with self.subTest(code=code):
                cls = classes[code]
                self.assertEqual(cls.STATUS, status)
                self.assertIn(cls.__name__, kc.__all__)
                self.assertIn("%d ``%s``" % (status, code), cls.__doc__)

    def test_client_covers_the_daemon_tables(self):
        """A method per random operation (key is random_key), an init.<name>
        spec per initializer name, a KeyfoldClient.init_<name> per canonical
        one, and a builder per layer type of `keyfoldd --dump-tables`."""
        tables = dump_tables()
        for op in tables["operations"]:
            method = "random_key" if op["name"] == "key" else op["name"]
            self.assertTrue(callable(getattr(KeyfoldClient, method, None)), method)
        # the generic path: KeyfoldClient.random(op) answers a Tensor exactly for the tensor ops
        self.assertEqual(set(kc._KEY_OPERATIONS),
                         {op["name"] for op in tables["operations"] if op["random"] and not op["tensor"]})
        for i in tables["initializers"]:
            self.assertTrue(callable(getattr(init, i["name"], None)), "init." + i["name"])
            if i["alias_of"] is None:
                self.assertTrue(callable(getattr(KeyfoldClient, "init_" + i["name"], None)), i["name"])
        for layer in tables["layers"]:
            build = getattr(kc, layer["type"], None)
            self.assertTrue(callable(build), layer["type"])
            if layer["fields"] == ["type"]:  # an activation: nothing but its type
                self.assertEqual(build().to_json(), {"type": layer["type"]})

    def test_error_mapping(self):
        for code, status in ((e["code"], e["status"]) for e in dump_tables()["errors"]):
            cls = next(c for c in KeyfoldError.__subclasses__() if c.CODE == code)
            body = json.dumps({"error": {"code": code, "message": "body.x is wrong"}}).encode()
            e = kc.error_from_response(status, {"Allow": "POST, GET"}, body)
            self.assertIs(type(e), cls, code)
            self.assertEqual((e.status, e.code, e.message), (status, code, "body.x is wrong"))
            self.assertIsInstance(e, KeyfoldError)
            self.assertIn(code, str(e))
        self.assertEqual(kc.error_from_response(405, {"Allow": "POST, GET, HEAD"}, b"{}").allow,
                         ["POST", "GET", "HEAD"])
        # no code: libmicrohttpd's own HTML pages, the Open Inference Protocol's string errors
        e = kc.error_from_response(413, {}, b"<html>too big</html>")
        self.assertIs(type(e), PayloadTooLarge)
        self.assertEqual((e.code, e.message), ("payload_too_large", "<html>too big</html>"))
        e = kc.error_from_response(404, {}, b'{"error": "no model x"}')
        self.assertEqual((type(e), e.message), (NotFound, "no model x"))
        e = kc.error_from_response(431, {}, b"")
        self.assertEqual((type(e), e.code), (KeyfoldError, "http_431"))
        e = kc.error_from_response(409, {}, b"")
        self.assertIs(type(e), KeyfoldError)  # 409 without a code is ambiguous

    def test_layer_and_initializer_specs(self):
        self.assertEqual(linear(2, 3).to_json(), {
            "type": "linear", "in_features": 2, "out_features": 3, "use_bias": True,
            "kernel_init": "lecun_normal", "bias_init": "zeros"})
        self.assertEqual(dropout(0.5, broadcast_dims=[0]).to_json(), {
            "type": "dropout", "rate": 0.5, "rng_collection": "dropout", "broadcast_dims": [0],
            "deterministic": False})
        self.assertEqual([f().to_json() for f in (relu, tanh, sigmoid, silu, kc.softplus, kc.flatten)],
                         [{"type": t} for t in ("relu", "tanh", "sigmoid", "silu", "softplus", "flatten")])
        self.assertEqual(gelu().to_json(), {"type": "gelu", "approximate": True})
        self.assertEqual(gelu(False, name="act").to_json(), {"type": "gelu", "name": "act", "approximate": False})
        self.assertEqual(linear(2, 3, name="head").to_json(), {
            "type": "linear", "name": "head", "in_features": 2, "out_features": 3, "use_bias": True,
            "kernel_init": "lecun_normal", "bias_init": "zeros"})
        # Sizes, axes and windows as the daemon echoes them: lists, one entry per spatial axis.
        self.assertEqual(kc.conv(1, 4, 3, strides=2, padding=1).to_json(), {
            "type": "conv", "in_features": 1, "out_features": 4, "kernel_size": [3], "strides": [2],
            "padding": [[1, 1]], "input_dilation": [1], "kernel_dilation": [1], "feature_group_count": 1,
            "use_bias": True, "kernel_init": "lecun_normal", "bias_init": "zeros"})
        self.assertEqual(kc.conv_transpose(2, 3, (3, 3), padding=[1, (0, 2)]).to_json()["padding"],
                         [[1, 1], [0, 2]])
        self.assertEqual(kc.avg_pool((2, 2)).to_json(), {"type": "avg_pool", "window_shape": [2, 2],
                                                         "strides": [1, 1], "padding": "VALID"})
        self.assertEqual(kc.linear_general((3, 4), 5).to_json()["axis"], [-2, -1])
        self.assertEqual(kc.einsum("bi, io->bo", (4, 5)).to_json()["einsum_str"], "bi,io->bo")
        self.assertEqual(kc.group_norm(8, group_size=2).to_json()["num_groups"], None)
        self.assertEqual(kc.multi_head_attention(2, 8).to_json()["qkv_features"], 8)
        self.assertEqual(kc.reshape(-1).to_json(), {"type": "reshape", "shape": [-1]})
        self.assertEqual(kc.repeat(2, relu(), name="blocks").to_json(),
                         {"type": "repeat", "name": "blocks", "count": 2, "layers": [{"type": "relu"}]})
        self.assertEqual(kc.sequential(relu(), {"type": "tanh"}).to_json(),
                         {"type": "sequential", "layers": [{"type": "relu"}, {"type": "tanh"}]})
        self.assertEqual(kc.residual(linear(2, 2)).to_json()["layers"], [linear(2, 2).to_json()])
        self.assertEqual(init.uniform(scale=1.0).to_json(), {"name": "uniform", "scale": 1.0})
        self.assertEqual(init.he_uniform().to_json(), "he_uniform")
        self.assertEqual(init.xavier_normal().to_json(), "glorot_normal")
        self.assertEqual(kc.model(linear(1, 1), {"type": "relu"}),
                         {"layers": [linear(1, 1).to_json(), {"type": "relu"}]})

    def test_url_and_token_from_the_environment(self):
        with mock.patch.dict(os.environ, {"KEYFOLD_URL": "http://example.invalid:1234/kf",
                                          "KEYFOLD_TOKEN": "t0k"}):
            c = KeyfoldClient()
            self.assertEqual((c.url, c.token), ("http://example.invalid:1234/kf", "t0k"))
            self.assertEqual(KeyfoldClient(token="x").token, "x")
        with mock.patch.dict(os.environ, {}, clear=True):
            c = KeyfoldClient()
            self.assertEqual((c.url, c.token, c.timeout), (kc.DEFAULT_URL, None, 30.0))
        self.assertEqual(KeyfoldClient("127.0.0.1:9", timeout=2).url, "http://127.0.0.1:9")
        with self.assertRaises(ValueError):
            KeyfoldClient("ftp://host")

    def test_unreachable_daemon(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()  # nothing listens there now
        with KeyfoldClient("http://127.0.0.1:%d" % port, timeout=5) as c:
            with self.assertRaises(KeyfoldConnectionError) as cm:
                c.health_live()
            self.assertIsInstance(cm.exception, ConnectionError)
            self.assertIsNone(cm.exception.status)
            with self.assertRaises(KeyfoldConnectionError):
                c.wait_ready(timeout=0.2)


# ------------------------------------------------------------------------ the default daemon

class ClientTest(Tracked):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kf = KeyfoldClient(cls.d.base)

    @classmethod
    def tearDownClass(cls):
        cls.kf.close()
        super().tearDownClass()

    def raw(self, path, body=None, method=None):
        if method == "GET" or (method is None and body is None):
            s, b = self.d.get(path)
        else:
            s, b = self.d.post(path, body)
        self.assertLess(s, 300, (path, body, b))
        return b

    def assertTensorIsRaw(self, t, raw):
        """The client's Tensor holds exactly what the raw JSON says."""
        self.assertIsInstance(t, Tensor)
        self.assertEqual((t.shape, t.dtype), (raw["shape"], raw["dtype"]))
        if raw["dtype"] == "float32":
            self.assertEqual([bits32(x) for x in t.data], [bits32(x) for x in raw["data"]])
            # and the client's shortest form is the daemon's text
            self.assertEqual([kc.format_float32(x) for x in t.data], [repr(x) for x in raw["data"]])
        elif raw["dtype"] == "uint64":
            self.assertEqual(t.data, [int(x) for x in raw["data"]])
        else:
            self.assertEqual(t.data, raw["data"])

    # -------------------------------------------------------- known JAX values

    def test_known_jax_values(self):
        kf = self.kf
        u = kf.uniform([0, 0], [3])
        self.assertEqual([bits32(x) for x in u.data],
                         [bits32(x) for x in (0.947667, 0.9785799, 0.33229148)])
        self.assertEqual(kf.random_key(42), [0, 42])
        self.assertEqual(kf.fold_in([0, 42], 0), [1832780943, 270669613])
        k = kf.fold_in(kf.random_key(42), 0)
        w = kf.init_lecun_normal(k, (4, 2))
        expected = [[0.04119061, -0.2629074], [0.6772455, 0.2807398],
                    [0.16276604, 0.16813846], [0.310975, -0.43336964]]
        self.assertEqual(w.shape, [4, 2])
        self.assertEqual([[bits32(x) for x in row] for row in w.tolist()],
                         [[bits32(x) for x in row] for row in expected])
        self.assertEqual(kf.normal([0, 42], 3).data,
                         [f32(x) for x in (-0.028304616, 0.46713185, 0.29570296)])
        self.assertEqual(kf.random_key(-1), [0, 4294967295])
        self.assertEqual(kf.random_key([7, 8]), [7, 8])

    # ------------------------------------------------------- stateless random

    def test_stateless_random_equals_raw(self):
        kf, key = self.kf, [0, 42]
        self.assertEqual(kf.random_key(12345), self.raw("/v1/random/key", {"seed": 12345})["key"])
        self.assertEqual(kf.fold_in(key, 7), self.raw("/v1/random/fold_in", {"key": key, "data": 7})["key"])
        self.assertEqual(kf.fold_in(key, 7), fold_in(key, 7))
        self.assertEqual(kf.split(key), self.raw("/v1/random/split", {"key": key})["keys"])
        self.assertEqual(kf.split(key, 3), [fold_in(key, i) for i in range(3)])
        self.assertEqual(kf.split(key, (2, 2)),
                         self.raw("/v1/random/split", {"key": key, "num": [2, 2]})["keys"])
        cases = [
            ("bits", kf.bits(key, [4]), {"shape": [4]}),
            ("bits", kf.bits(key, [3], bit_width=8), {"shape": [3], "bit_width": 8}),
            ("bits", kf.bits(key, [3], 16), {"shape": [3], "bit_width": 16}),
            ("bits", kf.bits(key, [2, 2], 64), {"shape": [2, 2], "bit_width": 64}),
            ("uniform", kf.uniform(key, [5]), {"shape": [5]}),
            ("uniform", kf.uniform(key, [2, 3], minval=-2.5, maxval=4.0),
             {"shape": [2, 3], "minval": -2.5, "maxval": 4.0}),
            ("uniform", kf.uniform(key), {}),
            ("normal", kf.normal(key, [2, 2]), {"shape": [2, 2]}),
            ("truncated_normal", kf.truncated_normal(key, -1.0, 1.5, [6]),
             {"shape": [6], "lower": -1.0, "upper": 1.5}),
            ("bernoulli", kf.bernoulli(key, shape=[8]), {"shape": [8]}),
            ("bernoulli", kf.bernoulli(key, 0.9, [8]), {"shape": [8], "p": 0.9}),
            ("randint", kf.randint(key, [6], -5, 100), {"shape": [6], "minval": -5, "maxval": 100}),
            ("exponential", kf.exponential(key, [3]), {"shape": [3]}),
            ("gumbel", kf.gumbel(key, [3], mode="highest"), {"shape": [3], "mode": "highest"}),
            ("laplace", kf.laplace(key, [3]), {"shape": [3]}),
            ("logistic", kf.logistic(key, [3]), {"shape": [3]}),
            ("cauchy", kf.cauchy(key, [3]), {"shape": [3]}),
            ("pareto", kf.pareto(key, [1.0, 2.0]), {"b": [1.0, 2.0]}),
            ("weibull_min", kf.weibull_min(key, [[1.0], [2.0]], 1.5, [3]),
             {"scale": [[1.0], [2.0]], "concentration": 1.5, "shape": [3]}),
            ("rayleigh", kf.rayleigh(key, 2.0, [3]), {"scale": 2.0, "shape": [3]}),
            ("geometric", kf.geometric(key, [0.2, 0.7]), {"p": [0.2, 0.7]}),
            ("triangular", kf.triangular(key, 0.0, 1.0, [2.0, 3.0]),
             {"left": 0.0, "mode": 1.0, "right": [2.0, 3.0]}),
            ("lognormal", kf.lognormal(key, shape=[3]), {"shape": [3]}),
            ("maxwell", kf.maxwell(key, [3]), {"shape": [3]}),
            ("double_sided_maxwell", kf.double_sided_maxwell(key, [0.0, 1.0], 2.0, [2]),
             {"loc": [0.0, 1.0], "scale": 2.0, "shape": [2]}),
            ("rademacher", kf.rademacher(key, [5]), {"shape": [5]}),
            ("gamma", kf.gamma(key, [0.5, 3.0]), {"a": [0.5, 3.0]}),
            ("gamma", kf.gamma(key, 3.0, [4], rsqrt="sqrt-div"), {"a": 3.0, "shape": [4], "rsqrt": "sqrt-div"}),
            ("loggamma", kf.loggamma(key, 0.8, [3]), {"a": 0.8, "shape": [3]}),
            ("beta", kf.beta(key, [1.0, 2.0], 0.5), {"a": [1.0, 2.0], "b": 0.5}),
            ("chisquare", kf.chisquare(key, 3.0, [3]), {"df": 3.0, "shape": [3]}),
            ("t", kf.t(key, [5.0, 1.0]), {"df": [5.0, 1.0]}),
            ("f", kf.f(key, 3.0, 7.0, [2]), {"dfnum": 3.0, "dfden": 7.0, "shape": [2]}),
            ("generalized_normal", kf.generalized_normal(key, 1.5, [3]), {"p": 1.5, "shape": [3]}),
            ("dirichlet", kf.dirichlet(key, [1.0, 2.0, 3.0], [2]), {"alpha": [1.0, 2.0, 3.0], "shape": [2]}),
            ("ball", kf.ball(key, 3, shape=[2]), {"d": 3, "p": 2.0, "shape": [2]}),
            ("wald", kf.wald(key, [1.0, 2.0]), {"mean": [1.0, 2.0]}),
            ("poisson", kf.poisson(key, 4.0, [3]), {"lam": 4.0, "shape": [3]}),
            ("binomial", kf.binomial(key, 20.0, [0.3, 0.6]), {"n": 20.0, "p": [0.3, 0.6]}),
            ("categorical", kf.categorical(key, [[0.0, 1.0, 2.0]], axis=1, shape=[4, 1], replace=True,
                                           mode="high"),
             {"logits": [[0.0, 1.0, 2.0]], "axis": 1, "shape": [4, 1], "replace": True, "mode": "high"}),
            ("choice", kf.choice(key, [[1, 2, 3], [4, 5, 6]], [2], replace=False, p=[0.5, 0.2, 0.3], axis=1),
             {"a": [[1, 2, 3], [4, 5, 6]], "shape": [2], "replace": False, "p": [0.5, 0.2, 0.3], "axis": 1}),
            ("multinomial", kf.multinomial(key, 10.0, [0.2, 0.8], [3, 2]),
             {"n": 10.0, "p": [0.2, 0.8], "shape": [3, 2]}),
            ("multivariate_normal", kf.multivariate_normal(key, [0.0, 1.0], [[2.0, 0.5], [0.5, 1.0]], [3]),
             {"mean": [0.0, 1.0], "cov": [[2.0, 0.5], [0.5, 1.0]], "shape": [3]}),
            ("orthogonal", kf.orthogonal(key, 3, [2], m=2), {"n": 3, "shape": [2], "m": 2}),
        ]
        for op, t, body in cases:
            with self.subTest(op=op, body=body):
                self.assertTensorIsRaw(t, self.raw("/v1/random/" + op, dict(body, key=key)))
        p = kf.permutation(key, 10)
        self.assertTensorIsRaw(p, self.raw("/v1/random/permutation", {"key": key, "n": 10}))
        self.assertEqual(sorted(p.data), list(range(10)))
        self.assertEqual(kf.uniform(key).shape, [])

    def test_categorical_choice_multinomial_are_jax_draws(self):
        """Values jax/jaxlib 0.10.2 printed (tests/vectors/jax-oracle-flax-0.12.json:
        sample/partitionable/{categorical/key(42)/[5],axis=-1/[]/low,
        choice/key(42)/a=5/[5]/replace=False/p=False, multinomial/key(42)/[2, 3]/unnormalized})."""
        kf = self.kf
        logits = [-1.053829312324524, 0.7352650165557861, 0.07106538116931915, 1.6709394454956055,
                  1.2498407363891602]
        self.assertEqual(kf.categorical([0, 42], logits).data, [3])
        self.assertEqual(kf.choice([0, 42], 5, [5], replace=False).data, [4, 2, 3, 0, 1])
        t = kf.multinomial([0, 42], 100.0, [1.0, 2.0, 3.0], [2, 3])
        self.assertEqual((t.shape, t.data), ([2, 3], [16.0, 36.0, 48.0, 11.0, 36.0, 53.0]))

    def test_params_state_and_safetensors(self):
        """?format=state nests the /params tensors by path; load_safetensors reads the file
        (without numpy) into the same tensors, named by dotted path."""
        kf = self.kf
        kf.create_session("cl-st", {"params": 2}, kc.model(embed(4, 3), linear(3, 2), relu(),
                                                       linear(2, 1, use_bias=False)))
        h = kf.session("cl-st")
        layers = kf.params("cl-st")
        state = h.params_state()
        self.assertEqual(state, {"layers": {str(i): layer for i, layer in enumerate(layers) if layer}})
        blob = h.params_safetensors()
        self.assertEqual(blob, kf.params_safetensors("cl-st"))
        self.assertEqual(kf.params_state("cl-st"), state)
        got = kc.load_safetensors(blob)
        self.assertEqual(got, {"layers.%d.%s" % (i, k): t for i, layer in enumerate(layers)
                               for k, t in layer.items()})
        self.assertEqual(kc.safetensors_metadata(blob), {"format": "keyfold", "session": "cl-st",
                                                          "flax": "0.10"})
        with self.assertRaises(ValueError):
            kc.load_safetensors(blob[:20])
        with self.assertRaises(ValueError):
            kc.load_safetensors(b"\x02\0\0\0\0\0\0\0[]")
        if numpy is not None:  # the file as NumPy reads it: a header and raw little-endian data
            (n,) = numpy.frombuffer(blob[:8], "<u8")
            header = json.loads(blob[8:8 + int(n)])
            b, e = header["layers.1.kernel"]["data_offsets"]
            arr = numpy.frombuffer(blob[8 + int(n) + b:8 + int(n) + e], "<f4").reshape(2, 3)
            self.assertEqual(arr.reshape(-1).tolist(), layers[1]["kernel"].data)

    def test_generic_random_and_array_parameters(self):
        """random(op, key, **params) is POST /v1/random/{op} with JAX's parameter names; array
        parameters go as nested lists, Tensors or numpy arrays, and broadcast as in JAX."""
        kf, key = self.kf, [0, 42]
        ops = kf.random_operations()
        self.assertEqual(ops, dump_tables()["operations"])
        self.assertEqual(kf.random("key", seed=7), {"key": [0, 7]})
        self.assertEqual(kf.random("split", key, num=2)["keys"], kf.split(key))
        body = {"shape": [2, 3], "minval": [0, 10, 100], "maxval": [[1], [200]]}
        raw = self.raw("/v1/random/uniform", dict(body, key=key))
        self.assertTensorIsRaw(kf.random("uniform", key, **body), raw)
        self.assertTensorIsRaw(kf.random("uniform", key, shape=(2, 3), minval=(0, 10, 100),
                                         maxval=Tensor([2, 1], "float32", [1.0, 200.0])), raw)
        self.assertTensorIsRaw(kf.uniform(key, (2, 3), [0, 10, 100], [[1], [200]]), raw)
        t = kf.random("truncated_normal", key, lower=[-1, 0], upper=[[1], [2], [3]], threefry="legacy")
        self.assertTensorIsRaw(t, self.raw("/v1/random/truncated_normal",
                                           {"key": key, "lower": [-1, 0], "upper": [[1], [2], [3]],
                                            "threefry": "legacy"}))
        self.assertEqual(kf.truncated_normal(key, [-1, 0], [[1], [2], [3]], None, "legacy"), t)
        b = kf.random("bernoulli", key, p=[[0.1], [1e-8]], shape=[2, 4], mode="high")
        self.assertTensorIsRaw(b, self.raw("/v1/random/bernoulli", {"key": key, "p": [[0.1], [1e-8]],
                                                                    "shape": [2, 4], "mode": "high"}))
        self.assertEqual(kf.bernoulli(key, [0.2, 0.8], None).shape, [2])
        r = kf.randint(key, (2, 2), [0, 10], [[5], [20]])
        self.assertTensorIsRaw(r, self.raw("/v1/random/randint", {"key": key, "shape": [2, 2],
                                                                  "minval": [0, 10], "maxval": [[5], [20]]}))
        if numpy is not None:
            lo = numpy.array([0, 10, 100], numpy.float32)
            self.assertTensorIsRaw(kf.random("uniform", key, shape=numpy.array([2, 3]).tolist(),
                                             minval=lo, maxval=numpy.array([[1.0], [200.0]])), raw)
            self.assertTensorIsRaw(kf.random("uniform", key, shape=(2, 3), minval=lo,
                                             maxval=numpy.float32(1e3)),
                                   self.raw("/v1/random/uniform", {"key": key, "shape": [2, 3],
                                                                   "minval": [0, 10, 100], "maxval": 1e3}))
            self.assertEqual(kf.randint(key, (2, 2), numpy.array([0, 10]), numpy.array([[5], [20]])), r)
        with self.assertRaises(InvalidArgument) as e:
            kf.random("bernoulli", key, p=[0.5, 0.5], shape=[3, 1])
        self.assertIn("bernoulli parameter shapes must be broadcast-compatible", e.exception.message)
        with self.assertRaises(NotFound):
            kf.random("orthonormal", key)
        # sessions: the same parameters, the key from the stream
        kf.create_session("arrays", rngs={"default": 5})
        try:
            s = kf.sample("arrays", "uniform", (2, 3), minval=[0, 10, 100], maxval=[[1], [200]])
            self.assertTensorIsRaw(s, self.raw("/v1/random/uniform", dict(body, key=s.key)))
            s2 = kf.session("arrays").sample("bernoulli", None, p=[0.1, 0.9], mode="high")
            self.assertEqual((s2.shape, s2.count), ([2], 1))
        finally:
            kf.delete_session("arrays")

    def test_uint64_bits_are_ints(self):
        t = self.kf.bits([0, 1], [3], 64)
        self.assertEqual(t.dtype, "uint64")
        self.assertEqual(t.data, [2179487362436112514, 8370371427069427784, 10487943526538222699])
        self.assertTrue(all(type(x) is int for x in t.data))
        self.assertGreater(max(t.data), 2 ** 63)  # beyond what a double or an int64 holds

    def test_legacy_threefry(self):
        kf = self.kf
        legacy = kf.uniform([0, 42], [2, 3], threefry="legacy")
        self.assertEqual(legacy.data, [f32(x) for x in (0.7298188, 0.8691938, 0.87230015,
                                                        0.20818567, 0.18662417, 0.5502256)])
        self.assertNotEqual(legacy.data, kf.uniform([0, 42], [2, 3]).data)
        with KeyfoldClient(self.d.base, threefry="legacy") as legacy_client:
            self.assertEqual(legacy_client.uniform([0, 42], [2, 3]), legacy)
            s = legacy_client.create_session("legacy-default", rngs={"default": 1})
            self.assertEqual(s.options["threefry"], "legacy")
            legacy_client.delete_session("legacy-default")
        self.assertEqual(kf.split([0, 42], 3, threefry="legacy"),
                         self.raw("/v1/random/split", {"key": [0, 42], "num": 3, "threefry": "legacy"})["keys"])

    # -------------------------------------------------------------- initializers

    def test_every_initializer_equals_raw(self):
        kf, key, shape = self.kf, [1797259609, 2579123966], [2, 3]
        plain = {"zeros": kf.init_zeros, "ones": kf.init_ones, "lecun_normal": kf.init_lecun_normal,
                 "lecun_uniform": kf.init_lecun_uniform, "glorot_normal": kf.init_glorot_normal,
                 "glorot_uniform": kf.init_glorot_uniform, "he_normal": kf.init_he_normal,
                 "he_uniform": kf.init_he_uniform}
        for name, fn in plain.items():
            with self.subTest(name=name):
                self.assertTensorIsRaw(fn(key, shape), self.raw("/v1/init/" + name, {"key": key, "shape": shape}))
        for alias in ("xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform"):
            with self.subTest(alias=alias):
                self.assertTensorIsRaw(kf.initialize(alias, key, shape),
                                       self.raw("/v1/init/" + alias, {"key": key, "shape": shape}))
        self.assertEqual(kf.init_lecun_normal(key, shape).data,
                         [f32(x) for x in (0.7567299, -0.68570054, -0.5688337, -0.8757605,
                                           -0.65994275, 0.44935086)])
        with_params = [
            (kf.init_constant(key, shape, 3.0), "constant", {"value": 3.0}),
            (kf.init_constant(key, shape), "constant", {}),
            (kf.init_normal(key, shape, stddev=0.5), "normal", {"stddev": 0.5}),
            (kf.init_normal(key, shape), "normal", {}),
            (kf.init_uniform(key, shape, scale=2.0), "uniform", {"scale": 2.0}),
            (kf.init_truncated_normal(key, shape, stddev=0.5, lower=-1, upper=1), "truncated_normal",
             {"stddev": 0.5, "lower": -1, "upper": 1}),
            (kf.init_truncated_normal(key, shape), "truncated_normal", {}),
            (kf.init_variance_scaling(key, shape, scale=2.0, mode="fan_avg", distribution="uniform",
                                      in_axis=0, out_axis=1), "variance_scaling",
             {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform", "in_axis": 0, "out_axis": 1}),
            (kf.init_variance_scaling(key, shape), "variance_scaling", {}),
            (kf.initialize(init.uniform(scale=1.0), key, shape), "uniform", {"scale": 1.0}),
            (kf.initialize({"name": "normal", "stddev": 3.0}, key, shape), "normal", {"stddev": 3.0}),
            (kf.initialize(init.variance_scaling(0.5, "fan_out", "normal"), key, shape),
             "variance_scaling", {"scale": 0.5, "mode": "fan_out", "distribution": "normal"}),
        ]
        for t, name, params in with_params:
            with self.subTest(name=name, params=params):
                self.assertTensorIsRaw(t, self.raw("/v1/init/" + name, dict(params, key=key, shape=shape)))
        self.assertEqual(kf.init_constant(key, [2], 3.0).data, [3.0, 3.0])

    # ------------------------------------------------------------------ sessions

    def test_design_session(self):
        """The design documents' Linear(2, 3) + Dropout(0.5), nnx.Rngs(params=0, dropout=42)."""
        kf = self.kf
        layers = [linear(2, 3), dropout(0.5)]
        s = kf.create_session("exp1", rngs={"params": 0, "dropout": 42}, model=layers)
        self.assertEqual(s.name, "exp1")
        self.assertEqual({k: (v.key, v.count) for k, v in s.rngs.items()},
                         {"params": ([0, 0], 2), "dropout": ([0, 42], 0)})
        self.assertEqual(s.model.layers, [x.to_json() for x in layers])  # echo = builder output
        self.assertEqual(s.model.params[0]["kernel"], kc.ParamSpec([2, 3], "float32"))
        self.assertEqual(s.model.params[1], {})
        self.assertEqual(s.options, {"threefry": "partitionable", "flax": "0.10"})
        raw = self.raw("/v1/sessions/exp1")
        self.assertEqual(s.raw, raw)
        self.assertEqual(kf.get_session("exp1"), s)
        self.assertIn("exp1", kf.list_sessions())
        self.assertEqual(kf.list_sessions(), self.raw("/v1/sessions")["sessions"])
        # Pages: one name per request, and a prefix.
        self.assertEqual(list(kf.iter_sessions(page_size=1)), kf.list_sessions())
        self.assertEqual(kf.list_sessions(prefix="exp"), [n for n in kf.list_sessions() if n.startswith("exp")])

        d = kf.keys("exp1", "params", n=2)
        self.assertEqual((d.stream, d.source, d.counts), ("params", "params", [2, 3]))
        self.assertEqual(d.keys, [[4146024105, 2718843009], [2467461003, 3840466878]])
        self.assertEqual(d.keys, [fold_in(key_of(0), c) for c in (2, 3)])

        y1 = kf.forward("exp1", [[1.0, 1.0]])
        self.assertEqual((y1.shape, y1.dtype), ([1, 3], "float32"))
        self.assertEqual(y1.data, [0.0, f32(-2.6912866), 0.0])
        s2 = kf.reseed("exp1", dropout=42)
        self.assertEqual({k: (v.key, v.count) for k, v in s2.rngs.items()},
                         {"params": ([0, 0], 4), "dropout": ([0, 42], 0)})
        y2 = kf.forward("exp1", [[1.0, 1.0]])
        self.assertEqual(y1, y2)
        self.assertEqual(kf.forward("exp1", [[1.0, 1.0]], deterministic=True).data,
                         kf.forward("exp1", [[1.0, 1.0]], deterministic=True).data)
        self.assertEqual(kf.get_session("exp1").rngs["dropout"].count, 1)  # eval draws nothing

        params = kf.params("exp1")
        raw_params = self.raw("/v1/sessions/exp1/params")["params"]
        self.assertEqual(len(params), 2)
        self.assertEqual(params[1], {})
        for name in ("kernel", "bias"):
            self.assertTensorIsRaw(params[0][name], raw_params[0][name])
        self.assertEqual(params[0]["kernel"].tolist(),
                         [[f32(x) for x in row] for row in
                          [[0.7567299, -0.68570054, -0.5688337], [-0.8757605, -0.65994275, 0.44935086]]])
        self.assertEqual(params[0]["kernel"], kf.init_lecun_normal(fold_in(key_of(0), 0), [2, 3]))

        kf.reseed("exp1", {"params": [0, 7]})
        self.assertEqual(kf.get_session("exp1").rngs["params"], kc.StreamState([0, 7], 0))
        kf.delete_session("exp1")
        self.assertNotIn("exp1", kf.list_sessions())
        with self.assertRaises(NotFound):
            kf.get_session("exp1")

    def test_fallback_and_sample_every_distribution(self):
        kf = self.kf
        kf.create_session("flax-doc", rngs={"default": 100, "params": 42})
        d = kf.keys("flax-doc", "dropout")
        self.assertEqual((d.stream, d.source, d.counts, d.keys),
                         ("dropout", "default", [0], [[701046466, 2104227382]]))
        self.assertEqual(kf.keys("flax-doc").counts, [1])  # r() shares the counter
        cases = [("bits", {"bit_width": 64}), ("bits", {}), ("uniform", {"minval": -1.0, "maxval": 2.0}),
                 ("normal", {}), ("truncated_normal", {"lower": -0.5, "upper": 0.5}),
                 ("bernoulli", {"p": 0.25}), ("randint", {"minval": 3, "maxval": 9})]
        stateless = {"bits": kf.bits, "uniform": kf.uniform, "normal": kf.normal,
                     "truncated_normal": kf.truncated_normal, "bernoulli": kf.bernoulli,
                     "randint": kf.randint}
        for i, (dist, params) in enumerate(cases):
            with self.subTest(dist=dist):
                count = kf.get_session("flax-doc").rngs["params"].count
                s = kf.sample("flax-doc", dist, [4], stream="params", **params)
                self.assertEqual((s.count, s.stream, s.source), (count, "params", "params"))
                self.assertEqual(s.key, fold_in(key_of(42), count))
                body = dict(params, key=s.key, shape=[4])
                self.assertTensorIsRaw(s, self.raw("/v1/random/" + dist, body))
                if dist == "truncated_normal":
                    direct = kf.truncated_normal(s.key, params["lower"], params["upper"], [4])
                elif dist == "randint":
                    direct = kf.randint(s.key, [4], params["minval"], params["maxval"])
                else:
                    direct = stateless[dist](s.key, shape=[4], **params)
                self.assertEqual(s.tensor(), direct)
        sc = kf.sample("flax-doc", "normal")  # stream default, scalar
        self.assertEqual((sc.shape, sc.source, len(sc.data)), ([], "default", 1))
        kf.delete_session("flax-doc")

    def test_session_handle_and_all_layer_kinds(self):
        kf = self.kf
        layers = [embed(10, 4), linear(4, 3, kernel_init=init.uniform(scale=1.0), bias_init=init.constant(0.5)),
                  gelu(), linear(3, 2, use_bias=False, kernel_init=init.truncated_normal()),
                  relu(), tanh(), sigmoid(), silu(), dropout(0.25, broadcast_dims=[0], deterministic=True)]
        spec = {"rngs": {"default": 3}, "model": {"layers": [x.to_json() for x in layers]}}
        s = kf.create_session("layers-a", rngs={"default": 3}, model=layers)
        self.assertEqual(s.model.layers, spec["model"]["layers"])
        self.assertEqual(s.rngs["default"].count, 4)  # embed 1 + linear 2 + linear 1
        self.raw("/v1/sessions", dict(spec, name="layers-b"))
        h = kf.session("layers-a")
        self.assertEqual(h.get(), s)
        x = [[1, -1, 3], [0, 9, 2]]
        y = h.forward(x)
        self.assertTensorIsRaw(y, self.raw("/v1/sessions/layers-b/forward", {"x": x})["y"])
        self.assertEqual(y.shape, [2, 3, 2])
        self.assertEqual(h.forward(Tensor([6], "int32", [1, -1, 3, 0, 9, 2])).data, y.data)
        if numpy is not None:
            self.assertEqual(h.forward(numpy.array(x, dtype=numpy.int32)), y)
        p = h.params()
        raw_p = self.raw("/v1/sessions/layers-b/params")["params"]
        self.assertEqual([sorted(layer) for layer in p], [sorted(layer) for layer in raw_p])
        for mine, theirs in zip(p, raw_p):
            for name in mine:
                self.assertTensorIsRaw(mine[name], theirs[name])
        self.assertEqual(p[1]["bias"].data, [0.5, 0.5, 0.5])
        d = h.keys(n=3)
        self.assertEqual(d.counts, [4, 5, 6])
        smp = h.sample("uniform", [2], stream="dropout")
        self.assertEqual((smp.source, smp.count), ("default", 7))
        self.assertEqual(h.reseed(default=5).rngs["default"], kc.StreamState([0, 5], 0))
        self.assertEqual(h.reseed({"default": [1, 2]}).rngs["default"].key, [1, 2])
        self.assertIn("layers-a", repr(h))
        h.delete()
        kf.delete_session("layers-b")
        self.assertEqual([n for n in kf.list_sessions() if n.startswith("layers-")], [])

    def test_every_layer_type_and_containers(self):
        """A session with a spec of every builder, nested in containers, Flax 0.12: the daemon
        echoes each spec exactly (plus the streams held, one per block in a repeat); variables,
        params and the nested state agree."""
        kf = self.kf
        block = kc.residual(kc.layer_norm(4, name="norm"),
                            kc.multi_head_attention(2, 4, dropout_rate=0.1, causal=True, name="attn"),
                            dropout(0.1), name="res")
        layers = [
            kc.conv(1, 2, (3, 3), name="conv1"), kc.conv_transpose(2, 2, (3, 3), strides=(2, 1)),
            kc.batch_norm(2, name="bn"), kc.group_norm(2, num_groups=1), kc.max_pool(2, 2, "SAME"),
            kc.avg_pool((1, 1)), kc.flatten(), kc.reshape((-1, 2)), kc.rms_norm(2, use_scale=False),
            kc.linear_general(2, (2, 2)), kc.reshape((2, 4)),
            kc.einsum("bsi,io->bso", (4, 4), (4,)), kc.repeat(2, block, name="blocks"),
            kc.sequential(kc.softmax(), kc.log_softmax(1), kc.elu(0.5), kc.leaky_relu(),
                          kc.softplus(), gelu(False), name="fns"),
            linear(4, 2, name="head")]
        s = kf.create_session("every-kind", rngs={"params": 0, "dropout": 1}, model=layers,
                              flax="0.12")

        def without_streams(node):
            if isinstance(node, list):
                return [without_streams(x) for x in node]
            if isinstance(node, dict):
                return {k: without_streams(v) for k, v in node.items() if k != "rngs"}
            return node
        self.assertEqual(without_streams(s.model.layers), kc.model(*layers)["layers"])
        # Unnamed children are indexed among the unnamed ones (the dropout is res.layers.0); a
        # layer inside the repeat holds one stream per block.
        self.assertEqual(list(s.model_streams),
                         ["blocks.layers.%d.res.%s.rngs" % (i, n) for n in ("attn", "layers.0") for i in range(2)])
        self.assertEqual(s.variables["bn.mean"], kc.VariableSpec("batch_stats", [2], "float32"))
        self.assertEqual(s.variables["blocks.layers.1.res.attn.query.kernel"].shape, [4, 2, 2])
        state = kf.params_state("every-kind")

        def flat(node, prefix=""):
            out = {}
            for k, v in node.items():
                out.update({prefix + k: v} if isinstance(v, Tensor) else flat(v, prefix + k + "."))
            return out
        self.assertEqual({k: (t.shape, t.dtype) for k, t in flat(state).items()},
                         {k: (v.shape, v.dtype) for k, v in s.variables.items()})
        self.assertEqual(sorted(kc.load_safetensors(kf.params_safetensors("every-kind"))), sorted(s.variables))
        self.assertEqual([sorted(p) for p in kf.params("every-kind")], [sorted(p) for p in s.model.params])
        self.assertEqual(kf.session("every-kind").get().variables, s.variables)
        self.assertEqual(kf.create_session("no-model-vars").variables, {})
        kf.delete_session("no-model-vars")
        kf.delete_session("every-kind")

    def test_fork(self):
        kf = self.kf
        kf.create_session("fork-parent", rngs={"params": 0, "dropout": 42})
        kf.keys("fork-parent", "dropout", n=3)
        child = kf.fork("fork-parent", "fork-child", streams=["params", "dropout"], model=[linear(2, 3)])
        self.assertEqual(child.name, "fork-child")
        # Each child key is the parent's next key; the child's model drew kernel and bias.
        self.assertEqual(child.rngs["dropout"].key, kf.fold_in([0, 42], 3))
        self.assertEqual(child.rngs["dropout"].count, 0)
        self.assertEqual(child.rngs["params"].key, kf.fold_in([0, 0], 0))
        self.assertEqual(child.rngs["params"].count, 2)
        parent = kf.get_session("fork-parent")
        self.assertEqual((parent.rngs["params"].count, parent.rngs["dropout"].count), (1, 4))
        grandchild = kf.session("fork-child").fork("fork-grandchild")
        self.assertEqual(grandchild.get().rngs["params"].key, kf.fold_in(child.rngs["params"].key, 2))
        with self.assertRaises(InvalidArgument):
            kf.fork("fork-parent", "fork-bad", streams=["default"])  # no fallback
        for name in ("fork-grandchild", "fork-child", "fork-parent"):
            kf.delete_session(name)

    def test_flax_012_session(self):
        kf = self.kf
        s = kf.create_session("era12", rngs={"default": 0}, model=[linear(3, 4), dropout(0.5)],
                              options={"flax": "0.12"})
        self.assertEqual(s.options["flax"], "0.12")
        self.assertEqual(s.model_streams, {"layers.1.rngs": ("default", kc.StreamState(fold_in([0, 0], 2), 0))})
        x = [[1.0, 1.0, 1.0]]
        r = kf.reseed("era12", default=9, target="model", policy="scalars_only")
        self.assertEqual(r.model_streams["layers.1.rngs"][1], kc.StreamState(fold_in([0, 9], 0), 0))
        self.assertEqual(r.rngs["default"].count, 3)  # the session's own stream: untouched
        y1 = kf.forward("era12", x)
        self.assertEqual(kf.get_session("era12").model_streams["layers.1.rngs"][1].count, 1)
        kf.reseed("era12", default=9, target="model")
        self.assertEqual(kf.forward("era12", x).data, y1.data)
        with self.assertRaises(InvalidArgument):
            kf.reseed("era12", params=1, target="model")
        # A stream called "target" goes in the mapping; the keyword is the reseed's target.
        with self.assertRaises(InvalidArgument):
            kf.reseed("era12", {"target": 1}, target="rngs")
        h = kf.session("era12")
        self.assertEqual(h.reseed(default=0, target="rngs").rngs["default"], kc.StreamState(fold_in([0, 0], 0), 0))
        kf.delete_session("era12")

    def test_keyless_initializer(self):
        kf = self.kf
        kf.create_session("keyless", rngs={"params": 0})
        got = kf.sample_init("keyless", "lecun_normal", (2, 3), stream="params")
        self.assertEqual((got.key, got.count, got.source), (kf.fold_in([0, 0], 0), 0, "params"))
        self.assertEqual(got.data, kf.init_lecun_normal(got.key, (2, 3)).data)
        again = kf.sample_init("keyless", "variance_scaling", (3, 4), stream="params", scale=2.0,
                               distribution="uniform")
        self.assertEqual(again.count, 1)
        kf.delete_session("keyless")

    def test_float_inputs(self):
        kf = self.kf
        kf.create_session("floats", rngs={"params": 1}, model=[linear(2, 2)])
        y = kf.forward("floats", [[0.1, -3.5], [2.0, 1e-3]])
        self.assertTensorIsRaw(y, self.raw("/v1/sessions/floats/forward", {"x": [[0.1, -3.5], [2.0, 1e-3]]})["y"])
        # float32 values read back from a Tensor and sent again give the same output
        t = Tensor([2, 2], "float32", [f32(v) for v in (0.1, -3.5, 2.0, 1e-3)])
        self.assertEqual(kf.forward("floats", t), y)
        if numpy is not None:
            self.assertEqual(kf.forward("floats", numpy.array([[0.1, -3.5], [2.0, 1e-3]], numpy.float32)), y)
        with self.assertRaises(ValueError):  # NaN is not JSON; refused before sending
            kf.forward("floats", [[float("nan"), 1.0]])
        kf.delete_session("floats")

    # -------------------------------------------------------------------- errors

    def test_error_mapping_from_the_daemon(self):
        kf = self.kf
        with self.assertRaises(NotFound) as cm:
            kf.get_session("no-such-session")
        e = cm.exception
        self.assertEqual((e.status, e.code), (404, "not_found"))
        self.assertIn("no-such-session", e.message)
        s, raw = self.d.get("/v1/sessions/no-such-session")
        self.assertEqual((e.status, e.code, e.message), (s, raw["error"]["code"], raw["error"]["message"]))

        kf.create_session("dup", rngs={"params": 1})
        with self.assertRaises(AlreadyExists) as cm:
            kf.create_session("dup", rngs={"params": 2})
        self.assertEqual((cm.exception.status, cm.exception.code), (409, "already_exists"))
        self.assertEqual(kf.get_session("dup").rngs["params"].key, [0, 1])  # nothing changed
        with self.assertRaises(NotFound):  # no such stream and no default
            kf.keys("dup", "dropout")
        with self.assertRaises(FailedPrecondition) as cm:  # no model
            kf.forward("dup", [[1.0]])
        self.assertEqual((cm.exception.status, cm.exception.code), (409, "failed_precondition"))
        with self.assertRaises(InvalidArgument) as cm:  # not a stream of the session
            kf.reseed("dup", nope=1)
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("nope", cm.exception.message)
        with self.assertRaises(InvalidArgument) as cm:
            kf.uniform([0, 1], [-1])
        self.assertIn("body.shape", cm.exception.message)
        with self.assertRaises(InvalidArgument):
            kf.create_session("bad-model", model=[linear(2, 3), linear(4, 1)])
        self.assertNotIn("bad-model", kf.list_sessions())
        with self.assertRaises(NotFound):
            kf.initialize("no_such_init", [0, 1], [2, 2])
        with self.assertRaises(MethodNotAllowed) as cm:
            kf.request("PUT", "/v1/sessions", {})
        self.assertEqual(cm.exception.allow, ["POST", "GET", "HEAD"])
        self.assertEqual(kf.request("POST", "/v1/random/key", {"seed": 5}), {"key": [0, 5]})
        kf.delete_session("dup")
        with self.assertRaises(NotFound):
            kf.delete_session("dup")

    # -------------------------------------------------------------- connections

    def test_keep_alive_reuses_one_connection(self):
        with KeyfoldClient(self.d.base) as kf:
            kf.create_session("ka", rngs={"default": 9})
            for i in range(100):
                self.assertEqual(kf.fold_in([0, 9], i), fold_in([0, 9], i))
                self.assertEqual(kf.keys("ka").counts, [i])
                with self.assertRaises(NotFound):  # error replies keep the connection too
                    kf.get_session("ka-missing")
            self.assertEqual(len(kf.list_sessions()), len(self.raw("/v1/sessions")["sessions"]))
            kf.delete_session("ka")
            self.assertEqual(kf.connections_opened, 1)

    def test_threads_share_a_client(self):
        kf = KeyfoldClient(self.d.base)
        kf.create_session("threads", rngs={"default": 1})
        counts, errors = [], []

        def work():
            try:
                for _ in range(25):
                    counts.extend(kf.keys("threads", n=2).counts)
                    kf.uniform([0, 1], [2])
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(counts), list(range(6 * 25 * 2)))  # each count issued once
        self.assertEqual(kf.connections_opened, 7)  # one per thread, plus the main thread's
        kf.delete_session("threads")
        kf.close()

    # --------------------------------------------------------------- operations

    def test_health_metrics_snapshot(self):
        kf = self.kf
        self.assertTrue(kf.health_live())
        self.assertTrue(kf.health_ready())
        kf.wait_ready(timeout=5)
        kf.keys(kf.create_session("m", rngs={"default": 1}).name, n=3)
        text = kf.metrics()
        self.assertIsInstance(text, str)
        for family in ("keyfold_requests_total counter", "keyfold_request_duration_seconds histogram",
                       "keyfold_sessions gauge", "keyfold_keys_drawn_total counter"):
            self.assertIn("# TYPE " + family + "\n", text)
        self.assertIn('route="/v1/sessions/{name}/keys"', text)
        path = kf.snapshot()
        self.assertTrue(path.startswith(os.path.join(self.d.data_dir, "snapshots")), path)
        self.assertTrue(os.path.isfile(path))
        # The live store is not fenced: there is nothing to restore.
        with self.assertRaises(FailedPrecondition) as cm:
            kf.restore(100)
        self.assertIn("not fenced", cm.exception.message)
        with self.assertRaises(InvalidArgument):
            kf.restore(0)
        kf.delete_session("m")

    def test_docstring_example(self):
        """The module docstring's example runs as written and prints what its comments say."""
        doc = kc.__doc__
        block = doc[doc.index("::\n\n") + 4:doc.index("\nValues:")]
        code = "\n".join(line[4:] for line in block.splitlines())
        ns = {}
        with mock.patch.dict(os.environ, {"KEYFOLD_URL": self.d.base}):
            exec(compile(code, "keyfold_client docstring", "exec"), ns)
        ns["kf"].close()
        self.assertEqual(repr(ns["y1"]), "Tensor(shape=[1, 3], dtype='float32', data=[0.0, -2.6912866, 0.0])")
        self.assertTrue(repr(ns["kernel"]).startswith(
            "Tensor(shape=[2, 3], dtype='float32', data=[0.7567299, -0.68570054, "), repr(ns["kernel"]))
        self.assertEqual(ns["kernel"].tolist()[0][0], 0.7567299008369446)
        self.assertEqual(ns["s"].rngs["params"].count, 2)
        self.assertEqual(ns["k"], [0, 42])
        for comment in ("[[4146024105, 2718843009], [2467461003, 3840466878]]", "[1832780943, 270669613]",
                        "Tensor(shape=[3], dtype='float32', data=[0.947667, 0.9785799, 0.33229148])"):
            self.assertIn(comment, code)
        self.assertEqual(repr(ns["kf"].uniform([0, 0], (3,))),
                         "Tensor(shape=[3], dtype='float32', data=[0.947667, 0.9785799, 0.33229148])")
        self.assertNotIn("exp1", self.kf.list_sessions())

    def test_cli(self):
        # the package's command line, as `python3 -m keyfold_client` runs it from a checkout
        script = "-m", "keyfold_client"
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=HERE)
        out = subprocess.run([sys.executable, *script, "--url", self.d.base, "demo"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("[[0.0, -2.691286563873291, 0.0]]", out.stdout)
        self.assertIn("y1 == y2                                     True", out.stdout)
        out = subprocess.run([sys.executable, *script, "health"], env=dict(env, KEYFOLD_URL=self.d.base),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual((out.returncode, out.stdout), (0, "live: True\nready: True\n"))
        self.assertFalse([n for n in self.kf.list_sessions() if n.startswith("demo-")])
        buf = io.StringIO()
        kc._demo(self.kf, buf)  # in-process too
        self.assertIn("key(42)", buf.getvalue())
        self.kf.create_session("cli", rngs={"default": 1})
        for cmd, check in (("sessions", lambda o: "cli" in o.split("\n")),
                           ("metrics", lambda o: "# TYPE keyfold_sessions gauge" in o),
                           ("snapshot", lambda o: o.strip().endswith(".db"))):
            with mock.patch("sys.stdout", new_callable=io.StringIO) as so:
                self.assertEqual(kc.main(["--url", self.d.base, cmd]), 0)
                self.assertTrue(check(so.getvalue()), (cmd, so.getvalue()[:200]))
        self.kf.delete_session("cli")
        with mock.patch("sys.stderr", new_callable=io.StringIO) as se:
            self.assertEqual(kc.main(["--url", "http://127.0.0.1:1", "--timeout", "2", "sessions"]), 1)
            self.assertIn("connection_error", se.getvalue())


# ------------------------------------------------------------------------- a small daemon

class BinaryTest(Tracked):
    """binary=True: the same Tensors and Samples as JSON, moved as .npy."""

    def test_npy_round_trip_without_the_daemon(self):
        for t in (Tensor([2, 3], "float32", [0.0, 0.25, -0.5, f32(0.1), float("inf"), f32(1e-45)]),
                  Tensor([], "int32", [-7]), Tensor([0, 4], "bool", []),
                  Tensor([3], "uint64", [2 ** 64 - 1, 0, 1]), Tensor([2], "uint8", [0, 255]),
                  Tensor([1, 2], "uint16", [65535, 1]), Tensor([2], "uint32", [2 ** 32 - 1, 3])):
            with self.subTest(t=t):
                raw = t.to_npy()
                self.assertEqual((10 + struct.unpack("<H", raw[8:10])[0]) % 64, 0)
                back = Tensor.from_npy(raw)
                self.assertEqual((back.shape, back.dtype), (t.shape, t.dtype))
                if t.dtype == "float32":
                    self.assertEqual([bits32(v) for v in back.data], [bits32(v) for v in t.data])
                else:
                    self.assertEqual(back.data, t.data)
                if numpy is not None:
                    buf = io.BytesIO()
                    numpy.save(buf, t.to_numpy())
                    self.assertEqual(raw, buf.getvalue())
        two = Tensor([2], "float32", [1.0, 2.0]).to_npy()
        for bad in (b"", b"PK\x03\x04", b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}     ", two[:-1],
                    two.replace(b"'<f4'", b"'>f4'"), two.replace(b"False", b"True "),
                    two.replace(b"'<f4'", b"'<f8'")):
            with self.subTest(bad=bad[:40]):
                with self.assertRaises(ValueError):
                    Tensor.from_npy(bad)

    def test_binary_client_equals_json_client(self):
        with KeyfoldClient(self.d.base) as js, KeyfoldClient(self.d.base, binary=True) as kb:
            k = [0, 42]
            for call in (lambda c: c.bits(k, (2, 3)), lambda c: c.bits(k, 3, bit_width=64),
                         lambda c: c.bits(k, 2, bit_width=8), lambda c: c.uniform(k, (2, 2)),
                         lambda c: c.normal(k, ()), lambda c: c.truncated_normal(k, -1, 1, 4),
                         lambda c: c.bernoulli(k, 0.3, 5), lambda c: c.randint(k, 3, -4, 4),
                         lambda c: c.permutation(k, 6), lambda c: c.init_he_uniform(k, (3, 2)),
                         lambda c: c.initialize(init.uniform(2.0), k, (2, 2), threefry="legacy")):
                a, b = call(js), call(kb)
                self.assertEqual((a.shape, a.dtype), (b.shape, b.dtype))
                if a.dtype == "float32":
                    self.assertEqual([bits32(v) for v in a.data], [bits32(v) for v in b.data])
                else:
                    self.assertEqual(a.data, b.data)
            layers = [linear(2, 3), dropout(0.5)]
            for c in (js, kb):
                c.create_session("bin-" + str(c.binary), rngs={"params": 0, "dropout": 42}, model=layers)
            try:
                sj = js.sample("bin-False", "normal", (2,), stream="dropout")
                sb = kb.sample("bin-True", "normal", (2,), stream="dropout")
                self.assertEqual(sj, sb)  # the same key, count, streams and data
                self.assertEqual((sb.count, sb.stream, sb.source), (0, "dropout", "dropout"))
                inputs = [[[1.0, 1.0]], Tensor([1, 2], "float32", [1.0, 1.0])]
                if numpy is not None:
                    inputs += [numpy.ones((1, 2), numpy.float64), numpy.ones((2, 1)).T]
                for x in inputs:
                    for det in (None, True, False):
                        with self.subTest(x=type(x).__name__, deterministic=det):
                            js.reseed("bin-False", dropout=42)
                            kb.reseed("bin-True", dropout=42)
                            self.assertEqual(js.forward("bin-False", x, det), kb.forward("bin-True", x, det))
                            self.assertEqual(js.get_session("bin-False").rngs["dropout"],
                                             kb.get_session("bin-True").rngs["dropout"])
                # Errors are still JSON errors.
                with self.assertRaises(InvalidArgument):
                    kb.forward("bin-True", Tensor([1, 3], "float32", [1.0, 2.0, 3.0]))
                t, h = kb.request("POST", "/v1/random/normal", {"key": k, "shape": [2]}, parse="npy")
                self.assertEqual((t.shape, h["content-type"], h["vary"]), ([2], "application/x-npy", "Accept"))
                with self.assertRaises(kc.NotAcceptable):
                    kb.request("POST", "/v1/random/split", {"key": k}, parse="npy")
            finally:
                js.delete_session("bin-False")
                kb.delete_session("bin-True")


class SmallLimitsTest(Tracked):
    FLAGS = ("--max-body", "1024", "--max-elements", "64", "--max-sessions", "2",
             "--durability", "memory")

    def test_payload_too_large(self):
        with KeyfoldClient(self.d.base) as kf:
            kf.create_session("small", rngs={"params": 0}, model=[linear(2, 1)])
            before = kf.get_session("small")
            for n in (200, 2_000_000):  # a body over --max-body; the larger one breaks the pipe
                with self.subTest(n=n):
                    with self.assertRaises(PayloadTooLarge) as cm:
                        kf.forward("small", [[1.0, 2.0]] * n)
                    self.assertEqual((cm.exception.status, cm.exception.code), (413, "payload_too_large"))
                    self.assertIn("--max-body", cm.exception.message)
                    self.assertEqual(kf.get_session("small"), before)  # and the client goes on
            with self.assertRaises(PayloadTooLarge) as cm:
                kf.split([0, 1], 65)  # over --max-elements
            self.assertEqual(cm.exception.status, 413)
            self.assertEqual(len(kf.split([0, 1], 64)), 64)
            kf.create_session("second")
            with self.assertRaises(ResourceExhausted) as cm:
                kf.create_session("third")
            self.assertEqual((cm.exception.status, cm.exception.code), (429, "resource_exhausted"))
            with self.assertRaises(FailedPrecondition) as cm:
                kf.snapshot()  # --durability memory has no store
            self.assertEqual(cm.exception.status, 409)
            for name in ("small", "second"):
                kf.delete_session(name)


# ----------------------------------------------------------------------- a token daemon

class AuthTest(Tracked):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        path = os.path.join(cls.tmp.name, "token")
        with open(path, "w") as f:
            f.write(TOKEN + "\n")
        cls.FLAGS = ("--auth-token-file", path)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.tmp.cleanup()

    def test_tokens(self):
        with KeyfoldClient(self.d.base, token=TOKEN) as kf:
            self.assertEqual(kf.random_key(3), [0, 3])
            kf.create_session("authed", rngs={"default": 1})
            self.assertEqual(kf.list_sessions(), ["authed"])
        with mock.patch.dict(os.environ, {"KEYFOLD_TOKEN": TOKEN, "KEYFOLD_URL": self.d.base}):
            with KeyfoldClient() as kf:
                self.assertEqual(kf.keys("authed").counts, [0])
        for token in ("wrong", TOKEN + "x", ""):
            with self.subTest(token=token), mock.patch.dict(os.environ, {}, clear=True):
                with KeyfoldClient(self.d.base, token=token) as kf:
                    for call in (kf.list_sessions, kf.metrics, lambda: kf.random_key(1),
                                 lambda: kf.keys("authed")):
                        with self.assertRaises(Unauthenticated) as cm:
                            call()
                        e = cm.exception
                        self.assertEqual((e.status, e.code), (401, "unauthenticated"))
                        self.assertEqual(e.headers.get("www-authenticate"), "Bearer")
                    # health needs no token
                    self.assertTrue(kf.health_live())
                    self.assertTrue(kf.health_ready())
        with KeyfoldClient(self.d.base, token=TOKEN) as kf:
            self.assertEqual(kf.keys("authed").counts, [1])  # the refused draws drew nothing
            kf.delete_session("authed")


# -------------------------------------------------- idle connections closed by the daemon

class ReconnectTest(Tracked):
    FLAGS = ("--connection-timeout", "1")

    def test_connection_closed_while_idle(self):
        with KeyfoldClient(self.d.base) as kf:
            kf.create_session("idle", rngs={"default": 4})
            self.assertEqual(kf.keys("idle").counts, [0])
            time.sleep(2.5)  # the daemon closes the idle connection
            # a non-idempotent draw on the closed connection: sent once, on a new connection
            self.assertEqual(kf.keys("idle").counts, [1])
            self.assertEqual(kf.connections_opened, 2)
            time.sleep(2.5)
            self.assertEqual(kf.uniform([0, 0], [3]).data,
                             [f32(x) for x in (0.947667, 0.9785799, 0.33229148)])
            self.assertEqual(kf.get_session("idle").rngs["default"].count, 2)
            self.assertEqual(kf.connections_opened, 3)
            kf.delete_session("idle")


# ---------------------------------------------------------------------------- coverage

class ZZEveryHelperTest(unittest.TestCase):
    """Runs last (classes run in name order): every public method of the client and of
    SessionHandle was called by the tests above. Skipped when only some tests ran."""

    def test_every_helper_was_called(self):
        everything = set()
        for cls in Tracked.__subclasses__():
            everything.update(t.id() for t in unittest.defaultTestLoader.loadTestsFromTestCase(cls))
        if not everything <= RAN:
            self.skipTest("only part of the suite ran")
        self.assertEqual(sorted(expected_helpers() - CALLED), [])


if __name__ == "__main__":
    unittest.main()
