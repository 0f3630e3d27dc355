"""options.flax "0.11"/"0.12" through the HTTP API (api.md, Version 1.1, "Flax
eras" and "Reseed"; flax-nnx.md §2.2, §2.3 and the Dropout table).

In a 0.11+ session a dropout forks its stream when the model is built (one
count of rng_collection, or of 'default' by fallback, taken between the
parameter draws around it), holds that stream and draws its masks from it;
reseed stores fold_in(key(seed), c). Keys are checked against the
independent threefry of kfharness, masks against bernoulli(key, 0.5)
computed from it (test_concurrency's dropout_mask), so nothing here trusts
the daemon's own samplers. The era sequences printed by real Flax are
replayed in test_flax_oracle.py.
"""
import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase, StoreTestCase, f32, fold_in, key_of, threefry2x32  # noqa: E402

LINEAR_DROPOUT = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                             {"type": "dropout", "rate": 0.5}]}
ONLY_DROPOUT = {"layers": [{"type": "dropout", "rate": 0.5}]}


def mask_of(key, n):
    """bernoulli(key, 0.5, (n,)), partitionable: kept when the top bit of
    y0 ^ y1 for element j is 0."""
    return [((lambda y: (y[0] ^ y[1]) >> 31)(threefry2x32(key[0], key[1], 0, j))) == 0 for j in range(n)]


def held(session):
    """The streams the model holds, by layer index."""
    return {i: layer["rngs"] for i, layer in enumerate(session["model"]["layers"]) if "rngs" in layer}


class ErasTest(DaemonTestCase):
    def create(self, name, rngs, model=None, flax="0.12", expect=201):
        body = {"name": name, "rngs": rngs, "options": {"flax": flax}}
        if model:
            body["model"] = model
        s, b = self.d.post("/v1/sessions", body)
        self.assertEqual(s, expect, b)
        return b

    def ok(self, path, body=None, method="POST"):
        s, b, _ = self.d.request(method, path, body)
        self.assertEqual(s, 200, b)
        return b

    def ones_mask(self, name, n, deterministic=None, kept=2.0):
        """Forward of ones through a model of rate-0.5 dropouts: the mask
        itself (each kept element is 1 / 0.5 per stochastic dropout)."""
        body = {"x": [1.0] * n}
        if deterministic is not None:
            body["deterministic"] = deterministic
        y = self.ok("/v1/sessions/%s/forward" % name, body)["y"]["data"]
        self.assertTrue(all(v in (0.0, kept) for v in y), y)
        return [v == kept for v in y]

    # ------------------------------------------------------------ construction
    def test_dropout_docstring_mlp(self):
        """flax-nnx.md §4: Linear(3, 4) + Dropout(0.5) with Rngs(0). Kernel and
        bias take counts 0 and 1 of default, the fork count 2; the first mask
        key is fold_in(fold_in(k0, 2), 0) and default stays at 3."""
        model = {"layers": [{"type": "linear", "in_features": 3, "out_features": 4},
                            {"type": "dropout", "rate": 0.5}]}
        for flax in ("0.11", "0.12"):
            name = "mlp-" + flax.replace(".", "")
            b = self.create(name, {"default": 0}, model, flax=flax)
            self.assertEqual(b["options"], {"threefry": "partitionable", "flax": flax})
            self.assertEqual(b["rngs"], {"default": {"key": key_of(0), "count": 3}})
            fork = fold_in(key_of(0), 2)
            self.assertEqual(held(b), {1: {"key": fork, "count": 0, "tag": "default", "path": "layers.1.rngs"}})
            # The parameters are those of the 0.10 session built from the same Rngs.
            p10 = self.create(name + "-010", {"default": 0}, model, flax="0.10")
            self.assertNotIn("rngs", p10["model"]["layers"][1])
            self.assertEqual(self.ok("/v1/sessions/%s/params" % name, method="GET"),
                             self.ok("/v1/sessions/%s-010/params" % name, method="GET"))
            w = self.ok("/v1/sessions/%s/params" % name, method="GET")["params"][0]["kernel"]["data"]
            for call in range(3):
                y = self.ok("/v1/sessions/%s/forward" % name, {"x": [[1.0, 0.0, 0.0]]})["y"]["data"]
                mask = mask_of(fold_in(fork, call), 4)
                self.assertEqual([f32(v) for v in y], [f32(f32(w[j]) / 0.5) if mask[j] else 0.0 for j in range(4)],
                                 call)
                s = self.ok("/v1/sessions/" + name, method="GET")
                self.assertEqual(s["rngs"]["default"]["count"], 3)  # the session stream does not move
                self.assertEqual(held(s)[1]["count"], call + 1)

    def test_forks_interleave_with_parameter_draws(self):
        """linear, dropout (collection 'noise', falling back to default),
        linear, dropout ('dropout'): default counts 0, 1 | 2 | 3, 4; dropout 0."""
        model = {"layers": [{"type": "linear", "in_features": 2, "out_features": 2},
                            {"type": "dropout", "rate": 0.5, "rng_collection": "noise"},
                            {"type": "linear", "in_features": 2, "out_features": 2},
                            {"type": "dropout", "rate": 0.0}]}
        b = self.create("inter", {"dropout": 9, "default": 0}, model)
        self.assertEqual({k: v["count"] for k, v in b["rngs"].items()}, {"dropout": 1, "default": 5})
        self.assertEqual(held(b), {
            1: {"key": fold_in(key_of(0), 2), "count": 0, "tag": "default", "path": "layers.1.rngs"},
            3: {"key": fold_in(key_of(9), 0), "count": 0, "tag": "dropout", "path": "layers.3.rngs"}})
        # Compare with the 0.10 session: its second kernel used count 2, here 3.
        k12 = self.ok("/v1/sessions/inter/params", method="GET")["params"][2]["kernel"]
        ref = self.ok("/v1/init/lecun_normal", {"key": fold_in(key_of(0), 3), "shape": [2, 2]})
        self.assertEqual(k12["data"], ref["data"])
        # A rate-0 dropout held a stream but never draws.
        self.ok("/v1/sessions/inter/forward", {"x": [[1.0, 2.0]]})
        self.assertEqual([h["count"] for h in held(self.ok("/v1/sessions/inter", method="GET")).values()], [1, 0])

    def test_missing_stream_is_400_at_creation(self):
        b = self.create("nostream", {"params": 0}, LINEAR_DROPOUT, expect=400)
        self.assertEqual(b["error"]["code"], "invalid_argument")
        self.assertIn("No RngStream named 'dropout' found in Rngs.", b["error"]["message"])
        self.assertIn("layers[1]", b["error"]["message"])
        # The same model in 0.10 is built; its forward is where it fails.
        self.create("nostream10", {"params": 0}, LINEAR_DROPOUT, flax="0.10")
        s, b = self.d.post("/v1/sessions/nostream10/forward", {"x": [[1.0, 1.0]]})
        self.assertEqual(s, 404, b)
        self.assertIn("No RNG named 'dropout' or 'default' found in Rngs.", b["error"]["message"])

    def test_not_found_message_follows_the_era(self):
        self.create("msg12", {"params": 0})
        s, b = self.d.post("/v1/sessions/msg12/keys", {"stream": "dropout"})
        self.assertEqual((s, b["error"]["message"]), (404, "No RngStream named 'dropout' found in Rngs."))

    def test_deterministic_and_eval_draw_nothing(self):
        self.create("det", {"dropout": 3}, {"layers": [{"type": "dropout", "rate": 0.5, "deterministic": True},
                                                       {"type": "dropout", "rate": 0.5}]})
        self.assertEqual(self.ones_mask("det", 8, deterministic=True, kept=1.0), [True] * 8)  # identity
        h = held(self.ok("/v1/sessions/det", method="GET"))
        self.assertEqual((h[0]["count"], h[1]["count"]), (0, 0))
        s, b = self.d.post("/v1/sessions/det/forward", {"x": [1.0] * 8})
        self.assertEqual(s, 200, b)
        h = held(self.ok("/v1/sessions/det", method="GET"))
        self.assertEqual((h[0]["count"], h[1]["count"]), (0, 1))  # only the stochastic one drew
        self.assertEqual(b["y"]["data"], [2.0 if m else 0.0 for m in mask_of(fold_in(fold_in(key_of(3), 1), 0), 8)])

    # ------------------------------------------------------------ reseed
    def test_reseed_docstring_both_eras(self):
        """flax-nnx.md §2.3: y1 = model(x); reseed(model, dropout=42); y2 = model(x);
        y1 == y2 in each era with its own reseed."""
        x = {"x": [[1.0, 1.0]]}
        for flax in ("0.10", "0.11", "0.12"):
            name = "doc-" + flax.replace(".", "")
            self.create(name, {"params": 0, "dropout": 42}, LINEAR_DROPOUT, flax=flax)
            y1 = self.ok("/v1/sessions/%s/forward" % name, x)["y"]
            b = self.ok("/v1/sessions/%s/reseed" % name, {"streams": {"dropout": 42}, "target": "model"})
            if flax == "0.10":
                self.assertEqual(b["rngs"]["dropout"], {"key": key_of(42), "count": 0})
            else:
                self.assertEqual(held(b)[1]["key"], fold_in(key_of(42), 0))
                self.assertEqual(held(b)[1]["count"], 0)
                self.assertEqual(b["rngs"]["dropout"]["count"], 1)  # the session's stream: untouched
            y2 = self.ok("/v1/sessions/%s/forward" % name, x)["y"]
            self.assertEqual(y1, y2, flax)

    def test_reseed_targets(self):
        model = {"layers": [{"type": "dropout", "rate": 0.5}, {"type": "dropout", "rate": 0.5},
                            {"type": "dropout", "rate": 0.5, "rng_collection": "other"}]}
        self.create("tg", {"dropout": 1, "default": 2}, model)
        # rngs only: the session's dropout gets fold_in(key(5), 0), the model keeps its forks.
        before = held(self.ok("/v1/sessions/tg", method="GET"))
        b = self.ok("/v1/sessions/tg/reseed", {"streams": {"dropout": 5}, "target": "rngs"})
        self.assertEqual(b["rngs"]["dropout"], {"key": fold_in(key_of(5), 0), "count": 0})
        self.assertEqual(held(b), before)
        # model only: the two 'dropout'-tagged streams get fold_in(key(5), 0) and (…, 1), in
        # layer order; the one tagged 'default' keeps its key.
        self.ones_mask("tg", 4, kept=8.0)
        b = self.ok("/v1/sessions/tg/reseed", {"streams": {"dropout": 5}, "target": "model",
                                               "policy": "match_shape"})
        h = held(b)
        self.assertEqual([h[0]["key"], h[1]["key"]], [fold_in(key_of(5), 0), fold_in(key_of(5), 1)])
        self.assertEqual([h[0]["count"], h[1]["count"], h[2]["count"]], [0, 0, 1])
        self.assertEqual((h[2]["tag"], h[2]["key"]), ("default", before[2]["key"]))
        self.assertEqual(b["rngs"]["dropout"]["key"], fold_in(key_of(5), 0))  # from the rngs call above
        # all: model first, then rngs, each a fresh Rngs(**seeds).
        b = self.ok("/v1/sessions/tg/reseed", {"streams": {"default": [3, 4], "dropout": 6}})
        h = held(b)
        self.assertEqual(h[2]["key"], fold_in([3, 4], 0))
        self.assertEqual(b["rngs"]["default"], {"key": fold_in([3, 4], 0), "count": 0})
        self.assertEqual([h[0]["key"], h[1]["key"]], [fold_in(key_of(6), 0), fold_in(key_of(6), 1)])
        self.assertEqual(b["rngs"]["dropout"]["key"], fold_in(key_of(6), 0))
        # The masks follow the new keys.
        m = self.ones_mask("tg", 16, kept=8.0)
        want = [a and b and c for a, b, c in zip(mask_of(fold_in(fold_in(key_of(6), 0), 0), 16),
                                                  mask_of(fold_in(fold_in(key_of(6), 1), 0), 16),
                                                  mask_of(fold_in(fold_in([3, 4], 0), 0), 16))]
        self.assertEqual(m, want)

    def test_mixed_eras_break_the_docstring(self):
        """§2.3: a key(seed)-style reseed of a forked stream gives y2 != y1 — here the
        0.12 session reseeded only on its rngs leaves the model's stream advanced."""
        self.create("mix", {"params": 0, "dropout": 42}, ONLY_DROPOUT)
        m1 = self.ones_mask("mix", 32)
        self.ok("/v1/sessions/mix/reseed", {"streams": {"dropout": 42}, "target": "rngs"})
        self.assertNotEqual(self.ones_mask("mix", 32), m1)
        self.ok("/v1/sessions/mix/reseed", {"streams": {"dropout": 42}, "target": "model"})
        self.assertEqual(self.ones_mask("mix", 32), m1)

    def test_reseed_errors_change_nothing(self):
        self.create("rerr", {"params": 0, "dropout": 42}, LINEAR_DROPOUT)
        self.create("rerr10", {"params": 0, "dropout": 42}, LINEAR_DROPOUT, flax="0.10")
        before = self.ok("/v1/sessions/rerr", method="GET")
        cases = [
            ("rerr", {"streams": {"params": 1}, "target": "model"}, "no stream of target \"model\""),
            ("rerr", {"streams": {"dropout": 1, "nothere": 2}}, "nothere"),
            ("rerr", {"streams": {"dropout": 1}, "target": "both"}, "body.target"),
            ("rerr", {"streams": {"dropout": 1}, "policy": "custom"}, "body.policy"),
            ("rerr", {"streams": {"dropout": 1}, "target": 3}, "body.target"),
            ("rerr10", {"streams": {"dropout": 1}, "policy": "scalars_only"}, "body.policy"),
            ("rerr10", {"streams": {"nothere": 1}, "target": "model"}, "has no stream 'nothere'"),
        ]
        for name, body, fragment in cases:
            s, b = self.d.post("/v1/sessions/%s/reseed" % name, body)
            self.assertEqual((s, b["error"]["code"]), (400, "invalid_argument"), (body, b))
            self.assertIn(fragment, b["error"]["message"], body)
        self.assertEqual(self.ok("/v1/sessions/rerr", method="GET"), before)
        # In 0.10 every target is the same operation.
        for target in ("model", "rngs", "all"):
            b = self.ok("/v1/sessions/rerr10/reseed", {"streams": {"dropout": 7}, "target": target})
            self.assertEqual(b["rngs"]["dropout"], {"key": key_of(7), "count": 0})

    # ------------------------------------------------------------ exhaustion, fork
    def test_fork_keeps_the_era(self):
        self.create("fp", {"params": 0, "dropout": 1})
        s, child = self.d.post("/v1/sessions/fp/fork", {"name": "fc", "model": ONLY_DROPOUT})
        self.assertEqual(s, 201, child)
        self.assertEqual(child["options"]["flax"], "0.12")
        ck = fold_in(key_of(1), 0)  # the child's dropout stream
        self.assertEqual(child["rngs"]["dropout"], {"key": ck, "count": 1})
        self.assertEqual(held(child)[0]["key"], fold_in(ck, 0))
        s, child = self.d.post("/v1/sessions/fp/fork", {"name": "fc10", "model": ONLY_DROPOUT,
                                                         "options": {"flax": "0.10"}})
        self.assertEqual(s, 201, child)
        self.assertEqual(held(child), {})

    def test_too_many_held_streams_is_400(self):
        model = {"layers": [{"type": "dropout", "rate": 0.5}] * 65}
        b = self.create("many", {"default": 0}, model, expect=400)
        self.assertIn("at most 64", b["error"]["message"])
        self.create("many10", {"default": 0}, model, flax="0.10")
        self.create("many64", {"default": 0}, {"layers": model["layers"][:64]})


class ErasDurabilityTest(StoreTestCase):
    def check_restart(self, durability, crash):
        d = self.start("--durability", durability, "--lease-block", "16")
        s, b = d.post("/v1/sessions", {"name": "e", "rngs": {"default": 1, "dropout": 2},
                                       "model": LINEAR_DROPOUT, "options": {"flax": "0.12"}})
        self.assertEqual(s, 201, b)
        ys = [d.post("/v1/sessions/e/forward", {"x": [[1.0, 1.0]]})[1]["y"] for _ in range(3)]
        self.assertEqual(d.post("/v1/sessions/e/reseed", {"streams": {"dropout": 8}, "target": "model"})[0], 200)
        ys.append(d.post("/v1/sessions/e/forward", {"x": [[1.0, 1.0]]})[1]["y"])
        before = d.get("/v1/sessions/e")[1]
        if crash:
            d.kill9()
        else:
            self.assertEqual(d.stop(), 0)
        d = self.start("--durability", durability, "--lease-block", "16")
        after = d.get("/v1/sessions/e")[1]
        hb, ha = held(before)[1], held(after)[1]
        self.assertEqual((ha["key"], ha["tag"], ha["path"]), (hb["key"], hb["tag"], hb["path"]))
        self.assertEqual(after["options"]["flax"], "0.12")
        if durability == "strict":
            self.assertEqual(after, before)
            y = d.post("/v1/sessions/e/forward", {"x": [[1.0, 1.0]]})[1]["y"]["data"]
            self.assertEqual([f32(v) for v in y], self._expected(d, hb["key"], 1))
        else:
            # Lease: the held stream resumes past its reservation, never behind.
            self.assertGreater(ha["count"], hb["count"])
            self.assertEqual(ha["count"], hb["count"] - 1 + 16)
        self.assertEqual(d.stop(), 0)

    def _expected(self, d, key, count):
        """The output a forward of [1, 1] gives with mask key fold_in(key, count)."""
        p = d.get("/v1/sessions/e/params")[1]["params"][0]
        w = [f32(v) for v in p["kernel"]["data"]]
        h = [f32(w[j] + w[3 + j]) for j in range(3)]
        mask = mask_of(fold_in(key, count), 3)
        return [f32(h[j] / 0.5) if mask[j] else 0.0 for j in range(3)]

    def test_restart_and_kill9(self):
        for durability, crash in (("strict", False), ("strict", True), ("lease", True)):
            with self.subTest(durability=durability, crash=crash):
                self.check_restart(durability, crash)
                shutil.rmtree(self.data)  # the next round starts from an empty store

    def test_a_model_less_session_keeps_its_era(self):
        """Recovery reads a model-less spec on its fast path: the era must come back too."""
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "plain", "rngs": {"dropout": 1},
                                                 "options": {"flax": "0.11"}})[0], 201)
        self.assertEqual(d.stop(), 0)
        d = self.start()
        s, b = d.post("/v1/sessions/plain/reseed", {"streams": {"dropout": 42}})
        self.assertEqual((s, b["options"]["flax"]), (200, "0.11"), b)
        self.assertEqual(b["rngs"]["dropout"], {"key": fold_in(key_of(42), 0), "count": 0})
        s, b = d.post("/v1/sessions/plain/keys", {"stream": "nothere"})
        self.assertEqual((s, b["error"]["message"]), (404, "No RngStream named 'nothere' found in Rngs."))
        self.assertEqual(d.stop(), 0)

    def test_snapshot_restore_advances_held_streams(self):
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "r", "rngs": {"dropout": 3}, "model": ONLY_DROPOUT,
                                                 "options": {"flax": "0.11"}})[0], 201)
        snap = d.post("/v1/admin/snapshot", {})[1]["path"]
        for _ in range(5):
            self.assertEqual(d.post("/v1/sessions/r/forward", {"x": [1.0, 1.0]})[0], 200)
        self.assertEqual(d.stop(), 0)
        self.restore_snapshot(snap)
        d = self.start()
        s, b = d.post("/v1/sessions/r/forward", {"x": [1.0, 1.0]})
        self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"), b)
        # A deterministic pass draws nothing and runs.
        self.assertEqual(d.post("/v1/sessions/r/forward", {"x": [1.0, 1.0], "deterministic": True})[0], 200)
        s, b = d.post("/v1/admin/restore", {"advance": 1000})
        self.assertEqual(s, 200, b)
        sess = d.get("/v1/sessions/r")[1]
        self.assertEqual(held(sess)[0]["count"], 1000)
        self.assertEqual(sess["rngs"]["dropout"]["count"], 1001)
        self.assertEqual(d.post("/v1/sessions/r/forward", {"x": [1.0, 1.0]})[0], 200)
        self.assertEqual(d.stop(), 0)

    def test_reseeding_every_stream_unfences(self):
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "u", "rngs": {"dropout": 3}, "model": ONLY_DROPOUT,
                                                 "options": {"flax": "0.12"}})[0], 201)
        snap = d.post("/v1/admin/snapshot", {})[1]["path"]
        self.assertEqual(d.stop(), 0)
        self.restore_snapshot(snap)
        d = self.start()
        # The session's own stream alone is not every stream.
        self.assertEqual(d.post("/v1/sessions/u/reseed", {"streams": {"dropout": 4}, "target": "rngs"})[0], 200)
        self.assertEqual(d.post("/v1/sessions/u/forward", {"x": [1.0]})[0], 409)
        self.assertEqual(d.post("/v1/sessions/u/reseed", {"streams": {"dropout": 4}})[0], 200)
        self.assertEqual(d.post("/v1/sessions/u/forward", {"x": [1.0]})[0], 200)
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
