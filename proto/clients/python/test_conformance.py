"""The conformance suite (proto/conformance) replayed through the Python client.

* ScenariosTest: every scenarios/*.json through conformance_runner against one real keyfoldd
  started with --durability memory, as the README prescribes; each scenario is a subtest.
* RunnerSelfTest: the runner is able to fail: a scenario with one expected bit flipped, an
  unknown call, an error expected from a call that succeeds, the wrong error code, and the
  matcher's rules (extra keys ignored, lengths, true is not 1).
* GeneratorCheckTest: scripts/gen-conformance.py --check notices an edited scenario file
  (the meson test conformance_generated runs --check on the committed files).

    KEYFOLDD=build/server/keyfoldd /usr/bin/python3 proto/clients/python/test_conformance.py -v
"""
import copy
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))

import conformance_runner as cr  # noqa: E402
from kfharness import Daemon  # noqa: E402

SUITE = os.path.join(ROOT, "proto", "conformance")
SCENARIOS = sorted(glob.glob(os.path.join(SUITE, "scenarios", "*.json")))


def load(path):
    with open(path) as f:
        return json.load(f)


def readme_operations():
    """The `call` names of the README's operation table."""
    with open(os.path.join(SUITE, "README.md")) as f:
        text = f.read()
    table = text[text.index("## Operations"):]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))


class DaemonCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon.start("--durability", "memory")
        cls.ctx = cr.Context("http://%s:%d" % (cls.d.host, cls.d.port))

    @classmethod
    def tearDownClass(cls):
        cls.ctx.close()
        rc = cls.d.stop()
        assert rc == 0, "keyfoldd exited with %r" % rc


class ScenariosTest(DaemonCase):
    def test_every_scenario(self):
        self.assertGreaterEqual(len(SCENARIOS), 10)
        for path in SCENARIOS:
            with self.subTest(scenario=os.path.basename(path)):
                doc = load(path)
                self.assertEqual(doc["name"] + ".json", os.path.basename(path))
                self.assertGreater(cr.run_scenario(self.ctx, doc), 0)

    def test_suite_covers_every_operation(self):
        """Each operation of the README's table has a runner entry and is used by a scenario,
        and a scenario uses nothing the table does not name."""
        ops = readme_operations()
        self.assertEqual(ops, set(cr.OPERATIONS))
        used = {step["call"] for path in SCENARIOS for step in load(path)["steps"]}
        self.assertEqual(used, ops)
        with open(os.path.join(SUITE, "README.md")) as f:
            readme = f.read()
        for path in SCENARIOS:  # the README's table of files names each one
            self.assertIn("`%s`" % os.path.basename(path), readme)
        errors = [step for path in SCENARIOS for step in load(path)["steps"] if "error" in step]
        self.assertTrue({(e["error"]["status"], e["error"]["code"]) for e in errors} >= {
            (404, "not_found"), (409, "already_exists"), (400, "invalid_argument")})


class RunnerSelfTest(DaemonCase):
    def flip_first_hex(self, doc):
        """The first expected tensor's first byte with one bit changed (a float32 one ulp-ish
        off): True when one was found."""
        def walk(v):
            if isinstance(v, dict):
                if isinstance(v.get("hex"), str) and v["hex"]:
                    v["hex"] = "%02x" % (int(v["hex"][:2], 16) ^ 1) + v["hex"][2:]
                    return True
                return any(walk(x) for x in v.values())
            if isinstance(v, list):
                return any(walk(x) for x in v)
            return False
        for step in doc["steps"]:
            if "expect" in step and walk(step["expect"]):
                return True
        return False

    def test_a_wrong_expected_bit_fails(self):
        doc = copy.deepcopy(load(os.path.join(SUITE, "scenarios", "float32-exact.json")))
        self.assertTrue(self.flip_first_hex(doc))
        with self.assertRaisesRegex(cr.ScenarioFailure, r"hex: expected"):
            cr.run_scenario(self.ctx, doc)

    def test_a_wrong_key_fails(self):
        doc = copy.deepcopy(load(os.path.join(SUITE, "scenarios", "random-keys.json")))
        doc["steps"] = doc["steps"][:1]
        doc["steps"][0]["expect"][1] += 1
        with self.assertRaisesRegex(cr.ScenarioFailure, r"\$\[1\]: expected"):
            cr.run_scenario(self.ctx, doc)

    def scenario(self, *steps):
        return {"format": 1, "name": "self-test", "steps": list(steps)}

    def test_unknown_call_fails(self):
        with self.assertRaisesRegex(cr.ScenarioFailure, "unknown call 'teleport'"):
            cr.run_scenario(self.ctx, self.scenario({"call": "teleport", "args": {}}))

    def test_unknown_format_fails(self):
        with self.assertRaisesRegex(cr.ScenarioFailure, "unsupported format"):
            cr.run_scenario(self.ctx, {"format": 2, "name": "x", "steps": []})

    def test_expected_error_but_success_fails(self):
        with self.assertRaisesRegex(cr.ScenarioFailure, "the call succeeded"):
            cr.run_scenario(self.ctx, self.scenario(
                {"call": "random", "args": {"op": "key", "args": {"seed": 1}},
                 "error": {"status": 400, "code": "invalid_argument"}}))

    def test_wrong_error_code_fails(self):
        with self.assertRaisesRegex(cr.ScenarioFailure, "NotFound"):
            cr.run_scenario(self.ctx, self.scenario(
                {"call": "get_session", "args": {"name": "{{run}}-nope"},
                 "error": {"status": 409, "code": "already_exists"}}))

    def test_unexpected_error_fails(self):
        with self.assertRaisesRegex(cr.ScenarioFailure, "get_session failed"):
            cr.run_scenario(self.ctx, self.scenario(
                {"call": "get_session", "args": {"name": "{{run}}-nope"}}))

    def test_run_token_isolates_runs(self):
        """{{run}} gives each run its own names: one scenario creating a session runs twice."""
        doc = self.scenario({"call": "create_session", "args": {"name": "{{run}}-same"}})
        cr.run_scenario(self.ctx, doc)
        cr.run_scenario(self.ctx, doc)
        with self.assertRaises(cr.ScenarioFailure):
            cr.run_scenario(self.ctx, doc, run="fixed123")
            cr.run_scenario(self.ctx, doc, run="fixed123")
        self.assertRegex(cr.run_token(), r"^[a-z0-9]{8}$")

    def test_matcher_rules(self):
        m = cr.mismatch
        self.assertIsNone(m({"a": 1}, {"a": 1, "extra": 2}))
        self.assertIn("missing key 'b'", m({"b": 1}, {"a": 1}))
        self.assertIn("expected 2 elements, got 3", m([1, 2], [1, 2, 3]))
        self.assertIn("expected true, got 1", m(True, 1))
        self.assertIn("expected 0, got false", m(0, False))
        self.assertIn("expected null", m(None, {}))
        self.assertIn("expected an object", m({}, []))
        self.assertIsNone(m([{"x": [1, "s", None]}], [{"x": [1, "s", None], "y": 0}]))
        self.assertIn("$[0].x[1]", m([{"x": [1, "s"]}], [{"x": [1, "t"]}]))


class GeneratorCheckTest(unittest.TestCase):
    def test_check_notices_an_edited_file(self):
        tmp = tempfile.mkdtemp(prefix="keyfold-gen-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        for path in SCENARIOS:
            shutil.copy(path, tmp)
        gen = [sys.executable, os.path.join(ROOT, "scripts", "gen-conformance.py"), "--check", "--out", tmp]
        ok = subprocess.run(gen, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        doc = load(os.path.join(tmp, "random-keys.json"))
        doc["steps"][0]["expect"][1] ^= 1
        with open(os.path.join(tmp, "random-keys.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        bad = subprocess.run(gen, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("random-keys.json differs", bad.stderr)


if __name__ == "__main__":
    unittest.main()
