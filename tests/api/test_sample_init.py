"""POST /v1/sessions/{name}/sample with "initializer": Flax 0.12's keyless
initializers (api.md, Version 1.1: `rngs.params.lecun_normal()(shape)`).

One key is drawn from the stream when called — fold_in(stream key, count) —
and the initializer is applied with it: the result equals the stateless
POST /v1/init/{initializer} with that key, in the session's threefry mode.
"""
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase, fold_in, key_of  # noqa: E402


class KeylessInitializerTest(DaemonTestCase):
    def sample(self, name, body, **kw):
        return self.d.post("/v1/sessions/%s/sample" % name, body, **kw)

    def test_equals_the_stateless_initializer(self):
        for mode in ("partitionable", "legacy"):
            name = "ki-" + mode
            s, b = self.d.post("/v1/sessions", {"name": name, "rngs": {"params": 0, "default": 5},
                                                "options": {"threefry": mode}})
            self.assertEqual(s, 201, b)
            cases = [
                ("params", {"initializer": "lecun_normal", "shape": [2, 3]}),
                ("params", {"initializer": "xavier_uniform", "shape": [4, 5]}),  # an alias
                ("params", {"initializer": "variance_scaling", "shape": [3, 4], "scale": 2.0,
                            "mode": "fan_avg", "distribution": "uniform"}),
                ("params", {"initializer": "truncated_normal", "shape": [7], "stddev": 0.5, "lower": -1.0}),
                ("params", {"initializer": "constant", "shape": [2], "value": 3.5}),
                ("dropout", {"initializer": "normal", "shape": [2, 2], "stddev": 2.0}),  # served by default
            ]
            counts = {"params": 0, "default": 0}
            for stream, body in cases:
                s, b = self.sample(name, dict(body, stream=stream))
                self.assertEqual(s, 200, (body, b))
                source = "params" if stream == "params" else "default"
                seed = 0 if source == "params" else 5
                key = fold_in(key_of(seed), counts[source])
                self.assertEqual((b["key"], b["count"], b["stream"], b["source"]),
                                 (key, counts[source], stream, source), body)
                counts[source] += 1
                params = {k: v for k, v in body.items() if k != "initializer"}
                s, want = self.d.post("/v1/init/" + body["initializer"], dict(params, key=key, threefry=mode))
                self.assertEqual(s, 200, want)
                self.assertEqual((b["shape"], b["dtype"], b["data"]), (want["shape"], want["dtype"], want["data"]))
            got = self.d.get("/v1/sessions/" + name)[1]["rngs"]
            self.assertEqual({k: v["count"] for k, v in got.items()}, counts)
            self.d.delete("/v1/sessions/" + name)

    def test_npy_reply(self):
        import json
        self.d.post("/v1/sessions", {"name": "ki-npy", "rngs": {"params": 1}})
        c = self.d.connection()
        c.request("POST", "/v1/sessions/ki-npy/sample",
                  body=json.dumps({"stream": "params", "initializer": "he_normal", "shape": [2, 2]}),
                  headers={"Content-Type": "application/json", "Accept": "application/x-npy"})
        r = c.getresponse()
        raw = r.read()
        h = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(h["content-type"], "application/x-npy")
        self.assertTrue(raw.startswith(b"\x93NUMPY"))
        key = fold_in(key_of(1), 0)
        self.assertEqual(h["keyfold-key"], "%d,%d" % tuple(key))
        self.assertEqual((h["keyfold-count"], h["keyfold-source"]), ("0", "params"))
        s, want = self.d.post("/v1/init/he_normal", {"key": key, "shape": [2, 2]})
        self.assertEqual(list(struct.unpack("<4f", raw[-16:])),
                         [struct.unpack("<f", struct.pack("<f", v))[0] for v in want["data"]])
        self.d.delete("/v1/sessions/ki-npy")

    def test_bad_requests_draw_nothing(self):
        self.d.post("/v1/sessions", {"name": "ki-bad", "rngs": {"params": 2}})
        cases = [
            ({"initializer": "nope", "shape": [2, 2]}, "must be one of"),
            ({"initializer": "lecun_normal", "distribution": "normal", "shape": [2, 2]}, "one or the other"),
            ({"initializer": "lecun_normal"}, "shape is required"),
            ({"initializer": "lecun_normal", "shape": [3]}, "rank >= 2"),
            ({"initializer": "lecun_normal", "shape": [2, 2], "stddev": 1.0}, "stddev"),
            ({"initializer": "variance_scaling", "shape": [2, 2], "scale": -1.0}, "scale"),
            ({"initializer": "variance_scaling", "shape": [2, 2], "distribution": "cauchy"}, "distribution"),
            ({"initializer": "he_uniform", "shape": [0, 3]}, "zero fan"),
            ({"initializer": 3, "shape": [2, 2]}, "initializer"),
        ]
        for body, words in cases:
            s, b = self.sample("ki-bad", dict(body, stream="params"))
            self.assertEqual(s, 400, (body, b))
            self.assertIn(words, b["error"]["message"], body)
        self.assertEqual(self.sample("ki-bad", {"stream": "nope", "initializer": "zeros", "shape": [1]})[0], 404)
        self.assertEqual(self.d.get("/v1/sessions/ki-bad")[1]["rngs"]["params"]["count"], 0)
        self.d.delete("/v1/sessions/ki-bad")


if __name__ == "__main__":
    unittest.main()
