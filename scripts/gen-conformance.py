#!/usr/bin/env python3
"""Writes proto/conformance/scenarios/*.json, the client conformance suite
(format: proto/conformance/README.md).

Every expected value comes from real JAX/Flax: the oracle vectors
tests/vectors/jax-oracle-flax-{0.12,0.10}.json (printed by jax/flax, see their
"notes"), only cases with "tolerance": "exact" and "tested" not false. Nothing
here asks the daemon for a value. The .npy files of the codec scenario are
built by hand below from the NumPy format specification (numpy/lib/format.py:
magic, version 1.0, a little-endian uint16 header length, the header dict
padded with spaces to a multiple of 64 bytes, then the raw data), not by any
client's codec.

    python3 scripts/gen-conformance.py            # (re)write the scenarios
    python3 scripts/gen-conformance.py --check    # exit 1 if a file differs

Deterministic: the same vectors give byte-identical files.
"""
import argparse
import json
import os
import struct
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
VECTORS = os.path.join(ROOT, "tests", "vectors")
OUT = os.path.join(ROOT, "proto", "conformance", "scenarios")
ERAS = {"0.12": "jax-oracle-flax-0.12.json", "0.10": "jax-oracle-flax-0.10.json"}
MODES = ("partitionable", "legacy")
STRUCT = {"float32": "f", "int32": "i", "uint32": "I", "uint8": "B", "uint16": "H", "bool": "B"}


def load():
    out = {}
    for era, fname in ERAS.items():
        with open(os.path.join(VECTORS, fname)) as f:
            doc = json.load(f)
        # Only what JAX printed and keyfold must reproduce bit for bit.
        out[era] = [c for c in doc["cases"]
                    if c.get("tolerance") == "exact" and c.get("tested", True) is not False
                    and not c.get("x64")]
    return out


def source(era, ids):
    return "real JAX/Flax: tests/vectors/%s cases %s" % (ERAS[era], ", ".join(ids))


def find(cases, case_id):
    for c in cases:
        if c["id"] == case_id:
            return c
    raise SystemExit("gen-conformance: no exact case %r in the vectors" % case_id)


def tensor(dtype, shape, hexdata):
    """A normalized tensor (README: 'tensor'). The vectors write bool as uint8
    0/1 bytes already, the README's form."""
    return {"dtype": dtype, "shape": list(shape), "hex": hexdata}


def tensor_of(values, dtype, shape):
    return tensor(dtype, shape, struct.pack("<%d%s" % (len(values), STRUCT[dtype]), *values).hex())


def keys_of(hexdata):
    """uint32 key data [hi, lo] pairs from the vectors' little-endian bytes."""
    raw = bytes.fromhex(hexdata)
    words = struct.unpack("<%dI" % (len(raw) // 4), raw)
    return [[words[i], words[i + 1]] for i in range(0, len(words), 2)]


def flat(nested):
    if isinstance(nested, list):
        return [x for item in nested for x in flat(item)]
    return [nested]


def shape_of(nested):
    dims = []
    while isinstance(nested, list):
        dims.append(len(nested))
        nested = nested[0] if nested else None
    return dims


def scenario(name, description, src, steps):
    return {"format": 1, "name": name, "description": description, "source": src,
            "daemon": {"durability": "memory"}, "steps": steps}


# --------------------------------------------------------------------------- stateless

def random_keys(v):
    """key, fold_in, split in both threefry modes (the key functions do not
    depend on the mode, which is exactly what JAX's vectors show)."""
    steps, ids = [], []
    for mode in MODES:
        for cid in ("key/%s/seed=0" % mode, "key/%s/seed=42" % mode, "key/%s/seed=-1" % mode):
            c = find(v["0.12"], cid)
            ids.append(c["id"])
            steps.append({"call": "random", "args": {"op": "key", "args": {
                "seed": c["args"]["seed"], "threefry": mode}}, "expect": keys_of(c["expect"])[0]})
        folds = sorted((c for c in v["0.12"] if c["op"] == "fold_in" and c["mode"] == mode),
                       key=lambda c: c["id"])[:4]
        for c in folds:
            ids.append(c["id"])
            steps.append({"call": "random", "args": {"op": "fold_in", "args": dict(
                c["args"], threefry=mode)}, "expect": keys_of(c["expect"])[0]})
        splits = [c for c in v["0.12"] if c["op"] == "split" and c["mode"] == mode
                  and isinstance(c["args"]["num"], int) and 2 <= c["args"]["num"] <= 4][:3]
        for c in splits:
            ids.append(c["id"])
            steps.append({"call": "random", "args": {"op": "split", "args": dict(
                c["args"], threefry=mode)}, "expect": keys_of(c["expect"])})
    return scenario("random-keys", "jax.random.key, fold_in and split through the client's "
                    "random operation, in both threefry modes", source("0.12", ids), steps)


def pick(cases, op, mode, n, small=24, pred=lambda c: True):
    """The first n exact cases of op in mode (by id) with at most `small`
    elements: scenario files stay readable."""
    out = []
    for c in sorted(cases, key=lambda c: c["id"]):
        if c["op"] != op or c["mode"] != mode:
            continue
        size = 1
        for d in c["shape"]:
            size *= d
        if c["op"] == op and c["mode"] == mode and 0 < size <= small and pred(c):
            out.append(c)
            if len(out) == n:
                break
    return out


def random_body(c):
    a = dict(c["args"])
    if c["op"] == "sample":
        body = {"key": a["key"], "shape": a["shape"]}
        body.update(a["params"])
        return a["sampler"], body
    return c["op"], a


def random_tensors(v):
    """Tensor-valued stateless operations with exact JAX results: uniform,
    bits, randint, bernoulli, permutation and samplers (float32 and int32),
    both modes. Samplers come from the flax-0.12 file only: jaxlib 0.10.2
    printed it, the jaxlib keyfold's stateless samplers follow."""
    steps, ids = [], []
    scalar = lambda c: all(not isinstance(x, (dict, str)) for x in c["args"]["params"].values())  # noqa: E731
    for mode in MODES:
        chosen = (pick(v["0.12"], "uniform", mode, 2) + pick(v["0.12"], "bits", mode, 2)
                  + pick(v["0.12"], "randint", mode, 2) + pick(v["0.12"], "bernoulli", mode, 1)
                  + pick(v["0.12"], "permutation", mode, 1))
        for sampler in ("exponential", "gumbel", "laplace", "cauchy", "rademacher", "geometric",
                        "triangular", "pareto"):
            chosen += pick(v["0.12"], "sample", mode, 1,
                           pred=lambda c, s=sampler: c["args"]["sampler"] == s and scalar(c)
                           and len(c["shape"]) > 0)
        for c in chosen:
            op, body = random_body(c)
            body["threefry"] = mode
            ids.append(c["id"])
            # The vectors write a bool result as numpy's uint8 0/1 bytes; the
            # API's dtype for it is "bool" (same bytes, README's tensor form).
            dtype = "bool" if op == "bernoulli" else c["dtype"]
            steps.append({"call": "random", "args": {"op": op, "args": body},
                          "expect": tensor(dtype, c["shape"], c["expect"])})
    return scenario("random-tensors", "stateless samplers returning tensors (float32 bit "
                    "patterns, int32, uint8/uint32 bits, bool), both threefry modes",
                    source("0.12", ids), steps)


# --------------------------------------------------------------------------- sessions

def rngs_scenario(v, era, cid, name):
    """An nnx.Rngs without a model: create_session, then each call of the
    case as a keys step (a reseed as a reseed step), then delete."""
    c = find(v[era], cid)
    a = c["args"]
    keys = keys_of(c["expect"])
    sess = "{{run}}-" + name
    steps = [{"call": "create_session", "args": {
        "name": sess, "rngs": a["streams"], "options": {"flax": era, "threefry": c["mode"]}},
        "expect": {"name": sess, "options": {"flax": era, "threefry": c["mode"]}, "model": None}}]
    i = 0
    for call in a["calls"]:
        if isinstance(call, dict):
            steps.append({"call": "reseed", "args": {"name": sess, "streams": call["reseed"]}})
            continue
        args = {"name": sess}
        if call is not None:
            args["stream"] = call
        steps.append({"call": "keys", "args": args,
                      "expect": {"stream": call if call is not None else "default",
                                 "keys": [keys[i]]}})
        i += 1
    steps += [{"call": "delete_session", "args": {"name": sess}, "expect": None},
              {"call": "get_session", "args": {"name": sess},
               "error": {"status": 404, "code": "not_found"}}]
    return steps, c["id"]


def session_rngs(v):
    steps, ids = [], []
    for era, cid, name in (("0.12", "flax_rngs/partitionable/docstring", "doc"),
                           ("0.12", "flax_rngs/legacy/fallback-shares-count", "fallback"),
                           ("0.10", "flax_rngs/partitionable/reseed", "reseed10"),
                           ("0.12", "flax_rngs/partitionable/negative-and-big-seeds", "seeds")):
        s, i = rngs_scenario(v, era, cid, name)
        steps += s
        ids.append("%s (%s)" % (i, ERAS[era]))
    return scenario("session-rngs", "nnx.Rngs sessions without a model: create, keys from named "
                    "streams, the default fallback, reseed (Flax 0.10), delete",
                    "real Flax: tests/vectors flax_rngs cases " + ", ".join(ids), steps)


def session_rngs_of(state):
    """The expected `rngs` of a session (README 'session') for a Flax STATE:
    every stream of the session's Rngs with its key and count."""
    return {st["name"]: {"key": st["key"], "count": st["count"]} for st in state["rngs"]}


def model_layers(state, nlayers):
    """Flax >= 0.11: each layer of the echoed model, with the stream it holds
    (path, tag, key, count) for a Dropout."""
    held = {int(m["path"].split(".")[1]): m for m in state["model"]}
    return [{"rngs": held[i]} if i in held else {} for i in range(nlayers)]


def input_tensor(nested, embed):
    dtype = "int32" if embed else "float32"
    return tensor_of(flat(nested), dtype, shape_of(nested))


def flax_session(v, era, cid, name, npy_forward=False):
    """One flax_session case as a scenario: create (with model and options),
    params, then each step (forward, reseed, draw, fork), each followed by a
    get_session checking every stream."""
    c = find(v[era], cid)
    a, exp = c["args"], c["expect"]
    sess = "{{run}}-" + name
    options = {"flax": era, "threefry": c["mode"]}
    nlayers = len(a["layers"])
    embed = a["layers"][0]["type"] == "embed"

    def expected_session(state):
        s = {"name": sess, "options": options, "rngs": session_rngs_of(state)}
        # Flax 0.10's Dropouts hold the session's own Rngs (no streams of
        # their own); from 0.11 on each holds a forked stream, shown per layer.
        if era != "0.10":
            s["model"] = {"layers": model_layers(state, nlayers)}
        return s

    steps = [{"call": "create_session",
              "args": {"name": sess, "rngs": a["rngs"], "model": {"layers": a["layers"]},
                       "options": options},
              "expect": expected_session(exp["built"])}]
    layers = [{} for _ in range(nlayers)]
    for p in exp["params"]:
        _, i, pname = p["path"].split(".")
        val = p["value"]
        layers[int(i)][pname] = tensor(val["dtype"], val["shape"], val["expect"])
    steps.append({"call": "params", "args": {"name": sess}, "expect": layers})
    nforward = 0
    for i, (step, want) in enumerate(zip(a["steps"], exp["steps"])):
        if "forward" in step:
            args = {"name": sess, "x": input_tensor(a["inputs"][step["forward"]], embed)}
            if step["deterministic"] is not None:
                args["deterministic"] = step["deterministic"]
            # Every other forward pass goes as .npy both ways when asked, so
            # both encodings meet the same Flax values.
            if npy_forward and nforward % 2 == 1:
                args["encoding"] = "npy"
            nforward += 1
            y = want["y"]
            steps.append({"call": "forward", "args": args,
                          "expect": tensor(y["dtype"], y["shape"], y["expect"])})
        elif "reseed" in step:
            args = {"name": sess, "streams": step["reseed"]}
            for k in ("target", "policy"):
                if k in step:
                    args[k] = step[k]
            st = {"call": "reseed", "args": args}
            if step.get("keyfold_rejects"):
                # Flax ignores a tag no stream of the target has; keyfold's
                # API refuses it, and the session must stay as Flax left it.
                st["error"] = {"status": 400, "code": "invalid_argument"}
            steps.append(st)
        elif "draw" in step:
            args = {"name": sess}
            if step["draw"] is not None:
                args["stream"] = step["draw"]
            steps.append({"call": "keys", "args": args, "expect": {"keys": [want["key"]]}})
        elif "fork" in step:
            child = "%s-child-%d" % (sess, i)
            args = {"name": sess, "child": child}
            if step["fork"] is not None:
                args["streams"] = step["fork"]
            steps.append({"call": "fork", "args": args, "expect": {
                "name": child, "rngs": {ch["name"]: {"key": ch["key"], "count": ch["count"]}
                                        for ch in want["child"]}}})
        else:
            raise SystemExit("gen-conformance: unknown step %r in %s" % (step, cid))
        steps.append({"call": "get_session", "args": {"name": sess},
                      "expect": expected_session(want["state"])})
    return steps, "%s (%s)" % (c["id"], ERAS[era])


def flax_scenario(v, name, description, cases):
    steps, ids = [], []
    for args in cases:
        s, i = flax_session(v, *args)
        steps += s
        ids.append(i)
    return scenario(name, description, "real Flax: tests/vectors flax_session cases " + ", ".join(ids),
                    steps)


# --------------------------------------------------------------------------- npy

def npy_file(dtype, shape, payload, growth=True):
    """A .npy file by the format spec (NumPy's format.py, version 1.0): the
    header dict as numpy.save writes it, with the 21-digit room numpy leaves
    for the first dimension to grow when `growth`, space-padded and ended by a
    newline so that magic + length + header is a multiple of 64 bytes."""
    descr = {"float32": "<f4", "int32": "<i4", "uint32": "<u4", "bool": "|b1", "uint8": "|u1"}[dtype]
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    if growth and shape:
        header += " " * (21 - len(str(shape[0])))
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


def npy_codec(v):
    """npy_encode gives numpy.save's exact bytes; npy_decode reads them and a
    header without the growth room (older numpy wrote that). Tensors: JAX's
    Linear kernel (float32 bit patterns), an int32 draw, a bool draw, a
    0-d float32 and an empty int32 permutation."""
    kern = find(v["0.12"], "flax_session/partitionable/reseed-docstring/all")["expect"]["params"]
    kernel = next(p["value"] for p in kern if p["path"].endswith("kernel"))
    rint = pick(v["0.12"], "randint", "partitionable", 1, pred=lambda c: len(c["shape"]) == 2)
    bern = pick(v["0.12"], "bernoulli", "partitionable", 1, pred=lambda c: len(c["shape"]) == 1)
    unif0 = find(v["0.12"], "uniform/partitionable/key(0)/[]/[0,1)")
    perm0 = find(v["0.12"], "permutation/partitionable/key(0)/0")
    items = [(kernel["dtype"], kernel["shape"], kernel["expect"]),
             (rint[0]["dtype"], rint[0]["shape"], rint[0]["expect"]),
             ("bool", bern[0]["shape"], bern[0]["expect"]),
             (unif0["dtype"], unif0["shape"], unif0["expect"]),
             (perm0["dtype"], perm0["shape"], perm0["expect"])]
    steps = []
    for dtype, shape, h in items:
        t = tensor(dtype, shape, h)
        f = npy_file(dtype, shape, bytes.fromhex(h))
        steps.append({"call": "npy_encode", "args": {"tensor": t}, "expect": {"hex": f.hex()}})
        steps.append({"call": "npy_decode", "args": {"hex": f.hex()}, "expect": t})
        steps.append({"call": "npy_decode",
                      "args": {"hex": npy_file(dtype, shape, bytes.fromhex(h), growth=False).hex()},
                      "expect": t})
    ids = ["flax_session/partitionable/reseed-docstring/all", rint[0]["id"], bern[0]["id"],
           unif0["id"], perm0["id"]]
    return scenario("npy-codec", "the client's .npy codec on hand-built .npy files (NumPy format "
                    "1.0) holding JAX's tensors", source("0.12", ids)
                    + "; .npy bytes built by scripts/gen-conformance.py from the NumPy format spec",
                    steps)


# --------------------------------------------------------------------------- listing, errors

def pagination(v):
    """Seven sessions under one prefix (plus one outside it), listed in pages
    of 2 and 3: the client must iterate every page, in byte order."""
    names = ["{{run}}-page-%s" % s for s in ("a", "b", "c", "d", "e", "f", "g")]
    steps = [{"call": "create_session", "args": {"name": n, "rngs": {"params": i}}}
             for i, n in enumerate(reversed(names))]
    steps.append({"call": "create_session", "args": {"name": "{{run}}-pagf", "rngs": {"params": 0}}})
    for size in (2, 3, 7, 100):
        steps.append({"call": "list_sessions", "args": {"prefix": "{{run}}-page-", "page_size": size},
                      "expect": names})
    steps.append({"call": "list_sessions", "args": {"prefix": "{{run}}-none-", "page_size": 2},
                  "expect": []})
    steps.append({"call": "delete_session", "args": {"name": names[3]}, "expect": None})
    steps.append({"call": "list_sessions", "args": {"prefix": "{{run}}-page-", "page_size": 3},
                  "expect": names[:3] + names[4:]})
    return scenario("pagination", "list_sessions over several pages (page_size 2, 3, 7, 100), "
                    "a prefix that matches nothing, and a delete in between",
                    "no computed values: names and their byte order", steps)


def errors(v):
    """Typed errors: each step must raise the client's error type for the
    code, carrying status and message."""
    k0 = find(v["0.12"], "key/partitionable/seed=0")
    s = "{{run}}-err"
    nf = {"status": 404, "code": "not_found"}
    bad = {"status": 400, "code": "invalid_argument"}
    steps = [
        {"call": "get_session", "args": {"name": "{{run}}-missing"}, "error": nf},
        {"call": "delete_session", "args": {"name": "{{run}}-missing"}, "error": nf},
        {"call": "keys", "args": {"name": "{{run}}-missing"}, "error": nf},
        {"call": "create_session", "args": {"name": s, "rngs": {"params": 0}},
         "expect": {"name": s, "rngs": {"params": {"key": keys_of(k0["expect"])[0], "count": 0}},
                    "model": None}},
        {"call": "create_session", "args": {"name": s, "rngs": {"params": 1}},
         "error": {"status": 409, "code": "already_exists"}},
        # a forward pass needs a model
        {"call": "forward", "args": {"name": s, "x": tensor_of([1.0, 2.0], "float32", [1, 2])},
         "error": {"status": 409, "code": "failed_precondition"}},
        {"call": "fork", "args": {"name": s, "child": s}, "error": {"status": 409, "code": "already_exists"}},
        {"call": "keys", "args": {"name": s, "stream": "params", "n": 0}, "error": bad},
        {"call": "create_session", "args": {"name": "{{run}}-bad", "rngs": {"params": 0},
                                            "options": {"threefry": "sideways"}}, "error": bad},
        {"call": "create_session", "args": {"name": "{{run}}-bad", "rngs": {"params": 0},
                                            "options": {"flax": "0.9"}}, "error": bad},
        {"call": "sample", "args": {"name": s, "distribution": "no_such_sampler", "shape": [2]},
         "error": bad},
        {"call": "random", "args": {"op": "uniform", "args": {"key": [0, 0], "shape": [-1]}},
         "error": bad},
        {"call": "random", "args": {"op": "fold_in", "args": {"key": [0, 0], "data": -1}},
         "error": bad},
        # the refused calls left the stream where it was: the first draw is
        # fold_in(key(0), 0), as JAX prints it
        {"call": "keys", "args": {"name": s, "stream": "params"},
         "expect": {"counts": [0], "keys": [keys_of(find(v["0.12"], "fold_in/partitionable/key(0)/0")["expect"])[0]]}},
        {"call": "delete_session", "args": {"name": s}, "expect": None},
    ]
    return scenario("errors", "typed errors: 404 not_found, 409 already_exists and "
                    "failed_precondition, 400 invalid_argument for bad parameters; a refused "
                    "call leaves the stream alone", source("0.12", [k0["id"],
                                                               "fold_in/partitionable/key(0)/0"]),
                    steps)


def session_sample(v):
    """A session sample draws one key from its stream, then runs the stateless
    sampler with it. JAX printed bits(fold_in(key(1), 7), [7], bit_width):
    an Rngs(params=1) stream at count 7 draws exactly that key, so after
    seven keys the eighth draw's sample is JAX's, bit for bit (uint8, uint16,
    uint32, both threefry modes). Float samplers (normal, uniform with
    parameters) from a session are checked for dtype, shape and the stream's
    count only: the vectors hold no float sample for a key a stream reaches;
    their float32 bits are checked statelessly (random-tensors)."""
    k0 = find(v["0.12"], "key/partitionable/seed=0")
    steps, ids = [], [k0["id"]]
    for mode in MODES:
        for bw in (8, 16, 32):
            c = find(v["0.12"], "bits/%s/fold_in(key(1),7)/%d/[7]" % (mode, bw))
            ids.append(c["id"])
            s = "{{run}}-bits%d-%s" % (bw, mode)
            steps += [
                {"call": "create_session", "args": {"name": s, "rngs": {"params": 1},
                                                    "options": {"threefry": mode}}},
                {"call": "keys", "args": {"name": s, "stream": "params", "n": 7},
                 "expect": {"stream": "params", "source": "params", "counts": list(range(7))}},
                {"call": "sample", "args": {"name": s, "distribution": "bits", "shape": [7],
                                            "stream": "params", "params": {"bit_width": bw}},
                 "expect": tensor(c["dtype"], c["shape"], c["expect"])},
                {"call": "get_session", "args": {"name": s},
                 "expect": {"rngs": {"params": {"count": 8}}}},
                {"call": "delete_session", "args": {"name": s}, "expect": None},
            ]
    for mode in MODES:
        s = "{{run}}-smp-" + mode
        steps += [
            {"call": "create_session", "args": {"name": s, "rngs": {"params": 0},
                                                "options": {"threefry": mode}}},
            {"call": "sample", "args": {"name": s, "distribution": "normal", "shape": [2, 3],
                                        "stream": "params"},
             "expect": {"dtype": "float32", "shape": [2, 3]}},
            {"call": "sample", "args": {"name": s, "distribution": "uniform", "shape": [4],
                                        "stream": "params", "params": {"minval": -1.0, "maxval": 1.0}},
             "expect": {"dtype": "float32", "shape": [4]}},
            {"call": "get_session", "args": {"name": s},
             "expect": {"rngs": {"params": {"key": keys_of(k0["expect"])[0], "count": 2}}}},
        ]
    f2 = find(v["0.12"], "fold_in/partitionable/key(0)/2")
    ids.append(f2["id"])
    steps.append({"call": "keys", "args": {"name": "{{run}}-smp-partitionable", "stream": "params"},
                  "expect": {"counts": [2], "keys": [keys_of(f2["expect"])[0]]}})
    return scenario("session-sample", "session samples draw one key each from their stream: "
                    "bits bit for bit as JAX draws them with the stream's eighth key; normal and "
                    "uniform (with parameters) by dtype, shape and count; both threefry modes",
                    source("0.12", ids) + " (the key of the bits cases is "
                    "jax.random.fold_in(jax.random.key(1), 7), scripts/gen-vectors.py)", steps)


def build():
    v = load()
    return [
        random_keys(v),
        random_tensors(v),
        session_rngs(v),
        session_sample(v),
        flax_scenario(v, "flax-0.12-partitionable", "Flax 0.12 sessions (forked Dropout streams, "
                      "fold_in-style reseed by target, fork), partitionable threefry; forward "
                      "passes alternately as JSON and .npy",
                      [("0.12", "flax_session/partitionable/reseed-docstring/all", "doc", True),
                       ("0.12", "flax_session/partitionable/fork", "fork", True),
                       ("0.12", "flax_session/partitionable/reseed-unmatched-tag", "unmatched")]),
        flax_scenario(v, "flax-0.12-legacy", "Flax 0.12 sessions with legacy threefry",
                      [("0.12", "flax_session/legacy/reseed-docstring/model", "doc", True),
                       ("0.12", "flax_session/legacy/dropout-docstring-mlp", "mlp")]),
        flax_scenario(v, "flax-0.10", "Flax 0.10 sessions (the Dropout uses the session's Rngs; "
                      "reseed restarts a stream), both threefry modes",
                      [("0.10", "flax_session/partitionable/reseed-docstring/all", "doc", True),
                       ("0.10", "flax_session/legacy/dropout-docstring-mlp", "mlp"),
                       ("0.10", "flax_session/partitionable/embed-dropout", "embed", True)]),
        flax_scenario(v, "float32-exact", "float32 bit patterns end to end: denormal inputs, "
                      "twelve layers, params and outputs compared as bits",
                      [("0.12", "flax_session/partitionable/denormals", "denorm", True),
                       ("0.12", "flax_session/partitionable/twelve-layers", "twelve")]),
        npy_codec(v),
        pagination(v),
        errors(v),
    ]


def render(doc):
    return json.dumps(doc, indent=1, sort_keys=False) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args(argv)
    docs = build()
    wanted = {d["name"] + ".json": render(d) for d in docs}
    if args.check:
        bad = []
        present = set(f for f in os.listdir(args.out) if f.endswith(".json"))
        for fname, text in wanted.items():
            try:
                with open(os.path.join(args.out, fname)) as f:
                    if f.read() != text:
                        bad.append(fname + " differs")
            except FileNotFoundError:
                bad.append(fname + " missing")
        bad += [f + " is not generated" for f in sorted(present - set(wanted))]
        for b in bad:
            print("gen-conformance: " + b, file=sys.stderr)
        return 1 if bad else 0
    os.makedirs(args.out, exist_ok=True)
    for fname, text in wanted.items():
        with open(os.path.join(args.out, fname), "w") as f:
            f.write(text)
    print("gen-conformance: %d scenarios in %s" % (len(wanted), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
