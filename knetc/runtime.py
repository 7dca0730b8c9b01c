"""Helpers that generated gradient code calls: broadcasting sums, scatter-adds, gradient trees.

Generated code runs in a namespace holding these names, so a gradient reads
`dw = add_at(dw, w, i, dw_i)` rather than a page of type dispatch.
"""
import copy

import numpy as np

from . import conv as _conv
from .errors import NonScalarError


class GradList(list):
    """The adjoint of a list or tuple while it is being accumulated; None means zero."""

    def __add__(self, other):
        if other is None:
            return self
        return GradList(add_grads(a, b) for a, b in zip(self, other))

    __radd__ = __add__


class GradDict(dict):
    """The adjoint of a dict while it is being accumulated; a missing key means zero."""

    def __add__(self, other):
        if other is None:
            return self
        out = GradDict(self)
        for key, value in other.items():
            out[key] = add_grads(out.get(key), value)
        return out

    __radd__ = __add__


def add_grads(a, b):
    """a + b where None stands for zero and containers add leaf by leaf."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, (list, tuple)) and not isinstance(a, GradList):
        a = GradList(a)
    if isinstance(a, dict) and not isinstance(a, GradDict):
        a = GradDict(a)
    return a + b


def zero_grad(x):
    """A zero adjoint for x: an array of zeros, 0.0, or an empty gradient container."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, (list, tuple)):
        return GradList([None] * len(x))
    if isinstance(x, dict):
        return GradDict()
    if x is None:
        return None
    if hasattr(x, "dtype") and hasattr(x, "shape"):  # NumPy scalars and other array types
        return x * 0
    if hasattr(x, "__dict__") and not callable(x):  # an object holding parameters
        return GradDict()
    return 0.0


def seed_grad(result):
    """The adjoint of the function's result, 1 of the result's type; refuse non-scalars."""
    shape = np.shape(result)
    if shape not in ((), (1,), (1, 1)):
        raise NonScalarError(
            f"knetc.grad needs a function that returns a scalar, but it returned an array of "
            f"shape {shape}. Reduce it first, e.g. with np.sum(...) or np.mean(...)."
        )
    if isinstance(result, (np.ndarray, np.generic)):
        if not np.issubdtype(result.dtype, np.inexact):
            return np.ones(shape)
        return np.ones_like(result)
    return 1.0


def finalize_grad(grad, like):
    """Turn an accumulated adjoint into the structure and types of the argument `like`."""
    if isinstance(like, (list, tuple)):
        grad = grad if grad is not None else [None] * len(like)
        items = [finalize_grad(g, x) for g, x in zip(grad, like)]
        return type(like)(items) if not hasattr(like, "_fields") else type(like)(*items)
    if isinstance(like, dict):
        grad = grad if grad is not None else {}
        return type(like)((k, finalize_grad(grad.get(k), v)) for k, v in like.items())
    if isinstance(like, np.ndarray):
        if grad is None:
            return np.zeros_like(like)
        grad = np.asarray(grad)
        if grad.shape != like.shape:
            grad = unbroadcast(grad, like)
            grad = np.broadcast_to(grad, like.shape).copy() if grad.shape != like.shape else grad
        return grad.astype(like.dtype, copy=False)
    if isinstance(like, np.generic):
        return like.dtype.type(0) if grad is None else like.dtype.type(np.sum(grad))
    if isinstance(like, (float, int)) and not isinstance(like, bool):
        return 0.0 if grad is None else float(np.sum(grad))
    if hasattr(like, "__dict__") and not callable(like):  # an object: a copy holding grads
        out = copy.copy(like)
        grad = grad if grad is not None else {}
        for key, value in vars(like).items():
            if _differentiable(value):
                setattr(out, key, finalize_grad(grad.get(key), value))
        return out
    return grad


def _differentiable(value):
    if isinstance(value, (float, np.ndarray, np.floating)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_differentiable(v) for v in value)
    if isinstance(value, dict):
        return any(_differentiable(v) for v in value.values())
    return hasattr(value, "__dict__") and not callable(value)


def unbroadcast(g, x):
    """Sum g back to the shape of x, undoing NumPy broadcasting."""
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    if isinstance(x, (list, tuple)):
        raise TypeError("knetc cannot differentiate joining lists with `+`; "
                        "use lst.append(...) or np.concatenate for arrays")
    if len(gshape) > len(shape):
        g = np.sum(g, axis=tuple(range(len(gshape) - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    if not isinstance(x, (np.ndarray, np.generic)):
        return float(g) if np.ndim(g) == 0 else g
    return g


def unreduce(g, x, axis=None, keepdims=False):
    """Broadcast the adjoint of a reduction of x along `axis` back to x's shape."""
    shape = np.shape(x)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return np.broadcast_to(g, shape)


def add_at(dx, x, index, g):
    """Add g into the adjoint of x at `index` (x a list, tuple, dict or array); returns it."""
    if isinstance(x, (list, tuple, dict)):
        if dx is None:
            dx = zero_grad(x)
        dx[index] = add_grads(dx[index] if not isinstance(dx, dict) else dx.get(index), g)
        return dx
    out = np.zeros(np.shape(x), dtype=_float_dtype(x, g)) if dx is None else np.array(dx)
    if _is_basic(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


def add_attr(d, obj, attr, g):
    """Add g into the adjoint of obj at attribute `attr` (the adjoint is a dict by name)."""
    d = GradDict() if d is None else d
    d[attr] = add_grads(d.get(attr), g)
    return d


def call_adjoint(fn, i, g, y, args):
    """Adjoint for argument i of `y = fn(*args)` when fn is known only at run time."""
    from .rules.dynamic import vjp  # the rule table imports this module
    return vjp(fn, i)(g, y, *args)


def method_forward(stack, obj, name, *args):
    """Forward of `obj.name(*args)` for a method found at run time (knetc.dynamic)."""
    from .dynamic import forward
    return forward(stack, obj, name, args)


def method_backward(stack, g):
    """Adjoints of (obj, *args) for the matching method_forward call."""
    from .dynamic import backward
    return backward(stack, g)


def snapshot(container):
    """A shallow copy of a list or dict about to be mutated, for the backward sweep."""
    if isinstance(container, list):
        return list(container)
    if isinstance(container, dict):
        return dict(container)
    if isinstance(container, np.ndarray):
        raise TypeError(
            "knetc does not differentiate assignment into the elements of an array "
            "(`x[i] = ...`); build the result with np.where, np.concatenate or np.stack, or "
            "keep the pieces in a list")
    raise TypeError(f"knetc cannot differentiate mutating a {type(container).__name__}")


def copy_grad(d, x):
    """Adjoint of x.copy() for an array, a list or a dict: the same adjoint."""
    if isinstance(x, (list, tuple, dict)):
        return d
    return unbroadcast(d, x)


def frozen(value):
    """A list or dict as it is now (a shallow copy); anything else as it is."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def item_grad(d, index, like):
    """Adjoint of the value stored by `s[index] = value`, from the adjoint d of s."""
    if d is None:
        return zero_grad(like)
    g = d.get(index) if isinstance(d, dict) else d[index]
    return zero_grad(like) if g is None else g


def clear_grad(d, index):
    """The adjoint of s before `s[index] = value`: what was at index was overwritten."""
    if d is None:
        return None
    out = GradDict(d) if isinstance(d, dict) else GradList(d)
    if isinstance(out, dict):
        out.pop(index, None)
    elif isinstance(index, slice):
        out[index] = [None] * len(range(*index.indices(len(out))))
    else:
        out[index] = None
    return out


def unpack_grad(d, i, like):
    """Element i of a container adjoint (None stands for zero)."""
    if d is None:
        return zero_grad(like)
    g = d[i] if not isinstance(d, dict) else d.get(i)
    return zero_grad(like) if g is None else g


def part_grad(d, start, stop):
    """Adjoint of the part [start:stop] of a joined list or tuple (None stands for zero)."""
    if d is None:
        return None
    return GradList(d[start:stop])


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               for i in items)


def _float_dtype(x, g):
    dtype = getattr(x, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.inexact):
        return dtype
    return np.result_type(g, np.float64) if not hasattr(g, "dtype") else g.dtype


def matmul_grad_a(g, a, b):
    """Adjoint of `a @ b` with respect to a, for vectors, matrices and stacks of them."""
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        return g @ b.T
    a2, b2, g2 = _as_matrices(g, a, b)
    return np.reshape(unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2), np.shape(a))


def matmul_grad_b(g, a, b):
    """Adjoint of `a @ b` with respect to b."""
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        return a.T @ g
    a2, b2, g2 = _as_matrices(g, a, b)
    return np.reshape(unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2), np.shape(b))


def _as_matrices(g, a, b):
    """a, b and g with vectors promoted to matrices the way `@` promotes them."""
    a2 = np.expand_dims(a, 0) if np.ndim(a) == 1 else a
    b2 = np.expand_dims(b, -1) if np.ndim(b) == 1 else b
    g2 = np.expand_dims(g, -1) if np.ndim(b) == 1 else g
    g2 = np.expand_dims(g2, -2) if np.ndim(a) == 1 else g2
    return a2, b2, g2


def dot_grad_a(g, a, b):
    """Adjoint of np.dot(a, b) with respect to a (scalars, vectors, matrices, N-d)."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * b, a)
    if np.ndim(b) <= 2:
        return matmul_grad_a(g, a, b)
    b_free = [k for k in range(np.ndim(b)) if k != np.ndim(b) - 2]
    g_free = list(range(np.ndim(a) - 1, np.ndim(g)))
    return np.tensordot(g, b, axes=(g_free, b_free))


def dot_grad_b(g, a, b):
    """Adjoint of np.dot(a, b) with respect to b."""
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return unbroadcast(g * a, b)
    if np.ndim(b) <= 2:
        return matmul_grad_b(g, a, b)
    a_free = list(range(np.ndim(a) - 1))
    out = np.tensordot(a, g, axes=(a_free, a_free))  # contracted axis first
    return np.moveaxis(out, 0, np.ndim(b) - 2)


def extremum_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of max/min along axis: split between the positions that attain it."""
    mask = x == unreduce(y, x, axis, keepdims)
    count = np.sum(mask, axis=axis, keepdims=True)
    return unreduce(g, x, axis, keepdims) * mask / count


def var_grad(g, x, axis=None, ddof=0, keepdims=False):
    """Adjoint of np.var."""
    n = np.size(x) if axis is None else np.prod([np.shape(x)[a] for a in np.atleast_1d(axis)])
    centered = x - np.mean(x, axis=axis, keepdims=True)
    return unreduce(g, x, axis, keepdims) * centered * (2.0 / (n - ddof))


def transpose_grad(g, axes=None):
    """Adjoint of np.transpose(x, axes) and x.transpose(*axes)."""
    if isinstance(axes, tuple) and len(axes) == 1 and not np.isscalar(axes[0]):
        axes = axes[0]  # x.transpose((2, 0, 1))
    if axes is None or len(axes) == 0:
        return np.transpose(g)
    return np.transpose(g, np.argsort([a % np.ndim(g) for a in axes]))


def split_like(g, parts, axis=0):
    """Adjoint of np.concatenate(parts, axis): g cut into pieces shaped like parts."""
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


def take_grad(g, x, indices, axis=None):
    """Adjoint of np.take(x, indices, axis): scatter-add back, repeated indices accumulate."""
    out = np.zeros(np.shape(x), dtype=_float_dtype(x, g))
    if axis is None:
        np.add.at(out.reshape(-1), np.asarray(indices).reshape(-1), np.reshape(g, -1))
    else:
        np.add.at(out, (slice(None),) * (axis % out.ndim) + (np.asarray(indices),), g)
    return out


def clip_grad(g, x, lo, hi, lo_keyword=None, hi_keyword=None):
    """Adjoint of np.clip with respect to x: gradient passes where x is inside [lo, hi]
    (the bounds given by position, a_min/a_max, or as min/max)."""
    lo = lo_keyword if lo is None else lo
    hi = hi_keyword if hi is None else hi
    inside = np.ones(np.shape(x), dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return g * inside


def clip_bound_grad(g, x, bound, below):
    """Adjoint of np.clip with respect to a bound: where x is beyond it (below the lower one,
    or above the upper one)."""
    return unbroadcast(g * ((x < bound) if below else (x > bound)), bound)


def where_grad(g, cond, x, first):
    """Adjoint of np.where(cond, a, b) for a (first=True) or b."""
    return unbroadcast(np.where(cond, g, 0) if first else np.where(cond, 0, g), x)


def astype_grad(g, x, y):
    """Adjoint of x.astype(dtype): back to x's dtype; nothing flows through integer casts."""
    if not np.issubdtype(np.asarray(y).dtype, np.inexact):
        return zero_grad(x)
    return np.asarray(g).astype(np.asarray(x).dtype)


def nll_grad(g, scores, labels, axis=0):
    """Adjoint of knetc.nll: (softmax(scores) - onehot(labels)) * g / number of labels."""
    shifted = scores - np.max(scores, axis=axis, keepdims=True)
    p = np.exp(shifted)
    p /= np.sum(p, axis=axis, keepdims=True)
    labels = np.expand_dims(np.asarray(labels), axis)
    picked = np.take_along_axis(p, labels, axis=axis)
    np.put_along_axis(p, labels, picked - 1, axis=axis)
    return p * (g / max(labels.size, 1))


def sequence_grad(d, items):
    """Adjoint of list(items), tuple(items) or sequence(items): the same items, or none for
    the keys of a dict."""
    if isinstance(items, dict) or d is None:
        return None
    if isinstance(items, np.ndarray):
        return np.stack([zero_grad(x) if g is None else g for g, x in zip(d, items)])
    return GradList(d)


def values_grad(d, mapping):
    """Adjoint of list(mapping.values()): each value's adjoint back under its key."""
    if d is None:
        return None
    return GradDict((k, g) for k, g in zip(mapping, d) if g is not None)


def items_grad(d, mapping):
    """Adjoint of list(mapping.items()): the value half of each pair's adjoint."""
    if d is None:
        return None
    return values_grad([None if g is None else g[1] for g in d], mapping)


def sum_grad(d, items):
    """Adjoint of the builtin sum(items): every item gets the whole adjoint."""
    return GradList(unbroadcast(d, x) for x in items)


def sorted_grad(d, items):
    """Adjoint of sorted(items), defined only where nothing differentiable is sorted."""
    if isinstance(items, dict) or all(isinstance(k, (str, int)) for k in items):
        return None
    raise TypeError("knetc cannot differentiate sorted() of numbers or arrays; "
                    "sort indices with np.argsort and index with them instead")


def choice_grad(d, y, items, i):
    """Adjoint of the builtins max(a, b, ...) / min(...) for item i: all of it or nothing.

    With one argument, max(seq) picks from the sequence, and item 0 gets a sequence back."""
    if len(items) == 1:
        seq = items[0]
        pick = next(k for k, x in enumerate(seq) if x is y or np.all(x == y))
        out = GradList([None] * len(seq))
        out[pick] = d
        return out
    pick = next(k for k, x in enumerate(items) if x is y or np.all(x == y))
    return d if pick == i else zero_grad(items[i])


def sequence(items):
    """What a `for` loop iterates over, as something indexable (lists a generator or dict)."""
    if isinstance(items, (list, tuple)) or hasattr(items, "shape"):
        return items
    return list(items)


def conv4_grad_w(g, w, x, padding=0, stride=1):
    """Adjoint of knetc.conv4(w, x, padding, stride) with respect to the filters w."""
    return _conv.conv4_grad_w(g, w, x, padding, stride)


def conv4_grad_x(g, w, x, padding=0, stride=1):
    """Adjoint of knetc.conv4(w, x, padding, stride) with respect to the images x."""
    return _conv.conv4_grad_x(g, w, x, padding, stride)


def pool_grad(g, y, x, window=2, stride=None, padding=0, mode="max"):
    """Adjoint of y = knetc.pool(x, window, stride, padding, mode) with respect to x."""
    return _conv.pool_grad(g, y, x, window, stride, padding, mode)
