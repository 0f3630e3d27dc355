#!/usr/bin/env python3
"""proto/openapi.yaml against the code and against a running keyfoldd.

Static part (no server): the document is OpenAPI 3.1 with resolvable $refs,
valid JSON Schema 2020-12 schemas and examples that satisfy them, and it
agrees with the tables that define the API, as `keyfoldd --dump-tables`
prints them (server/tables.h): the routes and their flags, the error codes,
the options and their defaults, the random operations and their fields, the
initializers, the layers and the members of the request bodies. A route,
code, option, operation, field or layer added to the daemon without the spec
makes this test fail.

Live part: real requests to every operation, for success and for each error
status the spec lists (400, 404, 405, 409, 413, 415, 429), on a daemon with
the default limits and one with small ones. Every response must have a
status the operation documents, the documented media type and headers, and a
body valid against the documented schema; every request body that succeeded
must be valid against the operation's requestBody schema, and bodies the
daemon refuses for their form must be refused by the schema too. Requests
that carry a spec example must give the example response exactly.
"""
import http.client
import json
import os
import re
import sys
import unittest

import yaml
from jsonschema import Draft202012Validator, RefResolver

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from kfharness import Daemon, dump_tables, fold_in  # noqa: E402


def _source_root():
    root = os.environ.get("KEYFOLD_SOURCE_ROOT")
    if root and os.path.isfile(os.path.join(root, "proto", "openapi.yaml")):
        return root
    return os.path.normpath(os.path.join(HERE, "..", ".."))


ROOT = _source_root()
SPEC_PATH = os.path.join(ROOT, "proto", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Open Inference Protocol model routes: described outside this document.
def _oip_excluded(pattern):
    return pattern == "/v2" or pattern.startswith("/v2/models")


def _load_spec():
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


SPEC = _load_spec()
RESOLVER = RefResolver("", SPEC)
TABLES = dump_tables()
# The browser console's static files (/ui, server/h_ui.c) are not part of the
# API this document describes.
TABLES["routes"] = [r for r in TABLES["routes"] if not (r["pattern"] == "/ui" or r["pattern"].startswith("/ui/"))]


def resolve(obj):
    """Follows local $refs ("#/a/b") of OpenAPI objects (responses, parameters)."""
    seen = 0
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        assert ref.startswith("#/"), ref
        node = SPEC
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
        seen += 1
        assert seen < 20, "reference loop at " + ref
    return obj


def schema_errors(schema, instance):
    """Validation errors of instance against a schema of the spec (refs resolve
    against the whole document)."""
    v = Draft202012Validator(schema, resolver=RESOLVER)
    return sorted(("%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message))
                  for e in v.iter_errors(instance))


def component(name):
    return {"$ref": "#/components/schemas/" + name}


def spec_operations():
    """Yields (path, method, operation)."""
    for path, item in SPEC["paths"].items():
        for m in METHODS:
            if m in item:
                yield path, m, item[m]


def _segments(p):
    return p.strip("/").split("/") if p != "/" else []


def _is_param(seg):
    return seg.startswith("{") and seg.endswith("}")


def spec_path_for(request_path):
    """The spec path item a concrete request path selects: concrete paths
    before templated ones (OpenAPI's rule), then fewer templated segments."""
    segs = _segments(request_path.split("?")[0])
    best = None
    for path in SPEC["paths"]:
        ps = _segments(path)
        if len(ps) != len(segs):
            continue
        if all(_is_param(p) or p == s for p, s in zip(ps, segs)):
            rank = sum(1 for p in ps if _is_param(p))
            if best is None or rank < best[0]:
                best = (rank, path)
    return best[1] if best else None


def route_table():
    """(method, pattern) of every route of the daemon."""
    routes = [(r["method"], r["pattern"]) for r in TABLES["routes"]]
    assert routes, "keyfoldd --dump-tables lists no routes"
    return routes


def route_matches(pattern, spec_path):
    rs, ss = _segments(pattern), _segments(spec_path)
    if len(rs) != len(ss):
        return False
    for r, s in zip(rs, ss):
        if _is_param(r):
            continue
        if _is_param(s) or r != s:
            return False
    return True


def operations(flag):
    """The operations of the daemon's table offered where `flag` says
    ("random": POST /v1/random/{op}, "session_sample": a distribution of
    POST /v1/sessions/{name}/sample), by name."""
    return {op["name"]: op for op in TABLES["operations"] if op[flag]}


def limit_key(flag):
    """x-keyfold-limits names a limit by its configuration field: --max-body -> max_body."""
    return flag[2:].replace("-", "_")


def request_schema(op):
    rb = resolve(op.get("requestBody") or {})
    content = rb.get("content", {})
    return content.get("application/json", {}).get("schema")


def schema_properties(schema):
    schema = resolve(schema)
    return set(schema.get("properties", {}))


# --------------------------------------------------------------------------
class StaticSpec(unittest.TestCase):
    """The document itself and its agreement with the code."""

    maxDiff = None

    def test_openapi_31(self):
        self.assertTrue(str(SPEC.get("openapi", "")).startswith("3.1."), SPEC.get("openapi"))
        for k in ("info", "paths", "components"):
            self.assertIn(k, SPEC)
        ids = [op.get("operationId") for _, _, op in spec_operations()]
        self.assertTrue(all(ids), "every operation needs an operationId")
        self.assertEqual(len(ids), len(set(ids)), "operationIds must be unique")

    def test_refs_resolve(self):
        bad = []

        def walk(node, where):
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    try:
                        resolve({"$ref": ref})
                    except (KeyError, AssertionError, TypeError):
                        bad.append("%s -> %s" % (where, ref))
                for k, v in node.items():
                    walk(v, where + "/" + str(k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (where, i))

        walk(SPEC, "#")
        self.assertEqual(bad, [], "unresolvable $refs")

    def test_schemas_are_valid_2020_12(self):
        for name, schema in SPEC["components"]["schemas"].items():
            with self.subTest(schema=name):
                Draft202012Validator.check_schema(schema)

    def test_path_parameters_declared(self):
        for path, item in SPEC["paths"].items():
            names = set(re.findall(r"\{([^}]+)\}", path))
            for m in METHODS:
                if m not in item:
                    continue
                params = [resolve(p) for p in item.get("parameters", []) + item[m].get("parameters", [])]
                declared = {p["name"] for p in params if p.get("in") == "path"}
                self.assertEqual(declared, names, "%s %s: path parameters" % (m.upper(), path))

    def test_request_objects_are_closed(self):
        """The daemon rejects unknown members everywhere in a request, so every
        object schema a requestBody reaches says additionalProperties: false
        (maps say what their values are)."""
        open_objects = []

        def walk(node, where, seen):
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    if ref not in seen:
                        walk(resolve(node), ref, seen | {ref})
                    return
                if "properties" in node and node.get("additionalProperties") is not False:
                    open_objects.append(where)
                if node.get("type") == "object" and "properties" not in node and \
                        not isinstance(node.get("additionalProperties"), (dict, bool)):
                    open_objects.append(where)
                for k, v in node.items():
                    if k not in ("examples", "example", "default", "const", "enum"):
                        walk(v, where + "/" + k, seen)
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (where, i), seen)

        for path, m, op in spec_operations():
            schema = request_schema(op)
            if schema is not None:
                walk(schema, op["operationId"], frozenset())
        self.assertEqual(sorted(set(open_objects)), [], "request objects that accept unknown members")

    def test_examples_satisfy_schemas(self):
        checked = 0
        for path, m, op in spec_operations():
            media = []
            rb = resolve(op.get("requestBody") or {})
            for ct, mt in rb.get("content", {}).items():
                media.append(("request " + ct, mt))
            for status, resp in op["responses"].items():
                for ct, mt in resolve(resp).get("content", {}).items():
                    media.append(("%s %s" % (status, ct), mt))
            for label, mt in media:
                examples = []
                if "example" in mt:
                    examples.append(("example", mt["example"]))
                for name, ex in (mt.get("examples") or {}).items():
                    examples.append((name, resolve(ex)["value"]))
                for name, value in examples:
                    with self.subTest(op=op["operationId"], media=label, example=name):
                        self.assertEqual(schema_errors(mt["schema"], value), [])
                        checked += 1
        for name, schema in SPEC["components"]["schemas"].items():
            for i, value in enumerate(schema.get("examples", [])):
                with self.subTest(schema=name, example=i):
                    self.assertEqual(schema_errors(component(name), value), [])
        self.assertGreater(checked, 20)

    def test_route_table_matches_spec(self):
        routes = route_table()
        ops = [(m.upper(), p) for p, m, _ in spec_operations()]
        missing = [r for r in routes if not _oip_excluded(r[1])
                   and not any(m == r[0] and route_matches(r[1], p) for m, p in ops)]
        self.assertEqual(missing, [], "routes of keyfoldd without an operation in the spec")
        extra = [(m, p) for m, p in ops
                 if not any(r[0] == m and route_matches(r[1], p) for r in routes)]
        self.assertEqual(extra, [], "spec operations that no route of keyfoldd serves")

    def test_negotiation_matches_route_flags(self):
        """Routes flagged negotiate (KD_ROUTE_NEGOTIATE) document 406 and
        Vary: Accept, the others neither; npy_body routes (KD_ROUTE_NPY_BODY)
        document an application/x-npy request body, the others not; json_body
        routes have a requestBody, the others none."""
        checked = 0
        for route in TABLES["routes"]:
            if _oip_excluded(route["pattern"]):
                continue
            flags = set(route["flags"])
            for path, m, op in spec_operations():
                if m.upper() != route["method"] or not route_matches(route["pattern"], path):
                    continue
                with self.subTest(op=op["operationId"]):
                    ok = resolve(op["responses"].get("200") or op["responses"].get("201") or {})
                    self.assertEqual("406" in op["responses"], "negotiate" in flags)
                    self.assertEqual("Vary" in ok.get("headers", {}), "negotiate" in flags)
                    rb = resolve(op.get("requestBody") or {}).get("content", {})
                    self.assertEqual("application/x-npy" in rb, "npy_body" in flags)
                    self.assertEqual("application/json" in rb, "json_body" in flags)
                    checked += 1
        self.assertGreater(checked, 20)

    def test_open_routes_are_the_documented_ones(self):
        """The routes reachable without a token (open) are the ones the
        spec's Authentication convention names."""
        open_routes = {r["pattern"] for r in TABLES["routes"] if "open" in r["flags"]}
        flat = " ".join(SPEC["info"]["description"].split())
        m = re.search(r"every route except ((?:`[^`]+`(?:, | and )?)+) requires", flat)
        self.assertIsNotNone(m, "the Authentication convention names the routes without a token")
        self.assertEqual(open_routes, set(re.findall(r"`([^`]+)`", m.group(1))))

    def test_error_codes_match_table(self):
        table = {e["code"]: e["status"] for e in TABLES["errors"]}
        self.assertEqual(len(table), len(TABLES["errors"]), "error codes must be unique")
        self.assertTrue(table, "keyfoldd --dump-tables lists no error codes")
        code = SPEC["components"]["schemas"]["ErrorCode"]
        self.assertEqual(set(code["enum"]), set(table))
        self.assertEqual(code["x-keyfold-status"], table)
        # The Errors convention lists every code with its status.
        description = " ".join(SPEC["info"]["description"].split())
        for name, status in table.items():
            self.assertRegex(description, r"`%s` %d\b" % (name, status))
        # Each documented error response constrains the code to one whose
        # status is the response's status.
        for path, m, op in spec_operations():
            for status, resp in op["responses"].items():
                if not status.startswith(("4", "5")):
                    continue
                schema = resolve(resolve(resp)["content"]["application/json"]["schema"])
                # One error schema with a fixed code, or a oneOf of such schemas
                # when the status has more than one cause (fork's 409).
                alternatives = [resolve(s) for s in schema.get("oneOf", [schema])]
                with self.subTest(op=op["operationId"], status=status):
                    for alt in alternatives:
                        consts = [s["properties"]["error"]["properties"]["code"]["const"]
                                  for s in alt.get("allOf", []) if "properties" in s]
                        self.assertEqual(len(consts), 1, "error response without a fixed code")
                        self.assertEqual(table[consts[0]], int(status))

    def test_limits_match_options(self):
        options = {o["flag"]: o for o in TABLES["options"]}
        limits = SPEC["info"]["x-keyfold-limits"]
        description = SPEC["info"]["description"]
        for key, lim in limits.items():
            with self.subTest(limit=key):
                opt = options.get(lim["flag"])
                self.assertIsNotNone(opt, "%s is not an option of keyfoldd" % lim["flag"])
                self.assertEqual(limit_key(lim["flag"]), key)
                self.assertEqual(lim["env"], opt["env"])
                self.assertEqual(lim["default"], opt["default"], "default of %s" % lim["flag"])
                self.assertIn("`%s`" % lim["flag"], description)
        # Every --max-* option of the daemon is documented as a limit.
        self.assertEqual(set(limits), {limit_key(f) for f in options if f.startswith("--max-")})

    def test_documented_options_exist(self):
        """Every flag the spec's conventions name, and every KEYFOLD_*
        variable the deployment documents and files name, is an option of
        the daemon; the defaults the spec states are the daemon's."""
        options = {o["flag"]: o for o in TABLES["options"]}
        envs = {o["env"] for o in TABLES["options"] if o["env"]}
        description = SPEC["info"]["description"]
        named = set(re.findall(r"`(--[a-z][a-z-]*)", description))
        self.assertTrue(named)
        self.assertEqual(sorted(named - set(options)), [], "flags in the spec that keyfoldd lacks")
        flat = " ".join(description.split())
        stated = 0
        for flag, opt in options.items():
            for m in re.finditer(r"`%s` \((?:`\w+`, )?default ([0-9]+)\b" % re.escape(flag), flat):
                self.assertEqual(int(m.group(1)), opt["default"], flag)
                stated += 1
        self.assertGreater(stated, 5)
        # The Python client's own variables (docs/python-client.md) are not the daemon's.
        client_vars = {"KEYFOLD_URL", "KEYFOLD_TOKEN"}
        files = ["README.md", "docs/deployment.md"] + \
            [os.path.join("deploy", f) for f in sorted(os.listdir(os.path.join(ROOT, "deploy")))
             if os.path.isfile(os.path.join(ROOT, "deploy", f))]
        for rel in files:
            with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
                text = f.read()
            with self.subTest(file=rel):
                used = set(re.findall(r"\bKEYFOLD_[A-Z_]*[A-Z]\b", text)) - client_vars
                self.assertEqual(sorted(used - envs), [], "variables keyfoldd does not read")

    def test_option_help_states_the_defaults(self):
        """--help's texts that state a numeric default state the one the
        daemon sets (the help is typed by hand beside the defaults)."""
        mult = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
        checked = 0
        for opt in TABLES["options"]:
            m = re.search(r"\(default ([0-9]+)([kmg]?)\b", opt["help"])
            if "min" in opt and m:
                with self.subTest(option=opt["flag"]):
                    self.assertEqual(int(m.group(1)) * mult[m.group(2)], opt["default"])
                    self.assertTrue(opt["min"] <= opt["default"] <= opt["max"])
                    checked += 1
            elif opt["kind"] not in ("switch", "path") and opt["default"] is not None \
                    and "(default" in opt["help"]:
                with self.subTest(option=opt["flag"]):
                    self.assertRegex(opt["help"], r"(\(default %s\b|\b%s \(default\b)"
                                     % (re.escape(opt["default"]), re.escape(opt["default"])))
                    checked += 1
        self.assertGreater(checked, 10)
        flags = {o["flag"] for o in TABLES["options"] if o["kind"] == "switch"}
        self.assertEqual(flags, {"--help", "--version", "--dump-tables"})

    def test_random_operations_match_table(self):
        random_ops = operations("random")
        self.assertTrue({"key", "fold_in", "split"} <= set(random_ops), sorted(random_ops))
        spec_ops = {p.rsplit("/", 1)[1] for p in SPEC["paths"] if p.startswith("/v1/random/")}
        self.assertEqual(spec_ops, set(random_ops), "a path item per operation of /v1/random/{op}")
        sample_branches, init_branches = {}, {}
        for branch in resolve(component("SampleRequest"))["oneOf"]:
            branch = resolve(branch)
            if "oneOf" in branch:  # SampleDistribution: a branch per distribution
                for dist in branch["oneOf"]:
                    dist = resolve(dist)
                    sample_branches[dist["properties"]["distribution"]["const"]] = dist
                continue
            nm = resolve(branch["properties"]["initializer"])  # Flax 0.12's keyless initializers
            for n in nm.get("enum", [nm.get("const")]):
                init_branches[n] = set(branch["properties"])
        for init in TABLES["initializers"]:
            with self.subTest(keyless_initializer=init["name"]):
                self.assertEqual(init_branches.get(init["name"]),
                                 set(init["fields"]) | {"stream", "initializer", "shape"})
        session_ops = operations("session_sample")
        self.assertEqual(set(sample_branches), set(session_ops),
                         "POST /v1/sessions/{name}/sample accepts the distributions of the table")

        def check_params(schema, params, added):
            """Properties, required members and defaults of a body against the table's
            parameters; `added` are the route's own members."""
            props = schema["properties"]
            self.assertEqual(set(props), {p["name"] for p in params} | set(added))
            required = {p["name"] for p in params if p["required"]}
            self.assertEqual(set(schema.get("required", [])) - set(added), required)
            for p in params:
                prop = props[p["name"]]
                if p["required"] or p["default"] is None:
                    self.assertNotIn("default", prop, p["name"])
                else:
                    self.assertEqual(prop.get("default"), p["default"], p["name"])
                self.assertEqual(prop.get("description"), p["description"], p["name"])
                if "values" in p:
                    self.assertEqual(prop["enum"], p["values"], p["name"])

        for name, op in random_ops.items():
            spec_op = SPEC["paths"]["/v1/random/" + name]["post"]
            with self.subTest(op=name):
                self.assertTrue(op["params"], "every operation lists its parameters")
                self.assertEqual(spec_op["summary"], op["summary"])
                check_params(resolve(request_schema(spec_op)), op["params"], ["threefry"])
                # Tensor replies negotiate .npy; keys are JSON only.
                ok = resolve(spec_op["responses"]["200"])["content"]
                self.assertEqual("application/x-npy" in ok, op["tensor"])
                if name in session_ops:
                    check_params(sample_branches[name], [p for p in op["params"] if p["kind"] != "key"],
                                 ["stream", "distribution"])
                    self.assertEqual(sample_branches[name]["required"][0], "distribution")

    def test_random_part_is_generated_from_the_table(self):
        """The /v1/random path items and the request schemas between the GENERATED
        markers are exactly what scripts/gen-openapi-random.py renders from the
        daemon's table and proto/random-examples.yaml (run it after changing a row
        of server/ops.c)."""
        import importlib.util
        path = os.path.join(ROOT, "scripts", "gen-openapi-random.py")
        spec = importlib.util.spec_from_file_location("gen_openapi_random", path)
        gen = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(gen)
        with open(SPEC_PATH, encoding="utf-8") as f:
            committed = gen.regions_of(f.read())
        rendered = gen.render(TABLES, gen.load_examples())
        for region, text in rendered.items():
            with self.subTest(region=region):
                self.assertIsNotNone(committed[region], "proto/openapi.yaml lacks the %s markers" % region)
                self.assertEqual(committed[region], text,
                                 "proto/openapi.yaml is out of date: run scripts/gen-openapi-random.py")

    def test_initializers_match_table(self):
        inits = {i["name"]: i for i in TABLES["initializers"]}
        self.assertTrue(inits)
        for alias in (i for i in inits.values() if i["alias_of"]):
            self.assertIn(alias["alias_of"], inits, alias["name"])
            self.assertEqual(alias["fields"], inits[alias["alias_of"]]["fields"])
        schemas = SPEC["components"]["schemas"]
        self.assertEqual(set(schemas["InitializerName"]["enum"]), set(inits))
        with_params = {n for n, i in inits.items() if i["fields"]}
        concrete = {p.rsplit("/", 1)[1] for p in SPEC["paths"]
                    if p.startswith("/v1/init/") and not p.endswith("}")}
        self.assertEqual(concrete, with_params, "a path item per initializer with parameters")
        self.assertEqual(set(schemas["PlainInitializerName"]["enum"]), set(inits) - with_params)
        objects = {}
        for branch in schemas["Initializer"]["oneOf"]:
            if "properties" in branch:
                nm = resolve(branch["properties"]["name"])
                for n in nm.get("enum", [nm.get("const")]):
                    objects[n] = set(branch["properties"])
        for n, init in inits.items():
            fields = set(init["fields"])
            with self.subTest(initializer=n):
                self.assertEqual(objects.get(n), fields | {"name"})
                if n in with_params:
                    op = SPEC["paths"]["/v1/init/" + n]["post"]
                else:
                    op = SPEC["paths"]["/v1/init/{initializer}"]["post"]
                self.assertEqual(schema_properties(request_schema(op)), fields | {"key", "shape", "threefry"})

    def test_layers_match_table(self):
        layers = {layer["type"]: set(layer["fields"]) for layer in TABLES["layers"]}
        self.assertTrue(layers)
        schemas = SPEC["components"]["schemas"]
        by_type = {}
        for ref in schemas["Layer"]["oneOf"]:
            s = resolve(ref)
            t = s["properties"]["type"]
            for name in t.get("enum", [t.get("const")]):
                by_type[name] = set(s["properties"])
        self.assertEqual(by_type, layers)

    def test_request_fields_match_table(self):
        schemas = SPEC["components"]["schemas"]
        bodies = {"session_create": "SessionCreate", "session_options": "SessionOptions",
                  "session_keys": "KeysRequest", "session_forward": "ForwardRequest",
                  "session_reseed": "ReseedRequest", "admin_restore": "AdminRestoreRequest",
                  "session_fork": "ForkRequest"}
        self.assertEqual(set(TABLES["request_fields"]), set(bodies))
        for body, fields in TABLES["request_fields"].items():
            with self.subTest(body=body):
                self.assertEqual(set(schemas[bodies[body]]["properties"]), set(fields))
        restore = SPEC["paths"]["/v1/admin/restore"]["post"]
        self.assertEqual(schema_properties(request_schema(restore)), set(TABLES["request_fields"]["admin_restore"]))


# --------------------------------------------------------------------------
def parse_npy(test, payload, where):
    """Checks a .npy reply as the spec describes it (format 1.0, C order,
    numpy's 64-byte alignment, exactly the data the shape needs) and returns
    (descr, shape, data bytes)."""
    import ast
    import struct
    test.assertEqual(payload[:8], b"\x93NUMPY\x01\x00", where)
    hlen = struct.unpack("<H", payload[8:10])[0]
    test.assertEqual((10 + hlen) % 64, 0, where)
    header = ast.literal_eval(payload[10:10 + hlen].decode("latin1"))
    test.assertEqual(set(header), {"descr", "fortran_order", "shape"}, where)
    test.assertIs(header["fortran_order"], False, where)
    size = int(header["descr"][2:])
    n = 1
    for d in header["shape"]:
        n *= d
    data = payload[10 + hlen:]
    test.assertEqual(len(data), n * size, where)
    return header["descr"], list(header["shape"]), data


def _reject_constant(name):
    raise ValueError("bare %s is not JSON" % name)


class Live(unittest.TestCase):
    """Real requests to every operation, validated against the spec."""

    maxDiff = None

    # (operationId, status) pairs documented but not reachable from a test,
    # with the reason.
    UNREACHABLE = {
        ("healthReady", "503"): "only while the daemon starts or drains",
    }
    NEVER_EXPECTED = {"500", "503"}
    SCENARIOS = ("test_10_sessions", "test_20_random", "test_30_init", "test_40_operations",
                 "test_50_errors_everywhere", "test_60_limits", "test_70_npy", "test_80_restore")

    @classmethod
    def setUpClass(cls):
        # Large element limit: lets /keys ask for 2^32 + 1 keys, which the
        # daemon refuses (409) before allocating anything.
        cls.d = Daemon.start("--max-elements", str(1 << 34))
        cls.small = Daemon.start("--max-body", "1024", "--max-elements", "64", "--max-sessions", "2",
                                 "--max-model-params", "100", "--durability", "memory")
        cls.seen = {}
        cls.done = set()

    @classmethod
    def tearDownClass(cls):
        codes = [cls.d.stop(), cls.small.stop()]
        assert codes == [0, 0], "keyfoldd exit codes %r" % codes

    # ---------------------------------------------------------------- plumbing
    def send(self, daemon, method, path, data=None, ctype=None, accept=None):
        conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=60)
        headers = {}
        if ctype:
            headers["Content-Type"] = ctype
        if accept:
            headers["Accept"] = accept
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            payload = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
        finally:
            conn.close()

    def call(self, method, path, body=None, *, expect, raw=None, ctype="application/json",
             daemon=None, schema_rejects=False, accept=None):
        """Sends one request, checks the status and validates the exchange
        against the spec; returns the parsed JSON body (or text, or None;
        a .npy reply as (dtype descr, shape, data bytes))."""
        daemon = daemon or self.d
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        status, headers, payload = self.send(daemon, method, path, data,
                                             ctype if data is not None else None, accept)
        where = "%s %s %s" % (method, path, (data or b"")[:200])
        self.assertEqual(status, expect, "%s -> %d %s" % (where, status, payload[:300]))
        parsed = self.validate_response(method, path, status, headers, payload, where)
        if body is not None and raw is None:
            op = self.operation(method, path)
            schema = request_schema(op) if op else None
            if schema is not None:
                errors = schema_errors(schema, body)
                if 200 <= status < 300:
                    self.assertEqual(errors, [], "%s: request accepted by the daemon but invalid "
                                     "against %s's requestBody" % (where, op["operationId"]))
                if schema_rejects:
                    self.assertNotEqual(errors, [], "%s: the daemon refuses this body but the "
                                        "requestBody schema accepts it" % where)
        return parsed

    def operation(self, method, path):
        sp = spec_path_for(path)
        if sp is None:
            return None
        return SPEC["paths"][sp].get(method.lower() if method != "HEAD" else "get")

    def validate_response(self, method, path, status, headers, payload, where):
        sp = spec_path_for(path)
        op = self.operation(method, path)
        if op is None:
            # Not an operation of the spec: an unknown path (404) or a method
            # the path item does not define (405 with Allow).
            if sp is None:
                self.assertEqual(status, 404, where)
                resp = resolve({"$ref": "#/components/responses/NotFound"})
            else:
                self.assertEqual(status, 405, where)
                resp = resolve({"$ref": "#/components/responses/MethodNotAllowed"})
                allowed = {m.upper() for m in METHODS if m in SPEC["paths"][sp]}
                if "GET" in allowed:
                    allowed.add("HEAD")  # every GET route also serves HEAD
                got = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
                self.assertEqual(got, allowed, "%s: Allow header vs the spec's methods of %s" % (where, sp))
            self.seen.setdefault(("(no operation)", str(status)), 0)
        else:
            responses = op["responses"]
            if str(status) not in responses:
                self.fail("%s: status %d is not documented for %s (documented: %s)" %
                          (where, status, op["operationId"], ", ".join(sorted(responses))))
            resp = resolve(responses[str(status)])
            key = (op["operationId"], str(status))
            self.seen[key] = self.seen.get(key, 0) + 1
        for name, h in resp.get("headers", {}).items():
            h = resolve(h)
            value = headers.get(name.lower())
            if h.get("required"):
                self.assertIsNotNone(value, "%s: header %s missing" % (where, name))
            if value is not None and "schema" in h:
                self.assertEqual(schema_errors(h["schema"], value), [], "%s: header %s" % (where, name))
        content = resp.get("content")
        if method == "HEAD":
            self.assertEqual(payload, b"", where)
            return None
        if not content:
            self.assertEqual(payload, b"", "%s: status %d has no documented body" % (where, status))
            return None
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        self.assertIn(ctype, content, "%s: Content-Type %r not documented" % (where, ctype))
        if ctype == "application/x-npy":
            schema = resolve(content[ctype]["schema"])
            self.assertEqual(schema.get("contentMediaType"), ctype, where)
            return parse_npy(self, payload, where)
        text = payload.decode("utf-8")
        if ctype == "application/json":
            body = json.loads(text, parse_constant=_reject_constant)
        else:
            body = text
        errors = schema_errors(content[ctype]["schema"], body)
        self.assertEqual(errors, [], "%s: the %d response does not match the spec: %s" %
                         (where, status, text[:500]))
        return body

    def example(self, path, method, name, status="200"):
        """(request example, response example) named `name`."""
        op = SPEC["paths"][path][method]
        req = op["requestBody"]["content"]["application/json"]["examples"][name]["value"]
        resp = resolve(op["responses"][status])["content"]["application/json"]["examples"][name]["value"]
        return req, resp

    def response_example(self, path, method, name, status="200"):
        op = SPEC["paths"][path][method]
        return resolve(op["responses"][status])["content"]["application/json"]["examples"][name]["value"]

    # ---------------------------------------------------------------- sessions
    def test_10_sessions(self):
        call = self.call
        S = "/v1/sessions"
        design, design_out = self.example(S, "post", "design", "201")
        self.assertEqual(call("POST", S, design, expect=201), design_out)
        self.assertEqual(call("GET", S + "/exp1", expect=200), design_out)
        call("POST", S, design, expect=409)
        flax_doc, flax_doc_out = self.example(S, "post", "rngs_only", "201")
        self.assertEqual(call("POST", S, flax_doc, expect=201), flax_doc_out)
        # Every layer type, object initializers, legacy threefry.
        call("POST", S, {"name": "all-layers", "rngs": {"default": [1, 2]},
                         "options": {"threefry": "legacy", "flax": "0.10"},
                         "model": {"layers": [
                             {"type": "linear", "in_features": 3, "out_features": 4, "use_bias": False,
                              "kernel_init": {"name": "variance_scaling", "scale": 2.0, "mode": "fan_avg",
                                              "distribution": "uniform"}},
                             {"type": "relu"}, {"type": "gelu"}, {"type": "tanh"}, {"type": "sigmoid"},
                             {"type": "silu"},
                             {"type": "dropout", "rate": 0.25, "rng_collection": "noise",
                              "broadcast_dims": [0], "deterministic": True},
                             {"type": "linear", "in_features": 4, "out_features": 2,
                              "kernel_init": "xavier_uniform",
                              "bias_init": {"name": "truncated_normal", "stddev": 0.1}},
                             {"type": "linear", "in_features": 2, "out_features": 2,
                              "kernel_init": {"name": "normal", "stddev": 1.0},
                              "bias_init": {"name": "constant", "value": 0.5}},
                             {"type": "linear", "in_features": 2, "out_features": 1,
                              "kernel_init": {"name": "uniform"}, "bias_init": {"name": "ones"}}]}},
             expect=201)
        call("POST", S, {"name": "embed.v1", "rngs": {"params": 7},
                         "model": {"layers": [{"type": "embed", "num_embeddings": 5, "features": 3},
                                              {"type": "linear", "in_features": 3, "out_features": 2}]}},
             expect=201)
        call("POST", S, {"name": "no-default", "rngs": {"params": 0},
                         "model": {"layers": [{"type": "linear", "in_features": 2, "out_features": 2},
                                              {"type": "dropout", "rate": 0.5}]}}, expect=201)
        call("POST", S, {"name": "bare"}, expect=201)
        # The new layer types and containers: the spec's CNN and transformer examples, and
        # every other type, nested, in a Flax 0.12 session (held streams, a list in a repeat).
        examples = SPEC["paths"][S]["post"]["requestBody"]["content"]["application/json"]["examples"]
        call("POST", S, examples["cnn"]["value"], expect=201)
        enc = call("POST", S, examples["transformer"]["value"], expect=201)
        self.assertEqual([h["path"] for h in enc["model"]["layers"][1]["layers"][0]["layers"][1]["rngs"]],
                         ["blocks.layers.%d.attn_block.attn.rngs" % i for i in range(2)])
        every = call("POST", S, {"name": "every-layer", "rngs": {"params": 0, "dropout": 1},
                                 "options": {"flax": "0.12"}, "model": {"layers": [
            {"type": "conv", "in_features": 1, "out_features": 2, "kernel_size": 3, "padding": [[1, 1]]},
            {"type": "conv_transpose", "in_features": 2, "out_features": 2, "kernel_size": [3]},
            {"type": "batch_norm", "num_features": 2, "name": "bn"},
            {"type": "group_norm", "num_features": 2, "num_groups": None, "group_size": 1},
            {"type": "max_pool", "window_shape": 2, "strides": 1, "padding": "SAME"},
            {"type": "avg_pool", "window_shape": [1]}, {"type": "flatten"},
            {"type": "reshape", "shape": [-1, 2]},
            {"type": "layer_norm", "num_features": 2}, {"type": "rms_norm", "num_features": 2},
            {"type": "linear_general", "in_features": 2, "out_features": [2, 2], "axis": -1},
            {"type": "reshape", "shape": [2, 4]},
            {"type": "einsum", "einsum_str": "bsi,io->bso", "kernel_shape": [4, 4], "bias_shape": [4]},
            {"type": "repeat", "count": 2, "name": "blocks", "layers": [{"type": "residual", "layers": [
                {"type": "dropout", "rate": 0.5, "name": "d"}, {"type": "gelu", "approximate": False},
                {"type": "elu", "alpha": 0.5}, {"type": "leaky_relu"}, {"type": "softplus"}]}]},
            {"type": "sequential", "layers": [{"type": "softmax"}, {"type": "log_softmax", "axis": 1},
                                              {"type": "silu", "name": "act"}]},
            {"type": "multi_head_attention", "num_heads": 2, "in_features": 4, "qkv_features": 4,
             "out_features": None, "dropout_rate": 0.1, "normalize_qk": True, "name": "attn"}]}},
                     expect=201)
        self.assertEqual(len(every["model"]["layers"][13]["layers"][0]["layers"][0]["rngs"]), 2)
        self.assertEqual(every["model"]["variables"]["bn.mean"]["kind"], "batch_stats")
        state = call("GET", S + "/every-layer/params?format=state", expect=200)
        self.assertEqual(set(state["bn"]), {"scale", "bias", "mean", "var"})
        self.assertEqual(set(state["attn"]), {"query", "key", "value", "query_ln", "key_ln", "out"})
        flat = call("GET", S + "/every-layer/params", expect=200)
        self.assertEqual([sorted(p) for p in flat["params"]],
                         [sorted(v) for v in every["model"]["params"]])
        for bad in ({"type": "repeat", "count": 0, "layers": [{"type": "relu"}]},
                    {"type": "gelu", "approximate": "yes"},
                    {"type": "relu", "name": "layers"},
                    {"type": "relu", "name": "9lives"},
                    {"type": "conv", "in_features": 1, "out_features": 1, "kernel_size": [1, 1, 1, 1]},
                    {"type": "max_pool", "window_shape": [2], "padding": "FULL"},
                    {"type": "sequential", "layers": [{"type": "linear", "in_features": 1}]},
                    {"type": "layer_norm", "num_features": 2, "momentum": 0.9}):
            call("POST", S, {"name": "x", "rngs": {"params": 0}, "model": {"layers": [bad]}},
                 expect=400, schema_rejects=True)
        # 400s.
        call("POST", S, {"name": "x", "colour": 1}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "-x"}, expect=400, schema_rejects=True)
        call("POST", S, {"rngs": {"default": 0}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "rngs": {"9lives": 0}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "rngs": {"default": [1]}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "options": {"flax": "0.13"}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "options": {"threefry": "philox"}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "rngs": {"params": 0}, "model": {"layers": [
            {"type": "linear", "in_features": 2, "out_features": 3, "bias": True}]}},
             expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "rngs": {"params": 0}, "model": {"layers": [
            {"type": "conv", "features": 3}]}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "rngs": {"params": 0}, "model": {"layers": [
            {"type": "dropout", "rate": 1.5}]}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "rngs": {"params": 0}, "model": {"layers": [
            {"type": "linear", "in_features": 2, "out_features": 3,
             "kernel_init": {"name": "uniform", "stddev": 1}}]}}, expect=400, schema_rejects=True)
        call("POST", S, {"name": "x", "rngs": {"params": 0}, "model": {"layers": []}},
             expect=400, schema_rejects=True)
        # Semantic 400s the schema cannot see.
        call("POST", S, {"name": "x", "rngs": {"params": 0}, "model": {"layers": [
            {"type": "linear", "in_features": 2, "out_features": 3},
            {"type": "linear", "in_features": 2, "out_features": 3}]}}, expect=400)
        call("POST", S, {"name": "x", "rngs": {"dropout": 0}, "model": {"layers": [
            {"type": "linear", "in_features": 2, "out_features": 3}]}}, expect=400)
        call("POST", S, raw=b'{"name": "x",', expect=400)
        call("POST", S, raw=b'[1, 2]', expect=400)
        call("POST", S, raw=b'{"name": "x", "name": "y"}', expect=400)
        call("POST", S, raw=b'{"name": "x"}', ctype="text/plain", expect=415)

        # List (sorted) and HEAD.
        listing = call("GET", S, expect=200)
        self.assertEqual(listing["sessions"], sorted(listing["sessions"]))
        self.assertTrue({"exp1", "flax-doc", "bare"} <= set(listing["sessions"]))
        call("HEAD", S, expect=200)
        page = call("GET", S + "?limit=2", expect=200)
        self.assertEqual(page["sessions"], sorted(listing["sessions"])[:2])
        rest = call("GET", S + "?limit=10000&page_token=" + page["next_page_token"], expect=200)
        self.assertEqual(page["sessions"] + rest["sessions"], listing["sessions"])
        self.assertNotIn("next_page_token", rest)
        call("GET", S + "?prefix=flax-&limit=1", expect=200)
        call("GET", S + "?limit=0", expect=400)
        call("GET", S + "?page_token=nope", expect=400)
        call("GET", S + "?colour=blue", expect=400)
        call("GET", S + "/nope", expect=404)
        call("GET", S + "/-bad", expect=400)

        # Keys: the examples, fallback, errors, exhaustion.
        K = S + "/exp1/keys"
        req, out = self.example(S + "/{name}/keys", "post", "params")
        self.assertEqual(call("POST", K, req, expect=200), out)
        call("POST", S + "/flax-doc/keys", {"stream": "params"}, expect=200)
        fallback = self.response_example(S + "/{name}/keys", "post", "fallback")
        self.assertEqual(call("POST", S + "/flax-doc/keys", {"stream": "dropout"}, expect=200), fallback)
        got = call("POST", S + "/flax-doc/keys", expect=200)  # empty body: default stream, n = 1
        self.assertEqual((got["stream"], got["source"], got["counts"]), ("default", "default", [1]))
        call("POST", K, {"stream": "nope"}, expect=404)
        call("POST", S + "/nope/keys", {}, expect=404)
        call("POST", S + "/-bad/keys", {}, expect=400)
        call("POST", K, {"n": 0}, expect=400, schema_rejects=True)
        call("POST", K, {"n": 1.5}, expect=400, schema_rejects=True)
        call("POST", K, {"stream": "9"}, expect=400, schema_rejects=True)
        call("POST", K, {"count": 1}, expect=400, schema_rejects=True)
        err = call("POST", S + "/flax-doc/keys", {"stream": "params", "n": (1 << 32) + 1}, expect=409)
        self.assertEqual(err["error"]["code"], "failed_precondition")
        again = call("POST", S + "/flax-doc/keys", {"stream": "params"}, expect=200)
        self.assertEqual(again["counts"], [1], "a refused draw changes nothing")

        # Forward: the design example, reseed, same output again.
        F = S + "/exp1/forward"
        fwd_req = SPEC["paths"][S + "/{name}/forward"]["post"]["requestBody"]["content"][
            "application/json"]["examples"]["ones"]["value"]
        fwd_out = self.response_example(S + "/{name}/forward", "post", "ones")
        y1 = call("POST", F, fwd_req, expect=200)
        self.assertEqual(y1, fwd_out)
        y_other = call("POST", F, fwd_req, expect=200)
        self.assertNotEqual(y_other, y1, "the second pass draws the next dropout key")
        rs = call("POST", S + "/exp1/reseed", {"streams": {"dropout": 42}}, expect=200)
        self.assertEqual(rs["rngs"]["dropout"], {"key": [0, 42], "count": 0})
        self.assertEqual(call("POST", F, fwd_req, expect=200), y1, "reseeded forward equals the first")
        det = call("POST", F, {"x": {"shape": [1, 2], "dtype": "float32", "data": [1, 1]},
                               "deterministic": True}, expect=200)
        self.assertEqual(det["y"]["shape"], [1, 3])
        call("POST", F, {"x": [[[1.0, 2.0]], [[3.0, 4.0]]], "deterministic": False}, expect=200)
        call("POST", F, {"x": [[1.0, 2.0, 3.0]]}, expect=400)
        call("POST", F, {"x": [[1.0], [2.0, 3.0]]}, expect=400)
        call("POST", F, {"x": [[1.0, 1.0]], "deterministic": "yes"}, expect=400, schema_rejects=True)
        call("POST", F, {"y": [[1.0, 1.0]]}, expect=400, schema_rejects=True)
        call("POST", F, {}, expect=400, schema_rejects=True)
        call("POST", F, {"x": {"shape": [2], "data": [1.0, 1.0], "layout": "C"}}, expect=400,
             schema_rejects=True)
        call("POST", S + "/embed.v1/forward", {"x": [[0, 4, -1]]}, expect=200)
        call("POST", S + "/embed.v1/forward", {"x": [[5]]}, expect=400)
        call("POST", S + "/all-layers/forward", {"x": [[0.5, -1.0, 2.0]]}, expect=200)
        call("POST", S + "/flax-doc/forward", {"x": [[1.0]]}, expect=409)
        call("POST", S + "/no-default/forward", {"x": [[1.0, 1.0]]}, expect=404)
        call("POST", S + "/no-default/forward", {"x": [[1.0, 1.0]], "deterministic": True}, expect=200)
        call("POST", S + "/nope/forward", {"x": [[1.0]]}, expect=404)

        # Sample: every distribution, fallback, errors.
        P = S + "/flax-doc/sample"
        for body in ({"distribution": "bits", "shape": [2], "bit_width": 8},
                     {"distribution": "bits", "shape": [2], "bit_width": 16},
                     {"distribution": "bits", "shape": [2, 1]},
                     {"distribution": "bits", "shape": [3], "bit_width": 64},
                     {"stream": "params", "distribution": "uniform", "shape": [2], "minval": -1, "maxval": 1},
                     {"stream": "dropout", "distribution": "normal", "shape": [2, 2]},
                     {"distribution": "normal"},
                     {"distribution": "truncated_normal", "shape": [3], "lower": -1, "upper": 2},
                     {"distribution": "bernoulli", "shape": [4], "p": 0.25},
                     {"distribution": "randint", "shape": [4], "minval": -5, "maxval": 5},
                     # array parameters, broadcast as in JAX
                     {"distribution": "uniform", "shape": [2, 3], "minval": [0, 1, 2], "maxval": [[5], [6]]},
                     {"distribution": "truncated_normal", "lower": [-1, 0], "upper": 1},
                     {"distribution": "truncated_normal", "lower": 1, "upper": 0},
                     {"distribution": "bernoulli", "p": {"shape": [2, 2], "dtype": "float32",
                                                         "data": [0.1, 0.2, 0.3, 0.4]}, "mode": "high"},
                     {"distribution": "randint", "minval": [[0], [10]], "maxval": [5, 20, 30]},
                     {"distribution": "normal", "shape": [2], "dtype": "float32"}):
            got = call("POST", P, body, expect=200)
            self.assertEqual(got["stream"], body.get("stream", "default"))
        ex = SPEC["paths"][S + "/{name}/sample"]["post"]["requestBody"]["content"]["application/json"][
            "examples"]["normal"]["value"]
        call("POST", S + "/exp1/sample", ex, expect=200)
        call("POST", P, {"distribution": "wald", "shape": [2]}, expect=400, schema_rejects=True)
        call("POST", P, {"distribution": "permutation", "n": -1}, expect=400, schema_rejects=True)
        call("POST", P, {"distribution": "normal", "shape": [2], "p": 0.5}, expect=400, schema_rejects=True)
        call("POST", P, {"distribution": "randint", "shape": [2], "minval": 0, "maxval": 1 << 31},
             expect=400, schema_rejects=True)
        call("POST", P, {"distribution": "truncated_normal", "lower": [1, 2], "upper": [0, 1, 2]},
             expect=400)
        call("POST", P, {"distribution": "bernoulli", "p": [0.5, 0.5], "shape": [3]}, expect=400)
        call("POST", P, {"distribution": "uniform", "dtype": "float64"}, expect=400, schema_rejects=True)
        call("POST", P, {"distribution": "bernoulli", "mode": "medium"}, expect=400, schema_rejects=True)
        call("POST", P, {"shape": [2]}, expect=400, schema_rejects=True)
        call("POST", S + "/exp1/sample", {"stream": "nope", "distribution": "normal"}, expect=404)
        call("POST", S + "/nope/sample", {"distribution": "normal"}, expect=404)

        # Reseed.
        R = S + "/flax-doc/reseed"
        out = call("POST", R, {"streams": {"default": [3, 4], "params": -1}}, expect=200)
        self.assertEqual(out["rngs"]["params"], {"key": [0, 4294967295], "count": 0})
        self.assertEqual(out["rngs"]["default"], {"key": [3, 4], "count": 0})
        call("POST", R, {"streams": {"dropout": 1}}, expect=400)  # fallback names are not streams
        call("POST", R, {"streams": {}}, expect=400, schema_rejects=True)
        call("POST", R, {}, expect=400, schema_rejects=True)
        call("POST", R, {"streams": {"params": "one"}}, expect=400, schema_rejects=True)
        call("POST", R, {"streams": {"params": 1}, "also": 2}, expect=400, schema_rejects=True)
        call("POST", S + "/nope/reseed", {"streams": {"default": 1}}, expect=404)
        call("POST", R, {"streams": {"params": 1}, "target": "both"}, expect=400, schema_rejects=True)
        call("POST", R, {"streams": {"params": 1}, "policy": "match_shape"}, expect=400)  # a 0.10 session
        # Flax 0.12: the dropout holds a stream, shown in its layer; reseed by target and policy.
        mlp = call("POST", S, {"name": "mlp-012", "rngs": {"default": 0}, "options": {"flax": "0.12"},
                               "model": {"layers": [{"type": "linear", "in_features": 3, "out_features": 4},
                                                    {"type": "dropout", "rate": 0.5}]}}, expect=201)
        self.assertEqual(mlp["model"]["layers"][1]["rngs"],
                         {"key": fold_in([0, 0], 2), "count": 0, "tag": "default", "path": "layers.1.rngs"})
        out = call("POST", S + "/mlp-012/reseed", {"streams": {"default": 5}, "target": "model",
                                                   "policy": "scalars_only"}, expect=200)
        self.assertEqual(out["model"]["layers"][1]["rngs"]["key"], fold_in([0, 5], 0))
        call("POST", S + "/mlp-012/reseed", {"streams": {"params": 5}, "target": "model"}, expect=400)

        # Fork.
        FK = S + "/flax-doc/fork"
        child = call("POST", FK, {"name": "flax-doc-child", "streams": ["params"]}, expect=201)
        self.assertEqual(child["rngs"], {"params": {"key": fold_in([0, 4294967295], 0), "count": 0}})
        call("POST", FK, {"name": "flax-doc-child"}, expect=409)
        call("POST", FK, {"name": "c", "streams": ["dropout"]}, expect=400)  # no fallback
        call("POST", FK, {"name": "c", "streams": ["params", "params"]}, expect=400, schema_rejects=True)
        call("POST", FK, {"streams": ["params"]}, expect=400, schema_rejects=True)
        call("POST", FK, {"name": "c", "rngs": {"default": 1}}, expect=400, schema_rejects=True)
        call("POST", S + "/nope/fork", {"name": "c"}, expect=404)
        call("DELETE", S + "/flax-doc-child", expect=204)

        # Params.
        params = call("GET", S + "/exp1/params", expect=200)
        self.assertEqual(params, self.response_example(S + "/{name}/params", "get", "design"))
        self.assertEqual(call("GET", S + "/flax-doc/params", expect=200), {"params": []})
        embed = call("GET", S + "/embed.v1/params", expect=200)
        self.assertEqual(embed["params"][0]["embedding"]["shape"], [5, 3])
        nobias = call("GET", S + "/all-layers/params", expect=200)
        self.assertEqual(set(nobias["params"][0]), {"kernel"})
        call("GET", S + "/nope/params", expect=404)
        call("GET", S + "/-bad/params", expect=400)

        # Delete.
        call("DELETE", S + "/bare", expect=204)
        call("DELETE", S + "/bare", expect=404)
        call("DELETE", S + "/-bad", expect=400)
        call("GET", S + "/bare", expect=404)
        self.done.add("test_10_sessions")

    # ------------------------------------------------------------------ random
    def test_20_random(self):
        call = self.call
        # Every example request gives its example response.
        for path, item in SPEC["paths"].items():
            if not path.startswith("/v1/random/"):
                continue
            op = item["post"]
            reqs = op["requestBody"]["content"]["application/json"].get("examples", {})
            outs = resolve(op["responses"]["200"])["content"]["application/json"].get("examples", {})
            self.assertTrue(reqs, "%s has no request example" % path)
            for name, ex in reqs.items():
                got = call("POST", path, ex["value"], expect=200)
                if name in outs:
                    self.assertEqual(got, outs[name]["value"], "%s example %s" % (path, name))
        key = [0, 7]
        ok = [
            ("key", {"seed": [5, 6], "threefry": "legacy"}),
            ("key", {"seed": -9223372036854775808}),
            ("fold_in", {"key": key, "data": 4294967295, "threefry": "legacy"}),
            ("split", {"key": key}),
            ("split", {"key": key, "num": [2, 3], "threefry": "legacy"}),
            ("split", {"key": key, "num": 0}),
            ("bits", {"key": key}),
            ("bits", {"key": key, "shape": [2], "bit_width": 8}),
            ("bits", {"key": key, "shape": [2], "bit_width": 16, "threefry": "legacy"}),
            ("bits", {"key": key, "shape": [2, 2], "bit_width": 32}),
            ("bits", {"key": key, "shape": [0], "bit_width": 64}),
            ("uniform", {"key": key, "shape": [3], "minval": -2.5, "maxval": 2.5}),
            ("uniform", {"key": key, "shape": [2], "minval": 3, "maxval": 1}),
            # maxval - minval overflows float32: non-finite elements, written as strings.
            ("uniform", {"key": key, "shape": [2], "minval": -3e38, "maxval": 3e38}),
            ("normal", {"key": key}),
            ("normal", {"key": key, "shape": [2, 2], "threefry": "legacy"}),
            ("truncated_normal", {"key": key, "shape": [2], "lower": -1e300, "upper": 0}),
            ("bernoulli", {"key": key, "shape": [3], "p": 2}),
            ("randint", {"key": key, "shape": [3], "minval": -2147483648, "maxval": 2147483647}),
            ("permutation", {"key": key, "n": 0}),
            ("permutation", {"key": key, "n": 10, "threefry": "legacy"}),
            # lower >= upper: JAX does not raise (nextafter(upper, -inf) everywhere)
            ("truncated_normal", {"key": key, "shape": [2], "lower": 1, "upper": 1}),
            # array parameters: numbers, nested lists, Tensor objects; broadcast as in JAX
            ("uniform", {"key": key, "shape": [2, 3], "minval": [0, 10, 100], "maxval": [[1], [200]]}),
            ("uniform", {"key": key, "shape": [0, 3], "minval": [0, 1, 2]}),
            ("uniform", {"key": key, "minval": [[1.5]], "maxval": 2, "shape": [1, 1]}),
            ("truncated_normal", {"key": key, "lower": [-1, 0, -1e39], "upper": [[1], [2]]}),
            ("truncated_normal", {"key": key, "lower": {"shape": [2], "dtype": "int32", "data": [-1, 0]},
                                  "upper": 3, "shape": [3, 2], "dtype": "float32"}),
            ("bernoulli", {"key": key, "p": [0.1, 0.9, 0.5]}),
            ("bernoulli", {"key": key, "p": [[0.1], [1e-8]], "shape": [2, 3], "mode": "high"}),
            ("randint", {"key": key, "minval": [[0], [10]], "maxval": [5, 20, 30]}),
            ("randint", {"key": key, "shape": [2], "minval": {"shape": [2], "dtype": "int32", "data": [0, 5]},
                         "maxval": 9, "dtype": "int32"}),
            ("randint", {"key": key, "minval": 0, "maxval": 3}),
            ("bits", {"key": key, "shape": [2], "dtype": "uint16"}),
            ("bits", {"key": key, "shape": [2], "dtype": "uint64", "bit_width": 64}),
        ]
        for op, body in ok:
            call("POST", "/v1/random/" + op, body, expect=200)
        split = call("POST", "/v1/random/split", {"key": key, "num": [2, 3]}, expect=200)
        self.assertEqual((len(split["keys"]), split["shape"]), (6, [2, 3]))
        bad = [
            ("key", {}), ("key", {"seed": "1"}), ("key", {"seed": 1, "key": [0, 1]}),
            ("key", {"seed": 1, "threefry": "fast"}),
            ("fold_in", {"key": key}), ("fold_in", {"key": key, "data": -1}),
            ("fold_in", {"key": [0, 1, 2], "data": 1}),
            ("split", {"key": key, "num": -1}), ("split", {"key": key, "num": [2, -1]}),
            ("split", {"num": 2}),
            ("bits", {"key": key, "bit_width": 12}), ("bits", {"key": [0, 4294967296]}),
            ("bits", {"key": key, "shape": [1, 1, 1, 1, 1, 1, 1, 1, 1]}),
            ("uniform", {"key": key, "low": 0}),
            ("normal", {"key": key, "shape": "3"}), ("normal", {"key": key, "mean": 0}),
            ("truncated_normal", {"key": key, "shape": [2]}),
            ("bernoulli", {"key": key, "p": "half"}),
            ("randint", {"key": key, "shape": [2], "minval": 0}),
            ("randint", {"key": key, "shape": [2], "minval": 0, "maxval": 3000000000}),
            ("permutation", {"key": key}), ("permutation", {"key": key, "n": -1}),
            ("permutation", {"key": key, "n": 2147483648}),
            ("uniform", {"key": key, "minval": "0"}), ("uniform", {"key": key, "minval": [0, "1"]}),
            ("uniform", {"key": key, "minval": {"shape": [2], "data": [0, 1], "x": 1}}),
            ("uniform", {"key": key, "minval": {"shape": [2], "dtype": "bool", "data": [0, 1]}}),
            ("uniform", {"key": key, "dtype": "float64"}), ("uniform", {"key": key, "dtype": "int32"}),
            ("normal", {"key": key, "dtype": "bfloat16"}), ("randint", {"key": key, "minval": 0,
                                                                       "maxval": 2, "dtype": "uint8"}),
            ("randint", {"key": key, "minval": [0, 2147483648], "maxval": 9}),
            ("randint", {"key": key, "minval": [0.5], "maxval": 9}),
            ("bernoulli", {"key": key, "mode": "medium"}), ("bits", {"key": key, "dtype": "int8"}),
        ]
        for op, body in bad:
            call("POST", "/v1/random/" + op, body, expect=400, schema_rejects=True)
        # Semantic 400s: shapes that do not broadcast (JAX raises), a bound that is not
        # finite as a float32.
        call("POST", "/v1/random/truncated_normal", {"key": key, "lower": [1, 2], "upper": [1, 2, 3]},
             expect=400)
        call("POST", "/v1/random/uniform", {"key": key, "shape": [2], "minval": [[0], [1], [2]]}, expect=400)
        call("POST", "/v1/random/randint", {"key": key, "shape": [3], "minval": [0, 1], "maxval": 9},
             expect=400)
        call("POST", "/v1/random/uniform", {"key": key, "maxval": 1e39}, expect=400)
        call("POST", "/v1/random/uniform", {"key": key, "shape": [2], "maxval": [1, 1e39]}, expect=400)
        call("POST", "/v1/random/bits", {"key": key, "dtype": "uint8", "bit_width": 16}, expect=400)
        # The listing is the table.
        self.assertEqual(call("GET", "/v1/random", expect=200), {"operations": TABLES["operations"]})
        call("HEAD", "/v1/random", expect=200)
        call("POST", "/v1/random/nope", {"key": key}, expect=404)
        self.done.add("test_20_random")

    # -------------------------------------------------------------------- init
    def test_30_init(self):
        call = self.call
        for path, item in SPEC["paths"].items():
            if not path.startswith("/v1/init/") or "{" in path:
                continue
            op = item["post"]
            reqs = op["requestBody"]["content"]["application/json"]["examples"]
            outs = resolve(op["responses"]["200"])["content"]["application/json"].get("examples", {})
            for name, ex in reqs.items():
                got = call("POST", path, ex["value"], expect=200)
                if name in outs:
                    self.assertEqual(got, outs[name]["value"], "%s example %s" % (path, name))
            call("POST", path, {"key": [0, 1], "shape": [2, 2], "threefry": "legacy"}, expect=200)
        tmpl = "/v1/init/{initializer}"
        req, out = self.example(tmpl, "post", "kernel")
        for name in SPEC["components"]["schemas"]["PlainInitializerName"]["enum"]:
            got = call("POST", "/v1/init/" + name, req, expect=200)
            if name == "lecun_normal":
                self.assertEqual(got, out)
        call("POST", "/v1/init/he_uniform", {"key": [0, 1], "shape": [3, 2, 4], "threefry": "legacy"},
             expect=200)
        call("POST", "/v1/init/variance_scaling",
             {"key": [0, 1], "shape": [4, 3], "in_axis": 1, "out_axis": 0, "mode": "fan_out"}, expect=200)
        call("POST", "/v1/init/lecun_normal", {"key": [0, 1], "shape": [3]}, expect=400)
        call("POST", "/v1/init/lecun_normal", {"key": [0, 1], "shape": [3, 0]}, expect=400)
        call("POST", "/v1/init/lecun_normal", {"key": [0, 1], "shape": [2, 2], "scale": 1},
             expect=400, schema_rejects=True)
        call("POST", "/v1/init/zeros", {"key": [0, 1]}, expect=400, schema_rejects=True)
        call("POST", "/v1/init/ones", {"shape": [2]}, expect=400, schema_rejects=True)
        call("POST", "/v1/init/normal", {"key": [0, 1], "shape": [2], "stddev": "big"},
             expect=400, schema_rejects=True)
        call("POST", "/v1/init/uniform", {"key": [0, 1], "shape": [2], "stddev": 1},
             expect=400, schema_rejects=True)
        call("POST", "/v1/init/truncated_normal", {"key": [0, 1], "shape": [2], "scale": 1},
             expect=400, schema_rejects=True)
        call("POST", "/v1/init/constant", {"key": [0, 1], "shape": [2], "value": 1e39}, expect=400)
        call("POST", "/v1/init/variance_scaling", {"key": [0, 1], "shape": [2, 2], "scale": 0},
             expect=400, schema_rejects=True)
        call("POST", "/v1/init/variance_scaling", {"key": [0, 1], "shape": [2, 2], "mode": "fan_max"},
             expect=400, schema_rejects=True)
        call("POST", "/v1/init/variance_scaling", {"key": [0, 1], "shape": [2, 2], "in_axis": 5}, expect=400)
        call("POST", "/v1/init/orthogonal", {"key": [0, 1], "shape": [2, 2]}, expect=404)
        self.done.add("test_30_init")

    # -------------------------------------------------------------- operations
    def test_40_operations(self):
        self.assertEqual(self.call("GET", "/v2/health/live", expect=200), {})
        self.assertEqual(self.call("GET", "/v2/health/ready", expect=200), {})
        text = self.call("GET", "/metrics", expect=200)
        self.assertIn("keyfold_requests_total", text)
        self.call("HEAD", "/v2/health/live", expect=200)
        snap = self.call("POST", "/v1/admin/snapshot", {}, expect=200)
        self.assertTrue(os.path.isfile(snap["path"]), snap)
        self.call("POST", "/v1/admin/snapshot", {}, expect=409, daemon=self.small)
        self.call("GET", "/v1/nope", expect=404)
        self.call("GET", "/", expect=404)
        # 405 on every path item for a method it does not define; Allow lists
        # exactly the spec's methods of the path.
        samples = {"{name}": "exp1", "{initializer}": "he_normal"}
        for path, item in SPEC["paths"].items():
            concrete = path
            for k, v in samples.items():
                concrete = concrete.replace(k, v)
            self.assertNotIn("{", concrete)
            for m in ("GET", "POST", "PUT", "DELETE", "PATCH"):
                if m.lower() not in item:
                    self.call(m, concrete, expect=405)
        self.done.add("test_40_operations")

    # ------------------------------------------- 413 and 415 on every POST op
    def test_50_errors_everywhere(self):
        samples = {"{name}": "exp1", "{initializer}": "glorot_normal"}
        big = json.dumps({"pad": "x" * 2048}).encode()
        for path, item in SPEC["paths"].items():
            if "post" not in item:
                continue
            concrete = path
            for k, v in samples.items():
                concrete = concrete.replace(k, v)
            self.call("POST", concrete, raw=b'{"a": 1}', ctype="text/plain", expect=415)
            self.call("POST", concrete, raw=b'{"a": 1}', ctype="application/x-www-form-urlencoded",
                      expect=415)
            self.call("POST", concrete, raw=b'{"a": ', expect=400)
            self.call("POST", concrete, raw=big, expect=413, daemon=self.small)
        self.done.add("test_50_errors_everywhere")

    # ------------------------------------------------- element and session limits
    def test_60_limits(self):
        call, small = self.call, self.small
        S = "/v1/sessions"
        call("POST", S, {"name": "lim", "rngs": {"default": 0},
                         "model": {"layers": [{"type": "linear", "in_features": 2, "out_features": 2}]}},
             expect=201, daemon=small)
        call("POST", S, {"name": "huge", "rngs": {"default": 0},
                         "model": {"layers": [{"type": "linear", "in_features": 10, "out_features": 10}]}},
             expect=413, daemon=small)
        # Each parameter within --max-elements, together over --max-model-params.
        err = call("POST", S, {"name": "many", "rngs": {"default": 0}, "model": {"layers": [
            {"type": "linear", "in_features": 8, "out_features": 8, "use_bias": False},
            {"type": "linear", "in_features": 8, "out_features": 8}]}}, expect=413, daemon=small)
        self.assertIn("--max-model-params", err["error"]["message"])
        call("POST", S + "/lim/keys", {"n": 65}, expect=413, daemon=small)
        call("POST", S + "/lim/sample", {"distribution": "normal", "shape": [65]}, expect=413, daemon=small)
        call("POST", S + "/lim/forward", {"x": [[1.0, 1.0]] * 33}, expect=413, daemon=small)
        call("POST", S + "/lim/forward", {"x": [[1.0, 1.0]] * 32}, expect=200, daemon=small)
        key = [0, 1]
        for op, body in (("split", {"key": key, "num": 65}), ("split", {"key": key, "num": [8, 9]}),
                         ("bits", {"key": key, "shape": [65]}), ("uniform", {"key": key, "shape": [5, 13]}),
                         ("normal", {"key": key, "shape": [65]}),
                         ("truncated_normal", {"key": key, "shape": [65], "lower": -1, "upper": 1}),
                         ("bernoulli", {"key": key, "shape": [65]}),
                         ("randint", {"key": key, "shape": [65], "minval": 0, "maxval": 2}),
                         ("permutation", {"key": key, "n": 65}),
                         # an array parameter over the limit, and bounds whose broadcast is
                         ("uniform", {"key": key, "minval": [0.0] * 65}),
                         ("truncated_normal", {"key": key, "lower": [[-1]] * 9, "upper": [1] * 9}),
                         ("randint", {"key": key, "minval": {"shape": [65], "data": [0] * 65},
                                      "maxval": 3})):
            call("POST", "/v1/random/" + op, body, expect=413, daemon=small)
        call("POST", S + "/lim/sample", {"distribution": "bernoulli", "p": [[0.5]] * 8,
                                         "shape": [8, 9]}, expect=413, daemon=small)
        for path in ("/v1/init/lecun_uniform", "/v1/init/normal", "/v1/init/uniform",
                     "/v1/init/truncated_normal", "/v1/init/constant", "/v1/init/variance_scaling"):
            call("POST", path, {"key": key, "shape": [8, 9]}, expect=413, daemon=small)
        # Random ops that cannot exceed the element limit still refuse a big body.
        for op in ("key", "fold_in"):
            call("POST", "/v1/random/" + op, raw=json.dumps({"seed": 1, "pad": "x" * 1100}).encode(),
                 expect=413, daemon=small)
        call("POST", S, {"name": "second"}, expect=201, daemon=small)
        call("POST", S, {"name": "third"}, expect=429, daemon=small)
        call("POST", S + "/second/fork", {"name": "third"}, expect=429, daemon=small)
        call("DELETE", S + "/second", expect=204, daemon=small)
        call("POST", S, {"name": "third"}, expect=201, daemon=small)
        self.done.add("test_60_limits")

    # ------------------------------------------- .npy replies and bodies, 406
    def test_70_npy(self):
        """Every operation that documents an application/x-npy reply gives
        one for its examples (equal to the JSON reply), and 406 where
        documented; forward takes a .npy body."""
        import struct
        call = self.call
        samples = {"{initializer}": "he_normal"}
        S = "/v1/sessions"
        call("POST", S, {"name": "npy1", "rngs": {"default": 3},
                         "model": {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                                              {"type": "dropout", "rate": 0.5}]}}, expect=201)
        for path, item in SPEC["paths"].items():
            op = item.get("post")
            if not op or "406" not in op["responses"]:
                continue
            concrete = path.replace("{name}", "npy1")
            for k, v in samples.items():
                concrete = concrete.replace(k, v)
            reqs = op["requestBody"]["content"]["application/json"].get("examples", {})
            body = next(iter(reqs.values()))["value"] if reqs else {"key": [0, 1], "shape": [2, 2]}
            if path.endswith("/sample"):
                body = dict(body, stream="default")
            npy_ok = "application/x-npy" in resolve(op["responses"]["200"])["content"]
            with self.subTest(path=path):
                if npy_ok:
                    call("POST", concrete, body, expect=406, accept="text/html")
                    call("POST", concrete, body, expect=406, accept="application/*;q=0")
                    descr, shape, data = call("POST", concrete, body, expect=200,
                                              accept="application/x-npy")
                    js = call("POST", concrete, body, expect=200,
                              accept="application/x-npy;q=0.5, application/json")
                    if path.endswith("/forward"):
                        js = js["y"]
                    if not path.endswith(("/sample", "/forward")):  # stateful: a new draw
                        self.assertEqual(shape, js["shape"])
                        fmt = {"<f4": "f", "<i4": "i", "<u4": "I", "|b1": "?", "|u1": "B",
                               "<u2": "H", "<u8": "Q"}[descr]
                        values = list(struct.unpack("<%d%s" % (len(js["data"]), fmt), data))
                        want = [int(v) if descr == "<u8" else v for v in js["data"]]
                        self.assertEqual(values, want if descr != "<f4" else
                                         [struct.unpack("<f", struct.pack("<f", v))[0] for v in want])
                else:
                    call("POST", concrete, body, expect=406, accept="application/x-npy")
                    call("POST", concrete, body, expect=200, accept="application/x-npy, application/json;q=0.1")
        # .npy forward bodies.
        x = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + \
            b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }".ljust(117) + b"\n" + \
            struct.pack("<2f", 1.0, 1.0)
        F = S + "/npy1/forward"
        out = call("POST", F + "?deterministic=true", raw=x, ctype="application/x-npy", expect=200)
        self.assertEqual(out["y"]["shape"], [1, 3])
        call("POST", F, raw=x, ctype="application/x-npy", expect=200, accept="application/x-npy")
        call("POST", F + "?deterministic=maybe", raw=x, ctype="application/x-npy", expect=400)
        call("POST", F + "?deterministic=true", {"x": [[1.0, 1.0]]}, expect=400)
        call("POST", F, raw=x[:-1], ctype="application/x-npy", expect=400)
        call("POST", F, raw=x.replace(b"'<f4'", b"'>f4'"), ctype="application/x-npy", expect=400)
        # Over --max-elements of the small daemon (64; test_60 made "lim", linear 2 -> 2).
        big = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + \
            b"{'descr': '<f4', 'fortran_order': False, 'shape': (33, 2), }".ljust(117) + b"\n" + \
            struct.pack("<66f", *([1.0] * 66))
        call("POST", S + "/lim/forward", raw=big, ctype="application/x-npy", expect=413, daemon=self.small)
        call("POST", S + "/lim/forward", raw=big[:-8].replace(b"(33, 2)", b"(32, 2)"),
             ctype="application/x-npy", expect=200, daemon=self.small)
        call("POST", S + "/nope/forward", raw=x, ctype="application/x-npy", expect=404)
        call("POST", S + "/npy1/keys", raw=x, ctype="application/x-npy", expect=415)
        call("DELETE", S + "/npy1", expect=204)
        self.done.add("test_70_npy")

    # ----------------------------------------------------- snapshot and restore
    def test_80_restore(self):
        """A daemon started on a copy of a snapshot refuses every draw (409)
        until POST /v1/admin/restore advances its streams; reads and
        deterministic passes work throughout."""
        import shutil
        import tempfile
        call, S = self.call, "/v1/sessions"
        R = "/v1/admin/restore"
        call("POST", R, {"advance": 5}, expect=409)  # this store was never restored
        for body in ({}, {"advance": 0}, {"advance": 4294967296}, {"advance": "5"},
                     {"advance": 5, "sessions": ["fence1"]}):
            call("POST", R, body, expect=400, schema_rejects=True)
        call("POST", R, {"advance": 5}, expect=409, daemon=self.small)  # memory: no store
        call("POST", S, {"name": "fence1", "rngs": {"params": 0, "dropout": 1},
                         "model": {"layers": [{"type": "linear", "in_features": 2, "out_features": 2},
                                              {"type": "dropout", "rate": 0.5}]}}, expect=201)
        snap = call("POST", "/v1/admin/snapshot", {}, expect=200)["path"]
        data_dir = tempfile.mkdtemp(prefix="keyfold-restored-")
        try:
            shutil.copy(snap, os.path.join(data_dir, "keyfold.db"))
            fenced = Daemon.start("--data-dir", data_dir)
            try:
                before = call("GET", S + "/fence1", expect=200, daemon=fenced)
                names = call("GET", S, expect=200, daemon=fenced)["sessions"]
                for path, body in (("/keys", {"stream": "params"}),
                                   ("/sample", {"stream": "dropout", "distribution": "normal"}),
                                   ("/forward", {"x": [[1.0, 1.0]]})):
                    err = call("POST", S + "/fence1" + path, body, expect=409, daemon=fenced)
                    self.assertEqual(err["error"]["code"], "failed_precondition")
                status, _ = fenced.post("/v2/models/fence1/infer", {"inputs": [
                    {"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1.0, 1.0]}]})
                self.assertEqual(status, 409, "an Open Inference Protocol infer draws a dropout key")
                call("POST", S + "/fence1/forward", {"x": [[1.0, 1.0]], "deterministic": True},
                     expect=200, daemon=fenced)
                # params is at count 2 (the linear layer's draws): all or nothing.
                call("POST", R, {"advance": 4294967295}, expect=409, daemon=fenced)
                self.assertEqual(call("GET", S + "/fence1", expect=200, daemon=fenced), before)
                out = call("POST", R, {"advance": 1000}, expect=200, daemon=fenced)
                self.assertEqual(out, {"advanced_sessions": len(names), "advance": 1000})
                keys = call("POST", S + "/fence1/keys", {"stream": "params"}, expect=200, daemon=fenced)
                self.assertEqual(keys["counts"], [before["rngs"]["params"]["count"] + 1000])
                call("POST", R, {"advance": 1000}, expect=409, daemon=fenced)  # no longer fenced
            finally:
                self.assertEqual(fenced.stop(), 0)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        call("DELETE", S + "/fence1", expect=204)
        self.done.add("test_80_restore")

    # ---------------------------------------------------------------- coverage
    def test_99_every_operation_and_status_exercised(self):
        if set(self.SCENARIOS) - self.done:
            self.skipTest("needs every scenario to have run and passed: %s" %
                          sorted(set(self.SCENARIOS) - self.done))
        missing = []
        for path, m, op in spec_operations():
            for status in op["responses"]:
                key = (op["operationId"], status)
                if status in self.NEVER_EXPECTED or key in self.UNREACHABLE:
                    continue
                if key not in self.seen:
                    missing.append("%s %s %s (%s)" % (m.upper(), path, status, op["operationId"]))
        self.assertEqual(missing, [], "documented statuses no request exercised")
        self.assertIn(("(no operation)", "405"), self.seen)
        self.assertIn(("(no operation)", "404"), self.seen)


if __name__ == "__main__":
    unittest.main()
