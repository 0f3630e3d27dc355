"""The keyfold-client distribution: its README example, and a wheel installed into a fresh venv.

* ReadmeExampleTest: the ```python block of README.md, run as a script against a test keyfoldd,
  prints exactly the README's ```text block, and those numbers are what JAX/Flax printed
  (tests/vectors/jax-oracle-flax-0.12.json), so the README cannot drift from the client nor from
  JAX.
* InstallTest: the package built as a wheel offline (`pip wheel --no-build-isolation`, Debian's
  setuptools and wheel) from a copy of the sources in a temporary directory, installed with
  `--no-index` into a new venv (Debian's python3-venv, its bundled pip), imported from there
  (not from this checkout) and used for one real call; the console script too. Everything lives
  in one temporary directory removed afterwards; nothing is written into the source tree.

    KEYFOLDD=build/server/keyfoldd /usr/bin/python3 proto/clients/python/test_packaging.py -v
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))

import keyfold_client  # noqa: E402
from kfharness import Daemon  # noqa: E402

VECTORS = os.path.join(ROOT, "tests", "vectors", "jax-oracle-flax-0.12.json")


def readme_blocks():
    """The example's code and its printed output, as README.md holds them."""
    with open(os.path.join(HERE, "README.md")) as f:
        text = f.read()
    example = text[text.index("## Example"):]
    code = re.search(r"```python\n(.*?)```", example, re.S).group(1)
    output = re.search(r"```text\n(.*?)```", example, re.S).group(1)
    return code, output


def clean_env(url, tmp):
    """The environment of a child Python: the test daemon's URL, no PYTHONPATH or user site
    that could make it import something other than what the test means, no pip cache, and
    TMPDIR inside the test's own directory (pip's build directories go where the test removes
    them, whatever pip leaves behind)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "KEYFOLD_", "PIP_", "VIRTUAL_ENV"))}
    tmpdir = os.path.join(tmp, "tmp")
    os.makedirs(tmpdir, exist_ok=True)
    env.update(KEYFOLD_URL=url, PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1", TMPDIR=tmpdir,
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_CACHE_DIR="1", PIP_NO_INPUT="1")
    return env


class DaemonCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon.start("--durability", "memory")
        cls.url = "http://%s:%d" % (cls.d.host, cls.d.port)

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        assert rc == 0, "keyfoldd exited with %r" % rc

    def run_checked(self, args, env, cwd):
        out = subprocess.run(args, env=env, cwd=cwd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=240)
        self.assertEqual(out.returncode, 0, "%s\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(args), out.stdout, out.stderr))
        return out.stdout


class ReadmeExampleTest(DaemonCase):
    def test_example_prints_the_readme_output(self):
        code, want = readme_blocks()
        self.assertLessEqual(len(code.strip().splitlines()), 12, "the README promises a short example")
        tmp = tempfile.mkdtemp(prefix="keyfold-readme-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        script = os.path.join(tmp, "example.py")
        with open(script, "w") as f:
            f.write(code)
        env = clean_env(self.url, tmp)
        env["PYTHONPATH"] = HERE  # this checkout's keyfold_client
        got = self.run_checked([sys.executable, script], env, tmp)
        print("\n--- README example output ---\n" + got, end="")
        self.assertEqual(got, want)
        with keyfold_client.KeyfoldClient(self.url) as kf:  # the example deleted its session
            self.assertNotIn("readme", kf.list_sessions())

    def test_readme_output_is_what_jax_printed(self):
        """The README's numbers against the Flax 0.12 case of the same calls (Linear(2, 3) +
        Dropout(0.5), Rngs(params=0, dropout=42), forward, reseed(dropout=42) of model and
        rngs, forward) and JAX's fold_in(key(42), 0)."""
        _, out = readme_blocks()
        with open(VECTORS) as f:
            cases = {c["id"]: c for c in json.load(f)["cases"]}
        case = cases["flax_session/partitionable/reseed-docstring/all"]
        self.assertEqual(case["args"]["rngs"], {"params": 0, "dropout": 42})
        self.assertEqual([s.get("forward") or s.get("reseed") for s in case["args"]["steps"]],
                         ["ones(1,2)", {"dropout": 42}, "ones(1,2)"])
        kernel = next(p["value"] for p in case["expect"]["params"] if p["path"] == "layers.0.kernel")
        y = case["expect"]["steps"][0]["y"]
        self.assertEqual(case["expect"]["steps"][2]["y"], y)  # hence "True"
        lines = out.splitlines()

        def data_hex(line):
            data = re.search(r"data=\[(.*?)\]", line).group(1)
            return b"".join(struct.pack("<f", float(v)) for v in data.split(", ")).hex()

        self.assertEqual(data_hex(lines[0]), kernel["expect"])
        self.assertEqual(data_hex(lines[1]), y["expect"])
        self.assertTrue(lines[1].endswith(" True"))
        fold = cases["fold_in/partitionable/key(42)/0"]
        # key data [hi, lo]: two little-endian uint32 in the vectors' bytes
        self.assertEqual(json.loads(lines[2]), list(struct.unpack("<2I", bytes.fromhex(fold["expect"]))))


class InstallTest(DaemonCase):
    def test_wheel_in_a_fresh_venv(self):
        tmp = tempfile.mkdtemp(prefix="keyfold-install-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        env = clean_env(self.url, tmp)
        # A copy of the distribution's files: setuptools writes build/ and *.egg-info next to
        # the sources it builds, which must not land in the checkout.
        src = os.path.join(tmp, "src")
        os.makedirs(os.path.join(src, "keyfold_client"))
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(os.path.join(HERE, name), src)
        for name in ("__init__.py", "__main__.py", "py.typed"):
            shutil.copy(os.path.join(HERE, "keyfold_client", name), os.path.join(src, "keyfold_client"))
        dist = os.path.join(tmp, "dist")
        self.run_checked(["/usr/bin/python3", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "--no-index", "-w", dist, src], env, tmp)
        wheels = os.listdir(dist)
        self.assertEqual(wheels, ["keyfold_client-%s-py3-none-any.whl" % keyfold_client.__version__])
        venv = os.path.join(tmp, "venv")
        self.run_checked(["/usr/bin/python3", "-m", "venv", venv], env, tmp)
        vpy = os.path.join(venv, "bin", "python")
        self.run_checked([vpy, "-m", "pip", "install", "--no-index", "--no-deps",
                          os.path.join(dist, wheels[0])], env, tmp)
        probe = (
            "import importlib.metadata as md, json, os, keyfold_client as kc\n"
            "kf = kc.KeyfoldClient()\n"
            "print(json.dumps({'file': kc.__file__, 'version': kc.__version__,\n"
            "  'dist': md.version('keyfold-client'),\n"
            "  'typed': os.path.exists(os.path.join(os.path.dirname(kc.__file__), 'py.typed')),\n"
            "  'key': kf.fold_in(kf.random_key(42), 0)}))\n")
        got = json.loads(self.run_checked([vpy, "-c", probe], env, tmp))
        self.assertTrue(got["file"].startswith(os.path.join(venv, "lib")), got["file"])
        self.assertEqual((got["version"], got["dist"], got["typed"]), ("1.1.0", "1.1.0", True))
        # jax.random.fold_in(jax.random.key(42), 0), as JAX prints it (tests/vectors)
        self.assertEqual(got["key"], [1832780943, 270669613])
        out = self.run_checked([os.path.join(venv, "bin", "keyfold-client"), "health"], env, tmp)
        self.assertEqual(out, "live: True\nready: True\n")

    def test_versions_agree(self):
        """pyproject.toml's version is the module's __version__ (and follows API 1.1)."""
        with open(os.path.join(HERE, "pyproject.toml")) as f:
            m = re.search(r'^version = "([^"]+)"', f.read(), re.M)
        self.assertEqual(m.group(1), keyfold_client.__version__)
        self.assertTrue(keyfold_client.__version__.startswith("1.1."))


if __name__ == "__main__":
    unittest.main()
