"""The Python runner of the keyfold client conformance suite (proto/conformance/README.md).

Replays scenario files through :class:`keyfold_client.KeyfoldClient` against a running keyfoldd:
each operation of the README's table maps onto one client method (``OPERATIONS``), and each
typed result is turned back into the README's normalized JSON (``normalize_*``) before it is
matched against the scenario's ``expect``. Tensors in ``args`` become the client's own
:class:`Tensor` (Python floats holding the exact float32 values), so the float32 path through
the client is what is checked, not raw JSON.

    python3 conformance_runner.py --url http://127.0.0.1:8470 ../../conformance/scenarios/*.json
"""
from __future__ import annotations

import argparse
import json
import random
import string
import struct
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from keyfold_client import KeyfoldClient, KeyfoldError, Session, Tensor

# struct formats of the README's tensor dtypes (little-endian; bool as one byte 0/1).
_STRUCT = {"float32": "f", "int32": "i", "uint32": "I", "uint8": "B", "uint16": "H",
           "uint64": "Q", "bool": "?"}


class ScenarioFailure(AssertionError):
    """A step whose result (or error) is not what the scenario expects."""


# --------------------------------------------------------------------------- normalized forms

def tensor_from_hex(obj: Mapping[str, Any]) -> Tensor:
    """The client's Tensor for a normalized tensor ``{"dtype", "shape", "hex"}``."""
    dtype = obj["dtype"]
    raw = bytes.fromhex(obj["hex"])
    n = 1
    for d in obj["shape"]:
        n *= d
    data = list(struct.unpack("<%d%s" % (n, _STRUCT[dtype]), raw))
    return Tensor(shape=list(obj["shape"]), dtype=dtype, data=data)


def normalize_tensor(t: Tensor) -> Dict[str, Any]:
    """A Tensor as ``{"dtype", "shape", "hex"}``: the elements packed as the dtype's bits, so a
    float32 that is off by one ulp (a double rounding, a lossy decimal) shows up."""
    fmt = "<%d%s" % (len(t.data), _STRUCT[t.dtype])
    data = [bool(x) for x in t.data] if t.dtype == "bool" else t.data
    return {"dtype": t.dtype, "shape": list(t.shape), "hex": struct.pack(fmt, *data).hex()}


def normalize_session(s: Session) -> Dict[str, Any]:
    """The API's session object rebuilt from the typed :class:`Session` (not from its raw
    JSON), so the client's parsing of streams, model and options is what is compared."""
    model = None
    if s.model is not None:
        model = {"layers": [dict(layer) for layer in s.model.layers],
                 "params": [{k: {"shape": list(p.shape), "dtype": p.dtype} for k, p in layer.items()}
                            for layer in s.model.params]}
    return {"name": s.name,
            "rngs": {k: {"key": list(st.key), "count": st.count} for k, st in s.rngs.items()},
            "model": model, "options": dict(s.options)}


# --------------------------------------------------------------------------- operations

def _create_session(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return normalize_session(kf.create_session(a["name"], rngs=a.get("rngs"), model=a.get("model"),
                                               options=a.get("options")))


def _get_session(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return normalize_session(kf.get_session(a["name"]))


def _delete_session(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    kf.delete_session(a["name"])
    return None


def _list_sessions(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return kf.list_sessions(a.get("prefix", ""), a.get("page_size", 1000))


def _keys(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    d = kf.keys(a["name"], a.get("stream"), a.get("n"))
    return {"stream": d.stream, "source": d.source, "counts": d.counts, "keys": d.keys}


def _sample(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    s = kf.sample(a["name"], a["distribution"], a.get("shape"), stream=a.get("stream"),
                  **dict(a.get("params") or {}))
    return normalize_tensor(s.tensor())


def _forward(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    encoding = a.get("encoding", "json")
    if encoding not in ("json", "npy"):
        raise ValueError("forward: unknown encoding %r" % encoding)
    client = ctx.binary if encoding == "npy" else kf
    return normalize_tensor(client.forward(a["name"], tensor_from_hex(a["x"]), a.get("deterministic")))


def _reseed(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return normalize_session(kf.reseed(a["name"], a["streams"], target=a.get("target"),
                                       policy=a.get("policy")))


def _fork(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return normalize_session(kf.fork(a["name"], a["child"], a.get("streams")))


def _params(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return [{k: normalize_tensor(t) for k, t in layer.items()} for layer in kf.params(a["name"])]


def _random(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    op = a["op"]
    body = dict(a["args"])
    key = body.pop("key", None)
    threefry = body.pop("threefry", None)
    out = kf.random(op, key, threefry=threefry, **body)
    if op in ("key", "fold_in"):
        return list(out["key"])
    if op == "split":
        return [list(k) for k in out["keys"]]
    return normalize_tensor(out)


def _npy_encode(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return {"hex": tensor_from_hex(a["tensor"]).to_npy().hex()}


def _npy_decode(kf: KeyfoldClient, a: Dict[str, Any], ctx: "Context") -> Any:
    return normalize_tensor(Tensor.from_npy(bytes.fromhex(a["hex"])))


Operation = Callable[[KeyfoldClient, Dict[str, Any], "Context"], Any]

OPERATIONS: Dict[str, Operation] = {
    "create_session": _create_session, "get_session": _get_session,
    "delete_session": _delete_session, "list_sessions": _list_sessions, "keys": _keys,
    "sample": _sample, "forward": _forward, "reseed": _reseed, "fork": _fork, "params": _params,
    "random": _random, "npy_encode": _npy_encode, "npy_decode": _npy_decode,
}


# --------------------------------------------------------------------------- matching

def mismatch(expected: Any, actual: Any, path: str = "$") -> Optional[str]:
    """None when ``actual`` matches ``expected`` by the README's rule (objects: every expected
    key present and matching, extra actual keys ignored; arrays: same length, element by
    element; scalars: equality), else where and how it differs."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return "%s: expected an object, got %s" % (path, json.dumps(actual))
        for k, v in expected.items():
            if k not in actual:
                return "%s: missing key %r" % (path, k)
            why = mismatch(v, actual[k], "%s.%s" % (path, k))
            if why:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return "%s: expected an array, got %s" % (path, json.dumps(actual))
        if len(expected) != len(actual):
            return "%s: expected %d elements, got %d" % (path, len(expected), len(actual))
        for i, (e, a) in enumerate(zip(expected, actual)):
            why = mismatch(e, a, "%s[%d]" % (path, i))
            if why:
                return why
        return None
    # bool is an int in Python: true must not match 1, nor 1 match true.
    if isinstance(expected, bool) != isinstance(actual, bool) or expected != actual \
            or (expected is None) != (actual is None):
        return "%s: expected %s, got %s" % (path, json.dumps(expected), json.dumps(actual))
    return None


def substitute(value: Any, run: str) -> Any:
    """``{{run}}`` replaced in every string of a step (keys included)."""
    if isinstance(value, str):
        return value.replace("{{run}}", run)
    if isinstance(value, list):
        return [substitute(v, run) for v in value]
    if isinstance(value, dict):
        return {substitute(k, run): substitute(v, run) for k, v in value.items()}
    return value


def run_token(rng: Optional[random.Random] = None) -> str:
    r = rng or random.SystemRandom()
    return "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(8))


# --------------------------------------------------------------------------- running

class Context:
    """The clients of one run: ``kf`` (JSON) and ``binary`` (``.npy`` bodies and replies)."""

    def __init__(self, url: str, token: Optional[str] = None):
        self.kf = KeyfoldClient(url, token=token)
        self.binary = KeyfoldClient(url, token=token, binary=True)

    def close(self) -> None:
        self.kf.close()
        self.binary.close()


def run_step(ctx: Context, step: Mapping[str, Any], where: str) -> None:
    call = step.get("call")
    op = OPERATIONS.get(call) if isinstance(call, str) else None
    if op is None:
        raise ScenarioFailure("%s: unknown call %r" % (where, call))
    args = dict(step.get("args") or {})
    want_error = step.get("error")
    try:
        result = op(ctx.kf, args, ctx)
    except KeyfoldError as e:
        if want_error is None:
            raise ScenarioFailure("%s: %s failed: %s" % (where, call, e)) from e
        # The typed error for the code (NotFound for not_found, ...), not the generic class:
        # the error's class must be the one the client keeps for that code.
        cls = type(e)
        if cls.CODE != want_error.get("code") or e.code != want_error.get("code"):
            raise ScenarioFailure("%s: expected %s, got %s (%s)"
                                  % (where, want_error, cls.__name__, e)) from e
        if "status" in want_error and e.status != want_error["status"]:
            raise ScenarioFailure("%s: expected status %s, got %s"
                                  % (where, want_error["status"], e.status)) from e
        if not e.message:
            raise ScenarioFailure("%s: %s carries no message" % (where, cls.__name__)) from e
        return
    if want_error is not None:
        raise ScenarioFailure("%s: expected error %s, the call succeeded with %s"
                              % (where, want_error, json.dumps(result)[:300]))
    if "expect" in step:
        why = mismatch(step["expect"], result)
        if why:
            raise ScenarioFailure("%s: %s" % (where, why))


def run_scenario(ctx: Context, doc: Mapping[str, Any], run: Optional[str] = None) -> int:
    """Replays one scenario; raises ScenarioFailure at the first step that fails. Returns the
    number of steps run."""
    if doc.get("format") != 1:
        raise ScenarioFailure("%s: unsupported format %r" % (doc.get("name"), doc.get("format")))
    token = run or run_token()
    steps: Sequence[Mapping[str, Any]] = substitute(doc["steps"], token)
    for i, step in enumerate(steps):
        run_step(ctx, step, "%s step %d (%s)" % (doc.get("name"), i, step.get("call")))
    return len(steps)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Replays keyfold conformance scenarios.")
    ap.add_argument("--url", default=None, help="keyfoldd URL (default $KEYFOLD_URL)")
    ap.add_argument("scenarios", nargs="+")
    args = ap.parse_args(argv)
    ctx = Context(args.url or "")
    failed: List[Tuple[str, str]] = []
    try:
        for path in args.scenarios:
            with open(path) as f:
                doc = json.load(f)
            try:
                n = run_scenario(ctx, doc)
                print("ok   %s (%d steps)" % (doc["name"], n))
            except ScenarioFailure as e:
                failed.append((path, str(e)))
                print("FAIL %s" % e)
    finally:
        ctx.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
