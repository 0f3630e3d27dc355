#!/usr/bin/env python3
"""multivariate_normal and orthogonal over HTTP (the library's linalg.c).

* Real JAX's draws: every "sample" case of tests/vectors/jax-oracle-flax-
  0.12.json for the two samplers (jax/jaxlib 0.10.2, both threefry modes)
  is replayed through POST /v1/random/{op} as .npy. A case whose tolerance
  is 'exact' must come back bit for bit; the others (jaxlib factors with
  SciPy's OpenBLAS and multiplies with XLA's dot kernels, whose summation
  orders keyfold follows only for some sizes: docs/libkeyfold.md) within
  the ulps measured when the file was generated. JSON has no NaN: a case
  whose expected values hold NaNs (a covariance that is not positive
  definite) is compared NaN for NaN.
* The shapes as JAX derives them: mean's and cov's batch shapes broadcast
  (with `shape` or without it), one mean row or matrix for every batch row
  the same draw as the row repeated; orthogonal's shape + (n, m) with m
  defaulting to n.
* JAX's errors as 400s with JAX's text (and keyfold's for the methods it
  does not compute), from a session too, whose stream does not move.
* A session's sample is the stateless draw with the key the stream issues.
"""
import json
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kfharness import DaemonTestCase  # noqa: E402
from test_random_distributions import Replies  # noqa: E402
from test_random_choice import ErrorsAndSessions, http_param  # noqa: E402

VECTORS = os.path.join(HERE, "..", "vectors", "jax-oracle-flax-0.12.json")
OPS = ["multivariate_normal", "orthogonal"]


def cases():
    with open(VECTORS) as f:
        doc = json.load(f)
    return [c for c in doc["cases"] if c["op"] == "sample" and c["args"]["sampler"] in OPS
            and c.get("tested", True)]


def ordered(bits):
    """A float32's bit pattern on a line where neighbours differ by 1 (+0 and -0 one apart)."""
    return 0x80000000 - (bits & 0x7FFFFFFF) if bits & 0x80000000 else 0x80000000 + bits


def words(raw):
    return struct.unpack("<%dI" % (len(raw) // 4), raw)


def ulps_apart(want_hex, got_raw):
    """The largest distance in float32 steps, NaN against NaN counting as 0."""
    want, got = words(bytes.fromhex(want_hex)), words(got_raw)
    assert len(want) == len(got)
    worst = 0
    for w, g in zip(want, got):
        if (w & 0x7FFFFFFF) > 0x7F800000 and (g & 0x7FFFFFFF) > 0x7F800000:
            continue
        worst = max(worst, abs(ordered(w) - ordered(g)))
    return worst


class RandomLinalgTest(ErrorsAndSessions, Replies, DaemonTestCase):
    maxDiff = None

    def test_draws_are_jax_draws(self):
        seen, exact = {}, 0
        for c in cases():
            a = c["args"]
            body = {k: http_param(v) if k in ("mean", "cov") else v for k, v in a["params"].items()}
            body.update(key=a["key"], shape=a["shape"], threefry=c["mode"])
            with self.subTest(case=c["id"]):
                descr, shape, data = self.npy(a["sampler"], body)
                self.assertEqual((descr, shape), ("<f4", c["shape"]))
                tol = c["tolerance"]
                if tol == "exact":
                    if data.hex() != c["expect"]:  # NaN rows: any NaN payload
                        self.assertEqual(ulps_apart(c["expect"], data), 0)
                    exact += 1
                else:
                    self.assertLessEqual(ulps_apart(c["expect"], data), tol["ulps"], tol["reason"])
                seen[(a["sampler"], c["mode"])] = seen.get((a["sampler"], c["mode"]), 0) + 1
        for op in OPS:
            for mode in ("partitionable", "legacy"):
                self.assertGreaterEqual(seen.get((op, mode), 0), 10, (op, mode))
        self.assertGreater(exact, 0)

    # ------------------------------------------------------ shapes as JAX's
    def test_mvn_shapes(self):
        key = [0, 3]
        eye = [[1.0, 0.0], [0.0, 1.0]]
        got = self.ok("multivariate_normal", {"key": key, "mean": [0.0, 1.0], "cov": eye})
        self.assertEqual((got["shape"], got["dtype"]), ([2], "float32"))
        # the batch: broadcast of mean.shape[:-1] and cov.shape[:-2]
        got = self.ok("multivariate_normal", {"key": key, "mean": [[0.0, 1.0]] * 3, "cov": [eye] * 1})
        self.assertEqual(got["shape"], [3, 2])
        got = self.ok("multivariate_normal", {"key": key, "mean": [[[0.0, 1.0]]] * 2, "cov": [eye] * 3})
        self.assertEqual(got["shape"], [2, 3, 2])
        # shape (4, 2) with batch shapes (2,) and (): broadcast to (4, 2)
        self.assertEqual(self.ok("multivariate_normal", {"key": key, "mean": [[0.0, 1.0]] * 2, "cov": eye,
                                                          "shape": [4, 2]})["shape"], [4, 2, 2])
        # one mean row and one matrix serve every batch row: the same as repeating them
        cov = [[2.0, 0.5], [0.5, 1.0]]
        one = self.ok("multivariate_normal", {"key": key, "mean": [1.0, -1.0], "cov": cov, "shape": [9]})
        rep = self.ok("multivariate_normal", {"key": key, "mean": [[1.0, -1.0]] * 9, "cov": [cov] * 9})
        self.assertEqual((one["shape"], one["data"]), ([9, 2], rep["data"]))
        # identity covariance: the mean plus normal(key, shape + (n,)), exactly
        z = self.ok("normal", {"key": key, "shape": [5, 3]})["data"]
        got = self.ok("multivariate_normal", {"key": key, "mean": [0.0, 0.0, 0.0],
                                              "cov": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                                              "shape": [5]})["data"]
        self.assertEqual(got, z)
        # a covariance that is not positive definite: NaN rows (JSON null), as JAX gives
        got = self.ok("multivariate_normal", {"key": key, "mean": [0.0, 0.0], "cov": [[1.0, 2.0], [2.0, 1.0]],
                                              "shape": [2]})
        self.assertEqual(got["data"], ["NaN"] * 4)  # JSON has no NaN: the daemon writes the string

    def test_orthogonal_shapes(self):
        key = [0, 4]
        self.assertEqual(self.ok("orthogonal", {"key": key, "n": 3})["shape"], [3, 3])
        self.assertEqual(self.ok("orthogonal", {"key": key, "n": 3, "m": 5, "shape": [2]})["shape"], [2, 3, 5])
        self.assertEqual(self.ok("orthogonal", {"key": key, "n": 0})["shape"], [0, 0])
        self.assertEqual(self.ok("orthogonal", {"key": key, "n": 3, "m": 0})["shape"], [3, 0])
        # orthonormal rows (n < m) and columns (n > m)
        for n, m in ((3, 5), (5, 3), (4, 4)):
            q = self.ok("orthogonal", {"key": key, "n": n, "m": m})["data"]
            rows = [q[i * m:(i + 1) * m] for i in range(n)]
            vecs = rows if n <= m else [[rows[i][j] for i in range(n)] for j in range(m)]
            for i, u in enumerate(vecs):
                for j, v in enumerate(vecs):
                    self.assertAlmostEqual(sum(a * b for a, b in zip(u, v)), float(i == j), places=5)

    # ----------------------------------------------------------- JAX's errors
    ERRORS = [
        ("multivariate_normal", {"mean": 0.0, "cov": [[1.0]]},
         "body.mean: multivariate_normal requires mean.ndim >= 1, got mean.ndim == 0"),
        ("multivariate_normal", {"mean": [0.0, 0.0, 0.0], "cov": [0.0, 0.0, 0.0]},
         "body.cov: multivariate_normal requires cov.ndim >= 2, got cov.ndim == 1"),
        ("multivariate_normal", {"mean": [0.0, 0.0, 0.0], "cov": [[1.0, 0.0], [0.0, 1.0]]},
         "body.cov: multivariate_normal requires cov.shape == (..., n, n) for n=3, but got cov.shape == (2, 2)."),
        ("multivariate_normal", {"mean": [[0.0]] * 2, "cov": [[[1.0]]] * 4},
         "body.cov: Incompatible shapes for broadcasting: shapes=[(2,), (4,)]"),
        ("multivariate_normal", {"mean": [[0.0]] * 2, "cov": [[1.0]], "shape": [5]},
         "body.shape: Incompatible shapes for broadcasting: shapes=[(5,), (2,), ()]"),
        ("multivariate_normal", {"mean": [[0.0]] * 2, "cov": [[[1.0]]] * 4, "shape": [2]},
         "body.shape: Incompatible shapes for broadcasting: shapes=[(2,), (2,), (4,)]"),
        ("multivariate_normal", {"mean": [[0.0]] * 3, "cov": [[1.0]], "shape": [1]},
         "body.shape: normal parameter shapes must be broadcast-compatible with shape argument, and the "
         "result of broadcasting the shapes must equal the shape argument, but got result (3,) for shape "
         "argument (1,)."),
        ("multivariate_normal", {"mean": [0.0], "cov": [[1.0]], "method": "foo"},
         "body.method: method must be one of {'svd', 'eigh', 'cholesky'}"),
        ("multivariate_normal", {"mean": [0.0], "cov": [[1.0]], "method": "svd"},
         "body.method: keyfold computes method='cholesky' only; svd and eigh depend on LAPACK's "
         "eigenvector signs"),
        ("multivariate_normal", {"mean": [0.0], "cov": [[1.0]], "method": "eigh"},
         "body.method: keyfold computes method='cholesky' only; svd and eigh depend on LAPACK's "
         "eigenvector signs"),
        ("multivariate_normal", {"mean": [0.0], "cov": [[1.0]], "dtype": "int32"},
         "body.dtype: dtype argument to `multivariate_normal` must be a float dtype, got int32"),
        ("orthogonal", {"n": 3, "dtype": "int32"},
         "body.dtype: dtype argument to `normal` must be a float or complex dtype, got int32"),
        ("orthogonal", {"n": -1}, None),
        ("orthogonal", {"n": 3, "m": -2}, None),
        ("orthogonal", {"n": 3.5}, None),
        ("orthogonal", {}, None),
    ]

    # ------------------------------------------------------------- sessions
    PREFIX = "la"
    SESSION_BODIES = {"multivariate_normal": {"mean": [1.0, 2.0, 3.0],
                                              "cov": [[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.5]],
                                              "shape": [4]},
                      "orthogonal": {"n": 4, "m": 3, "shape": [2]}}

    def test_listing(self):
        ops = self.operations()
        for op in OPS:
            self.assertTrue(ops[op]["random"] and ops[op]["session_sample"] and ops[op]["tensor"], op)
        self.assertEqual([p["name"] for p in ops["multivariate_normal"]["params"]],
                         ["key", "mean", "cov", "shape", "dtype", "method"])
        self.assertEqual([p["name"] for p in ops["orthogonal"]["params"]], ["key", "n", "shape", "dtype", "m"])


if __name__ == "__main__":
    unittest.main()
