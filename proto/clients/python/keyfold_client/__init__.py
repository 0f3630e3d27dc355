"""keyfold_client: a Python client for keyfoldd, the keyfold daemon.

keyfoldd serves JAX's random keys (threefry, ``fold_in``, ``split``, the samplers and
``jax.nn.initializers``) and small Flax NNX models built on named ``nnx.Rngs`` sessions,
bit-exactly, over HTTP/JSON. This module talks to it with the Python standard library only
(Python 3.9+; ``http.client`` with keep-alive connections, ``json``). Install the distribution
``keyfold-client`` (``pip install ./proto/clients/python``; ``pip install
"./proto/clients/python[numpy]"`` adds numpy for :meth:`Tensor.to_numpy`), or copy this one file
next to your code as ``keyfold_client.py``: it depends on nothing else of the package. The
contract it follows is ``proto/openapi.yaml``.

The session of the Flax ``nnx.reseed`` docstring, ``Linear(2, 3)`` + ``Dropout(0.5)`` built with
``nnx.Rngs(params=0, dropout=42)``::

    from keyfold_client import KeyfoldClient, dropout, init, linear

    kf = KeyfoldClient()          # $KEYFOLD_URL or http://127.0.0.1:8470, $KEYFOLD_TOKEN if set
    s = kf.create_session("exp1", rngs={"params": 0, "dropout": 42},
                          model=[linear(2, 3), dropout(0.5)])
    s.rngs["params"].count        # 2: building the Linear drew the kernel key, then the bias key

    kf.keys("exp1", "params", n=2).keys
    # [[4146024105, 2718843009], [2467461003, 3840466878]]  = fold_in(key(0), 2), fold_in(key(0), 3)

    y1 = kf.forward("exp1", [[1.0, 1.0]])   # the Dropout draws fold_in(key(42), 0) for its mask
    y1          # Tensor(shape=[1, 3], dtype='float32', data=[0.0, -2.6912866, 0.0])
    kf.reseed("exp1", dropout=42)           # nnx.reseed(model, dropout=42): key(42), count 0
    y2 = kf.forward("exp1", [[1.0, 1.0]])
    assert y1 == y2                         # the same mask key again

    kernel = kf.params("exp1")[0]["kernel"]
    kernel      # Tensor(shape=[2, 3], dtype='float32', data=[0.7567299, -0.68570054, ...])
    kernel.tolist()                         # [[0.7567299008369446, ...], [...]]: exact float32s
    kf.sample("exp1", "normal", (2, 2), stream="dropout")   # rngs.dropout.normal((2, 2))
    kf.delete_session("exp1")

    # stateless jax.random and jax.nn.initializers
    k = kf.random_key(42)                   # [0, 42]
    kf.fold_in(k, 0)                        # [1832780943, 270669613]
    kf.uniform([0, 0], (3,))
    # Tensor(shape=[3], dtype='float32', data=[0.947667, 0.9785799, 0.33229148])
    kf.random("uniform", k, shape=(2, 3), minval=[0, 10, 100], maxval=[[1], [200]])
    # any jax.random operation by name (kf.random_operations() lists them); array parameters
    # (lists, numpy arrays, Tensors) broadcast as in JAX
    kf.init_lecun_normal(kf.fold_in(k, 0), (4, 2))
    kf.initialize(init.uniform(scale=1.0), k, (2, 2))

Values: a key is its raw data ``[hi, lo]`` (a list of two ints; wherever a seed is accepted, a key
is too). Tensors come back as :class:`Tensor` with a flat row-major ``data`` list: float32
elements are Python floats holding the exact float32 value (so ``struct.pack("<f", x)`` gives
the daemon's bits), non-finite ones ``nan``/``inf``; ``uint64`` elements (decimal strings on the
wire) are ints. ``Tensor.tolist()`` nests them by shape; ``Tensor.to_numpy()`` needs numpy, which
this module never requires otherwise. Inputs (``forward``'s ``x``) may be nested lists, a
:class:`Tensor` or anything with ``tolist()`` (numpy arrays).

Binary tensors: ``KeyfoldClient(binary=True)`` asks for tensor replies (samplers, initializers,
``sample``, ``forward``) as NumPy ``.npy`` files instead of JSON (``Accept: application/x-npy``)
and sends ``forward`` inputs given as a :class:`Tensor` or a numpy array as ``.npy`` bodies; the
results are the same :class:`Tensor` objects, bit for bit. :meth:`Tensor.to_npy` and
:meth:`Tensor.from_npy` convert without numpy.

Errors: every 4xx/5xx raises a subclass of :class:`KeyfoldError` chosen by the API's error code
(:class:`NotFound`, :class:`AlreadyExists`, :class:`FailedPrecondition`, ...), carrying
``status``, ``code`` and ``message``. A daemon that cannot be reached raises
:class:`KeyfoldConnectionError` (also a ``ConnectionError``).

Run ``python3 -m keyfold_client --url http://127.0.0.1:8470 demo`` (installed: ``keyfold-client
demo``) for the example above.
"""
from __future__ import annotations

import argparse
import ast
import http.client
import io
import json
import numbers
import operator
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from array import array
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Type, Union, cast

# The daemon's API version is 1.1; the client follows it (major.minor) and counts its own
# releases in the third number.
__version__ = "1.1.0"

__all__ = [
    "KeyfoldClient", "SessionHandle",
    "Tensor", "Sample", "Session", "StreamState", "ModelInfo", "ParamSpec", "KeyDraw",
    "VariableSpec",
    "Initializer", "init", "Linear", "LinearGeneral", "Einsum", "Embed", "Conv", "ConvTranspose",
    "LayerNorm", "RMSNorm", "BatchNorm", "GroupNorm", "MultiHeadAttention", "Dropout",
    "Activation", "Container",
    "linear", "linear_general", "einsum", "embed", "conv", "conv_transpose", "layer_norm",
    "rms_norm", "batch_norm", "group_norm", "multi_head_attention", "dropout", "relu", "gelu",
    "tanh", "sigmoid", "silu", "softplus", "softmax", "log_softmax", "elu", "leaky_relu",
    "avg_pool", "max_pool", "flatten", "reshape", "sequential", "residual", "repeat", "model",
    "KeyfoldError", "KeyfoldConnectionError", "InvalidArgument", "Unauthenticated", "NotFound",
    "MethodNotAllowed", "NotAcceptable", "AlreadyExists", "FailedPrecondition", "PayloadTooLarge",
    "UnsupportedMediaType", "ResourceExhausted", "Internal", "Unavailable",
    "DEFAULT_URL", "NPY_MEDIA_TYPE", "format_float32", "error_from_response",
    "load_safetensors", "safetensors_metadata",
]

DEFAULT_URL = "http://127.0.0.1:8470"
NPY_MEDIA_TYPE = "application/x-npy"

Key = List[int]
"""A key's raw data ``[hi, lo]``, as ``jax.random.key_data(key)`` holds it."""
KeyLike = Sequence[int]
SeedOrKey = Union[int, Sequence[int]]
Shape = Union[int, Sequence[int]]


# --------------------------------------------------------------------------- errors

class KeyfoldError(Exception):
    """An error answered by keyfoldd (a 4xx/5xx status), or raised on its behalf.

    ``status`` is the HTTP status (None when no response arrived), ``code`` the API error code
    (``"not_found"``, ...), ``message`` the daemon's text (it names the offending field as
    ``body.<field>``), ``headers`` the response headers (lower-case names)."""

    CODE: Optional[str] = None
    STATUS: Optional[int] = None

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None,
                 headers: Optional[Mapping[str, str]] = None):
        super().__init__(message)
        self.message = message
        self.status = status if status is not None else self.STATUS
        self.code = code if code is not None else self.CODE
        self.headers: Dict[str, str] = dict(headers or {})

    def __str__(self) -> str:
        if self.status is None:
            return "%s: %s" % (self.code, self.message)
        return "%s %s: %s" % (self.status, self.code, self.message)


class InvalidArgument(KeyfoldError):
    """400 ``invalid_argument``: malformed JSON, an unknown member, a wrong type or value."""
    CODE, STATUS = "invalid_argument", 400


class Unauthenticated(KeyfoldError):
    """401 ``unauthenticated``: the daemon requires a bearer token and it is missing or wrong."""
    CODE, STATUS = "unauthenticated", 401


class NotFound(KeyfoldError):
    """404 ``not_found``: no such session, route or initializer, or a stream with no default."""
    CODE, STATUS = "not_found", 404


class MethodNotAllowed(KeyfoldError):
    """405 ``method_not_allowed``; ``allow`` lists the path's methods."""
    CODE, STATUS = "method_not_allowed", 405

    @property
    def allow(self) -> List[str]:
        return [m.strip() for m in self.headers.get("allow", "").split(",") if m.strip()]


class NotAcceptable(KeyfoldError):
    """406 ``not_acceptable``: the Accept header allows neither JSON nor ``.npy``."""
    CODE, STATUS = "not_acceptable", 406


class AlreadyExists(KeyfoldError):
    """409 ``already_exists``: a session with this name exists."""
    CODE, STATUS = "already_exists", 409


class FailedPrecondition(KeyfoldError):
    """409 ``failed_precondition``: a stream would pass count 2^32 - 1 (reseed it first), a
    forward pass on a session without a model, a snapshot without a store, or a draw from a
    store restored from a snapshot before ``POST /v1/admin/restore``."""
    CODE, STATUS = "failed_precondition", 409


class PayloadTooLarge(KeyfoldError):
    """413 ``payload_too_large``: the body, a tensor, a draw or a model is over a limit."""
    CODE, STATUS = "payload_too_large", 413


class UnsupportedMediaType(KeyfoldError):
    """415 ``unsupported_media_type``: a body that is not application/json."""
    CODE, STATUS = "unsupported_media_type", 415


class ResourceExhausted(KeyfoldError):
    """429 ``resource_exhausted``: ``--max-sessions`` sessions exist already."""
    CODE, STATUS = "resource_exhausted", 429


class Internal(KeyfoldError):
    """500 ``internal``: a bug in the daemon."""
    CODE, STATUS = "internal", 500


class Unavailable(KeyfoldError):
    """503 ``unavailable``: starting up, out of memory or the store failing (retry later).
    A change answered 503 by a failing store may or may not have been made."""
    CODE, STATUS = "unavailable", 503


class KeyfoldConnectionError(KeyfoldError, ConnectionError):
    """No answer from the daemon: refused, reset, timed out or closed mid-response."""
    CODE = "connection_error"


# One class per code of the daemon's error table (server/apierr.c); test_keyfold_client.py holds
# them to `keyfoldd --dump-tables`.
_ERRORS_BY_CODE: Dict[str, Type[KeyfoldError]] = {
    cls.CODE: cls for cls in KeyfoldError.__subclasses__()
    if cls.STATUS is not None and cls.CODE is not None}
# A body without a known code (e.g. libmicrohttpd's own HTML 400/413 pages): by status. 409 has
# two codes; without one it is the generic KeyfoldError.
_ERRORS_BY_STATUS: Dict[int, Type[KeyfoldError]] = {
    cls.STATUS: cls for cls in _ERRORS_BY_CODE.values()
    if cls.STATUS is not None and cls not in (AlreadyExists, FailedPrecondition)}


def error_from_response(status: int, headers: Mapping[str, str], payload: bytes) -> KeyfoldError:
    """The exception for an error response: the class of its ``error.code``, else of its
    status. Accepts the API's ``{"error": {"code", "message"}}`` body, the Open Inference
    Protocol's ``{"error": "<text>"}`` and non-JSON bodies."""
    headers = {k.lower(): v for k, v in headers.items()}
    code = None
    message = None
    try:
        body = json.loads(payload.decode("utf-8")) if payload else None
    except (UnicodeDecodeError, ValueError):
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = err.get("code") if isinstance(err.get("code"), str) else None
            message = err.get("message") if isinstance(err.get("message"), str) else None
        elif isinstance(err, str):
            message = err
    if message is None:
        text = payload.decode("utf-8", "replace").strip() if payload else ""
        message = text[:500] or http.client.responses.get(status, "HTTP error")
    by_code = _ERRORS_BY_CODE.get(code or "")
    cls = by_code if by_code is not None else _ERRORS_BY_STATUS.get(status, KeyfoldError)
    return cls(message, status=status, code=code or cls.CODE or "http_%d" % status,
               headers=headers)


# --------------------------------------------------------------------------- values

_NONFINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _float32_list(values: Iterable[Any]) -> List[float]:
    """JSON float32 elements -> Python floats holding the exact float32 values."""
    vals = [_NONFINITE[v] if isinstance(v, str) else v for v in values]
    # array('f') rounds each double to float32 (round to nearest even): the shortest
    # round-trip text the daemon writes reads back as exactly the value it computed.
    return array("f", vals).tolist()


def _decode_data(dtype: str, data: Sequence[Any]) -> List[Any]:
    if dtype == "float32":
        return _float32_list(data)
    if dtype == "uint64":
        return [int(v) for v in data]
    return list(data)


def format_float32(x: float) -> str:
    """The shortest decimal text that reads back (as a double, rounded to float32) as the
    float32 value of ``x``, the form keyfoldd writes: ``format_float32(0.9476670026779175)``
    is ``"0.947667"``. Non-finite values give ``"nan"``, ``"inf"``, ``"-inf"``."""
    if x != x or x in (float("inf"), float("-inf")):
        return repr(float(x))
    target = array("f", [x])[0]
    text = repr(target)
    for digits in range(1, 10):
        candidate = "%.*g" % (digits, target)
        if array("f", [float(candidate)])[0] == target:
            text = repr(float(candidate))
            break
    return text


def _encode_float(x: float) -> Union[float, str]:
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return x


# .npy descr and struct format of each Tensor dtype (little-endian, as numpy.save writes them).
_NPY_DESCR = {"float32": "<f4", "int32": "<i4", "uint32": "<u4", "bool": "|b1", "uint8": "|u1",
              "uint16": "<u2", "uint64": "<u8"}
_NPY_DTYPE = {v: k for k, v in _NPY_DESCR.items()}
_STRUCT = {"float32": "f", "int32": "i", "uint32": "I", "bool": "?", "uint8": "B", "uint16": "H",
           "uint64": "Q"}


@dataclass
class Tensor:
    """A keyfold Tensor: ``shape``, ``dtype`` (``float32``, ``int32``, ``uint32``, ``bool``,
    ``uint8``, ``uint16``, ``uint64``) and ``data``, the elements flat in row-major order
    (exact float32 values as Python floats; uint64 as ints)."""

    shape: List[int]
    dtype: str
    data: List[Any]

    def _data_repr(self, limit: int = 32) -> str:
        fmt = format_float32 if self.dtype == "float32" else repr
        items = [fmt(v) for v in self.data[:limit]]
        if len(self.data) > limit:
            items.append("... (%d elements)" % len(self.data))
        return "[" + ", ".join(items) + "]"

    def __repr__(self) -> str:
        # float32 elements in their shortest form, as the daemon writes them
        return "Tensor(shape=%r, dtype=%r, data=%s)" % (self.shape, self.dtype, self._data_repr())

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Tensor":
        """A Tensor from its JSON object (as the daemon writes it)."""
        dtype = obj["dtype"]
        return cls(shape=list(obj["shape"]), dtype=dtype, data=_decode_data(dtype, obj["data"]))

    def to_json(self) -> Dict[str, Any]:
        """The JSON object of this Tensor, in the daemon's wire form (uint64 as decimal
        strings, non-finite floats as "NaN"/"Infinity"/"-Infinity")."""
        if self.dtype == "uint64":
            data: List[Any] = [str(int(v)) for v in self.data]
        elif self.dtype == "float32":
            data = [_encode_float(float(v)) for v in self.data]
        else:
            data = list(self.data)
        return {"shape": list(self.shape), "dtype": self.dtype, "data": data}

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def tolist(self) -> Any:
        """The elements nested by shape (a bare element for shape ``[]``), like
        ``numpy.ndarray.tolist()``."""
        if not self.shape:
            return self.data[0]

        def build(dim: int, offset: int, stride: int) -> List[Any]:
            n = self.shape[dim]
            if dim == len(self.shape) - 1:
                return list(self.data[offset:offset + n])
            inner = stride // n if n else 0
            return [build(dim + 1, offset + i * inner, inner) for i in range(n)]

        return build(0, 0, self.size)

    def to_npy(self) -> bytes:
        """This Tensor as a NumPy ``.npy`` file: exactly the bytes ``numpy.save`` writes for
        the same array (format 1.0, C order, little-endian). Needs no numpy."""
        descr = _NPY_DESCR[self.dtype]
        dims = ", ".join(str(int(d)) for d in self.shape) + ("," if len(self.shape) == 1 else "")
        header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
        if self.shape:  # numpy leaves room for the first dimension to grow to 21 digits
            header += " " * (21 - len(str(int(self.shape[0]))))
        pad = 64 - (10 + len(header) + 1) % 64
        text = (header + " " * pad + "\n").encode("latin1")
        data = struct.pack("<%d%s" % (len(self.data), _STRUCT[self.dtype]), *self.data)
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data

    @classmethod
    def from_npy(cls, payload: bytes) -> "Tensor":
        """A Tensor from a ``.npy`` file (versions 1.0-3.0, C order) whose descr is one of the
        daemon's dtypes (``<f4``, ``<i4``, ``<u4``, ``|b1``, ``|u1``, ``<u2``, ``<u8``).
        Raises ValueError for anything else. Needs no numpy."""
        if payload[:6] != b"\x93NUMPY" or len(payload) < 10 or payload[6] not in (1, 2, 3):
            raise ValueError("not a .npy file (format 1.0, 2.0 or 3.0)")
        if payload[6] == 1:
            (hlen,), start = struct.unpack("<H", payload[8:10]), 10
        else:
            (hlen,), start = struct.unpack("<I", payload[8:12]), 12
        try:
            header = ast.literal_eval(payload[start:start + hlen].decode("latin1"))
            descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
        except (ValueError, SyntaxError, TypeError, KeyError) as e:
            raise ValueError("not a .npy header: %s" % e) from e
        if isinstance(descr, str) and descr[:1] == "=":  # native: little-endian hosts only
            descr = ("<" if sys.byteorder == "little" else ">") + descr[1:]
        dtype = _NPY_DTYPE.get(descr) if isinstance(descr, str) else None
        if dtype is None or fortran is not False or not isinstance(shape, tuple):
            raise ValueError(".npy descr %r / fortran_order %r is not a keyfold Tensor"
                             % (descr, fortran))
        n = 1
        for d in shape:
            n *= d
        data = payload[start + hlen:]
        fmt = "<%d%s" % (n, _STRUCT[dtype])
        if len(data) != struct.calcsize(fmt):
            raise ValueError(".npy data is %d bytes, shape %r needs %d"
                             % (len(data), shape, struct.calcsize(fmt)))
        return cls(shape=list(shape), dtype=dtype, data=list(struct.unpack(fmt, data)))

    def to_numpy(self) -> Any:
        """A numpy array of this shape and dtype. Needs numpy (ImportError otherwise)."""
        try:
            import numpy as np
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Tensor.to_numpy() needs numpy; Tensor.tolist() does not") from e
        return np.array(self.data, dtype=np.dtype("bool" if self.dtype == "bool" else self.dtype)
                        ).reshape(self.shape)


@dataclass(repr=False)
class Sample(Tensor):
    """A session sample: the Tensor plus the key it was drawn with, the stream's count at the
    draw, the stream asked for and the stream that served it (``default`` on fallback)."""

    key: Key = field(default_factory=list)
    count: int = 0
    stream: str = ""
    source: str = ""

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Sample":
        t = Tensor.from_json(obj)
        return cls(shape=t.shape, dtype=t.dtype, data=t.data, key=list(obj["key"]),
                   count=obj["count"], stream=obj["stream"], source=obj["source"])

    def __repr__(self) -> str:
        return "Sample(shape=%r, dtype=%r, data=%s, key=%r, count=%r, stream=%r, source=%r)" % (
            self.shape, self.dtype, self._data_repr(), self.key, self.count, self.stream,
            self.source)

    def tensor(self) -> Tensor:
        """The sample alone, as a plain Tensor."""
        return Tensor(list(self.shape), self.dtype, list(self.data))


@dataclass
class StreamState:
    """One stream of a session's ``nnx.Rngs``: its key and its count (the next draw's)."""
    key: Key
    count: int


@dataclass
class ParamSpec:
    """A parameter's shape and dtype (without its values)."""
    shape: List[int]
    dtype: str


@dataclass
class VariableSpec:
    """A variable of ``nnx.state(model)``: its kind (``params`` for an ``nnx.Param``,
    ``batch_stats`` for an ``nnx.BatchStat``), shape and dtype."""
    kind: str
    shape: List[int]
    dtype: str


@dataclass
class ModelInfo:
    """A session's model: the layer tree as the daemon echoes it (every default filled in,
    initializers in canonical form, held streams as ``rngs``), the parameter specs of each node
    of the expanded tree in preorder (dotted names for sub-modules: ``query.kernel``), and every
    variable by dotted path (``layers.0.kernel``, ``bn.mean``)."""
    layers: List[Dict[str, Any]]
    params: List[Dict[str, ParamSpec]]
    variables: Dict[str, VariableSpec] = field(default_factory=dict)


@dataclass
class Session:
    """A session: name, streams (``rngs``), model (None without one) and options
    (``threefry``, ``flax``). ``raw`` is the JSON object as received."""
    name: str
    rngs: Dict[str, StreamState]
    model: Optional[ModelInfo]
    options: Dict[str, str]
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def model_streams(self) -> Dict[str, Tuple[str, StreamState]]:
        """Flax 0.11+: the streams the model's layers hold, by path
        (``"layers.1.rngs"``, ``"blocks.layers.0.attn.rngs"``) -> (tag, state), in the tree's
        order (a layer inside a ``repeat`` holds one per block); empty in a 0.10 session."""
        out: Dict[str, Tuple[str, StreamState]] = {}

        def walk(layers: Iterable[Any]) -> None:
            for layer in layers:
                if not isinstance(layer, Mapping):
                    continue
                held = layer.get("rngs")
                for h in (held if isinstance(held, list) else [held] if held else []):
                    out[h["path"]] = (h["tag"], StreamState(list(h["key"]), h["count"]))
                walk(layer.get("layers") or [])
        walk(self.model.layers if self.model else [])
        return out

    @property
    def variables(self) -> Dict[str, VariableSpec]:
        """The model's variables by dotted path (``{}`` without a model): the keys of
        :meth:`KeyfoldClient.params_state` flattened, and the tensor names of
        :meth:`KeyfoldClient.params_safetensors`."""
        return dict(self.model.variables) if self.model else {}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Session":
        m = obj.get("model")
        model = None
        if m is not None:
            model = ModelInfo(layers=list(m["layers"]),
                              params=[{k: ParamSpec(list(v["shape"]), v["dtype"])
                                       for k, v in p.items()} for p in m["params"]],
                              variables={k: VariableSpec(v["kind"], list(v["shape"]), v["dtype"])
                                         for k, v in (m.get("variables") or {}).items()})
        return cls(name=obj["name"],
                   rngs={k: StreamState(list(v["key"]), v["count"])
                         for k, v in obj["rngs"].items()},
                   model=model, options=dict(obj["options"]), raw=dict(obj))


@dataclass
class KeyDraw:
    """Keys drawn from a stream: the stream asked for, the one that served it (``default`` on
    fallback), the counts drawn at and the keys."""
    stream: str
    source: str
    counts: List[int]
    keys: List[Key]


# --------------------------------------------------------------------------- model specs

@dataclass(frozen=True)
class Initializer:
    """An initializer of a layer spec (``init.uniform(scale=1.0)``, ``init.he_uniform()``).
    Also accepted by :meth:`KeyfoldClient.initialize`."""
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> Union[str, Dict[str, Any]]:
        """A bare name for initializers without parameters, else ``{"name": ..., params}``."""
        if not self.params:
            return self.name
        out: Dict[str, Any] = {"name": self.name}
        out.update(self.params)
        return out


class _InitSpecs:
    """Initializer specs, named and parameterised as ``jax.nn.initializers``."""

    @staticmethod
    def zeros() -> Initializer:
        return Initializer("zeros")

    @staticmethod
    def ones() -> Initializer:
        return Initializer("ones")

    @staticmethod
    def constant(value: float = 0.0) -> Initializer:
        return Initializer("constant", {"value": value})

    @staticmethod
    def normal(stddev: float = 1e-2) -> Initializer:
        return Initializer("normal", {"stddev": stddev})

    @staticmethod
    def uniform(scale: float = 1e-2) -> Initializer:
        return Initializer("uniform", {"scale": scale})

    @staticmethod
    def truncated_normal(stddev: float = 1e-2, lower: float = -2.0,
                         upper: float = 2.0) -> Initializer:
        return Initializer("truncated_normal", {"stddev": stddev, "lower": lower, "upper": upper})

    @staticmethod
    def variance_scaling(scale: float = 1.0, mode: str = "fan_in",
                         distribution: str = "truncated_normal", in_axis: int = -2,
                         out_axis: int = -1) -> Initializer:
        return Initializer("variance_scaling", {
            "scale": scale, "mode": mode, "distribution": distribution,
            "in_axis": in_axis, "out_axis": out_axis})

    @staticmethod
    def lecun_normal() -> Initializer:
        return Initializer("lecun_normal")

    @staticmethod
    def lecun_uniform() -> Initializer:
        return Initializer("lecun_uniform")

    @staticmethod
    def glorot_normal() -> Initializer:
        return Initializer("glorot_normal")

    @staticmethod
    def glorot_uniform() -> Initializer:
        return Initializer("glorot_uniform")

    @staticmethod
    def he_normal() -> Initializer:
        return Initializer("he_normal")

    @staticmethod
    def he_uniform() -> Initializer:
        return Initializer("he_uniform")

    xavier_normal = glorot_normal
    xavier_uniform = glorot_uniform
    kaiming_normal = he_normal
    kaiming_uniform = he_uniform


init = _InitSpecs()
"""Initializer specs: ``init.uniform(scale=1.0)``, ``init.lecun_normal()``, ..."""

InitLike = Union[str, Initializer, Mapping[str, Any]]


def _init_json(x: InitLike) -> Any:
    return x.to_json() if isinstance(x, Initializer) else x


IntOrInts = Union[int, Sequence[int]]
"""An integer or a sequence of them (a tuple in Flax)."""
PaddingLike = Union[str, int, Sequence[Union[int, Sequence[int]]]]
"""``"SAME"``, ``"VALID"``, ``"CIRCULAR"``, ``"CAUSAL"``, an int k, or one ``(low, high)`` pair
(or int) per spatial axis."""


def _ints(x: IntOrInts) -> List[int]:
    """An int or a sequence of ints as a list (how the daemon echoes sizes and axes)."""
    if isinstance(x, numbers.Integral):
        return [operator.index(x)]
    return [operator.index(v) for v in cast(Sequence[int], x)]


def _spatial(x: Optional[IntOrInts], n: int, default: int = 1) -> List[int]:
    """An int for every spatial axis, or one per axis, as a list of n."""
    if x is None:
        return [default] * n
    if isinstance(x, numbers.Integral):
        return [operator.index(x)] * n
    return _ints(x)


def _padding(p: PaddingLike, n: int) -> Any:
    """A padding as the daemon echoes it: the string, or n [low, high] pairs."""
    if isinstance(p, str):
        return p
    if isinstance(p, numbers.Integral):
        k = operator.index(p)
        return [[k, k] for _ in range(n)]
    out: List[List[int]] = []
    for e in cast(Sequence[Union[int, Sequence[int]]], p):
        if isinstance(e, numbers.Integral):
            out.append([operator.index(e)] * 2)
        else:
            out.append(_ints(cast(Sequence[int], e)))
    return out


def _named(d: Dict[str, Any], name: Optional[str]) -> Dict[str, Any]:
    """d with ``name`` right after ``type`` when given (the daemon's echo order)."""
    if name is None:
        return d
    out: Dict[str, Any] = {"type": d["type"], "name": name}
    out.update((k, v) for k, v in d.items() if k != "type")
    return out


@dataclass(frozen=True)
class Linear:
    """``nnx.Linear(in_features, out_features)``: draws ``params`` twice (kernel, then bias;
    once with ``use_bias=False``)."""
    in_features: int
    out_features: int
    use_bias: bool = True
    kernel_init: InitLike = "lecun_normal"
    bias_init: InitLike = "zeros"
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "linear", "in_features": self.in_features,
                       "out_features": self.out_features, "use_bias": self.use_bias,
                       "kernel_init": _init_json(self.kernel_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


@dataclass(frozen=True)
class LinearGeneral:
    """``nnx.LinearGeneral(in_features, out_features, axis=-1)``: contracts the input axes
    ``axis`` (sizes ``in_features``) into new output axes ``out_features``. Draws: kernel
    (in_features + out_features), then bias (out_features) if ``use_bias``."""
    in_features: IntOrInts
    out_features: IntOrInts
    axis: Optional[IntOrInts] = None
    use_bias: bool = True
    kernel_init: InitLike = "lecun_normal"
    bias_init: InitLike = "zeros"
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        ins = _ints(self.in_features)
        axis = _ints(self.axis) if self.axis is not None else list(range(-len(ins), 0))
        return _named({"type": "linear_general", "in_features": ins,
                       "out_features": _ints(self.out_features), "axis": axis,
                       "use_bias": self.use_bias, "kernel_init": _init_json(self.kernel_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


@dataclass(frozen=True)
class Einsum:
    """``nnx.Einsum(einsum_str, kernel_shape, bias_shape=None)``: ``jnp.einsum(einsum_str, x,
    kernel)`` (+ bias). Draws: kernel, then bias if ``bias_shape`` is given."""
    einsum_str: str
    kernel_shape: IntOrInts
    bias_shape: Optional[IntOrInts] = None
    kernel_init: InitLike = "lecun_normal"
    bias_init: InitLike = "zeros"
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        bias = _ints(self.bias_shape) if self.bias_shape is not None else None
        return _named({"type": "einsum", "einsum_str": self.einsum_str.replace(" ", ""),
                       "kernel_shape": _ints(self.kernel_shape), "bias_shape": bias or None,
                       "kernel_init": _init_json(self.kernel_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


_EMBED_INIT = Initializer("variance_scaling", {
    "scale": 1.0, "mode": "fan_in", "distribution": "normal", "in_axis": -2, "out_axis": 0})


@dataclass(frozen=True)
class Embed:
    """``nnx.Embed(num_embeddings, features)``: integer input, first layer only; one draw."""
    num_embeddings: int
    features: int
    embedding_init: InitLike = _EMBED_INIT
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "embed", "num_embeddings": self.num_embeddings,
                       "features": self.features,
                       "embedding_init": _init_json(self.embedding_init)}, self.name)


@dataclass(frozen=True)
class Conv:
    """``nnx.Conv(in_features, out_features, kernel_size)`` over channels-last input (1 to 3
    spatial axes, as many as ``kernel_size`` has). Draws: kernel (*kernel_size, in_features //
    feature_group_count, out_features), then bias (out_features,) if ``use_bias``."""
    in_features: int
    out_features: int
    kernel_size: IntOrInts
    strides: Optional[IntOrInts] = 1
    padding: PaddingLike = "SAME"
    input_dilation: Optional[IntOrInts] = 1
    kernel_dilation: Optional[IntOrInts] = 1
    feature_group_count: int = 1
    use_bias: bool = True
    kernel_init: InitLike = "lecun_normal"
    bias_init: InitLike = "zeros"
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        ks = _ints(self.kernel_size)
        n = len(ks)
        return _named({"type": "conv", "in_features": self.in_features,
                       "out_features": self.out_features, "kernel_size": ks,
                       "strides": _spatial(self.strides, n),
                       "padding": _padding(self.padding, n),
                       "input_dilation": _spatial(self.input_dilation, n),
                       "kernel_dilation": _spatial(self.kernel_dilation, n),
                       "feature_group_count": self.feature_group_count,
                       "use_bias": self.use_bias, "kernel_init": _init_json(self.kernel_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


@dataclass(frozen=True)
class ConvTranspose:
    """``nnx.ConvTranspose(in_features, out_features, kernel_size)``, channels-last. Draws:
    kernel (*kernel_size, in_features, out_features), then bias (out_features,) if
    ``use_bias``."""
    in_features: int
    out_features: int
    kernel_size: IntOrInts
    strides: Optional[IntOrInts] = None
    padding: PaddingLike = "SAME"
    kernel_dilation: Optional[IntOrInts] = None
    use_bias: bool = True
    kernel_init: InitLike = "lecun_normal"
    bias_init: InitLike = "zeros"
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        ks = _ints(self.kernel_size)
        n = len(ks)
        return _named({"type": "conv_transpose", "in_features": self.in_features,
                       "out_features": self.out_features, "kernel_size": ks,
                       "strides": _spatial(self.strides, n),
                       "padding": _padding(self.padding, n),
                       "kernel_dilation": _spatial(self.kernel_dilation, n),
                       "use_bias": self.use_bias, "kernel_init": _init_json(self.kernel_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


@dataclass(frozen=True)
class LayerNorm:
    """``nnx.LayerNorm(num_features)`` over the last axis. Draws one key for scale (if
    ``use_scale``), then one for bias (if ``use_bias``), though ones/zeros ignore them."""
    num_features: int
    epsilon: float = 1e-6
    use_bias: bool = True
    use_scale: bool = True
    name: Optional[str] = None
    scale_init: InitLike = "ones"
    bias_init: InitLike = "zeros"

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "layer_norm", "num_features": self.num_features,
                       "epsilon": self.epsilon, "use_bias": self.use_bias,
                       "use_scale": self.use_scale, "scale_init": _init_json(self.scale_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


@dataclass(frozen=True)
class RMSNorm:
    """``nnx.RMSNorm(num_features)``: one key, for scale (if ``use_scale``)."""
    num_features: int
    epsilon: float = 1e-6
    use_scale: bool = True
    name: Optional[str] = None
    scale_init: InitLike = "ones"

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "rms_norm", "num_features": self.num_features,
                       "epsilon": self.epsilon, "use_scale": self.use_scale,
                       "scale_init": _init_json(self.scale_init)}, self.name)


@dataclass(frozen=True)
class BatchNorm:
    """``nnx.BatchNorm(num_features)``: scale and bias keys as LayerNorm; its BatchStats
    ``mean`` and ``var`` (no keys) are updated by non-deterministic forward passes unless
    ``use_running_average``."""
    num_features: int
    momentum: float = 0.99
    epsilon: float = 1e-5
    use_bias: bool = True
    use_scale: bool = True
    use_running_average: bool = False
    name: Optional[str] = None
    scale_init: InitLike = "ones"
    bias_init: InitLike = "zeros"

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "batch_norm", "num_features": self.num_features,
                       "momentum": self.momentum, "epsilon": self.epsilon,
                       "use_bias": self.use_bias, "use_scale": self.use_scale,
                       "use_running_average": self.use_running_average,
                       "scale_init": _init_json(self.scale_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


@dataclass(frozen=True)
class GroupNorm:
    """``nnx.GroupNorm(num_features, num_groups=32, group_size=None)``: scale and bias keys as
    LayerNorm. :func:`group_norm` with ``group_size`` and the default ``num_groups`` sends
    ``num_groups=None``, as Flax needs."""
    num_features: int
    num_groups: Optional[int] = 32
    group_size: Optional[int] = None
    epsilon: float = 1e-6
    use_bias: bool = True
    use_scale: bool = True
    name: Optional[str] = None
    scale_init: InitLike = "ones"
    bias_init: InitLike = "zeros"

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "group_norm", "num_features": self.num_features,
                       "num_groups": self.num_groups, "group_size": self.group_size,
                       "epsilon": self.epsilon, "use_bias": self.use_bias,
                       "use_scale": self.use_scale, "scale_init": _init_json(self.scale_init),
                       "bias_init": _init_json(self.bias_init)}, self.name)


@dataclass(frozen=True)
class MultiHeadAttention:
    """``nnx.MultiHeadAttention(num_heads, in_features)``, self-attention. Draws: query, key and
    value (kernel, then bias each), the query/key LayerNorm scales if ``normalize_qk``, then
    out; with ``dropout_rate > 0`` it holds a forked ``dropout`` stream in Flax 0.11+.
    ``qkv_features``/``out_features`` default to ``in_features``; ``causal`` is
    ``mask=nnx.make_causal_mask(x)``."""
    num_heads: int
    in_features: int
    qkv_features: Optional[int] = None
    out_features: Optional[int] = None
    dropout_rate: float = 0.0
    normalize_qk: bool = False
    causal: bool = False
    use_bias: bool = True
    deterministic: bool = False
    kernel_init: InitLike = "lecun_normal"
    bias_init: InitLike = "zeros"
    name: Optional[str] = None
    out_kernel_init: Optional[InitLike] = None
    out_bias_init: Optional[InitLike] = None
    keep_rngs: bool = True

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "multi_head_attention", "num_heads": self.num_heads,
                       "in_features": self.in_features,
                       "qkv_features": self.qkv_features or self.in_features,
                       "out_features": self.out_features or self.in_features,
                       "dropout_rate": self.dropout_rate, "normalize_qk": self.normalize_qk,
                       "causal": self.causal, "use_bias": self.use_bias,
                       "deterministic": self.deterministic,
                       "kernel_init": _init_json(self.kernel_init),
                       "bias_init": _init_json(self.bias_init),
                       "out_kernel_init": (None if self.out_kernel_init is None
                                           else _init_json(self.out_kernel_init)),
                       "out_bias_init": (None if self.out_bias_init is None
                                         else _init_json(self.out_bias_init)),
                       "keep_rngs": self.keep_rngs}, self.name)


@dataclass(frozen=True)
class Dropout:
    """``nnx.Dropout(rate)`` (Flax 0.10): one key from ``rng_collection`` (falling back to
    ``default``) per non-deterministic forward pass; in Flax 0.11+ from the stream it forked
    there at construction."""
    rate: float
    rng_collection: str = "dropout"
    broadcast_dims: Sequence[int] = ()
    deterministic: bool = False
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        return _named({"type": "dropout", "rate": self.rate,
                       "rng_collection": self.rng_collection,
                       "broadcast_dims": list(self.broadcast_dims),
                       "deterministic": self.deterministic}, self.name)


@dataclass(frozen=True)
class Activation:
    """A function layer without parameters or keys: ``relu``, ``gelu``, ``tanh``, ``sigmoid``,
    ``silu``, ``softplus``, ``softmax``, ``log_softmax``, ``elu``, ``leaky_relu``, ``flatten``,
    ``reshape``, ``avg_pool``, ``max_pool``; ``options`` holds its keywords (``{"axis": -1}``)
    in the daemon's order."""
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"type": self.type}
        out.update(self.options)
        return _named(out, self.name)


@dataclass(frozen=True)
class Container:
    """``sequential`` (``nnx.Sequential``), ``residual`` (x + f(x)) or ``repeat`` (``count``
    blocks built one after another, as a Python loop would) of ``layers``."""
    type: str
    layers: Sequence["LayerLike"]
    count: Optional[int] = None
    name: Optional[str] = None

    def to_json(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {"type": self.type}
        if self.count is not None:
            out["count"] = self.count
        out["layers"] = [_layer_json(x) for x in self.layers]
        return _named(out, self.name)


LayerLike = Union[Linear, LinearGeneral, Einsum, Embed, Conv, ConvTranspose, LayerNorm, RMSNorm,
                  BatchNorm, GroupNorm, MultiHeadAttention, Dropout, Activation, Container,
                  Mapping[str, Any]]
"""A layer spec: a builder's result or the API's JSON object."""


def linear(in_features: int, out_features: int, use_bias: bool = True,
           kernel_init: InitLike = "lecun_normal", bias_init: InitLike = "zeros", *,
           name: Optional[str] = None) -> Linear:
    """A ``linear`` layer spec."""
    return Linear(in_features, out_features, use_bias, kernel_init, bias_init, name)


def linear_general(in_features: IntOrInts, out_features: IntOrInts,
                   axis: Optional[IntOrInts] = None, use_bias: bool = True,
                   kernel_init: InitLike = "lecun_normal", bias_init: InitLike = "zeros", *,
                   name: Optional[str] = None) -> LinearGeneral:
    """A ``linear_general`` layer spec (``axis`` default: the last ``len(in_features)`` axes)."""
    return LinearGeneral(in_features, out_features, axis, use_bias, kernel_init, bias_init, name)


def einsum(einsum_str: str, kernel_shape: IntOrInts, bias_shape: Optional[IntOrInts] = None,
           kernel_init: InitLike = "lecun_normal", bias_init: InitLike = "zeros", *,
           name: Optional[str] = None) -> Einsum:
    """An ``einsum`` layer spec: ``einsum("bi,io->bo", (4, 5), (5,))``."""
    return Einsum(einsum_str, kernel_shape, bias_shape, kernel_init, bias_init, name)


def embed(num_embeddings: int, features: int, embedding_init: InitLike = _EMBED_INIT, *,
          name: Optional[str] = None) -> Embed:
    """An ``embed`` layer spec (default init: variance_scaling(1, fan_in, normal, out_axis=0))."""
    return Embed(num_embeddings, features, embedding_init, name)


def conv(in_features: int, out_features: int, kernel_size: IntOrInts,
         strides: Optional[IntOrInts] = 1, padding: PaddingLike = "SAME",
         input_dilation: Optional[IntOrInts] = 1, kernel_dilation: Optional[IntOrInts] = 1,
         feature_group_count: int = 1, use_bias: bool = True,
         kernel_init: InitLike = "lecun_normal", bias_init: InitLike = "zeros", *,
         name: Optional[str] = None) -> Conv:
    """A ``conv`` layer spec: ``conv(1, 32, (3, 3))``."""
    return Conv(in_features, out_features, kernel_size, strides, padding, input_dilation,
                kernel_dilation, feature_group_count, use_bias, kernel_init, bias_init, name)


def conv_transpose(in_features: int, out_features: int, kernel_size: IntOrInts,
                   strides: Optional[IntOrInts] = None, padding: PaddingLike = "SAME",
                   kernel_dilation: Optional[IntOrInts] = None, use_bias: bool = True,
                   kernel_init: InitLike = "lecun_normal", bias_init: InitLike = "zeros", *,
                   name: Optional[str] = None) -> ConvTranspose:
    """A ``conv_transpose`` layer spec."""
    return ConvTranspose(in_features, out_features, kernel_size, strides, padding,
                         kernel_dilation, use_bias, kernel_init, bias_init, name)


def layer_norm(num_features: int, epsilon: float = 1e-6, use_bias: bool = True,
               use_scale: bool = True, *, name: Optional[str] = None,
               scale_init: InitLike = "ones", bias_init: InitLike = "zeros") -> LayerNorm:
    """A ``layer_norm`` layer spec."""
    return LayerNorm(num_features, epsilon, use_bias, use_scale, name, scale_init, bias_init)


def rms_norm(num_features: int, epsilon: float = 1e-6, use_scale: bool = True, *,
             name: Optional[str] = None, scale_init: InitLike = "ones") -> RMSNorm:
    """An ``rms_norm`` layer spec."""
    return RMSNorm(num_features, epsilon, use_scale, name, scale_init)


def batch_norm(num_features: int, momentum: float = 0.99, epsilon: float = 1e-5,
               use_bias: bool = True, use_scale: bool = True,
               use_running_average: bool = False, *, name: Optional[str] = None,
               scale_init: InitLike = "ones", bias_init: InitLike = "zeros") -> BatchNorm:
    """A ``batch_norm`` layer spec."""
    return BatchNorm(num_features, momentum, epsilon, use_bias, use_scale, use_running_average,
                     name, scale_init, bias_init)


def group_norm(num_features: int, num_groups: Optional[int] = 32,
               group_size: Optional[int] = None, epsilon: float = 1e-6, use_bias: bool = True,
               use_scale: bool = True, *, name: Optional[str] = None,
               scale_init: InitLike = "ones", bias_init: InitLike = "zeros") -> GroupNorm:
    """A ``group_norm`` layer spec; ``group_norm(8, group_size=2)`` means ``num_groups=None``."""
    if group_size is not None and num_groups == 32:
        num_groups = None
    return GroupNorm(num_features, num_groups, group_size, epsilon, use_bias, use_scale, name,
                     scale_init, bias_init)


def multi_head_attention(num_heads: int, in_features: int, qkv_features: Optional[int] = None,
                         out_features: Optional[int] = None, dropout_rate: float = 0.0,
                         normalize_qk: bool = False, causal: bool = False,
                         use_bias: bool = True, deterministic: bool = False,
                         kernel_init: InitLike = "lecun_normal",
                         bias_init: InitLike = "zeros", *,
                         name: Optional[str] = None,
                         out_kernel_init: Optional[InitLike] = None,
                         out_bias_init: Optional[InitLike] = None,
                         keep_rngs: bool = True) -> MultiHeadAttention:
    """A ``multi_head_attention`` layer spec (self-attention)."""
    return MultiHeadAttention(num_heads, in_features, qkv_features, out_features, dropout_rate,
                              normalize_qk, causal, use_bias, deterministic, kernel_init,
                              bias_init, name, out_kernel_init, out_bias_init, keep_rngs)


def dropout(rate: float, rng_collection: str = "dropout", broadcast_dims: Sequence[int] = (),
            deterministic: bool = False, *, name: Optional[str] = None) -> Dropout:
    """A ``dropout`` layer spec."""
    return Dropout(rate, rng_collection, tuple(broadcast_dims), deterministic, name)


def relu(*, name: Optional[str] = None) -> Activation:
    """``jax.nn.relu``."""
    return Activation("relu", name=name)


def gelu(approximate: bool = True, *, name: Optional[str] = None) -> Activation:
    """``jax.nn.gelu`` (``approximate=True``: the tanh form, Flax's default)."""
    return Activation("gelu", {"approximate": approximate}, name)


def tanh(*, name: Optional[str] = None) -> Activation:
    """``jnp.tanh``."""
    return Activation("tanh", name=name)


def sigmoid(*, name: Optional[str] = None) -> Activation:
    """``jax.nn.sigmoid``."""
    return Activation("sigmoid", name=name)


def silu(*, name: Optional[str] = None) -> Activation:
    """``jax.nn.silu``."""
    return Activation("silu", name=name)


def softplus(*, name: Optional[str] = None) -> Activation:
    """``jax.nn.softplus``."""
    return Activation("softplus", name=name)


def softmax(axis: int = -1, *, name: Optional[str] = None) -> Activation:
    """``jax.nn.softmax`` along ``axis``."""
    return Activation("softmax", {"axis": axis}, name)


def log_softmax(axis: int = -1, *, name: Optional[str] = None) -> Activation:
    """``jax.nn.log_softmax`` along ``axis``."""
    return Activation("log_softmax", {"axis": axis}, name)


def elu(alpha: float = 1.0, *, name: Optional[str] = None) -> Activation:
    """``jax.nn.elu``."""
    return Activation("elu", {"alpha": alpha}, name)


def leaky_relu(negative_slope: float = 0.01, *, name: Optional[str] = None) -> Activation:
    """``jax.nn.leaky_relu``."""
    return Activation("leaky_relu", {"negative_slope": negative_slope}, name)


def flatten(*, name: Optional[str] = None) -> Activation:
    """``x.reshape(x.shape[0], -1)``."""
    return Activation("flatten", name=name)


def reshape(shape: IntOrInts, *, name: Optional[str] = None) -> Activation:
    """``x.reshape(x.shape[0], *shape)`` (one entry may be -1)."""
    return Activation("reshape", {"shape": _ints(shape)}, name)


def _pool(kind: str, window_shape: IntOrInts, strides: Optional[IntOrInts], padding: PaddingLike,
          name: Optional[str]) -> Activation:
    window = _ints(window_shape)
    return Activation(kind, {"window_shape": window, "strides": _spatial(strides, len(window)),
                             "padding": _padding(padding, len(window))}, name)


def avg_pool(window_shape: IntOrInts, strides: Optional[IntOrInts] = None,
             padding: PaddingLike = "VALID", *, name: Optional[str] = None) -> Activation:
    """``avg_pool`` over the spatial axes of channels-last input (strides default 1)."""
    return _pool("avg_pool", window_shape, strides, padding, name)


def max_pool(window_shape: IntOrInts, strides: Optional[IntOrInts] = None,
             padding: PaddingLike = "VALID", *, name: Optional[str] = None) -> Activation:
    """``max_pool`` over the spatial axes of channels-last input (strides default 1)."""
    return _pool("max_pool", window_shape, strides, padding, name)


def sequential(*layers: LayerLike, name: Optional[str] = None) -> Container:
    """``nnx.Sequential(*layers)``: paths ``<name or index>.layers.<i or child name>``."""
    return Container("sequential", tuple(layers), None, name)


def residual(*layers: LayerLike, name: Optional[str] = None) -> Container:
    """``x + f(x)`` with f the layers in sequence."""
    return Container("residual", tuple(layers), None, name)


def repeat(count: int, *layers: LayerLike, name: Optional[str] = None) -> Container:
    """``count`` blocks of ``layers``, built one after another (block 0's draws first) and
    applied in sequence; each block has its own parameters and held streams."""
    return Container("repeat", tuple(layers), count, name)


def _layer_json(layer: LayerLike) -> Any:
    return layer.to_json() if hasattr(layer, "to_json") else dict(layer)


def model(*layers: LayerLike) -> Dict[str, Any]:
    """The ``model`` member of a session creation: ``{"layers": [...]}``."""
    return {"layers": [_layer_json(x) for x in layers]}


ModelLike = Union[Mapping[str, Any], Sequence[LayerLike]]


def _model_json(m: ModelLike) -> Dict[str, Any]:
    if isinstance(m, Mapping):
        out = dict(m)
        if "layers" in out:
            out["layers"] = [_layer_json(x) for x in out["layers"]]
        return out
    return model(*m)



# --------------------------------------------------------------------------- argument coercion

def _key(k: KeyLike) -> Key:
    return [operator.index(v) for v in k]


def _seed_or_key(x: SeedOrKey) -> Any:
    if isinstance(x, bool):
        return x  # refused by the daemon, not silently turned into 0 or 1
    if isinstance(x, numbers.Integral):
        return operator.index(x)
    # Not an integer, so a key (mypy cannot narrow a Union by numbers.Integral).
    return _key(cast(Sequence[int], x))


def _shape(s: Shape) -> List[int]:
    if isinstance(s, numbers.Integral) and not isinstance(s, bool):
        return [operator.index(s)]
    return [operator.index(d) for d in cast(Sequence[int], s)]


def _input(x: Any) -> Any:
    """A forward input: nested lists as they are, a Tensor as its JSON object, numpy arrays
    (anything with tolist() and shape) as a tensor object."""
    if isinstance(x, Tensor):
        return x.to_json()
    if hasattr(x, "tolist") and hasattr(x, "shape") and hasattr(x, "dtype"):
        kind = getattr(x.dtype, "kind", "f")
        flat = x.reshape(-1).tolist() if hasattr(x, "reshape") else x.tolist()
        return {"shape": [int(d) for d in x.shape],
                "dtype": "int32" if kind in "iu" else "float32", "data": flat}
    return x


def _param(v: Any) -> Any:
    """A sampler parameter: numbers, strings and nested lists as they are, a Tensor or a numpy
    array (or scalar) as the daemon reads it (a tensor object; a number)."""
    if hasattr(v, "shape") and hasattr(v, "dtype") and getattr(v, "shape", None) == ():
        return v.tolist()  # a numpy scalar or 0-d array: a number
    return _input(v)


def _int_param(v: Any) -> Any:
    """An integer parameter: an int (``operator.index``: no silent float truncation) or an
    array of them."""
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return operator.index(v)
    return _param(v)


# The operations of /v1/random that answer keys rather than one tensor.
_KEY_OPERATIONS = ("key", "fold_in", "split")


def _npy_input(x: Any) -> Optional[bytes]:
    """A forward input as a .npy body when it already is an array (a Tensor, or a numpy array,
    saved by numpy itself); None for nested lists, which go as JSON."""
    if isinstance(x, Tensor):
        return x.to_npy()
    if hasattr(x, "shape") and hasattr(x, "dtype") and type(x).__module__.startswith("numpy"):
        import numpy
        buf = io.BytesIO()
        numpy.save(buf, x)
        return buf.getvalue()
    return None


def _json_default(o: Any) -> Any:
    if hasattr(o, "to_json"):
        return o.to_json()
    if hasattr(o, "tolist"):  # numpy scalars and arrays
        return o.tolist()
    raise TypeError("%r is not JSON serializable" % (o,))


def _drop_none(d: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# --------------------------------------------------------------------------- the client

_NO_BODY = object()


_SAFETENSORS_DTYPE = {"F32": "float32", "I32": "int32", "U32": "uint32", "U8": "uint8",
                      "U16": "uint16", "U64": "uint64", "BOOL": "bool"}


def load_safetensors(payload: bytes) -> Dict[str, Tensor]:
    """The tensors of a safetensors file (as ``params_safetensors`` returns) by name, in the
    file's order; the ``__metadata__`` strings are in :func:`safetensors_metadata`. Needs no
    numpy and no ``safetensors`` package. Raises ValueError for a malformed file or a dtype
    keyfold has no Tensor for."""
    header, data = _safetensors_parts(payload)
    out: Dict[str, Tensor] = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        dtype = _SAFETENSORS_DTYPE.get(h.get("dtype"))
        if dtype is None:
            raise ValueError("safetensors tensor %r: dtype %r" % (name, h.get("dtype")))
        shape = [int(d) for d in h["shape"]]
        begin, end = (int(x) for x in h["data_offsets"])
        n = 1
        for d in shape:
            n *= d
        fmt = "<%d%s" % (n, _STRUCT[dtype])
        if not 0 <= begin <= end <= len(data) or end - begin != struct.calcsize(fmt):
            raise ValueError("safetensors tensor %r: offsets %r do not hold shape %r"
                             % (name, [begin, end], shape))
        out[name] = Tensor(shape=shape, dtype=dtype, data=list(struct.unpack(fmt, data[begin:end])))
    return out


def safetensors_metadata(payload: bytes) -> Dict[str, str]:
    """The ``__metadata__`` strings of a safetensors file (keyfold's: ``format``,
    ``session``, ``flax``)."""
    header, _ = _safetensors_parts(payload)
    return dict(header.get("__metadata__", {}))


def _safetensors_parts(payload: bytes) -> Tuple[Dict[str, Any], bytes]:
    if len(payload) < 8:
        raise ValueError("not a safetensors file: %d bytes" % len(payload))
    (n,) = struct.unpack("<Q", payload[:8])
    if 8 + n > len(payload):
        raise ValueError("not a safetensors file: header of %d bytes past the end" % n)
    try:
        header = json.loads(payload[8:8 + n].decode("utf-8"))
    except ValueError as e:
        raise ValueError("not a safetensors header: %s" % e) from e
    if not isinstance(header, dict):
        raise ValueError("not a safetensors header: %r" % type(header).__name__)
    return header, payload[8 + n:]


class KeyfoldClient:
    """A client of one keyfoldd.

    ``url`` defaults to ``$KEYFOLD_URL``, else ``http://127.0.0.1:8470`` (``https://`` and a
    path prefix such as ``http://proxy/keyfold`` work too); ``token`` to ``$KEYFOLD_TOKEN``
    (sent as ``Authorization: Bearer <token>``; none if unset or empty); ``timeout`` is the
    socket timeout in seconds; ``threefry`` (``"partitionable"`` or ``"legacy"``), if given,
    is sent with every stateless call and session creation that does not name its own;
    ``binary=True`` moves tensors as ``.npy`` (replies of the samplers, initializers,
    ``sample`` and ``forward``; ``forward`` inputs given as a Tensor or a numpy array).

    Each thread uses one keep-alive connection of its own, so a client may be shared between
    threads. A connection the daemon closed while idle is noticed and replaced before it is
    used; a request that fails on a reused connection before it was sent (or an idempotent one
    that got no answer) is retried once on a new connection. Use the client as a context
    manager or call :meth:`close` to close its connections."""

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None,
                 timeout: float = 30.0, threefry: Optional[str] = None,
                 ssl_context: Optional[ssl.SSLContext] = None, binary: bool = False):
        url = url or os.environ.get("KEYFOLD_URL") or DEFAULT_URL
        if "://" not in url:
            url = "http://" + url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError("keyfold URL must be http:// or https://, got %r" % url)
        if not parts.hostname:
            raise ValueError("keyfold URL has no host: %r" % url)
        self.url = url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._prefix = parts.path.rstrip("/")
        self._ssl_context = ssl_context
        if token is None:
            token = os.environ.get("KEYFOLD_TOKEN") or None
        self.token = token
        self.timeout = timeout
        self.threefry = threefry
        self.binary = binary
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: List[http.client.HTTPConnection] = []
        self._opened = 0

    # -- connection handling

    def __enter__(self) -> "KeyfoldClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return "KeyfoldClient(%r)" % self.url

    def close(self) -> None:
        """Closes every connection of this client (it reconnects if used again)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            c.close()
        self._local = threading.local()

    @property
    def connections_opened(self) -> int:
        """How many TCP connections this client has opened so far (keep-alive reuses one per
        thread)."""
        return self._opened

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._scheme == "https":
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout,
                                                   context=self._ssl_context)
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    @staticmethod
    def _dropped(sock: socket.socket) -> bool:
        """An idle keep-alive socket that is readable has been closed by the peer."""
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def request(self, method: str, path: str, body: Any = _NO_BODY, *,
                idempotent: Optional[bool] = None, parse: str = "json",
                npy_body: Optional[bytes] = None) -> Any:
        """Sends one request and returns the parsed reply: the JSON value (None for an empty
        body) with ``parse="json"``, the text with ``parse="text"``, the bytes with
        ``parse="bytes"``, ``(Tensor, headers)``
        with ``parse="npy"`` (asking for ``application/x-npy``). ``body`` (any JSON value) is
        sent as application/json, ``npy_body`` (bytes) as application/x-npy. Raises a
        :class:`KeyfoldError` for 4xx/5xx."""
        url = self._prefix + path
        accept = {"json": "application/json", "npy": NPY_MEDIA_TYPE}.get(parse, "*/*")
        headers = {"Accept": accept, "User-Agent": "keyfold-client-python/" + __version__}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None
        if npy_body is not None:
            data = npy_body
            headers["Content-Type"] = NPY_MEDIA_TYPE
        elif body is not _NO_BODY:
            data = json.dumps(body, separators=(",", ":"), allow_nan=False,
                              default=_json_default).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if idempotent is None:
            idempotent = method in ("GET", "HEAD")
        attempt = 0
        while True:
            attempt += 1
            conn = self._connection()
            reused = conn.sock is not None
            if reused and self._dropped(conn.sock):
                conn.close()
                reused = False
            if conn.sock is None:
                with self._lock:
                    self._opened += 1
            sent = False
            try:
                try:
                    conn.request(method, url, body=data, headers=headers)
                    sent = True
                except (BrokenPipeError, ConnectionResetError):
                    # The daemon may have answered before reading the whole body (a
                    # Content-Length over --max-body gets its 413 at once): read that answer.
                    if conn.sock is None:
                        raise
                resp = conn.getresponse()
                payload = resp.read()
                status = resp.status
                rheaders = {k.lower(): v for k, v in resp.getheaders()}
                if resp.will_close:
                    conn.close()
            except (http.client.HTTPException, OSError) as e:
                conn.close()
                timed_out = isinstance(e, socket.timeout)
                if reused and attempt == 1 and not timed_out and (not sent or idempotent):
                    continue
                what = "timed out" if timed_out else "failed"
                raise KeyfoldConnectionError(
                    "%s %s to %s %s: %s" % (method, path, self.url, what, e or type(e).__name__)
                ) from e
            break
        if status >= 400:
            raise error_from_response(status, rheaders, payload)
        if parse == "text":
            return payload.decode("utf-8")
        if parse == "bytes":
            return payload
        if parse == "npy":
            try:
                return Tensor.from_npy(payload), rheaders
            except ValueError as e:
                raise KeyfoldError("%s %s: the reply is not a .npy tensor: %s" % (method, path, e),
                                   status=status, code="bad_response", headers=rheaders) from e
        if not payload:
            return None
        try:
            return json.loads(payload.decode("utf-8"))
        except ValueError as e:
            raise KeyfoldError("%s %s: the reply is not JSON: %s" % (method, path, e),
                               status=status, code="bad_response", headers=rheaders) from e

    def _post(self, path: str, body: Mapping[str, Any], idempotent: bool = False) -> Any:
        return self.request("POST", path, _drop_none(body), idempotent=idempotent)

    def _stateless(self, path: str, body: Mapping[str, Any], threefry: Optional[str]) -> Any:
        body = dict(body)
        body["threefry"] = threefry or self.threefry
        return self._post(path, body, idempotent=True)

    def _stateless_tensor(self, path: str, body: Mapping[str, Any],
                          threefry: Optional[str]) -> Tensor:
        """A stateless call that answers one tensor, as .npy when ``binary``."""
        if not self.binary:
            return Tensor.from_json(self._stateless(path, body, threefry))
        body = dict(body)
        body["threefry"] = threefry or self.threefry
        return self._npy_reply(path, _drop_none(body), idempotent=True)

    def _npy_reply(self, path: str, body: Any = _NO_BODY, idempotent: bool = False,
                   npy_body: Optional[bytes] = None) -> Tensor:
        """A POST whose reply is one tensor asked for as ``.npy``."""
        t, _ = self.request("POST", path, body, idempotent=idempotent, parse="npy",
                            npy_body=npy_body)
        return cast(Tensor, t)

    @staticmethod
    def _name(name: str) -> str:
        return urllib.parse.quote(name, safe="")

    # -- sessions

    def create_session(self, name: str, rngs: Optional[Mapping[str, SeedOrKey]] = None,
                       model: Optional[ModelLike] = None,
                       options: Optional[Mapping[str, Any]] = None, *,
                       threefry: Optional[str] = None, flax: Optional[str] = None) -> Session:
        """``POST /v1/sessions``: a named ``nnx.Rngs(**rngs)`` (``"default"`` is the positional
        seed) with an optional model: a list of layer specs (``[linear(2, 3), dropout(0.5)]``)
        or ``{"layers": [...]}``. ``threefry``/``flax`` set the options of that name."""
        body: Dict[str, Any] = {"name": name}
        if rngs is not None:
            body["rngs"] = {k: _seed_or_key(v) for k, v in rngs.items()}
        if model is not None:
            body["model"] = _model_json(model)
        opts = dict(options or {})
        if threefry is not None:
            opts["threefry"] = threefry
        elif "threefry" not in opts and self.threefry is not None:
            opts["threefry"] = self.threefry
        if flax is not None:
            opts["flax"] = flax
        if opts:
            body["options"] = opts
        return Session.from_json(self._post("/v1/sessions", body))

    def list_sessions(self, prefix: str = "", page_size: int = 1000) -> List[str]:
        """``GET /v1/sessions``: every session name (starting with ``prefix``), sorted,
        fetched ``page_size`` at a time (:meth:`iter_sessions`)."""
        return list(self.iter_sessions(prefix, page_size))

    def iter_sessions(self, prefix: str = "", page_size: int = 1000) -> Iterable[str]:
        """The session names starting with ``prefix``, in order, one page of ``page_size``
        (1..10000) per request: ``GET /v1/sessions?limit=…&prefix=…&page_token=…``."""
        token: Optional[str] = None
        while True:
            query = {"limit": str(page_size)}
            if prefix:
                query["prefix"] = prefix
            if token:
                query["page_token"] = token
            page = self.request("GET", "/v1/sessions?" + urllib.parse.urlencode(query))
            yield from page["sessions"]
            token = page.get("next_page_token")
            if not token:
                return

    def get_session(self, name: str) -> Session:
        """``GET /v1/sessions/{name}``: the session with its current keys and counts."""
        return Session.from_json(self.request("GET", "/v1/sessions/" + self._name(name)))

    def delete_session(self, name: str) -> None:
        """``DELETE /v1/sessions/{name}``."""
        self.request("DELETE", "/v1/sessions/" + self._name(name))

    def session(self, name: str) -> "SessionHandle":
        """A handle on the session ``name`` whose methods omit the name."""
        return SessionHandle(self, name)

    def keys(self, name: str, stream: Optional[str] = None, n: Optional[int] = None) -> KeyDraw:
        """``POST /v1/sessions/{name}/keys``: ``rngs.<stream>()`` n times (stream defaults to
        ``default``, n to 1; an unknown stream falls back to ``default``)."""
        b = self._post("/v1/sessions/%s/keys" % self._name(name), {"stream": stream, "n": n})
        return KeyDraw(b["stream"], b["source"], list(b["counts"]), [list(k) for k in b["keys"]])

    def sample(self, name: str, distribution: str, shape: Optional[Shape] = None, *,
               stream: Optional[str] = None, **params: Any) -> Sample:
        """``POST /v1/sessions/{name}/sample``: ``rngs.<stream>.<distribution>(shape, ...)`` —
        one key from the stream, then the stateless sampler of that name (any ``session_sample``
        operation of :meth:`random_operations`) with it. ``params`` are the sampler's, by JAX's
        names (``minval=``, ``p=``, ``dtype=``, ...): numbers, nested lists, numpy arrays or
        Tensors, broadcast against ``shape`` as in JAX; ``None`` leaves the daemon's default."""
        body = {k: _param(v) for k, v in params.items()}
        body.update(stream=stream, distribution=distribution,
                    shape=None if shape is None else _shape(shape))
        return self._sample(name, body)

    def sample_init(self, name: str, initializer: str, shape: Shape, *, stream: Optional[str] = None,
                    **params: Any) -> Sample:
        """``POST /v1/sessions/{name}/sample`` with ``initializer``: Flax 0.12's keyless
        initializers, ``rngs.<stream>.<initializer>(**params)(shape)`` — one key from the stream,
        then ``jax.nn.initializers.<initializer>`` with it (parameters as for ``init_*``)."""
        body = dict(params, stream=stream, initializer=initializer, shape=_shape(shape))
        return self._sample(name, body)

    def _sample(self, name: str, body: Dict[str, Any]) -> Sample:
        path = "/v1/sessions/%s/sample" % self._name(name)
        if not self.binary:
            return Sample.from_json(self._post(path, body))
        t, h = self.request("POST", path, _drop_none(body), parse="npy")
        return Sample(shape=t.shape, dtype=t.dtype, data=t.data,
                      key=[int(v) for v in h["keyfold-key"].split(",")],
                      count=int(h["keyfold-count"]), stream=h["keyfold-stream"],
                      source=h["keyfold-source"])

    def forward(self, name: str, x: Any, deterministic: Optional[bool] = None) -> Tensor:
        """``POST /v1/sessions/{name}/forward``: the model's output for ``x`` (nested lists, a
        Tensor or a numpy array). ``deterministic`` overrides every dropout layer."""
        path = "/v1/sessions/%s/forward" % self._name(name)
        if not self.binary:
            body = {"x": _input(x), "deterministic": deterministic}
            return Tensor.from_json(self._post(path, body)["y"])
        npy = _npy_input(x)
        if npy is None:
            body = {"x": _input(x), "deterministic": deterministic}
            return self._npy_reply(path, _drop_none(body))
        if deterministic is not None:
            path += "?deterministic=" + ("true" if deterministic else "false")
        return self._npy_reply(path, npy_body=npy)

    def reseed(self, name: str, streams: Optional[Mapping[str, SeedOrKey]] = None, /, *,
               target: Optional[str] = None, policy: Optional[str] = None,
               **kw: SeedOrKey) -> Session:
        """``POST /v1/sessions/{name}/reseed``: ``nnx.reseed`` — ``reseed("exp1", dropout=42)``
        or ``reseed("exp1", {"dropout": 42})``. Flax 0.10 sessions: each named stream gets
        ``key(seed)`` (or the given key) and count 0. Flax 0.11+ sessions: the n-th stream of a
        tag gets ``fold_in(key(seed), n)``; ``target`` is ``"all"`` (default), ``"model"`` or
        ``"rngs"``, ``policy`` ``"scalars_only"`` or ``"match_shape"`` (as Flax's reseed, like
        it they are not stream names: pass streams called so in the mapping). Returns the
        session."""
        merged: Dict[str, Any] = dict(streams or {})
        merged.update(kw)
        body: Dict[str, Any] = {"streams": {k: _seed_or_key(v) for k, v in merged.items()}}
        if target is not None:
            body["target"] = target
        if policy is not None:
            body["policy"] = policy
        return Session.from_json(self._post("/v1/sessions/%s/reseed" % self._name(name), body))

    def fork(self, name: str, child: str, streams: Optional[Sequence[str]] = None,
             model: Optional[ModelLike] = None,
             options: Optional[Mapping[str, Any]] = None) -> Session:
        """``POST /v1/sessions/{name}/fork``: ``Rngs.fork()`` as a new session ``child`` whose
        streams are forks of the parent's (``streams``, default every one): child key =
        ``fold_in(parent key, parent count)``, and each forked parent stream moves on by one.
        ``model`` is built from the child's streams; ``options`` default to the parent's.
        Returns the child session."""
        body: Dict[str, Any] = {"name": child}
        if streams is not None:
            body["streams"] = list(streams)
        if model is not None:
            body["model"] = _model_json(model)
        if options is not None:
            body["options"] = dict(options)
        return Session.from_json(self._post("/v1/sessions/%s/fork" % self._name(name), body))

    def params(self, name: str) -> List[Dict[str, Tensor]]:
        """``GET /v1/sessions/{name}/params``: one dict per node of the expanded layer tree in
        preorder (``{}`` without parameters, ``kernel``/``bias`` for linear and conv,
        ``embedding`` for embed, ``scale``/``bias`` for the norms, ``query.kernel``, ... for
        multi_head_attention). Batch statistics are in :meth:`params_state`."""
        b = self.request("GET", "/v1/sessions/%s/params" % self._name(name))
        return [{k: Tensor.from_json(v) for k, v in layer.items()} for layer in b["params"]]

    def params_state(self, name: str) -> Dict[str, Any]:
        """``GET …/params?format=state``: the variables (Params and BatchStats) nested by path
        as ``nnx.state(model)`` holds them (``{"layers": {"0": {"kernel": Tensor, "bias":
        Tensor}}}``; names where the layers have them: ``{"head": {"kernel": ...}}``)."""
        b = self.request("GET", "/v1/sessions/%s/params?format=state" % self._name(name))

        def tensors(node: Mapping[str, Any]) -> Dict[str, Any]:
            return {k: Tensor.from_json(v) if "dtype" in v else tensors(v) for k, v in node.items()}
        return tensors(b)

    def params_safetensors(self, name: str) -> bytes:
        """``GET …/params?format=safetensors``: the same variables as a safetensors file
        (tensor names are the dotted paths, ``layers.0.kernel``); read it with
        :func:`load_safetensors`, the ``safetensors`` package or a few lines of NumPy."""
        return cast(bytes, self.request("GET", "/v1/sessions/%s/params?format=safetensors"
                                        % self._name(name), parse="bytes"))

    # -- stateless jax.random

    def random_operations(self) -> List[Dict[str, Any]]:
        """``GET /v1/random``: every ``jax.random`` operation of the daemon with its parameters
        (name, kind, default, required, dtype, array, description), in JAX's order."""
        return list(self.request("GET", "/v1/random")["operations"])

    def random(self, op: str, key: Optional[KeyLike] = None, *, threefry: Optional[str] = None,
               **params: Any) -> Any:
        """``POST /v1/random/{op}``: any operation by name with JAX's parameter names —
        ``kf.random("uniform", k, shape=(2, 3), minval=numpy.zeros(3), maxval=[[1], [2]])``.
        Array parameters may be numbers, nested lists, numpy arrays or Tensors; they broadcast
        against ``shape`` as in JAX. Returns a :class:`Tensor` (as ``.npy`` when ``binary``),
        or for ``key``/``fold_in``/``split`` the decoded JSON reply."""
        body: Dict[str, Any] = {k: _param(v) for k, v in params.items()}
        if key is not None:
            body["key"] = _key(key)
        if body.get("shape") is not None:
            body["shape"] = _shape(body["shape"])
        path = "/v1/random/" + self._name(op)
        if op in _KEY_OPERATIONS:
            return self._stateless(path, body, threefry)
        return self._stateless_tensor(path, body, threefry)

    def _random_tensor(self, op: str, key: Optional[KeyLike] = None, *,
                       threefry: Optional[str] = None, **params: Any) -> Tensor:
        """:meth:`random` for the operations that answer one tensor (every one but
        ``key``/``fold_in``/``split``)."""
        return cast(Tensor, self.random(op, key, threefry=threefry, **params))

    def random_key(self, seed: SeedOrKey, threefry: Optional[str] = None) -> Key:
        """``jax.random.key(seed)`` as key data: ``[0, seed mod 2^32]`` (a key is returned as
        is)."""
        b = self._stateless("/v1/random/key", {"seed": _seed_or_key(seed)}, threefry)
        return list(b["key"])

    def fold_in(self, key: KeyLike, data: int, threefry: Optional[str] = None) -> Key:
        """``jax.random.fold_in(key, data)``, data in 0..2^32-1."""
        body = {"key": _key(key), "data": operator.index(data)}
        return list(self._stateless("/v1/random/fold_in", body, threefry)["key"])

    def split(self, key: KeyLike, num: Shape = 2, threefry: Optional[str] = None) -> List[Key]:
        """``jax.random.split(key, num)``: the keys flat in row-major order (``num`` may be a
        shape)."""
        n: Any = operator.index(num) if isinstance(num, numbers.Integral) else _shape(num)
        b = self._stateless("/v1/random/split", {"key": _key(key), "num": n}, threefry)
        return [list(k) for k in b["keys"]]

    def bits(self, key: KeyLike, shape: Shape = (), bit_width: Optional[int] = None,
             threefry: Optional[str] = None) -> Tensor:
        """``jax.random.bits(key, shape, uint<bit_width>)`` (8, 16, 32 = default, 64); uint64
        elements come back as ints."""
        body = {"key": _key(key), "shape": _shape(shape), "bit_width": bit_width}
        return self._stateless_tensor("/v1/random/bits", body, threefry)

    def uniform(self, key: KeyLike, shape: Shape = (), minval: Any = None,
                maxval: Any = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.uniform(key, shape, float32, minval=0, maxval=1)``."""
        body = {"key": _key(key), "shape": _shape(shape), "minval": _param(minval),
                "maxval": _param(maxval)}
        return self._stateless_tensor("/v1/random/uniform", body, threefry)

    def normal(self, key: KeyLike, shape: Shape = (), threefry: Optional[str] = None) -> Tensor:
        """``jax.random.normal(key, shape, float32)``."""
        body = {"key": _key(key), "shape": _shape(shape)}
        return self._stateless_tensor("/v1/random/normal", body, threefry)

    def truncated_normal(self, key: KeyLike, lower: Any, upper: Any, shape: Optional[Shape] = (),
                         threefry: Optional[str] = None) -> Tensor:
        """``jax.random.truncated_normal(key, lower, upper, shape, float32)``; ``shape=None``
        is the broadcast of the bounds' shapes."""
        body = {"key": _key(key), "shape": None if shape is None else _shape(shape),
                "lower": _param(lower), "upper": _param(upper)}
        return self._stateless_tensor("/v1/random/truncated_normal", body, threefry)

    def bernoulli(self, key: KeyLike, p: Any = None, shape: Optional[Shape] = (),
                  threefry: Optional[str] = None) -> Tensor:
        """``jax.random.bernoulli(key, p=0.5, shape)``: a bool Tensor; ``shape=None`` is p's
        shape."""
        body = {"key": _key(key), "shape": None if shape is None else _shape(shape), "p": _param(p)}
        return self._stateless_tensor("/v1/random/bernoulli", body, threefry)

    def randint(self, key: KeyLike, shape: Shape, minval: Any, maxval: Any,
                threefry: Optional[str] = None) -> Tensor:
        """``jax.random.randint(key, shape, minval, maxval, int32)`` (bounds in int32, integers
        or arrays of them)."""
        body = {"key": _key(key), "shape": _shape(shape), "minval": _int_param(minval),
                "maxval": _int_param(maxval)}
        return self._stateless_tensor("/v1/random/randint", body, threefry)

    def permutation(self, key: KeyLike, n: int, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.permutation(key, n)``: an int32 Tensor of shape [n]."""
        body = {"key": _key(key), "n": operator.index(n)}
        return self._stateless_tensor("/v1/random/permutation", body, threefry)

    # -- the distributions: thin wrappers of random(), JAX's signatures (float32 output but
    # geometric and rademacher, int32); shape None is JAX's None (the parameters' broadcast)

    def exponential(self, key: KeyLike, shape: Shape = (), threefry: Optional[str] = None) -> Tensor:
        """``jax.random.exponential(key, shape)``."""
        return self._random_tensor("exponential", key, threefry=threefry, shape=shape)

    def gumbel(self, key: KeyLike, shape: Shape = (), mode: Optional[str] = None,
               threefry: Optional[str] = None) -> Tensor:
        """``jax.random.gumbel(key, shape, mode=None)``: mode "low" (None), "high" or "highest"."""
        return self._random_tensor("gumbel", key, threefry=threefry, shape=shape, mode=mode)

    def laplace(self, key: KeyLike, shape: Shape = (), threefry: Optional[str] = None) -> Tensor:
        """``jax.random.laplace(key, shape)``."""
        return self._random_tensor("laplace", key, threefry=threefry, shape=shape)

    def logistic(self, key: KeyLike, shape: Shape = (), threefry: Optional[str] = None) -> Tensor:
        """``jax.random.logistic(key, shape)``."""
        return self._random_tensor("logistic", key, threefry=threefry, shape=shape)

    def cauchy(self, key: KeyLike, shape: Shape = (), threefry: Optional[str] = None) -> Tensor:
        """``jax.random.cauchy(key, shape)``."""
        return self._random_tensor("cauchy", key, threefry=threefry, shape=shape)

    def pareto(self, key: KeyLike, b: Any, shape: Optional[Shape] = None,
               threefry: Optional[str] = None) -> Tensor:
        """``jax.random.pareto(key, b, shape=None)``."""
        return self._random_tensor("pareto", key, threefry=threefry, b=b, shape=shape)

    def weibull_min(self, key: KeyLike, scale: Any, concentration: Any, shape: Shape = (),
                    threefry: Optional[str] = None) -> Tensor:
        """``jax.random.weibull_min(key, scale, concentration, shape)``: a draw of ``shape``
        broadcast with the parameters afterwards."""
        return self._random_tensor("weibull_min", key, threefry=threefry, scale=scale,
                           concentration=concentration, shape=shape)

    def rayleigh(self, key: KeyLike, scale: Any, shape: Optional[Shape] = None,
                 threefry: Optional[str] = None) -> Tensor:
        """``jax.random.rayleigh(key, scale, shape=None)``."""
        return self._random_tensor("rayleigh", key, threefry=threefry, scale=scale, shape=shape)

    def geometric(self, key: KeyLike, p: Any, shape: Optional[Shape] = None,
                  threefry: Optional[str] = None) -> Tensor:
        """``jax.random.geometric(key, p, shape=None)``: an int32 Tensor."""
        return self._random_tensor("geometric", key, threefry=threefry, p=p, shape=shape)

    def triangular(self, key: KeyLike, left: Any, mode: Any, right: Any,
                   shape: Optional[Shape] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.triangular(key, left, mode, right, shape=None)``."""
        return self._random_tensor("triangular", key, threefry=threefry, left=left, mode=mode,
                           right=right, shape=shape)

    def lognormal(self, key: KeyLike, sigma: Any = None, shape: Optional[Shape] = None,
                  threefry: Optional[str] = None) -> Tensor:
        """``jax.random.lognormal(key, sigma=1, shape=None)``."""
        return self._random_tensor("lognormal", key, threefry=threefry, sigma=sigma, shape=shape)

    def maxwell(self, key: KeyLike, shape: Shape = (), threefry: Optional[str] = None) -> Tensor:
        """``jax.random.maxwell(key, shape)``."""
        return self._random_tensor("maxwell", key, threefry=threefry, shape=shape)

    def double_sided_maxwell(self, key: KeyLike, loc: Any, scale: Any, shape: Shape = (),
                             threefry: Optional[str] = None) -> Tensor:
        """``jax.random.double_sided_maxwell(key, loc, scale, shape)``: shape + the
        parameters' broadcast shape."""
        return self._random_tensor("double_sided_maxwell", key, threefry=threefry, loc=loc,
                           scale=scale, shape=shape)

    def rademacher(self, key: KeyLike, shape: Shape = (), threefry: Optional[str] = None) -> Tensor:
        """``jax.random.rademacher(key, shape)``: an int32 Tensor of -1 and 1."""
        return self._random_tensor("rademacher", key, threefry=threefry, shape=shape)

    # -- the gamma family: rsqrt is keyfold's choice of jaxlib ("intel-nr2", the default:
    # jaxlib 0.10.2 on Intel; "sqrt-div": jaxlib <= 0.7.0, Flax 0.10's); None leaves the default

    def gamma(self, key: KeyLike, a: Any, shape: Optional[Shape] = None,
              rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.gamma(key, a, shape=None)``."""
        return self._random_tensor("gamma", key, threefry=threefry, a=a, shape=shape, rsqrt=rsqrt)

    def loggamma(self, key: KeyLike, a: Any, shape: Optional[Shape] = None,
                 rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.loggamma(key, a, shape=None)``."""
        return self._random_tensor("loggamma", key, threefry=threefry, a=a, shape=shape, rsqrt=rsqrt)

    def beta(self, key: KeyLike, a: Any, b: Any, shape: Optional[Shape] = None,
             rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.beta(key, a, b, shape=None)``."""
        return self._random_tensor("beta", key, threefry=threefry, a=a, b=b, shape=shape, rsqrt=rsqrt)

    def chisquare(self, key: KeyLike, df: Any, shape: Optional[Shape] = None,
                  rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.chisquare(key, df, shape=None)``."""
        return self._random_tensor("chisquare", key, threefry=threefry, df=df, shape=shape, rsqrt=rsqrt)

    def t(self, key: KeyLike, df: Any, shape: Optional[Shape] = None,
          rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.t(key, df, shape=None)``."""
        return self._random_tensor("t", key, threefry=threefry, df=df, shape=shape, rsqrt=rsqrt)

    def f(self, key: KeyLike, dfnum: Any, dfden: Any, shape: Optional[Shape] = None,
          rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.f(key, dfnum, dfden, shape=None)``."""
        return self._random_tensor("f", key, threefry=threefry, dfnum=dfnum, dfden=dfden, shape=shape,
                           rsqrt=rsqrt)

    def generalized_normal(self, key: KeyLike, p: Any, shape: Shape = (),
                           rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.generalized_normal(key, p, shape)``."""
        return self._random_tensor("generalized_normal", key, threefry=threefry, p=p, shape=shape,
                           rsqrt=rsqrt)

    def dirichlet(self, key: KeyLike, alpha: Any, shape: Optional[Shape] = None,
                  rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.dirichlet(key, alpha, shape=None)``: shape + (k,) for k concentrations
        (one vector for every row)."""
        return self._random_tensor("dirichlet", key, threefry=threefry, alpha=alpha, shape=shape,
                           rsqrt=rsqrt)

    def ball(self, key: KeyLike, d: int, p: float = 2.0, shape: Shape = (),
             rsqrt: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.ball(key, d, p=2, shape=())``: shape + (d,)."""
        return self._random_tensor("ball", key, threefry=threefry, d=operator.index(d), p=p, shape=shape,
                           rsqrt=rsqrt)

    # -- wald, poisson, binomial, categorical, choice, multinomial

    def wald(self, key: KeyLike, mean: Any, shape: Optional[Shape] = None,
             threefry: Optional[str] = None) -> Tensor:
        """``jax.random.wald(key, mean, shape=None)``."""
        return self._random_tensor("wald", key, threefry=threefry, mean=mean, shape=shape)

    def poisson(self, key: KeyLike, lam: Any, shape: Optional[Shape] = None,
                threefry: Optional[str] = None) -> Tensor:
        """``jax.random.poisson(key, lam, shape=None)``: an int32 Tensor."""
        return self._random_tensor("poisson", key, threefry=threefry, lam=lam, shape=shape)

    def binomial(self, key: KeyLike, n: Any, p: Any, shape: Optional[Shape] = None,
                 threefry: Optional[str] = None) -> Tensor:
        """``jax.random.binomial(key, n, p, shape=None)``: float32 counts."""
        return self._random_tensor("binomial", key, threefry=threefry, n=n, p=p, shape=shape)

    def categorical(self, key: KeyLike, logits: Any, axis: int = -1, shape: Optional[Shape] = None,
                    replace: bool = True, mode: Optional[str] = None,
                    threefry: Optional[str] = None) -> Tensor:
        """``jax.random.categorical(key, logits, axis=-1, shape=None, replace=True)``: int32
        indices; shape is sample dimensions followed by the logits' batch shape."""
        return self._random_tensor("categorical", key, threefry=threefry, logits=logits,
                                   axis=operator.index(axis), shape=shape, replace=bool(replace),
                                   mode=mode)

    def choice(self, key: KeyLike, a: Any, shape: Shape = (), replace: bool = True, p: Any = None,
               axis: int = 0, mode: Optional[str] = None, threefry: Optional[str] = None) -> Tensor:
        """``jax.random.choice(key, a, shape=(), replace=True, p=None, axis=0)``: ``a`` an
        integer (choose from 0..a-1) or an integer array (its slices along ``axis``)."""
        return self._random_tensor("choice", key, threefry=threefry, a=a, shape=shape,
                                   replace=bool(replace), p=p, axis=operator.index(axis), mode=mode)

    def multivariate_normal(self, key: KeyLike, mean: Any, cov: Any, shape: Optional[Shape] = None,
                            method: str = "cholesky", threefry: Optional[str] = None) -> Tensor:
        """``jax.random.multivariate_normal(key, mean, cov, shape=None, method='cholesky')``:
        shape + (n,) for mean (..., n) and cov (..., n, n); 'svd' and 'eigh' are refused."""
        return self._random_tensor("multivariate_normal", key, threefry=threefry, mean=mean, cov=cov,
                                   shape=shape, method=method)

    def orthogonal(self, key: KeyLike, n: int, shape: Shape = (), m: Optional[int] = None,
                   threefry: Optional[str] = None) -> Tensor:
        """``jax.random.orthogonal(key, n, shape=(), m=None)``: shape + (n, m) matrices with
        orthonormal columns (rows when n < m), Haar-distributed."""
        return self._random_tensor("orthogonal", key, threefry=threefry, n=operator.index(n), shape=shape,
                                   m=None if m is None else operator.index(m))

    def multinomial(self, key: KeyLike, n: Any, p: Any, shape: Optional[Shape] = None,
                    threefry: Optional[str] = None) -> Tensor:
        """``jax.random.multinomial(key, n, p, shape=None)``: float32 counts, categories along
        the last axis."""
        return self._random_tensor("multinomial", key, threefry=threefry, n=n, p=p, shape=shape)

    # -- stateless jax.nn.initializers

    def initialize(self, initializer: InitLike, key: KeyLike, shape: Shape,
                   threefry: Optional[str] = None) -> Tensor:
        """``POST /v1/init/{name}``: ``initializer`` is a name (``"he_uniform"``, also the
        ``xavier_*``/``kaiming_*`` aliases), an :class:`Initializer` (``init.uniform(1.0)``)
        or a ``{"name": ..., params}`` mapping."""
        spec = _init_json(initializer)
        if isinstance(spec, Mapping):
            params = dict(spec)
            name = params.pop("name")
        else:
            name, params = spec, {}
        body = {"key": _key(key), "shape": _shape(shape)}
        body.update(params)
        return self._stateless_tensor("/v1/init/" + self._name(name), body, threefry)

    def init_zeros(self, key: KeyLike, shape: Shape, threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.zeros`` (ignores the key)."""
        return self.initialize("zeros", key, shape, threefry)

    def init_ones(self, key: KeyLike, shape: Shape, threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.ones`` (ignores the key)."""
        return self.initialize("ones", key, shape, threefry)

    def init_constant(self, key: KeyLike, shape: Shape, value: Optional[float] = None,
                      threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.constant(value=0.0)`` (ignores the key)."""
        return self.initialize(_spec("constant", value=value), key, shape, threefry)

    def init_normal(self, key: KeyLike, shape: Shape, stddev: Optional[float] = None,
                    threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.normal(stddev=0.01)``."""
        return self.initialize(_spec("normal", stddev=stddev), key, shape, threefry)

    def init_uniform(self, key: KeyLike, shape: Shape, scale: Optional[float] = None,
                     threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.uniform(scale=0.01)``: U[0, scale)."""
        return self.initialize(_spec("uniform", scale=scale), key, shape, threefry)

    def init_truncated_normal(self, key: KeyLike, shape: Shape, stddev: Optional[float] = None,
                              lower: Optional[float] = None, upper: Optional[float] = None,
                              threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.truncated_normal(stddev=0.01, lower=-2.0, upper=2.0)``."""
        spec = _spec("truncated_normal", stddev=stddev, lower=lower, upper=upper)
        return self.initialize(spec, key, shape, threefry)

    def init_variance_scaling(self, key: KeyLike, shape: Shape, scale: Optional[float] = None,
                              mode: Optional[str] = None, distribution: Optional[str] = None,
                              in_axis: Optional[int] = None, out_axis: Optional[int] = None,
                              threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.variance_scaling(scale=1.0, mode="fan_in",
        distribution="truncated_normal", in_axis=-2, out_axis=-1)``."""
        spec = _spec("variance_scaling", scale=scale, mode=mode, distribution=distribution,
                     in_axis=in_axis, out_axis=out_axis)
        return self.initialize(spec, key, shape, threefry)

    def init_lecun_normal(self, key: KeyLike, shape: Shape,
                          threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.lecun_normal()`` (rank >= 2)."""
        return self.initialize("lecun_normal", key, shape, threefry)

    def init_lecun_uniform(self, key: KeyLike, shape: Shape,
                           threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.lecun_uniform()`` (rank >= 2)."""
        return self.initialize("lecun_uniform", key, shape, threefry)

    def init_glorot_normal(self, key: KeyLike, shape: Shape,
                           threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.glorot_normal()`` (= xavier_normal; rank >= 2)."""
        return self.initialize("glorot_normal", key, shape, threefry)

    def init_glorot_uniform(self, key: KeyLike, shape: Shape,
                            threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.glorot_uniform()`` (= xavier_uniform; rank >= 2)."""
        return self.initialize("glorot_uniform", key, shape, threefry)

    def init_he_normal(self, key: KeyLike, shape: Shape,
                       threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.he_normal()`` (= kaiming_normal; rank >= 2)."""
        return self.initialize("he_normal", key, shape, threefry)

    def init_he_uniform(self, key: KeyLike, shape: Shape,
                        threefry: Optional[str] = None) -> Tensor:
        """``jax.nn.initializers.he_uniform()`` (= kaiming_uniform; rank >= 2)."""
        return self.initialize("he_uniform", key, shape, threefry)

    # -- operations

    def _health(self, path: str) -> bool:
        try:
            self.request("GET", path)
        except Unavailable:
            return False
        return True

    def health_live(self) -> bool:
        """``GET /v2/health/live``: True when the daemon serves (no token needed). Raises
        :class:`KeyfoldConnectionError` when it cannot be reached."""
        return self._health("/v2/health/live")

    def health_ready(self) -> bool:
        """``GET /v2/health/ready``: True when ready, False while it answers 503 (recovering
        sessions at start-up, shutting down, or the store failing to write)."""
        return self._health("/v2/health/ready")

    def wait_ready(self, timeout: float = 10.0, interval: float = 0.05) -> None:
        """Waits until the daemon answers ready, tolerating a daemon not yet listening.
        Raises :class:`Unavailable` (or the last connection error) after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        last: KeyfoldError = Unavailable("keyfoldd at %s is not ready" % self.url)
        while True:
            try:
                if self.health_ready():
                    return
                last = Unavailable("keyfoldd at %s is not ready" % self.url)
            except KeyfoldConnectionError as e:
                last = e
            if time.monotonic() >= deadline:
                raise last
            time.sleep(interval)

    def metrics(self) -> str:
        """``GET /metrics``: the Prometheus text exposition."""
        return cast(str, self.request("GET", "/metrics", parse="text"))

    def snapshot(self) -> str:
        """``POST /v1/admin/snapshot``: writes an online backup of the store and returns its
        path (on the daemon's host). :class:`FailedPrecondition` with
        ``--durability memory``."""
        return str(self._post("/v1/admin/snapshot", {})["path"])

    def restore(self, advance: int) -> int:
        """``POST /v1/admin/restore``: ends the fence of a store restored from a snapshot by
        moving every stream of every fenced session ``advance`` counts on (choose more than the
        keys handed out since the snapshot was taken). Returns the number of sessions advanced.
        :class:`FailedPrecondition` when the store is not fenced or a stream would pass
        4294967295; :class:`InvalidArgument` for an ``advance`` outside 1..4294967295."""
        return int(self._post("/v1/admin/restore", {"advance": advance})["advanced_sessions"])


def _spec(name: str, **params: Any) -> Initializer:
    return Initializer(name, _drop_none(params))


class SessionHandle:
    """``client.session("exp1")``: the session methods of a client bound to one name."""

    def __init__(self, client: KeyfoldClient, name: str):
        self.client = client
        self.name = name

    def __repr__(self) -> str:
        return "SessionHandle(%r)" % self.name

    def get(self) -> Session:
        return self.client.get_session(self.name)

    def delete(self) -> None:
        self.client.delete_session(self.name)

    def keys(self, stream: Optional[str] = None, n: Optional[int] = None) -> KeyDraw:
        return self.client.keys(self.name, stream, n)

    def sample(self, distribution: str, shape: Optional[Shape] = None, **kw: Any) -> Sample:
        return self.client.sample(self.name, distribution, shape, **kw)

    def forward(self, x: Any, deterministic: Optional[bool] = None) -> Tensor:
        return self.client.forward(self.name, x, deterministic)

    def reseed(self, streams: Optional[Mapping[str, SeedOrKey]] = None, /, *,
               target: Optional[str] = None, policy: Optional[str] = None,
               **kw: SeedOrKey) -> Session:
        return self.client.reseed(self.name, streams, target=target, policy=policy, **kw)

    def params(self) -> List[Dict[str, Tensor]]:
        return self.client.params(self.name)

    def params_state(self) -> Dict[str, Any]:
        return self.client.params_state(self.name)

    def params_safetensors(self) -> bytes:
        return self.client.params_safetensors(self.name)

    def fork(self, child: str, streams: Optional[Sequence[str]] = None, model: Optional[ModelLike] = None,
             options: Optional[Mapping[str, Any]] = None) -> "SessionHandle":
        """Forks this session into ``child`` (:meth:`KeyfoldClient.fork`); returns its handle."""
        self.client.fork(self.name, child, streams, model, options)
        return SessionHandle(self.client, child)


# --------------------------------------------------------------------------- command line

def _demo(kf: KeyfoldClient, out: Any) -> None:
    name = "demo-%d-%d" % (os.getpid(), int(time.time() * 1000) % 1000000)

    def show(label: str, value: Any) -> None:
        print("%-44s %s" % (label, value), file=out)

    s = kf.create_session(name, rngs={"params": 0, "dropout": 42},
                          model=[linear(2, 3), dropout(0.5)])
    try:
        show("session", s.name)
        show("counts after construction",
             {k: v.count for k, v in s.rngs.items()})
        show("rngs.params() x2", kf.keys(name, "params", n=2).keys)
        y1 = kf.forward(name, [[1.0, 1.0]])
        show("y1 = model(ones((1, 2)))", y1.tolist())
        s = kf.reseed(name, dropout=42)
        show("after reseed(dropout=42)", {k: (v.key, v.count) for k, v in s.rngs.items()})
        y2 = kf.forward(name, [[1.0, 1.0]])
        show("y2 = model(ones((1, 2)))", y2.tolist())
        show("y1 == y2", y1 == y2)
        p = kf.params(name)[0]
        show("kernel", p["kernel"].tolist())
        show("bias", p["bias"].tolist())
        show("rngs.dropout.normal((2,))", kf.sample(name, "normal", [2], stream="dropout").data)
        show("key(42)", kf.random_key(42))
        show("uniform(key [0, 0], (3,))", kf.uniform([0, 0], [3]).data)
    finally:
        kf.delete_session(name)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="keyfold-client",
                                 description="keyfoldd client (Python standard library only)")
    ap.add_argument("--url", help="daemon URL (default $KEYFOLD_URL or %s)" % DEFAULT_URL)
    ap.add_argument("--token", help="bearer token (default $KEYFOLD_TOKEN)")
    ap.add_argument("--timeout", type=float, default=30.0, help="socket timeout in seconds")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="the Linear(2,3)+Dropout(0.5) session of the Flax reseed docstring")
    sub.add_parser("health", help="liveness and readiness")
    sub.add_parser("sessions", help="list the sessions")
    sub.add_parser("metrics", help="print the Prometheus metrics")
    sub.add_parser("snapshot", help="write a snapshot of the store and print its path")
    args = ap.parse_args(argv)
    try:
        with KeyfoldClient(args.url, token=args.token, timeout=args.timeout) as kf:
            if args.command == "demo":
                _demo(kf, sys.stdout)
            elif args.command == "health":
                live, ready = kf.health_live(), kf.health_ready()
                print("live: %s\nready: %s" % (live, ready))
                return 0 if live and ready else 1
            elif args.command == "sessions":
                for n in kf.list_sessions():
                    print(n)
            elif args.command == "metrics":
                sys.stdout.write(kf.metrics())
            elif args.command == "snapshot":
                print(kf.snapshot())
    except KeyfoldError as e:
        print("keyfold_client: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
