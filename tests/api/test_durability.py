"""Durable sessions (docs/durability-tests.md): what survives a restart of
keyfoldd on the same --data-dir, and what makes it refuse a store.

- strict: a SIGTERM restart and a kill -9 restart both give back every
  session exactly (keys, counts, bit-identical model parameters), and the
  restarted daemon continues every stream exactly as a daemon that never
  stopped (a second daemon in memory mode that got the same requests);
  deletions and reseeds persist; "recovered N sessions" has the right N and
  /v2/health/ready is 200 afterwards.
- lease: after a kill -9 or a SIGTERM restart every stream's count is at
  least what it was, and the next draws are past every count handed out.
- memory: nothing is kept, the log says so ("NOT persisted"), and an existing
  store is left alone.
- A store that is truncated, corrupted, of another format version or not a
  keyfold store at all makes the daemon refuse to start: non-zero exit, a
  message naming the file, the file byte for byte as it was. A 0-byte
  keyfold.db is a valid, empty SQLite database: the daemon starts on it with
  no sessions and makes it a keyfold store (documented, not refused).

Each test has its own data directory; daemons are stopped or killed and the
directories removed by the test's cleanups.
"""
import os
import random
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import kfharness  # noqa: E402
from kfharness import Daemon, f32_bits, fold_in, key_of, mkdtemp  # noqa: E402

BINARY = os.environ.get("KEYFOLDD", kfharness.DEFAULT_BINARY)
DB = "keyfold.db"

LINEAR_DROPOUT = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                             {"type": "dropout", "rate": 0.5}]}


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("KEYFOLD_")}



def log_match(d, pattern, timeout=5.0):
    """The first stderr line matching pattern (the reader thread may lag
    behind the daemon a little), or None."""
    rx = re.compile(pattern)
    deadline = time.time() + timeout
    while True:
        for line in list(d.stderr_lines):
            m = rx.search(line)
            if m:
                return m
        if time.time() > deadline:
            return None
        time.sleep(0.01)


def float_bits(v):
    """Tensors with every float as its float32 bit pattern: equal means bit-identical
    (-0.0 and 0.0 differ, as they should)."""
    if isinstance(v, dict):
        if "data" in v and "dtype" in v:
            out = dict(v)
            out["data"] = [f32_bits(float(x)) if v["dtype"] == "float32" else x for x in v["data"]]
            return out
        return {k: float_bits(x) for k, x in v.items()}
    if isinstance(v, list):
        return [float_bits(x) for x in v]
    return v


class StoreTestCase(kfharness.StoreTestCase):
    """A data directory per test and daemons that are always cleaned up."""

    def start(self, mode="strict", *flags, data=None):
        d = Daemon.start("--data-dir", data or self.data, "--durability", mode, *flags)
        self._daemons.append(d)
        return d

    def term(self, d):
        rc = d.stop()
        self.assertEqual(rc, 0, "keyfoldd exited %r on SIGTERM:\n%s" % (rc, "".join(d.stderr_lines[-20:])))

    def restart(self, d, how, mode="strict", *flags):
        """Stops d (SIGTERM or SIGKILL) and starts a daemon on the same data dir."""
        if how == "term":
            self.term(d)
        else:
            d.kill9()
        t0 = time.time()
        d2 = self.start(mode, *flags)
        self.assertLess(time.time() - t0, 5.0, "recovery took too long")
        return d2

    def ok(self, d, method, path, body=None, status=None):
        s, b, _ = d.request(method, path, body=body)
        if status is None:
            self.assertTrue(200 <= s < 300, "%s %s -> %d %r" % (method, path, s, b))
        else:
            self.assertEqual(s, status, "%s %s -> %d %r" % (method, path, s, b))
        return b

    def assert_recovered(self, d, n):
        m = log_match(d, r"recovered (\d+) sessions from (\S+)")
        self.assertIsNotNone(m, "no 'recovered N sessions' line:\n" + "".join(d.stderr_lines))
        self.assertEqual(int(m.group(1)), n, m.group(0))
        self.assertEqual(d.get("/v2/health/ready")[0], 200)

    def snapshot(self, d):
        """Every session: the Session object and its parameters (as float32 bits)."""
        names = self.ok(d, "GET", "/v1/sessions")["sessions"]
        snap = {}
        for n in sorted(names):
            sess = self.ok(d, "GET", "/v1/sessions/" + n)
            params = self.ok(d, "GET", "/v1/sessions/%s/params" % n)
            snap[n] = {"session": sess, "params": float_bits(params)}
        return snap


# A history touching every kind of durable change: creations (with and
# without a model, legacy threefry, key and seed streams), draws from named
# and fallback streams, forward passes, samples, a reseed and a deletion.
SESSIONS = [
    {"name": "m1", "rngs": {"params": 1, "dropout": 2}, "model": LINEAR_DROPOUT},
    {"name": "m2", "rngs": {"default": 7},
     "model": {"layers": [{"type": "linear", "in_features": 2, "out_features": 4},
                          {"type": "relu"}, {"type": "dropout", "rate": 0.3},
                          {"type": "linear", "in_features": 4, "out_features": 2}]},
     "options": {"threefry": "legacy"}},
    {"name": "plain", "rngs": {"default": [0, 5], "noise": 9}},
    {"name": "gone", "rngs": {"default": 11}},
]
HISTORY = [
    ("POST", "/v1/sessions/m1/keys", {"stream": "dropout", "n": 3}),
    ("POST", "/v1/sessions/m1/forward", {"x": [[1.0, 2.0]]}),
    ("POST", "/v1/sessions/m1/forward", {"x": [[0.5, -1.0], [3.0, 0.25]]}),
    ("POST", "/v1/sessions/m1/keys", {"stream": "params", "n": 2}),
    ("POST", "/v1/sessions/m2/forward", {"x": [[1.0, 1.0]]}),
    ("POST", "/v1/sessions/m2/keys", {"stream": "not_a_stream", "n": 4}),  # falls back to default
    ("POST", "/v1/sessions/plain/keys", {"stream": "noise", "n": 5}),
    ("POST", "/v1/sessions/plain/sample", {"stream": "default", "distribution": "normal", "shape": [3]}),
    ("POST", "/v1/sessions/m1/reseed", {"streams": {"dropout": 42}}),
    ("POST", "/v1/sessions/m1/forward", {"x": [[1.0, 2.0]]}),
    ("POST", "/v1/sessions/gone/keys", {"n": 2}),
    ("DELETE", "/v1/sessions/gone", None),
]
# After the restart: each continues a stream where it stopped.
FOLLOW_UP = [
    ("POST", "/v1/sessions/m1/forward", {"x": [[1.0, 2.0], [2.0, 1.0], [0.0, 1.0]]}),
    ("POST", "/v1/sessions/m1/keys", {"stream": "dropout", "n": 2}),
    ("POST", "/v1/sessions/m1/keys", {"stream": "params", "n": 1}),
    ("POST", "/v1/sessions/m2/forward", {"x": [[0.5, 0.5]]}),
    ("POST", "/v1/sessions/m2/keys", {"n": 2}),
    ("POST", "/v1/sessions/plain/keys", {"stream": "noise", "n": 2}),
    ("POST", "/v1/sessions/plain/sample", {"distribution": "uniform", "shape": [2, 2]}),
    ("GET", "/v1/sessions/gone", None),
]


class StrictRestart(StoreTestCase):
    def _apply(self, d, ref, steps):
        """Sends each request to d and to the reference daemon ref: both must
        answer alike, bit for bit."""
        for method, path, body in steps:
            s1, b1, _ = d.request(method, path, body=body)
            s2, b2, _ = ref.request(method, path, body=body)
            self.assertEqual((s1, float_bits(b1)), (s2, float_bits(b2)),
                             "%s %s differs from an uninterrupted daemon" % (method, path))

    def _roundtrip(self, how):
        ref = Daemon.start("--durability", "memory")
        self.addCleanup(ref.stop)
        d = self.start("strict")
        self.assert_recovered(d, 0)
        for spec in SESSIONS:
            s1 = self.ok(d, "POST", "/v1/sessions", spec, status=201)
            s2 = self.ok(ref, "POST", "/v1/sessions", spec, status=201)
            self.assertEqual(s1, s2)
        self._apply(d, ref, HISTORY)
        before = self.snapshot(d)
        self.assertEqual(sorted(before), ["m1", "m2", "plain"])
        self.assertEqual(before, self.snapshot(ref))

        d = self.restart(d, how)
        self.assert_recovered(d, 3)
        after = self.snapshot(d)
        self.assertEqual(after, before, "sessions changed across a %s restart" % how)
        # Counts, keys and dropout masks continue exactly as without a restart.
        self._apply(d, ref, FOLLOW_UP)
        self.assertEqual(self.snapshot(d), self.snapshot(ref))

        # And once more, so that state written by the recovered daemon
        # survives too.
        d = self.restart(d, how)
        self.assert_recovered(d, 3)
        self.assertEqual(self.snapshot(d), self.snapshot(ref))
        self.term(d)

    def test_sigterm_restart_keeps_every_session_exactly(self):
        self._roundtrip("term")

    def test_kill9_restart_keeps_every_session_exactly(self):
        self._roundtrip("kill")

    def test_batch_norm_statistics_persist(self):
        """A training forward pass updates a batch_norm's running statistics (a
        state change like a draw): they survive SIGTERM and kill -9 restarts
        in strict and lease mode; an eval pass changes nothing; memory mode
        keeps them until exit."""
        model = {"layers": [{"type": "linear", "in_features": 3, "out_features": 4},
                            {"type": "batch_norm", "num_features": 4, "name": "bn"},
                            {"type": "dropout", "rate": 0.5}]}
        x = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
        for mode in ("strict", "lease"):
            for how in ("term", "kill"):
                with self.subTest(mode=mode, how=how):
                    # A store of its own (with --store postgres: a database).
                    data = os.path.join(self.data, "%s-%s" % (mode, how))
                    os.makedirs(data)
                    d = self.start(mode, data=data)
                    self.ok(d, "POST", "/v1/sessions", {"name": "bn", "rngs": {"params": 0, "dropout": 1},
                                                       "model": model})
                    fresh = self.ok(d, "GET", "/v1/sessions/bn/params?format=state")
                    self.assertEqual(fresh["bn"]["mean"]["data"], [0.0] * 4)
                    self.assertEqual(fresh["bn"]["var"]["data"], [1.0] * 4)
                    self.ok(d, "POST", "/v1/sessions/bn/forward", {"x": x, "deterministic": True})
                    self.assertEqual(self.ok(d, "GET", "/v1/sessions/bn/params?format=state"), fresh)
                    for _ in range(3):
                        self.ok(d, "POST", "/v1/sessions/bn/forward", {"x": x, "deterministic": False})
                    trained = self.ok(d, "GET", "/v1/sessions/bn/params?format=state")
                    self.assertNotEqual(trained["bn"]["mean"], fresh["bn"]["mean"])
                    # A draw after the training records the streams again: the
                    # statistics must not go back with it.
                    self.ok(d, "POST", "/v1/sessions/bn/keys", {"stream": "dropout", "n": 1})
                    y = self.ok(d, "POST", "/v1/sessions/bn/forward", {"x": x, "deterministic": True})
                    if how == "term":
                        self.term(d)
                    else:
                        d.kill9()
                    d = self.start(mode, data=data)
                    self.assertEqual(float_bits(self.ok(d, "GET", "/v1/sessions/bn/params?format=state")),
                                     float_bits(trained))
                    self.assertEqual(float_bits(self.ok(d, "POST", "/v1/sessions/bn/forward",
                                                        {"x": x, "deterministic": True})), float_bits(y))
                    self.term(d)

    def test_deletes_reseeds_and_recreations_persist(self):
        d = self.start("strict")
        for i, name in enumerate(["a", "b", "c"]):
            self.ok(d, "POST", "/v1/sessions",
                    {"name": name, "rngs": {"params": i, "dropout": 100 + i}, "model": LINEAR_DROPOUT},
                    status=201)
            self.ok(d, "POST", "/v1/sessions/%s/keys" % name, {"stream": "dropout", "n": 5})
        self.ok(d, "DELETE", "/v1/sessions/b", status=204)
        reseeded = self.ok(d, "POST", "/v1/sessions/a/reseed",
                           {"streams": {"dropout": 4242, "params": [3, 7]}})
        self.assertEqual(reseeded["rngs"]["dropout"], {"key": key_of(4242), "count": 0})

        d = self.restart(d, "kill")
        self.assert_recovered(d, 2)
        self.assertEqual(self.ok(d, "GET", "/v1/sessions")["sessions"], ["a", "c"])
        self.ok(d, "GET", "/v1/sessions/b", status=404)
        a = self.ok(d, "GET", "/v1/sessions/a")
        self.assertEqual(a["rngs"], reseeded["rngs"])
        self.assertEqual(a["rngs"]["params"], {"key": [3, 7], "count": 0})
        c = self.ok(d, "GET", "/v1/sessions/c")
        self.assertEqual(c["rngs"]["dropout"], {"key": key_of(102), "count": 5})
        # The deleted name is free again; the new session is the new one.
        self.ok(d, "POST", "/v1/sessions", {"name": "b", "rngs": {"dropout": 77}}, status=201)
        k = self.ok(d, "POST", "/v1/sessions/b/keys", {"stream": "dropout", "n": 2})
        self.assertEqual(k["keys"], [fold_in(key_of(77), 0), fold_in(key_of(77), 1)])

        d = self.restart(d, "kill")
        self.assert_recovered(d, 3)
        b = self.ok(d, "GET", "/v1/sessions/b")
        self.assertEqual(b["rngs"], {"dropout": {"key": key_of(77), "count": 2}})
        self.assertIsNone(b["model"])
        self.term(d)

    def test_recovered_count_and_readiness_with_many_sessions(self):
        d = self.start("strict")
        for i in range(40):
            self.ok(d, "POST", "/v1/sessions", {"name": "s%02d" % i, "rngs": {"default": i}}, status=201)
        for i in range(0, 40, 8):
            self.ok(d, "DELETE", "/v1/sessions/s%02d" % i, status=204)
        d = self.restart(d, "kill")
        self.assert_recovered(d, 35)
        self.assertEqual(len(self.ok(d, "GET", "/v1/sessions")["sessions"]), 35)
        self.term(d)


class LeaseRestart(StoreTestCase):
    """Lease mode hands out counts from a reservation made durable in
    advance: a restart may skip counts, never reissue one."""

    def _load(self, d, rng, issued, names, rounds):
        """Random draws; records every issued (stream key, count) -> key."""
        for _ in range(rounds):
            name = rng.choice(names)
            if rng.random() < 0.3:
                before = self.ok(d, "GET", "/v1/sessions/" + name)["rngs"]["dropout"]
                self.ok(d, "POST", "/v1/sessions/%s/forward" % name, {"x": [[1.0, 2.0]]})
                after = self.ok(d, "GET", "/v1/sessions/" + name)["rngs"]["dropout"]
                self.assertEqual(after["count"], before["count"] + 1)
                self._issue(issued, before["key"], before["count"], fold_in(before["key"], before["count"]))
            else:
                stream = rng.choice(["params", "dropout"])
                sess = self.ok(d, "GET", "/v1/sessions/" + name)
                r = self.ok(d, "POST", "/v1/sessions/%s/keys" % name,
                            {"stream": stream, "n": rng.randint(1, 5)})
                skey = sess["rngs"][stream]["key"]
                for c, k in zip(r["counts"], r["keys"]):
                    self.assertEqual(k, fold_in(skey, c))
                    self._issue(issued, skey, c, k)

    def _issue(self, issued, skey, count, key):
        pair = (tuple(skey), count)
        self.assertNotIn(pair, issued, "count %d of stream key %r issued twice" % (count, skey))
        issued[pair] = tuple(key)

    def _check_after_restart(self, d, before, issued, names):
        for name in names:
            now = self.ok(d, "GET", "/v1/sessions/" + name)["rngs"]
            for stream, st in before[name].items():
                self.assertEqual(now[stream]["key"], st["key"])
                self.assertGreaterEqual(now[stream]["count"], st["count"],
                                        "%s.%s went back from %d to %d" % (name, stream, st["count"],
                                                                           now[stream]["count"]))
                # The next draw is past every count ever issued from this key.
                r = self.ok(d, "POST", "/v1/sessions/%s/keys" % name, {"stream": stream, "n": 2})
                top = max([c for (k, c) in issued if k == tuple(st["key"])], default=-1)
                self.assertGreater(min(r["counts"]), top)
                for c, k in zip(r["counts"], r["keys"]):
                    self._issue(issued, st["key"], c, k)

    def _cycles(self, how, *flags):
        names = ["l0", "l1", "l2"]
        rng = random.Random(7)
        issued = {}
        d = self.start("lease", *flags)
        for i, name in enumerate(names):
            s = self.ok(d, "POST", "/v1/sessions",
                        {"name": name, "rngs": {"params": 10 + i, "dropout": 20 + i},
                         "model": LINEAR_DROPOUT}, status=201)
            for c in range(s["rngs"]["params"]["count"]):  # model construction drew these
                self._issue(issued, s["rngs"]["params"]["key"], c, fold_in(s["rngs"]["params"]["key"], c))
        for _ in range(3):
            self._load(d, rng, issued, names, 40)
            before = {n: self.ok(d, "GET", "/v1/sessions/" + n)["rngs"] for n in names}
            d = self.restart(d, how, "lease", *flags)
            self.assert_recovered(d, len(names))
            self._check_after_restart(d, before, issued, names)
        self.term(d)

    def test_kill9_small_lease_block_never_reissues(self):
        self._cycles("kill", "--lease-block", "8")

    def test_kill9_default_lease_block_never_reissues(self):
        self._cycles("kill")

    def test_sigterm_restart_never_reissues(self):
        self._cycles("term", "--lease-block", "8")

    def test_creations_deletions_reseeds_are_strict(self):
        d = self.start("lease", "--lease-block", "16")
        self.ok(d, "POST", "/v1/sessions", {"name": "x", "rngs": {"dropout": 1}}, status=201)
        self.ok(d, "POST", "/v1/sessions", {"name": "y", "rngs": {"dropout": 2}}, status=201)
        self.ok(d, "POST", "/v1/sessions/x/keys", {"stream": "dropout", "n": 3})
        self.ok(d, "POST", "/v1/sessions/x/reseed", {"streams": {"dropout": 99}})
        self.ok(d, "DELETE", "/v1/sessions/y", status=204)
        self.ok(d, "POST", "/v1/sessions", {"name": "z", "rngs": {"default": 3}}, status=201)
        d = self.restart(d, "kill", "lease", "--lease-block", "16")
        self.assert_recovered(d, 2)
        self.assertEqual(self.ok(d, "GET", "/v1/sessions")["sessions"], ["x", "z"])
        x = self.ok(d, "GET", "/v1/sessions/x")["rngs"]["dropout"]
        self.assertEqual(x["key"], key_of(99))
        self.assertGreaterEqual(x["count"], 0)
        self.term(d)


class MemoryMode(StoreTestCase):
    def test_memory_mode_forgets_and_says_so(self):
        d = self.start("memory")
        self.assertIsNotNone(log_match(d, r"NOT persisted"),
                             "memory mode must warn that nothing is kept:\n" + "".join(d.stderr_lines))
        self.ok(d, "POST", "/v1/sessions", {"name": "m", "rngs": {"default": 1}}, status=201)
        self.ok(d, "POST", "/v1/sessions/m/keys", {"n": 3})
        d = self.restart(d, "term", "memory")
        self.assertIsNotNone(log_match(d, r"NOT persisted"))
        self.ok(d, "GET", "/v1/sessions/m", status=404)
        self.assertEqual(self.ok(d, "GET", "/v1/sessions")["sessions"], [])
        self.term(d)
        self.assertFalse(os.path.exists(os.path.join(self.data, DB)), "memory mode wrote a store")

    @kfharness.sqlite_only
    def test_memory_mode_leaves_an_existing_store_alone(self):
        d = self.start("strict")
        self.ok(d, "POST", "/v1/sessions", {"name": "kept", "rngs": {"default": 1}}, status=201)
        self.ok(d, "POST", "/v1/sessions/kept/keys", {"n": 3})
        self.term(d)
        path = os.path.join(self.data, DB)
        with open(path, "rb") as f:
            original = f.read()
        d = self.start("memory")
        self.ok(d, "GET", "/v1/sessions/kept", status=404)
        self.ok(d, "POST", "/v1/sessions", {"name": "kept", "rngs": {"default": 2}}, status=201)
        self.term(d)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), original, "memory mode changed the store")
        d = self.start("strict")
        self.assert_recovered(d, 1)
        self.assertEqual(self.ok(d, "GET", "/v1/sessions/kept")["rngs"]["default"],
                         {"key": key_of(1), "count": 3})
        self.term(d)


# Sessions without a model take recovery's fast path (spec.c,
# read_plain); these cover its edges: no streams, legacy threefry, the
# longest stream name, the most streams, extreme keys, 'default' given first.
LONG_STREAM = "s" * 64
PLAIN_SESSIONS = [
    {"name": "none"},
    {"name": "legacy", "rngs": {"default": 3, "dropout": [7, 8]}, "options": {"threefry": "legacy"}},
    {"name": "wide", "rngs": dict([(LONG_STREAM, 1)] + [("st%02d" % i, i) for i in range(63)])},
    {"name": "edges", "rngs": {"default": -1, "params": [4294967295, 4294967295], "zero": [0, 0]}},
    {"name": "x" * 128, "rngs": {"dropout": 5}, "options": {"threefry": "partitionable", "flax": "0.10"}},
]
PLAIN_HISTORY = [
    ("POST", "/v1/sessions/legacy/keys", {"stream": "dropout", "n": 2}),
    ("POST", "/v1/sessions/legacy/sample", {"stream": "other", "distribution": "bits", "shape": [2]}),
    ("POST", "/v1/sessions/wide/keys", {"stream": LONG_STREAM, "n": 3}),
    ("POST", "/v1/sessions/wide/keys", {"stream": "st62", "n": 1}),
    ("POST", "/v1/sessions/edges/keys", {"stream": "params", "n": 4}),
    ("POST", "/v1/sessions/edges/reseed", {"streams": {"zero": [1, 2]}}),
    ("POST", "/v1/sessions/%s/keys" % ("x" * 128), {"stream": "dropout", "n": 1}),
]


def fnv1a(h, data):
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def int64(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def rewrite_spec(path, name, spec, checksum=0):
    """Replaces a stored row's creation spec (and model checksum) and
    recomputes the row's spec_check as row.c does, so that the row is
    well-formed and passes its own check: what recovery makes of it is up to
    the spec alone."""
    h = fnv1a(0xcbf29ce484222325, name.encode() + b"\0")
    h = fnv1a(h, spec.encode() + b"\0")
    h = fnv1a(h, (checksum & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))
    c = sqlite3.connect(path)
    n = c.execute("UPDATE sessions SET spec = ?, checksum = ?, spec_check = ? WHERE name = ?",
                  (spec, int64(checksum), int64(h), name)).rowcount
    c.commit()
    c.close()
    assert n == 1, (name, n)


class RecoveryPaths(StoreTestCase):
    """Rows of sessions without a model are read without jansson; anything
    that is not exactly such a spec goes through the general path. Both must
    give the same sessions and refuse the same stores."""

    def test_plain_sessions_recover_exactly(self):
        ref = Daemon.start("--durability", "memory")
        self.addCleanup(ref.stop)
        d = self.start("strict")
        for spec in PLAIN_SESSIONS:
            self.assertEqual(self.ok(d, "POST", "/v1/sessions", spec, status=201),
                             self.ok(ref, "POST", "/v1/sessions", spec, status=201))
        for method, path, body in PLAIN_HISTORY:
            self.assertEqual(self.ok(d, method, path, body), self.ok(ref, method, path, body))
        before = self.snapshot(d)
        self.assertEqual(len(before["wide"]["session"]["rngs"]), 64)
        d = self.restart(d, "term")
        self.assert_recovered(d, len(PLAIN_SESSIONS))
        self.assertEqual(self.snapshot(d), before)
        for method, path, body in PLAIN_HISTORY:
            self.assertEqual(self.ok(d, method, path, body), self.ok(ref, method, path, body))
        self.assertEqual(self.snapshot(d), self.snapshot(ref))
        self.term(d)

    def _store(self):
        """A cleanly stopped store with session 'p' {default, dropout} at
        counts 2 and 1 (no model); returns the path of its file."""
        d = self.start("strict")
        self.ok(d, "POST", "/v1/sessions", {"name": "p", "rngs": {"default": 4, "dropout": 6}}, status=201)
        self.ok(d, "POST", "/v1/sessions/p/keys", {"n": 2})
        self.ok(d, "POST", "/v1/sessions/p/keys", {"stream": "dropout", "n": 1})
        self.expected = self.ok(d, "GET", "/v1/sessions/p")
        self.term(d)
        return os.path.join(self.data, DB)

    @kfharness.sqlite_only
    def test_a_spec_in_another_layout_takes_the_general_path(self):
        # Same meaning, other spacing and member order: not the canonical
        # text, so jansson reads it; the session is the same.
        path = self._store()
        rewrite_spec(path, "p", '{ "options": {"flax": "0.10", "threefry": "partitionable"},'
                                ' "model": null, "rngs": {"default": [0, 4], "dropout": [0, 6]} }')
        d = self.start("strict")
        self.assert_recovered(d, 1)
        self.assertEqual(self.ok(d, "GET", "/v1/sessions/p"), self.expected)
        k = self.ok(d, "POST", "/v1/sessions/p/keys", {"n": 1})
        self.assertEqual(k["keys"], [fold_in(key_of(4), 2)])
        self.term(d)

    def assert_refused(self, path, *expected):
        with open(path, "rb") as f:
            before = f.read()
        try:
            p = subprocess.run([BINARY, "--listen", "127.0.0.1:0", "--data-dir", self.data,
                                "--durability", "strict"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=clean_env(), timeout=10)
        except subprocess.TimeoutExpired as e:
            self.fail("keyfoldd started on a store it should refuse:\n%s" % e.stderr)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        self.assertIn(path, p.stderr)
        for e in expected:
            self.assertIn(e, p.stderr)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before, "a refused store must be left as it was")

    @kfharness.sqlite_only
    def test_bad_specs_that_pass_their_row_check_are_refused(self):
        canonical = '{"rngs":{"dropout":[0,6],"default":[0,4]},"model":null,' \
                    '"options":{"threefry":"partitionable","flax":"0.10"}}'
        bad = [
            # (spec, model checksum, what the message must say)
            (canonical.replace('"dropout":[0,6]', '"default":[0,6]'), 0, "unreadable spec"),
            (canonical.replace('"dropout":[0,6],', ''), 0, "malformed stream state"),
            (canonical.replace('"default":[0,4]', '"default":[0,4],"third":[0,1]'), 0,
             "malformed stream state"),
            (canonical.replace("[0,6]", "[0,4294967296]"), 0, "0..4294967295"),
            (canonical.replace("[0,6]", "[0,-1]"), 0, "0..4294967295"),
            (canonical.replace("partitionable", "fast"), 0, "threefry"),
            (canonical.replace("0.10", "0.13"), 0, "flax"),
            (canonical.replace('"dropout"', '"1bad"'), 0, "stream name"),
            (canonical, 12345, "does not re-derive"),
        ]
        path = self._store()
        with open(path, "rb") as f:
            image = f.read()
        self.assertEqual(self.expected["rngs"]["dropout"]["count"], 1)
        c = sqlite3.connect(path)
        self.assertEqual(c.execute("SELECT spec FROM sessions WHERE name = 'p'").fetchone()[0], canonical)
        c.close()
        for spec, checksum, message in bad:
            with self.subTest(spec=spec, checksum=checksum):
                with open(path, "wb") as f:
                    f.write(image)
                rewrite_spec(path, "p", spec, checksum)
                self.assert_refused(path, "session 'p'", message)
        # The canonical spec itself is accepted (the row check is right).
        with open(path, "wb") as f:
            f.write(image)
        rewrite_spec(path, "p", canonical)
        d = self.start("strict")
        self.assert_recovered(d, 1)
        self.assertEqual(self.ok(d, "GET", "/v1/sessions/p"), self.expected)
        self.term(d)


@kfharness.sqlite_only
class RefusedStores(unittest.TestCase):
    """A store the daemon cannot trust stops it from starting."""

    @classmethod
    def setUpClass(cls):
        # A multi-page store: 150 sessions with models, some draws, a clean
        # stop (the WAL checkpointed into keyfold.db).
        cls.base = mkdtemp("keyfold-dur-base-")
        try:
            d = Daemon.start("--data-dir", cls.base, "--durability", "strict")
            try:
                for i in range(150):
                    s, b = d.post("/v1/sessions", {"name": "s%03d" % i,
                                                   "rngs": {"params": i, "dropout": 1000 + i},
                                                   "model": LINEAR_DROPOUT})
                    assert s == 201, (s, b)
                s, b = d.post("/v1/sessions/s075/keys", {"stream": "dropout", "n": 1000})
                assert s == 200, (s, b)
            finally:
                rc = d.stop()
            assert rc == 0, rc
            with open(os.path.join(cls.base, DB), "rb") as f:
                cls.image = f.read()
            assert len(cls.image) >= 16 * 4096, len(cls.image)
        except BaseException:
            shutil.rmtree(cls.base, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, ignore_errors=True)

    def setUp(self):
        self.dir = mkdtemp("keyfold-dur-bad-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.path = os.path.join(self.dir, DB)

    def write(self, data):
        with open(self.path, "wb") as f:
            f.write(data)

    def run_daemon(self, timeout=5):
        """Runs keyfoldd on the directory; returns (exit code or None if it is
        still running after `timeout` s, stderr)."""
        p = subprocess.Popen([BINARY, "--listen", "127.0.0.1:0", "--data-dir", self.dir,
                              "--durability", "strict"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=clean_env())
        try:
            _, err = p.communicate(timeout=timeout)
            return p.returncode, err
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            return None, err

    def assert_refused(self):
        with open(self.path, "rb") as f:
            before = f.read()
        rc, err = self.run_daemon()
        self.assertIsNotNone(rc, "keyfoldd started on a store it should refuse:\n" + err)
        self.assertNotEqual(rc, 0, err)
        self.assertIn(self.path, err, "the message must name the store file:\n" + err)
        self.assertNotRegex(err, r"\bready\b", err)
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(), before, "a refused store must be left as it was")
        return err

    def test_truncated_to_100_bytes(self):
        self.write(self.image[:100])
        self.assert_refused()

    def test_truncated_to_half(self):
        self.write(self.image[:len(self.image) // 2])
        self.assert_refused()

    def test_garbage_header(self):
        data = bytearray(self.image)
        data[:100] = random.Random(1).randbytes(100)
        self.write(bytes(data))
        self.assert_refused()

    def test_corrupted_pages_in_the_middle(self):
        data = bytearray(self.image)
        rng = random.Random(2)
        pages = len(data) // 4096
        for page in range(2, pages - 1):
            off = page * 4096 + 1000
            data[off:off + 500] = rng.randbytes(500)
        self.write(bytes(data))
        self.assert_refused()

    def test_one_zeroed_page(self):
        data = bytearray(self.image)
        page = len(data) // 4096 // 2
        data[page * 4096:(page + 1) * 4096] = bytes(4096)
        self.write(bytes(data))
        self.assert_refused()

    def test_corrupted_stream_state_inside_a_record(self):
        # Bytes of a row's payload rather than of the b-tree: here the stored
        # count of s075's dropout stream, 1000, becomes 5. SQLite's checks see
        # a well-formed page, so only a checksum of the row can tell; a
        # daemon that loads it would hand out counts 5..999 a second time.
        blob = b"\x07dropout" + struct.pack("<III", 0, 1075, 1000)
        self.assertEqual(self.image.count(blob), 1)
        self.write(self.image.replace(blob, b"\x07dropout" + struct.pack("<III", 0, 1075, 5)))
        self.assert_refused()

    def test_unknown_format_version(self):
        self.write(self.image)
        c = sqlite3.connect(self.path)
        c.execute("UPDATE meta SET value='99' WHERE key='format_version'")
        c.commit()
        c.close()
        self.assertEqual(sorted(os.listdir(self.dir)), [DB])
        err = self.assert_refused()
        self.assertIn("99", err)

    def test_not_a_keyfold_store(self):
        c = sqlite3.connect(self.path)
        c.execute("CREATE TABLE other(x)")
        c.execute("INSERT INTO other VALUES (1)")
        c.commit()
        c.close()
        self.assert_refused()

    def test_zero_byte_file_is_an_empty_store(self):
        # Documented behaviour, not a refusal: SQLite reads a 0-byte file as
        # an empty database, so the daemon starts with no sessions and writes
        # its schema into it.
        self.write(b"")
        d = Daemon.start("--data-dir", self.dir, "--durability", "strict")
        try:
            m = log_match(d, r"recovered (\d+) sessions")
            self.assertIsNotNone(m)
            self.assertEqual(m.group(1), "0")
            self.assertEqual(d.get("/v2/health/ready")[0], 200)
            self.assertEqual(d.post("/v1/sessions", {"name": "n", "rngs": {"default": 1}})[0], 201)
        finally:
            self.assertEqual(d.stop(), 0)
        c = sqlite3.connect(self.path)
        try:
            self.assertEqual(c.execute("PRAGMA application_id").fetchone()[0], 0x6b666c64)
            self.assertEqual(c.execute("SELECT value FROM meta WHERE key='format_version'").fetchone()[0], "1")
            self.assertEqual(c.execute("SELECT name FROM sessions").fetchall(), [("n",)])
        finally:
            c.close()


if __name__ == "__main__":
    unittest.main()
