"""API tests of binary tensors (docs/npy.md): NumPy .npy replies chosen by the
Accept header, .npy request bodies for POST /v1/sessions/{name}/forward, and
406 not_acceptable.

Replies are compared two ways: byte for byte with what numpy.save writes for
the JSON reply of the same request (skipped, with a message, when numpy is
not installed), and without numpy: the header parsed here by hand and the
data compared bit for bit with the JSON reply.
"""
import http.client
import json
import math
import os
import re
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase  # noqa: E402

try:
    import numpy
except ImportError:  # the checks that need it skip; the others still run
    numpy = None

NPY = "application/x-npy"
JSON = "application/json"

# struct format and JSON decoding per .npy descr the daemon writes.
DESCRS = {"<f4": "f", "<i4": "i", "<u4": "I", "|b1": "?", "|u1": "B", "<u2": "H", "<u8": "Q"}
DTYPE_DESCR = {"float32": "<f4", "int32": "<i4", "uint32": "<u4", "bool": "|b1", "uint8": "|u1",
               "uint16": "<u2", "uint64": "<u8"}


def need_numpy(test):
    if numpy is None:
        test.skipTest("numpy is not installed (Debian: python3-numpy); the byte-for-byte "
                      "comparison with numpy.save needs it")


def numpy_save_bytes(array):
    import io
    buf = io.BytesIO()
    numpy.save(buf, array)
    return buf.getvalue()


def json_to_numpy(t):
    """The ndarray numpy would hold for a JSON Tensor reply."""
    dtype = t["dtype"]
    data = t["data"]
    if dtype == "uint64":
        data = [int(v) for v in data]
    if dtype == "float32":
        data = [float(v) for v in data]  # "NaN" / "Infinity" strings too
    return numpy.array(data, dtype=dtype).reshape(t["shape"])


def parse_header_by_hand(payload):
    """Reads a .npy reply without numpy or eval: checks the layout numpy.save
    uses and returns (descr, shape, data)."""
    assert payload[:6] == b"\x93NUMPY", payload[:16]
    assert payload[6:8] == b"\x01\x00", "version %r" % payload[6:8]
    hlen = struct.unpack("<H", payload[8:10])[0]
    assert (10 + hlen) % 64 == 0, "data not aligned to 64 bytes"
    header = payload[10:10 + hlen].decode("ascii")
    assert header.endswith("\n"), repr(header)
    m = re.fullmatch(r"\{'descr': '([<|][a-z]\d)', 'fortran_order': False, "
                     r"'shape': \(((?:\d+, )*\d+,?|)\), \} *\n", header)
    assert m, repr(header)
    shape = [int(d) for d in m.group(2).replace(",", " ").split()]
    return m.group(1), shape, payload[10 + hlen:]


def data_values(descr, shape, data):
    n = 1
    for d in shape:
        n *= d
    assert len(data) == n * int(descr[2]), (descr, shape, len(data))
    return list(struct.unpack("<%d%s" % (n, DESCRS[descr]), data))


def json_values(t):
    """The JSON data as the values the .npy bytes must hold (float32 exact)."""
    if t["dtype"] == "uint64":
        return [int(v) for v in t["data"]]
    if t["dtype"] == "float32":
        return [struct.unpack("<f", struct.pack("<f", float(v)))[0] for v in t["data"]]
    return list(t["data"])


def same_floats(a, b):
    """Bit-for-bit equality of float32 lists (NaN included)."""
    return [struct.pack("<f", x) for x in a] == [struct.pack("<f", x) for x in b]


def npy_bytes(descr, shape, data_bytes, fortran=False, version=1, header=None):
    """A .npy file by hand (numpy's layout), or with a given header text."""
    if header is None:
        dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (descr, fortran, dims)
    text = header.encode("latin1")
    prefix = 10 if version == 1 else 12
    total = prefix + len(text) + 1
    text += b" " * ((-total) % 64) + b"\n"
    size = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + size + text + data_bytes


def f32_npy(rows):
    flat = [v for r in rows for v in r]
    return npy_bytes("<f4", [len(rows), len(rows[0])], struct.pack("<%df" % len(flat), *flat))


class Client:
    """Raw HTTP with full control over headers (several Accept lines too)."""

    def __init__(self, d):
        self.d = d

    def send(self, method, path, body=None, ctype=None, accept=None, headers=()):
        conn = http.client.HTTPConnection(self.d.host, self.d.port, timeout=30)
        try:
            conn.putrequest(method, path)
            if body is not None:
                conn.putheader("Content-Type", ctype or JSON)
                conn.putheader("Content-Length", str(len(body)))
            if accept is not None:
                for a in (accept if isinstance(accept, (list, tuple)) else [accept]):
                    conn.putheader("Accept", a)
            for k, v in headers:
                conn.putheader(k, v)
            conn.endheaders(body)
            r = conn.getresponse()
            payload = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
        finally:
            conn.close()

    def post(self, path, body, accept=None, ctype=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.send("POST", path, raw, ctype=ctype, accept=accept)


class NpyTestCase(DaemonTestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.c = Client(cls.d)

    def json_ok(self, path, body, status=200, **kw):
        s, h, p = self.c.post(path, body, **kw)
        self.assertEqual(s, status, p[:300])
        self.assertTrue(h["content-type"].startswith(JSON), h)
        return json.loads(p) if p else None

    def npy_ok(self, path, body, accept=NPY, **kw):
        s, h, p = self.c.post(path, body, accept=accept, **kw)
        self.assertEqual(s, 200, p[:300])
        self.assertEqual(h["content-type"], NPY)
        self.assertEqual(h.get("vary"), "Accept")
        return p, h

    def error(self, path, body, status, code, accept=None, ctype=None, method="POST"):
        raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        s, h, p = self.c.send(method, path, raw, ctype=ctype, accept=accept)
        self.assertEqual(s, status, p[:300])
        self.assertTrue(h["content-type"].startswith(JSON), "errors are JSON: %r" % h)
        err = json.loads(p)["error"]
        self.assertEqual(err["code"], code, err)
        return err["message"]

    def create(self, name, rngs, layers):
        self.c.send("DELETE", "/v1/sessions/" + name)
        return self.json_ok("/v1/sessions", {"name": name, "rngs": rngs, "model": {"layers": layers}},
                            status=201)

    def counts(self, name):
        s, h, p = self.c.send("GET", "/v1/sessions/" + name)
        self.assertEqual(s, 200)
        return {k: (v["key"], v["count"]) for k, v in json.loads(p)["rngs"].items()}


# Stateless requests that answer one tensor, over every dtype and some shapes.
KEY = [0, 42]
TENSOR_REQUESTS = [
    ("/v1/random/bits", {"key": KEY, "shape": [2, 3]}),
    ("/v1/random/bits", {"key": KEY, "shape": [5], "bit_width": 8}),
    ("/v1/random/bits", {"key": KEY, "shape": [2, 2], "bit_width": 16, "threefry": "legacy"}),
    ("/v1/random/bits", {"key": KEY, "shape": [3], "bit_width": 64}),
    ("/v1/random/uniform", {"key": KEY, "shape": [2, 3], "threefry": "legacy"}),
    ("/v1/random/uniform", {"key": KEY, "shape": [2], "minval": -3e38, "maxval": 3e38}),  # inf
    ("/v1/random/normal", {"key": KEY}),  # a scalar: shape ()
    ("/v1/random/normal", {"key": KEY, "shape": [1, 1, 1, 1, 1, 1, 1, 4]}),
    ("/v1/random/normal", {"key": KEY, "shape": [0, 3]}),
    ("/v1/random/normal", {"key": KEY, "shape": [1000, 2]}),
    ("/v1/random/truncated_normal", {"key": KEY, "shape": [4], "lower": -1, "upper": 2}),
    ("/v1/random/bernoulli", {"key": KEY, "shape": [3, 3], "p": 0.3}),
    ("/v1/random/randint", {"key": KEY, "shape": [6], "minval": -5, "maxval": 5}),
    ("/v1/random/permutation", {"key": KEY, "n": 7}),
    ("/v1/init/lecun_normal", {"key": KEY, "shape": [2, 3]}),
    ("/v1/init/zeros", {"key": KEY, "shape": [12345]}),
    ("/v1/init/variance_scaling", {"key": KEY, "shape": [3, 4], "mode": "fan_out"}),
    ("/v1/init/uniform", {"key": KEY, "shape": [10000000000, 0]}),
]


class Replies(NpyTestCase):
    def test_stateless_replies_are_what_numpy_save_writes(self):
        need_numpy(self)
        for path, body in TENSOR_REQUESTS:
            with self.subTest(path=path, body=body):
                t = self.json_ok(path, body)
                payload, _ = self.npy_ok(path, body)
                self.assertEqual(payload, numpy_save_bytes(json_to_numpy(t)))
                back = numpy.load(__import__("io").BytesIO(payload))
                self.assertEqual(list(back.shape), t["shape"])

    def test_stateless_replies_match_json_without_numpy(self):
        for path, body in TENSOR_REQUESTS:
            with self.subTest(path=path, body=body):
                t = self.json_ok(path, body)
                payload, _ = self.npy_ok(path, body)
                descr, shape, data = parse_header_by_hand(payload)
                self.assertEqual(descr, DTYPE_DESCR[t["dtype"]])
                self.assertEqual(shape, t["shape"])
                got, want = data_values(descr, shape, data), json_values(t)
                if descr == "<f4":
                    self.assertTrue(same_floats(got, want), (got[:8], want[:8]))
                else:
                    self.assertEqual(got, want)
        # The non-finite floats really are in the data.
        payload, _ = self.npy_ok("/v1/random/uniform", TENSOR_REQUESTS[5][1])
        vals = data_values(*parse_header_by_hand(payload))
        self.assertTrue(any(math.isinf(v) or math.isnan(v) for v in vals), vals)

    def test_sample_reply_and_headers(self):
        self.create("smp", {"default": 1, "noise": [3, 4]}, [{"type": "relu"}])
        before = self.counts("smp")
        body = {"stream": "noise", "distribution": "normal", "shape": [2, 2]}
        payload, h = self.npy_ok("/v1/sessions/smp/sample", body)
        self.assertEqual(self.counts("smp")["noise"][1], before["noise"][1] + 1)
        key = [int(x) for x in h["keyfold-key"].split(",")]
        self.assertEqual(h["keyfold-count"], str(before["noise"][1]))
        self.assertEqual((h["keyfold-stream"], h["keyfold-source"]), ("noise", "noise"))
        # The key in the header reproduces the data statelessly.
        t = self.json_ok("/v1/random/normal", {"key": key, "shape": [2, 2]})
        descr, shape, data = parse_header_by_hand(payload)
        self.assertEqual((descr, shape), ("<f4", [2, 2]))
        self.assertTrue(same_floats(data_values(descr, shape, data), json_values(t)))
        if numpy is not None:
            self.assertEqual(payload, numpy_save_bytes(json_to_numpy(t)))
        # A fallback stream names its source; the JSON reply of the next draw agrees.
        payload, h = self.npy_ok("/v1/sessions/smp/sample",
                                 {"stream": "dropout", "distribution": "bernoulli", "shape": [3]})
        self.assertEqual((h["keyfold-stream"], h["keyfold-source"]), ("dropout", "default"))
        self.assertEqual(parse_header_by_hand(payload)[0], "|b1")
        j = self.json_ok("/v1/sessions/smp/sample", {"stream": "dropout", "distribution": "randint",
                                                     "shape": [2], "minval": 0, "maxval": 9})
        self.assertEqual(j["count"], int(h["keyfold-count"]) + 1)
        # JSON replies carry no Keyfold-* headers.
        s, h2, _ = self.c.post("/v1/sessions/smp/sample", {"distribution": "uniform"})
        self.assertEqual(s, 200)
        self.assertFalse([k for k in h2 if k.startswith("keyfold-")], h2)

    def test_forward_reply(self):
        self.create("fw", {"params": 0, "dropout": 42},
                    [{"type": "linear", "in_features": 2, "out_features": 3}, {"type": "dropout", "rate": 0.5}])
        y_json = self.json_ok("/v1/sessions/fw/forward", {"x": [[1.0, 1.0]]})["y"]
        self.json_ok("/v1/sessions/fw/reseed", {"streams": {"dropout": 42}})
        payload, _ = self.npy_ok("/v1/sessions/fw/forward", {"x": [[1.0, 1.0]]})
        descr, shape, data = parse_header_by_hand(payload)
        self.assertEqual((descr, shape), ("<f4", [1, 3]))
        self.assertTrue(same_floats(data_values(descr, shape, data), json_values(y_json)))
        # The design example's numbers (api.md / openapi.yaml): the same mask key.
        self.assertEqual(y_json["data"], [0.0, -2.6912866, 0.0])
        if numpy is not None:
            self.assertEqual(payload, numpy_save_bytes(json_to_numpy(y_json)))


class Bodies(NpyTestCase):
    FLAGS = ("--max-elements", "64")

    def setUp(self):
        self.create("lin", {"params": 0, "dropout": 42},
                    [{"type": "linear", "in_features": 2, "out_features": 3}, {"type": "dropout", "rate": 0.5}])

    def forward_pair(self, x_json, x_npy, query="", deterministic=None):
        """y for the JSON input and y for the .npy input, each from the same
        session state (reseeded before each) and the stream counts after."""
        out = []
        for form in ("json", "npy"):
            self.json_ok("/v1/sessions/lin/reseed", {"streams": {"dropout": 42}})
            if form == "json":
                body = {"x": x_json}
                if deterministic is not None:
                    body["deterministic"] = deterministic
                y = self.json_ok("/v1/sessions/lin/forward", body)["y"]
            else:
                y = self.json_ok("/v1/sessions/lin/forward" + query, x_npy, ctype=NPY)["y"]
            out.append((y, self.counts("lin")))
        return out

    def test_npy_input_gives_the_json_y(self):
        rows = [[1.0, 1.0], [0.5, -2.25], [3.0, 1e-3]]
        flat = [v for r in rows for v in r]
        cases = [
            ("f4", f32_npy(rows)),
            ("f8", npy_bytes("<f8", [3, 2], struct.pack("<6d", *flat))),
            ("fortran", npy_bytes("<f4", [3, 2], struct.pack("<6f", *[rows[i][j] for j in range(2)
                                                                       for i in range(3)]), fortran=True)),
            ("v2", npy_bytes("<f4", [3, 2], struct.pack("<6f", *flat), version=2)),
            ("v3", npy_bytes("<f4", [3, 2], struct.pack("<6f", *flat), version=3)),
        ]
        for name, x in cases:
            with self.subTest(case=name):
                (yj, cj), (yn, cn) = self.forward_pair(rows, x)
                self.assertEqual(yj, yn)
                self.assertEqual(cj, cn)
                self.assertEqual(cn["dropout"][1], 1)  # one mask key per pass
        # Integers for a float model, as numpy's astype(float32).
        ints = [[1, 2], [-3, 4]]
        (yj, _), (yn, _) = self.forward_pair(ints, npy_bytes("<i8", [2, 2], struct.pack("<4q", 1, 2, -3, 4)))
        self.assertEqual(yj, yn)
        if numpy is not None:
            import io
            for arr in (numpy.array(rows, dtype=numpy.float32), numpy.asfortranarray(rows),
                        numpy.array(rows, dtype=numpy.float32)[:, :].T.T):
                buf = io.BytesIO()
                numpy.save(buf, arr)
                (yj, _), (yn, _) = self.forward_pair(rows, buf.getvalue())
                self.assertEqual(yj, yn)

    def test_deterministic_query(self):
        x = f32_npy([[1.0, 1.0]])
        for value, det in (("true", True), ("false", False)):
            with self.subTest(value=value):
                (yj, cj), (yn, cn) = self.forward_pair([[1.0, 1.0]], x, "?deterministic=" + value, det)
                self.assertEqual((yj, cj), (yn, cn))
                self.assertEqual(cn["dropout"][1], 0 if det else 1)
        # Absent: each layer's own attribute (dropout's default: not deterministic).
        (yj, cj), (yn, cn) = self.forward_pair([[1.0, 1.0]], x)
        self.assertEqual((yj, cj), (yn, cn))
        self.assertEqual(cn["dropout"][1], 1)
        # Percent-encoding is decoded like any query.
        self.json_ok("/v1/sessions/lin/forward?deterministic=%74rue", x, ctype=NPY)
        before = self.counts("lin")
        bad = [("?deterministic=True", "must be true or false"), ("?deterministic=1", "must be true or false"),
               ("?deterministic=", "must be true or false"), ("?deterministic", "(no value)"),
               ("?deterministic=true&deterministic=true", "at most one"),
               ("?Deterministic=true", "unknown query parameter 'Deterministic'"),
               ("?train=1", "unknown query parameter 'train'"),
               ("?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10", "has 10 parameters")]
        for query, needle in bad:
            with self.subTest(query=query):
                msg = self.error("/v1/sessions/lin/forward" + query, x, 400, "invalid_argument", ctype=NPY)
                self.assertIn(needle, msg)
        # With a JSON body deterministic is a member, not a query parameter.
        msg = self.error("/v1/sessions/lin/forward?deterministic=true", {"x": [[1.0, 1.0]]}, 400,
                         "invalid_argument")
        self.assertIn("body.deterministic", msg)
        self.assertEqual(self.counts("lin"), before)

    def test_bad_bodies_are_refused_and_change_nothing(self):
        good = f32_npy([[1.0, 1.0]])
        data = struct.pack("<2f", 1.0, 1.0)
        hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }"
        cases = [
            ("empty", b"", "empty"),
            ("json", b'{"x": [[1.0, 1.0]]}', "not a .npy file"),
            ("magic only", b"\x93NUMPY", "truncated"),
            ("version 4", good[:6] + b"\x04\x00" + good[8:], "unsupported .npy format version 4.0"),
            ("header cut", good[:60], "truncated .npy file"),
            ("data cut", good[:-1], "truncated .npy data"),
            ("trailing", good + b"\x00", "1 trailing byte after"),
            ("big-endian", npy_bytes(">f4", [1, 2], struct.pack(">2f", 1.0, 1.0)), "big-endian"),
            ("object", npy_bytes("|O", [1, 2], b"\x00" * 16), "object arrays"),
            ("structured", npy_bytes("", [], data, header="{'descr': [('a', '<f4'), ('b', '<f4')], "
                                     "'fortran_order': False, 'shape': (1,), }"), "structured"),
            ("string", npy_bytes("<U1", [1, 2], b"\x00" * 8), "not supported"),
            ("float16", npy_bytes("<f2", [1, 2], b"\x00" * 4), "not supported"),
            ("not a dict", npy_bytes("", [], data, header="('<f4', False, (1, 2))"), "expected '{'"),
            ("python code", npy_bytes("", [], data, header="__import__('os').system('true')"),
             "expected '{'"),
            ("call in dict", npy_bytes("", [], data, header="{'descr': str('<f4'), 'fortran_order': "
                                       "False, 'shape': (1, 2)}"), "expected a quoted string as descr"),
            ("missing key", npy_bytes("", [], data, header="{'descr': '<f4', 'shape': (1, 2)}"),
             "'fortran_order' is missing"),
            ("extra key", npy_bytes("", [], data, header=hdr[:-1] + "'x': 1}"), "unknown key 'x'"),
            ("bool as fortran_order", npy_bytes("", [], data, header=hdr.replace("False", "0")),
             "True or False"),
            ("shape list", npy_bytes("", [], data, header=hdr.replace("(1, 2)", "[1, 2]")),
             "shape must be a tuple"),
            ("shape mismatch", npy_bytes("<f4", [2, 2], data), "needs 16 bytes, but 8"),
            ("nine dims", npy_bytes("<f4", [1] * 9, struct.pack("<f", 1.0)), "more than 8 dimensions"),
            ("NaN", npy_bytes("<f4", [1, 2], struct.pack("<2f", 1.0, float("nan"))),
             "element 1 is not a finite float32"),
            ("inf as float32", npy_bytes("<f8", [1, 2], struct.pack("<2d", 1e39, 1.0)),
             "element 0 is not a finite float32"),
            ("bool", npy_bytes("|b1", [1, 2], b"\x01\x00"), "(bool) cannot be a float32 input"),
            ("wrong width", npy_bytes("<f4", [1, 3], struct.pack("<3f", 1, 2, 3)),
             "in_features = 2"),
            ("scalar", npy_bytes("<f4", [], struct.pack("<f", 1.0)), "got a scalar"),
        ]
        before = self.counts("lin")
        for name, body, needle in cases:
            with self.subTest(case=name):
                msg = self.error("/v1/sessions/lin/forward", body, 400, "invalid_argument", ctype=NPY,
                                 accept=NPY)
                self.assertIn(needle, msg)
                self.assertTrue(msg.startswith("body"), msg)
        too_many = [
            ("over --max-elements", npy_bytes("<f4", [33, 2], struct.pack("<66f", *[1.0] * 66)),
             "more than the limit of 64 elements"),
            ("overflowing shape", npy_bytes("<f4", [4294967296, 4294967296, 4294967296], b""),
             "more than the limit of 64 elements"),
            ("dimension past int64", npy_bytes("", [], b"", header="{'descr': '<f4', 'fortran_order': "
                                               "False, 'shape': (99999999999999999999,)}"),
             "too large"),
            ("output over the limit", npy_bytes("<f4", [22, 2], struct.pack("<44f", *[1.0] * 44)),
             "the output y would have more than the limit of 64"),
        ]
        for name, body, needle in too_many:
            with self.subTest(case=name):
                msg = self.error("/v1/sessions/lin/forward", body, 413, "payload_too_large", ctype=NPY)
                self.assertIn(needle, msg)
        self.assertEqual(self.counts("lin"), before, "a refused forward drew a key")
        # The session and the model are looked up as for JSON bodies.
        self.error("/v1/sessions/nope/forward", good, 404, "not_found", ctype=NPY)
        self.c.send("DELETE", "/v1/sessions/bare")
        self.json_ok("/v1/sessions", {"name": "bare", "rngs": {"default": 0}}, status=201)
        self.assertIn("has no model", self.error("/v1/sessions/bare/forward", good, 409,
                                                 "failed_precondition", ctype=NPY))
        self.assertEqual(self.counts("lin"), before)

    def test_embed_takes_integer_indices(self):
        self.create("emb", {"default": 4}, [{"type": "embed", "num_embeddings": 5, "features": 3}])
        idx = [[0, 4], [-1, 2]]
        yj = self.json_ok("/v1/sessions/emb/forward", {"x": idx})["y"]
        for descr, fmt in (("<i8", "q"), ("<i4", "i"), ("|i1", "b"), ("<i2", "h")):
            with self.subTest(descr=descr):
                x = npy_bytes(descr, [2, 2], struct.pack("<4" + fmt, 0, 4, -1, 2))
                self.assertEqual(self.json_ok("/v1/sessions/emb/forward", x, ctype=NPY)["y"], yj)
        x = npy_bytes("<u8", [2, 2], struct.pack("<4Q", 0, 4, 4, 2))
        self.assertEqual(self.json_ok("/v1/sessions/emb/forward", x, ctype=NPY)["y"]["shape"], [2, 2, 3])
        for body, needle in ((npy_bytes("<f4", [2], struct.pack("<2f", 0, 1)), "cannot be an int32 input"),
                             (npy_bytes("<i8", [2], struct.pack("<2q", 0, 5)), "outside [-5, 5)"),
                             (npy_bytes("<i8", [1], struct.pack("<q", 2 ** 40)), "outside the int32 range"),
                             (npy_bytes("<u4", [1], struct.pack("<I", 2 ** 32 - 1)), "outside the int32 range")):
            with self.subTest(needle=needle):
                self.assertIn(needle, self.error("/v1/sessions/emb/forward", body, 400, "invalid_argument",
                                                 ctype=NPY))

    def test_media_types(self):
        x = f32_npy([[1.0, 1.0]])
        # Parameters and case do not matter.
        for ctype in ("application/x-npy; charset=binary", "Application/X-NPY", " application/x-npy"):
            with self.subTest(ctype=ctype):
                self.json_ok("/v1/sessions/lin/forward?deterministic=true", x, ctype=ctype)
        # Other routes keep 415 for .npy bodies; the forward route for others.
        for path in ("/v1/sessions", "/v1/sessions/lin/keys", "/v1/sessions/lin/sample",
                     "/v1/sessions/lin/reseed", "/v1/random/normal", "/v1/init/zeros",
                     "/v2/models/lin/infer"):
            with self.subTest(path=path):
                s, h, p = self.c.post(path, x, ctype=NPY)
                self.assertEqual(s, 415, p[:200])
        msg = self.error("/v1/sessions/lin/forward", x, 415, "unsupported_media_type",
                         ctype="application/octet-stream")
        self.assertIn("application/json or application/x-npy", msg)


class Negotiation(NpyTestCase):
    BODY = {"key": [0, 1], "shape": [3]}
    PATH = "/v1/random/uniform"

    def kind(self, accept):
        s, h, p = self.c.post(self.PATH, self.BODY, accept=accept)
        self.assertEqual(h.get("vary"), "Accept", (accept, h))
        if s == 406:
            self.assertTrue(h["content-type"].startswith(JSON))
            self.assertEqual(json.loads(p)["error"]["code"], "not_acceptable")
            return 406
        self.assertEqual(s, 200, p[:200])
        return "npy" if h["content-type"] == NPY else "json"

    def test_accept_cases(self):
        cases = [
            (None, "json"), ("*/*", "json"), ("application/*", "json"), ("application/json", "json"),
            ("application/x-npy", "npy"), ("application/x-npy;q=0.001", "npy"),
            ("application/x-npy, application/json", "json"),  # a tie: JSON
            ("application/json, application/x-npy;q=1.0", "json"),
            ("application/x-npy, application/json;q=0.9", "npy"),
            ("application/json;q=0.5, application/x-npy;q=0.6", "npy"),
            ("application/x-npy, */*", "npy"),  # exact beats wildcard at the same q
            ("application/x-npy;q=0.5, */*", "json"),
            ("*/*, application/json;q=0", "npy"),
            ("application/x-npy;q=0, */*", "json"),
            ("application/x-npy;q=0", 406), ("application/json;q=0", 406), ("text/html", 406),
            ("*/*;q=0", 406), ("application/*;q=0", 406), ("text/html, application/xml;q=0.9", 406),
            ("application/*;q=0, application/x-npy", "npy"),
            ("APPLICATION/X-NPY; Q=1", "npy"),
            ("text/html;level=1;q=0.9, application/x-npy;q=0.8;ext=1", "npy"),
            ("application/x-npy;q=2, text/html", 406),  # the invalid element is ignored
            ("nonsense", "json"),  # no valid element: as if absent
            ("", "json"),
            (["text/html", "application/x-npy"], "npy"),  # two Accept lines form one list
            (["application/x-npy;q=0.1", "application/json;q=0.2"], "json"),
        ]
        for accept, want in cases:
            with self.subTest(accept=accept):
                self.assertEqual(self.kind(accept), want)

    def test_406_names_the_header_and_draws_nothing(self):
        msg = self.error(self.PATH, self.BODY, 406, "not_acceptable", accept="text/html")
        self.assertIn("text/html", msg)
        self.assertIn("application/json", msg)
        self.create("n406", {"default": 0}, [{"type": "linear", "in_features": 1, "out_features": 1},
                                             {"type": "dropout", "rate": 0.5}])
        before = self.counts("n406")
        self.error("/v1/sessions/n406/sample", {"distribution": "normal"}, 406, "not_acceptable",
                   accept="image/png")
        self.error("/v1/sessions/n406/forward", {"x": [[1.0]]}, 406, "not_acceptable",
                   accept="application/json;q=0")
        self.error("/v1/sessions/n406/forward", f32_npy([[1.0]]), 406, "not_acceptable",
                   accept="text/plain", ctype=NPY)
        self.assertEqual(self.counts("n406"), before)
        # A request that fails for another reason answers JSON whatever Accept prefers.
        self.error(self.PATH, {"key": [0, 1], "shape": [-1]}, 400, "invalid_argument", accept=NPY)
        self.error("/v1/sessions/n406/forward", {"x": [[1.0, 2.0]]}, 400, "invalid_argument", accept=NPY)
        self.error("/v1/random/nope", {"key": [0, 1]}, 404, "not_found", accept=NPY)
        self.assertEqual(self.counts("n406"), before)

    def test_keys_are_json_only(self):
        for op, body in (("key", {"seed": 1}), ("fold_in", {"key": [0, 1], "data": 2}),
                         ("split", {"key": [0, 1], "num": 3})):
            with self.subTest(op=op):
                msg = self.error("/v1/random/" + op, body, 406, "not_acceptable", accept=NPY)
                self.assertIn("application/json only", msg)
                s, h, p = self.c.post("/v1/random/" + op, body, accept=NPY + ", " + JSON + ";q=0.1")
                self.assertEqual((s, h["content-type"], h.get("vary")), (200, JSON, "Accept"))
                json.loads(p)

    def test_other_routes_do_not_negotiate(self):
        self.create("plain", {"default": 0}, [{"type": "linear", "in_features": 1, "out_features": 1}])
        for method, path, body in (("GET", "/v1/sessions", None), ("GET", "/v1/sessions/plain", None),
                                   ("GET", "/v1/sessions/plain/params", None),
                                   ("POST", "/v1/sessions/plain/keys", b"{}"),
                                   ("GET", "/v2/health/ready", None),
                                   ("POST", "/v2/models/plain/infer",
                                    json.dumps({"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 1],
                                                            "data": [1.0]}]}).encode())):
            for accept in (NPY, "text/html"):
                with self.subTest(path=path, accept=accept):
                    s, h, p = self.c.send(method, path, body, accept=accept)
                    self.assertEqual(s, 200, p[:200])
                    self.assertTrue(h["content-type"].startswith(JSON), h)
                    self.assertNotIn("vary", h)
                    json.loads(p)


if __name__ == "__main__":
    unittest.main()
