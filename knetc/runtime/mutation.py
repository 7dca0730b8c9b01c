"""Helpers for mutation, attributes and calls resolved at run time."""
import numpy as np

from ..cuda.array import KnetArray
from .grads import GradDict, GradList, add_grads, zero_grad


def add_attr(d, obj, attr, g):
    """Add g into the adjoint of obj at attribute `attr` (the adjoint is a dict by name, or
    for a namedtuple a list by position, so `p.w` and `p[0]` add into one place)."""
    fields = getattr(obj, "_fields", None)
    if isinstance(obj, tuple) and fields and attr in fields:
        d = GradList([None] * len(obj)) if d is None else GradList(d)
        i = fields.index(attr)
        d[i] = add_grads(d[i], g)
        return d
    d = GradDict() if d is None else d
    d[attr] = add_grads(d.get(attr), g)
    return d


def call_adjoint(fn, i, g, y, args):
    """Adjoint for argument i of `y = fn(*args)` when fn is known only at run time."""
    from ..rules.dynamic import vjp  # the rule table imports this module
    return vjp(fn, i)(g, y, *args)


def method_forward(stack, obj, name, *args):
    """Forward of `obj.name(*args)` for a method found at run time (knetc.dynamic)."""
    from ..dynamic import forward
    return forward(stack, obj, name, args)


def method_backward(stack, g):
    """Adjoints of (obj, *args) for the matching method_forward call."""
    from ..dynamic import backward
    return backward(stack, g)


def snapshot(container):
    """A shallow copy of a list or dict about to be mutated, for the backward sweep."""
    if isinstance(container, list):
        return list(container)
    if isinstance(container, dict):
        return dict(container)
    if isinstance(container, (np.ndarray, KnetArray)):
        raise TypeError(
            "knetc does not differentiate assignment into the elements of an array "
            "(`x[i] = ...`); build the result with np.where, np.concatenate or np.stack, or "
            "keep the pieces in a list")
    raise TypeError(f"knetc cannot differentiate mutating a {type(container).__name__}")


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
