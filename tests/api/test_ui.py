"""The browser console's files (/ui, server/h_ui.c): index.html at /ui, the
other files at /ui/<file>, with their Content-Type and Cache-Control, the
bytes of server/ui/ (embedded at build time); 404 (JSON) for unknown files
and for all of /ui with --ui off (or KEYFOLD_UI=off); GET and HEAD only; and
reachable without the token of an --auth-token-file daemon, whose API still
answers 401. The console itself is tested in a browser (the test `console`).
"""
import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import Daemon, DaemonTestCase, mkdtemp  # noqa: E402

ROOT = os.environ.get("KEYFOLD_SOURCE_ROOT") or os.path.normpath(os.path.join(HERE, "..", ".."))
UI = os.path.join(ROOT, "server", "ui")
TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


def committed(name):
    with open(os.path.join(UI, name), "rb") as f:
        return f.read()


class ConsoleFilesTest(DaemonTestCase):
    FLAGS = ("--durability", "memory")

    def raw(self, method, path, headers=None):
        c = self.d.connection()
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body

    def test_files(self):
        self.assertEqual(sorted(os.listdir(UI)), sorted(TYPES), "server/ui/ holds the files this test knows")
        for name, ctype in TYPES.items():
            with self.subTest(file=name):
                status, headers, body = self.raw("GET", "/ui/" + name)
                self.assertEqual(status, 200)
                self.assertEqual(headers["content-type"], ctype)
                self.assertIn("max-age=", headers["cache-control"])
                self.assertEqual(headers["content-security-policy"],
                                 "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
                self.assertEqual(headers["x-content-type-options"], "nosniff")
                self.assertEqual(body, committed(name))

    def test_ui_is_the_index(self):
        status, headers, body = self.raw("GET", "/ui")
        self.assertEqual((status, headers["content-type"]), (200, TYPES["index.html"]))
        self.assertEqual(body, committed("index.html"))
        # Its assets are asked for at /ui/… (absolute: /ui has no trailing slash).
        self.assertIn(b'src="/ui/app.js"', body)
        self.assertIn(b'href="/ui/style.css"', body)

    def test_head(self):
        status, headers, body = self.raw("HEAD", "/ui/app.js")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(int(headers["content-length"]), len(committed("app.js")))

    def test_unknown_files(self):
        for path in ["/ui/nope.js", "/ui/", "/ui/index.html/x", "/ui/../server/ui/app.js", "/uix", "/ui/%2e%2e/x"]:
            with self.subTest(path=path):
                status, headers, body = self.raw("GET", path)
                self.assertEqual(status, 404, body)
                self.assertTrue(headers["content-type"].startswith("application/json"))
                self.assertIn(b'"not_found"', body)

    def test_methods(self):
        for path in ["/ui", "/ui/app.js"]:
            for method in ["POST", "PUT", "DELETE"]:
                with self.subTest(path=path, method=method):
                    status, headers, _ = self.raw(method, path)
                    self.assertEqual(status, 405)
                    self.assertEqual(headers["allow"], "GET, HEAD")


class ConsoleOffTest(unittest.TestCase):
    def test_off(self):
        for flags, env in [(("--ui", "off"), None), (("--ui=off",), None), ((), {"KEYFOLD_UI": "off"})]:
            with self.subTest(flags=flags, env=env):
                d = Daemon.start("--durability", "memory", *flags, env=env)
                try:
                    for path in ["/ui", "/ui/app.js", "/ui/index.html"]:
                        self.assertEqual(d.get(path)[0], 404, path)
                    self.assertEqual(d.get("/v1/sessions")[0], 200)
                finally:
                    self.assertEqual(d.stop(), 0)

    def test_flag_wins_and_bad_values(self):
        d = Daemon.start("--durability", "memory", "--ui", "on", env={"KEYFOLD_UI": "off"})
        try:
            self.assertEqual(d.get("/ui")[0], 200)
        finally:
            self.assertEqual(d.stop(), 0)
        import subprocess
        from kfharness import binary
        p = subprocess.run([binary(), "--ui", "yes"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("expected on or off", p.stderr)


class ConsoleWithTokenTest(unittest.TestCase):
    def test_files_open_api_closed(self):
        tmp = mkdtemp("keyfold-ui-token-")
        try:
            token_file = os.path.join(tmp, "token")
            with open(token_file, "w") as f:
                f.write("s3cret-ui\n")
            d = Daemon.start("--durability", "memory", "--auth-token-file", token_file)
            try:
                for path in ["/ui", "/ui/app.js", "/ui/style.css"]:
                    self.assertEqual(d.get(path)[0], 200, path)
                self.assertEqual(d.get("/ui/missing.js")[0], 404)
                s, _, h = d.request("GET", "/v1/sessions")
                self.assertEqual((s, h.get("www-authenticate")), (401, "Bearer"))
                self.assertEqual(d.get("/metrics")[0], 401)
                self.assertEqual(d.get("/v1/sessions", headers={"Authorization": "Bearer s3cret-ui"})[0], 200)
            finally:
                self.assertEqual(d.stop(), 0)
        finally:
            shutil.rmtree(tmp)


if __name__ == "__main__":
    unittest.main()
