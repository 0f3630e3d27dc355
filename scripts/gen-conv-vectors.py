"""Known answers from real JAX and Flax for keyfold's convolution and pooling
kernels (lib/src/conv.c; test tooling only). Run under an oracle venv:

    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/gen-conv-vectors.py   # tests/vectors/conv-kernels-flax-0.12.json
    /work/venvs/kf-oracle-flax-0.10/bin/python scripts/gen-conv-vectors.py   # tests/vectors/conv-kernels-flax-0.10.json

Each case holds its geometry, the float32 inputs (x, kernel, bias), Flax's
float32 output (nnx.Conv, nnx.ConvTranspose, flax.linen.pooling avg_pool / max_pool /
min_pool, on this CPU), and two float64 arrays computed by the same Flax code
with jax_enable_x64 and float64 parameters: `ref`, the exact-ish result of the
float32 inputs, and `abs`, the same layer applied to |x|, |kernel|, |bias|
(sum |x w| + |b| per output, the scale of the error bound). All arrays are
row-major little-endian bytes in hex. -o FILE writes elsewhere ("-" stdout).
"""
import argparse
import importlib.util
import json
import os
import platform

import numpy as np
import jax
import jax.numpy as jnp
import jaxlib
import flax
from flax import nnx
from flax.linen import pooling
import warnings
warnings.filterwarnings("ignore")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def hexf(a, dtype):
    return np.ascontiguousarray(np.asarray(a), dtype=dtype).tobytes().hex()


def cpu_model():
    """gen-vectors.py's, so that both files name the CPU alike."""
    spec = importlib.util.spec_from_file_location("gen_vectors", os.path.join(ROOT, "scripts", "gen-vectors.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.cpu_model()


# (name, op, nd-spatial input shape incl. batch and channels, layer args)
def conv_cases():
    C = []

    def conv(name, x_shape, out_ch, kernel, padding, strides=1, lhs=1, rhs=1, groups=1, bias=True):
        C.append(dict(name=name, op="conv", x_shape=x_shape, out_ch=out_ch, kernel=kernel,
                      padding=padding, strides=strides, input_dilation=lhs,
                      kernel_dilation=rhs, groups=groups, use_bias=bias))

    def convt(name, x_shape, out_ch, kernel, padding, strides=1, rhs=1, bias=True):
        C.append(dict(name=name, op="conv_transpose", x_shape=x_shape, out_ch=out_ch,
                      kernel=kernel, padding=padding, strides=strides, input_dilation=1,
                      kernel_dilation=rhs, groups=1, use_bias=bias))

    def pool(name, op, x_shape, window, padding, strides=None, count_include_pad=True):
        C.append(dict(name=name, op=op, x_shape=x_shape, window=window, padding=padding,
                      strides=strides, count_include_pad=count_include_pad))

    # 1-D
    conv("1d_valid", (2, 9, 3), 4, (3,), "VALID")
    conv("1d_same_s2_rd2", (2, 11, 3), 5, (3,), "SAME", strides=2, rhs=2)
    conv("1d_same_lower_k4", (1, 10, 2), 3, (4,), "SAME_LOWER", strides=3)
    conv("1d_circular_k4", (2, 8, 3), 4, (4,), "CIRCULAR")
    conv("1d_circular_k7_n3", (1, 3, 2), 2, (7,), "CIRCULAR")
    conv("1d_circular_s2_rd3", (2, 9, 2), 3, (3,), "CIRCULAR", strides=2, rhs=3)
    conv("1d_causal_k3_rd2", (2, 10, 3), 4, (3,), "CAUSAL", rhs=2)
    conv("1d_reflect_k5", (1, 7, 2), 3, (5,), "REFLECT")
    conv("1d_reflect_k9_n3", (1, 3, 2), 2, (9,), "REFLECT")
    conv("1d_explicit_negative", (2, 9, 3), 4, (3,), [(-1, 2)])
    conv("1d_explicit_lhs2_s2", (2, 7, 3), 4, (3,), [(1, 2)], strides=2, lhs=2)
    conv("1d_explicit_lhs3_rd2", (1, 6, 2), 3, (2,), [(2, 0)], lhs=3, rhs=2)
    conv("1d_k70_taps", (1, 80, 2), 3, (70,), "SAME")
    conv("1d_nobias", (2, 9, 3), 4, (3,), "SAME", bias=False)
    conv("1d_empty_out", (1, 3, 2), 2, (5,), "VALID")
    # 2-D
    conv("2d_same_mnist", (2, 8, 8, 1), 32, (3, 3), "SAME")
    conv("2d_same_3to8", (2, 7, 6, 3), 8, (3, 3), "SAME")
    conv("2d_valid_s21_rd12", (2, 9, 10, 3), 5, (3, 2), "VALID", strides=(2, 1), rhs=(1, 2))
    conv("2d_circular_s2", (1, 7, 8, 2), 3, (3, 2), "CIRCULAR", strides=2)
    conv("2d_reflect", (1, 5, 6, 2), 3, (3, 4), "REFLECT")
    conv("2d_same_groups2", (2, 6, 6, 4), 6, (3, 3), "SAME", groups=2)
    conv("2d_depthwise", (1, 6, 7, 4), 8, (3, 3), "SAME", groups=4)
    conv("2d_explicit_lhs23", (1, 5, 4, 2), 3, (3, 2), [(1, 2), (0, -1)], lhs=(2, 3))
    conv("2d_same_lower_s2", (1, 7, 6, 2), 3, (2, 3), "SAME_LOWER", strides=2)
    conv("2d_panels_k270", (2, 8, 8, 30), 20, (3, 3), "SAME")
    conv("2d_wide_out70_groups2", (1, 9, 5, 6), 70, (2, 2), "VALID", groups=2)
    conv("2d_cout96", (1, 6, 7, 4), 96, (3, 3), "SAME")
    # 3-D
    conv("3d_same_s121", (1, 4, 6, 5, 2), 3, (2, 3, 2), "SAME", strides=(1, 2, 1))
    conv("3d_circular", (1, 3, 4, 5, 2), 3, (3, 2, 3), "CIRCULAR")
    conv("3d_explicit_lhs_groups", (2, 3, 4, 3, 4), 4, (2, 2, 2), [(1, 1), (0, 2), (-1, 1)],
         lhs=(2, 1, 2), rhs=(1, 2, 1), groups=2)
    # ConvTranspose
    convt("t1d_same_s2", (2, 5, 3), 4, (3,), "SAME", strides=2)
    convt("t1d_valid_s2", (2, 5, 3), 4, (3,), "VALID", strides=2)
    convt("t1d_valid_s3_k2", (1, 4, 2), 3, (2,), "VALID", strides=3)
    convt("t1d_same_s3_k2", (1, 4, 2), 3, (2,), "SAME", strides=3)
    convt("t1d_explicit_s2", (2, 5, 3), 4, (3,), [(1, 2)], strides=2)
    convt("t1d_explicit_neg", (1, 6, 2), 3, (4,), [(-1, 3)], strides=2)
    convt("t1d_circular_s2", (2, 5, 3), 4, (3,), "CIRCULAR", strides=2)
    convt("t1d_circular_s3_k2", (1, 4, 2), 3, (2,), "CIRCULAR", strides=3)
    convt("t1d_circular_k9_s1", (1, 3, 2), 2, (9,), "CIRCULAR")
    convt("t1d_same_rd2", (1, 6, 2), 3, (3,), "SAME", strides=2, rhs=2)
    convt("t2d_same_s2", (2, 4, 5, 3), 4, (3, 3), "SAME", strides=2)
    convt("t2d_valid_s21", (1, 4, 5, 2), 3, (3, 2), "VALID", strides=(2, 1))
    convt("t2d_circular_s2_k4", (1, 4, 3, 2), 3, (4, 4), "CIRCULAR", strides=2)
    convt("t2d_circular_k66_s2", (1, 3, 3, 2), 2, (6, 6), "CIRCULAR", strides=(2, 2))
    convt("t2d_explicit", (1, 4, 4, 2), 3, (3, 3), [(0, 1), (2, -1)], strides=2)
    convt("t2d_nobias", (1, 4, 4, 2), 3, (3, 3), "SAME", strides=2, bias=False)
    convt("t3d_same_s2", (1, 3, 2, 3, 2), 3, (2, 2, 2), "SAME", strides=2)
    convt("t3d_circular", (1, 2, 3, 3, 2), 2, (3, 2, 3), "CIRCULAR", strides=(1, 2, 2))
    # pools
    pool("avg_1d_valid_s2", "avg_pool", (2, 9, 3), (2,), "VALID", strides=(2,))
    pool("avg_2d_same_s2", "avg_pool", (2, 7, 8, 3), (3, 3), "SAME", strides=(2, 2))
    pool("avg_2d_same_nopad", "avg_pool", (2, 7, 8, 3), (3, 3), "SAME", strides=(2, 2),
         count_include_pad=False)
    pool("avg_2d_explicit", "avg_pool", (1, 6, 5, 2), (2, 3), [(1, 1), (0, 2)])
    pool("avg_2d_s2", "avg_pool", (2, 14, 14, 2), (2, 2), "VALID", strides=(2, 2))
    pool("avg_3d_same", "avg_pool", (1, 4, 5, 3, 2), (2, 3, 2), "SAME", strides=(1, 2, 2))
    pool("max_2d_same_s2", "max_pool", (2, 7, 8, 3), (3, 3), "SAME", strides=(2, 2))
    pool("max_2d_valid", "max_pool", (2, 6, 6, 3), (2, 2), "VALID", strides=(2, 2))
    pool("max_1d_explicit_negative", "max_pool", (1, 9, 2), (3,), [(-1, 2)], strides=(2,))
    pool("max_1d_all_padding", "max_pool", (1, 3, 2), (2,), [(3, 0)])
    pool("max_3d_valid", "max_pool", (1, 4, 4, 4, 2), (2, 2, 2), "VALID", strides=(2, 2, 2))
    pool("min_2d_same", "min_pool", (1, 6, 7, 2), (3, 2), "SAME", strides=(2, 1))
    return C


def tup(v, n):
    if v is None:
        return (1,) * n
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def run(case, x, w, b, dtype):
    """The Flax layer on float arrays of `dtype`."""
    op = case["op"]
    nd = len(case["x_shape"]) - 2
    if op in ("avg_pool", "max_pool", "min_pool"):
        pad = case["padding"] if isinstance(case["padding"], str) else tuple(map(tuple, case["padding"]))
        strides = tuple(case["strides"]) if case["strides"] else None
        if op == "avg_pool":
            return pooling.avg_pool(x, tuple(case["window"]), strides=strides, padding=pad,
                                  count_include_pad=case["count_include_pad"])
        fn = pooling.max_pool if op == "max_pool" else pooling.min_pool
        return fn(x, tuple(case["window"]), strides=strides, padding=pad)
    pad = case["padding"] if isinstance(case["padding"], str) else [tuple(p) for p in case["padding"]]
    cin = case["x_shape"][-1]
    kw = dict(padding=pad, use_bias=case["use_bias"], dtype=dtype, param_dtype=dtype,
              rngs=nnx.Rngs(0))
    if op == "conv":
        m = nnx.Conv(cin, case["out_ch"], tuple(case["kernel"]), strides=tup(case["strides"], nd),
                     input_dilation=tup(case["input_dilation"], nd),
                     kernel_dilation=tup(case["kernel_dilation"], nd),
                     feature_group_count=case["groups"], **kw)
    else:
        m = nnx.ConvTranspose(cin, case["out_ch"], tuple(case["kernel"]),
                              strides=tup(case["strides"], nd),
                              kernel_dilation=tup(case["kernel_dilation"], nd), **kw)
    assert m.kernel.value.shape == w.shape, (m.kernel.value.shape, w.shape)
    m.kernel.value = jnp.asarray(w, dtype)
    if case["use_bias"]:
        m.bias.value = jnp.asarray(b, dtype)
    return m(jnp.asarray(x, dtype))


def main():
    ap = argparse.ArgumentParser()
    era = "flax-0.10" if flax.__version__.startswith(("0.9.", "0.10.")) else \
        "flax-%s" % ".".join(flax.__version__.split(".")[:2])
    ap.add_argument("-o", default=os.path.join(ROOT, "tests", "vectors", "conv-kernels-%s.json" % era))
    args = ap.parse_args()
    rs = np.random.RandomState(20261205)
    cases = conv_cases()
    for c in cases:
        x = rs.standard_normal(c["x_shape"]).astype(np.float32)
        c["_x"] = x
        if c["op"] in ("conv", "conv_transpose"):
            nd = len(c["x_shape"]) - 2
            cin = c["x_shape"][-1] // c["groups"]
            kshape = tuple(c["kernel"]) + (cin, c["out_ch"])
            fan_in = int(np.prod(kshape[:-1]))
            c["_w"] = (rs.standard_normal(kshape) / np.sqrt(fan_in)).astype(np.float32)
            c["_b"] = (0.1 * rs.standard_normal(c["out_ch"])).astype(np.float32)
            if c["name"] == "1d_nobias" or not c["use_bias"]:
                c["_b"] = np.zeros(c["out_ch"], np.float32)
        else:
            c["_w"] = c["_b"] = None
        c["_y"] = np.asarray(run(c, jnp.asarray(x), c["_w"], c["_b"], jnp.float32))
        assert c["_y"].dtype == np.float32
    jax.config.update("jax_enable_x64", True)
    out_cases = []
    for c in cases:
        f64 = lambda a: None if a is None else np.asarray(a, np.float64)
        ref = np.asarray(run(c, f64(c["_x"]), f64(c["_w"]), f64(c["_b"]), jnp.float64))
        absref = np.asarray(run(c, np.abs(f64(c["_x"])), None if c["_w"] is None else np.abs(f64(c["_w"])),
                                None if c["_b"] is None else np.abs(f64(c["_b"])), jnp.float64))
        assert ref.dtype == np.float64 and ref.shape == c["_y"].shape
        o = {k: v for k, v in c.items() if not k.startswith("_") and k != "x_shape"}
        o["x_shape"] = list(c["x_shape"])
        o["y_shape"] = list(c["_y"].shape)
        if isinstance(o.get("padding"), list):
            o["padding"] = [list(p) for p in o["padding"]]
        for k in ("kernel", "window", "strides", "input_dilation", "kernel_dilation"):
            if k in o and o[k] is not None:
                o[k] = list(tup(o[k], len(c["x_shape"]) - 2))
        o["x"] = hexf(c["_x"], "<f4")
        if c["_w"] is not None:
            o["w"] = hexf(c["_w"], "<f4")
            o["b"] = hexf(c["_b"], "<f4") if c["use_bias"] else None
        o["y"] = hexf(c["_y"], "<f4")
        o["ref"] = hexf(ref, "<f8")
        o["abs"] = hexf(absref, "<f8")
        out_cases.append(o)
    doc = {
        "generator": "scripts/gen-conv-vectors.py",
        "versions": {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "flax": flax.__version__,
                     "numpy": np.__version__, "python": platform.python_version()},
        "cpu": cpu_model(),
        "backend": jax.default_backend(),
        "cases": out_cases,
    }
    text = json.dumps(doc, indent=1) + "\n"
    if args.o == "-":
        print(text, end="")
    else:
        with open(args.o, "w") as f:
            f.write(text)
        print("wrote %s: %d cases" % (args.o, len(out_cases)))


if __name__ == "__main__":
    main()
