"""Adjoint helpers for Knet's operators: nll, convolution and pooling."""
import numpy as np

from .. import conv as _conv
from ..cuda.array import KnetArray as _KnetArray


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
