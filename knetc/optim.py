"""Knet's optimizers (SGD, Momentum, Nesterov, Adagrad, Adadelta, Rmsprop, Adam); `update`
(knetc/update.py) applies them to a model's parameters.

    opt = knetc.Adam()                      # one optimizer; state is kept per parameter
    for x, y in data:
        dw = dloss(w, x, y)
        w = knetc.update(w, dw, opt)        # arrays in w change in place; see `update`

Defaults and update rules are those of Knet 1.4 (src/train20/update.jl). Unlike Knet, `gclip`
clips by the global norm of all gradients of one `update` call, not by each array's own norm.

Memory: each optimizer allocates its state buffers (velocity, G, delta, m, v) once per parameter
on first use. A step writes only into the parameter, the state and scratch buffers: one (two
for Adadelta) flat array per dtype, as large as the largest parameter, allocated once per thread
and shared by all optimizers. The gradients are never modified. The temporaries left are
`numpy.vdot`'s copy of a non-contiguous gradient when gclip > 0, and Python floats.

On a GPU (KnetArray parameters) a step is one fused kernel per parameter (knetc/cuda/optim.py),
with the state on the device and gclip's global norm computed there too (no host sync).
"""
import sys
import threading

import numpy as np


def _xp(x):
    """numpy or cupy, by the module of x's type; cupy is imported only for a cupy array."""
    if type(x).__module__.split(".")[0] == "cupy":
        import cupy
        return cupy
    return np


def _gpu(x):
    """knetc.cuda.optim when x is a KnetArray (its step is one fused kernel there), else None.

    knetc.cuda is imported only once a KnetArray exists, so NumPy-only use never loads it."""
    array = sys.modules.get("knetc.cuda.array")
    if array is not None and isinstance(x, array.KnetArray):
        from .cuda import optim
        return optim
    return None


_scratch = threading.local()


def _tmp(w, k):
    """k scratch arrays shaped and typed like array w, views into buffers reused across steps."""
    pools = _scratch.__dict__.setdefault("pools", {})
    bufs = pools.setdefault((type(w), w.dtype.str), [])
    n, xp = w.size, _xp(w)
    for i in range(k):
        if i == len(bufs) or bufs[i].size < n:
            buf = xp.empty(max(n, 1), dtype=w.dtype)
            bufs[i:i + 1] = [buf]
    return [bufs[i][:n].reshape(w.shape) for i in range(k)]


def _is_float_array(x):
    return (hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.generic)
            and x.dtype.kind == "f")


def _is_float_scalar(x):
    return isinstance(x, (float, np.floating))


class Optimizer:
    """Base class: hyperparameters as attributes, per-leaf state in `self.state[path]`."""
    _slots = ()          # names of the per-leaf state arrays
    _counters = ()       # names of per-leaf integer counters
    _hyper = ("lr", "gclip")

    def __init__(self):
        self.state = {}   # leaf path (tuple of list indices / dict keys) -> {slot: array}
        self._boxes = {}  # leaf path -> 0-d array holding a Python-float parameter

    def __repr__(self):
        args = ", ".join(f"{h}={getattr(self, h)!r}" for h in self._hyper)
        return f"{type(self).__name__}({args})"

    def config(self):
        """The hyperparameters as a dict: `Adam(**opt.config())` makes a fresh copy."""
        return {h: getattr(self, h) for h in self._hyper}

    def _leaf_state(self, path, w):
        st = self.state.get(path)
        gpu = _gpu(w)
        if st is None:
            st = self.state[path] = {s: _xp(w).zeros_like(w) for s in self._slots}
            st.update({n: 0 for n in self._counters})
        for s in self._slots:
            buf = st[s]
            if gpu or _gpu(buf):                # KnetArray state or parameter: match w's side
                buf = st[s] = (gpu or _gpu(buf)).state_buffer(buf, w)
            elif _xp(buf) is not _xp(w):        # restored on the host, parameter on a GPU
                buf = st[s] = _xp(w).asarray(buf)
            if buf.shape != w.shape:
                raise ValueError(f"{type(self).__name__} state {s!r} for the parameter at "
                                 f"{list(path)} has shape {buf.shape}, the parameter {w.shape}; "
                                 "use one optimizer per model")
        return st

    def step(self, w, g, path=(), scale=1.0):
        """Update one leaf: float array w in place (returned), or a float w (the new float).

        Args:
            w: the parameter; g: its gradient (same shape); path: the key of w's state;
            scale: multiplies g (gradient clipping).

            w = np.ones(3); Adam().step(w, np.ones(3))   # w is now 1 - 0.001
        """
        if _is_float_array(w):
            if hasattr(g, "shape") and g.shape != w.shape:
                raise ValueError(f"gradient shape {g.shape} != parameter shape {w.shape} at "
                                 f"{list(path)}")
            st = self._leaf_state(path, w)
            self._step(w, g, st, scale if _gpu(w) else float(scale))  # a device Clip stays
            return w
        box = self._boxes.get(path)
        if box is None:
            box = self._boxes[path] = np.zeros((), dtype=np.float64)
        box[()] = w
        self._step(box, float(g), self._leaf_state(path, box), float(scale))
        return type(w)(box[()]) if isinstance(w, np.floating) else float(box[()])

    def state_dict(self, copy=True):
        """Class, hyperparameters and per-leaf state (copied unless copy=False), for `knetc.save`.

        State on a GPU (KnetArrays) is always given as NumPy copies; `load_state` moves it back
        to the device of the parameter on the next step.

            s = opt.state_dict(); opt2 = Optimizer.from_state(s)
        """
        leaves = [[list(path), {k: (v.get() if _gpu(v) else
                                    v.copy() if copy and hasattr(v, "copy") else v)
                                for k, v in st.items()}] for path, st in self.state.items()]
        return {"optimizer": type(self).__name__, "config": self.config(), "leaves": leaves}

    def load_state(self, state):
        """Take hyperparameters and per-leaf state from `state_dict()` output (e.g. `knetc.load`).

            params, ostate, _ = knetc.load("model.npz"); opt = knetc.Adam(); opt.load_state(ostate)
        """
        if state.get("optimizer") != type(self).__name__:
            raise ValueError(f"state of a {state.get('optimizer')} cannot load into "
                             f"{type(self).__name__}")
        for h, v in state["config"].items():
            setattr(self, h, v)
        self.state = {tuple(path): dict(st) for path, st in state["leaves"]}
        return self

    @staticmethod
    def from_state(state):
        """A new optimizer of the class named in `state`, with that state loaded."""
        return _CLASSES[state["optimizer"]]().load_state(state)


class SGD(Optimizer):
    """`w -= lr*g` (Knet default lr=0.1). gclip > 0 clips the global gradient norm to gclip.

        opt = knetc.SGD(lr=0.5)
    """

    def __init__(self, lr=0.1, gclip=0.0):
        super().__init__()
        self.lr, self.gclip = lr, gclip

    def _step(self, w, g, st, c):
        if _gpu(w):
            return _gpu(w).sgd(w, g, c, self.lr)
        (t,) = _tmp(w, 1)
        _xp(w).multiply(g, self.lr * c, out=t)
        w -= t


class Momentum(Optimizer):
    """`v = gamma*v - lr*g; w += v` (Knet defaults lr=0.05, gamma=0.95).

        opt = knetc.Momentum(lr=0.01, gamma=0.9)
    """
    _slots, _hyper = ("velocity",), ("lr", "gamma", "gclip")

    def __init__(self, lr=0.05, gamma=0.95, gclip=0.0):
        super().__init__()
        self.lr, self.gamma, self.gclip = lr, gamma, gclip

    def _step(self, w, g, st, c):
        if _gpu(w):
            return _gpu(w).momentum(w, g, st["velocity"], c, self.lr, self.gamma)
        (t,), v = _tmp(w, 1), st["velocity"]
        v *= self.gamma
        _xp(w).multiply(g, self.lr * c, out=t)
        v -= t
        w += v


class Nesterov(Momentum):
    """`w -= gamma*v; v = gamma*v - lr*g; w += (1+gamma)*v` (Bengio et al. 2012, eq. 7; Knet
    defaults lr=0.05, gamma=0.95).

        opt = knetc.Nesterov(lr=0.01)
    """

    def _step(self, w, g, st, c):
        if _gpu(w):
            return _gpu(w).nesterov(w, g, st["velocity"], c, self.lr, self.gamma)
        (t,), v, xp = _tmp(w, 1), st["velocity"], _xp(w)
        v *= self.gamma
        w -= v
        xp.multiply(g, self.lr * c, out=t)
        v -= t
        xp.multiply(v, 1 + self.gamma, out=t)
        w += t


class Adagrad(Optimizer):
    """`G += g^2; w -= lr*g / sqrt(G + eps)` (Knet defaults lr=0.05, eps=1e-6).

        opt = knetc.Adagrad(lr=0.1)
    """
    _slots, _hyper, rho = ("G",), ("lr", "eps", "gclip"), None

    def __init__(self, lr=0.05, eps=1e-6, gclip=0.0):
        super().__init__()
        self.lr, self.eps, self.gclip = lr, eps, gclip

    def _step(self, w, g, st, c):
        if _gpu(w) and self.rho is None:
            return _gpu(w).adagrad(w, g, st["G"], c, self.lr, self.eps)
        if _gpu(w):
            return _gpu(w).rmsprop(w, g, st["G"], c, self.lr, self.rho, self.eps)
        (t,), G, xp = _tmp(w, 1), st["G"], _xp(w)
        xp.multiply(g, g, out=t)
        if self.rho is None:
            t *= c * c
        else:                                   # Rmsprop: a running average instead of a sum
            G *= self.rho
            t *= (1 - self.rho) * c * c
        G += t
        xp.add(G, self.eps, out=t)
        xp.sqrt(t, out=t)
        xp.divide(g, t, out=t)
        t *= self.lr * c
        w -= t


class Rmsprop(Adagrad):
    """`G = rho*G + (1-rho)*g^2; w -= lr*g / sqrt(G + eps)` (Knet: lr=0.01, rho=0.9, eps=1e-6).

        opt = knetc.Rmsprop(lr=0.001)
    """
    _hyper = ("lr", "rho", "eps", "gclip")

    def __init__(self, lr=0.01, rho=0.9, eps=1e-6, gclip=0.0):
        super().__init__(lr, eps, gclip)
        self.rho = rho


class Adadelta(Optimizer):
    """Zeiler (2012) as in Knet (defaults lr=1.0, rho=0.9, eps=1e-6):
    `G = rho*G + (1-rho)*g^2; u = g*sqrt(delta+eps)/sqrt(G+eps); w -= lr*u;
    delta = rho*delta + (1-rho)*u^2`.

        opt = knetc.Adadelta()
    """
    _slots, _hyper = ("G", "delta"), ("lr", "rho", "eps", "gclip")

    def __init__(self, lr=1.0, rho=0.9, eps=1e-6, gclip=0.0):
        super().__init__()
        self.lr, self.rho, self.eps, self.gclip = lr, rho, eps, gclip

    def _step(self, w, g, st, c):
        if _gpu(w):
            return _gpu(w).adadelta(w, g, st["G"], st["delta"], c, self.lr, self.rho, self.eps)
        (u, t), G, delta, xp = _tmp(w, 2), st["G"], st["delta"], _xp(w)
        G *= self.rho
        xp.multiply(g, g, out=t)
        t *= (1 - self.rho) * c * c
        G += t
        xp.add(delta, self.eps, out=u)
        xp.sqrt(u, out=u)
        xp.add(G, self.eps, out=t)
        xp.sqrt(t, out=t)
        u /= t
        u *= g
        u *= c
        delta *= self.rho
        xp.multiply(u, u, out=t)
        t *= 1 - self.rho
        delta += t
        u *= self.lr
        w -= u


class Adam(Optimizer):
    """Kingma and Ba (2015) as in Knet (defaults lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    `m = beta1*m + (1-beta1)*g; v = beta2*v + (1-beta2)*g^2; t += 1;
    w -= lr * (m/(1-beta1^t)) / (sqrt(v/(1-beta2^t)) + eps)`, with t counted per parameter.

        opt = knetc.Adam(lr=0.01)
    """
    _slots, _counters = ("m", "v"), ("t",)
    _hyper = ("lr", "beta1", "beta2", "eps", "gclip")

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, gclip=0.0):
        super().__init__()
        self.lr, self.beta1, self.beta2, self.eps, self.gclip = lr, beta1, beta2, eps, gclip

    def _step(self, w, g, st, c):
        st["t"] = n = int(st["t"]) + 1
        if _gpu(w):
            return _gpu(w).adam(w, g, st["m"], st["v"], c, n, self.lr, self.beta1, self.beta2,
                                self.eps)
        (t,), m, v, xp = _tmp(w, 1), st["m"], st["v"], _xp(w)
        m *= self.beta1
        xp.multiply(g, (1 - self.beta1) * c, out=t)
        m += t
        v *= self.beta2
        xp.multiply(g, g, out=t)
        t *= (1 - self.beta2) * c * c
        v += t
        xp.divide(v, 1 - self.beta2 ** n, out=t)
        xp.sqrt(t, out=t)
        t += self.eps
        xp.divide(m, t, out=t)
        t *= self.lr / (1 - self.beta1 ** n)
        w -= t


_CLASSES = {c.__name__: c for c in (SGD, Momentum, Nesterov, Adagrad, Adadelta, Rmsprop, Adam)}


def restore(state):
    """Optimizer(s) rebuilt from saved state: one state dict or a structure of them.

        params, ostate, extra = knetc.load("model.npz")
        opt = knetc.optim.restore(ostate)
    """
    if isinstance(state, dict) and "optimizer" in state and "leaves" in state:
        return Optimizer.from_state(state)
    if isinstance(state, dict):
        return {k: restore(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return (list if isinstance(state, list) else tuple)(restore(v) for v in state)
    return state


def state_of(opt, copy=True):
    """The state of an optimizer or a structure of optimizers, as `restore` takes it."""
    if isinstance(opt, Optimizer):
        return opt.state_dict(copy=copy)
    if isinstance(opt, dict):
        return {k: state_of(v, copy) for k, v in opt.items()}
    if isinstance(opt, (list, tuple)):
        return (list if isinstance(opt, list) else tuple)(state_of(v, copy) for v in opt)
    return opt
