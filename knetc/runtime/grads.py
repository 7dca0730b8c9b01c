"""Gradient containers and structure: accumulating, zeros, the seed, the final shape."""
import copy

import numpy as np

from ..cuda.array import KnetArray
from ..errors import NonScalarError
from .broadcast import unbroadcast


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
    if isinstance(x, KnetArray):
        return device_zeros(x)
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
    kind = type(result)
    if kind is np.float32 or kind is np.float64:  # the usual loss, without np.ones_like
        return np.array(1, dtype=kind)
    if kind is float:
        return 1.0
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
    if isinstance(result, KnetArray):  # on the device, like the result
        if result.dtype.kind != "f":
            return KnetArray(result.device.from_host(np.ones(shape)), result.device)
        return np.ones_like(result)
    return 1.0


def device_zeros(x):
    """Zeros shaped like KnetArray x, on its device (the fill kernel for float dtypes)."""
    if x.dtype.kind == "f":
        return np.zeros_like(x)
    return KnetArray(x.device.from_host(np.zeros(x.shape, x.dtype)), x.device)


def finalize_grad(grad, like):
    """Turn an accumulated adjoint into the structure and types of the argument `like`."""
    if type(like) is np.ndarray and type(grad) is np.ndarray and grad.shape == like.shape \
            and grad.dtype == like.dtype:  # the common case first: nothing to change
        return grad
    if type(like) is list and type(grad) is GradList and len(grad) == len(like):
        # a parameter list: the arrays whose adjoints already fit go as they are
        return [g if type(x) is np.ndarray and type(g) is np.ndarray and g.shape == x.shape
                and g.dtype == x.dtype else finalize_grad(g, x) for g, x in zip(grad, like)]
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
        if type(grad) is not np.ndarray:  # a KnetArray adjoint of a NumPy argument comes home
            grad = grad.get() if isinstance(grad, KnetArray) else np.asarray(grad)
        if grad.shape != like.shape:
            grad = unbroadcast(grad, like)
            grad = np.broadcast_to(grad, like.shape).copy() if grad.shape != like.shape else grad
        return grad.astype(like.dtype, copy=False)
    if isinstance(like, KnetArray):
        return _finalize_device_grad(grad, like)
    if isinstance(like, np.generic):
        if isinstance(grad, KnetArray):
            grad = float(np.sum(grad))
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


def _finalize_device_grad(grad, like):
    """finalize_grad for a KnetArray argument: a contiguous KnetArray of its shape and dtype."""
    if grad is None:
        return device_zeros(like)
    if not isinstance(grad, KnetArray):  # a constant adjoint (a number or a NumPy array)
        host = np.broadcast_to(np.asarray(grad, dtype=like.dtype), like.shape)
        return KnetArray(like.device.from_host(np.ascontiguousarray(host)), like.device)
    if grad.shape != like.shape:
        grad = unbroadcast(grad, like)
        if grad.shape != like.shape:
            grad = np.broadcast_to(grad, like.shape)
    if grad.dtype != like.dtype:
        grad = grad.astype(like.dtype)
    if not grad.is_contiguous:  # a broadcast view: optimizers update from plain arrays
        grad = np.copy(grad)
    return grad


def _differentiable(value):
    if isinstance(value, (float, np.ndarray, np.floating, KnetArray)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_differentiable(v) for v in value)
    if isinstance(value, dict):
        return any(_differentiable(v) for v in value.values())
    return hasattr(value, "__dict__") and not callable(value)


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


def sequence_grad(d, items):
    """Adjoint of list(items), tuple(items) or sequence(items): the same items, or none for
    the keys of a dict."""
    if isinstance(items, dict) or d is None:
        return None
    if isinstance(items, (np.ndarray, KnetArray)):
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
    """Adjoint of the builtin sum(items): every item gets the whole adjoint.

    Over an array, sum adds its rows (its elements when 1-d): each row gets it."""
    if hasattr(items, "shape"):
        return zero_grad(items) + (unbroadcast(d, items[0]) if len(items) else 0)
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
        out = zero_grad(seq) if hasattr(seq, "shape") else GradList([None] * len(seq))
        out[pick] = d
        return out
    pick = next(k for k, x in enumerate(items) if x is y or np.all(x == y))
    return d if pick == i else zero_grad(items[i])


def sequence(items):
    """What a `for` loop iterates over, as something indexable (lists a generator or dict)."""
    if isinstance(items, (list, tuple)) or hasattr(items, "shape"):
        return items
    return list(items)


def astype_grad(g, x, y):
    """Adjoint of x.astype(dtype): back to x's dtype; nothing flows through integer casts."""
    if isinstance(y, KnetArray):
        if y.dtype.kind != "f":
            return zero_grad(x)
        return g.astype(x.dtype) if isinstance(g, KnetArray) else np.asarray(g, x.dtype)
    if not np.issubdtype(np.asarray(y).dtype, np.inexact):
        return zero_grad(x)
    return np.asarray(g).astype(np.asarray(x).dtype)
