#!/usr/bin/env python3
"""Generates the jax.random part of proto/openapi.yaml from the daemon's table.

Every operation of `keyfoldd --dump-tables` ("operations": JAX's name, where it
is offered, its parameters with their kinds, defaults and descriptions; the
table is server/ops.c) becomes, between the GENERATED markers of the YAML:

  * paths:   a path item POST /v1/random/<op> per operation offered there, its
             examples taken from proto/random-examples.yaml;
  * schemas: Random<Op>Request (the stateless body), Sample<Op>Request (the
             body of POST /v1/sessions/{name}/sample for that distribution) and
             SampleDistribution, the oneOf of the latter.

The rest of the document is written by hand and refers to these by name. The
test suite (tests/api/test_openapi.py) renders the same text from the running
daemon's table and fails when the committed YAML differs, so a parameter added
to a row of ops.c without regenerating fails the tests.

    scripts/gen-openapi-random.py                      # build/server/keyfoldd, or $KEYFOLDD
    scripts/gen-openapi-random.py --keyfoldd build-x/server/keyfoldd
    scripts/gen-openapi-random.py --tables tables.json # a saved --dump-tables
    scripts/gen-openapi-random.py --check              # exit 1 (and a diff) if out of date
"""
import argparse
import difflib
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SPEC = os.path.join(ROOT, "proto", "openapi.yaml")
EXAMPLES = os.path.join(ROOT, "proto", "random-examples.yaml")

# Region name -> (indent, begin marker, end marker).
REGIONS = {
    "paths": (2, "  # BEGIN GENERATED random paths (scripts/gen-openapi-random.py; do not edit)",
              "  # END GENERATED random paths"),
    "schemas": (4, "    # BEGIN GENERATED random schemas (scripts/gen-openapi-random.py; do not edit)",
                "    # END GENERATED random schemas"),
}

ERRORS = [("400", "BadRequest"), ("406", "NotAcceptable"), ("413", "PayloadTooLarge"),
          ("415", "UnsupportedMediaType"), ("500", "Internal"), ("503", "Unavailable")]

TENSORS = {"float32": "Float32Tensor", "int32": "Int32Tensor", "bool": "BoolTensor"}


def camel(name):
    return "".join(w[:1].upper() + w[1:] for w in name.split("_"))


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def with_doc(schema, p):
    """schema plus the parameter's default and description (a $ref is wrapped
    in allOf so that its siblings stay plain keywords)."""
    out = {"allOf": [schema]} if "$ref" in schema else dict(schema)
    if not p["required"] and p["default"] is not None:
        out["default"] = p["default"]
    if p["description"]:
        out["description"] = p["description"]
    return out


def param_schema(p):
    kind = p["kind"]
    if kind == "key":
        s = ref("Key")
    elif kind == "seed":
        s = ref("SeedOrKey")
    elif kind == "shape":
        s = ref("Shape")
    elif kind == "int_or_shape":
        s = {"oneOf": [{"type": "integer", "minimum": 0}, ref("Shape")]}
    elif kind == "float":
        s = ref("FloatParam") if p["array"] else {"type": "number"}
    elif kind == "int":
        if p["array"]:
            if (p["min"], p["max"]) != (-2147483648, 2147483647):
                raise SystemExit("%s: array int parameters are int32 (FloatParam/Int32Param)" % p["name"])
            s = ref("Int32Param")
        elif "values" in p:
            s = {"type": "integer", "enum": list(p["values"])}
        else:
            s = {"type": "integer", "minimum": p["min"], "maximum": p["max"]}
    elif kind in ("enum", "dtype"):
        s = {"type": "string", "enum": list(p["values"])}
    elif kind == "bool":
        s = {"type": "boolean"}
    elif kind == "axis":
        s = {"type": "integer", "minimum": p["min"], "maximum": p["max"]}
    else:
        raise SystemExit("unknown parameter kind %r of %s" % (kind, p["name"]))
    return with_doc(s, p)


def request_schema(op, session):
    """The stateless body (key + threefry + the parameters) or a /sample branch
    (stream + distribution + the parameters but the key)."""
    props, required = {}, []
    if session:
        props["stream"] = ref("StreamName")
        props["distribution"] = {"const": op["name"]}
        required.append("distribution")
    for p in op["params"]:
        if session and p["kind"] == "key":
            continue
        props[p["name"]] = param_schema(p)
        if p["required"]:
            required.append(p["name"])
    if not session:
        props["threefry"] = ref("Threefry")
    out = {"type": "object"}
    if required:
        out["required"] = required
    out["properties"] = props
    out["additionalProperties"] = False
    return out


BITS_DTYPES = ["uint8", "uint16", "uint32", "uint64"]


def ok_content(op):
    """The 200 reply's schema and description."""
    name = op["name"]
    if name in ("key", "fold_in"):
        return ref("KeyResponse"), "The key."
    if name == "split":
        return ref("SplitResponse"), "The keys and their shape."
    dtypes = next((p["values"] for p in op["params"] if p["kind"] == "dtype"), None)
    if dtypes and len(dtypes) > 1:
        # bits' dtypes are BitsTensor's (hand-written, with the uint64 note): name it.
        schema = ref("BitsTensor") if list(dtypes) == BITS_DTYPES else \
            {"allOf": [ref("Tensor"), {"properties": {"dtype": {"enum": list(dtypes)}}}]}
        return schema, "A Tensor of the dtype asked for (%s; uint64 elements as decimal strings)." % \
            ", ".join(dtypes)
    dt = op["dtype"]
    schema = ref(TENSORS[dt]) if dt in TENSORS else \
        {"allOf": [ref("Tensor"), {"properties": {"dtype": {"const": dt}}}]}
    return schema, "A %s Tensor." % dt


SHAPE_TEXT = {
    "scalar": "`shape` defaults to `[]` (JAX's `()`).",
    "scalar+array": "`shape` defaults to `[]` (JAX's `()`); array parameters must broadcast to it.",
    "broadcast": "`shape` absent (JAX's None) is the broadcast of the array parameters' shapes; "
                 "given, they must broadcast to exactly it (JAX's check and message, 400).",
    "concat": "The output's shape is `shape` followed by the broadcast of the array parameters' "
              "shapes (JAX's `shape + params_shapes`; an empty `shape` counts as those shapes).",
    "outer": "The draw has `shape` (default `[]`), which JAX does not check against the "
             "parameters: the output is the broadcast of `shape` and the array parameters' shapes, "
             "and elements along dimensions where `shape` is 1 share a draw.",
    "to": "`shape` absent (JAX's None) is the array parameters' shape; given, each must broadcast "
          "to it (jnp.broadcast_to, with its messages, 400).",
}

# Exactness of the samplers whose bits depend on more than the key (libkeyfold's
# random.h, scripts/gen-vectors.py's reasons), added to their descriptions.
GAMMA_EXACT = ("Bit-identical to jax.random.{op} of jaxlib 0.10.2 on Intel x86-64 (rsqrt "
               "'intel-nr2', the default here; the oracle's sample cases). 'sqrt-div' follows "
               "jaxlib <= 0.7.0 (0.6.2, Flax 0.10's), whose own log1p then differs on ~0.45% of "
               "arguments, and one different normal can change a whole draw. AMD's rsqrt "
               "estimate (jaxlib >= 0.7.2 on AMD) is not reproduced. Each element runs its own "
               "rejection loop: the run time depends on the draws.")
EXACTNESS = {op: GAMMA_EXACT.format(op=op)
             for op in ("gamma", "loggamma", "beta", "chisquare", "t", "f", "generalized_normal",
                        "dirichlet", "ball")}
YNN = (" From 4096 output elements on, jaxlib 0.10.2 hands the kernels to YNNPACK: keyfold follows "
       "its 16-lane row sum (ball) but not its softmax (dirichlet, whose exp and division YNNPACK "
       "computes itself), so dirichlet may differ there by a few ulps.")
EXACTNESS["dirichlet"] += YNN
EXACTNESS["ball"] += YNN
EXACTNESS.update({op: ("jax 0.10.2's algorithm (%s), bit-identical to jaxlib 0.10.2 (the oracle's "
                       "sample cases, and every measured draw: docs/libkeyfold.md); jaxlib 0.6.2's log1p may "
                       "differ by an ulp or change a loop's step." % how)
                   for op, how in (("wald", "a normal and a uniform from split(key)"),
                                   ("poisson", "Knuth's loop below lam = 10, Hörmann's PTRS above; "
                                               "threefry keys only, as in JAX"),
                                   ("binomial", "inversion for n * min(p, 1 - p) <= 10, BTRS above"),
                                   ("multinomial", "binomial counts category by category, as JAX's "
                                                   "scan draws them"),
                                   ("categorical", "argmax of gumbel + logits; gumbel top-k without "
                                                   "replacement"),
                                   ("choice", "randint, permutation, a cumsum search with p, gumbel "
                                              "top-k with p and without replacement"))})
EXACTNESS["multivariate_normal"] = (
    "Cholesky (method 'cholesky', JAX's default; 'svd' and 'eigh' are 400: their eigenvector signs "
    "are LAPACK's) as SciPy's OpenBLAS factors and XLA's dot sums: bit-identical to jaxlib 0.10.2 "
    "for n = 2..5 (measured on 2*10^5 draws); n = 1 and n >= 8 differ from it in the last bits "
    "(83% identical at n = 8, at most ~1e-6 absolute; docs/libkeyfold.md).")
EXACTNESS["orthogonal"] = (
    "Householder QR of a normal draw, signs by diag(r), as LAPACK and JAX: bit-identical to jaxlib "
    "0.10.2 for 1 x 1 and 2 x 2; larger matrices differ in the last bits where OpenBLAS's "
    "matrix-vector kernels sum in another order (87% identical at 3 x 3, 36% at 8 x 8, at most "
    "~1e-5 absolute; docs/libkeyfold.md).")


def path_item(op, examples):
    name = op["name"]
    if name not in examples:
        raise SystemExit("proto/random-examples.yaml has no example of %s" % name)
    req_examples, resp_examples = {}, {}
    for ex_name, ex in examples[name].items():
        e = {}
        if "summary" in ex:
            e["summary"] = ex["summary"]
        e["value"] = ex["request"]
        req_examples[ex_name] = e
        if "response" in ex:
            resp_examples[ex_name] = {"value": ex["response"]}
    schema, text = ok_content(op)
    content = {"application/json": {"schema": schema}}
    if resp_examples:
        content["application/json"]["examples"] = resp_examples
    if op["tensor"]:
        content["application/x-npy"] = {"schema": ref("NpyTensor")}
    post = {"operationId": "random" + camel(name), "tags": ["random"], "summary": op["summary"]}
    description = []
    arrays = any(p["array"] for p in op["params"])
    if arrays:
        description.append("Array parameters are numbers, nested lists or Tensor objects, broadcast "
                           "as in JAX (NumPy's rules).")
    rule = op["shape"] + ("+array" if arrays and op["shape"] == "scalar" else "")
    if rule in SHAPE_TEXT and any(p["name"] == "shape" for p in op["params"]):
        description.append(SHAPE_TEXT[rule])
    if name in EXACTNESS:
        description.append(EXACTNESS[name])
    if description:
        post["description"] = " ".join(description)
    post["requestBody"] = {"required": True, "content": {"application/json": {
        "schema": ref("Random%sRequest" % camel(name)), "examples": req_examples}}}
    responses = {"200": {"description": text, "headers": {"Vary": {"$ref": "#/components/headers/VaryAccept"}},
                         "content": content}}
    for status, resp in ERRORS:
        responses[status] = {"$ref": "#/components/responses/" + resp}
    post["responses"] = responses
    return {"description": "Other methods are 405 (`Allow: POST`).", "post": post}


def dump(obj, indent):
    text = yaml.safe_dump(obj, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True)
    pad = " " * indent
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def render(tables, examples):
    """Region name -> the YAML text between its markers."""
    ops = tables["operations"]
    paths, schemas, branches = {}, {}, []
    for op in ops:
        if op["random"]:
            paths["/v1/random/" + op["name"]] = path_item(op, examples)
            schemas["Random%sRequest" % camel(op["name"])] = request_schema(op, session=False)
    for op in ops:
        if op["session_sample"]:
            schemas["Sample%sRequest" % camel(op["name"])] = request_schema(op, session=True)
            branches.append(ref("Sample%sRequest" % camel(op["name"])))
    unused = sorted(set(examples) - {op["name"] for op in ops if op["random"]})
    if unused:
        raise SystemExit("proto/random-examples.yaml has examples of unknown operations: %s" % unused)
    schemas["SampleDistribution"] = {
        "description": "A `distribution` of POST /v1/sessions/{name}/sample with its parameters: "
                       "those of POST /v1/random/{distribution} but the key, which is drawn "
                       "from the stream.",
        "oneOf": branches}
    return {"paths": dump(paths, REGIONS["paths"][0]), "schemas": dump(schemas, REGIONS["schemas"][0])}


def splice(text, regions):
    for name, body in regions.items():
        _, begin, end = REGIONS[name]
        i = text.find(begin + "\n")
        j = text.find(end + "\n")
        if i < 0 or j < i:
            raise SystemExit("proto/openapi.yaml lacks the markers %r ... %r" % (begin, end))
        text = text[:i + len(begin) + 1] + body + text[j:]
    return text


def regions_of(text):
    out = {}
    for name, (_, begin, end) in REGIONS.items():
        i = text.find(begin + "\n")
        j = text.find(end + "\n")
        out[name] = text[i + len(begin) + 1:j] if 0 <= i < j else None
    return out


def load_tables(args):
    if args.tables:
        with open(args.tables, encoding="utf-8") as f:
            return json.load(f)
    binary = args.keyfoldd or os.environ.get("KEYFOLDD") or os.path.join(ROOT, "build", "server", "keyfoldd")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYFOLD_")}
    out = subprocess.run([binary, "--dump-tables"], env=env, check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)


def load_examples():
    with open(EXAMPLES, encoding="utf-8") as f:
        return yaml.safe_load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keyfoldd", help="the daemon whose --dump-tables to read")
    ap.add_argument("--tables", help="a saved --dump-tables output instead")
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 when out of date")
    args = ap.parse_args()
    with open(SPEC, encoding="utf-8") as f:
        text = f.read()
    new = splice(text, render(load_tables(args), load_examples()))
    if args.check:
        if new != text:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                       "proto/openapi.yaml", "generated"))
            return 1
        return 0
    if new != text:
        with open(SPEC, "w", encoding="utf-8") as f:
            f.write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
