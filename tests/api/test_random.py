"""API tests of the stateless endpoints: POST /v1/random/{op} and
POST /v1/init/{initializer} (spec/api.md "Random").

Values are checked three ways: against the known answers of
tests/vectors/jax-random.json (sent over HTTP), against a pure-Python
threefry2x32 for everything that is integer arithmetic (key, fold_in, split,
bits, uniform on [0, 1), bernoulli, permutation), and across endpoints for
the initializers (lecun_normal = truncated_normal * std in float32, …).
"""
import http.client
import json
import math
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import M32, DaemonTestCase, f32, f32_bits, fold_in, key_of, threefry2x32  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors", "jax-random.json")


def threefry_2x32(key, counts):
    """jax-random.md §3: the counter hash pairing word i with word h + i."""
    n = len(counts)
    c = list(counts) + ([0] if n % 2 else [])
    h = len(c) // 2
    y0, y1 = [], []
    for i in range(h):
        a, b = threefry2x32(key[0], key[1], c[i], c[h + i])
        y0.append(a)
        y1.append(b)
    return (y0 + y1)[:n]


def split(key, num, mode="partitionable"):
    if mode == "partitionable":
        return [threefry2x32(key[0], key[1], j >> 32, j & M32) for j in range(num)]
    w = threefry_2x32(key, list(range(2 * num)))
    return [[w[2 * j], w[2 * j + 1]] for j in range(num)]


def bits32(key, n):
    """Partitionable random_bits, 32-bit (§7)."""
    out = []
    for j in range(n):
        y0, y1 = threefry2x32(key[0], key[1], j >> 32, j & M32)
        out.append(y0 ^ y1)
    return out


def bits64(key, n):
    out = []
    for j in range(n):
        y0, y1 = threefry2x32(key[0], key[1], j >> 32, j & M32)
        out.append((y0 << 32) | y1)
    return out


def uniform01(key, n):
    """uniform(key, (n,)) on [0, 1): (bits >> 9) * 2^-23, exact (§8)."""
    return [(b >> 9) * 2.0 ** -23 for b in bits32(key, n)]


def permutation(key, n):
    """jax.random.permutation(key, n), partitionable (§12, _shuffle)."""
    x = list(range(n))
    rounds = int(math.ceil(3 * math.log(max(1, n)) / math.log(M32)))
    for _ in range(rounds):
        key, sub = split(key, 2)
        sort_keys = bits32(sub, n)
        order = sorted(range(n), key=lambda i: sort_keys[i])  # stable
        x = [x[i] for i in order]
    return x


def ordered_f32(x):
    """Position of a float32 on the ordered line of floats (+0 == -0)."""
    b = f32_bits(x)
    return -(b & 0x7FFFFFFF) if b & 0x80000000 else b


def flatten(v):
    if isinstance(v, list):
        out = []
        for e in v:
            out.extend(flatten(e))
        return out
    return [v]


def resolve_key(spec, mode):
    """A vectors-file key: [hi, lo] or {"seed", "derive": [...]}."""
    if isinstance(spec, list):
        return spec
    k = key_of(spec["seed"])
    for step in spec.get("derive", []):
        if step[0] == "fold_in":
            k = fold_in(k, step[1])
        elif step[0] == "split":
            k = split(k, step[1], mode)[step[2]]
        else:
            raise ValueError(step)
    return k


class ReferenceSelfTest(unittest.TestCase):
    """The pure-Python reference itself, against the vectors file."""

    def test_threefry_known_answers(self):
        with open(VECTORS) as f:
            cases = json.load(f)["cases"]
        seen = 0
        for c in cases:
            if c["op"] == "threefry2x32":
                k, x = c["args"]["key"], c["args"]["data"]
                self.assertEqual(threefry2x32(k[0], k[1], x[0], x[1]), c["expect"], c["id"])
                seen += 1
            elif c["op"] == "threefry_2x32":
                self.assertEqual(threefry_2x32(c["args"]["key"], c["args"]["data"]), c["expect"])
                seen += 1
            elif c["op"] == "fold_in":
                self.assertEqual(fold_in(c["args"]["key"], c["args"]["data"]), c["expect"], c["id"])
                seen += 1
        self.assertGreater(seen, 10)


# ------------------------------------------------------------------- tests


class RandomApiTest(DaemonTestCase):
    # helpers
    def ok(self, path, body):
        s, b = self.d.post(path, body)
        self.assertEqual(s, 200, "%s %r -> %s %r" % (path, body, s, b))
        return b

    def err(self, path, body, status, code):
        s, b = self.d.post(path, body)
        self.assertEqual(s, status, "%s %r -> %s %r" % (path, body, s, b))
        self.assertEqual(set(b), {"error"}, b)
        self.assertEqual(set(b["error"]), {"code", "message"}, b)
        self.assertEqual(b["error"]["code"], code, b)
        self.assertTrue(b["error"]["message"], b)
        return b

    def tensor(self, path, body, dtype, shape):
        t = self.ok(path, body)
        self.assertEqual(set(t), {"shape", "dtype", "data"}, t)
        self.assertEqual(t["dtype"], dtype)
        self.assertEqual(t["shape"], shape)
        n = 1
        for s in shape:
            n *= s
        self.assertEqual(len(t["data"]), n)
        return t["data"]

    def assert_f32_equal(self, got, want, msg=None):
        self.assertEqual(len(got), len(want), msg)
        for i, (g, w) in enumerate(zip(got, want)):
            self.assertEqual(f32_bits(g), f32_bits(w), "%s: element %d: %r != %r" % (msg, i, g, w))

    # --- the known answers of the vectors file, over HTTP
    def test_vectors_over_http(self):
        with open(VECTORS) as f:
            cases = json.load(f)["cases"]
        ran = 0
        for c in cases:
            op, args, mode = c["op"], dict(c["args"]), c["mode"]
            body_mode = "legacy" if mode == "legacy" else "partitionable"
            if op in ("threefry2x32", "threefry_2x32", "split_matches_fold_in"):
                continue
            if op == "key":
                if c["x64"] or args.get("jit"):
                    continue
                with self.subTest(case=c["id"]):
                    b = self.ok("/v1/random/key", {"seed": args["seed"]})
                    self.assertEqual(b, {"key": c["expect"]})
                    ran += 1
                continue
            # x64-only cases: 64-bit bits are the API's bit_width 64; wide
            # randint bounds are refused (x64 off, as JAX's default); the rest
            # (float64, int64 results) are outside the float32 API.
            if c["x64"]:
                if op == "bits" and args.get("bit_width") == 64:
                    pass
                elif op == "randint" and args.get("dtype") == "int32":
                    with self.subTest(case=c["id"]):
                        key = resolve_key(args["key"], mode)
                        self.err("/v1/random/randint",
                                 {"key": key, "shape": args["shape"], "minval": args["minval"],
                                  "maxval": args["maxval"], "threefry": body_mode},
                                 400, "invalid_argument")
                        ran += 1
                    continue
                else:
                    continue
            if op == "bits" and "dtype" in args:
                continue  # uint64 requested with x64 off: the API has no such mode
            if args.get("dtype") not in (None, "float32", "int32"):
                continue
            args.pop("dtype", None)
            args["key"] = resolve_key(args["key"], mode)
            args["threefry"] = body_mode
            path = "/v1/init/lecun_normal" if op == "lecun_normal" else "/v1/random/" + op
            with self.subTest(case=c["id"]):
                b = self.ok(path, args)
                ran += 1
                if op == "fold_in":
                    self.assertEqual(b, {"key": c["expect"]})
                    continue
                if op == "split":
                    num = args["num"]
                    shape = num if isinstance(num, list) else [num]
                    self.assertEqual(b["shape"], shape)
                    self.assertEqual(b["keys"], [list(k) for k in _pairs(c["expect"])])
                    continue
                want = flatten(c["expect"])
                shape = args.get("shape")
                self.assertEqual(b["shape"], shape if shape is not None else [])
                self.assertEqual(len(b["data"]), len(want))
                tol = c["tolerance"]
                if op in ("bits", "randint", "bernoulli"):
                    self.assertEqual(b["data"], want)
                elif tol == "exact":
                    self.assert_f32_equal(b["data"], [f32(w) for w in want], c["id"])
                elif "abs" in tol:
                    for g, w in zip(b["data"], want):
                        self.assertTrue(f32_bits(g) == f32_bits(f32(w)) or abs(g - w) <= tol["abs"],
                                        "%s: %r vs %r" % (c["id"], g, w))
                else:
                    dist = [abs(ordered_f32(g) - ordered_f32(f32(w))) for g, w in zip(b["data"], want)]
                    self.assertLessEqual(max(dist), tol["ulps"], c["id"])
                    exact = sum(1 for x in dist if x == 0) / len(dist)
                    self.assertGreaterEqual(exact, tol["exact_fraction"], c["id"])
        self.assertGreater(ran, 80)

    # --- key
    def test_key_seeds(self):
        for seed, want in [(0, [0, 0]), (42, [0, 42]), (-1, [0, M32]), (2 ** 32 + 7, [0, 7]),
                           (2 ** 63 - 1, [0, M32]), (-2 ** 63, [0, 0]),
                           (-2 ** 31 - 100, [0, 2147483548])]:
            with self.subTest(seed=seed):
                self.assertEqual(self.ok("/v1/random/key", {"seed": seed}), {"key": want})
        # A key is accepted as a seed and returned as is; both modes agree.
        self.assertEqual(self.ok("/v1/random/key", {"seed": [5, 6]}), {"key": [5, 6]})
        self.assertEqual(self.ok("/v1/random/key", {"seed": 9, "threefry": "legacy"}), {"key": [0, 9]})

    def test_key_bad_seeds(self):
        for bad in [1.5, "1", None, True, [1], [0, 2 ** 32], [-1, 0], {"seed": 1}]:
            with self.subTest(seed=bad):
                self.err("/v1/random/key", {"seed": bad}, 400, "invalid_argument")
        self.err("/v1/random/key", {}, 400, "invalid_argument")
        self.err("/v1/random/key", {"seed": 1, "threefry": "bogus"}, 400, "invalid_argument")
        self.err("/v1/random/key", {"seed": 1, "salt": 2}, 400, "invalid_argument")

    # --- fold_in
    def test_fold_in(self):
        for key, data in [([0, 0], 0), ([0, 42], 1), ([123, 456], M32), ([M32, M32], 77)]:
            with self.subTest(key=key, data=data):
                self.assertEqual(self.ok("/v1/random/fold_in", {"key": key, "data": data}),
                                 {"key": fold_in(key, data)})
                self.assertEqual(self.ok("/v1/random/fold_in",
                                         {"key": key, "data": data, "threefry": "legacy"}),
                                 {"key": fold_in(key, data)})
        for bad in [-1, 2 ** 32, 1.0, "3"]:
            with self.subTest(data=bad):
                self.err("/v1/random/fold_in", {"key": [0, 0], "data": bad}, 400, "invalid_argument")
        self.err("/v1/random/fold_in", {"key": [0, 0]}, 400, "invalid_argument")
        self.err("/v1/random/fold_in", {"data": 1}, 400, "invalid_argument")

    # --- split
    def test_split(self):
        key = [0, 1234]
        b = self.ok("/v1/random/split", {"key": key})
        self.assertEqual(b, {"keys": split(key, 2), "shape": [2]})
        b = self.ok("/v1/random/split", {"key": key, "num": 5})
        self.assertEqual(b, {"keys": [fold_in(key, i) for i in range(5)], "shape": [5]})
        b = self.ok("/v1/random/split", {"key": key, "num": [2, 3]})
        self.assertEqual(b, {"keys": split(key, 6), "shape": [2, 3]})
        b = self.ok("/v1/random/split", {"key": key, "num": 3, "threefry": "legacy"})
        self.assertEqual(b, {"keys": split(key, 3, "legacy"), "shape": [3]})
        b = self.ok("/v1/random/split", {"key": key, "num": 0})
        self.assertEqual(b, {"keys": [], "shape": [0]})
        for bad in [-1, 1.5, "2", [-1]]:
            with self.subTest(num=bad):
                self.err("/v1/random/split", {"key": key, "num": bad}, 400, "invalid_argument")

    # --- bits
    def test_bits(self):
        key = [7, 8]
        d = self.tensor("/v1/random/bits", {"key": key, "shape": [2, 3]}, "uint32", [2, 3])
        self.assertEqual(d, bits32(key, 6))
        d = self.tensor("/v1/random/bits", {"key": key, "shape": [4], "bit_width": 32}, "uint32", [4])
        self.assertEqual(d, bits32(key, 4))
        d = self.tensor("/v1/random/bits", {"key": key, "shape": [4], "bit_width": 64}, "uint64", [4])
        self.assertEqual(d, [str(v) for v in bits64(key, 4)])
        d = self.tensor("/v1/random/bits", {"key": key, "shape": [4], "bit_width": 16}, "uint16", [4])
        self.assertEqual(d, [v & 0xFFFF for v in bits32(key, 4)])
        d = self.tensor("/v1/random/bits", {"key": key, "shape": [4], "bit_width": 8}, "uint8", [4])
        self.assertEqual(d, [v & 0xFF for v in bits32(key, 4)])
        d = self.tensor("/v1/random/bits", {"key": key}, "uint32", [])
        self.assertEqual(d, bits32(key, 1))
        d = self.tensor("/v1/random/bits", {"key": key, "shape": [0, 5]}, "uint32", [0, 5])
        self.assertEqual(d, [])
        for bw in [0, 7, 128, "32"]:
            with self.subTest(bit_width=bw):
                self.err("/v1/random/bits", {"key": key, "shape": [2], "bit_width": bw}, 400,
                         "invalid_argument")

    # --- uniform
    def test_uniform(self):
        key = [0, 99]
        d = self.tensor("/v1/random/uniform", {"key": key, "shape": [3, 4]}, "float32", [3, 4])
        self.assert_f32_equal(d, uniform01(key, 12), "uniform [0,1)")
        for v in d:
            self.assertTrue(0.0 <= v < 1.0)
        # span 2 is exact: out = max(lo, f*2 + lo)
        d = self.tensor("/v1/random/uniform", {"key": key, "shape": [8], "minval": -1, "maxval": 1},
                        "float32", [8])
        self.assert_f32_equal(d, [max(-1.0, u * 2 - 1) for u in uniform01(key, 8)], "uniform [-1,1)")
        # minval > maxval: every element is minval, as in JAX
        d = self.tensor("/v1/random/uniform", {"key": key, "shape": [5], "minval": 3, "maxval": 2},
                        "float32", [5])
        self.assertEqual(d, [3.0] * 5)
        # the legacy mode is a different stream of bits
        d2 = self.tensor("/v1/random/uniform", {"key": key, "shape": [3, 4], "threefry": "legacy"},
                         "float32", [3, 4])
        self.assertNotEqual(d2, uniform01(key, 12))
        for bad in [{"minval": "0"}, {"maxval": 1e39}, {"shape": [1.5]}, {"shape": 3}]:
            with self.subTest(bad=bad):
                body = {"key": key, "shape": [2]}
                body.update(bad)
                self.err("/v1/random/uniform", body, 400, "invalid_argument")

    def test_float32_output_is_shortest_round_trip(self):
        # api.md's own example: uniform(key(0)) is written 0.947667.
        c = http.client.HTTPConnection(self.d.host, self.d.port, timeout=30)
        c.request("POST", "/v1/random/uniform", body=json.dumps({"key": [0, 0]}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        raw = r.read().decode()
        c.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(raw)["data"], [0.947667])
        self.assertIn("0.947667", raw)
        self.assertNotIn("0.9476670026779175", raw)

    # --- normal / truncated_normal
    def test_normal(self):
        key = [0, 5]
        d = self.tensor("/v1/random/normal", {"key": key, "shape": [50]}, "float32", [50])
        self.assertTrue(all(math.isfinite(v) for v in d))
        self.assertEqual(len(set(d)), 50)
        # element j does not depend on the total shape (partitionable)
        d1 = self.tensor("/v1/random/normal", {"key": key}, "float32", [])
        self.assertEqual(f32_bits(d1[0]), f32_bits(d[0]))
        self.err("/v1/random/normal", {"key": key, "shape": [2], "p": 0.5}, 400, "invalid_argument")

    def test_truncated_normal(self):
        key = [0, 6]
        d = self.tensor("/v1/random/truncated_normal",
                        {"key": key, "shape": [200], "lower": -0.5, "upper": 1.5}, "float32", [200])
        self.assertTrue(all(-0.5 < v < 1.5 for v in d))
        # lower >= upper: JAX does not raise; every element is nextafter(upper, -inf)
        d = self.tensor("/v1/random/truncated_normal", {"key": key, "shape": [2], "lower": 1, "upper": 1},
                        "float32", [2])
        self.assertEqual([f32(v) for v in d], [f32(0.99999994)] * 2)
        d = self.tensor("/v1/random/truncated_normal", {"key": key, "shape": [2], "lower": 2, "upper": -2},
                        "float32", [2])
        self.assertEqual([f32(v) for v in d], [f32(-2.0000002)] * 2)
        self.err("/v1/random/truncated_normal", {"key": key, "shape": [2], "upper": 2}, 400,
                 "invalid_argument")

    # --- bernoulli
    def test_bernoulli(self):
        key = [3, 4]
        d = self.tensor("/v1/random/bernoulli", {"key": key, "shape": [64]}, "bool", [64])
        # p = 0.5: u < 0.5 exactly when the top bit of the 32-bit draw is 0
        self.assertEqual(d, [(b >> 31) == 0 for b in bits32(key, 64)])
        d = self.tensor("/v1/random/bernoulli", {"key": key, "shape": [64], "p": 0.25}, "bool", [64])
        self.assertEqual(d, [u < 0.25 for u in uniform01(key, 64)])
        d = self.tensor("/v1/random/bernoulli", {"key": key, "shape": [16], "p": 0}, "bool", [16])
        self.assertEqual(d, [False] * 16)
        d = self.tensor("/v1/random/bernoulli", {"key": key, "shape": [16], "p": 1}, "bool", [16])
        self.assertEqual(d, [True] * 16)
        self.err("/v1/random/bernoulli", {"key": key, "shape": [2], "p": "half"}, 400, "invalid_argument")

    # --- randint
    def test_randint(self):
        key = [0, 11]
        d = self.tensor("/v1/random/randint", {"key": key, "shape": [100], "minval": -3, "maxval": 4},
                        "int32", [100])
        self.assertTrue(all(-3 <= v < 4 for v in d))
        self.assertEqual(set(d), set(range(-3, 4)))
        # span 8, a power of two below 2^16: off = ((hi % 8) * (2^32 % 8 ... = 0) + lo % 8) % 8
        k1, k2 = split(key, 2)
        lo = bits32(k2, 10)
        d = self.tensor("/v1/random/randint", {"key": key, "shape": [10], "minval": 0, "maxval": 8},
                        "int32", [10])
        self.assertEqual(d, [v % 8 for v in lo])
        d = self.tensor("/v1/random/randint", {"key": key, "shape": [4], "minval": 5, "maxval": 5},
                        "int32", [4])
        self.assertEqual(d, [5] * 4)
        for bad in [{"maxval": 2 ** 31}, {"minval": -2 ** 31 - 1}, {"maxval": 1.5}, {"minval": None}]:
            with self.subTest(bad=bad):
                body = {"key": key, "shape": [2], "minval": 0, "maxval": 10}
                body.update(bad)
                self.err("/v1/random/randint", body, 400, "invalid_argument")
        # int32 extremes are fine
        d = self.tensor("/v1/random/randint",
                        {"key": key, "shape": [3], "minval": -2 ** 31, "maxval": 2 ** 31 - 1},
                        "int32", [3])
        self.assertTrue(all(-2 ** 31 <= v < 2 ** 31 - 1 for v in d))

    # --- permutation
    def test_permutation(self):
        for n in [0, 1, 2, 10, 100]:
            with self.subTest(n=n):
                key = [0, 21 + n]
                d = self.tensor("/v1/random/permutation", {"key": key, "n": n}, "int32", [n])
                self.assertEqual(sorted(d), list(range(n)))
                self.assertEqual(d, permutation(key, n))
        for bad in [-1, 1.5, "3", None]:
            with self.subTest(n=bad):
                self.err("/v1/random/permutation", {"key": [0, 1], "n": bad}, 400, "invalid_argument")
        self.err("/v1/random/permutation", {"key": [0, 1], "n": 3, "shape": [3]}, 400,
                 "invalid_argument")

    # --- unknown operation
    def test_unknown_op(self):
        for op in ["categorial", "Key", "fold-in", "split2"]:
            with self.subTest(op=op):
                self.err("/v1/random/" + op, {"key": [0, 0]}, 404, "not_found")

    # --- /v1/init
    def _std_lecun(self, fan, scale=1.0):
        variance = f32(scale / fan)
        return f32(f32(math.sqrt(variance)) / f32(0.87962566103423978))

    def test_init_normal_family_matches_truncated_normal(self):
        key, shape = [0, 17], [4, 3]  # fan_in 4, fan_out 3
        tn = self.tensor("/v1/random/truncated_normal",
                         {"key": key, "shape": shape, "lower": -2, "upper": 2}, "float32", shape)
        for name, fan, scale in [("lecun_normal", 4, 1.0), ("he_normal", 4, 2.0),
                                 ("kaiming_normal", 4, 2.0), ("glorot_normal", 3.5, 1.0),
                                 ("xavier_normal", 3.5, 1.0)]:
            with self.subTest(init=name):
                std = self._std_lecun(fan, scale)
                d = self.tensor("/v1/init/" + name, {"key": key, "shape": shape}, "float32", shape)
                self.assert_f32_equal(d, [f32(f32(v) * std) for v in tn], name)

    def test_init_uniform_family_matches_uniform(self):
        key, shape = [0, 18], [4, 3]
        u = self.tensor("/v1/random/uniform", {"key": key, "shape": shape, "minval": -1, "maxval": 1},
                        "float32", shape)
        for name, fan, scale in [("lecun_uniform", 4, 1.0), ("he_uniform", 4, 2.0),
                                 ("kaiming_uniform", 4, 2.0), ("glorot_uniform", 3.5, 1.0),
                                 ("xavier_uniform", 3.5, 1.0)]:
            with self.subTest(init=name):
                variance = f32(scale / fan)
                mult = f32(math.sqrt(f32(3 * variance)))
                d = self.tensor("/v1/init/" + name, {"key": key, "shape": shape}, "float32", shape)
                self.assert_f32_equal(d, [f32(f32(v) * mult) for v in u], name)

    def test_init_variance_scaling(self):
        key, shape = [0, 19], [3, 5]
        n = self.tensor("/v1/random/normal", {"key": key, "shape": shape}, "float32", shape)
        # nnx.Embed's initializer: fan_in over out_axis=0 means fan = shape[1]
        d = self.tensor("/v1/init/variance_scaling",
                        {"key": key, "shape": shape, "scale": 1.0, "mode": "fan_in",
                         "distribution": "normal", "out_axis": 0}, "float32", shape)
        mult = f32(math.sqrt(f32(1.0 / 5)))
        self.assert_f32_equal(d, [f32(f32(v) * mult) for v in n], "variance_scaling normal")
        # the defaults are lecun_normal's
        d1 = self.tensor("/v1/init/variance_scaling", {"key": key, "shape": shape}, "float32", shape)
        d2 = self.tensor("/v1/init/lecun_normal", {"key": key, "shape": shape}, "float32", shape)
        self.assert_f32_equal(d1, d2, "variance_scaling defaults")
        for bad in [{"mode": "fan_sideways"}, {"distribution": "cauchy"}, {"scale": -1},
                    {"scale": 0}, {"in_axis": 5}, {"scale": "1"}]:
            with self.subTest(bad=bad):
                body = {"key": key, "shape": shape}
                body.update(bad)
                self.err("/v1/init/variance_scaling", body, 400, "invalid_argument")

    def test_init_simple(self):
        key, shape = [0, 20], [2, 3]
        n = self.tensor("/v1/random/normal", {"key": key, "shape": shape}, "float32", shape)
        d = self.tensor("/v1/init/normal", {"key": key, "shape": shape}, "float32", shape)
        self.assert_f32_equal(d, [f32(f32(v) * f32(0.01)) for v in n], "normal default stddev")
        d = self.tensor("/v1/init/normal", {"key": key, "shape": shape, "stddev": 3.0}, "float32", shape)
        self.assert_f32_equal(d, [f32(f32(v) * 3.0) for v in n], "normal stddev 3")
        u = self.tensor("/v1/random/uniform", {"key": key, "shape": shape}, "float32", shape)
        d = self.tensor("/v1/init/uniform", {"key": key, "shape": shape, "scale": 0.5}, "float32", shape)
        self.assert_f32_equal(d, [f32(f32(v) * 0.5) for v in u], "uniform scale 0.5")
        tn = self.tensor("/v1/random/truncated_normal",
                         {"key": key, "shape": shape, "lower": -2, "upper": 2}, "float32", shape)
        d = self.tensor("/v1/init/truncated_normal", {"key": key, "shape": shape, "stddev": 0.1},
                        "float32", shape)
        self.assert_f32_equal(d, [f32(f32(v) * f32(0.1)) for v in tn], "truncated_normal stddev 0.1")
        self.assertEqual(self.tensor("/v1/init/zeros", {"key": key, "shape": shape}, "float32", shape),
                         [0.0] * 6)
        self.assertEqual(self.tensor("/v1/init/ones", {"key": key, "shape": [4]}, "float32", [4]),
                         [1.0] * 4)
        self.assertEqual(self.tensor("/v1/init/constant", {"key": key, "shape": [3], "value": 0.25},
                                     "float32", [3]), [0.25] * 3)
        # the key-ignoring initializers still need a valid key
        self.err("/v1/init/zeros", {"shape": [2]}, 400, "invalid_argument")

    def test_init_legacy_differs(self):
        key, shape = [0, 22], [3, 3]
        a = self.tensor("/v1/init/lecun_normal", {"key": key, "shape": shape}, "float32", shape)
        b = self.tensor("/v1/init/lecun_normal", {"key": key, "shape": shape, "threefry": "legacy"},
                        "float32", shape)
        self.assertNotEqual(a, b)
        tn = self.tensor("/v1/random/truncated_normal",
                         {"key": key, "shape": shape, "lower": -2, "upper": 2, "threefry": "legacy"},
                         "float32", shape)
        self.assert_f32_equal(b, [f32(f32(v) * self._std_lecun(3)) for v in tn], "legacy lecun_normal")

    def test_init_errors(self):
        key = [0, 1]
        self.err("/v1/init/orthogonal_ish", {"key": key, "shape": [2, 2]}, 404, "not_found")
        self.err("/v1/init/lecun_normal", {"key": key, "shape": [3]}, 400, "invalid_argument")
        self.err("/v1/init/lecun_normal", {"key": key, "shape": [0, 3]}, 400, "invalid_argument")
        self.err("/v1/init/lecun_normal", {"key": key}, 400, "invalid_argument")
        self.err("/v1/init/lecun_normal", {"key": key, "shape": [2, 2], "stddev": 1}, 400,
                 "invalid_argument")
        self.err("/v1/init/normal", {"key": key, "shape": [2, 2], "stddev": "x"}, 400, "invalid_argument")
        self.err("/v1/init/constant", {"key": key, "shape": [2], "value": 1e39}, 400, "invalid_argument")
        self.err("/v1/init/he_uniform", {"key": key, "shape": [-2, 2]}, 400, "invalid_argument")


def _pairs(nested):
    """Flattens a nested list of [hi, lo] keys, row-major."""
    if len(nested) == 2 and all(isinstance(x, int) for x in nested):
        return [nested]
    out = []
    for e in nested:
        out.extend(_pairs(e))
    return out


if __name__ == "__main__":
    unittest.main()
