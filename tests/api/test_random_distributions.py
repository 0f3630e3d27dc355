#!/usr/bin/env python3
"""The distributions of jax.random over HTTP (api.md 1.1, "Sampling: every
jax.random distribution"): exponential, gumbel (low, high, highest), laplace,
logistic, cauchy, pareto, weibull_min, rayleigh, geometric, triangular,
lognormal, maxwell, double_sided_maxwell and rademacher.

* Real JAX's draws: tests/vectors/jax-oracle-flax-0.12.json holds "sample"
  cases printed by jax/jaxlib 0.10.2 (scripts/gen-vectors.py), in both
  threefry modes. Each one whose parameters are finite (JSON has no NaN and
  keyfold takes finite float32 parameters) is replayed through POST
  /v1/random/{op} with "threefry" set to the case's mode, the reply asked as
  .npy so that the bytes compare exactly: the dtype, the shape and every bit
  (within the case's ulps where the vectors record a tolerance: a parameter
  broadcast from a shape other than () or the output's, docs/libkeyfold.md).
* JAX's errors (dtype of the wrong class, gumbel's mode, shapes that do not
  broadcast, weibull_min's unchecked shape, double_sided_maxwell's parameters)
  are 400s with JAX's text, statelessly and from a session, whose stream
  does not move.
* POST /v1/sessions/{name}/sample with one of these distributions is the
  stateless draw with the key the stream issues (fold_in(key, count)).
* GET /v1/random lists each with JAX's parameters, defaults and shape rule.
"""
import json
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kfharness import DaemonTestCase, fold_in, key_of  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors", "jax-oracle-flax-0.12.json")

OPS = ["exponential", "gumbel", "laplace", "logistic", "cauchy", "pareto", "weibull_min",
       "rayleigh", "geometric", "triangular", "lognormal", "maxwell", "double_sided_maxwell",
       "rademacher"]

SHAPE_MSG = ("{op} parameter shapes must be broadcast-compatible with shape argument, and the "
             "result of broadcasting the shapes must equal the shape argument, but got result "
             "{got} for shape argument {shape}.")


def finite(v):
    if isinstance(v, dict):
        return all(finite(x) for x in v["values"])
    return not isinstance(v, str)


def param(v):
    """A vector's parameter ({shape, values} for an array) as a request member."""
    if isinstance(v, dict):
        return {"shape": v["shape"], "dtype": "float32", "data": v["values"]}
    return v


def sample_cases():
    with open(VECTORS) as f:
        doc = json.load(f)
    return [c for c in doc["cases"] if c["op"] == "sample" and c["args"]["sampler"] in OPS]


def parse_npy(raw):
    """(dtype descr, shape, data bytes) of a version 1 .npy file."""
    assert raw[:6] == b"\x93NUMPY", raw[:16]
    hlen = struct.unpack("<H", raw[8:10])[0]
    header = raw[10:10 + hlen].decode("latin-1")
    import ast
    h = ast.literal_eval(header.strip())
    return h["descr"], list(h["shape"]), raw[10 + hlen:]


def within_ulps(got, want, ulps):
    """float32 arrays (bytes) equal within `ulps` units in the last place."""
    if len(got) != len(want):
        return False
    def ordered(u):
        return u if u < 0x80000000 else 0x80000000 - u
    a = struct.unpack("<%dI" % (len(got) // 4), got)
    b = struct.unpack("<%dI" % (len(want) // 4), want)
    return all(abs(ordered(x) - ordered(y)) <= ulps for x, y in zip(a, b))


class Replies:
    """POST /v1/random/{op} as .npy (npy) or JSON (ok), both expected 200,
    a 400 with its message (err), GET /v1/random (operations); for the
    distribution tests."""

    def npy(self, op, body):
        c = self.d.connection()
        c.request("POST", "/v1/random/" + op, body=json.dumps(body),
                  headers={"Content-Type": "application/json", "Accept": "application/x-npy"})
        r = c.getresponse()
        raw = r.read()
        c.close()
        self.assertEqual(r.status, 200, "%s %r -> %s %r" % (op, body, r.status, raw[:300]))
        return parse_npy(raw)

    def ok(self, op, body):
        s, b = self.d.post("/v1/random/" + op, body)
        self.assertEqual(s, 200, "%s %r -> %s %r" % (op, body, s, b))
        return b

    def err(self, op, body, message):
        s, b = self.d.post("/v1/random/" + op, body)
        self.assertEqual((s, b["error"]["message"]), (400, message), (op, body))

    def operations(self):
        """GET /v1/random by name."""
        s, b = self.d.get("/v1/random")
        self.assertEqual(s, 200)
        return {op["name"]: op for op in b["operations"]}


class RandomDistributionsTest(Replies, DaemonTestCase):
    maxDiff = None

    # ------------------------------------------------------------ real JAX
    def test_draws_are_jax_draws(self):
        cases = sample_cases()
        seen = {}
        for c in cases:
            a = c["args"]
            if not all(finite(v) for v in a["params"].values()):
                continue
            body = {k: param(v) for k, v in a["params"].items()}
            body.update(key=a["key"], shape=a["shape"], threefry=c["mode"])
            with self.subTest(case=c["id"]):
                descr, shape, data = self.npy(a["sampler"], body)
                self.assertEqual((descr, shape), ({"float32": "<f4", "int32": "<i4"}[c["dtype"]], c["shape"]))
                want = bytes.fromhex(c["expect"])
                if c["tolerance"] == "exact":
                    self.assertEqual(data.hex(), c["expect"])
                else:
                    self.assertTrue(within_ulps(data, want, c["tolerance"]["ulps"]), c["tolerance"])
                seen[(a["sampler"], c["mode"])] = seen.get((a["sampler"], c["mode"]), 0) + 1
        # every operation, in both modes, and gumbel's three modes
        self.assertEqual(sorted({op for op, _ in seen}), sorted(OPS))
        for op in OPS:
            for mode in ("partitionable", "legacy"):
                self.assertGreaterEqual(seen.get((op, mode), 0), 20, (op, mode))
        modes = {c["args"]["params"].get("mode") for c in cases if c["args"]["sampler"] == "gumbel"}
        self.assertEqual(modes, {None, "low", "high", "highest"})

    def test_json_reply_is_the_same_draw(self):
        for op, body in (("gumbel", {"mode": "highest"}), ("geometric", {"p": [0.1, 0.9, 0.5]}),
                         ("double_sided_maxwell", {"loc": [0, 1], "scale": 2})):
            body = dict(body, key=[0, 42], shape=[3])
            t = self.ok(op, body)
            descr, shape, data = self.npy(op, body)
            self.assertEqual(t["shape"], shape)
            fmt = "<%d%s" % (len(t["data"]), "f" if descr == "<f4" else "i")
            self.assertEqual(struct.pack(fmt, *t["data"]), data)

    # --------------------------------------------------------- JAX's errors
    def jax_errors(self):
        """(op, body, JAX's text), as jax 0.10.2 raises them (ValueError,
        TypeError), prefixed with the member keyfold blames."""
        out = []
        for op in OPS:
            if op in ("geometric", "rademacher"):
                continue
            req = {"pareto": {"b": 1}, "weibull_min": {"scale": 1, "concentration": 1},
                   "rayleigh": {"scale": 1}, "triangular": {"left": 0, "mode": 1, "right": 2},
                   "double_sided_maxwell": {"loc": 0, "scale": 1}}.get(op, {})
            kind = "a float or complex" if op == "lognormal" else "a float"
            for dtype in ("int32", "bool"):
                out.append((op, dict(req, dtype=dtype),
                            "body.dtype: dtype argument to `%s` must be %s dtype, got %s" % (op, kind, dtype)))
        out += [
            ("geometric", {"p": 0.5, "dtype": "float32"},
             "body.dtype: dtype argument to `geometric` must be an int dtype, got float32"),
            ("geometric", {"p": 0.5, "dtype": "bool"},
             "body.dtype: dtype argument to `geometric` must be an int dtype, got bool"),
            ("gumbel", {"mode": "medium"}, "body.mode: Must provide valid mode for gumbel got: medium"),
            ("pareto", {"b": [1, 2, 3], "shape": [2]},
             "body.b: Incompatible shapes for broadcasting: shapes=[(2,), (3,)]"),
            ("rayleigh", {"scale": [1, 2, 3], "shape": [2, 1]},
             "body.scale: " + SHAPE_MSG.format(op="rayleigh", got="(2, 3)", shape="(2, 1)")),
            ("geometric", {"p": [[0.5], [0.2]], "shape": [3]},
             "body.p: " + SHAPE_MSG.format(op="geometric", got="(2, 3)", shape="(3,)")),
            ("lognormal", {"sigma": [1, 2], "shape": []},
             "body.sigma: " + SHAPE_MSG.format(op="lognormal", got="(2,)", shape="()")),
            ("triangular", {"left": [0, 0, 0], "mode": [1, 1], "right": 2},
             "body.mode: Incompatible shapes for broadcasting: shapes=[(3,), (2,), ()]"),
            ("triangular", {"left": [0, 0, 0], "mode": 1, "right": 2, "shape": [2, 1]},
             "body.left: " + SHAPE_MSG.format(op="triangular", got="(2, 3)", shape="(2, 1)")),
            ("weibull_min", {"scale": [1, 1], "concentration": 1, "shape": [3]},
             "body.scale: mul got incompatible shapes for broadcasting: (3,), (2,)."),
            ("weibull_min", {"scale": 1, "concentration": [1, 1], "shape": [3]},
             "body.concentration: pow got incompatible shapes for broadcasting: (3,), (2,)."),
            ("weibull_min", {"scale": [1, 1, 1, 1], "concentration": [1, 1], "shape": [3]},
             "body.concentration: pow got incompatible shapes for broadcasting: (3,), (2,)."),
            ("double_sided_maxwell", {"loc": [0, 0, 0], "scale": [1, 1]},
             "body.scale: Incompatible shapes for broadcasting: shapes=[(3,), (2,)]"),
        ]
        return out

    def test_jax_errors(self):
        for op, body, message in self.jax_errors():
            with self.subTest(op=op, body=body):
                self.err(op, dict(body, key=[0, 1]), message)

    def test_session_errors_leave_the_stream(self):
        s, b = self.d.post("/v1/sessions", {"name": "dist-err", "rngs": {"default": 5}})
        self.assertEqual(s, 201, b)
        try:
            for op, body, message in self.jax_errors():
                with self.subTest(op=op, body=body):
                    s, e = self.d.post("/v1/sessions/dist-err/sample", dict(body, distribution=op))
                    self.assertEqual(s, 400, e)
                    self.assertEqual(e["error"]["message"].split(": ", 1)[1], message.split(": ", 1)[1])
            s, sess = self.d.get("/v1/sessions/dist-err")
            self.assertEqual(sess["rngs"]["default"]["count"], 0)
        finally:
            self.d.request("DELETE", "/v1/sessions/dist-err")

    def test_what_jax_accepts(self):
        key = [0, 1]
        # shapes JAX derives: None is the parameters' broadcast, () with a
        # parameter array of double_sided_maxwell counts as its shape, and
        # weibull_min broadcasts its draw with the parameters afterwards
        self.assertEqual(self.ok("pareto", {"key": key, "b": [[1], [2]]})["shape"], [2, 1])
        self.assertEqual(self.ok("lognormal", {"key": key})["shape"], [])
        self.assertEqual(self.ok("triangular", {"key": key, "left": [0, 0, 0], "mode": 1, "right": [[2], [3]]})["shape"],
                         [2, 3])
        self.assertEqual(self.ok("double_sided_maxwell", {"key": key, "loc": [0, 1, 2], "scale": 1})["shape"], [3, 3])
        self.assertEqual(self.ok("double_sided_maxwell", {"key": key, "loc": 0, "scale": 1, "shape": [2]})["shape"], [2])
        self.assertEqual(self.ok("weibull_min", {"key": key, "scale": [[1], [2]], "concentration": 1, "shape": [3]})["shape"],
                         [2, 3])
        # weibull_min's replicas share the draw: each row of (2, 3) is the (3,) draw scaled
        one = self.ok("weibull_min", {"key": key, "scale": 1, "concentration": 1, "shape": [3]})["data"]
        two = self.ok("weibull_min", {"key": key, "scale": [[1], [1]], "concentration": 1, "shape": [3]})["data"]
        self.assertEqual(two, one + one)
        # None is mode "low"; null is absent
        self.assertEqual(self.ok("gumbel", {"key": key, "shape": [4]}),
                         self.ok("gumbel", {"key": key, "shape": [4], "mode": "low"}))
        self.assertEqual(self.ok("gumbel", {"key": key, "shape": [4], "mode": None}),
                         self.ok("gumbel", {"key": key, "shape": [4], "mode": "low"}))
        self.assertEqual(self.ok("lognormal", {"key": key, "shape": [4]}),
                         self.ok("lognormal", {"key": key, "shape": [4], "sigma": 1.0}))
        # JAX does not check the parameters' domains
        self.ok("triangular", {"key": key, "left": 2, "mode": 1, "right": 0, "shape": [3]})
        self.ok("geometric", {"key": key, "p": [0, 1, 2, -1]})
        # int32 replies, float32 dtype named explicitly
        self.assertEqual(self.ok("geometric", {"key": key, "p": 0.5})["dtype"], "int32")
        self.assertEqual(set(self.ok("rademacher", {"key": key, "shape": [64]})["data"]), {-1, 1})
        self.assertEqual(self.ok("cauchy", {"key": key, "dtype": "float32"}), self.ok("cauchy", {"key": key}))
        # dtypes JAX computes and keyfold does not: 400, said so
        s, b = self.d.post("/v1/random/rademacher", {"key": key, "dtype": "float32"})
        self.assertEqual(s, 400, b)
        self.assertIn("keyfold computes int32 only", b["error"]["message"])
        # required parameters
        s, b = self.d.post("/v1/random/pareto", {"key": key})
        self.assertEqual((s, b["error"]["message"]), (400, "body.b is required"))

    def test_draw_sizes(self):
        """maxwell draws 3 values per element, gumbel's high modes 2: the
        legacy draw's limit (4294967294 words) applies to the whole draw."""
        key = [0, 1]
        n = 4294967294 // 3 + 1
        from kfharness import Daemon
        d = Daemon.start("--max-elements", str(1 << 33), "--durability", "memory")
        try:
            for op, shape in (("maxwell", [n]), ("double_sided_maxwell", [n]),
                              ("gumbel", [4294967294 // 2 + 1])):
                body = {"key": key, "shape": shape, "loc": 0, "scale": 1} if op == "double_sided_maxwell" \
                    else {"key": key, "shape": shape, "mode": "high"} if op == "gumbel" else {"key": key, "shape": shape}
                s, b = d.post("/v1/random/" + op, body)
                self.assertEqual((s, b["error"]["code"]), (413, "payload_too_large"), (op, b))
                self.assertIn("bits are more than one draw can hold", b["error"]["message"])
        finally:
            self.assertEqual(d.stop(), 0)

    # ------------------------------------------------------------- sessions
    def test_session_sample_is_the_stateless_draw(self):
        for mode in ("partitionable", "legacy"):
            name = "dist-" + mode
            s, b = self.d.post("/v1/sessions", {"name": name, "rngs": {"default": 11},
                                                "options": {"threefry": mode}})
            self.assertEqual(s, 201, b)
            try:
                draws = [("gumbel", {"shape": [5], "mode": "high"}),
                         ("maxwell", {"shape": [2, 3]}),
                         ("weibull_min", {"scale": [[1], [2]], "concentration": 1.5, "shape": [3]}),
                         ("double_sided_maxwell", {"loc": [0, 1], "scale": 2, "shape": [2]}),
                         ("geometric", {"p": [0.25, 0.5, 0.75]}),
                         ("rademacher", {"shape": [7]})]
                for count, (op, params) in enumerate(draws):
                    with self.subTest(mode=mode, op=op):
                        s, smp = self.d.post("/v1/sessions/%s/sample" % name, dict(params, distribution=op))
                        self.assertEqual(s, 200, smp)
                        self.assertEqual(smp["key"], fold_in(key_of(11), count))
                        direct = self.ok(op, dict(params, key=smp["key"], threefry=mode))
                        self.assertEqual((smp["shape"], smp["dtype"], smp["data"]),
                                         (direct["shape"], direct["dtype"], direct["data"]))
            finally:
                self.d.request("DELETE", "/v1/sessions/" + name)

    # -------------------------------------------------------------- listing
    def test_listing(self):
        ops = self.operations()
        want = {  # JAX's parameters in JAX's order, the shape rule, the dtype
            "exponential": (["key", "shape", "dtype"], "scalar", "float32"),
            "gumbel": (["key", "shape", "dtype", "mode"], "scalar", "float32"),
            "laplace": (["key", "shape", "dtype"], "scalar", "float32"),
            "logistic": (["key", "shape", "dtype"], "scalar", "float32"),
            "cauchy": (["key", "shape", "dtype"], "scalar", "float32"),
            "pareto": (["key", "b", "shape", "dtype"], "broadcast", "float32"),
            "weibull_min": (["key", "scale", "concentration", "shape", "dtype"], "outer", "float32"),
            "rayleigh": (["key", "scale", "shape", "dtype"], "broadcast", "float32"),
            "geometric": (["key", "p", "shape", "dtype"], "broadcast", "int32"),
            "triangular": (["key", "left", "mode", "right", "shape", "dtype"], "broadcast", "float32"),
            "lognormal": (["key", "sigma", "shape", "dtype"], "broadcast", "float32"),
            "maxwell": (["key", "shape", "dtype"], "scalar", "float32"),
            "double_sided_maxwell": (["key", "loc", "scale", "shape", "dtype"], "concat", "float32"),
            "rademacher": (["key", "shape", "dtype"], "scalar", "int32"),
        }
        for name, (params, rule, dtype) in want.items():
            op = ops[name]
            self.assertEqual(([p["name"] for p in op["params"]], op["shape"], op["dtype"]), (params, rule, dtype), name)
            self.assertTrue(op["random"] and op["session_sample"] and op["tensor"], name)
        gumbel = {p["name"]: p for p in ops["gumbel"]["params"]}
        self.assertEqual((gumbel["mode"]["values"], gumbel["mode"]["default"]), (["low", "high", "highest"], "low"))
        sigma = {p["name"]: p for p in ops["lognormal"]["params"]}["sigma"]
        self.assertEqual((sigma["default"], sigma["required"], sigma["array"]), (1.0, False, True))
        b = {p["name"]: p for p in ops["pareto"]["params"]}["b"]
        self.assertEqual((b["required"], b["array"]), (True, True))
        shapes = {name: {p["name"]: p for p in ops[name]["params"]}["shape"]["default"] for name in want}
        self.assertEqual({n for n, d in shapes.items() if d is None},
                         {"pareto", "rayleigh", "geometric", "triangular", "lognormal"})


if __name__ == "__main__":
    unittest.main()
