"""Gradient containers and structure: accumulating, zeros, the seed, the final shape."""
import numpy as np

from ..cuda.array import KnetArray
from ..errors import NonScalarError
from ..pytree import is_object
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


_VIEWS = (type({}.keys()), type({}.values()), type({}.items()))


def zero_grad(x):
    """A zero adjoint for x: an array of zeros, 0.0, or an empty gradient container."""
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, KnetArray):
        return device_zeros(x)
    if isinstance(x, (list, tuple, _VIEWS)):  # (a dict's .items() as a sequence of pairs)
        return GradList([None] * len(x))
    if isinstance(x, dict):
        return GradDict()
    if x is None:
        return None
    if hasattr(x, "dtype") and hasattr(x, "shape"):  # NumPy scalars and other array types
        return x * 0
    if hasattr(x, "_fields"):  # a namedtuple read by field (add_attr) or by index
        return GradList([None] * len(x))
    if is_object(x):  # an object holding parameters, callable or not
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
    """Element i of a container adjoint, or None where nothing was written (a zero that
    generated code skips rather than pushing it through a rule as 0 * f'(x))."""
    if d is None:
        return None
    return d[i] if not isinstance(d, dict) else d.get(i)


def or_zero(d, like):
    """The adjoint d, or a zero adjoint for `like` where d is None (nothing flowed back)."""
    return zero_grad(like) if d is None else d


def part_grad(d, start, stop):
    """Adjoint of the part [start:stop] of a joined list or tuple (None stands for zero)."""
    if d is None:
        return None
    return GradList(d[start:stop])


def repeat_grad(d, k):
    """Adjoint of `items * n` for k items: each item's is the sum of its copies' adjoints."""
    if d is None:
        return None
    out = [None] * k
    for i, g in enumerate(d):
        out[i % k] = add_grads(out[i % k], g)
    return GradList(out)


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
    """Adjoint of the builtins max(a, b, ...) / min(...) for item i: split evenly between
    the items equal to the result (all of it when one is), as np.maximum and np.max do.

    With one argument, max(seq) picks from the sequence, and item 0 gets a sequence back."""
    seq = items[0] if len(items) == 1 else items
    ties = [k for k, x in enumerate(seq) if x is y or np.all(x == y)]
    share = d if len(ties) == 1 else d / len(ties)
    if len(items) == 1:
        out = zero_grad(seq) if hasattr(seq, "shape") else GradList([None] * len(seq))
        for k in ties:
            out[k] = share
        return out
    return share if i in ties else zero_grad(items[i])


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
