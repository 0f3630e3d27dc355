"""Restoring a snapshot never reissues a key.

A snapshot holds the counts of the moment it was taken; the live streams
go on past them. Restored as the README says (copied over keyfold.db while
the daemon is stopped), the store would hand those counts out again. So a
snapshot carries a marker, and a daemon that opens a store with it fences
every session: draws (keys, sample, a forward that draws, OIP infer) answer
409 failed_precondition until an operator either advances every stream
(POST /v1/admin/restore {"advance": N}) or reseeds all of a session's
streams. The marker goes with the restore step, durably.
"""
import os
import shutil
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import Daemon, StoreTestCase, fold_in, key_of  # noqa: E402

MODEL = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                    {"type": "dropout", "rate": 0.5}]}


class RestoreTest(StoreTestCase):
    def draw(self, d, name, stream, n):
        return d.post("/v1/sessions/%s/keys" % name, {"stream": stream, "n": n})

    def take_snapshot_then_go_on(self):
        """Session 'exp' at count 100 in the snapshot, 200 live; session
        'other' (two streams) likewise. Returns the snapshot's path."""
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "exp", "rngs": {"params": 0, "dropout": 42},
                                                 "model": MODEL})[0], 201)
        self.assertEqual(d.post("/v1/sessions", {"name": "other", "rngs": {"default": 7, "extra": 8}})[0], 201)
        self.assertEqual(self.draw(d, "exp", "dropout", 100)[0], 200)
        self.assertEqual(self.draw(d, "other", "default", 100)[0], 200)
        s, b = d.post("/v1/admin/snapshot", {})
        self.assertEqual(s, 200, b)
        snapshot = b["path"]
        # The live store is not fenced by taking a snapshot.
        s, b = self.draw(d, "exp", "dropout", 100)
        self.assertEqual((s, b["counts"][0]), (200, 100), b)
        self.assertEqual(self.draw(d, "other", "default", 100)[0], 200)
        self.assertEqual(d.stop(), 0)
        return snapshot

    def test_restored_store_is_fenced_until_advanced(self):
        snapshot = self.take_snapshot_then_go_on()
        self.restore_snapshot(snapshot)
        d = self.start()
        self.assertTrue(any("restored snapshot" in line for line in d.stderr_lines), d.stderr_lines[-5:])
        s, b = d.get("/v1/sessions/exp")
        self.assertEqual((s, b["rngs"]["dropout"]["count"]), (200, 100), b)

        refused = [
            ("POST", "/v1/sessions/exp/keys", {"stream": "dropout"}),
            ("POST", "/v1/sessions/exp/keys", {"stream": "params"}),
            ("POST", "/v1/sessions/exp/sample", {"stream": "dropout", "distribution": "normal", "shape": [2]}),
            ("POST", "/v1/sessions/exp/forward", {"x": [[1.0, 1.0]]}),
            ("POST", "/v1/sessions/other/keys", {}),
        ]
        for method, path, body in refused:
            s, b, _ = d.request(method, path, body=body)
            self.assertEqual(s, 409, (path, b))
            self.assertEqual(b["error"]["code"], "failed_precondition", b)
            self.assertIn("restored from a snapshot", b["error"]["message"])
        s, b, _ = d.request("POST", "/v2/models/exp/infer",
                            body={"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 1]}]})
        self.assertEqual(s, 409, b)
        # Reading and a forward that draws nothing are fine.
        self.assertEqual(d.post("/v1/sessions/exp/forward", {"x": [[1.0, 1.0]], "deterministic": True})[0], 200)
        self.assertEqual(d.get("/v1/sessions/exp/params")[0], 200)
        # Nothing moved.
        self.assertEqual(d.get("/v1/sessions/exp")[1]["rngs"]["dropout"]["count"], 100)

        # Bad restore requests change nothing.
        for body in ({}, {"advance": 0}, {"advance": -5}, {"advance": "1000"}, {"advance": 1 << 32},
                     {"advance": 10, "extra": 1}):
            s, b = d.post("/v1/admin/restore", body)
            self.assertEqual(s, 400, (body, b))
            self.assertEqual(b["error"]["code"], "invalid_argument", b)
        self.assertEqual(self.draw(d, "exp", "dropout", 1)[0], 409)

        s, b = d.post("/v1/admin/restore", {"advance": 1000})
        self.assertEqual(s, 200, b)
        self.assertEqual(b, {"advanced_sessions": 2, "advance": 1000})
        # The streams resume past every count the live daemon handed out.
        s, b = self.draw(d, "exp", "dropout", 2)
        self.assertEqual(s, 200, b)
        self.assertEqual(b["counts"], [1100, 1101])
        self.assertEqual(b["keys"], [fold_in(key_of(42), 1100), fold_in(key_of(42), 1101)])
        s, b = self.draw(d, "exp", "params", 1)
        self.assertEqual(b["counts"], [1002], b)  # kernel and bias took counts 0 and 1
        s, b = d.post("/v1/admin/restore", {"advance": 5})
        self.assertEqual(s, 409, b)
        self.assertEqual(b["error"]["code"], "failed_precondition", b)
        self.assertEqual(d.stop(), 0)

        # The restore step was durable: a restart is not fenced and keeps the counts.
        d = self.start()
        self.assertFalse(any("restored snapshot" in line for line in d.stderr_lines))
        s, b = self.draw(d, "exp", "dropout", 1)
        self.assertEqual((s, b["counts"]), (200, [1102]), b)
        self.assertEqual(d.stop(), 0)

    def test_fence_survives_a_restart_without_the_restore_step(self):
        snapshot = self.take_snapshot_then_go_on()
        self.restore_snapshot(snapshot)
        d = self.start()
        self.assertEqual(self.draw(d, "exp", "dropout", 1)[0], 409)
        d.kill9()
        d = self.start()
        self.assertEqual(self.draw(d, "exp", "dropout", 1)[0], 409)
        self.assertEqual(d.stop(), 0)

    def test_reseeding_every_stream_unfences_one_session(self):
        snapshot = self.take_snapshot_then_go_on()
        self.restore_snapshot(snapshot)
        d = self.start()
        # One of two streams is not enough: the other could still reissue.
        s, b = d.post("/v1/sessions/other/reseed", {"streams": {"default": 70}})
        self.assertEqual(s, 200, b)
        self.assertEqual(self.draw(d, "other", "default", 1)[0], 409)
        s, b = d.post("/v1/sessions/other/reseed", {"streams": {"default": 71, "extra": 81}})
        self.assertEqual(s, 200, b)
        s, b = self.draw(d, "other", "default", 1)
        self.assertEqual((s, b["counts"], b["keys"]), (200, [0], [fold_in(key_of(71), 0)]), b)
        # The other session is still fenced; the restore step advances only it.
        self.assertEqual(self.draw(d, "exp", "dropout", 1)[0], 409)
        s, b = d.post("/v1/admin/restore", {"advance": 500})
        self.assertEqual((s, b.get("advanced_sessions")), (200, 1), b)
        self.assertEqual(self.draw(d, "other", "default", 1)[1]["counts"], [1])
        self.assertEqual(d.stop(), 0)

    def test_sigusr1_snapshot_is_marked_too(self):
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "s", "rngs": {"default": 1}})[0], 201)
        self.assertEqual(self.draw(d, "s", "default", 5)[0], 200)
        snapdir = os.path.join(self.data, "snapshots")
        d.proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + 10
        while time.time() < deadline and not (os.path.isdir(snapdir) and os.listdir(snapdir)):
            time.sleep(0.05)
        time.sleep(0.2)
        snaps = sorted(os.listdir(snapdir))
        self.assertEqual(len(snaps), 1, snaps)
        self.assertEqual(d.stop(), 0)
        self.restore_snapshot(os.path.join(snapdir, snaps[0]))
        d = self.start()
        self.assertEqual(self.draw(d, "s", "default", 1)[0], 409)
        self.assertEqual(d.stop(), 0)

    def test_restore_without_a_snapshot_is_refused(self):
        d = self.start()
        self.assertEqual(d.post("/v1/sessions", {"name": "s", "rngs": {"default": 1}})[0], 201)
        s, b = d.post("/v1/admin/restore", {"advance": 10})
        self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"), b)
        self.assertIn("not fenced", b["error"]["message"])
        self.assertEqual(self.draw(d, "s", "default", 1)[1]["counts"], [0])
        self.assertEqual(d.stop(), 0)
        m = self.start("--durability", "memory")
        s, b = m.post("/v1/admin/restore", {"advance": 10})
        self.assertEqual(s, 409, b)
        self.assertEqual(m.stop(), 0)


if __name__ == "__main__":
    unittest.main()
