"""Operations: bearer-token authentication, snapshots (endpoint and SIGUSR1),
per-address connection limits and the request timeout."""
import json
import os
import signal
import socket
import sqlite3
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import Daemon, DaemonTestCase  # noqa: E402

TOKEN = "s3cret-token-for-tests"


class AuthTest(DaemonTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        path = os.path.join(cls.tmp.name, "token")
        with open(path, "w") as f:
            f.write("  %s  \n" % TOKEN)
        cls.FLAGS = ("--auth-token-file", path)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.tmp.cleanup()

    def test_routes_need_the_token(self):
        for method, path, body in [("GET", "/v1/sessions", None), ("POST", "/v1/random/key", {"seed": 1}),
                                   ("GET", "/metrics", None), ("POST", "/v1/sessions", {"name": "a"})]:
            for auth in (None, "Bearer wrong", "Bearer " + TOKEN[:-1], "Basic " + TOKEN, TOKEN):
                headers = {"Authorization": auth} if auth else {}
                s, b, h = self.d.request(method, path, body=body, headers=headers)
                self.assertEqual(s, 401, (method, path, auth))
                self.assertEqual(b["error"]["code"], "unauthenticated")
                self.assertEqual(h.get("www-authenticate"), "Bearer")
        # nothing was created by the refused requests
        s, b, _ = self.d.request("GET", "/v1/sessions", headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual((s, b), (200, {"sessions": []}))

    def test_right_token_passes_and_health_stays_open(self):
        s, b, _ = self.d.request("POST", "/v1/random/key", body={"seed": 42},
                                 headers={"Authorization": "Bearer " + TOKEN})
        self.assertEqual((s, b), (200, {"key": [0, 42]}))
        s, b, _ = self.d.request("POST", "/v1/random/key", body={"seed": 42},
                                 headers={"Authorization": "bearer " + TOKEN})
        self.assertEqual(s, 200)  # the scheme is case-insensitive
        self.assertEqual(self.d.get("/v2/health/live")[0], 200)
        self.assertEqual(self.d.get("/v2/health/ready")[0], 200)

    def test_bad_token_file_refuses_to_start(self):
        with tempfile.TemporaryDirectory() as tmp:
            empty = os.path.join(tmp, "empty")
            open(empty, "w").close()
            for path in (empty, os.path.join(tmp, "missing")):
                with self.assertRaises(RuntimeError):
                    Daemon.start("--auth-token-file", path, timeout=5)


class SnapshotTest(unittest.TestCase):
    def test_snapshot_endpoint_and_sigusr1(self):
        with tempfile.TemporaryDirectory() as tmp:
            data, snaps = os.path.join(tmp, "data"), os.path.join(tmp, "snaps")
            d = Daemon.start("--data-dir", data, "--snapshot-dir", snaps)
            try:
                self.assertEqual(d.post("/v1/sessions", {"name": "s1", "rngs": {"default": 7}})[0], 201)
                self.assertEqual(d.post("/v1/sessions/s1/keys", {"n": 5})[0], 200)
                s, b = d.post("/v1/admin/snapshot", {})
                self.assertEqual(s, 200, b)
                path = b["path"]
                self.assertTrue(path.startswith(snaps + "/keyfold-"), path)
                with sqlite3.connect(path) as db:
                    rows = db.execute("SELECT name FROM sessions").fetchall()
                    version = db.execute("SELECT value FROM meta WHERE key='format_version'").fetchone()
                self.assertEqual(rows, [("s1",)])
                self.assertEqual(version, ("1",))
                # the snapshot is a store the daemon can start from
                d.proc.send_signal(signal.SIGUSR1)
                deadline = time.time() + 5
                def snapshots():  # opening a WAL-mode copy adds -wal/-shm files beside it
                    return [f for f in os.listdir(snaps) if f.endswith(".db")]
                while time.time() < deadline and len(snapshots()) < 2:
                    time.sleep(0.05)
                self.assertEqual(len(snapshots()), 2)
                self.assertEqual(d.post("/v1/admin/snapshot", {"x": 1})[0], 400)
            finally:
                self.assertEqual(d.stop(), 0)
            restored = os.path.join(tmp, "restored")
            os.makedirs(restored)
            os.replace(path, os.path.join(restored, "keyfold.db"))
            d = Daemon.start("--data-dir", restored)
            try:
                s, b = d.get("/v1/sessions/s1")
                self.assertEqual(s, 200)
                self.assertEqual(b["rngs"]["default"], {"key": [0, 7], "count": 5})
            finally:
                self.assertEqual(d.stop(), 0)

    def test_memory_mode_has_no_store_to_snapshot(self):
        d = Daemon.start("--durability", "memory")
        try:
            s, b = d.post("/v1/admin/snapshot", {})
            self.assertEqual((s, b["error"]["code"]), (409, "failed_precondition"))
        finally:
            self.assertEqual(d.stop(), 0)


class JsonLogTest(unittest.TestCase):
    def test_every_line_is_a_json_object(self):
        d = Daemon.start("--log-format", "json", "--durability", "memory")
        try:
            self.assertEqual(d.get("/v2/health/live")[0], 200)
            self.assertEqual(d.get('/nope%22%5C%01')[0], 404)  # a quote, a backslash, a control byte
        finally:
            self.assertEqual(d.stop(), 0)
        records = [json.loads(line) for line in d.stderr_lines if line.strip()]
        self.assertTrue(all({"ts", "level", "msg"} <= set(r) for r in records), records)
        access = [r for r in records if r["msg"] == "request"]
        self.assertIn(("GET", "/v2/health/live", 200), [(r["method"], r["path"], r["status"]) for r in access])
        self.assertIn(404, [r["status"] for r in access])
        self.assertTrue(all(r["duration_ms"] >= 0 for r in access))
        self.assertTrue(any("NOT persisted" in r["msg"] for r in records))


class ConnectionLimitTest(DaemonTestCase):
    FLAGS = ("--max-connections-per-ip", "2", "--request-timeout", "1", "--durability", "memory")

    def open_served(self):
        """A keep-alive connection that got a reply. The daemon releases a
        closed connection's slot asynchronously, so right after other tests'
        connections close a new one may still be refused: retry briefly."""
        deadline = time.time() + 5
        while True:
            c = self.d.connection()
            try:
                if self.d.request("GET", "/v2/health/live", conn=c)[0] == 200:
                    return c
            except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
                pass
            c.close()
            if time.time() > deadline:
                self.fail("no connection was served")
            time.sleep(0.05)

    def test_per_address_limit(self):
        a = self.open_served()
        b = self.open_served()
        try:
            third = socket.create_connection((self.d.host, self.d.port), timeout=5)
            third.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n")
            try:
                self.assertEqual(third.recv(100), b"")  # closed without a reply
            except ConnectionResetError:
                pass
            third.close()
        finally:
            a.close()
            b.close()
        time.sleep(0.2)
        self.assertEqual(self.d.get("/v2/health/live")[0], 200)

    def test_slow_body_is_dropped(self):
        sock = socket.create_connection((self.d.host, self.d.port), timeout=10)
        try:
            sock.sendall(b"POST /v1/random/key HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 20\r\n\r\n{\"se")
            time.sleep(1.5)
            try:
                sock.sendall(b"ed\": 1")  # arrives after the request timeout
                data = sock.recv(100)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            self.assertEqual(data, b"")
        finally:
            sock.close()
        self.assertEqual(self.d.get("/v2/health/live")[0], 200)


if __name__ == "__main__":
    unittest.main()
