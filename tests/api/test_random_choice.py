#!/usr/bin/env python3
"""categorical, choice and multinomial over HTTP, and the samplers whose
loops allocate in the library (permutation, poisson, binomial and
these three) as session distributions.

* Real JAX's draws: every "sample" case of tests/vectors/jax-oracle-flax-
  0.12.json for the three samplers (jax/jaxlib 0.10.2, both threefry modes)
  is replayed through POST /v1/random/{op} as .npy and compared bit for
  bit. JSON has no NaN: cases with a NaN logit or probability are left to
  the library's oracle test (tests/test_oracle.c); an infinite logit is
  sent as +-1e39, which rounds to the infinity (the parameter says so).
* The parameters' shapes as JAX derives them: categorical's axis and
  leading sample dimensions, logits broadcast along the batch; choice of an
  integer array's slices along an axis (jnp.take of the integer draw);
  multinomial's n and p broadcast_to the shape. Each is checked against a
  derivation from other replies of the daemon that JAX's code implies
  (take = gather of the indices the integer a gives with the same key).
* JAX's errors as 400s with JAX's text, from a session too, whose stream
  does not move.
* A session's sample of each allocating sampler (and wald) is the stateless
  draw with the key the stream issues; the session computes the allocating
  ones under its lock, so that a failed allocation leaves the stream (the
  fuzz_corpus_alloc replay checks that invariant under injected failures).
"""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kfharness import DaemonTestCase, fold_in, key_of  # noqa: E402
from test_random_distributions import Replies, parse_npy  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors", "jax-oracle-flax-0.12.json")
OPS = ["categorical", "choice", "multinomial"]


def http_value(v):
    """A vector's number as JSON: an infinity as a float beyond float32's
    range (the logits round it to the infinity), None for a NaN."""
    if v == "inf":
        return 1e39
    if v == "-inf":
        return -1e39
    if v == "nan":
        return None
    return v


def http_param(v):
    if isinstance(v, dict):
        vals = [http_value(x) for x in v["values"]]
        if any(x is None for x in vals):
            return None
        return {"shape": v["shape"], "dtype": "float32", "data": vals}
    return http_value(v)


def cases():
    with open(VECTORS) as f:
        doc = json.load(f)
    return [c for c in doc["cases"] if c["op"] == "sample" and c["args"]["sampler"] in OPS
            and c.get("tested", True)]


class ErrorsAndSessions:
    """For a test class with ERRORS [(op, body, JAX's message or None)], SESSION_BODIES {op:
    body} and PREFIX (its sessions' names): JAX's errors as 400s, statelessly and from a
    session whose stream does not move, and a session's sample = the stateless draw with the
    key the stream issues, in both Flax eras."""

    def test_jax_errors(self):
        for op, body, message in self.ERRORS:
            with self.subTest(op=op, body=body):
                s, b = self.d.post("/v1/random/" + op, dict(body, key=[0, 1]))
                self.assertEqual(s, 400, b)
                if message:
                    self.assertEqual(b["error"]["message"], message)

    def test_session_errors_leave_the_stream(self):
        name = self.PREFIX + "-err"
        self.d.post("/v1/sessions", {"name": name, "rngs": {"default": 3}})
        for op, body, _ in self.ERRORS:
            s, b = self.d.post("/v1/sessions/%s/sample" % name, dict(body, distribution=op))
            self.assertEqual(s, 400, (op, body, b))
        self.assertEqual(self.d.get("/v1/sessions/" + name)[1]["rngs"]["default"]["count"], 0)

    def test_session_sample_is_the_stateless_draw(self):
        for era in ("0.10", "0.12"):
            name = self.PREFIX + "-sess-" + era.replace(".", "")
            self.d.post("/v1/sessions", {"name": name, "rngs": {"default": 9}, "options": {"flax": era}})
            for count, (op, body) in enumerate(sorted(self.SESSION_BODIES.items())):
                with self.subTest(era=era, op=op):
                    s, smp = self.d.post("/v1/sessions/%s/sample" % name, dict(body, distribution=op))
                    self.assertEqual(s, 200, smp)
                    self.assertEqual(smp["count"], count)
                    key = fold_in(key_of(9), count)
                    self.assertEqual(smp["key"], list(key))
                    want = self.ok(op, dict(body, key=list(key)))
                    self.assertEqual((smp["shape"], smp["data"]), (want["shape"], want["data"]))


class RandomChoiceTest(ErrorsAndSessions, Replies, DaemonTestCase):
    maxDiff = None

    def test_draws_are_jax_draws(self):
        seen = {}
        for c in cases():
            a = c["args"]
            body = {k: http_param(v) for k, v in a["params"].items()}
            if any(v is None for v in body.values()):
                continue
            body.update(key=a["key"], shape=a["shape"], threefry=c["mode"])
            with self.subTest(case=c["id"]):
                descr, shape, data = self.npy(a["sampler"], body)
                self.assertEqual((descr, shape), ({"float32": "<f4", "int32": "<i4"}[c["dtype"]], c["shape"]))
                self.assertEqual(c["tolerance"], "exact")
                self.assertEqual(data.hex(), c["expect"])
                seen[(a["sampler"], c["mode"])] = seen.get((a["sampler"], c["mode"]), 0) + 1
        for op in OPS:
            for mode in ("partitionable", "legacy"):
                self.assertGreaterEqual(seen.get((op, mode), 0), 5, (op, mode))

    # ------------------------------------------------------ shapes as JAX's
    def test_categorical_shapes(self):
        key = [0, 7]
        logits = [[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]
        got = self.ok("categorical", {"key": key, "logits": logits})
        self.assertEqual((got["shape"], got["dtype"]), ([2], "int32"))
        # sample dimensions before the batch; axis 0 makes the batch (3,)
        self.assertEqual(self.ok("categorical", {"key": key, "logits": logits, "shape": [4, 2]})["shape"], [4, 2])
        self.assertEqual(self.ok("categorical", {"key": key, "logits": logits, "axis": 0})["shape"], [3])
        # a batch of one broadcast along the shape: the same as the logits
        # repeated (JAX adds the broadcast logits to gumbel(shape + (k,)))
        one = self.ok("categorical", {"key": key, "logits": [[0.0, 1.0, 2.0]], "shape": [5, 4]})
        rep = self.ok("categorical", {"key": key, "logits": [[0.0, 1.0, 2.0]] * 4, "shape": [5, 4]})
        self.assertEqual(one["data"], rep["data"])
        self.assertEqual(one["shape"], [5, 4])
        # a masked category (-1e39 rounds to -inf) is never drawn
        masked = self.ok("categorical", {"key": key, "logits": [0.0, -1e39, 0.0], "shape": [200]})
        self.assertNotIn(1, masked["data"])
        self.assertEqual(set(masked["data"]), {0, 2})
        # without replacement: distinct categories along the sample axis
        got = self.ok("categorical", {"key": key, "logits": [0.0] * 6, "shape": [6], "replace": False})
        self.assertEqual(sorted(got["data"]), list(range(6)))

    def test_choice_of_an_array_is_take_of_the_indices(self):
        key = [0, 11]
        a = [[10, 11, 12, 13], [20, 21, 22, 23]]
        for extra in ({}, {"replace": False}, {"p": [0.1, 0.2, 0.3, 0.4]},
                      {"p": [0.1, 0.2, 0.3, 0.4], "replace": False}):
            with self.subTest(extra=extra):
                idx = self.ok("choice", dict(extra, key=key, a=4, shape=[3]))["data"]
                got = self.ok("choice", dict(extra, key=key, a=a, shape=[3], axis=1))
                self.assertEqual(got["shape"], [2, 3])
                self.assertEqual(got["data"], [a[r][i] for r in range(2) for i in idx])
        idx = self.ok("choice", {"key": key, "a": 2, "shape": [2, 2]})["data"]
        got = self.ok("choice", {"key": key, "a": a, "shape": [2, 2]})
        self.assertEqual(got["shape"], [2, 2, 4])
        self.assertEqual(got["data"], [v for i in idx for v in a[i]])
        # a float array: float32 slices (jnp.asarray's dtype); a float scalar: int(a) inputs
        af = [[0.5, 1.5, 2.5, 3.5], [-1.0, -2.0, -3.0, -4.0]]
        idx = self.ok("choice", {"key": key, "a": 4, "shape": [3]})["data"]
        got = self.ok("choice", {"key": key, "a": af, "shape": [3], "axis": 1})
        self.assertEqual((got["dtype"], got["shape"]), ("float32", [2, 3]))
        self.assertEqual(got["data"], [af[r][i] for r in range(2) for i in idx])
        ints = self.ok("choice", {"key": key, "a": {"shape": [4], "dtype": "int32", "data": [7, 8, 9, 10]},
                                  "shape": [3]})
        self.assertEqual((ints["dtype"], ints["data"]), ("int32", [[7, 8, 9, 10][i] for i in idx]))
        self.assertEqual(self.ok("choice", {"key": key, "a": 4.9, "shape": [3]})["data"], idx)
        # no draws: zeros of the shape, whatever a is (JAX's early return)
        self.assertEqual(self.ok("choice", {"key": key, "a": 0, "shape": [0]})["shape"], [0])

    def test_multinomial_broadcasts_to_the_shape(self):
        key = [0, 5]
        one = self.ok("multinomial", {"key": key, "n": 10.0, "p": [0.2, 0.3, 0.5], "shape": [4, 3]})
        full = self.ok("multinomial", {"key": key, "n": [10.0] * 4, "p": [[0.2, 0.3, 0.5]] * 4})
        self.assertEqual((one["shape"], one["data"]), ([4, 3], full["data"]))
        for r in range(4):
            self.assertEqual(sum(one["data"][3 * r:3 * r + 3]), 10.0)

    # ----------------------------------------------------------- JAX's errors
    ERRORS = [
        ("categorical", {"logits": 1.0}, "body.logits: categorical needs logits with at least one dimension "
         "(the categories), got a scalar"),
        ("categorical", {"logits": [[1.0, 2.0]], "axis": 2},
         "body.axis: axis 2 is out of bounds for array of dimension 2"),
        ("categorical", {"logits": [[1.0, 2.0], [1.0, 2.0]], "shape": [3]},
         "body.shape: Incompatible shapes for broadcasting: shapes=[(3,), (2,)]"),
        ("categorical", {"logits": [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]], "shape": [1]},
         "body.shape: categorical parameter shapes must be broadcast-compatible with shape argument, and "
         "the result of broadcasting the shapes must equal the shape argument, but got result (3,) for "
         "shape argument (1,)."),
        ("categorical", {"logits": [1.0, 2.0], "shape": [3], "replace": False},
         "body.shape: Number of samples without replacement (3) cannot exceed number of categories (2)."),
        ("choice", {"a": 3, "shape": [4], "replace": False},
         "body.shape: Cannot take a larger sample (size 4) than population (size 3) when 'replace=False'"),
        ("choice", {"a": 0, "shape": [1]}, "body.a: a must be greater than 0 unless no samples are taken"),
        ("choice", {"a": 3, "p": [0.5, 0.5]},
         "body.p: p must be None or a 1D vector with the same size as a.shape[axis]. p has shape (2,) and "
         "a.shape[axis] is 3."),
        ("choice", {"a": [1, 2, 3], "axis": 1}, "body.axis: axis 1 is out of bounds for array of dimension 1"),
        ("multinomial", {"n": 5.0, "p": 0.5}, "body.p: multinomial needs a shape with the categories as its "
         "last axis, got ()"),
        ("multinomial", {"n": [1.0, 2.0, 3.0], "p": [[0.5, 0.5], [0.5, 0.5]]},
         "body.n: Incompatible types for broadcasting: input type=float32[3] and requested type=float32[2]"),
    ]

    # ------------------------------------------------------------- sessions
    PREFIX = "ch"
    SESSION_BODIES = {"permutation": {"n": 10}, "wald": {"mean": [1.0, 2.0]}, "poisson": {"lam": [3.0, 40.0]},
                      "binomial": {"n": [20.0, 300.0], "p": 0.4},
                      "categorical": {"logits": [[0.0, 1.0, 2.0]], "shape": [4, 1]},
                      "choice": {"a": 50, "shape": [5], "p": [1.0] * 50, "replace": False},
                      "multinomial": {"n": 30.0, "p": [0.1, 0.9], "shape": [3, 2]}}

    def test_listing(self):
        ops = self.operations()
        for op in OPS + ["permutation", "wald", "poisson", "binomial"]:
            self.assertTrue(ops[op]["random"] and ops[op]["session_sample"] and ops[op]["tensor"], op)
        self.assertEqual([p["name"] for p in ops["categorical"]["params"]],
                         ["key", "logits", "axis", "shape", "replace", "mode"])
        self.assertEqual([p["name"] for p in ops["choice"]["params"]],
                         ["key", "a", "shape", "replace", "p", "axis", "mode"])
        self.assertEqual([p["name"] for p in ops["multinomial"]["params"]],
                         ["key", "n", "p", "shape", "dtype"])


if __name__ == "__main__":
    unittest.main()
