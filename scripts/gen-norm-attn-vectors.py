"""Known answers of Flax NNX's normalization layers, attention core and
jax.nn's elementwise functions, for keyfold's kernels (lib/src/norm.c,
attention.c, functions.c; tests/test_layers_numeric.c). Test tooling only.

    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/gen-norm-attn-vectors.py

writes tests/vectors/norm-attn-kernels.json (-o elsewhere, "-o -" stdout).
The inputs come from NumPy's seeded generator (the same in both eras). Each
oracle venv (under $KF_ORACLE_VENVS, default /work/venvs, as
scripts/oracle-venvs.sh makes them; --venv-0.10 and --venv-0.12 name other
interpreters) runs this script with --era: it evaluates every case with that
era's Flax and JAX eagerly (layer(x), op by op, as an NNX model runs outside
nnx.jit: "y", "ra_mean", "ra_var", which keyfold reproduces) and under
nnx.jit / jax.jit ("y_jit", ...: XLA fuses, and contracts some products into
FMAs; the test bounds keyfold's distance to those), and prints them. This
process adds NumPy float64 references of the same formulas and merges; the
output is the same bytes on every run. Arrays are row-major little-endian hex
(float32 "f4", float64 "f8", uint8 "u1"). Nothing here runs at test time.
"""
import argparse
import json
import os
import platform
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENVS = os.environ.get("KF_ORACLE_VENVS", "/work/venvs")   # as scripts/oracle-venvs.sh
ERAS = {e: os.path.join(VENVS, "kf-oracle-" + e, "bin", "python") for e in ("flax-0.10", "flax-0.12")}
F32 = np.float32


def hexdata(a, dtype):
    return np.ascontiguousarray(np.asarray(a, dtype=dtype)).astype(np.dtype(dtype).newbyteorder("<")).tobytes().hex()


def unhex(h, dtype, shape):
    return np.frombuffer(bytes.fromhex(h), dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


# ---- the cases: inputs and parameters (deterministic) -------------------------

def special_values():
    """Extreme and special float32 inputs for the elementwise functions."""
    v = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-39, -1e-39, 1.1754944e-38,
         -1.1754944e-38, 3.4028235e38, -3.4028235e38, 1e30, -1e30, 88.0, 88.8, 89.0, -87.0,
         -87.8, -88.0, -103.0, -104.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1e-5, -1e-5, 9e-3,
         -9e-3, 1e-7, -1e-7, 3.7, -3.7, 9.2, -9.2, 9.3, -9.3, 10.0, -10.0, 13.0, -13.0, 15.0,
         -15.0, 16.9, -16.9, 17.0, -17.0, 20.0, -20.0, 100.0, -100.0]
    return np.array(v, F32)


def elementwise_inputs(rng):
    dense = np.linspace(-20, 20, 2001, dtype=F32)
    mags = np.logspace(-30, 30, 241).astype(F32)
    rnd = (rng.standard_normal(1000) * 4).astype(F32)
    return np.concatenate([special_values(), dense, mags, -mags, rnd]).astype(F32)


def build_cases():
    rng = np.random.default_rng(20261205)
    cases = []

    def add(**c):
        cases.append(c)

    # LayerNorm / RMSNorm: rows x features, normalized over the last axis.
    x = (rng.standard_normal((6, 32)) * 2 + 0.5).astype(F32)
    x[1] *= F32(1e18)                 # large magnitudes (x*x near 1e36)
    x[2] = F32(3.25)                  # constant row: var 0
    x[3] = (x[3] * F32(1e-3) + F32(10)).astype(F32)   # small spread around an offset
    x[4] *= F32(1e-15)                # tiny values
    scale = (rng.standard_normal(32) * 0.5 + 1).astype(F32)
    bias = (rng.standard_normal(32) * 0.1).astype(F32)
    add(id="layer_norm/scale_bias", kind="layer_norm", shape=[6, 32], eps=1e-6,
        x=x, scale=scale, bias=bias)
    add(id="layer_norm/plain", kind="layer_norm", shape=[6, 32], eps=1e-6, x=x)
    x2 = (rng.standard_normal((16, 64)) * 3 - 1).astype(F32)
    add(id="layer_norm/wide_eps1e-5", kind="layer_norm", shape=[16, 64], eps=1e-5, x=x2,
        scale=(rng.standard_normal(64) + 1).astype(F32), bias=rng.standard_normal(64).astype(F32))
    # Longer rows: XLA's tree-reduction rewrite (windows of 32, recursive).
    x3 = (rng.standard_normal((2, 1100)) * 2 + 0.3).astype(F32)
    add(id="layer_norm/rows1100", kind="layer_norm", shape=[2, 1100], eps=1e-6, x=x3,
        scale=(rng.standard_normal(1100) * 0.2 + 1).astype(F32),
        bias=(rng.standard_normal(1100) * 0.1).astype(F32))
    x4 = (rng.standard_normal((3, 96)) - 0.5).astype(F32)
    add(id="layer_norm/rows96", kind="layer_norm", shape=[3, 96], eps=1e-6, x=x4)
    x5 = (rng.standard_normal((3, 80)) - 0.5).astype(F32)
    add(id="layer_norm/rows80", kind="layer_norm", shape=[3, 80], eps=1e-6, x=x5)
    add(id="rms_norm/scale", kind="rms_norm", shape=[6, 32], eps=1e-6, x=x,
        scale=scale)
    add(id="rms_norm/plain", kind="rms_norm", shape=[16, 64], eps=1e-6, x=x2)

    # GroupNorm: (batch, spatial..., channels).
    g = (rng.standard_normal((2, 2, 3, 8)) * 1.5 + 0.25).astype(F32)
    add(id="group_norm/4d_groups4", kind="group_norm", shape=[2, 2, 3, 8], groups=4, eps=1e-6, x=g,
        scale=(rng.standard_normal(8) + 1).astype(F32), bias=rng.standard_normal(8).astype(F32))
    g2 = (rng.standard_normal((3, 12)) * 2).astype(F32)
    add(id="group_norm/2d_groups3", kind="group_norm", shape=[3, 12], groups=3, eps=1e-6, x=g2)
    g3 = (rng.standard_normal((2, 16, 32)) * 2).astype(F32)
    add(id="group_norm/3d_groups8", kind="group_norm", shape=[2, 16, 32], groups=8, eps=1e-5, x=g3,
        scale=(rng.standard_normal(32) + 1).astype(F32), bias=rng.standard_normal(32).astype(F32))

    g4 = (rng.standard_normal((1, 40, 3, 8)) + 0.5).astype(F32)
    add(id="group_norm/spatial40x3", kind="group_norm", shape=[1, 40, 3, 8], groups=2, eps=1e-6, x=g4)

    # BatchNorm: train (outputs + updated running stats) and eval.
    b = (rng.standard_normal((4, 5, 6)) * 2 + 1).astype(F32)
    ra_mean = rng.standard_normal(6).astype(F32) * F32(0.5)
    ra_var = (rng.random(6) + 0.5).astype(F32)
    bscale = (rng.standard_normal(6) + 1).astype(F32)
    bbias = rng.standard_normal(6).astype(F32)
    add(id="batch_norm/train", kind="batch_norm", shape=[4, 5, 6], eps=1e-5, momentum=0.99,
        train=True, x=b, scale=bscale, bias=bbias, ra_mean=ra_mean, ra_var=ra_var)
    add(id="batch_norm/train_momentum0.9", kind="batch_norm", shape=[4, 5, 6], eps=1e-5,
        momentum=0.9, train=True, x=b, scale=bscale, bias=bbias, ra_mean=ra_mean, ra_var=ra_var)
    b2 = (rng.standard_normal((70, 5)) * 0.5 - 2).astype(F32)
    add(id="batch_norm/train_rows70", kind="batch_norm", shape=[70, 5], eps=1e-5, momentum=0.99,
        train=True, x=b2, scale=np.ones(5, F32), bias=np.zeros(5, F32),
        ra_mean=np.zeros(5, F32), ra_var=np.ones(5, F32))
    add(id="batch_norm/eval", kind="batch_norm", shape=[4, 5, 6], eps=1e-5, momentum=0.99,
        train=False, x=b, scale=bscale, bias=bbias, ra_mean=ra_mean, ra_var=ra_var)

    # Attention core: q, k, v (batch, len, heads, head_dim).
    B, L, H, D = 2, 7, 3, 8
    q, k, v = ((rng.standard_normal((B, L, H, D)) * s).astype(F32) for s in (1.0, 1.0, 1.0))
    pad = np.ones((L, L), np.uint8)
    pad[:, 5:] = 0                    # the last two keys are padding
    add(id="attention/jax_plain", kind="attention", form="jax", shape=[B, L, H, D], q=q, k=k, v=v)
    add(id="attention/jax_causal", kind="attention", form="jax", shape=[B, L, H, D], q=q, k=k, v=v,
        causal=True)
    add(id="attention/jax_mask", kind="attention", form="jax", shape=[B, L, H, D], q=q, k=k, v=v,
        mask=pad)
    add(id="attention/flax_dropout", kind="attention", form="flax", shape=[B, L, H, D], q=q, k=k,
        v=v, dropout_rate=0.25, rng_seed=7)
    add(id="attention/flax_dropout_causal", kind="attention", form="flax", shape=[B, L, H, D], q=q,
        k=k, v=v, causal=True, dropout_rate=0.5, rng_seed=11)
    add(id="attention/flax_deterministic_mask", kind="attention", form="flax", shape=[B, L, H, D],
        q=q, k=k, v=v, mask=pad, dropout_rate=0.1, deterministic=True)
    B2, L2, H2, D2 = 1, 40, 4, 16
    q2, k2, v2 = ((rng.standard_normal((B2, L2, H2, D2)) * 3).astype(F32) for _ in range(3))
    add(id="attention/jax_causal_long", kind="attention", form="jax", shape=[B2, L2, H2, D2],
        q=q2, k=k2, v=v2, causal=True)
    add(id="attention/flax_dropout_long", kind="attention", form="flax", shape=[B2, L2, H2, D2],
        q=q2, k=k2, v=v2, dropout_rate=0.3, rng_seed=3)

    # Reductions over 4096 elements and more: jaxlib 0.10.2 sums those in another
    # order (vectorized, the CPU's vector width), jaxlib 0.6.2 as before.
    xl = (rng.standard_normal((96, 64)) * 2 + 0.5).astype(F32)
    add(id="layer_norm/large96x64", kind="layer_norm", shape=[96, 64], eps=1e-6, x=xl,
        scale=(rng.standard_normal(64) * 0.2 + 1).astype(F32), bias=rng.standard_normal(64).astype(F32))
    gl = (rng.standard_normal((2, 16, 16, 16)) + 0.5).astype(F32)
    add(id="group_norm/large16x16", kind="group_norm", shape=[2, 16, 16, 16], groups=4, eps=1e-6,
        x=gl)
    bl = (rng.standard_normal((1024, 6)) * 2 + 1).astype(F32)
    add(id="batch_norm/train_large", kind="batch_norm", shape=[1024, 6], eps=1e-5, momentum=0.99,
        train=True, x=bl, scale=np.ones(6, F32), bias=np.zeros(6, F32),
        ra_mean=np.zeros(6, F32), ra_var=np.ones(6, F32))
    sl = (rng.standard_normal((600, 7)) * 3).astype(F32)
    add(id="softmax/large600x7", kind="softmax", shape=[600, 7], axis=-1, x=sl)
    add(id="log_softmax/large600x7", kind="log_softmax", shape=[600, 7], axis=-1, x=sl)

    # softmax / log_softmax along several axes, with extremes.
    s = (rng.standard_normal((3, 5, 7)) * 3).astype(F32)
    s[0, 0, 2] = -np.inf
    s[0, 1, :3] = -np.inf
    s[1, 2] = F32(1e30)
    s[1, 3, 0] = F32(-3e38)
    s[1, 3, 1] = F32(3e38)
    s[2, 4, :] = F32(7.5)
    s[2, 0, 0] = F32(80)
    s[2, 0, 1] = F32(-80)
    s_nan = s.copy()
    s_nan[0, 2, :] = -np.inf          # a whole row of -inf: NaN in JAX
    for log in (False, True):
        name = "log_softmax" if log else "softmax"
        for axis in (-1, 1, 0):
            add(id="%s/axis%d" % (name, axis), kind=name, shape=[3, 5, 7], axis=axis, x=s)
        add(id="%s/all_neg_inf_row" % name, kind=name, shape=[3, 5, 7], axis=-1, x=s_nan)

    e = elementwise_inputs(rng)
    add(id="elu/alpha1", kind="elu", shape=[e.size], alpha=1.0, x=e)
    add(id="elu/alpha0.5", kind="elu", shape=[e.size], alpha=0.5, x=e)
    add(id="leaky_relu/default", kind="leaky_relu", shape=[e.size], slope=1e-2, x=e)
    add(id="leaky_relu/slope0.2", kind="leaky_relu", shape=[e.size], slope=0.2, x=e)
    add(id="softplus", kind="softplus", shape=[e.size], x=e)
    add(id="gelu_exact", kind="gelu_exact", shape=[e.size], x=e)
    return cases


# ---- one era: Flax/JAX's outputs ----------------------------------------------

def run_era():
    import jax
    import jax.numpy as jnp
    import jaxlib
    import flax
    from flax import nnx

    def val(v):
        return np.asarray(v.value if hasattr(v, "value") else v[...])

    out = {}
    for c in build_cases():
        kind, res = c["kind"], {}
        shape = tuple(c["shape"])
        x = jnp.asarray(c["x"]) if "x" in c else None
        if kind in ("layer_norm", "rms_norm"):
            cls = nnx.LayerNorm if kind == "layer_norm" else nnx.RMSNorm
            kw = dict(epsilon=c["eps"], use_scale="scale" in c, rngs=nnx.Rngs(0))
            if kind == "layer_norm":
                kw["use_bias"] = "bias" in c
            m = cls(shape[-1], **kw)
            if "scale" in c:
                m.scale = nnx.Param(jnp.asarray(c["scale"]))
            if "bias" in c:
                m.bias = nnx.Param(jnp.asarray(c["bias"]))
            res["y"] = np.asarray(m(x))
            res["y_jit"] = np.asarray(nnx.jit(lambda m, x: m(x))(m, x))
        elif kind == "group_norm":
            m = nnx.GroupNorm(shape[-1], num_groups=c["groups"], epsilon=c["eps"],
                              use_scale="scale" in c, use_bias="bias" in c, rngs=nnx.Rngs(0))
            if "scale" in c:
                m.scale = nnx.Param(jnp.asarray(c["scale"]))
                m.bias = nnx.Param(jnp.asarray(c["bias"]))
            res["y"] = np.asarray(m(x))
            res["y_jit"] = np.asarray(nnx.jit(lambda m, x: m(x))(m, x))
        elif kind == "batch_norm":
            m = nnx.BatchNorm(shape[-1], momentum=c["momentum"], epsilon=c["eps"],
                              use_running_average=not c["train"], rngs=nnx.Rngs(0))
            m.scale = nnx.Param(jnp.asarray(c["scale"]))
            m.bias = nnx.Param(jnp.asarray(c["bias"]))
            for jit in (False, True):
                m.mean = nnx.BatchStat(jnp.asarray(c["ra_mean"]))
                m.var = nnx.BatchStat(jnp.asarray(c["ra_var"]))
                sfx = "_jit" if jit else ""
                res["y" + sfx] = np.asarray(nnx.jit(lambda m, x: m(x))(m, x) if jit else m(x))
                res["ra_mean" + sfx] = val(m.mean)
                res["ra_var" + sfx] = val(m.var)
        elif kind == "attention":
            from flax.nnx.nn import attention as A
            q, k, v = (jnp.asarray(c[n]) for n in "qkv")
            L = shape[1]
            mask = None
            if c.get("causal"):
                mask = nnx.make_causal_mask(jnp.ones(shape[:2]))
            if "mask" in c:
                mask = jnp.broadcast_to(jnp.asarray(c["mask"], bool), (shape[0], 1, L, L))
            kw = dict(mask=mask)
            if c["form"] == "flax":
                kw.update(dropout_rate=c["dropout_rate"], deterministic=c.get("deterministic", False),
                          broadcast_dropout=True)
                if not c.get("deterministic"):
                    rng = jax.random.PRNGKey(c["rng_seed"])
                    kw["dropout_rng"] = rng
                    # Flax's keep mask: bernoulli(rng, keep_prob, (1,)*(ndim-2) + (L, L)).
                    keep = jax.random.bernoulli(rng, 1.0 - c["dropout_rate"], (1, 1, L, L))
                    res["keep"] = np.asarray(keep).reshape(L, L)
            res["y"] = np.asarray(A.dot_product_attention(q, k, v, **kw))
            res["y_jit"] = np.asarray(jax.jit(lambda q, k, v, kw: A.dot_product_attention(
                q, k, v, **kw, dropout_rate=c.get("dropout_rate", 0.0),
                deterministic=c.get("deterministic", False), broadcast_dropout=True)
                if c["form"] == "flax" else A.dot_product_attention(q, k, v, **kw))(
                q, k, v, {n: a for n, a in kw.items() if n in ("mask", "dropout_rng")}))
        elif kind in ("softmax", "log_softmax"):
            f = jax.nn.softmax if kind == "softmax" else jax.nn.log_softmax
            res["y"] = np.asarray(f(x, axis=c["axis"]))
            res["y_jit"] = np.asarray(jax.jit(lambda x: f(x, axis=c["axis"]))(x))
        elif kind == "elu":
            res["y"] = np.asarray(jax.nn.elu(x, c["alpha"]))
        elif kind == "leaky_relu":
            res["y"] = np.asarray(jax.nn.leaky_relu(x, c["slope"]))
        elif kind == "softplus":
            res["y"] = np.asarray(jax.nn.softplus(x))
        elif kind == "gelu_exact":
            res["y"] = np.asarray(jax.nn.gelu(x, approximate=False))
            res["y_jit"] = np.asarray(jax.jit(lambda x: jax.nn.gelu(x, approximate=False))(x))
        else:
            raise SystemExit("unknown kind " + kind)
        enc = {}
        for n, a in res.items():
            enc[n] = hexdata(a, "u1" if a.dtype == bool or n == "keep" else "f4")
        out[c["id"]] = enc
    meta = {"jax": jax.__version__, "jaxlib": jaxlib.__version__, "flax": flax.__version__,
            "numpy": np.__version__, "python": platform.python_version(),
            "backend": jax.default_backend(), "devices": str(jax.devices())}
    json.dump({"meta": meta, "outputs": out}, sys.stdout)


# ---- float64 references (NumPy) -------------------------------------------------

def f64(a):
    return np.asarray(a, np.float64)


def ref_stats(x, axes, rms=False):
    mu = x.mean(axis=axes, keepdims=True)
    mu2 = (x * x).mean(axis=axes, keepdims=True)
    if rms:
        return np.zeros_like(mu2), mu2
    return mu, np.maximum(0.0, mu2 - mu * mu)


def ref_normalize(x, mu, var, eps, scale, bias):
    y = (x - mu) / np.sqrt(var + eps)
    if scale is not None:
        y = y * scale
    if bias is not None:
        y = y + bias
    return y


def ref_softmax(x, axis, log):
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.max(x, axis=axis, keepdims=True)
        t = x - m
        s = np.sum(np.exp(t), axis=axis, keepdims=True)
        return t - np.log(s) if log else np.exp(t) / s


def reference(c, outs):
    kind = c["kind"]
    g = lambda n: f64(c[n]) if n in c else None
    eps = float(F32(c.get("eps", 0)))
    x = g("x")
    r = {}
    if kind in ("layer_norm", "rms_norm"):
        mu, var = ref_stats(x, -1, kind == "rms_norm")
        r["y"] = ref_normalize(x, mu, var, eps, g("scale"), g("bias"))
    elif kind == "group_norm":
        shape = c["shape"]
        G = c["groups"]
        xg = x.reshape(shape[0], -1, G, shape[-1] // G)
        mu, var = ref_stats(xg, (1, 3))
        r["y"] = ref_normalize(xg, mu, var, eps, None, None).reshape(x.shape)
        if "scale" in c:
            r["y"] = r["y"] * g("scale") + g("bias")
    elif kind == "batch_norm":
        xs = x.reshape(-1, x.shape[-1])
        m = c["momentum"]
        if c["train"]:
            mu, var = ref_stats(xs, 0)
            r["ra_mean"] = m * g("ra_mean") + (1 - m) * mu[0]
            r["ra_var"] = m * g("ra_var") + (1 - m) * var[0]
        else:
            mu, var = g("ra_mean"), g("ra_var")
            r["ra_mean"], r["ra_var"] = mu, var
        r["y"] = ref_normalize(xs, mu, var, eps, g("scale"), g("bias")).reshape(x.shape)
    elif kind == "attention":
        q, k, v = g("q"), g("k"), g("v")
        B, L, H, D = c["shape"]
        logits = np.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(D)
        allow = np.ones((L, L), bool)
        if c.get("causal"):
            allow &= np.tril(np.ones((L, L), bool))
        if "mask" in c:
            allow &= c["mask"].astype(bool)
        logits = np.where(allow, logits, -np.inf)
        w = ref_softmax(logits, -1, False)
        if "keep" in outs:
            kp = 1.0 - c["dropout_rate"]
            w = w * (outs["keep"].astype(np.float64) / kp)
        r["y"] = np.einsum("bhqk,bkhd->bqhd", w, v)
    elif kind in ("softmax", "log_softmax"):
        r["y"] = ref_softmax(x, c["axis"], kind == "log_softmax")
    elif kind == "elu":
        with np.errstate(over="ignore"):
            r["y"] = np.where(x > 0, x, c["alpha"] * np.expm1(np.minimum(x, 0)))
    elif kind == "leaky_relu":
        r["y"] = np.where(x >= 0, x, c["slope"] * x)
    elif kind == "softplus":
        r["y"] = np.logaddexp(x, 0.0)
    elif kind == "gelu_exact":
        from math import erfc
        r["y"] = np.array([0.5 * t * erfc(-t / np.sqrt(2)) if not np.isnan(t) else np.nan
                           for t in x])
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--era", action="store_true", help="print this venv's outputs (internal)")
    ap.add_argument("-o", default=os.path.join(ROOT, "tests", "vectors", "norm-attn-kernels.json"))
    for e, p in ERAS.items():
        ap.add_argument("--venv-" + e.split("-")[1], dest=e.replace("-", "_").replace(".", "_"), default=p)
    args = ap.parse_args()
    if args.era:
        run_era()
        return
    eras = {}
    for e in ERAS:
        py = getattr(args, e.replace("-", "_").replace(".", "_"))
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        done = subprocess.run([py, os.path.abspath(__file__), "--era"], check=True,
                              capture_output=True, text=True, env=env)
        eras[e] = json.loads(done.stdout)
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
            fh.seek(0)
            flags = next((l.split(":", 1)[1].split() for l in fh if l.startswith("flags")), [])
    except OSError:
        flags = []
    simd = [f for f in ("avx", "avx2", "fma", "avx512f") if f in flags]
    doc = {
        "generator": "scripts/gen-norm-attn-vectors.py",
        "description": "Flax NNX norms, attention core and jax.nn functions, run eagerly per era; "
                       "float64 references are NumPy evaluations of the same formulas (with the "
                       "era's dropout keep mask)",
        "cpu": {"model": cpu, "machine": platform.machine(), "simd": simd},
        "eras": {e: d["meta"] for e, d in eras.items()},
        "cases": [],
    }
    for c in build_cases():
        case = {}
        for n, a in c.items():
            if isinstance(a, np.ndarray):
                case.setdefault("inputs", {})[n] = hexdata(a, "u1" if a.dtype == np.uint8 else "f4")
            else:
                case[n] = a
        case["flax"] = {e: d["outputs"][c["id"]] for e, d in eras.items()}
        # float64 reference; attention's with the keep mask of flax-0.12 (the keep
        # masks of both eras are compared by the test).
        outs = {}
        k = eras["flax-0.12"]["outputs"][c["id"]].get("keep")
        if k:
            outs["keep"] = unhex(k, "u1", (c["shape"][1], c["shape"][1]))
        case["f64"] = {n: hexdata(a, "f8") for n, a in reference(c, outs).items()}
        doc["cases"].append(case)
    text = json.dumps(doc, indent=1, sort_keys=False) + "\n"
    if args.o == "-":
        sys.stdout.write(text)
    else:
        with open(args.o, "w") as fh:
            fh.write(text)
        print("wrote %s (%d cases)" % (args.o, len(doc["cases"])), file=sys.stderr)


if __name__ == "__main__":
    main()
