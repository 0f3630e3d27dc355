"""The scale-out topology of deploy/docker-compose.yml (profile scaleout), on
loopback: three real keyfoldd replicas, each with its own store and
--max-connections-per-ip 0, behind Debian's nginx running the configuration
of deploy/nginx/keyfold.conf with the replicas' addresses substituted.

Checks (docs/deployment.md, "Scale-out"):
  * a session created through nginx exists on exactly one replica, and every
    later request for it (keys, forward, /v2/models infer, GET) lands there:
    its counts continue without a gap;
  * POST /v1/sessions without a valid X-Keyfold-Session header is 400;
  * with one replica stopped (SIGTERM), its sessions get 503 "unavailable"
    from nginx, are not created anew elsewhere, and the sessions of the other
    two replicas, and the stateless routes, keep working;
  * restarted on the same port and store, the replica serves its sessions
    again with their counts.

nginx comes from /usr/sbin/nginx (Debian's package `nginx`, or $NGINX);
without it that test is skipped with a printed reason. The daemon binary
comes from $KEYFOLDD. ComposeFileTest checks deploy/docker-compose.yml against
the same topology (and with `docker-compose config` where it is installed).
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("KEYFOLD_SOURCE_ROOT", os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

import kfharness  # noqa: E402
from kfharness import Daemon, fold_in, key_of, mkdtemp  # noqa: E402

NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
TEMPLATE = os.path.join(ROOT, "deploy", "nginx", "keyfold.conf")
HA_TEMPLATE = os.path.join(ROOT, "deploy", "nginx", "keyfold-ha.conf")
REPLICAS = 3
SESSIONS = 30
MODEL = {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                    {"type": "dropout", "rate": 0.5}]}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render_nginx_conf(template_text, replica_ports, listen_port, server="keyfold"):
    """deploy/nginx/keyfold.conf (server "keyfold"; keyfold-ha.conf:
    "keyfold-ha") with <server>-N:8470 replaced by 127.0.0.1:<port of
    replica N> and the listen line by a loopback port. Everything else is
    used as it is."""
    def replica(m):
        n = int(m.group(1))
        if not 1 <= n <= len(replica_ports):
            raise ValueError("template names %s-%d, the test has %d replicas" % (server, n, len(replica_ports)))
        return "127.0.0.1:%d" % replica_ports[n - 1]
    text, count = re.subn(r"\b%s-(\d+):8470\b" % re.escape(server), replica, template_text)
    if count == 0:
        raise ValueError("no %s-N:8470 server lines in the template" % server)
    text, count = re.subn(r"^(\s*)listen\s+[^;]+;(\s*#\s*keyfold listen)",
                          r"\g<1>listen 127.0.0.1:%d;\2" % listen_port, text, flags=re.M)
    if count != 1:
        raise ValueError("the template has no single line marked '# keyfold listen'")
    return text


class Nginx:
    """Debian's nginx in the foreground with everything under one temp dir."""

    def __init__(self, replica_ports, template_path=TEMPLATE, server="keyfold"):
        self.dir = mkdtemp("keyfold-nginx-")
        # workers drop to nobody when the master runs as root
        os.chmod(self.dir, 0o755)
        with open(template_path) as f:
            template = f.read()
        last = None
        for _ in range(5):
            self.port = free_port()
            site = render_nginx_conf(template, replica_ports, self.port, server)
            with open(os.path.join(self.dir, "keyfold.conf"), "w") as f:
                f.write(site)
            d = self.dir
            main = "\n".join([
                "daemon off;",
                "master_process on;",
                "worker_processes 1;",
                "pid %s/nginx.pid;" % d,
                "error_log %s/error.log notice;" % d,
                "events { worker_connections 256; }",
                "http {",
                "    access_log %s/access.log;" % d,
                "    client_body_temp_path %s/client_body;" % d,
                "    proxy_temp_path %s/proxy;" % d,
                "    fastcgi_temp_path %s/fastcgi;" % d,
                "    uwsgi_temp_path %s/uwsgi;" % d,
                "    scgi_temp_path %s/scgi;" % d,
                "    include %s/keyfold.conf;" % d,
                "}",
                ""])
            self.conf = os.path.join(d, "nginx.conf")
            with open(self.conf, "w") as f:
                f.write(main)
            self.proc = subprocess.Popen(
                [NGINX, "-p", d + "/", "-e", os.path.join(d, "error.log"), "-c", self.conf],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if self._wait_listening(10.0):
                return
            last = self._error_log()
            self._kill()
        shutil.rmtree(self.dir, ignore_errors=True)
        raise RuntimeError("nginx did not start: " + (last or ""))

    def _wait_listening(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            # the listener is nginx (not another process that took the port
            # first) once it proxies a health check and is still running
            try:
                status = request(self.port, "GET", "/v2/health/live")[0]
            except OSError:
                status = None
            if status == 200 and self.proc.poll() is None:
                return True
            time.sleep(0.05)
        return False

    def _error_log(self):
        out = ""
        try:
            out += self.proc.stderr.read() if self.proc.poll() is not None else ""
        except (OSError, ValueError):
            pass
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                out += f.read()
        except OSError:
            pass
        return out

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()

    def stop(self):
        self._kill()
        log = self._error_log()
        shutil.rmtree(self.dir, ignore_errors=True)
        return log


def request(port, method, path, body=None, headers=None):
    """(status, parsed JSON or text, headers) from 127.0.0.1:port."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=hdrs)
        r = c.getresponse()
        payload = r.read()
        rh = {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()
    if payload and rh.get("content-type", "").startswith("application/json"):
        return r.status, json.loads(payload), rh
    return r.status, payload.decode("utf-8", "replace") if payload else None, rh


@unittest.skipUnless(os.access(NGINX, os.X_OK), "no nginx at %s (apt-get install nginx)" % NGINX)
def start_topology(cls, *nginx_args):
    """cls's REPLICAS replicas (cls.start_replica) and nginx in front of them
    (Nginx(ports, *nginx_args)); on failure what started is torn down."""
    cls.daemons = [None] * REPLICAS
    cls.nginx = None
    try:
        for i in range(REPLICAS):
            cls.start_replica(i)
        cls.ports = [d.port for d in cls.daemons]
        cls.nginx = Nginx(cls.ports, *nginx_args)
    except BaseException:
        cls.tearDownClass()
        raise


class ScaleOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = mkdtemp("keyfold-scaleout-")
        start_topology(cls)

    @classmethod
    def start_replica(cls, i, port=0):
        data_dir = os.path.join(cls.tmp, "replica-%d" % (i + 1))
        cls.daemons[i] = Daemon.start("--listen", "127.0.0.1:%d" % port, "--data-dir", data_dir,
                                      "--max-connections-per-ip", "0")

    @classmethod
    def tearDownClass(cls):
        errors = []
        if cls.nginx is not None:
            log = cls.nginx.stop()
            cls.nginx = None
            if "[emerg]" in log or "[alert]" in log:
                errors.append("nginx error log:\n" + log)
        for i, d in enumerate(cls.daemons):
            if d is not None and d.proc.poll() is None:
                rc = d.stop()
                if rc != 0:
                    errors.append("replica %d exited with %r" % (i + 1, rc))
            cls.daemons[i] = None
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if errors:
            raise AssertionError("; ".join(errors))

    # ------------------------------------------------------------ helpers
    def lb(self, method, path, body=None, headers=None):
        return request(self.nginx.port, method, path, body, headers)

    def direct(self, i, method, path, body=None):
        return request(self.ports[i], method, path, body)

    def owners(self, name):
        """The replicas (0-based) that hold the session, asked directly."""
        found = []
        for i in range(REPLICAS):
            if self.daemons[i] is None or self.daemons[i].proc.poll() is not None:
                continue
            s, b, _ = self.direct(i, "GET", "/v1/sessions/" + name)
            self.assertIn(s, (200, 404), "replica %d GET %s: %s %r" % (i + 1, name, s, b))
            if s == 200:
                found.append(i)
        return found

    def create(self, name, seed):
        return self.lb("POST", "/v1/sessions",
                       {"name": name, "rngs": {"default": seed}, "model": MODEL},
                       {"X-Keyfold-Session": name})

    def draw(self, name, expect_count):
        s, b, _ = self.lb("POST", "/v1/sessions/%s/keys" % name, {"n": 1})
        self.assertEqual(s, 200, "%s keys: %s %r" % (name, s, b))
        self.assertEqual(b["counts"], [expect_count], name)

    def count_via_lb(self, name):
        s, b, _ = self.lb("GET", "/v1/sessions/" + name)
        self.assertEqual(s, 200, "%s GET: %s %r" % (name, s, b))
        return b["rngs"]["default"]["count"]

    def assert_unavailable(self, s, b, h, what):
        self.assertEqual(s, 503, "%s: %s %r" % (what, s, b))
        self.assertTrue(h.get("content-type", "").startswith("application/json"), (what, h))
        return b

    # --------------------------------------------------------------- test
    def test_sessions_pinned_failover_and_recovery(self):
        names = ["exp-%02d" % i for i in range(SESSIONS)]

        # -- creation: header required and well-formed
        s, b, _ = self.lb("POST", "/v1/sessions", {"name": "no-header", "rngs": {"default": 1}})
        self.assertEqual(s, 400, b)
        self.assertEqual(b["error"]["code"], "invalid_argument", b)
        self.assertIn("X-Keyfold-Session", b["error"]["message"])
        s, b, _ = self.lb("POST", "/v1/sessions", {"name": "x", "rngs": {"default": 1}},
                          {"X-Keyfold-Session": "-bad name"})
        self.assertEqual(s, 400, b)
        for i in range(REPLICAS):
            self.assertEqual(self.direct(i, "GET", "/v1/sessions")[1]["sessions"], [],
                             "a refused create reached replica %d" % (i + 1))

        # -- 30 sessions, each on exactly one replica
        owner = {}
        for k, name in enumerate(names):
            s, b, _ = self.create(name, k)
            self.assertEqual(s, 201, "create %s: %s %r" % (name, s, b))
            self.assertEqual(b["rngs"]["default"]["count"], 2)  # kernel + bias draws
            where = self.owners(name)
            self.assertEqual(len(where), 1, "%s is on replicas %r" % (name, [w + 1 for w in where]))
            owner[name] = where[0]
        per_replica = [sorted(n for n in names if owner[n] == i) for i in range(REPLICAS)]
        sys.stderr.write("sessions per replica: %s\n" % [len(p) for p in per_replica])
        self.assertGreaterEqual(sum(1 for p in per_replica if p), 2,
                                "consistent hashing put all sessions on one replica")
        for i in range(REPLICAS):
            listed = sorted(self.direct(i, "GET", "/v1/sessions")[1]["sessions"])
            self.assertEqual(listed, per_replica[i], "replica %d's list" % (i + 1))
        # a second create of the same name reaches the same replica: 409
        s, b, _ = self.create(names[0], 0)
        self.assertEqual(s, 409, b)

        # -- every later request lands on the owner: the counts continue
        count = {}
        for name in names:
            self.draw(name, 2)
            s, b, _ = self.lb("POST", "/v1/sessions/%s/forward" % name, {"x": [[1.0, 1.0]]})
            self.assertEqual(s, 200, "%s forward: %s %r" % (name, s, b))
            self.assertEqual(b["y"]["shape"], [1, 3])
            s, b, _ = self.lb("GET", "/v2/models/" + name)
            self.assertEqual(s, 200, "%s model metadata: %s %r" % (name, s, b))
            s, b, _ = self.lb("POST", "/v2/models/%s/infer" % name,
                              {"inputs": [{"name": "x", "shape": [1, 2], "datatype": "FP32",
                                           "data": [1.0, 1.0]}]})
            self.assertEqual(s, 200, "%s infer: %s %r" % (name, s, b))
            self.draw(name, 5)  # 3: forward's dropout, 4: infer's dropout
            self.assertEqual(self.count_via_lb(name), 6)
            count[name] = 6
            # and directly on the owner, nowhere else
            s, b, _ = self.direct(owner[name], "GET", "/v1/sessions/" + name)
            self.assertEqual((s, b["rngs"]["default"]["count"]), (200, 6), name)
            self.assertEqual(self.owners(name), [owner[name]], name)

        # -- stateless routes go to any replica
        for seed in range(6):
            s, b, _ = self.lb("POST", "/v1/random/key", {"seed": seed})
            self.assertEqual((s, b), (200, {"key": [0, seed]}))

        # -- stop the replica with the most sessions
        victim = max(range(REPLICAS), key=lambda i: len(per_replica[i]))
        lost = per_replica[victim]
        kept = [n for n in names if owner[n] != victim]
        self.assertTrue(lost and kept)
        port = self.daemons[victim].port
        rc = self.daemons[victim].stop()
        self.assertEqual(rc, 0, "replica %d exited with %r" % (victim + 1, rc))
        self.daemons[victim] = None

        for name in lost:
            s, b, h = self.lb("POST", "/v1/sessions/%s/keys" % name, {"n": 1})
            b = self.assert_unavailable(s, b, h, name + " keys")
            self.assertEqual(b["error"]["code"], "unavailable", b)
            s, b, h = self.lb("GET", "/v1/sessions/" + name)
            self.assert_unavailable(s, b, h, name + " GET")
            s, b, h = self.lb("GET", "/v2/models/%s/ready" % name)
            b = self.assert_unavailable(s, b, h, name + " /v2 ready")
            self.assertIsInstance(b["error"], str, b)  # the protocol's error body
            # no second session of that name appears on another replica
            s, b, h = self.create(name, 99)
            self.assert_unavailable(s, b, h, name + " re-create")
            self.assertEqual(self.owners(name), [], name)
        for name in kept:
            self.draw(name, count[name])
            count[name] += 1
        for seed in range(6):
            s, b, _ = self.lb("POST", "/v1/random/key", {"seed": seed})
            self.assertEqual((s, b), (200, {"key": [0, seed]}), "stateless route with a replica down")

        # -- restart it on the same port and store: its sessions come back
        self.start_replica(victim, port)
        self.assertEqual(self.daemons[victim].port, port)
        for name in lost:
            self.assertEqual(self.count_via_lb(name), count[name], name)
            self.draw(name, count[name])
            count[name] += 1
        for name in names:
            self.assertEqual(self.owners(name), [owner[name]], name)
            self.assertEqual(self.count_via_lb(name), count[name], name)


@unittest.skipUnless(os.access(NGINX, os.X_OK), "no nginx at %s (apt-get install nginx)" % NGINX)
class HaTest(unittest.TestCase):
    """The profile ha of deploy/docker-compose.yml on loopback: three
    replicas on one PostgreSQL database behind nginx running
    deploy/nginx/keyfold-ha.conf (round-robin, no session header). Any
    replica serves any session: counts stay contiguous whichever replica a
    request lands on, a replica killed with SIGKILL costs nothing acknowledged
    and the others carry on, and it serves the sessions again on return."""

    @classmethod
    def setUpClass(cls):
        why = kfharness.postgres_missing()
        if why:
            raise unittest.SkipTest("no throwaway PostgreSQL cluster: " + why)
        cls.pg = kfharness.PostgresCluster.start(fsync=False)
        cls.url = cls.pg.url(cls.pg.create_database())
        cls.started = []  # every daemon, also those a test replaced
        start_topology(cls, HA_TEMPLATE, "keyfold-ha")

    @classmethod
    def start_replica(cls, i, port=0):
        cls.daemons[i] = Daemon.start("--listen", "127.0.0.1:%d" % port, "--store", "postgres",
                                      "--postgres-url", cls.url, "--max-connections-per-ip", "0")
        cls.started.append(cls.daemons[i])

    @classmethod
    def tearDownClass(cls):
        if cls.nginx is not None:
            cls.nginx.stop()
            cls.nginx = None
        for d in cls.started:
            if d.proc.poll() is None:
                d.kill9()
            if d.data_dir:  # made by the harness, unused with --store postgres
                shutil.rmtree(d.data_dir, ignore_errors=True)
        cls.pg.destroy()

    def lb(self, method, path, body=None):
        return request(self.nginx.port, method, path, body)

    def served_draws(self, i):
        """Draws replica i answered 200, from its /metrics."""
        s, text, _ = request(self.ports[i], "GET", "/metrics")
        self.assertEqual(s, 200)
        return sum(int(v) for v in re.findall(r'route="/v1/sessions/\{name\}/keys",status="200"\} (\d+)', text))

    def test_any_replica_serves_any_session(self):
        seeds = {"ha-%d" % i: 900 + i for i in range(4)}
        for name, seed in seeds.items():
            s, b, _ = self.lb("POST", "/v1/sessions", {"name": name, "rngs": {"default": seed}})
            self.assertEqual(s, 201, b)
        key = {name: key_of(seed) for name, seed in seeds.items()}
        count = dict.fromkeys(seeds, 0)

        def draw_all(rounds, allow_unavailable=0):
            unavailable = 0
            for _ in range(rounds):
                for name in seeds:
                    s, b, _ = self.lb("POST", "/v1/sessions/%s/keys" % name, {"n": 2})
                    if s == 503 and unavailable < allow_unavailable:
                        unavailable += 1
                        continue
                    self.assertEqual(s, 200, (name, b))
                    # Contiguous, whichever replica answered.
                    self.assertEqual(b["counts"], [count[name], count[name] + 1], name)
                    self.assertEqual(b["keys"], [fold_in(key[name], c) for c in b["counts"]], name)
                    count[name] += 2

        draw_all(15)
        served = [self.served_draws(i) for i in range(REPLICAS)]
        self.assertTrue(all(n > 0 for n in served), "round-robin left a replica idle: %r" % served)
        # A reseed through whichever replica: every replica's next draw has it.
        s, b, _ = self.lb("POST", "/v1/sessions/ha-0/reseed", {"streams": {"default": 77}})
        self.assertEqual(s, 200, b)
        key["ha-0"], count["ha-0"] = key_of(77), 0
        draw_all(3)
        # One replica killed: nginx takes the others (at most a request or two
        # answered 503 while it learns), nothing acknowledged is lost.
        victim = 1
        port = self.ports[victim]
        self.daemons[victim].kill9()
        draw_all(10, allow_unavailable=2)
        # Back on its port: it serves every session where the others left it.
        self.start_replica(victim, port)
        for name in seeds:
            s, b, _ = request(port, "GET", "/v1/sessions/" + name)
            self.assertEqual((s, b["rngs"]["default"]["count"]), (200, count[name]), name)
            s, b, _ = request(port, "POST", "/v1/sessions/%s/keys" % name, {"n": 1})
            self.assertEqual((s, b["counts"]), (200, [count[name]]), name)
            count[name] += 1
        draw_all(3)
        # A delete through nginx is seen by every replica.
        self.assertEqual(self.lb("DELETE", "/v1/sessions/ha-3")[0], 204)
        for p in self.ports:
            self.assertEqual(request(p, "GET", "/v1/sessions/ha-3")[0], 404)


class ComposeFileTest(unittest.TestCase):
    """deploy/docker-compose.yml parses, describes the topology the test above
    runs, and agrees with deploy/nginx/keyfold.conf. (No Docker engine here:
    where Debian's docker-compose is installed, `docker-compose config`
    validates the file against the Compose schema too.)"""

    COMPOSE = os.path.join(ROOT, "deploy", "docker-compose.yml")

    def load(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("python3-yaml is not installed")
        with open(self.COMPOSE) as f:
            return yaml.safe_load(f)

    def test_topology(self):
        c = self.load()
        services, volumes = c["services"], c["volumes"]
        default = services["keyfold"]
        self.assertNotIn("profiles", default)
        self.assertEqual(default["build"]["context"], "..")
        self.assertIn("keyfold-data:/var/lib/keyfold", default["volumes"])
        self.assertIn("127.0.0.1:8470:8470", default["ports"])
        self.assertIn("test", default["healthcheck"])
        with open(TEMPLATE) as f:
            template = f.read()
        in_template = sorted(set(re.findall(r"\bserver\s+(keyfold-\d+):8470\b", template)))
        replicas = sorted(n for n in services if re.fullmatch(r"keyfold-\d+", n))
        self.assertEqual(replicas, in_template, "replicas in compose vs servers in nginx")
        self.assertEqual(len(replicas), REPLICAS)
        seen_volumes = set()
        for n in replicas:
            svc = services[n]
            self.assertEqual(svc["profiles"], ["scaleout"], n)
            self.assertEqual(str(svc["environment"]["KEYFOLD_MAX_CONNECTIONS_PER_IP"]), "0", n)
            self.assertEqual(svc["environment"]["KEYFOLD_LISTEN"], "0.0.0.0:8470", n)
            (vol,) = [v for v in svc["volumes"] if v.endswith(":/var/lib/keyfold")]
            name = vol.split(":")[0]
            self.assertIn(name, volumes, n)
            seen_volumes.add(name)
            self.assertNotIn("ports", svc, "%s: replicas are reached through nginx only" % n)
        self.assertEqual(len(seen_volumes), REPLICAS, "each replica needs a store of its own")
        self.assertNotIn("keyfold-data", seen_volumes)
        lb = services["keyfold-lb"]
        self.assertEqual(lb["profiles"], ["scaleout"])
        self.assertEqual(sorted(lb["depends_on"]), replicas)
        self.assertIn("./nginx/keyfold.conf:/etc/nginx/conf.d/default.conf:ro", lb["volumes"])
        listen = re.search(r"^\s*listen\s+(\d+);\s*#\s*keyfold listen", template, re.M)
        self.assertIsNotNone(listen)
        self.assertTrue(any(p.endswith(":" + listen.group(1)) for p in lb["ports"]), lb["ports"])

    def test_ha_topology(self):
        """Profile ha: PostgreSQL, three replicas on it with no store of their
        own, nginx round-robin (deploy/nginx/keyfold-ha.conf) over them."""
        c = self.load()
        services = c["services"]
        with open(os.path.join(ROOT, "deploy", "nginx", "keyfold-ha.conf")) as f:
            ha_conf = f.read()
        in_conf = sorted(set(re.findall(r"\bserver\s+(keyfold-ha-\d+):8470\b", ha_conf)))
        replicas = sorted(n for n in services if re.fullmatch(r"keyfold-ha-\d+", n))
        self.assertEqual(replicas, in_conf)
        self.assertEqual(len(replicas), 3)
        upstream = ha_conf.split("upstream keyfold_replicas", 1)[1].split("}", 1)[0]
        self.assertIsNone(re.search(r"^\s*hash\s", upstream, re.M), "round-robin by default")
        self.assertEqual(services["keyfold-postgres"]["profiles"], ["ha"])
        self.assertNotIn("ports", services["keyfold-postgres"])
        for n in replicas:
            svc = services[n]
            self.assertEqual(svc["profiles"], ["ha"], n)
            env = svc["environment"]
            self.assertEqual((env["KEYFOLD_STORE"], env["KEYFOLD_DURABILITY"]), ("postgres", "strict"), n)
            self.assertIn("host=keyfold-postgres", env["KEYFOLD_POSTGRES_URL"])
            self.assertNotIn("password", env["KEYFOLD_POSTGRES_URL"], "the password goes through PGPASSWORD")
            self.assertNotIn("volumes", svc, "%s: the database holds the state" % n)
            self.assertNotIn("ports", svc, "%s: replicas are reached through nginx only" % n)
            self.assertIn("keyfold-postgres", svc["depends_on"])
        lb = services["keyfold-ha-lb"]
        self.assertEqual(sorted(lb["depends_on"]), replicas)
        self.assertIn("./nginx/keyfold-ha.conf:/etc/nginx/conf.d/default.conf:ro", lb["volumes"])
        self.assertIn("127.0.0.1:8490:8470", lb["ports"])

    def test_compose_schema(self):
        exe = shutil.which("docker-compose")
        if not exe:
            self.skipTest("docker-compose (Debian package) is not installed")
        r = subprocess.run([exe, "-f", self.COMPOSE, "--profile", "scaleout", "--profile", "ha", "config", "-q"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    if not os.access(NGINX, os.X_OK):
        print("note: no nginx at %s; the scale-out test is skipped "
              "(install Debian's nginx, scripts/install-deps.sh)" % NGINX)
    unittest.main()
