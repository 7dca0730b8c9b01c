"""Adjoint helpers for indexing and gathering."""
import numpy as np

from ..cuda.array import KnetArray
from .grads import GradList, add_grads, zero_grad


def add_at(dx, x, index, g):
    """Add g into the adjoint of x at `index` (x a list, tuple, dict or array); returns it."""
    if type(x) is list and type(index) is int:  # a parameter list: what the branch below does
        if dx is None:
            dx = GradList([None] * len(x))
        old = dx[index]
        dx[index] = g if old is None else add_grads(old, g)
        return dx
    if isinstance(x, (list, tuple, dict)):
        if dx is None:
            dx = zero_grad(x)
        dx[index] = add_grads(dx[index] if not isinstance(dx, dict) else dx.get(index), g)
        return dx
    if _on_device(dx, x, g):
        from ..cuda import index as gpu
        return gpu.add_at_grad(dx, x, index, g)
    out = np.zeros(np.shape(x), dtype=_float_dtype(x, g)) if dx is None else np.array(dx)
    if _is_basic(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def _on_device(*values):
    """Whether any value is a KnetArray (the adjoint is then built on its device)."""
    return any(isinstance(v, KnetArray) for v in values)


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               for i in items)


def _float_dtype(x, g):
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.inexact):
        return dtype
    return np.result_type(g, np.float64) if not hasattr(g, "dtype") else g.dtype


def take_grad(g, x, indices, axis=None):
    """Adjoint of np.take(x, indices, axis): scatter-add back, repeated indices accumulate."""
    if _on_device(g, x):
        from ..cuda import index as gpu
        return gpu.take_grad(g, x, indices, axis)
    out = np.zeros(np.shape(x), dtype=_float_dtype(x, g))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices).reshape(-1), np.reshape(g, -1))
    else:
        np.add.at(out, (slice(None),) * (axis % out.ndim) + (np.asarray(indices),), g)
    return out
