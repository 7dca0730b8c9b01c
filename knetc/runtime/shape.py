"""Adjoint helpers for reshaping, joining and splitting arrays."""
import numpy as np

from .grads import GradList, zero_grad
from .tangents import zero_tangent


def method_axes(axes):
    """The axes of `x.transpose(*axes)` as np.transpose takes them: None for no axes, the
    tuple for `x.transpose((2, 0, 1))`."""
    if isinstance(axes, tuple) and len(axes) == 1 and not np.isscalar(axes[0]):
        return axes[0]  # x.transpose((2, 0, 1)), x.transpose(None)
    return axes if axes is None or len(axes) else None


def transpose_grad(g, axes=None):
    """Adjoint of np.transpose(x, axes) and x.transpose(*axes)."""
    axes = method_axes(axes)
    if axes is None:
        return np.transpose(g)
    return np.transpose(g, np.argsort([a % np.ndim(g) for a in axes]))


def split_like(g, parts, axis=0):
    """Adjoint of np.concatenate(parts, axis): g cut into pieces shaped like parts."""
    if type(g) is np.ndarray and axis is not None and all(
            type(p) is np.ndarray and p.ndim == g.ndim for p in parts):
        # arrays of g's rank: slices of g, without np.split's bookkeeping (40 us -> 3 us)
        pieces, start, index = GradList(), 0, [slice(None)] * g.ndim
        for p in parts:
            index[axis] = slice(start, start + p.shape[axis])
            pieces.append(g[tuple(index)])
            start += p.shape[axis]
        return pieces
    if axis is None:
        sizes = [np.size(p) for p in parts]
        pieces = np.split(np.ravel(g), np.cumsum(sizes)[:-1])
    else:
        sizes = [np.shape(p)[axis] if np.ndim(p) else 1 for p in parts]
        pieces = np.split(g, np.cumsum(sizes)[:-1], axis=axis)
    return GradList(piece if np.shape(piece) == np.shape(p) else np.reshape(piece, np.shape(p))
                    for piece, p in zip(pieces, parts))


def stack_grad(g, parts, axis=0):
    """Adjoint of np.stack(parts, axis)."""
    return GradList(np.moveaxis(g, axis, 0))


def hstack_axis(parts):
    """The axis np.hstack joins along: 0 for vectors and scalars, 1 otherwise."""
    return 0 if np.ndim(parts[0]) <= 1 else 1


def vstack_grad(g, parts):
    """Adjoint of np.vstack: rows back to each part (1-d parts were stacked as rows)."""
    pieces = split_like(g, [np.atleast_2d(p) for p in parts], axis=0)
    return GradList(np.reshape(piece, np.shape(p)) for piece, p in zip(pieces, parts))


def concat_grads(d, parts, axis=0):
    """Adjoint of np.split(x, ...): the pieces' adjoints joined back, zeros where absent."""
    pieces = [zero_grad(p) if d is None or d[i] is None else d[i] for i, p in enumerate(parts)]
    return np.concatenate(pieces, axis=axis)


def meshgrid_grad(d, items, i, indexing="xy"):
    """Adjoint of input i of np.meshgrid(*items): output i repeats it along every axis but
    its own (with "xy" indexing, the first two inputs vary along axes 1 and 0), so sum the
    others."""
    if d is None or d[i] is None:
        return None
    axis = i
    if indexing == "xy" and len(items) > 1 and i < 2:
        axis = 1 - i
    g = d[i]
    summed = g.sum(axis=tuple(a for a in range(g.ndim) if a != axis))
    return np.reshape(summed, np.shape(items[i]))


def reshape_grad(g, x, order="C"):
    """Adjoint of np.reshape / ravel / flatten of x read in `order` ("C", "F", "A" or "K")."""
    order = _read_order(x, order)
    if order == "K":
        return _unravel_memory_order(g, x)
    return np.reshape(g, np.shape(x), order=order)


def reshape_tangent(t, x, y, order="C"):
    """Tangent of np.reshape / ravel / flatten of x read in `order`: t read the way NumPy
    read x (for "A" and "K", by x's memory layout, which t need not share)."""
    order = _read_order(x, order)
    if order == "K":
        return np.reshape(np.ravel(t)[_memory_order(x)], np.shape(y))
    return np.reshape(t, np.shape(y), order=order)


def _read_order(x, order):
    """The order ("C", "F" or "K") in which NumPy read x's elements for `order`."""
    raw = x if isinstance(x, np.ndarray) else getattr(x, "raw", None)  # a KnetArray's buffer
    flags = getattr(raw, "flags", None)
    if order in (None, "C", "F") or flags is None:
        return order or "C"
    if flags.c_contiguous:
        return "C"
    if flags.f_contiguous:
        return "F"
    return "C" if order == "A" else "K"


def _unravel_memory_order(g, x):
    """g (read from x in memory order, as ravel(order="K") does) back in x's logical shape."""
    out = np.empty(x.size, dtype=np.result_type(g))
    out[_memory_order(x)] = np.ravel(g)
    return out.reshape(x.shape)


def _memory_order(x):
    """The C-order positions of x's elements in the order ravel(x, order="K") reads them.

    A probe of integers with x's own strides numbers x's elements; raveling the probe the way
    NumPy ravels x says which element comes where."""
    size, shape = x.size, x.shape
    steps = [s // x.itemsize for s in x.strides]
    if any(s % x.itemsize for s in x.strides) or any(s == 0 for s, n in zip(steps, shape)
                                                     if n > 1):
        raise NotImplementedError("knetc cannot differentiate ravel(order='K') of a broadcast "
                                  "or unaligned view; use order='C'")
    low = sum(min(0, (n - 1) * s) for n, s in zip(shape, steps))
    high = sum(max(0, (n - 1) * s) for n, s in zip(shape, steps))
    buffer = np.empty(high - low + 1, dtype=np.int64)
    probe = np.lib.stride_tricks.as_strided(buffer[-low:], shape=shape,
                                            strides=[s * 8 for s in steps])
    probe[...] = np.arange(size).reshape(shape)
    return np.ravel(probe, order="K")


def concatenator_grad(g, concatenator, items, i):
    """Adjoint of item i of `np.r_[items]` / `np.c_[items]`.

    Each item's elements are numbered, the same concatenator joins the numbers, and where each
    number lands says which element of g belongs to it: r_ and c_'s rules for scalars, 1-d
    items and axes are the concatenator's own."""
    single = len(items) == 1 and isinstance(items[0], tuple)  # np.r_[t], t a tuple
    parts = items[0] if single else items
    numbers, start = [], 0
    for p in parts:
        n = int(np.size(p))
        numbers.append(np.arange(start, start + n, dtype=np.float64).reshape(np.shape(p)))
        start += n
    where = np.asarray(concatenator[tuple(numbers)]).astype(np.int64)
    flat = np.empty(start, dtype=np.result_type(g))
    flat[np.ravel(where)] = np.ravel(g)
    pieces, start = GradList(), 0
    for p in parts:
        n = int(np.size(p))
        pieces.append(flat[start:start + n].reshape(np.shape(p)))
        start += n
    return pieces if single else pieces[i]


def concatenator_tangent(concatenator, items, tangents):
    """Tangent of `np.r_[items]` / `np.c_[items]`: the same concatenator of the items'
    tangents (the compiler has made slices into arrays and refuses string directives)."""
    single = len(items) == 1 and isinstance(items[0], tuple)  # np.r_[t], t a tuple
    return concatenator[tangents[0] if single else tuple(tangents)]


def meshgrid_tangent(tangents, copy=True, sparse=False, indexing="xy"):
    """Tangent of np.meshgrid(*items): the same grids of the items' tangents."""
    return np.meshgrid(*tangents, copy=copy, sparse=sparse, indexing=indexing)


def linspace_tangent(start_dot, stop_dot, start, stop, num=50, endpoint=True, retstep=False,
                     dtype=None, axis=0):
    """Tangent of np.linspace(start, stop, ...): the same spread of the endpoints' tangents
    (linspace is linear in the two together), with the step's tangent for retstep.

    A tangent the forward rule left out (0.0: that endpoint carries none) is zeros shaped
    like the endpoint, so that the samples broadcast as the primal's do. An integer dtype
    is left out, as linspace_grad leaves it."""
    if np.shape(start_dot) != np.shape(start):
        start_dot = start_dot + zero_tangent(start)
    if np.shape(stop_dot) != np.shape(stop):
        stop_dot = stop_dot + zero_tangent(stop)
    if dtype is not None and not np.issubdtype(dtype, np.inexact):
        dtype = None
    return np.linspace(start_dot, stop_dot, num, endpoint, retstep, dtype, axis)


def linspace_grad(g, num, endpoint, retstep, axis, last):
    """Adjoint of np.linspace(start, stop, num) for start (last=False) or stop (last=True).

    Sample k is start + k/(num-1) * (stop - start) (k/num without the endpoint)."""
    if retstep:
        raise TypeError("knetc cannot differentiate np.linspace(..., retstep=True); compute "
                        "the step as (stop - start) / (num - 1)")
    g = np.moveaxis(np.asarray(g), axis, 0)
    t = np.arange(num, dtype=np.float64) / ((num - 1 if endpoint else num) or 1)
    weight = t if last else 1 - t
    return np.tensordot(weight, g, axes=(0, 0))


def arange_grad(g, start, stop, step, which):
    """Adjoint of np.arange(start, stop, step) for `which` ("start" or "step").

    Element k is start + k * step; np.arange(n) alone means stop=n, whose derivative is 0."""
    if stop is None:
        return zero_grad(start) if which == "start" else None
    if which == "start":
        return np.sum(g)
    return np.sum(g * np.arange(np.size(g))) if step is not None else None
