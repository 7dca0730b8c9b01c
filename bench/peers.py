"""The five models for the peer systems: HIPS autograd, PyTorch (eager and torch.compile), JAX.

Each model is written once, over a small table of operations `o` (log-softmax, sigmoid,
convolution, ...) that each framework fills with its own idiomatic functions; `@`, `+`, `*`,
`**` and slicing are the framework's own. Every peer is optional: `build` returns only the
systems whose package imports, and the reason each missing one was left out.

autograd has no convolution of its own that is competitive, so its LeNet calls knetc/conv.py's
conv4 and pool as autograd primitives with knetc's own backward kernels (the same kernels the
hand-written pass and knetc use): there, too, only the AD overhead differs.
"""
import importlib
from types import SimpleNamespace

import numpy as np

from knetc import conv as kconv

# ---------------------------------------------------------------- the models, generically


def linreg(o, w, x, y):
    return o.sum((y - (w[0] @ x + w[1])) ** 2) / y.shape[1]


def softmax(o, w, x, ygold):
    ypred = w[0] @ x + w[1]
    return -o.sum(ygold * o.logp(ypred, 0)) / ygold.shape[1]


def mlp(o, w, x, ygold):
    for i in range(0, len(w) - 2, 2):
        x = o.relu(w[i] @ x + w[i + 1])
    ypred = w[-2] @ x + w[-1]
    return -o.sum(ygold * o.logp(ypred, 0)) / ygold.shape[1]


def lenet(o, w, x, ygold):
    x = o.pool(o.relu(o.conv4(w[0], x) + w[1]))
    x = o.pool(o.relu(o.conv4(w[2], x) + w[3]))
    x = o.relu(w[4] @ o.mat(x) + w[5])
    ypred = w[6] @ x + w[7]
    return -o.sum(ygold * o.logp(ypred, 0)) / ygold.shape[1]


def lstm(o, w, state, sequence):
    weight, bias, embed, wout, bout = w
    h, c = state
    hs = h.shape[1]
    total = 0.0
    x = sequence[0]
    for t in range(len(sequence) - 1):
        gates = o.hcat((x @ embed, h)) @ weight + bias
        forget = o.sigm(gates[:, 0:hs])
        ingate = o.sigm(gates[:, hs:2 * hs])
        outgate = o.sigm(gates[:, 2 * hs:3 * hs])
        change = o.tanh(gates[:, 3 * hs:])
        c = c * forget + ingate * change
        h = outgate * o.tanh(c)
        ypred = h @ wout + bout
        x = sequence[t + 1]
        total = total + o.sum(x * o.logp(ypred, 1))
    return -total / ((len(sequence) - 1) * x.shape[0])


MODELS = {"linreg": linreg, "softmax": softmax, "mlp": mlp, "lenet": lenet, "lstm": lstm}


def loss_with(o, name):
    """The model's loss(w, *data) over the operations o (a plain function, which every
    tracer and compiler accepts)."""
    model = MODELS[name]

    def loss(w, *data):
        return model(o, w, *data)
    return loss

# ---------------------------------------------------------------- one table per framework


def autograd_system(model, threads):
    import autograd
    import autograd.numpy as anp
    from autograd.extend import defvjp, primitive
    from autograd.scipy.special import expit, logsumexp

    conv4 = primitive(kconv.conv4)
    defvjp(conv4, lambda y, w, x: lambda g: kconv.conv4_grad_w(g, w, x),
           lambda y, w, x: lambda g: kconv.conv4_grad_x(g, w, x))
    pool = primitive(kconv.pool)
    defvjp(pool, lambda y, x: lambda g: kconv.pool_grad(g, y, x))
    o = SimpleNamespace(
        sum=anp.sum, relu=lambda x: anp.maximum(x, 0), sigm=expit, tanh=anp.tanh,
        logp=lambda x, axis: x - logsumexp(x, axis=axis, keepdims=True),
        hcat=lambda xs: anp.concatenate(xs, axis=1), conv4=conv4, pool=pool,
        mat=lambda x: anp.reshape(x, (x.shape[0], -1)).T)
    g = autograd.grad(loss_with(o, model.name))
    return {"autograd": (lambda: g(*model.args()), list)}


def _torch_ops():
    import torch
    import torch.nn.functional as F
    return SimpleNamespace(
        sum=torch.sum, relu=torch.relu, sigm=torch.sigmoid, tanh=torch.tanh,
        logp=lambda x, axis: torch.log_softmax(x, dim=axis),
        hcat=lambda xs: torch.cat(xs, dim=1), conv4=lambda w, x: F.conv2d(x, w),
        pool=lambda x: F.max_pool2d(x, 2), mat=lambda x: x.reshape(x.shape[0], -1).T)


def _to_torch(value, requires_grad=False):
    import torch
    if isinstance(value, (list, tuple)):
        return [_to_torch(v, requires_grad) for v in value]
    return torch.from_numpy(np.ascontiguousarray(value)).requires_grad_(requires_grad)


def torch_system(model, threads):
    import torch
    torch.set_num_threads(threads)
    w = _to_torch(model.w, requires_grad=True)
    data = _to_torch(list(model.args()[1:]))
    loss = loss_with(_torch_ops(), model.name)
    compiled = torch.compile(loss)

    def to_numpy(grads):
        return [g.detach().numpy() for g in grads]

    return {"torch eager": (lambda: torch.autograd.grad(loss(w, *data), w), to_numpy),
            "torch.compile": (lambda: torch.autograd.grad(compiled(w, *data), w), to_numpy)}


def jax_ops():
    import jax
    import jax.numpy as jnp
    return SimpleNamespace(
        sum=jnp.sum, relu=jax.nn.relu, sigm=jax.nn.sigmoid, tanh=jnp.tanh,
        logp=lambda x, axis: jax.nn.log_softmax(x, axis=axis),
        hcat=lambda xs: jnp.concatenate(xs, axis=1),
        conv4=lambda w, x: jax.lax.conv_general_dilated(x, w, (1, 1), "VALID"),
        pool=lambda x: jax.lax.reduce_window(x, np.float32(-np.inf), jax.lax.max, (1, 1, 2, 2),
                                             (1, 1, 2, 2), "VALID"),
        mat=lambda x: x.reshape(x.shape[0], -1).T)


def jax_system(model, threads):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")
    o = jax_ops()
    g = jax.jit(jax.grad(loss_with(o, model.name)))
    w = jax.tree_util.tree_map(jnp.asarray, model.w)
    data = jax.tree_util.tree_map(jnp.asarray, list(model.args()[1:]))

    def to_numpy(grads):
        return [np.asarray(x) for x in grads]

    return {"jax.jit": (lambda: jax.block_until_ready(g(w, *data)), to_numpy)}


PEERS = [("autograd", autograd_system, "autograd"),
         ("torch", torch_system, "torch eager, torch.compile"),
         ("jax", jax_system, "jax.jit")]


def build(model, threads):
    """{system name: (call, to_numpy)} for the peers that import; and {package: why not}."""
    systems, missing = {}, {}
    for package, make, names in PEERS:
        try:
            importlib.import_module(package)
        except ImportError:
            missing[names] = f"skipped: {package} not installed"
            continue
        try:
            systems.update(make(model, threads))
        except Exception as exc:        # a broken peer install must not stop the benchmark
            missing[names] = f"failed to set up: {type(exc).__name__}: {exc}"
    return systems, missing


def env_for_threads(threads):
    """Environment variables that pin the thread pools of BLAS, OpenMP and XLA."""
    env = {name: str(threads) for name in (
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
        "NUMEXPR_NUM_THREADS")}
    if threads == 1:
        env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return env
