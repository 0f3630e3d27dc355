"""GET /v1/sessions/{name}/params?format=state|safetensors (api.md 1.1).

* Real Flax: for the "flax_session" cases of tests/vectors/jax-oracle-flax-
  {0.10,0.12}.json (printed by Flax 0.10.7 and 0.12.8), ?format=state,
  flattened, has exactly the paths nnx.iter_graph printed (layers.0.bias,
  layers.0.kernel, ...) with the printed float32 bits, and the safetensors
  file holds the same tensors under the same dotted names.
* The safetensors file read with NumPy alone (the format: an 8-byte
  little-endian header length, a JSON header padded to 8 bytes, the data):
  every tensor equals the array the default format returns, offsets
  contiguous from 0, __metadata__ naming the session and its era.
* The three formats agree with each other for a model mixing layer types;
  a model without parameters and a session without a model give empty
  forms; a bad format or another query parameter is 400, an unknown session
  404.
"""
import json
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase  # noqa: E402
from test_flax_oracle import ERAS, cases, hex_of  # noqa: E402

try:
    import numpy
except ImportError:
    numpy = None

MIXED = {"layers": [{"type": "embed", "num_embeddings": 5, "features": 3},
                    {"type": "linear", "in_features": 3, "out_features": 4},
                    {"type": "relu"}, {"type": "dropout", "rate": 0.25},
                    {"type": "linear", "in_features": 4, "out_features": 2, "use_bias": False}]}


def read_safetensors(raw):
    """(header dict, {name: (dtype, shape, data bytes)}) — the format by hand."""
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        out[name] = (t["dtype"], t["shape"], data[begin:end])
    return n, header, out, data


class ParamsFormatsTest(DaemonTestCase):
    maxDiff = None

    def raw_get(self, path):
        c = self.d.connection()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        ctype = r.getheader("Content-Type")
        c.close()
        return r.status, ctype, body

    def make(self, name, model, **extra):
        body = dict({"name": name, "rngs": {"params": 3, "dropout": 4}}, **extra)
        if model is not None:
            body["model"] = model
        s, b = self.d.post("/v1/sessions", body)
        self.assertEqual(s, 201, b)

    def formats(self, name):
        s, layers = self.d.get("/v1/sessions/%s/params" % name)
        self.assertEqual(s, 200, layers)
        s2, state = self.d.get("/v1/sessions/%s/params?format=state" % name)
        self.assertEqual(s2, 200, state)
        s3, ctype, raw = self.raw_get("/v1/sessions/%s/params?format=safetensors" % name)
        self.assertEqual((s3, ctype), (200, "application/octet-stream"), raw[:200])
        return layers["params"], state, raw

    def test_formats_agree(self):
        self.make("pf-mixed", MIXED)
        layers, state, raw = self.formats("pf-mixed")
        # state: the layers with variables, by index, the same tensors
        want = {str(i): layer for i, layer in enumerate(layers) if layer}
        self.assertEqual(state, {"layers": want})
        self.assertEqual(sorted(want), ["0", "1", "4"])
        n, header, tensors, data = read_safetensors(raw)
        self.assertEqual(n % 8, 0)
        self.assertEqual(header["__metadata__"], {"format": "keyfold", "session": "pf-mixed", "flax": "0.10"})
        flat = {"layers.%s.%s" % (i, k): v for i, layer in want.items() for k, v in layer.items()}
        self.assertEqual(sorted(tensors), sorted(flat))
        spans = sorted(t["data_offsets"] for k, t in header.items() if k != "__metadata__")
        self.assertEqual(spans[0][0], 0)
        self.assertEqual(spans[-1][1], len(data))
        for a, b in zip(spans, spans[1:]):
            self.assertEqual(a[1], b[0])
        for path, t in flat.items():
            dtype, shape, blob = tensors[path]
            self.assertEqual((dtype, shape), ("F32", t["shape"]), path)
            self.assertEqual(blob.hex(), hex_of(t["data"], "float32"), path)

    @unittest.skipIf(numpy is None, "NumPy is not installed")
    def test_safetensors_loads_with_numpy(self):
        self.make("pf-numpy", MIXED)
        layers, _, raw = self.formats("pf-numpy")
        (n,) = numpy.frombuffer(raw[:8], dtype="<u8")
        header = json.loads(bytes(raw[8:8 + int(n)]))
        base = 8 + int(n)
        for i, layer in enumerate(layers):
            for k, t in layer.items():
                h = header["layers.%d.%s" % (i, k)]
                begin, end = h["data_offsets"]
                arr = numpy.frombuffer(raw[base + begin:base + end], dtype="<f4").reshape(h["shape"])
                want = numpy.array(t["data"], dtype=numpy.float32).reshape(t["shape"])
                self.assertTrue(numpy.array_equal(arr, want), (i, k))
                self.assertEqual(arr.tobytes(), want.tobytes())

    def test_flax_paths_and_values(self):
        seen = 0
        for case in cases():
            era = ERAS[case["era"]]
            name = "pf-flax-%d" % seen
            seen += 1
            a = case["args"]
            body = {"name": name, "rngs": a["rngs"], "model": {"layers": a["layers"]},
                    "options": {"flax": era, "threefry": case["mode"]}}
            s, b = self.d.post("/v1/sessions", body)
            self.assertEqual(s, 201, b)
            _, state, raw = self.formats(name)
            flat = {"layers.%s.%s" % (i, k): v for i, layer in state.get("layers", {}).items()
                    for k, v in layer.items()}
            want = {p["path"]: p["value"] for p in case["expect"]["params"]}
            with self.subTest(case=case["id"]):
                self.assertEqual(sorted(flat), sorted(want))
                _, _, tensors, _ = read_safetensors(raw)
                self.assertEqual(sorted(tensors), sorted(want))
                for path, v in want.items():
                    self.assertEqual(flat[path]["shape"], v["shape"], path)
                    self.assertEqual(hex_of(flat[path]["data"], "float32"), v["expect"], path)
                    self.assertEqual(tensors[path][2].hex(), v["expect"], path)
            self.d.request("DELETE", "/v1/sessions/" + name)
        self.assertGreater(seen, 10)

    def test_empty_forms(self):
        self.make("pf-none", None)
        self.make("pf-noparams", {"layers": [{"type": "relu"}, {"type": "dropout", "rate": 0.5}]})
        for name in ("pf-none", "pf-noparams"):
            layers, state, raw = self.formats(name)
            self.assertEqual(state, {})
            n, header, tensors, data = read_safetensors(raw)
            self.assertEqual((tensors, data), ({}, b""))
            self.assertEqual(header["__metadata__"]["session"], name)

    def test_bad_queries(self):
        self.make("pf-bad", MIXED)
        for query, text in (("format=npz", "format must be layers, state or safetensors, got 'npz'"),
                            ("format", "format must be layers, state or safetensors, got '(no value)'"),
                            ("fmt=state", "unknown query parameter 'fmt'"),
                            ("format=state&format=layers", "takes one, format")):
            with self.subTest(query=query):
                s, b = self.d.get("/v1/sessions/pf-bad/params?" + query)
                self.assertEqual(s, 400, b)
                self.assertIn(text, b["error"]["message"])
        s, b = self.d.get("/v1/sessions/pf-missing/params?format=safetensors")
        self.assertEqual((s, b["error"]["code"]), (404, "not_found"))


if __name__ == "__main__":
    unittest.main()
