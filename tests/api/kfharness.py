"""Test harness for keyfoldd: starts the real daemon on an ephemeral port and
talks to it over HTTP with the standard library only.

Usage in a unittest module:

    from kfharness import Daemon
    class T(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            cls.d = Daemon.start()          # extra flags: Daemon.start("--max-body", "2048")
        @classmethod
        def tearDownClass(cls):
            cls.d.stop()                     # SIGTERM; asserts a clean exit 0
        def test_x(self):
            status, body = self.d.post("/v1/random/key", {"seed": 1})

The daemon binary comes from $KEYFOLDD (set by meson), else ../../build/server/keyfoldd.

With KEYFOLD_TEST_STORE=postgres in the environment (meson's api_*_postgres
tests), every daemon the harness starts with a store uses `--store postgres`
instead: a throwaway PostgreSQL cluster (PostgresCluster, one per test
process) holds a database per data directory, so that a daemon restarted on
the same --data-dir finds the same sessions.
"""
import atexit
import hashlib
import http.client
import json
import os
import re
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BINARY = os.path.join(HERE, "..", "..", "build", "server", "keyfoldd")

# Every temporary directory the harness made, and every daemon it started,
# so that whatever a test forgot is found when the process exits.
_temp_dirs = []
_daemons = []


def mkdtemp(prefix, dir=None):
    """A temporary directory the caller must remove (Daemon.stop removes a
    daemon's own store); one still there when the tests end fails the run."""
    path = tempfile.mkdtemp(prefix=prefix, dir=dir)
    _temp_dirs.append(path)
    return path


@atexit.register
def _check_leftovers():
    """Stops the daemons and removes the directories that tests left behind,
    names them, and makes the process fail: a green run leaves nothing in
    the temporary directory."""
    for d in _daemons:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    left = [p for p in _temp_dirs if os.path.exists(p)]
    for p in left:
        shutil.rmtree(p, ignore_errors=True)
    if left:
        sys.stderr.write("kfharness: the tests left %d temporary directories behind (removed now): %s\n"
                         % (len(left), " ".join(left)))
        sys.stderr.flush()
        os._exit(1)


def binary():
    return os.environ.get("KEYFOLDD", DEFAULT_BINARY)


def dump_tables():
    """The daemon's tables (`keyfoldd --dump-tables`, server/tables.h): the
    routes, error codes, options, operations, initializers, layers and
    request fields, as the daemon itself holds them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYFOLD_")}
    out = subprocess.run([binary(), "--dump-tables"], env=env, check=True, timeout=30,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE).stdout
    return json.loads(out)


PG_BIN = os.environ.get("KEYFOLD_PG_BIN", "/usr/lib/postgresql/15/bin")


def postgres_missing():
    """Why a throwaway PostgreSQL cluster cannot be made here, or None."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
            return "PostgreSQL's %s is not in %s (Debian: apt-get install postgresql-15)" % (tool, PG_BIN)
    if not shutil.which("psql"):
        return "psql is not installed (Debian: apt-get install postgresql-client-15)"
    if os.getuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "initdb refuses to run as root and there is no postgres user"
    return None


def _reachable_by_others(path):
    """Whether a user other than the owner may traverse every directory down to path."""
    p = os.path.realpath(path)
    while True:
        if not os.stat(p).st_mode & 0o001:
            return False
        if p == os.path.dirname(p):
            return True
        p = os.path.dirname(p)


class PostgresCluster:
    """A throwaway PostgreSQL cluster (initdb + pg_ctl, about a second),
    listening on a Unix socket in its own temporary directory only (no TCP
    port to collide with). As root the server runs as the `postgres` user.

        pg = PostgresCluster.start()        # raises unittest.SkipTest without PostgreSQL
        url = pg.url(pg.create_database())
        pg.psql("SELECT 1", db)             # the output, as text
        pg.stop_server(); pg.start_server() # a PostgreSQL restart (mode "immediate": a crash)
        pg.destroy()

    Failover: settings (server settings given on the command line, so that a
    base backup does not copy them) and a streaming standby of a cluster:

        pg = PostgresCluster.start(settings={"synchronous_standby_names": "'*'"})
        sb = pg.standby()                   # pg_basebackup -R -X stream, started read-only
        url = multi_host_url([pg, sb], db)  # target_session_attrs=read-write
        pg.stop_server("immediate"); sb.promote()
    """

    def __init__(self, root, fsync, settings=None):
        self.root = root
        self.data = os.path.join(root, "data")
        self.log = os.path.join(root, "log")
        self.fsync = fsync
        self.settings = dict(settings or {})
        self._next_db = 0

    def _run(self, args, **kw):
        if os.getuid() == 0:
            args = ["runuser", "-u", "postgres", "--"] + args
        return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60, **kw)

    @staticmethod
    def _new_root():
        why = postgres_missing()
        if why:
            raise unittest.SkipTest("no throwaway PostgreSQL cluster: " + why)
        # As root the server runs as `postgres`, which must reach the
        # directory: scripts/test.sh's private TMPDIR (mode 0700) it cannot,
        # so the cluster then goes to /tmp (still removed, and checked for).
        parent = None
        if os.getuid() == 0 and not _reachable_by_others(tempfile.gettempdir()):
            parent = "/tmp"
        root = mkdtemp("keyfold-pg-", dir=parent)
        os.chmod(root, 0o755)
        if os.getuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        return root

    @classmethod
    def start(cls, fsync=True, settings=None):
        c = cls(cls._new_root(), fsync, settings)
        try:
            c._run([os.path.join(PG_BIN, "initdb"), "-D", c.data, "-A", "trust", "-U", "postgres",
                    "--no-instructions", "-E", "UTF8", "--locale", "C"])
            c.start_server()
        except BaseException:
            shutil.rmtree(c.root, ignore_errors=True)
            raise
        _clusters.append(c)
        return c

    def standby(self, settings=None):
        """A streaming standby of this (running) cluster, started: a base
        backup over the replication connection (initdb's pg_hba.conf trusts
        `local replication`; wal_level replica and max_wal_senders are
        PostgreSQL 15's defaults) with -R (standby.signal, primary_conninfo),
        on a socket directory of its own. This cluster's settings are not
        copied: a synchronous_standby_names given to the primary is not the
        promoted standby's."""
        c = PostgresCluster(self._new_root(), self.fsync, settings)
        try:
            c._run([os.path.join(PG_BIN, "pg_basebackup"), "-D", c.data, "-R", "-X", "stream",
                    "-c", "fast", "-d", self.url()])
            c.start_server()
        except BaseException:
            shutil.rmtree(c.root, ignore_errors=True)
            raise
        _clusters.append(c)
        return c

    def promote(self):
        """pg_ctl promote -w: the standby leaves recovery and takes writes."""
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-w", "promote"])

    def in_recovery(self):
        return self.psql("SELECT pg_is_in_recovery()") == "t"

    def start_server(self):
        opts = "-p 5432 -k %s -c listen_addresses='' -c fsync=%s" % (self.root, "on" if self.fsync else "off")
        for name, value in self.settings.items():
            opts += " -c %s=%s" % (name, value)
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-o", opts, "start"])

    def stop_server(self, mode="fast"):
        self._run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"])

    def running(self):
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def destroy(self):
        if self in _clusters:
            _clusters.remove(self)
        try:
            if self.running():
                self.stop_server("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db="postgres"):
        return "host=%s port=5432 user=postgres dbname=%s" % (self.root, db)

    def psql(self, sql, db="postgres"):
        return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(db),
                               "-c", sql], check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=60).stdout.strip()

    def create_database(self, name=None):
        """A new empty database (named, or kf<n>); returns its name."""
        if name is None:
            self._next_db += 1
            name = "kf%d" % self._next_db
        self.psql('CREATE DATABASE "%s"' % name)
        return name


def multi_host_url(clusters, db, target_session_attrs="read-write"):
    """A libpq multi-host connection string: the clusters' socket
    directories tried in order, the first whose session has the attributes
    (none: the first that answers) taken."""
    url = "host=%s port=%s user=postgres dbname=%s" % (",".join(c.root for c in clusters),
                                                       ",".join("5432" for _ in clusters), db)
    if target_session_attrs:
        url += " target_session_attrs=" + target_session_attrs
    return url


if os.environ.get("KEYFOLD_TEST_STORE") == "postgres" and postgres_missing():
    # meson reports exit 77 as SKIP: these variants need a PostgreSQL server.
    sys.stderr.write("kfharness: skipping the --store postgres tests: %s\n" % postgres_missing())
    sys.exit(77)

# The clusters the harness made; destroyed at exit (before the leftover check).
_clusters = []
_shared_cluster = None


def test_store():
    """The store the harness gives daemons: KEYFOLD_TEST_STORE, else sqlite."""
    return os.environ.get("KEYFOLD_TEST_STORE", "sqlite")


# For the tests that read or write the SQLite file itself, or take snapshots
# (the postgres store has none: pg_dump backs it up).
sqlite_only = unittest.skipIf(test_store() == "postgres",
                              "works on the SQLite file itself (snapshots, edits): not for --store postgres")


def shared_cluster():
    """This process's cluster for daemons started with KEYFOLD_TEST_STORE=postgres."""
    global _shared_cluster
    if _shared_cluster is None:
        _shared_cluster = PostgresCluster.start(fsync=False)
    return _shared_cluster


def postgres_flags_for(data_dir):
    """--store postgres on the database of data_dir (made on first use)."""
    c = shared_cluster()
    name = "kf_" + hashlib.sha1(os.path.realpath(data_dir).encode()).hexdigest()[:16]
    if c.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % name) != "1":
        c.create_database(name)
    return ["--store", "postgres", "--postgres-url", c.url(name)]


@atexit.register
def _destroy_clusters():
    for d in _daemons:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
    for c in list(_clusters):
        c.destroy()


class Daemon:
    def __init__(self, proc, host, port, data_dir=None):
        self.proc = proc
        self.host = host
        self.port = port
        self.data_dir = data_dir  # a temporary store the harness removes on stop
        self.stderr_lines = []
        self._lines_changed = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, *flags, env=None, timeout=10.0):
        full_env = dict(os.environ)
        for k in list(full_env):
            if k.startswith("KEYFOLD_"):
                del full_env[k]
        full_env.update(env or {})
        args = [binary(), "--listen", "127.0.0.1:0", *flags]
        # Every daemon gets a store of its own unless the test chose one.
        data_dir = None
        if not any(f.startswith("--data-dir") for f in flags) and "KEYFOLD_DATA_DIR" not in full_env:
            data_dir = mkdtemp("keyfold-test-")
            args += ["--data-dir", data_dir]
        if test_store() == "postgres" and not any(f.startswith("--store") for f in flags) \
                and not any(f in ("memory", "--durability=memory") for f in flags):
            dirs = [f.split("=", 1)[1] for f in flags if f.startswith("--data-dir=")] + \
                [flags[i + 1] for i, f in enumerate(flags[:-1]) if f == "--data-dir"]
            args += postgres_flags_for(dirs[-1] if dirs else data_dir or full_env["KEYFOLD_DATA_DIR"])
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=full_env, text=True)
        d = cls(proc, None, None, data_dir)
        _daemons.append(d)
        # The reader thread collects stderr from the first line on; waiting on
        # it with a deadline means a daemon that never prints its address (say,
        # --log-level warn) fails the test instead of hanging it.
        deadline = time.time() + timeout
        with d._lines_changed:
            while True:
                for line in d.stderr_lines:
                    m = re.search(r"listening on http://(\S+):(\d+)", line)
                    if m:
                        d.host, d.port = m.group(1), int(m.group(2))
                        break
                left = deadline - time.time()
                if d.port is not None or left <= 0 or d._eof:
                    break
                d._lines_changed.wait(left)
        if d.port is not None:
            try:
                d.wait_ready(deadline - time.time())
                return d
            except RuntimeError as e:
                why = e
        else:
            why = RuntimeError("keyfoldd did not start: " + "".join(d.stderr_lines))
        proc.kill()
        proc.wait()
        d._reader.join(timeout=5)
        proc.stderr.close()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
        raise why

    def wait_ready(self, timeout):
        """Waits for /v2/health/ready (the store is recovered)."""
        deadline = time.time() + max(timeout, 1.0)
        while time.time() < deadline:
            try:
                if self.get("/v2/health/ready")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("keyfoldd exited during start-up: " + "".join(self.stderr_lines))
            time.sleep(0.01)
        raise RuntimeError("keyfoldd never became ready")

    def _drain(self):
        for line in self.proc.stderr:
            with self._lines_changed:
                self.stderr_lines.append(line)
                self._lines_changed.notify_all()
        with self._lines_changed:
            self._eof = True
            self._lines_changed.notify_all()

    @property
    def base(self):
        return "http://%s:%d" % (self.host, self.port)

    def connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method, path, body=None, headers=None, raw=None, conn=None):
        """Returns (status, parsed JSON or text or None, response headers).
        `body` is JSON-encoded; `raw` bytes are sent as they are."""
        own = conn is None
        c = conn or self.connection()
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        c.request(method, path, body=data, headers=hdrs)
        r = c.getresponse()
        payload = r.read()
        resp_headers = {k.lower(): v for k, v in r.getheaders()}
        if own:
            c.close()
        ctype = resp_headers.get("content-type", "")
        if payload and ctype.startswith("application/json"):
            parsed = json.loads(payload)
        elif payload:
            parsed = payload.decode("utf-8", "replace")
        else:
            parsed = None
        return r.status, parsed, resp_headers

    def get(self, path, **kw):
        s, b, _ = self.request("GET", path, **kw)
        return s, b

    def post(self, path, body=None, **kw):
        s, b, _ = self.request("POST", path, body=body if body is not None else {}, **kw)
        return s, b

    def delete(self, path, **kw):
        s, b, _ = self.request("DELETE", path, **kw)
        return s, b

    def alive(self):
        try:
            s, _ = self.get("/v2/health/live")
            return s == 200 and self.proc.poll() is None
        except OSError:
            return False

    def kill9(self):
        """SIGKILL: no shutdown code runs, the store is left as a crash
        leaves it. The data directory is kept (a test restarts on it)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        self.proc.stderr.close()

    def stop(self, timeout=15.0):
        """Sends SIGTERM and returns the exit code (0 expected)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self._reader.join(timeout=5)
            self.proc.stderr.close()
            if self.data_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)
            if self.proc.returncode not in (0, None):
                # The caller asserts on the code; the daemon's last words
                # (a sanitizer report, an abort message) say why.
                sys.stderr.write("keyfoldd exited with %d; its stderr ended with:\n%s\n"
                                 % (self.proc.returncode, "".join(self.stderr_lines[-40:])))


class DaemonTestCase(unittest.TestCase):
    """A test class with its own daemon, started with FLAGS, for all its
    tests; it must exit 0 on SIGTERM afterwards (under ASan that also means
    no leaks)."""
    FLAGS = ()

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon.start(*cls.FLAGS)

    @classmethod
    def tearDownClass(cls):
        rc = cls.d.stop()
        assert rc == 0, "keyfoldd exited with %r" % rc


def call(conn, method, path, body=None):
    """One request on a keep-alive connection: (status, parsed body)."""
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    r = conn.getresponse()
    raw = r.read()
    return r.status, (json.loads(raw) if raw else None)


class PostgresDaemons:
    """For a test case with self.url (a database): self.start() starts a
    keyfoldd on it, killed and its directory removed when the test ends
    (call watch_daemons() in setUp)."""

    def watch_daemons(self):
        self.daemons = []
        self.addCleanup(self._reap)

    def _reap(self):
        for d in self.daemons:
            if d.proc.poll() is None:
                d.kill9()
            if d.data_dir:
                shutil.rmtree(d.data_dir, ignore_errors=True)

    def start(self, *flags):
        d = Daemon.start("--store", "postgres", "--postgres-url", self.url, *flags)
        self.daemons.append(d)
        return d


class PostgresTestCase(PostgresDaemons, unittest.TestCase):
    """A throwaway cluster per class (self.pg, fsync as the class says), a
    new database per test (self.db, self.url) and the daemons self.start()
    started on it, killed and their directories removed when the test ends."""
    fsync = True

    @classmethod
    def setUpClass(cls):
        cls.pg = PostgresCluster.start(fsync=cls.fsync)

    @classmethod
    def tearDownClass(cls):
        cls.pg.destroy()

    def setUp(self):
        self.db = self.pg.create_database()
        self.url = self.pg.url(self.db)
        self.watch_daemons()


class StoreTestCase(unittest.TestCase):
    """A temporary directory per test (self.root, with self.data for a
    store) and the daemons of self._daemons killed when the test ends."""

    def setUp(self):
        self.root = mkdtemp("keyfold-store-")
        self.addCleanup(shutil.rmtree, self.root, ignore_errors=True)
        self.data = os.path.realpath(os.path.join(self.root, "data"))
        self._daemons = []
        self.addCleanup(self._reap)

    def _reap(self):
        for d in self._daemons:
            if d.proc.poll() is None:
                d.kill9()

    def start(self, *flags):
        """A daemon on self.data, killed when the test ends."""
        d = Daemon.start("--data-dir", self.data, *flags)
        self._daemons.append(d)
        return d

    def restore_snapshot(self, snapshot):
        """What the README tells an operator to do, daemon stopped: the
        store's files replaced by the snapshot."""
        for suffix in ("", "-wal", "-shm"):
            try:
                os.remove(os.path.join(self.data, "keyfold.db" + suffix))
            except FileNotFoundError:
                pass
        shutil.copyfile(snapshot, os.path.join(self.data, "keyfold.db"))


M32 = 0xFFFFFFFF


def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M32


def threefry2x32(k0, k1, x0, x1):
    """jax-random.md §2: Threefry-2x32, 20 rounds, rotations
    (13,15,26,6)/(17,29,16,24), key-schedule parity 0x1BD11BDA. An
    independent pure-Python reference for checking the daemon's keys."""
    ks = (k0, k1, k0 ^ k1 ^ 0x1BD11BDA)
    x0 = (x0 + k0) & M32
    x1 = (x1 + k1) & M32
    rots = ((13, 15, 26, 6), (17, 29, 16, 24))
    for b in range(5):
        for r in rots[b % 2]:
            x0 = (x0 + x1) & M32
            x1 = _rotl(x1, r) ^ x0
        x0 = (x0 + ks[(b + 1) % 3]) & M32
        x1 = (x1 + ks[(b + 2) % 3] + b + 1) & M32
    return [x0, x1]


def key_of(seed):
    """jax.random.key(seed) with x64 off: [0, seed mod 2^32]."""
    return [0, seed & M32]


def fold_in(key, d):
    return threefry2x32(key[0], key[1], 0, d)


def f32(x):
    """Rounds a Python float to float32 and back (as the spec compares)."""
    import struct
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_bits(x):
    import struct
    return struct.unpack("<I", struct.pack("<f", x))[0]


if test_store() == "postgres":
    # Started now, so that the first daemon's start-up time (which some
    # tests measure) does not include making the cluster.
    shared_cluster()
