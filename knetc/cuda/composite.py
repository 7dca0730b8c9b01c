"""NumPy functions on KnetArrays written with other registered ops (no kernels of their own).

np.var / np.std are a mean, a centered square and a mean (three reduction passes and two
elementwise kernels, rather than one fused kernel); np.all / np.any are a min / max of
`x != 0`. Each dispatches through NumPy, so it runs whatever kernels the families provide.
"""
import numpy as np

from .array import KnetArray, implements
from .shape import _axes


def _count(a, axis):
    if axis is None:
        return a.size
    n = 1
    for ax in _axes(axis, a.ndim):
        n *= a.shape[ax]
    return n


def _refuse(name, **options):
    given = [k for k, v in options.items() if v is not None and v is not np._NoValue]
    if given:
        raise TypeError(f"knetc's GPU np.{name} takes no {', '.join(given)} argument")


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue,
        mean=np._NoValue, correction=np._NoValue):
    """np.var: the mean of squared deviations from the mean (divided by n - ddof)."""
    _refuse("var", dtype=dtype, out=out, where=where, mean=mean)
    if correction is not np._NoValue:
        ddof = correction
    centered = a - np.mean(a, axis=axis, keepdims=True)
    out = np.mean(centered * centered, axis=axis, keepdims=keepdims)
    if ddof:
        n = _count(a, axis)
        out = out * (n / max(n - ddof, 0))
    return out


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue,
        mean=np._NoValue, correction=np._NoValue):
    """np.std: the square root of np.var."""
    return np.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                       correction=correction))


def _truth(a):
    return a if a.dtype == np.bool_ else a != 0


@implements(np.all)
def all_(a, axis=None, out=None, keepdims=False, *, where=np._NoValue):
    """np.all: whether the least of `a != 0` is true (a bool KnetArray)."""
    _refuse("all", out=out, where=where)
    if a.size == 0:
        return _empty_truth(a, axis, keepdims, True)
    return np.min(_truth(a), axis=axis, keepdims=keepdims) != 0


@implements(np.any)
def any_(a, axis=None, out=None, keepdims=False, *, where=np._NoValue):
    """np.any: whether the greatest of `a != 0` is true (a bool KnetArray)."""
    _refuse("any", out=out, where=where)
    if a.size == 0:
        return _empty_truth(a, axis, keepdims, False)
    return np.max(_truth(a), axis=axis, keepdims=keepdims) != 0


def _empty_truth(a, axis, keepdims, value):
    """np.all / np.any of an empty array (no reduction to run), computed on the host."""
    empty = np.zeros(a.shape, dtype=bool)
    host = empty.all(axis=axis, keepdims=keepdims) if value else \
        empty.any(axis=axis, keepdims=keepdims)
    return KnetArray(a.device.from_host(np.asarray(host)), a.device)
