"""Known answers from real Flax for the layers of issue 13 (test tooling only).

nnx.reseed's order (read from flax 0.12.8's flax/nnx/rnglib.py::reseed and
graphlib.py::_iter_graph / pytreelib.py::_graph_node_flatten, and confirmed by the
names_streams, streams_list12 and streams_repeat_named cases below):
  0.12: reseed(model, dropout=S) makes tmp = Rngs(dropout=S) and walks
        nnx.iter_graph(model); each RngStream whose tag is "dropout" gets
        key = tmp.dropout() = fold_in(key(S), n), count = 0, n = 0, 1, 2, ... in that walk.
        The walk is depth-first, a node's children in sorted key order: a Module's
        attribute names sorted as Python strings (code points: "Beta" < "alpha" <
        "block" < "layers" < "mid_attn" < "zeta"), an nnx.List's indices as integers
        (layers.2 before layers.10; integer keys sort before string keys), each
        object once (a shared one at its first path). The stream itself sits at
        `<layer path>.rngs` (Dropout and MultiHeadAttention both name it `rngs`).
        So the n a stream gets is its rank in sorted-path order, not its
        construction (fork) order: in streams_repeat_named each block builds d
        (fork n) before attn (fork n+1), but reseed gives attn 2b and d 2b+1.
        Streams of another tag are untouched (streams_default: Dropouts built from
        Rngs(default=3) fork `default` and reseed(dropout=42) leaves them alone).
  0.10: Dropout (and MultiHeadAttention with dropout_rate > 0) hold the caller's
        Rngs itself; iter_graph meets it once, at the first path in the same sorted
        order (names_streams: `Beta.rngs.dropout`, `Beta.rngs.params`), and reseed
        sets the shared stream to key(S), count 0 -- the Rngs the model was built
        from sees the change too.
  Each case's expect.reseed holds the held streams before and after
  nnx.reseed(model, dropout=42) (applied after the recorded forwards), with their
  tags, the Rngs' streams after it, and one train-mode forward of the first input.

Per-era differences found while writing these cases:
  - MultiHeadAttention.__call__ has is_causal= in 0.12 only; keyfold's "causal": true
    is called here as mask=nnx.make_causal_mask(x[..., 0]) in both eras (x is (batch,
    length, features), x[..., 0] is (batch, length), the mask (batch, 1, length, length)
    broadcasts over heads). 0.12's is_causal=True gives bit-identical outputs.
  - Parameters are identical between the eras for every small case (streams_default
    aside: a 0.12 Dropout forks `default` at construction, moving the later draws), but
    NOT for mnist_cnn: jaxlib 0.6.2 and 0.10.2 differ by 1 ulp in about 0.03% of
    truncated_normal draws (XLA:CPU's log1p, jax-random.md 13.4) -- 6 of 18432, 237 of
    802816 and 1 of 2560 kernel values. The summaries' heads agree, the sums do not.
  - Forward outputs differ by a few ulps between the eras (XLA's reduction orders).
Flax behaviour both eras share, which keyfold has to follow:
  - GroupNorm(n, group_size=g) raises unless num_groups=None is passed too (the default
    num_groups=32 clashes); keyfold's {"group_size": g} maps to num_groups=None.
  - Conv with input_dilation accepts explicit padding only (pairs or an int): "SAME",
    "VALID" and "CIRCULAR" all raise "String padding is not implemented for transposed
    convolution using this op" (CIRCULAR pads first, then passes "VALID" to lax).
  - ConvTranspose has no input_dilation / feature_group_count; it accepts "CIRCULAR".
  - avg_pool with "SAME" counts the padding in the divisor (count_include_pad=True);
    max_pool pads with -inf.
  - The MNIST case (the Flax docs' CNN) records parameter summaries only
    (expect.built.params_summary: path, shape, first 16 values as hex, float64 sum)
    instead of expect.built.params.

Each case is one model in keyfold's API JSON (api.md "Layers and composition":
layer types in snake case with Flax's constructor keywords, containers
sequential / residual / repeat, optional "name"), built with real Flax NNX in
the installed era from nnx.Rngs(**rngs), and what Flax printed for it:

  built:   every nnx.Param and nnx.BatchStat by dotted path (nnx.state's
           nesting flattened), the Rngs' streams (name, key, count) after
           construction, and the streams the model holds (path, key, count)
  outputs: for each named input (float32), the forward output in train mode
           (dropout on, batch norms updating their statistics) then in eval
           mode, with the batch statistics after the train step

    V=/work/venvs/kf-oracle-flax-0.12/bin/python
    $V scripts/gen-layer-vectors.py -o tests/vectors/flax-layers-0.12.json
    /work/venvs/kf-oracle-flax-0.10/bin/python scripts/gen-layer-vectors.py -o tests/vectors/flax-layers-0.10.json

How keyfold's model JSON maps onto Flax (the contract the daemon implements):
  - a container's children run in list order; an unnamed child is element i
    of the container's `layers` list (path `layers.i`), a named one the
    attribute of that name (path `name`), as a user's own Module holds it;
  - `sequential` is nnx.Sequential when no child has a name, else such a
    Module; `residual` returns x + f(x) with f its children in order;
    `repeat` {count, layers} builds count blocks one after another, block b
    at `layers.b` (each a sequential of the given layers);
  - functions (relu, softmax, flatten, ...) are children without variables.
Nothing here is needed by the product or by the default test command.
"""
import argparse
import json
import os
import platform
import sys

import numpy as np
import jax
import jax.numpy as jnp
import jaxlib
import flax
from flax import nnx

ERA = "0.10" if flax.__version__.startswith(("0.9.", "0.10.")) else ".".join(flax.__version__.split(".")[:2])


def hexdata(a):
    a = np.ascontiguousarray(a)
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes().hex()


def result(a):
    a = np.asarray(a)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "expect": hexdata(a)}


def value_of(v):
    """A Variable's array in either era."""
    for attr in ("value", "raw_value"):
        try:
            return getattr(v, attr)
        except Exception:
            pass
    return v[...]


# --------------------------------------------------------------------- functions

def pair(v, n):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


FUNCTIONS = {
    "relu": lambda s: jax.nn.relu,
    "gelu": lambda s: (lambda x: jax.nn.gelu(x, approximate=s.get("approximate", True))),
    "tanh": lambda s: jnp.tanh,
    "sigmoid": lambda s: jax.nn.sigmoid,
    "silu": lambda s: jax.nn.silu,
    "softmax": lambda s: (lambda x: jax.nn.softmax(x, axis=s.get("axis", -1))),
    "log_softmax": lambda s: (lambda x: jax.nn.log_softmax(x, axis=s.get("axis", -1))),
    "elu": lambda s: (lambda x: jax.nn.elu(x, alpha=s.get("alpha", 1.0))),
    "leaky_relu": lambda s: (lambda x: jax.nn.leaky_relu(x, negative_slope=s.get("negative_slope", 0.01))),
    "softplus": lambda s: jax.nn.softplus,
    "avg_pool": lambda s: (lambda x: flax.linen.avg_pool(x, tuple(s["window_shape"]),
                                                          strides=tuple(s["strides"]) if s.get("strides") else None,
                                                          padding=s.get("padding", "VALID"))),
    "max_pool": lambda s: (lambda x: flax.linen.max_pool(x, tuple(s["window_shape"]),
                                                          strides=tuple(s["strides"]) if s.get("strides") else None,
                                                          padding=s.get("padding", "VALID"))),
    "flatten": lambda s: (lambda x: x.reshape(x.shape[0], -1)),
    "reshape": lambda s: (lambda x: x.reshape(x.shape[0], *s["shape"])),
}


# --------------------------------------------------------------------- layers

def init_of(v):
    """A keyfold initializer (a name, or {"name": ..., parameters}) as jax.nn.initializers'."""
    I = jax.nn.initializers
    if isinstance(v, str):
        return getattr(I, v) if v in ("zeros", "ones") else getattr(I, v)()
    p = {k: x for k, x in v.items() if k != "name"}
    if v["name"] == "variance_scaling":
        return I.variance_scaling(p.get("scale", 1.0), p.get("mode", "fan_in"), p.get("distribution", "truncated_normal"),
                                  in_axis=p.get("in_axis", -2), out_axis=p.get("out_axis", -1))
    return getattr(I, v["name"])(**p)


INITS = ("kernel_init", "bias_init", "scale_init", "embedding_init")


def kw(spec, *names):
    out = {n: (tuple(spec[n]) if isinstance(spec[n], list) else spec[n]) for n in names if n in spec}
    out.update({n: init_of(spec[n]) for n in INITS if n in spec})
    return out


def padding_of(p):
    if isinstance(p, list):
        return [tuple(x) for x in p]
    return p


def build_layer(spec, rngs):
    t = spec["type"]
    if t in FUNCTIONS:
        return FUNCTIONS[t](spec)
    if t == "linear":
        return nnx.Linear(spec["in_features"], spec["out_features"], rngs=rngs, **kw(spec, "use_bias"))
    if t == "linear_general":
        return nnx.LinearGeneral(tuple(spec["in_features"]) if isinstance(spec["in_features"], list) else spec["in_features"],
                                 tuple(spec["out_features"]) if isinstance(spec["out_features"], list) else spec["out_features"],
                                 rngs=rngs, **kw(spec, "axis", "use_bias"))
    if t == "einsum":
        return nnx.Einsum(spec["einsum_str"], tuple(spec["kernel_shape"]),
                          tuple(spec["bias_shape"]) if spec.get("bias_shape") else None, rngs=rngs, **kw(spec))
    if t == "embed":
        return nnx.Embed(spec["num_embeddings"], spec["features"], rngs=rngs, **kw(spec))
    if t in ("conv", "conv_transpose"):
        cls = nnx.Conv if t == "conv" else nnx.ConvTranspose
        extra = kw(spec, "strides", "kernel_dilation", "use_bias")
        if t == "conv":
            extra.update(kw(spec, "input_dilation", "feature_group_count"))
        if "padding" in spec:
            extra["padding"] = padding_of(spec["padding"])
        return cls(spec["in_features"], spec["out_features"], tuple(spec["kernel_size"]), rngs=rngs, **extra)
    if t == "layer_norm":
        return nnx.LayerNorm(spec["num_features"], rngs=rngs, **kw(spec, "epsilon", "use_bias", "use_scale"))
    if t == "rms_norm":
        return nnx.RMSNorm(spec["num_features"], rngs=rngs, **kw(spec, "epsilon", "use_scale"))
    if t == "batch_norm":
        return nnx.BatchNorm(spec["num_features"], rngs=rngs, **kw(spec, "momentum", "epsilon", "use_bias", "use_scale"))
    if t == "group_norm":
        extra = kw(spec, "num_groups", "group_size", "epsilon", "use_bias", "use_scale")
        if "group_size" in spec and "num_groups" not in spec:
            extra["num_groups"] = None  # Flax's default num_groups=32 would clash with group_size
        return nnx.GroupNorm(spec["num_features"], rngs=rngs, **extra)
    if t == "multi_head_attention":
        extra = kw(spec, "qkv_features", "out_features", "dropout_rate", "normalize_qk", "use_bias", "keep_rngs")
        extra.update({n: init_of(spec[n]) for n in ("out_kernel_init", "out_bias_init") if spec.get(n) is not None})
        return nnx.MultiHeadAttention(spec["num_heads"], spec["in_features"], rngs=rngs, decode=False, **extra)
    if t == "dropout":
        return nnx.Dropout(spec["rate"], rngs=rngs, **kw(spec, "broadcast_dims", "rng_collection"))
    if t in ("sequential", "residual", "repeat"):
        return Container(spec, rngs)
    raise SystemExit("unknown layer type %r" % t)


class Container(nnx.Module):
    """sequential / residual / repeat: children in order; named ones as
    attributes, the others in `layers`."""

    def __init__(self, spec, rngs):
        self.kind = spec["type"]
        children = spec["layers"]
        if self.kind == "repeat":
            children = [{"type": "sequential", "layers": spec["layers"]} for _ in range(spec["count"])]
        order, unnamed = [], []
        for c in children:
            layer = build_layer(c, rngs)
            causal = bool(c.get("causal", False))
            if "name" in c:
                setattr(self, c["name"], layer)
                order.append(("attr", c["name"], causal))
            else:
                order.append(("list", len(unnamed), causal))
                unnamed.append(layer)
        self.layers = nnx.List(unnamed) if hasattr(nnx, "List") else unnamed
        self.order = tuple(order)

    def __call__(self, x, deterministic=None):
        y = x
        for how, which, causal in self.order:
            f = getattr(self, which) if how == "attr" else self.layers[which]
            y = call(f, y, deterministic, causal)
        return x + y if self.kind == "residual" else y


def call(f, x, deterministic, causal=False):
    if isinstance(f, nnx.MultiHeadAttention) and causal:
        # keyfold's "causal": true. x is (batch, length, features): the mask is built from
        # x[..., 0] (batch, length) -> (batch, 1, length, length), broadcast over the heads.
        # 0.12's f(x, is_causal=True) gives bit-identical outputs; 0.10 has no is_causal.
        mask = nnx.make_causal_mask(x[..., 0])
        if deterministic is None:
            return f(x, mask=mask)
        return f(x, mask=mask, deterministic=deterministic)
    if isinstance(f, nnx.MultiHeadAttention) and getattr(f, "rngs", None) is None and f.dropout_rate > 0:
        # keep_rngs=False: the layer holds no stream; keyfold draws its dropout key from the
        # session's Rngs ('dropout', else 'default'), as f(x, rngs=rngs) does with the Rngs
        # the model was built from.
        if deterministic is None:
            return f(x, rngs=CALL_RNGS[0])
        return f(x, deterministic=deterministic, rngs=CALL_RNGS[0])
    if isinstance(f, (nnx.Dropout, nnx.MultiHeadAttention)):
        if deterministic is None:
            return f(x)
        return f(x, deterministic=deterministic)
    if isinstance(f, nnx.BatchNorm):
        return f(x, use_running_average=bool(deterministic)) if deterministic is not None else f(x)
    if isinstance(f, Container):
        return f(x, deterministic)
    return f(x)


# --------------------------------------------------------------------- cases

def state_paths(model, kind):
    flat = nnx.state(model, kind).flat_state()
    items = flat.items() if hasattr(flat, "items") else flat
    out = []
    for path, v in items:
        out.append({"path": ".".join(str(p) for p in path), "value": result(value_of(v))})
    return sorted(out, key=lambda e: e["path"])


def rng_streams(rngs):
    out = []
    for name, stream in rngs.items() if hasattr(rngs, "items") else vars(rngs).items():
        if not isinstance(stream, nnx.RngStream):
            continue
        out.append({"name": name, "key": [int(x) for x in jax.random.key_data(value_of(stream.key))],
                    "count": int(value_of(stream.count))})
    return out


def held_streams(model):
    out = []
    for path, node in nnx.iter_graph(model):
        if isinstance(node, nnx.RngStream):
            out.append({"path": ".".join(str(p) for p in path),
                        "key": [int(x) for x in jax.random.key_data(value_of(node.key))],
                        "count": int(value_of(node.count))})
    return out


def summary_paths(model, kind):
    """Large models: each variable's shape, its first 16 elements (hex, as `expect`) and its
    sum in float64 (numpy's pairwise sum of the float32 values converted to float64)."""
    out = []
    for e in state_paths(model, kind):
        a = np.frombuffer(bytes.fromhex(e["value"]["expect"]), dtype=e["value"]["dtype"])
        out.append({"path": e["path"], "dtype": e["value"]["dtype"], "shape": e["value"]["shape"],
                    "size": int(a.size), "head": hexdata(a[:16]), "sum": float(a.astype(np.float64).sum())})
    return out


def tagged_streams(model):
    out = []
    for path, node in nnx.iter_graph(model):
        if isinstance(node, nnx.RngStream):
            tag = getattr(node, "tag", None)
            if tag is None:  # 0.12 keeps the tag on the key Variable
                tag = getattr(getattr(node, "key", None), "tag", None)
            out.append({"path": ".".join(str(p) for p in path), "tag": tag,
                        "key": [int(x) for x in jax.random.key_data(value_of(node.key))],
                        "count": int(value_of(node.count))})
    return out


RESEED = {"dropout": 42}


CALL_RNGS = [None]  # the Rngs of the case being built, for layers that take rngs at call


def make_case(name, model_spec, rngs_spec, inputs, summary=False):
    rngs = nnx.Rngs(**rngs_spec)
    CALL_RNGS[0] = rngs
    model = Container({"type": "sequential", "layers": model_spec["layers"]}, rngs)
    built = {"params_summary": summary_paths(model, nnx.Param)} if summary else \
        {"params": state_paths(model, nnx.Param)}
    built.update({"batch_stats": state_paths(model, nnx.BatchStat),
                  "rngs": rng_streams(rngs), "model_streams": held_streams(model)})
    outputs = []
    for xname, x in inputs.items():
        xa = jnp.asarray(np.asarray(x, dtype=np.int32 if model_spec["layers"][0]["type"] == "embed" else np.float32))
        y_train = call(model, xa, False)
        stats = state_paths(model, nnx.BatchStat)
        y_eval = call(model, xa, True)
        outputs.append({"input": xname, "train": result(y_train), "batch_stats_after": stats,
                        "eval": result(y_eval), "rngs_after": rng_streams(rngs),
                        "model_streams_after": held_streams(model)})
    # nnx.reseed(model, **RESEED) after the forwards above: the held streams in graph order
    # (iter_graph: depth-first, attributes sorted, list indices numerically) with their tags,
    # the Rngs' streams, and one train-mode forward of the first input afterwards.
    before = tagged_streams(model)
    nnx.reseed(model, **RESEED)
    x0name, x0 = next(iter(inputs.items()))
    after = {"streams": RESEED, "model_streams_before": before, "model_streams": tagged_streams(model),
             "rngs": rng_streams(rngs)}
    xa = jnp.asarray(np.asarray(x0, dtype=np.int32 if model_spec["layers"][0]["type"] == "embed" else np.float32))
    after["train_after"] = {"input": x0name, "train": result(call(model, xa, False))}
    return {"id": "%s/flax-%s" % (name, ERA), "op": "flax_layers", "era": ERA,
            "args": {"rngs": rngs_spec, "model": model_spec, "inputs": inputs},
            "expect": {"built": built, "outputs": outputs, "reseed": after}}


def grid(rng, *shape):
    return np.round(rng.standard_normal(shape), 3).astype(np.float32).tolist()


def cases():
    rng = np.random.default_rng(13)
    out = []
    # one model per layer type, its draws among others' (a linear before and after)
    lin = lambda i, o: {"type": "linear", "in_features": i, "out_features": o}
    singles = {
        "layer_norm": [lin(4, 4), {"type": "layer_norm", "num_features": 4}, lin(4, 3)],
        "layer_norm_noscale": [lin(4, 4), {"type": "layer_norm", "num_features": 4, "use_scale": False}, lin(4, 3)],
        "rms_norm": [lin(4, 4), {"type": "rms_norm", "num_features": 4}, lin(4, 3)],
        "batch_norm": [lin(4, 4), {"type": "batch_norm", "num_features": 4}, lin(4, 3)],
        "group_norm": [lin(4, 4), {"type": "group_norm", "num_features": 4, "num_groups": 2}, lin(4, 3)],
        "linear_general": [{"type": "linear_general", "in_features": 4, "out_features": [2, 3]},
                           {"type": "flatten"}, lin(6, 2)],
        "einsum": [{"type": "einsum", "einsum_str": "bi,io->bo", "kernel_shape": [4, 5], "bias_shape": [5]},
                   lin(5, 2)],
        "attention": [{"type": "multi_head_attention", "num_heads": 2, "in_features": 4, "qkv_features": 4}, lin(4, 2)],
        "attention_dropout": [{"type": "multi_head_attention", "num_heads": 2, "in_features": 4,
                               "dropout_rate": 0.5, "normalize_qk": True}, lin(4, 2)],
        "functions": [lin(4, 6), {"type": "softmax"}, {"type": "log_softmax"}, {"type": "elu"},
                      {"type": "leaky_relu"}, {"type": "softplus"}, {"type": "gelu", "approximate": False}],
    }
    for name, layers in singles.items():
        seq = name.startswith("attention")
        x = {"x": grid(rng, 2, 3, 4) if seq else grid(rng, 3, 4)}
        out.append(make_case(name, {"layers": layers}, {"params": 0, "dropout": 1}, x))
    conv = {"layers": [
        {"type": "conv", "in_features": 1, "out_features": 4, "kernel_size": [3, 3]}, {"type": "relu"},
        {"type": "avg_pool", "window_shape": [2, 2], "strides": [2, 2]},
        {"type": "conv", "in_features": 4, "out_features": 4, "kernel_size": [3, 3], "strides": [2, 2],
         "padding": "VALID", "feature_group_count": 2},
        {"type": "conv_transpose", "in_features": 4, "out_features": 2, "kernel_size": [2, 2], "strides": [2, 2]},
        {"type": "max_pool", "window_shape": [2, 2], "strides": [2, 2]},
        {"type": "flatten"}, lin(2, 3)]}
    out.append(make_case("cnn", conv, {"params": 0}, {"x": grid(rng, 2, 8, 8, 1)}))
    block = [{"type": "layer_norm", "num_features": 8, "name": "norm1"},
             {"type": "multi_head_attention", "num_heads": 2, "in_features": 8, "dropout_rate": 0.1, "name": "attn"}]
    mlp = [{"type": "layer_norm", "num_features": 8, "name": "norm2"}, lin(8, 16), {"type": "gelu"},
           {"type": "dropout", "rate": 0.1}, lin(16, 8)]
    encoder = {"layers": [{"type": "embed", "num_embeddings": 10, "features": 8},
                          {"type": "repeat", "count": 2, "layers": [
                              {"type": "residual", "layers": block},
                              {"type": "residual", "layers": mlp}]}]}
    out.append(make_case("encoder", encoder, {"params": 0, "dropout": 1},
                         {"x": rng.integers(0, 10, (2, 5)).tolist()}))
    bn_mlp = {"layers": [item for _ in range(5) for item in (lin(4, 4), {"type": "batch_norm", "num_features": 4})]}
    out.append(make_case("batchnorm_mlp", bn_mlp, {"params": 0}, {"x": grid(rng, 3, 4)}))
    out.extend(option_cases(rng, lin))
    return out


def option_cases(rng, lin):
    """Issue 13's layer options, one model per feature, appended after the first 13 cases (their
    inputs come from the same generator afterwards, so the first 13 stay as they were)."""
    out = []
    P = {"params": 0}
    PD = {"params": 0, "dropout": 1}

    def add(name, layers, x, rngs=P, **k):
        out.append(make_case(name, {"layers": layers}, rngs, {"x": x}, **k))

    def conv(i, o, ks, **opts):
        return dict({"type": "conv", "in_features": i, "out_features": o, "kernel_size": ks}, **opts)

    def convt(i, o, ks, **opts):
        return dict({"type": "conv_transpose", "in_features": i, "out_features": o, "kernel_size": ks}, **opts)

    # conv: rank, padding, strides, dilations, groups, bias (each followed by a linear on the
    # feature axis, so its draws sit among others')
    for name, layer, shape in [
            ("conv1d", conv(2, 3, [3]), (2, 5, 2)),
            ("conv2d", conv(2, 3, [3, 3]), (2, 4, 4, 2)),
            ("conv3d", conv(2, 3, [2, 2, 2]), (2, 3, 3, 3, 2)),
            ("conv2d_same", conv(2, 3, [3, 3], padding="SAME"), (2, 4, 5, 2)),
            ("conv2d_valid", conv(2, 3, [3, 3], padding="VALID"), (2, 5, 4, 2)),
            ("conv2d_circular", conv(2, 3, [3, 3], padding="CIRCULAR"), (2, 4, 5, 2)),
            ("conv1d_causal", conv(2, 3, [3], padding="CAUSAL"), (2, 6, 2)),
            ("conv2d_explicit", conv(2, 3, [3, 3], padding=[[1, 2], [0, 1]]), (2, 5, 6, 2)),
            ("conv2d_strides", conv(2, 3, [3, 3], strides=[2, 1]), (2, 5, 5, 2)),
            ("conv1d_strides_valid", conv(2, 3, [3], strides=[2], padding="VALID"), (2, 8, 2)),
            # input_dilation takes explicit padding only: every string padding raises (see above)
            ("conv2d_input_dilation", conv(2, 3, [3, 3], input_dilation=[2, 2], padding=[[1, 1], [0, 1]]),
             (2, 4, 4, 2)),
            ("conv2d_input_dilation_int_padding", conv(2, 3, [2, 2], input_dilation=[2, 1], padding=1),
             (2, 3, 4, 2)),
            ("conv2d_input_dilation_zero_padding", conv(2, 3, [2, 2], input_dilation=[1, 3],
                                                        padding=[[0, 0], [0, 0]]), (2, 3, 3, 2)),
            ("conv2d_kernel_dilation", conv(2, 3, [3, 3], kernel_dilation=[2, 1], padding="VALID"), (2, 6, 4, 2)),
            ("conv2d_kernel_dilation_same", conv(2, 3, [3, 2], kernel_dilation=[1, 2]), (2, 4, 5, 2)),
            ("conv2d_groups", conv(4, 6, [3, 3], feature_group_count=2), (2, 4, 4, 4)),
            ("conv2d_nobias", conv(2, 3, [3, 3], use_bias=False), (2, 4, 4, 2)),
            # conv_transpose
            ("conv_transpose1d", convt(2, 3, [3]), (2, 5, 2)),
            ("conv_transpose2d", convt(2, 3, [3, 3]), (2, 3, 3, 2)),
            ("conv_transpose1d_strides", convt(2, 3, [3], strides=[2]), (2, 5, 2)),
            ("conv_transpose2d_same_strides", convt(2, 3, [3, 3], padding="SAME", strides=[2, 2]), (2, 3, 4, 2)),
            ("conv_transpose2d_valid", convt(2, 3, [3, 3], padding="VALID"), (2, 3, 3, 2)),
            ("conv_transpose2d_valid_strides", convt(2, 3, [3, 2], padding="VALID", strides=[2, 3]), (2, 3, 3, 2)),
            ("conv_transpose2d_circular", convt(2, 3, [3, 3], padding="CIRCULAR"), (2, 3, 4, 2)),
            ("conv_transpose2d_circular_strides", convt(2, 3, [3, 3], padding="CIRCULAR", strides=[2, 2]),
             (2, 3, 4, 2)),
            ("conv_transpose1d_circular", convt(2, 3, [4], padding="CIRCULAR", strides=[2]), (2, 5, 2)),
            ("conv_transpose2d_explicit", convt(2, 3, [3, 3], padding=[[1, 2], [0, 1]]), (2, 4, 4, 2)),
            ("conv_transpose2d_kernel_dilation", convt(2, 3, [3, 3], kernel_dilation=[2, 1]), (2, 3, 4, 2)),
            ("conv_transpose2d_nobias", convt(2, 3, [2, 2], use_bias=False, strides=[2, 2]), (2, 3, 3, 2))]:
        add(name, [layer, lin(layer["out_features"], 2)], grid(rng, *shape))
    # pooling: SAME padding (avg_pool counts the padding: Flax's count_include_pad=True), strides
    for name, layer, shape in [
            ("avg_pool1d_same", {"type": "avg_pool", "window_shape": [3], "strides": [2], "padding": "SAME"}, (2, 7, 2)),
            ("max_pool1d_same", {"type": "max_pool", "window_shape": [3], "strides": [2], "padding": "SAME"}, (2, 7, 2)),
            ("avg_pool2d_same", {"type": "avg_pool", "window_shape": [3, 2], "strides": [2, 2], "padding": "SAME"},
             (2, 5, 4, 2)),
            ("max_pool2d_same", {"type": "max_pool", "window_shape": [3, 2], "strides": [2, 2], "padding": "SAME"},
             (2, 5, 4, 2)),
            ("avg_pool2d_strides", {"type": "avg_pool", "window_shape": [2, 2], "strides": [1, 2]}, (2, 4, 4, 2)),
            ("max_pool1d_nostrides", {"type": "max_pool", "window_shape": [2]}, (2, 5, 2)),
            ("max_pool2d_same_negative", {"type": "max_pool", "window_shape": [2, 2], "strides": [2, 2],
                                          "padding": "SAME"}, (2, 3, 3, 2))]:
        x = grid(rng, *shape)
        if name.endswith("negative"):
            x = (-np.abs(np.asarray(x, dtype=np.float32)) - 1).tolist()  # SAME pads max_pool with -inf
        add(name, [layer, lin(2, 2)], x)
    # multi_head_attention options
    mha = lambda **o: dict({"type": "multi_head_attention", "num_heads": 2, "in_features": 4}, **o)
    for name, layer, rngs in [
            ("attention_causal", mha(causal=True), P),
            ("attention_causal_dropout", mha(causal=True, dropout_rate=0.5), PD),
            ("attention_out_qkv", mha(qkv_features=6, out_features=3), P),
            ("attention_nobias", mha(use_bias=False, qkv_features=6), P),
            ("attention_normalize_qk", mha(normalize_qk=True), P),
            ("attention_all", mha(causal=True, qkv_features=6, out_features=5, use_bias=False, normalize_qk=True,
                                  dropout_rate=0.25), PD)]:
        add(name, [layer, lin(layer.get("out_features", 4), 2)], grid(rng, 2, 4, 4), rngs)
    # norms
    for name, layer in [
            ("batch_norm_momentum", {"type": "batch_norm", "num_features": 4, "momentum": 0.5}),
            ("batch_norm_epsilon", {"type": "batch_norm", "num_features": 4, "epsilon": 0.25}),
            ("batch_norm_nobias", {"type": "batch_norm", "num_features": 4, "use_bias": False}),
            ("batch_norm_noscale", {"type": "batch_norm", "num_features": 4, "use_scale": False}),
            ("batch_norm_all", {"type": "batch_norm", "num_features": 4, "momentum": 0.8, "epsilon": 0.01,
                                "use_bias": False, "use_scale": False}),
            ("group_norm_group_size", {"type": "group_norm", "num_features": 4, "group_size": 2}),
            ("group_norm_group_size1", {"type": "group_norm", "num_features": 4, "group_size": 1,
                                        "epsilon": 0.1}),
            ("group_norm_rank4", {"type": "group_norm", "num_features": 4, "num_groups": 2})]:
        add(name, [lin(4, 4), layer, lin(4, 3)], grid(rng, 2, 3, 3, 4))
    for name, layer in [
            ("layer_norm_epsilon", {"type": "layer_norm", "num_features": 4, "epsilon": 0.5}),
            ("layer_norm_nobias", {"type": "layer_norm", "num_features": 4, "use_bias": False}),
            ("rms_norm_epsilon", {"type": "rms_norm", "num_features": 4, "epsilon": 0.5}),
            ("rms_norm_noscale", {"type": "rms_norm", "num_features": 4, "use_scale": False})]:
        add(name, [lin(4, 4), layer, lin(4, 3)], grid(rng, 3, 4))
    # linear_general, einsum, reshape, function options
    add("linear_general_axis", [{"type": "linear_general", "in_features": [3, 4], "out_features": 5,
                                 "axis": [-2, -1]}, lin(5, 2)], grid(rng, 2, 3, 4))
    add("linear_general_axis1", [{"type": "linear_general", "in_features": 3, "out_features": [2, 2],
                                  "axis": 1, "use_bias": False}, {"type": "flatten"}, lin(16, 2)],
        grid(rng, 2, 3, 4))
    add("einsum_abc", [{"type": "einsum", "einsum_str": "abc,cd->abd", "kernel_shape": [4, 5], "bias_shape": [5]},
                       lin(5, 2)], grid(rng, 2, 3, 4))
    add("einsum_nobias", [{"type": "einsum", "einsum_str": "abc,cde->abde", "kernel_shape": [4, 2, 3]},
                          {"type": "flatten"}, lin(18, 2)], grid(rng, 2, 3, 4))
    add("reshape", [lin(4, 6), {"type": "reshape", "shape": [2, 3]}, {"type": "layer_norm", "num_features": 3},
                    {"type": "reshape", "shape": [6]}, lin(6, 2)], grid(rng, 3, 4))
    add("function_options", [lin(4, 6), {"type": "reshape", "shape": [2, 3]}, {"type": "softmax", "axis": 1},
                             {"type": "log_softmax", "axis": 1}, {"type": "elu", "alpha": 0.5},
                             {"type": "leaky_relu", "negative_slope": 0.2}, {"type": "flatten"}, lin(6, 2),
                             {"type": "elu", "alpha": 2.0}, {"type": "gelu"}, {"type": "silu"},
                             {"type": "tanh"}, {"type": "sigmoid"}, {"type": "relu"}], grid(rng, 3, 4))
    add("leaky_relu_elu", [lin(4, 6), {"type": "leaky_relu", "negative_slope": 0.3}, lin(6, 4),
                           {"type": "elu", "alpha": 0.7}, {"type": "softmax", "axis": 0}], grid(rng, 3, 4))
    # names: several depths (a residual with named children inside a repeat), a container with
    # named and unnamed children
    add("names_depths", [
        lin(4, 4),
        {"type": "repeat", "count": 2, "name": "blocks", "layers": [
            {"type": "residual", "name": "res", "layers": [
                {"type": "layer_norm", "num_features": 4, "name": "norm"},
                {"type": "linear", "in_features": 4, "out_features": 4, "name": "fc"},
                {"type": "relu"},
                lin(4, 4)]},
            {"type": "linear", "in_features": 4, "out_features": 4, "name": "proj"}]},
        {"type": "linear", "in_features": 4, "out_features": 2, "name": "head"}], grid(rng, 3, 4))
    add("names_mixed", [
        {"type": "linear", "in_features": 4, "out_features": 4, "name": "z_first"},
        lin(4, 4),
        {"type": "sequential", "name": "inner", "layers": [
            lin(4, 4), {"type": "linear", "in_features": 4, "out_features": 4, "name": "b"},
            {"type": "gelu"}, {"type": "linear", "in_features": 4, "out_features": 4, "name": "a"}, lin(4, 4)]},
        {"type": "linear", "in_features": 4, "out_features": 3, "name": "A_upper"},
        lin(3, 2)], grid(rng, 3, 4))
    # streams whose graph order (sorted attributes, depth-first, list indices numerically)
    # differs from construction order
    drop = lambda r, **o: dict({"type": "dropout", "rate": r}, **o)
    add("names_streams", [
        drop(0.5, name="zeta"),
        lin(4, 4),
        mha(dropout_rate=0.5, name="mid_attn"),
        drop(0.5),
        drop(0.25, name="alpha"),
        {"type": "residual", "name": "block", "layers": [
            mha(dropout_rate=0.5),
            drop(0.5, name="drop"),
            drop(0.75)]},
        mha(dropout_rate=0.25),
        drop(0.5, name="Beta"),
        lin(4, 2)], grid(rng, 2, 3, 4), PD)
    add("streams_list12", [{"type": "repeat", "count": 12, "layers": [drop(0.5)]}], grid(rng, 2, 4), PD)
    add("streams_repeat_named", [{"type": "repeat", "count": 11, "layers": [
        lin(4, 4), drop(0.5, name="d"), mha(dropout_rate=0.5, name="attn")]}], grid(rng, 2, 2, 4), PD)
    add("streams_default", [drop(0.5, name="b"), lin(4, 4), drop(0.5, name="a")], grid(rng, 2, 4), {"default": 3})
    # the Flax docs' MNIST tutorial CNN (parameters summarised: shapes, first 16 values, sums)
    mnist = [conv(1, 32, [3, 3]), {"type": "relu"}, {"type": "avg_pool", "window_shape": [2, 2], "strides": [2, 2]},
             conv(32, 64, [3, 3]), {"type": "relu"}, {"type": "avg_pool", "window_shape": [2, 2], "strides": [2, 2]},
             {"type": "flatten"}, lin(3136, 256), {"type": "relu"}, lin(256, 10)]
    add("mnist_cnn", mnist, grid(rng, 1, 28, 28, 1), P, summary=True)
    # every initializer keyword of the layers that take one (scale_init and bias_init of the norms too)
    add("initializers", [
        dict(lin(4, 6), kernel_init="he_uniform", bias_init={"name": "normal", "stddev": 0.5}),
        {"type": "layer_norm", "num_features": 6, "scale_init": {"name": "normal", "stddev": 0.5},
         "bias_init": {"name": "uniform", "scale": 0.3}},
        {"type": "rms_norm", "num_features": 6, "scale_init": {"name": "truncated_normal", "stddev": 0.2}},
        {"type": "batch_norm", "num_features": 6, "scale_init": {"name": "constant", "value": 2.0},
         "bias_init": {"name": "normal", "stddev": 0.1}},
        {"type": "group_norm", "num_features": 6, "num_groups": 3, "scale_init": "zeros",
         "bias_init": {"name": "constant", "value": -1.5}},
        {"type": "linear_general", "in_features": 6, "out_features": [2, 2], "kernel_init": "glorot_normal",
         "bias_init": {"name": "uniform", "scale": 1.0}},
        {"type": "flatten"},
        {"type": "einsum", "einsum_str": "bi,io->bo", "kernel_shape": [4, 3], "bias_shape": [3],
         "kernel_init": {"name": "variance_scaling", "scale": 2.0, "mode": "fan_out", "distribution": "uniform"},
         "bias_init": {"name": "normal", "stddev": 1.0}}], grid(rng, 3, 4), P)
    add("initializers_conv_attention", [
        {"type": "conv", "in_features": 2, "out_features": 4, "kernel_size": [3], "kernel_init": "xavier_uniform",
         "bias_init": {"name": "normal", "stddev": 0.2}},
        {"type": "multi_head_attention", "num_heads": 2, "in_features": 4, "kernel_init": "lecun_uniform",
         "bias_init": {"name": "normal", "stddev": 0.3}}], grid(rng, 2, 5, 2), P)
    add("attention_out_inits", [
        {"type": "multi_head_attention", "num_heads": 2, "in_features": 4, "out_features": 3,
         "out_kernel_init": {"name": "normal", "stddev": 0.7}, "out_bias_init": {"name": "uniform", "scale": 0.5}},
        lin(3, 2)], grid(rng, 2, 3, 4), P)
    add("attention_keep_rngs_false", [
        {"type": "multi_head_attention", "num_heads": 2, "in_features": 4, "dropout_rate": 0.5, "keep_rngs": False},
        drop(0.5), lin(4, 2)], grid(rng, 2, 3, 4), PD)
    add("initializers_embed", [
        {"type": "embed", "num_embeddings": 6, "features": 4, "embedding_init": {"name": "uniform", "scale": 2.0}},
        lin(4, 2)], rng.integers(0, 6, (2, 3)).tolist(), P)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    jax.config.update("jax_platforms", "cpu")
    doc = {"format": 1, "generator": {"script": "scripts/gen-layer-vectors.py", "era": ERA, "jax": jax.__version__,
                                      "jaxlib": jaxlib.__version__, "flax": flax.__version__,
                                      "numpy": np.__version__, "python": platform.python_version(),
                                      "cpu": platform.processor() or platform.machine()},
           "cases": cases()}
    with open(a.output, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("%s: %d cases" % (a.output, len(doc["cases"])), file=sys.stderr)


if __name__ == "__main__":
    main()
