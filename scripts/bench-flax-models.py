"""Real Flax NNX forward passes of two models, as anchors for keyfold's forward (test tooling
only; never needed by the product, never a test).

  (a) mnist_cnn: the Flax docs' MNIST tutorial CNN -- Conv(1, 32, (3, 3)), relu,
      avg_pool((2, 2), strides (2, 2)), Conv(32, 64, (3, 3)), relu, avg_pool, flatten,
      Linear(3136, 256), relu, Linear(256, 10); nnx.Rngs(0); input (batch, 28, 28, 1) float32.
  (b) encoder: a pre-norm transformer encoder -- embed(1000, 64), then 2 x
      [residual(layer_norm, multi_head_attention(4 heads, 64)),
       residual(layer_norm, linear 64->256, gelu, linear 256->64)];
      nnx.Rngs(0); input (batch, 32) int32 token ids.

Both are written in keyfold's model JSON (api.md "Layers and composition") and built from it
with scripts/gen-layer-vectors.py's mapping onto Flax, so the model JSON the C and HTTP
benchmarks load is the model timed here; the MNIST CNN is also built as the tutorial writes it,
and the script stops if the two sets of parameters differ. The JSONs are printed and written
to tests/bench/models/{mnist_cnn,encoder}.json as session-creation bodies without a name
({"rngs": ..., "model": {"layers": [...]}}).

Each forward is jax.jit-compiled in eval mode (deterministic, no dropout), warmed up, and timed
at batch sizes 1 and 32 as tests/bench/jax_random.py times jax.random: the median of five
windows of the process's CPU time (XLA held to one thread by XLA_FLAGS, and the process
pinned to one CPU with taskset when it is there), with the wall-clock rate beside it. For the
CNN it also times each conv layer alone and prints its GFLOP/s (2 * output elements * kernel
height * width * in_features / groups FLOPs per call).

    V=/work/venvs/kf-oracle-flax-0.12/bin/python   # or kf-oracle-flax-0.10 (either era)
    $V scripts/bench-flax-models.py                # about a minute
    $V scripts/bench-flax-models.py --seconds 0.5 --no-write
"""
import os
import shutil
import sys

# One CPU thread for XLA, before jax is imported; then pin the process to one CPU.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
if shutil.which("taskset") and not os.environ.get("KF_BENCH_PINNED"):
    os.environ["KF_BENCH_PINNED"] = os.environ.get("KF_BENCH_CPU", str(sorted(os.sched_getaffinity(0))[-1]))
    os.execvp("taskset", ["taskset", "-c", os.environ["KF_BENCH_PINNED"], sys.executable] + sys.argv)

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import flax  # noqa: E402
from flax import nnx  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))
from cpu_rate import median_rates  # noqa: E402


def load_script(name):
    """scripts/<name>.py imported by path (gen-layer-vectors: keyfold's model JSON -> Flax;
    gen-vectors: cpu_model)."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(ROOT, "scripts", name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def lin(i, o):
    return {"type": "linear", "in_features": i, "out_features": o}


MNIST_CNN = {"rngs": {"default": 0}, "model": {"layers": [
    {"type": "conv", "in_features": 1, "out_features": 32, "kernel_size": [3, 3]}, {"type": "relu"},
    {"type": "avg_pool", "window_shape": [2, 2], "strides": [2, 2]},
    {"type": "conv", "in_features": 32, "out_features": 64, "kernel_size": [3, 3]}, {"type": "relu"},
    {"type": "avg_pool", "window_shape": [2, 2], "strides": [2, 2]},
    {"type": "flatten"}, lin(3136, 256), {"type": "relu"}, lin(256, 10)]}}

ENCODER = {"rngs": {"default": 0}, "model": {"layers": [
    {"type": "embed", "num_embeddings": 1000, "features": 64},
    {"type": "repeat", "count": 2, "layers": [
        {"type": "residual", "layers": [
            {"type": "layer_norm", "num_features": 64},
            {"type": "multi_head_attention", "num_heads": 4, "in_features": 64}]},
        {"type": "residual", "layers": [
            {"type": "layer_norm", "num_features": 64}, lin(64, 256), {"type": "gelu"}, lin(256, 64)]}]}]}}


class TutorialCNN(nnx.Module):
    """The MNIST tutorial's CNN as the Flax docs write it."""

    def __init__(self, *, rngs):
        self.conv1 = nnx.Conv(1, 32, kernel_size=(3, 3), rngs=rngs)
        self.conv2 = nnx.Conv(32, 64, kernel_size=(3, 3), rngs=rngs)
        self.linear1 = nnx.Linear(3136, 256, rngs=rngs)
        self.linear2 = nnx.Linear(256, 10, rngs=rngs)


def build(L, body):
    rngs = nnx.Rngs(**body["rngs"])
    return L.Container({"type": "sequential", "layers": body["model"]["layers"]}, rngs)


def eval_fn(L, model):
    graphdef, state = nnx.split(model)

    @jax.jit
    def f(state, x):
        return L.call(nnx.merge(graphdef, state), x, True)
    return lambda x: f(state, x)


def rate(fn, x, items, seconds):
    fn(x).block_until_ready()  # compile and warm up
    fn(x).block_until_ready()
    r, wall, runs = median_rates(lambda: fn(x).block_until_ready(), items, seconds, time.process_time)
    return r, wall, runs


def conv_gflops(layer, x_shape, seconds):
    """One nnx.Conv alone on an input of x_shape: (GFLOP/s of CPU time, of wall time, FLOPs/call)."""
    x = jnp.asarray(np.random.default_rng(0).standard_normal(x_shape), jnp.float32)
    graphdef, state = nnx.split(layer)
    f = jax.jit(lambda state, x: nnx.merge(graphdef, state)(x))
    y = f(state, x)
    k = layer.kernel_size if hasattr(layer, "kernel_size") else layer.kernel.value.shape[:-2]
    flops = 2 * y.size * int(np.prod(k)) * layer.in_features // getattr(layer, "feature_group_count", 1)
    r, wall, _ = rate(lambda x: f(state, x), x, flops, seconds)
    return r / 1e9, wall / 1e9, flops


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="CPU seconds per figure (five windows)")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--no-write", action="store_true", help="do not write tests/bench/models/*.json")
    ap.add_argument("--json", action="store_true",
                    help="figures as JSON lines on stdout (scripts/bench-models.sh), the rest on stderr")
    a = ap.parse_args()
    say = (lambda *args: print(*args, file=sys.stderr)) if a.json else print

    def emit(**fig):
        if a.json:
            print(json.dumps(fig), flush=True)
    L = load_script("gen-layer-vectors")
    batches = [int(b) for b in a.batches.split(",")]
    say("jax %s, jaxlib %s, flax %s, numpy %s, python %s" % (
        jax.__version__, getattr(jax.lib, "__version__", "?"), flax.__version__, np.__version__,
        platform.python_version()))
    say("cpu: %s; pinned to cpu %s; XLA_FLAGS=%s" % (load_script("gen-vectors").cpu_model(), os.environ.get("KF_BENCH_PINNED", "-"),
                                                      os.environ.get("XLA_FLAGS")))
    say("timing: median of five windows of %.2g s of process CPU time each, after a warm-up" % (a.seconds / 5))

    models = {"mnist_cnn": MNIST_CNN, "encoder": ENCODER}
    outdir = os.path.join(ROOT, "tests", "bench", "models")
    for name, body in models.items():
        text = json.dumps(body, indent=1)
        say("\n%s (keyfold model JSON):\n%s" % (name, json.dumps(body)))
        if not a.no_write:
            os.makedirs(outdir, exist_ok=True)
            with open(os.path.join(outdir, name + ".json"), "w") as f:
                f.write(text + "\n")

    # (a) the CNN, checked against the tutorial's own Module
    cnn = build(L, MNIST_CNN)
    ref = TutorialCNN(rngs=nnx.Rngs(0))
    ours = [L.value_of(v) for v in (cnn.layers[0].kernel, cnn.layers[0].bias, cnn.layers[3].kernel,
                                    cnn.layers[3].bias, cnn.layers[7].kernel, cnn.layers[7].bias,
                                    cnn.layers[9].kernel, cnn.layers[9].bias)]
    theirs = [L.value_of(v) for m in (ref.conv1, ref.conv2, ref.linear1, ref.linear2) for v in (m.kernel, m.bias)]
    if not all(np.array_equal(np.asarray(p), np.asarray(q)) for p, q in zip(ours, theirs)):
        raise SystemExit("mnist_cnn built from the JSON differs from the tutorial's Module")
    nparams = sum(int(np.prod(np.shape(p))) for p in ours)
    say("\nmnist_cnn: %d parameters (identical to the tutorial Module's)" % nparams)
    rng = np.random.default_rng(0)
    f = eval_fn(L, cnn)
    for b in batches:
        x = jnp.asarray(rng.standard_normal((b, 28, 28, 1)), jnp.float32)
        r, wall, runs = rate(f, x, b, a.seconds)
        say("  mnist_cnn batch %3d: %10.1f samples/s (wall %10.1f; runs %s)" % (
            b, r, wall, " ".join("%.4g" % v for v in runs)))
        emit(name="flax_mnist_cnn", batch=b, samples_per_s=round(r, 1), wall_samples_per_s=round(wall, 1))
    for b in batches:
        for i, (layer, shape) in enumerate([(cnn.layers[0], (b, 28, 28, 1)), (cnn.layers[3], (b, 14, 14, 32))]):
            g, gw, flops = conv_gflops(layer, shape, a.seconds)
            say("  conv%d %s batch %3d: %7.2f GFLOP/s (wall %7.2f; %.4g FLOP per call)" % (
                i + 1, "x".join(map(str, shape[1:])), b, g, gw, flops))
            emit(name="flax_conv%d" % (i + 1), batch=b, gflops=round(g, 2))

    # (b) the encoder
    enc = build(L, ENCODER)
    nparams = sum(int(np.size(v)) for v in jax.tree_util.tree_leaves(nnx.state(enc, nnx.Param)))
    say("\nencoder: %d parameters, sequence length 32" % nparams)
    f = eval_fn(L, enc)
    for b in batches:
        x = jnp.asarray(rng.integers(0, 1000, (b, 32)), jnp.int32)
        r, wall, runs = rate(f, x, b, a.seconds)
        say("  encoder batch %3d: %10.1f samples/s (wall %10.1f; runs %s)" % (
            b, r, wall, " ".join("%.4g" % v for v in runs)))
        emit(name="flax_encoder", batch=b, samples_per_s=round(r, 1), wall_samples_per_s=round(wall, 1))


if __name__ == "__main__":
    main()
