"""Models of every issue-13 layer type against real Flax (api.md "Layers and
composition"; tests/vectors/flax-layers-{0.10,0.12}.json, printed by Flax
0.10.7 / jax 0.6.2 and Flax 0.12.8 / jax 0.10.2 with
scripts/gen-layer-vectors.py).

For each case, in the case's era (options.flax):
* construction: every Param and BatchStat by its nnx.state path, bit for
  bit (the safetensors form, float32 little-endian), and nothing else; the
  Rngs' streams (key and count) after construction; in 0.12 the streams the
  model holds (dropouts' and attentions' forks) with their paths;
* reseed (0.12): nnx.reseed(model, dropout=42) gives the n-th held stream
  in graph order (sorted paths) fold_in(key(42), n);
* the MNIST tutorial CNN: its parameter shapes, first values and sums;
* forward passes, train then eval, as Flax ran them: the dropout masks are
  Flax's bit for bit (the keys are), the float32 arithmetic agrees within
  FORWARD_RTOL of the output's scale (docs/layer-numerics.md gives the
  measured distances per layer), and the batch statistics a train step
  leaves likewise; the streams' counts after the step exactly.
"""
import json
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase  # noqa: E402
import test_params_formats as params_formats  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors")
# |keyfold - Flax| <= FORWARD_RTOL * max|Flax| per output: float32 rounding
# in another summation order, never a wrong mask or parameter (those are
# errors of order one).
FORWARD_RTOL = 2e-5
ERAS = ("0.10", "0.12")


def load(era):
    with open(os.path.join(VECTORS, "flax-layers-%s.json" % era)) as f:
        return json.load(f)["cases"]


def read_safetensors(raw):
    """{name: (shape, data bytes)} of a safetensors file (test_params_formats reads the format)."""
    return {name: (shape, blob) for name, (_, shape, blob) in params_formats.read_safetensors(raw)[2].items()}


def held_streams(layers):
    """Every "rngs" annotation in a Session's model.layers, by path."""
    out = {}
    for layer in layers:
        r = layer.get("rngs")
        for s in (r if isinstance(r, list) else [r] if r else []):
            out[s["path"]] = s
        out.update(held_streams(layer.get("layers", [])))
    return out


class LayersFlaxTest(DaemonTestCase):
    maxDiff = None

    def raw_get(self, path):
        c = self.d.connection()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body

    def build(self, case, era, name):
        a = case["args"]
        body = {"name": name, "rngs": a["rngs"], "model": {"layers": a["model"]["layers"]},
                "options": {"flax": era}}
        s, session = self.d.post("/v1/sessions", body)
        self.assertEqual(s, 201, session)
        return session

    def variables(self, name):
        s, raw = self.raw_get("/v1/sessions/%s/params?format=safetensors" % name)
        self.assertEqual(s, 200, raw[:300])
        return read_safetensors(raw)

    def test_construction_matches_flax(self):
        n = 0
        for era in ERAS:
            for case in load(era):
                name = "lf-%d" % n
                n += 1
                with self.subTest(case=case["id"]):
                    session = self.build(case, era, name)
                    built = case["expect"]["built"]
                    got = self.variables(name)
                    if "params_summary" in built:
                        self.check_summary(got, built["params_summary"])
                    else:
                        want = {p["path"]: p["value"] for p in built["params"] + built["batch_stats"]}
                        self.assertEqual(sorted(got), sorted(want))
                        for path, v in want.items():
                            shape, blob = got[path]
                            self.assertEqual(shape, v["shape"], path)
                            self.assertEqual(blob.hex(), v["expect"], path)
                    for st in built["rngs"]:
                        self.assertEqual(session["rngs"][st["name"]], {"key": st["key"], "count": st["count"]},
                                         st["name"])
                    if era != "0.10":
                        held = held_streams(session["model"]["layers"])
                        want_held = {s["path"]: (s["key"], s["count"]) for s in built["model_streams"]}
                        self.assertEqual({p: (s["key"], s["count"]) for p, s in held.items()}, want_held)

    def check_summary(self, got, summary):
        import math
        want = {p["path"]: p for p in summary}
        self.assertEqual(sorted(got), sorted(want))
        for path, p in want.items():
            shape, blob = got[path]
            self.assertEqual(shape, p["shape"], path)
            head = bytes.fromhex(p["head"])
            self.assertEqual(blob[:len(head)].hex(), p["head"], path)
            values = struct.unpack("<%df" % (len(blob) // 4), blob)
            # A value may differ by an ulp between jaxlib eras (XLA's log1p in
            # truncated_normal): the sum agrees far below this tolerance.
            self.assertTrue(math.isclose(math.fsum(values), p["sum"], rel_tol=0, abs_tol=1e-4), path)

    def close(self, got_shape, got_values, want, what):
        self.assertEqual(got_shape, want["shape"], what)
        blob = bytes.fromhex(want["expect"])
        ref = struct.unpack("<%df" % (len(blob) // 4), blob)
        self.assertEqual(len(got_values), len(ref), what)
        scale = max([abs(v) for v in ref] + [1e-30])
        worst = max([abs(a - b) for a, b in zip(got_values, ref)] + [0.0])
        self.assertLessEqual(worst, FORWARD_RTOL * scale, "%s: max |diff| %g, scale %g" % (what, worst, scale))
        self.exact.append(struct.pack("<%df" % len(got_values), *got_values) == blob)
        return worst / scale

    def test_forward_matches_flax(self):
        n = 0
        worst = {}
        self.exact = []
        for era in ERAS:
            for case in load(era):
                name = "lff-%d" % n
                n += 1
                with self.subTest(case=case["id"]):
                    self.build(case, era, name)
                    for out in case["expect"]["outputs"]:
                        x = case["args"]["inputs"][out["input"]]
                        s, b = self.d.post("/v1/sessions/%s/forward" % name, {"x": x, "deterministic": False})
                        self.assertEqual(s, 200, b)
                        r = self.close(b["y"]["shape"], b["y"]["data"], out["train"], "train")
                        got = self.variables(name)
                        for st in out["batch_stats_after"]:
                            shape, blob = got[st["path"]]
                            vals = struct.unpack("<%df" % (len(blob) // 4), blob)
                            self.close(shape, vals, st["value"], st["path"])
                        s, session = self.d.get("/v1/sessions/%s" % name)
                        for st in out["rngs_after"]:
                            self.assertEqual(session["rngs"][st["name"]]["count"], st["count"], st["name"])
                        s, b = self.d.post("/v1/sessions/%s/forward" % name, {"x": x, "deterministic": True})
                        self.assertEqual(s, 200, b)
                        r = max(r, self.close(b["y"]["shape"], b["y"]["data"], out["eval"], "eval"))
                        worst[case["id"]] = r
        print("\n%d of %d outputs and statistics bit-identical to Flax's" % (sum(self.exact), len(self.exact)),
              file=sys.stderr)
        print("largest |keyfold - Flax| / max|Flax| per case:", file=sys.stderr)
        for k, v in sorted(worst.items(), key=lambda kv: -kv[1])[:int(os.environ.get("KF_SHOW_CASES", "15"))]:
            print("  %-45s %.3g" % (k, v), file=sys.stderr)

    def test_reseed_follows_graph_order(self):
        n = 0
        for case in load("0.12"):
            rs = case["expect"].get("reseed")
            if not rs or not any(x["tag"] in rs["streams"] for x in rs["model_streams"]):
                continue  # nothing to reseed: keyfold answers 400 where Flax does nothing
            name = "lfr-%d" % n
            n += 1
            with self.subTest(case=case["id"]):
                self.build(case, "0.12", name)
                s, session = self.d.post("/v1/sessions/%s/reseed" % name,
                                         {"streams": rs["streams"], "target": "model"})
                self.assertEqual(s, 200, session)
                held = held_streams(session["model"]["layers"])
                want = {x["path"]: (x["key"], x["tag"]) for x in rs["model_streams"]}
                self.assertEqual({p: (x["key"], x["tag"]) for p, x in held.items()}, want)
        self.assertGreater(n, 5)


if __name__ == "__main__":
    unittest.main()
