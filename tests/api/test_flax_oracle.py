"""The Flax era sequences printed by real Flax, replayed through the HTTP API.

tests/vectors/jax-oracle-flax-{0.10,0.12}.json hold "flax_session" cases
(scripts/gen-vectors.py): an nnx.Rngs, an nnx.Sequential built from it, and
a script of forwards, reseeds (by target), draws and forks, with the
parameters, every output and the state of every stream after each step as
Flax 0.10.7 and 0.12.8 printed them. Each case becomes one session with
options.flax "0.10" or "0.12" and the case's threefry mode; every value must
match bit for bit:

  - parameters (GET …/params) and outputs (POST …/forward) as float32 bits;
  - the session's own streams (the Session's "rngs", in order) after every step;
  - in 0.12, the streams the model holds (each layer's "rngs": path, tag,
    key, count, in graph order). Flax 0.10's model holds the session's own
    Rngs (iter_graph lists it once, under the first dropout's path), which
    keyfold shows as the session's streams: there the Session must show no
    model streams at all;
  - a step tagged keyfold_rejects (a reseed tag that reaches no stream of
    its target: Flax ignores it, keyfold answers 400) must be 400 and leave
    everything as Flax left it.
"""
import json
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors")
ERAS = {"flax-0.10": "0.10", "flax-0.12": "0.12"}


def cases():
    out = []
    for era in ERAS:
        with open(os.path.join(VECTORS, "jax-oracle-%s.json" % era)) as f:
            doc = json.load(f)
        out += [c for c in doc["cases"] if c["op"] == "flax_session"]
    return out


def hex_of(values, dtype):
    fmt = {"float32": "<f", "int32": "<i"}[dtype]
    return b"".join(struct.pack(fmt, v) for v in values).hex()


class FlaxOracleReplay(DaemonTestCase):
    def call(self, method, path, body=None):
        s, b, _ = self.d.request(method, path, body)
        return s, b

    def ok(self, method, path, body=None):
        s, b = self.call(method, path, body)
        self.assertEqual(s, 200 if method != "POST" or not path.endswith(("sessions", "/fork")) else 201,
                         (path, body, b))
        return b

    def check_state(self, session, want, era, where):
        self.assertEqual([[n, st["key"], st["count"]] for n, st in session["rngs"].items()],
                         [[st["name"], st["key"], st["count"]] for st in want["rngs"]], where + ": rngs")
        held = [dict(layer["rngs"]) for layer in session["model"]["layers"] if "rngs" in layer]
        if era == "0.10":
            self.assertEqual(held, [], where)
        else:
            self.assertEqual(held, want["model"], where + ": model streams")

    def replay(self, case):
        a, exp = case["args"], case["expect"]
        era = ERAS[case["era"]]
        name = "oracle-%d" % self.n
        self.n += 1
        body = {"name": name, "rngs": a["rngs"], "model": {"layers": a["layers"]},
                "options": {"flax": era, "threefry": case["mode"]}}
        session = self.ok("POST", "/v1/sessions", body)
        self.check_state(session, exp["built"], era, "built")
        params = self.ok("GET", "/v1/sessions/%s/params" % name)["params"]
        got = {"layers.%d.%s" % (i, k): v for i, layer in enumerate(params) for k, v in layer.items()}
        self.assertEqual(sorted(got), sorted(p["path"] for p in exp["params"]))
        for p in exp["params"]:
            t = got[p["path"]]
            self.assertEqual(t["shape"], p["value"]["shape"], p["path"])
            self.assertEqual(hex_of(t["data"], "float32"), p["value"]["expect"], p["path"])
        for i, (step, want) in enumerate(zip(a["steps"], exp["steps"])):
            where = "step %d %s" % (i, json.dumps(step))
            if "forward" in step:
                req = {"x": a["inputs"][step["forward"]]}
                if step["deterministic"] is not None:
                    req["deterministic"] = step["deterministic"]
                y = self.ok("POST", "/v1/sessions/%s/forward" % name, req)["y"]
                self.assertEqual(y["shape"], want["y"]["shape"], where)
                self.assertEqual(hex_of(y["data"], "float32"), want["y"]["expect"], where)
            elif "reseed" in step:
                req = {"streams": step["reseed"]}
                for k in ("target", "policy"):
                    if k in step:
                        req[k] = step[k]
                s, b = self.call("POST", "/v1/sessions/%s/reseed" % name, req)
                self.assertEqual(s, 400 if step.get("keyfold_rejects") else 200, (where, b))
            elif "draw" in step:
                req = {} if step["draw"] is None else {"stream": step["draw"]}
                b = self.ok("POST", "/v1/sessions/%s/keys" % name, req)
                self.assertEqual(b["keys"], [want["key"]], where)
            elif "fork" in step:
                req = {"name": "%s-child-%d" % (name, i)}
                if step["fork"] is not None:
                    req["streams"] = step["fork"]
                child = self.ok("POST", "/v1/sessions/%s/fork" % name, req)
                self.assertEqual([[n, st["key"], st["count"]] for n, st in child["rngs"].items()],
                                 [[c["name"], c["key"], c["count"]] for c in want["child"]], where)
            else:
                self.fail("unknown step %r" % step)
            self.check_state(self.ok("GET", "/v1/sessions/" + name), want["state"], era, where)

    def test_every_case(self):
        self.n = 0
        all_cases = cases()
        self.assertGreaterEqual(len(all_cases), 25)
        for era in ERAS:
            self.assertTrue(any(c["era"] == era for c in all_cases), era)
        for case in all_cases:
            with self.subTest(case=case["id"], era=case["era"]):
                self.replay(case)


if __name__ == "__main__":
    unittest.main()
