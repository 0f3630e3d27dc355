"""Known answers from real JAX and Flax for keyfold (test tooling only).

Run under an oracle venv (scripts/oracle-venvs.sh creates them):

    V=/work/venvs/kf-oracle-flax-0.10/bin/python
    $V scripts/gen-vectors.py --keyfold build/lib/libkeyfold.so        # tests/vectors/jax-oracle-flax-0.10.json
    /work/venvs/kf-oracle-flax-0.12/bin/python scripts/gen-vectors.py --keyfold build/lib/libkeyfold.so
    $V scripts/gen-vectors.py --measure -o /tmp/measure.json          # big draws, for measuring only

The era (flax-0.10 or flax-0.12) follows the installed Flax; the output file
is tests/vectors/jax-oracle-<era>.json unless -o says otherwise; "-o -"
prints the JSON on stdout. Every case is computed in both threefry modes
(jax_threefry_partitionable True and False), except the flax_session ones:
partitionable, and two of them in legacy mode too.

--keyfold LIB (the built libkeyfold.so) is used for three things only. The cases
of operations whose float32 results depend on XLA's log1p (normal,
truncated_normal, the initializers drawing from them) get the tolerance
measured against that library written beside them (max ulp distance and
fraction bit-identical), with the reason. Without it those cases get
{"ulps": null} and the test refuses them. And it checks that every parameter
of the flax_session cases (tolerance "exact", though lecun_normal and Embed's
normal depend on log1p) comes out of the library bit for bit, and fails
otherwise; and likewise every activation case (through a model of that one
layer). Nothing here is needed by the product or by the default test command.
"""
import argparse
import ctypes
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAX_ERA = "flax-0.10" if flax.__version__.startswith(("0.9.", "0.10.")) else \
    "flax-%s" % ".".join(flax.__version__.split(".")[:2])
MODES = {"partitionable": True, "legacy": False}
# (Recorded in every log1p-dependent case: kept word for word, so the cases come out unchanged,
# though lib/src/xla_log.c is lib/src/xla_math.c now.)
LOG1P_REASON = ("depends on float32 log1p inside erf_inv: keyfold computes XLA:CPU's own rational "
                "approximation (xla-numerics.md A.6) as jaxlib 0.10.2 rounds it (lib/src/xla_log.c, "
                "equal to jaxlib 0.10.2's jax.lax.log1p on every float32: scripts/oracle/log1p-check.py "
                "--every), so against jaxlib 0.10.2 these results are bit for bit (test_oracle requires "
                "it). jaxlib 0.6.2 fuses A*r into the sum of the rational branch: its log1p differs by "
                "1 ulp on 0.43% of the arguments normal() feeds log1p, which moves about 0.03% of "
                "samples by at most 3 ulps; tolerance = measured max")


# ---- encoding ---------------------------------------------------------------

def hexdata(a):
    """Row-major little-endian bytes as hex: exact for every dtype."""
    a = np.ascontiguousarray(a)
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes().hex()


def keydata(k):
    return [int(v) for v in np.asarray(jax.random.key_data(k)).reshape(-1)]


def result(a, dtype=None):
    a = np.asarray(a)
    if dtype:
        a = a.astype(dtype)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "expect": hexdata(a)}


# ---- keyfold (only for measured tolerances) ----------------------------------

class KfKey(ctypes.Structure):
    _fields_ = [("hi", ctypes.c_uint32), ("lo", ctypes.c_uint32)]


class KfShape(ctypes.Structure):
    _fields_ = [("rank", ctypes.c_int), ("dim", ctypes.c_int64 * 8)]


class KfTensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("shape", KfShape), ("data", ctypes.c_void_p)]


class KfInit(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("value", ctypes.c_double), ("lower", ctypes.c_double),
                ("upper", ctypes.c_double), ("fan_mode", ctypes.c_int),
                ("distribution", ctypes.c_int), ("in_axis", ctypes.c_int), ("out_axis", ctypes.c_int)]


class Keyfold:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)

    def _init(self, name, params):
        kind = ctypes.c_int()
        init = KfInit()
        assert self.lib.kf_init_kind_from_name(name.encode(), ctypes.byref(kind)) == 0, name
        assert self.lib.kf_init_make(kind, ctypes.byref(init)) == 0
        for k, v in params.items():
            if k in ("stddev", "scale", "value"):
                init.value = v
            elif k == "mode":
                init.fan_mode = ["fan_in", "fan_out", "fan_avg"].index(v)
            elif k == "distribution":
                init.distribution = ["truncated_normal", "normal", "uniform"].index(v)
            else:
                setattr(init, k, v)
        return init

    def activation(self, name, x):
        """x (float32) through a keyfold model of the one activation layer `name`."""
        lib, t = self.lib, ctypes.c_int()
        assert lib.kf_layer_type_from_name(name.encode(), ctypes.byref(t)) == 0, name
        spec = ctypes.create_string_buffer(4096)  # kf_layer_spec, filled by kf_layer_spec_make
        assert lib.kf_layer_spec_make(t, spec) == 0
        rngs, model = ctypes.c_void_p(), ctypes.c_void_p()
        assert lib.kf_rngs_new(0, ctypes.byref(rngs)) == 0
        assert lib.kf_model_new(spec, ctypes.c_size_t(1), rngs, ctypes.byref(model), None) == 0
        x = np.ascontiguousarray(x, np.float32)
        y = np.zeros(max(len(x), 1), np.float32)
        xt = KfTensor(0, KfShape(1, (ctypes.c_int64 * 8)(len(x))), x.ctypes.data_as(ctypes.c_void_p))
        yt = KfTensor(0, KfShape(0), y.ctypes.data_as(ctypes.c_void_p))
        rc = lib.kf_model_forward(model, rngs, ctypes.byref(xt), 1, ctypes.byref(yt), None)
        lib.kf_model_free(model)
        lib.kf_rngs_free(rngs)
        assert rc == 0, rc
        return y[:len(x)]

    SAMPLE_PARAMS = {  # keyfold's argument order of each sampler's float parameters
        "pareto": ["b"], "weibull_min": ["scale", "concentration"], "rayleigh": ["scale"],
        "geometric": ["p"], "triangular": ["left", "mode", "right"], "lognormal": ["sigma"],
        "double_sided_maxwell": ["loc", "scale"],
        "gamma": ["a"], "loggamma": ["a"], "beta": ["a", "b"], "chisquare": ["df"], "t": ["df"],
        "f": ["dfnum", "dfden"], "generalized_normal": ["p"],
        "wald": ["mean"], "poisson": ["lam"], "binomial": ["n", "p"],
    }
    # keyfold's rsqrt mode for this jaxlib (KF_RSQRT_INTEL_NR2 from jaxlib 0.7.1 on: this
    # machine is an Intel x86-64)
    RSQRT_MODE = 1 if tuple(int(x) for x in jaxlib.__version__.split(".")[:3]) >= (0, 7, 1) else 0
    GUMBEL_MODES = ["low", "high", "highest"]

    def run_sample(self, case):
        """A "sample" case through kf_random_<sampler>: a parameter of one element as one value
        (p_n = 1), any other array broadcast to the output's shape (numpy's rules, p_n = n)."""
        a, mode = case["args"], 0 if case["mode"] == "partitionable" else 1
        if a["sampler"] in ("categorical", "choice", "multinomial"):
            return self.run_vector_sample(case)
        if a["sampler"] in LINALG_SAMPLERS:
            return self.run_linalg_sample(case)
        shape = case["shape"]
        n = int(np.prod(shape, dtype=np.int64))
        out = np.zeros(max(n, 1), np.dtype(case["dtype"]))
        args = [KfKey(*a["key"]), mode, ctypes.c_size_t(n)]
        keep = []
        if a["sampler"] in GAMMA_FAMILY:
            args.insert(2, self.RSQRT_MODE)
        if a["sampler"] == "dirichlet":
            alpha = np.ascontiguousarray(param_value(a["params"]["alpha"]), np.float32).reshape(-1)
            keep.append(alpha)
            args[3] = ctypes.c_size_t(n // alpha.size)
            args += [alpha.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(alpha.size)]
        if a["sampler"] == "ball":
            d = a["params"]["d"]
            args[3] = ctypes.c_size_t(n // d if d else 0)
            args += [ctypes.c_size_t(d), ctypes.c_float(param_value(a["params"]["p"]))]
        if a["sampler"] == "gumbel":
            args.append(self.GUMBEL_MODES.index(a["params"].get("mode", "low")))
        for name in self.SAMPLE_PARAMS.get(a["sampler"], []):
            v = param_value(a["params"][name])
            if v.size != 1:
                v = np.broadcast_to(v, shape)
            v = np.ascontiguousarray(v, np.float32).reshape(-1)
            keep.append(v)
            args += [v.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(v.size)]
        rc = getattr(self.lib, "kf_random_" + a["sampler"])(*args, out.ctypes.data_as(ctypes.c_void_p))
        assert rc == 0, (case["id"], rc)
        return out[:n]

    def run_vector_sample(self, case):
        """categorical, choice and multinomial (discrete.c): a probability or logit vector of k
        values with a batch shape around it."""
        a, mode = case["args"], 0 if case["mode"] == "partitionable" else 1
        p, key, out_shape = a["params"], KfKey(*a["key"]), case["shape"]
        n = int(np.prod(out_shape, dtype=np.int64))
        out = np.zeros(max(n, 1), np.dtype(case["dtype"]))
        gm = self.GUMBEL_MODES.index(p.get("mode", "low"))
        sz = ctypes.c_size_t
        if a["sampler"] == "categorical":
            lg = param_value(p["logits"])
            ax = p.get("axis", -1) % lg.ndim
            batch = lg.shape[:ax] + lg.shape[ax + 1:]
            prefix = int(np.prod(out_shape[:len(out_shape) - len(batch)], dtype=np.int64))
            lg = np.ascontiguousarray(lg, np.float32)
            rc = self.lib.kf_random_categorical(
                key, mode, lg.ctypes.data_as(ctypes.c_void_p), sz(int(np.prod(lg.shape[:ax], dtype=np.int64))),
                sz(lg.shape[ax]), sz(int(np.prod(lg.shape[ax + 1:], dtype=np.int64))), sz(prefix),
                int(p.get("replace", True)), gm, out.ctypes.data_as(ctypes.c_void_p))
        elif a["sampler"] == "choice":
            pv = None if "p" not in p else np.ascontiguousarray(param_value(p["p"]), np.float32)
            rc = self.lib.kf_random_choice(key, mode, sz(p["a"]), sz(n), int(p.get("replace", True)),
                                           None if pv is None else pv.ctypes.data_as(ctypes.c_void_p),
                                           gm, out.ctypes.data_as(ctypes.c_void_p))
        else:
            pv = np.asarray(param_value(p["p"]), np.float32)
            k = out_shape[-1]
            if pv.size != k:
                pv = np.broadcast_to(pv, out_shape)
            pv = np.ascontiguousarray(pv, np.float32).reshape(-1)
            cv = np.asarray(param_value(p["n"]), np.float32)
            if cv.size != 1:
                cv = np.broadcast_to(cv, out_shape[:-1])
            cv = np.ascontiguousarray(cv, np.float32).reshape(-1)
            rc = self.lib.kf_random_multinomial(key, mode, sz(n // k), sz(k), cv.ctypes.data_as(ctypes.c_void_p),
                                                sz(cv.size), pv.ctypes.data_as(ctypes.c_void_p), sz(pv.size),
                                                out.ctypes.data_as(ctypes.c_void_p))
        assert rc == 0, (case["id"], rc)
        return out[:n]

    def run_linalg_sample(self, case):
        """multivariate_normal (mean and cov broadcast to the batch shape unless one row or one
        matrix serves every batch row) and orthogonal (linalg.c)."""
        a, mode = case["args"], 0 if case["mode"] == "partitionable" else 1
        p, key, out_shape = a["params"], KfKey(*a["key"]), case["shape"]
        n = int(np.prod(out_shape, dtype=np.int64))
        out = np.zeros(max(n, 1), np.float32)
        sz = ctypes.c_size_t
        if a["sampler"] == "orthogonal":
            batch = int(np.prod(out_shape[:-2], dtype=np.int64))
            rc = self.lib.kf_random_orthogonal(key, mode, sz(batch), sz(p["n"]), sz(p.get("m", p["n"])),
                                               out.ctypes.data_as(ctypes.c_void_p))
        else:
            d = out_shape[-1]
            batch = n // d if d else int(np.prod(out_shape[:-1], dtype=np.int64))
            mean = np.asarray(param_value(p["mean"]), np.float32)
            cov = np.asarray(param_value(p["cov"]), np.float32)
            if mean.size != d:
                mean = np.broadcast_to(mean, tuple(out_shape))
            if cov.size != d * d:
                cov = np.broadcast_to(cov, tuple(out_shape) + (d,))
            mean, cov = (np.ascontiguousarray(v, np.float32).reshape(-1) for v in (mean, cov))
            method = ["cholesky", "svd", "eigh"].index(p.get("method", "cholesky"))
            rc = self.lib.kf_random_multivariate_normal(
                key, mode, method, sz(batch), sz(d), mean.ctypes.data_as(ctypes.c_void_p), sz(mean.size),
                cov.ctypes.data_as(ctypes.c_void_p), sz(cov.size), out.ctypes.data_as(ctypes.c_void_p))
        assert rc == 0, (case["id"], rc)
        return out[:n]

    def run(self, case):
        if case["op"] == "sample":
            return self.run_sample(case)
        a, mode = case["args"], 0 if case["mode"] == "partitionable" else 1
        key = KfKey(*a["key"])
        n = int(np.prod(case["shape"], dtype=np.int64))
        out = np.zeros(max(n, 1), np.float32)
        p = out.ctypes.data_as(ctypes.c_void_p)
        if case["op"] == "normal":
            rc = self.lib.kf_random_normal(key, mode, ctypes.c_size_t(n), p)
        elif case["op"] == "truncated_normal":
            rc = self.lib.kf_random_truncated_normal(key, mode, ctypes.c_size_t(n),
                                                     ctypes.c_float(float(a["lower"])), ctypes.c_float(float(a["upper"])), p)
        else:
            init = self._init(a["init"], a.get("params", {}))
            shape = KfShape(len(a["shape"]), (ctypes.c_int64 * 8)(*a["shape"]))
            rc = self.lib.kf_init_apply(ctypes.byref(init), key, mode, ctypes.byref(shape), p)
        assert rc == 0, (case["id"], rc)
        return out[:n]


def ordered(x):
    b = x.view(np.uint32).astype(np.int64)
    return np.where(b & 0x80000000, 0x80000000 - (b & 0x7FFFFFFF), 0x80000000 + b)


def log1p_dependent(case):
    if case["op"] in ("normal", "truncated_normal"):
        return True
    if case["op"] != "init":
        return False
    a = case["args"]
    if a["init"] in ("lecun_normal", "glorot_normal", "he_normal", "normal", "truncated_normal",
                     "xavier_normal", "kaiming_normal"):
        return True
    return a["init"] == "variance_scaling" and a["params"]["distribution"] != "uniform"


def param_json(v):
    """A float32 parameter in a case: a number (the strings "nan", "inf", "-inf" for the
    non-finite) for a scalar, {"shape", "values"} for an array."""
    def one(x):
        x = float(np.float32(x))
        return x if np.isfinite(x) else ("nan" if np.isnan(x) else "inf" if x > 0 else "-inf")
    a = np.asarray(v, np.float32)
    if a.ndim == 0:
        return one(a)
    return {"shape": list(a.shape), "values": [one(x) for x in a.reshape(-1)]}


def param_value(j):
    """The float32 value (numpy scalar or array) of a param_json."""
    one = lambda x: np.float32(float(x))  # float("nan") / float("inf") parse the strings
    if isinstance(j, dict):
        return np.array([one(x) for x in j["values"]], np.float32).reshape(j["shape"])
    return one(j)


JAX_VERSION = tuple(int(x) for x in jax.__version__.split(".")[:3])

# Why a sample case may differ from keyfold (which follows jaxlib 0.10.2), per sampler, for a
# jaxlib other than 0.10.2; measured against libkeyfold when the file is generated.
OTHER_JAXLIB_REASON = {
    "log1p": "jaxlib 0.6.2 rounds XLA's log1p differently from 0.10.2 (one more fused product, "
             "docs/testing.md 'log1p'): 1 ulp on 0.45% of -log1p(-u), carried through the formula",
    "cauchy": "jaxlib <= 0.7.0 computes tan as sinf(x) / cosf(x); keyfold calls tanf as jaxlib "
              ">= 0.7.1 does",
    "maxwell": "jaxlib 0.6.2's normals differ from 0.10.2's through log1p, and it may round the "
               "sum of the three squares (and double_sided_maxwell's product by scale) otherwise "
               "than 0.10.2, whose XLA loop and YNNPACK fusions keyfold follows",
    "pareto": "jaxlib 0.6.2's log1p (exponential) and, for a broadcast b, its division by b where "
              "0.10.2 multiplies by 1 / b",
}
GAMMA_FAMILY = ("gamma", "loggamma", "beta", "chisquare", "t", "f", "generalized_normal",
                "dirichlet", "ball")
OTHER_JAXLIB_REASON["gamma"] = (
    "jaxlib 0.6.2's log1p (in the normals of the rejection loop, through erf_inv, and in "
    "loggamma's log1p(-u)) differs from 0.10.2's on 0.45% of arguments; one different normal "
    "changes a rejection step, so a whole draw can differ (keyfold takes rsqrt as 1 / sqrtf, as "
    "jaxlib <= 0.7.0 does)")
GAMMA_OPEN_REASON = ("known open in keyfold's gamma family against jaxlib 0.10.2: the payload of a "
                     "NaN result (x86 keeps the first NaN operand's, XLA's operand order is not "
                     "followed everywhere; a NaN parameter), dirichlet with k > 32 (its reductions) "
                     "and ball with p < 1 or d = 1: docs/libkeyfold.md 'The gamma family'")
YNN_REASON = ("jaxlib 0.10.2 hands a reduction or elementwise kernel of at least 4096 elements to "
              "YNNPACK: keyfold follows its 16-lane row sum (ball) but not its softmax (dirichlet, "
              "whose exp and division YNNPACK computes itself): docs/libkeyfold.md")
SAMPLE_CAUSE = {"exponential": "log1p", "laplace": "log1p", "weibull_min": "log1p", "geometric": "log1p",
                "pareto": "pareto", "lognormal": "log1p", "gumbel": "log1p", "cauchy": "cauchy",
                "maxwell": "maxwell", "double_sided_maxwell": "maxwell",
                "gamma": "gamma", "loggamma": "gamma", "beta": "gamma", "chisquare": "gamma",
                "t": "gamma", "f": "gamma", "generalized_normal": "gamma", "dirichlet": "gamma",
                "ball": "gamma",
                "wald": "log1p", "poisson": "log1p", "binomial": "log1p", "multinomial": "log1p",
                "categorical": "log1p", "choice": "log1p"}
LINALG_SAMPLERS = ("multivariate_normal", "orthogonal")
LINALG_REASON = ("jaxlib factors with SciPy's LAPACK (OpenBLAS) and multiplies with XLA's dot "
                 "kernels, whose summation orders depend on the sizes (sgemv_t in QR, the "
                 "XNNPACK/YNNPACK dot of mean + factor @ z): keyfold follows OpenBLAS's unblocked "
                 "potf2 and reference LAPACK's sgeqr2/sorg2r with fixed orders, so elements differ "
                 "in the last bits, which near zero are many ulps (docs/libkeyfold.md)")
BROADCAST_REASON = ("a parameter broadcast from a shape other than () or the output's: keyfold's "
                    "(p, p_n) convention takes one value or one per element, so the test expands it "
                    "to the output's shape, which keyfold computes as an array of that shape; XLA "
                    "computes the partly broadcast operand as a broadcast one (a reciprocal for a "
                    "divisor, a constant folded into a factor): docs/libkeyfold.md")


def partly_broadcast(case):
    if case["args"]["sampler"] in ("dirichlet", "ball"):  # alpha is the last axis; p is one value
        return False
    if case["args"]["sampler"] in ("categorical", "choice", "multinomial") + LINALG_SAMPLERS:
        return False  # a probability or logit vector (a mean, a covariance) of its own shape
    shape = case["shape"]
    n = int(np.prod(shape, dtype=np.int64))
    for v in case["args"]["params"].values():
        if isinstance(v, dict) and int(np.prod(v["shape"], dtype=np.int64)) not in (1, n):
            return True
    return False


def set_sample_tolerance(case, kf):
    """'exact' where keyfold reproduces the case (it must, for every case of jaxlib 0.10.2 but
    the partly broadcast parameters: returns False when it does not), else the measured ulps
    with the reason."""
    sampler = case["args"]["sampler"]
    if sampler in LINALG_SAMPLERS:
        reason = LINALG_REASON  # measured whatever the jaxlib; 'exact' when it is
    elif partly_broadcast(case):
        reason = BROADCAST_REASON
    elif sampler in ("dirichlet", "ball") and int(np.prod(case["shape"])) >= 4096 and \
            jaxlib.__version__ == "0.10.2":
        reason = YNN_REASON
    elif jaxlib.__version__ != "0.10.2":
        reason = OTHER_JAXLIB_REASON.get(SAMPLE_CAUSE.get(sampler), "jaxlib %s" % jaxlib.__version__)
    else:
        reason = None
    if reason is None:
        case["tolerance"] = "exact"
        if kf is None:
            return True
        want = np.frombuffer(bytes.fromhex(case["expect"]), np.dtype(case["dtype"]).newbyteorder("<"))
        if want.tobytes() == kf.run(case).tobytes():
            return True
        if sampler not in GAMMA_FAMILY:
            return False
        reason = GAMMA_OPEN_REASON
    if kf is None:
        case["tolerance"] = {"ulps": None, "reason": reason, "cause": "sample"}
        return True
    want = np.frombuffer(bytes.fromhex(case["expect"]), np.dtype(case["dtype"]).newbyteorder("<"))
    got = kf.run(case)
    if case["dtype"] != "float32":
        same = want == got
        if same.all():
            case["tolerance"] = "exact"
        else:
            case["tested"] = False
            case["tolerance"] = "exact"
            case["untested_reason"] = "%s: %d of %d integers differ" % (reason, int((~same).sum()), same.size)
        return True
    d = np.abs(ordered(want) - ordered(got))
    if not d.size or d.max() == 0:
        case["tolerance"] = "exact"
        return True
    case["tolerance"] = {"ulps": int(d.max()), "identical": round(float((d == 0).mean()), 6),
                         "reason": reason, "cause": "sample"}
    return True


def set_tolerance(case, kf):
    if not log1p_dependent(case):
        case["tolerance"] = "exact"
        return
    if kf is None:
        case["tolerance"] = {"ulps": None, "reason": LOG1P_REASON}
        return
    want = np.frombuffer(bytes.fromhex(case["expect"]), "<f4")
    got = kf.run(case)
    d = np.abs(ordered(want) - ordered(got))
    case["tolerance"] = {"ulps": int(d.max()) if d.size else 0,
                         "identical": round(float((d == 0).mean()) if d.size else 1.0, 6),
                         "reason": LOG1P_REASON}


# ---- flax sessions -----------------------------------------------------------

def var_value(v):
    return v.get_value() if hasattr(v, "get_value") else v.value  # 0.12: .value deprecated


def dotted(path):
    return ".".join(str(p) for p in path)


def seed_value(v):
    """A seed in a case: an int, or [hi, lo] raw key data = wrap_key_data(uint32 array)."""
    return v if isinstance(v, int) else jax.random.wrap_key_data(np.array(v, np.uint32))


def stream_state(s):
    return {"key": keydata(var_value(s.key)), "count": int(np.asarray(var_value(s.count)))}


def model_streams(model):
    """Every RngStream reachable from the model, in nnx.iter_graph order (Flax's graph order)."""
    return [(dotted(p), n) for p, n in nnx.iter_graph(model) if isinstance(n, nnx.RngStream)]


def session_state(rngs, model):
    return {"rngs": [dict(name=n, **stream_state(s)) for n, s in rngs.items()],
            "model": [dict(path=p, tag=s.tag, **stream_state(s)) for p, s in model_streams(model)]}


EMBED_INIT = ("variance_scaling", {"scale": 1.0, "mode": "fan_in", "distribution": "normal",
                                   "out_axis": 0})


def build_layer(spec, rngs):
    """One layer of a case, built as nnx.Sequential's element; also the (path suffix, init,
    params, key, shape) of each parameter it draws, for the --keyfold check."""
    t = spec["type"]
    if t in ("linear", "embed"):
        src = rngs["params"]  # falls back to default, as the constructors do
        key, count = var_value(src.key), int(np.asarray(var_value(src.count)))
        draw = lambda i: keydata(jax.random.fold_in(key, count + i))
        if t == "linear":
            shape = [spec["in_features"], spec["out_features"]]
            layer = nnx.Linear(*shape, use_bias=spec.get("use_bias", True), rngs=rngs)
            return layer, [("kernel", "lecun_normal", {}, draw(0), shape)]
        shape = [spec["num_embeddings"], spec["features"]]
        return nnx.Embed(*shape, rngs=rngs), [("embedding",) + EMBED_INIT + (draw(0), shape)]
    if t == "dropout":
        kw = {k: spec[k] for k in ("rng_collection", "deterministic") if k in spec}
        if "broadcast_dims" in spec:
            kw["broadcast_dims"] = tuple(spec["broadcast_dims"])
        return nnx.Dropout(spec["rate"], rngs=rngs, **kw), []
    return {"relu": nnx.relu, "tanh": nnx.tanh}[t], []


def fma_linear(x, kernel, bias):
    """keyfold's Linear (lib/src/forward.c): an fma chain over k in order, then + bias; fmaf
    emulated in float64 (exact product, one rounding of the sum, then float32), denormal inputs
    and results flushed to zero as under XLA's FTZ/DAZ (lib/src/fpmode.h)."""
    def ftz(a):
        a = np.asarray(a, np.float32)
        return np.where(np.abs(a) < np.finfo(np.float32).tiny, np.copysign(np.float32(0), a), a)
    x = ftz(np.asarray(x, np.float32).reshape(-1, kernel.shape[0]))
    w = ftz(kernel)
    acc = np.zeros((x.shape[0], w.shape[1]), np.float32)
    for k in range(w.shape[0]):
        acc = ftz((x[:, k:k + 1].astype(np.float64) * w[k].astype(np.float64) + acc).astype(np.float32))
    if bias is not None:
        acc = ftz(acc + ftz(bias))
    return acc


def run_session(rngs_args, layer_specs, xs, steps):
    """Replays one flax_session case in the running Flax; returns its "expect" and the
    parameter checks [(path, init, params, key, shape, hex)] for --keyfold."""
    era12 = FLAX_ERA != "flax-0.10"
    seeds = {k: seed_value(v) for k, v in rngs_args.items() if k != "default"}
    rngs = nnx.Rngs(seed_value(rngs_args["default"]), **seeds) if "default" in rngs_args \
        else nnx.Rngs(**seeds)
    layers, inits = [], []
    for i, spec in enumerate(layer_specs):
        layer, drawn = build_layer(spec, rngs)
        layers.append(layer)
        inits += [("layers.%d.%s" % (i, d[0]),) + d[1:] for d in drawn]
    model = nnx.Sequential(*layers)
    params = [(dotted(p), np.asarray(var_value(n))) for p, n in nnx.iter_graph(model)
              if isinstance(n, nnx.Param)]
    checks = []
    byname = dict(params)
    for path, init, ip, kd, shape in inits:
        want = Gen.jax_init(init, ip)(jax.random.wrap_key_data(np.array(kd, np.uint32)),
                                       tuple(shape), jnp.float32)
        # the key derivation above must be Flax's: same bits as the layer's own parameter
        assert np.array_equal(np.asarray(want).view(np.uint32), byname[path].view(np.uint32)), path
        checks.append((path, init, ip, kd, shape, hexdata(byname[path])))
    expect = {"params": [{"path": p, "value": result(v)} for p, v in params],
              "built": session_state(rngs, model), "steps": []}
    for step in steps:
        rec = {}
        if "forward" in step:
            y, d = jnp.asarray(xs[step["forward"]]), step["deterministic"]
            for layer in model.layers:
                if isinstance(layer, nnx.Dropout):
                    y = layer(y) if d is None else layer(y, deterministic=d)
                elif isinstance(layer, nnx.Linear):
                    x = y
                    y = layer(y)
                    b = var_value(layer.bias) if layer.use_bias else None
                    got = fma_linear(x, np.asarray(var_value(layer.kernel)), b)
                    if not np.array_equal(got.view(np.uint32),
                                          np.asarray(y).reshape(got.shape).view(np.uint32)):
                        print("gen-vectors: warning: XLA's Linear differs from an fma chain "
                              "(keyfold's order) in a flax_session case", file=sys.stderr)
                else:
                    y = layer(y)
            rec["y"] = result(y)
        elif "reseed" in step:
            s = {k: seed_value(v) for k, v in step["reseed"].items()}
            kw = {"policy": step["policy"]} if "policy" in step else {}
            assert not kw or era12, "policy is a Flax >= 0.11 argument"
            targets = {"model": [model], "rngs": [rngs], "all": [model, rngs]}[step["target"]]
            rejected = False
            for t in targets:
                tags = {st.tag for _, st in model_streams(t)} if t is model else set(dict(rngs.items()))
                missing = set(s) - tags
                # keyfold's API rejects (400) a tag matching no stream of the target: such a
                # step, and only such a step, carries "keyfold_rejects": true
                rejected = rejected or bool(missing)
            assert rejected == bool(step.get("keyfold_rejects")), (FLAX_ERA, step)
            for t in targets:
                nnx.reseed(t, **s, **kw)
        elif "draw" in step:
            rec["key"] = keydata(rngs() if step["draw"] is None else rngs[step["draw"]]())
        elif "fork" in step:
            assert era12, "fork steps are recorded in the Flax >= 0.11 era only"
            if step["fork"] is None:
                child = list(rngs.fork().items())
            else:
                real = dict(rngs.items())
                child = [(n, real[n].fork()) for n in step["fork"]]  # real streams only
            rec["child"] = [dict(name=n, **stream_state(c)) for n, c in child]
        else:
            raise ValueError(step)
        rec["state"] = session_state(rngs, model)
        expect["steps"].append(rec)
    return expect, checks


# ---- cases ------------------------------------------------------------------

SEEDS = [0, 1, 42, -1, -7, 2**31 - 1, -2**31, 2**32 - 1, 123456789]
X64_SEEDS = [0, 42, -1, -2**31 - 5, 2**32, 2**32 + 7, 2**40 + 3, 2**63 - 1, -2**63, 2**62 + 12345]


class Gen:
    def __init__(self, measure):
        self.cases = []
        self.measure = measure
        self.jitted = {}
        self.mode = None
        self.param_checks = []  # (case id, mode, path, init, params, key, shape, hex)

    def add(self, op, cid, args, res, x64=False, **extra):
        c = {"id": "%s/%s/%s" % (op, self.mode, cid), "op": op, "mode": self.mode, "x64": x64,
             "args": args}
        c.update(res)
        c.update(extra)
        self.cases.append(c)

    # keys, fold_in, split, bits -------------------------------------------------
    def keys(self):
        for s in SEEDS:
            self.add("key", "seed=%d" % s, {"seed": s}, result(jax.random.key_data(jax.random.key(s))))
            self.add("key", "PRNGKey(%d)" % s, {"seed": s, "legacy_prngkey": True},
                     result(jax.random.PRNGKey(s)))
        jax.config.update("jax_enable_x64", True)
        try:
            for s in X64_SEEDS:
                self.add("key", "x64/seed=%d" % s, {"seed": s},
                         result(jax.random.key_data(jax.random.key(s))), x64=True)
        finally:
            jax.config.update("jax_enable_x64", False)

    def derived_keys(self):
        out = []
        for s in (0, 42, -3, 2**31 - 1):
            out.append(("key(%d)" % s, jax.random.key(s)))
        out.append(("wrap[0x12345678,0x9abcdef0]",
                    jax.random.wrap_key_data(np.array([0x12345678, 0x9ABCDEF0], np.uint32))))
        out.append(("fold_in(key(1),7)", jax.random.fold_in(jax.random.key(1), 7)))
        return out

    def fold_split_bits(self):
        for name, k in self.derived_keys():
            kd = keydata(k)
            for d in (0, 1, 2, 41, 2**31, 2**32 - 1):
                self.add("fold_in", "%s/%d" % (name, d), {"key": kd, "data": d},
                         result(jax.random.key_data(jax.random.fold_in(k, d))))
            for num in (1, 2, 3, 7, [2, 3], [4, 1, 3], 1000):
                shape = num if isinstance(num, list) else [num]
                self.add("split", "%s/%s" % (name, num), {"key": kd, "num": num},
                         result(jax.random.key_data(jax.random.split(k, tuple(shape) if isinstance(num, list) else num))))
            for width in (8, 16, 32):
                for shape in ([], [1], [7], [3, 5], [1025]):
                    dt = {8: jnp.uint8, 16: jnp.uint16, 32: jnp.uint32}[width]
                    self.add("bits", "%s/%d/%s" % (name, width, shape),
                             {"key": kd, "shape": shape, "bit_width": width},
                             result(jax.random.bits(k, tuple(shape), dt)))
        jax.config.update("jax_enable_x64", True)
        try:
            for name, k in self.derived_keys()[:3]:
                kd = keydata(k)
                for shape in ([], [5], [2, 3], [513]):
                    self.add("bits", "%s/64/%s" % (name, shape), {"key": kd, "shape": shape, "bit_width": 64},
                             result(jax.random.bits(k, tuple(shape), jnp.uint64)), x64=True)
        finally:
            jax.config.update("jax_enable_x64", False)

    # samplers ----------------------------------------------------------------
    def sampler_keys(self):
        ks = [("key(0)", jax.random.key(0)), ("key(42)", jax.random.key(42)),
              ("key(-5)", jax.random.key(-5)),
              ("fold_in(key(7),3)", jax.random.fold_in(jax.random.key(7), 3))]
        return ks

    def shapes(self, big):
        s = [[], [1], [7], [3, 5], [2, 3, 4], [255]]
        return s + ([[5000]] if big else [])

    def samplers(self):
        def f32(v):  # JSON has no infinities: "inf" / "-inf"
            v = float(np.float32(v))
            return v if np.isfinite(v) else ("inf" if v > 0 else "-inf")
        for ki, (name, k) in enumerate(self.sampler_keys()):
            kd = keydata(k)
            big = ki == 0
            for shape in self.shapes(big):
                sh = tuple(shape)
                for lo, hi in ((0.0, 1.0), (-1.0, 1.0), (-3.0, 7.0), (0.1, 0.7), (2.5, 2.75),
                               (-1e6, 1e6), (1e-3, 3e-3), (-5.0, -4.5)):
                    if (len(shape) > 1 or shape == [5000]) and (lo, hi) not in ((0.0, 1.0), (-3.0, 7.0)):
                        continue
                    self.add("uniform", "%s/%s/[%g,%g)" % (name, shape, lo, hi),
                             {"key": kd, "shape": shape, "minval": f32(lo), "maxval": f32(hi)},
                             result(jax.random.uniform(k, sh, jnp.float32, lo, hi)))
                self.add("normal", "%s/%s" % (name, shape), {"key": kd, "shape": shape},
                         result(jax.random.normal(k, sh, jnp.float32)))
                for lo, hi in ((-2.0, 2.0), (-1.0, 3.5), (0.0, 1.0), (-0.5, 0.25), (2.0, 6.0),
                               (-6.0, -5.0), (-float("inf"), 0.0), (1.0, float("inf")),
                               # erf(bound / sqrt2) where jaxlib 0.10.2 clamps to 1 (|x| >= 3.7439213)
                               # and the legacy kernel does not (below 3.8325); zero ties in the clip
                               (0.0, 5.3), (-5.35, 0.5), (-5.4, 5.4), (0.0, 0.0), (-1e-40, 1e-40)):
                    if (len(shape) > 1 or shape == [5000]) and (lo, hi) not in ((-2.0, 2.0), (-1.0, 3.5)):
                        continue
                    self.add("truncated_normal", "%s/%s/[%g,%g]" % (name, shape, lo, hi),
                             {"key": kd, "shape": shape, "lower": f32(lo), "upper": f32(hi)},
                             result(jax.random.truncated_normal(k, lo, hi, sh, jnp.float32)))
                for p in (0.5, 0.1, 0.3, 0.75, 0.999, 0.0, 1.0):
                    if (len(shape) > 1 or shape == [5000]) and p not in (0.5, 0.3):
                        continue
                    self.add("bernoulli", "%s/%s/p=%g" % (name, shape, p),
                             {"key": kd, "shape": shape, "p": f32(p)},
                             result(jax.random.bernoulli(k, np.float32(p), sh), np.uint8))
                for lo, hi in ((0, 10), (-5, 5), (0, 1), (0, 3), (-100, 1000), (0, 2**31 - 1),
                               (-2**31, 2**31 - 1), (-2**31, 0), (2**31 - 10, 2**31 - 1), (7, 7),
                               (5, 3), (0, 2**24 + 1), (-(2**30), 2**30 + 12345)):
                    if (len(shape) > 1 or shape == [5000]) and (lo, hi) not in ((0, 10), (-2**31, 2**31 - 1)):
                        continue
                    self.add("randint", "%s/%s/[%d,%d)" % (name, shape, lo, hi),
                             {"key": kd, "shape": shape, "minval": lo, "maxval": hi},
                             result(jax.random.randint(k, sh, lo, hi, jnp.int32)))
            for n in (0, 1, 2, 5, 10, 100, 1000) + ((5000,) if big else ()):
                self.add("permutation", "%s/%d" % (name, n), {"key": kd, "n": n},
                         result(jax.random.permutation(k, n)))

    # distributions (op "sample") ----------------------------------------------
    # Each sampler of jax.random with its parameter sets; the first two are the common ones
    # (every key and shape), the rest edge values (fewer keys and shapes).
    NAN, INF = float("nan"), float("inf")
    DISTRIBUTIONS = [
        ("exponential", [{}]),
        ("gumbel", [{}, {"mode": "high"}, {"mode": "highest"}, {"mode": "low"}]),
        ("laplace", [{}]),
        ("logistic", [{}]),
        ("cauchy", [{}]),
        ("pareto", [{"b": 2.0}, {"b": 0.3}, {"b": 5.0}, {"b": 1e-3}, {"b": 0.0}, {"b": -1.0},
                    {"b": INF}, {"b": NAN}, {"b": 1e-40}]),
        ("weibull_min", [{"scale": 1.0, "concentration": 1.0}, {"scale": 1.5, "concentration": 2.0},
                         {"scale": 2.0, "concentration": 0.5}, {"scale": 0.7, "concentration": 3.3},
                         {"scale": 1.0, "concentration": 0.0}, {"scale": 1.0, "concentration": INF},
                         {"scale": 1.0, "concentration": -1.0}, {"scale": 0.0, "concentration": 1.0},
                         {"scale": NAN, "concentration": 1.0}, {"scale": 1.0, "concentration": NAN},
                         {"scale": -2.0, "concentration": 1.5}, {"scale": 1.0, "concentration": 1e-3},
                         {"scale": 1e-40, "concentration": 1.0}]),
        ("rayleigh", [{"scale": 1.0}, {"scale": 0.37}, {"scale": 4.0}, {"scale": 0.0},
                      {"scale": -1.0}, {"scale": INF}, {"scale": NAN}]),
        ("geometric", [{"p": 0.3}, {"p": 0.01}, {"p": 0.9}, {"p": 0.5}, {"p": 1e-6}, {"p": 0.0},
                       {"p": 1.0}, {"p": -0.5}, {"p": 1.5}, {"p": NAN}, {"p": 1e-40}]),
        ("triangular", [{"left": -1.0, "mode": 0.5, "right": 2.0}, {"left": 0.0, "mode": 0.1, "right": 1.0},
                        {"left": 3.0, "mode": 7.0, "right": 7.5}, {"left": 0.0, "mode": 0.0, "right": 1.0},
                        {"left": 0.0, "mode": 1.0, "right": 1.0}, {"left": 2.0, "mode": 2.0, "right": 2.0},
                        {"left": 1.0, "mode": 0.5, "right": 0.0}, {"left": 0.0, "mode": 2.0, "right": 1.0},
                        {"left": NAN, "mode": 0.0, "right": 1.0}, {"left": -1e30, "mode": 0.0, "right": 1e30}]),
        ("lognormal", [{"sigma": 1.0}, {"sigma": 0.5}, {"sigma": 2.3}, {"sigma": 0.0},
                       {"sigma": -1.0}, {"sigma": 10.0}, {"sigma": 50.0}, {"sigma": INF},
                       {"sigma": NAN}]),
        ("maxwell", [{}]),
        ("double_sided_maxwell", [{"loc": 0.0, "scale": 1.0}, {"loc": -3.5, "scale": 0.3},
                                  {"loc": 1.0, "scale": 2.0}, {"loc": 0.0, "scale": 0.0},
                                  {"loc": NAN, "scale": 1.0}, {"loc": 1.0, "scale": INF},
                                  {"loc": 1e30, "scale": 1e10}]),
        ("rademacher", [{}]),
        # the gamma family (xla-numerics.md B.3): keyfold's rsqrt mode follows the jaxlib
        ("gamma", [{"a": 0.8}, {"a": 3.0}, {"a": 0.0}, {"a": 1e-3}, {"a": 1e-30}, {"a": 1e4},
                   {"a": 1.0}, {"a": NAN}, {"a": -1.0}, {"a": INF}, {"a": 1e-40}]),
        ("loggamma", [{"a": 0.8}, {"a": 3.0}, {"a": 0.0}, {"a": 1e-3}, {"a": 1e-30}, {"a": 1e4},
                      {"a": 1.0}, {"a": NAN}, {"a": -1.0}, {"a": INF}, {"a": 1e-40}]),
        ("beta", [{"a": 0.8, "b": 0.9}, {"a": 2.0, "b": 5.0}, {"a": 0.0, "b": 1.0},
                  {"a": 1e-3, "b": 1e-3}, {"a": 1e4, "b": 0.5}, {"a": NAN, "b": 1.0}]),
        ("chisquare", [{"df": 3.0}, {"df": 0.5}, {"df": 100.0}, {"df": 0.0}, {"df": 1e-3},
                       {"df": NAN}]),
        ("t", [{"df": 5.0}, {"df": 1.0}, {"df": 0.3}, {"df": 1e4}, {"df": 0.0}, {"df": NAN}]),
        ("f", [{"dfnum": 3.0, "dfden": 7.0}, {"dfnum": 1.0, "dfden": 0.5},
               {"dfnum": 50.0, "dfden": 100.0}, {"dfnum": 0.0, "dfden": 1.0},
               {"dfnum": NAN, "dfden": 2.0}]),
        ("generalized_normal", [{"p": 2.0}, {"p": 1.0}, {"p": 0.5}, {"p": 5.0}, {"p": 0.1},
                                {"p": NAN}]),
        ("dirichlet", [{"alpha": [0.5, 0.6, 0.7]}, {"alpha": [1.0, 2.0, 3.0, 4.0]},
                       {"alpha": [1e-3, 1.0]}, {"alpha": [0.0, 1.0, 2.0]},
                       {"alpha": [0.1 * (i + 1) for i in range(40)]}]),
        ("ball", [{"d": 3, "p": 2.0}, {"d": 5, "p": 1.0}, {"d": 40, "p": 2.0}, {"d": 1, "p": 0.5},
                  {"d": 64, "p": 3.0}]),
    ]
    INT_SAMPLERS = ("geometric", "rademacher", "poisson", "categorical", "choice")

    def sample(self, name, key, shape, params, cid):
        """jax.random.<name>(key, **params, shape=shape) under jax.jit, the float parameters as
        traced float32 arguments (as an eager call passes them), gumbel's mode and ball's d
        static. dirichlet's and ball's output has one more axis than shape."""
        static = {k: v for k, v in params.items() if isinstance(v, (str, bool, int))}
        names = [k for k in params if k not in static]
        vals = [np.asarray(params[k], np.float32) for k in names]
        fn = getattr(jax.random, name)
        sh = tuple(shape)
        # one compilation per signature (the parameters are traced: their values do not enter it)
        memo = (self.mode, name, sh, tuple(sorted(static.items())), tuple(names),
                tuple(v.shape for v in vals))
        if memo not in self.jitted:
            if len(self.jitted) >= 256:
                # every compiled program holds its own code mappings: thousands of them exhaust
                # vm.max_map_count ("LLVM compilation error: Cannot allocate memory")
                self.jitted.clear()
                jax.clear_caches()
            self.jitted[memo] = jax.jit(lambda k, *v: fn(k, **dict(zip(names, v)), **static, shape=sh))
        out = self.jitted[memo](key, *vals)
        dt = np.int32 if name in self.INT_SAMPLERS else np.float32
        self.add("sample", "%s/%s" % (name, cid),
                 {"sampler": name, "key": keydata(key), "shape": list(shape),
                  "params": {k: (params[k] if k in static else param_json(params[k])) for k in params}},
                 result(out, dt))

    def distributions(self):
        keys = self.sampler_keys()
        for name, sets in self.DISTRIBUTIONS:
            if name in GAMMA_FAMILY:
                # fewer cases (each shape is a compilation of a rejection loop): every parameter
                # set on (7,), the common two on a few shapes, the first on the other keys
                for ki, (kn, k) in enumerate(keys):
                    plan = ([([], 2), ([7], len(sets)), ([3, 5], 2), ([255], 2)] +
                            ([([5000], 1)] if name in ("gamma", "dirichlet") else [])
                            if ki == 0 else [([1], 1), ([2, 3, 4], 1)] if ki == 1 else [([7], 1)])
                    for shape, count in plan:
                        for params in sets[:count]:
                            pid = ",".join("%s=%s" % (p, v) for p, v in params.items())
                            self.sample(name, k, shape, params, "%s/%s/%s" % (kn, shape, pid))
                continue
            if name == "gumbel" and JAX_VERSION < (0, 10, 0):
                sets = [p for p in sets if p.get("mode") != "highest"]  # new in jax 0.10
            for ki, (kn, k) in enumerate(keys):
                for shape in self.shapes(ki == 0):
                    common = len(shape) > 1 or shape == [5000] or ki >= 2
                    for pi, params in enumerate(sets):
                        if pi >= (1 if common else len(sets)) or (pi >= 3 and ki >= 1):
                            continue
                        pid = ",".join("%s=%s" % (k, v) for k, v in params.items())
                        self.sample(name, k, shape, params, "%s/%s/%s" % (kn, shape, pid))
        # parameters of the output's shape (one value per element), broadcast ones mixed with
        # arrays, partly broadcast ones, and double_sided_maxwell's shape + parameter shape
        k, kn = keys[1][1], keys[1][0]
        rng = np.random.default_rng(7)
        arrays = {
            "pareto": lambda s: {"b": rng.uniform(0.2, 4, s)},
            "weibull_min": lambda s: {"scale": rng.uniform(0.5, 3, s), "concentration": rng.uniform(0.3, 4, s)},
            "rayleigh": lambda s: {"scale": rng.uniform(0.1, 5, s)},
            "geometric": lambda s: {"p": rng.uniform(0.01, 0.99, s)},
            "triangular": lambda s: {"left": rng.uniform(-3, 0, s), "mode": rng.uniform(0, 1, s),
                                     "right": rng.uniform(1, 4, s)},
            "lognormal": lambda s: {"sigma": rng.uniform(0.1, 3, s)},
            "double_sided_maxwell": lambda s: {"loc": rng.uniform(-5, 5, s), "scale": rng.uniform(0.1, 3, s)},
            "gamma": lambda s: {"a": rng.uniform(0.05, 6, s)},
            "loggamma": lambda s: {"a": rng.uniform(0.05, 6, s)},
            "beta": lambda s: {"a": rng.uniform(0.1, 4, s), "b": rng.uniform(0.1, 4, s)},
            "chisquare": lambda s: {"df": rng.uniform(0.1, 20, s)},
            "t": lambda s: {"df": rng.uniform(0.3, 30, s)},
            "f": lambda s: {"dfnum": rng.uniform(0.5, 20, s), "dfden": rng.uniform(0.5, 20, s)},
            "generalized_normal": lambda s: {"p": rng.uniform(0.3, 5, s)},
        }
        for name, make in arrays.items():
            for shape in ([7], [255]) if name in GAMMA_FAMILY else ([7], [3, 5], [255], [1]):
                if name == "double_sided_maxwell":
                    # output shape = shape + the parameters' shape
                    self.sample(name, k, [2], make(shape), "%s/[2]+%s/arrays" % (kn, shape))
                    continue
                self.sample(name, k, shape, make(shape), "%s/%s/arrays" % (kn, shape))
            # (jax.random.f itself fails on a partly broadcast parameter: "div: arrays must
            # have the same number of dimensions")
            if name not in ("double_sided_maxwell", "f"):
                for pshape in ([5],) if name in GAMMA_FAMILY else ([5], [3, 1]):  # partly broadcast into (3, 5)
                    self.sample(name, k, [3, 5], make(pshape), "%s/[3, 5]/partly-broadcast%s" % (kn, pshape))
        # jaxlib 0.10.2 hands double_sided_maxwell to YNNPACK from 4096 elements on, which
        # rounds the product by scale that XLA's own loop fuses below that size
        for shape in ([4095], [4096], [64, 64]):
            self.sample("double_sided_maxwell", keys[0][1], shape, {"loc": -3.5, "scale": 0.3},
                        "%s/%s/ynn-threshold" % (keys[0][0], shape))
        edge = np.array([0.0, -1.0, np.inf, np.nan, 1e-40, 1e-3, 50.0], np.float32)
        self.sample("pareto", k, [7], {"b": edge}, "%s/[7]/edge-array" % kn)
        self.sample("geometric", k, [7], {"p": np.array([0, 1, -0.5, 1.5, np.nan, 1e-40, 1e-6], np.float32)},
                    "%s/[7]/edge-array" % kn)
        self.sample("lognormal", k, [7], {"sigma": edge}, "%s/[7]/edge-array" % kn)
        self.sample("triangular", k, [5, 3], {"left": np.float32(-1), "mode": rng.uniform(-1, 2, (5, 3)),
                                               "right": np.float32(2)}, "%s/[5, 3]/mode-array" % kn)
        self.sample("triangular", k, [5, 3], {"left": rng.uniform(-2, -1, (5, 3)), "mode": np.float32(0),
                                               "right": np.float32(2)}, "%s/[5, 3]/left-array" % kn)
        self.sample("double_sided_maxwell", k, [], {"loc": rng.uniform(-1, 1, (4,)), "scale": np.float32(2)},
                    "%s/[]+[4]/loc-array" % kn)
        self.sample("double_sided_maxwell", k, [3], {"loc": np.float32(1), "scale": rng.uniform(1, 2, (2, 1))},
                    "%s/[3]+[2, 1]/scale-array" % kn)

    # wald, poisson, binomial, multinomial, categorical, choice (discrete.c) ----------
    # poisson and binomial take Knuth / inversion or PTRS / BTRS per element, both branches
    # drawn from the key, and loop until the slowest element is done: parameters on either side
    # of the switch (lam = 10, n * min(p, 1 - p) = 10), mixed in one array, and JAX's corner
    # cases (random_lax_test.py). Integer parameters (a, axis, replace) are static.
    DISCRETE = [
        ("wald", [{"mean": 1.0}, {"mean": 0.3}, {"mean": 3.0}, {"mean": 1e-3}, {"mean": 100.0},
                  {"mean": 0.0}, {"mean": -1.0}, {"mean": INF}, {"mean": NAN}]),
        ("poisson", [{"lam": 5.0}, {"lam": 30.0}, {"lam": 0.5}, {"lam": 9.99}, {"lam": 10.0},
                     {"lam": 10.01}, {"lam": 100.0}, {"lam": 1e4}, {"lam": 1e6}, {"lam": 0.0},
                     {"lam": -1.0}, {"lam": NAN}, {"lam": INF}, {"lam": 1e-40}]),
        ("binomial", [{"n": 10.0, "p": 0.3}, {"n": 100.0, "p": 0.5}, {"n": 1000.0, "p": 0.9},
                      {"n": 5.0, "p": 0.99}, {"n": 3.7, "p": 0.6}, {"n": 1e6, "p": 0.2},
                      {"n": 50.0, "p": 0.2}, {"n": 50.0, "p": 0.21}, {"n": 0.0, "p": 0.5},
                      {"n": 7.0, "p": 0.0}, {"n": 7.0, "p": 1.0}, {"n": -1.0, "p": 0.5},
                      {"n": INF, "p": 0.5}, {"n": 5.0, "p": NAN}, {"n": 5.0, "p": 1.5}]),
    ]

    def discrete_distributions(self):
        keys = self.sampler_keys()
        for name, sets in self.DISCRETE:
            for ki, (kn, k) in enumerate(keys):
                for shape in self.shapes(ki == 0):
                    common = len(shape) > 1 or shape == [5000] or ki >= 2
                    for pi, params in enumerate(sets):
                        if pi >= (2 if common else len(sets)) or (pi >= 4 and ki >= 1):
                            continue
                        pid = ",".join("%s=%s" % kv for kv in params.items())
                        self.sample(name, k, shape, params, "%s/%s/%s" % (kn, shape, pid))
        k0, k, kn = jax.random.key(0), keys[1][1], keys[1][0]
        rng = np.random.default_rng(12)
        f32 = lambda v: np.array(v, np.float32)
        # JAX's corner cases, key(0) (random_lax_test.py)
        self.sample("poisson", k0, [3], {"lam": f32([-1, 0, np.nan])}, "key(0)/[3]/corner")
        self.sample("binomial", k0, [4], {"n": f32([-1, 0, np.nan, np.inf]), "p": 0.5}, "key(0)/[4]/corner-n")
        self.sample("binomial", k0, [4], {"n": 5.0, "p": f32([np.nan, 0, -0.1, 1.1])}, "key(0)/[4]/corner-p")
        self.sample("binomial", k0, [3], {"n": f32([np.inf, -1, np.inf]), "p": f32([np.nan, np.nan, -0.1])},
                    "key(0)/[3]/corner-both")
        # arrays: both branches in one call, parameters of the output's shape
        for shape in ([7], [3, 5], [255], [1]):
            self.sample("wald", k, shape, {"mean": rng.uniform(0.1, 5, shape)}, "%s/%s/arrays" % (kn, shape))
            self.sample("poisson", k, shape, {"lam": rng.uniform(0, 40, shape)}, "%s/%s/arrays" % (kn, shape))
            self.sample("binomial", k, shape, {"n": np.floor(rng.uniform(0, 200, shape)), "p": rng.uniform(0, 1, shape)},
                        "%s/%s/arrays" % (kn, shape))
        self.sample("poisson", k, [8], {"lam": f32([9.5, 9.99, 10, 10.5, 0, 3, 1e5, np.nan])}, "%s/[8]/switch" % kn)
        self.sample("binomial", k, [6], {"n": f32([20, 20, 1e4, 33, 5, 1e6]), "p": f32([0.49, 0.51, 0.001, 0.3, 0.5, 0.9])},
                    "%s/[6]/switch" % kn)
        for shape in ([4095], [4096]):
            self.sample("poisson", keys[0][1], shape, {"lam": 12.0}, "%s/%s/big" % (keys[0][0], shape))
            self.sample("binomial", keys[0][1], shape, {"n": 60.0, "p": 0.4}, "%s/%s/big" % (keys[0][0], shape))
        # multinomial: counts per category along the last axis; cumsum's blocked scan from 17 on
        for ki, (kn2, k2) in enumerate(keys[:2] if self.mode == "partitionable" else keys[:1]):
            for kk, batch in ((3, []), (3, [5]), (5, [2, 3]), (16, [4]), (17, [4]), (40, [3])):
                p = rng.uniform(0, 1, kk)
                self.sample("multinomial", k2, batch + [kk], {"n": 20.0, "p": p}, "%s/%s/K=%d" % (kn2, batch, kk))
        self.sample("multinomial", k, [4, 6], {"n": f32([0, 10, 1000, 3.5]), "p": rng.dirichlet(np.ones(6), 4)},
                    "%s/[4, 6]/arrays" % kn)
        self.sample("multinomial", k, [3, 4], {"n": 10.0, "p": f32([0.5, 0, 0.5, 0])}, "%s/[3, 4]/zeros" % kn)
        self.sample("multinomial", k, [2, 3], {"n": 100.0, "p": f32([1, 2, 3])}, "%s/[2, 3]/unnormalized" % kn)
        # categorical: logits along an axis, prefix dimensions, the three gumbel modes, no replacement
        modes = [{}, {"mode": "high"}] + ([{"mode": "highest"}] if JAX_VERSION >= (0, 10, 0) else [])
        for ki, (kn2, k2) in enumerate(keys):
            for lshape, axis, shape in (([5], -1, []), ([5], -1, [7]), ([5], -1, [3, 4]), ([4, 10], -1, [4]),
                                        ([10, 4], 0, [4]), ([2, 6, 3], 1, [5, 2, 3]), ([1000, 3], -1, [1000])):
                for mi, md in enumerate(modes):
                    if mi and ki:
                        continue
                    lg = rng.normal(size=lshape).astype(np.float32)
                    self.sample("categorical", k2, shape, dict(logits=lg, axis=axis, **md),
                                "%s/%s,axis=%d/%s/%s" % (kn2, lshape, axis, shape, md.get("mode", "low")))
        self.sample("categorical", k, [64, 4], {"logits": f32([[0, np.nan, 1, 2], [-np.inf, -np.inf, 0, -np.inf],
                                                                [np.inf, 1, np.inf, 0], [-np.inf] * 4])},
                    "%s/[4, 4]/edge" % kn)
        for lshape, axis, shape in (([20], -1, [5]), ([3, 8], -1, [8, 3]), ([8, 3], 0, [8, 3])):
            self.sample("categorical", k, shape, {"logits": rng.normal(size=lshape), "axis": axis, "replace": False},
                        "%s/%s,axis=%d/%s/no-replace" % (kn, lshape, axis, shape))
        self.sample("categorical", k, [5, 2], {"logits": f32([[0, np.nan, 1, 2, np.nan], [-np.inf, -np.inf, 0, -np.inf, -1]]),
                                               "replace": False}, "%s/[2, 5]/edge/no-replace" % kn)
        # choice on an index range: randint, permutation, cumsum + searchsorted, gumbel top_k
        for ki, (kn2, k2) in enumerate(keys):
            for a, shape, replace, pn in ((10, [7], True, None), (10, [3, 4], True, None), (1000, [20], False, None),
                                          (5, [5], False, None), (5, [9], True, "p"), (17, [40], True, "p"),
                                          (300, [255], True, "p"), (50, [30], False, "p")):
                params = {"a": a, "replace": replace}
                if pn:
                    params["p"] = rng.uniform(0, 1, a)
                self.sample("choice", k2, shape, params, "%s/a=%d/%s/replace=%s/p=%s" % (kn2, a, shape, replace, bool(pn)))
        self.sample("choice", k, [3], {"a": 6, "replace": False, "p": f32([0.5, 0, 0.2, 0, 0.3, 0]), "mode": "high"},
                    "%s/a=6/[3]/zeros/high" % kn)
        self.sample("choice", k, [200], {"a": 5, "replace": True, "p": f32([0.5, 0, 0.2, 0, 0.3])}, "%s/a=5/[200]/zeros" % kn)

    def linalg_samplers(self):
        """multivariate_normal (cholesky) and orthogonal: identity and random SPD covariances,
        batches of means and covariances, a covariance that is not positive definite (NaN rows,
        as LAPACK's info makes JAX give), a non-symmetric one (JAX symmetrizes); orthogonal square
        and rectangular both ways."""
        keys = self.sampler_keys()
        rng = np.random.default_rng(77)

        def spd(d, *batch):
            a = rng.normal(size=batch + (d, d))
            c = a @ np.swapaxes(a, -1, -2) / d + 0.25 * np.eye(d)
            return ((c + np.swapaxes(c, -1, -2)) / 2).astype(np.float32)
        for ki, (kn, k) in enumerate(keys if self.mode == "partitionable" else keys[:2]):
            for d in (1, 2, 3, 4, 5, 8):
                for shape in ([], [3], [2, 3], [100])[: 4 if ki == 0 else 2]:
                    self.sample("multivariate_normal", k, shape,
                                {"mean": np.zeros(d, np.float32), "cov": np.eye(d, dtype=np.float32)},
                                "%s/d=%d/%s/identity" % (kn, d, shape))
                    self.sample("multivariate_normal", k, shape,
                                {"mean": rng.normal(size=d).astype(np.float32), "cov": spd(d)},
                                "%s/d=%d/%s/spd" % (kn, d, shape))
            for n, m in ((1, 1), (2, 2), (3, 3), (4, 4), (5, 3), (3, 5), (8, 8), (10, 2), (2, 10), (16, 16)):
                for shape in ([], [4], [2, 3])[: 3 if ki == 0 else 1]:
                    self.sample("orthogonal", k, shape, {"n": n, "m": m}, "%s/%dx%d/%s" % (kn, n, m, shape))
        kn, k = keys[1]
        self.sample("multivariate_normal", k, [3], {"mean": rng.normal(size=(3, 4)).astype(np.float32),
                                                    "cov": spd(4, 3)}, "%s/d=4/[3]/batched" % kn)
        self.sample("multivariate_normal", k, [2, 3], {"mean": rng.normal(size=(2, 1, 3)).astype(np.float32),
                                                       "cov": spd(3, 3)}, "%s/d=3/[2, 3]/broadcast" % kn)
        self.sample("multivariate_normal", k, [4], {"mean": np.arange(2, dtype=np.float32),
                                                    "cov": np.float32([[1, 2], [2, 1]])}, "%s/d=2/[4]/not-pd" % kn)
        self.sample("multivariate_normal", k, [2, 2], {"mean": np.zeros((2, 1, 2), np.float32),
                                                       "cov": np.float32([[[1, 2], [2, 1]], [[2, 0.5], [0.5, 1]]])},
                    "%s/d=2/[2, 2]/one-not-pd" % kn)
        self.sample("multivariate_normal", k, [5], {"mean": np.ones(3, np.float32),
                                                    "cov": np.float32([[2, 1, 0], [0.5, 2, 0], [0, 0.3, 1]])},
                    "%s/d=3/[5]/not-symmetric" % kn)

    def linalg_measurement(self):
        """2*10^5 values per case: multivariate_normal where keyfold follows jaxlib's orders
        (d = 2..5) and where it does not (d = 1, 8), orthogonal square and rectangular."""
        k = jax.random.key(2026)
        rng = np.random.default_rng(2026)
        n5 = 200000
        for d in (1, 2, 4, 8):
            a = rng.normal(size=(d, d))
            cov = (a @ a.T / d + 0.25 * np.eye(d)).astype(np.float32)
            self.sample("multivariate_normal", k, [n5 // d], {"mean": rng.normal(size=d).astype(np.float32),
                                                              "cov": cov}, "measure/d=%d/spd" % d)
        self.sample("multivariate_normal", k, [n5 // 2], {"mean": np.zeros(2, np.float32),
                                                          "cov": np.eye(2, dtype=np.float32)}, "measure/d=2/identity")
        for n, m in ((2, 2), (3, 3), (5, 3), (3, 5), (8, 8)):
            self.sample("orthogonal", k, [n5 // (n * m)], {"n": n, "m": m}, "measure/%dx%d" % (n, m))

    def discrete_measurement(self):
        k = jax.random.key(2026)
        n5 = 200000
        rng = np.random.default_rng(2026)
        for name, sets in self.DISCRETE:
            for params in sets[:2]:
                pid = ",".join("%s=%s" % kv for kv in params.items())
                self.sample(name, k, [n5], params, "measure/%s" % pid)
        self.sample("wald", k, [n5], {"mean": rng.uniform(0.1, 5, n5)}, "measure/arrays")
        self.sample("poisson", k, [n5], {"lam": rng.uniform(0, 40, n5)}, "measure/arrays")
        self.sample("binomial", k, [n5], {"n": np.floor(rng.uniform(0, 200, n5)), "p": rng.uniform(0, 1, n5)},
                    "measure/arrays")
        self.sample("multinomial", k, [n5 // 10, 10], {"n": 50.0, "p": rng.uniform(0, 1, 10)}, "measure/K=10")
        self.sample("categorical", k, [n5], {"logits": rng.normal(size=10)}, "measure/K=10")
        self.sample("categorical", k, [n5 // 4], {"logits": rng.normal(size=(n5 // 4, 4))}, "measure/rows")
        self.sample("choice", k, [n5], {"a": 100, "p": rng.uniform(0, 1, 100)}, "measure/a=100/p")
        self.sample("choice", k, [1000], {"a": 1000, "replace": False, "p": rng.uniform(0, 1, 1000)},
                    "measure/a=1000/p/no-replace")

    # initializers --------------------------------------------------------------
    INITS = [
        ("lecun_normal", {}), ("lecun_uniform", {}), ("glorot_normal", {}), ("glorot_uniform", {}),
        ("he_normal", {}), ("he_uniform", {}), ("xavier_normal", {}), ("kaiming_uniform", {}),
        ("normal", {}), ("normal", {"stddev": 0.5}), ("uniform", {}), ("uniform", {"scale": 3.0}),
        ("truncated_normal", {}), ("truncated_normal", {"stddev": 2.0, "lower": -1.0, "upper": 3.0}),
        ("zeros", {}), ("ones", {}), ("constant", {"value": -1.5}),
    ] + [("variance_scaling", {"scale": sc, "mode": m, "distribution": d})
         for sc in (1.0, 0.3) for m in ("fan_in", "fan_out", "fan_avg")
         for d in ("truncated_normal", "normal", "uniform")] + [
        ("variance_scaling", {"scale": 2.0, "mode": "fan_in", "distribution": "normal",
                              "in_axis": 0, "out_axis": 1}),
        ("variance_scaling", {"scale": 1.0, "mode": "fan_out", "distribution": "uniform",
                              "in_axis": -3, "out_axis": 0}),
    ]

    @staticmethod
    def jax_init(name, params):
        I = jax.nn.initializers
        if name == "constant":
            return I.constant(params["value"])
        if name in ("zeros", "ones"):
            return getattr(I, name)  # an initializer itself, not a factory
        if name == "variance_scaling":
            p = dict(params)
            return I.variance_scaling(p.pop("scale"), p.pop("mode"), p.pop("distribution"), **p)
        if name == "normal":
            return I.normal(**params)
        if name == "uniform":
            return I.uniform(**params)
        return getattr(I, name)(**params) if params else getattr(I, name)()

    def inits(self):
        keys = self.sampler_keys()[:3]
        for ii, (name, params) in enumerate(self.INITS):
            for ki, (kn, k) in enumerate(keys):
                shapes = [[2, 3], [3, 4, 5]]
                if ki == 0:
                    shapes += [[7, 13]] + ([[64, 80]] if ii % 3 == 0 else [])
                if ki == 0 and ii % 8 == 0:
                    shapes.append([2, 2, 3, 700])  # > 4096 elements
                for shape in shapes:
                    if params.get("in_axis") == -3 and len(shape) < 3:
                        continue
                    out = self.jax_init(name, params)(k, tuple(shape), jnp.float32)
                    pid = ",".join("%s=%s" % kv for kv in sorted(params.items()))
                    self.add("init", "%s(%s)/%s/%s" % (name, pid, kn, shape),
                             {"init": name, "params": params, "key": keydata(k), "shape": shape},
                             result(out))

    # measurement -------------------------------------------------------------
    def measurement(self):
        k = jax.random.key(2026)
        kd = keydata(k)
        n5, n6 = 200000, 1000000
        self.add("bits", "measure/32", {"key": kd, "shape": [n5], "bit_width": 32},
                 result(jax.random.bits(k, (n5,), jnp.uint32)))
        self.add("uniform", "measure/[-3,7)", {"key": kd, "shape": [n5], "minval": -3.0, "maxval": 7.0},
                 result(jax.random.uniform(k, (n5,), jnp.float32, -3.0, 7.0)))
        self.add("normal", "measure", {"key": kd, "shape": [n6]}, result(jax.random.normal(k, (n6,))))
        self.add("truncated_normal", "measure/[-2,2]", {"key": kd, "shape": [n6], "lower": -2.0, "upper": 2.0},
                 result(jax.random.truncated_normal(k, -2.0, 2.0, (n6,))))
        self.add("truncated_normal", "measure/[-1,3.5]", {"key": kd, "shape": [n5], "lower": -1.0, "upper": 3.5},
                 result(jax.random.truncated_normal(k, -1.0, 3.5, (n5,))))
        self.add("bernoulli", "measure/p=0.3", {"key": kd, "shape": [n5], "p": float(np.float32(0.3))},
                 result(jax.random.bernoulli(k, np.float32(0.3), (n5,)), np.uint8))
        self.add("randint", "measure/[-100,1000)", {"key": kd, "shape": [n5], "minval": -100, "maxval": 1000},
                 result(jax.random.randint(k, (n5,), -100, 1000, jnp.int32)))
        self.add("permutation", "measure/200000", {"key": kd, "n": n5}, result(jax.random.permutation(k, n5)))
        for cid, name, params in (
                ("lecun_normal", "lecun_normal", {}), ("he_uniform", "he_uniform", {}),
                ("glorot_normal", "glorot_normal", {}), ("he_normal", "he_normal", {}),
                ("normal", "normal", {}), ("truncated_normal", "truncated_normal", {}),
                ("variance_scaling/normal", "variance_scaling",
                 {"scale": 1.0, "mode": "fan_avg", "distribution": "normal"})):
            shape = [1000, 1000] if name == "lecun_normal" else [500, 400]
            self.add("init", "measure/%s" % cid, {"init": name, "params": params, "key": kd, "shape": shape},
                     result(self.jax_init(name, params)(k, tuple(shape), jnp.float32)))
        # every distribution over 2*10^5 draws with its common parameters, broadcast and (for
        # those with parameters) as arrays of the output's shape
        rng = np.random.default_rng(2026)
        for name, sets in self.DISTRIBUTIONS:
            for params in sets[:2] if name != "gumbel" else sets[:3]:
                if params.get("mode") == "highest" and JAX_VERSION < (0, 10, 0):
                    continue
                pid = ",".join("%s=%s" % kv for kv in params.items())
                self.sample(name, k, [n5], params, "measure/%s" % pid)
                numeric = {p: v for p, v in params.items() if not isinstance(v, str)}
                if numeric and name not in ("double_sided_maxwell", "dirichlet", "ball"):
                    arr = {p: np.float32(v) * rng.uniform(0.5, 1.5, n5).astype(np.float32)
                           for p, v in numeric.items()}
                    if name == "geometric":
                        arr = {"p": rng.uniform(0.01, 0.99, n5).astype(np.float32)}
                    if name == "triangular":
                        arr = {"left": rng.uniform(-3, 0, n5), "mode": rng.uniform(0, 1, n5),
                               "right": rng.uniform(1, 4, n5)}
                    self.sample(name, k, [n5], arr, "measure/%s/arrays" % pid)

    # flax --------------------------------------------------------------------
    def flax_cases(self):
        era = FLAX_ERA
        tag = {"era": era, "tested": True}
        seqs = [
            ("docstring", {"default": 100, "params": 42}, ["params", "dropout", None, "params"]),
            ("no-default", {"params": 0, "dropout": 1}, ["params", "dropout", "dropout", "params"]),
            ("fallback-shares-count", {"default": 3}, ["params", "dropout", None, "params", "xyz", None]),
            ("reseed", {"default": 5, "params": 0, "dropout": 9},
             ["params", "dropout", {"reseed": {"dropout": 11}}, "dropout", "params",
              {"reseed": {"params": 0, "default": 5}}, "params", None, "other"]),
            ("negative-and-big-seeds", {"params": -1, "dropout": 2**31 - 1, "default": 2**32 - 1},
             ["params", "dropout", None, "params", "dropout", None]),
        ]
        for name, streams, calls in seqs:
            r = nnx.Rngs(**streams)
            out = []
            for c in calls:
                if isinstance(c, dict):
                    nnx.reseed(r, **c["reseed"])
                else:
                    out.append(keydata(r() if c is None else r[c]()))
            self.add("flax_rngs", name, {"streams": streams, "calls": calls},
                     result(np.array(out, np.uint32)), **tag)

        class Model(nnx.Module):
            def __init__(self, rngs):
                self.linear = nnx.Linear(2, 3, rngs=rngs)
                self.dropout = nnx.Dropout(0.5, rngs=rngs)

            def __call__(self, x):
                return self.dropout(self.linear(x))

        xs = {"ones(1,2)": np.ones((1, 2), np.float32),
              "x(4,2)": np.array([[0.5, -1.25], [2.0, 3.0], [-0.75, 0.125], [10.0, -3.0]], np.float32)}
        for rngs_args, script_name, script in (
            ({"params": 0, "dropout": 42}, "reseed-docstring",
             ["ones(1,2)", {"reseed": {"dropout": 42}}, "ones(1,2)"]),
            ({"params": 0, "dropout": 42}, "train-steps",
             ["ones(1,2)", "ones(1,2)", "x(4,2)", {"reseed": {"dropout": 42}}, "x(4,2)", "ones(1,2)"]),
            ({"default": 7}, "default-only",
             ["x(4,2)", "x(4,2)", {"reseed": {"default": 7}}, "x(4,2)"]),
        ):
            m = Model(nnx.Rngs(**rngs_args))
            m.train()
            val = lambda v: v.get_value() if hasattr(v, "get_value") else v.value  # 0.12: .value deprecated
            kernel = np.asarray(val(m.linear.kernel))
            bias = np.asarray(val(m.linear.bias))
            outs = []
            for step in script:
                if isinstance(step, dict):
                    nnx.reseed(m, **step["reseed"])
                else:
                    outs.append(result(m(jnp.asarray(xs[step]))))
            self.add("flax_model", script_name,
                     {"rngs": rngs_args, "layers": ["linear(2,3)", "dropout(0.5)"], "train": True,
                      "inputs": {k: v.tolist() for k, v in xs.items()}, "script": script},
                     {"kernel": result(kernel), "bias": result(bias), "outputs": outs}, **tag)

    # activations ---------------------------------------------------------------
    # Each as Flax calls it (nnx.relu is jax.nn.relu, nnx.tanh jnp.tanh, ...), under jax.jit on a
    # float32 array: one loop fusion per function, as inside any jitted model.
    ACTIVATIONS = {"relu": jax.nn.relu, "gelu": jax.nn.gelu, "tanh": jnp.tanh,
                   "sigmoid": jax.nn.sigmoid, "silu": jax.nn.silu}

    @staticmethod
    def activation_inputs():
        """(name, float32 array) pairs: the special values, the thresholds of XLA's kernels with
        their neighbours, random values."""
        def bits(*u):
            return np.array(u, np.uint64).astype(np.uint32).view(np.float32)

        def around(vals, n):  # each value and n floats on either side, both signs
            out = []
            for v in vals:
                b = int(np.float32(abs(v)).view(np.uint32))
                u = np.arange(max(b - n, 0), b + n + 1, dtype=np.uint64).astype(np.uint32)
                out += [u, u | np.uint32(0x80000000)]
            return np.concatenate(out).view(np.float32)

        special = np.concatenate([
            bits(0, 0x80000000, 1, 0x80000001, 0x00400000, 0x80400000, 0x007fffff, 0x807fffff,
                 0x00800000, 0x80800000, 0x00ffffff, 0x80ffffff, 0x01000000, 0x81000000,
                 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
                 0x7f800001, 0xff800001, 0x7fa00000, 0xffa00001, 0x7fc12345, 0xffd12345),
            np.array([1e-38, 1e-30, 1e-20, 1e-13, 1e-10, 1e-7, 1e-5, 1e-3, 0.01, 0.1, 0.5, 1, 2, 3, 5,
                      10, 50, 100, 1e4, 1e8, 7e12, 1e13, 1e20, 1e30], np.float32),
            -np.array([1e-38, 1e-30, 1e-20, 1e-10, 1e-5, 0.1, 0.5, 1, 2, 3, 5, 10, 50, 100, 1e4, 1e8,
                       7e12, 1e13, 1e20, 1e30], np.float32)])
        # tanh: |x| < 0.0004 passes x, the clamp at 7.99881172 (rational exactly 1 there), |x| >= 20
        # gives +-1; gelu meets them at x = 0.0004 / sqrt(2/pi) and where its argument reaches them;
        # exp: the argument clamps -87.8 and 88.8, sigmoid's quotient denormal (flushed) from
        # about -87.3365, exp overflowing at 88.7228; silu/gelu flush near 2 * FLT_MIN.
        thresholds = around([0.0004, 0.0004 / 0.7978846, 7.99881172, 20.0, 3.6657, 3.98, 87.8,
                             88.8, 87.33655, 88.72284, 1.1754942e-38 * 2], 3)
        rng = np.random.default_rng(20260101)
        rand = np.concatenate([
            (rng.standard_normal(2048) * 4).astype(np.float32),
            rng.uniform(-100, 100, 1024).astype(np.float32),
            rng.integers(0, 2**32, 1024, dtype=np.uint64).astype(np.uint32).view(np.float32)])
        return [("special", special), ("thresholds", thresholds), ("random", rand)]

    def activations(self):
        for name, fn in self.ACTIVATIONS.items():
            jf = jax.jit(fn)
            for cid, x in self.activation_inputs():
                self.add("activation", "%s/%s" % (name, cid), {"name": name, "x": hexdata(x)},
                         result(jf(x)))

    # flax sessions -------------------------------------------------------------
    # One keyfold session = one nnx.Rngs plus an nnx.Sequential built from it,
    # replayed step by step (forward, reseed, draw, fork); the state of every
    # stream is recorded after construction and after each step.
    SESSION_INPUTS = {
        "ones(1,2)": np.ones((1, 2), np.float32),
        "ones(1,3)": np.ones((1, 3), np.float32),
        "x(2,3)": np.array([[0.5, -1.25, 2.0], [3.0, -0.75, 0.125]], np.float32),
        "x(4,2)": np.array([[0.5, -1.25], [2.0, 3.0], [-0.75, 0.125], [10.0, -3.0]], np.float32),
        "x(3,4)": np.array([[1.0, -2.0, 0.5, 4.0], [0.25, 3.0, -1.5, 2.0], [-0.125, 1.0, 6.0, -3.5]],
                           np.float32),
        "x(2,2)": np.array([[0.75, -1.5], [2.5, 0.25]], np.float32),
        "ids(2,3)": np.array([[0, 4, 2], [1, 3, -1]], np.int32),
        # near FLT_MIN: denormal inputs, products, partial sums and scaled values, which XLA
        # flushes to zero (fpmode.h)
        "tiny(3,3)": np.array([[2e-38, -3e-38, 1e-38], [1e-39, 5e-38, -2e-38],
                               [1.5e-38, 1.2e-38, -1e-45]], np.float32),
    }

    def session_cases(self):
        """(name, eras, modes, rngs, layers, inputs, steps); eras/modes None = all."""
        lin = lambda i, o, **kw: dict({"type": "linear", "in_features": i, "out_features": o}, **kw)
        drop = lambda r, **kw: dict({"type": "dropout", "rate": r}, **kw)
        fwd = lambda x, d=None: {"forward": x, "deterministic": d}
        reseed = lambda target, policy=None, **s: dict({"reseed": s, "target": target},
                                                       **({"policy": policy} if policy else {}))
        both, p12, legacy_too = None, ("flax-0.12",), ("partitionable", "legacy")
        part = ("partitionable",)
        doc_rngs, doc_layers = {"params": 0, "dropout": 42}, [lin(2, 3), drop(0.5)]
        out = []
        for target in ("model", "rngs", "all"):
            out.append(("reseed-docstring/" + target, both, legacy_too if target == "model" else part,
                        doc_rngs, doc_layers, ["ones(1,2)"],
                        [fwd("ones(1,2)"), reseed(target, dropout=42), fwd("ones(1,2)")]))
        mlp = [lin(3, 4), drop(0.5)]
        out.append(("dropout-docstring-mlp", both, legacy_too, {"default": 0}, mlp, ["ones(1,3)"],
                    [fwd("ones(1,3)"), fwd("ones(1,3)"), {"draw": None}, fwd("ones(1,3)")]))
        out.append(("dropout-docstring-mlp/reseed-default", both, part, {"default": 0}, mlp,
                    ["ones(1,3)", "x(2,3)"],
                    [fwd("x(2,3)"), {"draw": "params"}, reseed("model", default=0), fwd("x(2,3)"),
                     reseed("rngs", default=[0, 0]), {"draw": None}, fwd("ones(1,3)"),
                     reseed("all", default=1), fwd("x(2,3)"), {"draw": "dropout"}]))
        # 12 layers: layers.10 and layers.11 must come after layers.3 (numeric order); the
        # dropout-tagged streams sit at 1, 3 and 11 and the fallback one ('noise' -> default) at 10.
        twelve = [lin(2, 3), drop(0.5), lin(3, 2), drop(0.25, rng_collection="dropout"),
                  {"type": "relu"}, lin(2, 4, use_bias=False), {"type": "tanh"}, lin(4, 3),
                  {"type": "relu"}, lin(3, 3), drop(0.5, rng_collection="noise"), drop(0.5)]
        out.append(("twelve-layers", both, part, {"default": 5, "params": 1, "dropout": 2}, twelve,
                    ["x(2,2)"],
                    [fwd("x(2,2)"), {"draw": "params"}, {"draw": None}, {"draw": "noise"},
                     fwd("x(2,2)", False), reseed("model", dropout=7), fwd("x(2,2)"),
                     reseed("model", dropout=7, default=8), fwd("x(2,2)"),
                     reseed("rngs", dropout=9, default=3), fwd("x(2,2)"), {"draw": "dropout"},
                     reseed("all", dropout=11, default=[0x12345678, 0x9ABCDEF0]), fwd("x(2,2)"),
                     reseed("rngs", params=4, dropout=2, default=5), fwd("x(2,2)", True),
                     {"draw": "params"}, fwd("x(2,2)")]))
        out.append(("deterministic-attribute", both, part, {"params": 3, "dropout": 4},
                    [lin(2, 4), drop(0.5, deterministic=True), drop(0.3),
                     drop(0.5, deterministic=False)], ["x(4,2)"],
                    [fwd("x(4,2)"), fwd("x(4,2)", False), fwd("x(4,2)", True), fwd("x(4,2)"),
                     {"draw": "dropout"}, fwd("x(4,2)", False)]))
        out.append(("broadcast-dims", both, part, {"dropout": 1, "params": 2},
                    [drop(0.5, broadcast_dims=[0]), drop(0.5, broadcast_dims=[1]),
                     drop(0.5, broadcast_dims=[-1, 0]), lin(4, 2)], ["x(3,4)"],
                    [fwd("x(3,4)"), fwd("x(3,4)"), reseed("all", dropout=1), fwd("x(3,4)")]))
        out.append(("rate-0-and-1", both, part, {"params": 0, "dropout": 1},
                    [lin(2, 3), drop(0.0), drop(1.0), drop(0.5)], ["x(4,2)"],
                    [fwd("x(4,2)"), fwd("x(4,2)", True), {"draw": "dropout"}, fwd("x(4,2)", False)]))
        out.append(("rate-1-only", both, part, {"dropout": 3, "default": 0},
                    [lin(2, 2), drop(1.0)], ["x(2,2)"],
                    [fwd("x(2,2)"), fwd("x(2,2)", True), {"draw": None}, {"draw": "dropout"}]))
        out.append(("embed-dropout", both, part, {"params": 7, "dropout": 8},
                    [{"type": "embed", "num_embeddings": 5, "features": 3}, drop(0.5)], ["ids(2,3)"],
                    [fwd("ids(2,3)"), fwd("ids(2,3)"), reseed("model", dropout=8), fwd("ids(2,3)"),
                     fwd("ids(2,3)", True)]))
        out.append(("fork", p12, part, {"params": 0, "dropout": 1, "default": 2},
                    [lin(2, 2), drop(0.5)], ["x(2,2)"],
                    [{"draw": "params"}, {"fork": None}, fwd("x(2,2)"), {"fork": ["dropout"]},
                     {"draw": "dropout"}, {"fork": ["params", "dropout"]}, {"draw": None},
                     fwd("x(2,2)"), {"fork": ["default"]}, {"fork": None},
                     reseed("model", "match_shape", dropout=5), fwd("x(2,2)"),
                     reseed("all", "scalars_only", dropout=6), {"fork": ["dropout"]},
                     fwd("x(2,2)")]))
        out.append(("two-dropouts-one-tag", both, part, {"params": 0, "dropout": 3},
                    [drop(0.5), lin(2, 2), drop(0.5)], ["x(2,2)"],
                    [fwd("x(2,2)"), reseed("model", dropout=3), fwd("x(2,2)"),
                     reseed("model", dropout=[0, 3]), fwd("x(2,2)")]))
        out.append(("denormals", both, part, {"params": 0, "dropout": 1},
                    [lin(3, 4), drop(0.5), lin(4, 3, use_bias=False), drop(0.25)], ["tiny(3,3)"],
                    [fwd("tiny(3,3)"), fwd("tiny(3,3)"), fwd("tiny(3,3)", True)]))
        # Flax ignores a tag matching no stream of the target; keyfold's API answers 400.
        # In >= 0.11 the model holds no 'params' stream (Linear keeps none), so reseed(model,
        # params=...) is such a no-op too; in 0.10 it reaches the shared Rngs.
        rejected = lambda target, **s: dict(reseed(target, **s), keyfold_rejects=True)
        out.append(("reseed-unmatched-tag", both, part, {"params": 0, "dropout": 1},
                    [lin(2, 2), drop(0.5)], ["x(2,2)"],
                    [fwd("x(2,2)"), rejected("rngs", noise=3), fwd("x(2,2)")] +
                    ([rejected("model", params=5), {"draw": "params"}, fwd("x(2,2)")]
                     if FLAX_ERA != "flax-0.10" else [])))
        return out

    def flax_sessions(self):
        era = FLAX_ERA
        for name, eras, modes, rngs_args, layers, inputs, steps in self.session_cases():
            if (eras and era not in eras) or self.mode not in modes:
                continue
            xs = {k: self.SESSION_INPUTS[k] for k in inputs}
            expect, checks = run_session(rngs_args, layers, xs, steps)
            cid = "%s/%s/%s" % ("flax_session", self.mode, name)
            self.param_checks += [(cid, self.mode) + c for c in checks]
            args = {"rngs": rngs_args, "layers": layers,
                    "inputs": {k: v.tolist() for k, v in xs.items()}, "steps": steps}
            self.add("flax_session", name, args, {"expect": expect}, era=era, tested=True)

    def run(self):
        for mode, part in MODES.items():
            jax.config.update("jax_threefry_partitionable", part)
            self.mode = mode
            try:
                if self.measure:
                    self.measurement()
                    self.discrete_measurement()
                    self.linalg_measurement()
                    continue
                self.keys()
                self.fold_split_bits()
                self.samplers()
                self.distributions()
                self.discrete_distributions()
                self.linalg_samplers()
                self.inits()
                self.flax_cases()
                self.flax_sessions()
                if mode == "partitionable":
                    self.activations()  # no keys: once, not per threefry mode
            finally:
                jax.config.update("jax_threefry_partitionable", True)


def check_session_params(g, kf):
    """flax_session cases are "exact": their parameters (lecun_normal, Embed's normal) depend
    on log1p, so every one must come out of libkeyfold bit for bit, or the case is unusable."""
    bad = []
    for cid, mode, path, init, params, kd, shape, want in g.param_checks:
        case = {"id": cid, "op": "init", "mode": mode, "shape": shape,
                "args": {"init": init, "params": params, "key": kd, "shape": shape}}
        if hexdata(kf.run(case)) != want:
            bad.append("%s %s" % (cid, path))
    if bad:
        sys.exit("gen-vectors: flax_session parameters that libkeyfold does not reproduce bit for "
                 "bit (choose other seeds or shapes): " + ", ".join(bad))
    print("gen-vectors: %d flax_session parameters bit-identical in libkeyfold" % len(g.param_checks),
          file=sys.stderr)


def check_activations(g, kf):
    """activation cases are "exact": libkeyfold's activations must give jaxlib's bits on every
    input, in both eras (jaxlib 0.6.2 and 0.10.2 compute them alike; docs/testing.md)."""
    bad = []
    for c in g.cases:
        if c["op"] != "activation":
            continue
        x = np.frombuffer(bytes.fromhex(c["args"]["x"]), "<f4")
        got = kf.activation(c["args"]["name"], x)
        if hexdata(got) != c["expect"]:
            want = np.frombuffer(bytes.fromhex(c["expect"]), "<u4")
            i = int(np.nonzero(got.view(np.uint32) != want)[0][0])
            bad.append("%s (x = %08x: keyfold %08x, jax %08x)" % (c["id"], x.view(np.uint32)[i],
                                                                  got.view(np.uint32)[i], want[i]))
    if bad:
        sys.exit("gen-vectors: activation cases that libkeyfold does not reproduce bit for bit: " +
                 ", ".join(bad))
    print("gen-vectors: activation cases bit-identical in libkeyfold", file=sys.stderr)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output")
    ap.add_argument("--keyfold", help="libkeyfold.so, to measure the log1p-dependent tolerances")
    ap.add_argument("--measure", action="store_true", help="large draws for measuring, not committed")
    args = ap.parse_args()
    kf = Keyfold(args.keyfold) if args.keyfold else None
    g = Gen(args.measure)
    g.run()
    if kf is not None:
        check_session_params(g, kf)
        check_activations(g, kf)
    inexact = []
    for c in g.cases:
        if c["op"] in ("normal", "truncated_normal", "init"):
            set_tolerance(c, kf)
        elif c["op"] == "sample" and not args.measure:
            if not set_sample_tolerance(c, kf):
                inexact.append(c["id"])
            if c["args"]["sampler"] == "logistic" and JAX_VERSION < (0, 7, 0):
                c["tested"] = False  # another formula: log(x / (1 - x)), x in [eps, 1)
                c["untested_reason"] = ("jax < 0.7 computes logistic as log(x / (1 - x)) with x "
                                        "uniform in [2^-23, 1); keyfold follows jax >= 0.7's "
                                        "log(x) - log1p(-x), x in [2^-126, 1)")
        elif args.measure:
            c["tolerance"] = "exact"
        elif c["op"] == "flax_model":
            c["tolerance"] = "exact"
        else:
            c["tolerance"] = "exact"
    if inexact:
        sys.exit("gen-vectors: %d sample cases of jaxlib 0.10.2 that libkeyfold does not reproduce "
                 "bit for bit: %s" % (len(inexact), ", ".join(inexact[:20])))
    if args.measure:
        for c in g.cases:
            if c["op"] == "sample" and kf is not None:
                want = np.frombuffer(bytes.fromhex(c["expect"]), np.dtype(c["dtype"]).newbyteorder("<"))
                got = kf.run(c)
                if c["dtype"] == "float32":
                    d = np.abs(ordered(want) - ordered(got))
                    nan = np.isnan(want) & np.isnan(got)
                    c["measured"] = {"ulps": int(d.max()), "identical": round(float((d == 0).mean()), 6),
                                     "nan_as_nan": round(float(((d == 0) | nan).mean()), 6)}
                else:
                    c["measured"] = {"identical": round(float((want == got).mean()), 6)}
            elif isinstance(c["tolerance"], dict):
                c["measured"] = c["tolerance"]  # against --keyfold, per case
            c["tolerance"] = "report"
    doc = {
        "format": 1,
        "notes": NOTES,
        "generator": {
            "script": "scripts/gen-vectors.py" + (" --measure" if args.measure else ""),
            "era": FLAX_ERA,
            "jax": jax.__version__, "jaxlib": jaxlib.__version__, "flax": flax.__version__,
            "numpy": np.__version__, "python": platform.python_version(),
            "platform": platform.platform(), "cpu": cpu_model(),
            "devices": [str(d) for d in jax.devices()],
            "flags": {"jax_threefry_partitionable": "both: see each case's mode",
                      "jax_enable_x64": "false unless the case's x64 is true",
                      "jax_default_prng_impl": jax.config.jax_default_prng_impl},
        },
        "cases": g.cases,
    }
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False).replace('{"id"', '\n{"id"') + "\n"
    out = args.output or os.path.join(ROOT, "tests", "vectors", "jax-oracle-%s.json" % FLAX_ERA)
    if out == "-":
        sys.stdout.write(text)
    else:
        with open(out, "w") as f:
            f.write(text)
        counts = {}
        for c in g.cases:
            counts[c["op"]] = counts.get(c["op"], 0) + 1
        print("gen-vectors: %s: %d cases %s" % (out, len(g.cases), counts), file=sys.stderr)


NOTES = (
    "Known answers printed by real JAX and Flax (scripts/gen-vectors.py; the versions, Python and "
    "CPU are in \"generator\"). Every case was computed by the recorded jaxlib on CPU, in the threefry "
    "mode its \"mode\" names: 'partitionable' = jax_threefry_partitionable=True, 'legacy' = False; "
    "\"x64\": jax_enable_x64 for that case (false otherwise). Results: \"dtype\" (numpy name), "
    "\"shape\", and \"expect\" = the row-major little-endian bytes of the array as hex (float32 as its "
    "exact bit pattern; bool as uint8 0/1; keys as their uint32 key data [hi, lo] in a trailing "
    "axis of 2). args.key is raw key data [hi, lo]. ops: key {seed, legacy_prngkey: PRNGKey(seed) "
    "instead of key_data(key(seed))}; fold_in {key, data}; split {key, num: int or shape}; bits "
    "{key, shape, bit_width}; uniform {key, shape, minval, maxval} float32; normal {key, shape}; "
    "truncated_normal {key, shape, lower, upper} (float32 bounds; the strings \"inf\" and \"-inf\" for infinities); bernoulli {key, shape, p} (p as float32); "
    "randint {key, shape, minval, maxval} int32; permutation {key, n} = permutation(key, n); sample "
    "{sampler, key, shape, params} = jax.random.<sampler>(key, **params, shape=shape) under jax.jit "
    "with every float parameter a traced float32 argument (as an eager call passes it; under an outer "
    "jit a Python constant would be folded by XLA instead), gumbel's mode a static string, and "
    "integer and boolean parameters (choice's a, categorical's axis, replace) static too; a "
    "parameter is a number (the strings \"nan\", \"inf\", \"-inf\" for the non-finite) for a scalar "
    "or {shape, values} for an array (values row-major); the result's shape is JAX's (for "
    "double_sided_maxwell shape + the parameters' shape; for multivariate_normal shape + (n,), its "
    "mean and cov arrays of their own shapes; for orthogonal shape + (n, m), n and m static); "
    "geometric and rademacher are int32, the others float32; init "
    "{init, params, key, shape} = jax.nn.initializers.<init>(**params)(key, shape, float32) "
    "(variance_scaling(scale, mode, distribution, in_axis, out_axis)); flax_rngs {streams, calls} "
    "= nnx.Rngs(**streams) and, per call, the key data of rngs[name]() (null: rngs()) or "
    "nnx.reseed(rngs, **reseed) for a {\"reseed\": ...} step; flax_model: nnx.Linear(2, 3) then "
    "nnx.Dropout(0.5) built with nnx.Rngs(**rngs), model.train(), kernel and bias after "
    "construction, then the script: a name = model(inputs[name]) (its result appended to "
    "outputs), a {\"reseed\": ...} = nnx.reseed(model, ...). flax_session {rngs, layers, inputs, "
    "steps} (expect in \"expect\"): one keyfold session = rngs = nnx.Rngs(**rngs) (keyword streams "
    "in order; a \"default\" is passed positionally, Rngs(default, **others)) and model = "
    "nnx.Sequential(*layers), each layer built in order with rngs=rngs from keyfold layer objects: "
    "linear {in_features, out_features, use_bias (default true)}, embed {num_embeddings, features} "
    "(first layer only; inputs int32), dropout {rate, rng_collection (default 'dropout'), "
    "broadcast_dims, deterministic (default false)}, relu, tanh. inputs: name -> nested list "
    "(float32, or int32 for embed). Each step: {\"forward\": name, \"deterministic\": null|bool} = "
    "the layers called one by one (a Dropout as layer(y) for null, layer(y, deterministic=d) "
    "otherwise: a per-call override, nothing persists), expect {y: a result}; {\"reseed\": {tag: seed}, "
    "\"target\": 'model'|'rngs'|'all', \"policy\" (flax >= 0.11 only, optional)} = "
    "nnx.reseed(model, **s) / nnx.reseed(rngs, **s) / both as two calls, model first (a seed is "
    "an int or [hi, lo] = jax.random.wrap_key_data(uint32 array)); a step with "
    "\"keyfold_rejects\": true reseeds a tag that matches no stream of a target, which Flax "
    "ignores and keyfold's API answers with 400; expect {}; {\"draw\": name|null} = rngs[name]() "
    "(null: rngs()), expect {key}; {\"fork\": null|[names]} (flax >= 0.11 files only) = "
    "rngs.fork() (null: every stream) or rngs[name].fork() for each listed real stream, expect "
    "{child: [{name, key, count}]} (the parent advances; the child is not kept). expect: params "
    "= [{path, value: a result}] every nnx.Param after construction in nnx.iter_graph order (dotted path, "
    "e.g. layers.0.bias before layers.0.kernel); built = STATE after construction; steps[i] = "
    "the step's result plus its \"state\" after the step. STATE = {rngs: [{name, key, count}] in "
    "rngs.items() order (keyword streams, then default), model: [{path, tag, key, count}] every "
    "RngStream reachable from the model in nnx.iter_graph order (numeric list indices: layers.3 "
    "before layers.10), paths dotted as Flax gives them: in flax-0.10 the Dropouts hold the "
    "session's Rngs itself, listed once under the first Dropout's path with every stream of it "
    "(layers.1.rngs.default, layers.1.rngs.dropout, layers.1.rngs.params); in flax >= 0.11 each "
    "Dropout's forked stream (layers.1.rngs, tag = the stream it forked, 'default' by fallback)}. "
    "activation {name, x} (recorded once, with mode 'partitionable': no keys are involved) = "
    "jax.jit(f)(x) for the float32 array x (hex, like expect) with f = jax.nn.relu, jax.nn.gelu "
    "(approximate=True), jnp.tanh, jax.nn.sigmoid or jax.nn.silu for name relu, gelu, tanh, "
    "sigmoid, silu: one fused kernel each, as inside any jitted model (called op by op outside "
    "jit, jax.nn.gelu rounds every step and differs). "
    "\"era\" tags Flax cases: "
    "each runs in its era (keyfold's options.flax \"0.10\", or \"0.12\" for flax-0.12: forked "
    "Dropout streams, fold_in-style reseed), \"tested\": true. "
    "tolerance: 'exact' = every element bit for bit; {ulps, identical, reason} for results that "
    "depend on float32 log1p (normal, truncated_normal, initializers drawing from them): each "
    "element within ulps float32 steps (+0 and -0 one point), ulps and identical (the fraction "
    "bit-identical) as measured against libkeyfold when the file was generated; the same with "
    "\"cause\": \"sample\" for a sample case keyfold does not reproduce bit for bit (a jaxlib other "
    "than 0.10.2, which keyfold follows, or a parameter broadcast from a shape other than () or the "
    "output's): within the measured ulps whatever the jaxlib; 'report' (the --measure files) = "
    "counted, never failed, \"measured\" then giving {ulps, identical} against libkeyfold. "
    "\"tested\": false with \"untested_reason\" marks a sample case whose algorithm differs from "
    "keyfold's (jax < 0.7 logistic) or whose integers differ."
)

if __name__ == "__main__":
    main()
