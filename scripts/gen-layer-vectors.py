"""Known answers from real Flax for the layers of issue 13 (test tooling only).

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

def kw(spec, *names):
    return {n: (tuple(spec[n]) if isinstance(spec[n], list) else spec[n]) for n in names if n in spec}


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
                          tuple(spec["bias_shape"]) if spec.get("bias_shape") else None, rngs=rngs)
    if t == "embed":
        return nnx.Embed(spec["num_embeddings"], spec["features"], rngs=rngs)
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
        return nnx.GroupNorm(spec["num_features"], rngs=rngs, **kw(spec, "num_groups", "epsilon", "use_bias", "use_scale"))
    if t == "multi_head_attention":
        return nnx.MultiHeadAttention(spec["num_heads"], spec["in_features"], rngs=rngs, decode=False,
                                      **kw(spec, "qkv_features", "out_features", "dropout_rate",
                                           "normalize_qk", "use_bias"))
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
            if "name" in c:
                setattr(self, c["name"], layer)
                order.append(("attr", c["name"]))
            else:
                order.append(("list", len(unnamed)))
                unnamed.append(layer)
        self.layers = nnx.List(unnamed) if hasattr(nnx, "List") else unnamed
        self.order = tuple(order)

    def __call__(self, x, deterministic=None):
        y = x
        for how, which in self.order:
            f = getattr(self, which) if how == "attr" else self.layers[which]
            y = call(f, y, deterministic)
        return x + y if self.kind == "residual" else y


def call(f, x, deterministic):
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


def make_case(name, model_spec, rngs_spec, inputs):
    rngs = nnx.Rngs(**rngs_spec)
    model = Container({"type": "sequential", "layers": model_spec["layers"]}, rngs)
    built = {"params": state_paths(model, nnx.Param), "batch_stats": state_paths(model, nnx.BatchStat),
             "rngs": rng_streams(rngs), "model_streams": held_streams(model)}
    outputs = []
    for xname, x in inputs.items():
        xa = jnp.asarray(np.asarray(x, dtype=np.int32 if model_spec["layers"][0]["type"] == "embed" else np.float32))
        y_train = call(model, xa, False)
        stats = state_paths(model, nnx.BatchStat)
        y_eval = call(model, xa, True)
        outputs.append({"input": xname, "train": result(y_train), "batch_stats_after": stats,
                        "eval": result(y_eval), "rngs_after": rng_streams(rngs),
                        "model_streams_after": held_streams(model)})
    return {"id": "%s/flax-%s" % (name, ERA), "op": "flax_layers", "era": ERA,
            "args": {"rngs": rngs_spec, "model": model_spec, "inputs": inputs},
            "expect": {"built": built, "outputs": outputs}}


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
