"""Adjoint helpers for broadcasting, reductions and elementwise choices.

Each works on NumPy arrays and on KnetArrays (knetc.cuda): on the GPU the same NumPy calls
dispatch to knetc's kernels, and the few steps NumPy spells with in-place or boolean
operations have a KnetArray branch, taken after the NumPy test.
"""
import numpy as np

from ..cuda import reduce as _reduce
from ..cuda.array import KnetArray, to_device
from .kinks import tie_grad


def _shape_or_none(x):
    try:
        return np.shape(x)
    except ValueError:  # a list of arrays of different shapes
        return None


def unbroadcast(g, x):
    """Sum g back to the shape of x, undoing NumPy broadcasting."""
    try:  # the common case first, without np.shape's overhead: nothing to undo
        gshape, shape = g.shape, x.shape
        if gshape == shape:
            return g
        if type(g) is np.ndarray and type(x) is np.ndarray and len(gshape) == len(shape):
            # a bias's adjoint: sum along x's size-1 axes (what the general path does below)
            axes = tuple([i for i, n in enumerate(shape) if n == 1 and gshape[i] != 1])
            return np.add.reduce(g, axis=axes, keepdims=True) if axes else g
    except AttributeError:  # a number or a list
        pass
    if isinstance(x, (list, tuple)):  # a list used as an array, or joined/repeated
        if _shape_or_none(x) is None or _shape_or_none(x) != _shape_or_none(g):
            raise TypeError("knetc cannot differentiate joining (`a + b`) or repeating "
                            "(`a * n`) lists it did not know were lists when it compiled "
                            "(parameters, items of other lists); build the list with a "
                            "comprehension or append(...), or use np.concatenate/np.tile for "
                            "arrays")
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    if isinstance(g, KnetArray):  # one reduction kernel; a float x keeps a 0-d device adjoint
        return _reduce.sum_to(g, shape)
    total = np.add.reduce if type(g) is np.ndarray else np.sum  # the ufunc skips a wrapper
    if len(gshape) > len(shape):
        g = total(g, axis=tuple(range(len(gshape) - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = total(g, axis=axes, keepdims=True)
    if not isinstance(x, (np.ndarray, np.generic)):
        return float(g) if np.ndim(g) == 0 else g
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast the adjoint of a reduction of x along `axis` back to x's shape."""
    shape = np.shape(x)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    if isinstance(x, KnetArray) and not isinstance(g, KnetArray):  # a constant adjoint
        g = to_device(g, x.device, x.dtype)
    elif axis is None and type(x) is np.ndarray and x.size <= 65536:
        return np.full(shape, g)  # small: filling beats np.broadcast_to's overhead
    return np.broadcast_to(g, shape)


def extremum_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of max/min along axis: split between the positions that attain it."""
    mask = x == unreduce(y, x, axis, keepdims)
    if isinstance(mask, KnetArray):  # count the hits in x's float dtype on the device
        mask = mask.astype(x.dtype)
    count = np.sum(mask, axis=axis, keepdims=True)
    return unreduce(g, x, axis, keepdims) * mask / count


def prod_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of y = np.prod(x, axis): g times the product of the other elements.

    That is g * y / x where x has no zeros. Where it has one zero, the zero's adjoint is the
    product of the rest (y / x would be 0 / 0); with two or more, every adjoint in that slice
    is 0. KnetArrays always take the general path, to avoid a host sync asking for zeros.
    """
    zero = x == 0
    if not isinstance(x, KnetArray) and not np.any(zero):
        return unreduce(g * y, x, axis, keepdims) / x
    nonzero = np.where(zero, 1, x)
    rest = np.prod(nonzero, axis=axis, keepdims=True)       # product of the nonzero elements
    zeros = np.sum(zero, axis=axis, keepdims=True)
    at_zero = np.where(zeros == 1, rest, 0)                  # adjoint of a lone zero, / g
    gfull = unreduce(g, x, axis, keepdims)
    return np.where(zero, gfull * at_zero, unreduce(g * y, x, axis, keepdims) / nonzero)


def _count(x, axis):
    """How many elements of x a reduction along `axis` takes in."""
    return np.size(x) if axis is None else np.prod([np.shape(x)[a] for a in np.atleast_1d(axis)])


def var_grad(g, x, axis=None, ddof=0, keepdims=False):
    """Adjoint of np.var: nan when ddof leaves no degrees of freedom (the value is nan too)."""
    n = _count(x, axis)
    centered = x - np.mean(x, axis=axis, keepdims=True)
    scale = 2.0 / (n - ddof) if n > ddof else np.nan
    return unreduce(g, x, axis, keepdims) * centered * scale


def std_grad(g, y, x, axis=None, ddof=0, keepdims=False):
    """Adjoint of y = np.std(x): var's adjoint times g / (2 y), and 0 where the spread is
    zero (identical values, a length-1 axis): there std is not differentiable, and 0 is the
    smallest of its subgradients, the limit autograd gives on a length-1 axis. Identical
    values can have a spread of a few rounding errors (their mean is rounded): a spread
    within 4 n eps max|x| counts as zero, not as a direction (x - mean) / (n y) of noise."""
    if isinstance(y, KnetArray):
        zero = y == 0
    else:
        dtype = np.result_type(x)  # (an integer x is reduced in float64)
        eps = np.finfo(dtype if dtype.kind in "fc" else np.float64).eps
        zero = y <= 4 * _count(x, axis) * eps * np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(y, KnetArray) or np.any(zero):
        g = np.where(zero, 0, g) / (2 * np.where(zero, 1, y))
    else:
        g = g / (2 * y)
    return var_grad(g, x, axis, ddof, keepdims)


def clip_grad(g, x, lo, hi, lo_keyword=None, hi_keyword=None):
    """Adjoint of np.clip with respect to x (the bounds given by position, a_min/a_max, or as
    min/max): g inside the bounds, g / 2 on a bound, as for np.clip written with
    np.maximum and np.minimum (and as JAX's clip)."""
    lo = lo_keyword if lo is None else lo
    hi = hi_keyword if hi is None else hi
    if lo is not None:
        g = tie_grad(g, x, lo)
    if hi is not None:
        g = tie_grad(g, hi, x)
    return g


def clip_bound_grad(g, x, bound, below):
    """Adjoint of np.clip with respect to a bound: g where x is beyond it (below the lower one,
    or above the upper one), g / 2 where x is on it."""
    return unbroadcast(tie_grad(g, bound, x) if below else tie_grad(g, x, bound), bound)


def where_grad(g, cond, x, first):
    """Adjoint of np.where(cond, a, b) for a (first=True) or b."""
    return unbroadcast(np.where(cond, g, 0) if first else np.where(cond, 0, g), x)


# Forward-mode helpers: linear in the tangent t, written with differentiable NumPy so that
# knetc's reverse mode can differentiate the tangent code again (it reads their source).

def copy_tangent(t, y):
    """Tangent of y = x.copy() or np.copy(x) from x's tangent t: a new object, as y is -- a
    list for a list's copy, a dict for a dict's, else an array (np.copy of a list is one)."""
    if isinstance(y, list):
        return list(t)
    if isinstance(y, dict):
        return t.copy()
    return np.copy(t)


def astype_tangent(t, y):
    """Tangent of y = x.astype(dtype) from x's tangent t: t in y's dtype (a new array, as
    astype makes), or zeros where y is an integer or bool array (no derivative there)."""
    if y.dtype.kind in "fc":
        return t.astype(y.dtype)
    return np.zeros_like(t)
