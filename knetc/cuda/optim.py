"""Optimizer steps on KnetArrays: one fused kernel (kernels/optim.cu) per parameter per step.

knetc/optim.py's optimizers call these when the parameter is a KnetArray; its NumPy code is
the reference, and each kernel does the same math in one pass over w, dw and the state:

    sgd(w, dw, c, lr)                   momentum(w, dw, v, c, lr, gamma)
    nesterov(w, dw, v, c, lr, gamma)    adagrad(w, dw, G, c, lr, eps)
    rmsprop(w, dw, G, c, lr, rho, eps)  adadelta(w, dw, G, delta, c, lr, rho, eps)
    adam(w, dw, m, v, c, t, lr, beta1, beta2, eps)   (t: this step's number, from 1)

`c` scales the gradient: a number, or a `Clip` for gclip, whose scale the kernel computes on
the device from the global norm made by `global_norm` (one kernel per gradient and one to
finish), so a clipped step never waits for the GPU. The state buffers (velocity, G, ...)
are KnetArrays like w, made by `np.zeros_like` (knetc's fill kernel).
"""
import weakref

import numpy as np

from .array import KnetArray
from .elementwise import contiguous, empty
from .layout import size_of

SUMSQ_BLOCKS = 1024  # most blocks (partial sums) per gradient in the global norm

_FAMILY = "optim"
_unused_norm = weakref.WeakKeyDictionary()  # device -> a 1-element buffer kernels ignore


class Clip:
    """Gradient clipping by the global norm, resolved on the device: the kernels use
    c = gclip / norm when norm > gclip, else 1, reading `norm` (a 1-element float64 KnetArray
    from `global_norm`) in device memory."""

    def __init__(self, norm, gclip):
        self.norm, self.gclip = norm, float(gclip)


def _packs(n, dtype):
    """Threads one pass needs: the kernels handle 16 bytes (4 floats, 2 doubles) per thread."""
    return -(-n // (16 // np.dtype(dtype).itemsize))


def _clip_args(device, c):
    """(norm buffer, gclip, scale): the kernels' last three arguments for the scale c."""
    if isinstance(c, Clip):
        if c.norm.device is not device:
            raise ValueError("the gradient norm and the parameter are on different devices")
        return c.norm, c.gclip, 1.0
    if device not in _unused_norm:  # read only when gclip > 0; made once per device
        _unused_norm[device] = device.from_host(np.zeros(1))
    return _unused_norm[device], 0.0, float(c)


def state_buffer(buf, w):
    """Optimizer state `buf` on w's side: a KnetArray on w's device when w is a KnetArray (a
    saved NumPy state goes to the device), a host copy when w is not (knetc.cpu(w) later)."""
    if isinstance(w, KnetArray):
        if isinstance(buf, KnetArray) and buf.device is w.device and buf.dtype == w.dtype:
            return buf
        host = buf.get() if isinstance(buf, KnetArray) else np.asarray(buf)
        return KnetArray(w.device.from_host(np.ascontiguousarray(host, dtype=w.dtype)), w.device)
    if isinstance(buf, KnetArray):
        host = buf.get()
        if type(w).__module__.split(".")[0] == "cupy":
            import cupy
            return cupy.asarray(host)
        return host
    return buf


def global_norm(grads, host_sumsq=0.0):
    """sqrt(host_sumsq + sum of squares of the KnetArrays `grads`) as a 1-element float64
    KnetArray, computed on the device without a host sync: `sumsq_forward` writes per-block
    partial sums (in double) for each gradient, `norm_forward` adds them up in one block."""
    device = grads[0].device
    counts = []
    for g in grads:
        if not isinstance(g, KnetArray) or g.device is not device:
            raise ValueError("gclip needs all gradients of one update on one device")
        n = size_of(g.shape)
        counts.append(min(device.grid(_packs(n, g.dtype))[0], SUMSQ_BLOCKS) if n else 0)
    partial = empty((max(1, sum(counts)),), np.float64, device)
    offset = 0
    for g, blocks in zip(grads, counts):
        if blocks:
            g = contiguous(g)
            device.launch(_FAMILY, "sumsq_forward", g.dtype, (blocks,), (device.block,),
                          [g, partial.raw[offset:offset + blocks], g.size])
            offset += blocks
    norm = empty((1,), np.float64, device)
    device.launch(_FAMILY, "norm_forward", np.float64, (1,), (device.block,),
                  [partial, norm, offset, float(host_sumsq)])
    return norm


def _launch(kernel, w, dw, state, c, *hyper):
    """One fused update of w (and its state buffers) by kernel from the gradient dw."""
    if not isinstance(w, KnetArray):
        raise TypeError(f"knetc.cuda.optim.{kernel} updates KnetArrays, got {type(w).__name__}")
    if not isinstance(dw, KnetArray):
        raise TypeError(f"the gradient of a KnetArray parameter must be a KnetArray on its "
                        f"device, got {type(dw).__name__}")
    if dw.device is not w.device:
        raise ValueError("the parameter and its gradient are on different devices")
    if dw.shape != w.shape:
        raise ValueError(f"gradient shape {dw.shape} != parameter shape {w.shape}")
    for s in state:
        if not isinstance(s, KnetArray) or s.device is not w.device or s.shape != w.shape:
            raise ValueError("optimizer state must be KnetArrays shaped like the parameter "
                             "on its device (see knetc.cuda.optim.state_buffer)")
    if not (w.is_contiguous and all(s.is_contiguous for s in state)):
        raise ValueError("knetc updates KnetArray parameters in place only when they are "
                         "contiguous; make the parameter a contiguous array")
    dtype = np.dtype(w.dtype)
    if any(np.dtype(a.dtype) != dtype for a in (dw, *state)):
        raise TypeError(f"knetc's GPU optimizers need the parameter ({dtype}), its gradient "
                        f"({dw.dtype}) and state of one dtype; convert with .astype")
    n = size_of(w.shape)
    if n:
        dw = contiguous(dw)
        device = w.device
        norm, gclip, scale = _clip_args(device, c)
        device.launch(_FAMILY, f"{kernel}_forward", dtype, device.grid(_packs(n, dtype)),
                      (device.block,), [dw, norm, w, *state, n, *hyper, gclip, scale])
    return w


def sgd(w, dw, c, lr):
    """w -= lr*c*dw."""
    return _launch("sgd", w, dw, (), c, lr)


def momentum(w, dw, velocity, c, lr, gamma):
    """velocity = gamma*velocity - lr*c*dw; w += velocity."""
    return _launch("momentum", w, dw, (velocity,), c, lr, gamma)


def nesterov(w, dw, velocity, c, lr, gamma):
    """velocity *= gamma; w -= velocity; velocity -= lr*c*dw; w += (1+gamma)*velocity."""
    return _launch("nesterov", w, dw, (velocity,), c, lr, gamma)


def adagrad(w, dw, G, c, lr, eps):
    """G += (c*dw)^2; w -= lr*c*dw / sqrt(G + eps)."""
    return _launch("adagrad", w, dw, (G,), c, lr, eps)


def rmsprop(w, dw, G, c, lr, rho, eps):
    """G = rho*G + (1-rho)*(c*dw)^2; w -= lr*c*dw / sqrt(G + eps)."""
    return _launch("rmsprop", w, dw, (G,), c, lr, rho, eps)


def adadelta(w, dw, G, delta, c, lr, rho, eps):
    """G = rho*G + (1-rho)*(c*dw)^2; u = c*dw*sqrt(delta+eps)/sqrt(G+eps); w -= lr*u;
    delta = rho*delta + (1-rho)*u^2."""
    return _launch("adadelta", w, dw, (G, delta), c, lr, rho, eps)


def adam(w, dw, m, v, c, t, lr, beta1, beta2, eps):
    """Step t (from 1) of Adam: m, v moments of c*dw; w -= lr_t * m / (sqrt(v/bc2) + eps), with
    the bias corrections lr_t = lr/(1-beta1^t) and bc2 = 1-beta2^t computed here on the host."""
    return _launch("adam", w, dw, (m, v), c, lr / (1 - beta1 ** t), beta1, beta2, eps,
                   1 - beta2 ** t)
