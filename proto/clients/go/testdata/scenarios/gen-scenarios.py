#!/usr/bin/env python3
"""Writes this module's own conformance scenarios (go-*.json) from the committed JAX oracle
vectors (tests/vectors/jax-oracle-flax-0.12.json, values printed by real JAX and Flax) and the
.npy files numpy.save wrote (../npy/). Never from a daemon's output.

    python3 proto/clients/go/testdata/scenarios/gen-scenarios.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..", "..", "..")
ORACLE = os.path.join(ROOT, "tests", "vectors", "jax-oracle-flax-0.12.json")
CASES = {c["id"]: c for c in json.load(open(ORACLE))["cases"]}


def case(cid):
    return CASES[cid]


def keys_of(hexstr):
    """uint32 key data [hi, lo] pairs from the oracle's little-endian hex."""
    b = bytes.fromhex(hexstr)
    words = struct.unpack("<%dI" % (len(b) // 4), b)
    return [list(words[i:i + 2]) for i in range(0, len(words), 2)]


def tensor(dtype, shape, hexstr):
    return {"dtype": dtype, "shape": shape, "hex": hexstr}


def write(name, description, sources, steps):
    doc = {"format": 1, "name": name, "description": description,
           "source": "real JAX/Flax: tests/vectors/jax-oracle-flax-0.12.json cases " + ", ".join(sources),
           "daemon": {"durability": "memory"}, "steps": steps}
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def docstring():
    m = case("flax_model/partitionable/reseed-docstring")
    k0 = keys_of(case("key/partitionable/seed=0")["expect"])[0]
    ones = tensor("float32", [1, 2], struct.pack("<2f", 1.0, 1.0).hex())
    name = "{{run}}-doc"
    steps = [
        {"call": "create_session",
         "args": {"name": name, "rngs": {"params": 0, "dropout": [0, 42]},
                  "model": {"layers": [{"type": "linear", "in_features": 2, "out_features": 3},
                                       {"type": "dropout", "rate": 0.5}]},
                  "options": {"flax": "0.12"}},
         # Linear draws params twice (kernel, bias); the 0.12 Dropout forks dropout once
         "expect": {"name": name, "rngs": {"params": {"key": k0, "count": 2},
                                          "dropout": {"key": [0, 42], "count": 1}},
                    "options": {"threefry": "partitionable", "flax": "0.12"}}},
        {"call": "params", "args": {"name": name},
         "expect": [{"kernel": tensor("float32", [2, 3], m["kernel"]["expect"]),
                     "bias": tensor("float32", [3], m["bias"]["expect"])}, {}]},
        {"call": "forward", "args": {"name": name, "x": ones, "deterministic": False},
         "expect": tensor("float32", [1, 3], m["outputs"][0]["expect"])},
        {"call": "reseed", "args": {"name": name, "streams": {"dropout": 42}, "target": "model"}},
        {"call": "forward", "args": {"name": name, "x": ones, "encoding": "npy"},
         "expect": tensor("float32", [1, 3], m["outputs"][1]["expect"])},
        {"call": "delete_session", "args": {"name": name}, "expect": None},
        {"call": "get_session", "args": {"name": name}, "error": {"status": 404, "code": "not_found"}},
    ]
    write("go-docstring-0.12", "the Flax reseed docstring's Linear(2, 3) + Dropout(0.5) under Flax 0.12: "
          "parameters, a JSON and a .npy forward pass around nnx.reseed(model, dropout=42)",
          ["flax_model/partitionable/reseed-docstring", "key/partitionable/seed=0"], steps)


def stateless():
    ids = ["key/partitionable/seed=42", "fold_in/partitionable/key(0)/0", "split/partitionable/key(0)/1",
           "normal/partitionable/key(42)/[3, 5]", "uniform/legacy/key(0)/[]/[-3,7)",
           "randint/partitionable/key(0)/[]/[0,10)", "bernoulli/partitionable/key(0)/[]/p=0.5"]
    c = [case(i) for i in ids]
    npy = open(os.path.join(HERE, "..", "npy", "float32_2x3.npy"), "rb").read()
    data = npy[128:].hex()  # numpy's header fills the first 128 bytes here
    steps = [
        {"call": "random", "args": {"op": "key", "args": {"seed": 42}}, "expect": keys_of(c[0]["expect"])[0]},
        {"call": "random", "args": {"op": "fold_in", "args": {"key": [0, 0], "data": 0}},
         "expect": keys_of(c[1]["expect"])[0]},
        {"call": "random", "args": {"op": "split", "args": {"key": [0, 0], "num": 1}},
         "expect": keys_of(c[2]["expect"])},
        {"call": "random", "args": {"op": "normal", "args": {"key": c[3]["args"]["key"], "shape": [3, 5]}},
         "expect": tensor("float32", [3, 5], c[3]["expect"])},
        {"call": "random", "args": {"op": "uniform", "args": {"key": [0, 0], "shape": [], "minval": -3.0,
                                                              "maxval": 7.0, "threefry": "legacy"}},
         "expect": tensor("float32", [], c[4]["expect"])},
        {"call": "random", "args": {"op": "randint", "args": {"key": [0, 0], "shape": [], "minval": 0, "maxval": 10}},
         "expect": tensor("int32", [], c[5]["expect"])},
        {"call": "random", "args": {"op": "bernoulli", "args": {"key": [0, 0], "shape": [], "p": 0.5}},
         "expect": tensor("bool", [], c[6]["expect"])},
        {"call": "random", "args": {"op": "no_such_op", "args": {}}, "error": {"status": 404, "code": "not_found"}},
        {"call": "npy_encode", "args": {"tensor": tensor("float32", [2, 3], data)}, "expect": {"hex": npy.hex()}},
        {"call": "npy_decode", "args": {"hex": npy.hex()}, "expect": tensor("float32", [2, 3], data)},
    ]
    write("go-stateless", "stateless jax.random through the generic random call (keys, float32, int32, "
          "bool) and the .npy codec on a file numpy.save wrote", ids, steps)


def rngs():
    c = case("flax_rngs/partitionable/docstring")
    k = keys_of(c["expect"])  # params, dropout (-> default), default, params
    name = "{{run}}-rngs"
    steps = [
        {"call": "create_session", "args": {"name": name, "rngs": {"default": 100, "params": 42},
                                            "options": {"flax": "0.12"}},
         "expect": {"rngs": {"default": {"key": [0, 100], "count": 0}, "params": {"key": [0, 42], "count": 0}},
                    "model": None}},
        {"call": "keys", "args": {"name": name, "stream": "params"},
         "expect": {"stream": "params", "source": "params", "counts": [0], "keys": [k[0]]}},
        {"call": "keys", "args": {"name": name, "stream": "dropout"},
         "expect": {"stream": "dropout", "source": "default", "counts": [0], "keys": [k[1]]}},
        {"call": "keys", "args": {"name": name},
         "expect": {"stream": "default", "source": "default", "counts": [1], "keys": [k[2]]}},
        {"call": "keys", "args": {"name": name, "stream": "params", "n": 1},
         "expect": {"counts": [1], "keys": [k[3]]}},
        {"call": "get_session", "args": {"name": name},
         "expect": {"rngs": {"default": {"count": 2}, "params": {"count": 2}}}},
        {"call": "create_session", "args": {"name": name}, "error": {"status": 409, "code": "already_exists"}},
        {"call": "reseed", "args": {"name": name, "streams": {"nope": 1}},
         "error": {"status": 400, "code": "invalid_argument"}},
        {"call": "list_sessions", "args": {"prefix": name, "page_size": 1}, "expect": [name]},
        {"call": "delete_session", "args": {"name": name}},
        {"call": "list_sessions", "args": {"prefix": name}, "expect": []},
    ]
    write("go-rngs-fallback", "nnx.Rngs(100, params=42): draws by name, the fallback to default sharing "
          "its count, typed errors, listing", ["flax_rngs/partitionable/docstring"], steps)


docstring()
stateless()
rngs()
