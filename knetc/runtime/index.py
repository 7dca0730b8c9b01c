"""Adjoint helpers for indexing and gathering."""
import builtins

import numpy as np

from ..cuda.array import KnetArray
from .grads import GradList, add_grads, zero_grad
from .tangents import zero_tangent


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


# tangents (forward mode) ----------------------------------------------------------------
def join_tangent(a_dot, b_dot, a, b):
    """Tangent of `a + b` for lists or tuples: the tangents joined the same way; a tangent
    the forward rule left out (0.0, the operand carries none) is the operand's zeros."""
    if not isinstance(a_dot, (list, tuple)):
        a_dot = zero_tangent(a)
    if not isinstance(b_dot, (list, tuple)):
        b_dot = zero_tangent(b)
    return a_dot + b_dot


def sequence_tangent(t, items, y):
    """Tangent of list(items), tuple(items) or sequence(items): the items' tangents in the
    same container; none for the keys of a dict."""
    if isinstance(items, dict):
        return zero_tangent(y)
    if y is items:  # sequence() of a list, tuple or array is the thing itself
        return t
    return type(y)(t)


def sorted_tangent(t, items, y):
    """Tangent of sorted(items): the items' tangents in the sorted order (stable, as sorted
    is); none for dict keys, strings and integers."""
    if isinstance(items, dict) or all(isinstance(k, (str, int)) for k in items):
        return zero_tangent(y)
    order = builtins.sorted(range(len(items)), key=items.__getitem__)
    return [t[k] for k in order]


def choice_tangent(t, y, items):
    """Tangent of the builtins max(a, b, ...) / min(...): the chosen item's tangent, the mean
    of the tangents of the items equal to the result where several are (as choice_grad
    splits the adjoint between them). With one argument, max(seq) picks from the sequence."""
    seq, seq_dot = (items[0], t[0]) if len(items) == 1 else (items, t)
    ties = [k for k, x in enumerate(seq) if x is y or np.all(x == y)]
    out = seq_dot[ties[0]]
    for k in ties[1:]:
        out = out + seq_dot[k]
    return out if len(ties) == 1 else out / len(ties)


def values_tangent(t, mapping):
    """Tangent of list(mapping.values()): each value's tangent, in the mapping's order."""
    return [t[k] for k in mapping]


def items_tangent(t, mapping):
    """Tangent of list(mapping.items()): (None, the value's tangent) for each pair (a key
    carries no tangent)."""
    return [(None, t[k]) for k in mapping]


def call_tangent(fn, y, items, tangents, keywords=None):
    """Tangent of `y = fn(*items)` when fn is known only at run time (a variable holding a
    function): fn's forward rule as a function (rules/dynamic.py), with every operand's
    tangent (zeros where one carries none) and the rule's defaults for the rest."""
    from ..rules import NONDIFF
    from ..rules.dynamic import jvp  # the rule table imports this module
    if fn in NONDIFF:
        return zero_tangent(y)
    return jvp(fn, len(items), tuple(sorted((keywords or {}).items())))(*tangents, *items)[1]
