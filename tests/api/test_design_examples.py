"""The design documents' examples over HTTP (spec/flax-nnx.md §1.3, §2.3,
§3, §4): the Rngs(100, params=42) key sequence, the Linear(2, 3) +
Dropout(0.5) model's forward pass for three Rngs variants, computed by hand
from /v1/init/lecun_normal and /v1/random/bernoulli in float32 and compared
bit for bit, and the reseed docstring example."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase, f32, f32_bits  # noqa: E402

MODEL = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                    {"type": "dropout", "rate": 0.5}]}
X = [[1.0, 1.0]]


def f32_div(a, b):
    """float32 division of two float32 values (double division, then one
    rounding to float32, which is exact-rounded for float32 operands)."""
    return f32(f32(a) / f32(b))


def f32_add(a, b):
    return f32(f32(a) + f32(b))


class DesignExamplesTest(DaemonTestCase):
    def ok(self, path, body=None, status=200):
        s, b = self.d.post(path, body)
        self.assertEqual(s, status, "%s %r -> %s %r" % (path, body, s, b))
        return b

    def get(self, path):
        s, b = self.d.get(path)
        self.assertEqual(s, 200, "%s -> %s %r" % (path, s, b))
        return b

    def key(self, seed):
        return self.ok("/v1/random/key", {"seed": seed})["key"]

    def fold_in(self, key, data):
        return self.ok("/v1/random/fold_in", {"key": key, "data": data})["key"]

    def assert_bits_equal(self, got, want, msg):
        self.assertEqual(len(got), len(want), msg)
        for j, (g, w) in enumerate(zip(got, want)):
            self.assertEqual(f32_bits(g), f32_bits(w), "%s: y[%d] = %r, expected %r" % (msg, j, g, w))

    def manual_forward(self, kernel_key, mask_key):
        """y[j] = mask[j] ? f32(k[0][j] + k[1][j]) / 0.5 : 0 for x = [[1, 1]]
        (the bias is zeros, so adding it changes nothing)."""
        k = self.ok("/v1/init/lecun_normal", {"key": kernel_key, "shape": [2, 3]})
        self.assertEqual((k["shape"], k["dtype"]), ([2, 3], "float32"))
        w = k["data"]
        m = self.ok("/v1/random/bernoulli", {"key": mask_key, "p": 0.5, "shape": [1, 3]})
        self.assertEqual((m["shape"], m["dtype"]), ([1, 3], "bool"))
        keep = f32(1.0 - 0.5)
        y = []
        for j in range(3):
            s = f32_add(w[j], w[3 + j])
            y.append(f32_div(s, keep) if m["data"][j] else 0.0)
        return y, w

    # ------------------------------------------------- Rngs(100, params=42)
    def test_rngs_docstring_sequence(self):
        """flax-nnx.md §1.3: r = Rngs(100, params=42)."""
        b = self.ok("/v1/sessions", {"name": "docstring", "rngs": {"default": 100, "params": 42}},
                    status=201)
        self.assertEqual(b["rngs"], {"default": {"key": [0, 100], "count": 0},
                                     "params": {"key": [0, 42], "count": 0}})
        expected = [
            ("params", "params", 0, [1832780943, 270669613], 42),
            ("dropout", "default", 0, [701046466, 2104227382], 100),
            ("default", "default", 1, [2213033797, 2583756506], 100),
            ("params", "params", 1, [64467757, 2916123636], 42),
        ]
        for stream, source, count, key, seed in expected:
            with self.subTest(stream=stream, count=count):
                r = self.ok("/v1/sessions/docstring/keys", {"stream": stream})
                self.assertEqual(r, {"stream": stream, "source": source, "counts": [count],
                                     "keys": [key]})
                # cross-check with the stateless endpoints
                self.assertEqual(self.fold_in(self.key(seed), count), key)
        s = self.get("/v1/sessions/docstring")
        self.assertEqual(s["rngs"], {"default": {"key": [0, 100], "count": 2},
                                     "params": {"key": [0, 42], "count": 2}})

    # ------------------------------------- Linear(2, 3) + Dropout(0.5) model
    def check_model(self, name, rngs, expect_counts, kernel, mask):
        """kernel/mask: (seed, count) of the key each draw must use. (The bias
        draw's key is not observable, zeros ignore it; that it was drawn shows
        in expect_counts.)"""
        b = self.ok("/v1/sessions", {"name": name, "rngs": rngs, "model": MODEL}, status=201)
        self.assertEqual({k: v["count"] for k, v in b["rngs"].items()}, expect_counts)
        self.assertEqual(b["model"]["params"], [{"kernel": {"shape": [2, 3], "dtype": "float32"},
                                                 "bias": {"shape": [3], "dtype": "float32"}}, {}])
        kernel_key = self.fold_in(self.key(kernel[0]), kernel[1])
        mask_key = self.fold_in(self.key(mask[0]), mask[1])
        want, w = self.manual_forward(kernel_key, mask_key)
        # the parameters are those of the first two params draws
        p = self.get("/v1/sessions/%s/params" % name)["params"]
        self.assertEqual(len(p), 2)
        self.assertEqual(p[1], {})
        self.assert_bits_equal(p[0]["kernel"]["data"], w, name + " kernel")
        self.assertEqual(p[0]["bias"], {"shape": [3], "dtype": "float32", "data": [0.0, 0.0, 0.0]})
        y = self.ok("/v1/sessions/%s/forward" % name, {"x": X})["y"]
        self.assertEqual((y["shape"], y["dtype"]), ([1, 3], "float32"))
        self.assert_bits_equal(y["data"], want, name + " forward")
        return y["data"]

    def test_rngs_0(self):
        # Rngs(0): kernel and bias are default counts 0 and 1; the dropout
        # stream falls back to default, count 2.
        self.check_model("m-rngs0", {"default": 0}, {"default": 2},
                         kernel=(0, 0), mask=(0, 2))
        self.assertEqual(self.get("/v1/sessions/m-rngs0")["rngs"],
                         {"default": {"key": [0, 0], "count": 3}})

    def test_rngs_0_params_1(self):
        # Rngs(0, params=1): the dropout falls back to default count 0.
        self.check_model("m-rngs0p1", {"default": 0, "params": 1}, {"default": 0, "params": 2},
                         kernel=(1, 0), mask=(0, 0))
        s = self.get("/v1/sessions/m-rngs0p1")
        self.assertEqual({k: v["count"] for k, v in s["rngs"].items()}, {"default": 1, "params": 2})

    def test_rngs_0_params_1_dropout_2(self):
        # Rngs(0, params=1, dropout=2): the dropout stream's own count 0.
        self.check_model("m-rngs0p1d2", {"default": 0, "params": 1, "dropout": 2},
                         {"default": 0, "params": 2, "dropout": 0},
                         kernel=(1, 0), mask=(2, 0))
        s = self.get("/v1/sessions/m-rngs0p1d2")
        self.assertEqual({k: v["count"] for k, v in s["rngs"].items()},
                         {"default": 0, "params": 2, "dropout": 1})

    def test_second_forward_uses_next_count(self):
        # Rngs(0): a second training call's mask key is fold_in(key(0), 3).
        self.ok("/v1/sessions", {"name": "m-twice", "rngs": {"default": 0}, "model": MODEL}, status=201)
        self.ok("/v1/sessions/m-twice/forward", {"x": X})
        y = self.ok("/v1/sessions/m-twice/forward", {"x": X})["y"]["data"]
        want, _ = self.manual_forward(self.fold_in(self.key(0), 0), self.fold_in(self.key(0), 3))
        self.assert_bits_equal(y, want, "second forward")

    # ------------------------------------------------------------ reseed
    def test_reseed_docstring(self):
        """flax-nnx.md §2.3: Rngs(params=0, dropout=42); y1 = model(x);
        reseed(model, dropout=42); y2 = model(x); y1 == y2."""
        b = self.ok("/v1/sessions", {"name": "reseed-doc", "rngs": {"params": 0, "dropout": 42},
                                     "model": MODEL}, status=201)
        self.assertEqual({k: v["count"] for k, v in b["rngs"].items()}, {"params": 2, "dropout": 0})
        y1 = self.ok("/v1/sessions/reseed-doc/forward", {"x": X})["y"]["data"]
        want1, _ = self.manual_forward(self.fold_in(self.key(0), 0), self.fold_in(self.key(42), 0))
        self.assert_bits_equal(y1, want1, "y1")
        r = self.ok("/v1/sessions/reseed-doc/reseed", {"streams": {"dropout": 42}})
        self.assertEqual(r["rngs"]["dropout"], {"key": [0, 42], "count": 0})
        self.assertEqual(r["rngs"]["params"], {"key": [0, 0], "count": 2})
        y2 = self.ok("/v1/sessions/reseed-doc/forward", {"x": X})["y"]["data"]
        self.assertEqual([f32_bits(v) for v in y2], [f32_bits(v) for v in y1])
        # without a reseed the next call uses dropout count 1
        y3 = self.ok("/v1/sessions/reseed-doc/forward", {"x": X})["y"]["data"]
        want3, _ = self.manual_forward(self.fold_in(self.key(0), 0), self.fold_in(self.key(42), 1))
        self.assert_bits_equal(y3, want3, "y3")
        # (for these keys the masks differ: [F, T, F] at count 0, [F, F, T] at 1)
        self.assertNotEqual([f32_bits(v) for v in y3], [f32_bits(v) for v in y1])
        s = self.get("/v1/sessions/reseed-doc")
        self.assertEqual(s["rngs"]["dropout"], {"key": [0, 42], "count": 2})
        # and the params stream was never touched by forward or reseed
        self.assertEqual(s["rngs"]["params"], {"key": [0, 0], "count": 2})


if __name__ == "__main__":
    unittest.main()
