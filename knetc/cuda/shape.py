"""Shape ops on KnetArrays: reshape, transpose, squeeze, broadcast_to, split... as views.

Every op here returns a view of the same buffer (a new shape and strides over `x.raw`) and
launches nothing, except a reshape that no strides can express (a transposed or broadcast
array flattened): that one copies to contiguous memory with the copy kernel first, as NumPy
does. `flatten` always copies. np.shape / np.ndim / np.size answer from metadata.
"""
import operator

import numpy as np

from . import elementwise
from .array import KnetArray, implements

_AxisError = np.exceptions.AxisError if hasattr(np, "exceptions") else np.AxisError


def view(x, shape, strides):
    """A KnetArray over x's buffer with this shape and these element strides (no kernel)."""
    raw = x.raw
    itemsize = raw.itemsize
    out = x.device.xp.lib.stride_tricks.as_strided(
        raw, shape=tuple(shape), strides=tuple(s * itemsize for s in strides))
    return KnetArray(out, x.device)


def normalize_axis(axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise _AxisError(axis, ndim)
    return axis % ndim


def _axes(axis, ndim):
    """A tuple of distinct non-negative axes from an int or a sequence of ints."""
    if np.ndim(axis) == 0:
        axis = (axis,)
    out = tuple(normalize_axis(a, ndim) for a in axis)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {tuple(axis)}")
    return out


def _shape_arg(shape):
    if np.ndim(shape) == 0:
        return (operator.index(shape),)
    return tuple(operator.index(n) for n in shape)


def _resolve(shape, size):
    """`shape` with its one -1 filled in so the product is `size`."""
    shape = list(shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    known = 1
    for n in shape:
        if n != -1:
            if n < 0:
                raise ValueError(f"negative dimension in shape {tuple(shape)}")
            known *= n
    if len(unknown) > 1:
        raise ValueError("can only specify one unknown dimension")
    if unknown:
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {tuple(shape)}")
        shape[unknown[0]] = size // known
    elif known != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {tuple(shape)}")
    return tuple(shape)


def _nocopy_strides(shape, strides, new_shape):
    """Element strides that show an array of (shape, strides) as new_shape without copying,
    or None when there are none (NumPy's attempt_nocopy_reshape, over non-1 dims)."""
    old = [(n, s) for n, s in zip(shape, strides) if n != 1]
    new_strides = [0] * len(new_shape)
    oi = ni = 0
    while oi < len(old) and ni < len(new_shape):
        if new_shape[ni] == 1:
            ni += 1
            continue
        oj, nj = oi + 1, ni + 1
        np_, op_ = new_shape[ni], old[oi][0]
        while np_ != op_:
            if np_ < op_:
                np_ *= new_shape[nj]
                nj += 1
            else:
                op_ *= old[oj][0]
                oj += 1
        for k in range(oi, oj - 1):  # the merged old dims must be contiguous with each other
            if old[k][1] != old[k + 1][0] * old[k + 1][1]:
                return None
        new_strides[nj - 1] = old[oj - 1][1]
        for k in range(nj - 1, ni, -1):
            new_strides[k - 1] = new_strides[k] * new_shape[k]
        oi, ni = oj, nj
    return new_strides  # trailing size-1 dims keep stride 0


def reshape(x, shape, order="C"):
    """x with a new shape: a view when the strides allow it, else a contiguous copy's view."""
    shape = _resolve(_shape_arg(shape), x.size)
    if order == "A":
        order = _read_order(x, order)
    if order == "F":
        return transpose(reshape(transpose(x), shape[::-1]))
    if order not in ("C", "A", None):
        raise ValueError(f"knetc's GPU reshape takes order 'C' or 'F', not {order!r}")
    if shape == x.shape:
        return x
    if x.is_contiguous:
        return KnetArray(x.raw.reshape(shape), x.device)
    strides = _nocopy_strides(x.shape, x.strides, shape) if x.size else None
    if strides is not None:
        return view(x, shape, strides)
    return KnetArray(elementwise.copy(x).raw.reshape(shape), x.device)


@implements(np.reshape)
def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if shape is None:
        shape = newshape
    out = reshape(a, shape, order)
    return elementwise.copy(out) if copy else out


@implements(np.transpose)
def transpose(a, axes=None):
    if axes is None:
        return KnetArray(a.raw.transpose(), a.device)
    axes = tuple(normalize_axis(ax, a.ndim) for ax in np.ravel(axes).tolist())
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"axes {axes} don't match an array of {a.ndim} dims")
    return KnetArray(a.raw.transpose(axes), a.device)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    perm = list(range(a.ndim))
    i, j = normalize_axis(axis1, a.ndim), normalize_axis(axis2, a.ndim)
    perm[i], perm[j] = perm[j], perm[i]
    return KnetArray(a.raw.transpose(tuple(perm)), a.device)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    source, destination = _axes(source, a.ndim), _axes(destination, a.ndim)
    if len(source) != len(destination):
        raise ValueError("moveaxis: source and destination need the same number of axes")
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return KnetArray(a.raw.transpose(tuple(order)), a.device)


def _read_order(x, order):
    """Order "A" (and, for ravel and flatten, "K") as the "C" or "F" NumPy reads x in."""
    if order not in ("A", "K"):
        return order
    flags = x.raw.flags
    if flags.c_contiguous or not (flags.f_contiguous or order == "K"):
        return "C"
    if flags.f_contiguous:
        return "F"
    raise ValueError("knetc's GPU ravel/flatten with order='K' takes a C- or F-contiguous "
                     "array; use order='C' or 'F'")


@implements(np.ravel)
def ravel(a, order="C"):
    return reshape(a, (a.size,), _read_order(a, order))


def flatten(a, order="C"):
    """Like ndarray.flatten: always a new contiguous array."""
    order = _read_order(a, order)
    if order == "F":
        a = transpose(a)
    return KnetArray(elementwise.copy(a).raw.reshape(-1), a.device)


@implements(np.squeeze)
def squeeze(a, axis=None):
    if axis is None:
        axes = tuple(i for i, n in enumerate(a.shape) if n == 1)
    else:
        axes = _axes(axis, a.ndim)
        for i in axes:
            if a.shape[i] != 1:
                raise ValueError("cannot select an axis to squeeze out which has size "
                                 "not equal to one")
    if not axes:
        return a
    keep = [i for i in range(a.ndim) if i not in axes]
    if a.is_contiguous:
        return KnetArray(a.raw.reshape(tuple(a.shape[i] for i in keep)), a.device)
    return view(a, [a.shape[i] for i in keep], [a.strides[i] for i in keep])


@implements(np.expand_dims)
def expand_dims(a, axis):
    ndim = a.ndim + (1 if np.ndim(axis) == 0 else len(axis))
    axes = _axes(axis, ndim)
    shape, strides = list(a.shape), list(a.strides)
    for i in sorted(axes):
        shape.insert(i, 1)
        strides.insert(i, 0)
    if a.is_contiguous:
        return KnetArray(a.raw.reshape(tuple(shape)), a.device)
    return view(a, shape, strides)


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    """A read-through view of `array` with 0 strides on the broadcast dims (no kernel)."""
    shape = _shape_arg(shape)
    if tuple(array.shape) == shape:
        return array
    if len(shape) < array.ndim:
        raise ValueError(f"cannot broadcast an array of shape {array.shape} to {shape}")
    lead = len(shape) - array.ndim
    strides = [0] * lead
    for size, n, s in zip(array.shape, shape[lead:], array.strides):
        if size == n:
            strides.append(s)
        elif size == 1:
            strides.append(0)
        else:
            raise ValueError(f"operands could not be broadcast together with remapped shapes "
                             f"[original->remapped]: {array.shape} and requested shape {shape}")
    return view(array, shape, strides)


@implements(np.atleast_1d)
def atleast_1d(*arys):
    out = [reshape(a, (1,)) if a.ndim == 0 else a for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.atleast_2d)
def atleast_2d(*arys):
    out = [reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.atleast_3d)
def atleast_3d(*arys):
    shapes = {0: lambda s: (1, 1, 1), 1: lambda s: (1, s[0], 1), 2: lambda s: s + (1,)}
    out = [reshape(a, shapes[a.ndim](a.shape)) if a.ndim < 3 else a for a in arys]
    return out[0] if len(out) == 1 else tuple(out)


@implements(np.split, np.array_split)
def split(ary, indices_or_sections, axis=0):
    """Pieces of `ary` along `axis` as views (np.array_split's uneven sections allowed)."""
    axis = normalize_axis(axis, ary.ndim)
    n = ary.shape[axis]
    if np.ndim(indices_or_sections) == 0:
        sections = operator.index(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = divmod(n, sections)
        bounds = [0]
        for k in range(sections):
            bounds.append(bounds[-1] + each + (k < extra))
    else:
        bounds = [0, *[operator.index(i) for i in indices_or_sections], n]
    lead = (slice(None),) * axis
    return [KnetArray(ary.raw[lead + (slice(lo, hi),)], ary.device)
            for lo, hi in zip(bounds[:-1], bounds[1:])]


@implements(np.shape)
def _np_shape(a):
    return a.shape


@implements(np.ndim)
def _np_ndim(a):
    return a.ndim


@implements(np.size)
def _np_size(a, axis=None):
    if axis is None:
        return a.size
    if np.ndim(axis) == 0:
        return a.shape[normalize_axis(axis, a.ndim)]
    out = 1
    for ax in _axes(axis, a.ndim):
        out *= a.shape[ax]
    return out
