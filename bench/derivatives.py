"""Forward mode and Hessian-vector products of the five seed models, against the model's
plain forward call, and against JAX and PyTorch where they are installed.

    python bench/derivatives.py                    # all models, one thread
    python bench/derivatives.py --models mlp lstm --rounds 11

For each model (bench/models.py: the tutorial's sizes, float32), in one process and one
thread: knetc's jvp (a random direction in the weights, the data held still) and hvp (the
Hessian of the loss in the weights times a random direction) are checked first (the jvp
against central differences of the loss in float64, the hvp against central differences of
knetc's gradient), then timed with the plain forward call in interleaved rounds. The table
gives medians of the per-round times and of the per-round ratios to the forward call. The
peers run the same mathematics (bench/peers.py): `jax.jit(jax.jvp)` and `jax.jit` of
forward-over-reverse (`jvp` of `grad`); `torch.func.jvp` and `jvp` of `torch.func.grad`.
Last, the compile time of the char LSTM's hvp: knetc generating the tangent code and the
reverse code of it, from nothing cached.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", nargs="+", default=["linreg", "softmax", "mlp", "lenet", "lstm"],
                   help="models to run (default: all five)")
    p.add_argument("--rounds", type=int, default=21, help="timing rounds (default: 21)")
    p.add_argument("--threads", type=int, default=1, help="BLAS/XLA/torch threads (default: 1)")
    p.add_argument("--no-peers", dest="peers", action="store_false",
                   help="time knetc only (no JAX, no PyTorch)")
    return p.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = str(ARGS.threads)
os.environ["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                           f"intra_op_parallelism_threads={ARGS.threads}")

import numpy as np  # noqa: E402  (after the thread variables)

import knetc  # noqa: E402
import models  # noqa: E402
import peers  # noqa: E402


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def block(call, seconds=0.05):
    """Seconds per call of `call`, over a block of calls lasting about `seconds`."""
    n, start = 0, time.perf_counter()
    while True:
        call()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / n


def float64(tree):
    return [np.asarray(x, np.float64) for x in tree] if isinstance(tree, list) else \
        np.asarray(tree, np.float64)


def check(model, v):
    """In float64 on a copy of the model: the jvp against <knetc's gradient, v>; for the
    smooth models (linreg, softmax, the LSTM) also the jvp against central differences of
    the loss and the hvp against central differences of knetc's gradient. (The MLP's relu and
    LeNet's relu and max pooling put many units on a kink: ties of zeros.)"""
    w = float64(model.w)
    data = model.args()[1:]
    data = tuple([float64(s) for s in d] if isinstance(d, list) else float64(d) for d in data)
    vv = float64(v)
    fresh = (lambda d: tuple([s.copy() for s in x] if isinstance(x, list) else x for x in d))
    loss = model.loss
    eps = 1e-6

    def at(s):
        return [a + s * b for a, b in zip(w, vv)]

    _, tangent = knetc.jvp(loss, (w,) + fresh(data),
                           (vv,) + tuple(knetc.runtime.zero_tangent(d) for d in data))
    g = knetc.grad(loss)
    dot = sum(float(np.sum(a * b)) for a, b in zip(g(w, *fresh(data)), vv))
    assert abs(tangent - dot) <= 1e-9 * abs(dot) + 1e-12, (tangent, dot)
    if model.name in ("mlp", "lenet"):  # relu and max pooling at ties: differences jump
        return
    numeric = (loss(at(eps), *fresh(data)) - loss(at(-eps), *fresh(data))) / (2 * eps)
    assert abs(tangent - numeric) <= 1e-4 * abs(numeric) + 1e-8, (tangent, numeric)
    hv = np.concatenate([np.ravel(h) for h in knetc.hvp(loss)(w, *fresh(data), vv)])
    plus, minus = g(at(eps), *fresh(data)), g(at(-eps), *fresh(data))
    fd = np.concatenate([np.ravel((p - m) / (2 * eps)) for p, m in zip(plus, minus)])
    assert np.linalg.norm(hv - fd) <= 1e-3 * np.linalg.norm(fd), \
        np.linalg.norm(hv - fd) / np.linalg.norm(fd)


def knetc_systems(model, v):
    zeros = (None,) * (len(model.args()) - 1)  # the data held still
    hvp = knetc.hvp(model.loss)
    return {
        "forward": lambda: model.loss(*model.args()),
        "knetc jvp": lambda: knetc.jvp(model.loss, model.args(), (v,) + zeros),
        "knetc hvp": lambda: hvp(*model.args(), v),
    }


def jax_systems(model, v):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")
    loss = peers.loss_with(peers.jax_ops(), model.name)
    w = [jnp.asarray(x) for x in model.w]
    data = jax.tree_util.tree_map(jnp.asarray, list(model.args()[1:]))
    vj = [jnp.asarray(x) for x in v]
    forward = jax.jit(loss)
    jvp = jax.jit(lambda w, v: jax.jvp(lambda w: loss(w, *data), (w,), (v,)))
    hvp = jax.jit(lambda w, v: jax.jvp(jax.grad(lambda w: loss(w, *data)), (w,), (v,))[1])
    return {"jax forward": lambda: jax.block_until_ready(forward(w, *data)),
            "jax jvp": lambda: jax.block_until_ready(jvp(w, vj)),
            "jax hvp": lambda: jax.block_until_ready(hvp(w, vj))}


def torch_systems(model, v):
    import torch
    from torch.func import grad, jvp
    torch.set_num_threads(ARGS.threads)
    loss = peers.loss_with(peers._torch_ops(), model.name)
    w = tuple(peers._to_torch(model.w))
    data = peers._to_torch(list(model.args()[1:]))
    vt = tuple(peers._to_torch(v))

    def f(*w):
        return loss(list(w), *data)

    return {"torch forward": lambda: f(*w),
            "torch jvp": lambda: jvp(f, w, vt),
            "torch hvp": lambda: jvp(grad(f, argnums=tuple(range(len(w)))), w, vt)[1]}


def run(name):
    model = models.make(name, 0)
    rng = np.random.default_rng(1)
    v = [rng.standard_normal(np.shape(x)).astype(np.float32) for x in model.w]
    check(model, v)
    systems = knetc_systems(model, v)
    skipped = []
    if ARGS.peers:
        for label, make in (("jax", jax_systems), ("torch", torch_systems)):
            try:
                systems.update(make(model, v))
            except ImportError:
                skipped.append(f"{label}: not installed")
            except Exception as exc:  # a peer that cannot run this model is reported
                skipped.append(f"{label}: {type(exc).__name__}: {str(exc)[:80]}")
    for call in systems.values():  # compile, warm up
        call()
    times = {k: [] for k in systems}
    order = list(systems)
    for r in range(ARGS.rounds):
        for k in order[r % len(order):] + order[:r % len(order)]:
            times[k].append(block(systems[k]))
    ratios = {k: median([t / f for t, f in zip(times[k], times["forward"])]) for k in times}
    return {k: median(ts) for k, ts in times.items()}, ratios, skipped


def compile_time_lstm_hvp():
    """Seconds for knetc to generate and build the char LSTM's hvp code, nothing cached."""
    from knetc.compiler import compile_gradient, compile_jvp
    from knetc.compiler.forwarding import positional_names
    loss = models.make("lstm", 0).loss
    start = time.perf_counter()
    tangent = compile_jvp(loss, (0,), only_tangent=True).function
    count = len(positional_names(tangent))
    compile_gradient(tangent, 1 if count else 0)
    return time.perf_counter() - start


def main():
    print(f"one process, {ARGS.threads} thread(s), float32, median of {ARGS.rounds} "
          "interleaved rounds; ratio = time / knetc's plain forward call of the same loss")
    print(f"{'model':8} {'system':14} {'ms/call':>9} {'x forward':>10}")
    for name in ARGS.models:
        medians, ratios, skipped = run(name)
        for k in medians:
            print(f"{name:8} {k:14} {medians[k] * 1e3:9.3f} {ratios[k]:10.2f}")
        for s in skipped:
            print(f"{name:8} ({s})")
        sys.stdout.flush()
    print(f"compile time of the char LSTM's hvp (tangent code, then its reverse): "
          f"{compile_time_lstm_hvp() * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
