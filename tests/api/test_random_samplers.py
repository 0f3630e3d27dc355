#!/usr/bin/env python3
"""The gamma family (gamma, loggamma, beta, chisquare, t, f,
generalized_normal, dirichlet, ball) and wald, poisson, binomial over HTTP.

* Real JAX's draws: a few replies compared bit for bit with values printed
  by jax/jaxlib 0.10.2 on this Intel x86-64 host (rsqrt 'intel-nr2'), and
  one gamma draw by jaxlib 0.6.2 ('sqrt-div'), committed below (LITERALS).
  The oracle vectors (tests/vectors) check the library against JAX in
  depth; they are regenerated separately and need not hold these samplers.
* The wiring: each reply (.npy, bytes) equals a direct call of libkeyfold
  through ctypes with the same key, threefry mode, rsqrt mode and the
  parameters broadcast to the output's shape.
* JAX's errors (dtype of the wrong class, shapes, poisson's broadcast_to)
  are 400s with JAX's text, statelessly and from a session, whose stream
  does not move.
* POST /v1/sessions/{name}/sample is the stateless draw with the stream's
  key; the rsqrt default follows the session's Flax era (0.10: sqrt-div,
  0.11/0.12: intel-nr2), overridable; wald, poisson and binomial too
  (tests/api/test_random_choice.py).
* GET /v1/random lists each with JAX's parameters, the shape rule, dtype.
"""
import ctypes
import json
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kfharness import DaemonTestCase, fold_in, key_of  # noqa: E402
from test_random_distributions import SHAPE_MSG, Replies  # noqa: E402

GAMMA = ["gamma", "loggamma", "beta", "chisquare", "t", "f", "generalized_normal"]
AXIS = ["dirichlet", "ball"]  # gamma family too, with an output axis beyond shape
DISCRETE = ["wald", "poisson", "binomial"]
PARAMS = {"gamma": ["a"], "loggamma": ["a"], "beta": ["a", "b"], "chisquare": ["df"], "t": ["df"],
          "f": ["dfnum", "dfden"], "generalized_normal": ["p"], "wald": ["mean"], "poisson": ["lam"],
          "binomial": ["n", "p"]}
MODES = {"partitionable": 0, "legacy": 1}
RSQRT = {"sqrt-div": 0, "intel-nr2": 1}

# key [0, 42]; the float parameters passed to jax.jit as float32 arrays.
BODIES = {"gamma": {"a": [0.5, 3.0, 0.0, 1e-3]}, "loggamma": {"a": [0.8, 3.0]},
          "beta": {"a": [0.8, 2.0], "b": 0.9}, "chisquare": {"df": [3.0, 0.5], "shape": [2, 2]},
          "t": {"df": [5.0, 1.0, 0.3]}, "f": {"dfnum": [3.0, 1.0], "dfden": 7.0},
          "generalized_normal": {"p": 0.5, "shape": [4]}, "wald": {"mean": [1.0, 2.0, 0.5]},
          "poisson": {"lam": [4.0, 30.0, 0.0], "shape": [2, 3]},
          "binomial": {"n": [20.0, 200.0], "p": 0.3},
          "dirichlet": {"alpha": [1.0, 2.0, 3.0, 4.0], "shape": [2]}, "ball": {"d": 3, "shape": [2]}}
# The reply's bytes (little-endian float32 / int32) as jax 0.10.2 with jaxlib
# 0.10.2 prints them on an Intel x86-64 (jax.jit(jax.random.<op>)(key, ...)),
# and ('gamma', 'partitionable', 'sqrt-div') as jax/jaxlib 0.6.2 does.
LITERALS = {
    ("beta", "legacy", "intel-nr2"): "fe72e03e8624773f",
    ("beta", "partitionable", "intel-nr2"): "694f373fa4f17b3f",
    ("binomial", "legacy", "intel-nr2"): "0000a04000007042",
    ("binomial", "partitionable", "intel-nr2"): "0000a04000008442",
    ("chisquare", "legacy", "intel-nr2"): "6f0b3f3f675f593addd0663f35d61f3e",
    ("chisquare", "partitionable", "intel-nr2"): "e4dcbb407f3e093fcce6b140ab7a463b",
    ("f", "legacy", "intel-nr2"): "6028284002f3253c",
    ("f", "partitionable", "intel-nr2"): "c85f363fd4fb493a",
    ("gamma", "legacy", "intel-nr2"): "fa9be93cefb84d400000000000000000",
    ("gamma", "partitionable", "intel-nr2"): "3bdc7f3f00a8f53f0000000000000000",
    ("gamma", "partitionable", "sqrt-div"): "3bdc7f3f04a8f53f0000000000000000",
    ("generalized_normal", "legacy", "intel-nr2"): "e1a1944044079ac06a64da3f46613dc0",
    ("generalized_normal", "partitionable", "intel-nr2"): "3d016bc01d6bdcbd42a9d540ad32d740",
    ("loggamma", "legacy", "intel-nr2"): "1255b7bf583c4a3e",
    ("loggamma", "partitionable", "intel-nr2"): "13910b3f1ce3263f",
    ("poisson", "legacy", "intel-nr2"): "040000001b00000000000000060000001d00000000000000",
    ("poisson", "partitionable", "intel-nr2"): "060000002300000000000000020000001600000000000000",
    ("t", "legacy", "intel-nr2"): "b32f053f73a3493fc714af41",
    ("t", "partitionable", "intel-nr2"): "065dac3d587dfdc1de2a4340",
    ("wald", "legacy", "intel-nr2"): "3447093f30890f3f38154a3e",
    ("wald", "partitionable", "intel-nr2"): "2b188a3fa45f7b4080a6533e",
    ("dirichlet", "partitionable", "intel-nr2"):
        "f74d483eaffccb3d7e2ae33e5aaf853e257f7f3d1eec9e3efa55ec3e039c293e",
    ("dirichlet", "legacy", "intel-nr2"): "fa8e243d7739693e01f1903e63e0e53e9fb28d3e780c483e5ed69f3e8fe15c3e",
    ("ball", "partitionable", "intel-nr2"): "fc94a53e573e7b3d2873953c18dedf3e74ce9dbd5208b83e",
    ("ball", "legacy", "intel-nr2"): "d6a4aa3e92346b3efd080ebd0bfff3be47a108bff380f03e",
}


def library():
    """libkeyfold built without sanitizers (a sanitized one cannot be loaded
    into Python): the daemon's sibling, else the plain build's; None if
    neither."""
    root = os.environ.get("KEYFOLD_SOURCE_ROOT", os.path.join(HERE, "..", ".."))
    daemon = os.environ.get("KEYFOLDD", "")
    for path in (os.path.join(os.path.dirname(daemon), "..", "lib", "libkeyfold.so") if daemon else "",
                 os.path.join(root, "build", "lib", "libkeyfold.so")):
        if path and os.path.exists(path):
            with open(path, "rb") as f:
                raw = f.read()
            if b"__asan_init" in raw or b"__ubsan_handle" in raw:
                continue
            return ctypes.CDLL(path)
    return None


class KfKey(ctypes.Structure):
    _fields_ = [("hi", ctypes.c_uint32), ("lo", ctypes.c_uint32)]


def broadcast(values, shape, n):
    """A parameter (number or nested list) as 1 value, or n values of the
    output's shape (row-major, NumPy's broadcasting)."""
    if not isinstance(values, list):
        return [float(values)]
    dims, v = [], values
    while isinstance(v, list):
        dims.append(len(v))
        v = v[0]
    flat = values
    for _ in range(len(dims) - 1):
        flat = [x for row in flat for x in row]
    pdims = [1] * (len(shape) - len(dims)) + dims
    out = []
    for j in range(n):
        idx, r = [], j
        for d in reversed(shape):
            idx.append(r % d)
            r //= d
        idx.reverse()
        off = 0
        for k, d in enumerate(pdims):
            off = off * d + (idx[k] if d != 1 else 0)
        out.append(float(flat[off]))
    return out


def direct(lib, op, key, mode, rsqrt, body, shape):
    """kf_random_<op> through ctypes: the reply's bytes."""
    n = 1
    for d in shape:
        n *= d
    args = [KfKey(*key), ctypes.c_int(MODES[mode])]
    if op in AXIS:  # rows of shape[-1]: one alpha vector, or (d, p)
        rows = n // shape[-1] if shape[-1] else 1
        for d in shape[:-1] if not shape[-1] else []:
            rows *= d
        args += [ctypes.c_int(RSQRT[rsqrt]), ctypes.c_size_t(rows if shape[-1] else 0)]
        if op == "dirichlet":
            alpha = [float(x) for x in json.loads(json.dumps(body["alpha"]).replace("[[", "[").replace("]]", "]"))]
            args += [(ctypes.c_float * len(alpha))(*alpha), ctypes.c_size_t(len(alpha))]
        else:
            args += [ctypes.c_size_t(body["d"]), ctypes.c_float(body.get("p", 2.0))]
        out = (ctypes.c_float * max(n, 1))()
        fn = getattr(lib, "kf_random_" + op)
        fn.restype = ctypes.c_int
        assert fn(*args, out) == 0, op
        return bytes(out)[:4 * n]
    if op in GAMMA:
        args.append(ctypes.c_int(RSQRT[rsqrt]))
    args.append(ctypes.c_size_t(n))
    keep = []
    for name in PARAMS[op]:
        vals = broadcast(body[name], shape, n)
        arr = (ctypes.c_float * len(vals))(*vals)
        keep.append(arr)
        args += [arr, ctypes.c_size_t(len(vals))]
    out = ((ctypes.c_int32 if op == "poisson" else ctypes.c_float) * max(n, 1))()
    fn = getattr(lib, "kf_random_" + op)
    fn.restype = ctypes.c_int
    rc = fn(*args, out)
    assert rc == 0, (op, rc)
    return bytes(out)[:4 * n]


class RandomSamplersTest(Replies, DaemonTestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lib = library()

    # ------------------------------------------------------------ real JAX
    def test_literals_are_jax_draws(self):
        for (op, mode, rsqrt), want in LITERALS.items():
            body = dict(BODIES[op], key=[0, 42], threefry=mode)
            if op in GAMMA + AXIS:
                body["rsqrt"] = rsqrt
            with self.subTest(op=op, mode=mode, rsqrt=rsqrt):
                descr, shape, data = self.npy(op, body)
                self.assertEqual(descr, "<i4" if op == "poisson" else "<f4")
                self.assertEqual(data.hex(), want)
        # jaxlib 0.10.2 on Intel is the default
        for op in GAMMA + AXIS:
            body = dict(BODIES[op], key=[0, 42])
            self.assertEqual(self.npy(op, body)[2].hex(), LITERALS[(op, "partitionable", "intel-nr2")])
        # the two rsqrt forms do differ (gamma's second element)
        self.assertNotEqual(LITERALS[("gamma", "partitionable", "sqrt-div")],
                            LITERALS[("gamma", "partitionable", "intel-nr2")])

    # ------------------------------------------------------------ the wiring
    def wiring_cases(self):
        scalars = {"gamma": {"a": 2.5}, "loggamma": {"a": 0.3}, "beta": {"a": 0.5, "b": 2.0},
                   "chisquare": {"df": 4.0}, "t": {"df": 3.0}, "f": {"dfnum": 2.0, "dfden": 9.0},
                   "generalized_normal": {"p": 1.5}, "wald": {"mean": 0.7}, "poisson": {"lam": 12.5},
                   "binomial": {"n": 30.0, "p": 0.45}}
        arrays = {"gamma": {"a": [[0.2], [5.0]]}, "loggamma": {"a": [0.0, 1e-3, 9.0]},
                  "beta": {"a": [[1.0], [3.0]], "b": [0.5, 2.0, 7.0]}, "chisquare": {"df": [1.0, 60.0]},
                  "t": {"df": [[0.5, 40.0]]}, "f": {"dfnum": [1.0, 4.0, 8.0], "dfden": [[2.0], [30.0]]},
                  "generalized_normal": {"p": [0.3, 2.0, 4.0]}, "wald": {"mean": [[0.1, 3.0]]},
                  "poisson": {"lam": [0.5, 9.9, 10.0, 250.0]}, "binomial": {"n": [5.0, 1000.0], "p": [[0.1], [0.9]]}}
        out = []
        for op in GAMMA + DISCRETE:
            out.append((op, dict(scalars[op], shape=[37])))
            shape = {"generalized_normal": [2, 3], "poisson": [3, 4]}.get(op)
            out.append((op, dict(arrays[op], **({"shape": shape} if shape else {}))))
        out += [("dirichlet", {"alpha": [0.5, 0.6, 0.7]}), ("dirichlet", {"alpha": [[1e-3, 1.0]], "shape": [4, 5]}),
                ("dirichlet", {"alpha": [0.1 * (i + 1) for i in range(40)], "shape": [3]}),
                ("dirichlet", {"alpha": [], "shape": [2]}),
                ("ball", {"d": 5, "p": 1.0}), ("ball", {"d": 40, "shape": [3, 2]}), ("ball", {"d": 64, "p": 3.0, "shape": [2]}),
                ("ball", {"d": 0, "shape": [2]}), ("ball", {"d": 3, "shape": [0]})]
        return out

    def test_replies_are_the_library_calls(self):
        if self.lib is None:
            self.skipTest("no unsanitized build/lib/libkeyfold.so to call")
        for op, body in self.wiring_cases():
            for mode in MODES:
                for rsqrt in (RSQRT if op in GAMMA + AXIS else ["intel-nr2"]):
                    req = dict(body, key=[7, 2026], threefry=mode)
                    if op in GAMMA + AXIS:
                        req["rsqrt"] = rsqrt
                    with self.subTest(op=op, mode=mode, rsqrt=rsqrt, body=body):
                        descr, shape, data = self.npy(op, req)
                        self.assertEqual(data, direct(self.lib, op, [7, 2026], mode, rsqrt, body, shape))

    def test_json_reply_is_the_same_draw(self):
        for op in GAMMA + AXIS + DISCRETE:
            body = dict(BODIES[op], key=[0, 42])
            t = self.ok(op, body)
            descr, shape, data = self.npy(op, body)
            self.assertEqual((t["shape"], t["dtype"]), (shape, "int32" if op == "poisson" else "float32"))
            self.assertEqual(struct.pack("<%d%s" % (len(t["data"]), "i" if op == "poisson" else "f"), *t["data"]),
                             data)

    # --------------------------------------------------------- JAX's errors
    def jax_errors(self, ops):
        """(op, body, JAX's text) as jax 0.10.2 raises them."""
        req = {"gamma": {"a": 1}, "loggamma": {"a": 1}, "beta": {"a": 1, "b": 1}, "chisquare": {"df": 1},
               "t": {"df": 1}, "f": {"dfnum": 1, "dfden": 1}, "generalized_normal": {"p": 1},
               "wald": {"mean": 1}, "poisson": {"lam": 1}, "binomial": {"n": 1, "p": 0.5}}
        # loggamma and generalized_normal check their dtype and shape as gamma
        as_ = {"loggamma": "gamma", "generalized_normal": "gamma"}
        out = []
        for op in ops:
            if op in ("poisson", "dirichlet", "ball"):
                continue
            for dtype in ("int32", "bool", "complex64"):
                out.append((op, dict(req[op], dtype=dtype), "body.dtype: dtype argument to `%s` must be a "
                            "float dtype, got %s" % (as_.get(op, op), dtype)))
            first = PARAMS[op][0]
            out.append((op, dict(req[op], **{first: [1, 2, 3]}, shape=[2]),
                        "body.%s: Incompatible shapes for broadcasting: shapes=[(2,), (3,)%s]"
                        % (first, ", ()" if len(PARAMS[op]) == 2 else "")))
            out.append((op, dict(req[op], **{first: [1, 2, 3]}, shape=[1]),
                        "body.%s: " % first + SHAPE_MSG.format(op=as_.get(op, op), got="(3,)", shape="(1,)")))
            if len(PARAMS[op]) == 2:
                second = PARAMS[op][1]
                out.append((op, dict(req[op], **{first: [1, 2, 3], second: [1, 2]}),
                            "body.%s: Incompatible shapes for broadcasting: shapes=[(3,), (2,)]" % second))
        if "dirichlet" in ops:
            out += [("dirichlet", {"alpha": 1}, "body.alpha: dirichlet requires alpha.ndim >= 1, got alpha.ndim == 0"),
                    ("dirichlet", {"alpha": [[1, 2], [1, 2]], "shape": [3]},
                     "body.alpha: Incompatible shapes for broadcasting: shapes=[(3,), (2,)]"),
                    ("dirichlet", {"alpha": [[1, 2], [1, 2]], "shape": [1]},
                     "body.alpha: " + SHAPE_MSG.format(op="dirichlet", got="(2,)", shape="(1,)"))]
            out += [("dirichlet", {"alpha": [1, 2], "dtype": dt},
                     "body.dtype: dtype argument to `dirichlet` must be a float dtype, got %s" % dt)
                    for dt in ("int32", "bool")]
            out += [("ball", {"d": 3, "dtype": dt}, "body.dtype: dtype argument to `gamma` must be a float dtype, got %s" % dt)
                    for dt in ("int32", "bool")]
        if "poisson" in ops:
            out += [("poisson", {"lam": [1, 2, 3], "shape": [1]},
                     "body.lam: Incompatible types for broadcasting: input type=float32[3] and requested "
                     "type=float32[1]"),
                    ("poisson", {"lam": [[1, 2, 3], [1, 2, 3]], "shape": [2, 2, 4]},
                     "body.lam: Incompatible types for broadcasting: input type=float32[2,3] and requested "
                     "type=float32[2,2,4]"),
                    ("poisson", {"lam": [[1], [2]], "shape": [3]},
                     "body.lam: Cannot broadcast to shape with fewer dimensions: arr_shape=(2, 1) shape=(3,)")]
        return out

    def test_jax_errors(self):
        for op, body, message in self.jax_errors(GAMMA + AXIS + DISCRETE):
            with self.subTest(op=op, body=body):
                s, b = self.d.post("/v1/random/" + op, dict(body, key=[0, 1]))
                self.assertEqual((s, b["error"]["message"]), (400, message), (op, body))
        s, b = self.d.post("/v1/random/gamma", {"key": [0, 1], "a": 1, "rsqrt": "amd"})
        self.assertEqual(s, 400, b)
        self.assertIn("intel-nr2", b["error"]["message"])

    def test_session_errors_leave_the_stream(self):
        s, b = self.d.post("/v1/sessions", {"name": "smp-err", "rngs": {"default": 5}})
        self.assertEqual(s, 201, b)
        try:
            for op, body, message in self.jax_errors(GAMMA + AXIS):
                with self.subTest(op=op, body=body):
                    s, e = self.d.post("/v1/sessions/smp-err/sample", dict(body, distribution=op))
                    self.assertEqual(s, 400, e)
                    self.assertEqual(e["error"]["message"].split(": ", 1)[1], message.split(": ", 1)[1])
            for op, body, message in self.jax_errors(DISCRETE):
                with self.subTest(op=op, body=body):
                    s, e = self.d.post("/v1/sessions/smp-err/sample", dict(body, distribution=op))
                    self.assertEqual(s, 400, e)
                    self.assertEqual(e["error"]["message"].split(": ", 1)[1], message.split(": ", 1)[1])
            s, sess = self.d.get("/v1/sessions/smp-err")
            self.assertEqual(sess["rngs"]["default"]["count"], 0)
        finally:
            self.d.request("DELETE", "/v1/sessions/smp-err")

    def test_what_jax_accepts(self):
        key = [0, 1]
        # JAX's None: the parameters' broadcast; poisson's shape: lam broadcast_to it
        self.assertEqual(self.ok("beta", {"key": key, "a": [[1], [2]], "b": [1, 2, 3]})["shape"], [2, 3])
        self.assertEqual(self.ok("gamma", {"key": key, "a": 2})["shape"], [])
        self.assertEqual(self.ok("gamma", {"key": key, "a": [1, 2, 3], "shape": [2, 3]})["shape"], [2, 3])
        self.assertEqual(self.ok("poisson", {"key": key, "lam": [[1], [2]], "shape": [2, 3]})["shape"], [2, 3])
        self.assertEqual(self.ok("poisson", {"key": key, "lam": 3})["shape"], [])
        self.assertEqual(self.ok("generalized_normal", {"key": key, "p": 2})["shape"], [])
        self.assertEqual(self.ok("generalized_normal", {"key": key, "p": [1, 2, 3], "shape": [2, 3]})["shape"],
                         [2, 3])
        # out-of-domain parameters give what JAX's formulas give
        self.assertEqual(self.ok("gamma", {"key": key, "a": [0, -1]})["data"][0], 0.0)
        self.assertEqual(self.ok("poisson", {"key": key, "lam": [0, -1]})["data"], [0, -1])
        # dtypes: float32 explicitly; poisson's int32
        self.assertEqual(self.ok("t", {"key": key, "df": 3, "dtype": "float32"}), self.ok("t", {"key": key, "df": 3}))
        self.assertEqual(self.ok("poisson", {"key": key, "lam": 3, "dtype": "int32"})["dtype"], "int32")
        s, b = self.d.post("/v1/random/poisson", {"key": key, "lam": 3, "dtype": "int8"})
        self.assertEqual(s, 400, b)
        self.assertIn("keyfold computes int32 only", b["error"]["message"])
        # dirichlet and ball: shape + one axis; keyfold's one alpha vector
        self.assertEqual(self.ok("dirichlet", {"key": key, "alpha": [1, 2, 3]})["shape"], [3])
        self.assertEqual(self.ok("dirichlet", {"key": key, "alpha": [[1, 2, 3]], "shape": [2, 4]})["shape"], [2, 4, 3])
        self.assertEqual(self.ok("ball", {"key": key, "d": 4})["shape"], [4])
        self.assertEqual(self.ok("ball", {"key": key, "d": 2, "shape": [5]})["shape"], [5, 2])
        s, b = self.d.post("/v1/random/dirichlet", {"key": key, "alpha": [[1, 2], [3, 4]]})
        self.assertEqual(s, 400, b)
        self.assertIn("keyfold computes one concentration vector", b["error"]["message"])
        s, b = self.d.post("/v1/random/ball", {"key": key, "d": 2, "p": [1, 2]})
        self.assertEqual(s, 400, b)
        s, b = self.d.post("/v1/random/ball", {"key": key, "d": 2, "shape": [1] * 8})
        self.assertEqual(s, 400, b)
        # required parameters
        for op in AXIS:
            s, b = self.d.post("/v1/random/" + op, {"key": key})
            self.assertEqual((s, b["error"]["message"]), (400, "body.%s is required" % ("alpha" if op == "dirichlet" else "d")))
        for op in GAMMA + DISCRETE:
            s, b = self.d.post("/v1/random/" + op, {"key": key})
            self.assertEqual((s, b["error"]["message"]), (400, "body.%s is required" % PARAMS[op][0]), op)

    def test_draw_sizes(self):
        """The gamma family splits the key into one per element (2 words
        each): the legacy draw's limit applies to 2n words."""
        from kfharness import Daemon
        d = Daemon.start("--max-elements", str(1 << 33), "--durability", "memory")
        try:
            s, b = d.post("/v1/random/gamma", {"key": [0, 1], "a": 1, "shape": [4294967294 // 2 + 1]})
            self.assertEqual((s, b["error"]["code"]), (413, "payload_too_large"), b)
            self.assertIn("bits are more than one draw can hold", b["error"]["message"])
        finally:
            self.assertEqual(d.stop(), 0)

    # ------------------------------------------------------------- sessions
    def test_session_sample_is_the_stateless_draw(self):
        for flax, default in (("0.10", "sqrt-div"), ("0.11", "intel-nr2"), ("0.12", "intel-nr2")):
            for mode in MODES:
                name = "smp-%s-%s" % (flax.replace(".", ""), mode)
                s, b = self.d.post("/v1/sessions", {"name": name, "rngs": {"default": 11},
                                                    "options": {"threefry": mode, "flax": flax}})
                self.assertEqual(s, 201, b)
                try:
                    draws = [(op, dict(BODIES[op])) for op in GAMMA + AXIS]
                    draws += [("gamma", dict(BODIES["gamma"], rsqrt=r)) for r in RSQRT]
                    for count, (op, params) in enumerate(draws):
                        with self.subTest(flax=flax, mode=mode, op=op, params=params):
                            s, smp = self.d.post("/v1/sessions/%s/sample" % name, dict(params, distribution=op))
                            self.assertEqual(s, 200, smp)
                            self.assertEqual(smp["key"], fold_in(key_of(11), count))
                            stateless = dict(params, key=smp["key"], threefry=mode)
                            stateless.setdefault("rsqrt", default)
                            want = self.ok(op, stateless)
                            self.assertEqual((smp["shape"], smp["dtype"], smp["data"]),
                                             (want["shape"], want["dtype"], want["data"]))
                finally:
                    self.d.request("DELETE", "/v1/sessions/" + name)

    def test_session_era_default_is_that_jaxlibs_draw(self):
        """gamma with a Flax 0.10 session's key: jaxlib 0.6.2's bits; with a
        0.12 session's: jaxlib 0.10.2's (the literals, with the key the
        stream issues for it re-drawn statelessly)."""
        for flax, rsqrt in (("0.10", "sqrt-div"), ("0.12", "intel-nr2")):
            name = "era-" + flax.replace(".", "")
            s, b = self.d.post("/v1/sessions", {"name": name, "rngs": {"default": 3},
                                                "options": {"flax": flax}})
            self.assertEqual(s, 201, b)
            try:
                s, smp = self.d.post("/v1/sessions/%s/sample" % name, dict(BODIES["gamma"], distribution="gamma"))
                self.assertEqual(s, 200, smp)
                body = dict(BODIES["gamma"], key=smp["key"])
                self.assertEqual(smp["data"], self.ok("gamma", dict(body, rsqrt=rsqrt))["data"])
                # the key [0, 42] itself: the committed JAX values
                lit = LITERALS[("gamma", "partitionable", rsqrt)]
                self.assertEqual(self.npy("gamma", dict(BODIES["gamma"], key=[0, 42], rsqrt=rsqrt))[2].hex(), lit)
            finally:
                self.d.request("DELETE", "/v1/sessions/" + name)

    # -------------------------------------------------------------- listing
    def test_listing(self):
        ops = self.operations()
        for op in GAMMA + DISCRETE:
            names = ["key"] + PARAMS[op] + ["shape", "dtype"] + (["rsqrt"] if op in GAMMA else [])
            rule = {"generalized_normal": "scalar", "poisson": "to"}.get(op, "broadcast")
            dtype = "int32" if op == "poisson" else "float32"
            got = ops[op]
            self.assertEqual(([p["name"] for p in got["params"]], got["shape"], got["dtype"]), (names, rule, dtype), op)
            self.assertEqual((got["random"], got["session_sample"], got["tensor"]), (True, True, True), op)
        for op, names in (("dirichlet", ["key", "alpha", "shape", "dtype", "rsqrt"]),
                          ("ball", ["key", "d", "p", "shape", "dtype", "rsqrt"])):
            got = ops[op]
            self.assertEqual(([p["name"] for p in got["params"]], got["shape"], got["dtype"], got["session_sample"]),
                             (names, "own", "float32", True), op)
        rsqrt = {p["name"]: p for p in ops["gamma"]["params"]}["rsqrt"]
        self.assertEqual((rsqrt["values"], rsqrt["default"]), (["intel-nr2", "sqrt-div"], "intel-nr2"))


if __name__ == "__main__":
    unittest.main()
