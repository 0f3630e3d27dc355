#!/usr/bin/env python3
"""The README's "Quick start with curl" runs as written.

Every ```sh block between <!-- cookbook:begin --> and <!-- cookbook:end -->
in README.md holds one curl command. The commands run in order, verbatim
except for the address (127.0.0.1:8470 becomes the test daemon's) and a
`-w` the test appends to read the status, against a fresh keyfoldd with its
default limits. Each must exit 0 with a 2xx status, and where a ```json block
follows it, print exactly that JSON value. The section's claims are checked
too: the reseeded forward pass equals the first, and the initializer
recomputes the model's kernel.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kfharness import DaemonTestCase  # noqa: E402

BEGIN, END = "<!-- cookbook:begin -->", "<!-- cookbook:end -->"
ADDRESS = "127.0.0.1:8470"
STATUS_MARK = "\n@@keyfold-status="


def _readme_path():
    root = os.environ.get("KEYFOLD_SOURCE_ROOT")
    if root and os.path.isfile(os.path.join(root, "README.md")):
        return os.path.join(root, "README.md")
    return os.path.normpath(os.path.join(HERE, "..", "..", "README.md"))


def cookbook_steps():
    """[(command, expected JSON or None)] in README order."""
    with open(_readme_path(), encoding="utf-8") as f:
        text = f.read()
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "README.md needs exactly one pair of cookbook markers"
    section = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    blocks = re.findall(r"^```([A-Za-z]*)[ \t]*\n(.*?)^```[ \t]*$", section, re.S | re.M)
    steps = []
    for lang, content in blocks:
        if lang == "sh":
            lines = [ln.strip() for ln in content.splitlines()
                     if ln.strip() and not ln.strip().startswith("#")]
            assert len(lines) == 1, "one curl command per ```sh block, got %r" % lines
            steps.append([lines[0], None])
        elif lang == "json":
            assert steps and steps[-1][1] is None, "a ```json block must follow a ```sh block: %r" % content[:80]
            steps[-1][1] = json.loads(content)
    return [tuple(s) for s in steps]


class Cookbook(DaemonTestCase):
    """A fresh daemon with the defaults, as `sh scripts/run.sh` starts it."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.steps = cookbook_steps()
        super().setUpClass()

    def run_curl(self, command):
        address = "%s:%d" % (self.d.host, self.d.port)
        args = shlex.split(command.replace(ADDRESS, address))
        args += ["--max-time", "60", "-w", STATUS_MARK + "%{http_code}"]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, "%s\nexit %d: %s" % (command, r.returncode, r.stderr))
        body, _, status = r.stdout.rpartition(STATUS_MARK)
        return int(status), body

    def test_commands_are_well_formed(self):
        self.assertGreaterEqual(len(self.steps), 10)
        for command, _ in self.steps:
            with self.subTest(command=command):
                args = shlex.split(command)
                self.assertEqual(args[0], "curl")
                self.assertIn("-s", args)
                self.assertIn("-H", args)
                self.assertEqual(args[args.index("-H") + 1], "Content-Type: application/json")
                self.assertTrue(any(("http://%s/" % ADDRESS) in a for a in args), "uses %s" % ADDRESS)
                if "-d" in args:
                    json.loads(args[args.index("-d") + 1])  # the body is valid JSON

    def test_run_every_command(self):
        outputs = []
        for i, (command, expected) in enumerate(self.steps):
            status, body = self.run_curl(command)
            self.assertTrue(200 <= status < 300, "step %d: %s\n-> %d %s" % (i + 1, command, status, body))
            value = json.loads(body) if body.strip() else None
            if expected is not None:
                self.assertEqual(value, expected, "step %d: %s prints something else than the README shows"
                                 % (i + 1, command))
            outputs.append((command, status, value))

        def url(cmd):
            return [a for a in shlex.split(cmd) if a.startswith("http://")][0].split(ADDRESS, 1)[1]

        def index(suffix, start=0):
            for j in range(start, len(outputs)):
                if url(outputs[j][0]).endswith(suffix):
                    return j
            self.fail("the cookbook has no command for %s after step %d" % (suffix, start))

        # What the section must show, in order.
        create = index("/v1/sessions")
        self.assertEqual(outputs[create][1], 201)
        self.assertEqual(outputs[create][2]["name"], "exp1")
        index("/v1/sessions/exp1", create + 1)
        keys = index("/keys")
        fallback = [o for o in outputs if url(o[0]).endswith("/keys") and o[2]["source"] != o[2]["stream"]]
        self.assertTrue(fallback, "a fallback example (source != stream)")
        first = index("/forward")
        reseed = index("/reseed", first)
        second = index("/forward", reseed)
        self.assertEqual(outputs[second][2], outputs[first][2], "the reseeded forward equals the first")
        self.assertIsNotNone(self.steps[first][1], "the README shows the forward output")
        params = index("/params")
        sample = index("/sample")
        self.assertIn("count", outputs[sample][2])
        index("/v1/random/normal")
        lecun = index("/v1/init/lecun_normal")
        self.assertEqual(outputs[lecun][2]["data"], outputs[params][2]["params"][0]["kernel"]["data"],
                         "lecun_normal with the kernel's key recomputes the kernel")
        deletes = [o for o in outputs if "-X DELETE" in o[0] or "-XDELETE" in o[0]]
        self.assertTrue(deletes and all(o[1] == 204 and o[2] is None for o in deletes))
        self.assertLess(keys, first)
        # Everything the cookbook created is gone again.
        status, body = self.run_curl("curl -s -H 'Content-Type: application/json' http://%s/v1/sessions"
                                     % ADDRESS)
        self.assertEqual((status, json.loads(body)), (200, {"sessions": []}))


if __name__ == "__main__":
    unittest.main()
