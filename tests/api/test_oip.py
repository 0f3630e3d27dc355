"""Open Inference Protocol routes: real requests and responses validated
against proto/open-inference-protocol.yaml (the protocol's REST objects plus
what keyfold fixes), and inference equal to POST …/forward."""
import os
import sys
import unittest

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase, f32, f32_bits  # noqa: E402

ROOT = os.environ.get("KEYFOLD_SOURCE_ROOT", os.path.join(HERE, "..", ".."))
with open(os.path.join(ROOT, "proto", "open-inference-protocol.yaml")) as f:
    SPEC = yaml.safe_load(f)

MODEL = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                    {"type": "dropout", "rate": 0.5}]}


def validator(name):
    """A validator for one component schema, with the whole document as the
    root so that its $refs resolve."""
    root = dict(SPEC)
    root["$ref"] = "#/components/schemas/" + name
    return jsonschema.Draft202012Validator(root)


def assert_valid(test, name, value):
    errors = sorted(str(e.message) for e in validator(name).iter_errors(value))
    test.assertEqual(errors, [], "%s: %r" % (name, value))


class OipTest(DaemonTestCase):
    FLAGS = ("--durability", "memory")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("m1", "twin"):
            s, b = cls.d.post("/v1/sessions", {"name": name, "rngs": {"params": 0, "dropout": 42},
                                               "model": MODEL})
            assert s == 201, b
        s, b = cls.d.post("/v1/sessions", {"name": "plain", "rngs": {"default": 1}})
        assert s == 201, b
        s, b = cls.d.post("/v1/sessions", {"name": "emb", "rngs": {"default": 1}, "model": {"layers": [
            {"type": "embed", "num_embeddings": 5, "features": 4}, {"type": "relu"}]}})
        assert s == 201, b
        s, b = cls.d.post("/v1/sessions", {"name": "m12", "rngs": {"params": 0, "dropout": 42},
                                           "model": MODEL, "options": {"flax": "0.12"}})
        assert s == 201, b

    def test_server_metadata(self):
        s, b = self.d.get("/v2")
        self.assertEqual(s, 200)
        assert_valid(self, "metadata_server_response", b)
        self.assertEqual(b["name"], "keyfold")

    def test_model_metadata_and_ready(self):
        s, b = self.d.get("/v2/models/m1")
        self.assertEqual(s, 200)
        assert_valid(self, "metadata_model_response", b)
        self.assertEqual(b["inputs"], [{"name": "x", "datatype": "FP32", "shape": [-1, 2]}])
        self.assertEqual(b["outputs"], [{"name": "y", "datatype": "FP32", "shape": [-1, 3]}])
        self.assertEqual(b["platform"], "keyfold-flax-nnx-0.10")
        self.assertEqual(self.d.get("/v2/models/m12")[1]["platform"], "keyfold-flax-nnx-0.12")
        s, b = self.d.get("/v2/models/emb")
        self.assertEqual(s, 200)
        self.assertEqual(b["inputs"][0]["datatype"], "INT32")
        self.assertEqual(b["outputs"][0]["shape"], [-1, 4])
        s, b = self.d.get("/v2/models/m1/ready")
        self.assertEqual(s, 200)
        assert_valid(self, "model_ready_response", b)
        for path in ("/v2/models/nope", "/v2/models/nope/ready", "/v2/models/plain",
                     "/v2/models/plain/ready", "/v2/models/..%2Fx"):
            s, b = self.d.get(path)
            self.assertEqual(s, 404, path)
            assert_valid(self, "error_response", b)

    def infer(self, name, body, expect=200):
        assert_valid(self, "inference_request", body) if expect == 200 else None
        s, b = self.d.post("/v2/models/%s/infer" % name, body)
        self.assertEqual(s, expect, b)
        assert_valid(self, "inference_response" if s == 200 else "error_response", b)
        if s == 200:
            assert_valid(self, "keyfold_inference_request", body)
            assert_valid(self, "keyfold_inference_response", b)
        return b

    def test_infer_equals_forward(self):
        # Two identical sessions: infer on one, forward on the other, three
        # times, so the dropout keys advance alike (counts 0, 1, 2).
        for i, data in enumerate(([1.0, 1.0], [[1.0, 1.0]], [[0.5, -2.0]])):
            flat = data if isinstance(data[0], float) else data[0]
            b = self.infer("m1", {"id": "req-%d" % i, "inputs": [
                {"name": "x", "shape": [1, 2], "datatype": "FP32", "data": data}],
                "outputs": [{"name": "y"}]})
            self.assertEqual(b["model_name"], "m1")
            self.assertEqual(b["id"], "req-%d" % i)
            out = b["outputs"][0]
            s, f = self.d.post("/v1/sessions/twin/forward", {"x": [flat]})
            self.assertEqual(s, 200)
            self.assertEqual(out["shape"], f["y"]["shape"])
            self.assertEqual([f32_bits(v) for v in out["data"]], [f32_bits(v) for v in f["y"]["data"]])
        s, a = self.d.get("/v1/sessions/m1")
        s, t = self.d.get("/v1/sessions/twin")
        self.assertEqual(a["rngs"], t["rngs"])
        self.assertEqual(a["rngs"]["dropout"]["count"], 3)

    def test_deterministic_parameter_draws_nothing(self):
        before = self.d.get("/v1/sessions/m1")[1]["rngs"]
        b = self.infer("m1", {"parameters": {"deterministic": True}, "inputs": [
            {"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 1, 2, 2]}]})
        self.assertEqual(b["outputs"][0]["shape"], [2, 3])
        self.assertEqual(self.d.get("/v1/sessions/m1")[1]["rngs"], before)
        s, p = self.d.get("/v1/sessions/m1/params")
        k = p["params"][0]["kernel"]["data"]
        # identity dropout: y = x @ kernel + 0 for x = [1, 1]
        for j in range(3):
            self.assertEqual(f32_bits(b["outputs"][0]["data"][j]), f32_bits(f32(k[j]) + f32(k[3 + j])))

    def test_embed_model_takes_int32(self):
        b = self.infer("emb", {"inputs": [{"name": "x", "shape": [3], "datatype": "INT32",
                                           "data": [0, 4, -1]}]})
        self.assertEqual(b["outputs"][0]["shape"], [3, 4])

    def test_errors_use_the_protocol_body(self):
        before = self.d.get("/v1/sessions/m1")[1]["rngs"]
        bad = [
            {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 1, 1]}]},
            {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "INT32", "data": [1, 1]}]},
            {"inputs": [{"name": "z", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]}]},
            {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1]}]},
            {"inputs": []},
            {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]}] * 2},
            {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]}],
             "outputs": [{"name": "q"}]},
            {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]}],
             "parameters": {"deterministic": "yes"}},
            {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": ["a", 1]}]},
            {"input": []},
        ]
        for body in bad:
            with self.subTest(body=body):
                self.infer("m1", body, expect=400)
        self.infer("nope", {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]}]},
                   expect=404)
        s, b, _ = self.d.request("POST", "/v2/models/m1/infer", raw=b"{", headers={"Content-Type": "application/json"})
        self.assertEqual(s, 400)
        assert_valid(self, "error_response", b)
        s, b, _ = self.d.request("POST", "/v2/models/m1/infer", raw=b"{}", headers={"Content-Type": "text/plain"})
        self.assertEqual(s, 415)
        assert_valid(self, "error_response", b)
        s, b, h = self.d.request("GET", "/v2/models/m1/infer")
        self.assertEqual(s, 405)
        assert_valid(self, "error_response", b)
        self.assertEqual(h.get("allow"), "POST")
        self.assertEqual(self.d.get("/v1/sessions/m1")[1]["rngs"], before)
        self.assertTrue(self.d.alive())


if __name__ == "__main__":
    unittest.main()
