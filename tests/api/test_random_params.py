#!/usr/bin/env python3
"""Array parameters and broadcasting of POST /v1/random/{op} and /sample
(api.md 1.1, "Sampling: every jax.random distribution"), and GET /v1/random.

* Array parameters (numbers, nested lists, Tensor objects) broadcast against
  `shape` with NumPy's rules: given, the parameters must broadcast to exactly
  it; absent, JAX's default () (uniform) or None, the broadcast of the
  parameter shapes (truncated_normal, bernoulli, randint).
* Every element of a draw with parameter arrays is bit for bit the element of
  the same draw (same key, same shape) asked with that element's scalar
  parameters, in both threefry modes; and known answers printed by jaxlib
  0.10.2 (jax.random with the same arrays) come back exactly.
* Shapes that do not broadcast are 400 with JAX's own text; values are not
  checked against their domain where JAX does not check them (lower >= upper).
* GET /v1/random lists the table of `keyfoldd --dump-tables`.
"""
import json
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kfharness import DaemonTestCase, dump_tables, f32, fold_in, key_of  # noqa: E402

MODES = ("partitionable", "legacy")

# jax.random with these array parameters, printed by jax/jaxlib 0.10.2 (CPU):
# (operation, body, shape, dtype, data).
JAX_0_10_2 = [
    ('uniform', {'key': [0, 42], 'shape': [2, 3], 'minval': [0, 10, 100], 'maxval': [[1], [200]], 'threefry': 'partitionable'}, [2, 3], 'float32', [0.48870956897735596, 10.0, 100.0, 112.20321655273438, 95.62247467041016, 158.58657836914062]),
    ('truncated_normal', {'key': [0, 7], 'lower': [-1, 0, 2], 'upper': [[1], [3]], 'threefry': 'partitionable'}, [2, 3], 'float32', [0.3024601638317108, 0.9648113250732422, 0.9999999403953552, 0.07923746109008789, 1.100563406944275, 2.3555331230163574]),
    ('bernoulli', {'key': [0, 3], 'p': [[0.1], [1e-08]], 'shape': [2, 4], 'mode': 'high', 'threefry': 'partitionable'}, [2, 4], 'bool', [True, False, False, False, False, False, False, False]),
    ('bernoulli', {'key': [0, 3], 'p': [0.2, 0.5, 0.8, 0.99], 'threefry': 'partitionable'}, [4], 'bool', [True, False, True, True]),
    ('randint', {'key': [0, 11], 'minval': [[-5], [1000]], 'maxval': [5, 2000, 2147483647], 'threefry': 'partitionable'}, [2, 3], 'int32', [-4, 270, 9328007, 1000, 1231, 941337596]),
    ('uniform', {'key': [0, 42], 'shape': [2, 3], 'minval': [0, 10, 100], 'maxval': [[1], [200]], 'threefry': 'legacy'}, [2, 3], 'float32', [0.7298188209533691, 10.0, 100.0, 41.63713455200195, 45.45859146118164, 155.02256774902344]),
    ('truncated_normal', {'key': [0, 7], 'lower': [-1, 0, 2], 'upper': [[1], [3]], 'threefry': 'legacy'}, [2, 3], 'float32', [-0.8323326110839844, 0.17257003486156464, 0.9999999403953552, -0.05074319615960121, 0.9813785552978516, 2.1504218578338623]),
    ('bernoulli', {'key': [0, 3], 'p': [[0.1], [1e-08]], 'shape': [2, 4], 'mode': 'high', 'threefry': 'legacy'}, [2, 4], 'bool', [False, False, False, False, False, False, False, False]),
    ('bernoulli', {'key': [0, 3], 'p': [0.2, 0.5, 0.8, 0.99], 'threefry': 'legacy'}, [4], 'bool', [False, True, True, True]),
    ('randint', {'key': [0, 11], 'minval': [[-5], [1000]], 'maxval': [5, 2000, 2147483647], 'threefry': 'legacy'}, [2, 3], 'int32', [-1, 322, 658689147, 1000, 1511, 757230984]),
]

SHAPE_MSG = ("{op} parameter shapes must be broadcast-compatible with shape argument, and the "
             "result of broadcasting the shapes must equal the shape argument, but got result "
             "{got} for shape argument {shape}.")


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def broadcast_shapes(*shapes):
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for d in range(rank):
        dims = {s[d - (rank - len(s))] for s in shapes if d - (rank - len(s)) >= 0} - {1}
        assert len(dims) <= 1, shapes
        out.append(dims.pop() if dims else 1)
    return out


def shape_of(v):
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        v = v[0] if v else None
    return shape


def flat(v):
    if isinstance(v, list):
        return [x for e in v for x in flat(e)]
    return [v]


def element(value, shape, index):
    """value (a number or a nested list of `shape`) broadcast to the row-major
    multi-index `index` of the output."""
    vshape = shape_of(value)
    data = flat(value)
    off, stride = 0, 1
    for d in range(len(vshape) - 1, -1, -1):
        i = index[len(index) - len(vshape) + d]
        off += (0 if vshape[d] == 1 else i) * stride
        stride *= vshape[d]
    return data[off]


def unravel(j, shape):
    idx = []
    for d in reversed(shape):
        idx.append(j % d)
        j //= d
    return list(reversed(idx))


def bits(x, dtype):
    """A float32 element as its 4 bytes (non-finite ones arrive as strings)."""
    if dtype != "float32":
        return x
    return struct.pack("<f", f32(float(x) if isinstance(x, str) else x))


class RandomParamsTest(DaemonTestCase):
    maxDiff = None

    def ok(self, op, body):
        s, b = self.d.post("/v1/random/" + op, body)
        self.assertEqual(s, 200, "%s %r -> %s %r" % (op, body, s, b))
        return b

    def err(self, op, body, message=None, status=400):
        s, b = self.d.post("/v1/random/" + op, body)
        self.assertEqual(s, status, "%s %r -> %s %r" % (op, body, s, b))
        if message is not None:
            self.assertEqual(b["error"]["message"], message)
        return b["error"]["message"]

    # ------------------------------------------------------------ known answers
    def test_jaxlib_known_answers(self):
        for op, body, shape, dtype, data in JAX_0_10_2:
            with self.subTest(op=op, body=body):
                t = self.ok(op, body)
                self.assertEqual((t["shape"], t["dtype"]), (shape, dtype))
                self.assertEqual([bits(x, dtype) for x in t["data"]], [bits(x, dtype) for x in data])

    # ------------------------------------------- element by element, both modes
    CASES = [
        ("uniform", {"shape": [2, 3], "minval": [0, -10, 100.5], "maxval": [[1], [1e30]]}),
        ("uniform", {"shape": [2, 2, 3], "minval": [[-1], [-2]], "maxval": 3}),
        ("uniform", {"shape": [4], "minval": [1, 2, 3, 4], "maxval": [0, 3, 3, 5]}),  # some inverted
        ("truncated_normal", {"lower": [-1, 0, -3], "upper": [[1], [2]]}),
        ("truncated_normal", {"lower": [[-2], [1]], "upper": [1, 1, -1e39, 1e39], "shape": [3, 2, 4]}),
        ("truncated_normal", {"lower": [0.5, 1, 2], "upper": [0.5, 0, 3]}),  # lower >= upper too
        ("bernoulli", {"p": [[0.1, 0.5, 0.9]]}),
        ("bernoulli", {"p": [[0.1], [1e-7]], "shape": [3, 2, 5], "mode": "high"}),
        ("bernoulli", {"p": [-1, 0, 1, 2]}),
        ("randint", {"minval": [[0], [-100], [2147483600]], "maxval": [10, 2147483647]}),
        ("randint", {"minval": [5, 6], "maxval": [5, 2], "shape": [3, 2]}),  # minval >= maxval
    ]

    def test_each_element_is_the_scalar_draw(self):
        for op, params in self.CASES:
            arrays = {k: v for k, v in params.items() if k not in ("shape", "mode")}
            for mode in MODES:
                body = dict(params, key=[0, 99], threefry=mode)
                with self.subTest(op=op, body=body):
                    t = self.ok(op, body)
                    want = params.get("shape") or broadcast_shapes(*(shape_of(v) for v in arrays.values()))
                    self.assertEqual(t["shape"], want)
                    for j in range(numel(want)):
                        idx = unravel(j, want)
                        scalar = {k: element(v, shape_of(v), idx) for k, v in arrays.items()}
                        one = self.ok(op, dict(body, shape=want, **scalar))
                        self.assertEqual(bits(t["data"][j], t["dtype"]), bits(one["data"][j], t["dtype"]),
                                         "element %r with %r" % (idx, scalar))

    def test_forms_of_an_array(self):
        """A nested list, a Tensor object (float32 or int32 data) and a one-element
        array are the same parameter."""
        base = {"key": [0, 5], "shape": [2, 2]}
        nested = self.ok("uniform", dict(base, minval=[[0, 1], [2, 3]], maxval=10))
        tensor = self.ok("uniform", dict(base, minval={"shape": [2, 2], "dtype": "float32",
                                                       "data": [0, 1, 2, 3]}, maxval=10))
        ints = self.ok("uniform", dict(base, minval={"shape": [2, 2], "dtype": "int32",
                                                     "data": [0, 1, 2, 3]}, maxval=[10]))
        self.assertEqual(nested, tensor)
        self.assertEqual(nested, ints)
        self.assertEqual(self.ok("bernoulli", dict(base, p=[[0.3]])),
                         self.ok("bernoulli", dict(base, p=0.3)))
        lo = self.ok("randint", dict(base, minval={"shape": [2], "data": [0, 7]}, maxval=[[9], [8]]))
        self.assertEqual(lo, self.ok("randint", dict(base, minval=[0, 7], maxval=[[9], [8]])))
        # .npy replies carry the same tensor
        c = self.d.connection()
        c.request("POST", "/v1/random/uniform", body=json.dumps(dict(base, minval=[[0, 1], [2, 3]], maxval=10)),
                  headers={"Content-Type": "application/json", "Accept": "application/x-npy"})
        r = c.getresponse()
        raw = r.read()
        c.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(raw[-16:], struct.pack("<4f", *[f32(x) for x in nested["data"]]))

    # --------------------------------------------------------------- the shape
    def test_shape_rules(self):
        key = [0, 1]
        # uniform: JAX's default shape is (): arrays must broadcast to it
        self.err("uniform", {"key": key, "minval": [0, 1, 2]},
                 "body.minval: " + SHAPE_MSG.format(op="uniform", got="(3,)", shape="()"))
        self.assertEqual(self.ok("uniform", {"key": key, "minval": [[0.5]], "shape": [1, 1]})["shape"], [1, 1])
        self.assertEqual(self.ok("uniform", {"key": key, "minval": [0, 1, 2], "shape": [0, 3]})["data"], [])
        # None: the broadcast of the parameters
        self.assertEqual(self.ok("bernoulli", {"key": key, "p": [[0.5]] * 4})["shape"], [4, 1])
        self.assertEqual(self.ok("bernoulli", {"key": key})["shape"], [])
        self.assertEqual(self.ok("randint", {"key": key, "minval": 0, "maxval": [[3]] * 2})["shape"], [2, 1])
        self.assertEqual(self.ok("truncated_normal", {"key": key, "lower": [-1] * 3, "upper": 1})["shape"], [3])
        # shapes that do not broadcast: JAX's own texts
        self.err("truncated_normal", {"key": key, "lower": [-1, 0, -3], "upper": [1, 2]},
                 "body.upper: Incompatible shapes for broadcasting: shapes=[(3,), (2,)]")
        self.err("truncated_normal", {"key": key, "lower": [-1, 0, -3], "upper": 1, "shape": [3, 2]},
                 "body.lower: Incompatible shapes for broadcasting: shapes=[(3, 2), (3,), ()]")
        self.err("bernoulli", {"key": key, "p": [0.1, 0.2, 0.3], "shape": [2, 1]},
                 "body.p: " + SHAPE_MSG.format(op="bernoulli", got="(2, 3)", shape="(2, 1)"))
        self.err("bernoulli", {"key": key, "p": [0.1, 0.2, 0.3], "shape": []},
                 "body.p: " + SHAPE_MSG.format(op="bernoulli", got="(3,)", shape="()"))
        self.err("randint", {"key": key, "minval": [[0], [1]], "maxval": 9, "shape": [3]},
                 "body.minval: " + SHAPE_MSG.format(op="randint", got="(2, 3)", shape="(3,)"))
        self.err("uniform", {"key": key, "shape": [2, 3], "minval": [0, 1, 2, 3]},
                 "body.minval: Incompatible shapes for broadcasting: shapes=[(2, 3), (4,), ()]")

    def test_values_and_errors(self):
        key = [0, 1]
        # JAX does not raise for lower >= upper: nextafter(upper, -inf) everywhere
        t = self.ok("truncated_normal", {"key": key, "lower": [3, 2], "upper": [1, 2]})
        self.assertEqual([f32(x) for x in t["data"]], [f32(0.99999994), f32(1.9999999)])
        # one infinite bound: a one-sided truncation
        t = self.ok("truncated_normal", {"key": key, "lower": [-1e39, 0], "upper": [0, 1e39]})
        self.assertTrue(t["data"][0] < 0 < t["data"][1])
        self.err("randint", {"key": key, "minval": [0, 2147483648], "maxval": 5},
                 "body.minval[1] must be in the int32 range -2147483648..2147483647, got 2147483648 "
                 "(JAX raises OverflowError for it with x64 off)")
        self.err("randint", {"key": key, "minval": {"shape": [2], "data": [0, 1.5]}, "maxval": 5},
                 "body.minval.data[1] must be an integer")
        self.err("uniform", {"key": key, "shape": [2], "maxval": [1, 1e39]},
                 "body.maxval[1] must be a finite float32")
        self.err("uniform", {"key": key, "shape": [2], "minval": [[0, 1], [2]]})
        self.err("uniform", {"key": key, "shape": [2], "minval": {"shape": [2], "data": [0]}},
                 "body.minval.data has 1 elements but shape needs 2")
        self.err("uniform", {"key": key, "dtype": "int32"},
                 "body.dtype: dtype argument to `uniform` must be a float dtype, got int32")
        self.err("randint", {"key": key, "minval": 0, "maxval": 2, "dtype": "float32"},
                 "body.dtype: randint only accepts integer dtypes, got float32")
        self.err("bits", {"key": key, "dtype": "int32"},
                 "body.dtype: dtype argument to `bits` must be an unsigned int dtype, got int32")
        self.err("bernoulli", {"key": key, "mode": "medium"},
                 "body.mode: got mode='medium', expected 'high' or 'low'")
        self.assertIn("float64", self.err("normal", {"key": key, "dtype": "float64"}))
        # dtype and bit_width of bits: either, or both when they agree
        self.assertEqual(self.ok("bits", {"key": key, "dtype": "uint16", "shape": [2]}),
                         self.ok("bits", {"key": key, "bit_width": 16, "shape": [2]}))
        self.ok("bits", {"key": key, "dtype": "uint16", "bit_width": 16})
        self.err("bits", {"key": key, "dtype": "uint16", "bit_width": 8})

    def test_limits(self):
        from kfharness import Daemon
        d = Daemon.start("--max-elements", "64", "--durability", "memory")
        try:
            key = [0, 1]
            for op, body in (("uniform", {"minval": [0.0] * 65}),
                             ("truncated_normal", {"lower": [[-1]] * 9, "upper": [1] * 9}),
                             ("randint", {"minval": {"shape": [65], "data": [0] * 65}, "maxval": 3}),
                             ("bernoulli", {"p": [0.5] * 8, "shape": [9, 8]})):
                s, b = d.post("/v1/random/" + op, dict(body, key=key))
                self.assertEqual((s, b["error"]["code"]), (413, "payload_too_large"), (op, b))
            s, _ = d.post("/v1/random/truncated_normal", {"key": key, "lower": [[-1]] * 8, "upper": [1] * 8})
            self.assertEqual(s, 200)
        finally:
            self.assertEqual(d.stop(), 0)

    # --------------------------------------------------------------- sessions
    def test_session_sample_takes_arrays(self):
        s, b = self.d.post("/v1/sessions", {"name": "arr", "rngs": {"default": 3}})
        self.assertEqual(s, 201, b)
        try:
            body = {"distribution": "truncated_normal", "lower": [-1, 0], "upper": [[1], [2], [3]]}
            s, smp = self.d.post("/v1/sessions/arr/sample", body)
            self.assertEqual(s, 200, smp)
            self.assertEqual((smp["shape"], smp["count"]), ([3, 2], 0))
            self.assertEqual(smp["key"], fold_in(key_of(3), 0))
            direct = self.ok("truncated_normal", {"key": smp["key"], "lower": body["lower"],
                                                  "upper": body["upper"]})
            self.assertEqual(direct["data"], smp["data"])
            # a refused shape draws nothing
            s, e = self.d.post("/v1/sessions/arr/sample", dict(body, shape=[2]))
            self.assertEqual(s, 400, e)
            s, sess = self.d.get("/v1/sessions/arr")
            self.assertEqual(sess["rngs"]["default"]["count"], 1)
        finally:
            self.d.request("DELETE", "/v1/sessions/arr")

    # ---------------------------------------------------------------- listing
    def test_listing_is_the_table(self):
        s, b = self.d.get("/v1/random")
        self.assertEqual(s, 200)
        ops = b["operations"]
        self.assertEqual(ops, dump_tables()["operations"])
        by_name = {op["name"]: op for op in ops}
        uniform = {p["name"]: p for p in by_name["uniform"]["params"]}
        self.assertEqual([p["name"] for p in by_name["uniform"]["params"]],
                         ["key", "shape", "dtype", "minval", "maxval"])  # JAX's order
        self.assertEqual((uniform["minval"]["kind"], uniform["minval"]["default"], uniform["minval"]["array"],
                          uniform["minval"]["dtype"], uniform["minval"]["required"]),
                         ("float", 0.0, True, "float32", False))
        self.assertEqual(uniform["shape"]["default"], [])
        tn = {p["name"]: p for p in by_name["truncated_normal"]["params"]}
        self.assertTrue(tn["lower"]["required"] and tn["lower"]["infinite"])
        self.assertEqual(by_name["truncated_normal"]["shape"], "broadcast")
        bern = {p["name"]: p for p in by_name["bernoulli"]["params"]}
        self.assertEqual((bern["mode"]["kind"], bern["mode"]["values"], bern["mode"]["default"]),
                         ("enum", ["low", "high"], "low"))
        self.assertEqual({p["name"]: p["values"] for p in by_name["bits"]["params"] if "values" in p},
                         {"dtype": ["uint8", "uint16", "uint32", "uint64"], "bit_width": [8, 16, 32, 64]})
        for op in ops:
            for p in op["params"]:
                self.assertTrue(p["description"], (op["name"], p["name"]))
        s, _, _ = self.d.request("HEAD", "/v1/random")
        self.assertEqual(s, 200)


if __name__ == "__main__":
    unittest.main()
