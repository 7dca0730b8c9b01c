"""Helpers that generated forward-mode (tangent) code calls.

A tangent has its primal's structure and, for an array, its shape: `h_dot[:, t] = x_dot`
writes into the tangent of `h` as the primal statement writes into `h`, and
`np.sum(h_dot)` sums as many elements as `np.sum(h)`.
"""
import numpy as np

from ..cuda.array import KnetArray
from ..pytree import attributes, is_object, with_attributes
from .grads import device_zeros

__all__ = ["zero_tangent", "match_tangent"]


def zero_tangent(x):
    """The zero tangent of x: zeros shaped like an array (float even for integers), 0.0 for
    a number, the same container of zero tangents for a list, tuple, dict or object, None
    for what carries no derivative (None, strings, functions)."""
    if isinstance(x, np.ndarray):
        return np.zeros(x.shape, x.dtype if x.dtype.kind in "fc" else np.float64)
    if isinstance(x, KnetArray):
        return device_zeros(x) if x.dtype.kind == "f" else np.zeros_like(x).astype(np.float32)
    if isinstance(x, (bool, int, float)):
        return 0.0
    if isinstance(x, np.generic):
        return x * 0 if x.dtype.kind in "fc" else 0.0
    if isinstance(x, list):
        return [zero_tangent(v) for v in x]
    if isinstance(x, tuple):
        items = [zero_tangent(v) for v in x]
        return type(x)(*items) if hasattr(x, "_fields") else tuple(items)
    if isinstance(x, dict):
        return type(x)((k, zero_tangent(v)) for k, v in x.items()) if type(x) is not dict \
            else {k: zero_tangent(v) for k, v in x.items()}
    if is_object(x):
        return with_attributes(x, {k: zero_tangent(v) for k, v in attributes(x).items()})
    return None


def match_tangent(t, y):
    """Tangent `t` broadcast to the shape of its primal `y` (a forward rule whose operand
    carried no tangent may give fewer elements: the tangent of `a + b` is `a_dot` alone when
    only `a` is differentiated, and `a` may broadcast)."""
    shape = getattr(y, "shape", None)
    if shape is None or getattr(t, "shape", None) == shape:
        return t
    return t + zero_tangent(y)
