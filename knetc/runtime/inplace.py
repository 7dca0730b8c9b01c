"""Helpers for what the compiler optimised: adjoints updated in place, shape stand-ins.

The compiler calls these only where it has proved that no other name can see the buffer
(knetc/compiler/inplace.py); for anything but a NumPy array they do what the copying helper
does.
"""
import numpy as np

from .index import _is_basic, add_at


def add_at_inplace(dx, x, index, g):
    """add_at(dx, x, index, g) for an array dx made by an earlier add_at and read by nothing
    since: the addition goes into dx itself instead of a copy."""
    if type(dx) is not np.ndarray:
        return add_at(dx, x, index, g)
    if _is_basic(index):
        dx[index] += g
    else:
        np.add.at(dx, index, g)
    return dx


_ZEROS = {}  # dtype -> a one-element zero array, the memory every stand-in points at


def only_shape(x):
    """A read-only stand-in for array x with its shape and dtype but one element of memory,
    saved for the backward sweep where it reads nothing of x but that (`unbroadcast(g, x)`).
    Anything but a NumPy array of numbers comes back as it is."""
    if type(x) is not np.ndarray or x.dtype.hasobject:
        return x
    zero = _ZEROS.get(x.dtype)
    if zero is None:
        zero = _ZEROS[x.dtype] = np.zeros(1, x.dtype)
    out = np.ndarray(x.shape, x.dtype, zero, 0, (0,) * x.ndim)
    out.flags.writeable = False
    return out
