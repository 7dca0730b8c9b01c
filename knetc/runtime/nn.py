"""Adjoint helpers for Knet's operators: log-softmax, softmax, logsumexp, nll, convolution
and pooling."""
import numpy as np

from .. import conv as _conv
from ..cuda.array import KnetArray as _KnetArray
from .broadcast import unbroadcast, unreduce


def _same_arrays(g, y):
    """Whether g and y are NumPy arrays of one shape and one dtype: the fast paths below
    then give exactly what the plain formula gives, with fewer temporaries."""
    return type(g) is np.ndarray and type(y) is np.ndarray and g.shape == y.shape \
        and g.dtype == y.dtype


def sigm_grad(g, y):
    """Adjoint of y = knetc.sigm(x) from its output: g * y * (1 - y)."""
    if isinstance(y, _KnetArray) and isinstance(g, _KnetArray) and g.shape == y.shape:
        from ..cuda import elementwise as gpu
        return gpu.sigm_backward(y, g)  # one kernel instead of three
    if _same_arrays(g, y):  # one new array, updated in place
        out = np.subtract(1, y)
        out *= y
        return np.multiply(out, g, out=out)
    return g * y * (1 - y)


def tanh_grad(g, y):
    """Adjoint of y = np.tanh(x) from its output: g * (1 - y * y)."""
    if isinstance(y, _KnetArray) and isinstance(g, _KnetArray) and g.shape == y.shape:
        from ..cuda import elementwise as gpu
        return gpu.tanh_backward(y, g)
    if _same_arrays(g, y):
        out = np.multiply(y, y)
        np.subtract(1, out, out=out)
        return np.multiply(g, out, out=out)
    return g * (1 - y * y)


def relu_grad(g, y):
    """Adjoint of y = knetc.relu(x) from its output: g where y > 0, else 0."""
    if isinstance(y, _KnetArray) and isinstance(g, _KnetArray) and g.shape == y.shape:
        from ..cuda import elementwise as gpu
        return gpu.relu_backward(y, g)
    return g * (y > 0)  # on the CPU the plain formula is the fastest of those tried


def logp_grad(g, y, axis=0):
    """Adjoint of y = knetc.logp(x, axis): g - exp(y) * sum(g, axis)."""
    if isinstance(y, _KnetArray):
        from ..cuda import softmax as gpu
        return gpu.logp_grad(g, y, axis)
    total = np.sum(g, axis=axis, keepdims=True)
    if _same_arrays(g, y):  # one new array, updated in place
        out = np.exp(y)
        out *= total
        return np.subtract(g, out, out=out)
    return g - np.exp(y) * total


def softmax_grad(g, y, axis=0):
    """Adjoint of y = knetc.softmax(x, axis): y * (g - sum(g * y, axis))."""
    if isinstance(y, _KnetArray):
        from ..cuda import softmax as gpu
        return gpu.softmax_grad(g, y, axis)
    if _same_arrays(g, y):  # one new array, updated in place
        out = g * y
        total = np.sum(out, axis=axis, keepdims=True)
        np.subtract(g, total, out=out)
        out *= y
        return out
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


def logsumexp_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of y = knetc.logsumexp(x, axis, keepdims): g * exp(x - y), with g and y
    broadcast back along the reduced axes."""
    if isinstance(x, _KnetArray):
        from ..cuda import softmax as gpu
        return gpu.logsumexp_grad(g, y, x, axis, keepdims)
    if type(x) is np.ndarray and x.dtype.kind == "f" and isinstance(g, (np.ndarray, np.generic)) \
            and g.dtype == x.dtype and isinstance(y, (np.ndarray, np.generic)) \
            and y.dtype == x.dtype:  # one new array, updated in place
        if axis is not None and not keepdims:
            axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
            axes = tuple(a % x.ndim for a in axes)
            g, y = np.expand_dims(g, axes), np.expand_dims(y, axes)
        out = np.subtract(x, y)
        np.exp(out, out=out)
        out *= g
        return out
    return unreduce(g, x, axis, keepdims) * np.exp(x - unreduce(y, x, axis, keepdims))


def logp_xent_grad(g, c, y, axis, m):
    """logp_grad(unbroadcast(c * unreduce(g, m, None, False), y), y, axis) in one call: the
    adjoint of y = knetc.logp(x, axis) in a cross entropy total = np.sum(m), m = c * y, with
    g the adjoint of the total (knetc/compiler/xent.py writes it)."""
    if type(c) is np.ndarray and type(y) is np.ndarray and type(m) is np.ndarray \
            and c.shape == y.shape == m.shape and c.dtype == y.dtype \
            and isinstance(g, (np.ndarray, np.generic)) and g.dtype == y.dtype and g.ndim == 0:
        t = c * g  # each element as in c * np.full(m.shape, g)
        total = np.add.reduce(t, axis=axis, keepdims=True)
        out = np.exp(y)
        out *= total
        return np.subtract(t, out, out=out)
    return logp_grad(unbroadcast(c * unreduce(g, m, None, False), y), y, axis)


def nll_grad(g, scores, labels, axis=0):
    """Adjoint of knetc.nll: (softmax(scores) - onehot(labels)) * g / number of labels."""
    if isinstance(scores, _KnetArray):
        from ..cuda import softmax as gpu
        return gpu.nll_grad(g, scores, labels, axis)
    shifted = scores - np.max(scores, axis=axis, keepdims=True)
    p = np.exp(shifted)
    p /= np.sum(p, axis=axis, keepdims=True)
    labels = np.expand_dims(np.asarray(labels), axis)
    picked = np.take_along_axis(p, labels, axis=axis)
    np.put_along_axis(p, labels, picked - 1, axis=axis)
    return p * (g / max(labels.size, 1))


def conv4_grad_w(g, w, x, padding=0, stride=1):
    """Adjoint of knetc.conv4(w, x, padding, stride) with respect to the filters w."""
    return _conv.conv4_grad_w(g, w, x, padding, stride)


def conv4_grad_x(g, w, x, padding=0, stride=1):
    """Adjoint of knetc.conv4(w, x, padding, stride) with respect to the images x."""
    return _conv.conv4_grad_x(g, w, x, padding, stride)


def pool_grad(g, y, x, window=2, stride=None, padding=0, mode="max"):
    """Adjoint of y = knetc.pool(x, window, stride, padding, mode) with respect to x."""
    return _conv.pool_grad(g, y, x, window, stride, padding, mode)


def pool_tangent(t, y, x, window=2, stride=None, padding=0, mode="max"):
    """Tangent of y = knetc.pool(x, window, stride, padding, mode) in the direction t: t
    pooled (average), or t at each window's first maximal element (max), as pool_grad."""
    return _conv.pool_tangent(t, y, x, window, stride, padding, mode)


def put_labels(g, like, labels, axis=0):
    """The transpose of take_labels: zeros shaped like `like` with g at the labels along
    axis (the adjoint of take_labels' tangent argument)."""
    if isinstance(like, _KnetArray):
        host = put_labels(g.get() if isinstance(g, _KnetArray) else g, like.get(),
                          labels.get() if isinstance(labels, _KnetArray) else labels, axis)
        return _KnetArray(like.device.from_host(host), like.device)
    out = np.zeros(np.shape(like), np.result_type(like, g))
    np.put_along_axis(out, np.expand_dims(np.asarray(labels), axis), g, axis=axis)
    return out


def take_labels(t, labels, axis=0):
    """t at the labels along axis, as knetc.nll picks its scores: np.take_along_axis(t,
    expand_dims(labels, axis), axis), shaped like t with axis of length 1. Linear in t."""
    if isinstance(t, _KnetArray):  # a gather with one index array per axis
        labels = labels.get() if isinstance(labels, _KnetArray) else np.asarray(labels)
        axis = axis % t.ndim
        grids = [np.arange(n).reshape((-1,) + (1,) * (labels.ndim - 1 - k))
                 for k, n in enumerate(labels.shape)]
        return np.expand_dims(t[tuple(grids[:axis] + [labels] + grids[axis:])], axis)
    return np.take_along_axis(t, np.expand_dims(np.asarray(labels), axis), axis=axis)
